"""The fused RNN operator (mx.nd.RNN, mx.sym.RNN): values and gradients against MXNet 1.9.1's (printed by it for
the same inputs, written in as literals) and a NumPy reference; shape inference; the errors; Gluon's recurrent
layers as one RNN node."""
import json

import numpy as np
import pytest

import mxc as mx
from mxc import autograd
from mxc.gluon import rnn

GATES = {'rnn_relu': 1, 'rnn_tanh': 1, 'lstm': 4, 'gru': 3}


def _pat(shape, k, scale):
    n = int(np.prod(shape))
    return (np.sin(np.arange(n) * 0.7 + k) * scale).reshape(shape).astype(np.float32)


def _num_params(mode, L, D, I, H):
    g = GATES[mode]
    return sum(D * (g * H * ((I if layer == 0 else D * H) + H) + 2 * g * H) for layer in range(L))


def _sig(x):
    return 1 / (1 + np.exp(-x))


def _reference(mode, x, params, h0, c0, L, D, H):
    """NumPy loop: MXNet's layout (every weight by layer and direction, i2h then h2h; then every bias), LSTM gates
    i, f, g, o; GRU r, z, n with the reset gate applied to W_hn h + b_hn."""
    T, N, I = x.shape
    g, off, w = GATES[mode], 0, []
    for layer in range(L):
        fan_in = I if layer == 0 else D * H
        for _ in range(D):
            wx = params[off:off + g * H * fan_in].reshape(g * H, fan_in)
            off += g * H * fan_in
            wh = params[off:off + g * H * H].reshape(g * H, H)
            off += g * H * H
            w.append([wx, wh])
    for k in range(L * D):
        w[k] += [params[off:off + g * H], params[off + g * H:off + 2 * g * H]]
        off += 2 * g * H
    assert off == params.size
    inp, hy, cy = x, [], []
    for layer in range(L):
        outs = []
        for d in range(D):
            wx, wh, bx, bh = w[layer * D + d]
            h, c = h0[layer * D + d], (c0[layer * D + d] if c0 is not None else None)
            o = np.zeros((T, N, H))
            for t in (range(T) if d == 0 else range(T - 1, -1, -1)):
                a, b = inp[t] @ wx.T + bx, h @ wh.T + bh
                if mode == 'rnn_relu':
                    h = np.maximum(a + b, 0)
                elif mode == 'rnn_tanh':
                    h = np.tanh(a + b)
                elif mode == 'lstm':
                    i, f, gg, oo = np.split(a + b, 4, axis=1)
                    c = _sig(f) * c + _sig(i) * np.tanh(gg)
                    h = _sig(oo) * np.tanh(c)
                else:
                    (ar, az, an), (br, bz, bn) = np.split(a, 3, axis=1), np.split(b, 3, axis=1)
                    r, z = _sig(ar + br), _sig(az + bz)
                    n = np.tanh(an + r * bn)
                    h = (1 - z) * n + z * h
                o[t] = h
            outs.append(o)
            hy.append(h)
            cy.append(c)
        inp = np.concatenate(outs, axis=2)
    return inp, np.array(hy), (np.array(cy) if c0 is not None else None)


def _inputs(mode, L, D, T=3, N=2, I=3, H=2):
    n = _num_params(mode, L, D, I, H)
    args = [_pat((T, N, I), 0, 1.0), _pat((n,), 1, 0.5), _pat((L * D, N, H), 2, 0.3)]
    if mode == 'lstm':
        args.append(_pat((L * D, N, H), 3, 0.3))
    return args


# MXNet 1.9.1, mx.nd.RNN(state_size=2, state_outputs=True) on _inputs(mode, L, D) (T=3, N=2, I=3): the outputs and
# the gradients of sum(out * _pat(out.shape, 4, 1)) + sum(hy * _pat(hy.shape, 5, 1)), flattened; dp_head/dp_tail
# the first 8 and last 4 entries of the parameter gradient.
MXNET = {
    ('lstm', 2, 2): dict(
        out=[-0.163643, -0.282624, -0.019611, -0.241612, -0.221703, -0.290158, 0.010444, -0.217245, -0.238079,
            -0.245643, -0.014838, -0.221909, -0.264707, -0.252349, 0.022407, -0.162220, -0.269274, -0.240330,
            -0.025118, -0.168001, -0.276742, -0.238677, 0.032125, -0.082078],
        hy=[0.194921, 0.208207, 0.065851, 0.260662, -0.093847, 0.141059, -0.144734, 0.163121, -0.269274, -0.240330,
            -0.276742, -0.238677, -0.019611, -0.241612, 0.010444, -0.217245],
        cy=[0.260238, 0.411905, 0.162536, 0.414265, -0.170992, 0.169306, -0.243740, 0.247229, -0.873496, -0.461500,
            -0.889497, -0.473830, -0.072800, -0.933313, 0.037814, -0.799168],
        dx=[0.095306, 0.156985, 0.144832, -0.017931, -0.000885, 0.016577, 0.005443, 0.057916, 0.083150, -0.035060,
            -0.044985, -0.033753, -0.028032, 0.029219, 0.072727, -0.011277, -0.037958, -0.046787],
        dp_head=[-0.054549, -0.003211, 0.049636, -0.042868, -0.030729, -0.004137, -0.026520, -0.005537],
        dp_tail=[0.571989, 0.336809, 0.062410, -0.190022],
        dh0=[0.025916, 0.017154, -0.040069, 0.004909, 0.009553, -0.007953, 0.010899, 0.013660, 0.042530, 0.092047,
            -0.112525, -0.129628, 0.068577, -0.065084, -0.092616, 0.064061]),
    ('gru', 2, 2): dict(
        out=[-0.073120, 0.155696, 0.196407, 0.285902, -0.069655, -0.060335, 0.324439, 0.227075, -0.405805, 0.179558,
            0.044645, 0.235700, -0.208827, 0.046165, 0.170285, 0.269588, -0.444494, 0.120746, 0.049035, 0.077818,
            -0.471879, 0.202977, -0.069695, 0.235175],
        hy=[0.546230, 0.329108, 0.314409, 0.472828, -0.031004, 0.095603, -0.085111, 0.064862, -0.444494, 0.120746,
            -0.471879, 0.202977, 0.196407, 0.285902, 0.324439, 0.227075],
        dx=[0.064624, 0.163714, 0.185807, -0.113664, -0.083627, -0.014259, -0.153457, -0.079348, 0.032078, -0.145743,
            -0.117751, -0.034379, -0.017279, 0.064106, 0.115340, -0.265020, -0.162019, 0.017181],
        dp_head=[-0.021620, -0.010231, 0.005969, -0.031638, -0.012415, 0.012647, 0.019064, 0.031001],
        dp_tail=[-0.274046, 0.023246, 0.398087, 0.309635],
        dh0=[0.021712, -0.031675, 0.072139, 0.297106, 0.218348, -0.082190, 0.204765, 0.022568, -0.346368, -0.606207,
            -0.036043, 0.256542, -0.249088, -0.360386, 0.385186, 0.644925]),
    ('rnn_tanh', 1, 2): dict(
        out=[0.472952, -0.789377, 0.244004, -0.384874, 0.459482, -0.475739, 0.164380, -0.093720, -0.808365, -0.157727,
            -0.805174, 0.861116, 0.506956, -0.862338, 0.250704, -0.372401, 0.656513, -0.523951, 0.273753, -0.229263,
            -0.807928, -0.190032, -0.760109, 0.877147],
        hy=[0.656513, -0.523951, -0.807928, -0.190032, 0.244004, -0.384874, 0.164380, -0.093720],
        dx=[-0.357055, -0.366060, -0.202901, 0.735412, 0.315604, -0.252638, -0.143033, 0.222949, 0.484075, 0.054837,
            -0.301174, -0.515539, -0.153278, 0.306417, 0.621999, -0.021992, -0.341178, -0.499903],
        dp_head=[0.360056, -0.115889, -0.537329, 0.538053, 0.248889, -0.157332, -0.128372, 0.075776],
        dp_tail=[1.395070, 0.739857, 1.395070, 0.739857],
        dh0=[0.220287, -0.094081, -0.057917, 0.259373, -0.321153, -0.635144, 0.091769, 0.233000]),
    ('rnn_relu', 2, 1): dict(
        out=[0.111104, 0.000000, 0.000000, 0.000000, 0.000000, 0.000000, 0.000000, 0.000000, 0.075671, 0.000000,
            0.000000, 0.000000],
        hy=[0.908515, 1.143045, 0.000000, 1.290739, 0.075671, 0.000000, 0.000000, 0.000000],
        dx=[-0.158492, -0.186781, -0.127224, 0.001510, -0.034759, -0.054680, -0.000311, 0.004572, 0.007304, 0.054220,
            -0.038526, -0.113153, -0.237679, -0.188417, -0.050540, 0.015156, -0.223013, -0.356295],
        dp_head=[-0.470765, -0.344592, -0.056351, -0.764708, -0.546959, -0.071967, 0.038788, -0.703000],
        dp_tail=[0.067414, 0.000000, 0.067414, 0.000000],
        dh0=[0.166400, 0.070420, 0.018053, 0.047370, 0.371188, 0.331272, 0.000000, 0.000000]),
}


@pytest.mark.parametrize("key", list(MXNET))
def test_matches_mxnet_values_and_gradients(key):
    mode, L, D = key
    want = MXNET[key]
    args = [mx.nd.array(a) for a in _inputs(mode, L, D)]
    for a in args:
        a.attach_grad()
    with autograd.record():
        outs = mx.nd.RNN(*args, state_size=2, num_layers=L, mode=mode, bidirectional=D == 2, state_outputs=True)
        loss = ((outs[0] * mx.nd.array(_pat(outs[0].shape, 4, 1.0))).sum()
                + (outs[1] * mx.nd.array(_pat(outs[1].shape, 5, 1.0))).sum())
    loss.backward()
    assert len(outs) == (3 if mode == 'lstm' else 2)
    close = dict(rtol=1e-4, atol=2e-6)
    np.testing.assert_allclose(outs[0].asnumpy().ravel(), want['out'], **close)
    np.testing.assert_allclose(outs[1].asnumpy().ravel(), want['hy'], **close)
    if mode == 'lstm':
        np.testing.assert_allclose(outs[2].asnumpy().ravel(), want['cy'], **close)
    np.testing.assert_allclose(args[0].grad.asnumpy().ravel(), want['dx'], **close)
    dp = args[1].grad.asnumpy().ravel()
    np.testing.assert_allclose(dp[:8], want['dp_head'], **close)
    np.testing.assert_allclose(dp[-4:], want['dp_tail'], **close)
    np.testing.assert_allclose(args[2].grad.asnumpy().ravel(), want['dh0'], **close)


@pytest.mark.parametrize("mode", list(GATES))
@pytest.mark.parametrize("D", [1, 2])
def test_matches_numpy_reference(mode, D):
    L, T, N, I, H = 2, 5, 3, 4, 6
    rs = np.random.RandomState(3)
    x = rs.randn(T, N, I).astype(np.float32)
    p = (rs.randn(_num_params(mode, L, D, I, H)) * 0.4).astype(np.float32)
    h0 = rs.randn(L * D, N, H).astype(np.float32)
    c0 = rs.randn(L * D, N, H).astype(np.float32) if mode == 'lstm' else None
    args = [mx.nd.array(a) for a in (x, p, h0, c0) if a is not None]
    outs = mx.nd.RNN(*args, state_size=H, num_layers=L, mode=mode, bidirectional=D == 2, state_outputs=True)
    ref = _reference(mode, x.astype(np.float64), p.astype(np.float64), h0, c0, L, D, H)
    for o, r in zip(outs, ref):
        np.testing.assert_allclose(o.asnumpy(), r, rtol=1e-4, atol=1e-5)
    only = mx.nd.RNN(*args, state_size=H, num_layers=L, mode=mode, bidirectional=D == 2)
    assert isinstance(only, mx.nd.NDArray) and only.shape == (T, N, D * H)


def test_symbol_infer_shape_and_outputs():
    # MXNet 1.9.1: the same shapes and output names.
    s = mx.sym.RNN(mx.sym.var('data'), mx.sym.var('parameters'), mx.sym.var('state'), mx.sym.var('state_cell'),
                   state_size=5, num_layers=2, mode='lstm', bidirectional=True, state_outputs=True, name='rnn0')
    assert s.list_arguments() == ['data', 'parameters', 'state', 'state_cell']
    assert s.list_outputs() == ['rnn0_output', 'rnn0_state_output', 'rnn0_statecell_output']
    args, outs, aux = s.infer_shape(data=(3, 2, 4))
    assert args == [(3, 2, 4), (1120,), (4, 2, 5), (4, 2, 5)]
    assert outs == [(3, 2, 10), (4, 2, 5), (4, 2, 5)]
    assert aux == []
    g = mx.sym.RNN(mx.sym.var('data'), mx.sym.var('parameters'), mx.sym.var('state'), state_size=5, num_layers=1,
                   mode='gru', name='rnn1')
    assert g.list_outputs() == ['rnn1_output']
    assert g.infer_shape(data=(3, 2, 4)) == ([(3, 2, 4), (165,), (1, 2, 5)], [(3, 2, 5)], [])
    q = mx.sym.RNN(data=mx.sym.var('data'), parameters=mx.sym.var('parameters'), state=mx.sym.var('state'),
                   sequence_length=mx.sym.var('sl'), state_size=5, num_layers=1, mode='gru', use_sequence_length=True)
    assert q.list_arguments() == ['data', 'parameters', 'state', 'sl']
    assert q.infer_shape(data=(3, 2, 4))[0] == [(3, 2, 4), (165,), (1, 2, 5), (2,)]


def test_sequence_length_masks_outputs():
    x, p, h0 = (mx.nd.array(a) for a in _inputs('gru', 1, 2, T=4))
    full = mx.nd.RNN(x, p, h0, state_size=2, num_layers=1, mode='gru', bidirectional=True, state_outputs=True)
    short = mx.nd.RNN(x, p, h0, mx.nd.array([4, 2]), state_size=2, num_layers=1, mode='gru', bidirectional=True,
                      state_outputs=True, use_sequence_length=True)
    np.testing.assert_allclose(short[0].asnumpy()[:, 0], full[0].asnumpy()[:, 0], rtol=1e-6)
    assert not short[0].asnumpy()[2:, 1].any()
    # the second sequence, cut to its 2 steps, run on its own
    alone = mx.nd.RNN(x[:2, 1:2], p, h0[:, 1:2], state_size=2, num_layers=1, mode='gru', bidirectional=True,
                      state_outputs=True)
    np.testing.assert_allclose(short[0].asnumpy()[:2, 1:2], alone[0].asnumpy(), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(short[1].asnumpy()[:, 1:2], alone[1].asnumpy(), rtol=1e-5, atol=1e-7)


def test_errors_name_the_operator_argument_and_shapes():
    x, h = mx.nd.ones((3, 2, 4)), mx.nd.zeros((1, 2, 5))
    kw = dict(state_size=5, num_layers=1, mode='lstm')
    with pytest.raises(mx.base.MXNetError, match=r"operator RNN: shape mismatch for 'parameters': expected \(220,\), "
                                                 r"got \(7,\)"):
        mx.nd.RNN(x, mx.nd.ones((7,)), h, h, **kw)
    with pytest.raises(mx.base.MXNetError, match=r"operator RNN: shape mismatch for 'state': expected \(1,2,5\), "
                                                 r"got \(2,2,5\)"):
        mx.nd.RNN(x, mx.nd.ones((220,)), mx.nd.zeros((2, 2, 5)), h, **kw)
    with pytest.raises(mx.base.MXNetError, match=r"'data' should be a rank-3 tensor .* got shape \(3,4\)"):
        mx.nd.RNN(mx.nd.ones((3, 4)), mx.nd.ones((220,)), h, h, **kw)
    with pytest.raises(mx.base.MXNetError, match=r"mode"):
        mx.nd.RNN(x, mx.nd.ones((220,)), h, h, state_size=5, num_layers=1, mode='foo')
    with pytest.raises(mx.base.MXNetError, match=r"projection_size=3 .* not supported"):
        mx.nd.RNN(x, mx.nd.ones((220,)), h, h, projection_size=3, **kw)


@pytest.mark.parametrize("layer,nstates", [(rnn.LSTM, 2), (rnn.GRU, 1), (rnn.RNN, 1)])
def test_hybridized_layers_are_one_rnn_node_for_every_length(tmp_path, layer, nstates):
    net = layer(4, num_layers=2, bidirectional=True, input_size=3)
    net.initialize()
    plain = [net(mx.nd.array(_pat((T, 2, 3), T, 1.0))).asnumpy() for T in (3, 7)]
    net.hybridize()
    for T, want in zip((3, 7), plain):
        np.testing.assert_allclose(net(mx.nd.array(_pat((T, 2, 3), T, 1.0))).asnumpy(), want, rtol=1e-6)
    net(mx.nd.array(_pat((7, 2, 3), 7, 1.0)), net.begin_state(2))
    net.export(str(tmp_path / 'net'))
    nodes = json.load(open(str(tmp_path / 'net-symbol.json')))['nodes']
    ops = [n['op'] for n in nodes]
    # As MXNet 1.9.1 writes it: the 16 parameters flattened by Reshape(shape=-1), joined by one _rnn_param_concat
    # (weights first), and one RNN node taking data, the parameters and the states.
    assert ops.count('RNN') == 1 and ops.count('_rnn_param_concat') == 1 and ops.count('Reshape') == 16
    concat = nodes[ops.index('_rnn_param_concat')]
    assert [nodes[nodes[i[0]]['inputs'][0][0]]['name'] for i in concat['inputs']][:3] == [
        net.prefix + 'l0_i2h_weight', net.prefix + 'l0_h2h_weight', net.prefix + 'r0_i2h_weight']
    node = nodes[ops.index('RNN')]
    assert node['attrs'] == {  # every parameter, as strings, as MXNet 1.9.1 writes them
        'bidirectional': 'True', 'lstm_state_clip_max': 'None', 'lstm_state_clip_min': 'None',
        'lstm_state_clip_nan': 'False', 'mode': {rnn.LSTM: 'lstm', rnn.GRU: 'gru', rnn.RNN: 'rnn_relu'}[layer],
        'num_layers': '2', 'p': '0', 'projection_size': 'None', 'state_outputs': 'True', 'state_size': '4',
        'use_sequence_length': 'False'}
    assert [nodes[i[0]]['name'] for i in node['inputs']][2:] == ['data%d' % (k + 1) for k in range(nstates)]
    back = mx.gluon.SymbolBlock.imports(str(tmp_path / 'net-symbol.json'),
                                        ['data%d' % k for k in range(nstates + 1)], str(tmp_path / 'net-0000.params'))
    x = mx.nd.array(_pat((5, 2, 3), 1, 1.0))
    states = net.begin_state(2)
    want = net(x, states)
    np.testing.assert_allclose(back(x, *states)[0].asnumpy(), want[0].asnumpy(), rtol=1e-6)


def test_lstm_layer_state_clip():
    net = rnn.LSTM(3, input_size=2, state_clip_min=-0.1, state_clip_max=0.1)
    net.initialize(mx.init.Uniform(2.0))
    _, (h, c) = net(mx.nd.array(_pat((4, 2, 2), 0, 3.0)), net.begin_state(2))
    assert np.abs(c.asnumpy()).max() <= 0.1 + 1e-7
    assert np.abs(c.asnumpy()).max() > 0.099


@pytest.mark.skipif(mx.context.num_gpus() == 0, reason="no GPU")
@pytest.mark.parametrize("mode", list(GATES))
def test_gpu_matches_cpu(mode):
    """The native GPU kernels (cuBLAS and cuda/rnn.cu) against the CPU: outputs and every gradient."""
    results = []
    for ctx in (mx.cpu(), mx.gpu(0)):
        args = [mx.nd.array(a, ctx=ctx) for a in _inputs(mode, 2, 2, T=4, N=3, I=3, H=2)]
        for a in args:
            a.attach_grad()
        with autograd.record():
            outs = mx.nd.RNN(*args, state_size=2, num_layers=2, mode=mode, bidirectional=True, state_outputs=True)
            loss = ((outs[0] * mx.nd.array(_pat(outs[0].shape, 4, 1.0), ctx=ctx)).sum()
                    + (outs[1] * mx.nd.array(_pat(outs[1].shape, 5, 1.0), ctx=ctx)).sum())
        loss.backward()
        results.append([o.asnumpy() for o in outs] + [a.grad.asnumpy() for a in args])
    for c, g in zip(*results):
        np.testing.assert_allclose(g, c, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("layout", ["TNC", "NTC"])
def test_layer_sequence_length(layout):
    """use_sequence_length=True (as MXNet's layers take it): a sequence cut to its length run alone gives the same
    outputs and final states; steps past it output zeros. The same hybridized."""
    net = rnn.LSTM(3, num_layers=2, bidirectional=True, input_size=2, layout=layout, use_sequence_length=True)
    net.initialize(mx.init.Uniform(0.5))
    x = _pat((5, 2, 2), 0, 1.0)
    lengths = mx.nd.array([5, 3])
    if layout == 'NTC':
        x = x.transpose(1, 0, 2)
    t_axis = layout.find('T')
    for hybrid in (False, True):
        if hybrid:
            net.hybridize()
        out, (h, c) = net(mx.nd.array(x), net.begin_state(2), lengths)
        out = out.asnumpy()
        for b, n in enumerate((5, 3)):
            one = np.take(np.take(x, [b], axis=layout.find('N')), range(n), axis=t_axis)
            # a length equal to the sequence's own: the same as without a cut
            o1, (h1, c1) = net(mx.nd.array(one), net.begin_state(1), mx.nd.array([n]))
            got = np.take(np.take(out, [b], axis=layout.find('N')), range(n), axis=t_axis)
            np.testing.assert_allclose(got, o1.asnumpy(), rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(h.asnumpy()[:, b:b + 1], h1.asnumpy(), rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(c.asnumpy()[:, b:b + 1], c1.asnumpy(), rtol=1e-5, atol=1e-6)
        assert not np.take(np.take(out, [1], axis=layout.find('N')), range(3, 5), axis=t_axis).any()
        np.testing.assert_allclose(net(mx.nd.array(x), None, lengths).asnumpy(), out, rtol=1e-6)  # zero states
    with pytest.raises(ValueError, match="use_sequence_length=True: pass sequence_length"):
        net(mx.nd.array(x))
    with pytest.raises(ValueError, match="sequence_length given to a layer made without"):
        rnn.GRU(3, input_size=2)(mx.nd.ones((4, 2, 2)), None, lengths)
