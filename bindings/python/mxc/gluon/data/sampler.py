"""Samplers: iterables of dataset indices (or of index lists, for BatchSampler)."""
import numpy as np

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "FilterSampler", "BatchSampler"]


class Sampler:
    """Base class: iterate to get indices."""

    def __iter__(self):
        raise NotImplementedError

    def __len__(self):
        raise NotImplementedError


class SequentialSampler(Sampler):
    """``start, start + 1, ..., start + length - 1``."""

    def __init__(self, length, start=0):
        self._n = length
        self._start = start

    def __iter__(self):
        return iter(range(self._start, self._start + self._n))

    def __len__(self):
        return self._n


class RandomSampler(Sampler):
    """A fresh random permutation of ``range(length)`` each epoch."""

    def __init__(self, length):
        self._n = length

    def __iter__(self):
        return iter(np.random.permutation(self._n).tolist())

    def __len__(self):
        return self._n


class FilterSampler(Sampler):
    """The indices of the samples of ``dataset`` for which ``fn(sample)`` is true, in order (chosen once, when the
    sampler is made)."""

    def __init__(self, fn, dataset):
        self._indices = [i for i, sample in enumerate(dataset) if fn(sample)]

    def __iter__(self):
        return iter(self._indices)

    def __len__(self):
        return len(self._indices)


_MODES = ('keep', 'discard', 'rollover')


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size``. The last short group is kept ('keep'),
    dropped ('discard') or carried into the next epoch ('rollover')."""

    def __init__(self, sampler, batch_size, last_batch='keep'):
        if last_batch not in _MODES:
            raise ValueError("last_batch must be one of 'keep', 'discard', or 'rollover', but got %s" % last_batch)
        self._src = sampler
        self._size = batch_size
        self._mode = last_batch
        self._carry = []

    def __iter__(self):
        group, self._carry = self._carry, []
        for i in self._src:
            group.append(i)
            if len(group) == self._size:
                yield group
                group = []
        if group:
            if self._mode == 'keep':
                yield group
            elif self._mode == 'rollover':
                self._carry = group

    def __len__(self):
        total = len(self._src)
        if self._mode == 'keep':
            return -(-total // self._size)
        if self._mode == 'discard':
            return total // self._size
        return (total + len(self._carry)) // self._size
