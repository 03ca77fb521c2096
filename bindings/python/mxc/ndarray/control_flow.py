"""Imperative control flow: ``mx.nd.contrib.foreach``, ``mx.nd.contrib.while_loop`` and ``mx.nd.contrib.cond``
(MXNet 1.9.1's NDArray versions).

They run the Python functions they are given step by step on NDArrays, so under ``mx.autograd.record()`` every
operation of every step is recorded and ``backward()`` goes through the whole loop (the per-step outputs are joined
with ``stack``/``concat``, which are recorded too). Structures follow MXNet: ``data``, states and loop variables
are an NDArray or (nested) lists/tuples of NDArrays; an output given as one NDArray comes back as one NDArray, a
(nested) list or tuple comes back as a (nested) list.

The symbolic versions (``mx.sym.contrib.foreach`` ...) make MXNet's subgraph operators ``_foreach``,
``_while_loop`` and ``_cond`` (see ``mxc.symbol.control_flow``).
"""
from ..base import MXNetTypeError, MXNetValueError, ShapeError

__all__ = ["foreach", "while_loop", "cond"]


class ControlFlowTypeError(MXNetTypeError, AssertionError):
    """An argument of foreach/while_loop/cond (or a value returned by the functions they call) is not an NDArray
    or a (nested) list of NDArrays. Also an AssertionError, which is what MXNet 1.9.1 raises there."""


def _nd_class():
    from .ndarray import NDArray
    return NDArray


def _describe(value):
    """Short text for an argument in an error message (shapes, not values, of NDArrays)."""
    NDArray = _nd_class()
    if isinstance(value, NDArray):
        return "NDArray%s" % (value.shape,)
    if isinstance(value, (list, tuple)):
        text = ", ".join(_describe(v) for v in value)
        return "[%s]" % text if isinstance(value, list) else "(%s%s)" % (text, "," if len(value) == 1 else "")
    text = " ".join(repr(value).split())
    return (text if len(text) <= 60 else text[:57] + "...") + " of type " + type(value).__name__


def _flatten(value, fname, what):
    """(list of the NDArrays of ``value`` in order, its layout: 0 for one NDArray, else a list of the layouts of
    the items)."""
    NDArray = _nd_class()
    if isinstance(value, NDArray):
        return [value], 0
    if not isinstance(value, (list, tuple)):
        raise ControlFlowTypeError("%s: %s must be an NDArray or a (nested) list of NDArrays, but got %s"
                                   % (fname, what, _describe(value)))
    flat, layout = [], []
    for item in value:
        f, lay = _flatten(item, fname, what)
        flat.extend(f)
        layout.append(lay)
    return flat, layout


def _regroup(flat, layout):
    """Rebuilds the structure ``layout`` (from _flatten) from the NDArrays ``flat`` (lists for the lists and
    tuples)."""
    pos = [0]

    def build(lay):
        if isinstance(lay, int):
            pos[0] += 1
            return flat[pos[0] - 1]
        return [build(sub) for sub in lay]
    return build(layout)


def _stack_steps(fname, index, items, pad_to=None):
    """The per-step NDArrays ``items`` (one output of every step) stacked along a new axis 0, followed by zeros up
    to ``pad_to`` rows; a clear error when their shapes or types differ."""
    import numpy as np
    from . import stack, concat, zeros
    first = items[0]
    for step, x in enumerate(items):
        if x.shape != first.shape or x.dtype != first.dtype:
            raise ShapeError("%s: output %d must have the same shape and type at every step, but step 0 gave %s %s "
                             "and step %d gave %s %s" % (fname, index, first.shape, np.dtype(first.dtype).name,
                                                         step, x.shape, np.dtype(x.dtype).name))
    res = stack(*items, axis=0)
    if pad_to is not None and pad_to > len(items):
        pad = zeros((pad_to - len(items),) + tuple(first.shape), ctx=first.context, dtype=first.dtype)
        res = concat(res, pad, dim=0)
    return res


def _scalar(value, fname, what):
    """A Python scalar from an NDArray of one element (read now: a wait), other values as they are."""
    NDArray = _nd_class()
    if isinstance(value, NDArray):
        if value.size != 1:
            raise MXNetValueError("%s: %s must be a scalar (an NDArray of one element or a Python value), but got an "
                                  "NDArray of shape %s" % (fname, what, value.shape))
        return value.asnumpy().reshape(()).item()
    return value


def foreach(body, data, init_states):
    """Runs ``body`` over the slices of ``data`` along axis 0, carrying states (MXNet's ``contrib.foreach``)::

        states = init_states
        for i in range(len(data)):
            out_i, states = body(data[i], states)
        return stack(out_0, out_1, ...), states

    Parameters
    ----------
    body : callable ``(data_slice, states) -> (outputs, new_states)``
        ``data_slice`` is ``data[i]`` (an NDArray), or the list ``[d[i] for d in data]`` when ``data`` is a list;
        ``states`` is ``init_states`` at the first step and the ``new_states`` of the previous step after.
        ``outputs`` is an NDArray or a (nested) list of NDArrays, of the same shapes at every step.
    data : NDArray or list of NDArrays
        The sequences, all of the same length along axis 0 (at least 1).
    init_states : NDArray or (nested) list of NDArrays
        The states given to the first step.

    Returns
    -------
    outputs : NDArray or (nested) list of NDArrays
        Every output of ``body`` stacked over the steps (shape ``(len(data),) + the step's shape``), in the
        structure ``body`` returned them (one NDArray, or lists).
    states : the states returned by the last step, as ``body`` returned them.
    """
    NDArray = _nd_class()
    if not callable(body):
        raise MXNetTypeError("foreach: body must be callable, but got %s" % type(body).__name__)
    seqs, _ = _flatten(data, "foreach", "data")
    if not isinstance(data, NDArray) and any(not isinstance(d, NDArray) for d in data):
        raise ControlFlowTypeError("foreach: data must be an NDArray or a list of NDArrays (not nested), but got %s"
                                   % _describe(data))
    _flatten(init_states, "foreach", "init_states")
    if not seqs:
        raise MXNetValueError("foreach: data is an empty list; it must hold at least one NDArray")
    for d in seqs:
        if d.ndim == 0:
            raise ShapeError("foreach: every array of data must have an axis 0 to iterate over, but got shape %s"
                             % (d.shape,))
    num = seqs[0].shape[0]
    if any(d.shape[0] != num for d in seqs):
        raise ShapeError("foreach: every array of data must have the same length along axis 0, but the shapes are %s"
                         % ", ".join(str(d.shape) for d in seqs))
    if num == 0:
        raise MXNetValueError("foreach: data has length 0 along axis 0 (shapes %s); at least one step is needed to "
                              "know the outputs" % ", ".join(str(d.shape) for d in seqs))
    single = isinstance(data, NDArray)
    states = init_states
    steps = []
    layout = None
    for i in range(num):
        result = body(data[i] if single else [d[i] for d in seqs], states)
        if not isinstance(result, (list, tuple)) or len(result) != 2:
            raise MXNetTypeError("foreach: body must return a pair (outputs, new_states), but returned %s at step %d"
                                 % (type(result).__name__, i))
        outs, states = result
        flat, layout = _flatten(outs, "foreach", "the outputs of body")
        _flatten(states, "foreach", "the states returned by body")
        if steps and len(flat) != len(steps[0]):
            raise MXNetValueError("foreach: body must return the same number of outputs at every step, but it "
                                  "returned %d at step 0 and %d at step %d" % (len(steps[0]), len(flat), i))
        steps.append(flat)
    stacked = [_stack_steps("foreach", k, [s[k] for s in steps]) for k in range(len(steps[0]))]
    return _regroup(stacked, layout), states


def while_loop(cond, func, loop_vars, max_iterations=None):
    """Runs ``func`` while ``cond`` holds, at most ``max_iterations`` times (MXNet's ``contrib.while_loop``)::

        steps = 0
        while steps < max_iterations and cond(*loop_vars):
            out_i, loop_vars = func(*loop_vars)
            steps += 1
        return concat(out_0, out_1, ..., padding up to max_iterations rows), loop_vars

    Parameters
    ----------
    cond : callable ``(*loop_vars) -> scalar``
        An NDArray of one element or a Python value, read as a bool (a wait on the NDArray).
    func : callable ``(*loop_vars) -> (step_outputs, new_loop_vars)``
        ``step_outputs`` (None, an NDArray or a (nested) list of NDArrays, the same number with the same shapes at
        every step) and ``new_loop_vars`` (as many as ``loop_vars``; None for none).
    loop_vars : NDArray or (nested) list of NDArrays, at least one
    max_iterations : int (or an NDArray of one element), required

    Returns
    -------
    outputs : NDArray or (nested) list of NDArrays
        Every step output stacked over the steps, with ``max_iterations`` rows: the rows past the last step are
        padding (MXNet leaves them undefined; here they are zeros and take no gradient). ``[]`` when no step ran
        or ``func`` returned no output.
    loop_vars : the last loop variables: one NDArray when ``loop_vars`` was one NDArray, else a list (``loop_vars``
        itself when no step ran).
    """
    NDArray = _nd_class()
    if not callable(cond) or not callable(func):
        raise MXNetTypeError("while_loop: cond and func must be callable, but got %s and %s"
                             % (type(cond).__name__, type(func).__name__))
    if max_iterations is None:
        raise MXNetValueError("while_loop: max_iterations must be given (the outputs have max_iterations rows)")
    try:
        max_iterations = int(_scalar(max_iterations, "while_loop", "max_iterations"))
    except (TypeError, ValueError) as err:
        if isinstance(err, MXNetValueError):
            raise
        raise MXNetValueError("while_loop: max_iterations must be an integer (or an NDArray of one element), but "
                              "got %r" % (max_iterations,)) from None
    if not isinstance(loop_vars, (NDArray, list, tuple)):
        raise ControlFlowTypeError("while_loop: loop_vars must be an NDArray or a (nested) list of NDArrays, but got "
                                   "%s" % _describe(loop_vars))
    if isinstance(loop_vars, (list, tuple)) and len(loop_vars) == 0:
        raise MXNetValueError("while_loop: loop_vars must contain at least one element")
    _flatten(loop_vars, "while_loop", "loop_vars")
    single = isinstance(loop_vars, NDArray)
    current = [loop_vars] if single else loop_vars
    steps = []
    layout = None
    while len(steps) < max_iterations and \
            bool(_scalar(cond(*current), "while_loop", "the value returned by cond")):
        result = func(*current)
        if not isinstance(result, (list, tuple)) or len(result) != 2:
            raise MXNetTypeError("while_loop: func must return a pair (step_outputs, new_loop_vars), but returned %s "
                                 "at step %d" % (type(result).__name__, len(steps)))
        outs, new_vars = result
        outs = [] if outs is None else outs
        new_vars = [] if new_vars is None else new_vars
        new_vars = [new_vars] if isinstance(new_vars, NDArray) else list(new_vars)
        if len(new_vars) != len(current):
            raise MXNetValueError("while_loop: func must return as many loop_vars as it takes (%d), but returned %d at "
                                  "step %d" % (len(current), len(new_vars), len(steps)))
        _flatten(new_vars, "while_loop", "the loop_vars returned by func")
        flat, layout = _flatten(outs, "while_loop", "the step outputs of func")
        if steps and len(flat) != len(steps[0]):
            raise MXNetValueError("while_loop: func must return the same number of step outputs at every step, but "
                                  "it returned %d at step 0 and %d at step %d" % (len(steps[0]), len(flat), len(steps)))
        steps.append(flat)
        current = new_vars
    if not steps:
        stacked = []
    else:
        stacked = [_stack_steps("while_loop", k, [s[k] for s in steps], pad_to=max_iterations)
                   for k in range(len(steps[0]))]
        stacked = _regroup(stacked, layout)
    return stacked, (current[0] if single else current)


def cond(pred, then_func, else_func):
    """``then_func()`` if ``pred`` is true, else ``else_func()`` (MXNet's ``contrib.cond``); only the branch taken
    runs, so only it is recorded by autograd.

    Parameters
    ----------
    pred : NDArray of one element, or a Python value
        Read as a bool (a wait on the NDArray).
    then_func, else_func : callables without arguments

    Returns
    -------
    What the branch taken returns.
    """
    if not callable(then_func) or not callable(else_func):
        raise MXNetTypeError("cond: then_func and else_func must be callable, but got %s and %s"
                             % (type(then_func).__name__, type(else_func).__name__))
    if bool(_scalar(pred, "cond", "pred")):
        return then_func()
    return else_func()
