"""Activation layers."""
from ..block import HybridBlock

__all__ = ["Activation", "LeakyReLU"]


class Activation(HybridBlock):
    """Applies ``act_type`` ('relu', 'sigmoid', 'tanh', 'softrelu', 'softsign') element-wise."""

    def __init__(self, activation, **kwargs):
        self._kind = activation
        super().__init__(**kwargs)

    def _name_hint(self):
        return self._kind

    def hybrid_forward(self, F, x):
        return F.Activation(x, act_type=self._kind)

    def __repr__(self):
        return "%s(%s)" % (type(self).__name__, self._kind)


class LeakyReLU(HybridBlock):
    """``x`` where positive, ``alpha * x`` elsewhere."""

    def __init__(self, alpha, **kwargs):
        if alpha < 0:
            raise AssertionError("Slope coefficient for LeakyReLU must be no less than 0.")
        super().__init__(**kwargs)
        self._slope = alpha

    def hybrid_forward(self, F, x):
        return F.LeakyReLU(x, act_type='leaky', slope=self._slope)

    def __repr__(self):
        return "%s(%s)" % (type(self).__name__, self._slope)
