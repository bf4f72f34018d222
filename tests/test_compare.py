"""Ranking comparison: rank correlations against simple references and scipy, overlap, movers."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import crimeharm as ch
from crimeharm.errors import ParameterError
from crimeharm.research.compare import (
    _inversions,
    churn_over_time,
    compare,
    compare_schemes,
    kendall_tau_b,
    spearman,
)

AS_OF = "2023-07-18"
SCHEME = ch.WeightScheme.from_mapping({"A": 1.0, "B": 10.0, "C": 100.0, "D": 3650.0}, name="s")
FLAT = ch.WeightScheme.from_mapping({"A": 1.0, "B": 1.0, "C": 1.0, "D": 1.0}, name="flat")


def _tau_b_reference(x: list[float], y: list[float]) -> float:
    """Kendall's tau-b by its definition, over every pair (O(n^2))."""
    c = d = tx = ty = 0
    for (xi, yi), (xj, yj) in itertools.combinations(zip(x, y, strict=True), 2):
        sx = (xi > xj) - (xi < xj)
        sy = (yi > yj) - (yi < yj)
        if sx and sy:
            c += sx == sy
            d += sx != sy
        elif sx and not sy:
            ty += 1
        elif sy and not sx:
            tx += 1
    denom = math.sqrt((c + d + tx) * (c + d + ty))
    return math.nan if denom == 0 else (c - d) / denom


def _events(seed: int, n: int = 3000) -> ch.Events:
    rng = np.random.default_rng(seed)
    return ch.Events(
        offender_id=rng.integers(0, n // 5, n),
        offence_code=rng.choice(list("ABCD"), n, p=[0.6, 0.3, 0.09, 0.01]),
        date=np.datetime64("2019-01-01") + rng.integers(0, 1660, n),
    )


values = st.lists(st.integers(0, 6), min_size=0, max_size=40)


@settings(max_examples=200)
@given(data=st.data())
def test_kendall_tau_b_matches_definition(data: st.DataObject) -> None:
    x = data.draw(values)
    y = data.draw(st.lists(st.integers(0, 6), min_size=len(x), max_size=len(x)))
    got = kendall_tau_b(x, y)
    want = _tau_b_reference([float(v) for v in x], [float(v) for v in y])
    assert (math.isnan(got) and math.isnan(want)) or got == pytest.approx(want, abs=1e-12)


@settings(max_examples=100)
@given(a=st.lists(st.integers(-5, 5), max_size=60))
def test_inversions_match_definition(a: list[int]) -> None:
    arr = np.asarray(a, dtype=np.int64) + 5
    want = sum(1 for i, j in itertools.combinations(range(len(a)), 2) if a[i] > a[j])
    assert _inversions(arr) == want


def test_against_scipy_on_random_data() -> None:
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(0)
    for _ in range(50):
        n = int(rng.integers(3, 300))
        x = rng.integers(0, int(rng.integers(2, 20)), n).astype(float)
        y = x * rng.random() + rng.integers(0, 5, n)
        assert kendall_tau_b(x, y) == pytest.approx(stats.kendalltau(x, y).statistic, abs=1e-12)
        assert spearman(x, y) == pytest.approx(stats.spearmanr(x, y).statistic, abs=1e-12)
    x = rng.random(200_000)
    y = x + rng.random(200_000)
    assert kendall_tau_b(x, y) == pytest.approx(stats.kendalltau(x, y).statistic, abs=1e-12)


def test_correlation_edge_cases() -> None:
    assert math.isnan(kendall_tau_b([1.0], [2.0]))
    assert math.isnan(spearman([1.0, 1.0], [1.0, 2.0]))  # constant x
    assert kendall_tau_b([1, 2, 3], [3, 2, 1]) == -1.0
    assert spearman([1, 2, 3, 4], [10, 20, 30, 45]) == pytest.approx(1.0)
    with pytest.raises(ParameterError, match="equal length"):
        kendall_tau_b([1, 2], [1])
    with pytest.raises(ParameterError, match="finite"):
        spearman([1.0, math.nan], [1.0, 2.0])


def test_comparing_a_ranking_with_itself() -> None:
    scores = ch.score(_events(1), SCHEME, as_of=AS_OF)
    c = compare(scores, scores, n=50)
    assert (c.common, c.overlap, c.jaccard, c.churn) == (50, 1.0, 1.0, 0.0)
    assert c.kendall_tau_b == pytest.approx(1.0)
    assert c.spearman == pytest.approx(1.0)
    assert c.entered == ()
    assert c.left == ()
    r = compare(scores.top(80), scores.top(80), n=80)
    assert r.overlap == 1.0
    assert r.kendall_tau_b == pytest.approx(1.0)


def test_overlap_and_movers_by_hand() -> None:
    # a: 1 > 2 > 3 > 4; b: 4 > 1 > 5 > 2 (3 has no event in b)
    ev_a = ch.Events(
        offender_id=[1, 2, 3, 4], offence_code=["D", "C", "B", "A"], date=["2023-01-01"] * 4
    )
    ev_b = ch.Events(
        offender_id=[4, 1, 5, 2], offence_code=["D", "C", "B", "A"], date=["2023-01-01"] * 4
    )
    a = ch.score(ev_a, SCHEME, as_of=AS_OF)
    b = ch.score(ev_b, SCHEME, as_of=AS_OF)
    c = compare(a, b, n=2, labels=("old", "new"))
    assert (c.pair_a, c.pair_b) == ("old", "new")
    assert c.common == 1  # top2 a = {1, 2}, top2 b = {4, 1}
    assert c.overlap == 0.5
    assert c.jaccard == pytest.approx(1 / 3)
    assert c.churn == 0.5
    assert [m.offender_id for m in c.entered] == [4]
    assert (c.entered[0].rank_a, c.entered[0].rank_b) == (4, 1)
    assert [m.offender_id for m in c.left] == [2]
    assert (c.left[0].rank_a, c.left[0].rank_b) == (2, 4)
    assert c.n_offenders == 5  # union; 3 has harm 0 in b, 5 has harm 0 in a
    x = [3650.0, 100.0, 10.0, 1.0, 0.0]  # ids 1..5 in a
    y = [100.0, 1.0, 0.0, 3650.0, 10.0]
    assert c.kendall_tau_b == pytest.approx(_tau_b_reference(x, y))


def test_p_values_from_scipy() -> None:
    stats = pytest.importorskip("scipy.stats")
    events = _events(2)
    a = ch.score(events, SCHEME, as_of=AS_OF)
    b = ch.score(events, FLAT, as_of=AS_OF)
    c = compare(a, b, n=20, p_values=True)
    harm_b = b.harm[np.searchsorted(b.offender_id, a.offender_id)]
    assert c.kendall_p == pytest.approx(stats.kendalltau(a.harm, harm_b).pvalue)
    assert "kendall_p" in c.to_record()


def test_compare_schemes_table() -> None:
    events = _events(3)
    table = compare_schemes(
        events,
        {"weighted": SCHEME, "flat": FLAT, "decayed": {"decay": ch.ExponentialDecay(180)}},
        scheme=SCHEME,
        as_of=AS_OF,
        window_days=1826,
        n=25,
    )
    assert len(table) == 3
    records = table.to_records()
    assert [(r["pair_a"], r["pair_b"]) for r in records] == [
        ("weighted", "flat"),
        ("weighted", "decayed"),
        ("flat", "decayed"),
    ]
    for r in records:
        assert {"pair_a", "pair_b", "n", "overlap", "jaccard", "spearman", "kendall_tau_b"} <= set(
            r
        )
        assert 0.0 <= r["jaccard"] <= r["overlap"] <= 1.0
        assert -1.0 <= r["kendall_tau_b"] <= 1.0
    direct = compare(table.scores["weighted"], table.scores["flat"], n=25)
    assert table["weighted", "flat"].kendall_tau_b == direct.kendall_tau_b
    frame = table.to_pandas()
    assert list(frame["pair_a"]) == ["weighted", "weighted", "flat"]
    assert "weighted" in repr(table)


def test_compare_schemes_errors() -> None:
    events = _events(4, 100)
    with pytest.raises(ParameterError, match="at least two"):
        compare_schemes(events, {"one": SCHEME}, as_of=AS_OF)
    with pytest.raises(ParameterError, match="no as_of"):
        compare_schemes(events, {"a": SCHEME, "b": FLAT})
    with pytest.raises(ParameterError, match="unknown score option"):
        compare_schemes(events, {"a": SCHEME, "b": {"half_life": 3}}, scheme=SCHEME, as_of=AS_OF)
    with pytest.raises(ParameterError, match="n must be"):
        compare_schemes(events, {"a": SCHEME, "b": FLAT}, as_of=AS_OF, n=0)


def test_churn_over_time() -> None:
    events = _events(5)
    dates = ["2021-07-18", "2022-07-18", "2023-07-18"]
    table = churn_over_time(events, SCHEME, dates, n=30, window_days=365)
    assert [(c.pair_a, c.pair_b) for c in table.comparisons] == [
        (dates[0], dates[1]),
        (dates[1], dates[2]),
    ]
    for c in table.comparisons:
        top_a = set(table.scores[c.pair_a].top(30).offender_id.tolist())
        top_b = set(table.scores[c.pair_b].top(30).offender_id.tolist())
        assert c.common == len(top_a & top_b)
        assert c.churn == pytest.approx(len(top_a - top_b) / len(top_a))
        assert {m.offender_id for m in c.left} <= top_a - top_b
    with pytest.raises(ParameterError, match="distinct"):
        churn_over_time(events, SCHEME, [AS_OF, AS_OF])


# -- which offenders enter the correlation: stated, chosen, never silent --------------------------


def _by_hand() -> tuple[ch.Scores, ch.Scores]:
    # a: 1 > 2 > 3 > 4; b: 4 > 1 > 5 > 2 (3 has no event in b, 5 none in a)
    ev_a = ch.Events(
        offender_id=[1, 2, 3, 4], offence_code=["D", "C", "B", "A"], date=["2023-01-01"] * 4
    )
    ev_b = ch.Events(
        offender_id=[4, 1, 5, 2], offence_code=["D", "C", "B", "A"], date=["2023-01-01"] * 4
    )
    return ch.score(ev_a, SCHEME, as_of=AS_OF), ch.score(ev_b, SCHEME, as_of=AS_OF)


def test_missing_zero_and_drop_on_scores() -> None:
    a, b = _by_hand()
    zero = compare(a, b, n=2)
    assert zero.missing == "zero"
    assert zero.n_offenders == 5
    drop = compare(a, b, n=2, missing="drop")
    assert drop.missing == "drop"
    assert drop.n_offenders == 3  # ids 1, 2, 4 are in both
    x, y = [3650.0, 100.0, 1.0], [100.0, 1.0, 3650.0]
    assert drop.kendall_tau_b == pytest.approx(_tau_b_reference(x, y))
    assert drop.spearman == pytest.approx(spearman(x, y))


def test_rankings_drop_missing_and_refuse_zero() -> None:
    a, b = _by_hand()
    c = compare(a.top(3), b.top(3), n=2)
    assert c.missing == "drop"
    assert c.n_offenders == 1  # top3 a = {1, 2, 3}, top3 b = {4, 1, 5}: only 1 is in both
    with pytest.raises(ParameterError, match="missing='zero' needs two Scores"):
        compare(a.top(3), b, missing="zero")
    with pytest.raises(ParameterError, match="'zero' or 'drop'"):
        compare(a, b, missing="nan")  # type: ignore[arg-type]


def test_absent_offender_is_not_scored_or_not_in_top_k() -> None:
    a, b = _by_hand()
    # on Scores: offender 3 has no event in b, so it is "not scored" there with harm 0
    left = compare(a, b, n=3).left
    assert [(m.offender_id, m.status_b, m.harm_b) for m in left] == [
        (3, "not scored", 0.0),
        (2, "ranked", 1.0),
    ]
    # on a Ranking of 2 rows: offender 2 is ranked 4th in b, below the cut: harm unknown
    left = compare(a.top(2), b.top(2), n=2).left
    assert [m.offender_id for m in left] == [2]
    assert left[0].status_b == "not in top 2"
    assert left[0].rank_b is None
    assert math.isnan(left[0].harm_b)
    assert left[0].to_dict()["status_b"] == "not in top 2"


def test_every_printed_comparison_states_the_convention() -> None:
    a, b = _by_hand()
    assert "one missing from a side has harm 0" in repr(compare(a, b, n=2))
    assert "one missing from a side is left out" in repr(compare(a.top(2), b.top(2), n=2))
    table = compare_schemes(
        _events(3), {"s": SCHEME, "flat": FLAT}, as_of=AS_OF, n=10, missing="drop"
    )
    assert repr(table).splitlines()[-1].startswith("missing='drop': correlations over")
    assert table.to_records()[0]["missing"] == "drop"
