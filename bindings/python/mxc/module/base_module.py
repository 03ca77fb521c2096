"""BaseModule: the training, scoring and prediction loops shared by modules (MXNet 1.x semantics)."""
import logging
import time
import warnings

import numpy as np

from .. import metric
from .. import ndarray as nd
from ..context import cpu
from ..initializer import Uniform
from ..io import DataBatch, DataDesc, DataIter
from ..model import BatchEndParam, _as_list, _iter_len, _save_param_dict, _split_param_dict

__all__ = ["BaseModule"]


def _parse_data_desc(data_names, label_names, data_shapes, label_shapes):
    """Turns ``(name, shape)`` pairs into DataDescs and checks that the names match the module's inputs."""
    def _descs(shapes, what):
        out = []
        for x in shapes:
            if isinstance(x, DataDesc):
                out.append(x)
            elif isinstance(x, (tuple, list)) and len(x) == 2:
                out.append(DataDesc(x[0], x[1]))
            else:
                raise TypeError("%s shapes must be DataDescs or (name, shape) pairs, got %r" % (what, x))
        return out

    data_shapes = _descs(data_shapes, 'data')
    given = [x.name for x in data_shapes]
    if sorted(given) != sorted(data_names):
        raise ValueError("Data provided by data_shapes don't match names specified by data_names (%s vs. %s)"
                         % (given, list(data_names)))
    if label_shapes is not None:
        label_shapes = _descs(label_shapes, 'label')
        given = [x.name for x in label_shapes]
        if given and sorted(given) != sorted(label_names):
            logging.warning("Data provided by label_shapes don't match names specified by label_names (%s vs. %s)",
                            given, list(label_names))
    return data_shapes, label_shapes


class BaseModule(object):
    """The common interface of modules: bind / init_params / init_optimizer, then forward, backward, update;
    ``fit``, ``score`` and ``predict`` drive those."""

    def __init__(self, logger=logging):
        self.logger = logger
        self.binded = False
        self.for_training = False
        self.inputs_need_grad = False
        self.params_initialized = False
        self.optimizer_initialized = False
        self._symbol = None
        self._total_exec_bytes = 0

    # -- high-level loops ------------------------------------------------------------------------------------
    def forward_backward(self, data_batch):
        """A forward pass in training mode followed by a backward pass."""
        self.forward(data_batch, is_train=True)
        self.backward()

    def score(self, eval_data, eval_metric, num_batch=None, batch_end_callback=None, score_end_callback=None,
              reset=True, epoch=0, sparse_row_id_fn=None):
        """Evaluates ``eval_metric`` over ``eval_data``; returns ``[(name, value)]``."""
        del sparse_row_id_fn
        self._require(binded=True, params=True, what='score')
        if not isinstance(eval_data, DataIter):
            raise TypeError("score: eval_data must be a DataIter, got %s" % type(eval_data).__name__)
        if reset:
            eval_data.reset()
        if not isinstance(eval_metric, metric.EvalMetric):
            eval_metric = metric.create(eval_metric)
        eval_metric.reset()
        actual_num_batch = 0
        for nbatch, eval_batch in enumerate(eval_data):
            if num_batch is not None and nbatch == num_batch:
                break
            self.forward(eval_batch, is_train=False)
            self.update_metric(eval_metric, eval_batch.label)
            if batch_end_callback is not None:
                params = BatchEndParam(epoch=epoch, nbatch=nbatch, eval_metric=eval_metric, locals=locals())
                for callback in _as_list(batch_end_callback):
                    callback(params)
            actual_num_batch += 1
        if score_end_callback:
            params = BatchEndParam(epoch=epoch, nbatch=actual_num_batch, eval_metric=eval_metric, locals=locals())
            for callback in _as_list(score_end_callback):
                callback(params)
        return eval_metric.get_name_value()

    def iter_predict(self, eval_data, num_batch=None, reset=True, sparse_row_id_fn=None):
        """Yields ``(outputs, nbatch, batch)`` per batch, outputs without the padded samples."""
        del sparse_row_id_fn
        self._require(binded=True, params=True, what='iter_predict')
        if reset:
            eval_data.reset()
        for nbatch, eval_batch in enumerate(eval_data):
            if num_batch is not None and nbatch == num_batch:
                break
            self.forward(eval_batch, is_train=False)
            pad = eval_batch.pad or 0
            outputs = [out[0:out.shape[0] - pad] for out in self.get_outputs()]
            yield (outputs, nbatch, eval_batch)

    def predict(self, eval_data, num_batch=None, merge_batches=True, reset=True, always_output_list=False,
                sparse_row_id_fn=None):
        """Runs the network on ``eval_data`` (DataIter, NumPy array or NDArray) and returns the outputs as
        NDArrays: concatenated over batches (``merge_batches``), padded samples dropped; a single output is
        returned bare unless ``always_output_list``."""
        del sparse_row_id_fn
        self._require(binded=True, params=True, what='predict')
        if isinstance(eval_data, (nd.NDArray, np.ndarray)):
            if isinstance(eval_data, np.ndarray):
                eval_data = nd.array(eval_data)
            self.forward(DataBatch([eval_data]), is_train=False)
            return self.get_outputs()[0]
        if not isinstance(eval_data, DataIter):
            raise ValueError('eval_data must be of type NDArray or DataIter')
        if reset:
            eval_data.reset()
        output_list = []
        for nbatch, eval_batch in enumerate(eval_data):
            if num_batch is not None and nbatch == num_batch:
                break
            self.forward(eval_batch, is_train=False)
            pad = eval_batch.pad or 0
            output_list.append([out[0:out.shape[0] - pad].copy() for out in self.get_outputs()])
        if not output_list:
            return output_list
        if not merge_batches:
            return output_list
        num_outputs = len(output_list[0])
        if any(len(out) != num_outputs for out in output_list):
            raise ValueError('Cannot merge batches, as num of outputs is not the same in mini-batches. Maybe '
                             'bucketing is used?')
        merged = [nd.array(np.concatenate([out[i].asnumpy() for out in output_list]),
                           ctx=output_list[0][i].context, dtype=output_list[0][i].dtype)
                  for i in range(num_outputs)]
        if num_outputs == 1 and not always_output_list:
            return merged[0]
        return merged

    def fit(self, train_data, eval_data=None, eval_metric='acc', epoch_end_callback=None, batch_end_callback=None,
            kvstore='local', optimizer='sgd', optimizer_params=(('learning_rate', 0.01),), eval_end_callback=None,
            eval_batch_end_callback=None, initializer=Uniform(0.01), arg_params=None, aux_params=None,
            allow_missing=False, force_rebind=False, force_init=False, begin_epoch=0, num_epoch=None,
            validation_metric=None, monitor=None, sparse_row_id_fn=None):
        """Trains the module on ``train_data`` for epochs ``begin_epoch`` .. ``num_epoch - 1``.

        Logs ``Epoch[n] Train-<metric>``, ``Epoch[n] Time cost`` and, with ``eval_data``,
        ``Epoch[n] Validation-<metric>`` after every epoch.
        """
        del sparse_row_id_fn
        from ..callback import TerminalProgress
        if num_epoch is None:
            raise ValueError('please specify number of epochs')
        if not isinstance(train_data, DataIter):
            raise TypeError("fit: train_data must be a DataIter, got %s" % type(train_data).__name__)
        if eval_data is not None and not isinstance(eval_data, DataIter):
            raise TypeError("fit: eval_data must be a DataIter, got %s" % type(eval_data).__name__)
        # Fail on a bad metric name before binding anything.
        if validation_metric is None:
            validation_metric = eval_metric
        if not isinstance(eval_metric, metric.EvalMetric):
            eval_metric = metric.create(eval_metric)
        if not isinstance(validation_metric, metric.EvalMetric):
            validation_metric = metric.create(validation_metric)

        self.bind(data_shapes=train_data.provide_data, label_shapes=train_data.provide_label, for_training=True,
                  force_rebind=force_rebind)
        if monitor is not None:
            self.install_monitor(monitor)
        self.init_params(initializer=initializer, arg_params=arg_params, aux_params=aux_params,
                         allow_missing=allow_missing, force_init=force_init)
        self.init_optimizer(kvstore=kvstore, optimizer=optimizer, optimizer_params=optimizer_params)

        progress = TerminalProgress(total=_iter_len(train_data), batch_size=train_data.batch_size)
        for epoch in range(begin_epoch, num_epoch):
            tic = time.time()
            eval_metric.reset()
            progress.start()
            nbatch = 0
            data_iter = iter(train_data)
            end_of_batch = False
            try:
                next_data_batch = next(data_iter)
            except StopIteration:
                raise ValueError("fit: the training data yields no batch (epoch %d)" % epoch)
            eval_name_vals = []
            while not end_of_batch:
                data_batch = next_data_batch
                if monitor is not None:
                    monitor.tic()
                self.forward_backward(data_batch)
                self.update()
                self.update_metric(eval_metric, data_batch.label)
                try:
                    next_data_batch = next(data_iter)
                except StopIteration:
                    end_of_batch = True
                if monitor is not None:
                    monitor.toc_print()
                if end_of_batch:
                    eval_name_vals = eval_metric.get_global_name_value()
                if batch_end_callback is not None:
                    params = BatchEndParam(epoch=epoch, nbatch=nbatch, eval_metric=eval_metric, locals=locals())
                    for callback in _as_list(batch_end_callback):
                        callback(params)
                nbatch += 1
                progress.update(nbatch)
            progress.finish()
            for name, val in eval_name_vals:
                self.logger.info('Epoch[%d] Train-%s=%f', epoch, name, val)
            toc = time.time()
            self.logger.info('Epoch[%d] Time cost=%.3f', epoch, (toc - tic))

            arg_params_, aux_params_ = self.get_params()
            self.set_params(arg_params_, aux_params_)
            if epoch_end_callback is not None:
                for callback in _as_list(epoch_end_callback):
                    callback(epoch, self.symbol, arg_params_, aux_params_)
            if eval_data is not None:
                res = self.score(eval_data, validation_metric, score_end_callback=eval_end_callback,
                                 batch_end_callback=eval_batch_end_callback, epoch=epoch)
                for name, val in res:
                    self.logger.info('Epoch[%d] Validation-%s=%f', epoch, name, val)
            train_data.reset()

    # -- parameters ------------------------------------------------------------------------------------------
    def save_params(self, fname):
        """Writes the parameters to ``fname`` (``arg:``/``aux:`` keys), atomically."""
        arg_params, aux_params = self.get_params()
        save_dict = {('arg:%s' % k): v.as_in_context(cpu()) for k, v in arg_params.items()}
        save_dict.update({('aux:%s' % k): v.as_in_context(cpu()) for k, v in aux_params.items()})
        _save_param_dict(fname, save_dict)

    def load_params(self, fname):
        """Loads parameters written by ``save_params`` into the module."""
        save_dict = nd.load(fname)
        if not isinstance(save_dict, dict):
            raise ValueError("Invalid param file %s: it holds no named parameters" % fname)
        arg_params, aux_params = _split_param_dict(save_dict, fname)
        self.set_params(arg_params, aux_params)

    def _require(self, binded=False, params=False, optimizer=False, what='this call'):
        if binded and not self.binded:
            raise RuntimeError("%s needs a bound module: call bind() first" % what)
        if params and not self.params_initialized:
            raise RuntimeError("%s needs initialized parameters: call init_params() first" % what)
        if optimizer and not self.optimizer_initialized:
            raise RuntimeError("%s needs an optimizer: call init_optimizer() first" % what)

    def _optimizer_exists(self, force_init):
        """For init_optimizer: checks the module is bound with parameters; True (after a warning) when an
        optimizer exists and ``force_init`` is False, so the call is ignored."""
        self._require(binded=True, params=True, what='init_optimizer')
        if self.optimizer_initialized and not force_init:
            self.logger.warning('optimizer already initialized, ignoring...')
            return True
        return False

    def _set_params_handled(self, arg_params, aux_params, allow_missing, force_init, allow_extra):
        """The common part of set_params: without ``allow_missing`` it is init_params (done here); with it, an
        already initialized module and no ``force_init`` ignore the call. True when nothing is left to do."""
        if not allow_missing:
            self.init_params(initializer=None, arg_params=arg_params, aux_params=aux_params,
                             allow_missing=allow_missing, force_init=force_init, allow_extra=allow_extra)
            return True
        if self.params_initialized and not force_init:
            warnings.warn("Parameters already initialized and force_init=False. set_params call ignored.",
                          stacklevel=3)
            return True
        return False

    # -- interface implemented by subclasses -----------------------------------------------------------------
    @property
    def symbol(self):
        """The symbol of the module."""
        return self._symbol

    @property
    def data_names(self):
        raise NotImplementedError()

    @property
    def output_names(self):
        raise NotImplementedError()

    @property
    def data_shapes(self):
        raise NotImplementedError()

    @property
    def label_shapes(self):
        raise NotImplementedError()

    @property
    def output_shapes(self):
        raise NotImplementedError()

    def get_params(self):
        raise NotImplementedError()

    def init_params(self, initializer=Uniform(0.01), arg_params=None, aux_params=None, allow_missing=False,
                    force_init=False, allow_extra=False):
        raise NotImplementedError()

    def set_params(self, arg_params, aux_params, allow_missing=False, force_init=True, allow_extra=False):
        """Sets the parameters from dicts of name -> NDArray."""
        self.init_params(initializer=None, arg_params=arg_params, aux_params=aux_params,
                         allow_missing=allow_missing, force_init=force_init, allow_extra=allow_extra)

    def install_monitor(self, mon):
        raise NotImplementedError()

    def prepare(self, data_batch, sparse_row_id_fn=None):
        """Nothing to prepare: mxc has no sparse parameters to pull rows of (kept for API compatibility)."""

    def forward(self, data_batch, is_train=None):
        raise NotImplementedError()

    def backward(self, out_grads=None):
        raise NotImplementedError()

    def get_outputs(self, merge_multi_context=True):
        raise NotImplementedError()

    def get_input_grads(self, merge_multi_context=True):
        raise NotImplementedError()

    def update(self):
        raise NotImplementedError()

    def update_metric(self, eval_metric, labels, pre_sliced=False):
        raise NotImplementedError()

    def bind(self, data_shapes, label_shapes=None, for_training=True, inputs_need_grad=False, force_rebind=False,
             shared_module=None, grad_req='write'):
        raise NotImplementedError()

    def init_optimizer(self, kvstore='local', optimizer='sgd', optimizer_params=(('learning_rate', 0.01),),
                       force_init=False):
        raise NotImplementedError()
