"""Image lists and RecordIO data sets, with MXNet's ``im2rec`` command line:

    python -m mxc.tools.im2rec --list --recursive PREFIX ROOT   # ROOT/<class>/<image> -> PREFIX.lst
    python -m mxc.tools.im2rec [--resize N] [--center-crop] PREFIX ROOT   # PREFIX.lst -> PREFIX.rec, PREFIX.idx

A list line is ``index<TAB>label(s)<TAB>path relative to ROOT``. With ``--recursive`` each folder holding images
is a class, numbered in sorted walk order; the list is shuffled (seeded, reproducibly) unless ``--no-shuffle``.
Records are ``mx.recordio.pack``-ed: the header's id is the list index, its label the list label(s). Images are
re-encoded (``--encoding``, ``--quality``) after an optional centre crop to a square and resize of the shorter edge,
or stored as they are with ``--pass-through``.
"""
import argparse
import os
import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np


def list_images(root, recursive, exts):
    """(index, path relative to root, label) of each image, labels by folder with --recursive."""
    exts = tuple(e.lower() for e in exts)
    out = []
    if recursive:
        labels = {}
        for path, dirs, files in os.walk(root, followlinks=True):
            dirs.sort()
            rel = os.path.relpath(path, root)
            for name in sorted(files):
                if os.path.splitext(name)[1].lower() in exts:
                    if rel not in labels:
                        labels[rel] = len(labels)
                        print(rel, labels[rel])
                    out.append((len(out), os.path.normpath(os.path.join(rel, name)), labels[rel]))
    else:
        for name in sorted(os.listdir(root)):
            if os.path.isfile(os.path.join(root, name)) and os.path.splitext(name)[1].lower() in exts:
                out.append((len(out), name, 0))
    return out


def write_list(path, items):
    with open(path, "w") as f:
        for index, rel, *labels in items:
            label = labels[0] if len(labels) == 1 else labels
            values = label if isinstance(label, (list, tuple)) else [label]
            f.write("%d\t%s\t%s\n" % (index, "\t".join("%f" % v for v in values), rel))


def make_lists(args):
    items = list_images(args.root, args.recursive, args.exts)
    if args.shuffle:
        random.seed(100)
        random.shuffle(items)
    n = len(items)
    chunk = (n + args.chunks - 1) // args.chunks
    for c in range(args.chunks):
        part = items[c * chunk:(c + 1) * chunk]
        name = args.prefix + ("_%d" % c if args.chunks > 1 else "")
        m = len(part)
        n_test = int(m * args.test_ratio)
        n_train = int(m * args.train_ratio)
        if args.test_ratio:
            write_list(name + "_test.lst", part[:n_test])
        if args.train_ratio + args.test_ratio < 1.0:
            write_list(name + "_val.lst", part[n_test + n_train:])
        write_list(name + ("_train.lst" if args.test_ratio or args.train_ratio < 1.0 else ".lst"),
                   part[n_test:n_test + n_train])


def read_list(path):
    with open(path) as f:
        for n, line in enumerate(f):
            fields = line.strip().split("\t")
            if not fields[0]:
                continue
            if len(fields) < 3:
                raise ValueError("im2rec: line %d of %s is not 'index<TAB>label(s)<TAB>path': %r" % (n + 1, path, line))
            yield int(fields[0]), fields[-1], [float(v) for v in fields[1:-1]]


def encode(args, rel):
    """The bytes stored for the image ROOT/rel."""
    from ..image import _decode_np, _resize_np
    from ..recordio import _encode
    with open(os.path.join(args.root, rel), "rb") as f:
        raw = f.read()
    if args.pass_through:
        return raw
    img = _decode_np(raw, 0 if args.color == 0 else 1, 0)  # BGR, as OpenCV
    if args.center_crop and img.shape[0] != img.shape[1]:
        h, w = img.shape[:2]
        side = min(h, w)
        img = img[(h - side) // 2:(h - side) // 2 + side, (w - side) // 2:(w - side) // 2 + side]
    if args.resize:
        h, w = img.shape[:2]
        size = (args.resize, args.resize * h // w) if h > w else (args.resize * w // h, args.resize)
        img = _resize_np(img, size[0], size[1], 1)
    return _encode(img if args.color != 0 else img[:, :, 0], args.quality, args.encoding)


def make_record(args, lst):
    from .. import recordio
    prefix = os.path.splitext(lst)[0]
    print("Creating .rec file from %s in %s" % (os.path.abspath(lst), os.path.dirname(os.path.abspath(lst))))
    items = list(read_list(lst))
    tic = time.time()
    rec = recordio.MXIndexedRecordIO(prefix + ".idx", prefix + ".rec", "w")
    with ThreadPoolExecutor(max(1, args.num_thread)) as pool:  # Pillow releases the GIL while it codes
        for count, ((index, rel, labels), payload) in enumerate(zip(items, pool.map(lambda it: encode(args, it[1]),
                                                                                    items))):
            label = labels[0] if len(labels) == 1 and not args.pack_label else np.asarray(labels, np.float32)
            rec.write_idx(index, recordio.pack(recordio.IRHeader(0, label, index, 0), payload))
            if count % 1000 == 0:
                print("time: %s  count: %d" % (time.time() - tic, count))
    rec.close()


def parse_args(argv=None):
    ap = argparse.ArgumentParser(formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                                 description="Create an image list or make a record database by reading from an "
                                             "image list")
    ap.add_argument("prefix", help="prefix of input/output lst and rec files.")
    ap.add_argument("root", help="path to folder containing images.")
    g = ap.add_argument_group("Options for creating image lists")
    g.add_argument("--list", action="store_true", help="create <prefix>.lst by traversing root; otherwise read "
                                                       "<prefix>.lst and create <prefix>.rec")
    g.add_argument("--exts", nargs="+", default=[".jpeg", ".jpg", ".png"], help="acceptable image extensions")
    g.add_argument("--chunks", type=int, default=1, help="number of chunks")
    g.add_argument("--train-ratio", type=float, default=1.0, help="ratio of images to use for training")
    g.add_argument("--test-ratio", type=float, default=0, help="ratio of images to use for testing")
    g.add_argument("--recursive", action="store_true", help="walk subfolders, a label per folder")
    g.add_argument("--no-shuffle", dest="shuffle", action="store_false", help="keep the walk order")
    g = ap.add_argument_group("Options for creating database")
    g.add_argument("--pass-through", action="store_true", help="store the image files as they are")
    g.add_argument("--resize", type=int, default=0, help="resize the shorter edge to this size")
    g.add_argument("--center-crop", action="store_true", help="crop the centre square")
    g.add_argument("--quality", type=int, default=95, help="JPEG quality 1-100, or PNG compression 1-9")
    g.add_argument("--num-thread", type=int, default=1, help="threads encoding images (the order is kept)")
    g.add_argument("--color", type=int, default=1, choices=[-1, 0, 1], help="1 colour, 0 grey, -1 as stored "
                                                                          "(mxc: as colour)")
    g.add_argument("--encoding", default=".jpg", choices=[".jpg", ".png"], help="encoding of the images")
    g.add_argument("--pack-label", action="store_true", help="store every label of a line as an array")
    return ap.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    args.root = os.path.abspath(args.root)
    if args.list:
        make_lists(args)
        return 0
    if os.path.isfile(args.prefix + ".lst"):
        lists = [args.prefix + ".lst"]
    else:
        folder, base = os.path.split(args.prefix)
        lists = sorted(os.path.join(folder or ".", f) for f in os.listdir(folder or ".")
                       if f.startswith(base) and f.endswith(".lst"))
    if not lists:
        print("im2rec: no list file %s.lst (make one with --list)" % args.prefix, file=sys.stderr)
        return 1
    for lst in lists:
        make_record(args, lst)
    return 0


if __name__ == "__main__":
    sys.exit(main())
