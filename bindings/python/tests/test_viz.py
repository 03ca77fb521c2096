"""mx.viz.print_summary prints the layer table MXNet 1.9.1 prints (expected texts captured from MXNet's output for
the same networks); plot_network reports that graphviz drawing is unavailable."""
import pytest

import mxc as mx

MLP_SUMMARY = (
    '________________________________________________________________________________________________________________________\n'
    'Layer (type)                                        Output Shape            Param #     Previous Layer                  \n'
    '========================================================================================================================\n'
    'data(null)                                          784                     0                                           \n'
    '________________________________________________________________________________________________________________________\n'
    'fc1(FullyConnected)                                 128                     100480      data                            \n'
    '________________________________________________________________________________________________________________________\n'
    'relu1(Activation)                                   128                     0           fc1                             \n'
    '________________________________________________________________________________________________________________________\n'
    'fc2(FullyConnected)                                 64                      8256        relu1                           \n'
    '________________________________________________________________________________________________________________________\n'
    'relu2(Activation)                                   64                      0           fc2                             \n'
    '________________________________________________________________________________________________________________________\n'
    'fc3(FullyConnected)                                 10                      650         relu2                           \n'
    '________________________________________________________________________________________________________________________\n'
    'softmax(SoftmaxOutput)                              10                      0           fc3                             \n'
    '========================================================================================================================\n'
    'Total params: 109386\n'
    '________________________________________________________________________________________________________________________\n'
)

LENET_SUMMARY = (
    '________________________________________________________________________________________________________________________\n'
    'Layer (type)                                        Output Shape            Param #     Previous Layer                  \n'
    '========================================================================================================================\n'
    'data(null)                                          1x28x28                 0                                           \n'
    '________________________________________________________________________________________________________________________\n'
    'conv1(Convolution)                                  20x24x24                520         data                            \n'
    '________________________________________________________________________________________________________________________\n'
    'bn1(BatchNorm)                                      20x24x24                40          conv1                           \n'
    '________________________________________________________________________________________________________________________\n'
    'tanh1(Activation)                                   20x24x24                0           bn1                             \n'
    '________________________________________________________________________________________________________________________\n'
    'pool1(Pooling)                                      20x12x12                0           tanh1                           \n'
    '________________________________________________________________________________________________________________________\n'
    'conv2(Convolution)                                  50x8x8                  25050       pool1                           \n'
    '________________________________________________________________________________________________________________________\n'
    'tanh2(Activation)                                   50x8x8                  0           conv2                           \n'
    '________________________________________________________________________________________________________________________\n'
    'pool2(Pooling)                                      50x4x4                  0           tanh2                           \n'
    '________________________________________________________________________________________________________________________\n'
    'flatten(Flatten)                                    800                     0           pool2                           \n'
    '________________________________________________________________________________________________________________________\n'
    'fc1(FullyConnected)                                 500                     400500      flatten                         \n'
    '________________________________________________________________________________________________________________________\n'
    'tanh3(Activation)                                   500                     0           fc1                             \n'
    '________________________________________________________________________________________________________________________\n'
    'fc2(FullyConnected)                                 10                      5010        tanh3                           \n'
    '________________________________________________________________________________________________________________________\n'
    'softmax(SoftmaxOutput)                              10                      0           fc2                             \n'
    '========================================================================================================================\n'
    'Total params: 431120\n'
    '________________________________________________________________________________________________________________________\n'
)

# a Group with a two-input layer (two "previous layer" lines), a layer without bias and an Embedding
MULTI_SUMMARY = (
    '________________________________________________________________________________________________________________________\n'
    'Layer (type)                                        Output Shape            Param #     Previous Layer                  \n'
    '========================================================================================================================\n'
    'a(null)                                             3                       0                                           \n'
    '________________________________________________________________________________________________________________________\n'
    'add1(elemwise_add)                                  3                       0           a                               \n'
    '________________________________________________________________________________________________________________________\n'
    'cat(Concat)                                         6                       0           a                               \n'
    '                                                                                        add1                            \n'
    '________________________________________________________________________________________________________________________\n'
    'fc(FullyConnected)                                  3                       18          cat                             \n'
    '________________________________________________________________________________________________________________________\n'
    'prelu(LeakyReLU)                                    3                       0           fc                              \n'
    '________________________________________________________________________________________________________________________\n'
    'emb(Embedding)                                      4                       40                                          \n'
    '________________________________________________________________________________________________________________________\n'
    'drop(Dropout)                                       3                       0           prelu                           \n'
    '========================================================================================================================\n'
    'Total params: 58\n'
    '________________________________________________________________________________________________________________________\n'
)


def mlp():
    d = mx.sym.Variable('data')
    fc1 = mx.sym.FullyConnected(d, num_hidden=128, name='fc1')
    a1 = mx.sym.Activation(fc1, act_type='relu', name='relu1')
    fc2 = mx.sym.FullyConnected(a1, num_hidden=64, name='fc2')
    a2 = mx.sym.Activation(fc2, act_type='relu', name='relu2')
    fc3 = mx.sym.FullyConnected(a2, num_hidden=10, name='fc3')
    return mx.sym.SoftmaxOutput(fc3, name='softmax')


def lenet():
    d = mx.sym.Variable('data')
    c1 = mx.sym.Convolution(d, kernel=(5, 5), num_filter=20, name='conv1')
    b1 = mx.sym.BatchNorm(c1, name='bn1')
    t1 = mx.sym.Activation(b1, act_type='tanh', name='tanh1')
    p1 = mx.sym.Pooling(t1, pool_type='max', kernel=(2, 2), stride=(2, 2), name='pool1')
    c2 = mx.sym.Convolution(p1, kernel=(5, 5), num_filter=50, name='conv2')
    t2 = mx.sym.Activation(c2, act_type='tanh', name='tanh2')
    p2 = mx.sym.Pooling(t2, pool_type='max', kernel=(2, 2), stride=(2, 2), name='pool2')
    f = mx.sym.Flatten(p2, name='flatten')
    fc1 = mx.sym.FullyConnected(f, num_hidden=500, name='fc1')
    t3 = mx.sym.Activation(fc1, act_type='tanh', name='tanh3')
    fc2 = mx.sym.FullyConnected(t3, num_hidden=10, name='fc2')
    return mx.sym.SoftmaxOutput(fc2, name='softmax')


def test_mlp_summary_matches_mxnet(capsys):
    assert mx.viz.print_summary(mlp(), shape={'data': (1, 784)}) is None
    assert capsys.readouterr().out == MLP_SUMMARY


def test_lenet_summary_matches_mxnet(capsys):
    mx.viz.print_summary(lenet(), shape={'data': (1, 1, 28, 28)})
    assert capsys.readouterr().out == LENET_SUMMARY


def test_group_summary_matches_mxnet(capsys):
    a, b = mx.sym.Variable('a'), mx.sym.Variable('b')
    c = mx.sym.elemwise_add(a, b, name='add1')
    e = mx.sym.Concat(a, c, dim=1, name='cat')
    f = mx.sym.FullyConnected(e, num_hidden=3, name='fc', no_bias=True)
    g = mx.sym.Embedding(mx.sym.Variable('idx'), input_dim=10, output_dim=4, name='emb')
    h = mx.sym.LeakyReLU(f, act_type='prelu', name='prelu')
    mx.viz.print_summary(mx.sym.Group([h, g, mx.sym.Dropout(h, name='drop')]),
                         shape={'a': (2, 3), 'b': (2, 3), 'idx': (2,)})
    assert capsys.readouterr().out == MULTI_SUMMARY


def test_summary_without_shapes_counts_biases_only(capsys):
    # as MXNet: no Output Shape column values, and only the bias of each FullyConnected is counted
    mx.viz.print_summary(mlp())
    out = capsys.readouterr().out.splitlines()
    assert out[3].rstrip() == 'data(null)' + ' ' * 66 + '0'
    assert out[5].startswith('fc1(FullyConnected)' + ' ' * 57 + '128         data')
    assert out[-2] == 'Total params: 202'


def test_summary_columns_follow_line_length_and_positions(capsys):
    mx.viz.print_summary(lenet(), shape={'data': (1, 1, 28, 28)}, line_length=80)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == '_' * 80 and lines[2] == '=' * 80
    assert lines[1] == 'Layer (type)                       Output Shape    Param # Previous Layer       '
    assert lines[5] == 'conv1(Convolution)                 20x24x24        520     data                 '
    mx.viz.print_summary(mlp(), shape={'data': (1, 784)}, line_length=60, positions=[20, 35, 45, 60])
    lines = capsys.readouterr().out.splitlines()
    assert lines[5] == 'fc1(FullyConnected) 128            100480    data           '


def test_summary_cuts_long_cells(capsys):
    d = mx.sym.Variable('a_very_long_variable_name_that_goes_on_and_on_forever_and_ever')
    x = mx.sym.Activation(d, act_type='relu', name='r' * 100)
    mx.viz.print_summary(x, shape={d.name: (2, 3)})
    lines = capsys.readouterr().out.splitlines()
    assert lines[3] == 'a_very_long_variable_name_that_goes_on_and_on_foreve3' + ' ' * 23 + '0' + ' ' * 43
    assert lines[5] == 'r' * 52 + '3' + ' ' * 23 + '0' + ' ' * 11 + 'a_very_long_variable_name_that_g'


def test_summary_argument_errors():
    with pytest.raises(TypeError, match='symbol must be Symbol'):
        mx.viz.print_summary('x')
    with pytest.raises(TypeError):
        mx.viz.print_summary(mlp(), shape=[(1, 784)])


def test_plot_network_is_unavailable():
    with pytest.raises((ImportError, NotImplementedError)) as info:
        mx.viz.plot_network(mlp())
    assert 'graphviz' in str(info.value) or 'print_summary' in str(info.value)
