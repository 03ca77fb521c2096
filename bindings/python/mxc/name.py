"""Automatic naming of symbols (``mx.name``), as MXNet 1.x.

A symbol created without ``name=`` is named by the current :class:`NameManager` from a hint (the operator name
lowercased, e.g. ``fullyconnected``, or ``_plus`` for ``a + b``) and a counter per hint: ``fullyconnected0``,
``fullyconnected1``, ... ``with mx.name.Prefix('net_'):`` prepends a prefix to the names made inside the block.
"""
import threading

__all__ = ["NameManager", "Prefix", "current"]


class _CurrentMeta(type):
    @property
    def current(cls):
        """The name manager in use on this thread."""
        return current()


class NameManager(object, metaclass=_CurrentMeta):
    """Gives unique names: ``get(name, hint)`` returns ``name`` when given, else ``<hint><counter>``."""

    _current = threading.local()

    def __init__(self):
        self._counter = {}
        self._old_manager = None

    def get(self, name, hint):
        """The name to use: ``name`` itself when not None/empty, else the hint with the next number for it."""
        if name:
            return name
        n = self._counter.get(hint, 0)
        self._counter[hint] = n + 1
        return "%s%d" % (hint, n)

    def __enter__(self):
        self._old_manager = current()
        NameManager._current.value = self
        return self

    def __exit__(self, ptype, value, trace):
        NameManager._current.value = self._old_manager
        self._old_manager = None


class Prefix(NameManager):
    """A name manager that puts ``prefix`` in front of every name it gives (also of explicit names)::

        with mx.name.Prefix('mynet_'):
            net = mx.sym.FullyConnected(data, num_hidden=10, name='fc1')   # named mynet_fc1
    """

    def __init__(self, prefix):
        super(Prefix, self).__init__()
        self._prefix = prefix

    def get(self, name, hint):
        return self._prefix + super(Prefix, self).get(name, hint)


_default = NameManager()


def current():
    """The name manager in use on this thread (a process-wide default one outside ``with`` blocks)."""
    m = getattr(NameManager._current, "value", None)
    return m if m is not None else _default
