"""harm-v2: a real-shaped workload, timed end to end from files.

    python -m benchmarks.harmv2 --n 3e6 [--rounds 3] [--json FILE]
    python -m benchmarks.harmv2 --quick                      # N = 1e5, 1 round (smoke)

Where harm-v1 has int64 offender ids and three columns, harm-v2 has what a force's export has:
string ids (``offender_id`` "P-0012345", ``victim_id`` "V-00123456", ``crime_id``
"C-000123456"), ``victim_sex`` and ``borough`` columns, real CCHI offence codes, and dates as
``dd/mm/yyyy`` strings in the CSV (``date32`` in the Parquet file). Offenders are harm-v1's
(same seed: M = N / 8, Pareto-skewed events per offender); victims are skewed too (repeat
victimisation). The task is harm-v1's (as_of 2023-07-18, window 1826 days, half-life 365 days,
top 100 by harm, ties by id) with the CCHI-2020 weights.

Rows, each timed end to end from the file: ``ch.read_csv`` / ``ch.read_parquet`` + ``ch.top``;
``crimeharm rank`` as a process; polars and duckdb doing the same ranking; and the read alone
(``ch.read_csv`` against ``polars.read_csv`` of every column with the dates parsed). Every
ranking row's ids must equal crimeharm's and its harms agree within 1e-9 (relative).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

if __package__ in (None, ""):  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import harmv1

AS_OF = "2023-07-18"
WINDOW_DAYS = harmv1.WINDOW_DAYS
HALF_LIFE_DAYS = harmv1.HALF_LIFE_DAYS
TOP_N = harmv1.TOP_N
DATE_FORMAT = "%d/%m/%Y"
SCHEME = "cchi-2020"
BOROUGHS = (
    "Barking and Dagenham", "Barnet", "Bexley", "Brent", "Bromley", "Camden", "Croydon",
    "Ealing", "Enfield", "Greenwich", "Hackney", "Hammersmith and Fulham", "Haringey", "Harrow",
    "Havering", "Hillingdon", "Hounslow", "Islington", "Kensington and Chelsea", "Kingston",
    "Lambeth", "Lewisham", "Merton", "Newham", "Redbridge", "Richmond", "Southwark", "Sutton",
    "Tower Hamlets", "Waltham Forest", "Wandsworth", "Westminster", "City of London",
)  # fmt: skip

Top = tuple[list[str], np.ndarray]


def data_dir(n: int, seed: int) -> Path:
    root = Path(os.environ.get("HARMBENCH_DIR", Path(tempfile.gettempdir()) / "harmbench"))
    return root / f"harm-v2-N{n}-s{seed}"


def _codes(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """200 CCHI-2020 codes (harm-v1's code frequencies) and their weights in days."""
    import crimeharm as ch

    scheme = ch.get_scheme(SCHEME)
    rng = np.random.default_rng(seed)
    pick = rng.choice(scheme.codes.size, harmv1.K_CODES, replace=False)
    return np.asarray(scheme.codes)[pick], np.asarray(scheme.weights, dtype=float)[pick]


def write(n: int, seed: int = harmv1.SEED) -> Path:
    """Generate harm-v2 at size ``n`` and write events.csv, events.parquet and meta.json."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    d = data_dir(n, seed)
    if (d / "meta.json").exists():
        return d
    d.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    a = harmv1.generate(n, seed)
    rng = np.random.default_rng(seed + 2)
    _, offender = np.unique(a["offender_id"], return_inverse=True)
    offender = rng.permutation(offender.max() + 1)[offender]  # ranks, shuffled
    victims = int(0.7 * n)
    victim = np.minimum((victims * rng.random(n) ** 2.5).astype(np.int64), victims - 1)
    codes, _ = _codes(seed)

    def ids(prefix: str, numbers: np.ndarray, width: int) -> Any:
        text = pc.utf8_lpad(pc.cast(pa.array(numbers), pa.string()), width, "0")
        return pc.binary_join_element_wise(prefix, text, "")

    date = pa.array(a["date"]).cast(pa.date32())
    columns = {
        "crime_id": ids("C-", np.arange(n) + 10**8, 9),
        "offender_id": ids("P-", offender, 7),
        "victim_id": ids("V-", victim, 8),
        "victim_sex": pa.array(np.array(["F", "M", "U"])[rng.choice(3, n, p=[0.52, 0.45, 0.03])]),
        "borough": pa.array(np.array(BOROUGHS)[rng.integers(0, len(BOROUGHS), n)]),
        "offence_code": pa.array(codes[a["code_idx"]]),
    }
    csv = pa.table({**columns, "date": pc.strftime(date, DATE_FORMAT)})
    pacsv.write_csv(csv, d / "events.csv", pacsv.WriteOptions(quoting_style="none"))
    pq.write_table(pa.table({**columns, "date": date}), d / "events.parquet")
    meta = {"workload": "harm-v2", "n": n, "seed": seed, "as_of": AS_OF, "scheme": SCHEME}
    (d / "meta.json").write_text(json.dumps(meta, indent=1))
    print(f"wrote {d} in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    return d


# -- rows: each returns the top ids and harms, or None (read-only rows) ------------------------


def _ch_options() -> dict[str, Any]:
    import crimeharm as ch

    decay = ch.get_decay("exponential", half_life_days=HALF_LIFE_DAYS)
    return {"as_of": AS_OF, "window_days": WINDOW_DAYS, "decay": decay}


def ch_csv(d: Path) -> Top:
    import crimeharm as ch

    events = ch.read_csv(d / "events.csv", date_format=DATE_FORMAT)
    top = ch.top(events, SCHEME, n=TOP_N, **_ch_options())
    return [str(x) for x in top.offender_id], np.asarray(top.harm)


def ch_parquet(d: Path) -> Top:
    import crimeharm as ch

    events = ch.read_parquet(d / "events.parquet")
    top = ch.top(events, SCHEME, n=TOP_N, **_ch_options())
    return [str(x) for x in top.offender_id], np.asarray(top.harm)


def ch_cli(d: Path) -> Top:
    argv = [sys.executable, "-m", "crimeharm", "rank", str(d / "events.csv")]
    argv += ["--as-of", AS_OF, "--window-days", str(WINDOW_DAYS)]
    argv += ["--half-life", f"{HALF_LIFE_DAYS:g}", "--date-format", DATE_FORMAT]
    argv += ["--top", str(TOP_N), "--format", "csv"]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout.splitlines()
    header = out[0].split(",")
    rows = [line.split(",") for line in out[1:] if line]
    i, h = header.index("offender_id"), header.index("harm")
    return [r[i] for r in rows], np.array([float(r[h]) for r in rows])


def _weights_polars() -> Any:
    import polars as pl

    import crimeharm as ch

    s = ch.get_scheme(SCHEME)
    return pl.DataFrame({"offence_code": np.asarray(s.codes), "weight": np.asarray(s.weights)})


def _polars_rank(frame: Any) -> Top:
    import polars as pl

    age = (pl.lit(np.datetime64(AS_OF)).cast(pl.Date) - pl.col("date")).dt.total_days()
    top = (
        frame.with_columns(age=age)
        .filter((pl.col("age") >= 0) & (pl.col("age") < WINDOW_DAYS))
        .join(_weights_polars().lazy(), on="offence_code", how="inner")
        .group_by("offender_id")
        .agg(harm=(pl.col("weight") * 0.5 ** (pl.col("age") / HALF_LIFE_DAYS)).sum())
        .sort(["harm", "offender_id"], descending=[True, False])
        .head(TOP_N)
        .collect()
    )
    return top["offender_id"].to_list(), top["harm"].to_numpy()


def polars_csv(d: Path) -> Top:
    import polars as pl

    frame = pl.scan_csv(d / "events.csv").with_columns(pl.col("date").str.to_date(DATE_FORMAT))
    return _polars_rank(frame)


def polars_parquet(d: Path) -> Top:
    import polars as pl

    return _polars_rank(pl.scan_parquet(d / "events.parquet"))


def _duckdb_rank(source: str, date: str) -> Top:
    import duckdb
    import pandas as pd

    import crimeharm as ch

    s = ch.get_scheme(SCHEME)
    con = duckdb.connect()
    weights = pd.DataFrame({"offence_code": np.asarray(s.codes), "weight": np.asarray(s.weights)})
    con.register("weights", weights)
    rows = con.execute(
        f"""
        WITH ev AS (SELECT offender_id, offence_code, DATE '{AS_OF}' - {date} AS age
                    FROM {source})
        SELECT offender_id, sum(weight * pow(0.5, age / {HALF_LIFE_DAYS})) AS harm
        FROM ev JOIN weights USING (offence_code)
        WHERE age >= 0 AND age < {WINDOW_DAYS}
        GROUP BY offender_id ORDER BY harm DESC, offender_id LIMIT {TOP_N}
        """
    ).fetchall()
    con.close()
    return [r[0] for r in rows], np.array([r[1] for r in rows])


def duckdb_csv(d: Path) -> Top:
    source = f"read_csv('{d / 'events.csv'}', header=true, types={{'date': 'VARCHAR'}})"
    return _duckdb_rank(source, f"strptime(date, '{DATE_FORMAT}')::DATE")


def duckdb_parquet(d: Path) -> Top:
    return _duckdb_rank(f"read_parquet('{d / 'events.parquet'}')", "date")


def read_ch_csv(d: Path) -> None:
    import crimeharm as ch

    ch.read_csv(d / "events.csv", date_format=DATE_FORMAT)


def read_polars_csv(d: Path) -> None:
    import polars as pl

    pl.read_csv(d / "events.csv").with_columns(pl.col("date").str.to_date(DATE_FORMAT))


ROWS: dict[str, Callable[[Path], Top | None]] = {
    "CSV / crimeharm ch.read_csv + top": ch_csv,
    "CSV / crimeharm rank (process)": ch_cli,
    "CSV / polars": polars_csv,
    "CSV / duckdb": duckdb_csv,
    "Parquet / crimeharm ch.read_parquet + top": ch_parquet,
    "Parquet / polars": polars_parquet,
    "Parquet / duckdb": duckdb_parquet,
    "read CSV / crimeharm ch.read_csv": read_ch_csv,
    "read CSV / polars.read_csv (every column, dates parsed)": read_polars_csv,
}


def check(name: str, got: Top, expected: Top) -> None:
    """Same ids in the same order; harms within 1e-9 relative."""
    if list(got[0]) != list(expected[0]):
        msg = f"harm-v2 {name}: top {TOP_N} ids differ from crimeharm's"
        raise AssertionError(msg)
    if not np.allclose(got[1], expected[1], rtol=1e-9, atol=0):
        msg = f"harm-v2 {name}: harms differ from crimeharm's beyond 1e-9"
        raise AssertionError(msg)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.harmv2", description=__doc__)
    ap.add_argument("--n", type=float, default=3e6)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="N = 1e5, 1 round")
    ap.add_argument("--only", action="append", help="rows whose name contains this")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    n, rounds = (100_000, 1) if args.quick else (int(args.n), args.rounds)
    d = write(n)
    rows = {k: f for k, f in ROWS.items() if not args.only or any(s in k for s in args.only)}
    expected = ch_csv(d)
    times: dict[str, list[float]] = {k: [] for k in rows}
    for name, fn in rows.items():  # warm-up and check (untimed)
        got = fn(d)
        if got is not None:
            check(name, got, expected)
    for _ in range(rounds):
        for name, fn in rows.items():
            t0 = time.perf_counter()
            fn(d)
            times[name].append(time.perf_counter() - t0)
    print(f"### harm-v2, N = {n:,} events ({rounds} rounds; {os.cpu_count()} cores)\n")
    print("| form / row | median s | min s | × fastest peer |\n|---|--:|--:|--:|")
    for name, ts in times.items():
        form = name.split(" / ")[0]
        peers = [
            statistics.median(v)
            for k, v in times.items()
            if k.startswith(form + " / ") and ("polars" in k or "duckdb" in k)
        ]
        ratio = statistics.median(ts) / min(peers) if peers else float("nan")
        print(f"| {name} | {statistics.median(ts):.3g} | {min(ts):.3g} | {ratio:.2f} |")
    if args.json:
        args.json.write_text(json.dumps({"n": n, "rounds": rounds, "times": times}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
