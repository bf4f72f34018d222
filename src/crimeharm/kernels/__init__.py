"""Array kernels: grouping rows by key and exact per-group sums.

``.reference`` is the numpy implementation, always available and the reference every other
kernel is tested against, result for result. ``.compiled`` (``pip install crimeharm[fast]``,
numba) does the same on every core. ``get_kernel`` chooses; plugins may add kernels
through the ``crimeharm_register_kernels`` hook. Totals are exact integers
(``ExactSums``), so every kernel, thread count and chunking gives the same
float, bit for bit. Thread counts: ``.threads``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any, Protocol

import attrs
import numpy as np
import numpy.typing as npt

from ..errors import ParameterError
from .summation import ExactSums

__all__ = [
    "COMPILED_MIN_ROWS",
    "COMPILED_WARM_MIN_ROWS",
    "KERNEL_ENV_VAR",
    "GroupTotals",
    "Kernel",
    "KernelProvider",
    "compiled_available",
    "get_kernel",
]

#: Rows from which ``get_kernel(rows=...)`` picks the compiled kernel (when installed): below,
#: importing numba and loading the cached machine code (about 1.1 s once per process, 4 s on
#: the very first call after install) costs more than it saves on one pass (docs/performance.md).
#: Loops that call the kernel many times should pass their total rows.
COMPILED_MIN_ROWS = 1 << 24
#: The same once the compiled kernel is loaded in this process (its cost is paid).
COMPILED_WARM_MIN_ROWS = 1 << 18
#: Environment variable naming the kernel to use (``numpy``, ``numba``, ``auto``).
KERNEL_ENV_VAR = "CRIMEHARM_KERNEL"


@attrs.frozen(eq=False)
class GroupTotals:
    """Per-group totals of the counted rows: exact harm, row count, youngest and oldest age."""

    harm: ExactSums
    count: npt.NDArray[np.int64]
    min_age: npt.NDArray[np.int64]
    max_age: npt.NDArray[np.int64]


class Kernel(Protocol):
    """What a kernel provides (the numpy reference: ``crimeharm.kernels.reference``).

    ``threads`` (None: ``.threads.num_threads``) never changes a result.
    """

    name: str

    def group(
        self, keys: npt.NDArray[Any], *, threads: int | None = None
    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[Any]]:
        """``(label, distinct)``: ``distinct[label] == keys``, distinct in no particular order."""
        ...

    def totals(
        self,
        label: npt.NDArray[np.intp],
        size: int,
        value: npt.NDArray[np.float64],
        age: npt.NDArray[np.integer],
        *,
        threads: int | None = None,
    ) -> GroupTotals:
        """Totals per label in ``range(size)`` (groups with no row: count 0)."""
        ...

    def sums(
        self, label: npt.NDArray[np.intp], size: int, value: npt.NDArray[np.float64]
    ) -> ExactSums:
        """Exact harm per label alone (no counts or ages): the research loops' inner step."""
        ...

    def aggregate(
        self,
        keys: npt.NDArray[Any],
        value: npt.NDArray[np.float64],
        age: npt.NDArray[np.integer],
        *,
        counted: npt.NDArray[np.bool_] | None = None,
        with_label: bool = False,
        threads: int | None = None,
    ) -> tuple[npt.NDArray[Any], GroupTotals, npt.NDArray[np.intp] | None]:
        """``(distinct, totals, label or None)``: group and total (``counted`` rows) at once."""
        ...


@attrs.frozen
class KernelProvider:
    """A kernel offered by a plugin: ``factory()`` returns a ``Kernel``."""

    name: str
    factory: Callable[[], Kernel]
    description: str = ""


def compiled_available() -> bool:
    """Whether numba is installed (checked without importing it)."""
    from importlib.util import find_spec

    return find_spec("numba") is not None


def _builtin(name: str) -> Kernel:
    if name == "numba":
        if not compiled_available():
            from ..errors import MissingDependencyError

            msg = "the numba kernel needs numba: pip install 'crimeharm[fast]'"
            raise MissingDependencyError(msg)
        from . import compiled

        return compiled.KERNEL
    from . import reference

    return reference.KERNEL


def get_kernel(name: str | None = None, *, rows: int | None = None) -> Kernel:
    """The kernel by name, or the best one for ``rows`` input rows (``name`` None or "auto").

    Names: ``"numpy"`` (the reference), ``"numba"`` (``crimeharm[fast]``), or one a plugin
    registered. With no name, ``$CRIMEHARM_KERNEL`` decides if set; else the compiled kernel
    when numba is installed and ``rows >= COMPILED_MIN_ROWS`` (``COMPILED_WARM_MIN_ROWS`` once
    it is loaded in this process; never for ``rows=None``: small inputs must not pay numba's
    import), otherwise numpy.
    """
    if name is None:
        name = os.environ.get(KERNEL_ENV_VAR, "").strip() or None
    if name in (None, "auto"):
        loaded = f"{__name__}.compiled" in sys.modules
        big = rows is not None and rows >= (COMPILED_WARM_MIN_ROWS if loaded else COMPILED_MIN_ROWS)
        return _builtin("numba" if big and compiled_available() else "numpy")
    if name in ("numpy", "numba"):
        return _builtin(name)
    from ..plugins import REGISTRY  # lazy upward call: kernels registered by plugins

    kernels = REGISTRY.kernels()
    if name not in kernels:
        available = ", ".join(sorted({"numpy", "numba", *kernels}))
        msg = f"unknown kernel {name!r}; available: {available}"
        raise ParameterError(msg)
    kernel: Kernel = REGISTRY.get_kernel(name)
    return kernel
