"""Autograd (imperative recording and backward): mxc vs PyTorch (CPU), side by side in one run.

    python benchmarks/bench_autograd.py [--rounds 9] [--calls 20]

Cases (float32):
  mul (16,)            c = a * b on small arrays, not recorded (the per-call cost of an operator)
  10 mul recorded      ten such calls inside one autograd.record() with `a` a variable (PyTorch: a.requires_grad)
  chain 20 + backward  twenty small multiply/add calls recorded, then backward (the tape's fixed costs)
  mlp step autograd    one training step of an MLP 784-256-10 on a batch of 64: forward recorded, backward, SGD
  mlp step executor    mxc only: the same step through simple_bind (forward/backward of a bound symbol)
  mlp step gluon       the same step with gluon.nn.Dense layers, SoftmaxCrossEntropyLoss and gluon.Trainer('sgd')
                       (PyTorch: nn.Linear, CrossEntropyLoss, optim.SGD)

Every round runs every case of every framework once (interleaved); the table shows the median over rounds of the
time per call and the ratio mxc / PyTorch. PyTorch is used when installed (pip install torch==2.13.0).
With a source checkout: PYTHONPATH=bindings/python MXC_LIBRARY_PATH=$PWD/build/libmxc.so.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bindings", "python"))
import mxc as mx  # noqa: E402
import sidebyside  # noqa: E402
from mxc import autograd, nd  # noqa: E402


def make_cases(torch):
    rs = np.random.RandomState(0)
    a16, b16 = rs.randn(16).astype(np.float32), rs.randn(16).astype(np.float32)
    x = rs.randn(64, 784).astype(np.float32)
    y = rs.randint(0, 10, 64).astype(np.float32)
    w1 = (rs.randn(256, 784) * 0.05).astype(np.float32)
    w2 = (rs.randn(10, 256) * 0.05).astype(np.float32)
    lr = 0.01
    cases = {}

    A, B = nd.array(a16), nd.array(b16)
    AV = nd.array(a16)
    AV.attach_grad()
    X, Y = nd.array(x), nd.array(y)
    P = [nd.array(w1), nd.zeros(256), nd.array(w2), nd.zeros(10)]
    for p in P:
        p.attach_grad()

    def m_rec():
        with autograd.record():
            for _ in range(10):
                c = AV * B
        return c

    def m_chain():
        with autograd.record():
            c = AV
            for _ in range(10):
                c = c * B + A
        c.backward()
        AV.grad.wait_to_read()

    def m_mlp():
        with autograd.record():
            h = nd.relu(nd.FullyConnected(X, P[0], P[1], num_hidden=256))
            out = nd.SoftmaxOutput(nd.FullyConnected(h, P[2], P[3], num_hidden=10), Y)
        out.backward()
        for p in P:
            nd.sgd_update(p, p.grad, lr=lr, out=p)
        P[0].wait_to_read()

    data = mx.sym.Variable("data")
    net = mx.sym.FullyConnected(data, num_hidden=256, name="fc1")
    net = mx.sym.Activation(net, act_type="relu")
    net = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(net, num_hidden=10, name="fc2"), name="softmax")
    ex = net.simple_bind(mx.cpu(), data=x.shape, softmax_label=y.shape)
    ex.arg_dict["data"][:] = x
    ex.arg_dict["softmax_label"][:] = y
    ex.arg_dict["fc1_weight"][:] = w1
    ex.arg_dict["fc2_weight"][:] = w2
    names = ["fc1_weight", "fc1_bias", "fc2_weight", "fc2_bias"]

    def m_exec():
        ex.forward(is_train=True)
        ex.backward()
        for n in names:
            nd.sgd_update(ex.arg_dict[n], ex.grad_dict[n], lr=lr, out=ex.arg_dict[n])
        ex.arg_dict["fc1_weight"].wait_to_read()

    from mxc import gluon
    gnet = gluon.nn.HybridSequential()
    gnet.add(gluon.nn.Dense(256, activation="relu", in_units=784), gluon.nn.Dense(10, in_units=256))
    gnet.initialize(mx.init.Xavier())
    gloss = gluon.loss.SoftmaxCrossEntropyLoss()
    gtrainer = gluon.Trainer(gnet.collect_params(), "sgd", {"learning_rate": lr})

    def m_gluon():
        with autograd.record():
            loss = gloss(gnet(X), Y)
        loss.backward()
        gtrainer.step(64)
        loss.wait_to_read()

    cases["mxc"] = {"mul (16,)": lambda: A * B, "10 mul recorded": m_rec, "chain 20 + backward": m_chain,
                    "mlp step autograd": m_mlp, "mlp step executor": m_exec,
                    "mlp step gluon": m_gluon}

    if torch is not None:
        ta, tb = torch.tensor(a16), torch.tensor(b16)
        tav = torch.tensor(a16, requires_grad=True)
        tx, ty = torch.tensor(x), torch.tensor(y).long()
        tp = [torch.tensor(w1, requires_grad=True), torch.zeros(256, requires_grad=True),
              torch.tensor(w2, requires_grad=True), torch.zeros(10, requires_grad=True)]
        F = torch.nn.functional

        def t_mul():
            return ta * tb  # (no tensor requires a gradient: nothing recorded)

        def t_rec():
            for _ in range(10):
                c = tav * tb
            return c

        def t_chain():
            tav.grad = None
            c = tav
            for _ in range(10):
                c = c * tb + ta
            c.backward(torch.ones_like(c))

        def t_mlp():
            for p in tp:
                p.grad = None
            h = F.relu(F.linear(tx, tp[0], tp[1]))
            # SoftmaxOutput's gradient is softmax - onehot per sample (not divided by the batch): the summed loss
            F.cross_entropy(F.linear(h, tp[2], tp[3]), ty, reduction="sum").backward()
            with torch.no_grad():
                for p in tp:
                    p -= lr * p.grad

        tnet = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))
        tloss = torch.nn.CrossEntropyLoss()
        topt = torch.optim.SGD(tnet.parameters(), lr=lr)

        def t_nn():
            topt.zero_grad()
            tloss(tnet(tx), ty).backward()
            topt.step()

        cases["torch"] = {"mul (16,)": t_mul, "10 mul recorded": t_rec,
                          "chain 20 + backward": t_chain, "mlp step autograd": t_mlp,
                          "mlp step gluon": t_nn}
    return cases


if __name__ == "__main__":
    sidebyside.main(make_cases, "us", mx.__version__)
