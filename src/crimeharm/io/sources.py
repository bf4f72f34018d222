"""Where CSV bytes come from: a plain file (memory-mapped), a compressed file, a pipe or stdin.

* A **regular file** is memory-mapped: nothing is copied, pages already parsed are released.
* A **compressed file** is recognised by its suffix (``COMPRESSED``: ``.gz``, ``.bz2``,
  ``.zst``/``.zstd``, ``.lz4``, ``.xz``) or, on stdin, a pipe or a misnamed file, by its first
  bytes, and decompressed into memory with pyarrow's codecs (gzip, bz2 and xz also work
  without pyarrow, through the standard library).
* **Standard input** is the path ``"-"``; a **named pipe** (FIFO) or other non-regular file is
  read to its end. Both are held in memory (they cannot be read twice).
* ``open_bytes`` gives the whole input (what ``read_csv`` needs); ``open_stream`` gives a
  regular file mapped, and anything else as a stream read piece by piece, so ``iter_csv`` of a
  compressed file or a pipe holds only a piece at a time.
* **Line endings**: ``\\n`` and ``\\r\\n`` are read as they are; a file whose lines end in a
  lone ``\\r`` (classic Mac OS, some old exports) is read with each ``\\r`` as a line end.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import io
import lzma
import mmap
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import EventsError, MissingDependencyError

__all__ = ["COMPRESSED", "STDIN", "compression_of", "open_bytes", "open_stream", "source_name"]

#: The path that means standard input.
STDIN = "-"
#: Suffix -> pyarrow codec name.
COMPRESSED = {
    ".gz": "gzip",
    ".gzip": "gzip",
    ".bz2": "bz2",
    ".zst": "zstd",
    ".zstd": "zstd",
    ".lz4": "lz4",
    ".xz": "xz",
}
_STDLIB = {"gzip": gzip.decompress, "bz2": bz2.decompress, "xz": lzma.decompress}
#: Leading bytes of each codec's stream (how stdin, a pipe or a misnamed file is recognised).
_MAGIC = {
    b"\x1f\x8b": "gzip",
    b"BZh": "bz2",
    b"\x28\xb5\x2f\xfd": "zstd",
    b"\xfd7zXZ\x00": "xz",
    b"\x04\x22\x4d\x18": "lz4",
}


def _sniff(head: bytes) -> str | None:
    """The codec whose magic bytes start ``head``, or None (plain text)."""
    return next((codec for magic, codec in _MAGIC.items() if head.startswith(magic)), None)


def source_name(path: str | Path) -> str:
    """How ``path`` is named in messages."""
    return "<stdin>" if str(path) == STDIN else str(path)


def compression_of(path: str | Path) -> str | None:
    """The codec a file's suffix names (``events.csv.gz`` -> ``"gzip"``), or None."""
    return COMPRESSED.get(Path(str(path)).suffix.lower())


def _decompress(raw: bytes, codec: str, source: str) -> bytes:
    try:
        import pyarrow as pa
    except ImportError:
        if codec not in _STDLIB:
            msg = (
                f"{source}: reading {codec}-compressed files needs pyarrow "
                "(pip install 'crimeharm[arrow]'), or decompress the file first"
            )
            raise MissingDependencyError(msg) from None
        try:
            return bytes(_STDLIB[codec](raw))
        except (OSError, EOFError, ValueError, lzma.LZMAError) as exc:
            msg = f"{source}: cannot be decompressed as {codec} ({exc}); export it again"
            raise EventsError(msg, source=source) from None
    try:
        with pa.input_stream(pa.py_buffer(raw), compression=codec) as stream:
            return bytes(stream.read())
    except (pa.ArrowException, OSError, ValueError) as exc:
        msg = f"{source}: cannot be decompressed as {codec} ({exc}); export it again"
        raise EventsError(msg, source=source) from None


def _in_memory(raw: bytes, source: str, codec: str | None = None) -> bytes:
    """Bytes read whole: decompressed (by suffix, else by magic bytes), line ends fixed."""
    codec = codec or _sniff(raw[:8])
    if codec is not None:
        raw = _decompress(raw, codec, source)
    return _line_ends(raw)


def _lone_cr(data: Any) -> bool:
    """Whether lines end in a lone CR: a CR comes before any LF, not followed by one."""
    head = bytes(data[: 1 << 16])
    cr = head.find(b"\r")
    if cr < 0:
        return False
    lf = head.find(b"\n")
    return (lf < 0 or cr < lf) and head[cr + 1 : cr + 2] != b"\n"


@contextlib.contextmanager
def open_bytes(path: str | Path) -> Iterator[Any]:
    """The bytes of a CSV source: an mmap of a regular file, else ``bytes`` in memory.

    Raises EventsError for a directory or a missing file, naming it.
    """
    source = source_name(path)
    if str(path) == STDIN:
        yield _in_memory(sys.stdin.buffer.read(), source)
        return
    file = Path(path)
    try:
        info = file.stat()
    except FileNotFoundError:
        msg = f"{source}: no such file"
        raise EventsError(msg, source=source) from None
    except OSError as exc:
        msg = f"{source}: cannot open ({exc.strerror or exc})"
        raise EventsError(msg, source=source) from None
    if stat.S_ISDIR(info.st_mode):
        msg = f"{source} is a directory, not a CSV file"
        raise EventsError(msg, source=source)
    codec = compression_of(file)
    if codec is not None or not stat.S_ISREG(info.st_mode):  # a pipe, a device: read once
        with _open(file, source) as fh:
            yield _in_memory(fh.read(), source, codec)
        return
    if info.st_size == 0:
        yield b""
        return
    with _open(file, source) as fh:
        if _sniff(fh.read(8)) is not None:  # compressed, whatever its name says
            fh.seek(0)
            yield _in_memory(fh.read(), source)
            return
        mapped = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        try:
            if _lone_cr(mapped):
                yield _line_ends(bytes(mapped))
            else:
                yield mapped
        finally:
            with contextlib.suppress(BufferError):  # a view still referenced: closed when freed
                mapped.close()


def _open(file: Path, source: str) -> Any:
    try:
        return file.open("rb")
    except OSError as exc:
        msg = f"{source}: cannot open ({exc.strerror or exc})"
        raise EventsError(msg, source=source) from None


def _line_ends(data: bytes) -> bytes:
    return data.replace(b"\r", b"\n") if _lone_cr(data) else data


def is_seekable(path: str | Path) -> bool:
    """Whether ``path`` can be read more than once (not stdin, not a pipe)."""
    if str(path) == STDIN:
        return False
    with contextlib.suppress(OSError):
        return stat.S_ISREG(Path(path).stat().st_mode)
    return False


class _Stream:
    """Bytes of a stream, decompressed and with lone-CR line ends made LF, ``read(n)`` at a time."""

    def __init__(self, reader: Any, source: str, codec: str | None) -> None:
        self._reader = reader
        self._source = source
        self._codec = codec
        self._lone_cr: bool | None = None

    def read(self, size: int) -> bytes:
        try:
            data = bytes(self._reader.read(size))
        except (OSError, EOFError, ValueError, lzma.LZMAError) as exc:
            msg = (
                f"{self._source}: cannot be decompressed as {self._codec} ({exc}); export it again"
            )
            raise EventsError(msg, source=self._source) from None
        except Exception as exc:  # pyarrow's codecs raise ArrowException (not imported here)
            if type(exc).__module__.startswith("pyarrow"):
                msg = f"{self._source}: cannot be read as {self._codec} ({exc}); export it again"
                raise EventsError(msg, source=self._source) from None
            raise
        if self._lone_cr is None and data:
            self._lone_cr = _lone_cr(data)
        return data.replace(b"\r", b"\n") if self._lone_cr else data


def _decompressing(fh: Any, codec: str | None, source: str) -> Any:
    """A reader of ``fh`` that decompresses ``codec`` (None: as it is)."""
    if codec is None:
        return fh
    if codec == "gzip":
        return gzip.GzipFile(fileobj=fh)
    if codec == "bz2":
        return bz2.BZ2File(fh)
    if codec == "xz":
        return lzma.LZMAFile(fh)
    try:
        import pyarrow as pa
    except ImportError:
        msg = (
            f"{source}: reading {codec}-compressed files needs pyarrow "
            "(pip install 'crimeharm[arrow]'), or decompress the file first"
        )
        raise MissingDependencyError(msg) from None
    return pa.CompressedInputStream(pa.PythonFile(fh, mode="r"), codec)


@contextlib.contextmanager
def open_stream(path: str | Path) -> Iterator[Any]:
    """A regular file as ``open_bytes`` gives it; stdin, pipes and compressed files as a
    stream with ``read(n)`` (decompressed, line ends fixed), never held whole in memory."""
    source = source_name(path)
    if str(path) == STDIN:
        fh = sys.stdin.buffer
        if not hasattr(fh, "peek"):  # a replaced stdin (tests, notebooks): buffer it
            fh = io.BufferedReader(fh)
        codec = _sniff(bytes(fh.peek(8)[:8]))
        yield _Stream(_decompressing(fh, codec, source), source, codec)
        return
    file = Path(path)
    try:
        info = file.stat()
    except OSError:
        info = None
    codec = compression_of(file)
    if info is None or stat.S_ISDIR(info.st_mode) or (codec is None and stat.S_ISREG(info.st_mode)):
        with open_bytes(path) as data:  # errors, and plain files (mapped: nothing held)
            yield data
        return
    with _open(file, source) as fh:
        if codec is None:
            codec = _sniff(bytes(fh.peek(8)[:8]))
        yield _Stream(_decompressing(fh, codec, source), source, codec)
