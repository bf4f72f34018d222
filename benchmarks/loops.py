"""Research loops on harm-v1: a sweep of 50 settings and a rank bootstrap, against peers.

    python -m benchmarks.loops --n 1e7 [--boot 200] [--peer-boot 5]
    python -m benchmarks.loops --quick                  # N = 1e5, 5 replicates (smoke)

- sweep: the top 100 under 50 exponential half-lives (100 .. 1080 days, 20-day steps; window
  1826 days): ``ch.sweep`` against the same loop in polars and duckdb, each reusing what does
  not change between settings (rows in the window, each row's weight and age, computed once
  per loop, inside the timing, as ``ch.sweep`` does). Every row starts from the events in
  memory (a frame, a native duckdb table, ``ch.Events``), built in setup.
- bootstrap: ``ch.bootstrap_ranks`` with ``--boot`` replicates (each draws as many counted rows
  as there are, with replacement, rescores every offender and ranks the top 100 of the full
  data) against the same loop in polars (``sample(with_replacement=True)`` + ``group_by``) and
  duckdb (a multiplicity column per replicate + ``GROUP BY``). Peers are slow here, so they run
  ``--peer-boot`` replicates and the table scales their time per replicate to ``--boot``
  (marked "extrapolated").

Checks: each sweep setting's top 100 from polars and duckdb must equal crimeharm's ids.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

if __package__ in (None, ""):  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import harmv1

HALF_LIVES = tuple(float(h) for h in range(100, 1100, 20))  # 50 settings
TOP_N = harmv1.TOP_N


def ch_sweep(data: harmv1.Data) -> Callable[[], list[np.ndarray]]:
    import crimeharm as ch

    events = ch.Events(
        offender_id=data.array("offender_id"),
        offence_code=data.codes[data.array("code_idx")],
        date=data.array("date"),
    )
    scheme = ch.WeightScheme.from_mapping(data.weight_dict(), name="harm-v1", unit="days")

    def run() -> list[np.ndarray]:
        result = ch.sweep(
            events,
            scheme,
            as_of=str(harmv1.AS_OF),
            n=TOP_N,
            window_days=harmv1.WINDOW_DAYS,
            decay=ch.get_decay("exponential", half_life_days=HALF_LIVES[0]),
            half_lives=HALF_LIVES,
        )
        return [np.asarray(ids) for ids in result.top_ids]

    return run


def _raw_polars(data: harmv1.Data) -> tuple[Any, Any]:
    """Events (offender id, code, date) and the weight table as polars frames (setup)."""
    import polars as pl

    events = pl.DataFrame(
        {
            "offender_id": data.array("offender_id"),
            "offence_code": data.codes[data.array("code_idx")],
            "date": data.array("date"),
        }
    )
    weights = pl.DataFrame({"offence_code": data.codes, "weight": data.weights})
    return events, weights


def _polars_window(events: Any, weights: Any) -> Any:
    """Rows in the window with their weight and age (done once per loop, timed)."""
    import polars as pl

    as_of = pl.lit(harmv1.AS_OF.astype("datetime64[D]")).cast(pl.Date)
    return (
        events.lazy()
        .with_columns(age=(as_of - pl.col("date")).dt.total_days())
        .filter((pl.col("age") >= 0) & (pl.col("age") < harmv1.WINDOW_DAYS))
        .join(weights.lazy(), on="offence_code")
        .select("offender_id", "weight", "age")
        .collect()
    )


def polars_sweep(data: harmv1.Data) -> Callable[[], list[np.ndarray]]:
    import polars as pl

    events, weights = _raw_polars(data)

    def run() -> list[np.ndarray]:
        frame = _polars_window(events, weights)
        out = []
        for h in HALF_LIVES:
            top = (
                frame.lazy()
                .group_by("offender_id")
                .agg(harm=(pl.col("weight") * 0.5 ** (pl.col("age") / h)).sum())
                .sort(["harm", "offender_id"], descending=[True, False])
                .head(TOP_N)
                .collect()
            )
            out.append(top["offender_id"].to_numpy())
        return out

    return run


def _duckdb_events(data: harmv1.Data) -> Any:
    """A duckdb connection with native tables ``events`` and ``weights`` (setup)."""
    import duckdb
    import pyarrow as pa

    con = duckdb.connect()
    con.register(
        "src",
        pa.table(
            {
                "offender_id": data.array("offender_id"),
                "offence_code": data.codes[data.array("code_idx")],
                "date": data.array("date"),
            }
        ),
    )
    con.register("w", pa.table({"offence_code": data.codes, "weight": data.weights}))
    con.execute("CREATE TABLE events AS SELECT * FROM src")
    con.execute("CREATE TABLE weights AS SELECT * FROM w")
    return con


_DUCKDB_WINDOW = f"""
    CREATE OR REPLACE TEMP TABLE ev AS
    SELECT offender_id, weight, DATE '{harmv1.AS_OF}' - date AS age
    FROM events JOIN weights USING (offence_code)
    WHERE DATE '{harmv1.AS_OF}' - date BETWEEN 0 AND {harmv1.WINDOW_DAYS - 1}
"""


def duckdb_sweep(data: harmv1.Data) -> Callable[[], list[np.ndarray]]:
    con = _duckdb_events(data)

    def run() -> list[np.ndarray]:
        con.execute(_DUCKDB_WINDOW)
        out = []
        for h in HALF_LIVES:
            rows = con.execute(
                f"SELECT offender_id, sum(weight * pow(0.5, age / {h})) AS harm FROM ev "
                f"GROUP BY offender_id ORDER BY harm DESC, offender_id LIMIT {TOP_N}"
            ).fetchall()
            out.append(np.array([r[0] for r in rows]))
        return out

    return run


def ch_boot(data: harmv1.Data, replicates: int) -> Callable[[], Any]:
    import crimeharm as ch

    events = ch.Events(
        offender_id=data.array("offender_id"),
        offence_code=data.codes[data.array("code_idx")],
        date=data.array("date"),
    )
    scheme = ch.WeightScheme.from_mapping(data.weight_dict(), name="harm-v1", unit="days")
    decay = ch.get_decay("exponential", half_life_days=harmv1.HALF_LIFE_DAYS)

    def run() -> Any:
        return ch.bootstrap_ranks(
            events,
            scheme,
            as_of=str(harmv1.AS_OF),
            window_days=harmv1.WINDOW_DAYS,
            decay=decay,
            n=TOP_N,
            n_boot=replicates,
            seed=1,
        )

    return run


def polars_boot(data: harmv1.Data, replicates: int) -> Callable[[], Any]:
    import polars as pl

    events, weights = _raw_polars(data)

    def run() -> Any:
        frame = _polars_window(events, weights).select(
            "offender_id", harm=pl.col("weight") * 0.5 ** (pl.col("age") / harmv1.HALF_LIFE_DAYS)
        )
        full = frame.group_by("offender_id").agg(pl.col("harm").sum())
        tracked = full.sort(["harm", "offender_id"], descending=[True, False]).head(TOP_N)
        ranks = []
        for b in range(replicates):
            rep = (
                frame.sample(n=frame.height, with_replacement=True, seed=b)
                .group_by("offender_id")
                .agg(pl.col("harm").sum())
                .with_columns(rank=pl.col("harm").rank("ordinal", descending=True))
                .join(tracked.select("offender_id"), on="offender_id", how="right")
            )
            ranks.append(rep["rank"].to_numpy())
        return ranks

    return run


def duckdb_boot(data: harmv1.Data, replicates: int) -> Callable[[], Any]:

    con = _duckdb_events(data)

    def run() -> Any:
        con.execute(_DUCKDB_WINDOW)
        con.execute(
            "CREATE OR REPLACE TEMP TABLE ev AS SELECT row_number() OVER () - 1 AS r, "
            f"offender_id, weight * pow(0.5, age / {harmv1.HALF_LIFE_DAYS}) AS harm FROM ev"
        )
        m = con.execute("SELECT count(*) FROM ev").fetchone()[0]  # type: ignore[index]
        tracked = con.execute(
            "SELECT offender_id FROM ev GROUP BY offender_id "
            f"ORDER BY sum(harm) DESC, offender_id LIMIT {TOP_N}"
        ).fetchall()
        ranks = []
        for b in range(replicates):
            con.execute(f"SELECT setseed({(b + 1) / (replicates + 2)})")
            rows = con.execute(
                f"""
                WITH draw AS (SELECT floor(random() * {m})::BIGINT AS r
                              FROM range({m})),
                     times AS (SELECT r, count(*) AS k FROM draw GROUP BY r),
                     per AS (SELECT offender_id, sum(harm * k) AS harm
                             FROM ev JOIN times USING (r) GROUP BY offender_id)
                SELECT offender_id, rank() OVER (ORDER BY harm DESC, offender_id) FROM per
                """
            ).fetchall()
            ranks.append(len(rows) + len(tracked))
        return ranks

    return run


def _time(fn: Callable[[], Any], rounds: int) -> tuple[float, Any]:
    out = fn()  # warm-up (untimed)
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.loops", description=__doc__)
    ap.add_argument("--n", type=float, default=1e7)
    ap.add_argument("--boot", type=int, default=200)
    ap.add_argument("--peer-boot", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--skip", action="append", default=[], help="sweep or bootstrap")
    args = ap.parse_args(argv)
    n = 100_000 if args.quick else int(args.n)
    boot = 5 if args.quick else args.boot
    arrays = ("offender_id", "code_idx", "date")
    data = harmv1.load(n, harmv1.SEED, arrays=arrays)
    print(f"### Research loops, harm-v1 N = {n:,} (median of {args.rounds} timed runs)\n")
    print("| loop | row | s | × fastest peer |\n|---|---|--:|--:|")
    if "sweep" not in args.skip:
        t_ch, ids_ch = _time(ch_sweep(data), args.rounds)
        peers = {}
        for name, make in (("polars", polars_sweep), ("duckdb", duckdb_sweep)):
            t, ids = _time(make(data), args.rounds)
            got = {frozenset(x.tolist()) for x in ids}
            want = {frozenset(x.tolist()) for x in ids_ch}
            if got != want:
                msg = f"sweep: {name}'s top {TOP_N} sets differ from crimeharm's"
                raise AssertionError(msg)
            peers[name] = t
        best = min(peers.values())
        print(f"| sweep, {len(HALF_LIVES)} settings | crimeharm ch.sweep | {t_ch:.3g} | "
              f"{t_ch / best:.3f} |")  # fmt: skip
        for name, t in peers.items():
            print(f"| sweep, {len(HALF_LIVES)} settings | {name} | {t:.3g} | {t / best:.2f} |")
    if "bootstrap" not in args.skip:
        t_ch, _ = _time(ch_boot(data, boot), args.rounds)
        peer_boot = min(args.peer_boot, boot)
        peers = {}
        for name, make in (("polars", polars_boot), ("duckdb", duckdb_boot)):
            t, _ = _time(make(data, peer_boot), args.rounds)
            peers[name] = t * boot / peer_boot
        best = min(peers.values())
        print(f"| bootstrap, {boot} replicates | crimeharm ch.bootstrap_ranks | {t_ch:.3g} | "
              f"{t_ch / best:.3f} |")  # fmt: skip
        for name, t in peers.items():
            note = f" (extrapolated from {peer_boot})" if peer_boot < boot else ""
            print(f"| bootstrap, {boot} replicates | {name}{note} | {t:.3g} | {t / best:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
