"""Ranking order: harm descending, ties broken by offender id ascending — always deterministic."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import ParameterError

__all__ = ["percentile_ranks", "ranking_order", "ranks", "top_indices"]

IntpArray = npt.NDArray[np.intp]


def ranking_order(offender_id: npt.NDArray[Any], harm: npt.NDArray[np.float64]) -> IntpArray:
    """Indices that sort offenders by harm descending, then offender id ascending."""
    return np.lexsort((offender_id, -harm)).astype(np.intp, copy=False)


def top_indices(offender_id: npt.NDArray[Any], harm: npt.NDArray[np.float64], n: int) -> IntpArray:
    """Indices of the first ``n`` offenders in ranking order (all of them if fewer)."""
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 0:
        msg = f"n must be a whole number >= 0 (got {n!r})"
        raise ParameterError(msg)
    m = harm.size
    if n == 0 or m == 0:
        return np.empty(0, dtype=np.intp)
    if n >= m:
        return ranking_order(offender_id, harm)
    threshold = np.partition(harm, m - n)[m - n]  # the n-th largest harm
    candidates = np.flatnonzero(harm >= threshold)  # ties at the threshold all compete on id
    order = ranking_order(offender_id[candidates], harm[candidates])[:n]
    return candidates[order]


def ranks(offender_id: npt.NDArray[Any], harm: npt.NDArray[np.float64]) -> IntpArray:
    """1-based rank of every offender (1 = most harm; no shared ranks: ties go by id)."""
    order = ranking_order(offender_id, harm)
    out = np.empty(harm.size, dtype=np.intp)
    out[order] = np.arange(1, harm.size + 1, dtype=np.intp)
    return out


def percentile_ranks(harm: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Percent of offenders whose harm is at most each offender's harm, in (0, 100].

    The top offender gets 100; equal harms share a percentile.
    """
    if harm.size == 0:
        return np.empty(0, dtype=np.float64)
    at_most = np.searchsorted(np.sort(harm), harm, side="right")
    return 100.0 * at_most / harm.size
