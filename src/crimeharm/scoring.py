"""The vectorised scorer: harm per offender = sum of weight(code) * decay(age) over counted events.

No I/O, no printing, no Python loop over events or offenders. ``top`` bounds each offender's harm
by the harm of a hash bucket of offenders (contributions are never negative), so it computes
exact harm only for the few buckets that can reach the top n; its rows equal ``score().top(n)``.
"""

from __future__ import annotations

from typing import Any, Literal

import attrs
import numpy as np
import numpy.typing as npt

from . import ranking
from ._hashing import group_rows, string_hash
from .decay import Decay, decay_table
from .errors import ParameterError, UnknownCodeError
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

__all__ = ["OnUnknown", "Contributions", "contributions", "score", "top"]

OnUnknown = Literal["raise", "skip", "fallback"]
_DAY = np.timedelta64(1, "D")


def _as_of(value: Any) -> np.datetime64:
    try:
        day = np.datetime64(value, "D")
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
    if isinstance(scheme, WeightScheme):
        return scheme
    if isinstance(scheme, str):
        from .plugins import get_scheme

        return get_scheme(scheme)
    msg = f"scheme must be a WeightScheme or a registered name (got {type(scheme).__name__})"
    raise ParameterError(msg)


def resolve_decay(decay: Decay | str | None) -> Decay:
    """A decay object; None and "none" mean no decay; names go to the plugin registry."""
    from .plugins import get_decay

    if decay is None:
        return get_decay("none")
    if isinstance(decay, str):
        return get_decay(decay)
    if not isinstance(decay, Decay):
        msg = f"decay must be a Decay (with name, factor, params) or a name (got {decay!r})"
        raise ParameterError(msg)
    return decay


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
    return per_event, unknown_mask, dict(zip(found.tolist(), counts.tolist()))


def _unknown_code_error(
    events: Events, scheme: WeightScheme, unknown: npt.NDArray[np.bool_], codes: dict[str, int]
) -> UnknownCodeError:
    from .catalogue import describe_code

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
    if not isinstance(events, Events):
        msg = f"events must be crimeharm.Events (got {type(events).__name__})"
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

    weights, unknown, unknown_codes = _event_weights(events, scheme, on_unknown, fallback)
    if unknown is not None and on_unknown == "raise":
        raise _unknown_code_error(events, scheme, unknown, unknown_codes)

    age = day.astype(np.int64) - events.date.view(np.int64)
    n = len(events)
    if window is None:
        length = int(age.max()) + 1 if n and age.max() >= 0 else 1
    else:
        length = window
    table = np.append(decay_table(decay_obj, length, source=_decay_source(decay_obj)), 0.0)
    slot = np.minimum(age.view(np.uint64), np.uint64(length)).astype(np.intp)  # <0 or >=L -> L
    value = weights * table[slot]
    after = int(np.count_nonzero(age < 0))
    outside = int(np.count_nonzero(age >= length)) if window is not None else 0
    counted = age < length
    counted &= age >= 0
    skipped = 0
    fallback_rows = 0
    if unknown is not None:
        live = unknown & counted
        if on_unknown == "skip":
            skipped = int(np.count_nonzero(live))
            counted &= ~unknown
            value[unknown] = 0.0
        else:
            fallback_rows = int(np.count_nonzero(live))
    n_counted = n - after - outside - skipped
    excluded = dict(events.dropped)
    for reason, rows in ((AFTER_AS_OF, after), (OUTSIDE_WINDOW, outside), (UNKNOWN_CODE, skipped)):
        if rows:
            excluded[reason] = excluded.get(reason, 0) + rows
    report = Report(
        total=events.n_rows,
        counted=n_counted,
        excluded=excluded,
        fallback_rows=fallback_rows,
        unknown_codes=unknown_codes,
    )
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
    return Contributions(value, counted, age, report, params, all_counted=n_counted == n)


def _decay_source(decay: Decay) -> str:
    from .plugins import source_of_decay

    return source_of_decay(decay)


def _aggregate(
    events: Events, contrib: Contributions, rows: npt.NDArray[np.intp] | None
) -> dict[str, Any]:
    """Per-offender columns, sorted by offender id, over ``rows`` (None: all counted rows)."""
    if rows is None:
        rows = None if contrib.all_counted else np.flatnonzero(contrib.counted)

    def pick(column: npt.NDArray[Any]) -> npt.NDArray[Any]:
        return column if rows is None else column[rows]

    ids = pick(events.offender_id)
    value = pick(contrib.value)
    age = pick(contrib.age)
    groups = group_rows(ids)
    label, size, used = groups.label, groups.size, groups.used
    harm = np.bincount(label, weights=value, minlength=size)[used]
    count = np.bincount(label, minlength=size)[used].astype(np.int64)
    youngest = np.full(size, np.iinfo(np.int64).max, dtype=np.int64)
    oldest = np.full(size, -1, dtype=np.int64)
    np.minimum.at(youngest, label, age)
    np.maximum.at(oldest, label, age)
    day = contrib.params.as_of
    columns: dict[str, Any] = {
        "offender_id": ids[groups.first],
        "harm": harm,
        "count": count,
        "first": day - oldest[used] * _DAY,
        "last": day - youngest[used] * _DAY,
        "victims": None,
    }
    if events.victim_id is not None:
        victims = group_rows(pick(events.victim_id))
        pair = label.astype(np.int64) * victims.size + victims.label
        pairs = group_rows(pair)
        columns["victims"] = np.bincount(label[pairs.first], minlength=size)[used].astype(np.int64)
    order = np.argsort(columns["offender_id"], kind="stable")
    return {k: (v if v is None else v[order]) for k, v in columns.items()}


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
    contrib = contributions(
        events,
        scheme,
        as_of=as_of,
        window_days=window_days,
        decay=decay,
        on_unknown=on_unknown,
        fallback_weight=fallback_weight,
    )
    return Scores(report=contrib.report, params=contrib.params, **_aggregate(events, contrib, None))


def _bucket_of(ids: npt.NDArray[Any], bits: int) -> npt.NDArray[np.intp]:
    keys = string_hash(ids) if ids.dtype.kind == "U" else ids.view(np.uint64)
    h = keys * np.uint64(0xBF58476D1CE4E5B9)
    h >>= np.uint64(64 - bits)
    return h.astype(np.intp)


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
    above. The exact harm of the members of the heaviest buckets gives a lower bound ``L`` on the
    n-th best harm, and only buckets whose sum reaches ``L`` can hold a top-n offender.
    """
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 0:
        msg = f"n must be a whole number >= 0 (got {n!r})"
        raise ParameterError(msg)
    contrib = contributions(
        events,
        scheme,
        as_of=as_of,
        window_days=window_days,
        decay=decay,
        on_unknown=on_unknown,
        fallback_weight=fallback_weight,
    )

    def full() -> Ranking:
        columns = _aggregate(events, contrib, None)
        return Scores(report=contrib.report, params=contrib.params, **columns).top(n)

    rows_total = len(events)
    if n == 0 or rows_total < 64 * max(n, 1) or events.offender_id.dtype.kind not in "iU":
        return full()
    bits = max(10, min(24, int(rows_total // 4).bit_length()))
    bucket = _bucket_of(events.offender_id, bits)
    bucket_harm = np.bincount(bucket, weights=contrib.value, minlength=1 << bits)
    # 1. a lower bound on the n-th best harm from the offenders of the 4n heaviest buckets
    k = min(bucket_harm.size, 4 * n)
    heavy = np.argpartition(bucket_harm, bucket_harm.size - k)[bucket_harm.size - k :]
    bound = _nth_best(events, contrib, bucket, heavy, n, bits)
    if bound is None or bound <= 0.0:
        return full()  # fewer than n offenders with positive harm: nothing to prune
    # 2. only buckets whose total reaches the bound can hold an offender of the top n
    reach = np.flatnonzero(bucket_harm >= bound)
    rows = _rows_in(bucket, reach, contrib.counted, bits)
    columns = _aggregate(events, contrib, rows)
    keep = ranking.top_indices(columns["offender_id"], columns["harm"], n)
    picked = {k: (v if v is None else v[keep]) for k, v in columns.items()}
    return Ranking(
        rank=np.arange(1, keep.size + 1, dtype=np.int64),
        report=contrib.report,
        params=contrib.params,
        **picked,
    )


def _rows_in(
    bucket: npt.NDArray[np.intp],
    chosen: npt.NDArray[np.intp],
    counted: npt.NDArray[np.bool_],
    bits: int,
) -> npt.NDArray[np.intp]:
    member = np.zeros(1 << bits, dtype=bool)
    member[chosen] = True
    mask = member[bucket]
    mask &= counted
    return np.flatnonzero(mask)


def _nth_best(
    events: Events,
    contrib: Contributions,
    bucket: npt.NDArray[np.intp],
    heavy: npt.NDArray[np.intp],
    n: int,
    bits: int,
) -> float | None:
    rows = _rows_in(bucket, heavy, contrib.counted, bits)
    groups = group_rows(events.offender_id[rows])
    harm = np.bincount(groups.label, weights=contrib.value[rows], minlength=groups.size)[groups.used]
    if harm.size < n:
        return None
    return float(np.partition(harm, harm.size - n)[harm.size - n])
