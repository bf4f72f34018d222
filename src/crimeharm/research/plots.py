"""Figures: harm concentration, scheme-vs-scheme ranks, one offender's timeline, sweep stability.

Needs matplotlib (``pip install 'crimeharm[plot]'``), imported on first call, never at
``import crimeharm``. Every function draws on ``ax`` when given, else on a new
:class:`matplotlib.figure.Figure` that is not registered with pyplot (rendered by Agg when
saved; nothing is shown, no GUI backend is touched), and returns the figure:
``fig.savefig("lorenz.png")``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from .._optional import require
from ..core.engine import contributions, exact_total
from ..core.events import Events
from ..core.parameters import ScoringOptions
from ..core.results import Ranking, ScoreParams, Scores
from ..core.schemes import WeightScheme
from ..errors import ParameterError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from typing_extensions import Unpack

    from ..core.parameters import ScoringArgs
    from .sensitivity import SweepResult

__all__ = [
    "lorenz",
    "rank_scatter",
    "sweep_frequency",
    "sweep_stability",
    "timeline",
]

#: Most points drawn for a curve; longer curves are thinned evenly (ends always kept).
MAX_CURVE_POINTS = 2000


def _axes(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    """``ax`` and its figure, or a new pyplot-free figure with one axes."""
    require("matplotlib", "plot")
    from matplotlib.figure import Figure

    if ax is not None:
        root: object
        try:
            root = ax.get_figure(root=True)  # matplotlib >= 3.10
        except TypeError:  # pragma: no cover - older matplotlib
            root = ax.figure
        if not isinstance(root, Figure):  # pragma: no cover - an axes always has a figure
            msg = "ax does not belong to a matplotlib Figure"
            raise ParameterError(msg)
        return root, ax

    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


def _harm_of(data: Scores | Ranking | npt.ArrayLike) -> npt.NDArray[np.float64]:
    harm = data.harm if isinstance(data, (Scores, Ranking)) else data
    values = np.asarray(harm, dtype=np.float64)
    if values.ndim != 1 or not np.all(np.isfinite(values)) or np.any(values < 0):
        msg = "harm must be a 1-D array of finite numbers >= 0 (one per offender)"
        raise ParameterError(msg)
    return values


def _thin(n_points: int) -> npt.NDArray[np.intp]:
    if n_points <= MAX_CURVE_POINTS:
        return np.arange(n_points, dtype=np.intp)
    return np.unique(np.linspace(0, n_points - 1, MAX_CURVE_POINTS).round().astype(np.intp))


def lorenz(
    data: Scores | Ranking | npt.ArrayLike,
    *,
    top: Sequence[float] = (0.01, 0.05, 0.10),
    descending: bool = True,
    label: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Lorenz curve of harm over offenders, with markers at the top ``top`` shares.

    ``data`` is :class:`Scores` (or one harm value per offender). With ``descending`` (the
    default) the curve is read from the most harmful offender: x = share of offenders from the
    top, y = share of harm they hold (the Lorenz curve turned 180 degrees, so "the top 1% hold
    y" is read straight off); otherwise the classic curve from the least harmful offender. Each
    marker is labelled with :func:`crimeharm.research.concentration.top_share`; the title gives
    the Gini coefficient. Curves of more than 2,000 points are thinned for drawing.
    """
    from .concentration import gini, lorenz_curve, top_share

    for share in top:
        if not 0.0 < share <= 1.0:
            msg = f"top shares must be in (0, 1] (got {share!r})"
            raise ParameterError(msg)
    harm = _harm_of(data)
    fig, ax = _axes(ax, (6.0, 5.0))
    x, y = lorenz_curve(harm)
    if descending:
        x, y = 1.0 - x[::-1], 1.0 - y[::-1]
    keep = _thin(x.size)
    ax.plot(x[keep], y[keep], color="C0", lw=2, label=label or "harm")
    ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=1, label="equal harm")
    shares = [top_share(harm, p) for p in top]
    if top:
        px = np.asarray(top, dtype=np.float64) if descending else 1.0 - np.asarray(top)
        py = np.asarray(shares) if descending else 1.0 - np.asarray(shares)
        ax.scatter(px, py, color="C3", zorder=3, label="top x% of offenders")
        for p, share, sx, sy in zip(top, shares, px, py, strict=True):
            ax.annotate(
                f"top {p:.0%}: {share:.0%} of harm",
                (float(sx), float(sy)),
                xytext=(8, -12) if descending else (-8, 8),
                ha="left" if descending else "right",
                textcoords="offset points",
                fontsize=9,
            )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    if descending:
        ax.set_xlabel("share of offenders (highest harm first)")
        ax.set_ylabel("share of total harm held")
    else:
        ax.set_xlabel("share of offenders (lowest harm first)")
        ax.set_ylabel("cumulative share of total harm")
    ax.set_title(f"Harm concentration over {harm.size:,} offenders (Gini {gini(harm):.2f})")
    ax.legend(loc="lower right" if descending else "upper left", fontsize=9)
    ax.grid(alpha=0.3)
    return fig


def _describe(params: ScoreParams) -> str:
    window = "no window" if params.window_days is None else f"{params.window_days}d window"
    decay = params.decay
    if params.decay_params:
        decay += (
            "("
            + ", ".join(
                f"{v:g}" if isinstance(v, float) else str(v) for v in params.decay_params.values()
            )
            + ")"
        )
    return f"{params.scheme}, {window}, {decay}"


def rank_scatter(
    a: Scores,
    b: Scores,
    *,
    labels: tuple[str, str] | None = None,
    n: int | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Each offender's rank under ``a`` against its rank under ``b`` (log-log axes).

    Offenders scored in both are drawn (restricted to those in the top ``n`` of either when
    ``n`` is given); ranks are the full-table ranks (1 = most harm). The title gives the
    Spearman correlation of the drawn ranks; the dashed diagonal is agreement.
    """
    pair: tuple[object, object] = (a, b)
    if not all(isinstance(x, Scores) for x in pair):
        msg = "rank_scatter compares two Scores (from crimeharm.score)"
        raise ParameterError(msg)
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
        msg = f"n must be a whole number >= 1 or None (got {n!r})"
        raise ParameterError(msg)
    fig, ax = _axes(ax, (6.0, 6.0))
    _, rows_a, rows_b = np.intersect1d(
        a.offender_id, b.offender_id, assume_unique=True, return_indices=True
    )
    rank_a = a.ranks()[rows_a].astype(np.float64)
    rank_b = b.ranks()[rows_b].astype(np.float64)
    if n is not None:
        keep = (rank_a <= n) | (rank_b <= n)
        rank_a, rank_b = rank_a[keep], rank_b[keep]
    ax.scatter(rank_a, rank_b, s=8, alpha=0.5, color="C0", edgecolors="none")
    top = max(
        float(rank_a.max()) if rank_a.size else 1.0, float(rank_b.max()) if rank_b.size else 1.0
    )
    ax.plot([1, top], [1, top], ls="--", color="grey", lw=1)
    ax.set_xscale("log")
    ax.set_yscale("log")
    label_a, label_b = labels or (_describe(a.params), _describe(b.params))
    ax.set_xlabel(f"rank under {label_a}")
    ax.set_ylabel(f"rank under {label_b}")
    rho = _spearman(rank_a, rank_b)
    scope = f"in the top {n} of either" if n is not None else "scored under both"
    ax.set_title(f"Rank agreement of {rank_a.size:,} offenders {scope}: Spearman {rho:.3f}")
    ax.grid(alpha=0.3, which="both")
    return fig


def _spearman(x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> float:
    """Spearman's rho of two rank arrays without ties (nan for fewer than 2 points)."""
    if x.size < 2:
        return float("nan")
    rx = np.argsort(np.argsort(x, kind="stable"), kind="stable").astype(np.float64)
    ry = np.argsort(np.argsort(y, kind="stable"), kind="stable").astype(np.float64)
    return float(np.corrcoef(rx, ry)[0, 1])


def timeline(
    events: Events,
    scheme: WeightScheme | str,
    offender_id: Any,
    *,
    ax: Axes | None = None,
    **scoring: Unpack[ScoringArgs],
) -> Figure:
    """One offender's events over time: weight (y) and harm contribution (marker area).

    Counted events are filled circles whose area grows with weight x decay; events that do
    not count (outside the window, after ``as_of``, or skipped codes) are grey crosses. Vertical
    lines mark ``as_of`` and the window's first day. The title gives the offender's harm.
    """
    options = ScoringOptions.build(scheme, **scoring)
    scheme = options.scheme
    rows = np.flatnonzero(
        events.offender_id == np.asarray(offender_id, dtype=events.offender_id.dtype)
    )
    if rows.size == 0:
        msg = "the given offender id has no event in these events"
        raise ParameterError(msg)
    mine = events.take(rows)
    contrib = contributions(mine, options)
    fig, ax = _axes(ax, (8.0, 4.0))
    weight = contrib.weight(np.arange(rows.size, dtype=np.intp))
    dates = mine.date
    counted = contrib.counted
    positive = weight > 0
    floor = float(weight[positive].min()) / 2 if positive.any() else 1.0
    y = np.where(positive, weight, floor)
    biggest = float(contrib.value.max()) if contrib.value.size and contrib.value.max() > 0 else 1.0
    size = 20 + 380 * contrib.value[counted] / biggest
    ax.scatter(
        dates[counted], y[counted], s=size, alpha=0.7, color="C0", label="counted (area = harm)"
    )
    if (~counted).any():
        ax.scatter(
            dates[~counted], y[~counted], marker="x", s=30, color="grey", label="not counted"
        )
    day = contrib.params.as_of
    dated: Any = ax  # axvline takes dates through matplotlib's unit converters
    dated.axvline(day, color="C3", lw=1, ls="--", label=f"as of {day}")
    if options.window_days is not None:
        start = day - np.timedelta64(options.window_days - 1, "D")
        dated.axvline(start, color="C2", lw=1, ls=":", label=f"window starts {start}")
    ax.set_yscale("log")
    unit = scheme.unit or "weight"
    ax.set_xlabel("date")
    ax.set_ylabel(f"offence weight ({unit}, log scale)")
    harm = exact_total(contrib.value[counted])
    ax.set_title(
        f"Offender {offender_id}: harm {harm:,.1f} {scheme.unit} from "
        f"{int(counted.sum())} of {rows.size} events ({scheme.name})"
    )
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    ax.grid(alpha=0.3)
    return fig


def sweep_stability(result: SweepResult, *, ax: Axes | None = None) -> Figure:
    """Heatmap of the pairwise Jaccard overlap of the top-n sets across a sweep's settings.

    Cells are annotated with the overlap when there are at most 15 settings.
    """
    k = len(result.settings)
    fig, ax = _axes(ax, (1.2 + 0.55 * k + 3.0, 1.0 + 0.55 * k + 1.0))
    image = ax.imshow(result.jaccard, vmin=0.0, vmax=1.0, cmap="viridis")
    ax.set_xticks(range(k), result.labels, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(k), result.labels, fontsize=8)
    if k <= 15:
        for i in range(k):
            for j in range(k):
                v = float(result.jaccard[i, j])
                ax.text(
                    j,
                    i,
                    f"{v:.2f}",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="black" if v > 0.6 else "white",
                )
    fig.colorbar(image, ax=ax, label="Jaccard overlap of top-n sets")
    ax.set_xlabel("setting")
    ax.set_ylabel("setting")
    ax.set_title(
        f"Top-{result.n} stability: {result.always.size} offenders in every top {result.n}, "
        f"{result.offender_id.size} in any"
    )
    return fig


def sweep_frequency(result: SweepResult, *, ax: Axes | None = None) -> Figure:
    """Bar chart: how many offenders are in the top n under exactly 1, 2, ..., k settings."""
    k = len(result.settings)
    fig, ax = _axes(ax, (6.0, 4.0))
    counts = np.bincount(result.appearances, minlength=k + 1)[1:]
    ax.bar(np.arange(1, k + 1), counts, color="C0")
    ax.set_xlabel(f"settings (of {k}) in which the offender is in the top {result.n}")
    ax.set_ylabel("offenders")
    ax.set_xticks(range(1, k + 1))
    ax.set_title(f"How often each offender makes the top {result.n} across the sweep")
    ax.grid(alpha=0.3, axis="y")
    return fig
