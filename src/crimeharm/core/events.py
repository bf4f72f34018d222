"""Events: one frozen columnar table of recorded offences (numpy arrays, one row per offence)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

import attrs
import numpy as np
import numpy.typing as npt

from ..errors import EventsError, ParameterError, UnknownKeyError

if TYPE_CHECKING:
    import pandas as pd

    from .schemes import WeightScheme

__all__ = ["Events", "as_events", "is_missing"]

RESERVED = ("offender_id", "offence_code", "date", "victim_id", "crime_id")


def _where(source: str | None, first_line: int | None, row: int) -> str:
    if source is None:
        return f"row {row}"
    if first_line is None:
        return f"{source}, row {row}"
    return f"{source}, line {first_line + row}"


#: Whether each code point up to U+3000 (the highest ``str.isspace`` accepts) is a space.
_IS_SPACE = np.array([chr(c).isspace() for c in range(0x3001)] + [False], dtype=bool)


def _blank_strings(arr: npt.NDArray[np.str_]) -> npt.NDArray[np.bool_]:
    """Empty or whitespace-only values; only values starting with a space are stripped."""
    width = arr.dtype.itemsize // 4
    if width == 0 or arr.size == 0:
        return np.ones(arr.shape, dtype=bool)
    first = np.ascontiguousarray(arr).view(np.uint32).reshape(arr.shape[0], width)[:, 0]
    blank: npt.NDArray[np.bool_] = np.equal(first, 0)
    maybe = np.flatnonzero(_IS_SPACE[np.minimum(first, 0x3001)])
    if maybe.size:
        blank[maybe] = np.char.str_len(np.char.strip(arr[maybe])) == 0
    return blank


def is_missing(arr: npt.NDArray[Any]) -> npt.NDArray[np.bool_]:
    """Missing values: blank strings, None/NaN objects, NaN floats and NaT dates."""
    if arr.dtype.kind == "U":
        return _blank_strings(arr)  # the same rule at every size
    if arr.dtype.kind == "O":
        return np.array(
            [v is None or v != v or (isinstance(v, str) and not v.strip()) for v in arr],
            dtype=bool,
        )
    if arr.dtype.kind == "f":
        return np.asarray(np.isnan(arr))
    if arr.dtype.kind == "M":
        return np.asarray(np.isnat(arr))
    return np.zeros(arr.shape, dtype=bool)


def _as_ids(values: Any) -> npt.NDArray[Any]:
    arr = np.asarray(values)
    if arr.dtype.kind in "iub":
        if arr.dtype.kind == "u" and arr.size and arr.max() > np.iinfo(np.int64).max:
            msg = "offender_id values above 2**63 - 1 do not fit int64; pass them as strings"
            raise EventsError(msg, column="offender_id")
        return arr.astype(np.int64, copy=False)
    if arr.dtype.kind == "f":
        whole = np.isfinite(arr) & (arr == np.round(arr))
        if not whole.all():
            i = int(np.argmin(whole))
            # the value is an id: name its row and kind, never the value itself
            msg = (
                f"'offender_id' at row {i} must be an integer or a string (got a number with a "
                "fraction, or NaN/inf)"
            )
            raise EventsError(msg, row=i, column="offender_id")
        return arr.astype(np.int64)
    if arr.dtype.kind in "OS":
        return _as_strings(arr, "offender_id")
    if arr.dtype.kind == "U":
        return arr
    msg = f"'offender_id' must be integers or strings (got dtype {arr.dtype})"
    raise EventsError(msg, column="offender_id")


def _as_strings(arr: npt.NDArray[Any], column: str) -> npt.NDArray[np.str_]:
    if arr.dtype.kind == "S":
        try:
            return np.char.decode(arr, "utf-8")
        except UnicodeDecodeError as exc:
            msg = f"'{column}' holds bytes that are not UTF-8 ({exc.reason})"
            raise EventsError(msg, column=column) from exc
    if arr.dtype.kind == "O":
        bad = np.flatnonzero([not isinstance(v, str) for v in arr])
        if bad.size:
            i = int(bad[0])
            kind = type(arr[i]).__name__  # an id's type, never its value (ids are personal data)
            msg = f"'{column}' at row {i} must be a string (got a {kind}; {bad.size:,} such rows)"
            raise EventsError(msg, row=i, column=column, count=bad.size)
        return arr.astype(np.str_) if arr.size else np.empty(0, dtype="<U1")
    return arr.astype(np.str_)


def _as_codes(values: Any) -> npt.NDArray[Any]:
    arr = np.asarray(values)
    if arr.size == 0 and arr.dtype.kind not in "iuU":
        return np.empty(0, dtype="<U1")  # an empty list arrives as float64
    if arr.dtype.kind in "iu":
        return arr
    if arr.dtype.kind in "OS":
        return _as_strings(arr, "offence_code")
    if arr.dtype.kind == "U":
        return arr
    msg = f"'offence_code' must be strings or integer category indices (got dtype {arr.dtype})"
    raise EventsError(msg, column="offence_code")


def _as_dates(values: Any) -> npt.NDArray[np.datetime64]:
    arr = np.asarray(values)
    if arr.dtype.kind == "M":
        return arr.astype("datetime64[D]", copy=False)
    try:
        return np.asarray(values, dtype="datetime64[D]")
    except (ValueError, TypeError):
        pass
    flat = list(np.asarray(values, dtype=object).ravel())
    for i, v in enumerate(flat):
        try:
            np.datetime64(v, "D")
        except (ValueError, TypeError):
            msg = f"'date' at row {i} is not a date (got {v!r}); expected ISO YYYY-MM-DD"
            raise EventsError(msg, row=i, column="date", value=v) from None
    msg = "'date' could not be read as dates"
    raise EventsError(msg, column="date")


def _as_categories(values: Any) -> npt.NDArray[np.str_]:
    return _as_strings(np.asarray(values), "categories")


def _as_counts(values: Mapping[str, int]) -> dict[str, int]:
    return {str(k): int(v) for k, v in values.items()}


def _optional_column(values: Any) -> npt.NDArray[Any] | None:
    return None if values is None else _as_ids(values)


def _as_columns(values: Mapping[str, Any] | None) -> dict[str, npt.NDArray[Any]]:
    return {str(k): np.asarray(v) for k, v in (values or {}).items()}


def _arrays_equal(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is b
    return bool(np.array_equal(a, b))


def _columns_equal(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


_ARRAY_EQ = attrs.cmp_using(eq=_arrays_equal)


@attrs.frozen(repr=False)
class Events:
    """Recorded offences as equal-length numpy columns.

    ``offender_id`` is int64 or unicode; ``offence_code`` is unicode, or integer indices into
    ``categories`` (as ``pandas.Categorical.from_codes``); ``date`` is ``datetime64[D]``.
    ``victim_id``, ``crime_id`` and any ``columns`` (e.g. ``{"victim_sex": ...}``) are carried.
    ``dropped`` counts rows a reader excluded before these events, by reason, so that reports
    still add up to the rows read; ``source``/``first_line`` let errors name file lines.
    """

    offender_id: npt.NDArray[Any] = attrs.field(converter=_as_ids, eq=_ARRAY_EQ)
    offence_code: npt.NDArray[Any] = attrs.field(converter=_as_codes, eq=_ARRAY_EQ)
    date: npt.NDArray[np.datetime64] = attrs.field(converter=_as_dates, eq=_ARRAY_EQ)
    categories: npt.NDArray[np.str_] | None = attrs.field(
        default=None,
        converter=attrs.converters.optional(_as_categories),
        eq=_ARRAY_EQ,
    )
    victim_id: npt.NDArray[Any] | None = attrs.field(
        default=None, converter=_optional_column, eq=_ARRAY_EQ
    )
    crime_id: npt.NDArray[Any] | None = attrs.field(
        default=None, converter=_optional_column, eq=_ARRAY_EQ
    )
    columns: Mapping[str, npt.NDArray[Any]] = attrs.field(
        factory=dict, converter=_as_columns, eq=attrs.cmp_using(eq=_columns_equal)
    )
    dropped: Mapping[str, int] = attrs.field(factory=dict, converter=_as_counts)
    source: str | None = attrs.field(default=None, eq=False)
    first_line: int | None = attrs.field(default=None, eq=False)

    def __attrs_post_init__(self) -> None:
        n = self.offender_id.shape[0] if self.offender_id.ndim == 1 else -1
        named = {
            "offender_id": self.offender_id,
            "offence_code": self.offence_code,
            "date": self.date,
            **({"victim_id": self.victim_id} if self.victim_id is not None else {}),
            **({"crime_id": self.crime_id} if self.crime_id is not None else {}),
            **self.columns,
        }
        for name, column in named.items():
            if column.ndim != 1 or column.shape[0] != n:
                msg = (
                    f"column {name!r} must be 1-D with one value per event "
                    f"(got shape {column.shape}, offender_id has {max(n, 0)} rows)"
                )
                raise EventsError(msg, source=self.source, column=name)
        clash = sorted(set(self.columns) & set(RESERVED))
        if clash:
            msg = f"extra column {clash[0]!r} clashes with a named Events field; pass it by name"
            raise EventsError(msg, column=clash[0])
        for name in ("offender_id", "offence_code", "date"):
            missing = is_missing(named[name])
            if missing.any():
                i = int(np.argmax(missing))
                count = int(np.count_nonzero(missing))
                where = _where(self.source, self.first_line, i)
                others = f"; {count - 1:,} other rows too" if count > 1 else ""
                msg = f"{where}, column {name!r}: missing value{others}"
                raise EventsError(msg, source=self.source, row=i, column=name, count=count)
        if self.offence_code.dtype.kind in "iu":
            if self.categories is None:
                msg = "integer 'offence_code' needs 'categories' (the code table it indexes)"
                raise EventsError(msg, column="offence_code")
            k = self.categories.size
            bad = (self.offence_code < 0) | (self.offence_code >= k)
            if bad.any():
                i = int(np.argmax(bad))
                where = _where(self.source, self.first_line, i)
                msg = (
                    f"{where}, column 'offence_code': index {self.offence_code[i]} is outside "
                    f"the {k} categories ({int(np.count_nonzero(bad))} such rows)"
                )
                raise EventsError(msg, row=i, column="offence_code", value=self.offence_code[i])
        elif self.categories is not None:
            msg = "'categories' is only for integer offence codes; string codes carry themselves"
            raise EventsError(msg, column="categories")
        if any(int(v) < 0 for v in self.dropped.values()):
            msg = f"dropped counts must be >= 0 (got {dict(self.dropped)})"
            raise EventsError(msg, column="dropped")

    # -- constructors ---------------------------------------------------------------------------

    @classmethod
    def from_pandas(cls, frame: pd.DataFrame, **options: Any) -> Events:
        """Events from a pandas DataFrame; column names by keyword (see
        [`crimeharm.io`][crimeharm.io]).
        """
        from ..io.readers import events_from_pandas

        return events_from_pandas(frame, **options)

    @classmethod
    def from_arrow(cls, table: Any, **options: Any) -> Events:
        """Events from a pyarrow Table or RecordBatch (see [`crimeharm.io`][crimeharm.io])."""
        from ..io.readers import events_from_arrow

        return events_from_arrow(table, **options)

    @classmethod
    def from_polars(cls, frame: Any, **options: Any) -> Events:
        """Events from a polars DataFrame (see [`crimeharm.io`][crimeharm.io])."""
        from ..io.readers import events_from_polars

        return events_from_polars(frame, **options)

    @classmethod
    def concat(cls, parts: Sequence[Events]) -> Events:
        """Rows of several Events one after another (codes re-encoded as strings if mixed).

        Id columns must be of one kind across the parts: integer and text ids are refused
        (``EventsError``), as scoring and merging refuse them, rather than merged as text.
        """
        if not parts:
            msg = "concat needs at least one Events"
            raise ParameterError(msg)
        if len(parts) == 1:
            return parts[0]
        names = [set(p.columns) for p in parts]
        if any(n != names[0] for n in names):
            msg = "cannot concat Events with different extra columns"
            raise ParameterError(msg)
        categories: npt.NDArray[np.str_] | None = None
        if all(p.categories is not None for p in parts):
            # merge the code tables (small) rather than decode millions of codes to strings
            tables = [p.categories for p in parts if p.categories is not None]
            categories = np.unique(np.concatenate(tables)).astype(np.str_)
            codes = np.concatenate(
                [
                    np.searchsorted(categories, table).astype(np.int32)[p.offence_code]
                    for p, table in zip(parts, tables, strict=True)
                ]
            )
        else:
            codes = np.concatenate([p.code_strings() for p in parts])
        dropped: dict[str, int] = {}
        for p in parts:
            for reason, count in p.dropped.items():
                dropped[reason] = dropped.get(reason, 0) + int(count)

        def ids(name: str, cols: list[npt.NDArray[Any]]) -> npt.NDArray[Any]:
            # numpy would turn 7 into "7" and merge it with the text id "7": refuse the mix
            text = [c.dtype.kind == "U" for c in cols]
            if any(text) and not all(text):
                first, other = text.index(False), text.index(True)
                msg = (
                    f"cannot concat Events with integer {name} values (part {first}) and text "
                    f"{name} values (part {other}): 7 and '7' would become one id; read every "
                    "part with the same id type (id_type='str' or 'int')"
                )
                raise EventsError(msg, column=name)
            return np.concatenate(cols)

        def optional(name: str) -> npt.NDArray[Any] | None:
            cols = [getattr(p, name) for p in parts]
            if all(c is None for c in cols):
                return None
            if any(c is None for c in cols):
                msg = f"cannot concat Events where only some carry {name!r}"
                raise ParameterError(msg)
            return ids(name, cols)

        return cls(
            offender_id=ids("offender_id", [p.offender_id for p in parts]),
            offence_code=codes,
            date=np.concatenate([p.date for p in parts]),
            categories=categories,
            victim_id=optional("victim_id"),
            crime_id=optional("crime_id"),
            columns={k: np.concatenate([p.columns[k] for p in parts]) for k in parts[0].columns},
            dropped=dropped,
        )

    # -- access ---------------------------------------------------------------------------------

    def __len__(self) -> int:
        return int(self.offender_id.shape[0])

    @property
    def n_rows(self) -> int:
        """Rows held, plus rows dropped before (what a report's total counts)."""
        return len(self) + sum(int(v) for v in self.dropped.values())

    def __getitem__(self, name: str) -> npt.NDArray[Any]:
        if name == "offence_code":
            return self.code_strings()
        if name in RESERVED:
            value = getattr(self, name)
            if value is not None:
                return value  # type: ignore[no-any-return]
        if name in self.columns:
            return self.columns[name]
        msg = f"Events has no column {name!r}; columns: {', '.join(self.column_names)}"
        raise UnknownKeyError(msg)

    @property
    def column_names(self) -> list[str]:
        """Names of the columns carried, named fields first."""
        named = ["offender_id", "offence_code", "date"]
        named += [n for n in ("victim_id", "crime_id") if getattr(self, n) is not None]
        return named + list(self.columns)

    def code_strings(self) -> npt.NDArray[np.str_]:
        """Offence codes as strings (decoded through ``categories`` if integer)."""
        if self.categories is not None:
            return np.asarray(self.categories[self.offence_code])
        return np.asarray(self.offence_code)

    def where_row(self, row: int) -> str:
        """'file, line N' (or 'row N') for the event at position ``row``, for messages."""
        return _where(self.source, self.first_line, row)

    def take(self, rows: npt.ArrayLike, *, reason: str | None = None) -> Events:
        """Events at ``rows`` (a boolean mask or indices); ``reason`` counts the rest as dropped."""
        index = np.asarray(rows)
        if index.dtype == bool:
            if index.shape != (len(self),):
                msg = f"mask must have one entry per event ({len(self)}), got {index.shape}"
                raise ParameterError(msg)
            index = np.flatnonzero(index)
        dropped = dict(self.dropped)
        if reason is not None:
            removed = len(self) - index.size
            if removed:
                dropped[reason] = dropped.get(reason, 0) + removed
        return attrs.evolve(
            self,
            offender_id=self.offender_id[index],
            offence_code=self.offence_code[index],
            date=self.date[index],
            victim_id=None if self.victim_id is None else self.victim_id[index],
            crime_id=None if self.crime_id is None else self.crime_id[index],
            columns={k: v[index] for k, v in self.columns.items()},
            dropped=dropped,
            first_line=None,
            source=self.source if self.first_line is None else None,
        )

    def select(
        self,
        *,
        scheme: WeightScheme | None = None,
        groups: Iterable[str] | None = None,
        codes: Iterable[str] | None = None,
        where: Mapping[str, Any] | None = None,
    ) -> Events:
        """Keep events in the scheme's offence ``groups``, with ``codes``, or matching ``where``.

        ``where`` maps a column name to a value or a collection of accepted values
        (``where={"victim_sex": "F"}``). Filters combine with AND. Rows left out are counted in
        ``dropped`` under "filtered out", so scoring reports still add up.
        """
        from .filters import select_events

        return select_events(self, scheme=scheme, groups=groups, codes=codes, where=where)

    def to_pandas(self) -> pd.DataFrame:
        """A pandas DataFrame with one column per carried column (needs pandas)."""
        from .._optional import require

        pandas = require("pandas", "pandas")
        data: dict[str, Any] = {"offender_id": self.offender_id}
        if self.categories is not None:
            data["offence_code"] = pandas.Categorical.from_codes(self.offence_code, self.categories)
        else:
            data["offence_code"] = self.offence_code
        data["date"] = self.date
        for name in self.column_names[3:]:
            data[name] = self[name]
        return cast("pd.DataFrame", pandas.DataFrame(data))

    def __repr__(self) -> str:
        kind = "int" if self.offender_id.dtype.kind == "i" else "str"
        codes = "categorical" if self.categories is not None else "str"
        span = ""
        if len(self):
            span = f", {self.date.min()} .. {self.date.max()}"
        extra = f", columns={self.column_names[3:]}" if len(self.column_names) > 3 else ""
        return f"<Events: {len(self)} rows ({kind} ids, {codes} codes{span}){extra}>"


def as_events(data: Any, options: Mapping[str, Any] | None = None) -> Events:
    """Events from Events, a pandas/polars DataFrame or a pyarrow Table/RecordBatch.

    ``options`` are the readers' keywords (column names: ``offender_id="suspect_ref"``, ...);
    frames are read by [`crimeharm.io`][crimeharm.io] (imported only then).
    """
    opts = dict(options or {})
    if isinstance(data, Events):
        if opts:
            msg = f"read options {sorted(opts)} apply to frames and tables, not to Events"
            raise ParameterError(msg)
        return data
    module = type(data).__module__.split(".")[0]
    if module == "pyarrow":
        return Events.from_arrow(data, **opts)
    if module == "pandas":
        return Events.from_pandas(data, **opts)
    if module == "polars":
        return Events.from_polars(data, **opts)
    msg = (
        "scoring takes crimeharm.Events, a pandas or polars DataFrame or a pyarrow "
        f"Table/RecordBatch (got {type(data).__name__})"
    )
    raise ParameterError(msg)
