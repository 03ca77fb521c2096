"""Dynamic loss scaling (MXNet 1.9.1's ``amp.loss_scaler.LossScaler``).

The scale starts at 2**16. Each ``has_overflow`` first adopts the scale decided by the previous call, then checks the
gradients: on an overflow (an inf or NaN) the next scale is halved and the step must be skipped; after
``_scale_seq_len`` (2000) clean steps in a row the next scale is doubled, up to ``_max_loss_scale`` (2**24).
"""
from ... import ndarray as nd


class LossScaler(object):
    """Dynamic loss scaler; ``loss_scale`` is the current scale."""

    def __init__(self):
        self._loss_scale = 2.0 ** 16
        self._next_loss_scale = self._loss_scale
        self._max_loss_scale = 2.0 ** 24
        self._scale_seq_len = 2000
        self._unskipped = 0

    @property
    def loss_scale(self):
        return self._loss_scale

    def has_overflow(self, params):
        """True when a gradient of ``params`` (Parameters, each with its copies) holds an inf or NaN; updates the
        next scale (halved on an overflow, doubled after ``_scale_seq_len`` clean calls)."""
        self._loss_scale = self._next_loss_scale
        grads = []
        for p in params:
            if p.grad_req != 'null' and p._ready:
                grads.extend(p.list_grad())
        overflow = False
        by_ctx = {}
        for g in grads:
            by_ctx.setdefault(g.context, []).append(g)
        for arrays in by_ctx.values():
            for start in range(0, len(arrays), 128):  # multi_all_finite over chunks of gradients
                chunk = arrays[start:start + 128]
                finite = nd.multi_all_finite(*chunk, num_arrays=len(chunk))
                if float(finite.asscalar()) == 0.0:
                    overflow = True
                    break
            if overflow:
                break
        if overflow:
            self._next_loss_scale = self._loss_scale / 2.0
            self._unskipped = 0
        else:
            self._unskipped += 1
            if self._unskipped == self._scale_seq_len:
                self._unskipped = 0
                self._next_loss_scale = min(self._max_loss_scale, self._loss_scale * 2.0)
        return overflow
