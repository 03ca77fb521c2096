"""mx.nd.sparse: CSRNDArray / RowSparseNDArray construction, conversion and components, sparse dot (the
_sparse_csr_dot operator) and its gradient, stype-keeping arithmetic, storage fallback, row_sparse gradients of
Embedding and lazy optimizer updates -- against NumPy references and values printed by MXNet 1.9.1."""
import numpy as np
import pytest

import mxc as mx
from mxc.test_utils import default_context


# MXNet 1.9.1: csr_matrix(([1, 2, 3], [0, 2, 1], [0, 2, 2, 3]), shape=(3, 4))
A_DENSE = np.array([[1, 0, 2, 0], [0, 0, 0, 0], [0, 3, 0, 0]], dtype=np.float32)


def _a():
    return mx.nd.sparse.csr_matrix(([1., 2, 3], [0, 2, 1], [0, 2, 2, 3]), shape=(3, 4), ctx=default_context())


def _random_csr(rng, m, k, density=0.3):
    d = rng.uniform(-1, 1, size=(m, k)).astype(np.float32)
    d[rng.uniform(size=(m, k)) > density] = 0
    return d


def test_csr_components_and_repr():
    a = _a()
    assert isinstance(a, mx.nd.sparse.CSRNDArray) and isinstance(a, mx.nd.NDArray)
    assert a.stype == 'csr' and a.shape == (3, 4) and a.dtype == np.float32 and a.context == default_context()
    np.testing.assert_array_equal(a.data.asnumpy(), [1, 2, 3])
    np.testing.assert_array_equal(a.indices.asnumpy(), [0, 2, 1])
    np.testing.assert_array_equal(a.indptr.asnumpy(), [0, 2, 2, 3])
    assert a.indices.dtype == np.int64 and a.indptr.dtype == np.int64
    np.testing.assert_array_equal(a.asnumpy(), A_DENSE)
    assert repr(a) == "\n<CSRNDArray 3x4 @%s>" % default_context()
    a.wait_to_read()
    assert mx.nd.ones((2, 2)).stype == 'default'


def test_csr_dtype_rules_as_mxnet():
    # MXNet 1.9.1: float64 NumPy data keeps float64; lists give float32
    assert mx.nd.sparse.csr_matrix((np.array([1., 2]), [0, 1], [0, 1, 2]), shape=(2, 2)).dtype == np.float64
    assert mx.nd.sparse.csr_matrix(([1, 2], [0, 1], [0, 1, 2]), shape=(2, 2)).dtype == np.float32
    assert mx.nd.sparse.csr_matrix(np.array([[0, 1.], [2, 0]])).dtype == np.float64
    assert mx.nd.sparse.row_sparse_array(([[1, 2.]], [1]), shape=(3, 2)).dtype == np.float32


def test_csr_from_dense_and_back():
    rng = np.random.RandomState(0)
    d = _random_csr(rng, 5, 7)
    for src in (d, mx.nd.array(d, ctx=default_context())):
        c = mx.nd.sparse.csr_matrix(src)
        np.testing.assert_array_equal(c.asnumpy(), d)
        rows, cols = np.nonzero(d)
        np.testing.assert_array_equal(c.indices.asnumpy(), cols)
        np.testing.assert_array_equal(c.indptr.asnumpy(), np.concatenate([[0], np.cumsum((d != 0).sum(1))]))
        np.testing.assert_array_equal(c.data.asnumpy(), d[rows, cols])
    # MXNet 1.9.1: array([[0,1,0],[0,0,0],[2,0,3]]).tostype('csr').indptr == [0 1 1 3]
    x = mx.nd.array([[0, 1, 0], [0, 0, 0], [2, 0, 3]], ctx=default_context())
    np.testing.assert_array_equal(x.tostype('csr').indptr.asnumpy(), [0, 1, 1, 3])
    np.testing.assert_array_equal(x.tostype('row_sparse').indices.asnumpy(), [0, 2])


def test_row_sparse_components():
    r = mx.nd.sparse.row_sparse_array((np.ones((2, 3), dtype=np.float32), [0, 2]), shape=(4, 3), ctx=default_context())
    assert r.stype == 'row_sparse' and r.shape == (4, 3)
    assert repr(r) == "\n<RowSparseNDArray 4x3 @%s>" % default_context()
    np.testing.assert_array_equal(r.indices.asnumpy(), [0, 2])
    assert r.indices.dtype == np.int64
    np.testing.assert_array_equal(r.asnumpy(), [[1, 1, 1], [0, 0, 0], [1, 1, 1], [0, 0, 0]])
    # MXNet 1.9.1: row_sparse_array(np.array([[0,0],[1,2.]])).indices == [1]
    np.testing.assert_array_equal(mx.nd.sparse.row_sparse_array(np.array([[0, 0], [1, 2.]])).indices.asnumpy(), [1])


def test_zeros_and_empty_components():
    z = mx.nd.sparse.zeros('csr', (2, 3), ctx=default_context())
    assert z.stype == 'csr' and z.data.shape == (0,) and z.indices.shape == (0,)
    np.testing.assert_array_equal(z.indptr.asnumpy(), [0, 0, 0])
    np.testing.assert_array_equal(z.asnumpy(), np.zeros((2, 3)))
    z = mx.nd.sparse.zeros('row_sparse', (2, 3), ctx=default_context())
    assert z.data.shape == (0, 3) and z.indices.shape == (0,)
    np.testing.assert_array_equal(z.asnumpy(), np.zeros((2, 3)))
    assert mx.nd.sparse.zeros('default', (2, 2)).stype == 'default'
    with pytest.raises(mx.base.MXNetError):
        mx.nd.sparse.zeros('bogus', (2, 2))


def test_cast_storage_every_direction():
    rng = np.random.RandomState(1)
    d = _random_csr(rng, 6, 4, 0.4)
    d[2] = 0
    x = mx.nd.array(d, ctx=default_context())
    for s1 in ('default', 'csr', 'row_sparse'):
        a = mx.nd.cast_storage(x, s1)
        assert a.stype == s1
        for s2 in ('default', 'csr', 'row_sparse'):
            b = a.tostype(s2)
            assert b.stype == s2 and b.shape == d.shape
            np.testing.assert_array_equal(b.asnumpy(), d)
            assert mx.nd.cast_storage(a, s2).stype == s2
    rsp = x.tostype('row_sparse')
    np.testing.assert_array_equal(rsp.indices.asnumpy(), np.nonzero(d.any(1))[0])


def test_copy_copyto_as_in_context():
    a = _a()
    b = a.copy()
    assert b.stype == 'csr' and b is not a
    np.testing.assert_array_equal(b.asnumpy(), A_DENSE)
    c = a.copyto(mx.cpu())
    assert c.context == mx.cpu() and c.stype == 'csr'
    np.testing.assert_array_equal(c.asnumpy(), A_DENSE)
    assert a.as_in_context(default_context()) is a
    dense = mx.nd.zeros((3, 4), ctx=default_context())
    a.copyto(dense)
    np.testing.assert_array_equal(dense.asnumpy(), A_DENSE)
    target = mx.nd.sparse.zeros('csr', (3, 4), ctx=default_context())
    a.copyto(target)
    np.testing.assert_array_equal(target.asnumpy(), A_DENSE)
    np.testing.assert_array_equal(target.indptr.asnumpy(), [0, 2, 2, 3])


def test_csr_row_slicing():
    a = _a()
    s = a[1:3]
    assert s.stype == 'csr' and s.shape == (2, 4)
    np.testing.assert_array_equal(s.asnumpy(), A_DENSE[1:3])
    np.testing.assert_array_equal(s.indptr.asnumpy(), [0, 0, 1])
    assert a[1].shape == (1, 4)  # MXNet 1.9.1: a CSRNDArray 1x4
    np.testing.assert_array_equal(a[-1].asnumpy(), A_DENSE[2:3])
    with pytest.raises(ValueError, match="continuous slicing"):
        a[0:3:2]
    rng = np.random.RandomState(2)
    d = _random_csr(rng, 8, 5)
    c = mx.nd.sparse.csr_matrix(d)
    for lo, hi in ((0, 8), (2, 5), (5, 5), (-3, None)):
        np.testing.assert_array_equal(c[lo:hi].asnumpy(), d[lo:hi])
    # MXNet 1.9.1: sparse.slice(a, begin=(1, 1), end=(3, 4)) is a 2x3 csr [[0,0,0],[3,0,0]]
    s2 = mx.nd.sparse.slice(a, begin=(1, 1), end=(3, 4))
    assert s2.stype == 'csr'
    np.testing.assert_array_equal(s2.asnumpy(), [[0, 0, 0], [3, 0, 0]])
    assert mx.nd.sparse.slice(a, begin=(1,), end=(3,)).stype == 'csr'


def test_asscipy():
    sps = pytest.importorskip("scipy.sparse")
    m = _a().asscipy()
    assert isinstance(m, sps.csr_matrix)
    np.testing.assert_array_equal(m.toarray(), A_DENSE)
    b = mx.nd.sparse.array(sps.csr_matrix(A_DENSE))
    assert b.stype == 'csr'
    np.testing.assert_array_equal(b.asnumpy(), A_DENSE)


def test_sparse_array_function():
    a = _a()
    assert mx.nd.sparse.array(a).stype == 'csr'
    r = a.tostype('row_sparse')
    assert mx.nd.sparse.array(r).stype == 'row_sparse'
    with pytest.raises(ValueError):
        mx.nd.sparse.array(np.ones((2, 2)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dot_csr_dense_against_numpy(dtype):
    rng = np.random.RandomState(3)
    d = _random_csr(rng, 9, 6).astype(dtype)
    a = mx.nd.sparse.csr_matrix(d, ctx=default_context())
    x = rng.uniform(-1, 1, size=(6, 4)).astype(dtype)
    y = mx.nd.sparse.dot(a, mx.nd.array(x, ctx=default_context(), dtype=dtype))
    assert y.stype == 'default' and y.dtype == dtype
    np.testing.assert_allclose(y.asnumpy(), d @ x, rtol=1e-5, atol=1e-6)
    xt = rng.uniform(-1, 1, size=(9, 3)).astype(dtype)
    yt = mx.nd.sparse.dot(a, mx.nd.array(xt, ctx=default_context(), dtype=dtype), transpose_a=True)
    assert yt.stype == 'row_sparse'  # as MXNet 1.9.1: the rows of the csr's columns
    np.testing.assert_array_equal(yt.indices.asnumpy(), np.unique(np.nonzero(d)[1]))
    np.testing.assert_allclose(yt.asnumpy(), d.T @ xt, rtol=1e-5, atol=1e-6)
    # 1-D rhs
    v = rng.uniform(-1, 1, size=6).astype(dtype)
    np.testing.assert_allclose(mx.nd.sparse.dot(a, mx.nd.array(v, ctx=default_context(), dtype=dtype)).asnumpy(), d @ v,
                               rtol=1e-5, atol=1e-6)


def test_dot_as_mxnet():
    a = _a()
    # MXNet 1.9.1 printed values
    np.testing.assert_array_equal(mx.nd.sparse.dot(a, mx.nd.ones((4, 2), ctx=default_context())).asnumpy(),
                                  [[3, 3], [0, 0], [3, 3]])
    t = mx.nd.sparse.dot(a, mx.nd.ones((3, 2), ctx=default_context()), transpose_a=True)
    np.testing.assert_array_equal(t.indices.asnumpy(), [0, 1, 2])
    np.testing.assert_array_equal(t.data.asnumpy(), [[1, 1], [3, 3], [2, 2]])
    c = mx.nd.sparse.dot(mx.nd.array([[1, 0, 0], [0, 0, 0.]], ctx=default_context()), a)
    assert c.stype == 'csr'
    np.testing.assert_array_equal(c.indices.asnumpy(), [0, 1, 2, 0, 1, 2])
    np.testing.assert_array_equal(c.indptr.asnumpy(), [0, 3, 6])
    np.testing.assert_array_equal(c.data.asnumpy(), [1, 0, 2, 0, 0, 0])


def test_dot_gradient_through_autograd():
    rng = np.random.RandomState(4)
    d = _random_csr(rng, 5, 4, 0.5)
    a = mx.nd.sparse.csr_matrix(d, ctx=default_context())
    w = mx.nd.array(rng.uniform(-1, 1, size=(4, 3)), ctx=default_context())
    w.attach_grad()
    head = rng.uniform(-1, 1, size=(5, 3)).astype(np.float32)
    with mx.autograd.record():
        y = mx.nd.sparse.dot(a, w)
    y.backward(mx.nd.array(head, ctx=default_context()))
    np.testing.assert_allclose(w.grad.asnumpy(), d.T @ head, rtol=1e-5, atol=1e-6)


def test_dot_errors_name_the_operator():
    a = _a()
    with pytest.raises(mx.base.MXNetError, match="_sparse_csr_dot"):
        mx.nd.sparse.dot(a, mx.nd.ones((3, 2), ctx=default_context())).wait_to_read()
    bad = mx.nd.sparse.csr_matrix(([1., 2], [0, 9], [0, 1, 2]), shape=(2, 4), ctx=default_context())
    with pytest.raises(mx.base.MXNetError, match="column index 9"):
        mx.nd.sparse.dot(bad, mx.nd.ones((4, 2), ctx=default_context())).wait_to_read()


def test_stypes_of_arithmetic_as_mxnet():
    a = _a()
    r = mx.nd.sparse.row_sparse_array((np.ones((2, 3), dtype=np.float32), [0, 2]), shape=(4, 3), ctx=default_context())
    # MXNet 1.9.1: csr default row_sparse default default csr row_sparse
    assert [(a * 2).stype, (a + 1).stype, (r * 2).stype, (r + 1).stype, (a - 1).stype, (a / 2).stype,
            (r / 2).stype] == ['csr', 'default', 'row_sparse', 'default', 'default', 'csr', 'row_sparse']
    assert [(a + a).stype, (r + r).stype, (a * a).stype] == ['csr', 'row_sparse', 'csr']
    np.testing.assert_array_equal((a * 2).asnumpy(), A_DENSE * 2)
    np.testing.assert_array_equal((a + 1).asnumpy(), A_DENSE + 1)
    np.testing.assert_array_equal((2 * a).asnumpy(), A_DENSE * 2)
    np.testing.assert_array_equal((a / 2).asnumpy(), A_DENSE / 2)
    for f in ('elemwise_add', 'elemwise_sub', 'elemwise_mul'):
        assert getattr(mx.nd.sparse, f)(a, a).stype == 'csr'
        assert getattr(mx.nd.sparse, f)(r, r).stype == 'row_sparse'


def test_elemwise_on_different_structures():
    rng = np.random.RandomState(5)
    d1, d2 = _random_csr(rng, 6, 5), _random_csr(rng, 6, 5)
    a, b = mx.nd.sparse.csr_matrix(d1, ctx=default_context()), mx.nd.sparse.csr_matrix(d2, ctx=default_context())
    for f, ref in (('elemwise_add', d1 + d2), ('elemwise_sub', d1 - d2), ('elemwise_mul', d1 * d2)):
        c = getattr(mx.nd.sparse, f)(a, b)
        assert c.stype == 'csr'
        np.testing.assert_allclose(c.asnumpy(), ref, rtol=1e-6)
    # MXNet 1.9.1: row_sparse results on the union of the rows
    r = mx.nd.sparse.row_sparse_array(([[1., 2], [3, 4]], [0, 2]), shape=(4, 2), ctx=default_context())
    s = mx.nd.sparse.row_sparse_array(([[1., 1]], [2]), shape=(4, 2), ctx=default_context())
    expect = {'elemwise_add': [[1, 2], [4, 5]], 'elemwise_sub': [[1, 2], [2, 3]], 'elemwise_mul': [[0, 0], [3, 4]]}
    for f, v in expect.items():
        c = getattr(mx.nd.sparse, f)(r, s)
        assert c.stype == 'row_sparse'
        np.testing.assert_array_equal(c.indices.asnumpy(), [0, 2])
        np.testing.assert_array_equal(c.data.asnumpy(), v)
    # mixed storage: dense result
    m = mx.nd.sparse.elemwise_add(a, mx.nd.array(d2, ctx=default_context()))
    assert m.stype == 'default'
    np.testing.assert_allclose(m.asnumpy(), d1 + d2, rtol=1e-6)


def test_unary_keep_zeros_and_storage():
    a = _a()
    r = a.tostype('row_sparse')
    for name, fn in (('square', np.square), ('sqrt', np.sqrt), ('abs', np.abs), ('sign', np.sign),
                     ('negative', np.negative), ('relu', lambda v: np.maximum(v, 0)), ('sin', np.sin),
                     ('tanh', np.tanh)):
        f = getattr(mx.nd.sparse, name)
        for x in (a, r):
            y = f(x)
            assert y.stype == x.stype, name
            np.testing.assert_allclose(y.asnumpy(), fn(A_DENSE), rtol=1e-6, err_msg=name)
    # MXNet 1.9.1: square of a row_sparse keeps its rows
    assert mx.nd.sparse.square(r).indices.asnumpy().tolist() == [0, 2]


def test_sum_mean_dense_results():
    a = _a()
    # MXNet 1.9.1 printed values
    np.testing.assert_array_equal(mx.nd.sparse.sum(a, axis=0).asnumpy(), [1, 3, 2, 0])
    np.testing.assert_array_equal(mx.nd.sparse.sum(a, axis=1).asnumpy(), [3, 0, 3])
    np.testing.assert_array_equal(mx.nd.sparse.sum(a).asnumpy(), [6])
    np.testing.assert_allclose(mx.nd.sparse.mean(a, axis=0).asnumpy(), [1 / 3., 1, 2 / 3., 0], rtol=1e-6)
    np.testing.assert_allclose(mx.nd.sparse.mean(a, axis=1).asnumpy(), [0.75, 0, 0.75])
    assert mx.nd.sparse.sum(a, axis=0).stype == 'default'


def test_retain():
    r = mx.nd.sparse.row_sparse_array((np.ones((2, 3), dtype=np.float32), [0, 2]), shape=(4, 3), ctx=default_context())
    k = mx.nd.sparse.retain(r, mx.nd.array([2, 3], ctx=default_context()))
    assert k.stype == 'row_sparse'
    # MXNet 1.9.1: the result's indices are the requested ones, rows not stored are zeros
    np.testing.assert_array_equal(k.indices.asnumpy(), [2, 3])
    np.testing.assert_array_equal(k.data.asnumpy(), [[1, 1, 1], [0, 0, 0]])
    np.testing.assert_array_equal(k.asnumpy(), [[0, 0, 0], [0, 0, 0], [1, 1, 1], [0, 0, 0]])
    assert mx.nd.sparse.retain(r, mx.nd.array([1], ctx=default_context())).data.shape == (1, 3)


def test_storage_fallback_gives_dense_results():
    a = _a()
    y = mx.nd.exp(a)
    assert y.stype == 'default'
    np.testing.assert_allclose(y.asnumpy(), np.exp(A_DENSE), rtol=1e-6)
    z = mx.nd.dot(a, mx.nd.ones((4, 2), ctx=default_context()))
    np.testing.assert_array_equal(z.asnumpy(), A_DENSE @ np.ones((4, 2)))
    np.testing.assert_array_equal((a.tostype('row_sparse') + mx.nd.ones((3, 4), ctx=default_context())).asnumpy(), A_DENSE + 1)
    assert mx.nd.sparse.exp(a).stype == 'default'


def test_embedding_sparse_grad_imperative_as_mxnet():
    w = mx.nd.array(np.arange(12).reshape(6, 2) * 0.1, ctx=default_context())
    w.attach_grad(stype='row_sparse')
    x = mx.nd.array([[1, 3], [3, 4]], ctx=default_context())
    with mx.autograd.record():
        y = mx.nd.Embedding(x, w, input_dim=6, output_dim=2, sparse_grad=True)
        loss = (y * y).sum()
    loss.backward()
    g = w.grad
    assert g.stype == 'row_sparse'
    # MXNet 1.9.1 printed values
    np.testing.assert_array_equal(g.indices.asnumpy(), [1, 3, 4])
    np.testing.assert_allclose(g.data.asnumpy(), [[0.4, 0.6], [2.4, 2.8], [1.6, 1.8]], rtol=1e-6)


def test_lazy_updates_as_mxnet():
    g = mx.nd.sparse.row_sparse_array(([[1., 2]], [1]), shape=(4, 2), ctx=default_context())
    w = mx.nd.ones((4, 2), ctx=default_context())
    mx.nd.sgd_update(w, g, lr=0.1, wd=0.1, out=w)
    np.testing.assert_allclose(w.asnumpy(), [[1, 1], [0.89, 0.79], [1, 1], [1, 1]], rtol=1e-6)
    w = mx.nd.ones((4, 2), ctx=default_context())
    mx.nd.sparse.sgd_update(w, g, lr=0.1, wd=0.1, lazy_update=False, out=w)
    np.testing.assert_allclose(w.asnumpy(), [[0.99, 0.99], [0.89, 0.79], [0.99, 0.99], [0.99, 0.99]], rtol=1e-6)
    w, m = mx.nd.ones((4, 2), ctx=default_context()), mx.nd.ones((4, 2), ctx=default_context())
    mx.nd.sgd_mom_update(w, g, m, lr=0.1, wd=0.1, momentum=0.9, out=w)
    np.testing.assert_allclose(w.asnumpy(), [[1, 1], [1.79, 1.69], [1, 1], [1, 1]], rtol=1e-6)
    np.testing.assert_allclose(m.asnumpy(), [[1, 1], [0.79, 0.69], [1, 1], [1, 1]], rtol=1e-6)
    w, m, v = mx.nd.ones((4, 2), ctx=default_context()), mx.nd.ones((4, 2), ctx=default_context()), mx.nd.ones((4, 2), ctx=default_context())
    mx.nd.adam_update(w, g, m, v, lr=0.1, wd=0.1, out=w)
    np.testing.assert_allclose(w.asnumpy(), [[1, 1], [0.8990106, 0.88918877], [1, 1], [1, 1]], rtol=1e-6)
    np.testing.assert_allclose(m.asnumpy(), [[1, 1], [1.01, 1.11], [1, 1], [1, 1]], rtol=1e-6)
    np.testing.assert_allclose(v.asnumpy(), [[1, 1], [1.00021, 1.00341], [1, 1], [1, 1]], rtol=1e-6)


# MXNet 1.9.1: gluon.nn.Embedding(6, 2, sparse_grad=True), Constant(0.5), three steps of Trainer.step(2) on
# indices [[1,3]], [[3,4]], [[0,0]] with loss ((out - [[1,-1],[2,0.5]])**2).sum()
GLUON_EXPECTED = [
    ('sgd', dict(learning_rate=0.1, wd=0.01),
     [[0.6995000243186951, 0.34950000047683716], [0.5494999885559082, 0.34950000047683716], [0.5, 0.5],
      [0.6839004755020142, 0.34905052185058594], [0.6495000123977661, 0.49950000643730164], [0.5, 0.5]]),
    ('sgd', dict(learning_rate=0.1, momentum=0.9, wd=0.01),
     [[0.6995000243186951, 0.34950000047683716], [0.5494999885559082, 0.34950000047683716], [0.5, 0.5],
      [0.8184505105018616, 0.34860050678253174], [0.6495000123977661, 0.49950000643730164], [0.5, 0.5]]),
    ('adam', dict(learning_rate=0.05, wd=0.01),
     [[0.5319408774375916, 0.46805912256240845], [0.5500003099441528, 0.44999969005584717], [0.5, 0.5],
      [0.5927214026451111, 0.41268083453178406], [0.5372070670127869, 0.4627952575683594], [0.5, 0.5]]),
]


@pytest.mark.parametrize("optname,kw,expected", GLUON_EXPECTED)
def test_gluon_embedding_sparse_grad_trainer_as_mxnet(optname, kw, expected):
    emb = mx.gluon.nn.Embedding(6, 2, sparse_grad=True)
    emb.initialize(mx.init.Constant(0.5), ctx=default_context())
    tr = mx.gluon.Trainer(emb.collect_params(), optname, kw)
    target = mx.nd.array([[1., -1], [2, 0.5]], ctx=default_context())
    for idx in ([1, 3], [3, 4], [0, 0]):
        with mx.autograd.record():
            out = emb(mx.nd.array(idx, ctx=default_context()))
            loss = ((out - target) ** 2).sum()
        loss.backward()
        assert emb.weight.grad().stype == 'row_sparse'
        tr.step(2)
    np.testing.assert_allclose(emb.weight.data().asnumpy(), expected, rtol=1e-6, atol=1e-7)


def test_optimizer_updater_with_row_sparse_grad():
    g = mx.nd.sparse.row_sparse_array(([[1., 2]], [1]), shape=(4, 2), ctx=default_context())
    w = mx.nd.ones((4, 2), ctx=default_context())
    upd = mx.optimizer.get_updater(mx.optimizer.SGD(learning_rate=0.1, wd=0.1))
    upd(0, g, w)
    np.testing.assert_allclose(w.asnumpy(), [[1, 1], [0.89, 0.79], [1, 1], [1, 1]], rtol=1e-6)
    w = mx.nd.ones((4, 2), ctx=default_context())
    upd = mx.optimizer.get_updater(mx.optimizer.SGD(learning_rate=0.1, wd=0.1, lazy_update=False))
    upd(0, g, w)
    np.testing.assert_allclose(w.asnumpy(), [[0.99, 0.99], [0.89, 0.79], [0.99, 0.99], [0.99, 0.99]], rtol=1e-6)


def test_sparse_linear_regression_trains():
    rng = np.random.RandomState(6)
    X = _random_csr(rng, 64, 10, 0.3)
    w_true = rng.uniform(-1, 1, size=(10, 1)).astype(np.float32)
    yv = X @ w_true
    a = mx.nd.sparse.csr_matrix(X, ctx=default_context())
    w = mx.nd.zeros((10, 1), ctx=default_context())
    w.attach_grad()
    y = mx.nd.array(yv, ctx=default_context())
    first = None
    for _ in range(200):
        with mx.autograd.record():
            loss = ((mx.nd.sparse.dot(a, w) - y) ** 2).mean()
        loss.backward()
        first = first if first is not None else loss.asscalar()
        mx.nd.sgd_update(w, w.grad, lr=0.5, out=w)
    assert loss.asscalar() < first * 0.05


LIBSVM = "1 0:0.5 2:1.5\n0 1:2.0\n-1 3:1 0:4\n1\n2 2:0.25 3:3\n"
LIBSVM_DENSE = np.array([[0.5, 0, 1.5, 0], [0, 2, 0, 0], [4, 0, 0, 1], [0, 0, 0, 0], [0, 0, 0.25, 3]], np.float32)
LIBSVM_LABEL = [1, 0, -1, 1, 2]


def test_libsvm_iter_batches_as_mxnet(tmp_path):
    path = tmp_path / "d.libsvm"
    path.write_text(LIBSVM)
    it = mx.io.LibSVMIter(data_libsvm=str(path), data_shape=(4,), batch_size=2)
    assert [(d.name, d.shape) for d in it.provide_data] == [('data', (2, 4))]
    assert [(d.name, d.shape) for d in it.provide_label] == [('softmax_label', (2,))]
    b = next(it)
    assert b.data[0].stype == 'csr' and b.label[0].stype == 'default'
    # MXNet 1.9.1: the first batch's components
    np.testing.assert_array_equal(b.data[0].data.asnumpy(), [0.5, 1.5, 2.0])
    np.testing.assert_array_equal(b.data[0].indices.asnumpy(), [0, 2, 1])
    np.testing.assert_array_equal(b.data[0].indptr.asnumpy(), [0, 2, 3])
    it.reset()
    # MXNet 1.9.1 (round_batch): epoch 0 pads its last batch with sample 0; epoch 1 starts after it; epoch 2 at 0
    epochs = [[(0, 1), (2, 3), (4, 0)], [(1, 2), (3, 4)], [(0, 1), (2, 3), (4, 0)]]
    pads = [[0, 0, 1], [0, 0], [0, 0, 1]]
    for rows, pad in zip(epochs, pads):
        got = [(b.data[0].asnumpy(), b.label[0].asnumpy(), b.pad) for b in it]
        assert [g[2] for g in got] == pad
        for (d, l, _), r in zip(got, rows):
            np.testing.assert_array_equal(d, LIBSVM_DENSE[list(r)])
            np.testing.assert_array_equal(l, np.array(LIBSVM_LABEL, np.float32)[list(r)])
        assert len(got) == len(rows)
        it.reset()
    # batch larger than the file: MXNet 1.9.1 gives labels [1, 0, -1, 1, 2, 1, 0] and pad 2
    it = mx.io.LibSVMIter(data_libsvm=str(path), data_shape=(4,), batch_size=7)
    b = next(it)
    assert b.pad == 2 and b.data[0].shape == (7, 4)
    np.testing.assert_array_equal(b.label[0].asnumpy(), [1, 0, -1, 1, 2, 1, 0])


def test_libsvm_iter_csr_labels_and_errors(tmp_path):
    path, lpath = tmp_path / "d.libsvm", tmp_path / "l.libsvm"
    path.write_text(LIBSVM)
    lpath.write_text("0 0:1 1:2\n0 1:3\n0 0:5\n0 1:1\n0 0:2\n")
    it = mx.io.LibSVMIter(data_libsvm=str(path), data_shape=(4,), label_libsvm=str(lpath), label_shape=(2,),
                          batch_size=2)
    assert it.provide_label[0].shape == (2, 2)
    b = next(it)
    assert b.label[0].stype == 'csr'  # MXNet 1.9.1: [[1, 2], [0, 3]]
    np.testing.assert_array_equal(b.label[0].asnumpy(), [[1, 2], [0, 3]])
    bad = tmp_path / "bad.libsvm"
    bad.write_text("1 0:1\n1 7:2\n")
    with pytest.raises(ValueError, match="line 2"):
        mx.io.LibSVMIter(data_libsvm=str(bad), data_shape=(4,), batch_size=1)
    with pytest.raises(ValueError, match="round_batch"):
        mx.io.LibSVMIter(data_libsvm=str(path), data_shape=(4,), batch_size=2, round_batch=False)


def test_linear_classifier_on_libsvm_batches(tmp_path):
    rng = np.random.RandomState(7)
    X = _random_csr(rng, 60, 8, 0.4)
    w_true = rng.uniform(-2, 2, size=8)
    y = (X @ w_true > 0).astype(np.float32)
    lines = []
    for i in range(60):
        nz = np.nonzero(X[i])[0]
        lines.append(" ".join(["%d" % y[i]] + ["%d:%r" % (k, float(X[i, k])) for k in nz]))
    path = tmp_path / "train.libsvm"
    path.write_text("\n".join(lines) + "\n")
    it = mx.io.LibSVMIter(data_libsvm=str(path), data_shape=(8,), batch_size=10)
    w = mx.nd.zeros((8, 1), ctx=default_context())
    w.attach_grad()
    loss_fn = mx.gluon.loss.SigmoidBinaryCrossEntropyLoss()
    trainer_opt = mx.optimizer.get_updater(mx.optimizer.SGD(learning_rate=1.0))
    for _ in range(30):
        it.reset()
        for b in it:
            with mx.autograd.record():
                out = mx.nd.sparse.dot(b.data[0].as_in_context(default_context()), w)
                loss = loss_fn(out, b.label[0].as_in_context(default_context()).reshape((-1, 1))).mean()
            loss.backward()
            trainer_opt(0, w.grad, w)
    pred = (X @ w.asnumpy()[:, 0] > 0).astype(np.float32)
    assert (pred == y).mean() >= 0.9


def test_module_on_libsvm_csr_batches_as_mxnet(tmp_path):
    # a csr Variable (stype='csr') and sym.sparse.dot: the graph computes densely, the results are MXNet's
    rng = np.random.RandomState(7)
    X = rng.uniform(-1, 1, size=(60, 8)).astype(np.float32)
    X[rng.uniform(size=X.shape) > 0.4] = 0
    y = (X @ rng.uniform(-2, 2, size=8) > 0).astype(np.float32)
    lines = [" ".join(["%d" % y[i]] + ["%d:%r" % (k, float(X[i, k])) for k in np.nonzero(X[i])[0]]) for i in range(60)]
    path = tmp_path / "train.libsvm"
    path.write_text("\n".join(lines) + "\n")
    it = mx.io.LibSVMIter(data_libsvm=str(path), data_shape=(8,), batch_size=10)
    data = mx.sym.Variable('data', stype='csr')
    assert data.attr('__storage_type__') == '2'
    w = mx.sym.Variable('w', shape=(8, 2), init=mx.init.Zero())
    out = mx.sym.SoftmaxOutput(mx.sym.sparse.dot(data, w), name='softmax')
    mod = mx.mod.Module(out, data_names=['data'], label_names=['softmax_label'], context=default_context())
    mod.fit(it, num_epoch=2, optimizer='sgd', optimizer_params={'learning_rate': 0.5}, eval_metric='acc')
    # MXNet 1.9.1, the same script: w[:, 0] after two epochs (w[:, 1] = -w[:, 0])
    expected = [-0.29253414273262024, -0.34122714400291443, -0.2568085789680481, 0.08190672844648361,
                0.43625566363334656, 0.08752860128879547, -0.2396467626094818, 0.11014550179243088]
    got = mod.get_params()[0]['w'].asnumpy()
    np.testing.assert_allclose(got[:, 0], expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(got[:, 1], -got[:, 0], rtol=1e-6)
    it.reset()
    assert mod.score(it, 'acc')[0][1] == pytest.approx(0.95)  # MXNet 1.9.1


def test_whole_assignment_and_inplace_arithmetic():
    a = _a()
    b = mx.nd.sparse.zeros('csr', (3, 4), ctx=default_context())
    b[:] = a
    np.testing.assert_array_equal(b.asnumpy(), A_DENSE)
    b[:] = np.eye(3, 4, dtype=np.float32)
    np.testing.assert_array_equal(b.indices.asnumpy(), [0, 1, 2])
    a += a
    assert a.stype == 'csr'
    np.testing.assert_array_equal(a.asnumpy(), 2 * A_DENSE)
    a *= 0.25
    np.testing.assert_array_equal(a.asnumpy(), 0.5 * A_DENSE)
    d = mx.nd.zeros((3, 4), ctx=default_context())
    d[:] = a  # a dense target takes the values
    np.testing.assert_array_equal(d.asnumpy(), 0.5 * A_DENSE)
    with pytest.raises(TypeError):
        b[0] = 1


def test_gluon_sparse_grad_on_two_devices_sums_the_copies():
    # each device sees half of every batch; the Trainer's allreduce sums the row_sparse gradients (written through
    # to the gradient buffers): the weights end as with one device (MXNet 1.9.1's values, GLUON_EXPECTED[0])
    ctxs = [mx.cpu(0), mx.cpu(1)]
    emb = mx.gluon.nn.Embedding(6, 2, sparse_grad=True)
    emb.initialize(mx.init.Constant(0.5), ctx=ctxs)
    tr = mx.gluon.Trainer(emb.collect_params(), 'sgd', dict(learning_rate=0.1, wd=0.01))
    target = np.array([[1., -1], [2, 0.5]], np.float32)
    for idx in ([1, 3], [3, 4], [0, 0]):
        with mx.autograd.record():
            losses = [((emb(mx.nd.array(idx[k:k + 1], ctx=c)) - mx.nd.array(target[k:k + 1], ctx=c)) ** 2).sum()
                      for k, c in enumerate(ctxs)]
        for loss in losses:
            loss.backward()
        tr.step(2)
    for c in ctxs:
        np.testing.assert_allclose(emb.weight.data(c).asnumpy(), GLUON_EXPECTED[0][2], rtol=1e-6, atol=1e-7)
