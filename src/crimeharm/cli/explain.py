"""``crimeharm explain``: one offender's events, contributions and exclusions."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..io import write as _output
from ..research.explain import SORT_KEYS, TABLE_LIMIT
from .common import (
    EXIT_OK,
    InputError,
    add_scoring_input,
    decay_from_args,
    non_negative_int,
    read_events,
    refuse_overwriting_input,
    scheme_from_args,
    select,
    unknown_policy,
)


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    explain = commands.add_parser(
        "explain",
        parents=[common],
        help="show how one offender's harm is made up, event by event",
        description=(
            "List the events of one offender in EVENTS with their offence, weight, age, decay "
            "factor and contribution, largest contribution first (the contributions add up to "
            "the offender's harm exactly as 'rank' computes it; the total is printed as 'rank' "
            "prints it), and the events that do not count with their reason. The table lists "
            "the largest contributions and one line on the rest (how many, their harm and "
            "share); --all lists every event."
        ),
    )
    explain.add_argument(
        "--offender", required=True, metavar="ID", help="the offender id (or --by value) to explain"
    )
    add_scoring_input(explain)
    out = explain.add_argument_group("output")
    out.add_argument(
        "--sort",
        choices=SORT_KEYS,
        default="contribution",
        help="order of the events: contribution (largest first, default), date or row",
    )
    shown = out.add_mutually_exclusive_group()
    shown.add_argument(
        "--limit",
        type=non_negative_int,
        default=TABLE_LIMIT,
        metavar="N",
        help=f"table: list the N largest contributions and summarise the rest (default "
        f"{TABLE_LIMIT})",
    )
    shown.add_argument(
        "--all", action="store_true", help="table: list every counted and excluded event"
    )
    out.add_argument("--format", choices=_output.FORMATS, default="table")
    out.add_argument("--output", "-o", metavar="FILE", help="write to FILE (atomically)")
    explain.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ..research.explain import explain

    refuse_overwriting_input(args)
    scheme = scheme_from_args(args)
    decay = decay_from_args(args)
    on_unknown, fallback = unknown_policy(args)
    events = select(read_events(args), args, scheme)
    offender: Any = args.offender.strip()
    if args.by not in events.column_names:
        msg = f"--by {args.by}: {args.events} has no such column"
        raise InputError(msg)
    if events[args.by].dtype.kind in "iu":
        try:
            offender = int(offender)
        except ValueError:
            msg = (
                f"--offender {args.offender!r}: the {args.by} values in {args.events} are integers"
            )
            raise InputError(msg) from None
    try:
        result = explain(
            events,
            scheme,
            offender,
            as_of=args.as_of,
            window_days=args.window_days,
            decay=decay,
            on_unknown=on_unknown,  # type: ignore[arg-type]  # argparse choices guard it
            fallback_weight=fallback,
            by=args.by,
        )
    except KeyError:
        which = "offender" if args.by == "offender_id" else args.by
        msg = f"--offender: no event of that {which} in {args.events}"
        raise InputError(msg) from None
    if args.format == "json":
        text = json.dumps(result.to_dict(args.sort), indent=2, default=str) + "\n"
    elif args.format == "csv":
        records = result.to_records(args.sort)
        columns = list(records[0]) if records else ["row"]
        text = _output.records_csv({c: [r[c] for r in records] for c in columns})
    else:
        limit = None if args.all else args.limit
        text = result.table(sort=args.sort, limit=limit, all_hint="--all") + "\n"
    if args.output is None:
        sys.stdout.write(text)
    else:
        with _output.atomic_write(args.output) as fh:
            fh.write(text)
    return EXIT_OK
