"""MNIST, Fashion-MNIST, CIFAR-10 and CIFAR-100 read from local files; image folders and RecordIO files of encoded images.

mxc does not download: a dataset reads the original files from ``root`` (default ``~/.mxnet/datasets/<name>``, as
MXNet). When they are not there, MNIST and Fashion-MNIST also look in Debian's data packages
(``/usr/share/datasets/<name>``, from ``apt install dataset-fashion-mnist``). Items are ``(image, label)``: the
image an NDArray of uint8 in (height, width, channels) layout, the label a ``numpy.int32``.
"""
import gzip
import os
import struct
import warnings

import numpy as np

from .... import image, recordio
from .... import ndarray as nd
from ..dataset import Dataset, RecordFileDataset

__all__ = ["MNIST", "FashionMNIST", "CIFAR10", "CIFAR100", "ImageFolderDataset", "ImageRecordDataset"]

_SYSTEM_DIR = "/usr/share/datasets"


def _default_root(name):
    return os.path.join(os.path.expanduser(os.environ.get("MXNET_HOME", "~/.mxnet")), "datasets", name)


class _ImageDataset(Dataset):
    """Images held as one uint8 NDArray (N, H, W, C) and labels as an int32 NumPy vector."""

    def __init__(self, root, train, transform):
        self._root = os.path.expanduser(root)
        self._train = train
        self._transform = transform
        images, labels = self._read()
        self._data = nd.array(images, dtype=np.uint8)
        self._label = labels.astype(np.int32)

    def __getitem__(self, idx):
        if self._transform is not None:
            return self._transform(self._data[idx], self._label[idx])
        return self._data[idx], self._label[idx]

    def __len__(self):
        return len(self._label)

    def _find(self, names, places, advice=""):
        """The first of places (directories) that holds all of names."""
        for place in places:
            if all(os.path.isfile(os.path.join(place, n)) for n in names):
                return place
        raise FileNotFoundError("%s: cannot find %s in %s. mxc does not download data sets: put the original files "
                                "in root%s." % (type(self).__name__, ", ".join(names), " or ".join(places), advice))


def _read_idx(path, magic, what):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    head = 8 if magic == 2049 else 16
    if len(raw) < head or struct.unpack(">I", raw[:4])[0] != magic:
        raise ValueError("%s: %s is not an IDX %s file (magic number %d expected)" % (path, what, what, magic))
    dims = struct.unpack(">%dI" % ((head - 4) // 4), raw[4:head])
    body = np.frombuffer(raw, dtype=np.uint8, offset=head)
    if body.size != int(np.prod(dims)):
        raise ValueError("%s: expected %d bytes of %s for shape %s, found %d"
                         % (path, int(np.prod(dims)), what, dims, body.size))
    return body.reshape(dims)


class MNIST(_ImageDataset):
    """MNIST handwritten digits: 60,000 training and 10,000 test images of (28, 28, 1)."""

    _files = {True: ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
              False: ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")}
    _system = "mnist"

    def __init__(self, root=None, train=True, transform=None):
        super().__init__(root if root is not None else _default_root(self._system), train, transform)

    def _read(self):
        image_file, label_file = self._files[self._train]
        where = self._find([image_file, label_file], [self._root, os.path.join(_SYSTEM_DIR, self._system)],
                           " or install Debian's dataset-%s package" % self._system)
        labels = _read_idx(os.path.join(where, label_file), 2049, "label")
        images = _read_idx(os.path.join(where, image_file), 2051, "image")
        if len(images) != len(labels):
            raise ValueError("%s: %d images but %d labels in %s" % (type(self).__name__, len(images), len(labels), where))
        return images.reshape(images.shape + (1,)), labels


class FashionMNIST(MNIST):
    """Fashion-MNIST (Zalando's clothing images), in MNIST's format and shapes."""

    _system = "fashion-mnist"


class CIFAR10(_ImageDataset):
    """CIFAR-10 from its binary version (``cifar-10-batches-bin/data_batch_1.bin`` ... ``test_batch.bin`` under root):
    images of (32, 32, 3)."""

    def __init__(self, root=None, train=True, transform=None):
        super().__init__(root if root is not None else _default_root("cifar10"), train, transform)

    def _read(self):
        names = ["data_batch_%d.bin" % i for i in range(1, 6)] if self._train else ["test_batch.bin"]
        where = self._find(names, [os.path.join(self._root, "cifar-10-batches-bin"), self._root])
        images, labels = [], []
        for n in names:
            raw = np.fromfile(os.path.join(where, n), dtype=np.uint8)
            if raw.size % 3073:
                raise ValueError("%s: %s holds %d bytes, not a whole number of 3,073-byte records"
                                 % (type(self).__name__, os.path.join(where, n), raw.size))
            rec = raw.reshape(-1, 3073)
            labels.append(rec[:, 0])
            images.append(rec[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
        return np.concatenate(images), np.concatenate(labels)


class CIFAR100(_ImageDataset):
    """CIFAR-100 from its binary version (``cifar-100-binary/train.bin`` or ``test.bin`` under root; records of a
    coarse label, a fine label and 3,072 pixel bytes): images of (32, 32, 3), labels the 20 coarse classes or with
    ``fine_label`` the 100 fine ones."""

    def __init__(self, root=None, fine_label=False, train=True, transform=None):
        self._fine_label = fine_label
        super().__init__(root if root is not None else _default_root("cifar100"), train, transform)

    def _read(self):
        name = "train.bin" if self._train else "test.bin"
        where = self._find([name], [os.path.join(self._root, "cifar-100-binary"), self._root])
        raw = np.fromfile(os.path.join(where, name), dtype=np.uint8)
        if raw.size % 3074:
            raise ValueError("%s: %s holds %d bytes, not a whole number of 3,074-byte records"
                             % (type(self).__name__, os.path.join(where, name), raw.size))
        rec = raw.reshape(-1, 3074)
        return rec[:, 2:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), rec[:, 1 if self._fine_label else 0]


class ImageFolderDataset(Dataset):
    """Images in class folders: ``root/<class>/<image>`` (.jpg, .jpeg or .png, any case). ``synsets`` lists the
    class folders in sorted order, and an item is (image, the index of its folder in ``synsets``), the image
    decoded with ``flag`` (1 colour, 0 grey; see ``mx.image.imdecode``) when it is read."""

    _exts = (".jpg", ".jpeg", ".png")

    def __init__(self, root, flag=1, transform=None):
        self._root = os.path.expanduser(root)
        self._flag = flag
        self._transform = transform
        self.synsets, self.items = [], []
        for folder in sorted(os.listdir(self._root)):
            path = os.path.join(self._root, folder)
            if not os.path.isdir(path):
                warnings.warn("Ignoring %s, which is not a directory." % path, stacklevel=2)
                continue
            label = len(self.synsets)
            self.synsets.append(folder)
            for name in sorted(os.listdir(path)):
                ext = os.path.splitext(name)[1]
                if ext.lower() not in self._exts:
                    warnings.warn("Ignoring %s of type %s. Only support %s"
                                  % (os.path.join(path, name), ext, ", ".join(self._exts)), stacklevel=2)
                    continue
                self.items.append((os.path.join(path, name), label))

    def __getitem__(self, idx):
        img = image.imread(self.items[idx][0], self._flag)
        label = self.items[idx][1]
        if self._transform is not None:
            return self._transform(img, label)
        return img, label

    def __len__(self):
        return len(self.items)


class ImageRecordDataset(RecordFileDataset):
    """Images in a RecordIO file (``filename``, with its index ``<name>.idx`` beside it), each record an
    ``mx.recordio.pack``-ed header and an encoded image. An item is (image decoded with ``flag``, header.label)."""

    def __init__(self, filename, flag=1, transform=None):
        super().__init__(filename)
        self._flag = flag
        self._transform = transform

    def __getitem__(self, idx):
        header, img = recordio.unpack(super().__getitem__(idx))
        img = image.imdecode(img, self._flag)
        if self._transform is not None:
            return self._transform(img, header.label)
        return img, header.label
