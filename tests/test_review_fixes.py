"""Regression tests for defects a review found on main (messages, errors, concat, manifests)."""

from __future__ import annotations

import pytest

import crimeharm as ch

SCHEME = ch.WeightScheme.from_mapping({"A": 1.0}, name="t", unit="days")
AS_OF = "2023-07-18"


def test_counts_in_messages_have_thousands_separators() -> None:
    n = 3000
    with pytest.raises(ch.EventsError, match="; 2,999 other rows too"):
        ch.Events(offender_id=[1] * n, offence_code=["A"] * n, date=[None] * n)
    codes = ["X"] * 1500 + ["Y"] * 1200 + ["A"]
    events = ch.Events(offender_id=[1] * len(codes), offence_code=codes, date=[AS_OF] * len(codes))
    with pytest.raises(ch.UnknownCodeError, match=r"1,500 rows carry it .*'Y' \(1,200\)"):
        ch.score(events, SCHEME, as_of=AS_OF)


def _events(ids: list[object], **more: object) -> ch.Events:
    return ch.Events(
        offender_id=ids, offence_code=["A"] * len(ids), date=[AS_OF] * len(ids), **more
    )


def test_concat_refuses_integer_and_text_ids() -> None:
    ints, texts = _events([7, 8]), _events(["7", "9"])
    with pytest.raises(ch.EventsError, match=r"integer offender_id .*part 0.*text .*part 1"):
        ch.Events.concat([ints, texts])
    with pytest.raises(ch.EventsError, match="victim_id"):
        ch.Events.concat([_events([1], victim_id=[5]), _events([2], victim_id=["5"])])
    # one kind throughout is fine, and 7 stays one offender
    both = ch.Events.concat([ints, _events([7])])
    assert both.offender_id.tolist() == [7, 8, 7]
    assert ch.Events.concat([texts, _events(["7"])]).offender_id.tolist() == ["7", "9", "7"]
