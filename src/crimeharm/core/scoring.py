"""The vectorised scorer: harm per offender = sum of weight(code) * decay(age) over counted events.

No I/O, no printing, no Python loop over events or offenders. Each event's contribution is
computed in cache-sized chunks on worker threads (numpy drops the GIL in its loops); per-offender
sums split each contribution into an exactly summed grid part and a tiny remainder
(:mod:`crimeharm.kernels.summation`), so every path that sums an offender's rows gives bit-for-bit
the same harm, whatever the row order. ``top`` bounds each offender's harm by the harm
of a hash bucket of offenders (contributions are never negative), so it groups by offender only
the rows of the few buckets that can reach the top n; its rows equal ``score().top(n)``.
"""

from __future__ import annotations

from typing import Any, Literal

import attrs
import numpy as np
import numpy.typing as npt

from ..errors import ParameterError, UnknownCodeError
from ..kernels import get_kernel
from ..kernels.hashing import (
    PARALLEL_MIN,
    Scratch,
    StringIndex,
    chunks,
    group_sorted,
    group_unordered,
    pool,
    run_parts,
    string_hash,
    thread_scratch,
    workers,
)
from ..kernels.summation import group_sums
from . import ranking
from .decay import Decay, decay_table
from .events import Events
from .results import (
    AFTER_AS_OF,
    OUTSIDE_WINDOW,
    UNKNOWN_CODE,
    Ranking,
    Report,
    ScoreParams,
    Scores,
)
from .schemes import WeightScheme

__all__ = ["Contributions", "OnUnknown", "contributions", "score", "top"]

OnUnknown = Literal["raise", "skip", "fallback"]
_DAY = np.timedelta64(1, "D")


def _as_of(value: Any) -> np.datetime64:
    try:
        day: np.datetime64 = np.datetime64(value, "D")
    except (ValueError, TypeError) as exc:
        msg = f"as_of must be a date such as '2023-07-18' (got {value!r})"
        raise ParameterError(msg) from exc
    if np.isnat(day):
        msg = "as_of must be a date, not NaT"
        raise ParameterError(msg)
    return day


def _window(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        msg = f"window_days must be a whole number of days > 0, or None (got {value!r})"
        raise ParameterError(msg)
    return int(value)


def resolve_scheme(scheme: WeightScheme | str) -> WeightScheme:
    """A scheme object, looking names up in the plugin registry."""
    given: object = scheme  # callers without type checking may pass anything
    if isinstance(given, WeightScheme):
        return given
    if isinstance(given, str):
        from ..plugins import get_scheme

        return get_scheme(given)
    msg = f"scheme must be a WeightScheme or a registered name (got {type(given).__name__})"
    raise ParameterError(msg)


def resolve_decay(decay: Decay | str | None) -> Decay:
    """A decay object; None and "none" mean no decay; names go to the plugin registry."""
    from ..plugins import get_decay

    given: object = decay  # callers without type checking may pass anything
    if given is None:
        return get_decay("none")
    if isinstance(given, str):
        return get_decay(given)
    if not isinstance(given, Decay):
        msg = f"decay must be a Decay (with name, factor, params) or a name (got {given!r})"
        raise ParameterError(msg)
    return given


@attrs.frozen(eq=False)
class Contributions:
    """Per-event harm contributions and row accounting, shared by :func:`score` and :func:`top`.

    ``value[i]`` is weight * decay for counted rows and 0 for every other row; ``counted`` marks
    the rows that count.
    """

    value: npt.NDArray[np.float64]
    counted: npt.NDArray[np.bool_]
    age: npt.NDArray[np.int64]
    report: Report
    params: ScoreParams
    all_counted: bool


def _event_weights(
    events: Events, scheme: WeightScheme, on_unknown: OnUnknown, fallback: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_] | None, dict[str, int]]:
    """Weight per event, the rows whose code the scheme lacks (None if none) and their codes."""
    weights = np.append(scheme.weights, fallback)  # row -1 of the lookup is the fallback
    if events.categories is not None:
        cat_rows = scheme.index_of(events.categories)
        per_event = weights[cat_rows][events.offence_code]
        if not (cat_rows < 0).any():
            return per_event, None, {}
        used = np.bincount(events.offence_code, minlength=cat_rows.size)
        missing_cats = np.flatnonzero((cat_rows < 0) & (used > 0))
        codes = {str(events.categories[k]): int(used[k]) for k in missing_cats}
        unknown = (cat_rows < 0)[events.offence_code] if codes else None
        return per_event, unknown, codes
    rows = scheme.index_of(events.offence_code)
    per_event = weights[rows]
    unknown_mask = rows < 0
    if not unknown_mask.any():
        return per_event, None, {}
    found, counts = np.unique(events.offence_code[unknown_mask], return_counts=True)
    return per_event, unknown_mask, dict(zip(found.tolist(), counts.tolist(), strict=True))


def _unknown_code_error(
    events: Events, scheme: WeightScheme, unknown: npt.NDArray[np.bool_], codes: dict[str, int]
) -> UnknownCodeError:
    from ..builtin.catalogue import describe_code

    ranked = sorted(codes.items(), key=lambda kv: (-kv[1], kv[0]))
    code, count = ranked[0]
    row = int(np.argmax(unknown))
    first = events.where_row(row)
    rows = "row carries" if count == 1 else "rows carry"
    others = ""
    if len(ranked) > 1:
        listed = ", ".join(f"{c!r} ({n})" for c, n in ranked[1:6])
        more = f" and {len(ranked) - 6} more" if len(ranked) > 6 else ""
        others = f"; other unknown codes: {listed}{more}"
    hint = describe_code(code, scheme.key_system)
    msg = (
        f"offence code {code!r} is not in weight scheme {scheme.name!r}{hint}: {count} {rows} it "
        f"(first at {first}){others}. Pass on_unknown='skip' to count them in the report "
        f"instead, or on_unknown='fallback' with fallback_weight=..."
    )
    return UnknownCodeError(
        msg, source=events.source, row=row, column="offence_code", value=code, count=count
    )


# -- the per-event valuation --------------------------------------------------------------------

Selector = slice | npt.NDArray[np.intp]
_AFTER, _OUTSIDE, _UNKNOWN, _UNKNOWN_LIVE = range(4)


@attrs.frozen(eq=False)
class _Chunk:
    """Contributions of some rows: ``value`` is 0 where ``counted`` is False (None: all count)."""

    value: npt.NDArray[np.float64]
    age: npt.NDArray[np.int64]
    counted: npt.NDArray[np.bool_] | None
    stats: npt.NDArray[np.int64]  # rows after as_of, outside the window, unknown, unknown counted


@attrs.frozen(eq=False)
class _Plan:
    """Everything the per-event valuation needs, checked once; values any subset of rows."""

    events: Events
    scheme: WeightScheme
    params: ScoreParams
    on_unknown: OnUnknown
    table: npt.NDArray[np.float64]  # decay factor at ages 0 .. length - 1, then 0.0
    length: int
    day: int
    in_window: bool  # every row has 0 <= age < length: no masks needed
    weight_of: npt.NDArray[np.float64]  # per category, or per scheme row with the fallback last
    unknown_of: npt.NDArray[np.bool_] | None  # per category: code missing from the scheme
    index: StringIndex  # the scheme's codes (string offence codes)

    def chunk(
        self,
        sel: Selector,
        scratch: Scratch | None = None,
        value_out: npt.NDArray[np.float64] | None = None,
    ) -> _Chunk:
        """Contributions of the rows ``sel`` (a slice or sorted row indices).

        With ``scratch`` the arrays returned live in it (valid until its next use); the values
        go to ``value_out`` when given.
        """
        ev = self.events
        s = Scratch() if scratch is None else scratch
        dates = ev.date.view(np.int64)[sel]
        n = dates.size
        age = np.subtract(self.day, dates, out=s.get("age", np.int64, n))
        codes = ev.offence_code[sel]
        value = s.get("value", np.float64, n) if value_out is None else value_out
        unknown: npt.NDArray[np.bool_] | None = None
        if ev.categories is not None:
            index = s.get("code", np.intp, n)
            np.copyto(index, codes, casting="unsafe")  # take() would convert in a fresh array
            np.take(self.weight_of, index, out=value)
            if self.unknown_of is not None:
                unknown = np.take(self.unknown_of, index, out=s.get("unknown", np.bool_, n))
        else:
            rows = self.index.lookup(codes, s)
            np.take(self.weight_of, rows, out=value)  # row -1 takes the fallback (last) entry
            unknown = np.less(rows, 0, out=s.get("unknown", np.bool_, n))
            if not unknown.any():
                unknown = None
        stats = np.zeros(4, dtype=np.int64)
        counted: npt.NDArray[np.bool_] | None = None
        factor = s.get("factor", np.float64, n)
        if self.in_window:
            np.take(self.table, age, out=factor)
        else:
            slot = s.get("slot", np.uint64, n)
            np.minimum(age.view(np.uint64), np.uint64(self.length), out=slot)
            np.take(self.table, slot.view(np.intp), out=factor)  # age < 0 or >= length: 0.0
            counted = np.less(slot, self.length, out=s.get("counted", np.bool_, n))
            stats[_AFTER] = np.count_nonzero(age < 0)
            if self.params.window_days is not None:
                stats[_OUTSIDE] = n - stats[_AFTER] - np.count_nonzero(counted)
        np.multiply(value, factor, out=value)
        if unknown is not None:
            stats[_UNKNOWN] = np.count_nonzero(unknown)
            live = unknown if counted is None else unknown & counted
            stats[_UNKNOWN_LIVE] = np.count_nonzero(live)
            if self.on_unknown == "skip":
                if counted is None:
                    counted = np.logical_not(unknown, out=s.get("counted", np.bool_, n))
                else:
                    counted &= ~unknown
        return _Chunk(value, age, counted, stats)

    def report(self, stats: npt.NDArray[np.int64]) -> Report:
        """The row report from summed chunk stats; raises for unknown codes if asked to."""
        ev = self.events
        unknown_codes: dict[str, int] = {}
        if stats[_UNKNOWN]:
            _, unknown, unknown_codes = _event_weights(ev, self.scheme, self.on_unknown, 0.0)
            if self.on_unknown == "raise":
                assert unknown is not None
                raise _unknown_code_error(ev, self.scheme, unknown, unknown_codes)
        after, outside = int(stats[_AFTER]), int(stats[_OUTSIDE])
        skipped = int(stats[_UNKNOWN_LIVE]) if self.on_unknown == "skip" else 0
        fallback_rows = int(stats[_UNKNOWN_LIVE]) if self.on_unknown == "fallback" else 0
        excluded = dict(ev.dropped)
        for reason, rows in (
            (AFTER_AS_OF, after),
            (OUTSIDE_WINDOW, outside),
            (UNKNOWN_CODE, skipped),
        ):
            if rows:
                excluded[reason] = excluded.get(reason, 0) + rows
        fields: dict[str, Any] = {  # (attrs types the converter=dict fields loosely)
            "total": ev.n_rows,
            "counted": len(ev) - after - outside - skipped,
            "excluded": excluded,
            "fallback_rows": fallback_rows,
            "unknown_codes": unknown_codes,
        }
        return Report(**fields)


def _plan(
    events: Events,
    scheme: WeightScheme | str,
    *,
    as_of: Any,
    window_days: int | None,
    decay: Decay | str | None,
    on_unknown: OnUnknown,
    fallback_weight: float | None,
) -> _Plan:
    """Validate parameters and build the lookup tables (see :func:`score`)."""
    given: object = events  # callers without type checking may pass anything
    if not isinstance(given, Events):
        msg = f"events must be crimeharm.Events (got {type(given).__name__})"
        raise ParameterError(msg)
    scheme = resolve_scheme(scheme)
    decay_obj = resolve_decay(decay)
    day = _as_of(as_of)
    window = _window(window_days)
    if on_unknown not in ("raise", "skip", "fallback"):
        msg = f"on_unknown must be 'raise', 'skip' or 'fallback' (got {on_unknown!r})"
        raise ParameterError(msg)
    fallback = 0.0
    if on_unknown == "fallback":
        if fallback_weight is None or not np.isfinite(fallback_weight) or fallback_weight < 0:
            msg = f"on_unknown='fallback' needs a fallback_weight >= 0 (got {fallback_weight!r})"
            raise ParameterError(msg)
        fallback = float(fallback_weight)
    elif fallback_weight is not None:
        msg = "fallback_weight is only used with on_unknown='fallback'"
        raise ParameterError(msg)
    today = int(day.astype(np.int64))
    dates = events.date.view(np.int64)
    n = dates.size
    oldest = today - int(dates.min()) if n else 0
    youngest = today - int(dates.max()) if n else 0
    length = window if window is not None else (oldest + 1 if oldest >= 0 else 1)
    table = np.append(decay_table(decay_obj, length, source=_decay_source(decay_obj)), 0.0)
    weights = np.append(scheme.weights, fallback)  # row -1 of the lookup is the fallback
    unknown_of = None
    if events.categories is not None:
        cat_rows = scheme.index_of(events.categories)
        weight_of = weights[cat_rows]
        if (cat_rows < 0).any():
            unknown_of = cat_rows < 0
    else:
        weight_of = weights
    params = ScoreParams(
        scheme=scheme.name,
        scheme_version=scheme.version,
        scheme_checksum=scheme.checksum,
        as_of=day,
        window_days=window,
        decay=decay_obj.name,
        decay_params=decay_obj.params(),
        on_unknown=on_unknown,
        fallback_weight=fallback_weight,
    )
    return _Plan(
        events=events,
        scheme=scheme,
        params=params,
        on_unknown=on_unknown,
        table=table,
        length=length,
        day=today,
        in_window=youngest >= 0 and oldest < length,
        weight_of=weight_of,
        unknown_of=unknown_of,
        index=StringIndex(scheme.codes),
    )


def contributions(
    events: Events,
    scheme: WeightScheme | str,
    *,
    as_of: Any,
    window_days: int | None = None,
    decay: Decay | str | None = None,
    on_unknown: OnUnknown = "raise",
    fallback_weight: float | None = None,
) -> Contributions:
    """Validate parameters and compute each event's harm contribution (see :func:`score`)."""
    plan = _plan(
        events,
        scheme,
        as_of=as_of,
        window_days=window_days,
        decay=decay,
        on_unknown=on_unknown,
        fallback_weight=fallback_weight,
    )
    full = _full_pass(plan, age_dtype=np.dtype(np.int64))
    counted = np.ones(len(events), dtype=bool) if full.counted is None else full.counted
    return Contributions(
        full.value,
        counted,
        full.age,
        full.report,
        plan.params,
        all_counted=full.counted is None,
    )


def _decay_source(decay: Decay) -> str:
    from ..plugins import source_of_decay

    return source_of_decay(decay)


@attrs.frozen(eq=False)
class _Full:
    value: npt.NDArray[np.float64]
    age: npt.NDArray[np.signedinteger]
    counted: npt.NDArray[np.bool_] | None
    report: Report


def _age_dtype(plan: _Plan) -> np.dtype[np.signedinteger]:
    """The narrowest integer type that holds every counted age (first/last need only those)."""
    for dtype in (np.int16, np.int32):
        if plan.length <= np.iinfo(dtype).max:
            return np.dtype(dtype)
    return np.dtype(np.int64)


def _full_pass(plan: _Plan, age_dtype: np.dtype[np.signedinteger] | None = None) -> _Full:
    """Contributions, ages and the counted mask of every row, computed on worker threads."""
    n = len(plan.events)
    value = np.empty(n, dtype=np.float64)
    age = np.empty(n, dtype=_age_dtype(plan) if age_dtype is None else age_dtype)
    narrow = age.dtype != np.int64
    masks: list[tuple[int, int, npt.NDArray[np.bool_]]] = []

    def part(start: int, stop: int) -> npt.NDArray[np.int64]:
        stats = np.zeros(4, dtype=np.int64)
        scratch = thread_scratch()
        for a, b in chunks(start, stop):
            c = plan.chunk(slice(a, b), scratch, value_out=value[a:b])
            if narrow:  # uncounted rows may not fit: clip (they are masked out anyway)
                np.clip(c.age, -1, plan.length, out=c.age)
            age[a:b] = c.age
            if c.counted is not None:
                masks.append((a, b, c.counted.copy()))
            stats += c.stats
        return stats

    stats = np.sum(run_parts(part, n), axis=0) if n else np.zeros(4, dtype=np.int64)
    report = plan.report(stats)
    counted = None
    if masks:
        counted = np.ones(n, dtype=bool)
        for a, b, mask in masks:
            counted[a:b] = mask
    return _Full(value, age, counted, report)


# -- aggregation --------------------------------------------------------------------------------


def _aggregate(
    events: Events,
    day: np.datetime64,
    value: npt.NDArray[np.float64],
    age: npt.NDArray[np.signedinteger],
    rows: npt.NDArray[np.intp] | None,
    *,
    pairs: bool = False,
) -> dict[str, Any]:
    """Per-offender columns, sorted by offender id, over ``rows`` (None: every row).

    Harm comes from :func:`group_sums`, so any subset of rows holding all of an offender's rows
    gives that offender bit-for-bit the same harm, in any order. With ``pairs`` (and
    victim ids) the distinct (offender, victim) pairs come back too, sorted, under "pairs".
    """

    def pick(column: npt.NDArray[Any]) -> npt.NDArray[Any]:
        return column if rows is None else column[rows]

    ids = pick(events.offender_id)
    v = pick(value)
    a = pick(age)
    kernel = get_kernel(rows=ids.size)
    sorting = None
    if kernel.name != "numpy":  # the compiled kernel: group and total in one pass
        distinct, totals, got = kernel.aggregate(ids, v, a, with_label=events.victim_id is not None)
        label = np.empty(0, dtype=np.intp) if got is None else got
        size = int(distinct.size)
        harm, count = totals.harm.to_float(), totals.count
        youngest, oldest = totals.min_age, totals.max_age
    else:
        label, distinct = group_unordered(ids)
        size = int(distinct.size)
        # bincount and ufunc.at hold the GIL; sorting the ids (which drops it) runs meanwhile
        threaded = workers() > 1 and size >= PARALLEL_MIN // 4
        sorting = pool().submit(np.argsort, distinct, kind="stable") if threaded else None
        harm = group_sums(label, v, size)
        count = np.bincount(label, minlength=size).astype(np.int64, copy=False)
        youngest = np.full(size, np.iinfo(a.dtype).max, dtype=a.dtype)
        oldest = np.full(size, np.iinfo(a.dtype).min, dtype=a.dtype)
        np.minimum.at(youngest, label, a)
        np.maximum.at(oldest, label, a)
    order = np.argsort(distinct, kind="stable") if sorting is None else sorting.result()
    distinct, harm, count = distinct[order], harm[order], count[order]
    youngest, oldest = youngest[order], oldest[order]
    if events.victim_id is not None:
        rank = np.empty(size, dtype=np.intp)
        rank[order] = np.arange(size, dtype=np.intp)
        label = np.take(rank, label)
    columns: dict[str, Any] = {
        "offender_id": distinct,
        "harm": harm,
        "count": count,
        "first": day - oldest.astype(np.int64) * _DAY,
        "last": day - youngest.astype(np.int64) * _DAY,
        "victims": None,
    }
    if events.victim_id is not None:
        victims, vdistinct = group_sorted(pick(events.victim_id))
        pair = label.astype(np.int64) * max(int(vdistinct.size), 1) + victims
        _, distinct_pairs = group_sorted(pair)
        owner = (distinct_pairs // max(int(vdistinct.size), 1)).astype(np.intp)
        columns["victims"] = np.bincount(owner, minlength=size).astype(np.int64)
        if pairs:
            victim = (distinct_pairs % max(int(vdistinct.size), 1)).astype(np.intp)
            columns["pairs"] = (distinct[owner], vdistinct[victim])
    return columns


def score(
    events: Events,
    scheme: WeightScheme | str,
    *,
    as_of: Any,
    window_days: int | None = None,
    decay: Decay | str | None = None,
    on_unknown: OnUnknown = "raise",
    fallback_weight: float | None = None,
) -> Scores:
    """Harm of every offender with at least one counted event.

    An event counts iff ``0 <= age_days < window_days`` where ``age_days = as_of - date``
    (no window: every event on or before ``as_of``). Harm is the sum of ``weight(code) *
    decay(age_days)`` over counted events, in the scheme's unit (days for the CCHI). Codes the
    scheme lacks raise :class:`UnknownCodeError` unless ``on_unknown`` is ``"skip"`` (reported
    as "unknown code") or ``"fallback"`` (counted at ``fallback_weight``).
    """
    plan = _plan(
        events,
        scheme,
        as_of=as_of,
        window_days=window_days,
        decay=decay,
        on_unknown=on_unknown,
        fallback_weight=fallback_weight,
    )
    return _score_plan(plan)


def _score_plan(plan: _Plan) -> Scores:
    full = _full_pass(plan)
    rows = None if full.counted is None else np.flatnonzero(full.counted)
    columns = _aggregate(plan.events, plan.params.as_of, full.value, full.age, rows)
    return Scores(report=full.report, params=plan.params, **columns)


# -- top n: bucket bounds -----------------------------------------------------------------------

_TOP_CHUNK = 1 << 18  # rows per bucket-sum step, at least 4 times the bucket count
_BUCKET_BITS = (10, 22)  # about 128 rows per bucket: a bucket holds ~16 offenders of harm-v1


def _bucket_of(ids: npt.NDArray[Any], bits: int, scratch: Scratch) -> npt.NDArray[np.intp]:
    """Hash bucket in ``[0, 2**bits)`` of each offender id."""
    # one hash for every chunk (never per-chunk packing): an offender lands in one bucket
    keys = string_hash(ids) if ids.dtype.kind == "U" else ids.view(np.uint64)
    h = np.multiply(
        keys, np.uint64(0xBF58476D1CE4E5B9), out=scratch.get("bucket", np.uint64, ids.size)
    )
    h >>= np.uint64(64 - bits)
    bucket: npt.NDArray[np.intp] = h.view(np.intp)
    return bucket


def top(
    events: Events,
    scheme: WeightScheme | str,
    *,
    n: int = 100,
    as_of: Any,
    window_days: int | None = None,
    decay: Decay | str | None = None,
    on_unknown: OnUnknown = "raise",
    fallback_weight: float | None = None,
) -> Ranking:
    """The ``n`` offenders with the most harm; the same rows as ``score(...).top(n)``, faster.

    Offenders are hashed into buckets; a bucket's summed harm bounds each member's harm from
    above (contributions are never negative). The exact harm of the members of the heaviest
    buckets gives a lower bound ``L`` on the n-th best harm, and only buckets whose sum reaches
    ``L`` can hold a top-n offender: only their rows are grouped by offender.
    """
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 0:
        msg = f"n must be a whole number >= 0 (got {n!r})"
        raise ParameterError(msg)
    plan = _plan(
        events,
        scheme,
        as_of=as_of,
        window_days=window_days,
        decay=decay,
        on_unknown=on_unknown,
        fallback_weight=fallback_weight,
    )
    rows_total = len(events)
    if n == 0 or rows_total < 64 * max(n, 1) or events.offender_id.dtype.kind not in "iU":
        return _score_plan(plan).top(n)
    bits = max(_BUCKET_BITS[0], min(_BUCKET_BITS[1], (rows_total // 128).bit_length()))
    step = max(_TOP_CHUNK, 4 << bits)
    nb = 1 << bits
    bucket = np.empty(rows_total, dtype=np.uint16 if bits <= 16 else np.uint32)
    ids = events.offender_id

    def part(start: int, stop: int) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
        sums = np.zeros(nb, dtype=np.float64)
        stats = np.zeros(4, dtype=np.int64)
        scratch = thread_scratch()
        for a, b in chunks(start, stop, step):
            value = scratch.get("top.value", np.float64, b - a)
            where = scratch.get("top.bucket", np.intp, b - a)
            for i, j in chunks(a, b):  # small steps keep the temporaries in cache
                c = plan.chunk(slice(i, j), scratch, value_out=value[i - a : j - a])
                where[i - a : j - a] = _bucket_of(ids[i:j], bits, scratch)
                stats += c.stats
            bucket[a:b] = where
            sums += np.bincount(where, weights=value, minlength=nb)
        scratch.trim()  # keep the small per-chunk arrays for the next call, not these
        return sums, stats

    results = run_parts(part, rows_total)
    bucket_harm = results[0][0]
    for sums, _ in results[1:]:
        bucket_harm += sums
    report = plan.report(np.sum([s for _, s in results], axis=0))
    # the sums above and the offenders' harm add in different orders: allow for rounding
    slack = 1.0 - 4.0 * rows_total * np.finfo(np.float64).eps
    # 1. exact harm of the offenders in the heaviest buckets: a lower bound on the n-th best.
    # Each positive bucket holds at least one positive offender, so a few more than n buckets
    # usually suffice; their rows are all that gets grouped by offender.
    k = min(nb, n + n // 4 + 16)
    while True:
        chosen = np.zeros(nb, dtype=bool)
        chosen[np.argpartition(bucket_harm, nb - k)[nb - k :]] = True
        exact = _exact(plan, bucket, chosen)
        if exact is not None and exact.harm.size >= n:
            break
        if k == nb:
            return _score_plan(plan).top(n)
        k = min(nb, 4 * k)
    bound = float(np.partition(exact.harm, exact.harm.size - n)[exact.harm.size - n])
    if bound <= 0.0:
        return _score_plan(plan).top(n)  # fewer than n offenders with positive harm
    # 2. every bucket whose sum reaches the bound may hold a top-n offender: include them all
    reach = bucket_harm >= bound * slack
    if (reach & ~chosen).any():
        exact = _exact(plan, bucket, chosen | reach)
        assert exact is not None
    keep = ranking.top_indices(exact.offender_id, exact.harm, n)
    return exact.ranking(keep, report, plan)


@attrs.frozen(eq=False)
class _Exact:
    """Exact harm of every offender whose rows are ``rows`` (all their counted rows)."""

    rows: npt.NDArray[np.intp]
    label: npt.NDArray[np.intp]
    offender_id: npt.NDArray[Any]
    harm: npt.NDArray[np.float64]
    chunk: _Chunk

    def ranking(self, keep: npt.NDArray[np.intp], report: Report, plan: _Plan) -> Ranking:
        """The offenders ``keep`` (in that order) with every column of score()."""
        size = self.offender_id.size
        wanted = np.zeros(size, dtype=bool)
        wanted[keep] = True
        mine = np.flatnonzero(wanted[self.label])
        relabel = np.full(size, -1, dtype=np.intp)
        relabel[keep] = np.arange(keep.size, dtype=np.intp)
        sub = Events(
            offender_id=np.take(relabel, self.label[mine]),
            offence_code=np.zeros(mine.size, dtype=np.int8),
            categories=np.array(["x"]),
            date=plan.events.date[self.rows[mine]],
            victim_id=None
            if plan.events.victim_id is None
            else plan.events.victim_id[self.rows[mine]],
        )
        columns = _aggregate(
            sub, plan.params.as_of, self.chunk.value[mine], self.chunk.age[mine], None
        )
        # _aggregate sorted by the new labels 0 .. keep.size - 1, i.e. in ranking order
        columns["offender_id"] = self.offender_id[keep]
        columns["harm"] = self.harm[keep]
        return Ranking(
            rank=np.arange(1, keep.size + 1, dtype=np.int64),
            report=report,
            params=plan.params,
            **columns,
        )


def _exact(
    plan: _Plan, bucket: npt.NDArray[np.unsignedinteger], chosen: npt.NDArray[np.bool_]
) -> _Exact | None:
    """Exact harm of the offenders in the ``chosen`` buckets (None if they have no row)."""

    def part(start: int, stop: int) -> npt.NDArray[np.intp]:
        scratch = thread_scratch()
        found = []
        for a, b in chunks(start, stop, _TOP_CHUNK):
            index = scratch.get("exact.bucket", np.intp, b - a)
            np.copyto(index, bucket[a:b], casting="unsafe")
            hit = np.take(chosen, index, out=scratch.get("hit", np.bool_, b - a))
            found.append(np.flatnonzero(hit) + a)
        scratch.trim()
        return np.concatenate(found) if found else np.empty(0, dtype=np.intp)

    rows = np.concatenate(run_parts(part, bucket.size))
    if rows.size == 0:
        return None
    c = plan.chunk(rows)
    if c.counted is not None:
        keep = np.flatnonzero(c.counted)
        rows = rows[keep]
        c = _Chunk(c.value[keep], c.age[keep], None, c.stats)
    label, distinct = group_unordered(plan.events.offender_id[rows])
    harm = group_sums(label, c.value, distinct.size)
    return _Exact(rows, label, distinct, harm, c)
