"""Attribute scopes (``mx.AttrScope`` / ``mx.attribute.AttrScope``), as MXNet 1.x.

Inside ``with mx.AttrScope(ctx_group='dev1', lr_mult='0.1'):`` every symbol created gets those attributes (values
are strings), merged under the ones given explicitly with ``attr=``.
"""
import threading

__all__ = ["AttrScope", "current"]


class AttrScope(object):
    """A set of attributes given to every symbol created in its ``with`` block."""

    _current = threading.local()

    def __init__(self, **kwargs):
        for k, v in kwargs.items():
            if not isinstance(v, str):
                raise ValueError("attribute %r: values must be strings, got %s" % (k, type(v).__name__))
        self._attr = dict(kwargs)
        self._old_scope = None

    def get(self, attr):
        """The scope's attributes updated with ``attr`` (a dict or None), as a new dict."""
        ret = dict(self._attr)
        if attr:
            ret.update(attr)
        return ret

    def __enter__(self):
        self._old_scope = current()
        merged = dict(self._old_scope._attr)
        merged.update(self._attr)
        self._attr = merged
        AttrScope._current.value = self
        return self

    def __exit__(self, ptype, value, trace):
        AttrScope._current.value = self._old_scope
        self._old_scope = None


_default = AttrScope()


def current():
    """The attribute scope in use on this thread."""
    s = getattr(AttrScope._current, "value", None)
    return s if s is not None else _default
