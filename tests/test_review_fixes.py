"""Regression tests for defects a review found on main (messages, errors, concat, manifests)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
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


# -- a last code read ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["rank", "harm", "n_events", "first_date", "last_date", "victims"])
def test_by_may_not_name_a_result_column(name: str) -> None:
    events = ch.Events(
        offender_id=np.array([1, 2]),
        offence_code=np.array(["105/01", "105/01"]),
        date=np.array(["2023-01-01", "2023-01-02"], dtype="datetime64[D]"),
        columns={name: np.array([7, 8])},
    )
    with pytest.raises(ch.ParameterError, match="by must name the column to group by"):
        ch.score(events, "cchi-2020", as_of="2023-07-18", by=name)


def test_a_manifest_field_of_the_wrong_kind_is_a_data_error(tmp_path: Path) -> None:
    events = ch.Events(
        offender_id=np.array([1]),
        offence_code=np.array(["105/01"]),
        date=np.array(["2023-01-01"], dtype="datetime64[D]"),
    )
    path = (
        ch.score(events, "cchi-2020", as_of="2023-07-18")
        .manifest(events)
        .write(tmp_path / "m.json")
    )
    data = json.loads(path.read_text(encoding="utf-8"))
    data["scheme_derivations"] = 5
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ch.DataError, match="wrong kind"):
        ch.Manifest.read(path)


def test_unregistering_an_unknown_plugin_is_an_unknown_name_error() -> None:
    with pytest.raises(ch.UnknownNameError, match="nothing to unregister"):
        ch.unregister_plugin("never-registered")


def test_a_fractional_offender_id_is_refused_without_showing_it() -> None:
    with pytest.raises(ch.EventsError) as info:
        ch.Events(
            offender_id=np.array([1.0, 12345.5]),
            offence_code=np.array(["105/01", "105/01"]),
            date=np.array(["2023-01-01", "2023-01-02"], dtype="datetime64[D]"),
        )
    assert "12345" not in str(info.value)
    assert "row 1" in str(info.value)


def test_a_where_date_must_be_a_whole_date() -> None:
    from crimeharm.audit.manifest import where_value

    events = ch.Events(
        offender_id=np.array([1]),
        offence_code=np.array(["105/01"]),
        date=np.array(["2023-01-01"], dtype="datetime64[D]"),
        columns={"reported": np.array(["2023-01-05"], dtype="datetime64[D]")},
    )
    assert where_value(events, "reported", "2023-01-05") == np.datetime64("2023-01-05")
    with pytest.raises(ch.ParameterError):
        where_value(events, "reported", "2023")


def test_the_input_fingerprint_covers_the_by_column() -> None:
    from crimeharm.audit.manifest import fingerprint_events

    def events(borough: str) -> ch.Events:
        return ch.Events(
            offender_id=np.array([1, 2]),
            offence_code=np.array(["105/01", "105/01"]),
            date=np.array(["2023-01-01", "2023-01-02"], dtype="datetime64[D]"),
            columns={"borough": np.array(["A", borough])},
        )

    assert fingerprint_events(events("A")) == fingerprint_events(events("B"))  # not read
    assert fingerprint_events(events("A"), "borough") != fingerprint_events(events("B"), "borough")
