"""Array kernels: grouping rows by key and exact per-group sums.

``.reference`` is the numpy implementation, always available and the reference every other
kernel is tested against, result for result. A compiled kernel (``crimeharm[fast]``) provides
the same two functions; ``get_kernel`` chooses. Totals are exact integers
(``ExactSums``), so every kernel, thread count and chunking gives the same
float, bit for bit.
"""

from __future__ import annotations

from typing import Any, Protocol

import attrs
import numpy as np
import numpy.typing as npt

from .summation import ExactSums

__all__ = ["GroupTotals", "Kernel", "get_kernel"]


@attrs.frozen(eq=False)
class GroupTotals:
    """Per-group totals of the counted rows: exact harm, row count, youngest and oldest age."""

    harm: ExactSums
    count: npt.NDArray[np.int64]
    min_age: npt.NDArray[np.int64]
    max_age: npt.NDArray[np.int64]


class Kernel(Protocol):
    """What a kernel provides (the numpy reference: ``crimeharm.kernels.reference``)."""

    name: str

    def group(self, keys: npt.NDArray[Any]) -> tuple[npt.NDArray[np.intp], npt.NDArray[Any]]:
        """``(label, distinct)``: ``distinct[label] == keys``, distinct in no particular order."""
        ...

    def totals(
        self,
        label: npt.NDArray[np.intp],
        size: int,
        value: npt.NDArray[np.float64],
        age: npt.NDArray[np.integer],
    ) -> GroupTotals:
        """Totals per label in ``range(size)`` (groups with no row: count 0)."""
        ...


def get_kernel(name: str | None = None) -> Kernel:
    """The kernel by name (``"numpy"``), or the default one (``None``)."""
    from . import reference

    if name in (None, "numpy"):
        return reference.KERNEL
    from ..errors import ParameterError

    msg = f"unknown kernel {name!r}; available: numpy"
    raise ParameterError(msg)
