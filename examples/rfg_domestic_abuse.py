"""RFGV scoring of serial domestic-abuse perpetrators, MATAC style (demo force data).

A force would select its domestic-abuse-flagged crimes (``events.select(where={"da_flag":
"Y"})``); the synthetic demo data carries no such flag, so this example takes violence and
sexual offences against a person (a non-blank victim_id) as a stand-in. Perpetrators with at
least two victims in three years are eligible (as MATAC); each is banded 1-5 (quintiles over the
eligible) on recency, frequency, gravity (CCHI days) and victims, and ranked by the sum.

Run:  python examples/rfg_domestic_abuse.py [--events 327566] [--top 10]
"""

from __future__ import annotations

import argparse

import numpy as np

import crimeharm as ch
from crimeharm.builtin.demo import DEFAULT_EVENTS, make_demo_events
from crimeharm.plugins import get_scorer
from crimeharm.research.sensitivity import jaccard

AS_OF = "2023-07-18"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=DEFAULT_EVENTS, help="demo events")
    parser.add_argument("--top", type=int, default=10, help="rows of the ranking to print")
    args = parser.parse_args(argv)

    scheme = ch.get_scheme("cchi-2020")
    events = make_demo_events(args.events, seed=7)
    assert events.victim_id is not None
    against_person = events.take(events.victim_id != "", reason="no person victim")
    abuse = against_person.select(
        scheme=scheme, groups=["VIOLENCE AGAINST THE PERSON", "SEXUAL OFFENCES"]
    )
    print(
        f"{len(events):,} demo events; {len(abuse):,} violent or sexual offences against a person"
    )

    model = get_scorer(
        "rfgv"
    )  # = crimeharm.research.rfg.RFGModel.rfgv(): window 1096 days, 2+ victims
    result = model.score(abuse, scheme, as_of=AS_OF)
    eligible = int(np.count_nonzero(result.eligible))
    print(f"{len(result):,} perpetrators in the last 3 years; {eligible:,} with 2+ victims")
    print("bands in effect: least value reaching band 2, 3, 4, 5 (recency: most days, 5 to 2)")
    for name, cuts in result.thresholds.items():
        print(f"  {name:<9} {', '.join(f'{c:g}' for c in cuts)}")

    top = result.top(args.top)
    print(f"\n{'rank':>4} {'days':>5} {'events':>6} {'gravity':>8} {'victims':>7}  R F G V  total")
    for i in range(len(top)):
        bands = " ".join(
            str(top.bands[c][i]) for c in ("recency", "frequency", "gravity", "victims")
        )
        assert top.victims is not None
        print(
            f"{top.rank[i]:>4} {top.recency_days[i]:>5} {top.frequency[i]:>6} "
            f"{top.gravity[i]:>8,.0f} {top.victims[i]:>7}  {bands}  {top.composite[i]:>5g}"
        )

    # how different is RFGV from ranking the same eligible perpetrators by CCHI harm alone?
    n = min(50, eligible)
    by_rfgv = result.top(n).offender_id
    order = np.lexsort((result.offender_id, -result.gravity))
    by_harm = result.offender_id[order][result.eligible[order]][:n]
    print(
        f"\noverlap of the RFGV top {n} with the top {n} by harm alone: "
        f"Jaccard {jaccard(by_rfgv, by_harm):.2f}"
    )


if __name__ == "__main__":
    main()
