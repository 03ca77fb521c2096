"""mx.autograd: recording imperative calls and differentiating them.

The expected values of the first tests were printed by Apache MXNet 1.9.1 for the same programs. Every operator with
a gradient (the GRAD_CASES of test_executor_grad.py) is differentiated through autograd and compared with the
executor's gradient of the same call, which test_executor_grad.py checks against finite differences; composite
programs are checked against finite differences directly.
"""
import gc
import threading

import numpy as np
import pytest

import mxc as mx
from mxc import autograd, nd
from mxc.base import MXNetError, op_meta

from test_executor_grad import GRAD_CASES, _build


def _np(a):
    return a.asnumpy().tolist()


# ----------------------------------------------------------------------------------------------------------------
# MXNet 1.9.1's answers
# ----------------------------------------------------------------------------------------------------------------
def test_attach_grad_record_backward_as_mxnet():
    x = nd.array([[1., 2.], [3., 4.]])
    assert x.grad is None
    x.attach_grad()
    assert _np(x.grad) == [[0., 0.], [0., 0.]]
    with autograd.record():
        y = x * x + 2 * x
    y.backward()
    assert _np(x.grad) == [[4., 6.], [8., 10.]]
    # The graph is freed by backward: a second one is an error naming the cause and the remedy.
    with pytest.raises(MXNetError, match="not in a computational graph.*retain_graph=True"):
        y.backward()


def test_recording_and_training_flags():
    assert not autograd.is_recording() and not autograd.is_training()
    with autograd.record():
        assert autograd.is_recording() and autograd.is_training()
        with autograd.pause():
            assert not autograd.is_recording() and not autograd.is_training()
        with autograd.predict_mode():
            assert autograd.is_recording() and not autograd.is_training()
    with autograd.record(train_mode=False):
        assert autograd.is_recording() and not autograd.is_training()
    with autograd.train_mode():
        assert not autograd.is_recording() and autograd.is_training()
    assert not autograd.is_recording() and not autograd.is_training()
    assert autograd.set_recording(True) is False
    assert autograd.set_recording(False) is True


def test_head_gradient_and_autograd_grad():
    p = nd.array([1., 2., 3.])
    p.attach_grad()
    with autograd.record():
        q = p * p
    q.backward(nd.array([1., 10., 100.]))
    assert _np(p.grad) == [2., 40., 600.]
    with autograd.record():
        q = (p ** 3).sum()
    g = autograd.grad(q, [p])
    assert [_np(a) for a in g] == [[3., 12., 27.]]
    assert _np(p.grad) == [2., 40., 600.]  # autograd.grad leaves the gradient arrays alone
    with autograd.record():
        q = (p ** 3).sum()
    assert _np(autograd.grad(q, p)) == [3., 12., 27.]  # a single variable gives a single array


def test_loss_output_ignores_head_gradient():
    d = nd.array([[1., 2., 3.]])
    d.attach_grad()
    with autograd.record():
        o = nd.SoftmaxOutput(d, nd.array([2.]))
    o.backward()
    np.testing.assert_allclose(d.grad.asnumpy(), [[0.09003, 0.24473, -0.33476]], atol=1e-5)


def test_reshape_and_slicing_are_recorded():
    m = nd.arange(6).reshape((2, 3))
    m.attach_grad()
    with autograd.record():
        n = m.reshape((3, 2))[1:3] * 2
        k = m[1] * 3
    n.backward()
    assert _np(m.grad) == [[0., 0., 2.], [2., 2., 2.]]
    k.backward()
    assert _np(m.grad) == [[0., 0., 0.], [3., 3., 3.]]
    with autograd.record():
        s = m[:, 1:3] * m[1:2, 1:3]  # a column slice (a copy) times a broadcast row
    s.backward()
    assert _np(m.grad) == [[0., 4., 5.], [0., 9., 12.]]


def test_grad_req_add_accumulates_and_unreached_variables_keep_their_gradient():
    w = nd.array([1., 2.])
    w.attach_grad(grad_req="add")
    for _ in range(2):
        with autograd.record():
            loss = (w * w).sum()
        loss.backward()
    assert _np(w.grad) == [4., 8.]
    a = nd.ones((2,))
    a.attach_grad()
    b = nd.ones((2,))
    b.attach_grad()
    b.grad[:] = 5
    with autograd.record():
        c = a * 3
    c.backward()
    assert _np(a.grad) == [3., 3.] and _np(b.grad) == [5., 5.]


def test_writes_into_arrays_in_the_graph_are_refused_while_recording():
    v = nd.array([1., 2.])
    v.attach_grad()
    with pytest.raises(MXNetError, match="already in a computational graph"):
        with autograd.record():
            v[:] = 3
    with pytest.raises(MXNetError, match="elemwise_add: writing into an array that is already in a computational"):
        with autograd.record():
            t = v * 2
            t += v
    with pytest.raises(MXNetError, match="already in a computational graph"):
        with autograd.record():
            t = v * 2
            nd.relu(v, out=t)
    assert _np(v) == [1., 2.]
    # Outside recording, and into arrays outside the graph, writes are fine.
    v[:] = 10
    assert _np(v) == [10., 10.]
    with autograd.record():
        u = nd.zeros((2,))
        u[:] = 4
        u += v
    assert _np(u) == [14., 14.]


def test_pause_detach_copy_and_several_heads():
    p = nd.array([1., 2., 3.])
    p.attach_grad()
    with autograd.record():
        s1 = p * 2
        with autograd.pause():
            s2 = p * 3
        s3 = s1 + s2
    s3.backward()
    assert _np(p.grad) == [2., 2., 2.]
    with autograd.record():
        r = (p * 2).detach() * p
    r.backward()
    assert _np(p.grad) == [2., 4., 6.]
    with autograd.record():
        c = p.copy() * 3 + p.astype("float64").astype("float32")
    c.backward()
    assert _np(p.grad) == [4., 4., 4.]
    with autograd.record():
        h1 = p * 2
        h2 = p * p
    autograd.backward([h1, h2])
    assert _np(p.grad) == [4., 6., 8.]


def test_retain_graph():
    p = nd.array([1., 2., 3.])
    p.attach_grad()
    with autograd.record():
        s = (p * p).sum()
    s.backward(retain_graph=True)
    s.backward()
    assert _np(p.grad) == [2., 4., 6.]
    p.attach_grad(grad_req="add")
    with autograd.record():
        s = (p * p).sum()
    s.backward(retain_graph=True)
    s.backward(retain_graph=True)
    s.backward()
    assert _np(p.grad) == [6., 12., 18.]


def test_fresh_grad_state_as_mxnet():
    # MXNet 1.9.1: 0 after attach_grad, 1 after a backward, settable, untouched by autograd.grad.
    x = nd.ones(2)
    x.attach_grad()
    assert x._fresh_grad is False
    with autograd.record():
        y = x * 2
    y.backward()
    assert x._fresh_grad is True
    x._fresh_grad = False
    assert x._fresh_grad is False
    with autograd.record():
        y = x * 2
    autograd.grad(y, [x])
    assert x._fresh_grad is False
    assert nd.ones(2)._fresh_grad is False
    with pytest.raises(MXNetError, match="not an autograd variable"):
        nd.ones(2)._fresh_grad = True


def test_leaf_modified_after_recording_is_read_by_backward():
    # MXNet keeps references to the arrays a gradient reads: a later write is seen (MXNet 1.9.1 prints [20, 20]).
    e = nd.array([1., 2.])
    e.attach_grad()
    with autograd.record():
        f = e * e
    e[:] = 10
    f.backward()
    assert _np(e.grad) == [20., 20.]


def test_errors():
    p = nd.array([1., 2., 3.])
    p.attach_grad()
    with pytest.raises(MXNetError, match="head 0 \\(shape \\(2,\\)\\) is not in a computational graph"):
        nd.ones((2,)).backward()
    with autograd.record():
        q = p * p
    with pytest.raises(mx.base.ShapeError, match="head gradient 0 has shape \\(2,\\), its head \\(3,\\)"):
        q.backward(nd.ones((2,)))
    with pytest.raises(mx.base.MXNetTypeError, match="head gradient 0 has dtype float64, its head float32"):
        q.backward(nd.ones((3,), dtype="float64"))
    with autograd.record():
        z = (p * p).sum()
    with pytest.raises(MXNetError, match="variable 0 does not require a gradient"):
        autograd.grad(z, [nd.ones(3)])
    with pytest.raises(NotImplementedError, match="create_graph"):
        autograd.grad(z, [p], create_graph=True)
    with pytest.raises(ValueError, match="grad_req must be one of"):
        p.attach_grad(grad_req="sometimes")
    # argmax is piecewise constant: a zero gradient.
    with autograd.record():
        am = nd.argmax(p, axis=0)
    am.backward()
    assert _np(p.grad) == [0., 0., 0.]
    # A part of the graph freed by an earlier backward.
    with autograd.record():
        y = p * 2
        z = y * 3
    y.backward()
    with pytest.raises(MXNetError, match="earlier backward freed; pass retain_graph=True"):
        z.backward()


def test_mark_variables_with_explicit_gradients():
    x = nd.array([1., 2.])
    y = nd.array([3., 4.])
    gx, gy = nd.zeros(2), nd.ones(2)
    autograd.mark_variables([x, y], [gx, gy], grad_reqs=["write", "add"])
    with autograd.record():
        z = x * y
    z.backward()
    assert _np(gx) == [3., 4.] and _np(gy) == [2., 3.]
    with pytest.raises(mx.base.ShapeError, match="gradient shape \\(3,\\) differs from the variable's shape \\(2,\\)"):
        autograd.mark_variables([x], [nd.zeros(3)])


def test_multi_output_operator_with_unused_outputs():
    x = nd.array(np.arange(12, dtype=np.float32).reshape(3, 4))
    x.attach_grad()
    with autograd.record():
        parts = nd.split(x, num_outputs=2, axis=1)
        y = parts[1] * parts[1]
    y.backward()
    expect = np.zeros((3, 4), np.float32)
    expect[:, 2:] = 2 * x.asnumpy()[:, 2:]
    np.testing.assert_array_equal(x.grad.asnumpy(), expect)


def test_dropout_and_batchnorm_follow_the_training_mode():
    x = nd.ones((50, 40))
    x.attach_grad()
    with autograd.record():
        d = nd.Dropout(x, p=0.5)
    dn = d.asnumpy()
    assert set(np.unique(dn)) <= {0.0, 2.0} and 0.3 < (dn == 0).mean() < 0.7
    d.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), dn)  # the mask, scaled: the same as the output for ones
    with autograd.record(train_mode=False):
        d = nd.Dropout(x, p=0.5)
    assert (d.asnumpy() == 1).all()
    assert (nd.Dropout(x, p=0.5).asnumpy() == 1).all()  # outside recording: prediction mode
    data = nd.array([[1., 2.], [3., 6.]])
    gamma, beta, mm, mv = nd.ones(2), nd.zeros(2), nd.zeros(2), nd.ones(2)
    with autograd.record():
        out = nd.BatchNorm(data, gamma, beta, mm, mv, fix_gamma=False)
    # MXNet 1.9.1: batch statistics in training mode
    np.testing.assert_allclose(out.asnumpy(), [[-0.9995, -0.9999], [0.9995, 0.9999]], atol=1e-4)
    out2 = nd.BatchNorm(data, gamma, beta, nd.zeros(2), nd.ones(2), fix_gamma=False)
    np.testing.assert_allclose(out2.asnumpy(), data.asnumpy() / np.sqrt(1 + 1e-3), rtol=1e-5)


def test_flags_are_per_thread():
    x = nd.array([1., 2.])
    x.attach_grad()
    seen = {}

    def other():
        seen["recording"] = autograd.is_recording()
        seen["y"] = x * 2  # not recorded: this thread does not record

    with autograd.record():
        t = threading.Thread(target=other)
        t.start()
        t.join()
        z = x * 3
    assert seen["recording"] is False
    with pytest.raises(MXNetError, match="not in a computational graph"):
        seen["y"].backward()
    z.backward()
    assert _np(x.grad) == [3., 3.]


def test_long_tape_is_freed_without_deep_recursion():
    # On the CPU: what is tested is host-side bookkeeping (an emulated GPU re-protects its memory at every kernel
    # launch, which makes 50,000 launches with many live arrays take minutes there).
    x = nd.ones((4,), ctx=mx.cpu())
    x.attach_grad()
    gc.collect()
    nd.waitall()
    base = _cpu_in_use()
    with autograd.record():
        y = x
        for _ in range(30000):
            y = y + 1
    del y  # frees a chain of 30,000 nodes (recursively this would be 30,000 frames deep)
    with autograd.record():
        y = x
        for _ in range(20000):
            y = y * 1.0
    y.backward()
    assert _np(x.grad) == [1., 1., 1., 1.]
    del y
    gc.collect()
    nd.waitall()
    assert _cpu_in_use() <= base + 4096


def _cpu_in_use():
    from mxc.base import ffi, lib, check_call
    a, b, c = ffi.new("int64_t *"), ffi.new("int64_t *"), ffi.new("int64_t *")
    check_call(lib.MXCCPUMemoryStats(a, b, c))
    return a[0]


# ----------------------------------------------------------------------------------------------------------------
# Every operator with a gradient: autograd against the executor
# ----------------------------------------------------------------------------------------------------------------
_ALL = [(op, i) for op in sorted(GRAD_CASES) for i in range(len(GRAD_CASES[op]))]


@pytest.mark.parametrize("opname,idx", _ALL, ids=["%s-%d" % x for x in _ALL])
def test_operator_gradient_matches_the_executor(opname, idx):
    from mxc.base import has_op
    if not has_op(opname):
        pytest.skip("operator %s not in this build" % opname)
    c = GRAD_CASES[opname][idx]
    rng = np.random.RandomState(2000 + idx)
    sym, names = _build(opname, c)
    args, auxs = sym.list_arguments(), sym.list_auxiliary_states()
    checked = [x for i, x in enumerate(names) if i not in c["nograd"] and x in args]
    reqs = {x: ("write" if x in checked else "null") for x in args}
    ctx = mx.current_context()
    exe = sym.simple_bind(ctx, grad_req=reqs, type_dict={x: np.float64 for x in names},
                          **dict(zip(names, c["shapes"])))
    vals = {}
    for i, x in enumerate(names):
        if i in c["ints"]:
            vals[x] = rng.randint(c["ints"][i][0], c["ints"][i][1], size=c["shapes"][i]).astype(np.float64)
        else:
            lo, hi = c["ranges"].get(i, (c["lo"], c["hi"]))
            vals[x] = rng.uniform(lo, hi, size=c["shapes"][i])
        (exe.arg_dict if x in args else exe.aux_dict)[x][:] = vals[x]
    if c["seed_each"]:
        mx.random.seed(7)
    exe.forward(is_train=c["train"])
    heads = [rng.uniform(-1, 1, size=o.shape) for o in exe.outputs]
    if c["loss"] is not None:
        exe.backward()
    else:
        exe.backward([nd.array(h, ctx=ctx, dtype=o.dtype) for h, o in zip(heads, exe.outputs)])

    def run(wanted):
        """autograd with gradients attached to the inputs in ``wanted``; each against the executor's."""
        arrays = [nd.array(vals[x], ctx=ctx, dtype=np.float64) for x in names]
        for x, a in zip(names, arrays):
            if x in wanted:
                a.attach_grad()
        fn = getattr(nd, opname)
        if c["seed_each"]:
            mx.random.seed(7)
        with autograd.record(train_mode=c["train"]):
            if c["build"] is not None:  # the case's graph around the operator (test_executor_grad.case)
                out = c["build"](nd, lambda *a: fn(*a, **c["params"]), arrays)
            elif op_meta(opname).key_var_num_args:
                out = fn(*arrays, **c["params"])
            else:
                out = fn(**dict(zip(names, arrays)), **c["params"])
        outs = out if isinstance(out, list) else [out]
        assert len(outs) == len(exe.outputs)
        for o, e in zip(outs, exe.outputs):
            np.testing.assert_allclose(o.asnumpy(), e.asnumpy(), rtol=1e-12, atol=1e-12)
        if not wanted:  # no input to differentiate (one_hot of integer indices): nothing was recorded
            with pytest.raises(MXNetError, match="not in a computational graph"):
                autograd.backward(outs)
            return
        if c["loss"] is not None:
            autograd.backward(outs)
        else:
            autograd.backward(outs, [nd.array(h, ctx=ctx, dtype=o.dtype) for h, o in zip(heads, outs)])
        for x, a in zip(names, arrays):
            if x in wanted:
                np.testing.assert_allclose(a.grad.asnumpy(), exe.grad_dict[x].asnumpy(), rtol=1e-10, atol=1e-12,
                                           err_msg="%s: gradient of %r (of %s)" % (opname, x, sorted(wanted)))
    run(set(checked))
    # Each input's gradient alone (the others' not requested: the backward gets no buffer for them)
    if len(checked) > 1:
        for x in checked:
            run({x})


# ----------------------------------------------------------------------------------------------------------------
# Composite programs against finite differences, and training
# ----------------------------------------------------------------------------------------------------------------
def _mlp_loss(x, label, w1, b1, w2, b2):
    h = nd.relu(nd.FullyConnected(x, w1, b1, num_hidden=w1.shape[0]))
    z = nd.FullyConnected(h, w2, b2, num_hidden=w2.shape[0])
    return -nd.pick(nd.log_softmax(z), label).mean() + 0.1 * (w1 * w1).sum()


def test_mlp_gradient_against_finite_differences():
    rng = np.random.RandomState(3)
    ctx = mx.current_context()
    xs = nd.array(rng.randn(5, 4), ctx=ctx, dtype="float64")
    label = nd.array([0, 2, 1, 2, 0], ctx=ctx, dtype="float64")
    params = [rng.randn(6, 4) * 0.5, rng.randn(6) * 0.1, rng.randn(3, 6) * 0.5, rng.randn(3) * 0.1]
    ps = [nd.array(p, ctx=ctx, dtype="float64") for p in params]
    for p in ps:
        p.attach_grad()
    with autograd.record():
        loss = _mlp_loss(xs, label, *ps)
    loss.backward()
    eps = 1e-6
    for i, p in enumerate(params):
        num = np.zeros_like(p)
        for k in range(p.size):
            vals = [q.copy() for q in params]
            vals[i].reshape(-1)[k] += eps
            fp = _mlp_loss(xs, label, *[nd.array(v, ctx=ctx, dtype="float64") for v in vals]).asscalar()
            vals[i].reshape(-1)[k] -= 2 * eps
            fm = _mlp_loss(xs, label, *[nd.array(v, ctx=ctx, dtype="float64") for v in vals]).asscalar()
            num.reshape(-1)[k] = (fp - fm) / (2 * eps)
        np.testing.assert_allclose(ps[i].grad.asnumpy(), num, rtol=1e-6, atol=1e-8, err_msg="parameter %d" % i)


def test_training_loop_with_autograd_learns():
    # Two Gaussian blobs per class in 2-d, four classes: an MLP trained with autograd and SGD separates them.
    rng = np.random.RandomState(0)
    centers = np.array([[2, 2], [-2, 2], [-2, -2], [2, -2]], np.float32)
    label_np = rng.randint(0, 4, size=400)
    data_np = centers[label_np] + rng.randn(400, 2).astype(np.float32) * 0.7
    ctx = mx.current_context()
    data, label = nd.array(data_np, ctx=ctx), nd.array(label_np, ctx=ctx)
    w1 = nd.array(rng.randn(16, 2) * 0.3, ctx=ctx)
    b1 = nd.zeros(16, ctx=ctx)
    w2 = nd.array(rng.randn(4, 16) * 0.3, ctx=ctx)
    b2 = nd.zeros(4, ctx=ctx)
    params = [w1, b1, w2, b2]
    for p in params:
        p.attach_grad()
    losses = []
    for epoch in range(30):
        for i in range(0, 400, 50):
            x, y = data[i:i + 50], label[i:i + 50]
            with autograd.record():
                h = nd.relu(nd.FullyConnected(x, w1, b1, num_hidden=16))
                out = nd.SoftmaxOutput(nd.FullyConnected(h, w2, b2, num_hidden=4), y, normalization="batch")
            out.backward()
            for p in params:
                nd.sgd_update(p, p.grad, lr=0.5, out=p)
        prob = nd.softmax(nd.FullyConnected(nd.relu(nd.FullyConnected(data, w1, b1, num_hidden=16)), w2, b2,
                                            num_hidden=4)).asnumpy()
        losses.append(-np.mean(np.log(prob[np.arange(400), label_np])))
    acc = (prob.argmax(axis=1) == label_np).mean()
    assert losses[-1] < 0.5 * losses[0] and acc > 0.9, (losses[0], losses[-1], acc)


@pytest.mark.parametrize("opname", ["broadcast_mul", "broadcast_div", "broadcast_power", "broadcast_maximum",
                                     "broadcast_add", "broadcast_sub"])
def test_broadcast_gradient_of_one_operand(opname):
    # Only one operand needs a gradient: the backward gets no buffer for the other's (a GPU kernel took the operand
    # shapes from the gradient buffers and broadcast the wrong operand)
    a0 = np.array([[1.5, 2.], [0.5, 3.], [2.5, 1.]])
    w0 = np.array([[1.], [2.], [3.]])
    fa = {"broadcast_mul": lambda a, w: w + 0 * a, "broadcast_div": lambda a, w: 1 / w + 0 * a,
          "broadcast_power": lambda a, w: w * a ** (w - 1), "broadcast_maximum": lambda a, w: (a >= w) * 1.,
          "broadcast_add": lambda a, w: 1 + 0 * a, "broadcast_sub": lambda a, w: 1 + 0 * a}[opname]
    fw = {"broadcast_mul": lambda a, w: a, "broadcast_div": lambda a, w: -a / w ** 2,
          "broadcast_power": lambda a, w: a ** w * np.log(a), "broadcast_maximum": lambda a, w: (a < w) * 1.,
          "broadcast_add": lambda a, w: 1 + 0 * a, "broadcast_sub": lambda a, w: -1 + 0 * a}[opname]
    for which in ("a", "w"):
        a, w = nd.array(a0, dtype=np.float64), nd.array(w0, dtype=np.float64)
        (a if which == "a" else w).attach_grad()
        with autograd.record():
            y = getattr(nd, opname)(a, w)
        y.backward()
        if which == "a":
            np.testing.assert_allclose(a.grad.asnumpy(), fa(a0, w0), rtol=1e-12)
        else:
            np.testing.assert_allclose(w.grad.asnumpy(), fw(a0, w0).sum(axis=1, keepdims=True), rtol=1e-12)


@pytest.mark.parametrize("opname", ["slice_like", "broadcast_like"])
def test_gradient_of_the_shape_input_alone(opname):
    # Only the shape-giving input needs a gradient (zeros, as MXNet 1.9.1): this crashed slice_like's backward
    data = nd.ones((3, 3)) if opname == "slice_like" else nd.ones((1, 3))
    like = nd.ones((2, 3))
    like.attach_grad()
    with autograd.record():
        y = getattr(nd, opname)(data, like)
    y.backward()
    np.testing.assert_array_equal(like.grad.asnumpy(), np.zeros((2, 3)))
