"""Key systems: the code systems a weight scheme's codes may use, with their syntax.

A [`KeySystem`][crimeharm.core.keys.KeySystem] has a short name (``"ho"``), a title, a regular
expression for its code syntax and, where one is shipped, a catalogue of the valid codes (loaded on
first use). With them [`classify_code`][crimeharm.core.keys.classify_code] tells a valid code a
scheme lacks from one that is malformed or not in the catalogue. Register a force's own system with
[`register_key_system`][crimeharm.core.keys.register_key_system].
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from functools import cached_property
from typing import Literal

import attrs

from ..errors import ParameterError

__all__ = [
    "CodeStatus",
    "KeySystem",
    "classify_code",
    "get_key_system",
    "key_systems",
    "register_key_system",
]

#: What a code is, judged against its key system.
#: ``valid``: in the system's catalogue; ``well-formed``: of the system's syntax, but the
#: catalogue lacks it (or the system has none); ``malformed``: not of the system's syntax.
CodeStatus = Literal["valid", "well-formed", "malformed"]


@attrs.frozen(eq=False)
class KeySystem:
    """A code system: ``name``, ``title``, code ``pattern`` and an optional catalogue loader.

    ``catalogue`` is a "module:function" path or a callable returning the collection of valid
    codes; it is loaded on first use (the built-in catalogues are package data).
    """

    name: str
    title: str
    pattern: str
    example: str = ""
    catalogue: str | Callable[[], Collection[str]] | None = None

    @cached_property
    def _regex(self) -> re.Pattern[str]:
        return re.compile(self.pattern)

    @cached_property
    def codes(self) -> Collection[str] | None:
        """The catalogue of valid codes, or None when the system has none."""
        loader = self.catalogue
        if loader is None:
            return None
        if isinstance(loader, str):
            import importlib

            module, _, function = loader.partition(":")
            loader = getattr(importlib.import_module(module), function)
        assert callable(loader)
        return loader()

    def well_formed(self, code: str) -> bool:
        """Whether ``code`` has this system's syntax."""
        return self._regex.fullmatch(code) is not None

    def classify(self, code: str) -> CodeStatus:
        """``valid``, ``well-formed`` or ``malformed`` (see ``CodeStatus``)."""
        codes = self.codes
        if codes is not None and code in codes:
            return "valid"
        return "well-formed" if self.well_formed(code) else "malformed"


_SYSTEMS: dict[str, KeySystem] = {}


def register_key_system(system: KeySystem, *, replace: bool = False) -> KeySystem:
    """Add a key system (a force's records-system codes, say); returns it."""
    if system.name in _SYSTEMS and not replace:
        msg = f"key system {system.name!r} is already registered"
        raise ParameterError(msg)
    _SYSTEMS[system.name] = system
    return system


def key_systems() -> dict[str, KeySystem]:
    """Every registered key system by name."""
    return dict(_SYSTEMS)


def get_key_system(name: str) -> KeySystem:
    """The key system called ``name``; unknown names get a free-form system (any code)."""
    system = _SYSTEMS.get(name)
    if system is None:
        return KeySystem(name, f"{name} codes (not a registered key system)", r"\S(.*\S)?")
    return system


def classify_code(code: str, key_system: str) -> CodeStatus:
    """What ``code`` is in ``key_system``: ``valid``, ``well-formed`` or ``malformed``."""
    return get_key_system(key_system).classify(code)


for _system in (
    KeySystem(
        "ho",
        "Home Office offence classification (category/sub-category)",
        r"\d{3}/\d{2}",
        "001/01",
        "crimeharm.builtin.catalogue:known_ho_codes",
    ),
    KeySystem(
        "athena",
        "Athena / NICHE offence URN",
        r"[0-9A-Z]+(\.[0-9A-Z]+)+",
        "1.1.1.1",
        "crimeharm.builtin.catalogue:athena_urns",
    ),
    KeySystem(
        "cjs",
        "Criminal Justice System offence code",
        r"[A-Z]{2}[A-Z0-9]{2,}",
        "COML025",
        "crimeharm.builtin.catalogue:cjs_codes",
    ),
    KeySystem(
        "ons",
        "ONS / Home Office counting-rules offence code (police-recorded crime)",
        r"\d{1,3}[A-Z]?|\d{1,2}\.\d{1,2}|1/4\.1/4\.10/4\.2",
        "8N",
        "crimeharm.builtin.catalogue:ons_codes",
    ),
    KeySystem(
        "police-uk",
        "police.uk street-level crime category",
        r"[A-Z][A-Za-z ]+",
        "Burglary",
        "crimeharm.builtin.catalogue:police_uk_categories",
    ),
    KeySystem("other", "a force's or researcher's own codes", r"\S(.*\S)?", ""),
):
    register_key_system(_system)
