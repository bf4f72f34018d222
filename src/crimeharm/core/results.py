"""Result types: the row accounting report, per-offender scores and rankings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

import attrs
import numpy as np
import numpy.typing as npt

from ..errors import ParameterError
from . import ranking

if TYPE_CHECKING:
    import pandas as pd

    from ..audit.manifest import Manifest
    from ..research.explain import Explanation
    from .events import Events
    from .schemes import WeightScheme

__all__ = [
    "AFTER_AS_OF",
    "OUTSIDE_WINDOW",
    "UNKNOWN_CODE",
    "Ranking",
    "Report",
    "ScoreParams",
    "Scores",
]

#: Report reasons added by the scorer (readers and filters add their own, e.g. "filtered out").
AFTER_AS_OF = "dated after as_of"
OUTSIDE_WINDOW = "outside window"
UNKNOWN_CODE = "unknown code"

_ARRAY_EQ = attrs.cmp_using(eq=np.array_equal)


def _as_counts(values: Mapping[str, int]) -> dict[str, int]:
    return {str(k): int(v) for k, v in values.items()}


@attrs.frozen
class Report:
    """Where every input row went: ``total == counted + sum(excluded.values())``.

    ``excluded`` maps a reason ("dated after as_of", "outside window", "unknown code",
    "filtered out", a reader's "missing date", ...) to a row count. ``fallback_rows`` counts
    counted rows whose code was missing from the scheme and took the fallback weight;
    ``unknown_codes`` maps each code missing from the scheme to its row count.
    """

    total: int
    counted: int
    excluded: Mapping[str, int] = attrs.field(factory=dict, converter=_as_counts)
    fallback_rows: int = 0
    unknown_codes: Mapping[str, int] = attrs.field(factory=dict, converter=_as_counts)

    def __attrs_post_init__(self) -> None:
        parts = self.counted + sum(self.excluded.values())
        if parts != self.total:  # a bug, never a user error: fail loudly
            msg = (
                f"report does not add up: {self.counted} counted + {self.excluded} != {self.total}"
            )
            raise AssertionError(msg)

    @property
    def excluded_total(self) -> int:
        """Rows not counted, for any reason."""
        return self.total - self.counted

    def merge(self, other: Report) -> Report:
        """The report of two disjoint sets of rows."""
        excluded = dict(self.excluded)
        for reason, count in other.excluded.items():
            excluded[reason] = excluded.get(reason, 0) + count
        codes = dict(self.unknown_codes)
        for code, count in other.unknown_codes.items():
            codes[code] = codes.get(code, 0) + count
        return Report(
            total=self.total + other.total,
            counted=self.counted + other.counted,
            excluded=excluded,
            fallback_rows=self.fallback_rows + other.fallback_rows,
            unknown_codes=codes,
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (for JSON)."""
        return {
            "total": self.total,
            "counted": self.counted,
            "excluded": dict(self.excluded),
            "fallback_rows": self.fallback_rows,
            "unknown_codes": dict(self.unknown_codes),
        }

    def summary(self) -> str:
        """Human-readable lines: total, counted, then each exclusion reason."""
        lines = [f"rows read: {self.total:,}", f"  counted: {self.counted:,}"]
        for reason, count in sorted(self.excluded.items(), key=lambda kv: (-kv[1], kv[0])):
            if count:
                lines.append(f"  {reason}: {count:,}")
        if self.fallback_rows:
            lines.append(f"  (counted with the fallback weight: {self.fallback_rows:,})")
        return "\n".join(lines)


@attrs.frozen
class ScoreParams:
    """The parameters a score was computed with (enough to reproduce it)."""

    scheme: str
    scheme_version: str
    scheme_checksum: str
    as_of: np.datetime64
    window_days: int | None
    decay: str
    decay_params: Mapping[str, Any] = attrs.field(factory=dict, converter=dict)
    on_unknown: str = "raise"
    fallback_weight: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (for JSON)."""
        out = attrs.asdict(self)
        out["as_of"] = str(self.as_of)
        return out


def _optional_eq(a: Any, b: Any) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and np.array_equal(a, b))


_OPTIONAL_EQ = attrs.cmp_using(eq=_optional_eq)


def _table_rows(columns: dict[str, npt.NDArray[Any]], limit: int) -> str:
    names = list(columns)
    shown = {k: [str(v) for v in col[:limit].tolist()] for k, col in columns.items()}
    shown["harm"] = [f"{v:,.2f}" for v in columns["harm"][:limit].tolist()]
    widths = {k: max([len(k), *map(len, shown[k])]) for k in names}
    head = "  ".join(k.rjust(widths[k]) for k in names)
    body = [
        "  ".join(shown[k][i].rjust(widths[k]) for k in names)
        for i in range(min(limit, len(columns["harm"])))
    ]
    return "\n".join([head, *body])


class _Table:
    """Shared behaviour of Scores and Ranking: columns, pandas/records export."""

    offender_id: npt.NDArray[Any]
    harm: npt.NDArray[np.float64]
    count: npt.NDArray[np.int64]
    first: npt.NDArray[np.datetime64]
    last: npt.NDArray[np.datetime64]
    victims: npt.NDArray[np.int64] | None

    def __len__(self) -> int:
        return int(self.harm.size)

    def _columns(self) -> dict[str, npt.NDArray[Any]]:
        cols: dict[str, npt.NDArray[Any]] = {}
        if isinstance(self, Ranking):
            cols["rank"] = self.rank
        cols.update(
            offender_id=self.offender_id,
            harm=self.harm,
            count=self.count,
            first=self.first,
            last=self.last,
        )
        if self.victims is not None:
            cols["victims"] = self.victims
        return cols

    def to_pandas(self) -> pd.DataFrame:
        """One row per offender as a pandas DataFrame (needs pandas)."""
        from .._optional import require

        pandas = require("pandas", "pandas")
        return cast("pd.DataFrame", pandas.DataFrame(self._columns()))

    def explain(
        self, offender_id: Any, events: Events, *, scheme: WeightScheme | None = None
    ) -> Explanation:
        """Every event of ``offender_id`` with its weight, decay and contribution.

        ``events`` are the events these results were scored from; the contributions sum to the
        offender's harm exactly (see
        [`crimeharm.research.explain.explain_scores`][crimeharm.research.explain.explain_scores]).
        """
        from ..research.explain import explain_scores

        return explain_scores(self, events, offender_id, scheme=scheme)  # type: ignore[arg-type]

    def manifest(self, events: Events, *, created_at: str | None = None) -> Manifest:
        """How this result was made, with a fingerprint of ``events`` (see ``.manifest``)."""
        from ..audit.manifest import Manifest

        return Manifest.from_result(self, events, created_at=created_at)  # type: ignore[arg-type]

    def pseudonymise(self, key: bytes, *, length: int = 16) -> Any:
        """The same table with offender ids replaced by keyed HMAC-SHA256 pseudonyms."""
        from ..audit.pseudonymise import pseudonymise

        return pseudonymise(self, key, length=length)  # type: ignore[type-var]

    def to_records(self) -> list[dict[str, Any]]:
        """One plain dict per offender (dates as ISO strings), e.g. for JSON."""
        cols = self._columns()
        lists = {k: (v.astype(str) if v.dtype.kind == "M" else v).tolist() for k, v in cols.items()}
        return [dict(zip(lists, row, strict=True)) for row in zip(*lists.values(), strict=True)]


@attrs.frozen(repr=False)
class Scores(_Table):
    """Harm per offender (one row each, sorted by offender id), with the row report.

    ``harm`` is in the scheme's unit (days for the CCHI); ``count`` is counted events;
    ``first``/``last`` are the earliest and latest counted event dates; ``victims`` is the
    number of distinct victims when the events carried ``victim_id`` (else None).
    Offenders with no counted event do not appear.
    """

    offender_id: npt.NDArray[Any] = attrs.field(eq=_ARRAY_EQ)
    harm: npt.NDArray[np.float64] = attrs.field(eq=_ARRAY_EQ)
    count: npt.NDArray[np.int64] = attrs.field(eq=_ARRAY_EQ)
    first: npt.NDArray[np.datetime64] = attrs.field(eq=_ARRAY_EQ)
    last: npt.NDArray[np.datetime64] = attrs.field(eq=_ARRAY_EQ)
    report: Report
    params: ScoreParams
    victims: npt.NDArray[np.int64] | None = attrs.field(default=None, eq=_OPTIONAL_EQ)

    def top(self, n: int = 100) -> Ranking:
        """The first ``n`` offenders in ranking order (harm desc, offender id asc)."""
        return self._ranking(ranking.top_indices(self.offender_id, self.harm, n))

    def ranking(self) -> Ranking:
        """Every offender in ranking order."""
        return self._ranking(ranking.ranking_order(self.offender_id, self.harm))

    def _ranking(self, rows: npt.NDArray[np.intp]) -> Ranking:
        return Ranking(
            rank=np.arange(1, rows.size + 1, dtype=np.int64),
            offender_id=self.offender_id[rows],
            harm=self.harm[rows],
            count=self.count[rows],
            first=self.first[rows],
            last=self.last[rows],
            victims=None if self.victims is None else self.victims[rows],
            report=self.report,
            params=self.params,
        )

    # -- merge: added for streaming (owner: crimeharm.scale.streaming) -----------------------
    def merge(self, other: Scores) -> Scores:
        """Scores of two disjoint sets of events, as if scored together.

        Counts, dates and the report add up exactly; harm within a relative 1e-9 (the additions
        happen in another order). Scores with victim counts cannot merge: use
        [`crimeharm.Scorer`][crimeharm.Scorer], which keeps the distinct offender-victim pairs.
        """
        from ..scale.streaming import merge_partials, partial_from_scores

        parts = [partial_from_scores(self), partial_from_scores(other)]
        return merge_partials(parts).to_scores()

    # -- end of merge ------------------------------------------------------------------------

    def ranks(self) -> npt.NDArray[np.intp]:
        """1-based rank of every offender, aligned with ``offender_id``."""
        return ranking.ranks(self.offender_id, self.harm)

    def percentiles(self) -> npt.NDArray[np.float64]:
        """Percentile rank (0-100] of every offender's harm, aligned with ``offender_id``."""
        return ranking.percentile_ranks(self.harm)

    def rows_of(self, offender_ids: npt.ArrayLike) -> npt.NDArray[np.intp]:
        """Row of each given offender id in this table (raises if an id has no score).

        Ids are compared as given: ``"abc"`` never matches a stored ``"ab"``, nor ``1.5`` id 1.
        """
        given = np.asarray(offender_ids)
        stored = self.offender_id
        if stored.dtype.kind == "U":
            if given.size and given.dtype.kind != "U":
                msg = "offender ids are strings in these scores"
                raise KeyError(msg)
            width = max(given.dtype.itemsize, stored.dtype.itemsize, 4) // 4
            wanted = given.astype(f"<U{width}")  # widen both: never cut a given id
            keys = stored.astype(wanted.dtype)
        else:
            if given.size and given.dtype.kind not in "iubf":
                msg = "offender ids are integers in these scores"
                raise KeyError(msg)
            if given.dtype.kind == "f" and not np.all(given == np.round(given)):
                msg = "offender ids are whole numbers; a fractional id has no score"
                raise KeyError(msg)
            wanted = given.astype(np.int64)
            keys = stored
        rows = np.minimum(np.searchsorted(keys, wanted), max(len(self) - 1, 0))
        found = keys[rows] == wanted if len(self) else np.zeros(wanted.shape, dtype=bool)
        if not np.all(found):
            missing = int(np.count_nonzero(~found))
            msg = f"{missing} of the given offender ids have no counted event in these scores"
            raise KeyError(msg)
        return rows.astype(np.intp)

    def rank_of(self, offender_ids: npt.ArrayLike) -> npt.NDArray[np.intp]:
        """1-based rank of each given offender id."""
        return self.ranks()[self.rows_of(offender_ids)]

    def __repr__(self) -> str:
        p = self.params
        window = "no window" if p.window_days is None else f"window {p.window_days} days"
        head = (
            f"<Scores: {len(self):,} offenders, scheme {p.scheme!r}, as_of {p.as_of}, {window}, "
            f"decay {p.decay}; {self.report.counted:,} of {self.report.total:,} rows counted>"
        )
        if not len(self):
            return head
        return head + "\n" + _table_rows(self.top(5)._columns(), 5)


@attrs.frozen(repr=False)
class Ranking(_Table):
    """Offenders in ranking order with their 1-based ``rank`` (same columns as Scores)."""

    rank: npt.NDArray[np.int64] = attrs.field(eq=_ARRAY_EQ)
    offender_id: npt.NDArray[Any] = attrs.field(eq=_ARRAY_EQ)
    harm: npt.NDArray[np.float64] = attrs.field(eq=_ARRAY_EQ)
    count: npt.NDArray[np.int64] = attrs.field(eq=_ARRAY_EQ)
    first: npt.NDArray[np.datetime64] = attrs.field(eq=_ARRAY_EQ)
    last: npt.NDArray[np.datetime64] = attrs.field(eq=_ARRAY_EQ)
    report: Report = attrs.field(eq=False)
    params: ScoreParams = attrs.field(eq=False)
    victims: npt.NDArray[np.int64] | None = attrs.field(default=None, eq=_OPTIONAL_EQ)

    def head(self, n: int) -> Ranking:
        """The first ``n`` rows."""
        if n < 0:
            msg = f"n must be >= 0 (got {n})"
            raise ParameterError(msg)
        return attrs.evolve(
            self,
            rank=self.rank[:n],
            offender_id=self.offender_id[:n],
            harm=self.harm[:n],
            count=self.count[:n],
            first=self.first[:n],
            last=self.last[:n],
            victims=None if self.victims is None else self.victims[:n],
        )

    def __repr__(self) -> str:
        head = (
            f"<Ranking: top {len(self)} by harm ({self.params.scheme}, as_of {self.params.as_of})>"
        )
        if not len(self):
            return head
        limit = 20
        more = f"\n... {len(self) - limit} more rows" if len(self) > limit else ""
        return head + "\n" + _table_rows(self._columns(), limit) + more


def scores_from_columns(columns: Mapping[str, Any], report: Report, params: ScoreParams) -> Scores:
    """Build [`Scores`][crimeharm.Scores] from per-offender columns already sorted by offender
    id.
    """
    return Scores(report=report, params=params, **columns)
