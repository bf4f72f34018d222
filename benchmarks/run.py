"""Run the harm-v1 benchmark and print markdown tables.

    python -m benchmarks.run --n 1e6 --n 1e7 [--rounds 5] [--json FILE]
    python -m benchmarks.run --quick          # CI smoke: N = 1e5, 2 rounds, no memory children

Every row's top 100 is checked against the exact reference before it is timed (a mismatch
aborts the run). Rows run in one process, in an order rotated each round; the table reports the
median and minimum over the rounds, the ratio to the fastest pandas / polars / duckdb row of the
same input form, and the peak memory of one run in a fresh child process.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: python benchmarks/run.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import (
    crimeharm_rows,
    fingerprints,
    harmv1,
    memory,
    peers,
    reference,
    report,
    sysinfo,
)
from benchmarks.rows import FORM_ARRAYS, FORMS, Row, RowUnavailableError, Runner

ALL_ROWS: tuple[Row, ...] = peers.ROWS + crimeharm_rows.ROWS
QUICK_N = 100_000


def _count(text: str) -> int:
    """An event count such as 1e6 or 1000000."""
    value = float(text)
    if value < 8 or value != int(value):
        msg = f"--n must be a whole number >= 8 (got {text!r})"
        raise argparse.ArgumentTypeError(msg)
    return int(value)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--n", type=_count, action="append", help="events (repeatable; 1e6 and 1e7)")
    ap.add_argument("--rounds", type=int, default=5, help="timed rounds per row (default 5)")
    ap.add_argument("--quick", action="store_true", help="N=1e5, 2 rounds, no memory children")
    ap.add_argument("--no-memory", action="store_true", help="skip the memory children")
    ap.add_argument("--forms", default=",".join(FORMS), help="comma-separated subset of forms")
    ap.add_argument("--only", action="append", help="keep rows whose name contains this")
    ap.add_argument("--json", type=Path, help="write the raw results here")
    ap.add_argument("--seed", type=int, default=harmv1.SEED)
    ap.add_argument("--child", help=argparse.SUPPRESS)  # internal: memory child for a row key
    args = ap.parse_args(argv)
    if args.quick:
        args.n, args.rounds, args.no_memory = args.n or [QUICK_N], 2, True
    args.n = args.n or list(harmv1.SIZES)
    if args.rounds < 1:
        ap.error("--rounds must be at least 1")
    unknown = set(args.forms.split(",")) - set(FORMS)
    if unknown:
        ap.error(f"unknown form(s) {sorted(unknown)}; choose from {', '.join(FORMS)}")
    return args


def select(args: argparse.Namespace) -> list[Row]:
    forms = args.forms.split(",")
    return [
        r
        for r in ALL_ROWS
        if r.form in forms and (not args.only or any(s in r.name for s in args.only))
    ]


def prepare(
    rows: list[Row], data: harmv1.Data, ref: reference.Reference, label: str
) -> tuple[list[tuple[Row, Runner, report.RowResult]], list[report.RowResult]]:
    """Set up every row and check its first result against the reference (untimed)."""
    ready: list[tuple[Row, Runner, report.RowResult]] = []
    unavailable: list[report.RowResult] = []
    for row in rows:
        result = report.RowResult(row.form, row.name, row.peer)
        try:
            runner = row.setup(data)
            out = runner()
        except RowUnavailableError as exc:
            result.status, result.reason = "n/a", str(exc)
            unavailable.append(result)
            print(f"  n/a    {row.key}: {exc}", file=sys.stderr)
            continue
        if row.ranks:
            if out is None:
                msg = f"{row.key} returned no ranking"
                raise reference.ReferenceMismatchError(msg)
            result.exact_ids = reference.check(f"{label} {row.key}", ref, *out)
        print(f"  ready  {row.key}", file=sys.stderr)
        ready.append((row, runner, result))
    return ready, unavailable


def time_rounds(ready: list[tuple[Row, Runner, report.RowResult]], rounds: int) -> None:
    """Time every runner once per round, rotating the order by one row each round."""
    for k in range(rounds):
        shift = k % len(ready) if ready else 0
        for _row, runner, result in ready[shift:] + ready[:shift]:
            gc.collect()
            t0 = time.perf_counter()
            runner()
            result.times.append(time.perf_counter() - t0)
        print(f"  round {k + 1}/{rounds} done", file=sys.stderr)


def run_size(n: int, args: argparse.Namespace) -> tuple[dict[str, object], str]:
    """Verify, time and (optionally) measure every selected row at size `n`."""
    rows = select(args)
    arrays = sorted(
        {a for r in rows for a in FORM_ARRAYS[r.form]} | {"offender_id", "code_idx", "date"}
    )
    data = harmv1.load(n, args.seed, arrays=arrays)
    meta = harmv1.read_meta(n, args.seed)
    if args.seed == harmv1.SEED:
        fingerprints.check(n, str(meta["fingerprint"]), "the generated data's meta.json")
    ref = reference.reference_top(data)
    print(f"N={n}: reference ready, {len(rows)} rows", file=sys.stderr)
    ready, unavailable = prepare(rows, data, ref, f"N={n}")
    meter = sysinfo.CpuMeter()
    time_rounds(ready, args.rounds)
    contention = meter.others()
    results = [r for _, _, r in ready] + unavailable
    if not args.no_memory:
        del ready
        gc.collect()
        by_key = {r.key: r for r in rows}
        for res in results:
            if res.status == "ok":
                res.memory = memory.measure_in_child(by_key[f"{res.form}/{res.name}"], n, args.seed)
                print(f"  memory {res.form}/{res.name}", file=sys.stderr)
    title = (
        f"### N = {n:,} events, M = {n // 8:,} offenders "
        f"(harm-v1 fingerprint {meta['fingerprint']}, {args.rounds} rounds)"
    )
    if contention is not None:
        title += (
            f"\n\nWhile timing, other processes kept {contention['other_cores']:.2f} cores busy "
            f"on average (hypervisor steal {contention['steal_cores']:.2f} cores)."
        )
    record = {
        "n": n,
        "seed": args.seed,
        "fingerprint": meta["fingerprint"],
        "rounds": args.rounds,
        "reference_min_gap": ref.min_gap,
        "contention": contention,
        "rows": [r.to_json() for r in results],
    }
    return record, title + "\n\n" + report.table(results)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        memory.child_main(args.child, args.n[0], args.seed, {r.key: r for r in ALL_ROWS})
        return 0
    info = sysinfo.describe()
    header = [
        "## crimeharm benchmark: harm-v1",
        "",
        f"Task: as_of {harmv1.AS_OF}, window {harmv1.WINDOW_DAYS} days, decay 0.5 ** (age / "
        f"{harmv1.HALF_LIFE_DAYS:g}), top {harmv1.TOP_N} by harm (ties by id).",
        "",
        *sysinfo.header_lines(info),
    ]
    print("\n".join(header) + "\n", flush=True)
    records = []
    for n in args.n:
        record, text = run_size(n, args)
        records.append(record)
        print(text + "\n", flush=True)
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "runs": records}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
