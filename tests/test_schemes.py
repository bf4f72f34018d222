"""Tests of crimeharm.WeightScheme: construction, validation messages, lookups, derivations."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import crimeharm as ch
from crimeharm.testing import check_scheme
from crimeharm.testing import strategies as chst

TABLE = {"001/01": 5475.0, "105/01": 2.0, "039/00": 2.0, "zero": 0.0}


def write(tmp_path: Path, text: str, name: str = "weights.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# -- from_mapping / constructor -----------------------------------------------------------------


def test_from_mapping_keeps_order_weights_and_metadata() -> None:
    s = ch.WeightScheme.from_mapping(TABLE, name="mine", version="1", unit="days", source="me")
    assert s.codes.tolist() == list(TABLE)
    assert s.weights.tolist() == list(TABLE.values())
    assert s.weights.dtype == np.float64
    assert (s.name, s.version, s.unit, s.source) == ("mine", "1", "days", "me")
    assert len(s) == 4
    assert list(s) == list(TABLE)
    assert s.to_dict() == TABLE
    assert "mine" in repr(s)
    check_scheme(s)


@pytest.mark.parametrize("bad", [-1.0, math.nan, math.inf, -math.inf])
def test_bad_weight_is_an_error_naming_code_and_value(bad: float) -> None:
    with pytest.raises(ch.SchemeError) as info:
        ch.WeightScheme.from_mapping({"a": 1.0, "b": bad}, name="s")
    assert "'b'" in str(info.value)
    assert "'s'" in str(info.value)
    assert info.value.column == "weight"


def test_non_numeric_weight_and_non_string_code() -> None:
    with pytest.raises(ch.SchemeError, match=r"'a'.*'heavy'"):
        ch.WeightScheme.from_mapping({"a": "heavy"})  # type: ignore[dict-item]
    with pytest.raises(ch.SchemeError, match="strings"):
        ch.WeightScheme.from_mapping({1: 2.0})  # type: ignore[dict-item]


def test_duplicate_and_empty_codes() -> None:
    with pytest.raises(ch.SchemeError, match=r"'a' appears more than once \(rows \[0, 2\]\)"):
        ch.WeightScheme(codes=["a", "b", "a"], weights=[1, 2, 3])
    with pytest.raises(ch.SchemeError, match="row 1 is empty"):
        ch.WeightScheme(codes=["a", " ", "c"], weights=[1, 2, 3])
    with pytest.raises(ch.SchemeError, match="equal length"):
        ch.WeightScheme(codes=["a", "b"], weights=[1.0])
    with pytest.raises(ch.SchemeError, match="titles"):
        ch.WeightScheme(codes=["a", "b"], weights=[1.0, 2.0], titles=["only one"])


def test_offence_type_validates_its_weight() -> None:
    o = ch.OffenceType("001/01", "5475", title="Murder", group="VIOLENCE")
    assert o.weight == 5475.0
    with pytest.raises(ch.SchemeError, match="'x'"):
        ch.OffenceType("x", -1)
    s = ch.WeightScheme.from_offences([o, ch.OffenceType("105/01", 2)], name="o")
    assert s.offence("001/01") == o
    assert s.codes_in_groups(["violence"]).tolist() == ["001/01"]


# -- from_csv -----------------------------------------------------------------------------------


def test_from_csv_reads_codes_weights_titles_groups(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "code,weight,title,group\n001/01,5475,Murder,VIOLENCE\n105/01,2,Common assault,VIOLENCE\n"
        "039/00,2,Theft from the person,THEFT\n",
    )
    s = ch.WeightScheme.from_csv(path, unit="days")
    assert s.name == "weights"
    assert s.to_dict() == {"001/01": 5475.0, "105/01": 2.0, "039/00": 2.0}
    assert s.offence("105/01").title == "Common assault"
    assert s.codes_in_groups(["theft"]).tolist() == ["039/00"]
    check_scheme(s)


def test_from_csv_custom_columns_and_bom(tmp_path: Path) -> None:
    path = write(tmp_path, "\ufeffho,days\n001/01,5475\n")
    s = ch.WeightScheme.from_csv(path, code_column="ho", weight_column="days", name="x")
    assert s.to_dict() == {"001/01": 5475.0}
    assert s.titles is None
    assert s.groups is None


@pytest.mark.parametrize(
    ("body", "line", "column", "words"),
    [
        ("a,1\n,2\n", 3, "code", "empty offence code"),
        ("a,1\nb,heavy\n", 3, "weight", "not a number"),
        ("a,1\nb,\n", 3, "weight", "not a number"),
        ("a,1\nb,-2\n", 3, "weight", ">= 0"),
        ("a,1\nb,nan\n", 3, "weight", ">= 0"),
        ("a,1\nb,inf\n", 3, "weight", ">= 0"),
        ("a,1\nb,2\na,3\n", 4, "code", "line 2 gave 1.0"),
    ],
)
def test_from_csv_errors_name_file_line_and_column(
    tmp_path: Path, body: str, line: int, column: str, words: str
) -> None:
    path = write(tmp_path, "code,weight\n" + body)
    with pytest.raises(ch.SchemeError) as info:
        ch.WeightScheme.from_csv(path)
    message = str(info.value)
    assert f"{path}, line {line}" in message
    assert f"column {column!r}" in message
    assert words in message
    assert info.value.row == line


def test_from_csv_exact_repeat_is_allowed(tmp_path: Path) -> None:
    s = ch.WeightScheme.from_csv(write(tmp_path, "code,weight\na,1\nb,2\na,1\n"))
    assert s.to_dict() == {"a": 1.0, "b": 2.0}


def test_from_csv_missing_column_and_bad_encoding(tmp_path: Path) -> None:
    with pytest.raises(ch.SchemeError, match=r"no column 'weight'.*code, points"):
        ch.WeightScheme.from_csv(write(tmp_path, "code,points\na,1\n"))
    bad = tmp_path / "latin1.csv"
    bad.write_bytes("code,weight\ncaf\xe9,1\n".encode("latin-1"))
    with pytest.raises(ch.SchemeError, match="not UTF-8"):
        ch.WeightScheme.from_csv(bad)


# -- lookups -------------------------------------------------------------------------------------


def test_index_of_small_and_large_inputs() -> None:
    s = ch.WeightScheme.from_mapping(TABLE)
    probes = ["105/01", "nope", "001/01", "", "zero", "001/0"]
    expected = [1, -1, 0, -1, 3, -1]
    assert s.index_of(probes).tolist() == expected
    many = np.array(probes * 50)  # more than the small-input shortcut
    assert s.index_of(many).tolist() == expected * 50
    assert s.index_of(np.array(probes, dtype=object)).tolist() == expected


def test_weight_contains_and_missing_code() -> None:
    s = ch.WeightScheme.from_mapping(TABLE, name="t")
    assert s.weight("001/01") == 5475.0
    assert "zero" in s
    assert "nope" not in s
    assert 1 not in s
    with pytest.raises(KeyError, match=r"'nope'.*'t'"):
        s.weight("nope")
    with pytest.raises(KeyError, match="'nope'"):
        s.offence("nope")


def test_codes_in_groups_errors() -> None:
    with pytest.raises(ch.SchemeError, match="no offence groups"):
        ch.WeightScheme.from_mapping(TABLE, name="t").codes_in_groups(["X"])
    s = ch.WeightScheme(codes=["a", "b"], weights=[1, 2], groups=["G1", "G2"])
    with pytest.raises(ch.SchemeError, match=r"'G3'.*G1, G2"):
        s.codes_in_groups(["G3"])
    assert s.codes_in_groups([" g2 "]).tolist() == ["b"]


@settings(max_examples=50)
@given(chst.schemes(max_codes=30), st.lists(st.text(max_size=6), max_size=100))
def test_index_of_matches_a_dict(scheme: ch.WeightScheme, extra: list[str]) -> None:
    position = {c: i for i, c in enumerate(scheme.codes.tolist())}
    probes = scheme.codes.tolist() + extra
    assert scheme.index_of(np.array(probes, dtype=np.str_)).tolist() == [
        position.get(p, -1) for p in probes
    ]


# -- derived schemes -----------------------------------------------------------------------------


def test_with_weights_overrides_and_adds() -> None:
    s = ch.WeightScheme(
        codes=["a", "b"], weights=[1, 2], titles=["A", "B"], groups=["G", "G"], name="base"
    )
    t = s.with_weights({"b": 20.0, "c": 3.0}, name="local")
    assert t.to_dict() == {"a": 1.0, "b": 20.0, "c": 3.0}
    assert t.name == "local"
    assert t.titles is not None
    assert t.titles.tolist() == ["A", "B", ""]
    assert s.to_dict() == {"a": 1.0, "b": 2.0}  # unchanged
    with pytest.raises(ch.SchemeError):
        s.with_weights({"a": -1.0})


@pytest.mark.parametrize("factor", [0.0, 0.5, 2.0, 365.0])
def test_scaled_multiplies_every_weight(factor: float) -> None:
    s = ch.WeightScheme.from_mapping(TABLE)
    assert s.scaled(factor).weights.tolist() == [w * factor for w in TABLE.values()]
    with pytest.raises(ch.SchemeError):
        s.scaled(-1.0)


def test_checksum_changes_iff_the_table_changes() -> None:
    s = ch.WeightScheme.from_mapping(TABLE, name="a", version="1")
    same = ch.WeightScheme.from_mapping(dict(reversed(list(TABLE.items()))), name="b")
    assert s.checksum == same.checksum  # order and metadata do not matter
    assert len(s.checksum) == 64
    assert s.with_weights({"zero": 1e-12}).checksum != s.checksum
    assert s.with_weights({"new": 0.0}).checksum != s.checksum
    assert s.scaled(1.0).checksum == s.checksum


@pytest.mark.parametrize("meta", [{"key_system": "athena"}, {"description": "d"}])
def test_metadata_passes_through(meta: dict[str, Any]) -> None:
    s = ch.WeightScheme.from_mapping(TABLE, **meta)
    for key, value in meta.items():
        assert getattr(s, key) == value
