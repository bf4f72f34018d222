"""The compiled kernel (``pip install crimeharm[fast]``): numba loops on every core.

Same results as the numpy reference (``.reference``), integer for integer: contributions are
split into ``whole`` and ``frac`` exactly as ``.summation.split_exact`` does and added as
int64s, so the totals do not depend on the order of rows or on the number of threads.

How it runs (``T`` = ``.threads.num_threads``):

- grouping is radix-partitioned: one parallel pass gives each row a partition (1 byte) from the
  top bits of its key's hash; then each of ``T`` threads owns one partition, builds a hash table
  of that partition's keys alone and (fused ``CompiledKernel.aggregate``) sums the rows into
  it. No locks, no per-thread copies of the totals, nothing merged afterwards.
- ``CompiledKernel.totals`` over given labels splits the label range in ``T`` slices.

String keys of at most 9 ASCII characters (``"P-0012345"``) are packed into one uint64
(``.hashing.pack_ascii``, injective); other strings are grouped by the numpy reference.
The loops are compiled with ``cache=True``: the first call after installing pays the compile
(about 3 s), later processes load the cache (about 0.5 s, plus 0.6 s to import numba; see
docs/performance.md). Importing
this module imports numba: ``crimeharm.kernels.get_kernel`` does so only for large inputs.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
import numpy.typing as npt

from . import GroupTotals
from .hashing import group_unordered, pack_ascii
from .summation import FRACTION_BITS, ExactSums
from .threads import num_threads, run_each

__all__ = ["KERNEL", "CompiledKernel"]

IntpArray = npt.NDArray[np.intp]
_ONE = np.int64(1 << FRACTION_BITS)
_SCALE = float(2**FRACTION_BITS)
_IMAX = np.int64(np.iinfo(np.int64).max)
_IMIN = np.int64(np.iinfo(np.int64).min)
_M1 = np.uint64(0xFF51AFD7ED558CCD)
_M2 = np.uint64(0xC4CEB9FE1A85EC53)
_S33 = np.uint64(33)
_S32 = np.uint64(32)
_MAX_PARTS = 1024  # threads at most
_MAX_PART_BITS = 12  # at most 4096 partitions
_ROWS_PER_PART = 1 << 15  # a partition's hash table (2 slots a row, 16 bytes a slot) ~ 1 MiB
_MIN_ROWS_PER_THREAD = 1 << 16  # fewer rows than this per thread: use fewer threads
_MAX_ROWS = 2**31 - 1  # local group ids are int32

_jit = numba.njit(cache=True, nogil=True)


@_jit
def _mix(k: np.uint64) -> np.uint64:  # pragma: no cover - compiled
    """A 64-bit finaliser (murmur3's fmix64): every key bit moves every hash bit."""
    k ^= k >> _S33
    k *= _M1
    k ^= k >> _S33
    k *= _M2
    k ^= k >> _S33
    return k


@_jit
def _histogram(keys, start, stop, shift, hist):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Rows of ``[start, stop)`` per partition (the top bits of the key's hash)."""
    for i in range(start, stop):
        hist[_mix(keys[i]) >> shift] += 1


@_jit
def _scatter(keys, start, stop, shift, offset, skey, srow, value, age, counted, with_totals, with_counted, sval, sage):  # type: ignore[no-untyped-def]  # noqa: E501  # pragma: no cover  # fmt: skip
    """Copy the keys, row numbers (and values, ages) of ``[start, stop)`` to their partitions.

    An uncounted row's value is copied as -1.0 (contributions are >= 0).
    """
    for i in range(start, stop):
        k = keys[i]
        p = _mix(k) >> shift
        o = offset[p]
        skey[o] = k
        srow[o] = i
        if with_totals:
            sval[o] = value[i] if not with_counted or counted[i] else -1.0
            sage[o] = age[i]
        offset[p] = o + 1


@_jit
def _split(v):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    """``(whole, frac)`` of one contribution, as ``.summation.split_exact`` rounds it."""
    w = np.floor(v)
    return np.int64(w), np.int64(np.rint((v - w) * _SCALE))


@_jit
def _build(skey, srow, bounds, p0, p1, label, with_label, sval, sage, with_totals):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Group (and total) partitions ``[p0, p1)``, each with a small cache-resident hash table.

    Returns ``(rep, whole, frac, count, youngest, oldest)`` by local id (numbered across these
    partitions, in partition then first-seen order); ``rep`` is each group's first row. Writes
    local ids into ``label`` if ``with_label``. Overwrites ``skey`` with the local ids.
    """
    first, last = bounds[p0], bounds[p1]
    most = 1
    for p in range(p0, p1):
        most = max(most, bounds[p + 1] - bounds[p])
    cap = 16
    while cap < 2 * most:
        cap *= 2
    tkey = np.empty(cap, np.uint64)
    tid = np.full(cap, -1, np.int64)
    first_row = np.empty(max(last - first, 1), np.int64)
    d = 0
    for p in range(p0, p1):  # pass 1: local ids (no array is reallocated in the loop)
        lo = bounds[p]
        hi = bounds[p + 1]
        c = 16
        while c < 2 * (hi - lo):
            c *= 2
        mask = np.uint64(c - 1)
        tid[:c] = -1
        for o in range(lo, hi):
            k = skey[o]
            s = _mix(k) & mask
            while True:
                j = tid[s]
                if j < 0 or tkey[s] == k:
                    break
                s = (s + np.uint64(1)) & mask
            if j < 0:
                j = d
                d += 1
                tkey[s] = k
                tid[s] = j
                first_row[j] = srow[o]
            skey[o] = np.uint64(j)
    rep = first_row[:d].copy()
    tsize = d if with_totals else 0
    whole = np.zeros(tsize, np.int64)
    frac = np.zeros(tsize, np.int64)
    count = np.zeros(tsize, np.int64)
    young = np.full(tsize, _IMAX, np.int64)
    old = np.full(tsize, _IMIN, np.int64)
    if with_label or with_totals:
        for o in range(first, last):  # pass 2: labels and totals
            j = np.int64(skey[o])
            i = srow[o]
            if with_label:
                label[i] = j
            if with_totals and sval[o] >= 0.0:
                w, f = _split(sval[o])
                whole[j] += w
                f += frac[j]
                if f >= _ONE:
                    f -= _ONE
                    whole[j] += 1
                frac[j] = f
                count[j] += 1
                a = np.int64(sage[o])
                if a < young[j]:
                    young[j] = a
                if a > old[j]:
                    old[j] = a
    return rep, whole, frac, count, young, old


@_jit
def _offset_labels(keys, label, shift, offset_of_part, start, stop):  # type: ignore[no-untyped-def]  # pragma: no cover
    """``label[i] += offset_of_part[partition of row i]``: local ids to global ones."""
    for i in range(start, stop):
        label[i] += offset_of_part[_mix(keys[i]) >> shift]


@_jit
def _totals_slice(label, value, age, lo, hi, whole, frac, count, young, old):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Totals of the rows whose label is in ``[lo, hi)``, into the output arrays."""
    for i in range(label.size):
        j = label[i]
        if j < lo or j >= hi:
            continue
        w, f = _split(value[i])
        whole[j] += w
        f += frac[j]
        if f >= _ONE:
            f -= _ONE
            whole[j] += 1
        frac[j] = f
        count[j] += 1
        a = np.int64(age[i])
        if a < young[j]:
            young[j] = a
        if a > old[j]:
            old[j] = a


@_jit
def _scatter_coded(keys, start, stop, shift, offset, skey, srow, with_rows, code, dates, day, spay, pshift):  # type: ignore[no-untyped-def]  # noqa: E501  # pragma: no cover  # fmt: skip
    """Copy the keys (row numbers) and ``code << pshift | age`` of ``[start, stop)`` to their
    partitions (every row counts: ``0 <= age`` and the code is known)."""
    for i in range(start, stop):
        k = keys[i]
        p = _mix(k) >> shift
        o = offset[p]
        skey[o] = k
        if with_rows:
            srow[o] = i
        spay[o] = (np.uint64(code[i]) << pshift) | np.uint64(day - dates[i])
        offset[p] = o + 1


@_jit
def _build_coded(skey, srow, with_rows, bounds, p0, p1, spay, pshift, weight, table):  # type: ignore[no-untyped-def]  # pragma: no cover  # fmt: skip
    """``_build`` with totals for rows given as ``code << pshift | age``.

    A row's contribution is ``weight[code] * table[age]``, the product ``.summation`` and the
    engine's ``Plan.chunk`` compute. Returns ``(rep, key, whole, frac, count, youngest,
    oldest)`` by local id; ``rep`` (each group's first row) is empty unless ``with_rows``.
    """
    first, last = bounds[p0], bounds[p1]
    most = 1
    for p in range(p0, p1):
        most = max(most, bounds[p + 1] - bounds[p])
    cap = 16
    while cap < 2 * most:
        cap *= 2
    tkey = np.empty(cap, np.uint64)
    tid = np.full(cap, -1, np.int64)
    first_row = np.empty(max(last - first, 1) if with_rows else 0, np.int64)
    first_key = np.empty(max(last - first, 1), np.uint64)
    d = 0
    for p in range(p0, p1):  # pass 1: local ids
        lo = bounds[p]
        hi = bounds[p + 1]
        c = 16
        while c < 2 * (hi - lo):
            c *= 2
        mask = np.uint64(c - 1)
        tid[:c] = -1
        for o in range(lo, hi):
            k = skey[o]
            s = _mix(k) & mask
            while True:
                j = tid[s]
                if j < 0 or tkey[s] == k:
                    break
                s = (s + np.uint64(1)) & mask
            if j < 0:
                j = d
                d += 1
                tkey[s] = k
                tid[s] = j
                first_key[j] = k
                if with_rows:
                    first_row[j] = srow[o]
            skey[o] = np.uint64(j)
    rep = first_row[:d].copy() if with_rows else first_row
    key = first_key[:d].copy()
    whole = np.zeros(d, np.int64)
    frac = np.zeros(d, np.int64)
    count = np.zeros(d, np.int64)
    young = np.full(d, _IMAX, np.int64)
    old = np.full(d, _IMIN, np.int64)
    amask = (np.uint64(1) << pshift) - np.uint64(1)
    for o in range(first, last):  # pass 2: totals
        j = np.int64(skey[o])
        pay = np.uint64(spay[o])
        a = np.int64(pay & amask)
        w, f = _split(weight[np.int64(pay >> pshift)] * table[a])
        whole[j] += w
        f += frac[j]
        if f >= _ONE:
            f -= _ONE
            whole[j] += 1
        frac[j] = f
        count[j] += 1
        if a < young[j]:
            young[j] = a
        if a > old[j]:
            old[j] = a
    return rep, key, whole, frac, count, young, old


def _spans(n: int, parts: int) -> list[tuple[int, int]]:
    """``[0, n)`` in ``parts`` contiguous spans (some may be empty)."""
    step = max(1, -(-n // max(parts, 1)))
    return [(min(a, n), min(a + step, n)) for a in range(0, max(parts, 1) * step, step)]


def _threads_for(rows: int, threads: int | None) -> int:
    """Threads worth using for ``rows`` rows (at least 64 Ki rows each), at most 255."""
    t = num_threads(threads)
    return max(1, min(t, _MAX_PARTS, rows // _MIN_ROWS_PER_THREAD))


def _run(fn: Any, args: list[tuple[Any, ...]]) -> list[Any]:
    """``fn(*a)`` for each ``a``, on worker threads when there are several (numba drops the GIL)."""
    return run_each(lambda a: fn(*a), args)


_PACK = 9  # ASCII characters per uint64 (pack_ascii)
_MAX_PACKED_WIDTH = 4 * _PACK  # longer strings go to the numpy reference


def _uint64_keys(keys: npt.NDArray[Any], threads: int | None) -> npt.NDArray[np.uint64] | None:
    """Keys as uint64 with equal keys iff equal values, or None (strings that do not pack).

    Strings of up to 9 ASCII characters pack into one uint64; up to 36 are packed 9 characters
    at a time and the pieces' group labels combined (``l1 * d2 + l2``, grouped again).
    """
    if keys.dtype.kind in "iub":
        return np.ascontiguousarray(keys).astype(np.int64, copy=False).view(np.uint64)
    if keys.dtype.kind != "U" or keys.ndim != 1:
        return None
    packed = pack_ascii(keys)
    width = keys.dtype.itemsize // 4
    if packed is not None or width > _MAX_PACKED_WIDTH:
        return packed
    words = np.ascontiguousarray(keys).view(np.uint32).reshape(keys.size, width)
    combined: npt.NDArray[np.uint64] | None = None
    for start in range(0, width, _PACK):
        stop = min(start + _PACK, width)
        piece = np.ascontiguousarray(words[:, start:stop]).view(f"<U{stop - start}").reshape(-1)
        part = pack_ascii(piece)
        if part is None:
            return None  # not ASCII
        if combined is None:
            combined = part.copy()
            continue
        left, n_left = _dense(combined, threads)
        right, n_right = _dense(part, threads)
        if n_left * n_right >= 2**63:
            return None
        combined = (left.astype(np.int64) * n_right + right).view(np.uint64)
    return combined


def _dense(packed: npt.NDArray[np.uint64], threads: int | None) -> tuple[IntpArray, int]:
    """Group labels of ``packed`` and how many distinct values there are."""
    label = np.empty(packed.size, dtype=np.intp)
    rep, _ = KERNEL._partitioned(packed, label, None, None, None, threads)
    return label, int(rep.size)


class CompiledKernel:
    """numba loops, multi-threaded; results equal to the numpy reference's."""

    name = "numba"

    def group(
        self, keys: npt.NDArray[Any], *, threads: int | None = None
    ) -> tuple[IntpArray, npt.NDArray[Any]]:
        """``(label, distinct)``: ``distinct[label] == keys``, distinct in no particular order."""
        keys = np.asarray(keys)
        packed = _uint64_keys(keys, threads) if 0 < keys.size <= _MAX_ROWS else None
        if packed is None:
            return group_unordered(keys)
        label = np.empty(keys.size, dtype=np.intp)
        rep, _ = self._partitioned(packed, label, None, None, None, threads)
        return label, keys[rep]

    def totals(
        self,
        label: IntpArray,
        size: int,
        value: npt.NDArray[np.float64],
        age: npt.NDArray[np.integer],
        *,
        threads: int | None = None,
    ) -> GroupTotals:
        """Exact harm, counts and age range per label in ``range(size)``."""
        label = np.ascontiguousarray(label, dtype=np.intp)
        value = np.ascontiguousarray(value, dtype=np.float64)
        age = _ages(age)
        whole = np.zeros(size, dtype=np.int64)
        frac = np.zeros(size, dtype=np.int64)
        count = np.zeros(size, dtype=np.int64)
        young = np.full(size, _IMAX, dtype=np.int64)
        old = np.full(size, _IMIN, dtype=np.int64)
        if label.size >= _MIN_ROWS_PER_THREAD and size > 0:  # radix-partitioned, cache-friendly
            seen, part, _ = self.aggregate(label, value, age, threads=threads)
            for out, got in zip(
                (whole, frac, count, young, old),
                (part.harm.whole, part.harm.frac, part.count, part.min_age, part.max_age),
                strict=True,
            ):
                out[seen] = got
            return GroupTotals(ExactSums(whole, frac), count, young, old)
        t = min(_threads_for(label.size, threads), max(size, 1))
        _run(
            _totals_slice,
            [
                (label, value, age, lo, hi, whole, frac, count, young, old)
                for lo, hi in _spans(size, t)
            ],
        )
        return GroupTotals(ExactSums(whole, frac), count, young, old)

    def sums(self, label: IntpArray, size: int, value: npt.NDArray[np.float64]) -> ExactSums:
        """Exact harm per label alone (the same integers as ``totals``)."""
        return self.totals(label, size, value, np.zeros(np.asarray(label).size, np.int64)).harm

    def aggregate(
        self,
        keys: npt.NDArray[Any],
        value: npt.NDArray[np.float64],
        age: npt.NDArray[np.integer],
        *,
        counted: npt.NDArray[np.bool_] | None = None,
        with_label: bool = False,
        threads: int | None = None,
    ) -> tuple[npt.NDArray[Any], GroupTotals, IntpArray | None]:
        """Group rows by key and total them in one pass (see ``.reference.aggregate``)."""
        keys = np.asarray(keys)
        packed = _uint64_keys(keys, threads) if 0 < keys.size <= _MAX_ROWS else None
        if packed is None:
            from .reference import aggregate_with

            return aggregate_with(self, keys, value, age, counted, with_label, threads)
        value = np.ascontiguousarray(value, dtype=np.float64)
        label = np.empty(keys.size if with_label else 0, dtype=np.intp)
        rep, totals = self._partitioned(
            packed, label if with_label else None, value, _ages(age), counted, threads
        )
        assert totals is not None
        return keys[rep], totals, label if with_label else None

    def aggregate_coded(
        self,
        keys: npt.NDArray[Any],
        code: npt.NDArray[np.integer],
        weight: npt.NDArray[np.float64],
        dates: npt.NDArray[np.int64],
        day: int,
        table: npt.NDArray[np.float64],
        *,
        threads: int | None = None,
    ) -> tuple[npt.NDArray[Any], GroupTotals] | None:
        """Group rows by key and total ``weight[code] * table[day - dates]`` in one pass.

        For rows that all count (``0 <= day - dates < table.size``, ``0 <= code <
        weight.size``): no per-row value or age array is built. The same integers as
        ``aggregate`` of the engine's contributions; None where the keys do not fit (then use
        ``aggregate``).
        """
        keys = np.asarray(keys)
        n = keys.size
        packed = _uint64_keys(keys, threads) if 0 < n <= _MAX_ROWS else None
        if packed is None:
            return None
        with_rows = keys.dtype != np.int64  # other keys are read back from their first row
        age_bits = max(1, (int(table.size) - 1).bit_length())
        code_bits = max(1, (int(weight.size) - 1).bit_length())
        wide = age_bits + code_bits > 32
        if age_bits + code_bits > 64:
            return None
        pshift = np.uint64(age_bits)
        t = _threads_for(n, threads)
        bits = max(1, min(_MAX_PART_BITS, (max(n // _ROWS_PER_PART, 4 * t) - 1).bit_length()))
        parts, shift = 1 << bits, np.uint64(64 - bits)
        spans = _spans(n, t)
        hist = np.zeros((t, parts), dtype=np.int64)
        _run(_histogram, [(packed, a, b, shift, hist[k]) for k, (a, b) in enumerate(spans)])
        bounds = np.zeros(parts + 1, dtype=np.int64)
        np.cumsum(hist.sum(axis=0), out=bounds[1:])
        offset = bounds[:-1] + np.cumsum(hist, axis=0) - hist
        skey = np.empty(n, dtype=np.uint64)
        srow = np.empty(n if with_rows else 0, dtype=np.int32)
        spay = np.empty(n, dtype=np.uint64 if wide else np.uint32)
        code = np.ascontiguousarray(code)
        dates = np.ascontiguousarray(dates, dtype=np.int64)
        _run(
            _scatter_coded,
            [
                (
                    packed,
                    a,
                    b,
                    shift,
                    offset[k],
                    skey,
                    srow,
                    with_rows,
                    code,
                    dates,
                    day,
                    spay,
                    pshift,
                )
                for k, (a, b) in enumerate(spans)
            ],
        )
        del packed
        cuts = np.searchsorted(bounds, np.arange(1, t) * (n / t)).tolist()
        ranges = [(a, b) for a, b in zip([0, *cuts], [*cuts, parts], strict=True) if b > a]
        weight = np.ascontiguousarray(weight, dtype=np.float64)
        table = np.ascontiguousarray(table, dtype=np.float64)
        results = _run(
            _build_coded,
            [
                (skey, srow, with_rows, bounds, p0, p1, spay, pshift, weight, table)
                for p0, p1 in ranges
            ],
        )
        del skey, srow, spay

        def cat(k: int) -> npt.NDArray[Any]:
            return np.concatenate([r[k] for r in results])

        rep = cat(0).astype(np.intp, copy=False)
        distinct = keys[rep] if with_rows else cat(1).view(np.int64)
        return distinct, GroupTotals(ExactSums(cat(2), cat(3)), cat(4), cat(5), cat(6))

    def _partitioned(
        self,
        packed: npt.NDArray[np.uint64],
        label: IntpArray | None,
        value: npt.NDArray[np.float64] | None,
        age: npt.NDArray[Any] | None,
        counted: npt.NDArray[np.bool_] | None,
        threads: int | None,
    ) -> tuple[IntpArray, GroupTotals | None]:
        """Radix-partition the rows by hash, then group each partition on its own thread."""
        n = packed.size
        t = _threads_for(n, threads)
        bits = max(1, min(_MAX_PART_BITS, (max(n // _ROWS_PER_PART, 4 * t) - 1).bit_length()))
        parts, shift = 1 << bits, np.uint64(64 - bits)
        spans = _spans(n, t)
        hist = np.zeros((t, parts), dtype=np.int64)
        _run(_histogram, [(packed, a, b, shift, hist[k]) for k, (a, b) in enumerate(spans)])
        per_part = hist.sum(axis=0)
        bounds = np.zeros(parts + 1, dtype=np.int64)
        np.cumsum(per_part, out=bounds[1:])
        offset = bounds[:-1] + np.cumsum(hist, axis=0) - hist  # where each thread's rows go
        with_totals = value is not None
        skey = np.empty(n, dtype=np.uint64)
        srow = np.empty(n, dtype=np.int32)
        sval = np.empty(n if with_totals else 0, dtype=np.float64)
        sage = np.empty(n if with_totals else 0, dtype=np.int64)
        empty_f = np.empty(0, dtype=np.float64)
        empty_i = np.empty(0, dtype=np.int64)
        flags = np.empty(0, dtype=np.bool_) if counted is None else np.asarray(counted, np.bool_)
        payload = (
            empty_f if value is None else value,
            empty_i if age is None else age,
            flags,
            with_totals,
            counted is not None,
            sval,
            sage,
        )
        _run(
            _scatter,
            [
                (packed, a, b, shift, offset[k], skey, srow, *payload)
                for k, (a, b) in enumerate(spans)
            ],
        )
        # contiguous partition ranges with about n / t rows each, one per thread
        cuts = np.searchsorted(bounds, np.arange(1, t) * (n / t)).tolist()
        ranges = list(zip([0, *cuts], [*cuts, parts], strict=True))
        ranges = [(a, b) for a, b in ranges if b > a]
        results = _run(
            _build,
            [
                (
                    skey,
                    srow,
                    bounds,
                    p0,
                    p1,
                    empty_i if label is None else label,
                    label is not None,
                    sval,
                    sage,
                    with_totals,
                )
                for p0, p1 in ranges
            ],
        )
        del skey, srow, sval, sage
        if label is not None and len(ranges) > 1:
            sizes = np.array([r[0].size for r in results], dtype=np.int64)
            offset_of_part = np.zeros(parts, dtype=np.int64)
            starts = np.concatenate([[0], np.cumsum(sizes[:-1])])
            for (p0, p1), start in zip(ranges, starts.tolist(), strict=True):
                offset_of_part[p0:p1] = start
            _run(_offset_labels, [(packed, label, shift, offset_of_part, a, b) for a, b in spans])
        rep = np.concatenate([r[0] for r in results]).astype(np.intp, copy=False)
        if not with_totals:
            return rep, None

        def cat(k: int) -> npt.NDArray[np.int64]:
            return np.concatenate([r[k] for r in results])

        return rep, GroupTotals(ExactSums(cat(1), cat(2)), cat(3), cat(4), cat(5))


def _ages(age: npt.NDArray[np.integer]) -> npt.NDArray[Any]:
    """Ages as int32 or int64 (the two compiled variants)."""
    a = np.asarray(age)
    if a.dtype == np.int32 or a.dtype == np.int64:
        return np.ascontiguousarray(a)
    return a.astype(np.int64)


KERNEL = CompiledKernel()
