"""Checkpoints: file layout, atomic writes, clear errors, and training resumed exactly from a checkpoint."""
import os

import numpy as np
import pytest

import mxc as mx
from conftest import needs_ops
from _training_helpers import needs_random, needs_symbol, linear_softmax, mlp, separable_data

pytestmark = [needs_symbol, needs_random, needs_ops("FullyConnected", "Activation", "SoftmaxOutput")]


def bn_net():
    data = mx.sym.Variable("data")
    fc = mx.sym.FullyConnected(data=data, num_hidden=3, name="fc")
    bn = mx.sym.BatchNorm(data=fc, name="bn", fix_gamma=False)
    return mx.sym.SoftmaxOutput(data=bn, name="softmax")


@needs_ops("BatchNorm")
def test_layout_and_round_trip(tmp_path):
    net = bn_net()
    rng = np.random.RandomState(0)
    arg = {"fc_weight": mx.nd.array(rng.randn(3, 2)), "fc_bias": mx.nd.array(rng.randn(3)),
           "bn_gamma": mx.nd.array([1.0, 2.0, 3.0]), "bn_beta": mx.nd.array([0.0, 0.5, 1.0])}
    aux = {"bn_moving_mean": mx.nd.array([0.1, 0.2, 0.3]), "bn_moving_var": mx.nd.array([1.0, 1.5, 2.0])}
    prefix = str(tmp_path / "net")
    mx.model.save_checkpoint(prefix, 3, net, arg, aux)
    assert sorted(os.listdir(tmp_path)) == ["net-0003.params", "net-symbol.json"]
    raw = mx.nd.load(prefix + "-0003.params")
    assert sorted(raw) == ["arg:bn_beta", "arg:bn_gamma", "arg:fc_bias", "arg:fc_weight", "aux:bn_moving_mean",
                           "aux:bn_moving_var"]
    sym, arg2, aux2 = mx.model.load_checkpoint(prefix, 3)
    assert sym.list_arguments() == net.list_arguments()
    assert sym.list_auxiliary_states() == net.list_auxiliary_states()
    for src, dst in ((arg, arg2), (aux, aux2)):
        assert sorted(src) == sorted(dst)
        for k in src:
            np.testing.assert_array_equal(dst[k].asnumpy(), src[k].asnumpy())
    arg3, aux3 = mx.model.load_params(prefix, 3)
    assert sorted(arg3) == sorted(arg) and sorted(aux3) == sorted(aux)


def test_missing_checkpoint_errors(tmp_path):
    prefix = str(tmp_path / "gone")
    with pytest.raises(FileNotFoundError, match="gone-symbol.json"):
        mx.model.load_checkpoint(prefix, 1)
    mx.model.save_checkpoint(prefix, 2, linear_softmax(2), {"fc_weight": mx.nd.zeros((2, 2)),
                                                            "fc_bias": mx.nd.zeros((2,))}, {})
    with pytest.raises(FileNotFoundError, match=r"gone-0005.params.*gone-0002.params"):
        mx.model.load_checkpoint(prefix, 5)
    with pytest.raises(FileNotFoundError, match="gone-0005.params"):
        mx.mod.Module.load(prefix, 5)
    with pytest.raises(FileNotFoundError, match="gone-0002.states"):
        mx.mod.Module.load(prefix, 2, load_optimizer_states=True)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        mx.model.save_checkpoint(str(tmp_path / "no" / "dir" / "x"), 1, None, {}, {})


def test_params_file_with_foreign_keys(tmp_path):
    fname = str(tmp_path / "bad-0001.params")
    mx.nd.save(fname, {"weight": mx.nd.zeros((1,))})
    with pytest.raises(ValueError, match="'arg:' or 'aux:'"):
        mx.model.load_params(str(tmp_path / "bad"), 1)


def test_interrupted_save_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    net = linear_softmax(2)
    good = {"fc_weight": mx.nd.ones((2, 3)), "fc_bias": mx.nd.ones((2,))}
    prefix = str(tmp_path / "m")
    mx.model.save_checkpoint(prefix, 1, net, good, {})
    before = (tmp_path / "m-0001.params").read_bytes()
    real_save = mx.nd.save

    def crashing_save(fname, data):
        real_save(fname, data)
        with open(fname, "r+b") as f:  # leave a truncated file behind, then die
            f.truncate(10)
        raise KeyboardInterrupt("simulated crash while writing")

    monkeypatch.setattr(mx.nd, "save", crashing_save)
    bad = {"fc_weight": mx.nd.zeros((2, 3)), "fc_bias": mx.nd.zeros((2,))}
    with pytest.raises(KeyboardInterrupt):
        mx.model.save_checkpoint(prefix, 1, net, bad, {})
    monkeypatch.undo()
    assert (tmp_path / "m-0001.params").read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["m-0001.params", "m-symbol.json"]  # no temporary file left
    _, arg, _ = mx.model.load_checkpoint(prefix, 1)
    np.testing.assert_array_equal(arg["fc_weight"].asnumpy(), 1.0)


def test_interrupted_symbol_save_keeps_the_previous_file(tmp_path, monkeypatch):
    prefix = str(tmp_path / "s")
    net = linear_softmax(2)
    mx.model.save_checkpoint(prefix, 1, net, {}, {})
    before = (tmp_path / "s-symbol.json").read_text()

    class Broken(object):
        def tojson(self):
            raise RuntimeError("cannot serialize")

    with pytest.raises(RuntimeError):
        mx.model.save_checkpoint(prefix, 1, Broken(), {}, {})
    assert (tmp_path / "s-symbol.json").read_text() == before
    assert sorted(os.listdir(tmp_path)) == ["s-0001.params", "s-symbol.json"]


def train_module(prefix, optimizer, optimizer_params, begin, end, load_epoch=None, net=None):
    """Trains a Module on a fixed (unshuffled) iterator from epoch `begin` to `end`, from a checkpoint when
    load_epoch is given; checkpoints (with optimizer states) at the end. Returns the parameters."""
    x, y = separable_data(n=60, dim=5, classes=3, seed=5)
    train = mx.io.NDArrayIter(x, y, batch_size=20, shuffle=False)
    if load_epoch is None:
        mod = mx.mod.Module(net if net is not None else mlp(num_hidden=8, num_classes=3))
        mx.random.seed(11)
        mod.fit(train, num_epoch=end, begin_epoch=begin, optimizer=optimizer, optimizer_params=optimizer_params,
                initializer=mx.init.Xavier())
    else:
        mod = mx.mod.Module.load(prefix, load_epoch, load_optimizer_states=True)
        mod.fit(train, num_epoch=end, begin_epoch=begin, optimizer=optimizer, optimizer_params=optimizer_params)
    mod.save_checkpoint(prefix, end, save_optimizer_states=True)
    arg, aux = mod.get_params()
    return {k: v.asnumpy() for k, v in list(arg.items()) + list(aux.items())}


@pytest.mark.parametrize("optimizer,params", [
    ("sgd", {"learning_rate": 0.1, "momentum": 0.9, "wd": 1e-3}),
    ("adam", {"learning_rate": 0.01}),
    ("rmsprop", {"learning_rate": 0.01}),
    ("sgd", {"learning_rate": 0.2, "lr_scheduler": mx.lr_scheduler.FactorScheduler(step=4, factor=0.5,
                                                                                    base_lr=0.2)}),
])
def test_module_resume_is_exact(tmp_path, optimizer, params):
    import copy
    full = train_module(str(tmp_path / "full"), optimizer, copy.deepcopy(params), 0, 4)
    train_module(str(tmp_path / "part"), optimizer, copy.deepcopy(params), 0, 2)
    resumed = train_module(str(tmp_path / "part"), optimizer, copy.deepcopy(params), 2, 4, load_epoch=2)
    assert sorted(full) == sorted(resumed)
    for k in full:
        np.testing.assert_array_equal(resumed[k], full[k], err_msg=k)
    # The optimizer state (momentum, Adam/RMSProp moments) and update counts after resuming equal those of the
    # uninterrupted run: the epoch-4 .states files hold the same arrays and counters.
    full_states, full_opt = load_states(tmp_path / "full-0004.states")
    part_states, part_opt = load_states(tmp_path / "part-0004.states")
    assert sorted(full_states) == sorted(part_states)
    if optimizer != "sgd" or params.get("momentum"):
        assert any(a is not None for a in full_states.values())
    for k in full_states:
        assert_same_state(part_states[k], full_states[k], "state %r" % k)
    assert part_opt.num_update == full_opt.num_update == 4 * 3
    assert part_opt._index_update_count == full_opt._index_update_count
    assert part_opt.learning_rate == pytest.approx(full_opt.learning_rate)


def load_states(path):
    """(per-index states as NumPy, the optimizer) from a Module .states file."""
    import pickle
    states, opt = pickle.loads(path.read_bytes())
    return states, opt


def assert_same_state(a, b, what):
    if isinstance(a, (tuple, list)):
        assert isinstance(b, (tuple, list)) and len(a) == len(b), what
        for x, y in zip(a, b):
            assert_same_state(x, y, what)
    elif a is None or b is None:
        assert a is None and b is None, what
    else:
        np.testing.assert_array_equal(getattr(a, "value", a), getattr(b, "value", b), err_msg=what)


@needs_ops("BatchNorm")
def test_module_resume_with_batchnorm_is_exact(tmp_path):
    params = {"learning_rate": 0.05, "momentum": 0.9}
    full = train_module(str(tmp_path / "full"), "sgd", dict(params), 0, 3, net=bn_net())
    train_module(str(tmp_path / "part"), "sgd", dict(params), 0, 1, net=bn_net())
    resumed = train_module(str(tmp_path / "part"), "sgd", dict(params), 1, 3, load_epoch=1)
    for k in full:
        np.testing.assert_array_equal(resumed[k], full[k], err_msg=k)
    assert "bn_moving_mean" in full


def test_feedforward_resume_and_do_checkpoint(tmp_path):
    x, y = separable_data(n=60, dim=5, classes=3, seed=6)

    def data():
        return mx.io.NDArrayIter(x, y, batch_size=20, shuffle=False)

    prefix = str(tmp_path / "ff")
    mx.random.seed(3)
    full = mx.model.FeedForward(mlp(num_hidden=8, num_classes=3), num_epoch=4, learning_rate=0.1)
    full.fit(data(), epoch_end_callback=mx.callback.do_checkpoint(prefix))
    assert sorted(os.listdir(tmp_path)) == ["ff-0001.params", "ff-0002.params", "ff-0003.params",
                                            "ff-0004.params", "ff-symbol.json"]
    resumed = mx.model.FeedForward.load(prefix, 2, num_epoch=4, learning_rate=0.1)
    resumed.fit(data())
    for k, v in full.arg_params.items():
        np.testing.assert_array_equal(resumed.arg_params[k].asnumpy(), v.asnumpy(), err_msg=k)
    _, last, _ = mx.model.load_checkpoint(prefix, 4)
    for k, v in full.arg_params.items():
        np.testing.assert_array_equal(last[k].asnumpy(), v.asnumpy())


def test_module_save_load_params(tmp_path):
    x, y = separable_data(n=40, dim=4, classes=2)
    mod = mx.mod.Module(linear_softmax(2))
    mod.fit(mx.io.NDArrayIter(x, y, batch_size=10), num_epoch=1)
    fname = str(tmp_path / "only.params")
    mod.save_params(fname)
    other = mx.mod.Module(linear_softmax(2))
    other.bind(data_shapes=[("data", (10, 4))], label_shapes=[("softmax_label", (10,))])
    other.init_params()
    other.load_params(fname)
    a, _ = mod.get_params()
    b, _ = other.get_params()
    for k in a:
        np.testing.assert_array_equal(a[k].asnumpy(), b[k].asnumpy())
