"""How the Estimator runs one batch; subclass BatchProcessor to change it (e.g. several losses)."""
from .... import autograd
from ... import utils

__all__ = ["BatchProcessor"]


class BatchProcessor(object):
    """Runs a training or validation batch on the estimator's devices: ``(data, label, pred, loss)``, each a list
    with one array per device."""

    def _get_data_and_label(self, batch, ctx, batch_axis=0):
        if hasattr(batch, "data") and hasattr(batch, "label"):  # an mx.io.DataBatch
            data, label = batch.data[0], batch.label[0]
        else:
            data, label = batch[0], batch[1]
        return (utils.split_and_load(data, ctx, batch_axis=batch_axis, even_split=False),
                utils.split_and_load(label, ctx, batch_axis=batch_axis, even_split=False))

    def evaluate_batch(self, estimator, val_batch, batch_axis=0):
        data, label = self._get_data_and_label(val_batch, estimator.context, batch_axis)
        pred = [estimator.val_net(x) for x in data]
        loss = [estimator.val_loss(y_hat, y) for y_hat, y in zip(pred, label)]
        return data, label, pred, loss

    def fit_batch(self, estimator, train_batch, batch_axis=0):
        data, label = self._get_data_and_label(train_batch, estimator.context, batch_axis)
        with autograd.record():
            pred = [estimator.net(x) for x in data]
            loss = [estimator.loss(y_hat, y) for y_hat, y in zip(pred, label)]
        for l in loss:
            l.backward()
        return data, label, pred, loss
