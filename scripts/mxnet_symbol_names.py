"""Writes bindings/python/tests/data/mxnet_symbol_names.json: MXNet 1.9.1's symbol names for every mxc operator.

Two steps, because mxc and MXNet live in different environments:
  1. with mxc:   MXC_LIBRARY_PATH=build/libmxc.so PYTHONPATH=bindings/python python3 scripts/mxnet_symbol_names.py kwargs
     lists every operator name and alias with plain values for its required parameters (/tmp/op_kw.json);
  2. with MXNet: MXNET_SUBGRAPH_BACKEND=NONE /work/mxnet-venv/bin/python scripts/mxnet_symbol_names.py names
     creates each with MXNet (mx.sym.contrib.X for _contrib_X, mx.sym.linalg.X for _linalg_X, mx.sym.image.X for
     _image_X; two symbol inputs for variadic operators) and records list_outputs/list_arguments/list_auxiliary_states. MXNet crashes on a few
     operators given such values, so each result is appended to /tmp/names_mxnet.jsonl as it comes: rerun the
     step until it ends cleanly (a crashed operator is skipped).
  3. with either: python3 scripts/mxnet_symbol_names.py write
"""
import json
import os
import sys

KW, NAMES = "/tmp/op_kw.json", "/tmp/names_mxnet.jsonl"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bindings", "python", "tests", "data",
                   "mxnet_symbol_names.json")


def plain_value(ptype):
    t = ptype.lower()
    if "tuple" in t or "shape" in t:
        return "(2,2)"
    if "{" in ptype:
        return ptype.split("{")[1].split(",")[0].strip().strip("'")
    if "int" in t.split(",")[0]:
        return "2"
    if "float" in t.split(",")[0]:
        return "1.0"
    if "bool" in t:
        return "False"
    return "float32" if "dtype" in t else "2"


def kwargs_step():
    from mxc.base import op_meta, list_op_names
    out = {}
    for name in list_op_names():
        m = op_meta(name)
        kw = {p: plain_value(t) for p, t, req in zip(m.param_names, m.param_types, m.param_required) if req}
        for fname in (name,) + m.aliases:
            out[fname] = {"kw": kw, "varg": m.key_var_num_args}
    json.dump(out, open(KW, "w"))


def names_step():
    import mxnet as mx
    ops = json.load(open(KW))
    done = set()
    if os.path.exists(NAMES):
        done = {json.loads(line)[0] for line in open(NAMES)}
    with open(NAMES, "a") as fo:
        for fname, info in sorted(ops.items()):
            if fname in done:
                continue
            fo.write(json.dumps([fname, "CRASH"]) + "\n")  # replaced by the next line when it survives
            fo.flush()
            f = None
            for prefix, mod in (("_contrib_", mx.sym.contrib), ("_linalg_", mx.sym.linalg),
                                ("_image_", mx.sym.image)):
                if fname.startswith(prefix):
                    f = getattr(mod, fname[len(prefix):], None)
                    break
            else:
                f = getattr(mx.sym, fname, None) or getattr(mx.sym._internal, fname, None)
            result = "MISSING"
            if f is not None:
                kw, args = dict(info["kw"]), []
                if info["varg"]:
                    args = [mx.sym.Variable("a%d" % i) for i in range(2)]
                    if info["varg"] in kw:
                        kw[info["varg"]] = "2"
                try:
                    s = f(*args, **kw)
                    result = [s.list_outputs(), s.list_arguments(), s.list_auxiliary_states()]
                except Exception:  # noqa: BLE001 - MXNet rejects some plain values: no entry
                    result = "ERR"
            fo.write(json.dumps([fname, result]) + "\n")
            fo.flush()


def write_step():
    kw = json.load(open(KW))
    data = {}
    for line in open(NAMES):
        name, v = json.loads(line)
        if isinstance(v, list):
            data[name] = {"kwargs": kw[name]["kw"], "variadic": kw[name]["varg"], "outputs": v[0],
                          "arguments": v[1], "aux": v[2]}
    json.dump(data, open(OUT, "w"), indent=0, sort_keys=True)
    print("%d operators written to %s" % (len(data), OUT))


if __name__ == "__main__":
    {"kwargs": kwargs_step, "names": names_step, "write": write_step}[sys.argv[1]]()
