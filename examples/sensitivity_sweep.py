"""How much does the top 100 depend on the recency decay and window? (demo force data)

Scores the synthetic force of :func:`crimeharm.builtin.demo.make_demo_events` under a grid of
windows and exponential half-lives, prints how much each setting's top 100 overlaps the baseline's
(5-year window, no decay), then puts bootstrap confidence intervals on the ranks of the
baseline's top 10.

Run:  python examples/sensitivity_sweep.py [--events 327566] [--top 100] [--boot 200]
"""

from __future__ import annotations

import argparse
import time

import crimeharm as ch
from crimeharm.builtin.demo import DEFAULT_EVENTS, make_demo_events
from crimeharm.research.sensitivity import bootstrap_ranks, sweep

AS_OF = "2023-07-18"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=DEFAULT_EVENTS, help="demo events")
    parser.add_argument("--top", type=int, default=100, help="size of the top-n set")
    parser.add_argument("--boot", type=int, default=200, help="bootstrap replicates")
    args = parser.parse_args(argv)

    events = make_demo_events(args.events, seed=7)
    scheme = ch.get_scheme("cchi-2020")
    print(f"{len(events):,} demo events, {scheme.name}, as of {AS_OF}")

    started = time.perf_counter()
    result = sweep(
        events,
        scheme,
        as_of=AS_OF,
        n=args.top,
        window_days=1826,
        decay=None,
        half_lives=[180, 365, 730, 1461],
        windows=[365, 1096, 1826],
    )
    took = time.perf_counter() - started
    print(f"\nsweep: {len(result.settings)} settings in {took:.2f} s")
    print(f"{'setting':<30} {'vs baseline':>11} {'vs others':>9} {'entered':>7}")
    for row in result.to_records():
        print(
            f"{row['label']:<30} {row['jaccard_baseline']:>11.2f} "
            f"{row['jaccard_mean_others']:>9.2f} {row['entered']:>7}"
        )
    print(
        f"always in the top {result.n}: {result.always.size}; in any top {result.n}: "
        f"{result.offender_id.size}; mean pairwise Jaccard {result.mean_pairwise_jaccard():.2f}"
    )

    started = time.perf_counter()
    boot = bootstrap_ranks(
        events,
        scheme,
        as_of=AS_OF,
        window_days=1826,
        n=args.top,
        offenders=result.top_ids[0][:10],
        n_boot=args.boot,
        seed=1,
    )
    took = time.perf_counter() - started
    print(f"\nbootstrap: {boot.n_boot} replicates in {took:.2f} s; 95% intervals on rank")
    p_top = f"P(top {args.top})"
    print(f"{'rank':>4} {'harm':>8} {'95% interval':>13} {'median':>6} {p_top:>10}")
    for row in boot.to_records():
        interval = f"{row['rank_lower']}-{row['rank_upper']}"
        print(
            f"{row['rank']:>4} {row['harm']:>8,.0f} {interval:>13} {row['rank_median']:>6.0f} "
            f"{row['p_top']:>10.2f}"
        )


if __name__ == "__main__":
    main()
