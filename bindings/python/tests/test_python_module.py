"""mx.mod.PythonModule / PythonLossModule, alone and at the end of a SequentialModule; expected values printed by
MXNet 1.9.1 on the same inputs."""
import numpy as np
import pytest

import mxc as mx


def _batch(data, label):
    return mx.io.DataBatch([mx.nd.array(data)], [mx.nd.array(label)])


def test_python_loss_module_alone():
    m = mx.mod.PythonLossModule(grad_func=lambda s, l: s - l.reshape((-1, 1)))
    assert m.data_names == ['data'] and m.output_names == ['pyloss_output']
    m.bind([('data', (3, 2))], [('softmax_label', (3,))], inputs_need_grad=True)
    assert [tuple(x) for x in m.data_shapes] == [('data', (3, 2))]
    assert [tuple(x) for x in m.output_shapes] == [('pyloss_output', (3, 2))]
    m.init_params()
    m.init_optimizer()
    assert m.get_params() == ({}, {})
    b = _batch([[1, 2], [3, 4], [5, 6]], [1, 0, 1])
    m.forward(b, is_train=True)
    np.testing.assert_array_equal(m.get_outputs()[0].asnumpy(), [[1, 2], [3, 4], [5, 6]])
    m.backward()
    # MXNet 1.9.1: [[0, 1], [3, 4], [4, 5]]
    np.testing.assert_array_equal(m.get_input_grads()[0].asnumpy(), [[0, 1], [3, 4], [4, 5]])
    with pytest.raises(AssertionError, match="out_grads should be None"):
        m.backward([mx.nd.ones((3, 2))])
    m.update()  # nothing to update


def test_python_loss_module_grad_func_numpy_and_missing():
    m = mx.mod.PythonLossModule(name='l2', grad_func=lambda s, l: (s.asnumpy() * 0 + 7))
    m.bind([('data', (2, 2))], [('softmax_label', (2,))], inputs_need_grad=True)
    m.init_params()
    m.forward(_batch([[1, 2], [3, 4]], [0, 1]))
    m.backward()
    g = m.get_input_grads()[0]
    assert isinstance(g, mx.nd.NDArray)
    np.testing.assert_array_equal(g.asnumpy(), np.full((2, 2), 7))
    assert m.output_names == ['l2_output']
    m2 = mx.mod.PythonLossModule()
    m2.bind([('data', (3, 2))], [('softmax_label', (3,))], inputs_need_grad=True)
    m2.init_params()
    m2.forward(_batch(np.ones((3, 2)), [1, 0, 1]), is_train=True)
    with pytest.raises(NotImplementedError):
        m2.backward()


def test_python_module_subclass_must_give_output_shapes():
    class Sq(mx.mod.PythonModule):
        pass
    p = Sq(['data'], None, ['out'])
    assert p.data_names == ['data'] and p.output_names == ['out'] and p.get_params() == ({}, {})
    with pytest.raises(NotImplementedError):
        p.bind([('data', (3, 2))])
    with pytest.raises(ValueError, match="data names"):
        Sq(['data'], None, ['out']).bind([('x', (3, 2))])


def test_python_module_subclass_square():
    class Square(mx.mod.PythonModule):
        def _compute_output_shapes(self):
            return [('sq_output', self._data_shapes[0][1])]

        def forward(self, data_batch, is_train=None):
            self._x = data_batch.data[0]
            self._y = self._x * self._x

        def get_outputs(self, merge_multi_context=True):
            return [self._y]

        def backward(self, out_grads=None):
            self._g = 2 * self._x * out_grads[0]

        def get_input_grads(self, merge_multi_context=True):
            return [self._g]

    seq = mx.mod.SequentialModule()
    seq.add(Square(['data'], None, ['sq_output']))
    seq.add(mx.mod.PythonLossModule(grad_func=lambda s, l: s - l), take_labels=True, auto_wiring=True)
    seq.bind([('data', (2, 2))], [('softmax_label', (2, 2))], inputs_need_grad=True)
    seq.init_params()
    x = np.array([[1., -2.], [0.5, 3.]])
    lab = np.array([[1., 1.], [0., 2.]])
    seq.forward(_batch(x, lab), is_train=True)
    np.testing.assert_allclose(seq.get_outputs()[0].asnumpy(), x * x)
    seq.backward()
    np.testing.assert_allclose(seq.get_input_grads()[0].asnumpy(), 2 * x * (x * x - lab), rtol=1e-6)


def test_python_loss_module_in_sequential_module_trains_like_mxnet():
    data = mx.sym.var('data')
    fc = mx.sym.FullyConnected(data, num_hidden=2, name='fc')
    seq = mx.mod.SequentialModule()
    seq.add(mx.mod.Module(fc, label_names=None, context=mx.current_context()))
    seq.add(mx.mod.PythonLossModule(grad_func=lambda s, l: 2 * (s - l)), take_labels=True, auto_wiring=True)
    seq.bind([('data', (3, 2))], [('softmax_label', (3, 2))])
    seq.init_params(arg_params={'fc_weight': mx.nd.array([[0.1, 0.2], [0.3, -0.4]]),
                                'fc_bias': mx.nd.array([0.5, -0.5])})
    seq.init_optimizer(optimizer='sgd', optimizer_params={'learning_rate': 0.1})
    b = _batch([[1, 2], [3, 4], [5, 6]], [[1, 0], [0, 1], [1, 1]])
    seq.forward(b, is_train=True)
    np.testing.assert_allclose(seq.get_outputs()[0].asnumpy(), [[1., -1.], [1.6, -1.2], [2.2, -1.4]], rtol=1e-5)
    seq.backward()
    seq.update()
    arg, _ = seq.get_params()
    # MXNet 1.9.1 after one SGD step (rescale_grad 1/batch)
    np.testing.assert_allclose(arg['fc_weight'].asnumpy(), [[-0.62, -0.706667], [1.606667, 1.28]], atol=1e-5)
    np.testing.assert_allclose(arg['fc_bias'].asnumpy(), [0.313333, -0.126667], atol=1e-5)
    met = mx.metric.create('mse')
    seq.update_metric(met, b.label)
    assert met.get()[0] == 'mse'
    np.testing.assert_allclose(met.get()[1], 2.6000001430511475, rtol=1e-5)
    assert seq.output_names == ['pyloss_output']
    assert [tuple(x) for x in seq.output_shapes] == [('pyloss_output', (3, 2))]


def test_fit_with_a_python_loss_learns_a_linear_map():
    rs = np.random.RandomState(0)
    x = rs.uniform(-1, 1, (64, 3)).astype(np.float32)
    true_w = np.array([[1., -2., 0.5]], dtype=np.float32)
    y = x.dot(true_w.T) + 0.3
    it = mx.io.NDArrayIter(x, y, batch_size=16, label_name='softmax_label')
    net = mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=1, name='fc')
    seq = mx.mod.SequentialModule()
    seq.add(mx.mod.Module(net, label_names=None, context=mx.current_context()))
    seq.add(mx.mod.PythonLossModule(grad_func=lambda s, l: 2 * (s - l.reshape(s.shape))), take_labels=True,
            auto_wiring=True)
    seq.fit(it, num_epoch=60, optimizer='sgd', optimizer_params={'learning_rate': 0.2}, eval_metric='mse',
            initializer=mx.init.Zero())
    arg, _ = seq.get_params()
    np.testing.assert_allclose(arg['fc_weight'].asnumpy(), true_w, atol=1e-2)
    np.testing.assert_allclose(arg['fc_bias'].asnumpy(), [0.3], atol=1e-2)
    assert seq.score(it, 'mse')[0][1] < 1e-4
