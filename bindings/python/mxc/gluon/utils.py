"""Helpers: splitting batches over devices, clipping gradients by their global norm, downloading files."""
import hashlib
import math
import os
import time
import uuid

import numpy as np

from .. import ndarray as nd

__all__ = ["split_data", "split_and_load", "clip_global_norm", "check_sha1", "download", "replace_file"]


def split_data(data, num_slice, batch_axis=0, even_split=True):
    """Cuts ``data`` into ``num_slice`` pieces along ``batch_axis``."""
    total = data.shape[batch_axis]
    if even_split and total % num_slice != 0:
        raise ValueError(
            "data with shape %s cannot be evenly split into %d slices along axis %d. Use a batch size that's "
            "multiple of %d or set even_split=False to allow uneven partitioning of data."
            % (str(data.shape), num_slice, batch_axis, num_slice))
    if total < num_slice:
        raise ValueError("Too many slices for data with shape %s. Arguments are num_slice=%d and batch_axis=%d."
                         % (str(data.shape), num_slice, batch_axis))
    if num_slice == 1:
        return [data]
    base, extra = divmod(total, num_slice)
    pieces, start = [], 0
    for k in range(num_slice):
        stop = start + base + (1 if k < extra and not even_split else 0)
        if k == num_slice - 1:
            stop = total
        pieces.append(nd.slice_axis(data, axis=batch_axis, begin=start, end=stop))
        start = stop
    return pieces


def split_and_load(data, ctx_list, batch_axis=0, even_split=True):
    """Splits ``data`` over the contexts of ``ctx_list`` and copies each piece to its context."""
    if not isinstance(data, nd.NDArray):
        data = nd.array(np.asarray(data), ctx=ctx_list[0])
    if len(ctx_list) == 1:
        return [data.as_in_context(ctx_list[-1])]
    parts = split_data(data, len(ctx_list), batch_axis, even_split)
    return [piece.as_in_context(c) for piece, c in zip(parts, ctx_list)]


def clip_global_norm(arrays, max_norm, check_isfinite=True):
    """Scales ``arrays`` in place so that their joint L2 norm is at most ``max_norm``; returns that norm."""
    if not arrays:
        raise AssertionError("arrays must not be empty")
    squares = 0.0
    for a in arrays:
        v = a.asnumpy().astype(np.float64)
        squares += float((v * v).sum())
    norm = math.sqrt(squares)
    if check_isfinite and not np.isfinite(norm):
        import warnings
        warnings.warn(UserWarning('nan or inf is detected. Clipping results will be undefined.'), stacklevel=2)
    factor = max_norm / (norm + 1e-8)
    if factor < 1.0:
        for a in arrays:
            a *= factor
    return norm if check_isfinite else nd.array([norm])


def check_sha1(filename, sha1_hash):
    """Whether the SHA-1 of the file's bytes is ``sha1_hash`` (hexadecimal; a shorter prefix compares its length)."""
    sha1 = hashlib.sha1()
    with open(filename, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            sha1.update(chunk)
    digest = sha1.hexdigest()
    return digest[:len(sha1_hash)] == sha1_hash.lower() if len(sha1_hash) < len(digest) else digest == sha1_hash.lower()


def replace_file(src, dst):
    """Moves ``src`` over ``dst`` atomically (the destination is never seen half written)."""
    os.replace(src, dst)


def download(url, path=None, overwrite=False, sha1_hash=None, retries=5, verify_ssl=True):
    """Downloads ``url`` to ``path`` (a file, or a folder to put the URL's file name in; default: the current
    folder) and returns the file's path. An existing file is kept unless ``overwrite``, or unless ``sha1_hash`` is
    given and does not match. The download goes to a temporary file moved into place when complete; failures
    (connection errors, HTTP errors, a wrong SHA-1) are retried ``retries`` times in all, then raised."""
    import ssl
    import urllib.request
    fname = url.split("/")[-1]
    if path is None:
        path = fname
    elif os.path.isdir(os.path.expanduser(path)):
        path = os.path.join(os.path.expanduser(path), fname)
    path = os.path.expanduser(path)
    if not isinstance(retries, int) or retries < 1:
        raise ValueError("download: retries must be a positive integer, got %r" % (retries,))
    if not overwrite and os.path.exists(path) and (sha1_hash is None or check_sha1(path, sha1_hash)):
        return path
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    context = None if verify_ssl else ssl._create_unverified_context()
    for attempt in range(retries):
        tmp = "%s.%s.part" % (path, uuid.uuid4().hex)
        try:
            with urllib.request.urlopen(url, context=context) as r, open(tmp, "wb") as f:
                for chunk in iter(lambda: r.read(1 << 20), b""):
                    f.write(chunk)
            if sha1_hash and not check_sha1(tmp, sha1_hash):
                raise OSError("download: %s: the SHA-1 of the downloaded file is not %s (the file is corrupt or "
                              "the hash is wrong)" % (url, sha1_hash))
            replace_file(tmp, path)
            return path
        except Exception:
            if os.path.exists(tmp):
                os.remove(tmp)
            if attempt + 1 == retries:
                raise
            time.sleep(min(1.0, 0.1 * 2 ** attempt))
    return path
