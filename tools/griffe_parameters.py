"""Griffe extension for the API reference: every public function shows a parameters table.

mkdocstrings renders a parameters table from a docstring's ``Args:`` section (Google style).
Functions whose docstring has none (they describe their parameters in prose) would show no
table; this extension adds one from the signature: each parameter's name, annotation and
default, with as description the first sentence of the docstring that names it as
````name```` (or "See the description above." when no sentence does). Parameters listed in an
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


def describe(docstring: str, name: str) -> str:
    """The first sentence of ``docstring`` that names ``name`` as inline code, or a pointer."""
    needle = f"``{name}``"
    flat = " ".join(docstring.split())
    for match in _SENTENCE.finditer(flat):
        sentence = match.group(0).strip()
        if needle in sentence:
            return sentence
    return "See the description above."


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
