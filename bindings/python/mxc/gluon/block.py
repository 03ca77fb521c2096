"""Gluon's ``Block`` and ``HybridBlock``.

Naming: a block made inside ``with parent.name_scope():`` is named ``parent.prefix + hint + n`` with a counter per
parent and hint (the class name in lower case); a block made elsewhere takes its number from the global
``mx.name`` counters. Children and parameters are registered when assigned as attributes.

``hybridize()`` is accepted but blocks always run imperatively (``hybrid_forward`` gets ``F = mx.nd``). Shapes left
unknown (0) are found at the first call by running ``hybrid_forward`` once on Symbols and asking the graph for the
missing shapes.
"""
import re
import threading
from collections import OrderedDict

from .. import ndarray as nd
from .. import symbol as sym
from .. import name as _naming
from .. import initializer as _init_mod
from ..base import MXNetError
from .parameter import Parameter, ParameterDict, DeferredInitializationError, _load_into, _known

__all__ = ["Block", "HybridBlock"]

_scopes = threading.local()


def _open_scopes():
    if not hasattr(_scopes, "stack"):
        _scopes.stack = []
    return _scopes.stack


def _pick_prefix(explicit, hint):
    """(block prefix, prefix of its parameters) for a new block, from the innermost open name scope (or the
    global counters). A parent that shares another block's parameters passes that block's prefix down."""
    stack = _open_scopes()
    if not stack:
        mine = explicit if explicit is not None else _naming.current().get(None, hint) + "_"
        return mine, mine
    owner = stack[-1]
    if explicit is None:
        n = owner._child_counts.get(hint, 0)
        owner._child_counts[hint] = n + 1
        explicit = "%s%d_" % (hint, n)
    return owner.prefix + explicit, owner._params.prefix + explicit


class _ScopeGuard:
    def __init__(self, owner):
        self._block = owner
        self._names = None

    def __enter__(self):
        _open_scopes().append(self._block)
        self._names = _naming.Prefix(self._block.prefix)
        self._names.__enter__()
        return self

    def __exit__(self, *exc):
        self._names.__exit__(*exc)
        _open_scopes().pop()


class _HookHandle:
    def __init__(self, table, fn):
        self._table = table
        self._key = id(fn)
        table[self._key] = fn

    def detach(self):
        self._table.pop(self._key, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.detach()


def _indent(text, spaces=2):
    lines = text.split("\n")
    return "\n".join([lines[0]] + [" " * spaces + ln for ln in lines[1:]])


class Block:
    """Base class of layers and models: override ``forward``; assign child blocks and parameters as attributes."""

    def __init__(self, prefix=None, params=None):
        hint = self._name_hint()
        self._child_counts = {}
        self._prefix, param_prefix = _pick_prefix(prefix, hint)
        stack = _open_scopes()
        if params is None:
            inherited = stack[-1]._params._shared if stack else None
            self._params = ParameterDict(param_prefix, shared=inherited)
        else:
            self._params = ParameterDict(params.prefix, shared=params)
        self._named_params = OrderedDict()
        self._kids = OrderedDict()
        self._before = OrderedDict()
        self._after = OrderedDict()
        self._hybrid_on = False

    # -- registration ---------------------------------------------------------------------------------------------
    def __setattr__(self, key, value):
        table = self.__dict__
        if "_kids" in table:
            kids, named = table["_kids"], table["_named_params"]
            kids.pop(key, None)
            named.pop(key, None)
            if isinstance(value, (Block, Parameter)):
                (kids if isinstance(value, Block) else named)[key] = value
        object.__setattr__(self, key, value)

    def register_child(self, block, name=None):
        """Adds ``block`` as a child under ``name`` (default: its position)."""
        self._kids[str(len(self._kids)) if name is None else name] = block

    def register_forward_pre_hook(self, hook):
        """``hook(block, inputs)`` runs before ``forward``; returns a handle with ``detach()``."""
        return _HookHandle(self._before, hook)

    def register_forward_hook(self, hook):
        """``hook(block, inputs, outputs)`` runs after ``forward``; returns a handle with ``detach()``."""
        return _HookHandle(self._after, hook)

    def apply(self, fn):
        """Calls ``fn(block)`` on every descendant, then on this block."""
        for kid in self._kids.values():
            kid.apply(fn)
        fn(self)
        return self

    # -- names ----------------------------------------------------------------------------------------------------
    def _name_hint(self):
        return type(self).__name__.lower()

    @property
    def prefix(self):
        return self._prefix

    @property
    def name(self):
        return self._prefix[:-1] if self._prefix.endswith("_") else self._prefix

    @property
    def params(self):
        """This block's own ParameterDict (children's parameters are not in it: see ``collect_params``)."""
        return self._params

    def name_scope(self):
        """``with block.name_scope():`` names the blocks made inside after this one."""
        return _ScopeGuard(self)

    # -- parameters -----------------------------------------------------------------------------------------------
    def _own_params(self):
        found = OrderedDict(self._params.items())
        for p in self._named_params.values():
            found.setdefault(p.name, p)
        return found

    def collect_params(self, select=None):
        """A ParameterDict with the parameters of this block and all descendants; ``select``: a regular
        expression the names must match."""
        result = ParameterDict(self._params.prefix)
        rx = re.compile(select) if select is not None else None
        todo = [self]
        while todo:
            blk = todo.pop(0)
            for pname, p in blk._own_params().items():
                if rx is None or rx.match(pname):
                    result._items.setdefault(pname, p)
            todo.extend(blk._kids.values())
        return result

    def _keyed_params(self, path=""):
        """Parameters keyed by structure: attribute paths such as ``0.weight`` or ``hidden.bias``."""
        out = OrderedDict()
        attr_of = {id(p): k for k, p in self._named_params.items()}
        for pname, p in self._own_params().items():
            key = attr_of.get(id(p))
            if key is None:
                key = pname[len(self._prefix):] if pname.startswith(self._prefix) else pname
            out[path + key] = p
        for kname, kid in self._kids.items():
            out.update(kid._keyed_params(path + kname + "."))
        return out

    def initialize(self, init=_init_mod.Uniform(), ctx=None, verbose=False, force_reinit=False):
        """Initializes all parameters (``collect_params().initialize``)."""
        self.collect_params().initialize(init=init, ctx=ctx, verbose=verbose, force_reinit=force_reinit)

    def save_parameters(self, filename, deduplicate=False):
        """Saves the parameters keyed by their place in the block tree (``0.weight``, ``dense.bias``...)."""
        blob = {}
        seen = set()
        for key, p in self._keyed_params().items():
            if deduplicate and id(p) in seen:
                continue
            seen.add(id(p))
            blob[key] = p.data()
        nd.save(filename, blob)

    def load_parameters(self, filename, ctx=None, allow_missing=False, ignore_extra=False, cast_dtype=False,
                        dtype_source='current'):
        """Loads a file of ``save_parameters`` (or one keyed by parameter names without this block's prefix,
        as written by ``collect_params().save(f, strip_prefix=block.prefix)``)."""
        stored = nd.load(filename)
        if not isinstance(stored, dict):
            raise ValueError("'%s' holds unnamed arrays; cannot match them to Parameters" % filename)
        if stored and not any("." in k for k in stored):
            self.collect_params().load(filename, ctx, allow_missing, ignore_extra, self._prefix, cast_dtype,
                                       dtype_source)
            return
        mine = self._keyed_params()
        if not allow_missing:
            for key in mine:
                if key not in stored:
                    raise AssertionError(
                        "Parameter '%s' is missing in file '%s', which contains parameters: %s. Set "
                        "allow_missing=True to ignore missing parameters." % (key, filename, _listing(stored)))
        for key in sorted(stored):
            arr = stored[key]
            if key in mine:
                _load_into(mine[key], arr, ctx, cast_dtype, dtype_source)
            elif not ignore_extra:
                raise ValueError(
                    "Parameter '%s' loaded from file '%s' is not present in ParameterDict, which contains "
                    "parameters %s. Set ignore_extra=True to ignore. " % (key, filename, _listing(mine)))

    def save_params(self, filename):
        """Old-style save (keys are parameter names without this block's prefix)."""
        self.collect_params().save(filename, strip_prefix=self._prefix)

    def load_params(self, filename, ctx=None, allow_missing=False, ignore_extra=False):
        self.load_parameters(filename, ctx=ctx, allow_missing=allow_missing, ignore_extra=ignore_extra)

    def cast(self, dtype):
        """Converts all parameters to ``dtype``."""
        for kid in self._kids.values():
            kid.cast(dtype)
        for p in self._own_params().values():
            p.cast(dtype)

    def zero_grad(self):
        self.collect_params().zero_grad()

    def reset_ctx(self, ctx):
        self.collect_params().reset_ctx(ctx)

    def hybridize(self, active=True, **kwargs):
        """Accepted for compatibility; mxc's blocks keep running imperatively."""
        self._hybrid_on = active
        for kid in self._kids.values():
            kid.hybridize(active, **kwargs)

    # -- running --------------------------------------------------------------------------------------------------
    def __call__(self, *args):
        for hook in list(self._before.values()):
            hook(self, args)
        result = self.forward(*args)
        for hook in list(self._after.values()):
            hook(self, args, result)
        return result

    def forward(self, *args):
        raise NotImplementedError("%s must implement forward()" % type(self).__name__)

    def __repr__(self):
        body = "\n".join("  (%s): %s" % (kname, _indent(repr(kid))) for kname, kid in self._kids.items())
        return "%s(\n%s\n)" % (type(self).__name__, body)


def _listing(keys):
    return ", ".join("'%s'" % k for k in keys)


def _shape_text(value):
    if isinstance(value, nd.NDArray):
        return str(value.shape)
    if isinstance(value, (list, tuple)):
        return "[%s]" % ", ".join(_shape_text(v) for v in value)
    return type(value).__name__


def _flatten_syms(out):
    """One Symbol for an output that may be a (nested) list of Symbols, as a recurrent cell's (out, states)."""
    if not isinstance(out, (list, tuple)):
        return out
    return sym.Group([_flatten_syms(o) for o in out])


def _as_vars(value, name):
    """``value`` with every NDArray (also inside lists, as a cell's states) replaced by a Symbol variable of its
    shape and dtype."""
    if isinstance(value, nd.NDArray):
        return sym.var(name, shape=value.shape, dtype=value.dtype)
    if isinstance(value, (list, tuple)):
        return type(value)(_as_vars(v, "%s_%d" % (name, i)) for i, v in enumerate(value))
    return value


class HybridBlock(Block):
    """A block written once for NDArrays and Symbols: override ``hybrid_forward(F, x, *args, **params)``;
    the parameters assigned as attributes arrive as keyword arguments under their attribute names."""

    def forward(self, data, *rest):
        x, args = data, rest
        if isinstance(x, sym.Symbol):
            weights = {k: p.var() for k, p in self._named_params.items()}
            return self.hybrid_forward(sym, x, *args, **weights)
        if not isinstance(x, nd.NDArray):
            raise TypeError("%s (%s): expected an NDArray (or Symbol) as input, got %s"
                            % (self.name, type(self).__name__, type(x).__name__))
        if any(not p._ready for p in self._named_params.values()):
            self._find_shapes((x,) + args)
        weights = {k: p.data() for k, p in self._named_params.items()}
        try:
            return self.hybrid_forward(nd, x, *args, **weights)
        except MXNetError as err:
            if isinstance(err, DeferredInitializationError):
                raise
            raise self._explain(err, (x,) + args) from err

    def _explain(self, err, inputs):
        if getattr(err, "_gluon_where", False):
            return err
        shapes = ", ".join(_shape_text(v) for v in inputs)
        ps = ", ".join("%s %s" % (k, p.shape) for k, p in self._named_params.items())
        text = "%s (%r) failed on input shapes [%s]%s: %s" % (
            self.name, self, shapes, " with parameters " + ps if ps else "", err)
        wrapped = MXNetError(text)
        wrapped._gluon_where = True
        return wrapped

    def _find_shapes(self, inputs):
        """Runs hybrid_forward on Symbols to learn unknown parameter shapes, then finishes initialization."""
        feeds = [_as_vars(v, "__gluon_in%d" % i) for i, v in enumerate(inputs)]
        everything = self.collect_params()
        try:
            graph = _flatten_syms(self.forward(*feeds))
            args, _, aux = graph.infer_shape_partial()
        except MXNetError as err:
            raise self._explain(err, inputs) from err
        names = graph.list_arguments() + graph.list_auxiliary_states()
        for pname, shp in zip(names, list(args) + list(aux)):
            if pname in everything and shp and 0 not in shp:
                everything[pname].shape = shp
        for p in everything.values():
            if not p._ready and p._waiting is not None and _known(p.shape):
                p._complete()

    def hybrid_forward(self, F, x, *args, **params):
        raise NotImplementedError("%s must implement hybrid_forward()" % type(self).__name__)

    def export(self, path, epoch=0, remove_amp_cast=True):
        raise NotImplementedError("HybridBlock.export is not available in mxc (blocks are not compiled)")

    def infer_shape(self, *inputs):
        """Fills in unknown parameter shapes from example inputs."""
        self._find_shapes(inputs)
