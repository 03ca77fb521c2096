"""mx.io: NDArrayIter batching/padding/roll_over/shuffle, DataBatch, DataDesc, ResizeIter, MNISTIter."""
import gzip
import os
import struct

import numpy as np
import pytest

import mxc as mx
from _training_helpers import MNIST_DIR, _find, _read_idx

DATA = np.arange(40, dtype=np.float64).reshape(10, 2, 2)
LABEL = np.arange(10, dtype=np.float64) * 10


def collect(it):
    """(data, label, pad) of every batch of one pass, as NumPy arrays."""
    out = []
    for batch in it:
        out.append((batch.data[0].asnumpy(), batch.label[0].asnumpy() if batch.label else None, batch.pad))
    return out


def rows(batch_data):
    """Sample indices (0..9) of a batch of DATA."""
    return [int(x) for x in batch_data[:, 0, 0] / 4]


def test_pad_batches():
    it = mx.io.NDArrayIter(DATA, LABEL, batch_size=3)
    batches = collect(it)
    assert len(batches) == 4 == len(it)
    assert [rows(d) for d, _, _ in batches] == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 0, 1]]
    assert [p for _, _, p in batches] == [0, 0, 0, 2]
    np.testing.assert_array_equal(batches[3][1], [90, 0, 10])
    # a second epoch after reset is the same
    it.reset()
    assert [rows(d) for d, _, _ in collect(it)] == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 0, 1]]


def test_pad_larger_than_data():
    it = mx.io.NDArrayIter(DATA[:2], LABEL[:2], batch_size=5)
    (d, l, pad), = collect(it)
    assert rows(d) == [0, 1, 0, 1, 0] and pad == 3


def test_discard():
    it = mx.io.NDArrayIter(DATA, LABEL, batch_size=3, last_batch_handle="discard")
    batches = collect(it)
    assert [rows(d) for d, _, _ in batches] == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    assert len(it) == 3


def test_roll_over():
    it = mx.io.NDArrayIter(DATA, LABEL, batch_size=3, last_batch_handle="roll_over")
    first = collect(it)
    assert [rows(d) for d, _, _ in first] == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    it.reset()
    second = collect(it)
    # the left-over sample 9 opens the next epoch, which then has 11 samples: 9 0 1 | 2 3 4 | 5 6 7 | (8 rolls)
    assert [rows(d) for d, _, _ in second] == [[9, 0, 1], [2, 3, 4], [5, 6, 7]]
    assert second[0][2] == 1  # as MXNet: pad reports the rolled-over count
    np.testing.assert_array_equal(second[0][1], [90, 0, 10])
    it.reset()
    third = collect(it)
    # 8 9 rolled over: 12 samples this epoch, so it ends exactly and the next one starts fresh (as MXNet)
    assert [rows(d) for d, _, _ in third] == [[8, 9, 0], [1, 2, 3], [4, 5, 6], [7, 8, 9]]
    assert [p for _, _, p in third] == [2, 0, 0, 0]
    it.reset()
    assert [rows(d) for d, _, _ in collect(it)] == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    it.reset()
    next(it)
    it.hard_reset()
    assert [rows(d) for d, _, _ in collect(it)] == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]


def test_shuffle_keeps_pairs_and_follows_numpy_seed():
    np.random.seed(7)
    it = mx.io.NDArrayIter(DATA, LABEL, batch_size=5, shuffle=True)
    a = collect(it)
    order = rows(a[0][0]) + rows(a[1][0])
    assert sorted(order) == list(range(10)) and order != list(range(10))
    for d, l, _ in a:
        np.testing.assert_array_equal(l, np.array(rows(d)) * 10)
    it.reset()
    b = collect(it)
    assert rows(b[0][0]) + rows(b[1][0]) != order  # reshuffled every epoch
    np.random.seed(7)
    again = collect(mx.io.NDArrayIter(DATA, LABEL, batch_size=5, shuffle=True))
    assert rows(again[0][0]) == rows(a[0][0])


def test_provide_data_and_dtypes():
    u8 = (np.arange(24) % 256).astype(np.uint8).reshape(6, 4)
    it = mx.io.NDArrayIter(u8, np.arange(6), batch_size=4)
    (desc,) = it.provide_data
    assert desc.name == "data" and desc.shape == (4, 4) and desc == ("data", (4, 4))
    assert np.dtype(desc.dtype) == np.float32  # NumPy input becomes float32 as mx.nd.array makes it
    assert it.provide_label[0].name == "softmax_label" and it.provide_label[0].shape == (4,)
    batch = next(it)
    assert batch.data[0].dtype == np.float32
    np.testing.assert_array_equal(batch.data[0].asnumpy(), u8[:4].astype(np.float32))
    # NDArray input keeps its dtype
    it64 = mx.io.NDArrayIter(mx.nd.array(DATA, dtype=np.float64), batch_size=4)
    assert np.dtype(it64.provide_data[0].dtype) == np.float64
    assert next(it64).data[0].dtype == np.float64
    assert it64.provide_label == []
    assert next(iter(it64)).label == []


def test_dict_and_list_inputs():
    it = mx.io.NDArrayIter({"b": DATA, "a": DATA * 2}, {"lbl": LABEL}, batch_size=5)
    assert [d.name for d in it.provide_data] == ["a", "b"]
    batch = next(it)
    np.testing.assert_array_equal(batch.data[0].asnumpy(), DATA[:5] * 2)
    assert it.provide_label[0].name == "lbl"
    it = mx.io.NDArrayIter([DATA, DATA], [LABEL], batch_size=5, data_name="x", label_name="y")
    assert [d.name for d in it.provide_data] == ["_0_x", "_1_x"]
    assert it.provide_label[0].name == "y"


def test_wrong_input_errors():
    with pytest.raises(ValueError, match="same number of samples"):
        mx.io.NDArrayIter(DATA, LABEL[:7], batch_size=2)
    with pytest.raises(ValueError, match="last_batch_handle"):
        mx.io.NDArrayIter(DATA, LABEL, batch_size=2, last_batch_handle="wrap")
    with pytest.raises(ValueError, match="batch_size"):
        mx.io.NDArrayIter(DATA, LABEL, batch_size=0)
    with pytest.raises(TypeError):
        mx.io.NDArrayIter("not data", batch_size=2)
    with pytest.raises(ValueError):
        mx.io.NDArrayIter(None, batch_size=2)


def test_iterator_protocol_and_getpad():
    it = mx.io.NDArrayIter(DATA, LABEL, batch_size=4)
    assert iter(it) is it
    pads = []
    while it.iter_next():
        data = it.getdata()
        assert data[0].shape == (4, 2, 2)
        pads.append(it.getpad())
    assert pads == [0, 0, 2]
    with pytest.raises(StopIteration):
        it.next()


def test_data_batch_and_desc():
    b = mx.io.DataBatch(data=[mx.nd.zeros((2, 3))], label=[mx.nd.zeros((2,))], pad=1)
    assert b.pad == 1 and b.index is None
    assert "data shapes: [(2, 3)]" in str(b)
    with pytest.raises(TypeError):
        mx.io.DataBatch(data=mx.nd.zeros((2,)))
    d = mx.io.DataDesc("x", (2, 3), np.float64, "NC")
    name, shape = d
    assert name == "x" and shape == (2, 3) and d.dtype == np.float64 and d.layout == "NC"
    assert "DataDesc[x,(2, 3)" in repr(d)
    assert mx.io.DataDesc.get_batch_axis("TNC") == 1
    assert mx.io.DataDesc.get_batch_axis(None) == 0
    descs = mx.io.DataDesc.get_list([("a", (1, 2))], [("a", np.int32)])
    assert descs[0].dtype == np.int32


def test_resize_iter():
    it = mx.io.ResizeIter(mx.io.NDArrayIter(DATA, LABEL, batch_size=4, last_batch_handle="discard"), 5)
    got = [rows(b.data[0].asnumpy()) for b in it]
    assert got == [[0, 1, 2, 3], [4, 5, 6, 7], [0, 1, 2, 3], [4, 5, 6, 7], [0, 1, 2, 3]]
    it.reset()
    assert len(list(it)) == 5


def write_idx(path, array):
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(struct.pack(">I", d) for d in array.shape)
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "wb") as f:
        f.write(header + array.tobytes())


@pytest.fixture
def tiny_mnist(tmp_path):
    rng = np.random.RandomState(0)
    images = rng.randint(0, 256, size=(10, 3, 4)).astype(np.uint8)
    images[0, 0, 0] = 255
    labels = np.arange(10, dtype=np.uint8) % 7
    write_idx(str(tmp_path / "img-idx3-ubyte"), images)
    write_idx(str(tmp_path / "lbl-idx1-ubyte"), labels)
    write_idx(str(tmp_path / "gzimg-idx3-ubyte.gz"), images)
    write_idx(str(tmp_path / "gzlbl-idx1-ubyte.gz"), labels)
    return tmp_path, images, labels


def test_mnist_iter_scaling_shapes_and_discard(tiny_mnist):
    folder, images, labels = tiny_mnist
    it = mx.io.MNISTIter(image=str(folder / "img-idx3-ubyte"), label=str(folder / "lbl-idx1-ubyte"),
                         batch_size=4, shuffle=False, silent=True)
    assert it.provide_data[0].shape == (4, 1, 3, 4) and it.provide_label[0].shape == (4,)
    batches = list(it)
    assert len(batches) == 2 == len(it)  # 10 images, batch 4: the incomplete last batch is dropped
    x = batches[0].data[0].asnumpy()
    assert x.dtype == np.float32
    np.testing.assert_array_equal(x, images[:4, None].astype(np.float32) / 256)  # MXNet scales by 1/256
    assert x.max() == 255 / 256
    np.testing.assert_array_equal(batches[1].label[0].asnumpy(), labels[4:8])
    it.reset()
    assert len(list(it)) == 2


def test_mnist_iter_gzip_flat_and_shuffle(tiny_mnist):
    folder, images, labels = tiny_mnist
    kwargs = dict(image=str(folder / "gzimg-idx3-ubyte.gz"), label=str(folder / "gzlbl-idx1-ubyte.gz"),
                  batch_size=5, flat=True, silent=True)
    plain = list(mx.io.MNISTIter(shuffle=False, **kwargs))
    assert plain[0].data[0].shape == (5, 12)
    np.testing.assert_array_equal(plain[1].data[0].asnumpy(), images[5:].reshape(5, 12) / 256.0)
    a = list(mx.io.MNISTIter(shuffle=True, seed=3, **kwargs))
    b = list(mx.io.MNISTIter(shuffle=True, seed=3, **kwargs))
    xa = np.concatenate([x.data[0].asnumpy() for x in a])
    la = np.concatenate([x.label[0].asnumpy() for x in a])
    np.testing.assert_array_equal(xa, np.concatenate([x.data[0].asnumpy() for x in b]))
    assert not np.array_equal(la, labels)
    # images and labels are shuffled together
    for x, l in zip(xa, la):
        k = int(np.flatnonzero((images.reshape(10, 12) / 256.0 == x).all(axis=1))[0])
        assert labels[k] == l
    # the path without .gz finds the .gz file
    it = mx.io.MNISTIter(image=str(folder / "gzimg-idx3-ubyte"), label=str(folder / "gzlbl-idx1-ubyte"),
                         batch_size=5, shuffle=False, flat=True, silent=True)
    assert len(list(it)) == 2


def test_mnist_iter_parts_and_errors(tiny_mnist):
    folder, images, _ = tiny_mnist
    common = dict(image=str(folder / "img-idx3-ubyte"), label=str(folder / "lbl-idx1-ubyte"), batch_size=1,
                  shuffle=False, flat=True, silent=True)
    part = list(mx.io.MNISTIter(num_parts=2, part_index=1, **common))
    assert len(part) == 5
    np.testing.assert_array_equal(part[0].data[0].asnumpy()[0], images[5].ravel() / 256.0)
    with pytest.raises(FileNotFoundError):
        mx.io.MNISTIter(image=str(folder / "missing"), label=common["label"], silent=True)
    with pytest.raises(ValueError, match="labels"):
        mx.io.MNISTIter(image=common["image"], label=common["image"], silent=True)
    with pytest.raises(TypeError, match="unknown"):
        mx.io.MNISTIter(bogus=1, **common)


def test_mnist_iter_on_the_installed_dataset():
    image, label = _find("t10k-images-idx3-ubyte"), _find("t10k-labels-idx1-ubyte")
    it = mx.io.MNISTIter(image=image, label=label, batch_size=1000, shuffle=False, flat=True, silent=True)
    assert len(it) == 10
    batch = next(it)
    raw = _read_idx(image)[:1000].reshape(1000, -1)
    np.testing.assert_array_equal(batch.data[0].asnumpy(), raw / 256.0)
    np.testing.assert_array_equal(batch.label[0].asnumpy(), _read_idx(label)[:1000])
    assert os.path.dirname(image) == os.path.abspath(MNIST_DIR) or os.path.dirname(image) == MNIST_DIR
