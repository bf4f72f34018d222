"""Top-n pruning by bounds: which groups could still be among the n largest.

For loops over settings whose harm is monotone (a longer half-life never lowers an offender's
harm; a wider window never does either), two exact passes bound every group from below and
above, and only the groups returned here need an exact sum under the settings in between:
the others cannot reach the top n. Ties are kept (``>=``), so the exact top n under any
setting between the bounds is always among the candidates.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import ParameterError

__all__ = ["SETTINGS_PER_BLOCK", "TrackedRanks", "sweep_candidates", "top_candidates"]


def top_candidates(lower: npt.ArrayLike, upper: npt.ArrayLike, n: int) -> npt.NDArray[np.intp]:
    """Indices of the groups whose ``upper`` bound reaches the n-th largest ``lower`` bound.

    ``lower <= upper`` element-wise (harm under the settings at both ends). Every group of
    the top ``n`` under any setting between the two is among the indices (ascending).
    """
    lo = np.asarray(lower, dtype=np.float64)
    hi = np.asarray(upper, dtype=np.float64)
    if lo.shape != hi.shape or lo.ndim != 1:
        msg = f"lower and upper must be 1-D of one length (got {lo.shape}, {hi.shape})"
        raise ParameterError(msg)
    if n < 1:
        msg = f"n must be at least 1 (got {n})"
        raise ParameterError(msg)
    if lo.size <= n:
        return np.arange(lo.size, dtype=np.intp)
    threshold = np.partition(lo, lo.size - n)[lo.size - n]  # the n-th largest
    return np.flatnonzero(hi >= threshold).astype(np.intp, copy=False)


#: Settings bounded together: adjacent settings (ordered by total decay mass) share bounds.
SETTINGS_PER_BLOCK = 8
_MARGIN = 1e-9  # relative slack on float bounds (their rounding is far below this)


def sweep_candidates(
    label: npt.NDArray[np.intp],
    size: int,
    weight: npt.NDArray[np.float64],
    eligible: npt.NDArray[np.bool_],
    age: npt.NDArray[np.int64],
    tables: list[npt.NDArray[np.float64]],
    n: int,
) -> list[tuple[npt.NDArray[np.intp], npt.NDArray[np.float64]]]:
    """For each setting, the groups that may be in its top ``n`` and their exact harm.

    A setting is a decay table ``table`` of ``length + 1`` entries (the last one 0): a row
    counts iff ``eligible`` and ``0 <= age < length``, and contributes
    ``weight * table[min(age, length)]``. Returns, per setting, the groups (ascending) that
    have a counted row and could be in the top n, with their harm summed exactly over all their
    rows, bit for bit as ``.summation.exact_group_sums`` over every row would give: the
    top n of these (by harm, ties by id) is the setting's top n.

    Per block of similar settings, two float passes bound every group from below and above
    (the per-age minimum and maximum of the block's tables); only groups whose upper bound
    reaches the n-th largest lower bound are summed exactly, over their rows alone.
    """
    from .summation import exact_group_sums

    w = np.where(age >= 0, weight, 0.0)  # a row dated after as_of contributes 0 everywhere
    top_age = max((t.size for t in tables), default=1) - 1
    slot = np.minimum(np.maximum(age, 0), top_age).astype(np.intp)
    padded = [np.append(t, np.zeros(top_age + 1 - t.size)) for t in tables]
    order = np.argsort([float(t.sum()) for t in padded], kind="stable")
    out: list[tuple[npt.NDArray[np.intp], npt.NDArray[np.float64]]] = [
        (np.empty(0, dtype=np.intp), np.empty(0))
    ] * len(tables)
    for start in range(0, len(order), SETTINGS_PER_BLOCK):
        block = order[start : start + SETTINGS_PER_BLOCK].tolist()
        low_t = np.min([padded[s] for s in block], axis=0)
        high_t = np.max([padded[s] for s in block], axis=0)
        low = np.bincount(label, weights=w * low_t[slot], minlength=size)
        high = np.bincount(label, weights=w * high_t[slot], minlength=size)
        grid = label.size * 2.0**-63  # each exact sum's rows are rounded to 2**-62 days
        cand = top_candidates(low * (1 - _MARGIN) - grid, high * (1 + _MARGIN) + grid, n)
        if cand.size == size or cand.size == 0:
            rows = np.arange(label.size, dtype=np.intp)
            sub, groups = label, np.arange(size, dtype=np.intp)
        else:
            relabel = np.full(size, -1, dtype=np.intp)
            relabel[cand] = np.arange(cand.size, dtype=np.intp)
            mapped = relabel[label]
            rows = np.flatnonzero(mapped >= 0)
            sub, groups = mapped[rows], cand
        r_weight, r_age, r_ok = weight[rows], age[rows], eligible[rows]
        for s in block:
            table = tables[s]
            length = table.size - 1
            r_slot = np.minimum(r_age.view(np.uint64), np.uint64(length)).astype(np.intp)
            harm = exact_group_sums(sub, r_weight * table[r_slot], groups.size).to_float()
            counted = r_ok & (r_age < length) & (r_age >= 0)
            scored = np.flatnonzero(np.bincount(sub[counted], minlength=groups.size))
            if cand.size != size and scored.size < n:  # fewer than n could be bounded: all
                return _all_groups(label, size, weight, eligible, age, tables)
            out[s] = (groups[scored], harm[scored])
    return out


def _all_groups(
    label: npt.NDArray[np.intp],
    size: int,
    weight: npt.NDArray[np.float64],
    eligible: npt.NDArray[np.bool_],
    age: npt.NDArray[np.int64],
    tables: list[npt.NDArray[np.float64]],
) -> list[tuple[npt.NDArray[np.intp], npt.NDArray[np.float64]]]:
    """Every setting without pruning (n reaches past the groups that score)."""
    from .summation import exact_group_sums

    result = []
    for table in tables:
        length = table.size - 1
        slot = np.minimum(age.view(np.uint64), np.uint64(length)).astype(np.intp)
        harm = exact_group_sums(label, weight * table[slot], size).to_float()
        counted = eligible & (age < length) & (age >= 0)
        scored = np.flatnonzero(np.bincount(label[counted], minlength=size))
        result.append((scored, harm[scored]))
    return result


class TrackedRanks:
    """Ranks of a few tracked groups among all, for many replicates of per-row values.

    A group's rank is 1 + the number of groups with more harm, or equal harm and a lower
    label (harm exactly as ``.summation.exact_group_sums`` gives it). Per replicate, one
    float ``bincount`` places every group against the tracked ones; only the groups whose
    float sum is too close to a tracked harm to decide are summed exactly.
    """

    def __init__(self, label: npt.NDArray[np.intp], size: int, tracked: npt.NDArray[np.intp]):
        self.label = label
        self.size = size
        self.tracked = np.asarray(tracked, dtype=np.intp)
        is_tracked = np.zeros(size, dtype=bool)
        is_tracked[self.tracked] = True
        self.is_tracked = is_tracked
        where = np.full(size, -1, dtype=np.intp)
        where[self.tracked] = np.arange(self.tracked.size, dtype=np.intp)
        self.tracked_rows = np.flatnonzero(is_tracked[label])
        self.tracked_sub = where[label[self.tracked_rows]]
        self.order = np.argsort(label, kind="stable")
        self.count = np.bincount(label, minlength=size)
        self.start = np.concatenate([[0], np.cumsum(self.count)[:-1]]).astype(np.intp)
        self.slack = self.count * 2.0**-60  # fixed-point rounding: 2**-63 a row, and more

    def _rows_of(self, groups: npt.NDArray[np.intp]) -> tuple[npt.NDArray[np.intp], Any]:
        """Rows of ``groups`` and each row's position in ``groups``."""
        lengths = self.count[groups]
        pos = np.repeat(np.arange(groups.size, dtype=np.intp), lengths)
        offsets = np.arange(int(lengths.sum()), dtype=np.intp) - np.repeat(
            np.cumsum(lengths) - lengths, lengths
        )
        return self.order[self.start[groups][pos] + offsets], pos

    def ranks(self, products: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
        """Rank of each tracked group when row r contributes ``products[r]`` (>= 0)."""
        from .summation import exact_group_sums

        k = self.tracked.size
        exact = exact_group_sums(self.tracked_sub, products[self.tracked_rows], k).to_float()
        approx = np.bincount(self.label, weights=products, minlength=self.size)
        by_harm = np.argsort(exact, kind="stable")
        sorted_harm = exact[by_harm]
        if k == 0:
            return np.zeros(0, dtype=np.int64)
        slack = approx * _MARGIN + self.slack + 1e-300
        # most groups sit clearly below every tracked harm: they beat none, skip them
        near = np.flatnonzero((approx + slack >= sorted_harm[0]) & ~self.is_tracked)
        a, sl = approx[near], slack[near]
        low = np.searchsorted(sorted_harm, a - sl, side="left")
        high = np.searchsorted(sorted_harm, a + sl, side="right")
        clear = low == high
        # a clear group beats exactly the tracked groups below its harm: sorted positions < low
        above = np.bincount(low[clear], minlength=k + 1)
        beaten_by = np.cumsum(above[::-1])[::-1][1:]  # groups with low > j, for sorted j
        beats = np.empty(k, dtype=np.int64)
        beats[by_harm] = beaten_by
        unclear = near[~clear].astype(np.intp)
        others = np.concatenate([unclear, self.tracked])
        rows, pos = self._rows_of(unclear)
        harm_unclear = exact_group_sums(pos, products[rows], unclear.size).to_float()
        other_harm = np.concatenate([harm_unclear, exact])
        for j in range(k):  # exact comparisons with the undecided and the tracked groups
            t, h = self.tracked[j], exact[j]
            beats[j] += int(np.count_nonzero((other_harm > h) | ((other_harm == h) & (others < t))))
        return beats + 1

    def present(self, times: npt.NDArray[Any]) -> npt.NDArray[np.bool_]:
        """Whether each tracked group has a row with ``times > 0``."""
        k = self.tracked.size
        drawn = np.bincount(self.tracked_sub, weights=times[self.tracked_rows], minlength=k)
        return np.asarray(drawn > 0)
