"""Coverage of events by a weight scheme, before scoring.

``scheme_coverage`` says what share of the rows carry a code the scheme has, the harm those
rows carry (the sum of their weights, undecayed, in the scheme's unit), and which codes it
lacks, most frequent first, each judged against the scheme's key system: a ``valid`` code the
scheme lacks, a ``well-formed`` code the system's catalogue does not list, or a ``malformed``
one that is not a code of the system at all. With a ``reference`` scheme keyed the same way,
it also says what share of the reference harm falls on rows the scheme covers (a reference
keyed by another system is refused: it would weigh none of the rows). Rows a reader dropped
before (``Events.dropped``) are reported by reason, so every row read is accounted for. A share
with nothing to divide (no rows with a code, no reference harm) is ``None``, printed "n/a".
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from ..errors import ParameterTypeError, SchemeError
from .keys import get_key_system, key_systems

if TYPE_CHECKING:
    from .schemes import WeightScheme

__all__ = ["Coverage", "MissingCode", "scheme_coverage"]


@attrs.frozen
class MissingCode:
    """A code the events carry and the scheme lacks: its row count and what it is."""

    code: str
    rows: int
    status: str
    title: str = ""


@attrs.frozen
class Coverage:
    """How much of a set of events a scheme can weigh (see the module docstring)."""

    scheme: str
    key_system: str
    n_rows: int
    n_covered: int
    n_missing_code: int
    harm_covered: float
    n_distinct: int
    n_distinct_covered: int
    missing: tuple[MissingCode, ...]
    reference: str | None = None
    reference_share: float | None = None
    reference_rows: int | None = None
    looks_like: str | None = None
    dropped: Mapping[str, int] = attrs.field(factory=dict)

    @property
    def share_rows(self) -> float | None:
        """Covered rows / rows with a code (None when there are none: 0/0 is no share)."""
        denominator = self.n_rows - self.n_missing_code
        return self.n_covered / denominator if denominator else None

    @property
    def n_read(self) -> int:
        """Rows read: the rows checked plus the rows a reader dropped before."""
        return self.n_rows + sum(self.dropped.values())

    @property
    def n_lacking(self) -> int:
        """Rows with a code the scheme lacks."""
        return self.n_rows - self.n_missing_code - self.n_covered

    def missing_by_status(self) -> dict[str, int]:
        """Rows per status of the lacking codes (``valid``, ``well-formed``, ``malformed``)."""
        out: dict[str, int] = {}
        for m in self.missing:
            out[m.status] = out.get(m.status, 0) + m.rows
        return out

    def to_dict(self) -> dict[str, Any]:
        """Plain data (for JSON)."""
        data = attrs.asdict(self)
        data["share_rows"] = self.share_rows
        data["n_lacking"] = self.n_lacking
        data["n_read"] = self.n_read
        return data

    def summary(self, top: int = 10) -> str:
        """A short plain-text report."""
        lines = [f"scheme {self.scheme!r} ({self.key_system} codes)"]
        if self.dropped:
            reasons = ", ".join(f"{r} {n:,}" for r, n in sorted(self.dropped.items()))
            lines += [
                f"rows read:       {self.n_read:,}",
                f"dropped:         {sum(self.dropped.values()):,} on reading ({reasons})",
                f"rows checked:    {self.n_rows:,}",
            ]
        else:
            lines.append(f"rows:            {self.n_rows:,}")
        share = self.share_rows
        lines += [
            f"covered:         {self.n_covered:,} ("
            + ("n/a: no rows with a code" if share is None else f"{share:.1%} of rows with a code")
            + ")",
            f"lacking a code:  {self.n_lacking:,} in {self.n_distinct - self.n_distinct_covered:,}"
            " distinct codes",
        ]
        if self.n_missing_code:
            lines.append(f"no code:         {self.n_missing_code:,}")
        lines.append(f"harm covered:    {self.harm_covered:,.1f} (undecayed, scheme unit)")
        if self.reference is not None and self.reference_share is not None:
            lines.append(
                f"reference harm:  {self.reference_share:.1%} of {self.reference!r} harm is on "
                f"covered rows ({self.reference_rows:,} rows the reference weighs)"
            )
        elif self.reference is not None:
            lines.append(
                f"reference harm:  n/a ({self.reference!r} weighs none of these rows, or "
                "weighs them all 0)"
            )
        by_status = self.missing_by_status()
        if by_status:
            parts = ", ".join(f"{s} {n:,}" for s, n in sorted(by_status.items()))
            lines.append(f"lacking rows by status: {parts}")
            if self.looks_like:
                lines.append(
                    f"the malformed codes look like {self.looks_like} codes: use a scheme keyed "
                    f"by {self.looks_like} codes (e.g. reached through a crosswalk)"
                )
            lines.append("most frequent codes lacking:")
            for m in self.missing[:top]:
                title = f"  {_shorten(m.title, 60)}" if m.title else ""
                lines.append(f"  {m.code:<14} {m.rows:>8,}  {m.status}{title}")
        return "\n".join(lines)


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3].rstrip() + "..."


def _title(code: str, key_system: str) -> str:
    if key_system == "ho":
        from ..builtin.catalogue import ho_code_title

        return ho_code_title(code) or ""
    if key_system == "ons":
        from ..builtin.catalogue import ons_codes

        return ons_codes().get(code, "")
    return ""


def scheme_coverage(
    scheme: WeightScheme, events: Any, *, reference: WeightScheme | None = None
) -> Coverage:
    """Coverage of ``events`` (an [`Events`][crimeharm.Events] or a sequence of codes) by
    ``scheme``.
    """
    raw = events.code_strings() if hasattr(events, "code_strings") else events
    if raw is None or isinstance(raw, (str, bytes)):
        msg = f"coverage needs Events or a sequence of offence codes (got {type(raw).__name__})"
        raise ParameterTypeError(msg)
    codes = np.asarray(raw)
    if codes.ndim != 1:
        msg = (
            "coverage needs Events or a 1-D sequence of offence codes "
            f"(got {type(raw).__name__} of {codes.dtype}, {codes.ndim}-D)"
        )
        raise ParameterTypeError(msg)
    if reference is not None and reference.key_system != scheme.key_system:
        msg = (
            f"reference {reference.name!r} is keyed by {reference.key_system} codes and "
            f"{scheme.name!r} by {scheme.key_system} codes: a reference must use the same key "
            "system (reach one through a crosswalk first)"
        )
        raise SchemeError(msg, column="key_system")
    if codes.dtype.kind != "U":
        codes = codes.astype(np.str_) if codes.size else np.empty(0, dtype="<U1")
    blank = np.char.strip(codes) == ""
    distinct, counts = np.unique(codes, return_counts=True)
    rows_of = np.asarray(scheme.index_of(distinct))
    known = rows_of >= 0
    has_code = np.char.strip(distinct) != ""
    per_code_weight = np.where(known, scheme.weights[np.where(known, rows_of, 0)], 0.0)
    harm = math.fsum((per_code_weight * counts)[known].tolist())
    system = get_key_system(scheme.key_system)
    lacking = [
        (str(c), int(n))
        for c, n, k, h in zip(distinct.tolist(), counts.tolist(), known, has_code, strict=True)
        if h and not k
    ]
    lacking.sort(key=lambda cn: (-cn[1], cn[0]))
    missing = tuple(
        MissingCode(code, n, system.classify(code), _title(code, scheme.key_system))
        for code, n in lacking
    )
    looks_like = _looks_like(missing, scheme.key_system)
    ref_share: float | None = None
    ref_rows: int | None = None
    if reference is not None:
        ref_idx = np.asarray(reference.index_of(distinct))
        in_ref = ref_idx >= 0
        ref_weight = np.where(in_ref, reference.weights[np.where(in_ref, ref_idx, 0)], 0.0)
        total = math.fsum((ref_weight * counts).tolist())
        covered = math.fsum((ref_weight * counts)[known].tolist())
        ref_share = covered / total if total else None
        ref_rows = int(counts[in_ref].sum())
    return Coverage(
        scheme=scheme.name,
        key_system=scheme.key_system,
        n_rows=int(codes.size),
        n_covered=int(counts[known & has_code].sum()),
        n_missing_code=int(blank.sum()),
        harm_covered=harm,
        n_distinct=int(has_code.sum()),
        n_distinct_covered=int((known & has_code).sum()),
        missing=missing,
        reference=None if reference is None else reference.name,
        reference_share=ref_share,
        reference_rows=ref_rows,
        looks_like=looks_like,
        dropped={str(k): int(v) for k, v in getattr(events, "dropped", {}).items()},
    )


def _looks_like(missing: tuple[MissingCode, ...], own: str) -> str | None:
    """The key system (other than ``own`` and 'other') whose syntax most malformed rows fit."""
    malformed = [m for m in missing if m.status == "malformed"]
    if not malformed:
        return None
    best, best_rows = None, 0
    for name, system in key_systems().items():
        if name in (own, "other"):
            continue
        rows = sum(m.rows for m in malformed if system.well_formed(m.code))
        if rows > best_rows:
            best, best_rows = name, rows
    total = sum(m.rows for m in malformed)
    return best if best_rows * 2 > total else None
