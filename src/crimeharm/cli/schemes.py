"""``crimeharm schemes``: the registered weight schemes."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import crimeharm as ch

from ..io import write as _output
from .common import EXIT_OK


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    schemes = commands.add_parser(
        "schemes",
        parents=[common],
        help="list the registered weight schemes",
        description="List every weight scheme (built in or from plugins) with its provenance.",
    )
    schemes.add_argument("--format", choices=_output.FORMATS, default="table")
    schemes.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    info = ch.scheme_info()
    columns = ["name", "version", "unit", "key_system", "plugin", "source"]
    if args.format == "json":
        sys.stdout.write(json.dumps(info, indent=2) + "\n")
    elif args.format == "csv":
        sys.stdout.write(_output.records_csv({c: [row[c] for row in info] for c in columns}))
    else:
        rows = [{**row, "source": _shorten(row["source"], 70)} for row in info]
        sys.stdout.write(_output.format_table(rows, columns) + "\n")
    return EXIT_OK


def _shorten(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3].rstrip() + "..."
