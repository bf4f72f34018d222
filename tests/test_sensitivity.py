"""Tests of crimeharm.research.sensitivity: parameter sweeps and bootstrap rank intervals.

Expectations come from crimeharm.score on each setting (sweeps) and from a plain loop that
rescoress resampled events with crimeharm.score (bootstrap), never from stored numbers.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import crimeharm as ch
from crimeharm.errors import ParameterError
from crimeharm.research.sensitivity import (
    BootstrapResult,
    SweepResult,
    bootstrap_ranks,
    jaccard,
    sweep,
)

AS_OF = "2023-07-18"
# integer weights: sums are exact in float64, so ties break the same way in every method
SCHEME = ch.WeightScheme.from_mapping(
    {"A": 1.0, "B": 2.0, "C": 5.0, "D": 30.0, "E": 365.0, "Z": 0.0}, name="toy", unit="days"
)


def make_events(
    seed: int, n: int = 600, offenders: int = 60, *, string_ids: bool = False
) -> ch.Events:
    """Random events over about 6 years before AS_OF, a few after it."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, offenders, n)
    codes = rng.choice(np.array(list("ABCDEZ")), n, p=[0.4, 0.25, 0.15, 0.12, 0.03, 0.05])
    dates = np.datetime64(AS_OF) - rng.integers(-30, 2200, n).astype("timedelta64[D]")
    return ch.Events(
        offender_id=np.char.add("p", ids.astype(str)) if string_ids else ids + 1000,
        offence_code=codes,
        date=dates,
    )


# -- jaccard ------------------------------------------------------------------------------------


def test_jaccard_by_hand() -> None:
    assert jaccard([1, 2, 3], [2, 3, 4]) == 2 / 4
    assert jaccard([1, 2], [1, 2]) == 1.0
    assert jaccard([], []) == 1.0
    assert jaccard([1], []) == 0.0
    assert jaccard(["a", "b"], ["b", "c", "d"]) == 1 / 4


# -- sweep --------------------------------------------------------------------------------------


@pytest.mark.parametrize("string_ids", [False, True])
def test_sweep_top_sets_equal_score_top(string_ids: bool) -> None:
    events = make_events(1, string_ids=string_ids)
    result = sweep(
        events,
        SCHEME,
        as_of=AS_OF,
        n=10,
        window_days=1826,
        half_lives=[180, 730],
        windows=[365, 1826, None],
        decays={"linear 3y": ch.get_decay("linear", horizon_days=1096), "flat": "none"},
    )
    assert isinstance(result, SweepResult)
    # baseline + 3 windows x 4 decays, minus the one equal to the baseline (1826d, none)
    assert len(result.settings) == 1 + 3 * 4 - 1
    assert result.settings[0].label.startswith("baseline")
    for setting, ids, harm in zip(result.settings, result.top_ids, result.top_harm, strict=True):
        expected = ch.score(
            events, SCHEME, as_of=AS_OF, window_days=setting.window_days, decay=setting.decay
        ).top(10)
        np.testing.assert_array_equal(ids, expected.offender_id)
        np.testing.assert_allclose(harm, expected.harm, rtol=1e-12)


def test_sweep_statistics_match_python_sets() -> None:
    events = make_events(2)
    result = sweep(
        events, SCHEME, as_of=AS_OF, n=8, half_lives=[90, 365, 1000], windows=[730, None]
    )
    sets = [set(ids.tolist()) for ids in result.top_ids]
    k = len(sets)
    for i, j in itertools.product(range(k), range(k)):
        expected = len(sets[i] & sets[j]) / len(sets[i] | sets[j])
        assert result.jaccard[i, j] == pytest.approx(expected)
    np.testing.assert_array_equal(result.jaccard, result.jaccard.T)
    np.testing.assert_array_equal(result.jaccard_to_baseline, result.jaccard[0])
    union = sorted(set().union(*sets))
    assert result.offender_id.tolist() == union
    counts = [sum(x in s for s in sets) for x in union]
    assert result.appearances.tolist() == counts
    np.testing.assert_allclose(result.frequency, np.array(counts) / k)
    assert result.always.tolist() == sorted(set.intersection(*sets))
    pairs = [result.jaccard[i, j] for i, j in itertools.combinations(range(k), 2)]
    assert result.mean_pairwise_jaccard() == pytest.approx(np.mean(pairs))


def test_sweep_without_grid_is_the_baseline_alone() -> None:
    events = make_events(3)
    result = sweep(events, SCHEME, as_of=AS_OF, n=5, window_days=1000)
    assert len(result.settings) == 1
    assert result.always.size == result.top_ids[0].size == 5
    assert result.mean_pairwise_jaccard() == 1.0
    expected = ch.score(events, SCHEME, as_of=AS_OF, window_days=1000).top(5)
    np.testing.assert_array_equal(result.top_ids[0], expected.offender_id)


def test_sweep_windows_only_keep_the_baseline_decay() -> None:
    decay = ch.get_decay("exponential", half_life_days=365)
    result = sweep(make_events(4), SCHEME, as_of=AS_OF, n=5, decay=decay, windows=[365, 730])
    assert [s.window_days for s in result.settings] == [None, 365, 730]
    assert all(s.decay == decay for s in result.settings)


def test_sweep_skips_offenders_with_nothing_counted() -> None:
    # three offenders; under a 10-day window only one has a counted event
    events = ch.Events(
        offender_id=[1, 2, 3, 3],
        offence_code=["A", "B", "C", "A"],
        date=["2023-07-15", "2022-01-01", "2021-01-01", "2023-07-18"],
    )
    result = sweep(events, SCHEME, as_of=AS_OF, n=3, windows=[10])
    assert result.top_ids[0].tolist() == [3, 2, 1]  # no window: harm 6, 2, 1
    # 10 days: offender 2 has no counted event; 1 and 3 tie at harm 1 and go by id
    assert result.top_ids[1].tolist() == [1, 3]
    assert result.jaccard[0, 1] == pytest.approx(2 / 3)


def test_sweep_tables() -> None:
    pytest.importorskip("pandas")
    result = sweep(make_events(5), SCHEME, as_of=AS_OF, n=6, half_lives=[100, 400])
    frame = result.to_pandas()
    assert list(frame["label"]) == result.labels
    assert frame["jaccard_baseline"].tolist() == pytest.approx(result.jaccard[0].tolist())
    assert frame.loc[0, "entered"] == 0
    records = result.to_records()
    assert records[1]["decay"] == "exponential"
    assert records[1]["decay_params"] == {"half_life_days": 100.0}
    offenders = result.offenders_to_pandas()
    assert sorted(offenders["offender_id"]) == result.offender_id.tolist()
    assert offenders["appearances"].is_monotonic_decreasing
    in_base = offenders[offenders["baseline_rank"] > 0]
    assert sorted(in_base["baseline_rank"]) == list(range(1, 7))
    assert "SweepResult" in repr(result)


def test_sweep_rejects_bad_parameters() -> None:
    events = make_events(6)
    with pytest.raises(ParameterError, match="n must be"):
        sweep(events, SCHEME, as_of=AS_OF, n=0)
    with pytest.raises(ParameterError, match="windows"):
        sweep(events, SCHEME, as_of=AS_OF, windows=[0])
    with pytest.raises(ParameterError, match="share the label"):
        sweep(
            events,
            SCHEME,
            as_of=AS_OF,
            half_lives=[30],
            decays={"half-life 30d": ch.get_decay("linear", horizon_days=50)},
        )
    with pytest.raises(ch.DecayError):
        sweep(events, SCHEME, as_of=AS_OF, half_lives=[-1])


@settings(max_examples=25)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 20),
    half_life=st.floats(1, 3000),
    window=st.one_of(st.none(), st.integers(1, 2500)),
)
def test_sweep_matches_score_property(
    seed: int, n: int, half_life: float, window: int | None
) -> None:
    events = make_events(seed, n=200, offenders=40)
    result = sweep(events, SCHEME, as_of=AS_OF, n=n, half_lives=[half_life], windows=[window])
    setting = result.settings[-1]
    expected = ch.score(
        events, SCHEME, as_of=AS_OF, window_days=setting.window_days, decay=setting.decay
    ).top(n)
    np.testing.assert_array_equal(result.top_ids[-1], expected.offender_id)


# -- bootstrap ----------------------------------------------------------------------------------


def reference_ranks(
    events: ch.Events, n_boot: int, seed: int, window_days: int | None, tracked: np.ndarray
) -> np.ndarray:
    """Replicate ranks by resampling Events rows and rescoring with ch.score (slow, simple)."""
    full = ch.score(events, SCHEME, as_of=AS_OF, window_days=window_days)
    age = (np.datetime64(AS_OF) - events.date).astype(np.int64)
    counted = (age >= 0) & (age < (window_days or 10**9))
    rows = np.flatnonzero(counted)
    rng = np.random.default_rng(seed)
    out = np.empty((n_boot, tracked.size), dtype=np.int64)
    for b in range(n_boot):
        draw = rows[rng.integers(0, rows.size, size=rows.size)]
        rep = ch.score(events.take(draw), SCHEME, as_of=AS_OF, window_days=window_days)
        harm = dict(zip(rep.offender_id.tolist(), rep.harm.tolist(), strict=True))
        everyone = sorted(full.offender_id.tolist(), key=lambda i: (-harm.get(i, 0.0), i))
        position = {i: r + 1 for r, i in enumerate(everyone)}
        out[b] = [position[i] for i in tracked.tolist()]
    return out


@pytest.mark.parametrize("window_days", [None, 900])
def test_bootstrap_ranks_equal_resample_and_rescore(window_days: int | None) -> None:
    events = make_events(7, n=300, offenders=30)
    result = bootstrap_ranks(
        events, SCHEME, as_of=AS_OF, window_days=window_days, n=5, n_boot=30, seed=11
    )
    expected_top = ch.score(events, SCHEME, as_of=AS_OF, window_days=window_days).top(5)
    np.testing.assert_array_equal(result.offender_id, expected_top.offender_id)
    np.testing.assert_array_equal(result.rank, np.arange(1, 6))
    expected = reference_ranks(events, 30, 11, window_days, result.offender_id)
    np.testing.assert_array_equal(result.ranks, expected)
    np.testing.assert_array_equal(result.p_top, (expected <= 5).mean(axis=0))
    np.testing.assert_array_equal(result.rank_median, np.median(expected, axis=0))


def test_bootstrap_interval_bounds() -> None:
    events = make_events(8)
    result = bootstrap_ranks(events, SCHEME, as_of=AS_OF, n=10, n_boot=200, seed=3, level=0.9)
    ranks = np.sort(result.ranks, axis=0)
    # lower: the 5% quantile rounded down to an observed rank; upper: 95% rounded up
    lower_index = int(np.floor(0.05 * 199))
    upper_index = int(np.ceil(0.95 * 199))
    np.testing.assert_array_equal(result.rank_lower, ranks[lower_index])
    np.testing.assert_array_equal(result.rank_upper, ranks[upper_index])
    assert np.all(result.rank_lower <= result.rank_median)
    assert np.all(result.rank_median <= result.rank_upper)
    assert np.all((result.present > 0) & (result.present <= 1))


def test_bootstrap_is_deterministic_for_a_seed() -> None:
    events = make_events(9)
    a = bootstrap_ranks(events, SCHEME, as_of=AS_OF, n=8, n_boot=40, seed=5)
    b = bootstrap_ranks(events, SCHEME, as_of=AS_OF, n=8, n_boot=40, seed=5)
    c = bootstrap_ranks(events, SCHEME, as_of=AS_OF, n=8, n_boot=40, seed=6)
    assert a == b
    assert not np.array_equal(a.ranks, c.ranks)


def test_bootstrap_dominant_offender_keeps_rank_one() -> None:
    # offender 1 has ten grave events; everyone else one minor event: rank 1 in every replicate
    ids = [1] * 10 + list(range(2, 40))
    codes = ["E"] * 10 + ["A"] * 38
    events = ch.Events(offender_id=ids, offence_code=codes, date=["2023-01-01"] * 48)
    result = bootstrap_ranks(events, SCHEME, as_of=AS_OF, n=1, n_boot=50, seed=1)
    assert result.offender_id.tolist() == [1]
    assert result.rank_lower.tolist() == result.rank_upper.tolist() == [1]
    assert result.p_top.tolist() == [1.0]


def test_bootstrap_absent_offender_ranks_below_everyone_present() -> None:
    # offender 9's only event: absent from some replicates, then harm 0 and ranked by id
    events = ch.Events(
        offender_id=[9, 1, 1, 2, 2, 3, 3],
        offence_code=["E", "A", "A", "A", "A", "A", "A"],
        date=["2023-01-01"] * 7,
    )
    result = bootstrap_ranks(events, SCHEME, as_of=AS_OF, offenders=[9], n_boot=100, seed=2)
    absent = result.ranks[:, 0] > 1
    assert 0 < absent.mean() < 1
    assert result.present[0] == pytest.approx(1 - absent.mean())
    assert set(result.ranks[absent, 0].tolist()) <= {2, 3, 4}


def test_bootstrap_chosen_offenders_in_ranking_order() -> None:
    events = make_events(10, string_ids=True)
    full = ch.score(events, SCHEME, as_of=AS_OF)
    chosen = full.offender_id[[5, 0, 17]]
    result = bootstrap_ranks(events, SCHEME, as_of=AS_OF, offenders=chosen, n_boot=10, seed=0)
    order = np.argsort(full.rank_of(chosen))
    np.testing.assert_array_equal(result.offender_id, chosen[order])
    np.testing.assert_array_equal(result.rank, np.sort(full.rank_of(chosen)))
    with pytest.raises(ParameterError, match="no counted event"):
        bootstrap_ranks(events, SCHEME, as_of=AS_OF, offenders=["nobody"], n_boot=2)


def test_bootstrap_tables_and_validation() -> None:
    pytest.importorskip("pandas")
    events = make_events(11)
    result = bootstrap_ranks(events, SCHEME, as_of=AS_OF, n=4, n_boot=20, seed=1)
    assert isinstance(result, BootstrapResult)
    frame = result.to_pandas()
    assert list(frame["offender_id"]) == result.offender_id.tolist()
    assert len(result.to_records()) == len(result) == 4
    assert "20 replicates" in repr(result)
    for bad in ({"n_boot": 0}, {"level": 1.0}, {"level": True}, {"n": -1}):
        with pytest.raises(ParameterError):
            bootstrap_ranks(events, SCHEME, as_of=AS_OF, **bad)  # type: ignore[arg-type]


def test_sweep_and_bootstrap_tables_name_the_key_column_after_by() -> None:
    pytest.importorskip("pandas")
    base = make_events(21)
    rng = np.random.default_rng(21)
    events = ch.Events(
        offender_id=base.offender_id,
        offence_code=base.offence_code,
        date=base.date,
        victim_id=rng.integers(0, 40, len(base)),
    )
    result = sweep(events, SCHEME, as_of=AS_OF, n=5, half_lives=[365], by="victim_id")
    table = result.offenders_to_pandas()
    assert table.columns[0] == "victim_id"
    assert sorted(table["victim_id"]) == sorted(result.offender_id.tolist())
    boot = bootstrap_ranks(events, SCHEME, as_of=AS_OF, n=5, n_boot=10, seed=1, by="victim_id")
    assert boot.to_pandas().columns[0] == "victim_id"
    assert next(iter(boot.to_records()[0])) == "victim_id"
    default = bootstrap_ranks(events, SCHEME, as_of=AS_OF, n=5, n_boot=10, seed=1)
    assert default.to_pandas().columns[0] == "offender_id"
    plain = sweep(events, SCHEME, as_of=AS_OF, n=5).offenders_to_pandas()
    assert plain.columns[0] == "offender_id"
