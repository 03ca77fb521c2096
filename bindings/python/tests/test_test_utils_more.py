"""The mx.test_utils helpers added after the basic ones; expected values are what MXNet 1.9.1 printed on the same
calls, or independent NumPy computations."""
import math
import os

import numpy as np
import pytest

import mxc as mx
from mxc import test_utils as tu
from mxc import _test_utils_more as tum


def test_tolerance_helpers():
    # MXNet 1.9.1: get_etol() 0, get_etol(0.5) 0.5, get_tolerance(f16 array, None, {...}) 3, (1.0, 0.1, {}) 0.1
    assert tu.get_etol() == 0 and tu.get_etol(0.5) == 0.5
    table = {np.dtype(np.float16): 3, np.dtype(np.float32): 4}
    assert tu.get_tolerance(np.ones(2, dtype=np.float16), None, table) == 3
    assert tu.get_tolerance(np.ones(2, dtype=np.float32), None, table) == 4
    assert tu.get_tolerance(1.0, 0.1, {}) == 0.1


def test_assert_allclose_and_with_err():
    with pytest.raises(AssertionError, match="rtol=1.000000e-07, atol=0.000000e\\+00"):
        tu.assert_allclose(np.ones(2), np.ones(2) * 1.1)
    tu.assert_allclose(np.array([np.nan, 1.0]), np.array([np.nan, 1.0]))  # NaNs equal by default
    tu.assert_allclose(mx.nd.array([1.0, 2.0]), np.array([1.0, 2.0]))
    # MXNet 1.9.1: 1 of 10 wrong passes with etol=0.2; 2 of 10 wrong fail with etol=0.1 (mismatch 20%)
    tu.assert_almost_equal_with_err(np.zeros(10), np.array([0] * 9 + [1.]), etol=0.2)
    with pytest.raises(AssertionError, match="mismatch 20.000000%"):
        tu.assert_almost_equal_with_err(np.zeros(10), np.array([0] * 8 + [1., 1.]), etol=0.1)
    with pytest.raises(AssertionError):
        tu.assert_almost_equal_with_err(np.zeros(10), np.array([0] * 9 + [1.]))


def test_same_array_and_compare_tuple():
    a = mx.nd.ones((2,))
    # MXNet 1.9.1: (a, a) True, (a, a.copy()) False, (a, a[0:1]) False
    assert tu.same_array(a, a)
    assert not tu.same_array(a, a.copy())
    assert not tu.same_array(a, a[0:1])
    np.testing.assert_array_equal(a.asnumpy(), [1, 1])  # restored
    assert tu.compare_ndarray_tuple((a, (a, None)), (a.copy(), (a, a))) is None
    assert tu.compare_ndarray_tuple(None, None) is None
    with pytest.raises(AssertionError):
        tu.compare_ndarray_tuple((a,), (a * 2,))


def test_random_makers():
    x = tu.random_uniform_arrays((2, 3), (4,))
    assert isinstance(x, list) and [y.shape for y in x] == [(2, 3), (4,)]
    assert all(y.dtype == np.float32 for y in x)
    one = tu.random_uniform_arrays((1000,))
    assert isinstance(one, list) and len(one) == 1 and 0 <= one[0].min() and one[0].max() < 1
    y = tu.random_uniform_arrays((50,), low=5, high=6, dtype=np.float64)[0]
    assert y.dtype == np.float64 and 5 <= y.min() and y.max() < 6
    for _ in range(20):
        px, py = tu.rand_coord_2d(0, 10, 5, 6)
        assert 0 <= px < 10 and py == 5


def test_collapse_sum_like_and_tensor_makers():
    a = np.arange(24.).reshape(2, 3, 4)
    # MXNet 1.9.1: [[60], [92], [124]]
    np.testing.assert_array_equal(tu.collapse_sum_like(a, (3, 1)), [[60.], [92.], [124.]])
    assert tu.collapse_sum_like(np.arange(6.).reshape(2, 3), (2, 3)).shape == (2, 3)
    np.testing.assert_array_equal(tu.collapse_sum_like(a, (1, 1, 4)), a.sum(axis=(0, 1), keepdims=True))
    v = tu.create_vector(5)
    assert v.dtype == np.int64 and v.asnumpy().tolist() == [0, 1, 2, 3, 4]
    assert tu.create_vector(3, np.float32).asnumpy().tolist() == [0., 1., 2.]
    t = tu.create_2d_tensor(2, 3)
    assert t.dtype == np.int64 and t.asnumpy().tolist() == [[0, 0, 0], [1, 1, 1]]
    np.testing.assert_array_equal(tu.get_identity_mat(3).asnumpy(), np.eye(3))
    b = tu.get_identity_mat_batch(2).asnumpy()
    assert b.shape == (2, 2, 2) and (b == np.eye(2)).all()


def test_matrix_makers():
    m = tu.new_orthonormal_matrix_2d(4)
    assert m.dtype == np.float64
    np.testing.assert_allclose(m.dot(m.T), np.eye(4), atol=1e-10)
    for maker in (tu.new_matrix_with_real_eigvals_2d, tu.new_sym_matrix_with_real_eigvals_2d):
        m = maker(3)
        assert m.shape == (3, 3) and m.dtype == np.float64
        assert np.abs(np.linalg.eigvals(m).imag).max() < 1e-8
    s = tu.new_sym_matrix_with_real_eigvals_nd((2, 3, 3))
    assert s.shape == (2, 3, 3)
    np.testing.assert_allclose(s, s.transpose(0, 2, 1))
    m = tu.new_matrix_with_real_eigvals_nd((2, 2, 3, 3))
    assert m.shape == (2, 2, 3, 3) and np.abs(np.linalg.eigvals(m).imag).max() < 1e-8


def test_same_symbol_structure():
    x = mx.sym.var('x')
    # as MXNet 1.9.1 answers: operators and wiring count, names and operator parameters do not
    assert not tu.same_symbol_structure(mx.sym.FullyConnected(x, num_hidden=3),
                                        mx.sym.Convolution(x, kernel=(1, 1), num_filter=3))
    assert not tu.same_symbol_structure(mx.sym.relu(x), mx.sym.sigmoid(x))
    assert tu.same_symbol_structure(mx.sym.FullyConnected(x, num_hidden=3), mx.sym.FullyConnected(x, num_hidden=4))
    assert tu.same_symbol_structure(mx.sym.relu(x), mx.sym.relu(mx.sym.var('y')))
    assert not tu.same_symbol_structure(x + x, x + mx.sym.relu(x))


def test_environment_discard_stderr_retry_list_gpus(capfd):
    os.environ.pop('MXC_TU_FOO', None)
    with tu.environment('MXC_TU_FOO', '1'):
        assert os.environ['MXC_TU_FOO'] == '1'
        with tu.environment({'MXC_TU_FOO': None, 'MXC_TU_BAR': 2}):
            assert 'MXC_TU_FOO' not in os.environ and os.environ['MXC_TU_BAR'] == '2'
        assert os.environ['MXC_TU_FOO'] == '1' and 'MXC_TU_BAR' not in os.environ
    assert 'MXC_TU_FOO' not in os.environ
    with tu.discard_stderr():
        os.write(2, b'hidden\n')  # what C code writes to stderr
    os.write(2, b'shown\n')
    err = capfd.readouterr().err
    assert 'shown' in err and 'hidden' not in err
    calls = [0]

    @tu.retry(3)
    def flaky():
        calls[0] += 1
        assert calls[0] >= 2
    flaky()
    assert calls[0] == 2

    @tu.retry(2)
    def broken():
        calls[0] += 1
        assert False, 'always'
    with pytest.raises(AssertionError, match='always'):
        broken()
    assert calls[0] == 4
    assert list(tu.list_gpus()) == list(range(mx.context.num_gpus()))
    assert tu.is_op_runnable()


def test_dummy_iter():
    it = tu.DummyIter(mx.io.NDArrayIter(np.arange(8.).reshape(4, 2), np.arange(4.), batch_size=2))
    assert it.batch_size == 2
    assert [tuple(d)[:2] for d in it.provide_data] == [('data', (2, 2))]
    assert [tuple(d)[:2] for d in it.provide_label] == [('softmax_label', (2,))]
    b = next(it)
    assert b is next(it)
    n = 0
    for batch in it:
        assert batch is b
        n += 1
        if n == 5:
            break
    np.testing.assert_array_equal(b.data[0].asnumpy(), [[0, 1], [2, 3]])


def test_check_consistency_fully_connected():
    sym = mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=2, name='fc')
    ctx_list = [{'ctx': mx.cpu(0), 'data': (3, 4), 'type_dict': {'data': np.float64}},
                {'ctx': mx.cpu(0), 'data': (3, 4), 'type_dict': {'data': np.float32}}]
    if mx.context.num_gpus() > 0:
        ctx_list.append({'ctx': mx.gpu(0), 'data': (3, 4), 'type_dict': {'data': np.float32}})
    gt = tu.check_consistency(sym, ctx_list)
    # MXNet 1.9.1: the outputs and argument gradients of the float64 run, as NDArrays
    assert sorted(gt) == ['data', 'fc_bias', 'fc_output', 'fc_weight']
    assert all(isinstance(v, mx.nd.NDArray) and v.dtype == np.float64 for v in gt.values())
    assert sorted(tu.check_consistency(sym, ctx_list, grad_req='null')) == ['fc_output']
    ones = {'fc_weight': np.ones((2, 4)), 'fc_bias': np.zeros(2), 'data': np.ones((3, 4))}
    gt = tu.check_consistency(sym, ctx_list, arg_params=ones)
    # MXNet 1.9.1: output 4, weight gradient 12, data gradient 8 (head gradients = the outputs)
    np.testing.assert_array_equal(gt['fc_output'].asnumpy(), np.full((3, 2), 4.))
    np.testing.assert_array_equal(gt['fc_weight'].asnumpy(), np.full((2, 4), 12.))
    np.testing.assert_array_equal(gt['data'].asnumpy(), np.full((3, 4), 8.))
    np.testing.assert_array_equal(gt['fc_bias'].asnumpy(), np.full((2,), 12.))
    other = mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=2, name='fc') * 2
    with pytest.raises(AssertionError):
        tu.check_consistency([sym, other], ctx_list[:2])


def test_check_consistency_finds_a_difference():
    x = mx.sym.var('x')
    ctx_list = [{'ctx': mx.cpu(0), 'x': (4,), 'type_dict': {'x': np.float64}},
                {'ctx': mx.cpu(0), 'x': (4,), 'type_dict': {'x': np.float32}}]
    with pytest.raises(AssertionError):
        tu.check_consistency([mx.sym.relu(x, name='r'), mx.sym.sigmoid(x, name='r')], ctx_list,
                             arg_params={'x': np.array([1., -1., 2., 3.])})
    # raise_on_err=False reports and returns the ground truth
    gt = tu.check_consistency([mx.sym.relu(x, name='r'), mx.sym.sigmoid(x, name='r')], ctx_list,
                              arg_params={'x': np.array([1., -1., 2., 3.])}, raise_on_err=False)
    np.testing.assert_array_equal(gt['r_output'].asnumpy(), [1, 0, 2, 3])
    tu.check_consistency(mx.sym.tanh(x), ctx_list, use_uniform=True, scale=0.5)


def test_check_speed_and_compare_optimizer():
    x = mx.sym.var('x')
    assert tu.check_speed(mx.sym.relu(x), location={'x': np.ones((3, 3))}, N=2, ctx=mx.cpu()) > 0
    assert tu.check_speed(mx.sym.relu(x), N=2, ctx=mx.cpu(), x=(3, 3), typ='forward') > 0
    tu.compare_optimizer(mx.optimizer.SGD(learning_rate=0.1, momentum=0.9),
                         mx.optimizer.SGD(learning_rate=0.1, momentum=0.9), (3, 4), np.float32)
    tu.compare_optimizer(mx.optimizer.Adam(), mx.optimizer.Adam(), (5,), np.float32, ntensors=2)
    with pytest.raises(AssertionError):
        tu.compare_optimizer(mx.optimizer.SGD(learning_rate=0.1), mx.optimizer.SGD(learning_rate=0.2), (3, 4),
                             np.float32)


def test_statistics_helpers():
    # chi-square survival function: known quantiles (df=1: 3.841458820694124 -> 0.05; df=2: exp(-x/2))
    assert abs(tum._chi2_sf(3.841458820694124, 1) - 0.05) < 1e-9
    assert abs(tum._chi2_sf(7.0, 2) - np.exp(-3.5)) < 1e-12
    # SciPy's chi2.sf values
    assert abs(tum._chi2_sf(30.0, 10) - 0.000856641210775301) < 1e-12
    assert abs(tum._chi2_sf(3.2, 5) - 0.6691829020332432) < 1e-12
    assert abs(tum._chi2_sf(100.0, 80) - 0.064570368921133) < 1e-12
    buckets, probs = tu.gen_buckets_probs_with_ppf(lambda x: x * 2, 4)
    # MXNet 1.9.1
    assert buckets == [(0.0, 0.5), (0.5, 1.0), (1.0, 1.5), (1.5, 2.0)] and probs == [0.25] * 4
    np.random.seed(0)
    p, obs, exp = tu.chi_square_check(lambda n: np.random.uniform(0, 1, n), [(0, 0.5), (0.5, 1)], [0.5, 0.5],
                                      1000)
    assert sum(obs) == 1000 and exp == [500.0, 500.0]
    stat = sum((o - 500.0) ** 2 / 500.0 for o in obs)
    assert abs(p - math.erfc(math.sqrt(stat / 2))) < 1e-12  # chi-square with 1 degree of freedom
    p, obs, _ = tu.chi_square_check(lambda n: mx.nd.array(np.random.randint(0, 3, n)), [0, 1, 2], [1 / 3.] * 3,
                                    3000)
    assert sum(obs) == 3000 and p > 1e-4
    p, _, _ = tu.chi_square_check(lambda n: np.random.uniform(0, 1, n), [(0, 0.3), (0.3, 1)], [0.5, 0.5], 5000)
    assert p < 1e-10
    assert tu.mean_check(lambda n: np.random.normal(1, 2, n), 1, 2, 10000)
    assert not tu.mean_check(lambda n: np.random.normal(1.5, 2, n), 1, 2, 10000)
    assert tu.var_check(lambda n: np.random.normal(1, 2, n), 2, 10000)
    assert not tu.var_check(lambda n: np.random.normal(1, 3, n), 2, 10000)
    pv = tu.verify_generator(lambda n: np.random.uniform(0, 1, n), [(0, 0.5), (0.5, 1)], [0.5, 0.5], 1000,
                             nrepeat=3)
    assert len(pv) == 3
    with pytest.raises(AssertionError, match="passed 0 of 3"):
        tu.verify_generator(lambda n: np.random.uniform(0, 1, n), [(0, 0.3), (0.3, 1)], [0.5, 0.5], 1000,
                            nrepeat=3)


_FASHION = '/usr/share/datasets/fashion-mnist'


def test_get_mnist_reads_local_fashion_mnist():
    d = tu.get_mnist()
    # MXNet 1.9.1 on the same (Fashion-MNIST) files
    assert d['train_data'].shape == (60000, 1, 28, 28) and d['train_data'].dtype == np.float32
    assert d['test_data'].shape == (10000, 1, 28, 28)
    assert d['train_label'].dtype == np.int8 and d['test_label'].shape == (10000,)
    assert d['train_label'][:10].tolist() == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]
    assert d['test_label'][:3].tolist() == [9, 2, 1]
    assert d['train_data'].max() == 1.0 and d['train_data'].min() == 0.0
    np.testing.assert_allclose(d['test_data'][0, 0, 10, 10:14], [0., 0., 0., 0.01568628], atol=1e-7)


def test_get_mnist_iterator(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    tu.get_mnist_ubyte()
    for name in ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte',
                 't10k-labels-idx1-ubyte'):
        assert os.path.exists(os.path.join('data', name))
    assert os.path.getsize('data/t10k-labels-idx1-ubyte') == 10008
    train, val = tu.get_mnist_iterator(100, (784,))
    assert [tuple(d)[:2] for d in train.provide_data] == [('data', (100, 784))]
    assert [tuple(d)[:2] for d in val.provide_label] == [('softmax_label', (100,))]
    # MXNet 1.9.1: 2 parts, part 1 -> 300 training and 50 validation batches of (100, 1, 28, 28)
    train, val = tu.get_mnist_iterator(100, (1, 28, 28), num_parts=2, part_index=1)
    assert [tuple(d)[:2] for d in train.provide_data] == [('data', (100, 1, 28, 28))]
    assert sum(1 for _ in train) == 300
    labels = np.concatenate([b.label[0].asnumpy() for b in val])
    assert labels.shape == (5000,)
    want = np.frombuffer(open('data/t10k-labels-idx1-ubyte', 'rb').read()[8:], dtype=np.uint8)[5000:]
    assert sorted(labels.astype(int).tolist()) == sorted(want.astype(int).tolist())


def test_mnist_missing_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv('MXC_MNIST_DIR', str(tmp_path / 'nowhere'))
    monkeypatch.setattr(tum, '_MNIST_DIRS', (str(tmp_path / 'none'),))
    with pytest.raises(IOError, match="MNIST not found"):
        tu.get_mnist()


def test_small_helpers(tmp_path):
    # MXNet 1.9.1: assign_each([1, 2], 2x) [2, 4]; assign_each2([1, 2], [3, 4], +) [4, 6]
    np.testing.assert_array_equal(tu.assign_each(np.array([1., 2.]), lambda x: x * 2), [2., 4.])
    np.testing.assert_array_equal(tu.assign_each2(np.array([1., 2.]), np.array([3., 4.]), lambda x, y: x + y),
                                  [4., 6.])
    s = tu.random_sample([1, 2, 3, 4], 2)
    assert len(s) == 2 and len(set(s)) == 2 and set(s) <= {1, 2, 3, 4}
    assert tu.has_tvm_ops() is False and tu.is_cd_run() in (True, False)
    assert tu.get_im2rec_path().endswith(os.path.join('tools', 'im2rec.py'))
    assert os.path.isfile(tu.get_im2rec_path())
    f = tmp_path / 'x.bin'
    f.write_bytes(b'1')
    assert tu.download('http://example.invalid/x.bin', dirname=str(tmp_path)) == str(f)
    with pytest.raises(IOError, match="does not download"):
        tu.download('http://example.invalid/y.bin', dirname=str(tmp_path))
    with pytest.raises(IOError, match="does not download"):
        tu.get_cifar10()


def test_check_gluon_hybridize_consistency():
    def build():
        net = mx.gluon.nn.HybridSequential()
        net.add(mx.gluon.nn.Dense(3, activation='tanh'), mx.gluon.nn.Dense(2))
        return net
    data = [mx.nd.array(np.random.uniform(-1, 1, (4, 5)))]
    tu.check_gluon_hybridize_consistency(build, data)

    class Twice(mx.gluon.HybridBlock):
        def hybrid_forward(self, F, x):
            return x * 2 + 1
    tu.check_gluon_hybridize_consistency(Twice, data, numpy_func=lambda x: x * 2 + 1)
    with pytest.raises(AssertionError):
        tu.check_gluon_hybridize_consistency(Twice, data, numpy_func=lambda x: x * 3)
