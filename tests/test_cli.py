"""The command line: ``crimeharm.cli.main(argv)`` returns the exit status; output via capsys.

Expected harms are worked out by hand from the scheme's weights (looked up, not copied) and the
decay formula 0.5 ** (age / half-life).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import crimeharm as ch
from crimeharm import cli
from crimeharm.cli import common as cli_common
from crimeharm.io import write as _output

AS_OF = "2023-07-18"
HEADER = "offender_id,offence_code,date,victim_id,victim_sex\n"
# offender 777101: shoplifting today + common assault yesterday; 777202: sexual assault (181 days
# old); 777303: blade in public 365 days old + an event after as_of; 777404: one event 9 years old.
ROWS = [
    "777101,046/00,2023-07-18,1,U",
    "777101,105/01,2023-07-17,2,F",
    "777202,020/05,2023-01-18,3,F",
    "777303,008/26,2022-07-18,0,U",
    "777303,046/00,2024-01-01,1,U",
    "777404,001/01,2014-07-18,4,M",
]


def w(code: str) -> float:
    return ch.get_scheme("cchi-2020").weight(code)


def expected_harm(half_life: float | None = None) -> dict[int, float]:
    """Harm per offender under a 1826-day window, by hand."""

    def d(age: int) -> float:
        return 1.0 if half_life is None else 0.5 ** (age / half_life)

    return {
        777101: w("046/00") * d(0) + w("105/01") * d(1),
        777202: w("020/05") * d(181),
        777303: w("008/26") * d(365),
    }


def ranked(harm: dict[int, float]) -> list[int]:
    return sorted(harm, key=lambda k: (-harm[k], k))


@pytest.fixture
def events_csv(tmp_path: Path) -> Path:
    path = tmp_path / "events.csv"
    path.write_text(HEADER + "\n".join(ROWS) + "\n", encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def rank_args(path: Path, *more: str) -> list[str]:
    return ["rank", str(path), "--as-of", AS_OF, "--window-days", "1826", *more]


# -- rank: formats -------------------------------------------------------------------------------


def test_rank_csv_has_hand_computed_harms(
    capsys: pytest.CaptureFixture[str], events_csv: Path
) -> None:
    status, out, err = run(capsys, *rank_args(events_csv, "--half-life", "365", "--format", "csv"))
    assert status == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    harm = expected_harm(365.0)
    assert [int(r["offender_id"]) for r in rows] == ranked(harm)
    assert [int(r["rank"]) for r in rows] == [1, 2, 3]
    for r in rows:
        assert float(r["harm"]) == pytest.approx(harm[int(r["offender_id"])], rel=1e-12)
    counts = {int(r["offender_id"]): int(r["n_events"]) for r in rows}
    assert counts == {777101: 2, 777202: 1, 777303: 1}
    last = {int(r["offender_id"]): r["last_date"] for r in rows}
    assert last[777101] == "2023-07-18"
    assert err == ""


def test_rank_json_parses_with_params_and_report(
    capsys: pytest.CaptureFixture[str], events_csv: Path
) -> None:
    status, out, _ = run(capsys, *rank_args(events_csv, "--format", "json", "--top", "2"))
    assert status == 0
    doc = json.loads(out)
    assert doc["params"]["as_of"] == AS_OF
    assert doc["params"]["window_days"] == 1826
    assert doc["params"]["decay"] == "none"
    assert doc["params"]["scheme"] == "cchi-2020"
    report = doc["report"]
    assert report["total"] == len(ROWS)
    assert report["counted"] == 4
    assert sum(report["excluded"].values()) == 2
    harm = expected_harm()
    assert [r["offender_id"] for r in doc["ranking"]] == ranked(harm)[:2]
    for r in doc["ranking"]:
        assert r["harm"] == pytest.approx(harm[r["offender_id"]], rel=1e-12)


def test_rank_table_has_header_and_rows(
    capsys: pytest.CaptureFixture[str], events_csv: Path
) -> None:
    status, out, _ = run(capsys, *rank_args(events_csv, "--half-life", "365"))
    assert status == 0
    lines = out.splitlines()
    head = "\n".join(lines[:3])
    assert "scheme: cchi-2020" in head
    assert f"as_of: {AS_OF}" in head
    assert "window: 1826 days" in head
    assert "decay: exponential (half_life_days=365)" in head
    assert f"rows: 4 counted of {len(ROWS)}" in head
    body = [line.split() for line in lines[4:] if line.strip()]
    assert body[0][:2] == ["rank", "offender_id"]
    assert [int(r[1]) for r in body[1:]] == ranked(expected_harm(365.0))
    harm = expected_harm(365.0)
    assert [float(r[2].replace(",", "")) for r in body[1:]] == [
        round(harm[k], 2) for k in ranked(harm)
    ]


def test_all_ranks_every_offender_and_top_zero_none(
    capsys: pytest.CaptureFixture[str], events_csv: Path
) -> None:
    status, out, _ = run(
        capsys, "rank", str(events_csv), "--as-of", AS_OF, "--all", "--format", "csv"
    )
    assert status == 0
    ids = [int(r["offender_id"]) for r in csv.DictReader(io.StringIO(out))]
    assert sorted(ids) == [
        777101,
        777202,
        777303,
        777404,
    ]  # no window: the 9-year-old murder counts
    assert ids[0] == 777404
    status, out, _ = run(capsys, *rank_args(events_csv, "--top", "0", "--format", "csv"))
    assert status == 0
    assert list(csv.DictReader(io.StringIO(out))) == []


def test_parquet_input_ranks_like_csv(
    capsys: pytest.CaptureFixture[str], events_csv: Path, tmp_path: Path
) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    rows = [r.split(",") for r in ROWS]
    table = pa.table(
        {
            "offender_id": pa.array([int(r[0]) for r in rows], pa.int64()),
            "offence_code": pa.array([r[1] for r in rows]),
            "date": pa.array(np.array([r[2] for r in rows], dtype="datetime64[D]")),
        }
    )
    path = tmp_path / "events.parquet"
    pq.write_table(table, path)
    status, from_parquet, err = run(capsys, *rank_args(path, "--format", "csv"))
    assert status == 0, err
    status, from_csv, _ = run(capsys, *rank_args(events_csv, "--format", "csv"))
    # the parquet file has no victim_id column, so no victims count
    without_victims = [r[:6] for r in csv.reader(io.StringIO(from_csv))]
    assert list(csv.reader(io.StringIO(from_parquet))) == without_victims


# -- rank: output files --------------------------------------------------------------------------


def test_output_file_is_complete_and_no_temp_file_is_left(
    capsys: pytest.CaptureFixture[str], events_csv: Path, tmp_path: Path
) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    target = out_dir / "ranking.csv"
    target.write_text("old content\n")
    status, out, err = run(capsys, *rank_args(events_csv, "--format", "csv", "-o", str(target)))
    assert status == 0
    assert out == ""
    assert "wrote 3 ranked offenders" in err
    _, stdout_version, _ = run(capsys, *rank_args(events_csv, "--format", "csv"))
    assert target.read_text() == stdout_version
    assert sorted(p.name for p in out_dir.iterdir()) == [
        "ranking.csv",
        "ranking.csv.manifest.json",
    ]


def test_output_gets_a_manifest_that_verifies_against_the_input(
    capsys: pytest.CaptureFixture[str], events_csv: Path, tmp_path: Path
) -> None:
    from crimeharm.audit.manifest import Manifest

    target = tmp_path / "ranking.json"
    status, _, err = run(capsys, *rank_args(events_csv, "--format", "json", "-o", str(target)))
    assert status == 0, err
    manifest = Manifest.read(tmp_path / "ranking.json.manifest.json")
    assert "manifest" in err
    assert manifest.scheme == "cchi-2020"
    assert manifest.as_of == "2023-07-18"
    events = ch.read_csv(events_csv)
    assert manifest.input_rows == len(events)
    assert manifest.verify(events)  # the input is the one ranked


def test_atomic_write_keeps_the_old_file_when_interrupted(tmp_path: Path) -> None:
    target = tmp_path / "ranking.csv"
    target.write_text("complete old ranking\n")

    def interrupted_write() -> None:
        with _output.atomic_write(target) as fh:
            fh.write("half a new rank")
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted_write()
    assert target.read_text() == "complete old ranking\n"
    assert [p.name for p in tmp_path.iterdir()] == ["ranking.csv"]


def test_new_output_file_is_private_and_replaced_file_keeps_its_mode(tmp_path: Path) -> None:
    new = tmp_path / "new.csv"
    with _output.atomic_write(new) as fh:
        fh.write("x\n")
    assert new.stat().st_mode & 0o777 == 0o600
    old = tmp_path / "old.csv"
    old.write_text("y\n")
    old.chmod(0o640)
    with _output.atomic_write(old) as fh:
        fh.write("z\n")
    assert old.stat().st_mode & 0o777 == 0o640
    assert old.read_text() == "z\n"


def test_unwritable_output_exits_2_naming_the_file(
    capsys: pytest.CaptureFixture[str], events_csv: Path, tmp_path: Path
) -> None:
    target = tmp_path / "no" / "such" / "dir" / "ranking.csv"
    status, out, err = run(capsys, *rank_args(events_csv, "--output", str(target)))
    assert status == 2
    assert out == ""
    folder = str(target.parent)
    assert err == f"crimeharm: error: --output {target}: the folder {folder!r} does not exist\n"


def test_report_file_has_accounting_and_no_offender_ids(
    capsys: pytest.CaptureFixture[str], events_csv: Path, tmp_path: Path
) -> None:
    report = tmp_path / "report.json"
    target = tmp_path / "ranking.json"
    status, out, err = run(
        capsys,
        *rank_args(events_csv, "--report", str(report), "--format", "json", "-o", str(target)),
    )
    assert status == 0
    doc = json.loads(report.read_text())
    assert doc["report"]["total"] == len(ROWS)
    assert doc["report"]["counted"] == 4
    assert doc["params"]["window_days"] == 1826
    assert doc["offenders_ranked"] == 3
    text = report.read_text() + out + err
    for offender in ("777101", "777202", "777303", "777404"):
        assert offender not in text  # ids only in the ranking the user asked for
    assert {r["offender_id"] for r in json.loads(target.read_text())["ranking"]} == {
        777101,
        777202,
        777303,
    }


# -- rank: options -------------------------------------------------------------------------------


def test_group_code_and_where_filters(capsys: pytest.CaptureFixture[str], events_csv: Path) -> None:
    def ids(*more: str) -> list[int]:
        status, out, err = run(capsys, *rank_args(events_csv, "--format", "csv", *more))
        assert status == 0, err
        return [int(r["offender_id"]) for r in csv.DictReader(io.StringIO(out))]

    assert ids("--group", "SEXUAL OFFENCES") == [777202]
    assert ids("--code", "046/00", "--code", "008/26") == ranked(
        {777101: w("046/00"), 777303: w("008/26")}
    )
    assert ids("--where", "victim_sex=F") == ranked({777101: w("105/01"), 777202: w("020/05")})
    assert ids("--where", "victim_sex=F", "--where", "victim_sex=M") == ids(
        "--where", "victim_sex=F"
    )
    assert ids("--where", "victim_sex=Female") == []  # not truncated to the column's width
    assert ids("--where", "victim_id=2", "--where", "victim_id=3") == ranked(
        {777101: w("105/01"), 777202: w("020/05")}
    )
    assert ids("--group", "THEFT", "--where", "victim_sex=U") == [777101]


def test_decay_by_name_with_parameters(
    capsys: pytest.CaptureFixture[str], events_csv: Path
) -> None:
    status, out, _ = run(
        capsys,
        *rank_args(
            events_csv, "--decay", "linear", "--decay-param", "horizon_days=730", "--format", "csv"
        ),
    )
    assert status == 0
    harm = {int(r["offender_id"]): float(r["harm"]) for r in csv.DictReader(io.StringIO(out))}
    assert harm[777303] == pytest.approx(w("008/26") * (1 - 365 / 730))
    assert harm[777202] == pytest.approx(w("020/05") * (1 - 181 / 730))


def test_unknown_code_fails_then_skip_and_fallback(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "unknown.csv"
    path.write_text(HEADER + "\n".join([*ROWS[:3], "777505,999/99,2023-07-01,9,U"]) + "\n")
    status, out, err = run(capsys, *rank_args(path))
    assert status == 2
    assert "999/99" in err
    assert err.count("\n") == 1
    assert out == ""
    status, out, err = run(capsys, *rank_args(path, "--on-unknown", "skip", "--format", "csv"))
    assert status == 0
    assert "unknown code: 1" in err  # the report summary on stderr
    assert "777505" not in [r["offender_id"] for r in csv.DictReader(io.StringIO(out))]
    status, out, err = run(capsys, *rank_args(path, "--fallback-weight", "7", "--format", "csv"))
    assert status == 0
    harm = {int(r["offender_id"]): float(r["harm"]) for r in csv.DictReader(io.StringIO(out))}
    assert harm[777505] == 7.0


def test_on_error_skip_prints_the_report_summary(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "\n".join([*ROWS[:2], "777202,020/05,not-a-date,3,F", ROWS[3]]) + "\n")
    status, out, err = run(capsys, *rank_args(path, "--on-error", "skip", "--format", "csv"))
    assert status == 0
    assert "rows read: 4" in err
    assert "counted: 3" in err
    assert [int(r["offender_id"]) for r in csv.DictReader(io.StringIO(out))] == ranked(
        {777101: w("046/00") + w("105/01"), 777303: w("008/26")}
    )


# -- rank: errors --------------------------------------------------------------------------------


def test_bad_date_exits_2_with_one_line_naming_file_line_and_column(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "\n".join([*ROWS[:2], "777202,020/05,18/01/2023x,3,F"]) + "\n")
    status, out, err = run(capsys, *rank_args(path))
    assert status == 2
    assert out == ""
    assert err.startswith("crimeharm: error: ")
    assert err.count("\n") == 1
    assert "bad.csv" in err
    assert "line 4" in err  # header is line 1, so the third row is line 4
    assert "date" in err
    assert "Traceback" not in err


def test_debug_shows_the_traceback(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "777101,046/00,never,1,U\n")
    status, _, err = run(capsys, *rank_args(path, "--debug"))
    assert status == 2
    assert "Traceback" in err
    assert err.rstrip().splitlines()[-1].startswith("crimeharm: error: ")


def test_error_hints_name_command_options(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "uk-dates.csv"
    path.write_text(HEADER + "777101,046/00,18/07/2023,1,U\n")
    status, _, err = run(capsys, *rank_args(path))
    assert status == 2
    assert "--date-format" in err
    assert "--on-error skip" in err
    assert "date_format=" not in err
    status, out, err = run(capsys, *rank_args(path, "--date-format", "%d/%m/%Y", "--format", "csv"))
    assert status == 0, err
    assert [r["last_date"] for r in csv.DictReader(io.StringIO(out))] == ["2023-07-18"]
    unknown = tmp_path / "unknown.csv"
    unknown.write_text(HEADER + "777101,999/99,2023-07-01,1,U\n")
    status, _, err = run(capsys, *rank_args(unknown))
    assert status == 2
    assert "--on-unknown skip" in err
    assert "--fallback-weight" in err


def test_delimiter_and_text_ids(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "events.txt"
    path.write_text("offender_id\toffence_code\tdate\n00042\t046/00\t2023-07-01\n")
    status, out, err = run(
        capsys, *rank_args(path, "--delimiter", "tab", "--id-type", "str", "--format", "json")
    )
    assert status == 0, err
    assert [r["offender_id"] for r in json.loads(out)["ranking"]] == ["00042"]


def test_broken_pipe_exits_141(
    capsys: pytest.CaptureFixture[str], events_csv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def closed(text: str) -> int:
        raise BrokenPipeError

    monkeypatch.setattr(sys.stdout, "write", closed)
    assert cli.main(rank_args(events_csv)) == 141


@pytest.mark.parametrize(
    ("more", "words"),
    [
        (["--where", "nosuch=1"], "no column 'nosuch'"),
        (["--where", "victim_id=abc"], "whole number"),
        (["--where", "novalue"], "COLUMN=VALUE"),
        (["--half-life", "365", "--decay", "linear"], "--half-life"),
        (["--decay-param", "horizon_days=3"], "--decay NAME"),
        (["--decay", "linear", "--decay-param", "nonsense=3"], "linear"),
        (["--decay", "exponential", "--decay-param", "half_life_days=-1"], "half_life_days"),
        (["--decay", "nosuch"], "available"),
        (["--scheme", "nosuch"], "available: cchi-2020"),
        (["--group", "NO SUCH GROUP"], "NO SUCH GROUP"),
        (["--on-unknown", "skip", "--fallback-weight", "1"], "--fallback-weight"),
    ],
)
def test_bad_options_exit_2_with_one_line(
    capsys: pytest.CaptureFixture[str], events_csv: Path, more: list[str], words: str
) -> None:
    status, out, err = run(capsys, *rank_args(events_csv, *more))
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("crimeharm: error: ")
    assert words in err


@pytest.mark.parametrize(
    "argv",
    [
        ["rank", "x.csv"],  # --as-of is required
        ["rank", "x.csv", "--as-of", "18/07/2023"],
        ["rank", "x.csv", "--as-of", AS_OF, "--top", "-1"],
        ["rank", "x.csv", "--as-of", AS_OF, "--window-days", "0"],
        ["rank", "x.csv", "--as-of", AS_OF, "--format", "xml"],
        ["nosuchcommand"],
        [],
    ],
)
def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    status, out, err = run(capsys, *argv)
    assert status == 2
    assert out == ""
    assert "crimeharm: error:" in err


def test_missing_file_and_unknown_format(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    status, _, err = run(capsys, *rank_args(tmp_path / "missing.csv"))
    assert status == 2
    assert "cannot open" in err
    assert "missing.csv" in err
    odd = tmp_path / "events.xlsx"
    odd.write_text("x")
    status, _, err = run(capsys, *rank_args(odd))
    assert status == 2
    assert ".csv or .parquet" in err
    packed = tmp_path / "events.csv.gz"
    packed.write_bytes(b"\x1f\x8b")
    status, _, err = run(capsys, *rank_args(packed))
    assert status == 2
    assert "compressed" in err


def test_internal_error_exits_1_and_interrupt_130(
    capsys: pytest.CaptureFixture[str], events_csv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("offender 777101 broke it")

    monkeypatch.setattr(ch, "top", boom)
    status, _, err = run(capsys, *rank_args(events_csv))
    assert status == 1
    assert "internal error (RuntimeError in test_cli.py:" in err
    assert "--debug" in err
    assert "777101" not in err  # the message could quote data: shown only with --debug
    assert err.count("\n") == 1
    status, _, err = run(capsys, *rank_args(events_csv, "--debug"))
    assert status == 1
    assert "Traceback" in err
    assert "777101" in err

    def interrupt(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(ch, "top", interrupt)
    status, _, err = run(capsys, *rank_args(events_csv))
    assert status == 130
    assert "interrupted" in err


def test_help_and_version_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "rank", "--help")
    assert status == 0
    for option in ("--as-of", "--window-days", "--half-life", "--top", "--format", "--output"):
        assert option in out
    status, out, _ = run(capsys, "--version")
    assert status == 0
    assert ch.__version__ in out


# -- progress ------------------------------------------------------------------------------------


def test_progress_line_for_big_inputs_on_a_terminal(
    capsys: pytest.CaptureFixture[str], events_csv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, plain, _ = run(capsys, *rank_args(events_csv, "--format", "csv"))
    monkeypatch.setattr(cli_common, "PROGRESS_ROWS", 0)
    monkeypatch.setattr(cli_common, "CHUNK_ROWS", 2)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    status, chunked, err = run(capsys, *rank_args(events_csv, "--format", "csv"))
    assert status == 0
    assert chunked == plain  # reading in chunks changes nothing
    assert "\rreading events.csv: 2 rows" in err
    assert "\rreading events.csv: 6 rows" in err
    assert err.endswith("\r")  # the line is cleared at the end


def test_chunked_reading_falls_back_to_whole_file_rules(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Integer ids first and a text id later: read_csv decides over the whole file."""
    path = tmp_path / "mixed.csv"
    path.write_text(HEADER + "\n".join([*ROWS[:4], "X777,046/00,2023-07-01,5,U"]) + "\n")
    status, plain, err = run(capsys, *rank_args(path, "--format", "csv"))
    assert status == 0, err
    monkeypatch.setattr(cli_common, "PROGRESS_ROWS", 0)
    monkeypatch.setattr(cli_common, "CHUNK_ROWS", 2)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    status, chunked, _ = run(capsys, *rank_args(path, "--format", "csv"))
    assert status == 0
    assert chunked == plain
    assert "X777" in {r["offender_id"] for r in csv.DictReader(io.StringIO(plain))}


def test_no_progress_line_when_stderr_is_not_a_terminal(
    capsys: pytest.CaptureFixture[str], events_csv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_common, "PROGRESS_ROWS", 0)
    status, _, err = run(capsys, *rank_args(events_csv, "--format", "csv"))
    assert status == 0
    assert err == ""


def test_estimate_lines_is_close(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text("".join(f"{i:07d},046/00,2023-01-01\n" for i in range(20_000)))
    assert abs(_output.estimate_lines(path, sample_bytes=4096) - 20_000) < 400


# -- schemes -------------------------------------------------------------------------------------


def test_schemes_lists_cchi_in_every_format(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "schemes")
    assert status == 0
    assert out.splitlines()[0].split()[:4] == ["name", "version", "unit", "key_system"]
    assert any(line.split()[:3] == ["cchi-2020", "2020", "days"] for line in out.splitlines())
    status, out, _ = run(capsys, "schemes", "--format", "json")
    info = {row["name"]: row for row in json.loads(out)}
    assert info["cchi-2020"]["unit"] == "days"
    assert info["cchi-2020"]["key_system"] == "ho"
    assert "Cambridge" in info["cchi-2020"]["source"]
    assert set(info) == set(ch.list_schemes())
    status, out, _ = run(capsys, "schemes", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {r["name"] for r in rows} == set(ch.list_schemes())


# -- demo ----------------------------------------------------------------------------------------


def test_demo_prints_ranking_and_concentration(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "demo", "--events", "20000", "--top", "5")
    assert status == 0
    assert "rows: 20,000 counted of 20,000" in out
    assert "top   7% of offenders hold" in out
    assert "7% of offenders held 80% of harm" in out
    assert "doi:10.1007/s41887-019-00039-7" in out


def test_demo_json_concentration_is_consistent(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "demo", "--events", "20000", "--format", "json", "--seed", "5")
    assert status == 0
    doc = json.loads(out)
    assert len(doc["ranking"]) == 20
    harms = [r["harm"] for r in doc["ranking"]]
    assert harms == sorted(harms, reverse=True)
    shares = doc["concentration"]["top_shares"]
    values = [shares[k] for k in ("0.01", "0.05", "0.07", "0.1")]
    assert values == sorted(values)
    assert 0 < values[0] <= 1
    assert doc["report"]["total"] == 20_000
    assert doc["concentration"]["published"]["top_fraction"] == 0.07


def test_demo_saved_events_rank_the_same(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    saved = tmp_path / "demo.csv"
    status, demo_out, err = run(
        capsys, "demo", "--events", "3000", "--format", "csv", "--save-events", str(saved)
    )
    assert status == 0
    assert "top   7%" in err  # csv on stdout, the concentration on stderr
    with saved.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 3000
    assert list(rows[0]) == [
        "offender_id",
        "offence_code",
        "date",
        "victim_id",
        "crime_id",
        "victim_sex",
    ]
    status, rank_out, err = run(
        capsys, "rank", str(saved), "--as-of", "2023-07-18", "--top", "20", "--format", "csv"
    )
    assert status == 0, err
    demo_rows = list(csv.DictReader(io.StringIO(demo_out)))
    rank_rows = list(csv.DictReader(io.StringIO(rank_out)))
    assert [r["offender_id"] for r in rank_rows] == [r["offender_id"] for r in demo_rows]
    for a, b in zip(rank_rows, demo_rows, strict=True):
        assert math.isclose(float(a["harm"]), float(b["harm"]), rel_tol=1e-12)


def test_python_dash_m_help() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "crimeharm", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0
    for command in ("rank", "schemes", "demo"):
        assert command in done.stdout


# -- explain -------------------------------------------------------------------------------------


def explain_args(path: Path, offender: str) -> list[str]:
    return ["explain", str(path), "--offender", offender, "--as-of", AS_OF, "--window-days", "1826"]


def test_explain_json_contributions_add_up_to_the_ranked_harm(
    capsys: pytest.CaptureFixture[str], events_csv: Path
) -> None:
    argv = [*explain_args(events_csv, "777303"), "--half-life", "365", "--format", "json"]
    status, out, err = run(capsys, *argv)
    assert status == 0, err
    doc = json.loads(out)
    contributions = [e["contribution"] for e in doc["events"]]
    assert contributions == [w("008/26") * 0.5]
    assert math.isclose(doc["harm"], expected_harm(365.0)[777303], rel_tol=1e-12)
    assert [e["reason"] for e in doc["excluded"]] == ["dated after as_of"]


def test_explain_table_and_errors(capsys: pytest.CaptureFixture[str], events_csv: Path) -> None:
    status, out, err = run(capsys, *explain_args(events_csv, "777101"))
    assert status == 0, err
    assert "046/00" in out
    assert "105/01" in out
    status, out, err = run(capsys, *explain_args(events_csv, "999"))
    assert status == 2
    assert "no event of that offender" in err
    status, _, err = run(capsys, *explain_args(events_csv, "abc"))
    assert status == 2
    assert "integers" in err


def test_output_never_replaces_the_events_file(
    capsys: pytest.CaptureFixture[str], events_csv: Path
) -> None:
    before = events_csv.read_bytes()
    status, _, err = run(capsys, *rank_args(events_csv, "-o", str(events_csv)))
    assert status == 2
    assert "is the events file itself: it would be overwritten" in err
    assert events_csv.read_bytes() == before


def test_output_to_a_directory_or_through_a_symlink(
    capsys: pytest.CaptureFixture[str], events_csv: Path, tmp_path: Path
) -> None:
    status, _, err = run(capsys, *rank_args(events_csv, "-o", str(tmp_path)))
    assert status == 2
    assert str(tmp_path) in err
    assert ".tmp" not in err
    real = tmp_path / "real.csv"
    real.write_text("old\n")
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    status, _, err = run(capsys, *rank_args(events_csv, "--format", "csv", "-o", str(link)))
    assert status == 0, err
    assert link.is_symlink()
    assert real.read_text().startswith("rank,")


# -- issue 10: outputs checked before reading, committed together, never left half-written ---------


@pytest.fixture
def no_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any read of the events file fail the test: the checks must come first."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        msg = "the events were read before the outputs were checked"
        raise AssertionError(msg)

    monkeypatch.setattr(cli_common, "read_events", refuse)


def folder_state(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.mark.parametrize(
    ("more", "message"),
    [
        (["--report", "{events}"], "--report {events} is the events file itself: it would be"),
        (["-o", "{events}"], "--output {events} is the events file itself: it would be"),
        (["-o", "{d}/r.csv", "--report", "{d}/r.csv"], "--report {d}/r.csv and --output are the"),
        (
            ["-o", "{d}/r.csv", "--report", "{d}/r.csv.manifest.json"],
            "--report {d}/r.csv.manifest.json and the manifest of --output are the same file",
        ),
        (
            ["-o", "{d}/r.csv", "--report", "{d}/none/x.json"],
            "--report {d}/none/x.json: the folder",
        ),
        (["-o", "{d}/missing/r.csv"], "--output {d}/missing/r.csv: the folder"),
        (["-o", "{d}"], "--output {d}: is a directory"),
        (["-o", "/dev/null"], "--output /dev/null: is not a regular file"),
    ],
)
@pytest.mark.usefixtures("no_reading")
def test_bad_outputs_fail_before_reading_and_write_nothing(
    capsys: pytest.CaptureFixture[str], events_csv: Path, more: list[str], message: str
) -> None:
    d = events_csv.parent
    (d / "r.csv").write_text("an older ranking\n", encoding="utf-8")
    (d / "r.csv.manifest.json").write_text("its manifest\n", encoding="utf-8")
    before = folder_state(d)
    argv = [m.format(events=events_csv, d=d) for m in more]
    status, out, err = run(capsys, *rank_args(events_csv, *argv))
    assert status == 2
    assert out == ""
    assert err.startswith("crimeharm: error: " + message.format(events=events_csv, d=d))
    assert err.count("\n") == 1
    assert folder_state(d) == before  # nothing written, replaced or left behind


@pytest.mark.usefixtures("no_reading")
def test_output_through_a_symlink_or_hard_link_to_the_input_is_refused(
    capsys: pytest.CaptureFixture[str], events_csv: Path
) -> None:
    link = events_csv.parent / "link.csv"
    link.symlink_to(events_csv)
    hard = events_csv.parent / "hard.csv"
    hard.hardlink_to(events_csv)
    for target in (link, hard):
        status, _, err = run(capsys, *rank_args(events_csv, "--report", str(target)))
        assert status == 2
        assert "is the events file itself" in err
    assert events_csv.read_text(encoding="utf-8") == HEADER + "\n".join(ROWS) + "\n"


@pytest.mark.usefixtures("no_reading")
def test_a_directory_or_a_named_pipe_as_input_is_named(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    status, _, err = run(capsys, "rank", str(tmp_path), "--as-of", AS_OF)
    assert status == 2
    assert (
        err == f"crimeharm: error: {str(tmp_path)!r} is a directory, not an events file: "
        "name a .csv or .parquet file\n"
    )
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    status, _, err = run(capsys, "rank", str(fifo), "--as-of", AS_OF)  # must not block
    assert status == 2
    assert "is not a regular file (a named pipe or a device)" in err


@pytest.mark.parametrize(
    ("name", "first_line"),
    [
        ("r.csv", "rank,offender_id,harm,n_events,first_date,last_date,victims"),
        ("r.tsv", "rank\toffender_id\tharm\tn_events\tfirst_date\tlast_date\tvictims"),
        ("r.json", "{"),
        ("r.txt", "crimeharm ranking of"),
    ],
)
def test_output_format_follows_the_extension(
    capsys: pytest.CaptureFixture[str], events_csv: Path, name: str, first_line: str
) -> None:
    target = events_csv.parent / name
    status, _, _ = run(capsys, *rank_args(events_csv, "-o", str(target)))
    assert status == 0
    assert target.read_text(encoding="utf-8").startswith(first_line)
    status, _, _ = run(capsys, *rank_args(events_csv, "-o", str(target), "--format", "json"))
    assert status == 0
    assert target.read_text(encoding="utf-8").startswith("{")  # --format wins


def test_outputs_replace_old_ones_together(
    capsys: pytest.CaptureFixture[str], events_csv: Path
) -> None:
    d = events_csv.parent
    out, report = d / "r.csv", d / "report.json"
    status, _, _ = run(capsys, *rank_args(events_csv, "-o", str(out), "--report", str(report)))
    assert status == 0
    manifest = json.loads((d / "r.csv.manifest.json").read_text(encoding="utf-8"))
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    assert manifest["output"]["sha256"] == digest
    assert json.loads(report.read_text(encoding="utf-8"))["offenders_ranked"] == 3
    for path in (out, report, d / "r.csv.manifest.json"):
        assert path.stat().st_mode & 0o777 == 0o600
    leftovers = [p.name for p in d.iterdir() if p.name.endswith(_output.TEMP_SUFFIX)]
    assert leftovers == []


def test_a_failed_commit_leaves_every_old_file_and_no_temporary_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    a, b = tmp_path / "a.csv", tmp_path / "b.json"
    a.write_text("old a\n", encoding="utf-8")
    b.write_text("old b\n", encoding="utf-8")
    real_fdopen = os.fdopen
    calls = []

    def failing_fdopen(fd: int, *args: Any, **kwargs: Any) -> Any:
        calls.append(fd)
        if len(calls) == 2:  # the second file cannot be written (disk full)
            os.close(fd)
            raise OSError(28, "No space left on device")
        return real_fdopen(fd, *args, **kwargs)

    monkeypatch.setattr(_output.os, "fdopen", failing_fdopen)
    with pytest.raises(OSError, match="No space"):
        _output.commit_outputs([(a, "new a\n"), (b, "new b\n")])
    assert a.read_text(encoding="utf-8") == "old a\n"
    assert b.read_text(encoding="utf-8") == "old b\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "b.json"]


def test_temporary_files_of_killed_runs_are_removed_and_others_kept(tmp_path: Path) -> None:
    target = tmp_path / "r.csv"
    dead = tmp_path / f".r.csv{_output.TEMP_MARK}999999999-abc123{_output.TEMP_SUFFIX}"
    alive = tmp_path / f".r.csv{_output.TEMP_MARK}{os.getppid()}-def456{_output.TEMP_SUFFIX}"
    old = tmp_path / f".r.csv{_output.TEMP_MARK}{os.getppid()}-old789{_output.TEMP_SUFFIX}"
    unrelated = tmp_path / ".r.csv.mine.tmp"
    for path in (dead, alive, old, unrelated):
        path.write_text("offender ids\n", encoding="utf-8")
    os.utime(old, (0, 0))  # a day old or more: the pid may have been reused
    _output.commit_outputs([(target, "new\n")])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [target.name, alive.name, unrelated.name]
    )


_SLOW_COMMIT = """
import sys, time
import crimeharm.io.write as w
from crimeharm import cli
def slow(tmp, target):
    print("writing", flush=True)
    time.sleep(60)
w._install = slow
sys.exit(cli.main(sys.argv[1:]))
"""


def test_sigterm_removes_temporary_files_and_writes_nothing(events_csv: Path) -> None:
    out = events_csv.parent / "r.csv"
    argv = rank_args(events_csv, "-o", str(out))
    proc = subprocess.Popen(
        [sys.executable, "-c", _SLOW_COMMIT, *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline() == "writing\n"  # both files are written, not yet renamed
    assert any(p.name.endswith(_output.TEMP_SUFFIX) for p in events_csv.parent.iterdir())
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143
    assert err == "crimeharm: terminated\n"
    assert sorted(p.name for p in events_csv.parent.iterdir()) == ["events.csv"]


def test_temporary_files_of_a_run_killed_with_sigkill_are_removed_by_the_next_run(
    capsys: pytest.CaptureFixture[str], events_csv: Path
) -> None:
    out = events_csv.parent / "r.csv"
    argv = rank_args(events_csv, "-o", str(out))
    proc = subprocess.Popen(
        [sys.executable, "-c", _SLOW_COMMIT, *argv], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert proc.stdout.readline() == "writing\n"
    proc.kill()  # SIGKILL: no handler runs, the temporary files stay
    proc.communicate(timeout=60)
    left = [p.name for p in events_csv.parent.iterdir() if p.name.endswith(_output.TEMP_SUFFIX)]
    assert len(left) == 2  # the ranking's and the manifest's
    assert run(capsys, *argv)[0] == 0
    names = sorted(p.name for p in events_csv.parent.iterdir())
    assert names == ["events.csv", "r.csv", "r.csv.manifest.json"]


_RACER = """
import sys
from crimeharm import cli
argv = sys.argv[1:]
for _ in range(6):
    if cli.main(argv) != 0:
        sys.exit(1)
"""


def test_two_runs_racing_for_one_output_never_mix_ranking_and_manifest(events_csv: Path) -> None:
    out = events_csv.parent / "r.csv"
    runs = [
        rank_args(events_csv, "-o", str(out)),
        rank_args(events_csv, "-o", str(out), "--half-life", "30"),
    ]
    procs = [
        subprocess.Popen([sys.executable, "-c", _RACER, *argv], stderr=subprocess.DEVNULL)
        for argv in runs
    ]
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    manifest = json.loads((events_csv.parent / "r.csv.manifest.json").read_text("utf-8"))
    assert manifest["output"]["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert cli.main(["verify", str(out)]) == 0
    assert not [p for p in events_csv.parent.iterdir() if p.name.endswith(_output.TEMP_SUFFIX)]


def test_a_second_commit_waits_while_the_first_is_between_its_renames(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import threading

    ranking, manifest = tmp_path / "r.csv", tmp_path / "r.csv.manifest.json"
    midway, release = threading.Event(), threading.Event()
    real_install = _output._install

    def install(tmp: Path, target: Path) -> None:
        real_install(tmp, target)
        if threading.current_thread().name == "first" and target == ranking:
            midway.set()  # the first run has renamed its ranking, not yet its manifest
            release.wait(60)

    monkeypatch.setattr(_output, "_install", install)
    files = {name: [(ranking, f"{name}\n"), (manifest, f"{name}\n")] for name in ("A", "B")}
    first = threading.Thread(target=_output.commit_outputs, args=(files["A"],), name="first")
    second = threading.Thread(target=_output.commit_outputs, args=(files["B"],), name="second")
    first.start()
    assert midway.wait(60)
    second.start()
    second.join(0.5)
    # the second commit holds back (without the folder lock it would rename both files now)
    assert second.is_alive()
    assert ranking.read_text(encoding="utf-8") == "A\n"
    release.set()
    first.join(60)
    second.join(60)
    assert ranking.read_text(encoding="utf-8") == manifest.read_text(encoding="utf-8") == "B\n"


# -- issue 10: CSV cells a spreadsheet would run ---------------------------------------------------

DANGEROUS_IDS = ["=1+1", "+4412", "-7", "@SUM(A1)", "'=already"]  # the reader trims tab, CR


def test_formula_like_ids_and_codes_are_escaped_in_csv_and_tsv(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "events.csv"
    rows = [f'"{i}",046/00,2023-07-01' for i in DANGEROUS_IDS]
    path.write_text("offender_id,offence_code,date\n" + "\n".join(rows) + "\n", encoding="utf-8")
    for fmt, delimiter in (("csv", ","), ("tsv", "\t")):
        argv = rank_args(path, "--id-type", "str", "--format", fmt)
        status, out, _ = run(capsys, *argv)
        assert status == 0
        ids = [r["offender_id"] for r in csv.DictReader(io.StringIO(out), delimiter=delimiter)]
        assert sorted(ids) == sorted("'" + i for i in DANGEROUS_IDS)
        assert sorted(_output.unescape_cell(i) for i in ids) == sorted(DANGEROUS_IDS)
        status, out, _ = run(capsys, *argv, "--no-csv-escape")
        raw = [r["offender_id"] for r in csv.DictReader(io.StringIO(out), delimiter=delimiter)]
        assert sorted(raw) == sorted(DANGEROUS_IDS)


def test_explain_csv_escapes_offence_codes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "offender_id,offence_code,date\n7,=HYPERLINK(x),2023-07-01\n7,046/00,2023-07-02\n",
        encoding="utf-8",
    )
    argv = ["explain", str(path), "--offender", "7", "--as-of", AS_OF, "--fallback-weight", "1"]
    status, out, _ = run(capsys, *argv, "--format", "csv")
    assert status == 0
    cells = [c for row in csv.reader(io.StringIO(out)) for c in row]
    assert "'=HYPERLINK(x)" in cells
    assert not [c for c in cells if c[:1] in _output.FORMULA_STARTS and not _is_number(c)]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=12))
def test_escape_cell_round_trips_and_never_starts_a_formula(text: str) -> None:
    escaped = _output.escape_cell(text)
    assert _output.unescape_cell(escaped) == text
    assert escaped[:1] not in _output.FORMULA_STARTS
    assert escaped == text or escaped == "'" + text


# Python's csv reader turns a lone CR inside a quoted field into a line break: not our writer's
# doing, so the file-level round trip leaves CR out (escape_cell's test above covers it).
_CSV_TEXT = st.text(alphabet=st.characters(blacklist_characters="\r"), max_size=12)


@settings(max_examples=200, deadline=None)
@given(st.lists(_CSV_TEXT, min_size=1, max_size=8))
def test_csv_escaping_round_trips_and_leaves_no_formula_start(cells: list[str]) -> None:
    text = _output.records_csv({"id": cells})
    read = [row[0] if row else "" for row in csv.reader(io.StringIO(text, newline=""))][1:]
    assert [_output.unescape_cell(c) for c in read] == cells
    assert not [c for c in read if c[:1] in _output.FORMULA_STARTS]
    assert _output.records_csv({"id": cells}, escape=False).count("'") == "".join(cells).count("'")


# -- issue 10: verify ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["r.csv", "r.tsv", "r.json", "r.txt"])
def test_verify_is_0_when_identical_and_1_naming_the_first_difference(
    capsys: pytest.CaptureFixture[str], events_csv: Path, name: str
) -> None:
    out = events_csv.parent / name
    argv = rank_args(events_csv, "-o", str(out), "--where", "victim_sex=F", "--half-life", "365")
    assert run(capsys, *argv)[0] == 0
    status, stdout, _ = run(capsys, "verify", str(out))
    assert status == 0
    assert stdout.startswith(f"crimeharm verify: {name} is identical to a new score")
    original = out.read_text(encoding="utf-8")
    out.write_text(original.replace("777202", "777209"), encoding="utf-8")
    status, stdout, err = run(capsys, "verify", str(out))
    assert status == 1
    assert f"{name} DIFFERS:" in stdout
    assert "777" not in stdout + err  # named by line, rank and field, never by id
    if name != "r.txt":
        assert "rank 1" in stdout
        assert "offender_id" in stdout


def test_verify_names_changed_events_and_bad_input(
    capsys: pytest.CaptureFixture[str], events_csv: Path
) -> None:
    out = events_csv.parent / "r.csv"
    assert run(capsys, *rank_args(events_csv, "-o", str(out)))[0] == 0
    changed = events_csv.parent / "changed.csv"
    changed.write_text(HEADER + "\n".join(ROWS[:-1]) + "\n", encoding="utf-8")
    status, stdout, _ = run(capsys, "verify", str(out), "--events", str(changed))
    assert status == 1
    assert "the events have 5 rows, the manifest records 6" in stdout
    status, _, err = run(capsys, "verify", str(events_csv))
    assert status == 2
    assert err.startswith("crimeharm: error: no manifest for")
    (events_csv.parent / "r.csv.manifest.json").write_text("{", encoding="utf-8")
    assert run(capsys, "verify", str(out))[0] == 2


# -- issue 10: no internal error reaches the user -------------------------------------------------


@pytest.mark.parametrize(
    ("more", "message"),
    [
        (["--decay", "linear", "--decay-param", "horizon_days=abc"], "decay 'linear': bad param"),
        (["--decay", "exponential", "--decay-param", "half_life_days=[1]"], "decay 'exponential'"),
        (["--window-days", "0"], "argument --window-days: must be a whole number >= 1 (got '0')"),
        (["--window-days", "-10"], "argument --window-days: must be a whole number >= 1 (got '-"),
        (["--top", "-1"], "argument --top: must be a whole number >= 0 (got '-1')"),
    ],
)
def test_bad_option_values_are_one_line_errors(
    capsys: pytest.CaptureFixture[str], events_csv: Path, more: list[str], message: str
) -> None:
    status, _, err = run(capsys, *rank_args(events_csv, *more))
    assert status == 2
    assert message in err
    assert "internal error" not in err


def test_where_matching_nothing_warns(capsys: pytest.CaptureFixture[str], events_csv: Path) -> None:
    status, _, err = run(capsys, *rank_args(events_csv, "--where", "victim_sex=Q"))
    assert status == 0
    assert err == "crimeharm: warning: --where victim_sex=Q matches none of the 6 rows\n"


# -- issue 10: privacy -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "offender_id,offence_code,date\n777101,046/00,2023-13-45\n",  # bad date
        "offender_id,offence_code,date\n777101,999/99,2023-07-01\n",  # unknown code
        "offender_id,offence_code,date\n777101,046/00\n",  # short row
        "offender_id,offence_code,when\n777101,046/00,2023-07-01\n",  # missing column
    ],
)
def test_error_messages_never_print_an_id(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, body: str
) -> None:
    path = tmp_path / "events.csv"
    path.write_text(body, encoding="utf-8")
    status, out, err = run(capsys, *rank_args(path))
    assert status == 2
    assert "777101" not in out + err


def test_a_file_without_its_header_row_is_an_error_that_prints_no_id(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "events.csv"
    path.write_text("777101,046/00,2023-07-01\n777102,046/00,2023-07-02\n", encoding="utf-8")
    status, out, err = run(capsys, *rank_args(path))
    assert status == 2
    assert "777101" not in out + err


def test_pseudonymise_command_with_a_key_from_the_environment_or_a_file(
    capsys: pytest.CaptureFixture[str], events_csv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crimeharm.audit.pseudonymise import KEY_ENV

    d = events_csv.parent
    ranking = d / "r.csv"
    assert run(capsys, *rank_args(events_csv, "-o", str(ranking)))[0] == 0
    monkeypatch.delenv(KEY_ENV, raising=False)
    status, _, err = run(capsys, "pseudonymise", str(ranking), "-o", str(d / "p.csv"))
    assert status == 2
    assert KEY_ENV in err
    monkeypatch.setenv(KEY_ENV, "a key of at least sixteen bytes")
    assert run(capsys, "pseudonymise", str(ranking), "-o", str(d / "p.csv"))[0] == 0
    key_file = d / "key"
    key_file.write_bytes(b"a key of at least sixteen bytes")
    monkeypatch.delenv(KEY_ENV)
    argv = ["pseudonymise", str(ranking), "-o", str(d / "q.csv"), "--key-file", str(key_file)]
    status, _, err = run(capsys, *argv)
    assert status == 0
    assert "777" not in err
    assert (d / "p.csv").read_bytes() == (d / "q.csv").read_bytes()  # the same key either way
    original = list(csv.DictReader(io.StringIO(ranking.read_text(encoding="utf-8"))))
    pseudonymised = list(csv.DictReader(io.StringIO((d / "p.csv").read_text(encoding="utf-8"))))
    key = b"a key of at least sixteen bytes"
    expected = ch.pseudonymise_ids([r["offender_id"] for r in original], key).tolist()
    assert [r["offender_id"] for r in pseudonymised] == expected  # no tie in this ranking
    assert [r["harm"] for r in pseudonymised] == [r["harm"] for r in original]
    events_out = d / "events-p.csv"
    argv = ["pseudonymise", str(events_csv), "-o", str(events_out), "--key-file", str(key_file)]
    assert run(capsys, *argv)[0] == 0
    rows = list(csv.DictReader(io.StringIO(events_out.read_text(encoding="utf-8"))))
    assert [r["date"] for r in rows] == [r.split(",")[2] for r in ROWS]
    assert "777101" not in events_out.read_text(encoding="utf-8")
    status, _, err = run(capsys, "pseudonymise", str(ranking), "-o", str(d / "x.csv"), "--key", "k")
    assert status == 2  # a key is never a command-line literal
    argv = ["pseudonymise", str(ranking), "-o", str(key_file), "--key-file", str(key_file)]
    assert run(capsys, *argv)[0] == 2
    assert key_file.read_bytes() == b"a key of at least sixteen bytes"


# -- rank: one set of column names, readable counts ----------------------------------------------


def test_rank_formats_name_the_columns_alike(
    capsys: pytest.CaptureFixture[str], events_csv: Path
) -> None:
    expected = ["rank", "offender_id", "harm", "n_events", "first_date", "last_date", "victims"]
    _, table, _ = run(capsys, *rank_args(events_csv))
    header = next(line for line in table.splitlines() if line.startswith("rank"))
    assert header.split() == expected
    for fmt, delimiter in (("csv", ","), ("tsv", "\t")):
        _, out, _ = run(capsys, *rank_args(events_csv, "--format", fmt))
        assert out.splitlines()[0].split(delimiter) == expected
    _, out, _ = run(capsys, *rank_args(events_csv, "--format", "json"))
    assert list(json.loads(out)["ranking"][0]) == expected
    _, out, _ = run(capsys, *rank_args(events_csv, "--by", "victim_id", "--format", "csv"))
    assert out.splitlines()[0].split(",")[:3] == ["rank", "victim_id", "harm"]


def test_rank_table_counts_have_thousands_separators(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "many.csv"
    path.write_text(HEADER + "".join("5,046/00,2023-07-01,1,U\n" for _ in range(1234)))
    status, out, err = run(capsys, *rank_args(path))
    assert status == 0, err
    row = next(line for line in out.splitlines() if line.lstrip().startswith("1 "))
    assert row.split()[3] == "1,234"
    _, out, _ = run(capsys, *rank_args(path, "--format", "csv"))
    assert out.splitlines()[1].split(",")[3] == "1234"  # files keep plain numbers


def test_rank_top_zero_says_so(capsys: pytest.CaptureFixture[str], events_csv: Path) -> None:
    status, out, err = run(capsys, *rank_args(events_csv, "--top", "0"))
    assert status == 0, err
    assert "top 0 requested" in out
    assert "no offender has counted events" not in out
    _, out, _ = run(capsys, *rank_args(events_csv, "--as-of", "2000-01-01"))
    assert "(no offender has counted events)" in out


@pytest.mark.parametrize(
    ("more", "message"),
    [
        (["--half-life", "0"], "error: --half-life must be a positive finite number of days"),
        (
            ["--fallback-weight", "-1"],
            "error: --fallback-weight must be finite, >= 0 and <= 4,294,967,296 (2**32 days) "
            "(got -1.0)",
        ),
        (["--by", "nope"], "error: --by nope: the events have no such column"),
        (["--by", "date"], "error: --by must name the column to group by"),
        (["--decay", "linear"], "error: --decay linear needs --decay-param horizon_days=N\n"),
        (
            ["--decay", "linear", "--decay-param", "horizon=3"],
            "error: --decay linear has no parameter 'horizon'; it takes horizon_days\n",
        ),
        (
            ["--decay", "linear", "--decay-param", "horizon_days=-1"],
            "error: --decay-param horizon_days must be a positive finite number of days",
        ),
    ],
)
def test_option_errors_name_the_cli_flag(
    capsys: pytest.CaptureFixture[str], events_csv: Path, more: list[str], message: str
) -> None:
    status, out, err = run(capsys, *rank_args(events_csv, *more))
    assert (status, out) == (2, "")
    assert message in err
    for python in ("half_life_days must", "fallback_weight", "by=", "__init__", "on_unknown="):
        assert python not in err
