"""mx.kv and data-parallel Gluon: Parameters with a copy per device, Trainer summing gradients across copies.

Runs on gpu(0) and gpu(1) when there are two GPUs, else on cpu(0) and cpu(1) (two CPU contexts are two devices to
mxc, as to MXNet). The reference for training is the same network trained on one device with the whole batch.
KVStore expectations are MXNet 1.9.1's printed values.
"""
import numpy as np
import pytest

import mxc as mx
from mxc import autograd, gluon


def _devices():
    return [mx.gpu(0), mx.gpu(1)] if mx.context.num_gpus() >= 2 else [mx.cpu(0), mx.cpu(1)]


# ------------------------------------------------------------------------------------------------ kvstore

def test_kvstore_push_pull_as_mxnet():
    kv = mx.kv.create('local')
    assert (kv.type, kv.rank, kv.num_workers) == ('local', 0, 1)
    d0, d1 = _devices()
    kv.init(3, mx.nd.ones((2, 3)))
    a = mx.nd.zeros((2, 3), ctx=d1)
    kv.pull(3, out=a)
    np.testing.assert_array_equal(a.asnumpy(), 1)
    kv.push(3, [mx.nd.ones((2, 3), ctx=d0) * 2, mx.nd.ones((2, 3), ctx=d1) * 3])  # summed, replaces
    outs = [mx.nd.zeros((2, 3), ctx=d0), mx.nd.zeros((2, 3), ctx=d1)]
    kv.pull(3, out=outs)
    assert [o.asnumpy()[0, 0] for o in outs] == [5, 5] and outs[1].context == d1
    kv.push(3, mx.nd.ones((2, 3)) * 8)
    kv.pull(3, out=a)
    np.testing.assert_array_equal(a.asnumpy(), 8)
    seen = []

    def upd(key, inp, stored):
        seen.append(key)
        stored += inp * 2

    kv._set_updater(upd)
    kv.push(3, mx.nd.ones((2, 3)))
    kv.pull(3, out=a)
    assert seen == [3]
    np.testing.assert_array_equal(a.asnumpy(), 10)
    kv.init([5, 6], [mx.nd.ones((1,)), mx.nd.ones((1,)) * 2])
    outs = [[mx.nd.zeros((1,)), mx.nd.zeros((1,))], [mx.nd.zeros((1,))]]
    kv.pull([5, 6], out=outs)
    assert [[x.asscalar() for x in o] for o in outs] == [[1, 1], [2]]
    with pytest.raises(mx.MXNetError, match="key 99 has not been inited"):
        kv.pull(99, out=a)
    with pytest.raises(mx.MXNetError, match="duplicate init of key 3"):
        kv.init(3, mx.nd.ones((2, 3)))
    with pytest.raises(mx.MXNetError, match="mixed key types are not allowed"):
        kv.init('w', mx.nd.ones((2,)))


def test_kvstore_optimizer_and_states(tmp_path):
    kv = mx.kv.create('device')
    kv.init(0, mx.nd.ones((2,)))
    kv.set_optimizer(mx.optimizer.SGD(learning_rate=0.1))
    kv.push(0, [mx.nd.ones((2,)), mx.nd.ones((2,))])
    o = mx.nd.zeros((2,))
    kv.pull(0, out=o)
    np.testing.assert_allclose(o.asnumpy(), [0.8, 0.8], rtol=1e-6)  # MXNet 1.9.1
    b = mx.nd.zeros((2,))
    kv.pushpull(0, mx.nd.ones((2,)), out=b)
    np.testing.assert_allclose(b.asnumpy(), [0.7, 0.7], rtol=1e-6)
    s = mx.kv.create('local')
    s.init('w', mx.nd.ones((2,)))
    s.set_optimizer(mx.optimizer.SGD(learning_rate=0.5, momentum=0.9))
    s.push('w', mx.nd.ones((2,)))
    s.save_optimizer_states(str(tmp_path / "kv.states"))
    s.push('w', mx.nd.ones((2,)))
    after_two = mx.nd.zeros((2,))
    s.pull('w', out=after_two)
    s.load_optimizer_states(str(tmp_path / "kv.states"))  # momentum back to its value after one push
    s.push('w', mx.nd.ones((2,)))
    again = mx.nd.zeros((2,))
    s.pull('w', out=again)
    # w: 1 -> 0.5 (momentum -0.5) -> 0.5 - 0.45 - 0.5 = -0.45; then from -0.45 with momentum -0.5 again: -1.4
    np.testing.assert_allclose(after_two.asnumpy(), [-0.45, -0.45], rtol=1e-6)
    np.testing.assert_allclose(again.asnumpy(), [-1.4, -1.4], rtol=1e-6)
    with pytest.raises(NotImplementedError, match="distributed training is not supported"):
        mx.kv.create('dist_sync')
    with pytest.raises(ValueError, match="unknown type 'foo'"):
        mx.kv.create('foo')


# ------------------------------------------------------------------------------------------------ Parameter

def test_parameter_copies_per_device(tmp_path):
    devs = _devices()
    p = gluon.Parameter('w', shape=(2, 3))
    p.initialize(mx.init.Uniform(), ctx=devs)
    assert p.list_ctx() == devs
    a, b = p.list_data()
    assert a.context == devs[0] and b.context == devs[1]
    np.testing.assert_array_equal(a.asnumpy(), b.asnumpy())
    assert p.data(devs[1]) is b and p.grad(devs[1]).context == devs[1]
    assert [g.context for g in p.list_grad()] == devs
    with pytest.raises(RuntimeError, match=r"Parameter 'w' was not initialized on context cpu\(5\)"):
        p.data(mx.cpu(5))
    p.set_data(mx.nd.ones((2, 3)) * 7)
    assert [d.asnumpy()[0, 0] for d in p.list_data()] == [7, 7]
    p.reset_ctx([devs[1]])
    assert p.list_ctx() == [devs[1]] and p.data().asnumpy()[0, 0] == 7
    with pytest.raises(ValueError, match="non-empty list of distinct contexts"):
        p.reset_ctx([devs[0], devs[0]])


def _net(ctx, batchnorm=False):
    mx.random.seed(1)
    net = gluon.nn.HybridSequential(prefix='net_')
    with net.name_scope():
        net.add(gluon.nn.Dense(16, activation='relu'))
        if batchnorm:
            net.add(gluon.nn.BatchNorm())
        net.add(gluon.nn.Dense(3))
    net.initialize(mx.init.Xavier(), ctx=ctx)
    return net


def _train(net, ctxs, kvstore='device', steps=3):
    rng = np.random.RandomState(0)
    X = rng.randn(64, 10).astype(np.float32)
    Y = ((X[:, 0] > 0).astype(np.float32) + (X[:, 1] > 0)).astype(np.float32)
    trainer = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': 0.01}, kvstore=kvstore)
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    for _ in range(steps):
        for b in range(0, 64, 32):
            xs = gluon.utils.split_and_load(mx.nd.array(X[b:b + 32]), ctxs)
            ys = gluon.utils.split_and_load(mx.nd.array(Y[b:b + 32]), ctxs)
            with autograd.record():
                losses = [loss(net(x), y) for x, y in zip(xs, ys)]
            for l in losses:
                l.backward()
            trainer.step(32)
    return net


@pytest.mark.parametrize("kvstore,hybrid", [('device', False), ('device', True), ('local', False), (None, False),
                                            ('kvobj', True)])
def test_data_parallel_training_equals_one_device(kvstore, hybrid):
    devs = _devices()
    ref = _train(_net(devs[:1]), devs[:1])
    net = _net(devs)
    if hybrid:
        net.hybridize()
    _train(net, devs, mx.kv.create('device') if kvstore == 'kvobj' else kvstore)
    for name, p in net.collect_params().items():
        want = ref.collect_params()[name].data().asnumpy()
        for copy in p.list_data():  # every copy equals the one-device weights (the gradients of halves add up)
            np.testing.assert_allclose(copy.asnumpy(), want, rtol=1e-5, atol=1e-6, err_msg=name)


def test_save_load_and_batchnorm_statistics(tmp_path):
    devs = _devices()
    net = _train(_net(devs, batchnorm=True), devs, steps=1)
    bn = net[1]
    means = [m.asnumpy() for m in bn.running_mean.list_data()]
    assert not np.allclose(means[0], means[1])  # each device saw its own half of every batch
    net.save_parameters(str(tmp_path / "dp.params"))
    loaded = gluon.nn.HybridSequential(prefix='net_')
    with loaded.name_scope():
        loaded.add(gluon.nn.Dense(16, activation='relu'), gluon.nn.BatchNorm(), gluon.nn.Dense(3))
    loaded.load_parameters(str(tmp_path / "dp.params"), ctx=devs)
    np.testing.assert_allclose(loaded[1].running_mean.data(devs[1]).asnumpy(), (means[0] + means[1]) / 2,
                               rtol=1e-6)  # saved as the mean of the copies
    np.testing.assert_array_equal(loaded[0].weight.data(devs[1]).asnumpy(), net[0].weight.data(devs[0]).asnumpy())
    x = mx.nd.ones((2, 10), ctx=devs[1])
    assert loaded(x).context == devs[1]
