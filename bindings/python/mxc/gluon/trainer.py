"""``gluon.Trainer``: applies an optimizer to a set of Parameters after ``backward``."""
from .. import optimizer as _opt
from .parameter import Parameter

__all__ = ["Trainer"]


class Trainer:
    """Updates ``params`` (a ParameterDict, or a list/dict of Parameters) with ``optimizer`` (a name plus
    ``optimizer_params``, or an Optimizer). There is no kvstore: gradients live on one device, so
    ``allreduce_grads`` has nothing to do."""

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
    def optimizer(self):
        return self._opt

    @property
    def learning_rate(self):
        return self._opt.learning_rate

    def set_learning_rate(self, lr):
        """Sets the optimizer's learning rate."""
        self._opt.set_learning_rate(lr)

    def allreduce_grads(self):
        """Nothing to reduce: each Parameter lives on one device."""

    def step(self, batch_size, ignore_stale_grad=False):
        """One optimizer update with gradients scaled by ``1 / batch_size``."""
        self.update(batch_size, ignore_stale_grad)

    def update(self, batch_size, ignore_stale_grad=False):
        """Applies the optimizer (gradients rescaled by ``1 / batch_size``); a parameter whose gradient no
        backward has written since the last update is an error unless ``ignore_stale_grad``."""
        self._opt.rescale_grad = self._base_rescale / batch_size
        work = []
        for i, p in enumerate(self._plist):
            if p.grad_req == 'null':
                continue
            arr = p.data()
            if arr._fresh_grad:
                work.append((i, arr))
            elif not ignore_stale_grad:
                raise UserWarning(
                    "Gradient of Parameter `%s` on context %s has not been updated by backward since last `step`. "
                    "This could mean a bug in your model that made it only use a subset of the Parameters (Blocks) "
                    "for this iteration. If you are intentionally only using a subset, call step with "
                    "ignore_stale_grad=True to suppress this warning and skip updating of Parameters with stale "
                    "gradient" % (p.name, str(arr.context)))
        for i, arr in work:
            self._apply(i, arr.grad, arr)
            arr._fresh_grad = False

    def save_states(self, fname):
        """Writes the optimizer states (e.g. momentum) to ``fname``."""
        with open(fname, 'wb') as fh:
            fh.write(self._apply.get_states(dump_optimizer=False))

    def load_states(self, fname):
        """Reads states written by ``save_states``."""
        with open(fname, 'rb') as fh:
            self._apply.set_states(fh.read())
