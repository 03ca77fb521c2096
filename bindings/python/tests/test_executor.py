"""Executors: bind variants, forward/backward, grad_req null/write/add, shared arrays and executors, reshape,
copy_params_from, the memory planner (on and off give identical results), and the seed programs 02-05."""
import os
import subprocess
import sys

import numpy as np
import pytest

import mxc as mx
from mxc.base import MXNetError

from conftest import REPO_ROOT, subprocess_env


def arith():
    a = mx.sym.Variable("A")
    b = mx.sym.Variable("B")
    return (a + b) / 10 + 1


def mlp(hidden=16, classes=4, act="relu"):
    data = mx.sym.Variable("data")
    l1 = mx.sym.FullyConnected(data=data, num_hidden=hidden, name="layer1")
    a1 = mx.sym.Activation(data=l1, act_type=act, name="act1")
    l2 = mx.sym.FullyConnected(data=a1, num_hidden=classes, name="layer2")
    return mx.sym.SoftmaxOutput(data=l2, name="softmax")


def softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


# ------------------------------------------------------------------------------------------------------------------
# bind variants
# ------------------------------------------------------------------------------------------------------------------
def test_bind_dict_list_and_in_place_arrays():
    d = arith()
    A, B = np.random.rand(10), np.random.rand(10)
    args = {"A": mx.nd.array(A), "B": mx.nd.array(B)}
    ex = d.bind(mx.current_context(), args=args, grad_req="null")
    assert ex.arg_dict["A"] is args["A"] and ex["B"] is args["B"]
    ex.forward()
    np.testing.assert_allclose(ex.outputs[0].asnumpy(), (A + B) / 10 + 1, rtol=1e-6)
    out = ex.outputs[0]
    ex["A"][:] = 2 * A  # seen by the next forward; the output array is the same
    ex.forward()
    assert ex.outputs[0] is out
    np.testing.assert_allclose(out.asnumpy(), (2 * A + B) / 10 + 1, rtol=1e-6)
    ex2 = d.bind(mx.current_context(), args=[args["A"], args["B"]])  # a list, no gradients
    assert ex2.grad_arrays == [None, None] and ex2.grad_dict == {}
    ex2.forward(A=np.ones(10), B=mx.nd.zeros((10,)))  # kwargs copied into the bound arrays
    np.testing.assert_allclose(ex2.outputs[0].asnumpy(), np.full(10, 1.1), rtol=1e-6)
    np.testing.assert_allclose(args["A"].asnumpy(), np.ones(10))
    assert list(ex2.output_dict) == ["_plusscalar%s_output" % d.name[len("_plusscalar"):]]


def test_bind_errors():
    d = arith()
    with pytest.raises(ValueError, match="missing"):
        d.bind(mx.current_context(), args={"A": mx.nd.ones((3,))})
    with pytest.raises(ValueError, match="not among"):
        d.bind(mx.current_context(), args={"A": mx.nd.ones((3,)), "B": mx.nd.ones((3,)), "C": mx.nd.ones((3,))})
    with pytest.raises(ValueError, match="2 arrays given for|arrays given"):
        d.bind(mx.current_context(), args=[mx.nd.ones((3,))])
    with pytest.raises(MXNetError) as e:
        d.bind(mx.current_context(), args={"A": mx.nd.ones((3,)), "B": mx.nd.ones((4,))})
    assert "(3,)" in str(e.value) and "(4,)" in str(e.value)
    with pytest.raises(ValueError, match="grad_req"):
        d.bind(mx.current_context(), args=[mx.nd.ones((3,))] * 2, args_grad=[mx.nd.ones((3,))] * 2, grad_req="sometimes")
    ex = d.bind(mx.current_context(), args=[mx.nd.ones((3,))] * 2)
    with pytest.raises(TypeError, match="unknown argument"):
        ex.forward(C=np.ones(3))
    with pytest.raises(ValueError, match="shape"):
        ex.forward(A=np.ones(4))
    with pytest.raises(KeyError):
        ex["C"]


def test_backward_seed_and_head_gradient_forms():
    d = arith()
    args = {"A": mx.nd.ones((10,)), "B": mx.nd.ones((10,))}
    grads = {"A": mx.nd.ones((10,)), "B": mx.nd.ones((10,))}
    ex = d.bind(mx.current_context(), args=args, args_grad=grads, grad_req="write")
    ex.forward(is_train=True)
    ex.backward([mx.nd.ones((10,))])
    for g in ex.grad_arrays:
        np.testing.assert_allclose(g.asnumpy(), 0.1, rtol=1e-6)
    assert ex.grad_dict["A"] is grads["A"]
    ex.backward(mx.nd.ones((10,)) * 2)  # a single NDArray
    np.testing.assert_allclose(grads["B"].asnumpy(), 0.2, rtol=1e-6)
    ex.backward({d.list_outputs()[0]: mx.nd.ones((10,)) * 3})  # by output name
    np.testing.assert_allclose(grads["A"].asnumpy(), 0.3, rtol=1e-6)
    with pytest.raises(MXNetError, match="not a loss"):
        ex.backward()


def test_grad_req_null_write_add_by_dict_and_list():
    x, y = mx.sym.Variable("x"), mx.sym.Variable("y")
    f = x * y + x  # d/dx = y + 1, d/dy = x
    X, Y = np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0])
    gx, gy = mx.nd.array([100.0] * 3), mx.nd.array([7.0] * 3)
    ex = f.bind(mx.current_context(), args={"x": mx.nd.array(X), "y": mx.nd.array(Y)}, args_grad={"x": gx, "y": gy},
                grad_req={"x": "add", "y": "null"})
    for _ in range(2):
        ex.forward(is_train=True)
        ex.backward([mx.nd.ones((3,))])
    np.testing.assert_allclose(gx.asnumpy(), 100 + 2 * (Y + 1))
    np.testing.assert_allclose(gy.asnumpy(), 7.0)  # null: untouched
    ex = f.bind(mx.current_context(), args=[mx.nd.array(X), mx.nd.array(Y)], args_grad=[gx, gy], grad_req=["write", "write"])
    ex.forward(is_train=True)
    ex.backward([mx.nd.ones((3,))])
    np.testing.assert_allclose(gx.asnumpy(), Y + 1)
    np.testing.assert_allclose(gy.asnumpy(), X)
    # args_grad leaving an argument out: no gradient for it
    gx2 = mx.nd.zeros((3,))
    ex = f.bind(mx.current_context(), args=[mx.nd.array(X), mx.nd.array(Y)], args_grad={"x": gx2})
    ex.forward(is_train=True)
    ex.backward([mx.nd.ones((3,))])
    np.testing.assert_allclose(gx2.asnumpy(), Y + 1)
    assert list(ex.grad_dict) == ["x"]


def test_blockgrad_and_loss_without_head_gradient():
    x = mx.sym.Variable("x")
    s = x * 2 + mx.sym.BlockGrad(x * 3)
    ex = s.simple_bind(mx.current_context(), x=(4,))
    ex.arg_dict["x"][:] = np.arange(4.0)
    ex.forward(is_train=True)
    ex.backward([mx.nd.ones((4,))])
    np.testing.assert_allclose(ex.outputs[0].asnumpy(), 5 * np.arange(4.0))
    np.testing.assert_allclose(ex.grad_dict["x"].asnumpy(), 2.0)
    # a loss output: backward() needs no head gradient; softmax - onehot
    net = mlp()
    ex = net.simple_bind(mx.current_context(), data=(5, 3))
    rng = np.random.RandomState(0)
    for name, arr in ex.arg_dict.items():
        arr[:] = rng.randint(0, 4, arr.shape) if name == "softmax_label" else rng.randn(*arr.shape) * 0.5
    ex.forward(is_train=True)
    ex.backward()
    x = ex.arg_dict["data"].asnumpy()
    w1, b1 = ex.arg_dict["layer1_weight"].asnumpy(), ex.arg_dict["layer1_bias"].asnumpy()
    w2, b2 = ex.arg_dict["layer2_weight"].asnumpy(), ex.arg_dict["layer2_bias"].asnumpy()
    h = np.maximum(x @ w1.T + b1, 0)
    p = softmax(h @ w2.T + b2)
    np.testing.assert_allclose(ex.outputs[0].asnumpy(), p, rtol=1e-5, atol=1e-6)
    label = ex.arg_dict["softmax_label"].asnumpy().astype(int)
    dz = p.copy()
    dz[np.arange(5), label] -= 1
    np.testing.assert_allclose(ex.grad_dict["layer2_weight"].asnumpy(), dz.T @ h, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ex.grad_dict["layer2_bias"].asnumpy(), dz.sum(0), rtol=1e-4, atol=1e-5)
    dh = (dz @ w2) * (h > 0)
    np.testing.assert_allclose(ex.grad_dict["layer1_weight"].asnumpy(), dh.T @ x, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ex.grad_dict["data"].asnumpy(), dh @ w1, rtol=1e-4, atol=1e-5)


# ------------------------------------------------------------------------------------------------------------------
# sharing
# ------------------------------------------------------------------------------------------------------------------
def test_test_executor_bound_on_training_arrays_sees_updates():
    net = mlp()
    train = net.simple_bind(mx.current_context(), grad_req="write", data=(8, 6), softmax_label=(8,))
    test = net.bind(mx.current_context(), grad_req="null", args=train.arg_arrays)
    rng = np.random.RandomState(1)
    for r in train.arg_arrays:
        r[:] = rng.randn(*r.shape) * 0.3
    train.arg_dict["softmax_label"][:] = rng.randint(0, 4, 8)
    for _ in range(3):
        train.forward(is_train=True)
        train.backward()
        for name, w, g in zip(net.list_arguments(), train.arg_arrays, train.grad_arrays):
            if name not in ("data", "softmax_label"):
                w[:] = w - g * 0.5
        test.forward()
        train.forward()
        np.testing.assert_allclose(test.outputs[0].asnumpy(), train.outputs[0].asnumpy(), rtol=1e-6)


def test_simple_bind_shared_exec_reuses_arrays():
    net = mlp()
    a = net.simple_bind(mx.current_context(), data=(8, 6), softmax_label=(8,))
    b = net.simple_bind(mx.current_context(), data=(4, 6), softmax_label=(4,), shared_exec=a, grad_req="null")
    for name in ("layer1_weight", "layer1_bias", "layer2_weight", "layer2_bias"):
        assert b.arg_dict[name] is a.arg_dict[name]
    assert b.arg_dict["data"] is not a.arg_dict["data"]  # other shape: its own array
    c = net.simple_bind(mx.current_context(), data=(8, 6), softmax_label=(8,), shared_exec=a,
                        shared_arg_names=["layer1_weight"])
    assert c.arg_dict["layer1_weight"] is a.arg_dict["layer1_weight"]
    assert c.arg_dict["layer2_weight"] is not a.arg_dict["layer2_weight"]
    for r in a.arg_arrays:
        r[:] = np.random.randn(*r.shape)
    b.arg_dict["data"][:] = a.arg_dict["data"].asnumpy()[:4]
    a.forward()
    b.forward()
    np.testing.assert_allclose(b.outputs[0].asnumpy(), a.outputs[0].asnumpy()[:4], rtol=1e-5)


def test_reshape_and_copy_params_from():
    net = mlp()
    ex = net.simple_bind(mx.current_context(), data=(8, 6), softmax_label=(8,))
    params = {n: mx.nd.array(np.random.randn(*a.shape)) for n, a in ex.arg_dict.items()
              if n not in ("data", "softmax_label")}
    ex.copy_params_from(params)
    for n, v in params.items():
        np.testing.assert_allclose(ex.arg_dict[n].asnumpy(), v.asnumpy(), rtol=1e-6)
    with pytest.raises(ValueError, match="not an argument"):
        ex.copy_params_from({"nope": mx.nd.ones((1,))})
    ex.copy_params_from({"nope": mx.nd.ones((1,))}, allow_extra_params=True)
    small = ex.reshape(data=(4, 6), softmax_label=(4,))
    assert small.arg_dict["layer1_weight"] is ex.arg_dict["layer1_weight"]
    assert small.arg_dict["data"].shape == (4, 6)
    assert small.arg_dict["data"].shares_memory_with(ex.arg_dict["data"])
    small.arg_dict["data"][:] = np.random.randn(4, 6)
    ex.forward()
    small.forward()
    np.testing.assert_allclose(small.outputs[0].asnumpy(), ex.outputs[0].asnumpy()[:4], rtol=1e-5)
    with pytest.raises(ValueError, match="allow_up_sizing"):
        ex.reshape(data=(16, 6), softmax_label=(16,))
    big = ex.reshape(allow_up_sizing=True, data=(16, 6), softmax_label=(16,))
    assert big.outputs[0].shape == (16, 4)
    with pytest.raises(ValueError, match="partial_shaping"):
        ex.reshape(data=(4, 6))


# ------------------------------------------------------------------------------------------------------------------
# memory planner
# ------------------------------------------------------------------------------------------------------------------
def _train_steps(plan, seed=3):
    if plan:
        os.environ.pop("MXC_MEMORY_PLAN", None)
    else:
        os.environ["MXC_MEMORY_PLAN"] = "0"
    try:
        data = mx.sym.Variable("data")
        c1 = mx.sym.Convolution(data, kernel=(3, 3), num_filter=4, name="c1")
        bn = mx.sym.BatchNorm(c1, fix_gamma=False, name="bn")
        t1 = mx.sym.Activation(bn, act_type="tanh", name="t1")
        p1 = mx.sym.Pooling(t1, kernel=(2, 2), stride=(2, 2), pool_type="max", name="p1")
        dr = mx.sym.Dropout(p1, p=0.3, name="dr")
        f = mx.sym.Flatten(dr)
        fc = mx.sym.FullyConnected(f, num_hidden=5, name="fc")
        net = mx.sym.SoftmaxOutput(fc, name="softmax")
        ex = net.simple_bind(mx.current_context(), data=(4, 2, 8, 8), softmax_label=(4,))
    finally:
        os.environ.pop("MXC_MEMORY_PLAN", None)
    rng = np.random.RandomState(seed)
    for n, a in ex.arg_dict.items():
        a[:] = rng.randint(0, 5, a.shape) if n == "softmax_label" else rng.randn(*a.shape) * 0.3
    for n, a in ex.aux_dict.items():
        a[:] = np.ones(a.shape) if n.endswith("var") else np.zeros(a.shape)
    mx.random.seed(11)
    for _ in range(3):
        ex.forward(is_train=True)
        ex.backward()
        for n, w, g in zip(net.list_arguments(), ex.arg_arrays, ex.grad_arrays):
            if n not in ("data", "softmax_label"):
                w[:] = w - g * 0.1
    ex.forward(is_train=False)
    res = [o.asnumpy() for o in ex.outputs] + [g.asnumpy() for g in ex.grad_arrays] + \
          [a.asnumpy() for a in ex.aux_arrays]
    return res, ex.memory_stats(), ex.debug_str()


def test_planning_on_and_off_give_identical_results():
    on, (p_on, u_on), text_on = _train_steps(True)
    off, (p_off, u_off), text_off = _train_steps(False)
    assert u_on == u_off == p_off
    assert p_on < u_on
    assert len(on) == len(off)
    for a, b in zip(on, off):
        np.testing.assert_array_equal(a, b)
    assert "MB allocated" in text_on and "memory planning off" in text_off


def test_inference_binding_plans_less_than_training():
    net = mlp(hidden=64)
    train = net.simple_bind(mx.current_context(), data=(32, 20), softmax_label=(32,))
    infer = net.simple_bind(mx.current_context(), grad_req="null", data=(32, 20), softmax_label=(32,))
    tp, tu = train.memory_stats()
    ip, iu = infer.memory_stats()
    assert iu < tu and ip < iu and tp < tu
    assert ip <= 32 * 64 * 4 + 32 * 4 * 4  # the hidden layer in place, the logits apart
    s = infer.debug_str()
    assert "Total" in s and "MB allocated" in s and "in place over layer1_output" in s


# ------------------------------------------------------------------------------------------------------------------
# the seed programs
# ------------------------------------------------------------------------------------------------------------------
def _seed(name):
    for d in (os.environ.get("SEED_DIR"), os.path.join(REPO_ROOT, "..", "shared", "seed"),
              os.path.join(REPO_ROOT, "..", "..", "shared", "seed")):
        if d and os.path.isfile(os.path.join(d, name)):
            return os.path.join(d, name)
    pytest.skip("seed programs not found (set SEED_DIR)")


@pytest.mark.parametrize("prog", ["02_symbolic.py", "03_bind_forward.py", "04_bind_backward.py"])
def test_seed_program(prog, tmp_path):
    r = subprocess.run([sys.executable, _seed(prog)], cwd=str(tmp_path), env=subprocess_env(), capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr


def test_seed_program_05_one_epoch(tmp_path):
    prog = _seed("05_mlp_executor.py")
    if not os.path.isdir(os.environ.get("MXC_MNIST_DIR", "/usr/share/datasets/fashion-mnist")):
        pytest.skip("Fashion-MNIST not installed")
    r = subprocess.run([sys.executable, prog], cwd=str(tmp_path), env=subprocess_env(SEED_EPOCHS="1"),
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout + r.stderr
    acc = float(r.stdout.strip().splitlines()[-1].split()[-1])
    assert acc > 0.75, r.stdout


def _chain_grad(plan, x0, head):
    if plan:
        os.environ.pop("MXC_MEMORY_PLAN", None)
    else:
        os.environ["MXC_MEMORY_PLAN"] = "0"
    try:
        x = mx.sym.Variable("x")
        y = mx.sym.sigmoid(mx.sym.Activation(mx.sym.sin(mx.sym.exp(x) * 2) + 1, act_type="tanh"))
        y = mx.sym.square(y - 0.5) / 3
        ex = y.simple_bind(mx.current_context(), type_dict={"x": np.float64}, x=x0.shape)
    finally:
        os.environ.pop("MXC_MEMORY_PLAN", None)
    ex.arg_dict["x"][:] = x0
    ex.forward(is_train=True)
    ex.backward([mx.nd.array(head, dtype=np.float64)])
    return ex.outputs[0].asnumpy(), ex.grad_dict["x"].asnumpy(), ex.memory_stats(), ex


def test_chain_gradients_written_in_place():
    # Each gradient of the chain may overwrite the previous one (in-place backward): the planner on and off agree
    # bit for bit, and both agree with finite differences.
    rng = np.random.RandomState(5)
    x0, head = rng.uniform(-1, 1, (3, 4)), rng.uniform(-1, 1, (3, 4))
    out_on, g_on, (p_on, u_on), ex = _chain_grad(True, x0, head)
    out_off, g_off, (p_off, u_off), _ = _chain_grad(False, x0, head)
    np.testing.assert_array_equal(out_on, out_off)
    np.testing.assert_array_equal(g_on, g_off)
    assert p_on * 2 <= u_on == p_off
    assert "in place over grad(" in ex.debug_str()
    f = lambda v: np.sum(head * (((1 / (1 + np.exp(-np.tanh(np.sin(np.exp(v) * 2) + 1)))) - 0.5) ** 2 / 3))
    num = np.zeros_like(x0)
    for i in np.ndindex(*x0.shape):
        d = np.zeros_like(x0)
        d[i] = 1e-6
        num[i] = (f(x0 + d) - f(x0 - d)) / 2e-6
    np.testing.assert_allclose(g_on, num, rtol=1e-5, atol=1e-8)


def _interleaved_training(engine):
    from mxc.base import ffi, lib, check_call
    before = ffi.new("const char **")
    check_call(lib.MXCEngineGetType(before))
    before = ffi.string(before[0])
    check_call(lib.MXCEngineSetType(engine.encode()))
    try:
        net = mlp(hidden=32, classes=5, act="tanh")
        train = net.simple_bind(mx.current_context(), data=(16, 12), softmax_label=(16,))
        test = net.bind(mx.current_context(), grad_req="null", args=train.arg_arrays)
        rng = np.random.RandomState(9)
        for r in train.arg_arrays:
            r[:] = rng.randn(*r.shape) * 0.2
        seen = []
        for step in range(20):
            train.arg_dict["data"][:] = rng.randn(16, 12)
            train.arg_dict["softmax_label"][:] = rng.randint(0, 5, 16)
            train.forward(is_train=True)
            train.backward()
            for name, w, g in zip(net.list_arguments(), train.arg_arrays, train.grad_arrays):
                if name not in ("data", "softmax_label"):
                    w[:] = w - g * 0.05
            test.forward()  # queued behind the updates it reads
            seen.append(test.outputs[0].asnumpy().copy())
        mx.nd.waitall()
        return seen + [w.asnumpy() for w in train.arg_arrays]
    finally:
        check_call(lib.MXCEngineSetType(before))


def test_executors_agree_across_engines():
    # Forward/backward pushed as engine work interleaved with imperative updates of the shared weights: the
    # asynchronous engine orders them by the arrays they read and write, so results equal the synchronous engine's.
    a = _interleaved_training("ThreadedEngine")
    b = _interleaved_training("NaiveEngine")
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
