"""The rest of MXNet 1.x's ``mx.test_utils`` helpers (dense storage only), re-exported by ``mxc.test_utils``:
consistency across contexts and dtypes, comparisons with an error budget, random-generator statistics, local
MNIST/Fashion-MNIST, optimizers side by side, timing, environment and stderr helpers, and small matrix makers."""
import contextlib
import functools
import gzip
import math
import os
import shutil
import sys
import time

import numpy as np

from . import context as _context
from . import io as _io
from . import ndarray as _nd
from .ndarray import NDArray
from . import test_utils as _tu

__all__ = ["assert_allclose", "assert_almost_equal_with_err", "get_etol", "get_tolerance", "same_array",
           "random_uniform_arrays", "rand_coord_2d", "check_consistency", "check_speed", "compare_optimizer",
           "compare_ndarray_tuple", "chi_square_check", "mean_check", "var_check", "gen_buckets_probs_with_ppf",
           "verify_generator", "get_mnist", "get_mnist_ubyte", "get_mnist_iterator", "DummyIter", "list_gpus",
           "discard_stderr", "environment", "collapse_sum_like", "is_op_runnable", "new_orthonormal_matrix_2d",
           "new_matrix_with_real_eigvals_2d", "new_matrix_with_real_eigvals_nd",
           "new_sym_matrix_with_real_eigvals_2d", "new_sym_matrix_with_real_eigvals_nd", "create_vector",
           "create_2d_tensor", "get_identity_mat", "get_identity_mat_batch", "same_symbol_structure", "retry",
           "assign_each", "assign_each2", "random_sample", "is_aarch64_run", "is_cd_run", "has_tvm_ops",
           "get_im2rec_path", "check_gluon_hybridize_consistency", "download", "download_model", "get_mnist_pkl",
           "get_cifar10", "get_zip_data", "get_bz2_data"]


# ---- tolerances and comparisons --------------------------------------------------------------------------------
def get_etol(etol=None):
    """The share of elements allowed to mismatch: ``etol``, else 0."""
    return 0 if etol is None else etol


def get_tolerance(dat, tol, default_tol):
    """``tol`` when given, else ``default_tol[dtype of dat]`` (a dict keyed by np.dtype)."""
    if tol is not None:
        return tol
    dtype = _tu.effective_dtype(dat)
    if dtype not in default_tol:
        raise KeyError("get_tolerance: no default tolerance for dtype %s (have %s)" % (dtype,
                                                                                       sorted(map(str, default_tol))))
    return default_tol[dtype]


def assert_allclose(a, b, rtol=1e-07, atol=0, equal_nan=True):
    """NumPy's assert_allclose defaults (rtol 1e-7, atol 0, NaNs equal) through assert_almost_equal."""
    _tu.assert_almost_equal(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)


def assert_almost_equal_with_err(a, b, rtol=None, atol=None, etol=None, names=('a', 'b'), equal_nan=False,
                                 mismatches=(10, 10)):
    """assert_almost_equal that passes while at most a share ``etol`` of the elements are out of tolerance."""
    etol = get_etol(etol)
    if etol <= 0:
        _tu.assert_almost_equal(a, b, rtol=rtol, atol=atol, names=names, equal_nan=equal_nan,
                                mismatches=mismatches)
        return
    an, bn = _tu._host(a), _tu._host(b)
    rtol, atol = _tu.get_tols(an, bn, rtol, atol)
    af, bf = np.broadcast_arrays(an, bn)
    close = np.isclose(af, bf, rtol=rtol, atol=atol, equal_nan=equal_nan)
    if close.size == 0 or (close.size - int(close.sum())) / float(close.size) <= etol:
        return
    _tu.assert_almost_equal(an, bn, rtol=rtol, atol=atol, names=names, equal_nan=equal_nan,
                            mismatches=mismatches)


def same_array(array1, array2):
    """True when the two NDArrays share their memory (a change to one shows in the other, same shape)."""
    array1[:] += 1
    if not _tu.same(array1.asnumpy(), array2.asnumpy()):
        array1[:] -= 1
        return False
    array1[:] -= 1
    return _tu.same(array1.asnumpy(), array2.asnumpy())


def compare_ndarray_tuple(t1, t2, rtol=None, atol=None):
    """assert_almost_equal over (nested) tuples/lists of arrays; None on either side is skipped."""
    if t1 is None or t2 is None:
        return
    if isinstance(t1, (tuple, list)):
        if not isinstance(t2, (tuple, list)) or len(t1) != len(t2):
            raise AssertionError("compare_ndarray_tuple: %r and %r differ in structure" % (type(t1), type(t2)))
        for s1, s2 in zip(t1, t2):
            compare_ndarray_tuple(s1, s2, rtol, atol)
    else:
        _tu.assert_almost_equal(t1, t2, rtol=rtol, atol=atol)


# ---- random data -----------------------------------------------------------------------------------------------
def random_uniform_arrays(*shapes, **kwargs):
    """A list of NumPy arrays uniform in [low, high) (keywords ``low`` 0, ``high`` 1, ``dtype`` float32)."""
    low = kwargs.pop('low', 0.0)
    high = kwargs.pop('high', 1.0)
    dtype = kwargs.pop('dtype', _tu.default_dtype())
    if kwargs:
        raise TypeError("random_uniform_arrays: unknown argument(s) %s" % ", ".join(sorted(kwargs)))
    return [np.random.uniform(low, high, size=s).astype(dtype) for s in shapes]


def rand_coord_2d(x_low, x_high, y_low, y_high):
    """A random integer point with x in [x_low, x_high) and y in [y_low, y_high)."""
    return int(np.random.randint(x_low, x_high)), int(np.random.randint(y_low, y_high))


# ---- consistency across contexts and dtypes --------------------------------------------------------------------
def _precision(type_dict):
    sizes = [np.dtype(t).itemsize for t in (type_dict or {}).values()]
    return max(sizes) if sizes else np.dtype(np.float32).itemsize


def check_consistency(sym, ctx_list, scale=1.0, grad_req='write', arg_params=None, aux_params=None, rtol=None,
                      atol=None, raise_on_err=True, ground_truth=None, equal_nan=False, use_uniform=False,
                      rand_type=np.float64):
    """Runs ``sym`` (or one symbol per entry) on every entry of ``ctx_list`` -- dicts with ``ctx``, the input
    shapes by name and optionally ``type_dict`` -- from the same random arguments (normal times ``scale``, or
    uniform in [-scale, scale) with ``use_uniform``; ``arg_params``/``aux_params`` fix some), forward (training)
    and backward with the outputs as head gradients, and compares outputs and gradients with those of the most
    precise entry (or ``ground_truth``). Returns the ground truth: a dict output/argument name -> NDArray."""
    if not ctx_list:
        raise ValueError("check_consistency: ctx_list is empty")
    syms = list(sym) if isinstance(sym, (list, tuple)) else [sym] * len(ctx_list)
    if len(syms) != len(ctx_list):
        raise ValueError("check_consistency: %d symbols for %d contexts" % (len(syms), len(ctx_list)))
    output_names = syms[0].list_outputs()
    arg_names = syms[0].list_arguments()
    for s in syms:
        if s.list_outputs() != output_names or s.list_arguments() != arg_names:
            raise AssertionError("check_consistency: the symbols differ in outputs %s vs %s or arguments %s vs %s"
                                 % (s.list_outputs(), output_names, s.list_arguments(), arg_names))
    exes = []
    for s, spec in zip(syms, ctx_list):
        spec = dict(spec)
        ctx = spec.pop('ctx')
        type_dict = spec.pop('type_dict', None)
        exes.append(s.simple_bind(ctx, grad_req=grad_req, type_dict=type_dict, **spec))
    arg_params = dict(arg_params or {})
    aux_params = dict(aux_params or {})

    def draw(shape):
        if use_uniform:
            return np.random.uniform(-scale, scale, size=shape).astype(rand_type)
        return (np.random.normal(size=shape) * scale).astype(rand_type)

    first = exes[0]
    for name, arr in first.arg_dict.items():
        if name not in arg_params:
            arg_params[name] = draw(arr.shape)
    for name, arr in first.aux_dict.items():
        if name not in aux_params:
            aux_params[name] = draw(arr.shape)
    for exe in exes:
        for name, arr in exe.arg_dict.items():
            arr[:] = np.asarray(_tu._host(arg_params[name])).astype(arr.dtype)
        for name, arr in exe.aux_dict.items():
            arr[:] = np.asarray(_tu._host(aux_params[name])).astype(arr.dtype)
    precisions = [_precision(spec.get('type_dict')) for spec in ctx_list]
    gt_index = int(np.argmax(precisions))
    results = []
    for exe in exes:
        outs = exe.forward(is_train=True)
        found = dict(zip(output_names, outs))
        if grad_req != 'null':
            exe.backward([o.copy() for o in outs])
            for name in arg_names:
                g = exe.grad_dict.get(name)
                if g is not None:
                    found[name] = g
        results.append(found)
    gt = ground_truth if ground_truth is not None else results[gt_index]
    for i, found in enumerate(results):
        if ground_truth is None and i == gt_index:
            continue
        for name, arr in found.items():
            if name not in gt:
                continue
            want = _tu._host(gt[name])
            got = arr.asnumpy()
            try:
                _tu.assert_almost_equal(got, want.astype(got.dtype) if got.dtype != want.dtype else want, rtol=rtol,
                                        atol=atol, names=('%s on %s' % (name, ctx_list[i]['ctx']),
                                                          '%s (ground truth)' % name), equal_nan=equal_nan)
            except AssertionError as err:
                if raise_on_err:
                    raise
                print('check_consistency: %s on %s (%s) differs:\n%s' % (name, ctx_list[i]['ctx'],
                                                                       ctx_list[i].get('type_dict'), err))
    return gt


def check_speed(sym, location=None, ctx=None, N=20, grad_req=None, typ='whole', **kwargs):
    """Seconds per iteration of ``sym`` forward and backward (``typ='whole'``) or forward only ('forward'),
    averaged over N runs after a warm-up. ``location``: the arguments by name (random normal when None, with
    the shapes given as keyword arguments)."""
    ctx = _tu.default_context() if ctx is None else ctx
    if grad_req is None:
        grad_req = 'write'
    if typ not in ('whole', 'forward'):
        raise ValueError("check_speed: typ must be 'whole' or 'forward', got %r" % (typ,))
    if location is None:
        exe = sym.simple_bind(ctx, grad_req=grad_req, **kwargs)
        location = {k: np.random.normal(size=arr.shape, scale=1.0) for k, arr in exe.arg_dict.items()}
    else:
        shapes = {k: np.asarray(_tu._host(v)).shape for k, v in location.items()}
        shapes.update(kwargs)
        exe = sym.simple_bind(ctx, grad_req=grad_req, **shapes)
    for name, value in location.items():
        exe.arg_dict[name][:] = np.asarray(_tu._host(value)).astype(exe.arg_dict[name].dtype)

    def once():
        if typ == 'whole':
            exe.forward(is_train=True)
            exe.backward(out_grads=[o.copy() for o in exe.outputs])
            for g in exe.grad_arrays:
                if g is not None:
                    g.wait_to_read()
        else:
            exe.forward(is_train=False)
        for o in exe.outputs:
            o.wait_to_read()

    once()
    tic = time.time()
    for _ in range(N):
        once()
    return (time.time() - tic) / N


def compare_optimizer(opt1, opt2, shape, dtype, w_stype='default', g_stype='default', rtol=1e-4, atol=1e-5,
                      compare_states=True, ntensors=1):
    """Applies one update of opt1 and of opt2 to equal random weights and gradients and compares the states
    (when ``compare_states``) and the updated weights. ``ntensors`` > 1 updates that many weights (list
    ``shape`` per tensor allowed)."""
    if w_stype != 'default' or g_stype != 'default':
        raise NotImplementedError("compare_optimizer: mxc has no sparse storage (w_stype=%r, g_stype=%r)"
                                  % (w_stype, g_stype))
    shapes = list(shape) if ntensors > 1 and isinstance(shape, list) else [shape] * ntensors
    ctx = _tu.default_context()
    for index, shp in enumerate(shapes):
        w1 = _tu.rand_ndarray(shp, dtype=dtype)
        w2 = w1.copyto(ctx)
        g1 = _tu.rand_ndarray(shp, dtype=dtype)
        g2 = g1.copyto(ctx)
        state1 = opt1.create_state_multi_precision(index, w1)
        state2 = opt2.create_state_multi_precision(index, w2)
        if compare_states:
            compare_ndarray_tuple(state1, state2)
        opt1.update_multi_precision(index, w1, g1, state1)
        opt2.update_multi_precision(index, w2, g2, state2)
        if compare_states:
            compare_ndarray_tuple(state1, state2, rtol=rtol, atol=atol)
        _tu.assert_almost_equal(w1, w2, rtol=rtol, atol=atol)


# ---- random generators --------------------------------------------------------------------------------------------
def _gammaincc(a, x):
    """The regularized upper incomplete gamma function Q(a, x) (series below a + 1, continued fraction above)."""
    if x <= 0:
        return 1.0
    lead = math.exp(-x + a * math.log(x) - math.lgamma(a))
    if x < a + 1:
        term = total = 1.0 / a
        ap = a
        for _ in range(10000):
            ap += 1
            term *= x / ap
            total += term
            if abs(term) < abs(total) * 1e-15:
                break
        return max(0.0, 1.0 - total * lead)
    tiny = 1e-300
    b = x + 1 - a
    c = 1 / tiny
    d = 1 / b
    h = d
    for i in range(1, 10000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-15:
            break
    return lead * h


def _chi2_sf(stat, dof):
    """P(X >= stat) for X chi-square with ``dof`` degrees of freedom."""
    return _gammaincc(dof / 2.0, stat / 2.0)


def chi_square_check(generator, buckets, probs, nsamples=1000000):
    """Pearson's chi-square test of ``generator(nsamples)`` (NumPy or NDArray samples) against bucket
    probabilities ``probs``. ``buckets``: (low, high) intervals for continuous samples or the values of a
    discrete one. Returns ``(p_value, observed counts, expected counts)``."""
    if len(buckets) != len(probs):
        raise ValueError("chi_square_check: %d buckets but %d probabilities" % (len(buckets), len(probs)))
    samples = np.asarray(_tu._host(generator(nsamples))).reshape(-1)
    continuous = isinstance(buckets[0], (tuple, list))
    if continuous:
        for low, high in buckets:
            if not low < high:
                raise ValueError("chi_square_check: bucket (%s, %s) is empty" % (low, high))
        bounds = sorted(buckets)
        for (_, h1), (l2, _) in zip(bounds, bounds[1:]):
            if l2 < h1:
                raise ValueError("chi_square_check: buckets (.., %s) and (%s, ..) overlap" % (h1, l2))
        obs = [int(np.sum((samples >= low) & (samples < high))) for low, high in buckets]
    else:
        obs = [int(np.sum(samples == v)) for v in buckets]
    expected = [p * nsamples for p in probs]
    stat = sum((o - e) ** 2 / e for o, e in zip(obs, expected) if e > 0)
    p_value = _chi2_sf(stat, len(buckets) - 1)
    return p_value, obs, expected


def mean_check(generator, mu, sigma, nsamples=1000000):
    """True when the mean of ``generator(nsamples)`` lies within 3 standard errors (sigma / sqrt(n)) of mu."""
    samples = np.asarray(_tu._host(generator(nsamples)), dtype=np.float64)
    return bool(abs(samples.mean() - mu) < 3 * sigma / math.sqrt(nsamples))


def var_check(generator, sigma, nsamples=1000000):
    """True when the sample variance of ``generator(nsamples)`` lies within 3 standard errors of sigma**2 (the
    standard error of the variance of normal samples: sigma**2 * sqrt(2 / (n - 1)))."""
    samples = np.asarray(_tu._host(generator(nsamples)), dtype=np.float64)
    var = samples.var(ddof=1)
    return bool(abs(var - sigma ** 2) < 3 * sigma ** 2 * math.sqrt(2.0 / (nsamples - 1)))


def gen_buckets_probs_with_ppf(ppf, nbuckets):
    """``nbuckets`` equally likely buckets ``(ppf(i/n), ppf((i+1)/n))`` of a distribution given by its quantile
    function, and their probabilities (1/n each)."""
    probs = [1.0 / nbuckets for _ in range(nbuckets)]
    buckets = [(ppf(i / float(nbuckets)), ppf((i + 1) / float(nbuckets))) for i in range(nbuckets)]
    return buckets, probs


def verify_generator(generator, buckets, probs, nsamples=1000000, nrepeat=5, success_rate=0.2, alpha=0.05):
    """Runs chi_square_check ``nrepeat`` times and asserts that the test passes (p > alpha) in at least a share
    ``success_rate`` of them. Returns the p-values."""
    p_values = []
    for _ in range(nrepeat):
        p_values.append(chi_square_check(generator, buckets, probs, nsamples)[0])
    passed = sum(1 for p in p_values if p > alpha)
    if passed < success_rate * nrepeat:
        raise AssertionError("verify_generator: the chi-square test passed %d of %d times (p-values %s, alpha %s, "
                             "buckets %s, probs %s)" % (passed, nrepeat, p_values, alpha, buckets, probs))
    return p_values


# ---- MNIST --------------------------------------------------------------------------------------------------------
_MNIST_FILES = ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte',
                't10k-labels-idx1-ubyte')
_MNIST_DIRS = ('/usr/share/datasets/mnist', '/usr/share/datasets/fashion-mnist')


def _mnist_source():
    """The folder with the four idx files (optionally gzipped): $MXC_MNIST_DIR, else Debian's datasets."""
    candidates = ([os.environ['MXC_MNIST_DIR']] if os.environ.get('MXC_MNIST_DIR') else []) + list(_MNIST_DIRS)
    for folder in candidates:
        if all(os.path.exists(os.path.join(folder, f)) or os.path.exists(os.path.join(folder, f + '.gz'))
               for f in _MNIST_FILES):
            return folder
    raise IOError("MNIST not found: mxc reads it locally (no download) from $MXC_MNIST_DIR or %s; install Debian's "
                  "dataset-fashion-mnist or set MXC_MNIST_DIR to a folder with %s (optionally .gz)"
                  % (" or ".join(_MNIST_DIRS), ", ".join(_MNIST_FILES)))


def _mnist_path(folder, name):
    plain = os.path.join(folder, name)
    return plain if os.path.exists(plain) else plain + '.gz'


def _read_idx(path):
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'rb') as f:
        raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], 'big') for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def get_mnist_ubyte():
    """Makes ``data/train-images-idx3-ubyte`` etc. (uncompressed) exist under the working directory, as MXNet's
    helper does, copying them from the local dataset (Fashion-MNIST from Debian by default; no download)."""
    target = 'data'
    if all(os.path.exists(os.path.join(target, f)) for f in _MNIST_FILES):
        return
    source = _mnist_source()
    if not os.path.isdir(target):
        os.makedirs(target)
    for name in _MNIST_FILES:
        dst = os.path.join(target, name)
        if os.path.exists(dst):
            continue
        src = _mnist_path(source, name)
        opener = gzip.open if src.endswith('.gz') else open
        with opener(src, 'rb') as fin, open(dst + '.part', 'wb') as fout:
            shutil.copyfileobj(fin, fout)
        os.replace(dst + '.part', dst)


def get_mnist():
    """The MNIST-format data set as NumPy arrays: ``train_data``/``test_data`` float32 (N, 1, 28, 28) in [0, 1]
    (pixel / 255), ``train_label``/``test_label`` int8. Read locally (see get_mnist_ubyte); no download."""
    source = _mnist_source()

    def images(name):
        img = _read_idx(_mnist_path(source, name))
        return img.reshape(img.shape[0], 1, img.shape[1], img.shape[2]).astype(np.float32) / 255

    def labels(name):
        return _read_idx(_mnist_path(source, name)).astype(np.int8)

    return {'train_data': images('train-images-idx3-ubyte'), 'train_label': labels('train-labels-idx1-ubyte'),
            'test_data': images('t10k-images-idx3-ubyte'), 'test_label': labels('t10k-labels-idx1-ubyte')}


def get_mnist_iterator(batch_size, input_shape, num_parts=1, part_index=0):
    """``(train, val)`` MNISTIters over ``data/`` (see get_mnist_ubyte), both shuffled; flat (batch, 784) unless
    ``input_shape`` is 3-d."""
    get_mnist_ubyte()
    flat = len(input_shape) != 3
    train = _io.MNISTIter(image='data/train-images-idx3-ubyte', label='data/train-labels-idx1-ubyte',
                          input_shape=input_shape, batch_size=batch_size, shuffle=True, flat=flat,
                          num_parts=num_parts, part_index=part_index)
    val = _io.MNISTIter(image='data/t10k-images-idx3-ubyte', label='data/t10k-labels-idx1-ubyte',
                        input_shape=input_shape, batch_size=batch_size, flat=flat, num_parts=num_parts,
                        part_index=part_index)
    return train, val


class DummyIter(_io.DataIter):
    """Serves the first batch of ``real_iter`` forever (to time a network without reading data)."""

    def __init__(self, real_iter):
        super(DummyIter, self).__init__()
        self.real_iter = real_iter
        self.provide_data = real_iter.provide_data
        self.provide_label = real_iter.provide_label
        self.batch_size = real_iter.batch_size
        self.the_batch = next(real_iter)

    def __iter__(self):
        return self

    def next(self):
        return self.the_batch

    def __next__(self):
        return self.next()

    def reset(self):
        pass


# ---- environment ---------------------------------------------------------------------------------------------------
def list_gpus():
    """``range(number of GPUs)``."""
    return range(_context.num_gpus())


def is_op_runnable():
    """True: every mxc operator runs on the default context (on a GPU without a kernel, through host copies)."""
    return True


@contextlib.contextmanager
def discard_stderr():
    """Sends what is written to file descriptor 2 (C and Python) to /dev/null inside the block."""
    sys.stderr.flush()
    saved = os.dup(2)
    with open(os.devnull, 'w') as null:
        os.dup2(null.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


@contextlib.contextmanager
def environment(*args):
    """Sets environment variables inside the block and restores them after: ``environment(name, value)`` or
    ``environment({name: value, ...})``; a value of None unsets the variable."""
    if len(args) == 2:
        wanted = {args[0]: args[1]}
    elif len(args) == 1 and isinstance(args[0], dict):
        wanted = dict(args[0])
    else:
        raise ValueError("environment: expected (name, value) or a dict, got %r" % (args,))
    saved = {k: os.environ.get(k) for k in wanted}

    def apply(values):
        for k, v in values.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = str(v)

    apply(wanted)
    try:
        yield
    finally:
        apply(saved)


def retry(n):
    """Decorator: reruns a test up to ``n`` times while it raises AssertionError (the last one propagates)."""
    if not isinstance(n, int) or n < 1:
        raise ValueError("retry: n must be a positive int, got %r" % (n,))

    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            for attempt in range(n):
                try:
                    return fn(*args, **kwargs)
                except AssertionError:
                    if attempt == n - 1:
                        raise
        return wrapper
    return decorate


# ---- arrays and matrices --------------------------------------------------------------------------------------------
def collapse_sum_like(a, shape):
    """Sums ``a`` (NumPy) down to ``shape``, the inverse of broadcasting ``shape`` to a.shape."""
    shape = tuple(shape)
    if len(shape) > a.ndim:
        raise ValueError("collapse_sum_like: shape %s has more dimensions than %s" % (shape, a.shape))
    lead = a.ndim - len(shape)
    axes = list(range(lead))
    for i, s in enumerate(shape):
        if s == 1 and a.shape[lead + i] != 1:
            axes.append(lead + i)
        elif s != a.shape[lead + i]:
            raise ValueError("collapse_sum_like: %s cannot be summed to %s" % (a.shape, shape))
    return a.sum(axis=tuple(axes)).reshape(shape) if axes else a.reshape(shape)


def new_orthonormal_matrix_2d(n):
    """A random n x n orthonormal matrix (float64)."""
    q, r = np.linalg.qr(np.random.uniform(-10, 10, (n, n)))
    return q * np.sign(np.diag(r))


def new_matrix_with_real_eigvals_2d(n):
    """A random n x n matrix with real eigenvalues: Q diag(d) Q^T with Q orthonormal (float64)."""
    q = new_orthonormal_matrix_2d(n)
    return np.dot(q * np.random.uniform(-10, 10, n), q.T)


def new_sym_matrix_with_real_eigvals_2d(n):
    """A random symmetric n x n matrix (real eigenvalues, float64)."""
    q = new_orthonormal_matrix_2d(n)
    m = np.dot(q * np.random.uniform(-10, 10, n), q.T)
    return (m + m.T) / 2


def _batched(shape, make):
    shape = tuple(shape)
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise ValueError("expected a shape (..., n, n), got %s" % (shape,))
    n = shape[-1]
    batch = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
    return np.stack([make(n) for _ in range(batch)]).reshape(shape)


def new_matrix_with_real_eigvals_nd(shape):
    """A stack (shape (..., n, n)) of random matrices with real eigenvalues."""
    return _batched(shape, new_matrix_with_real_eigvals_2d)


def new_sym_matrix_with_real_eigvals_nd(shape):
    """A stack (shape (..., n, n)) of random symmetric matrices."""
    return _batched(shape, new_sym_matrix_with_real_eigvals_2d)


def create_vector(size, dtype=np.int64):
    """The NDArray 0, 1, ..., size - 1."""
    return _nd.arange(0, size, dtype=dtype)


def create_2d_tensor(rows, columns, dtype=np.int64):
    """A (rows, columns) NDArray whose row i is all i."""
    values = np.broadcast_to(np.arange(rows).reshape(rows, 1), (rows, columns))
    return _nd.array(np.ascontiguousarray(values), dtype=dtype)


def get_identity_mat(size):
    """The size x size identity NDArray (float32)."""
    return _nd.array(np.eye(size, dtype=np.float32))


def get_identity_mat_batch(size):
    """``size`` stacked size x size identity matrices, an NDArray (size, size, size)."""
    return _nd.array(np.tile(np.eye(size, dtype=np.float32), (size, 1, 1)))


# ---- symbols --------------------------------------------------------------------------------------------------------
def _structure(sym):
    """The graph of ``sym`` without names and attributes: per node its op and inputs, and the heads."""
    import json
    graph = json.loads(sym.tojson())
    nodes = [(n['op'], tuple(tuple(e[:2]) for e in n['inputs'])) for n in graph['nodes']]
    return nodes, [tuple(h[:2]) for h in graph['heads']]


def same_symbol_structure(sym1, sym2):
    """True when the two symbols have the same graph: the same operators wired the same way (names and operator
    parameters are not compared)."""
    return _structure(sym1) == _structure(sym2)


# ---- small helpers ---------------------------------------------------------------------------------------------------
def assign_each(the_input, function):
    """``function`` applied to every element of a NumPy array (a new array, same shape)."""
    return np.vectorize(function)(the_input) if np.asarray(the_input).size else np.array(the_input, copy=True)


def assign_each2(input1, input2, function):
    """``function(a, b)`` applied to the elements of two arrays of one shape."""
    if np.shape(input1) != np.shape(input2):
        raise ValueError("assign_each2: shapes %s and %s differ" % (np.shape(input1), np.shape(input2)))
    return np.vectorize(function)(input1, input2) if np.asarray(input1).size else np.array(input1, copy=True)


def random_sample(population, k):
    """``k`` elements of ``population`` drawn without replacement (Python's random state)."""
    import random
    return random.sample(list(population), k)


def is_aarch64_run():
    """True on an aarch64 machine."""
    import platform
    return platform.machine() == 'aarch64'


def is_cd_run():
    """True inside a continuous-delivery job (environment CD_JOB=1)."""
    return os.environ.get('CD_JOB') == '1'


def has_tvm_ops():
    """False: mxc has no TVM-generated operators."""
    return False


def get_im2rec_path(home_env='MXNET_HOME'):
    """The path of the im2rec.py tool: mxc's own (mxc/tools/im2rec.py), else ``$home_env/tools/im2rec.py``."""
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'tools', 'im2rec.py')
    if os.path.isfile(here):
        return here
    home = os.environ.get(home_env)
    if home and os.path.isfile(os.path.join(home, 'tools', 'im2rec.py')):
        return os.path.join(home, 'tools', 'im2rec.py')
    raise IOError("im2rec.py not found at %s nor under $%s/tools" % (here, home_env))


def check_gluon_hybridize_consistency(net_builder, data_l, numpy_func=None, test_grad=True, rtol=1e-4,
                                      atol=1e-4):
    """Builds ``net_builder()`` twice with the same parameters and checks that the plain and the hybridized
    block give the same outputs (and, with ``test_grad``, input gradients of sum(outputs)) on ``data_l`` (a list
    of NDArrays); ``numpy_func(*numpy inputs)`` when given is the expected output."""
    import tempfile
    from . import autograd
    params_file = None
    results = []
    try:
        for hybridize in (False, True):
            net = net_builder()
            net.initialize()
            if len(list(net.collect_params().keys())) == 0:
                pass  # no parameters to share
            elif params_file is None:
                net(*[x.copy() for x in data_l])  # deferred shapes
                handle, params_file = tempfile.mkstemp(suffix='.params')
                os.close(handle)
                net.save_parameters(params_file)
            else:
                net.load_parameters(params_file)
            if hybridize:
                net.hybridize()
            inputs = [x.copy() for x in data_l]
            for x in inputs:
                x.attach_grad()
            with autograd.record():
                out = net(*inputs)
                outs = list(out) if isinstance(out, (list, tuple)) else [out]
                total = outs[0].sum()
                for o in outs[1:]:
                    total = total + o.sum()
            if test_grad:
                total.backward()
            results.append(([o.asnumpy() for o in outs], [x.grad.asnumpy() for x in inputs] if test_grad else []))
    finally:
        if params_file is not None and os.path.exists(params_file):
            os.remove(params_file)
    (plain_out, plain_grad), (hyb_out, hyb_grad) = results
    if numpy_func is not None:
        want = numpy_func(*[x.asnumpy() for x in data_l])
        want = list(want) if isinstance(want, (list, tuple)) else [want]
        for w, got in zip(want, plain_out):
            _tu.assert_almost_equal(got, w, rtol=rtol, atol=atol, names=('output', 'numpy_func'))
    for a, b in zip(plain_out, hyb_out):
        _tu.assert_almost_equal(b, a, rtol=rtol, atol=atol, names=('hybridized output', 'output'))
    for a, b in zip(plain_grad, hyb_grad):
        _tu.assert_almost_equal(b, a, rtol=rtol, atol=atol, names=('hybridized grad', 'grad'))


# ---- downloads (none: mxc machines are offline) ------------------------------------------------------------------------
def _offline(what, where=None):
    return IOError("%s: mxc does not download (no network access)%s" % (
        what, "; put the file at %s yourself" % where if where else ""))


def download(url, fname=None, dirname=None, overwrite=False, retries=5):
    """Returns the local path ``dirname/fname`` (fname defaults to the URL's last part) when that file exists and
    ``overwrite`` is False; anything else would need a download, which mxc never does (IOError)."""
    if fname is None:
        fname = url.split('/')[-1]
    if dirname is not None:
        fname = os.path.join(dirname, fname)
    if os.path.exists(fname) and not overwrite:
        return fname
    raise _offline("download(%s)" % url, fname)


def download_model(model_name, dst_dir='./', meta_info=None):
    """MXNet's model-zoo download: not available offline (IOError)."""
    raise _offline("download_model(%s)" % model_name, dst_dir)


def get_mnist_pkl():
    """MXNet's mnist.pkl.gz download: not available offline (IOError); use get_mnist()."""
    raise _offline("get_mnist_pkl (use get_mnist(), which reads the local Fashion-MNIST)", "data/mnist.pkl.gz")


def get_cifar10():
    """MXNet's CIFAR-10 download: not available offline (IOError)."""
    raise _offline("get_cifar10", "data/cifar/train.rec, data/cifar/test.rec")


def get_zip_data(data_dir, url, data_origin_name):
    """MXNet's download-and-unzip: not available offline (IOError)."""
    raise _offline("get_zip_data(%s)" % url, os.path.join(data_dir, data_origin_name))


def get_bz2_data(data_dir, data_name, url, data_origin_name):
    """MXNet's download-and-bunzip: uses ``data_dir/data_name`` when it exists, else IOError (offline)."""
    if os.path.exists(os.path.join(data_dir, data_name)):
        return
    raise _offline("get_bz2_data(%s)" % url, os.path.join(data_dir, data_name))
