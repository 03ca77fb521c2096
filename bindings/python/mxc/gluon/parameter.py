"""Parameters of Gluon blocks: ``Parameter``, ``Constant`` and ``ParameterDict``.

A Parameter holds a copy of its array (and gradient) on each of its devices (data-parallel training: the Trainer
sums the gradients of the copies and updates them alike). Its shape may contain 0 for dimensions that are
unknown until the first forward pass; ``initialize`` then only records the request, and the block fills the shape
in and finishes it (``_complete``) when data arrives.
"""
import re
import warnings
from collections import OrderedDict

import numpy as np

from .. import autograd
from .. import initializer as _init_mod
from .. import ndarray as nd
from ..base import MXNetError
from ..context import current_context

__all__ = ["DeferredInitializationError", "Parameter", "Constant", "ParameterDict"]

_GRAD_REQS = ("write", "add", "null")


class DeferredInitializationError(MXNetError):
    """Raised when the data of a Parameter whose initialization waits for its shape is requested."""


def _known(shape):
    return shape is not None and len(shape) > 0 and all(int(d) > 0 for d in shape)


def _ctx_list(ctx):
    """The contexts of ``ctx`` (None: the current one; a Context; a list of distinct Contexts)."""
    if ctx is None:
        return [current_context()]
    if not isinstance(ctx, (list, tuple)):
        return [ctx]
    ctx = list(ctx)
    if not ctx or len(set(ctx)) != len(ctx):
        raise ValueError("ctx must be a non-empty list of distinct contexts, got %s" % (ctx,))
    return ctx


def _dtype_str(dt):
    return np.dtype(dt).name


class Parameter:
    """A weight of a Block: its data, its gradient buffer and the settings the Trainer reads.

    ``shape`` may hold 0s (unknown sizes, completed at the first forward when ``allow_deferred_init``);
    ``grad_req`` is 'write', 'add' or 'null'; ``init`` overrides the initializer given to ``initialize``.
    """

    def __init__(self, name, grad_req='write', shape=None, dtype=np.float32, lr_mult=1.0, wd_mult=1.0, init=None,
                 allow_deferred_init=False, differentiable=True, stype='default', grad_stype='default'):
        if stype != 'default':
            raise NotImplementedError("mxc.gluon.Parameter: only dense weights (stype 'default') are supported")
        if grad_stype not in ('default', 'row_sparse'):
            raise ValueError("mxc.gluon.Parameter: grad_stype must be 'default' or 'row_sparse', got %r"
                             % (grad_stype,))
        self.stype = stype
        self.grad_stype = grad_stype
        self.name = name
        self._shape = None if shape is None else tuple(int(d) for d in ((shape,) if isinstance(shape, int)
                                                                         else shape))
        self.dtype = dtype
        self.lr_mult = lr_mult
        self.wd_mult = wd_mult
        self.init = init
        self.allow_deferred_init = allow_deferred_init
        self._has_grad = differentiable
        self._arrays = None       # one NDArray per context once initialized
        self._waiting = None      # (init, [contexts]) while initialization waits for the shape
        self._req = 'null'
        self.grad_req = grad_req if differentiable else 'null'
        self._trainer = None

    def __repr__(self):
        return "Parameter %s (shape=%s, dtype=%s)" % (self.name, self.shape, self.dtype)

    # -- attributes -----------------------------------------------------------------------------------------------
    @property
    def grad_req(self):
        return self._req

    @grad_req.setter
    def grad_req(self, req):
        if req not in _GRAD_REQS:
            raise AssertionError("grad_req must be one of 'write', 'add', or 'null', but got '%s'" % req)
        if not self._has_grad:
            req = 'null'
        if req == self._req:
            return
        self._req = req
        if self._arrays is not None:
            if req == 'null':
                self._arrays = [a.detach() for a in self._arrays]
            self._attach()

    @property
    def shape(self):
        return self._shape

    @shape.setter
    def shape(self, new):
        new = tuple(int(d) for d in new)
        if self._shape is None:
            self._shape = new
            return
        ok = len(new) == len(self._shape) and all(a in (0, b) for a, b in zip(self._shape, new))
        if not ok:
            raise AssertionError("Expected shape %s is incompatible with given shape %s for Parameter '%s'."
                                 % (str(new), str(self._shape), self.name))
        self._shape = new

    # -- initialization -------------------------------------------------------------------------------------------
    def initialize(self, init=None, ctx=None, default_init=_init_mod.Uniform(), force_reinit=False):
        """Creates the data on ``ctx`` (a context or a list: a copy on each) with ``self.init``, else ``init``,
        else ``default_init``. With unknown dimensions and ``allow_deferred_init`` the work waits for the first
        forward pass."""
        if self._arrays is not None and not force_reinit:
            warnings.warn("Parameter '%s' is already initialized, ignoring. Set force_reinit=True to "
                          "re-initialize." % self.name, stacklevel=2)
            return
        devices = _ctx_list(ctx)
        chosen = self.init if self.init is not None else (init if init is not None else default_init)
        self._arrays = None
        self._waiting = (chosen, devices)
        if _known(self._shape):
            self._complete()
        elif not self.allow_deferred_init:
            self._waiting = None
            raise ValueError("Cannot initialize Parameter '%s' because it has invalid shape: %s."
                             % (self.name, str(self._shape)))

    def _complete(self):
        """Finishes a deferred initialization once the shape is known (no-op when nothing waits)."""
        if self._waiting is None:
            return
        if not _known(self._shape):
            problem = DeferredInitializationError(
                "Parameter '%s' has not been initialized yet because initialization was deferred. Actual "
                "initialization happens during the first forward pass. Please pass one batch of data through "
                "the network before accessing Parameters. You can also avoid deferred initialization by "
                "specifying in_units, num_features, etc., for network layers." % self.name)
            raise problem
        how, devices = self._waiting
        device = devices[0]
        arr = nd.zeros(self._shape, ctx=device, dtype=self.dtype)
        if isinstance(how, nd.NDArray):
            arr[:] = how
        elif isinstance(how, np.ndarray):
            arr[:] = nd.array(how, ctx=device, dtype=self.dtype)
        else:
            filler = _init_mod.create(how) if isinstance(how, str) else how
            desc = _init_mod.InitDesc(self.name)
            if isinstance(filler, _init_mod.Initializer):
                filler._init_weight(desc, arr)
            else:
                filler(desc, arr)
        self._waiting = None
        self._arrays = [arr] + [arr.copyto(c) for c in devices[1:]]
        self._attach()

    def _attach(self):
        if self._arrays is not None and self._req != 'null':
            for a in self._arrays:
                a.attach_grad(self._req, stype=getattr(self, 'grad_stype', 'default'))

    def _check_ready(self):
        if self._arrays is not None:
            return
        if self._waiting is not None:
            self._complete()
            return
        raise RuntimeError("Parameter '%s' has not been initialized. Note that you should initialize parameters "
                           "and create Trainer with Block.collect_params() instead of Block.params because the "
                           "later does not include Parameters of nested child Blocks" % self.name)

    @property
    def _ready(self):
        return self._arrays is not None

    @property
    def _value(self):
        """The first copy (None before initialization)."""
        return None if self._arrays is None else self._arrays[0]

    # -- access ---------------------------------------------------------------------------------------------------
    def data(self, ctx=None):
        """The copy on ``ctx`` (default: the only copy, or the current context's with several)."""
        self._check_ready()
        if ctx is None:
            if len(self._arrays) == 1:
                return self._arrays[0]
            ctx = current_context()
        for a in self._arrays:
            if a.context == ctx:
                return a
        raise RuntimeError("Parameter '%s' was not initialized on context %s. It was only initialized on %s."
                           % (self.name, ctx, [a.context for a in self._arrays]))

    def list_data(self):
        """The copies, one per context."""
        self._check_ready()
        return list(self._arrays)

    def grad(self, ctx=None):
        """The gradient buffer (not for grad_req='null')."""
        if self._arrays is not None and self._req == 'null':
            raise RuntimeError("Cannot get gradient array for Parameter '%s' because grad_req='null'" % self.name)
        from .block import _np_outputs
        return _np_outputs(self.data(ctx).grad)

    def list_grad(self):
        if self._arrays is not None and self._req == 'null':
            raise RuntimeError("Cannot get gradient array for Parameter '%s' because grad_req='null'" % self.name)
        return [a.grad for a in self.list_data()]

    def list_ctx(self):
        if self._arrays is None:
            if self._waiting is not None:
                return list(self._waiting[1])
            raise RuntimeError("Parameter '%s' has not been initialized" % self.name)
        return [a.context for a in self._arrays]

    def _reduce(self):
        """The value to save: the copy on the first context, or the mean of the copies (BatchNorm's running
        statistics differ between devices), on the CPU."""
        arrays = self.list_data()
        if len(arrays) == 1:
            return arrays[0]
        total = arrays[0].copy()
        for a in arrays[1:]:
            total += a.as_in_context(total.context)
        return total / len(arrays)

    def set_data(self, data):
        """Overwrites the values (the shape is completed from ``data`` when still unknown)."""
        src = data if isinstance(data, nd.NDArray) else nd.array(np.asarray(data), dtype=self.dtype)
        self.shape = src.shape
        if self._arrays is None:
            if self._waiting is None:
                raise RuntimeError("Parameter '%s' has not been initialized" % self.name)
            self._complete()
        for a in self._arrays:
            a[:] = src.as_in_context(a.context).astype(a.dtype, copy=False)

    def zero_grad(self):
        """Sets the gradient buffer to 0."""
        if self._arrays is None or self._req == 'null':
            return
        for a in self._arrays:
            if a.grad is not None:
                a.grad[:] = 0

    def reset_ctx(self, ctx):
        """Moves the data (and fresh gradient buffers) to ``ctx`` (a context or a list: a copy on each)."""
        devices = _ctx_list(ctx)
        if self._arrays is not None:
            src = self._arrays[0]
            self._arrays = [(src.as_in_context(d).copy() if src.context != d else src).detach() for d in devices]
            self._attach()
        elif self._waiting is not None:
            self._waiting = (self._waiting[0], devices)
        else:
            raise ValueError("Cannot reset context for Parameter '%s' because it has not been initialized."
                             % self.name)

    @property
    def dtype(self):
        """The type of the data (as given); setting it on an initialized parameter converts the data and the
        gradient (MXNet 1.9.1's Parameter.dtype)."""
        return self._dtype

    @dtype.setter
    def dtype(self, dtype):
        self.cast(dtype)

    def cast(self, dtype):
        """Converts the data and gradient to ``dtype``."""
        self._dtype = dtype
        if self.__dict__.get('_arrays') is not None:
            self._arrays = [a.astype(dtype) for a in self._arrays]
            self._attach()

    def var(self):
        """A Symbol variable standing for this parameter: the same one at every call (while the shape and dtype
        stay), so that a graph using the parameter several times (a recurrent cell's steps) has one argument."""
        from .. import symbol
        key = (self._shape, np.dtype(self.dtype).name, self.lr_mult, self.wd_mult)
        cached = self.__dict__.get('_var')
        if cached is None or cached[0] != key:
            cached = (key, symbol.var(self.name, shape=self._shape, dtype=self.dtype, lr_mult=self.lr_mult,
                                      wd_mult=self.wd_mult))
            self._var = cached
        return cached[1]



class Constant(Parameter):
    """A parameter with a fixed value and no gradient."""

    def __init__(self, name, value):
        if not isinstance(value, nd.NDArray):
            value = nd.array(np.asarray(value, dtype=np.float32))
        self.value = value

        class _Fill(_init_mod.Initializer):
            def _init_weight(self, _desc, out):
                out[:] = value.as_in_context(out.context).astype(out.dtype, copy=False)

        super().__init__(name, grad_req='null', shape=value.shape, dtype=value.dtype, init=_Fill())

    def __repr__(self):
        return "Constant %s (shape=%s, dtype=%s)" % (self.name, self.shape, self.dtype)

    @property
    def grad_req(self):
        return 'null'

    @grad_req.setter
    def grad_req(self, req):
        if req != 'null':
            warnings.warn("Constant parameter \"%s\" does not support grad_req other than \"null\", and new "
                          "value \"%s\" is ignored." % (self.name, req))
        self._req = 'null'


class ParameterDict:
    """An ordered name -> Parameter mapping whose ``get`` creates parameters named ``prefix + name``.
    ``shared``: another ParameterDict consulted first, so that blocks can share weights."""

    def __init__(self, prefix='', shared=None):
        self._prefix = prefix
        self._items = OrderedDict()
        self._shared = shared

    @property
    def prefix(self):
        return self._prefix

    def __repr__(self):
        body = "".join("  %r\n" % p for p in self._items.values())
        return "%s (\n%s)" % (self._prefix, body)

    # dict-like
    def __getitem__(self, name):
        return self._items[name]

    def __contains__(self, key):
        return key in self._items

    def __iter__(self):
        return iter(self._items)

    def __len__(self):
        return len(self._items)

    def keys(self):
        return self._items.keys()

    def values(self):
        return self._items.values()

    def items(self):
        return self._items.items()

    def _lookup(self, full):
        if full in self._items:
            return self._items[full]
        if self._shared is not None and full in self._shared:
            found = self._shared[full]
            self._items[full] = found
            return found
        return None

    def get(self, name, **kwargs):
        """The parameter ``prefix + name``, created with ``kwargs`` (Parameter's arguments) when new. For an
        existing one the given attributes must agree (a shape's 0s may be completed)."""
        full = self._prefix + name
        param = self._lookup(full)
        if param is None:
            param = Parameter(full, **kwargs)
            self._items[full] = param
            return param
        for attr, want in kwargs.items():
            if want is None:
                continue
            have = getattr(param, attr, None)
            if attr == 'shape' and have is not None:
                want = tuple((want,) if isinstance(want, int) else want)
                if len(have) == len(want) and all(a == b or 0 in (a, b) for a, b in zip(have, want)):
                    param.shape = tuple(b if b else a for a, b in zip(have, want))
                    continue
            elif attr == 'dtype' and have is not None and np.dtype(have) == np.dtype(want):
                continue
            if have is None:
                setattr(param, attr, want)
                continue
            if have == want:
                continue
            raise AssertionError("Cannot retrieve Parameter '%s' because desired attribute does not match with "
                                 "stored for attribute '%s': desired '%s' vs stored '%s'."
                                 % (full, attr, str(want), str(have)))
        return param

    def get_constant(self, name, value=None):
        """The Constant ``prefix + name`` (created from ``value`` when new)."""
        full = self._prefix + name
        param = self._lookup(full)
        if param is None:
            if value is None:
                raise KeyError("No constant named '%s'. Please specify value if you want to create a new "
                               "constant." % full)
            param = Constant(full, value)
            self._items[full] = param
        elif value is not None and not isinstance(param, Constant):
            raise AssertionError("Parameter '%s' already exists but it is not a constant." % full)
        return param

    def update(self, other):
        """Adds the parameters of ``other`` (a name clash with a different object is an error)."""
        for pname, incoming in other.items():
            mine = self._items.get(pname)
            if mine is not None and mine is not incoming:
                raise ValueError("Cannot update self with other because they have different Parameters with the "
                                 "same name '%s'" % pname)
            self._items[pname] = incoming

    def initialize(self, init=_init_mod.Uniform(), ctx=None, verbose=False, force_reinit=False):
        """Initializes every parameter (``init`` is the default for those without their own)."""
        if verbose and hasattr(init, 'set_verbosity'):
            init.set_verbosity(True)
        for p in self._items.values():
            p.initialize(None, ctx, init, force_reinit=force_reinit)

    def zero_grad(self):
        for p in self._items.values():
            p.zero_grad()

    def reset_ctx(self, ctx):
        for p in self._items.values():
            p.reset_ctx(ctx)

    def list_ctx(self):
        seen = []
        for p in self._items.values():
            for c in p.list_ctx():
                if c not in seen:
                    seen.append(c)
        return seen

    def setattr(self, name, value):
        """Sets attribute ``name`` (e.g. 'grad_req', 'lr_mult') of every parameter."""
        for p in self._items.values():
            setattr(p, name, value)

    def select(self, pattern):
        """A ParameterDict with the parameters whose names match the regular expression."""
        rx = re.compile(pattern)
        out = ParameterDict(self._prefix)
        for k, v in self._items.items():
            if rx.match(k):
                out._items[k] = v
        return out

    def save(self, filename, strip_prefix=''):
        """Writes the arrays to ``filename`` keyed by name with ``strip_prefix`` removed."""
        blob = {}
        for p in self._items.values():
            if not p.name.startswith(strip_prefix):
                raise ValueError("Prefix '%s' is to be striped before saving, but Parameter's name '%s' does not "
                                 "start with '%s'. this may be due to your Block shares parameters from other "
                                 "Blocks or you forgot to use 'with name_scope()' when creating child blocks. "
                                 "For more info on naming, please see "
                                 "https://mxnet.io/api/python/docs/tutorials/packages/gluon/blocks/naming.html"
                                 % (strip_prefix, p.name, strip_prefix))
            blob[p.name[len(strip_prefix):]] = p._reduce()
        nd.save(filename, blob)

    def load(self, filename, ctx=None, allow_missing=False, ignore_extra=False, restore_prefix='',
             cast_dtype=False, dtype_source='current'):
        """Reads arrays saved by ``save`` (their keys get ``restore_prefix`` in front)."""
        stored = nd.load(filename)
        if not isinstance(stored, dict):
            raise ValueError("'%s' holds unnamed arrays; cannot match them to Parameters" % filename)
        self.load_dict(stored, ctx, allow_missing, ignore_extra, restore_prefix, filename, cast_dtype, dtype_source)

    def load_dict(self, param_dict, ctx=None, allow_missing=False, ignore_extra=False, restore_prefix='',
                  filename=None, cast_dtype=False, dtype_source='current'):
        """Loads the arrays of ``param_dict`` (name -> NDArray; the names get ``restore_prefix`` in front) into
        the parameters of the same names (``filename``: the file they came from, for the error messages)."""
        where = "file '%s'" % filename if filename else "param_dict"
        stored = {restore_prefix + k: v for k, v in param_dict.items()}
        if not allow_missing:
            for name in self._items:
                if name not in stored:
                    raise AssertionError("Parameter '%s' is missing in %s, which contains parameters: %s. Please "
                                         "make sure source and target networks have the same prefix."
                                         % (name[len(restore_prefix):], where,
                                            ", ".join("'%s'" % k for k in param_dict)))
        for name, arr in stored.items():
            if name not in self._items:
                if ignore_extra:
                    continue
                raise ValueError("Parameter '%s' loaded from %s is not present in ParameterDict, choices "
                                 "are: %s. Set ignore_extra to True to ignore. Please make sure source and target "
                                 "networks have the same prefix." % (name[len(restore_prefix):], where,
                                                                     list(self._items)))
            _load_into(self._items[name], arr, ctx, cast_dtype, dtype_source)


def _load_into(param, arr, ctx, cast_dtype=False, dtype_source='current'):
    """Puts a loaded array into ``param`` (initializing it on ``ctx`` when needed)."""
    if param.shape is not None:
        ok = len(param.shape) == len(arr.shape) and all(a in (0, b) for a, b in zip(param.shape, arr.shape))
        if not ok:
            raise AssertionError("Failed loading Parameter '%s' from saved params: shape incompatible expected "
                                 "%s vs saved %s" % (param.name, str(param.shape), str(arr.shape)))
    param.shape = arr.shape
    if cast_dtype and dtype_source == 'saved':
        param.dtype = arr.dtype
    if param._arrays is None:
        if param._waiting is None:
            param._waiting = (_init_mod.Zero(), _ctx_list(ctx))
        elif ctx is not None:
            param._waiting = (param._waiting[0], _ctx_list(ctx))
        param._complete()
    elif ctx is not None and _ctx_list(ctx) != param.list_ctx():
        param.reset_ctx(ctx)
    with autograd.pause():
        for a in param._arrays:
            a[:] = arr.as_in_context(a.context).astype(a.dtype, copy=False)
