"""Activation layers."""
from ..block import HybridBlock
from ... import initializer as _init

__all__ = ["Activation", "LeakyReLU", "ELU", "SELU", "GELU", "PReLU", "Swish"]


class Activation(HybridBlock):
    """Applies ``act_type`` ('relu', 'sigmoid', 'tanh', 'softrelu', 'softsign') element-wise."""

    def __init__(self, activation, **kwargs):
        self._kind = activation
        super().__init__(**kwargs)

    def _name_hint(self):
        return self._kind

    def hybrid_forward(self, F, x):
        return F.Activation(x, act_type=self._kind, name='fwd')

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
        return F.LeakyReLU(x, act_type='leaky', slope=self._slope, name='fwd')

    def __repr__(self):
        return "%s(%s)" % (type(self).__name__, self._slope)


class _LeakyKind(HybridBlock):
    """LeakyReLU's act_type ``_kind`` with slope ``_slope``."""
    _kind = None

    def __init__(self, slope=0.25, **kwargs):
        super().__init__(**kwargs)
        self._slope = slope

    def hybrid_forward(self, F, x):
        # MXNet names SELU's and GELU's node 'fwd' and ELU's by its operator.
        name = None if self._kind == 'elu' else 'fwd'
        return F.LeakyReLU(x, act_type=self._kind, slope=self._slope, name=name)


class ELU(_LeakyKind):
    """``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere."""
    _kind = 'elu'

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(alpha, **kwargs)


class SELU(_LeakyKind):
    """The scaled ELU of Klambauer et al. (its fixed alpha and scale)."""
    _kind = 'selu'

    def __init__(self, **kwargs):
        super().__init__(**kwargs)


class GELU(_LeakyKind):
    """``x * Phi(x)``, Phi the standard normal distribution function."""
    _kind = 'gelu'

    def __init__(self, **kwargs):
        super().__init__(**kwargs)


class PReLU(HybridBlock):
    """LeakyReLU with a learned slope ``alpha`` (one per channel of axis 1 with ``in_channels``, else one)."""

    def __init__(self, alpha_initializer=_init.Constant(0.25), in_channels=1, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.alpha = self.params.get('alpha', shape=(in_channels,), init=alpha_initializer)

    def hybrid_forward(self, F, x, alpha):
        return F.LeakyReLU(x, alpha, act_type='prelu', name='fwd')


class Swish(HybridBlock):
    """``x * sigmoid(beta * x)``."""

    def __init__(self, beta=1.0, **kwargs):
        super().__init__(**kwargs)
        self._beta = beta

    def hybrid_forward(self, F, x):
        return x * F.sigmoid(self._beta * x, name='fwd')
