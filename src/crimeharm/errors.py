"""Exceptions raised by crimeharm.

Every error is a [`CrimeHarmError`][crimeharm.CrimeHarmError]; each subclass also inherits the
builtin a caller would expect (``ValueError``, ``LookupError``, ...), so ``except ValueError`` keeps
working.
"""

from __future__ import annotations

__all__ = [
    "CrimeHarmError",
    "DataError",
    "DecayError",
    "EventsError",
    "MissingDependencyError",
    "ParameterError",
    "PluginError",
    "PluginWarning",
    "SchemeError",
    "UnknownCodeError",
    "UnknownNameError",
]


class CrimeHarmError(Exception):
    """Base class of every error raised by crimeharm."""


class ParameterError(CrimeHarmError, ValueError):
    """A function argument is out of range or of the wrong kind (as_of, window_days, n, ...)."""


class DataError(CrimeHarmError, ValueError):
    """Input data is malformed; says where (source, row or file line, column) and what was got.

    Attributes are kept so callers can act on them; ``count`` is how many rows share the problem.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        row: int | None = None,
        column: str | None = None,
        value: object = None,
        count: int = 1,
    ) -> None:
        super().__init__(message)
        self.source = source
        self.row = row
        self.column = column
        self.value = value
        self.count = count


class EventsError(DataError):
    """An events table is malformed (missing values, unparseable dates, ragged columns, ...)."""


class SchemeError(DataError):
    """A weight scheme is malformed (duplicate codes, negative or non-finite weights, ...)."""


class DecayError(CrimeHarmError, ValueError):
    """A decay has bad parameters or breaks the contract (factor in [0, 1], non-increasing)."""


class UnknownCodeError(DataError, LookupError):
    """Events carry offence codes that the weight scheme does not have."""


class UnknownNameError(CrimeHarmError, LookupError):
    """No scheme or decay is registered under the requested name."""

    def __str__(self) -> str:  # LookupError would repr() the message; keep it readable
        return str(self.args[0]) if self.args else ""


class PluginError(CrimeHarmError, RuntimeError):
    """A plugin broke the hook contract; the message names the plugin, the hook and the value."""


class MissingDependencyError(CrimeHarmError, ImportError):
    """An optional dependency is needed; the message names the extra to install."""


class PluginWarning(UserWarning):
    """A plugin failed to load or a hook raised; the plugin was skipped, the host carries on."""
