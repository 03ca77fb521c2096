"""``mx.io.LibSVMIter``: batches of CSR data from LibSVM text files, as MXNet 1.9.1.

Each line of ``data_libsvm`` is ``label index:value index:value ...`` (zero-based feature indices below
``data_shape[0]``); the batches' data are CSRNDArrays of shape ``(batch_size,) + data_shape`` and the labels dense
``(batch_size,)`` arrays, or, with ``label_libsvm`` (a second file of the same format whose leading labels are
ignored), CSRNDArrays of ``(batch_size,) + label_shape``. An incomplete last batch is completed with samples from the
start of the file (``pad`` says how many) and the next epoch starts after them, as MXNet's round_batch does.
"""
import os

import numpy as np

from . import ndarray as nd
from .io import DataBatch, DataDesc, DataIter

__all__ = ["LibSVMIter"]


def _parse(path, width, what):
    if not os.path.isfile(path):
        raise FileNotFoundError("LibSVMIter: %s %s: no such file" % (what, path))
    labels, data, indices, indptr = [], [], [], [0]
    with open(path) as fh:
        for lineno, line in enumerate(fh, 1):
            parts = line.split()
            if not parts:
                continue
            try:
                labels.append(float(parts[0]))
                for item in parts[1:]:
                    k, v = item.split(":")
                    k = int(k)
                    if k < 0 or k >= width:
                        raise ValueError("feature index %d is outside [0, %d) (data_shape)" % (k, width))
                    indices.append(k)
                    data.append(float(v))
            except ValueError as e:
                raise ValueError("LibSVMIter: %s %s, line %d: %s" % (what, path, lineno, e)) from None
            indptr.append(len(indices))
    return (np.asarray(labels, np.float32), np.asarray(data, np.float32), np.asarray(indices, np.int64),
            np.asarray(indptr, np.int64))


class LibSVMIter(DataIter):
    """Batches of CSR data (and dense or CSR labels) from LibSVM files (see the module documentation)."""

    def __init__(self, data_libsvm, data_shape, batch_size, label_libsvm=None, label_shape=(1,), round_batch=True,
                 data_name="data", label_name="softmax_label", num_parts=1, part_index=0, **kwargs):
        super(LibSVMIter, self).__init__(int(batch_size))
        for k in kwargs:
            if k not in ("prefetch_buffer", "ctx", "dtype"):
                raise TypeError("LibSVMIter: unknown argument %s" % k)
        if self.batch_size < 1:
            raise ValueError("LibSVMIter: batch_size must be positive, got %r" % (batch_size,))
        if not round_batch:
            raise ValueError("LibSVMIter: round_batch=False is not supported (as MXNet 1.9.1's sparse batch loader)")
        self.data_shape = tuple(int(d) for d in (data_shape if isinstance(data_shape, (list, tuple))
                                                 else (data_shape,)))
        self.label_shape = tuple(int(d) for d in (label_shape if isinstance(label_shape, (list, tuple))
                                                  else (label_shape,)))
        if len(self.data_shape) != 1:
            raise ValueError("LibSVMIter: data_shape must have one dimension, got %s" % (self.data_shape,))
        self.data_name, self.label_name = data_name, label_name
        self._labels, d, i, p = _parse(data_libsvm, self.data_shape[0], "data_libsvm")
        self._data = (d, i, p)
        self._csr_label = None
        if label_libsvm:
            _, ld, li, lp = _parse(label_libsvm, self.label_shape[0], "label_libsvm")
            if len(lp) != len(p):
                raise ValueError("LibSVMIter: %s has %d samples but %s has %d" % (label_libsvm, len(lp) - 1,
                                                                                data_libsvm, len(p) - 1))
            self._csr_label = (ld, li, lp)
        n = len(p) - 1
        if num_parts > 1:  # the samples of one part (contiguous ranges, as the files' byte ranges split)
            lo, hi = n * part_index // num_parts, n * (part_index + 1) // num_parts
            self._select(np.arange(lo, hi))
            n = hi - lo
        if n == 0:
            raise ValueError("LibSVMIter: %s holds no samples" % data_libsvm)
        self._n = n
        self._start = 0
        self.reset()

    def _select(self, rows):
        def sub(parts):
            d, i, p = parts
            take = np.concatenate([np.arange(p[r], p[r + 1]) for r in rows]) if len(rows) else np.zeros(0, np.int64)
            return d[take], i[take], np.concatenate([[0], np.cumsum(np.diff(p)[rows])]).astype(np.int64)
        self._labels = self._labels[rows]
        self._data = sub(self._data)
        if self._csr_label is not None:
            self._csr_label = sub(self._csr_label)

    @property
    def provide_data(self):
        return [DataDesc(self.data_name, (self.batch_size,) + self.data_shape, np.float32)]

    @property
    def provide_label(self):
        shape = (self.batch_size,) + self.label_shape if self._csr_label is not None else (self.batch_size,)
        return [DataDesc(self.label_name, shape, np.float32)]

    def reset(self):
        self._cursor = self._start

    def _rows(self, parts, rows, width):
        d, i, p = parts
        counts = np.diff(p)[rows]
        take = np.concatenate([np.arange(p[r], p[r + 1]) for r in rows]) if len(rows) else np.zeros(0, np.int64)
        indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        return nd.sparse.csr_matrix((d[take], i[take], indptr), shape=(len(rows), width), dtype=np.float32)

    def next(self):
        if self._cursor >= self._n:
            raise StopIteration
        rows = np.arange(self._cursor, self._cursor + self.batch_size)
        pad = max(0, rows[-1] + 1 - self._n)
        rows = rows % self._n
        self._cursor += self.batch_size
        if pad:  # the next epoch starts after the samples that completed this batch
            self._start = pad % self._n
        elif self._cursor == self._n:
            self._start = 0
        data = self._rows(self._data, rows, self.data_shape[0])
        if self._csr_label is not None:
            label = self._rows(self._csr_label, rows, self.label_shape[0])
        else:
            label = nd.array(self._labels[rows])
        return DataBatch(data=[data], label=[label], pad=int(pad), index=None, provide_data=self.provide_data,
                         provide_label=self.provide_label)

    def iter_next(self):
        return self._cursor < self._n

    def getpad(self):
        return 0
