"""Containers running their children side by side (``Concurrent``, ``HybridConcurrent``), ``Identity`` and
``PixelShuffle1D/2D/3D``, as in MXNet's ``gluon.contrib.nn`` (the model zoo's SqueezeNet, DenseNet and Inception are
built from the containers)."""
from .... import ndarray as nd
from ...block import Block, HybridBlock
from ...nn.basic_layers import BatchNorm, _Stack

__all__ = ["Concurrent", "HybridConcurrent", "Identity", "PixelShuffle1D", "PixelShuffle2D", "PixelShuffle3D",
           "SyncBatchNorm"]


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


class _PixelShuffle(HybridBlock):
    """(N, C * f1 * ... * fk, S1, ..., Sk) -> (N, C, S1 * f1, ..., Sk * fk): channel c * prod(f) + (i1, ..., ik)
    (row-major) becomes the sub-position (i1, ..., ik) of every pixel of channel c."""

    def __init__(self, k, factor):
        super().__init__()
        self._given = factor
        self._factors = (int(factor),) * k if isinstance(factor, int) else tuple(int(f) for f in factor)
        if len(self._factors) != k:
            raise ValueError("%s: factor needs %d values, got %r" % (type(self).__name__, k, factor))

    def hybrid_forward(self, F, x):
        f, k = self._factors, len(self._factors)
        prod = 1
        for v in f:
            prod *= v
        x = F.reshape(x, shape=(0, -4, -1, prod) + (0,) * k)          # (N, C, f1 * ... * fk, S...)
        for i in range(k - 1):                                       # split into (N, C, f1, ..., fk, S...)
            x = F.reshape(x, shape=(0,) * (2 + i) + (-4, f[i], -1) + (0,) * k)
        axes = [0, 1]
        for i in range(k):
            axes += [2 + k + i, 2 + i]                               # (N, C, S1, f1, ..., Sk, fk)
        x = F.transpose(x, axes=tuple(axes))
        return F.reshape(x, shape=(0, 0) + (-3,) * k)

    def __repr__(self):
        return "%s(%s)" % (type(self).__name__, self._given)


class PixelShuffle1D(_PixelShuffle):
    """(N, C * f, W) -> (N, C, W * f)."""

    def __init__(self, factor):
        super().__init__(1, factor)


class PixelShuffle2D(_PixelShuffle):
    """(N, C * f1 * f2, H, W) -> (N, C, H * f1, W * f2); ``factor`` an int or a pair."""

    def __init__(self, factor):
        super().__init__(2, factor)


class PixelShuffle3D(_PixelShuffle):
    """(N, C * f1 * f2 * f3, D, H, W) -> (N, C, D * f1, H * f2, W * f3); ``factor`` an int or a triple."""

    def __init__(self, factor):
        super().__init__(3, factor)


class SyncBatchNorm(BatchNorm):
    """Batch normalization with the statistics of the whole batch across devices (``contrib.SyncBatchNorm``). mxc
    runs a batch in one process, so the statistics are those of the whole batch on any number of devices; the
    channel axis is 1. ``num_devices`` is accepted for MXNet compatibility."""

    def __init__(self, in_channels=0, num_devices=None, momentum=0.9, epsilon=1e-5, center=True, scale=True,
                 use_global_stats=False, beta_initializer='zeros', gamma_initializer='ones',
                 running_mean_initializer='zeros', running_variance_initializer='ones', **kwargs):
        super().__init__(1, momentum, epsilon, center, scale, use_global_stats, beta_initializer, gamma_initializer,
                         running_mean_initializer, running_variance_initializer, in_channels, **kwargs)
        self._opts.pop('axis')
        self._opts.update(ndev=num_devices or 1, key=self.prefix)

    def hybrid_forward(self, F, x, gamma, beta, running_mean, running_var):
        return F.contrib.SyncBatchNorm(x, gamma, beta, running_mean, running_var, name='fwd', **self._opts)

    def __repr__(self):
        o = self._opts
        chans = self.gamma.shape[0] if self.gamma.shape[0] else None
        return ("%s(eps=%s, momentum=%s, fix_gamma=%s, use_global_stats=%s, ndev=%s, key=%r, in_channels=%s)"
                % (type(self).__name__, o['eps'], o['momentum'], o['fix_gamma'], o['use_global_stats'], o['ndev'],
                   o['key'], chans))
