"""``gluon.Trainer``: applies an optimizer to a set of Parameters after ``backward``."""
from .. import kvstore as _kv
from .. import optimizer as _opt
from .parameter import Parameter

__all__ = ["Trainer"]


class Trainer:
    """Updates ``params`` (a ParameterDict, or a list/dict of Parameters) with ``optimizer`` (a name plus
    ``optimizer_params``, or an Optimizer).

    Parameters with copies on several devices (``initialize(ctx=[...])``) train data-parallel: ``step`` sums the
    copies' gradients into each copy (``allreduce_grads``, through ``kvstore``: 'device', 'local', a KVStore, or
    None, which sums directly), then updates the first copy and copies the result to the others, so that the copies
    stay equal and the optimizer keeps one state per parameter."""

    def __init__(self, params, optimizer, optimizer_params=None, kvstore='device', compression_params=None,
                 update_on_kvstore=None):
        if hasattr(params, 'values'):
            params = list(params.values())
        elif not isinstance(params, (list, tuple)):
            raise ValueError("First argument must be a list or dict of Parameters, got %s." % (type(params)))
        self._plist = []
        self._slot = {}
        for p in params:
            if not isinstance(p, Parameter):
                raise ValueError("First argument must be a list or dict of Parameters, got list of %s."
                                 % (type(p)))
            if p.name in self._slot:
                continue
            self._slot[p.name] = len(self._plist)
            self._plist.append(p)
            p._trainer = self
        if kvstore is not None and not isinstance(kvstore, (str, _kv.KVStore)):
            raise TypeError("Trainer: kvstore must be a name, a KVStore or None, got %r" % (kvstore,))
        self._kvstore = _kv.create(kvstore) if isinstance(kvstore, str) else kvstore
        names = {i: p.name for i, p in enumerate(self._plist)}
        if isinstance(optimizer, _opt.Optimizer):
            if optimizer_params:
                raise AssertionError("optimizer_params must be None if optimizer is an instance of Optimizer "
                                     "instead of str")
            self._opt = optimizer
            self._opt.idx2name = dict(names)
        else:
            self._opt = _opt.Optimizer.create_optimizer(optimizer, param_idx2name=names,
                                                        **dict(optimizer_params or {}))
        self._opt.set_lr_mult({p.name: p.lr_mult for p in self._plist})
        self._opt.set_wd_mult({p.name: p.wd_mult for p in self._plist})
        self._base_rescale = self._opt.rescale_grad
        self._apply = _opt.get_updater(self._opt)

    @property
    def _scale(self):  # MXNet's name of the gradient rescale (AMP's loss scaling sets it)
        return self._base_rescale

    @_scale.setter
    def _scale(self, value):
        self._base_rescale = value

    @property
    def optimizer(self):
        return self._opt

    @property
    def learning_rate(self):
        return self._opt.learning_rate

    def set_learning_rate(self, lr):
        """Sets the optimizer's learning rate."""
        self._opt.set_learning_rate(lr)

    def allreduce_grads(self):
        """Makes each copy's gradient the sum of all copies' gradients (parameters on several devices)."""
        for i, p in enumerate(self._plist):
            if p.grad_req == 'null' or not p._ready or len(p.list_ctx()) == 1:
                continue
            grads = p.list_grad()
            if self._kvstore is None:
                total = grads[0].copy()
                for g in grads[1:]:
                    total += g.as_in_context(total.context)
                for g in grads:
                    g[:] = total.as_in_context(g.context)
                continue
            if i not in self._kvstore._store:
                self._kvstore.init(i, p.list_data()[0])
            self._kvstore.push(i, grads)
            self._kvstore.pull(i, grads)

    def step(self, batch_size, ignore_stale_grad=False):
        """``allreduce_grads``, then one optimizer update with gradients scaled by ``1 / batch_size``."""
        self.allreduce_grads()
        self.update(batch_size, ignore_stale_grad)

    def update(self, batch_size, ignore_stale_grad=False):
        """Applies the optimizer (gradients rescaled by ``1 / batch_size``); a parameter whose gradient no
        backward has written since the last update is an error unless ``ignore_stale_grad``."""
        self._opt.rescale_grad = self._base_rescale / batch_size
        work = []
        for i, p in enumerate(self._plist):
            if p.grad_req == 'null':
                continue
            copies = p.list_data()
            arr = copies[0]
            if any(c._fresh_grad for c in copies):
                work.append((i, copies))
            elif not ignore_stale_grad:
                raise UserWarning(
                    "Gradient of Parameter `%s` on context %s has not been updated by backward since last `step`. "
                    "This could mean a bug in your model that made it only use a subset of the Parameters (Blocks) "
                    "for this iteration. If you are intentionally only using a subset, call step with "
                    "ignore_stale_grad=True to suppress this warning and skip updating of Parameters with stale "
                    "gradient" % (p.name, str(arr.context)))
        if work:  # one call: the updater aggregates the weights into multi-tensor updates (as MXNet's Trainer)
            self._apply([i for i, _ in work], [copies[0].grad for _, copies in work],
                        [copies[0] for _, copies in work])
        for i, copies in work:
            for c in copies:
                if c is not copies[0]:
                    c[:] = copies[0].as_in_context(c.context)
                c._fresh_grad = False

    def save_states(self, fname):
        """Writes the optimizer states (e.g. momentum) to ``fname``."""
        with open(fname, 'wb') as fh:
            fh.write(self._apply.get_states(dump_optimizer=False))

    def load_states(self, fname):
        """Reads states written by ``save_states``."""
        with open(fname, 'rb') as fh:
            self._apply.set_states(fh.read())
