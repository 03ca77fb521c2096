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


def test_default_context_stack():
    assert mx.current_context() == mx.cpu(0)
    with mx.Context("cpu", 1) as c:
        assert c == mx.cpu(1)
        assert mx.current_context() == mx.cpu(1)
        with mx.cpu(2):
            assert mx.current_context() == mx.cpu(2)
        assert mx.current_context() == mx.cpu(1)
    assert mx.current_context() == mx.cpu(0)


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
