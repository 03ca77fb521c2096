"""mx.mod.SequentialModule: a chain of two modules trains to the same weights as one Module over the composed
network (forward outputs, input gradients through the chain, fit), plus auto_wiring and errors."""
import numpy as np
import pytest

import mxc as mx


def _parts():
    data = mx.sym.Variable("data")
    h = mx.sym.Activation(mx.sym.FullyConnected(data, num_hidden=8, name="fc1"), act_type="relu", name="relu1")
    x = mx.sym.Variable("x")
    out = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(x, num_hidden=3, name="fc2"), name="softmax")
    whole = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(h, num_hidden=3, name="fc2"), name="softmax")
    return h, out, whole


def _data(n=60):
    rng = np.random.RandomState(0)
    x = rng.randn(n, 5).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.float32) + (x[:, 1] > 1).astype(np.float32)
    return x, y


def _params():
    rng = np.random.RandomState(1)
    return {"fc1_weight": mx.nd.array(rng.randn(8, 5) * 0.3), "fc1_bias": mx.nd.zeros((8,)),
            "fc2_weight": mx.nd.array(rng.randn(3, 8) * 0.3), "fc2_bias": mx.nd.zeros((3,))}


def _seq(h, out):
    seq = mx.mod.SequentialModule()
    seq.add(mx.mod.Module(h, data_names=["data"], label_names=None))
    seq.add(mx.mod.Module(out, data_names=["x"], label_names=["softmax_label"]), take_labels=True,
            auto_wiring=True)
    return seq


def test_forward_backward_match_one_module():
    h, out, whole = _parts()
    x, y = _data(10)
    seq = _seq(h, out)
    seq.bind(data_shapes=[("data", (10, 5))], label_shapes=[("softmax_label", (10,))], inputs_need_grad=True)
    seq.init_params(arg_params=_params())
    ref = mx.mod.Module(whole)
    ref.bind(data_shapes=[("data", (10, 5))], label_shapes=[("softmax_label", (10,))], inputs_need_grad=True)
    ref.init_params(arg_params=_params())
    batch = mx.io.DataBatch([mx.nd.array(x)], [mx.nd.array(y)])
    for m in (seq, ref):
        m.forward(batch, is_train=True)
        m.backward()
    np.testing.assert_allclose(seq.get_outputs()[0].asnumpy(), ref.get_outputs()[0].asnumpy(), rtol=1e-6)
    np.testing.assert_allclose(seq.get_input_grads()[0].asnumpy(), ref.get_input_grads()[0].asnumpy(), rtol=1e-5,
                               atol=1e-7)
    assert seq.data_names == ["data"] and seq.output_names == ["softmax_output"]
    assert seq.output_shapes == [("softmax_output", (10, 3))]
    assert sorted(seq.get_params()[0]) == ["fc1_bias", "fc1_weight", "fc2_bias", "fc2_weight"]


def test_fit_matches_one_module():
    h, out, whole = _parts()
    x, y = _data()
    seq = _seq(h, out)
    ref = mx.mod.Module(whole)
    for m in (seq, ref):
        it = mx.io.NDArrayIter(x, y, batch_size=10)
        m.fit(it, num_epoch=3, arg_params=_params(), optimizer="sgd",
              optimizer_params={"learning_rate": 0.2, "momentum": 0.9}, eval_metric="acc")
    a, r = seq.get_params()[0], ref.get_params()[0]
    for k in r:
        np.testing.assert_allclose(a[k].asnumpy(), r[k].asnumpy(), rtol=1e-5, atol=1e-6, err_msg=k)
    it = mx.io.NDArrayIter(x, y, batch_size=10)
    assert seq.score(it, "acc")[0][1] == pytest.approx(ref.score(mx.io.NDArrayIter(x, y, batch_size=10),
                                                                 "acc")[0][1])


def test_errors():
    h, out, _ = _parts()
    with pytest.raises(ValueError, match="unknown meta"):
        mx.mod.SequentialModule().add(mx.mod.Module(h, label_names=None), take_label=True)
    with pytest.raises(RuntimeError, match="no module added"):
        mx.mod.SequentialModule().bind(data_shapes=[("data", (2, 5))])
    seq = mx.mod.SequentialModule()
    seq.add(mx.mod.Module(h, label_names=None)).add(mx.mod.Module(h, label_names=None), auto_wiring=True)
    seq.bind(data_shapes=[("data", (2, 5))], for_training=False)
    with pytest.raises(ValueError, match="both have a parameter named fc1_weight"):
        seq.init_params()
