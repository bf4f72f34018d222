"""Reader speed on a real-shaped export: ``crimeharm.read_csv`` against ``polars.read_csv``.

Standalone (not part of ``benchmarks/run.py``). Makes the demo export once if it is missing::

    python benchmarks/read_real.py [--events 3000000] [--file /tmp/demo3m.csv] [--repeat 5]

Both readers run in this process, alternately, and the median of ``--repeat`` runs of each is
printed, in seconds of wall-clock and of CPU time (all threads of the process: on a shared
machine the CPU time is the steadier measure of the work done), with the ratios. The demo
export has offender_id, offence_code, date, victim_id, crime_id and victim_sex (carried)
columns. ``pyarrow.csv.read_csv`` (the parse alone, types inferred) is shown for reference:
crimeharm's CSV engine is pyarrow's parser plus the checks of docs/preparing-data.md.
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


def _timed(read: object, path: Path) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one read."""
    wall, cpu = time.perf_counter(), time.process_time()
    read(path)  # type: ignore[operator]
    return time.perf_counter() - wall, time.process_time() - cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=3_000_000)
    parser.add_argument("--file", type=Path, default=Path("/tmp/demo3m.csv"))
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    import polars as pl
    import pyarrow.csv as pacsv

    import crimeharm as ch

    if not args.file.exists():
        _make(args.file, args.events)
    size = args.file.stat().st_size
    readers = {
        "crimeharm.read_csv": ch.read_csv,
        "polars.read_csv": pl.read_csv,
        "pyarrow.csv.read_csv": pacsv.read_csv,
    }
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in readers}
    for _ in range(args.repeat):
        for name, read in readers.items():
            times[name].append(_timed(read, args.file))
    events = ch.read_csv(args.file)
    print(f"{args.file}: {size / 1e6:,.0f} MB, {len(events):,} events")
    wall = {name: statistics.median(t[0] for t in runs) for name, runs in times.items()}
    cpu = {name: statistics.median(t[1] for t in runs) for name, runs in times.items()}
    for name, runs in times.items():
        listed = ", ".join(f"{t[0]:.2f}" for t in runs)
        print(f"{name:22s} median {wall[name]:5.2f} s, CPU {cpu[name]:5.2f} s  (runs: {listed})")
    ours, theirs = "crimeharm.read_csv", "polars.read_csv"
    print(f"ratio crimeharm / polars: wall {wall[ours] / wall[theirs]:.2f}, ", end="")
    print(f"CPU {cpu[ours] / cpu[theirs]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
