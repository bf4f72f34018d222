"""The docs stay true: every page's outputs and prose values, hook docs, the API reference.

Every page (README.md and docs/*.md, found, not listed) runs as tools/update_docs.py runs it:
python blocks in order in one namespace, ``$ crimeharm ...`` console lines in-process, and each
``Output`` block and ``<span data-value="EXPR">`` prose value must equal what the code gives
(see the tool's docstring for the conventions). ``python tools/update_docs.py`` rewrites them.
Plugins a page registers at run time are unregistered afterwards.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import itertools
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import crimeharm as ch
from crimeharm import hookspecs

ROOT = Path(__file__).resolve().parents[1]
PLUGINS_PAGE = ROOT / "docs" / "plugins.md"


def _load_tool() -> Any:
    spec = importlib.util.spec_from_file_location("update_docs", ROOT / "tools" / "update_docs.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("update_docs", module)
    spec.loader.exec_module(module)
    return module


docs = _load_tool()
Block = docs.Block
fenced_blocks = docs.fenced_blocks
PAGES = [p.relative_to(ROOT).as_posix() for p in docs.pages(ROOT)]

INSTALL_COMMANDS = [
    "python -m venv .venv && . .venv/bin/activate && pip install . && crimeharm demo",
    "python -m venv .venv && . .venv/bin/activate && pip install -e '.[test]' && python -m pytest",
]

_FENCE = re.compile(r"^(?P<fence>`{3,})(?P<info>[^`]*)$")
_HEADING = re.compile(r"^(?P<level>#{1,6})\s+(?P<text>.+?)\s*$")


def run_page(path: Path) -> list[Any]:
    """Run the page in the current directory; fail on the first stale output or value."""
    checks = docs.run_page(path)
    for check in checks:
        what = "Output block" if check.kind == "output" else f"value {check.expr!r}"
        assert check.ok, (
            f"{path.name}:{check.line}: the {what} does not match what the example at line "
            f"{check.source} gives (python tools/update_docs.py rewrites it):\n{check.actual}"
        )
    return checks


# -- every page runs and says what its code prints --------------------------------------------


def test_pages_are_discovered() -> None:
    assert {"README.md", "docs/research.md", "docs/cli.md"} <= set(PAGES)
    assert "docs/api.md" not in PAGES


@pytest.mark.parametrize("page", PAGES)
def test_page_outputs(page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))  # pages import the modules they write
    monkeypatch.delenv("CRIMEHARM_DISABLE_PLUGINS", raising=False)
    text = (ROOT / page).read_text(encoding="utf-8")
    lines = text.splitlines()
    values = len(list(docs._values_between(lines, 1, len(lines) + 1)))
    stated = sum(b.title == "Output" for b in fenced_blocks(text)) + values
    try:
        checks = run_page(ROOT / page)
    finally:
        for name, module in list(sys.modules.items()):
            if str(getattr(module, "__file__", None) or "").startswith(str(tmp_path)):
                del sys.modules[name]
    assert len(checks) == stated, f"{page}: an Output block follows no runnable block"


def test_output_blocks_follow_code() -> None:
    for page in PAGES:
        blocks = fenced_blocks((ROOT / page).read_text(encoding="utf-8"))
        for before, block in itertools.pairwise(blocks):
            if block.title == "Output":
                assert before.lang in ("python", "console"), f"{page}:{block.line}"


def test_fenced_blocks_parser() -> None:
    text = 'a\n```python\nx = 1\n```\n\n```text title="Output"\n1\n```\n'
    assert fenced_blocks(text) == [
        Block("python", "", "x = 1", 2, 4),
        Block("text", "Output", "1", 6, 8),
    ]


def test_output_mismatch_is_caught(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    page = tmp_path / "page.md"
    page.write_text('```python\nprint(1 + 1)\n```\n```text title="Output"\n3\n```\n')
    monkeypatch.chdir(tmp_path)
    with pytest.raises(AssertionError, match="does not match"):
        run_page(page)


def test_prose_value_mismatch_is_caught(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    page = tmp_path / "page.md"
    page.write_text('```python\nx = 6 * 7\n```\n\nThe answer is <span data-value="x">41</span>.\n')
    monkeypatch.chdir(tmp_path)
    with pytest.raises(AssertionError, match="value 'x' does not match"):
        run_page(page)


def test_console_output_is_compared(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    page = tmp_path / "page.md"
    page.write_text('```console\n$ crimeharm --version\n```\n```text title="Output"\nx\n```\n')
    monkeypatch.chdir(tmp_path)
    with pytest.raises(AssertionError, match="does not match"):
        run_page(page)


def test_rewrite_replaces_stale_outputs_and_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (
        "Intro.\n\n```python\nx = 6 * 7\nprint(x)\nprint('two')\n```\n\n"
        '```text title="Output"\n41\n```\n\nSo <span data-value="x + 1">42</span> and '
        '<span data-value="x">41</span>.\n'
    )
    page = tmp_path / "page.md"
    page.write_text(text)
    monkeypatch.chdir(tmp_path)
    fixed = docs.rewrite(text, docs.run_page(page))
    assert fixed == text.replace("\n41\n", "\n42\ntwo\n").replace(
        '"x + 1">42', '"x + 1">43'
    ).replace('"x">41', '"x">42')
    page.write_text(fixed)
    assert all(c.ok for c in docs.run_page(page))


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


# -- parameters sections -----------------------------------------------------------------------


def _api_functions() -> dict[str, Any]:
    """Every public function and method docs/api.md renders, as griffe objects by path."""
    griffe = pytest.importorskip("griffe")
    package = griffe.load("crimeharm", search_paths=[str(ROOT / "src")], docstring_parser="google")
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    found: dict[str, Any] = {}

    def add(path: str, obj: Any) -> None:
        if obj.is_alias:
            obj = obj.final_target
        if obj.is_function:
            found[path] = obj
        elif obj.is_class:
            for name, member in obj.members.items():
                if not name.startswith("_") and not member.is_alias and member.is_function:
                    found[f"{path}.{name}"] = member

    for ident in re.findall(r"^::: (\S+)", text, flags=re.MULTILINE):
        obj = package[ident.removeprefix("crimeharm.")] if ident != "crimeharm" else package
        if obj.is_alias:
            obj = obj.final_target
        if obj.is_module:
            for name in getattr(importlib.import_module(ident), "__all__", []):
                add(f"{ident}.{name}", obj[name])
        else:
            add(ident, obj)
    return found


def test_every_public_function_has_a_parameter_row_per_parameter() -> None:
    pytest.importorskip("griffe")  # the docs extra (the tool imports it)
    tool = importlib.util.spec_from_file_location(
        "griffe_parameters", ROOT / "tools" / "griffe_parameters.py"
    )
    assert tool is not None
    assert tool.loader is not None
    module = importlib.util.module_from_spec(tool)
    tool.loader.exec_module(module)
    functions = _api_functions()
    assert len(functions) > 100
    griffe = pytest.importorskip("griffe")
    for path, func in functions.items():
        wanted = [
            p.name
            for p in func.parameters
            if p.name not in ("self", "cls")
            and p.kind
            not in (griffe.ParameterKind.var_positional, griffe.ParameterKind.var_keyword)
        ]
        rows = module.parameter_rows(func)
        assert [r.name for r in rows] == wanted, path
        assert all(r.description for r in rows), path


def test_args_sections_name_real_parameters_and_all_of_them() -> None:
    """A function that documents parameters under Args: documents every one, and no other."""
    griffe = pytest.importorskip("griffe")
    for path, func in _api_functions().items():
        sections = func.docstring.parsed if func.docstring else []
        listed = [
            p.name
            for s in sections
            if isinstance(s, griffe.DocstringSectionParameters)
            for p in s.value
        ]
        if not listed:
            continue
        wanted = [
            p.name
            for p in func.parameters
            if p.name not in ("self", "cls")
            and p.kind
            not in (griffe.ParameterKind.var_positional, griffe.ParameterKind.var_keyword)
        ]
        assert listed == wanted, f"{path}: Args: lists {listed}, the signature has {wanted}"


def test_a_value_span_shown_as_code_is_not_a_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        'Write `<span data-value="EXPR">26</span>` and <span data-value="1 + 1">2</span>.\n'
    )
    monkeypatch.chdir(tmp_path)
    assert [(c.expr, c.ok) for c in run_page(page)] == [("1 + 1", True)]


def test_no_sphinx_roles_left_in_src() -> None:
    """Docstrings cross-reference as [`name`][crimeharm.name]: a Sphinx role shows literally."""
    role = re.compile(r":(?:py:)?(?:class|func|meth|attr|data|mod|exc|obj|const):`[^`]+`")
    left = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in sorted((ROOT / "src").rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if role.search(line)
    ]
    assert not left, (
        f"Sphinx roles in {left}: mkdocs build -d SITE && python tools/sphinx_roles.py "
        "--inventory SITE/objects.inv src/crimeharm"
    )
