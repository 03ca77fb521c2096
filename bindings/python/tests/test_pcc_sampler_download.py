"""mx.metric.PCC (MXNet 1.9.1's printed values), gluon.data.FilterSampler, gluon.utils.check_sha1 / download (from
a local HTTP server)."""
import hashlib
import http.server
import os
import threading

import numpy as np
import pytest

import mxc as mx


def test_pcc_as_mxnet():
    m = mx.metric.create("pcc")
    assert m.name == "pcc"
    m.update([mx.nd.array([1, 0, 0, 0])], [mx.nd.array([[0.3, 0.7], [0.6, 0.4], [0.1, 0.9], [0.8, 0.2]])])
    assert m.get() == ("pcc", pytest.approx(0.5773502691896258, abs=1e-12))
    preds = mx.nd.array([[0.1, 0.2, 0.7], [0.5, 0.3, 0.2], [0.2, 0.6, 0.2], [0.3, 0.3, 0.4], [0.9, 0.05, 0.05]])
    labels = mx.nd.array([2, 0, 2, 1, 0])
    m.update([labels], [preds])  # the confusion matrix grows to 3 classes and keeps the first batch
    assert m.get()[1] == pytest.approx(0.48038446141526137, abs=1e-12)
    m.reset()
    m.update([labels], [preds])
    assert m.get()[1] == pytest.approx(0.375, abs=1e-12) and m.num_inst == 1
    # Against the binary Matthews coefficient computed by hand from the counts.
    y = np.array([1, 1, 0, 0, 1, 0, 1, 1])
    p = np.array([1, 0, 0, 1, 1, 0, 1, 0])
    tp, tn, fp, fn = 3, 2, 1, 2
    mcc = (tp * tn - fp * fn) / np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    m.reset()
    m.update([mx.nd.array(y)], [mx.nd.array(p)])
    assert m.get()[1] == pytest.approx(mcc)
    with pytest.raises(ValueError, match="pcc"):
        m.update([mx.nd.array([0, 1])], [mx.nd.array([0, 1, 1])])


def test_filter_sampler():
    s = mx.gluon.data.FilterSampler(lambda x: x % 3 == 0, list(range(10)))
    assert list(s) == [0, 3, 6, 9] and len(s) == 4
    loader = mx.gluon.data.DataLoader(mx.gluon.data.ArrayDataset(np.arange(10, dtype=np.float32)), batch_size=2,
                                      sampler=s)
    assert [b.asnumpy().tolist() for b in loader] == [[0, 3], [6, 9]]


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    (root / "data.bin").write_bytes(bytes(range(256)) * 1000)
    hits = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=str(root), **kw)

        def log_message(self, *a):
            hits.append(self.path)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield "http://127.0.0.1:%d" % httpd.server_address[1], root, hits
    httpd.shutdown()


def test_download_and_check_sha1(server, tmp_path):
    base, root, hits = server
    payload = (root / "data.bin").read_bytes()
    sha1 = hashlib.sha1(payload).hexdigest()
    out = tmp_path / "out"
    out.mkdir()
    path = mx.gluon.utils.download(base + "/data.bin", path=str(out), sha1_hash=sha1)
    assert path == str(out / "data.bin") and open(path, "rb").read() == payload
    assert mx.gluon.utils.check_sha1(path, sha1) and mx.gluon.utils.check_sha1(path, sha1[:8])
    assert not mx.gluon.utils.check_sha1(path, "0" * 40)
    n = len(hits)
    mx.gluon.utils.download(base + "/data.bin", path=str(out), sha1_hash=sha1)  # present and matching: no request
    assert len(hits) == n
    with open(path, "wb") as f:
        f.write(b"corrupt")
    mx.gluon.utils.download(base + "/data.bin", path=path, sha1_hash=sha1)  # wrong hash on disk: fetched again
    assert open(path, "rb").read() == payload and len(hits) == n + 1
    with pytest.raises(OSError, match="SHA-1"):
        mx.gluon.utils.download(base + "/data.bin", path=str(tmp_path / "x.bin"), sha1_hash="1" * 40, retries=2)
    assert not os.path.exists(tmp_path / "x.bin") and not [p for p in os.listdir(tmp_path) if p.endswith(".part")]
    with pytest.raises(Exception, match="404"):
        mx.gluon.utils.download(base + "/missing.bin", path=str(tmp_path / "m.bin"), retries=1)
