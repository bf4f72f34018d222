"""Manifests: everything needed to reproduce a score or ranking, written next to the output.

A [`Manifest`][crimeharm.Manifest] records the library version, the scheme (name, version,
checksum and conflict policy; for a derived scheme the steps and the checksum of the scheme they
start from; for a scheme file its path, sha256 and weights checksum), the decay and its
parameters, ``as_of``, the window, the grouping key, the filters applied before scoring
(``groups``, ``codes``, ``where``), the options the input was read with (its path, format,
column mapping, date format, code padding, id type, error policy, de-duplication, delimiter),
the row report, the input's row count and a fingerprint of the input events as read (before the
filters), a fingerprint of the result, and for a file output its format, header and sha256.
``verify(events)`` says whether some events are the ones read; ``reproduce(events)`` applies the
recorded filters, scores again and checks the result is identical; ``read_events()`` reads the
input again with the recorded options.

Input fingerprint ("crimeharm-events-v1"): sha256 over the UTF-8 line
``crimeharm-events-v1`` and then, for each of ``offender_id``, ``offence_code``, ``date`` and
(when present) ``victim_id`` in that order, a header line ``name:kind:rows`` followed by the
column's canonical bytes:

- integers (kind ``int64``): the values as little-endian int64;
- strings (kind ``str``): the length of each value in code points as little-endian int64, then
  the code points of all values one after another as little-endian uint32 (UTF-32), so the
  width numpy happens to store them at does not matter;
- dates (kind ``date``): days since 1970-01-01 as little-endian int64.

Offence codes are fingerprinted as strings, whether stored as strings or as categories, so the
same events give the same fingerprint either way. Row order matters (it can change the last bits
of a float sum). Extra columns and ``crime_id`` do not affect scores and are not fingerprinted,
except the column a result is grouped by (``by``), which is hashed last (integers, floats,
dates or text, as above).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from ..core.events import Events
from ..core.filters import FILTERED_OUT, where_mask
from ..core.results import Ranking, Scores
from ..errors import DataError, ParameterError, ParameterTypeError

__all__ = [
    "FINGERPRINT_METHOD",
    "MANIFEST_FORMAT",
    "Manifest",
    "fingerprint_events",
    "fingerprint_result",
    "manifest_path_for",
    "select_events",
    "write_manifest_next_to",
]

MANIFEST_FORMAT = "crimeharm-manifest/1"
FINGERPRINT_METHOD = "crimeharm-events-v1"
RESULT_METHOD = "crimeharm-result-v1"
SUFFIX = ".manifest.json"


#: Rows hashed at a time: the buffers of one slice are reused, never the whole column at once.
_CHUNK_ROWS = 1 << 20


@attrs.frozen
class _Taken:
    """``table[index]`` (offence codes through their categories), built a slice at a time."""

    table: npt.NDArray[Any]
    index: npt.NDArray[Any]

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.index.shape)

    @property
    def dtype(self) -> np.dtype[Any]:
        return self.table.dtype

    def __getitem__(self, rows: slice) -> npt.NDArray[Any]:
        return np.asarray(self.table[self.index[rows]])


def _string_bytes(h: Any, values: npt.NDArray[Any] | _Taken) -> None:
    """Hash each string's length (int64), then every string's UTF-32 code units, in row order,
    ``_CHUNK_ROWS`` rows at a time."""
    n = values.shape[0]
    width = values.dtype.itemsize // 4
    if n == 0 or width == 0:
        h.update(np.zeros(n, dtype="<i8").tobytes())
        return
    for lengths_pass in (True, False):
        for start in range(0, n, _CHUNK_ROWS):
            chunk = np.ascontiguousarray(values[start : start + _CHUNK_ROWS], dtype=f"<U{width}")
            words = chunk.view("<u4").reshape(-1, width)
            if words[:, -1].all():  # every value fills the width (ids and codes of one length)
                h.update(np.full(len(words), width, dtype="<i8") if lengths_pass else words)
                continue
            nonzero = words != 0
            last = width - np.argmax(nonzero[:, ::-1], axis=1)
            lengths = np.where(nonzero.any(axis=1), last, 0).astype("<i8")
            if lengths_pass:
                h.update(lengths)
            else:
                keep = np.arange(width)[None, :] < lengths[:, None]
                h.update(np.ascontiguousarray(words[keep]))


def _column_bytes(h: Any, name: str, values: npt.NDArray[Any] | _Taken) -> None:
    n = values.shape[0]
    kind = values.dtype.kind
    if kind == "M":
        as_int = np.asarray(values).astype("datetime64[D]", copy=False).view(np.int64)
        label, payload = "date", np.ascontiguousarray(as_int, dtype="<i8")
    elif kind in "iub":
        label, payload = "int64", np.ascontiguousarray(values, dtype="<i8")
    elif kind == "U":
        label, payload = "str", None
    elif kind == "f":  # a carried numeric grouping key
        label, payload = "float64", np.ascontiguousarray(values, dtype="<f8")
    else:
        msg = f"cannot fingerprint column {name!r} of dtype {values.dtype}"
        raise ParameterError(msg)
    h.update(f"{name}:{label}:{n}\n".encode())
    if payload is None:
        _string_bytes(h, values)
    else:
        h.update(payload)


def fingerprint_events(events: Events, by: str = "offender_id") -> str:
    """sha256 hex digest of the columns that scoring reads (see the module notes).

    With ``by`` naming another column (a crime id, a borough), that column is read too and is
    hashed after the others.
    """
    h = hashlib.sha256(f"{FINGERPRINT_METHOD}\n".encode())
    _column_bytes(h, "offender_id", events.offender_id)
    codes = events.offence_code
    _column_bytes(
        h, "offence_code", codes if events.categories is None else _Taken(events.categories, codes)
    )
    _column_bytes(h, "date", events.date)
    if events.victim_id is not None:
        _column_bytes(h, "victim_id", events.victim_id)
    if by not in ("offender_id", "victim_id") and by in events.column_names:
        _column_bytes(h, by, np.asarray(events[by]))
    return h.hexdigest()


def fingerprint_result(result: Scores | Ranking) -> str:
    """sha256 hex digest of a result's rows in ranking order: offender id, harm, count.

    Harm is hashed as float64 bytes: any change in the last bit changes the digest.
    """
    rows = result.ranking() if isinstance(result, Scores) else result
    h = hashlib.sha256(f"{RESULT_METHOD}\n".encode())
    _column_bytes(h, "offender_id", rows.offender_id)
    h.update(f"harm:float64:{len(rows)}\n".encode())
    h.update(np.ascontiguousarray(rows.harm, dtype="<f8").tobytes())
    _column_bytes(h, "count", rows.n_events)
    return h.hexdigest()


def _library_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("crimeharm")
    except PackageNotFoundError:
        return "0.0.0+unknown"


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()


@attrs.frozen
class Manifest:
    """How a score or ranking was made, and a fingerprint of what it was made from.

    ``result_kind`` is "scores" or "ranking"; ``result_rows`` its row count; ``report`` the row
    accounting (``Report.to_dict()``); ``created_at`` an ISO 8601 UTC timestamp. ``filters``
    holds ``groups``, ``codes`` (lists or None) and ``where`` (column -> values as text);
    ``reading`` the reader's keyword arguments plus ``path`` and ``format``; ``output`` the
    written file's ``format``, ``header`` lines, ``csv_escape`` and ``sha256`` (of its UTF-8
    bytes), so the manifest can be matched to its file.
    """

    library_version: str
    scheme: str
    scheme_version: str
    scheme_checksum: str
    decay: str
    decay_params: Mapping[str, Any]
    as_of: str
    window_days: int | None
    on_unknown: str
    fallback_weight: float | None
    input_rows: int
    input_fingerprint: str
    report: Mapping[str, Any]
    result_kind: str
    result_rows: int
    result_fingerprint: str
    created_at: str
    input_dropped: Mapping[str, int] = attrs.field(factory=dict)
    by: str = "offender_id"  # the grouping key (manifests before by= have none)
    scheme_conflicts: str | None = None
    # a derived scheme (manifests before derivations were recorded have none): the scheme the
    # steps start from (a registered name, or the file in scheme_file), its checksum, the steps
    scheme_parent: str | None = None
    scheme_parent_checksum: str | None = None
    scheme_derivations: tuple[Mapping[str, Any], ...] = attrs.field(default=(), converter=tuple)
    # a scheme read from a file: its path, sha256 of its bytes and the checksum of its weights
    scheme_file: Mapping[str, Any] = attrs.field(factory=dict)
    filters: Mapping[str, Any] = attrs.field(factory=dict)
    reading: Mapping[str, Any] = attrs.field(factory=dict)
    output: Mapping[str, Any] = attrs.field(factory=dict)
    fingerprint_method: str = FINGERPRINT_METHOD
    format: str = MANIFEST_FORMAT

    @classmethod
    def from_result(
        cls,
        result: Scores | Ranking,
        events: Events,
        *,
        filters: Mapping[str, Any] | None = None,
        reading: Mapping[str, Any] | None = None,
        output: Mapping[str, Any] | None = None,
        scheme: Any = None,
        created_at: str | None = None,
    ) -> Manifest:
        """The manifest of ``result`` computed from ``events`` (as read, before ``filters``).

        ``scheme`` (the scheme object scored with) supplies its conflict policy, if it has one.
        """
        if events.n_rows != result.report.total:
            msg = (
                f"these events have {events.n_rows:,} rows but the result was computed from "
                f"{result.report.total:,}: pass the events that were scored"
            )
            raise ParameterError(msg)
        p = result.params
        return cls(
            library_version=_library_version(),
            scheme=p.scheme,
            scheme_version=p.scheme_version,
            scheme_checksum=p.scheme_checksum,
            decay=p.decay,
            decay_params=json.loads(json.dumps(dict(p.decay_params))),
            as_of=str(p.as_of),
            window_days=p.window_days,
            on_unknown=p.on_unknown,
            fallback_weight=p.fallback_weight,
            input_rows=len(events),
            input_fingerprint=fingerprint_events(events, result.params.by),
            report=result.report.to_dict(),
            result_kind="scores" if isinstance(result, Scores) else "ranking",
            result_rows=len(result),
            result_fingerprint=fingerprint_result(result),
            created_at=created_at or _now(),
            input_dropped={str(k): int(v) for k, v in events.dropped.items()},
            by=p.by,
            scheme_conflicts=_conflicts_of(scheme),
            **_provenance_of(scheme),
            filters=_plain_json(_normal_filters(filters)),
            reading=_plain_json(dict(reading or {})),
            output=_plain_json(dict(output or {})),
        )

    # -- checks ---------------------------------------------------------------------------------

    def verify(self, events: Events) -> bool:
        """True iff ``events`` have the recorded row count and fingerprint."""
        return (
            len(events) == self.input_rows
            and fingerprint_events(events, self.by) == self.input_fingerprint
        )

    def matches(self, result: Scores | Ranking) -> bool:
        """True iff ``result`` is row for row, bit for bit, the recorded result."""
        return (
            len(result) == self.result_rows
            and fingerprint_result(result) == self.result_fingerprint
        )

    def score_options(self) -> dict[str, Any]:
        """Keyword arguments that make [`crimeharm.score`][crimeharm.score] repeat this
        computation.
        """
        from ..plugins import get_decay

        options: dict[str, Any] = {
            "as_of": self.as_of,
            "window_days": self.window_days,
            "decay": get_decay(self.decay, **dict(self.decay_params)),
            "on_unknown": self.on_unknown,
            "fallback_weight": self.fallback_weight,
            "by": self.by,
        }
        if self.by != "offender_id":
            options["by"] = self.by
        return options

    def scheme_object(self, scheme: Any = None) -> Any:
        """The recorded weight scheme (``scheme`` if given), checked against its checksum.

        Without ``scheme``: the recorded scheme file or registered scheme (with the recorded
        conflict policy), then the recorded derivation steps repeated on it, each step's
        starting checksum checked.
        """
        from ..core.derive import rederive
        from ..core.scoring import resolve_scheme
        from ..plugins import get_scheme

        if scheme is not None:
            scheme_obj = resolve_scheme(scheme)
        else:
            root = self._root_scheme()
            scheme_obj = rederive(root, self.scheme_derivations, get_scheme)
        if scheme_obj.checksum != self.scheme_checksum:
            msg = (
                f"weight scheme {scheme_obj.name!r} has checksum {scheme_obj.checksum[:12]}..., "
                f"the manifest records {self.scheme_checksum[:12]}...; pass that scheme"
            )
            raise ParameterError(msg)
        return scheme_obj

    def _root_scheme(self) -> Any:
        """The scheme the recorded derivations start from (the scheme itself without any)."""
        from ..core.schemes import WeightScheme
        from ..core.scoring import resolve_scheme
        from ..plugins import get_scheme

        want = self.scheme_parent_checksum or self.scheme_checksum
        path = self.scheme_file.get("path")
        if path is not None and Path(str(path)).is_file():
            root = WeightScheme.from_file(str(path))
            if root.checksum != self.scheme_file.get("checksum", root.checksum):
                msg = (
                    f"the scheme file {path!r} changed after the manifest was written (its "
                    f"weights have checksum {root.checksum[:12]}..., the manifest records "
                    f"{str(self.scheme_file.get('checksum'))[:12]}...)"
                )
                raise ParameterError(msg)
            return root
        name = self.scheme_parent or self.scheme
        if path is not None and name not in _registered():
            msg = (
                f"the manifest's scheme came from the file {path!r}, which is not there: "
                "pass that scheme (scheme=...)"
            )
            raise ParameterError(msg)
        root = resolve_scheme(name)
        if root.checksum != want and self.scheme_conflicts is not None:
            root = get_scheme(name, conflicts=self.scheme_conflicts)
        return root

    def rescore(self, events: Events, *, scheme: Any = None) -> Scores | Ranking:
        """Apply the recorded filters to ``events`` and score them as recorded (no checks)."""
        from ..core.scoring import score

        scheme_obj = self.scheme_object(scheme)
        selected = select_events(
            events,
            scheme_obj,
            groups=self.filters.get("groups"),
            codes=self.filters.get("codes"),
            where=self.filters.get("where"),
        )
        scores = score(selected, scheme_obj, **self.score_options())
        if self.result_kind == "ranking":
            return scores.top(self.result_rows)
        return scores

    def reproduce(
        self, events: Events | str | os.PathLike[str], *, scheme: Any = None
    ) -> Scores | Ranking:
        """Score ``events`` again as recorded (filters included) and check the result is identical.

        ``events`` are the events as read, before the filters, or the path of the events file
        (read again with the recorded reading options, as ``read_events``). ``scheme``
        defaults to the registered scheme of the recorded name (and conflict policy); its
        checksum must match. Raises [`DataError`][crimeharm.DataError] if the events or the
        result differ, [`ParameterTypeError`][crimeharm.ParameterTypeError] if ``events`` is
        neither Events nor a path.
        """
        given: object = events  # checked at run time, whatever the annotation says
        if isinstance(given, (str, os.PathLike)):
            given = self.read_events(os.fspath(given))
        if not isinstance(given, Events):
            msg = (
                "reproduce needs the events (crimeharm.Events) or the path of the events file "
                f"(got {type(given).__name__})"
            )
            raise ParameterTypeError(msg)
        events = given
        if not self.verify(events):
            msg = (
                f"the events do not match the manifest (fingerprint {self.input_fingerprint[:12]}"
                f"..., {self.input_rows:,} rows; got {len(events):,} rows): they are not the "
                "events that were read"
            )
            raise DataError(msg)
        result = self.rescore(events, scheme=scheme)
        if not self.matches(result):
            msg = (
                f"scoring again gave a different result (library {_library_version()} now, "
                f"{self.library_version} recorded)"
            )
            raise DataError(msg)
        return result

    def read_events(self, path: str | Path | None = None) -> Events:
        """Read the input again with the recorded reading options (from ``path`` if given)."""
        from ..io import readers

        options = dict(self.reading)
        recorded = options.pop("path", None)
        kind = options.pop("format", None)
        source = path if path is not None else recorded
        if source is None:
            msg = "the manifest records no input path; name the events file"
            raise ParameterError(msg)
        if kind is None:
            kind = "parquet" if str(source).lower().endswith((".parquet", ".pq")) else "csv"
        if kind == "parquet":
            return readers.read_parquet(source, **options)
        return readers.read_csv(source, **options)

    # -- JSON -----------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Plain data, JSON-ready."""
        return attrs.asdict(self, recurse=True)

    def to_json(self, *, indent: int | None = 2) -> str:
        """The manifest as JSON text (keys sorted, so equal manifests give equal text)."""
        return json.dumps(self.to_dict(), indent=indent, sort_keys=True, allow_nan=False)

    @classmethod
    def from_json(cls, text: str, *, source: str | None = None) -> Manifest:
        """A manifest from ``to_json`` text; [`DataError`][crimeharm.DataError] names what is
        wrong.
        """
        where = source or "manifest"
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            msg = f"{where}: not JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
            raise DataError(msg, source=source, row=exc.lineno) from exc
        if not isinstance(data, dict):
            msg = f"{where}: expected a JSON object (got {type(data).__name__})"
            raise DataError(msg, source=source)
        fmt = data.get("format")
        if fmt != MANIFEST_FORMAT:
            msg = f"{where}: format must be {MANIFEST_FORMAT!r} (got {fmt!r})"
            raise DataError(msg, source=source, column="format", value=fmt)
        names = {f.name for f in attrs.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            msg = f"{where}: unknown field {unknown[0]!r}"
            raise DataError(msg, source=source, column=unknown[0])
        required = {f.name for f in attrs.fields(cls) if f.default is attrs.NOTHING}
        missing = sorted(required - set(data))
        if missing:
            msg = f"{where}: missing field {missing[0]!r}"
            raise DataError(msg, source=source, column=missing[0])
        try:
            return cls(**data)
        except (TypeError, ValueError, AttributeError) as exc:  # a field of the wrong kind
            msg = f"{where}: a field has a value of the wrong kind ({exc})"
            raise DataError(msg, source=source) from exc

    def write(self, path: str | Path) -> Path:
        """Write the JSON to ``path`` (UTF-8, atomically: temporary file + rename); the path."""
        from ..io.write import atomic_write

        target = Path(path)
        with atomic_write(target) as fh:
            fh.write(self.to_json() + "\n")
        return target

    @classmethod
    def read(cls, path: str | Path) -> Manifest:
        """Read a manifest written by ``write``; [`DataError`][crimeharm.DataError] names a
        file that is missing, a folder or unreadable."""
        target = Path(path)
        try:
            text = target.read_text(encoding="utf-8")
        except FileNotFoundError:
            msg = f"{target}: no such manifest file"
            raise DataError(msg, source=str(target)) from None
        except IsADirectoryError:
            msg = f"{target} is a directory, not a manifest file"
            raise DataError(msg, source=str(target)) from None
        except UnicodeDecodeError as exc:
            msg = f"{target}: not a manifest (not UTF-8 text at byte {exc.start})"
            raise DataError(msg, source=str(target)) from None
        except OSError as exc:
            msg = f"{target}: cannot read the manifest ({exc.strerror or type(exc).__name__})"
            raise DataError(msg, source=str(target)) from None
        return cls.from_json(text, source=str(target))


def _conflicts_of(scheme: Any) -> str | None:
    value = getattr(scheme, "metadata", None)
    if isinstance(value, Mapping) and value.get("conflicts") is not None:
        return str(value["conflicts"])
    return None


def _registered() -> list[str]:
    from ..plugins import list_schemes

    return list_schemes()


def _provenance_of(scheme: Any) -> dict[str, Any]:
    """The manifest fields that say where ``scheme`` came from: its file, its derivation steps
    after that file (or after the registered scheme they start from) and that parent's checksum.
    """
    meta = getattr(scheme, "metadata", None)
    if not isinstance(meta, Mapping):
        return {}
    steps = [dict(step) for step in meta.get("derivations") or []]
    record = meta.get("scheme_file")
    out: dict[str, Any] = {}
    if isinstance(record, Mapping):
        steps = steps[int(record.get("derivations", 0)) :]
        out["scheme_file"] = _plain_json(
            {k: record[k] for k in ("path", "sha256", "checksum") if k in record}
        )
    if steps:
        out["scheme_parent"] = str(steps[0].get("parent"))
        out["scheme_parent_checksum"] = str(steps[0].get("parent_checksum"))
        out["scheme_derivations"] = tuple(_plain_json(steps))
    return out


def _normal_filters(filters: Mapping[str, Any] | None) -> dict[str, Any]:
    if not filters:
        return {}
    out: dict[str, Any] = {}
    for key in ("groups", "codes"):
        if filters.get(key) is not None:
            out[key] = [str(v) for v in filters[key]]
    where = filters.get("where") or {}
    if where:
        out["where"] = {str(c): [str(v) for v in values] for c, values in where.items()}
    unknown = sorted(set(filters) - {"groups", "codes", "where"})
    if unknown:
        msg = f"filters: unknown key {unknown[0]!r} (expected groups, codes, where)"
        raise ParameterError(msg)
    return out


def _plain_json(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def where_value(events: Events, column: str, text: str) -> Any:
    """``text`` as a value of ``column``: a number, date or flag for such columns, else text.

    Text is compared as given: casting 'Female' to a one-character column would make it 'F'.
    """
    if column not in events.column_names:
        msg = (
            f"where {column}={text!r}: the events have no column {column!r}; "
            f"columns: {', '.join(events.column_names)}"
        )
        raise ParameterError(msg)
    kind = events[column].dtype.kind
    try:
        if kind in "iu":
            return int(text)
        if kind == "f":
            return float(text)
        if kind == "M":  # a whole calendar date, as as_of is: "2023" is no day
            from ..core.parameters import check_as_of

            try:
                return check_as_of(text.strip())
            except ParameterError:
                raise ValueError(text) from None
        if kind == "b":
            return text.strip().lower() in ("1", "true", "yes", "y", "t")
    except ValueError:
        expected = {"i": "a whole number", "u": "a whole number", "f": "a number", "M": "a date"}
        msg = f"where {column}=...: column {column!r} holds {expected.get(kind, kind)}"
        raise ParameterError(msg) from None
    return text


def select_events(
    events: Events,
    scheme: Any,
    *,
    groups: Any = None,
    codes: Any = None,
    where: Mapping[str, Any] | None = None,
) -> Events:
    """``events`` with the filters of a run applied, in the command line's order.

    ``where`` maps a column to accepted values as text (typed by ``where_value``); rows
    left out are reported as "filtered out". Then ``groups`` and ``codes`` (scheme offence
    groups and offence codes) select as [`Events.select`][crimeharm.Events.select] does.
    """
    if where:
        typed = {c: [where_value(events, c, str(v)) for v in vals] for c, vals in where.items()}
        events = events.take(where_mask(events, typed), reason=FILTERED_OUT)
    if groups is None and codes is None:
        return events
    return events.select(scheme=scheme, groups=groups, codes=codes)


def manifest_path_for(output_path: str | Path) -> Path:
    """Where the manifest of an output goes: ``ranking.csv`` -> ``ranking.csv.manifest.json``."""
    out = Path(output_path)
    return out.with_name(out.name + SUFFIX)


def write_manifest_next_to(output_path: str | Path, manifest: Manifest) -> Path:
    """Write ``manifest`` beside ``output_path`` (see
    [`manifest_path_for`][crimeharm.audit.manifest.manifest_path_for]); its path.
    """
    return manifest.write(manifest_path_for(output_path))
