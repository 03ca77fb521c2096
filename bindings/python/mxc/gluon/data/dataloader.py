"""``DataLoader``: batches of a Dataset.

With ``num_workers=0`` batches are made in the calling thread when asked for. With ``num_workers > 0`` one background
thread (not MXNet's worker processes) makes them ahead, up to ``prefetch`` batches (default ``2 * num_workers``), in
order: the transforms of the next batches run while the training thread waits for its results. An exception in a
dataset or batchify function is raised by the iteration at the batch where it happened.
"""
import queue
import threading

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
        if num_workers < 0:
            raise ValueError("num_workers must be non-negative, but got %d" % num_workers)
        self._prefetch = max(0, int(prefetch if prefetch is not None else 2 * num_workers)) if num_workers else 0

    def _make(self, indices):
        return self._collate([self._dataset[i] for i in indices])

    def __iter__(self):
        if self._prefetch == 0:
            for indices in self._batches:
                yield self._make(indices)
            return
        ready = queue.Queue(self._prefetch)
        stop = threading.Event()

        def hand_over(item):  # False when the consumer has gone
            while not stop.is_set():
                try:
                    ready.put(item, timeout=0.1)
                    return True
                except queue.Full:
                    pass
            return False

        def produce():
            try:
                for indices in self._batches:
                    if not hand_over((True, self._make(indices))):
                        return
            except BaseException as err:  # handed to the consumer, raised there
                hand_over((False, err))
                return
            hand_over((False, None))

        worker = threading.Thread(target=produce, name="mxc-dataloader", daemon=True)
        worker.start()
        try:
            while True:
                ok, value = ready.get()
                if not ok:
                    if value is not None:
                        raise value
                    return
                yield value
        finally:  # also when the consumer stops early: the producer sees stop within 0.1 s and ends
            stop.set()

    def __len__(self):
        return len(self._batches)
