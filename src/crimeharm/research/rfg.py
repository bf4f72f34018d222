"""Recency, frequency, gravity (and victims) scoring: the RFG / RFGV model used by UK forces.

Forces rank serial perpetrators (notably of domestic abuse: Northumbria's MATAC) by banding
each offender on

- **recency**: days from the offender's last counted event to ``as_of`` (fewer = more severe),
- **frequency**: counted events in the window,
- **gravity**: summed scheme weights of those events (days of custody for the CCHI), and
- **victims** (RFGV): distinct victims in the window,

and adding the bands into a composite. No force publishes its exact formula, so every choice
here is a parameter of [`RFGModel`][crimeharm.RFGModel] (see docs/sensitivity-rfg-plots.md):

- window: one look-back window (default 1096 days, three years) for every component and for
  eligibility; an event counts iff ``0 <= as_of - date < window_days``.
- bands: ``1..k`` (default quintiles, k = 5). By default an offender's band on a component is
  ``1 + floor(k * s)`` where ``s`` is the share of the reference population (eligible offenders,
  or all) whose value is strictly less severe — so equal values share a band, the least severe
  value gets band 1 and the most severe reaches band k when under (k-1)/k of the population is
  below it. Explicit thresholds replace this per component: with ``t_1 <= ... <= t_{k-1}``,
  band = 1 + #{j: t_j <= value} (frequency, gravity, victims: lower bounds, inclusive) and
  band = 1 + #{j: value <= t_j} for recency (upper bounds on days, inclusive).
- composite: sum over components of weight x band (default weight 1 each).
- eligibility: at least ``min_events`` counted events and ``min_victims`` distinct victims in
  the window (RFGV default: 2 victims in 3 years, as MATAC).
- ranking: eligible offenders only, by composite desc, then gravity desc, then id asc.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import attrs
import numpy as np
import numpy.typing as npt

from ..core.events import Events
from ..core.results import Report, ScoreParams
from ..core.schemes import WeightScheme
from ..core.scoring import OnUnknown, score
from ..errors import ParameterError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["COMPONENTS", "RFGModel", "RFGResult", "rfg_score"]

#: Components a model may band, in column order.
COMPONENTS = ("recency", "frequency", "gravity", "victims")
_ARRAY_EQ = attrs.cmp_using(eq=np.array_equal)
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def _as_components(value: Any) -> tuple[str, ...]:
    items = (value,) if isinstance(value, str) else tuple(value)
    return tuple(str(c) for c in items)


def _as_thresholds(value: Any) -> dict[str, tuple[float, ...]]:
    if not isinstance(value, Mapping):
        msg = f"thresholds must map a component name to a list of cut points (got {value!r})"
        raise ParameterError(msg)
    out = {}
    for name, cuts in value.items():
        try:
            out[str(name)] = tuple(float(c) for c in cuts)
        except (TypeError, ValueError) as exc:
            msg = f"thresholds[{name!r}] must be a list of numbers (got {cuts!r})"
            raise ParameterError(msg) from exc
    return out


def _as_weights(value: Any) -> dict[str, float]:
    if not isinstance(value, Mapping):
        msg = f"weights must map a component name to a number (got {value!r})"
        raise ParameterError(msg)
    try:
        return {str(k): float(v) for k, v in value.items()}
    except (TypeError, ValueError) as exc:
        msg = f"weights must map a component name to a number (got {value!r})"
        raise ParameterError(msg) from exc


def _whole(minimum: int) -> Any:
    def check(_instance: object, attribute: attrs.Attribute[int], value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
            msg = f"{attribute.name} must be a whole number >= {minimum} (got {value!r})"
            raise ParameterError(msg)

    return check


@attrs.frozen
class RFGModel:
    """How to band and combine recency, frequency, gravity (and victims); every choice is here.

    Attributes:
        components: Which of ``"recency"``, ``"frequency"``, ``"gravity"``, ``"victims"``
            enter the composite (default RFG: the first three).
        window_days: Look-back window in days for every component and eligibility.
        bands: Number of quantile bands k (5 = quintiles) for components without thresholds.
        thresholds: Explicit cut points per component (k - 1 non-decreasing numbers give
            bands 1..k); see the module docstring for the inclusive rules.
        weights: Weight per component in the composite (missing: 1.0).
        min_events: Eligibility: counted events in the window, at least.
        min_victims: Eligibility: distinct victims in the window, at least (needs victim_id).
        band_over: The population quantile bands are computed over: ``"eligible"``
            offenders (default) or ``"all"`` offenders with a counted event.
    """

    components: tuple[str, ...] = attrs.field(
        default=("recency", "frequency", "gravity"), converter=_as_components
    )
    window_days: int = attrs.field(default=1096, validator=_whole(1))
    bands: int = attrs.field(default=5, validator=_whole(2))
    thresholds: Mapping[str, tuple[float, ...]] = attrs.field(
        factory=dict, converter=_as_thresholds
    )
    weights: Mapping[str, float] = attrs.field(factory=dict, converter=_as_weights)
    min_events: int = attrs.field(default=1, validator=_whole(1))
    min_victims: int = attrs.field(default=0, validator=_whole(0))
    band_over: Literal["eligible", "all"] = "eligible"

    def __attrs_post_init__(self) -> None:
        comps = self.components
        unknown = [c for c in comps if c not in COMPONENTS]
        if not comps or unknown or len(set(comps)) != len(comps):
            msg = (
                f"components must be distinct names from {', '.join(COMPONENTS)} "
                f"(got {list(comps)})"
            )
            raise ParameterError(msg)
        for field_name, mapping in (("thresholds", self.thresholds), ("weights", self.weights)):
            extra = sorted(set(mapping) - set(comps))
            if extra:
                msg = f"{field_name} names {extra[0]!r}, which is not one of the components {comps}"
                raise ParameterError(msg)
        for name, cuts in self.thresholds.items():
            if not cuts or any(math.isnan(c) for c in cuts) or list(cuts) != sorted(cuts):
                msg = (
                    f"thresholds[{name!r}] must be one or more non-decreasing numbers "
                    f"(got {list(cuts)})"
                )
                raise ParameterError(msg)
        for name, weight in self.weights.items():
            if not (math.isfinite(weight) and weight >= 0):
                msg = f"weights[{name!r}] must be a finite number >= 0 (got {weight!r})"
                raise ParameterError(msg)
        if self.band_over not in ("eligible", "all"):
            msg = f"band_over must be 'eligible' or 'all' (got {self.band_over!r})"
            raise ParameterError(msg)

    @classmethod
    def rfgv(cls, **overrides: Any) -> RFGModel:
        """RFGV as in MATAC: all four components, eligible with 2+ victims in 3 years."""
        options: dict[str, Any] = {"components": COMPONENTS, "min_victims": 2}
        options.update(overrides)
        return cls(**options)

    @property
    def name(self) -> str:
        """``"rfgv"`` when victims are a component, else ``"rfg"``."""
        return "rfgv" if "victims" in self.components else "rfg"

    @property
    def needs_victims(self) -> bool:
        """Whether scoring needs events with ``victim_id``."""
        return "victims" in self.components or self.min_victims > 0

    def n_bands(self, component: str) -> int:
        """Number of bands of a component: thresholds + 1, else ``bands``."""
        cuts = self.thresholds.get(component)
        return self.bands if cuts is None else len(cuts) + 1

    def weight(self, component: str) -> float:
        """Weight of a component in the composite (1.0 unless set)."""
        return float(self.weights.get(component, 1.0))

    def score(
        self,
        events: Events,
        scheme: WeightScheme | str,
        *,
        as_of: Any,
        on_unknown: OnUnknown = "raise",
        fallback_weight: float | None = None,
    ) -> RFGResult:
        """Score ``events`` with this model (see [`rfg_score`][crimeharm.rfg_score])."""
        return rfg_score(
            events,
            scheme,
            as_of=as_of,
            model=self,
            on_unknown=on_unknown,
            fallback_weight=fallback_weight,
        )


def _severity(component: str, values: npt.NDArray[Any]) -> FloatArray:
    """Values turned so that larger = more severe (recency: fewer days is more severe)."""
    key = np.asarray(values, dtype=np.float64)
    return -key if component == "recency" else key


def quantile_bands(
    values: npt.NDArray[Any], population: npt.NDArray[np.bool_], k: int, component: str
) -> IntArray:
    """Band 1..k: 1 + floor(k x share of the population strictly less severe), at most k."""
    key = _severity(component, values)
    ref = np.sort(key[population])
    if ref.size == 0:
        return np.ones(key.size, dtype=np.int64)
    below = np.searchsorted(ref, key, side="left").astype(np.int64)
    return np.asarray(np.minimum(1 + (k * below) // ref.size, k), dtype=np.int64)


def threshold_bands(values: npt.NDArray[Any], cuts: Sequence[float], component: str) -> IntArray:
    """Band 1..len(cuts)+1 from explicit cut points (inclusive; see the module docstring)."""
    edges = np.asarray(cuts, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    if component == "recency":
        reached = edges.size - np.searchsorted(edges, v, side="left")  # #{t >= days}
    else:
        reached = np.searchsorted(edges, v, side="right")  # #{t <= value}
    return np.asarray(1 + reached, dtype=np.int64)


def _edges(
    values: npt.NDArray[Any], band: IntArray, population: npt.NDArray[np.bool_], k: int, comp: str
) -> tuple[float, ...]:
    """The least severe population value reaching each band 2..k (what thresholds reproduce it)."""
    v = np.asarray(values, dtype=np.float64)[population]
    b = band[population]
    out = []
    for level in range(2, k + 1):
        reach = v[b >= level]
        if comp == "recency":
            out.append(float(reach.max()) if reach.size else -math.inf)
        else:
            out.append(float(reach.min()) if reach.size else math.inf)
    return tuple(sorted(out))


@attrs.frozen(eq=False, repr=False)
class RFGResult:
    """Per-offender RFG components, bands, composite, eligibility and rank (sorted by id).

    ``recency_days`` is ``as_of - last counted event`` in days; ``frequency`` counted events;
    ``gravity`` summed weights (scheme unit); ``victims`` distinct victims (None without
    victim ids). ``bands[c]`` is the 1..k band of component c; ``composite`` the weighted sum.
    ``rank`` is 1-based among eligible offenders (composite desc, gravity desc, id asc) and 0 for
    ineligible ones. ``thresholds[c]`` are the cut points in effect: passing them as
    ``RFGModel(thresholds=...)`` reproduces these bands on the same population.
    """

    offender_id: npt.NDArray[Any] = attrs.field(eq=_ARRAY_EQ)
    recency_days: IntArray = attrs.field(eq=_ARRAY_EQ)
    frequency: IntArray = attrs.field(eq=_ARRAY_EQ)
    gravity: FloatArray = attrs.field(eq=_ARRAY_EQ)
    victims: IntArray | None
    bands: Mapping[str, IntArray]
    composite: FloatArray = attrs.field(eq=_ARRAY_EQ)
    eligible: npt.NDArray[np.bool_] = attrs.field(eq=_ARRAY_EQ)
    rank: IntArray = attrs.field(eq=_ARRAY_EQ)
    thresholds: Mapping[str, tuple[float, ...]]
    model: RFGModel
    params: ScoreParams
    report: Report

    def __len__(self) -> int:
        return int(self.offender_id.size)

    def order(self) -> npt.NDArray[np.intp]:
        """Rows of the eligible offenders in ranking order."""
        rows = np.flatnonzero(self.eligible)
        return rows[np.argsort(self.rank[rows], kind="stable")].astype(np.intp)

    def _take(self, rows: npt.NDArray[np.intp]) -> RFGResult:
        return attrs.evolve(
            self,
            offender_id=self.offender_id[rows],
            recency_days=self.recency_days[rows],
            frequency=self.frequency[rows],
            gravity=self.gravity[rows],
            victims=None if self.victims is None else self.victims[rows],
            bands={k: v[rows] for k, v in self.bands.items()},
            composite=self.composite[rows],
            eligible=self.eligible[rows],
            rank=self.rank[rows],
        )

    def top(self, n: int) -> RFGResult:
        """The first ``n`` eligible offenders, in ranking order."""
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            msg = f"n must be a whole number >= 0 (got {n!r})"
            raise ParameterError(msg)
        return self._take(self.order()[:n])

    def ranking(self) -> RFGResult:
        """Every eligible offender, in ranking order."""
        return self._take(self.order())

    def _columns(self) -> dict[str, npt.NDArray[Any]]:
        cols: dict[str, npt.NDArray[Any]] = {
            "offender_id": self.offender_id,
            "rank": self.rank,
            "eligible": self.eligible,
            "recency_days": self.recency_days,
            "frequency": self.frequency,
            "gravity": self.gravity,
        }
        if self.victims is not None:
            cols["victims"] = self.victims
        for name in self.model.components:
            cols[f"{name}_band"] = self.bands[name]
        cols["composite"] = self.composite
        return cols

    def to_records(self) -> list[dict[str, Any]]:
        """One plain dict per offender."""
        cols = {k: v.tolist() for k, v in self._columns().items()}
        return [dict(zip(cols, row, strict=True)) for row in zip(*cols.values(), strict=True)]

    def to_pandas(self) -> pd.DataFrame:
        """One row per offender as a DataFrame (needs pandas)."""
        from .._optional import require

        pandas = require("pandas", "pandas")
        frame: pd.DataFrame = pandas.DataFrame(self._columns())
        return frame

    def __repr__(self) -> str:
        m = self.model
        return (
            f"<RFGResult ({m.name}, window {m.window_days} days, as_of {self.params.as_of}): "
            f"{len(self):,} offenders, {int(np.count_nonzero(self.eligible)):,} eligible>"
        )


def rfg_score(
    events: Events,
    scheme: WeightScheme | str,
    *,
    as_of: Any,
    model: RFGModel | None = None,
    on_unknown: OnUnknown = "raise",
    fallback_weight: float | None = None,
) -> RFGResult:
    """Band every offender with a counted event in the window and rank the eligible ones.

    Components come from one [`crimeharm.score`][crimeharm.score] pass with
    ``window_days=model.window_days`` and no decay (gravity = harm, frequency = count, recency =
    as_of - last, victims = distinct victims). See [`RFGModel`][crimeharm.RFGModel] and the module
    docstring for the banding rules.
    """
    chosen: object = RFGModel() if model is None else model
    if not isinstance(chosen, RFGModel):
        msg = f"model must be an RFGModel (got {type(chosen).__name__})"
        raise ParameterError(msg)
    model = chosen
    if model.needs_victims and (not isinstance(events, Events) or events.victim_id is None):
        msg = (
            f"the {model.name} model (components {list(model.components)}, min_victims "
            f"{model.min_victims}) needs events with a 'victim_id' column"
        )
        raise ParameterError(msg)
    scores = score(
        events,
        scheme,
        as_of=as_of,
        window_days=model.window_days,
        decay=None,
        on_unknown=on_unknown,
        fallback_weight=fallback_weight,
    )
    day = scores.params.as_of
    recency = (day - scores.last).astype(np.int64)
    victims = scores.victims
    values: dict[str, npt.NDArray[Any]] = {
        "recency": recency,
        "frequency": scores.count,
        "gravity": scores.harm,
    }
    if victims is not None:
        values["victims"] = victims
    eligible = scores.count >= model.min_events
    if model.min_victims > 0 and victims is not None:
        eligible &= victims >= model.min_victims
    population = eligible if model.band_over == "eligible" else np.ones_like(eligible)
    bands: dict[str, IntArray] = {}
    thresholds: dict[str, tuple[float, ...]] = {}
    composite = np.zeros(len(scores), dtype=np.float64)
    for name in model.components:
        cuts = model.thresholds.get(name)
        if cuts is None:
            k = model.bands
            bands[name] = quantile_bands(values[name], population, k, name)
            thresholds[name] = _edges(values[name], bands[name], population, k, name)
        else:
            bands[name] = threshold_bands(values[name], cuts, name)
            thresholds[name] = tuple(cuts)
        composite += model.weight(name) * bands[name]
    rank = np.zeros(len(scores), dtype=np.int64)
    rows = np.flatnonzero(eligible)
    order = np.lexsort((scores.offender_id[rows], -scores.harm[rows], -composite[rows]))
    rank[rows[order]] = np.arange(1, rows.size + 1, dtype=np.int64)
    return RFGResult(
        offender_id=scores.offender_id,
        recency_days=recency,
        frequency=scores.count,
        gravity=scores.harm,
        victims=victims,
        bands=bands,
        composite=composite,
        eligible=eligible,
        rank=rank,
        thresholds=thresholds,
        model=model,
        params=scores.params,
        report=scores.report,
    )
