"""Import optional dependencies on first use, with a message naming the extra to install."""

from __future__ import annotations

import importlib
from types import ModuleType

from .errors import MissingDependencyError

__all__ = ["require"]


def require(module: str, extra: str) -> ModuleType:
    """Import ``module`` or raise [`MissingDependencyError`][crimeharm.MissingDependencyError]
    naming ``crimeharm[extra]``.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        msg = f"{module} is needed for this; install it with: pip install 'crimeharm[{extra}]'"
        raise MissingDependencyError(msg) from exc
