"""``crimeharm pseudonymise``: replace the ids in a ranking or events CSV by keyed pseudonyms."""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path
from typing import Any

from ..io import write as _output
from .common import EXIT_OK, PROG, InputError, check_paths, positive_int

#: Columns pseudonymised by default: in a ranking file, and in an events file (where present).
RANKING_COLUMNS = ("offender_id",)
EVENTS_COLUMNS = ("offender_id", "victim_id")


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    from ..audit.pseudonymise import KEY_ENV

    cmd = commands.add_parser(
        "pseudonymise",
        parents=[common],
        help="replace offender and victim ids in a ranking or events CSV by keyed pseudonyms",
        description=(
            "Write a copy of INPUT (a ranking written by 'crimeharm rank', or an events file; "
            "CSV, or TSV when the name ends in .tsv) whose id columns hold keyed pseudonyms "
            "(HMAC-SHA256, hex). The key comes from --key-file or the environment variable "
            f"{KEY_ENV}, never from the command line. Every other cell is copied unchanged. "
            "Pseudonymised data is still personal data: keep the key apart from it."
        ),
    )
    cmd.add_argument("input", metavar="INPUT", help="a ranking or events file (.csv or .tsv)")
    cmd.add_argument(
        "--output", "-o", required=True, metavar="FILE", help="the pseudonymised file to write"
    )
    cmd.add_argument(
        "--key-file",
        metavar="FILE",
        help=f"read the key (at least 16 bytes) from FILE (default: ${KEY_ENV})",
    )
    cmd.add_argument(
        "--column",
        action="append",
        metavar="NAME",
        help="a column to pseudonymise (repeatable; default offender_id, and victim_id in "
        "an events file)",
    )
    cmd.add_argument(
        "--length",
        type=positive_int,
        default=16,
        metavar="N",
        help="hex digits per pseudonym, 8 to 64 (default 16)",
    )
    cmd.add_argument(
        "--no-csv-escape",
        dest="csv_escape",
        action="store_false",
        help="write cells as they are (by default formula-like cells get a ' in front)",
    )
    cmd.set_defaults(handler=run)


def _delimiter(path: str) -> str:
    name = path.lower()
    if name.endswith(".tsv"):
        return "\t"
    if name.endswith((".csv", ".txt")):
        return ","
    msg = f"{path!r}: pseudonymise reads and writes .csv or .tsv files"
    raise InputError(msg)


def run(args: argparse.Namespace) -> int:
    from ..audit.pseudonymise import load_key, pseudonymise_ids

    args.events = args.input  # so check_paths treats it as the input
    check_paths(args)
    source = Path(args.input)
    if not source.exists():
        raise FileNotFoundError(2, "No such file or directory", str(source))
    read_delimiter, write_delimiter = _delimiter(args.input), _delimiter(args.output)
    key = load_key(args.key_file)
    with source.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=read_delimiter))
    if not rows:
        msg = f"{args.input}: empty file (no header row)"
        raise InputError(msg)
    header, body = rows[0], rows[1:]
    is_ranking = {"rank", "offender_id", "harm"} <= set(header)
    if args.column:
        columns = list(dict.fromkeys(args.column))
        missing = [c for c in columns if c not in header]
        if missing:
            msg = f"{args.input}: no column {missing[0]!r}; columns: {', '.join(header)}"
            raise InputError(msg)
    else:
        defaults = RANKING_COLUMNS if is_ranking else EVENTS_COLUMNS
        columns = [c for c in defaults if c in header]
        if not columns:
            msg = f"{args.input}: no offender_id or victim_id column; name one with --column"
            raise InputError(msg)
    for line, row in enumerate(body, start=2):
        if len(row) != len(header):
            msg = f"{args.input}, line {line}: {len(row)} fields, the header has {len(header)}"
            raise InputError(msg)
    cells = [[_output.unescape_cell(c) for c in row] for row in body]
    for name in columns:
        i = header.index(name)
        present = [r for r in cells if r[i] != ""]  # a missing id stays missing
        if present:
            hashed = pseudonymise_ids([r[i] for r in present], key, length=args.length)
            for r, value in zip(present, hashed.tolist(), strict=True):
                r[i] = value
    if is_ranking and "offender_id" in columns:
        cells = _reorder_ties(header, cells)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=write_delimiter, lineterminator="\n")
    escape = _output.escape_cell if args.csv_escape else str
    writer.writerow([escape(c) for c in header])
    writer.writerows([escape(c) for c in row] for row in cells)
    _output.commit_outputs([(args.output, buffer.getvalue())])
    sys.stderr.write(
        f"{PROG}: wrote {len(cells):,} rows to {args.output} with {', '.join(columns)} "
        "pseudonymised\n"
    )
    return EXIT_OK


def _reorder_ties(header: list[str], rows: list[list[str]]) -> list[list[str]]:
    """Rows of equal harm ordered by pseudonym (as ranking order breaks ties), ranks kept.

    Otherwise the order of tied rows would still follow the real ids.
    """
    h, o, r = header.index("harm"), header.index("offender_id"), header.index("rank")
    try:
        harms = [float(row[h].replace(",", "")) for row in rows]
    except ValueError:
        msg = "the harm column of the ranking is not numeric"
        raise InputError(msg) from None
    order = sorted(range(len(rows)), key=lambda k: (-harms[k], rows[k][o]))
    ranks = [row[r] for row in rows]
    out = [list(rows[k]) for k in order]
    for row, rank in zip(out, ranks, strict=True):
        row[r] = rank
    return out
