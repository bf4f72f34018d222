"""Code catalogues of the built-in key systems, from the shipped package data.

The Ministry of Justice catalogue of Home Office offence codes (3,039 codes with titles), the
ONS counting codes, and the Athena URNs and CJS codes of the CCHI 2020. Used to tell a valid
code that a weight scheme lacks from a typo. Sources and licences: ``data/PROVENANCE.md``.
"""

from __future__ import annotations

import re
from functools import cache

__all__ = [
    "athena_urns",
    "cjs_codes",
    "describe_code",
    "ho_code_title",
    "ho_codes",
    "known_ho_codes",
    "ons_codes",
    "police_uk_categories",
]

HO_CODE = re.compile(r"^\d{3}/\d{2}$")


@cache
def ho_codes() -> dict[str, str]:
    """``{ho_code: title}`` for every code in the shipped MoJ catalogue."""
    import csv
    from importlib.resources import files

    text = (files("crimeharm.builtin") / "data" / "ho_codes.csv").read_text(encoding="utf-8")
    return {row["ho_code"]: row["title"] for row in csv.DictReader(text.splitlines())}


def _rows(name: str) -> list[dict[str, str]]:
    import csv
    from importlib.resources import files

    text = (files("crimeharm.builtin") / "data" / name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@cache
def known_ho_codes() -> frozenset[str]:
    """HO codes in the MoJ catalogue or used by the CCHI 2020 (14 police codes MoJ lacks)."""
    return frozenset(ho_codes()) | {r["ho_code"] for r in _rows("cchi_2020.csv")}


@cache
def athena_urns() -> frozenset[str]:
    """Athena URNs of the CCHI 2020."""
    return frozenset(r["athena_urn"] for r in _rows("cchi_2020.csv"))


@cache
def cjs_codes() -> frozenset[str]:
    """CJS offence codes named by the CCHI 2020."""
    return frozenset(c for r in _rows("cchi_2020.csv") for c in r["cjs_codes"].split(";") if c)


@cache
def ons_codes() -> dict[str, str]:
    """``{ons_code: label}``: the ONS PRC offence hierarchy's codes and the CSS codes."""
    return {r["ons_code"]: r["label"] for r in _rows("ons_codes.csv")}


@cache
def police_uk_categories() -> frozenset[str]:
    """The police.uk street-level categories named by the ONS CSS file."""
    return frozenset(r["police_uk_category"] for r in _rows("ons_css.csv"))


def ho_code_title(code: str) -> str | None:
    """Title of a Home Office offence code, or None if the catalogue has no such code."""
    return ho_codes().get(code)


def describe_code(code: str, key_system: str) -> str:
    """A short clause for error messages: is ``code`` a real code, malformed, or unknown?"""
    if key_system != "ho":
        from ..core.keys import get_key_system

        system = get_key_system(key_system)
        status = system.classify(code)
        if status == "valid":
            return f" (a valid {system.title} code that the scheme lacks)"
        if status == "malformed":
            return f" (not of the form of {system.title} codes, e.g. {system.example!r})"
        if system.codes is not None:
            return f" (and not a known {system.title} code: a typo?)"
        return ""
    if not HO_CODE.match(code):
        return " (not of the Home Office form 'NNN/NN')"
    title = ho_code_title(code)
    if title is None:
        return " (and not in the Ministry of Justice list of Home Office codes: a typo?)"
    return f" (a valid Home Office code, {title!r}, that the scheme lacks)"
