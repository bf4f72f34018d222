"""Compare rankings: top-n overlap, rank correlation, movers and churn across schemes or dates.

Rank correlations are computed on harm over offenders, in numpy only: Spearman's rho (Pearson
correlation of average ranks) and Kendall's tau-b (ties in either ranking adjusted, Knight's
algorithm: sort, then count discordant pairs as inversions with a vectorised merge count,
O(n log^2 n); a million offenders take a few seconds). scipy is used only for p-values, on
request.

Which offenders enter the correlation is the ``missing`` parameter of
[`compare`][crimeharm.research.compare.compare], stated in every comparison and every table
printed:

- ``"zero"`` (the default for two [`Scores`][crimeharm.Scores]): every offender scored in either,
  an offender absent from one having harm 0 there (true: they had no counted event there);
- ``"drop"`` (the default, and the only choice, when either side is a
  [`Ranking`][crimeharm.Ranking]): only the offenders present in both. A ranking holds a top n
  only, so an offender absent from it has unknown harm, not zero.

An offender absent from a side is reported as ``"not scored"`` on a Scores side (no counted
event) and ``"not in top n"`` on a Ranking side (below its cut, or not scored at all).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import attrs
import numpy as np
import numpy.typing as npt

from ..core.events import Events
from ..core.results import Ranking, Scores
from ..errors import ParameterError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "MISSING_TEXT",
    "Comparison",
    "ComparisonTable",
    "Mover",
    "churn_over_time",
    "compare",
    "compare_schemes",
    "kendall_tau_b",
    "spearman",
]

FloatArray = npt.NDArray[np.float64]
Missing = Literal["zero", "drop"]
#: How each ``missing`` convention is stated under a printed comparison.
MISSING_TEXT = {
    "zero": "correlations over offenders scored in either; one missing from a side has harm 0",
    "drop": "correlations over offenders present in both; one missing from a side is left out",
}
_SCORE_KEYS = ("scheme", "as_of", "window_days", "decay", "on_unknown", "fallback_weight")


# -- rank correlation ---------------------------------------------------------------------------


def _paired(x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    a = np.asarray(x, dtype=np.float64)
    b = np.asarray(y, dtype=np.float64)
    if a.ndim != 1 or a.shape != b.shape:
        msg = f"x and y must be 1-D of equal length (got shapes {a.shape} and {b.shape})"
        raise ParameterError(msg)
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        msg = "x and y must be finite numbers (no NaN or infinity)"
        raise ParameterError(msg)
    return a, b


def _average_ranks(x: FloatArray) -> FloatArray:
    """1-based ranks, ties sharing the mean of their positions (as scipy's rankdata)."""
    n = x.size
    order = np.argsort(x, kind="stable")
    xs = x[order]
    new = np.empty(n, dtype=bool)
    if n:
        new[0] = True
        np.not_equal(xs[1:], xs[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], n)
    mean_rank = (starts + ends - 1) / 2.0 + 1.0
    ranks = np.empty(n, dtype=np.float64)
    ranks[order] = mean_rank[np.cumsum(new) - 1]
    return ranks


def spearman(x: npt.ArrayLike, y: npt.ArrayLike) -> float:
    """Spearman's rank correlation of paired values (ties get average ranks); NaN if undefined."""
    a, b = _paired(x, y)
    if a.size < 2:
        return math.nan
    ra = _average_ranks(a)
    rb = _average_ranks(b)
    ra -= ra.mean()
    rb -= rb.mean()
    denom = math.sqrt(float(ra @ ra) * float(rb @ rb))
    if denom == 0.0:
        return math.nan
    return max(-1.0, min(1.0, float(ra @ rb) / denom))


def _tie_pairs(sorted_values: npt.NDArray[Any]) -> int:
    """Pairs sharing a value, sum of t(t-1)/2 over runs of equal values in a sorted array."""
    n = sorted_values.size
    if n < 2:
        return 0
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.not_equal(sorted_values[1:], sorted_values[:-1], out=new[1:])
    sizes = np.diff(np.append(np.flatnonzero(new), n)).astype(np.int64)
    return int((sizes * (sizes - 1) // 2).sum())


def _inversions(a: npt.NDArray[np.int64]) -> int:
    """Pairs i < j with a[i] > a[j], by bottom-up merging with vectorised counts."""
    n = a.size
    if n < 2:
        return 0
    m = int(a.max()) + 1
    idx = np.arange(n, dtype=np.int64)
    values = a.astype(np.int64, copy=True)
    total = 0
    width = 1
    while width < n:
        block = idx // (2 * width)
        right = (idx % (2 * width)) >= width
        key = block * m + values  # each half-block is sorted, so the left halves sort globally
        left_keys = key[~right]
        right_keys = key[right]
        # left elements in the same block greater than each right element
        before_next_block = (block[right] + 1) * width
        at_most = np.searchsorted(left_keys, right_keys, side="right")
        total += int((before_next_block - at_most).sum())
        key.sort(kind="stable")  # two sorted runs per block: a linear merge per block
        values = key - block * m
        width *= 2
    return total


def kendall_tau_b(x: npt.ArrayLike, y: npt.ArrayLike) -> float:
    """Kendall's tau-b of paired values (Knight 1966, O(n log^2 n)); NaN if undefined.

    tau_b = (C - D) / sqrt((n0 - n1) (n0 - n2)) with n0 = n(n-1)/2 pairs, n1 / n2 pairs tied
    in x / y, C / D concordant / discordant pairs.
    """
    a, b = _paired(x, y)
    n = a.size
    if n < 2:
        return math.nan
    order = np.lexsort((b, a))
    xs = a[order]
    ys = b[order]
    n0 = n * (n - 1) // 2
    n1 = _tie_pairs(xs)
    n2 = _tie_pairs(np.sort(b))
    joint = np.empty(n, dtype=bool)
    joint[0] = True
    joint[1:] = (xs[1:] != xs[:-1]) | (ys[1:] != ys[:-1])
    sizes = np.diff(np.append(np.flatnonzero(joint), n)).astype(np.int64)
    n3 = int((sizes * (sizes - 1) // 2).sum())
    dense = np.unique(ys, return_inverse=True)[1].astype(np.int64)
    discordant = _inversions(dense)
    numerator = n0 - n1 - n2 + n3 - 2 * discordant
    denom = math.sqrt(float(n0 - n1) * float(n0 - n2))
    if denom == 0.0:
        return math.nan
    return max(-1.0, min(1.0, numerator / denom))


# -- comparing two rankings ---------------------------------------------------------------------


@attrs.frozen
class Mover:
    """An offender who entered or left the top n, with rank and harm on each side.

    A rank is None where the offender is absent from that side; ``status_a`` / ``status_b``
    say why: ``"ranked"``, ``"not scored"`` (a Scores side: no counted event, harm 0) or
    ``"not in top k"`` (a Ranking side of k rows: below its cut or not scored; harm unknown,
    NaN).
    """

    offender_id: Any
    rank_a: int | None
    rank_b: int | None
    harm_a: float
    harm_b: float
    status_a: str = "ranked"
    status_b: str = "ranked"

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form."""
        oid = self.offender_id
        return {
            "offender_id": oid.item() if isinstance(oid, np.generic) else oid,
            "rank_a": self.rank_a,
            "rank_b": self.rank_b,
            "harm_a": self.harm_a,
            "harm_b": self.harm_b,
            "status_a": self.status_a,
            "status_b": self.status_b,
        }


@attrs.frozen
class Comparison:
    """Two rankings compared at the top ``n``.

    ``common`` offenders are in both top lists; ``overlap`` = common / max(len(top_a),
    len(top_b)), which is common / n whenever both sides have n offenders or more (a side with
    fewer offenders than n is not held against the overlap); ``jaccard`` = common / len(union of
    the top lists); ``churn`` = share of ranking a's top n not in b's. ``spearman`` and
    ``kendall_tau_b`` are computed on harm over ``n_offenders`` offenders chosen by ``missing``
    (stated by ``MISSING_TEXT``). ``entered`` are in b's
    top n but not a's, biggest rise first; ``left`` are in a's top n but not b's, biggest fall
    first.
    """

    pair_a: str
    pair_b: str
    n: int
    n_top_a: int
    n_top_b: int
    common: int
    overlap: float
    jaccard: float
    churn: float
    n_offenders: int
    spearman: float
    kendall_tau_b: float
    entered: tuple[Mover, ...] = ()
    left: tuple[Mover, ...] = ()
    spearman_p: float | None = None
    kendall_p: float | None = None
    missing: Missing = "zero"

    def __repr__(self) -> str:
        return (
            f"<Comparison {self.pair_a} vs {self.pair_b}, top {self.n}: {self.common} common, "
            f"overlap {self.overlap:.4f}, spearman {self.spearman:.4f} over "
            f"{self.n_offenders:,} offenders ({MISSING_TEXT[self.missing]})>"
        )

    def to_record(self) -> dict[str, Any]:
        """One tidy row (movers left out; see ``entered`` and ``left``)."""
        row: dict[str, Any] = {
            "pair_a": self.pair_a,
            "pair_b": self.pair_b,
            "n": self.n,
            "common": self.common,
            "overlap": self.overlap,
            "jaccard": self.jaccard,
            "churn": self.churn,
            "n_offenders": self.n_offenders,
            "spearman": self.spearman,
            "kendall_tau_b": self.kendall_tau_b,
            "missing": self.missing,
        }
        if self.spearman_p is not None:
            row["spearman_p"] = self.spearman_p
            row["kendall_p"] = self.kendall_p
        return row


def _check_n(n: Any) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        msg = f"n must be a whole number >= 1 (got {n!r})"
        raise ParameterError(msg)
    return int(n)


def _table(result: Scores | Ranking) -> tuple[npt.NDArray[Any], FloatArray, npt.NDArray[np.intp]]:
    """Offender ids (sorted), harm and 1-based rank aligned with them."""
    if isinstance(result, Scores):
        return result.offender_id, result.harm, result.ranks()
    order = np.argsort(result.offender_id, kind="stable")
    return result.offender_id[order], result.harm[order], result.rank[order].astype(np.intp)


def _top_ids(result: Scores | Ranking, n: int) -> npt.NDArray[Any]:
    if isinstance(result, Scores):
        return result.top(n).offender_id
    return result.offender_id[:n]


def _align(
    ids: npt.NDArray[Any], table_ids: npt.NDArray[Any], values: npt.NDArray[Any], missing: Any
) -> tuple[npt.NDArray[Any], npt.NDArray[np.bool_]]:
    pos = np.searchsorted(table_ids, ids)
    pos = np.minimum(pos, max(table_ids.size - 1, 0))
    found = (table_ids[pos] == ids) if table_ids.size else np.zeros(ids.size, dtype=bool)
    out = np.where(found, values[pos] if table_ids.size else missing, missing)
    return out, found


def _absent(side: Scores | Ranking) -> tuple[str, float]:
    """How an offender absent from a side is reported: status and harm."""
    if isinstance(side, Scores):
        return "not scored", 0.0
    return f"not in top {len(side)}", math.nan


def _movers(
    ids: npt.NDArray[Any],
    a: tuple[npt.NDArray[Any], FloatArray, npt.NDArray[np.intp]],
    b: tuple[npt.NDArray[Any], FloatArray, npt.NDArray[np.intp]],
    limit: int,
    *,
    rising: bool,
    absent: tuple[tuple[str, float], tuple[str, float]] = (("not scored", 0.0),) * 2,
) -> tuple[Mover, ...]:
    if ids.size == 0 or limit == 0:
        return ()
    ids = np.sort(ids)
    rank_a, in_a = _align(ids, a[0], a[2], 0)
    rank_b, in_b = _align(ids, b[0], b[2], 0)
    harm_a, _ = _align(ids, a[0], a[1], absent[0][1])
    harm_b, _ = _align(ids, b[0], b[1], absent[1][1])
    worst = a[0].size + b[0].size + 1  # an unscored offender ranks below everyone
    ra = np.where(in_a, rank_a, worst).astype(np.int64)
    rb = np.where(in_b, rank_b, worst).astype(np.int64)
    move = ra - rb if rising else rb - ra
    order = np.lexsort((rb if rising else ra, -move))[:limit]
    return tuple(
        Mover(
            offender_id=ids[i].item(),
            rank_a=int(rank_a[i]) if in_a[i] else None,
            rank_b=int(rank_b[i]) if in_b[i] else None,
            harm_a=float(harm_a[i]),
            harm_b=float(harm_b[i]),
            status_a="ranked" if in_a[i] else absent[0][0],
            status_b="ranked" if in_b[i] else absent[1][0],
        )
        for i in order
    )


def compare(
    a: Scores | Ranking,
    b: Scores | Ranking,
    *,
    n: int = 100,
    labels: tuple[str, str] = ("a", "b"),
    movers: int = 10,
    p_values: bool = False,
    missing: Missing | None = None,
) -> Comparison:
    """Compare two scores or rankings: top-``n`` overlap, rank correlation and movers.

    Args:
        a: The first [`Scores`][crimeharm.Scores] or [`Ranking`][crimeharm.Ranking].
        b: The second, of the same kind of offender id.
        n: The top-n cut compared (overlap, jaccard, churn, movers).
        labels: Names of ``a`` and ``b`` in the result.
        movers: How many offenders that entered or left the top n to list, each way.
        p_values: Add two-sided p-values from scipy.stats (needs scipy).
        missing: Which offenders enter the correlations: ``"zero"`` (every offender in either
            side, harm 0 where absent; only with two Scores) or ``"drop"`` (offenders in both).
            Default: ``"zero"`` for two Scores, ``"drop"`` when a side is a Ranking.

    Returns:
        The [`Comparison`][crimeharm.Comparison]; its ``missing`` says which convention ran.

    Raises:
        ParameterError: A side is neither Scores nor Ranking, ``n`` is not a whole number >= 1,
            the id kinds differ, or ``missing="zero"`` with a Ranking side.
    """
    n = _check_n(n)
    sides: tuple[object, object] = (a, b)
    for side in sides:
        if not isinstance(side, (Scores, Ranking)):
            msg = f"compare takes Scores or Ranking (got {type(side).__name__})"
            raise ParameterError(msg)
    both_scores = isinstance(a, Scores) and isinstance(b, Scores)
    if missing is None:
        missing = "zero" if both_scores else "drop"
    if missing not in MISSING_TEXT:
        msg = f"missing must be 'zero' or 'drop' (got {missing!r})"
        raise ParameterError(msg)
    if missing == "zero" and not both_scores:
        msg = (
            "missing='zero' needs two Scores: a Ranking holds a top n only, so an offender "
            "absent from it has unknown harm, not 0 (pass the Scores, or missing='drop')"
        )
        raise ParameterError(msg)
    ta, tb = _table(a), _table(b)
    if ta[0].dtype.kind != tb[0].dtype.kind and ta[0].size and tb[0].size:
        msg = "the two rankings use different kinds of offender id (integers and strings)"
        raise ParameterError(msg)
    absent = (_absent(a), _absent(b))
    top_a = _top_ids(a, n)
    top_b = _top_ids(b, n)
    common = int(np.intersect1d(top_a, top_b).size)
    union = int(np.union1d(top_a, top_b).size)
    largest = max(top_a.size, top_b.size)
    ids = np.union1d(ta[0], tb[0]) if missing == "zero" else np.intersect1d(ta[0], tb[0])
    x, _ = _align(ids, ta[0], ta[1], 0.0)
    y, _ = _align(ids, tb[0], tb[1], 0.0)
    rho = spearman(x, y)
    tau = kendall_tau_b(x, y)
    rho_p = tau_p = None
    if p_values:
        from .._optional import require

        stats = require("scipy.stats", "stats")
        rho_p = float(stats.spearmanr(x, y).pvalue) if ids.size > 2 else math.nan
        tau_p = float(stats.kendalltau(x, y).pvalue) if ids.size > 2 else math.nan
    return Comparison(
        pair_a=labels[0],
        pair_b=labels[1],
        n=n,
        n_top_a=int(top_a.size),
        n_top_b=int(top_b.size),
        common=common,
        overlap=common / largest if largest else math.nan,
        jaccard=common / union if union else math.nan,
        churn=(top_a.size - common) / top_a.size if top_a.size else math.nan,
        n_offenders=int(ids.size),
        spearman=rho,
        kendall_tau_b=tau,
        entered=_movers(np.setdiff1d(top_b, top_a), ta, tb, movers, rising=True, absent=absent),
        left=_movers(np.setdiff1d(top_a, top_b), ta, tb, movers, rising=False, absent=absent),
        spearman_p=rho_p,
        kendall_p=tau_p,
        missing=missing,
    )


# -- many variants at once ----------------------------------------------------------------------


@attrs.frozen(repr=False)
class ComparisonTable:
    """Pairwise comparisons as a tidy table: one row per pair (see
    [`Comparison`][crimeharm.Comparison]).
    """

    comparisons: tuple[Comparison, ...]
    scores: Mapping[str, Scores] = attrs.field(factory=dict, eq=False)

    def __len__(self) -> int:
        return len(self.comparisons)

    def __getitem__(self, pair: tuple[str, str]) -> Comparison:
        for c in self.comparisons:
            if (c.pair_a, c.pair_b) == pair:
                return c
        msg = f"no comparison of {pair[0]!r} with {pair[1]!r}"
        raise KeyError(msg)

    def to_records(self) -> list[dict[str, Any]]:
        """One plain dict per pair: pair_a, pair_b, n, overlap, jaccard, spearman, ..."""
        return [c.to_record() for c in self.comparisons]

    def to_pandas(self) -> pd.DataFrame:
        """The table as a pandas DataFrame (needs pandas)."""
        from .._optional import require

        pandas = require("pandas", "pandas")
        frame: pd.DataFrame = pandas.DataFrame(self.to_records())
        return frame

    def __repr__(self) -> str:
        head = f"<ComparisonTable: {len(self)} pairs>"
        if not self.comparisons:
            return head
        conventions = sorted({c.missing for c in self.comparisons})
        note = "\n".join(f"missing={m!r}: {MISSING_TEXT[m]}" for m in conventions)
        names = [
            "pair_a",
            "pair_b",
            "n",
            "common",
            "overlap",
            "jaccard",
            "spearman",
            "kendall_tau_b",
        ]
        rows = []
        for r in self.to_records():
            rows.append(
                [str(r[k]) if not isinstance(r[k], float) else f"{r[k]:.4f}" for k in names]
            )
        widths = [max(len(k), *(len(row[j]) for row in rows)) for j, k in enumerate(names)]
        lines = ["  ".join(k.rjust(w) for k, w in zip(names, widths, strict=True))]
        lines += ["  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
        return head + "\n" + "\n".join(lines) + "\n" + note


def _variant_kwargs(label: str, variant: Any, base: Mapping[str, Any]) -> dict[str, Any]:
    from ..core.schemes import WeightScheme

    kwargs = dict(base)
    if isinstance(variant, (WeightScheme, str)):
        kwargs["scheme"] = variant
    elif isinstance(variant, Mapping):
        unknown = sorted(set(variant) - set(_SCORE_KEYS))
        if unknown:
            msg = (
                f"variant {label!r}: unknown score option {unknown[0]!r}; "
                f"options: {', '.join(_SCORE_KEYS)}"
            )
            raise ParameterError(msg)
        kwargs.update(variant)
    else:
        msg = (
            f"variant {label!r} must be a WeightScheme, a scheme name or a mapping of score "
            f"options (got {type(variant).__name__})"
        )
        raise ParameterError(msg)
    for needed in ("scheme", "as_of"):
        if kwargs.get(needed) is None:
            msg = f"variant {label!r} has no {needed}; give it in the variant or as {needed}=..."
            raise ParameterError(msg)
    return kwargs


def compare_schemes(
    events: Events,
    variants: Mapping[str, Any],
    *,
    scheme: Any = None,
    as_of: Any = None,
    window_days: int | None = None,
    decay: Any = None,
    on_unknown: str = "raise",
    fallback_weight: float | None = None,
    n: int = 100,
    pairs: str = "all",
    movers: int = 10,
    p_values: bool = False,
    missing: Missing = "zero",
) -> ComparisonTable:
    """Score ``events`` under each variant and compare every pair of the rankings.

    ``variants`` maps a label to a [`WeightScheme`][crimeharm.WeightScheme] or scheme name
    (``{"cchi": s1, "flat": s2}``), or to a mapping of [`crimeharm.score`][crimeharm.score] options
    that override the keywords here (``{"1y": {"decay": d1}, "3y": {"decay": d3}}``; ``as_of``
    variants give churn between dates). ``pairs="all"`` compares every pair in insertion order,
    ``"consecutive"`` only neighbours (a time series). ``missing`` is passed to
    [`compare`][crimeharm.research.compare.compare] (every variant is scored in full, so
    ``"zero"`` is exact).

    Args:
        events: The events, scored under every variant.
        variants: A label for each variant: a scheme, a scheme name, or a mapping of
            [`crimeharm.score`][crimeharm.score] options overriding the keywords below.
        scheme: The scheme of variants that do not name one.
        as_of: The scoring date of variants that do not give one.
        window_days: The window of variants that do not give one (None: no window).
        decay: The decay of variants that do not give one (None: no decay).
        on_unknown: As for [`crimeharm.score`][crimeharm.score].
        fallback_weight: As for [`crimeharm.score`][crimeharm.score].
        n: The top-n cut compared.
        pairs: ``"all"`` pairs in insertion order, or ``"consecutive"`` neighbours only.
        movers: How many offenders that entered or left the top n to list, each way.
        p_values: Add two-sided p-values from scipy.stats (needs scipy).
        missing: Which offenders enter the correlations (see
            [`compare`][crimeharm.research.compare.compare]).

    Returns:
        A [`ComparisonTable`][crimeharm.ComparisonTable] with one row per pair and each
        variant's scores.
    """
    if not isinstance(variants, Mapping) or len(variants) < 2:
        msg = "compare_schemes needs a mapping of at least two labelled variants"
        raise ParameterError(msg)
    if pairs not in ("all", "consecutive"):
        msg = f"pairs must be 'all' or 'consecutive' (got {pairs!r})"
        raise ParameterError(msg)
    n = _check_n(n)
    from ..core.scoring import score

    base = {
        "scheme": scheme,
        "as_of": as_of,
        "window_days": window_days,
        "decay": decay,
        "on_unknown": on_unknown,
        "fallback_weight": fallback_weight,
    }
    scored = {
        str(label): score(events, **_variant_kwargs(str(label), v, base))
        for label, v in variants.items()
    }
    labels = list(scored)
    chosen = (
        list(itertools.combinations(labels, 2))
        if pairs == "all"
        else list(itertools.pairwise(labels))
    )
    comparisons = tuple(
        compare(
            scored[a],
            scored[b],
            n=n,
            labels=(a, b),
            movers=movers,
            p_values=p_values,
            missing=missing,
        )
        for a, b in chosen
    )
    return ComparisonTable(comparisons=comparisons, scores=scored)


def churn_over_time(
    events: Events,
    scheme: Any,
    as_of: Sequence[Any],
    *,
    n: int = 100,
    window_days: int | None = None,
    decay: Any = None,
    on_unknown: str = "raise",
    fallback_weight: float | None = None,
    movers: int = 10,
) -> ComparisonTable:
    """Compare the top ``n`` at consecutive ``as_of`` dates (churn = share that left).

    Args:
        events: The events, scored at every date.
        scheme: A weight scheme or the name of a registered one.
        as_of: At least two distinct dates, in the order compared.
        n: The top-n cut compared.
        window_days: Count events less than this many days old at each date (None: all).
        decay: A recency decay, a registered decay name, or None.
        on_unknown: As for [`crimeharm.score`][crimeharm.score].
        fallback_weight: As for [`crimeharm.score`][crimeharm.score].
        movers: How many offenders that entered or left the top n to list, each way.

    Returns:
        A [`ComparisonTable`][crimeharm.ComparisonTable] of consecutive dates.
    """
    dates = [str(np.datetime64(d, "D")) for d in as_of]
    if len(set(dates)) != len(dates) or len(dates) < 2:
        msg = f"as_of must hold at least two distinct dates (got {dates})"
        raise ParameterError(msg)
    return compare_schemes(
        events,
        {d: {"as_of": d} for d in dates},
        scheme=scheme,
        window_days=window_days,
        decay=decay,
        on_unknown=on_unknown,
        fallback_weight=fallback_weight,
        n=n,
        pairs="consecutive",
        movers=movers,
    )
