"""``crimeharm demo``: rank a synthetic force and show how concentrated harm is.

The force is [`make_demo_events`][crimeharm.make_demo_events], calibrated to Northamptonshire
Police 2010-16 (327,566 crimes by 39,545 offenders, 8.28 each; 7% of offenders linked to 80% of
the CCHI harm). The output says what the numbers are (days of custody, recorded past harm, not a
risk prediction), which figures the data are calibrated to and what to try next.
"""

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
DEFAULT_SEED = 20230718
#: Northamptonshire Police 2010-16: 327,566 crimes by 39,545 offenders.
PUBLISHED_EVENTS_PER_OFFENDER = 327_566 / 39_545
DEMO_TOP_FRACTIONS = (0.01, 0.05, 0.07, 0.10)


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    from ..builtin.demo import DEFAULT_EVENTS, DEFAULT_YEARS

    demo = commands.add_parser(
        "demo",
        parents=[common],
        help="rank a synthetic police force's offenders and show how concentrated harm is",
        description=(
            "Generate a realistic synthetic force (real CCHI offence codes; by default the size "
            "of Northamptonshire Police's 2010-16 data: 327,566 crimes, about 39,500 offenders), "
            "rank it under cchi-2020 with no decay over every year generated, and compare the "
            "harm concentration with the published figure it is calibrated to."
        ),
    )
    demo.add_argument(
        "--events",
        type=positive_int,
        default=DEFAULT_EVENTS,
        metavar="N",
        help=f"events to generate (default {DEFAULT_EVENTS:,}: {DEFAULT_YEARS} years of one force)",
    )
    demo.add_argument(
        "--seed",
        type=non_negative_int,
        default=DEFAULT_SEED,
        help=f"random seed (default {DEFAULT_SEED})",
    )
    demo.add_argument(
        "--years",
        type=positive_int,
        default=DEFAULT_YEARS,
        metavar="N",
        help=f"years of data (default {DEFAULT_YEARS})",
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
    progress = _Progress(enabled=args.events >= PROGRESS_EVENTS and sys.stderr.isatty())
    progress.show(f"generating {args.events:,} synthetic events")
    events = make_demo_events(args.events, seed=args.seed, as_of=args.as_of, years=args.years)
    span = int((np.datetime64(args.as_of, "D") - events.date.min()).astype(int)) + 1
    if args.save_events:
        with _output.atomic_write(args.save_events, newline="") as fh:
            _output.write_events_csv(events, fh)
        sys.stderr.write(f"{PROG}: wrote {len(events):,} synthetic events to {args.save_events}\n")
    progress.show(f"scoring {len(events):,} events")
    scores = ch.score(events, "cchi-2020", as_of=args.as_of, window_days=span)
    progress.done()
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
            "population": published.population,
        },
        "events": len(events),
        "events_per_offender": len(events) / max(len(scores), 1),
    }
    elapsed = time.perf_counter() - started

    header = [
        f"crimeharm demo: a synthetic police force, {len(events):,} events, "
        f"{len(scores):,} offenders over {args.years} years (seed {args.seed})",
        _output.describe_params(ranking.params, unit="days"),
        _output.describe_report(ranking.report),
    ]
    next_steps = _next_steps(args, span, ranking)
    summary = _concentration_text(concentration) + _MEANING + next_steps
    extra = {
        "demo": {"events": len(events), "seed": args.seed, "years": args.years, "unit": "days"},
        "concentration": concentration,
    }
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


#: Events from which ``crimeharm demo`` shows a progress line (when stderr is a terminal).
PROGRESS_EVENTS = 1_000_000

_MEANING = (
    "Harm is in days of custody: each recorded crime counts its CCHI weight (the sentencing\n"
    "starting point for the offence), summed per offender. It measures recorded past harm;\n"
    "it is not a prediction of risk, and a ranking is for human review, not a decision.\n"
)


class _Progress:
    """One line on stderr, rewritten in place, cleared at the end (only on a terminal)."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled

    def show(self, text: str) -> None:
        if self.enabled:
            sys.stderr.write(f"\r\x1b[K{PROG} demo: {text} ...")
            sys.stderr.flush()

    def done(self) -> None:
        if self.enabled:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


def _next_steps(args: argparse.Namespace, span: int, ranking: Any) -> str:
    """What to try next, with an offender id this demo contains."""
    from ..builtin.demo import DEFAULT_EVENTS, DEFAULT_YEARS

    if len(ranking) == 0:
        return ""
    options = f"--as-of {args.as_of} --window-days {span}"
    source = "demo.csv"
    save = f"crimeharm demo --save-events {source}"
    if (args.events, args.seed, args.years) != (DEFAULT_EVENTS, DEFAULT_SEED, DEFAULT_YEARS):
        save += f" --events {args.events} --seed {args.seed} --years {args.years}"
    if args.save_events:
        source, save = args.save_events, ""
    lines = ["Next:"]
    if save:
        lines.append(f"  {save}")
    lines += [
        f"  crimeharm explain {source} --offender {ranking.offender_id[0]} {options}",
        f"  crimeharm report {source} {options} --top 100 -o report.html",
    ]
    return "\n".join(lines) + "\n"


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
    lines += [
        f"Calibrated to {p['label']} (doi:{p['doi']}):",
        f"  {p['population']}, {PUBLISHED_EVENTS_PER_OFFENDER:.2f} per offender; "
        f"{100 * p['top_fraction']:.0f}% of offenders held {100 * p['harm_share']:.0f}% of harm",
        f"  this demo: {c['events']:,} events, {c['offenders']:,} offenders, "
        f"{c['events_per_offender']:.2f} per offender",
    ]
    return "\n".join(lines) + "\n"
