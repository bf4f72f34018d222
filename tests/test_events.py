"""Tests of crimeharm.Events: column conversion, validation messages, take/concat/select."""

from __future__ import annotations

import datetime
from typing import Any

import numpy as np
import pytest

import crimeharm as ch

DATES = ["2023-01-01", "2023-01-02", "2023-01-03"]


def ev(**kw: Any) -> ch.Events:
    cols: dict[str, Any] = {
        "offender_id": [1, 2, 3],
        "offence_code": ["a", "b", "a"],
        "date": DATES,
    }
    cols.update(kw)
    return ch.Events(**cols)


# -- conversion ----------------------------------------------------------------------------------


def test_columns_are_numpy_with_the_documented_dtypes() -> None:
    e = ev()
    assert e.offender_id.dtype == np.int64
    assert e.offence_code.dtype.kind == "U"
    assert e.date.dtype == np.dtype("datetime64[D]")
    assert len(e) == 3
    assert e.n_rows == 3
    assert e.column_names == ["offender_id", "offence_code", "date"]


@pytest.mark.parametrize(
    ("ids", "kind"),
    [
        ([1, 2, 3], "i"),
        (np.array([1, 2, 3], dtype=np.uint8), "i"),
        (np.array([1.0, 2.0, -3.0]), "i"),
        (["a", "bb", "é中"], "U"),
        (np.array([b"a", b"bb", b"c"]), "U"),
        (np.array(["a", "b", "c"], dtype=object), "U"),
    ],
)
def test_offender_ids_int64_or_unicode(ids: Any, kind: str) -> None:
    e = ev(offender_id=ids)
    assert e.offender_id.dtype.kind == kind
    if kind == "i":
        assert e.offender_id.dtype == np.int64


def test_int64_limits_survive() -> None:
    big = np.iinfo(np.int64)
    e = ev(offender_id=np.array([big.min, big.max, -1], dtype=np.int64))
    assert e.offender_id.tolist() == [big.min, big.max, -1]


def test_uint64_beyond_int64_is_an_error() -> None:
    with pytest.raises(ch.EventsError, match="2\\*\\*63"):
        ev(offender_id=np.array([1, 2, 2**63], dtype=np.uint64))


def test_fractional_float_id_is_an_error_naming_the_row() -> None:
    with pytest.raises(ch.EventsError, match="row 1") as info:
        ev(offender_id=[1.0, 2.5, 3.0])
    assert info.value.row == 1
    assert info.value.column == "offender_id"


@pytest.mark.parametrize(
    "dates",
    [
        DATES,
        np.array(DATES, dtype="datetime64[D]"),
        np.array(DATES, dtype="datetime64[s]"),
        [datetime.date(2023, 1, 1), datetime.date(2023, 1, 2), datetime.date(2023, 1, 3)],
        ["2023-01-01T23:59", "2023-01-02T00:00", "2023-01-03T12:00"],
    ],
)
def test_dates_in_several_forms(dates: Any) -> None:
    assert ev(date=dates).date.astype(str).tolist() == DATES


def test_unparseable_date_names_row_and_value() -> None:
    with pytest.raises(ch.EventsError) as info:
        ev(date=["2023-01-01", "2023-01-02", "not a date"])
    assert "row 2" in str(info.value)
    assert "'not a date'" in str(info.value)
    assert info.value.column == "date"


@pytest.mark.parametrize(
    ("column", "values"),
    [
        ("offender_id", ["a", " ", "c"]),
        ("offender_id", np.array(["a", None, "c"], dtype=object)),
        ("offence_code", ["a", "", "b"]),
        ("date", ["2023-01-01", "NaT", "2023-01-03"]),
    ],
)
def test_missing_values_name_row_and_column(column: str, values: Any) -> None:
    with pytest.raises(ch.EventsError) as info:
        ev(**{column: values})
    assert info.value.row == 1
    assert info.value.column == column
    assert repr(column) in str(info.value)
    assert "row 1" in str(info.value)


def test_missing_value_count_and_file_line() -> None:
    with pytest.raises(ch.EventsError) as info:
        ch.Events(
            offender_id=["a", "", ""],
            offence_code=["x"] * 3,
            date=DATES,
            source="events.csv",
            first_line=2,
        )
    assert "events.csv, line 3" in str(info.value)
    assert "1 other rows" in str(info.value)
    assert info.value.count == 2


def test_ragged_columns_are_an_error() -> None:
    with pytest.raises(ch.EventsError, match="'date'"):
        ev(date=DATES[:2])
    with pytest.raises(ch.EventsError, match="'extra'"):
        ev(columns={"extra": [1, 2]})


def test_non_text_codes_are_an_error() -> None:
    with pytest.raises(ch.EventsError, match="offence_code"):
        ev(offence_code=[1.5, 2.5, 3.5])


# -- categories ----------------------------------------------------------------------------------


def test_categorical_codes() -> None:
    e = ev(offence_code=[1, 0, 1], categories=["a", "b"])
    assert e.code_strings().tolist() == ["b", "a", "b"]
    assert e["offence_code"].tolist() == ["b", "a", "b"]


def test_category_index_out_of_range_names_the_row() -> None:
    with pytest.raises(ch.EventsError, match="row 2") as info:
        ev(offence_code=[0, 1, 2], categories=["a", "b"])
    assert info.value.value == 2
    with pytest.raises(ch.EventsError, match="row 0"):
        ev(offence_code=[-1, 0, 0], categories=["a", "b"])


def test_categories_must_match_the_code_kind() -> None:
    with pytest.raises(ch.EventsError, match="categories"):
        ev(offence_code=[0, 1, 0])
    with pytest.raises(ch.EventsError, match="categories"):
        ev(categories=["a", "b"])


# -- optional and extra columns --------------------------------------------------------------------


def test_optional_and_extra_columns_are_carried() -> None:
    e = ev(victim_id=[10, 11, 10], crime_id=["c1", "c2", "c3"], columns={"sex": ["F", "M", "F"]})
    assert e.column_names == ["offender_id", "offence_code", "date", "victim_id", "crime_id", "sex"]
    assert e["sex"].tolist() == ["F", "M", "F"]
    assert e["victim_id"].tolist() == [10, 11, 10]
    with pytest.raises(KeyError, match="'nope'"):
        e["nope"]


def test_extra_column_may_not_shadow_a_named_field() -> None:
    with pytest.raises(ch.EventsError, match="victim_id"):
        ev(columns={"victim_id": [1, 2, 3]})


def test_negative_dropped_count_is_an_error() -> None:
    with pytest.raises(ch.EventsError, match="dropped"):
        ev(dropped={"missing date": -1})


# -- take / concat -------------------------------------------------------------------------------


def test_take_by_mask_and_indices_counts_dropped_rows() -> None:
    e = ev(columns={"sex": ["F", "M", "F"]}, dropped={"missing date": 2})
    kept = e.take(np.array([True, False, True]), reason="filtered out")
    assert kept.offender_id.tolist() == [1, 3]
    assert kept["sex"].tolist() == ["F", "F"]
    assert kept.dropped == {"missing date": 2, "filtered out": 1}
    assert kept.n_rows == e.n_rows == 5
    assert e.take([2, 0]).offender_id.tolist() == [3, 1]
    with pytest.raises(ch.ParameterError, match="mask"):
        e.take(np.array([True, False]))


def test_concat_keeps_rows_and_dropped_counts() -> None:
    a = ev(dropped={"x": 1})
    b = ev(offender_id=[7, 8, 9], dropped={"x": 2, "y": 1})
    c = ch.Events.concat([a, b])
    assert c.offender_id.tolist() == [1, 2, 3, 7, 8, 9]
    assert c.dropped == {"x": 3, "y": 1}
    assert ch.Events.concat([a]) is a
    with pytest.raises(ch.ParameterError):
        ch.Events.concat([])


def test_concat_merges_different_code_tables() -> None:
    a = ev(offence_code=[0, 1, 0], categories=["b", "a"])
    b = ev(offence_code=[0, 0, 0], categories=["z"])
    c = ch.Events.concat([a, b])
    assert c.categories is not None
    assert c.categories.tolist() == ["a", "b", "z"]
    assert c.code_strings().tolist() == ["b", "a", "b", "z", "z", "z"]
    mixed = ch.Events.concat([a, ev(offence_code=["q", "b", "q"])])
    assert mixed.categories is None
    assert mixed.offence_code.tolist() == ["b", "a", "b", "q", "b", "q"]


def test_concat_refuses_different_columns() -> None:
    with pytest.raises(ch.ParameterError):
        ch.Events.concat([ev(columns={"s": [1, 2, 3]}), ev()])
    with pytest.raises(ch.ParameterError, match="victim_id"):
        ch.Events.concat([ev(victim_id=[1, 2, 3]), ev()])


def test_equality_compares_columns() -> None:
    assert ev() == ev()
    assert ev() != ev(offender_id=[1, 2, 4])


def test_repr_does_not_show_offender_ids() -> None:
    text = repr(ev(offender_id=[987654321, 2, 3]))
    assert "987654321" not in text
    assert "3 rows" in text


def test_to_pandas_round_trip() -> None:
    pytest.importorskip("pandas")
    e = ev(offence_code=[1, 0, 1], categories=["a", "b"], victim_id=[5, 6, 7])
    frame = e.to_pandas()
    assert list(frame.columns) == ["offender_id", "offence_code", "date", "victim_id"]
    assert frame["offence_code"].astype(str).tolist() == ["b", "a", "b"]


def test_empty_lists_make_empty_events() -> None:
    e = ch.Events(offender_id=[], offence_code=[], date=[])
    assert len(e) == 0
