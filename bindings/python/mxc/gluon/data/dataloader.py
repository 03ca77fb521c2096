"""``DataLoader``: batches of a Dataset. Loading happens in the calling thread: ``num_workers`` (and the other
multiprocessing options) are accepted and ignored."""
import numpy as np

from ... import ndarray as nd
from .sampler import SequentialSampler, RandomSampler, BatchSampler, _MODES

__all__ = ["DataLoader", "default_batchify_fn"]


def default_batchify_fn(data):
    """Stacks a list of samples into a batch: NDArrays with ``nd.stack``, NumPy values into one array (keeping
    their dtype), tuples element by element."""
    head = data[0]
    if isinstance(head, nd.NDArray):
        return nd.stack(*data)
    if isinstance(head, tuple):
        return [default_batchify_fn(list(column)) for column in zip(*data)]
    block = np.asarray(data)
    return nd.array(block, dtype=block.dtype)


class DataLoader:
    """Iterates over ``dataset`` in batches (see BatchSampler for ``last_batch``)."""

    def __init__(self, dataset, batch_size=None, shuffle=False, sampler=None, last_batch=None, batch_sampler=None,
                 batchify_fn=None, num_workers=0, pin_memory=False, pin_device_id=0, prefetch=None,
                 thread_pool=False, timeout=120):
        self._dataset = dataset
        if last_batch is not None and last_batch not in _MODES:
            raise ValueError("last_batch must be one of 'keep', 'discard', or 'rollover', but got %s" % last_batch)
        if batch_sampler is None:
            if batch_size is None:
                raise ValueError("batch_size must be specified unless batch_sampler is specified")
            if sampler is None:
                sampler = RandomSampler(len(dataset)) if shuffle else SequentialSampler(len(dataset))
            elif shuffle:
                raise ValueError("shuffle must not be specified if sampler is specified")
            batch_sampler = BatchSampler(sampler, batch_size, last_batch if last_batch else 'keep')
        elif batch_size is not None or shuffle or sampler is not None or last_batch is not None:
            raise ValueError("batch_size, shuffle, sampler and last_batch must not be specified if batch_sampler "
                             "is specified.")
        self._batches = batch_sampler
        self._collate = batchify_fn if batchify_fn is not None else default_batchify_fn

    def __iter__(self):
        for indices in self._batches:
            yield self._collate([self._dataset[i] for i in indices])

    def __len__(self):
        return len(self._batches)
