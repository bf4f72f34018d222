"""Tests of Events.select: by offence group, by code, by column value; reports still add up."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import crimeharm as ch
from crimeharm.testing import strategies as chst

AS_OF = np.datetime64("2023-07-18", "D")
CODES = ["001/01", "034/01", "039/00", "008/67", "039/00", "001/01"]
SEX = ["F", "M", "F", "F", "M", "M"]


@pytest.fixture(scope="module")
def cchi() -> ch.WeightScheme:
    return ch.get_scheme("cchi-2020")


def events(categorical: bool = False) -> ch.Events:
    if categorical:
        table = sorted(set(CODES))
        codes: list[int] | list[str] = [table.index(c) for c in CODES]
        return ch.Events(
            offender_id=[1, 2, 3, 4, 5, 6],
            offence_code=codes,
            categories=table,
            date=[AS_OF] * 6,
            columns={"victim_sex": SEX},
        )
    return ch.Events(
        offender_id=[1, 2, 3, 4, 5, 6],
        offence_code=CODES,
        date=[AS_OF] * 6,
        columns={"victim_sex": SEX},
    )


@pytest.mark.parametrize("categorical", [False, True])
def test_select_by_codes(categorical: bool) -> None:
    kept = events(categorical).select(codes=["039/00", "001/01", "999/99"])
    assert kept.offender_id.tolist() == [1, 3, 5, 6]
    assert kept.dropped == {"filtered out": 2}
    assert events(categorical).select(codes="034/01").offender_id.tolist() == [2]


@pytest.mark.parametrize("categorical", [False, True])
def test_select_by_group(cchi: ch.WeightScheme, categorical: bool) -> None:
    theft = set(cchi.codes_in_groups(["THEFT"]).tolist())
    assert "039/00" in theft
    kept = events(categorical).select(scheme=cchi, groups=["theft"])
    assert kept.code_strings().tolist() == [c for c in CODES if c in theft]
    both = events(categorical).select(scheme=cchi, groups="VIOLENCE AGAINST THE PERSON")
    assert set(both.code_strings().tolist()) == {"001/01", "008/67"}


def test_filters_combine_with_and(cchi: ch.WeightScheme) -> None:
    kept = events().select(
        scheme=cchi, groups=["VIOLENCE AGAINST THE PERSON"], where={"victim_sex": "F"}
    )
    assert kept.offender_id.tolist() == [1, 4]
    narrowed = events().select(scheme=cchi, groups=["THEFT"], codes=["001/01"])
    assert len(narrowed) == 0
    assert narrowed.dropped == {"filtered out": 6}


def test_where_accepts_one_value_or_several() -> None:
    assert events().select(where={"victim_sex": "M"}).offender_id.tolist() == [2, 5, 6]
    assert len(events().select(where={"victim_sex": ["M", "F"]})) == 6
    assert events().select(where={"offender_id": {2, 3}}).offender_id.tolist() == [2, 3]


def test_no_filter_keeps_everything() -> None:
    kept = events().select()
    assert kept == events()
    assert kept.dropped == {}


def test_errors(cchi: ch.WeightScheme) -> None:
    with pytest.raises(ch.ParameterError, match="scheme"):
        events().select(groups=["THEFT"])
    with pytest.raises(ch.SchemeError, match="'NOT A GROUP'"):
        events().select(scheme=cchi, groups=["not a group"])
    with pytest.raises(KeyError, match="'victim_age'"):
        events().select(where={"victim_age": 3})


def test_selected_events_score_with_a_report_that_adds_up(cchi: ch.WeightScheme) -> None:
    kept = events().select(where={"victim_sex": "F"})
    s = ch.score(kept, cchi, as_of=AS_OF)
    assert s.report.total == 6
    assert s.report.counted == 3
    assert s.report.excluded == {"filtered out": 3}
    assert s.harm.tolist() == [5475.0, 2.0, 84.0]


@settings(max_examples=40)
@given(data=st.data())
def test_select_by_codes_equals_a_mask(data: st.DataObject) -> None:
    scheme = data.draw(chst.schemes())
    ev = data.draw(chst.events(scheme, categorical=None))
    wanted = data.draw(st.lists(st.sampled_from(scheme.codes.tolist()), max_size=4))
    kept = ev.select(codes=wanted)
    mask = np.isin(ev.code_strings(), wanted)
    assert kept.offender_id.tolist() == ev.offender_id[mask].tolist()
    assert kept.code_strings().tolist() == ev.code_strings()[mask].tolist()
    assert kept.n_rows == ev.n_rows
    s = ch.score(kept, scheme, as_of=chst.AS_OF)
    assert s.report.total == s.report.counted + sum(s.report.excluded.values()) == len(ev)


def test_where_does_not_cut_longer_strings() -> None:
    assert len(events().select(where={"victim_sex": "Female"})) == 0
    assert len(events().select(codes=["039/00X"])) == 0


def test_where_does_not_round_fractional_values() -> None:
    assert len(events().select(where={"offender_id": 1.7})) == 0
