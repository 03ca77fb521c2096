"""3x3 stride-1 convolutions (ResNet's), forward and forward+backward: mxc with its own choice of algorithm (Winograd
F(2x2, 3x3) on large enough layers, core/ops/winograd.h), mxc forced to im2col + GEMM (MXC_CONV_WINOGRAD=0 around
each call), and PyTorch, interleaved in one run.

    python benchmarks/bench_conv3x3.py [--rounds 9] [--calls 5]

Cases "NxCxS": batch N, C channels in and out, S x S images, padding 1, no bias, float32.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bindings", "python"))
import mxc as mx  # noqa: E402
import sidebyside  # noqa: E402

SHAPES = [(8, 64, 28), (32, 64, 56), (16, 64, 28), (64, 128, 28), (8, 128, 14), (64, 256, 7), (8, 512, 4)]


def make_cases(torch):
    rng = np.random.default_rng(0)
    mine, im2col, th = {}, {}, {}
    for n, c, s in SHAPES:
        x = rng.uniform(-1, 1, (n, c, s, s)).astype(np.float32)
        w = rng.uniform(-1, 1, (c, c, 3, 3)).astype(np.float32)
        dy = rng.uniform(-1, 1, (n, c, s, s)).astype(np.float32)
        xm, wm, dym = mx.nd.array(x), mx.nd.array(w), mx.nd.array(dy)
        xm.attach_grad()
        wm.attach_grad()

        def fwd(xm=xm, wm=wm, c=c):
            mx.nd.Convolution(xm, wm, kernel=(3, 3), pad=(1, 1), num_filter=c, no_bias=True).wait_to_read()

        def fwd_bwd(xm=xm, wm=wm, dym=dym, c=c):
            with mx.autograd.record():
                y = mx.nd.Convolution(xm, wm, kernel=(3, 3), pad=(1, 1), num_filter=c, no_bias=True)
            y.backward(dym)
            xm.grad.wait_to_read()
            wm.grad.wait_to_read()

        def forced(f):
            def run():
                os.environ["MXC_CONV_WINOGRAD"] = "0"
                try:
                    f()
                finally:
                    del os.environ["MXC_CONV_WINOGRAD"]
            return run

        name = "%dx%dx%d" % (n, c, s)
        mine[name + " fwd"], mine[name + " fwd+bwd"] = fwd, fwd_bwd
        im2col[name + " fwd"], im2col[name + " fwd+bwd"] = forced(fwd), forced(fwd_bwd)
        if torch is not None:
            xt = torch.tensor(x, requires_grad=True)
            wt = torch.tensor(w, requires_grad=True)
            dyt = torch.tensor(dy)

            def tfwd(xt=xt, wt=wt):
                with torch.no_grad():
                    torch.nn.functional.conv2d(xt, wt, padding=1)

            def tfwd_bwd(xt=xt, wt=wt, dyt=dyt):
                xt.grad = wt.grad = None
                torch.nn.functional.conv2d(xt, wt, padding=1).backward(dyt)

            th[name + " fwd"], th[name + " fwd+bwd"] = tfwd, tfwd_bwd
    cases = {"mxc": mine, "mxc-im2col": im2col}
    if torch is not None:
        cases["torch"] = th
    return cases


if __name__ == "__main__":
    sidebyside.main(make_cases, "ms", mx.__version__)
