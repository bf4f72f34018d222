"""The harm-v1 task written idiomatically in pandas, polars and duckdb (one row per form).

Each library gets its natural tools: pandas merge/map + groupby + nlargest, polars lazy join +
group_by + top_k, duckdb SQL over an in-memory table or read_csv / read_parquet. Frames and
tables for the in-memory forms are built in setup (untimed); file forms read inside the runner.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import numpy as np

from benchmarks.harmv1 import AS_OF, HALF_LIFE_DAYS, TOP_N, WINDOW_DAYS, Data
from benchmarks.rows import Row, Runner, Top

if TYPE_CHECKING:
    import duckdb
    import pandas as pd
    import polars as pl

AS_OF_DATE: dt.date = AS_OF.astype(dt.date)


# -- pandas --------------------------------------------------------------------------------


def _pandas_rank(df: pd.DataFrame, weight: pd.Series[float] | pd.DataFrame) -> Top:
    """Weight lookup (map for a Series, merge for a frame), decay, groupby sum, nlargest."""
    import pandas as pd

    age = (pd.Timestamp(AS_OF_DATE) - df["date"]).dt.days
    counted = (age >= 0) & (age < WINDOW_DAYS)
    ev = df.loc[counted, ["offender_id", "offence_code"]].assign(age=age[counted])
    if isinstance(weight, pd.DataFrame):
        ev = ev.merge(weight, on="offence_code", how="left")
    else:
        ev["weight"] = ev["offence_code"].map(weight)
    harm = (ev["weight"] * 0.5 ** (ev["age"] / HALF_LIFE_DAYS)).rename("harm")
    per = harm.groupby(ev["offender_id"], sort=False).sum()
    top = (
        per.nlargest(TOP_N, keep="all")
        .reset_index()
        .sort_values(["harm", "offender_id"], ascending=[False, True])
        .head(TOP_N)
    )
    return top["offender_id"].to_numpy(), top["harm"].to_numpy()


def _pandas_weight_frame(data: Data) -> pd.DataFrame:
    """Code -> weight as a frame: merge on a string column is ~2x faster than map here."""
    import pandas as pd

    frame: pd.DataFrame = pd.DataFrame({"offence_code": data.codes, "weight": data.weights})
    return frame


def _pandas_strings(data: Data) -> Runner:
    import pandas as pd

    df = pd.DataFrame(
        {
            "offender_id": data.array("offender_id"),
            "offence_code": data.array("offence_code"),
            "date": data.array("date"),
        }
    )
    weight = _pandas_weight_frame(data)
    return lambda: _pandas_rank(df, weight)


def _pandas_categorical(data: Data) -> Runner:
    import pandas as pd

    codes = pd.Categorical.from_codes(
        data.array("code_idx"), dtype=pd.CategoricalDtype(data.codes.tolist())
    )
    df = pd.DataFrame(
        {
            "offender_id": data.array("offender_id"),
            "offence_code": codes,
            "date": data.array("date"),
        }
    )
    # Series.map on a Categorical maps the 200 categories only
    weight = pd.Series(data.weights, index=data.codes)
    return lambda: _pandas_rank(df, weight)


def _pandas_csv(data: Data) -> Runner:
    import pandas as pd

    weight = _pandas_weight_frame(data)
    path = data.csv
    # the default C engine parses ISO dates fast; engine="pyarrow" + parse_dates is ~9x slower
    return lambda: _pandas_rank(pd.read_csv(path, parse_dates=["date"]), weight)


def _pandas_parquet(data: Data) -> Runner:
    import pandas as pd

    weight = _pandas_weight_frame(data)
    path = data.parquet

    def run() -> Top:
        df = pd.read_parquet(path)
        df["date"] = pd.to_datetime(df["date"])  # date32 arrives as datetime.date objects
        return _pandas_rank(df, weight)

    return run


# -- polars --------------------------------------------------------------------------------


def _polars_rank(events: pl.LazyFrame, weight: pl.LazyFrame, key: str = "offence_code") -> Top:
    """Lazy: age, window filter, join weights, group_by sum, top_k, sort."""
    import polars as pl

    age = (pl.lit(AS_OF_DATE) - pl.col("date")).dt.total_days()
    top = (
        events.with_columns(age=age)
        .filter((pl.col("age") >= 0) & (pl.col("age") < WINDOW_DAYS))
        .join(weight, on=key, how="left")
        .group_by("offender_id")
        .agg(harm=(pl.col("weight") * 0.5 ** (pl.col("age") / HALF_LIFE_DAYS)).sum())
        .top_k(TOP_N, by=["harm", "offender_id"], reverse=[False, True])
        .sort(["harm", "offender_id"], descending=[True, False])
        .collect()
    )
    return top["offender_id"].to_numpy(), top["harm"].to_numpy()


def _polars_weight_frame(data: Data) -> pl.LazyFrame:
    import polars as pl

    return pl.DataFrame({"offence_code": data.codes, "weight": data.weights}).lazy()


def _polars_strings(data: Data) -> Runner:
    import polars as pl

    df = pl.DataFrame(
        {
            "offender_id": data.array("offender_id"),
            "offence_code": data.array("offence_code"),
            "date": data.array("date"),
        }
    )
    weight = _polars_weight_frame(data)
    return lambda: _polars_rank(df.lazy(), weight)


def _polars_categorical(data: Data) -> Runner:
    import polars as pl

    table = pl.Series("offence_code", data.codes, dtype=pl.Enum(data.codes.tolist()))
    df = pl.DataFrame(
        {
            "offender_id": data.array("offender_id"),
            "offence_code": table.gather(data.array("code_idx")),
            "date": data.array("date"),
        }
    )
    weight = pl.DataFrame({"offence_code": table, "weight": data.weights}).lazy()
    return lambda: _polars_rank(df.lazy(), weight)


def _polars_csv(data: Data) -> Runner:
    import polars as pl

    weight = _polars_weight_frame(data)
    path = data.csv
    return lambda: _polars_rank(pl.scan_csv(path, try_parse_dates=True), weight)


def _polars_parquet(data: Data) -> Runner:
    import polars as pl

    weight = _polars_weight_frame(data)
    path = data.parquet
    return lambda: _polars_rank(pl.scan_parquet(path), weight)


# -- duckdb --------------------------------------------------------------------------------

_SQL = f"""
SELECT offender_id, sum(weight * pow(0.5, age / {HALF_LIFE_DAYS!r})) AS harm
FROM (SELECT offender_id, {{key}}, DATE '{AS_OF}' - date AS age FROM {{source}})
JOIN weights USING ({{key}})
WHERE age >= 0 AND age < {WINDOW_DAYS}
GROUP BY offender_id
ORDER BY harm DESC, offender_id
LIMIT {TOP_N}
"""


def _duckdb_runner(con: duckdb.DuckDBPyConnection, source: str, key: str) -> Runner:
    sql = _SQL.format(key=key, source=source)

    def run() -> Top:
        out = con.execute(sql).fetchnumpy()
        return np.asarray(out["offender_id"]), np.asarray(out["harm"])

    return run


def _duckdb_connect(tables: dict[str, dict[str, Any]]) -> duckdb.DuckDBPyConnection:
    """An in-memory database holding `tables` (name -> columns) as native duckdb tables."""
    import duckdb
    import pyarrow as pa

    con = duckdb.connect()
    for name, columns in tables.items():
        con.register("_staging", pa.table(columns))
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM _staging")
        con.unregister("_staging")
    return con


def _duckdb_string_weights(data: Data) -> dict[str, Any]:
    import pyarrow as pa

    return {"offence_code": pa.array(data.codes, pa.string()), "weight": data.weights}


def _duckdb_strings(data: Data) -> Runner:
    import pyarrow as pa

    events = {
        "offender_id": data.array("offender_id"),
        "offence_code": pa.array(data.array("offence_code"), pa.string()),
        "date": pa.array(data.array("date")),
    }
    con = _duckdb_connect({"events": events, "weights": _duckdb_string_weights(data)})
    return _duckdb_runner(con, "events", "offence_code")


def _duckdb_categorical(data: Data) -> Runner:
    import pyarrow as pa

    events = {
        "offender_id": data.array("offender_id"),
        "code_idx": data.array("code_idx"),
        "date": pa.array(data.array("date")),
    }
    weights = {"code_idx": np.arange(data.codes.size, dtype=np.int16), "weight": data.weights}
    con = _duckdb_connect({"events": events, "weights": weights})
    return _duckdb_runner(con, "events", "code_idx")


def _duckdb_csv(data: Data) -> Runner:
    con = _duckdb_connect({"weights": _duckdb_string_weights(data)})
    return _duckdb_runner(con, f"read_csv('{data.csv}')", "offence_code")


def _duckdb_parquet(data: Data) -> Runner:
    con = _duckdb_connect({"weights": _duckdb_string_weights(data)})
    return _duckdb_runner(con, f"read_parquet('{data.parquet}')", "offence_code")


ROWS: tuple[Row, ...] = tuple(
    Row(form, lib, setup, peer=True)
    for form, impls in {
        "strings": {
            "pandas": _pandas_strings,
            "polars": _polars_strings,
            "duckdb": _duckdb_strings,
        },
        "categorical": {
            "pandas": _pandas_categorical,
            "polars": _polars_categorical,
            "duckdb": _duckdb_categorical,
        },
        "csv": {"pandas": _pandas_csv, "polars": _polars_csv, "duckdb": _duckdb_csv},
        "parquet": {
            "pandas": _pandas_parquet,
            "polars": _polars_parquet,
            "duckdb": _duckdb_parquet,
        },
    }.items()
    for lib, setup in impls.items()
)
