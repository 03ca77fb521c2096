"""SequentialModule: modules run one after another, the outputs of each the data of the next (MXNet 1.x
``mx.mod.SequentialModule``)."""
import copy
import logging

from ..initializer import Uniform
from ..io import DataBatch, DataDesc
from .base_module import BaseModule

__all__ = ["SequentialModule"]


class SequentialModule(BaseModule):
    """A chain of modules: ``add(module, take_labels=False, auto_wiring=False)`` appends one. Each module's outputs
    are the next one's data (``auto_wiring``: renamed to its ``data_names``); modules added with ``take_labels``
    get the batch's labels (and update the metrics). Backward runs from the last module to the first, each
    module's input gradients being the output gradients of the one before, so modules after the first are bound
    with ``inputs_need_grad`` when training."""

    META_TAKE_LABELS = 'take_labels'
    META_AUTO_WIRING = 'auto_wiring'

    def __init__(self, logger=logging):
        super(SequentialModule, self).__init__(logger=logger)
        self._modules = []
        self._metas = []
        self._label_shapes = None
        self._data_shapes = None

    def add(self, module, **kwargs):
        """Appends ``module``; returns self so that calls chain."""
        for key in kwargs:
            if key not in (self.META_TAKE_LABELS, self.META_AUTO_WIRING):
                raise ValueError("SequentialModule.add: unknown meta %r (use take_labels or auto_wiring)" % key)
        self._modules.append(module)
        self._metas.append(kwargs)
        # A new module invalidates what was bound or initialized.
        self.binded = self.params_initialized = self.optimizer_initialized = False
        return self

    def _need_modules(self, what):
        if not self._modules:
            raise RuntimeError("SequentialModule.%s: no module added" % what)

    # -- properties ------------------------------------------------------------------------------------------
    @property
    def data_names(self):
        return self._modules[0].data_names if self._modules else []

    @property
    def output_names(self):
        return self._modules[-1].output_names if self._modules else []

    @property
    def data_shapes(self):
        self._require(binded=True, what='data_shapes')
        return self._modules[0].data_shapes

    @property
    def label_shapes(self):
        self._require(binded=True, what='label_shapes')
        return self._label_shapes

    @property
    def output_shapes(self):
        self._require(binded=True, what='output_shapes')
        return self._modules[-1].output_shapes

    # -- parameters ------------------------------------------------------------------------------------------
    def get_params(self):
        self._require(binded=True, params=True, what='get_params')
        arg_params, aux_params = {}, {}
        for module in self._modules:
            arg, aux = module.get_params()
            arg_params.update(arg)
            aux_params.update(aux)
        return arg_params, aux_params

    def init_params(self, initializer=Uniform(0.01), arg_params=None, aux_params=None, allow_missing=False,
                    force_init=False, allow_extra=False):
        if self.params_initialized and not force_init:
            return
        self._require(binded=True, what='init_params')
        seen = {}
        for i, module in enumerate(self._modules):
            if module._symbol is None:  # a PythonModule: no symbol, no parameters of its own
                module.init_params(initializer=initializer, arg_params=arg_params, aux_params=aux_params,
                                   allow_missing=allow_missing, force_init=force_init, allow_extra=True)
                continue
            arg, aux = module._symbol.list_arguments(), module._symbol.list_auxiliary_states()
            inputs = set(module.data_names) | set(getattr(module, 'label_names', []) or [])
            for name in [a for a in arg if a not in inputs] + aux:
                if name in seen:
                    raise ValueError("SequentialModule: modules %d and %d both have a parameter named %s"
                                     % (seen[name], i, name))
                seen[name] = i
            module.init_params(initializer=initializer, arg_params=arg_params, aux_params=aux_params,
                               allow_missing=allow_missing, force_init=force_init, allow_extra=True)
        self.params_initialized = True

    # -- binding ---------------------------------------------------------------------------------------------
    def bind(self, data_shapes, label_shapes=None, for_training=True, inputs_need_grad=False, force_rebind=False,
             shared_module=None, grad_req='write'):
        if self.binded and not force_rebind:
            self.logger.warning('Already bound, ignoring bind()')
            return
        if shared_module is not None:
            raise ValueError("SequentialModule.bind: shared_module is not supported")
        self._need_modules('bind')
        if inputs_need_grad and not for_training:
            raise ValueError("SequentialModule.bind: inputs_need_grad needs for_training")
        self.for_training, self.inputs_need_grad = for_training, inputs_need_grad
        self._label_shapes = label_shapes
        my_data = data_shapes
        any_labels = False
        for i, (module, meta) in enumerate(zip(self._modules, self._metas)):
            takes = meta.get(self.META_TAKE_LABELS, False)
            any_labels = any_labels or takes
            module.bind(data_shapes=my_data, label_shapes=label_shapes if takes else None,
                        for_training=for_training, inputs_need_grad=inputs_need_grad if i == 0 else for_training,
                        force_rebind=force_rebind, grad_req=grad_req)
            outs = module.output_shapes
            if i + 1 < len(self._modules):
                nxt, nmeta = self._modules[i + 1], self._metas[i + 1]
                if nmeta.get(self.META_AUTO_WIRING, False):
                    names = nxt.data_names
                    if len(names) != len(outs):
                        raise ValueError("SequentialModule: module %d has %d outputs but module %d takes %d data "
                                         "inputs %s" % (i, len(outs), i + 1, len(names), list(names)))
                    my_data = [DataDesc(n, shape) for n, (_, shape) in zip(names, outs)]
                else:
                    my_data = [DataDesc(n, shape) for n, shape in outs]
        if not any_labels:
            self._label_shapes = None
        self.binded = True

    def init_optimizer(self, kvstore='local', optimizer='sgd', optimizer_params=(('learning_rate', 0.01),),
                       force_init=False):
        if self._optimizer_exists(force_init):
            return
        for module in self._modules:
            module.init_optimizer(kvstore=kvstore, optimizer=copy.deepcopy(optimizer) if not isinstance(
                optimizer, str) else optimizer, optimizer_params=optimizer_params, force_init=force_init)
        self.optimizer_initialized = True

    # -- computation -----------------------------------------------------------------------------------------
    def forward(self, data_batch, is_train=None):
        self._require(binded=True, params=True, what='forward')
        batch = data_batch
        for i, module in enumerate(self._modules):
            module.forward(batch, is_train=is_train)
            if i + 1 == len(self._modules):
                break
            outs = module.get_outputs()
            names = (self._modules[i + 1].data_names if self._metas[i + 1].get(self.META_AUTO_WIRING, False)
                     else module.output_names)
            batch = DataBatch(data=outs, label=data_batch.label, pad=data_batch.pad, index=data_batch.index,
                              provide_data=[DataDesc(n, o.shape) for n, o in zip(names, outs)],
                              provide_label=getattr(data_batch, 'provide_label', None))

    def backward(self, out_grads=None):
        self._require(binded=True, params=True, what='backward')
        for i, module in reversed(list(enumerate(self._modules))):
            module.backward(out_grads=out_grads)
            if i == 0:
                break
            out_grads = module.get_input_grads()

    def update(self):
        self._require(binded=True, params=True, optimizer=True, what='update')
        for module in self._modules:
            module.update()

    def get_outputs(self, merge_multi_context=True):
        self._require(binded=True, params=True, what='get_outputs')
        return self._modules[-1].get_outputs(merge_multi_context=merge_multi_context)

    def get_input_grads(self, merge_multi_context=True):
        self._require(binded=True, params=True, what='get_input_grads')
        if not self.inputs_need_grad:
            raise RuntimeError("get_input_grads needs a module bound with inputs_need_grad=True")
        return self._modules[0].get_input_grads(merge_multi_context=merge_multi_context)

    def update_metric(self, eval_metric, labels, pre_sliced=False):
        self._require(binded=True, params=True, what='update_metric')
        for module, meta in zip(self._modules, self._metas):
            if meta.get(self.META_TAKE_LABELS, False):
                module.update_metric(eval_metric, labels, pre_sliced)

    def install_monitor(self, mon):
        self._require(binded=True, what='install_monitor')
        for module in self._modules:
            module.install_monitor(mon)
