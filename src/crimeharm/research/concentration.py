"""How concentrated harm is: Lorenz curve, Gini, the "power few", by offender, group and victim.

Definitions (``x`` = harm per unit, sorted ascending, ``n`` units, ``T`` = total):

- Lorenz curve: points ``(i / n, (x_1 + ... + x_i) / T)`` for ``i = 0 .. n``.
- Gini: ``G = sum_i (2 i - n - 1) x_i / (n T)``; 0 when all are equal, at most ``(n - 1) / n``.
- Generalized Gini (Bernasco and Steenbeek 2017) for sparse data, when there are fewer events
  ``N`` than units ``n`` (most units have none): ``G' = max(1, n / N) (G - 1) + 1``. It
  compares the data with *maximal equality given N events* (N units holding one event each)
  rather than with perfect equality, which N < n events cannot reach; ``G' = 0`` at that
  maximal equality and ``G' = G`` once ``N >= n``.
  Reference: Bernasco, W. and Steenbeek, W. (2017). More places than crimes: implications for
  evaluating the law of crime concentration at place. Journal of Quantitative Criminology
  33(3), 451-467. https://doi.org/10.1007/s10940-016-9324-7 (formula as implemented in their R
  package lorenzgini). lorenzgini's ``gini()`` applies a small-sample "unbiased" factor
  ``m / (m - 1)``, ``m = min(n, N)``, by default (``unbiased = TRUE``); here it is off by default
  (``generalized_gini(..., unbiased=False)``): a force's recorded crime is the whole population
  of its records, not a sample from one, so the sample correction does not apply. Pass
  ``unbiased=True`` to reproduce lorenzgini's default figure.
- Top share: the share of ``T`` held by the top fraction ``p`` of units, read off the Lorenz
  curve with linear interpolation between units (so it is continuous and monotone in ``p``,
  and the top 100% hold 1).
- Power few: the smallest fraction of units holding a given share of ``T`` (the inverse).

Zero-harm units count as units only when ``n_units`` says how many there are in all (offenders
with no counted event do not appear in [`Scores`][crimeharm.Scores]).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import numpy.typing as npt

from ..core.events import Events
from ..core.results import Ranking, Scores
from ..errors import ParameterError
from ..kernels.hashing import group_rows

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "PUBLISHED_FIGURES",
    "Concentration",
    "ConcentrationTable",
    "PublishedFigure",
    "compare_with_published",
    "concentration",
    "concentration_by_group",
    "concentration_by_victim",
    "generalized_gini",
    "gini",
    "lorenz_curve",
    "power_few",
    "top_share",
]

FloatArray = npt.NDArray[np.float64]
DEFAULT_TOP = (0.01, 0.02, 0.03, 0.05, 0.07, 0.1, 0.2)
DEFAULT_SHARES = (0.5, 0.8, 0.9)


@attrs.frozen
class PublishedFigure:
    """A published "power few" finding: ``top_fraction`` of units caused ``harm_share``.

    ``relation`` is ``"="`` for a reported share or ``">"`` for "over" (a lower bound).
    """

    key: str
    label: str
    units: str
    top_fraction: float
    harm_share: float
    relation: str
    population: str
    citation: str
    doi: str = ""


#: Published concentration findings a user may compare their data with.
PUBLISHED_FIGURES: tuple[PublishedFigure, ...] = (
    PublishedFigure(
        key="northamptonshire-2010-16",
        label="Northamptonshire Police, detected offenders, 2010-2016",
        units="detected offenders",
        top_fraction=0.07,
        harm_share=0.80,
        relation="=",
        population="327,566 crimes, 39,545 offenders (Cambridge Crime Harm Index)",
        citation=(
            "Targeting the Most Harmful Offenders for an English Police Agency: Continuity and "
            "Change of Membership in the 'Felonious Few'. Cambridge Journal of Evidence-Based "
            "Policing 3 (2019)."
        ),
        doi="10.1007/s41887-019-00039-7",
    ),
    PublishedFigure(
        key="thames-valley-ipa-2010-15",
        label="Thames Valley Police, intimate partner abuse perpetrators, 2010-2015",
        units="perpetrators",
        top_fraction=0.03,
        harm_share=0.90,
        relation="=",
        population="140,998 incidents, 52,296 perpetrators, 731-day follow-up (CHI)",
        citation=(
            "Barnham, L., Barnes, G. C. and Sherman, L. W. (2017). Targeting Escalation of "
            "Intimate Partner Violence: Evidence from 52,000 Offenders. Cambridge Journal of "
            "Evidence-Based Policing 1 (2017)."
        ),
        doi="10.1007/s41887-017-0008-9",
    ),
    PublishedFigure(
        key="western-australia-fv-2010-15",
        label="Western Australia Police, family violence offenders, 2010-2015",
        units="offenders",
        top_fraction=0.02,
        harm_share=0.50,
        relation=">",
        population="214,814 cases, 36,228 offenders; 707 offenders caused over half (CHI)",
        citation=(
            "Sherman, L. W., Bland, M., House, P. and Strang, H. (2016). Targeting Family "
            "Violence Reported to Western Australia Police, 2010-2015: The Felonious Few vs. "
            "the Miscreant Many. Report to Western Australia Police, 15 December 2016."
        ),
    ),
)


# -- core measures ------------------------------------------------------------------------------


def _values(values: Any, n_units: int | None) -> FloatArray:
    """Non-negative harm per unit, sorted ascending, padded with zeros up to ``n_units``."""
    if isinstance(values, (Scores, Ranking)):
        values = values.harm
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        msg = f"values must be 1-D, one per unit (got shape {arr.shape})"
        raise ParameterError(msg)
    bad = ~(np.isfinite(arr) & (arr >= 0))
    if bad.any():
        i = int(np.argmax(bad))
        msg = f"values must be finite and >= 0; got {arr[i]!r} at position {i}"
        raise ParameterError(msg)
    if n_units is not None:
        if isinstance(n_units, bool) or not isinstance(n_units, (int, np.integer)):
            msg = f"n_units must be a whole number (got {n_units!r})"
            raise ParameterError(msg)
        if n_units < arr.size:
            msg = f"n_units ({n_units}) is less than the {arr.size} values given"
            raise ParameterError(msg)
        arr = np.concatenate([np.zeros(int(n_units) - arr.size), arr])
    return np.sort(arr)


def lorenz_curve(values: Any, *, n_units: int | None = None) -> tuple[FloatArray, FloatArray]:
    """Lorenz curve: (population share, cumulative harm share), n + 1 points from (0, 0).

    Units are ordered from least to most harm; NaN shares if the total is 0.
    """
    x = _values(values, n_units)
    n = x.size
    population = np.arange(n + 1, dtype=np.float64) / max(n, 1)
    cum = np.concatenate([[0.0], np.cumsum(x)])
    total = cum[-1]
    share = cum / total if total > 0 else np.full(n + 1, math.nan)
    if total > 0:
        share[-1] = 1.0
    return population, share


def _gini_sorted(x: FloatArray) -> float:
    n = x.size
    total = float(x.sum())
    if n == 0 or total <= 0:
        return math.nan
    i = np.arange(1, n + 1, dtype=np.float64)
    # sum(2i - n - 1) = 0, so subtracting the smallest value changes nothing but the rounding:
    # equal harms give exactly 0
    g = float(((2.0 * i - n - 1.0) @ (x - x[0])) / (n * total))
    return min(max(g, 0.0), (n - 1) / n)


def gini(values: Any, *, n_units: int | None = None) -> float:
    """Gini coefficient in [0, 1): 0 when every unit has the same harm; NaN if all are 0."""
    return _gini_sorted(_values(values, n_units))


def generalized_gini(
    values: Any, *, n_events: int, n_units: int | None = None, unbiased: bool = False
) -> float:
    """Bernasco and Steenbeek's (2017) generalized Gini for ``n_events`` over the units.

    ``G' = max(1, n / N) (G - 1) + 1`` with ``n`` units (incl. zeros) and ``N`` events; equals
    the Gini once there are at least as many events as units.

    The small-sample correction is off by default here and on by default in the authors' R
    package lorenzgini (``gini(x, unbiased = TRUE)``): ``unbiased=True`` multiplies ``G'`` by
    ``m / (m - 1)`` with ``m = min(n, N)``, as lorenzgini does. Off by default because recorded
    crime is the population of records, not a sample; the two differ by a factor of about
    ``1 + 1/m`` (under 0.01% for 10,000 units).

    Args:
        values: Harm (or events) per unit, zeros included or counted by ``n_units``.
        n_events: ``N``, the number of events spread over the units (at least 1).
        n_units: ``n``, the number of units, when ``values`` leaves out the zeros.
        unbiased: Apply lorenzgini's small-sample factor ``m / (m - 1)``.

    Returns:
        ``G'``, or NaN when every value is 0 (or, with ``unbiased``, when ``m`` is 1).

    Raises:
        ParameterError: ``n_events`` is not a whole number >= 1.
    """
    if isinstance(n_events, bool) or not isinstance(n_events, (int, np.integer)) or n_events < 1:
        msg = f"n_events must be a whole number >= 1 (got {n_events!r})"
        raise ParameterError(msg)
    x = _values(values, n_units)
    g = _generalized(x, int(n_events))
    if not unbiased:
        return g
    m = min(x.size, int(n_events))
    return g * m / (m - 1) if m > 1 else math.nan


def _generalized(x: FloatArray, n_events: int) -> float:
    g = _gini_sorted(x)
    if math.isnan(g):
        return g
    return max(1.0, x.size / n_events) * (g - 1.0) + 1.0


def _descending_cumsum(x_sorted: FloatArray) -> FloatArray:
    return np.concatenate([[0.0], np.cumsum(x_sorted[::-1])])


def _fraction(p: Any, name: str) -> float:
    f = float(p)
    if not 0.0 <= f <= 1.0:
        msg = f"{name} must be in [0, 1] (got {p!r})"
        raise ParameterError(msg)
    return f


def top_share(values: Any, fraction: float, *, n_units: int | None = None) -> float:
    """Share of total harm held by the ``fraction`` (0..1) of units with the most harm."""
    p = _fraction(fraction, "fraction")
    x = _values(values, n_units)
    return _top_share_sorted(x, _descending_cumsum(x), p)


def _top_share_sorted(x: FloatArray, cum: FloatArray, p: float) -> float:
    total = float(cum[-1])
    if x.size == 0 or total <= 0:
        return math.nan
    k = p * x.size
    whole = min(math.floor(k), x.size)
    held = cum[whole]
    if whole < x.size:
        held += (k - whole) * x[x.size - 1 - whole]
    return float(min(held / total, 1.0))


def power_few(values: Any, share: float, *, n_units: int | None = None) -> float:
    """Smallest fraction of units (0..1) that together hold ``share`` of total harm."""
    s = _fraction(share, "share")
    x = _values(values, n_units)
    return _power_few_sorted(x, _descending_cumsum(x), s)


def _power_few_sorted(x: FloatArray, cum: FloatArray, s: float) -> float:
    total = float(cum[-1])
    if x.size == 0 or total <= 0:
        return math.nan
    if s == 0.0:
        return 0.0
    target = s * total
    j = int(np.searchsorted(cum, target, side="left"))  # cum[j - 1] < target <= cum[j]
    j = min(max(j, 1), x.size)
    unit = x[x.size - j]
    part = (target - cum[j - 1]) / unit if unit > 0 else 1.0
    return float(min((j - 1 + min(max(part, 0.0), 1.0)) / x.size, 1.0))


@attrs.frozen
class Concentration:
    """Concentration of harm over ``n_units`` units (``n_positive`` with harm > 0).

    ``top_shares`` maps a top fraction of units to the share of harm they hold;
    ``power_few`` maps a share of harm to the smallest fraction of units holding it.
    ``gini_generalized`` is set when the number of events is known.
    """

    n_units: int
    n_positive: int
    total: float
    gini: float
    top_shares: Mapping[float, float]
    power_few: Mapping[float, float]
    n_events: int | None = None
    gini_generalized: float | None = None
    label: str = ""

    def to_record(self) -> dict[str, Any]:
        """One flat dict: label, units, total, gini, top_1pct, ..., units_for_80pct, ..."""
        row: dict[str, Any] = {
            "label": self.label,
            "n_units": self.n_units,
            "n_positive": self.n_positive,
            "n_events": self.n_events,
            "total": self.total,
            "gini": self.gini,
            "gini_generalized": self.gini_generalized,
        }
        for p, v in self.top_shares.items():
            row[f"top_{_pct(p)}pct_share"] = v
        for s, v in self.power_few.items():
            row[f"units_for_{_pct(s)}pct"] = v
        return row


def _pct(fraction: float) -> str:
    return f"{100 * fraction:g}"


def concentration(
    values: Any,
    *,
    n_units: int | None = None,
    n_events: int | None = None,
    top: Sequence[float] = DEFAULT_TOP,
    shares: Sequence[float] = DEFAULT_SHARES,
    label: str = "",
) -> Concentration:
    """Gini, top shares and power-few fractions of harm per unit (or of
    [`Scores`][crimeharm.Scores]).

    For [`Scores`][crimeharm.Scores] / [`Ranking`][crimeharm.Ranking], ``n_events`` defaults to the
    counted rows of the report (for the generalized Gini, which then equals the Gini unless
    ``n_units`` adds offenders without counted events).
    """
    if isinstance(values, (Scores, Ranking)) and n_events is None:
        n_events = values.report.counted
    x = _values(values, n_units)
    cum = _descending_cumsum(x)
    gen = None
    if n_events is not None and n_events > 0:
        gen = _generalized(x, int(n_events))
    return Concentration(
        n_units=int(x.size),
        n_positive=int(np.count_nonzero(x > 0)),
        total=float(x.sum()),
        gini=_gini_sorted(x),
        top_shares={float(p): _top_share_sorted(x, cum, _fraction(p, "top")) for p in top},
        power_few={float(s): _power_few_sorted(x, cum, _fraction(s, "shares")) for s in shares},
        n_events=None if n_events is None else int(n_events),
        gini_generalized=gen,
        label=label,
    )


# -- by offence group and by victim -------------------------------------------------------------


@attrs.frozen(repr=False)
class ConcentrationTable:
    """One [`Concentration`][crimeharm.Concentration] per label (offence group, ...), as a tidy
    table.
    """

    rows: tuple[Concentration, ...]

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, label: str) -> Concentration:
        for row in self.rows:
            if row.label == label:
                return row
        msg = f"no row labelled {label!r}"
        raise KeyError(msg)

    def to_records(self) -> list[dict[str, Any]]:
        """One plain dict per row."""
        return [r.to_record() for r in self.rows]

    def to_pandas(self) -> pd.DataFrame:
        """The table as a pandas DataFrame (needs pandas)."""
        from .._optional import require

        pandas = require("pandas", "pandas")
        frame: pd.DataFrame = pandas.DataFrame(self.to_records())
        return frame

    def __repr__(self) -> str:
        lines = [f"<ConcentrationTable: {len(self)} rows>"]
        for r in self.rows:
            top = ", ".join(f"top {_pct(p)}%: {v:.3f}" for p, v in list(r.top_shares.items())[:3])
            lines.append(
                f"{r.label}: {r.n_units:,} units, total {r.total:,.1f}, gini {r.gini:.3f}; {top}"
            )
        return "\n".join(lines)


def _contributions(events: Events, scheme: Any, options: Mapping[str, Any]) -> Any:
    from ..core.scoring import contributions

    return contributions(events, scheme, **options)


def concentration_by_group(
    events: Events,
    scheme: Any,
    *,
    as_of: Any,
    window_days: int | None = None,
    decay: Any = None,
    on_unknown: str = "raise",
    fallback_weight: float | None = None,
    top: Sequence[float] = DEFAULT_TOP,
    shares: Sequence[float] = DEFAULT_SHARES,
) -> ConcentrationTable:
    """Concentration of harm over offenders within each offence group of the scheme.

    An offender's harm in a group is the sum of their counted contributions from offences in that
    group (score options as in [`crimeharm.score`][crimeharm.score]). Codes the scheme lacks (with
    ``on_unknown="fallback"``) form the group "(unknown code)". Rows are ordered by total harm,
    largest first; the first row, "(all)", is every group together.
    """
    from ..core.scoring import resolve_scheme

    scheme_obj = resolve_scheme(scheme)
    if scheme_obj.groups is None:
        msg = f"weight scheme {scheme_obj.name!r} has no offence groups"
        raise ParameterError(msg)
    options = {
        "as_of": as_of,
        "window_days": window_days,
        "decay": decay,
        "on_unknown": on_unknown,
        "fallback_weight": fallback_weight,
    }
    contrib = _contributions(events, scheme_obj, options)
    rows = np.flatnonzero(contrib.counted)
    if events.categories is not None:  # look each category up once
        lookup = scheme_obj.index_of(events.categories)[events.offence_code[rows]]
    else:
        lookup = scheme_obj.index_of(events.offence_code[rows])
    names = np.append(scheme_obj.groups, "(unknown code)")  # row -1: codes the scheme lacks
    group_names, group_of_code = np.unique(names, return_inverse=True)
    group_of_row = group_of_code.reshape(-1)[lookup]
    offenders = group_rows(events.offender_id[rows])
    pair = group_of_row.astype(np.int64) * max(offenders.size, 1) + offenders.label
    pairs = group_rows(pair)
    harm = np.bincount(pairs.label, weights=contrib.value[rows], minlength=pairs.size)
    harm = harm[pairs.used]
    events_per_pair = np.bincount(pairs.label, minlength=pairs.size)[pairs.used]
    group_of_pair = group_of_row[pairs.first]
    per_offender = np.bincount(
        offenders.label, weights=contrib.value[rows], minlength=offenders.size
    )[offenders.used]
    out = [
        concentration(
            per_offender,
            n_events=int(rows.size) or None,
            top=top,
            shares=shares,
            label="(all)",
        )
    ]
    per_group = []
    for g, name in enumerate(group_names.tolist()):
        mask = group_of_pair == g
        if not mask.any():
            continue  # no counted event in this group
        per_group.append(
            concentration(
                harm[mask],
                n_events=int(events_per_pair[mask].sum()) or None,
                top=top,
                shares=shares,
                label=str(name),
            )
        )
    per_group.sort(key=lambda c: (-c.total, c.label))
    return ConcentrationTable(rows=tuple(out + per_group))


def concentration_by_victim(
    events: Events,
    scheme: Any,
    *,
    as_of: Any,
    window_days: int | None = None,
    decay: Any = None,
    on_unknown: str = "raise",
    fallback_weight: float | None = None,
    n_units: int | None = None,
    top: Sequence[float] = DEFAULT_TOP,
    shares: Sequence[float] = DEFAULT_SHARES,
) -> Concentration:
    """Concentration of harm over victims: each victim's harm is the sum of the counted
    contributions of events against them (the "power few" of repeat victims).

    Needs events with ``victim_id``. ``n_units`` adds victims with no counted harm.
    """
    if events.victim_id is None:
        msg = "concentration by victim needs events with a 'victim_id' column"
        raise ParameterError(msg)
    options = {
        "as_of": as_of,
        "window_days": window_days,
        "decay": decay,
        "on_unknown": on_unknown,
        "fallback_weight": fallback_weight,
    }
    contrib = _contributions(events, scheme, options)
    rows = np.flatnonzero(contrib.counted)
    victims = group_rows(events.victim_id[rows])
    harm = np.bincount(victims.label, weights=contrib.value[rows], minlength=victims.size)
    return concentration(
        harm[victims.used],
        n_units=n_units,
        n_events=int(rows.size) or None,
        top=top,
        shares=shares,
        label="victims",
    )


def compare_with_published(
    values: Any,
    *,
    n_units: int | None = None,
    figures: Sequence[PublishedFigure] = PUBLISHED_FIGURES,
) -> list[dict[str, Any]]:
    """For each published figure, the share of harm the same top fraction holds in ``values``.

    Returns one dict per figure: key, label, top_fraction, published_share, relation,
    observed_share, and the citation.
    """
    x = _values(values, n_units)
    cum = _descending_cumsum(x)
    return [
        {
            "key": f.key,
            "label": f.label,
            "top_fraction": f.top_fraction,
            "published_share": f.harm_share,
            "relation": f.relation,
            "observed_share": _top_share_sorted(x, cum, f.top_fraction),
            "citation": f.citation,
            "doi": f.doi,
        }
        for f in figures
    ]
