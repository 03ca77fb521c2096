"""mx.nd.Deconvolution / mx.sym.Deconvolution against a NumPy scatter loop, against Convolution's data gradient, and
against values, argument names and shapes printed by Apache MXNet 1.9.1."""
import numpy as np
import pytest

import mxc as mx
from mxc import autograd, nd
from mxc.base import MXNetError

from test_gluon_deconv import _deconv_np


def _ctx():
    return mx.current_context()


def _arr(a, dtype=np.float32):
    return nd.array(np.asarray(a, dtype=dtype), ctx=_ctx(), dtype=dtype)


CASES = [  # (data shape, weight shape, bias, params)
    ((2, 3, 4, 5), (3, 4, 3, 3), True, dict(kernel=(3, 3), num_filter=4)),
    ((2, 3, 4, 5), (3, 2, 3, 2), False, dict(kernel=(3, 2), num_filter=2, stride=(2, 3), pad=(1, 1), adj=(1, 2))),
    ((1, 4, 3, 3), (4, 3, 2, 2), True, dict(kernel=(2, 2), num_filter=6, num_group=2, dilate=(2, 3))),
    ((2, 2, 3, 4), (2, 3, 3, 3), False, dict(kernel=(3, 3), num_filter=3, stride=(2, 2), target_shape=(6, 8))),
    ((3, 2, 7), (2, 5, 4), True, dict(kernel=(4,), num_filter=5, stride=(2,), pad=(1,), adj=(1,))),
    ((2, 6, 5), (6, 1, 3), False, dict(kernel=(3,), num_filter=3, num_group=3, stride=(3,), dilate=(2,))),
]


def _reference(x, w, b, prm):
    nd_ = x.ndim - 2
    stride, pad = prm.get('stride', (1,) * nd_), prm.get('pad', (0,) * nd_)
    adj, dil = prm.get('adj', (0,) * nd_), prm.get('dilate', (1,) * nd_)
    if 'target_shape' in prm:  # the excess of the full output is cropped, the odd element at the end
        full = [(x.shape[2 + i] - 1) * stride[i] + dil[i] * (w.shape[2 + i] - 1) + 1 for i in range(nd_)]
        pad = [(full[i] - prm['target_shape'][i] + 1) // 2 for i in range(nd_)]
        adj = [(full[i] - prm['target_shape'][i]) % 2 for i in range(nd_)]
    return _deconv_np(x, w, b, stride, pad, adj, dil, prm.get('num_group', 1))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("idx", range(len(CASES)))
def test_matches_numpy(idx, dtype):
    dshape, wshape, bias, prm = CASES[idx]
    rng = np.random.RandomState(idx)
    x, w = rng.uniform(-1, 1, dshape), rng.uniform(-1, 1, wshape)
    b = rng.uniform(-1, 1, prm['num_filter']) if bias else None
    args = [_arr(x, dtype), _arr(w, dtype)] + ([_arr(b, dtype)] if bias else [])
    y = nd.Deconvolution(*args, no_bias=not bias, **prm)
    assert y.dtype == dtype
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(y.asnumpy(), _reference(x, w, b, prm), rtol=tol, atol=tol)


def test_equals_convolution_data_gradient():
    rng = np.random.RandomState(7)
    prm = dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1), num_group=2, no_bias=True)
    x = _arr(rng.uniform(-1, 1, (2, 4, 9, 9)), np.float64)
    w = _arr(rng.uniform(-1, 1, (6, 2, 3, 3)), np.float64)
    dy = _arr(rng.uniform(-1, 1, (2, 6, 5, 5)), np.float64)
    x.attach_grad()
    with autograd.record():
        y = nd.Convolution(x, w, num_filter=6, **prm)
    y.backward(dy)
    np.testing.assert_allclose(nd.Deconvolution(dy, w, num_filter=4, **prm).asnumpy(), x.grad.asnumpy(),
                               rtol=1e-12, atol=1e-12)
    # and the gradient of a deconvolution is a convolution: d data = Convolution(d out, weight)
    dy.attach_grad()
    with autograd.record():
        z = nd.Deconvolution(dy, w, num_filter=4, **prm)
    z.backward(x)
    np.testing.assert_allclose(dy.grad.asnumpy(), nd.Convolution(x, w, num_filter=6, **prm).asnumpy(),
                               rtol=1e-12, atol=1e-12)


def test_mxnet_values_and_symbol_as_mxnet():
    x = _arr(np.arange(8).reshape(1, 2, 2, 2) * 0.25 - 1.0)
    w = _arr(np.arange(18).reshape(2, 1, 3, 3) * 0.125 - 1.0)
    y = nd.Deconvolution(x, w, _arr([0.5]), kernel=(3, 3), num_filter=1, stride=(2, 2), pad=(1, 1), adj=(1, 1),
                         no_bias=False)
    np.testing.assert_allclose(y.asnumpy().ravel(), [1, 1.46875, 1.03125, 0.96875, 1.1875, 1.8125, 1.25, 1.25,
                                                     1.0625, 1.59375, 1.09375, 1.15625, 1.0625, 1.78125, 1.28125,
                                                     1.34375], rtol=1e-6)
    s = mx.sym.Deconvolution(mx.sym.var('data'), kernel=(3, 3), num_filter=4, name='dc')
    assert s.list_arguments() == ['data', 'dc_weight']  # no_bias defaults to True
    s2 = mx.sym.Deconvolution(mx.sym.var('data'), kernel=(3, 3), num_filter=4, no_bias=False, name='dc')
    assert s2.list_arguments() == ['data', 'dc_weight', 'dc_bias']
    assert s2.infer_shape(data=(2, 3, 5, 5))[:2] == ([(2, 3, 5, 5), (3, 4, 3, 3), (4,)], [(2, 4, 7, 7)])
    s3 = mx.sym.Deconvolution(mx.sym.var('data'), kernel=(3, 3), num_filter=3, stride=(2, 2), target_shape=(7, 8))
    assert s3.infer_shape(data=(1, 2, 4, 4))[1] == [(1, 3, 7, 8)]


def test_errors():
    x = _arr(np.ones((1, 2, 4, 4)))
    with pytest.raises(MXNetError, match=r"Deconvolution.*weight.*\(2,3,3,3\).*\(3,2,3,3\)"
                                          r"|Deconvolution.*weight.*\(3,2,3,3\).*\(2,3,3,3\)"):
        nd.Deconvolution(x, _arr(np.ones((3, 2, 3, 3))), kernel=(3, 3), num_filter=3).wait_to_read()
    with pytest.raises(MXNetError, match="Deconvolution.*kernel"):
        nd.Deconvolution(x, _arr(np.ones((2, 3, 3, 3))), num_filter=3)
    with pytest.raises(MXNetError, match="Deconvolution.*num_filter"):
        nd.Deconvolution(x, _arr(np.ones((2, 3, 3, 3))), kernel=(3, 3))
    with pytest.raises(MXNetError, match=r"Deconvolution.*target_shape \(10,10\).*9.*\(1,2,4,4\)"):
        nd.Deconvolution(x, _arr(np.ones((2, 3, 3, 3))), kernel=(3, 3), num_filter=3, stride=(2, 2),
                         target_shape=(10, 10))
