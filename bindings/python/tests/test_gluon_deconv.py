"""mx.gluon.nn.Conv2DTranspose and Conv1DTranspose.

Names, shapes, reprs and the values of one forward/backward were printed by Apache MXNet 1.9.1 for the same programs
and are written here as plain values; outputs and gradients are also checked against a NumPy scatter loop.
"""
import numpy as np
import pytest

import mxc as mx
from mxc import autograd, nd
from mxc.base import MXNetError
from mxc.gluon import nn


def _ctx():
    return mx.current_context()


def _arr(a, dtype=np.float32):
    return nd.array(np.asarray(a, dtype=dtype), ctx=_ctx(), dtype=dtype)


def _params(block):
    return sorted((k, v.shape) for k, v in block.collect_params().items())


def _deconv_np(x, w, b, stride, pad, adj, dil, groups):
    """Every data element scatters data[n, c] * weight[c, f] onto the output (cropped by pad, extended by adj)."""
    nd_ = x.ndim - 2
    n_, c_ = x.shape[:2]
    fg, k = w.shape[1], w.shape[2:]
    out = [(x.shape[2 + i] - 1) * stride[i] + dil[i] * (k[i] - 1) + 1 - 2 * pad[i] + adj[i] for i in range(nd_)]
    y = np.zeros((n_, fg * groups) + tuple(out))
    for c in range(c_):
        f0 = c // (c_ // groups) * fg
        for idx in np.ndindex(*x.shape[2:]):
            for kk in np.ndindex(*k):
                o = tuple(idx[i] * stride[i] - pad[i] + kk[i] * dil[i] for i in range(nd_))
                if all(0 <= o[i] < out[i] for i in range(nd_)):
                    y[(slice(None), slice(f0, f0 + fg)) + o] += x[(slice(None), c) + idx][:, None] * w[(c,) + (slice(None),) + kk]
    if b is not None:
        y += b.reshape((1, -1) + (1,) * nd_)
    return y


def test_names_shapes_and_reprs_as_mxnet():
    with mx.name.NameManager():
        c = nn.Conv2DTranspose(4, 3, strides=2, padding=1, output_padding=1)
        assert (c.name, c.prefix) == ('conv0', 'conv0_')
        assert _params(c) == [('conv0_bias', (4,)), ('conv0_weight', (0, 4, 3, 3))]
        assert repr(c) == "Conv2DTranspose(4 -> 0, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))"
        c.initialize(ctx=_ctx())
        y = c(_arr(np.ones((2, 5, 3, 3))))
        assert y.shape == (2, 4, 6, 6)
        assert _params(c) == [('conv0_bias', (4,)), ('conv0_weight', (5, 4, 3, 3))]
        assert repr(c) == "Conv2DTranspose(4 -> 5, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))"
        c1 = nn.Conv1DTranspose(2, 3, strides=2, use_bias=False, in_channels=3)
        assert c1.name == 'conv1'
        assert _params(c1) == [('conv1_weight', (3, 2, 3))]
        assert repr(c1) == "Conv1DTranspose(2 -> 3, kernel_size=(3,), stride=(2,), bias=False)"
        net = nn.HybridSequential()
        with net.name_scope():
            net.add(nn.Conv2DTranspose(3, (2, 2), strides=(2, 2), in_channels=2, activation='relu'),
                    nn.Conv2DTranspose(1, 3, padding=1, groups=1))
        assert _params(net) == [
            ('hybridsequential0_conv0_bias', (3,)), ('hybridsequential0_conv0_weight', (2, 3, 2, 2)),
            ('hybridsequential0_conv1_bias', (1,)), ('hybridsequential0_conv1_weight', (0, 1, 3, 3))]
        assert repr(net) == (
            "HybridSequential(\n"
            "  (0): Conv2DTranspose(3 -> 2, kernel_size=(2, 2), stride=(2, 2), Activation(relu))\n"
            "  (1): Conv2DTranspose(1 -> 0, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))\n)")
    assert repr(nn.Conv2DTranspose(4, (3, 2), strides=(2, 1), padding=1, output_padding=(1, 0), dilation=2, groups=2,
                                   in_channels=6)) == \
        "Conv2DTranspose(2 -> 6, kernel_size=(3, 2), stride=(2, 1), padding=(1, 1), dilation=(2, 2), groups=2)"


def test_forward_backward_as_mxnet_and_numpy():
    c = nn.Conv2DTranspose(2, (2, 3), strides=(2, 1), padding=(0, 1), output_padding=(1, 0), in_channels=2)
    c.initialize(ctx=_ctx())
    w = np.arange(24, dtype=np.float32).reshape(2, 2, 2, 3) * 0.125 - 1.5
    b = np.array([0.5, -0.25], dtype=np.float32)
    c.weight.set_data(_arr(w))
    c.bias.set_data(_arr(b))
    xn = np.arange(12, dtype=np.float32).reshape(1, 2, 2, 3) * 0.25 - 1.0
    x = _arr(xn)
    x.attach_grad()
    with autograd.record():
        y = c(x)
    y.backward()
    # MXNet 1.9.1's values
    np.testing.assert_allclose(y.asnumpy().ravel(), [
        3.0625, 3.75, 2.4375, 2.875, 3.75, 2.625, 1, 0.9375, 0.75, 1.9375, 2.625, 2.0625, 0.5, 0.5, 0.5, 1.9375, 3,
        2.0625, 1.75, 3, 2.25, 2.125, 3.5625, 2.625, 3.0625, 5.25, 3.9375, -0.25, -0.25, -0.25], rtol=1e-6)
    assert y.shape == (1, 2, 5, 3)
    np.testing.assert_allclose(x.grad.asnumpy().ravel(), [-6, -9.75, -7, -6, -9.75, -7, 6, 8.25, 5, 6, 8.25, 5],
                               rtol=1e-6)
    np.testing.assert_allclose(c.weight.grad().asnumpy().ravel(), [
        -1, -2.25, -2, -1, -2.25, -2, -1, -2.25, -2, -1, -2.25, -2, 5, 6.75, 4, 5, 6.75, 4, 5, 6.75, 4, 5, 6.75, 4],
        rtol=1e-6)
    np.testing.assert_allclose(c.bias.grad().asnumpy(), [15, 15])
    # and NumPy's
    np.testing.assert_allclose(y.asnumpy(), _deconv_np(xn, w, b, (2, 1), (0, 1), (1, 0), (1, 1), 1), rtol=1e-5,
                               atol=1e-6)


@pytest.mark.parametrize("hybridize", [False, True])
def test_conv1d_transpose_groups_dilation_against_numpy(hybridize):
    rng = np.random.RandomState(3)
    c = nn.Conv1DTranspose(4, 3, strides=3, padding=1, output_padding=2, dilation=2, groups=2, activation='relu')
    c.initialize(mx.init.Uniform(1.0), ctx=_ctx())
    if hybridize:
        c.hybridize()
    xn = rng.uniform(-1, 1, (3, 6, 5)).astype(np.float32)
    y = c(_arr(xn))
    assert c.weight.shape == (6, 2, 3)
    assert y.shape == (3, 4, 4 * 3 + 2 * 2 + 1 - 2 + 2)
    ref = _deconv_np(xn, c.weight.data().asnumpy(), c.bias.data().asnumpy(), (3,), (1,), (2,), (2,), 2)
    np.testing.assert_allclose(y.asnumpy(), np.maximum(ref, 0), rtol=1e-5, atol=1e-5)


def test_errors():
    with pytest.raises(NotImplementedError, match="Conv2DTranspose.*NCHW.*NHWC"):
        nn.Conv2DTranspose(2, 3, layout='NHWC')
    with pytest.raises(NotImplementedError, match="Conv1DTranspose.*NCW.*NCHW"):
        nn.Conv1DTranspose(2, 3, layout='NCHW')
    with pytest.raises(ValueError, match="pair of ints"):
        nn.Conv2DTranspose(2, (3, 3, 3))
    c = nn.Conv2DTranspose(4, 3, strides=2, output_padding=2)
    c.initialize(ctx=_ctx())
    with pytest.raises(MXNetError, match=r"Deconvolution.*adj \(2,2\) must be smaller than stride \(2,2\)"):
        c(_arr(np.ones((1, 2, 3, 3))))
    d = nn.Conv2DTranspose(4, 3, in_channels=3)
    d.initialize(ctx=_ctx())
    with pytest.raises(MXNetError, match=r"weight.*\(2,4,3,3\).*\(3,4,3,3\)|weight.*\(3,4,3,3\).*\(2,4,3,3\)"):
        d(_arr(np.ones((1, 2, 3, 3))))
