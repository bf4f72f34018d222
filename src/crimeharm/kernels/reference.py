"""The numpy reference kernel: hash grouping (``.hashing``) and exact bincount sums."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from . import GroupTotals
from .hashing import group_unordered
from .summation import exact_group_sums

__all__ = ["KERNEL", "NumpyKernel"]


class NumpyKernel:
    """numpy only: the default, and the reference for every other kernel."""

    name = "numpy"

    def group(self, keys: npt.NDArray[Any]) -> tuple[npt.NDArray[np.intp], npt.NDArray[Any]]:
        """``(label, distinct)`` by hashing (see ``group_unordered``)."""
        return group_unordered(keys)

    def totals(
        self,
        label: npt.NDArray[np.intp],
        size: int,
        value: npt.NDArray[np.float64],
        age: npt.NDArray[np.integer],
    ) -> GroupTotals:
        """Exact harm, counts and age range per label."""
        count = np.bincount(label, minlength=size).astype(np.int64, copy=False)
        big = np.iinfo(np.int64)
        youngest = np.full(size, big.max, dtype=np.int64)
        oldest = np.full(size, big.min, dtype=np.int64)
        a = age.astype(np.int64, copy=False)
        np.minimum.at(youngest, label, a)
        np.maximum.at(oldest, label, a)
        return GroupTotals(exact_group_sums(label, value, size), count, youngest, oldest)


KERNEL = NumpyKernel()
