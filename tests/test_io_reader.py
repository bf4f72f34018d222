"""The pyarrow CSV engine's integer-id fast path: ids parsed as int64 only when proven exact.

The engine parses id columns as int64 and accepts them only when the block's bytes equal the
bytes of its values written canonically (``crimeharm.io.csv._canonical_bytes``). Every other
decimal spelling pyarrow's integer parser accepts ("007", "-0", " 7", a null marker) is longer,
so any of them sends the column to the text path and the id policy; hex ("0x1F", which can be
as short as the decimal) keeps a block off the fast path altogether. These tests build files
with such spellings, also ones chosen so that a shorter spelling could offset a longer one,
and compare the engine with the standard-library engine, which reads every id as text.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import crimeharm as ch
from crimeharm import io as chio
from crimeharm.io.csv import _last_record_end

pytest.importorskip("pyarrow")
pytestmark = pytest.mark.filterwarnings("ignore::crimeharm.io.ids.IdMergeWarning")

HEADER = "offender_id,offence_code,date,victim_id,crime_id,victim_sex"


def write(tmp_path: Path, lines: list[str], *, end: str = "\n", last_newline: bool = True) -> Path:
    path = tmp_path / "events.csv"
    text = end.join([HEADER, *lines]) + (end if last_newline else "")
    path.write_bytes(text.encode("utf-8"))
    return path


def rows(n: int, first: int = 1) -> list[str]:
    return [f"{first + k},008/01,2023-01-{1 + k % 28:02d},{900 + k},{5000 + k},F" for k in range(n)]


def same(a: ch.Events, b: ch.Events) -> None:
    assert a.offender_id.tolist() == b.offender_id.tolist()
    assert a.offender_id.dtype.kind == b.offender_id.dtype.kind
    for name in ("victim_id", "crime_id"):
        x, y = getattr(a, name), getattr(b, name)
        assert x is not None
        assert y is not None
        assert x.tolist() == y.tolist()
        assert x.dtype.kind == y.dtype.kind
    assert a.date.tolist() == b.date.tolist()
    assert a["offence_code"].tolist() == b["offence_code"].tolist()
    assert a.dropped == b.dropped


def test_canonical_integer_ids_are_int64(tmp_path: Path) -> None:
    path = write(tmp_path, rows(50))
    events = chio.read_csv(path, engine="pyarrow")
    assert events.offender_id.dtype == np.int64
    assert events.victim_id is not None
    assert events.victim_id.dtype == np.int64
    assert events.crime_id is not None
    assert events.crime_id.dtype == np.int64
    same(events, chio.read_csv(path, engine="python"))


@pytest.mark.parametrize("spelling", ["007", "-0", "0x1F", "0X1f", "00", "0xF4240", " 0x3B9ACA00"])
def test_a_non_canonical_integer_keeps_the_column_text(tmp_path: Path, spelling: str) -> None:
    lines = rows(40)
    lines[17] = f"{spelling},008/01,2023-01-05,1,2,F"
    path = write(tmp_path, lines)
    events = chio.read_csv(path, engine="pyarrow")
    assert events.offender_id.dtype.kind == "U"
    assert events.offender_id[17] == spelling.strip()
    same(events, chio.read_csv(path, engine="python"))


def test_a_shorter_hex_spelling_cannot_offset_a_leading_zero(tmp_path: Path) -> None:
    # "0xFFFFFFFFFF" is 12 characters for a 13-digit number (one byte short); "07" is one
    # byte long: their sum equals the canonical total, but a 13-digit id is never trusted
    lines = rows(30)
    lines[3] = "0xFFFFFFFFFF,008/01,2023-01-05,1,2,F"
    lines[9] = "07,008/01,2023-01-05,1,2,F"
    path = write(tmp_path, lines)
    events = chio.read_csv(path, engine="pyarrow")
    assert events.offender_id.dtype.kind == "U"
    assert events.offender_id[9] == "07"
    same(events, chio.read_csv(path, engine="python"))


def test_padded_and_missing_ids_follow_the_policy(tmp_path: Path) -> None:
    lines = rows(30)
    lines[2] = " 7 ,008/01,2023-01-05,NULL,2,F"  # padding is trimmed: 7 is an integer id
    lines[5] = "8,008/01,2023-01-05,,3,F"  # a missing victim id: the column is text
    path = write(tmp_path, lines)
    events = chio.read_csv(path, engine="pyarrow")
    assert events.offender_id.dtype == np.int64
    assert events.offender_id[2] == 7
    assert events.victim_id is not None
    assert events.victim_id.dtype.kind == "U"
    assert events.victim_id[2] == ""
    assert events.victim_id[5] == ""
    same(events, chio.read_csv(path, engine="python"))


def test_blank_lines_and_line_numbers(tmp_path: Path) -> None:
    lines = rows(30)
    lines.insert(10, "")
    lines[20] = "21,008/01,1850-01-01,1,2,F"  # before min_date: the error names its line
    path = write(tmp_path, lines)
    with pytest.raises(ch.EventsError, match=r"events\.csv, line 22, column 'date'"):
        chio.read_csv(path, engine="pyarrow")
    with pytest.raises(ch.EventsError, match=r"events\.csv, line 22, column 'date'"):
        chio.read_csv(path, engine="python")


@pytest.mark.parametrize("end", ["\n", "\r\n"])
@pytest.mark.parametrize("last_newline", [True, False])
def test_line_ends(tmp_path: Path, end: str, last_newline: bool) -> None:
    path = write(tmp_path, rows(25), end=end, last_newline=last_newline)
    events = chio.read_csv(path, engine="pyarrow")
    assert len(events) == 25
    assert events.offender_id.dtype == np.int64
    same(events, chio.read_csv(path, engine="python"))


def test_a_stray_carriage_return_does_not_shift_lines(tmp_path: Path) -> None:
    lines = rows(20)
    lines[4] = lines[4] + "\r" + lines[5]  # two records on one LF line
    del lines[5]
    lines[14] = "15,008/01,1850-01-01,1,2,F"
    path = write(tmp_path, lines)
    with pytest.raises(ch.EventsError) as fast:
        chio.read_csv(path, engine="pyarrow")
    with pytest.raises(ch.EventsError) as exact:
        chio.read_csv(path, engine="python")
    assert str(fast.value) == str(exact.value)


SPELLINGS = st.one_of(
    st.integers(min_value=-(10**13), max_value=10**13).map(str),
    st.integers(min_value=0, max_value=10**13).map(lambda v: f"0{v}"),
    st.integers(min_value=0, max_value=2**64 - 1).map(lambda v: f"0x{v:X}"),
    st.sampled_from(["-0", "+7", " 7", "7 ", "", "NULL", "n/a", "A7", "9223372036854775808"]),
)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    ids=st.lists(st.one_of(st.integers(1, 10**9).map(str), SPELLINGS), min_size=1, max_size=30),
    victims=st.lists(st.one_of(st.integers(1, 10**9).map(str), SPELLINGS), min_size=1),
)
def test_any_id_spelling_reads_as_the_text_engine_reads_it(
    tmp_path: Path, ids: list[str], victims: list[str]
) -> None:
    lines = [f"{i},008/01,2023-01-05,{victims[k % len(victims)]},{k},F" for k, i in enumerate(ids)]
    path = write(tmp_path, lines)
    try:
        exact = chio.read_csv(path, engine="python", on_error="skip")
    except ch.CrimeHarmError as exc:
        with pytest.raises(type(exc)):
            chio.read_csv(path, engine="pyarrow", on_error="skip")
        return
    same(chio.read_csv(path, engine="pyarrow", on_error="skip"), exact)


def _records(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet='"a,;\n\r', max_size=60).map(lambda t: t + "\n"))
def test_block_cuts_agree_with_the_csv_module(text: str) -> None:
    # a block cut where the csv module (the exact engine) sees a record end: reading the two
    # sides apart gives the records of reading the whole, stray quotes and all
    data = text.encode()
    cut = _last_record_end(data, 0, len(data))
    try:
        whole = _records(text)
    except csv.Error:  # a quoted value open at the end: nothing to compare
        return
    if cut:
        assert _records(text[:cut]) + _records(text[cut:]) == whole


def test_a_stray_quote_at_a_line_end_does_not_hide_the_next_records(tmp_path: Path) -> None:
    # line 2 opens a quoted value, closes it mid-field and ends with a stray quote: for the
    # csv module the record ends with the line, however the file is cut into chunks
    path = tmp_path / "events.csv"
    path.write_bytes(
        b"offender_id,offence_code,date,crime_id,note\n"
        b'"9778,030/01,2030-12-31,30,"0000"\n'
        b'1,008/01,2000-01-01,1,"a\nb"\n'
        b'2,008/01,2000-05-01,2,"c"\n'
    )
    whole = chio.read_csv(path, on_error="skip", engine="python")
    assert len(whole) == 2
    assert whole.dropped == {"malformed line": 1}
    for rows in (1, 2, 3):
        chunks = list(chio.iter_csv(path, on_error="skip", engine="python", chunk_rows=rows))
        assert sum(len(c) for c in chunks) == 2
        assert sum(sum(c.dropped.values()) for c in chunks) == 1


def test_id_type_str_keeps_typed_integer_ids_as_text(tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    import pyarrow as pa

    path = tmp_path / "events.parquet"
    table = pa.table(
        {
            "offender_id": pa.array([1, 2], pa.int64()),
            "offence_code": ["008/01", "008/01"],
            "date": pa.array(np.array(["2023-01-05"] * 2, dtype="datetime64[D]")),
        }
    )
    pq.write_table(table, path)
    assert chio.read_parquet(path, id_type="str").offender_id.tolist() == ["1", "2"]
    csv_path = write(tmp_path, rows(3))
    assert chio.read_csv(csv_path, id_type="str").offender_id.tolist() == ["1", "2", "3"]


def test_text_id_columns_too_big_for_one_string_array_are_factored_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ids over 2 GiB cannot share one array of 32-bit offsets: they take the dictionary path,
    which must read the same events (forced here with a tiny limit)."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    from crimeharm.io import arrow

    table = pa.table(
        {
            "offender_id": ["P-2", "P-1", " P-1", None, "P-3"],
            "offence_code": ["105/01"] * 5,
            "date": pa.array([date(2023, 1, d) for d in range(1, 6)]),
            "victim_id": ["V-1", "V-2", "V-1", "V-9", ""],
        }
    )
    path = tmp_path / "ids.parquet"
    pq.write_table(table, path, row_group_size=2)
    whole = ch.read_parquet(path, on_error="skip")
    monkeypatch.setattr(arrow, "_ONE_STRING_ARRAY", 1)
    factored = ch.read_parquet(path, on_error="skip")
    assert factored.offender_id.tolist() == whole.offender_id.tolist()
    assert factored.victim_id is not None
    assert whole.victim_id is not None
    assert factored.victim_id.tolist() == whole.victim_id.tolist()
    assert factored.dropped == whole.dropped
