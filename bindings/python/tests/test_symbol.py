"""mx.sym: naming, composition, listing, attributes, inference (complete, partial, conflicting), JSON, printing."""
import copy
import json
import os
import pickle
import warnings

import numpy as np
import pytest

import mxc as mx
from mxc.base import MXNetError

# Written by MXNet 1.9.1 (sym.tojson()) for the seed's perceptron.
MXNET_MLP_JSON = json.dumps({
    "nodes": [{"op": "null", "name": "data", "inputs": []}, {"op": "null", "name": "weight1", "inputs": []},
              {"op": "null", "name": "bias1", "inputs": []},
              {"op": "FullyConnected", "name": "layer1", "attrs": {"num_hidden": "128"},
               "inputs": [[0, 0, 0], [1, 0, 0], [2, 0, 0]]},
              {"op": "Activation", "name": "act1", "attrs": {"act_type": "relu"}, "inputs": [[3, 0, 0]]},
              {"op": "null", "name": "layer2_weight", "attrs": {"num_hidden": "10"}, "inputs": []},
              {"op": "null", "name": "layer2_bias", "attrs": {"num_hidden": "10"}, "inputs": []},
              {"op": "FullyConnected", "name": "layer2", "attrs": {"num_hidden": "10"},
               "inputs": [[4, 0, 0], [5, 0, 0], [6, 0, 0]]},
              {"op": "null", "name": "softmax_label", "inputs": []},
              {"op": "SoftmaxOutput", "name": "softmax", "inputs": [[7, 0, 0], [8, 0, 0]]}],
    "arg_nodes": [0, 1, 2, 5, 6, 8], "node_row_ptr": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], "heads": [[9, 0, 0]],
    "attrs": {"mxnet_version": ["int", 10901]}})


def seed_mlp():
    data = mx.sym.Variable("data")
    label = mx.sym.Variable("softmax_label")
    w1 = mx.sym.Variable("weight1")
    b1 = mx.sym.Variable("bias1")
    l1 = mx.sym.FullyConnected(data=data, num_hidden=128, name="layer1", weight=w1, bias=b1)
    a1 = mx.sym.Activation(data=l1, act_type="relu", name="act1")
    l2 = mx.sym.FullyConnected(data=a1, num_hidden=10, name="layer2")
    return mx.sym.SoftmaxOutput(data=l2, label=label, name="softmax")


# ------------------------------------------------------------------------------------------------------------------
# Naming
# ------------------------------------------------------------------------------------------------------------------
def test_seed_names_with_a_fresh_name_manager():
    with mx.name.NameManager():
        a = mx.sym.Variable("A")
        b = mx.sym.Variable("B")
        c = (a + b) / 10
        d = c + 1
    assert d.list_arguments() == ["A", "B"]
    assert d.list_outputs() == ["_plusscalar0_output"]
    assert c.name == "_divscalar0"
    assert c.get_children().name == "_plus0"
    assert c.get_children().get_children().list_outputs() == ["A", "B"]


def test_operator_names_per_hint_counter_and_prefix():
    with mx.name.NameManager():
        x = mx.sym.Variable("x")
        f0 = mx.sym.FullyConnected(x, num_hidden=3)
        f1 = mx.sym.FullyConnected(f0, num_hidden=3)
        act = mx.sym.Activation(f1, act_type="relu")
        e = mx.sym.exp(act)
        assert (f0.name, f1.name, act.name, e.name) == ("fullyconnected0", "fullyconnected1", "activation0", "exp0")
        assert f1.list_arguments() == ["x", "fullyconnected0_weight", "fullyconnected0_bias",
                                       "fullyconnected1_weight", "fullyconnected1_bias"]
        with mx.name.Prefix("net_"):
            p = mx.sym.FullyConnected(x, num_hidden=2)
            q = mx.sym.FullyConnected(x, num_hidden=2, name="out")
        assert p.name == "net_fullyconnected0"
        assert q.name == "net_out"
        assert q.list_arguments() == ["x", "net_out_weight", "net_out_bias"]
        # comparison and other operators use MXNet's hints
        assert (x > 1).name == "_greater_scalar0"
        assert (x == x).name == "_equal0"
        assert (-x).name == "_mulscalar0"
        assert (2 - x).name == "_rminusscalar0"
        assert (2 / x).name == "_rdivscalar0"
        assert (x ** 2).name == "_powerscalar0"
        assert (x * x).name == "_mul0"


def test_seed_perceptron_arguments_and_aux_states():
    net = seed_mlp()
    assert net.list_arguments() == ["data", "weight1", "bias1", "layer2_weight", "layer2_bias", "softmax_label"]
    assert net.list_outputs() == ["softmax_output"]
    x = mx.sym.Variable("x")
    bn = mx.sym.BatchNorm(x, name="bn1")
    assert bn.list_arguments() == ["x", "bn1_gamma", "bn1_beta"]
    assert bn.list_auxiliary_states() == ["bn1_moving_mean", "bn1_moving_var"]
    assert bn.list_inputs() == ["x", "bn1_gamma", "bn1_beta", "bn1_moving_mean", "bn1_moving_var"]
    nb = mx.sym.FullyConnected(x, num_hidden=2, no_bias=True, name="nb")
    assert nb.list_arguments() == ["x", "nb_weight"]


def test_composition_forms():
    x = mx.sym.Variable("x")
    w = mx.sym.Variable("w")
    # symbol inputs positionally, by keyword, mixed; parameters positionally after the inputs
    a = mx.sym.FullyConnected(x, w, num_hidden=4, name="a")
    b = mx.sym.FullyConnected(x, weight=w, num_hidden=4, name="b")
    c = mx.sym.FullyConnected(data=x, weight=w, num_hidden=4, name="c")
    assert a.list_arguments() == ["x", "w", "a_bias"]
    assert b.list_arguments() == ["x", "w", "b_bias"]
    assert c.list_arguments() == ["x", "w", "c_bias"]
    s = mx.sym.sum(x, 1, name="s")  # axis positionally
    assert s.attr("axis") == "1"
    # variadic operators take any number of symbols and set num_args
    cat = mx.sym.Concat(x, w, x, dim=0, name="cat")
    assert cat.attr("num_args") == "3"
    assert mx.sym.add_n(*[x, w], name="an").list_arguments() == ["x", "w"]
    assert mx.sym.Concat([x, w], name="cat2").attr("num_args") == "2"
    # composing a graph: arguments replaced by name or position (__call__)
    y = mx.sym.Variable("y")
    net = mx.sym.exp(x, name="e") + w
    net2 = net(w=mx.sym.sin(y, name="sy"))
    assert net2.list_arguments() == ["x", "y"]
    assert net.list_arguments() == ["x", "w"]
    net3 = net(y)
    assert net3.list_arguments() == ["y", "w"]


def test_composition_errors():
    x = mx.sym.Variable("x")
    with pytest.raises(MXNetError, match="unknown input 'nope'"):
        mx.sym.FullyConnected(nope=x, num_hidden=3)
    with pytest.raises(MXNetError, match="required parameter 'num_hidden'"):
        mx.sym.FullyConnected(x)
    with pytest.raises(MXNetError, match="unknown parameter 'bogus'"):
        mx.sym.exp(x, bogus=1)
    with pytest.raises(MXNetError, match="one output"):
        mx.sym.exp(mx.sym.Group([x, x]))
    with pytest.raises(TypeError):
        mx.sym.Concat(x, 3)
    with pytest.raises(TypeError):
        x + "a"
    with pytest.raises(ValueError, match="double underscores"):
        mx.sym.Variable("v", foo=1)


# ------------------------------------------------------------------------------------------------------------------
# Structure and attributes
# ------------------------------------------------------------------------------------------------------------------
def test_outputs_internals_children_indexing():
    x = mx.sym.Variable("x")
    fc = mx.sym.FullyConnected(x, num_hidden=3, name="fc")
    act = mx.sym.Activation(fc, act_type="tanh", name="act")
    internals = act.get_internals()
    assert internals.list_outputs() == ["x", "fc_weight", "fc_bias", "fc_output", "act_output"]
    assert internals["fc_output"].name == "fc"
    assert internals[3].list_outputs() == ["fc_output"]
    assert internals[-1].name == "act"
    assert [s.name for s in internals[1:3]] == ["fc_weight", "fc_bias"]
    assert len(internals) == 5
    with pytest.raises(ValueError, match="no output named"):
        internals["nope"]
    with pytest.raises(IndexError):
        internals[5]
    assert act.get_children().list_outputs() == ["fc_output"]
    assert fc.get_children().list_outputs() == ["x", "fc_weight", "fc_bias"]
    assert x.get_children() is None
    sp = mx.sym.SliceChannel(x, num_outputs=3, name="sp")
    assert sp.list_outputs() == ["sp_output0", "sp_output1", "sp_output2"]
    assert sp.name is None
    assert repr(sp) == "<Symbol group [sp, sp, sp]>"
    assert repr(act) == "<Symbol act>"
    g = mx.sym.Group([fc, act])
    assert g.list_outputs() == ["fc_output", "act_output"]
    assert repr(g) == "<Symbol group [fc, act]>"


def test_attributes():
    v = mx.sym.Variable("w", shape=(2, 3), lr_mult=2.0, wd_mult=0.5, dtype="float64", init=mx.init.Zero(),
                        attr={"foo": "bar"}, __extra__="1")
    attrs = v.list_attr()
    assert attrs["__shape__"] == "(2, 3)"
    assert attrs["__lr_mult__"] == "2.0"
    assert attrs["__wd_mult__"] == "0.5"
    assert attrs["__dtype__"] == "1"
    assert attrs["foo"] == "bar" and attrs["__extra__"] == "1"
    assert json.loads(attrs["__init__"])[0] == "zero"
    assert v.attr("foo") == "bar" and v.attr("missing") is None
    fc = mx.sym.FullyConnected(v, num_hidden=4, name="fc", attr={"tag": "t1"})
    assert fc.list_attr() == {"num_hidden": "4", "tag": "t1"}
    assert fc.attr_dict()["fc"] == {"num_hidden": "4", "tag": "t1"}
    assert fc.attr_dict()["w"]["foo"] == "bar"
    with mx.AttrScope(ctx_group="dev1"):
        s = mx.sym.exp(v, name="e")
        u = mx.sym.Variable("u")
    assert s.attr("ctx_group") == "dev1" and u.attr("ctx_group") == "dev1"
    assert mx.sym.exp(v, name="e2").attr("ctx_group") is None
    s._set_attr(extra="x")
    assert s.attr("extra") == "x"
    with pytest.raises(MXNetError):
        mx.sym.Group([v, s])._set_attr(a="b")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert fc.list_attr(recursive=True)["fc$num_hidden"] == "4"


def test_copy_and_pickle_are_independent():
    net = seed_mlp()
    c = copy.copy(net)
    c._set_attr(tag="copy")
    assert net.attr("tag") is None
    d = copy.deepcopy(net)
    assert d.list_arguments() == net.list_arguments()
    p = pickle.loads(pickle.dumps(net))
    assert p.tojson() == net.tojson()


# ------------------------------------------------------------------------------------------------------------------
# Inference
# ------------------------------------------------------------------------------------------------------------------
def test_infer_shape_complete_backward_and_positional():
    a = mx.sym.Variable("A")
    b = mx.sym.Variable("B")
    d = (a + b) / 10 + 1
    assert d.infer_shape(A=(10,), B=(10,)) == ([(10,), (10,)], [(10,)], [])
    assert d.infer_shape(A=(10,)) == ([(10,), (10,)], [(10,)], [])  # B from A through the sum
    assert d.infer_shape((4, 2)) == ([(4, 2), (4, 2)], [(4, 2)], [])  # positional, list_arguments order
    assert d.infer_shape(None, (3,)) == ([(3,), (3,)], [(3,)], [])
    net = seed_mlp()
    arg, out, aux = net.infer_shape(data=(128, 784))
    assert arg == [(128, 784), (128, 784), (128,), (10, 128), (10,), (128,)]
    assert out == [(128, 10)] and aux == []
    bn = mx.sym.BatchNorm(mx.sym.Variable("x"), name="bn")
    assert bn.infer_shape(x=(2, 5, 3)) == ([(2, 5, 3), (5,), (5,)], [(2, 5, 3)], [(5,), (5,)])


def test_infer_shape_partial_and_unknown():
    x = mx.sym.Variable("x")
    fc = mx.sym.FullyConnected(x, num_hidden=4, name="fc")
    with pytest.warns(UserWarning, match="Cannot decide shape"):
        assert fc.infer_shape() == (None, None, None)
    arg, out, aux = fc.infer_shape_partial()
    assert arg == [(), (4, 0), (4,)] or arg == [(), (), (4,)]
    assert out == [()]
    arg, out, _ = fc.infer_shape_partial(x=(0, 7))
    assert arg[0] == (0, 7) and arg[1] == (4, 7) and out == [(0, 4)]
    # __shape__ of a variable counts as known
    v = mx.sym.Variable("v", shape=(3, 5))
    assert mx.sym.FullyConnected(v, num_hidden=2, name="g").infer_shape()[1] == [(3, 2)]


def test_infer_shape_conflict_names_node_argument_and_shapes():
    x = mx.sym.Variable("x")
    fc = mx.sym.FullyConnected(x, num_hidden=3, name="fc1")
    with pytest.raises(MXNetError) as e:
        fc.infer_shape(x=(4, 5), fc1_weight=(3, 6))
    msg = str(e.value)
    for part in ("fc1", "weight", "(3,5)", "(3,6)"):
        assert part in msg, msg
    assert isinstance(e.value, ValueError)  # a ShapeError is also a ValueError
    with pytest.raises(MXNetError, match="not an input"):
        fc.infer_shape(y=(1,))
    a, b = mx.sym.Variable("a"), mx.sym.Variable("b")
    with pytest.raises(MXNetError, match=r"\(2,\).*\(3,\)|\(3,\).*\(2,\)"):
        (a + b).infer_shape(a=(2,), b=(3,))


def test_infer_type():
    x = mx.sym.Variable("x")
    fc = mx.sym.FullyConnected(x, num_hidden=3, name="fc")
    arg, out, aux = fc.infer_type(x=np.float64)
    assert arg == [np.float64] * 3 and out == [np.float64] and aux == []
    assert fc.infer_type("float32")[1] == [np.float32]
    assert fc.infer_type() == (None, None, None)
    assert fc.infer_type_partial()[0] == [None, None, None]
    v = mx.sym.Variable("v", dtype=np.float64)
    assert (v * 2).infer_type()[1] == [np.float64]
    with pytest.raises(MXNetError, match="float32|float64"):
        (x + v).infer_type(x=np.float32)


# ------------------------------------------------------------------------------------------------------------------
# JSON and printing
# ------------------------------------------------------------------------------------------------------------------
def test_json_round_trip_and_files(tmp_path):
    net = seed_mlp()
    js = net.tojson()
    doc = json.loads(js)
    assert doc["attrs"]["mxnet_version"][1] >= 10900 and "mxc_version" in doc["attrs"]
    assert [n["name"] for n in doc["nodes"]][-1] == "softmax"
    back = mx.sym.load_json(js)
    assert back.list_arguments() == net.list_arguments()
    assert back.tojson() == js
    f = str(tmp_path / "net-symbol.json")
    net.save(f)
    assert mx.sym.load(f).tojson() == js
    with pytest.raises(MXNetError) as e:
        mx.sym.load(str(tmp_path / "missing.json"))
    assert isinstance(e.value, OSError)
    with pytest.raises(MXNetError, match="JSON parse error"):
        mx.sym.load_json("{")


def test_loads_mxnet_json():
    net = mx.sym.load_json(MXNET_MLP_JSON)
    assert net.list_arguments() == seed_mlp().list_arguments()
    assert net.infer_shape(data=(128, 784))[0] == seed_mlp().infer_shape(data=(128, 784))[0]
    assert net.get_internals()["act1_output"].attr("act_type") == "relu"


def test_debug_str():
    net = seed_mlp()
    s = net.debug_str()
    assert s.startswith("Symbol Outputs:\n\toutput[0]=softmax(0)")
    assert "Op:FullyConnected, Name=layer1" in s and "\tnum_hidden=128" in s
    assert "Variable:layer2_weight" in s


def test_symbol_methods_and_helpers():
    x = mx.sym.Variable("x")
    y = x.exp().sum(axis=1)
    assert y.infer_shape(x=(2, 3))[1] == [(2,)]
    z = x.reshape(shape=(3, 2))
    assert z.infer_shape(x=(2, 3))[1] == [(3, 2)]
    assert x.astype("float64").infer_type(x=np.float32)[1] == [np.float64]
    assert mx.sym.maximum(x, 1).infer_shape(x=(2,))[1] == [(2,)]
    assert mx.sym.pow(2, x).list_arguments() == ["x"]
    assert mx.sym.zeros((2, 3)).infer_shape()[1] == [(2, 3)]
    out = (x * 2 + 1).eval(x=mx.nd.array([1.0, 2.0]))
    np.testing.assert_allclose(out[0].asnumpy(), [3.0, 5.0])
    with pytest.raises(NotImplementedError):
        bool(x)
    assert hasattr(mx.sym, "_internal") and hasattr(mx.sym._internal, "_Plus")


def test_zero_dims_are_inferred_from_consumers():
    # MXNet 1.x: a 0 in a shape is an unknown dimension. zeros(shape=(0, 3)) takes its batch size from what consumes
    # it (an RNN's begin state), through FullyConnected's output and an elementwise add. MXNet 1.9.1 prints zeros for
    # this executor's output and these shapes; before, mxc left the (0, 3) array empty and FC's output unwritten.
    x = mx.sym.Variable("x")
    z = mx.sym.zeros(shape=(0, 3))
    y = mx.sym.FullyConnected(z, num_hidden=3, name="fc", no_bias=True) + x
    assert mx.sym.Group([z, y]).infer_shape(x=(2, 3)) == ([(3, 3), (2, 3)], [(2, 3), (2, 3)], [])
    e = y.simple_bind(mx.cpu(), x=(2, 3))
    e.arg_dict["fc_weight"][:] = 1
    e.arg_dict["x"][:] = 0.5
    np.testing.assert_array_equal(e.forward()[0].asnumpy(), np.full((2, 3), 0.5, np.float32))
    # flatten=False: leading dimensions from the output, the last one from the weight (MXNet 1.9.1 fills only the
    # first and leaves d at (2, 0, 5), so its infer_shape returns None).
    d = mx.sym.Variable("d")
    f = mx.sym.FullyConnected(d, num_hidden=4, flatten=False, name="f") + mx.sym.Variable("o")
    shapes = dict(zip(f.list_arguments(), f.infer_shape(d=(0, 0, 5), o=(2, 7, 4))[0]))
    assert shapes["d"] == (2, 7, 5) and shapes["f_weight"] == (4, 5)
    # where: y's unknown batch from x.
    w = mx.sym.where(mx.sym.Variable("c"), x, mx.sym.zeros(shape=(0, 3)))
    assert w.infer_shape(c=(2, 3), x=(2, 3))[1] == [(2, 3)]
    with pytest.raises(mx.base.MXNetError, match="where"):
        mx.sym.where(mx.sym.Variable("c"), x, mx.sym.zeros(shape=(0, 4))).infer_shape(c=(2, 3), x=(2, 3))
