"""Recurrent layers: mxc's gluon.rnn.LSTM and GRU vs PyTorch's nn.LSTM and nn.GRU (CPU), side by side in one run.

    python benchmarks/bench_rnn.py [--rounds 9] [--calls 20]

Cases (float32, layout TNC, T=35, N=32, input 128, hidden 128, one layer, zero begin states), for lstm and gru:
  forward           the layer's forward (not recorded; PyTorch under no_grad)
  forward+backward  forward recorded, backward of the output's sum into the weights and the input
  ... (hybridized)  the same with layer.hybridize(): the graph (one RNN node) runs as one CachedOp; PyTorch's column
                    repeats its layer

mxc's layers run the fused RNN operator (one GEMM for the input projection of every step, then the recurrence: per
step a product with W_h, packed once, and the gate math, each block of the batch's rows on its own thread; backward
through time from the kept gates, then one GEMM each for the weights' and the input's gradients), as PyTorch's fused
CPU kernel does. PyTorch is used when installed (pip install torch==2.13.0), in its own process (sidebyside.py). With
a source checkout:
PYTHONPATH=bindings/python MXC_LIBRARY_PATH=$PWD/build/libmxc.so.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bindings", "python"))
import mxc as mx  # noqa: E402
import sidebyside  # noqa: E402
from mxc import autograd, nd  # noqa: E402
from mxc.gluon import rnn  # noqa: E402

T, N, I, H = 35, 32, 128, 128


def make_cases(torch):
    x = np.random.RandomState(0).randn(T, N, I).astype(np.float32)
    X = nd.array(x)
    XV = nd.array(x)
    XV.attach_grad()

    def fwd(layer):
        return lambda: layer(X).wait_to_read()

    def fwd_bwd(layer):
        def run():
            with autograd.record():
                out = layer(XV)
            out.backward()
            XV.grad.wait_to_read()
        return run

    cases = {"mxc": {}, "torch": {}} if torch is not None else {"mxc": {}}
    for kind, layer, tlayer in (("lstm", rnn.LSTM, "LSTM"), ("gru", rnn.GRU, "GRU")):
        plain, hyb = layer(H, input_size=I), layer(H, input_size=I)
        for net in (plain, hyb):
            net.initialize(mx.init.Uniform(0.1))
        hyb.hybridize()
        cases["mxc"].update({kind + " forward": fwd(plain), kind + " forward+backward": fwd_bwd(plain),
                             kind + " forward (hybridized)": fwd(hyb), kind + " fwd+bwd (hybridized)": fwd_bwd(hyb)})
        if torch is None:
            continue
        tl = getattr(torch.nn, tlayer)(I, H)
        tx = torch.tensor(x)
        txv = torch.tensor(x, requires_grad=True)

        def t_fwd(tl=tl, tx=tx):
            with torch.no_grad():
                tl(tx)

        def t_fwd_bwd(tl=tl, txv=txv):
            tl.zero_grad()
            txv.grad = None
            tl(txv)[0].sum().backward()

        cases["torch"].update({kind + " forward": t_fwd, kind + " forward+backward": t_fwd_bwd,
                               kind + " forward (hybridized)": t_fwd, kind + " fwd+bwd (hybridized)": t_fwd_bwd})
    return cases


if __name__ == "__main__":
    sidebyside.main(make_cases, "ms", mx.__version__)
