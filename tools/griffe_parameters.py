"""Griffe extension for the API reference: every public function shows a parameters table.

mkdocstrings renders a parameters table from a docstring's ``Args:`` section (Google style).
Functions whose docstring has none (they describe their parameters in prose) would show no
table; this extension adds one from the signature: each parameter's name, annotation and
default, with as description the first sentence of the docstring that names it as
````name````, else the project-wide meaning of that parameter name (``GLOSSARY``: ``events``,
``scheme``, ``as_of``, ... mean the same in every function), else "See the description
above.". Parameters listed in an
``Args:`` section keep their own description; ones it leaves out are appended. ``self``,
``cls``, ``*args`` and ``**kwargs`` are not listed.

Configured in mkdocs.yml (``extensions: [tools/griffe_parameters.py]``);
tests/test_docs.py checks that the docstring of every public callable in docs/api.md yields a
parameter row for every parameter.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_SENTENCE = re.compile(r"[^.!?]*(?:[.!?](?=\s|$)|$)", re.DOTALL)
_SKIP = {"self", "cls"}
FALLBACK = "See the description above."

#: What a parameter name means wherever it appears in the public API.
GLOSSARY: dict[str, str] = {
    "events": "The offences: an [`Events`][crimeharm.Events] table.",
    "scheme": (
        "A [`WeightScheme`][crimeharm.WeightScheme], or the name of a registered one "
        '(``"cchi-2020"``).'
    ),
    "as_of": (
        "The date scored as of (anything ``numpy.datetime64(x, 'D')`` accepts): an event "
        "counts when ``0 <= as_of - date < window_days``."
    ),
    "window_days": (
        "Count events less than this many days old; None counts every event on or before ``as_of``."
    ),
    "decay": (
        "A recency [`Decay`][crimeharm.Decay], the name of a registered one, or None for no decay."
    ),
    "on_unknown": (
        'An offence code the scheme lacks: ``"raise"`` an error, ``"skip"`` the row (counted '
        'in the report as "unknown code") or ``"fallback"`` to ``fallback_weight``.'
    ),
    "fallback_weight": 'The weight of an unknown code when ``on_unknown="fallback"``.',
    "n": "How many offenders the top list holds (ties broken by offender id).",
    "path": "The file, as a string or path.",
    "other": "The other part, scored with the same parameters, to merge with this one.",
    "values": "Harm (or a count) per unit, one number each, none negative.",
    "n_units": "The number of units in all, when ``values`` leaves out those with none.",
    "top": "Top fractions of units (each in (0, 1]) whose share of harm is reported.",
    "shares": "Shares of harm (each in (0, 1]) whose smallest holding fraction is reported.",
    "offender_id": "The offender's id, as in the events.",
    "offender_ids": "Offender ids, as in the events.",
    "age_days": "Ages of events in days (``as_of - date``), an array of whole numbers >= 0.",
    "frame": "A DataFrame with one row per offence.",
    "table": "A pyarrow Table or RecordBatch with one row per offence.",
    "key": "The secret key (bytes, at least 16 random bytes; never stored).",
    "name": "The registered name.",
    "component": 'One of ``"recency"``, ``"frequency"``, ``"gravity"``, ``"victims"``.',
    "movers": "How many offenders that entered or left the top n to list, each way.",
    "chunk_rows": "Rows per chunk read (bounds the memory used); None reads it whole.",
    "x": "The first values, one per item.",
    "y": "The second values, paired with ``x``.",
    "a": "The first set of ids.",
    "b": "The second set of ids.",
    "fig": "A matplotlib figure.",
    "ax": "Draw on this matplotlib axes instead of a new figure.",
}


def describe(docstring: str, name: str) -> str:
    """The first sentence of ``docstring`` that names ``name`` as inline code, or a pointer."""
    needle = f"``{name}``"
    flat = " ".join(docstring.split())
    for match in _SENTENCE.finditer(flat):
        sentence = match.group(0).strip()
        if needle in sentence:
            return sentence
    return GLOSSARY.get(name, FALLBACK)


def parameter_rows(func: griffe.Function) -> list[griffe.DocstringParameter]:
    """The rows of ``func``'s parameters table, documented ones first in signature order."""
    sections = func.docstring.parsed if func.docstring else []
    documented: dict[str, griffe.DocstringParameter] = {}
    for section in sections:
        if isinstance(section, griffe.DocstringSectionParameters):
            documented.update({p.name: p for p in section.value})
    text = func.docstring.value if func.docstring else ""
    rows = []
    for parameter in func.parameters:
        if parameter.name in _SKIP or parameter.kind in (
            griffe.ParameterKind.var_positional,
            griffe.ParameterKind.var_keyword,
        ):
            continue
        given = documented.get(parameter.name)
        rows.append(
            griffe.DocstringParameter(
                parameter.name,
                description=given.description if given else describe(text, parameter.name),
                annotation=parameter.annotation,
                value=parameter.default,
            )
        )
    return rows


class ParametersTable(griffe.Extension):
    """Give every function's docstring a parameters section built from its signature."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        self._visit(pkg)

    def _visit(self, obj: griffe.Object) -> None:
        for member in obj.members.values():
            if member.is_alias:
                continue
            if isinstance(member, griffe.Function):
                self._fill(member)
            elif isinstance(member, (griffe.Class, griffe.Module)):
                self._visit(member)

    def _fill(self, func: griffe.Function) -> None:
        if func.docstring is None:
            return
        rows = parameter_rows(func)
        if not rows:
            return
        sections = func.docstring.parsed
        sections[:] = [s for s in sections if not isinstance(s, griffe.DocstringSectionParameters)]
        at = 1 if sections and isinstance(sections[0], griffe.DocstringSectionText) else 0
        sections.insert(at, griffe.DocstringSectionParameters(rows))
