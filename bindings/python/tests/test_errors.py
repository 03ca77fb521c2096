"""Errors: one MXNetError subclass per kind of the C API, raised with the library's message."""
import pytest

import mxc as mx
from mxc import base


@pytest.mark.parametrize("kind,builtin", [
    ("ShapeError", ValueError), ("IndexError", IndexError), ("TypeError", TypeError),
    ("ValueError", ValueError), ("IOError", OSError), ("DeviceError", None), ("InternalError", None)])
def test_kind_prefix_maps_to_class(kind, builtin):
    e = base.error_from_message("%s: something about op foo" % kind)
    assert isinstance(e, base.MXNetError)
    assert e.kind == kind
    if builtin is not None:
        assert isinstance(e, builtin)
    assert str(e) == "something about op foo"


def test_unknown_kind_is_plain_mxnet_error():
    e = base.error_from_message("weird message")
    assert type(e) is base.MXNetError and str(e) == "weird message"


def test_check_call_raises_last_error():
    base.check_call(0)
    h = base.ffi.new("MXCOpHandle *")
    ret = base.lib.MXCOpGetHandle(b"no_such_operator_xyz", h)
    with pytest.raises(base.MXNetValueError, match="no_such_operator_xyz"):
        base.check_call(ret)


def test_mxnet_error_exported():
    assert mx.MXNetError is base.MXNetError
    assert issubclass(base.ShapeError, mx.MXNetError)


def test_unknown_parameter_names_operator_and_parameter():
    with pytest.raises(mx.base.MXNetValueError) as e:
        mx.nd._zeros(shape=(2,), bogus=3)
    assert "_zeros" in str(e.value) and "bogus" in str(e.value)


def test_bad_parameter_value():
    with pytest.raises(ValueError) as e:
        mx.nd._full(shape=(2,), value="abc")
    assert "_full" in str(e.value) and "value" in str(e.value)


def test_missing_required_parameter():
    with pytest.raises(ValueError) as e:
        mx.nd._full(shape=(2,))
    assert "_full" in str(e.value) and "value" in str(e.value)


def test_gpu_unavailable_is_device_error():
    if mx.context.num_gpus() > 0:
        pytest.skip("a GPU is present")
    with pytest.raises(base.DeviceError, match="gpu"):
        mx.nd.zeros((3,), ctx=mx.gpu(0))


def test_bad_dtype_is_type_error():
    with pytest.raises(TypeError, match="complex"):
        mx.nd.zeros((2,), dtype="complex64")
    with pytest.raises(TypeError):
        mx.nd.zeros((2,), dtype="not_a_dtype")


def test_load_missing_file_is_oserror(tmp_path):
    with pytest.raises(OSError) as e:
        mx.nd.load(str(tmp_path / "nope.bin"))
    assert isinstance(e.value, mx.MXNetError) and "nope.bin" in str(e.value)


def test_load_corrupt_file_is_oserror(tmp_path):
    p = tmp_path / "bad.bin"
    p.write_bytes(b"MXCNDARR" + b"\x01" * 5)
    with pytest.raises(base.MXNetIOError):
        mx.nd.load(str(p))
    p.write_bytes(b"garbage")
    with pytest.raises(OSError):
        mx.nd.load(str(p))


def test_dtype_mismatch_names_the_argument_with_its_dtype():
    # As MXNet: the first input sets the dtype, the message names the input that differs and the dtype it has.
    a, b = mx.nd.ones((2,)), mx.nd.ones((2,), dtype='float64')
    with pytest.raises(TypeError, match="elemwise_add: dtype mismatch for 'rhs': expected float32, got float64"):
        (a + b).asnumpy()
    x, y = mx.sym.Variable('x'), mx.sym.Variable('y')
    with pytest.raises(TypeError, match="'rhs': expected float64, got float32"):
        (x + y).infer_type(x='float64', y='float32')


@pytest.mark.parametrize("make", [lambda: mx.nd.eye(2 ** 31), lambda: mx.nd.zeros((2 ** 31, 2 ** 31)),
                                  lambda: mx.nd.ones((2 ** 40, 2 ** 40, 4), dtype="float64")])
def test_array_whose_byte_count_overflows_is_a_value_error(make):
    # (2^31, 2^31) float32 is 2^64 bytes: the byte count used to wrap around to 0, so eye wrote into a 0-byte
    # allocation and crashed the process.
    with pytest.raises(mx.base.MXNetValueError, match=r"too large"):
        make().wait_to_read()


def test_symbolic_array_whose_byte_count_overflows_is_a_value_error():
    x = mx.sym.Variable("x")
    with pytest.raises(mx.base.MXNetValueError, match=r"too large"):
        x.simple_bind(mx.cpu(), x=(2 ** 32, 2 ** 32))


def test_empty_axis_broadcasts_only_with_one_or_zero():
    # An imperative array's 0 is an empty axis (NumPy), not an unknown dimension: (2,0,4) with (2,3,4) used to be
    # inferred as (2,3,4) and the kernel read past the empty input's storage (heap corruption).
    with pytest.raises(mx.base.MXNetError, match=r"broadcast_power.*\(2,0,4\).*\(2,3,4\)"):
        mx.nd.broadcast_power(mx.nd.ones((2, 0, 4)), mx.nd.ones((2, 3, 4)))
    with pytest.raises(mx.base.MXNetError, match=r"cannot be broadcast"):
        mx.nd.ones((3, 0)) + mx.nd.ones((3, 2))
    assert mx.nd.broadcast_add(mx.nd.ones((2, 0, 4)), mx.nd.ones((2, 1, 4))).shape == (2, 0, 4)
    assert (mx.nd.ones((2, 0, 4)) * mx.nd.ones((1,))).shape == (2, 0, 4)


def test_empty_axis_is_not_filled_in_from_another_input():
    # Concat of (0,3) and (2,3) along dim 1 used to give (0,6) and a gradient of uninitialised memory for the (2,3)
    # input (a GPU run divided by zero); elementwise operators likewise took 0 as "unknown".
    with pytest.raises(mx.base.MXNetError, match=r"\(2,3\).*\(0,3\)"):
        mx.nd.concat(mx.nd.ones((0, 3)), mx.nd.ones((2, 3)), dim=1)
    with pytest.raises(mx.base.MXNetError, match=r"shape"):
        mx.nd.elemwise_add(mx.nd.ones((2, 0)), mx.nd.ones((2, 3)))
    # Empty inputs that fit still work, along the joined axis and elsewhere.
    assert mx.nd.concat(mx.nd.ones((0, 3)), mx.nd.ones((2, 3)), dim=0).shape == (2, 3)
    assert mx.nd.concat(mx.nd.ones((0, 3)), mx.nd.ones((0, 2)), dim=1).shape == (0, 5)
    assert mx.nd.elemwise_add(mx.nd.ones((2, 0)), mx.nd.ones((2, 0))).shape == (2, 0)
    # Symbolic inference keeps 0 as an unknown dimension.
    x, y = mx.sym.Variable("x"), mx.sym.Variable("y")
    assert mx.sym.concat(x, y, dim=1).infer_shape(x=(0, 3), y=(2, 3))[0] == [(2, 3), (2, 3)]


@pytest.mark.parametrize("call", [
    lambda: mx.nd.split(mx.nd.ones((3,)), num_outputs=2 ** 31),
    lambda: mx.nd.add_n(mx.nd.ones((2,)), num_args=2 ** 31),
    lambda: mx.nd.preloaded_multi_sgd_mom_update(mx.nd.ones((2,)), mx.nd.ones((2,)), num_weights=2 ** 31),
    lambda: mx.nd._internal._split_v2(mx.nd.ones((3,)), indices="(2,2)", sections=2 ** 31)])
def test_huge_input_or_output_count_is_a_value_error(call):
    # Used to fail inside the library as an InternalError ("cannot create std::vector larger than max_size()").
    with pytest.raises(mx.base.MXNetValueError, match=r"asks? for"):
        call()


def test_empty_label_of_regression_output_is_a_shape_error():
    # A label with an empty axis counted as "not yet known" and escaped the size check; the gradient then read past it
    # (found by fuzzing on the emulated GPU).
    with pytest.raises(mx.base.ShapeError, match=r"LogisticRegressionOutput.*label.*\(2,0,4\)"):
        mx.nd.LogisticRegressionOutput(mx.nd.ones((2, 3, 4, 5)), mx.nd.ones((2, 0, 4)))
