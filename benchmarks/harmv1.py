"""Workload "harm-v1": deterministic synthetic crime-event data.

A copy of ``shared/bench/gen.py`` (typed and ruff-clean); the generated arrays, files and
fingerprints are identical to the original's.

    python -m benchmarks.harmv1                 # N = 1_000_000 and 10_000_000, seed 20230718
    python -m benchmarks.harmv1 --n 1000000     # one size
    python -m benchmarks.harmv1 --stats         # print distribution stats too

Writes everything under <system temp dir>/harmbench/harm-v1-N{N}-s{seed}/ (never into the repo;
$HARMBENCH_DIR overrides the harmbench folder):
    offender_id.npy   int64            random distinct ids in [1, 2**62), M = N // 8 of them
    offence_code.npy  <U6 ("NNN/NN")   numpy string array
    code_idx.npy      int16            the same codes as indices into the code table
    date.npy          datetime64[D]    uniform over the 1826 days ending at AS_OF
    codes.npy / weights.npy            code table (K = 200) and weight in days per code
    events.csv        header offender_id,offence_code,date ; ISO dates
    events.parquet    offender_id int64, offence_code string, date date32 (snappy)
    meta.json         parameters + fingerprint (sha256 of the in-memory arrays)

Other scripts call load(n, seed), which generates on first use.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

WORKLOAD = "harm-v1"
SEED = 20230718
AS_OF = np.datetime64("2023-07-18", "D")
WINDOW_DAYS = 1826  # events with 0 <= age_days < 1826 count
HALF_LIFE_DAYS = 365.0  # decay = 0.5 ** (age_days / 365)
TOP_N = 100
K_CODES = 200
N_ZERO_WEIGHT = 10
W_MIN, W_MAX = 1.0, 5475.0  # days (5475 = 15 years, e.g. homicide starting point)
PARETO_ALPHA = 1.2  # offender propensity ~ Pareto(alpha), capped
PARETO_CAP = 1000.0
SIZES = (1_000_000, 10_000_000)
ROOT = Path(os.environ.get("HARMBENCH_DIR", Path(tempfile.gettempdir()) / "harmbench"))
EVENT_ARRAYS = ("offender_id", "offence_code", "code_idx", "date")

Array = NDArray[Any]


@dataclass
class Data:
    """One generated data set; event arrays not asked for in `load` are None."""

    n: int
    seed: int
    dir: Path
    offender_id: Array | None  # int64 (N,)
    offence_code: Array | None  # <U6 (N,)
    code_idx: Array | None  # int16 (N,) index into codes
    date: Array | None  # datetime64[D] (N,)
    codes: Array  # <U6 (K,) code table
    weights: Array  # float64 (K,) days
    as_of: np.datetime64 = AS_OF

    @property
    def csv(self) -> Path:
        return self.dir / "events.csv"

    @property
    def parquet(self) -> Path:
        return self.dir / "events.parquet"

    def weight_dict(self) -> dict[str, float]:
        return dict(zip(self.codes.tolist(), self.weights.tolist(), strict=True))

    def array(self, name: str) -> Array:
        """The event array `name`, which must have been loaded."""
        a = getattr(self, name)
        if a is None:
            msg = f"event array {name!r} was not loaded; pass it in load(..., arrays=...)"
            raise ValueError(msg)
        return a  # type: ignore[no-any-return]  # getattr on a dataclass field


def data_dir(n: int, seed: int = SEED) -> Path:
    return ROOT / f"{WORKLOAD}-N{n}-s{seed}"


def make_code_table(rng: np.random.Generator) -> tuple[Array, Array, Array]:
    """200 distinct "NNN/NN" codes, weights log-spread in [1, 5475] (10 are 0),
    and event frequencies skewed towards low-weight (minor, common) offences."""
    nums = np.sort(rng.choice(1000 * 100, size=K_CODES, replace=False))
    codes = np.array([f"{x // 100:03d}/{x % 100:02d}" for x in nums], dtype="<U6")
    w = np.concatenate(
        [np.zeros(N_ZERO_WEIGHT), np.geomspace(W_MIN, W_MAX, K_CODES - N_ZERO_WEIGHT)]
    )
    weights = w[rng.permutation(K_CODES)]
    # frequency ~ (1 + weight)^-0.8 with log-normal noise: theft common, homicide rare;
    # the zero-weight codes are as frequent as a ~30-day offence
    freq = (1.0 + np.where(weights == 0, 30.0, weights)) ** -0.8 * rng.lognormal(0.0, 0.5, K_CODES)
    freq /= freq.sum()
    return codes, weights, freq


def generate(n: int, seed: int = SEED) -> dict[str, Array]:
    """The harm-v1 arrays for `n` events (pure function of n and seed)."""
    rng = np.random.default_rng([seed, n])
    codes, weights, freq = make_code_table(np.random.default_rng(seed))  # same table for every N
    m = n // 8
    # distinct random ids in [1, 2**62), kept in random (not sorted) order
    ids = np.empty(0, np.int64)
    while ids.size < m:
        cand = rng.integers(1, 2**62, size=m - ids.size + 1024, dtype=np.int64)
        ids = np.concatenate([ids, cand])
        _, first = np.unique(ids, return_index=True)
        ids = ids[np.sort(first)]
    ids = ids[:m]
    # events per offender: 1 + share of the rest proportional to a capped Pareto propensity
    prop = np.minimum(rng.pareto(PARETO_ALPHA, m) + 1.0, PARETO_CAP)
    cdf = np.cumsum(prop)
    extra = np.searchsorted(cdf, rng.random(n - m) * cdf[-1], side="right")
    owner = np.concatenate([np.arange(m), np.minimum(extra, m - 1)])
    owner = owner[rng.permutation(n)]  # shuffle event order
    code_idx = rng.choice(K_CODES, size=n, p=freq).astype(np.int16)
    age = rng.integers(0, WINDOW_DAYS, size=n)  # 0 .. 1825
    date = (AS_OF - age.astype("timedelta64[D]")).astype("datetime64[D]")
    return {
        "offender_id": ids[owner],
        "offence_code": codes[code_idx],
        "code_idx": code_idx,
        "date": date,
        "codes": codes,
        "weights": weights,
        "freq": freq,
    }


def fingerprint(arrs: dict[str, Array]) -> str:
    h = hashlib.sha256()
    for k in ("offender_id", "code_idx", "date", "codes", "weights"):
        h.update(np.ascontiguousarray(arrs[k]).tobytes())
    return h.hexdigest()[:16]


def write(n: int, seed: int = SEED, stats: bool = False) -> Path:
    """Generate and write the data set for (n, seed); return its folder."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    d = data_dir(n, seed)
    d.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    a = generate(n, seed)
    for k in ("offender_id", "offence_code", "code_idx", "date", "codes", "weights"):
        np.save(d / f"{k}.npy", a[k])
    tbl = pa.table(
        {
            "offender_id": pa.array(a["offender_id"]),
            "offence_code": pa.array(a["offence_code"], type=pa.string()),
            "date": pa.array(a["date"]).cast(pa.date32()),
        }
    )
    with (d / "events.csv").open("wb") as f:
        f.write(b"offender_id,offence_code,date\n")
        pacsv.write_csv(tbl, f, pacsv.WriteOptions(include_header=False, quoting_style="none"))
    pq.write_table(tbl, d / "events.parquet")  # pyarrow defaults: snappy, 1Mi-row groups
    with (d / "weights.csv").open("w") as f:
        f.write("offence_code,weight_days,frequency\n")
        for c, w, p in zip(a["codes"], a["weights"], a["freq"], strict=True):
            f.write(f"{c},{float(w)!r},{float(p)!r}\n")
    meta: dict[str, Any] = {
        "workload": WORKLOAD,
        "n": n,
        "m": n // 8,
        "seed": seed,
        "as_of": str(AS_OF),
        "window_days": WINDOW_DAYS,
        "half_life_days": HALF_LIFE_DAYS,
        "top_n": TOP_N,
        "k_codes": K_CODES,
        "pareto_alpha": PARETO_ALPHA,
        "pareto_cap": PARETO_CAP,
        "fingerprint": fingerprint(a),
        "csv_bytes": (d / "events.csv").stat().st_size,
        "parquet_bytes": (d / "events.parquet").stat().st_size,
    }
    (d / "meta.json").write_text(json.dumps(meta, indent=1))
    print(
        f"wrote {d} in {time.perf_counter() - t0:.1f}s  fingerprint={meta['fingerprint']} "
        f"csv={meta['csv_bytes'] / 2**20:.0f}MiB parquet={meta['parquet_bytes'] / 2**20:.0f}MiB"
    )
    if stats:
        print_stats(a)
    return d


def print_stats(a: dict[str, Array]) -> None:
    n = a["offender_id"].size
    _, counts = np.unique(a["offender_id"], return_counts=True)
    c = np.sort(counts)[::-1]
    m = c.size
    w = a["weights"][a["code_idx"]]
    print(
        f"  N={n} M={m} events/offender: median={np.median(c):.0f} "
        f"p99={np.percentile(c, 99):.0f} max={c[0]}  top1% of offenders -> "
        f"{c[: m // 100].sum() / n:.1%} of events, top10% -> {c[: m // 10].sum() / n:.1%}"
    )
    print(
        f"  events with weight 0: {(w == 0).mean():.1%}, <=30d: {(w <= 30).mean():.1%}, "
        f">=365d: {(w >= 365).mean():.2%}, max-weight code: {(w == w.max()).sum()} events"
    )


def read_meta(n: int, seed: int = SEED) -> dict[str, Any]:
    """The meta.json of a written data set."""
    meta: dict[str, Any] = json.loads((data_dir(n, seed) / "meta.json").read_text())
    return meta


def load(n: int, seed: int = SEED, arrays: Iterable[str] = EVENT_ARRAYS) -> Data:
    """Load (generating on first use). `arrays` limits which event arrays are read;
    the others are None (the code table and weights are always loaded)."""
    d = data_dir(n, seed)
    if not (d / "meta.json").exists():
        write(n, seed)
    wanted = set(arrays)
    g = {k: (np.load(d / f"{k}.npy") if k in wanted else None) for k in EVENT_ARRAYS}
    return Data(
        n=n,
        seed=seed,
        dir=d,
        offender_id=g["offender_id"],
        offence_code=g["offence_code"],
        code_idx=g["code_idx"],
        date=g["date"],
        codes=np.load(d / "codes.npy"),
        weights=np.load(d / "weights.npy"),
    )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--n", type=int, action="append", help="event count (repeatable); default 1e6 and 1e7"
    )
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--stats", action="store_true")
    ap.add_argument("--force", action="store_true", help="regenerate even if present")
    args = ap.parse_args()
    for n in args.n or SIZES:
        if args.force or not (data_dir(n, args.seed) / "meta.json").exists():
            write(n, args.seed, stats=args.stats)
        else:
            meta = read_meta(n, args.seed)
            print(f"exists {data_dir(n, args.seed)} fingerprint={meta['fingerprint']}")
            if args.stats:
                print_stats(generate(n, args.seed))


if __name__ == "__main__":
    main()
