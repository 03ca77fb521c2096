"""mx.io.CSVIter and mx.io.PrefetchingIter against MXNet 1.9.1's printed batches (written in as literals)."""
import threading

import numpy as np
import pytest

import mxc as mx


@pytest.fixture
def csv_files(tmp_path):
    d, l = tmp_path / "d.csv", tmp_path / "l.csv"
    np.savetxt(d, np.arange(21, dtype=np.float32).reshape(7, 3), delimiter=",", fmt="%g")
    np.savetxt(l, np.arange(7, dtype=np.float32), delimiter=",", fmt="%g")
    return str(d), str(l)


def test_csv_iter_round_batch_epochs_as_mxnet(csv_files):
    d, l = csv_files
    it = mx.io.CSVIter(data_csv=d, data_shape=(3,), label_csv=l, batch_size=3)
    assert repr(it.provide_data) == "[DataDesc[data,(3, 3),<class 'numpy.float32'>,NCHW]]"
    assert repr(it.provide_label) == "[DataDesc[softmax_label,(3,),<class 'numpy.float32'>,NCHW]]"
    got = []
    for ep in range(2):
        for b in it:
            got.append((ep, b.data[0].asnumpy().tolist(), b.label[0].asnumpy().tolist(), b.pad,
                        b.index.tolist()))
        it.reset()
    # MXNet 1.9.1: the padded batch borrows rows 0 and 1, and the second epoch starts at row 2 and ends at the end
    # of the file (two batches).
    assert got == [
        (0, [[0, 1, 2], [3, 4, 5], [6, 7, 8]], [0, 1, 2], 0, [0, 1, 2]),
        (0, [[9, 10, 11], [12, 13, 14], [15, 16, 17]], [3, 4, 5], 0, [3, 4, 5]),
        (0, [[18, 19, 20], [0, 1, 2], [3, 4, 5]], [6, 0, 1], 2, [6, 0, 1]),
        (1, [[6, 7, 8], [9, 10, 11], [12, 13, 14]], [2, 3, 4], 0, [2, 3, 4]),
        (1, [[15, 16, 17], [18, 19, 20], [0, 1, 2]], [5, 6, 0], 1, [5, 6, 0]),
    ]


def test_csv_iter_options(csv_files):
    d, l = csv_files
    # round_batch=False: pad 2 (MXNet leaves the previous batch's rows there; mxc zeros), labels zeros without a file.
    last = list(mx.io.CSVIter(data_csv=d, data_shape=(3,), batch_size=3, round_batch=False))[-1]
    assert last.pad == 2 and last.data[0].asnumpy().tolist() == [[18, 19, 20], [0, 0, 0], [0, 0, 0]]
    assert last.label[0].asnumpy().tolist() == [0, 0, 0]
    it = mx.io.CSVIter(data_csv=d, data_shape=(1, 3), batch_size=4)
    assert it.provide_data[0].shape == (4, 1, 3) and it.provide_label[0].shape == (4,)
    b = it.next()
    assert b.data[0].shape == (4, 1, 3) and b.label[0].shape == (4,)
    it = mx.io.CSVIter(data_csv=d, data_shape=(3,), label_csv=l, batch_size=3, dtype="int32")
    b = it.next()
    assert b.data[0].dtype == np.int32 and b.label[0].dtype == np.int32
    assert it.provide_data[0].dtype == np.int32
    b = mx.io.CSVIter(data_csv=d, data_shape=(3,), label_csv=d, label_shape=(3,), batch_size=7).next()
    assert b.label[0].shape == (7, 3) and b.pad == 0
    np.testing.assert_array_equal(b.label[0].asnumpy(), np.arange(21).reshape(7, 3))


def test_csv_iter_errors(csv_files, tmp_path):
    d, l = csv_files
    with pytest.raises(ValueError, match=r"have 3 values but the shape \(4,\) has 4"):
        mx.io.CSVIter(data_csv=d, data_shape=(4,), batch_size=3)
    with pytest.raises(FileNotFoundError, match="nope.csv"):
        mx.io.CSVIter(data_csv=str(tmp_path / "nope.csv"), data_shape=(3,), batch_size=3)
    short = tmp_path / "s.csv"
    np.savetxt(short, np.arange(3), delimiter=",")
    with pytest.raises(ValueError, match="has 3 rows but"):
        mx.io.CSVIter(data_csv=d, data_shape=(3,), label_csv=str(short), batch_size=3)
    with pytest.raises(TypeError, match="unknown argument"):
        mx.io.CSVIter(data_csv=d, data_shape=(3,), batch_size=3, bogus=1)


def test_prefetching_iter_as_mxnet():
    base = mx.io.NDArrayIter(np.arange(12).reshape(6, 2), np.arange(6), batch_size=4)
    p = mx.io.PrefetchingIter(base)
    assert p.provide_data[0].shape == (4, 2) and p.provide_label[0].name == "softmax_label"
    got = [(b.data[0].asnumpy().tolist(), b.label[0].asnumpy().tolist(), b.pad) for b in p]
    assert got == [([[0, 1], [2, 3], [4, 5], [6, 7]], [0, 1, 2, 3], 0),
                   ([[8, 9], [10, 11], [0, 1], [2, 3]], [4, 5, 0, 1], 2)]
    p.reset()
    assert len(list(p)) == 2
    p = mx.io.PrefetchingIter(
        [mx.io.NDArrayIter(np.arange(12).reshape(6, 2), np.arange(6), batch_size=4),
         mx.io.NDArrayIter({"b": np.ones((6, 3))}, batch_size=4)], rename_data=[{"data": "a"}, {"b": "bb"}])
    assert [(d.name, d.shape) for d in p.provide_data] == [("a", (4, 2)), ("bb", (4, 3))]
    assert [d.name for d in p.provide_label] == ["softmax_label"]
    b = p.next()
    assert [d.shape for d in b.data] == [(4, 2), (4, 3)] and [x.shape for x in b.label] == [(4,)]


def test_prefetching_iter_runs_ahead_and_passes_errors():
    made = []

    class Slow(mx.io.DataIter):
        def __init__(self, fail_at=None):
            super().__init__(2)
            self.k, self.fail_at = 0, fail_at
            self.provide_data = [mx.io.DataDesc("data", (2,))]
            self.provide_label = []

        def reset(self):
            self.k = 0

        def next(self):
            if self.k == 3:
                raise StopIteration
            if self.k == self.fail_at:
                raise RuntimeError("broken batch %d" % self.k)
            self.k += 1
            made.append((self.k, threading.current_thread() is threading.main_thread()))
            return mx.io.DataBatch([mx.nd.array([self.k, self.k])], [], pad=0)

    p = mx.io.PrefetchingIter(Slow())
    assert [b.data[0].asnumpy()[0] for b in p] == [1, 2, 3]
    assert made and not any(main for _, main in made)  # made in the background thread
    with pytest.raises(RuntimeError, match="broken batch 1"):
        list(mx.io.PrefetchingIter(Slow(fail_at=1)))
