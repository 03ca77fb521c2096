"""The fast paths of NDArray arithmetic (prepared operators, cached scalars, known output shapes) against NumPy,
their errors, threads, and the C API of prepared operators and of the CPU storage pool used directly."""
import threading

import numpy as np
import pytest

import mxc as mx
from mxc.base import ffi, lib, check_call, MXNetError
from mxc.ndarray import ndarray as nd_impl


def test_same_shape_result_knows_its_shape_and_chains():
    a_np = np.arange(12, dtype=np.float32).reshape(3, 4)
    b_np = np.full((3, 4), 0.5, np.float32)
    a, b = mx.nd.array(a_np), mx.nd.array(b_np)
    c = a + b
    assert c._shape == (3, 4)  # set by the fast path, no query needed
    d = c * a - b / (a + 1)
    assert d.shape == (3, 4)
    np.testing.assert_allclose(d.asnumpy(), (a_np + b_np) * a_np - b_np / (a_np + 1), rtol=1e-6)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32"])
def test_scalar_ops_cached_per_value_match_numpy(dtype):
    x_np = np.array([[1, 2, 3], [4, 5, 6]], dtype=dtype)
    x = mx.nd.array(x_np, dtype=dtype)
    for v in (2, 2.0, 3, 0.5, -1, 2):  # 2 and 2.0 share one prepared operator
        for _ in range(3):
            np.testing.assert_allclose((x + v).asnumpy(), (x_np + np.array(v, dtype=dtype)).astype(dtype))
            np.testing.assert_allclose((x * v).asnumpy(), (x_np * np.array(v, dtype=dtype)).astype(dtype))
            np.testing.assert_allclose((v - x).asnumpy(), (np.array(v, dtype=dtype) - x_np).astype(dtype))
    assert (x + 1).shape == (2, 3)


def test_scalar_kinds_outside_the_cache():
    x_np = np.array([1.0, -2.0, 4.0], np.float32)
    x = mx.nd.array(x_np)
    np.testing.assert_allclose((x + True).asnumpy(), x_np + 1)
    np.testing.assert_allclose((x * np.float32(1.5)).asnumpy(), x_np * 1.5)
    assert np.isnan((x + float("nan")).asnumpy()).all()
    with pytest.raises(TypeError):
        x + "a"


def test_many_distinct_scalars_beyond_the_cache(monkeypatch):
    monkeypatch.setattr(nd_impl, "_PREP_MAX", len(nd_impl._PREPARED) + 3)
    x_np = np.array([1.0, 2.0], np.float32)
    x = mx.nd.array(x_np)
    for k in range(20):
        v = 1000.25 + k
        np.testing.assert_allclose((x + v).asnumpy(), x_np + np.float32(v))
    assert len(nd_impl._PREPARED) <= nd_impl._PREP_MAX


def test_fast_path_errors_name_operator_and_shapes():
    a = mx.nd.ones((2, 3), dtype="float32")
    b = mx.nd.ones((2, 3), dtype="int32")
    with pytest.raises(MXNetError) as e:
        a + b
    assert "elemwise_add" in str(e.value) and "dtype" in str(e.value)
    c = mx.nd.ones((4, 5))
    with pytest.raises(ValueError) as e:  # different shapes: the broadcasting operator reports them
        a + c
    assert "broadcast_add" in str(e.value) and "(2,3)" in str(e.value).replace(" ", "")


@pytest.mark.cpu_default_context
def test_threads_share_the_fast_path():
    a_np = np.random.RandomState(0).rand(50).astype(np.float32)
    a = mx.nd.array(a_np)
    errors = []

    def work(k):
        try:
            b = mx.nd.array(np.full(50, k, np.float32))
            for i in range(300):
                c = a + b
                d = c * 2.0 + k
                if i % 50 == 0:
                    np.testing.assert_allclose(d.asnumpy(), (a_np + k) * 2 + k, rtol=1e-6)
            np.testing.assert_allclose(d.asnumpy(), (a_np + k) * 2 + k, rtol=1e-6)
        except Exception as ex:  # noqa: BLE001
            errors.append(ex)

    ts = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors, errors


def test_prepared_op_c_api():
    op = mx.base.op_meta("elemwise_mul").handle
    p = ffi.new("MXCPreparedOpHandle *")
    check_call(lib.MXCPreparedOpCreate(op, 0, ffi.NULL, ffi.NULL, p))
    n = ffi.new("int *")
    check_call(lib.MXCPreparedOpGetNumOutputs(p[0], n))
    assert n[0] == 1
    a, b = mx.nd.array([1.0, 2.0, 3.0]), mx.nd.array([4.0, 5.0, 6.0])
    ins = ffi.new("MXCNDArrayHandle[2]", [a.handle, b.handle])
    outs = ffi.new("MXCNDArrayHandle[1]")
    check_call(lib.MXCPreparedOpInvoke(p[0], 2, ins, 1, outs))
    c = mx.nd.NDArray(outs[0])
    np.testing.assert_allclose(c.asnumpy(), [4.0, 10.0, 18.0])
    check_call(lib.MXCPreparedOpFree(p[0]))


@pytest.mark.cpu_default_context
def test_cpu_pool_reuses_freed_storage():
    mx.nd.waitall()
    check_call(lib.MXCCPUReleaseCache())
    cached = ffi.new("int64_t *")
    check_call(lib.MXCCPUMemoryStats(ffi.NULL, cached, ffi.NULL))
    assert cached[0] == 0
    x = mx.nd.ones((1000, 1000))
    y = x + x
    np.testing.assert_allclose(y.asnumpy()[:2, :2], 2.0)
    del y
    mx.nd.waitall()
    check_call(lib.MXCCPUMemoryStats(ffi.NULL, cached, ffi.NULL))
    assert cached[0] >= 4 * 10 ** 6
    z = x * 3.0  # reuses the freed buffer: old values must not leak into the result
    np.testing.assert_allclose(z.asnumpy(), 3.0)
    check_call(lib.MXCCPUReleaseCache())
