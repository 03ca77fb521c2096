"""Imperative automatic differentiation, as MXNet 1.x's ``mxnet.autograd``.

    x = mx.nd.array([1, 2, 3])
    x.attach_grad()
    with mx.autograd.record():
        y = (x * x).sum()
    y.backward()
    x.grad            # [2, 4, 6]

While recording, every operator call with an input in the graph (a variable marked by ``attach_grad`` or
``mark_variables``, or an array computed from one while recording) is kept by the library with what its gradient
needs; ``backward`` runs the gradient kernels of the recorded calls in reverse order. Recording and training flags are
per thread, as in MXNet.
"""
from .base import ffi, lib, check_call

__all__ = ["record", "pause", "train_mode", "predict_mode", "is_recording", "is_training", "set_recording",
           "set_training", "mark_variables", "backward", "grad", "Function"]

_GRAD_REQ = {"null": lib.MXC_GRAD_NULL, "write": lib.MXC_GRAD_WRITE, "add": lib.MXC_GRAD_ADD}


def set_recording(is_recording):
    """Turns recording on or off for this thread; returns the previous state."""
    prev = ffi.new("int *")
    check_call(lib.MXCAutogradSetIsRecording(1 if is_recording else 0, prev))
    return bool(prev[0])


def set_training(train_mode):
    """Sets the training mode of this thread (Dropout, BatchNorm); returns the previous state."""
    prev = ffi.new("int *")
    check_call(lib.MXCAutogradSetIsTraining(1 if train_mode else 0, prev))
    return bool(prev[0])


def is_recording():
    """Whether operator calls on this thread are being recorded."""
    r = ffi.new("int *")
    check_call(lib.MXCAutogradIsRecording(r))
    return bool(r[0])


def is_training():
    """Whether operators called on this thread run in training mode."""
    r = ffi.new("int *")
    check_call(lib.MXCAutogradIsTraining(r))
    return bool(r[0])


class _RecordingStateScope(object):
    """Sets recording and training flags on entry (None: left as is) and restores the previous ones on exit."""

    def __init__(self, is_record, train_mode):
        self._enter_record = is_record
        self._enter_train = train_mode
        self._prev_record = None
        self._prev_train = None

    def __enter__(self):
        if self._enter_record is not None:
            self._prev_record = set_recording(self._enter_record)
            if self._enter_record and not self._prev_record:
                # a new recording: the sparse_grad lookups of earlier ones that no backward used are dropped
                from .ndarray import sparse as _sparse
                _sparse._LOOKUPS.clear()
        if self._enter_train is not None:
            self._prev_train = set_training(self._enter_train)
        return self

    def __exit__(self, *exc):
        if self._enter_record is not None and self._prev_record != self._enter_record:
            set_recording(self._prev_record)
        if self._enter_train is not None and self._prev_train != self._enter_train:
            set_training(self._prev_train)
        return False


def record(train_mode=True):
    """A scope that records operator calls for ``backward``; operators run in training mode unless
    ``train_mode=False``."""
    return _RecordingStateScope(True, train_mode)


def pause(train_mode=False):
    """A scope inside ``record`` whose calls are not recorded (prediction mode unless ``train_mode=True``)."""
    return _RecordingStateScope(False, train_mode)


def train_mode():
    """A scope in which operators run in training mode (recording unchanged)."""
    return _RecordingStateScope(None, True)


def predict_mode():
    """A scope in which operators run in prediction mode (recording unchanged)."""
    return _RecordingStateScope(None, False)


def _as_list(x):
    from .ndarray import NDArray
    if isinstance(x, NDArray):
        return [x], True
    return list(x), False


def _handles(arrays, what):
    from .ndarray import NDArray
    for a in arrays:
        if not isinstance(a, NDArray):
            raise TypeError("%s must be NDArrays, got %s" % (what, type(a).__name__))
    return ffi.new("MXCNDArrayHandle[]", [a.handle for a in arrays])


def mark_variables(variables, gradients, grad_reqs="write"):
    """Marks arrays as variables: ``backward`` writes (``'write'``), adds (``'add'``) or skips (``'null'``) their
    gradients into ``gradients``."""
    variables, single = _as_list(variables)
    gradients = [gradients] if single else list(gradients)
    if len(gradients) != len(variables):
        raise ValueError("mark_variables: %d variables but %d gradient arrays" % (len(variables), len(gradients)))
    if isinstance(grad_reqs, str):
        grad_reqs = [grad_reqs] * len(variables)
    grad_reqs = list(grad_reqs)
    if len(grad_reqs) != len(variables):
        raise ValueError("mark_variables: %d variables but %d grad_reqs" % (len(variables), len(grad_reqs)))
    codes = []
    for r in grad_reqs:
        if r not in _GRAD_REQ:
            raise ValueError("grad_req must be one of 'null', 'write', 'add', got %r" % (r,))
        codes.append(_GRAD_REQ[r])
    check_call(lib.MXCAutogradMarkVariables(len(variables), _handles(variables, "variables"), ffi.new("int[]", codes),
                                            _handles(gradients, "gradients")))


def _head_grads(heads, head_grads):
    from .ndarray import NDArray
    if head_grads is None:
        return ffi.NULL
    if isinstance(head_grads, NDArray):
        head_grads = [head_grads]
    head_grads = list(head_grads)
    if len(head_grads) != len(heads):
        raise ValueError("backward: %d heads but %d head gradients" % (len(heads), len(head_grads)))
    return ffi.new("MXCNDArrayHandle[]", [ffi.NULL if g is None else g.handle for g in head_grads])


def backward(heads, head_grads=None, retain_graph=False, train_mode=True):
    """Computes the gradients of ``heads`` with respect to the marked variables and writes them into the variables'
    gradient arrays. ``head_grads``: the gradient of each head (None: ones)."""
    heads, _ = _as_list(heads)
    hh = _handles(heads, "heads")
    hg = _head_grads(heads, head_grads)
    check_call(lib.MXCAutogradBackward(len(heads), hh, hg, 0, ffi.NULL, 1 if retain_graph else 0,
                                       1 if train_mode else 0, ffi.NULL))
    from .ndarray import sparse as _sparse
    _sparse._after_backward()


def grad(heads, variables, head_grads=None, retain_graph=None, create_graph=False, train_mode=True):
    """The gradients of ``heads`` with respect to ``variables`` (marked variables), returned as new arrays; the
    variables' own gradient arrays are left alone. ``retain_graph`` defaults to ``create_graph``."""
    from .ndarray.ndarray import _new
    if create_graph:
        raise NotImplementedError("autograd.grad: create_graph=True (gradients of gradients) is not supported by "
                                  "mxc yet")
    heads, _ = _as_list(heads)
    variables, single = _as_list(variables)
    if not variables:
        raise ValueError("autograd.grad: no variables given")
    if retain_graph is None:
        retain_graph = create_graph
    hh = _handles(heads, "heads")
    hg = _head_grads(heads, head_grads)
    out = ffi.new("MXCNDArrayHandle[]", len(variables))
    check_call(lib.MXCAutogradBackward(len(heads), hh, hg, len(variables), _handles(variables, "variables"),
                                       1 if retain_graph else 0, 1 if train_mode else 0, out))
    res = [_new(out[i]) for i in range(len(variables))]
    return res[0] if single else res


# ----------------------------------------------------------------------------------------------------------------
# Function: a differentiable function written in Python
# ----------------------------------------------------------------------------------------------------------------
_FUNCTIONS = {}  # key -> Function recorded and not yet differentiated
_FUNCTION_OP_TYPE = "_mxc_autograd_function"
_function_keys = __import__("itertools").count()


class Function(object):
    """A function with a Python gradient, as MXNet's ``autograd.Function``: subclass it with ``forward(self,
    *inputs)`` and ``backward(self, *output_grads)`` (returning one gradient per input), call an instance on
    NDArrays. ``save_for_backward(*arrays)`` keeps arrays for backward in ``saved_tensors``.

    ``forward`` runs with recording paused; while recording, the call is kept on the tape as a ``Custom`` operator
    (op_type ``_mxc_autograd_function``) whose backward calls ``backward``. Each instance is called once; its
    backward runs once (a second backward with ``retain_graph=True`` through it is an error), and an instance
    recorded but never differentiated is kept until the process ends.
    """

    def __init__(self):
        self._used = False
        self.saved_tensors = ()

    def save_for_backward(self, *args):
        self.saved_tensors = args

    def forward(self, *inputs):
        raise NotImplementedError("autograd.Function.forward is not implemented")

    def backward(self, *output_grads):
        raise NotImplementedError("autograd.Function.backward is not implemented")

    def __call__(self, *inputs):
        from . import operator
        if self._used:
            raise AssertionError("Each Function instance can only be called once. Please create another instance.")
        self._used = True
        with pause():
            outputs = self.forward(*inputs)
        if not is_recording():
            return outputs
        single = not isinstance(outputs, (list, tuple))
        self._inputs = inputs
        self._outputs = [outputs] if single else list(outputs)
        self._num_inputs = len(inputs)
        self._out_arrays = [outputs] if single else list(outputs)
        self._out_shapes = [o.shape for o in self._out_arrays]
        self._out_dtypes = [o.dtype for o in self._out_arrays]
        _ensure_function_op()
        key = str(next(_function_keys))
        _FUNCTIONS[key] = self
        res = operator._nd_custom(*inputs, op_type=_FUNCTION_OP_TYPE, key=key)
        return res if single or isinstance(res, list) else [res]


def _function_of(key):
    fn = _FUNCTIONS.get(key)
    if fn is None:
        raise ValueError("autograd.Function: this call's backward already ran (a second backward through a Function "
                         "is not supported)")
    return fn


def _ensure_function_op():
    """Registers the op_type recording Function calls (once): its forward hands on the outputs forward computed,
    its backward calls the Function's backward."""
    from . import operator
    if _FUNCTION_OP_TYPE in operator._REGISTERED:
        return

    class FunctionOp(operator.CustomOp):
        def __init__(self, key):
            super().__init__()
            self.key = key

        def forward(self, is_train, req, in_data, out_data, aux):
            fn = _function_of(self.key)
            for dst, r, src in zip(out_data, req, fn._out_arrays):
                self.assign(dst, r, src)
            fn._out_arrays = None  # copied onto the tape's outputs

        def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
            fn = _function_of(self.key)
            grads = fn.backward(*out_grad)
            grads = list(grads) if isinstance(grads, (list, tuple)) else [grads]
            if len(grads) != len(in_grad):
                raise ValueError("autograd.Function %s: backward returned %d gradient(s) for %d input(s)"
                                 % (type(fn).__name__, len(grads), len(in_grad)))
            for dst, r, g in zip(in_grad, req, grads):
                self.assign(dst, r, g)
            _FUNCTIONS.pop(self.key, None)

    class FunctionProp(operator.CustomOpProp):
        def __init__(self, key):
            super().__init__(need_top_grad=True)
            self.fn = _function_of(key)
            self.key = key

        def list_arguments(self):
            return ["data%d" % i for i in range(self.fn._num_inputs)]

        def list_outputs(self):
            return ["output%d" % i for i in range(len(self.fn._out_shapes))]

        def infer_shape(self, in_shape):
            return in_shape, list(self.fn._out_shapes), []

        def infer_type(self, in_type):
            return in_type, list(self.fn._out_dtypes), []

        def create_operator(self, ctx, shapes, dtypes):
            return FunctionOp(self.key)

    operator._register(_FUNCTION_OP_TYPE, FunctionProp, cache=False)
