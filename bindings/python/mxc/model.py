"""Checkpoints and the FeedForward model (MXNet 1.x ``mx.model``).

A checkpoint is ``prefix-symbol.json`` (the network) plus ``prefix-%04d.params`` (``mx.nd.save`` of a dict whose
keys are ``arg:<name>`` for parameters and ``aux:<name>`` for auxiliary states). Files are written atomically:
to a temporary file in the same folder, flushed to disk, then renamed over the destination, so an interrupted
save never leaves a truncated file in place of a good one.
"""
import logging
import os
import tempfile
import time
import warnings
from collections import namedtuple

import numpy as np

from . import io
from . import kvstore as kvs
from . import metric
from . import ndarray as nd
from . import optimizer as opt
from .optimizer import get_updater  # noqa: F401  (MXNet 1.9.1's mx.model.get_updater)
from .context import Context, cpu
from .initializer import Uniform, InitDesc

__all__ = ["BatchEndParam", "save_checkpoint", "load_checkpoint", "load_params", "FeedForward"]

BatchEndParam = namedtuple('BatchEndParams', ['epoch', 'nbatch', 'eval_metric', 'locals'])


# -- atomic files ----------------------------------------------------------------------------------------------
def _atomic_write(path, write_to):
    """Calls ``write_to(tmp_path)`` for a temporary file next to ``path``, syncs it, then renames it to
    ``path``. On any error the temporary file is removed and ``path`` is left untouched."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError("cannot write '%s': folder '%s' does not exist" % (path, folder))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix='.' + os.path.basename(path) + '.', suffix='.tmp')
    os.close(fd)
    try:
        write_to(tmp)
        with open(tmp, 'rb+') as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:  # make the rename itself durable (best effort: not every platform can open a folder)
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


def _write_text(tmp, text):
    with open(tmp, 'w') as f:
        f.write(text)


def _save_symbol(symbol, fname, remove_amp_cast=True):
    _atomic_write(fname, lambda tmp: _write_text(
        tmp, symbol.tojson() if remove_amp_cast else symbol.tojson(remove_amp_cast=False)))


def _save_param_dict(fname, save_dict):
    _atomic_write(fname, lambda tmp: nd.save(tmp, save_dict))


def _params_to_save_dict(arg_params, aux_params):
    save_dict = {('arg:%s' % k): v.as_in_context(cpu()) for k, v in (arg_params or {}).items()}
    save_dict.update({('aux:%s' % k): v.as_in_context(cpu()) for k, v in (aux_params or {}).items()})
    return save_dict


def save_checkpoint(prefix, epoch, symbol, arg_params, aux_params, remove_amp_cast=True):
    """Writes ``prefix-symbol.json`` (when ``symbol`` is given; without its AMP casts unless
    ``remove_amp_cast`` is False) and ``prefix-%04d.params`` % epoch."""
    if symbol is not None:
        _save_symbol(symbol, '%s-symbol.json' % prefix, remove_amp_cast)
    param_name = '%s-%04d.params' % (prefix, epoch)
    _save_param_dict(param_name, _params_to_save_dict(arg_params, aux_params))
    logging.info('Saved checkpoint to "%s"', param_name)


def _split_param_dict(save_dict, fname):
    arg_params, aux_params = {}, {}
    for k, v in save_dict.items():
        tp, sep, name = k.partition(':')
        if not sep or tp not in ('arg', 'aux'):
            raise ValueError("'%s' is not a parameter file: key '%s' should start with 'arg:' or 'aux:'" % (fname, k))
        (arg_params if tp == 'arg' else aux_params)[name] = v
    return arg_params, aux_params


def _require_file(fname, what, prefix):
    if not os.path.isfile(fname):
        folder = os.path.dirname(os.path.abspath(fname))
        hint = ''
        if os.path.isdir(folder):
            base = os.path.basename(prefix)
            found = sorted(f for f in os.listdir(folder) if f.startswith(base + '-') and f.endswith('.params'))
            if found:
                hint = '; checkpoints with this prefix: %s' % ', '.join(found[:10])
        raise FileNotFoundError("checkpoint %s '%s' does not exist (prefix '%s')%s" % (what, fname, prefix, hint))


def load_params(prefix, epoch):
    """Reads ``prefix-%04d.params`` % epoch into ``(arg_params, aux_params)``."""
    fname = '%s-%04d.params' % (prefix, epoch)
    _require_file(fname, 'parameter file', prefix)
    save_dict = nd.load(fname)
    if not save_dict:
        logging.warning("Params file '%s' is empty", fname)
        return ({}, {})
    if not isinstance(save_dict, dict):
        raise ValueError("'%s' holds a list of arrays, not a dict of 'arg:'/'aux:' parameters" % fname)
    return _split_param_dict(save_dict, fname)


def load_checkpoint(prefix, epoch):
    """Reads a checkpoint: returns ``(symbol, arg_params, aux_params)``. Raises FileNotFoundError naming the
    missing file when ``prefix-symbol.json`` or the epoch's params file does not exist."""
    sym_name = '%s-symbol.json' % prefix
    _require_file(sym_name, 'symbol file', prefix)
    _require_file('%s-%04d.params' % (prefix, epoch), 'parameter file', prefix)
    from . import symbol as sym  # the symbolic API imports after the training modules
    symbol = sym.load(sym_name)
    arg_params, aux_params = load_params(prefix, epoch)
    return (symbol, arg_params, aux_params)


# -- shared helpers for FeedForward and Module -------------------------------------------------------------------
def _as_list(obj):
    if obj is None:
        return []
    return list(obj) if isinstance(obj, (list, tuple)) else [obj]


def _multiple_callbacks(callbacks, *args, **kwargs):
    for cb in _as_list(callbacks):
        cb(*args, **kwargs)


def _check_unique_names(symbol):
    """Raises ValueError when two arguments or two auxiliary states of ``symbol`` share a name."""
    for kind, names in (('argument', symbol.list_arguments()), ('auxiliary state', symbol.list_auxiliary_states())):
        seen = set()
        for name in names:
            if name in seen:
                raise ValueError("Find duplicated %s name \"%s\"; please make the names unique (%s)"
                                 % (kind, name, names))
            seen.add(name)


def _check_input_names(symbol, names, typename, throw=True):
    """Checks that input ``names`` (data, label, ...) are arguments of ``symbol``."""
    args = symbol.list_arguments()
    for name in names:
        if name in args:
            continue
        candidates = [a for a in args if not a.endswith(('_weight', '_bias', '_gamma', '_beta'))]
        msg = ("%s name '%s' is not an argument of the symbol (its inputs are %s; all arguments: %s)"
               % (typename, name, candidates, args))
        if throw:
            raise ValueError(msg)
        warnings.warn(msg, stacklevel=3)


def _resolve_contexts(ctx):
    if ctx is None:
        return [cpu()]
    if isinstance(ctx, Context):
        return [ctx]
    ctx = list(ctx)
    if not ctx or not all(isinstance(c, Context) for c in ctx):
        raise TypeError("ctx must be a Context or a list of Contexts, got %r" % (ctx,))
    return ctx


def _check_contexts(ctx, work_load_list, who):
    """Each device once, and one positive work load per device."""
    if len(set(ctx)) != len(ctx):
        raise ValueError("%s: the contexts %s list a device twice; give each device once" % (who, ctx))
    if work_load_list is not None:
        if len(work_load_list) != len(ctx):
            raise ValueError("%s: work_load_list %s has %d entries but there are %d contexts %s"
                             % (who, list(work_load_list), len(work_load_list), len(ctx), ctx))
        if any(not w > 0 for w in work_load_list):
            raise ValueError("%s: work_load_list %s must hold positive numbers" % (who, list(work_load_list)))


def _check_kvstore(kvstore):
    if kvstore is None or isinstance(kvstore, kvs.KVStore):
        return
    if not isinstance(kvstore, str):
        raise TypeError("kvstore must be 'local', 'device', None or a KVStore, got %r" % (kvstore,))
    try:
        kvs.create(kvstore)
    except (NotImplementedError, ValueError) as err:
        raise ValueError(str(err)) from err


def _create_kvstore(kvstore, num_device):
    """The store that sums gradients over ``num_device`` devices: none for one device. With several, a name is
    created, a KVStore used as given, and None (where MXNet would leave each device to its own gradient) sums
    through a private 'device' store, so the copies of the weights never drift apart."""
    _check_kvstore(kvstore)
    if num_device == 1:
        return None
    if isinstance(kvstore, kvs.KVStore):
        return kvstore
    return kvs.create(kvstore or 'device')


def _init_kvstore(kvstore, param_names, param_arrays):
    if kvstore is None:
        return
    for name, arrs in zip(param_names, param_arrays):
        if name not in kvstore._store:  # pylint: disable=protected-access  (a store reused by a second module)
            kvstore.init(name, arrs[0])


def _update_params(param_names, param_arrays, grad_arrays, updater, kvstore, indices=None):
    """One optimizer step: each parameter's gradients (one per device) are summed through ``kvstore`` into every
    device's gradient array, the first device's weight is updated and copied to the other devices.

    Updating once keeps one optimizer state per parameter (keyed by its index, as on one device), so optimizer
    states saved from N devices load on any number of devices; MXNet keeps a state per device instead. ``indices``
    gives each parameter's optimizer index (default: its position), so modules sharing an updater (the buckets of a
    BucketingModule) address each parameter's state by its name."""
    indices = range(len(param_names)) if indices is None else indices
    work = []
    for index, name, weights, grads in zip(indices, param_names, param_arrays, grad_arrays):
        if grads[0] is None:
            continue
        if kvstore is not None:
            kvstore.push(name, grads)
            kvstore.pull(name, out=grads)
        work.append((index, grads[0], weights))
    if not work:
        return
    # one call with every parameter, as MXNet's: the updater aggregates them into multi-tensor updates
    updater([w[0] for w in work], [w[1] for w in work], [w[2][0] for w in work])
    for _, _, weights in work:
        for weight in weights[1:]:
            weights[0].copyto(weight)


def _bind_executor(symbol, ctx, input_shapes, input_types, param_names, for_training, shared_arrays=None,
                   inputs_need_grad=False, fixed_param_names=(), grad_req='write', shared_grads=None, shared_exec=None):
    """Binds ``symbol`` on ``ctx`` for the given input shapes.

    Parameter and auxiliary arrays found in ``shared_arrays`` (name -> NDArray, same shape) are reused, so several
    executors (e.g. for training and evaluation batch sizes) update the same weights; so are the parameters'
    gradient arrays found in ``shared_grads``, and ``shared_exec`` lends its memory pool. Parameters get gradient
    arrays when ``for_training`` (except ``fixed_param_names``); inputs get them with ``inputs_need_grad``.
    """
    shared_grads = shared_grads or {}
    shared_arrays = shared_arrays or {}
    arg_names = symbol.list_arguments()
    aux_names = symbol.list_auxiliary_states()
    try:
        arg_shapes, _, aux_shapes = symbol.infer_shape(**input_shapes)
    except Exception as err:
        raise ValueError("cannot infer the network's shapes from inputs %s: %s" % (input_shapes, err)) from err
    if arg_shapes is None or any(s is None for s in arg_shapes):
        raise ValueError("the input shapes %s do not determine every argument's shape" % (input_shapes,))
    arg_types, aux_types = None, None
    if hasattr(symbol, 'infer_type'):
        try:
            arg_types, _, aux_types = symbol.infer_type(**input_types)
        except Exception:  # pylint: disable=broad-except
            arg_types, aux_types = None, None
    if arg_types is None or any(t is None for t in arg_types):
        arg_types = [input_types.get(n, np.float32) for n in arg_names]
    if aux_types is None or any(t is None for t in aux_types):
        aux_types = [np.float32] * len(aux_names)
    if isinstance(grad_req, str):
        req_of = lambda name: grad_req  # noqa: E731
    elif isinstance(grad_req, dict):
        req_of = lambda name: grad_req.get(name, 'write')  # noqa: E731
    else:
        req_map = dict(zip(arg_names, grad_req))
        req_of = lambda name: req_map.get(name, 'write')  # noqa: E731
    args, grads, reqs = {}, {}, {}
    for name, shape, dtype in zip(arg_names, arg_shapes, arg_types):
        shape = tuple(shape)
        shared = shared_arrays.get(name) if name not in input_shapes else None
        if shared is not None:
            if tuple(shared.shape) != shape:
                raise ValueError("inputs %s need parameter '%s' of shape %s, but it has shape %s"
                                 % (dict(input_shapes), name, shape, tuple(shared.shape)))
            args[name] = shared
        else:
            args[name] = nd.zeros(shape, ctx=ctx, dtype=dtype)
        if name in input_shapes:
            req = req_of(name) if (for_training and inputs_need_grad) else 'null'
        elif for_training and name in param_names and name not in fixed_param_names:
            req = req_of(name)
        else:
            req = 'null'
        reqs[name] = req
        if req != 'null':
            shared = shared_grads.get(name) if name not in input_shapes else None
            ok = shared is not None and tuple(shared.shape) == shape and shared.dtype == np.dtype(dtype)
            grads[name] = shared if ok else nd.zeros(shape, ctx=ctx, dtype=dtype)
    aux = {}
    for name, shape, dtype in zip(aux_names, aux_shapes, aux_types):
        shared = shared_arrays.get(name)
        if shared is not None:
            if tuple(shared.shape) != tuple(shape):
                raise ValueError("inputs %s need auxiliary state '%s' of shape %s, but it has shape %s"
                                 % (dict(input_shapes), name, tuple(shape), tuple(shared.shape)))
            aux[name] = shared
        else:
            aux[name] = nd.zeros(tuple(shape), ctx=ctx, dtype=dtype)
    return symbol.bind(ctx, args=args, args_grad=grads if grads else None, grad_req=reqs, aux_states=aux,
                       shared_exec=shared_exec)


def _load_inputs(arrays, sources, names, what):
    """Copies a batch's arrays into the executor's input arrays."""
    if len(sources) != len(arrays):
        raise ValueError("the batch has %d %s arrays but the network expects %d (%s)"
                         % (len(sources), what, len(arrays), names))
    for dst, src, name in zip(arrays, sources, names):
        if tuple(src.shape) != tuple(dst.shape):
            raise ValueError("%s '%s' of the batch has shape %s but the network was bound for %s"
                             % (what, name, tuple(src.shape), tuple(dst.shape)))
        if isinstance(src, nd.NDArray):
            src.copyto(dst)
        else:
            dst[:] = src


def _iter_len(data_iter):
    try:
        return len(data_iter)
    except TypeError:
        return None


class FeedForward(object):
    """A feed-forward model (MXNet's ``mx.model.FeedForward``): ``fit`` trains data-parallel over the devices
    of ``ctx``; ``predict`` and ``score`` run on the first one, as in MXNet.

    Parameters
    ----------
    symbol : Symbol
        The network, with inputs ``data`` and (for training) a label such as ``softmax_label``.
    ctx : Context or list of Contexts
    num_epoch : int
        Epochs ``fit`` trains for (it continues from ``begin_epoch``).
    epoch_size : int or None
        Batches per epoch (default: one pass over the data).
    optimizer : str or Optimizer
        A name ('sgd', 'adam', ...) is created with ``**kwargs`` and ``rescale_grad=1/batch_size``.
    initializer : Initializer
        Fills parameters not given in ``arg_params``/``aux_params``.
    numpy_batch_size : int
        Batch size used when ``X`` is a NumPy array or NDArray.
    arg_params, aux_params : dict of name -> NDArray
        Initial parameters (e.g. from a checkpoint).
    allow_extra_params : bool
        Drop entries of ``arg_params``/``aux_params`` that the symbol does not use instead of failing.
    begin_epoch : int
    **kwargs
        Optimizer parameters (``learning_rate``, ``momentum``, ``wd``, ...).
    """

    def __init__(self, symbol, ctx=None, num_epoch=None, epoch_size=None, optimizer='sgd',
                 initializer=Uniform(0.01), numpy_batch_size=128, arg_params=None, aux_params=None,
                 allow_extra_params=False, begin_epoch=0, **kwargs):
        from . import symbol as sym
        if not isinstance(symbol, sym.Symbol):
            raise TypeError("FeedForward: symbol must be a Symbol, got %s" % type(symbol).__name__)
        self.symbol = symbol
        self.sym_gen = None
        self.arg_params = arg_params
        self.aux_params = aux_params
        self.allow_extra_params = allow_extra_params
        self.argument_checked = False
        self._check_arguments()
        self.ctx = _resolve_contexts(ctx)
        self.num_epoch = num_epoch
        self.epoch_size = epoch_size
        self.kwargs = kwargs.copy()
        self.optimizer = optimizer
        self.initializer = initializer
        self.numpy_batch_size = numpy_batch_size
        self._pred_exec = None
        self._pred_shapes = None
        self.begin_epoch = begin_epoch

    def _check_arguments(self):
        """Checks the symbol's names and the given parameters."""
        if self.argument_checked:
            return
        self.argument_checked = True
        _check_unique_names(self.symbol)
        arg_names = set(self.symbol.list_arguments())
        aux_names = set(self.symbol.list_auxiliary_states())
        if self.allow_extra_params:
            if self.arg_params:
                self.arg_params = {k: v for k, v in self.arg_params.items() if k in arg_names}
            if self.aux_params:
                self.aux_params = {k: v for k, v in self.aux_params.items() if k in aux_names}
        else:
            extra = sorted(set(self.arg_params or {}) - arg_names) + sorted(set(self.aux_params or {}) - aux_names)
            if extra:
                raise ValueError("FeedForward: parameters %s are not used by the symbol (pass "
                                 "allow_extra_params=True to drop them)" % extra)

    @staticmethod
    def _is_data_arg(name):
        return name.endswith('data') or name.endswith('label')

    def _init_params(self, inputs, overwrite=False):
        """Creates the parameter dicts for ``inputs`` (DataDescs), copying given values and initializing the
        rest. Returns ``(arg_names, param_names, aux_names)``."""
        inputs = [x if isinstance(x, io.DataDesc) else io.DataDesc(*x) for x in inputs]
        arg_names = self.symbol.list_arguments()
        _check_input_names(self.symbol, [inputs[0].name] if inputs else [], 'data')
        input_shapes = {}
        for item in inputs:
            if item.name in arg_names:
                input_shapes[item.name] = item.shape
            else:
                _check_input_names(self.symbol, [item.name], 'input', throw=not item.name.endswith('label'))
        arg_shapes, _, aux_shapes = self.symbol.infer_shape(**input_shapes)
        if arg_shapes is None:
            raise ValueError("FeedForward: input shapes %s do not determine the network's shapes" % input_shapes)
        param_names = [k for k in arg_names if k not in input_shapes]
        aux_names = self.symbol.list_auxiliary_states()
        arg_params = {k: nd.zeros(tuple(s)) for k, s in zip(arg_names, arg_shapes) if k in param_names}
        aux_params = {k: nd.zeros(tuple(s)) for k, s in zip(aux_names, aux_shapes)}
        attrs = self.symbol.attr_dict() if hasattr(self.symbol, 'attr_dict') else {}
        for given, created in ((self.arg_params, arg_params), (self.aux_params, aux_params)):
            for k in sorted(created):
                v = created[k]
                if given and k in given and not overwrite:
                    src = given[k]
                    if tuple(src.shape) != tuple(v.shape):
                        raise ValueError("FeedForward: parameter '%s' has shape %s but the network needs %s"
                                         % (k, tuple(src.shape), tuple(v.shape)))
                    v[:] = src
                else:
                    self.initializer(InitDesc(k, attrs.get(k)), v)
        self.arg_params = arg_params
        self.aux_params = aux_params
        return (arg_names, list(param_names), aux_names)

    def __getstate__(self):
        this = self.__dict__.copy()
        this['_pred_exec'] = None
        this['_pred_shapes'] = None
        return this

    def __setstate__(self, state):
        self.__dict__.update(state)

    def _init_predictor(self, input_shapes, type_dict=None):
        """Binds (or reuses) the prediction executor for ``input_shapes``."""
        shapes = dict(input_shapes)
        if self._pred_exec is not None and self._pred_shapes == shapes:
            return
        input_types = {k: (type_dict or {}).get(k, np.float32) for k in shapes}
        pred_exec = _bind_executor(self.symbol, self.ctx[0], shapes, input_types, list(self.arg_params),
                                   for_training=False)
        for name, arr in self.arg_params.items():
            if name in pred_exec.arg_dict:
                arr.copyto(pred_exec.arg_dict[name])
        for name, arr in self.aux_params.items():
            if name in pred_exec.aux_dict:
                arr.copyto(pred_exec.aux_dict[name])
        self._pred_exec = pred_exec
        self._pred_shapes = shapes

    def _init_iter(self, X, y, is_train):
        """Wraps NumPy arrays / NDArrays into an NDArrayIter (shuffled, roll_over when training)."""
        if isinstance(X, (np.ndarray, nd.NDArray)):
            if y is None:
                if is_train:
                    raise ValueError('y must be specified when X is numpy.ndarray')
                y = np.zeros(X.shape[0])
            if isinstance(y, list):
                y = np.array(y)
            if not isinstance(y, (np.ndarray, nd.NDArray)):
                raise TypeError('y must be ndarray when X is numpy.ndarray')
            if X.shape[0] != y.shape[0]:
                raise ValueError("The numbers of data points and labels not equal: X has %d samples but y has %d "
                                 "labels" % (X.shape[0], y.shape[0]))
            if len(y.shape) == 2 and y.shape[1] == 1:
                y = y.reshape((y.shape[0],))
            if len(y.shape) != 1:
                raise ValueError("Label must be 1D or 2D (with 2nd dimension being 1), got shape %s" % (y.shape,))
            if X.shape[0] == 0:
                raise ValueError("X holds no samples")
            batch_size = min(X.shape[0], self.numpy_batch_size)
            if is_train:
                return io.NDArrayIter(X, y, batch_size, shuffle=True, last_batch_handle='roll_over')
            return io.NDArrayIter(X, y, batch_size, shuffle=False)
        if not isinstance(X, io.DataIter):
            raise TypeError('X must be DataIter, NDArray or numpy.ndarray, got %s' % type(X).__name__)
        return X

    def _init_eval_iter(self, eval_data):
        """Accepts a DataIter or an ``(X, y)`` pair for evaluation."""
        if eval_data is None:
            return None
        if isinstance(eval_data, (tuple, list)) and len(eval_data) == 2:
            if eval_data[0] is None:
                raise ValueError("Eval data is NONE")
            if eval_data[1] is None and isinstance(eval_data[0], io.DataIter):
                return eval_data[0]
            input_data = np.array(eval_data[0]) if isinstance(eval_data[0], list) else eval_data[0]
            input_label = np.array(eval_data[1]) if isinstance(eval_data[1], list) else eval_data[1]
            return self._init_iter(input_data, input_label, is_train=True)
        if not isinstance(eval_data, io.DataIter):
            raise TypeError('Eval data must be DataIter, or NDArray/numpy.ndarray/list pair (i.e. tuple/list of '
                            'length 2)')
        return eval_data

    def _prepare_prediction(self, X, reset):
        X = self._init_iter(X, None, is_train=False)
        if self.arg_params is None:
            raise RuntimeError("FeedForward: the model has no parameters yet; call fit() or load a checkpoint")
        if reset:
            X.reset()
        data_shapes = X.provide_data
        data_names = [x[0] for x in data_shapes]
        _check_input_names(self.symbol, data_names, 'data')
        type_dict = {}
        for x in data_shapes:
            type_dict[x[0]] = x.dtype if isinstance(x, io.DataDesc) else np.float32
        self._init_predictor([(x[0], tuple(x[1])) for x in data_shapes], type_dict)
        return X, data_names

    def predict(self, X, num_batch=None, return_data=False, reset=True):
        """Runs the network on ``X`` (DataIter, NumPy array or NDArray) and returns the outputs as NumPy arrays
        (a list when the network has several outputs); padded samples are left out."""
        X, data_names = self._prepare_prediction(X, reset)
        pexec = self._pred_exec
        data_arrays = [pexec.arg_dict[name] for name in data_names]
        batch_size = X.batch_size
        output_list = [[] for _ in range(len(pexec.outputs))]
        data_list = [[] for _ in X.provide_data] if return_data else None
        label_list = [[] for _ in X.provide_label] if return_data else None
        for i, batch in enumerate(X):
            if num_batch is not None and i == num_batch:
                break
            _load_inputs(data_arrays, batch.data, data_names, 'data')
            pexec.forward(is_train=False)
            real_size = batch_size - (batch.pad or 0)
            for o_list, o_nd in zip(output_list, pexec.outputs):
                o_list.append(o_nd.asnumpy()[0:real_size])
            if return_data:
                for j, x in enumerate(batch.data):
                    data_list[j].append(x.asnumpy()[0:real_size])
                for j, x in enumerate(batch.label):
                    label_list[j].append(x.asnumpy()[0:real_size])
        outputs = [np.concatenate(x) for x in output_list]
        if len(outputs) == 1:
            outputs = outputs[0]
        if not return_data:
            return outputs
        data = [np.concatenate(x) for x in data_list]
        label = [np.concatenate(x) for x in label_list]
        return outputs, (data[0] if len(data) == 1 else data), (label[0] if len(label) == 1 else label)

    def score(self, X, eval_metric='acc', num_batch=None, batch_end_callback=None, reset=True):
        """Evaluates ``eval_metric`` on ``X`` (counting padded samples, as MXNet does) and returns its value."""
        if not isinstance(eval_metric, metric.EvalMetric):
            eval_metric = metric.create(eval_metric)
        X, data_names = self._prepare_prediction(X, reset)
        pexec = self._pred_exec
        data_arrays = [pexec.arg_dict[name] for name in data_names]
        for i, batch in enumerate(X):
            if num_batch is not None and i == num_batch:
                break
            _load_inputs(data_arrays, batch.data, data_names, 'data')
            pexec.forward(is_train=False)
            eval_metric.update(batch.label, pexec.outputs)
            if batch_end_callback is not None:
                _multiple_callbacks(batch_end_callback,
                                    BatchEndParam(epoch=0, nbatch=i, eval_metric=eval_metric, locals=locals()))
        return eval_metric.get()[1]

    def fit(self, X, y=None, eval_data=None, eval_metric='acc', epoch_end_callback=None, batch_end_callback=None,
            kvstore='local', logger=None, work_load_list=None, monitor=None, eval_end_callback=None,
            eval_batch_end_callback=None):
        """Trains the model on ``X`` (DataIter, NumPy array or NDArray; then ``y`` holds the labels).

        ``eval_data`` (a DataIter or an ``(X, y)`` pair) is evaluated after every epoch and logged as
        ``Epoch[n] Validation-<metric>=...`` (``eval_end_callback`` replaces that log). With several contexts
        each batch is split over them by ``work_load_list`` (equal shares by default) and the gradients are
        summed through ``kvstore`` ('local', 'device', a KVStore, or None).
        """
        from .callback import LogValidationMetricsCallback
        if eval_end_callback is None:
            eval_end_callback = LogValidationMetricsCallback()
        if self.num_epoch is None:
            raise ValueError("FeedForward.fit: num_epoch is not set")
        _check_contexts(self.ctx, work_load_list, 'FeedForward')
        _check_kvstore(kvstore)
        # Everything that can be wrong with the input is checked here, before any training starts.
        data = self._init_iter(X, y, is_train=True)
        eval_data = self._init_eval_iter(eval_data)
        if not isinstance(eval_metric, metric.EvalMetric):
            eval_metric = metric.create(eval_metric)
        self.kwargs["sym"] = self.symbol
        _, param_names, aux_names = self._init_params(data.provide_data + data.provide_label)
        if eval_data is not None:
            _check_input_names(self.symbol, [d[0] for d in eval_data.provide_data], 'eval data')
        param_idx2name = dict(enumerate(param_names))
        self.kwargs["param_idx2name"] = param_idx2name
        if isinstance(self.optimizer, str):
            optimizer = opt.create(self.optimizer, rescale_grad=(1.0 / data.batch_size), **self.kwargs)
        elif isinstance(self.optimizer, opt.Optimizer):
            optimizer = self.optimizer
            if not optimizer.idx2name:
                optimizer.idx2name = param_idx2name.copy()
        else:
            raise TypeError("FeedForward: optimizer must be a name or an Optimizer, got %r" % (self.optimizer,))
        _train_multi_device(self.symbol, self.ctx, param_names, aux_names, self.arg_params, self.aux_params,
                            begin_epoch=self.begin_epoch, end_epoch=self.num_epoch, epoch_size=self.epoch_size,
                            optimizer=optimizer, train_data=data, eval_data=eval_data, eval_metric=eval_metric,
                            epoch_end_callback=epoch_end_callback, batch_end_callback=batch_end_callback,
                            logger=logger, kvstore=kvstore, work_load_list=work_load_list, monitor=monitor,
                            eval_end_callback=eval_end_callback, eval_batch_end_callback=eval_batch_end_callback)
        self._pred_exec = None  # parameters changed

    def save(self, prefix, epoch=None, remove_amp_cast=True):
        """Writes a checkpoint ``prefix-symbol.json`` + ``prefix-%04d.params`` (epoch defaults to num_epoch)."""
        if epoch is None:
            epoch = self.num_epoch
        if epoch is None:
            raise ValueError("FeedForward.save: give an epoch (num_epoch is not set)")
        if self.arg_params is None:
            raise RuntimeError("FeedForward.save: the model has no parameters yet; call fit() first")
        save_checkpoint(prefix, epoch, self.symbol, self.arg_params, self.aux_params, remove_amp_cast)

    @staticmethod
    def load(prefix, epoch, ctx=None, **kwargs):
        """Creates a FeedForward from a checkpoint; training resumes at ``begin_epoch=epoch``."""
        symbol, arg_params, aux_params = load_checkpoint(prefix, epoch)
        return FeedForward(symbol, ctx=ctx, arg_params=arg_params, aux_params=aux_params, begin_epoch=epoch,
                           **kwargs)

    @staticmethod
    def create(symbol, X, y=None, ctx=None, num_epoch=None, epoch_size=None, optimizer='sgd',
               initializer=Uniform(0.01), eval_data=None, eval_metric='acc', epoch_end_callback=None,
               batch_end_callback=None, kvstore='local', logger=None, work_load_list=None,
               eval_end_callback=None, eval_batch_end_callback=None, **kwargs):
        """Creates a FeedForward and fits it in one call."""
        model = FeedForward(symbol, ctx=ctx, num_epoch=num_epoch, epoch_size=epoch_size, optimizer=optimizer,
                            initializer=initializer, **kwargs)
        model.fit(X, y, eval_data=eval_data, eval_metric=eval_metric, epoch_end_callback=epoch_end_callback,
                  batch_end_callback=batch_end_callback, kvstore=kvstore, logger=logger,
                  work_load_list=work_load_list, eval_end_callback=eval_end_callback,
                  eval_batch_end_callback=eval_batch_end_callback)
        return model


def _train_multi_device(symbol, ctx, param_names, aux_names, arg_params, aux_params, begin_epoch, end_epoch,
                        epoch_size, optimizer, train_data, eval_data=None, eval_metric=None, epoch_end_callback=None,
                        batch_end_callback=None, logger=None, kvstore='local', work_load_list=None, monitor=None,
                        eval_end_callback=None, eval_batch_end_callback=None):
    """The FeedForward training loop over the devices ``ctx`` (each batch split over them, gradients summed
    through ``kvstore``). Updates ``arg_params``/``aux_params`` in place."""
    from .callback import TerminalProgress
    from .module.executor_group import ExecutorGroup
    if logger is None:
        logger = logging
    logger.info('Start training with %s', ctx)
    group = ExecutorGroup(symbol, ctx, _descs(train_data.provide_data), _descs(train_data.provide_label),
                          param_names, True, False, work_load_list=work_load_list)
    if monitor is not None:
        group.install_monitor(monitor)
    group.set_params(arg_params, aux_params, allow_extra=True)
    kv = _create_kvstore(kvstore, len(ctx))
    _init_kvstore(kv, param_names, group.param_arrays)
    updater = opt.get_updater(optimizer)
    eval_groups = {}
    progress = TerminalProgress(total=epoch_size or _iter_len(train_data), batch_size=train_data.batch_size)
    train_data.reset()
    for epoch in range(begin_epoch, end_epoch):
        tic = time.time()
        eval_metric.reset()
        progress.start()
        nbatch = 0
        while True:
            do_reset = True
            for data_batch in train_data:
                if monitor is not None:
                    monitor.tic()
                group.forward(data_batch, is_train=True)
                group.backward()
                _update_params(param_names, group.param_arrays, group.grad_arrays, updater, kv)
                if monitor is not None:
                    monitor.toc_print()
                group.update_metric(eval_metric, data_batch.label)
                nbatch += 1
                progress.update(nbatch)
                if batch_end_callback is not None:
                    _multiple_callbacks(batch_end_callback, BatchEndParam(epoch=epoch, nbatch=nbatch,
                                                                          eval_metric=eval_metric,
                                                                          locals=locals()))
                if epoch_size is not None and nbatch >= epoch_size:
                    do_reset = False
                    break
            if do_reset:
                logger.info('Epoch[%d] Resetting Data Iterator', epoch)
                train_data.reset()
            if epoch_size is None or nbatch >= epoch_size:
                break
        progress.finish()
        for name, value in eval_metric.get_name_value():
            logger.info('Epoch[%d] Train-%s=%f', epoch, name, value)
        toc = time.time()
        logger.info('Epoch[%d] Time cost=%.3f', epoch, (toc - tic))
        group.get_params(arg_params, aux_params)
        _multiple_callbacks(epoch_end_callback, epoch, symbol, arg_params, aux_params)
        if eval_data is not None:
            eval_metric.reset()
            eval_data.reset()
            key = tuple((d[0], tuple(d[1])) for d in list(eval_data.provide_data) + list(eval_data.provide_label))
            if key not in eval_groups:
                eval_groups[key] = ExecutorGroup(symbol, ctx, _descs(eval_data.provide_data),
                                                 _descs(eval_data.provide_label), param_names, False, False,
                                                 shared_group=group, work_load_list=work_load_list)
            egroup = eval_groups[key]
            total_num_batch = 0
            for i, eval_batch in enumerate(eval_data):
                egroup.forward(eval_batch, is_train=False)
                egroup.update_metric(eval_metric, eval_batch.label)
                if eval_batch_end_callback is not None:
                    _multiple_callbacks(eval_batch_end_callback, BatchEndParam(epoch=epoch, nbatch=i,
                                                                               eval_metric=eval_metric,
                                                                               locals=locals()))
                total_num_batch += 1
            if eval_end_callback is not None:
                _multiple_callbacks(eval_end_callback, BatchEndParam(epoch=epoch, nbatch=total_num_batch,
                                                                     eval_metric=eval_metric, locals=locals()))
            eval_data.reset()


def _descs(shapes):
    return [x if isinstance(x, io.DataDesc) else io.DataDesc(*x) for x in (shapes or [])]
