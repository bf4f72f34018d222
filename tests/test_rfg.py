"""Tests of crimeharm.research.rfg (RFG / RFGV banding) and its registration as scorer plugins."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import crimeharm as ch
import crimeharm.plugins as plugins
from crimeharm.errors import ParameterError, PluginError, PluginWarning, UnknownNameError
from crimeharm.research.rfg import RFGModel, RFGResult, quantile_bands, rfg_score, threshold_bands

AS_OF = np.datetime64("2023-07-18")
SCHEME = ch.WeightScheme.from_mapping(
    {"A": 1.0, "B": 2.0, "C": 5.0, "D": 30.0, "E": 365.0}, name="toy", unit="days"
)


def day(days_before: int) -> np.datetime64:
    return AS_OF - np.timedelta64(days_before, "D")


def tiny_events() -> ch.Events:
    """Five offenders (ids 1..5) with hand-checkable components; one event outside 3 years."""
    rows = [
        (1, "A", 10, 100),
        (1, "E", 1700, 100),  # outside the 1096-day window: ignored
        (2, "B", 30, 200),
        (2, "B", 365, 201),
        (3, "C", 90, 300),
        (3, "A", 400, 300),
        (3, "A", 500, 301),
        (4, "E", 365, 400),
        (5, "D", 730, 500),
        (5, "D", 730, 501),
        (5, "D", 731, 502),
        (5, "D", 800, 500),
    ]
    ids, codes, ages, victims = zip(*rows, strict=True)
    return ch.Events(
        offender_id=list(ids),
        offence_code=list(codes),
        date=[day(a) for a in ages],
        victim_id=list(victims),
    )


def test_hand_computed_example() -> None:
    result = rfg_score(tiny_events(), SCHEME, as_of=AS_OF)
    assert isinstance(result, RFGResult)
    assert result.offender_id.tolist() == [1, 2, 3, 4, 5]
    assert result.recency_days.tolist() == [10, 30, 90, 365, 730]
    assert result.frequency.tolist() == [1, 2, 3, 1, 4]
    assert result.gravity.tolist() == [1.0, 2 + 2, 5 + 1 + 1, 365.0, 4 * 30.0]
    # quintiles over 5 eligible offenders: band = 1 + floor(5 * below / 5) = 1 + below, where
    # below counts offenders strictly less severe (recency: more days)
    assert result.bands["recency"].tolist() == [5, 4, 3, 2, 1]
    assert result.bands["frequency"].tolist() == [1, 3, 4, 1, 5]  # below: 0, 2, 3, 0, 4
    assert result.bands["gravity"].tolist() == [1, 2, 3, 5, 4]  # below: 0, 1, 2, 4, 3
    assert result.composite.tolist() == [7.0, 9.0, 10.0, 8.0, 10.0]
    # 3 and 5 tie on 10: 5 has more gravity (120 > 7) and ranks first
    assert result.rank.tolist() == [5, 3, 2, 4, 1]
    assert result.top(2).offender_id.tolist() == [5, 3]
    assert result.ranking().rank.tolist() == [1, 2, 3, 4, 5]


def test_weights_change_the_composite() -> None:
    model = RFGModel(weights={"gravity": 2.0})
    result = rfg_score(tiny_events(), SCHEME, as_of=AS_OF, model=model)
    # recency + frequency + 2 x gravity bands
    assert result.composite.tolist() == [5 + 1 + 2, 4 + 3 + 4, 3 + 4 + 6, 2 + 1 + 10, 1 + 5 + 8]
    # 14 first; 4 and 3 tie on 13 and 4 has more gravity
    assert result.top(5).offender_id.tolist() == [5, 4, 3, 2, 1]


def test_rfgv_eligibility_and_victims() -> None:
    result = rfg_score(tiny_events(), SCHEME, as_of=AS_OF, model=RFGModel.rfgv())
    assert result.victims is not None
    assert result.victims.tolist() == [1, 2, 2, 1, 3]
    assert result.eligible.tolist() == [False, True, True, False, True]
    assert result.rank[~result.eligible].tolist() == [0, 0]
    # bands over the 3 eligible offenders (2, 3, 5): 1 + floor(5 * below / 3)
    assert result.bands["recency"][result.eligible].tolist() == [1 + 10 // 3, 1 + 5 // 3, 1]
    assert result.bands["victims"][result.eligible].tolist() == [1, 1, 1 + 10 // 3]
    frame_cols = list(result.to_records()[0])
    assert frame_cols[:7] == [
        "offender_id", "rank", "eligible", "recency_days", "frequency", "gravity", "victims",
    ]  # fmt: skip
    assert frame_cols[-1] == "composite"
    assert len(result.top(10)) == 3


def test_band_over_all_includes_the_ineligible() -> None:
    model = RFGModel.rfgv(band_over="all")
    result = rfg_score(tiny_events(), SCHEME, as_of=AS_OF, model=model)
    assert result.bands["recency"].tolist() == [5, 4, 3, 2, 1]


def test_victim_model_needs_victim_ids() -> None:
    events = ch.Events(offender_id=[1], offence_code=["A"], date=[day(1)])
    with pytest.raises(ParameterError, match="victim_id"):
        rfg_score(events, SCHEME, as_of=AS_OF, model=RFGModel.rfgv())
    with pytest.raises(ParameterError, match="victim_id"):
        rfg_score(events, SCHEME, as_of=AS_OF, model=RFGModel(min_victims=1))
    assert rfg_score(events, SCHEME, as_of=AS_OF).victims is None


def test_explicit_thresholds_are_honoured() -> None:
    model = RFGModel(thresholds={"frequency": [2, 4], "recency": [30, 90], "gravity": [5]})
    result = rfg_score(tiny_events(), SCHEME, as_of=AS_OF, model=model)
    # frequency 1, 2, 3, 1, 4 against lower bounds 2 and 4 (inclusive)
    assert result.bands["frequency"].tolist() == [1, 2, 2, 1, 3]
    # recency 10, 30, 90, 365, 730 days against upper bounds 30 and 90 (inclusive)
    assert result.bands["recency"].tolist() == [3, 3, 2, 1, 1]
    # gravity 1, 4, 7, 365, 120 against 5
    assert result.bands["gravity"].tolist() == [1, 1, 2, 2, 2]
    assert result.thresholds["frequency"] == (2.0, 4.0)
    assert model.n_bands("frequency") == 3
    assert model.n_bands("victims") == 5


def test_threshold_helpers_by_hand() -> None:
    assert threshold_bands(np.array([0, 1, 2, 3]), [1, 3], "frequency").tolist() == [1, 2, 2, 3]
    assert threshold_bands(np.array([0, 1, 2, 3]), [1, 3], "recency").tolist() == [3, 3, 2, 2]
    everyone = np.ones(5, dtype=bool)
    values = np.array([1, 1, 2, 3, 5])
    assert quantile_bands(values, everyone, 5, "frequency").tolist() == [1, 1, 3, 4, 5]
    # as days: 1 day has 3 values strictly older (2, 3, 5) below it -> band 4
    assert quantile_bands(values, everyone, 5, "recency").tolist() == [4, 4, 3, 2, 1]
    nobody = np.zeros(5, dtype=bool)
    assert quantile_bands(values, nobody, 5, "gravity").tolist() == [1] * 5


def random_events(seed: int, n: int = 300) -> ch.Events:
    rng = np.random.default_rng(seed)
    return ch.Events(
        offender_id=rng.integers(0, 40, n),
        offence_code=rng.choice(np.array(list("ABCDE")), n),
        date=AS_OF - rng.integers(0, 1500, n).astype("timedelta64[D]"),
        victim_id=rng.integers(0, 60, n),
    )


@settings(max_examples=30)
@given(seed=st.integers(0, 2**32 - 1), k=st.integers(2, 7), rfgv=st.booleans())
def test_bands_in_range_and_monotone(seed: int, k: int, rfgv: bool) -> None:
    model = RFGModel.rfgv(bands=k) if rfgv else RFGModel(bands=k)
    result = rfg_score(random_events(seed), SCHEME, as_of=AS_OF, model=model)
    values = {
        "recency": -result.recency_days,  # fewer days = more severe
        "frequency": result.frequency,
        "gravity": result.gravity,
        "victims": result.victims,
    }
    for name in model.components:
        band = result.bands[name]
        assert band.min() >= 1
        assert band.max() <= k
        v = values[name]
        assert v is not None
        more = v[:, None] > v[None, :]
        assert np.all((band[:, None] >= band[None, :]) | ~more)
        same = v[:, None] == v[None, :]
        assert np.all((band[:, None] == band[None, :]) | ~same)
    # ranking: eligible only, composite desc, gravity desc, id asc
    rows = np.flatnonzero(result.eligible)
    expected = sorted(
        rows.tolist(),
        key=lambda i: (-result.composite[i], -result.gravity[i], result.offender_id[i]),
    )
    assert result.order().tolist() == expected


@settings(max_examples=20)
@given(seed=st.integers(0, 2**32 - 1), target=st.integers(0, 39), k=st.integers(2, 6))
def test_more_recent_or_more_events_never_lowers_the_band(seed: int, target: int, k: int) -> None:
    events = random_events(seed)
    model = RFGModel(bands=k)
    before = rfg_score(events, SCHEME, as_of=AS_OF, model=model)
    if target not in before.offender_id:
        return
    row = int(np.searchsorted(before.offender_id, target))
    # one more event today for the target: more recent and more frequent
    extra = ch.Events(
        offender_id=np.append(events.offender_id, target),
        offence_code=np.append(events.offence_code, "A"),
        date=np.append(events.date, AS_OF),
        victim_id=np.append(events.victim_id, 0),
    )
    after = rfg_score(extra, SCHEME, as_of=AS_OF, model=model)
    assert after.recency_days[row] == 0
    assert after.bands["recency"][row] >= before.bands["recency"][row]
    assert after.frequency[row] == before.frequency[row] + 1
    assert after.bands["frequency"][row] >= before.bands["frequency"][row]
    assert after.bands["gravity"][row] >= before.bands["gravity"][row]


def test_effective_thresholds_reproduce_the_bands() -> None:
    events = random_events(12, n=2000)
    first = rfg_score(events, SCHEME, as_of=AS_OF, model=RFGModel.rfgv())
    again = rfg_score(events, SCHEME, as_of=AS_OF, model=RFGModel.rfgv(thresholds=first.thresholds))
    for name in first.bands:
        np.testing.assert_array_equal(
            first.bands[name][first.eligible], again.bands[name][first.eligible]
        )


def test_window_limits_every_component() -> None:
    model = RFGModel(window_days=100)
    result = rfg_score(tiny_events(), SCHEME, as_of=AS_OF, model=model)
    # only events younger than 100 days: offenders 1 (10 days), 2 (30), 3 (90)
    assert result.offender_id.tolist() == [1, 2, 3]
    assert result.frequency.tolist() == [1, 1, 1]
    assert result.gravity.tolist() == [1.0, 2.0, 5.0]
    assert result.params.window_days == 100


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"components": ("recency", "speed")}, "components"),
        ({"components": ()}, "components"),
        ({"components": ("gravity", "gravity")}, "components"),
        ({"bands": 1}, "bands"),
        ({"window_days": 0}, "window_days"),
        ({"thresholds": {"frequency": [3, 2]}}, "non-decreasing"),
        ({"thresholds": {"frequency": []}}, "non-decreasing"),
        ({"thresholds": {"victims": [2]}}, "not one of the components"),
        ({"thresholds": {"gravity": ["x"]}}, "numbers"),
        ({"weights": {"gravity": -1}}, "weights"),
        ({"weights": {"gravity": math.nan}}, "weights"),
        ({"min_victims": -1}, "min_victims"),
        ({"band_over": "some"}, "band_over"),
    ],
)
def test_model_validation(options: dict[str, Any], match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        RFGModel(**options)


def test_repr_and_pandas() -> None:
    pytest.importorskip("pandas")
    result = rfg_score(tiny_events(), SCHEME, as_of=AS_OF)
    frame = result.to_pandas()
    # id, rank, eligible, 3 components, victims (the events carry them), 3 bands, composite
    assert frame.shape == (5, 11)
    assert frame["composite"].tolist() == result.composite.tolist()
    assert "rfg" in repr(result)
    assert RFGModel().name == "rfg"
    assert RFGModel.rfgv().name == "rfgv"
    with pytest.raises(ParameterError):
        result.top(-1)
    with pytest.raises(ParameterError, match="RFGModel"):
        rfg_score(tiny_events(), SCHEME, as_of=AS_OF, model="rfg")  # type: ignore[arg-type]


# -- the scorer hook ----------------------------------------------------------------------------


def test_builtin_scorers_registered(registry: plugins.Registry) -> None:
    assert {"rfg", "rfgv"} <= set(plugins.list_scorers())
    assert plugins.get_scorer("rfg") == RFGModel()
    assert plugins.get_scorer("rfgv", bands=4) == RFGModel.rfgv(bands=4)
    scorer = plugins.get_scorer("rfgv")
    assert isinstance(scorer, plugins.ScoringModel)
    result = scorer.score(tiny_events(), SCHEME, as_of=AS_OF)
    assert result.rank.max() == 3
    with pytest.raises(UnknownNameError, match=r"available: .*rfg, rfgv"):
        plugins.get_scorer("nope")
    with pytest.raises(TypeError, match="rfg"):
        plugins.get_scorer("rfg", colour="red")


class _Flat:
    """A toy scorer: harm with no window."""

    name = "flat"

    def score(self, events: ch.Events, scheme: Any, *, as_of: Any) -> ch.Scores:
        return ch.score(events, scheme, as_of=as_of)


class FlatPlugin:
    @ch.hookimpl
    def crimeharm_register_scorers(self) -> list[plugins.ScorerProvider]:
        return [plugins.ScorerProvider("flat", _Flat, "summed harm")]


def test_plugin_adds_a_scorer(registry: plugins.Registry) -> None:
    name = ch.register_plugin(FlatPlugin(), name="flat-plugin")
    assert "flat" in plugins.list_scorers()
    scores = plugins.get_scorer("flat").score(tiny_events(), SCHEME, as_of=AS_OF)
    assert scores.harm.sum() == pytest.approx(
        ch.score(tiny_events(), SCHEME, as_of=AS_OF).harm.sum()
    )
    ch.unregister_plugin(name)
    assert "flat" not in plugins.list_scorers()


def test_duplicate_scorer_name_names_both_plugins(registry: plugins.Registry) -> None:
    class Clash:
        @ch.hookimpl
        def crimeharm_register_scorers(self) -> list[plugins.ScorerProvider]:
            return [plugins.ScorerProvider("rfg", RFGModel)]

    ch.register_plugin(Clash(), name="clash")
    with pytest.raises(PluginError, match="scorer name 'rfg' is registered twice") as info:
        plugins.list_scorers()
    assert "'crimeharm.builtin.hooks'" in str(info.value)
    assert "'clash'" in str(info.value)


def test_broken_scorer_plugin_warns_and_is_skipped(registry: plugins.Registry) -> None:
    class Broken:
        @ch.hookimpl
        def crimeharm_register_scorers(self) -> list[plugins.ScorerProvider]:
            msg = "boom"
            raise RuntimeError(msg)

    ch.register_plugin(Broken(), name="broken")
    with pytest.warns(PluginWarning, match=r"'broken'.*crimeharm_register_scorers.*boom"):
        names = plugins.list_scorers()
    assert {"rfg", "rfgv"} <= set(names)


def test_malformed_scorer_plugins_are_errors(registry: plugins.Registry) -> None:
    class NotAProvider:
        @ch.hookimpl
        def crimeharm_register_scorers(self) -> list[Any]:
            return ["rfgx"]

    ch.register_plugin(NotAProvider(), name="bad-item")
    with pytest.raises(PluginError, match=r"'bad-item'.*ScorerProvider"):
        plugins.list_scorers()
    ch.unregister_plugin("bad-item")

    class BadFactory:
        @ch.hookimpl
        def crimeharm_register_scorers(self) -> list[plugins.ScorerProvider]:
            return [plugins.ScorerProvider("odd", lambda: 42)]  # type: ignore[arg-type, return-value]

    ch.register_plugin(BadFactory(), name="bad-factory")
    with pytest.raises(PluginError, match=r"'bad-factory'.*'odd'.*score"):
        plugins.get_scorer("odd")
