"""Arrow columns as reader columns (CSV blocks, Parquet, Arrow and polars frames).

Text is dictionary-encoded and id columns are checked by the id policy in Arrow's kernels, so
no Python loop runs over the rows.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import numpy.typing as npt

from .arrays import numpy_of, numpy_strings
from .chunks import (
    _ID_FIELDS,
    Column,
    _Factor,
    _Ints,
    _Layout,
    _names,
    _Raw,
)

#: Text id columns up to this size are read as one string array (32-bit offsets); larger ones
#: are factored by Arrow's dictionary encoding, chunk by chunk.
_ONE_STRING_ARRAY = 2**31 - 2**24


def _arrow_column(pa: Any, chunked: Any, field: str = "") -> Column:
    """A used column from Arrow: ints and dates as parsed, text ids as they are, else factored.

    Text id columns are not dictionary-encoded (mostly distinct values: hashing them costs more
    than it saves); the id policy runs on the column itself, a row per entry.
    """
    import pyarrow.compute as pc

    kind = chunked.type
    if (
        field in _ID_FIELDS
        and (
            pa.types.is_string(kind)
            or pa.types.is_large_string(kind)
            or pa.types.is_string_view(kind)
        )
        and chunked.nbytes < _ONE_STRING_ARRAY  # one array of 32-bit offsets holds them all
    ):
        values = chunked.combine_chunks() if chunked.num_chunks != 1 else chunked.chunk(0)
        if not pa.types.is_string(values.type):
            values = values.cast(pa.string())
        index = np.arange(len(values), dtype=np.int64)
        if values.null_count:
            index[np.asarray(numpy_of(values.is_null()), dtype=bool)] = -1
        return _Factor(index, None, dictionary=values, identity=not values.null_count)
    if pa.types.is_integer(kind):
        null = _arrow_nulls(chunked)
        values = numpy_of(chunked.fill_null(0) if chunked.null_count else chunked)
        return _Ints(np.asarray(values).astype(np.int64, copy=False), null)
    if pa.types.is_date(kind) or pa.types.is_timestamp(kind):
        null = _arrow_nulls(chunked)
        if pa.types.is_timestamp(kind) and kind.tz is not None:
            chunked = pc.local_timestamp(chunked)  # the wall-clock day where it happened
        if pa.types.is_date(kind):
            chunked = chunked.cast(pa.date32())
            values = numpy_of(chunked.fill_null(0) if chunked.null_count else chunked)
        else:
            values = chunked.fill_null(0).to_numpy() if chunked.null_count else chunked.to_numpy()
        days = np.asarray(values).astype("datetime64[D]", copy=False)
        if chunked.null_count:
            days[null] = np.datetime64("NaT")
        return _Ints(days, null)
    return _arrow_factor(pa, chunked)


def _arrow_nulls(chunked: Any) -> npt.NDArray[np.bool_]:
    if not chunked.null_count:
        return np.zeros(len(chunked), dtype=bool)
    return np.asarray(numpy_of(chunked.is_null()), dtype=bool)


def _arrow_factor(pa: Any, chunked: Any) -> _Factor:
    """Any Arrow column as indices into its distinct values, in Arrow's kernels (no Python loop)."""
    import pyarrow.compute as pc

    if pa.types.is_string_view(chunked.type) or pa.types.is_large_string(chunked.type):
        chunked = chunked.cast(pa.string())
    if pa.types.is_dictionary(chunked.type) and (
        pa.types.is_large_string(chunked.type.value_type)
        or pa.types.is_string_view(chunked.type.value_type)
    ):
        chunked = chunked.cast(pa.dictionary(pa.int32(), pa.string()))
    if not pa.types.is_dictionary(chunked.type):
        try:
            chunked = pc.dictionary_encode(chunked)
        except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
            chunked = pc.dictionary_encode(chunked.cast(pa.string()))
    if chunked.num_chunks == 0:
        return _Factor(np.empty(0, dtype=np.intp), [None])
    if chunked.num_chunks > 1:
        chunked = chunked.unify_dictionaries()
    dictionary = chunked.chunk(0).dictionary
    pieces = []
    for chunk in chunked.chunks:
        indices = chunk.indices.fill_null(-1) if chunk.null_count else chunk.indices
        pieces.append(numpy_of(indices))
    index = pieces[0] if len(pieces) == 1 else np.concatenate(pieces)
    index = index.astype(np.int32 if len(dictionary) < 2**31 - 1 else np.int64, copy=False)
    if dictionary.null_count:  # a null inside the dictionary: point at the sentinel
        null_at = np.flatnonzero(numpy_of(dictionary.is_null()))
        lut = np.arange(len(dictionary) + 1, dtype=np.int64)
        lut[null_at] = -1
        lut[-1] = -1
        index = lut[index].astype(index.dtype)
    return _Factor(index, None, dictionary=dictionary)


def _arrow_strings(pa: Any, chunked: Any) -> npt.NDArray[Any]:
    """A carried column: strings as unicode ("" for null), other types as numpy gives them."""
    kind = chunked.type
    if pa.types.is_dictionary(kind) and pa.types.is_string(kind.value_type) and len(chunked):
        # text the parser dictionary-encoded: convert each chunk's distinct values once
        tables = []
        for chunk in chunked.chunks:
            dictionary = chunk.dictionary
            table = numpy_strings(dictionary.fill_null("") if dictionary.null_count else dictionary)
            tables.append(np.append(table, np.array([""], dtype=table.dtype)))  # -1: null
        picked: npt.NDArray[Any] = np.empty(len(chunked), dtype=np.result_type(*tables))
        at = 0
        for chunk, table in zip(chunked.chunks, tables, strict=True):
            indices = chunk.indices.fill_null(-1) if chunk.null_count else chunk.indices
            index = numpy_of(indices)
            np.take(table, index, out=picked[at : at + len(chunk)])
            at += len(chunk)
        return picked
    if pa.types.is_dictionary(kind):
        chunked = chunked.cast(kind.value_type)
        kind = kind.value_type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
        if chunked.null_count:
            chunked = chunked.fill_null("")
        if len(chunked) > 4096:  # few distinct values (a sex, a borough): convert those only
            import pyarrow.compute as pc

            coded = pc.dictionary_encode(chunked.cast(pa.string())).combine_chunks()
            if len(coded.dictionary) * 4 < len(chunked):
                table = numpy_strings(coded.dictionary)
                indices = numpy_of(coded.indices)
                few: npt.NDArray[Any] = table[indices]
                return few
        values = chunked.to_numpy()
        return values.astype(np.str_) if values.size else np.empty(0, dtype="<U1")
    return np.asarray(chunked.to_numpy())


#: Rows above which the id columns of a chunk are checked in parallel threads.
_PARALLEL_ROWS = 100_000


def _prefetch_ids(columns: dict[str, Column]) -> None:
    """Apply the id policy to a chunk's id columns at once, one thread each.

    Arrow's kernels and numpy's large array operations release the GIL, so the columns are
    checked side by side; each result is the same as computing it later on first use.
    """
    factors = [
        c
        for f, c in columns.items()
        if f in _ID_FIELDS and isinstance(c, _Factor) and c.dictionary is not None
    ]
    if len(factors) < 2 or len(factors[0].dictionary) < _PARALLEL_ROWS:
        return
    with ThreadPoolExecutor(max_workers=len(factors)) as pool:
        list(pool.map(_prefetch_one, factors))


def _prefetch_one(column: _Factor) -> None:
    """The id policy on one column, and its text unless every id is an integer (then the
    text is never needed)."""
    table = column.id_table()
    if not table.exact_int[:-1].all():
        _ = table.text


def _owned_columns(
    pa: Any, arrays: dict[int, Any], layout: _Layout
) -> tuple[dict[str, Column], dict[str, npt.NDArray[Any]]]:
    """Used and carried columns from Arrow columns (by position) that only ``arrays`` holds.

    Each Arrow column is dropped, and its memory handed back, as soon as it is converted, so
    the peak stays near the size of the result rather than Arrow's copy plus numpy's.
    """
    uses: dict[int, int] = {}
    for i in [*layout.fields.values(), *layout.carried.values()]:
        uses[i] = uses.get(i, 0) + 1
    pool = pa.default_memory_pool()

    def take(i: int) -> Any:
        uses[i] -= 1
        return arrays[i] if uses[i] else arrays.pop(i)

    columns: dict[str, Column] = {}
    for field, i in layout.fields.items():
        columns[field] = _arrow_column(pa, take(i), field)
        pool.release_unused()
    _prefetch_ids(columns)
    carried: dict[str, npt.NDArray[Any]] = {}
    for name, i in layout.carried.items():
        carried[name] = _arrow_strings(pa, take(i))
        pool.release_unused()
    return columns, carried


def _raw_from_arrow(pa: Any, table: Any, layout: _Layout, source: str, first: int) -> _Raw:
    columns = {f: _arrow_column(pa, table.column(i), f) for f, i in layout.fields.items()}
    _prefetch_ids(columns)
    carried = {n: _arrow_strings(pa, table.column(i)) for n, i in layout.carried.items()}
    return _Raw(table.num_rows, columns, carried, _names(layout), source, first, unit="row")
