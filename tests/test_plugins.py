"""Tests of the plugin registry: run-time and entry-point plugins, and every failure mode.

Every test uses the ``registry`` fixture (tests/conftest.py): a fresh registry patched in for
the test, so nothing registered here leaks into other tests.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any, ClassVar

import attrs
import numpy as np
import numpy.typing as npt
import pytest

import crimeharm as ch
import crimeharm.plugins as plugins
from crimeharm.testing import check_decay, check_scheme

pytestmark = pytest.mark.usefixtures("registry")

AS_OF = np.datetime64("2023-07-18", "D")
BUILTIN_SCHEMES = {"cchi-2020", "cchi-2020-athena", "cchi-2020-cjs"}
BUILTIN_DECAYS = {"none", "exponential", "linear", "step"}


def toy_scheme(name: str = "toy", **weights: float) -> ch.WeightScheme:
    return ch.WeightScheme.from_mapping(weights or {"a": 1.0, "b": 10.0}, name=name, unit="days")


def scheme_plugin(*items: Any) -> SimpleNamespace:
    """A plugin object whose scheme hook returns ``items``."""

    @ch.hookimpl
    def crimeharm_register_schemes() -> list[Any]:
        return list(items)

    return SimpleNamespace(crimeharm_register_schemes=crimeharm_register_schemes)


def decay_plugin(*items: Any) -> SimpleNamespace:
    """A plugin object whose decay hook returns ``items``."""

    @ch.hookimpl
    def crimeharm_register_decays() -> list[Any]:
        return list(items)

    return SimpleNamespace(crimeharm_register_decays=crimeharm_register_decays)


@attrs.frozen
class FakeEntryPoint:
    """Stands in for importlib.metadata.EntryPoint: ``load()`` returns or raises ``target``."""

    name: str
    target: Any
    value: str = "fake_module:plugin"
    group: str = "crimeharm"
    loads: list[str] = attrs.field(factory=list)

    def load(self) -> Any:
        self.loads.append(self.name)
        if isinstance(self.target, BaseException):
            raise self.target
        return self.target


def fake_entry_points(monkeypatch: pytest.MonkeyPatch, *eps: FakeEntryPoint) -> None:
    def entry_points(**kw: Any) -> list[FakeEntryPoint]:
        return list(eps) if kw.get("group") == "crimeharm" else []

    monkeypatch.setattr(plugins, "entry_points", entry_points)


@attrs.frozen
class HalvingDecay:
    """Halves every ``days`` days in whole steps: factor = 0.5 ** (age // days)."""

    name: ClassVar[str] = "halving"
    days: int = 365

    def factor(self, age_days: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        return np.power(0.5, np.asarray(age_days) // self.days).astype(np.float64)

    def params(self) -> dict[str, Any]:
        return {"days": self.days}


# -- run-time registration ---------------------------------------------------------------------


def test_builtins_are_registered() -> None:
    assert set(ch.list_schemes()) >= BUILTIN_SCHEMES
    assert set(ch.list_decays()) >= BUILTIN_DECAYS
    info = {row["name"]: row for row in ch.scheme_info()}
    assert info["cchi-2020"]["plugin"] == "crimeharm.builtin.hooks"
    assert info["cchi-2020"]["unit"] == "days"
    assert info["cchi-2020-athena"]["key_system"] == "athena"


def test_register_scheme_at_run_time_and_score_with_it() -> None:
    loads: list[dict[str, Any]] = []

    def load(**options: Any) -> ch.WeightScheme:
        loads.append(options)
        return toy_scheme("toy-lazy", a=2.0 * options.get("factor", 1.0))

    plugin = scheme_plugin(
        ch.SchemeProvider(name="toy-lazy", load=load, version="1", unit="days", source="tests"),
        toy_scheme("toy-ready", a=3.0),
    )
    name = ch.register_plugin(plugin, name="toy-plugin")
    assert name == "toy-plugin"
    assert {"toy-lazy", "toy-ready"} <= set(ch.list_schemes())
    assert not loads  # listing does not load
    info = {row["name"]: row for row in ch.scheme_info()}
    assert info["toy-lazy"] == {
        "name": "toy-lazy",
        "version": "1",
        "unit": "days",
        "key_system": "ho",
        "source": "tests",
        "description": "",
        "plugin": "toy-plugin",
    }
    ev = ch.Events(offender_id=[1, 1], offence_code=["a", "a"], date=[AS_OF, AS_OF])
    assert ch.score(ev, "toy-lazy", as_of=AS_OF).harm.tolist() == [4.0]
    assert ch.score(ev, "toy-ready", as_of=AS_OF).harm.tolist() == [6.0]
    assert ch.get_scheme("toy-lazy") is ch.get_scheme("toy-lazy")  # loaded once
    assert ch.get_scheme("toy-lazy", factor=5.0).weight("a") == 10.0
    assert loads == [{}, {"factor": 5.0}]
    check_scheme("toy-lazy")
    with pytest.raises(TypeError, match="takes no options"):
        ch.get_scheme("toy-ready", factor=2.0)
    ch.unregister_plugin("toy-plugin")
    assert "toy-lazy" not in ch.list_schemes()
    with pytest.raises(ch.UnknownNameError):
        ch.get_scheme("toy-lazy")


def test_register_a_module_like_plugin_and_unregister_by_object() -> None:
    plugin = scheme_plugin(toy_scheme("toy-obj"))
    ch.register_plugin(plugin)
    assert "toy-obj" in ch.list_schemes()
    ch.unregister_plugin(plugin)
    assert "toy-obj" not in ch.list_schemes()


def test_register_decays_at_run_time() -> None:
    plugin = decay_plugin(
        ch.DecayProvider("halving", HalvingDecay, "halves per whole period"),
        type("Linear2", (ch.LinearDecay,), {"name": "linear2"}),
    )
    ch.register_plugin(plugin, name="decays")
    assert {"halving", "linear2"} <= set(ch.list_decays())
    decay = ch.get_decay("halving", days=10)
    assert decay.factor(np.array([0, 9, 10, 25])).tolist() == [1.0, 1.0, 0.5, 0.25]
    check_decay("halving", days=30)
    assert ch.get_decay("linear2", horizon_days=4).factor(np.array([2])).tolist() == [0.5]
    scheme = toy_scheme(a=8.0)
    ev = ch.Events(offender_id=[1], offence_code=["a"], date=[AS_OF - np.timedelta64(20, "D")])
    s = ch.score(ev, scheme, as_of=AS_OF, decay="halving")
    assert s.harm.tolist() == [8.0]  # default days=365: still in the first period
    assert s.params.decay == "halving"
    with pytest.raises(TypeError, match="halving"):
        ch.get_decay("halving", weeks=2)


def test_registering_the_same_name_twice_is_an_error() -> None:
    ch.register_plugin(scheme_plugin(toy_scheme("one")), name="same")
    with pytest.raises(ch.PluginError, match="same"):
        ch.register_plugin(scheme_plugin(toy_scheme("two")), name="same")


def test_a_plugin_with_an_unknown_hook_is_rejected() -> None:
    @ch.hookimpl
    def crimeharm_register_nonsense() -> list[Any]:
        return []

    with pytest.raises(ch.PluginError, match="odd"):
        ch.register_plugin(
            SimpleNamespace(crimeharm_register_nonsense=crimeharm_register_nonsense), name="odd"
        )


# -- unknown and duplicate names -------------------------------------------------------------


def test_unknown_scheme_lists_the_available_ones() -> None:
    ch.register_plugin(scheme_plugin(toy_scheme("toy-x")), name="p")
    with pytest.raises(ch.UnknownNameError) as info:
        ch.get_scheme("cchi-2021")
    message = str(info.value)
    assert "'cchi-2021'" in message
    for name in [*BUILTIN_SCHEMES, "toy-x"]:
        assert name in message
    assert isinstance(info.value, LookupError)


def test_unknown_decay_lists_the_available_ones() -> None:
    with pytest.raises(ch.UnknownNameError) as info:
        ch.get_decay("hyperbolic")
    for name in BUILTIN_DECAYS:
        assert name in str(info.value)


def test_duplicate_scheme_name_names_both_plugins() -> None:
    ch.register_plugin(scheme_plugin(toy_scheme("dup")), name="first-plugin")
    ch.register_plugin(scheme_plugin(toy_scheme("dup")), name="second-plugin")
    with pytest.raises(ch.PluginError) as info:
        ch.list_schemes()
    message = str(info.value)
    assert "'dup'" in message
    assert "first-plugin" in message
    assert "second-plugin" in message


def test_shadowing_a_builtin_scheme_names_both_plugins() -> None:
    ch.register_plugin(scheme_plugin(toy_scheme("cchi-2020")), name="impostor")
    with pytest.raises(ch.PluginError) as info:
        ch.get_scheme("cchi-2020")
    assert "crimeharm.builtin.hooks" in str(info.value)
    assert "impostor" in str(info.value)


def test_duplicate_decay_name_names_both_plugins() -> None:
    ch.register_plugin(decay_plugin(ch.DecayProvider("exponential", HalvingDecay)), name="dd")
    with pytest.raises(ch.PluginError) as info:
        ch.list_decays()
    assert "'exponential'" in str(info.value)
    assert "'crimeharm.builtin.hooks'" in str(info.value)
    assert "'dd'" in str(info.value)


# -- broken plugins ----------------------------------------------------------------------------


def test_entry_point_that_fails_to_load_warns_and_is_skipped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    broken = FakeEntryPoint("broken-force", ImportError("No module named 'forcelib'"))
    good = FakeEntryPoint("good-force", scheme_plugin(toy_scheme("good-force-scheme")))
    fake_entry_points(monkeypatch, broken, good)
    with pytest.warns(ch.PluginWarning, match=r"'broken-force'.*forcelib"):
        names = ch.list_schemes()
    assert "good-force-scheme" in names
    assert set(names) >= BUILTIN_SCHEMES
    info = {row["name"]: row["plugin"] for row in ch.scheme_info()}
    assert info["good-force-scheme"] == "good-force"


def test_entry_point_raising_any_exception_only_warns(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_entry_points(monkeypatch, FakeEntryPoint("syntax", SyntaxError("bad plugin code")))
    with pytest.warns(ch.PluginWarning, match="'syntax'"):
        assert set(ch.list_decays()) >= BUILTIN_DECAYS


def test_disable_env_blocks_a_plugin_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    blocked = FakeEntryPoint("blocked-force", scheme_plugin(toy_scheme("blocked-scheme")))
    other = FakeEntryPoint("other-force", scheme_plugin(toy_scheme("other-scheme")))
    fake_entry_points(monkeypatch, blocked, other)
    monkeypatch.setenv("CRIMEHARM_DISABLE_PLUGINS", " blocked-force , unrelated")
    names = ch.list_schemes()
    assert "blocked-scheme" not in names
    assert "other-scheme" in names
    assert blocked.loads == []  # never imported


def test_disable_env_also_silences_a_broken_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_entry_points(monkeypatch, FakeEntryPoint("broken", RuntimeError("boom")))
    monkeypatch.setenv("CRIMEHARM_DISABLE_PLUGINS", "broken")
    assert set(ch.list_schemes()) >= BUILTIN_SCHEMES  # no warning: filterwarnings = error


def test_hook_that_raises_warns_and_its_entries_are_skipped() -> None:
    @ch.hookimpl
    def crimeharm_register_schemes() -> list[Any]:
        msg = "database unavailable"
        raise OSError(msg)

    ch.register_plugin(
        SimpleNamespace(crimeharm_register_schemes=crimeharm_register_schemes), name="flaky"
    )
    ch.register_plugin(scheme_plugin(toy_scheme("fine")), name="fine-plugin")
    with pytest.warns(ch.PluginWarning, match=r"'flaky'.*crimeharm_register_schemes.*unavail"):
        names = ch.list_schemes()
    assert "fine" in names
    assert set(names) >= BUILTIN_SCHEMES


@pytest.mark.parametrize("returned", [None, "toy", toy_scheme()])
def test_hook_returning_a_non_list_is_an_error_naming_the_plugin(returned: Any) -> None:
    @ch.hookimpl
    def crimeharm_register_schemes() -> Any:
        return returned

    ch.register_plugin(
        SimpleNamespace(crimeharm_register_schemes=crimeharm_register_schemes), name="sloppy"
    )
    with pytest.raises(ch.PluginError, match=r"'sloppy'.*must return a list"):
        ch.list_schemes()


@pytest.mark.parametrize("item", [{"a": 1.0}, "toy", 42, ch.DecayProvider("x", HalvingDecay)])
def test_hook_returning_a_wrong_item_is_an_error_naming_the_plugin(item: Any) -> None:
    ch.register_plugin(scheme_plugin(item), name="sloppy")
    with pytest.raises(ch.PluginError, match=r"'sloppy'.*SchemeProvider"):
        ch.list_schemes()


@pytest.mark.parametrize("bad", [-1.0, math.nan, math.inf, "heavy", None])
def test_scheme_with_bad_weights_is_an_error_naming_the_plugin(bad: Any) -> None:
    def load() -> ch.WeightScheme:
        return ch.WeightScheme.from_mapping({"a": 1.0, "b": bad}, name="bad-weights")

    ch.register_plugin(
        scheme_plugin(ch.SchemeProvider(name="bad-weights", load=load)), name="careless-force"
    )
    assert "bad-weights" in ch.list_schemes()  # listing does not load
    with pytest.raises(ch.PluginError) as info:
        ch.get_scheme("bad-weights")
    message = str(info.value)
    assert "'careless-force'" in message
    assert "'bad-weights'" in message
    assert "'b'" in message  # the offending code


def test_scheme_loader_raising_is_an_error_naming_the_plugin() -> None:
    def load() -> ch.WeightScheme:
        msg = "weights.csv not found"
        raise FileNotFoundError(msg)

    ch.register_plugin(scheme_plugin(ch.SchemeProvider(name="lost", load=load)), name="lost-p")
    with pytest.raises(ch.PluginError, match=r"'lost-p'.*'lost'.*FileNotFoundError.*weights.csv"):
        ch.get_scheme("lost")


@pytest.mark.parametrize("returned", [{"a": 1.0}, None, [("a", 1.0)]])
def test_scheme_loader_returning_a_non_scheme_is_an_error(returned: Any) -> None:
    provider = ch.SchemeProvider(name="odd", load=lambda: returned)
    ch.register_plugin(scheme_plugin(provider), name="odd-p")
    with pytest.raises(ch.PluginError, match=r"'odd-p'.*must return a WeightScheme"):
        ch.get_scheme("odd")


@attrs.frozen
class BadDecay:
    """A decay that breaks the contract in the way ``mode`` says."""

    name: ClassVar[str] = "bad"
    mode: str = "above-one"

    def factor(self, age_days: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        age = np.asarray(age_days, dtype=np.float64)
        if self.mode == "above-one":
            return 1.0 + age / 10.0
        if self.mode == "nan":
            return np.where(age > 5, np.nan, 1.0)
        if self.mode == "negative":
            return 1.0 - age
        if self.mode == "rises":
            return np.where((age > 3) & (age < 9), 0.5, 1.0)
        if self.mode == "not-one-at-zero":
            return np.full(age.shape, 0.5)
        return age[:1]  # wrong shape

    def params(self) -> dict[str, Any]:
        return {"mode": self.mode}


@pytest.mark.parametrize(
    "mode", ["above-one", "nan", "negative", "rises", "not-one-at-zero", "shape"]
)
def test_decay_breaking_the_contract_is_an_error_naming_the_plugin(mode: str) -> None:
    ch.register_plugin(decay_plugin(ch.DecayProvider("bad", BadDecay)), name="rogue")
    with pytest.raises(ch.DecayError, match=r"'bad'.*plugin 'rogue'"):
        ch.get_decay("bad", mode=mode)
    with pytest.raises(AssertionError):
        check_decay(BadDecay(mode))


def test_decay_factory_returning_a_non_decay_is_an_error() -> None:
    provider = ch.DecayProvider("fake", lambda: "not a decay")
    ch.register_plugin(decay_plugin(provider), name="fake-p")
    with pytest.raises(ch.PluginError, match=r"'fake-p'.*'fake'"):
        ch.get_decay("fake")


def test_check_scheme_catches_broken_lookups() -> None:
    class Liar(ch.WeightScheme):
        def weight(self, code: str) -> float:
            return 0.0

    liar = Liar(codes=["a", "b"], weights=[1.0, 2.0], name="liar")
    with pytest.raises(AssertionError, match="weight"):
        check_scheme(liar)
    check_scheme(toy_scheme())


def test_lookups_are_rebuilt_after_registration_changes() -> None:
    before: Callable[[], list[str]] = ch.list_schemes
    first = set(before())
    plugin = scheme_plugin(toy_scheme("late"))
    ch.register_plugin(plugin)
    assert set(ch.list_schemes()) == first | {"late"}
    ch.unregister_plugin(plugin)
    assert set(ch.list_schemes()) == first


# -- issue 10: a broken plugin never crashes the command line -------------------------------------


def test_entry_point_calling_sys_exit_only_warns(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_entry_points(monkeypatch, FakeEntryPoint("exiting-force", SystemExit(3)))
    with pytest.warns(ch.PluginWarning, match=r"'exiting-force'.*SystemExit"):
        assert set(ch.list_schemes()) >= BUILTIN_SCHEMES


def test_cli_with_a_plugin_calling_sys_exit_warns_in_one_line_and_works(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from crimeharm import cli

    fake_entry_points(monkeypatch, FakeEntryPoint("exiting-force", SystemExit(3)))
    status = cli.main(["schemes", "--format", "csv"])
    out, err = capsys.readouterr()
    assert status == 0
    assert "cchi-2020" in out
    lines = err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("crimeharm: warning: crimeharm plugin 'exiting-force'")


def test_scheme_loader_raising_type_error_is_an_error_naming_the_plugin() -> None:
    def load() -> ch.WeightScheme:
        return ch.WeightScheme.from_mapping(None)  # type: ignore[arg-type]  # a plugin's bug

    ch.register_plugin(scheme_plugin(ch.SchemeProvider(name="buggy", load=load)), name="bug-p")
    with pytest.raises(ch.PluginError, match=r"'bug-p'.*'buggy'.*failed to load"):
        ch.get_scheme("buggy")


def test_scheme_options_a_loader_does_not_take_are_still_a_type_error() -> None:
    provider = ch.SchemeProvider(name="plain", load=lambda: toy_scheme("plain"))
    ch.register_plugin(scheme_plugin(provider), name="plain-p")
    with pytest.raises(TypeError, match="bad options"):
        ch.get_scheme("plain", colour="red")


def test_decay_parameter_of_the_wrong_kind_is_a_decay_error() -> None:
    with pytest.raises(ch.DecayError, match=r"decay 'linear': bad parameters \['horizon_days'\]"):
        ch.get_decay("linear", horizon_days="abc")


def test_decay_factory_calling_sys_exit_is_an_error_naming_the_plugin() -> None:
    def factory() -> Any:
        raise SystemExit(2)

    ch.register_plugin(decay_plugin(ch.DecayProvider(name="quits", factory=factory)), name="q-p")
    with pytest.raises(ch.PluginError, match=r"'q-p'.*'quits'.*SystemExit"):
        ch.get_decay("quits")


@attrs.frozen
class LookupDecay:
    """A buggy plugin decay: a dict lookup that has no entry for ages past ``known`` days."""

    name: ClassVar[str] = "lookup"
    known: int = 4000

    def factor(self, age_days: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        table = dict.fromkeys(range(self.known), 1.0)
        return np.array([table[int(a)] for a in np.asarray(age_days)], dtype=np.float64)

    def params(self) -> dict[str, Any]:
        return {"known": self.known}


def test_a_decay_whose_factor_raises_is_a_decay_error_naming_it_and_its_plugin() -> None:
    ch.register_plugin(decay_plugin(LookupDecay), name="buggy-decays")
    scheme = toy_scheme(a=8.0)
    ev = ch.Events(offender_id=[1], offence_code=["a"], date=[AS_OF - np.timedelta64(5000, "D")])
    with pytest.raises(
        ch.DecayError, match=r"decay 'lookup' \(from plugin 'buggy-decays'\).*KeyError: 4000"
    ) as caught:
        ch.score(ev, scheme, as_of=AS_OF, decay="lookup")
    assert isinstance(caught.value.__cause__, KeyError)
    ch.unregister_plugin("buggy-decays")
    # a decay object passed directly (no plugin) is named too
    with pytest.raises(ch.DecayError, match=r"decay 'lookup' failed in factor\(\)"):
        ch.score(ev, scheme, as_of=AS_OF, decay=LookupDecay(known=10))
