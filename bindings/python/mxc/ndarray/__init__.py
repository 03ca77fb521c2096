"""``mx.nd``: NDArrays and the imperative operators (every operator of the registry as ``mx.nd.<name>``)."""
import sys as _sys

from . import ndarray as _nd_impl
from .ndarray import *  # noqa: F401,F403
from .ndarray import NDArray, invoke  # noqa: F401
from . import _internal, contrib, image, linalg, random, sparse  # noqa: F401
from .dlpack import to_dlpack_for_read, to_dlpack_for_write, from_dlpack, from_numpy  # noqa: F401
from . import register as _register

# Hand-written functions (above) win over operators of the same name.
_HAND_WRITTEN = frozenset(_nd_impl.__all__) | {"random", "contrib", "image", "linalg", "to_dlpack_for_read",
                                                 "to_dlpack_for_write", "from_dlpack", "from_numpy", "sparse",
                                                 "cast_storage"}
_register.register_all(_sys.modules[__name__], _internal, random, contrib, keep=_HAND_WRITTEN, linalg_module=linalg,
                       image_module=image)
cast_storage = sparse.cast_storage  # noqa: E305  (every direction: dense, csr, row_sparse)
# Operators with a sparse implementation run it when given a sparse array (dot: csr x dense; the optimizer updates:
# lazy updates of a row_sparse gradient's rows).
for _n in ("sgd_update", "sgd_mom_update", "adam_update", "dot", "elemwise_add", "elemwise_sub", "elemwise_mul",
           "retain"):
    if _n in globals() and _n not in _HAND_WRITTEN:
        globals()[_n] = sparse._dispatching(globals()[_n], getattr(sparse, _n))
del _n
if "Embedding" in globals() and "Embedding" not in _HAND_WRITTEN:
    Embedding = sparse._embedding(Embedding)  # notes the rows of sparse_grad lookups (row_sparse gradients)
del _sys
