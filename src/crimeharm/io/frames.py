"""pandas, Arrow and polars frames -> Events (bring your own frame), with the readers' options."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from ..core.events import Events
from ..errors import MissingDependencyError, ParameterError
from .arrow import (
    _raw_from_arrow,
)
from .chunks import (
    _ID_FIELDS,
    Column,
    _Factor,
    _factor_from_values,
    _Ints,
    _layout,
    _names,
    _Raw,
    _read_all,
)
from .options import (
    ReadOptions,
)

__all__ = ["events_from_arrow", "events_from_pandas", "events_from_polars"]


def _numpy_column(values: npt.NDArray[Any]) -> Column:
    arr = np.asarray(values)
    if arr.dtype.kind in "iu":
        return _Ints(arr.astype(np.int64), np.zeros(arr.shape[0], dtype=bool))
    if arr.dtype.kind == "M":
        days = arr.astype("datetime64[D]")
        return _Ints(days, np.isnat(days))
    if arr.dtype.kind in "fUSb":
        uniq, inverse = np.unique(arr, return_inverse=True)
        return _Factor(inverse.reshape(-1).astype(np.intp), [*uniq.tolist(), None])
    return _factor_from_values([_plain(v) for v in arr.tolist()])


def _plain(value: Any) -> Any:
    """None for the ways frames spell a missing value (None, NaN, NaT, pandas.NA)."""
    if value is None:
        return None
    try:
        if value != value:  # NaN, NaT
            return None
    except (TypeError, ValueError):  # pandas.NA refuses to be compared
        return None
    return value


def _numpy_carried(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
    arr = np.asarray(values)
    if arr.dtype.kind == "O" and all(isinstance(v, str) or _plain(v) is None for v in arr.tolist()):
        text = ["" if _plain(v) is None else v for v in arr.tolist()]
        return np.array(text, dtype=np.str_) if text else np.empty(0, dtype="<U1")
    return arr


def _pandas_column(pd: Any, series: Any, field: str = "") -> Column:
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return _Factor(
            np.asarray(series.cat.codes, dtype=np.intp), [*series.cat.categories.tolist(), None]
        )
    if isinstance(dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_localize(None)  # the wall-clock day where it happened
        dtype = series.dtype
    if pd.api.types.is_integer_dtype(dtype):
        null = np.asarray(series.isna(), dtype=bool)
        values = series.fillna(0) if null.any() else series
        return _Ints(np.asarray(values, dtype=np.int64), null)
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return _numpy_column(np.asarray(series, dtype="datetime64[ns]"))
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    index = np.asarray(codes, dtype=np.intp)
    if field in _ID_FIELDS and len(uniques) > 1024:  # many text ids: the policy in Arrow
        try:
            import pyarrow as pa

            dictionary = pa.array(uniques, type=pa.string())
        except (ImportError, TypeError, ValueError):  # no pyarrow, or not all text
            pass
        else:
            return _Factor(index, None, dictionary=dictionary)
    return _Factor(index, [*list(uniques), None])


def _pandas_carried(pd: Any, series: Any) -> npt.NDArray[Any]:
    if pd.api.types.is_string_dtype(series.dtype) and not isinstance(
        series.dtype, pd.CategoricalDtype
    ):
        return _numpy_carried(series.to_numpy(dtype=object))
    return _numpy_carried(series.to_numpy())


def _frame_events(raw_of: Callable[[], _Raw], opts: ReadOptions) -> Events:
    return _read_all(lambda _state: iter([raw_of()]), opts)


def events_from_arrow(table: Any, **options: Any) -> Events:
    """Events from a pyarrow Table or RecordBatch; rows are numbered from 0 in messages."""
    from .._optional import require

    pa = require("pyarrow", "arrow")
    opts = ReadOptions.from_keywords(options)
    if isinstance(table, pa.RecordBatch):
        table = pa.Table.from_batches([table])
    if not isinstance(table, pa.Table):
        msg = f"events_from_arrow needs a pyarrow Table or RecordBatch (got {type(table).__name__})"
        raise ParameterError(msg)
    layout = _layout(table.column_names, opts, "Arrow table")
    return _frame_events(lambda: _raw_from_arrow(pa, table, layout, "Arrow table", 0), opts)


def events_from_pandas(frame: Any, **options: Any) -> Events:
    """Events from a pandas DataFrame; rows are numbered by position (from 0) in messages."""
    from .._optional import require

    pd = require("pandas", "pandas")
    opts = ReadOptions.from_keywords(options)
    if not isinstance(frame, pd.DataFrame):
        msg = f"events_from_pandas needs a pandas DataFrame (got {type(frame).__name__})"
        raise ParameterError(msg)
    source = "DataFrame"
    layout = _layout([str(c) for c in frame.columns], opts, source)

    def raw() -> _Raw:
        columns = {f: _pandas_column(pd, frame.iloc[:, i], f) for f, i in layout.fields.items()}
        carried = {n: _pandas_carried(pd, frame.iloc[:, i]) for n, i in layout.carried.items()}
        return _Raw(len(frame), columns, carried, _names(layout), source, 0, unit="row")

    return _frame_events(raw, opts)


def events_from_polars(frame: Any, **options: Any) -> Events:
    """Events from a polars DataFrame (through Arrow where pyarrow is installed)."""
    from .._optional import require

    pl = require("polars", "polars")
    opts = ReadOptions.from_keywords(options)
    if not isinstance(frame, pl.DataFrame):
        msg = f"events_from_polars needs a polars DataFrame (got {type(frame).__name__})"
        raise ParameterError(msg)
    source = "polars DataFrame"
    layout = _layout(frame.columns, opts, source)
    try:
        pa = require("pyarrow", "arrow")
    except MissingDependencyError:
        pa = None

    def raw() -> _Raw:
        if pa is not None:
            return _raw_from_arrow(pa, frame.to_arrow(), layout, source, 0)
        columns = {
            f: _numpy_column(frame.to_series(i).to_numpy()) for f, i in layout.fields.items()
        }
        carried = {
            n: _numpy_carried(frame.to_series(i).to_numpy()) for n, i in layout.carried.items()
        }
        return _Raw(frame.height, columns, carried, _names(layout), source, 0, unit="row")

    return _frame_events(raw, opts)
