"""Operators generated from the registry: presence, signatures, docs, argument handling, out=, _internal."""
import inspect

import numpy as np
import pytest

import mxc as mx
from mxc.base import list_op_names, op_meta
from conftest import needs_ops, assert_nd


def test_every_operator_and_alias_is_a_function():
    names = list_op_names()
    assert "_zeros" in names and "_full" in names
    for n in names:
        meta = op_meta(n)
        for name in (n,) + meta.aliases:
            fn = getattr(mx.nd, name, None)
            if name in mx.ndarray._HAND_WRITTEN:
                continue  # hand-written MXNet functions (zeros, maximum, ...) keep their names
            assert callable(fn), name
            assert fn.op_meta is meta
            if name.startswith("_"):
                assert getattr(mx.nd._internal, name) is not None


def test_docstring_from_registry():
    doc = mx.nd._full.__doc__
    meta = op_meta("_full")
    assert meta.description.strip() in doc
    assert "Parameters\n----------" in doc
    for n, d in zip(meta.param_names, meta.param_docs):
        assert n in doc and d.strip() in doc
    assert "value : float, required" in doc
    assert "shape : Shape(tuple), optional, default=()" in doc
    assert "out : NDArray, optional" in doc
    assert mx.nd._full.__name__ == "_full"


def test_signature_from_registry():
    sig = inspect.signature(mx.nd._full)
    names = list(sig.parameters)
    assert names[:4] == ["shape", "ctx", "dtype", "value"]
    assert names[-3:] == ["out", "name", "kwargs"]
    assert sig.parameters["shape"].default == ()
    assert sig.parameters["dtype"].default == "float32"
    assert repr(sig.parameters["value"].default) == "<required>"


def test_parameters_converted_to_strings():
    x = mx.nd._full(shape=(2, 3), value=4, dtype=np.int64)
    assert x.shape == (2, 3) and x.dtype == np.int64
    assert_nd(x, np.full((2, 3), 4))
    assert mx.nd._zeros(shape=[4]).shape == (4,)
    assert mx.nd._zeros(shape=5).shape == (5,)
    assert mx.nd._ones(shape=(1, 2), dtype="int8").dtype == np.int8
    assert mx.nd._ones(shape=(2,), dtype=np.dtype("float64")).dtype == np.float64
    # positional parameters map to parameters in declaration order (shape, ctx, dtype, value)
    y = mx.nd._full((2,), None, "int32", 3)
    assert y.dtype == np.int32 and y.asnumpy().tolist() == [3, 3]
    with pytest.raises(TypeError, match="multiple values"):
        mx.nd._full((2,), shape=(3,), value=1)
    with pytest.raises(TypeError, match="too many positional"):
        mx.nd._zeros((2,), None, "float32", 5)


def test_param_str():
    from mxc.base import param_str
    assert param_str((2, 3)) == "(2,3)"
    assert param_str([4]) == "(4,)"
    assert param_str(()) == "()"
    assert param_str((1, None, -1)) == "(1,None,-1)"
    assert param_str(True) == "True" and param_str(False) == "False" and param_str(np.bool_(True)) == "True"
    assert param_str(None) == "None"
    assert param_str(np.float32) == "float32" and param_str(np.dtype("int8")) == "int8"
    assert param_str("relu") == "relu"
    assert param_str(3) == "3" and param_str(np.int64(7)) == "7"
    assert float(param_str(0.1)) == 0.1 and param_str(1e-8) == "1e-08"
    assert param_str(mx.gpu(1)) == "gpu(1)"


def test_out_argument():
    o = mx.nd.empty((2, 2), dtype="int32")
    r = mx.nd._ones(shape=(2, 2), dtype="int32", out=o)
    assert r is o
    assert_nd(o, np.ones((2, 2)))
    with pytest.raises(mx.base.ShapeError):
        mx.nd._ones(shape=(3,), out=mx.nd.empty((2,)))
    with pytest.raises(TypeError):
        mx.nd._ones(shape=(2,), out=np.empty(2))


def test_ctx_argument_of_operators_without_inputs():
    assert mx.nd._zeros(shape=(2,), ctx=mx.cpu()).context == mx.cpu()
    assert mx.nd._zeros(shape=(2,), ctx="cpu(0)").context == mx.cpu()
    if mx.context.num_gpus() == 0:
        with pytest.raises(mx.base.DeviceError):
            mx.nd._zeros(shape=(2,), ctx=mx.gpu(0))


def test_name_is_accepted_and_ignored():
    assert mx.nd._zeros(shape=(1,), name="z").shape == (1,)


@needs_ops("elemwise_add")
def test_binary_op_inputs_positional_and_keyword():
    a = mx.nd.array([1, 2, 3])
    b = mx.nd.array([10, 20, 30])
    meta = op_meta("elemwise_add")
    lhs, rhs = meta.input_names
    assert_nd(mx.nd.elemwise_add(a, b), [11, 22, 33])
    assert_nd(mx.nd.elemwise_add(**{lhs: a, rhs: b}), [11, 22, 33])
    assert_nd(mx.nd.elemwise_add(a, **{rhs: b}), [11, 22, 33])
    out = mx.nd.zeros((3,))
    assert mx.nd.elemwise_add(a, b, out=out) is out
    assert_nd(out, [11, 22, 33])
    assert list(inspect.signature(mx.nd.elemwise_add).parameters)[:2] == [lhs, rhs]
    with pytest.raises(TypeError, match="NDArray"):
        mx.nd.elemwise_add(a, np.ones(3))
    with pytest.raises(TypeError, match="more"):
        mx.nd.elemwise_add(a, b, a)
    with pytest.raises(ValueError, match="elemwise_add"):
        mx.nd.elemwise_add(a)
    with pytest.raises(mx.base.ShapeError) as e:
        mx.nd.elemwise_add(a, mx.nd.ones((2,)))
    msg = str(e.value)
    assert "elemwise_add" in msg and "(3)" in msg.replace(",)", ")") and "(2)" in msg.replace(",)", ")")


@needs_ops("sum")
def test_reduction_positional_param_and_method():
    src = np.arange(6, dtype=np.float32).reshape(2, 3)
    x = mx.nd.array(src)
    assert_nd(mx.nd.sum(x, axis=1), src.sum(axis=1))
    assert_nd(mx.nd.sum(x, 1), src.sum(axis=1))
    assert_nd(x.sum(axis=0), src.sum(axis=0))
    assert_nd(x.sum(), np.array([src.sum()]))
    assert_nd(x.sum(axis=1, keepdims=True), src.sum(axis=1, keepdims=True))
    assert_nd(x.sum(axis=(0, 1)), np.array([src.sum()]))
    with pytest.raises(ValueError, match="sum"):
        x.sum(bogus=1)


@needs_ops("Concat")
def test_variadic_operator():
    a = mx.nd.ones((2, 3))
    b = mx.nd.zeros((2, 3))
    r = mx.nd.concat(a, b, dim=0)
    assert_nd(r, np.concatenate([np.ones((2, 3)), np.zeros((2, 3))], axis=0))
    r = mx.nd.concat(*[a, b, a], dim=1)
    assert r.shape == (2, 9)
    r = mx.nd.Concat([a, b], dim=1)
    assert r.shape == (2, 6)
    sig = inspect.signature(mx.nd.Concat)
    first = list(sig.parameters.values())[0]
    assert first.kind == inspect.Parameter.VAR_POSITIONAL
    assert "num_args" not in sig.parameters
    with pytest.raises(TypeError):
        mx.nd.concat(a, 3, dim=0)


@needs_ops("SliceChannel")
def test_multiple_outputs_return_list():
    x = mx.nd.array(np.arange(8).reshape(2, 4))
    parts = mx.nd.split(x, num_outputs=2, axis=1)
    assert isinstance(parts, list) and len(parts) == 2
    assert_nd(parts[1], np.arange(8).reshape(2, 4)[:, 2:])
    outs = [mx.nd.empty((2, 2)), mx.nd.empty((2, 2))]
    r = mx.nd.split(x, num_outputs=2, axis=1, out=outs)
    assert r is outs
    assert_nd(outs[0], np.arange(8).reshape(2, 4)[:, :2])


@needs_ops("exp", "transpose", "Flatten", "argmax")
def test_method_forms():
    src = np.arange(6, dtype=np.float32).reshape(2, 3) / 3
    x = mx.nd.array(src)
    assert_nd(x.exp(), np.exp(src), rtol=1e-5)
    assert_nd(x.T, src.T)
    assert_nd(x.flatten(), src.reshape(2, 3))
    assert_nd(x.argmax(axis=1), src.argmax(axis=1).astype(np.float32))
    assert mx.nd.NDArray.exp.__doc__ == mx.nd.exp.__doc__


def test_every_data_operator_is_a_method():
    count = 0
    for n in list_op_names():
        meta = op_meta(n)
        for name in (n,) + meta.aliases:
            if name[0].islower() and meta.input_names and meta.input_names[0] == "data" and \
                    name not in ("reshape",):  # NDArray.reshape is the view-returning MXNet method
                m = getattr(mx.nd.NDArray, name)
                if getattr(m, "__doc__", None) == getattr(mx.nd, name).__doc__:
                    count += 1
                else:
                    # a hand-written NDArray attribute of the same name (shape, size, ...) wins
                    assert name in mx.nd.NDArray.__dict__ and not hasattr(m, "op_meta"), name
    assert count >= 1
