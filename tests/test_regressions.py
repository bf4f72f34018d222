"""Regression tests for bugs found in review (each once gave a wrong answer)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import crimeharm as ch
from crimeharm.kernels.hashing import StringIndex

SCHEME = ch.WeightScheme.from_mapping({"A": 1.0}, name="t", unit="days")


def test_top_equals_score_when_one_chunk_has_a_non_ascii_id() -> None:
    rng = np.random.default_rng(0)
    n = 200_000
    ids = np.array([f"p{i}" for i in rng.integers(0, 3000, n)])
    ids[-1] = "é1"  # only the last chunk of rows is non-ASCII
    ev = ch.Events(offender_id=ids, offence_code=np.full(n, "A"), date=np.full(n, "2020-01-01"))
    want = ch.score(ev, SCHEME, as_of="2021-01-01").top(10)
    assert ch.top(ev, SCHEME, n=10, as_of="2021-01-01") == want


def test_string_index_keeps_each_widths_table() -> None:
    rng = np.random.default_rng(1)
    codes = np.array([f"OFFENCE-{x:05d}" for x in rng.choice(100_000, 30, replace=False)])
    index = StringIndex(codes)
    first = index.lookup(codes)
    index.lookup(codes.astype("<U20"))  # builds the table of another width
    assert np.array_equal(index.lookup(codes), first)
    assert first.tolist() == list(range(30))


def test_scorer_never_writes_into_merged_scores() -> None:
    def ev(ids: list[int], day: str) -> ch.Events:
        return ch.Events(offender_id=ids, offence_code=["A"] * len(ids), date=[day] * len(ids))

    other = ch.score(ev([1, 2, 3], "2020-06-01"), SCHEME, as_of="2021-01-01")
    scorer = ch.Scorer(SCHEME, as_of="2021-01-01")
    scorer.add(ev([9], "2022-01-01"))  # after as_of: leaves the scorer empty
    scorer.merge(other)
    scorer.add(ev([1, 1, 2], "2020-07-01"))
    assert other.harm.tolist() == [1.0, 1.0, 1.0]
    assert other.n_events.tolist() == [1, 1, 1]
    assert scorer.result().harm.tolist() == [3.0, 2.0, 1.0]


def _csv(tmp_path: Path, text: str, newline: str = "\n") -> Path:
    path = tmp_path / "events.csv"
    path.write_bytes(text.replace("\n", newline).encode())
    return path


@pytest.mark.parametrize("chunk_rows", [1, 2, 5, 7])
def test_a_stray_quote_does_not_break_chunked_reading(tmp_path: Path, chunk_rows: int) -> None:
    rows = ["offender_id,offence_code,date,note"]
    for i in range(30):
        note = {2: '5ft 10" tall', 11: '"multi\nline, x"'}.get(i, "plain")
        rows.append(f"{i},008/01,2023-01-05,{note}")
    path = _csv(tmp_path, "\n".join(rows) + "\n")
    whole = ch.read_csv(path)
    parts = list(ch.iter_csv(path, chunk_rows=chunk_rows))
    assert sum(len(p) for p in parts) == 30
    assert not any(p.dropped for p in parts)
    notes = [v for p in parts for v in p.columns["note"].tolist()]
    assert notes == whole.columns["note"].tolist()
    assert notes[11] == "multi\nline, x"


def test_crlf_file_with_a_bad_last_line_is_not_called_cut_short(tmp_path: Path) -> None:
    text = "offender_id,offence_code,date\n1,008/01,2023-01-05\n3,008/01,31/02/2023\n"
    with pytest.raises(ch.EventsError) as crlf:
        ch.read_csv(_csv(tmp_path, text, "\r\n"))
    assert "cut short" not in str(crlf.value)
    assert "line 3" in str(crlf.value)
    assert "date_format" in str(crlf.value)


def test_where_on_an_integer_column_never_overflows_or_echoes_the_value() -> None:
    ev = ch.Events(offender_id=[1, 2], offence_code=["A", "A"], date=["2020-01-01"] * 2)
    assert len(ev.select(where={"offender_id": 10**20})) == 0  # outside int64: matches nothing
    assert len(ev.select(where={"offender_id": [2, 10**20]})) == 1
    with pytest.raises(ch.ParameterError) as info:
        ev.select(where={"offender_id": "SMITH_J"})
    assert "SMITH_J" not in str(info.value)


def test_null_markers_in_victim_and_crime_ids_are_missing_not_text(tmp_path: Path) -> None:
    text = (
        "offender_id,offence_code,date,victim_id,crime_id\n"
        "1,008/01,2023-01-05,NA,NULL\n"
        "2,008/01,2023-01-05,5,NULL\n"
        "3,008/01,2023-01-05,,\n"
        "4,008/01,2023-01-05,6,\n"
    )
    ev = ch.read_csv(_csv(tmp_path, text), dedupe="crime_id")
    assert len(ev) == 4  # missing crime ids are never duplicates of each other
    assert ev.victim_id is not None
    assert ev.crime_id is not None
    assert ev.victim_id.tolist() == ["", "5", "", "6"]
    assert ev.crime_id.tolist() == ["", "", "", ""]


def test_a_blank_id_is_missing_in_small_and_large_events() -> None:
    for n in (10, 1_200_000):
        ids = np.full(n, "P1")
        ids[n // 2] = "  \t"
        with pytest.raises(ch.EventsError, match=f"row {n // 2}, column 'offender_id'"):
            ch.Events(offender_id=ids, offence_code=np.full(n, "A"), date=np.full(n, "2020-01-01"))


def test_top_equals_score_top_for_harms_near_the_exact_sums_grid() -> None:
    """Harms of ~1e-19 days: contributions are rounded to 2**-62 days before exact summation,
    so a bucket's float sum can be below the exact harm of an offender in it; ch.top must
    still keep that bucket (it pruned offender 'a' before)."""
    scheme = ch.WeightScheme.from_mapping(
        {"H": 4.3e-19, "G": 1.1e-19, "Z": 0.0}, name="tiny", unit="days"
    )
    ids = [f"h{i:02d}" for i in range(20)] + ["a", "a"] + [f"z{i}" for i in range(50)]
    codes = ["H"] * 20 + ["G", "G"] + ["Z"] * 50
    events = ch.Events(
        offender_id=np.array(ids),
        offence_code=np.array(codes),
        date=np.full(len(ids), np.datetime64("2023-01-01")),
    )
    for n in (1, 2, 5):
        assert ch.top(events, scheme, n=n, as_of="2023-07-18") == ch.score(
            events, scheme, as_of="2023-07-18"
        ).top(n)
