"""Per-offender sums of harm contributions that do not depend on the order of the rows.

Plain float64 addition rounds differently for different orders, so two offenders whose harm is
mathematically equal could differ in the last bit and stop being ordered by id. Each
contribution is split into a part on a grid of 2**-20 days and a remainder below 2**-21 days.
Sums of grid parts are exact (below 2**33 days per offender), so only the remainders are
rounded in row order, and their rounding error (under n * 1e-22 days for n contributions) is far
below the last bit of a harm of a day or more: the result is the same in any row order unless
that error straddles a rounding boundary of the result (at most about n in ten million for a
harm of a day; in the tests, never). The split is exact: ``value == high + low``. A harm made
only of contributions below the grid (under 0.08 seconds of custody each) is summed in row
order.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from .hashing import chunks, run_parts

__all__ = ["GRID", "group_sums", "total"]

#: Grid of the exactly summed part of each contribution, in the scheme's unit (days).
GRID = 2.0**-20
_SCALE = 2.0**20


def _split(values: npt.NDArray[np.float64]) -> tuple[npt.NDArray[np.float64], Any]:
    high = np.multiply(values, _SCALE)
    np.rint(high, out=high)
    high *= GRID
    low = np.subtract(values, high)
    return high, low


def group_sums(
    label: npt.NDArray[np.integer], values: npt.NDArray[np.float64], size: int
) -> npt.NDArray[np.float64]:
    """Sum of ``values`` per label in ``range(size)``, independent of row order (see module)."""
    values = np.asarray(values, dtype=np.float64)
    high = np.empty_like(values)
    low = np.empty_like(values)

    def split(start: int, stop: int) -> None:
        for a, b in chunks(start, stop):  # in-cache steps, on worker threads
            h, lo = high[a:b], low[a:b]
            np.multiply(values[a:b], _SCALE, out=h)
            np.rint(h, out=h)
            h *= GRID
            np.subtract(values[a:b], h, out=lo)

    run_parts(split, values.size)
    sums = np.asarray(np.bincount(label, weights=high, minlength=size), dtype=np.float64)
    sums += np.bincount(label, weights=low, minlength=size)
    return sums


def total(values: npt.NDArray[np.float64]) -> float:
    """The sum of one offender's contributions exactly as :func:`group_sums` computes it."""
    if values.size == 0:
        return 0.0
    return float(group_sums(np.zeros(values.size, dtype=np.intp), values, 1)[0])
