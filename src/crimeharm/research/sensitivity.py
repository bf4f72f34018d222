"""How stable is the top n? Parameter sweeps and bootstrap confidence intervals on ranks.

[`sweep`][crimeharm.sweep] scores the same events under a grid of windows and decays and compares
the top-n sets (Jaccard overlap, how often each offender makes the top n, who always does).
[`bootstrap_ranks`][crimeharm.bootstrap_ranks] resamples the counted event rows with replacement and
reports a percentile interval on each offender's rank.

Both validate the inputs once ([`ScoringOptions`][crimeharm.core.parameters.ScoringOptions]), look
weights up once (``crimeharm.core.engine.contributions``), group rows by offender (or ``by`` key)
once, and then spend one pass of the engine's aggregation (``group_harm``) per setting or replicate.
The decay table of each setting follows the engine's one rule (``factor_table``), so the sweep's
baseline is ``score()``'s harm bit for bit.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import numpy.typing as npt

from ..core import ranking
from ..core.decay import Decay, ExponentialDecay
from ..core.engine import contributions, factor_table, group_harm
from ..core.events import Events
from ..core.parameters import (
    ScoringOptions,
    check_count,
    check_window,
    resolve_decay,
)
from ..core.results import ScoreParams
from ..core.schemes import WeightScheme
from ..errors import ParameterError
from ..kernels.bounds import TrackedRanks, sweep_candidates
from ..kernels.hashing import group_rows

if TYPE_CHECKING:
    import pandas as pd
    from typing_extensions import Unpack

    from ..core.parameters import ScoringArgs

__all__ = ["BootstrapResult", "Setting", "SweepResult", "bootstrap_ranks", "jaccard", "sweep"]

_ARRAY_EQ = attrs.cmp_using(eq=np.array_equal)
BASELINE = "baseline"


def jaccard(a: npt.ArrayLike, b: npt.ArrayLike) -> float:
    """|A ∩ B| / |A ∪ B| of two sets of offender ids (1.0 when both are empty)."""
    left, right = np.unique(np.asarray(a)), np.unique(np.asarray(b))
    union = np.union1d(left, right).size
    if union == 0:
        return 1.0
    return float(np.intersect1d(left, right, assume_unique=True).size / union)


@attrs.frozen
class Setting:
    """One point of a sweep: a label, a window (days, or None) and a decay."""

    label: str
    window_days: int | None
    decay: Decay

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form: label, window_days, decay name and decay parameters."""
        return {
            "label": self.label,
            "window_days": self.window_days,
            "decay": self.decay.name,
            "decay_params": dict(self.decay.params()),
        }


def _sums(
    label: npt.NDArray[np.intp], weights: npt.NDArray[Any], size: int
) -> npt.NDArray[np.float64]:
    """Harm per group label in ``range(size)``: the engine's exact sums."""
    return group_harm(label, size, np.asarray(weights, dtype=np.float64))


def _window_label(window: int | None) -> str:
    return "no window" if window is None else f"{window}d"


def _decay_label(decay: Decay) -> str:
    params = ", ".join(
        f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in decay.params().items()
    )
    return decay.name if not params else f"{decay.name}({params})"


def _settings(
    window_days: int | None,
    decay: Decay,
    half_lives: Iterable[float] | None,
    windows: Iterable[int | None] | None,
    decays: Mapping[str, Decay | str] | None,
) -> list[Setting]:
    """The baseline first, then every window x decay of the grid (duplicates of it dropped)."""
    grid_decays: list[tuple[str, Decay]] = []
    for half_life in half_lives or ():
        exp = ExponentialDecay(half_life_days=half_life)
        grid_decays.append((f"half-life {exp.half_life_days:g}d", exp))
    for label, item in (decays or {}).items():
        grid_decays.append((str(label), resolve_decay(item)))
    if not grid_decays:
        grid_decays = [(_decay_label(decay), decay)]
    grid_windows = [check_window(w, "each of windows") for w in (windows or [window_days])]
    out = [
        Setting(
            f"{BASELINE} ({_window_label(window_days)}, {_decay_label(decay)})", window_days, decay
        )
    ]
    seen: list[tuple[int | None, Decay]] = [(window_days, decay)]  # decays may be unhashable
    for window, (decay_label, d) in itertools.product(grid_windows, grid_decays):
        if (window, d) in seen:
            continue
        seen.append((window, d))
        label = decay_label if windows is None else f"{_window_label(window)}, {decay_label}"
        out.append(Setting(label, window, d))
    labels = [s.label for s in out]
    if len(set(labels)) != len(labels):
        dup = next(lbl for lbl in labels if labels.count(lbl) > 1)
        msg = f"two sweep settings share the label {dup!r}; give the decays distinct labels"
        raise ParameterError(msg)
    return out


@attrs.frozen(eq=False)
class _Prepared:
    """Per-row weights and ages plus offender groups, computed once for many scorings."""

    weight: npt.NDArray[np.float64]  # weight of counted-eligible rows (0 where never counted)
    eligible: npt.NDArray[np.bool_]  # rows dated on or before as_of with a usable code
    age: npt.NDArray[np.int64]
    label: npt.NDArray[np.intp]  # offender group of each row, in [0, n_offenders)
    offender_id: npt.NDArray[Any]  # one per group, sorted ascending
    params: ScoreParams


def _prepare(events: Events, options: ScoringOptions) -> _Prepared:
    base = contributions(events, options.evolve(window_days=None, decay=None))
    groups = group_rows(base.key)
    ids = base.key[groups.first]
    order = np.argsort(ids, kind="stable")
    relabel = np.empty(groups.size, dtype=np.intp)
    relabel[groups.used[order]] = np.arange(order.size, dtype=np.intp)
    return _Prepared(
        weight=base.value,
        eligible=base.counted,
        age=base.age,
        label=relabel[groups.label],
        offender_id=ids[order],
        params=base.params,
    )


def _setting_table(prep: _Prepared, setting: Setting) -> npt.NDArray[np.float64]:
    """The setting's decay table with a trailing 0 (the engine's rule,
    [`factor_table`][crimeharm.core.engine.factor_table]): a row's contribution is
    ``weight * table[min(age, table.size - 1)]``."""
    oldest = int(prep.age.max()) if prep.age.size else 0
    table, _ = factor_table(setting.decay, setting.window_days, oldest)
    return np.asarray(table, dtype=np.float64)


@attrs.frozen(eq=False, repr=False)
class SweepResult:
    """Top-n sets under every setting of a sweep, and how much they agree.

    ``settings[0]`` is the baseline. ``top_ids[i]`` are setting i's top n ids in ranking order.
    ``jaccard[i, j]`` is the Jaccard overlap of the top-n sets of settings i and j.
    ``offender_id`` lists every offender in any top n (ascending), with ``appearances`` (in how
    many settings) and ``frequency`` (appearances / number of settings); ``always`` holds the ids
    in the top n under every setting.
    """

    n: int
    settings: tuple[Setting, ...]
    top_ids: tuple[npt.NDArray[Any], ...]
    top_harm: tuple[npt.NDArray[np.float64], ...]
    jaccard: npt.NDArray[np.float64] = attrs.field(eq=_ARRAY_EQ)
    offender_id: npt.NDArray[Any] = attrs.field(eq=_ARRAY_EQ)
    appearances: npt.NDArray[np.int64] = attrs.field(eq=_ARRAY_EQ)
    params: ScoreParams

    @property
    def labels(self) -> list[str]:
        """Setting labels, baseline first."""
        return [s.label for s in self.settings]

    @property
    def frequency(self) -> npt.NDArray[np.float64]:
        """Share of settings (0-1] in which each of ``offender_id`` is in the top n."""
        return np.asarray(self.appearances / len(self.settings), dtype=np.float64)

    @property
    def always(self) -> npt.NDArray[Any]:
        """Ids in the top n under every setting (ascending)."""
        ids: npt.NDArray[Any] = self.offender_id[self.appearances == len(self.settings)]
        return ids

    @property
    def jaccard_to_baseline(self) -> npt.NDArray[np.float64]:
        """Jaccard overlap of each setting's top n with the baseline's (1.0 for the baseline)."""
        return np.array(self.jaccard[0], dtype=np.float64)

    def mean_pairwise_jaccard(self) -> float:
        """Mean Jaccard overlap over all pairs of distinct settings (1.0 if only one)."""
        k = len(self.settings)
        if k < 2:
            return 1.0
        upper = np.triu_indices(k, 1)
        return float(self.jaccard[upper].mean())

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per setting: label, window, decay, top-n size, overlaps, entries vs baseline."""
        k = len(self.settings)
        base = self.top_ids[0]
        rows = []
        for i, setting in enumerate(self.settings):
            others = [self.jaccard[i, j] for j in range(k) if j != i]
            row = setting.to_dict()
            row.update(
                n_top=int(self.top_ids[i].size),
                jaccard_baseline=float(self.jaccard[0, i]),
                jaccard_mean_others=float(np.mean(others)) if others else 1.0,
                entered=int(np.setdiff1d(self.top_ids[i], base).size),
            )
            rows.append(row)
        return rows

    def to_pandas(self) -> pd.DataFrame:
        """The per-setting table of ``to_records`` as a DataFrame (needs pandas)."""
        from .._optional import require

        pandas = require("pandas", "pandas")
        frame: pd.DataFrame = pandas.DataFrame(self.to_records())
        return frame

    def offenders_to_pandas(self) -> pd.DataFrame:
        """One row per offender in any top n: appearances, frequency, baseline rank (0 = not
        in the baseline top n); most frequent first, then baseline rank, then id (needs pandas).
        The id column is named after the grouping key (``by``, e.g. ``victim_id``).
        """
        from .._optional import require

        pandas = require("pandas", "pandas")
        base_rank = np.zeros(self.offender_id.size, dtype=np.int64)
        rows = np.searchsorted(self.offender_id, self.top_ids[0])
        base_rank[rows] = np.arange(1, rows.size + 1)
        unranked = np.where(base_rank == 0, np.iinfo(np.int64).max, base_rank)
        order = np.lexsort((self.offender_id, unranked, -self.appearances))
        frame: pd.DataFrame = pandas.DataFrame(
            {
                self.params.by: self.offender_id[order],
                "appearances": self.appearances[order],
                "frequency": self.frequency[order],
                "baseline_rank": base_rank[order],
            }
        )
        return frame

    def __repr__(self) -> str:
        k = len(self.settings)
        return (
            f"<SweepResult: top {self.n} under {k} settings; "
            f"mean Jaccard vs baseline {self.jaccard[0, 1:].mean() if k > 1 else 1.0:.3f}, "
            f"{self.always.size} always in the top {self.n}, "
            f"{self.offender_id.size} ever>"
        )


def sweep(
    events: Events,
    scheme: WeightScheme | str,
    *,
    n: int = 100,
    half_lives: Iterable[float] | None = None,
    windows: Iterable[int | None] | None = None,
    decays: Mapping[str, Decay | str] | None = None,
    **scoring: Unpack[ScoringArgs],
) -> SweepResult:
    """Score under many windows and decays and compare the top-n sets.

    The baseline is the scoring keywords' ``window_days`` with ``decay`` (as in
    [`crimeharm.score`][crimeharm.score], ``by`` included). The grid is every window of ``windows``
    (default: the baseline window) with every decay: exponential decays with the ``half_lives``
    (days) and the labelled ``decays`` (label -> decay object or registered name), or the
    baseline decay if neither is given. Settings equal to the baseline are dropped. Each
    setting's top n equals ``score(...).top(n)`` under that setting, harm bit for bit.
    """
    n = check_count(n, "n", 1)
    options = ScoringOptions.build(scheme, **scoring)
    settings = _settings(options.window_days, options.decay, half_lives, windows, decays)
    prep = _prepare(events, options)
    size = prep.offender_id.size
    top_ids: list[npt.NDArray[Any]] = []
    top_harm: list[npt.NDArray[np.float64]] = []
    tables = [_setting_table(prep, setting) for setting in settings]
    found = sweep_candidates(prep.label, size, prep.weight, prep.eligible, prep.age, tables, n)
    for groups, harm in found:  # each setting's possible top n, exact harm (kernels.bounds)
        keep = ranking.top_indices(prep.offender_id[groups], harm, n)
        top_ids.append(prep.offender_id[groups[keep]])
        top_harm.append(harm[keep])
    k = len(settings)
    sims = np.ones((k, k), dtype=np.float64)
    for i, j in itertools.combinations(range(k), 2):
        sims[i, j] = sims[j, i] = jaccard(top_ids[i], top_ids[j])
    if top_ids:
        ever, appearances = np.unique(np.concatenate(top_ids), return_counts=True)
    else:  # pragma: no cover - the baseline is always there
        ever, appearances = prep.offender_id[:0], np.zeros(0, dtype=np.int64)
    return SweepResult(
        n=n,
        settings=tuple(settings),
        top_ids=tuple(top_ids),
        top_harm=tuple(top_harm),
        jaccard=sims,
        offender_id=ever,
        appearances=appearances.astype(np.int64),
        params=options.params(),
    )


# -- bootstrap ----------------------------------------------------------------------------------


@attrs.frozen(repr=False)
class BootstrapResult:
    """Percentile intervals on the ranks of chosen offenders under event resampling.

    Rows follow the offenders' ranking order in the full data. ``rank`` is the rank in the full
    data; ``rank_lower``/``rank_upper`` bound the central ``level`` share of replicate ranks
    (lower bound rounded down, upper rounded up to whole ranks); ``rank_median`` is the median.
    ``p_top`` is the share of replicates with rank <= ``n`` and ``present`` the share in which
    the offender kept at least one event. ``ranks[b, i]`` is offender i's rank in replicate b.
    """

    offender_id: npt.NDArray[Any] = attrs.field(eq=_ARRAY_EQ)
    harm: npt.NDArray[np.float64] = attrs.field(eq=_ARRAY_EQ)
    rank: npt.NDArray[np.int64] = attrs.field(eq=_ARRAY_EQ)
    rank_lower: npt.NDArray[np.int64] = attrs.field(eq=_ARRAY_EQ)
    rank_upper: npt.NDArray[np.int64] = attrs.field(eq=_ARRAY_EQ)
    rank_median: npt.NDArray[np.float64] = attrs.field(eq=_ARRAY_EQ)
    p_top: npt.NDArray[np.float64] = attrs.field(eq=_ARRAY_EQ)
    present: npt.NDArray[np.float64] = attrs.field(eq=_ARRAY_EQ)
    ranks: npt.NDArray[np.int64] = attrs.field(eq=_ARRAY_EQ)
    n: int
    n_boot: int
    level: float
    seed: int | None
    params: ScoreParams

    def __len__(self) -> int:
        return int(self.offender_id.size)

    def _columns(self) -> dict[str, npt.NDArray[Any]]:
        return {
            self.params.by: self.offender_id,
            "harm": self.harm,
            "rank": self.rank,
            "rank_lower": self.rank_lower,
            "rank_upper": self.rank_upper,
            "rank_median": self.rank_median,
            "p_top": self.p_top,
            "present": self.present,
        }

    def to_records(self) -> list[dict[str, Any]]:
        """One plain dict per offender (no replicate ranks); the id under the ``by`` name."""
        cols = {k: v.tolist() for k, v in self._columns().items()}
        return [dict(zip(cols, row, strict=True)) for row in zip(*cols.values(), strict=True)]

    def to_pandas(self) -> pd.DataFrame:
        """One row per offender as a DataFrame (needs pandas)."""
        from .._optional import require

        pandas = require("pandas", "pandas")
        frame: pd.DataFrame = pandas.DataFrame(self._columns())
        return frame

    def __repr__(self) -> str:
        width = (self.rank_upper - self.rank_lower) if len(self) else np.zeros(1)
        return (
            f"<BootstrapResult: {len(self)} offenders, {self.n_boot} replicates, "
            f"{self.level:.0%} rank intervals (median width {float(np.median(width)):g}); "
            f"seed {self.seed}>"
        )


def _tracked_rows(
    ids: npt.NDArray[Any], offenders: npt.ArrayLike, full_rank: npt.NDArray[np.int64]
) -> npt.NDArray[np.intp]:
    """Rows of the given ids among the scored offenders, in ranking order."""
    wanted = np.asarray(offenders)
    if wanted.ndim != 1:
        msg = f"offenders must be a 1-D list of ids (got shape {wanted.shape})"
        raise ParameterError(msg)
    if ids.dtype.kind == "U" and wanted.dtype.kind != "U":
        wanted = wanted.astype(np.str_)
    rows = np.minimum(np.searchsorted(ids, wanted), max(ids.size - 1, 0))
    found = ids[rows] == wanted if ids.size else np.zeros(wanted.size, dtype=bool)
    if not np.all(found):
        missing = int(np.count_nonzero(~found))
        msg = (
            f"{missing:,} of the {wanted.size:,} given offenders have no counted event under these "
            "settings (as_of, window_days)"
        )
        raise ParameterError(msg)
    rows = np.unique(rows)
    return rows[np.argsort(full_rank[rows], kind="stable")].astype(np.intp)


def bootstrap_ranks(
    events: Events,
    scheme: WeightScheme | str,
    *,
    n: int = 100,
    offenders: npt.ArrayLike | None = None,
    n_boot: int = 200,
    level: float = 0.95,
    seed: int | np.random.SeedSequence | None = None,
    **scoring: Unpack[ScoringArgs],
) -> BootstrapResult:
    """Percentile confidence intervals on offenders' ranks by resampling events.

    Each replicate draws as many rows as were counted, uniformly with replacement from the
    counted rows (``rng.integers`` + ``bincount``, a multinomial draw), rescores every offender
    with those row multiplicities and ranks them (harm desc, id asc). An offender left with no
    row in a replicate has harm 0 there. Tracks ``offenders`` (ids), or by default the top ``n``
    of the full data. The same ``seed`` gives the same result. Scoring keywords as
    [`crimeharm.score`][crimeharm.score] (``by`` included); the id column of ``to_pandas()`` and
    ``to_records()`` is named after ``by``.

    The intervals are percentile intervals, and their coverage of an offender's true rank is
    not the nominal ``level``: in known-truth simulations (``tools/bootstrap_coverage.py``,
    figures in docs/sensitivity-rfg-plots.md) nominal 95% intervals held the true rank 97.7%
    of the time for the top 50 of 3,000 offenders, 96.3% for the top 100 of 10,000 and 91.3%
    for the top 200 of 3,000 (conservative at the very top, short deeper down). The basic
    (reflected) interval did far worse (about 40%), because ranks are bounded at 1. Read the
    intervals as a guide to how fragile a rank is, not as calibrated confidence statements.
    """
    n = check_count(n, "n", 1)
    n_boot = check_count(n_boot, "n_boot", 1)
    if isinstance(level, bool) or not isinstance(level, (float, int)) or not 0.0 < level < 1.0:
        msg = f"level must be a number in (0, 1), e.g. 0.95 (got {level!r})"
        raise ParameterError(msg)
    contrib = contributions(events, ScoringOptions.build(scheme, **scoring))
    rows = np.flatnonzero(contrib.counted)
    value = contrib.value[rows]
    groups = group_rows(contrib.key[rows])
    ids = contrib.key[rows][groups.first]
    order = np.argsort(ids, kind="stable")
    relabel = np.empty(groups.size, dtype=np.intp)
    relabel[groups.used[order]] = np.arange(order.size, dtype=np.intp)
    label = relabel[groups.label]
    ids = ids[order]
    size = ids.size
    harm = _sums(label, value, size)
    full_rank = ranking.ranks(ids, harm).astype(np.int64)
    if offenders is None:
        tracked = ranking.top_indices(ids, harm, n)
    else:
        tracked = _tracked_rows(ids, offenders, full_rank)
    rng = np.random.default_rng(seed)
    m = rows.size
    ranks = np.empty((n_boot, tracked.size), dtype=np.int64)
    present = np.zeros(tracked.size, dtype=np.int64)
    counter = TrackedRanks(label, size, tracked)  # ranks of the tracked only (kernels.bounds)
    products = np.empty(m, dtype=np.float64)  # reused: no fresh pages every replicate
    for b in range(n_boot):
        times = np.bincount(rng.integers(0, m, size=m), minlength=m) if m else np.zeros(0)
        ranks[b] = counter.ranks(np.multiply(value, times, out=products))
        present += counter.present(times)
    alpha = (1.0 - float(level)) / 2.0
    if tracked.size:
        lower = np.quantile(ranks, alpha, axis=0, method="lower")
        upper = np.quantile(ranks, 1.0 - alpha, axis=0, method="higher")
        median = np.median(ranks, axis=0)
    else:
        lower = upper = np.zeros(0, dtype=np.int64)
        median = np.zeros(0, dtype=np.float64)
    return BootstrapResult(
        offender_id=ids[tracked],
        harm=harm[tracked],
        rank=full_rank[tracked],
        rank_lower=np.asarray(lower, dtype=np.int64),
        rank_upper=np.asarray(upper, dtype=np.int64),
        rank_median=np.asarray(median, dtype=np.float64),
        p_top=(ranks <= n).mean(axis=0) if n_boot else np.zeros(tracked.size),
        present=present / n_boot,
        ranks=ranks,
        n=n,
        n_boot=n_boot,
        level=float(level),
        seed=seed if isinstance(seed, int) or seed is None else None,
        params=contrib.params,
    )
