"""Helpers for writing tests against mxc, under the names MXNet 1.x users know from ``mx.test_utils``.

Comparison (``assert_almost_equal`` with tolerances chosen by dtype), random shapes and arrays, and checks of
symbols: forward values, backward values and gradients against finite differences. Dense storage only.
"""
import numpy as np

from . import context as _context
from .ndarray import NDArray
from . import ndarray as _nd

__all__ = ["default_context", "set_default_context", "default_dtype", "default_rtols", "default_atols",
           "default_numeric_eps", "effective_dtype", "get_tols", "get_rtol", "get_atol", "assert_almost_equal",
           "almost_equal", "assert_almost_equal_ignore_nan", "assert_exception", "same", "rand_shape_2d",
           "rand_shape_3d", "rand_shape_nd", "rand_ndarray", "random_arrays", "np_reduce", "numeric_grad",
           "check_numeric_gradient", "check_symbolic_forward", "check_symbolic_backward", "simple_forward"]


# ---- defaults ---------------------------------------------------------------------------------------------------
def default_context():
    """The context tests run on: mxc's current default context (changed by ``with mx.Context(...)``)."""
    return _context.current_context()


def set_default_context(ctx):
    """Makes ``ctx`` the default context of this thread (what ``default_context()`` and array creation use)."""
    _context.Context._default_ctx.value = ctx


def default_dtype():
    """The dtype of arrays the helpers create when none is given."""
    return np.float32


# relative, absolute tolerance and finite-difference step per floating dtype; integer and bool types compare exactly
_FLOAT_TOLS = {np.dtype(np.float16): (1e-2, 1e-1, 2.0 ** -6),
               np.dtype(np.float32): (1e-4, 1e-3, 2.0 ** -9),
               np.dtype(np.float64): (1e-5, 1e-20, 2.0 ** -14)}
_EXACT_TYPES = [np.bool_, np.int8, np.uint8, np.int32, np.uint32, np.int64, np.uint64]


def _tol_table(column):
    table = {dt: vals[column] for dt, vals in _FLOAT_TOLS.items()}
    table.update({np.dtype(t): 0 for t in _EXACT_TYPES})
    return table


def default_rtols():
    """Default relative tolerance by dtype."""
    return _tol_table(0)


def default_atols():
    """Default absolute tolerance by dtype."""
    return _tol_table(1)


def default_numeric_eps():
    """Default finite-difference step of check_numeric_gradient by floating dtype."""
    return {dt: vals[2] for dt, vals in _FLOAT_TOLS.items()}


def effective_dtype(dat):
    """The dtype whose precision the values of ``dat`` (NDArray, NumPy array or scalar) have."""
    return np.dtype(getattr(dat, "dtype", None) or np.asarray(dat).dtype)


def _default_tol(dtype, column):
    dtype = np.dtype(dtype)
    if dtype in _FLOAT_TOLS:
        return _FLOAT_TOLS[dtype][column]
    return 0


def get_rtol(rtol=None, dtype=np.dtype(np.float64)):
    """``rtol`` when given, else the default for ``dtype``."""
    return _default_tol(dtype, 0) if rtol is None else rtol


def get_atol(atol=None, dtype=np.dtype(np.float64)):
    """``atol`` when given, else the default for ``dtype``."""
    return _default_tol(dtype, 1) if atol is None else atol


def get_tols(x, y, rtol, atol):
    """(rtol, atol) for comparing x with y: the given values, else the looser default of the two dtypes."""
    kinds = [effective_dtype(x), effective_dtype(y)]
    if rtol is None:
        rtol = max(_default_tol(k, 0) for k in kinds)
    if atol is None:
        atol = max(_default_tol(k, 1) for k in kinds)
    return rtol, atol


# ---- comparing ----------------------------------------------------------------------------------------------------
def _host(x):
    """A NumPy view of an NDArray, NumPy array or Python/NumPy scalar."""
    if isinstance(x, NDArray):
        return x.asnumpy()
    return np.asarray(x)


def almost_equal(a, b, rtol=None, atol=None, equal_nan=False, use_broadcast=True):
    """True when every ``|a - b| <= atol + rtol * |b|`` (tolerances as in assert_almost_equal)."""
    an, bn = _host(a), _host(b)
    rtol, atol = get_tols(an, bn, rtol, atol)
    if not use_broadcast and an.shape != bn.shape:
        return False
    return bool(np.allclose(an, bn, rtol=rtol, atol=atol, equal_nan=equal_nan))


def _brief(x):
    """An array as its repr with only the ends of long rows shown (3 per side), cut after three lines."""
    body = np.array2string(x, precision=8, separator=", ", prefix="array(", threshold=4, edgeitems=3,
                           suppress_small=True)
    implicit = x.dtype in (np.dtype(np.float64), np.dtype(int), np.dtype(bool)) and x.size > 0
    text = "array(%s%s)" % (body, "" if implicit else ", dtype=%s" % x.dtype)
    lines = text.split("\n")
    return text if len(lines) <= 3 else "\n".join(lines[:3]) + "..."


def _failure(an, bn, detail):
    """The AssertionError of a failed comparison: the finding, then both arrays."""
    head = "\nItems are not equal:"
    head += (" " + detail) if "\n" not in detail else "\n" + detail
    return AssertionError("%s\n ACTUAL: %s\n DESIRED: %s" % (head, _brief(an), _brief(bn)))


def _shape_failure(an, bn, names):
    return _failure(an, bn, "%s.shape = %s and %s.shape = %s are not equal" % (names[0], an.shape, names[1],
                                                                               bn.shape))


def assert_almost_equal(a, b, rtol=None, atol=None, names=('a', 'b'), equal_nan=False, use_broadcast=True,
                        mismatches=(10, 10)):
    """Asserts ``|a - b| <= atol + rtol * |b|`` elementwise (NDArrays, NumPy arrays or scalars, broadcast).

    rtol/atol default by dtype (float16 1e-2/1e-1, float32 1e-4/1e-3, float64 1e-5/1e-20, integers exact; the
    looser of the two inputs). On failure the worst elements are printed (at most ``mismatches[0]``, counting
    stops after ``mismatches[1]``) and the AssertionError names the largest error, its location and both values.
    """
    an, bn = _host(a), _host(b)
    rtol, atol = get_tols(an, bn, rtol, atol)
    if not use_broadcast and an.shape != bn.shape:
        raise _shape_failure(an, bn, names)
    if np.allclose(an, bn, rtol=rtol, atol=atol, equal_nan=equal_nan):
        return
    # the error is computed in the inputs' own floating precision (integers and bools in float64)
    af, bf = [x if x.dtype.kind in "fc" else x.astype(np.float64) for x in np.broadcast_arrays(an, bn)]
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        error = np.abs(af - bf) / (atol + rtol * np.abs(bf) + 1e-20)
        bad = ~(error <= 1)
    order = np.argsort(-np.where(np.isnan(error), np.inf, error), axis=None, kind="stable")
    n_bad = int(bad.sum())
    cap = mismatches[1]
    shown = min(mismatches[0], n_bad, cap if cap > 0 else n_bad)

    def where(flat):
        loc = tuple(int(i) for i in np.unravel_index(flat, error.shape))
        return loc, "%s, %s=%.8f, %s=%.8f" % (loc, names[0], af[loc], names[1], bf[loc])

    print("\n*** Maximum errors for vector of size %d:  rtol=%s, atol=%s\n" % (error.size, rtol, atol))
    for rank in range(shown):
        loc, text = where(order[rank])
        print("%3d: Error %f  Location of error: %s" % (rank + 1, error[loc], text))
    if cap > 0 and n_bad > cap:
        share = "at least %f%%" % (100.0 * (cap + 1) / error.size)
    else:
        share = "%f%%" % (100.0 * n_bad / error.size)
    loc, text = where(order[0])
    detail = "Error %f exceeds tolerance rtol=%e, atol=%e (mismatch %s).\nLocation of maximum error: %s" % (
        error[loc], rtol, atol, share, text)
    raise _failure(an, bn, detail)


def assert_almost_equal_ignore_nan(a, b, rtol=None, atol=None, names=('a', 'b')):
    """assert_almost_equal after zeroing every position where either side is NaN."""
    an, bn = np.array(_host(a)), np.array(_host(b))
    an, bn = np.broadcast_arrays(an, bn)
    an, bn = an.copy(), bn.copy()
    holes = np.isnan(an) | np.isnan(bn)
    an[holes] = 0
    bn[holes] = 0
    assert_almost_equal(an, bn, rtol, atol, names)


def same(a, b):
    """True when a and b have the same shape and exactly equal values (NDArrays are compared by value)."""
    return bool(np.array_equal(_host(a), _host(b)))


def assert_exception(f, exception_type, *args, **kwargs):
    """Asserts that ``f(*args, **kwargs)`` raises ``exception_type`` (other exceptions propagate)."""
    try:
        f(*args, **kwargs)
    except exception_type:
        return
    raise AssertionError("%s was not raised" % getattr(exception_type, "__name__", exception_type))


# ---- random shapes and data ---------------------------------------------------------------------------------------
def rand_shape_nd(num_dim, dim=10, allow_zero_size=False):
    """A random shape of ``num_dim`` dimensions, each in [1, dim] ([0, dim] with allow_zero_size)."""
    low = int(not allow_zero_size)
    return tuple(int(n) for n in np.random.randint(low, dim + 1, size=num_dim))


def rand_shape_2d(dim0=10, dim1=10, allow_zero_size=False):
    """A random 2-d shape with sides at most dim0, dim1."""
    low = int(not allow_zero_size)
    return int(np.random.randint(low, dim0 + 1)), int(np.random.randint(low, dim1 + 1))


def rand_shape_3d(dim0=10, dim1=10, dim2=10, allow_zero_size=False):
    """A random 3-d shape with sides at most dim0, dim1, dim2."""
    low = int(not allow_zero_size)
    return tuple(int(np.random.randint(low, d + 1)) for d in (dim0, dim1, dim2))


def rand_ndarray(shape, stype='default', density=None, dtype=None, modifier_func=None, shuffle_csr_indices=False,
                 distribution=None, ctx=None):
    """A dense NDArray of standard-normal values (NumPy's random state) cast to ``dtype`` (default float32).

    Only stype='default' exists in mxc: 'csr' and 'row_sparse' raise NotImplementedError; ``density``,
    ``distribution`` and ``shuffle_csr_indices`` concern sparse arrays and are ignored."""
    if stype in ("csr", "row_sparse"):
        raise NotImplementedError("rand_ndarray: mxc has no sparse storage (stype=%r); only stype='default' is "
                                  "supported" % (stype,))
    if stype != "default":
        raise AssertionError("unknown storage type")
    values = np.random.normal(size=shape)
    if modifier_func and values.size:
        values = np.vectorize(modifier_func)(values)
    dtype = dtype or default_dtype()
    return _nd.array(np.asarray(values).astype(dtype), ctx=ctx or default_context(), dtype=dtype)


def random_arrays(*shapes):
    """Standard-normal NumPy arrays of default_dtype(): one array for one shape, else a list."""
    made = [np.asarray(np.random.randn(*s), dtype=default_dtype()) for s in shapes]
    return made[0] if len(made) == 1 else made


def np_reduce(dat, axis, keepdims, numpy_reduce_func):
    """Reduces ``dat`` over ``axis`` (int, sequence or None for all) one axis at a time with
    ``numpy_reduce_func(x, axis=k, keepdims=True)``, dropping the reduced axes unless ``keepdims``."""
    if axis is None:
        axes = list(range(dat.ndim))
    elif isinstance(axis, int):
        axes = [axis]
    else:
        axes = list(axis)
    axes = sorted({a % dat.ndim for a in axes}) if dat.ndim else []
    out = dat
    for a in axes:
        out = numpy_reduce_func(out, axis=a, keepdims=True)
    if not keepdims:
        out = np.squeeze(out, axis=tuple(axes)) if axes else out
    return out


# ---- symbols and executors -----------------------------------------------------------------------------------------
def _by_name(what, values, names, allow_subset=False):
    """A dict name -> value from a list in ``names`` order or a dict keyed by those names."""
    if values is None:
        return {}
    if isinstance(values, dict):
        unknown = [k for k in values if k not in names]
        missing = [n for n in names if n not in values]
        if unknown or (missing and not allow_subset):
            raise ValueError("%s: names %s do not match the symbol's %s" % (what, sorted(values), list(names)))
        return dict(values)
    values = list(values)
    if len(values) != len(names):
        raise ValueError("%s: %d values given for the %d names %s" % (what, len(values), len(names), list(names)))
    return dict(zip(names, values))


def _to_device(value, ctx, dtype):
    if isinstance(value, NDArray):
        return value.copyto(ctx) if value.context != ctx else value
    return _nd.array(np.asarray(value).astype(dtype), ctx=ctx, dtype=dtype)


def _bind_for_check(sym, location, aux_states, ctx, dtype, grad_req):
    """Binds ``sym`` to copies of ``location``/``aux_states`` on ctx; gradient arrays exist where grad_req is not
    'null'. Returns the executor."""
    arg_names = sym.list_arguments()
    args = {k: _to_device(v, ctx, dtype) for k, v in _by_name("location", location, arg_names).items()}
    aux = {k: _to_device(v, ctx, dtype)
           for k, v in _by_name("aux_states", aux_states, sym.list_auxiliary_states()).items()}
    grads = {k: _nd.zeros(args[k].shape, ctx=ctx, dtype=args[k].dtype)
             for k in arg_names if grad_req.get(k, "null") != "null"}
    reqs = {k: grad_req.get(k, "null") for k in arg_names}
    return sym.bind(ctx, args=args, args_grad=grads, grad_req=reqs, aux_states=aux or None)


def _check_ctx(ctx):
    return default_context() if ctx is None else ctx


def _req_dict(grad_req, names):
    if isinstance(grad_req, dict):
        return {n: grad_req.get(n, "null") for n in names}
    if isinstance(grad_req, (list, tuple)):
        return dict(zip(names, grad_req))
    return dict.fromkeys(names, grad_req)


def _finite_differences(executor, location, aux_states, eps, use_forward_train, dtype, weights):
    """d/dx of sum_i <outputs[i], weights[i]> (plain sum when weights is None) by central differences of half-step
    eps/2 around each element of each array in ``location`` (name -> NumPy)."""
    aux_saved = {k: _host(v).copy() for k, v in (aux_states or {}).items()}

    def objective():
        for k, v in aux_saved.items():
            executor.aux_dict[k][:] = v
        outs = executor.forward(is_train=use_forward_train)
        total = 0.0
        for i, o in enumerate(outs):
            host = o.asnumpy().astype(np.float64)
            total += float(np.sum(host if weights is None else host * weights[i]))
        return total

    grads = {}
    for name, value in location.items():
        target = executor.arg_dict[name]
        point = np.array(_host(value), dtype=dtype)
        grad = np.zeros(point.shape, dtype=np.float64)
        flat = point.reshape(-1)
        for i in range(flat.size):
            centre = flat[i]
            flat[i] = centre + dtype(eps / 2.0)
            upper_x = float(flat[i])
            target[:] = point
            upper = objective()
            flat[i] = centre - dtype(eps / 2.0)
            lower_x = float(flat[i])
            target[:] = point
            lower = objective()
            flat[i] = centre
            step = upper_x - lower_x
            grad.reshape(-1)[i] = (upper - lower) / step if step else 0.0
        target[:] = point
        grads[name] = grad.astype(dtype)
    return grads


def numeric_grad(executor, location, aux_states=None, eps=1e-4, use_forward_train=True, dtype=np.float32):
    """Finite-difference gradient of the sum of all outputs of ``executor`` at ``location`` (dict name -> array, or
    a list in argument order). Returns a dict name -> NumPy array of ``dtype``; leaves the arguments at
    ``location``."""
    dtype = np.dtype(dtype).type
    location = _by_name("location", location, executor._symbol.list_arguments(), allow_subset=True)
    for name, value in location.items():
        executor.arg_dict[name][:] = np.asarray(_host(value), dtype=dtype)
    if aux_states:
        aux_states = _by_name("aux_states", aux_states, executor._symbol.list_auxiliary_states())
    return _finite_differences(executor, location, aux_states, eps, use_forward_train, dtype, None)


def check_numeric_gradient(sym, location, aux_states=None, numeric_eps=None, rtol=None, atol=None,
                           grad_nodes=None, use_forward_train=True, ctx=None, grad_stype_dict=None,
                           dtype=np.float32):
    """Compares the gradients computed by ``sym``'s backward with finite differences.

    The outputs are projected on random weights (the head gradients of backward), so every output element
    contributes. location / aux_states: lists in argument order or dicts; grad_nodes: the arguments to check (a
    list, or a dict name -> grad_req; default all). Raises AssertionError naming NUMERICAL_<arg> and
    BACKWARD_<arg> on a mismatch."""
    if grad_stype_dict:
        raise NotImplementedError("check_numeric_gradient: mxc has no sparse gradients (grad_stype_dict)")
    ctx = _check_ctx(ctx)
    dtype = np.dtype(dtype).type
    arg_names = sym.list_arguments()
    location = {k: np.asarray(_host(v), dtype=dtype) for k, v in _by_name("location", location, arg_names).items()}
    if aux_states:
        aux_states = {k: np.asarray(_host(v), dtype=dtype)
                      for k, v in _by_name("aux_states", aux_states, sym.list_auxiliary_states()).items()}
    if grad_nodes is None:
        reqs = {k: "write" for k in arg_names}
    elif hasattr(grad_nodes, "get"):
        reqs = {k: grad_nodes.get(k, "null") for k in arg_names}
    else:
        reqs = {k: ("write" if k in grad_nodes else "null") for k in arg_names}
    if numeric_eps is None:
        numeric_eps = default_numeric_eps()[np.dtype(dtype)]
    exe = _bind_for_check(sym, location, aux_states, ctx, dtype, reqs)
    exe.forward(is_train=use_forward_train)
    weights = [np.random.uniform(0.5, 1.5, size=o.shape) for o in exe.outputs]
    before = {}
    for k, g in exe.grad_dict.items():
        if g is not None and reqs[k] == "add":
            before[k] = np.random.normal(size=g.shape).astype(dtype)
            g[:] = before[k]
    exe.backward([_nd.array(w.astype(dtype), ctx=ctx, dtype=dtype) for w in weights])
    symbolic = {k: g.asnumpy() - before.get(k, 0) for k, g in exe.grad_dict.items()
                if g is not None and reqs[k] != "null"}
    numeric = _finite_differences(exe, {k: location[k] for k in symbolic}, aux_states, numeric_eps,
                                  use_forward_train, dtype, weights)
    for name in arg_names:
        if name in symbolic:
            assert_almost_equal(numeric[name], symbolic[name].astype(dtype), rtol, atol,
                                names=("NUMERICAL_%s" % name, "BACKWARD_%s" % name))


def check_symbolic_forward(sym, location, expected, rtol=None, atol=None, aux_states=None, ctx=None,
                           equal_nan=False, dtype=np.float32):
    """Runs ``sym`` forward (inference) at ``location`` and compares each output with ``expected`` (a list in
    output order or a dict by output name). Returns the outputs (NDArrays)."""
    ctx = _check_ctx(ctx)
    exe = _bind_for_check(sym, location, aux_states, ctx, np.dtype(dtype).type, {})
    outputs = exe.forward(is_train=False)
    out_names = sym.list_outputs()
    wanted = _by_name("expected", expected, out_names, allow_subset=isinstance(expected, dict))
    for name, out in zip(out_names, outputs):
        if name in wanted:
            assert_almost_equal(wanted[name], out, rtol, atol, names=("EXPECTED_%s" % name, "FORWARD_%s" % name),
                                equal_nan=equal_nan)
    return outputs


def check_symbolic_backward(sym, location, out_grads, expected, rtol=None, atol=None, aux_states=None,
                            grad_req='write', ctx=None, grad_stypes=None, equal_nan=False, dtype=np.float32):
    """Runs ``sym`` forward (training) and backward with head gradients ``out_grads`` (list, dict by output name
    or None) and compares the argument gradients with ``expected`` (a list in argument order or a dict for some
    arguments). grad_req: 'write', 'add' (accumulates onto random values, which are accounted for) or 'null', as
    a string, list or dict. Returns a dict name -> gradient NDArray for the arguments in ``expected``."""
    if grad_stypes:
        raise NotImplementedError("check_symbolic_backward: mxc has no sparse gradients (grad_stypes)")
    ctx = _check_ctx(ctx)
    dtype = np.dtype(dtype).type
    arg_names = sym.list_arguments()
    reqs = _req_dict(grad_req, arg_names)
    wanted = _by_name("expected", expected, arg_names, allow_subset=isinstance(expected, dict))
    exe = _bind_for_check(sym, location, aux_states, ctx, dtype, reqs)
    before = {}
    for k, g in exe.grad_dict.items():
        if g is not None and reqs[k] == "add":
            before[k] = np.random.normal(size=g.shape).astype(g.dtype)
            g[:] = before[k]
    exe.forward(True)
    if out_grads is not None:
        out_grads = _by_name("out_grads", out_grads, sym.list_outputs())
        out_grads = [_to_device(out_grads[n], ctx, dtype) for n in sym.list_outputs()]
    exe.backward(out_grads)
    got = {}
    for name in arg_names:
        if name not in wanted:
            continue
        grad = exe.grad_dict.get(name)
        got[name] = grad if grad is not None else _nd.zeros(exe.arg_dict[name].shape, ctx=ctx,
                                                               dtype=exe.arg_dict[name].dtype)
        if grad is not None:
            want = _host(wanted[name])
            if name in before:
                want = want + before[name]
            assert_almost_equal(want, got[name], rtol, atol, names=("EXPECTED_%s" % name, "BACKWARD_%s" % name),
                                equal_nan=equal_nan)
    return got


def simple_forward(sym, ctx=None, is_train=False, **inputs):
    """Binds ``sym`` to the NumPy ``inputs`` (by argument name), runs forward and returns the output as NumPy (a
    list when there are several)."""
    ctx = _check_ctx(ctx)
    args = {k: v.as_in_context(ctx) if isinstance(v, NDArray) else _nd.array(v, ctx=ctx) for k, v in inputs.items()}
    exe = sym.bind(ctx, args=args, grad_req="null")
    outs = [o.asnumpy() for o in exe.forward(is_train=is_train)]
    return outs[0] if len(outs) == 1 else outs


# the rest of MXNet's helpers (consistency, statistics, MNIST, optimizers, environment, matrices)
from ._test_utils_more import *  # noqa: E402,F401,F403
from ._test_utils_more import __all__ as _more_all  # noqa: E402

__all__ += _more_all
from ._test_utils_api import *  # noqa: E402,F401,F403
from ._test_utils_api import __all__ as _api_all  # noqa: E402

__all__ += _api_all
