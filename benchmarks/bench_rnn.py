"""Recurrent layers: mxc's gluon.rnn.LSTM vs PyTorch's nn.LSTM (CPU), side by side in one run.

    python benchmarks/bench_rnn.py [--rounds 9] [--calls 20]

Cases (float32, layout TNC, T=35, N=32, input 128, hidden 128, one layer, zero begin states):
  lstm forward           the layer's forward (not recorded; PyTorch under no_grad)
  lstm forward+backward  forward recorded, backward of the output's sum into the weights and the input
  ... (hybridized)       the same with lstm.hybridize(): the unrolled graph runs as one CachedOp (one library call
                         instead of one per operator); PyTorch's column repeats its nn.LSTM

mxc has no fused RNN operator: its LSTM runs the cell's math over time with ordinary operators (one
FullyConnected for the whole input projection, then per step a FullyConnected, a split, the gate activations and
elementwise ops), against PyTorch's fused CPU kernel. PyTorch is used when installed (pip install torch==2.13.0).
With a source checkout: PYTHONPATH=bindings/python MXC_LIBRARY_PATH=$PWD/build/libmxc.so.
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
    lstm = rnn.LSTM(H, input_size=I)
    lstm.initialize(mx.init.Uniform(0.1))
    X = nd.array(x)
    XV = nd.array(x)
    XV.attach_grad()

    hyb = rnn.LSTM(H, input_size=I)
    hyb.initialize(mx.init.Uniform(0.1))
    hyb.hybridize()

    def fwd(layer):
        return lambda: layer(X).wait_to_read()

    def fwd_bwd(layer):
        def run():
            with autograd.record():
                out = layer(XV)
            out.backward()
            XV.grad.wait_to_read()
        return run

    cases = {"mxc": {"lstm forward": fwd(lstm), "lstm forward+backward": fwd_bwd(lstm),
                     "lstm forward (hybridized)": fwd(hyb), "lstm fwd+bwd (hybridized)": fwd_bwd(hyb)}}
    if torch is not None:
        tl = torch.nn.LSTM(I, H)
        tx = torch.tensor(x)
        txv = torch.tensor(x, requires_grad=True)

        def t_fwd():
            with torch.no_grad():
                tl(tx)

        def t_fwd_bwd():
            tl.zero_grad()
            txv.grad = None
            tl(txv)[0].sum().backward()

        cases["torch"] = {"lstm forward": t_fwd, "lstm forward+backward": t_fwd_bwd,
                          "lstm forward (hybridized)": t_fwd, "lstm fwd+bwd (hybridized)": t_fwd_bwd}
    return cases


if __name__ == "__main__":
    sidebyside.main(make_cases, "ms", mx.__version__)
