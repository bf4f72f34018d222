"""The Ministry of Justice catalogue of Home Office offence codes (3,039 codes with titles).

Used to tell a valid Home Office code that a weight scheme lacks from a typo in error messages.
Source and licence (MIT, Crown Copyright): ``data/PROVENANCE.md``.
"""

from __future__ import annotations

import re
from functools import cache

__all__ = ["describe_code", "ho_code_title", "ho_codes"]

HO_CODE = re.compile(r"^\d{3}/\d{2}$")


@cache
def ho_codes() -> dict[str, str]:
    """``{ho_code: title}`` for every code in the shipped MoJ catalogue."""
    import csv
    from importlib.resources import files

    text = (files("crimeharm.builtin") / "data" / "ho_codes.csv").read_text(encoding="utf-8")
    return {row["ho_code"]: row["title"] for row in csv.DictReader(text.splitlines())}


def ho_code_title(code: str) -> str | None:
    """Title of a Home Office offence code, or None if the catalogue has no such code."""
    return ho_codes().get(code)


def describe_code(code: str, key_system: str) -> str:
    """A short clause for error messages: is ``code`` a real HO code, malformed, or unknown?"""
    if key_system != "ho":
        return ""
    if not HO_CODE.match(code):
        return " (not of the Home Office form 'NNN/NN')"
    title = ho_code_title(code)
    if title is None:
        return " (and not in the Ministry of Justice list of Home Office codes: a typo?)"
    return f" (a valid Home Office code, {title!r}, that the scheme lacks)"
