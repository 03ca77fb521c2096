"""The executors behind a Module: one per device, each bound on its slice of the batch, plus executors for other
input shapes that share the parameters."""
from collections import OrderedDict

import numpy as np

from .. import ndarray as nd
from ..model import _bind_executor, _check_contexts, _load_inputs

__all__ = ["ExecutorGroup"]


def _split_batch(batch_size, work_load_list):
    """Slices of the batch axis, one per device, as MXNet 1.9.1 splits: device i gets
    ``round(batch_size * load_i / sum(loads))`` samples (Python's round, half to even) and the last device takes
    what is left over or short, e.g. 10 on three devices -> 3, 3, 4 and 14 on four -> 4, 4, 4, 2."""
    total = float(sum(work_load_list))
    sizes = [int(round(batch_size * w / total)) for w in work_load_list]
    sizes[-1] += batch_size - sum(sizes)
    if min(sizes) <= 0:
        raise ValueError("Too many slices. Some splits are empty: a batch of %d split over %d devices by "
                         "work_load_list %s gives %s samples per device" % (batch_size, len(sizes),
                                                                           list(work_load_list), sizes))
    ends = np.cumsum(sizes)
    return [slice(int(end - size), int(end)) for size, end in zip(sizes, ends)]


def _merge(arrays, axis=0):
    """One array from the per-device arrays (the array itself for one device), on the first one's device."""
    if len(arrays) == 1:
        return arrays[0]
    ctx = arrays[0].context
    return nd.concat(*[a.as_in_context(ctx) for a in arrays], dim=axis)


def _per_device(execs, kind, names):
    """For each name, its array (None when absent) in each executor's ``kind`` dict: MXNet's layout."""
    return [[getattr(e, kind).get(name) for e in execs] for name in names]


def _slice(src, sl, axis):
    if not isinstance(src, nd.NDArray):
        src = nd.array(src)
    if axis == 0:
        return src[sl]
    return nd.slice_axis(src, axis=axis, begin=sl.start, end=sl.stop)


class ExecutorGroup(object):
    """Binds ``symbol`` on every context of ``contexts`` (a Context or a list), each device on its share of the
    batch (``work_load_list``, equal by default; see ``_split_batch``).

    ``param_arrays``, ``grad_arrays`` and ``aux_arrays`` follow MXNet's layout: one list per parameter holding
    its array on each device. ``reshape`` binds new executors for other input shapes that share each device's
    parameter, gradient and auxiliary arrays and borrow their memory pool; so does a group built with
    ``shared_group`` (the buckets of a BucketingModule).
    """

    def __init__(self, symbol, contexts, data_shapes, label_shapes, param_names, for_training, inputs_need_grad,
                 shared_group=None, fixed_param_names=None, grad_req='write', state_names=None, logger=None,
                 work_load_list=None):
        contexts = list(contexts) if isinstance(contexts, (list, tuple)) else [contexts]
        _check_contexts(contexts, work_load_list, 'ExecutorGroup')
        work_load_list = list(work_load_list) if work_load_list is not None else [1] * len(contexts)
        if shared_group is not None and shared_group.contexts != contexts:
            raise ValueError("ExecutorGroup: the shared group runs on %s, not on %s"
                             % (shared_group.contexts, contexts))
        self.symbol = symbol
        self.contexts = contexts
        self.context = contexts[0]
        self.workload = work_load_list
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
        batch_size = data_shapes[0].shape[self._batch_axis(data_shapes[0])] if data_shapes else 0
        slices = _split_batch(batch_size, self.workload) if len(self.contexts) > 1 else [slice(0, batch_size)]
        types = {x.name: getattr(x, 'dtype', np.float32) for x in inputs}
        execs = []
        for i, (ctx, sl) in enumerate(zip(self.contexts, slices)):
            shapes = OrderedDict((x.name, self._sliced_shape(x, sl)) for x in inputs)
            owner = shared_group if shared_group is not None else (self if self.execs else None)
            shared, grads = (owner.shared_arrays(i), owner.shared_grads(i)) if owner is not None else ({}, {})
            execs.append(_bind_executor(self.symbol, ctx, shapes, types, self.param_names, self.for_training,
                                        shared_arrays=shared, inputs_need_grad=self.inputs_need_grad,
                                        fixed_param_names=self.fixed_param_names, grad_req=self.grad_req,
                                        shared_grads=grads, shared_exec=owner.execs[i] if owner else None))
        # every executor exists: commit the new shapes
        self.slices = slices
        self.data_shapes = data_shapes
        self.label_shapes = bound_labels
        # labels the symbol does not take (e.g. a network without loss) still feed the metric
        self.metric_label_names = [x.name for x in (label_shapes or [])]
        self._metric_label_axes = [self._batch_axis(x) for x in (label_shapes or [])]
        self.data_names = [x.name for x in data_shapes]
        self.label_names = [x.name for x in (bound_labels or [])]
        self._data_axes = [self._batch_axis(x) for x in data_shapes]
        self._label_axes = [self._batch_axis(x) for x in (bound_labels or [])]
        self.batch_size = batch_size
        self.execs = execs
        self.executor = execs[0]
        self.data_arrays = _per_device(execs, 'arg_dict', self.data_names)
        self.label_arrays = _per_device(execs, 'arg_dict', self.label_names)
        self.param_arrays = _per_device(execs, 'arg_dict', self.param_names)
        self.grad_arrays = _per_device(execs, 'grad_dict', self.param_names)
        self.aux_arrays = _per_device(execs, 'aux_dict', self.aux_names)
        self.state_arrays = _per_device(execs, 'arg_dict', self.state_names)
        self.input_grad_arrays = _per_device(execs, 'grad_dict', self.data_names) if self.inputs_need_grad else []
        self._total_exec_bytes = 0

    @staticmethod
    def _batch_axis(desc):
        layout = getattr(desc, 'layout', None)
        return layout.find('N') if layout and 'N' in layout else 0

    def _sliced_shape(self, desc, sl):
        shape = list(desc.shape)
        if len(self.contexts) > 1:
            shape[self._batch_axis(desc)] = sl.stop - sl.start
        return tuple(shape)

    def shared_arrays(self, device=0):
        """Name -> array of every parameter and auxiliary state on device ``device`` (for executors that share
        them)."""
        shared = {name: arrs[device] for name, arrs in zip(self.param_names, self.param_arrays)}
        shared.update({name: arrs[device] for name, arrs in zip(self.aux_names, self.aux_arrays)})
        return shared

    def shared_grads(self, device=0):
        """Name -> gradient array of every parameter that has one, on device ``device``."""
        return {name: arrs[device] for name, arrs in zip(self.param_names, self.grad_arrays)
                if arrs[device] is not None}

    def reshape(self, data_shapes, label_shapes):
        """Rebinds for new input shapes, keeping each device's parameter arrays."""
        self._bind(data_shapes, label_shapes, None)

    def set_params(self, arg_params, aux_params, allow_extra=False):
        """Copies parameters to every device (names missing from the dicts are left alone)."""
        for names, arrays, given in ((self.param_names, self.param_arrays, arg_params),
                                     (self.aux_names, self.aux_arrays, aux_params)):
            for name, arrs in zip(names, arrays):
                if name in given:
                    for dst in arrs:
                        _copy_into(given[name], dst, name)
        if not allow_extra:
            extra = sorted(set(arg_params) - set(self.arg_names)) + sorted(set(aux_params) - set(self.aux_names))
            if extra:
                raise ValueError("parameters %s are not used by the symbol (pass allow_extra=True to ignore them)"
                                 % extra)

    def get_params(self, arg_params, aux_params):
        """Writes each parameter's mean over the devices into the given dicts' arrays (the copies are equal
        after updates; BatchNorm's running statistics differ per device)."""
        for names, arrays, out in ((self.param_names, self.param_arrays, arg_params),
                                   (self.aux_names, self.aux_arrays, aux_params)):
            for name, arrs in zip(names, arrays):
                if len(arrs) == 1:
                    arrs[0].copyto(out[name])
                    continue
                total = arrs[0].as_in_context(out[name].context).copy()
                for arr in arrs[1:]:
                    total += arr.as_in_context(total.context)
                (total / len(arrs)).copyto(out[name])

    def _load(self, targets, sources, names, axes, what):
        """Copies each source array's slice into its array on each device (a source may also be a list with one
        array per device)."""
        if len(sources) != len(targets):
            raise ValueError("the batch has %d %s arrays but the network expects %d (%s)"
                             % (len(sources), what, len(targets), names))
        for src, dsts, name, axis in zip(sources, targets, names, axes):
            if isinstance(src, (list, tuple)):
                if len(src) != len(dsts):
                    raise ValueError("%s '%s': %d per-device arrays given for %d devices"
                                     % (what, name, len(src), len(dsts)))
                parts = list(src)
            elif len(dsts) == 1:
                parts = [src]
            else:
                if src.shape[axis] != self.batch_size:
                    raise ValueError("%s '%s' of the batch has shape %s but the network was bound for a batch of "
                                     "%d" % (what, name, tuple(src.shape), self.batch_size))
                parts = [_slice(src, sl, axis) for sl in self.slices]
            for i, (part, dst) in enumerate(zip(parts, dsts)):
                _load_inputs([dst], [part], [name], what if len(dsts) == 1 else '%s (device %d)' % (what, i))

    def forward(self, data_batch, is_train=None):
        self._load(self.data_arrays, data_batch.data, self.data_names, self._data_axes, 'data')
        if self.label_arrays:
            labels = data_batch.label
            if labels:
                pos = [self.metric_label_names.index(n) for n in self.label_names]
                if max(pos) >= len(labels):
                    raise ValueError("the batch has %d label arrays but the network expects %s"
                                     % (len(labels), self.metric_label_names))
                self._load(self.label_arrays, [labels[i] for i in pos], self.label_names, self._label_axes,
                           'label')
            elif is_train or (is_train is None and self.for_training):
                raise ValueError("forward in training mode needs labels %s but the batch has none"
                                 % self.label_names)
        if is_train is None:
            is_train = self.for_training
        for executor in self.execs:
            executor.forward(is_train=is_train)

    def backward(self, out_grads=None):
        if not self.for_training:
            raise RuntimeError("backward: re-bind with for_training=True to run backward")
        if out_grads is None:
            for executor in self.execs:
                executor.backward()
            return
        if isinstance(out_grads, nd.NDArray):
            out_grads = [out_grads]
        out_grads = list(out_grads)
        for i, (executor, sl) in enumerate(zip(self.execs, self.slices)):
            if len(self.execs) == 1:
                executor.backward(out_grads)
            else:
                executor.backward([_slice(g, sl, 0).as_in_context(self.contexts[i]) for g in out_grads])

    def get_outputs(self, merge_multi_context=True):
        """Each output: merged along the batch axis, or (``merge_multi_context=False``) a list of its array on
        each device."""
        outputs = [[e.outputs[i] for e in self.execs] for i in range(len(self.executor.outputs))]
        return [_merge(o) for o in outputs] if merge_multi_context else outputs

    def get_output_shapes(self):
        """``(name, shape)`` of each merged output (the devices' batch sizes summed along axis 0)."""
        shapes = []
        for i, name in enumerate(self.symbol.list_outputs()):
            parts = [tuple(e.outputs[i].shape) for e in self.execs]
            shapes.append((name, parts[0] if len(parts) == 1 or not parts[0] else
                           (sum(p[0] for p in parts),) + parts[0][1:]))
        return shapes

    def get_input_grads(self, merge_multi_context=True):
        if not self.inputs_need_grad:
            raise RuntimeError("get_input_grads: bind with inputs_need_grad=True")
        grads = [list(g) for g in self.input_grad_arrays]
        return [_merge(g, axis) for g, axis in zip(grads, self._data_axes)] if merge_multi_context else grads

    def get_states(self, merge_multi_context=True):
        states = [list(s) for s in self.state_arrays]
        return [_merge(s) for s in states] if merge_multi_context else states

    def set_states(self, states=None, value=None):
        """Sets the state inputs to a scalar ``value``, or from ``states``: per state, an array split along the
        batch axis (or copied whole when it has one device's shape) or a list with an array per device."""
        if value is not None:
            for arrs in self.state_arrays:
                for arr in arrs:
                    arr[:] = value
            return
        if len(states) != len(self.state_arrays):
            raise ValueError("set_states: %d states given for state inputs %s" % (len(states), self.state_names))
        for src, dsts in zip(states, self.state_arrays):
            if isinstance(src, (list, tuple)) and len(src) == 1 and len(dsts) > 1:
                src = src[0]
            if isinstance(src, (list, tuple)):
                parts = list(src)
            elif len(dsts) > 1 and tuple(src.shape) != tuple(dsts[0].shape):
                parts = [_slice(src, sl, 0) for sl in self.slices]
            else:
                parts = [src] * len(dsts)
            for part, dst in zip(parts, dsts):
                dst[:] = part.as_in_context(dst.context) if isinstance(part, nd.NDArray) else part

    def update_metric(self, eval_metric, labels, pre_sliced=False):
        """Updates ``eval_metric`` with each device's outputs and its slice of ``labels`` (with ``pre_sliced``,
        ``labels`` holds a list of label arrays per device)."""
        out_names = self.symbol.list_outputs()
        for i, (executor, sl) in enumerate(zip(self.execs, self.slices)):
            if pre_sliced:
                dev_labels = labels[i]
            elif len(self.execs) == 1:
                dev_labels = labels or []
            else:
                dev_labels = [_slice(lab, sl, axis) for lab, axis in zip(labels or [], self._metric_label_axes)]
            labels_ = OrderedDict(zip(self.metric_label_names, dev_labels))
            eval_metric.update_dict(labels_, OrderedDict(zip(out_names, executor.outputs)))

    def install_monitor(self, mon):
        for executor in self.execs:
            mon.install(executor)


def _copy_into(src, dst, name):
    if tuple(src.shape) != tuple(dst.shape):
        raise ValueError("parameter '%s' has shape %s but the network needs %s"
                         % (name, tuple(src.shape), tuple(dst.shape)))
    if isinstance(src, nd.NDArray):
        src.copyto(dst)
    else:
        dst[:] = src
