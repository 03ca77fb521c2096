"""mx.optimizer and mx.lr_scheduler against NumPy implementations of MXNet's update formulas."""
import logging
import math
import pickle

import numpy as np
import pytest

import mxc as mx
from conftest import needs_ops
from _training_helpers import needs_symbol

RNG = np.random.RandomState(42)
W0 = RNG.randn(3, 4)
GRADS = [RNG.randn(3, 4) * 3 for _ in range(4)]


def run_optimizer(optimizer, dtype=np.float32, steps=4, index=0):
    """Applies `steps` updates through an Updater; returns the weight after each step (float64 copies)."""
    updater = mx.optimizer.get_updater(optimizer)
    weight = mx.nd.array(W0, dtype=dtype)
    out = []
    for g in GRADS[:steps]:
        updater(index, mx.nd.array(g, dtype=dtype), weight)
        out.append(weight.asnumpy().astype(np.float64))
    return out, updater


def tol(dtype):
    # float64 tolerance allows for scalar parameters (lr, wd, ...) carried in single precision, as MXNet does
    return dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-7, atol=1e-7)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sgd_plain(dtype):
    lr, wd, rescale = 0.1, 0.01, 0.5
    got, _ = run_optimizer(mx.optimizer.SGD(learning_rate=lr, wd=wd, rescale_grad=rescale), dtype)
    w = W0.copy()
    for step, g in enumerate(GRADS):
        w = w - lr * (rescale * g + wd * w)
        np.testing.assert_allclose(got[step], w, **tol(dtype))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sgd_momentum_clip(dtype):
    lr, wd, rescale, mom, clip = 0.05, 0.02, 0.7, 0.9, 1.5
    opt = mx.optimizer.SGD(learning_rate=lr, wd=wd, rescale_grad=rescale, momentum=mom, clip_gradient=clip)
    got, updater = run_optimizer(opt, dtype)
    w, m = W0.copy(), np.zeros_like(W0)
    for step, g in enumerate(GRADS):
        m = mom * m - lr * (np.clip(rescale * g, -clip, clip) + wd * w)
        w = w + m
        np.testing.assert_allclose(got[step], w, **tol(dtype))
    np.testing.assert_allclose(updater.states[0].asnumpy(), m, **tol(dtype))


def test_nag():
    lr, rescale, mom = 0.1, 0.5, 0.8
    got, _ = run_optimizer(mx.optimizer.NAG(learning_rate=lr, rescale_grad=rescale, momentum=mom),
                           np.float64)
    w, m = W0.copy(), np.zeros_like(W0)
    for step, g in enumerate(GRADS):
        gw = rescale * g
        m = mom * m - lr * gw
        w = w + mom * m - lr * gw
        np.testing.assert_allclose(got[step], w, **tol(np.float64))


def test_nag_weight_decay_and_no_momentum():
    lr, wd, mom = 0.1, 0.05, 0.9
    got, _ = run_optimizer(mx.optimizer.NAG(learning_rate=lr, wd=wd, momentum=mom), np.float64)
    w, m = W0.copy(), np.zeros_like(W0)
    for step, g in enumerate(GRADS):
        gw = g + wd * w
        m = mom * m - lr * gw
        w = w + mom * m - lr * gw
        # (MXNet 1.9.1's kernel re-reads the weight for the momentum's decay term after writing it through
        # out=weight, drifting ~1% from this formula in 4 steps; mxc follows the documented formula.)
        np.testing.assert_allclose(got[step], w, **tol(np.float64))
    got, _ = run_optimizer(mx.optimizer.NAG(learning_rate=lr, wd=wd), np.float64)
    w = W0.copy()
    for step, g in enumerate(GRADS):
        w = w - lr * (g + wd * w)
        np.testing.assert_allclose(got[step], w, **tol(np.float64))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adam_bias_correction(dtype):
    lr, b1, b2, eps, wd, rescale, clip = 0.01, 0.8, 0.95, 1e-6, 0.1, 0.5, 1.0
    opt = mx.optimizer.Adam(learning_rate=lr, beta1=b1, beta2=b2, epsilon=eps, wd=wd, rescale_grad=rescale,
                            clip_gradient=clip)
    got, _ = run_optimizer(opt, dtype)
    w, m, v = W0.copy(), np.zeros_like(W0), np.zeros_like(W0)
    for t, g in enumerate(GRADS, start=1):
        gg = np.clip(rescale * g + wd * w, -clip, clip)
        m = b1 * m + (1 - b1) * gg
        v = b2 * v + (1 - b2) * gg * gg
        lr_t = lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        w = w - lr_t * m / (np.sqrt(v) + eps)
        np.testing.assert_allclose(got[t - 1], w, **tol(dtype))


def test_adam_counts_steps_per_weight():
    """Bias correction uses each weight's own update count."""
    opt = mx.optimizer.Adam(learning_rate=0.1)
    updater = mx.optimizer.get_updater(opt)
    a = mx.nd.array(W0, dtype=np.float64)
    b = mx.nd.array(W0, dtype=np.float64)
    for g in GRADS[:3]:
        updater(0, mx.nd.array(g, dtype=np.float64), a)
    updater(1, mx.nd.array(GRADS[0], dtype=np.float64), b)
    # the first step of weight 1 is Adam's first step: m/sqrt(v) = sign(g), corrected lr = lr
    np.testing.assert_allclose(b.asnumpy(), W0 - 0.1 * np.sign(GRADS[0]), rtol=1e-6, atol=1e-6)
    assert opt._index_update_count == {0: 3, 1: 1}
    assert opt.num_update == 3


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rmsprop(dtype):
    lr, g1, eps, wd, rescale = 0.01, 0.9, 1e-4, 0.05, 0.5
    opt = mx.optimizer.RMSProp(learning_rate=lr, gamma1=g1, epsilon=eps, wd=wd, rescale_grad=rescale)
    got, _ = run_optimizer(opt, dtype)
    w, n = W0.copy(), np.zeros_like(W0)
    for step, g in enumerate(GRADS):
        gg = rescale * g + wd * w
        n = (1 - g1) * gg * gg + g1 * n
        w = w - lr * gg / np.sqrt(n + eps)
        np.testing.assert_allclose(got[step], w, **tol(dtype))


def test_rmsprop_clip_weights():
    opt = mx.optimizer.RMSProp(learning_rate=0.5, clip_weights=0.3)
    got, _ = run_optimizer(opt, np.float64)
    assert np.abs(got[-1]).max() <= 0.3 + 1e-7
    w, n = W0.copy(), np.zeros_like(W0)
    for step, g in enumerate(GRADS):
        n = 0.1 * g * g + 0.9 * n
        w = np.clip(w - 0.5 * g / np.sqrt(n + 1e-8), -0.3, 0.3)
        np.testing.assert_allclose(got[step], w, **tol(np.float64))


def test_rmsprop_centered():
    lr, g1, g2, eps = 0.01, 0.9, 0.8, 1e-4
    opt = mx.optimizer.RMSProp(learning_rate=lr, gamma1=g1, gamma2=g2, epsilon=eps, centered=True)
    got, _ = run_optimizer(opt, np.float64)
    w, n, gm, d = W0.copy(), np.zeros_like(W0), np.zeros_like(W0), np.zeros_like(W0)
    for step, g in enumerate(GRADS):
        n = (1 - g1) * g * g + g1 * n
        gm = (1 - g1) * g + g1 * gm
        d = g2 * d - lr * g / np.sqrt(n - gm * gm + eps)
        w = w + d
        np.testing.assert_allclose(got[step], w, **tol(np.float64))


def test_adagrad():
    lr, eps, wd, rescale, clip = 0.1, 1e-7, 0.01, 0.5, 2.0
    opt = mx.optimizer.AdaGrad(learning_rate=lr, eps=eps, wd=wd, rescale_grad=rescale, clip_gradient=clip)
    got, _ = run_optimizer(opt, np.float64)
    w, h = W0.copy(), np.zeros_like(W0)
    for step, g in enumerate(GRADS):
        gg = np.clip(rescale * g, -clip, clip)
        h = h + gg * gg
        w = w - lr * (gg / np.sqrt(h + eps) + wd * w)
        np.testing.assert_allclose(got[step], w, **tol(np.float64))


def test_adadelta():
    rho, eps, wd = 0.9, 1e-5, 0.01
    got, _ = run_optimizer(mx.optimizer.AdaDelta(rho=rho, epsilon=eps, wd=wd), np.float64)
    w, ag, ad = W0.copy(), np.zeros_like(W0), np.zeros_like(W0)
    for step, g in enumerate(GRADS):
        ag = rho * ag + (1 - rho) * g * g
        delta = np.sqrt(ad + eps) / np.sqrt(ag + eps) * g
        ad = rho * ad + (1 - rho) * delta * delta
        w = w - (delta + wd * w)
        np.testing.assert_allclose(got[step], w, **tol(np.float64))


def test_wd_mult_defaults_by_name_and_lr_mult():
    """Names not ending in _weight/_gamma get no weight decay; lr_mult/wd_mult apply by name."""
    idx2name = {0: "fc_weight", 1: "fc_bias", 2: "bn_gamma", 3: "bn_beta"}
    opt = mx.optimizer.SGD(learning_rate=0.1, wd=0.5, param_idx2name=idx2name)
    assert opt._get_wds([0, 1, 2, 3]) == [0.5, 0.0, 0.5, 0.0]
    opt.set_lr_mult({"fc_weight": 3.0})
    opt.set_wd_mult({"fc_weight": 0.2})
    assert opt._get_lrs([0, 1]) == pytest.approx([0.3, 0.1])
    assert opt._get_wds([0, 1]) == pytest.approx([0.1, 0.0])
    # the update really uses them: bias has no decay, weight lr 0.3 and wd 0.1
    upd = mx.optimizer.get_updater(opt)
    w = mx.nd.array(np.ones((2, 2)))
    b = mx.nd.array(np.ones((2,)))
    upd(0, mx.nd.array(np.zeros((2, 2))), w)
    upd(1, mx.nd.array(np.zeros((2,))), b)
    np.testing.assert_allclose(w.asnumpy(), 1 - 0.3 * 0.1 * 1, rtol=1e-6)
    np.testing.assert_allclose(b.asnumpy(), 1.0)


@needs_symbol
@needs_ops("FullyConnected")
def test_lr_and_wd_mult_from_symbol_attributes():
    data = mx.sym.Variable("data")
    w = mx.sym.Variable("fc_weight", lr_mult=2.0, wd_mult=0.0)
    net = mx.sym.FullyConnected(data=data, weight=w, num_hidden=2, name="fc")
    opt = mx.optimizer.SGD(learning_rate=0.1, wd=0.3, sym=net, param_idx2name={0: "fc_weight", 1: "fc_bias"})
    assert opt._get_lrs([0, 1]) == pytest.approx([0.2, 0.1])
    assert opt._get_wds([0, 1]) == pytest.approx([0.0, 0.0])


def test_lr_scheduler_drives_optimizer():
    sched = mx.lr_scheduler.FactorScheduler(step=2, factor=0.5, base_lr=1.0)
    opt = mx.optimizer.SGD(lr_scheduler=sched)
    upd = mx.optimizer.get_updater(opt)
    w = mx.nd.array(np.zeros((1,)), dtype=np.float64)
    seen = []
    for _ in range(6):
        before = w.asnumpy()[0]
        upd(0, mx.nd.array(np.ones((1,)), dtype=np.float64), w)
        seen.append(before - w.asnumpy()[0])
    # update n uses base_lr * 0.5**floor((n-1)/2)
    np.testing.assert_allclose(seen, [1, 1, 0.5, 0.5, 0.25, 0.25])
    assert opt.learning_rate == 0.25


def test_learning_rate_overrides_scheduler_base_lr():
    sched = mx.lr_scheduler.FactorScheduler(step=10, base_lr=0.5)
    with pytest.warns(UserWarning):
        opt = mx.optimizer.SGD(learning_rate=0.2, lr_scheduler=sched)
    assert sched.base_lr == 0.2
    with pytest.raises(UserWarning):
        opt.set_learning_rate(0.1)
    plain = mx.optimizer.SGD(learning_rate=0.2)
    plain.set_learning_rate(0.05)
    assert plain.learning_rate == 0.05
    assert mx.optimizer.SGD().learning_rate == 0.01


def test_factor_scheduler():
    s = mx.lr_scheduler.FactorScheduler(step=3, factor=0.1, base_lr=1.0, stop_factor_lr=2e-3)
    lrs = [s(n) for n in range(1, 11)]
    np.testing.assert_allclose(lrs, [1, 1, 1, .1, .1, .1, .01, .01, .01, 2e-3])
    with pytest.raises(ValueError):
        mx.lr_scheduler.FactorScheduler(step=0)
    with pytest.raises(ValueError):
        mx.lr_scheduler.FactorScheduler(step=2, factor=1.5)


def test_factor_scheduler_warmup():
    s = mx.lr_scheduler.FactorScheduler(step=5, factor=0.5, base_lr=1.0, warmup_steps=4, warmup_begin_lr=0.2)
    np.testing.assert_allclose([s(n) for n in range(4)], [0.2, 0.4, 0.6, 0.8])
    c = mx.lr_scheduler.FactorScheduler(step=5, base_lr=1.0, warmup_steps=2, warmup_begin_lr=0.1,
                                        warmup_mode='constant')
    assert c(1) == 0.1
    with pytest.raises(ValueError):
        mx.lr_scheduler.FactorScheduler(step=5, warmup_mode='cubic')


def test_multifactor_scheduler():
    s = mx.lr_scheduler.MultiFactorScheduler(step=[2, 5], factor=0.1, base_lr=1.0)
    np.testing.assert_allclose([s(n) for n in range(1, 8)], [1, 1, .1, .1, .1, .01, .01])
    with pytest.raises(ValueError):
        mx.lr_scheduler.MultiFactorScheduler(step=[5, 2])
    with pytest.raises(ValueError):
        mx.lr_scheduler.MultiFactorScheduler(step=[])


def test_poly_and_cosine_schedulers():
    p = mx.lr_scheduler.PolyScheduler(max_update=10, base_lr=1.0, pwr=2, final_lr=0.0)
    assert p(5) == pytest.approx(0.25)
    assert p(10) == pytest.approx(0.0)
    c = mx.lr_scheduler.CosineScheduler(max_update=10, base_lr=1.0, final_lr=0.0)
    assert c(5) == pytest.approx(0.5)
    assert c(0) == pytest.approx(1.0)


def test_create_and_register():
    assert isinstance(mx.optimizer.create("sgd"), mx.optimizer.SGD)
    assert isinstance(mx.optimizer.create("ADAM", learning_rate=0.1), mx.optimizer.Adam)
    assert mx.optimizer.Optimizer.create_optimizer("rmsprop").lr == 0.001
    with pytest.raises(ValueError, match="Cannot find optimizer 'nosuch'"):
        mx.optimizer.create("nosuch")

    @mx.optimizer.register
    class HalfStep(mx.optimizer.Optimizer):
        def update(self, index, weight, grad, state):
            weight[:] = weight - 0.5 * grad

    o = mx.optimizer.create("halfstep")
    w = mx.nd.array([1.0, 2.0])
    mx.optimizer.get_updater(o)(0, mx.nd.array([2.0, 2.0]), w)
    np.testing.assert_allclose(w.asnumpy(), [0.0, 1.0])


def test_update_rejects_mismatched_shapes():
    upd = mx.optimizer.get_updater(mx.optimizer.SGD())
    with pytest.raises(ValueError, match="shape"):
        upd(0, mx.nd.zeros((3,)), mx.nd.zeros((2,)))


def test_updater_states_round_trip_continue_exactly():
    """get_states/set_states (with the optimizer) resume Adam exactly, including its step counts."""
    steps_a, upd = run_optimizer(mx.optimizer.Adam(learning_rate=0.01), np.float32, steps=2)
    blob = upd.get_states(dump_optimizer=True)
    w = mx.nd.array(steps_a[-1], dtype=np.float32)
    fresh = mx.optimizer.get_updater(mx.optimizer.Adam(learning_rate=0.5))
    fresh.set_states(blob)
    assert fresh.optimizer.lr == 0.01
    for g in GRADS[2:4]:
        fresh(0, mx.nd.array(g, dtype=np.float32), w)
    full, _ = run_optimizer(mx.optimizer.Adam(learning_rate=0.01), np.float32, steps=4)
    np.testing.assert_array_equal(w.asnumpy().astype(np.float64), full[-1])
    # states alone (no optimizer) are plain data too
    states = pickle.loads(upd.get_states())
    assert set(states) == {0}


def test_optimizer_pickles():
    opt = mx.optimizer.SGD(learning_rate=0.3, momentum=0.9,
                           lr_scheduler=mx.lr_scheduler.FactorScheduler(step=5, base_lr=0.3))
    again = pickle.loads(pickle.dumps(opt))
    assert again.momentum == 0.9 and again.lr_scheduler.step == 5


def test_scheduler_logs_changes(caplog):
    s = mx.lr_scheduler.FactorScheduler(step=1, factor=0.5, base_lr=1.0)
    with caplog.at_level(logging.INFO):
        s(3)
    assert "Change learning rate" in caplog.text
