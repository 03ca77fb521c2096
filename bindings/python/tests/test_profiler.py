"""mx.profiler: operators run while it records are in the Chrome trace and in the aggregate statistics with
MXNet 1.9.1's names and table layout (the expected names, counts and headings below were printed by MXNet 1.9.1)."""
import json
import threading
import time

import numpy as np
import pytest

import mxc as mx



def where():
    """The test's default context (a GPU in the MXC_TEST_DEFAULT_CTX=gpu rerun), the category of its operators (work
    on a GPU is timed while it is queued: README "Profiling") and the name of its process in the trace."""
    ctx = mx.current_context()
    if ctx.device_type == "cpu":
        return ctx, "operator", "cpu/0"
    return ctx, "operator (enqueue time)", "gpu/%d" % ctx.device_id


@pytest.fixture
def trace_file(tmp_path):
    """A fresh profile: earlier events and statistics forgotten, the profiler stopped afterwards."""
    path = str(tmp_path / "profile.json")
    mx.profiler.set_config(profile_all=True, filename=path, aggregate_stats=True)
    mx.profiler.dump(finished=True)
    mx.profiler.dumps(reset=True)
    yield path
    mx.profiler.set_state("stop")
    mx.profiler.set_config()


def events(path, ph=None):
    with open(path) as f:
        doc = json.load(f)
    assert doc["displayTimeUnit"] == "ms"
    return [e for e in doc["traceEvents"] if ph is None or e["ph"] == ph]


def stats():
    return json.loads(mx.profiler.dumps(format="json"))


def test_imperative_ops_in_trace_and_statistics(trace_file):
    ctx, op_cat, dev_name = where()
    a = mx.nd.ones((20, 20), ctx=ctx)
    (a + a).wait_to_read()                          # stopped: not recorded
    mx.profiler.set_state("run")
    t0 = time.perf_counter()
    for _ in range(3):
        b = mx.nd.dot(a, a)
        c = mx.nd.relu(b - 1)
    c.wait_to_read()
    t1 = time.perf_counter()
    mx.profiler.pause()
    mx.nd.dot(a, a).wait_to_read()                  # paused: not recorded
    mx.profiler.resume()
    mx.nd.relu(a).wait_to_read()
    mx.profiler.set_state("stop")
    mx.nd.dot(a, a).wait_to_read()
    mx.profiler.dump()
    ops = [e for e in events(trace_file, "X") if e["cat"] == op_cat]
    names = [e["name"] for e in ops]
    assert names.count("dot") == 3 and names.count("relu") == 4 and names.count("_minus_scalar") == 3
    assert all(e["dur"] > 0 for e in ops)
    dots = [e for e in ops if e["name"] == "dot"]
    assert max(e["ts"] + e["dur"] for e in dots) - min(e["ts"] for e in dots) <= (t1 - t0) * 1e6
    meta = {e["pid"]: e["args"]["name"] for e in events(trace_file, "M") if e["name"] == "process_name"}
    assert meta[dots[0]["pid"]] == dev_name
    np.testing.assert_allclose(c.asnumpy(), np.maximum(np.full((20, 20), 19.0), 0))

    op = stats()["Time"][op_cat]
    assert op["dot"]["Count"] == 3 and op["relu"]["Count"] == 4
    for row in op.values():
        assert row["Min"] <= row["Avg"] <= row["Max"] and row["Total"] == pytest.approx(row["Avg"] * row["Count"],
                                                                                        rel=1e-3, abs=1e-3)
    assert "MXCOpInvoke" in stats()["Time"]["MXNET_C_API"] or "MXCPreparedOpInvokeUnary" in stats()["Time"][
        "MXNET_C_API"]
    mx.profiler.dumps(reset=True)
    assert op_cat not in stats()["Time"]


def test_executor_forward_backward_has_node_names(trace_file):
    ctx, op_cat, _ = where()
    data = mx.sym.Variable("data")
    net = mx.sym.FullyConnected(data, num_hidden=4, name="fc1")
    net = mx.sym.Activation(net, act_type="relu", name="relu1")
    net = mx.sym.FullyConnected(net, num_hidden=2, name="fc2")
    net = mx.sym.SoftmaxOutput(net, name="softmax")
    ex = net.simple_bind(ctx, data=(3, 5))
    mx.profiler.set_config(profile_symbolic=True, profile_imperative=False, profile_memory=False, profile_api=False,
                           filename=trace_file, aggregate_stats=True)
    mx.profiler.set_state("run")
    ex.forward(is_train=True)
    ex.backward()
    mx.nd.waitall()
    mx.profiler.set_state("stop")
    mx.profiler.dump()
    evs = events(trace_file, "X")
    nodes = {(e["name"], e["args"]["node"]) for e in evs if "args" in e}
    assert {("FullyConnected", "fc1"), ("FullyConnected", "fc2"), ("Activation", "relu1"),
            ("SoftmaxOutput", "softmax"), ("_backward_FullyConnected", "fc1"), ("_backward_FullyConnected", "fc2"),
            ("_backward_Activation", "relu1"), ("_backward_SoftmaxOutput", "softmax")} <= nodes
    assert "Executor.forward" not in {e["name"] for e in evs}  # engine work: profile_imperative is off
    # MXNet 1.9.1's counts for this network
    op = stats()["Time"][op_cat]
    assert {k: op[k]["Count"] for k in ("FullyConnected", "_backward_FullyConnected", "Activation",
                                        "_backward_Activation", "SoftmaxOutput", "_backward_SoftmaxOutput")} == \
        {"FullyConnected": 2, "_backward_FullyConnected": 2, "Activation": 1, "_backward_Activation": 1,
         "SoftmaxOutput": 1, "_backward_SoftmaxOutput": 1}


def test_hybridized_gluon_block(trace_file):
    ctx, op_cat, _ = where()
    net = mx.gluon.nn.HybridSequential()
    with net.name_scope():
        net.add(mx.gluon.nn.Dense(8, activation="relu"), mx.gluon.nn.Dense(3))
    net.initialize(ctx=ctx)
    net.hybridize()
    x = mx.nd.ones((2, 4), ctx=ctx)
    net(x).wait_to_read()                             # traced and cached before profiling
    mx.profiler.set_state("run")
    for _ in range(2):
        with mx.autograd.record():
            y = net(x)
        y.backward()
    mx.nd.waitall()
    mx.profiler.set_state("stop")
    mx.profiler.dump()
    names = [e["name"] for e in events(trace_file, "X") if e["cat"] == op_cat]
    assert names.count("FullyConnected") == 4 and names.count("Activation") == 2
    assert names.count("_backward_FullyConnected") == 4
    assert "MXCCachedOpInvoke" in [e["name"] for e in events(trace_file, "X")]


def test_table_layout_as_mxnet(trace_file):
    ctx, op_cat, _ = where()
    mx.profiler.set_state("run")
    a = mx.nd.ones((4, 4), ctx=ctx)
    for _ in range(3):
        a = a * 2
    a.wait_to_read()
    mx.nd.ones((3,), ctx=mx.cpu()).wait_to_read()   # CPU storage: the memory counter
    e = mx.profiler.Event("a_rather_long_event_name_of_40_characters"[:40])
    e.start()
    e.stop()
    mx.profiler.set_state("stop")
    table = mx.profiler.dumps()
    assert table.startswith("\nProfile Statistics:\n\tNote the difference in units for different entries.\n")
    lines = table.split("\n")
    # headings and column positions copied from MXNet 1.9.1's output
    head = ("Name                          Total Count        Time (ms)    Min Time (ms)    Max Time (ms)    "
            "Avg Time (ms)")
    rule = ("----                          -----------        ---------    -------------    -------------    "
            "-------------")
    i = lines.index(op_cat)
    assert lines[i + 1:i + 4] == ["=================", head, rule]
    row = next(ln for ln in lines if ln.startswith("_mul_scalar "))
    assert len(row) == 109 and row[25:41] == " " * 15 + "3"
    assert [float(v) for v in row[41:].split()] == pytest.approx(
        [v for v in (stats()["Time"][op_cat]["_mul_scalar"][k] for k in ("Total", "Min", "Max", "Avg"))], abs=1e-4)
    long_row = next(ln for ln in lines if ln.startswith("a_rather_long"))
    assert long_row.index(" 1 ") == 40 + 14 and len(long_row) == 40 + 16 + 68   # names wider than 25 push right
    mem = lines.index("Device Storage")
    assert lines[mem + 2] == ("Name                          Total Count    Min Use  (kB)    Max Use  (kB)    "
                              "Avg Use  (kB)")
    # sorting
    mx.profiler.set_state("run")
    mx.nd.ones((2,), ctx=ctx).wait_to_read()
    mx.profiler.set_state("stop")
    op = mx.profiler.dumps(sort_by="count", ascending=True)
    rows = op.split(op_cat + "\n")[1].split("\n\n")[0].split("\n")[3:]
    counts = [int(r[25:41]) for r in rows]
    assert counts == sorted(counts) and counts[-1] == 3


def test_json_format_parses(trace_file):
    ctx, op_cat, _ = where()
    mx.profiler.set_state("run")
    mx.nd.ones((3,), ctx=ctx).wait_to_read()
    mx.nd.ones((3,), ctx=mx.cpu()).wait_to_read()   # CPU storage: the memory counter
    mx.profiler.set_state("stop")
    doc = json.loads(mx.profiler.dumps(format="json", reset=True))
    assert doc["Unit"] == {"Time": "ms", "Memory": "kB"}
    assert set(doc["Time"][op_cat]["_ones"]) == {"Count", "Total", "Min", "Max", "Avg"}
    assert set(doc["Memory"]["Device Storage"]["Memory: cpu/0"]) == {"Count", "Min", "Max", "Avg"}
    assert json.loads(mx.profiler.dumps(format="json"))["Time"] == {}


def test_user_objects_in_trace(trace_file):
    d = mx.profiler.Domain("mydomain")
    assert str(d) == "mydomain"
    t = d.new_task("mytask")
    f = mx.profiler.Frame(d, "myframe")
    ev = mx.profiler.Event("myevent")
    cn = mx.profiler.Counter(d, "mycounter", 5)      # before run: the value is kept, not recorded
    m = d.new_marker("mymarker")
    mx.profiler.set_state("run")
    for o in (t, f, ev):
        o.start()
    time.sleep(0.002)
    for o in (t, f, ev):
        o.stop()
    cn.increment(3)
    cn.decrement(1)
    cn.set_value(10)
    cn += 2
    cn -= 4
    m.mark("process")
    mx.profiler.set_state("stop")
    mx.profiler.dump()
    evs = events(trace_file)
    by = {(e["name"], e["cat"], e["ph"]) for e in evs if e["ph"] != "M"}
    assert {("mytask", "mydomain", "X"), ("myframe", "mydomain,frame", "X"), ("myevent", "event", "X"),
            ("mymarker", "mydomain,instant_marker", "i")} <= by
    assert all(e["dur"] >= 2000 for e in evs if e["name"] in ("mytask", "myframe", "myevent"))
    assert [e["args"]["mycounter"] for e in evs if e["name"] == "mycounter"] == [8, 7, 10, 12, 8]
    s = stats()["Time"]
    assert s["mydomain"]["mytask"]["Count"] == 1 and s["event"]["myevent"]["Count"] == 1
    assert s["mydomain"]["mycounter"]["Count"] == 5 and s["mydomain,instant_marker"] == {}
    with pytest.raises(mx.MXNetError, match="stopped without a start"):
        t.stop()
    with pytest.raises(mx.MXNetError, match="scope must be"):
        m.mark("galaxy")


def test_threaded_engine_many_threads(trace_file):
    ctx, op_cat, _ = where()
    mx.profiler.set_config(profile_imperative=True, profile_api=False, profile_memory=False, filename=trace_file,
                           aggregate_stats=True)
    mx.profiler.set_state("run")
    errors = []

    def work(k):
        try:
            a = mx.nd.ones((8,), ctx=ctx) * k
            for _ in range(25):
                a = a + 1
            np.testing.assert_allclose(a.asnumpy(), np.full(8, k + 25.0))
        except Exception as e:  # noqa: BLE001 (reported below)
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    mx.nd.waitall()
    mx.profiler.set_state("stop")
    mx.profiler.dump()
    assert not errors
    names = [e["name"] for e in events(trace_file, "X")]
    assert names.count("_plus_scalar") == 100 and names.count("_mul_scalar") == 4
    assert stats()["Time"][op_cat]["_plus_scalar"]["Count"] == 100


def test_argument_checks_as_mxnet(tmp_path):
    with pytest.raises(mx.MXNetError, match="unknown argument 'foo'"):
        mx.profiler.set_config(foo=1)
    with pytest.raises(mx.MXNetError, match="'profile_all' must be a boolean, got 'yes'"):
        mx.profiler.set_config(profile_all="yes")
    with pytest.raises(KeyError):
        mx.profiler.set_state("bad")
    with pytest.raises(AssertionError, match="Invalid value provided for format: xml. Support: 'table', 'json'"):
        mx.profiler.dumps(format="xml")
    with pytest.raises(AssertionError, match="Invalid value provided for sort_by: name"):
        mx.profiler.dumps(sort_by="name")
    with pytest.raises(AssertionError, match="Invalid value provided for ascending: 3. Support: False, True"):
        mx.profiler.dumps(ascending=3)
    mx.profiler.set_config(filename=str(tmp_path / "missing" / "p.json"))
    assert mx.profiler.dumps() == ""                  # without aggregate_stats, as MXNet
    with pytest.raises(OSError, match="cannot open"):
        mx.profiler.dump()
    mx.profiler.set_config()
