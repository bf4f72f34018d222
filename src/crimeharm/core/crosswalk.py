"""Crosswalks: tables mapping codes of one key system to codes of another, with provenance.

Each row of a [`Crosswalk`][crimeharm.Crosswalk] says how it was derived (``derivation``), how
certain it is (``certainty``: ``stated`` by a source, ``recovered`` from damaged data, or
``inferred`` by a rule) and where it comes from (``source``: a file and row).
[`Crosswalk.apply`][crimeharm.Crosswalk.apply] reaches a scheme's weights from the crosswalk's
source codes; where one code maps to several target codes with different weights, the ``conflicts``
policy decides, as for the CCHI.
"""

from __future__ import annotations

import os
import statistics
from collections.abc import Callable, Iterable, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from ..errors import ParameterError, SchemeError

if TYPE_CHECKING:
    from .schemes import WeightScheme

__all__ = ["CERTAINTIES", "CONFLICT_POLICIES", "Crosswalk", "CrosswalkRow"]

#: Certainty levels, most certain first.
CERTAINTIES: tuple[str, ...] = ("stated", "recovered", "inferred")

#: How `Crosswalk.apply` picks one weight for a code that maps to several.
CONFLICT_POLICIES: dict[str, str] = {
    "max": "the highest weight among the codes it maps to (the most serious)",
    "min": "the lowest weight among them (the least serious)",
    "median": "the median of their weights (may be a value no single code has)",
    "first": "the weight of the first such mapping in the crosswalk's row order",
    "raise": "refuse: raise SchemeError listing the codes that map to several weights",
}


@attrs.frozen
class CrosswalkRow:
    """One mapping: ``from_code`` (source system) -> ``to_code`` (target system)."""

    from_code: str
    to_code: str
    derivation: str = "stated"
    certainty: str = "stated"
    source: str = ""


def _pick(policy: str) -> Callable[[list[float]], float]:
    if policy == "max":
        return max
    if policy == "min":
        return min
    if policy == "median":
        return lambda ws: float(statistics.median(ws))
    return lambda ws: ws[0]


def _as_rows(rows: Iterable[CrosswalkRow]) -> tuple[CrosswalkRow, ...]:
    return tuple(rows)


@attrs.frozen(eq=False)
class Crosswalk:
    """Rows mapping ``from_system`` codes to ``to_system`` codes, with name and provenance."""

    rows: tuple[CrosswalkRow, ...] = attrs.field(converter=_as_rows)
    name: str
    from_system: str
    to_system: str
    source: str = ""
    licence: str = ""
    version: str = ""
    description: str = ""

    def __attrs_post_init__(self) -> None:
        for i, row in enumerate(self.rows):
            if not row.from_code.strip() or not row.to_code.strip():
                msg = f"crosswalk {self.name!r}: row {i} has an empty code"
                raise SchemeError(
                    msg, row=i, column="from_code" if not row.from_code else "to_code"
                )
            if row.certainty not in CERTAINTIES:
                msg = (
                    f"crosswalk {self.name!r}: row {i} ({row.from_code!r}) has certainty "
                    f"{row.certainty!r}; expected one of {', '.join(CERTAINTIES)}"
                )
                raise SchemeError(msg, row=i, column="certainty", value=row.certainty)

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, str | Iterable[str]], **meta: Any) -> Crosswalk:
        """Crosswalk from ``{from_code: to_code or [to_codes]}`` (certainty ``stated``)."""
        rows: list[CrosswalkRow] = []
        for key, value in mapping.items():
            targets = [value] if isinstance(value, str) else list(value)
            rows.extend(CrosswalkRow(str(key), str(t)) for t in targets)
        return cls(rows=rows, **meta)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Crosswalk:
        """A crosswalk CSV with a ``# key: value`` metadata header (see docs/schemes.md)."""
        from .schemefile import read_crosswalk_file

        return read_crosswalk_file(path)

    # -- lookups --------------------------------------------------------------------------------

    @cached_property
    def _targets(self) -> dict[str, list[CrosswalkRow]]:
        table: dict[str, list[CrosswalkRow]] = {}
        for row in self.rows:
            table.setdefault(row.from_code, []).append(row)
        return table

    def __len__(self) -> int:
        return len(self.rows)

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code in self._targets

    def targets(self, code: str, *, min_certainty: str = "inferred") -> list[CrosswalkRow]:
        """The rows for ``code`` at the best certainty present (not below ``min_certainty``)."""
        limit = _certainty_rank(min_certainty)
        rows = [r for r in self._targets.get(code, []) if _certainty_rank(r.certainty) <= limit]
        if not rows:
            return []
        best = min(_certainty_rank(r.certainty) for r in rows)
        return [r for r in rows if _certainty_rank(r.certainty) == best]

    def from_codes(self) -> list[str]:
        """Source codes in first-seen order."""
        return list(self._targets)

    @cached_property
    def checksum(self) -> str:
        """sha256 of the sorted rows (code, target, derivation, certainty)."""
        import hashlib

        h = hashlib.sha256()
        for r in sorted(self.rows, key=lambda r: (r.from_code, r.to_code, r.derivation)):
            h.update(f"{r.from_code}\t{r.to_code}\t{r.derivation}\t{r.certainty}\n".encode())
        return h.hexdigest()

    # -- applying -------------------------------------------------------------------------------

    def conflicts(
        self, scheme: WeightScheme, *, min_certainty: str = "inferred"
    ) -> dict[str, dict[str, float]]:
        """Source codes whose targets (in ``scheme``) carry different weights."""
        out: dict[str, dict[str, float]] = {}
        for code in self._targets:
            found = {
                r.to_code: scheme.weight(r.to_code)
                for r in self.targets(code, min_certainty=min_certainty)
                if r.to_code in scheme
            }
            if len(set(found.values())) > 1:
                out[code] = found
        return out

    def apply(
        self,
        scheme: WeightScheme,
        *,
        conflicts: str = "min",
        min_certainty: str = "inferred",
        name: str | None = None,
    ) -> WeightScheme:
        """``scheme``'s weights keyed by this crosswalk's source codes.

        A source code gets the weight of the code(s) it maps to, from its most certain rows
        (stated before recovered before inferred; ``min_certainty`` drops weaker rows); several
        different weights are resolved by ``conflicts`` (``CONFLICT_POLICIES``). Source
        codes whose targets the scheme lacks are left out, so scoring reports them as unknown
        codes, never as zero.
        """
        from .schemes import WeightScheme

        if conflicts not in CONFLICT_POLICIES:
            msg = f"conflicts must be one of {', '.join(CONFLICT_POLICIES)} (got {conflicts!r})"
            raise ParameterError(msg)
        _certainty_rank(min_certainty)
        if scheme.key_system != self.to_system:
            msg = (
                f"crosswalk {self.name!r} maps to {self.to_system!r} codes but scheme "
                f"{scheme.name!r} is keyed by {scheme.key_system!r} codes"
            )
            raise SchemeError(msg, column="key_system", value=scheme.key_system)
        clashing = self.conflicts(scheme, min_certainty=min_certainty)
        if clashing and conflicts == "raise":
            listed = ", ".join(sorted(clashing)[:20])
            msg = (
                f"{len(clashing)} {self.from_system} codes map through crosswalk {self.name!r} "
                f"to several different weights: {listed}"
            )
            raise SchemeError(msg, column="weight")
        pick = _pick(conflicts)
        codes: list[str] = []
        weights: list[float] = []
        titles: list[str] = []
        groups: list[str] = []
        unmapped: list[str] = []
        for code in self._targets:
            rows = [
                r for r in self.targets(code, min_certainty=min_certainty) if r.to_code in scheme
            ]
            if not rows:
                unmapped.append(code)
                continue
            candidates = [scheme.weight(r.to_code) for r in rows]
            weight = float(pick(candidates))
            chosen = next(
                (r.to_code for r in rows if scheme.weight(r.to_code) == weight), rows[0].to_code
            )
            offence = scheme.offence(chosen)
            codes.append(code)
            weights.append(weight)
            titles.append(offence.title)
            groups.append(offence.group)
        label = name or f"{scheme.name}-{self.from_system}"
        return WeightScheme(
            codes=np.array(codes, dtype=np.str_),
            weights=weights,
            titles=titles,
            groups=groups,
            name=label,
            version=scheme.version,
            unit=scheme.unit,
            source=f"{scheme.source} Reached from {self.from_system} codes through crosswalk "
            f"{self.name!r}: {self.source}".strip(),
            key_system=self.from_system,
            description=(
                f"{scheme.name} weights by {self.from_system} code through crosswalk "
                f"{self.name!r}; {len(clashing)} codes with several weights resolved by "
                f"{conflicts!r}"
            ),
            metadata={
                **dict(scheme.metadata),
                "base_scheme": scheme.name,
                "base_checksum": scheme.checksum,
                "crosswalk": self.name,
                "crosswalk_checksum": self.checksum,
                "conflicts": conflicts,
                "min_certainty": min_certainty,
                "conflicting_codes": sorted(clashing),
                "unmapped_codes": unmapped,
            },
        )

    def __repr__(self) -> str:
        return (
            f"<Crosswalk {self.name!r}: {len(self.rows)} rows, "
            f"{self.from_system} -> {self.to_system}>"
        )


def _certainty_rank(certainty: str) -> int:
    try:
        return CERTAINTIES.index(certainty)
    except ValueError:
        msg = f"certainty must be one of {', '.join(CERTAINTIES)} (got {certainty!r})"
        raise ParameterError(msg) from None
