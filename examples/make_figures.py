"""Draw the figures of docs/sensitivity-rfg-plots.md from the demo force data.

Writes lorenz.png, rank_scatter.png, timeline.png, sweep_stability.png and
sweep_frequency.png (PNG, 110 dpi) into docs/img/ (or --out). Needs matplotlib.

Run:  python examples/make_figures.py [--events 290000] [--out docs/img]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import crimeharm as ch
from crimeharm import plots
from crimeharm.builtin.demo import make_demo_events
from crimeharm.research.sensitivity import sweep

AS_OF = "2023-07-18"
DPI = 110


def main(argv: list[str] | None = None) -> list[Path]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=290_000, help="demo events to generate")
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).resolve().parents[1] / "docs" / "img"
    )
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    events = make_demo_events(args.events, seed=7)
    scheme = ch.get_scheme("cchi-2020")
    decay = ch.get_decay("exponential", half_life_days=365)
    five_years = ch.score(events, scheme, as_of=AS_OF, window_days=1826)
    decayed = ch.score(events, scheme, as_of=AS_OF, window_days=1826, decay=decay)

    figures = {
        "lorenz.png": plots.lorenz(five_years, top=(0.01, 0.05, 0.10)),
        "rank_scatter.png": plots.rank_scatter(
            five_years,
            decayed,
            labels=("CCHI, 5 years, no decay", "CCHI, 5 years, half-life 1 year"),
            n=500,
        ),
    }
    # the timeline of the highest-ranked offender with 8+ events once a 1-year half-life applies
    top = decayed.top(1000)
    many = top.offender_id[top.n_events >= 8]
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

    written = []
    for name, fig in figures.items():
        path = args.out / name
        fig.savefig(path, dpi=DPI)
        written.append(path)
        print(f"wrote {path}")
    return written


if __name__ == "__main__":
    main()
