"""Explain one offender's harm score, event by event, and check it against the ranking.

Scores a synthetic force (``crimeharm.builtin.demo``: real CCHI 2020 offence codes, invented people)
as it stood a year before the data ends, with the CCHI, a three-year window and a one-year
half-life, then explains the highest-ranked offender with at least five counted events: every
counted event with its weight, age, decay factor and contribution, and how many events did not
count and why. The contributions add up to the ranked harm exactly.

The ids printed are the synthetic data's; with real data print ids only where the output is
meant to go.
"""

from __future__ import annotations

import crimeharm as ch
from crimeharm.builtin.demo import make_demo_events
from crimeharm.research.explain import explain

DATA_END = "2023-07-18"
AS_OF = "2022-07-18"


def main() -> int:
    """Score the demo force and explain one offender."""
    events = make_demo_events(60_000, seed=11, as_of=DATA_END)
    decay = ch.get_decay("exponential", half_life_days=365)
    scores = ch.score(events, "cchi-2020", as_of=AS_OF, window_days=1096, decay=decay)
    ranking = scores.ranking()
    i = int((ranking.n_events >= 5).argmax())  # highest-ranked offender with >= 5 counted events
    offender = ranking.offender_id[i].item()
    explanation = explain(events, scores, offender)  # parameters taken from the scores
    print(f"rank {ranking.rank[i]} of {len(ranking):,}")
    print(explanation)
    print()
    print(f"ranked harm:           {float(ranking.harm[i])!r}")
    print(f"sum of contributions:  {explanation.harm!r}")
    print(f"identical:             {explanation.harm == ranking.harm[i]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
