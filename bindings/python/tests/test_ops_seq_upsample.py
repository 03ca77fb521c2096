"""smooth_l1, SequenceMask, SequenceReverse, SequenceLast and UpSampling (nearest) through the Python binding: nd and
sym against NumPy references and values MXNet 1.9.1 printed (outputs, gradients, argument and output names, shapes,
dtypes), and their errors."""
import numpy as np
import pytest

import mxc as mx
from conftest import assert_nd

# ------------------------------------------------------------------------------------------------------ smooth_l1
SL1_X = [-3, -1.5, -1.0, -0.99, -0.5, 0, 0.25, 0.5, 1.0, 1.01, 2.0, 3.5]
# mx.nd.smooth_l1(x, scalar=s) and its gradient for a head of ones, as MXNet 1.9.1 printed them.
SL1_MX = {
    1.0: ([2.5, 1.0, 0.5, 0.4900500178337097, 0.125, 0.0, 0.03125, 0.125, 0.5, 0.5099999904632568, 1.5, 3.0],
          [-1.0, -1.0, -1.0, -0.9900000095367432, -0.5, 0.0, 0.25, 0.5, 1.0, 1.0, 1.0, 1.0]),
    2.0: ([2.875, 1.375, 0.875, 0.8650000095367432, 0.375, 0.0, 0.125, 0.375, 0.875, 0.8849999904632568, 1.875, 3.375],
          [-1.0, -1.0, -1.0, -1.0, -1.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]),
    0.5: ([1.125, 0.28125, 0.125, 0.12251250445842743, 0.03125, 0.0, 0.0078125, 0.03125, 0.125, 0.12751249969005585,
           0.5, 1.53125],
          [-0.75, -0.375, -0.25, -0.2475000023841858, -0.125, 0.0, 0.0625, 0.125, 0.25, 0.2524999976158142, 0.5,
           0.875]),
}


def sl1_ref(x, sigma=1.0):
    x = np.asarray(x, dtype=np.float64)
    s2 = sigma * sigma
    return np.where(np.abs(x) < 1.0 / s2, 0.5 * s2 * x * x, np.abs(x) - 0.5 / s2)


@pytest.mark.parametrize("sigma", sorted(SL1_MX))
def test_smooth_l1_matches_mxnet(sigma):
    x = mx.nd.array(SL1_X)
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.smooth_l1(x, scalar=sigma)
    y.backward()
    assert_nd(y, SL1_MX[sigma][0], dtype=np.float32, rtol=1e-6, atol=1e-7)
    assert_nd(x.grad, SL1_MX[sigma][1], rtol=1e-6, atol=1e-7)
    assert_nd(y, sl1_ref(SL1_X, sigma), rtol=1e-6, atol=1e-7)


def test_smooth_l1_defaults_dtypes_and_symbol():
    x = np.random.RandomState(0).uniform(-3, 3, (4, 5))
    assert_nd(mx.nd.smooth_l1(mx.nd.array(x)), sl1_ref(x), rtol=1e-6, atol=1e-6)  # scalar defaults to 1
    y64 = mx.nd.smooth_l1(mx.nd.array(x, dtype=np.float64), scalar=1.7)
    assert y64.dtype == np.float64
    assert_nd(y64, sl1_ref(x, 1.7), rtol=1e-12, atol=1e-12)
    # MXNet: scalar 0 gives zeros; integer arrays convert the scalar first and truncate the value.
    assert_nd(mx.nd.smooth_l1(mx.nd.array(x), scalar=0), np.zeros((4, 5)))
    yi = mx.nd.smooth_l1(mx.nd.array([-3, -1, 0, 1, 2, 5], dtype=np.int32), scalar=2)
    assert yi.dtype == np.int32 and yi.asnumpy().tolist() == [2, 0, 0, 0, 1, 4]
    assert mx.nd.smooth_l1(mx.nd.array([-3, 5], dtype=np.int32), scalar=0.5).asnumpy().tolist() == [0, 0]
    yh = mx.nd.smooth_l1(mx.nd.array([-2, 0.5, 3], dtype=np.float16))
    assert yh.dtype == np.float16 and yh.asnumpy().tolist() == [1.5, 0.125, 2.5]
    s = mx.sym.smooth_l1(mx.sym.Variable("data"), scalar=2.0)
    assert s.list_arguments() == ["data"]
    assert s.list_outputs()[0].endswith("_output")
    assert s.infer_shape(data=(2, 3))[1] == [(2, 3)]


# ------------------------------------------------------------------------------------------------------ SequenceMask
def seqmask_ref(x, lengths, value=0.0, axis=0):
    y = np.array(x, dtype=np.float64, copy=True)
    T = y.shape[axis]
    for b, l in enumerate(lengths):
        keep = int(np.trunc(l))
        for t in range(T):
            if t >= keep:
                if axis == 0:
                    y[t, b] = value
                else:
                    y[b, t] = value
    return y


X24 = np.arange(24, dtype=np.float32).reshape(4, 2, 3)


def test_sequence_mask_matches_mxnet():
    x = mx.nd.array(X24)
    x.attach_grad()
    sl = mx.nd.array([1, 3])
    sl.attach_grad()
    with mx.autograd.record():
        y = mx.nd.SequenceMask(x, sl, use_sequence_length=True)
    y.backward(mx.nd.array(np.arange(1, 25).reshape(4, 2, 3)))
    # MXNet 1.9.1's printed values.
    assert y.asnumpy().ravel().tolist() == [0, 1, 2, 3, 4, 5, 0, 0, 0, 9, 10, 11, 0, 0, 0, 15, 16, 17, 0, 0, 0, 0, 0, 0]
    assert x.grad.asnumpy().ravel().tolist() == [1, 2, 3, 4, 5, 6, 0, 0, 0, 10, 11, 12, 0, 0, 0, 16, 17, 18,
                                                 0, 0, 0, 0, 0, 0]
    assert sl.grad.asnumpy().tolist() == [0, 0]
    y = mx.nd.SequenceMask(x, mx.nd.array([2, 0]), use_sequence_length=True, value=-1.5)
    assert_nd(y, seqmask_ref(X24, [2, 0], -1.5))
    assert y.asnumpy()[1].tolist() == [[6, 7, 8], [-1.5, -1.5, -1.5]]
    # axis=1: (batch, time, ...)
    xb = np.arange(24, dtype=np.float32).reshape(2, 4, 3)
    yb = mx.nd.SequenceMask(mx.nd.array(xb), mx.nd.array([1, 3]), use_sequence_length=True, axis=1)
    assert yb.asnumpy().ravel().tolist() == [0, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 12, 13, 14, 15, 16, 17, 18, 19, 20,
                                             0, 0, 0]
    # Lengths are truncated; negative ones mask everything, ones beyond T nothing.
    assert_nd(mx.nd.SequenceMask(x, mx.nd.array([1.5, 2.7]), use_sequence_length=True), seqmask_ref(X24, [1, 2]))
    assert_nd(mx.nd.SequenceMask(x, mx.nd.array([-1, 7]), use_sequence_length=True), seqmask_ref(X24, [-1, 7]))
    # Without use_sequence_length: the identity (one input).
    assert_nd(mx.nd.SequenceMask(x, value=3), X24)
    # int32 data: the value converted (2.7 -> 2).
    yi = mx.nd.SequenceMask(mx.nd.array(X24, dtype=np.int32), mx.nd.array([1, 2]), use_sequence_length=True,
                            value=2.7)
    assert yi.dtype == np.int32
    assert yi.asnumpy().ravel().tolist() == [0, 1, 2, 3, 4, 5, 2, 2, 2, 9, 10, 11] + [2] * 12


@pytest.mark.parametrize("axis", [0, 1])
def test_sequence_mask_random_against_numpy(axis):
    rng = np.random.RandomState(axis)
    x = rng.uniform(-1, 1, (5, 3, 2, 2) if axis == 0 else (3, 5, 2, 2))
    lens = [2, 0, 4.5]
    for dt in (np.float32, np.float64):
        y = mx.nd.SequenceMask(mx.nd.array(x, dtype=dt), mx.nd.array(lens, dtype=dt), use_sequence_length=True,
                               value=0.25, axis=axis)
        assert y.dtype == dt
        assert_nd(y, seqmask_ref(x, lens, 0.25, axis), rtol=1e-6, atol=1e-7)
    # int32 lengths (MXNet 1.9.1 crashes on them; here they work).
    y = mx.nd.SequenceMask(mx.nd.array(x), mx.nd.array([2, 0, 4], dtype=np.int32), use_sequence_length=True,
                           axis=axis)
    assert_nd(y, seqmask_ref(x, [2, 0, 4], 0, axis), rtol=1e-6, atol=1e-7)


def test_sequence_mask_symbol_names_shapes_types():
    d = mx.sym.Variable("data")
    s0 = mx.sym.SequenceMask(d)
    assert s0.list_arguments() == ["data"]
    s = mx.sym.SequenceMask(d, mx.sym.Variable("sl"), use_sequence_length=True)
    assert s.list_arguments() == ["data", "sl"]
    assert len(s.list_outputs()) == 1 and s.list_outputs()[0].endswith("_output")
    assert s.infer_shape(data=(3, 2, 4)) == ([(3, 2, 4), (2,)], [(3, 2, 4)], [])
    s1 = mx.sym.SequenceMask(d, mx.sym.Variable("sl"), use_sequence_length=True, axis=1)
    assert s1.infer_shape(data=(3, 2, 4))[0] == [(3, 2, 4), (3,)]
    # MXNet: sequence_length takes data's dtype when not given, and may be an integer dtype.
    assert s.infer_type(data=np.float64)[0] == [np.float64, np.float64]
    assert s.infer_type(data=np.float32, sl=np.int32)[0] == [np.float32, np.int32]
    auto = mx.sym.SequenceMask(use_sequence_length=True, name="m")
    assert auto.list_arguments() == ["m_data", "m_sequence_length"]


def test_sequence_mask_errors():
    x = mx.nd.ones((4, 2, 3))
    with pytest.raises(mx.base.MXNetError) as e:
        mx.nd.SequenceMask(x, mx.nd.ones((3,)), use_sequence_length=True)
    assert "SequenceMask" in str(e.value) and "sequence_length" in str(e.value)
    assert "(3,)" in str(e.value) and "(2,)" in str(e.value)
    with pytest.raises(mx.base.MXNetError) as e:
        mx.nd.SequenceMask(x, mx.nd.ones((2,)), use_sequence_length=True, axis=1)
    assert "sequence_length" in str(e.value) and "(4,)" in str(e.value)
    with pytest.raises(mx.base.MXNetValueError) as e:
        mx.nd.SequenceMask(x, mx.nd.ones((2,)), use_sequence_length=True, axis=2)
    assert "SequenceMask" in str(e.value) and "axis" in str(e.value)
    with pytest.raises(mx.base.MXNetError) as e:
        mx.nd.SequenceMask(mx.nd.ones((3,)))
    assert "SequenceMask" in str(e.value) and "data" in str(e.value) and "(3,)" in str(e.value)
    with pytest.raises(mx.base.MXNetError):
        mx.nd.SequenceMask(x, use_sequence_length=True)  # the lengths are missing


# ------------------------------------------------------------------------------------------------------ UpSampling
def up_ref(x, s):
    return np.repeat(np.repeat(np.asarray(x), s, axis=2), s, axis=3)


def test_upsampling_matches_mxnet():
    x = mx.nd.array(np.arange(12).reshape(1, 2, 2, 3))
    y = mx.nd.UpSampling(x, scale=2, sample_type="nearest")
    assert y.shape == (1, 2, 4, 6)
    # MXNet 1.9.1's printed rows.
    assert y.asnumpy()[0, 0].tolist() == [[0, 0, 1, 1, 2, 2], [0, 0, 1, 1, 2, 2], [3, 3, 4, 4, 5, 5],
                                          [3, 3, 4, 4, 5, 5]]
    assert y.asnumpy()[0, 1, 3].tolist() == [9, 9, 10, 10, 11, 11]
    xv = mx.nd.array(np.arange(4).reshape(1, 1, 2, 2))
    xv.attach_grad()
    with mx.autograd.record():
        z = mx.nd.UpSampling(xv, scale=2, sample_type="nearest")
    z.backward(mx.nd.array(np.arange(16).reshape(1, 1, 4, 4)))
    assert xv.grad.asnumpy().ravel().tolist() == [10, 18, 42, 50]


@pytest.mark.parametrize("scale", [1, 2, 3])
def test_upsampling_random_against_numpy(scale):
    x = np.random.RandomState(scale).uniform(-1, 1, (2, 3, 4, 5))
    for dt in (np.float32, np.float64):
        y = mx.nd.UpSampling(mx.nd.array(x, dtype=dt), scale=scale, sample_type="nearest")
        assert y.dtype == dt and y.shape == (2, 3, 4 * scale, 5 * scale)
        assert_nd(y, up_ref(x.astype(dt), scale))
    yi = mx.nd.UpSampling(mx.nd.array([[[[3, -4]]]], dtype=np.int32), scale=2, sample_type="nearest")
    assert yi.dtype == np.int32 and yi.asnumpy().ravel().tolist() == [3, 3, -4, -4, 3, 3, -4, -4]


def test_upsampling_symbol_names_and_shapes():
    # MXNet: list_arguments of UpSampling(data, scale=2, sample_type='nearest') is ['data'], one output <name>_output.
    s = mx.sym.UpSampling(mx.sym.Variable("data"), scale=2, sample_type="nearest")
    assert s.list_arguments() == ["data"]
    assert len(s.list_outputs()) == 1 and s.list_outputs()[0].endswith("_output")
    assert s.infer_shape(data=(1, 2, 3, 4)) == ([(1, 2, 3, 4)], [(1, 2, 6, 8)], [])
    u = mx.sym.UpSampling(mx.sym.Variable("x"), scale=2, sample_type="nearest", name="up")
    assert u.list_arguments() == ["x"] and u.list_outputs() == ["up_output"]


def test_upsampling_errors():
    x = mx.nd.ones((1, 2, 3, 3))
    with pytest.raises(mx.base.MXNetValueError) as e:
        mx.nd.UpSampling(x, mx.nd.ones((2, 1, 4, 4)), scale=2, sample_type="bilinear", num_filter=2)
    assert "UpSampling" in str(e.value) and "sample_type" in str(e.value) and "bilinear" in str(e.value)
    with pytest.raises(mx.base.MXNetValueError) as e:
        mx.nd.UpSampling(x, scale=2, sample_type="bilinear", num_filter=2)
    assert "UpSampling" in str(e.value) and "sample_type" in str(e.value)
    with pytest.raises(mx.base.MXNetValueError) as e:
        mx.nd.UpSampling(x, mx.nd.ones((1, 2, 6, 6)), scale=2, sample_type="nearest")
    assert "UpSampling" in str(e.value) and "num_args" in str(e.value)
    with pytest.raises(mx.base.MXNetValueError) as e:
        mx.nd.UpSampling(x, scale=0, sample_type="nearest")
    assert "UpSampling" in str(e.value) and "scale" in str(e.value)
    with pytest.raises(mx.base.MXNetValueError) as e:
        mx.nd.UpSampling(x, scale=2, sample_type="linear")
    assert "UpSampling" in str(e.value) and "sample_type" in str(e.value)
    with pytest.raises(mx.base.MXNetError) as e:
        mx.nd.UpSampling(x, scale=2)  # sample_type is required (as in MXNet)
    assert "sample_type" in str(e.value)
    with pytest.raises(mx.base.MXNetError) as e:
        mx.nd.UpSampling(mx.nd.ones((2, 3)), scale=2, sample_type="nearest")
    assert "UpSampling" in str(e.value) and "data" in str(e.value) and "(2,3)" in str(e.value)
    # Symbols: the error comes at inference/bind.
    s = mx.sym.UpSampling(mx.sym.Variable("a"), mx.sym.Variable("w"), scale=2, sample_type="bilinear", num_filter=1)
    with pytest.raises(mx.base.MXNetValueError) as e:
        s.infer_shape(a=(1, 1, 3, 3), w=(1, 1, 4, 4))
    assert "UpSampling" in str(e.value) and "sample_type" in str(e.value)


# ------------------------------------------------------------------------------------------ SequenceReverse/Last
def _seq_reverse_ref(x, lengths, axis=0):
    y = np.moveaxis(np.array(x), axis, 0).copy()
    src = np.moveaxis(np.asarray(x), axis, 0)
    for b, n in enumerate(lengths):
        n = int(min(max(np.trunc(n), 0), y.shape[0]))
        y[:n, b] = src[:n, b][::-1]
    return np.moveaxis(y, 0, axis)


def _seq_last_ref(x, lengths, axis=0):
    src = np.moveaxis(np.asarray(x), axis, 0)
    return np.stack([src[int(min(max(np.trunc(n), 1), src.shape[0])) - 1, b] for b, n in enumerate(lengths)])


@pytest.mark.parametrize("axis", [0, 1])
def test_sequence_reverse_and_last_match_numpy(axis):
    rng = np.random.RandomState(axis)
    x = rng.uniform(-1, 1, size=(5, 4, 3) if axis == 0 else (4, 5, 3)).astype(np.float32)
    lengths = [3.7, 0, 5, 9]  # truncated, empty (SequenceLast: clamped to 1), full, beyond the sequence (clamped)
    xs, ls = mx.nd.array(x), mx.nd.array(lengths)
    rev = mx.nd.SequenceReverse(xs, ls, use_sequence_length=True, axis=axis)
    assert_nd(rev, _seq_reverse_ref(x, lengths, axis), rtol=0, atol=0)
    assert_nd(mx.nd.SequenceReverse(xs, axis=axis), np.flip(x, axis), rtol=0, atol=0)
    assert_nd(mx.nd.SequenceLast(xs, ls, use_sequence_length=True, axis=axis), _seq_last_ref(x, lengths, axis),
              rtol=0, atol=0)
    assert_nd(mx.nd.SequenceLast(xs, axis=axis), np.take(x, -1, axis=axis), rtol=0, atol=0)


def test_sequence_reverse_and_last_as_mxnet():
    # MXNet 1.9.1: x = arange(12).reshape(3, 2, 2), lengths (2, 3), names and dtypes
    x = mx.nd.array(np.arange(12).reshape(3, 2, 2))
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.SequenceLast(x, mx.nd.array([2, 3]), use_sequence_length=True)
    y.backward(mx.nd.array([[1, 2], [3, 4]]))
    assert y.asnumpy().tolist() == [[4.0, 5.0], [10.0, 11.0]]
    assert x.grad.asnumpy().tolist() == [[[0, 0], [0, 0]], [[1, 2], [0, 0]], [[0, 0], [3, 4]]]
    with mx.autograd.record():
        y = mx.nd.SequenceReverse(x, mx.nd.array([2, 3]), use_sequence_length=True)
    y.backward(mx.nd.array(np.arange(12).reshape(3, 2, 2)))
    assert y.asnumpy()[:, :, 0].tolist() == [[4.0, 10.0], [0.0, 6.0], [8.0, 2.0]]
    assert x.grad.asnumpy()[:, :, 0].tolist() == [[4.0, 10.0], [0.0, 6.0], [8.0, 2.0]]
    with mx.name.NameManager():
        s = mx.sym.SequenceLast(mx.sym.var('d'), mx.sym.var('l'), use_sequence_length=True)
        assert (s.list_arguments(), s.name) == (['d', 'l'], 'sequencelast0')
        s = mx.sym.SequenceReverse(mx.sym.var('d'))
        assert (s.list_arguments(), s.name) == (['d'], 'sequencereverse0')
        assert s.infer_shape(d=(3, 2, 5))[1] == [(3, 2, 5)]
        assert mx.sym.SequenceLast(mx.sym.var('d'), axis=1).infer_shape(d=(3, 2, 5))[1] == [(3, 5)]
    last = mx.nd.SequenceLast(mx.nd.array([[1, 2, 3]], dtype='int32'))
    assert last.dtype == np.int32 and last.asnumpy().tolist() == [1, 2, 3]
    with pytest.raises(mx.base.MXNetError,
                       match=r"SequenceLast: shape mismatch for .sequence_length.: expected \(2,\), got \(3,\)"):
        mx.nd.SequenceLast(mx.nd.zeros((4, 2)), mx.nd.zeros((3,)), use_sequence_length=True)
