"""Gluon's ``Block`` and ``HybridBlock``.

Naming: a block made inside ``with parent.name_scope():`` is named ``parent.prefix + hint + n`` with a counter per
parent and hint (the class name in lower case); a block made elsewhere takes its number from the global
``mx.name`` counters. Children and parameters are registered when assigned as attributes.

Without ``hybridize()`` a HybridBlock runs imperatively (``hybrid_forward`` gets ``F = mx.nd``, one library call per
operator). After ``hybridize()``, its first call traces ``hybrid_forward`` with Symbols (inputs named ``data``, or
``data0``, ``data1``... for several) into one graph of the whole subtree and prepares it as an ``mx.nd.CachedOp``;
later calls run that graph on the inputs and the parameters' arrays in one library call (recorded operator by
operator under ``autograd.record()``, so gradients, Trainer steps, BatchNorm statistics and Dropout are those of the
imperative run). Inputs may be nested lists/tuples of NDArrays (flattened into the graph's inputs, outputs rebuilt
in the same structure); the trace gives the input variables their shapes, and a call with another structure or
other shapes traces again (one graph kept per signature, up to 16). A plain ``Block`` is never traced: its HybridBlock
children hybridize on their own. ``export`` writes the traced graph and the parameters (``path-symbol.json``,
``path-0000.params`` with ``arg:``/``aux:`` keys) for ``SymbolBlock.imports`` or ``mx.mod.Module``; ``SymbolBlock``
runs a Symbol (e.g. a loaded one) through a CachedOp, its inputs other than the data becoming Parameters.

Shapes left unknown (0) are found at the first call by running ``hybrid_forward`` once on Symbols and asking the
graph for the missing shapes.
"""
import re
import threading
from collections import OrderedDict

from .. import ndarray as nd
from ..ndarray.ndarray import _save_mxnet
from .. import symbol as sym
from .. import name as _naming
from .. import initializer as _init_mod
from ..base import MXNetError
from .parameter import Parameter, ParameterDict, DeferredInitializationError, _load_into, _known

__all__ = ["Block", "HybridBlock", "SymbolBlock"]

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
        # A block made with prefix='' names its operators in the enclosing scope, whose counters keep going (as
        # MXNet: two residual blocks of one stage give '<stage>__plus0' and '<stage>__plus1').
        if not self._block._empty_prefix:
            self._names = _naming.Prefix(self._block.prefix)
            self._names.__enter__()
        return self

    def __exit__(self, *exc):
        if self._names is not None:
            self._names.__exit__(*exc)
            self._names = None
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


def _np_outputs(result):
    """After ``npx.set_np()`` a block gives ``mx.np.ndarray`` outputs (MXNet 1.9.1's Gluon with NumPy semantics)."""
    from .. import numpy_extension as _npx
    if not _npx.is_np_array():
        return result
    from .. import numpy as _np
    return _np._wrap(result)


class Block:
    """Base class of layers and models: override ``forward``; assign child blocks and parameters as attributes."""

    def __init__(self, prefix=None, params=None):
        hint = self._name_hint()
        self._child_counts = {}
        self._empty_prefix = prefix == ''
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
        while todo:  # depth first, a block's own parameters before its children's (MXNet's order)
            blk = todo.pop()
            for pname, p in blk._own_params().items():
                if rx is None or rx.match(pname):
                    result._items.setdefault(pname, p)
            todo.extend(reversed(blk._kids.values()))
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
            blob[key] = p._reduce()
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
        """Hybridizes the HybridBlocks of this tree (a plain Block itself keeps running imperatively)."""
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
        return _np_outputs(result)

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


_NONE_INPUT = "<None>"  # the signature entry of an input given as None


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


def _flatten(value):
    """(leaves, layout) of nested lists/tuples: layout None for a leaf, else a list of the items' layouts (a tuple
    for a tuple), hashable."""
    if isinstance(value, (list, tuple)):
        leaves, parts = [], []
        for v in value:
            f, lay = _flatten(v)
            leaves.extend(f)
            parts.append(lay)
        return leaves, (tuple(parts), isinstance(value, tuple))
    return [value], None


def _unflatten(leaves, layout):
    """The nested lists/tuples of _flatten from its leaves."""
    it = iter(leaves)

    def build(lay):
        if lay is None:
            return next(it)
        parts, is_tuple = lay
        items = [build(p) for p in parts]
        return tuple(items) if is_tuple else items
    return build(layout)


class HybridBlock(Block):
    """A block written once for NDArrays and Symbols: override ``hybrid_forward(F, x, *args, **params)``;
    the parameters assigned as attributes arrive as keyword arguments under their attribute names."""

    def __init__(self, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self._flags = ()
        self._cached = {}      # call signature -> (CachedOp, its inputs: data positions or Parameters, output layout)
        self._last_sig = None  # signature of the last call on NDArrays (what export traces)

    _MAX_CACHED = 16  # graphs kept per block (one per signature: structure of the inputs and their shapes)

    def hybridize(self, active=True, static_alloc=False, static_shape=False, **kwargs):
        """With ``active``, later calls run the traced graph of this block's subtree as one CachedOp (see the
        module's doc). ``static_alloc``/``static_shape`` are handed to the CachedOp as MXNet's flags."""
        self._flags = (("static_alloc", static_alloc), ("static_shape", static_shape))
        self._cached = {}
        super().hybridize(active, static_alloc=static_alloc, static_shape=static_shape, **kwargs)

    def __call__(self, *args):
        if not args or not isinstance(args[0], nd.NDArray):
            return super().__call__(*args)
        flat, layout = _flatten(args)
        if all(isinstance(a, nd.NDArray) for a in flat):
            self._last_sig = (layout, tuple(a.shape for a in flat))
        if not self._hybrid_on:
            return super().__call__(*args)
        for hook in list(self._before.values()):
            hook(self, args)
        result = self._call_cached(args)
        for hook in list(self._after.values()):
            hook(self, args, result)
        return _np_outputs(result)

    def _input_names(self, n):
        return ["data"] if n == 1 else ["data%d" % i for i in range(n)]

    def _trace(self, layout, shapes):
        """(graph, output layout) of forward on Symbol inputs arranged as ``layout`` (see _flatten), with the
        given shapes (None: unknown)."""
        names = self._input_names(len(shapes))
        feeds = [None if shp == _NONE_INPUT else sym.var(nm) if shp is None else sym.var(nm, shape=shp)
                 for nm, shp in zip(names, shapes)]
        flat, out_layout = _flatten(self.forward(*_unflatten(feeds, layout)))
        return (flat[0] if out_layout is None else sym.Group(flat)), out_layout

    def _call_cached(self, args):
        flat, layout = _flatten(args)
        for i, a in enumerate(flat):
            if a is not None and not isinstance(a, nd.NDArray):
                raise TypeError("%s (%s): a hybridized block takes NDArrays, got %s for input %d"
                                % (self.name, type(self).__name__, type(a).__name__, i))
        # One graph per signature (the inputs' shapes: a traced graph may depend on them). An input given as None
        # (an optional input, as CTCLoss's lengths) is None in the traced forward too.
        sig = (layout, tuple(_NONE_INPUT if a is None else a.shape for a in flat))
        entry = self._cached.get(sig)
        if entry is None:
            params = self.collect_params()
            if any(not p._ready for p in params.values()):
                self._find_shapes(args)
            names = self._input_names(len(flat))
            graph, out_layout = self._trace(*sig)
            order = []
            for nm in graph.list_inputs():
                if nm in names:
                    order.append(names.index(nm))
                elif nm in params:
                    order.append(params[nm])
                else:
                    raise MXNetError("%s (%s): the traced graph reads '%s', which is neither an input (%s) nor a "
                                     "Parameter of the block" % (self.name, type(self).__name__, nm,
                                                                 ", ".join(names)))
            if len(self._cached) >= self._MAX_CACHED:
                self._cached.clear()
            entry = self._cached[sig] = (nd.CachedOp(graph, self._flags), order, out_layout)
        op, order, out_layout = entry
        ctx = flat[0].context if flat and flat[0] is not None else None  # the parameters' copies on the inputs' device
        ins = [flat[o] if isinstance(o, int) else o.data(ctx) for o in order]
        try:
            out = op(*ins)
        except MXNetError as err:
            raise self._explain(err, args) from err
        if out_layout is None:
            return out
        return _unflatten(out if isinstance(out, list) else [out], out_layout)

    def forward(self, data, *rest):
        x, args = data, rest
        if isinstance(x, sym.Symbol):
            weights = {k: p.var() for k, p in self._named_params.items()}
            with self.name_scope():  # nodes named "<block prefix><op>0", the same at every trace
                return self.hybrid_forward(sym, x, *args, **weights)
        if not isinstance(x, nd.NDArray):
            raise TypeError("%s (%s): expected an NDArray (or Symbol) as input, got %s"
                            % (self.name, type(self).__name__, type(x).__name__))
        if any(not p._ready for p in self._named_params.values()):
            self._find_shapes((x,) + args)
        weights = {k: p.data(x.context) for k, p in self._named_params.items()}
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
        """Writes ``path-symbol.json`` (the graph traced with the inputs of the last call) and
        ``path-%04d.params`` % epoch (``arg:name`` / ``aux:name``, in MXNet's binary layout), as MXNet; needs one
        forward first. ``remove_amp_cast``: the graph is written without its AMP casts (``Symbol.tojson``)."""
        if self._last_sig is None:
            raise RuntimeError("Please first call block.hybridize() and then run forward with this block at least "
                               "once before calling export.")
        from .. import model
        layout, shapes = self._last_sig
        graph, _ = self._trace(layout, (None,) * len(shapes))  # without shapes, as MXNet's files
        params = self.collect_params()
        blob = {"arg:" + nm: params[nm]._reduce() for nm in graph.list_arguments() if nm in params}
        blob.update({"aux:" + nm: params[nm]._reduce() for nm in graph.list_auxiliary_states() if nm in params})
        model._save_symbol(graph, "%s-symbol.json" % path, remove_amp_cast)
        _save_mxnet("%s-%04d.params" % (path, epoch), blob)  # MXNet's layout: MXNet 1.x loads the files

    def infer_shape(self, *inputs):
        """Fills in unknown parameter shapes from example inputs."""
        self._find_shapes(inputs)


class SymbolBlock(HybridBlock):
    """A block running a Symbol (MXNet's ``gluon.SymbolBlock``): ``inputs`` are the variables fed by the call's
    arrays, every other input of ``outputs`` becomes a Parameter of the same name (taken from ``params`` when it
    holds it); auxiliary states get ``grad_req='null'``. Always runs through a CachedOp, and trains like any
    block."""

    def __init__(self, outputs, inputs, params=None):
        super().__init__(prefix="", params=None)
        self._params = ParameterDict("", shared=params)  # the graph's names, even inside a name scope
        outs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
        ins = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        self._graph = outs[0] if len(outs) == 1 else sym.Group(outs)
        self._several = isinstance(outputs, (list, tuple)) and len(outs) > 1
        self._names = []
        for s in ins:
            name = s.name if isinstance(s, sym.Symbol) else None
            if name is None or s.get_children() is not None:
                raise ValueError("SymbolBlock: inputs must be variables (mx.sym.var), got %r" % (s,))
            self._names.append(name)
        known = set(self._graph.list_inputs())
        for nm in self._names:
            if nm not in known:
                raise ValueError("SymbolBlock: input '%s' is not an input of the graph (its inputs: %s)"
                                 % (nm, ", ".join(sorted(known))))
        aux = set(self._graph.list_auxiliary_states())
        for nm in self._graph.list_inputs():
            if nm not in self._names:
                self._params.get(nm, grad_req="null" if nm in aux else "write", allow_deferred_init=True)
        self._hybrid_on = True

    @staticmethod
    def imports(symbol_file, input_names, param_file=None, ctx=None):
        """A SymbolBlock from files written by ``export`` (or ``mx.model.save_checkpoint``): the graph from
        ``symbol_file``, its inputs named ``input_names`` (a name or a list), the parameters from ``param_file``
        (``arg:``/``aux:`` keys, or plain names) on ``ctx``."""
        graph = sym.load(symbol_file)
        names = [input_names] if isinstance(input_names, str) else list(input_names)
        block = SymbolBlock(graph, [sym.var(n) for n in names])
        if param_file is not None:
            stored = nd.load(param_file)
            params = block.collect_params()
            for key, arr in stored.items():
                name = key.split(":", 1)[1] if key.startswith(("arg:", "aux:")) else key
                if name in params:
                    _load_into(params[name], arr, ctx)
                elif name not in names:
                    raise ValueError("Parameter '%s' loaded from file '%s' is not present in the graph of '%s'"
                                     % (name, param_file, symbol_file))
        return block

    def hybridize(self, active=True, static_alloc=False, static_shape=False, **kwargs):
        super().hybridize(active, static_alloc=static_alloc, static_shape=static_shape, **kwargs)
        self._hybrid_on = True  # a SymbolBlock has no imperative form

    def _input_names(self, n):
        if n != len(self._names):
            raise ValueError("SymbolBlock: expected %d input(s) (%s), got %d"
                             % (len(self._names), ", ".join(self._names), n))
        return list(self._names)

    def _trace(self, layout, shapes):
        self._input_names(len(shapes))
        return self._graph, (((None,) * len(self._graph.list_outputs()), False) if self._several else None)

    def forward(self, data, *rest):
        x = (data,) + rest
        if isinstance(data, sym.Symbol):
            self._input_names(len(x))
            return self._graph(**dict(zip(self._names, x)))
        return self._call_cached(x)

    def __repr__(self):
        return "SymbolBlock(%s -> %s)" % (", ".join(self._names), ", ".join(self._graph.list_outputs()))


# MXNet 1.9.1's further Block/HybridBlock methods (gluon/_block_api.py)
from . import _block_api  # noqa: E402
Block.summary = _block_api.summary
Block.register_op_hook = _block_api.register_op_hook
Block.save = _block_api.save
Block.load = _block_api.load
HybridBlock.infer_type = _block_api.infer_type
HybridBlock.optimize_for = _block_api.optimize_for
