"""mx.nd.sparse, second part: conversions between dense and csr / row_sparse storage as operators (no host NumPy
work but reading back one count), ``retain``, the row set of Embedding(sparse_grad=True) gradients and
``KVStore.row_sparse_pull`` -- against NumPy references and values printed by MXNet 1.9.1. Runs on the default
context (MXC_TEST_DEFAULT_CTX=gpu: the emulated or real GPU)."""
import numpy as np
import pytest

import mxc as mx
from mxc.ndarray import sparse as sp
from mxc.test_utils import default_context


def _sparse_values(rng, shape, dtype, density=0.35, zero_rows=(1,)):
    a = rng.uniform(-3, 3, size=shape)
    a[rng.uniform(size=shape) > density] = 0
    for r in zero_rows:
        if r < shape[0]:
            a[r] = 0
    a = a.astype(dtype)
    if np.issubdtype(np.dtype(dtype), np.integer):
        a[a == 0] = 0
    return a


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.float16])
def test_dense_to_csr_against_numpy(dtype):
    rng = np.random.RandomState(3)
    a = _sparse_values(rng, (7, 9), dtype)
    x = mx.nd.array(a, ctx=default_context(), dtype=dtype)
    for c in (x.tostype('csr'), mx.nd.sparse.cast_storage(x, 'csr'), mx.nd.sparse.csr_matrix(x)):
        assert c.stype == 'csr' and c.shape == a.shape and c.dtype == np.dtype(dtype)
        rows, cols = np.nonzero(a)
        indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=7))])
        np.testing.assert_array_equal(c.indptr.asnumpy(), indptr)
        np.testing.assert_array_equal(c.indices.asnumpy(), cols)
        np.testing.assert_array_equal(c.data.asnumpy(), a[rows, cols])
        assert c.indices.dtype == np.int64 and c.indptr.dtype == np.int64
        np.testing.assert_array_equal(c.tostype('default').asnumpy(), a)
        np.testing.assert_array_equal(c.asnumpy(), a)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.float16])
def test_dense_to_row_sparse_against_numpy(dtype):
    rng = np.random.RandomState(4)
    a = _sparse_values(rng, (8, 2, 3), dtype, density=0.2, zero_rows=(1, 5))
    x = mx.nd.array(a, ctx=default_context(), dtype=dtype)
    keep = np.nonzero(a.reshape(8, -1).any(axis=1))[0]
    for r in (x.tostype('row_sparse'), mx.nd.sparse.cast_storage(x, 'row_sparse'), mx.nd.sparse.row_sparse_array(x)):
        assert r.stype == 'row_sparse' and r.shape == a.shape
        np.testing.assert_array_equal(r.indices.asnumpy(), keep)
        np.testing.assert_array_equal(r.data.asnumpy(), a[keep])
        np.testing.assert_array_equal(r.tostype('default').asnumpy(), a)
    # between the sparse types
    c = x.reshape((8, 6)).tostype('csr')
    r2 = c.tostype('row_sparse')
    np.testing.assert_array_equal(r2.indices.asnumpy(), keep)
    np.testing.assert_array_equal(r2.tostype('csr').asnumpy(), a.reshape(8, 6))


def test_all_zero_and_empty_arrays():
    z = mx.nd.zeros((3, 4), ctx=default_context())
    c = z.tostype('csr')
    assert c.data.shape == (0,) and c.indices.shape == (0,)
    np.testing.assert_array_equal(c.indptr.asnumpy(), [0, 0, 0, 0])
    r = z.tostype('row_sparse')
    assert r.data.shape == (0, 4) and r.indices.shape == (0,)
    e = mx.nd.zeros((0, 5), ctx=default_context())
    assert e.tostype('csr').indptr.shape == (1,)
    assert e.tostype('row_sparse').data.shape == (0, 5)
    np.testing.assert_array_equal(c.tostype('default').asnumpy(), np.zeros((3, 4)))


def test_csr_with_repeated_entries_densifies_to_their_sum():
    c = mx.nd.sparse.csr_matrix(([1., 2, 4, 8], [3, 3, 0, 3], [0, 2, 2, 4]), shape=(3, 4), ctx=default_context())
    np.testing.assert_array_equal(c.asnumpy(), [[0, 0, 0, 3], [0, 0, 0, 0], [4, 0, 0, 8]])


def test_bad_structure_raises_naming_the_operator():
    c = mx.nd.sparse.csr_matrix(([1., 2], [0, 7], [0, 1, 2]), shape=(2, 4), ctx=default_context())
    with pytest.raises(mx.base.MXNetError, match="_sparse_csr_todense.*column index 7"):
        c.asnumpy()
    x = mx.nd.array([[1, 0], [2, 3]], ctx=default_context())
    with pytest.raises(mx.base.MXNetError, match="_sparse_csr_fill"):
        ptr = mx.nd.array([0, 1, 2], ctx=default_context(), dtype='int64')
        mx.nd.sparse._call(mx.nd.sparse._op("_sparse_csr_fill"), (x, ptr), nnz=2)[0].wait_to_read()
    with pytest.raises(mx.base.MXNetError, match="csr storage needs a 2-D"):
        mx.nd.ones((2, 3, 4), ctx=default_context()).tostype('csr')


def test_conversions_do_no_host_work(monkeypatch):
    """dense -> csr -> dense, dense -> row_sparse -> dense and retain: no NumPy bookkeeping (the host helpers of
    sparse.py are not called) and the only device -> host copies are the one-element counts."""
    a = np.array([[0, 1.5, 0, 2], [0, 0, 0, 0], [3, 0, 0, -1]], np.float32)
    x = mx.nd.array(a, ctx=default_context())
    x.wait_to_read()
    sizes = []
    orig = mx.nd.NDArray.asnumpy

    def counting(self):
        sizes.append(int(np.prod(self.shape)))
        return orig(self)

    def forbidden(*args, **kwargs):
        raise AssertionError("host NumPy work in a native conversion")
    monkeypatch.setattr(mx.nd.NDArray, "asnumpy", counting)
    for name in ("_host", "_from_numpy", "_dev"):
        monkeypatch.setattr(sp, name, forbidden)
    c = x.tostype('csr')
    d = c.tostype('default')
    r = x.tostype('row_sparse')
    d2 = r.tostype('default')
    k = mx.nd.sparse.retain(r, mx.nd.array([2, 1], ctx=default_context(), dtype='int64'))
    kd = k.tostype('default')
    assert sizes == [1, 1]  # the nnz of the csr and the row count of the row_sparse array
    monkeypatch.undo()
    np.testing.assert_array_equal(d.asnumpy(), a)
    np.testing.assert_array_equal(d2.asnumpy(), a)
    np.testing.assert_array_equal(k.indices.asnumpy(), [2, 1])
    np.testing.assert_array_equal(kd.asnumpy(), [[0, 0, 0, 0], [0, 0, 0, 0], [3, 0, 0, -1]])
    assert d.context == default_context() and r.data.context == default_context()


def test_retain_as_mxnet():
    # MXNet 1.9.1: the result's indices are the requested rows (as given), rows not stored are zeros
    r = mx.nd.sparse.row_sparse_array((mx.nd.array([[1, 2], [3, 4], [5, 6]]), mx.nd.array([0, 2, 4])), shape=(6, 2),
                                      ctx=default_context())
    for ids, want_idx, want in (([4, 0, 9], [4, 0, 9], [[5, 6], [1, 2], [0, 0]]),
                                ([0, 3], [0, 3], [[1, 2], [0, 0]]),
                                ([1, 3], [1, 3], [[0, 0], [0, 0]]),
                                ([4, 2], [4, 2], [[5, 6], [3, 4]]),
                                ([2, 2], [2, 2], [[3, 4], [3, 4]])):
        k = mx.nd.sparse.retain(r, mx.nd.array(ids, ctx=default_context()))
        assert k.stype == 'row_sparse' and k.shape == (6, 2)
        np.testing.assert_array_equal(k.indices.asnumpy(), want_idx)
        np.testing.assert_array_equal(k.data.asnumpy(), want)
    # from a plain list too, and as the method
    np.testing.assert_array_equal(r.retain([2]).data.asnumpy(), [[3, 4]])


def test_embedding_sparse_grad_lists_every_looked_up_row_as_mxnet():
    w = mx.nd.array(np.arange(12).reshape(6, 2) * 0.1, ctx=default_context())
    w.attach_grad(stype='row_sparse')
    x = mx.nd.array([[1, 3], [3, 5]], ctx=default_context())
    mask = mx.nd.array([[[1, 1], [0, 0]], [[0, 0], [0, 0]]], ctx=default_context())
    with mx.autograd.record():
        y = mx.nd.Embedding(x, w, input_dim=6, output_dim=2, sparse_grad=True)
        loss = (y * mask).sum()
    loss.backward()
    g = w.grad
    # MXNet 1.9.1 printed: rows [1 3 5], data [[1, 1], [0, 0], [0, 0]]
    np.testing.assert_array_equal(g.indices.asnumpy(), [1, 3, 5])
    np.testing.assert_array_equal(g.data.asnumpy(), [[1, 1], [0, 0], [0, 0]])
    # a second write-backward: the rows of that lookup only
    with mx.autograd.record():
        loss = mx.nd.Embedding(mx.nd.array([2, 2], ctx=default_context()), w, input_dim=6, output_dim=2,
                               sparse_grad=True).sum()
    loss.backward()
    np.testing.assert_array_equal(w.grad.indices.asnumpy(), [2])
    np.testing.assert_array_equal(w.grad.data.asnumpy(), [[2, 2]])


@pytest.mark.parametrize("bad", [4, -1])
def test_embedding_sparse_grad_out_of_bound_index_raises_as_mxnet(bad):
    # MXNet 1.9.1: the forward clips (index 4 gives row 3, -1 gives row 0), the row_sparse gradient raises
    # "Embedding input contains data out of bound"
    w = mx.nd.array(np.arange(12).reshape(4, 3), ctx=default_context())
    w.attach_grad(stype='row_sparse')
    with mx.autograd.record():
        y = mx.nd.Embedding(mx.nd.array([1, bad], ctx=default_context()), w, input_dim=4, output_dim=3,
                            sparse_grad=True)
    np.testing.assert_array_equal(y.asnumpy(), [[3, 4, 5], [9, 10, 11] if bad == 4 else [0, 1, 2]])
    y.backward()
    with pytest.raises(mx.base.MXNetError, match=r"index %d, out of bound for a weight of shape \(4, 3\)" % bad):
        w.grad.asnumpy()
    # the weight is untouched and a valid lookup still works afterwards
    np.testing.assert_array_equal(w.asnumpy(), np.arange(12).reshape(4, 3))
    with mx.autograd.record():
        y = mx.nd.Embedding(mx.nd.array([3], ctx=default_context()), w, input_dim=4, output_dim=3, sparse_grad=True)
    y.backward()
    np.testing.assert_array_equal(w.grad.indices.asnumpy(), [3])


def test_embedding_sparse_grad_of_two_lookups_joins_their_rows():
    w = mx.nd.array(np.arange(12).reshape(6, 2) * 0.1, ctx=default_context())
    w.attach_grad(stype='row_sparse')
    with mx.autograd.record():
        a = mx.nd.Embedding(mx.nd.array([5], ctx=default_context()), w, input_dim=6, output_dim=2, sparse_grad=True)
        b = mx.nd.Embedding(mx.nd.array([[0, 2]], ctx=default_context()), w, input_dim=6, output_dim=2,
                            sparse_grad=True)
        loss = a.sum() + (b * 2).sum()
    loss.backward()
    # MXNet 1.9.1 printed: rows [0 2 5], data [[2, 2], [2, 2], [1, 1]]
    np.testing.assert_array_equal(w.grad.indices.asnumpy(), [0, 2, 5])
    np.testing.assert_array_equal(w.grad.data.asnumpy(), [[2, 2], [2, 2], [1, 1]])


def test_lookups_without_backward_are_dropped_by_the_next_recording():
    w = mx.nd.ones((6, 2), ctx=default_context())
    w.attach_grad(stype='row_sparse')
    with mx.autograd.record():
        mx.nd.Embedding(mx.nd.array([1], ctx=default_context()), w, input_dim=6, output_dim=2, sparse_grad=True)
    with mx.autograd.record():
        loss = mx.nd.Embedding(mx.nd.array([4], ctx=default_context()), w, input_dim=6, output_dim=2,
                               sparse_grad=True).sum()
    loss.backward()
    np.testing.assert_array_equal(w.grad.indices.asnumpy(), [4])
    assert not mx.nd.sparse._LOOKUPS


def test_unique_rows_natively():
    rows = sp.unique_rows(mx.nd.array([[5, 1], [1, 0]], ctx=default_context()), 6, default_context())
    np.testing.assert_array_equal(rows.asnumpy(), [0, 1, 5])
    assert rows.dtype == np.int64


def test_kvstore_row_sparse_pull_as_mxnet():
    kv = mx.kv.create('local')
    kv.init('w', mx.nd.array(np.arange(12).reshape(6, 2), ctx=default_context()).tostype('row_sparse'))
    out = mx.nd.sparse.zeros('row_sparse', (6, 2), ctx=default_context())
    kv.row_sparse_pull('w', out=out, row_ids=mx.nd.array([3, 0, 3], ctx=default_context()))
    # MXNet 1.9.1 printed values
    assert out.stype == 'row_sparse' and out.context == default_context()
    np.testing.assert_array_equal(out.indices.asnumpy(), [0, 3])
    np.testing.assert_array_equal(out.data.asnumpy(), [[0, 1], [6, 7]])
    outs = [mx.nd.sparse.zeros('row_sparse', (6, 2), ctx=default_context()) for _ in range(2)]
    kv.row_sparse_pull('w', out=outs, row_ids=[mx.nd.array([1], ctx=default_context()),
                                               mx.nd.array([2, 5], ctx=default_context())])
    np.testing.assert_array_equal(outs[0].indices.asnumpy(), [1])
    np.testing.assert_array_equal(outs[0].data.asnumpy(), [[2, 3]])
    np.testing.assert_array_equal(outs[1].indices.asnumpy(), [2, 5])
    np.testing.assert_array_equal(outs[1].data.asnumpy(), [[4, 5], [10, 11]])
    o = mx.nd.sparse.zeros('row_sparse', (6, 2), ctx=default_context())
    kv.row_sparse_pull('w', out=o, row_ids=mx.nd.array([], dtype='int64', ctx=default_context()))
    assert o.indices.shape == (0,) and o.data.shape == (0, 2)
    kv.push('w', mx.nd.ones((6, 2), ctx=default_context()).tostype('row_sparse'))
    kv.row_sparse_pull('w', out=o, row_ids=mx.nd.array([4], ctx=default_context()))
    np.testing.assert_array_equal(o.indices.asnumpy(), [4])
    np.testing.assert_array_equal(o.data.asnumpy(), [[1, 1]])
    # MXNet 1.9.1 refuses a dense stored value and a dense output
    kv.init('d', mx.nd.ones((6, 2), ctx=default_context()))
    with pytest.raises(mx.base.MXNetError, match="row_sparse"):
        kv.row_sparse_pull('d', out=o, row_ids=mx.nd.array([1], ctx=default_context()))
    with pytest.raises(mx.base.MXNetError, match="row_sparse"):
        kv.row_sparse_pull('w', out=mx.nd.zeros((6, 2), ctx=default_context()), row_ids=mx.nd.array([1]))
    with pytest.raises(mx.base.MXNetError, match="row_ids"):
        kv.row_sparse_pull('w', out=o)
