"""mx.mod.Module: the bind/forward/backward/update cycle against NumPy, fit/score/predict, parameters, errors."""
import logging

import numpy as np
import pytest

import mxc as mx
from conftest import needs_ops
from _training_helpers import needs_random, needs_symbol, linear_softmax, mlp, mnist_subset, separable_data, softmax

pytestmark = [needs_symbol, needs_random, needs_ops("FullyConnected", "Activation", "SoftmaxOutput")]


def make_module(classes=3, dim=4, batch=6, **kw):
    mod = mx.mod.Module(linear_softmax(classes), **kw)
    mod.bind(data_shapes=[("data", (batch, dim))], label_shapes=[("softmax_label", (batch,))])
    return mod


def test_forward_backward_update_matches_numpy():
    rng = np.random.RandomState(0)
    x = rng.randn(6, 4)
    y = np.array([0, 2, 1, 1, 0, 2], dtype=np.float64)
    w = rng.randn(3, 4) * 0.3
    b = np.array([0.1, 0.0, -0.1])
    mod = make_module()
    mod.init_params(arg_params={"fc_weight": mx.nd.array(w), "fc_bias": mx.nd.array(b)})
    mod.init_optimizer(optimizer="sgd", optimizer_params={"learning_rate": 0.4, "momentum": 0.5})
    batch = mx.io.DataBatch(data=[mx.nd.array(x)], label=[mx.nd.array(y)])
    mw, mb = np.zeros_like(w), np.zeros_like(b)
    for _ in range(3):
        mod.forward(batch, is_train=True)
        p = softmax(x @ w.T + b)
        np.testing.assert_allclose(mod.get_outputs()[0].asnumpy(), p, rtol=1e-5, atol=1e-6)
        mod.backward()
        mod.update()
        d = p - np.eye(3)[y.astype(int)]
        mw = 0.5 * mw - 0.4 * d.T @ x / 6
        mb = 0.5 * mb - 0.4 * d.sum(axis=0) / 6
        w, b = w + mw, b + mb
    arg, aux = mod.get_params()
    assert aux == {}
    np.testing.assert_allclose(arg["fc_weight"].asnumpy(), w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(arg["fc_bias"].asnumpy(), b, rtol=1e-5, atol=1e-6)


def test_shapes_and_names():
    mod = make_module(classes=3, dim=4, batch=6)
    assert mod.data_names == ["data"] and mod.label_names == ["softmax_label"]
    assert mod.output_names == ["softmax_output"]
    assert [tuple(d) for d in mod.data_shapes] == [("data", (6, 4))]
    assert [tuple(d) for d in mod.label_shapes] == [("softmax_label", (6,))]
    assert mod.output_shapes == [("softmax_output", (6, 3))]


def test_fit_score_predict():
    x, y = separable_data(n=200, dim=5, classes=3)
    train = mx.io.NDArrayIter(x, y, batch_size=20, shuffle=True)
    mx.random.seed(1)
    mod = mx.mod.Module(mlp(num_hidden=16, num_classes=3))
    mod.fit(train, eval_data=mx.io.NDArrayIter(x, y, batch_size=20), num_epoch=10,
            optimizer_params={"learning_rate": 0.1}, initializer=mx.init.Xavier())
    ((name, acc),) = mod.score(mx.io.NDArrayIter(x, y, batch_size=20), "acc")
    assert name == "accuracy" and acc > 0.95
    out = mod.predict(mx.io.NDArrayIter(x[:55], y[:55], batch_size=20))  # 3 batches, the last padded by 5
    assert out.shape == (55, 3)
    np.testing.assert_allclose(out.asnumpy().sum(axis=1), 1.0, rtol=1e-5)
    assert float((out.asnumpy().argmax(axis=1) == y[:55]).mean()) > 0.9
    # a NumPy array of another batch size: the module re-binds for it and keeps its parameters
    direct = mod.predict(x[:7])
    np.testing.assert_allclose(direct.asnumpy(), out.asnumpy()[:7], rtol=1e-5)
    batches = mod.predict(mx.io.NDArrayIter(x[:40], y[:40], batch_size=20), merge_batches=False)
    assert len(batches) == 2 and batches[0][0].shape == (20, 3)
    res = list(mod.iter_predict(mx.io.NDArrayIter(x[:30], y[:30], batch_size=20)))
    assert [r[0][0].shape[0] for r in res] == [20, 10]
    assert mod.score(mx.io.NDArrayIter(x, y, batch_size=20), ["acc", "ce"])[1][0] == "cross-entropy"


def test_fit_logs_like_mxnet(caplog):
    x, y = separable_data(n=60, dim=4, classes=2)
    mod = mx.mod.Module(linear_softmax(2), logger=logging.getLogger("modtest"))
    with caplog.at_level(logging.INFO):
        mod.fit(mx.io.NDArrayIter(x, y, batch_size=20), eval_data=mx.io.NDArrayIter(x, y, batch_size=20),
                num_epoch=2, batch_end_callback=mx.callback.Speedometer(20, 1))
    for line in ("Epoch[0] Train-accuracy=", "Epoch[0] Time cost=", "Epoch[0] Validation-accuracy=",
                 "Epoch[1] Validation-accuracy=", "Speed:"):
        assert line in caplog.text


def test_get_set_params_and_init_from_values():
    mod = make_module(classes=2, dim=3, batch=4)
    mod.init_params(initializer=mx.init.Constant(0.5))
    arg, _ = mod.get_params()
    np.testing.assert_array_equal(arg["fc_weight"].asnumpy(), 0.5)
    np.testing.assert_array_equal(arg["fc_bias"].asnumpy(), 0.0)
    w = np.arange(6, dtype=np.float32).reshape(2, 3)
    mod.set_params({"fc_weight": mx.nd.array(w), "fc_bias": mx.nd.array([1.0, -1.0])}, {})
    x = np.ones((4, 3), dtype=np.float32)
    mod.forward(mx.io.DataBatch([mx.nd.array(x)], [mx.nd.zeros((4,))]), is_train=False)
    np.testing.assert_allclose(mod.get_outputs()[0].asnumpy(), softmax(x @ w.T + [1.0, -1.0]), rtol=1e-5)
    with pytest.raises(RuntimeError, match="fc_bias is not presented"):
        mod.set_params({"fc_weight": mx.nd.array(w)}, {})
    mod.set_params({"fc_weight": mx.nd.array(w)}, {}, allow_missing=True)
    with pytest.raises(ValueError, match="not used by the symbol"):
        mod.set_params({"fc_weight": mx.nd.array(w), "fc_bias": mx.nd.zeros((2,)), "zz": mx.nd.zeros((1,))}, {})
    with pytest.raises(ValueError, match="shape"):
        mod.set_params({"fc_weight": mx.nd.zeros((3, 3)), "fc_bias": mx.nd.zeros((2,))}, {})


def test_fixed_params_stay_fixed():
    x, y = separable_data(n=40, dim=4, classes=2)
    mod = mx.mod.Module(linear_softmax(2), fixed_param_names=["fc_bias"])
    mod.fit(mx.io.NDArrayIter(x, y, batch_size=10), num_epoch=2, initializer=mx.init.Constant(0.3),
            optimizer_params={"learning_rate": 0.5})
    arg, _ = mod.get_params()
    np.testing.assert_array_equal(arg["fc_bias"].asnumpy(), 0.0)
    assert not np.allclose(arg["fc_weight"].asnumpy(), 0.3)


def test_input_gradients():
    rng = np.random.RandomState(3)
    x, w = rng.randn(5, 4), rng.randn(2, 4)
    y = np.array([0, 1, 1, 0, 1], dtype=np.float64)
    mod = mx.mod.Module(linear_softmax(2))
    mod.bind(data_shapes=[("data", (5, 4))], label_shapes=[("softmax_label", (5,))], inputs_need_grad=True)
    mod.init_params(arg_params={"fc_weight": mx.nd.array(w), "fc_bias": mx.nd.zeros((2,))})
    mod.forward(mx.io.DataBatch([mx.nd.array(x)], [mx.nd.array(y)]), is_train=True)
    mod.backward()
    d = softmax(x @ w.T) - np.eye(2)[y.astype(int)]
    np.testing.assert_allclose(mod.get_input_grads()[0].asnumpy(), d @ w, rtol=1e-5, atol=1e-6)


def test_optimizer_object_and_rescale_warning():
    mod = make_module(classes=2, dim=3, batch=4)
    mod.init_params()
    with pytest.warns(UserWarning, match="rescale_grad"):
        mod.init_optimizer(optimizer=mx.optimizer.Adam(learning_rate=0.01))
    assert mod._optimizer.idx2name == {0: "fc_weight", 1: "fc_bias"}


def test_wrong_input_errors():
    net = linear_softmax(2)
    with pytest.raises(ValueError, match="data name 'pixels' is not an argument"):
        mx.mod.Module(net, data_names=["pixels"])
    with pytest.warns(UserWarning, match="label name 'lbl'"):
        mx.mod.Module(net, label_names=["lbl"])
    with pytest.raises(ValueError, match="fixed_param name 'nothere'"):
        mx.mod.Module(net, fixed_param_names=["nothere"])
    mod = mx.mod.Module(net)
    with pytest.raises(RuntimeError, match="bind"):
        mod.forward(mx.io.DataBatch([mx.nd.zeros((2, 3))]))
    with pytest.raises(ValueError, match="don't match names"):
        mod.bind(data_shapes=[("x", (2, 3))])
    x, y = separable_data(n=20, dim=3, classes=2)
    with pytest.raises(ValueError, match="Unknown metric"):
        mod.fit(mx.io.NDArrayIter(x, y, batch_size=5), num_epoch=1, eval_metric="nosuch")
    assert not mod.binded
    with pytest.raises(ValueError, match="Cannot find optimizer"):
        mod.fit(mx.io.NDArrayIter(x, y, batch_size=5), num_epoch=1, optimizer="nosuch")
    assert not mod.optimizer_initialized
    with pytest.raises(ValueError, match="number of epochs"):
        mod.fit(mx.io.NDArrayIter(x, y, batch_size=5))
    with pytest.raises(TypeError):
        mod.fit(x, num_epoch=1)
    fresh = make_module(classes=2, dim=3, batch=4)
    fresh.init_params()
    with pytest.raises(RuntimeError, match="init_optimizer"):
        fresh.update()
    with pytest.raises(ValueError, match="shape"):
        fresh.forward(mx.io.DataBatch([mx.nd.zeros((4, 5))], [mx.nd.zeros((4,))]))
    with pytest.raises(FileNotFoundError, match="missing-symbol.json"):
        mx.mod.Module.load("/nonexistent/missing", 3)


def test_wrong_fit_input_fails_before_the_first_batch(tmp_path):
    """Each wrong input to Module.fit raises a clear error before any batch is trained: no batch callback runs,
    no parameter is initialised from the bad call, and no checkpoint is written."""
    x, y = separable_data(n=20, dim=3, classes=2)
    batches = []

    def fit(mod, data, **kw):
        kw.setdefault("num_epoch", 1)
        mod.fit(data, batch_end_callback=lambda p: batches.append(p.nbatch),
                epoch_end_callback=mx.callback.do_checkpoint(str(tmp_path / "ck")), **kw)

    net = linear_softmax(2)
    with pytest.raises(ValueError, match=r"'data' has 20 but 'softmax_label' has 15"):
        fit(mx.mod.Module(net), mx.io.NDArrayIter(x, y[:15], batch_size=5))
    mod = mx.mod.Module(net)
    with pytest.raises(ValueError, match=r"don't match names specified by data_names \(\['pixels'\] vs. \['data'\]\)"):
        fit(mod, mx.io.NDArrayIter(x, y, batch_size=5, data_name="pixels"))
    assert not mod.params_initialized
    mod = mx.mod.Module(net)
    with pytest.raises(ValueError, match=r"label\(s\) \['lbl'\].*\['softmax_label'\] would get no data"):
        fit(mod, mx.io.NDArrayIter(x, y, batch_size=5, label_name="lbl"))
    assert not mod.params_initialized
    mod = mx.mod.Module(net)
    with pytest.raises(ValueError, match="Cannot find optimizer 'sgdd'"):
        fit(mod, mx.io.NDArrayIter(x, y, batch_size=5), optimizer="sgdd")
    assert not mod.optimizer_initialized
    with pytest.raises(ValueError, match="Unknown metric 'acc2'"):
        fit(mx.mod.Module(net), mx.io.NDArrayIter(x, y, batch_size=5), eval_metric="acc2")
    with pytest.raises(ValueError, match="Unknown metric 'acc2'"):
        fit(mx.mod.Module(net), mx.io.NDArrayIter(x, y, batch_size=5), validation_metric="acc2",
            eval_data=mx.io.NDArrayIter(x, y, batch_size=5))
    with pytest.raises(FileNotFoundError, match="nothere-symbol.json"):
        mx.mod.Module.load(str(tmp_path / "nothere"), 1)
    assert batches == [] and list(tmp_path.iterdir()) == []
    # a label name the symbol does not take is fine when the symbol takes no label (it feeds the metric only)
    free = mx.sym.FullyConnected(data=mx.sym.Variable("data"), num_hidden=2, name="fc")
    mx.mod.Module(free, label_names=None).bind(data_shapes=[("data", (5, 3))], label_shapes=[("lbl", (5,))])


@needs_ops("BatchNorm")
def test_batchnorm_aux_states_are_tracked():
    data = mx.sym.Variable("data")
    fc = mx.sym.FullyConnected(data=data, num_hidden=4, name="fc")
    bn = mx.sym.BatchNorm(data=fc, name="bn", fix_gamma=False)
    net = mx.sym.SoftmaxOutput(data=bn, name="softmax")
    x, y = separable_data(n=40, dim=3, classes=4)
    mod = mx.mod.Module(net)
    mod.fit(mx.io.NDArrayIter(x, y, batch_size=10), num_epoch=2, optimizer_params={"learning_rate": 0.1})
    arg, aux = mod.get_params()
    assert sorted(aux) == ["bn_moving_mean", "bn_moving_var"]
    assert "bn_gamma" in arg and "bn_beta" in arg
    assert not np.allclose(aux["bn_moving_mean"].asnumpy(), 0.0)


@needs_ops("Convolution", "Pooling", "Flatten")
def test_small_convnet_on_fashion_mnist_subset():
    """Convolution + pooling through Module on 1000 real images: well above chance."""
    tx, ty, vx, vy = mnist_subset(1000, 500)
    data = mx.sym.Variable("data")
    c1 = mx.sym.Convolution(data=data, kernel=(5, 5), num_filter=8, name="conv1")
    a1 = mx.sym.Activation(data=c1, act_type="relu")
    p1 = mx.sym.Pooling(data=a1, pool_type="max", kernel=(2, 2), stride=(2, 2))
    fc = mx.sym.FullyConnected(data=mx.sym.Flatten(data=p1), num_hidden=10, name="fc")
    net = mx.sym.SoftmaxOutput(data=fc, name="softmax")
    mx.random.seed(7)
    np.random.seed(7)
    train = mx.io.NDArrayIter(tx.reshape(-1, 1, 28, 28) / 255.0, ty, batch_size=50, shuffle=True)
    val = mx.io.NDArrayIter(vx.reshape(-1, 1, 28, 28) / 255.0, vy, batch_size=50)
    mod = mx.mod.Module(net)
    mod.fit(train, num_epoch=4, initializer=mx.init.Xavier(),
            optimizer_params={"learning_rate": 0.1, "momentum": 0.9})
    ((_, acc),) = mod.score(val, "acc")
    assert acc > 0.6, acc


def test_mlp_on_fashion_mnist_subset():
    tx, ty, vx, vy = mnist_subset(2000, 1000)
    mx.random.seed(3)
    np.random.seed(3)
    mod = mx.mod.Module(mlp(num_hidden=64))
    mod.fit(mx.io.NDArrayIter(tx / 255.0, ty, batch_size=50, shuffle=True), num_epoch=6,
            initializer=mx.init.Xavier(), optimizer="adam", optimizer_params={"learning_rate": 0.003})
    ((_, acc),) = mod.score(mx.io.NDArrayIter(vx / 255.0, vy, batch_size=100), "acc")
    assert acc > 0.70, acc


def test_main_job_script_on_a_subset(tmp_path, capsys):
    """examples/train_mnist.py end to end on 2000/500 real images written as gzipped idx files."""
    import gzip
    import os
    import struct
    import sys
    tx, ty, vx, vy = mnist_subset(2000, 500)
    for stem, arr in (("train-images-idx3-ubyte", tx.reshape(-1, 28, 28)), ("train-labels-idx1-ubyte", ty),
                      ("t10k-images-idx3-ubyte", vx.reshape(-1, 28, 28)), ("t10k-labels-idx1-ubyte", vy)):
        header = bytes([0, 0, 0x08, arr.ndim]) + b"".join(struct.pack(">I", d) for d in arr.shape)
        with gzip.open(str(tmp_path / (stem + ".gz")), "wb") as f:
            f.write(header + np.ascontiguousarray(arr).tobytes())
    examples = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "examples")
    sys.path.insert(0, os.path.abspath(examples))
    try:
        import train_mnist
    finally:
        sys.path.pop(0)
    acc = train_mnist.main(["--epochs", "3", "--batch-size", "50", "--data-dir", str(tmp_path),
                            "--log-interval", "20"])
    out = capsys.readouterr().out
    assert "2000 training, 500 validation (test set), 500 test images" in out
    assert "epoch 3: validation accuracy" in out and "final test accuracy" in out and "s per epoch" in out
    assert acc > 0.65, acc


def test_main_job_recipes():
    """Per-network defaults of examples/train_mnist.py: the MLP recipe of the project's targets (plain SGD lr 0.1),
    MXNet's LeNet recipe (lr 0.05, momentum 0.9, wd 1e-4); explicit flags win."""
    import os
    import sys
    examples = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "examples")
    sys.path.insert(0, os.path.abspath(examples))
    try:
        import train_mnist
    finally:
        sys.path.pop(0)
    a = train_mnist.parse_args([])
    assert (a.network, a.lr, a.momentum, a.wd, a.batch_size, a.epochs) == ("mlp", 0.1, 0.0, 0.0, 128, 10)
    a = train_mnist.parse_args(["--network", "lenet"])
    assert (a.lr, a.momentum, a.wd) == (0.05, 0.9, 1e-4)
    a = train_mnist.parse_args(["--network", "lenet", "--lr", "0.2", "--momentum", "0"])
    assert (a.lr, a.momentum, a.wd) == (0.2, 0.0, 1e-4)
    with pytest.raises(SystemExit):
        train_mnist.parse_args(["--lr", "-1"])
