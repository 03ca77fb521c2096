#!/usr/bin/env python3
"""Epoch time of the main job's recipe, mxc next to PyTorch (CPU), in the same run.

    python benchmarks/bench_train_epoch.py                      # MLP 784-128-10, 3 epochs each
    python benchmarks/bench_train_epoch.py --network lenet --epochs 2

Both frameworks train the same network on the same data with the same recipe: Fashion-MNIST (or --data-dir),
inputs / 255, batch 128, plain SGD lr 0.1 on the batch-mean softmax cross entropy, Xavier-uniform weights and zero
biases, reshuffled every epoch. mxc runs the user path (a ``mx.mod.Module`` over ``mx.io.NDArrayIter``, each epoch
the loop ``Module.fit`` runs); PyTorch runs a hand-written loop over pre-loaded tensors (its fastest idiomatic path,
no DataLoader). Epochs alternate between the frameworks so that both see the same machine load. The time of an
epoch is training only; the table shows the median and best epoch, and the test accuracy reached after training.
PyTorch: ``pip install torch==2.13.0`` (a CPU build).
"""
import argparse
import json
import os
import statistics
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "examples"))
import train_mnist  # noqa: E402  (data loading and the network definitions of the main job)


def mxc_trainer(args, data):
    """Returns (run_one_epoch, test_accuracy) for mxc: a Module over an NDArrayIter, each epoch the loop that
    Module.fit runs (forward_backward, update, update_metric over every batch)."""
    import mxc as mx
    train_x, train_y, test_x, test_y = data
    np.random.seed(args.seed)
    mx.random.seed(args.seed)
    net = train_mnist.mlp() if args.network == "mlp" else train_mnist.lenet()
    mod = mx.mod.Module(net, context=mx.gpu(0) if args.gpu else mx.cpu())
    it = mx.io.NDArrayIter(train_x, train_y, batch_size=args.batch_size, shuffle=True)
    mod.bind(data_shapes=it.provide_data, label_shapes=it.provide_label)
    mod.init_params(initializer=mx.init.Xavier())
    mod.init_optimizer(optimizer="sgd", optimizer_params={"learning_rate": args.lr})
    metric = mx.metric.create("acc")

    def epoch():
        it.reset()
        metric.reset()
        for batch in it:
            mod.forward_backward(batch)
            mod.update()
            mod.update_metric(metric, batch.label)
        mx.nd.waitall()

    def accuracy():
        prob = mod.predict(mx.io.NDArrayIter(test_x, test_y, batch_size=1000)).asnumpy()
        return float((prob.argmax(axis=1) == test_y).mean())
    return epoch, accuracy


def torch_trainer(args, data):
    """Returns (run_one_epoch, test_accuracy) for PyTorch: a hand-written loop over pre-loaded tensors."""
    import torch
    from torch import nn
    train_x, train_y, test_x, test_y = data
    torch.manual_seed(args.seed)
    if args.network == "mlp":
        model = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    else:
        model = nn.Sequential(nn.Conv2d(1, 20, 5), nn.ReLU(), nn.MaxPool2d(2, 2),
                              nn.Conv2d(20, 50, 5), nn.ReLU(), nn.MaxPool2d(2, 2), nn.Flatten(),
                              nn.Linear(800, 500), nn.ReLU(), nn.Linear(500, 10))
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    opt = torch.optim.SGD(model.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.from_numpy(train_x)
    y = torch.from_numpy(train_y.astype(np.int64))
    n = x.shape[0]

    def epoch():
        model.train()
        perm = torch.randperm(n)
        for start in range(0, n, args.batch_size):
            idx = perm[start:start + args.batch_size]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()

    def accuracy():
        model.eval()
        with torch.no_grad():
            pred = model(torch.from_numpy(test_x)).argmax(dim=1).numpy()
        return float((pred == test_y).mean())
    return epoch, accuracy


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--network", choices=["mlp", "lenet"], default="mlp")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--data-dir", default=train_mnist.DEFAULT_DATA_DIR)
    p.add_argument("--frameworks", default="mxc,torch", help="comma-separated: mxc, torch")
    p.add_argument("--gpu", action="store_true", help="mxc on gpu(0) (PyTorch stays on the CPU)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", default=None, help="also write the results to this file")
    args = p.parse_args()

    data = train_mnist.load_data(args.data_dir)
    makers = {"mxc": mxc_trainer, "torch": torch_trainer}
    trainers = {}
    for name in [n.strip() for n in args.frameworks.split(",")]:
        if name not in makers:
            raise SystemExit("unknown framework %r (choose from mxc, torch)" % name)
        try:
            trainers[name] = makers[name](args, data)
        except ImportError as err:
            print("%s: not available (%s)" % (name, err), flush=True)
    # Epochs alternate between the frameworks (and which goes first), so that both see the same machine load.
    times = {name: [] for name in trainers}
    order = list(trainers)
    for e in range(args.epochs):
        for name in (order if e % 2 == 0 else order[::-1]):
            tic = time.perf_counter()
            trainers[name][0]()
            times[name].append(time.perf_counter() - tic)
            print("%-6s epoch %d: %.2f s" % (name, e + 1, times[name][-1]), flush=True)
    results = {}
    for name, (_, accuracy) in trainers.items():
        results[name] = {"epoch_times_s": times[name], "median_s": statistics.median(times[name]),
                         "best_s": min(times[name]), "test_accuracy": accuracy()}

    threads = {"OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "(unset)"), "cpus": os.cpu_count()}
    try:
        import torch
        threads["torch_threads"] = torch.get_num_threads()
    except ImportError:
        pass
    print("\n%s, batch %d, SGD lr %g, %d epochs each; %s" % (args.network, args.batch_size, args.lr, args.epochs,
                                                            threads))
    print("| framework | median epoch (s) | best epoch (s) | test accuracy |")
    print("|---|---|---|---|")
    for name, r in results.items():
        print("| %s | %.2f | %.2f | %.4f |" % (name, r["median_s"], r["best_s"], r["test_accuracy"]))
    if "mxc" in results and "torch" in results:
        print("mxc / PyTorch median epoch time: %.2fx" % (results["mxc"]["median_s"] / results["torch"]["median_s"]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"args": vars(args), "threads": threads, "results": results}, f, indent=2)


if __name__ == "__main__":
    main()
