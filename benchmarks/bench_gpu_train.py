"""Training throughput on one GPU, mxc next to PyTorch: MLP 784-128-10 and LeNet (samples/s, batch 128) and a
ResNet-style convolutional network (ms per training step, batch 32, 3x32x32). Synthetic data; SGD with momentum.

    python3 benchmarks/bench_gpu_train.py [--iters 50] [--only mxc|torch]

Prints one table row per (framework, model). A framework that cannot run here is reported as skipped.
Convolutions: "mxc" picks cuDNN or its own im2col + GEMM kernels per geometry by timing both (the default;
MXC_CUDA_CONV_VERBOSE=1 prints the choices), "mxc-gemm" runs its own kernels only (MXC_CUDA_CONV=gemm). PyTorch runs
with cudnn.benchmark (it times cuDNN's algorithms too) and without TF32, as mxc's float32 convolutions use FMA math."""
import argparse
import os
import sys
import time

import numpy as np


def models_mxc(mx):
    sym = mx.sym

    def mlp():
        d = sym.Variable("data")
        h = sym.Activation(sym.FullyConnected(d, num_hidden=128, name="fc1"), act_type="relu")
        o = sym.FullyConnected(h, num_hidden=10, name="fc2")
        return sym.SoftmaxOutput(o, name="softmax"), (128, 784)

    def lenet():
        d = sym.Variable("data")
        c1 = sym.Activation(sym.Convolution(d, kernel=(5, 5), num_filter=20, name="c1"), act_type="tanh")
        p1 = sym.Pooling(c1, pool_type="max", kernel=(2, 2), stride=(2, 2))
        c2 = sym.Activation(sym.Convolution(p1, kernel=(5, 5), num_filter=50, name="c2"), act_type="tanh")
        p2 = sym.Pooling(c2, pool_type="max", kernel=(2, 2), stride=(2, 2))
        f = sym.Activation(sym.FullyConnected(sym.Flatten(p2), num_hidden=500, name="f1"), act_type="tanh")
        o = sym.FullyConnected(f, num_hidden=10, name="f2")
        return sym.SoftmaxOutput(o, name="softmax"), (128, 1, 28, 28)

    def resnet():
        def block(x, ch, name):
            y = sym.Activation(sym.BatchNorm(sym.Convolution(x, kernel=(3, 3), pad=(1, 1), num_filter=ch,
                                                             no_bias=True, name=name + "a"), name=name + "bna"),
                               act_type="relu")
            y = sym.BatchNorm(sym.Convolution(y, kernel=(3, 3), pad=(1, 1), num_filter=ch, no_bias=True,
                                              name=name + "b"), name=name + "bnb")
            return sym.Activation(x + y, act_type="relu")
        d = sym.Variable("data")
        x = sym.Activation(sym.Convolution(d, kernel=(3, 3), pad=(1, 1), num_filter=32, name="stem"), act_type="relu")
        for i in range(3):
            x = block(x, 32, "r%d" % i)
        x = sym.Pooling(x, global_pool=True, pool_type="avg", kernel=(1, 1))
        o = sym.FullyConnected(sym.Flatten(x), num_hidden=10, name="fc")
        return sym.SoftmaxOutput(o, name="softmax"), (32, 3, 32, 32)

    return {"mlp": mlp, "lenet": lenet, "resnet": resnet}


def bench_mxc(name, iters):
    import mxc as mx
    if mx.context.num_gpus() == 0:
        return None, "no GPU visible to mxc"
    if not hasattr(mx.sym, "Variable") or not hasattr(mx.sym.Symbol if hasattr(mx.sym, "Symbol") else object,
                                                      "simple_bind"):
        return None, "mxc has no symbolic executor in this build"
    ctx = mx.gpu(0)
    net, dshape = models_mxc(mx)[name]()
    ex = net.simple_bind(ctx=ctx, grad_req="write", data=dshape)
    rng = np.random.RandomState(0)
    for k, a in ex.arg_dict.items():
        if k == "data":
            a[:] = rng.uniform(0, 1, a.shape).astype(np.float32)
        elif k.endswith("label"):
            a[:] = rng.randint(0, 10, a.shape).astype(np.float32)
        elif k.endswith("gamma"):
            a[:] = 1
        elif k.endswith("beta") or k.endswith("bias"):
            a[:] = 0
        else:
            a[:] = rng.normal(0, 0.05, a.shape).astype(np.float32)
    params = [k for k in ex.arg_dict if k != "data" and not k.endswith("label")]
    moms = {k: mx.nd.zeros(ex.arg_dict[k].shape, ctx=ctx) for k in params}

    def step():
        ex.forward(is_train=True)
        ex.backward()
        for k in params:
            mx.nd.sgd_mom_update(ex.arg_dict[k], ex.grad_dict[k], moms[k], out=ex.arg_dict[k], lr=0.01,
                                 momentum=0.9, rescale_grad=1.0 / dshape[0])
    for _ in range(3):
        step()
    mx.nd.waitall()
    t = time.time()
    for _ in range(iters):
        step()
    mx.nd.waitall()
    dt = (time.time() - t) / iters
    return (dt, dshape[0]), ""


def bench_torch(name, iters):
    try:
        import torch
        import torch.nn as nn
    except ImportError:
        return None, "PyTorch not installed"
    if not torch.cuda.is_available():
        return None, "PyTorch sees no GPU"
    dev = torch.device("cuda:0")
    torch.backends.cudnn.benchmark = True
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    if name == "mlp":
        m, shape = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10)), (128, 784)
    elif name == "lenet":
        m = nn.Sequential(nn.Conv2d(1, 20, 5), nn.Tanh(), nn.MaxPool2d(2), nn.Conv2d(20, 50, 5), nn.Tanh(),
                          nn.MaxPool2d(2), nn.Flatten(), nn.Linear(800, 500), nn.Tanh(), nn.Linear(500, 10))
        shape = (128, 1, 28, 28)
    else:
        class Block(nn.Module):
            def __init__(self, ch):
                super().__init__()
                self.a = nn.Sequential(nn.Conv2d(ch, ch, 3, padding=1, bias=False), nn.BatchNorm2d(ch), nn.ReLU(),
                                       nn.Conv2d(ch, ch, 3, padding=1, bias=False), nn.BatchNorm2d(ch))

            def forward(self, x):
                return torch.relu(x + self.a(x))
        m = nn.Sequential(nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), Block(32), Block(32), Block(32),
                          nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))
        shape = (32, 3, 32, 32)
    m = m.to(dev)
    opt = torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9)
    x = torch.rand(shape, device=dev)
    y = torch.randint(0, 10, (shape[0],), device=dev)
    lossf = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad(set_to_none=True)
        lossf(m(x), y).backward()
        opt.step()
    for _ in range(3):
        step()
    torch.cuda.synchronize()
    t = time.time()
    for _ in range(iters):
        step()
    torch.cuda.synchronize()
    return ((time.time() - t) / iters, shape[0]), ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iters", type=int, default=50)
    ap.add_argument("--only", choices=["mxc", "torch"])
    args = ap.parse_args()
    rows = []
    for fw, fn in (("mxc", bench_mxc), ("mxc-gemm", bench_mxc), ("torch", bench_torch)):
        if args.only and not fw.startswith(args.only):
            continue
        for name in ("mlp", "lenet", "resnet"):
            if fw == "mxc-gemm" and name == "mlp":
                continue  # no convolution
            old = os.environ.get("MXC_CUDA_CONV")
            if fw == "mxc-gemm":
                os.environ["MXC_CUDA_CONV"] = "gemm"
            try:
                r, why = fn(name, args.iters)
            except Exception as e:  # report and go on
                r, why = None, "%s: %s" % (type(e).__name__, str(e).splitlines()[0][:100] if str(e) else "")
            finally:
                if old is None:
                    os.environ.pop("MXC_CUDA_CONV", None)
                else:
                    os.environ["MXC_CUDA_CONV"] = old
            rows.append((fw, name, r, why))
            sys.stdout.flush()
    print("%-8s %-7s %14s %14s  %s" % ("fw", "model", "step (ms)", "samples/s", "note"))
    for fw, name, r, why in rows:
        if r is None:
            print("%-8s %-7s %14s %14s  skipped: %s" % (fw, name, "-", "-", why))
        else:
            dt, bs = r
            print("%-8s %-7s %14.3f %14.0f" % (fw, name, dt * 1e3, bs / dt))
    steps = {(fw, name): r[0] for fw, name, r, _ in rows if r is not None}
    for name in ("mlp", "lenet", "resnet"):
        for fw in ("mxc", "mxc-gemm"):
            if (fw, name) in steps and ("torch", name) in steps:
                print("ratio %-8s/torch %-7s step time %.2fx" % (fw, name, steps[(fw, name)] / steps[("torch", name)]))


if __name__ == "__main__":
    main()
