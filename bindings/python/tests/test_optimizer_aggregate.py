"""Aggregated (multi-tensor) optimizer updates: SGD, LARS and LAMB update up to ``aggregate_num`` weights per operator
call when the updater gets lists (as Module, FeedForward and gluon.Trainer call it), bit for bit as one call per weight,
and with MXNet 1.9.1's values (printed by MXNet with the same inputs, aggregated as MXNet does by default)."""
import ast
import subprocess
import sys

import numpy as np
import pytest

import mxc as mx
import mxc.optimizer as opt_mod
from conftest import subprocess_env

NAMES = {0: 'fc1_weight', 1: 'fc1_bias', 2: 'bn_gamma', 3: 'bn_beta', 4: 'fc2_weight'}
WS = [[[1.690000057220459, -0.4699999988079071, 0.029999999329447746], [0.4099999964237213, -0.7900000214576721, 0.0]], [-0.0, -1.75, 1.0199999809265137], [0.6000000238418579, -0.6299999952316284, -0.17000000178813934], [0.5099999904632568, -0.25999999046325684, -0.23999999463558197], [[-1.4500000476837158, 0.550000011920929], [0.11999999731779099, 0.27000001072883606]]]
GS = [[[[-3.049999952316284, 3.299999952316284, 0.3100000023841858], [-0.7699999809265137, 4.059999942779541, -0.09000000357627869]], [-2.9000000953674316, -0.8100000023841858, -4.579999923706055], [2.0999999046325684, -0.8299999833106995, -1.4900000095367432], [2.140000104904175, -3.299999952316284, 1.0700000524520874], [[-4.130000114440918, -1.3200000524520874], [-2.4100000858306885, 2.9200000762939453]]], [[[3.5299999713897705, -0.6600000262260437, 1.6799999475479126], [-0.36000001430511475, 1.1399999856948853, -1.5099999904632568]], [-3.4200000762939453, -3.609999895095825, 0.7699999809265137], [4.5, 0.5400000214576721, -1.0499999523162842], [3.819999933242798, 0.4699999988079071, 0.20000000298023224], [[0.5099999904632568, -0.25999999046325684], [-0.6200000047683716, -2.869999885559082]]], [[[1.0, -0.1899999976158142, 2.390000104904175], [-0.7400000095367432, -3.809999942779541, -0.20000000298023224]], [3.4000000953674316, -0.7699999809265137, -1.7799999713897705], [-2.390000104904175, -2.0999999046325684, -0.6000000238418579], [-2.359999895095825, 3.0, -0.5699999928474426], [[0.2199999988079071, 2.880000114440918], [3.009999990463257, -0.4300000071525574]]]]
# MXNet 1.9.1: create(name, learning_rate=0.1, wd=0.01, rescale_grad=0.5, param_idx2name=NAMES, **kwargs), then
# three steps of updater([0..4], GS[step], weights) (aggregate_num 4 for SGD and LARS: calls of 4 and 1 weights)
MXNET = {
    'lars momentum=0.9 clip_gradient=0.5 eta=0.01': [[[1.6895365715026855, -0.47021231055259705, 0.028471918776631355], [0.41126134991645813, -0.7912561893463135, 0.00100219645537436]], [0.18049998581409454, -1.5067449808120728, 1.132349967956543], [0.4195000231266022, -0.5188350081443787, 0.09049998968839645], [0.3294999897480011, -0.21915000677108765, -0.3659999966621399], [[-1.4497880935668945, 0.5506004095077515], [0.12097559869289398, 0.270402193069458]]],
    'lars eta=0.01 eps=0.01': [[[1.6889607906341553, -0.47067078948020935, 0.028166618198156357], [0.41070201992988586, -0.7901941537857056, 0.0007773467805236578]], [0.14600001275539398, -1.4904999732971191, 1.2994999885559082], [0.38950005173683167, -0.5105000138282776, -0.013000000268220901], [0.32999998331069946, -0.2685000002384186, -0.2750000059604645], [[-1.4491899013519287, 0.5494101643562317], [0.11985474824905396, 0.2708478569984436]]],
    'lamb lower_bound=0.1 upper_bound=3.0': [[[1.7174248695373535, -0.6604390144348145, -0.28019484877586365], [0.7345212697982788, -0.9761471152305603, 0.27047112584114075]], [0.299943208694458, -1.36142897605896, 1.3288415670394897], [0.4673556387424469, -0.5287961959838867, -0.0033659040927886963], [0.3866427540779114, -0.21361464262008667, -0.34129881858825684], [[-1.1826499700546265, 0.6320028901100159], [0.27361100912094116, 0.22358740866184235]]],
    'sgd momentum=0.9 clip_gradient=0.8': [[[1.6951032876968384, -0.6116946339607239, -0.2440342903137207], [0.5830726027488708, -1.0303109884262085, 0.16555240750312805]], [0.28880003094673157, -1.4497449398040771, 1.243649959564209], [0.308220773935318, -0.485434353351593, 0.16226236522197723], [0.22119995951652527, -0.16784998774528503, -0.37548500299453735], [[-1.2848008871078491, 0.6702134013175964], [0.3146924674510956, 0.22541052103042603]]],
}
# MXNet 1.9.1: one weight (WS[0], named fc_weight), LARS momentum 0.9, eta 0.01, eps 0.001, wd 0.01, rescale 0.5,
# FactorScheduler(step=1, factor=0.5, base_lr=0.1), three updates: the momentum is scaled by lr / previous lr
LARS_CORRECTED = [[1.690341830253601, -0.47150248289108276, 0.029047204181551933], [0.41059163212776184, -0.7920975089073181, 0.0005528813926503062]]


def _kwargs(spec):
    name, *pairs = spec.split()
    return name, {k: ast.literal_eval(v) for k, v in (p.split('=') for p in pairs)}


def _run(name, aggregate_num=None, dtype='float32', steps=3, lists=True, names=NAMES, **kwargs):
    opt = mx.optimizer.create(name, learning_rate=0.1, wd=0.01, rescale_grad=0.5, param_idx2name=dict(names),
                              **kwargs)
    if aggregate_num is not None:
        opt.aggregate_num = aggregate_num
    upd = mx.optimizer.get_updater(opt)
    weights = [mx.nd.array(w, dtype=dtype) for w in WS]
    for step in range(steps):
        grads = [mx.nd.array(g, dtype=dtype) for g in GS[step]]
        if lists:
            upd(list(range(len(weights))), grads, weights)
        else:
            for i, (g, w) in enumerate(zip(grads, weights)):
                upd(i, g, w)
    return [w.asnumpy() for w in weights]


@pytest.mark.parametrize("spec", sorted(MXNET))
def test_aggregated_updates_as_mxnet(spec):
    name, kwargs = _kwargs(spec)
    got = _run(name, **kwargs)
    for g, e in zip(got, MXNET[spec]):
        np.testing.assert_allclose(g, np.array(e, dtype=np.float32), rtol=2e-6, atol=2e-7)


@pytest.mark.parametrize("spec", sorted(MXNET) + ['sgd', 'sgd momentum=0.9', 'lars', 'lamb bias_correction=False'])
@pytest.mark.parametrize("dtype", ['float32', 'float64'])
def test_aggregated_is_bitwise_one_call_per_weight(spec, dtype):
    name, kwargs = _kwargs(spec)
    separate = _run(name, aggregate_num=0, dtype=dtype, lists=False, **kwargs)
    for agg in (2, 4, 45):
        together = _run(name, aggregate_num=agg, dtype=dtype, **kwargs)
        for a, b in zip(separate, together):
            assert a.dtype == np.dtype(dtype)
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("multi_precision", [False, True])
@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_aggregated_sgd_float16(multi_precision, momentum):
    separate = _run('sgd', aggregate_num=0, dtype='float16', lists=False, momentum=momentum,
                    multi_precision=multi_precision)
    together = _run('sgd', dtype='float16', momentum=momentum, multi_precision=multi_precision)
    for a, b in zip(separate, together):
        np.testing.assert_array_equal(a, b)
    # and close to the float32 computation (float16 rounding of the weights)
    ref = _run('sgd', aggregate_num=0, dtype='float32', momentum=momentum)
    for a, r in zip(together, ref):
        np.testing.assert_allclose(a.astype(np.float32), r, rtol=2e-2, atol=2e-2)


def _record_calls(monkeypatch):
    calls = []
    real = opt_mod._fused

    def spy(name, inputs, weight, **params):
        calls.append((name, len(weight) if isinstance(weight, list) else 1))
        return real(name, inputs, weight, **params)
    monkeypatch.setattr(opt_mod, '_fused', spy)
    return calls


@pytest.mark.parametrize("name,kwargs,fused,single", [
    ('sgd', {}, 'multi_sgd_update', 'sgd_update'),
    ('sgd', {'momentum': 0.9}, 'multi_sgd_mom_update', 'sgd_mom_update'),
    ('sgd', {'momentum': 0.9, 'multi_precision': True}, 'multi_mp_sgd_mom_update', 'mp_sgd_mom_update'),
    ('lars', {'momentum': 0.9}, 'preloaded_multi_sgd_mom_update', 'preloaded_multi_sgd_mom_update'),
    ('lamb', {}, '_multi_lamb_update', '_multi_lamb_update'),
])
def test_updater_groups_weights_into_calls(monkeypatch, name, kwargs, fused, single):
    calls = _record_calls(monkeypatch)
    dtype = 'float16' if kwargs.get('multi_precision') else 'float32'
    _run(name, steps=1, dtype=dtype, **kwargs)
    expected = [(fused, 5)] if name == 'lamb' else [(fused, 4), (fused if name == 'lars' else single, 1)]
    assert calls == expected
    del calls[:]
    _run(name, steps=1, dtype=dtype, aggregate_num=0, **kwargs)
    assert calls == [(single, 1)] * 5


def test_updater_groups_by_dtype_in_order(monkeypatch):
    calls = []
    real = opt_mod.SGD.update_multi_precision

    def spy(self, index, weight, grad, state):
        if isinstance(index, list):
            calls.append(index)
        return real(self, index, weight, grad, state)
    monkeypatch.setattr(opt_mod.SGD, 'update_multi_precision', spy)
    opt = mx.optimizer.SGD(learning_rate=0.1, momentum=0.9)
    opt.aggregate_num = 2
    upd = mx.optimizer.get_updater(opt)
    dtypes = ['float32', 'float64', 'float32', 'float32', 'float64']
    weights = [mx.nd.array(w, dtype=d) for w, d in zip(WS, dtypes)]
    grads = [mx.nd.array(g, dtype=d) for g, d in zip(GS[0], dtypes)]
    upd([10, 11, 12, 13, 14], grads, weights)
    assert calls == [[10, 12], [13], [11, 14]]
    for w, w0, g in zip(weights, WS, GS[0]):
        np.testing.assert_allclose(w.asnumpy(), np.array(w0) - 0.1 * np.array(g), rtol=1e-6, atol=1e-7)


def test_updater_rejects_lists_of_different_lengths():
    upd = mx.optimizer.get_updater(mx.optimizer.SGD())
    with pytest.raises(ValueError, match="3 indices, 2 gradients and 3 weights"):
        upd([0, 1, 2], [mx.nd.ones((2,))] * 2, [mx.nd.ones((2,)) for _ in range(3)])


def test_lars_momentum_correction_as_mxnet():
    opt = mx.optimizer.create('lars', learning_rate=0.1, wd=0.01, rescale_grad=0.5, momentum=0.9, eta=0.01,
                              eps=0.001, param_idx2name={0: 'fc_weight'},
                              lr_scheduler=mx.lr_scheduler.FactorScheduler(step=1, factor=0.5, base_lr=0.1))
    upd = mx.optimizer.get_updater(opt)
    w = mx.nd.array(WS[0])
    for step in range(3):
        upd(0, mx.nd.array(GS[step][0]), w)
    np.testing.assert_allclose(w.asnumpy(), np.array(LARS_CORRECTED, dtype=np.float32), rtol=2e-6, atol=2e-7)


@pytest.mark.parametrize("correction", [True, False])
def test_lars_corrects_every_weight(correction):
    # NumPy model of the formula in LARS's docstring; with correction every weight's momentum is scaled by
    # lr / previous lr (MXNet 1.9.1 scales only the first update call's after a change)
    names = {i: 'w%d_weight' % i for i in range(5)}

    def lrs():
        return mx.lr_scheduler.FactorScheduler(step=1, factor=0.5, base_lr=0.1)
    for lists in (True, False):
        opt = mx.optimizer.create('lars', learning_rate=0.1, wd=0.01, rescale_grad=0.5, momentum=0.9, eta=0.01,
                                  param_idx2name=names, lr_scheduler=lrs(), momentum_correction=correction)
        upd = mx.optimizer.get_updater(opt)
        weights = [mx.nd.array(w) for w in WS]
        for step in range(3):
            grads = [mx.nd.array(g) for g in GS[step]]
            if lists:
                upd(list(range(5)), grads, weights)
            else:
                for i in range(5):
                    upd(i, grads[i], weights[i])
        for i, w in enumerate(weights):
            ref, mom, last = np.array(WS[i], dtype=np.float64), 0., None
            for step in range(3):
                lr = 0.1 * 0.5 ** step
                g = np.array(GS[step][i], dtype=np.float64)
                wn, gn = np.linalg.norm(ref), 0.5 * np.linalg.norm(g)
                lr_w = lr * 0.01 * wn / (gn + 0.01 * wn)
                m = 0.9 * (lr / last if correction and last else 1.)
                last = lr
                mom = m * mom - lr_w * (0.5 * g + 0.01 * ref)
                ref = ref + mom
            np.testing.assert_allclose(w.asnumpy(), ref, rtol=1e-5, atol=1e-6)


def test_lars_parameters_are_mxnets():
    opt = mx.optimizer.create('lars', eta=0.02, eps=0.5, momentum=0.8, momentum_correction=False,
                              lazy_update=False)
    assert (opt.eta, opt.eps, opt.momentum, opt.momentum_correction) == (0.02, 0.5, 0.8, False)
    assert opt.aggregate_num == 4
    with pytest.raises(TypeError):
        mx.optimizer.create('lars', epsilon=0.1)  # MXNet's name is eps


def _train_module(aggregate_num, optimizer, **opt_args):
    mx.random.seed(11)
    np.random.seed(11)
    x = np.random.rand(64, 10).astype(np.float32)
    y = (x.sum(axis=1) > 5).astype(np.float32)
    data = mx.sym.Variable('data')
    net = mx.sym.FullyConnected(data, num_hidden=16, name='fc1')
    net = mx.sym.Activation(net, act_type='relu')
    net = mx.sym.FullyConnected(net, num_hidden=2, name='fc2')
    net = mx.sym.SoftmaxOutput(net, name='softmax')
    mod = mx.mod.Module(net, data_names=['data'], label_names=['softmax_label'])
    it = mx.io.NDArrayIter(x, y, batch_size=16)
    mod.bind(data_shapes=it.provide_data, label_shapes=it.provide_label)
    mod.init_params(mx.init.Xavier())
    opt = mx.optimizer.create(optimizer, learning_rate=0.1, rescale_grad=1. / 16, **opt_args)
    opt.aggregate_num = aggregate_num
    mod.init_optimizer(optimizer=opt)
    for _ in range(2):
        it.reset()
        for batch in it:
            mod.forward_backward(batch)
            mod.update()
    return {k: v.asnumpy() for k, v in mod.get_params()[0].items()}


@pytest.mark.parametrize("optimizer,opt_args", [('sgd', {'momentum': 0.9, 'wd': 1e-3}), ('lars', {'momentum': 0.9}),
                                                ('lamb', {})])
def test_module_training_aggregated_equals_separate(monkeypatch, optimizer, opt_args):
    separate = _train_module(0, optimizer, **opt_args)
    calls = _record_calls(monkeypatch)
    together = _train_module(4, optimizer, **opt_args)
    assert calls and all(n == 4 for _, n in calls)  # fc1 and fc2 weights and biases: one call per step
    for k in separate:
        np.testing.assert_array_equal(separate[k], together[k])


def test_gluon_trainer_aggregates(monkeypatch):
    def train(aggregate_num):
        mx.random.seed(5)
        net = mx.gluon.nn.HybridSequential()
        net.add(mx.gluon.nn.Dense(8, activation='relu'), mx.gluon.nn.Dense(3))
        net.initialize(mx.init.Xavier())
        trainer = mx.gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1, 'momentum': 0.9})
        trainer._opt.aggregate_num = aggregate_num
        x = mx.nd.array(np.linspace(-1, 1, 40).reshape(8, 5))
        label = mx.nd.array(np.arange(8) % 3)
        loss_fn = mx.gluon.loss.SoftmaxCrossEntropyLoss()
        for _ in range(3):
            with mx.autograd.record():
                loss = loss_fn(net(x), label)
            loss.backward()
            trainer.step(8)
        return [p.data().asnumpy() for p in net.collect_params().values()]
    separate = train(0)
    calls = _record_calls(monkeypatch)
    together = train(4)
    assert calls == [('multi_sgd_mom_update', 4)] * 3
    for a, b in zip(separate, together):
        np.testing.assert_array_equal(a, b)


def test_aggregation_size_from_the_environment():
    prog = ("import mxc as mx; print([mx.optimizer.create(n).aggregate_num for n in ('sgd', 'lars', 'lamb', 'adam')])")
    for value, expected in (('2', '[2, 2, 2, 0]'), ('0', '[0, 0, 1, 0]'), ('60', '[60, 60, 45, 0]'),
                            (None, '[4, 4, 45, 0]')):
        env = subprocess_env()
        env.pop('MXC_OPTIMIZER_AGGREGATION_SIZE', None)
        env.pop('MXNET_OPTIMIZER_AGGREGATION_SIZE', None)
        if value is not None:
            env['MXC_OPTIMIZER_AGGREGATION_SIZE'] = value
        out = subprocess.run([sys.executable, '-c', prog], env=env, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == expected
    env = subprocess_env(MXNET_OPTIMIZER_AGGREGATION_SIZE='3')
    env.pop('MXC_OPTIMIZER_AGGREGATION_SIZE', None)
    out = subprocess.run([sys.executable, '-c', prog], env=env, capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == '[3, 3, 3, 0]'
    env = subprocess_env(MXC_OPTIMIZER_AGGREGATION_SIZE='many')
    out = subprocess.run([sys.executable, '-c', prog], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode != 0 and "MXC_OPTIMIZER_AGGREGATION_SIZE must be an integer, got 'many'" in out.stderr
