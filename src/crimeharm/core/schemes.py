"""Weight schemes: a table offence code -> harm weight, with its provenance.

A [`WeightScheme`][crimeharm.WeightScheme] is plain data (codes, weights, titles, groups, metadata).
Lookups are vectorised: [`WeightScheme.index_of`][crimeharm.WeightScheme.index_of] maps a million
codes to table rows in one hash pass.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import numpy.typing as npt

from ..errors import SchemeError, UnknownKeyError
from ..kernels.hashing import StringIndex
from ..kernels.summation import MAX_WEIGHT, WEIGHT_RULE

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["KEY_SYSTEMS", "OffenceType", "WeightScheme"]

#: Key systems a scheme's codes may use (free text is allowed too; these are the known ones).
KEY_SYSTEMS = {
    "ho": "Home Office offence classification, 'NNN/NN' (e.g. '001/01' murder)",
    "athena": "Athena / NICHE offence URN (e.g. '1.1.1.1')",
    "cjs": "Criminal Justice System offence code (e.g. 'COML025')",
    "ons": "ONS police-recorded-crime offence code (e.g. '8N')",
    "police-uk": "police.uk street-level crime category (e.g. 'Burglary')",
    "other": "a force's or researcher's own codes",
}


def _finite_non_negative(value: float) -> bool:
    return math.isfinite(value) and 0.0 <= value <= MAX_WEIGHT


@attrs.frozen
class OffenceType:
    """One offence in a scheme: its code, harm weight and descriptive fields.

    ``weight`` is in the scheme's unit (days of custody for the CCHI). ``keys`` holds the same
    offence's codes in other key systems (``{"athena": "1.1.1.1", "cjs": "COML025"}``).
    """

    code: str = attrs.field(converter=str)
    weight: float = attrs.field(converter=float)
    title: str = ""
    group: str = ""
    sub_group: str = ""
    keys: Mapping[str, str] = attrs.field(factory=dict)

    @weight.validator
    def _check_weight(self, _attribute: object, value: float) -> None:
        if not _finite_non_negative(value):
            msg = f"offence {self.code!r}: weight must be {WEIGHT_RULE} (got {value!r})"
            raise SchemeError(msg, column="weight", value=value)


def _as_codes(values: Any) -> npt.NDArray[np.str_]:
    arr = np.asarray(values)
    if arr.dtype.kind != "U":
        arr = arr.astype(np.str_) if arr.size else np.empty(0, dtype="<U1")
    return arr


def _as_weights(values: Any) -> npt.NDArray[np.float64]:
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        msg = f"weights must be numbers ({exc})"
        raise SchemeError(msg, column="weight") from exc


def _optional_strings(values: Any) -> npt.NDArray[np.str_] | None:
    return None if values is None else _as_codes(values)


@attrs.frozen(eq=False, repr=False)
class WeightScheme:
    """A harm weight per offence code, with the name, version, unit and source to cite.

    Build with ``from_mapping``, ``from_csv`` or ``from_offences``; look up with
    ``weight``, ``index_of`` or ``code in scheme``. Codes are unique and non-empty;
    weights are finite, non-negative (a harm index has no negative harm) and at most 2**32
    days (so sums stay exact).
    """

    codes: npt.NDArray[np.str_] = attrs.field(converter=_as_codes)
    weights: npt.NDArray[np.float64] = attrs.field(converter=_as_weights)
    name: str = "custom"
    version: str = ""
    unit: str = ""
    source: str = ""
    key_system: str = "ho"
    description: str = ""
    titles: npt.NDArray[np.str_] | None = attrs.field(default=None, converter=_optional_strings)
    groups: npt.NDArray[np.str_] | None = attrs.field(default=None, converter=_optional_strings)
    metadata: Mapping[str, Any] = attrs.field(factory=dict)

    def __attrs_post_init__(self) -> None:
        label = f"weight scheme {self.name!r}"
        if self.codes.ndim != 1 or self.weights.shape != self.codes.shape:
            msg = f"{label}: codes and weights must be 1-D of equal length"
            raise SchemeError(msg)
        for field_name in ("titles", "groups"):
            column = getattr(self, field_name)
            if column is not None and column.shape != self.codes.shape:
                msg = f"{label}: {field_name} must have one entry per code"
                raise SchemeError(msg, column=field_name)
        stripped = np.char.strip(self.codes)
        empty = np.flatnonzero(stripped == "")
        if empty.size:
            msg = f"{label}: offence code at row {empty[0]} is empty ({empty.size} empty in all)"
            raise SchemeError(msg, row=int(empty[0]), column="code", value="", count=empty.size)
        w = self.weights
        bad = np.flatnonzero(~(np.isfinite(w) & (w >= 0) & (w <= MAX_WEIGHT)))
        if bad.size:
            i = int(bad[0])
            msg = (
                f"{label}: weight of {str(self.codes[i])!r} at row {i} must be {WEIGHT_RULE} "
                f"(got {float(self.weights[i])!r}; {bad.size} bad weights in all)"
            )
            raise SchemeError(msg, row=i, column="weight", value=self.weights[i], count=bad.size)
        uniq, counts = np.unique(self.codes, return_counts=True)
        if uniq.size != self.codes.size:
            dup = str(uniq[np.argmax(counts > 1)])
            rows = np.flatnonzero(self.codes == dup).tolist()
            msg = f"{label}: offence code {dup!r} appears more than once (rows {rows})"
            raise SchemeError(msg, row=rows[1], column="code", value=dup)

    # -- constructors ---------------------------------------------------------------------------

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, float], **meta: Any) -> WeightScheme:
        """Scheme from ``{code: weight}``; metadata (name, version, unit, ...) as keywords."""
        for key in mapping:
            if not isinstance(key, str):
                msg = f"offence codes must be strings (got {key!r})"  # type: ignore[unreachable]
                raise SchemeError(msg, column="code", value=key)
        codes = list(mapping)
        weights: list[float] = []
        for code in codes:
            try:
                weights.append(float(mapping[code]))
            except (TypeError, ValueError) as exc:
                msg = f"weight of {code!r} must be a number (got {mapping[code]!r})"
                raise SchemeError(msg, column="weight", value=mapping[code]) from exc
        return cls(codes=np.array(codes, dtype=np.str_), weights=weights, **meta)

    @classmethod
    def from_offences(cls, offences: Iterable[OffenceType], **meta: Any) -> WeightScheme:
        """Scheme from [`OffenceType`][crimeharm.OffenceType] records (titles and groups kept)."""
        items = list(offences)
        return cls(
            codes=np.array([o.code for o in items], dtype=np.str_),
            weights=[o.weight for o in items],
            titles=[o.title for o in items],
            groups=[o.group for o in items],
            **meta,
        )

    @classmethod
    def from_csv(
        cls,
        path: str | Path,
        *,
        code_column: str = "code",
        weight_column: str = "weight",
        title_column: str | None = "title",
        group_column: str | None = "group",
        **meta: Any,
    ) -> WeightScheme:
        """Scheme from a CSV file of plain data (UTF-8, header row); nothing in it is executed.

        Errors name the file, the line and the column: duplicate codes, empty codes, and
        negative, NaN, infinite or non-numeric weights are all rejected.
        """
        import csv
        from pathlib import Path

        path = Path(path)
        meta.setdefault("name", path.stem)
        meta.setdefault("source", str(path.name))
        codes: list[str] = []
        weights: list[float] = []
        titles: list[str] = []
        groups: list[str] = []
        seen: dict[str, int] = {}
        try:
            with path.open(newline="", encoding="utf-8-sig") as fh:
                reader = csv.DictReader(fh)
                header = reader.fieldnames or []
                for column in (code_column, weight_column):
                    if column not in header:
                        msg = f"{path}: no column {column!r} (columns: {', '.join(header)})"
                        raise SchemeError(msg, source=str(path), column=column)
                last = reader.line_num
                for row in reader:
                    line = last + 1
                    last = reader.line_num
                    code = (row.get(code_column) or "").strip()
                    raw = (row.get(weight_column) or "").strip()
                    where = f"{path}, line {line}"
                    if not code:
                        msg = f"{where}, column {code_column!r}: empty offence code"
                        raise SchemeError(msg, source=str(path), row=line, column=code_column)
                    try:
                        weight = float(raw)
                    except ValueError:
                        weight = math.nan
                        if not raw or raw.lower() not in {"nan", "inf", "-inf", "infinity"}:
                            msg = f"{where}, column {weight_column!r}: not a number (got {raw!r})"
                            raise SchemeError(
                                msg, source=str(path), row=line, column=weight_column, value=raw
                            ) from None
                    if not _finite_non_negative(weight):
                        msg = (
                            f"{where}, column {weight_column!r}: weight must be {WEIGHT_RULE} "
                            f"(got {raw!r})"
                        )
                        raise SchemeError(
                            msg, source=str(path), row=line, column=weight_column, value=raw
                        )
                    if code in seen:
                        j = seen[code]
                        if weights[j] == weight:
                            continue  # an exact repeat carries no conflict
                        msg = (
                            f"{where}, column {code_column!r}: code {code!r} repeats with weight "
                            f"{weight!r}; line {j + 2} gave {weights[j]!r}"
                        )
                        raise SchemeError(
                            msg, source=str(path), row=line, column=code_column, value=code
                        )
                    seen[code] = len(codes)
                    codes.append(code)
                    weights.append(weight)
                    titles.append((row.get(title_column or "") or "").strip())
                    groups.append((row.get(group_column or "") or "").strip())
        except UnicodeDecodeError as exc:
            msg = f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})"
            raise SchemeError(msg, source=str(path)) from exc
        except csv.Error as exc:
            line = last + 1
            msg = f"{path}, line {line}: malformed CSV ({exc}; cells are limited to 128 KiB)"
            raise SchemeError(msg, source=str(path), row=line) from None
        has_titles = title_column is not None and any(titles)
        has_groups = group_column is not None and any(groups)
        return cls(
            codes=np.array(codes, dtype=np.str_),
            weights=weights,
            titles=titles if has_titles else None,
            groups=groups if has_groups else None,
            **meta,
        )

    @classmethod
    def from_file(cls, path: str | Path, *, require_checksum: bool = False) -> WeightScheme:
        """Scheme from a published scheme file (``.toml``, or ``.csv`` with a metadata header).

        The file must give name, version, unit, key_system, source and licence; a
        ``checksum`` (``sha256:...`` of ``checksum``) is verified when present (and
        required with ``require_checksum=True``). Plain data only: nothing is executed. Errors
        name the file, line and column. Format: ``crimeharm.core.schemefile``.
        """
        from .schemefile import read_scheme_file

        return read_scheme_file(path, require_checksum=require_checksum)

    def to_file(self, path: str | Path, *, licence: str = "") -> Path:
        """Write this scheme as a ``.toml`` or ``.csv`` scheme file with its checksum."""
        from .schemefile import write_scheme_file

        return write_scheme_file(self, path, licence=licence)

    # -- lookups --------------------------------------------------------------------------------

    @cached_property
    def _index(self) -> StringIndex:
        return StringIndex(self.codes)

    @cached_property
    def _position(self) -> dict[str, int]:
        return {str(c): i for i, c in enumerate(self.codes.tolist())}

    def __len__(self) -> int:
        return int(self.codes.size)

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code in self._position

    def __iter__(self) -> Any:
        return iter(self.codes.tolist())

    def index_of(self, codes: npt.ArrayLike) -> npt.NDArray[np.intp]:
        """Row of each code in this scheme's table, -1 where the scheme lacks it (vectorised)."""
        arr = np.asarray(codes)
        if arr.dtype.kind != "U":
            arr = arr.astype(np.str_)
        if arr.size <= 64:
            return np.array([self._position.get(c, -1) for c in arr.tolist()], dtype=np.intp)
        return self._index.lookup(arr)

    def weight(self, code: str) -> float:
        """Weight of one code; raises ``KeyError`` naming the code if the scheme lacks it."""
        try:
            return float(self.weights[self._position[code]])
        except KeyError:
            msg = f"offence code {code!r} is not in weight scheme {self.name!r}"
            raise UnknownKeyError(msg) from None

    def offence(self, code: str) -> OffenceType:
        """The [`OffenceType`][crimeharm.OffenceType] for ``code`` (title and group where the
        scheme has them).
        """
        i = self._position.get(code)
        if i is None:
            msg = f"offence code {code!r} is not in weight scheme {self.name!r}"
            raise UnknownKeyError(msg)
        return OffenceType(
            code=code,
            weight=float(self.weights[i]),
            title="" if self.titles is None else str(self.titles[i]),
            group="" if self.groups is None else str(self.groups[i]),
        )

    def to_dict(self) -> dict[str, float]:
        """``{code: weight}``."""
        return dict(zip(self.codes.tolist(), self.weights.tolist(), strict=True))

    def codes_in_groups(self, groups: Iterable[str]) -> npt.NDArray[np.str_]:
        """Codes whose offence group is one of ``groups`` (case-insensitive, exact names)."""
        if self.groups is None:
            msg = f"weight scheme {self.name!r} has no offence groups"
            raise SchemeError(msg, column="group")
        wanted = {g.strip().upper() for g in groups}
        have = {str(g).upper() for g in np.unique(self.groups)}
        unknown = sorted(wanted - have)
        if unknown:
            msg = (
                f"weight scheme {self.name!r} has no offence group {unknown[0]!r}; "
                f"groups: {', '.join(sorted(have))}"
            )
            raise SchemeError(msg, column="group", value=unknown[0])
        mask = np.isin(np.char.upper(self.groups), list(wanted))
        return self.codes[mask]

    # -- derived schemes ------------------------------------------------------------------------

    def with_weights(self, overrides: Mapping[str, float], **meta: Any) -> WeightScheme:
        """A copy with some weights replaced or codes added (a force's local adjustments)."""
        table = self.to_dict()
        titles = dict(zip(self.codes.tolist(), self._column("titles"), strict=True))
        groups = dict(zip(self.codes.tolist(), self._column("groups"), strict=True))
        table.update({str(k): float(v) for k, v in overrides.items()})
        codes = list(table)
        fields: dict[str, Any] = {
            "name": self.name,
            "version": self.version,
            "unit": self.unit,
            "source": self.source,
            "key_system": self.key_system,
            "description": self.description,
        }
        fields.update(meta)
        return WeightScheme(
            codes=np.array(codes, dtype=np.str_),
            weights=[table[c] for c in codes],
            titles=[titles.get(c, "") for c in codes] if self.titles is not None else None,
            groups=[groups.get(c, "") for c in codes] if self.groups is not None else None,
            **fields,
        )

    def derive(self, how: str, **params: Any) -> WeightScheme:
        """A named derivation of this scheme: ``"log1p"``, ``"sqrt"``, ``"cap"`` (value=),
        ``"scale"`` (factor=) or ``"rescale"`` (to=scheme, method="lsq" or "match", code=).

        The new scheme's name, unit and ``metadata["derivations"]`` record what was done.
        """
        from .derive import derive_scheme

        return derive_scheme(self, how, **params)

    def coverage(self, events: Any, *, reference: WeightScheme | None = None) -> Any:
        """How much of ``events`` this scheme covers: a
        [`crimeharm.core.coverage.Coverage`][crimeharm.core.coverage.Coverage] (share of rows,
        harm covered, the codes it lacks and what they are).
        """
        from .coverage import scheme_coverage

        return scheme_coverage(self, events, reference=reference)

    def via(
        self,
        crosswalk: Any,
        *,
        conflicts: str = "min",
        min_certainty: str = "inferred",
        name: str | None = None,
    ) -> WeightScheme:
        """This scheme's weights keyed by ``crosswalk``'s source codes (see
        [`crimeharm.core.crosswalk.Crosswalk.apply`][crimeharm.Crosswalk.apply])."""
        return crosswalk.apply(  # type: ignore[no-any-return]
            self, conflicts=conflicts, min_certainty=min_certainty, name=name
        )

    def scaled(self, factor: float) -> WeightScheme:
        """Every weight multiplied by ``factor`` (>= 0); rankings are unchanged by scaling."""
        return attrs.evolve(self, weights=self.weights * float(factor))

    def _column(self, name: str) -> Sequence[str]:
        column = getattr(self, name)
        return [""] * len(self) if column is None else column.tolist()

    @cached_property
    def checksum(self) -> str:
        """sha256 of the sorted (code, weight) table: changes iff some weight changes."""
        import hashlib

        h = hashlib.sha256()
        for i in np.argsort(self.codes, kind="stable"):
            h.update(f"{self.codes[i]}\t{float(self.weights[i])!r}\n".encode())
        return h.hexdigest()

    def __repr__(self) -> str:
        version = f" {self.version}" if self.version else ""
        unit = f", unit={self.unit!r}" if self.unit else ""
        return f"<WeightScheme {self.name!r}{version}: {len(self)} codes ({self.key_system}){unit}>"
