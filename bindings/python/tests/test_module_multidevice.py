"""Data-parallel mx.mod.Module and mx.model.FeedForward: each batch split over two (or three) devices.

Runs on gpu(0) and gpu(1) when there are two GPUs, else on cpu(0) and cpu(1) (two devices to mxc, as to MXNet).
The reference is the same network trained on one device with the same batches: without BatchNorm the weights
after SGD/Adam steps must agree to float tolerance. Split sizes are MXNet 1.9.1's, printed from
``mod._exec_group.execs[i].arg_dict['data'].shape`` with ``context=[mx.cpu(0), mx.cpu(1), ...]``.
"""
import numpy as np
import pytest

import mxc as mx
from conftest import needs_ops
from _training_helpers import needs_random, needs_symbol, linear_softmax, mlp, separable_data, softmax
from mxc.module.executor_group import _split_batch

pytestmark = [needs_symbol, needs_random, needs_ops("FullyConnected", "Activation", "SoftmaxOutput")]

RTOL, ATOL = 1e-4, 1e-5  # float32 sums taken in another order, over a dozen momentum steps


def _devices():
    return [mx.gpu(0), mx.gpu(1)] if mx.context.num_gpus() >= 2 else [mx.cpu(0), mx.cpu(1)]


def _three():
    return [mx.cpu(0), mx.cpu(1), mx.cpu(2)]


def _init_params(sym, batch=8, dim=6, seed=1):
    """Fixed starting weights (NumPy), the same for every run being compared."""
    arg_shapes, _, _ = sym.infer_shape(data=(batch, dim))
    rng = np.random.RandomState(seed)
    return {n: mx.nd.array(rng.randn(*s) * 0.3) for n, s in zip(sym.list_arguments(), arg_shapes)
            if n not in ("data", "softmax_label")}


def _iter(batch=8, n=48, shuffle=False):
    x, y = separable_data(n=n)
    return mx.io.NDArrayIter(x, y, batch_size=batch, shuffle=shuffle)


def _fit(ctx, optimizer="sgd", kvstore="local", work_load_list=None, batch=8, epochs=2, **opt):
    sym = mlp(num_hidden=5, num_classes=3)
    mod = mx.mod.Module(sym, context=ctx, work_load_list=work_load_list)
    mod.fit(_iter(batch), num_epoch=epochs, optimizer=optimizer, kvstore=kvstore,
            optimizer_params=dict({"learning_rate": 0.1}, **opt), arg_params=_init_params(sym))
    return mod


def _assert_params_equal(a, b):
    (args_a, auxs_a), (args_b, auxs_b) = a, b
    assert sorted(args_a) == sorted(args_b) and sorted(auxs_a) == sorted(auxs_b)
    for k in args_a:
        np.testing.assert_allclose(args_a[k].asnumpy(), args_b[k].asnumpy(), rtol=RTOL, atol=ATOL, err_msg=k)
    for k in auxs_a:
        np.testing.assert_allclose(auxs_a[k].asnumpy(), auxs_b[k].asnumpy(), rtol=RTOL, atol=ATOL, err_msg=k)


def _device_weights_equal(mod):
    for name, arrs in zip(mod._exec_group.param_names, mod._exec_group.param_arrays):
        for arr in arrs[1:]:
            np.testing.assert_array_equal(arr.asnumpy(), arrs[0].asnumpy(), err_msg=name)


# ------------------------------------------------------------------------------------------------ the split

@pytest.mark.parametrize("batch,n,work_load,sizes", [
    (10, 3, None, [3, 3, 4]), (11, 3, None, [4, 4, 3]), (5, 3, None, [2, 2, 1]), (7, 4, None, [2, 2, 2, 1]),
    (13, 4, None, [3, 3, 3, 4]), (10, 4, None, [2, 2, 2, 4]), (14, 4, None, [4, 4, 4, 2]),
    (18, 4, None, [4, 4, 4, 6]), (9, 2, None, [4, 5]), (3, 3, None, [1, 1, 1]), (10, 2, [1, 3], [2, 8]),
    (10, 3, [1, 2, 3], [2, 3, 5])])
def test_split_sizes_as_mxnet(batch, n, work_load, sizes):
    slices = _split_batch(batch, work_load or [1] * n)
    assert [s.stop - s.start for s in slices] == sizes
    assert slices[0].start == 0 and slices[-1].stop == batch
    assert all(a.stop == b.start for a, b in zip(slices, slices[1:]))


def test_module_binds_each_device_on_its_slice():
    ctxs = _three()
    mod = mx.mod.Module(linear_softmax(3), context=ctxs)
    mod.bind(data_shapes=[("data", (10, 4))], label_shapes=[("softmax_label", (10,))])
    group = mod._exec_group
    assert [e.arg_dict["data"].shape for e in group.execs] == [(3, 4), (3, 4), (4, 4)]
    assert [e.arg_dict["softmax_label"].shape for e in group.execs] == [(3,), (3,), (4,)]
    assert [e.arg_dict["data"].context for e in group.execs] == ctxs
    assert [len(a) for a in group.param_arrays] == [3, 3] and [len(a) for a in group.grad_arrays] == [3, 3]
    assert mod.data_shapes[0].shape == (10, 4)
    mod = mx.mod.Module(linear_softmax(3), context=_devices(), work_load_list=[1, 3])
    mod.bind(data_shapes=[("data", (10, 4))], label_shapes=[("softmax_label", (10,))])
    assert [e.arg_dict["data"].shape for e in mod._exec_group.execs] == [(2, 4), (8, 4)]


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match=r"Module: work_load_list \[1, 2, 3\] has 3 entries but there are 2 "):
        mx.mod.Module(linear_softmax(3), context=_devices(), work_load_list=[1, 2, 3])
    with pytest.raises(ValueError, match=r"Module: the contexts \[cpu\(1\), cpu\(1\)\] list a device twice"):
        mx.mod.Module(linear_softmax(3), context=[mx.cpu(1), mx.cpu(1)])
    with pytest.raises(ValueError, match="work_load_list .* must hold positive numbers"):
        mx.mod.Module(linear_softmax(3), context=_devices(), work_load_list=[1, 0])
    mod = mx.mod.Module(linear_softmax(3), context=_three())
    with pytest.raises(ValueError, match=r"Too many slices. Some splits are empty: a batch of 2 split over 3 "
                                         r"devices .* gives \[1, 1, 0\]"):
        mod.bind(data_shapes=[("data", (2, 4))], label_shapes=[("softmax_label", (2,))])
    assert not mod.binded
    mod.bind(data_shapes=[("data", (6, 4))], label_shapes=[("softmax_label", (6,))])
    mod.init_params()
    # a smaller last batch re-binds; one too small to split fails and keeps the bound executors
    with pytest.raises(ValueError, match="Too many slices"):
        mod.forward(mx.io.DataBatch([mx.nd.ones((1, 4))], [mx.nd.zeros((1,))]), is_train=False)
    assert [e.arg_dict["data"].shape for e in mod._exec_group.execs] == [(2, 4)] * 3
    with pytest.raises(ValueError, match="label 'softmax_label' of the batch has shape \\(5,\\) but the network "
                                         "was bound for a batch of 6"):
        mod.forward(mx.io.DataBatch([mx.nd.ones((6, 4))], [mx.nd.zeros((5,))]), is_train=False)
    with pytest.raises(ValueError, match="kvstore 'dist_sync': distributed training is not supported"):
        mod.init_optimizer(kvstore="dist_sync")


# ------------------------------------------------------------------------------------------------ training

@pytest.mark.parametrize("optimizer,kvstore,opt", [
    ("sgd", "local", {"momentum": 0.9, "wd": 1e-3}), ("sgd", "device", {}), ("sgd", None, {"momentum": 0.5}),
    ("adam", "local", {"learning_rate": 0.01}), ("adam", "kvstore-object", {"learning_rate": 0.01})])
def test_fit_on_two_devices_equals_one(optimizer, kvstore, opt):
    if kvstore == "kvstore-object":
        kvstore = mx.kv.create("device")
    one = _fit([_devices()[0]], optimizer, **opt)
    two = _fit(_devices(), optimizer, kvstore=kvstore, **opt)
    _assert_params_equal(two.get_params(), one.get_params())
    _device_weights_equal(two)
    assert two._exec_group.param_arrays[0][1].context == _devices()[1]
    start = _init_params(mlp(num_hidden=5, num_classes=3))
    assert not np.allclose(two.get_params()[0]["fc1_weight"].asnumpy(), start["fc1_weight"].asnumpy())


def test_fit_three_devices_odd_batch_and_work_load():
    one = _fit([mx.cpu(0)], batch=7, momentum=0.9)
    _assert_params_equal(_fit(_three(), batch=7, momentum=0.9).get_params(), one.get_params())
    _assert_params_equal(_fit(_devices(), batch=7, work_load_list=[2, 5], momentum=0.9).get_params(),
                         one.get_params())


def test_manual_loop_outputs_and_gradients_as_numpy():
    """forward/backward/update by hand on three devices (batch 7 -> 2, 2, 3) against the NumPy SGD step."""
    rng = np.random.RandomState(3)
    x = rng.randn(7, 4)
    y = np.array([0, 2, 1, 1, 0, 2, 1], dtype=np.float64)
    w, b = rng.randn(3, 4) * 0.3, np.array([0.1, 0.0, -0.1])
    mod = mx.mod.Module(linear_softmax(3), context=_three())
    mod.bind(data_shapes=[("data", (7, 4))], label_shapes=[("softmax_label", (7,))])
    mod.init_params(arg_params={"fc_weight": mx.nd.array(w), "fc_bias": mx.nd.array(b)})
    mod.init_optimizer(optimizer="sgd", optimizer_params={"learning_rate": 0.4})
    batch = mx.io.DataBatch(data=[mx.nd.array(x)], label=[mx.nd.array(y)])
    for _ in range(3):
        mod.forward(batch, is_train=True)
        p = softmax(x @ w.T + b)
        merged = mod.get_outputs()
        assert len(merged) == 1 and merged[0].shape == (7, 3)
        np.testing.assert_allclose(merged[0].asnumpy(), p, rtol=1e-5, atol=1e-6)
        per_device = mod.get_outputs(merge_multi_context=False)
        assert [[o.shape for o in out] for out in per_device] == [[(2, 3), (2, 3), (3, 3)]]
        assert [o.context for o in per_device[0]] == _three()
        np.testing.assert_allclose(per_device[0][2].asnumpy(), p[4:], rtol=1e-5, atol=1e-6)
        mod.backward()
        mod.update()
        d = p - np.eye(3)[y.astype(int)]
        # every device's gradient holds the sum over devices: the whole batch's gradient
        for g in mod._exec_group.grad_arrays[0]:
            np.testing.assert_allclose(g.asnumpy(), d.T @ x, rtol=1e-5, atol=1e-5)
        w, b = w - 0.4 * d.T @ x / 7, b - 0.4 * d.sum(axis=0) / 7
        _device_weights_equal(mod)
    args, _ = mod.get_params()
    np.testing.assert_allclose(args["fc_weight"].asnumpy(), w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(args["fc_bias"].asnumpy(), b, rtol=1e-5, atol=1e-6)


def test_smaller_batch_rebinds_every_device():
    """A batch of 5 after binding for 8 re-binds each device on its new slice (2, 3), sharing the weights."""
    sym = mlp(num_hidden=5, num_classes=3)
    x, y = separable_data(n=5)
    outs = []
    for ctx in ([_devices()[0]], _devices()):
        mod = mx.mod.Module(sym, context=ctx)
        mod.bind(data_shapes=[("data", (8, 6))], label_shapes=[("softmax_label", (8,))])
        mod.init_params(arg_params=_init_params(sym))
        mod.init_optimizer(optimizer="sgd", optimizer_params={"learning_rate": 0.5})
        mod.forward_backward(mx.io.DataBatch([mx.nd.array(x)], [mx.nd.array(y)]))
        mod.update()
        mod.forward(mx.io.DataBatch([mx.nd.array(x)], [mx.nd.array(y)]), is_train=False)
        outs.append(mod.get_outputs()[0].asnumpy())
    assert [e.arg_dict["data"].shape for e in mod._exec_group.execs] == [(2, 6), (3, 6)]
    assert mod.data_shapes[0].shape == (5, 6) and mod.output_shapes == [("softmax_output", (5, 3))]
    np.testing.assert_allclose(outs[1], outs[0], rtol=1e-5, atol=1e-6)
    # a module bound with shared_module uses each device's parameter arrays of the other
    evaluator = mx.mod.Module(sym, context=_devices())
    evaluator.bind(data_shapes=[("data", (5, 6))], for_training=False, shared_module=mod)
    for mine, theirs in zip(evaluator._exec_group.param_arrays, mod._exec_group.param_arrays):
        assert [a.handle for a in mine] == [a.handle for a in theirs]
    evaluator.forward(mx.io.DataBatch([mx.nd.array(x)]))
    np.testing.assert_allclose(evaluator.get_outputs()[0].asnumpy(), outs[1], rtol=1e-6, atol=1e-7)


def test_out_grads_and_input_grads_are_split_and_merged():
    """A network without loss: backward with out_grads sliced per device, input gradients merged."""
    rng = np.random.RandomState(4)
    x, w, b, og = rng.randn(5, 4), rng.randn(3, 4), rng.randn(3), rng.randn(5, 3)
    net = mx.sym.FullyConnected(mx.sym.Variable("data"), num_hidden=3, name="fc")
    mod = mx.mod.Module(net, label_names=None, context=_devices())
    mod.bind(data_shapes=[("data", (5, 4))], inputs_need_grad=True)
    mod.init_params(arg_params={"fc_weight": mx.nd.array(w), "fc_bias": mx.nd.array(b)})
    mod.forward(mx.io.DataBatch([mx.nd.array(x)]), is_train=True)
    mod.backward(out_grads=[mx.nd.array(og)])
    dx = mod.get_input_grads()
    assert len(dx) == 1 and dx[0].shape == (5, 4)
    np.testing.assert_allclose(dx[0].asnumpy(), og @ w, rtol=1e-5, atol=1e-5)
    parts = mod.get_input_grads(merge_multi_context=False)
    assert [[g.shape for g in p] for p in parts] == [[(2, 4), (3, 4)]]
    grads = mod._exec_group.grad_arrays[0]
    np.testing.assert_allclose((grads[0].asnumpy() + grads[1].asnumpy()), og.T @ x, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(grads[0].asnumpy(), og[:2].T @ x[:2], rtol=1e-5, atol=1e-5)


def test_score_predict_and_metric_over_devices():
    sym = mlp(num_hidden=5, num_classes=3)
    params = _init_params(sym)
    mods = []
    for ctx in ([_devices()[0]], _devices()):
        mod = mx.mod.Module(sym, context=ctx)
        mod.bind(data_shapes=[("data", (8, 6))], label_shapes=[("softmax_label", (8,))], for_training=False)
        mod.set_params(params, {})
        mods.append(mod)
    data = mx.io.NDArrayIter(*separable_data(n=30), batch_size=8)  # last batch padded with 2 samples
    p1, p2 = (m.predict(data).asnumpy() for m in mods)
    assert p1.shape == p2.shape == (30, 3)
    np.testing.assert_allclose(p2, p1, rtol=1e-5, atol=1e-6)
    s1, s2 = (dict(m.score(data, ["acc", "ce"])) for m in mods)
    assert s1.keys() == s2.keys() == {"accuracy", "cross-entropy"}
    for k in s1:
        assert s2[k] == pytest.approx(s1[k], rel=1e-5)
    # the metric sees every device's slice: 32 samples (the padded batch counts them, as MXNet does)
    acc = mx.metric.Accuracy()
    mods[1].score(data, acc)
    assert acc.num_inst == 32


@pytest.mark.filterwarnings("ignore:Parameters already initialized")
def test_checkpoint_from_two_devices_loads_on_one(tmp_path):
    prefix = str(tmp_path / "mlp")
    two = _fit(_devices(), "adam", learning_rate=0.01)
    two.save_checkpoint(prefix, 2, save_optimizer_states=True)
    one = mx.mod.Module.load(prefix, 2, load_optimizer_states=True, context=_devices()[0])
    one.bind(data_shapes=[("data", (8, 6))], label_shapes=[("softmax_label", (8,))])
    one.init_optimizer(optimizer="adam", optimizer_params={"learning_rate": 0.01})
    data = _iter()
    np.testing.assert_allclose(one.predict(data).asnumpy(), two.predict(data).asnumpy(), rtol=1e-5, atol=1e-6)
    # the optimizer state (one per parameter) carries over: one more epoch agrees on one and two devices
    for mod in (one, two):
        data.reset()
        mod.fit(data, num_epoch=3, begin_epoch=2, optimizer="adam")
    _assert_params_equal(one.get_params(), two.get_params())


def test_batchnorm_statistics_are_averaged_over_devices():
    data = mx.sym.Variable("data")
    net = mx.sym.BatchNorm(mx.sym.FullyConnected(data, num_hidden=3, name="fc"), name="bn", momentum=0.5)
    net = mx.sym.SoftmaxOutput(net, name="softmax")
    x, y = separable_data(n=8, dim=4)
    mod = mx.mod.Module(net, context=_devices())
    mod.bind(data_shapes=[("data", (8, 4))], label_shapes=[("softmax_label", (8,))])
    mod.init_params(mx.init.Xavier())
    mod.forward(mx.io.DataBatch([mx.nd.array(x)], [mx.nd.array(y)]), is_train=True)
    mean0, mean1 = (a.asnumpy() for a in mod._exec_group.aux_arrays[mod._exec_group.aux_names.index("bn_moving_mean")])
    assert not np.allclose(mean0, mean1)
    mod._params_dirty = True
    _, aux = mod.get_params()
    np.testing.assert_allclose(aux["bn_moving_mean"].asnumpy(), (mean0 + mean1) / 2, rtol=1e-6, atol=1e-7)


def test_monitor_and_states_on_every_device():
    class Recorder(object):
        def __init__(self):
            self.execs = []

        def install(self, executor):
            self.execs.append(executor)

    mod = mx.mod.Module(linear_softmax(3), context=_devices())
    mod.bind(data_shapes=[("data", (4, 4))], label_shapes=[("softmax_label", (4,))])
    rec = Recorder()
    mod.install_monitor(rec)
    assert rec.execs == mod._exec_group.execs and len(rec.execs) == 2
    # a state input: out = fc(data) + state, split over the devices like the data
    net = mx.sym.broadcast_add(mx.sym.FullyConnected(mx.sym.Variable("data"), num_hidden=2, name="fc"),
                               mx.sym.Variable("state", shape=(2, 2)))
    mod = mx.mod.Module(net, label_names=None, state_names=["state"], context=_devices())
    mod.bind(data_shapes=[("data", (4, 3))], for_training=False)
    mod.init_params(arg_params={"fc_weight": mx.nd.zeros((2, 3)), "fc_bias": mx.nd.zeros((2,))})
    # bound on the first batch's slices: the state is split (2, 2) like the data
    state = np.arange(8, dtype=np.float32).reshape(4, 2)
    mod.set_states(states=[mx.nd.array(state)])
    assert [[s.shape for s in st] for st in mod.get_states(merge_multi_context=False)] == [[(2, 2), (2, 2)]]
    mod.forward(mx.io.DataBatch([mx.nd.ones((4, 3))]))
    np.testing.assert_array_equal(mod.get_outputs()[0].asnumpy(), state)
    mod.set_states(value=1.5)
    np.testing.assert_array_equal(mod.get_states()[0].asnumpy(), np.full((4, 2), 1.5))


# ------------------------------------------------------------------------------------------------ FeedForward

def _feedforward(ctx, **kw):
    sym = mlp(num_hidden=5, num_classes=3)
    model = mx.model.FeedForward(sym, ctx=ctx, num_epoch=2, learning_rate=0.1, momentum=0.9,
                                 arg_params=_init_params(sym), **kw)
    model.fit(_iter(), eval_data=_iter(), kvstore="device")
    return model


def test_feedforward_fit_on_two_devices_equals_one():
    one, two = _feedforward([_devices()[0]]), _feedforward(_devices())
    _assert_params_equal((two.arg_params, two.aux_params), (one.arg_params, one.aux_params))
    x, y = separable_data(n=48)
    np.testing.assert_allclose(two.predict(x), one.predict(x), rtol=1e-5, atol=1e-6)
    assert two.score(_iter(), "acc") == pytest.approx(one.score(_iter(), "acc"))
    three = _feedforward(_three())
    _assert_params_equal((three.arg_params, three.aux_params), (one.arg_params, one.aux_params))
