"""Scheme files a force can publish: plain data, TOML or CSV with a metadata header.

A scheme file carries the weights and the name, version, unit, key system, source, licence and
checksum (``sha256:`` of [`WeightScheme.checksum`][crimeharm.WeightScheme.checksum]) that make it
citable. Nothing in a file is executed: TOML is parsed by ``tomllib`` and CSV by ``csv``. Every
error names the file, the line and, where there is one, the column. The CSV form::

    # name: my-force-2024
    # version: 2024.1
    # unit: days
    # key_system: ho
    # source: My Force harm index, board paper 12/2024
    # licence: OGL-UK-3.0
    # checksum: sha256:...
    code,weight,title,group
    001/01,5475,Murder,VIOLENCE AGAINST THE PERSON

A crosswalk file is the same CSV form with columns ``from_code,to_code`` (and optional
``derivation``, ``certainty``, ``source``) and header keys ``name``, ``from_system``,
``to_system``, ``source``, ``licence``.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from ..errors import SchemeError
from ..kernels.summation import MAX_WEIGHT, WEIGHT_RULE

if TYPE_CHECKING:
    from .crosswalk import Crosswalk
    from .schemes import WeightScheme

__all__ = [
    "MAX_CELL_BYTES",
    "REQUIRED_FIELDS",
    "read_crosswalk_file",
    "read_scheme_file",
    "scheme_file_header",
    "scheme_file_text",
    "write_scheme_file",
]

#: Metadata every published scheme file must carry (``checksum`` is checked when present).
REQUIRED_FIELDS = ("name", "version", "unit", "key_system", "source", "licence")
#: The largest CSV cell read (the csv module's default limit, 128 KiB); a longer one is a
#: SchemeError naming the file and line.
MAX_CELL_BYTES = 128 * 1024
_HEADER = re.compile(r"^#\s*([A-Za-z_][A-Za-z0-9_-]*)\s*:\s?(.*)$")
_SCHEME_FIELDS = ("name", "version", "unit", "key_system", "source", "description")


def _error(
    path: Path, line: int | None, column: str | None, what: str, **extra: Any
) -> SchemeError:
    where = str(path)
    if line is not None:
        where += f", line {line}"
    if column is not None:
        where += f", column {column!r}"
    return SchemeError(f"{where}: {what}", source=str(path), row=line, column=column, **extra)


def _number(path: Path, line: int, column: str, raw: Any) -> float:
    if isinstance(raw, bool):
        raise _error(path, line, column, f"weight must be a number (got {raw!r})", value=raw)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        msg = f"weight must be a number (got {raw!r})"
        raise _error(path, line, column, msg, value=raw) from None
    if not (math.isfinite(value) and 0.0 <= value <= MAX_WEIGHT):
        msg = f"weight must be {WEIGHT_RULE} (got {raw!r})"
        raise _error(path, line, column, msg, value=raw)
    return value


# -- reading ---------------------------------------------------------------------------------


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        msg = f"{path}: cannot read scheme file ({exc.strerror or exc})"
        raise SchemeError(msg, source=str(path)) from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise _error(
            path, line, None, f"not UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from exc


def _csv_header(path: Path, lines: list[str]) -> tuple[dict[str, str], int]:
    """``# key: value`` lines at the top -> (metadata, number of header lines)."""
    meta: dict[str, str] = {}
    n = 0
    for n, line in enumerate(lines):
        if not line.startswith("#"):
            break
        match = _HEADER.match(line.rstrip("\r\n"))
        if match is None:
            if line.strip("#").strip():
                what = f"metadata line must be '# key: value' (got {line.strip()[:60]!r})"
                raise _error(path, n + 1, None, what)
            continue
        key = match.group(1).lower().replace("-", "_")
        if key in meta:
            raise _error(path, n + 1, None, f"metadata key {key!r} appears twice")
        meta[key] = match.group(2).strip()
    else:
        n = len(lines)
    return meta, n


def _csv_rows(
    path: Path, text: str, skip: int
) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """(header, [(file line, row)]) of the CSV body after ``skip`` metadata lines."""
    body = text.splitlines(keepends=True)[skip:]
    reader = csv.reader(body)
    last = 0
    try:
        header = next(reader, None)
        if header is None:
            raise _error(path, skip + 1, None, "no header row (expected columns after metadata)")
        header = [h.strip() for h in header]
        rows: list[tuple[int, dict[str, str]]] = []
        last = reader.line_num
        for values in reader:
            line = skip + last + 1
            last = reader.line_num
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                what = f"{len(values)} fields, the header has {len(header)}"
                raise _error(path, line, None, what)
            rows.append((line, dict(zip(header, values, strict=True))))
    except csv.Error as exc:
        line = skip + last + 1
        what = f"malformed CSV ({exc}; cells are limited to {MAX_CELL_BYTES // 1024} KiB)"
        raise _error(path, line, None, what) from None
    return header, rows


def _finish(
    path: Path,
    meta: dict[str, Any],
    entries: list[tuple[int, str, float, str, str]],
    *,
    require_checksum: bool,
    checksum_line: int | None,
    derivations_line: int | None,
    raw_bytes: bytes,
) -> WeightScheme:
    from .schemes import WeightScheme

    missing = [f for f in REQUIRED_FIELDS if not str(meta.get(f, "")).strip()]
    if missing:
        what = (
            f"scheme file lacks metadata {', '.join(missing)} (a scheme file gives "
            f"{', '.join(REQUIRED_FIELDS)}: as '# key: value' lines above a CSV header, or in "
            "the [scheme] table of a TOML file)"
        )
        raise _error(path, 1, None, what)
    seen: dict[str, int] = {}
    for line, code, _weight, _title, _group in entries:
        if not code.strip():
            raise _error(path, line, "code", "empty offence code")
        if code in seen:
            what = f"offence code {code!r} appears again (first on line {seen[code]})"
            raise _error(path, line, "code", what, value=code)
        seen[code] = line
    if not entries:
        raise _error(path, None, None, "scheme file has no offences")
    fields = {k: str(meta[k]) for k in _SCHEME_FIELDS if k in meta}
    extra = {k: v for k, v in meta.items() if k not in _SCHEME_FIELDS and k != "checksum"}
    derivations = _derivations(path, meta.get("derivations"), derivations_line)
    if derivations is not None:
        extra["derivations"] = derivations
    titles = [e[3] for e in entries]
    groups = [e[4] for e in entries]
    scheme = WeightScheme(
        codes=[e[1] for e in entries],
        weights=[e[2] for e in entries],
        titles=titles if any(titles) else None,
        groups=groups if any(groups) else None,
        metadata={**extra, "file": path.name},
        **fields,
    )
    record = {
        "path": str(path),
        "sha256": hashlib.sha256(raw_bytes).hexdigest(),
        "checksum": scheme.checksum,
        "derivations": len(derivations or []),
    }
    scheme = attrs.evolve(scheme, metadata={**scheme.metadata, "scheme_file": record})
    stated = str(meta.get("checksum", "")).strip()
    if not stated:
        if require_checksum:
            raise _error(path, 1, None, "scheme file lacks metadata checksum ('sha256:...')")
        return scheme
    digest = stated.removeprefix("sha256:")
    if digest != scheme.checksum:
        what = (
            f"checksum {stated!r} does not match the weights (sha256:{scheme.checksum}); the "
            "file was changed after it was published, or the checksum is wrong"
        )
        raise _error(path, checksum_line, "checksum", what, value=stated)
    return scheme


def _derivations(path: Path, raw: Any, line: int | None) -> list[dict[str, Any]] | None:
    """The ``derivations`` metadata (JSON text, or a TOML array of tables) as a list of steps."""
    if raw is None:
        return None
    value = raw
    if isinstance(raw, str):
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            what = f"derivations must be a JSON list of steps ({exc.msg})"
            raise _error(path, line, "derivations", what) from None
    if not isinstance(value, list) or not all(
        isinstance(step, dict) and "op" in step for step in value
    ):
        what = "derivations must be a list of steps, each with an 'op'"
        raise _error(path, line, "derivations", what)
    return [dict(step) for step in value]


def _read_csv_scheme(
    path: Path, text: str, *, require_checksum: bool, raw_bytes: bytes
) -> WeightScheme:
    lines = text.splitlines(keepends=True)
    meta, skip = _csv_header(path, lines)
    header, rows = _csv_rows(path, text, skip)
    for column in ("code", "weight"):
        if column not in header:
            what = f"no column {column!r} (columns: {', '.join(header)})"
            raise _error(path, skip + 1, column, what)
    entries = [
        (
            line,
            row["code"].strip(),
            _number(path, line, "weight", row["weight"].strip()),
            row.get("title", "").strip(),
            row.get("group", "").strip(),
        )
        for line, row in rows
    ]
    checksum_line = next(
        (i + 1 for i, ln in enumerate(lines[:skip]) if ln.lower().startswith("# checksum")), None
    )
    derivations_line = next(
        (i + 1 for i, ln in enumerate(lines[:skip]) if ln.lower().startswith("# derivations")),
        None,
    )
    return _finish(
        path,
        meta,
        entries,
        require_checksum=require_checksum,
        checksum_line=checksum_line,
        derivations_line=derivations_line,
        raw_bytes=raw_bytes,
    )


def _toml_loads(path: Path, text: str) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib
    try:
        doc: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"line (\d+), column (\d+)", str(exc))
        line = int(found.group(1)) if found else None
        column = f"col {found.group(2)}" if found else None
        what = f"not valid TOML ({str(exc).split(' (at')[0]})"
        raise _error(path, line, column, what) from None
    return doc


def _line_of(text: str, needle: str) -> int | None:
    for i, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return i
    return None


def _read_toml_scheme(
    path: Path, text: str, *, require_checksum: bool, raw_bytes: bytes
) -> WeightScheme:
    doc = _toml_loads(path, text)
    meta = doc.get("scheme")
    if not isinstance(meta, dict):
        raise _error(path, None, None, "no [scheme] table with the scheme's metadata")
    entries: list[tuple[int, str, float, str, str]] = []
    offences = doc.get("offence", [])
    weights = doc.get("weights", {})
    if not isinstance(offences, list) or not isinstance(weights, dict):
        raise _error(path, None, None, "[[offence]] must be an array of tables, [weights] a table")
    for i, item in enumerate(offences):
        line = _line_of(text, f'"{item.get("code", "")}"') or None
        if not isinstance(item, dict) or "code" not in item or "weight" not in item:
            raise _error(path, line, None, f"[[offence]] number {i + 1} needs code and weight")
        code = str(item["code"])
        line = _line_of(text, f'"{code}"')
        entries.append(
            (
                line or 0,
                code,
                _number(path, line or 0, "weight", item["weight"]),
                str(item.get("title", "")),
                str(item.get("group", "")),
            )
        )
    for code, weight in weights.items():
        line = _line_of(text, f'"{code}"') or 0
        entries.append((line, str(code), _number(path, line, "weight", weight), "", ""))
    meta = {str(k): v for k, v in meta.items()}
    return _finish(
        path,
        meta,
        entries,
        require_checksum=require_checksum,
        checksum_line=_line_of(text, "checksum"),
        derivations_line=_line_of(text, "derivations"),
        raw_bytes=raw_bytes,
    )


def read_scheme_file(path: str | Path, *, require_checksum: bool = False) -> WeightScheme:
    """A [`WeightScheme`][crimeharm.WeightScheme] from a ``.toml`` or ``.csv`` scheme file (plain
    data only).
    """
    path = Path(path)
    text = _read_text(path)
    raw = path.read_bytes()
    if path.suffix.lower() == ".toml":
        return _read_toml_scheme(path, text, require_checksum=require_checksum, raw_bytes=raw)
    if path.suffix.lower() in (".csv", ".txt"):
        return _read_csv_scheme(path, text, require_checksum=require_checksum, raw_bytes=raw)
    what = f"unknown scheme file type {path.suffix!r}: use .toml or .csv"
    raise _error(path, None, None, what)


def scheme_file_header(path: str | Path) -> dict[str, str]:
    """The metadata of a scheme file without reading its weights (for plugin listings)."""
    path = Path(path)
    text = _read_text(path)
    if path.suffix.lower() == ".toml":
        meta = _toml_loads(path, text).get("scheme", {})
        return {str(k): str(v) for k, v in meta.items()} if isinstance(meta, dict) else {}
    return _csv_header(path, text.splitlines(keepends=True))[0]


def read_crosswalk_file(path: str | os.PathLike[str]) -> Crosswalk:
    """A [`Crosswalk`][crimeharm.Crosswalk] from a CSV file with a metadata header."""
    from .crosswalk import CERTAINTIES, Crosswalk, CrosswalkRow

    path = Path(path)
    text = _read_text(path)
    meta, skip = _csv_header(path, text.splitlines(keepends=True))
    for key in ("name", "from_system", "to_system"):
        if not meta.get(key):
            raise _error(path, 1, None, f"crosswalk file lacks metadata {key!r}")
    header, rows = _csv_rows(path, text, skip)
    for column in ("from_code", "to_code"):
        if column not in header:
            what = f"no column {column!r} (columns: {', '.join(header)})"
            raise _error(path, skip + 1, column, what)
    out = []
    for line, row in rows:
        certainty = row.get("certainty", "").strip() or "stated"
        if certainty not in CERTAINTIES:
            what = f"certainty must be one of {', '.join(CERTAINTIES)} (got {certainty!r})"
            raise _error(path, line, "certainty", what, value=certainty)
        for column in ("from_code", "to_code"):
            if not row[column].strip():
                raise _error(path, line, column, "empty code")
        out.append(
            CrosswalkRow(
                row["from_code"].strip(),
                row["to_code"].strip(),
                row.get("derivation", "").strip() or "stated",
                certainty,
                row.get("source", "").strip() or f"{path.name} line {line}",
            )
        )
    return Crosswalk(
        rows=out,
        name=meta["name"],
        from_system=meta["from_system"],
        to_system=meta["to_system"],
        source=meta.get("source", path.name),
        licence=meta.get("licence", ""),
        version=meta.get("version", ""),
        description=meta.get("description", ""),
    )


# -- writing ---------------------------------------------------------------------------------


def _toml_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    escaped = re.sub(r"[\x00-\x1f\x7f]", lambda m: f"\\u{ord(m.group(0)):04x}", escaped)
    return f'"{escaped}"'


def _derivations_text(scheme: WeightScheme) -> str:
    """``metadata["derivations"]`` as one line of JSON ("" when the scheme has none)."""
    steps = scheme.metadata.get("derivations")
    if not steps:
        return ""
    return json.dumps(list(steps), sort_keys=True, allow_nan=False, separators=(",", ":"))


def scheme_file_text(scheme: WeightScheme, kind: str, *, licence: str = "") -> str:
    """``scheme`` as the text of a ``"toml"`` or ``"csv"`` scheme file, with its checksum.

    ``licence`` defaults to ``scheme.metadata["licence"]``; a published file needs one.
    """
    licence = licence or str(scheme.metadata.get("licence", ""))
    meta = {
        "name": scheme.name,
        "version": scheme.version,
        "unit": scheme.unit,
        "key_system": scheme.key_system,
        "source": " ".join(scheme.source.split()),
        "licence": licence,
        "description": " ".join(scheme.description.split()),
        "derivations": _derivations_text(scheme),
        "checksum": f"sha256:{scheme.checksum}",
    }
    missing = [f for f in REQUIRED_FIELDS if not meta[f]]
    if missing:
        msg = f"scheme {scheme.name!r} lacks {', '.join(missing)}, which a scheme file needs"
        raise SchemeError(msg)
    titles = scheme.titles.tolist() if scheme.titles is not None else [""] * len(scheme)
    groups = scheme.groups.tolist() if scheme.groups is not None else [""] * len(scheme)
    rows = zip(scheme.codes.tolist(), scheme.weights.tolist(), titles, groups, strict=True)
    if kind == "toml":
        lines = ["[scheme]"]
        lines += [f"{k} = {_toml_string(v)}" for k, v in meta.items() if v]
        for code, weight, title, group in rows:
            lines += ["", "[[offence]]", f"code = {_toml_string(code)}", f"weight = {weight!r}"]
            if title:
                lines.append(f"title = {_toml_string(title)}")
            if group:
                lines.append(f"group = {_toml_string(group)}")
        return "\n".join(lines) + "\n"
    if kind == "csv":
        import io

        buf = io.StringIO()
        for key, value in meta.items():
            if value:
                buf.write(f"# {key}: {value}\n")
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(["code", "weight", "title", "group"])
        writer.writerows([c, repr(w), t, g] for c, w, t, g in rows)
        return buf.getvalue()
    msg = f"unknown scheme file type {kind!r}: use toml or csv"
    raise SchemeError(msg)


def write_scheme_file(scheme: WeightScheme, path: str | Path, *, licence: str = "") -> Path:
    """Write ``scheme`` as a ``.toml`` or ``.csv`` scheme file with its checksum; returns path.

    ``licence`` defaults to ``scheme.metadata["licence"]``; a published file needs one.
    """
    path = Path(path)
    kind = path.suffix.lower().removeprefix(".")
    if kind not in ("toml", "csv"):
        msg = f"{path}: unknown scheme file type {path.suffix!r}: use .toml or .csv"
        raise SchemeError(msg, source=str(path))
    try:
        text = scheme_file_text(scheme, kind, licence=licence)
    except SchemeError as exc:
        msg = f"cannot write {path}: {exc}"
        raise SchemeError(msg, source=str(path)) from None
    path.write_text(text, encoding="utf-8")
    return path
