"""CSV files: pyarrow's parser over memory-mapped blocks, the csv module for the exact slow path.

Bytes come from ``.sources`` (plain, compressed, stdin, pipes). With ``crimeharm[fast]`` a large
file's plain lines are read by the compiled tokenizer (``.compiled``); from a line it declines,
a run of lines (64 Ki, doubling at each decline) goes to pyarrow. A block pyarrow reads cleanly
is parsed in pieces of 32 MiB; a block it cannot read is split (a million rows, 64 Ki, 4 Ki)
until only a small piece around the bad line goes to the standard-library engine, which names
the exact line. Without pyarrow the standard-library engine reads everything (and says how to
get the fast one for a large file).
"""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
import mmap
import re
import warnings
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from ..core.events import Events
from ..errors import EventsError, MissingDependencyError
from . import dates, normalise, sources
from .arrays import arrow_of, numpy_of
from .arrow import (
    _owned_columns,
)
from .chunks import (
    _CODE,
    _ID_FIELDS,
    MALFORMED_LINE,
    NOT_UTF8,
    Column,
    _chunk_rows,
    _empty_raw,
    _Factor,
    _Ints,
    _iterate,
    _Layout,
    _layout,
    _names,
    _Raw,
    _read_all,
    _State,
)
from .options import (
    ReadOptions,
)

__all__ = ["SlowReaderWarning", "iter_csv", "read_csv"]


_NULL_SPELLINGS = sorted(
    {v for m in normalise.NULL_MARKERS for v in (m, m.upper(), m.capitalize())} | {"NaN", "N/A"}
)
_SURROGATE = re.compile("[\udc80-\udcff]")


def _pyarrow(opts: ReadOptions) -> Any | None:
    """The pyarrow module for the CSV engine, or None for the standard library engine."""
    from .._optional import require

    if opts.engine == "python":
        return None
    try:
        require("pyarrow.csv", "arrow")
        return require("pyarrow", "arrow")
    except MissingDependencyError:
        if opts.engine in ("pyarrow", "numba"):
            raise
        return None


#: Bytes of CSV from which ``engine="auto"`` uses the compiled tokenizer (``.compiled``) when
#: numba is installed: below, importing numba and loading the tokenizer's cached machine code
#: (about 0.45 s once per process) costs more than it saves (about 0.7 ms a MB;
#: docs/preparing-data.md).
COMPILED_MIN_BYTES = 1 << 30
#: The same once numba's code is loaded in this process (by the tokenizer or the compiled
#: kernel of ``crimeharm.kernels``: its cost is paid).
COMPILED_WARM_MIN_BYTES = 4 << 20


def _numba_loaded() -> bool:
    """Whether numba's code is loaded in this process (the tokenizer or the compiled kernel)."""
    import sys

    return any(m in sys.modules for m in (f"{__package__}.compiled", "crimeharm.kernels.compiled"))


def _tokenizer(opts: ReadOptions, size: int) -> Any | None:
    """The compiled tokenizer module for ``size`` bytes of CSV, or None for pyarrow's parser.

    ``engine="numba"`` always (it needs ``crimeharm[fast]``); ``"auto"`` from
    ``COMPILED_MIN_BYTES`` (``COMPILED_WARM_MIN_BYTES`` once numba's code is loaded) unless
    ``$CRIMEHARM_KERNEL`` is ``numpy`` (the reference everywhere), or the options rule the
    tokenizer out (text ids, a date format it does not read: numba is not loaded for nothing).
    """
    import os

    from ..kernels import KERNEL_ENV_VAR, compiled_available

    if opts.engine == "numba":
        if not compiled_available():
            msg = "engine='numba' needs numba: pip install 'crimeharm[fast]'"
            raise MissingDependencyError(msg)
    elif (
        opts.engine != "auto"
        or os.environ.get(KERNEL_ENV_VAR, "").strip() == "numpy"
        or opts.id_type == "str"
        or dates.fixed_layout(opts.date_format) is None
    ):
        return None
    else:
        if size < (COMPILED_WARM_MIN_BYTES if _numba_loaded() else COMPILED_MIN_BYTES):
            return None
        if not compiled_available():
            return None
    try:
        from . import compiled
    except ImportError as exc:  # numba installed but broken (a numpy it does not support)
        if opts.engine == "numba":
            msg = f"engine='numba' could not load numba ({exc}); reinstall 'crimeharm[fast]'"
            raise MissingDependencyError(msg) from exc
        warnings.warn(
            f"the compiled CSV tokenizer could not load numba ({exc}); reading with pyarrow",
            RuntimeWarning,
            stacklevel=6,
        )
        return None
    return compiled


@attrs.frozen
class _Block:
    """Whole records ``data[start:end]`` of a mapped CSV file."""

    data: Any  # mmap.mmap
    start: int
    end: int

    @property
    def view(self) -> memoryview:
        return memoryview(self.data)[self.start : self.end]

    def find(self, needle: bytes) -> int:
        return int(self.data.find(needle, self.start, self.end))

    def lines(self) -> int:
        """Physical lines in the block (a last line without a newline counts)."""
        raw = bytes(self.view)
        return raw.count(b"\n") + (0 if raw.endswith(b"\n") else 1)

    @property
    def open_end(self) -> bool:
        return bool(self.data[self.end - 1 : self.end] != b"\n")


def _last_record_end(data: Any, start: int, end: int, delimiter: str = ",") -> int:
    """The end of the last whole record in ``data[start:end]`` (0 if none), quote-aware.

    ``start`` is the start of a record. Quotes follow the csv module's rules (which the exact
    engine reads by): in a run of quotes, pairs are escaped quotes, so only runs of odd length
    change anything. Such a run opens a quoted value only at the start of a field (after a
    delimiter or a line end); inside a quoted value any odd run closes it; elsewhere (after a
    closed value, or a stray quote in an unquoted one: ``5ft 10" tall``) it is text. So an odd
    run at a field start flips the state, and any other odd run leaves it outside a quoted
    value: a line end ends a record when the odd field-start runs since the last other odd run
    are even in number.
    """
    if data.find(b'"', start, end) < 0:
        return int(data.rfind(b"\n", start, end)) + 1
    arr = np.frombuffer(data, dtype=np.uint8, count=end - start, offset=start)
    nl = np.flatnonzero(arr == 10)
    quotes = np.flatnonzero(arr == 34)
    first = np.flatnonzero(np.diff(quotes, prepend=-2) != 1)
    length = np.diff(np.append(first, quotes.size))
    run = quotes[first][length % 2 == 1]
    before = np.where(run > 0, arr[np.maximum(run - 1, 0)], 10)
    edges = np.frombuffer(delimiter.encode("utf-8")[:1] + b"\r\n", dtype=np.uint8)
    at_start = np.isin(before, edges)
    flips, resets = run[at_start], run[~at_start]
    last_reset = np.searchsorted(resets, nl) - 1
    padded = np.append(resets, -1)  # index -1 (no reset yet): position -1
    since = padded[last_reset]
    count = np.searchsorted(flips, nl) - np.searchsorted(flips, since, side="right")
    ends = nl[count % 2 == 0]
    return start + int(ends[-1]) + 1 if ends.size else 0


def _body_end(data: Any, start: int) -> int:
    """End of the body of a mapped CSV: blank lines at the very end are not rows."""
    size = len(data)
    while size > start and data[size - 1 : size] in (b"\n", b"\r"):
        size -= 1
    if size < len(data):  # keep one whole line end, "\r\n" included
        size += 2 if data[size : size + 2] == b"\r\n" else 1
    return size


def _blocks(
    data: Any, start: int, stop: int, chunk_rows: int, delimiter: str = ","
) -> Iterator[_Block]:
    """Records in ``data[start:stop]`` as blocks of about ``chunk_rows`` records.

    Block sizes in bytes follow the mean line length of the first 64 KiB; blocks end at record
    ends (a newline inside a quoted value does not end a record).
    """
    if stop <= start:
        return
    sample = bytes(data[start : min(stop, start + (1 << 16))])
    per_line = len(sample) / max(sample.count(b"\n"), 1)
    step = max(int(min(chunk_rows * per_line, stop - start)), 1)
    pos = start
    while pos < stop:
        end = stop if pos + step >= stop else _last_record_end(data, pos, pos + step, delimiter)
        while end <= pos:  # no record ends within the step: widen it
            wider = pos + 2 * max(end - pos, step)
            end = stop if wider >= stop else _last_record_end(data, pos, wider, delimiter)
            step *= 2
        yield _Block(data, pos, end)
        pos = end


def _header(data: Any, source: str, opts: ReadOptions) -> tuple[list[str], int]:
    """Column names from line 1 (a UTF-8 byte-order mark is skipped), and where the body starts."""
    end = data.find(b"\n")
    line = bytes(data[: len(data) if end < 0 else end + 1])
    body = len(line)
    if not line:
        msg = (
            f"{source} is empty (0 bytes): expected a header line naming the columns "
            f"({opts.offender_id}, {opts.offence_code}, {opts.date}) and one line per event"
        )
        raise EventsError(msg, source=source)
    if line.startswith((b"\xff\xfe", b"\xfe\xff")):
        msg = f"{source} is UTF-16 text: save it as UTF-8 (in Excel: 'CSV UTF-8')"
        raise EventsError(msg, source=source, row=1)
    line = line.removeprefix(b"\xef\xbb\xbf")
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        msg = (
            f"{source}, line 1: the header is not UTF-8 ({exc.reason} at byte {exc.start}); "
            f"save the file as UTF-8 (in Excel: 'CSV UTF-8')"
        )
        raise EventsError(msg, source=source, row=1) from None
    if not text.strip():
        msg = f"{source}, line 1: blank; expected a header line naming the columns"
        raise EventsError(msg, source=source, row=1)
    names = next(csv.reader([text.rstrip("\r\n")], delimiter=opts.delimiter))
    return names, body


#: Rows per block when read_csv falls back from one block (or has no pyarrow).
_FALLBACK_ROWS = 1_000_000


#: Bytes read from a stream (stdin, a pipe, a compressed file) at a time by ``iter_csv``.
_SEGMENT_BYTES = 64 << 20


def _segments(data: Any, delimiter: str = ",") -> Iterator[tuple[Any, bool]]:
    """``data`` as pieces that end at record ends, each with whether it is the last.

    Bytes or a mapped file are one piece; a stream (``.sources.open_stream``) is read
    ``_SEGMENT_BYTES`` at a time, cut after its last whole record (quote-aware).
    """
    if isinstance(data, (bytes, mmap.mmap)):
        yield data, True
        return
    buffer = b""
    while True:
        chunk = data.read(_SEGMENT_BYTES)
        if not chunk:
            yield buffer, True
            return
        buffer += chunk
        cut = _last_record_end(buffer, 0, len(buffer), delimiter)
        if cut:
            yield buffer[:cut], False
            buffer = buffer[cut:]


def _csv_raws(
    data: Any, source: str, opts: ReadOptions, chunk_rows: int | None, state: _State
) -> Iterator[_Raw]:
    """Raw chunks of CSV bytes or a stream (``.sources``).

    ``chunk_rows=None``: one block where pyarrow reads it cleanly; a block pyarrow cannot read
    is split into smaller ones (a million rows, then 64 Ki, then 4 Ki) and only the smallest
    piece holding the bad line is read by the exact (slow) engine.
    """
    pa = _pyarrow(opts)
    pieces = _segments(data, opts.delimiter)
    first, first_is_last = next(pieces)
    names, body = _header(first, source, opts)
    layout = _layout(names, opts, source)
    line = 2
    produced = False
    seen = 0
    for k, (segment, last) in enumerate(itertools.chain([(first, first_is_last)], pieces)):
        start = body if k == 0 else 0
        seen += len(segment)
        if pa is None and opts.engine == "auto" and (last or seen > _SLOW_WARN_BYTES):
            _warn_slow(source, seen)
        stop = _body_end(segment, start) if last else len(segment)
        if stop <= start:
            continue
        for raw, lines in _segment_raws(
            pa, segment, start, stop, line, layout, opts, state, source, chunk_rows
        ):
            produced = True
            yield raw
            line += lines
    if not produced:  # a header and nothing else (or only blank lines)
        yield _empty_raw(layout, opts, source, 2)


def _segment_raws(
    pa: Any,
    data: Any,
    start: int,
    stop: int,
    line: int,
    layout: _Layout,
    opts: ReadOptions,
    state: _State,
    source: str,
    chunk_rows: int | None,
) -> Iterator[tuple[_Raw, int]]:
    """Raw chunks of the records in ``data[start:stop]``, the first on file line ``line``."""
    rows = chunk_rows or (_FALLBACK_ROWS if pa is None else stop)  # stop >= rows
    pending = [(b, rows) for b in _blocks(data, start, stop, rows, opts.delimiter)]
    pending.reverse()
    tokenizer = None if pa is None else _tokenizer(opts, stop - start)
    run = _DECLINED_ROWS
    while pending:
        block, size = pending.pop()
        parsed = None
        if tokenizer is not None and size > 0:  # size < 0: a run the tokenizer declined
            read = tokenizer.read_block(
                block.data, block.start, block.end, line, layout, opts, source
            )
            if isinstance(read, int):  # not plain from ``read``: a run of lines to pyarrow
                # (declined at once, or a chunk of iter_csv: pyarrow reads the whole block)
                if chunk_rows is None and read > block.start:
                    pending.extend(_declined(block, read, run, size, opts.delimiter))
                    run *= 2  # lines that are not plain tend to recur: fewer, longer runs
                    continue
            else:
                parsed = read
                if chunk_rows is not None:  # bounded memory: else the file is unmapped next
                    _release(block)
        size = abs(size)
        if pa is not None and parsed is None:
            parsed = _arrow_block(pa, block, line, layout, opts, state, source)
        smaller = next((r for r in _SPLIT_ROWS if r < size), None)
        if parsed is None and pa is not None and smaller is not None and chunk_rows is None:
            # not clean: split, so the slow engine reads only a small piece around the problem
            pieces = list(_blocks(data, block.start, block.end, smaller, opts.delimiter))
            if len(pieces) > 1:
                pending.extend((piece, smaller) for piece in reversed(pieces))
                continue
        if parsed is None:
            raw, lines = _python_block(block, line, layout, opts, source)
        else:
            raw, lines = parsed
            raw.exact = _exact(block, line, layout, opts, source)
        if block.open_end:
            raw.open_line = line + lines - 1
        yield raw, lines
        line += lines


#: Lines from one the tokenizer declined that go to pyarrow; doubled at each decline in a file.
_DECLINED_ROWS = 1 << 16


def _declined(
    block: _Block, at: int, run: int, size: int, delimiter: str
) -> list[tuple[_Block, int]]:
    """Pending blocks (last first) after the tokenizer declined ``block`` at the line starting
    at ``at`` (after its first line): its plain lines before ``at`` (tokenized again), about
    ``run`` lines from ``at`` for pyarrow (a negative size: not to be tokenized), and the rest
    (tokenized)."""
    data = block.data
    stop = next(_blocks(data, at, block.end, run, delimiter)).end
    pieces = [(_Block(data, stop, block.end), size), (_Block(data, at, stop), -run)]
    pieces.append((_Block(data, block.start, at), size))
    return [(b, s) for b, s in pieces if b.end > b.start]


#: Block sizes (rows) a block pyarrow cannot parse is split into, in turn.
_SPLIT_ROWS = (_FALLBACK_ROWS, 1 << 16, 1 << 12)
#: Above this size a file read without pyarrow gets a warning saying how to read it faster.
_SLOW_WARN_BYTES = 50 << 20


class SlowReaderWarning(UserWarning):
    """A large file is read by the standard-library CSV engine (pyarrow is not installed)."""


def _warn_slow(source: str, size: int) -> None:
    if size > _SLOW_WARN_BYTES:
        msg = (
            f"{source}: reading {size / 1e6:,.0f} MB with the standard-library CSV engine, "
            "which is many times slower; pip install 'crimeharm[arrow]' for the fast one"
        )
        warnings.warn(msg, SlowReaderWarning, stacklevel=4)


def _exact(
    block: _Block, line: int, layout: _Layout, opts: ReadOptions, source: str
) -> Callable[[int], _Raw]:
    """Re-read row ``row`` of a block that pyarrow parsed (one row per line) as text."""

    def parse(row: int) -> _Raw:
        start, end = _line_span(block, row)
        one, _ = _python_block(_Block(block.data, start, end), line + row, layout, opts, source)
        if block.open_end and end == block.end:
            one.open_line = line + row
        return one

    return parse


def _line_span(block: _Block, row: int) -> tuple[int, int]:
    """Byte range of line ``row`` (from 0) of a block, found 16 MiB at a time."""
    seen = 0
    pos = block.start
    step = 1 << 24
    while pos < block.end:
        stop = min(pos + step, block.end)
        arr = np.frombuffer(block.data, dtype=np.uint8, count=stop - pos, offset=pos)
        ends = np.flatnonzero(arr == 10)
        if seen + ends.size > row:
            end = pos + int(ends[row - seen]) + 1
            start = pos + int(ends[row - seen - 1]) + 1 if row > seen else None
            if start is None:
                start = (
                    int(block.data.rfind(b"\n", block.start, pos)) + 1 if pos > block.start else pos
                )
                start = max(start, block.start)
            return start, end
        seen += ends.size
        pos = stop
    last = int(block.data.rfind(b"\n", block.start, block.end)) + 1
    return max(last, block.start), block.end


#: Bytes of a CSV block pyarrow parses at a time; pages already parsed leave the process's
#: memory (they stay in the page cache), so a large file is never resident as a whole.
_PIECE_BYTES = 32 << 20


def _pieces(
    block: _Block, size: int, *, quoted: bool = True, delimiter: str = ","
) -> Iterator[_Block]:
    """Whole records of ``block`` in pieces of about ``size`` bytes (``quoted=False``: the
    block is known to hold no quote, so every LF ends a record)."""
    pos = block.start
    while pos < block.end:
        if pos + size >= block.end:
            end = block.end
        elif quoted:
            end = _last_record_end(block.data, pos, pos + size, delimiter)
        else:
            end = int(block.data.rfind(b"\n", pos, pos + size)) + 1
        if end <= pos:  # no record ends within the piece: the rest in one
            end = block.end
        yield _Block(block.data, pos, end)
        pos = end


def _release(block: _Block) -> None:
    """Let the kernel drop the mapped pages of ``block`` from this process (a hint only)."""
    with contextlib.suppress(AttributeError, OSError, ValueError):
        start = block.start - block.start % mmap.PAGESIZE
        block.data.madvise(mmap.MADV_DONTNEED, start, block.end - start)


def _arrow_block(
    pa: Any,
    block: _Block,
    first: int,
    layout: _Layout,
    opts: ReadOptions,
    state: _State,
    source: str,
) -> tuple[_Raw, int] | None:
    """Parse a block with pyarrow: ids as int64 (when proven exact) and ISO dates natively.

    The first attempt reads id columns as int64 and then checks, by ``_canonical_bytes``, that
    every value was written exactly as its number reads (so ``"007"`` or ``"+7"`` cannot hide
    in an int64); where that is not proven, ids are read as text and the id policy reads them
    (``.ids``). Dates that are not all ISO are read as text for the date rules (``.dates``).
    """
    import pyarrow.csv as pacsv

    text = pa.dictionary(pa.int32(), pa.string())
    native_dates = opts.date_format is None
    ids = [layout.fields[f] for f in _ID_FIELDS if f in layout.fields]
    attempts: list[tuple[bool, bool]] = []
    if opts.id_type != "str" and ids:  # each piece is checked by _plain_lines first
        attempts.append((True, native_dates))
    attempts.append((False, native_dates))
    if native_dates:
        attempts.append((False, False))
    col = [f"c{i}" for i in range(len(layout.names))]
    while attempts:
        int_ids, iso = attempts.pop(0)
        types: dict[str, Any] = {col[i]: text for i in layout.fields.values()}
        for i in ids:  # ids as plain text: the id policy reads them (ids.py)
            types[col[i]] = pa.int64() if int_ids else pa.string()
        if iso:
            types[col[layout.fields["date"]]] = pa.date32()
        types.update({col[i]: text for i in layout.carried.values()})  # most repeat
        if int_ids:  # every column, so that every byte of the block is accounted for
            types.update({c: pa.string() for c in col if c not in types})
        tables = []
        lines = 0
        try:
            for piece in _pieces(block, _PIECE_BYTES, quoted=not int_ids, delimiter=opts.delimiter):
                if int_ids and not _plain_lines(piece):  # checked as its pages come in
                    raise _NotProvenError
                part = pacsv.read_csv(
                    pa.BufferReader(pa.py_buffer(piece.view)),
                    read_options=pacsv.ReadOptions(column_names=col, block_size=4 << 20),
                    parse_options=pacsv.ParseOptions(
                        delimiter=opts.delimiter, ignore_empty_lines=int_ids
                    ),
                    convert_options=pacsv.ConvertOptions(
                        column_types=types,
                        include_columns=list(types),
                        null_values=_NULL_SPELLINGS,
                        strings_can_be_null=False,
                        quoted_strings_can_be_null=False,
                        check_utf8=True,
                    ),
                )
                # rows are lines unless a quoted value spans lines; a blank line reads as a
                # row with every field empty: either way the exact engine numbers the rows
                plain = int_ids or piece.find(b'"') < 0  # int_ids: no quote (_plain_lines)
                lines += part.num_rows if plain else piece.lines()
                tables.append(part)
                _release(piece)
            if not tables:
                return None
            table = tables[0] if len(tables) == 1 else pa.concat_tables(tables)
            if iso and _before_year_one(pa, table.column(col[layout.fields["date"]])):
                continue  # year 0, which pyarrow reads and the date rules refuse: dates as text
            if int_ids:
                written = block.end - block.start + (1 if block.open_end else 0)
                proven, table = _canonical_bytes(pa, table, len(col))
                if proven != written:
                    continue  # not proven: read the ids as text
            break
        except (pa.ArrowInvalid, pa.ArrowTypeError, _NotProvenError):
            continue
    else:
        return None
    del tables
    rows = table.num_rows
    arrays = {i: table.column(col[i]) for i in {*layout.fields.values(), *layout.carried.values()}}
    del table
    columns, carried = _owned_columns(pa, arrays, layout)
    if rows != lines or _any_blank_row(columns, carried):
        return None
    return _Raw(rows, columns, carried, _names(layout), source, first), lines


#: 0001-01-01 in days since 1970: pyarrow's date parser reads year 0, Python's dates start here.
_YEAR_ONE = -719162


def _before_year_one(pa: Any, dates: Any) -> bool:
    """Whether a date32 column holds a day before 0001-01-01 (year 0: not a date by the rules)."""
    import pyarrow.compute as pc

    low = pc.min(dates.cast(pa.int32())).as_py()
    return low is not None and low < _YEAR_ONE


class _NotProvenError(Exception):
    """A piece of a block cannot be proven by its bytes (``_plain_lines``): ids as text."""


def _plain_lines(block: _Block) -> bool:
    """Whether the block has no quote, no carriage return and no hex number (``0x1F``, which
    pyarrow reads as an integer and can be as short as a decimal): each line ends in one LF,
    and every spelling of an integer other than its decimal text is longer than it."""
    if block.find(b'"') >= 0 or block.find(b"\r") >= 0:
        return False
    for letter in (b"x", b"X"):
        at = block.find(letter)
        for _ in range(_X_SEEN):
            if at < 0:
                break
            if block.data[at - 1 : at] == b"0":
                return False
            at = int(block.data.find(letter, at + 1, block.end))
        if at >= 0:  # too many to look at: not proven
            return False
    return True


#: Letters x or X a block may hold (in text) before the integer-id proof is not tried.
_X_SEEN = 64


def _canonical_bytes(pa: Any, table: Any, width: int) -> tuple[int | None, Any]:
    """Bytes of ``table`` written canonically, one LF-ended line per row (None if unknown),
    and the table with its int64 columns in one chunk each (read by numpy without a copy).

    A block with no quote and no CR, parsed with every column, takes exactly this many bytes
    only if each value is spelled canonically: every other spelling pyarrow accepts is longer
    (an integer with leading zeros, a sign on zero, spaces, a null marker for a null; a skipped
    blank line adds its LF; hex, which can be as short, is ruled out by ``_plain_lines``). So
    equality proves that every int64 is the decimal text of its value, as the id policy
    requires for integer ids.
    Columns are measured in threads (numpy and Arrow release the GIL).
    """
    with ThreadPoolExecutor(max_workers=2) as pool:
        sizes = list(pool.map(lambda column: _column_bytes(pa, column), table.columns))
    total: int | None = int(table.num_rows) * width  # width - 1 delimiters and an LF per row
    for i, (size, values) in enumerate(sizes):
        if size is None or total is None:
            total = None
        else:
            total += size
        if values is not None:
            field = table.schema.field(i)
            table = table.set_column(i, field, pa.chunked_array([arrow_of(values)]))
    return total, table


def _column_bytes(pa: Any, column: Any) -> tuple[int | None, npt.NDArray[np.int64] | None]:
    """Bytes of one column's values written canonically (None if unknown); an int64 column
    without nulls also as one numpy array."""
    kind = column.type
    valid = len(column) - column.null_count
    if pa.types.is_int64(kind):
        return _decimal_bytes(pa, column)
    if pa.types.is_date32(kind):
        return 10 * valid, None  # pyarrow reads only YYYY-MM-DD as date32
    total = 0
    if pa.types.is_string(kind) and not column.null_count:
        for chunk in column.chunks:
            offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int32)
            total += int(offsets[chunk.offset + len(chunk)] - offsets[chunk.offset])
        return total, None
    if pa.types.is_dictionary(kind) and not column.null_count:
        for chunk in column.chunks:
            values = chunk.dictionary
            offsets = np.frombuffer(values.buffers()[1], dtype=np.int32)
            sizes = np.diff(offsets[values.offset : values.offset + len(values) + 1])
            index = numpy_of(chunk.indices)
            total += int(sizes[index].sum()) if index.size else 0
        return total, None
    return None, None


def _decimal_bytes(pa: Any, column: Any) -> tuple[int | None, npt.NDArray[np.int64] | None]:
    """Characters of the decimal text of an int64 column's values (nulls: 0; None for the
    smallest int64, whose size numpy cannot hold); the values as one array when no null."""
    import pyarrow.compute as pc

    valid = len(column) - column.null_count
    if not valid:
        return 0, None
    bounds = pc.min_max(column).as_py()
    low, high = bounds["min"], bounds["max"]
    if low == np.iinfo(np.int64).min:  # its size does not fit an int64
        return None, None
    values = numpy_of(column.fill_null(0) if column.null_count else column)
    size = np.abs(values) if low < 0 else values
    smallest = 0 if column.null_count else int(size.min())
    digits_low = len(str(smallest))
    digits_high = len(str(max(abs(low), abs(high))))
    count = len(column) * digits_low  # a null filled with 0 counts one digit: taken off below
    for k in range(digits_low, digits_high):
        count += int(np.count_nonzero(size >= 10**k))
    if low < 0:
        count += int(np.count_nonzero(values < 0))
    return count - int(column.null_count), None if column.null_count else values


def _empty_rows(column: Column) -> npt.NDArray[np.bool_]:
    if isinstance(column, _Ints):
        return column.null
    if column.dictionary is not None:
        import pyarrow.compute as pc

        values = column.dictionary
        mask = pc.fill_null(pc.equal(values, ""), True) if values.null_count else None
        if mask is None:
            mask = pc.equal(values, "") if len(values) else values.is_null()
        empty = np.append(np.asarray(numpy_of(mask), dtype=bool), True)
    else:
        empty = np.array([v is None or v == "" for v in column.table], dtype=bool)
    return np.asarray(empty[column.index], dtype=bool)


def _any_blank_row(columns: Mapping[str, Column], carried: Mapping[str, npt.NDArray[Any]]) -> bool:
    """Whether some row has every field empty (how pyarrow reads a blank line)."""
    blank = _empty_rows(columns["offender_id"])
    if not blank.any():
        return False
    for name, column in columns.items():
        if name != "offender_id":
            blank = blank & _empty_rows(column)
    for values in carried.values():
        blank = blank & (values == "")
    return bool(blank.any())


def _python_block(
    block: _Block, first: int, layout: _Layout, opts: ReadOptions, source: str
) -> tuple[_Raw, int]:
    """Parse a block with the csv module: exact line numbers, malformed and non-UTF-8 rows."""
    text = bytes(block.view).decode("utf-8", "surrogateescape")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=opts.delimiter)
    width = len(layout.names)
    fields = list(layout.fields.items())
    tables: dict[str, dict[str, int]] = {f: {} for f, _ in fields}
    index: dict[str, list[int]] = {f: [] for f, _ in fields}
    carried: dict[str, list[str]] = {n: [] for n in layout.carried}
    lines: list[int] = []
    preset: list[int] = []
    notes: dict[int, tuple[str | None, str, Any]] = {}
    prev = 0
    while True:
        problem: tuple[np.int8, str | None, str, Any] | None = None
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            values = []
            problem = (_CODE[MALFORMED_LINE], None, f"cannot be read as CSV ({exc})", None)
        start, prev = prev + 1, reader.line_num
        if not values and problem is None:
            continue  # a blank line is not a row
        row = len(lines)
        lines.append(first + start - 1)
        if problem is None and len(values) != width:
            got = len(values)
            note = f"expected {width} fields as in the header, got {got}"
            problem = (_CODE[MALFORMED_LINE], None, note, None)
        if problem is None:
            for j, value in enumerate(values):
                if _SURROGATE.search(value):
                    raw_bytes = value.encode("utf-8", "surrogateescape")
                    note = "holds bytes that are not UTF-8"
                    problem = (_CODE[NOT_UTF8], layout.names[j], note, raw_bytes)
                    break
        if problem is not None:
            preset.append(int(problem[0]))
            notes[row] = problem[1:]
            for f, _ in fields:
                index[f].append(-1)
            for name in carried:
                carried[name].append("")
            continue
        preset.append(0)
        for f, pos in fields:
            table = tables[f]
            index[f].append(table.setdefault(values[pos], len(table)))
        for name, pos in layout.carried.items():
            carried[name].append(values[pos])
    n = len(lines)
    columns: dict[str, Column] = {
        f: _Factor(np.array(index[f], dtype=np.intp), [*tables[f], None]) for f, _ in fields
    }
    kept = {k: np.array(v, dtype=np.str_) if v else np.empty(0, "<U1") for k, v in carried.items()}
    line_arr = np.array(lines, dtype=np.int64)
    raw = _Raw(
        n,
        columns,
        kept,
        _names(layout),
        source,
        first,
        lines=line_arr,
        preset=np.array(preset, dtype=np.int8) if any(preset) else None,
        notes=notes,
    )
    return raw, block.lines()


def iter_csv(path: str | Path, *, chunk_rows: int = 1_000_000, **options: Any) -> Iterator[Events]:
    """Events from a CSV file, ``chunk_rows`` rows at a time (memory stays bounded).

    Options are those of [`ReadOptions`][crimeharm.ReadOptions]. Each chunk's ``dropped`` counts its
    own excluded rows; ``first_line`` is set so errors name file lines. With ``id_type="auto"`` the
    first chunk decides the id type; text ids after integer ones raise (read_csv decides over the
    whole file instead).
    """
    opts = ReadOptions.from_keywords(options)
    rows = _chunk_rows(chunk_rows)
    return _iter_csv(path, opts, rows)


def _iter_csv(path: str | Path, opts: ReadOptions, rows: int) -> Iterator[Events]:
    source = sources.source_name(path)
    with sources.open_stream(path) as data:  # a pipe or a compressed file: a piece at a time
        yield from _iterate(lambda state: _csv_raws(data, source, opts, rows, state), opts)


def read_csv(path: str | Path, *, chunk_rows: int | None = None, **options: Any) -> Events:
    """Events from a CSV file (UTF-8, header line; options of
    [`ReadOptions`][crimeharm.ReadOptions]).

    ``path`` may be compressed (``.gz``, ``.bz2``, ``.zst``, ...), a named pipe, or ``"-"`` for
    standard input (``.sources``). The same events as joining [`iter_csv`][crimeharm.iter_csv]
    chunks. ``chunk_rows=None`` reads the file as one block where pyarrow parses it cleanly
    (fastest); a block it cannot parse is split until only a small piece goes to the exact engine.
    """
    opts = ReadOptions.from_keywords(options)
    rows = None if chunk_rows is None else _chunk_rows(chunk_rows)
    source = sources.source_name(path)
    with sources.open_bytes(path) as data:
        return _read_all(lambda state: _csv_raws(data, source, opts, rows, state), opts)
