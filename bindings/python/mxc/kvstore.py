"""Key-value stores (``mx.kv``) for data-parallel training on the devices of one machine.

``create('local')`` keeps each value on the CPU, ``create('device')`` (and 'nccl') on the device of the value it
was initialized with. ``push`` sums the values given for a key (one per device) and stores the sum, or hands it to
the updater (``set_optimizer``) that updates the stored value; ``pull`` copies the stored value to each output.
Distributed stores ('dist_*') need several machines and are not supported.
"""
import pickle

from . import optimizer as _opt
from .base import MXNetError
from .context import cpu

__all__ = ["KVStore", "create"]


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _pairs(key, value, what):
    """[(key, [values])] from MXNet's forms: a key and a value / list of values, or lists of both."""
    if isinstance(key, (list, tuple)):
        values = _as_list(value)
        if len(values) != len(key):
            raise MXNetError("KVStore.%s: %d keys but %d values" % (what, len(key), len(values)))
        return [(k, _as_list(v)) for k, v in zip(key, values)]
    return [(key, _as_list(value))]


class KVStore:
    """A single-machine key-value store (see the module's description)."""

    def __init__(self, kv_type="local"):
        self._type = kv_type
        self._store = {}
        self._key_type = None
        self._updater = None
        self._optimizer = None

    @property
    def type(self):
        return self._type

    @property
    def rank(self):
        return 0

    @property
    def num_workers(self):
        return 1

    def _check_key(self, key):
        kind = str if isinstance(key, str) else int
        if kind is int and not isinstance(key, int):
            raise MXNetError("KVStore: a key must be an int or a str, got %r" % (key,))
        if self._key_type is None:
            self._key_type = kind
        elif self._key_type is not kind:
            raise MXNetError("KVStore: mixed key types are not allowed (the store uses %s keys, got %r)"
                             % (self._key_type.__name__, key))

    def _stored(self, key, what):
        if key not in self._store:
            raise MXNetError("KVStore.%s: key %r has not been inited" % (what, key))
        return self._store[key]

    def init(self, key, value):
        """Stores the initial value of ``key`` (each key once)."""
        for k, vals in _pairs(key, value, "init"):
            self._check_key(k)
            if k in self._store:
                raise MXNetError("KVStore.init: duplicate init of key %r" % (k,))
            home = cpu() if self._type == "local" else vals[0].context
            self._store[k] = vals[0].copyto(home)

    def broadcast(self, key, value, out, priority=0):
        """``init`` then ``pull``."""
        self.init(key, value)
        self.pull(key, out, priority)

    def push(self, key, value, priority=0):
        """Sums the values of each key (one per device) into its stored value: through the updater when one is
        set, else by replacing it."""
        del priority
        for k, vals in _pairs(key, value, "push"):
            stored = self._stored(k, "push")
            total = vals[0].as_in_context(stored.context)
            if len(vals) > 1:
                total = total.copy()
                for v in vals[1:]:
                    total += v.as_in_context(stored.context)
            if self._updater is not None:
                self._updater(k, total, stored)
            else:
                stored[:] = total

    def pull(self, key, out=None, priority=0, ignore_sparse=True):
        """Copies the stored value of each key into ``out`` (an array, or one per device)."""
        del priority, ignore_sparse
        if out is None:
            raise MXNetError("KVStore.pull: out is required")
        for k, outs in _pairs(key, out, "pull"):
            stored = self._stored(k, "pull")
            for o in outs:
                o[:] = stored.as_in_context(o.context)

    def pushpull(self, key, value, out=None, priority=0):
        """``push`` then ``pull`` (into ``value`` when ``out`` is None)."""
        self.push(key, value, priority)
        self.pull(key, value if out is None else out, priority)

    def row_sparse_pull(self, key, out=None, priority=0, row_ids=None):
        """Copies the rows ``row_ids`` (sorted, repeats dropped) of the stored row_sparse value of each key into
        ``out`` (a RowSparseNDArray, or one per device with a row_ids array each), as MXNet 1.9.1: the result's
        indices are those rows, zeros where the stored value has none."""
        del priority
        from .ndarray import sparse as _sp
        if out is None:
            raise MXNetError("KVStore.row_sparse_pull: out is required")
        if row_ids is None:
            raise MXNetError("KVStore.row_sparse_pull: row_ids is required")
        pairs = _pairs(key, out, "row_sparse_pull")
        ids = _pairs(key, row_ids, "row_sparse_pull") if isinstance(key, (list, tuple)) else [(key, _as_list(row_ids))]
        for (k, outs), (_, rids) in zip(pairs, ids):
            stored = self._stored(k, "row_sparse_pull")
            if not isinstance(stored, _sp.RowSparseNDArray):
                raise MXNetError("KVStore.row_sparse_pull: the value of key %r has storage type %r, row_sparse_pull "
                                 "expects row_sparse" % (k, stored.stype))
            if len(rids) == 1 and len(outs) > 1:
                rids = rids * len(outs)
            if len(rids) != len(outs):
                raise MXNetError("KVStore.row_sparse_pull: %d outputs but %d row_ids for key %r"
                                 % (len(outs), len(rids), k))
            for o, r in zip(outs, rids):
                if not isinstance(o, _sp.RowSparseNDArray):
                    raise MXNetError("KVStore.row_sparse_pull: expected row_sparse outputs, got storage type %r"
                                     % (getattr(o, "stype", type(o).__name__),))
                if o.shape != stored.shape:
                    raise MXNetError("KVStore.row_sparse_pull: output shape %s does not match the value's %s of key "
                                     "%r" % (o.shape, stored.shape, k))
                rows = _sp.unique_rows(r, stored.shape[0], stored.context)
                _sp.retain(stored, rows).copyto(o)

    def set_gradient_compression(self, compression_params):
        raise NotImplementedError("KVStore.set_gradient_compression: gradient compression is for distributed "
                                  "stores, which mxc does not have")

    def set_optimizer(self, optimizer):
        """Makes push update the stored values with ``optimizer``."""
        if not isinstance(optimizer, _opt.Optimizer):
            raise TypeError("KVStore.set_optimizer: expected an Optimizer, got %s" % type(optimizer).__name__)
        self._optimizer = optimizer
        self._set_updater(_opt.get_updater(optimizer))

    def _set_updater(self, updater):
        self._updater = updater

    def save_optimizer_states(self, fname, dump_optimizer=False):
        """Writes the updater's states (``set_optimizer`` first)."""
        if self._updater is None or not hasattr(self._updater, "get_states"):
            raise MXNetError("KVStore.save_optimizer_states: no optimizer is set (call set_optimizer first)")
        with open(fname, "wb") as f:
            f.write(self._updater.get_states(dump_optimizer))

    def load_optimizer_states(self, fname):
        """Reads states written by ``save_optimizer_states``."""
        if self._updater is None or not hasattr(self._updater, "set_states"):
            raise MXNetError("KVStore.load_optimizer_states: no optimizer is set (call set_optimizer first)")
        with open(fname, "rb") as f:
            self._updater.set_states(f.read())

    def barrier(self):
        """Nothing to wait for: one worker."""

    def __getstate__(self):
        raise pickle.PicklingError("a KVStore cannot be pickled")


def create(name="local"):
    """A KVStore: 'local' (values on the CPU), 'device' or 'nccl' (values on the devices)."""
    if not isinstance(name, str):
        raise TypeError("kvstore.create: name must be a string, got %r" % (name,))
    if name.startswith("dist") or name == "horovod" or name == "byteps":
        raise NotImplementedError("kvstore '%s': distributed training is not supported by mxc (one machine: use "
                                  "'local' or 'device')" % name)
    if name not in ("local", "device", "nccl", "local_allreduce_cpu", "local_allreduce_device"):
        raise ValueError("kvstore.create: unknown type '%s' (local, device, nccl)" % name)
    return KVStore(name)
