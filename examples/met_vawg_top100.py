"""The use case that started crimeharm: a force's top 100 offenders against women and girls.

In July 2023 the Metropolitan Police began using the Cambridge Crime Harm Index to assess the
offenders reported each year for violence against women and girls (VAWG) and to rank the 100
who pose the highest risk. This script does the same calculation end to end on a synthetic
force (``crimeharm.builtin.demo``: real CCHI offence codes, invented people):

1. generate five years of a force's recorded offences;
2. keep sexual offences and violence against the person with a female victim;
3. score every offender with the CCHI 2020 over a five-year window, halving an offence's
   weight for every year of its age;
4. print the top 100, where every input row went, and how concentrated the harm is.

Run ``python examples/met_vawg_top100.py --help`` for the options. The ids printed are the
synthetic data's pseudonymous ids. With real data, print ids only where the output is meant
to go, and have every name on such a list reviewed by a person before anyone acts on it: a
harm score measures recorded offending, not future risk (see docs/concepts.md).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import numpy as np

import crimeharm as ch
from crimeharm.builtin.demo import DEFAULT_EVENTS, make_demo_events
from crimeharm.research.concentration import concentration

AS_OF = "2023-07-18"  # the day the Met's approach was reported; the demo data ends here
WINDOW_DAYS = 1826  # five years, including one leap day
HALF_LIFE_DAYS = 365  # an offence counts half after one year, a quarter after two
GROUPS = ("SEXUAL OFFENCES", "VIOLENCE AGAINST THE PERSON")  # offence groups of the scheme
VICTIM_SEX = "F"  # the demo's victim_sex column: "F", "M", or "U" (no individual victim)


def vawg_events(events: ch.Events, scheme: ch.WeightScheme) -> ch.Events:
    """Sexual offences and violence against the person with a female victim."""
    return events.select(scheme=scheme, groups=list(GROUPS), where={"victim_sex": VICTIM_SEX})


def vawg_scores(events: ch.Events, *, as_of: str = AS_OF) -> ch.Scores:
    """CCHI 2020 harm of every offender in the VAWG subset, as of ``as_of``."""
    scheme = ch.get_scheme("cchi-2020")
    return ch.score(
        vawg_events(events, scheme),
        scheme,
        as_of=as_of,
        window_days=WINDOW_DAYS,
        decay=ch.get_decay("exponential", half_life_days=HALF_LIFE_DAYS),
    )


def format_top(top: ch.Ranking) -> str:
    """The ranking as a fixed-width table (harm in CCHI days)."""
    lines = [
        f"{'rank':>4}  {'offender':>10}  {'harm (days)':>11}  {'offences':>8}  "
        f"{'victims':>7}  {'last offence':>12}"
    ]
    victims = top.victims if top.victims is not None else np.zeros(len(top), dtype=np.int64)
    for rank, who, harm, count, n_victims, last in zip(
        top.rank.tolist(),
        top.offender_id.tolist(),
        top.harm.tolist(),
        top.count.tolist(),
        victims.tolist(),
        top.last.astype(str).tolist(),
        strict=True,
    ):
        lines.append(
            f"{rank:>4}  {who!s:>10}  {harm:>11,.1f}  {count:>8}  {n_victims:>7}  {last:>12}"
        )
    return "\n".join(lines)


def format_concentration(scores: ch.Scores, n_top: int) -> str:
    """How much of the harm the top n, and the top 1/5/10% of offenders, account for."""
    c = concentration(scores, top=(0.01, 0.05, 0.10), shares=(0.5, 0.8))
    top_harm = float(scores.top(n_top).harm.sum())
    lines = [
        f"offenders with VAWG harm: {c.n_units:,}; total harm {c.total:,.1f} days",
        f"the top {n_top} hold {100 * top_harm / c.total:.1f}% of the harm",
    ]
    lines += [
        f"the top {100 * p:g}% of offenders hold {100 * share:.1f}% of the harm"
        for p, share in c.top_shares.items()
    ]
    lines += [
        f"{100 * share:g}% of the harm comes from {100 * fraction:.1f}% of offenders"
        for share, fraction in c.power_few.items()
    ]
    lines.append(f"Gini coefficient: {c.gini:.3f}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Generate the demo force, score it and print the VAWG top n."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=DEFAULT_EVENTS, help="events to generate")
    parser.add_argument("--seed", type=int, default=20230718, help="random seed of the demo")
    parser.add_argument("--top", type=int, default=100, help="how many offenders to list")
    args = parser.parse_args(argv)

    events = make_demo_events(args.events, seed=args.seed, as_of=AS_OF, years=5)
    in_groups = events.select(scheme=ch.get_scheme("cchi-2020"), groups=list(GROUPS))
    scores = vawg_scores(events)
    top = scores.top(args.top)

    print(f"Synthetic force: {len(events):,} recorded offences in the five years to {AS_OF}")
    print(f"  {len(in_groups):,} sexual offences or violence against the person")
    print(f"  {scores.report.counted:,} of them against a woman or girl, in the window")
    print(
        f"Scored with CCHI 2020 (days), window {WINDOW_DAYS} days, half-life {HALF_LIFE_DAYS} days"
    )
    print()
    print(f"Top {len(top)} by harm (pseudonymous synthetic ids)")
    print(format_top(top))
    print()
    print("Where every row went")
    print(scores.report.summary())
    print()
    print("How concentrated the harm is")
    print(format_concentration(scores, args.top))
    print()
    print("A harm score measures recorded offending, not future risk: review every name.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
