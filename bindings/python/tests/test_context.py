"""Contexts: mx.cpu/gpu, equality, default-context stack."""
import pickle

import pytest

import mxc as mx


def test_cpu_gpu():
    assert str(mx.cpu()) == "cpu(0)" and repr(mx.cpu(1)) == "cpu(1)"
    assert str(mx.gpu(2)) == "gpu(2)"
    assert mx.cpu().device_type == "cpu" and mx.gpu(3).device_id == 3
    assert mx.cpu() == mx.cpu(0) and mx.cpu(0) != mx.gpu(0) and mx.cpu(0) != "cpu(0)"
    assert hash(mx.cpu(0)) == hash(mx.Context("cpu", 0))
    assert mx.Context(mx.gpu(1)) == mx.gpu(1)
    assert mx.context.Context is mx.Context
    assert pickle.loads(pickle.dumps(mx.gpu(1))) == mx.gpu(1)
    with pytest.raises(ValueError):
        mx.Context("tpu", 0)


@pytest.mark.cpu_default_context
def test_default_context_stack():
    assert mx.current_context() == mx.cpu(0)
    with mx.Context("cpu", 1) as c:
        assert c == mx.cpu(1)
        assert mx.current_context() == mx.cpu(1)
        with mx.cpu(2):
            assert mx.current_context() == mx.cpu(2)
        assert mx.current_context() == mx.cpu(1)
    assert mx.current_context() == mx.cpu(0)


@pytest.mark.cpu_default_context
def test_default_context_used_for_creation():
    if mx.context.num_gpus() > 0:
        with mx.gpu(0):
            assert mx.nd.zeros((2,)).context == mx.gpu(0)
    else:
        with mx.gpu(0):
            with pytest.raises(mx.base.DeviceError):
                mx.nd.zeros((2,))
    assert mx.nd.zeros((2,)).context == mx.cpu(0)


def test_num_gpus():
    assert mx.context.num_gpus() == mx.context.num_gpus() >= 0


needs_gpu = pytest.mark.skipif(mx.context.num_gpus() == 0, reason="no GPU in this build or on this machine")


@needs_gpu
def test_gpu_arrays_roundtrip():
    import numpy as np
    src = np.arange(12, dtype=np.float32).reshape(3, 4)
    g = mx.nd.array(src, ctx=mx.gpu(0))
    assert g.context == mx.gpu(0)
    np.testing.assert_array_equal(g.asnumpy(), src)
    c = g.copyto(mx.cpu())
    assert c.context == mx.cpu() and not c.shares_memory_with(g)
    np.testing.assert_array_equal(c.asnumpy(), src)
    g2 = c.as_in_context(mx.gpu(0))
    assert g2.context == mx.gpu(0)
    np.testing.assert_array_equal(g2.asnumpy(), src)
    z = mx.nd.zeros((2, 2), ctx=mx.gpu(0))
    np.testing.assert_array_equal(z.asnumpy(), np.zeros((2, 2)))
    with mx.gpu(0):
        o = mx.nd.ones((3,))
    assert o.context == mx.gpu(0)
    np.testing.assert_array_equal(o.asnumpy(), np.ones(3))
    g[1] = 5
    g[0, 1:3] = np.array([7, 8])
    ref = src.copy()
    ref[1] = 5
    ref[0, 1:3] = [7, 8]
    np.testing.assert_array_equal(g.asnumpy(), ref)


@needs_gpu
@pytest.mark.cpu_default_context
def test_gpu_arithmetic_matches_cpu():
    import numpy as np
    src = np.random.RandomState(0).rand(5, 6).astype(np.float32)
    g = mx.nd.array(src, ctx=mx.gpu(0))
    r = ((g + g) * 3 - 1) / 2
    assert r.context == mx.gpu(0)
    np.testing.assert_allclose(r.asnumpy(), ((src + src) * 3 - 1) / 2, rtol=1e-6)
    with pytest.raises(mx.base.DeviceError):
        (g + mx.nd.array(src)).wait_to_read()
