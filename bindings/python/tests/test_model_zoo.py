"""mx.gluon.model_zoo.vision: MXNet 1.9.1's architectures, their parameter names and shapes, outputs, and loading
parameters saved by MXNet.

The values marked "MXNet 1.9.1" were printed by Apache MXNet 1.9.1 running the same code on the same nets: the
structure of all 34 models of ``get_model``, the outputs of eleven of them with every parameter set by ``_fill``
(BatchNorm in inference mode), and the outputs of three small nets whose parameters MXNet saved into
``data/mxnet_*.params`` (with ``save_parameters``, after three training-mode calls that moved the BatchNorm
statistics).
"""
import hashlib
import os

import numpy as np
import pytest

import mxc as mx

# Whole networks (34 of them, up to Inception v3 and DenseNet-201) are too slow for the emulated GPU, which runs
# CUDA kernels on the CPU one thread block at a time: this file stays on the CPU when the suite is rerun with
# MXC_TEST_DEFAULT_CTX=gpu. Their operators are checked on the GPU by the op tables and the other suites.
pytestmark = pytest.mark.cpu_default_context
from mxc.base import MXNetError
from mxc.gluon.contrib.nn import Concurrent, HybridConcurrent, Identity
from mxc.gluon.model_zoo import model_store, vision

DATA = os.path.join(os.path.dirname(__file__), "data")

# MXNet 1.9.1, for get_model(name) (1000 classes) after infer_shape on a (1, 3, 224, 224) input ((1, 3, 299, 299)
# for inceptionv3), parameter names without the net's prefix: (number of values, digest of the sorted
# "name shape" lines, digest of the sorted "save_parameters key, name" lines, the first three and the last three
# names of collect_params()).
STRUCTURE = {
    'alexnet': (61100840, 'fcd9e6dcd7a5560e', '7ecb48ec155e3551',
        ('conv0_weight', 'conv0_bias', 'conv1_weight'),
        ('dense1_bias', 'dense2_weight', 'dense2_bias')),
    'densenet121': (8062504, '00d23860e1aab625', '979eab513d56baa8',
        ('conv0_weight', 'batchnorm0_gamma', 'batchnorm0_beta'),
        ('batchnorm4_running_var', 'dense0_weight', 'dense0_bias')),
    'densenet161': (28900936, 'f8a5c50477021cb2', '685dbec9e612088d',
        ('conv0_weight', 'batchnorm0_gamma', 'batchnorm0_beta'),
        ('batchnorm4_running_var', 'dense0_weight', 'dense0_bias')),
    'densenet169': (14307880, '0f11fdff57d9d432', 'c20ea88bad43482e',
        ('conv0_weight', 'batchnorm0_gamma', 'batchnorm0_beta'),
        ('batchnorm4_running_var', 'dense0_weight', 'dense0_bias')),
    'densenet201': (20242984, 'e5870f7e5d0c6d94', '89355e9c907f2507',
        ('conv0_weight', 'batchnorm0_gamma', 'batchnorm0_beta'),
        ('batchnorm4_running_var', 'dense0_weight', 'dense0_bias')),
    'inceptionv3': (23869000, '2e688f257c7bc049', 'd115a93e07d35269',
        ('conv0_weight', 'batchnorm0_gamma', 'batchnorm0_beta'),
        ('E2_batchnorm8_running_var', 'dense0_weight', 'dense0_bias')),
    'mobilenet0.25': (475544, 'e65300b1353998b5', '57a62bd1cacc43ac',
        ('conv0_weight', 'batchnorm0_gamma', 'batchnorm0_beta'),
        ('batchnorm26_running_var', 'dense0_weight', 'dense0_bias')),
    'mobilenet0.5': (1342536, '00a019c64ac006f1', '57a62bd1cacc43ac',
        ('conv0_weight', 'batchnorm0_gamma', 'batchnorm0_beta'),
        ('batchnorm26_running_var', 'dense0_weight', 'dense0_bias')),
    'mobilenet0.75': (2601976, '8f25870f38362c13', '57a62bd1cacc43ac',
        ('conv0_weight', 'batchnorm0_gamma', 'batchnorm0_beta'),
        ('batchnorm26_running_var', 'dense0_weight', 'dense0_bias')),
    'mobilenet1.0': (4253864, 'e3137c86c4c044ed', '57a62bd1cacc43ac',
        ('conv0_weight', 'batchnorm0_gamma', 'batchnorm0_beta'),
        ('batchnorm26_running_var', 'dense0_weight', 'dense0_bias')),
    'mobilenetv2_0.25': (1526856, '2f01309dd26faa5a', '0ec4058c05ca0ea3',
        ('features_conv0_weight', 'features_batchnorm0_gamma', 'features_batchnorm0_beta'),
        ('features_batchnorm1_running_mean', 'features_batchnorm1_running_var', 'output_pred_weight')),
    'mobilenetv2_0.5': (1983104, 'eaf47f916b704d2d', '0ec4058c05ca0ea3',
        ('features_conv0_weight', 'features_batchnorm0_gamma', 'features_batchnorm0_beta'),
        ('features_batchnorm1_running_mean', 'features_batchnorm1_running_var', 'output_pred_weight')),
    'mobilenetv2_0.75': (2653864, '4ee8c3b32cd48975', '0ec4058c05ca0ea3',
        ('features_conv0_weight', 'features_batchnorm0_gamma', 'features_batchnorm0_beta'),
        ('features_batchnorm1_running_mean', 'features_batchnorm1_running_var', 'output_pred_weight')),
    'mobilenetv2_1.0': (3539136, '11d645368914d835', '0ec4058c05ca0ea3',
        ('features_conv0_weight', 'features_batchnorm0_gamma', 'features_batchnorm0_beta'),
        ('features_batchnorm1_running_mean', 'features_batchnorm1_running_var', 'output_pred_weight')),
    'resnet101_v1': (44695144, 'a0e3ddc890ad172c', 'c0efce04c196669c',
        ('conv0_weight', 'batchnorm0_gamma', 'batchnorm0_beta'),
        ('stage4_batchnorm9_running_var', 'dense0_weight', 'dense0_bias')),
    'resnet101_v2': (44639412, '06088c5c99823e54', '24645e718157ff67',
        ('batchnorm0_gamma', 'batchnorm0_beta', 'batchnorm0_running_mean'),
        ('batchnorm2_running_var', 'dense0_weight', 'dense0_bias')),
    'resnet152_v1': (60404072, 'eb275eaadc48ba26', 'fddecff0420cac2e',
        ('conv0_weight', 'batchnorm0_gamma', 'batchnorm0_beta'),
        ('stage4_batchnorm9_running_var', 'dense0_weight', 'dense0_bias')),
    'resnet152_v2': (60329140, '4d2d1282372d01f2', 'c05c7c820e9a1543',
        ('batchnorm0_gamma', 'batchnorm0_beta', 'batchnorm0_running_mean'),
        ('batchnorm2_running_var', 'dense0_weight', 'dense0_bias')),
    'resnet18_v1': (11699112, '9db0113d1053c89c', '175a292cd839d2f5',
        ('conv0_weight', 'batchnorm0_gamma', 'batchnorm0_beta'),
        ('stage4_batchnorm4_running_var', 'dense0_weight', 'dense0_bias')),
    'resnet18_v2': (11695796, '0cc74c37130ab4a9', 'e1a65e3ee5657170',
        ('batchnorm0_gamma', 'batchnorm0_beta', 'batchnorm0_running_mean'),
        ('batchnorm2_running_var', 'dense0_weight', 'dense0_bias')),
    'resnet34_v1': (21814696, '011ff8c7d0e7e02d', 'e0734f5bad3b9a7d',
        ('conv0_weight', 'batchnorm0_gamma', 'batchnorm0_beta'),
        ('stage4_batchnorm6_running_var', 'dense0_weight', 'dense0_bias')),
    'resnet34_v2': (21811380, '7a64a00bb0553438', 'ee7d288329dea7e4',
        ('batchnorm0_gamma', 'batchnorm0_beta', 'batchnorm0_running_mean'),
        ('batchnorm2_running_var', 'dense0_weight', 'dense0_bias')),
    'resnet50_v1': (25629032, '2cb1ce4dc187b49b', '9b4ef812b2d4ccf9',
        ('conv0_weight', 'batchnorm0_gamma', 'batchnorm0_beta'),
        ('stage4_batchnorm9_running_var', 'dense0_weight', 'dense0_bias')),
    'resnet50_v2': (25595060, '71495facbe076ebb', '901b8881b91f598b',
        ('batchnorm0_gamma', 'batchnorm0_beta', 'batchnorm0_running_mean'),
        ('batchnorm2_running_var', 'dense0_weight', 'dense0_bias')),
    'squeezenet1.0': (1248424, '25af9dc0bf6de9ac', '7751db9a1db0d54a',
        ('conv0_weight', 'conv0_bias', 'conv1_weight'),
        ('conv24_bias', 'conv25_weight', 'conv25_bias')),
    'squeezenet1.1': (1235496, '50f1278e381844ba', '249b3fb7c42cb2fa',
        ('conv0_weight', 'conv0_bias', 'conv1_weight'),
        ('conv24_bias', 'conv25_weight', 'conv25_bias')),
    'vgg11': (132863336, 'c9751db9a1755f27', '53d1227601590610',
        ('conv0_weight', 'conv0_bias', 'conv1_weight'),
        ('dense1_bias', 'dense2_weight', 'dense2_bias')),
    'vgg11_bn': (132874344, '35a0467b901f5c52', '1edccf88c248e57c',
        ('conv0_weight', 'conv0_bias', 'batchnorm0_gamma'),
        ('dense1_bias', 'dense2_weight', 'dense2_bias')),
    'vgg13': (133047848, 'fe4c392aa9e410cc', '61d5dd549e8f63da',
        ('conv0_weight', 'conv0_bias', 'conv1_weight'),
        ('dense1_bias', 'dense2_weight', 'dense2_bias')),
    'vgg13_bn': (133059624, '0c9347c3781c1bd7', '1cc45e870eb23b93',
        ('conv0_weight', 'conv0_bias', 'batchnorm0_gamma'),
        ('dense1_bias', 'dense2_weight', 'dense2_bias')),
    'vgg16': (138357544, '5eff397b5f348769', 'e9e38566377232ad',
        ('conv0_weight', 'conv0_bias', 'conv1_weight'),
        ('dense1_bias', 'dense2_weight', 'dense2_bias')),
    'vgg16_bn': (138374440, '5be84d2867653241', '6c81485e7c667103',
        ('conv0_weight', 'conv0_bias', 'batchnorm0_gamma'),
        ('dense1_bias', 'dense2_weight', 'dense2_bias')),
    'vgg19': (143667240, '7c7bb80003f93b9e', '59c1e300e713f481',
        ('conv0_weight', 'conv0_bias', 'conv1_weight'),
        ('dense1_bias', 'dense2_weight', 'dense2_bias')),
    'vgg19_bn': (143689256, '2f4035db2c1143d2', 'd7e490f14b56230d',
        ('conv0_weight', 'conv0_bias', 'batchnorm0_gamma'),
        ('dense1_bias', 'dense2_weight', 'dense2_bias')),
}

# MXNet 1.9.1: get_model(name, classes=10) on _input(SIZES[name]) with _fill's parameters.
FORWARD = {
    'resnet18_v1': [-0.256324, -0.0564828, 0.628433, -0.760491, 0.980204,
                    -1.02729, 0.672739, -0.529216, 0.0232562, 0.415017],
    'resnet18_v2': [0.653148, 0.00907682, -0.98068, 1.62462, -1.90302,
                    2.12091, -1.63753, 1.08094, -0.342831, -0.683054],
    'resnet50_v1': [-5.80636, -4.87344, 7.1047, 3.35674, -7.78702, -1.50611, 8.02975, -0.573691, -8.03381, 2.44543],
    'resnet50_v2': [7.50762, -7.98657, -5.77177, 9.27728, 3.60875, -9.99199, -1.06317, 10.3566, -1.40241, -10.1419],
    'mobilenet0.25': [0.366825, 1.38499, 0.245751, -1.19008, -0.639817,
                      0.986238, 1.04439, -0.626145, -1.41389, -0.0481236],
    'mobilenetv2_0.25': [3.10452, 2.30738, 0.912559, -0.718642, -2.16369,
                         -3.04828, -3.14327, -2.42405, -1.07693, 0.549153],
    'squeezenet1.1': [0.0715736, 0.183919, 0, 0.396843, 0, 0.268785, 0, 0.0341192, 0.0151636, 0],
    'densenet121': [0.846581, 2.56981, 2.5729, 0.861116, -1.4149, -2.73266, -2.21756, -0.225061, 1.90292, 2.74147],
    'vgg11_bn': [-1.70142, 1.1138, -0.705682, 0.239511, 0.455476, -0.785973, 1.36123, -1.76784, 1.92212, -2.2867],
    'alexnet': [-1.66411, 1.20345, -0.646895, 0.303005, 0.401121, -0.820869, 1.24085, -1.78311, 1.89167, -2.1969],
    'inceptionv3': [0.187356, -1.31444, 0.258037, 1.27868, -0.656875,
                    -1.28955, 0.809665, 1.03533, -0.994092, -0.64554],
}

SIZES = {"alexnet": 63, "squeezenet1.0": 213, "squeezenet1.1": 209, "inceptionv3": 299,
         "densenet121": 221, "densenet161": 221, "densenet169": 221, "densenet201": 221}  # others: 32

# MXNet 1.9.1: the outputs of the small nets of data/mxnet_<name>.params on _input(size, 2).
SAVED_BY_MXNET = {
    "resnet_v1_tiny": (lambda: vision.ResNetV1(vision.BasicBlockV1, [1, 1], [4, 4, 8], classes=3), 32,
                       [[0.224868, -0.152575, -0.521206], [0.115277, -0.0700628, -0.458701]]),
    "resnet_v2_tiny": (lambda: vision.ResNetV2(vision.BottleneckV2, [1, 1], [4, 8, 16], classes=3), 32,
                       [[-0.0603084, -0.158678, 0.203362], [-0.0607873, -0.165023, 0.211889]]),
    "densenet_tiny": (lambda: vision.DenseNet(4, 2, [1, 1], classes=3), 56,
                      [[0.072625, -0.00713988, -0.0518183], [0.0711622, -0.00621268, -0.053961]]),
}


def _digest(lines):
    return hashlib.sha1("\n".join(sorted(lines)).encode()).hexdigest()[:16]


def _input(size, batch=1):
    return mx.nd.array(np.sin(0.1 * np.arange(batch * 3 * size * size)).reshape(batch, 3, size, size)
                       .astype(np.float32))


def _fill(net):
    """Sets every parameter from a formula of its position in the sorted names (the same code ran in MXNet)."""
    pre = net.prefix
    for k, (name, p) in enumerate(sorted((n[len(pre):], p) for n, p in net.collect_params().items())):
        v = np.sin(0.731 * np.arange(int(np.prod(p.shape))) + 1.3 * k).reshape(p.shape)
        if name.endswith("weight"):
            v = v * np.sqrt(2.0 / np.prod(p.shape[1:]))
        elif name.endswith("gamma"):
            v = 1 + 0.1 * v
        elif name.endswith("running_var"):
            v = 1 + 0.25 * (1 + v)
        else:
            v = 0.1 * v
        p.set_data(mx.nd.array(v.astype(np.float32)))


def _filled(name, **kwargs):
    net = vision.get_model(name, classes=10, **kwargs)
    x = _input(SIZES.get(name, 32))
    if not kwargs.get("pretrained"):
        net.initialize()
        net.infer_shape(x)
        _fill(net)
    return net, x


@pytest.mark.parametrize("name", sorted(STRUCTURE))
def test_structure_as_mxnet(name):
    count, shapes, keys, first, last = STRUCTURE[name]
    net = vision.get_model(name)
    pre = net.prefix
    assert _digest("%s %s" % (k, p.name[len(pre):]) for k, p in net._keyed_params().items()) == keys
    size = 299 if name == "inceptionv3" else 224
    net.infer_shape(mx.nd.zeros((1, 3, size, size)))
    named = [(k[len(pre):], p.shape) for k, p in net.collect_params().items()]
    assert sum(int(np.prod(shape)) for _, shape in named) == count
    assert _digest("%s %s" % (k, ",".join(map(str, shape))) for k, shape in named) == shapes
    assert tuple(k for k, _ in named[:3]) == first
    assert tuple(k for k, _ in named[-3:]) == last
    assert net(mx.sym.var("data")).infer_shape(data=(1, 3, size, size))[1] == [(1, 1000)]


@pytest.mark.parametrize("name", sorted(STRUCTURE))
def test_forward_smallest_input(name):
    net = vision.get_model(name, classes=10)
    net.initialize()
    y = net(_input(SIZES.get(name, 32))).asnumpy()
    assert y.shape == (1, 10)
    assert np.isfinite(y).all()


@pytest.mark.parametrize("name", sorted(FORWARD))
def test_outputs_as_mxnet(name):
    net, x = _filled(name)
    y = net(x).asnumpy()
    np.testing.assert_allclose(y[0], FORWARD[name], rtol=1e-4, atol=1e-5)
    net.hybridize()
    np.testing.assert_allclose(net(x).asnumpy(), y, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(net(x).asnumpy(), y, rtol=1e-5, atol=1e-6)  # the cached graph, run again


@pytest.mark.parametrize("name", sorted(SAVED_BY_MXNET))
def test_loads_parameters_saved_by_mxnet(name):
    make, size, expected = SAVED_BY_MXNET[name]
    net = make()
    net.load_parameters(os.path.join(DATA, "mxnet_%s.params" % name))
    np.testing.assert_allclose(net(_input(size, 2)).asnumpy(), expected, rtol=1e-4, atol=1e-6)


def test_pretrained_reads_the_cache_file(tmp_path):
    src, x = _filled("resnet18_v1")
    src.save_parameters(str(tmp_path / "resnet18_v1-0123abcd.params"))  # MXNet's cache name: <name>-<hash8>
    (tmp_path / "resnet18_v2-0123abcd.params").write_bytes(b"not this one")
    net = vision.get_model("resnet18_v1", classes=10, pretrained=True, root=str(tmp_path))
    np.testing.assert_allclose(net(x).asnumpy()[0], FORWARD["resnet18_v1"], rtol=1e-4, atol=1e-5)
    assert model_store.get_model_file("resnet18_v1", root=str(tmp_path)).endswith("resnet18_v1-0123abcd.params")
    # the other entry points find the same file
    net = vision.resnet18_v1(classes=10, pretrained=True, root=str(tmp_path))
    np.testing.assert_allclose(net(x).asnumpy()[0], FORWARD["resnet18_v1"], rtol=1e-4, atol=1e-5)
    model_store.purge(str(tmp_path))
    assert not list(tmp_path.glob("*.params"))


def test_pretrained_missing_file_says_where_to_put_it(tmp_path):
    with pytest.raises(FileNotFoundError) as err:
        vision.get_model("mobilenetv2_0.25", pretrained=True, root=str(tmp_path))
    text = str(err.value)
    assert "mobilenetv2_0.25-*.params" in text and str(tmp_path) in text and "does not download" in text


def test_pretrained_for_another_number_of_classes_names_the_parameter(tmp_path):
    src, _ = _filled("squeezenet1.1")
    src.save_parameters(str(tmp_path / "squeezenet1.1-deadbeef.params"))
    with pytest.raises(AssertionError, match=r"conv25_bias.*\(5,\) vs saved \(10,\)"):
        vision.squeezenet1_1(classes=5, pretrained=True, root=str(tmp_path))


def test_unknown_model_lists_the_available_ones():
    with pytest.raises(ValueError) as err:
        vision.get_model("resnet19_v1")
    assert str(err.value) == "Model resnet19_v1 is not supported. Available options are\n\t" + "\n\t".join(
        sorted(STRUCTURE))  # MXNet 1.9.1's message and list
    assert isinstance(vision.get_model("ResNet18_V1"), vision.ResNetV1)


def test_bad_arguments_as_mxnet():
    with pytest.raises(AssertionError, match=r"^Invalid resnet version: 3\. Options are 1 and 2\.$"):
        vision.get_resnet(3, 18)
    with pytest.raises(AssertionError, match=r"^Invalid number of layers: 19\. Options are "
                                             r"dict_keys\(\[18, 34, 50, 101, 152\]\)$"):
        vision.get_resnet(1, 19)
    with pytest.raises(AssertionError, match=r"^Unsupported SqueezeNet version 1\.2:1\.0 or 1\.1 expected$"):
        vision.SqueezeNet("1.2")
    with pytest.raises(KeyError):
        vision.get_vgg(12)


def test_too_small_input_names_the_layer_and_shapes():
    net = vision.squeezenet1_1(classes=10)
    net.initialize()
    with pytest.raises(MXNetError, match=r"AvgPool2D\(size=\(13, 13\).*\(1, 10, 3, 3\)"):
        net(mx.nd.zeros((1, 3, 64, 64)))


def test_constructors_and_options():
    net = vision.resnet18_v1(classes=10, thumbnail=True)  # 3x3 stem for 32x32 images, as MXNet
    net.initialize()
    assert net(_input(32)).shape == (1, 10)
    assert net.features[0].weight.shape == (64, 3, 3, 3)
    assert vision.get_resnet(2, 50, classes=7).output._units == 7
    assert [type(b).__name__ for b in vision.resnet50_v2().features[5]] == ["BottleneckV2"] * 3
    assert len(vision.vgg16_bn().features) == 13 * 3 + 5 + 4 and len(vision.vgg16().features) == 13 * 2 + 5 + 4
    assert vision.mobilenet_v2_0_5().features[0].weight.shape[0] == 16
    dense = vision.DenseNet(8, 4, [1, 1], dropout=0.2, classes=3)
    assert "Dropout(p = 0.2" in repr(dense)
    net = vision.get_model("resnet18_v2", classes=10, prefix="mine_")
    assert net.prefix == "mine_" and "mine_conv0_weight" in net.collect_params()


def test_vgg_initializers_as_mxnet():
    # MXNet 1.9.1's VGG sets its own initializers (its Parameters' init): Xavier(rnd_type='gaussian',
    # factor_type='out', magnitude=2) for the convolutions and 'normal' (sigma 0.01) for the Dense layers; the
    # net's initialize(init) applies to the others (the biases keep their 'zeros').
    net = vision.vgg11(classes=10)
    net.initialize(mx.init.Constant(0.5))
    net(_input(32))
    conv, dense = net.features[13].weight.data().asnumpy(), net.features[21].weight.data().asnumpy()
    assert conv.shape == (512, 512, 3, 3) and dense.shape == (4096, 512)
    assert abs(conv.std() / np.sqrt(2.0 / (512 * 9)) - 1) < 0.02 and abs(conv.mean()) < 1e-3
    assert abs(dense.std() / 0.01 - 1) < 0.02
    assert (net.features[0].bias.data().asnumpy() == 0).all()


def test_concurrent_containers():
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    for cls in (Concurrent, HybridConcurrent):
        net = cls(axis=1)
        with net.name_scope():
            net.add(Identity(), mx.gluon.nn.HybridLambda(lambda F, x: x * 2) if cls is HybridConcurrent
                    else mx.gluon.nn.Lambda(lambda x: x * 2))
        y = net(mx.nd.array(a)).asnumpy()
        np.testing.assert_array_equal(y, np.concatenate([a, 2 * a], axis=1))
        assert len(net) == 2 and isinstance(net[0], Identity)
    net.hybridize()
    np.testing.assert_array_equal(net(mx.nd.array(a)).asnumpy(), np.concatenate([a, 2 * a], axis=1))
    assert repr(HybridConcurrent()) == "HybridConcurrent(\n\n)" and repr(Identity()) == "Identity(\n\n)"


# The (operator, node name) lists of the graphs MXNet 1.9.1 exports (HybridBlock.export after one 224x224 forward),
# as SHA-1 of their JSON, with a few names spelled out: the operator nodes of a layer are '<layer prefix>fwd', the
# sums of two residual blocks of one stage count on in the stage's scope, MobileNetV2's shortcut is elemwise_add.
EXPORTED_GRAPHS = {
    "resnet18_v1": (171, "c30a0f4168a5772e", ["resnetv10_conv0_fwd", "resnetv10_stage1__plus1"]),
    "resnet18_v2": (168, "d277694d6c824022", ["resnetv20_batchnorm0_fwd", "resnetv20_stage2__plus0"]),
    "mobilenetv2_0.25": (422, "8c7db3ddfc5f1aa6", ["mobilenetv20_features_relu60_relu6",
                                                    "mobilenetv20_features_linearbottleneck2_elemwise_add0"]),
    "densenet121": (1034, "d020a39b72bfd782", ["densenet0_stage1_relu6_fwd"]),
    "squeezenet1.1": (119, "d9acd7f775170542", ["squeezenet0_relu6_fwd"]),
}


@pytest.mark.parametrize("name", sorted(EXPORTED_GRAPHS))
def test_exported_graph_names_as_mxnet(name, tmp_path):
    import json
    count, digest, some = EXPORTED_GRAPHS[name]
    with mx.name.NameManager():  # fresh block counters: 'resnetv10_' as in a new MXNet process
        net = vision.get_model(name, classes=10)
    net.initialize()
    net.hybridize()
    net(mx.nd.ones((1, 3, 224, 224)))
    net.export(str(tmp_path / "m"))
    nodes = [[n["op"], n["name"]] for n in json.load(open(tmp_path / "m-symbol.json"))["nodes"]]
    names = [n for _, n in nodes]
    assert len(nodes) == count and all(s in names for s in some)
    assert hashlib.sha1(json.dumps(nodes).encode()).hexdigest()[:16] == digest
