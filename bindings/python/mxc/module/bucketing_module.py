"""BucketingModule: one Module per bucket (e.g. sequence length) sharing one set of parameters (MXNet 1.x
``mx.mod.BucketingModule``)."""
import logging

from .. import context as ctx
from .. import ndarray as nd
from ..initializer import Uniform
from ..io import DataDesc
from ..model import _check_input_names, _save_symbol, load_params
from .base_module import BaseModule
from .module import Module

__all__ = ["BucketingModule"]


class BucketingModule(BaseModule):
    """Trains networks whose graph depends on a bucket key, typically unrolled RNNs of several sequence lengths.

    ``sym_gen(bucket_key)`` returns ``(symbol, data_names, label_names)``. ``bind`` binds the default bucket's
    Module; a batch of another ``bucket_key`` (``forward``, or ``switch_bucket``) binds that bucket's Module with
    ``shared_module=`` the default one, so every bucket uses the same parameter, gradient and auxiliary arrays
    (and borrows the default executors' memory pool) and the one optimizer made by ``init_optimizer``. The
    default bucket must hold every parameter, so make it the largest. The other arguments are Module's.
    """

    def __init__(self, sym_gen, default_bucket_key=None, logger=logging, context=ctx.cpu(), work_load_list=None,
                 fixed_param_names=None, state_names=None, group2ctxs=None, compression_params=None):
        super(BucketingModule, self).__init__(logger=logger)
        if default_bucket_key is None:
            raise ValueError("BucketingModule: default_bucket_key is required")
        self._default_bucket_key = default_bucket_key
        self._sym_gen = sym_gen
        symbol, data_names, label_names = self._call_sym_gen(default_bucket_key)
        self._data_names = list(data_names) if data_names is not None else []
        self._label_names = list(label_names) if label_names is not None else []
        self._default_outputs = symbol.list_outputs()
        self._fixed_param_names = list(fixed_param_names) if fixed_param_names is not None else []
        self._state_names = list(state_names) if state_names is not None else []
        _check_input_names(symbol, self._data_names, 'data', True)
        _check_input_names(symbol, self._label_names, 'label', False)
        _check_input_names(symbol, self._state_names, 'state', True)
        _check_input_names(symbol, self._fixed_param_names, 'fixed_param', True)
        self._module_args = dict(logger=logger, context=context, work_load_list=work_load_list,
                                 fixed_param_names=self._fixed_param_names, state_names=self._state_names,
                                 group2ctxs=group2ctxs, compression_params=compression_params)
        self._buckets = {}
        self._curr_module = None
        self._curr_bucket_key = None
        self._params_dirty = False
        self._monitor = None
        self._grad_req = None
        self._preset_params = None  # (arg_params, aux_params) given before binding (load, set_params)

    def _call_sym_gen(self, bucket_key):
        out = self._sym_gen(bucket_key)
        if not (isinstance(out, (tuple, list)) and len(out) == 3):
            raise TypeError("BucketingModule: sym_gen(%r) must return (symbol, data_names, label_names), got %r"
                            % (bucket_key, out))
        return out

    def _reset_bind(self):
        self.binded = False
        self._buckets = {}
        self._curr_module = None
        self._curr_bucket_key = None

    # -- properties ------------------------------------------------------------------------------------------
    @property
    def data_names(self):
        return self._curr_module.data_names if self.binded else self._data_names

    @property
    def output_names(self):
        return self._curr_module.output_names if self.binded else self._default_outputs

    @property
    def data_shapes(self):
        self._require(binded=True, what='data_shapes')
        return self._curr_module.data_shapes

    @property
    def label_shapes(self):
        self._require(binded=True, what='label_shapes')
        return self._curr_module.label_shapes

    @property
    def output_shapes(self):
        self._require(binded=True, what='output_shapes')
        return self._curr_module.output_shapes

    @property
    def symbol(self):
        """The symbol of the current bucket."""
        self._require(binded=True, what='symbol')
        return self._curr_module.symbol

    # -- parameters ------------------------------------------------------------------------------------------
    def get_params(self):
        """``(arg_params, aux_params)``: the one parameter set every bucket uses."""
        self._require(params=True, what='get_params')
        if not self.binded:
            return self._preset_params
        self._curr_module._params_dirty = self._params_dirty
        params = self._curr_module.get_params()
        self._params_dirty = False
        return params

    def init_params(self, initializer=Uniform(0.01), arg_params=None, aux_params=None, allow_missing=False,
                    force_init=False, allow_extra=False):
        if self.params_initialized and not force_init:
            return
        self._require(binded=True, what='init_params')
        self._curr_module.init_params(initializer=initializer, arg_params=arg_params, aux_params=aux_params,
                                      allow_missing=allow_missing, force_init=force_init, allow_extra=allow_extra)
        self._params_dirty = False
        self.params_initialized = True

    def set_params(self, arg_params, aux_params, allow_missing=False, force_init=True, allow_extra=False):
        if not self.binded:
            self._preset_params = (arg_params, aux_params)
            self.params_initialized = True
            return
        if self._set_params_handled(arg_params, aux_params, allow_missing, force_init, allow_extra):
            return
        self._curr_module.set_params(arg_params, aux_params, allow_missing=allow_missing, force_init=force_init,
                                     allow_extra=allow_extra)
        self._params_dirty = True
        self.params_initialized = True

    def get_states(self, merge_multi_context=True):
        self._require(binded=True, params=True, what='get_states')
        return self._curr_module.get_states(merge_multi_context)

    def set_states(self, states=None, value=None):
        self._require(binded=True, params=True, what='set_states')
        self._curr_module.set_states(states, value)

    # -- binding ---------------------------------------------------------------------------------------------
    def bind(self, data_shapes, label_shapes=None, for_training=True, inputs_need_grad=False, force_rebind=False,
             shared_module=None, grad_req='write'):
        """Binds the default bucket's Module for ``data_shapes``/``label_shapes`` (the default bucket's shapes,
        e.g. ``BucketSentenceIter.provide_data``)."""
        if shared_module is not None:
            raise ValueError("BucketingModule.bind: shared_module is not supported")
        if self.params_initialized and self.binded:
            self._preset_params = self.get_params()
        if force_rebind:
            self._reset_bind()
        if self.binded:
            self.logger.warning('Already bound, ignoring bind()')
            return
        self.for_training = for_training
        self.inputs_need_grad = inputs_need_grad
        self._grad_req = grad_req
        symbol, data_names, label_names = self._call_sym_gen(self._default_bucket_key)
        module = Module(symbol, data_names, label_names, **self._module_args)
        module.bind(data_shapes, label_shapes, for_training, inputs_need_grad, force_rebind=False,
                    shared_module=None, grad_req=grad_req)
        self._curr_module = module
        self._curr_bucket_key = self._default_bucket_key
        self._buckets[self._default_bucket_key] = module
        self.binded = True
        if self.params_initialized:
            arg_params, aux_params = self._preset_params
            self.params_initialized = False
            self.set_params(arg_params, aux_params)

    def switch_bucket(self, bucket_key, data_shapes, label_shapes=None):
        """Makes ``bucket_key`` the current bucket, binding its Module (sharing the default bucket's arrays) the
        first time."""
        self._require(binded=True, what='switch_bucket')
        if bucket_key not in self._buckets:
            default = self._buckets[self._default_bucket_key]
            self._require(params=True, what='switch_bucket to a new bucket')
            symbol, data_names, label_names = self._call_sym_gen(bucket_key)
            module = Module(symbol, data_names, label_names, **self._module_args)
            extra = [n for n in module._param_names if n not in default._param_names]
            if extra:
                raise ValueError("BucketingModule: bucket %r has parameters %s that the default bucket %r lacks; "
                                 "the default bucket must hold every parameter (make it the largest)"
                                 % (bucket_key, extra, self._default_bucket_key))
            module.bind(data_shapes, label_shapes, self._curr_module.for_training,
                        self._curr_module.inputs_need_grad, force_rebind=False, shared_module=default,
                        grad_req=self._grad_req)
            if self._monitor is not None:
                module.install_monitor(self._monitor)
            self._buckets[bucket_key] = module
        self._curr_module = self._buckets[bucket_key]
        self._curr_bucket_key = bucket_key

    # -- optimizer -------------------------------------------------------------------------------------------
    def init_optimizer(self, kvstore='local', optimizer='sgd', optimizer_params=(('learning_rate', 0.01),),
                       force_init=False):
        """Creates the optimizer on the current bucket's Module; every bucket uses it."""
        if self._optimizer_exists(force_init):
            return
        self._curr_module.init_optimizer(kvstore, optimizer, optimizer_params, force_init=force_init)
        for module in self._buckets.values():
            if module is not self._curr_module:
                module.borrow_optimizer(self._curr_module)
        self.optimizer_initialized = True

    # -- computation -----------------------------------------------------------------------------------------
    def prepare(self, data_batch, sparse_row_id_fn=None):
        """Binds the batch's bucket ahead of ``forward``."""
        self._switch_for(data_batch)

    def _switch_for(self, data_batch):
        key = getattr(data_batch, 'bucket_key', None)
        key = self._default_bucket_key if key is None else key
        data_shapes = getattr(data_batch, 'provide_data', None)
        label_shapes = getattr(data_batch, 'provide_label', None)
        if key not in self._buckets:
            names = self._call_sym_gen(key)[1:]
            if not data_shapes:
                data_shapes = [DataDesc(n, d.shape) for n, d in zip(names[0], data_batch.data or [])]
            if not label_shapes and data_batch.label:
                label_shapes = [DataDesc(n, l.shape) for n, l in zip(names[1], data_batch.label)]
        self.switch_bucket(key, data_shapes, label_shapes)

    def forward(self, data_batch, is_train=None):
        """Runs the Module of ``data_batch.bucket_key`` (the default bucket when None) on the batch."""
        self._require(binded=True, params=True, what='forward')
        self._switch_for(data_batch)
        self._curr_module.forward(data_batch, is_train=is_train)

    def backward(self, out_grads=None):
        self._require(binded=True, params=True, what='backward')
        self._curr_module.backward(out_grads=out_grads)

    def update(self):
        """An optimizer step on the shared parameters with the current bucket's gradients."""
        self._require(binded=True, params=True, optimizer=True, what='update')
        self._params_dirty = True
        self._curr_module.update()

    def get_outputs(self, merge_multi_context=True):
        self._require(binded=True, params=True, what='get_outputs')
        return self._curr_module.get_outputs(merge_multi_context=merge_multi_context)

    def get_input_grads(self, merge_multi_context=True):
        self._require(binded=True, params=True, what='get_input_grads')
        return self._curr_module.get_input_grads(merge_multi_context=merge_multi_context)

    def update_metric(self, eval_metric, labels, pre_sliced=False):
        self._require(binded=True, params=True, what='update_metric')
        self._curr_module.update_metric(eval_metric, labels, pre_sliced)

    def install_monitor(self, mon):
        """Installs ``mon`` on every bucket's executors, now and for buckets bound later."""
        self._require(binded=True, what='install_monitor')
        self._monitor = mon
        for module in self._buckets.values():
            module.install_monitor(mon)

    # -- checkpoints -----------------------------------------------------------------------------------------
    def save_checkpoint(self, prefix, epoch, remove_amp_cast=False):
        """Writes ``prefix-<bucket_key>-symbol.json`` for every bound bucket, ``prefix-%04d.params`` and, with
        integer keys, ``prefix.buckets`` (the keys, default first, as int32: MXNet's files)."""
        self._require(binded=True, params=True, what='save_checkpoint')
        for key, module in self._buckets.items():
            _save_symbol(module.symbol, '%s-%s-symbol.json' % (prefix, key), remove_amp_cast)
        param_name = '%s-%04d.params' % (prefix, epoch)
        self.save_params(param_name)
        logging.info('Saved checkpoint to "%s"', param_name)
        keys = list(self._buckets)
        if all(isinstance(k, int) for k in keys):
            nd.save('%s.buckets' % prefix, [nd.array(keys, dtype='int32')])

    @staticmethod
    def load(prefix, epoch, sym_gen=None, default_bucket_key=None, **kwargs):
        """A BucketingModule with the parameters of ``prefix-%04d.params`` (set at ``bind``)."""
        if sym_gen is None:
            raise ValueError("sym_gen is required for loading BucketingModule")
        if default_bucket_key is None:
            raise ValueError("default_bucket_key is required for loading BucketingModule")
        arg_params, aux_params = load_params(prefix, epoch)
        mod = BucketingModule(sym_gen, default_bucket_key, **kwargs)
        mod.set_params(arg_params, aux_params)
        return mod

    @staticmethod
    def load_dict(sym_dict=None, sym_gen=None, default_bucket_key=None, arg_params=None, aux_params=None,
                  **kwargs):
        """A BucketingModule from ``sym_dict`` (bucket key -> Symbol, e.g. the symbols of a checkpoint; other keys
        come from ``sym_gen``, which also names the inputs) and the parameters ``arg_params``/``aux_params``."""
        for value, what in ((sym_dict, 'sym_dict'), (sym_gen, 'sym_gen'), (default_bucket_key, 'default_bucket_key'),
                            (arg_params, 'arg_params'), (aux_params, 'aux_params')):
            if value is None:
                raise ValueError("%s needs to be provided for BucketingModule.load_dict" % what)

        def gen(key):
            symbol, data_names, label_names = sym_gen(key)
            return sym_dict.get(key, symbol), data_names, label_names
        mod = BucketingModule(gen, default_bucket_key, **kwargs)
        mod.set_params(arg_params, aux_params)
        return mod
