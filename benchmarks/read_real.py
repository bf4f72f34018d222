"""Reader speed on a real-shaped export: ``crimeharm.read_csv`` against ``polars.read_csv``.

Standalone (not part of ``benchmarks/run.py``). Makes the demo export once if it is missing::

    python benchmarks/read_real.py [--events 3000000] [--file /tmp/demo3m.csv] [--repeat 3]

Both readers run in this process, alternately, and the median of ``--repeat`` runs of each is
printed, in seconds, with the ratio. The demo export has offender_id, offence_code, date,
victim_id, crime_id and victim_sex (carried) columns.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path


def _make(path: Path, events: int) -> None:
    cmd = [sys.executable, "-m", "crimeharm", "demo", "--events", str(events)]
    cmd += ["--save-events", str(path), "--top", "1"]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def _timed(read: object, path: Path) -> float:
    start = time.perf_counter()
    read(path)  # type: ignore[operator]
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=3_000_000)
    parser.add_argument("--file", type=Path, default=Path("/tmp/demo3m.csv"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    import polars as pl

    import crimeharm as ch

    if not args.file.exists():
        _make(args.file, args.events)
    size = args.file.stat().st_size
    times: dict[str, list[float]] = {"crimeharm.read_csv": [], "polars.read_csv": []}
    for _ in range(args.repeat):
        times["crimeharm.read_csv"].append(_timed(ch.read_csv, args.file))
        times["polars.read_csv"].append(_timed(pl.read_csv, args.file))
    events = ch.read_csv(args.file)
    print(f"{args.file}: {size / 1e6:,.0f} MB, {len(events):,} events")
    medians = {name: statistics.median(t) for name, t in times.items()}
    for name, median in medians.items():
        runs = ", ".join(f"{t:.2f}" for t in times[name])
        print(f"{name:20s} median {median:6.2f} s  (runs: {runs})")
    ratio = medians["crimeharm.read_csv"] / medians["polars.read_csv"]
    print(f"ratio crimeharm / polars: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
