"""The pictures in docs/img show what the code draws today (examples/make_figures.py).

The figures are drawn again and their fingerprints (titles, labels, legends and plotted data,
not pixels: see ``crimeharm.research.plots.fingerprint``) compared with docs/img/figures.json,
and each PNG's SHA-256 with the one recorded when it was written. A change that moves a figure
fails here until ``python examples/make_figures.py`` redraws the images.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("matplotlib")

ROOT = Path(__file__).resolve().parents[1]
IMG = ROOT / "docs" / "img"


def _script() -> Any:
    spec = importlib.util.spec_from_file_location(
        "make_figures", ROOT / "examples" / "make_figures.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def drawn() -> dict[str, str]:
    script = _script()
    return dict(script.fingerprints(script.build_figures()))


@pytest.fixture(scope="module")
def recorded() -> dict[str, dict[str, str]]:
    data: dict[str, dict[str, str]] = json.loads((IMG / "figures.json").read_text("utf-8"))
    return data


def test_every_image_is_drawn_by_the_script(
    drawn: dict[str, str], recorded: dict[str, dict[str, str]]
) -> None:
    images = {p.name for p in IMG.glob("*.png")}
    assert images == set(drawn) == set(recorded), "run python examples/make_figures.py"


def test_figures_show_what_the_code_draws(
    drawn: dict[str, str], recorded: dict[str, dict[str, str]]
) -> None:
    moved = [name for name, fp in drawn.items() if recorded[name]["fingerprint"] != fp]
    assert not moved, f"{moved} changed: run python examples/make_figures.py and commit docs/img"


def test_images_are_the_ones_recorded(recorded: dict[str, dict[str, str]]) -> None:
    for name, entry in recorded.items():
        sha = hashlib.sha256((IMG / name).read_bytes()).hexdigest()
        assert sha == entry["png_sha256"], f"docs/img/{name} is not the image make_figures wrote"


def test_every_image_is_shown_in_the_docs() -> None:
    pages = "".join(p.read_text("utf-8") for p in (ROOT / "docs").glob("*.md"))
    for image in IMG.glob("*.png"):
        assert f"img/{image.name}" in pages, f"docs/img/{image.name} is shown on no page"
