"""mx.image.copyMakeBorder, imrotate, random_rotate and the detection pipeline (mx.image.det: augmenters and
ImageDetIter).

Expected values were printed by MXNet 1.9.1 (its OpenCV 3.4.2) and are written here as literals; the random
augmenters are checked on their invariants and on the cases their parameters make deterministic.
"""
import json
import math
import random
import warnings

import numpy as np
import pytest

import mxc as mx

Image = pytest.importorskip("PIL.Image", reason="mx.image decodes with Pillow (pip install pillow)")


# ------------------------------------------------------------------------------------------------ copyMakeBorder

def _img232():
    return mx.nd.array(np.arange(12).reshape(2, 3, 2), dtype="uint8")


def test_copy_make_border_as_mxnet():
    a = _img232()
    r = mx.image.copyMakeBorder(a, 1, 2, 3, 1, type=2, value=7)
    assert r.shape == (5, 7, 2) and r.dtype == np.uint8
    np.testing.assert_array_equal(r.asnumpy()[:, :, 0], [
        [4, 2, 0, 0, 2, 4, 4], [4, 2, 0, 0, 2, 4, 4], [10, 8, 6, 6, 8, 10, 10], [10, 8, 6, 6, 8, 10, 10],
        [4, 2, 0, 0, 2, 4, 4]])
    np.testing.assert_array_equal(mx.image.copyMakeBorder(a, 1, 0, 0, 1, values=(5, 9)).asnumpy(), [
        [[5, 9], [5, 9], [5, 9], [5, 9]], [[0, 1], [2, 3], [4, 5], [5, 9]], [[6, 7], [8, 9], [10, 11], [5, 9]]])
    np.testing.assert_array_equal(mx.image.copyMakeBorder(a, 1, 0, 0, 0, values=(5,)).asnumpy()[0], [[5, 0]] * 3)
    np.testing.assert_array_equal(mx.image.copyMakeBorder(a, 1, 0, 0, 0, value=3.5).asnumpy()[0], [[4, 4]] * 3)
    np.testing.assert_array_equal(mx.image.copyMakeBorder(a, 1, 0, 0, 0, value=300.7).asnumpy()[0], [[255, 255]] * 3)
    f = mx.nd.array(np.arange(6).reshape(2, 3, 1) * 1.5)
    np.testing.assert_array_equal(mx.image.copyMakeBorder(f, 1, 1, 1, 0, type=0, value=-2.5).asnumpy()[:, :, 0], [
        [-2.5, -2.5, -2.5, -2.5], [-2.5, 0.0, 1.5, 3.0], [-2.5, 4.5, 6.0, 7.5], [-2.5, -2.5, -2.5, -2.5]])
    # the operator itself, as MXNet names it
    r2 = mx.nd._internal._cvcopyMakeBorder(a, top=1, bot=0, left=0, right=0)
    assert r2.shape == (3, 3, 2)


@pytest.mark.parametrize("cv_type,np_mode", [(1, "edge"), (2, "symmetric"), (3, "wrap"), (4, "reflect"),
                                             (17, "edge")])
def test_copy_make_border_matches_numpy_pad(cv_type, np_mode):
    rng = np.random.RandomState(cv_type)
    for shape in [(1, 1, 3), (2, 3, 1), (4, 5, 3)]:
        x = rng.uniform(-3, 3, shape).astype(np.float32)
        margins = (5, 2, 7, 3)
        r = mx.image.copyMakeBorder(mx.nd.array(x), *margins, type=cv_type)
        want = np.pad(x, ((margins[0], margins[1]), (margins[2], margins[3]), (0, 0)), mode=np_mode)
        np.testing.assert_array_equal(r.asnumpy(), want)


def test_copy_make_border_errors():
    with pytest.raises(mx.MXNetError, match=r"_cvcopyMakeBorder.*\(2,3\)"):
        mx.image.copyMakeBorder(mx.nd.ones((2, 3)), 1, 1, 1, 1)
    with pytest.raises(mx.MXNetError, match="_cvcopyMakeBorder.*negative"):
        mx.image.copyMakeBorder(_img232(), -1, 0, 0, 0)
    with pytest.raises(mx.MXNetError, match="_cvcopyMakeBorder.*'type' = 5"):
        mx.image.copyMakeBorder(_img232(), 1, 1, 1, 1, type=5)
    with pytest.raises(TypeError, match="copyMakeBorder: the margin 'right' is required"):
        mx.image.copyMakeBorder(_img232(), 1, 1, 1)


# ------------------------------------------------------------------------------------------------ imrotate

def _chw45():
    return np.arange(4 * 5 * 2).reshape(4, 5, 2).transpose(2, 0, 1) * 1.0


def _bilinear_zero(ch, x, y):
    h, w = ch.shape
    x0, y0 = math.floor(x), math.floor(y)
    out = 0.0
    for xx, wx in ((x0, 1 - (x - x0)), (x0 + 1, x - x0)):
        for yy, wy in ((y0, 1 - (y - y0)), (y0 + 1, y - y0)):
            if 0 <= xx < w and 0 <= yy < h:
                out += wx * wy * ch[yy, xx]
    return out


def _rotate_reference(img, deg, scale=1.0):
    """Output pixel (x, y) reads the source at c + scale * R(deg) ((x, y) - c), bilinearly, zero outside."""
    c_, h, w = img.shape
    t = math.radians(deg)
    cs, sn = math.cos(t), math.sin(t)
    cx, cy = (w - 1) / 2, (h - 1) / 2
    out = np.zeros_like(img)
    for i in range(h):
        for j in range(w):
            dx, dy = (j - cx) * scale, (i - cy) * scale
            sx, sy = cx + cs * dx - sn * dy, cy + sn * dx + cs * dy
            for k in range(c_):
                out[k, i, j] = _bilinear_zero(img[k], sx, sy)
    return out


def test_imrotate_as_mxnet():
    img = mx.nd.array(_chw45())
    r = mx.image.imrotate(img, 90)
    assert r.shape == (2, 4, 5) and r.dtype == np.float32
    np.testing.assert_allclose(r.asnumpy()[0], [[3.5, 12.0, 22.0, 32.0, 18.5], [2.5, 10.0, 20.0, 30.0, 17.5],
                                                [1.5, 8.0, 18.0, 28.0, 16.5], [0.5, 6.0, 16.0, 26.0, 15.5]],
                               atol=1e-4)
    np.testing.assert_allclose(mx.image.imrotate(img, 30).asnumpy()[1], [
        [0.6101, 3.3422, 8.5096, 15.2417, 10.8819], [2.7058, 9.4378, 16.1699, 22.9019, 29.634],
        [10.366, 17.0981, 23.8301, 30.5622, 37.2942], [9.8361, 24.7583, 31.4904, 24.6963, 7.4284]], atol=2e-4)
    np.testing.assert_allclose(mx.image.imrotate(img, 30, zoom_in=True).asnumpy()[0], [
        [2.5703, 6.7786, 11.2936, 15.8087, 20.3237], [7.4011, 11.9162, 16.4312, 20.9463, 25.4613],
        [12.5387, 17.0537, 21.5688, 26.0838, 30.5989], [17.6763, 22.1913, 26.7064, 31.2214, 33.8369]], atol=2e-4)
    np.testing.assert_allclose(mx.image.imrotate(img, 30, zoom_out=True).asnumpy()[0], [
        [0.0, 0.0, 3.5118, 6.546, 0.0], [0.0, 3.2515, 13.2892, 23.3268, 1.4064],
        [0.2927, 14.6732, 24.7108, 34.7485, 10.9106], [0.0, 15.8917, 17.886, 0.0, 0.0]], atol=2e-4)
    b = mx.nd.array(np.arange(2 * 2 * 3 * 4).reshape(2, 2, 3, 4) * 1.0)
    rb = mx.image.imrotate(b, mx.nd.array([90, -45]))
    assert rb.shape == (2, 2, 3, 4)
    np.testing.assert_allclose(rb.asnumpy()[0, 1], [[7.25, 16.5, 20.5, 11.25], [6.75, 15.5, 19.5, 10.75],
                                                    [6.25, 14.5, 18.5, 10.25]], atol=1e-4)
    np.testing.assert_allclose(rb.asnumpy()[1, 0], [[21.5381, 27.0251, 23.6211, 6.004],
                                                    [30.4716, 30.5607, 28.4393, 24.9495],
                                                    [7.6977, 31.8, 31.9749, 21.6637]], atol=2e-4)


def test_imrotate_matches_reference():
    rng = np.random.RandomState(7)
    for (h, w, deg) in [(4, 5, 30), (6, 3, -70), (5, 5, 120), (3, 7, 200)]:
        x = rng.uniform(0, 10, (2, h, w))
        t = math.radians(deg)
        ac, as_ = abs(math.cos(t)), abs(math.sin(t))
        fit = max((ac * w + as_ * h) / w, (as_ * w + ac * h) / h)
        for kw, scale in [({}, 1.0), ({"zoom_out": True}, fit), ({"zoom_in": True}, 1 / fit)]:
            r = mx.image.imrotate(mx.nd.array(x), deg, **kw).asnumpy()
            np.testing.assert_allclose(r, _rotate_reference(x, deg, scale), atol=1e-4, err_msg=str((h, w, deg, kw)))
    # a batch with one angle rotates every image by it
    xb = rng.uniform(0, 1, (3, 1, 4, 6))
    rb = mx.image.imrotate(mx.nd.array(xb), 40).asnumpy()
    for i in range(3):
        np.testing.assert_allclose(rb[i], _rotate_reference(xb[i], 40), atol=1e-5)
    # 0 degrees (and zoom_in, a factor of 1) is the identity
    np.testing.assert_allclose(mx.image.imrotate(mx.nd.array(xb[0]), 0, zoom_in=True).asnumpy(), xb[0], atol=1e-6)


def test_imrotate_errors_as_mxnet():
    img = mx.nd.array(_chw45())
    with pytest.raises(TypeError, match="Only `float32` images are supported"):
        mx.image.imrotate(img.astype("uint8"), 3)
    with pytest.raises(ValueError, match="`zoom_in` and `zoom_out` cannot be both True"):
        mx.image.imrotate(img, 3, True, True)
    with pytest.raises(ValueError, match="number of images must be equal to the number of rotation angles"):
        mx.image.imrotate(mx.nd.ones((2, 1, 3, 4)), mx.nd.array([1, 2, 3]))
    with pytest.raises(TypeError, match="single image is passed the rotation angle is required to be a scalar"):
        mx.image.imrotate(img, mx.nd.array([1]))
    with pytest.raises(ValueError, match="Only 3D and 4D are supported"):
        mx.image.imrotate(mx.nd.ones((4, 5)), 3)


def test_random_rotate_draws_from_numpy():
    img = mx.nd.array(np.random.RandomState(0).rand(1, 4, 5))
    np.random.seed(3)
    r = mx.image.random_rotate(img, (-30, 30)).asnumpy()
    angle = np.random.RandomState(3).uniform(-30, 30)  # MXNet 1.9.1: 3.0478741544745276, the same angle
    assert abs(angle - 3.0478741544745276) < 1e-12
    np.testing.assert_allclose(r, mx.image.imrotate(img, angle).asnumpy(), atol=1e-6)
    b = mx.nd.array(np.random.RandomState(0).rand(3, 1, 4, 5))
    np.random.seed(3)
    rb = mx.image.random_rotate(b, (-30, 30), zoom_in=True).asnumpy()
    angles = np.random.RandomState(3).uniform(-30, 30, size=3)
    for i in range(3):
        np.testing.assert_allclose(rb[i], mx.image.imrotate(b[i], float(angles[i]), zoom_in=True).asnumpy(),
                                   atol=1e-5)


# ------------------------------------------------------------------------------------------------ augmenters

LABEL = np.array([[1, 0.1, 0.2, 0.5, 0.6], [2, 0.4, 0.3, 0.9, 0.95], [3, 0.0, 0.0, 0.2, 0.1]])


def _img2030():
    return mx.nd.array(np.random.RandomState(0).randint(0, 255, (20, 30, 3)), dtype="uint8")


def test_module_names():
    assert mx.image.det is mx.image.detection
    import mxc.image.det as det_module
    from mxc.image.detection import ImageDetIter
    assert det_module is mx.image.det and ImageDetIter is mx.image.ImageDetIter
    for name in ["ImageDetIter", "CreateDetAugmenter", "CreateMultiRandCropAugmenter", "DetAugmenter", "DetBorrowAug",
                 "DetHorizontalFlipAug", "DetRandomCropAug", "DetRandomPadAug", "DetRandomSelectAug", "imrotate",
                 "random_rotate", "copyMakeBorder"]:
        assert hasattr(mx.image, name), name
    for name in ["ImageDetIter", "CreateDetAugmenter", "DetRandomCropAug"]:
        assert getattr(mx.image.det, name) is getattr(mx.image, name)


def test_dumps_as_mxnet():
    assert mx.image.DetBorrowAug(mx.image.HorizontalFlipAug(0.5)).dumps() == \
        ["detborrowaug", '["horizontalflipaug", {"p": 0.5}]']
    assert mx.image.DetHorizontalFlipAug(0.5).dumps() == '["dethorizontalflipaug", {"p": 0.5}]'
    assert mx.image.DetRandomCropAug().dumps() == (
        '["detrandomcropaug", {"min_object_covered": 0.1, "aspect_ratio_range": [0.75, 1.33], "area_range": '
        '[0.05, 1.0], "min_eject_coverage": 0.3, "max_attempts": 50}]')
    assert mx.image.DetRandomPadAug().dumps() == (
        '["detrandompadaug", {"aspect_ratio_range": [0.75, 1.33], "area_range": [1.0, 3.0], "max_attempts": 50, '
        '"pad_val": [128, 128, 128]}]')
    assert mx.image.DetRandomSelectAug([mx.image.DetHorizontalFlipAug(1)], 0.2).dumps() == \
        ["detrandomselectaug", ['["dethorizontalflipaug", {"p": 1}]']]
    assert mx.image.DetAugmenter(a=1, b=[1, 2]).dumps() == '["detaugmenter", {"a": 1, "b": [1, 2]}]'
    s = mx.image.CreateMultiRandCropAugmenter(min_object_covered=[0.1, 0.5], area_range=[(0.1, 1.0), (0.2, 1.0)],
                                              skip_prob=0.3)
    assert isinstance(s, mx.image.DetRandomSelectAug) and s.skip_prob == 0.3
    assert s.dumps() == ["detrandomselectaug", [
        '["detrandomcropaug", {"min_object_covered": 0.1, "aspect_ratio_range": [0.75, 1.33], "area_range": '
        '[0.1, 1.0], "min_eject_coverage": 0.3, "max_attempts": 50}]',
        '["detrandomcropaug", {"min_object_covered": 0.5, "aspect_ratio_range": [0.75, 1.33], "area_range": '
        '[0.2, 1.0], "min_eject_coverage": 0.3, "max_attempts": 50}]']]
    assert len(mx.image.CreateMultiRandCropAugmenter().aug_list) == 1
    empty = mx.image.DetRandomSelectAug([], 0.1)
    assert empty.skip_prob == 1 and empty.aug_list == []
    with pytest.raises(ValueError, match="CreateMultiRandCropAugmenter: max_attempts has 2 values"):
        mx.image.CreateMultiRandCropAugmenter(min_object_covered=[0.1, 0.2, 0.3], max_attempts=[1, 2])


def test_create_det_augmenter_as_mxnet():
    def dumps(augs):
        return [(type(a).__name__, a.dumps()) for a in augs]

    assert dumps(mx.image.CreateDetAugmenter((3, 8, 8))) == [
        ("DetBorrowAug", ["detborrowaug", '["forceresizeaug", {"size": [8, 8], "interp": 2}]']),
        ("DetBorrowAug", ["detborrowaug", '["castaug", {"type": "float32"}]'])]
    augs = dumps(mx.image.CreateDetAugmenter(
        (3, 8, 8), resize=10, rand_crop=0.5, rand_pad=0.5, rand_gray=0.2, rand_mirror=True, mean=True, std=True,
        brightness=0.1, contrast=0.1, saturation=0.1, pca_noise=0.05, hue=0.1, inter_method=1))
    assert augs == [
        ("DetBorrowAug", ["detborrowaug", '["resizeaug", {"size": 10, "interp": 1}]']),
        ("DetRandomSelectAug", ["detrandomselectaug", [
            '["detrandomcropaug", {"min_object_covered": 0.1, "aspect_ratio_range": [0.75, 1.33], "area_range": '
            '[0.05, 3.0], "min_eject_coverage": 0.3, "max_attempts": 50}]']]),
        ("DetHorizontalFlipAug", '["dethorizontalflipaug", {"p": 0.5}]'),
        ("DetRandomSelectAug", ["detrandomselectaug", [
            '["detrandompadaug", {"aspect_ratio_range": [0.75, 1.33], "area_range": [1.0, 3.0], "max_attempts": 50, '
            '"pad_val": [127, 127, 127]}]']]),
        ("DetBorrowAug", ["detborrowaug", '["forceresizeaug", {"size": [8, 8], "interp": 1}]']),
        ("DetBorrowAug", ["detborrowaug", '["castaug", {"type": "float32"}]']),
        ("DetBorrowAug", ["detborrowaug", ["colorjitteraug", ['["brightnessjitteraug", {"brightness": 0.1}]',
                                                              '["contrastjitteraug", {"contrast": 0.1}]',
                                                              '["saturationjitteraug", {"saturation": 0.1}]']]]),
        ("DetBorrowAug", ["detborrowaug", '["huejitteraug", {"hue": 0.1}]']),
        ("DetBorrowAug", ["detborrowaug", '["lightingaug", {"alphastd": 0.05, "eigval": [55.46, 4.794, 1.148], '
                                          '"eigvec": [[-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.814], '
                                          '[-0.5836, -0.6948, 0.4203]]}]']),
        ("DetBorrowAug", ["detborrowaug", '["randomgrayaug", {"p": 0.2}]']),
        ("DetBorrowAug", ["detborrowaug", '["colornormalizeaug", {"mean": [123.68, 116.28, 103.53], '
                                          '"std": [58.395, 57.12, 57.375]}]'])]
    crops = mx.image.CreateDetAugmenter((3, 8, 8), rand_crop=1, min_object_covered=[0.3, 0.5],
                                        area_range=(0.3, 3.0))[0]
    assert crops.skip_prob == 0 and [a.min_object_covered for a in crops.aug_list] == [0.3, 0.5]
    pads = dumps(mx.image.CreateDetAugmenter((3, 8, 8), rand_pad=1, mean=np.array([1, 2, 3]),
                                             std=np.array([2, 2, 2]), pad_val=(10, 20, 30)))
    assert pads[0][1] == ["detrandomselectaug", [
        '["detrandompadaug", {"aspect_ratio_range": [0.75, 1.33], "area_range": [1.0, 3.0], "max_attempts": 50, '
        '"pad_val": [10, 20, 30]}]']]
    assert pads[-1][1] == ["detborrowaug", '["colornormalizeaug", {"mean": [1, 2, 3], "std": [2, 2, 2]}]']
    assert dumps(mx.image.CreateDetAugmenter((3, 8, 8), mean=True))[-1][1] == \
        ["detborrowaug", '["colornormalizeaug", {"mean": [123.68, 116.28, 103.53], "std": null}]']
    with pytest.raises(ValueError, match="mean must have 1 or 3 values"):
        mx.image.CreateDetAugmenter((3, 8, 8), mean=[1, 2])


def test_borrow_and_select():
    img = _img2030()
    r, lab = mx.image.DetBorrowAug(mx.image.ForceResizeAug((6, 4)))(img, LABEL)
    assert r.shape == (4, 6, 3) and lab is LABEL
    with pytest.raises(TypeError, match="DetBorrowAug: augmenter must be an mx.image.Augmenter"):
        mx.image.DetBorrowAug(mx.image.DetHorizontalFlipAug(1))
    with pytest.raises(TypeError, match="DetRandomSelectAug: aug_list must hold DetAugmenters"):
        mx.image.DetRandomSelectAug([mx.image.CastAug()])
    flip = mx.image.DetHorizontalFlipAug(1)
    r, lab = mx.image.DetRandomSelectAug([flip], skip_prob=1)(img, LABEL)
    assert r is img and lab is LABEL
    r, lab = mx.image.DetRandomSelectAug([flip], skip_prob=0)(img, LABEL)
    np.testing.assert_array_equal(r.asnumpy(), img.asnumpy()[:, ::-1])
    # chosen uniformly: flip or not, both happen
    sel = mx.image.DetRandomSelectAug([flip, mx.image.DetBorrowAug(mx.image.CastAug("uint8"))])
    random.seed(0)
    flipped = [sel(img, LABEL)[1][0, 1] != LABEL[0, 1] for _ in range(40)]
    assert 5 < sum(flipped) < 35


def test_horizontal_flip_as_mxnet():
    img = _img2030()
    r, lab = mx.image.DetHorizontalFlipAug(1)(img, LABEL.copy())
    np.testing.assert_array_equal(r.asnumpy(), img.asnumpy()[:, ::-1])
    # MXNet 1.9.1: [[1, 0.5, 0.2, 0.9, 0.6], [2, 0.1, 0.3, 0.6, 0.95]] for the first two rows
    np.testing.assert_allclose(lab, [[1, 0.5, 0.2, 0.9, 0.6], [2, 0.1, 0.3, 0.6, 0.95], [3, 0.8, 0.0, 1.0, 0.1]])
    r, lab = mx.image.DetHorizontalFlipAug(0)(img, LABEL.copy())
    assert r is img
    np.testing.assert_array_equal(lab, LABEL)


def test_crop_update_labels_as_mxnet():
    c = mx.image.DetRandomCropAug(min_eject_coverage=0.5)
    # MXNet 1.9.1's _update_labels(label, (x, y, w, h), height=20, width=30)
    np.testing.assert_allclose(c._update_labels(LABEL.copy(), (10, 1, 20, 18), 20, 30),
                               [[2.0, 0.1, 0.27778, 0.85, 1.0]], atol=1e-5)
    np.testing.assert_allclose(c._update_labels(LABEL.copy(), (0, 0, 15, 10), 20, 30),
                               [[1.0, 0.2, 0.4, 1.0, 1.0], [3.0, 0.0, 0.0, 0.4, 0.2]], atol=1e-5)
    np.testing.assert_allclose(c._update_labels(LABEL.copy(), (5, 5, 10, 10), 20, 30),
                               [[1.0, 0.0, 0.0, 1.0, 0.7]], atol=1e-5)
    p = mx.image.DetRandomPadAug()
    np.testing.assert_allclose(p._update_labels(LABEL.copy(), (6, 3, 36, 39), 20, 30), [
        [1.0, 0.25, 0.17949, 0.58333, 0.38462], [2.0, 0.5, 0.23077, 0.91667, 0.5641],
        [3.0, 0.16667, 0.07692, 0.33333, 0.12821]], atol=1e-5)
    np.testing.assert_allclose(p._update_labels(LABEL.copy(), (0, 0, 30, 20), 20, 30), LABEL)


def _find_offset(big, small):
    """(x, y) where ``small`` sits in ``big`` (both H x W x C), or None."""
    bh, bw = big.shape[:2]
    sh, sw = small.shape[:2]
    for y in range(bh - sh + 1):
        for x in range(bw - sw + 1):
            if np.array_equal(big[y:y + sh, x:x + sw], small):
                return x, y
    return None


def test_random_crop_invariants():
    img = _img2030()
    src = img.asnumpy()
    # a whole-image "crop" (area 1, the image's own aspect ratio) changes nothing (MXNet 1.9.1: the same)
    r, lab = mx.image.DetRandomCropAug(area_range=(1.0, 1.0), aspect_ratio_range=(1.5, 1.5))(img, LABEL.copy())
    assert r.shape == (20, 30, 3)
    np.testing.assert_allclose(lab, LABEL)
    # a quarter of the area at ratio 1.5 is 15 x 10 (MXNet 1.9.1: (10, 15, 3))
    random.seed(2)
    aug = mx.image.DetRandomCropAug(area_range=(0.25, 0.25), aspect_ratio_range=(1.5, 1.5), min_object_covered=0)
    assert aug(img, LABEL.copy())[0].shape == (10, 15, 3)
    random.seed(1)
    aug = mx.image.DetRandomCropAug(min_object_covered=0.5, min_eject_coverage=0.4, area_range=(0.1, 1.0))
    boxes_px = LABEL[:, 1:5] * [30, 20, 30, 20]
    cropped = 0
    for _ in range(30):
        r, lab = aug(img, LABEL.copy())
        out = r.asnumpy()
        h, w = out.shape[:2]
        if (h, w) == (20, 30):
            continue
        cropped += 1
        assert 0.75 - 0.05 <= w / h <= 1.33 + 0.1 and 0.1 * 600 * 0.8 <= w * h <= 600
        x, y = _find_offset(src, out)
        assert lab.shape[0] >= 1 and lab.min() >= 0 and lab[:, 1:5].max() <= 1
        # every kept box is its original clipped to the crop, keeping at least min_eject_coverage of its area
        for row in lab:
            k = int(row[0]) - 1
            b = boxes_px[k]
            clip = [max(b[0], x), max(b[1], y), min(b[2], x + w), min(b[3], y + h)]
            np.testing.assert_allclose(row[1:5] * [w, h, w, h] + [x, y, x, y], clip, atol=1e-6)
            cover = (clip[2] - clip[0]) * (clip[3] - clip[1]) / ((b[2] - b[0]) * (b[3] - b[1]))
            assert cover >= 0.4 - 1e-9
        # some box is covered at least min_object_covered
        inter = [max(0, min(b[2], x + w) - max(b[0], x)) * max(0, min(b[3], y + h) - max(b[1], y)) /
                 ((b[2] - b[0]) * (b[3] - b[1])) for b in boxes_px]
        assert max(inter) >= 0.5 - 1e-9
    assert cropped > 20


def test_random_pad_invariants():
    img = _img2030()
    src = img.asnumpy()
    random.seed(1)
    # area twice the image's at ratio 1.5: 42 x 28 (MXNet 1.9.1: (28, 42, 3), filled with pad_val)
    r, lab = mx.image.DetRandomPadAug(aspect_ratio_range=(1.5, 1.5), area_range=(2.0, 2.0),
                                      pad_val=(1, 2, 3))(img, LABEL.copy())
    assert r.shape == (28, 42, 3) and r.dtype == np.uint8
    out = r.asnumpy()
    x, y = _find_offset(out, src)
    mask = np.ones(out.shape[:2], bool)
    mask[y:y + 20, x:x + 30] = False
    np.testing.assert_array_equal(out[mask], np.tile([1, 2, 3], (mask.sum(), 1)))
    np.testing.assert_allclose(lab[:, 1:5] * [42, 28, 42, 28], LABEL[:, 1:5] * [30, 20, 30, 20] + [x, y, x, y],
                               atol=1e-9)
    aug = mx.image.DetRandomPadAug(pad_val=5)
    for _ in range(10):
        r, lab = aug(img.astype("float32"), LABEL.copy())
        out = r.asnumpy()
        h, w = out.shape[:2]
        assert h >= 20 and w >= 30 and 0.7 <= w / h <= 1.4 and w * h <= 3 * 600 * 1.1
        x, y = _find_offset(out, src.astype(np.float32))
        assert (out[:y] == 5).all() and (out[y + 20:] == 5).all()
        np.testing.assert_allclose(lab[:, 1:5] * [w, h, w, h], LABEL[:, 1:5] * [30, 20, 30, 20] + [x, y, x, y],
                                   atol=1e-6)


def test_disabled_augmenters_warn_and_do_nothing():
    img = _img2030()
    for kw in [dict(area_range=(0, 0)), dict(area_range=(0.5, 0.2)), dict(aspect_ratio_range=(0, 1))]:
        with pytest.warns(UserWarning, match="DetRandomCropAug"):
            aug = mx.image.DetRandomCropAug(**kw)
        assert aug.enabled is False
        r, lab = aug(img, LABEL)
        assert r.shape == img.shape
        np.testing.assert_array_equal(lab, LABEL)
    for kw in [dict(area_range=(0.5, 0.9)), dict(area_range=(1.0, 1.0)), dict(area_range=(3.0, 1.0))]:
        with pytest.warns(UserWarning, match="DetRandomPadAug"):
            assert mx.image.DetRandomPadAug(**kw).enabled is False
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert mx.image.DetRandomCropAug(area_range=(1.5, 3.0)).enabled
        assert mx.image.DetRandomPadAug(area_range=(0.5, 1.5)).enabled
    with pytest.raises(ValueError, match=r"label must have shape \(objects, 5 or more\)"):
        mx.image.DetRandomCropAug()(img, np.zeros((2, 4)))


# ------------------------------------------------------------------------------------------------ ImageDetIter

RAW_LABELS = [[2, 5, 1, 0.1, 0.2, 0.5, 0.6], [2, 5, 0, 0.2, 0.2, 0.4, 0.5, 3, 0.5, 0.5, 0.9, 0.9],
              [2, 5, 2, 0, 0, 1, 1], [4, 5, 9, 9, 1, 0.1, 0.1, 0.3, 0.3, 2, 0.2, 0.3, 0.6, 0.7, 0, 0.5, 0.5, 0.6, 0.6],
              [2, 5, 1, 0.3, 0.3, 0.4, 0.4]]
_N = [-1.0] * 5
# MXNet 1.9.1's batches (batch 2, data_shape (3, 8, 8)) of these five images
BATCH_LABELS = [
    [[[1.0, 0.1, 0.2, 0.5, 0.6], _N, _N], [[0.0, 0.2, 0.2, 0.4, 0.5], [3.0, 0.5, 0.5, 0.9, 0.9], _N]],
    [[[2.0, 0.0, 0.0, 1.0, 1.0], _N, _N], [[1.0, 0.1, 0.1, 0.3, 0.3], [2.0, 0.2, 0.3, 0.6, 0.7],
                                           [0.0, 0.5, 0.5, 0.6, 0.6]]],
    [[[1.0, 0.3, 0.3, 0.4, 0.4], _N, _N], [[1.0, 0.1, 0.2, 0.5, 0.6], _N, _N]]]


@pytest.fixture
def det_data(tmp_path):
    rs = np.random.RandomState(0)
    for i in range(5):
        Image.fromarray(rs.randint(0, 255, (12 + 2 * i, 16, 3)).astype(np.uint8)).save(str(tmp_path / ("im%d.png" % i)))
    imglist = [[lab, "im%d.png" % i] for i, lab in enumerate(RAW_LABELS)]
    with open(str(tmp_path / "a.lst"), "w") as f:
        for i, lab in enumerate(RAW_LABELS):
            f.write("\t".join([str(i)] + [str(v) for v in lab] + ["im%d.png" % i]) + "\n")
    w = mx.recordio.MXIndexedRecordIO(str(tmp_path / "d.idx"), str(tmp_path / "d.rec"), "w")
    for i, lab in enumerate(RAW_LABELS):
        payload = (tmp_path / ("im%d.png" % i)).read_bytes()
        w.write_idx(i, mx.recordio.pack(mx.recordio.IRHeader(0, np.array(lab, np.float32), i, 0), payload))
    w.close()
    return tmp_path, imglist


def _labels(it):
    return [np.round(b.label[0].asnumpy(), 6).tolist() for b in it]


def test_image_det_iter_sources_as_mxnet(det_data):
    root, imglist = det_data
    it = mx.image.ImageDetIter(2, (3, 8, 8), imglist=imglist, path_root=str(root))
    assert it.label_shape == (3, 5)
    assert [(d.name, d.shape) for d in it.provide_data] == [("data", (2, 3, 8, 8))]
    assert [(d.name, d.shape) for d in it.provide_label] == [("label", (2, 3, 5))]
    batches = list(it)
    assert [b.pad for b in batches] == [0, 0, 1]
    assert all(b.data[0].shape == (2, 3, 8, 8) and b.data[0].dtype == np.float32 for b in batches)
    np.testing.assert_allclose([np.asarray(lab) for lab in _labels(batches)], BATCH_LABELS, atol=1e-6)
    it.reset()
    # MXNet 1.9.1's first pixels (its OpenCV resizes uint8 in fixed point: +-1)
    np.testing.assert_allclose(it.next().data[0][0, :, 0, :3].asnumpy(),
                               [[181.0, 211.0, 127.0], [60.0, 75.0, 117.0], [188.0, 109.0, 85.0]], atol=1)
    lst = mx.image.ImageDetIter(3, (3, 8, 8), path_imglist=str(root / "a.lst"), path_root=str(root),
                                last_batch_handle="discard")
    assert lst.label_shape == (3, 5)
    got = _labels(lst)
    assert len(got) == 1
    np.testing.assert_allclose(got[0], BATCH_LABELS[0] + [BATCH_LABELS[1][0]], atol=1e-6)
    rec = mx.image.ImageDetIter(2, (3, 8, 8), path_imgrec=str(root / "d.rec"))
    np.testing.assert_allclose([np.asarray(lab) for lab in _labels(rec)], BATCH_LABELS, atol=1e-6)
    # MXNet 1.9.1 (data_shape (3, 6, 6)): part 1 of 2 of the indexed file is records 2 and 3, one batch
    part = mx.image.ImageDetIter(2, (3, 6, 6), path_imgrec=str(root / "d.rec"), path_imgidx=str(root / "d.idx"),
                                 num_parts=2, part_index=1)
    got = list(part)
    assert len(got) == 1 and got[0].pad == 0
    np.testing.assert_allclose(got[0].label[0].asnumpy(), BATCH_LABELS[1], atol=1e-6)
    np.testing.assert_allclose(got[0].data[0][:, 0, 0, 0].asnumpy(), [6.0, 144.0], atol=1)
    # shuffling visits every record once
    shuffled = mx.image.ImageDetIter(1, (3, 6, 6), path_imgrec=str(root / "d.rec"),
                                     path_imgidx=str(root / "d.idx"), shuffle=True)
    firsts = sorted(float(b.label[0].asnumpy()[0, 0, 0]) for b in shuffled)
    assert firsts == [0.0, 1.0, 1.0, 1.0, 2.0]


def test_image_det_iter_augments_labels(det_data):
    root, _ = det_data
    augs = [mx.image.DetHorizontalFlipAug(1), mx.image.DetBorrowAug(mx.image.ForceResizeAug((6, 6)))]
    it = mx.image.ImageDetIter(2, (3, 6, 6), path_imgrec=str(root / "d.rec"), aug_list=augs)
    # MXNet 1.9.1
    np.testing.assert_allclose(it.next().label[0].asnumpy(), [
        [[1.0, 0.5, 0.2, 0.9, 0.6], _N, _N], [[0.0, 0.6, 0.2, 0.8, 0.5], [3.0, 0.1, 0.5, 0.5, 0.9], _N]], atol=1e-6)
    norm = mx.image.ImageDetIter(1, (3, 6, 6), path_imgrec=str(root / "d.rec"), mean=True, std=True)
    np.testing.assert_allclose(norm.next().data[0][0, :, 0, 0].asnumpy(), [1.2042, -1.3704, 1.9603], atol=0.03)
    names = mx.image.ImageDetIter(2, (3, 8, 8), path_imgrec=str(root / "d.rec"), data_name="d", label_name="l",
                                  rand_mirror=True, mean=True)
    assert [type(a).__name__ for a in names.auglist] == ["DetHorizontalFlipAug", "DetBorrowAug", "DetBorrowAug",
                                                         "DetBorrowAug"]
    assert names.provide_data[0].name == "d" and names.provide_label[0].name == "l"
    # random crops and pads keep the labels valid and inside the image
    random.seed(3)
    rnd = mx.image.ImageDetIter(5, (3, 8, 8), path_imgrec=str(root / "d.rec"), rand_crop=1, rand_pad=1,
                                rand_mirror=True, area_range=(0.3, 2.0))
    for _ in range(3):
        rnd.reset()
        lab = rnd.next().label[0].asnumpy()
        real = lab[lab[:, :, 0] >= 0]
        assert real.shape[0] >= 5 and (real[:, 1:5] >= 0).all() and (real[:, 1:5] <= 1).all()
        assert (real[:, 3] > real[:, 1]).all() and (real[:, 4] > real[:, 2]).all()
        assert (lab[lab[:, :, 0] < 0] == -1).all()


def test_image_det_iter_label_shapes(det_data):
    root, imglist = det_data
    it = mx.image.ImageDetIter(2, (3, 8, 8), imglist=imglist, path_root=str(root))
    it.reshape(label_shape=(5, 5))
    assert it.label_shape == (5, 5) and it.provide_label[0].shape == (2, 5, 5)
    with pytest.raises(ValueError, match="Attempts to reduce label count from 5 to 2, not allowed"):
        it.reshape(label_shape=(2, 5))
    with pytest.raises(ValueError, match="label_shape object width inconsistent: 5 vs 6"):
        it.reshape(label_shape=(5, 6))
    with pytest.raises(ValueError, match="label_shape should have length 2"):
        it.check_label_shape((5,))
    it.reshape(label_shape=(6, 5))
    lab = it.next().label[0].asnumpy()
    assert lab.shape == (2, 6, 5)
    np.testing.assert_allclose(lab[0], [[1.0, 0.1, 0.2, 0.5, 0.6]] + [_N] * 5, atol=1e-6)
    it.reshape(data_shape=(3, 10, 12))
    assert it.provide_data[0].shape == (2, 3, 10, 12)
    with pytest.raises(ValueError, match="expects inputs to have 3 channels"):
        it.reshape(data_shape=(1, 8, 8))
    small = mx.image.ImageDetIter(1, (3, 8, 8), imglist=imglist[:2], path_root=str(root))
    assert small.label_shape == (2, 5)
    assert it.sync_label_shape(small) is small
    assert it.label_shape == (6, 5) and small.label_shape == (6, 5)
    other = mx.image.ImageDetIter(1, (3, 8, 8), imglist=imglist[:2], path_root=str(root))
    other.sync_label_shape(it)
    assert other.label_shape == (6, 5) and other.provide_label[0].shape == (1, 6, 5)


def test_image_det_iter_bad_labels_as_mxnet(det_data):
    root, _ = det_data

    def make(label, **kw):
        return mx.image.ImageDetIter(1, (3, 8, 8), imglist=[[label, "im0.png"]], path_root=str(root), **kw)

    with pytest.raises(RuntimeError, match=r"Label shape is invalid: \(3,\)"):
        make([1, 2, 3])
    with pytest.raises(RuntimeError, match=r"Label shape is invalid: \(6,\)"):
        make([2, 4, 1, 2, 3, 4])
    with pytest.raises(RuntimeError, match="Encounter sample with no valid label"):
        make([2, 5, 1, 0.2, 0.2, 0.1, 0.5])
    with pytest.raises(RuntimeError, match=r"Label shape \(9,\) inconsistent with annotation width 5"):
        make([2, 5, 1, 0.2, 0.2, 0.5, 0.5, 3, 0.1])
    # rows of -1 padding are dropped (MXNet 1.9.1: label_shape (1, 5))
    it = make([2, 5, 1, 0.2, 0.2, 0.5, 0.5, -1, -1, -1, -1, -1])
    assert it.label_shape == (1, 5)
    np.testing.assert_allclose(it.next().label[0].asnumpy(), [[[1, 0.2, 0.2, 0.5, 0.5]]], atol=1e-6)
    with pytest.raises(ValueError, match="expects inputs to have 3 channels"):
        mx.image.ImageDetIter(1, (1, 8, 8), imglist=[[[2, 5, 1, 0.2, 0.2, 0.5, 0.5], "im0.png"]],
                              path_root=str(root))
    with pytest.raises(RuntimeError, match="objects have different widths, 5 and 6"):
        mx.image.ImageDetIter(1, (3, 8, 8), path_root=str(root), imglist=[
            [[2, 5, 1, 0.2, 0.2, 0.5, 0.5], "im0.png"], [[2, 6, 1, 0.2, 0.2, 0.5, 0.5, 7], "im1.png"]])
    # an augmenter list that leaves the image at the wrong size
    it = mx.image.ImageDetIter(1, (3, 8, 8), imglist=[[[2, 5, 1, 0.2, 0.2, 0.5, 0.5], "im0.png"]],
                               path_root=str(root), aug_list=[])
    with pytest.raises(ValueError, match=r"augmented image has shape \(12, 16, 3\)"):
        it.next()


def test_draw_next(det_data):
    root, _ = det_data
    it = mx.image.ImageDetIter(1, (3, 20, 20), imglist=[[[2, 5, 1, 0.1, 0.2, 0.5, 0.6], "im0.png"],
                                                        [[2, 5, 0, 0.0, 0.0, 1.0, 1.0], "im1.png"]],
                               path_root=str(root), mean=True, std=True)
    images = list(it.draw_next(color=(255, 0, 1), thickness=1, mean=True, std=True))
    assert len(images) == 2 and images[0].shape == (20, 20, 3) and images[0].dtype == np.uint8
    img = images[0]
    # box (2, 4)-(10, 12): its outline has the colour, its inside the image's pixels
    for y, x in [(4, 2), (4, 10), (12, 2), (12, 10), (8, 2), (4, 6)]:
        np.testing.assert_array_equal(img[y, x], [255, 0, 1])
    plain = mx.image.ImageDetIter(1, (3, 20, 20), imglist=[[[2, 5, 1, 0.1, 0.2, 0.5, 0.6], "im0.png"]],
                                  path_root=str(root))
    raw = plain.next().data[0][0].asnumpy().transpose(1, 2, 0)
    np.testing.assert_allclose(img[6:11, 4:9].astype(float), np.clip(raw[6:11, 4:9], 0, 255).astype(np.uint8),
                               atol=1)
    np.testing.assert_array_equal(images[1][0, :], np.tile([255, 0, 1], (20, 1)))


def test_image_iter_parts_as_mxnet(tmp_path):
    rs = np.random.RandomState(0)
    Image.fromarray(rs.randint(0, 255, (6, 6, 3)).astype(np.uint8)).save(str(tmp_path / "a.png"))
    # MXNet 1.9.1: each of num_parts parts holds n // num_parts items, the rest are left out
    for n, parts, expect in [(5, 2, [[0, 1], [2, 3]]), (5, 3, [[0], [1], [2]]), (7, 3, [[0, 1], [2, 3], [4, 5]])]:
        imglist = [[float(i), "a.png"] for i in range(n)]
        got = [[b.label[0].asnumpy()[0] for b in mx.image.ImageIter(1, (3, 4, 4), imglist=imglist,
                                                                    path_root=str(tmp_path), num_parts=parts,
                                                                    part_index=p)] for p in range(parts)]
        assert got == expect


def test_json_of_dumps_round_trips():
    s = mx.image.DetRandomPadAug(pad_val=(1, 2, 3)).dumps()
    name, kwargs = json.loads(s)
    assert name == "detrandompadaug" and kwargs["pad_val"] == [1, 2, 3]
