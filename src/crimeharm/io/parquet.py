"""Parquet files (needs pyarrow): one multi-threaded read, or row batches for bounded memory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..core.events import Events
from ..errors import EventsError
from .arrays import numpy_of
from .arrow import (
    _owned_columns,
    _raw_from_arrow,
)
from .chunks import (
    _ID_FIELDS,
    Column,
    _chunk_rows,
    _empty_raw,
    _Factor,
    _Ints,
    _iterate,
    _Layout,
    _layout,
    _names,
    _Raw,
    _read_all,
)
from .options import (
    ReadOptions,
)

__all__ = ["iter_parquet", "read_parquet"]


def _parquet_raws(path: str | Path, opts: ReadOptions, chunk_rows: int | None) -> Iterator[_Raw]:
    from .._optional import require

    pa = require("pyarrow", "arrow")
    pq = require("pyarrow.parquet", "arrow")
    source = str(path)
    try:
        size = Path(path).stat().st_size
    except OSError as exc:
        msg = f"{source}: cannot open ({exc.strerror or exc})"
        raise EventsError(msg, source=source) from None
    if Path(path).is_dir():
        msg = f"{source} is a directory, not a Parquet file"
        raise EventsError(msg, source=source)
    if size == 0:
        msg = f"{source} is empty (0 bytes): expected a Parquet file"
        raise EventsError(msg, source=source)
    try:
        # int96 timestamps (Spark, Hive, Impala) at ms: years beyond 2262 do not wrap around
        pf = pq.ParquetFile(str(path), coerce_int96_timestamp_unit="ms")
        layout = _layout(pf.schema_arrow.names, opts, source)
        # codes and carried text (few distinct values) are read as dictionaries; id columns
        # (mostly distinct: hashing them costs more than it saves) are read as plain strings
        id_columns = {i for f, i in layout.fields.items() if f in _ID_FIELDS}
        text = [
            pf.schema_arrow.names[i]
            for i in sorted({*layout.fields.values(), *layout.carried.values()} - id_columns)
            if pa.types.is_string(pf.schema_arrow.field(i).type)
            or pa.types.is_large_string(pf.schema_arrow.field(i).type)
        ]
        if text:  # Parquet keeps strings dictionary-encoded: read them so, no re-encoding
            pf = pq.ParquetFile(str(path), read_dictionary=text, coerce_int96_timestamp_unit="ms")
    except (pa.ArrowException, OSError) as exc:
        msg = (
            f"{source}: not a readable Parquet file ({exc}); a file cut short while it was "
            f"being written looks like this: export it again"
        )
        raise EventsError(msg, source=source) from None
    wanted = sorted(set(layout.fields.values()) | set(layout.carried.values()))
    names = [pf.schema_arrow.names[i] for i in wanted]
    position = {i: k for k, i in enumerate(wanted)}
    layout = _Layout(
        tuple(names),
        {f: position[i] for f, i in layout.fields.items()},
        {n: position[i] for n, i in layout.carried.items()},
    )
    offset = 0
    if chunk_rows is None:
        fast = _parquet_typed(pa, pf, names, layout, source)
        if fast is not None:
            yield fast
            return
    try:
        if chunk_rows is None:  # one multi-threaded read
            table = pf.read(columns=names, use_threads=True)
            rows = table.num_rows
            arrays = {i: table.column(i) for i in range(table.num_columns)}
            del table
            if rows:
                columns, carried = _owned_columns(pa, arrays, layout)
                yield _Raw(rows, columns, carried, _names(layout), source, 0, unit="row")
            offset = rows
        for batch in [] if chunk_rows is None else pf.iter_batches(chunk_rows, columns=names):
            table = pa.Table.from_batches([batch])
            yield _raw_from_arrow(pa, table, layout, source, offset)
            offset += batch.num_rows
    except (pa.ArrowException, OSError) as exc:
        msg = f"{source}, row {offset} onwards: cannot be read ({exc}); export the file again"
        raise EventsError(msg, source=source, row=offset) from None
    if offset == 0:
        raw = _empty_raw(layout, opts, source, 0)
        raw.unit = "row"
        yield raw


def _parquet_typed(pa: Any, pf: Any, names: list[str], layout: _Layout, source: str) -> _Raw | None:
    """The common Parquet file in one pass, a row group at a time into the final arrays.

    For int64 / int32 ids, date32 dates, string codes, no carried columns and no nulls; else
    (or if anything goes wrong) None, and the general path reads the file and names problems.
    """
    kinds = {f: pf.schema_arrow.field(names[i]).type for f, i in layout.fields.items()}
    if (
        set(kinds) != {"offender_id", "offence_code", "date"}
        or layout.carried
        or kinds["offender_id"] not in (pa.int64(), pa.int32())
        or kinds["date"] != pa.date32()
        or not pa.types.is_dictionary(kinds["offence_code"])
    ):
        return None
    n = pf.metadata.num_rows
    if not n:
        return None
    ids = np.empty(n, dtype=np.int64)
    days = np.empty(n, dtype=np.int64)
    table: dict[Any, int] = {}
    parts: list[tuple[npt.NDArray[np.signedinteger[Any]], npt.NDArray[Any]]] = []
    at = 0
    try:
        for group in range(pf.num_row_groups):
            chunk = pf.read_row_group(group, columns=names, use_threads=True)
            got = [chunk.column(layout.fields[f]) for f in ("offender_id", "offence_code", "date")]
            if any(c.null_count for c in got) or at + chunk.num_rows > n:
                return None
            del chunk
            for part in got[0].chunks:
                ids[at : at + len(part)] = numpy_of(part)
                at += len(part)
            at -= len(got[0])
            for part in got[2].chunks:
                days[at : at + len(part)] = numpy_of(part.view(pa.int32()))
                at += len(part)
            for part in got[1].chunks:
                lut = [table.setdefault(v, len(table)) for v in part.dictionary.to_pylist()]
                parts.append((np.array([*lut, -1], dtype=np.int32), numpy_of(part.indices)))
    except (pa.ArrowException, OSError):
        return None
    if at != n or None in table:
        return None
    none = np.zeros(n, dtype=bool)
    columns: dict[str, Column] = {
        "offender_id": _Ints(ids, none),
        "offence_code": _Factor(None, [*table, None], parts),
        "date": _Ints(days.view("datetime64[D]"), none),
    }
    return _Raw(n, columns, {}, _names(layout), source, 0, unit="row")


def iter_parquet(
    path: str | Path, *, chunk_rows: int = 1_000_000, **options: Any
) -> Iterator[Events]:
    """Events from a Parquet file, ``chunk_rows`` rows at a time (needs pyarrow)."""
    opts = ReadOptions.from_keywords(options)
    rows = _chunk_rows(chunk_rows)
    return _iterate(lambda _state: _parquet_raws(path, opts, rows), opts)


def read_parquet(path: str | Path, *, chunk_rows: int | None = None, **options: Any) -> Events:
    """Events from a Parquet file (needs pyarrow; options of
    [`ReadOptions`][crimeharm.ReadOptions]).

    The same events as joining [`iter_parquet`][crimeharm.iter_parquet] chunks; ``chunk_rows=None``
    reads the file in one multi-threaded pass.
    """
    opts = ReadOptions.from_keywords(options)
    rows = None if chunk_rows is None else _chunk_rows(chunk_rows)
    return _read_all(lambda _state: _parquet_raws(path, opts, rows), opts)
