"""The docs stay true: hook docs match the hook specs, and the runnable examples run.

Conventions for the pages in ``RUNNABLE`` (README.md and most of docs/):

- every fenced ``python`` block runs, in page order, in one namespace per page, inside a fresh
  temporary directory; a block whose first line starts with ``# not run`` is skipped;
- a fenced block titled ``Output`` (```` ```text title="Output" ````) right after a python block
  must equal what that block printed (trailing spaces ignored);
- a block with a file-name title (```` ```text title="events.csv" ````, ```` ```python
  title="myforce.py" ````) is written to that file before anything runs, and not run itself;
- ``$ crimeharm ...`` lines in ``console`` blocks run as ``python -m crimeharm ...`` and must
  exit 0.

Plugins a page registers at run time are unregistered afterwards.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import io
import itertools
import linecache
import re
import shlex
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import crimeharm as ch
from crimeharm import hookspecs
from crimeharm.plugins import REGISTRY

ROOT = Path(__file__).resolve().parents[1]
RUNNABLE = [
    "README.md",
    "docs/index.md",
    "docs/getting-started.md",
    "docs/concepts.md",
    "docs/plugins.md",
    "docs/cchi.md",
]
PLUGINS_PAGE = ROOT / "docs" / "plugins.md"

INSTALL_COMMANDS = [
    "python -m venv .venv && . .venv/bin/activate && pip install . && crimeharm demo",
    "python -m venv .venv && . .venv/bin/activate && pip install -e '.[test]' && python -m pytest",
]

_FENCE = re.compile(r"^(?P<fence>`{3,})(?P<info>[^`]*)$")
_TITLE = re.compile(r'title="(?P<title>[^"]*)"')
_HEADING = re.compile(r"^(?P<level>#{1,6})\s+(?P<text>.+?)\s*$")


@dataclass(frozen=True)
class Block:
    """One fenced code block of a Markdown page."""

    lang: str
    title: str
    code: str
    line: int  # 1-based line of the opening fence


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
        blocks.append(
            Block(lang, title_match["title"] if title_match else "", "\n".join(body), i + 1)
        )
        i = j + 1
    return blocks


def _normalise(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


@contextlib.contextmanager
def _plugins_restored() -> Iterator[None]:
    before = {name for name, _ in REGISTRY.manager.list_name_plugin()}
    try:
        yield
    finally:
        for name, _ in REGISTRY.manager.list_name_plugin():
            if name not in before:
                ch.unregister_plugin(name)


def _is_file(block: Block) -> bool:
    return bool(block.title) and block.title != "Output" and "." in block.title


def _run_console(block: Block, page: str) -> None:
    for raw in block.code.splitlines():
        if not raw.startswith("$ crimeharm "):
            continue
        args = shlex.split(raw[len("$ crimeharm ") :])
        done = subprocess.run(
            [sys.executable, "-m", "crimeharm", *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, f"{page}:{block.line}: {raw!r} failed:\n{done.stderr}"


def run_page(path: Path) -> int:
    """Run every runnable block of the page at ``path`` in the current directory.

    Returns the number of python blocks run.
    """
    page = path.name
    blocks = fenced_blocks(path.read_text(encoding="utf-8"))
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    ran = 0
    with _plugins_restored():
        for block in blocks:
            if _is_file(block):
                Path(block.title).write_text(block.code + "\n", encoding="utf-8")
        for k, block in enumerate(blocks):
            if block.lang == "console":
                _run_console(block, page)
                continue
            if block.lang != "python" or _is_file(block) or block.code.startswith("# not run"):
                continue
            out = io.StringIO()
            filename = f"{page}:{block.line}"
            source = block.code + "\n"
            linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
            code = compile(source, filename, "exec")
            with contextlib.redirect_stdout(out):
                exec(code, namespace)  # the docs' own examples, from this repository
            ran += 1
            following = blocks[k + 1] if k + 1 < len(blocks) else None
            if following is not None and following.title == "Output":
                assert _normalise(out.getvalue()) == _normalise(following.code), (
                    f"{page}:{following.line}: the Output block does not match what the "
                    f"example at line {block.line} prints:\n{out.getvalue()}"
                )
    return ran


# -- runnable examples ------------------------------------------------------------------------


@pytest.mark.parametrize("page", RUNNABLE)
def test_examples_run(page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))  # pages import the modules they write
    monkeypatch.delenv("CRIMEHARM_DISABLE_PLUGINS", raising=False)
    try:
        assert run_page(ROOT / page) >= 1, f"{page} has no runnable python block"
    finally:
        for name, module in list(sys.modules.items()):
            if str(getattr(module, "__file__", None) or "").startswith(str(tmp_path)):
                del sys.modules[name]


def test_output_blocks_follow_python() -> None:
    for page in RUNNABLE:
        blocks = fenced_blocks((ROOT / page).read_text(encoding="utf-8"))
        for before, block in itertools.pairwise(blocks):
            if block.title == "Output":
                assert before.lang in ("python", "console"), f"{page}:{block.line}"


def test_fenced_blocks_parser() -> None:
    text = 'a\n```python\nx = 1\n```\n\n```text title="Output"\n1\n```\n'
    assert fenced_blocks(text) == [Block("python", "", "x = 1", 2), Block("text", "Output", "1", 6)]


def test_output_mismatch_is_caught(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    page = tmp_path / "page.md"
    page.write_text('```python\nprint(1 + 1)\n```\n```text title="Output"\n3\n```\n')
    monkeypatch.chdir(tmp_path)
    with pytest.raises(AssertionError, match="does not match"):
        run_page(page)


# -- README -----------------------------------------------------------------------------------


def test_readme_starts_with_the_two_commands() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    before_first_block = text.split("```", 1)[0]
    paragraphs = [p for p in before_first_block.split("\n\n") if p.strip()]
    assert paragraphs[0].startswith("# "), "README must open with its title"
    assert len(paragraphs) == 2, "one what/for-whom paragraph, then the commands"
    first = fenced_blocks(text)[0]
    commands = [line for line in first.code.splitlines() if not line.startswith("#")]
    assert commands == INSTALL_COMMANDS


# -- hook docs --------------------------------------------------------------------------------


class _Raw:
    """An annotation printed as written (the specs use postponed, string annotations)."""

    def __init__(self, text: Any) -> None:
        self.text = text if isinstance(text, str) else inspect.formatannotation(text)

    def __repr__(self) -> str:
        return str(self.text)


def signature_text(function: Callable[..., Any]) -> str:
    """``def name(params) -> return:`` as the spec declares it."""
    sig = inspect.signature(function)
    empty = inspect.Signature.empty
    params = [
        p if p.annotation is empty else p.replace(annotation=_Raw(p.annotation))
        for p in sig.parameters.values()
    ]
    ret = sig.return_annotation
    sig = sig.replace(parameters=params, return_annotation=empty if ret is empty else _Raw(ret))
    return f"def {function.__name__}{sig}:"


def hook_specs() -> dict[str, Callable[..., Any]]:
    """Every ``crimeharm_*`` hook specification."""
    marker = f"{hookspecs.PROJECT}_spec"
    return {
        name: fn
        for name, fn in vars(hookspecs).items()
        if name.startswith("crimeharm_") and callable(fn) and hasattr(fn, marker)
    }


def hook_sections(text: str) -> dict[str, str]:
    """Page sections headed by a hook name (``### `crimeharm_...` ``), with their text."""
    sections: dict[str, str] = {}
    current: tuple[str, int] | None = None
    body: list[str] = []
    in_fence = False
    for line in [*text.splitlines(), "# end"]:
        if _FENCE.match(line):
            in_fence = not in_fence
        heading = None if in_fence else _HEADING.match(line)
        if heading and (current is None or len(heading["level"]) <= current[1]):
            if current is not None:
                sections[current[0]] = "\n".join(body)
            name = heading["text"].strip("`")
            current = (name, len(heading["level"])) if name.startswith("crimeharm_") else None
            body = []
        elif current is not None:
            body.append(line)
    return sections


def _version_added(function: Callable[..., Any]) -> str:
    match = re.search(r"Added in version (\S+?)\.?(?:\s|$)", function.__doc__ or "")
    assert match, f"hook spec {function.__name__} does not say which version added it"
    return match[1]


def test_hook_specs_exist() -> None:
    assert {"crimeharm_register_schemes", "crimeharm_register_decays"} <= set(hook_specs())


@pytest.mark.parametrize("name", sorted(hook_specs()))
def test_every_hook_is_documented(name: str) -> None:
    spec = hook_specs()[name]
    sections = hook_sections(PLUGINS_PAGE.read_text(encoding="utf-8"))
    assert name in sections, f"docs/plugins.md has no section headed {name}"
    section = sections[name]
    signatures = [b.code for b in fenced_blocks(section) if b.lang == "python"]
    assert signatures, f"docs/plugins.md section {name} shows no signature"
    assert signature_text(spec) in signatures[0].splitlines(), (
        f"docs/plugins.md section {name} must show the spec's signature: {signature_text(spec)}"
    )
    assert f"Added in {_version_added(spec)}" in section
    for word in ("Parameters", "Returns"):
        assert f"**{word}**" in section, f"docs/plugins.md section {name} lacks **{word}**"


def test_no_section_for_a_hook_that_does_not_exist() -> None:
    documented = set(hook_sections(PLUGINS_PAGE.read_text(encoding="utf-8")))
    assert documented <= set(hook_specs()), (
        f"no such hooks: {sorted(documented - set(hook_specs()))}"
    )


def test_signature_text_spells_postponed_annotations() -> None:
    def crimeharm_x(a: int, *, b: str = "s") -> list[int]:
        return [a]

    assert signature_text(crimeharm_x) == "def crimeharm_x(a: int, *, b: str = 's') -> list[int]:"


# -- API reference ----------------------------------------------------------------------------


def test_api_reference_covers_every_public_name() -> None:
    """Each name in ``crimeharm.__all__`` is rendered on docs/api.md, alone or with its module."""
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    shown: dict[str, list[object]] = {}  # name -> objects rendered under that name
    for ident in re.findall(r"^::: (\S+)", text, flags=re.MULTILINE):
        try:
            module = importlib.import_module(ident)
        except ImportError:
            parent, _, name = ident.rpartition(".")
            shown.setdefault(name, []).append(getattr(importlib.import_module(parent), name))
            continue
        shown.setdefault(ident.rpartition(".")[2], []).append(module)
        for name in getattr(module, "__all__", []):
            shown.setdefault(name, []).append(getattr(module, name))
    missing = [
        name
        for name in ch.__all__
        if not name.startswith("__")
        and not any(obj is getattr(ch, name) for obj in shown.get(name, []))
    ]
    assert not missing, f"docs/api.md does not document: {missing}"
