"""gluon.contrib.rnn (convolutional RNN/LSTM/GRU cells, LSTMPCell, VariationalDropoutCell), gluon.rnn.ZoneoutCell
and gluon.loss.SDMLLoss: against values printed by MXNet 1.9.1 on the same weights and inputs, and NumPy."""
import inspect

import numpy as np
import pytest

import mxc as mx

crnn = mx.gluon.contrib.rnn


def _set_weights(cell, seed):
    rng = np.random.RandomState(seed)
    for _, p in sorted(cell.collect_params().items()):
        p.set_data(mx.nd.array(rng.uniform(-0.5, 0.5, p.shape)))


# (cell, input_shape, arguments, printed by MXNet 1.9.1: repr, output[:6], last state[:4], grad of step 1[:5])
CONV_CASES = [
    (crnn.Conv2DLSTMCell, (3, 6, 5), dict(hidden_channels=4, i2h_kernel=(3, 3), h2h_kernel=(3, 3), i2h_pad=(1, 1)),
     "Conv2DLSTMCell(3 -> 16, tanh, NCHW)", (2, 3, 4, 6, 5),
     [0.12774, -0.11535, 0.01687, -0.09095, 0.02038, -0.12761], [-0.00898, 0.17505, 0.27877, -0.09148],
     [-0.0791, 0.08094, -0.04636, -0.0058, 0.13987]),
    (crnn.Conv1DGRUCell, (3, 7), dict(hidden_channels=4, i2h_kernel=3, h2h_kernel=3, i2h_dilate=2),
     "Conv1DGRUCell(3 -> 12, tanh, NCW)", (2, 3, 4, 3),
     [-0.37029, 0.14459, 0.08312, -0.44193, -0.34237, -0.56829], [-0.40263, -0.50305, -0.54873, -0.04845],
     [0.06971, 0.05586, -0.01894, 0.00458, -0.28087]),
    (crnn.Conv3DRNNCell, (2, 3, 4, 3), dict(hidden_channels=2, i2h_kernel=(1, 2, 3), h2h_kernel=(3, 1, 3),
                                            h2h_dilate=(1, 1, 2), activation='relu'),
     "Conv3DRNNCell(2 -> 2, relu, NCDHW)", (2, 3, 2, 3, 3, 1), [0] * 6, [0] * 4,
     [-0.25399, -0.2065, -0.00742, -0.84902, -0.30516]),
]


def test_conv_cells_as_mxnet_1_9_1():
    rng = np.random.RandomState(0)  # drawn in the order MXNet's run drew it
    for cls, ishape, kw, text, oshape, out6, state4, grad5 in CONV_CASES:
        c = cls(ishape, **kw)
        c.initialize()
        xs = [mx.nd.array(rng.uniform(-1, 1, (2,) + ishape)) for _ in range(3)]
        c(xs[0], c.begin_state(2))
        _set_weights(c, 1)
        for x in xs:
            x.attach_grad()
        with mx.autograd.record():
            out, states = c.unroll(3, xs, layout='NTC', merge_outputs=True)
            (out * out).sum().backward()
        assert repr(c) == text
        assert out.shape == oshape
        np.testing.assert_allclose(out.asnumpy().ravel()[:6], out6, atol=2e-5)
        np.testing.assert_allclose(states[-1].asnumpy().ravel()[:4], state4, atol=2e-5)
        np.testing.assert_allclose(xs[1].grad.asnumpy().ravel()[:5], grad5, atol=2e-5)
        assert [s.shape for s in states] == [(2,) + oshape[2:]] * len(c.state_info())


def test_conv_rnn_cell_matches_numpy_and_symbols():
    # One relu step of a 1-D convolutional RNN: h = relu(conv(x, Wi) + bi + conv(h0, Wh, pad 1) + bh).
    rng = np.random.RandomState(2)
    c = crnn.Conv1DRNNCell((2, 6), 3, i2h_kernel=3, h2h_kernel=3, activation='relu')
    c.initialize()
    x, h0 = rng.uniform(-1, 1, (4, 2, 6)), rng.uniform(-1, 1, (4, 3, 4))
    c(mx.nd.array(x), [mx.nd.array(h0)])
    _set_weights(c, 3)
    p = {k.split('_', 2)[-1]: v.data().asnumpy() for k, v in c.collect_params().items()}

    def conv1d(a, w, pad):
        a = np.pad(a, [(0, 0), (0, 0), (pad, pad)])
        n = a.shape[2] - w.shape[2] + 1
        return np.stack([np.einsum('ncw,fcw->nf', a[:, :, i:i + w.shape[2]], w) for i in range(n)], axis=2)

    ref = np.maximum(conv1d(x, p['i2h_weight'], 0) + p['i2h_bias'][:, None] + conv1d(h0, p['h2h_weight'], 1) +
                     p['h2h_bias'][:, None], 0)
    out, (h,) = c(mx.nd.array(x), [mx.nd.array(h0)])
    np.testing.assert_allclose(out.asnumpy(), ref, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h.asnumpy(), ref, rtol=1e-5, atol=1e-6)
    # Unrolled over Symbols (NTC, 5 steps): shapes infer from the data alone.
    outs, states = c.unroll(5, mx.sym.var('data'), layout='NTC', merge_outputs=True)
    assert outs.infer_shape(data=(4, 5, 2, 6))[1] == [(4, 5, 3, 4)]
    assert inspect.signature(crnn.Conv2DGRUCell.__init__).parameters['i2h_pad'].default == (0, 0)
    with pytest.raises(ValueError, match="odd h2h_kernel"):
        crnn.Conv2DLSTMCell((3, 4, 4), 2, 3, 2)
    with pytest.raises(ValueError, match=r"a step input must be \(batch, 2, 6\)"):
        c(mx.nd.ones((4, 2, 6, 1)), [mx.nd.array(h0)])


def test_lstmp_cell_as_mxnet_1_9_1_and_numpy():
    rng = np.random.RandomState(0)
    c = crnn.LSTMPCell(8, 3, input_size=5)
    c.initialize()
    _set_weights(c, 2)
    assert repr(c) == "LSTMPCell(5 -> 32 -> 3)"
    x = rng.uniform(-1, 1, (2, 4, 5))
    out, states = c.unroll(4, mx.nd.array(x), merge_outputs=True)
    assert out.shape == (2, 4, 3) and [s.shape for s in states] == [(2, 3), (2, 8)]
    # NumPy: gates (i, f, g, o), r = W_hr (o * tanh(c)).
    p = {k.split('_', 1)[-1]: v.data().asnumpy().astype(np.float64) for k, v in c.collect_params().items()}
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    r, cc = np.zeros((2, 3)), np.zeros((2, 8))
    outs = []
    for t in range(4):
        g = x[:, t] @ p['i2h_weight'].T + p['i2h_bias'] + r @ p['h2h_weight'].T + p['h2h_bias']
        i, f, gg, o = np.split(g, 4, axis=1)
        cc = sig(f) * cc + sig(i) * np.tanh(gg)
        r = (sig(o) * np.tanh(cc)) @ p['h2r_weight'].T
        outs.append(r)
    np.testing.assert_allclose(out.asnumpy(), np.stack(outs, 1), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(states[1].asnumpy(), cc, rtol=1e-5, atol=1e-6)


def test_lstmp_values_printed_by_mxnet():
    # MXNet 1.9.1 drew these inputs after the three conv cases' (a fresh RandomState(0), 3 * 3 draws first).
    rng = np.random.RandomState(0)
    for _, ishape, *_ in CONV_CASES:
        for _ in range(3):
            rng.uniform(-1, 1, (2,) + ishape)
    c = crnn.LSTMPCell(8, 3, input_size=5)
    c.initialize()
    _set_weights(c, 2)
    out, states = c.unroll(4, mx.nd.array(rng.uniform(-1, 1, (2, 4, 5))), merge_outputs=True)
    np.testing.assert_allclose(out.asnumpy().ravel()[:6], [0.01786, 0.00451, 0.07164, 0.04435, 0.01545, 0.07892],
                               atol=2e-5)
    np.testing.assert_allclose(states[1].asnumpy().ravel()[:4], [0.1481, -0.09726, 0.06046, -0.55133], atol=2e-5)


def _lstm(seed=3):
    cell = mx.gluon.rnn.LSTMCell(4, input_size=5)
    cell.initialize()
    _set_weights(cell, seed)
    return cell


def test_zoneout_and_variational_dropout():
    x = mx.nd.array(np.random.RandomState(5).uniform(-1, 1, (2, 4, 5)))
    plain, _ = _lstm().unroll(4, x, merge_outputs=True)
    z = mx.gluon.rnn.ZoneoutCell(_lstm(), 0.5, 0.5)
    v = crnn.VariationalDropoutCell(_lstm(), 0.3, 0.3, 0.3)
    assert repr(z) == "ZoneoutCell(p_out=0.5, p_state=0.5, LSTMCell(5 -> 16))"
    assert repr(v) == "VariationalDropoutCell(p_out = 0.3, p_state = 0.3)"
    # Outside training both pass the base cell's values.
    for cell in (z, v):
        out, _ = cell.unroll(4, x, merge_outputs=True)
        np.testing.assert_allclose(out.asnumpy(), plain.asnumpy(), rtol=1e-6)
    # Training with probability 1: zoneout keeps the previous output (zeros) and the initial states.
    z1 = mx.gluon.rnn.ZoneoutCell(_lstm(), 1.0, 1.0)
    with mx.autograd.train_mode():
        out, states = z1.unroll(4, x, merge_outputs=True)
    assert np.all(out.asnumpy() == 0) and all(np.all(s.asnumpy() == 0) for s in states)
    # Variational dropout draws one output mask per sequence: the zeros sit at the same places at every step.
    mx.random.seed(7)
    vd = crnn.VariationalDropoutCell(_lstm(), drop_outputs=0.5)
    with mx.autograd.train_mode():
        out = vd.unroll(4, x, merge_outputs=True)[0].asnumpy()
    zero = out == 0
    assert zero[:, 0].any() and (~zero[:, 0]).any()
    assert all(np.array_equal(zero[:, t], zero[:, 0]) for t in range(4))
    kept = ~zero
    np.testing.assert_allclose(out[kept], (plain.asnumpy() * 2)[kept], rtol=1e-5)
    with pytest.raises(ValueError, match="BidirectionalCell doesn't support zoneout"):
        mx.gluon.rnn.ZoneoutCell(mx.gluon.rnn.BidirectionalCell(_lstm(), _lstm()), 0.5)


def test_sdml_loss_as_mxnet_1_9_1_and_numpy():
    rng = np.random.RandomState(0)
    a, b = rng.uniform(-1, 1, (4, 3)), rng.uniform(-1, 1, (4, 3))
    x1, x2 = mx.nd.array(a), mx.nd.array(b)
    x1.attach_grad()
    loss = mx.gluon.loss.SDMLLoss()
    with mx.autograd.record():
        out = loss(x1, x2)
        out.backward()
    assert repr(loss) == "SDMLLoss(batch_axis=0, w=1.0)"
    np.testing.assert_allclose(out.asnumpy(), [0.6642163, 0.82746416, 0.14995363, 0.4593203], rtol=1e-5)
    np.testing.assert_allclose(x1.grad.asnumpy().ravel()[:6],
                               [0.6036412, -0.42193037, 1.5521035, 1.5557914, 1.0594336, 0.01817648], rtol=1e-4)
    # NumPy: KL(labels || softmax(-squared distances)) per row.
    d = ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)
    logp = -d - np.log(np.exp(-d).sum(1, keepdims=True))
    lab = np.where(np.eye(4) > 0, 0.7, 0.3 / 3)
    np.testing.assert_allclose(out.asnumpy(), (lab * (np.log(lab) - logp)).sum(1), rtol=1e-5)
    # MXNet 1.9.1 ignores weight: smoothing 0.1 with weight 2 prints these.
    np.testing.assert_allclose(mx.gluon.loss.SDMLLoss(0.1, weight=2.0)(x1, x2).asnumpy(),
                               [1.1315005, 1.3836306, 0.19841316, 0.86736304], rtol=1e-5)
