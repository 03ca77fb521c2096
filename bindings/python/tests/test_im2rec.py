"""python -m mxc.tools.im2rec: lists and record files as MXNet 1.9.1's im2rec writes them (its outputs on the same
folder are written here as literals)."""
import os
import subprocess
import sys

import numpy as np
import pytest

import mxc as mx
from mxc.tools import im2rec

Image = pytest.importorskip("PIL.Image", reason="im2rec encodes images with Pillow (pip install pillow)")


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "imgs"
    for i, p in enumerate(["cat/a.jpg", "cat/b.png", "dog/c.jpg", "dog/sub/d.jpg", "top.jpg"]):
        (root / os.path.dirname(p)).mkdir(parents=True, exist_ok=True)
        Image.fromarray(((np.arange(6 * 9 * 3).reshape(6, 9, 3) * (5 + i)) % 256).astype(np.uint8)).save(root / p)
    (root / "aaa_empty").mkdir()
    (root / "bbb_txt").mkdir()
    (root / "bbb_txt" / "x.txt").write_text("not an image")
    return tmp_path


_LIST = ("0\t0.000000\ttop.jpg\n1\t1.000000\tcat/a.jpg\n2\t1.000000\tcat/b.png\n3\t2.000000\tdog/c.jpg\n"
         "4\t3.000000\tdog/sub/d.jpg\n")


def test_lists_match_mxnet(folder, capsys):
    os.chdir(folder)
    im2rec.main(["--list", "--recursive", "--no-shuffle", "data", "imgs"])
    assert capsys.readouterr().out == ". 0\ncat 1\ndog 2\ndog/sub 3\n"  # folders with images, in walk order
    assert (folder / "data.lst").read_text() == _LIST
    im2rec.main(["--list", "--recursive", "shuf", "imgs"])  # MXNet's order for this folder
    assert (folder / "shuf.lst").read_text() == ("2\t1.000000\tcat/b.png\n0\t0.000000\ttop.jpg\n"
                                                 "4\t3.000000\tdog/sub/d.jpg\n3\t2.000000\tdog/c.jpg\n"
                                                 "1\t1.000000\tcat/a.jpg\n")
    im2rec.main(["--list", "flat", "imgs"])
    assert (folder / "flat.lst").read_text() == "0\t0.000000\ttop.jpg\n"
    im2rec.main(["--list", "--recursive", "--chunks", "2", "--no-shuffle", "ch", "imgs"])
    assert (folder / "ch_0.lst").read_text() + (folder / "ch_1.lst").read_text() == _LIST
    assert (folder / "ch_1.lst").read_text() == "3\t2.000000\tdog/c.jpg\n4\t3.000000\tdog/sub/d.jpg\n"
    im2rec.main(["--list", "--recursive", "--train-ratio", "0.6", "--test-ratio", "0.2", "split", "imgs"])
    assert [(folder / ("split_%s.lst" % s)).read_text().count("\n") for s in ("train", "val", "test")] == [3, 1, 1]
    assert (folder / "split_test.lst").read_text() == "2\t1.000000\tcat/b.png\n"


def test_records_pass_through_and_reencoded(folder):
    os.chdir(folder)
    (folder / "data.lst").write_text(_LIST)
    im2rec.main(["--pass-through", "data", "imgs"])
    # each record: 8 bytes of RecordIO header, 24 of image header, the file itself, padding to 4 bytes
    sizes = [os.path.getsize(folder / "imgs" / line.split("\t")[2]) for line in _LIST.splitlines()]
    offsets = np.cumsum([0] + [8 + 24 + n + (-(24 + n) % 4) for n in sizes[:-1]])
    assert (folder / "data.idx").read_text() == "".join("%d\t%d\n" % (i, o) for i, o in enumerate(offsets))
    r = mx.recordio.MXIndexedRecordIO(str(folder / "data.idx"), str(folder / "data.rec"), "r")
    header, raw = mx.recordio.unpack(r.read_idx(2))
    assert (header.label, header.id) == (1.0, 2) and raw == (folder / "imgs" / "cat" / "b.png").read_bytes()
    r.close()
    # MXNet 1.9.1's --resize 4 --center-crop --encoding .png record 1 (cat/a.jpg), pixel (0, 0) in BGR
    im2rec.main(["--resize", "4", "--center-crop", "--encoding", ".png", "--num-thread", "2", "data", "imgs"])
    r = mx.recordio.MXIndexedRecordIO(str(folder / "data.idx"), str(folder / "data.rec"), "r")
    header, img = mx.recordio.unpack_img(r.read_idx(1))
    assert (header.label, header.id) == (1.0, 1) and img.shape == (4, 4, 3)
    np.testing.assert_allclose(img[0, 0].astype(int), [60, 54, 44], atol=1)
    batches = list(mx.io.ImageRecordIter(path_imgrec=str(folder / "data.rec"), data_shape=(3, 4, 4), batch_size=5))
    assert batches[0].label[0].asnumpy().tolist() == [0, 1, 1, 2, 3]


def test_command_line(folder):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run([sys.executable, "-m", "mxc.tools.im2rec", "--list", "--recursive", "p", "imgs"],
                         cwd=folder, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert (folder / "p.lst").exists()
    out = subprocess.run([sys.executable, "-m", "mxc.tools.im2rec", "missing", "imgs"], cwd=folder, env=env,
                         capture_output=True, text=True)
    assert out.returncode == 1 and "no list file missing.lst" in out.stderr
