"""The plugin registry: a pluggy manager built on first use; name -> scheme/decay/scorer lookups.

Built-ins register through the same hooks as third-party plugins (``crimeharm.builtin.hooks``).
Installed plugins are found through the ``crimeharm`` entry-point group; set
``CRIMEHARM_DISABLE_PLUGINS=name1,name2`` to skip some. A plugin that fails to import, or whose hook
raises, is skipped with a [`PluginWarning`][crimeharm.PluginWarning]; a duplicate name or a
malformed return value is a [`PluginError`][crimeharm.PluginError] naming the plugin, the hook and
the value.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import attrs
import pluggy

from . import hookspecs
from .core.crosswalk import Crosswalk
from .core.decay import Decay, decay_table
from .core.schemes import WeightScheme
from .errors import (
    CrimeHarmError,
    DecayError,
    ParameterTypeError,
    PluginError,
    PluginWarning,
    UnknownNameError,
)
from .kernels import KernelProvider

__all__ = [
    "DISABLE_ENV",
    "DecayProvider",
    "SchemeProvider",
    "ScorerProvider",
    "ScoringModel",
    "get_crosswalk",
    "get_decay",
    "get_scheme",
    "get_scorer",
    "list_crosswalks",
    "list_decays",
    "list_schemes",
    "list_scorers",
    "register_plugin",
    "scheme_info",
    "unregister_plugin",
]

DISABLE_ENV = "CRIMEHARM_DISABLE_PLUGINS"
ENTRY_POINT_GROUP = "crimeharm"
_BUILTIN = "crimeharm.builtin.hooks"


@attrs.frozen
class SchemeProvider:
    """A weight scheme offered by a plugin, loaded on first use.

    ``load(**options)`` returns the [`WeightScheme`][crimeharm.WeightScheme]; the metadata here lets
    ``list_schemes`` and ``crimeharm schemes`` describe it without loading it.
    """

    name: str
    load: Callable[..., WeightScheme]
    version: str = ""
    unit: str = ""
    source: str = ""
    key_system: str = "ho"
    description: str = ""

    @classmethod
    def from_file(cls, path: str | os.PathLike[str], name: str | None = None) -> SchemeProvider:
        """A provider for a published scheme file (``.toml`` or ``.csv`` with a metadata
        header): a plugin can ship such a file instead of code. The metadata is read now, the
        weights on first use."""
        from .core.schemefile import scheme_file_header

        file = Path(path)
        meta = scheme_file_header(file)
        label = name or meta.get("name") or file.stem

        def load() -> WeightScheme:
            scheme = WeightScheme.from_file(file)
            return scheme if scheme.name == label else attrs.evolve(scheme, name=label)

        return cls(
            name=label,
            load=load,
            version=meta.get("version", ""),
            unit=meta.get("unit", ""),
            source=meta.get("source", str(file.name)),
            key_system=meta.get("key_system", "ho"),
            description=meta.get("description", f"from scheme file {file.name}"),
        )


@attrs.frozen
class DecayProvider:
    """A decay offered by a plugin: ``factory(**params)`` returns a [`Decay`][crimeharm.Decay]."""

    name: str
    factory: Callable[..., Decay]
    description: str = ""


@runtime_checkable
class ScoringModel(Protocol):
    """What a scorer plugin's factory returns: a name and a ``score`` method."""

    @property
    def name(self) -> str:
        """The scorer's registered name."""
        ...

    def score(self, events: Any, scheme: Any, *, as_of: Any) -> Any:
        """Score ``events`` with weights from ``scheme`` as of a date; returns a result object.

        Implementations may take further keyword options (with defaults).
        """
        ...


@attrs.frozen
class ScorerProvider:
    """A scoring model offered by a plugin: ``factory(**params)`` returns a ``ScoringModel``
    (an object with ``name`` and ``score(events, scheme, *, as_of, **options)``)."""

    name: str
    factory: Callable[..., ScoringModel]
    description: str = ""


@attrs.frozen
class _Entry:
    provider: Any
    plugin: str


class Registry:
    """Schemes, decays and scorers by name, from every registered plugin (thread-safe, lazy)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._pm: pluggy.PluginManager | None = None
        self._schemes: dict[str, _Entry] | None = None
        self._decays: dict[str, _Entry] | None = None
        self._scorers: dict[str, _Entry] | None = None
        self._crosswalks: dict[str, _Entry] | None = None
        self._kernels: dict[str, _Entry] | None = None
        self._loaded: dict[tuple[str, tuple[tuple[str, Any], ...]], WeightScheme] = {}

    @property
    def manager(self) -> pluggy.PluginManager:
        """The pluggy manager, built on first use: specs, entry points, built-ins."""
        with self._lock:
            if self._pm is None:
                pm = pluggy.PluginManager(hookspecs.PROJECT)
                pm.add_hookspecs(hookspecs)
                from .builtin import hooks as builtin

                pm.register(builtin, name=_BUILTIN)
                _load_entry_points(pm)
                pm.check_pending()
                self._pm = pm
            return self._pm

    def register(self, plugin: object, name: str | None = None) -> str:
        """Register a plugin object or module at run time; returns its name."""
        with self._lock:
            try:
                registered = self.manager.register(plugin, name=name)
                self.manager.check_pending()
            except (ValueError, pluggy.PluginValidationError) as exc:
                msg = f"cannot register plugin {name or plugin!r}: {exc}"
                raise PluginError(msg) from exc
            self._invalidate()
            return str(registered)

    def unregister(self, plugin: object | str) -> None:
        """Remove a plugin registered earlier (by object or by name)."""
        with self._lock:
            registered = (
                self.manager.has_plugin(plugin)
                if isinstance(plugin, str)
                else self.manager.is_registered(plugin)
            )
            if not registered:
                shown = plugin if isinstance(plugin, str) else type(plugin).__name__
                msg = f"no crimeharm plugin {shown!r} is registered; nothing to unregister"
                raise UnknownNameError(msg)
            if isinstance(plugin, str):
                self.manager.unregister(name=plugin)
            else:
                self.manager.unregister(plugin)
            self._invalidate()

    def _invalidate(self) -> None:
        self._schemes = self._decays = self._scorers = self._crosswalks = self._kernels = None
        self._loaded.clear()

    def _collect(self, hook_name: str) -> dict[str, _Entry]:
        hook = getattr(self.manager.hook, hook_name)
        found: dict[str, _Entry] = {}
        for impl in reversed(hook.get_hookimpls()):  # registration order
            plugin = impl.plugin_name
            try:
                items = impl.function()
            except (Exception, SystemExit) as exc:  # a broken plugin must not take the host down
                warnings.warn(
                    f"crimeharm plugin {plugin!r}: hook {hook_name} raised "
                    f"{type(exc).__name__}: {exc}; its entries were skipped",
                    PluginWarning,
                    stacklevel=4,
                )
                continue
            if not isinstance(items, (list, tuple)):
                msg = (
                    f"crimeharm plugin {plugin!r}: hook {hook_name} must return a list "
                    f"(got {type(items).__name__})"
                )
                raise PluginError(msg)
            for item in items:
                if _is_data_file(item):
                    item = _from_file(item, plugin, hook_name)
                name = _provider_name(item, plugin, hook_name)
                if name in found:
                    msg = (
                        f"{_kind(hook_name)} name {name!r} is registered twice: by plugin "
                        f"{found[name].plugin!r} and by plugin {plugin!r}"
                    )
                    raise PluginError(msg)
                found[name] = _Entry(item, plugin)
        return found

    def schemes(self) -> dict[str, _Entry]:
        """Scheme entries by name."""
        with self._lock:
            if self._schemes is None:
                self._schemes = self._collect("crimeharm_register_schemes")
            return self._schemes

    def decays(self) -> dict[str, _Entry]:
        """Decay entries by name."""
        with self._lock:
            if self._decays is None:
                self._decays = self._collect("crimeharm_register_decays")
            return self._decays

    def scorers(self) -> dict[str, _Entry]:
        """Scoring-model entries by name."""
        with self._lock:
            if self._scorers is None:
                self._scorers = self._collect("crimeharm_register_scorers")
            return self._scorers

    def crosswalks(self) -> dict[str, _Entry]:
        """Crosswalk entries by name."""
        with self._lock:
            if self._crosswalks is None:
                self._crosswalks = self._collect("crimeharm_register_crosswalks")
            return self._crosswalks

    def kernels(self) -> dict[str, _Entry]:
        """Kernel entries by name (``crimeharm.kernels.get_kernel`` resolves built-ins itself)."""
        with self._lock:
            if self._kernels is None:
                self._kernels = self._collect("crimeharm_register_kernels")
            return self._kernels

    def get_kernel(self, name: str) -> Any:
        """A kernel by name, built by its provider's factory."""
        entry = _lookup(self.kernels(), name, "kernel")
        try:
            kernel = entry.provider.factory()
        except CrimeHarmError:
            raise
        except (Exception, SystemExit) as exc:
            msg = (
                f"crimeharm plugin {entry.plugin!r}: kernel {name!r} failed to build: "
                f"{type(exc).__name__}: {exc}"
            )
            raise PluginError(msg) from exc
        methods = ("group", "totals", "sums", "aggregate")
        if not all(callable(getattr(kernel, m, None)) for m in methods):
            msg = (
                f"crimeharm plugin {entry.plugin!r}: kernel {name!r} must provide group(), "
                f"totals(), sums() and aggregate() (got {type(kernel).__name__})"
            )
            raise PluginError(msg)
        return kernel

    def get_scheme(self, name: str, **options: Any) -> WeightScheme:
        """The scheme registered as ``name``, loaded once per set of options."""
        entry = _lookup(self.schemes(), name, "weight scheme")
        key = (name, tuple(sorted(options.items())))
        with self._lock:
            if key in self._loaded:
                return self._loaded[key]
        item = entry.provider
        where = f"crimeharm plugin {entry.plugin!r}: scheme {name!r}"
        if isinstance(item, WeightScheme):
            if options:
                msg = f"weight scheme {name!r} takes no options (got {sorted(options)})"
                raise ParameterTypeError(msg)
            scheme = item
        else:
            _check_options(item.load, options, f"weight scheme {name!r}")
            try:
                scheme = item.load(**options)
            except TypeError as exc:
                if entry.plugin == _BUILTIN:  # an option the loader does not take: the caller's
                    msg = f"weight scheme {name!r}: {exc}"
                    raise ParameterTypeError(msg) from exc
                msg = f"{where} failed to load: TypeError: {exc}"
                raise PluginError(msg) from exc
            except CrimeHarmError as exc:
                if entry.plugin == _BUILTIN:
                    raise  # a bad option to a built-in scheme is the caller's error, not a plugin's
                msg = f"{where} failed to load: {exc}"
                raise PluginError(msg) from exc
            except (Exception, SystemExit) as exc:
                msg = f"{where} failed to load: {type(exc).__name__}: {exc}"
                raise PluginError(msg) from exc
            if not isinstance(scheme, WeightScheme):
                msg = f"{where}: load() must return a WeightScheme (got {type(scheme).__name__})"
                raise PluginError(msg)
        with self._lock:
            self._loaded[key] = scheme
        return scheme

    def get_decay(self, name: str, **params: Any) -> Decay:
        """A decay by name with its parameters, checked against the decay contract."""
        entry = _lookup(self.decays(), name, "decay")
        factory = entry.provider.factory if isinstance(entry.provider, DecayProvider) else None
        factory = factory or entry.provider
        try:
            decay = factory(**params)
        except CrimeHarmError:
            raise
        except TypeError as exc:
            msg = f"decay {name!r}: {exc}"
            raise ParameterTypeError(msg) from exc
        except ValueError as exc:  # a parameter of the wrong kind or out of range
            detail = " ".join(str(exc).split()) or type(exc).__name__
            msg = f"decay {name!r}: bad parameters {sorted(params)} ({detail})"
            raise DecayError(msg) from exc
        except (Exception, SystemExit) as exc:
            msg = (
                f"crimeharm plugin {entry.plugin!r}: decay {name!r} failed to build: "
                f"{type(exc).__name__}: {exc}"
            )
            raise PluginError(msg) from exc
        if not isinstance(decay, Decay):
            msg = (
                f"crimeharm plugin {entry.plugin!r}: decay {name!r} must provide name, factor() "
                f"and params() (got {type(decay).__name__})"
            )
            raise PluginError(msg)
        if entry.plugin != _BUILTIN:
            decay_table(decay, 3660, source=f"plugin {entry.plugin!r}")
        return decay

    def get_scorer(self, name: str, **params: Any) -> ScoringModel:
        """A scorer by name, built by its factory with ``params``."""
        entry = _lookup(self.scorers(), name, "scorer")
        try:
            scorer = entry.provider.factory(**params)
        except CrimeHarmError:
            raise
        except TypeError as exc:
            msg = f"scorer {name!r}: {exc}"
            raise ParameterTypeError(msg) from exc
        except Exception as exc:
            msg = (
                f"crimeharm plugin {entry.plugin!r}: scorer {name!r} failed to build: "
                f"{type(exc).__name__}: {exc}"
            )
            raise PluginError(msg) from exc
        if not isinstance(scorer, ScoringModel):
            msg = (
                f"crimeharm plugin {entry.plugin!r}: scorer {name!r} must provide name and "
                f"score() (got {type(scorer).__name__})"
            )
            raise PluginError(msg)
        return scorer


def _check_options(function: Any, options: Mapping[str, Any], what: str) -> None:
    """ParameterTypeError (the caller's mistake) if ``function`` cannot take ``options``."""
    import inspect

    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):  # no signature to check: let the call decide
        return
    try:
        signature.bind(**options)
    except TypeError as exc:
        msg = f"{what}: bad options {sorted(options)} ({exc})"
        raise ParameterTypeError(msg) from None


def _is_data_file(item: Any) -> bool:
    """A path (``Path``, or a string ending .toml/.csv) that a hook returned for a data file."""
    if isinstance(item, os.PathLike):
        return True
    return isinstance(item, str) and item.lower().endswith((".toml", ".csv"))


def _from_file(item: str | os.PathLike[str], plugin: str, hook_name: str) -> Any:
    """A scheme provider or crosswalk read from a file a plugin ships (plain data only)."""
    try:
        if "crosswalk" in hook_name:
            return Crosswalk.from_file(item)
        if "scheme" in hook_name:
            return SchemeProvider.from_file(item)
    except CrimeHarmError as exc:
        msg = f"crimeharm plugin {plugin!r}: hook {hook_name}: {exc}"
        raise PluginError(msg) from exc
    return item


def _kind(hook_name: str) -> str:
    if "kernel" in hook_name:
        return "kernel"
    if "scorer" in hook_name:
        return "scorer"
    if "crosswalk" in hook_name:
        return "crosswalk"
    return "weight scheme" if "scheme" in hook_name else "decay"


def _provider_name(item: Any, plugin: str, hook_name: str) -> str:
    if "kernel" in hook_name:
        ok = isinstance(item, KernelProvider)
        expected = "KernelProvider"
    elif "scorer" in hook_name:
        ok = isinstance(item, ScorerProvider)
        expected = "ScorerProvider"
    elif "crosswalk" in hook_name:
        ok = isinstance(item, Crosswalk)
        expected = "Crosswalk or crosswalk file path"
    elif "scheme" in hook_name:
        ok = isinstance(item, (SchemeProvider, WeightScheme))
        expected = "SchemeProvider or WeightScheme"
    else:
        ok = isinstance(item, DecayProvider) or (isinstance(item, type) and hasattr(item, "name"))
        expected = "DecayProvider"
    name = getattr(item, "name", None)
    if not ok or not isinstance(name, str) or not name:
        msg = (
            f"crimeharm plugin {plugin!r}: hook {hook_name} returned {item!r}; "
            f"expected a {expected} with a non-empty name"
        )
        raise PluginError(msg)
    return name


def _lookup(entries: Mapping[str, _Entry], name: str, kind: str) -> _Entry:
    if name not in entries:
        available = ", ".join(sorted(entries)) or "(none)"
        msg = f"Unknown {kind} {name!r}; available: {available}"
        raise UnknownNameError(msg)
    return entries[name]


def entry_points(**params: Any) -> Any:
    """``importlib.metadata.entry_points``, imported on first use (it is slow to import)."""
    from importlib.metadata import entry_points as _entry_points

    return _entry_points(**params)


def _load_entry_points(pm: pluggy.PluginManager) -> None:
    blocked = {s.strip() for s in os.environ.get(DISABLE_ENV, "").split(",") if s.strip()}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in blocked or pm.get_plugin(ep.name) is not None or pm.is_blocked(ep.name):
            continue
        try:
            pm.register(ep.load(), name=ep.name)
        except (Exception, SystemExit) as exc:  # a broken plugin must not take the host down
            warnings.warn(
                f"crimeharm plugin {ep.name!r} ({ep.value}) failed to load and was skipped: "
                f"{type(exc).__name__}: {exc}",
                PluginWarning,
                stacklevel=5,
            )


REGISTRY = Registry()


#: File name endings that make a scheme name a scheme file (``WeightScheme.from_file``).
SCHEME_FILE_SUFFIXES = (".toml", ".csv")


def get_scheme(name: str, **options: Any) -> WeightScheme:
    """The weight scheme ``name``: a registered name (``"cchi-2020"`` is built in), a scheme
    file (a path ending ``.toml`` or ``.csv``, read by
    [`WeightScheme.from_file`][crimeharm.WeightScheme.from_file]), or either followed by
    derivation steps (``"cchi-2020+log1p"``, ``"ons-css-ho+cap(365)+log1p"``; see
    [`WeightScheme.derive`][crimeharm.WeightScheme.derive] and ``crimeharm.core.derive``).

    Options go to the registered scheme's loader, e.g.
    ``get_scheme("ons-css-ho+log1p", conflicts="max")``; a scheme file takes none.
    """
    given: object = name  # callers without type checking may pass anything
    registered = REGISTRY.schemes()
    if not isinstance(given, str) or name in registered:
        return REGISTRY.get_scheme(name, **options)
    if _is_scheme_file(name):
        return _scheme_file(name, options)
    for i, char in enumerate(name):
        base = name[:i]
        if char == "+" and (base in registered or _is_scheme_file(base)):
            from .core.derive import apply_steps, parse_steps

            steps = parse_steps(name, name[i + 1 :])
            return apply_steps(get_scheme(base, **options), steps, get_scheme)
    if name.lower().endswith(SCHEME_FILE_SUFFIXES):
        msg = f"Unknown weight scheme {name!r}: no scheme is registered by that name and no file"
        raise UnknownNameError(msg)
    try:
        return REGISTRY.get_scheme(name, **options)
    except UnknownNameError as exc:
        if "+" not in name:
            raise
        from .core.derive import STEP_SYNTAX

        msg = f"{exc}; a derived scheme is a scheme name, '+' and steps: {STEP_SYNTAX}"
        raise UnknownNameError(msg) from None


def _is_scheme_file(name: str) -> bool:
    return name.lower().endswith(SCHEME_FILE_SUFFIXES) and Path(name).is_file()


def _scheme_file(path: str, options: Mapping[str, Any]) -> WeightScheme:
    if options:
        msg = f"weight scheme file {path!r} takes no options (got {sorted(options)})"
        raise ParameterTypeError(msg)
    return WeightScheme.from_file(path)


def get_decay(name: str, **params: Any) -> Decay:
    """A decay by name: ``"none"``, ``"exponential"`` (half_life_days), ``"linear"``
    (horizon_days), ``"step"`` (bands), or one a plugin registered."""
    return REGISTRY.get_decay(name, **params)


def list_schemes() -> list[str]:
    """Names of every registered weight scheme, sorted."""
    return sorted(REGISTRY.schemes())


def list_decays() -> list[str]:
    """Names of every registered decay, sorted."""
    return sorted(REGISTRY.decays())


def get_scorer(name: str, **params: Any) -> ScoringModel:
    """A scoring model by name: ``"rfg"``, ``"rfgv"`` (see
    [`crimeharm.RFGModel`][crimeharm.RFGModel] for the parameters), or one a plugin registered. Use
    it as ``scorer.score(events, scheme, as_of=...)``.
    """
    return REGISTRY.get_scorer(name, **params)


def get_crosswalk(name: str) -> Crosswalk:
    """The crosswalk registered as ``name`` (built in: ``ho-to-ons``, ``athena-to-ons``,
    ``cjs-to-ons``, ``police-uk-to-ons``; plugins add a force's own)."""
    entry = _lookup(REGISTRY.crosswalks(), name, "crosswalk")
    return entry.provider  # type: ignore[no-any-return]


def list_crosswalks() -> list[str]:
    """Names of every registered crosswalk, sorted."""
    return sorted(REGISTRY.crosswalks())


def list_scorers() -> list[str]:
    """Names of every registered scorer, sorted."""
    return sorted(REGISTRY.scorers())


def scheme_info() -> list[dict[str, str]]:
    """Name, version, unit, key system, source and providing plugin of every scheme."""
    out = []
    for name, entry in sorted(REGISTRY.schemes().items()):
        item = entry.provider
        out.append(
            {
                "name": name,
                "version": item.version,
                "unit": item.unit,
                "key_system": item.key_system,
                "source": item.source,
                "description": item.description,
                "plugin": entry.plugin,
            }
        )
    return out


def register_plugin(plugin: object, name: str | None = None) -> str:
    """Register a plugin (module or object with ``@hookimpl`` functions) at run time."""
    return REGISTRY.register(plugin, name)


def unregister_plugin(plugin: object | str) -> None:
    """Undo [`register_plugin`][crimeharm.register_plugin] (by object or by the name it
    returned).
    """
    REGISTRY.unregister(plugin)


def source_of_decay(decay: Decay) -> str:
    """'plugin NAME' for a decay a non-built-in plugin provides, else '' (for messages)."""
    entry = REGISTRY.decays().get(getattr(decay, "name", ""))
    if entry is None or entry.plugin == _BUILTIN:
        return ""
    return f"plugin {entry.plugin!r}"
