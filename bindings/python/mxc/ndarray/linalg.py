"""Linear-algebra operators registered as ``_linalg_<name>``, exposed as ``mx.nd.linalg.<name>`` (filled in at
import time): gemm, gemm2, trmm, trsm, syrk, potrf, potri, sumlogdiag, extractdiag, makediag, extracttrian,
maketrian, inverse, det, slogdet, gelqf, syevd."""
