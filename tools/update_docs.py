"""Run every docs page and rewrite its Output blocks and computed prose values in place.

The docs are executed (tests/test_docs.py runs the same code and fails on any difference), so
after a change to what the library prints, one command brings every page up to date::

    python tools/update_docs.py            # rewrite README.md and docs/*.md where they differ
    python tools/update_docs.py --check    # only report the stale blocks (exit status 1)
    python tools/update_docs.py docs/research.md   # some pages only

Each page runs in its own Python process (``--jobs`` at a time), inside a fresh temporary
directory, so pages cannot disturb one another; review the rewrite with ``git diff`` and then
read the prose around a changed output: a rewritten number may make a sentence false.

What a page may hold (docs/contributing.md says the same for authors):

- fenced ``python`` blocks run in page order in one namespace per page; a block whose first line
  starts with ``# not run`` is skipped;
- a block titled ``Output`` (```` ```text title="Output" ````) right after a ``python`` block is
  what that block prints; right after a ``console`` block it is what the ``$ crimeharm ...``
  lines print on stdout, run in-process through ``crimeharm.cli.main.main`` (each must exit 0);
- a block with a file-name title (```` ```text title="events.csv" ````) is written to that file
  before anything runs, and not run itself;
- a number in the prose that code computes is written ``<span data-value="EXPR">26</span>``:
  ``EXPR`` is evaluated in the page's namespace at that point of the page (after the blocks
  above it ran) and ``str()`` of its value must equal the span's text.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import io
import json
import linecache
import os
import re
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SKIP_PAGES = ("docs/changelog.md", "docs/api.md")  # an include and the generated reference

_FENCE = re.compile(r"^(?P<fence>`{3,})(?P<info>[^`]*)$")
_TITLE = re.compile(r'title="(?P<title>[^"]*)"')
_INLINE_CODE = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)")
VALUE = re.compile(r'<span data-value="(?P<expr>[^"]*)">(?P<text>[^<]*)</span>')


@dataclass(frozen=True)
class Block:
    """One fenced code block of a Markdown page (``line``/``end`` are 1-based fence lines)."""

    lang: str
    title: str
    code: str
    line: int
    end: int = 0


@dataclass(frozen=True)
class Check:
    """One place where the page states what code produces, and what the code produced."""

    kind: str  # "output" (a whole Output block) or "value" (a prose span)
    line: int  # 1-based line of the Output fence, or of the span
    expected: str  # what the page says
    actual: str  # what the code gives
    source: int  # line of the block or span that produced it
    expr: str = ""  # the span's expression (values only)

    @property
    def ok(self) -> bool:
        return normalise(self.expected) == normalise(self.actual)


def pages(root: Path = ROOT) -> list[Path]:
    """README.md and every docs page, except the changelog include and the API reference."""
    found = [root / "README.md", *sorted((root / "docs").glob("*.md"))]
    return [p for p in found if p.relative_to(root).as_posix() not in SKIP_PAGES]


def fenced_blocks(text: str) -> list[Block]:
    """Fenced code blocks opened at column 0, in page order."""
    blocks: list[Block] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        fence, info = match["fence"], match["info"].strip()
        lang = info.split()[0].strip("{}.") if info else ""
        title_match = _TITLE.search(info)
        body: list[str] = []
        j = i + 1
        while j < len(lines) and lines[j].rstrip() != fence:
            body.append(lines[j])
            j += 1
        title = title_match["title"] if title_match else ""
        blocks.append(Block(lang, title, "\n".join(body), i + 1, j + 1))
        i = j + 1
    return blocks


def normalise(text: str) -> str:
    """Text as compared: no trailing spaces, no leading or trailing blank lines."""
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


def is_file(block: Block) -> bool:
    return bool(block.title) and block.title != "Output" and "." in block.title


def _values_between(lines: list[str], start: int, stop: int) -> Iterator[tuple[int, str, str]]:
    """(1-based line, expression, text) of each prose value span on lines [start, stop)."""
    for k in range(start, stop):
        line = lines[k - 1]
        code = [m.span() for m in _INLINE_CODE.finditer(line)]
        for match in VALUE.finditer(line):
            if not any(a <= match.start() < b for a, b in code):  # shown as code, not a value
                yield k, html.unescape(match["expr"]), match["text"]


@contextlib.contextmanager
def _plugins_restored() -> Iterator[None]:
    import crimeharm as ch
    from crimeharm.plugins import REGISTRY

    before = {name for name, _ in REGISTRY.manager.list_name_plugin()}
    try:
        yield
    finally:
        for name, _ in REGISTRY.manager.list_name_plugin():
            if name not in before:
                ch.unregister_plugin(name)


def run_console(block: Block, page: str) -> str:
    """Run the ``$ crimeharm ...`` lines of a console block in-process; their stdout."""
    from crimeharm.cli.main import main

    out = io.StringIO()
    for raw in block.code.splitlines():
        if not raw.startswith("$ crimeharm "):
            continue
        args = shlex.split(raw[len("$ crimeharm ") :])
        err = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = main(args)
        if status != 0:
            msg = f"{page}:{block.line}: {raw!r} exited {status}:\n{err.getvalue()}"
            raise AssertionError(msg)
    return out.getvalue()


def run_page(path: Path) -> list[Check]:
    """Run every runnable block of the page in the current directory; what it states and got.

    Raises whatever a block raises (with the page and line in the traceback).
    """
    page = path.name
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    blocks = fenced_blocks(text)
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    checks: list[Check] = []
    prose_from = 1

    def prose_values(stop: int) -> None:
        nonlocal prose_from
        for line, expr, shown in _values_between(lines, prose_from, stop):
            value = eval(expr, namespace)  # the docs' own expressions, from this repository
            checks.append(Check("value", line, shown, str(value), line, expr))
        prose_from = max(prose_from, stop)

    with _plugins_restored():
        for block in blocks:
            if is_file(block):
                Path(block.title).write_text(block.code + "\n", encoding="utf-8")
        for k, block in enumerate(blocks):
            prose_values(block.line)
            prose_from = block.end + 1
            printed: str | None = None
            if block.lang == "console":
                printed = run_console(block, page)
            elif block.lang == "python" and not is_file(block):
                if block.code.startswith("# not run"):
                    continue
                out = io.StringIO()
                filename = f"{page}:{block.line}"
                source = block.code + "\n"
                linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
                code = compile(source, filename, "exec")
                with contextlib.redirect_stdout(out):
                    exec(code, namespace)  # the docs' own examples, from this repository
                printed = out.getvalue()
            following = blocks[k + 1] if k + 1 < len(blocks) else None
            if printed is not None and following is not None and following.title == "Output":
                checks.append(Check("output", following.line, following.code, printed, block.line))
        prose_values(len(lines) + 1)
    return checks


def rewrite(text: str, checks: list[Check]) -> str:
    """The page with every stale Output block and prose value replaced by what code gave."""
    lines = text.splitlines(keepends=True)
    blocks = {b.line: b for b in fenced_blocks(text)}
    for check in sorted(checks, key=lambda c: c.line, reverse=True):
        if check.ok:
            continue
        if check.kind == "output":
            block = blocks[check.line]
            body = [line + "\n" for line in normalise(check.actual).splitlines()]
            lines[block.line : block.end - 1] = body
        else:
            old = f'<span data-value="{html.escape(check.expr)}">{check.expected}</span>'
            new = f'<span data-value="{html.escape(check.expr)}">{check.actual}</span>'
            lines[check.line - 1] = lines[check.line - 1].replace(old, new)
    return "".join(lines)


def run_isolated(path: Path) -> list[Check]:
    """Run one page in a fresh temporary directory (sys.path and plugins restored after)."""
    cwd = Path.cwd()
    before = dict(sys.modules)
    with tempfile.TemporaryDirectory(prefix="crimeharm-docs-") as tmp:
        os.chdir(tmp)
        sys.path.insert(0, tmp)
        try:
            return run_page(path)
        finally:
            sys.path.remove(tmp)
            os.chdir(cwd)
            for name in set(sys.modules) - set(before):
                if str(getattr(sys.modules[name], "__file__", None) or "").startswith(tmp):
                    del sys.modules[name]


def _run_in_subprocess(path: Path) -> tuple[Path, list[Check] | str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT / "src"), env.get("PYTHONPATH", "")) if p
    )
    env.pop("CRIMEHARM_DISABLE_PLUGINS", None)
    env["MPLBACKEND"] = "Agg"
    done = subprocess.run(
        [sys.executable, __file__, "--json", str(path)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        return path, done.stderr or done.stdout
    return path, [Check(**c) for c in json.loads(done.stdout)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("pages", nargs="*", type=Path, help="default: every page")
    parser.add_argument("--check", action="store_true", help="report stale blocks, change none")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="pages at a time")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.json:  # the worker: one page, its checks as JSON on stdout
        (path,) = args.pages
        with contextlib.redirect_stdout(sys.stderr):
            checks = run_isolated(path.resolve())
        print(json.dumps([asdict(c) for c in checks]))
        return 0
    targets = [p.resolve() for p in args.pages] or pages()
    failed = stale = 0
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for path, result in pool.map(_run_in_subprocess, targets):
            name = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)
            if isinstance(result, str):
                failed += 1
                print(f"{name}: FAILED to run\n{result}", file=sys.stderr)
                continue
            bad = [c for c in result if not c.ok]
            stale += len(bad)
            for c in bad:
                print(f"{name}:{c.line}: {c.kind} stale (from line {c.source})")
            if bad and not args.check:
                path.write_text(rewrite(path.read_text(encoding="utf-8"), bad), encoding="utf-8")
            print(
                f"{name}: {len(result)} checked, {len(bad)} {'stale' if args.check else 'updated'}"
            )
    if failed:
        return 2
    return 1 if (stale and args.check) else 0


if __name__ == "__main__":
    sys.exit(main())
