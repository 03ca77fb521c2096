"""Contributed optimizers (MXNet 1.x ``mx.optimizer.contrib``): GroupAdaGrad."""
from . import ndarray as nd
from .optimizer import Optimizer, register

__all__ = ["GroupAdaGrad"]


@register
class GroupAdaGrad(Optimizer):
    """AdaGrad with one learning rate per row of the parameter array::

        grad = clip(grad * rescale_grad, clip_gradient)
        history += mean(square(grad), axis=1, keepdims=True)
        div = grad / sqrt(history + float_stable_eps)
        weight -= div * lr

    Runs as the fused operator ``_contrib_group_adagrad_update``. Weight decay is not supported.

    Parameters
    ----------
    eps: float, optional
        Initial value of the history accumulator. Avoids division by 0.
    """

    def __init__(self, eps=1e-5, **kwargs):
        super(GroupAdaGrad, self).__init__(**kwargs)
        self.float_stable_eps = eps

    def create_state(self, index, weight):
        if len(weight.shape) != 2:
            raise ValueError("GroupAdaGrad: the weight must be 2-D, got shape %s" % (weight.shape,))
        return nd.zeros((weight.shape[0], 1), ctx=weight.context, dtype=weight.dtype)  # history

    def update(self, index, weight, grad, state):
        if not isinstance(weight, nd.NDArray) or not isinstance(grad, nd.NDArray):
            raise TypeError("GroupAdaGrad.update: weight and grad must be NDArrays, got %s and %s"
                            % (type(weight).__name__, type(grad).__name__))
        self._update_count(index)
        lr = self._get_lr(index)
        wd = self._get_wd(index)
        if wd != 0:
            raise ValueError("GroupAdaGrad: weight decay is not supported (wd = %s)" % (wd,))
        kwargs = {"epsilon": self.float_stable_eps, "rescale_grad": self.rescale_grad}
        if self.clip_gradient:
            kwargs["clip_gradient"] = self.clip_gradient
        nd.contrib.group_adagrad_update(weight, grad, state, out=weight, lr=lr, **kwargs)
