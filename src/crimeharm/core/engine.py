"""The one definition of harm: per-event contributions, exclusion reasons and per-group sums.

An event counts iff ``0 <= age_days < window_days`` (``age_days = as_of - date``; no window:
every event on or before ``as_of``), its code has a weight (or the fallback), and its grouping
key is present. Its contribution is ``weight(code) * decay(age_days)``; a group's harm is the
exact sum of its contributions (``crimeharm.kernels.summation``), added by the kernel that
``crimeharm.kernels.get_kernel`` chooses. ``score``, ``top``, the streaming ``Scorer``, Dask,
explain, the sensitivity loops, RFG, concentration, compare and plots all go through here, so
every path gives the same float64 harm, bit for bit.

``Plan`` checks the events against the options once and values any subset of rows
(``Plan.chunk``); ``evaluate`` values every row on worker threads; ``contributions``
adds the reason each excluded row is excluded; ``aggregate`` sums per group.
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from ..errors import ParameterError, UnknownCodeError
from ..kernels import GroupTotals, get_kernel
from ..kernels.hashing import (
    PARALLEL_MIN,
    Scratch,
    StringIndex,
    chunks,
    pool,
    run_parts,
    sort_distinct,
    thread_scratch,
    workers,
)
from ..kernels.summation import ExactSums
from .decay import Decay, decay_table
from .events import Events, is_missing
from .parameters import ScoringOptions
from .results import AFTER_AS_OF, OUTSIDE_WINDOW, UNKNOWN_CODE, Report, ScoreParams, Scores
from .schemes import WeightScheme

__all__ = [
    "COUNTED",
    "STATS",
    "Contributions",
    "Evaluated",
    "GroupSums",
    "Plan",
    "aggregate",
    "contributions",
    "evaluate",
    "exact_total",
    "factor_table",
    "fused_sums",
    "group_harm",
    "group_totals",
    "key_column",
    "missing_key_reason",
    "plan",
    "scores_of",
]

_DAY = np.timedelta64(1, "D")
Selector = slice | npt.NDArray[np.intp]

#: Reason codes of `Contributions.reason` (0: the row counts).
COUNTED, AFTER, OUTSIDE, UNKNOWN, MISSING_KEY = range(5)
_UNKNOWN_LIVE = 5  # stats slot: unknown-code rows that would otherwise count
STATS = 6


def missing_key_reason(by: str) -> str:
    """The report reason of rows whose grouping key is missing (e.g. "missing victim_id")."""
    return f"missing {by}"


def reason_names(by: str) -> tuple[str, ...]:
    """Report reason of each reason code (index 0, counted, is "")."""
    return ("", AFTER_AS_OF, OUTSIDE_WINDOW, UNKNOWN_CODE, missing_key_reason(by))


def key_column(events: Events, by: str) -> npt.NDArray[Any]:
    """The grouping key of every event: the ``by`` column."""
    if by in ("offence_code", "date"):
        msg = f"by={by!r}: group by an id or a carried column, not by {by!r}"
        raise ParameterError(msg)
    if by not in events.column_names:
        msg = (
            f"by={by!r}: the events have no such column; columns: {', '.join(events.column_names)}"
        )
        raise ParameterError(msg)
    return events[by]


def _key_values(
    values: npt.NDArray[Any], missing: npt.NDArray[np.bool_] | None, by: str
) -> npt.NDArray[Any]:
    """Keys with a groupable dtype (an object column of strings becomes unicode)."""
    if values.dtype.kind != "O":
        return values
    out = values.copy()
    if missing is not None:
        out[missing] = ""
    if all(isinstance(v, str) for v in out.tolist()):
        strings: npt.NDArray[np.str_] = out.astype(np.str_)
        return strings
    msg = f"by={by!r}: the column must hold numbers, strings or dates (got mixed Python objects)"
    raise ParameterError(msg)


def factor_table(decay: Decay, window: int | None, oldest: int) -> tuple[npt.NDArray[Any], int]:
    """``(table, length)``: decay factors for ages ``0 .. length - 1`` followed by one 0.0.

    ``length`` is the window, cut to the oldest age present (``oldest``): no table is built for
    ages no event has, so a window of 10**11 days costs nothing. A row counts iff
    ``0 <= age < length`` (then also ``age < window``); look up ``table[min(uint64(age),
    length)]`` to get 0.0 for every other row.
    """
    reach = oldest + 1 if oldest >= 0 else 1
    length = reach if window is None else min(window, reach)
    from ..plugins import source_of_decay

    table = np.append(decay_table(decay, length, source=source_of_decay(decay)), 0.0)
    return table, length


def _event_codes(
    events: Events, scheme: WeightScheme
) -> tuple[npt.NDArray[np.bool_] | None, dict[str, int]]:
    """The rows whose code the scheme lacks (None if none) and each such code's row count."""
    if events.categories is not None:
        cat_rows = scheme.index_of(events.categories)
        if not (cat_rows < 0).any():
            return None, {}
        used = np.bincount(events.offence_code, minlength=cat_rows.size)
        missing_cats = np.flatnonzero((cat_rows < 0) & (used > 0))
        codes = {str(events.categories[k]): int(used[k]) for k in missing_cats}
        return ((cat_rows < 0)[events.offence_code] if codes else None), codes
    unknown = scheme.index_of(events.offence_code) < 0
    if not unknown.any():
        return None, {}
    found, counts = np.unique(events.offence_code[unknown], return_counts=True)
    return unknown, dict(zip(found.tolist(), counts.tolist(), strict=True))


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
        listed = ", ".join(f"{c!r} ({n:,})" for c, n in ranked[1:6])
        more = f" and {len(ranked) - 6:,} more" if len(ranked) > 6 else ""
        others = f"; other unknown codes: {listed}{more}"
    hint = describe_code(code, scheme.key_system)
    msg = (
        f"offence code {code!r} is not in weight scheme {scheme.name!r}{hint}: {count:,} {rows} it "
        f"(first at {first}){others}. Pass on_unknown='skip' to count them in the report "
        f"instead, or on_unknown='fallback' with fallback_weight=..."
    )
    return UnknownCodeError(
        msg, source=events.source, row=row, column="offence_code", value=code, count=count
    )


@attrs.frozen(eq=False)
class Chunk:
    """Contributions of some rows: ``value`` is 0 where ``counted`` is False (None: all count)."""

    value: npt.NDArray[np.float64]
    age: npt.NDArray[np.int64]
    counted: npt.NDArray[np.bool_] | None
    stats: npt.NDArray[np.int64]  # rows per reason code, then unknown rows that would count


@attrs.frozen(eq=False)
class Plan:
    """The events checked against the options, with the lookup tables; values any rows."""

    events: Events
    options: ScoringOptions
    params: ScoreParams
    key: npt.NDArray[Any]  # grouping key of every row (missing keys as stored)
    key_missing: npt.NDArray[np.bool_] | None  # rows whose key is missing (None: none)
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
    ) -> Chunk:
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
        stats = np.zeros(STATS, dtype=np.int64)
        counted: npt.NDArray[np.bool_] | None = None
        factor = s.get("factor", np.float64, n)
        if self.in_window:
            np.take(self.table, age, out=factor)
        else:
            slot = s.get("slot", np.uint64, n)
            np.minimum(age.view(np.uint64), np.uint64(self.length), out=slot)
            np.take(self.table, slot.view(np.intp), out=factor)  # age < 0 or >= length: 0.0
            counted = np.less(slot, self.length, out=s.get("counted", np.bool_, n))
            stats[AFTER] = np.count_nonzero(age < 0)
            stats[OUTSIDE] = n - stats[AFTER] - np.count_nonzero(counted)
        np.multiply(value, factor, out=value)
        if unknown is not None:
            stats[UNKNOWN] = np.count_nonzero(unknown)
            live = unknown if counted is None else unknown & counted
            stats[_UNKNOWN_LIVE] = np.count_nonzero(live)
            if self.options.on_unknown == "skip":
                if counted is None:
                    counted = np.logical_not(unknown, out=s.get("counted", np.bool_, n))
                else:
                    counted &= ~unknown
        if self.key_missing is not None:
            gone = self.key_missing[sel]
            if counted is None:
                stats[MISSING_KEY] = np.count_nonzero(gone)
                counted = np.logical_not(gone, out=s.get("counted", np.bool_, n))
            else:
                stats[MISSING_KEY] = np.count_nonzero(gone & counted)
                counted &= ~gone
            value[gone] = 0.0
        return Chunk(value, age, counted, stats)

    def report(self, stats: npt.NDArray[np.int64]) -> Report:
        """The row report from summed chunk stats; raises for unknown codes if asked to."""
        ev = self.events
        on_unknown = self.options.on_unknown
        unknown_codes: dict[str, int] = {}
        if stats[UNKNOWN]:
            unknown, unknown_codes = _event_codes(ev, self.options.scheme)
            if on_unknown == "raise":
                assert unknown is not None
                raise _unknown_code_error(ev, self.options.scheme, unknown, unknown_codes)
        live = int(stats[_UNKNOWN_LIVE])
        skipped = live if on_unknown == "skip" else 0
        excluded = dict(ev.dropped)
        names = reason_names(self.options.by)
        rows_by_reason = {
            names[AFTER]: int(stats[AFTER]),
            names[OUTSIDE]: int(stats[OUTSIDE]),
            names[UNKNOWN]: skipped,
            names[MISSING_KEY]: int(stats[MISSING_KEY]),
        }
        for reason, rows in rows_by_reason.items():
            if rows:
                excluded[reason] = excluded.get(reason, 0) + rows
        fields: dict[str, Any] = {  # (attrs types the converter=dict fields loosely)
            "total": ev.n_rows,
            "counted": len(ev) - sum(rows_by_reason.values()),
            "excluded": excluded,
            "fallback_rows": live if on_unknown == "fallback" else 0,
            "unknown_codes": unknown_codes,
        }
        return Report(**fields)

    def reasons(self, age: npt.NDArray[np.int64]) -> npt.NDArray[np.uint8]:
        """Reason code of every row (``COUNTED`` for rows that count), from their ages."""
        reason = np.zeros(age.size, dtype=np.uint8)
        if self.key_missing is not None:
            reason[self.key_missing] = MISSING_KEY
        if self.options.on_unknown == "skip":
            unknown, _ = _event_codes(self.events, self.options.scheme)
            if unknown is not None:
                reason[unknown] = UNKNOWN
        if self.options.window_days is not None:
            reason[age >= self.options.window_days] = OUTSIDE
        reason[age < 0] = AFTER
        return reason


def plan(events: Events, options: ScoringOptions) -> Plan:
    """Check ``events`` against ``options`` and build the lookup tables."""
    given: object = events  # callers without type checking may pass anything
    if not isinstance(given, Events):
        msg = f"events must be crimeharm.Events (got {type(given).__name__})"
        raise ParameterError(msg)
    key = key_column(events, options.by)
    missing = is_missing(key) if options.by != "offender_id" else None
    key_missing = missing if missing is not None and missing.any() else None
    key = _key_values(key, key_missing, options.by)
    scheme = options.scheme
    today = int(options.as_of.astype(np.int64))
    dates = events.date.view(np.int64)
    n = dates.size
    oldest = today - int(dates.min()) if n else 0
    youngest = today - int(dates.max()) if n else 0
    table, length = factor_table(options.decay, options.window_days, oldest)
    fallback = 0.0 if options.fallback_weight is None else options.fallback_weight
    weights = np.append(scheme.weights, fallback)  # row -1 of the lookup is the fallback
    unknown_of = None
    if events.categories is not None:
        cat_rows = scheme.index_of(events.categories)
        weight_of = weights[cat_rows]
        if (cat_rows < 0).any():
            unknown_of = cat_rows < 0
    else:
        weight_of = weights
    return Plan(
        events=events,
        options=options,
        params=options.params(),
        key=key,
        key_missing=key_missing,
        table=table,
        length=length,
        day=today,
        in_window=youngest >= 0 and oldest < length,
        weight_of=weight_of,
        unknown_of=unknown_of,
        index=StringIndex(scheme.codes),
    )


@attrs.frozen(eq=False)
class Evaluated:
    """Every row valued: contributions (0 where not counted), ages, the counted mask, report."""

    value: npt.NDArray[np.float64]
    age: npt.NDArray[np.signedinteger]
    counted: npt.NDArray[np.bool_] | None  # None: every row counts
    report: Report

    def counted_rows(self) -> npt.NDArray[np.intp] | None:
        """Indices of the counted rows (None: every row)."""
        return None if self.counted is None else np.flatnonzero(self.counted)


def _age_dtype(length: int) -> np.dtype[np.signedinteger]:
    """The narrowest integer type that holds every counted age (first/last need only those)."""
    for dtype in (np.int16, np.int32):
        if length <= np.iinfo(dtype).max:
            return np.dtype(dtype)
    return np.dtype(np.int64)


def evaluate(p: Plan, age_dtype: np.dtype[np.signedinteger] | None = None) -> Evaluated:
    """Contributions, ages and the counted mask of every row, computed on worker threads."""
    n = len(p.events)
    value = np.empty(n, dtype=np.float64)
    age = np.empty(n, dtype=_age_dtype(p.length) if age_dtype is None else age_dtype)
    narrow = age.dtype != np.int64
    masks: list[tuple[int, int, npt.NDArray[np.bool_]]] = []

    def part(start: int, stop: int) -> npt.NDArray[np.int64]:
        stats = np.zeros(STATS, dtype=np.int64)
        scratch = thread_scratch()
        for a, b in chunks(start, stop):
            c = p.chunk(slice(a, b), scratch, value_out=value[a:b])
            if narrow:  # uncounted rows may not fit: clip (they are masked out anyway)
                np.clip(c.age, -1, p.length, out=c.age)
            age[a:b] = c.age
            if c.counted is not None:
                masks.append((a, b, c.counted.copy()))
            stats += c.stats
        return stats

    stats = np.sum(run_parts(part, n), axis=0) if n else np.zeros(STATS, dtype=np.int64)
    report = p.report(stats)
    counted = None
    if masks:
        counted = np.ones(n, dtype=bool)
        for a, b, mask in masks:
            counted[a:b] = mask
    return Evaluated(value, age, counted, report)


@attrs.frozen(eq=False)
class Contributions:
    """Per-event contributions with the reason each excluded row is excluded.

    ``value[i]`` is weight * decay for counted rows and 0 for every other row; ``counted``
    marks the rows that count; ``reason[i]`` is a reason code (0 = counted; the names are
    ``reason_names``); ``key`` is each row's grouping key.
    """

    value: npt.NDArray[np.float64]
    counted: npt.NDArray[np.bool_]
    age: npt.NDArray[np.int64]
    reason: npt.NDArray[np.uint8]
    key: npt.NDArray[Any]
    report: Report
    params: ScoreParams
    plan: Plan

    @property
    def all_counted(self) -> bool:
        """Whether every row counts."""
        return bool(self.counted.all())

    @property
    def reason_names(self) -> tuple[str, ...]:
        """Report reason of each reason code ("" for counted)."""
        return reason_names(self.params.by)

    def factor(self, rows: npt.NDArray[np.intp]) -> npt.NDArray[np.float64]:
        """The decay factor of the counted ``rows`` (the scorer's own table)."""
        return np.asarray(self.plan.table[self.age[rows]], dtype=np.float64)

    def weight(self, rows: npt.NDArray[np.intp]) -> npt.NDArray[np.float64]:
        """The weight of ``rows`` (the fallback weight for codes the scheme lacks)."""
        ev = self.plan.events
        if ev.categories is not None:
            return np.asarray(self.plan.weight_of[ev.offence_code[rows]], dtype=np.float64)
        lookup = self.plan.index.lookup(ev.offence_code[rows], Scratch())
        return np.asarray(self.plan.weight_of[lookup], dtype=np.float64)


def contributions(events: Events, options: ScoringOptions) -> Contributions:
    """Each event's contribution and, for each excluded row, why (see ``Contributions``)."""
    p = plan(events, options)
    full = evaluate(p, age_dtype=np.dtype(np.int64))
    counted = np.ones(len(events), dtype=bool) if full.counted is None else full.counted
    age = np.asarray(full.age, dtype=np.int64)
    reason = np.zeros(len(events), dtype=np.uint8) if full.counted is None else p.reasons(age)
    return Contributions(full.value, counted, age, reason, p.key, full.report, p.params, p)


# -- aggregation ---------------------------------------------------------------------------------


def group_totals(
    label: npt.NDArray[np.intp],
    size: int,
    value: npt.NDArray[np.float64],
    age: npt.NDArray[np.integer] | None = None,
) -> GroupTotals:
    """Exact totals per label in ``range(size)`` by the default kernel (the one sum of harm)."""
    if age is None:
        age = np.zeros(label.size, dtype=np.int64)
    return get_kernel(rows=int(label.size)).totals(label, size, value, age)


def group_harm(
    label: npt.NDArray[np.intp], size: int, value: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """float64 harm per label in ``range(size)``: the kernel's exact sums, no counts or ages."""
    kernel = get_kernel(rows=int(label.size))
    return kernel.sums(label, size, np.asarray(value, dtype=np.float64)).to_float()


def exact_total(values: npt.NDArray[np.float64]) -> float:
    """The harm of one group from its contributions, exactly as every scoring path adds them."""
    label = np.zeros(np.asarray(values).size, dtype=np.intp)
    return float(group_harm(label, 1, values)[0])


@attrs.frozen(eq=False)
class GroupSums:
    """Per-group sums sorted by key: exact harm, counted events, first and last dates.

    ``pairs`` holds the distinct (key, victim) pairs sorted (None without victim ids).
    """

    key: npt.NDArray[Any]
    exact: ExactSums
    n_events: npt.NDArray[np.int64]
    first_date: npt.NDArray[Any]  # datetime64[D]
    last_date: npt.NDArray[Any]  # datetime64[D]
    pairs: tuple[npt.NDArray[Any], npt.NDArray[Any]] | None = None

    @property
    def harm(self) -> npt.NDArray[np.float64]:
        """float64 harm per group: a function of the exact sums alone."""
        return self.exact.to_float()

    def victims(self) -> npt.NDArray[np.int64] | None:
        """Distinct victims per group (None without victim ids)."""
        if self.pairs is None:
            return None
        owner = self.pairs[0]
        starts = np.searchsorted(owner, self.key, side="left")
        stops = np.searchsorted(owner, self.key, side="right")
        return (stops - starts).astype(np.int64)


def scores_of(sums: GroupSums, report: Report, params: ScoreParams) -> Scores:
    """[`Scores`][crimeharm.Scores] from per-group sums (harm from the exact sums)."""
    return Scores(
        offender_id=sums.key,
        harm=sums.harm,
        n_events=sums.n_events,
        first_date=sums.first_date,
        last_date=sums.last_date,
        victims=sums.victims(),
        report=report,
        params=params,
        exact=sums.exact,
    )


def aggregate(
    as_of: np.datetime64,
    key: npt.NDArray[Any],
    value: npt.NDArray[np.float64],
    age: npt.NDArray[np.signedinteger],
    victim: npt.NDArray[Any] | None = None,
) -> GroupSums:
    """Per-group sums of the given (counted) rows, sorted by key (see ``GroupSums``).

    Harm is exact (``ExactSums``): any subset of rows holding all of a group's rows gives
    that group bit-for-bit the same harm, in any order, by any kernel.
    """
    kernel = get_kernel(rows=int(np.asarray(key).size))
    label: npt.NDArray[np.intp] | None
    if kernel.name == "numpy":
        label, distinct = kernel.group(key)
        size = int(distinct.size)
        # sorting the keys drops the GIL: it runs on a worker while the kernel sums
        threaded = workers() > 1 and size >= PARALLEL_MIN // 4
        sorting = pool().submit(sort_distinct, distinct) if threaded else None
        totals = kernel.totals(label, size, value, age)
        order = sort_distinct(distinct) if sorting is None else sorting.result()
    else:  # a compiled kernel groups and totals in one multi-threaded pass
        distinct, totals, label = kernel.aggregate(key, value, age, with_label=victim is not None)
        size = int(distinct.size)
        order = sort_distinct(distinct)
    pairs = None
    if victim is not None:
        assert label is not None
        rank = np.empty(size, dtype=np.intp)
        rank[order] = np.arange(size, dtype=np.intp)
        pairs = _distinct_pairs(distinct[order], np.take(rank, label), victim)
    return _sorted_sums(as_of, distinct, totals, order, pairs)


def _sorted_sums(
    as_of: np.datetime64,
    distinct: npt.NDArray[Any],
    totals: GroupTotals,
    order: npt.NDArray[np.intp],
    pairs: tuple[npt.NDArray[Any], npt.NDArray[Any]] | None = None,
) -> GroupSums:
    """``GroupSums`` of groups ``distinct`` with ``totals``, in the key order ``order``."""
    return GroupSums(
        key=distinct[order],
        exact=totals.harm.take(order),
        n_events=totals.count[order],
        first_date=as_of - totals.max_age[order] * _DAY,
        last_date=as_of - totals.min_age[order] * _DAY,
        pairs=pairs,
    )


def _distinct_pairs(
    keys: npt.NDArray[Any], label: npt.NDArray[np.intp], victim: npt.NDArray[Any]
) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
    """The distinct (key, victim) pairs of the rows, sorted by key then victim.

    Rows without a victim (a missing ``victim_id``) are no victim: they make no pair.
    """
    from ..kernels.hashing import group_sorted

    absent = is_missing(victim)
    if absent.any():
        keep = ~absent
        label, victim = label[keep], victim[keep]
    victims, vdistinct = group_sorted(victim)
    width = max(int(vdistinct.size), 1)
    _, distinct_pairs = group_sorted(label.astype(np.int64) * width + victims)
    owner = (distinct_pairs // width).astype(np.intp)
    who = (distinct_pairs % width).astype(np.intp)
    return keys[owner], vdistinct[who]


def fused_sums(p: Plan) -> GroupSums | None:
    """Per-group sums of every row, valued inside a compiled kernel's grouping pass.

    Only where every row counts (all in the window, every code known, every key present) and
    no victim pairs are wanted, by a kernel with ``aggregate_coded``; None otherwise (then
    ``evaluate`` and ``sums_of``). No per-row value or age array is built; the products
    ``weight_of[code] * table[age]`` and their exact sums are those of ``Plan.chunk`` and
    ``aggregate``, so the result is the same, bit for bit.
    """
    ev = p.events
    n = len(ev)
    wants_pairs = ev.victim_id is not None and p.options.by != "victim_id"
    if not p.in_window or p.key_missing is not None or p.unknown_of is not None or wants_pairs:
        return None
    kernel = get_kernel(rows=n)
    fused = getattr(kernel, "aggregate_coded", None)
    if fused is None or n == 0:
        return None
    weight = p.weight_of
    if ev.categories is not None:
        code: npt.NDArray[np.integer] = ev.offence_code
    else:
        code = np.empty(n, dtype=np.int16 if weight.size <= 1 << 15 else np.int32)

        def part(start: int, stop: int) -> bool:
            scratch = thread_scratch()
            known = True
            for a, b in chunks(start, stop):
                rows = p.index.lookup(ev.offence_code[a:b], scratch)
                known = known and bool(rows.min() >= 0)
                code[a:b] = rows
            return known

        if not all(run_parts(part, n)):
            return None  # unknown codes: the report needs evaluate's counts
        weight = weight[:-1]  # without the fallback (no row uses it)
    got = fused(p.key, code, weight, ev.date.view(np.int64), p.day, p.table[: p.length])
    if got is None:
        return None
    distinct, totals = got
    return _sorted_sums(p.options.as_of, distinct, totals, sort_distinct(distinct))


def sums_of(p: Plan, full: Evaluated, *, pairs: bool = True) -> GroupSums:
    """Per-group sums of every counted row of an evaluated plan."""
    rows = full.counted_rows()

    def pick(column: npt.NDArray[Any]) -> npt.NDArray[Any]:
        return column if rows is None else column[rows]

    victim = p.events.victim_id if pairs and p.options.by != "victim_id" else None
    return aggregate(
        p.options.as_of,
        pick(p.key),
        pick(full.value),
        pick(full.age),
        None if victim is None else pick(victim),
    )
