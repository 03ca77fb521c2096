"""Every registered operator called with odd inputs: run by test_fuzz_ops.py in a subprocess.

usage: python fuzz_ops_prog.py SEED CASES [cpu|gpu]

For each operator, CASES calls with inputs of odd shapes (empty axes, 1-d, 5-d, mismatched), dtypes (float16 to
int8), values (NaN, infinities, huge and negative numbers, which indices and counts also receive) and parameters
(negative, zero, huge, malformed), about half of them recorded and differentiated (with respect to every input, or
to one input alone). Any call may raise an MXNetError:
that is the point. What must not happen is a crash, an abort or a hang: the program prints each call before making
it, so the last line names the call that killed it.
"""
import random
import resource
import signal
import sys
import zlib

import numpy as np

import mxc as mx
from mxc import base
from mxc.ndarray.register import make_function

SHAPES = [(2, 3), (0, 3), (1,), (2, 3, 4, 5), (3,), (2, 0, 4), (1, 1, 1, 1, 1), (4, 4), (2, 3, 4), (5, 1, 3),
          (2, 2, 2, 2, 2), (1, 1, 9, 9)]
DTYPES = ["float32", "float32", "float32", "float64", "float16", "int32", "int64", "uint8", "int8"]
ODD = {
    "int": ["-1", "0", "2147483648", "-1099511627776", "7", "x"],
    "float": ["nan", "inf", "-1", "0", "1e30"],
    "shape": ["()", "(0,)", "(-1,)", "(100000,100000,100000)", "(2,-3)", "(1,1,1,1,1,1,1,1,1,1)", "(3,)", "(2,2)"],
    "boolean": ["2", "maybe", "true", "0"],
    "string": ["bogus", "", "(1,2)", "None"],
}
PLAIN = {"int": "2", "float": "0.5", "shape": "(2,2)", "boolean": "1", "string": "1"}


def kind_of(param_type):
    t = param_type
    if "shape" in t or "tuple" in t:
        return "shape"
    if "int" in t:
        return "int"
    if "float" in t or "double" in t:
        return "float"
    if "bool" in t:
        return "boolean"
    return "string"


def values(shape, dtype, rng):
    n = int(np.prod(shape)) if shape else 1
    if dtype.startswith("float"):
        a = rng.choice([rng.random() * 6 - 3 + np.arange(n) * 0.37, np.full(n, np.nan), np.linspace(0, 1, n),
                        np.array([np.inf, -np.inf, 0, 1e30, -1] * n)[:n]])
    else:
        a = rng.choice([np.arange(n) % 15 - 5, np.full(n, 2 ** 30), np.full(n, -7), np.arange(n)])
    with np.errstate(all="ignore"):
        return np.asarray(a).reshape(shape).astype(dtype)


def cases(meta, rng, count):
    out = []
    for _ in range(count):
        nin = rng.choice([0, 1, 2, 3]) if meta.key_var_num_args else len(meta.input_names)
        same = rng.random() < 0.6
        shape, dtype = rng.choice(SHAPES), rng.choice(DTYPES)
        ins = [(shape if same else rng.choice(SHAPES), dtype if rng.random() < 0.8 else rng.choice(DTYPES))
               for _ in range(nin)]
        params = {}
        for name, ptype, req in zip(meta.param_names, meta.param_types, meta.param_required):
            if name == "ctx":
                continue
            k = kind_of(ptype)
            if req or rng.random() < 0.3:
                params[name] = PLAIN[k] if req and rng.random() < 0.6 else rng.choice(ODD[k])
        r = rng.random()  # gradients of every input, of one input alone (the others not requested), or none
        out.append((ins, params, "all" if r < 0.35 else rng.randrange(max(nin, 1)) if r < 0.5 else None))
    return out


def call(fn, meta, case, rng, ctx):
    ins, params, grad = case
    arrs = [mx.nd.array(values(s, d, rng), dtype=d, ctx=ctx) for s, d in ins]
    if not ins and "ctx" in meta.params:
        params = dict(params, ctx=ctx)
    try:
        if grad is not None and meta.has_gradient and arrs:
            wanted = arrs if grad == "all" else [arrs[grad]]
            for a in wanted:
                a.attach_grad()
            with mx.autograd.record():
                r = fn(*arrs, **params)
            outs = r if isinstance(r, (list, tuple)) else [r]
            outs[0].backward()
            for a in wanted:
                a.grad.asnumpy()
        else:
            r = fn(*arrs, **params)
            outs = r if isinstance(r, (list, tuple)) else [r]
        for o in outs:
            o.asnumpy()
        return True
    except mx.base.MXNetError:
        return False
    except (TypeError, ValueError):  # the binding's own argument checks
        return False
    except MemoryError:  # NumPy's copy of a (legitimately) huge result, under the address-space limit below
        return False
    finally:
        try:
            mx.nd.waitall()
        except mx.base.MXNetError:
            pass


def main(seed, count, dev):
    # A runaway allocation must fail (a MemoryError or a clean MXNetError), not take the machine.
    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))
    ctx = mx.gpu(0) if dev == "gpu" else mx.cpu()
    ok = total = 0
    for name in sorted(base.list_op_names()):
        meta = base.op_meta(name)
        fn = make_function(meta)
        rng = random.Random(zlib.crc32(("%s/%d" % (name, seed)).encode()))
        for i, case in enumerate(cases(meta, rng, count)):
            print("%s case %d: %s" % (name, i, case), flush=True)
            signal.alarm(60)  # a hang ends the program (SIGALRM) with this call printed last
            ok += call(fn, meta, case, rng, ctx)
            total += 1
    signal.alarm(0)
    print("fuzz: %d of %d calls ran, the others raised an error" % (ok, total), flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else "cpu")
