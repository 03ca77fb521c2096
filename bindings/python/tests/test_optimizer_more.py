"""The optimizers LBSGD, ccSGD and Test (added on branch misc) over several steps against the values MXNet 1.9.1
printed for the same calls (through ``mx.optimizer.get_updater``, as a training loop uses them; most of them printed
rounded to 6 decimal places)."""
import numpy as np
import pytest

import mxc as mx


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
