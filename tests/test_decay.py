"""Tests of the decays: formulas at hand-computable ages, validation, and the decay contract."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import crimeharm as ch
from crimeharm.core.decay import decay_table
from crimeharm.testing import check_decay

AGES = np.array([0, 1, 182, 365, 730, 1095, 1825, 1826, 10_000], dtype=np.int64)


def test_no_decay_is_one_everywhere() -> None:
    assert ch.NoDecay().factor(AGES).tolist() == [1.0] * AGES.size
    assert ch.NoDecay().params() == {}


def test_exponential_halves_every_half_life() -> None:
    d = ch.ExponentialDecay(half_life_days=365)
    f = d.factor(np.array([0, 365, 730, 1095, 1825]))
    assert f.tolist() == [1.0, 0.5, 0.25, 0.125, 0.5**5]
    assert d.factor(np.array([182]))[0] == pytest.approx(2 ** (-182 / 365), rel=1e-15)
    assert d.params() == {"half_life_days": 365.0}


def test_linear_reaches_zero_at_the_horizon() -> None:
    d = ch.LinearDecay(horizon_days=100)
    assert d.factor(np.array([0, 25, 50, 99, 100, 101, 5000])).tolist() == [
        1.0,
        0.75,
        0.5,
        1 - 99 / 100,
        0.0,
        0.0,
        0.0,
    ]
    assert d.params() == {"horizon_days": 100.0}


def test_step_bands_are_half_open() -> None:
    d = ch.StepDecay(bands=[(365, 1.0), (730, 0.5), (1826, 0.25)])
    ages = np.array([0, 364, 365, 729, 730, 1825, 1826, 9999])
    assert d.factor(ages).tolist() == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.0, 0.0]
    assert d.params() == {"bands": [[365, 1.0], [730, 0.5], [1826, 0.25]]}
    assert ch.StepDecay(bands={365: 1.0, 730: 0.5}) == ch.StepDecay(bands=[(365, 1), (730, 0.5)])


@pytest.mark.parametrize(
    ("cls", "kwargs", "match"),
    [
        (ch.ExponentialDecay, {"half_life_days": 0}, "half_life_days"),
        (ch.ExponentialDecay, {"half_life_days": -3}, "half_life_days"),
        (ch.ExponentialDecay, {"half_life_days": float("nan")}, "half_life_days"),
        (ch.ExponentialDecay, {"half_life_days": float("inf")}, "half_life_days"),
        (ch.LinearDecay, {"horizon_days": 0}, "horizon_days"),
        (ch.StepDecay, {"bands": []}, "at least one"),
        (ch.StepDecay, {"bands": [(0, 1.0)]}, "positive"),
        (ch.StepDecay, {"bands": [(10, 1.0), (10, 0.5)]}, "increasing"),
        (ch.StepDecay, {"bands": [(10, 0.9)]}, "factor 1.0"),
        (ch.StepDecay, {"bands": [(10, 1.0), (20, 1.5)]}, r"\[0, 1\]"),
        (ch.StepDecay, {"bands": [(10, 1.0), (20, 0.2), (30, 0.5)]}, "never increase"),
        (ch.StepDecay, {"bands": [(10, 1.0), (20, -0.1)]}, r"\[0, 1\]"),
        (ch.StepDecay, {"bands": ["oops"]}, "pairs"),
    ],
)
def test_bad_parameters_are_decay_errors(cls: Any, kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ch.DecayError, match=match):
        cls(**kwargs)


def test_get_decay_by_name_with_parameters() -> None:
    assert ch.get_decay("none") == ch.NoDecay()
    assert ch.get_decay("exponential", half_life_days=365) == ch.ExponentialDecay(365)
    assert ch.get_decay("linear", horizon_days=10) == ch.LinearDecay(10)
    bands = [[365, 1.0], [730, 0.5]]
    assert ch.get_decay("step", bands=bands) == ch.StepDecay(bands=bands)
    with pytest.raises(TypeError, match="exponential"):
        ch.get_decay("exponential", half_life=365)
    with pytest.raises(ch.DecayError):
        ch.get_decay("exponential", half_life_days=-1)


@pytest.mark.parametrize(
    "decay",
    [
        ch.NoDecay(),
        ch.ExponentialDecay(half_life_days=1),
        ch.ExponentialDecay(half_life_days=365),
        ch.ExponentialDecay(half_life_days=0.01),
        ch.LinearDecay(horizon_days=1),
        ch.LinearDecay(horizon_days=1826),
        ch.StepDecay(bands=[(1, 1.0)]),
        ch.StepDecay(bands=[(365, 1.0), (730, 0.5), (1826, 0.0)]),
    ],
    ids=repr,
)
def test_builtin_decays_meet_the_contract(decay: ch.Decay) -> None:
    assert isinstance(decay, ch.Decay)
    check_decay(decay, max_age=5000)
    rebuilt = ch.get_decay(decay.name, **decay.params())
    assert rebuilt == decay


@pytest.mark.parametrize("name", ch.list_decays())
def test_every_registered_decay_meets_the_contract_with_defaults_or_typical_params(
    name: str,
) -> None:
    typical: dict[str, dict[str, Any]] = {
        "exponential": {"half_life_days": 365},
        "linear": {"horizon_days": 1826},
        "step": {"bands": [[365, 1.0], [730, 0.5]]},
    }
    check_decay(name, **typical.get(name, {}))


def test_decay_table_checks_the_contract() -> None:
    class Rising:
        name = "rising"

        def factor(self, age_days: Any) -> Any:
            return np.where(np.asarray(age_days) == 2, 1.0, 0.5 ** np.asarray(age_days))

        def params(self) -> dict[str, Any]:
            return {}

    assert decay_table(ch.ExponentialDecay(1), 3).tolist() == [1.0, 0.5, 0.25]
    with pytest.raises(ch.DecayError, match=r"'rising' \(from plugin 'p'\).*rises at age 2"):
        decay_table(Rising(), 5, source="plugin 'p'")  # type: ignore[arg-type]


def test_check_decay_reports_the_broken_rule() -> None:
    class Half:
        name = "half"

        def factor(self, age_days: Any) -> Any:
            return np.full(np.shape(age_days), 0.5)

        def params(self) -> dict[str, Any]:
            return {}

    with pytest.raises(AssertionError, match=r"factor\(0\) must be 1.0"):
        check_decay(Half())  # type: ignore[arg-type]
    with pytest.raises(AssertionError, match="Decay protocol"):
        check_decay(object())  # type: ignore[arg-type]
    with pytest.raises(AssertionError, match="not registered"):
        check_decay("no-such-decay")
