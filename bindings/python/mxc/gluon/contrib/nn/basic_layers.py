"""Containers running their children side by side (``Concurrent``, ``HybridConcurrent``) and ``Identity``, as in
MXNet's ``gluon.contrib.nn`` (the model zoo's SqueezeNet, DenseNet and Inception are built from them)."""
from .... import ndarray as nd
from ...block import Block, HybridBlock
from ...nn.basic_layers import _Stack

__all__ = ["Concurrent", "HybridConcurrent", "Identity"]


class _Side(_Stack):
    """What both containers share: children added with ``add``, outputs concatenated along ``axis``."""

    def __init__(self, axis=-1, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self.axis = axis


class Concurrent(_Side, Block):
    """Runs its children on the same input and concatenates their outputs along ``axis``."""

    def forward(self, x):
        return nd.Concat(*[kid(x) for kid in self._kids.values()], dim=self.axis)


class HybridConcurrent(_Side, HybridBlock):
    """Runs its (hybrid) children on the same input and concatenates their outputs along ``axis``."""

    def forward(self, x):
        return HybridBlock.forward(self, x)

    def hybrid_forward(self, F, x):
        return F.Concat(*[kid(x) for kid in self._kids.values()], dim=self.axis)


class Identity(HybridBlock):
    """Returns its input unchanged."""

    def hybrid_forward(self, F, x):
        return x
