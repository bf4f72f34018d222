"""Hypothesis: generated CSVs, valid and corrupted, through both engines.

Valid files read to exactly the events written (an independent expectation built from the
generated values), identically by both engines and whatever the chunk size. Corrupted files
never raise anything but crimeharm errors, and under ``on_error="skip"`` every record ends in
exactly one place: an event or a dropped-row count.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import crimeharm as ch
from crimeharm import io as chio

pytest.importorskip("pyarrow")
# padded copies of one id (" 7" and "7") are one id, and the reader says so: not the point here
pytestmark = pytest.mark.filterwarnings("ignore::crimeharm.io.ids.IdMergeWarning")

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
CODES = ["008/01", "105/01", "030/01", "COML025"]
PAD = st.sampled_from(["", " ", "  ", "\t"])

row = st.fixed_dictionaries(
    {
        "id": st.one_of(
            st.integers(min_value=0, max_value=2**62),
            st.from_regex(r"[A-Z]{1,3}[0-9]{1,5}", fullmatch=True),
        ),
        "code": st.sampled_from(CODES),
        "day": st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2030, 12, 31)),
        "crime": st.integers(min_value=1, max_value=30),
        "note": st.text(
            # numpy unicode arrays cannot end a string with NUL
            alphabet=st.characters(
                codec="utf-8", exclude_categories=["Cs"], exclude_characters="\x00"
            ),
            max_size=8,
        ),
        "pads": st.tuples(PAD, PAD, PAD, PAD),
    }
)


def quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def render(rows: list[dict[str, Any]], *, crlf: bool, bom: bool, day_first: bool) -> bytes:
    end = "\r\n" if crlf else "\n"
    lines = ["offender_id,offence_code,date,crime_id,note"]
    for r in rows:
        a, b, c, d = r["pads"]
        day = r["day"].strftime("%d/%m/%Y") if day_first else r["day"].isoformat()
        lines.append(f"{a}{r['id']}{b},{c}{r['code']}{a},{d}{day},{r['crime']},{quote(r['note'])}")
    return (("\ufeff" if bom else "") + end.join(lines) + end).encode("utf-8")


def expected(rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """What the file holds, computed from the generated values (no reader involved)."""
    ids = [r["id"] for r in rows]
    if not all(isinstance(i, int) for i in ids):
        ids = [str(i) for i in ids]
    return {
        "offender_id": ids,
        "offence_code": [r["code"] for r in rows],
        "date": [np.datetime64(r["day"], "D") for r in rows],
        "crime_id": [r["crime"] for r in rows],
        "note": [r["note"] for r in rows],
    }


@SETTINGS
@given(
    rows=st.lists(row, max_size=25),
    crlf=st.booleans(),
    bom=st.booleans(),
    day_first=st.booleans(),
    chunk_rows=st.integers(min_value=1, max_value=30),
)
def test_valid_files_read_exactly(
    tmp_path: Path,
    rows: list[dict[str, Any]],
    crlf: bool,
    bom: bool,
    day_first: bool,
    chunk_rows: int,
) -> None:
    path = tmp_path / "events.csv"
    path.write_bytes(render(rows, crlf=crlf, bom=bom, day_first=day_first))
    fmt = "%d/%m/%Y" if day_first else None
    events = chio.read_csv(path, date_format=fmt)
    want = expected(rows)
    assert events.offender_id.tolist() == want["offender_id"]
    assert events["offence_code"].tolist() == want["offence_code"]
    assert events.date.tolist() == [d.astype(object) for d in want["date"]]
    assert events.crime_id is not None
    assert events.crime_id.tolist() == want["crime_id"]
    assert events.columns["note"].tolist() == want["note"]
    assert events.dropped == {}
    python = chio.read_csv(path, date_format=fmt, engine="python", chunk_rows=chunk_rows)
    assert python == events
    kind = "int" if all(isinstance(r["id"], int) for r in rows) else "str"
    chunks = list(chio.iter_csv(path, date_format=fmt, chunk_rows=chunk_rows, id_type=kind))
    assert sum(len(c) for c in chunks) == len(rows)
    assert all(c.offender_id.dtype.kind == events.offender_id.dtype.kind for c in chunks)
    deduped = chio.read_csv(path, date_format=fmt, dedupe="crime_id", chunk_rows=chunk_rows)
    assert len(deduped) == len({r["crime"] for r in rows})
    assert len(deduped) + sum(deduped.dropped.values()) == len(rows)


def records(body: bytes) -> int:
    """Rows in a CSV body as the csv module sees them (blank lines are not rows)."""
    text = body.decode("utf-8", "surrogateescape")
    return sum(1 for fields in csv.reader(io.StringIO(text, newline="")) if fields)


corruption = st.one_of(
    st.tuples(st.just("insert"), st.integers(min_value=0), st.binary(min_size=1, max_size=4)),
    st.tuples(
        st.just("insert"),
        st.integers(min_value=0),
        st.sampled_from([b'"', b",", b"\n", b"\r", b"\xff", b"\x00", b"  "]),
    ),
    st.tuples(st.just("delete"), st.integers(min_value=0), st.integers(min_value=1, max_value=12)),
    st.tuples(st.just("truncate"), st.integers(min_value=0), st.just(0)),
)


def corrupt(body: bytes, edits: list[tuple[str, int, Any]]) -> bytes:
    for kind, where, what in edits:
        at = where % (len(body) + 1)
        if kind == "insert":
            body = body[:at] + what + body[at:]
        elif kind == "delete":
            body = body[:at] + body[at + what :]
        else:
            body = body[:at]
    return body


@SETTINGS
@given(
    rows=st.lists(row, min_size=1, max_size=12),
    edits=st.lists(corruption, min_size=1, max_size=4),
    policy=st.sampled_from(["raise", "skip"]),
    engine=st.sampled_from(["pyarrow", "python"]),
    options=st.sampled_from(
        [{}, {"date_format": "%d/%m/%Y"}, {"id_type": "int"}, {"dedupe": "crime_id"}]
    ),
)
def test_corrupted_files_raise_only_crimeharm_errors(
    tmp_path: Path,
    rows: list[dict[str, Any]],
    edits: list[tuple[str, int, Any]],
    policy: str,
    engine: str,
    options: dict[str, Any],
) -> None:
    data = render(rows, crlf=False, bom=False, day_first=False)
    header, body = data.split(b"\n", 1)
    body = corrupt(body, edits)
    path = tmp_path / "events.csv"
    path.write_bytes(header + b"\n" + body)
    try:
        events = chio.read_csv(path, on_error=policy, engine=engine, **options)
    except ch.CrimeHarmError:
        return
    if policy == "skip" and engine == "python":  # every record ends in exactly one bucket
        assert len(events) + sum(events.dropped.values()) == records(body.rstrip(b"\r\n") + b"\n")
    try:
        chunks = list(chio.iter_csv(path, on_error=policy, engine=engine, chunk_rows=3, **options))
    except ch.CrimeHarmError:  # e.g. integer ids in the first chunk, text in a later one
        return
    if policy == "skip":
        assert sum(len(c) + sum(c.dropped.values()) for c in chunks) == len(events) + sum(
            events.dropped.values()
        )


@SETTINGS
@given(data=st.binary(max_size=200), engine=st.sampled_from(["pyarrow", "python"]))
def test_any_bytes_raise_only_crimeharm_errors(tmp_path: Path, data: bytes, engine: str) -> None:
    path = tmp_path / "events.csv"
    path.write_bytes(b"offender_id,offence_code,date\n" + data)
    try:
        events = chio.read_csv(path, on_error="skip", engine=engine)
    except ch.CrimeHarmError:
        return
    assert len(events) + sum(events.dropped.values()) >= 0
