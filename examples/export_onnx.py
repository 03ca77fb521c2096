"""Exports a small Gluon CNN to ONNX (HybridBlock.export, then mx.onnx.export_model) and runs it in ONNX Runtime,
comparing the result with mxc's own forward. Needs: pip install onnx onnxruntime."""
import os
import tempfile

import numpy as np
import onnxruntime as ort

import mxc as mx
from mxc.gluon import nn

net = nn.HybridSequential()
net.add(nn.Conv2D(8, 3, padding=1, activation="relu"), nn.BatchNorm(), nn.MaxPool2D(2),
        nn.Conv2D(16, 3, activation="relu"), nn.GlobalAvgPool2D(), nn.Dense(10))
net.initialize(mx.init.Xavier())
net.hybridize()
x = np.random.RandomState(0).uniform(0, 1, (4, 1, 28, 28)).astype(np.float32)
want = net(mx.nd.array(x)).asnumpy()

folder = tempfile.mkdtemp()
prefix = os.path.join(folder, "cnn")
net.export(prefix)
path = mx.onnx.export_model(prefix + "-symbol.json", prefix + "-0000.params", [(4, 1, 28, 28)], np.float32,
                            os.path.join(folder, "cnn.onnx"), dynamic=True)
print(mx.onnx.get_model_metadata(path))
sess = ort.InferenceSession(path)
got = sess.run(None, {"data": x})[0]
print("max |onnxruntime - mxc| =", float(np.abs(got - want).max()))
assert np.allclose(got, want, rtol=1e-4, atol=1e-5)
print("batch of 2 with the symbolic batch axis:", sess.run(None, {"data": x[:2]})[0].shape)
