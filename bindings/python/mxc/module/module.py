"""Module: a symbol bound on one or several devices with its parameters and optimizer (MXNet 1.x
``mx.mod.Module``)."""
import logging
import os
import warnings

from .. import context as ctx
from .. import ndarray as nd
from .. import optimizer as opt
from ..initializer import InitDesc, Uniform
from ..io import DataDesc
from ..model import (_atomic_write, _check_input_names, _check_contexts, _create_kvstore, _init_kvstore,
                     _require_file, _save_symbol, _update_params, load_checkpoint)
from .base_module import BaseModule, _parse_data_desc
from .executor_group import ExecutorGroup

__all__ = ["Module"]


class Module(BaseModule):
    """A network with named data and label inputs; everything else in ``symbol.list_arguments()`` is a
    parameter.

    Parameters
    ----------
    symbol : Symbol
    data_names : list of str
        Data inputs; each must be an argument of the symbol (ValueError otherwise).
    label_names : list of str
        Label inputs (a name the symbol does not take only warns, as in MXNet).
    logger : logging.Logger
    context : Context or list of Contexts
        With several devices each batch is split along its batch axis over them (data parallelism).
    work_load_list : list of numbers
        The share of the batch of each device (equal by default).
    fixed_param_names : list of str
        Parameters that are not updated.
    state_names : list of str
        Inputs that are states set with ``set_states`` (neither data nor parameters).
    """

    def __init__(self, symbol, data_names=('data',), label_names=('softmax_label',), logger=logging,
                 context=ctx.cpu(), work_load_list=None, fixed_param_names=None, state_names=None,
                 group2ctxs=None, compression_params=None):
        super(Module, self).__init__(logger=logger)
        del group2ctxs, compression_params
        if isinstance(context, ctx.Context):
            context = [context]
        context = list(context)
        _check_contexts(context, work_load_list, 'Module')
        self._context = context
        self._work_load_list = list(work_load_list) if work_load_list is not None else None
        self._symbol = symbol
        data_names = list(data_names) if data_names is not None else []
        label_names = list(label_names) if label_names is not None else []
        state_names = list(state_names) if state_names is not None else []
        fixed_param_names = list(fixed_param_names) if fixed_param_names is not None else []
        _check_input_names(symbol, data_names, 'data', True)
        _check_input_names(symbol, label_names, 'label', False)
        _check_input_names(symbol, state_names, 'state', True)
        _check_input_names(symbol, fixed_param_names, 'fixed_param', True)
        arg_names = symbol.list_arguments()
        input_names = data_names + label_names + state_names
        self._param_names = [x for x in arg_names if x not in input_names]
        self._fixed_param_names = fixed_param_names
        self._aux_names = symbol.list_auxiliary_states()
        self._data_names = data_names
        self._label_names = label_names
        self._state_names = state_names
        self._output_names = symbol.list_outputs()
        self._arg_params = None
        self._aux_params = None
        self._params_dirty = False
        self._optimizer = None
        self._kvstore = None
        self._update_on_kvstore = False
        self._updater = None
        self._update_indices = None  # optimizer index of each parameter when the updater is borrowed
        self._preload_opt_states = None
        self._grad_req = None
        self._exec_group = None
        self._data_shapes = None
        self._label_shapes = None

    # -- checkpoints -----------------------------------------------------------------------------------------
    @staticmethod
    def load(prefix, epoch, load_optimizer_states=False, **kwargs):
        """Creates a Module from a checkpoint (parameters are set at ``bind``; optimizer states, when asked
        for, at ``init_optimizer``). Raises FileNotFoundError when a file is missing."""
        sym, args, auxs = load_checkpoint(prefix, epoch)
        mod = Module(symbol=sym, **kwargs)
        mod._arg_params = args
        mod._aux_params = auxs
        mod.params_initialized = True
        if load_optimizer_states:
            states = '%s-%04d.states' % (prefix, epoch)
            _require_file(states, 'optimizer-state file', prefix)
            mod._preload_opt_states = states
        return mod

    def save_checkpoint(self, prefix, epoch, save_optimizer_states=False, remove_amp_cast=True):
        """Writes ``prefix-symbol.json``, ``prefix-%04d.params`` and, with ``save_optimizer_states``,
        ``prefix-%04d.states`` (the optimizer with its update counts and per-weight states), each atomically."""
        _save_symbol(self._symbol, '%s-symbol.json' % prefix, remove_amp_cast)
        param_name = '%s-%04d.params' % (prefix, epoch)
        self.save_params(param_name)
        logging.info('Saved checkpoint to "%s"', param_name)
        if save_optimizer_states:
            state_name = '%s-%04d.states' % (prefix, epoch)
            self.save_optimizer_states(state_name)
            logging.info('Saved optimizer state to "%s"', state_name)

    def save_optimizer_states(self, fname):
        """Writes the optimizer and its states to ``fname`` (atomically)."""
        self._require(what='save_optimizer_states', optimizer=True)
        blob = self._updater.get_states(dump_optimizer=True)

        def _write(tmp):
            with open(tmp, 'wb') as fout:
                fout.write(blob)
        _atomic_write(fname, _write)

    def load_optimizer_states(self, fname):
        """Restores what ``save_optimizer_states`` wrote."""
        self._require(what='load_optimizer_states', optimizer=True)
        if not os.path.isfile(fname):
            raise FileNotFoundError("optimizer-state file '%s' does not exist" % fname)
        with open(fname, 'rb') as f:
            self._updater.set_states(f.read())
        self._optimizer = self._updater.optimizer

    # -- properties ------------------------------------------------------------------------------------------
    @property
    def data_names(self):
        return self._data_names

    @property
    def label_names(self):
        return self._label_names

    @property
    def output_names(self):
        return self._output_names

    @property
    def data_shapes(self):
        self._require(binded=True, what='data_shapes')
        return self._data_shapes

    @property
    def label_shapes(self):
        self._require(binded=True, what='label_shapes')
        return self._label_shapes

    @property
    def output_shapes(self):
        self._require(binded=True, what='output_shapes')
        return self._exec_group.get_output_shapes()

    # -- parameters ------------------------------------------------------------------------------------------
    def get_params(self):
        """Returns ``(arg_params, aux_params)``, copies of the current parameters."""
        self._require(params=True, what='get_params')
        if self._params_dirty:
            self._sync_params_from_devices()
        return (self._arg_params, self._aux_params)

    def init_params(self, initializer=Uniform(0.01), arg_params=None, aux_params=None, allow_missing=False,
                    force_init=False, allow_extra=False):
        """Initializes the parameters: values from ``arg_params``/``aux_params`` when given (a missing one is
        an error unless ``allow_missing``), the rest from ``initializer``."""
        if self.params_initialized and not force_init:
            warnings.warn("Parameters already initialized and force_init=False. init_params call ignored.",
                          stacklevel=2)
            return
        self._require(binded=True, what='init_params')
        attrs = self._symbol.attr_dict() if hasattr(self._symbol, 'attr_dict') else {}

        def _impl(name, arr, cache):
            if cache is not None:
                if name in cache:
                    src = cache[name]
                    if src is not arr:
                        if tuple(src.shape) != tuple(arr.shape):
                            raise ValueError("parameter '%s' has shape %s but the network needs %s"
                                             % (name, tuple(src.shape), tuple(arr.shape)))
                        arr[:] = src
                    return
                if not allow_missing:
                    raise RuntimeError("%s is not presented" % name)
                if initializer is not None:
                    initializer(name, arr)
            else:
                if initializer is None:
                    raise RuntimeError("no value and no initializer for parameter %s" % name)
                initializer(name, arr)

        for name, arr in sorted(self._arg_params.items()):
            _impl(InitDesc(name, attrs.get(name, None)), arr, arg_params)
        for name, arr in sorted(self._aux_params.items()):
            _impl(InitDesc(name, attrs.get(name, None)), arr, aux_params)
        if not allow_extra:
            extra = (sorted(set(arg_params or {}) - set(self._arg_params))
                     + sorted(set(aux_params or {}) - set(self._aux_params)))
            extra = [n for n in extra if n not in self._data_names + self._label_names + self._state_names]
            if extra:
                raise ValueError("parameters %s are not used by the symbol (pass allow_extra=True to ignore them)"
                                 % extra)
        self.params_initialized = True
        self._params_dirty = False
        self._exec_group.set_params(self._arg_params, self._aux_params, allow_extra=True)

    def set_params(self, arg_params, aux_params, allow_missing=False, force_init=True, allow_extra=False):
        """Sets the parameters from dicts of name -> NDArray."""
        if self._set_params_handled(arg_params, aux_params, allow_missing, force_init, allow_extra):
            return
        self._exec_group.set_params(arg_params, aux_params, allow_extra=allow_extra)
        self._params_dirty = True
        self.params_initialized = True

    def _sync_params_from_devices(self):
        self._exec_group.get_params(self._arg_params, self._aux_params)
        self._params_dirty = False

    # -- binding ---------------------------------------------------------------------------------------------
    def _reset_bind(self):
        self.binded = False
        self._exec_group = None
        self._data_shapes = None
        self._label_shapes = None

    def bind(self, data_shapes, label_shapes=None, for_training=True, inputs_need_grad=False, force_rebind=False,
             shared_module=None, grad_req='write'):
        """Binds the executor for ``data_shapes``/``label_shapes`` (DataDescs or ``(name, shape)`` pairs)."""
        if force_rebind:
            self._reset_bind()
        if self.binded:
            self.logger.warning('Already bound, ignoring bind()')
            return
        if not for_training and inputs_need_grad:
            raise ValueError("bind: inputs_need_grad=True needs for_training=True")
        self.for_training = for_training
        self.inputs_need_grad = inputs_need_grad
        self._grad_req = grad_req
        self._data_shapes, self._label_shapes = _parse_data_desc(self.data_names, self.label_names, data_shapes,
                                                                 label_shapes)
        if for_training and self._label_shapes:
            # Labels offered under names the symbol does not take while the symbol's own label argument would go
            # unfed: training would silently fit whatever that array holds. (MXNet fails later with a KeyError.)
            args = set(self._symbol.list_arguments())
            given = [x.name for x in self._label_shapes]
            unfed = [n for n in self.label_names if n in args and n not in given]
            stray = [n for n in given if n not in args]
            if unfed and stray:
                raise ValueError("bind: the data provides label(s) %s, which the symbol does not take, while the "
                                 "symbol's label argument(s) %s would get no data; name the iterator's labels %s "
                                 "(e.g. NDArrayIter(..., label_name=%r)) or pass label_names=%s to the Module"
                                 % (stray, unfed, unfed, unfed[0], stray))
        shared_group = None
        if shared_module is not None:
            if not (isinstance(shared_module, Module) and shared_module.binded
                    and shared_module.params_initialized):
                raise ValueError("bind: shared_module must be a bound Module with initialized parameters")
            shared_group = shared_module._exec_group
        self._exec_group = ExecutorGroup(self._symbol, self._context, self._data_shapes, self._label_shapes,
                                         self._param_names, for_training, inputs_need_grad, shared_group,
                                         fixed_param_names=self._fixed_param_names, grad_req=grad_req,
                                         state_names=self._state_names, logger=self.logger,
                                         work_load_list=self._work_load_list)
        if shared_module is not None:
            self.params_initialized = True
            self._arg_params = shared_module._arg_params
            self._aux_params = shared_module._aux_params
        elif self.params_initialized:
            # parameters given before binding (e.g. Module.load): copy them in
            self._exec_group.set_params(self._arg_params, self._aux_params)
        else:
            if self._arg_params is not None or self._aux_params is not None:
                raise RuntimeError("bind: parameters exist but are not marked initialized")
            self._arg_params = {name: nd.zeros(arrs[0].shape, dtype=arrs[0].dtype)
                                for name, arrs in zip(self._param_names, self._exec_group.param_arrays)}
            self._aux_params = {name: nd.zeros(arrs[0].shape, dtype=arrs[0].dtype)
                                for name, arrs in zip(self._aux_names, self._exec_group.aux_arrays)}
        if shared_module is not None and shared_module.optimizer_initialized:
            self.borrow_optimizer(shared_module)
        self.binded = True

    def reshape(self, data_shapes, label_shapes=None):
        """Rebinds for new input shapes (e.g. another batch size), keeping the parameters."""
        self._require(binded=True, what='reshape')
        data_shapes, label_shapes = _parse_data_desc(self.data_names, self.label_names, data_shapes, label_shapes)
        self._exec_group.reshape(data_shapes, label_shapes)
        self._data_shapes, self._label_shapes = data_shapes, label_shapes

    # -- optimizer -------------------------------------------------------------------------------------------
    def init_optimizer(self, kvstore='local', optimizer='sgd', optimizer_params=(('learning_rate', 0.01),),
                       force_init=False):
        """Creates the optimizer; a name gets ``rescale_grad=1/batch_size`` (the whole batch, over all devices)
        unless given. With several devices, gradients are summed through ``kvstore`` ('local', 'device', a
        KVStore, or None: see ``model._create_kvstore``); the optimizer updates the parameters itself
        (``update_on_kvstore`` is False)."""
        if self._optimizer_exists(force_init):
            return
        kvstore = _create_kvstore(kvstore, len(self._context))
        if self._params_dirty:
            self._sync_params_from_devices()
        batch_size = self._exec_group.batch_size
        rescale_grad = 1.0 / batch_size
        idx2name = dict(enumerate(self._exec_group.param_names))
        if isinstance(optimizer, str):
            optimizer_params = dict(optimizer_params)
            if 'rescale_grad' not in optimizer_params:
                optimizer_params['rescale_grad'] = rescale_grad
            optimizer = opt.create(optimizer, sym=self.symbol, param_idx2name=idx2name, **optimizer_params)
        elif isinstance(optimizer, opt.Optimizer):
            if optimizer.rescale_grad != rescale_grad:
                warnings.warn("Optimizer created manually outside Module but rescale_grad is not normalized to "
                              "1.0/batch_size (%s vs. %s). Is this intended?" % (optimizer.rescale_grad,
                                                                                 rescale_grad), stacklevel=2)
            if not optimizer.idx2name:
                optimizer.idx2name = idx2name.copy()
        else:
            raise TypeError("init_optimizer: optimizer must be a name or an Optimizer, got %r" % (optimizer,))
        self._optimizer = optimizer
        self._kvstore = kvstore
        _init_kvstore(kvstore, self._exec_group.param_names, self._exec_group.param_arrays)
        self._update_on_kvstore = False
        self._update_indices = None
        self._updater = opt.get_updater(optimizer)
        self.optimizer_initialized = True
        if self._preload_opt_states is not None:
            self.load_optimizer_states(self._preload_opt_states)
            self._preload_opt_states = None

    def borrow_optimizer(self, shared_module):
        """Uses ``shared_module``'s optimizer and updater."""
        if not shared_module.optimizer_initialized:
            raise RuntimeError("borrow_optimizer: the shared module has no optimizer")
        self._optimizer = shared_module._optimizer
        self._kvstore = shared_module._kvstore
        self._update_on_kvstore = shared_module._update_on_kvstore
        self._updater = shared_module._updater
        # the shared updater knows the parameters by the shared module's indices
        owner = shared_module._exec_group.param_names
        owner_idx = dict(zip(owner, shared_module._update_indices or range(len(owner))))
        missing = [n for n in self._exec_group.param_names if n not in owner_idx]
        if missing:
            raise ValueError("borrow_optimizer: parameters %s are not in the shared module" % missing)
        self._update_indices = [owner_idx[n] for n in self._exec_group.param_names]
        self.optimizer_initialized = True

    # -- computation -----------------------------------------------------------------------------------------
    def forward(self, data_batch, is_train=None):
        """Runs the network on ``data_batch``; rebinds when the batch's shapes differ from the bound ones."""
        self._require(binded=True, params=True, what='forward')
        if not data_batch.data or len(data_batch.data) != len(self._data_shapes):
            raise ValueError("forward: the batch has %d data arrays but the module's data names are %s"
                             % (len(data_batch.data or []), self._data_names))
        curr_data_shapes = tuple(tuple(i.shape) for i in self._data_shapes)
        new_data_shapes = tuple(tuple(i.shape) for i in data_batch.data)
        if curr_data_shapes != new_data_shapes:
            if getattr(data_batch, 'provide_data', None):
                new_dshape = data_batch.provide_data
            else:
                new_dshape = [DataDesc(i.name, shape, i.dtype, i.layout)
                              for i, shape in zip(self._data_shapes, new_data_shapes)]
            if getattr(data_batch, 'provide_label', None):
                new_lshape = data_batch.provide_label
            elif getattr(data_batch, 'label', None) and self._label_shapes:
                new_lshape = [DataDesc(i.name, j.shape, i.dtype, i.layout)
                              for i, j in zip(self._label_shapes, data_batch.label)]
            elif self._label_shapes:
                new_lshape = [DataDesc(i.name, (new_data_shapes[0][0],) + tuple(i.shape[1:]), i.dtype, i.layout)
                              for i in self._label_shapes]
            else:
                new_lshape = None
            self.reshape(new_dshape, new_lshape)
        self._exec_group.forward(data_batch, is_train)

    def backward(self, out_grads=None):
        """Computes the gradients of the last forward (in training mode)."""
        self._require(binded=True, params=True, what='backward')
        self._exec_group.backward(out_grads=out_grads)

    def update(self):
        """Applies the optimizer to every (non-fixed) parameter with its gradient (summed over the devices)."""
        self._require(binded=True, params=True, optimizer=True, what='update')
        self._params_dirty = True
        group = self._exec_group
        _update_params(group.param_names, group.param_arrays, group.grad_arrays, self._updater, self._kvstore,
                       self._update_indices)

    def get_outputs(self, merge_multi_context=True):
        """The outputs of the last forward."""
        self._require(binded=True, params=True, what='get_outputs')
        return self._exec_group.get_outputs(merge_multi_context=merge_multi_context)

    def get_input_grads(self, merge_multi_context=True):
        """Gradients of the data inputs (bind with ``inputs_need_grad=True``)."""
        self._require(binded=True, params=True, what='get_input_grads')
        return self._exec_group.get_input_grads(merge_multi_context=merge_multi_context)

    def get_states(self, merge_multi_context=True):
        """The arrays of the state inputs."""
        self._require(binded=True, params=True, what='get_states')
        return self._exec_group.get_states(merge_multi_context)

    def set_states(self, states=None, value=None):
        """Sets the state inputs from arrays (see ``ExecutorGroup.set_states``) or to a scalar ``value``."""
        self._require(binded=True, params=True, what='set_states')
        self._exec_group.set_states(states, value)

    def update_metric(self, eval_metric, labels, pre_sliced=False):
        """Updates ``eval_metric`` with the last outputs and ``labels``."""
        self._exec_group.update_metric(eval_metric, labels, pre_sliced)

    def install_monitor(self, mon):
        """Installs a monitor (an object with ``install(executor)``) on every device's executor."""
        self._require(binded=True, what='install_monitor')
        self._exec_group.install_monitor(mon)
