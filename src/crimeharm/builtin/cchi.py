"""The Cambridge Crime Harm Index 2020 (CCHI) as a weight scheme, keyed three ways.

The shipped table (``data/cchi_2020.csv``, 698 offences) is built from the CCHI 2020 values
sheet by ``tools/build_package_data.py``; source, copyright and the fixes applied are in
``data/PROVENANCE.md``. Weights are days of custody at the sentencing-guideline starting point
for a first offender (murder: 15 years = 5,475 days).

An Athena URN identifies one CCHI offence. A Home Office classification or a CJS code can name
several CCHI offences, and for 11 HO codes (31 CJS codes) those offences carry different weights.
The ``conflicts`` policy says which weight such a code gets;
[`cchi_conflicts`][crimeharm.cchi_conflicts] lists them. The default, ``"min"``, gives the least
serious offence that shares the code: the codes' other offences are aggravated variants (assault on
a police officer, distraction burglary, several offenders), so the common offence recorded under the
code is nearly always the least serious one, and when a record cannot tell them apart the person
ranked gets the benefit of the doubt. ``"max"`` would score every ordinary ABH (008/06) at 182.5
days instead of 10.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Literal

import attrs
import numpy as np

from ..core.schemes import WeightScheme
from ..errors import ParameterError, SchemeError

__all__ = ["CONFLICT_POLICIES", "CchiOffence", "cchi_conflicts", "cchi_offences", "load_cchi_2020"]

Key = Literal["ho", "athena", "cjs"]
Policy = Literal["max", "min", "median", "first", "raise"]
CONFLICT_POLICIES: dict[str, str] = {
    "max": "the highest weight among the offences sharing the code (the most serious)",
    "min": "the lowest weight among them (the least serious)",
    "median": "the median of their weights (may be a value no single offence has)",
    "first": "the weight of the first such offence in the source's row order",
    "raise": "refuse: raise SchemeError listing the conflicting codes",
}
SOURCE = (
    "Cambridge Crime Harm Index 2020 update, CCHI 2020 values sheet (current with England and "
    "Wales sentencing guidelines at 6 October 2020). Copyright Cambridge Centre for "
    "Evidence-Based Policing 2020."
)


@attrs.frozen
class CchiOffence:
    """One row of the CCHI 2020 values sheet."""

    athena_urn: str
    ho_code: str
    cjs_codes: tuple[str, ...]
    weight: float
    title: str
    group: str
    sub_group: str
    notifiable: bool
    starting_point: str


@cache
def cchi_offences() -> tuple[CchiOffence, ...]:
    """All 698 CCHI 2020 offences in source order."""
    import csv
    from importlib.resources import files

    text = (files("crimeharm.builtin") / "data" / "cchi_2020.csv").read_text(encoding="utf-8")
    return tuple(
        CchiOffence(
            athena_urn=row["athena_urn"],
            ho_code=row["ho_code"],
            cjs_codes=tuple(c for c in row["cjs_codes"].split(";") if c),
            weight=float(row["weight"]),
            title=row["title"],
            group=row["group"],
            sub_group=row["sub_group"],
            notifiable=row["notifiable"] == "true",
            starting_point=row["starting_point"],
        )
        for row in csv.DictReader(text.splitlines())
    )


def _keys(offence: CchiOffence, key: Key) -> tuple[str, ...]:
    if key == "ho":
        return (offence.ho_code,)
    if key == "athena":
        return (offence.athena_urn,)
    return offence.cjs_codes


def _by_code(key: Key) -> dict[str, list[CchiOffence]]:
    if key not in ("ho", "athena", "cjs"):
        msg = f"CCHI key must be 'ho', 'athena' or 'cjs' (got {key!r})"
        raise ParameterError(msg)
    table: dict[str, list[CchiOffence]] = {}
    for offence in cchi_offences():
        for code in _keys(offence, key):
            table.setdefault(code, []).append(offence)
    return table


def cchi_conflicts(key: Key = "ho") -> dict[str, list[CchiOffence]]:
    """Codes that name several CCHI offences with different weights, with those offences."""
    return {code: rows for code, rows in _by_code(key).items() if len({r.weight for r in rows}) > 1}


def _choose(rows: list[CchiOffence], policy: Policy) -> tuple[float, CchiOffence]:
    weights = [r.weight for r in rows]
    pick: Callable[[list[float]], float]
    if policy == "max":
        pick = max
    elif policy == "min":
        pick = min
    elif policy == "median":
        import statistics

        pick = statistics.median
    else:
        return rows[0].weight, rows[0]
    weight = float(pick(weights))
    described = next((r for r in rows if r.weight == weight), rows[0])
    return weight, described


def load_cchi_2020(key: Key = "ho", conflicts: Policy = "min") -> WeightScheme:
    """The CCHI 2020 as a scheme keyed by HO classification (default), Athena URN or CJS code.

    ``conflicts`` decides the weight of a code shared by offences with different weights:
    one of ``CONFLICT_POLICIES``. Titles and groups are those of the offence whose weight
    was taken (the first in source order for ``median`` values no offence has).
    """
    if conflicts not in CONFLICT_POLICIES:
        msg = f"conflicts must be one of {', '.join(CONFLICT_POLICIES)} (got {conflicts!r})"
        raise ParameterError(msg)
    table = _by_code(key)
    clashing = cchi_conflicts(key)
    if clashing and conflicts == "raise":
        listed = ", ".join(sorted(clashing))
        msg = f"{len(clashing)} CCHI {key} codes carry several different weights: {listed}"
        raise SchemeError(msg, column="weight")
    codes, weights, titles, groups = [], [], [], []
    for code, rows in table.items():
        weight, described = _choose(rows, conflicts)
        codes.append(code)
        weights.append(weight)
        titles.append(described.title)
        groups.append(described.group)
    suffix = "" if key == "ho" else f"-{key}"
    policy = f"; {len(clashing)} codes with several weights resolved by {conflicts!r}"
    return WeightScheme(
        codes=np.array(codes, dtype=np.str_),
        weights=weights,
        titles=titles,
        groups=groups,
        name=f"cchi-2020{suffix}",
        version="2020",
        unit="days",
        source=SOURCE,
        key_system=key,
        description=(
            f"Cambridge Crime Harm Index 2020 keyed by {key} code{policy if clashing else ''}"
        ),
        metadata={"conflicts": conflicts, "conflicting_codes": sorted(clashing)},
    )
