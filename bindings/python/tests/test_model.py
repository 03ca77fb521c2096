"""mx.model.FeedForward: training steps against NumPy, fit/predict/score, callbacks, save/load, input errors."""
import logging

import numpy as np
import pytest

import mxc as mx
from conftest import needs_ops
from _training_helpers import needs_random, needs_symbol, linear_softmax, mlp, mnist_subset, separable_data, softmax

pytestmark = [needs_symbol, needs_random, needs_ops("FullyConnected", "Activation", "SoftmaxOutput")]


def manual_sgd_step(x, y, w, b, lr, classes):
    """One SGD step of softmax regression as FeedForward does it: gradient of the summed cross entropy,
    scaled by rescale_grad = 1/batch_size."""
    p = softmax(x @ w.T + b)
    onehot = np.eye(classes)[y.astype(int)]
    d = p - onehot
    return w - lr * (d.T @ x) / len(x), b - lr * d.sum(axis=0) / len(x)


def test_one_epoch_is_one_sgd_step_on_the_full_batch():
    rng = np.random.RandomState(0)
    x = rng.randn(8, 3).astype(np.float32)
    y = np.array([0, 1, 2, 1, 0, 2, 2, 1], dtype=np.float32)
    w0 = rng.randn(3, 3).astype(np.float32) * 0.1
    b0 = np.array([0.1, -0.2, 0.3], dtype=np.float32)
    model = mx.model.FeedForward(linear_softmax(3), num_epoch=1, numpy_batch_size=8, learning_rate=0.5,
                                 arg_params={"fc_weight": mx.nd.array(w0), "fc_bias": mx.nd.array(b0)})
    model.fit(x, y)
    w1, b1 = manual_sgd_step(x.astype(np.float64), y, w0.astype(np.float64), b0.astype(np.float64), 0.5, 3)
    np.testing.assert_allclose(model.arg_params["fc_weight"].asnumpy(), w1, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.arg_params["fc_bias"].asnumpy(), b1, rtol=1e-5, atol=1e-6)


def test_momentum_and_weight_decay_follow_sgd_formula():
    """Three epochs of one batch each with momentum and wd (bias gets no wd, as MXNet names it)."""
    rng = np.random.RandomState(1)
    x = rng.randn(6, 4).astype(np.float64)
    y = np.array([0, 1, 1, 0, 1, 0], dtype=np.float64)
    w = rng.randn(2, 4) * 0.1
    b = np.zeros(2)
    model = mx.model.FeedForward(linear_softmax(2), num_epoch=3, numpy_batch_size=6, learning_rate=0.2,
                                 momentum=0.9, wd=0.01,
                                 arg_params={"fc_weight": mx.nd.array(w), "fc_bias": mx.nd.array(b)})
    model.fit(x, y)
    mw, mb = np.zeros_like(w), np.zeros_like(b)
    for _ in range(3):
        p = softmax(x @ w.T + b)
        d = p - np.eye(2)[y.astype(int)]
        gw, gb = d.T @ x / 6, d.sum(axis=0) / 6
        mw = 0.9 * mw - 0.2 * (gw + 0.01 * w)
        mb = 0.9 * mb - 0.2 * gb
        w, b = w + mw, b + mb
    np.testing.assert_allclose(model.arg_params["fc_weight"].asnumpy(), w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.arg_params["fc_bias"].asnumpy(), b, rtol=1e-5, atol=1e-6)


def test_fit_predict_score():
    x, y = separable_data(n=300, dim=5, classes=3)
    mx.random.seed(0)
    np.random.seed(0)
    model = mx.model.FeedForward(mlp(num_hidden=16, num_classes=3), num_epoch=15, numpy_batch_size=32,
                                 learning_rate=0.1, initializer=mx.init.Xavier())
    model.fit(x, y, eval_data=(x, y))
    prob = model.predict(x)
    assert prob.shape == (300, 3)
    np.testing.assert_allclose(prob.sum(axis=1), 1.0, rtol=1e-5)
    acc = float((prob.argmax(axis=1) == y).mean())
    assert acc > 0.95
    it = mx.io.NDArrayIter(x[:256], y[:256], batch_size=32)
    assert model.score(it) == pytest.approx(float((prob[:256].argmax(axis=1) == y[:256]).mean()))
    out, data, label = model.predict(mx.io.NDArrayIter(x[:50], y[:50], batch_size=32), return_data=True)
    assert out.shape == (50, 3) and data.shape == (50, 5)  # the padded samples are left out
    np.testing.assert_array_equal(label, y[:50])
    assert model.predict(x[:10], num_batch=1).shape == (10, 3)
    assert model.score(mx.io.NDArrayIter(x, y, batch_size=300), eval_metric="ce") < 0.5


def test_uint8_input_is_converted_to_float32():
    """NumPy input goes through mx.nd.array, so uint8 pixels become float32 (0..255), as in MXNet."""
    x = np.random.RandomState(2).randint(0, 256, size=(40, 6)).astype(np.uint8)
    y = (x[:, 0] > 127).astype(np.uint8)
    model = mx.model.FeedForward(linear_softmax(2), num_epoch=1, numpy_batch_size=40, learning_rate=0.0,
                                 initializer=mx.init.Zero())
    model.fit(x, y)
    prob = model.predict(x)
    assert prob.dtype == np.float32
    np.testing.assert_allclose(prob, 0.5)


def test_logging_and_callbacks(caplog):
    x, y = separable_data(n=100, dim=4, classes=2)
    epochs, batches, evals = [], [], []
    with caplog.at_level(logging.INFO):
        model = mx.model.FeedForward(linear_softmax(2), num_epoch=2, numpy_batch_size=20, learning_rate=0.1)
        model.fit(x, y, eval_data=(x, y), logger=logging.getLogger("fftest"),
                  epoch_end_callback=lambda epoch, sym, arg, aux: epochs.append((epoch, sorted(arg))),
                  batch_end_callback=[lambda p: batches.append((p.epoch, p.nbatch))],
                  eval_batch_end_callback=lambda p: evals.append(p.nbatch))
    assert epochs == [(0, ["fc_bias", "fc_weight"]), (1, ["fc_bias", "fc_weight"])]
    assert batches == [(e, n) for e in (0, 1) for n in range(1, 6)]
    assert evals == list(range(5)) * 2
    for line in ("Start training with [cpu(0)]", "Epoch[0] Train-accuracy=", "Epoch[0] Time cost=",
                 "Epoch[0] Validation-accuracy=", "Epoch[1] Validation-accuracy="):
        assert line in caplog.text


def test_epoch_size_limits_batches():
    x, y = separable_data(n=100, dim=4, classes=2)
    count = []
    model = mx.model.FeedForward(linear_softmax(2), num_epoch=2, epoch_size=3, numpy_batch_size=10,
                                 learning_rate=0.1)
    model.fit(x, y, batch_end_callback=lambda p: count.append(p.nbatch))
    assert count == [1, 2, 3, 1, 2, 3]


def test_data_iterator_and_ndarray_input():
    x, y = separable_data(n=64, dim=4, classes=2)
    model = mx.model.FeedForward(linear_softmax(2), num_epoch=3, learning_rate=0.5)
    model.fit(mx.io.NDArrayIter(x, y, batch_size=16, shuffle=True),
              eval_data=mx.io.NDArrayIter(x, y, batch_size=8))
    assert model.score(mx.io.NDArrayIter(x, y, batch_size=16)) > 0.9
    model2 = mx.model.FeedForward(linear_softmax(2), num_epoch=3, learning_rate=0.5, numpy_batch_size=16)
    model2.fit(mx.nd.array(x), mx.nd.array(y))
    assert model2.score(mx.nd.array(x)) is not None


def test_save_load_and_create(tmp_path):
    x, y = separable_data(n=64, dim=4, classes=2)
    model = mx.model.FeedForward.create(linear_softmax(2), x, y, num_epoch=2, learning_rate=0.5,
                                        numpy_batch_size=16)
    prefix = str(tmp_path / "ff")
    model.save(prefix)
    loaded = mx.model.FeedForward.load(prefix, 2)
    assert loaded.begin_epoch == 2
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    model.save(prefix, epoch=7)
    assert (tmp_path / "ff-0007.params").exists()


def test_wrong_input_raises_before_training():
    x, y = separable_data(n=40, dim=4, classes=2)
    calls = []
    cb = lambda p: calls.append(p)  # noqa: E731

    def model(**kw):
        return mx.model.FeedForward(linear_softmax(2), num_epoch=1, numpy_batch_size=10, **kw)

    with pytest.raises(ValueError, match="numbers of data points and labels not equal"):
        model().fit(x, y[:30], batch_end_callback=cb)
    with pytest.raises(ValueError, match="y must be specified"):
        model().fit(x, batch_end_callback=cb)
    with pytest.raises(ValueError, match="Cannot find optimizer 'sgdx'"):
        model(optimizer="sgdx").fit(x, y, batch_end_callback=cb)
    with pytest.raises(ValueError, match="Unknown metric 'accuracyy'"):
        model().fit(x, y, eval_metric="accuracyy", batch_end_callback=cb)
    with pytest.raises(ValueError, match="data name 'pixels' is not an argument"):
        model().fit(mx.io.NDArrayIter(x, y, batch_size=10, data_name="pixels"), batch_end_callback=cb)
    with pytest.raises(ValueError, match="Label must be 1D"):
        model().fit(x, np.zeros((40, 2)), batch_end_callback=cb)
    with pytest.raises(TypeError):
        model().fit([[1, 2]], y, batch_end_callback=cb)
    with pytest.raises(ValueError, match="kvstore"):
        model().fit(x, y, kvstore="dist_sync", batch_end_callback=cb)
    with pytest.raises(ValueError, match="list a device twice"):
        mx.model.FeedForward(linear_softmax(2), ctx=[mx.cpu(0), mx.cpu(0)], num_epoch=1).fit(x, y)
    with pytest.raises(ValueError, match=r"work_load_list \[1\] has 1 entries but there are 2 contexts"):
        mx.model.FeedForward(linear_softmax(2), ctx=[mx.cpu(0), mx.cpu(1)], num_epoch=1).fit(
            x, y, work_load_list=[1])
    with pytest.raises(ValueError, match="not used by the symbol"):
        model(arg_params={"nothere_weight": mx.nd.zeros((1,))})
    assert calls == []
    ok = model(arg_params={"nothere_weight": mx.nd.zeros((1,))}, allow_extra_params=True)
    assert ok.arg_params == {}
    with pytest.raises(FileNotFoundError, match="nosuchmodel-symbol.json"):
        mx.model.FeedForward.load("/nonexistent/nosuchmodel", 1)
    with pytest.raises(RuntimeError, match="no parameters"):
        model().predict(x)


def test_pickling_drops_predictor():
    import pickle
    x, y = separable_data(n=32, dim=4, classes=2)
    model = mx.model.FeedForward(linear_softmax(2), num_epoch=1, numpy_batch_size=8, learning_rate=0.5)
    model.fit(x, y)
    expected = model.predict(x)
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_allclose(again.predict(x), expected, rtol=1e-6)


def test_fashion_mnist_subset_end_to_end():
    """2000 real Fashion-MNIST images, 784-64-10 MLP: well above the 10% of chance on held-out images."""
    tx, ty, vx, vy = mnist_subset(2000, 1000)
    mx.random.seed(42)
    np.random.seed(42)
    model = mx.model.FeedForward(mlp(num_hidden=64), num_epoch=6, numpy_batch_size=50, learning_rate=0.1,
                                 momentum=0.9, initializer=mx.init.Xavier())
    model.fit(tx / 255.0, ty, eval_data=(vx / 255.0, vy))
    acc = model.score(mx.io.NDArrayIter(vx / 255.0, vy, batch_size=100))
    assert acc > 0.70, acc
