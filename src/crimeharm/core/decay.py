"""Recency decays: functions of an event's age in whole days returning a factor in [0, 1].

A decay must satisfy ``factor(0) == 1``, ``0 <= factor <= 1`` and be non-increasing in age.
The scorer evaluates a decay once per distinct age (a table of at most ``window_days`` entries),
never once per event, so a decay may be written with plain numpy without care for speed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import pairwise
from typing import Any, ClassVar, Protocol, runtime_checkable

import attrs
import numpy as np
import numpy.typing as npt

from ..errors import DecayError

__all__ = [
    "Decay",
    "ExponentialDecay",
    "LinearDecay",
    "NoDecay",
    "StepDecay",
    "decay_table",
]

FloatArray = npt.NDArray[np.float64]


@runtime_checkable
class Decay(Protocol):
    """What the scorer needs of a decay: a name, its parameters and a vectorised factor."""

    name: ClassVar[str]

    def factor(self, age_days: npt.NDArray[np.int64]) -> FloatArray:
        """Factor in [0, 1] for each age in whole days (ages are >= 0)."""
        ...

    def params(self) -> Mapping[str, Any]:
        """Parameters that reproduce this decay with ``get_decay(name, **params)``."""
        ...


def _positive(name: str) -> Any:
    def check(_instance: object, _attribute: object, value: float) -> None:
        if not (np.isfinite(value) and value > 0):
            msg = f"{name} must be a positive finite number of days (got {value!r})"
            raise DecayError(msg)

    return check


@attrs.frozen
class NoDecay:
    """Every counted event keeps its full weight (factor 1 at every age)."""

    name: ClassVar[str] = "none"

    def factor(self, age_days: npt.NDArray[np.int64]) -> FloatArray:
        """1.0 for every age."""
        return np.ones(np.shape(age_days), dtype=np.float64)

    def params(self) -> Mapping[str, Any]:
        """No parameters."""
        return {}


@attrs.frozen
class ExponentialDecay:
    """Halves the weight every ``half_life_days``: factor = 0.5 ** (age_days / half_life_days)."""

    name: ClassVar[str] = "exponential"
    half_life_days: float = attrs.field(converter=float, validator=_positive("half_life_days"))

    def factor(self, age_days: npt.NDArray[np.int64]) -> FloatArray:
        """0.5 ** (age / half-life); exactly 1 at age 0."""
        return np.power(0.5, np.asarray(age_days, dtype=np.float64) / self.half_life_days)

    def params(self) -> Mapping[str, Any]:
        """``{"half_life_days": ...}``."""
        return {"half_life_days": self.half_life_days}


@attrs.frozen
class LinearDecay:
    """Falls in a straight line from 1 at age 0 to 0 at ``horizon_days`` (and stays 0 after)."""

    name: ClassVar[str] = "linear"
    horizon_days: float = attrs.field(converter=float, validator=_positive("horizon_days"))

    def factor(self, age_days: npt.NDArray[np.int64]) -> FloatArray:
        """max(0, 1 - age / horizon)."""
        age = np.asarray(age_days, dtype=np.float64)
        return np.clip(1.0 - age / self.horizon_days, 0.0, 1.0)

    def params(self) -> Mapping[str, Any]:
        """``{"horizon_days": ...}``."""
        return {"horizon_days": self.horizon_days}


def _bands(value: Any) -> tuple[tuple[int, float], ...]:
    if isinstance(value, Mapping):
        value = list(value.items())
    try:
        bands = tuple((int(upper), float(f)) for upper, f in value)
    except (TypeError, ValueError) as exc:
        msg = f"step bands must be (upper_age_days, factor) pairs (got {value!r})"
        raise DecayError(msg) from exc
    return bands


@attrs.frozen
class StepDecay:
    """Piecewise-constant bands: ``bands=[(365, 1.0), (730, 0.5), (1826, 0.25)]``.

    An event of age ``a`` takes the factor of the first band with ``a < upper``; ages at or past
    the last upper bound get 0. Factors must start at 1 and never increase.
    """

    name: ClassVar[str] = "step"
    bands: tuple[tuple[int, float], ...] = attrs.field(converter=_bands)

    @bands.validator
    def _check(self, _attribute: object, bands: Sequence[tuple[int, float]]) -> None:
        if not bands:
            msg = "step decay needs at least one (upper_age_days, factor) band"
            raise DecayError(msg)
        uppers = [u for u, _ in bands]
        factors = [f for _, f in bands]
        if uppers[0] <= 0 or any(b <= a for a, b in pairwise(uppers)):
            msg = f"step band upper bounds must be positive and strictly increasing (got {uppers})"
            raise DecayError(msg)
        if factors[0] != 1.0:
            msg = f"the first step band must have factor 1.0 (got {factors[0]!r})"
            raise DecayError(msg)
        if any(not 0.0 <= f <= 1.0 for f in factors) or any(b > a for a, b in pairwise(factors)):
            msg = f"step factors must lie in [0, 1] and never increase (got {factors})"
            raise DecayError(msg)

    def factor(self, age_days: npt.NDArray[np.int64]) -> FloatArray:
        """Factor of the band each age falls in; 0 past the last band."""
        uppers = np.array([u for u, _ in self.bands], dtype=np.int64)
        factors = np.array([f for _, f in self.bands] + [0.0], dtype=np.float64)
        return factors[np.searchsorted(uppers, np.asarray(age_days), side="right")]

    def params(self) -> Mapping[str, Any]:
        """``{"bands": [[upper_days, factor], ...]}``."""
        return {"bands": [list(b) for b in self.bands]}


def decay_table(decay: Decay, length: int, *, source: str = "") -> FloatArray:
    """Factors for ages ``0 .. length - 1``, checked against the decay contract.

    ``source`` names where the decay came from (a plugin) for the error message. Any exception
    that ``factor()`` raises becomes a [`DecayError`][crimeharm.DecayError] naming the decay.
    """
    ages = np.arange(max(length, 1), dtype=np.int64)
    where = f" (from {source})" if source else ""
    label = f"decay {getattr(decay, 'name', type(decay).__name__)!r}{where}"
    try:
        raw = decay.factor(ages)
        kind = getattr(raw, "dtype", np.asarray(raw, dtype=object).dtype).kind
        if kind not in "fiub":
            msg = f"{label} must return numbers; got {type(raw).__name__} of kind {kind!r}"
            raise DecayError(msg)
        table = np.asarray(raw, dtype=np.float64)
    except DecayError:
        raise
    except Exception as exc:  # a plugin's own bug: name the decay, never an internal error
        detail = " ".join(str(exc).split())
        msg = f"{label} failed in factor(): {type(exc).__name__}" + (
            f": {detail}" if detail else ""
        )
        raise DecayError(msg) from exc
    if table.shape != ages.shape:
        msg = f"{label} returned shape {table.shape} for {ages.size} ages"
        raise DecayError(msg)
    bad = ~((table >= 0.0) & (table <= 1.0))
    if bad.any():
        i = int(np.argmax(bad))
        msg = f"{label} must return factors in [0, 1]; got {table[i]!r} at age {i} days"
        raise DecayError(msg)
    if table[0] != 1.0:
        msg = f"{label} must return 1.0 at age 0; got {table[0]!r}"
        raise DecayError(msg)
    rises = np.diff(table) > 0
    if rises.any():
        i = int(np.argmax(rises)) + 1
        msg = (
            f"{label} must be non-increasing; it rises at age {i} days "
            f"({table[i - 1]!r} -> {table[i]!r})"
        )
        raise DecayError(msg)
    return table[:length]
