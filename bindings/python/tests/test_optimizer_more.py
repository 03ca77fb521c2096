"""Adamax, Nadam, Signum, FTML and Ftrl: three updates of two weights through mx.optimizer.get_updater, against the
weights MXNet 1.9.1 printed for the same program; a convex problem each one solves; state save/load. LBSGD, ccSGD and
Test (branch misc): several steps against the values MXNet 1.9.1 printed for the same calls (most of them printed
rounded to 6 decimal places)."""
import numpy as np
import pytest

import mxc as mx

# (optimizer, parameters, weights after 3 updates of w0 = [0.5, -1.2, 2.0, 0.1] and w1 = [0.3, 0.7] with gradients
# sin(k + arange(n) + 3 i) at update k of weight i): MXNet 1.9.1
CASES = [
    ("adamax", dict(learning_rate=0.01, wd=0.01, rescale_grad=0.5),
     [0.4778824, -1.226213, 1.9834183, 0.1002282, 0.3001809, 0.7257006]),
    ("nadam", dict(learning_rate=0.01, wd=0.01, rescale_grad=0.5),
     [0.4720334, -1.2197031, 1.9927634, 0.1069175, 0.3095401, 0.7177978]),
    ("signum", dict(learning_rate=0.01, wd=0.01, rescale_grad=0.5, wd_lh=0.05),
     [0.4692654, -1.2281859, 1.9670163, 0.1098551, 0.3095552, 0.7289355]),
    ("signum", dict(learning_rate=0.01, momentum=0.0, wd=0.01),
     [0.479851, -1.229637, 1.989403, 0.109971, 0.309911, 0.7297869]),
    ("signum", dict(learning_rate=0.01, momentum=0.0, wd=0.02, rescale_grad=2.0, clip_gradient=0.5),
     [0.4797021, -1.2292743, 1.9888064, 0.109942]),
    ("ftml", dict(learning_rate=0.01, wd=0.01, rescale_grad=0.5),
     [0.4746833, -1.2173458, 1.9936111, 0.1055705, 0.3055601, 0.7188516]),
    ("ftrl", dict(learning_rate=0.1, wd=0.01, rescale_grad=0.5, lamda1=0.01),
     [-0.0569466, -0.4164073, 0.6116173, 0.0562539, 0.0692118, 0.2570642]),
    ("adamax", dict(learning_rate=0.01, clip_gradient=0.3),  # MXNet too: 0 / 0 where the first gradient is 0
     [np.nan, -1.2280538, 1.9819191, 0.09864, 0.29864, 0.7297565]),
]


def _run(name, params, n_weights, steps=3):
    up = mx.optimizer.get_updater(mx.optimizer.create(name, **params))
    ws = [mx.nd.array([0.5, -1.2, 2.0, 0.1]), mx.nd.array([0.3, 0.7])][:n_weights]
    for k in range(steps):
        for i, w in enumerate(ws):
            up(i, mx.nd.array(np.sin(k + np.arange(w.shape[0]) + 3 * i)), w)
    return np.concatenate([w.asnumpy() for w in ws])


@pytest.mark.parametrize("idx", range(len(CASES)))
def test_updates_match_mxnet(idx):
    name, params, want = CASES[idx]
    got = _run(name, params, 1 if len(want) == 4 else 2)
    np.testing.assert_allclose(got, want, rtol=2e-6, atol=2e-7)


@pytest.mark.parametrize("name", ["adamax", "nadam", "signum", "ftml", "ftrl"])
def test_each_solves_a_quadratic_and_resumes_from_saved_states(name):
    target = np.array([1.0, -2.0, 0.5, 3.0], dtype=np.float32)
    params = {"learning_rate": {"ftrl": 0.5, "signum": 0.01}.get(name, 0.05)}
    if name == "ftrl":
        params["lamda1"] = 0.0

    def run(steps, up, w):
        for _ in range(steps):
            up(0, 2 * (w - mx.nd.array(target)), w)

    opt = mx.optimizer.create(name, **params)
    up = mx.optimizer.get_updater(opt)
    w = mx.nd.zeros((4,))
    start = float(((w.asnumpy() - target) ** 2).sum())
    run(300, up, w)
    assert float(((w.asnumpy() - target) ** 2).sum()) < 0.02 * start, name
    # saving the states mid-way and resuming in a new updater continues exactly
    saved, w_mid = up.get_states(dump_optimizer=True), w.copy()
    run(5, up, w)
    up2 = mx.optimizer.get_updater(mx.optimizer.create(name, **params))
    up2.set_states(saved)
    run(5, up2, w_mid)
    np.testing.assert_allclose(w_mid.asnumpy(), w.asnumpy(), rtol=1e-6, atol=1e-7)
    assert isinstance(mx.optimizer.create(name), mx.optimizer.Optimizer)


# LAMB, LARS and DCASGD: three updates of one weight with rescale_grad 0.5, against MXNet 1.9.1's printed weights.
_W0 = [[0.5, -1.0, 2.0], [0.1, 0.3, -0.7]]
_GRADS = [[[0.2, -0.4, 0.1], [1.0, -2.0, 0.5]], [[-0.3, 0.6, 0.2], [0.4, 0.1, -0.9]],
          [[0.05, 0.1, -0.2], [0.3, -0.3, 0.3]]]


@pytest.mark.parametrize("name,kwargs,expected", [
    ("lamb", dict(learning_rate=0.1, wd=0.01),
     [[0.4580906629562378, -0.9924228191375732, 1.7217035293579102],
      [-0.30785784125328064, 0.6114336252212524, -0.733034610748291]]),
    ("lamb", dict(learning_rate=0.1, lower_bound=0.5, upper_bound=2.0, bias_correction=False),
     [[0.46956053376197815, -1.0023189783096313, 1.768689513206482],
      [-0.25534510612487793, 0.5716756582260132, -0.7276902198791504]]),
    ("lars", dict(learning_rate=0.1, momentum=0.9, wd=0.01, eta=0.001),
     [[0.5000243782997131, -1.0001271963119507, 1.9999369382858276],
      [0.09946002811193466, 0.30062422156333923, -0.6999127268791199]]),
    ("lars", dict(learning_rate=0.1),
     [[0.5000178217887878, -1.000120759010315, 2.000034809112549],
      [0.09968919306993484, 0.3003145754337311, -0.699999988079071]]),
    ("dcasgd", dict(learning_rate=0.1, lamda=0.5, wd=0.01),
     [[0.5010178089141846, -1.012103796005249, 1.9890354871749878],
      [0.014942795969545841, 0.4088996648788452, -0.6927030086517334]]),
])
def test_large_batch_and_delay_compensated_optimizers_as_mxnet(name, kwargs, expected):
    opt = mx.optimizer.create(name, rescale_grad=0.5, **kwargs)
    w = mx.nd.array(_W0)
    state = opt.create_state(0, w)
    for g in _GRADS:
        opt.update(0, w, mx.nd.array(g), state)
    np.testing.assert_allclose(w.asnumpy(), expected, rtol=2e-6, atol=1e-7)


def test_dcasgd_momentum_and_states_round_trip():
    # MXNet 1.9.1's DCASGD fails with momentum (it tests an NDArray's truth value); mxc's follows the formula.
    opt = mx.optimizer.create("dcasgd", learning_rate=0.1, momentum=0.9, lamda=0.5)
    w = mx.nd.array(_W0)
    mom, prev = opt.create_state(0, w)
    w_np, mom_np, prev_np = np.array(_W0), np.zeros((2, 3)), np.array(_W0)
    for g in _GRADS:
        opt.update(0, w, mx.nd.array(g), (mom, prev))
        g = np.array(g)
        step = 0.1 * (g + 0.5 * g * g * (w_np - prev_np))
        prev_np = w_np.copy()
        mom_np = 0.9 * mom_np - step
        w_np = w_np + mom_np
    np.testing.assert_allclose(w.asnumpy(), w_np, rtol=1e-5)
    np.testing.assert_allclose(prev.asnumpy(), prev_np, rtol=1e-5)
    upd = mx.optimizer.get_updater(mx.optimizer.create("dcasgd", learning_rate=0.1))
    upd(0, mx.nd.array(_GRADS[0]), mx.nd.array(_W0))
    again = mx.optimizer.get_updater(mx.optimizer.create("dcasgd", learning_rate=0.1))
    again.set_states(upd.get_states())
    np.testing.assert_array_equal(again.states[0][1].asnumpy(), upd.states[0][1].asnumpy())


def test_sgld_moments():
    # weight - lr / 2 * (grad + wd * weight) + N(0, sqrt(lr)): mean and spread over 4000 draws (MXNet 1.9.1's
    # 2000 draws gave means 0.4978 / 0.0902 and standard deviations 0.098-0.102 for these first two entries).
    mx.random.seed(3)
    opt = mx.optimizer.create("sgld", learning_rate=0.01, wd=0.1)
    w = mx.nd.array(np.tile(np.array(_W0, np.float32)[None], (4000, 1, 1)))
    opt.update(0, w, mx.nd.array(np.tile(np.array(_GRADS[0], np.float32)[None], (4000, 1, 1))), None)
    ws = w.asnumpy()
    mean = np.array(_W0) - 0.005 * (np.array(_GRADS[0]) + 0.1 * np.array(_W0))
    np.testing.assert_allclose(ws.mean(0), mean, atol=4 * 0.1 / np.sqrt(4000))
    np.testing.assert_allclose(ws.std(0), 0.1, rtol=0.06)


# ---- LBSGD, ccSGD, Test --------------------------------------------------------------------------------------

def _steps(steps, w=(1.0, 2.0), g=(1.0, 2.0), **kw):
    upd = mx.optimizer.get_updater(mx.optimizer.LBSGD(**kw))
    W = mx.nd.array(w)
    out = []
    for _ in range(steps):
        upd(0, mx.nd.array(g), W)
        out.append(W.asnumpy().tolist())
    return np.array(out)


def _deltas(steps, **kw):
    w = _steps(steps, **kw)[:, 0]
    return -np.diff(np.concatenate([[1.0], w]))


# MXNet 1.9.1: the change of weight 0 (1.0, gradient 1.0, learning rate 1) at each of 16 updates; warmup over
# warmup_epochs * updates_per_epoch = 8 updates
@pytest.mark.parametrize("strategy,bs,expected", [
    ("linear", 2, [0.0, 1.25, 0.0, 1.5, 0.0, 1.75, 0.0, 2.0, 0.0, 2.0, 0.0, 2.0, 0.0, 2.0, 0.0, 2.0]),
    ("linear", 4, [0.0, 0.0, 0.0, 2.5, 0.0, 0.0, 0.0, 4.0, 0.0, 0.0, 0.0, 4.0, 0.0, 0.0, 0.0, 4.0]),
    ("power2", 2, [0.0, 1.0625, 0.0, 1.25, 0.0, 1.5625, 0.0, 2.0, 0.0, 2.0, 0.0, 2.0, 0.0, 2.0, 0.0, 2.0]),
    ("power2", 4, [0.0, 0.0, 0.0, 1.75, 0.0, 0.0, 0.0, 4.0, 0.0, 0.0, 0.0, 4.0, 0.0, 0.0, 0.0, 4.0]),
    ("sqrt", 2, [0.0, 1.5, 0.0, 1.7071069478988647, 0.0, 1.8660260438919067, 0.0, 2.0, 0.0, 2.0, 0.0, 2.0, 0.0, 2.0,
                 0.0, 2.0]),
    ("sqrt", 4, [0.0, 0.0, 0.0, 3.1213200092315674, 0.0, 0.0, 0.0, 4.0, 0.0, 0.0, 0.0, 4.0, 0.0, 0.0, 0.0, 4.0]),
    ("linear", 1, [1.0] * 16),
])
def test_lbsgd_warmup_as_mxnet(strategy, bs, expected):
    d = _deltas(16, learning_rate=1.0, warmup_strategy=strategy, warmup_epochs=2, updates_per_epoch=4, batch_scale=bs)
    np.testing.assert_allclose(d, expected, rtol=1e-5, atol=1e-6)


def test_lbsgd_begin_epoch_momentum_wd_clip_as_mxnet():
    # begin_epoch 1 of warmup_epochs 3 (2 updates per epoch): the warmup starts at update 2
    d = _deltas(4, learning_rate=1.0, warmup_strategy="linear", warmup_epochs=3, updates_per_epoch=2, batch_scale=2,
                begin_epoch=1)
    np.testing.assert_allclose(d, [0.0, 1.6666669845581055, 0.0, 2.0], rtol=1e-5)
    np.testing.assert_allclose(
        _steps(6, learning_rate=1.0, momentum=0.9, warmup_strategy="linear", warmup_epochs=1, updates_per_epoch=4,
               batch_scale=2),
        [[1.0, 2.0], [-0.5, -1.0], [-0.5, -1.0], [-3.8499999046325684, -7.699999809265137],
         [-3.8499999046325684, -7.699999809265137], [-8.864999771118164, -17.729999542236328]], rtol=1e-5)
    np.testing.assert_allclose(
        _steps(6, learning_rate=1.0, wd=0.1, warmup_strategy="linear", warmup_epochs=1, updates_per_epoch=4,
               batch_scale=2),
        [[1.0, 2.0], [-0.6499999761581421, -1.2999999523162842], [-0.6499999761581421, -1.2999999523162842],
         [-2.5199999809265137, -5.039999961853027], [-2.5199999809265137, -5.039999961853027],
         [-4.015999794006348, -8.031999588012695]], rtol=1e-5)
    # wd, no batch_scale: every update, lr 1
    np.testing.assert_allclose(_deltas(3, learning_rate=1.0, wd=0.1, warmup_strategy="linear", warmup_epochs=1,
                                       updates_per_epoch=2),
                               [1.100000023841858, 0.9900000095367432, 0.890999972820282], rtol=1e-5)
    # rescale and clip apply to the mean gradient of the batch_scale updates
    upd = mx.optimizer.get_updater(mx.optimizer.LBSGD(learning_rate=1.0, clip_gradient=0.8, rescale_grad=0.5,
                                                      batch_scale=2, warmup_epochs=1, updates_per_epoch=2))
    W = mx.nd.array([3.0, 4.0])
    upd(0, mx.nd.array([1.0, 0.0]), W)
    upd(0, mx.nd.array([3.0, 1.0]), W)
    np.testing.assert_allclose(W.asnumpy(), [1.399999976158142, 3.5], rtol=1e-6)


def test_lbsgd_lars_as_mxnet():
    lars = dict(warmup_strategy="lars", w=(3.0, 4.0), g=(1.0, 0.0))
    np.testing.assert_allclose(_steps(4, learning_rate=0.5, **lars)[:, 0],
                               [0.5, -1.51556396484375, -3.6543099880218506, -6.36327600479126], rtol=1e-5)
    # the ratio clipped to [0.01, 100]
    np.testing.assert_allclose(_steps(3, learning_rate=0.5, warmup_strategy="lars", w=(300.0, 400.0), g=(1.0, 0.0)),
                               [[250.0, 400.0], [200.0, 400.0], [150.0, 400.0]], rtol=1e-6)
    np.testing.assert_allclose(_steps(3, learning_rate=0.5, warmup_strategy="lars", w=(0.003, 0.004),
                                      g=(1.0, 0.0))[:, 0],
                               [-0.0020000000949949026, -0.007000000216066837, -0.012000000104308128], rtol=1e-5)
    np.testing.assert_allclose(
        _steps(3, learning_rate=0.5, wd=0.1, **lars),
        [[1.262802004814148, 3.46547794342041], [-0.08914099633693695, 3.049494981765747],
         [-1.1771520376205444, 2.714721918106079]], rtol=1e-5)
    np.testing.assert_allclose(_steps(3, learning_rate=0.5, rescale_grad=0.5, **lars)[:, 0],
                               [1.75, 0.6584839820861816, -0.35497498512268066], rtol=1e-5)
    np.testing.assert_allclose(_steps(3, learning_rate=0.5, momentum=0.9, **lars)[:, 0],
                               [0.5, -3.76556396484375, -10.351364135742188], rtol=1e-5)
    np.testing.assert_allclose(_steps(2, learning_rate=0.5, clip_gradient=0.3, **lars)[:, 0],
                               [2.25, 1.5615919828414917], rtol=1e-5)
    np.testing.assert_allclose(
        _steps(4, learning_rate=1.0, wd=0.1, batch_scale=2, **lars),
        [[3.0, 4.0], [-0.4743959903717041, 2.930954933166504], [-0.4743959903717041, 2.930954933166504],
         [-2.5362539291381836, 2.296536922454834]], rtol=1e-5)
    np.testing.assert_allclose(_steps(2, learning_rate=1.0, batch_scale=2, warmup_strategy="lars",
                                      w=(300.0, 400.0), g=(1.0, 0.0))[1], [200.0, 400.0], rtol=1e-6)
    upd = mx.optimizer.get_updater(mx.optimizer.LBSGD(learning_rate=1.0, warmup_strategy="lars", batch_scale=2))
    W = mx.nd.array([3.0, 4.0])
    upd(0, mx.nd.array([1.0, 0.0]), W)
    upd(0, mx.nd.array([0.0, 3.0]), W)
    np.testing.assert_allclose(W.asnumpy(), [1.4188611507415771, -0.7434167861938477], rtol=1e-5)


def test_lbsgd_counts_per_weight_and_lr_mult_as_mxnet():
    # the warmup follows each weight's own update count (MXNet 1.9.1's values)
    upd = mx.optimizer.get_updater(mx.optimizer.LBSGD(learning_rate=1.0, warmup_strategy="linear", warmup_epochs=2,
                                                      updates_per_epoch=4, batch_scale=2))
    A, B = mx.nd.array([1.0]), mx.nd.array([1.0])
    out = []
    for _ in range(6):
        upd(0, mx.nd.array([1.0]), A)
        upd(0, mx.nd.array([1.0]), A)
        upd(1, mx.nd.array([1.0]), B)
        out.append((A.asscalar(), B.asscalar()))
    np.testing.assert_allclose(out, [(-0.25, 1.0), (-1.75, -0.25), (-3.5, -0.25), (-5.5, -1.75), (-7.5, -1.75),
                                     (-9.5, -3.5)], rtol=1e-6)
    # lists of indices through the Updater (aggregate_num 0 as MXNet's: one weight at a time) give the same
    assert mx.optimizer.LBSGD().aggregate_num == 0
    upd = mx.optimizer.get_updater(mx.optimizer.LBSGD(learning_rate=1.0, warmup_strategy="linear", warmup_epochs=2,
                                                      updates_per_epoch=4, batch_scale=2))
    A, B = mx.nd.array([1.0]), mx.nd.array([1.0])
    for _ in range(4):
        upd([0, 1], [mx.nd.array([1.0]), mx.nd.array([1.0])], [A, B])
    np.testing.assert_allclose([A.asscalar(), B.asscalar()], [-1.75, -1.75], rtol=1e-6)
    # direct update() calls with lr_mult, momentum, power2, wd
    opt = mx.optimizer.LBSGD(learning_rate=1.0, momentum=0.5, warmup_strategy="power2", warmup_epochs=1,
                             updates_per_epoch=4, batch_scale=2, wd=0.01)
    opt.set_lr_mult({0: 0.5})
    W = mx.nd.array([1.0, 2.0])
    st = opt.create_state(0, W)
    out = []
    for _ in range(6):
        opt.update(0, W, mx.nd.array([0.5, -1.0]), st)
        out.append(W.asnumpy().tolist())
    np.testing.assert_allclose(out, [[1.0, 2.0], [0.6812499761581421, 2.612499952316284],
                                     [0.6812499761581421, 2.612499952316284],
                                     [0.015061999671161175, 3.892625093460083],
                                     [0.015061999671161175, 3.892625093460083],
                                     [-0.8181819915771484, 5.49376106262207]], rtol=1e-5, atol=1e-6)


def test_lbsgd_multi_precision_and_errors():
    opt = mx.optimizer.LBSGD(learning_rate=0.1, momentum=0.9, multi_precision=True)
    W = mx.nd.array([1.0, 2.0], dtype="float16")
    st = opt.create_state_multi_precision(0, W)
    for _ in range(2):
        opt.update_multi_precision(0, W, mx.nd.array([0.5, -1.0], dtype="float16"), st)
    assert W.dtype == np.float16
    np.testing.assert_allclose(W.asnumpy(), [0.85498046875, 2.2890625], rtol=1e-3)  # MXNet 1.9.1
    assert mx.optimizer.create("lbsgd").warmup_strategy == "linear"
    with pytest.raises(ValueError, match="warmup_strategy"):
        mx.optimizer.LBSGD(warmup_strategy="cosine")


def test_ccsgd_is_sgd():
    o = mx.optimizer.create("ccsgd", learning_rate=0.1, momentum=0.9)
    assert type(o).__name__ == "ccSGD" and isinstance(o, mx.optimizer.SGD) and o.momentum == 0.9
    a, b = mx.nd.array([1.0, 2.0]), mx.nd.array([1.0, 2.0])
    u1 = mx.optimizer.get_updater(o)
    u2 = mx.optimizer.get_updater(mx.optimizer.SGD(learning_rate=0.1, momentum=0.9))
    for _ in range(3):
        u1(0, mx.nd.array([0.5, -1.0]), a)
        u2(0, mx.nd.array([0.5, -1.0]), b)
    np.testing.assert_array_equal(a.asnumpy(), b.asnumpy())
    # SGD with momentum 0.9, lr 0.1: 1 - 0.05 (1 + 1.9 + 2.71)
    np.testing.assert_allclose(a.asnumpy(), [1 - 0.05 * 5.61, 2 + 0.1 * 5.61], rtol=1e-6)


def test_test_optimizer_as_mxnet():
    o = mx.optimizer.create("test", learning_rate=0.1)
    W = mx.nd.array([1.0, 2.0])
    st = o.create_state(0, W)
    np.testing.assert_array_equal(st.asnumpy(), [0, 0])
    expected = [[1.5, 1.0], [2.0, 0.0]]  # MXNet 1.9.1: the weight and the state
    for e in expected:
        o.update(0, W, mx.nd.array([0.5, -1.0]), st)
        np.testing.assert_array_equal(W.asnumpy(), e)
        np.testing.assert_array_equal(st.asnumpy(), e)
    o = mx.optimizer.create("test", learning_rate=0.1, rescale_grad=2.0, wd=0.5)
    W = mx.nd.array([1.0, 2.0])
    st = o.create_state(0, W)
    for e in [[2.0, 0.0], [3.0, -2.0]]:  # MXNet 1.9.1 (wd not used)
        o.update(0, W, mx.nd.array([0.5, -1.0]), st)
        np.testing.assert_array_equal(W.asnumpy(), e)


def test_lbsgd_states_round_trip_mid_accumulation():
    # an Updater saved (with its optimizer) between the gradients of one batch_scale group resumes the same way
    upd = mx.optimizer.get_updater(mx.optimizer.LBSGD(learning_rate=1.0, batch_scale=2, momentum=0.9))
    W = mx.nd.array([1.0, 2.0])
    upd(0, mx.nd.array([1.0, 1.0]), W)
    saved = upd.get_states(dump_optimizer=True)
    other = mx.optimizer.get_updater(mx.optimizer.LBSGD())
    other.set_states(saved)
    W2 = W.copy()
    upd(0, mx.nd.array([1.0, 3.0]), W)
    other(0, mx.nd.array([1.0, 3.0]), W2)
    np.testing.assert_array_equal(W.asnumpy(), W2.asnumpy())
    # linear warmup over 5 * 32 updates, at update 2 of batch_scale 2: lr 1 + 2 / 160, the mean gradient (1, 2)
    np.testing.assert_allclose(W.asnumpy(), [1 - 1.0125, 2 - 2 * 1.0125], rtol=0, atol=1e-6)  # (float32)
