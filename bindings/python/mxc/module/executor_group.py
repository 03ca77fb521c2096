"""The executor behind a Module: one device, one executor per input shape, all sharing the parameters."""
from collections import OrderedDict

import numpy as np

from .. import ndarray as nd
from ..model import _bind_executor, _load_inputs

__all__ = ["ExecutorGroup"]


class ExecutorGroup(object):
    """Binds ``symbol`` on one context for given data/label shapes.

    ``param_arrays``, ``grad_arrays`` and ``aux_arrays`` follow MXNet's layout (one list per parameter holding the
    array of each device; here a single device). ``reshape`` binds a new executor for other input shapes that
    shares the parameter, gradient and auxiliary arrays.
    """

    def __init__(self, symbol, context, data_shapes, label_shapes, param_names, for_training, inputs_need_grad,
                 shared_group=None, fixed_param_names=None, grad_req='write', state_names=None, logger=None):
        self.symbol = symbol
        self.context = context
        self.contexts = [context]
        self.param_names = list(param_names)
        self.arg_names = symbol.list_arguments()
        self.aux_names = symbol.list_auxiliary_states()
        self.for_training = for_training
        self.inputs_need_grad = inputs_need_grad
        self.fixed_param_names = list(fixed_param_names or [])
        self.state_names = list(state_names or [])
        self.grad_req = grad_req
        self.logger = logger
        self._shared_group = shared_group
        self.execs = []
        self._bind(data_shapes, label_shapes, shared_group)

    def _bind(self, data_shapes, label_shapes, shared_group):
        data_shapes = list(data_shapes)
        arg_set = set(self.arg_names)
        bound_labels = [x for x in (label_shapes or []) if x.name in arg_set] if label_shapes else label_shapes
        inputs = data_shapes + list(bound_labels or [])
        shapes = OrderedDict((x.name, tuple(x.shape)) for x in inputs)
        types = {x.name: getattr(x, 'dtype', np.float32) for x in inputs}
        shared = {}
        if shared_group is not None:
            shared = shared_group.shared_arrays()
        elif self.execs:
            shared = self.shared_arrays()
        executor = _bind_executor(self.symbol, self.context, shapes, types, self.param_names, self.for_training,
                                  shared_arrays=shared, inputs_need_grad=self.inputs_need_grad,
                                  fixed_param_names=self.fixed_param_names, grad_req=self.grad_req)
        # the new executor exists: commit the new shapes
        self.data_shapes = data_shapes
        self.label_shapes = bound_labels
        # labels the symbol does not take (e.g. a network without loss) still feed the metric
        self.metric_label_names = [x.name for x in (label_shapes or [])]
        self.data_names = [x.name for x in data_shapes]
        self.label_names = [x.name for x in (bound_labels or [])]
        self.batch_size = data_shapes[0].shape[0] if data_shapes else 0
        self.execs = [executor]
        self.executor = executor
        self.data_arrays = [executor.arg_dict[name] for name in self.data_names]
        self.label_arrays = [executor.arg_dict[name] for name in self.label_names]
        self.param_arrays = [[executor.arg_dict[name]] for name in self.param_names]
        grad_dict = executor.grad_dict
        self.grad_arrays = [[grad_dict.get(name)] if grad_dict.get(name) is not None else [None]
                            for name in self.param_names]
        self.aux_arrays = [[executor.aux_dict[name]] for name in self.aux_names]
        self.input_grad_arrays = [grad_dict.get(name) for name in self.data_names] if self.inputs_need_grad else []
        self._total_exec_bytes = 0

    def shared_arrays(self):
        """Name -> array of every parameter and auxiliary state (for executors that share them)."""
        shared = {name: arrs[0] for name, arrs in zip(self.param_names, self.param_arrays)}
        shared.update({name: arrs[0] for name, arrs in zip(self.aux_names, self.aux_arrays)})
        return shared

    def reshape(self, data_shapes, label_shapes):
        """Rebinds for new input shapes, keeping the same parameter arrays."""
        self._bind(data_shapes, label_shapes, None)

    def set_params(self, arg_params, aux_params, allow_extra=False):
        """Copies parameters into the executor (names missing from the dicts are left alone)."""
        for name, arrs in zip(self.param_names, self.param_arrays):
            if name in arg_params:
                _copy_into(arg_params[name], arrs[0], name)
        for name, arrs in zip(self.aux_names, self.aux_arrays):
            if name in aux_params:
                _copy_into(aux_params[name], arrs[0], name)
        if not allow_extra:
            extra = sorted(set(arg_params) - set(self.arg_names)) + sorted(set(aux_params) - set(self.aux_names))
            if extra:
                raise ValueError("parameters %s are not used by the symbol (pass allow_extra=True to ignore them)"
                                 % extra)

    def get_params(self, arg_params, aux_params):
        """Copies the executor's parameters into the given dicts' arrays."""
        for name, arrs in zip(self.param_names, self.param_arrays):
            arrs[0].copyto(arg_params[name])
        for name, arrs in zip(self.aux_names, self.aux_arrays):
            arrs[0].copyto(aux_params[name])

    def forward(self, data_batch, is_train=None):
        _load_inputs(self.data_arrays, data_batch.data, self.data_names, 'data')
        if self.label_arrays:
            labels = data_batch.label
            if labels:
                pos = [self.metric_label_names.index(n) for n in self.label_names]
                if max(pos) >= len(labels):
                    raise ValueError("the batch has %d label arrays but the network expects %s"
                                     % (len(labels), self.metric_label_names))
                _load_inputs(self.label_arrays, [labels[i] for i in pos], self.label_names, 'label')
            elif is_train or (is_train is None and self.for_training):
                raise ValueError("forward in training mode needs labels %s but the batch has none"
                                 % self.label_names)
        if is_train is None:
            is_train = self.for_training
        self.executor.forward(is_train=is_train)

    def backward(self, out_grads=None):
        if not self.for_training:
            raise RuntimeError("backward: re-bind with for_training=True to run backward")
        if out_grads is None:
            self.executor.backward()
        else:
            if isinstance(out_grads, nd.NDArray):
                out_grads = [out_grads]
            self.executor.backward(list(out_grads))

    def get_outputs(self, merge_multi_context=True):
        outputs = list(self.executor.outputs)
        return outputs if merge_multi_context else [[o] for o in outputs]

    def get_output_shapes(self):
        names = self.symbol.list_outputs()
        return list(zip(names, [tuple(o.shape) for o in self.executor.outputs]))

    def get_input_grads(self, merge_multi_context=True):
        if not self.inputs_need_grad:
            raise RuntimeError("get_input_grads: bind with inputs_need_grad=True")
        grads = list(self.input_grad_arrays)
        return grads if merge_multi_context else [[g] for g in grads]

    def update_metric(self, eval_metric, labels, pre_sliced=False):
        del pre_sliced
        labels_ = OrderedDict(zip(self.metric_label_names, labels or []))
        preds = OrderedDict(zip(self.symbol.list_outputs(), self.executor.outputs))
        eval_metric.update_dict(labels_, preds)

    def install_monitor(self, mon):
        mon.install(self.executor)


def _copy_into(src, dst, name):
    if tuple(src.shape) != tuple(dst.shape):
        raise ValueError("parameter '%s' has shape %s but the network needs %s"
                         % (name, tuple(src.shape), tuple(dst.shape)))
    if isinstance(src, nd.NDArray):
        src.copyto(dst)
    else:
        dst[:] = src
