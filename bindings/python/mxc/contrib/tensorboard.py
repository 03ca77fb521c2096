"""``mx.contrib.tensorboard.LogMetricsCallback``: training metrics written as TensorBoard scalars."""
import logging

__all__ = ["LogMetricsCallback"]


def _summary_writer(logging_dir):
    """A SummaryWriter of tensorboardX, else of torch.utils.tensorboard."""
    try:
        from tensorboardX import SummaryWriter
    except ImportError:
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            raise ImportError("mx.contrib.tensorboard.LogMetricsCallback needs a TensorBoard writer: install "
                              "tensorboardX (pip install tensorboardX) or PyTorch (torch.utils.tensorboard)")
    return SummaryWriter(logging_dir)


class LogMetricsCallback(object):
    """A batch-end or eval-end callback adding each metric of ``param.eval_metric`` as a scalar (named
    ``<prefix>-<metric>`` with a prefix) at step ``param.epoch`` to a TensorBoard log in ``logging_dir``.

    Example: ``mod.fit(train, eval_data=val, batch_end_callback=LogMetricsCallback('logs/train'),
    eval_end_callback=LogMetricsCallback('logs/eval'))``."""

    def __init__(self, logging_dir, prefix=None):
        self.prefix = prefix
        self.summary_writer = _summary_writer(logging_dir)

    def __call__(self, param):
        if param.eval_metric is None:
            return
        for name, value in param.eval_metric.get_name_value():
            if self.prefix is not None:
                name = '%s-%s' % (self.prefix, name)
            self.summary_writer.add_scalar(name, value, global_step=param.epoch)
        flush = getattr(self.summary_writer, 'flush', None)
        if flush is not None:
            flush()
        logging.debug("LogMetricsCallback: wrote the metrics of epoch %s", param.epoch)
