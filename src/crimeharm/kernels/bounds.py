"""Top-n pruning by bounds: which groups could still be among the n largest.

For loops over settings whose harm is monotone (a longer half-life never lowers an offender's
harm; a wider window never does either), two exact passes bound every group from below and
above, and only the groups returned here need an exact sum under the settings in between:
the others cannot reach the top n. Ties are kept (``>=``), so the exact top n under any
setting between the bounds is always among the candidates.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ..errors import ParameterError

__all__ = ["top_candidates"]


def top_candidates(
    lower: npt.NDArray[np.float64], upper: npt.NDArray[np.float64], n: int
) -> npt.NDArray[np.intp]:
    """Indices of the groups whose ``upper`` bound reaches the n-th largest ``lower`` bound.

    ``lower <= upper`` element-wise (harm under the settings at both ends). Every group of
    the top ``n`` under any setting between the two is among the indices (ascending).
    """
    lower = np.asarray(lower, dtype=np.float64)
    upper = np.asarray(upper, dtype=np.float64)
    if lower.shape != upper.shape or lower.ndim != 1:
        msg = f"lower and upper must be 1-D of one length (got {lower.shape}, {upper.shape})"
        raise ParameterError(msg)
    if n < 1:
        msg = f"n must be at least 1 (got {n})"
        raise ParameterError(msg)
    if lower.size <= n:
        return np.arange(lower.size, dtype=np.intp)
    threshold = np.partition(lower, lower.size - n)[lower.size - n]  # the n-th largest
    return np.flatnonzero(upper >= threshold).astype(np.intp, copy=False)
