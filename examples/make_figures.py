"""Draw every figure of the docs from the demo force data, and record what each one shows.

Writes lorenz.png, rank_scatter.png, timeline.png, scheme_shares.png, sweep_stability.png and
sweep_frequency.png (PNG, 110 dpi, no timestamp or version in the metadata) into docs/img/ (or
--out), and figures.json beside them: for each image, the fingerprint of the figure it was
drawn from (``crimeharm.research.plots.fingerprint``: a hash of its titles, labels, legend
entries and plotted data, not of its pixels) and the SHA-256 of the PNG file written.

tests/test_figures.py draws the figures again and fails when a fingerprint differs from
figures.json (a change moved a figure) or a PNG is not the one recorded (an image was edited or
left behind). After a change that moves a figure, run this script and commit docs/img. Pixels
are not compared because they differ across matplotlib versions, fonts and platforms; what the
figure shows does not. Needs matplotlib.

Run:  python examples/make_figures.py [--out docs/img] [--check] [--events N]
(``--events`` other than the default draws a smaller force, for a quick look; the docs use the
default.)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import crimeharm as ch
from crimeharm import plots
from crimeharm.builtin.demo import DEFAULT_EVENTS, make_demo_events
from crimeharm.research.sensitivity import sweep

AS_OF = "2023-07-18"
SEED = 7
DPI = 110
IMG = Path(__file__).resolve().parents[1] / "docs" / "img"
RECORD = "figures.json"


def build_figures(n_events: int = DEFAULT_EVENTS) -> dict[str, Any]:
    """Every docs figure by file name (matplotlib figures, not yet saved)."""
    events = make_demo_events(n_events, seed=SEED, as_of=AS_OF)
    scheme = ch.get_scheme("cchi-2020")
    decay = ch.get_decay("exponential", half_life_days=365)
    five_years = ch.score(events, scheme, as_of=AS_OF, window_days=1826)
    decayed = ch.score(events, scheme, as_of=AS_OF, window_days=1826, decay=decay)
    count = ch.WeightScheme.from_mapping(
        dict.fromkeys(scheme.codes.tolist(), 1.0), name="count", unit="offences"
    )

    figures: dict[str, Any] = {
        "lorenz.png": plots.lorenz(five_years, top=(0.01, 0.05, 0.10)),
        "rank_scatter.png": plots.rank_scatter(
            five_years,
            decayed,
            labels=("CCHI, 5 years, no decay", "CCHI, 5 years, half-life 1 year"),
            n=500,
        ),
        "scheme_shares.png": plots.scheme_shares(
            events,
            {"CCHI 2020 (days of custody)": scheme, "count (every offence 1)": count},
            as_of=AS_OF,
            window_days=1826,
        ),
    }
    # the timeline of the highest-ranked offender with 8+ events once a 1-year half-life applies
    top = decayed.top(1000)
    many = top.offender_id[top.count >= 8]
    chosen = many[0] if many.size else top.offender_id[0]
    figures["timeline.png"] = plots.timeline(
        events, scheme, chosen, as_of=AS_OF, window_days=1826, decay=decay
    )
    result = sweep(
        events,
        scheme,
        as_of=AS_OF,
        n=100,
        window_days=1826,
        half_lives=[180, 365, 730],
        windows=[365, 1096, 1826],
    )
    figures["sweep_stability.png"] = plots.sweep_stability(result)
    figures["sweep_frequency.png"] = plots.sweep_frequency(result)
    return figures


def fingerprints(figures: dict[str, Any]) -> dict[str, str]:
    """The fingerprint of each figure by file name."""
    return {name: plots.fingerprint(fig) for name, fig in figures.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=IMG, help="folder for the images")
    parser.add_argument(
        "--events", type=int, default=DEFAULT_EVENTS, help="demo events (the docs: the default)"
    )
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if a figure moved"
    )
    args = parser.parse_args(argv)
    figures = build_figures(args.events)
    prints = fingerprints(figures)
    record_path = args.out / RECORD
    if args.check:
        recorded = json.loads(record_path.read_text(encoding="utf-8"))
        stale = [n for n, fp in prints.items() if recorded.get(n, {}).get("fingerprint") != fp]
        for name in stale:
            print(f"{name}: the figure changed; run python examples/make_figures.py")
        return 1 if stale else 0
    args.out.mkdir(parents=True, exist_ok=True)
    record: dict[str, dict[str, str]] = {}
    for name, fig in figures.items():
        path = args.out / name
        fig.savefig(path, dpi=DPI, metadata={"Software": None})
        record[name] = {
            "fingerprint": prints[name],
            "png_sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        }
        print(f"wrote {path}")
    record_path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {record_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
