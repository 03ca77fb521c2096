"""mx.rnn: symbolic cells, unroll, fused cells, sentence bucketing and RNN checkpoints.

Names, shapes, the FusedRNN initializer's values and BucketSentenceIter's batches are MXNet 1.9.1's, printed by
running MXNet (``cell.unroll(...)``, ``list_arguments()``/``list_outputs()``, batches under fixed seeds) and
written here as literals. Values of the unrolled cells are checked against NumPy step by step.
"""
import random

import numpy as np
import pytest

import mxc as mx
from conftest import needs_ops

pytestmark = needs_ops("FullyConnected", "Activation", "SliceChannel", "RNN", "stack", "broadcast_axis")


def _flat(x):
    return sum([_flat(y) for y in x], []) if isinstance(x, (list, tuple)) else [x]


def _names(outputs, states=()):
    g = mx.sym.Group(_flat(outputs))
    outs = g.list_outputs()
    return g.list_arguments(), outs, (mx.sym.Group(_flat(states)).list_outputs() if states else [])


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _params(sym, shape, rng, scale=0.5):
    shapes = dict(zip(sym.list_arguments(), sym.infer_shape(data=shape)[0]))
    return {n: rng.randn(*s).astype(np.float32) * scale for n, s in shapes.items() if n != 'data'}


def _run(sym, x, params, is_train=False):
    args = {n: mx.nd.array(v) for n, v in params.items()}
    args['data'] = mx.nd.array(x)
    return [o.asnumpy() for o in sym.bind(mx.context.current_context(), args).forward(is_train=is_train)]


# -- names (MXNet 1.9.1's) -------------------------------------------------------------------------------------------
def test_lstm_names_and_shapes():
    cell = mx.rnn.LSTMCell(4, prefix='lstm_')
    assert cell.state_info == [{'shape': (0, 4), '__layout__': 'NC'}, {'shape': (0, 4), '__layout__': 'NC'}]
    assert cell.state_shape == [(0, 4), (0, 4)]
    outs, states = cell.unroll(3, mx.sym.Variable('data'), layout='NTC', merge_outputs=False)
    args, names, snames = _names(outs, states)
    assert args == ['data', 'lstm_i2h_weight', 'lstm_i2h_bias', 'lstm_h2h_weight', 'lstm_h2h_bias']
    assert names == ['lstm_t0_out_output', 'lstm_t1_out_output', 'lstm_t2_out_output']
    assert snames == ['lstm_t2_out_output', 'lstm_t2_state_output']
    merged, _ = cell.unroll(3, mx.sym.Variable('data'), layout='NTC', merge_outputs=True)
    assert merged.infer_shape(data=(2, 3, 5)) == ([(2, 3, 5), (16, 5), (16,), (16, 4), (16,)], [(2, 3, 4)], [])
    # MXNet's LSTMCell sets the forget bias through the i2h bias's initializer
    assert merged.attr_dict()['lstm_i2h_bias']['__init__'] == mx.init.LSTMBias(forget_bias=1.0).dumps()


def test_step_names_and_counters():
    cell = mx.rnn.LSTMCell(4, prefix='lstm_')
    out, states = cell(mx.sym.Variable('x'), cell.begin_state())
    assert _names([out], states)[1:] == (['lstm_t0_out_output'], ['lstm_t0_out_output', 'lstm_t0_state_output'])
    out, states = cell(mx.sym.Variable('x'), states)
    assert [n for n in out.get_internals().list_outputs() if n.startswith('lstm_t1')] == [
        'lstm_t1_i2h_output', 'lstm_t1_h2h_output', 'lstm_t1_slice_output0', 'lstm_t1_slice_output1',
        'lstm_t1_slice_output2', 'lstm_t1_slice_output3', 'lstm_t1_o_output', 'lstm_t1_f_output',
        'lstm_t1_i_output', 'lstm_t1_c_output', 'lstm_t1_state_output', 'lstm_t1_out_output']
    assert [b.name for b in cell.begin_state()] == ['lstm_begin_state_2', 'lstm_begin_state_3']
    # the begin states carry their layout as an attribute (mx.sym operators take __key__ keywords as attributes)
    assert cell.begin_state()[0].attr_dict()['lstm_begin_state_4']['__layout__'] == 'NC'
    outs, _ = cell.unroll(2, mx.sym.Variable('data'))   # unroll restarts the counters
    assert [o.name for o in outs] == ['lstm_t0_out', 'lstm_t1_out']
    gru = mx.rnn.GRUCell(4, prefix='gru_')
    out, _ = gru(mx.sym.Variable('x'), gru.begin_state())
    assert [n for n in out.get_internals().list_outputs() if n.startswith('gru_t0')] == [
        'gru_t0__i2h_output', 'gru_t0__i2h_slice_output0', 'gru_t0__i2h_slice_output1', 'gru_t0__i2h_slice_output2',
        'gru_t0__h2h_output', 'gru_t0__h2h_slice_output0', 'gru_t0__h2h_slice_output1', 'gru_t0__h2h_slice_output2',
        'gru_t0__z_act_output', 'gru_t0__r_act_output', 'gru_t0__h_act_output', 'gru_t0_out_output']


def test_gru_rnn_names():
    outs, states = mx.rnn.GRUCell(4, prefix='gru_').unroll(2, mx.sym.Variable('data'), layout='TNC',
                                                           merge_outputs=True)
    assert _names(outs, states)[0] == ['data', 'gru_i2h_weight', 'gru_i2h_bias', 'gru_h2h_weight', 'gru_h2h_bias']
    assert _names(outs, states)[2] == ['gru_t1_out_output']
    assert outs.infer_shape(data=(2, 3, 5))[1] == [(2, 3, 4)]
    outs, states = mx.rnn.RNNCell(4, prefix='rnn_').unroll(2, mx.sym.Variable('data'))
    assert isinstance(outs, list)   # merge_outputs=None gives a list, as MXNet's
    assert _names(outs, states)[1:] == (['rnn_t0_out_output', 'rnn_t1_out_output'], ['rnn_t1_out_output'])
    assert [mx.rnn.LSTMCell(3)._prefix, mx.rnn.GRUCell(3)._prefix, mx.rnn.RNNCell(3)._prefix,
            mx.rnn.FusedRNNCell(3)._prefix, mx.rnn.FusedRNNCell(3, mode='gru')._prefix] == \
        ['lstm_', 'gru_', 'rnn_', 'lstm_', 'gru_']


def test_sequential_residual_dropout_names():
    cell = mx.rnn.SequentialRNNCell()
    cell.add(mx.rnn.LSTMCell(4, prefix='l0_'))
    cell.add(mx.rnn.DropoutCell(0.5, prefix='d_'))
    cell.add(mx.rnn.ResidualCell(mx.rnn.LSTMCell(4, prefix='l1_')))
    outs, states = cell.unroll(2, mx.sym.Variable('data'), merge_outputs=False)
    args, names, snames = _names(outs, states)
    assert args == ['data', 'l0_i2h_weight', 'l0_i2h_bias', 'l0_h2h_weight', 'l0_h2h_bias', 'l1_i2h_weight',
                    'l1_i2h_bias', 'l1_h2h_weight', 'l1_h2h_bias']
    assert names == ['l1_t0_out_plus_residual_output', 'l1_t1_out_plus_residual_output']
    assert snames == ['l0_t1_out_output', 'l0_t1_state_output', 'l1_t1_out_output', 'l1_t1_state_output']
    assert cell.state_info == [{'shape': (0, 4), '__layout__': 'NC'}] * 4
    assert sorted(cell.params._params) == ['l0_h2h_bias', 'l0_h2h_weight', 'l0_i2h_bias', 'l0_i2h_weight',
                                           'l1_h2h_bias', 'l1_h2h_weight', 'l1_i2h_bias', 'l1_i2h_weight']
    seq = mx.rnn.SequentialRNNCell()
    seq.add(mx.rnn.LSTMCell(3, prefix='a_'))
    seq.add(mx.rnn.LSTMCell(3, prefix='b_'))
    assert [b.name for b in seq.begin_state()] == ['a_begin_state_0', 'a_begin_state_1', 'b_begin_state_0',
                                                    'b_begin_state_1']


def test_bidirectional_names():
    cell = mx.rnn.BidirectionalCell(mx.rnn.GRUCell(3, prefix='l_'), mx.rnn.GRUCell(3, prefix='r_'))
    outs, states = cell.unroll(2, mx.sym.Variable('data'), merge_outputs=False)
    args, names, snames = _names(outs, states)
    assert args == ['data', 'l_i2h_weight', 'l_i2h_bias', 'l_h2h_weight', 'l_h2h_bias', 'r_i2h_weight',
                    'r_i2h_bias', 'r_h2h_weight', 'r_h2h_bias']
    assert names == ['bi_t0_output', 'bi_t1_output'] and snames == ['l_t1_out_output', 'r_t1_out_output']
    assert [len(s) for s in states] == [1, 1]   # [l_states, r_states], as MXNet's
    outs, _ = cell.unroll(2, mx.sym.Variable('data'), merge_outputs=True)
    assert outs.list_outputs() == ['bi_out_output']
    assert outs.infer_shape(data=(2, 2, 5))[1] == [(2, 2, 6)]
    with pytest.raises(NotImplementedError, match="cannot be stepped"):
        cell(mx.sym.Variable('x'), cell.begin_state())


def test_fused_names_and_unfuse():
    cell = mx.rnn.FusedRNNCell(4, num_layers=2, mode='lstm', prefix='lstm_')
    outs, states = cell.unroll(3, mx.sym.Variable('data'), merge_outputs=True)
    assert outs.list_arguments() == ['data', 'lstm_parameters'] and states == []
    assert outs.infer_shape(data=(2, 3, 5)) == ([(2, 3, 5), (336,)], [(2, 3, 4)], [])
    steps, _ = cell.unroll(3, mx.sym.Variable('data'), merge_outputs=False)
    assert len(steps) == 3 and steps[0].infer_shape(data=(2, 3, 5))[1] == [(2, 4)]
    cell = mx.rnn.FusedRNNCell(4, num_layers=2, mode='lstm', prefix='lstm_', get_next_state=True,
                               bidirectional=True)
    assert cell.state_info == [{'shape': (4, 0, 4), '__layout__': 'LNC'}] * 2
    outs, states = cell.unroll(3, mx.sym.Variable('data'), merge_outputs=True)
    assert _names(outs, states)[2] == ['lstm_rnn_state_output', 'lstm_rnn_statecell_output']
    assert outs.infer_shape(data=(2, 3, 5)) == ([(2, 3, 5), (800,)], [(2, 3, 8)], [])
    outs, states = cell.unfuse().unroll(3, mx.sym.Variable('data'), merge_outputs=True)
    args, names, snames = _names(outs, states)
    assert args == ['data'] + ['lstm_%s%d_%s' % (d, l, w) for l in range(2) for d in 'lr'
                               for w in ('i2h_weight', 'i2h_bias', 'h2h_weight', 'h2h_bias')]
    assert names == ['lstm_bi_l1_out_output']
    assert snames == ['lstm_l0_t2_out_output', 'lstm_l0_t2_state_output', 'lstm_r0_t2_out_output',
                      'lstm_r0_t2_state_output', 'lstm_l1_t2_out_output', 'lstm_l1_t2_state_output',
                      'lstm_r1_t2_out_output', 'lstm_r1_t2_state_output']
    dropped = mx.rnn.FusedRNNCell(3, num_layers=3, mode='rnn_tanh', dropout=0.5, prefix='r_').unfuse()
    assert [type(c).__name__ for c in dropped._cells] == ['RNNCell', 'DropoutCell', 'RNNCell', 'DropoutCell',
                                                         'RNNCell']
    with pytest.raises(NotImplementedError, match="unroll"):
        cell(mx.sym.Variable('x'), cell.begin_state())


def test_unpack_names():
    cell = mx.rnn.LSTMCell(4, prefix='lstm_')
    args = {'lstm_i2h_weight': mx.nd.ones((16, 5)), 'lstm_i2h_bias': mx.nd.ones((16,)),
            'lstm_h2h_weight': mx.nd.ones((16, 4)), 'lstm_h2h_bias': mx.nd.ones((16,))}
    up = cell.unpack_weights(args)
    assert {k: v.shape for k, v in up.items()} == {
        'lstm_%s_%s_%s' % (g, gate, kind): (4, 5 if g == 'i2h' else 4) if kind == 'weight' else (4,)
        for g in ('i2h', 'h2h') for gate in 'ifco' for kind in ('weight', 'bias')}
    assert {k: v.shape for k, v in cell.pack_weights(up).items()} == {k: v.shape for k, v in args.items()}
    fused = mx.rnn.FusedRNNCell(3, num_layers=2, mode='gru', bidirectional=True, prefix='gru_')
    up = fused.unpack_weights({'gru_parameters': mx.nd.arange(378)})
    # MXNet's slicing of the flat vector: first elements of each piece
    firsts = {'gru_l0_i2h_r_weight': 0, 'gru_l0_i2h_z_weight': 15, 'gru_l0_i2h_o_weight': 30,
              'gru_l0_h2h_r_weight': 45, 'gru_l0_h2h_o_weight': 63, 'gru_r0_i2h_r_weight': 72,
              'gru_l1_i2h_r_weight': 144, 'gru_l1_h2h_o_weight': 216, 'gru_r1_h2h_o_weight': 297,
              'gru_l0_i2h_r_bias': 306, 'gru_l0_h2h_o_bias': 321, 'gru_r0_i2h_r_bias': 324,
              'gru_l1_i2h_o_bias': 348, 'gru_r1_h2h_o_bias': 375}
    assert len(up) == 48
    for name, first in firsts.items():
        assert up[name].asnumpy().ravel()[0] == first, name
    assert up['gru_l1_i2h_r_weight'].shape == (3, 6) and up['gru_r0_h2h_z_weight'].shape == (3, 3)
    np.testing.assert_array_equal(fused.pack_weights(up)['gru_parameters'].asnumpy(), np.arange(378))


def test_fused_rnn_initializer():
    cell = mx.rnn.FusedRNNCell(3, num_layers=1, mode='lstm', prefix='lstm_', forget_bias=2.0)
    outs, _ = cell.unroll(2, mx.sym.Variable('data'), layout='TNC')
    attrs = outs.attr_dict()['lstm_parameters']
    arr = mx.nd.zeros((120,))
    mx.init.Constant(0.5)(mx.init.InitDesc('lstm_parameters', attrs=attrs), arr)
    # MXNet 1.9.1: weights from the global initializer, biases 0 but the forget gates' (i2h and h2h) at 2
    gate_bias = [0, 0, 0, 2, 2, 2, 0, 0, 0, 0, 0, 0]
    np.testing.assert_array_equal(arr.asnumpy(), [0.5] * 96 + gate_bias * 2)
    arr = mx.nd.zeros((90,))
    mx.init.FusedRNN(mx.init.One(), 3, 1, 'gru')('gru_parameters', arr)
    np.testing.assert_array_equal(arr.asnumpy(), [1.0] * 72 + [0.0] * 18)


# -- values ---------------------------------------------------------------------------------------------------------
def _np_lstm(x, p, prefix, forget=None):
    n, t, _ = x.shape
    hidden = p[prefix + 'h2h_weight'].shape[1]
    h, c = np.zeros((n, hidden), np.float32), np.zeros((n, hidden), np.float32)
    outs = []
    for k in range(t):
        g = (x[:, k] @ p[prefix + 'i2h_weight'].T + p[prefix + 'i2h_bias'] + h @ p[prefix + 'h2h_weight'].T
             + p[prefix + 'h2h_bias'])
        i, f, cand, o = np.split(g, 4, axis=1)
        c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(cand)
        h = _sigmoid(o) * np.tanh(c)
        outs.append(h)
    return np.stack(outs, axis=1), h, c


def _np_gru(x, p, prefix):
    n, t, _ = x.shape
    hidden = p[prefix + 'h2h_weight'].shape[1]
    h = np.zeros((n, hidden), np.float32)
    outs = []
    for k in range(t):
        ir, iz, inn = np.split(x[:, k] @ p[prefix + 'i2h_weight'].T + p[prefix + 'i2h_bias'], 3, axis=1)
        hr, hz, hn = np.split(h @ p[prefix + 'h2h_weight'].T + p[prefix + 'h2h_bias'], 3, axis=1)
        r, z = _sigmoid(ir + hr), _sigmoid(iz + hz)
        h = (1 - z) * np.tanh(inn + r * hn) + z * h
        outs.append(h)
    return np.stack(outs, axis=1), h


@pytest.mark.parametrize("layout", ["NTC", "TNC"])
def test_lstm_unroll_matches_numpy(layout):
    rng = np.random.RandomState(0)
    x = rng.randn(3, 4, 5).astype(np.float32)
    cell = mx.rnn.LSTMCell(6, prefix='lstm_')
    outs, states = cell.unroll(4, mx.sym.Variable('data'), layout=layout, merge_outputs=True)
    xin = x if layout == 'NTC' else x.transpose(1, 0, 2)
    p = _params(outs, xin.shape, rng)
    got = _run(mx.sym.Group([outs] + states), xin, p)
    ref, h, c = _np_lstm(x, p, 'lstm_')
    np.testing.assert_allclose(got[0], ref if layout == 'NTC' else ref.transpose(1, 0, 2), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got[1], h, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got[2], c, rtol=1e-5, atol=1e-5)


def test_gru_and_rnn_unroll_match_numpy():
    rng = np.random.RandomState(1)
    x = rng.randn(2, 3, 4).astype(np.float32)
    outs, _ = mx.rnn.GRUCell(5, prefix='gru_').unroll(3, mx.sym.Variable('data'), merge_outputs=True)
    p = _params(outs, x.shape, rng)
    np.testing.assert_allclose(_run(outs, x, p)[0], _np_gru(x, p, 'gru_')[0], rtol=1e-5, atol=1e-5)
    outs, _ = mx.rnn.RNNCell(5, activation='relu', prefix='rnn_').unroll(3, mx.sym.Variable('data'),
                                                                       merge_outputs=True)
    p = _params(outs, x.shape, rng)
    h = np.zeros((2, 5), np.float32)
    ref = []
    for k in range(3):
        h = np.maximum(x[:, k] @ p['rnn_i2h_weight'].T + p['rnn_i2h_bias'] + h @ p['rnn_h2h_weight'].T
                       + p['rnn_h2h_bias'], 0)
        ref.append(h)
    np.testing.assert_allclose(_run(outs, x, p)[0], np.stack(ref, 1), rtol=1e-5, atol=1e-5)


def test_begin_state_as_inputs():
    """``begin_state(func=mx.sym.Variable)`` makes the initial states inputs of the network."""
    rng = np.random.RandomState(2)
    x = rng.randn(2, 3, 4).astype(np.float32)
    cell = mx.rnn.GRUCell(5, prefix='gru_')
    begin = cell.begin_state(func=mx.sym.Variable)
    outs, _ = cell.unroll(3, mx.sym.Variable('data'), begin_state=begin, merge_outputs=True)
    assert 'gru_begin_state_0' in outs.list_arguments()
    shapes = dict(zip(outs.list_arguments(), outs.infer_shape(data=x.shape, gru_begin_state_0=(2, 5))[0]))
    p = {n: rng.randn(*s).astype(np.float32) for n, s in shapes.items() if n != 'data'}
    h0 = p['gru_begin_state_0']
    got = _run(outs, x, p)[0]
    h = h0
    for k in range(3):
        ir, iz, inn = np.split(x[:, k] @ p['gru_i2h_weight'].T + p['gru_i2h_bias'], 3, axis=1)
        hr, hz, hn = np.split(h @ p['gru_h2h_weight'].T + p['gru_h2h_bias'], 3, axis=1)
        r, z = _sigmoid(ir + hr), _sigmoid(iz + hz)
        h = (1 - z) * np.tanh(inn + r * hn) + z * h
        np.testing.assert_allclose(got[:, k], h, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("mode,bidirectional", [("lstm", False), ("gru", True), ("rnn_tanh", False),
                                                ("lstm", True)])
def test_fused_equals_unfused(mode, bidirectional):
    """The fused RNN operator and the unrolled cells of unfuse() give the same outputs from the same weights
    (pack_weights/unpack_weights move them), in both layouts."""
    rng = np.random.RandomState(3)
    x = rng.randn(3, 4, 5).astype(np.float32)
    fused = mx.rnn.FusedRNNCell(6, num_layers=2, mode=mode, bidirectional=bidirectional, prefix='f_',
                                get_next_state=True)
    f_out, f_states = fused.unroll(4, mx.sym.Variable('data'), layout='NTC', merge_outputs=True)
    flat = rng.uniform(-0.5, 0.5, f_out.infer_shape(data=x.shape)[0][1]).astype(np.float32)
    unpacked = fused.unpack_weights({'f_parameters': mx.nd.array(flat)})
    unfused = fused.unfuse()
    u_out, u_states = unfused.unroll(4, mx.sym.Variable('data'), layout='NTC', merge_outputs=True)
    packed = unfused.pack_weights(unpacked)
    assert sorted(packed) == sorted(n for n in u_out.list_arguments() if n != 'data')
    got_f = _run(mx.sym.Group([f_out] + f_states), x, {'f_parameters': flat})
    got_u = _run(mx.sym.Group([u_out] + _flat(u_states)), x, {k: v.asnumpy() for k, v in packed.items()})
    np.testing.assert_allclose(got_f[0], got_u[0], rtol=1e-4, atol=1e-5)
    # final hidden state of the last layer, forward direction: the fused state's row (layers-1)*dirs
    d = 2 if bidirectional else 1
    per_layer = 2 if mode == 'lstm' else 1
    last_fwd = got_u[1 + (2 - 1) * d * per_layer]
    np.testing.assert_allclose(got_f[1][d], last_fwd, rtol=1e-4, atol=1e-5)
    # round trip back to the flat vector
    np.testing.assert_array_equal(fused.pack_weights(unfused.unpack_weights(packed))['f_parameters'].asnumpy(),
                                  flat)
    tnc, _ = fused.unroll(4, mx.sym.Variable('data'), layout='TNC', merge_outputs=True)
    np.testing.assert_allclose(_run(tnc, x.transpose(1, 0, 2), {'f_parameters': flat})[0],
                               got_f[0].transpose(1, 0, 2), rtol=1e-5, atol=1e-6)


def test_modifier_cells_values():
    rng = np.random.RandomState(4)
    x = rng.randn(2, 3, 4).astype(np.float32)
    base, _ = mx.rnn.LSTMCell(4, prefix='l_').unroll(3, mx.sym.Variable('data'), merge_outputs=True)
    p = _params(base, x.shape, rng)
    ref = _run(base, x, p)[0]
    res, _ = mx.rnn.ResidualCell(mx.rnn.LSTMCell(4, prefix='l_')).unroll(3, mx.sym.Variable('data'),
                                                                       merge_outputs=True)
    np.testing.assert_allclose(_run(res, x, p)[0], ref + x, rtol=1e-5, atol=1e-6)
    steps, _ = mx.rnn.ResidualCell(mx.rnn.LSTMCell(4, prefix='l_')).unroll(3, mx.sym.Variable('data'),
                                                                         merge_outputs=False)
    np.testing.assert_allclose(_run(steps[2], x, p)[0], ref[:, 2] + x[:, 2], rtol=1e-5, atol=1e-6)
    zone, _ = mx.rnn.ZoneoutCell(mx.rnn.LSTMCell(4, prefix='l_'), 0.5, 0.5).unroll(
        3, mx.sym.Variable('data'), merge_outputs=True)
    np.testing.assert_allclose(_run(zone, x, p)[0], ref, rtol=1e-5, atol=1e-6)   # prediction: no zoneout
    trained = _run(zone, x, p, is_train=True)[0]
    # training, first step: each unit is the cell's new output or the previous output (zeros)
    assert np.all(np.isclose(trained[:, 0], 0, atol=1e-7) | np.isclose(trained[:, 0], ref[:, 0], atol=1e-5))
    drop = mx.rnn.SequentialRNNCell()
    drop.add(mx.rnn.LSTMCell(4, prefix='l_'))
    drop.add(mx.rnn.DropoutCell(0.5))
    out, _ = drop.unroll(3, mx.sym.Variable('data'), merge_outputs=True)
    np.testing.assert_allclose(_run(out, x, p)[0], ref, rtol=1e-5, atol=1e-6)
    kept = _run(out, x, p, is_train=True)[0]
    assert np.all(np.isclose(kept, 0) | np.isclose(kept, 2 * ref, rtol=1e-4, atol=1e-5))
    with pytest.raises(AssertionError, match="modifier"):
        cell = mx.rnn.LSTMCell(4)
        mx.rnn.ResidualCell(cell)
        cell.begin_state()
    with pytest.raises(TypeError, match="unfuse"):
        mx.rnn.ZoneoutCell(mx.rnn.FusedRNNCell(4))


def test_unroll_errors():
    cell = mx.rnn.LSTMCell(4)
    with pytest.raises(ValueError, match="layout"):
        cell.unroll(3, mx.sym.Variable('data'), layout='CTN')
    with pytest.raises(ValueError, match="length is 3 but 2"):
        cell.unroll(3, [mx.sym.Variable('a'), mx.sym.Variable('b')])
    with pytest.raises(ValueError, match="mode"):
        mx.rnn.FusedRNNCell(4, mode='lstmx')


# -- sentences and buckets -------------------------------------------------------------------------------------------
SENTENCES = [s.split() for s in ["a b c", "b c", "c d e f", "a", "d e", "b a c", "e f", "a b", "c c c c", "f e d",
                                 "a b c d e f g"]]


def test_encode_sentences():
    res, vocab = mx.rnn.encode_sentences(SENTENCES)
    assert res == [[0, 1, 2], [1, 2], [2, 3, 4, 5], [0], [3, 4], [1, 0, 2], [4, 5], [0, 1], [2, 2, 2, 2],
                   [5, 4, 3], [0, 1, 2, 3, 4, 5, 6]]
    assert vocab == {'\n': -1, 'a': 0, 'b': 1, 'c': 2, 'd': 3, 'e': 4, 'f': 5, 'g': 6}
    res, vocab = mx.rnn.encode_sentences(SENTENCES, start_label=1, invalid_label=0)
    assert res[2] == [3, 4, 5, 6] and vocab['\n'] == 0 and vocab['g'] == 7
    assert mx.rnn.encode_sentences([["x", "y"]], invalid_label=1) == ([[0, 2]], {'\n': 1, 'x': 0, 'y': 2})
    assert mx.rnn.encode_sentences([["a", "b"]], vocab={'a': 1, 'b': 2})[0] == [[1, 2]]
    with pytest.raises(ValueError, match="Unknown token zz"):
        mx.rnn.encode_sentences([["a", "zz", "b"]], vocab={'a': 1, 'b': 2})
    res, vocab = mx.rnn.encode_sentences([["a", "zz", "yy"]], vocab={'a': 1, 'b': 2}, unknown_token='<unk>')
    assert res == [[1, 0, 0]] and vocab['<unk>'] == 0


def _encoded():
    return mx.rnn.encode_sentences(SENTENCES)[0]


def test_bucket_sentence_iter_matches_mxnet():
    random.seed(3)
    np.random.seed(3)
    it = mx.rnn.BucketSentenceIter(_encoded(), 2, buckets=[2, 3, 4], invalid_label=-1)
    assert it.default_bucket_key == 4 and it.buckets == [2, 3, 4] and len(it) == 4
    assert it.provide_data == [('data', (2, 4))] and it.provide_data[0].layout == 'NT'
    assert it.provide_label == [('softmax_label', (2, 4))]
    # printed by MXNet 1.9.1 with the same seeds: two epochs
    expected = [
        (4, [[2, 2, 2, 2], [2, 3, 4, 5]], [[2, 2, 2, -1], [3, 4, 5, -1]]),
        (2, [[4, 5], [0, 1]], [[5, -1], [1, -1]]),
        (3, [[1, 0, 2], [5, 4, 3]], [[0, 2, -1], [4, 3, -1]]),
        (2, [[0, -1], [1, 2]], [[-1, -1], [2, -1]]),
        (4, [[2, 2, 2, 2], [2, 3, 4, 5]], [[2, 2, 2, -1], [3, 4, 5, -1]]),
        (2, [[4, 5], [3, 4]], [[5, -1], [4, -1]]),
        (2, [[0, 1], [0, -1]], [[1, -1], [-1, -1]]),
        (3, [[1, 0, 2], [5, 4, 3]], [[0, 2, -1], [4, 3, -1]])]
    got = []
    for _ in range(2):
        for batch in it:
            assert batch.pad == 0
            assert batch.provide_data == [('data', (2, batch.bucket_key))]
            assert batch.provide_label == [('softmax_label', (2, batch.bucket_key))]
            got.append((batch.bucket_key, batch.data[0].asnumpy().tolist(), batch.label[0].asnumpy().tolist()))
        it.reset()
    assert got == expected


def test_bucket_sentence_iter_tn_layout():
    random.seed(5)
    np.random.seed(5)
    it = mx.rnn.BucketSentenceIter(_encoded(), 2, invalid_label=-1, layout='TN', data_name='x', label_name='y')
    assert it.buckets == [2, 3, 4]   # lengths that 2 sentences have; the 7-token sentence is discarded
    assert it.provide_data == [('x', (4, 2))] and it.provide_label == [('y', (4, 2))]
    got = [(b.bucket_key, b.data[0].asnumpy().tolist(), b.label[0].asnumpy().tolist(), b.provide_data[0].shape)
           for b in it]
    assert got == [  # MXNet 1.9.1, same seeds
        (2, [[0, 1], [1, 2]], [[1, 2], [-1, -1]], (2, 2)),
        (2, [[0, 3], [-1, 4]], [[-1, 4], [-1, -1]], (2, 2)),
        (4, [[2, 2], [3, 2], [4, 2], [5, 2]], [[3, 2], [4, 2], [5, 2], [-1, -1]], (4, 2)),
        (3, [[1, 0], [0, 1], [2, 2]], [[0, 1], [2, 2], [-1, -1]], (3, 2))]
    assert mx.rnn.BucketSentenceIter(_encoded(), 3).buckets == [2, 3]
    # buckets with fewer sentences than a batch (1, 8) or none (6) give no batch; sentences may be arrays
    it = mx.rnn.BucketSentenceIter([np.array(s) for s in _encoded()], 2, buckets=[1, 5, 6, 8])
    assert sorted(b.bucket_key for b in it) == [5, 5, 5, 5]
    assert mx.rnn.BucketSentenceIter(_encoded(), 1).buckets == [1, 2, 3, 4, 7]
    with pytest.raises(ValueError, match="layout"):
        mx.rnn.BucketSentenceIter(_encoded(), 2, layout='NTC')


# -- checkpoints -----------------------------------------------------------------------------------------------------
def test_rnn_checkpoint_round_trip(tmp_path):
    cell = mx.rnn.FusedRNNCell(3, num_layers=1, mode='lstm', prefix='lstm_')
    outs, _ = cell.unroll(2, mx.sym.Variable('data'), merge_outputs=True)
    flat = mx.nd.array(np.random.RandomState(5).randn(156).astype(np.float32))
    prefix = str(tmp_path / 'rnn')
    callback = mx.rnn.do_rnn_checkpoint(cell, prefix, period=2)
    callback(0, outs, {'lstm_parameters': flat}, {})   # epoch 1: not a multiple of the period
    assert not (tmp_path / 'rnn-0001.params').exists()
    callback(1, outs, {'lstm_parameters': flat}, {})
    saved = mx.nd.load(prefix + '-0002.params')
    assert 'arg:lstm_l0_i2h_f_weight' in saved and 'arg:lstm_parameters' not in saved
    sym, args, aux = mx.rnn.load_rnn_checkpoint(cell, prefix, 2)
    assert sym.list_arguments() == ['data', 'lstm_parameters'] and aux == {}
    np.testing.assert_array_equal(args['lstm_parameters'].asnumpy(), flat.asnumpy())
    mx.rnn.save_rnn_checkpoint([cell], prefix, 3, outs, {'lstm_parameters': flat}, {})
    np.testing.assert_array_equal(mx.rnn.load_rnn_checkpoint([cell], prefix, 3)[1]['lstm_parameters'].asnumpy(),
                                  flat.asnumpy())
