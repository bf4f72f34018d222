"""The gauntlet: malformed and messy files as police forces export them.

Every case writes its file in tmp_path, runs both CSV engines (pyarrow and the standard library)
and checks the exact error type, the file line, column and value the error names, and that under
``on_error="skip"`` nothing is silently dropped: events + dropped rows == data rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import crimeharm as ch
from crimeharm import io as chio

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
pd = pytest.importorskip("pandas")

HEADER = "offender_id,offence_code,date"
ENGINES = ["pyarrow", "python"]


def write(tmp_path: Path, text: str | bytes, name: str = "events.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def total(events: ch.Events) -> int:
    return len(events) + sum(events.dropped.values())


def clean(tmp_path: Path, rows: list[str], engine: str, **options: Any) -> ch.Events:
    path = write(tmp_path, HEADER + "\n" + "".join(r + "\n" for r in rows), "clean.csv")
    return chio.read_csv(path, engine=engine, **options)


def expect_error(path: Path, engine: str, **options: Any) -> ch.EventsError:
    with pytest.raises(ch.EventsError) as info:
        chio.read_csv(path, engine=engine, **options)
    assert type(info.value) is ch.EventsError
    return info.value


ROWS = ["1,008/01,2023-01-05", "2,105/01,2023-02-01", "3,008/01,2023-03-09"]


@pytest.mark.parametrize("engine", ENGINES)
class TestReadableMess:
    """Messy but trustworthy exports read exactly like a clean file."""

    def test_bom_and_crlf(self, tmp_path: Path, engine: str) -> None:
        text = "\ufeff" + HEADER + "\r\n" + "".join(r + "\r\n" for r in ROWS)
        events = chio.read_csv(write(tmp_path, text), engine=engine)
        assert events == clean(tmp_path, ROWS, engine)
        assert events.first_line == 2

    def test_stray_spaces(self, tmp_path: Path, engine: str) -> None:
        rows = [" 1 , 008/01 ,2023-01-05 ", "2,\t105/01,2023-02-01", "3 ,008/01, 2023-03-09"]
        events = chio.read_csv(write(tmp_path, HEADER + "\n" + "\n".join(rows)), engine=engine)
        assert events == clean(tmp_path, ROWS, engine)

    def test_day_first_dates(self, tmp_path: Path, engine: str) -> None:
        rows = ["1,008/01,05/01/2023", "2,105/01,01/02/2023", "3,008/01,9/3/2023"]
        path = write(tmp_path, HEADER + "\n" + "\n".join(rows))
        events = chio.read_csv(path, engine=engine, date_format="%d/%m/%Y")
        assert events == clean(tmp_path, ROWS, engine)
        assert events.date.tolist() == [
            np.datetime64("2023-01-05"),
            np.datetime64("2023-02-01"),
            np.datetime64("2023-03-09"),
        ]

    def test_codes_with_and_without_slash(self, tmp_path: Path, engine: str) -> None:
        rows = ["1,8/1,2023-01-05", "2,10501,2023-02-01", "3,008/01,2023-03-09"]
        path = write(tmp_path, HEADER + "\n" + "\n".join(rows))
        padded = chio.read_csv(path, engine=engine, pad_codes=True)
        assert padded == clean(tmp_path, ROWS, engine)
        as_written = chio.read_csv(path, engine=engine)
        assert as_written["offence_code"].tolist() == ["8/1", "10501", "008/01"]

    def test_duplicated_crime_id(self, tmp_path: Path, engine: str) -> None:
        text = "offender_id,offence_code,date,crime_id\n" + "\n".join(
            ["1,008/01,2023-01-05,CR1", "1,008/01,2023-01-05,CR1", "2,105/01,2023-02-01,CR2"]
        )
        path = write(tmp_path, text)
        scored_twice = chio.read_csv(path, engine=engine)
        assert len(scored_twice) == 3
        assert scored_twice.dropped == {}
        deduped = chio.read_csv(path, engine=engine, dedupe="crime_id")
        assert deduped.crime_id is not None
        assert deduped.crime_id.tolist() == ["CR1", "CR2"]
        assert deduped.dropped == {"duplicate crime_id": 1}
        assert total(deduped) == 3

    @pytest.mark.parametrize("text", [HEADER, HEADER + "\n", HEADER + "\r\n\r\n\n"])
    def test_header_only(self, tmp_path: Path, engine: str, text: str) -> None:
        events = chio.read_csv(write(tmp_path, text), engine=engine)
        assert len(events) == 0
        assert events.dropped == {}
        chunks = list(chio.iter_csv(write(tmp_path, text), engine=engine))
        assert [len(c) for c in chunks] == [0]

    def test_blank_lines_are_not_rows(self, tmp_path: Path, engine: str) -> None:
        text = HEADER + "\n" + ROWS[0] + "\n\n" + ROWS[1] + "\n" + ROWS[2] + "\n\n\n"
        events = chio.read_csv(write(tmp_path, text), engine=engine)
        assert events == clean(tmp_path, ROWS, engine)

    def test_null_markers_are_missing(self, tmp_path: Path, engine: str) -> None:
        path = write(tmp_path, HEADER + "\n" + "\n".join([*ROWS, "NULL,008/01,2023-01-01"]))
        error = expect_error(path, engine)
        assert (error.row, error.column, error.value) == (5, "offender_id", "NULL")
        events = chio.read_csv(path, engine=engine, on_error="skip")
        assert events.dropped == {"missing offender_id": 1}


@pytest.mark.parametrize("engine", ENGINES)
class TestRejected:
    """What cannot be trusted raises, naming file, line, column and value; skip counts it."""

    def test_empty_file(self, tmp_path: Path, engine: str) -> None:
        path = write(tmp_path, b"")
        error = expect_error(path, engine)
        assert "empty (0 bytes)" in str(error)
        assert str(path) in str(error)
        expect_error(path, engine, on_error="skip")  # nothing to skip to

    def test_missing_column(self, tmp_path: Path, engine: str) -> None:
        path = write(tmp_path, "offender_id,ho_code,date\n1,008/01,2023-01-05\n")
        error = expect_error(path, engine)
        assert error.column == "offence_code"
        assert "'ho_code'" in str(error)  # lists the columns there are
        events = chio.read_csv(path, engine=engine, offence_code="ho_code")
        assert events["offence_code"].tolist() == ["008/01"]

    def test_duplicated_column_header(self, tmp_path: Path, engine: str) -> None:
        path = write(tmp_path, "offender_id,offence_code,date,date\n1,008/01,2023-01-05,x\n")
        error = expect_error(path, engine)
        assert error.column == "date"
        assert "more than once" in str(error)
        assert "columns 3, 4" in str(error)

    def test_empty_offender_id(self, tmp_path: Path, engine: str) -> None:
        path = write(
            tmp_path, HEADER + "\n" + "\n".join([ROWS[0], ",105/01,2023-02-01", *ROWS[1:]])
        )
        error = expect_error(path, engine)
        assert (error.row, error.column, error.value, error.count) == (3, "offender_id", "", 1)
        assert str(error).startswith(f"{path}, line 3, column 'offender_id': missing value")
        events = chio.read_csv(path, engine=engine, on_error="skip")
        assert events.dropped == {"missing offender_id": 1}
        assert total(events) == 4

    def test_truncated_last_line(self, tmp_path: Path, engine: str) -> None:
        path = write(tmp_path, HEADER + "\n" + "\n".join(ROWS) + "\n4,105/0")
        error = expect_error(path, engine)
        assert error.row == 5
        assert error.column is None
        assert "expected 3 fields" in str(error)
        assert "cut short" in str(error)
        events = chio.read_csv(path, engine=engine, on_error="skip")
        assert events.dropped == {"malformed line": 1}
        assert total(events) == 4

    def test_non_utf8_byte(self, tmp_path: Path, engine: str) -> None:
        body = [
            b"1,008/01,2023-01-05,ok",
            b"2,105/01,2023-02-01,caf\xe9",
            b"3,008/01,2023-03-09,ok",
        ]
        path = write(tmp_path, b"offender_id,offence_code,date,note\n" + b"\n".join(body) + b"\n")
        error = expect_error(path, engine)
        assert (error.row, error.column, error.value) == (3, "note", b"caf\xe9")
        assert "not UTF-8" in str(error)
        events = chio.read_csv(path, engine=engine, on_error="skip")
        assert events.dropped == {"not UTF-8": 1}
        assert events.columns["note"].tolist() == ["ok", "ok"]
        assert total(events) == 3

    def test_unparseable_dates_counted(self, tmp_path: Path, engine: str) -> None:
        rows = ["1,008/01,05/01/2023"] * 16 + ["2,008/01,31/02/2023"] * 5
        path = write(tmp_path, HEADER + "\n" + "\n".join(rows) + "\n")
        error = expect_error(path, engine, date_format="%d/%m/%Y")
        assert str(error).startswith(
            f"{path}, line 18, column 'date': not a date in format %d/%m/%Y (got '31/02/2023'); "
            "4 other rows have the same problem"
        )
        assert (error.row, error.column, error.value, error.count) == (18, "date", "31/02/2023", 5)
        events = chio.read_csv(path, engine=engine, date_format="%d/%m/%Y", on_error="skip")
        assert events.dropped == {"unparseable date": 5}
        assert total(events) == 21

    def test_date_before_1900(self, tmp_path: Path, engine: str) -> None:
        path = write(tmp_path, HEADER + "\n" + "\n".join([*ROWS, "4,008/01,1899-12-31"]))
        error = expect_error(path, engine)
        assert (error.row, error.column, error.value) == (5, "date", "1899-12-31")
        assert "min_date 1900-01-01" in str(error)
        events = chio.read_csv(path, engine=engine, min_date="1800-01-01")
        assert events.date[-1] == np.datetime64("1899-12-31")
        skipped = chio.read_csv(path, engine=engine, on_error="skip")
        assert skipped.dropped == {"date before min_date": 1}

    def test_missing_code_and_date(self, tmp_path: Path, engine: str) -> None:
        rows = [ROWS[0], "2,,2023-01-01", "3,008/01,", "4,N/A, "]
        path = write(tmp_path, HEADER + "\n" + "\n".join(rows))
        error = expect_error(path, engine)
        assert (error.row, error.column) == (3, "offence_code")
        assert "1 other row has the same problem" in str(error)
        events = chio.read_csv(path, engine=engine, on_error="skip")
        assert events.dropped == {"missing offence_code": 2, "missing date": 1}
        assert total(events) == 4

    def test_mapped_column_names_in_messages(self, tmp_path: Path, engine: str) -> None:
        path = write(tmp_path, "suspect_ref,ho_code,committed\n1,008/01,2023-13-01\n")
        error = expect_error(
            path, engine, offender_id="suspect_ref", offence_code="ho_code", date="committed"
        )
        assert error.column == "committed"
        assert "column 'committed'" in str(error)

    def test_offender_ids_not_printed(self, tmp_path: Path, engine: str) -> None:
        path = write(tmp_path, HEADER + "\nAB123,008/01,2023-01-05\n")
        error = expect_error(path, engine, id_type="int")
        assert error.value == "AB123"
        assert "AB123" not in str(error)


class TestParquetAndFrames:
    def test_null_in_parquet(self, tmp_path: Path) -> None:
        table = pa.table(
            {
                "offender_id": pa.array([1, None, 3], pa.int64()),
                "offence_code": ["008/01", "105/01", None],
                "date": pa.array([19000, 19001, 19002], pa.date32()),
            }
        )
        path = tmp_path / "events.parquet"
        pq.write_table(table, path)
        with pytest.raises(ch.EventsError) as info:
            chio.read_parquet(path)
        assert (info.value.row, info.value.column) == (1, "offender_id")
        assert str(info.value).startswith(f"{path}, row 1, column 'offender_id': missing value")
        events = chio.read_parquet(path, on_error="skip")
        assert events.dropped == {"missing offender_id": 1, "missing offence_code": 1}
        assert total(events) == 3

    @pytest.mark.parametrize("kind", ["parquet", "pandas"])
    def test_datetime_column_truncated_to_day(self, tmp_path: Path, kind: str) -> None:
        stamps = pd.to_datetime(
            ["2023-01-05 23:59:59", "2023-01-06 00:00:01", "1969-12-31 23:00:00"]
        )
        frame = pd.DataFrame({"offender_id": [1, 2, 3], "offence_code": ["008/01"] * 3})
        frame["date"] = stamps
        if kind == "parquet":
            path = tmp_path / "events.parquet"
            frame.to_parquet(path)
            events = chio.read_parquet(path)
        else:
            events = chio.events_from_pandas(frame)
        assert events.date.tolist() == [
            np.datetime64("2023-01-05"),
            np.datetime64("2023-01-06"),
            np.datetime64("1969-12-31"),
        ]

    def test_pandas_missing_values_name_the_row(self) -> None:
        frame = pd.DataFrame(
            {
                "offender_id": ["a", "b", None],
                "offence_code": ["008/01"] * 3,
                "date": ["2023-01-05"] * 3,
            }
        )
        with pytest.raises(ch.EventsError) as info:
            chio.events_from_pandas(frame)
        assert str(info.value).startswith("DataFrame, row 2, column 'offender_id': missing value")
        events = chio.events_from_pandas(frame, on_error="skip")
        assert events.dropped == {"missing offender_id": 1}
        assert total(events) == 3
