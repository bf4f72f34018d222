"""Figures: harm concentration, scheme-vs-scheme ranks, one offender's timeline, sweep stability.

Needs matplotlib (``pip install 'crimeharm[plot]'``), imported on first call, never at
``import crimeharm``. Every function draws on ``ax`` when given, else on a new
``matplotlib.figure.Figure`` that is not registered with pyplot (rendered by Agg when
saved; nothing is shown, no GUI backend is touched), and returns the figure:
``fig.savefig("lorenz.png")``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from .._optional import require
from ..core.decay import Decay
from ..core.events import Events
from ..core.results import Ranking, ScoreParams, Scores
from ..core.schemes import WeightScheme
from ..core.scoring import OnUnknown, contributions, resolve_scheme
from ..errors import ParameterError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from .sensitivity import SweepResult

__all__ = [
    "fingerprint",
    "lorenz",
    "rank_scatter",
    "scheme_shares",
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

    ``data`` is [`Scores`][crimeharm.Scores] (or one harm value per offender). With ``descending``
    (the default) the curve is read from the most harmful offender: x = share of offenders from the
    top, y = share of harm they hold (the Lorenz curve turned 180 degrees, so "the top 1% hold y" is
    read straight off); otherwise the classic curve from the least harmful offender. Each marker is
    labelled with [`crimeharm.research.concentration.top_share`][crimeharm.top_share]; the title
    gives the Gini coefficient. Curves of more than 2,000 points are thinned for drawing.

    Args:
        data: [`Scores`][crimeharm.Scores], a [`Ranking`][crimeharm.Ranking], or harm per
            offender (numbers >= 0).
        top: Top fractions of offenders to mark (each in (0, 1]).
        descending: Read the curve from the most harmful offender (else the classic curve).
        label: Legend entry of the curve (default "harm").
        ax: Draw on this matplotlib axes instead of a new figure.

    Returns:
        The matplotlib figure.
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
    ``n`` is given); ranks are the full-table ranks (1 = most harm). The legend explains the
    dashed diagonal (the same rank under both: points below it rank higher under ``b``) and,
    with ``n``, the dotted top-n cuts; the two-line title gives the number of offenders drawn
    and the Spearman correlation of their ranks.

    Args:
        a: Scores under the first setting (x axis).
        b: Scores under the second setting (y axis).
        labels: Axis names for ``a`` and ``b`` (default: scheme, window and decay of each).
        n: Draw only offenders in the top ``n`` of either, and mark the cuts.
        ax: Draw on this matplotlib axes instead of a new figure.

    Returns:
        The matplotlib figure.
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
    ax.scatter(rank_a, rank_b, s=8, alpha=0.5, color="C0", edgecolors="none", label="one offender")
    top = max(
        float(rank_a.max()) if rank_a.size else 1.0, float(rank_b.max()) if rank_b.size else 1.0
    )
    ax.plot([1, top], [1, top], ls="--", color="grey", lw=1, label="same rank under both")
    if n is not None:
        ax.axvline(n, color="C3", ls=":", lw=1, label=f"top-{n} cut")
        ax.axhline(n, color="C3", ls=":", lw=1)
    ax.set_xscale("log")
    ax.set_yscale("log")
    label_a, label_b = labels or (_describe(a.params), _describe(b.params))
    ax.set_xlabel(f"rank under {label_a}")
    ax.set_ylabel(f"rank under {label_b}")
    rho = _spearman(rank_a, rank_b)
    scope = f"in the top {n} of either" if n is not None else "scored under both"
    ax.set_title(
        f"Rank agreement of {rank_a.size:,} offenders {scope}\nSpearman {rho:.3f}", fontsize=10
    )
    ax.legend(loc="upper left", fontsize=8)
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
    as_of: Any,
    window_days: int | None = None,
    decay: Decay | str | None = None,
    on_unknown: OnUnknown = "raise",
    fallback_weight: float | None = None,
    ax: Axes | None = None,
) -> Figure:
    """One offender's events over time: weight (y) and harm contribution (marker area).

    Counted events are filled circles whose area grows with weight x decay; events that do
    not count (outside the window, after ``as_of``, or skipped codes) are grey crosses. Vertical
    lines mark ``as_of`` and the window's first day. The title gives the offender's harm
    and id (output you asked for: keep the figure as private as the data).

    Args:
        events: The events holding the offender's.
        scheme: A weight scheme or the name of a registered one.
        offender_id: The offender drawn.
        as_of: The date scored as of, as for [`crimeharm.score`][crimeharm.score].
        window_days: Count events less than this many days old (None: every event up to
            ``as_of``).
        decay: A recency decay, a registered decay name, or None.
        on_unknown: As for [`crimeharm.score`][crimeharm.score].
        fallback_weight: As for [`crimeharm.score`][crimeharm.score].
        ax: Draw on this matplotlib axes instead of a new figure.

    Returns:
        The matplotlib figure.
    """
    scheme = resolve_scheme(scheme)
    rows = np.flatnonzero(
        events.offender_id == np.asarray(offender_id, dtype=events.offender_id.dtype)
    )
    if rows.size == 0:
        msg = "the given offender id has no event in these events"
        raise ParameterError(msg)
    mine = events.take(rows)
    contrib = contributions(
        mine,
        scheme,
        as_of=as_of,
        window_days=window_days,
        decay=decay,
        on_unknown=on_unknown,
        fallback_weight=fallback_weight,
    )
    fig, ax = _axes(ax, (8.0, 4.0))
    weight = _weights(mine, scheme, fallback_weight)
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
    if window_days is not None:
        start = day - np.timedelta64(int(window_days) - 1, "D")
        dated.axvline(start, color="C2", lw=1, ls=":", label=f"window starts {start}")
    ax.set_yscale("log")
    unit = scheme.unit or "weight"
    ax.set_xlabel("date")
    ax.set_ylabel(f"offence weight ({unit}, log scale)")
    harm = float(contrib.value[counted].sum())
    ax.set_title(
        f"Offender {offender_id}: harm {harm:,.1f} {scheme.unit} from "
        f"{int(counted.sum())} of {rows.size} events ({scheme.name})"
    )
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    ax.grid(alpha=0.3)
    return fig


def _weights(
    events: Events, scheme: WeightScheme, fallback_weight: float | None
) -> npt.NDArray[np.float64]:
    """The scheme weight of each event (fallback or 0 where the scheme lacks the code)."""
    rows = scheme.index_of(events.code_strings())
    weights = np.where(rows >= 0, scheme.weights[np.maximum(rows, 0)], fallback_weight or 0.0)
    return np.asarray(weights, dtype=np.float64)


def sweep_stability(result: SweepResult, *, ax: Axes | None = None) -> Figure:
    """Heatmap of the pairwise Jaccard overlap of the top-n sets across a sweep's settings.

    Cells are annotated with the overlap when there are at most 15 settings.

    Args:
        result: A [`SweepResult`][crimeharm.research.sensitivity.SweepResult] from
            [`sweep`][crimeharm.sweep].
        ax: Draw on this matplotlib axes instead of a new figure.

    Returns:
        The matplotlib figure.
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
    """Bar chart: how many offenders are in the top n under exactly 1, 2, ..., k settings.

    Args:
        result: A [`SweepResult`][crimeharm.research.sensitivity.SweepResult] from
            [`sweep`][crimeharm.sweep].
        ax: Draw on this matplotlib axes instead of a new figure.

    Returns:
        The matplotlib figure.
    """
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


def scheme_shares(
    events: Events,
    schemes: Mapping[str, WeightScheme | str],
    *,
    as_of: Any,
    window_days: int | None = None,
    decay: Decay | str | None = None,
    groups: WeightScheme | str | None = None,
    max_groups: int = 8,
    on_unknown: OnUnknown = "raise",
    ax: Axes | None = None,
) -> Figure:
    """What each scheme counts: the share of total harm by offence group, one bar per scheme.

    The same events are scored under every scheme; each event's contribution is added to its
    offence group, and each group's share of that scheme's total harm is drawn as one bar per
    scheme (horizontal, grouped). Groups are the ``groups`` scheme's offence groups (default:
    the first of ``schemes`` that has groups); the ``max_groups`` - 1 groups with the largest
    share under the first scheme are drawn, the rest added up as "other groups".

    Args:
        events: The events, scored under each scheme.
        schemes: A label for each scheme (or scheme name), in drawing order.
        as_of: The scoring date, as for [`crimeharm.score`][crimeharm.score].
        window_days: The window in days (None: every event on or before ``as_of``).
        decay: A recency decay, or None.
        groups: The scheme whose offence groups label the codes.
        max_groups: Most bars per scheme, "other groups" included (at least 2).
        on_unknown: As for [`crimeharm.score`][crimeharm.score].
        ax: Draw on this matplotlib axes instead of a new figure.

    Returns:
        The matplotlib figure.
    """
    if not isinstance(schemes, Mapping) or not schemes:
        msg = "schemes must map at least one label to a scheme"
        raise ParameterError(msg)
    if isinstance(max_groups, bool) or not isinstance(max_groups, int) or max_groups < 2:
        msg = f"max_groups must be a whole number >= 2 (got {max_groups!r})"
        raise ParameterError(msg)
    resolved = {str(k): resolve_scheme(v) for k, v in schemes.items()}
    source = resolve_scheme(groups) if groups is not None else None
    if source is None:
        source = next((x for x in resolved.values() if x.groups is not None), None)
    if source is None or source.groups is None:
        msg = "no scheme has offence groups: pass groups= a scheme that has them"
        raise ParameterError(msg)
    rows = source.index_of(events.code_strings())
    group = np.where(rows >= 0, source.groups[np.maximum(rows, 0)], "no group")
    names, label = np.unique(group, return_inverse=True)
    shares: dict[str, npt.NDArray[np.float64]] = {}
    for name, scheme in resolved.items():
        c = contributions(
            events,
            scheme,
            as_of=as_of,
            window_days=window_days,
            decay=decay,
            on_unknown=on_unknown,
        )
        value = np.where(c.counted, c.value, 0.0)
        per_group = np.bincount(label, weights=value, minlength=names.size)
        total = float(per_group.sum())
        shares[name] = per_group / total if total > 0 else per_group.astype(np.float64)
    first = next(iter(shares.values()))
    order = np.argsort(-first, kind="stable")
    shown = order[: max_groups - 1] if names.size > max_groups else order
    rest = np.setdiff1d(order, shown)
    labels = [str(names[i]).capitalize() for i in shown]
    if rest.size:
        labels.append("other groups")
    fig, ax = _axes(ax, (8.0, 1.5 + 0.45 * len(labels) * max(1, len(shares) / 2)))
    height = 0.8 / len(shares)
    y = np.arange(len(labels), dtype=np.float64)
    for k, (name, share) in enumerate(shares.items()):
        values = list(share[shown])
        if rest.size:
            values.append(float(share[rest].sum()))
        bars = ax.barh(y + k * height, values, height=height, label=name, color=f"C{k}")
        ax.bar_label(bars, labels=[f"{v:.0%}" for v in values], fontsize=7, padding=2)
    ax.set_yticks(y + height * (len(shares) - 1) / 2, labels, fontsize=8)
    ax.invert_yaxis()
    biggest = max(float(share.max()) for share in shares.values()) if names.size else 1.0
    ax.set_xlim(0, min(1.0, biggest * 1.2) or 1.0)
    ax.set_xlabel("share of the scheme's total harm")
    ax.set_title(
        f"Share of harm by offence group under {len(shares)} schemes\n"
        f"({len(events):,} events, as of {np.datetime64(as_of, 'D')})",
        fontsize=10,
    )
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(alpha=0.3, axis="x")
    return fig


def fingerprint(fig: Figure) -> str:
    """A SHA-256 of what a figure shows: texts, plotted data, sizes; not the pixels.

    Two figures with the same titles, labels, tick labels, legend entries, line and point
    coordinates, marker sizes, bar geometry and image data have the same fingerprint on any
    matplotlib version, font or platform (numbers rounded to 6 significant digits). It lets a
    test check that a saved picture still shows what the code draws, without comparing
    pixels (see examples/make_figures.py).
    """
    return hashlib.sha256(
        json.dumps(figure_content(fig), sort_keys=True).encode("utf-8")
    ).hexdigest()


def figure_content(fig: Figure) -> list[dict[str, Any]]:
    """What [`fingerprint`][crimeharm.research.plots.fingerprint] hashes, as plain data."""

    def num(values: Any) -> list[Any]:
        array = np.asarray(values)
        if array.dtype.kind == "M":
            return [str(v) for v in array.ravel()]
        flat = np.asarray(array, dtype=np.float64).ravel()
        return [float(f"{v:.6g}") if np.isfinite(v) else str(v) for v in flat]

    def fixed_labels(axis: Any) -> list[str]:
        """Tick labels the code set (categories), not those a locator chose."""
        from matplotlib.ticker import FixedFormatter

        if not isinstance(axis.get_major_formatter(), FixedFormatter):
            return []
        return [t.get_text() for t in axis.get_ticklabels() if t.get_text()]

    def collection(c: Any) -> list[Any]:
        """Points and their sizes (scatter), or segments (line collections)."""
        if hasattr(c, "get_segments"):
            return [num(segment) for segment in c.get_segments()]
        sizes = c.get_sizes() if hasattr(c, "get_sizes") else []
        return [num(c.get_offsets()), num(sizes)]

    out: list[dict[str, Any]] = []
    for ax in fig.axes:
        legend = ax.get_legend()
        collections: list[Any] = list(ax.collections)
        patches: list[Any] = list(ax.patches)
        out.append(
            {
                "title": ax.get_title(),
                "xlabel": ax.get_xlabel(),
                "ylabel": ax.get_ylabel(),
                "scale": [ax.get_xscale(), ax.get_yscale()],
                "xticklabels": fixed_labels(ax.xaxis),
                "yticklabels": fixed_labels(ax.yaxis),
                "legend": [t.get_text() for t in legend.get_texts()] if legend else [],
                "texts": [t.get_text() for t in ax.texts],
                "lines": [
                    [num(line.get_xdata()), num(line.get_ydata())] for line in ax.get_lines()
                ],
                "collections": [collection(c) for c in collections],
                "patches": [
                    num([p.get_x(), p.get_y(), p.get_width(), p.get_height()])
                    for p in patches
                    if hasattr(p, "get_width")
                ],
                "images": [num(image.get_array()) for image in ax.images],
            }
        )
    return out
