"""Learning-rate schedules (MXNet 1.x ``mx.lr_scheduler``).

A scheduler is a callable ``scheduler(num_update) -> learning rate``. ``num_update`` is the largest number of
updates the optimizer has applied to any single weight, so it counts optimizer steps, not epochs.
"""
import logging
import math

__all__ = ["LRScheduler", "FactorScheduler", "MultiFactorScheduler", "PolyScheduler", "CosineScheduler"]


class LRScheduler(object):
    """Base class of learning-rate schedules.

    Parameters
    ----------
    base_lr : float
        The learning rate the schedule starts from (after warm-up).
    warmup_steps : int
        Number of updates spent warming up before the schedule proper begins.
    warmup_begin_lr : float
        Learning rate at update 0 of the warm-up.
    warmup_mode : {'linear', 'constant'}
        'linear' ramps from ``warmup_begin_lr`` to ``base_lr``; 'constant' holds ``warmup_begin_lr``.
    """

    def __init__(self, base_lr=0.01, warmup_steps=0, warmup_begin_lr=0, warmup_mode='linear'):
        if not isinstance(warmup_steps, int):
            raise TypeError("LRScheduler: warmup_steps must be an int, got %r" % (warmup_steps,))
        if warmup_steps < 0:
            raise ValueError("LRScheduler: warmup_steps must be >= 0, got %d" % warmup_steps)
        if warmup_begin_lr > base_lr:
            raise ValueError("LRScheduler: base_lr (%g) must not be below warmup_begin_lr (%g)"
                             % (base_lr, warmup_begin_lr))
        if warmup_mode not in ('linear', 'constant'):
            raise ValueError("LRScheduler: warmup_mode must be 'linear' or 'constant', got %r" % (warmup_mode,))
        self.base_lr = base_lr
        self.warmup_steps = warmup_steps
        self.warmup_final_lr = base_lr
        self.warmup_begin_lr = warmup_begin_lr
        self.warmup_mode = warmup_mode

    def get_warmup_lr(self, num_update):
        """Learning rate during warm-up (``num_update < warmup_steps``)."""
        if num_update >= self.warmup_steps:
            raise ValueError("get_warmup_lr: update %d is past the %d warm-up steps"
                             % (num_update, self.warmup_steps))
        if self.warmup_mode == 'constant':
            return self.warmup_begin_lr
        frac = float(num_update) / float(self.warmup_steps)
        return self.warmup_begin_lr + (self.warmup_final_lr - self.warmup_begin_lr) * frac

    def __call__(self, num_update):
        raise NotImplementedError("LRScheduler subclasses must implement __call__")


class FactorScheduler(LRScheduler):
    """Multiplies the learning rate by ``factor`` every ``step`` updates.

    The rate for update ``n`` is ``base_lr * factor ** floor((n - 1) / step)`` (MXNet changes it once
    ``n`` exceeds a multiple of ``step``), never going below ``stop_factor_lr``.
    """

    def __init__(self, step, factor=1, stop_factor_lr=1e-8, base_lr=0.01,
                 warmup_steps=0, warmup_begin_lr=0, warmup_mode='linear'):
        super(FactorScheduler, self).__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        if step < 1:
            raise ValueError("FactorScheduler: step must be >= 1, got %r" % (step,))
        if factor > 1.0:
            raise ValueError("FactorScheduler: factor must be <= 1 so that the rate decreases, got %r" % (factor,))
        self.step = step
        self.factor = factor
        self.stop_factor_lr = stop_factor_lr
        self.count = 0

    def __call__(self, num_update):
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)
        # The schedule is stateful (as in MXNet): it advances in whole steps and never goes back.
        while num_update > self.count + self.step:
            self.count += self.step
            self.base_lr *= self.factor
            if self.base_lr < self.stop_factor_lr:
                self.base_lr = self.stop_factor_lr
                logging.info("Update[%d]: now learning rate arrived at %0.5e, will not change in the future",
                             num_update, self.base_lr)
            else:
                logging.info("Update[%d]: Change learning rate to %0.5e", num_update, self.base_lr)
        return self.base_lr


class MultiFactorScheduler(LRScheduler):
    """Multiplies the learning rate by ``factor`` each time the update count passes one of ``step``.

    ``step`` is an increasing list of update counts; after passing ``k`` of them the rate is
    ``base_lr * factor ** k``.
    """

    def __init__(self, step, factor=1, base_lr=0.01, warmup_steps=0, warmup_begin_lr=0,
                 warmup_mode='linear'):
        super(MultiFactorScheduler, self).__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        if not isinstance(step, (list, tuple)) or len(step) < 1:
            raise ValueError("MultiFactorScheduler: step must be a non-empty list of ints, got %r" % (step,))
        for i, s in enumerate(step):
            if s < 1:
                raise ValueError("MultiFactorScheduler: every step must be >= 1, got %r" % (list(step),))
            if i > 0 and s <= step[i - 1]:
                raise ValueError("MultiFactorScheduler: step must be strictly increasing, got %r" % (list(step),))
        if factor > 1.0:
            raise ValueError("MultiFactorScheduler: factor must be <= 1, got %r" % (factor,))
        self.step = list(step)
        self.cur_step_ind = 0
        self.factor = factor
        self.count = 0

    def __call__(self, num_update):
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)
        while self.cur_step_ind < len(self.step) and num_update > self.step[self.cur_step_ind]:
            self.count = self.step[self.cur_step_ind]
            self.cur_step_ind += 1
            self.base_lr *= self.factor
            logging.info("Update[%d]: Change learning rate to %0.5e", num_update, self.base_lr)
        return self.base_lr


class PolyScheduler(LRScheduler):
    """Polynomial decay: ``final_lr + (base_lr - final_lr) * (1 - t / T) ** pwr`` until ``max_update``."""

    def __init__(self, max_update, base_lr=0.01, pwr=2, final_lr=0,
                 warmup_steps=0, warmup_begin_lr=0, warmup_mode='linear'):
        super(PolyScheduler, self).__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        if not isinstance(max_update, int) or max_update < 1:
            raise ValueError("PolyScheduler: max_update must be a positive int, got %r" % (max_update,))
        self.power = pwr
        self.base_lr_orig = self.base_lr
        self.max_update = max_update
        self.final_lr = final_lr
        self.max_steps = self.max_update - self.warmup_steps

    def __call__(self, num_update):
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)
        if num_update <= self.max_update:
            frac = float(num_update - self.warmup_steps) / float(self.max_steps)
            self.base_lr = self.final_lr + (self.base_lr_orig - self.final_lr) * pow(1 - frac, self.power)
        return self.base_lr


class CosineScheduler(LRScheduler):
    """Cosine decay: ``final_lr + (base_lr - final_lr) * (1 + cos(pi * t / T)) / 2`` until ``max_update``."""

    def __init__(self, max_update, base_lr=0.01, final_lr=0,
                 warmup_steps=0, warmup_begin_lr=0, warmup_mode='linear'):
        super(CosineScheduler, self).__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        if not isinstance(max_update, int) or max_update < 1:
            raise ValueError("CosineScheduler: max_update must be a positive int, got %r" % (max_update,))
        self.base_lr_orig = base_lr
        self.max_update = max_update
        self.final_lr = final_lr
        self.max_steps = self.max_update - self.warmup_steps

    def __call__(self, num_update):
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)
        if num_update <= self.max_update:
            frac = float(num_update - self.warmup_steps) / float(self.max_steps)
            self.base_lr = self.final_lr + (self.base_lr_orig - self.final_lr) * (1 + math.cos(math.pi * frac)) / 2
        return self.base_lr
