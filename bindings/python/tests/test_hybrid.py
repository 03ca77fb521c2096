"""mx.nd.CachedOp, HybridBlock.hybridize, export and gluon.SymbolBlock.

A hybridized block must give what the same block gives imperatively: outputs, gradients, Trainer steps, BatchNorm
running statistics and Dropout masks (same seed) are compared between the two runs. Export's file names, keys,
input names and the error before a forward are MXNet 1.9.1's; tests/data/mxnet_tiny-* was exported by MXNet 1.9.1
(a conv net with BatchNorm) and the expected outputs below were printed by MXNet for the same input.
"""
import os

import numpy as np
import pytest

import mxc as mx
from mxc import autograd, gluon, nd
from mxc.base import MXNetError
from mxc.gluon import nn

DATA = os.path.join(os.path.dirname(__file__), "data")


def _ctx():
    return mx.current_context()


def _arr(a):
    return nd.array(np.asarray(a, dtype=np.float32), ctx=_ctx())


def _mlp(seed=0):
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Dense(8, activation="relu"), nn.BatchNorm(), nn.Dropout(0.3), nn.Dense(3))
    net.initialize(mx.init.Xavier(), ctx=_ctx())
    rng = np.random.RandomState(seed)
    net(_arr(rng.randn(2, 5)))  # shapes known, parameters made
    for p in net.collect_params().values():
        p.set_data(_arr(rng.randn(*p.shape) * 0.5 + (1.5 if p.name.endswith("var") else 0)))
    return net


def _copy_params(src, dst):
    for a, b in zip(src.collect_params().values(), dst.collect_params().values()):
        b.set_data(a.data().copy())


def _lenet():
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Conv2D(4, kernel_size=3, activation="relu"), nn.MaxPool2D(2), nn.Conv2D(6, kernel_size=2),
                nn.BatchNorm(), nn.Activation("tanh"), nn.Flatten(), nn.Dense(10))
    net.initialize(mx.init.Xavier(), ctx=_ctx())
    return net


# ----------------------------------------------------------------------------------------------------------------
# CachedOp
# ----------------------------------------------------------------------------------------------------------------
def test_cachedop_runs_the_graph_in_list_inputs_order():
    a, b, w = mx.sym.var("a"), mx.sym.var("b"), mx.sym.var("w")
    y = mx.sym.FullyConnected(a * 2 - b, w, no_bias=True, num_hidden=2)
    assert y.list_inputs() == ["a", "b", "w"]
    op = nd.CachedOp(y, flags=[("static_alloc", True)])
    assert (op.num_inputs, op.num_outputs) == (3, 1)
    rng = np.random.RandomState(1)
    av, bv, wv = rng.randn(4, 3), rng.randn(4, 3), rng.randn(2, 3)
    out = op(_arr(av), _arr(bv), _arr(wv))
    np.testing.assert_allclose(out.asnumpy(), (2 * av - bv) @ wv.T, rtol=1e-5, atol=1e-6)
    two = nd.CachedOp(mx.sym.Group([a + b, mx.sym.relu(a)]))
    s, r = two(_arr([1, -2]), _arr([3, 4]))
    assert s.asnumpy().tolist() == [4, 2] and r.asnumpy().tolist() == [1, 0]


def test_cachedop_errors_name_the_node_and_shapes():
    x, w = mx.sym.var("x"), mx.sym.var("w")
    y = mx.sym.FullyConnected(x, w, no_bias=True, num_hidden=2, name="fc1")
    op = nd.CachedOp(y)
    with pytest.raises(MXNetError, match=r"expected 2 inputs \(x, w\), got 1"):
        op(_arr(np.ones((2, 3))))
    with pytest.raises(MXNetError, match=r"node 'fc1' \(FullyConnected\) on input shapes \[\(2,3\), \(2,4\)\]"):
        op(_arr(np.ones((2, 3))), _arr(np.ones((2, 4))))
    with pytest.raises(TypeError, match="NDArrays"):
        op(_arr(np.ones((2, 3))), 1.0)
    with pytest.raises(MXNetError, match="unknown flag 'static_allocation'"):
        nd.CachedOp(y, flags={"static_allocation": True})


def test_cachedop_records_for_autograd():
    x, w = mx.sym.var("x"), mx.sym.var("w")
    op = nd.CachedOp(mx.sym.sum(mx.sym.tanh(mx.sym.broadcast_mul(x, w))))
    xv, wv = _arr([[0.5, -1.0], [2.0, 0.1]]), _arr([[0.3, 0.7]])
    wv.attach_grad()
    xv.attach_grad()
    with autograd.record():
        loss = op(xv, wv)
    loss.backward()
    t = np.tanh(xv.asnumpy() * wv.asnumpy())
    np.testing.assert_allclose(wv.grad.asnumpy(), ((1 - t ** 2) * xv.asnumpy()).sum(0, keepdims=True), rtol=1e-5)
    np.testing.assert_allclose(xv.grad.asnumpy(), (1 - t ** 2) * wv.asnumpy(), rtol=1e-5)


# ----------------------------------------------------------------------------------------------------------------
# hybridize: the same numbers as the imperative block
# ----------------------------------------------------------------------------------------------------------------
def _train(net, steps, hybrid, seed=7):
    if hybrid:
        net.hybridize()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1, "momentum": 0.9})
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    rng = np.random.RandomState(3)
    mx.random.seed(seed)
    losses, grads = [], []
    for _ in range(steps):
        x, y = _arr(rng.randn(6, 5)), _arr(rng.randint(0, 3, 6))
        with autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward()
        grads.append([p.grad().asnumpy().copy() for p in net.collect_params().values() if p.grad_req != "null"])
        trainer.step(6)
        losses.append(loss.asnumpy())
    return losses, grads


def test_hybridized_training_equals_imperative_training():
    a, b = _mlp(), _mlp()
    _copy_params(a, b)
    la, ga = _train(a, 4, hybrid=False)
    lb, gb = _train(b, 4, hybrid=True)
    assert b._cached  # the cached graph ran
    for x, y in zip(la, lb):
        np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-6)
    for step_a, step_b in zip(ga, gb):
        for x, y in zip(step_a, step_b):
            np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-6)
    # parameters after the Trainer steps, BatchNorm running statistics included
    for p, q in zip(a.collect_params().values(), b.collect_params().values()):
        np.testing.assert_allclose(p.data().asnumpy(), q.data().asnumpy(), rtol=1e-5, atol=1e-6, err_msg=p.name)
    stats = [p for p in b.collect_params().values() if "running" in p.name]
    assert len(stats) == 2 and not np.allclose(stats[0].data().asnumpy(), 0)


def test_hybridized_inference_and_dropout_follow_the_training_flag():
    net = _mlp(1)
    x = _arr(np.random.RandomState(2).randn(4, 5))
    ref = net(x).asnumpy()
    net.hybridize()
    np.testing.assert_allclose(net(x).asnumpy(), ref, rtol=1e-5, atol=1e-6)
    # training mode (batch statistics, so the running statistics changed by each run do not matter)
    net.hybridize(active=False)
    mx.random.seed(11)
    with autograd.train_mode():
        ref_train = net(x).asnumpy()
    net.hybridize()
    mx.random.seed(11)
    with autograd.train_mode():
        hyb_train = net(x).asnumpy()
    np.testing.assert_allclose(hyb_train, ref_train, rtol=1e-5, atol=1e-6)  # the same Dropout mask
    assert not np.allclose(hyb_train, ref)


def test_lenet_hybridized_gradients_equal_imperative():
    a, b = _lenet(), _lenet()
    x = _arr(np.random.RandomState(5).randn(2, 1, 12, 12))
    a(x), b(x)
    _copy_params(a, b)
    b.hybridize(static_alloc=True, static_shape=True)
    outs = []
    for net in (a, b):
        with autograd.record():
            out = net(x)
            loss = (out * out).sum()
        loss.backward()
        outs.append((out.asnumpy(), [p.grad().asnumpy() for p in net.collect_params().values()
                                     if p.grad_req != "null"]))
    np.testing.assert_allclose(outs[0][0], outs[1][0], rtol=1e-5, atol=1e-6)
    for g, h in zip(outs[0][1], outs[1][1]):
        np.testing.assert_allclose(g, h, rtol=1e-4, atol=1e-6)


class _TwoIn(gluon.HybridBlock):
    def __init__(self, **kw):
        super().__init__(**kw)
        with self.name_scope():
            self.dense = nn.Dense(3, in_units=2)

    def hybrid_forward(self, F, a, b=None):
        y = self.dense(a)
        return y if b is None else [y + b, F.relu(b)]


def test_retrace_when_the_number_of_inputs_changes_and_several_outputs():
    net = _TwoIn()
    net.initialize(ctx=_ctx())
    a, b = _arr([[1, 2]]), _arr([[-1, 0, 1]])
    one_ref = net(a).asnumpy()
    two_ref = [o.asnumpy() for o in net(a, b)]
    net.hybridize()
    np.testing.assert_allclose(net(a).asnumpy(), one_ref, rtol=1e-6)
    assert [shapes for _, shapes in net._cached] == [((1, 2),)]
    two = net(a, b)
    assert isinstance(two, list) and len(two) == 2
    assert [shapes for _, shapes in net._cached] == [((1, 2),), ((1, 2), (1, 3))]
    for x, y in zip(two, two_ref):
        np.testing.assert_allclose(x.asnumpy(), y, rtol=1e-6)
    # one graph per input shape: another batch size traces again, the first one's graph is reused
    a3 = _arr([[1, 2], [3, 4], [5, 6]])
    np.testing.assert_allclose(net(a3).asnumpy()[:1], one_ref, rtol=1e-6)
    np.testing.assert_allclose(net(a).asnumpy(), one_ref, rtol=1e-6)
    assert len(net._cached) == 3


class _Plain(gluon.Block):
    def __init__(self, **kw):
        super().__init__(**kw)
        with self.name_scope():
            self.body = nn.HybridSequential()
            self.body.add(nn.Dense(4, activation="tanh"), nn.Dense(2))

    def forward(self, x):
        h = self.body(x)
        return h * float(h.asnumpy().sum() > -1e9)  # Python control flow: not traceable


def test_plain_block_with_hybrid_children():
    net = _Plain()
    net.initialize(ctx=_ctx())
    x = _arr(np.random.RandomState(4).randn(3, 5))
    ref = net(x).asnumpy()
    net.hybridize()
    assert net.body._hybrid_on
    np.testing.assert_allclose(net(x).asnumpy(), ref, rtol=1e-6)
    assert net.body._cached


def test_hybridized_shape_error_names_the_block_and_node():
    net = nn.HybridSequential()
    net.add(nn.Dense(2, in_units=3))
    net.initialize(ctx=_ctx())
    net.hybridize()
    with pytest.raises(MXNetError, match=r"FullyConnected.*\(4,5\)"):
        net(_arr(np.ones((4, 5))))


# ----------------------------------------------------------------------------------------------------------------
# export, SymbolBlock, Module
# ----------------------------------------------------------------------------------------------------------------
def test_export_needs_a_forward_first(tmp_path):
    net = nn.Dense(2, in_units=2)
    net.initialize(ctx=_ctx())
    net.hybridize()
    with pytest.raises(RuntimeError, match=r"^Please first call block.hybridize\(\) and then run forward with this "
                                           r"block at least once before calling export.$"):
        net.export(str(tmp_path / "x"))


def test_export_files_and_names_as_mxnet(tmp_path):
    with mx.name.NameManager():
        net = _mlp(3)
    net.hybridize()
    x = _arr(np.random.RandomState(6).randn(2, 5))
    ref = net(x).asnumpy()
    path = str(tmp_path / "net")
    net.export(path, epoch=3)
    assert sorted(os.listdir(str(tmp_path))) == ["net-0003.params", "net-symbol.json"]
    stored = nd.load(path + "-0003.params")
    pre = net.prefix
    assert sorted(stored) == sorted(
        ["arg:%sbatchnorm0_beta" % pre, "arg:%sbatchnorm0_gamma" % pre, "arg:%sdense0_bias" % pre,
         "arg:%sdense0_weight" % pre, "arg:%sdense1_bias" % pre, "arg:%sdense1_weight" % pre,
         "aux:%sbatchnorm0_running_mean" % pre, "aux:%sbatchnorm0_running_var" % pre])
    graph = mx.sym.load(path + "-symbol.json")
    assert graph.list_inputs()[0] == "data"
    # op nodes are named inside their block's scope, the same at every export
    assert graph.get_internals().list_outputs()[3] == pre + "dense0_fwd_output"  # MXNet 1.9.1's name
    net.export(path + "again", epoch=3)
    with open(path + "-symbol.json") as f, open(path + "again-symbol.json") as g:
        assert f.read() == g.read()
    # SymbolBlock.imports, mx.model.load_checkpoint and mx.mod.Module.load give the block's outputs
    blk = gluon.SymbolBlock.imports(path + "-symbol.json", ["data"], path + "-0003.params", ctx=_ctx())
    np.testing.assert_allclose(blk(x).asnumpy(), ref, rtol=1e-5, atol=1e-6)
    sym, args, auxs = mx.model.load_checkpoint(path, 3)
    assert sorted(auxs) == ["%sbatchnorm0_running_mean" % pre, "%sbatchnorm0_running_var" % pre]
    mod = mx.mod.Module.load(path, 3, data_names=["data"], label_names=None, context=_ctx())
    mod.bind(data_shapes=[("data", (2, 5))], for_training=False)
    mod.forward(mx.io.DataBatch([x]), is_train=False)
    np.testing.assert_allclose(mod.get_outputs()[0].asnumpy(), ref, rtol=1e-5, atol=1e-6)
    two = _TwoIn()
    two.initialize(ctx=_ctx())
    two.hybridize()
    two(_arr([[1, 2]]), _arr([[1, 2, 3]]))
    two.export(str(tmp_path / "two"))
    assert mx.sym.load(str(tmp_path / "two-symbol.json")).list_inputs()[:1] == ["data0"]
    assert "data1" in mx.sym.load(str(tmp_path / "two-symbol.json")).list_inputs()


# MXNet 1.9.1: net(x) for x = linspace(-1, 1, 72).reshape(2, 1, 6, 6) with the exported tiny net
MXNET_TINY_OUT = [[-0.32391440868377686, -0.4738035798072815, 0.6650978326797485],
                  [-0.04818038269877434, -0.3127177059650421, -0.06910963356494904]]


def test_symbolblock_imports_a_network_exported_by_mxnet():
    prefix = os.path.join(DATA, "mxnet_tiny")
    blk = gluon.SymbolBlock.imports(prefix + "-symbol.json", "data", prefix + "-0000.params", ctx=_ctx())
    assert sorted(blk.collect_params()) == [
        "tiny_batchnorm0_beta", "tiny_batchnorm0_gamma", "tiny_batchnorm0_running_mean",
        "tiny_batchnorm0_running_var", "tiny_conv0_bias", "tiny_conv0_weight", "tiny_dense0_bias",
        "tiny_dense0_weight"]
    x = _arr(np.linspace(-1, 1, 72).reshape(2, 1, 6, 6))
    np.testing.assert_allclose(blk(x).asnumpy(), MXNET_TINY_OUT, rtol=1e-5, atol=1e-6)
    mod = mx.mod.Module.load(prefix, 0, data_names=["data"], label_names=None, context=_ctx())
    mod.bind(data_shapes=[("data", (2, 1, 6, 6))], for_training=False)
    mod.forward(mx.io.DataBatch([x]), is_train=False)
    np.testing.assert_allclose(mod.get_outputs()[0].asnumpy(), MXNET_TINY_OUT, rtol=1e-5, atol=1e-6)


def test_symbolblock_trains_and_defers_shapes():
    data = mx.sym.var("data")
    fc = mx.sym.FullyConnected(data, num_hidden=2, name="fc")
    out = mx.sym.Activation(fc, act_type="tanh")
    blk = gluon.SymbolBlock(out, data)
    assert sorted(blk.collect_params()) == ["fc_bias", "fc_weight"]
    blk.initialize(mx.init.Constant(0.5), ctx=_ctx())
    x = _arr([[1.0, -2.0, 0.5]])
    with autograd.record():
        y = blk(x)
    y.backward()
    assert blk.collect_params()["fc_weight"].shape == (2, 3)
    t = np.tanh(0.5 * (1 - 2 + 0.5) + 0.5)
    np.testing.assert_allclose(y.asnumpy(), [[t, t]], rtol=1e-6)
    np.testing.assert_allclose(blk.collect_params()["fc_weight"].grad().asnumpy(),
                               np.outer([1 - t * t] * 2, [1.0, -2.0, 0.5]), rtol=1e-5)
    trainer = gluon.Trainer(blk.collect_params(), "sgd", {"learning_rate": 1.0})
    trainer.step(1)
    np.testing.assert_allclose(blk.collect_params()["fc_bias"].data().asnumpy(), [0.5 - (1 - t * t)] * 2,
                               rtol=1e-5)
    # composed symbolically inside another graph
    z = blk(mx.sym.var("z"))
    assert z.list_inputs() == ["z", "fc_weight", "fc_bias"]
    # inside a name scope the Parameters keep the graph's names; params= shares them
    outer = nn.HybridSequential()
    with outer.name_scope():
        inner = gluon.SymbolBlock(out, data, params=blk.collect_params())
    assert sorted(inner.collect_params()) == ["fc_bias", "fc_weight"]
    assert inner.collect_params()["fc_weight"] is blk.collect_params()["fc_weight"]
    np.testing.assert_allclose(inner(x).asnumpy(), blk(x).asnumpy())
    with pytest.raises(ValueError, match="expected 1 input"):
        blk(x, x)
    with pytest.raises(ValueError, match="not an input of the graph"):
        gluon.SymbolBlock(out, mx.sym.var("nope"))


def test_nd_save_reads_and_writes_mxnet_layout(tmp_path):
    # the file MXNet 1.9.1 wrote, read and written again: the same bytes
    src = os.path.join(DATA, "mxnet_tiny-0000.params")
    again = str(tmp_path / "again.params")
    nd.ndarray._save_mxnet(again, nd.load(src))
    with open(src, "rb") as f, open(again, "rb") as g:
        assert f.read() == g.read()
    f = str(tmp_path / "m.params")
    nd.ndarray._save_mxnet(f, {"a": _arr([1, 2]), "b": nd.array([[3]], dtype="int32")})
    with open(f, "rb") as fh:
        head = fh.read(24)
    assert head[:8] == (0x112).to_bytes(8, "little") and head[16:24] == (2).to_bytes(8, "little")
    back = nd.load(f)
    assert back["a"].asnumpy().tolist() == [1, 2] and back["b"].dtype == np.int32
    with open(f, "rb") as fh:
        blob = fh.read()
    with open(f, "wb") as fh:
        fh.write(blob[:40])
    with pytest.raises(MXNetError, match="corrupt MXNet array file: count 2 too large"):
        nd.load(f)
    with open(f, "wb") as fh:
        fh.write(blob[:60])
    with pytest.raises(MXNetError, match="truncated or corrupt array file"):
        nd.load(f)
