"""The example plugin package (examples/crimeharm-force-example), registered two ways.

(a) at run time: its module registered with ``ch.register_plugin`` (no install needed);
(b) installed for real: CI runs
    ``python -m pip install --no-deps --no-build-isolation ./examples/crimeharm-force-example``
    and its entry point must then put its names in ``ch.list_schemes()`` with no other step.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

import crimeharm as ch
import crimeharm.plugins as plugins
from crimeharm.testing import check_decay, check_scheme

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "crimeharm-force-example"
DIST = "crimeharm-force-example"
INSTALL = f"python -m pip install --no-deps --no-build-isolation ./examples/{DIST}"
AS_OF = np.datetime64("2023-07-18", "D")
DAY = np.timedelta64(1, "D")


def installed() -> bool:
    try:
        distribution(DIST)
    except PackageNotFoundError:
        return False
    return True


@pytest.fixture
def no_entry_points(registry: plugins.Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh registry that sees no installed plugins (only built-ins and run-time ones)."""
    monkeypatch.setattr(plugins, "entry_points", lambda **kw: [])


@pytest.fixture
def example_module(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The example plugin's module, imported from the source tree if it is not installed."""
    if not installed():
        monkeypatch.syspath_prepend(str(EXAMPLE / "src"))
    return importlib.import_module("crimeharm_force_example")


# -- (a) run-time registration -----------------------------------------------------------------


@pytest.mark.usefixtures("no_entry_points")
def test_runtime_registration_and_scoring(example_module: ModuleType) -> None:
    assert "example-force-cchi" not in ch.list_schemes()
    name = ch.register_plugin(example_module, name="force-example-runtime")
    assert "example-force-cchi" in ch.list_schemes()
    assert "two-stage" in ch.list_decays()
    info = {row["name"]: row for row in ch.scheme_info()}
    assert info["example-force-cchi"]["plugin"] == name
    scheme = check_scheme("example-force-cchi")
    check_decay("two-stage")
    check_decay("two-stage", hold_days=1, half_life_days=1)

    # 008/67 coercive control: CCHI 84 days, 365 in the example's local table;
    # 001/01 murder: 5475 in both
    assert ch.get_scheme("cchi-2020").weight("008/67") == 84
    assert scheme.weight("008/67") == 365
    assert scheme.weight("001/01") == 5475
    ev = ch.Events(
        offender_id=[1, 1, 2, 2],
        offence_code=["008/67", "008/67", "001/01", "008/67"],
        date=[AS_OF, AS_OF - 500 * DAY, AS_OF - 365 * DAY, AS_OF - 2000 * DAY],
    )
    decay = ch.get_decay("two-stage", hold_days=365, half_life_days=135)
    s = ch.score(ev, "example-force-cchi", as_of=AS_OF, window_days=1826, decay=decay)
    assert s.offender_id.tolist() == [1, 2]
    # ages 0 and 500: factor 1, then 0.5 ** ((500 - 365) / 135) = 0.5; murder at 365: still 1
    assert s.harm.tolist() == pytest.approx([365 * 1 + 365 * 0.5, 5475 * 1], rel=1e-12)
    assert s.report.excluded == {"outside window": 1}
    assert s.params.decay_params == {"hold_days": 365.0, "half_life_days": 135.0}
    baseline = ch.score(ev, "cchi-2020", as_of=AS_OF, window_days=1826, decay=decay)
    assert baseline.harm.tolist() == pytest.approx([84 * 1 + 84 * 0.5, 5475], rel=1e-12)

    ch.unregister_plugin(name)
    assert "example-force-cchi" not in ch.list_schemes()


@pytest.mark.usefixtures("no_entry_points")
def test_local_table_changes_only_its_codes(example_module: ModuleType) -> None:
    ch.register_plugin(example_module, name="force-example-runtime")
    local = example_module.local_adjustments()
    for conflicts in ("max", "min"):
        cchi = ch.get_scheme("cchi-2020", conflicts=conflicts)
        scheme = ch.get_scheme("example-force-cchi", conflicts=conflicts)
        assert scheme.codes.tolist() == cchi.codes.tolist()
        for code, weight in cchi.to_dict().items():
            if code in local:
                new, replaced = local[code]
                assert (weight, scheme.weight(code)) == (replaced, new)
                assert new > replaced  # the example only raises weights
            else:
                assert scheme.weight(code) == weight


def test_two_stage_decay_values(example_module: ModuleType) -> None:
    decay = example_module.TwoStageDecay(hold_days=10, half_life_days=5)
    ages = np.array([0, 9, 10, 15, 20, 25])
    assert decay.factor(ages).tolist() == [1.0, 1.0, 1.0, 0.5, 0.25, 0.125]
    with pytest.raises(ch.DecayError, match="hold_days"):
        example_module.TwoStageDecay(hold_days=0)


# -- (b) installed for real --------------------------------------------------------------------


@pytest.mark.skipif(
    not installed(), reason=f"{DIST} is not installed in this environment; CI runs: {INSTALL}"
)
@pytest.mark.usefixtures("registry")
def test_installed_package_registers_through_its_entry_point() -> None:
    eps = [ep for ep in distribution(DIST).entry_points if ep.group == "crimeharm"]
    assert [(ep.name, ep.value) for ep in eps] == [("force-example", "crimeharm_force_example")]
    assert "example-force-cchi" in ch.list_schemes()
    assert "two-stage" in ch.list_decays()
    info = {row["name"]: row for row in ch.scheme_info()}
    assert info["example-force-cchi"]["plugin"] == "force-example"
    check_scheme("example-force-cchi")
    check_decay("two-stage")


@pytest.mark.skipif(not installed(), reason=f"{DIST} is not installed; CI runs: {INSTALL}")
@pytest.mark.usefixtures("registry")
def test_installed_plugin_can_be_disabled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRIMEHARM_DISABLE_PLUGINS", "force-example")
    assert "example-force-cchi" not in ch.list_schemes()
    assert "two-stage" not in ch.list_decays()


def test_example_package_is_a_real_package() -> None:
    text = (EXAMPLE / "pyproject.toml").read_text(encoding="utf-8")
    assert 'build-backend = "hatchling.build"' in text
    assert "[project.entry-points.crimeharm]" in text
    assert 'force-example = "crimeharm_force_example"' in text
    assert (EXAMPLE / "src" / "crimeharm_force_example" / "__init__.py").is_file()
    assert (EXAMPLE / "src" / "crimeharm_force_example" / "local_weights.csv").is_file()
    assert "ILLUSTRATIVE" in (EXAMPLE / "README.md").read_text(encoding="utf-8").upper()


# -- crimeharm.testing stays out of the way -----------------------------------------------------


def test_import_crimeharm_does_not_import_testing_or_hypothesis() -> None:
    code = (
        "import sys, crimeharm as ch\n"
        "ch.list_schemes(); ch.list_decays()\n"
        "bad = [m for m in ('hypothesis', 'crimeharm.testing', 'pytest') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_testing_package_exports() -> None:
    import crimeharm.testing as testing
    from crimeharm.testing import strategies

    assert set(testing.__all__) == {
        "assert_scores_equal",
        "check_decay",
        "check_scheme",
        "reference_harm",
    }
    names: dict[str, Any] = vars(strategies)
    for name in ("events", "schemes", "decays", "int_ids", "str_ids", "weights", "window_days"):
        assert callable(names[name])
