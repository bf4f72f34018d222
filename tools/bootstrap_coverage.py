"""Measure how often bootstrap rank intervals hold the true rank, in a known-truth simulation.

Each simulated force has ``offenders`` offenders with a known expected harm: offender i commits
offences at a rate r_i (Gamma-distributed, heavy-tailed) over ``years`` years, each offence of a
type drawn from the offender's own mix over five weights (1, 2, 5, 30 and 365 days). Its true
rank is the rank of its expected harm, r_i * years * (mix_i . weights). One draw of events is
observed; ``crimeharm.research.sensitivity.bootstrap_ranks`` tracks the observed top ``n`` and
gives each an interval; an interval covers when it holds the true rank.

Intervals measured, from the same replicate ranks ``R*`` and observed rank ``r``:

- percentile: the ``alpha/2`` and ``1 - alpha/2`` quantiles of ``R*`` (what bootstrap_ranks
  reports);
- basic: ``2 r - q(1 - alpha/2)`` to ``2 r - q(alpha/2)`` (reflected; at least 1).

Run:  python tools/bootstrap_coverage.py [--sims 40] [--seed 1]   (about a minute)
Prints one line per interval and level: the share of (offender, simulation) pairs covered,
with its binomial standard error.
"""

from __future__ import annotations

import argparse
import math
import sys

import numpy as np

import crimeharm as ch
from crimeharm.research.sensitivity import bootstrap_ranks

WEIGHTS = {"A": 1.0, "B": 2.0, "C": 5.0, "D": 30.0, "E": 365.0}
AS_OF = np.datetime64("2023-07-18")


def simulate(
    rng: np.random.Generator, offenders: int, years: int
) -> tuple[ch.Events, dict[int, int]]:
    """One force: its events and each offender's true rank (1 = most expected harm)."""
    codes = np.array(list(WEIGHTS))
    weights = np.array(list(WEIGHTS.values()))
    rate = rng.gamma(0.5, 2.0, size=offenders)  # offences a year
    base = np.array([0.45, 0.3, 0.18, 0.06, 0.01])
    mix = rng.dirichlet(base * 8, size=offenders)
    expected = rate * years * (mix @ weights)
    counts = rng.poisson(rate * years)
    who = np.repeat(np.arange(offenders), counts)
    u = rng.random(who.size)[:, None]
    code = (u > np.cumsum(mix[who], axis=1)).sum(axis=1)
    code = np.minimum(code, codes.size - 1)
    days = rng.integers(0, round(years * 365.25), size=who.size)
    events = ch.Events(
        offender_id=who.astype(np.int64),
        offence_code=codes[code],
        date=AS_OF - days.astype("timedelta64[D]"),
    )
    order = np.argsort(-expected, kind="stable")
    true_rank = np.empty(offenders, dtype=np.int64)
    true_rank[order] = np.arange(1, offenders + 1)
    return events, dict(enumerate(true_rank.tolist()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sims", type=int, default=40)
    parser.add_argument("--offenders", type=int, default=3000)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--n", type=int, default=50, help="top n tracked")
    parser.add_argument("--n-boot", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    scheme = ch.WeightScheme.from_mapping(WEIGHTS, name="sim", unit="days")
    rng = np.random.default_rng(args.seed)
    levels = (0.8, 0.9, 0.95)
    hits = {(kind, level): 0 for kind in ("percentile", "basic") for level in levels}
    total = 0
    for sim in range(args.sims):
        events, truth = simulate(rng, args.offenders, args.years)
        result = bootstrap_ranks(
            events, scheme, as_of=AS_OF, n=args.n, n_boot=args.n_boot, seed=args.seed + sim
        )
        true = np.array([truth[int(i)] for i in result.offender_id])
        total += true.size
        for level in levels:
            alpha = (1 - level) / 2
            lo = np.quantile(result.ranks, alpha, axis=0, method="lower")
            hi = np.quantile(result.ranks, 1 - alpha, axis=0, method="higher")
            hits["percentile", level] += int(np.sum((lo <= true) & (true <= hi)))
            b_lo = np.maximum(2 * result.rank - hi, 1)
            b_hi = 2 * result.rank - lo
            hits["basic", level] += int(np.sum((b_lo <= true) & (true <= b_hi)))
    print(
        f"{args.sims} simulated forces of {args.offenders} offenders over {args.years} years, "
        f"top {args.n} tracked, {args.n_boot} replicates each ({total} intervals per row)"
    )
    for (kind, level), hit in hits.items():
        share = hit / total
        se = math.sqrt(share * (1 - share) / total)
        print(f"{kind:>10} {level:.0%}: covered {share:.1%} (s.e. {se:.1%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
