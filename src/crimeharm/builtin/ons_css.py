"""The ONS Crime Severity Score (CSS) weights, and the crosswalk that reaches them.

``ons-css`` is keyed by ONS counting code (8N, 19C, 56A, 4.10; ``1/4.1/4.10/4.2`` is the
combined homicide line), each weight exactly as the source wrote it. The ONS describes the
weights as sentencing-day equivalents estimated from sentences actually handed down; they are
not the CCHI's guideline starting points. ``ons-css-ho`` (and ``-athena``, ``-cjs``) reach the
same weights from other key systems through the shipped crosswalk (``data/ons_crosswalk.csv``),
whose every row says how it was derived, how certain it is and where it comes from.

Release: not stated by the source (an ONS data tool read in 2020/21); ONS re-bases weights
between releases. Source, licences (ONS data under the Open Government Licence v3.0; the joined
file MIT, Copyright 2020-2021 Dan Birks, Andrew P Smith) and the fixes applied:
``data/PROVENANCE.md``.
"""

from __future__ import annotations

from functools import cache

import attrs
import numpy as np

from ..core.crosswalk import CONFLICT_POLICIES, Crosswalk, CrosswalkRow
from ..core.schemes import WeightScheme
from ..errors import ParameterError

__all__ = [
    "LICENCE",
    "ONS_CSS_SOURCE",
    "OnsOffence",
    "load_ons_css",
    "load_ons_css_via",
    "ons_crosswalk",
    "ons_offences",
]

ONS_CSS_SOURCE = (
    "ONS Crime Severity Score (Experimental Statistics) data tool, 'List of weights' (release "
    "not stated; read in 2020/21), as joined to police.uk categories in "
    "github.com/M-O-P-D/Police-Supply-Demand data/policeuk-ons-code-join.csv."
)
LICENCE = (
    "Weights: Crown copyright, ONS, Open Government Licence v3.0. Joined file: MIT licence, "
    "Copyright 2020-2021 Dan Birks, Andrew P Smith."
)
#: The source does not state the data-tool release; it was read in 2020/21.
VERSION = "c.2020"
CROSSWALK_SOURCE = (
    "crimeharm data/ons_crosswalk.csv, built from the CCHI 2020 classification codes, the "
    "police.uk map codes of the ONS CSS file, and the MoJ Home Office code list"
)


@attrs.frozen
class OnsOffence:
    """One ONS counting code of the CSS, with its weight (days) and descriptive fields."""

    code: str
    weight: float
    weight_text: str
    title: str
    category: str
    severity_code: str
    severity_offence: str
    police_uk_category: str


def _rows(name: str) -> list[dict[str, str]]:
    import csv
    from importlib.resources import files

    text = (files("crimeharm.builtin") / "data" / name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@cache
def ons_offences() -> tuple[OnsOffence, ...]:
    """The 134 ONS counting codes of the CSS in source order."""
    return tuple(
        OnsOffence(
            code=r["ons_code"],
            weight=float(r["weight"]),
            weight_text=r["weight"],
            title=r["title"],
            category=r["category"],
            severity_code=r["severity_code"],
            severity_offence=r["severity_offence"],
            police_uk_category=r["police_uk_category"],
        )
        for r in _rows("ons_css.csv")
    )


def load_ons_css() -> WeightScheme:
    """The ONS CSS weights keyed by ONS counting code (134 codes)."""
    offences = ons_offences()
    return WeightScheme(
        codes=np.array([o.code for o in offences], dtype=np.str_),
        weights=[o.weight for o in offences],
        titles=[o.title for o in offences],
        groups=[o.category for o in offences],
        name="ons-css",
        version=VERSION,
        unit="days",
        source=ONS_CSS_SOURCE,
        key_system="ons",
        description=(
            "ONS Crime Severity Score weights by ONS counting code: sentencing-day equivalents "
            "estimated from sentences handed down"
        ),
        metadata={"licence": LICENCE, "release": "not stated (data tool read 2020/21)"},
    )


@cache
def ons_crosswalk(from_system: str = "ho") -> Crosswalk:
    """The shipped crosswalk from ``ho``, ``athena``, ``cjs`` or ``police-uk`` to ONS codes."""
    systems = ("ho", "athena", "cjs", "police-uk")
    if from_system not in systems:
        msg = f"from_system must be one of {', '.join(systems)} (got {from_system!r})"
        raise ParameterError(msg)
    rows = [
        CrosswalkRow(r["from_code"], r["ons_code"], r["derivation"], r["certainty"], r["source"])
        for r in _rows("ons_crosswalk.csv")
        if r["from_system"] == from_system
    ]
    return Crosswalk(
        rows=rows,
        name=f"{from_system}-to-ons",
        from_system=from_system,
        to_system="ons",
        source=CROSSWALK_SOURCE,
        licence="see data/PROVENANCE.md",
        description=f"{from_system} codes to ONS counting codes",
    )


def load_ons_css_via(
    from_system: str = "ho", conflicts: str = "min", min_certainty: str = "inferred"
) -> WeightScheme:
    """ONS CSS weights keyed by ``from_system`` codes through the shipped crosswalk.

    A code that maps to several ONS codes takes the weight chosen by ``conflicts`` (one of
    ``max``, ``min``, ``median``, ``first``, ``raise``; default ``min``, as the CCHI), among
    its most certain mappings; ``min_certainty`` ("stated", "recovered", "inferred") drops
    weaker mappings. Codes the crosswalk cannot map are absent, so scoring reports them.
    """
    if conflicts not in CONFLICT_POLICIES:
        msg = f"conflicts must be one of {', '.join(CONFLICT_POLICIES)} (got {conflicts!r})"
        raise ParameterError(msg)
    return ons_crosswalk(from_system).apply(
        load_ons_css(),
        conflicts=conflicts,
        min_certainty=min_certainty,
        name=f"ons-css-{from_system}",
    )
