"""The reading boundary: dates, the id policy, sources (compressed, stdin, pipes, line ends).

One test per rule of docs/preparing-data.md, each on a file built here, asserting the exact error
type, the location it names, that no id is echoed and that every row is accounted for.
"""

from __future__ import annotations

import bz2
import datetime as dt
import gzip
import io
import os
import re
import sys
import threading
import unicodedata
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import crimeharm as ch
from crimeharm import io as chio
from crimeharm.io import csv as chcsv
from crimeharm.io import readers

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
pd = pytest.importorskip("pandas")

HEADER = "offender_id,offence_code,date"


def write_rows(path: Path, rows: list[tuple[Any, ...]], header: str = HEADER) -> Path:
    text = header + "\n" + "".join(",".join(str(v) for v in row) + "\n" for row in rows)
    path.write_bytes(text.encode("utf-8"))
    return path


def total(events: ch.Events) -> int:
    return len(events) + sum(events.dropped.values())


# -- dates --------------------------------------------------------------------------------------


def test_int96_timestamps_beyond_2262_do_not_wrap(tmp_path: Path) -> None:
    days = [dt.datetime(2300, 1, 2), dt.datetime(9999, 12, 31), dt.datetime(2023, 1, 2, 23, 59)]
    table = pa.table(
        {
            "offender_id": [1, 2, 3],
            "offence_code": ["008/01"] * 3,
            "date": pa.array(days, pa.timestamp("ms")),
        }
    )
    path = tmp_path / "spark.parquet"
    pq.write_table(table, path, use_deprecated_int96_timestamps=True)
    assert pq.read_table(path).column("date")[0].as_py().year == 1715  # the wrap-around
    events = chio.read_parquet(path)
    assert events.date.astype(str).tolist() == ["2300-01-02", "9999-12-31", "2023-01-02"]
    assert total(events) == 3


def test_whole_numbers_in_a_parquet_date_column_need_a_format(tmp_path: Path) -> None:
    table = pa.table(
        {"offender_id": [1, 2, 3], "offence_code": ["008/01"] * 3, "date": [20230102] * 3}
    )
    path = tmp_path / "ints.parquet"
    pq.write_table(table, path)
    with pytest.raises(ch.EventsError) as caught:
        chio.read_parquet(path)
    err = caught.value
    assert (err.row, err.column, err.count) == (0, "date", 3)
    assert "'20230102'" in str(err)
    assert "date_format='%Y%m%d'" in str(err)
    assert f"{path}, row 0, column 'date': a whole number" in str(err)
    skipped = chio.read_parquet(path, on_error="skip")
    assert len(skipped) == 0
    assert skipped.dropped == {readers.UNPARSEABLE_DATE: 3}
    events = chio.read_parquet(path, date_format="%Y%m%d")
    assert events.date.astype(str).tolist() == ["2023-01-02"] * 3


def test_whole_numbers_in_a_pandas_date_column_need_a_format() -> None:
    frame = pd.DataFrame({"offender_id": [1, 2], "offence_code": ["008/01"] * 2})
    frame["date"] = [20230102, None]  # a gap: pandas makes the column float
    with pytest.raises(ch.EventsError) as caught:
        ch.Events.from_pandas(frame, on_error="raise")
    assert (caught.value.row, caught.value.column) == (0, "date")
    events = ch.Events.from_pandas(frame, date_format="%Y%m%d", on_error="skip")
    assert events.date.astype(str).tolist() == ["2023-01-02"]
    assert events.dropped == {readers.MISSING_DATE: 1}


# -- the id policy ------------------------------------------------------------------------------


def test_ids_that_do_not_round_trip_stay_distinct_text(tmp_path: Path) -> None:
    path = write_rows(tmp_path / "e.csv", [(i, "008/01", "2023-01-05") for i in ("007", "+7", "7")])
    events = chio.read_csv(path)
    assert events.offender_id.tolist() == ["007", "+7", "7"]
    plain = write_rows(tmp_path / "p.csv", [(i, "008/01", "2023-01-05") for i in ("7", "-12")])
    assert chio.read_csv(plain).offender_id.dtype == np.int64


def test_nfc_forms_are_one_offender_and_the_merge_is_reported(tmp_path: Path) -> None:
    composed, decomposed = "Jos\u00e9", "Jose\u0301"
    rows = [(composed, "008/01", "2023-01-05"), (decomposed, "008/01", "2023-01-06")]
    path = write_rows(tmp_path / "e.csv", rows)
    with pytest.warns(chio.IdMergeWarning, match="1 distinct raw offender_id value became") as got:
        events = chio.read_csv(path)
    assert events.offender_id.tolist() == [composed, composed]
    assert composed not in str(got[0].message)
    assert decomposed not in str(got[0].message)


@pytest.mark.parametrize("column", ["offender_id", "victim_id", "crime_id"])
def test_a_control_character_in_an_id_is_refused_without_showing_it(
    tmp_path: Path, column: str
) -> None:
    ids = {"offender_id": ["A1", "A1"], "victim_id": ["V1", "V2"], "crime_id": ["C1", "C2"]}
    ids[column][1] = "AB\0"
    lines = [f"{HEADER},victim_id,crime_id"]
    for k in range(2):
        lines.append(
            f"{ids['offender_id'][k]},008/01,2023-01-05,{ids['victim_id'][k]},{ids['crime_id'][k]}"
        )
    path = tmp_path / "e.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode())
    with pytest.raises(ch.EventsError) as caught:
        chio.read_csv(path)
    err = caught.value
    text = str(err)
    assert (err.row, err.column) == (3, column)
    assert f"line 3, column '{column}'" in text
    assert "U+0000 at character 3" in text
    assert "AB" not in text
    skipped = chio.read_csv(path, on_error="skip")
    assert len(skipped) == 1
    assert skipped.dropped == {readers.CONTROL_IN_ID: 1}


def test_id_policy_applies_to_frames_too() -> None:
    frame = pd.DataFrame(
        {
            "offender_id": ["007", "7", " 7"],
            "offence_code": ["008/01"] * 3,
            "date": ["2023-01-05"] * 3,
        }
    )
    with pytest.warns(chio.IdMergeWarning):
        events = ch.Events.from_pandas(frame)
    assert events.offender_id.tolist() == ["007", "7", "7"]


ID_TEXT = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1).map(str),
    st.from_regex(r"[+-]?0*[0-9]{1,4}", fullmatch=True),
    st.text(
        alphabet=st.characters(
            exclude_categories=["Cc", "Cs", "Zl", "Zp"], exclude_characters=',"'
        ),
        min_size=1,
        max_size=6,
    ),
    st.sampled_from(["Jos\u00e9", "Jose\u0301", " 7", "7 ", "\u00c5", "A\u030a"]),
)


def _policy(raw: str) -> str:
    return unicodedata.normalize("NFC", raw.strip())


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    ids=st.lists(ID_TEXT, min_size=1, max_size=12), engine=st.sampled_from(["pyarrow", "python"])
)
def test_id_policy_property(tmp_path: Path, ids: list[str], engine: str) -> None:
    """Ids read are the NFC, trimmed text; integers only when every id round-trips exactly."""
    wanted = [_policy(i) for i in ids]
    if any(not w or w.lower() in chio.normalise.NULL_MARKERS for w in wanted):
        return  # a missing id: another rule
    if any(w != w.strip() or w.startswith(("\ufeff",)) for w in wanted):
        return
    path = tmp_path / "ids.csv"
    body = "".join(f'"{i}",008/01,2023-01-05\n' for i in ids)
    path.write_bytes((HEADER + "\n" + body).encode("utf-8"))
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        events = chio.read_csv(path, engine=engine)
    exact = all(w == str(int(w)) for w in wanted if w.lstrip("-").isdigit() and w.isascii())
    exact = exact and all(w.lstrip("-").isdigit() and w.isascii() for w in wanted)
    if exact:
        assert events.offender_id.dtype == np.int64
        assert events.offender_id.tolist() == [int(w) for w in wanted]
    else:
        assert events.offender_id.tolist() == wanted
    assert total(events) == len(ids)
    merged = len(set(ids)) - len(set(wanted))
    merges = [w for w in seen if issubclass(w.category, chio.IdMergeWarning)]
    assert bool(merges) == (merged > 0)
    if merges:
        assert f"{merged:,} distinct raw offender_id" in str(merges[0].message)


# -- sources: compression, stdin, pipes, line ends ----------------------------------------------

ROWS = [(k, "008/01", f"2023-01-{k:02d}") for k in range(1, 21)]


@pytest.mark.parametrize("codec", ["gzip", "bz2", "zstd", "misnamed"])
def test_compressed_files_read_like_plain(tmp_path: Path, codec: str) -> None:
    plain = write_rows(tmp_path / "e.csv", ROWS)
    raw = plain.read_bytes()
    if codec == "gzip":
        path, data = tmp_path / "e.csv.gz", gzip.compress(raw)
    elif codec == "bz2":
        path, data = tmp_path / "e.csv.bz2", bz2.compress(raw)
    elif codec == "zstd":
        path = tmp_path / "e.csv.zst"
        with pa.output_stream(str(path), compression="zstd") as out:
            out.write(raw)
        data = path.read_bytes()
    else:
        path, data = tmp_path / "gz_but_named.csv", gzip.compress(raw)
    path.write_bytes(data)
    assert chio.read_csv(path) == chio.read_csv(plain)
    assert sum(len(c) for c in chio.iter_csv(path, chunk_rows=7)) == len(ROWS)


def test_a_corrupt_compressed_file_is_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "e.csv.gz"
    path.write_bytes(gzip.compress(b"offender_id,offence_code,date\n1,008/01,2023-01-05\n")[:20])
    with pytest.raises(ch.EventsError, match=r"e\.csv\.gz: cannot be decompressed as gzip"):
        chio.read_csv(path)


def test_standard_input(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    plain = write_rows(tmp_path / "e.csv", ROWS)
    for data in (plain.read_bytes(), gzip.compress(plain.read_bytes())):
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
        events = chio.read_csv("-")
        assert events == chio.read_csv(plain)
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
        chunks = list(chio.iter_csv("-", chunk_rows=6))
        assert ch.Events.concat(chunks).offender_id.tolist() == events.offender_id.tolist()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"offender_id,date\n1,x\n")))
    with pytest.raises(ch.EventsError, match=r"^<stdin>: no column 'offence_code'"):
        chio.read_csv("-")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_named_pipe(tmp_path: Path) -> None:
    plain = write_rows(tmp_path / "e.csv", ROWS)
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)

    def feed() -> None:
        with fifo.open("wb") as out:
            out.write(plain.read_bytes())

    writer = threading.Thread(target=feed)
    writer.start()
    try:
        events = chio.read_csv(fifo)
    finally:
        writer.join(timeout=10)
    assert events == chio.read_csv(plain)


def test_lone_cr_line_endings(tmp_path: Path) -> None:
    plain = write_rows(tmp_path / "e.csv", ROWS)
    mac = tmp_path / "mac.csv"
    mac.write_bytes(plain.read_bytes().replace(b"\n", b"\r"))
    events = chio.read_csv(mac)
    assert events.offender_id.tolist() == chio.read_csv(plain).offender_id.tolist()
    assert total(events) == len(ROWS)


def test_a_directory_is_named(tmp_path: Path) -> None:
    with pytest.raises(ch.EventsError, match="is a directory"):
        chio.read_csv(tmp_path)


# -- errors that would show data ----------------------------------------------------------------


def test_a_file_without_its_header_row_is_not_echoed(tmp_path: Path) -> None:
    path = tmp_path / "noheader.csv"
    path.write_bytes(b"SECRET123,008/01,2023-01-05\n4567,105/01,2023-01-06\n")
    with pytest.raises(ch.EventsError) as caught:
        chio.read_csv(path)
    text = str(caught.value)
    assert "SECRET123" not in text
    assert "2023-01-05" not in text
    assert "008/01" not in text
    assert "'offender_id', 'offence_code', 'date'" in text
    assert "looks like data" in text
    assert caught.value.row == 1


# -- one bad line among many --------------------------------------------------------------------


@pytest.mark.parametrize("policy", ["raise", "skip"])
def test_one_bad_line_does_not_send_the_file_to_the_slow_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, policy: str
) -> None:
    n, bad = 20_000, 12_345
    lines = [HEADER] + [f"{k},008/01,2023-01-05" for k in range(n)]
    lines[bad - 1] += ",extra"  # file line `bad` (the header is line 1)
    path = tmp_path / "e.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode())
    monkeypatch.setattr(chcsv, "_SPLIT_ROWS", (4096, 256))
    slow: list[int] = []
    python_block = chcsv._python_block

    def spy(block: Any, *args: Any) -> Any:
        slow.append(block.lines())
        return python_block(block, *args)

    monkeypatch.setattr(chcsv, "_python_block", spy)
    if policy == "raise":
        with pytest.raises(ch.EventsError) as caught:
            chio.read_csv(path)
        assert caught.value.row == bad
        assert f"line {bad}: expected 3 fields" in str(caught.value)
    else:
        events = chio.read_csv(path, on_error="skip")
        assert len(events) == n - 1
        assert events.dropped == {readers.MALFORMED_LINE: 1}
    assert sum(slow) <= 256 + 1  # the slow engine read only the smallest piece (and a re-read)


def test_a_large_file_without_pyarrow_says_how_to_read_it_faster(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_rows(tmp_path / "e.csv", ROWS)
    monkeypatch.setattr(chcsv, "_pyarrow", lambda _opts: None)
    monkeypatch.setattr(chcsv, "_SLOW_WARN_BYTES", 10)
    with pytest.warns(chio.SlowReaderWarning, match=r"pip install 'crimeharm\[arrow\]'"):
        events = chio.read_csv(path)
    assert len(events) == len(ROWS)


def test_files_that_cannot_be_opened_are_named(tmp_path: Path) -> None:
    for reader in (chio.read_csv, chio.read_parquet):
        with pytest.raises(ch.EventsError, match=r"missing\.csv: (no such file|cannot open)"):
            reader(tmp_path / "missing.csv")
        with pytest.raises(ch.EventsError, match="is a directory"):
            reader(tmp_path)


@pytest.mark.parametrize("kind", ["polars", "pandas", "arrow", "parquet", "csv"])
def test_the_id_policy_is_the_same_for_every_input(tmp_path: Path, kind: str) -> None:
    pl = pytest.importorskip("polars")
    ids = ["007", "+7", "7", "Jos\u00e9", "Jose\u0301"]
    data = {"offender_id": ids, "offence_code": ["008/01"] * 5, "date": ["2023-01-05"] * 5}
    pq.write_table(pa.table(data), tmp_path / "e.parquet")
    rows = list(zip(ids, data["offence_code"], data["date"], strict=True))
    csv_path = write_rows(tmp_path / "e.csv", rows)
    read = {
        "polars": lambda: ch.Events.from_polars(pl.DataFrame(data)),
        "pandas": lambda: ch.Events.from_pandas(pd.DataFrame(data)),
        "arrow": lambda: ch.Events.from_arrow(pa.table(data)),
        "parquet": lambda: chio.read_parquet(tmp_path / "e.parquet"),
        "csv": lambda: chio.read_csv(csv_path),
    }[kind]
    with pytest.warns(chio.IdMergeWarning, match="1 distinct raw offender_id value"):
        events = read()
    assert events.offender_id.tolist() == ["007", "+7", "7", "Jos\u00e9", "Jos\u00e9"]


def test_iter_csv_streams_a_compressed_file_piece_by_piece(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    header = "offender_id,offence_code,date,note"
    lines = [header] + [f'{k},008/01,2023-01-05,"a note\non two lines {k}"' for k in range(1, 40)]
    lines.append("40,008/01,not-a-date,x")  # file line 80: each record above spans two lines
    plain = tmp_path / "e.csv"
    plain.write_bytes(("\n".join(lines) + "\n").encode())
    packed = tmp_path / "e.csv.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    monkeypatch.setattr(chcsv, "_SEGMENT_BYTES", 100)  # many pieces, cut inside quoted values
    chunks = list(chio.iter_csv(packed, chunk_rows=7, on_error="skip"))
    events = ch.Events.concat(chunks)
    want = chio.read_csv(plain, on_error="skip")
    assert events.offender_id.tolist() == want.offender_id.tolist()
    assert events.columns["note"].tolist() == want.columns["note"].tolist()
    assert sum(total(c) for c in chunks) == 40
    with pytest.raises(ch.EventsError) as caught:
        list(chio.iter_csv(packed, chunk_rows=7))
    assert caught.value.row == 80
    assert "line 80, column 'date'" in str(caught.value)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.text(alphabet="0123456789-+xXabcdefABCDEF _.eE\u0660", min_size=1, max_size=21),
        min_size=1,
        max_size=5,
    )
)
def test_integer_ids_only_when_every_id_round_trips(values: list[str]) -> None:
    """The Arrow and the Python paths of the id policy agree with ``str(int(x)) == x``."""
    from crimeharm.io import ids

    def exact(text: str) -> bool:
        stripped = text.strip()
        if not re.fullmatch(r"-?[0-9]+", stripped):  # ASCII digits with at most one minus
            return False
        return str(int(stripped)) == stripped and -(2**63) <= int(stripped) < 2**63

    for table in (ids.id_table_from_arrow(pa.array(values)), ids.id_table_from_values(values)):
        want = [exact(v) and not chio.normalise.is_null_text(v) for v in values]
        assert table.exact_int[:-1].tolist() == want
        for k, ok in enumerate(want):
            if ok:
                assert int(table.ints[k]) == int(values[k].strip())


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.text(max_size=8).filter(lambda t: "\x00" not in t), max_size=30), st.integers(0, 3)
)
def test_arrow_text_becomes_the_same_numpy_text(values: list[str], skip: int) -> None:
    from crimeharm.io import ids

    strings = pa.array(["x"] * skip + values, type=pa.string()).slice(skip)
    got = ids._unicode(strings)
    assert got.dtype.kind == "U"
    assert got.tolist() == values


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(alphabet="Pp-019 \t\x1f\x85é", min_size=3, max_size=3), max_size=30))
def test_ids_of_one_length_become_the_same_numpy_text(values: list[str]) -> None:
    """Values all of one length skip the padding step and give the same text."""
    from crimeharm.io import ids

    got = ids._unicode(pa.array(values, type=pa.string()), sentinel=True)
    assert got.tolist() == [*values, ""]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="AZ~! \t\x1c\x7f\x85\xa0é\u3000", max_size=4), max_size=8))
def test_nothing_to_trim_only_when_strip_changes_nothing(values: list[str]) -> None:
    """The byte check that skips trimming never skips a value that has something to trim."""
    from crimeharm.io import ids

    if ids._plain_ascii_ends(pa.array(values, type=pa.string())):
        assert [v.strip() for v in values] == values
    table = ids.id_table_from_arrow(pa.array(values, type=pa.string()))
    python = ids.id_table_from_values(values)
    assert table.missing.tolist() == python.missing.tolist()
    assert table.merged == python.merged
    keep = ~table.control
    assert table.text[keep].tolist() == python.text[keep].tolist()


ANY_ID = st.one_of(
    st.text(max_size=7),
    st.sampled_from(["", " ", "NULL", "n/a", " NA ", "None", "#N/A", "7", "-0", "A\x00", "\x85x"]),
    st.integers(min_value=-(2**64), max_value=2**64).map(str),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), ANY_ID), max_size=12))
def test_the_arrow_and_python_id_policies_agree(values: list[str | None]) -> None:
    from crimeharm.io import ids

    arrow = ids.id_table_from_arrow(pa.array(values, type=pa.string()))
    python = ids.id_table_from_values(values)
    assert arrow.missing.tolist() == python.missing.tolist()
    assert arrow.control.tolist() == python.control.tolist()
    assert arrow.exact_int.tolist() == python.exact_int.tolist()
    assert arrow.ints[arrow.exact_int].tolist() == python.ints[python.exact_int].tolist()
    assert arrow.merged == python.merged
    keep = ~arrow.control  # numpy cannot hold a trailing NUL: compare the other ids
    assert arrow.text[keep].tolist() == python.text[keep].tolist()
