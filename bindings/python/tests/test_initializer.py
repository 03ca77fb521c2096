"""mx.init: statistics of the random initializers, name-based dispatch, Constant/Mixed/Load, create/dumps."""
import json
import math

import numpy as np
import pytest

import mxc as mx
from _training_helpers import needs_random, needs_symbol

N_BIG = (400, 500)  # 200,000 samples: sample std within ~0.2% of the true one


def init_array(init, name, shape, dtype=np.float32):
    arr = mx.nd.zeros(shape, dtype=dtype)
    init(name, arr)
    return arr.asnumpy()


@needs_random
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_uniform_statistics(dtype):
    mx.random.seed(0)
    x = init_array(mx.init.Uniform(0.3), "fc_weight", N_BIG, dtype)
    assert x.dtype == dtype
    assert x.min() >= -0.3 and x.max() <= 0.3
    assert abs(x.mean()) < 0.003
    assert x.std() == pytest.approx(0.3 / math.sqrt(3), rel=0.01)
    # roughly flat: each tenth of the range holds ~10% of the samples
    hist, _ = np.histogram(x, bins=10, range=(-0.3, 0.3))
    assert np.all(np.abs(hist / x.size - 0.1) < 0.005)


@needs_random
def test_uniform_default_scale_and_normal():
    mx.random.seed(1)
    assert np.abs(init_array(mx.init.Uniform(), "w_weight", (100, 100))).max() <= 0.07
    x = init_array(mx.init.Normal(0.5), "fc_weight", N_BIG)
    assert abs(x.mean()) < 0.005
    assert x.std() == pytest.approx(0.5, rel=0.01)
    # ~68.3% within one sigma
    assert np.mean(np.abs(x) < 0.5) == pytest.approx(0.6827, abs=0.005)
    assert init_array(mx.init.Normal(), "fc_weight", N_BIG).std() == pytest.approx(0.01, rel=0.01)


@needs_random
def test_seed_makes_initialization_reproducible():
    mx.random.seed(123)
    a = init_array(mx.init.Xavier(), "fc_weight", (20, 30))
    mx.random.seed(123)
    b = init_array(mx.init.Xavier(), "fc_weight", (20, 30))
    np.testing.assert_array_equal(a, b)
    c = init_array(mx.init.Xavier(), "fc_weight", (20, 30))
    assert not np.array_equal(a, c)


@needs_random
@pytest.mark.parametrize("factor_type", ["avg", "in", "out"])
def test_xavier_uniform_bounds(factor_type):
    mx.random.seed(2)
    shape = (300, 700)
    fan_in, fan_out = 700, 300
    factor = {"avg": (fan_in + fan_out) / 2.0, "in": fan_in, "out": fan_out}[factor_type]
    scale = math.sqrt(3.0 / factor)
    x = init_array(mx.init.Xavier(factor_type=factor_type), "fc_weight", shape)
    assert np.abs(x).max() <= scale
    assert np.abs(x).max() > 0.99 * scale
    assert x.std() == pytest.approx(scale / math.sqrt(3), rel=0.01)


@needs_random
def test_xavier_gaussian_conv_fans_and_magnitude():
    mx.random.seed(3)
    shape = (64, 32, 5, 5)  # fan_in = 32*25 = 800, fan_out = 64*25 = 1600
    x = init_array(mx.init.Xavier(rnd_type="gaussian", factor_type="in", magnitude=2), "conv_weight", shape)
    assert x.std() == pytest.approx(math.sqrt(2.0 / 800), rel=0.01)
    x = init_array(mx.init.Xavier(rnd_type="gaussian", factor_type="out", magnitude=2), "conv_weight", shape)
    assert x.std() == pytest.approx(math.sqrt(2.0 / 1600), rel=0.01)


def test_xavier_rejects_vectors_and_bad_options():
    with pytest.raises(ValueError, match="at least 2"):
        init_array(mx.init.Xavier(), "fc_weight", (10,))
    with pytest.raises(ValueError):
        mx.init.Xavier(rnd_type="cauchy")
    with pytest.raises(ValueError):
        mx.init.Xavier(factor_type="sum")


@needs_random
def test_msra_prelu():
    mx.random.seed(4)
    x = init_array(mx.init.MSRAPrelu(factor_type="in", slope=0.0), "fc_weight", (400, 500))
    assert x.std() == pytest.approx(math.sqrt(2.0 / 500), rel=0.01)
    x = init_array(mx.init.MSRAPrelu(), "fc_weight", (400, 500))  # avg, slope 0.25
    assert x.std() == pytest.approx(math.sqrt(2.0 / (1 + 0.0625) / 450), rel=0.01)
    assert json.loads(mx.init.MSRAPrelu().dumps()) == ["msraprelu", {"factor_type": "avg", "slope": 0.25}]


@needs_random
def test_orthogonal():
    mx.random.seed(5)
    x = init_array(mx.init.Orthogonal(scale=2.0), "fc_weight", (8, 20)).astype(np.float64)
    np.testing.assert_allclose(x @ x.T, 4.0 * np.eye(8), atol=1e-4)
    x = init_array(mx.init.Orthogonal(scale=1.0, rand_type="normal"), "fc_weight", (20, 8)).astype(np.float64)
    np.testing.assert_allclose(x.T @ x, np.eye(8), atol=1e-4)


def test_zero_one_constant():
    np.testing.assert_array_equal(init_array(mx.init.Zero(), "a_weight", (2, 3)), 0)
    np.testing.assert_array_equal(init_array(mx.init.One(), "a_weight", (2, 3)), 1)
    np.testing.assert_array_equal(init_array(mx.init.Constant(2.5), "a_weight", (2, 3)), 2.5)
    value = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_array_equal(init_array(mx.init.Constant(value), "a_weight", (2, 3)), value)
    np.testing.assert_array_equal(init_array(mx.init.Constant(mx.nd.array(value)), "a_weight", (2, 3)), value)
    assert json.loads(mx.init.Constant(value).dumps()) == ["constant", {"value": value.tolist()}]


def test_dispatch_by_name():
    """Biases, betas and moving means are 0, gammas and moving variances 1, whatever the initializer."""
    init = mx.init.Constant(7.0)
    expected = {"fc1_weight": 7.0, "fc1_bias": 0.0, "bn_gamma": 1.0, "bn_beta": 0.0, "bn_moving_mean": 0.0,
                "bn_moving_var": 1.0, "q_min": 0.0, "q_max": 1.0}
    for name, value in expected.items():
        arr = mx.nd.full((3,), 5.0)
        init(name, arr)
        np.testing.assert_array_equal(arr.asnumpy(), value, err_msg=name)
        arr = mx.nd.full((3,), 5.0)
        init(mx.init.InitDesc(name), arr)
        np.testing.assert_array_equal(arr.asnumpy(), value, err_msg=name)
    with pytest.raises(ValueError, match="Unknown initialization pattern for 'mystery'"):
        init("mystery", mx.nd.zeros((2,)))


def test_init_attribute_overrides_pattern():
    arr = mx.nd.zeros((2, 2))
    mx.init.Uniform()(mx.init.InitDesc("fc_bias", {"__init__": '["constant", {"value": 3.0}]'}), arr)
    np.testing.assert_array_equal(arr.asnumpy(), 3.0)
    mx.init.Uniform()(mx.init.InitDesc("anything", {"__init__": "ones"}), arr)
    np.testing.assert_array_equal(arr.asnumpy(), 1.0)
    desc = mx.init.InitDesc("x_weight", {"__init__": mx.init.Zero().dumps()})
    arr[:] = 4
    mx.init.One()(desc, arr)
    np.testing.assert_array_equal(arr.asnumpy(), 0.0)
    assert desc.global_init is not None


@needs_symbol
def test_variable_init_attribute_from_symbol():
    v = mx.sym.Variable("gain", init=mx.init.Constant(0.5))
    attrs = v.attr_dict()["gain"]
    arr = mx.nd.zeros((3,))
    mx.init.Xavier()(mx.init.InitDesc("gain", attrs), arr)
    np.testing.assert_array_equal(arr.asnumpy(), 0.5)


def test_mixed():
    init = mx.init.Mixed(["fc1_.*", ".*"], [mx.init.Constant(1.0), mx.init.Constant(2.0)])
    assert init_array(init, "fc1_weight", (2,))[0] == 1.0
    assert init_array(init, "fc2_weight", (2,))[0] == 2.0
    assert init_array(init, "fc2_bias", (2,))[0] == 0.0
    with pytest.raises(ValueError, match="did not match"):
        mx.init.Mixed(["fc1_.*"], [mx.init.One()])("fc2_weight", mx.nd.zeros((1,)))
    with pytest.raises(ValueError):
        mx.init.Mixed(["a", "b"], [mx.init.One()])


def test_load_from_dict_and_file(tmp_path):
    w = np.arange(6, dtype=np.float32).reshape(2, 3)
    params = {"arg:fc_weight": mx.nd.array(w), "aux:bn_moving_var": mx.nd.array([3.0, 4.0])}
    fname = str(tmp_path / "p.params")
    mx.nd.save(fname, params)
    for source in (params, fname):
        init = mx.init.Load(source, default_init=mx.init.Constant(9.0))
        np.testing.assert_array_equal(init_array(init, "fc_weight", (2, 3)), w)
        np.testing.assert_array_equal(init_array(init, "bn_moving_var", (2,)), [3.0, 4.0])
        np.testing.assert_array_equal(init_array(init, "other_weight", (2,)), 9.0)
    with pytest.raises(ValueError, match="shape"):
        init_array(mx.init.Load(params), "fc_weight", (3, 2))
    with pytest.raises(ValueError, match="no default_init"):
        init_array(mx.init.Load(params), "missing_weight", (3,))


def test_bilinear():
    x = init_array(mx.init.Bilinear(), "up_weight", (1, 1, 4, 4))
    f = np.ceil(4 / 2.0)
    c = (2 * f - 1 - f % 2) / (2.0 * f)
    expected = np.array([[(1 - abs(i / f - c)) * (1 - abs(j / f - c)) for j in range(4)] for i in range(4)])
    np.testing.assert_allclose(x[0, 0], expected, rtol=1e-6)


def test_lstm_bias():
    desc = mx.init.InitDesc("lstm_i2h_bias", {"__init__": mx.init.LSTMBias(forget_bias=2.0).dumps()})
    x = init_array(mx.init.Xavier(), desc, (8,))
    np.testing.assert_array_equal(x, [0, 0, 2, 2, 0, 0, 0, 0])


def test_create_dumps_round_trip():
    for init in (mx.init.Xavier(rnd_type="gaussian", factor_type="in", magnitude=2.34), mx.init.Normal(0.5),
                 mx.init.Uniform(0.1), mx.init.Zero()):
        again = mx.init.create(init.dumps())
        assert again == init
    assert isinstance(mx.init.create("xavier"), mx.init.Xavier)
    assert isinstance(mx.init.create("zeros"), mx.init.Zero)
    assert isinstance(mx.initializer.create("msraprelu"), mx.init.MSRAPrelu)
    with pytest.raises(ValueError, match="Unknown initializer 'nosuch'"):
        mx.init.create("nosuch")


def test_register_custom_initializer():
    @mx.init.register
    class Sevens(mx.init.Initializer):
        def _init_weight(self, _, arr):
            arr[:] = 7

    np.testing.assert_array_equal(init_array(mx.init.create("sevens"), "a_weight", (2,)), 7)
    arr = mx.nd.zeros((2,))
    mx.init.Zero()(mx.init.InitDesc("v", {"__init__": "sevens"}), arr)
    np.testing.assert_array_equal(arr.asnumpy(), 7)


def test_bad_arguments():
    with pytest.raises(TypeError):
        mx.init.Uniform()("fc_weight", np.zeros((2,)))
    with pytest.raises(TypeError):
        mx.init.Uniform()(3, mx.nd.zeros((2,)))
