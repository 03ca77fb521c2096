"""mx.gluon.data.vision: the MNIST-format and CIFAR-10 datasets and the image transforms.

Values marked "MXNet 1.9.1" were printed by Apache MXNet 1.9.1 for the same data and programs (its FashionMNIST read
from the same files) and are written here as plain values; the rest is checked against NumPy.
"""
import gzip
import os
import struct

import numpy as np
import pytest

import mxc as mx
from mxc import gluon, nd
from mxc.gluon.data.vision import CIFAR10, MNIST, FashionMNIST, datasets, transforms as T

DEBIAN_FASHION = "/usr/share/datasets/fashion-mnist"
needs_fashion = pytest.mark.skipif(not os.path.isdir(DEBIAN_FASHION),
                                   reason="Debian's dataset-fashion-mnist is not installed (scripts/setup.sh does)")


def _write_idx(path, array, magic):
    with gzip.open(path, "wb") as f:
        f.write(struct.pack(">I", magic) + struct.pack(">%dI" % array.ndim, *array.shape) + array.tobytes())


def _fake_mnist(root, n=5, train=True):
    rng = np.random.RandomState(3)
    images = rng.randint(0, 256, size=(n, 28, 28)).astype(np.uint8)
    labels = rng.randint(0, 10, size=n).astype(np.uint8)
    stem = "train" if train else "t10k"
    _write_idx(os.path.join(root, stem + "-images-idx3-ubyte.gz"), images, 2051)
    _write_idx(os.path.join(root, stem + "-labels-idx1-ubyte.gz"), labels, 2049)
    return images, labels


# ----------------------------------------------------------------------------------------------------------------
# datasets
# ----------------------------------------------------------------------------------------------------------------
@needs_fashion
def test_fashion_mnist_items_as_mxnet(tmp_path, monkeypatch):
    monkeypatch.setenv("MXNET_HOME", str(tmp_path))  # nothing there: the Debian package's files are read
    train, test = FashionMNIST(train=True), gluon.data.vision.FashionMNIST(train=False)
    # MXNet 1.9.1: len, pixel sums of the first and last images, their labels, the centre pixel of the first
    for ds, (n, s0, y0, s1, y1, centre) in ((train, (60000, 76247, 9, 16684, 5, 217)),
                                            (test, (10000, 33456, 9, 24390, 5, 110))):
        x, y = ds[0]
        assert len(ds) == n
        assert isinstance(x, nd.NDArray) and x.shape == (28, 28, 1) and x.dtype == np.uint8
        assert type(y) is np.int32 and y == y0
        assert int(x.asnumpy().astype(np.int64).sum()) == s0 and int(x[14, 14, 0].asscalar()) == centre
        x, y = ds[n - 1]
        assert (int(x.asnumpy().astype(np.int64).sum()), y) == (s1, y1)
    assert np.bincount(train._label).tolist() == [6000] * 10
    assert test._label[:10].tolist() == [9, 2, 1, 1, 6, 1, 4, 6, 5, 7]


@needs_fashion
def test_fashion_mnist_pipeline_as_mxnet(tmp_path, monkeypatch):
    monkeypatch.setenv("MXNET_HOME", str(tmp_path))
    t = T.Compose([T.ToTensor(), T.Normalize(0.13, 0.31)])
    a, y = FashionMNIST(train=True).transform_first(t)[0]
    assert a.shape == (1, 28, 28) and a.dtype == np.float32 and y == 9
    assert a.sum().asscalar() == pytest.approx(635.7672729492188, rel=1e-5)        # MXNet 1.9.1
    assert a[0, 14, 14].asscalar() == pytest.approx(2.3257431983947754, rel=1e-6)  # (217 / 255 - 0.13) / 0.31
    loader = gluon.data.DataLoader(FashionMNIST(train=False).transform_first(t), batch_size=256, num_workers=4)
    assert len(loader) == 40
    xb, yb = next(iter(loader))
    assert xb.shape == (256, 1, 28, 28) and xb.dtype == np.float32 and yb.shape == (256,) and yb.dtype == np.int32
    assert yb[:5].asnumpy().tolist() == [9, 2, 1, 1, 6]
    assert xb.mean().asscalar() == pytest.approx(0.5249210000038147, rel=1e-5)


def test_mnist_reads_root_and_applies_transform(tmp_path):
    images, labels = _fake_mnist(str(tmp_path), n=5, train=False)
    ds = MNIST(root=str(tmp_path), train=False, transform=lambda x, y: (x.astype('float32') / 2, y + 1))
    assert len(ds) == 5
    for i in range(5):
        x, y = ds[i]
        np.testing.assert_array_equal(x.asnumpy(), images[i][:, :, None].astype(np.float32) / 2)
        assert y == labels[i] + 1
    raw = datasets.MNIST(root=str(tmp_path), train=False)
    np.testing.assert_array_equal(raw._data.asnumpy(), images[:, :, :, None])


def test_missing_and_corrupt_files_are_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"MNIST: cannot find t10k-images-idx3-ubyte.gz.*%s" % tmp_path):
        MNIST(root=str(tmp_path), train=False)
    with pytest.raises(FileNotFoundError, match="CIFAR10: cannot find test_batch.bin"):
        CIFAR10(root=str(tmp_path), train=False)
    _fake_mnist(str(tmp_path), n=3, train=False)
    labels = os.path.join(str(tmp_path), "t10k-labels-idx1-ubyte.gz")
    _write_idx(labels, np.zeros(3, np.uint8), 2051)  # an image magic number in the label file
    with pytest.raises(ValueError, match="not an IDX label file"):
        MNIST(root=str(tmp_path), train=False)
    with gzip.open(labels, "wb") as f:  # says 4 labels, holds 3
        f.write(struct.pack(">II", 2049, 4) + bytes(3))
    with pytest.raises(ValueError, match="expected 4 bytes of label"):
        MNIST(root=str(tmp_path), train=False)


def test_cifar10_binary_records(tmp_path):
    rng = np.random.RandomState(0)
    folder = tmp_path / "cifar-10-batches-bin"
    folder.mkdir()
    rec = rng.randint(0, 256, size=(4, 3073)).astype(np.uint8)
    rec[:, 0] = [3, 0, 9, 1]
    rec.tofile(str(folder / "test_batch.bin"))
    ds = CIFAR10(root=str(tmp_path), train=False)
    assert len(ds) == 4
    x, y = ds[2]
    assert x.shape == (32, 32, 3) and x.dtype == np.uint8 and y == 9 and type(y) is np.int32
    # a record is the label, then the red, green and blue planes of 32 rows of 32 pixels
    np.testing.assert_array_equal(x.asnumpy()[:, :, 1], rec[2, 1 + 1024:1 + 2048].reshape(32, 32))
    (folder / "test_batch.bin").write_bytes(bytes(3074))
    with pytest.raises(ValueError, match="not a whole number of 3,073-byte records"):
        CIFAR10(root=str(tmp_path), train=False)


# ----------------------------------------------------------------------------------------------------------------
# transforms
# ----------------------------------------------------------------------------------------------------------------
def _img():
    return nd.array(np.arange(2 * 3 * 3).reshape(2, 3, 3) % 256, dtype='uint8')  # (H, W, C) = (2, 3, 3)


def test_to_tensor_and_normalize_as_mxnet():
    y = T.ToTensor()(_img())
    assert y.shape == (3, 2, 3) and y.dtype == np.float32
    np.testing.assert_allclose(y.asnumpy(), np.arange(18).reshape(2, 3, 3).transpose(2, 0, 1) / 255.0, rtol=1e-6)
    for dt in ('float32', 'float64'):
        assert T.ToTensor()(_img().astype(dt)).dtype == np.float32
    z = T.Normalize((0.1, 0.2, 0.3), (0.5, 0.25, 2.0))(y).asnumpy()
    # MXNet 1.9.1, rounded to 4 places
    np.testing.assert_allclose(z[:, 0, :], [[-0.2, -0.1765, -0.1529], [-0.7843, -0.7373, -0.6902],
                                            [-0.1461, -0.1402, -0.1343]], atol=6e-5)
    batch = nd.stack(_img(), _img())
    yb = T.ToTensor()(batch)
    assert yb.shape == (2, 3, 2, 3)
    np.testing.assert_allclose(T.Normalize((0.1, 0.2, 0.3), (0.5, 0.25, 2.0))(yb).asnumpy()[1], z, rtol=1e-6)
    np.testing.assert_allclose(T.Normalize(0.5, 0.25)(y).asnumpy(), (y.asnumpy() - 0.5) / 0.25, rtol=1e-6)


def test_transform_errors_name_the_transform_and_shapes():
    with pytest.raises(ValueError, match=r"Normalize: mean must have either 1 or 3 elements for input with shape "
                                         r"\(3, 2, 3\), but got \[0.1"):
        T.Normalize((0.1, 0.2), (0.5, 0.25))(T.ToTensor()(_img()))
    with pytest.raises(ValueError, match=r"ToTensor: the input must have shape \(height, width, channels\) or "
                                         r"\(N, height, width, channels\), but got \(3,\)"):
        T.ToTensor()(nd.zeros((3,)))
    with pytest.raises(ValueError, match=r"Normalize: .*but got \(2, 2, 2, 2, 2\)"):
        T.Normalize()(nd.zeros((2, 2, 2, 2, 2)))
    with pytest.raises(ValueError, match=r"CenterCrop: size must be an int or \(width, height\), got \(8, 0\)"):
        T.CenterCrop((8, 0))


def test_cast_crop_flip_and_compose():
    img = nd.array(np.arange(30).reshape(5, 6, 1), dtype='uint8')
    assert T.Cast()(img).dtype == np.float32 and T.Cast('float16')(img).dtype == np.float16
    # MXNet 1.9.1: CenterCrop(3) and CenterCrop((width 4, height 2)) of arange(30).reshape(5, 6, 1)
    assert T.CenterCrop(3)(img)[:, :, 0].asnumpy().tolist() == [[7, 8, 9], [13, 14, 15], [19, 20, 21]]
    assert T.CenterCrop((4, 2))(img)[:, :, 0].asnumpy().tolist() == [[7, 8, 9, 10], [13, 14, 15, 16]]
    assert T.CenterCrop(3)(nd.stack(img, img)).shape == (2, 3, 3, 1)
    ref = img.asnumpy()
    for flip, axis in ((T.RandomFlipLeftRight(), 1), (T.RandomFlipTopBottom(), 0)):
        mx.random.seed(0)
        seen = set()
        for _ in range(20):
            out = flip(img).asnumpy()
            assert out.dtype == np.uint8
            if np.array_equal(out, ref):
                seen.add("kept")
            else:
                np.testing.assert_array_equal(out, np.flip(ref, axis))
                seen.add("flipped")
        assert seen == {"kept", "flipped"}
    # as MXNet 1.9.1: consecutive HybridBlocks become one hybridized HybridSequential
    pipeline = T.Compose([T.Cast('float32'), T.ToTensor(), T.Normalize(0.5, 0.5)])
    assert len(pipeline) == 1 and isinstance(pipeline[0], mx.gluon.nn.HybridSequential)
    assert isinstance(pipeline[0][1], T.ToTensor)
    np.testing.assert_allclose(pipeline(img).asnumpy(), (ref.transpose(2, 0, 1) / 255.0 - 0.5) / 0.5, rtol=1e-6)


# ----------------------------------------------------------------------------------------------------------------
# DataLoader with num_workers > 0: a background thread makes the batches ahead, in order
# ----------------------------------------------------------------------------------------------------------------
def test_prefetching_loader_gives_the_same_batches_in_order():
    X = np.arange(70 * 3, dtype=np.float32).reshape(70, 3)
    Y = np.arange(70, dtype=np.int32)
    ds = gluon.data.ArrayDataset(X, Y).transform_first(lambda x: nd.array(x) * 2)
    for mode in ('keep', 'discard', 'rollover'):
        plain = [(a.asnumpy(), b.asnumpy()) for a, b in gluon.data.DataLoader(ds, batch_size=8, last_batch=mode)]
        for workers, prefetch in ((1, None), (4, None), (2, 1)):
            ahead = [(a.asnumpy(), b.asnumpy()) for a, b in gluon.data.DataLoader(
                ds, batch_size=8, last_batch=mode, num_workers=workers, prefetch=prefetch)]
            assert len(ahead) == len(plain)
            for (a, b), (c, d) in zip(plain, ahead):
                np.testing.assert_array_equal(a, c)
                np.testing.assert_array_equal(b, d)
    np.testing.assert_array_equal(plain[0][0], X[:8] * 2)


def test_prefetching_loader_raises_at_the_failing_batch_and_stops_when_left():
    def item(i):
        if i == 13:
            raise KeyError("item 13 is broken")
        return np.float32(i)
    ds = gluon.data.SimpleDataset(list(range(20))).transform(item)
    got = []
    with pytest.raises(KeyError, match="item 13 is broken"):
        for b in gluon.data.DataLoader(ds, batch_size=4, num_workers=2):
            got.append(b.asnumpy().tolist())
    assert got == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]  # the batches before the failing one
    import threading
    import time
    before = {t for t in threading.enumerate() if t.name == "mxc-dataloader"}
    for i, _ in enumerate(gluon.data.DataLoader(gluon.data.SimpleDataset(list(range(1000))), batch_size=2,
                                                num_workers=1, prefetch=1)):
        if i == 2:
            break
    deadline = time.time() + 5
    while {t for t in threading.enumerate() if t.name == "mxc-dataloader"} - before and time.time() < deadline:
        time.sleep(0.02)
    assert not {t for t in threading.enumerate() if t.name == "mxc-dataloader"} - before
    with pytest.raises(ValueError, match="num_workers must be non-negative, but got -1"):
        gluon.data.DataLoader(ds, batch_size=4, num_workers=-1)
