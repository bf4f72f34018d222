"""Tests of crimeharm.core.scoring: score() and top() on hand-computed examples and edge cases."""

from __future__ import annotations

import datetime
import math
from typing import Any, ClassVar

import attrs
import numpy as np
import pytest

import crimeharm as ch
from crimeharm.testing import assert_scores_equal, reference_harm

AS_OF = np.datetime64("2023-07-18", "D")
DAY = np.timedelta64(1, "D")

# Real CCHI 2020 weights (days), from src/crimeharm/builtin/data/cchi_2020.csv:
MURDER = "001/01"  # Murder - of persons aged 1 year or over: 5475
ROBBERY = "034/01"  # Robbery (of business or personal property): 365
THEFT_PERSON = "039/00"  # Theft from the person of another: 2
COERCIVE = "008/67"  # Controlling/coercive behaviour in an intimate/family relationship: 84


def events(rows: list[tuple[Any, str, str]], **kw: Any) -> ch.Events:
    """Events from (offender_id, offence_code, ISO date) rows."""
    ids, codes, dates = zip(*rows, strict=True) if rows else ((), (), ())
    return ch.Events(offender_id=list(ids), offence_code=list(codes), date=list(dates), **kw)


def aged(rows: list[tuple[Any, str, int]]) -> ch.Events:
    """Events from (offender_id, offence_code, age in days before AS_OF) rows."""
    return events([(i, c, str(AS_OF - a * DAY)) for i, c, a in rows])


@pytest.fixture(scope="module")
def cchi() -> ch.WeightScheme:
    return ch.get_scheme("cchi-2020")


# -- a hand-computed example on real CCHI codes ------------------------------------------------


def test_cchi_weights_used_below(cchi: ch.WeightScheme) -> None:
    assert cchi.weight(MURDER) == 5475
    assert cchi.weight(ROBBERY) == 365
    assert cchi.weight(THEFT_PERSON) == 2
    assert cchi.weight(COERCIVE) == 84


def test_hand_computed_cchi_exponential(cchi: ch.WeightScheme) -> None:
    ev = events(
        [
            (1, MURDER, "2023-07-18"),  # age 0: factor 1
            (1, ROBBERY, "2022-07-18"),  # age 365: factor 0.5
            (2, THEFT_PERSON, "2021-07-18"),  # age 730: factor 0.25
            (2, ROBBERY, "2023-07-18"),  # age 0
            (3, THEFT_PERSON, "2018-07-18"),  # age 1826 == window: excluded
            (3, ROBBERY, "2023-07-19"),  # after as_of: excluded and reported
            (4, THEFT_PERSON, "2018-07-19"),  # age 1825: the last day in the window
            (4, COERCIVE, "2023-01-18"),  # age 181
        ]
    )
    decay = ch.get_decay("exponential", half_life_days=365)
    s = ch.score(ev, cchi, as_of="2023-07-18", window_days=1826, decay=decay)

    assert s.offender_id.tolist() == [1, 2, 4]  # sorted by id; 3 has nothing counted
    expected = [
        5475 * 1 + 365 * 0.5,
        2 * 0.25 + 365 * 1,
        2 * 0.5**5 + 84 * 0.5 ** (181 / 365),
    ]
    assert s.harm.tolist() == pytest.approx(expected, rel=1e-12)
    assert s.n_events.tolist() == [2, 2, 2]
    assert s.first_date.astype(str).tolist() == ["2022-07-18", "2021-07-18", "2018-07-19"]
    assert s.last_date.astype(str).tolist() == ["2023-07-18", "2023-07-18", "2023-01-18"]
    assert s.report.total == 8
    assert s.report.counted == 6
    assert dict(s.report.excluded) == {"outside window": 1, "dated after as_of": 1}
    top = s.top(2)
    assert top.offender_id.tolist() == [1, 2]
    assert top.rank.tolist() == [1, 2]
    assert s.ranks().tolist() == [1, 2, 3]
    fast = ch.top(ev, cchi, n=2, as_of="2023-07-18", window_days=1826, decay=decay)
    assert fast == top


def test_no_decay_no_window_counts_everything_up_to_as_of(cchi: ch.WeightScheme) -> None:
    ev = aged([(7, MURDER, 20_000), (7, THEFT_PERSON, 0), (8, THEFT_PERSON, -5)])
    s = ch.score(ev, cchi, as_of=AS_OF)
    assert s.offender_id.tolist() == [7]
    assert s.harm.tolist() == [5475 + 2]
    assert dict(s.report.excluded) == {"dated after as_of": 1}


def test_names_resolve_through_the_registry(cchi: ch.WeightScheme) -> None:
    ev = aged([(1, ROBBERY, 365)])
    by_name = ch.score(ev, "cchi-2020", as_of=AS_OF, decay="none")
    by_object = ch.score(ev, cchi, as_of=AS_OF, decay=ch.NoDecay())
    assert_scores_equal(by_name, by_object, rtol=0)
    assert by_name.harm.tolist() == [365.0]


def test_params_record_what_was_used(cchi: ch.WeightScheme) -> None:
    decay = ch.get_decay("linear", horizon_days=730)
    s = ch.score(aged([(1, ROBBERY, 365)]), cchi, as_of="2023-07-18", window_days=1826, decay=decay)
    assert s.harm.tolist() == [365 * (1 - 365 / 730)]
    p = s.params
    assert (p.scheme, p.scheme_version, p.scheme_checksum) == ("cchi-2020", "2020", cchi.checksum)
    assert p.as_of == AS_OF
    assert p.window_days == 1826
    assert (p.decay, dict(p.decay_params)) == ("linear", {"horizon_days": 730.0})
    assert p.to_dict()["as_of"] == "2023-07-18"


# -- window and as_of boundaries ---------------------------------------------------------------


@pytest.mark.parametrize("window", [1, 2, 365, 1826])
def test_window_boundaries(window: int) -> None:
    scheme = ch.WeightScheme.from_mapping({"a": 1.0})
    ev = aged(
        [(1, "a", 0), (2, "a", window - 1), (3, "a", window), (4, "a", window + 1), (5, "a", -1)]
    )
    s = ch.score(ev, scheme, as_of=AS_OF, window_days=window)
    expected_ids = [1, 2]  # ages 0 and window - 1 (both 0 when window == 1)
    assert s.offender_id.tolist() == expected_ids
    assert s.report.counted == len(expected_ids)
    assert dict(s.report.excluded) == {"outside window": 2, "dated after as_of": 1}
    assert s.report.total == s.report.counted + sum(s.report.excluded.values())


def test_future_events_never_count_even_without_window() -> None:
    scheme = ch.WeightScheme.from_mapping({"a": 3.0})
    ev = aged([(1, "a", -1), (1, "a", -400), (1, "a", 0)])
    s = ch.score(ev, scheme, as_of=AS_OF)
    assert s.harm.tolist() == [3.0]
    assert s.report.excluded == {"dated after as_of": 2}


def test_age_zero_has_full_weight_under_every_builtin_decay() -> None:
    scheme = ch.WeightScheme.from_mapping({"a": 7.5})
    ev = aged([(1, "a", 0)])
    for decay in (
        ch.NoDecay(),
        ch.ExponentialDecay(half_life_days=1),
        ch.LinearDecay(horizon_days=1),
        ch.StepDecay(bands=[(1, 1.0)]),
    ):
        assert ch.score(ev, scheme, as_of=AS_OF, decay=decay).harm.tolist() == [7.5]


def test_as_of_accepts_dates_in_several_forms() -> None:
    scheme = ch.WeightScheme.from_mapping({"a": 1.0})
    ev = aged([(1, "a", 0)])
    forms = [
        "2023-07-18",
        AS_OF,
        np.datetime64("2023-07-18T00:00"),
        datetime.date(2023, 7, 18),
        datetime.datetime(2023, 7, 18),
    ]
    for as_of in forms:
        assert ch.score(ev, scheme, as_of=as_of).report.counted == 1


@pytest.mark.parametrize(
    "as_of",
    [
        20230718,
        "2023",
        "2023-07",
        "2023-7-18",
        "2023-02-30",
        "18/07/2023",
        np.datetime64("2023-07-18T13:45"),
        np.datetime64("2023-07"),
        np.datetime64("NaT"),
        datetime.datetime(2023, 7, 18, 13, 45),
        None,
    ],
)
def test_as_of_must_be_a_whole_calendar_date(as_of: object) -> None:
    scheme = ch.WeightScheme.from_mapping({"a": 1.0})
    with pytest.raises(ch.ParameterError, match="whole calendar date") as info:
        ch.score(aged([(1, "a", 0)]), scheme, as_of=as_of)
    assert repr(as_of) in str(info.value)


@pytest.mark.parametrize("window", [0, -10, 1.5, True, "365"])
def test_window_errors_share_one_wording(window: object) -> None:
    scheme = ch.WeightScheme.from_mapping({"a": 1.0})
    with pytest.raises(ch.ParameterError) as info:
        ch.score(aged([(1, "a", 0)]), scheme, as_of=AS_OF, window_days=window)
    assert str(info.value) == (
        f"window_days must be a whole number of days > 0, or None (got {window!r})"
    )


def test_an_absurd_window_allocates_nothing_for_ages_no_event_has() -> None:
    scheme = ch.WeightScheme.from_mapping({"a": 2.0})
    ev = aged([(1, "a", 0), (1, "a", 400), (2, "a", -3)])
    huge = ch.score(
        ev, scheme, as_of=AS_OF, window_days=100_000_000_000, decay=ch.ExponentialDecay(30)
    )
    none = ch.score(ev, scheme, as_of=AS_OF, window_days=None, decay=ch.ExponentialDecay(30))
    assert huge.harm.tolist() == none.harm.tolist()
    assert huge.report == none.report


@pytest.mark.parametrize(
    "factor",
    [
        lambda age: np.array(["1.0"] * age.size),
        lambda age: np.full(age.size, np.nan),
        lambda age: np.full(age.size, 1.5),
        lambda age: "nonsense",
    ],
)
def test_a_decay_breaking_its_contract_is_a_decay_error_naming_it(factor: object) -> None:
    @attrs.frozen
    class Broken:
        name: ClassVar[str] = "broken-decay"

        def factor(self, age_days: np.ndarray) -> np.ndarray:
            return factor(age_days)  # type: ignore[operator, no-any-return]

        def params(self) -> dict[str, object]:
            return {}

    scheme = ch.WeightScheme.from_mapping({"a": 1.0})
    with pytest.raises(ch.DecayError, match="broken-decay"):
        ch.score(aged([(1, "a", 3)]), scheme, as_of=AS_OF, window_days=10, decay=Broken())


# -- unknown codes -----------------------------------------------------------------------------


def test_unknown_code_raises_naming_code_count_and_row(cchi: ch.WeightScheme) -> None:
    ev = aged([(1, ROBBERY, 0), (2, "999/99", 0), (3, "999/99", 0), (4, "nope", 0)])
    with pytest.raises(ch.UnknownCodeError) as info:
        ch.score(ev, cchi, as_of=AS_OF)
    message = str(info.value)
    assert "'999/99'" in message
    assert "2 rows" in message
    assert "row 1" in message
    assert "'nope'" in message
    assert info.value.count == 2
    assert info.value.column == "offence_code"
    assert isinstance(info.value, LookupError)


def test_unknown_code_skip_reports(cchi: ch.WeightScheme) -> None:
    ev = aged([(1, ROBBERY, 0), (1, "999/99", 0), (2, "999/99", 3), (3, "999/99", -1)])
    s = ch.score(ev, cchi, as_of=AS_OF, on_unknown="skip")
    assert s.offender_id.tolist() == [1]
    assert s.harm.tolist() == [365.0]
    assert s.report.excluded == {"unknown code": 2, "dated after as_of": 1}
    assert s.report.unknown_codes == {"999/99": 3}


def test_unknown_code_fallback_weight(cchi: ch.WeightScheme) -> None:
    ev = aged([(1, ROBBERY, 0), (1, "999/99", 0), (2, "999/99", 3)])
    s = ch.score(ev, cchi, as_of=AS_OF, on_unknown="fallback", fallback_weight=1.5)
    assert s.harm.tolist() == [365 + 1.5, 1.5]
    assert s.report.fallback_rows == 2
    assert s.report.counted == 3


def test_unknown_category_that_is_never_used_is_fine(cchi: ch.WeightScheme) -> None:
    ev = ch.Events(
        offender_id=[1, 2],
        offence_code=[0, 0],
        categories=[ROBBERY, "not-a-code"],
        date=[AS_OF, AS_OF],
    )
    s = ch.score(ev, cchi, as_of=AS_OF)
    assert s.harm.tolist() == [365.0, 365.0]


# -- parameters --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"as_of": "not a date"}, "as_of"),
        ({"as_of": "NaT"}, "as_of"),
        ({"as_of": AS_OF, "window_days": 0}, "window_days"),
        ({"as_of": AS_OF, "window_days": -5}, "window_days"),
        ({"as_of": AS_OF, "window_days": 1.5}, "window_days"),
        ({"as_of": AS_OF, "window_days": True}, "window_days"),
        ({"as_of": AS_OF, "on_unknown": "ignore"}, "on_unknown"),
        ({"as_of": AS_OF, "on_unknown": "fallback"}, "fallback_weight"),
        ({"as_of": AS_OF, "on_unknown": "fallback", "fallback_weight": -1.0}, "fallback_weight"),
        ({"as_of": AS_OF, "on_unknown": "fallback", "fallback_weight": math.nan}, "fallback"),
        ({"as_of": AS_OF, "fallback_weight": 1.0}, "fallback_weight"),
        ({"as_of": AS_OF, "decay": 3}, "decay"),
    ],
)
def test_bad_parameters(kwargs: dict[str, Any], match: str) -> None:
    scheme = ch.WeightScheme.from_mapping({"a": 1.0})
    with pytest.raises(ch.ParameterError, match=match):
        ch.score(aged([(1, "a", 0)]), scheme, **kwargs)


def test_bad_inputs() -> None:
    scheme = ch.WeightScheme.from_mapping({"a": 1.0})
    with pytest.raises(ch.ParameterError, match="Events"):
        ch.score({"offender_id": [1]}, scheme, as_of=AS_OF)  # type: ignore[arg-type]
    with pytest.raises(ch.ParameterError, match="scheme"):
        ch.score(aged([(1, "a", 0)]), 3, as_of=AS_OF)  # type: ignore[arg-type]
    with pytest.raises(ch.UnknownNameError, match="cchi-2020"):
        ch.score(aged([(1, "a", 0)]), "no-such-scheme", as_of=AS_OF)
    for n in (-1, 1.5, True):
        with pytest.raises(ch.ParameterError, match="n must"):
            ch.top(aged([(1, "a", 0)]), scheme, n=n, as_of=AS_OF)  # type: ignore[arg-type]


# -- shapes of the result ----------------------------------------------------------------------


@pytest.mark.parametrize("ids", [np.empty(0, dtype=np.int64), np.empty(0, dtype="<U3")])
def test_empty_events(ids: np.ndarray) -> None:
    scheme = ch.WeightScheme.from_mapping({"a": 1.0})
    ev = ch.Events(
        offender_id=ids, offence_code=np.empty(0, dtype="<U1"), date=np.empty(0, "M8[D]")
    )
    s = ch.score(ev, scheme, as_of=AS_OF, window_days=10, decay=None)
    assert len(s) == 0
    assert s.report.total == 0
    assert len(s.top(5)) == 0
    assert len(ch.top(ev, scheme, n=5, as_of=AS_OF)) == 0


def test_all_events_excluded_gives_empty_scores_with_full_report() -> None:
    scheme = ch.WeightScheme.from_mapping({"a": 1.0})
    s = ch.score(aged([(1, "a", -1), (2, "a", 50)]), scheme, as_of=AS_OF, window_days=10)
    assert len(s) == 0
    assert s.report.total == 2
    assert s.report.counted == 0


def test_zero_weight_events_count_with_zero_harm() -> None:
    scheme = ch.WeightScheme.from_mapping({"z": 0.0, "a": 1.0})
    s = ch.score(aged([(1, "z", 0), (1, "z", 1), (2, "a", 0)]), scheme, as_of=AS_OF)
    assert s.offender_id.tolist() == [1, 2]
    assert s.harm.tolist() == [0.0, 1.0]
    assert s.n_events.tolist() == [2, 1]


def test_victims_counts_distinct_victims_per_offender() -> None:
    scheme = ch.WeightScheme.from_mapping({"a": 1.0})
    ev = ch.Events(
        offender_id=[1, 1, 1, 2, 2, 3],
        offence_code=["a"] * 6,
        date=[AS_OF] * 5 + [AS_OF + DAY],
        victim_id=[10, 10, 11, 10, 10, 12],
    )
    s = ch.score(ev, scheme, as_of=AS_OF)
    assert s.victims is not None
    assert s.offender_id.tolist() == [1, 2]
    assert s.victims.tolist() == [2, 1]
    assert ch.score(aged([(1, "a", 0)]), scheme, as_of=AS_OF).victims is None


def test_dropped_rows_carry_into_the_report() -> None:
    scheme = ch.WeightScheme.from_mapping({"a": 1.0})
    ev = ch.Events(offender_id=[1], offence_code=["a"], date=[AS_OF], dropped={"missing date": 4})
    r = ch.score(ev, scheme, as_of=AS_OF).report
    assert (r.total, r.counted, dict(r.excluded)) == (5, 1, {"missing date": 4})
    assert r.excluded_total == 4


def test_string_ids_of_several_widths() -> None:
    scheme = ch.WeightScheme.from_mapping({"a": 1.0, "b": 2.0})
    ids = ["x", "xx", "x" * 17, "é中", "x", "xx"]
    ev = ch.Events(offender_id=ids, offence_code=["a", "b", "a", "b", "b", "a"], date=[AS_OF] * 6)
    s = ch.score(ev, scheme, as_of=AS_OF)
    assert s.offender_id.tolist() == sorted({*ids})
    expected = {"x": 3.0, "xx": 3.0, "x" * 17: 1.0, "é中": 2.0}
    assert dict(zip(s.offender_id.tolist(), s.harm.tolist(), strict=True)) == expected


# -- exactness against an independent implementation -------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_harm_matches_fsum_on_many_rows(seed: int) -> None:
    rng = np.random.default_rng(seed)
    scheme = ch.get_scheme("cchi-2020")
    n = 30_000
    ids = rng.integers(0, 40, n)  # few offenders: many terms per sum
    codes = rng.choice(scheme.codes, n)
    ages = rng.integers(-10, 2000, n)
    ev = ch.Events(offender_id=ids, offence_code=codes, date=AS_OF - ages.astype("m8[D]"))
    decay = ch.ExponentialDecay(half_life_days=100)
    s = ch.score(ev, scheme, as_of=AS_OF, window_days=1826, decay=decay)
    ref = reference_harm(ev, scheme, as_of=AS_OF, window_days=1826, decay=decay)
    assert s.offender_id.tolist() == sorted(ref)
    for oid, harm, count, first, last in zip(
        s.offender_id.tolist(),
        s.harm.tolist(),
        s.n_events.tolist(),
        s.first_date,
        s.last_date,
        strict=True,
    ):
        want = ref[oid]
        assert abs(harm - want[0]) <= 1e-9 * want[0]
        assert (count, first, last) == want[1:]


def test_top_fast_path_equals_score_top() -> None:
    rng = np.random.default_rng(7)
    scheme = ch.WeightScheme.from_mapping({"a": 1.0, "b": 2.0, "c": 0.0, "d": 5475.0})
    n = 50_000
    ids = rng.integers(0, 5000, n)
    codes = rng.choice(["a", "b", "c", "d"], n, p=[0.5, 0.3, 0.19, 0.01])
    ev = ch.Events(
        offender_id=ids, offence_code=codes, date=AS_OF - rng.integers(0, 900, n).astype("m8[D]")
    )
    for decay in (None, ch.StepDecay(bands=[(365, 1.0), (730, 0.5)])):
        s = ch.score(ev, scheme, as_of=AS_OF, window_days=800, decay=decay)
        for k in (1, 10, 50, 700):
            assert ch.top(ev, scheme, n=k, as_of=AS_OF, window_days=800, decay=decay) == s.top(k)


# -- the report ----------------------------------------------------------------------------------


def test_report_must_add_up() -> None:
    r = ch.Report(total=10, counted=6, excluded={"outside window": 3, "dated after as_of": 1})
    assert r.excluded_total == 4
    with pytest.raises(AssertionError, match="does not add up"):
        ch.Report(total=10, counted=6, excluded={"outside window": 3})


def test_report_merge_summary_and_dict() -> None:
    a = ch.Report(total=5, counted=3, excluded={"outside window": 2}, unknown_codes={"x": 1})
    b = ch.Report(
        total=4,
        counted=2,
        excluded={"outside window": 1, "unknown code": 1},
        fallback_rows=0,
        unknown_codes={"x": 1, "y": 1},
    )
    m = a.merge(b)
    assert (m.total, m.counted) == (9, 5)
    assert m.excluded == {"outside window": 3, "unknown code": 1}
    assert m.unknown_codes == {"x": 2, "y": 1}
    assert m.to_dict()["excluded"] == {"outside window": 3, "unknown code": 1}
    lines = m.summary().splitlines()
    assert lines[:2] == ["rows read: 9", "  counted: 5"]
    assert "  outside window: 3" in lines
