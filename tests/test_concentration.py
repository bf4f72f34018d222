"""Concentration measures: Lorenz, Gini (and generalized), top shares, power few, by group."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import crimeharm as ch
from crimeharm.errors import ParameterError
from crimeharm.research.concentration import (
    PUBLISHED_FIGURES,
    compare_with_published,
    concentration,
    concentration_by_group,
    concentration_by_victim,
    generalized_gini,
    gini,
    lorenz_curve,
    power_few,
    top_share,
)

AS_OF = "2023-07-18"
# zero or a harm of at least 0.001 (subnormal floats are not harms)
harms = st.lists(st.one_of(st.just(0.0), st.floats(1e-3, 1e6)), min_size=1, max_size=60).filter(
    lambda v: sum(v) > 0
)


def _gini_reference(values: list[float]) -> float:
    """Gini as the mean absolute difference over all pairs / (2 * mean)."""
    n = len(values)
    mad = sum(abs(a - b) for a, b in itertools.product(values, repeat=2)) / n**2
    return mad / (2 * (sum(values) / n))


@settings(max_examples=100)
@given(values=harms)
def test_gini_properties(values: list[float]) -> None:
    g = gini(values)
    assert 0.0 <= g < 1.0
    assert g == pytest.approx(_gini_reference(values), abs=1e-9)
    assert gini([v * 3.5 for v in values]) == pytest.approx(g, abs=1e-12)  # scale-free


@given(value=st.floats(0.1, 1e6), n=st.integers(1, 50))
def test_gini_of_equal_harms_is_zero(value: float, n: int) -> None:
    assert gini([value] * n) == 0.0


def test_gini_extremes_and_undefined() -> None:
    assert gini([0.0] * 9 + [5.0]) == pytest.approx(0.9)  # (n - 1) / n
    assert math.isnan(gini([0.0, 0.0]))
    assert math.isnan(gini([]))
    assert gini([1.0], n_units=4) == pytest.approx(0.75)
    with pytest.raises(ParameterError, match="finite and >= 0"):
        gini([1.0, -1.0])
    with pytest.raises(ParameterError, match="n_units"):
        gini([1.0, 2.0], n_units=1)


def test_generalized_gini_worked_examples() -> None:
    # Bernasco and Steenbeek's lorenzgini examples: 10 places.
    crimes = [5, 2, 1] + [0] * 7  # 8 crimes < 10 places
    assert gini(crimes) == pytest.approx(0.8)
    assert generalized_gini(crimes, n_events=8) == pytest.approx(0.75)  # 1.25 * (0.8 - 1) + 1
    crimes = [10, 8, 2] + [0] * 7  # 20 crimes >= 10 places: no correction
    assert generalized_gini(crimes, n_events=20) == pytest.approx(gini(crimes))


def test_generalized_gini_unbiased_is_lorenzgini_default() -> None:
    """lorenzgini's gini(x) (unbiased = TRUE) multiplies G' by m / (m - 1), m = min(n, N)."""
    crimes = [5, 2, 1] + [0] * 7  # 8 crimes, 10 places: m = 8
    assert generalized_gini(crimes, n_events=8, unbiased=True) == pytest.approx(0.75 * 8 / 7)
    crimes = [10, 8, 2] + [0] * 7  # 20 crimes, 10 places: m = 10
    assert generalized_gini(crimes, n_events=20, unbiased=True) == pytest.approx(
        gini(crimes) * 10 / 9
    )
    # off by default, and undefined for a single unit or event
    assert generalized_gini(crimes, n_events=20) == pytest.approx(gini(crimes))
    assert math.isnan(generalized_gini([3.0], n_events=3, unbiased=True))


@given(n_units=st.integers(2, 200), data=st.data())
def test_generalized_gini_is_zero_at_maximal_equality(n_units: int, data: st.DataObject) -> None:
    n_events = data.draw(st.integers(1, n_units))
    counts = [1.0] * n_events + [0.0] * (n_units - n_events)
    assert generalized_gini(counts, n_events=n_events) == pytest.approx(0.0, abs=1e-12)


@settings(max_examples=100)
@given(values=harms)
def test_top_shares_are_monotone_and_end_at_one(values: list[float]) -> None:
    fractions = np.linspace(0.0, 1.0, 21)
    shares = [top_share(values, p) for p in fractions]
    assert shares[0] == 0.0
    assert shares[-1] == pytest.approx(1.0)
    assert all(b >= a - 1e-12 for a, b in itertools.pairwise(shares))
    assert all(s >= p - 1e-12 for s, p in zip(shares, fractions, strict=True))  # top >= average
    for s in (0.25, 0.5, 0.8, 1.0):
        p = power_few(values, s)
        assert 0.0 < p <= 1.0
        assert top_share(values, p) == pytest.approx(s, abs=1e-9)  # inverse of top_share


def test_top_share_and_power_few_by_hand() -> None:
    values = [50.0, 30.0, 10.0, 10.0]  # total 100
    assert top_share(values, 0.25) == pytest.approx(0.5)
    assert top_share(values, 0.5) == pytest.approx(0.8)
    assert top_share(values, 0.125) == pytest.approx(0.25)  # half of the top unit
    assert power_few(values, 0.8) == pytest.approx(0.5)
    assert power_few(values, 0.65) == pytest.approx(0.375)  # 1 unit + half of the second
    with pytest.raises(ParameterError, match=r"in \[0, 1\]"):
        top_share(values, 1.5)


def test_lorenz_curve() -> None:
    x, y = lorenz_curve([3.0, 1.0, 0.0, 4.0])
    assert x.tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert y.tolist() == [0.0, 0.0, 0.125, 0.5, 1.0]
    # Gini = 1 - 2 * area under the curve, with the (n - 1) / n discrete convention
    area = float(np.sum((y[1:] + y[:-1]) / 2) / 4)
    assert gini([3.0, 1.0, 0.0, 4.0]) == pytest.approx(1 - 2 * area)


def _events(seed: int, n: int = 4000) -> ch.Events:
    rng = np.random.default_rng(seed)
    return ch.Events(
        offender_id=rng.integers(0, 500, n),
        offence_code=rng.choice(["001/01", "105/01", "046/00", "092/61", "030/02"], n),
        date=np.datetime64("2019-01-01") + rng.integers(0, 1660, n),
        victim_id=rng.integers(0, 900, n),
    )


def test_concentration_of_scores() -> None:
    events = _events(1)
    scores = ch.score(events, "cchi-2020", as_of=AS_OF, window_days=1826)
    c = concentration(scores, top=(0.01, 0.1), shares=(0.8,))
    assert c.n_units == len(scores)
    assert c.total == pytest.approx(scores.harm.sum())
    assert c.gini == pytest.approx(gini(scores.harm))
    assert c.top_shares[0.1] == pytest.approx(top_share(scores.harm, 0.1))
    assert c.n_events == scores.report.counted
    assert c.gini_generalized == pytest.approx(c.gini)  # more events than offenders
    record = c.to_record()
    assert record["top_10pct_share"] == c.top_shares[0.1]
    assert record["units_for_80pct"] == c.power_few[0.8]


def test_concentration_by_group_adds_up() -> None:
    events = _events(2)
    scheme = ch.get_scheme("cchi-2020")
    table = concentration_by_group(events, scheme, as_of=AS_OF, window_days=1826)
    everyone = table["(all)"]
    scores = ch.score(events, scheme, as_of=AS_OF, window_days=1826)
    assert everyone.total == pytest.approx(scores.harm.sum())
    assert everyone.gini == pytest.approx(gini(scores.harm))
    groups = table.rows[1:]
    assert sum(g.total for g in groups) == pytest.approx(everyone.total)
    assert [g.total for g in groups] == sorted((g.total for g in groups), reverse=True)
    for g in groups:  # each group equals scoring only that group's events
        only = ch.score(
            events.select(scheme=scheme, groups=[g.label]), scheme, as_of=AS_OF, window_days=1826
        )
        assert g.total == pytest.approx(only.harm.sum())
        assert g.n_units == len(only)
        assert g.gini == pytest.approx(gini(only.harm))
    assert len(table.to_records()) == len(table)
    with pytest.raises(ParameterError, match="no offence groups"):
        concentration_by_group(
            events, ch.WeightScheme.from_mapping({"x": 1.0}), as_of=AS_OF, on_unknown="skip"
        )


def test_concentration_by_victim() -> None:
    events = _events(3)
    c = concentration_by_victim(events, "cchi-2020", as_of=AS_OF, window_days=1826)
    scores = ch.score(
        ch.Events(offender_id=events.victim_id, offence_code=events.offence_code, date=events.date),
        "cchi-2020",
        as_of=AS_OF,
        window_days=1826,
    )  # victims in the offender seat: the same sums
    assert c.n_units == len(scores)
    assert c.total == pytest.approx(scores.harm.sum())
    assert c.gini == pytest.approx(gini(scores.harm))
    bare = ch.Events(offender_id=[1], offence_code=["105/01"], date=["2023-01-01"])
    with pytest.raises(ParameterError, match="victim_id"):
        concentration_by_victim(bare, "cchi-2020", as_of=AS_OF)


def test_published_figures_and_comparison() -> None:
    keys = {f.key for f in PUBLISHED_FIGURES}
    assert {"northamptonshire-2010-16", "thames-valley-ipa-2010-15"} <= keys
    by_key = {f.key: f for f in PUBLISHED_FIGURES}
    assert (
        by_key["northamptonshire-2010-16"].top_fraction,
        by_key["northamptonshire-2010-16"].harm_share,
    ) == (0.07, 0.80)
    assert (
        by_key["thames-valley-ipa-2010-15"].top_fraction,
        by_key["thames-valley-ipa-2010-15"].harm_share,
    ) == (0.03, 0.90)
    wa = by_key["western-australia-fv-2010-15"]
    assert (wa.top_fraction, wa.harm_share, wa.relation) == (0.02, 0.50, ">")
    assert all(f.citation for f in PUBLISHED_FIGURES)
    values = [100.0] + [1.0] * 99
    rows = compare_with_published(values)
    assert [r["key"] for r in rows] == [f.key for f in PUBLISHED_FIGURES]
    for r in rows:
        assert r["observed_share"] == pytest.approx(top_share(values, r["top_fraction"]))
