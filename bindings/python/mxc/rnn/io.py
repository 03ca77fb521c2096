"""Sentences to integer sequences, and batches of them grouped by length (MXNet 1.x ``mx.rnn.io``)."""
import bisect
import logging
import random

import numpy as np

from .. import ndarray as nd
from ..io import DataBatch, DataDesc, DataIter

__all__ = ["encode_sentences", "BucketSentenceIter"]


def encode_sentences(sentences, vocab=None, invalid_label=-1, invalid_key='\n', start_label=0, unknown_token=None):
    """Encodes sentences (lists of tokens) as lists of integers. Returns ``(encoded, vocab)``.

    Without ``vocab`` a new one is built: ``invalid_key`` maps to ``invalid_label`` and each new token gets the
    next integer from ``start_label`` on, skipping ``invalid_label``. With ``vocab`` (updated in place) a token not
    in it is an error unless ``unknown_token`` is given: such tokens then map to ``vocab[unknown_token]``, added at
    the next free integer when missing.
    """
    new_vocab = vocab is None
    if new_vocab:
        vocab = {invalid_key: invalid_label}
    used = set(vocab.values())
    idx = start_label

    def next_index():
        nonlocal idx
        while idx == invalid_label or idx in used:
            idx += 1
        used.add(idx)
        return idx

    res = []
    for sent in sentences:
        coded = []
        for word in sent:
            if word not in vocab:
                if not new_vocab:
                    if unknown_token is None:
                        raise ValueError("Unknown token %s (encode_sentences: not in the given vocab, and no "
                                         "unknown_token)" % (word,))
                    word = unknown_token
                if word not in vocab:
                    vocab[word] = next_index()
            coded.append(vocab[word])
        res.append(coded)
    return res, vocab


class BucketSentenceIter(DataIter):
    """Batches of encoded sentences, each batch from one bucket: a sentence goes to the smallest bucket (length)
    that holds it, padded with ``invalid_label``; longer ones are discarded. The label of a step is the next
    token (``invalid_label`` after the last). Default buckets: every length that ``batch_size`` sentences have.

    Each batch carries its ``bucket_key`` (the bucket length) and its ``provide_data``/``provide_label``;
    ``provide_data`` of the iterator describes the largest bucket, ``default_bucket_key``. ``layout`` 'NT' gives
    (batch, length) arrays, 'TN' (length, batch). ``reset`` shuffles the batches (Python's ``random``) and the
    sentences within each bucket (``np.random``), as MXNet's does, so the same seeds give the same batches.
    """

    def __init__(self, sentences, batch_size, buckets=None, invalid_label=-1, data_name='data',
                 label_name='softmax_label', dtype='float32', layout='NT'):
        super(BucketSentenceIter, self).__init__(batch_size)
        if layout not in ('NT', 'TN'):
            raise ValueError("BucketSentenceIter: layout must be 'NT' or 'TN', got %r" % (layout,))
        if not buckets:
            counts = np.bincount([len(s) for s in sentences]) if len(sentences) else []
            buckets = [length for length, n in enumerate(counts) if n >= batch_size]
        buckets = sorted(buckets)
        if not buckets:
            raise ValueError("BucketSentenceIter: no bucket (no sentence length occurs batch_size=%d times; give "
                             "buckets=)" % batch_size)
        data = [[] for _ in buckets]
        ndiscard = 0
        for sent in sentences:
            b = bisect.bisect_left(buckets, len(sent))
            if b == len(buckets):
                ndiscard += 1
                continue
            row = np.full((buckets[b],), invalid_label, dtype=dtype)
            row[:len(sent)] = sent
            data[b].append(row)
        if ndiscard:
            logging.warning("discarded %d sentences longer than the largest bucket.", ndiscard)
        self.data = [np.asarray(rows, dtype=dtype).reshape((len(rows), length))
                     for rows, length in zip(data, buckets)]
        self.batch_size = batch_size
        self.buckets = buckets
        self.data_name = data_name
        self.label_name = label_name
        self.dtype = dtype
        self.invalid_label = invalid_label
        self.layout = layout
        self.major_axis = layout.find('N')
        self.default_bucket_key = max(buckets)
        self.provide_data = [self._desc(data_name, self.default_bucket_key)]
        self.provide_label = [self._desc(label_name, self.default_bucket_key)]
        self.idx = [(i, j) for i, rows in enumerate(self.data)
                    for j in range(0, len(rows) - batch_size + 1, batch_size)]
        self.curr_idx = 0
        self.nddata, self.ndlabel = [], []
        self.reset()

    def _desc(self, name, length):
        shape = (self.batch_size, length) if self.major_axis == 0 else (length, self.batch_size)
        return DataDesc(name=name, shape=shape, dtype=self.dtype, layout=self.layout)

    def __len__(self):
        return len(self.idx)

    def reset(self):
        self.curr_idx = 0
        random.shuffle(self.idx)
        for rows in self.data:
            np.random.shuffle(rows)
        self.nddata, self.ndlabel = [], []
        for rows in self.data:
            label = np.full_like(rows, self.invalid_label)
            label[:, :-1] = rows[:, 1:]
            self.nddata.append(nd.array(rows, dtype=self.dtype))
            self.ndlabel.append(nd.array(label, dtype=self.dtype))

    def next(self):
        if self.curr_idx == len(self.idx):
            raise StopIteration
        i, j = self.idx[self.curr_idx]
        self.curr_idx += 1
        data = self.nddata[i][j:j + self.batch_size]
        label = self.ndlabel[i][j:j + self.batch_size]
        if self.major_axis == 1:
            data, label = data.T, label.T
        return DataBatch([data], [label], pad=0, bucket_key=self.buckets[i],
                         provide_data=[self._desc(self.data_name, self.buckets[i])],
                         provide_label=[self._desc(self.label_name, self.buckets[i])])

    __next__ = next
