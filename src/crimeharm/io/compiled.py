"""The compiled CSV tokenizer (``pip install crimeharm[fast]``): clean blocks in one numba pass.

A block of a CSV file is read here only when every line is plain: the header's number of
fields, not all empty, no quote, no carriage return, integer ids written as their decimal text
(no sign on zero, no leading zero, within int64 but not its smallest value) or empty
(missing), dates that are calendar days written zero-padded to the date format (ISO
``YYYY-MM-DD``, or a layout of ``%Y``, ``%m``, ``%d`` and punctuation:
``.dates.fixed_layout``) or empty, and at most ``MAX_DISTINCT`` distinct values per text
column in each thread's share. Such a block gives, value for value, what pyarrow's parser and
the checks of ``.csv`` give. At any other line the tokenizer declines, saying where that line
starts: ``.csv`` tokenizes the lines before it and sends a run of lines from it to the
pyarrow path, which names every problem. Tokenizing proves the id rule as it goes, so
``.csv``'s byte count is not needed. A block is cut at line ends into one share per thread;
numba drops the GIL.

Importing this module imports numba; ``.csv`` does so only for large files
(``COMPILED_MIN_BYTES``) or when asked (``engine="numba"``).
"""

from __future__ import annotations

import itertools
from typing import Any

import attrs
import numba
import numpy as np
import numpy.typing as npt

from ..kernels.threads import num_threads, run_each
from . import dates
from .arrays import arrow_strings, pooled_empty
from .chunks import _Factor, _Ints, _Layout, _names, _Raw

__all__ = ["MAX_DISTINCT", "read_block"]

#: Distinct values a text column (offence code, carried column) may have in one thread's share
#: of a block; more and the block takes the pyarrow path (a hash table this size stays in cache).
MAX_DISTINCT = 1 << 16
#: Bytes a thread's share holds at least: smaller blocks use fewer threads.
_MIN_SHARE_BYTES = 4 << 20

_SKIP, _INT, _DATE, _TEXT = 0, 1, 2, 3
_NAT = np.iinfo(np.int64).min  # NaT as datetime64
_INT64_MAX = np.uint64(np.iinfo(np.int64).max)
_NOT_DATE = np.iinfo(np.int64).min + 1  # _day: not a date written to the layout
_YEAR, _MONTH = dates.YEAR, dates.MONTH
_NOT_SEPARATOR = b'0123456789-"\r\n'

_jit = numba.njit(cache=True, nogil=True)


@_jit
def _count_lines(buf, start, stop):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    """Line feeds in ``buf[start:stop]``."""
    n = 0
    for i in range(start, stop):
        n += buf[i] == 10
    return n


@_jit
def _day(buf, pos, stop, layout):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    """Days since 1970-01-01 of the calendar date written to ``layout`` at ``buf[pos:]``
    (``.dates.fixed_layout``; year 1 on, proleptic Gregorian), or ``_NOT_DATE``."""
    if pos + layout.size > stop:
        return _NOT_DATE
    y = np.int64(0)
    m = np.int64(0)
    d = np.int64(0)
    for j in range(layout.size):
        b = np.int64(buf[pos + j])
        code = layout[j]
        if code < _YEAR:
            if b != code:
                return _NOT_DATE
            continue
        digit = b - 48
        if digit < 0 or digit > 9:
            return _NOT_DATE
        if code == _YEAR:
            y = y * 10 + digit
        elif code == _MONTH:
            m = m * 10 + digit
        else:
            d = d * 10 + digit
    if y < 1 or m < 1 or m > 12 or d < 1:
        return _NOT_DATE
    if m == 2:
        last = 29 if (y % 4 == 0 and y % 100 != 0) or y % 400 == 0 else 28
    elif m == 4 or m == 6 or m == 9 or m == 11:
        last = 30
    else:
        last = 31
    if d > last:
        return _NOT_DATE
    yy = y - (1 if m <= 2 else 0)  # days from civil (H. Hinnant's algorithm)
    era = yy // 400
    yoe = yy - era * 400
    doy = (153 * ((m + 9) % 12) + 2) // 5 + d - 1
    return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468


@_jit
def _tokenize(buf, start, stop, sep, special, kinds, slots, layout, at, ints, days, null, index, first, length, keys, count, table, where):  # type: ignore[no-untyped-def]  # noqa: E501  # pragma: no cover  # fmt: skip
    """Tokenize the lines of ``buf[start:stop]`` into row ``at`` onwards of the outputs.

    ``buf[stop - 1]`` is a line feed: every scan ends at a line's LF, so none checks ``stop``.

    ``kinds[c]``/``slots[c]``: what column ``c`` is and which output row it fills (``ints``,
    ``index`` by slot; ``days``); ``null`` marks empty ids (by slot) and dates (last row).
    Text is hashed into ``table`` (open addressing, -1 empty); ``first``/``length``/``keys``
    hold each distinct value's bytes (``keys``: the last 8), ``count`` how many. Returns the rows
    read, or -1 where a line is not plain; ``where[0]`` is then where that line starts.
    """
    width = kinds.size
    mask = table.shape[1] - 1
    cap = first.shape[1]
    pos = start
    row = at
    while pos < stop:
        where[0] = pos
        for c in range(width):
            kind = kinds[c]
            begin = pos
            if kind == 1:  # an integer id, as its decimal text, or empty (missing)
                negative = buf[pos] == 45
                if negative:
                    pos += 1
                digits = pos
                value = np.uint64(0)  # 19 digits fit; int64 is checked below
                while True:  # ends at the line's LF at the latest
                    d = np.uint8(buf[pos] - np.uint8(48))
                    if d > 9:
                        break
                    value = value * np.uint64(10) + np.uint64(d)
                    pos += 1
                n = pos - digits
                if n == 0 and not negative and special[buf[pos]] == 1:
                    ints[slots[c], row] = 0
                    null[slots[c], row] = True
                else:
                    if n == 0 or n > 19 or (buf[digits] == 48 and (n > 1 or negative)):
                        return -1
                    if value > _INT64_MAX:  # (and the smallest int64: pyarrow reads it as text)
                        return -1
                    ints[slots[c], row] = -np.int64(value) if negative else np.int64(value)
            elif kind == 2:  # a date written to ``layout``, or empty (missing)
                day = _day(buf, pos, stop, layout)
                if day != _NOT_DATE:
                    days[row] = day
                    pos += layout.size
                elif special[buf[pos]] == 1:
                    days[row] = _NAT
                    null[-1, row] = True
                else:
                    return -1
            elif kind == 0:  # a column not read
                while special[buf[pos]] == 0:
                    pos += 1
                if special[buf[pos]] == 2:
                    return -1
            else:  # text
                key = np.uint64(0)  # the last 8 bytes: the whole value up to 8 bytes long
                while True:
                    b = buf[pos]
                    if special[b]:
                        if special[b] == 2:
                            return -1
                        break
                    key = (key << np.uint64(8)) | np.uint64(b)
                    pos += 1
                s = slots[c]
                n = pos - begin
                h = (key ^ np.uint64(n) ^ (key >> np.uint64(29))) * np.uint64(0xFF51AFD7ED558CCD)
                i = np.int64((h ^ (h >> np.uint64(32))) & np.uint64(mask))
                while True:
                    e = table[s, i]
                    if e < 0:
                        e = count[s]
                        if e >= cap:
                            return -1
                        first[s, e] = begin
                        length[s, e] = n
                        keys[s, e] = key
                        count[s] = e + 1
                        table[s, i] = e
                        break
                    if length[s, e] == n and keys[s, e] == key:
                        if n <= 8:  # the key is the value
                            break
                        o = first[s, e]
                        same = True
                        for j in range(n - 8):
                            if buf[o + j] != buf[begin + j]:
                                same = False
                                break
                        if same:
                            break
                    i = (i + 1) & mask
                index[s, row] = e
            if buf[pos] != (10 if c == width - 1 else sep):
                return -1
            pos += 1
        if pos - where[0] == width:  # every field empty: pyarrow's path reads it as text
            return -1
        row += 1
    return row - at


def _shares(data: Any, start: int, stop: int, threads: int) -> list[tuple[int, int]]:
    """``[start, stop)`` cut after line feeds into about ``threads`` shares of whole lines."""
    parts = max(1, min(threads, (stop - start) // _MIN_SHARE_BYTES))
    cuts = [start]
    for k in range(1, parts):
        at = int(data.find(b"\n", start + (stop - start) * k // parts, stop)) + 1
        if at > cuts[-1] and at < stop:
            cuts.append(at)
    cuts.append(stop)
    return list(itertools.pairwise(cuts))


@attrs.frozen(eq=False)
class _Plan:
    """How the tokenizer reads a file's columns."""

    kinds: npt.NDArray[np.int8]  # per column: _SKIP, _INT, _DATE or _TEXT
    slots: npt.NDArray[np.int64]  # per column: its row in the outputs of its kind
    dates: npt.NDArray[np.int64]  # the date column's layout (``.dates.fixed_layout``)


def _plan(layout: _Layout, opts: Any) -> _Plan | None:
    """How to read ``layout``'s columns, or None when the tokenizer cannot read them."""
    written = dates.fixed_layout(opts.date_format)
    sep = opts.delimiter.encode("utf-8")
    if opts.id_type == "str" or written is None or len(sep) != 1 or sep in _NOT_SEPARATOR:
        return None
    if sep[0] in written:  # a delimiter inside the date ("/" and %d/%m/%Y)
        return None
    kinds = np.zeros(len(layout.names), dtype=np.int8)
    slots = np.zeros(len(layout.names), dtype=np.int64)
    used: dict[int, int] = {}
    for field, i in layout.fields.items():
        kind = _DATE if field == "date" else _TEXT if field == "offence_code" else _INT
        if i in used and used[i] != kind:
            return None
        used[i] = kind
    for i in layout.carried.values():
        if used.get(i, _TEXT) != _TEXT:
            return None
        used[i] = _TEXT
    counters = {_INT: 0, _DATE: 0, _TEXT: 0}
    for i, kind in sorted(used.items()):
        kinds[i] = kind
        slots[i] = counters[kind]
        counters[kind] += 1
    return _Plan(kinds, slots, np.array(written, dtype=np.int64))


def read_block(
    data: Any, start: int, stop: int, first: int, layout: _Layout, opts: Any, source: str
) -> tuple[_Raw, int] | int:
    """The rows of ``data[start:stop]`` (whole lines, the first on file line ``first``) and the
    lines they take; or, when some line is not plain, where the first such line starts (the
    lines before it are plain; the caller reads the rest another way).

    A large block is probed first (its first ``_PROBE_BYTES``, on one thread), so a file whose
    lines are seldom plain is declined before the whole block is counted and tokenized.
    """
    plan = _plan(layout, opts)
    if plan is None or stop <= start:
        return start
    if data[stop - 1 : stop] != b"\n":  # a last line with no LF: pyarrow reads that one
        return int(data.rfind(b"\n", start, stop)) + 1 or start
    buf = np.frombuffer(data, dtype=np.uint8)
    if stop - start > 2 * _PROBE_BYTES:
        probe = int(data.rfind(b"\n", start, start + _PROBE_BYTES)) + 1
        if probe > start:
            probed = _tokenized(data, buf, [(start, probe)], plan, opts.delimiter)
            if isinstance(probed, int):
                return probed
    shares = _shares(data, start, stop, num_threads(None))
    done = _tokenized(data, buf, shares, plan, opts.delimiter)
    if isinstance(done, int):
        return done
    rows, ints, days, null, index, texts = done
    raw = _raw(layout, plan, ints, days, null, index, texts, rows, source, first)
    return raw, rows


#: Bytes of a large block the tokenizer tries first (``read_block``).
_PROBE_BYTES = 1 << 20


def _tokenized(
    data: Any,
    buf: npt.NDArray[np.uint8],
    shares: list[tuple[int, int]],
    plan: _Plan,
    delimiter: str,
) -> tuple[int, Any, Any, Any, Any, list[list[str]]] | int:
    """``(rows, ints, days, null, index, texts)`` of the lines of ``shares`` (one thread each), or
    where the first line that is not plain starts."""
    kinds, slots, layout = plan.kinds, plan.slots, plan.dates
    start, stop = shares[0][0], shares[-1][1]
    counts = run_each(lambda s: int(_count_lines(buf, s[0], s[1])), shares)
    rows = sum(counts)
    n_int = int(np.count_nonzero(kinds == _INT))
    n_text = int(np.count_nonzero(kinds == _TEXT))
    ints = pooled_empty((n_int, rows), np.int64)
    days = pooled_empty((rows,), np.int64)
    null = np.zeros((n_int + 1, rows), dtype=np.bool_)  # pages untouched until a value is missing
    index = pooled_empty((n_text, rows), np.int32)
    offsets = np.cumsum([0, *counts[:-1]]).tolist()
    sep = np.uint8(ord(delimiter))
    special = np.zeros(256, dtype=np.uint8)  # 1: ends a value, 2: not plain
    special[[sep, 10]] = 1
    special[[34, 13]] = 2

    def tokenize(k: int) -> tuple[int, Any, Any, Any, int]:
        first_at = np.empty((n_text, MAX_DISTINCT), dtype=np.int64)
        length = np.empty((n_text, MAX_DISTINCT), dtype=np.int64)
        keys = np.empty((n_text, MAX_DISTINCT), dtype=np.uint64)
        count = np.zeros(n_text, dtype=np.int64)
        table = np.full((n_text, 2 * MAX_DISTINCT), -1, dtype=np.int32)
        where = np.full(1, stop, dtype=np.int64)
        a, b = shares[k]
        got = _tokenize(buf, a, b, sep, special, kinds, slots, layout, offsets[k], ints, days,
                        null, index, first_at, length, keys, count, table, where)  # fmt: skip
        return int(got), first_at, length, count, int(where[0])

    results = run_each(tokenize, list(range(len(shares))))
    for (got, *_, at), want in zip(results, counts, strict=True):
        if got != want:  # the first share that declined: its lines before ``at`` are plain
            return at if got < 0 else start
    texts = _texts(data, results, offsets, index, n_text)
    if texts is None:
        return start
    return rows, ints, days, null, index, texts


def _texts(
    data: Any,
    results: list[tuple[int, Any, Any, Any, int]],
    offsets: list[int],
    index: npt.NDArray[np.int32],
    n_text: int,
) -> list[list[str]] | None:
    """Each text column's distinct values (UTF-8; None if some are not), with ``index``
    renumbered in place from each share's own numbering to one over the whole block."""
    texts: list[list[str]] = []
    renumber: list[tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]] = []
    for s in range(n_text):
        seen: dict[str, int] = {}
        for k, (got, first_at, length, count, _) in enumerate(results):
            lut = np.empty(int(count[s]), dtype=np.int32)
            for e in range(int(count[s])):
                a = int(first_at[s, e])
                try:
                    value = bytes(data[a : a + int(length[s, e])]).decode("utf-8")
                except UnicodeDecodeError:
                    return None
                lut[e] = seen.setdefault(value, len(seen))
            if k and not np.array_equal(lut, np.arange(lut.size)):
                renumber.append((index[s, offsets[k] : offsets[k] + got], lut))
        texts.append(list(seen))
    run_each(lambda a: _renumber(*a), renumber)
    return texts


@_jit
def _renumber(part, lut):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    """``part[:] = lut[part]``, in place."""
    for i in range(part.size):
        part[i] = lut[part[i]]


def _raw(
    layout: _Layout,
    plan: _Plan,
    ints: npt.NDArray[np.int64],
    days: npt.NDArray[np.int64],
    null: npt.NDArray[np.bool_],
    index: npt.NDArray[np.int32],
    texts: list[list[str]],
    rows: int,
    source: str,
    first: int,
) -> _Raw:
    """The reader's chunk, as the pyarrow path builds it for the same rows."""
    columns: dict[str, Any] = {}
    for field, i in layout.fields.items():
        s = int(plan.slots[i])
        if plan.kinds[i] == _INT:
            columns[field] = _Ints(ints[s], null[s])
        elif plan.kinds[i] == _DATE:
            columns[field] = _Ints(days.view("datetime64[D]"), null[-1])
        else:
            values = arrow_strings(texts[s])
            columns[field] = _Factor(index[s], None, dictionary=values, complete=True)
    carried: dict[str, npt.NDArray[Any]] = {}
    for name, i in layout.carried.items():
        s = int(plan.slots[i])
        table = np.array(texts[s], dtype=np.str_) if texts[s] else np.empty(0, dtype="<U1")
        carried[name] = table[index[s]]
    return _Raw(rows, columns, carried, _names(layout), source, first)
