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
  mlp step hybrid      the same Gluon step after net.hybridize() (the network runs as one CachedOp call)
  mlp infer gluon      the Gluon MLP's forward alone, not recorded (PyTorch: under torch.no_grad())
  mlp infer hybrid     the same after hybridize()
  lenet step gluon     one training step of a LeNet-sized net (conv 6@5x5, pool, conv 16@5x5, pool, dense 120, 84,
                       10) on 16 images 1x28x28, gluon.Trainer('sgd') (PyTorch: the same layers)
  lenet step hybrid    the same after hybridize()
  lenet infer gluon    its forward alone, not recorded; lenet infer hybrid: after hybridize()
  tiny infer gluon     forward of a small MLP 16-16-16-4 on a batch of 4, not recorded (the per-layer overhead);
                       tiny infer hybrid: after hybridize()

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

    hnet = gluon.nn.HybridSequential()
    hnet.add(gluon.nn.Dense(256, activation="relu", in_units=784), gluon.nn.Dense(10, in_units=256))
    hnet.initialize(mx.init.Xavier())
    hnet.hybridize()
    htrainer = gluon.Trainer(hnet.collect_params(), "sgd", {"learning_rate": lr})

    def m_hybrid():
        with autograd.record():
            loss = gloss(hnet(X), Y)
        loss.backward()
        htrainer.step(64)
        loss.wait_to_read()

    img = rs.randn(16, 1, 28, 28).astype(np.float32)
    ilab = rs.randint(0, 10, 16).astype(np.float32)
    IMG, ILAB = nd.array(img), nd.array(ilab)

    def lenet():
        n = gluon.nn.HybridSequential()
        n.add(gluon.nn.Conv2D(6, 5, activation="relu", in_channels=1), gluon.nn.MaxPool2D(2),
              gluon.nn.Conv2D(16, 5, activation="relu", in_channels=6), gluon.nn.MaxPool2D(2), gluon.nn.Flatten(),
              gluon.nn.Dense(120, activation="relu", in_units=256), gluon.nn.Dense(84, activation="relu", in_units=120),
              gluon.nn.Dense(10, in_units=84))
        n.initialize(mx.init.Xavier())
        return n, gluon.Trainer(n.collect_params(), "sgd", {"learning_rate": lr})

    (lnet, ltrainer), (lhnet, lhtrainer) = lenet(), lenet()
    lhnet.hybridize()

    def tiny():
        n = gluon.nn.HybridSequential()
        n.add(gluon.nn.Dense(16, activation="relu", in_units=16), gluon.nn.Dense(16, activation="relu", in_units=16),
              gluon.nn.Dense(4, in_units=16))
        n.initialize(mx.init.Xavier())
        return n

    tx16 = rs.randn(4, 16).astype(np.float32)
    TX16 = nd.array(tx16)
    tnet_g, tnet_h = tiny(), tiny()
    tnet_h.hybridize()

    def step_of(n, tr, x, y, bs):
        def step():
            with autograd.record():
                loss = gloss(n(x), y)
            loss.backward()
            tr.step(bs)
            loss.wait_to_read()
        return step

    def infer_of(n, x):
        return lambda: n(x).wait_to_read()

    cases["mxc"] = {"mul (16,)": lambda: A * B, "10 mul recorded": m_rec, "chain 20 + backward": m_chain,
                    "mlp step autograd": m_mlp, "mlp step executor": m_exec,
                    "mlp step gluon": m_gluon, "mlp step hybrid": m_hybrid,
                    "mlp infer gluon": infer_of(gnet, X), "mlp infer hybrid": infer_of(hnet, X),
                    "lenet step gluon": step_of(lnet, ltrainer, IMG, ILAB, 16),
                    "lenet step hybrid": step_of(lhnet, lhtrainer, IMG, ILAB, 16),
                    "lenet infer gluon": infer_of(lnet, IMG), "lenet infer hybrid": infer_of(lhnet, IMG),
                    "tiny infer gluon": infer_of(tnet_g, TX16), "tiny infer hybrid": infer_of(tnet_h, TX16)}

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

        nn = torch.nn
        tlenet = nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
                               nn.MaxPool2d(2), nn.Flatten(), nn.Linear(256, 120), nn.ReLU(), nn.Linear(120, 84),
                               nn.ReLU(), nn.Linear(84, 10))
        tlopt = torch.optim.SGD(tlenet.parameters(), lr=lr)
        timg, tilab = torch.tensor(img), torch.tensor(ilab).long()

        def t_lenet():
            tlopt.zero_grad()
            tloss(tlenet(timg), tilab).backward()
            tlopt.step()

        def t_infer(m, x):
            def run():
                with torch.no_grad():
                    return m(x)
            return run

        cases["torch"] = {"mul (16,)": t_mul, "10 mul recorded": t_rec,
                          "chain 20 + backward": t_chain, "mlp step autograd": t_mlp,
                          "mlp step gluon": t_nn, "mlp step hybrid": t_nn,
                          "mlp infer gluon": t_infer(tnet, tx), "mlp infer hybrid": t_infer(tnet, tx),
                          "lenet step gluon": t_lenet, "lenet step hybrid": t_lenet,
                          "lenet infer gluon": t_infer(tlenet, timg), "lenet infer hybrid": t_infer(tlenet, timg)}
        ttiny = nn.Sequential(nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 4))
        cases["torch"]["tiny infer gluon"] = cases["torch"]["tiny infer hybrid"] = t_infer(ttiny, torch.tensor(tx16))
    return cases


if __name__ == "__main__":
    sidebyside.main(make_cases, "us", mx.__version__)
