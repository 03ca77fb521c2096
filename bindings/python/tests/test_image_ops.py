"""MXNet 1.9.1's image operators as mxc operators: mx.nd.image.* and mx.sym.image.* against MXNet's printed values,
autograd through them, mx.random.seed reproducing the random ones, and the vision transforms hybridized."""
import numpy as np
import pytest

import mxc as mx
from mxc.gluon.data.vision import transforms as T

# (arange(18).reshape(2, 3, 3) * 13) % 256: (H, W, C) = (2, 3, 3)
_IMG = (np.arange(18).reshape(2, 3, 3) * 13) % 256

# MXNet 1.9.1's outputs on _IMG as float32
_MX_TO_TENSOR = [0.0, 0.15294118225574493, 0.30588236451148987, 0.4588235318660736, 0.6117647290229797,
                 0.7647058963775635, 0.05098039284348488, 0.20392157137393951, 0.35686275362968445,
                 0.5098039507865906, 0.6627451181411743, 0.8156862854957581, 0.10196078568696976, 0.2549019753932953,
                 0.40784314274787903, 0.5607843399047852, 0.7137255072593689, 0.8666666746139526]
_MX_NORMALIZE = [-0.20000000298023224, 0.10588236153125763, 0.4117647409439087, 0.7176470756530762,
                 1.0235294103622437, 1.3294117450714111, -0.09934640675783157, 0.0026143789291381836,
                 0.10457516461610794, 0.20653598010540009, 0.30849674344062805, 0.4104575216770172,
                 -0.0990196168422699, -0.022549018263816833, 0.05392156541347504, 0.1303921639919281,
                 0.20686274766921997, 0.28333333134651184]
_MX_COLOUR = {  # operator, factor: (uint8 result, float32 result)
    ("random_brightness", 0.5): ([0, 6, 13, 19, 26, 32, 39, 45, 52, 58, 65, 71, 78, 84, 91, 97, 104, 110],
                                 [0.0, 6.5, 13.0, 19.5, 26.0, 32.5, 39.0, 45.5, 52.0, 58.5, 65.0, 71.5, 78.0, 84.5,
                                  91.0, 97.5, 104.0, 110.5]),
    ("random_contrast", 0.5): ([54, 60, 67, 73, 80, 86, 93, 99, 106, 112, 119, 125, 132, 138, 145, 151, 158, 164],
                               [54.0475, 60.5475, 67.0475, 73.5475, 80.0475, 86.5475, 93.0475, 99.5475, 106.0475,
                                112.5475, 119.0475, 125.5475, 132.0475, 138.5475, 145.0475, 151.5475, 158.0475,
                                164.5475]),
    ("random_saturation", 0.5): ([1, 7, 14, 23, 29, 36, 44, 51, 57, 66, 73, 79, 88, 94, 101, 110, 116, 123],
                                 [1.482, 7.982, 14.482, 23.205, 29.705, 36.205, 44.928, 51.428, 57.928, 66.651,
                                  73.151, 79.651, 88.374, 94.874, 101.374, 110.097, 116.597, 123.097]),
    ("random_hue", 0.5): ([26, 13, 0, 65, 52, 39, 103, 91, 78, 143, 130, 117, 182, 169, 156, 221, 208, 195],
                          [26.0, 13.0, 0.0, 65.0, 52.0, 39.0, 104.0, 91.0, 78.0, 143.0, 130.0, 117.0, 182.0, 169.0,
                           156.0, 221.0, 208.0, 195.0]),
}


def test_to_tensor_and_normalize_as_mxnet():
    for dt in ("uint8", "float32", "float64"):
        y = mx.nd.image.to_tensor(mx.nd.array(_IMG, dtype=dt))
        assert y.shape == (3, 2, 3) and y.dtype == np.float32
        np.testing.assert_allclose(y.asnumpy().ravel(), _MX_TO_TENSOR, rtol=1e-6)
    z = mx.nd.image.normalize(y, mean=(0.1, 0.2, 0.3), std=(0.5, 1.5, 2.0))
    np.testing.assert_allclose(z.asnumpy().ravel(), _MX_NORMALIZE, rtol=1e-6, atol=1e-7)
    batch = mx.nd.array(np.stack([_IMG, 255 - _IMG]), dtype="uint8")
    yb = mx.nd.image.to_tensor(batch)
    assert yb.shape == (2, 3, 2, 3)
    np.testing.assert_allclose(yb.asnumpy(), np.stack([_IMG, 255 - _IMG]).transpose(0, 3, 1, 2) / 255.0, rtol=1e-6)
    np.testing.assert_allclose(mx.nd.image.normalize(yb, mean=0.5, std=0.25).asnumpy(),
                               (yb.asnumpy() - 0.5) / 0.25, rtol=1e-5, atol=1e-6)
    with pytest.raises(mx.MXNetError, match=r"_image_normalize: data shape \(4,2,2\)"):
        mx.nd.image.normalize(mx.nd.ones((4, 2, 2)))


@pytest.mark.parametrize("key", sorted(_MX_COLOUR))
def test_colour_as_mxnet(key):
    name, f = key
    want_u8, want_f32 = _MX_COLOUR[key]
    fn = getattr(mx.nd.image, name)
    u8 = fn(mx.nd.array(_IMG, dtype="uint8"), f, f)
    assert u8.dtype == np.uint8
    np.testing.assert_allclose(u8.asnumpy().ravel(), want_u8, atol=1 if name == "random_hue" else 0)
    np.testing.assert_allclose(fn(mx.nd.array(_IMG), f, f).asnumpy().ravel(), want_f32, rtol=1e-5, atol=1e-4)


def test_flips_crop_lighting_as_mxnet():
    x = mx.nd.array(_IMG, dtype="uint8")
    np.testing.assert_array_equal(mx.nd.image.flip_left_right(x).asnumpy(), _IMG[:, ::-1])
    np.testing.assert_array_equal(mx.nd.image.flip_top_bottom(x).asnumpy(), _IMG[::-1])
    # MXNet 1.9.1
    assert mx.nd.image.crop(x, 1, 0, 1, 2).asnumpy().tolist() == [[[39, 52, 65]], [[156, 169, 182]]]
    assert mx.nd.image.crop(mx.nd.stack(x, x), 1, 0, 1, 2).shape == (2, 2, 1, 3)
    np.testing.assert_array_equal(mx.nd.image.adjust_lighting(x, alpha=(0.01, 0.02, -0.03)).asnumpy().ravel(),
                                  [0, 12, 25, 38, 51, 64, 77, 90, 103, 116, 129, 142, 155, 168, 181, 194, 207, 220])
    with pytest.raises(mx.MXNetError, match=r"_image_crop: data shape \(2,3,3\).*does not fit"):
        mx.nd.image.crop(x, 1, 0, 5, 2)


def test_symbols_as_mxnet():
    d = mx.sym.var("d")
    s = mx.sym.image.to_tensor(d)
    assert s.name == "to_tensor0" or s.name.startswith("to_tensor")  # MXNet 1.9.1: to_tensor0
    n = mx.sym.image.normalize(s, mean=(0.1, 0.2, 0.3), std=(0.5, 1.5, 2.0))
    img = mx.nd.array(_IMG, dtype="uint8")
    ex = n.bind(img.context, {"d": img})
    np.testing.assert_allclose(ex.forward()[0].asnumpy().ravel(), _MX_NORMALIZE, rtol=1e-6, atol=1e-7)
    assert n.infer_shape(d=(5, 7, 3))[1] == [(3, 5, 7)]
    b = mx.sym.image.random_brightness(d, 0.5, 0.5)
    out = b.bind(img.context, {"d": mx.nd.array(_IMG)}).forward()[0]
    np.testing.assert_allclose(out.asnumpy().ravel(), _MX_COLOUR[("random_brightness", 0.5)][1], rtol=1e-6)
    names = sorted(n for n in dir(mx.sym.image) if not n.startswith("_"))
    for want in ("adjust_lighting", "crop", "flip_left_right", "flip_top_bottom", "normalize", "random_brightness",
                 "random_color_jitter", "random_contrast", "random_flip_left_right", "random_flip_top_bottom",
                 "random_hue", "random_lighting", "random_saturation", "to_tensor"):
        assert want in names and hasattr(mx.nd.image, want)


def test_autograd_through_image_operators():
    x = mx.nd.array(np.random.RandomState(0).rand(3, 4, 3))
    x.attach_grad()
    head = np.random.RandomState(1).rand(3, 3, 2).astype(np.float32)
    with mx.autograd.record():
        y = mx.nd.image.normalize(mx.nd.image.to_tensor(mx.nd.image.flip_left_right(
            mx.nd.image.crop(x, 1, 0, 2, 3))), mean=(0.1, 0.2, 0.3), std=(2.0, 4.0, 0.5))
    y.backward(mx.nd.array(head))
    # by hand: crop window rows 0..2, cols 1..2; flipped; transposed; / 255 / std
    g = head.transpose(1, 2, 0) / 255.0 / np.array([2.0, 4.0, 0.5])
    want = np.zeros((3, 4, 3))
    want[0:3, 1:3] = g[:, ::-1]
    np.testing.assert_allclose(x.grad.asnumpy(), want, rtol=1e-5, atol=1e-9)


def test_random_operators_follow_mx_random_seed():
    x = mx.nd.array(np.random.RandomState(2).rand(4, 5, 3) * 255)
    calls = [lambda: mx.nd.image.random_brightness(x, 0.3, 1.7), lambda: mx.nd.image.random_contrast(x, 0.3, 1.7),
             lambda: mx.nd.image.random_saturation(x, 0.3, 1.7), lambda: mx.nd.image.random_hue(x, 0.3, 1.7),
             lambda: mx.nd.image.random_color_jitter(x, 0.2, 0.2, 0.2, 0.1),
             lambda: mx.nd.image.random_lighting(x, 0.1), lambda: mx.nd.image.random_flip_left_right(x),
             lambda: mx.nd.image.random_flip_top_bottom(x)]
    mx.random.seed(11)
    first = [[c().asnumpy() for c in calls] for _ in range(3)]
    mx.random.seed(11)
    again = [[c().asnumpy() for c in calls] for _ in range(3)]
    for a, b in zip(first, again):
        for u, v in zip(a, b):
            np.testing.assert_array_equal(u, v)
    # the factor is uniform in [min, max]: brightness ratios spread over it
    ratios = [float(mx.nd.image.random_brightness(x, 0.5, 1.5).asnumpy()[0, 0, 0] / x.asnumpy()[0, 0, 0])
              for _ in range(300)]
    assert 0.5 - 1e-5 <= min(ratios) < 0.55 and 1.45 < max(ratios) <= 1.5 + 1e-5
    assert abs(np.mean(ratios) - 1.0) < 0.05


def _hybrid_and_plain(block, x, seed=None):
    if seed is not None:
        mx.random.seed(seed)
    plain = block(x).asnumpy()
    block.hybridize()
    if seed is not None:
        mx.random.seed(seed)
    return plain, block(x).asnumpy()


@pytest.mark.parametrize("make", [lambda: T.ToTensor(), lambda: T.Cast("float64"),
                                  lambda: T.Compose([T.ToTensor(), T.Normalize((0.1, 0.2, 0.3), (0.5, 1.5, 2.0))]),
                                  lambda: T.RandomFlipLeftRight(), lambda: T.RandomFlipTopBottom(),
                                  lambda: T.RandomBrightness(0.4), lambda: T.RandomContrast(0.4),
                                  lambda: T.RandomSaturation(0.4), lambda: T.RandomHue(0.2),
                                  lambda: T.RandomColorJitter(0.2, 0.2, 0.2, 0.1), lambda: T.RandomLighting(0.1)])
def test_transforms_hybridize_to_the_same_result(make):
    block = make()
    assert isinstance(block, mx.gluon.HybridBlock) or isinstance(block, T.Compose)
    x = mx.nd.array(_IMG)
    plain, hybrid = _hybrid_and_plain(block, x, seed=4)
    np.testing.assert_allclose(hybrid, plain, rtol=1e-6)


def test_compose_groups_hybrid_transforms_as_mxnet():
    # MXNet 1.9.1: Compose([Cast, CenterCrop, ToTensor, Normalize]) has 3 children, the last a HybridSequential
    c = T.Compose([T.Cast("float32"), T.CenterCrop(2), T.ToTensor(), T.Normalize(0.5, 0.5)])
    assert len(c) == 3 and isinstance(c[0], T.Cast) and isinstance(c[2], mx.gluon.nn.HybridSequential)
    out = c(mx.nd.array(_IMG, dtype="uint8")).asnumpy()
    np.testing.assert_allclose(out, (_IMG[:, 0:2].transpose(2, 0, 1) / 255.0 - 0.5) / 0.5, rtol=1e-6, atol=1e-6)
    assert len(T.Compose([T.ToTensor()])) == 1
