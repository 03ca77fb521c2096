#!/usr/bin/env python3
"""Writes the benchmark's model in both formats and times the native library on it.

The 784-128-10 MLP (Flatten, FullyConnected 128, ReLU, FullyConnected 10, softmax) with seeded random weights:
- <out>/mlp-symbol.json and <out>/mlp-0000.params, as mx.model.save_checkpoint writes them (what mxc's wasm
  Predictor loads);
- <out>/mlp.onnx with the same weights (Gemm with transB=1, Relu, Gemm, Softmax), built with the onnx package's
  helper API, for onnxruntime-web;
- <out>/input.bin: 128 float32 test inputs, and <out>/native.json: the native library's outputs on them (the
  benchmark checks that the wasm module and onnxruntime-web agree with them).

Usage: python benchmarks/js/make_models.py --out DIR
"""
import argparse
import json
import os

import numpy as np

import mxc as mx

IN, HIDDEN, OUT = 784, 128, 10


def network():
    data = mx.sym.Variable("data")
    fc1 = mx.sym.FullyConnected(data=mx.sym.Flatten(data=data), num_hidden=HIDDEN, name="fc1")
    act = mx.sym.Activation(data=fc1, act_type="relu", name="relu1")
    fc2 = mx.sym.FullyConnected(data=act, num_hidden=OUT, name="fc2")
    return mx.sym.SoftmaxOutput(data=fc2, name="softmax")


def weights(seed=0):
    rng = np.random.RandomState(seed)
    s1, s2 = np.sqrt(6.0 / (IN + HIDDEN)), np.sqrt(6.0 / (HIDDEN + OUT))
    return {
        "fc1_weight": rng.uniform(-s1, s1, (HIDDEN, IN)).astype(np.float32),
        "fc1_bias": rng.uniform(-0.1, 0.1, (HIDDEN,)).astype(np.float32),
        "fc2_weight": rng.uniform(-s2, s2, (OUT, HIDDEN)).astype(np.float32),
        "fc2_bias": rng.uniform(-0.1, 0.1, (OUT,)).astype(np.float32),
    }


def write_onnx(path, w):
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    inits = [numpy_helper.from_array(v, name=k) for k, v in w.items()]
    nodes = [
        helper.make_node("Gemm", ["data", "fc1_weight", "fc1_bias"], ["fc1"], transB=1),
        helper.make_node("Relu", ["fc1"], ["relu1"]),
        helper.make_node("Gemm", ["relu1", "fc2_weight", "fc2_bias"], ["fc2"], transB=1),
        helper.make_node("Softmax", ["fc2"], ["prob"], axis=1),
    ]
    graph = helper.make_graph(nodes, "mlp", [helper.make_tensor_value_info("data", TensorProto.FLOAT, ["N", IN])],
                              [helper.make_tensor_value_info("prob", TensorProto.FLOAT, ["N", OUT])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="mxc-benchmarks")
    model.ir_version = 8  # readable by every onnxruntime-web of the last years
    onnx.checker.check_model(model)
    onnx.save(model, path)


def native_outputs(sym, w, x):
    """The native library's softmax outputs for the inputs x (one forward of the bound checkpoint weights)."""
    args = {k: mx.nd.array(v) for k, v in w.items()}
    args["data"] = mx.nd.array(x)
    args["softmax_label"] = mx.nd.zeros((x.shape[0],))
    ex = sym.bind(mx.cpu(), args=args, grad_req="null")
    ex.forward(is_train=False)
    return ex.outputs[0].asnumpy()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    sym = network()
    w = weights()
    prefix = os.path.join(a.out, "mlp")
    mx.model.save_checkpoint(prefix, 0, sym, {k: mx.nd.array(v) for k, v in w.items()}, {})
    write_onnx(os.path.join(a.out, "mlp.onnx"), w)
    x = np.random.RandomState(1).uniform(0, 1, (128, IN)).astype(np.float32)
    x.tofile(os.path.join(a.out, "input.bin"))
    with open(os.path.join(a.out, "native.json"), "w") as f:
        json.dump({"outputs": native_outputs(sym, w, x).ravel().tolist()}, f)


if __name__ == "__main__":
    main()
