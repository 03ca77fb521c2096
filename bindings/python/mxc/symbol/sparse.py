"""``mx.sym.sparse``: the symbolic counterparts of ``mx.nd.sparse`` (``dot``, ``elemwise_add``, ... and every other
operator of ``mx.sym``). Graphs compute on dense arrays: a csr or row_sparse array fed to a variable declared with
``stype='csr'`` is densified when it is copied into the executor (results are those of MXNet's sparse kernels; the
storage saving is that of the data pipeline only)."""
import sys as _sys


def _sym():
    return _sys.modules[__name__.rsplit(".", 1)[0]]


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    try:
        return getattr(_sym(), name)
    except AttributeError:
        raise AttributeError("module 'mxc.symbol.sparse' has no attribute %r" % (name,)) from None
