"""The two national weightings of England and Wales side by side: CCHI 2020 and the ONS CSS.

1. Matched offences. Every CCHI 2020 offence names its ONS counting code (the CCHI's
   CLASSIFICATION_CODE, shipped in the ``athena-to-ons`` crosswalk as stated mappings). For
   each ONS code the CCHI offences under it give a median CCHI weight; the ratio ONS / CCHI
   shows how far the two indices disagree on that offence. Ashby (2018, Policing 12(4)) found
   the ONS weights above the CCHI's for most offences, by up to about 66 times.
2. The demo force. The same synthetic events (``ch.make_demo_events``) ranked with the CCHI
   2020 and with the ONS CSS reached from HO codes (``ons-css-ho``): top-100 overlap, rank
   correlation and the biggest movers, with ``ch.compare_schemes``. Events whose code either
   scheme lacks (fraud, non-notifiable offences) are set aside first and counted.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict

import numpy as np

import crimeharm as ch

AS_OF = "2023-07-18"


def matched_offences() -> list[tuple[str, str, float, float, int]]:
    """(ONS code, title, ONS weight, median CCHI weight, CCHI offences) per matched ONS code."""
    cchi = ch.get_scheme("cchi-2020-athena")
    ons = ch.get_scheme("ons-css")
    crosswalk = ch.get_crosswalk("athena-to-ons")
    by_ons: dict[str, list[float]] = defaultdict(list)
    for urn in cchi.codes.tolist():
        for row in crosswalk.targets(urn, min_certainty="stated"):
            by_ons[row.to_code].append(cchi.weight(urn))
    return [
        (code, ons.offence(code).title, ons.weight(code), statistics.median(ws), len(ws))
        for code, ws in sorted(by_ons.items())
    ]


def print_matched(rows: list[tuple[str, str, float, float, int]]) -> None:
    """The distribution of the ONS / CCHI ratio and the largest gaps each way."""
    ratios = [(o / c if c else math.inf, code, title, o, c) for code, title, o, c, _ in rows]
    finite = sorted(r[0] for r in ratios if math.isfinite(r[0]))
    above = sum(r > 1 for r in finite)
    q = np.quantile(finite, [0.1, 0.25, 0.5, 0.75, 0.9])
    print(f"ONS codes matched to CCHI 2020 offences: {len(rows)}")
    print(f"ONS weight above the CCHI's: {above} of {len(finite)} ({above / len(finite):.0%})")
    print("ratio ONS / CCHI, quantiles 10/25/50/75/90%: " + ", ".join(f"{x:.2f}" for x in q))
    print(f"smallest {finite[0]:.3f}, largest {finite[-1]:.1f}")
    ordered = sorted(ratios, key=lambda r: -r[0])
    print("\nlargest ratios (ONS far above the CCHI):")
    for ratio, code, title, o, c in ordered[:6]:
        print(f"  {code:<5} {title[:44]:<44} ONS {o:8.1f}  CCHI {c:7.1f}  x{ratio:.1f}")
    print("smallest ratios (CCHI above ONS):")
    for ratio, code, title, o, c in ordered[-6:]:
        print(f"  {code:<5} {title[:44]:<44} ONS {o:8.1f}  CCHI {c:7.1f}  x{ratio:.2f}")


def compare_on_demo(n_events: int = 60_000, seed: int = 5) -> None:
    """Rank the demo force with each scheme and compare the rankings."""
    events = ch.make_demo_events(n_events, seed=seed, as_of=AS_OF)
    cchi = ch.get_scheme("cchi-2020")
    ons = ch.get_scheme("ons-css-ho")
    print(ons.coverage(events, reference=cchi).summary(top=3))
    codes = events.code_strings()
    both = np.isin(codes, cchi.codes) & np.isin(codes, ons.codes)
    kept = events.take(np.flatnonzero(both), reason="code in both schemes")
    print(f"\nevents scored: {int(both.sum()):,} of {len(events):,} (codes both schemes have)")
    table = ch.compare_schemes(
        kept,
        {"cchi-2020": cchi, "ons-css-ho": ons, "ons-css-ho+log1p": ons.derive("log1p")},
        as_of=AS_OF,
        window_days=1826,
        n=100,
        movers=5,
    )
    print(table)
    pair = table["cchi-2020", "ons-css-ho"]
    print("\nbiggest movers into the ONS top 100 (synthetic offender ids):")
    for m in pair.entered:
        print(f"  {m.offender_id}: CCHI rank {m.rank_a}, ONS rank {m.rank_b}")
    print("biggest movers out of it:")
    for m in pair.left:
        print(f"  {m.offender_id}: CCHI rank {m.rank_a}, ONS rank {m.rank_b}")


def main() -> int:
    """Print both comparisons."""
    print_matched(matched_offences())
    print()
    compare_on_demo()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
