"""Readers: options, column mapping, id types, chunking, and the same Events from every input."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import crimeharm as ch
from crimeharm import io as chio
from crimeharm.io import normalise

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
pd = pytest.importorskip("pandas")
pl = pytest.importorskip("polars")

HEADER = "offender_id,offence_code,date"


def write(tmp_path: Path, text: str, name: str = "events.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


def rows_csv(rows: list[tuple[Any, ...]], header: str = HEADER) -> str:
    return header + "\n" + "".join(",".join(str(v) for v in row) + "\n" for row in rows)


def total(events: ch.Events) -> int:
    return len(events) + sum(events.dropped.values())


# -- options ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"offender": "x"}, "unknown option 'offender'"),
        ({"id_type": "float"}, "id_type must be one of"),
        ({"on_error": "ignore"}, "on_error must be one of"),
        ({"date_format": "dd/mm/yyyy"}, "strptime format"),
        ({"min_date": "yesterday"}, "min_date must be a date"),
        ({"dedupe": "offender_id"}, "dedupe must be one of"),
        ({"delimiter": ";;"}, "delimiter must be one character"),
        ({"carry": "force"}, "carry must be a list"),
    ],
)
def test_bad_options(tmp_path: Path, options: dict[str, Any], words: str) -> None:
    path = write(tmp_path, rows_csv([(1, "008/01", "2023-01-05")]))
    with pytest.raises(ch.ParameterError, match=words):
        chio.read_csv(path, **options)


@pytest.mark.parametrize("chunk_rows", [0, -1, 1.5, True])
def test_bad_chunk_rows(tmp_path: Path, chunk_rows: Any) -> None:
    path = write(tmp_path, rows_csv([(1, "008/01", "2023-01-05")]))
    with pytest.raises(ch.ParameterError, match="chunk_rows"):
        list(chio.iter_csv(path, chunk_rows=chunk_rows))


# -- columns ------------------------------------------------------------------------------------


def test_column_mapping_and_carry(tmp_path: Path) -> None:
    text = rows_csv(
        [(" 7", "008/01", "2023-01-05", "V1", "CR1", "GMP", " F ")],
        header="suspect_ref,ho_code,committed,victim,crime_ref,force,victim_sex",
    )
    path = write(tmp_path, text)
    kw = {"offender_id": "suspect_ref", "offence_code": "ho_code", "date": "committed"}
    events = chio.read_csv(path, victim_id="victim", crime_id="crime_ref", **kw)
    assert events.offender_id.tolist() == [7]
    assert events.victim_id is not None
    assert events.victim_id.tolist() == ["V1"]
    assert events.crime_id is not None
    assert events.crime_id.tolist() == ["CR1"]
    assert sorted(events.columns) == ["force", "victim_sex"]
    assert events.columns["victim_sex"].tolist() == [" F "]  # carried exactly as written
    only = chio.read_csv(path, carry=["force"], **kw)
    assert list(only.columns) == ["force"]
    assert only.victim_id is None
    none = chio.read_csv(path, carry=[], **kw)
    assert dict(none.columns) == {}
    with pytest.raises(ch.EventsError, match="no column 'region' to carry"):
        chio.read_csv(path, carry=["region"], **kw)
    with pytest.raises(ch.EventsError, match="no column 'victim_ref' for victim_id"):
        chio.read_csv(path, victim_id="victim_ref", **kw)


def test_optional_columns_by_default_name(tmp_path: Path) -> None:
    text = rows_csv([(1, "008/01", "2023-01-05", 11, "")], header=HEADER + ",victim_id,crime_id")
    events = chio.read_csv(write(tmp_path, text))
    assert events.victim_id is not None
    assert events.victim_id.dtype == np.int64
    assert events.crime_id is not None
    assert events.crime_id.tolist() == [""]
    without = chio.read_csv(write(tmp_path, text), victim_id=None, crime_id=None)
    assert without.victim_id is None
    assert without.crime_id is None


# -- ids ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ["pyarrow", "python"])
def test_id_types(tmp_path: Path, engine: str) -> None:
    path = write(
        tmp_path, rows_csv([("007", "008/01", "2023-01-05"), ("7", "008/01", "2023-01-06")])
    )
    auto = chio.read_csv(path, engine=engine)  # "007" does not round-trip: text ids
    assert auto.offender_id.tolist() == ["007", "7"]
    text = chio.read_csv(path, engine=engine, id_type="str")
    assert text.offender_id.tolist() == ["007", "7"]
    number = chio.read_csv(path, engine=engine, id_type="int")  # asked for: "007" is 7
    assert number.offender_id.dtype == np.int64
    assert number.offender_id.tolist() == [7, 7]
    mixed = write(
        tmp_path, rows_csv([("AB/1", "008/01", "2023-01-05"), (2, "008/01", "2023-01-06")])
    )
    assert chio.read_csv(mixed, engine=engine).offender_id.tolist() == ["AB/1", "2"]
    with pytest.raises(ch.EventsError, match="not a plain integer"):
        chio.read_csv(mixed, engine=engine, id_type="int")
    hexa = write(tmp_path, rows_csv([("0x1F", "008/01", "2023-01-05")]))
    assert chio.read_csv(hexa, engine=engine).offender_id.tolist() == ["0x1F"]


def test_auto_ids_decided_over_the_whole_file(tmp_path: Path) -> None:
    rows = [(i, "008/01", "2023-01-05") for i in range(1, 5)] + [("X9", "008/01", "2023-01-05")]
    path = write(tmp_path, rows_csv(rows))
    events = chio.read_csv(path, chunk_rows=2)
    assert events.offender_id.tolist() == ["1", "2", "3", "4", "X9"]
    with pytest.raises(ch.EventsError, match="id_type='str'") as info:
        list(chio.iter_csv(path, chunk_rows=2))
    assert info.value.row == 6  # the file line of 'X9'
    chunks = list(chio.iter_csv(path, chunk_rows=2, id_type="str"))
    assert [c.offender_id.tolist() for c in chunks] == [["1", "2"], ["3", "4"], ["X9"]]


def test_plain_int_rule() -> None:
    values = np.array(
        [
            "12",
            "-5",
            "+3",
            "007",
            "1e3",
            "",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775808",
            "١٢",
            "0x1F",
        ]
    )
    plain = normalise.plain_int_mask(values)
    assert plain.tolist() == [True, True, True, True, False, False, True, False, True, False, False]
    assert normalise.to_int64(values, plain)[:4].tolist() == [12, -5, 3, 7]


@pytest.mark.parametrize(
    ("code", "padded"),
    [
        ("8/1", "008/01"),
        ("08/01", "008/01"),
        ("008-01", "008/01"),
        ("008.01", "008/01"),
        ("00801", "008/01"),
        (" 105/1 ", "105/01"),
        ("801", "801"),
        ("COML025", "COML025"),
    ],
)
def test_code_rule(code: str, padded: str) -> None:
    assert normalise.normalise_code(code, pad=True) == padded
    assert normalise.normalise_code(code) == code.strip()


@pytest.mark.parametrize(
    ("text", "fmt", "day"),
    [
        ("2023-01-05", None, "2023-01-05"),
        ("2023-01-05T23:59:59", None, "2023-01-05"),
        ("2023-01-05 10:00+01:00", None, "2023-01-05"),
        ("2023-1-5", None, None),
        ("05/01/2023", "%d/%m/%Y", "2023-01-05"),
        ("31/02/2023", "%d/%m/%Y", None),
        ("05/01/2023 13:45", "%d/%m/%Y %H:%M", "2023-01-05"),
        ("20230105", None, None),
    ],
)
def test_date_rule(text: str, fmt: str | None, day: str | None) -> None:
    got = normalise.parse_date(text, fmt)
    assert (None if got is None else got.isoformat()) == day


# -- chunks -------------------------------------------------------------------------------------


def test_iter_csv_chunks_and_line_numbers(tmp_path: Path) -> None:
    rows = [(i, "008/01", f"2023-01-{i:02d}") for i in range(1, 11)]
    rows[6] = (7, "008/01", "")  # line 8: missing date
    path = write(tmp_path, rows_csv(rows))
    chunks = list(chio.iter_csv(path, chunk_rows=3, on_error="skip"))
    sizes = [total(c) for c in chunks]
    assert sum(sizes) == 10
    assert len(chunks) >= 3
    assert max(sizes) <= 6
    starts = 2 + np.cumsum([0, *sizes[:-1]])
    holds_line_8 = int(np.searchsorted(starts, 8, side="right")) - 1
    for k, chunk in enumerate(chunks):
        if k == holds_line_8:
            assert chunk.dropped == {"missing date": 1}
            assert chunk.first_line is None  # a row was dropped: lines no longer follow rows
        else:
            assert chunk.dropped == {}
            assert chunk.first_line == starts[k]
    whole = chio.read_csv(path, chunk_rows=3, on_error="skip")
    assert np.array_equal(whole.offender_id, np.concatenate([c.offender_id for c in chunks]))
    assert whole.dropped == {"missing date": 1}
    assert whole == chio.read_csv(path, on_error="skip")
    with pytest.raises(ch.EventsError) as info:
        list(chio.iter_csv(path, chunk_rows=3))
    assert (info.value.row, info.value.column) == (8, "date")


def test_lines_stay_right_past_quoted_newlines(tmp_path: Path) -> None:
    text = (
        HEADER + ",note\n"
        '1,008/01,2023-01-05,"two\nlines"\n'
        '2,008/01,2023-01-05,"a, b"\n'
        "3,008/01,2023-13-05,x\n"
    )
    path = write(tmp_path, text)
    for engine in ("pyarrow", "python"):
        for chunk_rows in (1, 2, 100):
            with pytest.raises(ch.EventsError) as info:
                chio.read_csv(path, engine=engine, chunk_rows=chunk_rows)
            assert info.value.row == 5
            events = chio.read_csv(path, engine=engine, chunk_rows=chunk_rows, on_error="skip")
            assert events.columns["note"].tolist() == ["two\nlines", "a, b"]


@pytest.mark.parametrize("end", ["\n", "\r\n"])
def test_blocks_never_cut_a_quoted_value(tmp_path: Path, end: str) -> None:
    notes = ["", "0\n", "a\r\nb", "x", '"quoted"\n']
    lines = [HEADER + ",note"]
    lines += [
        f'{i},008/01,2023-01-05,"{n.replace(chr(34), 2 * chr(34))}"' for i, n in enumerate(notes)
    ]
    path = write(tmp_path, end.join(lines) + end)
    for engine in ("pyarrow", "python"):
        for chunk_rows in (1, 2, 3):
            chunks = list(chio.iter_csv(path, engine=engine, chunk_rows=chunk_rows))
            got = [v for c in chunks for v in c.columns["note"].tolist()]
            assert got == notes
            assert [v for c in chunks for v in c.offender_id.tolist()] == list(range(5))


def test_many_blocks_same_as_one(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    n = 5000
    ids = rng.integers(1, 10**12, n)
    codes = rng.choice(["008/01", "105/01", "030/01"], n)
    days = np.datetime64("2020-01-01") + rng.integers(0, 1000, n).astype("timedelta64[D]")
    path = write(tmp_path, rows_csv(list(zip(ids, codes, days.astype(str), strict=True))))
    one = chio.read_csv(path)
    assert one.first_line == 2
    assert len(one) == n
    assert np.array_equal(one.offender_id, ids)
    assert np.array_equal(one.date, days)
    assert np.array_equal(one["offence_code"], codes)
    for engine in ("pyarrow", "python"):
        assert chio.read_csv(path, chunk_rows=700, engine=engine) == one
        parts = list(chio.iter_csv(path, chunk_rows=700, engine=engine))
        assert len(parts) > 5
        assert all(len(p) <= 1400 for p in parts)
        assert sum(len(p) for p in parts) == n


# -- the same Events from every input -----------------------------------------------------------


def sample_frame() -> Any:
    return pd.DataFrame(
        {
            "suspect_ref": [5, 6, 7, 5],
            "ho_code": ["008/01", " 105/01", "008/01", "030/01"],
            "committed": ["2023-01-05", "2023-02-01", "2023-03-01", "2022-12-24"],
            "victim_id": ["V1", "", "V2", "V1"],
            "crime_id": [101, 102, 103, 104],
            "force": ["GMP", "GMP", "WMP", ""],
        }
    )


def test_every_input_gives_the_same_events(tmp_path: Path) -> None:
    frame = sample_frame()
    kw = {"offender_id": "suspect_ref", "offence_code": "ho_code", "date": "committed"}
    csv_path = tmp_path / "events.csv"
    frame.to_csv(csv_path, index=False)
    parquet_path = tmp_path / "events.parquet"
    frame.to_parquet(parquet_path)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    results = {
        "csv-pyarrow": chio.read_csv(csv_path, engine="pyarrow", **kw),
        "csv-python": chio.read_csv(csv_path, engine="python", **kw),
        "parquet": chio.read_parquet(parquet_path, **kw),
        "pandas": ch.Events.from_pandas(frame, **kw),
        "arrow": ch.Events.from_arrow(table, **kw),
        "record batch": chio.events_from_arrow(table.to_batches()[0], **kw),
        "polars": ch.Events.from_polars(pl.from_pandas(frame), **kw),
    }
    first = results["csv-pyarrow"]
    assert first.offender_id.tolist() == [5, 6, 7, 5]
    assert first["offence_code"].tolist() == ["008/01", "105/01", "008/01", "030/01"]
    assert first.crime_id is not None
    assert first.crime_id.tolist() == [101, 102, 103, 104]
    assert first.victim_id is not None
    assert first.victim_id.tolist() == ["V1", "", "V2", "V1"]
    for name, events in results.items():
        assert events == first, name


def test_datetime_and_timezones_in_frames() -> None:
    local = pd.to_datetime(["2023-06-01 00:30", "2023-01-05 23:59"]).tz_localize("Europe/London")
    frame = pd.DataFrame({"offender_id": [1, 2], "offence_code": ["008/01"] * 2, "date": local})
    expected = np.array(["2023-06-01", "2023-01-05"], dtype="datetime64[D]")  # the local day
    assert np.array_equal(chio.events_from_pandas(frame).date, expected)
    assert np.array_equal(chio.events_from_arrow(pa.Table.from_pandas(frame)).date, expected)
    assert np.array_equal(chio.events_from_polars(pl.from_pandas(frame)).date, expected)


def test_frame_type_checked() -> None:
    with pytest.raises(ch.ParameterError, match="pandas DataFrame"):
        chio.events_from_pandas({"offender_id": [1]})
    with pytest.raises(ch.ParameterError, match="pyarrow Table"):
        chio.events_from_arrow([1, 2])
    with pytest.raises(ch.ParameterError, match="polars DataFrame"):
        chio.events_from_polars([1, 2])


def test_iter_parquet_chunks(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "offender_id": np.arange(10),
            "offence_code": ["008/01"] * 10,
            "date": pd.to_datetime(["2023-01-05"] * 9 + [None]),
        }
    )
    path = tmp_path / "events.parquet"
    frame.to_parquet(path)
    chunks = list(chio.iter_parquet(path, chunk_rows=4, on_error="skip"))
    assert [total(c) for c in chunks] == [4, 4, 2]
    assert chunks[2].dropped == {"missing date": 1}
    with pytest.raises(ch.EventsError) as info:
        list(chio.iter_parquet(path, chunk_rows=4))
    assert str(info.value).startswith(f"{path}, row 9, column 'date': missing value")


def test_not_a_parquet_file(tmp_path: Path) -> None:
    path = tmp_path / "events.parquet"
    frame = pd.DataFrame({"offender_id": [1], "offence_code": ["008/01"], "date": ["2023-01-05"]})
    frame.to_parquet(path)
    path.write_bytes(path.read_bytes()[:-20])  # a half-written file
    with pytest.raises(ch.EventsError, match="not a readable Parquet file"):
        chio.read_parquet(path)
    (tmp_path / "empty.parquet").write_bytes(b"")
    with pytest.raises(ch.EventsError, match="empty"):
        chio.read_parquet(tmp_path / "empty.parquet")


# -- without pyarrow ----------------------------------------------------------------------------


def test_without_pyarrow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, rows_csv([(1, "008/01", "2023-01-05"), (2, "105/01", "2023-02-01")]))
    with_arrow = chio.read_csv(path)
    for name in [m for m in sys.modules if m == "pyarrow" or m.startswith("pyarrow.")]:
        monkeypatch.setitem(sys.modules, name, None)
    assert chio.read_csv(path) == with_arrow
    with pytest.raises(ch.MissingDependencyError, match=r"pip install 'crimeharm\[arrow\]'"):
        chio.read_parquet(tmp_path / "events.parquet")
    with pytest.raises(ch.MissingDependencyError, match=r"crimeharm\[arrow\]"):
        chio.read_csv(path, engine="pyarrow")


# -- scoring a file -----------------------------------------------------------------------------


def test_score_a_read_file(tmp_path: Path) -> None:
    rows = [
        (1, "008/01", "2023-01-05"),
        (1, "105/01", "2023-07-01"),
        (2, "008/01", "2024-01-01"),  # after as_of: the scorer reports it
        ("", "008/01", "2023-01-05"),  # missing id: the reader reports it
        (3, "999/99", "2023-01-05"),  # not in the scheme: the scorer reports it
    ]
    path = write(tmp_path, rows_csv(rows))
    events = chio.read_csv(path, on_error="skip")
    scheme = ch.WeightScheme.from_mapping({"008/01": 10.0, "105/01": 2.0}, name="t")
    scores = ch.score(events, scheme, as_of="2023-07-18", on_unknown="skip")
    report = scores.report
    assert report.total == 5
    assert report.counted + sum(report.excluded.values()) == report.total
    assert report.excluded["missing offender_id"] == 1
    assert scores.offender_id.tolist() == [1]
    assert scores.harm.tolist() == [12.0]


def test_parquet_chunks_agree_on_victim_id_type(tmp_path: Path) -> None:
    table = pa.table(
        {
            "offender_id": [1, 2, 3, 4],
            "offence_code": ["008/01"] * 4,
            "date": pa.array([19000] * 4, pa.date32()),
            "victim_id": pa.array([11, 12, None, 14], pa.int64()),
        }
    )
    path = tmp_path / "events.parquet"
    pq.write_table(table, path)
    whole = chio.read_parquet(path, chunk_rows=2)
    assert whole.victim_id is not None
    assert whole.victim_id.tolist() == ["11", "12", "", "14"]  # an empty id: text throughout
    assert whole == chio.read_parquet(path)
    with pytest.raises(ch.EventsError, match="earlier chunks read victim_id as integers"):
        list(chio.iter_parquet(path, chunk_rows=2))


def test_parquet_text_ids_and_carried_text_read_as_the_arrow_table_is(tmp_path: Path) -> None:
    """Text ids read as plain strings and carried text read as dictionaries (several row
    groups) give the same events as the in-memory table and a chunked read."""
    offenders = ["P-0000001", " P-0000002", "P-0000001 ", "P-0000003", "P-0000002"] * 4
    victims = ["V-01", None, "V-02\t", "V-03", "V-01"] * 4
    table = pa.table(
        {
            "crime_id": [f"C-{k:04d}" for k in range(20)],
            "offender_id": offenders,
            "victim_id": victims,
            "offence_code": ["008/01", "105/01"] * 10,
            "date": pa.array([19000 + k for k in range(20)], pa.date32()),
            "borough": ["Hackney", None, "Camden", " Barnet", "Hackney"] * 4,
        }
    )
    path = tmp_path / "events.parquet"
    pq.write_table(table, path, row_group_size=6)
    with pytest.warns(chio.IdMergeWarning):
        events = chio.read_parquet(path, carry=["borough"])
    with pytest.warns(chio.IdMergeWarning):
        want = chio.events_from_arrow(table, carry=["borough"])
    assert events.offender_id.tolist() == [o.strip() for o in offenders]
    assert events.victim_id is not None
    assert events.victim_id.tolist() == [(v or "").strip() for v in victims]
    assert events.columns["borough"].tolist() == ["Hackney", "", "Camden", " Barnet", "Hackney"] * 4
    assert events == want
    with pytest.warns(chio.IdMergeWarning):
        assert events == chio.read_parquet(path, carry=["borough"], chunk_rows=7)


def test_an_unparseable_date_hint_depends_on_whether_a_format_was_given(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_text("offender_id,offence_code,date\n1,105/01,05/01/2023\n", encoding="utf-8")
    with pytest.raises(ch.EventsError, match=r"Pass date_format= to name the format"):
        chio.read_csv(path)
    path.write_text("offender_id,offence_code,date\n1,105/01,2023-01-05\n", encoding="utf-8")
    with pytest.raises(ch.EventsError, match=r"Check that date_format= matches the file's dates"):
        chio.read_csv(path, date_format="%d/%m/%Y")


@pytest.mark.parametrize("engine", ["pyarrow", "python"])
def test_year_zero_is_not_a_date_on_any_path(tmp_path: Path, engine: str) -> None:
    pytest.importorskip("pyarrow")
    path = tmp_path / "e.csv"
    path.write_text(
        "offender_id,offence_code,date\n5,105/01,0000-01-05\n6,105/01,2020-01-05\n",
        encoding="utf-8",
    )
    events = chio.read_csv(path, engine=engine, on_error="skip", min_date=None)
    assert events.dropped == {"unparseable date": 1}  # pyarrow's date parser reads year 0
    assert events.date.tolist() == [np.datetime64("2020-01-05", "D").item()]
