"""mx.mod.BucketingModule: buckets share one parameter set, gradients and optimizer.

References: plain Modules run batch by batch with a NumPy SGD-with-momentum step (MXNet's formula) on one set of
weights; a plain Module when there is only one bucket; finite differences of the cross-entropy for gradients.
"""
import random

import numpy as np
import pytest

import mxc as mx
from conftest import needs_ops

pytestmark = needs_ops("FullyConnected", "Embedding", "SoftmaxOutput", "SliceChannel", "stack")

VOCAB, EMBED, HIDDEN = 7, 3, 4


def sym_gen(seq_len):
    data = mx.sym.Variable('data')
    label = mx.sym.Variable('softmax_label')
    embed = mx.sym.Embedding(data, input_dim=VOCAB, output_dim=EMBED, name='embed')
    cell = mx.rnn.LSTMCell(HIDDEN, prefix='lstm_')
    outputs, _ = cell.unroll(seq_len, embed, merge_outputs=True)
    pred = mx.sym.FullyConnected(mx.sym.Reshape(outputs, shape=(-1, HIDDEN)), num_hidden=VOCAB, name='pred')
    out = mx.sym.SoftmaxOutput(pred, mx.sym.Reshape(label, shape=(-1,)), name='softmax')
    return out, ('data',), ('softmax_label',)


def _init(seed=0):
    sym = sym_gen(4)[0]
    shapes = dict(zip(sym.list_arguments(), sym.infer_shape(data=(2, 4), softmax_label=(2, 4))[0]))
    rng = np.random.RandomState(seed)
    return {n: (rng.randn(*s) * 0.4).astype(np.float32) for n, s in shapes.items()
            if n not in ('data', 'softmax_label')}


def _batch(key, seed, batch=2):
    rng = np.random.RandomState(seed)
    data = rng.randint(0, VOCAB, (batch, key)).astype(np.float32)
    label = rng.randint(0, VOCAB, (batch, key)).astype(np.float32)
    return mx.io.DataBatch([mx.nd.array(data)], [mx.nd.array(label)], bucket_key=key,
                           provide_data=[mx.io.DataDesc('data', (batch, key))],
                           provide_label=[mx.io.DataDesc('softmax_label', (batch, key))])


def _module(context=mx.cpu(), key=4, **kw):
    mod = mx.mod.BucketingModule(sym_gen, default_bucket_key=key, context=context, **kw)
    mod.bind(data_shapes=[('data', (2, key))], label_shapes=[('softmax_label', (2, key))])
    mod.init_params(arg_params={k: mx.nd.array(v) for k, v in _init().items()})
    return mod


KEYS = [4, 3, 4, 2, 3]
LR, MOM = 0.5, 0.9


def _train(mod, keys=KEYS):
    mod.init_optimizer(optimizer='sgd', optimizer_params={'learning_rate': LR, 'momentum': MOM})
    for i, key in enumerate(keys):
        mod.forward_backward(_batch(key, i))
        mod.update()
    return {k: v.asnumpy() for k, v in mod.get_params()[0].items()}


def test_names_and_binding():
    mod = mx.mod.BucketingModule(sym_gen, default_bucket_key=4)
    assert mod.data_names == ['data'] and mod.output_names == ['softmax_output']
    with pytest.raises(RuntimeError, match="bind"):
        mod.symbol
    with pytest.raises(RuntimeError, match="bind"):
        mod.switch_bucket(3, [('data', (2, 3))])
    mod = _module()
    assert mod.data_shapes == [('data', (2, 4))] and mod.label_shapes == [('softmax_label', (2, 4))]
    assert mod.symbol.list_arguments() == ['data', 'embed_weight', 'lstm_i2h_weight', 'lstm_i2h_bias',
                                           'lstm_h2h_weight', 'lstm_h2h_bias', 'pred_weight', 'pred_bias',
                                           'softmax_label']
    mod.forward(_batch(3, 0), is_train=False)
    assert mod._curr_bucket_key == 3 and sorted(mod._buckets) == [3, 4]
    assert mod.data_shapes == [('data', (2, 3))] and mod.output_shapes == [('softmax_output', (6, VOCAB))]
    assert mod.get_outputs()[0].shape == (6, VOCAB)
    with pytest.raises(ValueError, match="default_bucket_key"):
        mx.mod.BucketingModule(sym_gen)
    with pytest.raises(TypeError, match="sym_gen"):
        mx.mod.BucketingModule(lambda key: sym_gen(key)[0], default_bucket_key=4)


def test_buckets_share_parameters_gradients_and_memory():
    mod = _module()
    for key in (3, 2):
        mod.switch_bucket(key, [('data', (2, key))], [('softmax_label', (2, key))])
    default, small = mod._buckets[4]._exec_group, mod._buckets[2]._exec_group
    assert default.param_names == small.param_names
    for name, a, b in zip(default.param_names, default.param_arrays, small.param_arrays):
        a[0][:] = 1.5
        assert np.all(b[0].asnumpy() == 1.5), name   # one array
    for a, b in zip(default.grad_arrays, small.grad_arrays):
        b[0][:] = 2.0
        assert np.all(a[0].asnumpy() == 2.0)
    # parameters read through any bucket are the same values
    mod = _module()
    _train(mod)
    ref = {k: v.asnumpy() for k, v in mod.get_params()[0].items()}
    for key, sub in mod._buckets.items():
        got = sub.get_params()[0]
        for name in ref:
            np.testing.assert_array_equal(got[name].asnumpy(), ref[name], err_msg="%s %s" % (key, name))


def _hand_loop(keys=KEYS):
    """The reference: a fresh plain Module per batch, on one set of NumPy weights updated by MXNet's SGD with
    momentum: ``mom = MOM * mom - LR * grad / batch; w += mom``."""
    weights = _init()
    moms = {k: np.zeros_like(v) for k, v in weights.items()}
    for i, key in enumerate(keys):
        sym, data_names, label_names = sym_gen(key)
        mod = mx.mod.Module(sym, data_names, label_names)
        mod.bind(data_shapes=[('data', (2, key))], label_shapes=[('softmax_label', (2, key))])
        mod.init_params(arg_params={k: mx.nd.array(v) for k, v in weights.items()})
        mod.forward_backward(_batch(key, i))
        grads = dict(zip(mod._exec_group.param_names, [g[0].asnumpy() for g in mod._exec_group.grad_arrays]))
        for name in weights:
            moms[name] = MOM * moms[name] - LR * grads[name] / 2.0
            weights[name] = weights[name] + moms[name]
    return weights


def test_training_equals_hand_loop():
    got = _train(_module())
    ref = _hand_loop()
    for name in ref:
        np.testing.assert_allclose(got[name], ref[name], rtol=1e-4, atol=1e-5, err_msg=name)


def test_one_bucket_equals_module():
    got = _train(_module(), keys=[4, 4, 4])
    sym, data_names, label_names = sym_gen(4)
    mod = mx.mod.Module(sym, data_names, label_names)
    mod.bind(data_shapes=[('data', (2, 4))], label_shapes=[('softmax_label', (2, 4))])
    mod.init_params(arg_params={k: mx.nd.array(v) for k, v in _init().items()})
    ref = _train(mod, keys=[4, 4, 4])
    for name in ref:
        np.testing.assert_array_equal(got[name], ref[name], err_msg=name)


def test_multi_device_equals_one_device():
    ref = _train(_module())
    got = _train(_module(context=[mx.cpu(0), mx.cpu(1)]))
    for name in ref:
        np.testing.assert_allclose(got[name], ref[name], rtol=1e-4, atol=1e-5, err_msg=name)


def _loss(mod, batch):
    mod.forward(batch, is_train=False)
    prob = mod.get_outputs()[0].asnumpy().astype(np.float64)
    label = batch.label[0].asnumpy().reshape(-1).astype(int)
    return -np.log(prob[np.arange(len(label)), label]).sum()


def test_gradients_by_finite_differences():
    mod = mx.mod.BucketingModule(sym_gen, default_bucket_key=4)
    mod.bind(data_shapes=[('data', (2, 4))], label_shapes=[('softmax_label', (2, 4))], inputs_need_grad=False)
    mod.init_params(arg_params={k: mx.nd.array(v) for k, v in _init(1).items()})
    batch = _batch(3, 7)
    mod.forward_backward(batch)   # bucket 3 (not the default)
    group = mod._curr_module._exec_group
    grads = {n: g[0].asnumpy().copy() for n, g in zip(group.param_names, group.grad_arrays)}
    params = {n: p[0] for n, p in zip(group.param_names, group.param_arrays)}
    rng = np.random.RandomState(0)
    eps = 1e-2
    for name in ('lstm_h2h_weight', 'lstm_i2h_bias', 'embed_weight', 'pred_weight'):
        arr = params[name]
        for _ in range(3):
            idx = tuple(rng.randint(0, d) for d in arr.shape)
            base = arr.asnumpy()
            for sign in (1, -1):
                bumped = base.copy()
                bumped[idx] += sign * eps
                arr[:] = bumped
                if sign == 1:
                    up = _loss(mod, batch)
                else:
                    down = _loss(mod, batch)
            arr[:] = base
            np.testing.assert_allclose(grads[name][idx], (up - down) / (2 * eps), rtol=2e-2, atol=2e-3,
                                       err_msg="%s%s" % (name, idx))


def test_outputs_match_module_of_that_bucket():
    mod = _module()
    batch = _batch(2, 3)
    mod.forward(batch, is_train=False)
    sym, data_names, label_names = sym_gen(2)
    ref = mx.mod.Module(sym, data_names, label_names)
    ref.bind(data_shapes=[('data', (2, 2))], label_shapes=[('softmax_label', (2, 2))], for_training=False)
    ref.init_params(arg_params={k: mx.nd.array(v) for k, v in _init().items()})
    ref.forward(batch, is_train=False)
    np.testing.assert_allclose(mod.get_outputs()[0].asnumpy(), ref.get_outputs()[0].asnumpy(), rtol=1e-6)


def test_checkpoint_round_trip(tmp_path):
    mod = _module()
    _train(mod)
    prefix = str(tmp_path / 'lm')
    mod.save_checkpoint(prefix, 3)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ['lm-0003.params', 'lm-2-symbol.json', 'lm-3-symbol.json', 'lm-4-symbol.json', 'lm.buckets']
    assert mx.nd.load(prefix + '.buckets')[0].asnumpy().tolist() == [4, 3, 2]   # MXNet's file: keys, int32
    loaded = mx.mod.BucketingModule.load(prefix, 3, sym_gen=sym_gen, default_bucket_key=4)
    loaded.bind(data_shapes=[('data', (2, 4))], label_shapes=[('softmax_label', (2, 4))], for_training=False)
    for key in (4, 3):
        batch = _batch(key, 11)
        mod.forward(batch, is_train=False)
        loaded.forward(batch, is_train=False)
        np.testing.assert_array_equal(loaded.get_outputs()[0].asnumpy(), mod.get_outputs()[0].asnumpy())
    with pytest.raises(ValueError, match="sym_gen is required"):
        mx.mod.BucketingModule.load(prefix, 3)
    args, auxs = mx.model.load_params(prefix, 3)
    sym_dict = {key: mx.sym.load('%s-%d-symbol.json' % (prefix, key)) for key in (4, 3, 2)}
    from_dict = mx.mod.BucketingModule.load_dict(sym_dict, sym_gen, 4, args, auxs)
    from_dict.bind(data_shapes=[('data', (2, 4))], label_shapes=[('softmax_label', (2, 4))], for_training=False)
    from_dict.forward(_batch(3, 11), is_train=False)
    np.testing.assert_array_equal(from_dict.get_outputs()[0].asnumpy(), mod.get_outputs()[0].asnumpy())
    with pytest.raises(ValueError, match="sym_dict needs to be provided"):
        mx.mod.BucketingModule.load_dict(sym_gen=sym_gen, default_bucket_key=4, arg_params={}, aux_params={})


def test_bucket_with_unknown_parameter_is_an_error():
    def gen(key):
        if key == 4:
            return sym_gen(4)
        sym, d, l = sym_gen(key)
        return mx.sym.FullyConnected(sym, num_hidden=2, name='extra'), d, l
    mod = mx.mod.BucketingModule(gen, default_bucket_key=4)
    mod.bind(data_shapes=[('data', (2, 4))], label_shapes=[('softmax_label', (2, 4))], for_training=False)
    mod.init_params()
    with pytest.raises(ValueError, match=r"bucket 3 has parameters \['extra_weight', 'extra_bias'\]"):
        mod.forward(_batch(3, 0), is_train=False)


class _Count(object):
    def __init__(self):
        self.execs = 0

    def install(self, exe):
        self.execs += 1


def test_fit_score_predict_with_bucket_iterator():
    rng = np.random.RandomState(0)
    # sentences of a cyclic language (each token followed by the next): learnable
    sentences = []
    for _ in range(60):
        start, length = rng.randint(1, VOCAB), rng.choice([3, 5])
        sentences.append([1 + (start + k) % (VOCAB - 1) for k in range(length)])
    # the iterator shuffles with Python's random and NumPy's global generator (as MXNet's): seeded here, so the
    # batches do not depend on which tests ran before
    mx.random.seed(0)
    random.seed(0)
    np.random.seed(0)
    it = mx.rnn.BucketSentenceIter(sentences, 4, buckets=[3, 5], invalid_label=0)
    mod = mx.mod.BucketingModule(sym_gen, default_bucket_key=it.default_bucket_key)
    metric = mx.metric.Perplexity(ignore_label=0)
    mod.fit(it, eval_metric=metric, num_epoch=10, optimizer='adam',
            optimizer_params={'learning_rate': 0.05}, initializer=mx.init.Xavier())
    mon = _Count()
    mod.install_monitor(mon)
    assert mon.execs == 2
    (name, ppl), = mod.score(it, mx.metric.Perplexity(ignore_label=0))
    # the uniform baseline is 7; over seeds 0-11 (10 epochs) perplexity ended between 1.25 and 1.6
    assert name == 'perplexity' and ppl < 2.0, ppl
    out = mod.predict(it, merge_batches=False)
    assert len(out) == len(it) and {o[0].shape[0] for o in out} == {12, 20}


def _seq_gen(seq_len):
    """Float sequences (N, T, 3) through a fused LSTM; the loss is SoftmaxOutput on each step."""
    data = mx.sym.Variable('data')
    cell = mx.rnn.FusedRNNCell(HIDDEN, num_layers=1, mode='lstm', prefix='lstm_')
    outputs, _ = cell.unroll(seq_len, data, layout='NTC', merge_outputs=True)
    pred = mx.sym.FullyConnected(mx.sym.Reshape(outputs, shape=(-1, HIDDEN)), num_hidden=3, name='pred')
    label = mx.sym.Reshape(mx.sym.Variable('softmax_label'), shape=(-1,))
    return mx.sym.SoftmaxOutput(pred, label, name='softmax'), ('data',), ('softmax_label',)


def test_fused_cell_buckets_input_gradients():
    """A FusedRNNCell network: its flat parameters are initialized by mx.init.FusedRNN through the Module (forget
    biases 1), and the input gradients of a non-default bucket agree with finite differences."""
    mod = mx.mod.BucketingModule(_seq_gen, default_bucket_key=5)
    mod.bind(data_shapes=[('data', (2, 5, 3))], label_shapes=[('softmax_label', (2, 5))], inputs_need_grad=True)
    mx.random.seed(1)
    mod.init_params(initializer=mx.init.Xavier())
    flat = mod.get_params()[0]['lstm_parameters']
    biases = mx.rnn.FusedRNNCell(HIDDEN, prefix='lstm_').unpack_weights({'lstm_parameters': flat})
    np.testing.assert_array_equal(biases['lstm_l0_i2h_f_bias'].asnumpy(), np.ones(HIDDEN))
    np.testing.assert_array_equal(biases['lstm_l0_h2h_i_bias'].asnumpy(), np.zeros(HIDDEN))
    assert np.abs(biases['lstm_l0_i2h_i_weight'].asnumpy()).max() > 0
    rng = np.random.RandomState(3)
    x = rng.randn(2, 3, 3).astype(np.float32)
    y = rng.randint(0, 3, (2, 3)).astype(np.float32)
    batch = mx.io.DataBatch([mx.nd.array(x)], [mx.nd.array(y)], bucket_key=3,
                            provide_data=[mx.io.DataDesc('data', (2, 3, 3))],
                            provide_label=[mx.io.DataDesc('softmax_label', (2, 3))])
    mod.forward_backward(batch)
    grad = mod.get_input_grads()[0].asnumpy()
    assert grad.shape == (2, 3, 3)

    def loss(xv):
        b = mx.io.DataBatch([mx.nd.array(xv)], [mx.nd.array(y)], bucket_key=3)
        return _loss(mod, b)
    eps = 1e-2
    for idx in [(0, 0, 0), (1, 2, 1), (0, 1, 2), (1, 0, 1)]:
        up, down = x.copy(), x.copy()
        up[idx] += eps
        down[idx] -= eps
        np.testing.assert_allclose(grad[idx], (loss(up) - loss(down)) / (2 * eps), rtol=2e-2, atol=2e-3,
                                   err_msg=str(idx))
