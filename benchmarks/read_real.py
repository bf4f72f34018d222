"""Reader speed on a real-shaped export: ``crimeharm.read_csv`` against ``polars.read_csv``.

Standalone (not part of ``benchmarks/run.py``). Makes the demo export once if it is missing::

    python benchmarks/read_real.py [--events 3000000] [--file /tmp/demo3m.csv] [--repeat 7]

The readers run in this process, alternately, and the median of ``--repeat`` runs of each is
printed, in seconds of wall-clock and of CPU time (all threads of the process: on a shared
machine the CPU time is the steadier measure of the work done), with the ratios to polars.
crimeharm runs twice: through pyarrow's parser (``engine="pyarrow"``, what ``engine="auto"``
uses in a process that has not loaded numba) and with the default ``engine="auto"`` after one
read has loaded the compiled tokenizer (``crimeharm[fast]``; ``"auto"`` uses it from 1 GiB, or
from 4 MiB once numba is loaded). Then each reader's first read in a fresh process is timed,
imports apart, which is what a one-off ``crimeharm rank`` pays. The demo export has
offender_id, offence_code, date, victim_id, crime_id and victim_sex (carried) columns.
``pyarrow.csv.read_csv`` (the parse alone, types inferred) is shown for reference.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


def _make(path: Path, events: int) -> None:
    cmd = [sys.executable, "-m", "crimeharm", "demo", "--events", str(events)]
    cmd += ["--save-events", str(path), "--top", "1"]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def _timed(read: object, path: Path) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one read."""
    wall, cpu = time.perf_counter(), time.process_time()
    read(path)  # type: ignore[operator]
    return time.perf_counter() - wall, time.process_time() - cpu


_FRESH = """
import sys, time
t = time.perf_counter()
{imports}
imported = time.perf_counter() - t
t = time.perf_counter()
{read}(sys.argv[1]{options})
print(f"{{imported:.3f}} {{time.perf_counter() - t:.3f}}")
"""


def _fresh(imports: str, read: str, options: str, path: Path, repeat: int) -> tuple[float, float]:
    """Median (import, first read) seconds of ``repeat`` fresh processes."""
    code = _FRESH.format(imports=imports, read=read, options=options)
    runs = []
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True
        )
        runs.append(tuple(float(x) for x in out.stdout.split()))
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=3_000_000)
    parser.add_argument("--file", type=Path, default=Path("/tmp/demo3m.csv"))
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)

    import polars as pl
    import pyarrow.csv as pacsv

    import crimeharm as ch
    from crimeharm.kernels import compiled_available

    if not args.file.exists():
        _make(args.file, args.events)
    size = args.file.stat().st_size
    readers: dict[str, Any] = {
        "crimeharm (pyarrow path)": lambda p: ch.read_csv(p, engine="pyarrow"),
        "polars.read_csv": pl.read_csv,
        "pyarrow.csv.read_csv": pacsv.read_csv,
    }
    if compiled_available():  # engine="auto" once numba is loaded: the tokenizer
        ch.read_csv(args.file, engine="numba")  # loads it (first reads are timed below)
        readers["crimeharm (auto: tokenizer)"] = ch.read_csv
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in readers}
    for _ in range(args.repeat):
        for name, read in readers.items():
            times[name].append(_timed(read, args.file))
    events = ch.read_csv(args.file)
    print(f"{args.file}: {size / 1e6:,.0f} MB, {len(events):,} events")
    wall = {name: statistics.median(t[0] for t in runs) for name, runs in times.items()}
    cpu = {name: statistics.median(t[1] for t in runs) for name, runs in times.items()}
    theirs = "polars.read_csv"
    for name, runs in times.items():
        listed = ", ".join(f"{t[0]:.2f}" for t in runs)
        print(
            f"{name:28s} median {wall[name]:5.3f} s, CPU {cpu[name]:5.3f} s, "
            f"vs polars: wall {wall[name] / wall[theirs]:.2f}, CPU {cpu[name] / cpu[theirs]:.2f}"
            f"  (runs: {listed})"
        )
    print("first read in a fresh process (median of 5; imports timed apart):")
    fresh = {
        "crimeharm (auto)": ("import crimeharm as ch", "ch.read_csv", ""),
        "polars.read_csv": ("import polars as pl", "pl.read_csv", ""),
    }
    if compiled_available():
        numba = ", engine='numba'"
        fresh["crimeharm (tokenizer)"] = ("import crimeharm as ch", "ch.read_csv", numba)
    for name, (imports, read, options) in fresh.items():
        imported, first = _fresh(imports, read, options, args.file, 5)
        print(f"{name:28s} import {imported:5.3f} s, first read {first:5.3f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
