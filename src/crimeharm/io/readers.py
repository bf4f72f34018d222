"""Readers: CSV and Parquet files, pandas / Arrow / polars frames -> :class:`~crimeharm.Events`.

Files are read in chunks of ``chunk_rows`` rows so memory stays bounded (:func:`iter_csv`,
:func:`iter_parquet`); :func:`read_csv` and :func:`read_parquet` join the chunks. pyarrow is the
engine where installed; without it CSV falls back to the standard library (slower, same results).

Every row read ends in exactly one place: an event, or a count under a reason in
``Events.dropped`` (``on_error="skip"``, ``dedupe="crime_id"``), so reports add up to the rows
read. With the default ``on_error="raise"`` the first bad row raises :class:`EventsError` naming
the file, line, column and value, and how many other rows share the problem. Normalisation of
ids, codes and dates follows :mod:`crimeharm.io.normalise`. The options, the error catalogue and the
report reasons are described in ``docs/preparing-data.md``.
"""

from __future__ import annotations

import contextlib
import csv
import io
import mmap
import re
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, cast

import attrs
import numpy as np
import numpy.typing as npt

from ..core.events import RESERVED, Events
from ..errors import EventsError, MissingDependencyError, ParameterError
from . import dates, normalise, sources
from . import ids as idpolicy
from .ids import IdMergeWarning

__all__ = [
    "BAD_OFFENDER_ID",
    "CONTROL_IN_ID",
    "DUPLICATE_CRIME_ID",
    "EARLY_DATE",
    "MALFORMED_LINE",
    "MISSING_DATE",
    "MISSING_OFFENCE_CODE",
    "MISSING_OFFENDER_ID",
    "NOT_UTF8",
    "REASONS",
    "UNPARSEABLE_DATE",
    "IdMergeWarning",
    "ReadOptions",
    "SlowReaderWarning",
    "events_from_arrow",
    "events_from_pandas",
    "events_from_polars",
    "iter_csv",
    "iter_parquet",
    "read_csv",
    "read_parquet",
]

#: Report reasons a reader adds to ``Events.dropped`` (``on_error="skip"`` and ``dedupe``).
MALFORMED_LINE = "malformed line"
NOT_UTF8 = "not UTF-8"
MISSING_OFFENDER_ID = "missing offender_id"
CONTROL_IN_ID = "control character in an id"
BAD_OFFENDER_ID = "offender_id not an integer"
MISSING_OFFENCE_CODE = "missing offence_code"
MISSING_DATE = "missing date"
UNPARSEABLE_DATE = "unparseable date"
EARLY_DATE = "date before min_date"
DUPLICATE_CRIME_ID = "duplicate crime_id"
#: Every reader reason, in priority order: a row with several problems counts under the first.
REASONS = (
    MALFORMED_LINE,
    NOT_UTF8,
    MISSING_OFFENDER_ID,
    CONTROL_IN_ID,
    BAD_OFFENDER_ID,
    MISSING_OFFENCE_CODE,
    MISSING_DATE,
    UNPARSEABLE_DATE,
    EARLY_DATE,
    DUPLICATE_CRIME_ID,
)
_CODE = {reason: np.int8(k + 1) for k, reason in enumerate(REASONS)}
_FIELD_OF = {
    MISSING_OFFENDER_ID: "offender_id",
    CONTROL_IN_ID: "offender_id",  # or victim_id / crime_id: see _Raw.id_fields
    BAD_OFFENDER_ID: "offender_id",
    MISSING_OFFENCE_CODE: "offence_code",
    MISSING_DATE: "date",
    UNPARSEABLE_DATE: "date",
    EARLY_DATE: "date",
    DUPLICATE_CRIME_ID: "crime_id",
}
_SENSITIVE = ("offender_id", "victim_id", "crime_id")  # values never printed
_NULL_SPELLINGS = sorted(
    {v for m in normalise.NULL_MARKERS for v in (m, m.upper(), m.capitalize())} | {"NaN", "N/A"}
)
_SURROGATE = re.compile("[\udc80-\udcff]")
IdType = Literal["auto", "int", "str"]
OnError = Literal["raise", "skip"]
Engine = Literal["auto", "pyarrow", "python"]

# -- options ------------------------------------------------------------------------------------


def _min_date(value: Any) -> np.datetime64 | None:
    if value is None:
        return None
    try:
        day = np.datetime64(value, "D")
    except (TypeError, ValueError) as exc:
        msg = f"min_date must be a date such as '1900-01-01', or None (got {value!r})"
        raise ParameterError(msg) from exc
    if np.isnat(day):
        msg = "min_date must be a date, not NaT"
        raise ParameterError(msg)
    return cast("np.datetime64", day)


def _choice(*allowed: object) -> Callable[[Any, attrs.Attribute[Any], Any], None]:
    def check(_inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value not in allowed:
            listed = ", ".join(repr(a) for a in allowed)
            msg = f"{attribute.name} must be one of {listed} (got {value!r})"
            raise ParameterError(msg)

    return check


def _name(_inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and (not isinstance(value, str) or not value.strip()):
        msg = f"{attribute.name} must name a column (got {value!r})"
        raise ParameterError(msg)


def _carry(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str) or not isinstance(value, Iterable):
        msg = f"carry must be a list of column names or None (got {value!r})"
        raise ParameterError(msg)
    return tuple(str(v) for v in value)


_DEFAULT = "\0default"  # victim_id / crime_id not given: use the column if it exists


@attrs.frozen
class ReadOptions:
    """Options every reader takes (keywords of :func:`read_csv` and the others).

    Column names: ``offender_id``, ``offence_code``, ``date`` name the file's columns
    (``offender_id="suspect_ref"``); ``victim_id`` and ``crime_id`` are used when a column of
    that name exists, required when named explicitly, never when None. ``carry`` lists extra
    columns to keep (default None: every other named column). ``date_format`` is a strptime
    format (``"%d/%m/%Y"``; default ISO); ``min_date`` rejects older dates (None: no limit).
    ``id_type`` is the offender id type ("auto": int64 if every id is a plain integer).
    ``pad_codes`` rewrites Home Office codes to ``NNN/NN``. ``on_error`` is "raise" or "skip";
    ``dedupe="crime_id"`` keeps the first row of each crime reference. ``delimiter`` and
    ``engine`` ("auto", "pyarrow", "python") apply to CSV files only.
    """

    offender_id: str = attrs.field(default="offender_id", validator=_name)
    offence_code: str = attrs.field(default="offence_code", validator=_name)
    date: str = attrs.field(default="date", validator=_name)
    victim_id: str | None = attrs.field(default=_DEFAULT, validator=_name)
    crime_id: str | None = attrs.field(default=_DEFAULT, validator=_name)
    carry: tuple[str, ...] | None = attrs.field(default=None, converter=_carry)
    date_format: str | None = None
    min_date: np.datetime64 | None = attrs.field(
        default=np.datetime64("1900-01-01", "D"), converter=_min_date
    )
    id_type: IdType = attrs.field(default="auto", validator=_choice("auto", "int", "str"))
    pad_codes: bool = attrs.field(default=False, validator=_choice(True, False))
    on_error: OnError = attrs.field(default="raise", validator=_choice("raise", "skip"))
    dedupe: str | None = attrs.field(default=None, validator=_choice(None, "crime_id"))
    delimiter: str = ","
    engine: Engine = attrs.field(default="auto", validator=_choice("auto", "pyarrow", "python"))

    def __attrs_post_init__(self) -> None:
        if self.date_format is not None and (
            not isinstance(self.date_format, str) or "%" not in self.date_format
        ):
            msg = (
                "date_format must be a strptime format such as '%d/%m/%Y' "
                f"(got {self.date_format!r})"
            )
            raise ParameterError(msg)
        if not isinstance(self.delimiter, str) or len(self.delimiter) != 1:
            msg = f"delimiter must be one character (got {self.delimiter!r})"
            raise ParameterError(msg)
        if self.dedupe == "crime_id" and self.crime_id is None:
            msg = "dedupe='crime_id' needs a crime_id column (crime_id=None was given)"
            raise ParameterError(msg)

    @classmethod
    def from_keywords(cls, options: Mapping[str, Any]) -> ReadOptions:
        """Options from reader keywords; an unknown keyword lists the known ones."""
        known = {a.name for a in attrs.fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            msg = f"unknown option {unknown[0]!r}; options: {', '.join(sorted(known))}"
            raise ParameterError(msg)
        return cls(**options)

    def date_text(self) -> str:
        """How the expected date format reads in messages."""
        return "ISO YYYY-MM-DD" if self.date_format is None else self.date_format


# -- the columns a reader uses ------------------------------------------------------------------


@attrs.frozen
class _Layout:
    """Which input column feeds which Events field (positions in the file or frame)."""

    names: tuple[str, ...]  # every column, as in the input
    fields: Mapping[str, int]  # offender_id, offence_code, date[, victim_id, crime_id] -> position
    carried: Mapping[str, int]  # extra column name -> position

    def column_of(self, field: str) -> str:
        return self.names[self.fields[field]]

    def position(self, field: str) -> int:
        return self.fields[field]


def _layout(names: Sequence[str], opts: ReadOptions, source: str) -> _Layout:
    clean = [str(n).strip() for n in names]
    positions: dict[str, list[int]] = {}
    for i, name in enumerate(clean):
        positions.setdefault(name, []).append(i)
    listed = ", ".join(repr(n) for n in clean) or "none"
    fields: dict[str, int] = {}
    wanted: list[tuple[str, str | None, bool]] = [
        ("offender_id", opts.offender_id, True),
        ("offence_code", opts.offence_code, True),
        ("date", opts.date, True),
    ]
    for field in ("victim_id", "crime_id"):
        given = getattr(opts, field)
        if given == _DEFAULT:
            wanted.append((field, field, False))
        elif given is not None:
            wanted.append((field, given, True))
    if opts.dedupe == "crime_id" and not any(w[0] == "crime_id" for w in wanted):
        wanted.append(("crime_id", "crime_id", True))
    required_names = [c.strip() for _, c, r in wanted if r and c is not None]
    if not any(name in positions for name in required_names) and any(
        any(ch.isdigit() for ch in name) for name in clean
    ):
        # no expected column and digits in line 1: a file exported without its header row.
        # Line 1 is then a row of data (an offender id): nothing of it is shown
        expected = ", ".join(repr(n) for n in required_names)
        msg = (
            f"{source}: none of the expected columns ({expected}) is in the header, and line 1 "
            f"looks like data, not column names (values not shown: it may hold ids). Export "
            f"the file with its header row, or name your columns with offender_id=, "
            f"offence_code= and date="
        )
        raise EventsError(msg, source=source, row=1)
    for field, column, required in wanted:
        assert column is not None
        found = positions.get(column.strip(), [])
        if not found:
            if required:
                hint = f"; pass {field}='<your column>' to name it" if column == field else ""
                msg = f"{source}: no column {column!r} for {field} (columns: {listed}){hint}"
                raise EventsError(msg, source=source, column=column)
            continue
        fields[field] = found[0]
    if opts.dedupe == "crime_id" and "crime_id" not in fields:
        msg = f"{source}: dedupe='crime_id' needs a crime_id column (columns: {listed})"
        raise EventsError(msg, source=source, column="crime_id")
    used = set(fields.values())
    if opts.carry is None:
        skip = {clean[j] for j in used} | set(RESERVED)  # reserved names: only by keyword
        carried = {name: i for i, name in enumerate(clean) if name and name not in skip}
    else:
        carried = {}
        for name in opts.carry:
            found = positions.get(name.strip(), [])
            if not found:
                msg = f"{source}: no column {name!r} to carry (columns: {listed})"
                raise EventsError(msg, source=source, column=name)
            carried[name.strip()] = found[0]
    reserved = sorted(set(carried) & set(RESERVED))
    if reserved:
        msg = (
            f"{source}: column {reserved[0]!r} would be carried but clashes with an Events "
            f"field; name it with {reserved[0]}=... or leave it out of carry"
        )
        raise EventsError(msg, source=source, column=reserved[0])
    for name in [clean[i] for i in used] + list(carried):
        if len(positions.get(name, [])) > 1:
            where = ", ".join(str(j + 1) for j in positions[name])
            msg = (
                f"{source}: column {name!r} appears more than once in the header (columns "
                f"{where}); rename the copies so it is clear which one to read"
            )
            raise EventsError(msg, source=source, column=name, count=len(positions[name]))
    return _Layout(tuple(clean), fields, carried)


# -- columns as read, before normalisation ------------------------------------------------------


@attrs.define
class _Factor:
    """A column as ``table[index]``; ``table`` has a sentinel last entry (index -1: missing).

    From Arrow the distinct values stay an Arrow array (``dictionary``) so the id policy runs
    in Arrow's kernels; ``table`` (Python values) is built only when asked for. Older callers
    pass ``parts`` (per chunk: a lookup into ``table`` ending in -1, and the chunk's indices).
    """

    _index: npt.NDArray[np.signedinteger[Any]] | None
    _table: list[Any] | None
    parts: list[tuple[npt.NDArray[np.signedinteger[Any]], npt.NDArray[Any]]] | None = None
    dictionary: Any = None  # pyarrow Array of the distinct values, or None
    identity: bool = False  # index is 0, 1, 2, ...: row i is entry i (no gather needed)
    _ids: idpolicy.IdTable | None = None

    def rows(self, per_entry: npt.NDArray[Any]) -> npt.NDArray[Any]:
        """A per-entry array (with its sentinel) as a per-row array."""
        return per_entry[:-1] if self.identity else per_entry[self.index]

    @property
    def index(self) -> npt.NDArray[np.signedinteger[Any]]:
        if self._index is None:
            self._index = _gather(self.parts or [], None)
        return self._index

    @property
    def table(self) -> list[Any]:
        if self._table is None:
            self._table = [*self.dictionary.to_pylist(), None]
        return self._table

    def id_table(self) -> idpolicy.IdTable:
        """The id policy applied to the distinct values (computed once)."""
        if self._ids is None:
            if self.dictionary is not None:
                self._ids = idpolicy.id_table_from_arrow(self.dictionary)
            else:
                self._ids = idpolicy.id_table_from_values(self.table[:-1])
        return self._ids


def _gather(
    parts: list[tuple[npt.NDArray[np.signedinteger[Any]], npt.NDArray[Any]]],
    lut: npt.NDArray[np.int32] | None,
) -> npt.NDArray[np.signedinteger[Any]]:
    """Rows of factor ``parts`` as indices into their table, or through ``lut`` when given."""
    wide = lut is None and any(p[0].dtype == np.int64 for p in parts)
    out = np.empty(sum(p[1].shape[0] for p in parts), dtype=np.int64 if wide else np.int32)
    at = 0
    for chunk_lut, indices in parts:
        step = chunk_lut if lut is None else lut[chunk_lut]
        np.take(step, indices, out=out[at : at + indices.shape[0]])
        at += indices.shape[0]
    return out


@attrs.define
class _Ints:
    """An integer or date column the engine already parsed, with its null mask."""

    values: npt.NDArray[Any]
    null: npt.NDArray[np.bool_]


Column = _Factor | _Ints


@attrs.define
class _Raw:
    """One chunk of rows as read: used columns, carried columns and row locations."""

    n: int
    columns: dict[str, Column]
    carried: dict[str, npt.NDArray[Any]]
    names: Mapping[str, str]  # Events field -> the input's column name
    source: str
    first: int  # CSV: file line of the first row; frames and Parquet: row offset
    unit: Literal["line", "row"] = "line"
    lines: npt.NDArray[np.int64] | None = None  # CSV line of each row when not contiguous
    preset: npt.NDArray[np.int8] | None = None  # structural reasons (malformed, not UTF-8)
    notes: dict[int, tuple[str | None, str, Any]] = attrs.Factory(dict)  # row -> col, note, value
    open_line: int | None = None  # number of a last line that has no newline (maybe cut short)
    exact: Callable[[int], _Raw] | None = None  # one row re-read as text, for messages (CSV)

    def line(self, row: int) -> int:
        """File line (CSV) or row number (frames) of ``row``."""
        return int(self.lines[row]) if self.lines is not None else self.first + row

    def where(self, row: int) -> str:
        return f"{self.source}, {self.unit} {self.line(row)}"


def _factor_from_values(values: Sequence[Any]) -> _Factor:
    """Factor a short Python sequence (used by the stdlib engine and small frames)."""
    table: dict[Any, int] = {}
    index = np.empty(len(values), dtype=np.intp)
    for i, v in enumerate(values):
        index[i] = -1 if v is None else table.setdefault(v, len(table))
    return _Factor(index, [*table, None])


# -- normalisation and validation of one chunk --------------------------------------------------


@attrs.define
class _State:
    """What earlier chunks decided: id types, and the crime ids seen (for dedupe)."""

    kinds: dict[str, str] = attrs.Factory(dict)  # field -> "int" | "str"
    seen: npt.NDArray[Any] | None = None


class _KindChanged(Exception):
    """An auto-typed id column was read as integers, then a later chunk held text."""

    def __init__(self, field: str, row: int) -> None:
        super().__init__(field, row)
        self.field = field
        self.row = row


@attrs.define
class _Problem:
    row: int
    reason: str
    column: str | None
    value: Any
    note: str


@attrs.define
class _Built:
    events: Events | None
    counts: dict[str, int]
    first: _Problem | None


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape")
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


@attrs.define
class _Ids:
    """One chunk's id column under the id policy (:mod:`crimeharm.io.ids`)."""

    values: npt.NDArray[Any]  # int64 or str
    missing: npt.NDArray[np.bool_]
    not_int: npt.NDArray[np.bool_]  # not sign-and-digits under id_type="int"
    control: npt.NDArray[np.bool_]  # holds a control character
    merged: int = 0  # distinct raw ids that became another after normalisation


def _resolve_id(
    col: Column,
    field: str,
    mode: str,
    state: _State,
    consider: npt.NDArray[np.bool_],
    *,
    optional: bool,
    counting: bool,
) -> _Ids:
    """Id values (int64 or str) of a chunk by the id policy, with the rows that break it."""
    n = consider.shape[0]
    none = np.zeros(n, dtype=bool)
    if isinstance(col, _Ints):
        if mode == "str" or state.kinds.get(field) == "str" or (optional and col.null.any()):
            # text after all (an earlier chunk was text; an empty victim/crime id): as text
            col = _Factor(
                np.where(col.null, -1, np.arange(n)).astype(np.intp),
                [*col.values.tolist(), None],
            )
        else:
            state.kinds.setdefault(field, "int")
            return _Ids(col.values.astype(np.int64, copy=False), col.null, none, none)
    table = col.id_table()
    missing = col.rows(table.missing)
    control = col.rows(table.control) if table.control.any() else none
    if mode == "str" or state.kinds.get(field) == "str":
        state.kinds[field] = "str"
        return _Ids(col.rows(table.text), missing, none, control, table.merged)
    if mode == "int":
        plain_t, ints_t = table.lenient_ints()
        bad = ~missing & ~control & ~col.rows(plain_t)
        return _Ids(col.rows(ints_t), missing, bad, control, table.merged)
    ok_t = table.exact_int | table.control | (table.missing & ~optional)
    ok = col.rows(ok_t).copy()
    if not ok.all():
        ok |= ~consider
    if ok.all():
        state.kinds.setdefault(field, "int")
        return _Ids(col.rows(table.ints), missing, none, control, table.merged)
    if state.kinds.get(field) == "int" and not counting:
        raise _KindChanged(field, int(np.argmin(ok)))
    state.kinds[field] = "str"
    return _Ids(col.rows(table.text), missing, none, control, table.merged)


def _resolve_dates(
    col: Column, opts: ReadOptions
) -> tuple[npt.NDArray[np.datetime64], npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Days, rows missing a date, rows whose date cannot be read (rules: :mod:`.dates`)."""
    if isinstance(col, _Ints) and col.values.dtype.kind == "M":
        days = col.values.astype("datetime64[D]", copy=False)
        missing = col.null | np.isnat(days)
        return days, missing, np.zeros(days.shape[0], dtype=bool)
    if isinstance(col, _Ints):  # whole numbers: each distinct one by the date rules
        uniq, inverse = np.unique(col.values, return_inverse=True)
        index = np.where(col.null, -1, inverse.reshape(-1)).astype(np.intp)
        col = _Factor(index, [*uniq.tolist(), None])
    parsed = [dates.day_of(v, opts.date_format) for v in col.table[:-1]]
    days_t = np.array([p[0] for p in parsed] + [np.datetime64("NaT", "D")], dtype="datetime64[D]")
    state_t = np.array([p[1] for p in parsed] + [dates.MISSING], dtype=np.int8)
    state = state_t[col.index]
    return days_t[col.index], state == dates.MISSING, state == dates.UNPARSEABLE


def _resolve_codes(
    col: Column, opts: ReadOptions
) -> tuple[npt.NDArray[np.signedinteger[Any]], npt.NDArray[np.int32], list[str]]:
    """Rows as indices into the column's values, each value's normalised code ("": missing)."""
    if isinstance(col, _Ints):  # integer codes in a typed input: their text is the code
        index = np.where(col.null, -1, np.arange(col.values.shape[0])).astype(np.intp)
        col = _Factor(index, [*col.values.tolist(), None])
    table: dict[str, int] = {}
    lut = np.empty(len(col.table), dtype=np.int32)
    for k, v in enumerate(col.table[:-1]):
        code = "" if v is None else normalise.normalise_code(_as_text(v), pad=opts.pad_codes)
        if normalise.is_null_text(code):
            code = ""
        lut[k] = table.setdefault(code, len(table))
    lut[-1] = table.setdefault("", len(table))
    return col.index, lut, list(table)


def _first_true(mask: npt.NDArray[np.bool_]) -> int:
    return int(np.argmax(mask))


def _clean(raw: _Raw, opts: ReadOptions, state: _State) -> _Built | None:
    """The Events of a chunk whose ids and dates arrived typed and every row is good.

    The common case in a few passes over the rows and no per-row masks; None when anything
    needs the general path of :func:`_build` (which then finds and names the problem).
    """
    ids, codes, when = (raw.columns.get(f) for f in ("offender_id", "offence_code", "date"))
    if (
        isinstance(ids, _Factor)
        and opts.id_type != "str"
        and state.kinds.get("offender_id") != "str"
        and raw.n
    ):
        table = ids.id_table()
        if table.exact_int[:-1].all() and not table.merged and int(ids.index.min()) >= 0:
            ids = _Ints(ids.rows(table.ints), np.zeros(raw.n, dtype=bool))
    if (
        raw.preset is not None
        or len(raw.columns) != 3
        or opts.dedupe is not None
        or not isinstance(ids, _Ints)
        or not isinstance(when, _Ints)
        or when.values.dtype.kind != "M"
        or not isinstance(codes, _Factor)
        or state.kinds.get("offender_id") == "str"
        or ids.null.any()
        or when.null.any()
    ):
        return None
    days = when.values.astype("datetime64[D]", copy=False)
    if raw.n:
        first = days.min()
        if np.isnat(first) or (opts.min_date is not None and first < opts.min_date):
            return None
    _, code_lut, code_table = _resolve_codes(_Factor(np.empty(0, np.intp), codes.table), opts)
    if (code_lut[:-1] == code_table.index("")).any():
        return None
    parts = codes.parts
    if parts is None:  # a plain index: one part whose lookup is the identity
        identity = np.append(np.arange(len(codes.table) - 1), -1).astype(np.int32)
        parts = [(identity, codes.index)]
    used = np.zeros(len(codes.table), dtype=bool)
    step = 1 << 20  # bincount widens its input: a slice at a time
    for chunk_lut, indices in parts:
        seen = np.zeros(chunk_lut.shape[0], dtype=np.intp)
        for at in range(0, indices.shape[0], step):
            try:
                seen += np.bincount(indices[at : at + step], minlength=seen.shape[0])
            except ValueError:  # index -1: a missing code
                return None
        used[chunk_lut[seen > 0]] = True
    if used[-1]:
        return None
    cats = sorted({code_table[k] for k in code_lut[used].tolist()})
    position = {c: i for i, c in enumerate(cats)}
    lut = np.array([position.get(code_table[k], -1) for k in code_lut.tolist()], dtype=np.int32)
    state.kinds.setdefault("offender_id", "int")
    contiguous = raw.lines is None or _is_run(raw.lines)
    source: str | None = raw.source
    first_line: int | None = None
    if not contiguous:
        source = None
    elif raw.unit == "line":
        first_line = raw.line(0) if raw.n else raw.first
    elif raw.first:
        source = f"{raw.source} [from row {raw.first}]"
    events = Events(
        offender_id=ids.values.astype(np.int64, copy=False),
        offence_code=_gather(parts, lut),
        categories=np.array(cats, dtype=np.str_) if cats else np.empty(0, dtype="<U1"),
        date=days,
        columns=dict(raw.carried),
        source=source,
        first_line=first_line,
    )
    return _Built(events, {}, None)


def _build(raw: _Raw, opts: ReadOptions, state: _State, *, counting: bool = False) -> _Built:
    """Normalise and validate one chunk; the Events of its good rows and its problems."""
    fast = None if counting else _clean(raw, opts, state)
    if fast is not None:
        return fast
    n = raw.n
    preset = raw.preset
    structural = None if preset is None else preset > 0
    masks: dict[str, npt.NDArray[np.bool_]] = {}

    offenders = _resolve_id(
        raw.columns["offender_id"],
        "offender_id",
        opts.id_type,
        state,
        np.ones(n, dtype=bool) if structural is None else ~structural,
        optional=False,
        counting=counting,
    )
    masks[MISSING_OFFENDER_ID], masks[BAD_OFFENDER_ID] = offenders.missing, offenders.not_int
    raw_codes, code_lut, code_table = _resolve_codes(raw.columns["offence_code"], opts)
    empty_code = code_lut == code_table.index("")
    if empty_code[:-1].any() or (n and int(raw_codes.min()) < 0):
        masks[MISSING_OFFENCE_CODE] = empty_code[raw_codes]
    days, masks[MISSING_DATE], masks[UNPARSEABLE_DATE] = _resolve_dates(raw.columns["date"], opts)
    if opts.min_date is not None:
        masks[EARLY_DATE] = days < opts.min_date  # NaT compares False
    control = offenders.control.copy()
    merged = {"offender_id": offenders.merged}
    for field in ("victim_id", "crime_id"):
        col = raw.columns.get(field)
        if isinstance(col, _Factor):
            table = col.id_table()
            merged[field] = table.merged
            if table.control.any():
                control |= table.control[col.index]
    masks[CONTROL_IN_ID] = control
    reason = np.zeros(n, dtype=np.int8)
    for name in reversed(REASONS):
        if name in masks and masks[name].any():
            reason[masks[name]] = _CODE[name]
    if preset is not None and structural is not None and structural.any():
        reason[structural] = preset[structural]
    good = reason == 0

    optional: dict[str, npt.NDArray[Any]] = {}
    for field in ("victim_id", "crime_id"):
        if field in raw.columns:
            optional[field] = _resolve_id(
                raw.columns[field], field, "auto", state, good, optional=True, counting=counting
            ).values
    if not counting:
        for field, count in merged.items():
            if count:
                text = idpolicy.merge_message(field, raw.names[field], raw.source, count)
                warnings.warn(text, idpolicy.IdMergeWarning, stacklevel=2)
    ids = offenders.values
    if opts.dedupe == "crime_id":
        dup = _duplicates(optional["crime_id"], good, state, counting=counting)
        reason[dup] = _CODE[DUPLICATE_CRIME_ID]
        good &= ~dup

    counts: dict[str, int] = {}
    if not good.all():
        found = np.bincount(reason, minlength=len(REASONS) + 1)
        counts = {r: int(found[_CODE[r]]) for r in REASONS if found[_CODE[r]]}
    problem = None
    errors = (reason > 0) & (reason != _CODE[DUPLICATE_CRIME_ID])
    if errors.any():
        row = _first_true(errors)
        problem = _describe(raw, row, REASONS[int(reason[row]) - 1], opts)
    if counting or (problem is not None and opts.on_error == "raise"):
        return _Built(None, counts, problem)

    keep = None if good.all() else np.flatnonzero(good)

    def pick(a: npt.NDArray[Any]) -> npt.NDArray[Any]:
        return a if keep is None else a[keep]

    kept_codes = pick(raw_codes)
    seen = np.zeros(code_lut.size, dtype=bool)
    seen[kept_codes] = True
    cats = sorted({code_table[k] for k in code_lut[seen].tolist()})
    position = {c: i for i, c in enumerate(cats)}
    lut = np.array([position.get(code_table[k], -1) for k in code_lut.tolist()], dtype=np.int32)
    contiguous = keep is None and (raw.lines is None or _is_run(raw.lines))
    source: str | None = raw.source
    first_line: int | None = None
    if not contiguous:
        source = None
    elif raw.unit == "line":
        first_line = raw.line(0) if raw.n else raw.first
    elif raw.first:
        source = f"{raw.source} [from row {raw.first}]"
    events = Events(
        offender_id=pick(ids),
        offence_code=lut[kept_codes],
        categories=np.array(cats, dtype=np.str_) if cats else np.empty(0, dtype="<U1"),
        date=pick(days),
        victim_id=pick(optional["victim_id"]) if "victim_id" in optional else None,
        crime_id=pick(optional["crime_id"]) if "crime_id" in optional else None,
        columns={k: pick(v) for k, v in raw.carried.items()},
        dropped=cast("dict[str, Any]", counts),
        source=source,
        first_line=first_line,
    )
    return _Built(events, counts, problem)


def _is_run(lines: npt.NDArray[np.int64]) -> bool:
    return lines.size == 0 or bool(np.all(np.diff(lines) == 1))


def _duplicates(
    crime: npt.NDArray[Any], good: npt.NDArray[np.bool_], state: _State, *, counting: bool
) -> npt.NDArray[np.bool_]:
    """Rows repeating a crime id seen in an earlier good row (empty ids never repeat)."""
    rows = np.flatnonzero(good & (crime != "") if crime.dtype.kind == "U" else good)
    values = crime[rows]
    dup = np.zeros(crime.shape[0], dtype=bool)
    if not rows.size:
        return dup
    uniq, first = np.unique(values, return_index=True)
    repeat = np.ones(rows.size, dtype=bool)
    repeat[first] = False
    if state.seen is not None and state.seen.size:
        try:
            repeat |= np.isin(values, state.seen)
        except (TypeError, ValueError):  # int seen, str now: compare as text
            repeat |= np.isin(values.astype(np.str_), state.seen.astype(np.str_))
    dup[rows[repeat]] = True
    if not counting:
        fresh = uniq if state.seen is None else np.setdiff1d(uniq, state.seen)
        state.seen = fresh if state.seen is None else np.union1d(state.seen, fresh)
    return dup


def _describe(raw: _Raw, row: int, reason: str, opts: ReadOptions) -> _Problem:
    """Column, value and wording of the problem of ``row``."""
    if row in raw.notes:
        column, note, value = raw.notes[row]
        return _Problem(row, reason, column, value, note)
    if reason == CONTROL_IN_ID:
        for field in ("offender_id", "victim_id", "crime_id"):
            col = raw.columns.get(field)
            if isinstance(col, _Factor) and col.id_table().control[col.index[row]]:
                text = _as_text(_raw_value(col, row)).strip()
                note = f"the {field} {idpolicy.control_note(text)}; ids may not hold those"
                return _Problem(row, reason, raw.names[field], None, note)
    field = _FIELD_OF[reason]
    column = raw.names[field]
    value = _raw_value(raw.columns[field], row)
    text = "" if value is None else value
    if reason.startswith("missing"):
        note = "missing value"
    elif reason == BAD_OFFENDER_ID:
        note = "not a plain integer (id_type='int')"
    elif reason == UNPARSEABLE_DATE and dates.is_whole_number(value):
        note = dates.whole_number_note(opts.date_format)
    elif reason == UNPARSEABLE_DATE:
        note = f"not a date in format {opts.date_text()}"
    else:
        note = f"date before min_date {opts.min_date}"
    return _Problem(row, reason, column, text, note)


def _raw_value(col: Column, row: int) -> Any:
    if isinstance(col, _Ints):
        return None if col.null[row] else col.values[row]
    if col.dictionary is not None:
        at = int(col.index[row])
        return None if at < 0 else col.dictionary[at].as_py()
    return col.table[col.index[row]]


# -- running chunks: the error policy, counting, restarts ---------------------------------------


def _shown(value: Any) -> str:
    if isinstance(value, bytes):
        return repr(value[:40])
    text = "" if value is None else _as_text(value)
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _error(raw: _Raw, problem: _Problem, others: int, *, at_least: bool) -> EventsError:
    where = raw.where(problem.row)
    column = "" if problem.column is None else f", column {problem.column!r}"
    field = _FIELD_OF.get(problem.reason)
    sensitive = {raw.names[f] for f in _SENSITIVE if f in raw.names}
    if problem.reason == MALFORMED_LINE:
        got = ""
    elif problem.reason.startswith("missing"):
        got = f" (got {_shown(problem.value)})"
    elif field in _SENSITIVE or (problem.column is not None and problem.column in sensitive):
        got = " (value not shown: ids are personal data)"
    else:
        got = f" (got {_shown(problem.value)})"
    more = ""
    if others:
        rows = "row has" if others == 1 else "rows have"
        more = f"; {'at least ' if at_least else ''}{others} other {rows} the same problem"
    hint = _HINTS.get(problem.reason, "")
    if problem.note.startswith("a whole number"):  # the note already says what to pass
        hint = _SKIP
    if raw.open_line is not None and raw.line(problem.row) == raw.open_line:
        hint = (
            ". The file's last line has no newline and may have been cut short: was the file "
            "copied while still being written? Export it again"
        )
    msg = f"{where}{column}: {problem.note}{got}{more}{hint}"
    return EventsError(
        msg,
        source=raw.source,
        row=raw.line(problem.row),
        column=problem.column,
        value=problem.value,
        count=others + 1,
    )


_SKIP = " (or pass on_error='skip' to drop such rows and count them in the report)"
_HINTS = {
    MALFORMED_LINE: ". Check the quoting and the delimiter" + _SKIP,
    NOT_UTF8: ". Save the file as UTF-8 (in Excel: 'CSV UTF-8')" + _SKIP,
    MISSING_OFFENDER_ID: ". Every event needs an offender reference" + _SKIP,
    CONTROL_IN_ID: ". Remove the character from the export (or fix the system that adds it)"
    + _SKIP,
    BAD_OFFENDER_ID: ". Pass id_type='str' (or 'auto') to read text ids" + _SKIP,
    MISSING_OFFENCE_CODE: ". Every event needs an offence code" + _SKIP,
    MISSING_DATE: ". Every event needs the date of the offence" + _SKIP,
    UNPARSEABLE_DATE: (
        ". Pass date_format= to name the format (e.g. '%d/%m/%Y' for UK day-first dates)" + _SKIP
    ),
    EARLY_DATE: ". A placeholder date or a typo? Pass min_date= to allow older dates" + _SKIP,
}


def _run(raws: Iterator[_Raw], opts: ReadOptions, state: _State) -> Iterator[Events]:
    """Apply the error policy to each chunk; on a problem under "raise", count the rest."""
    for raw in raws:
        try:
            built = _build(raw, opts, state)
        except _KindChanged as exc:
            exc.where = raw.where(exc.row)  # type: ignore[attr-defined]
            exc.raw_row = raw.line(exc.row)  # type: ignore[attr-defined]
            raise
        if built.first is not None and opts.on_error == "raise":
            problem = built.first
            if raw.exact is not None:  # name the value as written in the file
                one = raw.exact(problem.row)
                exact = _build(one, opts, state, counting=True).first
                if exact is not None and exact.reason == problem.reason:
                    raw, problem = one, exact
            same = built.counts.get(problem.reason, 1)
            at_least = False
            try:
                for later in raws:
                    same += _build(later, opts, state, counting=True).counts.get(problem.reason, 0)
            except EventsError:
                at_least = True
            raise _error(raw, problem, same - 1, at_least=at_least)
        assert built.events is not None
        yield built.events


def _kind_error(exc: _KindChanged) -> EventsError:
    where = getattr(exc, "where", f"row {exc.row}")
    msg = (
        f"{where}, column for {exc.field}: holds text or an empty id, but earlier chunks read "
        f"{exc.field} as integers (value not shown: ids are personal data). Pass "
        f"id_type='str' for text ids, or use read_csv / read_parquet, which decide over the "
        f"whole file"
    )
    if exc.field != "offender_id":
        msg = msg.replace("Pass id_type='str' for text ids, or use", "Use")
    return EventsError(msg, row=getattr(exc, "raw_row", exc.row), column=exc.field)


def _iterate(produce: Callable[[_State], Iterator[_Raw]], opts: ReadOptions) -> Iterator[Events]:
    state = _State()
    try:
        yield from _run(produce(state), opts, state)
    except _KindChanged as exc:
        raise _kind_error(exc) from None


def _read_all(produce: Callable[[_State], Iterator[_Raw]], opts: ReadOptions) -> Events:
    forced: dict[str, str] = {}
    while True:
        state = _State(kinds=dict(forced))
        try:
            return _concat(list(_run(produce(state), opts, state)))
        except _KindChanged as exc:
            if exc.field in forced:  # cannot happen: text ids stay text
                raise _kind_error(exc) from None
            forced[exc.field] = "str"


def _concat(parts: list[Events]) -> Events:
    """One Events from chunks: codes re-indexed into the union of their categories."""
    if len(parts) == 1:
        return parts[0]
    full = [p for p in parts if len(p)] or parts[:1]
    cats = sorted(set().union(*(p.categories.tolist() for p in full if p.categories is not None)))
    position = {c: i for i, c in enumerate(cats)}
    codes = []
    for p in full:
        assert p.categories is not None
        if len(p.categories) == len(cats):  # the same categories: indices stay
            codes.append(p.offence_code)
            continue
        lut = np.array([position[c] for c in p.categories.tolist()], dtype=np.int32)
        codes.append(lut[p.offence_code] if lut.size else np.empty(0, dtype=np.int32))
    dropped: dict[str, int] = {}
    for p in parts:
        for reason, count in p.dropped.items():
            dropped[reason] = dropped.get(reason, 0) + int(count)
    source = parts[0].source
    first_line = parts[0].first_line
    expected = first_line
    for p in parts:
        if p.dropped or p.source is None:
            source, first_line = None, None
            break
        if first_line is not None and expected is not None:
            if p.first_line is None or p.first_line != expected:
                source, first_line = None, None
                break
            expected = p.first_line + len(p)
    if source is not None and source.endswith("]"):
        source = source[: source.rfind(" [from row")]
    source = None if source is None else source.split(" [from row")[0]

    def optional(name: str) -> npt.NDArray[Any] | None:
        if getattr(full[0], name) is None:
            return None
        return np.concatenate([getattr(p, name) for p in full])

    return Events(
        offender_id=np.concatenate([p.offender_id for p in full]),
        offence_code=np.concatenate(codes),
        categories=np.array(cats, dtype=np.str_) if cats else np.empty(0, dtype="<U1"),
        date=np.concatenate([p.date for p in full]),
        victim_id=optional("victim_id"),
        crime_id=optional("crime_id"),
        columns={k: np.concatenate([p.columns[k] for p in full]) for k in full[0].columns},
        dropped=cast("dict[str, Any]", dropped),
        source=source,
        first_line=first_line,
    )


# -- CSV ----------------------------------------------------------------------------------------


def _pyarrow(opts: ReadOptions) -> Any | None:
    """The pyarrow module for the CSV engine, or None for the standard library engine."""
    from .._optional import require

    if opts.engine == "python":
        return None
    try:
        require("pyarrow.csv", "arrow")
        return require("pyarrow", "arrow")
    except MissingDependencyError:
        if opts.engine == "pyarrow":
            raise
        return None


@attrs.frozen
class _Block:
    """Whole records ``data[start:end]`` of a mapped CSV file."""

    data: Any  # mmap.mmap
    start: int
    end: int

    @property
    def view(self) -> memoryview:
        return memoryview(self.data)[self.start : self.end]

    def find(self, needle: bytes) -> int:
        return int(self.data.find(needle, self.start, self.end))

    def lines(self) -> int:
        """Physical lines in the block (a last line without a newline counts)."""
        raw = bytes(self.view)
        return raw.count(b"\n") + (0 if raw.endswith(b"\n") else 1)

    @property
    def open_end(self) -> bool:
        return bool(self.data[self.end - 1 : self.end] != b"\n")


#: Bytes next to a quote that opens or closes a field: delimiters and line ends.
_FIELD_EDGES = np.frombuffer(b",;\t|\r\n", dtype=np.uint8)


def _last_record_end(data: Any, start: int, end: int) -> int:
    """The end of the last whole record in ``data[start:end]`` (0 if none), quote-aware."""
    if data.find(b'"', start, end) < 0:
        return int(data.rfind(b"\n", start, end)) + 1
    arr = np.frombuffer(data, dtype=np.uint8, count=end - start, offset=start)
    nl = np.flatnonzero(arr == 10)
    quotes = np.flatnonzero(arr == 34)
    # Only quotes that open or close a field count. In a run of quotes, pairs are escaped
    # quotes ("" inside a quoted value); an odd run holds one opening or closing quote if it
    # touches a field edge, and is a stray quote in an unquoted value (5ft 10" tall) if not.
    if quotes.size:
        first = np.flatnonzero(np.diff(quotes, prepend=-2) != 1)
        length = np.diff(np.append(first, quotes.size))
        run, past = quotes[first], quotes[first] + length  # past: the byte after each run
        before = np.where(run > 0, arr[np.maximum(run - 1, 0)], 10)
        after = np.where(past < arr.size, arr[np.minimum(past, arr.size - 1)], 10)
        edge = np.isin(before, _FIELD_EDGES) | np.isin(after, _FIELD_EDGES)
        quotes = run[(length % 2 == 1) & edge]
    ends = nl[np.searchsorted(quotes, nl) % 2 == 0]  # an even number of quotes before
    return start + int(ends[-1]) + 1 if ends.size else 0


def _body_end(data: Any, start: int) -> int:
    """End of the body of a mapped CSV: blank lines at the very end are not rows."""
    size = len(data)
    while size > start and data[size - 1 : size] in (b"\n", b"\r"):
        size -= 1
    if size < len(data):  # keep one whole line end, "\r\n" included
        size += 2 if data[size : size + 2] == b"\r\n" else 1
    return size


def _blocks(data: Any, start: int, stop: int, chunk_rows: int) -> Iterator[_Block]:
    """Records in ``data[start:stop]`` as blocks of about ``chunk_rows`` records.

    Block sizes in bytes follow the mean line length of the first 64 KiB; blocks end at record
    ends (a newline inside a quoted value does not end a record).
    """
    if stop <= start:
        return
    sample = bytes(data[start : min(stop, start + (1 << 16))])
    per_line = len(sample) / max(sample.count(b"\n"), 1)
    step = max(int(min(chunk_rows * per_line, stop - start)), 1)
    pos = start
    while pos < stop:
        end = stop if pos + step >= stop else _last_record_end(data, pos, pos + step)
        while end <= pos:  # no record ends within the step: widen it
            wider = pos + 2 * max(end - pos, step)
            end = stop if wider >= stop else _last_record_end(data, pos, wider)
            step *= 2
        yield _Block(data, pos, end)
        pos = end


def _header(data: Any, source: str, opts: ReadOptions) -> tuple[list[str], int]:
    """Column names from line 1 (a UTF-8 byte-order mark is skipped), and where the body starts."""
    end = data.find(b"\n")
    line = bytes(data[: len(data) if end < 0 else end + 1])
    body = len(line)
    if not line:
        msg = (
            f"{source} is empty (0 bytes): expected a header line naming the columns "
            f"({opts.offender_id}, {opts.offence_code}, {opts.date}) and one line per event"
        )
        raise EventsError(msg, source=source)
    if line.startswith((b"\xff\xfe", b"\xfe\xff")):
        msg = f"{source} is UTF-16 text: save it as UTF-8 (in Excel: 'CSV UTF-8')"
        raise EventsError(msg, source=source, row=1)
    line = line.removeprefix(b"\xef\xbb\xbf")
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        msg = (
            f"{source}, line 1: the header is not UTF-8 ({exc.reason} at byte {exc.start}); "
            f"save the file as UTF-8 (in Excel: 'CSV UTF-8')"
        )
        raise EventsError(msg, source=source, row=1) from None
    if not text.strip():
        msg = f"{source}, line 1: blank; expected a header line naming the columns"
        raise EventsError(msg, source=source, row=1)
    names = next(csv.reader([text.rstrip("\r\n")], delimiter=opts.delimiter))
    return names, body


#: Rows per block when read_csv falls back from one block (or has no pyarrow).
_FALLBACK_ROWS = 1_000_000


def _csv_raws(
    data: Any, source: str, opts: ReadOptions, chunk_rows: int | None, state: _State
) -> Iterator[_Raw]:
    """Raw chunks of CSV bytes (:func:`.sources.open_bytes`).

    ``chunk_rows=None``: one block where pyarrow reads it cleanly; a block pyarrow cannot read
    is split into smaller ones (a million rows, then 64 Ki, then 4 Ki) and only the smallest
    piece holding the bad line is read by the exact (slow) engine.
    """
    pa = _pyarrow(opts)
    names, body = _header(data, source, opts)
    layout = _layout(names, opts, source)
    if body >= len(data):
        yield _empty_raw(layout, opts, source, 2)
        return
    stop = _body_end(data, body)
    rows = chunk_rows or (_FALLBACK_ROWS if pa is None else stop)  # stop >= rows
    if pa is None and opts.engine == "auto":
        _warn_slow(source, len(data))
    line = 2
    pending = [(b, rows) for b in _blocks(data, body, stop, rows)]
    pending.reverse()
    if not pending:  # only blank lines after the header
        yield _empty_raw(layout, opts, source, 2)
    while pending:
        block, size = pending.pop()
        parsed = None
        if pa is not None:
            parsed = _arrow_block(pa, block, line, layout, opts, state, source)
        smaller = next((r for r in _SPLIT_ROWS if r < size), None)
        if parsed is None and pa is not None and smaller is not None and chunk_rows is None:
            # not clean: split, so the slow engine reads only a small piece around the problem
            pieces = list(_blocks(data, block.start, block.end, smaller))
            if len(pieces) > 1:
                pending.extend((piece, smaller) for piece in reversed(pieces))
                continue
        if parsed is None:
            raw, lines = _python_block(block, line, layout, opts, source)
        else:
            raw, lines = parsed
            raw.exact = _exact(block, line, layout, opts, source)
        if block.open_end:
            raw.open_line = line + lines - 1
        yield raw
        line += lines


#: Block sizes (rows) a block pyarrow cannot parse is split into, in turn.
_SPLIT_ROWS = (_FALLBACK_ROWS, 1 << 16, 1 << 12)
#: Above this size a file read without pyarrow gets a warning saying how to read it faster.
_SLOW_WARN_BYTES = 50 << 20


class SlowReaderWarning(UserWarning):
    """A large file is read by the standard-library CSV engine (pyarrow is not installed)."""


def _warn_slow(source: str, size: int) -> None:
    if size > _SLOW_WARN_BYTES:
        msg = (
            f"{source}: reading {size / 1e6:,.0f} MB with the standard-library CSV engine, "
            "which is many times slower; pip install 'crimeharm[arrow]' for the fast one"
        )
        warnings.warn(msg, SlowReaderWarning, stacklevel=4)


def _exact(
    block: _Block, line: int, layout: _Layout, opts: ReadOptions, source: str
) -> Callable[[int], _Raw]:
    """Re-read row ``row`` of a block that pyarrow parsed (one row per line) as text."""

    def parse(row: int) -> _Raw:
        start, end = _line_span(block, row)
        one, _ = _python_block(_Block(block.data, start, end), line + row, layout, opts, source)
        if block.open_end and end == block.end:
            one.open_line = line + row
        return one

    return parse


def _line_span(block: _Block, row: int) -> tuple[int, int]:
    """Byte range of line ``row`` (from 0) of a block, found 16 MiB at a time."""
    seen = 0
    pos = block.start
    step = 1 << 24
    while pos < block.end:
        stop = min(pos + step, block.end)
        arr = np.frombuffer(block.data, dtype=np.uint8, count=stop - pos, offset=pos)
        ends = np.flatnonzero(arr == 10)
        if seen + ends.size > row:
            end = pos + int(ends[row - seen]) + 1
            start = pos + int(ends[row - seen - 1]) + 1 if row > seen else None
            if start is None:
                start = (
                    int(block.data.rfind(b"\n", block.start, pos)) + 1 if pos > block.start else pos
                )
                start = max(start, block.start)
            return start, end
        seen += ends.size
        pos = stop
    last = int(block.data.rfind(b"\n", block.start, block.end)) + 1
    return max(last, block.start), block.end


def _names(layout: _Layout) -> dict[str, str]:
    return {f: layout.names[i] for f, i in layout.fields.items()}


def _empty_raw(layout: _Layout, opts: ReadOptions, source: str, first: int) -> _Raw:
    empty = np.empty(0, dtype=np.intp)
    columns: dict[str, Column] = {f: _Factor(empty, [None]) for f in layout.fields}
    carried = {name: np.empty(0, dtype="<U1") for name in layout.carried}
    return _Raw(0, columns, carried, _names(layout), source, first)


#: Bytes of a CSV block pyarrow parses at a time; pages already parsed leave the process's
#: memory (they stay in the page cache), so a large file is never resident as a whole.
_PIECE_BYTES = 32 << 20


def _pieces(block: _Block, size: int) -> Iterator[_Block]:
    """Whole records of ``block`` in pieces of about ``size`` bytes."""
    pos = block.start
    while pos < block.end:
        end = (
            block.end if pos + size >= block.end else _last_record_end(block.data, pos, pos + size)
        )
        if end <= pos:  # no record ends within the piece: the rest in one
            end = block.end
        yield _Block(block.data, pos, end)
        pos = end


def _release(block: _Block) -> None:
    """Let the kernel drop the mapped pages of ``block`` from this process (a hint only)."""
    with contextlib.suppress(AttributeError, OSError, ValueError):
        start = block.start - block.start % mmap.PAGESIZE
        block.data.madvise(mmap.MADV_DONTNEED, start, block.end - start)


def _arrow_block(
    pa: Any,
    block: _Block,
    first: int,
    layout: _Layout,
    opts: ReadOptions,
    state: _State,
    source: str,
) -> tuple[_Raw, int] | None:
    """Parse a block with pyarrow: ids as int64 and ISO dates natively where possible."""
    import pyarrow.csv as pacsv

    text = pa.dictionary(pa.int32(), pa.string())
    native_dates = opts.date_format is None
    attempts = [(False, native_dates)]  # ids as text: the id policy reads them (ids.py)
    if native_dates:
        attempts.append((False, False))
    col = [f"c{i}" for i in range(len(layout.names))]
    while attempts:
        _, iso = attempts.pop(0)
        types: dict[str, Any] = {col[i]: text for i in layout.fields.values()}
        for field in _ID_FIELDS:  # ids as plain text: the id policy reads them (ids.py)
            if field in layout.fields:
                types[col[layout.fields[field]]] = pa.string()
        if iso:
            types[col[layout.fields["date"]]] = pa.date32()
        types.update({col[i]: pa.string() for i in layout.carried.values()})
        tables = []
        lines = 0
        try:
            for piece in _pieces(block, _PIECE_BYTES):
                part = pacsv.read_csv(
                    pa.BufferReader(pa.py_buffer(piece.view)),
                    read_options=pacsv.ReadOptions(column_names=col, block_size=4 << 20),
                    parse_options=pacsv.ParseOptions(
                        delimiter=opts.delimiter, ignore_empty_lines=False
                    ),
                    convert_options=pacsv.ConvertOptions(
                        column_types=types,
                        include_columns=list(types),
                        null_values=_NULL_SPELLINGS,
                        strings_can_be_null=False,
                        quoted_strings_can_be_null=False,
                        check_utf8=True,
                    ),
                )
                # rows are lines unless a quoted value spans lines; a blank line reads as a
                # row with every field empty: either way the exact engine numbers the rows
                lines += part.num_rows if piece.find(b'"') < 0 else piece.lines()
                tables.append(part)
                _release(piece)
            else:
                if not tables:
                    return None
                table = tables[0] if len(tables) == 1 else pa.concat_tables(tables)
                break
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            continue
    else:
        return None
    del tables
    rows = table.num_rows
    arrays = {i: table.column(col[i]) for i in {*layout.fields.values(), *layout.carried.values()}}
    del table
    columns, carried = _owned_columns(pa, arrays, layout)
    if rows != lines or _any_blank_row(columns, carried):
        return None
    return _Raw(rows, columns, carried, _names(layout), source, first), lines


def _empty_rows(column: Column) -> npt.NDArray[np.bool_]:
    if isinstance(column, _Ints):
        return column.null
    if column.dictionary is not None:
        import pyarrow.compute as pc

        values = column.dictionary
        mask = pc.fill_null(pc.equal(values, ""), True) if values.null_count else None
        if mask is None:
            mask = pc.equal(values, "") if len(values) else values.is_null()
        empty = np.append(np.asarray(mask.to_numpy(zero_copy_only=False), dtype=bool), True)
    else:
        empty = np.array([v is None or v == "" for v in column.table], dtype=bool)
    return np.asarray(empty[column.index], dtype=bool)


def _any_blank_row(columns: Mapping[str, Column], carried: Mapping[str, npt.NDArray[Any]]) -> bool:
    """Whether some row has every field empty (how pyarrow reads a blank line)."""
    blank = _empty_rows(columns["offender_id"])
    if not blank.any():
        return False
    for name, column in columns.items():
        if name != "offender_id":
            blank = blank & _empty_rows(column)
    for values in carried.values():
        blank = blank & (values == "")
    return bool(blank.any())


def _python_block(
    block: _Block, first: int, layout: _Layout, opts: ReadOptions, source: str
) -> tuple[_Raw, int]:
    """Parse a block with the csv module: exact line numbers, malformed and non-UTF-8 rows."""
    text = bytes(block.view).decode("utf-8", "surrogateescape")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=opts.delimiter)
    width = len(layout.names)
    fields = list(layout.fields.items())
    tables: dict[str, dict[str, int]] = {f: {} for f, _ in fields}
    index: dict[str, list[int]] = {f: [] for f, _ in fields}
    carried: dict[str, list[str]] = {n: [] for n in layout.carried}
    lines: list[int] = []
    preset: list[int] = []
    notes: dict[int, tuple[str | None, str, Any]] = {}
    prev = 0
    while True:
        problem: tuple[np.int8, str | None, str, Any] | None = None
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            values = []
            problem = (_CODE[MALFORMED_LINE], None, f"cannot be read as CSV ({exc})", None)
        start, prev = prev + 1, reader.line_num
        if not values and problem is None:
            continue  # a blank line is not a row
        row = len(lines)
        lines.append(first + start - 1)
        if problem is None and len(values) != width:
            got = len(values)
            note = f"expected {width} fields as in the header, got {got}"
            problem = (_CODE[MALFORMED_LINE], None, note, None)
        if problem is None:
            for j, value in enumerate(values):
                if _SURROGATE.search(value):
                    raw_bytes = value.encode("utf-8", "surrogateescape")
                    note = "holds bytes that are not UTF-8"
                    problem = (_CODE[NOT_UTF8], layout.names[j], note, raw_bytes)
                    break
        if problem is not None:
            preset.append(int(problem[0]))
            notes[row] = problem[1:]
            for f, _ in fields:
                index[f].append(-1)
            for name in carried:
                carried[name].append("")
            continue
        preset.append(0)
        for f, pos in fields:
            table = tables[f]
            index[f].append(table.setdefault(values[pos], len(table)))
        for name, pos in layout.carried.items():
            carried[name].append(values[pos])
    n = len(lines)
    columns: dict[str, Column] = {
        f: _Factor(np.array(index[f], dtype=np.intp), [*tables[f], None]) for f, _ in fields
    }
    kept = {k: np.array(v, dtype=np.str_) if v else np.empty(0, "<U1") for k, v in carried.items()}
    line_arr = np.array(lines, dtype=np.int64)
    raw = _Raw(
        n,
        columns,
        kept,
        _names(layout),
        source,
        first,
        lines=line_arr,
        preset=np.array(preset, dtype=np.int8) if any(preset) else None,
        notes=notes,
    )
    return raw, block.lines()


# -- Arrow columns (CSV blocks, Parquet, Arrow and polars frames) -------------------------------


_ID_FIELDS = ("offender_id", "victim_id", "crime_id")


def _arrow_column(pa: Any, chunked: Any, field: str = "") -> Column:
    """A used column from Arrow: ints and dates as parsed, text ids as they are, else factored.

    Text id columns are not dictionary-encoded (mostly distinct values: hashing them costs more
    than it saves); the id policy runs on the column itself, a row per entry.
    """
    import pyarrow.compute as pc

    kind = chunked.type
    if field in _ID_FIELDS and (
        pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind)
    ):
        values = chunked.combine_chunks() if chunked.num_chunks != 1 else chunked.chunk(0)
        if not pa.types.is_string(values.type):
            values = values.cast(pa.string())
        index = np.arange(len(values), dtype=np.int64)
        if values.null_count:
            index[np.asarray(values.is_null().to_numpy(zero_copy_only=False), dtype=bool)] = -1
        return _Factor(index, None, dictionary=values, identity=not values.null_count)
    if pa.types.is_integer(kind):
        null = _arrow_nulls(chunked)
        values = chunked.fill_null(0).to_numpy() if chunked.null_count else chunked.to_numpy()
        return _Ints(np.asarray(values).astype(np.int64, copy=False), null)
    if pa.types.is_date(kind) or pa.types.is_timestamp(kind):
        null = _arrow_nulls(chunked)
        if pa.types.is_timestamp(kind) and kind.tz is not None:
            chunked = pc.local_timestamp(chunked)  # the wall-clock day where it happened
        if pa.types.is_date(kind):
            chunked = chunked.cast(pa.date32())
            values = chunked.fill_null(0).to_numpy() if chunked.null_count else chunked.to_numpy()
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
    return np.asarray(chunked.is_null().to_numpy(), dtype=bool)


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
        pieces.append(np.asarray(indices.to_numpy(zero_copy_only=False)))
    index = pieces[0] if len(pieces) == 1 else np.concatenate(pieces)
    index = index.astype(np.int32 if len(dictionary) < 2**31 - 1 else np.int64, copy=False)
    if dictionary.null_count:  # a null inside the dictionary: point at the sentinel
        null_at = np.flatnonzero(np.asarray(dictionary.is_null().to_numpy(zero_copy_only=False)))
        lut = np.arange(len(dictionary) + 1, dtype=np.int64)
        lut[null_at] = -1
        lut[-1] = -1
        index = lut[index].astype(index.dtype)
    return _Factor(index, None, dictionary=dictionary)


def _arrow_strings(pa: Any, chunked: Any) -> npt.NDArray[Any]:
    """A carried column: strings as unicode ("" for null), other types as numpy gives them."""
    kind = chunked.type
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
                table = coded.dictionary.to_numpy(zero_copy_only=False).astype(np.str_)
                indices = np.asarray(coded.indices.to_numpy(zero_copy_only=False))
                picked: npt.NDArray[Any] = table[indices]
                return picked
        values = chunked.to_numpy()
        return values.astype(np.str_) if values.size else np.empty(0, dtype="<U1")
    return np.asarray(chunked.to_numpy())


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
    carried: dict[str, npt.NDArray[Any]] = {}
    for name, i in layout.carried.items():
        carried[name] = _arrow_strings(pa, take(i))
        pool.release_unused()
    return columns, carried


def _raw_from_arrow(pa: Any, table: Any, layout: _Layout, source: str, first: int) -> _Raw:
    columns = {f: _arrow_column(pa, table.column(i), f) for f, i in layout.fields.items()}
    carried = {n: _arrow_strings(pa, table.column(i)) for n, i in layout.carried.items()}
    return _Raw(table.num_rows, columns, carried, _names(layout), source, first, unit="row")


# -- numpy columns (pandas, and polars without pyarrow) -----------------------------------------


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


def _pandas_column(pd: Any, series: Any) -> Column:
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
    return _Factor(np.asarray(codes, dtype=np.intp), [*list(uniques), None])


def _pandas_carried(pd: Any, series: Any) -> npt.NDArray[Any]:
    if pd.api.types.is_string_dtype(series.dtype) and not isinstance(
        series.dtype, pd.CategoricalDtype
    ):
        return _numpy_carried(series.to_numpy(dtype=object))
    return _numpy_carried(series.to_numpy())


# -- public readers -----------------------------------------------------------------------------


def _chunk_rows(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        msg = f"chunk_rows must be a whole number >= 1 (got {value!r})"
        raise ParameterError(msg)
    return int(value)


def iter_csv(path: str | Path, *, chunk_rows: int = 1_000_000, **options: Any) -> Iterator[Events]:
    """Events from a CSV file, ``chunk_rows`` rows at a time (memory stays bounded).

    Options are those of :class:`ReadOptions`. Each chunk's ``dropped`` counts its own excluded
    rows; ``first_line`` is set so errors name file lines. With ``id_type="auto"`` the first
    chunk decides the id type; text ids after integer ones raise (read_csv decides over the
    whole file instead).
    """
    opts = ReadOptions.from_keywords(options)
    rows = _chunk_rows(chunk_rows)
    return _iter_csv(path, opts, rows)


def _iter_csv(path: str | Path, opts: ReadOptions, rows: int) -> Iterator[Events]:
    source = sources.source_name(path)
    with sources.open_bytes(path) as data:
        yield from _iterate(lambda state: _csv_raws(data, source, opts, rows, state), opts)


def read_csv(path: str | Path, *, chunk_rows: int | None = None, **options: Any) -> Events:
    """Events from a CSV file (UTF-8, header line; options of :class:`ReadOptions`).

    The same events as joining :func:`iter_csv` chunks. ``chunk_rows=None`` reads the file as
    one block where pyarrow parses it cleanly (fastest), else in blocks of a million rows.
    """
    opts = ReadOptions.from_keywords(options)
    rows = None if chunk_rows is None else _chunk_rows(chunk_rows)
    source = sources.source_name(path)
    with sources.open_bytes(path) as data:
        return _read_all(lambda state: _csv_raws(data, source, opts, rows, state), opts)


def _parquet_raws(path: str | Path, opts: ReadOptions, chunk_rows: int | None) -> Iterator[_Raw]:
    from .._optional import require

    pa = require("pyarrow", "arrow")
    pq = require("pyarrow.parquet", "arrow")
    source = str(path)
    if Path(path).stat().st_size == 0:
        msg = f"{source} is empty (0 bytes): expected a Parquet file"
        raise EventsError(msg, source=source)
    try:
        # int96 timestamps (Spark, Hive, Impala) at ms: years beyond 2262 do not wrap around
        pf = pq.ParquetFile(str(path), coerce_int96_timestamp_unit="ms")
        layout = _layout(pf.schema_arrow.names, opts, source)
        text = [
            pf.schema_arrow.names[i]
            for i in layout.fields.values()
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
                ids[at : at + len(part)] = part.to_numpy()
                at += len(part)
            at -= len(got[0])
            for part in got[2].chunks:
                days[at : at + len(part)] = part.view(pa.int32()).to_numpy()
                at += len(part)
            for part in got[1].chunks:
                lut = [table.setdefault(v, len(table)) for v in part.dictionary.to_pylist()]
                parts.append((np.array([*lut, -1], dtype=np.int32), part.indices.to_numpy()))
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
    """Events from a Parquet file (needs pyarrow; options of :class:`ReadOptions`).

    The same events as joining :func:`iter_parquet` chunks; ``chunk_rows=None`` reads the
    file in one multi-threaded pass.
    """
    opts = ReadOptions.from_keywords(options)
    rows = None if chunk_rows is None else _chunk_rows(chunk_rows)
    return _read_all(lambda _state: _parquet_raws(path, opts, rows), opts)


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
        columns = {f: _pandas_column(pd, frame.iloc[:, i]) for f, i in layout.fields.items()}
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
