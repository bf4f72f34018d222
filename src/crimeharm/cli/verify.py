"""``crimeharm verify``: re-read and re-score a ranking from its manifest; say if it is the same.

Exit status 0 when the ranking file is exactly what scoring its input again gives, 1 when it
differs (the first differing line, row or field is named, never the ids in it), 2 on bad input.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import sys
from pathlib import Path
from typing import Any

from ..errors import DataError
from .common import EXIT_OK, InputError, render

#: Exit status when the ranking differs from a fresh score.
EXIT_DIFFERS = 1


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    verify = commands.add_parser(
        "verify",
        parents=[common],
        help="check that a ranking file is what scoring its input again gives",
        description=(
            "Read the manifest beside RANKING (RANKING.manifest.json), read the events again "
            "with the recorded options, apply the recorded filters, score them with the "
            "recorded scheme and decay, and compare with RANKING. Exit status 0: identical; "
            "1: different (the first difference is named by line, rank and column, without "
            "printing ids); 2: bad input (no manifest, unreadable events)."
        ),
    )
    verify.add_argument("ranking", metavar="RANKING", help="a ranking file written by rank -o")
    verify.add_argument(
        "--events",
        metavar="FILE",
        help="the events file (default: the path recorded in the manifest)",
    )
    verify.add_argument(
        "--manifest", metavar="FILE", help="the manifest (default: RANKING.manifest.json)"
    )
    verify.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ..audit.manifest import Manifest, manifest_path_for

    ranking_path = Path(args.ranking)
    manifest_path = Path(args.manifest) if args.manifest else manifest_path_for(ranking_path)
    if not manifest_path.is_file():
        msg = f"no manifest for {args.ranking} (expected {manifest_path})"
        raise InputError(msg)
    manifest = Manifest.read(manifest_path)
    if manifest.result_kind != "ranking" or not manifest.output:
        msg = f"{manifest_path}: not the manifest of a ranking file written by 'crimeharm rank -o'"
        raise InputError(msg)
    text = ranking_path.read_text(encoding="utf-8")
    events_path = args.events or manifest.reading.get("path")
    if events_path is None:
        msg = f"{manifest_path} records no events file: pass --events FILE"
        raise InputError(msg)
    if args.events is None and not Path(events_path).exists():
        beside = manifest_path.parent / Path(events_path).name
        if beside.exists():
            events_path = str(beside)
    events = manifest.read_events(events_path)
    difference = _first_difference(manifest, events, text)
    name = ranking_path.name
    if difference is not None:
        sys.stdout.write(f"crimeharm verify: {name} DIFFERS: {difference}\n")
        return EXIT_DIFFERS
    sys.stdout.write(
        f"crimeharm verify: {name} is identical to a new score of {events_path} "
        f"({manifest.result_rows:,} offenders, {manifest.input_rows:,} rows)\n"
    )
    return EXIT_OK


def _first_difference(manifest: Any, events: Any, text: str) -> str | None:
    if len(events) != manifest.input_rows:
        return f"the events have {len(events):,} rows, the manifest records {manifest.input_rows:,}"
    if not manifest.verify(events):
        return "the events are not the ones the ranking was made from (their fingerprint differs)"
    try:
        result = manifest.rescore(events)
    except DataError as exc:
        msg = f"the events cannot be scored as recorded: {exc}"
        raise InputError(msg) from exc
    output = manifest.output
    fmt = str(output.get("format", "csv"))
    if fmt == "html":  # a tasking report: its result and its file's sha256 are checked
        if not manifest.matches(result):
            return "the new score differs from the result the manifest records"
        if hashlib.sha256(text.encode("utf-8")).hexdigest() != output.get("sha256"):
            return "the report file is not the one the manifest was written for (sha256 differs)"
        return None
    expected = render(
        result,
        fmt,
        list(output.get("header", [])),
        escape=bool(output.get("csv_escape", True)),
    )
    found = _compare(expected, text, fmt)
    if found is not None:
        return found
    if not manifest.matches(result):
        return "the new score differs from the result the manifest records"
    if hashlib.sha256(text.encode("utf-8")).hexdigest() != output.get("sha256"):
        return "the manifest was written for another ranking file (its sha256 differs)"
    return None


def _compare(expected: str, found: str, fmt: str) -> str | None:
    """The first difference of a ranking file from the expected text, named without values."""
    if fmt == "json":
        return _compare_json(expected, found)
    if fmt in ("csv", "tsv"):
        delimiter = "," if fmt == "csv" else "\t"
        want = list(csv.reader(io.StringIO(expected), delimiter=delimiter))
        got = list(csv.reader(io.StringIO(found), delimiter=delimiter))
        header = want[0] if want else []
        for line, (a, b) in enumerate(zip(want, got, strict=False), start=1):
            if a == b:
                continue
            if line == 1:
                return "line 1 (the header row) differs"
            column = next(
                (header[i] for i in range(min(len(a), len(b))) if a[i] != b[i]),
                "the number of fields",
            )
            return f"line {line} (rank {line - 1}): column {column!r} differs"
        if len(want) != len(got):
            return f"the file has {len(got) - 1:,} ranked rows, a new score gives {len(want) - 1:,}"
        return None
    want_lines, got_lines = expected.splitlines(), found.splitlines()
    for line, (want_line, got_line) in enumerate(zip(want_lines, got_lines, strict=False), 1):
        if want_line != got_line:
            return f"line {line} differs"
    if len(want_lines) != len(got_lines):
        return f"the file has {len(got_lines):,} lines, a new score gives {len(want_lines):,}"
    return None


def _compare_json(expected: str, found: str) -> str | None:
    want = json.loads(expected)
    try:
        got = json.loads(found)
    except json.JSONDecodeError:
        return "the file is not JSON"
    if not isinstance(got, dict):
        return "the file is not a JSON object"
    for key in want:
        if key == "ranking":
            continue
        if got.get(key) != want[key]:
            return f"field {key!r} differs"
    rows_want, rows_got = want.get("ranking", []), got.get("ranking", [])
    if not isinstance(rows_got, list):
        return "field 'ranking' is not a list"
    for i, (a, b) in enumerate(zip(rows_want, rows_got, strict=False), start=1):
        if a != b:
            field = next((k for k in a if not isinstance(b, dict) or b.get(k) != a[k]), "?")
            return f"ranking row {i} (rank {i}): field {field!r} differs"
    if len(rows_want) != len(rows_got):
        return f"the file has {len(rows_got):,} ranked rows, a new score gives {len(rows_want):,}"
    extra = sorted(set(got) - set(want))
    if extra:
        return f"field {extra[0]!r} is not in a new score"
    return None
