"""Object detection data (``mx.image.det``, also ``mx.image.detection``): augmenters that transform an image and
its boxes together, and ``ImageDetIter``, MXNet 1.9.1's API.

Labels. A raw label (a RecordIO header's label, a .lst line's labels, an ``imglist`` item's label) is
``[n, k, (n - 2 more header values), id, xmin, ymin, xmax, ymax, (k - 5 more values), id, ...]``: a header of width
``n >= 2``, then objects of width ``k >= 5`` whose coordinates are fractions of the image's width and height.
Objects without area (``xmax <= xmin`` or ``ymax <= ymin``, e.g. rows of -1 padding) are dropped. Augmenters take
and return ``(image, label)`` with ``label`` a NumPy array (objects, k); batches hold labels (batch, max objects, k)
padded with -1.

Random choices draw from Python's ``random``, as MXNet's augmenters do. The crop and pad proposals follow MXNet's
documented constraints (area and aspect-ratio ranges, object coverage, ``max_attempts``); the exact sequence of
draws is mxc's own.
"""
import json
import logging
import math
import os
import random as _pyrandom
import warnings

import numpy as np

from . import ndarray as nd
from .image import (Augmenter, CastAug, ColorJitterAug, ColorNormalizeAug, ForceResizeAug, HueJitterAug, ImageIter,
                    LightingAug, RandomGrayAug, ResizeAug, fixed_crop, imdecode, _IMAGENET_EIGVAL, _IMAGENET_EIGVEC,
                    _IMAGENET_MEAN, _IMAGENET_STD, _plain)
from .image_rotate import copyMakeBorder

__all__ = ["DetAugmenter", "DetBorrowAug", "DetRandomSelectAug", "DetHorizontalFlipAug", "DetRandomCropAug",
           "DetRandomPadAug", "CreateMultiRandCropAugmenter", "CreateDetAugmenter", "ImageDetIter"]


class DetAugmenter:
    """Base class of the detection augmenters: ``aug(src, label)`` returns ``(src, label)``."""

    def __init__(self, **kwargs):
        self._kwargs = {k: _plain(v) for k, v in kwargs.items()}

    def dumps(self):
        """Describes the augmenter as JSON."""
        return json.dumps([type(self).__name__.lower(), self._kwargs])

    def __call__(self, src, label):
        raise NotImplementedError("%s must implement __call__(src, label)" % type(self).__name__)


class DetBorrowAug(DetAugmenter):
    """Applies an image augmenter (``mx.image.Augmenter``) that leaves the boxes where they are."""

    def __init__(self, augmenter):
        if not isinstance(augmenter, Augmenter):
            raise TypeError("DetBorrowAug: augmenter must be an mx.image.Augmenter, not %s"
                            % type(augmenter).__name__)
        super().__init__(augmenter=augmenter.dumps())
        self.augmenter = augmenter

    def dumps(self):
        return [type(self).__name__.lower(), self.augmenter.dumps()]

    def __call__(self, src, label):
        return self.augmenter(src), label


class DetRandomSelectAug(DetAugmenter):
    """Applies one augmenter of ``aug_list`` chosen at random, or, with probability ``skip_prob``, none."""

    def __init__(self, aug_list, skip_prob=0):
        super().__init__(skip_prob=skip_prob)
        if not isinstance(aug_list, (list, tuple)):
            aug_list = [aug_list]
        for aug in aug_list:
            if not isinstance(aug, DetAugmenter):
                raise TypeError("DetRandomSelectAug: aug_list must hold DetAugmenters, got %s" % type(aug).__name__)
        self.aug_list = list(aug_list)
        self.skip_prob = skip_prob if self.aug_list else 1

    def dumps(self):
        return [type(self).__name__.lower(), [x.dumps() for x in self.aug_list]]

    def __call__(self, src, label):
        if _pyrandom.random() < self.skip_prob:
            return src, label
        return _pyrandom.choice(self.aug_list)(src, label)


def _as_label(label, who):
    arr = np.array(label.asnumpy() if isinstance(label, nd.NDArray) else label, dtype=np.float64, copy=True)
    if arr.ndim != 2 or arr.shape[1] < 5:
        raise ValueError("%s: the label must have shape (objects, 5 or more): id, xmin, ymin, xmax, ymax, ...; got %s"
                         % (who, arr.shape))
    return arr


class DetHorizontalFlipAug(DetAugmenter):
    """With probability ``p``, mirrors the image left to right and the boxes with it (x -> 1 - x)."""

    def __init__(self, p):
        super().__init__(p=p)
        self.p = p

    def __call__(self, src, label):
        if _pyrandom.random() < self.p:
            src = nd.reverse(src, axis=1)
            label = _as_label(label, "DetHorizontalFlipAug")
            xmin = 1.0 - label[:, 3]
            label[:, 3] = 1.0 - label[:, 1]
            label[:, 1] = xmin
        return src, label


def _box_pixels(label, h, w):
    return label[:, 1:5] * np.array([w, h, w, h], np.float64)


def _areas(boxes):
    return np.maximum(boxes[:, 2] - boxes[:, 0], 0) * np.maximum(boxes[:, 3] - boxes[:, 1], 0)


def _clip_to(boxes, x, y, w, h):
    """The boxes (pixels) intersected with the rectangle (x, y, w, h)."""
    out = boxes.copy()
    out[:, 0] = np.clip(boxes[:, 0], x, x + w)
    out[:, 1] = np.clip(boxes[:, 1], y, y + h)
    out[:, 2] = np.clip(boxes[:, 2], x, x + w)
    out[:, 3] = np.clip(boxes[:, 3], y, y + h)
    return out


def _warn_disabled(who, msg):
    warnings.warn("%s: %s; the augmenter is disabled" % (who, msg), stacklevel=3)


class DetRandomCropAug(DetAugmenter):
    """Crops a random rectangle of ``area_range`` times the image's area (capped at the whole image) with aspect
    ratio (width / height, pixels) in ``aspect_ratio_range``, that covers at least ``min_object_covered`` of some
    box (no requirement when it is 0 or less). Boxes are clipped to the crop and expressed in it; those keeping less
    than ``min_eject_coverage`` of their area are dropped, and a crop that keeps none is rejected. After
    ``max_attempts`` rejected proposals the image and label are returned unchanged."""

    def __init__(self, min_object_covered=0.1, aspect_ratio_range=(0.75, 1.33), area_range=(0.05, 1.0),
                 min_eject_coverage=0.3, max_attempts=50):
        super().__init__(min_object_covered=min_object_covered, aspect_ratio_range=aspect_ratio_range,
                         area_range=area_range, min_eject_coverage=min_eject_coverage, max_attempts=max_attempts)
        self.min_object_covered = min_object_covered
        self.min_eject_coverage = min_eject_coverage
        self.max_attempts = max_attempts
        self.aspect_ratio_range = aspect_ratio_range
        self.area_range = area_range
        self.enabled = False
        if area_range[1] <= 0 or area_range[0] > area_range[1]:
            _warn_disabled("DetRandomCropAug", "area_range %s is not a valid range" % (tuple(area_range),))
        elif aspect_ratio_range[0] <= 0 or aspect_ratio_range[0] > aspect_ratio_range[1]:
            _warn_disabled("DetRandomCropAug", "aspect_ratio_range %s is not a valid range of positive ratios"
                           % (tuple(aspect_ratio_range),))
        else:
            self.enabled = True

    def _update_labels(self, label, crop, height, width):
        """The label in the crop (x, y, w, h), without the boxes that keep too little of their area; None if
        none is left."""
        x, y, w, h = crop
        boxes = _box_pixels(label, height, width)
        areas = _areas(boxes)
        clipped = _clip_to(boxes, x, y, w, h)
        kept = _areas(clipped)
        with np.errstate(divide="ignore", invalid="ignore"):
            coverage = np.where(areas > 0, kept / np.where(areas > 0, areas, 1), 0.0)
        keep = (kept > 0) & (coverage >= self.min_eject_coverage)
        if not keep.any():
            return None
        out = label[keep].copy()
        out[:, 1:5] = (clipped[keep] - np.array([x, y, x, y], np.float64)) / np.array([w, h, w, h], np.float64)
        return out

    def _random_crop_proposal(self, label, height, width):
        """(x, y, w, h, new label) of an accepted crop, or () when every attempt failed."""
        if not self.enabled or height <= 0 or width <= 0:
            return ()
        lo, hi = self.area_range[0], min(self.area_range[1], 1.0)
        if lo > hi:
            return ()
        boxes = _box_pixels(label, height, width)
        areas = _areas(boxes)
        for _ in range(self.max_attempts):
            area = _pyrandom.uniform(lo, hi) * height * width
            ratio = _pyrandom.uniform(*self.aspect_ratio_range)
            w = int(round(math.sqrt(area * ratio)))
            h = int(round(math.sqrt(area / ratio)))
            if w < 1 or h < 1 or w > width or h > height:
                continue
            x = _pyrandom.randint(0, width - w)
            y = _pyrandom.randint(0, height - h)
            if self.min_object_covered > 0:
                inter = _areas(_clip_to(boxes, x, y, w, h))
                covered = (areas > 0) & (inter >= self.min_object_covered * areas)
                if not covered.any():
                    continue
            new_label = self._update_labels(label, (x, y, w, h), height, width)
            if new_label is not None:
                return x, y, w, h, new_label
        return ()

    def __call__(self, src, label):
        label = _as_label(label, "DetRandomCropAug")
        crop = self._random_crop_proposal(label, src.shape[0], src.shape[1])
        if crop:
            x, y, w, h, label = crop
            src = fixed_crop(src, x, y, w, h, None)
        return src, label


class DetRandomPadAug(DetAugmenter):
    """Places the image at a random position on a canvas of ``area_range`` times its area (at least the image) with
    aspect ratio (width / height, pixels) in ``aspect_ratio_range``, filled with ``pad_val``; the boxes follow. After
    ``max_attempts`` proposals that do not hold the image, the image and label are returned unchanged. ``pad_val``
    is one value per channel, or a number for all channels."""

    def __init__(self, aspect_ratio_range=(0.75, 1.33), area_range=(1.0, 3.0), max_attempts=50,
                 pad_val=(128, 128, 128)):
        super().__init__(aspect_ratio_range=aspect_ratio_range, area_range=area_range, max_attempts=max_attempts,
                         pad_val=pad_val)
        self.pad_val = pad_val
        self.aspect_ratio_range = aspect_ratio_range
        self.area_range = area_range
        self.max_attempts = max_attempts
        self.enabled = False
        if area_range[1] <= 1.0 or area_range[0] > area_range[1]:
            _warn_disabled("DetRandomPadAug", "area_range %s must reach above 1 (the image's own area)"
                           % (tuple(area_range),))
        elif aspect_ratio_range[0] <= 0 or aspect_ratio_range[0] > aspect_ratio_range[1]:
            _warn_disabled("DetRandomPadAug", "aspect_ratio_range %s is not a valid range of positive ratios"
                           % (tuple(aspect_ratio_range),))
        else:
            self.enabled = True

    def _update_labels(self, label, pad_box, height, width):
        x, y, w, h = pad_box
        out = label.copy()
        out[:, 1:5] = (_box_pixels(label, height, width) + np.array([x, y, x, y], np.float64)) / \
            np.array([w, h, w, h], np.float64)
        return out

    def _random_pad_proposal(self, label, height, width):
        """(x, y, w, h, new label): the image's offset in the canvas and the canvas' size, or ()."""
        if not self.enabled or height <= 0 or width <= 0:
            return ()
        lo, hi = max(self.area_range[0], 1.0), self.area_range[1]
        for _ in range(self.max_attempts):
            area = _pyrandom.uniform(lo, hi) * height * width
            ratio = _pyrandom.uniform(*self.aspect_ratio_range)
            w = int(round(math.sqrt(area * ratio)))
            h = int(round(math.sqrt(area / ratio)))
            if w < width or h < height:
                continue
            x = _pyrandom.randint(0, w - width)
            y = _pyrandom.randint(0, h - height)
            return x, y, w, h, self._update_labels(label, (x, y, w, h), height, width)
        return ()

    def __call__(self, src, label):
        label = _as_label(label, "DetRandomPadAug")
        height, width = src.shape[0], src.shape[1]
        pad = self._random_pad_proposal(label, height, width)
        if pad:
            x, y, w, h, label = pad
            if isinstance(self.pad_val, (list, tuple)):
                fill = {"values": tuple(self.pad_val)}
            else:  # one value for every channel
                fill = {"value": float(self.pad_val)}
            src = copyMakeBorder(src, y, h - height - y, x, w - width - x, 0, **fill)
        return src, label


def _listify(value, is_single):
    return [value] if is_single(value) else list(value)


def CreateMultiRandCropAugmenter(min_object_covered=0.1, aspect_ratio_range=(0.75, 1.33), area_range=(0.05, 1.0),
                                 min_eject_coverage=0.3, max_attempts=50, skip_prob=0):
    """A ``DetRandomSelectAug`` of ``DetRandomCropAug``s, one per value of the parameters given as lists (the
    others are shared; lists must have one length), skipped with probability ``skip_prob``."""
    def number(v):
        return not isinstance(v, (list, tuple))

    def pair(v):
        return isinstance(v, (list, tuple)) and len(v) > 0 and not isinstance(v[0], (list, tuple))

    params = {"min_object_covered": _listify(min_object_covered, number),
              "aspect_ratio_range": _listify(aspect_ratio_range, pair),
              "area_range": _listify(area_range, pair),
              "min_eject_coverage": _listify(min_eject_coverage, number),
              "max_attempts": _listify(max_attempts, number)}
    n = max(len(v) for v in params.values())
    for name, v in params.items():
        if len(v) not in (1, n):
            raise ValueError("CreateMultiRandCropAugmenter: %s has %d values, the other lists %d"
                             % (name, len(v), n))
        if len(v) == 1:
            params[name] = v * n
    augs = [DetRandomCropAug(min_object_covered=params["min_object_covered"][i],
                             aspect_ratio_range=tuple(params["aspect_ratio_range"][i]),
                             area_range=tuple(params["area_range"][i]),
                             min_eject_coverage=params["min_eject_coverage"][i],
                             max_attempts=params["max_attempts"][i]) for i in range(n)]
    return DetRandomSelectAug(augs, skip_prob=skip_prob)


def _check_mean_std(v, imagenet, who, name):
    if v is True:
        return imagenet
    if v is None:
        return None
    arr = np.asarray(v.asnumpy() if isinstance(v, nd.NDArray) else v)
    if arr.ndim != 1 or arr.shape[0] not in (1, 3):
        raise ValueError("%s: %s must have 1 or 3 values, got shape %s" % (who, name, arr.shape))
    return arr


def CreateDetAugmenter(data_shape, resize=0, rand_crop=0, rand_pad=0, rand_gray=0, rand_mirror=False, mean=None,
                       std=None, brightness=0, contrast=0, saturation=0, pca_noise=0, hue=0, inter_method=2,
                       min_object_covered=0.1, aspect_ratio_range=(0.75, 1.33), area_range=(0.05, 3.0),
                       min_eject_coverage=0.3, max_attempts=50, pad_val=(127, 127, 127)):
    """MXNet's detection augmenter list for ``data_shape`` (c, h, w): resize the shorter edge (``resize``), random
    crops (probability ``rand_crop``), mirror (``rand_mirror``, probability 0.5), random padding (probability
    ``rand_pad``, area up to ``area_range[1]``), resize to (w, h), cast to float32, colour jitter, hue, lighting
    noise, grey, normalise (``mean`` / ``std``, True for ImageNet's)."""
    auglist = []
    if resize > 0:
        auglist.append(DetBorrowAug(ResizeAug(resize, inter_method)))
    if rand_crop > 0:
        auglist.append(CreateMultiRandCropAugmenter(min_object_covered, aspect_ratio_range, area_range,
                                                    min_eject_coverage, max_attempts, skip_prob=(1 - rand_crop)))
    if rand_mirror > 0:
        auglist.append(DetHorizontalFlipAug(0.5))
    if rand_pad > 0:
        pad_aug = DetRandomPadAug(aspect_ratio_range, (1.0, area_range[1]), max_attempts, pad_val)
        auglist.append(DetRandomSelectAug([pad_aug], 1 - rand_pad))
    auglist.append(DetBorrowAug(ForceResizeAug((data_shape[2], data_shape[1]), inter_method)))
    auglist.append(DetBorrowAug(CastAug()))
    if brightness or contrast or saturation:
        auglist.append(DetBorrowAug(ColorJitterAug(brightness, contrast, saturation)))
    if hue:
        auglist.append(DetBorrowAug(HueJitterAug(hue)))
    if pca_noise > 0:
        auglist.append(DetBorrowAug(LightingAug(pca_noise, _IMAGENET_EIGVAL, _IMAGENET_EIGVEC)))
    if rand_gray > 0:
        auglist.append(DetBorrowAug(RandomGrayAug(rand_gray)))
    mean = _check_mean_std(mean, _IMAGENET_MEAN, "CreateDetAugmenter", "mean")
    std = _check_mean_std(std, _IMAGENET_STD, "CreateDetAugmenter", "std")
    if mean is not None or std is not None:
        auglist.append(DetBorrowAug(ColorNormalizeAug(mean, std)))
    return auglist


class ImageDetIter(ImageIter):
    """Batches of images and their boxes (MXNet's ``mx.image.ImageDetIter``), from a RecordIO file
    (``path_imgrec``, ``path_imgidx`` for shuffling and parts), a .lst file (``path_imglist``: index, the raw label,
    path, tab-separated) or ``imglist`` (``[raw label, path]`` items) under ``path_root``; see the module's notes
    for the label format.

    ``label_shape`` (max objects, object width) is measured over the data set at construction; the batch's labels
    are (batch, max objects, object width), padded with -1. Each image is decoded (RGB), run with its label through
    ``aug_list`` (default ``CreateDetAugmenter(data_shape, **kwargs)``), and laid out (3, h, w) as float32.
    ``last_batch_handle``: as ``ImageIter``.
    """

    def __init__(self, batch_size, data_shape, path_imgrec=None, path_imglist=None, path_root=None, path_imgidx=None,
                 shuffle=False, part_index=0, num_parts=1, aug_list=None, imglist=None, data_name="data",
                 label_name="label", last_batch_handle="pad", **kwargs):
        from . import io as _io
        self.check_data_shape(data_shape)
        if aug_list is None:
            aug_list = CreateDetAugmenter(data_shape, **kwargs)
        super().__init__(batch_size, data_shape, label_width=1, path_imgrec=path_imgrec, path_imglist=path_imglist,
                         path_root=path_root, path_imgidx=path_imgidx, shuffle=shuffle, part_index=part_index,
                         num_parts=num_parts, aug_list=aug_list, imglist=imglist, data_name=data_name,
                         label_name=label_name, dtype="float32", last_batch_handle=last_batch_handle)
        self.data_name, self.label_name = data_name, label_name
        self.label_shape = self._estimate_label_shape()
        self.provide_label = [_io.DataDesc(label_name, (self.batch_size,) + self.label_shape)]

    # -------------------------------------------------------------------------------------------- labels
    @staticmethod
    def check_data_shape(data_shape):
        """Checks that ``data_shape`` is (3, height, width)."""
        if len(data_shape) != 3:
            raise ValueError("ImageDetIter: data_shape should have length 3, with dimensions CxHxW, got %s"
                             % (tuple(data_shape),))
        if data_shape[0] != 3:
            raise ValueError("ImageDetIter: This iterator expects inputs to have 3 channels, data_shape %s"
                             % (tuple(data_shape),))

    def _parse_label(self, label):
        """The objects (count, width) of a raw label, without those of no area."""
        raw = np.asarray(label.asnumpy() if isinstance(label, nd.NDArray) else label, np.float32).ravel()
        if raw.size < 7:
            raise RuntimeError("ImageDetIter: Label shape is invalid: %s (a raw label is [header width, object "
                               "width, ..., objects])" % (raw.shape,))
        header_width, obj_width = int(raw[0]), int(raw[1])
        if header_width < 2 or obj_width < 5 or header_width >= raw.size:
            raise RuntimeError("ImageDetIter: Label shape is invalid: %s with header width %d and object width %d "
                               "(at least 2 and 5)" % (raw.shape, header_width, obj_width))
        if (raw.size - header_width) % obj_width != 0:
            raise RuntimeError("ImageDetIter: Label shape %s inconsistent with annotation width %d (header width %d)."
                               % (raw.shape, obj_width, header_width))
        out = raw[header_width:].reshape(-1, obj_width)
        valid = (out[:, 3] > out[:, 1]) & (out[:, 4] > out[:, 2])
        if not valid.any():
            raise RuntimeError("ImageDetIter: Encounter sample with no valid label.")
        return out[valid]

    def _check_valid_label(self, label):
        """Checks an augmented label: (objects, width >= 5) with a box of positive area."""
        if len(label.shape) != 2 or label.shape[1] < 5:
            raise RuntimeError("ImageDetIter: Label with shape (1+, 5+) required, %s received." % (label.shape,))
        valid = (label[:, 0] >= 0) & (label[:, 3] > label[:, 1]) & (label[:, 4] > label[:, 2])
        if not valid.any():
            raise RuntimeError("ImageDetIter: Invalid label occurs.")

    def _estimate_label_shape(self):
        """(max objects, object width) over the whole data set (one pass over the labels)."""
        max_count, width = 0, None
        self.reset()
        while True:
            s = self._next_sample()
            if s is None:
                break
            label = self._parse_label(s[0])
            if width is not None and label.shape[1] != width:
                raise RuntimeError("ImageDetIter: the samples' objects have different widths, %d and %d"
                                   % (width, label.shape[1]))
            width = label.shape[1]
            max_count = max(max_count, label.shape[0])
        self.reset()
        if width is None:
            raise RuntimeError("ImageDetIter: the data set is empty")
        return (max_count, width)

    def check_label_shape(self, label_shape):
        """Checks that ``label_shape`` (objects, width) keeps the width and does not drop objects."""
        if len(label_shape) != 2:
            raise ValueError("ImageDetIter: label_shape should have length 2, got %s" % (tuple(label_shape),))
        if label_shape[0] < self.label_shape[0]:
            raise ValueError("ImageDetIter: Attempts to reduce label count from %d to %d, not allowed."
                             % (self.label_shape[0], label_shape[0]))
        if label_shape[1] != self.provide_label[0].shape[2]:
            raise ValueError("ImageDetIter: label_shape object width inconsistent: %d vs %d."
                             % (self.provide_label[0].shape[2], label_shape[1]))

    def reshape(self, data_shape=None, label_shape=None):
        """Changes the batches' data shape (3, h, w) and/or label shape (objects, width)."""
        from . import io as _io
        if data_shape is not None:
            self.check_data_shape(data_shape)
            self.provide_data = [_io.DataDesc(self.data_name, (self.batch_size,) + tuple(data_shape))]
            self.data_shape = tuple(data_shape)
        if label_shape is not None:
            self.check_label_shape(label_shape)
            self.provide_label = [_io.DataDesc(self.label_name, (self.batch_size,) + tuple(label_shape))]
            self.label_shape = tuple(label_shape)

    def sync_label_shape(self, it, verbose=False):
        """Gives this iterator and ``it`` (another ImageDetIter) the same label shape, the larger object count;
        returns ``it``."""
        if not isinstance(it, ImageDetIter):
            raise TypeError("ImageDetIter.sync_label_shape: it must be an ImageDetIter, not %s" % type(it).__name__)
        train, val = self.label_shape, it.label_shape
        if train[1] != val[1]:
            raise ValueError("ImageDetIter.sync_label_shape: object widths differ: %d vs %d" % (train[1], val[1]))
        count = max(train[0], val[0])
        if count > train[0]:
            self.reshape(None, (count, train[1]))
        if count > val[0]:
            it.reshape(None, (count, val[1]))
        if verbose and count > min(train[0], val[0]):
            logging.info("Resized label_shape to (%d, %d).", count, train[1])
        return it

    # -------------------------------------------------------------------------------------------- images
    def imdecode(self, s):
        """Decodes an encoded image to an RGB NDArray (height, width, 3)."""
        return imdecode(s)

    def read_image(self, fname):
        """The bytes of the image file ``fname`` under ``path_root``."""
        with open(os.path.join(self._root, fname), "rb") as f:
            return f.read()

    def check_valid_image(self, data):
        """Checks that a decoded image is not empty."""
        if len(data[0].shape) == 0:
            raise RuntimeError("ImageDetIter: Data shape is wrong")

    def augmentation_transform(self, data, label):
        """Runs the image and its label through ``auglist``."""
        for aug in self.auglist:
            data, label = aug(data, label)
        return data, label

    def postprocess_data(self, datum):
        """(h, w, c) -> (c, h, w)."""
        return nd.transpose(datum, axes=(2, 0, 1))

    def _sample_to_arrays(self, raw_label, buf):
        img = self.imdecode(buf)
        self.check_valid_image([img])
        img, label = self.augmentation_transform(img, self._parse_label(raw_label))
        want = (self.data_shape[1], self.data_shape[2], self.data_shape[0])
        if tuple(img.shape) != want:
            raise ValueError("ImageDetIter: the augmented image has shape %s, data_shape %s needs %s"
                             % (tuple(img.shape), self.data_shape, want))
        label = np.asarray(label.asnumpy() if isinstance(label, nd.NDArray) else label, np.float32)
        self._check_valid_label(label)
        if label.shape[0] > self.label_shape[0] or label.shape[1] != self.label_shape[1]:
            raise ValueError("ImageDetIter: an augmented label has shape %s, label_shape is %s"
                             % (label.shape, self.label_shape))
        return self.postprocess_data(img), label

    def next(self):
        from . import io as _io
        samples, pad = self._batch_samples()
        datas = []
        labels = np.full((self.batch_size,) + tuple(self.label_shape), -1.0, np.float32)
        for i, (raw_label, buf) in enumerate(samples):
            img, label = self._sample_to_arrays(raw_label, buf)
            datas.append(img)
            labels[i, :label.shape[0]] = label
        data = nd.stack(*datas).astype("float32")
        return _io.DataBatch([data], [nd.array(labels)], pad=pad)

    __next__ = next

    def draw_next(self, color=None, thickness=2, mean=None, std=None, clip=True, waitKey=None,
                  window_name="draw_next", id2labels=None):
        """Yields the next images (RGB uint8 NumPy arrays, height x width x 3) with their boxes drawn, ``color``
        (RGB; random per box when None) and ``thickness`` pixels wide. ``mean`` / ``std`` (True: ImageNet's) undo
        the normalisation; ``clip`` clips to [0, 255]. With ``waitKey`` set, each image is also shown with OpenCV's
        ``cv2.imshow`` (needs the cv2 module), its class names from ``id2labels`` written at the boxes."""
        mean = _IMAGENET_MEAN if mean is True else mean
        std = _IMAGENET_STD if std is True else std
        cv2 = None
        if waitKey is not None:
            try:
                import cv2
            except ImportError as e:
                raise ImportError("ImageDetIter.draw_next: showing images (waitKey) needs OpenCV's cv2 module") from e
        while True:
            sample = self._next_sample()
            if sample is None:
                return
            img, label = self._sample_to_arrays(*sample)
            image = img.asnumpy().transpose(1, 2, 0).astype(np.float64)
            if std is not None:
                image *= np.asarray(std, np.float64)
            if mean is not None:
                image += np.asarray(mean, np.float64)
            if clip:
                image = np.clip(image, 0, 255)
            image = image.astype(np.uint8)
            height, width = image.shape[:2]
            for obj in label:
                if obj[0] < 0:
                    continue
                c = color if color is not None else tuple(_pyrandom.randint(0, 255) for _ in range(3))
                x1, y1 = int(round(obj[1] * width)), int(round(obj[2] * height))
                x2, y2 = int(round(obj[3] * width)), int(round(obj[4] * height))
                _draw_rectangle(image, x1, y1, x2, y2, c, thickness)
                if cv2 is not None and id2labels is not None:
                    name = id2labels.get(int(obj[0]), str(int(obj[0])))
                    cv2.putText(image, name, (x1, max(y1 - 2, 0)), cv2.FONT_HERSHEY_SIMPLEX, 0.5, c, 1)
            if cv2 is not None:
                cv2.imshow(window_name, image[:, :, ::-1])
                cv2.waitKey(waitKey)
            yield image


def _draw_rectangle(image, x1, y1, x2, y2, color, thickness):
    """Draws the outline of the box (x1, y1)-(x2, y2) (pixels, inclusive), ``thickness`` pixels inward."""
    height, width = image.shape[:2]
    x1, x2 = sorted((max(0, min(width - 1, x1)), max(0, min(width - 1, x2))))
    y1, y2 = sorted((max(0, min(height - 1, y1)), max(0, min(height - 1, y2))))
    t = max(1, int(thickness))
    col = np.asarray(color, np.uint8)[:image.shape[2]]
    image[y1:min(y1 + t, y2 + 1), x1:x2 + 1] = col
    image[max(y2 - t + 1, y1):y2 + 1, x1:x2 + 1] = col
    image[y1:y2 + 1, x1:min(x1 + t, x2 + 1)] = col
    image[y1:y2 + 1, max(x2 - t + 1, x1):x2 + 1] = col
