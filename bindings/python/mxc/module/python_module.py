"""Modules computed in Python (MXNet 1.x ``mx.mod.PythonModule`` and ``mx.mod.PythonLossModule``).

A PythonModule has no parameters and no executor: ``forward``/``backward`` are Python methods a subclass writes.
PythonLossModule is the common case of a loss at the end of a ``SequentialModule``: its output is its input and
its input gradient is ``grad_func(scores, labels)``."""
import logging

from ..ndarray import NDArray
from .. import ndarray as nd
from ..initializer import Uniform
from .base_module import BaseModule

__all__ = ["PythonModule", "PythonLossModule"]


def _pairs(shapes):
    """``[(name, shape), ...]`` from DataDescs or pairs."""
    if shapes is None:
        return None
    out = []
    for x in shapes:
        if hasattr(x, "name") and hasattr(x, "shape"):
            out.append((x.name, tuple(x.shape)))
        else:
            out.append((x[0], tuple(x[1])))
    return out


class PythonModule(BaseModule):
    """A parameterless module written in Python. Subclasses implement ``forward``, ``backward``,
    ``get_outputs``, ``get_input_grads`` and ``_compute_output_shapes`` (called by ``bind``; returns
    ``[(output_name, shape), ...]``). ``update_metric`` updates the metric with the labels and ``get_outputs()``
    when the module was bound with labels."""

    def __init__(self, data_names, label_names, output_names, logger=logging):
        super(PythonModule, self).__init__(logger=logger)
        self._data_names = list(data_names) if data_names is not None else []
        self._label_names = list(label_names) if label_names is not None else []
        self._output_names = list(output_names) if output_names is not None else []
        self._data_shapes = None
        self._label_shapes = None
        self._output_shapes = None

    @property
    def data_names(self):
        return self._data_names

    @property
    def output_names(self):
        return self._output_names

    @property
    def data_shapes(self):
        return self._data_shapes

    @property
    def label_shapes(self):
        return self._label_shapes

    @property
    def output_shapes(self):
        return self._output_shapes

    def get_params(self):
        """No parameters: ``({}, {})``."""
        return dict(), dict()

    def init_params(self, initializer=Uniform(0.01), arg_params=None, aux_params=None, allow_missing=False,
                    force_init=False, allow_extra=False):
        """Nothing to initialize; marks the parameters initialized."""
        self.params_initialized = True

    def set_params(self, arg_params, aux_params, allow_missing=False, force_init=True, allow_extra=False):
        self.params_initialized = True

    def update(self):
        """No parameters to update."""

    def update_metric(self, eval_metric, labels, pre_sliced=False):
        if self._label_shapes is None:
            return  # bound without labels: nothing to compare with
        if pre_sliced:
            raise RuntimeError("PythonModule.update_metric: pre_sliced labels are not supported")
        eval_metric.update(labels, self.get_outputs())

    def bind(self, data_shapes, label_shapes=None, for_training=True, inputs_need_grad=False, force_rebind=False,
             shared_module=None, grad_req='write'):
        """Records the shapes (checking the names) and computes the output shapes."""
        if self.binded and not force_rebind:
            self.logger.warning('Already bound, ignoring bind()')
            return
        if grad_req != 'write':
            raise ValueError("%s.bind: only grad_req='write' is supported, got %r" % (type(self).__name__,
                                                                                       grad_req))
        self.for_training = for_training
        self.inputs_need_grad = inputs_need_grad
        data_shapes = _pairs(data_shapes)
        if len(data_shapes) != len(self._data_names):
            raise ValueError("%s.bind: %d data shapes %s for the data names %s" % (
                type(self).__name__, len(data_shapes), data_shapes, self._data_names))
        if [n for n, _ in data_shapes] != self._data_names:
            raise ValueError("%s.bind: data shapes %s do not match the data names %s" % (
                type(self).__name__, data_shapes, self._data_names))
        self._data_shapes = data_shapes
        label_shapes = _pairs(label_shapes)
        if label_shapes is not None:
            if [n for n, _ in label_shapes] != self._label_names:
                raise ValueError("%s.bind: label shapes %s do not match the label names %s" % (
                    type(self).__name__, label_shapes, self._label_names))
        self._label_shapes = label_shapes
        self._output_shapes = self._compute_output_shapes()
        self.binded = True

    def _compute_output_shapes(self):
        """``[(output_name, shape), ...]`` from ``self._data_shapes``/``self._label_shapes``; subclasses write it."""
        raise NotImplementedError()

    def init_optimizer(self, kvstore='local', optimizer='sgd', optimizer_params=(('learning_rate', 0.01),),
                       force_init=False):
        """No parameters: marks the optimizer initialized."""
        self.optimizer_initialized = True

    def install_monitor(self, mon):
        """Nothing to monitor (no executor)."""


class PythonLossModule(PythonModule):
    """A loss written in Python: one data input (the scores) and one label; the output ``<name>_output`` is the
    scores themselves and ``backward()`` sets the input gradient to ``grad_func(scores, labels)`` (an NDArray,
    or anything ``mx.nd.array`` takes). Without ``grad_func`` override ``_backward_impl``."""

    def __init__(self, name='pyloss', data_names=('data',), label_names=('softmax_label',), logger=logging,
                 grad_func=None):
        super(PythonLossModule, self).__init__(data_names, label_names, [name + '_output'], logger=logger)
        self._name = name
        if len(self._data_names) != 1:
            raise ValueError("PythonLossModule takes one data input, got data_names=%s" % (self._data_names,))
        if len(self._label_names) != 1:
            raise ValueError("PythonLossModule takes one label, got label_names=%s" % (self._label_names,))
        if grad_func is not None and not callable(grad_func):
            raise TypeError("PythonLossModule: grad_func must be callable, got %r" % (grad_func,))
        self._scores = None
        self._labels = None
        self._scores_grad = None
        self._grad_func = grad_func

    def _compute_output_shapes(self):
        return [(self._name + '_output', self._data_shapes[0][1])]

    def forward(self, data_batch, is_train=None):
        """Keeps the scores (the batch's data) and, when training, the labels."""
        self._require(binded=True, what='forward')
        self._scores = data_batch.data[0]
        if is_train is None:
            is_train = self.for_training
        if is_train:
            if not data_batch.label:
                raise ValueError("PythonLossModule.forward: a training batch needs a label")
            self._labels = data_batch.label[0]

    def get_outputs(self, merge_multi_context=True):
        if not merge_multi_context:
            raise ValueError("PythonLossModule.get_outputs: merge_multi_context=False is not supported")
        return [self._scores]

    def backward(self, out_grads=None):
        """Computes the gradient of the loss with respect to the scores (``out_grads`` must be None)."""
        assert out_grads is None, 'For a loss module, out_grads should be None'
        assert self.for_training, 'PythonLossModule.backward needs a module bound with for_training=True'
        self._backward_impl()

    def _backward_impl(self):
        """``grad_func(scores, labels)`` as the scores' gradient; subclasses without grad_func override this."""
        if self._grad_func is None:
            raise NotImplementedError()
        grad = self._grad_func(self._scores, self._labels)
        if not isinstance(grad, NDArray):
            grad = nd.array(grad)
        self._scores_grad = grad

    def get_input_grads(self, merge_multi_context=True):
        if not merge_multi_context:
            raise ValueError("PythonLossModule.get_input_grads: merge_multi_context=False is not supported")
        assert self.inputs_need_grad, 'get_input_grads needs a module bound with inputs_need_grad=True'
        return [self._scores_grad]

    def install_monitor(self, mon):
        raise NotImplementedError()
