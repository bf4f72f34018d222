"""Rewrite Sphinx roles in docstrings into mkdocstrings cross-references.

The API reference renders docstrings with mkdocstrings (Google style, Markdown), which shows a
Sphinx role (``:class:`Scores```) as literal text. This tool rewrites, in docstrings only:

- ``:role:`target``` (``role`` one of class, func, meth, attr, data, mod, exc, obj, const; a
  leading ``~`` shows only the last dotted part) becomes ``[`text`][anchor]`` when ``target``
  names an object that docs/api.md renders, where ``anchor`` is the name under which the API
  reference renders it (read from the built site's ``objects.inv``) and ``text`` is the target
  as written (its last part with ``~``);
- any other role (the object is private or not rendered) becomes plain code: ````text````.

A target is resolved as Sphinx would: absolute (``crimeharm.score``), then relative to the
module holding the docstring (``Scores`` in crimeharm.research.compare), then under
``crimeharm``. Lines made longer than 100 characters are re-filled within their paragraph.

Usage (from the repository root, after ``mkdocs build -d SITE``)::

    python tools/sphinx_roles.py --inventory SITE/objects.inv src/crimeharm

``--check`` only reports the roles left (exit status 1 if any). Re-run it on new docstrings
after a merge; it is idempotent.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import re
import sys
import textwrap
import zlib
from pathlib import Path
from typing import Any

ROLE = re.compile(r":(?:py:)?(class|func|meth|attr|data|mod|exc|obj|const):`(~?)([^`]+)`")
WIDTH = 100
_MISSING = object()


def read_inventory(path: Path) -> list[str]:
    """Object names listed in a Sphinx ``objects.inv`` (version 2)."""
    raw = path.read_bytes()
    header_end = 0
    for _ in range(4):
        header_end = raw.index(b"\n", header_end) + 1
    body = zlib.decompress(raw[header_end:]).decode("utf-8")
    return [line.split(" ", 1)[0] for line in body.splitlines() if line.strip()]


def resolve(dotted: str) -> Any:
    """The object a dotted path names, or ``_MISSING``."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        except Exception:  # a module that fails to import names nothing
            return _MISSING
        for attr in parts[cut:]:
            obj = getattr(obj, attr, _MISSING)
            if obj is _MISSING:
                return _MISSING
        return obj
    return _MISSING


def anchors(names: list[str]) -> tuple[dict[int, str], set[str]]:
    """Map each rendered object's id to the shortest name it is rendered under."""
    by_id: dict[int, str] = {}
    for name in sorted(names, key=lambda n: (n.count("."), len(n))):
        obj = resolve(name)
        if obj is _MISSING or isinstance(obj, (int, float, str, bool, type(None))):
            continue
        by_id.setdefault(id(obj), name)
    return by_id, set(names)


def module_name(path: Path) -> str:
    parts = list(path.with_suffix("").parts)
    start = parts.index("crimeharm")
    parts = parts[start:]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def target_anchor(target: str, module: str, by_id: dict[int, str], names: set[str]) -> str | None:
    target = target.strip().removesuffix("()")
    candidates = [target, f"{module}.{target}", f"crimeharm.{target}"]
    for candidate in candidates:  # the object, under the shortest name it is rendered as
        obj = resolve(candidate)
        if obj is not _MISSING and id(obj) in by_id:
            return by_id[id(obj)]
    for candidate in candidates:  # data and other values: by name
        if candidate in names:
            return candidate
    return None


def docstring_lines(source: str) -> set[int]:
    """0-based line numbers that lie inside a docstring."""
    lines: set[int] = set()
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        body = node.body
        if (
            body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            first = body[0].lineno - 1
            last = (body[0].end_lineno or body[0].lineno) - 1
            lines.update(range(first, last + 1))
    return lines


_NOT_PROSE = re.compile(r"^\s*(?:[-*+]\s|\d+\.\s|:|>>>|\.\.|```|\||[A-Z][a-z]+:$)")
_QUOTES = '"""'


def refill(lines: list[str], index: int, inside: set[int]) -> None:
    """Re-fill the paragraph holding the over-long line ``index`` to ``WIDTH`` columns.

    A paragraph is a run of docstring lines with the same indentation that are not list
    items, fields, examples or blank; it may open or close the docstring's quotes.
    """
    line = lines[index]
    indent = len(line) - len(line.lstrip())

    def opens(k: int) -> bool:
        return lines[k].lstrip().startswith(_QUOTES)

    def closes(k: int) -> bool:
        body = lines[k].strip()
        return body.endswith(_QUOTES) and (len(body) > 3 or not opens(k))

    def prose(k: int) -> bool:
        text = lines[k]
        inner = text.strip().removeprefix(_QUOTES).removesuffix(_QUOTES)
        return (
            k in inside
            and inner.strip() != ""
            and len(text) - len(text.lstrip()) == indent
            and _QUOTES not in inner
            and not _NOT_PROSE.match(inner)
        )

    if not prose(index):
        return
    start = end = index
    while not opens(start) and start - 1 >= 0 and prose(start - 1) and not closes(start - 1):
        start -= 1
    while not closes(end) and end + 1 < len(lines) and prose(end + 1) and not opens(end + 1):
        end += 1
    lead = _QUOTES if opens(start) else ""
    tail = _QUOTES if closes(end) else ""
    text = " ".join(lines[k].strip() for k in range(start, end + 1))
    text = text.removeprefix(lead).removesuffix(tail).strip()
    pad = " " * indent
    filled = textwrap.wrap(
        text,
        width=WIDTH - len(tail),  # room for closing quotes, as ruff format joins them
        initial_indent=pad + lead,
        subsequent_indent=pad,
        break_long_words=False,
        break_on_hyphens=False,
    )
    if tail:
        if len(filled) > 1 or len(filled[-1]) + len(tail) > WIDTH:
            filled.append(pad + tail)  # a docstring of several lines closes on its own line
        else:
            filled[-1] += tail
    lines[start : end + 1] = filled


def rewrite(path: Path, by_id: dict[int, str], names: set[str]) -> tuple[int, int]:
    """Rewrite one file in place; returns (cross-references, plain code) written."""
    source = path.read_text(encoding="utf-8")
    inside = docstring_lines(source)
    module = module_name(path)
    lines = source.split("\n")
    linked = plain = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal linked, plain
        tilde, target = match[2], match[3].strip()
        text = target.rsplit(".", 1)[-1] if tilde else target
        anchor = target_anchor(target, module, by_id, names)
        if anchor is None:
            plain += 1
            return f"``{text}``"
        linked += 1
        return f"[`{text}`][{anchor}]"

    changed: list[int] = []
    for k in sorted(inside):
        new = ROLE.sub(replace, lines[k])
        if new != lines[k]:
            lines[k] = new
            changed.append(k)
    # refill from the bottom so earlier indexes stay valid
    for k in sorted(changed, reverse=True):
        if k < len(lines) and len(lines[k]) > WIDTH:
            refill(lines, k, inside)
    result = "\n".join(lines)
    if result != source:
        path.write_text(result, encoding="utf-8")
    return linked, plain


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--inventory", type=Path, help="objects.inv of the built site")
    parser.add_argument("--check", action="store_true", help="only list the roles left")
    args = parser.parse_args(argv)
    files = [f for p in args.paths for f in (sorted(p.rglob("*.py")) if p.is_dir() else [p])]
    if args.check:
        left = [
            f"{f}:{n}: {m[0]}"
            for f in files
            for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1)
            for m in ROLE.finditer(line)
        ]
        print("\n".join(left) or "no Sphinx roles left")
        return 1 if left else 0
    if args.inventory is None:
        parser.error("--inventory is required to rewrite")
    by_id, names = anchors(read_inventory(args.inventory))
    total_linked = total_plain = 0
    for f in files:
        linked, plain = rewrite(f, by_id, names)
        total_linked += linked
        total_plain += plain
    print(f"{total_linked} cross-references, {total_plain} plain code")
    return 0


if __name__ == "__main__":
    sys.exit(main())
