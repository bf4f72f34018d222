"""``crimeharm demo``: rank a synthetic force and show how concentrated harm is."""

from __future__ import annotations

import argparse
import sys
import time
from typing import IO, Any

import crimeharm as ch

from ..io import write as _output
from .common import (
    EXIT_OK,
    PROG,
    add_output_options,
    date_arg,
    emit,
    non_negative_int,
    output_format,
    positive_int,
    render,
)

#: The published figure the demo compares with (a key of concentration.PUBLISHED_FIGURES).
DEMO_FIGURE = "northamptonshire-2010-16"
DEMO_TOP_FRACTIONS = (0.01, 0.05, 0.07, 0.10)


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    from ..builtin.demo import DEFAULT_EVENTS

    demo = commands.add_parser(
        "demo",
        parents=[common],
        help="rank a synthetic police force's offenders and show how concentrated harm is",
        description=(
            "Generate a realistic synthetic force (about 36,000 offenders a year, real CCHI "
            "offence codes), rank it under cchi-2020 with no decay over every year generated, "
            "and compare the harm concentration with the published figure."
        ),
    )
    demo.add_argument(
        "--events",
        type=positive_int,
        default=DEFAULT_EVENTS,
        metavar="N",
        help=f"events to generate (default {DEFAULT_EVENTS:,}: five years of one force)",
    )
    demo.add_argument(
        "--seed", type=non_negative_int, default=20230718, help="random seed (default 20230718)"
    )
    demo.add_argument(
        "--years", type=positive_int, default=5, metavar="N", help="years of data (default 5)"
    )
    demo.add_argument(
        "--as-of", type=date_arg, default="2023-07-18", metavar="DATE", help="last day of the data"
    )
    demo.add_argument(
        "--save-events",
        metavar="FILE",
        help="also write the generated events as CSV to FILE (to try 'crimeharm rank' on)",
    )
    add_output_options(demo, default_top=20)
    demo.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from ..builtin.demo import make_demo_events
    from ..research.concentration import PUBLISHED_FIGURES, power_few, top_share

    output_format(args)  # from --output's extension when --format is not given
    asked = (("--output", args.output), ("--save-events", args.save_events))
    _output.check_outputs({label: path for label, path in asked if path is not None})
    started = time.perf_counter()
    events = make_demo_events(args.events, seed=args.seed, as_of=args.as_of, years=args.years)
    span = int((np.datetime64(args.as_of, "D") - events.date.min()).astype(int)) + 1
    if args.save_events:
        with _output.atomic_write(args.save_events, newline="") as fh:
            _output.write_events_csv(events, fh)
        sys.stderr.write(f"{PROG}: wrote {len(events):,} synthetic events to {args.save_events}\n")
    scores = ch.score(events, "cchi-2020", as_of=args.as_of, window_days=span)
    ranking = scores.ranking() if args.all else scores.top(args.top)
    published = next(f for f in PUBLISHED_FIGURES if f.key == DEMO_FIGURE)
    concentration = {
        "offenders": len(scores),
        "total_harm": float(scores.harm.sum()),
        "top_shares": {f"{p:g}": top_share(scores.harm, p) for p in DEMO_TOP_FRACTIONS},
        "power_few": {f"{published.harm_share:g}": power_few(scores.harm, published.harm_share)},
        "published": {
            "label": published.label,
            "top_fraction": published.top_fraction,
            "harm_share": published.harm_share,
            "doi": published.doi,
        },
    }
    elapsed = time.perf_counter() - started

    header = [
        f"crimeharm demo: a synthetic police force, {len(events):,} events, "
        f"{len(scores):,} offenders over {args.years} years (seed {args.seed})",
        _output.describe_params(ranking.params, unit="days"),
        _output.describe_report(ranking.report),
    ]
    summary = _concentration_text(concentration)
    extra = {"demo": {"events": len(events), "seed": args.seed}, "concentration": concentration}
    text = render(ranking, args.format, header, extra, escape=args.csv_escape)
    if args.format == "table" and args.output is None:
        text += "\n" + summary
    emit(text, args.output, rows=len(ranking))
    if args.format in ("csv", "tsv") or (args.format == "table" and args.output is not None):
        target: IO[str] = sys.stderr if args.format in ("csv", "tsv") else sys.stdout
        target.write(summary)
    if args.debug:
        sys.stderr.write(f"{PROG}: demo took {elapsed:.2f} s\n")
    return EXIT_OK


def _concentration_text(c: dict[str, Any]) -> str:
    lines = [
        f"Harm concentration over {c['offenders']:,} offenders "
        f"(total harm {c['total_harm']:,.0f} days):"
    ]
    for share, held in c["top_shares"].items():
        lines.append(
            f"  top {100 * float(share):3.0f}% of offenders hold {100 * held:5.1f}% of harm"
        )
    for share, fraction in c["power_few"].items():
        lines.append(
            f"  {100 * float(share):.0f}% of harm is held by the top {100 * fraction:.1f}% "
            "of offenders"
        )
    p = c["published"]
    lines.append(
        f"Published: {100 * p['harm_share']:.0f}% of harm held by {100 * p['top_fraction']:.0f}% "
        f"of offenders ({p['label']}; doi:{p['doi']})"
    )
    return "\n".join(lines) + "\n"
