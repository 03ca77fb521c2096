"""Model-zoo networks: mxc's gluon.model_zoo.vision vs the same architectures written in PyTorch (CPU), side by
side in one run.

    python benchmarks/bench_vision.py [--rounds 5] [--calls 3]

Cases (float32, NCHW, batch 8 of 3x112x112, 10 classes, hybridized, BatchNorm in the mode of the case):
  resnet18_v1 inference     forward in prediction mode (PyTorch: eval() under no_grad)
  resnet18_v1 train step    forward recorded, softmax cross-entropy, backward, SGD update (momentum 0.9)
  mobilenet0.25 ...         the same for MobileNet v1 with width multiplier 0.25

The PyTorch networks below are written to have the same layers, shapes and parameter counts as the model-zoo ones
(checked at start). PyTorch is used when installed (pip install torch==2.13.0). With a source checkout:
PYTHONPATH=bindings/python MXC_LIBRARY_PATH=$PWD/build/libmxc.so.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bindings", "python"))
import mxc as mx  # noqa: E402
import sidebyside  # noqa: E402
from mxc import autograd, gluon, nd  # noqa: E402
from mxc.gluon.model_zoo import vision  # noqa: E402

N, C, S, K = 8, 3, 112, 10


def torch_nets(torch):
    nn = torch.nn

    def conv_bn(cin, cout, k, stride, groups=1, relu=True):
        layers = [nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
        return layers + ([nn.ReLU()] if relu else [])

    class Basic(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.body = nn.Sequential(*conv_bn(cin, cout, 3, stride), *conv_bn(cout, cout, 3, 1, relu=False))
            self.down = (nn.Sequential(*conv_bn(cin, cout, 1, stride, relu=False))
                         if stride != 1 or cin != cout else None)

        def forward(self, x):
            return torch.relu(self.body(x) + (x if self.down is None else self.down(x)))

    def resnet18():
        layers = [*conv_bn(3, 64, 7, 2), nn.MaxPool2d(3, 2, 1)]
        cin = 64
        for cout, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
            layers += [Basic(cin, cout, stride), Basic(cout, cout, 1)]
            cin = cout
        return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, K))

    def mobilenet(m=0.25):
        spec = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + [(1024, 2), (1024, 1)]
        cin = int(32 * m)
        layers = conv_bn(3, cin, 3, 2)
        for cout, stride in spec:
            cout = int(cout * m)
            layers += conv_bn(cin, cin, 3, stride, groups=cin) + conv_bn(cin, cout, 1, 1)
            cin = cout
        return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, K))

    return {"resnet18_v1": resnet18(), "mobilenet0.25": mobilenet()}


def make_cases(torch):
    rng = np.random.RandomState(0)
    x = rng.rand(N, C, S, S).astype(np.float32)
    y = rng.randint(0, K, N).astype(np.float32)
    X, Y = nd.array(x), nd.array(y)
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    cases = {"mxc": {}}
    counts = {}
    for name in ("resnet18_v1", "mobilenet0.25"):
        net = vision.get_model(name, classes=K)
        net.initialize(mx.init.Xavier())
        net.hybridize()
        net(X).wait_to_read()
        counts[name] = sum(int(np.prod(p.shape)) for p in net.collect_params().values()
                           if not p.name.endswith(("running_mean", "running_var")))
        trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.01, "momentum": 0.9})

        def infer(net=net):
            net(X).wait_to_read()

        def train(net=net, trainer=trainer):
            with autograd.record():
                out = loss(net(X), Y)
            out.backward()
            trainer.step(N)
            nd.waitall()  # the updates too

        cases["mxc"][name + " inference"] = infer
        cases["mxc"][name + " train step"] = train
    if torch is not None:
        tx, ty = torch.tensor(x), torch.tensor(y, dtype=torch.long)
        cases["torch"] = {}
        for name, tnet in torch_nets(torch).items():
            n = sum(p.numel() for p in tnet.parameters())
            if n != counts[name]:
                raise SystemExit("the PyTorch %s has %d parameters, mxc's %d: not the same network"
                                 % (name, n, counts[name]))
            opt = torch.optim.SGD(tnet.parameters(), lr=0.01, momentum=0.9)
            crit = torch.nn.CrossEntropyLoss()

            def t_infer(tnet=tnet):
                tnet.eval()
                with torch.no_grad():
                    tnet(tx)

            def t_train(tnet=tnet, opt=opt, crit=crit):
                tnet.train()
                opt.zero_grad()
                crit(tnet(tx), ty).backward()
                opt.step()

            cases["torch"][name + " inference"] = t_infer
            cases["torch"][name + " train step"] = t_train
    return cases


if __name__ == "__main__":
    sys.argv += [] if "--rounds" in sys.argv else ["--rounds", "5"]
    sys.argv += [] if "--calls" in sys.argv else ["--calls", "3"]
    sidebyside.main(make_cases, "ms", mx.__version__)
