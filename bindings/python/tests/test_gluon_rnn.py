"""mx.gluon.rnn: cells and layers against MXNet 1.9.1's numbers (literals below, from running MXNet on the same
fixed weights), against a NumPy reference, gradients against finite differences, names, reprs, errors, and a small
training run."""
import numpy as np
import pytest

import mxc as mx
from mxc import autograd, gluon
from mxc.gluon import rnn


def _pat(shape, k, scale=0.5):
    return (np.sin(np.arange(int(np.prod(shape))) * 0.7 + k) * scale).reshape(shape).astype(np.float32)


def _fill(block):
    """Initializes ``block`` with fixed sin-pattern weights (the k-th parameter of collect_params gets phase k);
    returns {name: array}."""
    block.initialize(force_reinit=True)
    out = {}
    for k, (name, p) in enumerate(block.collect_params().items()):
        out[name] = _pat(p.shape, k)
        p.set_data(mx.nd.array(out[name]))
    return out


_X = _pat((2, 3, 2), 10, 1.0)   # (N, T, C)
_XT = _X.transpose(1, 0, 2)     # (T, N, C)


def _a(x):
    return mx.nd.array(x)


# MXNet 1.9.1's results for the cases of _mxnet_cases (same weights, inputs and calls), rounded to 6 digits.
_MXNET = {
    'rnncell': [[[[0.741519, 0.0, 0.0], [0.692357, 0.0, 0.0], [1.075414, 0.424154, 0.0]], [[0.387294, 1.105977, 0.0],
        [1.056782, 0.0, 0.0], [0.675884, 0.0, 0.0]]], [[1.075414, 0.424154, 0.0], [0.675884, 0.0, 0.0]]],
    'lstmcell': [[[[-0.009009, 0.088325, 0.119122], [0.308922, 0.127141, 0.017743]], [[-0.01599, 0.104702, 0.131939],
        [0.285612, 0.154363, 0.084235]], [[0.272236, 0.149268, 0.119305], [0.168443, 0.094097, 0.10999]]], [[0.272236,
        0.149268, 0.119305], [0.168443, 0.094097, 0.10999]], [[0.40704, 0.267198, 0.381739], [0.286928, 0.371539,
        0.349092]]],
    'lstmcell_valid': [[[[-0.009009, 0.088325, 0.119122], [-0.01599, 0.104702, 0.131939], [0.272236, 0.149268,
        0.119305]], [[0.308922, 0.127141, 0.017743], [0.285612, 0.154363, 0.084235], [0.0, 0.0, 0.0]]], [[0.272236,
        0.149268, 0.119305], [0.285612, 0.154363, 0.084235]], [[0.40704, 0.267198, 0.381739], [0.489271, 0.380045,
        0.249257]]],
    'grucell': [[[0.172384, 0.528722, 0.554185], [0.317354, 0.088653, -0.188597]], [[0.15908, 0.568398, 0.742701],
        [0.260748, 0.463268, 0.321218]], [[0.15908, 0.568398, 0.742701], [0.260748, 0.463268, 0.321218]]],
    'seqcell': [[[[-0.227228, -0.164151, -0.112307], [-0.347884, -0.358597, -0.126728], [-0.151837, -0.447627,
        -0.051014]], [[0.054462, -0.152116, -0.110857], [-0.099422, -0.329867, -0.060807], [-0.267364, -0.512874,
        -0.063162]]], [[0.272236, 0.149268, 0.119305], [0.168443, 0.094097, 0.10999]], [[0.40704, 0.267198, 0.381739],
        [0.286928, 0.371539, 0.349092]], [[-0.424073, -0.596895, -0.170319], [-0.435808, -0.606971, -0.173152]]],
    'bicell': [[[[-0.136331, -0.179501, 0.294029, 0.124994], [-0.176333, -0.254891, 0.170634, 0.027837], [-0.359046,
        -0.027328, -0.024145, -0.174327]], [[-0.344521, 0.156514, 0.175672, -0.124178], [-0.290304, -0.088647, 0.246653,
        0.05827], [-0.197549, -0.22745, 0.237811, 0.217554]]], [[-0.359046, -0.027328], [-0.197549, -0.22745]],
        [[-0.610716, -0.042491], [-0.464017, -0.283184]], [[0.294029, 0.124994], [0.175672, -0.124178]]],
    'bicell_valid': [[[[-0.136331, -0.179501, 0.275034, 0.17884], [-0.176333, -0.254891, 0.155713, 0.122608], [0.0,
        0.0, 0.0, 0.0]], [[-0.344521, 0.156514, 0.175672, -0.124178], [-0.290304, -0.088647, 0.246653, 0.05827],
        [-0.197549, -0.22745, 0.237811, 0.217554]]], [[-0.176333, -0.254891], [-0.197549, -0.22745]], [[-0.379889,
        -0.33648], [-0.464017, -0.283184]], [[0.275034, 0.17884], [0.175672, -0.124178]]],
    'lstm_bi2_ntc': [[[[0.203124, 0.020502, -0.001216, -0.176908, 0.03618, 0.428331], [0.277, 0.009178, -0.051559,
        -0.181456, 0.028612, 0.419086], [0.300621, 0.007244, -0.08111, -0.200139, 0.033934, 0.452839]], [[0.114484,
        -0.067342, -0.112363, -0.159684, 0.069996, 0.376386], [0.253391, -0.040933, -0.125279, -0.113976, 0.109086,
        0.322478], [0.288247, -0.027957, -0.141682, 0.145653, 0.125131, 0.147594]]], [[[0.250831, 0.143946, 0.141338],
        [0.225898, 0.092663, 0.101949]], [[-0.55544, -0.481027, -0.229514], [-0.304823, -0.197637, -0.111851]],
        [[0.300621, 0.007244, -0.08111], [0.288247, -0.027957, -0.141682]], [[-0.176908, 0.03618, 0.428331], [-0.159684,
        0.069996, 0.376386]]], [[[0.374084, 0.258945, 0.450093], [0.389822, 0.362187, 0.329694]], [[-0.9124, -1.048448,
        -0.389496], [-0.854663, -0.453016, -0.135379]], [[0.852344, 0.02866, -0.27138], [0.765867, -0.12455, -0.46506]],
        [[-0.276062, 0.070807, 0.930009], [-0.248211, 0.134335, 0.783928]]]],
    'gru': [[[[-0.110328, 0.4782, 0.588206], [0.543981, 0.093962, -0.037054]], [[-0.047345, 0.553438, 0.75761],
        [0.418607, 0.456366, 0.370671]], [[0.485851, 0.012081, 0.542327], [0.273974, 0.635076, 0.74729]]]],
    'rnn_tanh2': [[[[0.723001, -0.208281, 0.788788], [-0.393257, 0.790458, 0.800964]], [[0.2731, 0.660558, 0.596046],
        [0.32342, 0.673234, 0.543202]], [[-0.323465, 0.825495, 0.725427], [0.322168, 0.710609, 0.491178]]], [[[0.45162,
        0.66779, -0.669161], [0.165003, -0.452997, -0.750597]], [[-0.323465, 0.825495, 0.725427], [0.322168, 0.710609,
        0.491178]]]],
    'rnn_relu_bi': [[[[0.217068, 0.0, 0.0, 0.023335, 2.185553, 0.0], [0.758055, 0.752523, 0.0, 0.0, 1.266987,
        0.884502]], [[0.471702, 0.0, 0.0, 0.690864, 1.882549, 0.0], [1.037521, 0.0, 0.0, 0.0, 1.732411, 0.39323]],
        [[0.982576, 0.419567, 0.0, 0.0, 0.533848, 1.310824], [0.66778, 0.0, 0.0, 1.008836, 1.151095, 0.211133]]]],
    'gru_bi2': [[[[0.133175, 0.213233, -0.362157, -0.731294], [0.218211, 0.196731, -0.453103, -0.649662]], [[0.063695,
        0.341358, -0.266589, -0.709588], [0.220283, 0.287135, -0.287805, -0.665055]], [[0.03672, 0.426685, -0.191004,
        -0.522908], [0.178224, 0.340595, -0.157714, -0.529409]]], [[[-0.558375, -0.162596], [-0.43931, -0.478002]],
        [[0.294029, 0.124994], [0.175672, -0.124178]], [[0.03672, 0.426685], [0.178224, 0.340595]], [[-0.362157,
        -0.731294], [-0.453103, -0.649662]]]],
    'seq_bi_valid': [[[[-0.817262, -0.953872, -0.379747, 0.126795], [-0.766528, -0.536052, -0.527437, -0.064933]],
        [[-1.103533, -0.707354, -0.649214, 0.449479], [-0.750635, -0.823313, -0.546565, 0.600672]], [[-0.995934,
        -0.330286, -0.881518, 0.60034], [-1.174431, -0.568027, -0.6603, 0.521678]], [[-0.973595, -0.631609, -0.639014,
        0.718255], [0.0, 0.0, 0.0, 0.0]], [[-1.239126, -0.511139, -0.67953, 0.545897], [0.0, 0.0, 0.0, 0.0]]], [[-0.42713,
        -0.297403], [-0.403623, -0.259446]], [[-0.667317, -0.465277], [-0.625787, -0.409091]], [[0.213457, -0.01024],
        [-0.042742, -0.086053]], [[-0.811996, -0.213736, -0.883578, 0.756466], [-0.770809, -0.308581, -0.864372,
        0.733504]]],
}


def _mxnet_cases():
    """The calls whose results _MXNET holds (the same script ran under MXNet 1.9.1)."""
    res = {}
    c = rnn.RNNCell(3, activation='relu', input_size=2)
    _fill(c)
    o, s = c.unroll(3, _a(_X), begin_state=[_a(_pat((2, 3), 20))], layout='NTC', merge_outputs=True)
    res['rnncell'] = [o, s[0]]
    c = rnn.LSTMCell(3, input_size=2)
    _fill(c)
    o, s = c.unroll(3, _a(_XT), layout='TNC', merge_outputs=True)
    res['lstmcell'] = [o] + s
    o, s = c.unroll(3, _a(_X), layout='NTC', valid_length=_a([3, 2]))
    res['lstmcell_valid'] = [o] + s
    c = rnn.GRUCell(3, input_size=2)
    _fill(c)
    st = [_a(_pat((2, 3), 21))]
    o1, st = c(_a(_X[:, 0]), st)
    o2, st = c(_a(_X[:, 1]), st)
    res['grucell'] = [o1, o2, st[0]]
    q = rnn.SequentialRNNCell()
    with q.name_scope():
        q.add(rnn.LSTMCell(3, input_size=2))
        q.add(rnn.ResidualCell(rnn.GRUCell(3, input_size=3)))
    _fill(q)
    o, s = q.unroll(3, _a(_X), layout='NTC', merge_outputs=True)
    res['seqcell'] = [o] + s
    b = rnn.BidirectionalCell(rnn.LSTMCell(2, input_size=2), rnn.GRUCell(2, input_size=2))
    _fill(b)
    o, s = b.unroll(3, _a(_X), layout='NTC', merge_outputs=True)
    res['bicell'] = [o] + s
    o, s = b.unroll(3, _a(_X), layout='NTC', merge_outputs=True, valid_length=_a([2, 3]))
    res['bicell_valid'] = [o] + s
    lay = rnn.LSTM(3, num_layers=2, bidirectional=True, layout='NTC', input_size=2)
    _fill(lay)
    o, s = lay(_a(_X), [_a(_pat((4, 2, 3), 30)), _a(_pat((4, 2, 3), 31))])
    res['lstm_bi2_ntc'] = [o] + s
    lay = rnn.GRU(3, input_size=2)
    _fill(lay)
    res['gru'] = [lay(_a(_XT))]
    lay = rnn.RNN(3, num_layers=2, activation='tanh', input_size=2)
    _fill(lay)
    o, s = lay(_a(_XT), _a(_pat((2, 2, 3), 32)))
    res['rnn_tanh2'] = [o] + s
    lay = rnn.RNN(3, bidirectional=True, input_size=2)
    _fill(lay)
    res['rnn_relu_bi'] = [lay(_a(_XT))]
    lay = rnn.GRU(2, num_layers=2, bidirectional=True, input_size=2)
    _fill(lay)
    o, s = lay(_a(_XT), lay.begin_state(2))
    res['gru_bi2'] = [o] + s
    q = rnn.SequentialRNNCell()
    q.add(rnn.BidirectionalCell(rnn.LSTMCell(2, input_size=3), rnn.GRUCell(2, input_size=3)))
    q.add(rnn.DropoutCell(0.0))
    q.add(rnn.ResidualCell(rnn.RNNCell(4, input_size=4)))
    _fill(q)
    o, s = q.unroll(5, _a(_pat((5, 2, 3), 8, 1.0)), layout='TNC', merge_outputs=True, valid_length=_a([5, 3]))
    res['seq_bi_valid'] = [o] + s
    return res


def test_matches_mxnet_numbers():
    got = _mxnet_cases()
    assert sorted(got) == sorted(_MXNET)
    for name, want in _MXNET.items():
        assert len(got[name]) == len(want), name
        for k, (g, w) in enumerate(zip(got[name], want)):
            assert isinstance(g, mx.nd.NDArray), (name, k)
            np.testing.assert_allclose(g.asnumpy(), np.array(w), atol=2e-6, err_msg="%s[%d]" % (name, k))


# ---- NumPy reference -------------------------------------------------------------------------------------------
def _sig(x):
    return 1 / (1 + np.exp(-x))


def _np_step(kind, x, states, wi, wh, bi, bh, act='tanh'):
    """One step of an RNN ('rnn'), LSTM or GRU cell: gate rows i, f, g, o (LSTM) and r, z, n (GRU)."""
    a, b = x @ wi.T + bi, states[0] @ wh.T + bh
    if kind == 'rnn':
        h = np.tanh(a + b) if act == 'tanh' else np.maximum(a + b, 0)
        return h, [h]
    if kind == 'lstm':
        i, f, g, o = np.split(a + b, 4, axis=1)
        c = _sig(f) * states[1] + _sig(i) * np.tanh(g)
        h = _sig(o) * np.tanh(c)
        return h, [h, c]
    (ar, az, an), (br, bz, bn) = np.split(a, 3, axis=1), np.split(b, 3, axis=1)
    r, z = _sig(ar + br), _sig(az + bz)
    n = np.tanh(an + r * bn)
    h = (1 - z) * n + z * states[0]
    return h, [h]


def _np_layer(kind, x, w, prefix, layers, dirs, states, act='relu'):
    """A multi-layer (bi)directional layer on x (T, N, C); w: {name: array}; states: list of (L*D, N, H)."""
    new = [[] for _ in states]
    for layer in range(layers):
        seqs = []
        for d in range(dirs):
            p = [w['%s%s%d_%s' % (prefix, 'lr'[d], layer, n)] for n in ('i2h_weight', 'h2h_weight', 'i2h_bias',
                                                                          'h2h_bias')]
            st = [s[layer * dirs + d] for s in states]
            outs = [None] * len(x)
            for t in (range(len(x)) if d == 0 else reversed(range(len(x)))):
                outs[t], st = _np_step(kind, x[t], st, *p, act=act)
            seqs.append(np.stack(outs))
            for k, s in enumerate(st):
                new[k].append(s)
        x = np.concatenate(seqs, axis=2)
    return x, [np.stack(s) for s in new]


_LAYERS = {'rnn': rnn.RNN, 'lstm': rnn.LSTM, 'gru': rnn.GRU}


@pytest.mark.parametrize("kind,layers,bidir,layout,given,act", [
    ('lstm', 2, True, 'NTC', True, None), ('lstm', 1, False, 'TNC', False, None),
    ('gru', 1, False, 'TNC', False, None), ('gru', 2, True, 'NTC', True, None),
    ('rnn', 2, True, 'TNC', True, 'relu'), ('rnn', 1, False, 'NTC', False, 'tanh'),
])
def test_layer_matches_numpy(kind, layers, bidir, layout, given, act):
    H, N, T, C = 4, 3, 5, 3
    kw = {'activation': act} if act else {}
    lay = _LAYERS[kind](H, num_layers=layers, bidirectional=bidir, layout=layout, **kw)
    x = _pat((T, N, C), 3, 1.0)
    xin = x if layout == 'TNC' else x.transpose(1, 0, 2)
    lay.initialize()
    lay(_a(xin))                                            # finds input_size (deferred)
    assert lay.l0_i2h_weight.shape == ((4 if kind == 'lstm' else 3 if kind == 'gru' else 1) * H, C)
    w = _fill(lay)
    dirs = 2 if bidir else 1
    nstates = 2 if kind == 'lstm' else 1
    states = [_pat((layers * dirs, N, H), 40 + k) for k in range(nstates)] if given else \
        [np.zeros((layers * dirs, N, H), np.float32)] * nstates
    want, want_states = _np_layer(kind, x, w, lay.prefix, layers, dirs, states, act or 'relu')
    if layout == 'NTC':
        want = want.transpose(1, 0, 2)
    if given:
        out, new = lay(_a(xin), [_a(s) for s in states])
        assert len(new) == nstates
        for g, s in zip(new, want_states):
            np.testing.assert_allclose(g.asnumpy(), s, rtol=1e-5, atol=1e-5)
    else:
        out = lay(_a(xin))
    np.testing.assert_allclose(out.asnumpy(), want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kind", ['rnn', 'lstm', 'gru'])
def test_cells_match_numpy(kind):
    H, N, T, C = 3, 2, 4, 5
    cell = {'rnn': lambda: rnn.RNNCell(H, activation='relu'), 'lstm': lambda: rnn.LSTMCell(H),
            'gru': lambda: rnn.GRUCell(H)}[kind]()
    cell.initialize()
    x = _pat((N, T, C), 5, 1.0)
    cell(_a(x[:, 0]), cell.begin_state(N))                    # finds input_size
    w = _fill(cell)
    p = [w[cell.prefix + n] for n in ('i2h_weight', 'h2h_weight', 'i2h_bias', 'h2h_bias')]
    begin = [_pat((N, H), 50 + k) for k in range(len(cell.state_info()))]
    st, outs = begin, []
    for t in range(T):
        o, st = _np_step(kind, x[:, t], st, *p, act='relu')
        outs.append(o)
    got, got_states = cell.unroll(T, _a(x), begin_state=[_a(b) for b in begin], layout='NTC')
    assert isinstance(got, mx.nd.NDArray) and got.shape == (N, T, H)
    np.testing.assert_allclose(got.asnumpy(), np.stack(outs, axis=1), rtol=1e-5, atol=1e-5)
    for g, s in zip(got_states, st):
        np.testing.assert_allclose(g.asnumpy(), s, rtol=1e-5, atol=1e-5)
    listed, _ = cell.unroll(T, [_a(x[:, t]) for t in range(T)], begin_state=[_a(b) for b in begin])
    assert isinstance(listed, list) and len(listed) == T
    np.testing.assert_allclose(listed[-1].asnumpy(), outs[-1], rtol=1e-5, atol=1e-5)


def test_modifier_and_bidirectional_cells_match_numpy():
    N, T, C = 2, 4, 3
    x = _pat((N, T, C), 7, 1.0)
    lcell, gcell = rnn.LSTMCell(3, input_size=C), rnn.GRUCell(3, input_size=3)
    seq = rnn.SequentialRNNCell()
    seq.add(lcell)
    seq.add(rnn.DropoutCell(0.5))
    seq.add(rnn.ResidualCell(gcell))
    w = _fill(seq)
    pl = [w[lcell.prefix + n] for n in ('i2h_weight', 'h2h_weight', 'i2h_bias', 'h2h_bias')]
    pg = [w[gcell.prefix + n] for n in ('i2h_weight', 'h2h_weight', 'i2h_bias', 'h2h_bias')]
    sl, sg, outs = [np.zeros((N, 3), np.float32)] * 2, [np.zeros((N, 3), np.float32)], []
    for t in range(T):
        o, sl = _np_step('lstm', x[:, t], sl, *pl)        # dropout is the identity outside training
        g, sg = _np_step('gru', o, sg, *pg)
        outs.append(g + o)
    got, states = seq.unroll(T, _a(x), merge_outputs=True)
    np.testing.assert_allclose(got.asnumpy(), np.stack(outs, axis=1), rtol=1e-5, atol=1e-5)
    assert len(states) == 3
    np.testing.assert_allclose(states[2].asnumpy(), sg[0], rtol=1e-5, atol=1e-5)

    fw, bw = rnn.RNNCell(2, input_size=C), rnn.LSTMCell(2, input_size=C)
    bi = rnn.BidirectionalCell(fw, bw)
    w = _fill(bi)
    pf = [w[fw.prefix + n] for n in ('i2h_weight', 'h2h_weight', 'i2h_bias', 'h2h_bias')]
    pb = [w[bw.prefix + n] for n in ('i2h_weight', 'h2h_weight', 'i2h_bias', 'h2h_bias')]
    sf, sb, of, ob = [np.zeros((N, 2), np.float32)], [np.zeros((N, 2), np.float32)] * 2, [], [None] * T
    for t in range(T):
        o, sf = _np_step('rnn', x[:, t], sf, *pf)
        of.append(o)
    for t in reversed(range(T)):
        ob[t], sb = _np_step('lstm', x[:, t], sb, *pb)
    got, states = bi.unroll(T, _a(x.transpose(1, 0, 2)), layout='TNC', merge_outputs=True)
    want = np.concatenate([np.stack(of), np.stack(ob)], axis=2)
    np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-5, atol=1e-5)
    for g, s in zip(states, sf + sb):
        np.testing.assert_allclose(g.asnumpy(), s, rtol=1e-5, atol=1e-5)


def test_sequential_cell_unrolls_layer_by_layer_with_a_bidirectional_cell():
    bi = rnn.BidirectionalCell(rnn.LSTMCell(2, input_size=3), rnn.GRUCell(2, input_size=3))
    top = rnn.RNNCell(3, input_size=4)
    seq = rnn.SequentialRNNCell()
    seq.add(bi)
    seq.add(top)
    _fill(seq)
    x, length = _a(_pat((2, 5, 3), 8, 1.0)), _a([5, 3])
    out, states = seq.unroll(5, x, merge_outputs=True, valid_length=length)
    mid, s1 = bi.unroll(5, x, merge_outputs=True, valid_length=length)
    want, s2 = top.unroll(5, mid, merge_outputs=True, valid_length=length)
    np.testing.assert_allclose(out.asnumpy(), want.asnumpy(), rtol=1e-6)
    assert len(states) == 4
    for g, w in zip(states, s1 + s2):
        np.testing.assert_allclose(g.asnumpy(), w.asnumpy(), rtol=1e-6)
    with pytest.raises(NotImplementedError, match="cannot be stepped"):
        seq(x[:, 0], seq.begin_state(2))


def test_valid_length_masks_outputs_and_keeps_last_states():
    cell = rnn.GRUCell(3, input_size=2)
    _fill(cell)
    x = _pat((3, 4, 2), 2, 1.0)
    out, st = cell.unroll(4, _a(x), valid_length=_a([4, 2, 1]))
    for b, n in enumerate([4, 2, 1]):
        alone, alone_st = cell.unroll(n, _a(x[b:b + 1, :n]))
        np.testing.assert_allclose(out.asnumpy()[b, :n], alone.asnumpy()[0], rtol=1e-5, atol=1e-6)
        assert not out.asnumpy()[b, n:].any()
        np.testing.assert_allclose(st[0].asnumpy()[b], alone_st[0].asnumpy()[0], rtol=1e-5, atol=1e-6)


# ---- gradients -------------------------------------------------------------------------------------------------
def test_lstm_gradients_match_finite_differences():
    T, N, C, H = 3, 2, 2, 2
    lay = rnn.LSTM(H, bidirectional=True, input_size=C)
    w = {k: v.astype(np.float64) for k, v in _fill(lay).items()}
    x = _pat((T, N, C), 1, 1.0).astype(np.float64)
    R = _pat((T, N, 2 * H), 9, 1.0).astype(np.float64)
    zeros = [np.zeros((2, N, H))] * 2

    def loss(xv, wv):
        return float((_np_layer('lstm', xv, wv, lay.prefix, 1, 2, zeros)[0] * R).sum())

    xa = _a(x)
    xa.attach_grad()
    with autograd.record():
        out = lay(xa)
        total = (out * _a(R)).sum()
    total.backward()
    eps = 1e-6

    def numeric(arr, f):
        g = np.zeros_like(arr)
        for idx in np.ndindex(arr.shape):
            old = arr[idx]
            arr[idx] = old + eps
            up = f()
            arr[idx] = old - eps
            g[idx] = (up - f()) / (2 * eps)
            arr[idx] = old
        return g

    np.testing.assert_allclose(xa.grad.asnumpy(), numeric(x, lambda: loss(x, w)), rtol=1e-3, atol=1e-4)
    for name, p in lay.collect_params().items():
        np.testing.assert_allclose(p.grad().asnumpy(), numeric(w[name], lambda: loss(x, w)), rtol=1e-3, atol=1e-4,
                                   err_msg=name)


# ---- names, shapes, reprs, symbols ---------------------------------------------------------------------------
def _shapes(block):
    return [(k, tuple(v.shape)) for k, v in block.collect_params().items()]


def test_parameter_names_shapes_and_reprs_as_mxnet():
    # MXNet 1.9.1 printed these for the same constructions (in a fresh process, so counters start at 0)
    cells = [rnn.RNNCell(4, input_size=3), rnn.RNNCell(4, activation='relu'), rnn.LSTMCell(4, input_size=3),
             rnn.GRUCell(4, input_size=3)]
    p = [c.prefix for c in cells]
    assert [repr(c) for c in cells] == ['RNNCell(3 -> 4, tanh)', 'RNNCell(None -> 4, relu)', 'LSTMCell(3 -> 16)',
                                        'GRUCell(3 -> 12)']
    assert _shapes(cells[2]) == [(p[2] + 'i2h_weight', (16, 3)), (p[2] + 'h2h_weight', (16, 4)),
                                 (p[2] + 'i2h_bias', (16,)), (p[2] + 'h2h_bias', (16,))]
    assert _shapes(cells[1])[0] == (p[1] + 'i2h_weight', (4, 0))
    assert p[0].startswith('rnn') and p[2].startswith('lstm') and p[3].startswith('gru')
    assert cells[2].state_info(2) == [{'shape': (2, 4), '__layout__': 'NC'}] * 2
    s = rnn.SequentialRNNCell()
    with s.name_scope():
        s.add(rnn.LSTMCell(4, input_size=3))
        s.add(rnn.DropoutCell(0.5))
        s.add(rnn.ResidualCell(rnn.GRUCell(4, input_size=4)))
    assert repr(s) == ("SequentialRNNCell(\n(0): LSTMCell(3 -> 16)\n(1): DropoutCell(rate=0.5, axes=())\n"
                       "(2): ResidualCell(GRUCell(4 -> 12))\n)")
    sp = s.prefix
    assert _shapes(s) == [(sp + 'lstm0_i2h_weight', (16, 3)), (sp + 'lstm0_h2h_weight', (16, 4)),
                          (sp + 'lstm0_i2h_bias', (16,)), (sp + 'lstm0_h2h_bias', (16,)),
                          (sp + 'gru0_i2h_weight', (12, 4)), (sp + 'gru0_h2h_weight', (12, 4)),
                          (sp + 'gru0_i2h_bias', (12,)), (sp + 'gru0_h2h_bias', (12,))]
    assert len(s.state_info(2)) == 3
    b = rnn.BidirectionalCell(rnn.LSTMCell(4, input_size=3), rnn.LSTMCell(4, input_size=3))
    assert repr(b) == 'BidirectionalCell(forward=LSTMCell(3 -> 16), backward=LSTMCell(3 -> 16))'
    assert len(_shapes(b)) == 8 and len(b.state_info(2)) == 4

    lay = rnn.LSTM(4, 2, bidirectional=True, input_size=3)
    lp = lay.prefix
    assert lp.startswith('lstm')
    want = []
    for layer, fan_in in ((0, 3), (1, 8)):
        for d in 'lr':
            want += [(lp + '%s%d_i2h_weight' % (d, layer), (16, fan_in)), (lp + '%s%d_h2h_weight' % (d, layer),
                     (16, 4)), (lp + '%s%d_i2h_bias' % (d, layer), (16,)), (lp + '%s%d_h2h_bias' % (d, layer), (16,))]
    assert _shapes(lay) == want
    assert repr(lay) == 'LSTM(3 -> 4, TNC, num_layers=2, bidirectional)'
    assert lay.state_info(2) == [{'shape': (4, 2, 4), '__layout__': 'LNC', 'dtype': 'float32'}] * 2
    assert repr(rnn.RNN(4, 2, input_size=3)) == 'RNN(3 -> 4, TNC, num_layers=2)'
    assert repr(rnn.GRU(4, layout='NTC', dropout=0.2)) == 'GRU(None -> 4, NTC, dropout=0.2)'
    assert repr(rnn.RNN(5, activation='relu', num_layers=3, dropout=0.5, bidirectional=True, layout='NTC',
                        input_size=2)) == 'RNN(2 -> 5, NTC, num_layers=3, dropout=0.5, bidirectional)'
    g = rnn.GRU(4, layout='NTC')
    assert _shapes(g) == [(g.prefix + 'l0_i2h_weight', (12, 0)), (g.prefix + 'l0_h2h_weight', (12, 4)),
                          (g.prefix + 'l0_i2h_bias', (12,)), (g.prefix + 'l0_h2h_bias', (12,))]
    assert repr(rnn.DropoutCell(0.3)) == 'DropoutCell(rate=0.3, axes=())'


def test_begin_state_and_saved_keys(tmp_path):
    cell = rnn.LSTMCell(4, input_size=3)
    ones = cell.begin_state(2, func=mx.nd.ones)
    assert [s.shape for s in ones] == [(2, 4), (2, 4)] and ones[0].asnumpy().min() == 1
    lay = rnn.LSTM(3, num_layers=2, input_size=2)
    st = lay.begin_state(5)
    assert [s.shape for s in st] == [(2, 5, 3)] * 2 and not st[1].asnumpy().any()
    lay.initialize()
    out, new = lay(mx.nd.ones((4, 5, 2)), st)
    assert out.shape == (4, 5, 3) and [s.shape for s in new] == [(2, 5, 3)] * 2
    f = str(tmp_path / "lstm.params")
    lay.save_parameters(f)
    assert sorted(mx.nd.load(f)) == sorted('l%d_%s' % (k, n) for k in range(2) for n in (
        'i2h_weight', 'h2h_weight', 'i2h_bias', 'h2h_bias'))
    other = rnn.LSTM(3, num_layers=2, input_size=2)
    other.load_parameters(f)
    np.testing.assert_allclose(other(mx.nd.ones((4, 5, 2))).asnumpy(), out.asnumpy(), rtol=1e-6)


def test_symbols_through_cells_and_layers():
    data = mx.sym.var('data')
    cell = rnn.LSTMCell(4, input_size=3)
    out, states = cell.unroll(5, data, layout='NTC', merge_outputs=True)
    _, shapes, _ = out.infer_shape(data=(2, 5, 3))
    assert shapes == [(2, 5, 4)]
    assert sorted(out.list_arguments()) == sorted(['data'] + list(cell.collect_params()))
    bi = rnn.BidirectionalCell(rnn.GRUCell(2, input_size=3), rnn.LSTMCell(2, input_size=3))
    out, states = bi.unroll(4, data, merge_outputs=True, valid_length=mx.sym.var('length'))
    assert out.infer_shape(data=(2, 4, 3), length=(2,))[1] == [(2, 4, 4)]
    assert mx.sym.Group(states).infer_shape(data=(2, 4, 3), length=(2,))[1] == [(2, 2)] * 3
    lay = rnn.GRU(3, num_layers=2, bidirectional=True)
    y = lay(mx.sym.var('x', shape=(6, 2, 5)))
    assert y.infer_shape_partial()[1] == [(6, 2, 6)]
    assert dict(zip(y.list_arguments(), y.infer_shape_partial()[0]))[lay.prefix + 'l0_i2h_weight'] == (9, 5)


# ---- errors ----------------------------------------------------------------------------------------------------
def test_clear_errors():
    lay = rnn.LSTM(4, input_size=3)
    lay.initialize()
    with pytest.raises(ValueError, match=r"rank-3 tensor .*got shape \(2, 3\)"):
        lay(mx.nd.ones((2, 3)))
    with pytest.raises(ValueError, match=r"Invalid recurrent state shape. Expecting \(1, 2, 4\), got \(1, 3, 4\)"):
        lay(mx.nd.ones((5, 2, 3)), [mx.nd.ones((1, 3, 4)), mx.nd.ones((1, 2, 4))])
    with pytest.raises(ValueError, match=r"expected 2 state array\(s\), got 1"):
        lay(mx.nd.ones((5, 2, 3)), [mx.nd.ones((1, 2, 4))])
    with pytest.raises(ValueError, match=r"input has 7 features but the layer takes input_size 3"):
        lay(mx.nd.ones((5, 2, 7)))
    cell = rnn.LSTMCell(4, input_size=3)
    cell.initialize()
    with pytest.raises(ValueError, match=r"state 0 has shape \(2, 5\), expected \(batch, 4\)"):
        cell(mx.nd.ones((2, 3)), [mx.nd.ones((2, 5)), mx.nd.ones((2, 4))])
    with pytest.raises(ValueError, match=r"expected a list of 2 state\(s\), got 1"):
        cell(mx.nd.ones((2, 3)), [mx.nd.ones((2, 4))])
    with pytest.raises(ValueError, match=r"step input must be \(batch, input_size\), got shape \(2, 5, 3\)"):
        cell(mx.nd.ones((2, 5, 3)), cell.begin_state(2))
    with pytest.raises(ValueError, match=r"do not hold 4 steps in layout NTC"):
        cell.unroll(4, mx.nd.ones((2, 5, 3)))
    with pytest.raises(NotImplementedError, match="Bidirectional cannot be stepped"):
        rnn.BidirectionalCell(rnn.GRUCell(2), rnn.GRUCell(2))(mx.nd.ones((2, 3)), [])
    with pytest.raises(NotImplementedError, match="projection_size"):
        rnn.LSTM(4, projection_size=2)
    with pytest.raises(AssertionError, match="Invalid layout TCN"):
        rnn.LSTM(4, layout='TCN')
    with pytest.raises(mx.base.MXNetError, match=r"shape mismatch"):
        cell(mx.nd.ones((2, 2)), cell.begin_state(2))   # the FullyConnected error, named with the cell


# ---- training --------------------------------------------------------------------------------------------------
def test_lstm_learns_to_remember_the_first_step():
    rs = np.random.RandomState(0)
    mx.random.seed(0)
    x = rs.randn(64, 8, 1).astype(np.float32)
    y = (x[:, 0, 0] > 0).astype(np.float32)                 # class: the sign of the first of 8 steps
    net = gluon.nn.HybridSequential()
    lstm, head = rnn.LSTM(16, layout='NTC'), gluon.nn.Dense(2)
    net.add(lstm, head)
    net.initialize(mx.init.Xavier())
    trainer = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': 0.03})
    lossf = gluon.loss.SoftmaxCrossEntropyLoss()
    X, Y = _a(x), _a(y)
    losses = []
    for _ in range(60):
        with autograd.record():
            loss = lossf(head(lstm(X)[:, -1, :]), Y)
        loss.backward()
        trainer.step(64)
        losses.append(float(loss.mean().asscalar()))
    assert losses[-1] < 0.25 * losses[0], losses


def test_layer_dropout_only_between_layers_while_training():
    a = rnn.GRU(3, num_layers=2, dropout=0.5, input_size=2)
    b = rnn.GRU(3, num_layers=2, input_size=2)
    _fill(a)
    _fill(b)
    x = _a(_pat((4, 5, 2), 4, 1.0))
    np.testing.assert_allclose(a(x).asnumpy(), b(x).asnumpy(), rtol=1e-6)      # predict mode: no dropout
    with autograd.record():
        dropped = a(x)
    assert np.abs(dropped.asnumpy() - b(x).asnumpy()).max() > 1e-3
    one = rnn.GRU(3, dropout=0.5, input_size=2)                                  # one layer: nothing to drop
    _fill(one)
    with autograd.record():
        kept = one(x)
    np.testing.assert_allclose(kept.asnumpy(), one(x).asnumpy(), rtol=1e-6)


def test_bidirectional_valid_length_gradient_reaches_only_valid_steps():
    bi = rnn.BidirectionalCell(rnn.GRUCell(2, input_size=2), rnn.GRUCell(2, input_size=2))
    _fill(bi)
    x = _a(_pat((2, 4, 2), 6, 1.0))
    x.attach_grad()
    with autograd.record():
        out, _ = bi.unroll(4, x, merge_outputs=True, valid_length=_a([2, 4]))
        total = out.sum()
    total.backward()
    g = x.grad.asnumpy()
    assert not g[0, 2:].any() and np.abs(g[0, :2]).min() > 0 and np.abs(g[1]).min() > 0


def test_hybridized_recurrent_layers_run_their_unrolled_graph():
    lay = rnn.LSTM(3, num_layers=2, layout='NTC', input_size=2)
    cell = rnn.GRUCell(3, input_size=2)
    _fill(lay)
    _fill(cell)
    x = _a(_X)
    want, want_cell = lay(x).asnumpy(), cell.unroll(3, x, merge_outputs=True)[0].asnumpy()
    want_states = [s.asnumpy() for s in lay(x, lay.begin_state(2))[1]]
    lay.hybridize()
    cell.hybridize()  # cells keep running step by step
    out, states = lay(x, lay.begin_state(2))
    np.testing.assert_allclose(out.asnumpy(), want, rtol=1e-6)
    for s, w in zip(states, want_states):
        np.testing.assert_allclose(s.asnumpy(), w, rtol=1e-6)
    np.testing.assert_allclose(lay(x).asnumpy(), want, rtol=1e-6)
    assert len(lay._cached) == 2  # with and without states: one graph each
    np.testing.assert_allclose(cell.unroll(3, x, merge_outputs=True)[0].asnumpy(), want_cell, rtol=1e-6)
    # a hybridized parent holding a recurrent layer: one graph for the whole net, the same outputs and gradients
    def build():
        net = gluon.nn.HybridSequential()
        net.add(rnn.LSTM(3, layout='NTC', input_size=2), gluon.nn.Dense(2, flatten=False, in_units=3))
        net.initialize()
        return net
    plain, hyb = build(), build()
    for p, q in zip(plain.collect_params().values(), hyb.collect_params().values()):
        q.set_data(p.data())
    hyb.hybridize()
    grads = []
    for net in (plain, hyb):
        with autograd.record():
            loss = (net(x) ** 2).sum()
        loss.backward()
        grads.append([p.grad().asnumpy() for p in net.collect_params().values()])
        np.testing.assert_allclose(hyb(x).asnumpy(), plain(x).asnumpy(), rtol=1e-6)
    assert hyb._cached
    for g, h in zip(*grads):
        np.testing.assert_allclose(h, g, rtol=1e-5, atol=1e-7)
    longer = _a(np.concatenate([_X, _X], axis=1))  # another sequence length: traced again
    np.testing.assert_allclose(hyb(longer).asnumpy(), plain(longer).asnumpy(), rtol=1e-6)