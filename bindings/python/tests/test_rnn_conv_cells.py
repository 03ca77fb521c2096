"""mx.rnn.ConvRNNCell / ConvLSTMCell / ConvGRUCell: names, state shapes, and unrolled values against MXNet 1.9.1's
printed outputs and a NumPy reference."""
import numpy as np
import pytest

import mxc as mx


def _run(cell, steps=2, shape=(1, 2, 2, 4, 4)):
    outs, states = cell.unroll(steps, mx.sym.var('data'), layout='NTC', merge_outputs=True)
    arg_shapes, out_shapes, _ = outs.infer_shape(data=shape)
    rs = np.random.RandomState(0)
    values = {}
    for name, s in zip(outs.list_arguments(), arg_shapes):
        if name == 'data':
            values[name] = rs.uniform(-1, 1, s).astype(np.float32)
        else:
            values[name] = rs.uniform(-0.5, 0.5, s).astype(np.float32)
    exe = outs.bind(mx.current_context(), {k: mx.nd.array(v) for k, v in values.items()})
    return outs, states, out_shapes, values, exe.forward()[0].asnumpy()


# MXNet 1.9.1, same graph and inputs: first 16 values of the output and its sum
_MXNET = {
    'ConvRNNCell': ([0.33628, -0.082664, -0.012523, -0.056246, -0.152224, 0.93169, -0.15664, 0.996155, 1.44563,
                     -0.044462, 0.73416, -0.062094, -0.091575, 1.312718, -0.080758, 0.243872], 23.294464),
    'ConvLSTMCell': ([-0.003385, 0.085745, 0.187162, 0.14548, 0.134664, 0.194401, 0.088391, 0.114843, 0.136596,
                      0.062817, 0.068779, 0.00615, 0.102311, 0.141459, 0.034506, 0.000087], 6.2666154),
    'ConvGRUCell': ([-0.062419, 0.040615, 0.182954, 0.142784, 0.470449, -0.013126, 0.125879, -0.027864, -0.014253,
                     -0.011782, -0.023322, -0.0662, 0.164254, -0.019204, -0.006407, -0.091328], 12.191103),
}


@pytest.mark.parametrize("cls,prefix,gates,nstates", [(mx.rnn.ConvRNNCell, 'ConvRNN_', 1, 1),
                                                      (mx.rnn.ConvLSTMCell, 'ConvLSTM_', 4, 2),
                                                      (mx.rnn.ConvGRUCell, 'ConvGRU_', 3, 1)])
def test_conv_cells_match_mxnet(cls, prefix, gates, nstates):
    cell = cls(input_shape=(1, 2, 4, 4), num_hidden=2)
    assert isinstance(cell, mx.rnn.BaseConvRNNCell) and isinstance(cell, mx.rnn.BaseRNNCell)
    assert cell.state_info == [{'shape': (0, 2, 4, 4), '__layout__': 'NCHW'}] * nstates
    outs, states, out_shapes, _, got = _run(cell)
    assert outs.list_arguments() == ['data', prefix + 'i2h_weight', prefix + 'i2h_bias', prefix + 'h2h_weight',
                                     prefix + 'h2h_bias']
    assert out_shapes == [(1, 2, 2, 4, 4)]
    assert outs.infer_shape(data=(1, 2, 2, 4, 4))[0][1] == (2 * gates, 2, 3, 3)
    assert states[0].list_outputs() == [prefix + 't1_out_output']
    if nstates == 2:
        assert states[1].list_outputs() == [prefix + 't1_state_output']
    first, total = _MXNET[cls.__name__]
    np.testing.assert_allclose(got.ravel()[:16], first, atol=2e-5)
    np.testing.assert_allclose(got.sum(), total, rtol=1e-5)


def _conv(x, w, b, pad):
    """NCHW stride-1 convolution with zero padding, by loops over the kernel."""
    n, c, h, wd = x.shape
    f, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((n, f, h + 2 * pad - kh + 1, wd + 2 * pad - kw + 1))
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, :, i:i + out.shape[2], j:j + out.shape[3]]
            out += np.einsum('nchw,fc->nfhw', patch, w[:, :, i, j])
    return out + b.reshape(1, -1, 1, 1)


def _leaky(x):
    return np.where(x > 0, x, 0.2 * x)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def test_conv_lstm_against_numpy():
    cell = mx.rnn.ConvLSTMCell(input_shape=(1, 2, 4, 4), num_hidden=2, prefix='cl_')
    _, _, _, v, got = _run(cell, steps=3, shape=(1, 3, 2, 4, 4))
    h = np.zeros((1, 2, 4, 4))
    c = np.zeros((1, 2, 4, 4))
    outs = []
    for t in range(3):
        g = _conv(v['data'][:, t], v['cl_i2h_weight'], v['cl_i2h_bias'], 1) + \
            _conv(h, v['cl_h2h_weight'], v['cl_h2h_bias'], 1)
        i, f, cc, o = np.split(g, 4, axis=1)
        c = _sigmoid(f) * c + _sigmoid(i) * _leaky(cc)
        h = _sigmoid(o) * _leaky(c)
        outs.append(h)
    np.testing.assert_allclose(got, np.stack(outs, axis=1), rtol=1e-4, atol=1e-5)


def test_conv_rnn_against_numpy_with_tanh():
    cell = mx.rnn.ConvRNNCell(input_shape=(1, 2, 4, 4), num_hidden=3, activation='tanh', prefix='cr_',
                              h2h_kernel=(5, 5))
    _, _, _, v, got = _run(cell, steps=2)
    h = np.zeros((1, 3, 4, 4))
    outs = []
    for t in range(2):
        h = np.tanh(_conv(v['data'][:, t], v['cr_i2h_weight'], v['cr_i2h_bias'], 1) +
                    _conv(h, v['cr_h2h_weight'], v['cr_h2h_bias'], 2))
        outs.append(h)
    np.testing.assert_allclose(got, np.stack(outs, axis=1), rtol=1e-4, atol=1e-5)


def test_state_shapes_follow_the_i2h_convolution():
    # MXNet 1.9.1: stride 2, no pad on 5x5 -> (0, 3, 2, 2); NHWC keeps channels last
    c = mx.rnn.ConvRNNCell(input_shape=(1, 2, 5, 5), num_hidden=3, i2h_kernel=(3, 3), i2h_stride=(2, 2),
                           i2h_pad=(0, 0))
    assert c.state_info == [{'shape': (0, 3, 2, 2), '__layout__': 'NCHW'}]
    c = mx.rnn.ConvRNNCell(input_shape=(1, 5, 5, 2), num_hidden=3, conv_layout='NHWC')
    assert c.state_info == [{'shape': (0, 5, 5, 3), '__layout__': 'NHWC'}]
    out, states = c(mx.sym.var('x'), c.begin_state())
    assert out.list_outputs() == ['ConvRNN_t0_out_output']
    assert out.list_arguments() == ['x', 'ConvRNN_i2h_weight', 'ConvRNN_i2h_bias', 'ConvRNN_h2h_weight',
                                    'ConvRNN_h2h_bias']


def test_even_h2h_kernel_is_refused():
    with pytest.raises(AssertionError, match="Only support odd number"):
        mx.rnn.ConvRNNCell(input_shape=(1, 2, 4, 4), num_hidden=2, h2h_kernel=(2, 2))
    with pytest.raises(ValueError, match="input_shape"):
        mx.rnn.ConvGRUCell(input_shape=(2, 4, 4), num_hidden=2)


def test_convolution_infers_the_batch_of_a_zeros_state_backward():
    # zeros(shape=(0, C, H, W)) feeding only a Convolution gets its batch size from the output's consumer
    z = mx.sym.zeros(shape=(0, 2, 4, 4))
    c = mx.sym.Convolution(z, mx.sym.var('w'), mx.sym.var('b'), kernel=(3, 3), pad=(1, 1), num_filter=2)
    s = mx.sym.var('x') + c
    out = s.bind(mx.current_context(), {'x': mx.nd.zeros((1, 2, 4, 4)), 'w': mx.nd.ones((2, 2, 3, 3)) * 0.3,
                            'b': mx.nd.array([0.05, 0.07])}).forward()[0].asnumpy()
    want = np.zeros((1, 2, 4, 4))
    want[:, 0], want[:, 1] = 0.05, 0.07
    np.testing.assert_allclose(out, want, rtol=1e-6)


def test_conv_gru_gradient_by_finite_differences():
    cell = mx.rnn.ConvGRUCell(input_shape=(1, 1, 3, 3), num_hidden=1, prefix='g_', activation='tanh')
    outs, _ = cell.unroll(2, mx.sym.var('data'), layout='NTC', merge_outputs=True)
    rs = np.random.RandomState(1)
    shapes = dict(zip(outs.list_arguments(), outs.infer_shape(data=(1, 2, 1, 3, 3))[0]))
    loc = {k: rs.uniform(-0.5, 0.5, s) for k, s in shapes.items()}
    mx.test_utils.check_numeric_gradient(outs, loc, numeric_eps=1e-2, rtol=2e-2, atol=2e-3)


def test_callback_save_checkpoint_is_model_save_checkpoint(tmp_path):
    # MXNet 1.9.1 has mx.callback.save_checkpoint (the function of mx.model)
    assert mx.callback.save_checkpoint is mx.model.save_checkpoint
    sym = mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=2, name='fc')
    prefix = str(tmp_path / 'net')
    mx.callback.save_checkpoint(prefix, 3, sym, {'fc_weight': mx.nd.ones((2, 2))}, {})
    s2, arg, _ = mx.model.load_checkpoint(prefix, 3)
    assert s2.list_arguments() == sym.list_arguments()
    np.testing.assert_array_equal(arg['fc_weight'].asnumpy(), np.ones((2, 2)))
    cb = mx.callback.do_checkpoint(prefix, period=2)
    cb(1, sym, {'fc_weight': mx.nd.zeros((2, 2))}, {})
    _, arg, _ = mx.model.load_checkpoint(prefix, 2)
    np.testing.assert_array_equal(arg['fc_weight'].asnumpy(), np.zeros((2, 2)))
