"""Data iterators (MXNet 1.x ``mx.io``): DataDesc, DataBatch, DataIter, NDArrayIter, MNISTIter, ResizeIter,
ImageRecordIter.

Iterators yield ``DataBatch`` objects whose ``data`` and ``label`` are lists of NDArrays, one per input, shaped
``(batch_size, ...)``; ``pad`` says how many trailing samples of the batch are filler.
"""
import gzip
import logging
import os
from collections import OrderedDict, namedtuple

import numpy as np

from . import ndarray as nd
from .context import current_context

try:  # the C API, to gather a batch straight into a new array's memory (see _take_nd)
    from .base import check_call as _check_call, ffi as _ffi, lib as _lib
except ImportError:  # pragma: no cover - another core without these
    _lib = None

__all__ = ["DataDesc", "DataBatch", "DataIter", "NDArrayIter", "MNISTIter", "ResizeIter", "PrefetchingIter", "CSVIter",
           "ImageRecordIter", "ImageRecordUInt8Iter", "ImageRecordInt8Iter", "ImageDetRecordIter",
           "ImageRecordIter_v1", "ImageRecordUInt8Iter_v1", "LibSVMIter"]

_DEFAULT_DTYPE = np.float32


class DataDesc(namedtuple('DataDesc', ['name', 'shape'])):
    """Name, shape, dtype and layout of one input; compares and unpacks like a ``(name, shape)`` tuple."""

    def __new__(cls, name, shape, dtype=_DEFAULT_DTYPE, layout='NCHW'):
        ret = super(DataDesc, cls).__new__(cls, name, tuple(shape))
        ret.dtype = dtype
        ret.layout = layout
        return ret

    def __repr__(self):
        return "DataDesc[%s,%s,%s,%s]" % (self.name, self.shape, self.dtype, self.layout)

    def __getnewargs__(self):
        return (self.name, self.shape, self.dtype, self.layout)

    @staticmethod
    def get_batch_axis(layout):
        """The position of 'N' in ``layout`` (0 when the layout is None)."""
        if layout is None:
            return 0
        return layout.find('N')

    @staticmethod
    def get_list(shapes, types):
        """Builds DataDescs from ``[(name, shape)]`` and optional ``[(name, dtype)]`` lists."""
        if types is not None:
            type_dict = dict(types)
            return [DataDesc(x[0], x[1], type_dict[x[0]]) for x in shapes]
        return [DataDesc(x[0], x[1]) for x in shapes]


class DataBatch(object):
    """One mini-batch: ``data`` and ``label`` (lists of NDArrays), ``pad`` (number of filler samples at the
    end), ``index``, ``bucket_key``, and optionally ``provide_data`` / ``provide_label`` descriptions."""

    def __init__(self, data, label=None, pad=None, index=None, bucket_key=None,
                 provide_data=None, provide_label=None):
        if data is not None and not isinstance(data, (list, tuple)):
            raise TypeError("DataBatch: data must be a list of NDArrays, got %s" % type(data).__name__)
        if label is not None and not isinstance(label, (list, tuple)):
            raise TypeError("DataBatch: label must be a list of NDArrays, got %s" % type(label).__name__)
        self.data = data
        self.label = label
        self.pad = pad
        self.index = index
        self.bucket_key = bucket_key
        self.provide_data = provide_data
        self.provide_label = provide_label

    def __str__(self):
        data_shapes = [d.shape for d in self.data] if self.data else None
        label_shapes = [l.shape for l in self.label] if self.label else None
        return "{}: data shapes: {} label shapes: {}".format(self.__class__.__name__, data_shapes, label_shapes)


class DataIter(object):
    """Base class of iterators: subclasses implement ``reset`` and either ``next`` or
    ``iter_next`` + ``getdata``/``getlabel``/``getpad``/``getindex``."""

    def __init__(self, batch_size=0):
        self.batch_size = batch_size

    def __iter__(self):
        return self

    def reset(self):
        """Rewinds to the first batch."""

    def next(self):
        """Returns the next DataBatch or raises StopIteration."""
        if self.iter_next():
            return DataBatch(data=self.getdata(), label=self.getlabel(), pad=self.getpad(), index=self.getindex())
        raise StopIteration

    def __next__(self):
        return self.next()

    def iter_next(self):
        """Moves to the next batch; returns False at the end."""
        raise NotImplementedError()

    def getdata(self):
        raise NotImplementedError()

    def getlabel(self):
        return None

    def getindex(self):
        return None

    def getpad(self):
        return 0


class _BatchAtHand(DataIter):
    """An iterator whose getters read the DataBatch it last made (``self.current_batch``)."""

    current_batch = None

    def getdata(self):
        return self.current_batch.data

    def getlabel(self):
        return self.current_batch.label

    def getindex(self):
        return self.current_batch.index

    def getpad(self):
        return self.current_batch.pad


class ResizeIter(_BatchAtHand):
    """Makes ``data_iter`` yield exactly ``size`` batches per epoch, restarting it when it runs out."""

    def __init__(self, data_iter, size, reset_internal=True):
        super(ResizeIter, self).__init__()
        self.data_iter = data_iter
        self.size = size
        self.reset_internal = reset_internal
        self.cur = 0
        self.current_batch = None
        self.provide_data = data_iter.provide_data
        self.provide_label = data_iter.provide_label
        self.batch_size = data_iter.batch_size
        if hasattr(data_iter, 'default_bucket_key'):
            self.default_bucket_key = data_iter.default_bucket_key

    def reset(self):
        self.cur = 0
        if self.reset_internal:
            self.data_iter.reset()

    def iter_next(self):
        if self.cur == self.size:
            return False
        try:
            self.current_batch = self.data_iter.next()
        except StopIteration:
            self.data_iter.reset()
            self.current_batch = self.data_iter.next()
        self.cur += 1
        return True


class PrefetchingIter(_BatchAtHand):
    """Runs one or more iterators ahead in background threads (one each), so that the next batch is being made
    while the current one is used. With several iterators a batch joins their data (and their labels) in order;
    they must have the same batch size and number of batches. ``rename_data`` / ``rename_label``: one dict per
    iterator mapping its names to new ones."""

    def __init__(self, iters, rename_data=None, rename_label=None):
        super(PrefetchingIter, self).__init__()
        self.iters = list(iters) if isinstance(iters, (list, tuple)) else [iters]
        n = len(self.iters)
        for what, ren in (("rename_data", rename_data), ("rename_label", rename_label)):
            if ren is not None and len(ren) != n:
                raise ValueError("PrefetchingIter: %s needs one dict per iterator (%d), got %d" % (what, n, len(ren)))
        self.rename_data, self.rename_label = rename_data, rename_label
        self.batch_size = self.iters[0].batch_size
        for i in self.iters[1:]:
            if i.batch_size != self.batch_size:
                raise ValueError("PrefetchingIter: the iterators' batch sizes differ (%d and %d)"
                                 % (self.batch_size, i.batch_size))
        self._threads = []
        self.current_batch = None
        self._start()

    @staticmethod
    def _renamed(descs, ren):
        out = []
        for d in descs or []:
            name = ren.get(d.name, d.name) if ren else d.name
            out.append(DataDesc(name, d.shape, getattr(d, "dtype", np.float32), getattr(d, "layout", "NCHW")))
        return out

    @property
    def provide_data(self):
        return sum((self._renamed(it.provide_data, self.rename_data[k] if self.rename_data else None)
                    for k, it in enumerate(self.iters)), [])

    @property
    def provide_label(self):
        return sum((self._renamed(getattr(it, "provide_label", None),
                                  self.rename_label[k] if self.rename_label else None)
                    for k, it in enumerate(self.iters)), [])

    def _start(self):
        import queue
        import threading
        self._queues = [queue.Queue(1) for _ in self.iters]
        self._stop = threading.Event()

        def run(it, q, stop):
            while not stop.is_set():
                try:
                    item = it.next()
                except StopIteration:
                    item = None
                except BaseException as e:  # surfaces in next()
                    item = e
                q.put(item)
                if item is None or isinstance(item, BaseException):
                    return
        self._threads = [threading.Thread(target=run, args=(it, q, self._stop), daemon=True)
                         for it, q in zip(self.iters, self._queues)]
        for t in self._threads:
            t.start()

    def _halt(self):
        self._stop.set()
        for t, q in zip(self._threads, self._queues):
            while t.is_alive():
                try:
                    q.get(timeout=0.05)
                except Exception:
                    pass
        self._threads = []

    def reset(self):
        self._halt()
        for it in self.iters:
            it.reset()
        self._start()

    def iter_next(self):
        if not self._threads:
            return False
        items = [q.get() for q in self._queues]
        for item in items:
            if isinstance(item, BaseException):
                self._halt()
                raise item
        if any(item is None for item in items):
            if not all(item is None for item in items):
                self._halt()
                raise ValueError("PrefetchingIter: the iterators ran out after different numbers of batches")
            self._threads = []
            return False
        pads = set(b.pad for b in items)
        if len(pads) > 1:
            raise ValueError("PrefetchingIter: the iterators' batches have different pads %s" % sorted(pads))
        self.current_batch = DataBatch(
            data=sum((list(b.data) for b in items), []), label=sum((list(b.label or []) for b in items), []),
            pad=items[0].pad, index=items[0].index, bucket_key=getattr(items[0], "bucket_key", None),
            provide_data=self.provide_data, provide_label=self.provide_label)
        return True

    def next(self):
        if self.iter_next():
            return self.current_batch
        raise StopIteration

    def __del__(self):
        try:
            self._halt()
        except Exception:
            pass


class CSVIter(DataIter):
    """Batches from CSV files of numbers (MXNet's ``mx.io.CSVIter``): each row of ``data_csv`` is one sample of
    ``data_shape``; labels are rows of ``label_csv`` of ``label_shape`` (zeros without it). Batches of
    ``(batch_size,) + data_shape`` and ``(batch_size,) + label_shape`` (``(batch_size,)`` for a label of one
    value), in ``dtype`` (float32, int32 or int64).

    With ``round_batch`` (the default) an incomplete last batch is completed with rows from the start of the file,
    reported by ``pad``, and the next epoch starts after those rows and ends at the end of the file, as MXNet does
    (so epochs can differ in length); without it the filler rows are zeros."""

    def __init__(self, data_csv, data_shape, batch_size, label_csv=None, label_shape=(1,), round_batch=True,
                 dtype="float32", data_name="data", label_name="softmax_label", prefetch_buffer=4, **kwargs):
        super(CSVIter, self).__init__(int(batch_size))
        for k in kwargs:
            if k not in ("preprocess_threads", "ctx", "verbose", "prefetch_buffer"):
                raise TypeError("CSVIter: unknown argument %s" % k)
        if self.batch_size < 1:
            raise ValueError("CSVIter: batch_size must be positive, got %r" % (batch_size,))
        self._dtype = np.dtype(dtype)
        if self._dtype not in (np.float32, np.int32, np.int64):
            raise ValueError("CSVIter: dtype must be float32, int32 or int64, got %s" % dtype)
        self.data_shape = tuple(int(d) for d in data_shape)
        self.label_shape = tuple(int(d) for d in label_shape)
        self.data_name, self.label_name = data_name, label_name
        self._data = self._load(data_csv, self.data_shape, "data_csv")
        if label_csv:
            self._label = self._load(label_csv, self.label_shape, "label_csv")
            if len(self._label) != len(self._data):
                raise ValueError("CSVIter: %s has %d rows but %s has %d" % (label_csv, len(self._label), data_csv,
                                                                          len(self._data)))
        else:
            self._label = np.zeros((len(self._data),) + self.label_shape, self._dtype)
        if len(self._data) == 0:
            raise ValueError("CSVIter: %s holds no rows" % data_csv)
        self._round = round_batch
        self._start = 0
        self.reset()

    def _load(self, path, shape, what):
        if not os.path.isfile(path):
            raise FileNotFoundError("CSVIter: %s %s: no such file" % (what, path))
        rows = np.loadtxt(path, delimiter=",", dtype=np.float64, ndmin=2)
        size = int(np.prod(shape))
        if rows.size and rows.shape[1] != size:
            raise ValueError("CSVIter: the rows of %s (%s) have %d values but the shape %s has %d"
                             % (what, path, rows.shape[1], shape, size))
        return rows.reshape((rows.shape[0],) + shape).astype(self._dtype)

    @property
    def provide_data(self):
        return [DataDesc(self.data_name, (self.batch_size,) + self.data_shape, self._dtype.type)]

    @property
    def provide_label(self):
        shape = (self.batch_size,) if self.label_shape == (1,) else (self.batch_size,) + self.label_shape
        return [DataDesc(self.label_name, shape, self._dtype.type)]

    def reset(self):
        n = len(self._data)
        self._order = np.arange(self._start, n)
        tail = len(self._order) % self.batch_size
        if tail and self._round:
            borrow = self.batch_size - tail
            self._order = np.concatenate([self._order, np.resize(np.arange(n), borrow)])
            self._next_start = borrow % n
        else:
            self._next_start = 0
        self._real = n - self._start
        self._cursor = 0

    def iter_next(self):
        if self._cursor >= len(self._order):
            self._start = self._next_start
            return False
        rows = self._order[self._cursor:self._cursor + self.batch_size]
        self._rows, self._pad = rows, max(0, self._cursor + self.batch_size - self._real)
        self._cursor += self.batch_size
        return True

    def _batch(self, src):
        out = np.zeros((self.batch_size,) + src.shape[1:], self._dtype)
        out[:len(self._rows)] = src[self._rows]
        return out

    def getdata(self):
        return [nd.array(self._batch(self._data), dtype=self._dtype)]

    def getlabel(self):
        lab = self._batch(self._label)
        return [nd.array(lab.reshape(self.batch_size) if self.label_shape == (1,) else lab, dtype=self._dtype)]

    def getpad(self):
        return self._pad

    def getindex(self):
        idx = np.zeros(self.batch_size, np.uint64)
        idx[:len(self._rows)] = self._rows
        return idx


def _take_nd(src, rows, dtype):
    """``nd.array(src[rows], dtype=dtype)`` with a single copy: on the CPU the rows are gathered straight into the
    memory of a new NDArray (one pass instead of a gather into a temporary plus a copy)."""
    if _lib is not None and src.dtype == dtype and current_context().device_type == 'cpu':
        shape = (len(rows),) + src.shape[1:]
        out = nd.empty(shape, dtype=dtype)
        ptr = _ffi.new("void **")
        _check_call(_lib.MXCNDArrayWaitToWrite(out.handle))
        _check_call(_lib.MXCNDArrayGetData(out.handle, ptr))
        nbytes = int(np.prod(shape)) * dtype.itemsize
        if nbytes:
            view = np.frombuffer(_ffi.buffer(ptr[0], nbytes), dtype=dtype).reshape(shape)
            np.take(src, rows, axis=0, out=view, mode='clip')  # rows are valid; 'raise' would buffer
        return out
    return nd.array(src[rows], dtype=dtype)


def _canonical_inputs(data, allow_empty, default_name, what):
    """Turns an array, a list of arrays or a dict of arrays into a name-sorted list of (name, numpy array,
    dtype). NumPy and other array-likes become float32 (as ``mx.nd.array`` makes them); NDArrays keep their
    dtype."""
    if data is None:
        if not allow_empty:
            raise ValueError("NDArrayIter: %s must not be None" % what)
        data = []
    if isinstance(data, (np.ndarray, nd.NDArray)):
        data = [data]
    if isinstance(data, (list, tuple)):
        if not data and not allow_empty:
            raise ValueError("NDArrayIter: %s must not be empty" % what)
        if len(data) == 1:
            data = OrderedDict([(default_name, data[0])])
        else:
            data = OrderedDict([('_%d_%s' % (i, default_name), d) for i, d in enumerate(data)])
    if not isinstance(data, dict):
        raise TypeError("NDArrayIter: %s must be an NDArray, a numpy.ndarray, a list of them or a dict of name to "
                        "array, got %s" % (what, type(data).__name__))
    out = []
    for name, value in sorted(data.items()):
        if isinstance(value, nd.NDArray):
            dtype = np.dtype(value.dtype)
            value = value.asnumpy()
        else:
            try:
                value = np.asarray(value)
            except Exception as err:
                raise TypeError("NDArrayIter: invalid type %s for %s '%s'; expected NDArray or numpy.ndarray"
                                % (type(value).__name__, what, name)) from err
            if value.dtype == object:
                raise TypeError("NDArrayIter: %s '%s' is not a numeric array" % (what, name))
            dtype = np.dtype(_DEFAULT_DTYPE)
        if value.ndim == 0:
            raise ValueError("NDArrayIter: %s '%s' must have a batch axis, got a scalar" % (what, name))
        out.append((name, np.ascontiguousarray(value, dtype=dtype), dtype))
    return out


class NDArrayIter(DataIter):
    """Iterates over in-memory arrays (MXNet's ``mx.io.NDArrayIter``).

    Parameters
    ----------
    data : NDArray, numpy.ndarray, list of them, or dict of name -> array
        Inputs; a single array is named ``data_name``, a list ``_0_<data_name>``, ``_1_<data_name>``, ...; dict
        inputs are sorted by name.
    label : same kinds as ``data``, optional
        Labels, named after ``label_name``.
    batch_size : int
    shuffle : bool
        Reshuffles the samples (with NumPy's global generator) at every ``reset``.
    last_batch_handle : {'pad', 'discard', 'roll_over'}
        'pad' fills the last batch with samples from the start and reports ``pad``; 'discard' drops the
        incomplete batch; 'roll_over' keeps its samples and puts them at the front of the next epoch's first
        batch.
    data_name, label_name : str
    layout : str
        Only 'N' at position 0 is supported.
    """

    def __init__(self, data, label=None, batch_size=1, shuffle=False, last_batch_handle='pad',
                 data_name='data', label_name='softmax_label', layout='NCHW'):
        super(NDArrayIter, self).__init__(batch_size)
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError("NDArrayIter: batch_size must be a positive int, got %r" % (batch_size,))
        if last_batch_handle not in ('pad', 'discard', 'roll_over'):
            raise ValueError("NDArrayIter: last_batch_handle must be 'pad', 'discard' or 'roll_over', got %r"
                             % (last_batch_handle,))
        if layout.find('N') != 0:
            raise ValueError("NDArrayIter: only layouts with the batch axis first are supported, got %r" % (layout,))
        self._data = _canonical_inputs(data, False, data_name, 'data')
        self._label = _canonical_inputs(label, True, label_name, 'label')
        self.num_data = self._data[0][1].shape[0]
        for name, arr, _ in self._data + self._label:
            if arr.shape[0] != self.num_data:
                raise ValueError("NDArrayIter: all inputs must have the same number of samples; '%s' has %d but "
                                 "'%s' has %d" % (self._data[0][0], self.num_data, name, arr.shape[0]))
        if self.num_data == 0:
            raise ValueError("NDArrayIter: the data has no samples")
        self.idx = np.arange(self.num_data)
        self.shuffle = shuffle
        self.last_batch_handle = last_batch_handle
        self.batch_size = int(batch_size)
        self.layout = layout
        self.cursor = -self.batch_size
        self._cache = None  # roll_over: (data arrays, label arrays) of the incomplete last batch
        self.reset()

    # -- description -----------------------------------------------------------------------------------------
    def _describe(self, sources):
        return [DataDesc(name, (self.batch_size,) + arr.shape[1:], dtype, layout=self.layout)
                for name, arr, dtype in sources]

    @property
    def provide_data(self):
        """DataDescs of the data inputs, with the batch size as first dimension."""
        return self._describe(self._data)

    @property
    def provide_label(self):
        """DataDescs of the labels (empty without labels)."""
        return self._describe(self._label)

    @property
    def data(self):
        """``[(name, NDArray)]`` of all data samples in the current (shuffled) order."""
        return [(name, nd.array(arr[self.idx], dtype=dtype)) for name, arr, dtype in self._data]

    @property
    def label(self):
        """``[(name, NDArray)]`` of all labels in the current (shuffled) order."""
        return [(name, nd.array(arr[self.idx], dtype=dtype)) for name, arr, dtype in self._label]

    # -- iteration -------------------------------------------------------------------------------------------
    def hard_reset(self):
        """Rewinds to the start, dropping any rolled-over samples."""
        if self.shuffle:
            np.random.shuffle(self.idx)
        self.cursor = -self.batch_size
        self._cache = None

    def reset(self):
        if self.shuffle:
            np.random.shuffle(self.idx)
        # After an epoch that stopped on an incomplete batch (cursor inside the last batch), roll_over starts the
        # next epoch early so that the first batch is completed by the cached samples.
        if (self.last_batch_handle == 'roll_over'
                and self.num_data - self.batch_size < self.cursor < self.num_data):
            self.cursor = self.cursor - self.num_data - self.batch_size
        else:
            self.cursor = -self.batch_size
            self._cache = None

    def iter_next(self):
        self.cursor += self.batch_size
        return self.cursor < self.num_data

    def next(self):
        if not self.iter_next():
            raise StopIteration
        end = self.cursor + self.batch_size
        if 0 <= self.cursor and end <= self.num_data:  # a full batch inside the data: the common case
            sel = self.idx[self.cursor:end]
            return DataBatch(data=[_take_nd(arr, sel, dtype) for _, arr, dtype in self._data],
                             label=[_take_nd(arr, sel, dtype) for _, arr, dtype in self._label], pad=0, index=None)
        data = self._batch_numpy(self._data)
        label = self._batch_numpy(self._label)
        if data[0].shape[0] != self.batch_size:
            # incomplete last batch ('discard', or 'roll_over' which keeps it for the next epoch)
            if self.last_batch_handle == 'roll_over':
                self._cache = (data, label)
            raise StopIteration
        pad = self.getpad()
        if self.cursor < 0:
            self._cache = None
        return DataBatch(data=self._to_nd(data, self._data), label=self._to_nd(label, self._label), pad=pad,
                         index=None)

    @staticmethod
    def _to_nd(arrays, sources):
        return [nd.array(a, dtype=src[2]) for a, src in zip(arrays, sources)]

    def _rows(self, sources, start, end):
        sel = self.idx[start:end]
        return [arr[sel] for _, arr, _ in sources]

    def _batch_numpy(self, sources):
        """The current batch of every source as NumPy arrays."""
        if not sources:
            return []
        if self.cursor >= self.num_data:
            raise RuntimeError("NDArrayIter: the iterator is exhausted; call reset()")
        end = self.cursor + self.batch_size
        if self.last_batch_handle == 'roll_over' and self.cursor < 0:
            if self._cache is None:
                raise RuntimeError("NDArrayIter: roll_over state lost; call hard_reset()")
            cached = self._cache[0] if sources is self._data else self._cache[1]
            fresh = self._rows(sources, 0, end)
            return [np.concatenate([c, f], axis=0) for c, f in zip(cached, fresh)]
        if self.last_batch_handle == 'pad' and end > self.num_data:
            first = self._rows(sources, self.cursor, self.num_data)
            pad = end - self.num_data
            # pad by cycling through the data from its start (more than once if the data is shorter than pad)
            wrap = np.arange(pad) % self.num_data
            sel = self.idx[wrap]
            return [np.concatenate([f, arr[sel]], axis=0) for f, (_, arr, _) in zip(first, sources)]
        return self._rows(sources, self.cursor, min(end, self.num_data))

    def getdata(self):
        return self._to_nd(self._batch_numpy(self._data), self._data)

    def getlabel(self):
        return self._to_nd(self._batch_numpy(self._label), self._label)

    def getpad(self):
        if self.last_batch_handle == 'pad' and self.cursor + self.batch_size > self.num_data:
            return self.cursor + self.batch_size - self.num_data
        if self.last_batch_handle == 'roll_over' and -self.batch_size < self.cursor < 0:
            return -self.cursor
        return 0

    def __len__(self):
        """Number of batches one epoch yields (from a fresh start, without rolled-over samples)."""
        if self.last_batch_handle == 'pad':
            return (self.num_data + self.batch_size - 1) // self.batch_size
        return self.num_data // self.batch_size


def _read_idx(path):
    """Reads an MNIST-format idx file (optionally gzipped) into a NumPy array."""
    if not os.path.exists(path):
        raise FileNotFoundError("MNISTIter: file '%s' does not exist" % path)
    opener = gzip.open if path.endswith('.gz') else open
    try:
        with opener(path, 'rb') as f:
            raw = f.read()
    except OSError as err:
        raise IOError("MNISTIter: cannot read '%s': %s" % (path, err)) from err
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError("MNISTIter: '%s' is not an idx file (bad magic number)" % path)
    type_code, ndim = raw[2], raw[3]
    dtypes = {0x08: np.uint8, 0x09: np.int8, 0x0B: '>i2', 0x0C: '>i4', 0x0D: '>f4', 0x0E: '>f8'}
    if type_code not in dtypes:
        raise ValueError("MNISTIter: '%s' has unknown idx element type 0x%02x" % (path, type_code))
    dims = tuple(int(d) for d in np.frombuffer(raw, '>u4', ndim, 4))
    dtype = np.dtype(dtypes[type_code])
    count = int(np.prod(dims)) if dims else 1
    offset = 4 + 4 * ndim
    if len(raw) < offset + count * dtype.itemsize:
        raise ValueError("MNISTIter: '%s' is truncated: header says %s but the file holds %d bytes"
                         % (path, dims, len(raw)))
    return np.frombuffer(raw, dtype, count, offset).reshape(dims)


def _resolve_idx_path(path):
    """Accepts 'x-idx3-ubyte' when only 'x-idx3-ubyte.gz' exists and vice versa."""
    if os.path.exists(path):
        return path
    if path.endswith('.gz') and os.path.exists(path[:-3]):
        return path[:-3]
    if not path.endswith('.gz') and os.path.exists(path + '.gz'):
        return path + '.gz'
    raise FileNotFoundError("MNISTIter: file '%s' (or '%s.gz') does not exist" % (path, path))


class MNISTIter(DataIter):
    """Iterates over MNIST-format idx files (MXNet's ``mx.io.MNISTIter``); gzipped files are read too.

    Images become float32 scaled by 1/256 as MXNet's iterator does (0..255 -> [0, 0.996]), shaped
    ``(batch, 1, rows, cols)`` or ``(batch, rows*cols)`` with ``flat=True``; labels float32 ``(batch,)``.
    With ``shuffle`` the order is drawn once, from ``seed``. An incomplete last batch is dropped.

    Parameters
    ----------
    image, label : str
        Paths of the image and label idx files.
    batch_size : int
    shuffle : bool
    flat : bool
    seed : int
    silent : bool
    num_parts, part_index : int
        Read only part ``part_index`` of ``num_parts`` equal slices (for distributed reading).
    data_name, label_name : str
    """

    def __init__(self, image='./train-images-idx3-ubyte', label='./train-labels-idx1-ubyte', batch_size=128,
                 shuffle=True, flat=False, seed=0, silent=False, num_parts=1, part_index=0,
                 data_name='data', label_name='softmax_label', dtype='float32', **kwargs):
        super(MNISTIter, self).__init__(batch_size)
        ignored = set(kwargs) - {'prefetch_buffer', 'ctx', 'input_shape'}
        if ignored:
            raise TypeError("MNISTIter: unknown argument(s) %s" % ", ".join(sorted(ignored)))
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError("MNISTIter: batch_size must be a positive int, got %r" % (batch_size,))
        if not 0 <= part_index < num_parts:
            raise ValueError("MNISTIter: part_index %d out of range for num_parts %d" % (part_index, num_parts))
        images = _read_idx(_resolve_idx_path(image))
        labels = _read_idx(_resolve_idx_path(label))
        if images.ndim != 3:
            raise ValueError("MNISTIter: image file '%s' must hold a 3-d array (count, rows, cols), got shape %s"
                             % (image, images.shape))
        if labels.ndim != 1 or labels.shape[0] != images.shape[0]:
            raise ValueError("MNISTIter: label file '%s' holds %s labels for %d images"
                             % (label, labels.shape, images.shape[0]))
        n = images.shape[0]
        begin, end = n * part_index // num_parts, n * (part_index + 1) // num_parts
        images, labels = images[begin:end], labels[begin:end]
        order = np.arange(images.shape[0])
        if shuffle:
            np.random.RandomState(seed).shuffle(order)
        self._dtype = np.dtype(dtype)
        self._images = (images[order].astype(np.float32) * (1.0 / 256.0)).astype(self._dtype)
        if flat:
            self._images = self._images.reshape(self._images.shape[0], -1)
        else:
            self._images = self._images.reshape(self._images.shape[0], 1, images.shape[1], images.shape[2])
        self._labels = labels[order].astype(np.float32)
        if not silent:
            logging.info("MNISTIter: load %d images, shuffle=%d, shape=%s", self._images.shape[0], int(shuffle),
                         (int(batch_size),) + self._images.shape[1:])
        self.batch_size = int(batch_size)
        self.data_name = data_name
        self.label_name = label_name
        self._cursor = -self.batch_size

    @property
    def provide_data(self):
        return [DataDesc(self.data_name, (self.batch_size,) + self._images.shape[1:], self._dtype)]

    @property
    def provide_label(self):
        return [DataDesc(self.label_name, (self.batch_size,), np.float32)]

    def reset(self):
        self._cursor = -self.batch_size

    def iter_next(self):
        self._cursor += self.batch_size
        return self._cursor + self.batch_size <= self._images.shape[0]

    def getdata(self):
        return [nd.array(self._images[self._cursor:self._cursor + self.batch_size], dtype=self._dtype)]

    def getlabel(self):
        return [nd.array(self._labels[self._cursor:self._cursor + self.batch_size], dtype=np.float32)]

    def getindex(self):
        return np.arange(self._cursor, self._cursor + self.batch_size)

    def getpad(self):
        return 0

    def __len__(self):
        return self._images.shape[0] // self.batch_size


# Mean encoded size of a batch's records from which ImageRecordIter decodes them on several threads.
_PARALLEL_DECODE_BYTES = 8192


class ImageRecordIter(DataIter):
    """Batches of images from a RecordIO file of encoded images (MXNet's ``mx.io.ImageRecordIter``), decoded and
    augmented in a background thread.

    Each record is an ``mx.recordio.pack``-ed header and an encoded image (as written by MXNet's ``im2rec`` or
    ``mx.recordio.pack_img``). An image is decoded (grey when ``data_shape[0] == 1``), its shorter edge resized to
    ``resize`` if given, scaled up (keeping its aspect ratio) when smaller than ``data_shape``, cropped to
    ``data_shape`` at the centre (at random with ``rand_crop``), mirrored with probability 0.5 with
    ``rand_mirror``, and normalised per channel: ``(pixel - mean) / std * scale``. A batch's images are decoded by
    ``preprocess_threads`` worker threads (at most one per CPU); the result does not depend on their number. Data is float32
    ``(batch, c, h, w)``; labels are float32 ``(batch,)``, or ``(batch, label_width)``. With ``dtype`` 'uint8'
    the data are the pixels themselves (no mean, std or scale), with 'int8' the pixels less the means, saturated to
    [-128, 127], as MXNet 1.9.1 (ImageRecordUInt8Iter and ImageRecordInt8Iter set that dtype).

    The records are read in file order, or shuffled every epoch with ``shuffle`` (from ``seed``). With
    ``round_batch`` (the default) the last batch is completed with records from the start, reported by ``pad``,
    and the next epoch starts after them, as MXNet does; without it the filler samples are zeros.
    """

    _NOT_SUPPORTED = ("max_rotate_angle", "max_aspect_ratio", "max_shear_ratio", "max_crop_size", "min_crop_size",
                      "max_random_scale", "min_random_scale", "max_img_size", "min_img_size", "random_h",
                      "random_s", "random_l", "rotate", "fill_value", "pad", "brightness", "contrast",
                      "saturation", "pca_noise", "random_resized_crop", "mean_img")
    _IGNORED = ("verbose", "ctx", "num_decode_threads", "shuffle_chunk_size", "shuffle_chunk_seed")

    def __init__(self, path_imgrec, data_shape, batch_size, path_imgidx="", label_width=1, shuffle=False, seed=0,
                 round_batch=True, resize=-1, rand_crop=False, rand_mirror=False, mean_r=0.0, mean_g=0.0,
                 mean_b=0.0, mean_a=0.0, std_r=1.0, std_g=1.0, std_b=1.0, std_a=1.0, scale=1.0, inter_method=1,
                 data_name="data", label_name="softmax_label", dtype="float32", num_parts=1, part_index=0,
                 prefetch_buffer=4, preprocess_threads=4, **kwargs):
        super().__init__(int(batch_size))
        for k, v in kwargs.items():
            if k in self._NOT_SUPPORTED:
                if v not in (0, 0.0, False, None, "", -1, 1.0):
                    raise NotImplementedError("ImageRecordIter: the augmentation argument %s is not supported by "
                                              "mxc (use gluon.data.vision transforms)" % k)
            elif k not in self._IGNORED:
                raise TypeError("ImageRecordIter: unknown argument %s" % k)
        from . import recordio
        data_shape = tuple(int(d) for d in data_shape)
        if len(data_shape) != 3 or data_shape[0] not in (1, 3, 4) or min(data_shape) < 1:
            raise ValueError("ImageRecordIter: data_shape must be (channels 1, 3 or 4, height, width), got %s"
                             % (data_shape,))
        if self.batch_size < 1:
            raise ValueError("ImageRecordIter: batch_size must be positive, got %r" % (batch_size,))
        if not 0 <= part_index < num_parts:
            raise ValueError("ImageRecordIter: part_index %d out of range for num_parts %d" % (part_index, num_parts))
        if not os.path.isfile(path_imgrec):
            raise FileNotFoundError("ImageRecordIter: path_imgrec %s: no such file" % path_imgrec)
        self._path = path_imgrec
        if path_imgidx:
            idx = recordio.MXIndexedRecordIO(path_imgidx, path_imgrec, "r")
            offsets = [idx.idx[k] for k in idx.keys]
            idx.close()
        else:
            offsets = recordio._record_offsets(path_imgrec)
        n = len(offsets)
        self._offsets = offsets[n * part_index // num_parts:n * (part_index + 1) // num_parts]
        if not self._offsets:
            raise ValueError("ImageRecordIter: %s holds no records (part %d of %d)" % (path_imgrec, part_index,
                                                                                      num_parts))
        self.data_shape, self.label_width = data_shape, int(label_width)
        self.data_name, self.label_name = data_name, label_name
        self._dtype = np.dtype(dtype)
        self._shuffle, self._round, self._resize = shuffle, round_batch, int(resize)
        self._rand_crop, self._rand_mirror, self._interp = rand_crop, rand_mirror, inter_method
        c = data_shape[0]
        means, stds = (mean_r, mean_g, mean_b, mean_a)[:c], (std_r, std_g, std_b, std_a)[:c]
        if c == 1:
            means, stds = (mean_r,), (std_r,)
        self._mean = np.asarray(means, np.float32).reshape(c, 1, 1)
        self._mul = (np.float32(scale) / np.asarray(stds, np.float32)).reshape(c, 1, 1)
        self._rng = np.random.RandomState(seed)
        self._prefetch = max(1, int(prefetch_buffer))
        if int(preprocess_threads) < 1:
            raise ValueError("ImageRecordIter: preprocess_threads must be positive, got %r" % (preprocess_threads,))
        self._threads = min(int(preprocess_threads), os.cpu_count() or 1)
        self._start = 0  # where the next epoch begins (records borrowed by the last padded batch are skipped)
        self._worker = None
        self.reset()

    @property
    def provide_data(self):
        return [DataDesc(self.data_name, (self.batch_size,) + self.data_shape, self._dtype.type)]

    @property
    def provide_label(self):
        shape = (self.batch_size,) if self.label_width == 1 else (self.batch_size, self.label_width)
        return [DataDesc(self.label_name, shape, np.float32)]

    def _image(self, buf, draws):
        """Decodes and augments one record; ``draws`` = (crop row, crop column, mirror) uniform in [0, 1), drawn
        in record order by the batch thread so that the result does not depend on which worker decodes it."""
        from . import image
        from .recordio import unpack
        header, payload = unpack(buf)
        c, h, w = self.data_shape
        img = image._decode_np(payload, 0 if c == 1 else 1, 1)
        if c == 4:
            img = np.concatenate([img, np.full(img.shape[:2] + (1,), 255, np.uint8)], axis=2)
        if self._resize > 0:
            ih, iw = img.shape[:2]
            nh, nw = (self._resize, self._resize * iw // ih) if ih <= iw else (self._resize * ih // iw, self._resize)
            img = image._resize_np(img, nw, nh, self._interp)
        ih, iw = img.shape[:2]
        if ih < h or iw < w:
            f = max(h / ih, w / iw)
            img = image._resize_np(img, max(w, int(iw * f)), max(h, int(ih * f)), self._interp)
            ih, iw = img.shape[:2]
        y0, x0 = ((int(draws[0] * (ih - h + 1)), int(draws[1] * (iw - w + 1))) if self._rand_crop
                  else ((ih - h) // 2, (iw - w) // 2))
        img = img[y0:y0 + h, x0:x0 + w]
        if self._rand_mirror and draws[2] < 0.5:
            img = img[:, ::-1]
        data = img.transpose(2, 0, 1).astype(np.float32)
        if self._dtype == np.int8:    # MXNet 1.9.1: pixel - mean, saturated; std and scale not applied
            data = np.clip(data - self._mean, -128, 127)
        elif self._dtype != np.uint8:  # uint8: the pixels as they are
            data = (data - self._mean) * self._mul
        label = np.zeros(self.label_width, np.float32)
        lab = np.atleast_1d(np.asarray(header.label, np.float32))
        label[:min(lab.size, self.label_width)] = lab[:self.label_width]
        return data, label, header.id

    def _batches(self, order, real, rng, stop, out):
        """The worker thread: decodes the batches of one epoch (records ``order``, the first ``real`` of them this
        epoch's own) into the queue ``out``; an exception is passed on for next() to raise."""
        from concurrent.futures import ThreadPoolExecutor
        from .recordio import _read_record
        pool = ThreadPoolExecutor(self._threads) if self._threads > 1 else None
        try:
            with open(self._path, "rb") as f:
                for begin in range(0, len(order), self.batch_size):
                    rows = order[begin:begin + self.batch_size]
                    data = np.zeros((self.batch_size,) + self.data_shape, np.float32)
                    label = np.zeros((self.batch_size, self.label_width), np.float32)
                    index = np.zeros(self.batch_size, np.uint64)
                    bufs = []
                    for r in rows:
                        f.seek(self._offsets[r])
                        bufs.append(_read_record(f, self._path))
                    draws = rng.random_sample((len(rows), 3))
                    # Pillow releases the GIL while it decodes: the workers decode the batch's images in parallel,
                    # when they are large enough for that to pay (small images: Python's per-image work, under
                    # the GIL, dominates, and 28x28 PNGs went from 15k to 6-9k images/s with 4 workers).
                    big = sum(len(b) for b in bufs) >= _PARALLEL_DECODE_BYTES * len(bufs)
                    done = (pool.map(self._image, bufs, draws) if pool is not None and big
                            else map(self._image, bufs, draws))
                    for i, (d, lab, rid) in enumerate(done):
                        data[i], label[i], index[i] = d, lab, rid
                    if stop.is_set():
                        return
                    out.put((data, label, index, max(0, begin + self.batch_size - real)))
        except BaseException as e:  # surfaces in next()
            out.put(e)
            return
        finally:
            if pool is not None:
                pool.shutdown(wait=False)
        out.put(None)

    def reset(self):
        import queue
        import threading
        self._stop_worker()
        n = len(self._offsets)
        order = self._rng.permutation(n) if self._shuffle else np.arange(n)
        order = np.concatenate([order[self._start:], order[:self._start]]) if self._start else order
        tail = n % self.batch_size
        if tail and self._round:
            borrow = self.batch_size - tail
            order = np.concatenate([order, np.resize(order, borrow)])
            self._start = borrow % n
        else:
            self._start = 0
        rng = np.random.RandomState(self._rng.randint(2 ** 31))
        self._stop, self._queue = threading.Event(), queue.Queue(self._prefetch)
        self._worker = threading.Thread(target=self._batches, args=(order, n, rng, self._stop, self._queue),
                                        daemon=True)
        self._worker.start()

    def _stop_worker(self):
        if self._worker is not None:
            self._stop.set()
            while self._worker.is_alive():
                try:
                    self._queue.get(timeout=0.05)
                except Exception:
                    pass
            self._worker = None

    def next(self):
        item = self._queue.get() if self._worker is not None else None
        if item is None:
            self._worker = None
            raise StopIteration
        if isinstance(item, BaseException):
            self._worker = None
            raise item
        data, label, index, pad = item
        label = label[:, 0] if self.label_width == 1 else label
        return DataBatch(data=[nd.array(data, dtype=self._dtype)], label=[nd.array(label, dtype=np.float32)],
                         pad=pad, index=index, provide_data=self.provide_data, provide_label=self.provide_label)

    def __del__(self):
        try:
            self._stop_worker()
        except Exception:
            pass


class ImageRecordUInt8Iter(ImageRecordIter):
    """ImageRecordIter giving the pixels as uint8 (no mean, std or scale: MXNet 1.9.1's ImageRecordUInt8Iter)."""

    def __init__(self, *args, **kwargs):
        kwargs["dtype"] = "uint8"
        super().__init__(*args, **kwargs)


class ImageRecordInt8Iter(ImageRecordIter):
    """ImageRecordIter giving int8 data: the pixels less the per-channel means, saturated to [-128, 127] (std and
    scale not applied: MXNet 1.9.1's ImageRecordInt8Iter)."""

    def __init__(self, *args, **kwargs):
        kwargs["dtype"] = "int8"
        super().__init__(*args, **kwargs)


class ImageDetRecordIter(ImageRecordIter):
    """Batches of images and object-detection labels from a RecordIO file (MXNet 1.9.1's ImageDetRecordIter, without
    its detection augmentations).

    A record's label is the detection label of MXNet's tools (``[header width, object width, ..., objects...]``,
    coordinates normalised to [0, 1]). Each image is resized to ``data_shape`` (no crop, so the boxes stay valid)
    and normalised as in ImageRecordIter. A batch's label row is ``[channels, height, width, n]`` followed by the
    record's n label values, padded with ``label_pad_value`` to the longest label of the file (or to
    ``label_pad_width`` when larger): shape ``(batch, 4 + pad width)``."""

    _DET_AUGMENTS = ("rand_crop_prob", "min_crop_scales", "max_crop_scales", "min_crop_aspect_ratios",
                     "max_crop_aspect_ratios", "min_crop_overlaps", "max_crop_overlaps", "min_crop_sample_coverages",
                     "max_crop_sample_coverages", "min_crop_object_coverages", "max_crop_object_coverages",
                     "num_crop_sampler", "crop_emit_mode", "emit_overlap_thresh", "max_crop_trials",
                     "rand_pad_prob", "max_pad_scale", "rand_mirror_prob", "resize_mode")
    _DET_DEFAULTS = {"crop_emit_mode": "center", "resize_mode": "force", "max_pad_scale": 1.0, "num_crop_sampler": 1,
                     "max_crop_trials": 25, "emit_overlap_thresh": 0.5}

    def __init__(self, path_imgrec, data_shape, batch_size, label_pad_width=-1, label_pad_value=-1.0, **kwargs):
        for k in list(kwargs):
            if k in self._DET_AUGMENTS:
                v = kwargs.pop(k)
                if v != self._DET_DEFAULTS.get(k, 0) and v not in (0, 0.0, None, (), [], ""):
                    raise NotImplementedError("ImageDetRecordIter: the detection augmentation argument %s=%r is not "
                                              "supported by mxc" % (k, v))
        for k in ("rand_crop", "rand_mirror"):
            if kwargs.get(k):
                raise NotImplementedError("ImageDetRecordIter: %s is not supported by mxc (it would have to move "
                                          "the boxes)" % k)
        if "label_width" in kwargs and kwargs.pop("label_width") not in (-1, 1):
            raise ValueError("ImageDetRecordIter: label_width is found from the records; use label_pad_width")
        self._det_ready = False
        super().__init__(path_imgrec, data_shape, batch_size, **kwargs)
        from .recordio import _read_record, unpack
        longest = 0
        with open(self._path, "rb") as f:
            for off in self._offsets:
                f.seek(off)
                header, _ = unpack(_read_record(f, self._path))
                longest = max(longest, np.atleast_1d(np.asarray(header.label)).size)
        if label_pad_width > 0 and label_pad_width < longest:
            raise ValueError("ImageDetRecordIter: label_pad_width %d is smaller than the longest label of %s (%d)"
                             % (label_pad_width, path_imgrec, longest))
        self._pad_value = np.float32(label_pad_value)
        self.label_width = 4 + max(longest, int(label_pad_width))
        self._det_ready = True
        self.reset()

    def reset(self):
        if self._det_ready:
            super().reset()

    def _image(self, buf, draws):
        from . import image
        from .recordio import unpack
        header, payload = unpack(buf)
        c, h, w = self.data_shape
        img = image._decode_np(payload, 0 if c == 1 else 1, 1)
        if c == 4:
            img = np.concatenate([img, np.full(img.shape[:2] + (1,), 255, np.uint8)], axis=2)
        if img.shape[0] != h or img.shape[1] != w:
            img = image._resize_np(img, w, h, self._interp)
        data = img.transpose(2, 0, 1).astype(np.float32)
        if self._dtype == np.int8:
            data = np.clip(data - self._mean, -128, 127)
        elif self._dtype != np.uint8:
            data = (data - self._mean) * self._mul
        raw = np.atleast_1d(np.asarray(header.label, np.float32))
        label = np.full(self.label_width, self._pad_value, np.float32)
        label[:4] = (c, h, w, raw.size)
        label[4:4 + raw.size] = raw
        return data, label, header.id


# MXNet 1.9.1's deprecated names of the same iterators
ImageRecordIter_v1 = ImageRecordIter
ImageRecordUInt8Iter_v1 = ImageRecordUInt8Iter


from .io_libsvm import LibSVMIter  # noqa: E402,F401  (CSR batches: mx.io.LibSVMIter)
