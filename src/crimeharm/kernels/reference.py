"""The numpy reference kernel: hash grouping (``.hashing``) and exact bincount sums."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from . import GroupTotals
from .hashing import group_unordered
from .summation import CHUNK_ROWS, ExactSums, exact_group_sums
from .threads import thread_limit

if TYPE_CHECKING:
    from . import Kernel

__all__ = ["KERNEL", "NumpyKernel", "aggregate_with"]


class NumpyKernel:
    """numpy only: the default, and the reference for every other kernel."""

    name = "numpy"

    def group(
        self, keys: npt.NDArray[Any], *, threads: int | None = None
    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[Any]]:
        """``(label, distinct)`` by hashing (see ``group_unordered``)."""
        with thread_limit(threads):
            return group_unordered(keys)

    def totals(
        self,
        label: npt.NDArray[np.intp],
        size: int,
        value: npt.NDArray[np.float64],
        age: npt.NDArray[np.integer],
        *,
        threads: int | None = None,
    ) -> GroupTotals:
        """Exact harm, counts and age range per label (one thread: numpy's bincount)."""
        count = np.bincount(label, minlength=size).astype(np.int64, copy=False)
        big = np.iinfo(np.int64)
        youngest = np.full(size, big.max, dtype=np.int64)
        oldest = np.full(size, big.min, dtype=np.int64)
        for start in range(0, label.size, CHUNK_ROWS):  # int64 ages a chunk at a time
            rows = slice(start, start + CHUNK_ROWS)
            a = age[rows].astype(np.int64, copy=False)
            np.minimum.at(youngest, label[rows], a)
            np.maximum.at(oldest, label[rows], a)
        return GroupTotals(exact_group_sums(label, value, size), count, youngest, oldest)

    def sums(
        self, label: npt.NDArray[np.intp], size: int, value: npt.NDArray[np.float64]
    ) -> ExactSums:
        """Exact harm per label (the same integers as ``totals``)."""
        return exact_group_sums(label, value, size)

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
        """``(distinct, totals, label)``: group by key and total in one call.

        Every key is grouped; only rows where ``counted`` is true (all rows if None) are
        totalled, so a key whose rows are all uncounted has count 0. ``label`` is returned
        only if ``with_label`` (else None). ``distinct`` is in no particular order.
        """
        return aggregate_with(self, keys, value, age, counted, with_label, threads)


def aggregate_with(
    kernel: Kernel,
    keys: npt.NDArray[Any],
    value: npt.NDArray[np.float64],
    age: npt.NDArray[np.integer],
    counted: npt.NDArray[np.bool_] | None,
    with_label: bool,
    threads: int | None,
) -> tuple[npt.NDArray[Any], GroupTotals, npt.NDArray[np.intp] | None]:
    """``NumpyKernel.aggregate`` as ``kernel.group`` then ``kernel.totals``."""
    label, distinct = kernel.group(np.asarray(keys), threads=threads)
    value = np.asarray(value, dtype=np.float64)
    age = np.asarray(age)
    rows, v, a = label, value, age
    if counted is not None:
        keep = np.flatnonzero(np.asarray(counted, dtype=np.bool_))
        rows, v, a = label[keep], value[keep], age[keep]
    totals = kernel.totals(rows, int(distinct.size), v, a, threads=threads)
    return distinct, totals, label if with_label else None


KERNEL = NumpyKernel()
