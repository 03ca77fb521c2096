"""LayerNorm and the ordering operators: mxc vs NumPy vs PyTorch (CPU), side by side in one run.

    python benchmarks/bench_norm_sort.py [--rounds 9]

Cases (float32):
  layernorm        LayerNorm over the last axis of (256, 1024), forward (mxc waits for the result)
  layernorm+grad   forward and backward of the same through an executor (PyTorch: autograd; NumPy: hand-written)
  topk             the 5 largest values' indices of each row of (1024, 1000) (a batch of class scores)
  argsort          argsort of each row of (256, 1000)

Every round runs every case of every framework once (interleaved); the table shows the median over rounds of the
time per call, and the ratio mxc / PyTorch. PyTorch is used when installed (pip install torch==2.13.0).
With a source checkout: PYTHONPATH=bindings/python MXC_LIBRARY_PATH=$PWD/build/libmxc.so.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bindings", "python"))
import mxc as mx  # noqa: E402
import sidebyside  # noqa: E402


def make_cases(torch):
    rs = np.random.RandomState(0)
    x = rs.randn(256, 1024).astype(np.float32)
    g = rs.uniform(0.5, 1.5, 1024).astype(np.float32)
    b = rs.randn(1024).astype(np.float32)
    head = rs.randn(*x.shape).astype(np.float32)
    scores = rs.randn(1024, 1000).astype(np.float32)
    rows = rs.randn(256, 1000).astype(np.float32)
    cases = {}

    X, G, B = mx.nd.array(x), mx.nd.array(g), mx.nd.array(b)
    S, R = mx.nd.array(scores), mx.nd.array(rows)
    sym = mx.sym.LayerNorm(mx.sym.Variable("data"), name="ln")
    ex = sym.simple_bind(mx.cpu(), data=x.shape)
    ex.arg_dict["data"][:] = x
    ex.arg_dict["ln_gamma"][:] = g
    ex.arg_dict["ln_beta"][:] = b
    H = mx.nd.array(head)

    def mxc_ln_grad():
        ex.forward(is_train=True)
        ex.backward(H)
        ex.grad_dict["data"].wait_to_read()

    m = {"layernorm": lambda: mx.nd.LayerNorm(X, G, B).wait_to_read(), "layernorm+grad": mxc_ln_grad}
    if hasattr(mx.nd, "topk"):
        m["topk"] = lambda: mx.nd.topk(S, k=5).wait_to_read()
        m["argsort"] = lambda: mx.nd.argsort(R).wait_to_read()
    cases["mxc"] = m

    def np_ln(x=x):
        mu = x.mean(axis=1, keepdims=True)
        sd = np.sqrt(x.var(axis=1, keepdims=True) + 1e-5)
        return (x - mu) / sd * g + b, mu, sd

    def np_ln_grad():
        y, mu, sd = np_ln()
        xh = (x - mu) / sd
        hg = head * g
        dx = (hg - hg.mean(axis=1, keepdims=True) - xh * (hg * xh).mean(axis=1, keepdims=True)) / sd
        return dx, (head * xh).sum(axis=0), head.sum(axis=0)

    cases["numpy"] = {"layernorm": np_ln, "layernorm+grad": np_ln_grad,
                      "topk": lambda: np.argpartition(-scores, 5, axis=1)[:, :5],
                      "argsort": lambda: np.argsort(rows, axis=1, kind="stable")}
    if torch is not None:
        tx, tg, tb = torch.tensor(x), torch.tensor(g), torch.tensor(b)
        txg = torch.tensor(x, requires_grad=True)
        tgg, tbg = torch.tensor(g, requires_grad=True), torch.tensor(b, requires_grad=True)
        th = torch.tensor(head)
        ts, tr = torch.tensor(scores), torch.tensor(rows)

        def t_ln():
            with torch.no_grad():
                return torch.nn.functional.layer_norm(tx, (1024,), tg, tb, 1e-5)

        def t_ln_grad():
            for t in (txg, tgg, tbg):
                t.grad = None
            torch.nn.functional.layer_norm(txg, (1024,), tgg, tbg, 1e-5).backward(th)

        cases["torch"] = {"layernorm": t_ln, "layernorm+grad": t_ln_grad,
                          "topk": lambda: torch.topk(ts, 5, dim=1).indices,
                          "argsort": lambda: torch.argsort(tr, dim=1, stable=True)}
    return cases


if __name__ == "__main__":
    sidebyside.main(make_cases, "ms", mx.__version__)
