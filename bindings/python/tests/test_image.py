"""mx.recordio, mx.image, ImageFolderDataset / ImageRecordDataset and the resizing transforms.

Expected values were printed by MXNet 1.9.1 (its OpenCV 3.4.2) and are written here as literals. OpenCV computes
uint8 resizes in fixed point and mxc in floating point, so uint8 pixels may differ by 1 (atol=1 below).
"""
import io
import json
import os
import random
import warnings

import numpy as np
import pytest

import mxc as mx

Image = pytest.importorskip("PIL.Image", reason="mx.image decodes with Pillow (pip install pillow)")

T = mx.gluon.data.vision.transforms


def _img57():
    return ((np.arange(5 * 7 * 3).reshape(5, 7, 3) * 37) % 256).astype(np.uint8)


def _encode(arr, fmt, **kw):
    b = io.BytesIO()
    Image.fromarray(arr).save(b, format=fmt, **kw)
    return b.getvalue()


# ------------------------------------------------------------------------------------------------ recordio

def test_recordio_bytes_match_mxnet(tmp_path):
    path = str(tmp_path / "a.rec")
    with mx.recordio.MXRecordIO(path, "w") as r:
        for rec in (b"hello", b"abcdefgh", b""):
            r.write(rec)
    assert open(path, "rb").read().hex() == \
        "0a23d7ce0500000068656c6c6f0000000a23d7ce0800000061626364656667680a23d7ce00000000"
    r = mx.recordio.MXRecordIO(path, "r")
    assert [r.read(), r.read(), r.read(), r.read()] == [b"hello", b"abcdefgh", b"", None]
    r.reset()
    assert r.read() == b"hello"
    r.close()


def test_recordio_splits_records_holding_the_magic_number(tmp_path):
    m = bytes.fromhex("0a23d7ce")
    recs = [b"ab" + m + b"cd", m + b"xyz1" + m, b"abcd" + m + b"q"]
    path = str(tmp_path / "c.rec")
    with mx.recordio.MXRecordIO(path, "w") as r:
        for rec in recs:
            r.write(rec)
    # MXNet 1.9.1's bytes: aligned magic numbers end a part (continuation flags 1, 2, 3 in the top 3 bits)
    assert open(path, "rb").read().hex() == (
        "0a23d7ce0800000061620a23d7ce63640a23d7ce000000200a23d7ce0400004078797a310a23d7ce000000600a23d7ce04000020"
        "616263640a23d7ce0100006071000000")
    with mx.recordio.MXRecordIO(path, "r") as r:
        assert [r.read() for _ in range(4)] == recs + [None]


def test_indexed_recordio(tmp_path):
    idx, rec = str(tmp_path / "b.idx"), str(tmp_path / "b.rec")
    w = mx.recordio.MXIndexedRecordIO(idx, rec, "w")
    for i in (5, 3, 9):
        w.write_idx(i, b"rec%d" % i)
    w.close()
    assert open(idx).read() == "5\t0\n3\t12\n9\t24\n"
    assert open(rec, "rb").read().hex() == \
        "0a23d7ce04000000726563350a23d7ce04000000726563330a23d7ce0400000072656339"
    r = mx.recordio.MXIndexedRecordIO(idx, rec, "r")
    assert r.keys == [5, 3, 9]
    assert (r.read_idx(3), r.read_idx(9), r.read_idx(5)) == (b"rec3", b"rec9", b"rec5")
    with pytest.raises(KeyError, match="no record with key 4"):
        r.read_idx(4)
    with pytest.raises(ValueError, match="open for reading"):
        r.write(b"x")


def test_recordio_corrupt_files_are_clear_errors(tmp_path):
    bad = tmp_path / "bad.rec"
    bad.write_bytes(b"\x00" * 12)
    with mx.recordio.MXRecordIO(str(bad), "r") as r, pytest.raises(ValueError, match="bad magic number 0x00000000"):
        r.read()
    cut = tmp_path / "cut.rec"
    cut.write_bytes(bytes.fromhex("0a23d7ce08000000616263"))
    with mx.recordio.MXRecordIO(str(cut), "r") as r, pytest.raises(ValueError, match="ends inside a record of 8"):
        r.read()
    with pytest.raises(ValueError, match="flag must be 'r' or 'w'"):
        mx.recordio.MXRecordIO(str(cut), "a")


def test_pack_unpack_headers_match_mxnet():
    s = mx.recordio.pack(mx.recordio.IRHeader(0, 3.5, 7, 0), b"xyz")
    assert s.hex() == "00000000000060400700000000000000000000000000000078797a"
    h, payload = mx.recordio.unpack(s)
    assert (h.flag, h.label, h.id, h.id2, payload) == (0, 3.5, 7, 0, b"xyz")
    s2 = mx.recordio.pack(mx.recordio.IRHeader(0, [1.0, 2.0], 9, 0), b"q")
    assert s2.hex() == "0200000000000000090000000000000000000000000000000000803f0000004071"
    h2, payload2 = mx.recordio.unpack(s2)
    assert h2.flag == 2 and h2.id == 9 and payload2 == b"q"
    np.testing.assert_array_equal(h2.label, [1.0, 2.0])
    with pytest.raises(ValueError, match="announces 2 labels"):
        mx.recordio.unpack(s2[:26])


def test_pack_img_unpack_img_bgr_round_trip():
    bgr = _img57()
    h, img = mx.recordio.unpack_img(mx.recordio.pack_img(mx.recordio.IRHeader(0, 1.0, 2, 0), bgr, img_fmt=".png"))
    assert h.label == 1.0 and h.id == 2
    np.testing.assert_array_equal(img, bgr)  # PNG is lossless; BGR in, BGR out (as OpenCV)
    # the file holds RGB: decoding the payload with Pillow gives the channels reversed
    _, payload = mx.recordio.unpack(mx.recordio.pack_img(mx.recordio.IRHeader(0, 0, 0, 0), bgr, img_fmt=".png"))
    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(payload))), bgr[:, :, ::-1])
    smooth = np.ascontiguousarray(np.broadcast_to(
        np.arange(0, 70, 10, dtype=np.uint8)[None, :, None] + np.array([10, 60, 120], np.uint8), (5, 7, 3)))
    _, jpg = mx.recordio.unpack_img(mx.recordio.pack_img(mx.recordio.IRHeader(0, 0, 0, 0), smooth, quality=95))
    assert jpg.shape == (5, 7, 3) and np.abs(jpg.astype(int) - smooth).mean() < 3
    _, grey = mx.recordio.unpack_img(mx.recordio.pack_img(mx.recordio.IRHeader(0, 0, 0, 0), smooth[:, :, 0],
                                                          img_fmt=".png"))
    np.testing.assert_array_equal(grey, smooth[:, :, 0])
    with pytest.raises(ValueError, match="img_fmt"):
        mx.recordio.pack_img(mx.recordio.IRHeader(0, 0, 0, 0), bgr, img_fmt=".gif")


# ------------------------------------------------------------------------------------------------ image

def test_imdecode_png_jpeg_and_grey():
    img = _img57()
    png = _encode(img, "PNG")
    d = mx.image.imdecode(png)
    assert d.shape == (5, 7, 3) and d.dtype == np.uint8
    np.testing.assert_array_equal(d.asnumpy(), img)
    np.testing.assert_array_equal(mx.image.imdecode(png, to_rgb=0).asnumpy(), img[:, :, ::-1])
    np.testing.assert_array_equal(mx.image.imdecode(np.frombuffer(png, np.uint8)).asnumpy(), img)
    # OpenCV (MXNet) reads colour PNGs as grey through libpng: MXNet 1.9.1's values
    g = mx.image.imdecode(png, flag=0)
    assert g.shape == (5, 7, 1)
    np.testing.assert_array_equal(g.asnumpy()[:, :, 0], [
        [30, 141, 72, 107, 188, 73, 184], [39, 150, 81, 116, 197, 82, 193], [48, 159, 90, 125, 206, 91, 202],
        [57, 168, 99, 134, 215, 100, 211], [66, 177, 32, 143, 74, 109, 190]])
    jpg = _encode(img, "JPEG", quality=90)  # MXNet's decoding of this file equals Pillow's (max difference 0)
    np.testing.assert_array_equal(mx.image.imdecode(jpg).asnumpy(), np.asarray(Image.open(io.BytesIO(jpg))))
    with pytest.raises(mx.MXNetError, match="imdecode: decoding failed"):
        mx.image.imdecode(b"garbage")
    with pytest.raises(TypeError, match="imdecode: buf must be bytes"):
        mx.image.imdecode(12)


def test_imread(tmp_path):
    p = tmp_path / "x.png"
    p.write_bytes(_encode(_img57(), "PNG"))
    np.testing.assert_array_equal(mx.image.imread(str(p)).asnumpy(), _img57())


# channel 0 of imresize(5x7 image, w, h, interp) printed by MXNet 1.9.1 (interp is OpenCV's code: 2 bicubic, 3 area)
_RESIZED = {
    (0, 3, 2): [[0, 222, 188], [18, 240, 206]],
    (0, 4, 5): [[0, 111, 77, 43], [9, 120, 86, 52], [18, 129, 95, 61], [27, 138, 104, 70], [36, 147, 113, 79]],
    (1, 3, 2): [[80, 84, 87], [103, 106, 109]],
    (1, 4, 5): [[42, 204, 174, 112], [51, 213, 183, 121], [60, 222, 192, 130], [69, 231, 201, 139],
                [78, 16, 210, 148]],
    (1, 10, 8): [[0, 61, 139, 216, 128, 116, 181, 79, 93, 154], [4, 65, 143, 220, 132, 120, 185, 83, 97, 158],
                 [9, 70, 148, 226, 137, 125, 190, 89, 102, 164], [15, 76, 154, 231, 143, 131, 196, 94, 108, 169],
                 [21, 82, 160, 237, 148, 137, 201, 100, 114, 175], [26, 87, 165, 243, 154, 142, 207, 106, 119, 180],
                 [32, 93, 135, 112, 109, 148, 213, 111, 125, 186], [36, 97, 111, 9, 74, 152, 217, 115, 129, 190]],
    (3, 3, 2): [[86, 157, 118], [93, 150, 140]],
    (3, 10, 8): [[0, 63, 127, 222, 118, 109, 188, 64, 91, 154], [4, 67, 130, 225, 122, 112, 192, 67, 94, 157],
                 [9, 72, 136, 231, 127, 118, 197, 73, 100, 163], [16, 79, 143, 238, 135, 125, 204, 80, 107, 170],
                 [20, 83, 147, 242, 138, 128, 208, 83, 110, 174], [27, 90, 154, 249, 145, 136, 215, 91, 118, 181],
                 [32, 96, 137, 101, 107, 141, 220, 96, 123, 186], [36, 99, 126, 2, 81, 145, 224, 100, 127, 190]],
    (2, 3, 2): [[70, 83, 68], [100, 107, 92]],
    (2, 4, 5): [[33, 214, 185, 104], [42, 223, 194, 113], [51, 232, 203, 122], [60, 241, 212, 131],
                [86, 2, 224, 140]],
    (2, 10, 8): [[0, 50, 152, 222, 119, 106, 185, 67, 77, 162], [0, 54, 156, 226, 123, 110, 189, 71, 81, 166],
                 [1, 60, 163, 233, 129, 116, 196, 78, 87, 173], [6, 65, 168, 238, 134, 121, 201, 83, 92, 178],
                 [12, 70, 178, 255, 146, 126, 207, 89, 99, 184], [17, 76, 182, 255, 150, 132, 212, 94, 104, 189],
                 [24, 98, 148, 111, 95, 156, 219, 101, 110, 196], [28, 116, 117, 0, 47, 174, 223, 105, 114, 200]],
    (4, 3, 2): [[60, 83, 58], [94, 107, 82]],
    (4, 4, 5): [[22, 208, 184, 95], [31, 217, 193, 104], [40, 226, 202, 113], [49, 235, 211, 122],
                [93, 0, 231, 133]],
}


@pytest.mark.parametrize("key", sorted(_RESIZED))
def test_imresize_matches_mxnet(key):
    interp, w, h = key
    out = mx.image.imresize(mx.nd.array(_img57(), dtype="uint8"), w, h, interp=interp)
    assert out.shape == (h, w, 3) and out.dtype == np.uint8
    np.testing.assert_allclose(out.asnumpy()[:, :, 0].astype(int), _RESIZED[key], atol=0 if interp == 0 else 1)


def test_imresize_float_and_all_channels():
    a = mx.nd.array(_img57(), dtype="uint8")
    f = mx.image.imresize(a.astype("float32"), 3, 2)
    assert f.dtype == np.float32
    np.testing.assert_allclose(f.asnumpy()[:, :, 0], [[80.75, 83.75, 86.75], [103.25, 106.25, 109.25]], rtol=1e-5)
    np.testing.assert_allclose(mx.image.imresize(a, 4, 3).asnumpy().ravel().astype(int), [
        44, 81, 119, 207, 20, 57, 177, 214, 27, 115, 152, 189, 60, 97, 134, 222, 35, 72, 192, 229, 42, 130, 167, 204,
        74, 111, 149, 87, 50, 87, 207, 95, 57, 145, 182, 113], atol=1)
    # a constant image stays constant, and a ramp stays a ramp, whatever the method
    const = np.full((6, 9, 1), 77, np.uint8)
    for interp in range(5):
        np.testing.assert_array_equal(mx.image.imresize(const, 4, 13, interp=interp), 77)
    with pytest.raises(ValueError, match="output size must be positive"):
        mx.image.imresize(a, 0, 2)
    with pytest.raises(ValueError, match="unknown interp 7"):
        mx.image.imresize(a, 3, 2, interp=7)


def test_crops_match_mxnet():
    a = mx.nd.array(_img57(), dtype="uint8")
    r = mx.image.resize_short(a, 3)
    assert r.shape == (3, 4, 3)
    np.testing.assert_allclose(r.asnumpy()[:, :, 1].astype(int),
                               [[89, 5, 227, 144], [105, 21, 243, 159], [120, 39, 89, 187]], atol=1)
    o, rect = mx.image.center_crop(a, (3, 3), interp=1)
    assert rect == (2, 1, 3, 3)
    np.testing.assert_array_equal(o.asnumpy()[:, :, 2], [[49, 160, 15], [58, 169, 24], [67, 178, 33]])
    o, rect = mx.image.center_crop(a, (10, 3))  # scaled down to fit, then resized up
    assert o.shape == (3, 10, 3) and rect == (0, 1, 7, 2)
    np.testing.assert_array_equal(mx.image.fixed_crop(a, 1, 1, 3, 2).asnumpy()[:, :, 0], [[120, 231, 86],
                                                                                          [129, 240, 95]])
    np.testing.assert_allclose(mx.image.fixed_crop(a, 1, 1, 3, 2, size=(4, 4)).asnumpy()[:, :, 0].astype(int),
                               [[111, 206, 190, 75], [114, 209, 193, 78], [119, 214, 198, 83], [122, 217, 201, 86]],
                               atol=1)
    with pytest.raises(ValueError, match=r"fixed_crop: the rectangle \(x0=5, y0=0, w=4, h=2\) is not inside"):
        mx.image.fixed_crop(a, 5, 0, 4, 2)  # MXNet 1.9.1 silently returns a (2, 2, 3) piece
    assert mx.image.scale_down((7, 5), (10, 4)) == (7, 2)
    np.testing.assert_allclose(mx.image.color_normalize(a.astype("float32"), mx.nd.array([1, 2, 3]),
                                                        mx.nd.array([2, 2, 2])).asnumpy()[0, 0], [-0.5, 17.5, 35.5])
    random.seed(0)
    for _ in range(10):
        o, (x0, y0, w, h) = mx.image.random_crop(a, (4, 3))
        assert o.shape == (3, 4, 3) and 0 <= x0 <= 3 and 0 <= y0 <= 2
        np.testing.assert_array_equal(o.asnumpy(), _img57()[y0:y0 + 3, x0:x0 + 4])
        o, (x0, y0, w, h) = mx.image.random_size_crop(a, (4, 4), (0.3, 1.0), (0.5, 2.0))
        assert o.shape == (4, 4, 3) and x0 + w <= 7 and y0 + h <= 5


# ------------------------------------------------------------------------------------------------ datasets

def _image_folder(root):
    for i, (d, n) in enumerate([("cat", "b.png"), ("cat", "a.jpg"), ("dog", "x.jpeg"), ("dog", "y.txt"),
                                ("dog", "z.PNG")]):
        os.makedirs(os.path.join(root, d), exist_ok=True)
        path = os.path.join(root, d, n)
        if n.endswith("txt"):
            open(path, "w").close()
        else:
            Image.fromarray(np.full((4, 6, 3), i * 40, np.uint8)).save(path, format="PNG" if "png" in n.lower()
                                                                         else "JPEG")
    os.makedirs(os.path.join(root, "empty"))
    open(os.path.join(root, "notadir.png"), "wb").close()


def test_image_folder_dataset(tmp_path):
    root = str(tmp_path)
    _image_folder(root)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = mx.gluon.data.vision.ImageFolderDataset(root)
    msgs = sorted(str(w.message) for w in caught)
    assert msgs == ["Ignoring %s of type .txt. Only support .jpg, .jpeg, .png" % os.path.join(root, "dog", "y.txt"),
                    "Ignoring %s, which is not a directory." % os.path.join(root, "notadir.png")]
    # as MXNet 1.9.1: every folder is a class, files sorted, extensions in any case
    assert ds.synsets == ["cat", "dog", "empty"]
    assert ds.items == [(os.path.join(root, "cat", "a.jpg"), 0), (os.path.join(root, "cat", "b.png"), 0),
                        (os.path.join(root, "dog", "x.jpeg"), 1), (os.path.join(root, "dog", "z.PNG"), 1)]
    x, y = ds[1]
    assert x.shape == (4, 6, 3) and x.dtype == np.uint8 and y == 0 and isinstance(y, int)
    np.testing.assert_array_equal(x.asnumpy(), 0)  # b.png, filled with 0
    np.testing.assert_array_equal(ds[3][0].asnumpy(), 160)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        grey = mx.gluon.data.vision.ImageFolderDataset(root, flag=0)
    assert grey[1][0].shape == (4, 6, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loaded = mx.gluon.data.vision.ImageFolderDataset(root, transform=lambda x, y: (T.ToTensor()(x), y))
    batches = list(mx.gluon.data.DataLoader(loaded, batch_size=3))
    assert [b[0].shape for b in batches] == [(3, 3, 4, 6), (1, 3, 4, 6)]
    np.testing.assert_array_equal(batches[0][1].asnumpy(), [0, 0, 1])
    with pytest.raises(FileNotFoundError):
        mx.gluon.data.vision.ImageFolderDataset(str(tmp_path / "missing"))


def test_image_record_dataset(tmp_path):
    rec = mx.recordio.MXIndexedRecordIO(str(tmp_path / "d.idx"), str(tmp_path / "d.rec"), "w")
    for i in range(3):
        img = np.full((4, 5, 3), i * 50, np.uint8)
        img[0, 0] = [10, 20, 30]
        rec.write_idx(i, mx.recordio.pack(mx.recordio.IRHeader(0, float(i), i, 0), _encode(img, "PNG")))
    rec.close()
    ds = mx.gluon.data.vision.ImageRecordDataset(str(tmp_path / "d.rec"))
    assert len(ds) == 3
    x, y = ds[2]
    assert x.shape == (4, 5, 3) and x.dtype == np.uint8 and y == 2.0
    np.testing.assert_array_equal(x.asnumpy()[0, 0], [10, 20, 30])
    np.testing.assert_array_equal(x.asnumpy()[1:], 100)
    raw = mx.gluon.data.RecordFileDataset(str(tmp_path / "d.rec"))
    assert mx.recordio.unpack(raw[1])[0].id == 1
    out = [b[1].asnumpy().tolist() for b in mx.gluon.data.DataLoader(ds, batch_size=2)]
    assert out == [[0.0, 1.0], [2.0]]


# ------------------------------------------------------------------------------------------------ transforms

def _img911():
    return mx.nd.array(((np.arange(9 * 11 * 3).reshape(9, 11, 3) * 37) % 256).astype(np.uint8), dtype="uint8")


# (output shape, sum of all values, channel 0's first 8 values) printed by MXNet 1.9.1 on the 9x11 image
@pytest.mark.parametrize("make,shape,total,head", [
    (lambda: T.Resize(4), (4, 4, 3), 6066, [80, 109, 123, 176, 183, 73, 166, 75]),
    (lambda: T.Resize(4, keep_ratio=True), (4, 4, 3), 6066, [80, 109, 123, 176, 183, 73, 166, 75]),
    (lambda: T.Resize((5, 3), interpolation=2), (3, 5, 3), 5835, [96, 36, 240, 188, 128, 76, 115, 63]),
    (lambda: T.Resize(12, keep_ratio=True, interpolation=3), (12, 14, 3), 63394, [0, 81, 161, 196, 77, 178, 96, 83]),
    (lambda: T.CenterCrop(3), (3, 3, 3), 3468, [11, 122, 233, 208, 63, 174, 149, 4]),
    (lambda: T.CenterCrop((20, 4)), (4, 20, 3), 31038, [79, 115, 176, 128, 48, 103, 145, 65]),
    (lambda: T.CropResize(1, 2, 5, 4), (4, 5, 3), 7762, [249, 104, 215, 70, 181, 190, 45, 156]),
    (lambda: T.CropResize(1, 2, 5, 4, size=(3, 3), interpolation=1), (3, 3, 3), 3560,
     [191, 205, 134, 155, 127, 98, 119, 48]),
])
def test_resizing_transforms_match_mxnet(make, shape, total, head):
    out = make()(_img911())
    assert out.shape == shape and out.dtype == np.uint8
    o = out.asnumpy()
    np.testing.assert_allclose(o[..., 0].ravel()[:8].astype(int), head, atol=1)
    assert abs(int(o.astype(np.int64).sum()) - total) <= o.size // 4  # each pixel within 1 of OpenCV's


def test_resize_batches_and_random_resized_crop():
    a = _img911()
    o = T.Resize((3, 2))(mx.nd.stack(a, a))
    assert o.shape == (2, 2, 3, 3)
    np.testing.assert_array_equal(o[0].asnumpy(), T.Resize((3, 2))(a).asnumpy())
    np.random.seed(1)
    crops = [T.RandomResizedCrop((5, 4))(a) for _ in range(20)]
    assert {c.shape for c in crops} == {(4, 5, 3)}
    assert len({c.asnumpy().tobytes() for c in crops}) > 1
    # the whole image at its aspect ratio: the crop is the image itself
    whole = T.RandomResizedCrop((11, 9), scale=(1.0, 1.0), ratio=(11 / 9, 11 / 9))(a)
    np.testing.assert_array_equal(whole.asnumpy(), a.asnumpy())
    with pytest.raises(ValueError, match=r"Resize: size must be an int or \(width, height\)"):
        T.Resize((3, 2, 1))
    with pytest.raises(ValueError, match="Resize: the input must have shape"):
        T.Resize(3)(mx.nd.zeros((4, 4)))


# ------------------------------------------------------------------------------------------------ ImageRecordIter

def _rec_file(tmp_path, n=5, index=True):
    """n PNG records of 6x8 images ((arange * (7 + i)) % 256), labels i % 3."""
    rec = str(tmp_path / "e.rec")
    w = mx.recordio.MXIndexedRecordIO(str(tmp_path / "e.idx"), rec, "w") if index else mx.recordio.MXRecordIO(rec, "w")
    for i in range(n):
        img = ((np.arange(6 * 8 * 3).reshape(6, 8, 3) * (7 + i)) % 256).astype(np.uint8)
        s = mx.recordio.pack(mx.recordio.IRHeader(0, float(i % 3), i, 0), _encode(img, "PNG"))
        w.write_idx(i, s) if index else w.write(s)
    w.close()
    return rec


@pytest.mark.parametrize("index", [True, False])
def test_image_record_iter_batches_match_mxnet(tmp_path, index):
    rec = _rec_file(tmp_path, index=index)
    kw = {"path_imgidx": str(tmp_path / "e.idx")} if index else {}
    it = mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 6, 8), batch_size=2, **kw)
    assert [(d.name, d.shape) for d in it.provide_data] == [("data", (2, 3, 6, 8))]
    assert [(d.name, d.shape) for d in it.provide_label] == [("softmax_label", (2,))]
    batches = list(it)
    # MXNet 1.9.1: records in file order, the last batch completed from the start (pad 1), raw pixel values
    assert [b.label[0].asnumpy().tolist() for b in batches] == [[0, 1], [2, 0], [1, 0]]
    assert [b.pad for b in batches] == [0, 0, 1]
    assert [b.data[0].asnumpy()[:, 0, 0, 0:3].tolist() for b in batches] == [
        [[0, 21, 42], [0, 24, 48]], [[0, 27, 54], [0, 30, 60]], [[0, 33, 66], [0, 21, 42]]]
    assert batches[0].data[0].dtype == np.float32
    it.reset()  # the record borrowed by the padded batch is skipped next epoch, as MXNet does
    assert it.next().label[0].asnumpy().tolist() == [1, 2]


def test_image_record_iter_crop_resize_normalise_grey(tmp_path):
    rec = _rec_file(tmp_path)
    b = mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 4, 4), batch_size=2, mean_r=10, mean_g=20, mean_b=30,
                              scale=0.5).next()
    np.testing.assert_array_equal(b.data[0].asnumpy()[0, :, 0, :], [[100.0, 110.5, 121.0, 3.5],
                                                                   [98.5, 109.0, -8.5, 2.0],
                                                                   [97.0, 107.5, -10.0, 0.5]])
    b = mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 6, 8), batch_size=2, std_r=2, std_g=4, std_b=8,
                              mean_r=1).next()
    np.testing.assert_array_equal(b.data[0].asnumpy()[0, :, 0, 0], [-0.5, 1.75, 1.75])
    b = mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 4, 4), batch_size=2, resize=4).next()
    np.testing.assert_allclose(b.data[0].asnumpy()[0, 0], [[48, 82, 115, 85], [108, 142, 175, 145],
                                                           [175, 74, 107, 77], [100, 134, 167, 137]], atol=1)
    b = mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 10, 10), batch_size=2).next()  # scaled up, cropped
    np.testing.assert_allclose(b.data[0].asnumpy()[0, 0, 0], [9, 22, 35, 48, 60, 73, 86, 99, 112, 125], atol=1)
    b = mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(1, 6, 8), batch_size=2).next()
    assert b.data[0].shape == (2, 1, 6, 8)
    np.testing.assert_array_equal(b.data[0].asnumpy()[0, 0, 0], [5, 26, 47, 68, 89, 110, 131, 152])


def test_image_record_iter_threads_do_not_change_batches(tmp_path, monkeypatch):
    # The random crops and mirrors are drawn in record order by the batch thread: decoding on one worker or
    # several gives the same batches.
    rec = _rec_file(tmp_path)
    got = []
    monkeypatch.setattr(mx.io, "_PARALLEL_DECODE_BYTES", 0)  # these small records too
    for threads in (1, 4):
        it = mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 4, 6), batch_size=2, shuffle=True, seed=3,
                                   rand_crop=True, rand_mirror=True, preprocess_threads=threads)
        got.append([(b.data[0].asnumpy(), b.index.tolist()) for b in it])
    assert len(got[0]) == len(got[1]) == 3
    for (d1, i1), (d2, i2) in zip(*got):
        assert i1 == i2
        np.testing.assert_array_equal(d1, d2)
    with pytest.raises(ValueError, match="preprocess_threads must be positive"):
        mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 4, 6), batch_size=2, preprocess_threads=0)


def test_image_record_iter_options_and_errors(tmp_path):
    rec = _rec_file(tmp_path)
    it = mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 6, 8), batch_size=2, round_batch=False,
                               data_name="img", label_name="lab")
    assert [d.name for d in it.provide_data + it.provide_label] == ["img", "lab"]
    last = list(it)[-1]
    assert last.pad == 1 and last.label[0].asnumpy()[0] == 1  # filler is zeros (MXNet 1.9.1 leaves garbage)
    np.testing.assert_array_equal(last.data[0].asnumpy()[1], 0)
    multi = tmp_path / "multi.rec"
    with mx.recordio.MXRecordIO(str(multi), "w") as w:
        for i in range(2):
            w.write(mx.recordio.pack(mx.recordio.IRHeader(0, [i, 2 * i, 3 * i], i, 0),
                                     _encode(np.zeros((6, 8, 3), np.uint8), "PNG")))
    b = mx.io.ImageRecordIter(path_imgrec=str(multi), data_shape=(3, 6, 8), batch_size=2, label_width=2).next()
    assert it.provide_label[0].shape == (2,) and b.label[0].asnumpy().tolist() == [[0, 0], [1, 2]]
    seen = []
    for epoch in range(2):
        it = mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 4, 6), batch_size=5, shuffle=True, seed=epoch,
                                   rand_crop=True, rand_mirror=True)
        b = it.next()
        assert sorted(b.index.tolist()) == [0, 1, 2, 3, 4]
        seen.append(b.index.tolist())
        for row, rid in zip(b.data[0].asnumpy(), b.index):  # a crop of the image, maybe mirrored
            img = ((np.arange(6 * 8 * 3).reshape(6, 8, 3) * (7 + int(rid))) % 256).astype(np.float32)
            crops = [img[y:y + 4, x:x + 6].transpose(2, 0, 1) for y in range(3) for x in range(3)]
            assert any(np.array_equal(row, c) or np.array_equal(row, c[:, :, ::-1]) for c in crops)
    assert seen[0] != seen[1]
    parts = [mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 6, 8), batch_size=1, num_parts=2, part_index=p)
             for p in (0, 1)]
    assert [[b.index[0] for b in p] for p in parts] == [[0, 1], [2, 3, 4]]
    with pytest.raises(FileNotFoundError, match="path_imgrec .*nonexist.rec: no such file"):
        mx.io.ImageRecordIter(path_imgrec=str(tmp_path / "nonexist.rec"), data_shape=(3, 6, 8), batch_size=2)
    with pytest.raises(ValueError, match=r"data_shape must be \(channels 1, 3 or 4, height, width\), got \(6, 8\)"):
        mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(6, 8), batch_size=2)
    with pytest.raises(NotImplementedError, match="max_rotate_angle is not supported"):
        mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 6, 8), batch_size=2, max_rotate_angle=10)
    with pytest.raises(TypeError, match="unknown argument colour"):
        mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 6, 8), batch_size=2, colour=1)
    bad = tmp_path / "bad.rec"
    bad.write_bytes(open(rec, "rb").read()[:40])  # cut inside the first record
    with pytest.raises(ValueError, match="ends inside a record"):
        mx.io.ImageRecordIter(path_imgrec=str(bad), data_shape=(3, 6, 8), batch_size=2)
    img = tmp_path / "img.rec"
    with mx.recordio.MXRecordIO(str(img), "w") as w:
        w.write(mx.recordio.pack(mx.recordio.IRHeader(0, 0.0, 0, 0), b"not an image"))
    it = mx.io.ImageRecordIter(path_imgrec=str(img), data_shape=(3, 6, 8), batch_size=1)
    with pytest.raises(mx.MXNetError, match="imdecode: decoding failed"):
        it.next()


# ------------------------------------------------------------------------------------------------ colour

_RGB = ((np.arange(2 * 3 * 3).reshape(2, 3, 3) * 37) % 256).astype(np.uint8)
# MXNet 1.9.1's mx.nd.image.* with a fixed factor (min_factor == max_factor), on _RGB as uint8 and as float32
_COLOUR = {
    "bright": (lambda x: mx.nd.image.random_brightness(x, 1.5, 1.5),
               [0, 55, 111, 166, 222, 255, 255, 4, 60, 115, 171, 226, 255, 255, 9, 64, 120, 175],
               [0.0, 55.5, 111.0, 166.5, 222.0, 277.5, 333.0, 4.5, 60.0, 115.5, 171.0, 226.5, 282.0, 337.5, 9.0, 64.5,
                120.0, 175.5]),
    "contrast": (lambda x: mx.nd.image.random_contrast(x, 0.5, 0.5),
                 [51, 69, 88, 106, 125, 143, 162, 52, 71, 89, 108, 126, 145, 163, 54, 72, 91, 109],
                 [51.1075, 69.6075, 88.1075, 106.6075, 125.1075, 143.6075, 162.1075, 52.6075, 71.1075, 89.6075,
                  108.1075, 126.6075, 145.1075, 163.6075, 54.1075, 72.6075, 91.1075, 109.6075]),
    "hue": (lambda x: mx.nd.image.random_hue(x, 0.3, 0.3),
            [74, 0, 51, 185, 111, 162, 83, 222, 2, 151, 77, 128, 5, 225, 218, 117, 43, 94],
            [74.0, 0.0, 51.8, 185.0, 111.0, 162.8, 83.8, 222.0, 3.0, 151.0, 77.0, 128.8, 6.0, 225.0, 218.2, 117.0,
             43.0, 94.8]),
    "light": (lambda x: mx.nd.image.adjust_lighting(x, alpha=(0.1, 0.2, 0.3)),
              [0, 33, 70, 108, 144, 181, 219, 0, 36, 74, 110, 147, 185, 221, 2, 40, 76, 113],
              [-2.319716, 33.494228, 70.241928, 108.680283, 144.494232, 181.241928, 219.680283, -0.505773, 36.241932,
               74.680283, 110.494225, 147.241928, 185.680283, 221.494232, 2.241932, 40.680283, 76.494225,
               113.241928]),
}


@pytest.mark.parametrize("name", sorted(_COLOUR))
def test_colour_operators_match_mxnet(name):
    fn, want_u8, want_f32 = _COLOUR[name]
    u8 = fn(mx.nd.array(_RGB, dtype="uint8"))
    assert u8.dtype == np.uint8
    # uint8 is truncated like MXNet's; its hue differs by 1 where MXNet's float32 rounding lands just below
    np.testing.assert_allclose(u8.asnumpy().ravel(), want_u8, atol=1 if name == "hue" else 0)
    f = fn(mx.nd.array(_RGB, dtype="float32"))
    np.testing.assert_allclose(f.asnumpy().ravel(), want_f32, rtol=1e-5, atol=1e-4)


def test_saturation_blends_with_mxnets_grey_value():
    # MXNet 1.9.1 blends each pixel with 0.114 * blue (its grey value keeps only the blue term); mxc does the same.
    x = mx.nd.array(np.arange(2 * 3 * 3).reshape(2, 3, 3) * 13 % 256, dtype="float32")
    out = mx.nd.image.random_saturation(x, 0.3, 0.3).asnumpy()
    # MXNet 1.9.1's printed values
    np.testing.assert_allclose(out.ravel(), [2.0748, 5.9748, 9.8748, 16.887, 20.787, 24.687, 31.6992, 35.5992, 39.4992,
                                             46.5114, 50.4114, 54.3114, 61.3236, 65.2236, 69.1236, 76.1358, 80.0358,
                                             83.9358], rtol=1e-5)
    blue = x.asnumpy()[..., 2:] * 0.114
    np.testing.assert_allclose(mx.nd.image.random_saturation(x, 0, 0).asnumpy(), np.repeat(blue, 3, -1), rtol=1e-6)


def test_colour_transforms():
    mx.random.seed(3)
    np.random.seed(3)
    x = mx.nd.array(_RGB, dtype="float32")
    for t in (T.RandomBrightness(0), T.RandomContrast(0), T.RandomSaturation(0), T.RandomHue(0),
              T.RandomColorJitter(), T.RandomLighting(0), T.RandomApply(T.RandomBrightness(0.5), p=0)):
        np.testing.assert_allclose(t(x).asnumpy(), _RGB, atol=1e-3)
    factors = set()
    for _ in range(10):
        ratio = T.RandomBrightness(0.5)(x).asnumpy().ravel()[1:] / _RGB.ravel()[1:]
        assert np.allclose(ratio, ratio[0]) and 0.5 <= ratio[0] <= 1.5
        factors.add(round(float(ratio[0]), 4))
        jit = T.RandomColorJitter(brightness=0.3)(x).asnumpy().ravel()[1:] / _RGB.ravel()[1:]
        assert np.allclose(jit, jit[0]) and 0.7 <= jit[0] <= 1.3
        applied = T.RandomApply(T.RandomBrightness(0.5), p=1)(x).asnumpy().ravel()[1:] / _RGB.ravel()[1:]
        assert np.allclose(applied, applied[0])
        hue = T.RandomHue(0.5)(x).asnumpy()  # a hue rotation keeps each pixel's max and min channel
        np.testing.assert_allclose(np.sort(hue, -1)[..., [0, 2]], np.sort(_RGB, -1)[..., [0, 2]], atol=1e-3)
    assert len(factors) == 10
    out = T.RandomColorJitter(0.2, 0.2, 0.2, 0.1)(mx.nd.array(_RGB, dtype="uint8"))
    assert out.shape == (2, 3, 3) and out.dtype == np.uint8
    with pytest.raises(mx.MXNetError, match=r"_image_random_brightness: data shape \(3,4,4\): the input must be an "
                                            r"image of shape \(height, width, 3\) \(RGB\)"):
        T.RandomBrightness(0.1)(mx.nd.zeros((3, 4, 4)))
    with pytest.raises(ValueError, match="RandomContrast: the jitter must be non-negative"):
        T.RandomContrast(-1)
    with pytest.raises(ValueError, match="adjust_lighting: parameter 'alpha' must hold 3 values"):
        mx.nd.image.adjust_lighting(x, alpha=(1, 2))


# ------------------------------------------------------------------------------------------------ augmenters

_EIGVAL = np.array([55.46, 4.794, 1.148])
_EIGVEC = np.array([[-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.814], [-0.5836, -0.6948, 0.4203]])
# MXNet 1.9.1's augmenters on the 4x5 image below after random.seed(5) and np.random.seed(5) (they draw from
# Python's random, lighting from NumPy's): output shape and the first 9 values
_AUGS = {
    "bright": (lambda: mx.image.BrightnessJitterAug(0.3), (4, 5, 3),
               [0.0, 39.728, 79.457, 119.185, 158.914, 198.642, 238.37, 3.221, 42.95]),
    "contrast": (lambda: mx.image.ContrastJitterAug(0.3), (4, 5, 3),
                 [-8.772, 30.956, 70.685, 110.413, 150.142, 189.87, 229.598, -5.551, 34.177]),
    "sat": (lambda: mx.image.SaturationJitterAug(0.3), (4, 5, 3),
            [-2.224, 37.505, 77.233, 108.776, 148.505, 188.233, 233.01, -2.14, 37.589]),
    "hue": (lambda: mx.image.HueJitterAug(0.3), (4, 5, 3),
            [-4.803, 42.084, 60.413, 106.274, 153.101, 171.125, 222.23, -9.076, 101.75]),
    "light": (lambda: mx.image.LightingAug(0.1, _EIGVAL, _EIGVEC), (4, 5, 3),
              [-1.391, 35.352, 72.799, 109.609, 146.352, 183.799, 220.609, 1.352, 38.799]),
    "gray": (lambda: mx.image.RandomGrayAug(1.0), (4, 5, 3),
             [31.82, 31.82, 31.82, 142.82, 142.82, 142.82, 51.58, 51.58, 51.58]),
    "flip": (lambda: mx.image.HorizontalFlipAug(1.0), (4, 5, 3), [188, 225, 6, 77, 114, 151, 222, 3, 40]),
    "norm": (lambda: mx.image.ColorNormalizeAug(np.array([1, 2, 3.]), np.array([2, 4, 8.])), (4, 5, 3),
             [-0.5, 8.75, 8.875, 55.0, 36.5, 22.75, 110.5, 0.25, 4.625]),
    "rcrop": (lambda: mx.image.RandomCropAug((3, 2), 1), (2, 3, 3), [9, 46, 83, 120, 157, 194, 231, 12, 49]),
    "rsized": (lambda: mx.image.RandomSizedCropAug((3, 2), 0.3, (0.5, 2), 1), (2, 3, 3),
               [90.75, 127.75, 143.417, 19.75, 56.75, 93.75, 162.083, 71.083, 108.083]),
    "ccrop": (lambda: mx.image.CenterCropAug((3, 2), 1), (2, 3, 3), [154, 191, 228, 9, 46, 83, 120, 157, 194]),
    "resize": (lambda: mx.image.ResizeAug(3, 1), (3, 3, 3),
               [44.167, 81.167, 118.167, 186.5, 10.167, 47.167, 158.167, 166.722, 61.5]),
    "force": (lambda: mx.image.ForceResizeAug((3, 2), 1), (2, 3, 3),
              [58.5, 95.5, 132.5, 115.5, 24.5, 61.5, 172.5, 124.167, 75.833]),
    "jitter": (lambda: mx.image.ColorJitterAug(0.3, 0.3, 0.3), (4, 5, 3),
               [-34.916, 28.195, 91.306, 114.699, 177.81, 240.921, 328.527, -45.022, 18.089]),
}


@pytest.mark.parametrize("name", sorted(_AUGS))
def test_augmenters_match_mxnet_draw_for_draw(name):
    make, shape, head = _AUGS[name]
    img = ((np.arange(4 * 5 * 3).reshape(4, 5, 3) * 37) % 256).astype(np.float32)
    random.seed(5)
    np.random.seed(5)
    out = make()(mx.nd.array(img))
    assert out.shape == shape
    np.testing.assert_allclose(out.asnumpy().ravel()[:9], head, atol=2e-3)


def test_create_augmenter_lists_as_mxnet():
    augs = mx.image.CreateAugmenter((3, 4, 4), resize=5, rand_crop=True, rand_mirror=True, mean=True, std=True,
                                    brightness=0.1, contrast=0.1, saturation=0.1, hue=0.1, pca_noise=0.1,
                                    rand_gray=0.2)
    assert [type(a).__name__ for a in augs] == [
        "ResizeAug", "RandomCropAug", "HorizontalFlipAug", "CastAug", "ColorJitterAug", "HueJitterAug", "LightingAug",
        "RandomGrayAug", "ColorNormalizeAug"]
    assert augs[0].dumps() == '["resizeaug", {"size": 5, "interp": 2}]'
    assert augs[4].dumps() == ["colorjitteraug", ['["brightnessjitteraug", {"brightness": 0.1}]',
                                                  '["contrastjitteraug", {"contrast": 0.1}]',
                                                  '["saturationjitteraug", {"saturation": 0.1}]']]
    np.testing.assert_allclose(json.loads(augs[-1].dumps())[1]["mean"], [123.68, 116.28, 103.53])
    assert [type(a).__name__ for a in mx.image.CreateAugmenter((3, 4, 4))] == ["CenterCropAug", "CastAug"]
    assert [a.dumps() for a in mx.image.CreateAugmenter((3, 4, 4), rand_resize=True, rand_crop=True)][0] == \
        '["randomsizedcropaug", {"size": [4, 4], "area": 0.08, "ratio": [0.75, 1.3333333333333333], "interp": 2}]'
    with pytest.raises(ValueError, match="rand_resize needs rand_crop"):
        mx.image.CreateAugmenter((3, 4, 4), rand_resize=True)


def test_image_iter_matches_mxnet(tmp_path):
    rec = _rec_file(tmp_path)
    it = mx.image.ImageIter(2, (3, 6, 8), path_imgrec=rec, path_imgidx=str(tmp_path / "e.idx"))
    assert [(d.name, d.shape) for d in it.provide_data + it.provide_label] == [("data", (2, 3, 6, 8)),
                                                                               ("softmax_label", (2,))]
    batches = list(it)
    assert [b.label[0].asnumpy().tolist() for b in batches] == [[0, 1], [2, 0], [1, 0]]
    assert [b.pad for b in batches] == [0, 0, 1]
    assert [b.data[0].asnumpy()[:, :, 0, 1].tolist() for b in batches] == [
        [[21, 28, 35], [24, 32, 40]], [[27, 36, 45], [30, 40, 50]], [[33, 44, 55], [21, 28, 35]]]
    assert len(list(mx.image.ImageIter(2, (3, 6, 8), path_imgrec=rec, last_batch_handle="discard"))) == 2
    it = mx.image.ImageIter(2, (3, 6, 8), path_imgrec=rec, last_batch_handle="roll_over")
    assert [b.label[0].asnumpy().tolist() for b in it] == [[0, 1], [2, 0]]
    it.reset()
    assert [b.label[0].asnumpy().tolist() for b in it] == [[1, 0], [1, 2], [0, 1]]
    b = mx.image.ImageIter(2, (3, 4, 4), path_imgrec=rec, aug_list=mx.image.CreateAugmenter((3, 4, 4), resize=4)).next()
    np.testing.assert_allclose(b.data[0].asnumpy()[0, 0], [[46, 80, 121, 78], [100, 154, 195, 152],
                                                           [191, 61, 104, 61], [96, 137, 178, 135]], atol=1)


def test_image_iter_from_lists_and_errors(tmp_path):
    for i in range(3):
        Image.fromarray(np.full((5, 6, 3), 10 * i, np.uint8)).save(str(tmp_path / ("%d.png" % i)))
    (tmp_path / "a.lst").write_text("0\t2.0\t0.png\n1\t1.0\t1.png\n2\t0.0\t2.png\n")
    it = mx.image.ImageIter(3, (3, 4, 4), path_imglist=str(tmp_path / "a.lst"), path_root=str(tmp_path))
    b = it.next()
    assert b.label[0].asnumpy().tolist() == [2, 1, 0] and b.pad == 0
    np.testing.assert_array_equal(b.data[0].asnumpy()[:, 0, 0, 0], [0, 10, 20])
    with pytest.raises(StopIteration):
        it.next()
    it = mx.image.ImageIter(2, (1, 4, 4), imglist=[[[1, 2], "2.png"], [[3, 4], "0.png"]], path_root=str(tmp_path),
                            label_width=2, shuffle=True)
    b = it.next()
    assert b.data[0].shape == (2, 1, 4, 4) and sorted(b.label[0].asnumpy().tolist()) == [[1, 2], [3, 4]]
    with pytest.raises(ValueError, match="exactly one of path_imgrec, path_imglist and imglist"):
        mx.image.ImageIter(2, (3, 4, 4))
    with pytest.raises(ValueError, match="last_batch_handle must be"):
        mx.image.ImageIter(2, (3, 4, 4), imglist=[[0, "0.png"]], last_batch_handle="keep")
    it = mx.image.ImageIter(1, (3, 4, 4), imglist=[[0, "0.png"]], path_root=str(tmp_path), aug_list=[])
    with pytest.raises(ValueError, match=r"the augmented image has shape \(5, 6, 3\), data_shape \(3, 4, 4\)"):
        it.next()
