"""``score`` and ``top``: harm per group (offender by default) through the engine.

The rules of harm, the per-event contributions and the per-group sums are the engine's
(``crimeharm.core.engine``); this module validates the arguments once
([`ScoringOptions`][crimeharm.core.parameters.ScoringOptions]) and builds the results. ``top``
bounds each group's harm by the harm of a hash bucket of groups (contributions are never negative),
so it groups by key only the rows of the few buckets that can reach the top n; its rows equal
``score().top(n)``.
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from ..kernels.hashing import Scratch, chunks, run_parts, string_hash, thread_scratch
from . import ranking
from .decay import Decay
from .engine import (
    STATS,
    Chunk,
    GroupSums,
    Plan,
    aggregate,
    evaluate,
    fused_sums,
    plan,
    scores_of,
    sums_of,
)
from .events import Events, as_events
from .parameters import OnUnknown, ScoringOptions, check_count, resolve_decay, resolve_scheme
from .results import Ranking, Report, Scores
from .schemes import WeightScheme

__all__ = ["OnUnknown", "resolve_decay", "resolve_scheme", "score", "top"]


def score(
    events: Any,
    scheme: WeightScheme | str,
    *,
    as_of: Any,
    window_days: int | None = None,
    decay: Decay | str | None = None,
    on_unknown: OnUnknown = "raise",
    fallback_weight: float | None = None,
    by: str = "offender_id",
    **read_options: Any,
) -> Scores:
    """Harm of every group (offender, by default) with at least one counted event.

    An event counts iff ``0 <= age_days < window_days`` where ``age_days = as_of - date`` (no
    window: every event on or before ``as_of``). Harm is the sum of ``weight(code) *
    decay(age_days)`` over counted events, in the scheme's unit (days for the CCHI). Codes the
    scheme lacks raise [`UnknownCodeError`][crimeharm.UnknownCodeError] unless ``on_unknown`` is
    ``"skip"`` (reported as "unknown code") or ``"fallback"`` (counted at ``fallback_weight``).
    ``by`` names the grouping key: ``"offender_id"``, ``"victim_id"`` or any carried column; rows
    without a key are reported as "missing <by>". ``events`` may be Events or a pandas/polars/Arrow
    table (``read_options``: the readers' column names, e.g. ``offender_id="suspect_ref"``).
    """
    options = ScoringOptions.build(
        scheme,
        as_of=as_of,
        window_days=window_days,
        decay=decay,
        on_unknown=on_unknown,
        fallback_weight=fallback_weight,
        by=by,
    )
    return score_with(as_events(events, read_options), options)


def score_with(events: Events, options: ScoringOptions) -> Scores:
    """[`score`][crimeharm.score] with validated options."""
    return _score_plan(plan(events, options))


def _score_plan(p: Plan) -> Scores:
    fused = fused_sums(p)
    if fused is not None:  # every row counts: the report needs no per-row pass
        return scores_of(fused, p.report(np.zeros(STATS, dtype=np.int64)), p.params)
    full = evaluate(p)
    return scores_of(sums_of(p, full), full.report, p.params)


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
    events: Any,
    scheme: WeightScheme | str,
    *,
    n: int = 100,
    as_of: Any,
    window_days: int | None = None,
    decay: Decay | str | None = None,
    on_unknown: OnUnknown = "raise",
    fallback_weight: float | None = None,
    by: str = "offender_id",
    **read_options: Any,
) -> Ranking:
    """The ``n`` offenders with the most harm; the same rows as ``score(...).top(n)``, faster.

    Offenders are hashed into buckets; a bucket's summed harm bounds each member's harm from
    above (contributions are never negative). The exact harm of the members of the heaviest
    buckets gives a lower bound ``L`` on the n-th best harm, and only buckets whose sum reaches
    ``L`` can hold a top-n offender: only their rows are grouped by offender.
    """
    n = check_count(n, "n")
    options = ScoringOptions.build(
        scheme,
        as_of=as_of,
        window_days=window_days,
        decay=decay,
        on_unknown=on_unknown,
        fallback_weight=fallback_weight,
        by=by,
    )
    return top_with(as_events(events, read_options), options, n)


def top_with(events: Events, options: ScoringOptions, n: int) -> Ranking:
    """[`top`][crimeharm.top] with validated options."""
    p = plan(events, options)
    rows_total = len(events)
    if (
        n == 0
        or rows_total < 64 * max(n, 1)
        or (p.key.dtype != np.int64 and p.key.dtype.kind != "U")
    ):
        return _score_plan(p).top(n)
    bits = max(_BUCKET_BITS[0], min(_BUCKET_BITS[1], (rows_total // 128).bit_length()))
    step = max(_TOP_CHUNK, 4 << bits)
    nb = 1 << bits
    bucket = np.empty(rows_total, dtype=np.uint16 if bits <= 16 else np.uint32)
    ids = p.key

    def part(start: int, stop: int) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
        sums = np.zeros(nb, dtype=np.float64)
        stats = np.zeros(STATS, dtype=np.int64)
        scratch = thread_scratch()
        for a, b in chunks(start, stop, step):
            value = scratch.get("top.value", np.float64, b - a)
            where = scratch.get("top.bucket", np.intp, b - a)
            for i, j in chunks(a, b):  # small steps keep the temporaries in cache
                c = p.chunk(slice(i, j), scratch, value_out=value[i - a : j - a])
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
    report = p.report(np.sum([s for _, s in results], axis=0))
    # the sums above and the offenders' harm add in different orders: allow for rounding, and
    # for the exact sums' grid (each row's contribution rounded to 2**-62 days: at most 2**-63
    # days a row, which only matters for harms of about 1e-18 days or less)
    slack = 1.0 - 4.0 * rows_total * np.finfo(np.float64).eps
    grid = rows_total * 2.0**-63
    # 1. exact harm of the offenders in the heaviest buckets: a lower bound on the n-th best.
    # Each positive bucket holds at least one positive offender, so a few more than n buckets
    # usually suffice; their rows are all that gets grouped by offender.
    k = min(nb, n + n // 4 + 16)
    while True:
        chosen = np.zeros(nb, dtype=bool)
        chosen[np.argpartition(bucket_harm, nb - k)[nb - k :]] = True
        exact = _exact(p, bucket, chosen)
        if exact is not None and exact.sums.key.size >= n:
            break
        if k == nb:
            return _score_plan(p).top(n)
        k = min(nb, 4 * k)
    harm = exact.sums.harm
    bound = float(np.partition(harm, harm.size - n)[harm.size - n])
    if bound <= 0.0:
        return _score_plan(p).top(n)  # fewer than n offenders with positive harm
    # 2. every bucket whose sum reaches the bound may hold a top-n offender: include them all
    reach = bucket_harm + grid >= bound * slack
    if (reach & ~chosen).any():
        exact = _exact(p, bucket, chosen | reach)
        assert exact is not None
    keep = ranking.top_indices(exact.sums.key, exact.sums.harm, n)
    return exact.ranking(keep, report, p)


@attrs.frozen(eq=False)
class _Exact:
    """Exact sums of every group whose rows are ``rows`` (all their counted rows)."""

    rows: npt.NDArray[np.intp]
    chunk: Chunk
    sums: GroupSums

    def ranking(self, keep: npt.NDArray[np.intp], report: Report, p: Plan) -> Ranking:
        """The groups ``keep`` (in that order) with every column of score()."""
        sums = self.sums
        if p.events.victim_id is not None and p.options.by != "victim_id":
            wanted = np.isin(p.key[self.rows], sums.key[keep])
            mine = self.rows[wanted]
            sums = aggregate(
                p.options.as_of,
                p.key[mine],
                self.chunk.value[wanted],
                self.chunk.age[wanted],
                p.events.victim_id[mine],
            )
            keep = np.searchsorted(sums.key, self.sums.key[keep])
        return scores_of(sums, report, p.params).ranking_of(keep)


def _exact(
    p: Plan, bucket: npt.NDArray[np.unsignedinteger], chosen: npt.NDArray[np.bool_]
) -> _Exact | None:
    """Exact sums of the groups in the ``chosen`` buckets (None if they have no row)."""

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
    c = p.chunk(rows)
    if c.counted is not None:
        keep = np.flatnonzero(c.counted)
        rows = rows[keep]
        c = Chunk(c.value[keep], c.age[keep], None, c.stats)
    sums = aggregate(p.options.as_of, p.key[rows], c.value, c.age)
    return _Exact(rows, c, sums)
