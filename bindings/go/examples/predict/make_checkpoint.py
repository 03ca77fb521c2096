"""Trains a 784-128-10 MLP on MNIST-format data with the Python package, saves a checkpoint with
mx.model.save_checkpoint, loads it back and writes its predictions for the first test images.

    python3 make_checkpoint.py PREFIX EPOCHS N [DATA_DIR]

writes PREFIX-symbol.json, PREFIX-%04d.params % EPOCHS and PREFIX-predictions.json ({"labels": [...],
"probs": [[...], ...]} for the first N test images) and prints the predictions as the Go example does.
"""
import gzip
import json
import os
import sys

import numpy as np
import mxc as mx


def read_idx(folder, stem):
    for name in (stem, stem + ".gz"):
        path = os.path.join(folder, name)
        if os.path.exists(path):
            opener = gzip.open if path.endswith(".gz") else open
            with opener(path, "rb") as f:
                raw = f.read()
            ndim = raw[3]
            dims = np.frombuffer(raw, ">u4", ndim, 4)
            return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(dims)
    raise FileNotFoundError("%s(.gz) not found in %s" % (stem, folder))


def main():
    prefix, epochs, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    folder = sys.argv[4] if len(sys.argv) > 4 else os.environ.get("MXC_MNIST_DIR",
                                                                  "/usr/share/datasets/fashion-mnist")
    train_x = read_idx(folder, "train-images-idx3-ubyte").reshape(-1, 784)[:10000].astype(np.float32) / 255
    train_y = read_idx(folder, "train-labels-idx1-ubyte")[:10000].astype(np.float32)
    test_x = read_idx(folder, "t10k-images-idx3-ubyte").reshape(-1, 784)[:n].astype(np.float32) / 255
    test_y = read_idx(folder, "t10k-labels-idx1-ubyte")[:n]

    np.random.seed(0)
    mx.random.seed(0)
    data = mx.sym.Variable("data")
    fc1 = mx.sym.FullyConnected(data=data, num_hidden=128, name="fc1")
    act1 = mx.sym.Activation(data=fc1, act_type="relu", name="relu1")
    fc2 = mx.sym.FullyConnected(data=act1, num_hidden=10, name="fc2")
    net = mx.sym.SoftmaxOutput(data=fc2, name="softmax")

    # Xavier-uniform weights drawn by NumPy, so that the run depends only on the seed above.
    rng = np.random.RandomState(0)
    init = {}
    for name, shape in (("fc1_weight", (128, 784)), ("fc1_bias", (128,)), ("fc2_weight", (10, 128)),
                        ("fc2_bias", (10,))):
        scale = np.sqrt(6.0 / (shape[0] + shape[1])) if len(shape) == 2 else 0.0
        init[name] = mx.nd.array(rng.uniform(-scale, scale, shape).astype(np.float32))

    it = mx.io.NDArrayIter(train_x, train_y, batch_size=100, shuffle=True)
    mod = mx.mod.Module(net, context=mx.cpu())
    mod.fit(it, num_epoch=epochs, optimizer="sgd", optimizer_params={"learning_rate": 0.1}, arg_params=init)
    arg_params, aux_params = mod.get_params()
    mx.model.save_checkpoint(prefix, epochs, net, arg_params, aux_params)

    # Predict from the checkpoint as loaded back.
    sym, arg_params, aux_params = mx.model.load_checkpoint(prefix, epochs)
    exe = sym.simple_bind(ctx=mx.cpu(), grad_req="null", data=(n, 784))
    for k, v in arg_params.items():
        exe.arg_dict[k][:] = v
    for k, v in aux_params.items():
        exe.aux_dict[k][:] = v
    exe.arg_dict["data"][:] = test_x
    exe.forward(is_train=False)
    probs = exe.outputs[0].asnumpy()
    with open(prefix + "-predictions.json", "w") as f:
        json.dump({"labels": [int(y) for y in test_y], "probs": probs.astype(float).tolist()}, f)
    for i in range(n):
        p = int(np.argmax(probs[i]))
        print("image %d: label %d, predicted %d (p=%.6f)" % (i, test_y[i], p, probs[i][p]))


if __name__ == "__main__":
    main()
