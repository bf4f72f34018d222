"""``crimeharm rank``: rank offenders in an events file by harm."""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from typing import Any

import crimeharm as ch

from ..io import write as _output
from .common import (
    EXIT_OK,
    PROG,
    add_output_options,
    add_scoring_input,
    check_paths,
    decay_from_args,
    filters_of,
    output_format,
    read_events,
    reading_record,
    render,
    scheme_from_args,
    select,
    unknown_policy,
)


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    rank = commands.add_parser(
        "rank",
        parents=[common],
        help="rank offenders in an events file by harm",
        description=(
            "Score every offender in EVENTS (CSV or Parquet: one row per offence) and print "
            "the offenders with the most harm. Harm is the sum over counted events of "
            "weight(offence) * decay(age in days)."
        ),
    )
    add_scoring_input(rank)
    reports = rank.add_argument_group("reporting")
    reports.add_argument(
        "--report",
        metavar="FILE",
        help="write the row accounting and parameters as JSON to FILE (no offender ids)",
    )
    add_output_options(rank, default_top=100)
    rank.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    fmt = output_format(args)
    check_paths(args, manifest=True)  # before anything is read: no output may replace an input
    scheme = scheme_from_args(args)
    decay = decay_from_args(args)
    on_unknown, fallback = unknown_policy(args)
    filters = filters_of(args)
    read = read_events(args)
    events = select(read, args, scheme)
    options: dict[str, Any] = {
        "as_of": args.as_of,
        "window_days": args.window_days,
        "decay": decay,
        "on_unknown": on_unknown,
        "fallback_weight": fallback,
        "by": args.by,
    }
    if args.all:
        ranking = ch.score(events, scheme, **options).ranking()
    else:
        ranking = ch.top(events, scheme, n=args.top, **options)
    report = ranking.report
    if args.on_error == "skip" or on_unknown == "skip":
        sys.stderr.write(report.summary() + "\n")
    header = [
        f"crimeharm ranking of {args.events}: "
        + ("every " if args.all else f"top {args.top} ")
        + ("offender" if args.by == "offender_id" else f"{args.by} value")
        + ("" if args.all else "s")
        + " by harm",
        _output.describe_params(ranking.params, unit=scheme.unit),
        _output.describe_report(report),
    ]
    text = render(ranking, fmt, header, escape=args.csv_escape)
    files: list[tuple[str, str]] = []
    stale: list[str] = []
    if args.output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:  # the manifest, so the ranking can be reproduced, audited and verified later
        from ..audit.manifest import Manifest, manifest_path_for

        written = {
            "path": str(args.output),
            "format": fmt,
            "header": header if fmt == "table" else [],
            "csv_escape": bool(args.csv_escape),
            "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        }
        manifest = Manifest.from_result(
            ranking,
            read,
            filters=filters,
            reading=reading_record(args),
            output=written,
            scheme=scheme,
        )
        manifest_path = str(manifest_path_for(args.output))
        files += [(args.output, text), (manifest_path, manifest.to_json() + "\n")]
        stale.append(manifest_path)
    if args.report:
        document = {
            "crimeharm_version": ch.__version__,
            "input": str(args.events),
            "params": ranking.params.to_dict(),
            "filters": filters,
            "report": report.to_dict(),
            "offenders_ranked": len(ranking),
        }
        files.append((args.report, json.dumps(document, indent=2) + "\n"))
    _output.commit_outputs(files, remove=stale)  # all or nothing, never mixed with another run
    if args.output is not None:
        sys.stderr.write(f"{PROG}: wrote {len(ranking):,} ranked offenders to {args.output}\n")
        sys.stderr.write(f"{PROG}: wrote the manifest to {files[1][0]}\n")
    return EXIT_OK
