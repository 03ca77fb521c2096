"""Datasets: anything with ``__getitem__`` and ``__len__``."""
import os
import threading

from ... import ndarray as nd
from ... import recordio

__all__ = ["Dataset", "SimpleDataset", "ArrayDataset", "RecordFileDataset"]


class Dataset:
    """Abstract dataset; subclasses implement ``__getitem__`` and ``__len__``."""

    def __getitem__(self, index):
        raise NotImplementedError

    def __len__(self):
        raise NotImplementedError

    def transform(self, fn, lazy=True):
        """A dataset whose items are ``fn(*item)`` (``fn(item)`` for non-tuple items)."""
        view = _Mapped(self, fn)
        return view if lazy else SimpleDataset([view[i] for i in range(len(view))])

    def transform_first(self, fn, lazy=True):
        """As ``transform``, applying ``fn`` to the first element of each item only."""
        def first_only(head, *rest):
            return (fn(head),) + rest if rest else fn(head)
        return self.transform(first_only, lazy)

    def filter(self, fn):
        """The items for which ``fn(item)`` is true."""
        return SimpleDataset([x for x in (self[i] for i in range(len(self))) if fn(x)])

    def take(self, count):
        """The first ``count`` items (all when None)."""
        n = len(self) if count is None else min(count, len(self))
        return SimpleDataset([self[i] for i in range(n)])

    def shard(self, num_shards, index):
        """Part ``index`` of ``num_shards`` contiguous parts."""
        size = len(self)
        base, extra = divmod(size, num_shards)
        start = index * base + min(index, extra)
        stop = start + base + (1 if index < extra else 0)
        return SimpleDataset([self[i] for i in range(start, stop)])


class _Mapped(Dataset):
    def __init__(self, source, fn):
        self._source = source
        self._fn = fn

    def __len__(self):
        return len(self._source)

    def __getitem__(self, position):
        item = self._source[position]
        return self._fn(*item) if isinstance(item, tuple) else self._fn(item)


class SimpleDataset(Dataset):
    """Wraps any indexable sequence (a list, a NumPy array, ...)."""

    def __init__(self, data):
        self._data = data

    def __len__(self):
        return len(self._data)

    def __getitem__(self, index):
        return self._data[index]


class ArrayDataset(Dataset):
    """Zips arrays of equal length: item ``i`` is ``(a[i], b[i], ...)`` (just ``a[i]`` for one array).
    One-dimensional NDArrays are held as NumPy arrays so items are scalars."""

    def __init__(self, *args):
        if not args:
            raise AssertionError("Needs at least 1 arrays")
        self._size = len(args[0])
        self._cols = []
        for i, a in enumerate(args):
            if len(a) != self._size:
                raise AssertionError("All arrays must have the same length; array[0] has length %d while "
                                     "array[%d] has %d." % (self._size, i + 1, len(a)))
            if isinstance(a, nd.NDArray) and a.ndim == 1:
                a = a.asnumpy()
            self._cols.append(a)

    def __len__(self):
        return self._size

    def __getitem__(self, index):
        if len(self._cols) == 1:
            return self._cols[0][index]
        return tuple(c[index] for c in self._cols)


class RecordFileDataset(Dataset):
    """The records of a RecordIO file ``filename`` (with its index ``<name>.idx`` beside it) as bytes, in the
    index's order."""

    def __init__(self, filename):
        self.filename = filename
        self.idx_file = os.path.splitext(filename)[0] + ".idx"
        self._record = recordio.MXIndexedRecordIO(self.idx_file, self.filename, "r")
        self._lock = threading.Lock()  # a DataLoader's prefetch thread reads too: seek and read go together

    def __getitem__(self, idx):
        with self._lock:
            return self._record.read_idx(self._record.keys[idx])

    def __len__(self):
        return len(self._record.keys)
