"""RecordIO files (``mx.recordio``): MXNet's container for data sets of encoded images, read and written by mxc.

The format (dmlc-core's, which MXNet's ``.rec`` files use): each record is a little-endian uint32 magic number
0xced7230a, a uint32 holding the length (low 29 bits) and a continuation flag (high 3 bits), the payload, and zero
padding to a multiple of 4 bytes. A payload holding the magic number at a 4-byte-aligned offset is written as parts
(flag 1 first, 2 middle, 3 last) with the magic number left out between them; the reader puts it back. An ``.idx``
file beside it has one line ``key<TAB>offset`` per record.
"""
import io
import struct
from collections import namedtuple

import numpy as np

__all__ = ["MXRecordIO", "MXIndexedRecordIO", "IRHeader", "pack", "unpack", "pack_img", "unpack_img"]

_MAGIC = 0xced7230a
_MAGIC_BYTES = struct.pack("<I", _MAGIC)
_LEN_MASK = (1 << 29) - 1


class MXRecordIO:
    """Sequential reading (``flag='r'``) or writing (``flag='w'``) of the records of ``uri``."""

    def __init__(self, uri, flag):
        if flag not in ("r", "w"):
            raise ValueError("MXRecordIO: flag must be 'r' or 'w', got %r" % (flag,))
        self.uri = str(uri)
        self.flag = flag
        self.is_open = False
        self._f = None
        self.open()

    def open(self):
        self._f = open(self.uri, "rb" if self.flag == "r" else "wb")
        self.writable = self.flag == "w"
        self.is_open = True

    def close(self):
        if self.is_open:
            self._f.close()
            self.is_open = False

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_f"] = None
        state["is_open"] = False
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.open()

    def reset(self):
        """Goes back to the first record (reopens a file being written, which empties it)."""
        self.close()
        self.open()

    def _check(self, writing):
        if not self.is_open:
            raise ValueError("MXRecordIO: %s is closed" % self.uri)
        if writing != self.writable:
            raise ValueError("MXRecordIO: %s is open for %s" % (self.uri, "writing" if self.writable else "reading"))

    def tell(self):
        """The byte offset of the next record."""
        return self._f.tell()

    def write(self, buf):
        """Appends the record ``buf`` (bytes)."""
        self._check(True)
        buf = bytes(buf)
        parts, start = [], 0
        for pos in range(0, len(buf) - 3, 4):
            if buf[pos:pos + 4] == _MAGIC_BYTES:
                parts.append(buf[start:pos])
                start = pos + 4
        parts.append(buf[start:])
        for i, part in enumerate(parts):
            if len(part) > _LEN_MASK:
                raise ValueError("MXRecordIO: a record part of %d bytes is too long (at most %d)"
                                 % (len(part), _LEN_MASK))
            cflag = 0 if len(parts) == 1 else 1 if i == 0 else 3 if i == len(parts) - 1 else 2
            self._f.write(struct.pack("<II", _MAGIC, (cflag << 29) | len(part)))
            self._f.write(part)
            self._f.write(b"\0" * (-len(part) % 4))

    def read(self):
        """The next record (bytes), or None at the end of the file."""
        self._check(False)
        return _read_record(self._f, self.uri)


def _read_record(f, uri):
    """The record at the position of the binary file ``f`` (bytes, its parts joined), or None at its end."""
    out = []
    while True:
        head = f.read(8)
        if not head and not out:
            return None
        if len(head) < 8:
            raise ValueError("MXRecordIO: %s ends inside a record header at byte %d" % (uri, f.tell()))
        magic, lrec = struct.unpack("<II", head)
        if magic != _MAGIC:
            raise ValueError("MXRecordIO: %s is not a RecordIO file or is corrupt: bad magic number 0x%08x at "
                             "byte %d" % (uri, magic, f.tell() - 8))
        cflag, length = lrec >> 29, lrec & _LEN_MASK
        data = f.read(length + (-length % 4))
        if len(data) < length:
            raise ValueError("MXRecordIO: %s ends inside a record of %d bytes" % (uri, length))
        if (cflag in (0, 1)) != (not out):
            raise ValueError("MXRecordIO: %s is corrupt: continuation flag %d out of order at byte %d"
                             % (uri, cflag, f.tell() - length - 8))
        out.append(data[:length])
        if cflag in (0, 3):
            return _MAGIC_BYTES.join(out)


def _record_offsets(uri):
    """The byte offset of every record of the file ``uri`` (for files without an index)."""
    offsets = []
    with open(uri, "rb") as f:
        while True:
            pos = f.tell()
            if _read_record(f, uri) is None:
                return offsets
            offsets.append(pos)


class MXIndexedRecordIO(MXRecordIO):
    """Records with keys: ``idx_path`` lists each key and its offset in ``uri``, for random access."""

    def __init__(self, idx_path, uri, flag, key_type=int):
        self.idx_path = str(idx_path)
        self.idx = {}
        self.keys = []
        self.key_type = key_type
        self._fidx = None
        super().__init__(uri, flag)

    def open(self):
        super().open()
        self.idx, self.keys = {}, []
        self._fidx = open(self.idx_path, self.flag)
        if not self.writable:
            for n, line in enumerate(self._fidx):
                fields = line.strip().split("\t")
                if not fields[0]:
                    continue
                if len(fields) != 2:
                    raise ValueError("MXIndexedRecordIO: line %d of %s is not 'key<TAB>offset': %r"
                                     % (n + 1, self.idx_path, line))
                key = self.key_type(fields[0])
                self.idx[key] = int(fields[1])
                self.keys.append(key)

    def close(self):
        if self.is_open:
            super().close()
            self._fidx.close()

    def __getstate__(self):
        state = super().__getstate__()
        state["_fidx"] = None
        return state

    def seek(self, idx):
        """Moves to the record with key ``idx``."""
        self._check(False)
        if idx not in self.idx:
            raise KeyError("MXIndexedRecordIO: no record with key %r in %s" % (idx, self.idx_path))
        self._f.seek(self.idx[idx])

    def read_idx(self, idx):
        """The record with key ``idx``."""
        self.seek(idx)
        return self.read()

    def write_idx(self, idx, buf):
        """Appends the record ``buf`` under key ``idx``."""
        key = self.key_type(idx)
        pos = self.tell()
        self.write(buf)
        self._fidx.write("%s\t%d\n" % (str(key), pos))
        self.idx[key] = pos
        self.keys.append(key)


IRHeader = namedtuple("HEADER", ["flag", "label", "id", "id2"])
IRHeader.__doc__ = """An image record's header: ``flag`` (0: one float label; n > 0: n labels stored after the
header), ``label`` (a float or an array), ``id`` and ``id2`` (uint64)."""
_IR_FORMAT = "<IfQQ"
_IR_SIZE = struct.calcsize(_IR_FORMAT)


def pack(header, s):
    """An image record: ``header`` (IRHeader) and the bytes ``s``."""
    header = IRHeader(*header)
    if isinstance(header.label, (int, float, np.integer, np.floating)):
        head = struct.pack(_IR_FORMAT, 0, float(header.label), header.id, header.id2)
    else:
        label = np.asarray(header.label, dtype=np.float32).ravel()
        head = struct.pack(_IR_FORMAT, label.size, 0.0, header.id, header.id2) + label.tobytes()
    return head + bytes(s)


def unpack(s):
    """(IRHeader, payload bytes) of an image record."""
    if len(s) < _IR_SIZE:
        raise ValueError("unpack: an image record has at least %d bytes, got %d" % (_IR_SIZE, len(s)))
    header = IRHeader(*struct.unpack(_IR_FORMAT, s[:_IR_SIZE]))
    s = s[_IR_SIZE:]
    if header.flag > 0:
        n = header.flag * 4
        if len(s) < n:
            raise ValueError("unpack: the header announces %d labels but the record has %d bytes left"
                             % (header.flag, len(s)))
        header = header._replace(label=np.frombuffer(s[:n], dtype=np.float32).copy())
        s = s[n:]
    return header, s


def unpack_img(s, iscolor=-1):
    """(IRHeader, image) of an image record, the image a uint8 NumPy array in OpenCV's BGR order (as MXNet):
    iscolor 1 colour (H, W, 3), 0 grey (H, W), -1 as stored."""
    from .image import _decode_np
    header, img = unpack(s)
    if iscolor == 0:
        return header, _decode_np(img, 0, 0)[:, :, 0]
    if iscolor == -1:
        from .image import _pil
        im = _pil().open(io.BytesIO(img))
        if im.mode in ("L", "I;16", "1"):
            return header, _decode_np(img, 0, 0)[:, :, 0]
    return header, _decode_np(img, 1, 0)


def pack_img(header, img, quality=95, img_fmt=".jpg"):
    """An image record of ``img`` (uint8 NumPy array, BGR order as MXNet and OpenCV, or grey (H, W)) encoded as
    ``img_fmt`` ('.jpg' with ``quality``, or '.png' with ``quality`` as the compression level 0-9)."""
    img = np.asarray(img)
    if img.dtype != np.uint8 or img.ndim not in (2, 3) or (img.ndim == 3 and img.shape[2] not in (1, 3)):
        raise ValueError("pack_img: img must be a uint8 array (H, W), (H, W, 1) or (H, W, 3), got %s %s"
                         % (img.dtype, img.shape))
    return pack(header, _encode(img, quality, img_fmt))


def _encode(img, quality, img_fmt):
    """uint8 (H, W) grey or (H, W, 3) BGR image to JPEG or PNG bytes."""
    from .image import _pil
    if img.ndim == 3:
        img = img[:, :, 0] if img.shape[2] == 1 else img[:, :, ::-1]
    fmt = img_fmt.lower().lstrip(".")
    buf = io.BytesIO()
    im = _pil().fromarray(np.ascontiguousarray(img))
    if fmt in ("jpg", "jpeg"):
        im.save(buf, format="JPEG", quality=int(quality))
    elif fmt == "png":
        im.save(buf, format="PNG", compress_level=int(quality) if 0 <= quality <= 9 else 3)
    else:
        raise ValueError("pack_img: img_fmt must be '.jpg' or '.png', got %r" % (img_fmt,))
    return buf.getvalue()
