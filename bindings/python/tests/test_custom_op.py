"""Custom operators in Python (mx.operator.CustomOp/CustomOpProp, mx.nd.Custom, mx.sym.Custom) and
mx.autograd.Function, against NumPy, finite differences, the same nets built from built-in operators, and values
printed by Apache MXNet 1.9.1 for the same programs (written in as literals)."""
import numpy as np
import pytest

import mxc as mx
from mxc.test_utils import assert_almost_equal, check_numeric_gradient

# The operators' callbacks make arrays on the default context, and a Custom operator on a GPU hands its callbacks
# host copies (host-staged): these tests keep the CPU default context; test_custom_op_on_gpu_is_host_staged runs
# one on gpu(0) when there is one (also in the emulated-GPU rerun).
pytestmark = pytest.mark.cpu_default_context

CALLS = []  # what the properties and operators below were given


class Softplus(mx.operator.CustomOp):
    def forward(self, is_train, req, in_data, out_data, aux):
        CALLS.append(("forward", list(req), is_train))
        self.assign(out_data[0], req[0], mx.nd.log(1 + mx.nd.exp(in_data[0])))

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        CALLS.append(("backward", list(req)))
        self.assign(in_grad[0], req[0], out_grad[0] / (1 + mx.nd.exp(-in_data[0])))


@mx.operator.register("softplus")
class SoftplusProp(mx.operator.CustomOpProp):
    def __init__(self, **kwargs):
        CALLS.append(("prop", kwargs))
        super().__init__(need_top_grad=True)

    def create_operator(self, ctx, shapes, dtypes):
        CALLS.append(("create", str(ctx), shapes, dtypes))
        return Softplus()


class Two(mx.operator.CustomOp):
    """Two arguments, two outputs (sum, product) and an auxiliary state counting forwards."""

    def forward(self, is_train, req, in_data, out_data, aux):
        self.assign(out_data[0], req[0], in_data[0] + in_data[1])
        self.assign(out_data[1], req[1], in_data[0] * in_data[1])
        aux[0][:] += 1

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        CALLS.append(("two backward", list(req)))
        self.assign(in_grad[0], req[0], out_grad[0] + out_grad[1] * in_data[1])
        self.assign(in_grad[1], req[1], out_grad[0] + out_grad[1] * in_data[0])


@mx.operator.register("two")
class TwoProp(mx.operator.CustomOpProp):
    def list_arguments(self):
        return ["a", "b"]

    def list_outputs(self):
        return ["sum", "prod"]

    def list_auxiliary_states(self):
        return ["count"]

    def infer_shape(self, in_shape):
        return in_shape, [in_shape[0], in_shape[0]], [(1,)]

    def create_operator(self, ctx, shapes, dtypes):
        CALLS.append(("two create", shapes, dtypes))
        return Two()


class Softmax(mx.operator.CustomOp):
    """MXNet's custom softmax loss example (NumPy inside the callbacks)."""

    def forward(self, is_train, req, in_data, out_data, aux):
        x = in_data[0].asnumpy()
        y = np.exp(x - x.max(axis=1, keepdims=True))
        y /= y.sum(axis=1, keepdims=True)
        self.assign(out_data[0], req[0], mx.nd.array(y))

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        lab = in_data[1].asnumpy().ravel().astype(np.int64)
        y = out_data[0].asnumpy()
        y[np.arange(lab.shape[0]), lab] -= 1.0
        self.assign(in_grad[0], req[0], mx.nd.array(y))


@mx.operator.register("np_softmax")
class SoftmaxProp(mx.operator.CustomOpProp):
    def __init__(self):
        super().__init__(need_top_grad=False)

    def list_arguments(self):
        return ["data", "label"]

    def infer_shape(self, in_shape):
        return [in_shape[0], (in_shape[0][0],)], [in_shape[0]], []

    def create_operator(self, ctx, shapes, dtypes):
        return Softmax()


class Failing(mx.operator.CustomOp):
    def forward(self, is_train, req, in_data, out_data, aux):
        raise ValueError("boom in forward")

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        raise ZeroDivisionError("boom in backward")


@mx.operator.register("failing")
class FailingProp(mx.operator.CustomOpProp):
    def create_operator(self, ctx, shapes, dtypes):
        return Failing()


class FailingBackward(Softplus):
    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        raise ZeroDivisionError("boom in backward")


@mx.operator.register("failing_backward")
class FailingBackwardProp(mx.operator.CustomOpProp):
    def create_operator(self, ctx, shapes, dtypes):
        return FailingBackward()


@mx.operator.register("bad_shape")
class BadShapeProp(mx.operator.CustomOpProp):
    def infer_shape(self, in_shape):
        return in_shape, [], []

    def create_operator(self, ctx, shapes, dtypes):
        return Softplus()


def softplus(x):
    return np.log1p(np.exp(x))


def test_softplus_forward_and_what_the_property_receives():
    del CALLS[:]
    x = mx.nd.array([-1.0, 0.0, 2.0])
    y = mx.nd.Custom(x, op_type="softplus", alpha=2, beta="b", shape=(2, 3), flag=True)
    # MXNet 1.9.1 prints [0.31326166 0.6931472  2.126928  ]
    assert_almost_equal(y.asnumpy(), np.array([0.31326166, 0.6931472, 2.126928], dtype=np.float32), rtol=1e-6)
    # Parameters reach the property as strings; create_operator gets cpu(0), shapes as lists, dtype codes.
    assert ("prop", {"alpha": "2", "beta": "b", "shape": "(2, 3)", "flag": "True"}) in CALLS
    assert ("create", "cpu(0)", [[3]], [0]) in CALLS
    assert ("forward", ["write"], False) in CALLS


def test_softplus_gradient_autograd_and_finite_differences():
    del CALLS[:]
    x = mx.nd.array([-1.0, 0.0, 2.0])
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.Custom(x, op_type="softplus")
    y.backward()
    # MXNet 1.9.1: [0.26894143 0.5 0.880797]
    assert_almost_equal(x.grad.asnumpy(), np.array([0.26894143, 0.5, 0.880797], dtype=np.float32), rtol=1e-6)
    assert ("forward", ["write"], True) in CALLS and ("backward", ["write"]) in CALLS
    sym = mx.sym.Custom(mx.sym.Variable("data"), op_type="softplus")
    rng = np.random.RandomState(0)
    check_numeric_gradient(sym, [rng.uniform(-2, 2, (3, 4))], numeric_eps=1e-3, rtol=1e-2, atol=1e-3)


def test_symbol_names_inference_and_json_round_trip():
    data = mx.sym.Variable("data")
    s = mx.sym.Custom(data, op_type="softplus", name="sp", alpha=3)
    assert s.list_arguments() == ["data"]
    assert s.list_outputs() == ["sp_output"]
    assert s.list_auxiliary_states() == []
    assert s.infer_shape(data=(2, 3)) == ([(2, 3)], [(2, 3)], [])
    assert s.attr("op_type") == "softplus"
    js = s.tojson()
    s2 = mx.sym.load_json(js)
    assert s2.tojson() == js
    assert s2.list_outputs() == ["sp_output"]
    assert s2.attr("alpha") == "3"
    x = np.random.RandomState(1).uniform(-3, 3, (2, 3)).astype(np.float32)
    for sym in (s, s2):
        ex = sym.bind(mx.cpu(), {"data": mx.nd.array(x)})
        ex.forward()
        assert_almost_equal(ex.outputs[0].asnumpy(), softplus(x), rtol=1e-5, atol=1e-6)


def test_two_outputs_aux_state_and_grad_req_add():
    a, b = mx.sym.Variable("a"), mx.sym.Variable("b")
    s = mx.sym.Custom(a, b, op_type="two", name="t")
    # As MXNet 1.9.1 lists them:
    assert s.list_arguments() == ["a", "b"]
    assert s.list_outputs() == ["t_sum", "t_prod"]
    assert s.list_auxiliary_states() == ["t_count"]
    assert mx.sym.Custom(b=b, a=a, op_type="two", name="t2").list_arguments() == ["a", "b"]
    s3 = mx.sym.Custom(op_type="two", name="t3")
    assert s3.list_arguments() == ["t3_a", "t3_b"] and s3.list_auxiliary_states() == ["t3_count"]
    del CALLS[:]
    ex = s.simple_bind(mx.cpu(), a=(2,), b=(2,), grad_req="add")
    ex.arg_dict["a"][:] = mx.nd.array([1, 2])
    ex.arg_dict["b"][:] = mx.nd.array([3, 4])
    ex.forward(is_train=True)
    assert_almost_equal(ex.outputs[0].asnumpy(), np.array([4, 6], dtype=np.float32))
    assert_almost_equal(ex.outputs[1].asnumpy(), np.array([3, 8], dtype=np.float32))
    assert ex.aux_dict["t_count"].asnumpy().tolist() == [1.0]
    ex.backward([mx.nd.ones((2,)), mx.nd.ones((2,))])
    ex.forward(is_train=True)
    ex.backward([mx.nd.ones((2,)), mx.nd.ones((2,))])
    # MXNet 1.9.1: [8. 10.] [4. 6.] [2.], backward req ['add', 'add']
    assert ex.grad_dict["a"].asnumpy().tolist() == [8.0, 10.0]
    assert ex.grad_dict["b"].asnumpy().tolist() == [4.0, 6.0]
    assert ex.aux_dict["t_count"].asnumpy().tolist() == [2.0]
    assert ("two backward", ["add", "add"]) in CALLS
    assert ("two create", [[2], [2], [1]], [0, 0, 0]) in CALLS
    # Imperatively: a list of outputs.
    r = mx.nd.Custom(mx.nd.array([1, 2]), mx.nd.array([3, 4]), mx.nd.zeros((1,)), op_type="two")
    assert isinstance(r, list) and len(r) == 2
    assert r[0].asnumpy().tolist() == [4.0, 6.0] and r[1].asnumpy().tolist() == [3.0, 8.0]


def test_two_outputs_gradient_against_builtin_ops():
    rng = np.random.RandomState(2)
    av, bv = rng.randn(3, 2).astype(np.float32), rng.randn(3, 2).astype(np.float32)
    w0, w1 = rng.randn(3, 2).astype(np.float32), rng.randn(3, 2).astype(np.float32)
    grads = []
    for custom in (True, False):
        a, b = mx.nd.array(av), mx.nd.array(bv)
        a.attach_grad()
        b.attach_grad()
        with mx.autograd.record():
            if custom:
                s, p = mx.nd.Custom(a, b, mx.nd.zeros((1,)), op_type="two")
            else:
                s, p = a + b, a * b
            loss = (s * mx.nd.array(w0) + p * mx.nd.array(w1)).sum()
        loss.backward()
        grads.append((a.grad.asnumpy(), b.grad.asnumpy()))
    assert_almost_equal(grads[0][0], grads[1][0], rtol=1e-6)
    assert_almost_equal(grads[0][1], grads[1][1], rtol=1e-6)


def _net(custom):
    data = mx.sym.Variable("data")
    fc = mx.sym.FullyConnected(data, num_hidden=4, name="fc")
    if custom:
        return mx.sym.Custom(fc, op_type="np_softmax", name="softmax")
    return mx.sym.SoftmaxOutput(fc, name="softmax")


def test_custom_softmax_loss_trains_as_softmax_output():
    rng = np.random.RandomState(3)
    x = rng.randn(64, 5).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.float32) + 2 * (x[:, 1] > 0).astype(np.float32)
    assert _net(True).list_arguments() == ["data", "fc_weight", "fc_bias", "softmax_label"]
    results = []
    for custom in (True, False):
        it = mx.io.NDArrayIter(x, y, batch_size=16)
        mod = mx.mod.Module(_net(custom), data_names=["data"], label_names=["softmax_label"])
        mod.bind(it.provide_data, it.provide_label)
        mx.random.seed(7)
        mod.init_params(mx.init.Xavier())
        mod.init_optimizer(optimizer="sgd", optimizer_params={"learning_rate": 0.5})
        for _ in range(5):
            it.reset()
            for batch in it:
                mod.forward(batch, is_train=True)
                mod.backward()
                mod.update()
        args, _ = mod.get_params()
        acc = mod.score(mx.io.NDArrayIter(x, y, batch_size=16), "acc")[0][1]
        results.append((args, acc))
    for k in ("fc_weight", "fc_bias"):
        assert_almost_equal(results[0][0][k].asnumpy(), results[1][0][k].asnumpy(), rtol=1e-4, atol=1e-5)
    assert results[0][1] == results[1][1] and results[0][1] > 0.8


def test_float64_inputs_keep_their_dtype():
    x = mx.nd.array([0.5, -0.5], dtype="float64")
    y = mx.nd.Custom(x, op_type="softplus")
    assert y.dtype == np.float64
    assert_almost_equal(y.asnumpy(), softplus(np.array([0.5, -0.5])), rtol=1e-12)


def test_exception_in_forward_surfaces_at_asnumpy_and_process_stays_usable():
    x = mx.nd.array([1.0, 2.0])
    y = mx.nd.Custom(x, op_type="failing")  # queued: no error yet
    with pytest.raises(mx.base.MXNetValueError) as e:
        y.asnumpy()
    msg = str(e.value)
    assert "op_type 'failing'" in msg and "forward" in msg and "ValueError: boom in forward" in msg
    z = mx.nd.Custom(x, op_type="softplus")
    assert_almost_equal(z.asnumpy(), softplus(np.array([1.0, 2.0])), rtol=1e-6)


def test_exception_in_backward_surfaces_at_the_gradient():
    x = mx.nd.array([1.0, 2.0])
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.Custom(x, op_type="failing_backward")
    y.backward()
    with pytest.raises(mx.base.MXNetError) as e:
        x.grad.asnumpy()
    assert "op_type 'failing_backward'" in str(e.value) and "ZeroDivisionError: boom in backward" in str(e.value)
    assert (mx.nd.ones((2,)) * 3).asnumpy().tolist() == [3.0, 3.0]


def test_unregistered_op_type_missing_op_type_and_wrong_infer_shape():
    x = mx.nd.array([1.0])
    with pytest.raises(mx.base.MXNetValueError, match="Cannot find custom operator 'nope'"):
        mx.nd.Custom(x, op_type="nope")
    with pytest.raises(mx.base.MXNetValueError, match="Required argument `op_type` is missing"):
        mx.nd.Custom(x)
    with pytest.raises(mx.base.MXNetValueError, match="Cannot find custom operator 'nope'"):
        mx.sym.Custom(mx.sym.Variable("d"), op_type="nope")
    # MXNet 1.9.1: "InferShape Error: expecting 1 entries in returned output shapes, got 0."
    with pytest.raises(mx.base.MXNetValueError, match="expecting 1 entries in returned output shapes, got 0"):
        mx.nd.Custom(x, op_type="bad_shape")
    with pytest.raises(mx.base.MXNetValueError, match="expecting 1 entries in returned output shapes, got 0"):
        mx.sym.Custom(mx.sym.Variable("d"), op_type="bad_shape").infer_shape(d=(2,))


def test_default_prop_and_registry():
    p = mx.operator.CustomOpProp()
    # MXNet 1.9.1's defaults:
    assert p.list_arguments() == ["data"] and p.list_outputs() == ["output"] and p.list_auxiliary_states() == []
    assert p.need_top_grad_ is True
    assert p.infer_shape([[2, 3]]) == ([[2, 3]], ([2, 3],), ())
    assert p.infer_type([np.float32]) == ([np.float32], [np.float32], [])
    assert p.declare_backward_dependency([1], [2], [3]) == [1, 2, 3]
    assert mx.operator.CustomOpProp(need_top_grad=False).declare_backward_dependency([1], [2], [3]) == [2, 3]
    assert "Custom" in mx.operator.get_all_registered_operators()
    assert {"softplus", "two", "np_softmax"} <= set(mx.operator.get_all_registered_custom_operators())
    with pytest.raises(TypeError):
        mx.operator.register("not_a_prop")(object)


class Sigmoid(mx.autograd.Function):
    """The example of MXNet's autograd.Function documentation."""

    def forward(self, x):
        y = 1 / (1 + mx.nd.exp(-x))
        self.save_for_backward(y)
        return y

    def backward(self, dy):
        y, = self.saved_tensors
        return dy * y * (1 - y)


def test_autograd_function_used_twice_in_one_graph():
    x = mx.nd.array([-1.0, 0.0, 1.0])
    x.attach_grad()
    with mx.autograd.record():
        f = Sigmoid()
        m = f(x)
        n = Sigmoid()(m)
        z = m + n
    z.backward()
    assert isinstance(m, mx.nd.NDArray)
    # MXNet 1.9.1: [0.24488673 0.30875093 0.23974109]
    assert_almost_equal(x.grad.asnumpy(), np.array([0.24488673, 0.30875093, 0.23974109], dtype=np.float32),
                        rtol=1e-5)
    # Finite differences of the same function in float64.
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    g = lambda v: sig(v) + sig(sig(v))  # noqa: E731
    xv, eps = np.array([-1.0, 0.0, 1.0]), 1e-6
    assert_almost_equal(x.grad.asnumpy(), (g(xv + eps) - g(xv - eps)) / (2 * eps), rtol=1e-5)
    with pytest.raises(AssertionError, match="Each Function instance can only be called once"):
        f(x)
    # Outside recording it is the forward alone.
    assert_almost_equal(Sigmoid()(x).asnumpy(), sig(np.array([-1.0, 0.0, 1.0])), rtol=1e-6)


def test_autograd_function_two_inputs_two_outputs():
    class MulAdd(mx.autograd.Function):
        def forward(self, a, b):
            self.save_for_backward(a, b)
            return a * b, a + b

        def backward(self, d_prod, d_sum):
            a, b = self.saved_tensors
            return d_prod * b + d_sum, d_prod * a + d_sum

    a, b = mx.nd.array([1.0, 2.0]), mx.nd.array([3.0, -1.0])
    a.attach_grad()
    b.attach_grad()
    with mx.autograd.record():
        p, s = MulAdd()(a, b)
        loss = (p * 2 + s * 3).sum()
    loss.backward()
    assert a.grad.asnumpy().tolist() == [2 * 3 + 3, 2 * -1 + 3]
    assert b.grad.asnumpy().tolist() == [2 * 1 + 3, 2 * 2 + 3]


class ScaleByGlobal(mx.operator.CustomOp):
    """Reads an array computed elsewhere (waits on the engine from inside the callback) and uses NumPy and mx ops."""

    def forward(self, is_train, req, in_data, out_data, aux):
        k = float(SCALE[0].asnumpy()[0])
        self.assign(out_data[0], req[0], mx.nd.array(in_data[0].asnumpy() * k) + mx.nd.exp(in_data[0]) * 0)

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        self.assign(in_grad[0], req[0], out_grad[0] * float(SCALE[0].asnumpy()[0]))


@mx.operator.register("scale_by_global")
class ScaleByGlobalProp(mx.operator.CustomOpProp):
    def create_operator(self, ctx, shapes, dtypes):
        return ScaleByGlobal()


SCALE = [None]


@pytest.mark.parametrize("engine", ["ThreadedEngine", "NaiveEngine"])
def test_large_arrays_on_both_engines_with_waits_inside_callbacks(engine):
    from mxc.base import ffi, lib, check_call
    before = ffi.new("const char **")
    check_call(lib.MXCEngineGetType(before))
    before = ffi.string(before[0])
    check_call(lib.MXCEngineSetType(engine.encode()))
    try:
        rng = np.random.RandomState(4)
        xv = rng.randn(300, 1000).astype(np.float32)  # large: queued on a worker, not run inline
        SCALE[0] = mx.nd.dot(mx.nd.ones((1, 2000)), mx.nd.ones((2000, 1))).reshape((1,)) / 1000  # 2.0, queued
        x = mx.nd.array(xv)
        x.attach_grad()
        outs = []
        with mx.autograd.record():
            for _ in range(4):  # several in flight at once
                outs.append(mx.nd.Custom(x * 1, op_type="scale_by_global"))
            total = mx.nd.add_n(*outs).sum()
        total.backward()
        for o in outs:
            assert_almost_equal(o.asnumpy(), xv * 2, rtol=1e-6)
        assert_almost_equal(x.grad.asnumpy(), np.full(xv.shape, 8.0, np.float32))
        mx.nd.waitall()
    finally:
        check_call(lib.MXCEngineSetType(before))


def test_custom_op_on_gpu_is_host_staged():
    if mx.context.num_gpus() == 0:
        pytest.skip("no GPU (the CUDA emulation build runs this)")
    del CALLS[:]
    xv = np.array([-1.0, 0.0, 2.0], dtype=np.float32)
    x = mx.nd.array(xv, ctx=mx.gpu(0))
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.Custom(x * 2, op_type="softplus", tag="gpu")  # a property of its own: create_operator called
    y.backward()
    assert y.context == mx.gpu(0)
    assert_almost_equal(y.asnumpy(), softplus(2 * xv), rtol=1e-6)
    assert_almost_equal(x.grad.asnumpy(), 2 / (1 + np.exp(-2 * xv)), rtol=1e-6)
    assert ("create", "cpu(0)", [[3]], [0]) in CALLS  # the Python code saw CPU copies


def test_registering_an_op_type_again_replaces_it():
    class Double(mx.operator.CustomOp):
        def forward(self, is_train, req, in_data, out_data, aux):
            self.assign(out_data[0], req[0], in_data[0] * 2)

    class Triple(mx.operator.CustomOp):
        def forward(self, is_train, req, in_data, out_data, aux):
            self.assign(out_data[0], req[0], in_data[0] * 3)

    for op, k in ((Double, 2.0), (Triple, 3.0)):
        @mx.operator.register("replaced")
        class Prop(mx.operator.CustomOpProp):
            def create_operator(self, ctx, shapes, dtypes, op=op):
                return op()

        assert mx.nd.Custom(mx.nd.ones((2,)), op_type="replaced").asnumpy().tolist() == [k, k]
