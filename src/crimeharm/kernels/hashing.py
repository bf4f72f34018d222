"""Vectorised hashing kernels: exact string -> index lookup and grouping of rows by key.

These replace ``np.unique(..., return_inverse=True)`` (a full sort: ~3 s for 1e7 int64 ids) with
hash tables built from numpy operations only. Every result is verified exactly: a hash collision
can cost time (another probing round, or a fallback to sorting) but never a wrong answer.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar, cast

import numpy as np
import numpy.typing as npt

from .threads import num_threads
from .threads import pool as _shared_pool

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

__all__ = [
    "CHUNK",
    "PARALLEL_MIN",
    "Groups",
    "Scratch",
    "StringIndex",
    "chunks",
    "group_rows",
    "group_sorted",
    "group_unordered",
    "pack_ascii",
    "pool",
    "run_parts",
    "sort_distinct",
    "string_hash",
    "workers",
]

IntpArray = npt.NDArray[np.intp]
U64Array = npt.NDArray[np.uint64]
_MIXERS = tuple(
    np.uint64(m)
    for m in (
        0x9E3779B97F4A7C15,
        0xBF58476D1CE4E5B9,
        0x94D049BB133111EB,
        0xD6E8FEB86659FD93,
        0xA0761D6478BD642F,
        0xE7037ED1A0B428DB,
    )
)
_SMALL = 4096  # below this many rows, sorting is as fast as hashing and simpler
_ASCII_BITS = 7
_PACK_WIDTH = 64 // _ASCII_BITS  # up to 9 ASCII characters pack into one uint64 exactly


# -- parallel execution over row ranges --------------------------------------------------------

CHUNK = 1 << 16  # rows per step inside a worker: temporaries stay in the core's cache
PARALLEL_MIN = 1 << 18  # below this many rows, one thread does everything
_T = TypeVar("_T")


def workers() -> int:
    """Worker threads to use: ``.threads.num_threads`` (CPU affinity; no cap)."""
    return num_threads()


def pool() -> ThreadPoolExecutor:
    """The shared worker pool (``.threads.pool``), with ``workers`` threads or more."""
    return _shared_pool(workers())


def _parts(n: int, count: int | None = None) -> list[tuple[int, int]]:
    """Split rows ``[0, n)`` into one contiguous range per worker, on chunk boundaries."""
    w = workers() if count is None else count
    if w <= 1 or n < PARALLEL_MIN:
        return [(0, n)]
    per = -(-n // w)  # ceil(n / w), then up to a whole number of chunks
    step = -(-per // CHUNK) * CHUNK
    return [(a, min(a + step, n)) for a in range(0, n, step)]


def run_parts(fn: Callable[[int, int], _T], n: int) -> list[_T]:
    """``fn(start, stop)`` over the parts of ``[0, n)``, on worker threads (numpy drops the GIL)."""
    parts = _parts(n)
    if len(parts) == 1:
        return [fn(*parts[0])]
    return list(pool().map(lambda p: fn(*p), parts))


def chunks(start: int, stop: int, size: int = CHUNK) -> list[tuple[int, int]]:
    """Consecutive ranges of at most ``size`` rows covering ``[start, stop)``."""
    return [(a, min(a + size, stop)) for a in range(start, stop, size)]


def _words(values: npt.NDArray[np.str_]) -> list[npt.NDArray[np.unsignedinteger]]:
    """Columns of machine words that make up each fixed-width unicode value."""
    arr = np.ascontiguousarray(values)
    width = arr.dtype.itemsize // 4
    if width == 0:
        return []
    words: npt.NDArray[np.unsignedinteger[Any]]
    if width % 2 == 0:
        words = arr.view(np.uint64).reshape(arr.shape[0], width // 2)
    else:
        words = arr.view(np.uint32).reshape(arr.shape[0], width)
    return [words[:, j] for j in range(words.shape[1])]


def string_hash(values: npt.NDArray[np.str_]) -> U64Array:
    """One uint64 hash per element of a unicode array (not injective: verify matches)."""
    cols = _words(values)
    h = np.full(values.shape[0], np.uint64(len(cols)), dtype=np.uint64)
    term = np.empty(values.shape[0], dtype=np.uint64)
    for j, col in enumerate(cols):
        np.multiply(col, _MIXERS[j % len(_MIXERS)], out=term, dtype=np.uint64)
        h ^= term
    np.right_shift(h, np.uint64(31), out=term)
    h ^= term
    return h


class Scratch:
    """Reusable work arrays for one worker thread.

    Fresh numpy temporaries of a few hundred KiB each cost page faults on every chunk (the
    allocator hands freed pages back to the system); kernels that run chunk after chunk take
    their temporaries from here instead. An array handed out is valid until the same name is
    asked for again.
    """

    def __init__(self) -> None:
        self._arrays: dict[str, npt.NDArray[Any]] = {}

    def trim(self, max_bytes: int = 1 << 20) -> None:
        """Drop the arrays larger than ``max_bytes`` (kept ones stay for the next call)."""
        self._arrays = {k: v for k, v in self._arrays.items() if v.nbytes <= max_bytes}

    def get(self, name: str, dtype: npt.DTypeLike, n: int) -> npt.NDArray[Any]:
        """An uninitialised array of ``n`` items of ``dtype``, reused across calls."""
        arr = self._arrays.get(name)
        if arr is None or arr.size < n or arr.dtype != np.dtype(dtype):
            arr = np.empty(max(n, 1), dtype=dtype)
            self._arrays[name] = arr
        return arr[:n]


_LOCAL = threading.local()


def thread_scratch() -> Scratch:
    """This thread's reusable ``Scratch`` (kept between calls: no page faults next time)."""
    scratch: Scratch | None = getattr(_LOCAL, "scratch", None)
    if scratch is None:
        scratch = _LOCAL.scratch = Scratch()
    return scratch


def pack_ascii(values: npt.NDArray[np.str_], scratch: Scratch | None = None) -> U64Array | None:
    """Each string of at most 9 ASCII characters as one uint64 (injective); None otherwise.

    Every character lands on 7 bits of its own (the layout depends only on the array's width),
    so equal packed keys mean equal strings. Returns None if the width exceeds 9 characters or
    any character is outside ASCII (callers then hash and verify instead).
    """
    width = values.dtype.itemsize // 4
    if values.dtype.kind != "U" or width > _PACK_WIDTH or values.ndim != 1:
        return None
    arr = np.ascontiguousarray(values)
    n = arr.shape[0]
    s = Scratch() if scratch is None else scratch
    key = s.get("pack.key", np.uint64, n)
    if width == 0:
        key[:] = 0
        return key
    # one OR over all the characters at once: any bit above the 7th means non-ASCII
    if width % 2 == 0:
        flat = arr.view(np.uint64)
        high = np.uint64(0xFFFFFF80FFFFFF80)
        cols = list(flat.reshape(n, width // 2).T)
    else:
        flat = arr.view(np.uint32)
        high = np.uint64(0xFFFFFF80)
        cols = list(flat.reshape(n, width).T)
    if np.uint64(np.bitwise_or.reduce(flat)) & high:
        return None
    # two UTF-32 characters per 64-bit word (bits 0..6 and 32..38 of word j) -> shift 7j;
    # with odd widths one character per 32-bit word -> shift 7j
    term = s.get("pack.term", np.uint64, n)
    for j, col in enumerate(cols):
        if j == 0:
            np.copyto(key, col)
            continue
        np.left_shift(col, np.uint64(_ASCII_BITS * j), out=term, dtype=np.uint64)
        key |= term
    return key


def _slots(h: U64Array, mixer: np.uint64, bits: int, out: U64Array | None = None) -> IntpArray:
    out = np.multiply(h, mixer, out=out)
    out >>= np.uint64(64 - bits)
    return out.view(np.intp)


_Perfect = tuple[list[npt.NDArray[np.unsignedinteger]], IntpArray, int, int]  # + mixer


class StringIndex:
    """Exact, vectorised lookup of strings in a small fixed table (a perfect hash).

    >>> idx = StringIndex(np.array(["001/01", "105/01"]))
    >>> idx.lookup(np.array(["105/01", "999/99", "001/01"])).tolist()
    [1, -1, 0]
    """

    def __init__(self, table: npt.NDArray[np.str_]) -> None:
        self.table = np.asarray(table, dtype=np.str_)
        self._by_width: dict[int, _Perfect | None] = {}
        self._packed_by_width: dict[int, tuple[U64Array, IntpArray, np.uint64, int] | None] = {}

    def _build(self, width: int) -> _Perfect | None:
        fits = np.flatnonzero(np.char.str_len(self.table) <= width)
        padded = self.table.astype(f"<U{width}")  # codes longer than width never match: masked
        h = string_hash(padded)
        if np.unique(h[fits]).size != fits.size:
            return None  # two codes share a 64-bit hash: no perfect hash; lookup sorts instead
        bits = max(8, int(2 * max(self.table.size, 1)).bit_length() + 1)
        while True:
            for k, mixer in enumerate(_MIXERS):
                slots = _slots(h[fits], mixer, bits)
                if np.unique(slots).size == slots.size:
                    table = np.full(1 << bits, -1, dtype=np.intp)
                    table[slots] = fits
                    return _words(padded), table, bits, k
            bits += 1

    def _packed(self, width: int) -> tuple[U64Array, IntpArray, np.uint64, int] | None:
        """A perfect hash over the table's packed keys at ``width`` (None: not short ASCII)."""
        if width in self._packed_by_width:
            return self._packed_by_width[width]
        fits = np.flatnonzero(np.char.str_len(self.table) <= width)
        keys = pack_ascii(self.table[fits].astype(f"<U{max(width, 1)}"))
        found: tuple[U64Array, IntpArray, np.uint64, int] | None = None
        if keys is not None:
            bits = max(8, int(2 * max(keys.size, 1)).bit_length() + 1)
            while found is None:
                for mixer in _MIXERS:
                    slots = _slots(keys, mixer, bits)
                    if np.unique(slots).size == slots.size:
                        tkeys = np.full(1 << bits, np.uint64(2**64 - 1), dtype=np.uint64)
                        rows = np.full(1 << bits, -1, dtype=np.intp)
                        tkeys[slots] = keys
                        rows[slots] = fits
                        found = (tkeys, rows, mixer, bits)
                        break
                bits += 1
        self._packed_by_width[width] = found
        return found

    def lookup(self, values: npt.NDArray[np.str_], scratch: Scratch | None = None) -> IntpArray:
        """Position of each value in the table, or -1 where it is absent.

        With ``scratch`` the result lives in the scratch arrays (valid until the next call).
        """
        values = np.asarray(values)
        if values.dtype.kind != "U":
            values = values.astype(np.str_)
        if values.size == 0 or self.table.size == 0:
            return np.full(values.shape[0], -1, dtype=np.intp)
        width = values.dtype.itemsize // 4
        packed = self._packed(width) if width <= _PACK_WIDTH else None
        if packed is not None:
            s = Scratch() if scratch is None else scratch
            keys = pack_ascii(values, s)
            if keys is not None:
                n = keys.size
                tkeys, rows, mixer, bits = packed
                slot = _slots(keys, mixer, bits, out=s.get("lookup.slot", np.uint64, n))
                idx = np.take(rows, slot, out=s.get("lookup.idx", np.intp, n))
                found = np.take(tkeys, slot, out=s.get("lookup.key", np.uint64, n))
                miss = np.not_equal(found, keys, out=s.get("lookup.miss", np.bool_, n))
                if miss.any():
                    idx[miss] = -1
                return idx
        if width not in self._by_width:
            self._by_width[width] = self._build(width)
        built = self._by_width[width]
        if built is None:
            return self._sorted_lookup(values)
        table_words, table, bits, which = built  # the mixer belongs to this width's table
        idx = table[_slots(string_hash(values), _MIXERS[which], bits)]
        candidate = np.maximum(idx, 0)
        ok = idx >= 0
        for table_col, col in zip(table_words, _words(values), strict=True):
            ok &= table_col[candidate] == col
        idx[~ok] = -1
        return idx

    def _sorted_lookup(self, values: npt.NDArray[np.str_]) -> IntpArray:
        """Exact lookup by binary search (the slow path when hashing cannot separate codes)."""
        order = np.argsort(self.table, kind="stable")
        ordered = self.table[order]
        pos = np.minimum(np.searchsorted(ordered, values), ordered.size - 1)
        return np.where(ordered[pos] == values, order[pos], -1).astype(np.intp)


class Groups:
    """Rows grouped by key: ``label[i]`` in ``[0, size)`` is row i's group label.

    Only the labels in ``used`` occur; ``first[j]`` is the first row carrying ``used[j]``.
    Aggregate with ``np.bincount(label, minlength=size)[used]``. Labels from ``group_rows``
    number the distinct values in ascending order (so ``used`` is ``arange(size)``).
    """

    def __init__(self, label: IntpArray, size: int, used: IntpArray, first: IntpArray | None):
        self.label = label
        self.size = size
        self.used = used
        if first is not None:
            self.__dict__["first"] = first

    @cached_property
    def first(self) -> IntpArray:
        """First row carrying each used label."""
        n = self.label.size
        first = np.empty(self.size, dtype=np.intp)
        first[self.label[::-1]] = np.arange(n - 1, -1, -1, dtype=np.intp)
        return first[self.used]


def _take(table: npt.NDArray[Any], index: IntpArray) -> npt.NDArray[Any]:
    """``np.take(table, index)`` split over the worker threads."""
    out = np.empty(index.size, dtype=table.dtype)

    def part(a: int, b: int) -> None:
        np.take(table, index[a:b], out=out[a:b])

    run_parts(part, index.size)
    return out


def _take_inplace(table: IntpArray, index: IntpArray) -> IntpArray:
    """``index[:] = table[index]`` chunk by chunk on the worker threads (no full-size copy)."""

    def part(a: int, b: int) -> None:
        scratch = Scratch()
        for i, j in chunks(a, b):
            index[i:j] = np.take(table, index[i:j], out=scratch.get("take", np.intp, j - i))

    run_parts(part, index.size)
    return index


def _ordered_ascii(values: npt.NDArray[np.str_]) -> U64Array | None:
    """Strings of at most 9 ASCII characters as uint64s in the strings' own order, or None.

    The first character takes the highest 7 bits, so comparing the integers compares the strings
    character by character (a shorter string is padded with NUL, below every character).
    """
    width = values.dtype.itemsize // 4
    if values.dtype.kind != "U" or width > _PACK_WIDTH or values.ndim != 1:
        return None
    chars = np.ascontiguousarray(values).view(np.uint32).reshape(values.size, width)
    if values.size and int(chars.max(initial=0)) >= 1 << _ASCII_BITS:
        return None
    key = np.zeros(values.size, dtype=np.uint64)
    for j in range(width):
        key <<= np.uint64(_ASCII_BITS)
        key |= chars[:, j]
    return key


def sort_distinct(values: npt.NDArray[Any]) -> IntpArray:
    """``np.argsort(values, kind="stable")`` for values that are all different, faster.

    Distinct integers (and short ASCII strings, through an order-keeping packing) have one
    ascending order, so numpy's vectorised unstable sort gives the stable sort's permutation.
    Other dtypes (floats, dates with NaT) use the stable sort itself.
    """
    values = np.asarray(values)
    if values.dtype.kind in "iu":
        return np.argsort(values)
    if values.dtype.kind == "U":
        packed = _ordered_ascii(values)
        if packed is not None:
            return np.argsort(packed)
    return _argsort(values)


def _argsort(values: npt.NDArray[Any]) -> IntpArray:
    """A stable ascending argsort, the two halves of the value range sorted on two threads."""
    n = values.size
    if n < PARALLEL_MIN or workers() < 2:
        return np.argsort(values, kind="stable")
    sample = np.sort(values[:: max(1, n // 4096)])
    pivot = sample[sample.size // 2]
    low = values < pivot
    sides = [np.flatnonzero(low), np.flatnonzero(~low)]

    def order(rows: IntpArray) -> IntpArray:
        return rows[np.argsort(values[rows], kind="stable")]

    return np.concatenate(list(pool().map(order, sides)))


def _empty_key(keys: U64Array) -> np.uint64:
    """A uint64 that no key equals, to mark empty table slots."""
    value = 2**64 - 1
    while (keys == np.uint64(value)).any():
        value -= 1
    marker: np.uint64 = np.uint64(value)
    return marker


class _Grow(Exception):
    """Internal signal: the hash table needs more bits."""

    def __init__(self, bits: int) -> None:
        super().__init__(bits)
        self.bits = bits


def _probe_table(keys: U64Array, bits: int) -> tuple[IntpArray, U64Array, np.uint64]:
    """Vectorised open addressing (double hashing) on a table of ``2**bits`` keys.

    Returns each row's slot, the table of keys and the empty marker; raises ``_Grow`` when
    the table would get more than half full (the caller grows it).
    """
    size = 1 << bits
    mask = size - 1
    slot = np.empty(keys.size, dtype=np.intp)

    def hash_part(a: int, b: int) -> int:
        top = 0
        for i, j in chunks(a, b):
            _slots(keys[i:j], _MIXERS[0], bits, out=slot[i:j].view(np.uint64))
            top = max(top, int(keys[i:j].max()))
        return top

    def miss_part(a: int, b: int) -> IntpArray:
        scratch = Scratch()
        found = []
        for i, j in chunks(a, b):
            there = np.take(tkeys, slot[i:j], out=scratch.get("there", np.uint64, j - i))
            miss = np.not_equal(there, keys[i:j], out=scratch.get("miss", np.bool_, j - i))
            found.append(np.flatnonzero(miss) + i)
        return np.concatenate(found) if found else np.empty(0, dtype=np.intp)

    largest = max(run_parts(hash_part, keys.size), default=0)
    empty = np.uint64(2**64 - 1) if largest < 2**64 - 1 else _empty_key(keys)
    tkeys = np.full(size, empty, dtype=np.uint64)
    tkeys[slot] = keys  # round 1: every slot empty, the last writer wins
    filled = int(np.count_nonzero(tkeys != empty))
    if filled > 0.35 * size:
        # occupancy after one round estimates the distinct keys: d = -size * ln(1 - filled/size)
        distinct = -size * np.log1p(-min(filled / size, 0.999))
        raise _Grow(max(bits + 1, int(3 * distinct).bit_length()))
    pending = np.concatenate(run_parts(miss_part, keys.size))
    if pending.size:
        slots = slot[pending]
        pkeys = keys[pending]
        step = _slots(pkeys, _MIXERS[1], bits) | 1  # odd steps visit every slot
        while pending.size:
            slots += step
            slots &= mask
            free = tkeys[slots] == empty
            if free.any():
                tkeys[slots[free]] = pkeys[free]
            hit = tkeys[slots] == pkeys
            slot[pending[hit]] = slots[hit]
            miss = ~hit
            pending, slots, pkeys, step = pending[miss], slots[miss], pkeys[miss], step[miss]
            if pending.size and np.count_nonzero(tkeys != empty) > size // 2:
                raise _Grow(bits + 1)
    return slot, tkeys, empty


def _keys_of(values: npt.NDArray[np.generic]) -> tuple[U64Array, bool]:
    """One uint64 key per row, and whether equal keys imply equal values."""
    if values.dtype.kind == "U":
        text = cast("npt.NDArray[np.str_]", values)
        packed = pack_ascii(text)
        return (string_hash(text), False) if packed is None else (packed, True)
    return values.astype(np.int64, copy=False).view(np.uint64), True


def _group(values: npt.NDArray[np.generic], ordered: bool) -> tuple[IntpArray, npt.NDArray[Any]]:
    values = np.asarray(values)
    n = values.size
    if n < _SMALL or values.dtype.kind not in "iuU":
        uniq, inverse = np.unique(values, return_inverse=True)
        return inverse.reshape(-1).astype(np.intp, copy=False), uniq
    keys, exact = _keys_of(values)
    bits = max(12, (n // 4).bit_length())  # grows if the distinct keys fill half the table
    while True:
        try:
            slot, tkeys, empty = _probe_table(keys, bits)
            break
        except _Grow as grow:
            bits = grow.bits
    used = np.flatnonzero(tkeys != empty)
    distinct: npt.NDArray[Any]
    if values.dtype.kind in "iu":
        distinct = tkeys[used].view(np.int64).astype(values.dtype, copy=False)
    else:
        rep = np.empty(1 << bits, dtype=np.intp)
        rep[slot] = np.arange(n, dtype=np.intp)
        if not exact and not np.array_equal(values[_take(rep, slot)], values):
            # a 64-bit hash shared by two different strings would merge them: sort instead
            uniq, inverse = np.unique(values, return_inverse=True)
            return inverse.reshape(-1).astype(np.intp, copy=False), uniq
        distinct = values[rep[used]]
    if ordered:
        order = sort_distinct(distinct)
        distinct = distinct[order]
        used = used[order]
    dense = tkeys.view(np.intp)  # the keys are copied out: reuse the table's memory
    dense[used] = np.arange(used.size, dtype=np.intp)
    return _take_inplace(dense, slot), distinct


def group_sorted(values: npt.NDArray[np.generic]) -> tuple[IntpArray, npt.NDArray[Any]]:
    """Label each row by the rank of its value among the distinct values (ascending).

    Returns ``(label, distinct)`` with ``distinct[label] == values``. Linear time hashing for
    int64 and unicode; the sort is over distinct values only.
    """
    return _group(values, ordered=True)


def group_unordered(values: npt.NDArray[np.generic]) -> tuple[IntpArray, npt.NDArray[Any]]:
    """Like ``group_sorted``, but ``distinct`` in no particular order (no sort at all)."""
    return _group(values, ordered=False)


def group_rows(values: npt.NDArray[np.generic]) -> Groups:
    """Group rows by value (int64 or unicode) in linear time; labels rank values ascending."""
    label, distinct = group_sorted(values)
    m = int(distinct.size)
    return Groups(label, m, np.arange(m, dtype=np.intp), None)
