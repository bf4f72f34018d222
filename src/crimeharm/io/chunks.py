"""A chunk of rows as read -> Events: the columns used, validation, the error policy, counting.

Every reader (CSV, Parquet, frames) turns its input into ``_Raw`` chunks; this module
normalises them by ``.normalise``, ``.ids`` and ``.dates``, names the first problem
of each kind (file, line or row, column; ids never shown) and counts every row that shares it.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Literal, cast

import attrs
import numpy as np
import numpy.typing as npt

from ..core.events import RESERVED, Events
from ..errors import EventsError, ParameterError
from . import dates, normalise
from . import ids as idpolicy
from .arrays import arrow_of, numpy_of
from .options import (
    _DEFAULT,
    ReadOptions,
)

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
    CONTROL_IN_ID: "offender_id",  # or victim_id / crime_id: _describe finds it
    BAD_OFFENDER_ID: "offender_id",
    MISSING_OFFENCE_CODE: "offence_code",
    MISSING_DATE: "date",
    UNPARSEABLE_DATE: "date",
    EARLY_DATE: "date",
    DUPLICATE_CRIME_ID: "crime_id",
}
_SENSITIVE = ("offender_id", "victim_id", "crime_id")  # values never printed


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
    complete: bool = False  # every entry occurs in index and no row is missing (-1)
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


def _take_all(
    parts: list[tuple[npt.NDArray[np.signedinteger[Any]], npt.NDArray[Any]]],
    lut: npt.NDArray[np.int32],
) -> npt.NDArray[np.signedinteger[Any]]:
    """``_gather`` for parts with no missing entry (no index -1), in Arrow's take kernel
    where pyarrow is installed (it takes int32 indices as they are: no widening copy)."""
    if len(parts) != 1:
        return _gather(parts, lut)
    try:
        import pyarrow.compute as pc
    except ImportError:  # pragma: no cover - numpy does the same, a little slower
        return _gather(parts, lut)
    chunk_lut, indices = parts[0]
    step = arrow_of(lut[chunk_lut])
    return numpy_of(pc.take(step, arrow_of(indices)))


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
    """One chunk's id column under the id policy (``crimeharm.io.ids``)."""

    values: npt.NDArray[Any]  # int64 or str
    missing: npt.NDArray[np.bool_]
    not_int: npt.NDArray[np.bool_]  # not sign-and-digits under id_type="int"
    control: npt.NDArray[np.bool_]  # holds a control character
    merged: int = 0  # distinct raw ids that became another after normalisation


def _ints_as_text(col: _Ints) -> _Factor:
    """An integer id column as the decimal text of its values (null: missing), in Arrow's
    kernels where pyarrow is installed."""
    n = col.values.shape[0]
    index = np.where(col.null, -1, np.arange(n)).astype(np.intp)
    try:
        import pyarrow as pa
    except ImportError:  # pragma: no cover - the readers that make _Ints from text need it
        return _Factor(index, [*col.values.tolist(), None])
    null = col.null if col.null.any() else None
    text = pa.array(col.values, mask=null).cast(pa.string())
    if null is not None:
        text = text.fill_null("")  # "": missing
    # the id policy of decimal integers is known: each is exact, only the nulls are missing
    values = col.values.astype(np.int64, copy=False)
    ids = idpolicy.IdTable(
        lambda: idpolicy._unicode(text, sentinel=True),
        np.append(col.null, True),
        np.zeros(n + 1, dtype=bool),
        np.append(~col.null, False),
        np.append(np.where(col.null, 0, values), 0),
        0,
    )
    return _Factor(index, None, dictionary=text, identity=True, ids=ids)


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
            col = _ints_as_text(col)
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
    """Days, rows missing a date, rows whose date cannot be read (rules: ``.dates``)."""
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
    needs the general path of ``_build`` (which then finds and names the problem).
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
    optional: dict[str, npt.NDArray[np.int64]] = {}
    for field in ("victim_id", "crime_id"):  # integer ids throughout, none missing
        col = raw.columns.get(field)
        if col is None:
            continue
        if not isinstance(col, _Ints) or col.null.any() or state.kinds.get(field) == "str":
            return None
        optional[field] = col.values.astype(np.int64, copy=False)
    if (
        raw.preset is not None
        or opts.dedupe is not None
        or opts.id_type == "str"
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
    if codes.complete:
        used[:-1] = True
    step = 1 << 20  # bincount widens its input: a slice at a time
    for chunk_lut, indices in parts if not codes.complete else ():
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
    for field in optional:
        state.kinds.setdefault(field, "int")
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
        offence_code=_take_all(parts, lut),
        categories=np.array(cats, dtype=np.str_) if cats else np.empty(0, dtype="<U1"),
        date=days,
        victim_id=optional.get("victim_id"),
        crime_id=optional.get("crime_id"),
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
        more = f"; {'at least ' if at_least else ''}{others:,} other {rows} the same problem"
    hint = _HINTS.get(problem.reason, "")
    if problem.note.startswith("a whole number"):  # the note already says what to pass
        hint = _SKIP
    elif problem.reason == UNPARSEABLE_DATE and not problem.note.endswith("YYYY-MM-DD"):
        hint = ". Check that date_format= matches the file's dates" + _SKIP  # one was given
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


def _names(layout: _Layout) -> dict[str, str]:
    return {f: layout.names[i] for f, i in layout.fields.items()}


def _empty_raw(layout: _Layout, opts: ReadOptions, source: str, first: int) -> _Raw:
    empty = np.empty(0, dtype=np.intp)
    columns: dict[str, Column] = {f: _Factor(empty, [None]) for f in layout.fields}
    carried = {name: np.empty(0, dtype="<U1") for name in layout.carried}
    return _Raw(0, columns, carried, _names(layout), source, first)


_ID_FIELDS = ("offender_id", "victim_id", "crime_id")


def _chunk_rows(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        msg = f"chunk_rows must be a whole number >= 1 (got {value!r})"
        raise ParameterError(msg)
    return int(value)
