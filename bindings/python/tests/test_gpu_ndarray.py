"""Device-dependent NDArray tests rerun on mx.gpu(0): results must match the CPU and NumPy. Skipped (visibly) where
there is no GPU."""
import numpy as np
import pytest

import mxc as mx

pytestmark = pytest.mark.skipif(mx.context.num_gpus() == 0, reason="no GPU on this machine (num_gpus() == 0)")


@pytest.fixture(params=["cpu", "gpu"])
def ctx(request):
    return mx.cpu() if request.param == "cpu" else mx.gpu(0)


def test_zeros_ones_full(ctx):
    assert (mx.nd.zeros((3, 4), ctx=ctx).asnumpy() == 0).all()
    assert (mx.nd.ones((5,), ctx=ctx).asnumpy() == 1).all()
    a = mx.nd.full((2, 3), 2.5, ctx=ctx)
    assert a.context == ctx
    np.testing.assert_array_equal(a.asnumpy(), np.full((2, 3), 2.5, np.float32))


def test_arithmetic_matches_numpy(ctx):
    rng = np.random.RandomState(0)
    x, y = rng.rand(4, 5).astype(np.float32) + 0.5, rng.rand(4, 5).astype(np.float32) + 0.5
    a, b = mx.nd.array(x, ctx=ctx), mx.nd.array(y, ctx=ctx)
    np.testing.assert_allclose((a + b).asnumpy(), x + y, rtol=1e-6)
    np.testing.assert_allclose((a * b - a / b).asnumpy(), x * y - x / y, rtol=1e-5)
    np.testing.assert_allclose((a * 2 + 1).asnumpy(), x * 2 + 1, rtol=1e-6)
    np.testing.assert_allclose(mx.nd.exp(a).asnumpy(), np.exp(x), rtol=1e-5)
    np.testing.assert_array_equal((a > b).asnumpy(), (x > y).astype(np.float32))


def test_copies_between_devices():
    x = np.arange(12, dtype=np.float64).reshape(3, 4)
    c = mx.nd.array(x, dtype=np.float64)
    g = c.copyto(mx.gpu(0))
    assert g.context == mx.gpu(0)
    np.testing.assert_array_equal(g.asnumpy(), x)
    back = (g * 3).as_in_context(mx.cpu())
    assert back.context == mx.cpu()
    np.testing.assert_array_equal(back.asnumpy(), x * 3)
    g2 = mx.nd.zeros((3, 4), ctx=mx.gpu(0), dtype=np.float64)
    g.copyto(g2)
    np.testing.assert_array_equal(g2.asnumpy(), x)


def test_fully_connected_and_sgd_match_cpu():
    rng = np.random.RandomState(1)
    x, w, b = rng.randn(8, 20), rng.randn(5, 20), rng.randn(5)
    outs = []
    for ctx in (mx.cpu(), mx.gpu(0)):
        out = mx.nd.FullyConnected(mx.nd.array(x, ctx=ctx), mx.nd.array(w, ctx=ctx), mx.nd.array(b, ctx=ctx),
                                   num_hidden=5)
        outs.append(out.asnumpy())
    np.testing.assert_allclose(outs[1], outs[0], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(outs[0], x @ w.T + b, rtol=1e-4, atol=1e-4)
    wg = mx.nd.array(w, ctx=mx.gpu(0))
    gg = mx.nd.array(np.ones_like(w), ctx=mx.gpu(0))
    mx.nd.sgd_update(wg, gg, out=wg, lr=0.5)
    # float32 arithmetic as the kernel does it (w - 0.5 in float64 rounds differently near 0.5)
    np.testing.assert_allclose(wg.asnumpy(), w.astype(np.float32) - np.float32(0.5), rtol=1e-6, atol=1e-6)


def test_gpu_memory_pool_stats():
    from mxc.base import ffi, lib, check_call
    if not hasattr(lib, "MXCGPUMemoryStats"):
        pytest.skip("library without MXCGPUMemoryStats")
    a = mx.nd.zeros((1024, 1024), ctx=mx.gpu(0))
    a.wait_to_read()
    in_use, cached, peak = ffi.new("int64_t *"), ffi.new("int64_t *"), ffi.new("int64_t *")
    check_call(lib.MXCGPUMemoryStats(0, in_use, cached, peak))
    assert in_use[0] >= 4 << 20 and peak[0] >= in_use[0]
    del a
    mx.nd.waitall()
    check_call(lib.MXCGPUReleaseCache(0))
    check_call(lib.MXCGPUMemoryStats(0, in_use, cached, peak))
    assert cached[0] == 0



@pytest.mark.skipif(mx.context.num_gpus() < 2, reason="fewer than two GPUs")
def test_copies_and_executors_across_two_gpus():
    src = np.arange(12, dtype=np.float32).reshape(3, 4)
    a = mx.nd.array(src, ctx=mx.gpu(0))
    b = a.copyto(mx.gpu(1))
    assert b.context == mx.gpu(1)
    c = (b * 2 + 1).sum(axis=1)
    np.testing.assert_array_equal(c.asnumpy(), (src * 2 + 1).sum(axis=1))
    d = c.as_in_context(mx.gpu(0)) + a.sum(axis=1)
    assert d.context == mx.gpu(0)
    np.testing.assert_array_equal(d.asnumpy(), (src * 2 + 1).sum(axis=1) + src.sum(axis=1))
    with pytest.raises(mx.base.DeviceError):
        (a + b).wait_to_read()
    x = mx.sym.Variable("x")
    ex = mx.sym.FullyConnected(x, num_hidden=3, name="fc").simple_bind(mx.gpu(1), x=(2, 4))
    w = np.random.RandomState(0).rand(3, 4).astype(np.float32)
    ex.arg_dict["x"][:] = src[:2]
    ex.arg_dict["fc_weight"][:] = w
    ex.arg_dict["fc_bias"][:] = 0.5
    ex.forward()
    assert ex.outputs[0].context == mx.gpu(1)
    np.testing.assert_allclose(ex.outputs[0].asnumpy(), src[:2] @ w.T + 0.5, rtol=1e-5)
