"""mx.nd.contrib.foreach, while_loop and cond: outputs, the structures returned, errors and gradients through
autograd, against values printed by MXNet 1.9.1 and finite differences, and Gluon (F.contrib.foreach in a
HybridBlock, hybridized or not). The symbolic versions are tested in test_symbol_control_flow.py."""
import numpy as np
import pytest

import mxc as mx
from mxc import gluon

nd = mx.nd


def _check(x, expected, rtol=1e-5, atol=1e-6):
    assert isinstance(x, nd.NDArray), type(x)
    expected = np.asarray(expected, dtype=np.float64)
    assert x.shape == expected.shape, (x.shape, expected.shape)
    np.testing.assert_allclose(x.asnumpy(), expected, rtol=rtol, atol=atol)


DATA = np.arange(12, dtype=np.float32).reshape(4, 3)


# ------------------------------------------------------------------------------------------------- foreach
def test_foreach_single_data_single_state():
    def body(x, s):
        o = x * 2 + s
        return o, o
    out, st = nd.contrib.foreach(body, nd.array(DATA), nd.zeros((3,)))
    _check(out, [[0, 2, 4], [6, 10, 14], [18, 24, 30], [36, 44, 52]])
    _check(st, [36, 44, 52])
    # Reference by a plain loop in NumPy.
    s = np.zeros(3)
    for i in range(4):
        s = DATA[i] * 2 + s
        np.testing.assert_allclose(out.asnumpy()[i], s)


def test_foreach_lists_and_nested_outputs():
    d1 = nd.array(np.arange(6).reshape(3, 2))
    d2 = nd.array(np.arange(3).reshape(3, 1) + 10)

    def body(xs, ss):
        assert isinstance(xs, list) and len(xs) == 2
        a, b = xs
        s1, s2 = ss
        n1 = s1 + a
        n2 = s2 * b
        return [n1, [n2, a + b]], [n1, n2]
    out, st = nd.contrib.foreach(body, [d1, d2], [nd.zeros((2,)), nd.ones((1,))])
    assert isinstance(out, list) and len(out) == 2 and isinstance(out[1], list) and len(out[1]) == 2
    _check(out[0], [[0, 1], [2, 4], [6, 9]])
    _check(out[1][0], [[10], [110], [1320]])
    _check(out[1][1], [[10, 11], [13, 14], [16, 17]])
    assert isinstance(st, list) and len(st) == 2
    _check(st[0], [6, 9])
    _check(st[1], [1320])


def test_foreach_structures_returned():
    data = nd.array(DATA)
    # Tuple outputs come back as a list; the states as body returned them (a tuple here).
    out, st = nd.contrib.foreach(lambda x, s: ((x + 1, x * s[0]), (s[0] + 1,)), data, (nd.ones((3,)),))
    assert isinstance(out, list) and len(out) == 2
    _check(out[0], [[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12]])
    _check(out[1], [[0, 1, 2], [6, 8, 10], [18, 21, 24], [36, 40, 44]])
    assert isinstance(st, tuple) and len(st) == 1
    _check(st[0], [5, 5, 5])
    # A list of one output stays a list of one.
    out, st = nd.contrib.foreach(lambda x, s: ([x + s[0]], [s[0] + 1]), data, [nd.zeros((3,))])
    assert isinstance(out, list) and len(out) == 1 and isinstance(st, list) and len(st) == 1
    _check(out[0], [[0, 1, 2], [4, 5, 6], [8, 9, 10], [12, 13, 14]])
    _check(st[0], [4, 4, 4])
    # No states at all.
    out, st = nd.contrib.foreach(lambda x, s: (x * 3, s), data, [])
    _check(out, DATA * 3)
    assert st == []
    # No outputs: an empty list.
    out, st = nd.contrib.foreach(lambda x, s: ([], s + x), data, nd.zeros((3,)))
    assert out == []
    _check(st, [18, 22, 26])
    # data as a list (or tuple) of one array: body gets a list of one slice.
    out, st = nd.contrib.foreach(lambda x, s: (x[0] + s, s), [data], nd.zeros((3,)))
    _check(out, DATA)
    out, st = nd.contrib.foreach(lambda x, s: (x[0], s), (data, data), nd.zeros((3,)))
    _check(out, DATA)
    _check(st, [0, 0, 0])


def test_foreach_scalar_steps():
    # 1-D data: every step gets a slice of shape (1,), as in MXNet.
    out, st = nd.contrib.foreach(lambda x, s: (x * s, s + x), nd.array([1., 2., 3.]), nd.array([1.]))
    _check(out, [[1], [4], [12]])
    _check(st, [7])


def test_foreach_errors():
    data = nd.array(DATA)
    init = nd.zeros((3,))

    def body(x, s):
        return x + s, s
    # MXNet 1.9.1 raises AssertionError for these; ours are also TypeErrors naming the argument.
    for args, what in [((body, np.ones((2, 3)), init), "data"), ((body, data, np.zeros(3)), "init_states"),
                       ((body, [data, 3], init), "data"), ((body, data, 0), "init_states"),
                       ((body, data, None), "init_states"),
                       ((lambda x, s: (None, s), data, init), "outputs of body"),
                       ((lambda x, s: (3, s), data, init), "outputs of body"),
                       ((lambda x, s: (x, 3), data, init), "states returned by body")]:
        with pytest.raises(TypeError, match="foreach: (the )?%s must be an NDArray" % what) as info:
            nd.contrib.foreach(*args)
        assert isinstance(info.value, AssertionError)
    with pytest.raises(TypeError, match=r"foreach: data must be an NDArray or a list of NDArrays \(not nested\), "
                                        r"but got \[NDArray\(4, 3\), \[NDArray\(4, 3\)\]\]"):
        nd.contrib.foreach(body, [data, [data]], init)
    with pytest.raises(ValueError, match=r"foreach: every array of data must have the same length along axis 0, "
                                         r"but the shapes are \(4, 3\), \(2, 3\)"):
        nd.contrib.foreach(lambda x, s: (x[0], s), [data, nd.ones((2, 3))], init)
    # MXNet 1.9.1 fails here too (UnboundLocalError): without a step the outputs are unknown.
    with pytest.raises(ValueError, match=r"foreach: data has length 0 along axis 0 \(shapes \(0, 3\)\)"):
        nd.contrib.foreach(body, nd.zeros((0, 3)), init)
    with pytest.raises(ValueError, match="foreach: data is an empty list"):
        nd.contrib.foreach(body, [], init)
    with pytest.raises(TypeError, match="foreach: body must be callable, but got int"):
        nd.contrib.foreach(3, data, init)
    with pytest.raises(TypeError, match=r"foreach: body must return a pair \(outputs, new_states\), but returned "
                                        r"NDArray at step 0"):
        nd.contrib.foreach(lambda x, s: x, data, init)
    with pytest.raises(ValueError, match="foreach: body must return the same number of outputs at every step, but it "
                                         "returned 1 at step 0 and 2 at step 1"):
        nd.contrib.foreach(lambda x, s: ([x] * (int(s.asnumpy()[0]) + 1), s + 1), data, nd.zeros((1,)))
    with pytest.raises(ValueError, match=r"foreach: output 0 must have the same shape and type at every step, but "
                                         r"step 0 gave \(1,\) float32 and step 1 gave \(2,\) float32"):
        nd.contrib.foreach(lambda x, s: (nd.ones((int(s.asnumpy()[0]) + 1,)), s + 1), data, nd.zeros((1,)))


# ------------------------------------------------------------------------------------------------- while_loop
def _cond_i(i, s):
    return i < 3


def _func_is(i, s):
    return [i + s], [i + 1, s + i]


def test_while_loop_ends_early_with_padding():
    out, lv = nd.contrib.while_loop(_cond_i, _func_is, [nd.array([0.]), nd.array([1.])], max_iterations=5)
    assert isinstance(out, list) and len(out) == 1
    assert out[0].shape == (5, 1)
    _check(out[0][0:3], [[1], [2], [4]])
    # Rows past the last step: MXNet leaves them undefined, mxc fills zeros.
    _check(out[0][3:5], [[0], [0]])
    assert isinstance(lv, list) and len(lv) == 2
    _check(lv[0], [3])
    _check(lv[1], [4])
    # A tuple of loop_vars: the same (a list comes back).
    out, lv = nd.contrib.while_loop(_cond_i, _func_is, (nd.array([0.]), nd.array([1.])), max_iterations=5)
    _check(out[0][0:3], [[1], [2], [4]])
    assert isinstance(lv, list)
    _check(lv[1], [4])


def test_while_loop_runs_to_max_iterations():
    out, lv = nd.contrib.while_loop(lambda i, s: i < 100, _func_is, [nd.array([0.]), nd.array([1.])],
                                    max_iterations=4)
    _check(out[0], [[1], [2], [4], [7]])
    _check(lv[0], [4])
    _check(lv[1], [7])
    # max_iterations as an NDArray or a float (truncated), as MXNet.
    for m in (nd.array([2]), 2.7):
        out, lv = nd.contrib.while_loop(_cond_i, _func_is, [nd.array([0.]), nd.array([1.])], max_iterations=m)
        _check(out[0], [[1], [2]])
        _check(lv[0], [2])
        _check(lv[1], [2])


def test_while_loop_structures_returned():
    # One NDArray loop var and one output: both come back as NDArrays.
    out, lv = nd.contrib.while_loop(lambda x: x.sum() < 10, lambda x: (x * 2, x + 1), nd.array([1., 2.]),
                                    max_iterations=6)
    assert out.shape == (6, 2)
    _check(out[0:4], [[2, 4], [4, 6], [6, 8], [8, 10]])
    _check(lv, [5, 6])
    # func returning a list of new loop vars for one NDArray loop var.
    out, lv = nd.contrib.while_loop(lambda a: a < 1, lambda a: (a, [a + 1]), nd.array([0.]), max_iterations=3)
    assert out.shape == (3, 1)
    _check(out[0:1], [[0]])
    _check(lv, [1])
    # A list of one loop var stays a list.
    out, lv = nd.contrib.while_loop(lambda x: x < 3, lambda x: (x, x + 1), [nd.array([0.])], max_iterations=4)
    _check(out[0:3], [[0], [1], [2]])
    assert isinstance(lv, list) and len(lv) == 1
    _check(lv[0], [3])
    # None step outputs: an empty list.
    out, lv = nd.contrib.while_loop(lambda x: x.sum() < 10, lambda x: (None, x + 1), nd.array([1., 2.]),
                                    max_iterations=6)
    assert out == []
    _check(lv, [5, 6])
    # Nested tuple outputs come back as nested lists.
    out, lv = nd.contrib.while_loop(lambda a, b: a < 2, lambda a, b: ((a, [b * 2, a + b]), (a + 1, b * 2)),
                                    [nd.array([0.]), nd.ones((2, 2))], max_iterations=3)
    assert isinstance(out, list) and len(out) == 2 and isinstance(out[1], list) and len(out[1]) == 2
    _check(out[0][0:2], [[0], [1]])
    _check(out[1][0][0:2], [[[2, 2], [2, 2]], [[4, 4], [4, 4]]])
    _check(out[1][1][0:2], [[[1, 1], [1, 1]], [[3, 3], [3, 3]]])
    assert out[1][1].shape == (3, 2, 2)
    _check(lv[0], [2])
    _check(lv[1], [[4, 4], [4, 4]])
    # Nested loop vars.
    out, lv = nd.contrib.while_loop(lambda a, bc: a < 2, lambda a, bc: ([a], [a + 1, [bc[0] + 1, bc[1] * 2]]),
                                    [nd.array([0.]), [nd.array([1.]), nd.array([3.])]], max_iterations=3)
    _check(out[0][0:2], [[0], [1]])
    _check(lv[0], [2])
    assert isinstance(lv[1], list)
    _check(lv[1][0], [3])
    _check(lv[1][1], [12])
    # int32 loop var: the output keeps the type.
    out, lv = nd.contrib.while_loop(lambda x: x < 3, lambda x: (x * 2, x + 1), nd.array([0], dtype='int32'),
                                    max_iterations=5)
    assert out.dtype == np.int32 and out.shape == (5, 1)
    assert out.asnumpy()[0:3].tolist() == [[0], [2], [4]]
    assert lv.asnumpy().tolist() == [3]
    # cond may return a Python value (read as a bool).
    for c in (lambda i, s: True, lambda i, s: "abc"):
        out, lv = nd.contrib.while_loop(c, _func_is, [nd.array([0.]), nd.array([1.])], max_iterations=2)
        _check(out[0], [[1], [2]])
        _check(lv[0], [2])


def test_while_loop_without_a_step():
    # No step: no outputs, and loop_vars come back as given.
    out, lv = nd.contrib.while_loop(lambda x: x.sum() > 100, lambda x: (x * 2, x + 1), nd.array([1., 2.]),
                                    max_iterations=4)
    assert out == []
    _check(lv, [1, 2])
    init = [nd.array([1., 2.])]
    out, lv = nd.contrib.while_loop(lambda x: x.sum() > 100, lambda x: ([x * 2], [x + 1]), init, max_iterations=4)
    assert out == [] and isinstance(lv, list) and len(lv) == 1
    _check(lv[0], [1, 2])
    out, lv = nd.contrib.while_loop(lambda a, b: a > 5, lambda a, b: (a, (a, b)), (nd.array([0.]), nd.array([1.])),
                                    max_iterations=3)
    assert out == [] and isinstance(lv, tuple)
    _check(lv[0], [0])
    for m in (0, -1):
        out, lv = nd.contrib.while_loop(_cond_i, _func_is, [nd.array([0.]), nd.array([1.])], max_iterations=m)
        assert out == []
        _check(lv[0], [0])
        _check(lv[1], [1])


def test_while_loop_errors():
    lv = [nd.array([0.]), nd.array([1.])]
    with pytest.raises(ValueError, match="while_loop: max_iterations must be given"):
        nd.contrib.while_loop(_cond_i, _func_is, lv)
    with pytest.raises(ValueError, match="while_loop: max_iterations must be an integer .* but got 'x'"):
        nd.contrib.while_loop(_cond_i, _func_is, lv, max_iterations="x")
    with pytest.raises(ValueError, match=r"while_loop: max_iterations must be a scalar .* shape \(2,\)"):
        nd.contrib.while_loop(_cond_i, _func_is, lv, max_iterations=nd.array([1, 2]))
    with pytest.raises(ValueError, match="while_loop: loop_vars must contain at least one element"):
        nd.contrib.while_loop(lambda: True, lambda: ([], []), [], max_iterations=3)
    with pytest.raises(ValueError, match=r"while_loop: func must return as many loop_vars as it takes \(2\), but "
                                         r"returned 1 at step 0"):
        nd.contrib.while_loop(_cond_i, lambda i, s: ([i], [i + 1]), lv, max_iterations=3)
    with pytest.raises(ValueError, match=r"while_loop: the value returned by cond must be a scalar .* shape \(2,\)"):
        nd.contrib.while_loop(lambda i, s: nd.array([1, 1]), _func_is, lv, max_iterations=2)
    with pytest.raises(ValueError, match=r"while_loop: output 0 must have the same shape and type at every step, "
                                         r"but step 0 gave \(1,\) float32 and step 1 gave \(2,\) float32"):
        nd.contrib.while_loop(lambda i: i < 3, lambda i: (nd.ones((int(i.asscalar()) + 1,)), i + 1),
                              nd.array([0.]), max_iterations=3)
    with pytest.raises(ValueError, match="while_loop: func must return the same number of step outputs at every "
                                         "step, but it returned 1 at step 0 and 2 at step 1"):
        nd.contrib.while_loop(lambda i: i < 3, lambda i: ([i] * (int(i.asscalar()) + 1), i + 1), nd.array([0.]),
                              max_iterations=3)
    for bad in (0, [np.zeros(1)], [nd.array([0.]), [None]]):
        with pytest.raises(TypeError, match="while_loop: loop_vars must be an NDArray or a .nested. list of "
                                            "NDArrays") as info:
            nd.contrib.while_loop(lambda *a: False, lambda *a: (a, a), bad, max_iterations=4)
        assert isinstance(info.value, AssertionError)
    with pytest.raises(TypeError, match="while_loop: the step outputs of func must be an NDArray"):
        nd.contrib.while_loop(lambda x: x < 3, lambda x: (3, x + 1), nd.array([0.]), max_iterations=4)
    with pytest.raises(TypeError, match="while_loop: the loop_vars returned by func must be an NDArray"):
        nd.contrib.while_loop(lambda x: x < 3, lambda x: (x, [1.0]), nd.array([0.]), max_iterations=4)
    with pytest.raises(TypeError, match=r"while_loop: func must return a pair \(step_outputs, new_loop_vars\), but "
                                        r"returned NDArray at step 0"):
        nd.contrib.while_loop(lambda x: x < 3, lambda x: x + 1, nd.array([0.]), max_iterations=4)
    with pytest.raises(TypeError, match="while_loop: cond and func must be callable, but got int and function"):
        nd.contrib.while_loop(3, _func_is, lv, max_iterations=4)


# ------------------------------------------------------------------------------------------------- cond
def test_cond():
    a = nd.array([1., 2.])
    b = nd.array([3.])
    _check(nd.contrib.cond(nd.array([1]), lambda: a * 2, lambda: a + 10), [2, 4])
    _check(nd.contrib.cond(nd.array([0]), lambda: a * 2, lambda: a + 10), [11, 12])
    out = nd.contrib.cond(True, lambda: [a, b], lambda: [b, a])
    assert isinstance(out, list)
    _check(out[0], [1, 2])
    out = nd.contrib.cond(0, lambda: [a, b], lambda: [b, a])
    _check(out[0], [3])
    _check(nd.contrib.cond(nd.array([0.5]), lambda: a, lambda: b), [1, 2])
    _check(nd.contrib.cond(nd.array([-0.0]), lambda: a, lambda: b), [3])
    _check(nd.contrib.cond(nd.array([float("nan")]), lambda: a, lambda: b), [1, 2])
    _check(nd.contrib.cond(a.sum() > 2, lambda: a, lambda: b), [1, 2])
    _check(nd.contrib.cond(None, lambda: a, lambda: b), [3])
    _check(nd.contrib.cond("x", lambda: a, lambda: b), [1, 2])
    # What the branch returns comes back as it is (a tuple stays a tuple, anything goes).
    out = nd.contrib.cond(nd.array([[2]]), lambda: (a, [b]), lambda: b)
    assert isinstance(out, tuple) and isinstance(out[1], list)
    assert nd.contrib.cond(nd.array([1]), lambda: 3, lambda: b) == 3
    assert nd.contrib.cond(nd.array([1]), lambda: None, lambda: b) is None
    # Only the branch taken runs.
    ran = []
    nd.contrib.cond(nd.array([0]), lambda: ran.append("then"), lambda: ran.append("else"))
    assert ran == ["else"]


def test_cond_errors():
    for pred, shape in ((nd.array([1, 1]), r"\(2,\)"), (nd.zeros((0,)), r"\(0,\)")):
        with pytest.raises(ValueError, match=r"cond: pred must be a scalar .* shape %s" % shape):
            nd.contrib.cond(pred, lambda: 1, lambda: 2)
    with pytest.raises(TypeError, match="cond: then_func and else_func must be callable, but got int and function"):
        nd.contrib.cond(nd.array([1]), 3, lambda: 2)


# ------------------------------------------------------------------------------------------------- gradients
def _grads(f, arrays):
    arrays = [nd.array(x) for x in arrays]
    for x in arrays:
        x.attach_grad()
    with mx.autograd.record():
        loss = f(*arrays)
    loss.backward()
    return loss.asnumpy(), [x.grad.asnumpy() for x in arrays]


def _finite_differences(f, values, eps=1e-6):
    """Central differences of the scalar f(*NDArrays) in float64."""
    values = [np.asarray(v, dtype=np.float64) for v in values]
    res = []
    for k, v in enumerate(values):
        g = np.zeros_like(v)
        for idx in np.ndindex(*v.shape):
            vals = []
            for sign in (1, -1):
                pert = [w.copy() for w in values]
                pert[k][idx] += sign * eps
                vals.append(float(f(*[nd.array(w, dtype="float64") for w in pert]).asnumpy().sum()))
            g[idx] = (vals[0] - vals[1]) / (2 * eps)
        res.append(g)
    return res


G1_DATA = np.linspace(-1, 1, 12).reshape(4, 3)
G1_INIT = [0.5, -0.25, 1.0]
G1_W = [0.3, -0.7, 1.1]


def _g1(data, init, w):
    weights = nd.array(np.arange(12).reshape(4, 3) + 1.0, dtype=data.dtype)
    out, st = nd.contrib.foreach(lambda x, s: (nd.tanh(x * w + s), s * 0.5 + x * x), data, init)
    return (out * weights).sum() + (st * st).sum()


def test_foreach_gradient():
    loss, (gd, gi, gw) = _grads(_g1, [G1_DATA, G1_INIT, G1_W])
    # MXNet 1.9.1
    np.testing.assert_allclose(loss, [40.31124496459961], rtol=1e-5)
    np.testing.assert_allclose(gd, [[-9.944281578063965, -17.006053924560547, -4.805784225463867],
                                    [-6.324864387512207, -9.307040214538574, 2.6413044929504395],
                                    [2.468761920928955, 0.3744196891784668, 7.3619818687438965],
                                    [3.6708576679229736, -4.344363212585449, 7.104283809661865]], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(gi, [3.5191917419433594, 6.6154985427856445, 5.819807529449463], rtol=1e-5)
    np.testing.assert_allclose(gw, [3.183631420135498, 7.936211585998535, 1.8002852201461792], rtol=1e-5)
    for got, fd in zip((gd, gi, gw), _finite_differences(_g1, [G1_DATA, G1_INIT, G1_W])):
        np.testing.assert_allclose(got, fd, rtol=1e-4, atol=1e-4)


def test_foreach_gradient_lists():
    def f(a, b, s1, s2):
        out, st = nd.contrib.foreach(
            lambda xs, ss: ([ss[0] * xs[0], [ss[1] + xs[1]]], [ss[0] + xs[0] * xs[1], ss[1] * xs[1]]), [a, b],
            [s1, s2])
        return out[0].sum() + (out[1][0] * 2).sum() + (st[0] * nd.array([1.0, -1.0], dtype=a.dtype)).sum() + \
            st[1].sum() * 3
    values = [np.linspace(0.1, 0.6, 6).reshape(3, 2), [[1.0], [2.0], [-1.0]], [1.0, 2.0], [0.5]]
    loss, (ga, gb, gs1, gs2) = _grads(f, values)
    np.testing.assert_allclose(loss, [8.160000801086426], rtol=1e-5)  # MXNet 1.9.1 from here on
    np.testing.assert_allclose(ga, [[2.8, 2.0], [4.1, 1.4000000953674316], [0.7000000476837158, 4.0]], rtol=1e-5)
    np.testing.assert_allclose(gb, [[2.180000066757202], [1.7899999618530273], [4.900000095367432]], rtol=1e-5)
    np.testing.assert_allclose(gs1, [1.899999976158142, 0.20000003278255463], rtol=1e-5)
    np.testing.assert_allclose(gs2, [2.0], rtol=1e-5)
    for got, fd in zip((ga, gb, gs1, gs2), _finite_differences(f, values)):
        np.testing.assert_allclose(got, fd, rtol=1e-4, atol=1e-4)


def _g3(x, s):
    out, vs = nd.contrib.while_loop(lambda i, s: i < 3, lambda i, s: ([s * s, i * s], [i + 1, s * x + 1]),
                                    [nd.array([0.], dtype=x.dtype), s], max_iterations=5)
    assert out[0].shape == (5, 2) and out[1].shape == (5, 2)
    return (out[0][0:3] * nd.array([[1., 1.], [2., 2.], [3., 3.]], dtype=x.dtype)).sum() + out[1][0:3].sum() + \
        (vs[1] * vs[1]).sum()


def test_while_loop_gradient_ending_early():
    loss, (gx, gs) = _grads(_g3, [[0.5, -1.5], [1.0, 2.0]])
    np.testing.assert_allclose(loss, [114.203125], rtol=1e-5)  # MXNet 1.9.1
    np.testing.assert_allclose(gx, [42.3125, -259.0], rtol=1e-5)
    np.testing.assert_allclose(gs, [9.09375, 106.75], rtol=1e-5)
    for got, fd in zip((gx, gs), _finite_differences(_g3, [[0.5, -1.5], [1.0, 2.0]])):
        np.testing.assert_allclose(got, fd, rtol=1e-4, atol=1e-4)
    # The padding rows take no gradient: a head gradient of ones over all rows.
    x = nd.array([0.5, -1.5])
    x.attach_grad()
    with mx.autograd.record():
        out, _ = nd.contrib.while_loop(lambda i: i < 2, lambda i: (i * x, i + 1), nd.array([1.]), max_iterations=4)
    out.backward(nd.ones((4, 2)))
    _check(out[0:1], [[0.5, -1.5]])
    _check(x.grad, [1, 1])


def test_while_loop_gradient_to_max_iterations():
    def f(x):
        out, vs = nd.contrib.while_loop(lambda v: v < 100, lambda v: (v * v, v * 2 + x),
                                        nd.array([1.0], dtype=x.dtype), max_iterations=3)
        return out.sum() + vs.sum()
    x = nd.array([0.25])
    x.attach_grad()
    with mx.autograd.record():
        out, vs = nd.contrib.while_loop(lambda v: v < 100, lambda v: (v * v, v * 2 + x), nd.array([1.0]),
                                        max_iterations=3)
        loss = out.sum() + vs.sum()
    loss.backward()
    _check(out, [[1.0], [5.0625], [22.5625]])  # MXNet 1.9.1
    _check(vs, [9.75])
    _check(x.grad, [40.0])
    np.testing.assert_allclose(x.grad.asnumpy(), _finite_differences(f, [[0.25]])[0], rtol=1e-5)


def test_cond_gradient():
    # Only the branch taken is recorded (values printed by MXNet 1.9.1).
    for positive, out_ref, ga_ref, gb_ref in (
            (True, [3.0, -4.0], [6.0, -4.0], [1.0, 4.0]),
            (False, [21.08553695678711, 2.3678793907165527], [1.0, 1.0], [20.08553695678711, 0.3678794503211975])):
        a = nd.array([1.0, 2.0])
        b = nd.array([3.0, -1.0])
        a.attach_grad()
        b.attach_grad()
        with mx.autograd.record():
            pred = (a * b).sum() > 0 if positive else (a * b).sum() < 0
            out = nd.contrib.cond(pred, lambda: a * a * b, lambda: nd.exp(b) + a)
            loss = out.sum()
        loss.backward()
        _check(out, out_ref)
        _check(a.grad, ga_ref)
        _check(b.grad, gb_ref)


def test_cond_inside_foreach_gradient():
    def f(d, s0):
        out, st = nd.contrib.foreach(
            lambda x, s: (nd.contrib.cond(x.sum() > 0, lambda: x * s, lambda: x - s), s + x), d, s0)
        return (out * out).sum() + st.sum(), out, st
    d_val = [[-1.0, 2.0], [3.0, -4.0], [0.5, 0.5]]
    d = nd.array(d_val)
    s0 = nd.array([1.0, 1.0])
    d.attach_grad()
    s0.attach_grad()
    with mx.autograd.record():
        loss, out, st = f(d, s0)
    loss.backward()
    _check(out, [[-1.0, 2.0], [3.0, -7.0], [1.5, -0.5]])  # MXNet 1.9.1
    _check(st, [3.5, -0.5])
    _check(d.grad, [[-5.5, 18.5], [8.5, -13.5], [10.0, 2.0]])
    _check(s0.grad, [-1.5, 22.5])
    fd = _finite_differences(lambda a, b: f(a, b)[0], [d_val, [1.0, 1.0]])
    np.testing.assert_allclose(d.grad.asnumpy(), fd[0], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(s0.grad.asnumpy(), fd[1], rtol=1e-4, atol=1e-4)


# ------------------------------------------------------------------------------------------------- symbols, Gluon
class _Cumulative(gluon.HybridBlock):
    def __init__(self, in_units=0, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.dense = gluon.nn.Dense(3, in_units=in_units)

    def hybrid_forward(self, F, x, s):
        def body(xi, st):
            o = self.dense(xi) + st
            return o, o * 0.5
        return F.contrib.foreach(body, x, s)


class _OwnWeight(gluon.HybridBlock):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.w = self.params.get("w", shape=(0,), allow_deferred_init=True)

    def hybrid_forward(self, F, x, w):
        out, _ = F.contrib.foreach(lambda xi, s: (xi * w + s, s + 1), x, x[0] * 0)
        return out


def test_gluon_foreach_not_hybridized():
    for in_units in (2, 0):
        net = _Cumulative(in_units)
        net.initialize(mx.init.Constant(0.1))
        x = nd.array(np.arange(8).reshape(4, 1, 2))
        s = nd.zeros((1, 3))
        with mx.autograd.record():
            out, st = net(x, s)
            loss = out.sum()
        loss.backward()
        # MXNet 1.9.1 (the same hybridized or not)
        _check(out, np.repeat([0.1, 0.55, 1.175, 1.8875], 3).reshape(4, 1, 3))
        _check(st, [[0.94375, 0.94375, 0.94375]])
        _check(net.dense.weight.grad(), [[15.5, 21.625]] * 3)
        net.hybridize()  # the symbolic foreach (tests/test_symbol_control_flow.py): the same values
        with mx.autograd.record():
            out, st = net(x, s)
            loss = out.sum()
        loss.backward()
        _check(out, np.repeat([0.1, 0.55, 1.175, 1.8875], 3).reshape(4, 1, 3))
        _check(st, [[0.94375, 0.94375, 0.94375]])
        _check(net.dense.weight.grad(), [[15.5, 21.625]] * 3)


def test_gluon_foreach_deferred_shapes():
    # A parameter of unknown shape used in the loop: its shape is found by tracing with Symbols, where x[0] is x
    # itself (output 0 of x), so the state is (3, 2) and xi * w + s conflicts: MXNet 1.9.1 fails the same way
    # ("Deferred initialization failed because shape cannot be inferred ... Incompatible attr in node _plus0").
    net = _OwnWeight()
    net.initialize(mx.init.Constant(2.0))
    with pytest.raises(mx.base.MXNetError, match=r"elemwise_add: inputs must have the same shape"):
        net(nd.ones((3, 2)))
    net = _OwnWeight()
    net.w.shape = (2,)
    net.initialize(mx.init.Constant(2.0))
    _check(net(nd.ones((3, 2))), [[2, 2], [3, 3], [4, 4]])
