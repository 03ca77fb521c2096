"""Python API names that MXNet 1.9.1 has and mxc lacked: NDArray/Symbol fluent methods, NDArray-only methods on a
Symbol, Gluon Block helpers, datasets and transforms, context/executor/rnn/model/init/io/test_utils helpers.

Expected values are MXNet 1.9.1's printed outputs (plain data) or NumPy references."""
import contextlib
import io
import json
import os

import numpy as np
import pytest

import mxc as mx
from mxc import gluon
from mxc.base import MXNetError, MXNetValueError, NotImplementedForSymbol
from mxc.gluon import nn
from mxc.gluon.data.vision import CIFAR100, transforms as T


# ----------------------------------------------------------------------------------------------------------------
# NDArray methods
# ----------------------------------------------------------------------------------------------------------------
def test_ndarray_fluent_methods_match_mxnet():
    x = mx.nd.arange(6).reshape((2, 3))
    np.testing.assert_array_equal(mx.nd.zeros((2, 1)).broadcast_like(x).asnumpy(), np.zeros((2, 3)))
    np.testing.assert_array_equal(mx.nd.array([[1], [2]]).broadcast_like(x).asnumpy(), [[1, 1, 1], [2, 2, 2]])
    np.testing.assert_array_equal(mx.nd.array([0, 2, 1]).one_hot(3).asnumpy(),
                                  [[1, 0, 0], [0, 0, 1], [0, 1, 0]])
    r = x.reshape_like(mx.nd.zeros((3, 2)))
    assert r.shape == (3, 2)
    np.testing.assert_array_equal(r.asnumpy(), [[0, 1], [2, 3], [4, 5]])
    np.testing.assert_array_equal(x.take(mx.nd.array([1, 0, 1])).asnumpy(), [[3, 4, 5], [0, 1, 2], [3, 4, 5]])
    np.testing.assert_array_equal(x.take(mx.nd.array([2, 0]), axis=1, mode="wrap").asnumpy(), [[2, 0], [5, 3]])
    parts = x.split_v2(3, axis=1)
    assert [p.shape for p in parts] == [(2, 1)] * 3
    np.testing.assert_array_equal(parts[2].asnumpy(), [[2], [5]])
    parts = x.split_v2((1,), axis=1)
    np.testing.assert_array_equal(parts[0].asnumpy(), [[0], [3]])
    np.testing.assert_array_equal(parts[1].asnumpy(), [[1, 2], [4, 5]])
    with pytest.raises(ValueError, match="indices_or_sections"):
        x.split_v2(1.5, axis=1)


def test_ndarray_slice_assign_in_place():
    z = mx.nd.zeros((3, 4))
    r = z.slice_assign(mx.nd.ones((2, 2)), (0, 1), (2, 3), (None, None))
    assert r is z
    expected = np.array([[0, 1, 1, 0], [0, 1, 1, 0], [0, 0, 0, 0]], dtype=np.float32)
    np.testing.assert_array_equal(z.asnumpy(), expected)
    r = z.slice_assign_scalar(5, (1, 0), (3, 2), (None, None))
    assert r is z
    expected[1:3, 0:2] = 5
    np.testing.assert_array_equal(z.asnumpy(), expected)
    # with a step, against NumPy's slice assignment
    a = np.arange(20, dtype=np.float32).reshape(4, 5)
    z = mx.nd.array(a)
    z.slice_assign(mx.nd.full((2, 2), -1), (0, 0), (4, 5), (2, 3))
    a[0:4:2, 0:5:3] = -1
    np.testing.assert_array_equal(z.asnumpy(), a)
    with pytest.raises(MXNetError):
        mx.nd.zeros((3, 4)).slice_assign(mx.nd.ones((3, 3)), (0, 1), (2, 3), (None, None))


def test_ndarray_tostype():
    x = mx.nd.arange(6).reshape((2, 3))
    y = x.tostype("default")
    assert y.stype == "default" and not y.shares_memory_with(x)
    np.testing.assert_array_equal(y.asnumpy(), x.asnumpy())
    assert x.tostype("csr").stype == "csr"  # mx.nd.sparse (tests/test_sparse.py)
    with pytest.raises(MXNetValueError, match="valid values are"):
        x.tostype("foo")


# ----------------------------------------------------------------------------------------------------------------
# Symbol methods
# ----------------------------------------------------------------------------------------------------------------
def test_symbol_fluent_methods_infer_mxnet_shapes():
    s, t = mx.sym.Variable("x"), mx.sym.Variable("y")
    assert s.broadcast_like(t).infer_shape(x=(1, 3), y=(2, 3)) == ([(1, 3), (2, 3)], [(2, 3)], [])
    assert s.one_hot(depth=4).infer_shape(x=(2,)) == ([(2,)], [(2, 4)], [])
    assert s.reshape_like(t).infer_shape(x=(6,), y=(2, 3)) == ([(6,), (2, 3)], [(2, 3)], [])
    sp = s.split_v2(3, axis=1)
    assert len(sp.list_outputs()) == 3
    assert sp.infer_shape(x=(2, 6)) == ([(2, 6)], [(2, 2), (2, 2), (2, 2)], [])
    assert s.split_v2((1, 3), axis=1).infer_shape(x=(2, 6))[1] == [(2, 1), (2, 2), (2, 3)]
    assert s.take(t).infer_shape(x=(4, 5), y=(2,)) == ([(4, 5), (2,)], [(2, 5)], [])
    out = s.take(t, axis=1, mode="wrap").eval(x=mx.nd.arange(6).reshape((2, 3)), y=mx.nd.array([2, 0]))[0]
    np.testing.assert_array_equal(out.asnumpy(), [[2, 0], [5, 3]])


@pytest.mark.parametrize("name", ["asnumpy", "asscalar", "wait_to_read", "backward", "detach", "copy", "as_in_context"])
def test_symbol_ndarray_only_methods_raise(name):
    s = mx.sym.Variable("x")
    with pytest.raises(NotImplementedForSymbol) as e:
        getattr(s, name)()
    # MXNet 1.9.1's text
    assert str(e.value) == "Function %s is not implemented for Symbol and only available in NDArray." % name
    assert isinstance(e.value, MXNetError)


def test_symbol_gradient_and_backends():
    s = mx.sym.Variable("x") * 2
    with pytest.raises(MXNetError, match="not implemented"):
        s.gradient(["x"])
    with pytest.raises(MXNetError, match="'foo' is not found"):
        s.get_backend_symbol("foo")
    # MXNet 1.9.1 logs "Error optimizing for backend 'foo' cannot be found" and returns the graph unchanged
    with pytest.warns(RuntimeWarning, match="'foo'"):
        o = s.optimize_for("foo", args={})
    assert o.tojson() == s.tojson()


# ----------------------------------------------------------------------------------------------------------------
# Gluon
# ----------------------------------------------------------------------------------------------------------------
DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")

# MXNet 1.9.1's net.summary(mx.nd.ones((2, 3))) for the HybridSequential of test_block_summary_matches_mxnet
MXNET_SUMMARY_MLP = """\
--------------------------------------------------------------------------------
        Layer (type)                                Output Shape         Param #
================================================================================
               Input                                      (2, 3)               0
        Activation-1                                      (2, 4)               0
             Dense-2                                      (2, 4)              16
         BatchNorm-3                                      (2, 4)              16
             Dense-4                                      (2, 2)              10
================================================================================
Parameters in forward computation graph, duplicate included
   Total params: 42
   Trainable params: 34
   Non-trainable params: 8
Shared params in forward computation graph: 0
Unique parameters in model: 42
--------------------------------------------------------------------------------
"""

# ... and of the Block of test_block_summary_nested_and_shared (a Sequential inside, two Dense sharing parameters)
MXNET_SUMMARY_NET = """\
--------------------------------------------------------------------------------
        Layer (type)                                Output Shape         Param #
================================================================================
               Input                                (1, 1, 5, 5)               0
            Conv2D-1                                (1, 2, 3, 3)              20
             Dense-2                                      (1, 5)              95
        Activation-3                                      (1, 5)               0
             Dense-4                                      (1, 5)              30
             Dense-5                                      (1, 5)              30
               Net-6                        (1, 5), (1, 1, 5, 5)               0
================================================================================
Parameters in forward computation graph, duplicate included
   Total params: 175
   Trainable params: 175
   Non-trainable params: 0
Shared params in forward computation graph: 30
Unique parameters in model: 145
--------------------------------------------------------------------------------
"""


def _printed(fn, *args):
    f = io.StringIO()
    with contextlib.redirect_stdout(f):
        fn(*args)
    return f.getvalue()


def test_block_summary_matches_mxnet():
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Dense(4, activation="relu", in_units=3))
        net.add(nn.BatchNorm())
        net.add(nn.Dense(2))  # deferred: the summary's forward completes it
    net.initialize()
    assert _printed(net.summary, mx.nd.ones((2, 3))) == MXNET_SUMMARY_MLP
    net.hybridize()
    with pytest.raises(AssertionError, match='must not be hybridized to print summary'):
        net.summary(mx.nd.ones((2, 3)))


def test_block_summary_nested_and_shared():
    class Net(gluon.Block):
        def __init__(self, **kw):
            super().__init__(**kw)
            with self.name_scope():
                self.conv = nn.Conv2D(2, 3, in_channels=1)
                self.body = nn.Sequential()
                self.body.add(nn.Dense(5), nn.Activation("tanh"))
                self.d2 = nn.Dense(5, in_units=5)
                self.d3 = nn.Dense(5, in_units=5, params=self.d2.params)

        def forward(self, x):
            return self.d3(self.d2(self.body(self.conv(x)))), x

    n = Net()
    n.initialize()
    assert _printed(n.summary, mx.nd.ones((1, 1, 5, 5))) == MXNET_SUMMARY_NET
    # the hooks are gone afterwards: a later call prints nothing
    assert _printed(n, mx.nd.ones((1, 1, 5, 5))) == ""


def test_register_op_hook_sees_every_operator():
    net = nn.HybridSequential()
    net.add(nn.Dense(3, in_units=2, activation="relu"), nn.Dense(1, in_units=3))
    net.initialize()
    seen = []
    net.register_op_hook(lambda name, op, arr: seen.append((name, op, arr.asnumpy())))
    x = mx.nd.array([[1.0, -2.0], [0.5, 3.0], [0.0, 1.0], [-1.0, -1.0]])
    net(x)
    assert seen == []  # not hybridized: nothing (MXNet 1.9.1)
    net.hybridize()
    out = net(x)
    names = [(n, o) for n, o, _ in seen]
    # MXNet 1.9.1's names for the hybridized net (its blocks numbered dense0/dense1 there)
    d0, d1 = net[0].name, net[1].name
    assert names == [(d0 + "_fwd_output", "FullyConnected"), (d0 + "_relu_fwd_output", "Activation"),
                     (d1 + "_fwd_output", "FullyConnected")]
    w0, b0 = net[0].weight.data().asnumpy(), net[0].bias.data().asnumpy()
    h = x.asnumpy() @ w0.T + b0
    np.testing.assert_allclose(seen[0][2], h, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(seen[1][2], np.maximum(h, 0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(seen[2][2], out.asnumpy(), rtol=1e-5, atol=1e-6)
    seen.clear()
    net.register_op_hook(lambda name, op, arr: seen.append((name, op, arr.shape)), monitor_all=True)
    net(x)
    assert [(n, s) for n, _, s in seen] == [
        (d0 + "_fwd_data", (4, 2)), (d0 + "_fwd_weight", (3, 2)), (d0 + "_fwd_bias", (3,)),
        (d0 + "_fwd_output", (4, 3)), (d0 + "_relu_fwd_data", (4, 3)), (d0 + "_relu_fwd_output", (4, 3)),
        (d1 + "_fwd_data", (4, 3)), (d1 + "_fwd_weight", (1, 3)), (d1 + "_fwd_bias", (1,)),
        (d1 + "_fwd_output", (4, 1))]


def _gaps_mlp():
    net = nn.HybridSequential()
    net.add(nn.Dense(4, activation="relu", in_units=3), nn.Dense(2, in_units=4))
    return net


def test_block_load_reads_mxnet_model_files():
    # written by MXNet 1.9.1's net.save(prefix) for the same structure (Uniform(1.0) weights)
    net = _gaps_mlp()
    net.load(os.path.join(DATA, "mxnet_gaps_mlp"))
    out = net(mx.nd.array([[1, 2, 3], [-1, 0.5, 2]]))
    np.testing.assert_allclose(out.asnumpy(), [[-0.8563140034675598, -0.0883258581161499],
                                               [-0.4494248032569885, 0.40909525752067566]], rtol=1e-5, atol=1e-6)
    other = nn.HybridSequential()
    other.add(nn.Dense(2, in_units=3), nn.Dense(2, in_units=2))
    with pytest.raises(KeyError, match="dense2"):  # MXNet 1.9.1: KeyError 'dense2'
        other.load(os.path.join(DATA, "mxnet_gaps_mlp"))


def test_block_save_writes_mxnet_structure(tmp_path):
    net = _gaps_mlp()
    net.initialize(mx.init.Uniform(1.0))
    prefix = str(tmp_path / "m")
    net.save(prefix)
    spec = json.load(open(prefix + "-model.json"))
    # MXNet 1.9.1 writes (for blocks named hybridsequential0, dense0, dense0_relu, dense1):
    # {"hybridsequential0": {"orig_name": "hybridsequential0", "hybridized": false, "children": {"dense0": "0",
    #  "dense1": "1"}, "dense1": {"orig_name": "dense0", "hybridized": false, "children": {"dense0_relu": "act"},
    #  "activation2": {"orig_name": "dense0_relu", "hybridized": false, "children": {}}}, "dense3": {"orig_name":
    #  "dense1", "hybridized": false, "children": {}}}}
    d0, d1 = net[0], net[1]
    assert spec == {"hybridsequential0": {
        "orig_name": net.name, "hybridized": False, "children": {d0.name: "0", d1.name: "1"},
        "dense1": {"orig_name": d0.name, "hybridized": False, "children": {d0.act.name: "act"},
                   "activation2": {"orig_name": d0.act.name, "hybridized": False, "children": {}}},
        "dense3": {"orig_name": d1.name, "hybridized": False, "children": {}}}}
    assert sorted(mx.nd.load(prefix + "-model.params")) == ["0.bias", "0.weight", "1.bias", "1.weight"]
    # MXNet's binary layout (MXNet 1.9.1 loads these files): the same leading bytes as its own file
    with open(prefix + "-model.params", "rb") as mine, open(os.path.join(DATA, "mxnet_gaps_mlp-model.params"),
                                                             "rb") as theirs:
        assert mine.read(16) == theirs.read(16)
    net.hybridize()
    x = mx.nd.array([[1, 2, 3]])
    ref = net(x).asnumpy()
    net.save(prefix)
    top = json.load(open(prefix + "-model.json"))["hybridsequential0"]
    assert top["hybridized"] is True and top["in_format"] == [0] and top["out_format"] == 0
    assert mx.sym.load_json(top["inputs"][0]).list_outputs() == ["data"]
    graph = mx.sym.load_json(top["symbol"])
    assert graph.list_arguments() == ["data", d0.weight.name, d0.bias.name, d1.weight.name, d1.bias.name]
    again = _gaps_mlp()
    again.load(prefix)
    assert again._hybrid_on
    np.testing.assert_array_equal(again(x).asnumpy(), ref)


def test_hybridblock_infer_type_and_optimize_for():
    net = nn.HybridSequential()
    net.add(nn.Dense(3, in_units=2), nn.Dense(1))
    net.initialize()
    net.infer_type(mx.nd.ones((4, 2)))
    assert all(np.dtype(p.dtype) == np.float32 for p in net.collect_params().values())
    with pytest.raises(MXNetError, match="float16"):  # MXNet 1.9.1: parameters float32, input float16
        net.infer_type(mx.nd.ones((4, 2), dtype="float16"))
    with pytest.raises(ValueError, match='Must specify "backend" to optimize_for'):
        net.optimize_for(mx.nd.ones((4, 2)))
    with pytest.warns(RuntimeWarning, match="'foo'"):
        assert net.optimize_for(mx.nd.ones((4, 2)), backend="foo") is None
    assert net._hybrid_on and net(mx.nd.ones((5, 2))).shape == (5, 1)


def test_parameter_dtype_property():
    p = gluon.Parameter("w", shape=(2, 3))
    assert p.dtype == np.float32
    p.dtype = "float16"
    assert p.dtype == "float16"  # kept as given (MXNet 1.9.1)
    p.initialize()
    assert p.data().dtype == np.float16
    p.dtype = np.float64
    assert p.data().dtype == np.float64 and p.dtype == np.float64
    assert isinstance(gluon.Parameter.dtype, property)


def test_parameterdict_load_dict():
    net = nn.Dense(3, in_units=2, prefix="dense2_")
    net.initialize()
    pd = net.collect_params()
    pd.load_dict({k: mx.nd.ones(v.shape) * 2 for k, v in pd.items()})
    np.testing.assert_array_equal(pd["dense2_bias"].data().asnumpy(), [2, 2, 2])
    pd.load_dict({"weight": mx.nd.ones((3, 2)) * 3, "bias": mx.nd.ones(3) * 4}, restore_prefix="dense2_")
    np.testing.assert_array_equal(pd["dense2_bias"].data().asnumpy(), [4, 4, 4])
    with pytest.raises(AssertionError,
                       match="'dense2_weight' is missing in param_dict, which contains parameters: 'x'"):
        pd.load_dict({"x": mx.nd.ones(1)})
    pd.load_dict({"dense2_bias": mx.nd.ones(3) * 7}, allow_missing=True)
    np.testing.assert_array_equal(pd["dense2_bias"].data().asnumpy(), [7, 7, 7])
    with pytest.raises(AssertionError, match=r"shape incompatible expected \(3,\) vs saved \(4,\)"):
        pd.load_dict({"dense2_bias": mx.nd.ones(4)}, allow_missing=True)
    with pytest.raises(ValueError, match="'x' loaded from param_dict is not present"):
        pd.load_dict({"x": mx.nd.ones(1)}, allow_missing=True)
    pd.load_dict({"dense2_bias": mx.nd.ones(3, dtype="float64")}, allow_missing=True, cast_dtype=True)
    assert pd["dense2_bias"].data().dtype == np.float32  # dtype_source='current'


# ----------------------------------------------------------------------------------------------------------------
# gluon.data.vision: CIFAR100, Rotate, RandomRotation
# ----------------------------------------------------------------------------------------------------------------


def test_cifar100_binary_records(tmp_path):
    with pytest.raises(FileNotFoundError, match="CIFAR100: cannot find train.bin"):
        CIFAR100(root=str(tmp_path))
    rng = np.random.RandomState(0)
    folder = tmp_path / "cifar-100-binary"
    folder.mkdir()
    rec = rng.randint(0, 256, size=(3, 3074)).astype(np.uint8)
    rec[:, 0] = [4, 19, 0]     # coarse labels
    rec[:, 1] = [40, 99, 7]    # fine labels
    rec.tofile(str(folder / "test.bin"))
    coarse = CIFAR100(root=str(tmp_path), train=False)
    fine = CIFAR100(root=str(tmp_path), fine_label=True, train=False)
    assert len(coarse) == len(fine) == 3
    x, y = coarse[1]
    assert x.shape == (32, 32, 3) and x.dtype == np.uint8 and y == 19 and type(y) is np.int32
    assert [fine[i][1] for i in range(3)] == [40, 99, 7]
    # a record: coarse label, fine label, then the red, green and blue planes of 32 rows of 32 pixels
    for c in range(3):
        np.testing.assert_array_equal(x.asnumpy()[:, :, c], rec[1, 2 + 1024 * c:2 + 1024 * (c + 1)].reshape(32, 32))
    ds = CIFAR100(root=str(tmp_path), train=False, transform=lambda d, l: (d.astype("float32") / 255, l + 1))
    assert ds[0][1] == 5 and ds[0][0].dtype == np.float32
    (folder / "test.bin").write_bytes(bytes(3073))
    with pytest.raises(ValueError, match="not a whole number of 3,074-byte records"):
        CIFAR100(root=str(tmp_path), train=False)


# MXNet 1.9.1: transforms.Rotate(...)(mx.nd.array(np.arange(40).reshape(2, 5, 4)))
MXNET_ROT90 = [[[2.4999990463256836, 4.499998092651367, 6.499996662139893, 8.5], [4.5, 8.5, 12.5, 16.5],
                [3.5, 7.5, 11.5, 15.5], [2.5, 6.5, 10.5, 14.5],
                [1.0, 2.999999523162842, 4.999999523162842, 6.999999046325684]],
               [[12.499994277954102, 14.499993324279785, 16.49999237060547, 18.5], [24.5, 28.5, 32.5, 36.5],
                [23.5, 27.5, 31.5, 35.5], [22.5, 26.5, 30.5, 34.5],
                [11.000001907348633, 12.999998092651367, 14.999998092651367, 16.999998092651367]]]
MXNET_ROT30_ZOOM_IN = [
    [[2.6407999992370605, 4.562984466552734, 6.48516845703125, 8.014776229858398],
     [4.6287617683410645, 6.55094575881958, 8.473130226135254, 10.39531421661377],
     [6.616723537445068, 8.538908004760742, 10.461091995239258, 12.383275985717773],
     [8.604684829711914, 10.526869773864746, 12.449054718017578, 14.371238708496094],
     [10.18879222869873, 12.51483154296875, 14.43701457977295, 16.359201431274414]],
    [[22.640798568725586, 24.562984466552734, 26.48516845703125, 27.17642593383789],
     [24.628761291503906, 26.550945281982422, 28.473129272460938, 30.395313262939453],
     [26.616724014282227, 28.538908004760742, 30.461091995239258, 32.383277893066406],
     [28.604686737060547, 30.526870727539062, 32.44905471801758, 34.371238708496094],
     [29.350444793701172, 32.51483154296875, 34.437015533447266, 36.35919952392578]]]
MXNET_ROT30_ZOOM_OUT = [
    [[0.0, 0.10486679524183273, 0.8613643050193787, 0.0], [0.18222571909427643, 2.9437904357910156,
                                                          7.217107772827148, 0.0],
     [1.9860150814056396, 7.363341808319092, 11.636658668518066, 8.712904930114746],
     [0.0, 11.782892227172852, 16.056209564208984, 11.036602020263672],
     [0.0, 4.593942642211914, 0.7446619272232056, 0.0]],
    [[0.0, 0.9991033673286438, 6.603792667388916, 0.0], [11.991522789001465, 22.943790435791016,
                                                         27.21710777282715, 0.0],
     [13.248039245605469, 27.36334228515625, 31.636659622192383, 19.974925994873047],
     [0.0, 31.78289222717285, 36.056209564208984, 22.84589195251465],
     [0.0, 10.336371421813965, 1.638903260231018, 0.0]]]
# ... Rotate(-45) of mx.nd.array(np.arange(18).reshape(2, 1, 3, 3)), a batch
MXNET_ROT_M45_BATCH = [
    [[[1.7573593854904175, 1.1715729236602783, 0.5857864618301392], [5.41421365737915, 4.0, 2.5857865810394287],
      [4.100504398345947, 6.828427314758301, 2.928931713104248]]],
    [[[7.02943754196167, 10.1715726852417, 5.8578643798828125], [14.414214134216309, 13.0, 11.585786819458008],
      [9.372581481933594, 15.8284273147583, 8.201008796691895]]]]


def test_rotate_matches_mxnet():
    img = mx.nd.array(np.arange(40).reshape(2, 5, 4))
    np.testing.assert_allclose(T.Rotate(90)(img).asnumpy(), MXNET_ROT90, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(T.Rotate(30, zoom_in=True)(img).asnumpy(), MXNET_ROT30_ZOOM_IN, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(T.Rotate(30, zoom_out=True)(img).asnumpy(), MXNET_ROT30_ZOOM_OUT, rtol=1e-5,
                               atol=1e-4)
    batch = mx.nd.array(np.arange(18).reshape(2, 1, 3, 3))
    np.testing.assert_allclose(T.Rotate(-45)(batch).asnumpy(), MXNET_ROT_M45_BATCH, rtol=1e-5, atol=1e-4)
    with pytest.raises(TypeError, match="only supports float32. Consider calling it after ToTensor"):
        T.Rotate(30)(mx.nd.ones((2, 3, 3), dtype="uint8"))
    with pytest.raises(ValueError, match="`zoom_in` and `zoom_out` cannot be both True"):
        T.Rotate(30, zoom_in=True, zoom_out=True)(img)


def test_random_rotation():
    img = mx.nd.array(np.arange(40).reshape(2, 5, 4))
    # a narrow range: the angle is 90 degrees up to 1e-4
    out = T.RandomRotation((90, 90.0001))(img)
    np.testing.assert_allclose(out.asnumpy(), MXNET_ROT90, rtol=1e-4, atol=1e-3)
    assert T.RandomRotation((10, 50), rotate_with_proba=0.0)(img) is img  # MXNet 1.9.1: the input itself
    # the angle is uniform in the limits: a batch gets one angle per image, each equal to a Rotate by some angle
    np.random.seed(5)
    batch = mx.nd.array(np.random.rand(3, 1, 6, 6))
    got = T.RandomRotation((-40, 40))(batch).asnumpy()
    for i in range(3):
        errs = [np.abs(T.Rotate(a)(batch[i]).asnumpy() - got[i]).max() for a in np.arange(-40, 40.01, 0.05)]
        assert min(errs) < 2e-3
    with pytest.raises(ValueError, match="`angle_limits` must be an ordered tuple"):
        T.RandomRotation((20, 20))
    with pytest.raises(ValueError, match="`angle_limits` must be an ordered tuple"):
        T.RandomRotation((30, 10))
    with pytest.raises(ValueError, match="Probability of rotating the image should be between 0 and 1"):
        T.RandomRotation((10, 20), rotate_with_proba=1.5)


# ----------------------------------------------------------------------------------------------------------------
# context, executor, rnn, init, model
# ----------------------------------------------------------------------------------------------------------------
def test_gpu_memory_info():
    from mxc.base import DeviceError
    if mx.context.num_gpus() == 0:
        # MXNet 1.9.1 without CUDA: MXNetError "This call is only supported for MXNet built with CUDA support."
        with pytest.raises(DeviceError, match=r"gpu_memory_info\(device_id=0\)"):
            mx.context.gpu_memory_info(0)
        return
    with pytest.raises(DeviceError, match="gpu_memory_info"):
        mx.context.gpu_memory_info(mx.context.num_gpus())
    mx.nd.waitall()
    free0, total0 = mx.context.gpu_memory_info(0)
    assert 0 <= free0 <= total0
    a = mx.nd.ones((1 << 16,), ctx=mx.gpu(0))  # 256 KiB held by an array
    a.wait_to_read()
    free1, total1 = mx.context.gpu_memory_info(0)
    assert total1 - free1 >= (total0 - free0) + 4 * (1 << 16)
    del a
    mx.nd.waitall()
    free2, total2 = mx.context.gpu_memory_info(0)
    assert free2 - free1 >= 4 * (1 << 16)  # back in the cache


def test_executor_get_optimized_symbol():
    x = mx.sym.var("x")
    y = mx.sym.relu(x * 2 + 1)
    ex = y.simple_bind(mx.cpu(), x=(2, 3))
    o = ex.get_optimized_symbol()
    assert isinstance(o, mx.sym.Symbol)
    # MXNet 1.9.1 (no subgraph backend): the same graph, arguments ['x'], one output
    assert o.list_arguments() == ["x"] and len(o.list_outputs()) == 1
    assert o.tojson() == y.tojson()
    v = np.array([[-1, 0, 1], [2, -3, 0.5]], np.float32)
    np.testing.assert_allclose(o.eval(x=mx.nd.array(v))[0].asnumpy(), np.maximum(v * 2 + 1, 0))


def test_rnn_module_names():
    assert mx.rnn.load_checkpoint is mx.model.load_checkpoint
    assert mx.rnn.save_checkpoint is mx.model.save_checkpoint
    cell = mx.rnn.LSTMCell(4, prefix="l_")
    with pytest.warns(UserWarning, match="rnn_unroll is deprecated"):
        out, states = mx.rnn.rnn_unroll(cell, 3, inputs=[mx.sym.var("x_%d" % i) for i in range(3)])
    # MXNet 1.9.1's cell.unroll for the same cell and inputs
    assert [o.name for o in out] == ["l_t0_out", "l_t1_out", "l_t2_out"]
    assert [s.name for s in states] == ["l_t2_out", "l_t2_state"]
    assert out[0].list_arguments() == ["x_0", "l_i2h_weight", "l_i2h_bias", "l_h2h_weight", "l_h2h_bias"]
    cell.reset()
    with pytest.warns(UserWarning):
        out, _ = mx.rnn.rnn_unroll(cell, 2, inputs=mx.sym.var("data"), layout="NTC")
    assert [o.name for o in out] == ["l_t0_out", "l_t1_out"]
    assert out[0].list_arguments() == ["data", "l_i2h_weight", "l_i2h_bias", "l_h2h_weight", "l_h2h_bias"]
    ex = mx.sym.Group(out).simple_bind(mx.cpu(), data=(1, 2, 3))
    assert [a.shape for a in ex.outputs] == [(1, 4), (1, 4)]


def test_init_load_and_model_get_updater(tmp_path):
    assert mx.init.load is mx.nd.load and mx.model.get_updater is mx.optimizer.get_updater
    assert mx.model.LogValidationMetricsCallback is mx.callback.LogValidationMetricsCallback
    f = str(tmp_path / "p.params")
    mx.nd.save(f, {"arg:w": mx.nd.array([1, 2, 3])})
    init = mx.init.Load(mx.init.load(f))
    w = mx.nd.zeros(3)
    init("w", w)
    np.testing.assert_array_equal(w.asnumpy(), [1, 2, 3])


# ----------------------------------------------------------------------------------------------------------------
# mx.io: ImageRecordUInt8Iter, ImageRecordInt8Iter
# ----------------------------------------------------------------------------------------------------------------
def _small_rec(path):
    rng = np.random.RandomState(0)
    w = mx.recordio.MXRecordIO(path, "w")
    for i in range(3):
        img = rng.randint(0, 256, size=(6, 8, 3)).astype(np.uint8)
        w.write(mx.recordio.pack_img(mx.recordio.IRHeader(0, float(i), i, 0), img, quality=100, img_fmt=".png"))
    w.close()


# MXNet 1.9.1 on the same file (data_shape (3, 4, 4), batch_size 2): first image, row 0 of each channel
MXNET_ROW0 = [[115, 197, 175, 99], [148, 243, 79, 82], [9, 208, 254, 192]]
MXNET_INT8_ROW0 = [[115, 127, 127, 99], [127, 127, 79, 82], [9, 127, 127, 127]]
MXNET_INT8_ROW0_MEAN_R200 = [[-85, -3, -25, -101], [127, 127, 79, 82], [9, 127, 127, 127]]
MXNET_INT8_ROW0_MEAN_GB = [[115, 127, 127, 99], [48, 127, -21, -18], [-41, 127, 127, 127]]  # mean_g 100, mean_b 50


def test_image_record_uint8_and_int8_iters(tmp_path):
    rec = str(tmp_path / "small.rec")
    _small_rec(rec)
    common = dict(path_imgrec=rec, data_shape=(3, 4, 4), batch_size=2)
    it = mx.io.ImageRecordIter(**common)
    b = it.next()
    assert b.data[0].dtype == np.float32 and b.data[0].asnumpy()[0, :, 0, :].tolist() == MXNET_ROW0
    for kw in ({}, dict(mean_r=200), dict(scale=0.5), dict(std_r=2.0), dict(dtype="float32")):
        it = mx.io.ImageRecordUInt8Iter(**common, **kw)
        assert it.provide_data[0].dtype == np.uint8 and it.provide_data[0].shape == (2, 3, 4, 4)
        assert it.provide_label[0].dtype == np.float32 and it.provide_label[0].shape == (2,)
        b = it.next()
        assert b.data[0].dtype == np.uint8 and b.label[0].dtype == np.float32
        assert b.data[0].asnumpy()[0, :, 0, :].tolist() == MXNET_ROW0
        assert b.label[0].asnumpy().tolist() == [0.0, 1.0] and b.pad == 0
    for kw, expected in (({}, MXNET_INT8_ROW0), (dict(scale=0.5), MXNET_INT8_ROW0),
                         (dict(std_r=2.0), MXNET_INT8_ROW0), (dict(mean_r=200), MXNET_INT8_ROW0_MEAN_R200),
                         (dict(mean_g=100, mean_b=50), MXNET_INT8_ROW0_MEAN_GB)):
        it = mx.io.ImageRecordInt8Iter(**common, **kw)
        assert it.provide_data[0].dtype == np.int8
        b = it.next()
        assert b.data[0].dtype == np.int8
        assert b.data[0].asnumpy()[0, :, 0, :].tolist() == expected
    # the deprecated _v1 names are the same iterators (MXNet 1.9.1 gives the same values)
    assert mx.io.ImageRecordIter_v1(**common).next().data[0].asnumpy()[0, :, 0, :].tolist() == MXNET_ROW0
    b = mx.io.ImageRecordUInt8Iter_v1(**common).next()
    assert b.data[0].dtype == np.uint8 and b.data[0].asnumpy()[0, :, 0, :].tolist() == MXNET_ROW0
    # ImageRecordIter with dtype 'uint8' / 'int8' is the same (MXNet 1.9.1)
    b = mx.io.ImageRecordIter(**common, dtype="uint8").next()
    assert b.data[0].dtype == np.uint8 and b.data[0].asnumpy()[0, :, 0, :].tolist() == MXNET_ROW0
    b = mx.io.ImageRecordIter(**common, dtype="int8").next()
    assert b.data[0].dtype == np.int8 and b.data[0].asnumpy()[0, :, 0, :].tolist() == MXNET_INT8_ROW0


# ----------------------------------------------------------------------------------------------------------------
# mx.test_utils: checkShapes, setenv/getenv, get_cuda_compute_capability
# ----------------------------------------------------------------------------------------------------------------
def test_test_utils_check_shapes_and_env():
    from mxc import test_utils as tu
    assert tu.checkShapes(np.ones((2, 3)), np.ones((2, 3))) is None
    assert tu.checkShapes(mx.nd.ones((2, 3)), mx.nd.ones((2, 3))) is None
    # MXNet 1.9.1's message starts so
    with pytest.raises(AssertionError, match=r"Items are not equal: a.shape = \(2, 3\) and b.shape = \(3, 2\) are "
                                             r"not equal"):
        tu.checkShapes(np.ones((2, 3)), np.ones((3, 2)))
    with pytest.raises(AssertionError, match=r"\(2, 4\) are not equal"):
        tu.checkShapes(mx.nd.ones((2, 3)), mx.nd.ones((2, 4)))
    name = "MXC_API_GAPS_TEST_VAR"
    assert tu.getenv(name) is None
    tu.setenv(name, "5")
    assert tu.getenv(name) == "5"
    assert name not in os.environ  # the C runtime's environment only (MXNet 1.9.1: os.environ unchanged)
    tu.setenv(name, None)
    assert tu.getenv(name) is None
    os.environ[name] = "abc"  # os.environ writes through to the C runtime
    try:
        assert tu.getenv(name) == "abc"
    finally:
        del os.environ[name]


def test_get_cuda_compute_capability():
    import ctypes
    from mxc import test_utils as tu
    with pytest.raises(ValueError, match=r"Expecting a gpu context to get cuda compute capability, while received "
                                         r"ctx cpu\(0\)"):
        tu.get_cuda_compute_capability(mx.cpu())
    driver = None
    for n in ("libcuda.so", "libcuda.so.1"):
        try:
            driver = ctypes.CDLL(n)
            break
        except OSError:
            pass
    if driver is None:  # MXNet 1.9.1 here: OSError "could not load any of: libcuda.so ..."
        with pytest.raises(OSError, match="could not load any of: libcuda.so"):
            tu.get_cuda_compute_capability(mx.gpu(0))
    else:
        cc = tu.get_cuda_compute_capability(mx.gpu(0))
        assert isinstance(cc, int) and 30 <= cc < 200


DET_LABELS = [[2, 5, 0, 0.1, 0.2, 0.5, 0.6], [2, 5, 1, 0.0, 0.0, 1.0, 1.0, 3, 0.25, 0.25, 0.75, 0.5],
              [2, 5, 2, 0.3, 0.3, 0.4, 0.9]]


def _det_rec(path):
    rng = np.random.RandomState(1)
    w = mx.recordio.MXRecordIO(path, "w")
    for i in range(3):
        img = rng.randint(0, 256, size=(6, 8, 3)).astype(np.uint8)
        w.write(mx.recordio.pack_img(mx.recordio.IRHeader(0, np.array(DET_LABELS[i], np.float32), i, 0), img,
                                     quality=100, img_fmt=".png"))
    w.close()


def _f32(values):
    return np.asarray(values, np.float32).tolist()


def test_image_det_record_iter_matches_mxnet(tmp_path):
    rec = str(tmp_path / "det.rec")
    _det_rec(rec)
    it = mx.io.ImageDetRecordIter(path_imgrec=rec, data_shape=(3, 4, 4), batch_size=2)
    # MXNet 1.9.1 on the same file: label rows [c, h, w, n] + the n label values, padded with -1 to the longest (12)
    assert it.provide_data[0].shape == (2, 3, 4, 4) and it.provide_data[0].dtype == np.float32
    assert it.provide_label[0].shape == (2, 16) and it.provide_label[0].dtype == np.float32
    pad5 = [-1.0] * 5
    row0 = _f32([3, 4, 4, 7] + DET_LABELS[0] + pad5)
    row1 = _f32([3, 4, 4, 12] + DET_LABELS[1])
    row2 = _f32([3, 4, 4, 7] + DET_LABELS[2] + pad5)
    b = it.next()
    assert b.pad == 0 and b.data[0].shape == (2, 3, 4, 4)
    assert b.label[0].asnumpy().tolist() == [row0, row1]
    # the 6x8 image resized to 4x4 (no crop); MXNet: [[151, 135, 139, 190], [235, 141, 122, 66], [78, 181, 213, 129]]
    # (one pixel differs by 1 between the two resizers' rounding)
    np.testing.assert_allclose(b.data[0].asnumpy()[0, :, 0, :],
                               [[151, 135, 139, 190], [235, 141, 122, 66], [78, 181, 213, 129]], atol=1)
    b = it.next()
    assert b.pad == 1 and b.label[0].asnumpy().tolist() == [row2, row0]
    with pytest.raises(StopIteration):
        it.next()
    it = mx.io.ImageDetRecordIter(path_imgrec=rec, data_shape=(3, 4, 4), batch_size=2, label_pad_width=20)
    assert it.provide_label[0].shape == (2, 24)
    assert it.next().label[0].asnumpy().tolist() == [row0 + [-1.0] * 8, row1 + [-1.0] * 8]
    it = mx.io.ImageDetRecordIter(path_imgrec=rec, data_shape=(3, 4, 4), batch_size=2, label_pad_value=-7,
                                  mean_r=10, std_r=2)
    b = it.next()
    assert b.label[0].asnumpy().tolist() == [row0[:11] + [-7.0] * 5, row1]
    np.testing.assert_allclose(b.data[0].asnumpy()[0, 0, 0, :], [70.5, 62.5, 64.5, 90.0], atol=0.5)
    with pytest.raises(NotImplementedError, match="rand_crop_prob"):
        mx.io.ImageDetRecordIter(path_imgrec=rec, data_shape=(3, 4, 4), batch_size=2, rand_crop_prob=0.5)
    with pytest.raises(ValueError, match="label_pad_width 5 is smaller than the longest label"):
        mx.io.ImageDetRecordIter(path_imgrec=rec, data_shape=(3, 4, 4), batch_size=2, label_pad_width=5)
