"""``crimeharm rank``: rank offenders in an events file by harm."""

from __future__ import annotations

import argparse
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
    decay_from_args,
    emit,
    read_events,
    refuse_overwriting_input,
    render,
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
    refuse_overwriting_input(args)
    scheme = ch.get_scheme(args.scheme)
    decay = decay_from_args(args)
    on_unknown, fallback = unknown_policy(args)
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
    emit(render(ranking, args.format, header), args.output, rows=len(ranking))
    if args.output is not None:  # so the ranking can be reproduced and audited later
        from ..audit.manifest import Manifest, write_manifest_next_to

        written = write_manifest_next_to(args.output, Manifest.from_result(ranking, read))
        sys.stderr.write(f"{PROG}: wrote the manifest to {written}\n")
    if args.report:
        document = {
            "crimeharm_version": ch.__version__,
            "input": str(args.events),
            "params": ranking.params.to_dict(),
            "report": report.to_dict(),
            "offenders_ranked": len(ranking),
        }
        with _output.atomic_write(args.report) as fh:
            fh.write(json.dumps(document, indent=2) + "\n")
    return EXIT_OK
