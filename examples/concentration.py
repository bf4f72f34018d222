"""How concentrated is harm? Gini, the "power few", by offence group and by victim.

Scores a synthetic force (``crimeharm.builtin.demo``, calibrated so that harm is about as
concentrated as published for Northamptonshire Police 2010-16) with the CCHI 2020 over all seven
years it covers and prints the share of harm held by the top 1%, 2%, 3%, 7% and 10% of
offenders, how few offenders hold 50/80/90% of it, the published "power few" figures next to
the same shares here, and the Gini by offence group and over victims.
"""

from __future__ import annotations

import crimeharm as ch
from crimeharm.builtin.demo import DEFAULT_YEARS, make_demo_events
from crimeharm.research.concentration import (
    compare_with_published,
    concentration,
    concentration_by_group,
    concentration_by_victim,
)

AS_OF = "2023-07-18"
WINDOW = round(DEFAULT_YEARS * 365.25)  # the demo's seven years: every event counts


def main() -> int:
    """Print the concentration tables."""
    events = make_demo_events(seed=20230718, as_of=AS_OF)
    scores = ch.score(events, "cchi-2020", as_of=AS_OF, window_days=WINDOW)
    c = concentration(scores, top=(0.01, 0.02, 0.03, 0.07, 0.10), shares=(0.5, 0.8, 0.9))
    print(f"{c.n_units:,} offenders, {c.n_events:,} counted events, total harm {c.total:,.0f} days")
    print(f"Gini {c.gini:.3f}")
    for p, share in c.top_shares.items():
        print(f"  top {100 * p:4.1f}% of offenders hold {100 * share:5.1f}% of harm")
    for share, p in c.power_few.items():
        print(f"  {100 * share:.0f}% of harm is held by the top {100 * p:.1f}% of offenders")
    print()
    print("Published 'power few' figures and the same top share here")
    for row in compare_with_published(scores):
        relation = "over " if row["relation"] == ">" else ""
        print(
            f"  {row['label']}: top {100 * row['top_fraction']:.0f}% held "
            f"{relation}{100 * row['published_share']:.0f}%; "
            f"here {100 * row['observed_share']:.1f}%"
        )
    print()
    print("By offence group (offenders with harm in the group)")
    table = concentration_by_group(events, "cchi-2020", as_of=AS_OF, window_days=WINDOW)
    print(f"  {'group':<38} {'offenders':>9} {'harm (days)':>12} {'gini':>6} {'top 10%':>8}")
    for r in table.rows[:8]:
        print(
            f"  {r.label[:38]:<38} {r.n_units:>9,} {r.total:>12,.0f} {r.gini:>6.3f} "
            f"{100 * r.top_shares[0.1]:>7.1f}%"
        )
    print()
    victims = concentration_by_victim(
        events.select(where={"victim_sex": ["F", "M"]}),
        "cchi-2020",
        as_of=AS_OF,
        window_days=WINDOW,
    )
    print(
        f"Victims (people): {victims.n_units:,}; Gini {victims.gini:.3f}; the top 10% of victims "
        f"suffered {100 * victims.top_shares[0.1]:.1f}% of the harm"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
