"""Explain one offender's harm: every counted event with its weight, decay and contribution.

The contributions, weights, decay factors and exclusion reasons are the engine's own
(``crimeharm.core.engine.contributions``) and are added by the engine's one aggregation, so
``Explanation.harm`` is the very float that ``score(...)`` reports for the offender (or for
any group key, with ``by=``). Events that do not count are listed with their reason (dated after
as_of, outside the window, unknown code, missing key).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import attrs
import numpy as np
import numpy.typing as npt

from ..core.engine import contributions, exact_total
from ..core.events import Events
from ..core.parameters import ScoringOptions
from ..core.results import Ranking, ScoreParams, Scores
from ..core.schemes import WeightScheme
from ..errors import DataError, ParameterError, UnknownKeyError

if TYPE_CHECKING:
    import pandas as pd
    from typing_extensions import Unpack

    from ..core.parameters import ScoringArgs

__all__ = [
    "SORT_KEYS",
    "TABLE_LIMIT",
    "Explanation",
    "explain",
    "explain_scores",
    "format_harm",
    "key_label",
]

#: Orders the counted events can be shown in (see `Explanation.order`).
SORT_KEYS = ("contribution", "date", "row")
SortKey = Literal["contribution", "date", "row"]
#: Counted events a text explanation lists before summarising the rest.
TABLE_LIMIT = 30

_ARRAY_EQ = attrs.cmp_using(eq=np.array_equal)


def format_harm(value: float) -> str:
    """Harm as ``crimeharm rank`` prints it: thousands separators, 2 decimals."""
    return f"{value:,.2f}"


def _plural(n: int, word: str) -> str:
    return word if n == 1 else word + "s"


def _share(part: float, whole: float) -> str:
    return f"{part / whole:.1%}" if whole > 0 else "-"


def key_label(by: str) -> str:
    """How a value of the grouping key ``by`` is named in text: "offender" for offender_id,
    else the column's name ("victim_id 12", "borough North")."""
    return "offender" if by == "offender_id" else by


def sequential_sum(values: npt.NDArray[np.float64]) -> float:
    """The offender's harm from their contributions, added exactly as the scorer adds them.

    ``np.sum`` adds pairwise and Python's ``sum`` (3.12+) compensates; neither reproduces the
    scorer's float exactly, this does (the engine's one aggregation, exact sums).
    """
    return exact_total(values)


@attrs.frozen(repr=False)
class Explanation:
    """Why an offender has the harm they have.

    Counted events (one entry per event, in input row order): ``rows`` (0-based position in the
    events), ``date``, ``code``, ``title``, ``group``, ``weight`` (scheme unit, e.g. days),
    ``age_days``, ``decay_factor`` (in [0, 1]) and ``contribution`` (= weight * decay_factor).
    ``harm`` is the sum of the contributions, equal to the scorer's harm for this offender.
    Excluded events: ``excluded_rows``, ``excluded_date``, ``excluded_code``, ``excluded_reason``.
    ``where`` holds 'file, line N' (or 'row N') for each counted row, for citing the source.
    """

    offender_id: Any
    harm: float
    rows: npt.NDArray[np.intp] = attrs.field(eq=_ARRAY_EQ)
    date: npt.NDArray[np.datetime64] = attrs.field(eq=_ARRAY_EQ)
    code: npt.NDArray[np.str_] = attrs.field(eq=_ARRAY_EQ)
    title: npt.NDArray[np.str_] = attrs.field(eq=_ARRAY_EQ)
    group: npt.NDArray[np.str_] = attrs.field(eq=_ARRAY_EQ)
    weight: npt.NDArray[np.float64] = attrs.field(eq=_ARRAY_EQ)
    age_days: npt.NDArray[np.int64] = attrs.field(eq=_ARRAY_EQ)
    decay_factor: npt.NDArray[np.float64] = attrs.field(eq=_ARRAY_EQ)
    contribution: npt.NDArray[np.float64] = attrs.field(eq=_ARRAY_EQ)
    where: tuple[str, ...]
    excluded_rows: npt.NDArray[np.intp] = attrs.field(eq=_ARRAY_EQ)
    excluded_date: npt.NDArray[np.datetime64] = attrs.field(eq=_ARRAY_EQ)
    excluded_code: npt.NDArray[np.str_] = attrs.field(eq=_ARRAY_EQ)
    excluded_reason: tuple[str, ...]
    params: ScoreParams
    unit: str = ""

    @property
    def n_events(self) -> int:
        """Number of counted events."""
        return int(self.rows.size)

    @property
    def count(self) -> int:
        """Deprecated alias of `n_events` (it shadowed ``DataFrame.count``)."""
        from ..core.results import deprecated_alias

        deprecated_alias("Explanation", "count", "n_events")
        return self.n_events

    def order(self, sort: SortKey = "contribution") -> npt.NDArray[np.intp]:
        """Positions of the counted events in display order.

        ``"contribution"``: largest contribution first (ties: earlier date, then row);
        ``"date"``: oldest first (ties: row); ``"row"``: input row order.
        """
        if sort not in SORT_KEYS:
            msg = f"sort must be one of {', '.join(SORT_KEYS)} (got {sort!r})"
            raise ParameterError(msg)
        if sort == "row":
            return np.arange(self.n_events, dtype=np.intp)
        days = self.date.astype("datetime64[D]").astype(np.int64)
        if sort == "date":
            return np.lexsort((self.rows, days)).astype(np.intp)
        return np.lexsort((self.rows, days, -self.contribution)).astype(np.intp)

    def shown(self, limit: int | None, sort: SortKey = "contribution") -> npt.NDArray[np.intp]:
        """The counted events to show when at most ``limit`` fit (None: all), in ``sort`` order.

        Truncation always keeps the largest contributions, whatever the display order, so what
        is left out is the smallest part of the harm.
        """
        if limit is not None and (isinstance(limit, bool) or limit < 0):
            msg = f"limit must be a whole number >= 0 or None (got {limit!r})"
            raise ParameterError(msg)
        if limit is None or limit >= self.n_events:
            return self.order(sort)
        keep = np.zeros(self.n_events, dtype=bool)
        keep[self.order("contribution")[:limit]] = True
        ordered = self.order(sort)
        return ordered[keep[ordered]]

    def hidden_summary(self, shown: npt.NDArray[np.intp]) -> str:
        """One line on the counted events not in ``shown``: how many, their harm and share."""
        rest = np.ones(self.n_events, dtype=bool)
        rest[shown] = False
        n = int(rest.sum())
        if n == 0:
            return ""
        part = sequential_sum(self.contribution[rest])
        share = part / self.harm if self.harm > 0 else 0.0
        unit = f" {self.unit}" if self.unit else ""
        which = "more counted" if shown.size else "counted"
        smallest = " (the smallest contributions)" if shown.size else ""
        return (
            f"... {n:,} {which} {_plural(n, 'event')} not shown{smallest}: "
            f"harm {format_harm(part)}{unit}, {share:.1%} of the total"
        )

    def to_records(self, sort: SortKey = "row") -> list[dict[str, Any]]:
        """One plain dict per counted event (dates as ISO strings), in ``sort`` order."""
        return [
            {
                "row": int(self.rows[i]),
                "where": self.where[i],
                "date": str(self.date[i]),
                "code": str(self.code[i]),
                "title": str(self.title[i]),
                "group": str(self.group[i]),
                "weight": float(self.weight[i]),
                "age_days": int(self.age_days[i]),
                "decay_factor": float(self.decay_factor[i]),
                "contribution": float(self.contribution[i]),
            }
            for i in self.order(sort).tolist()
        ]

    def excluded_records(self) -> list[dict[str, Any]]:
        """One plain dict per excluded event of this offender: row, date, code, reason."""
        return [
            {
                "row": int(self.excluded_rows[i]),
                "date": str(self.excluded_date[i]),
                "code": str(self.excluded_code[i]),
                "reason": self.excluded_reason[i],
            }
            for i in range(self.excluded_rows.size)
        ]

    def excluded_counts(self) -> dict[str, int]:
        """Excluded events of this offender by reason."""
        out: dict[str, int] = {}
        for reason in self.excluded_reason:
            out[reason] = out.get(reason, 0) + 1
        return out

    def to_pandas(self) -> pd.DataFrame:
        """Counted events as a pandas DataFrame (needs pandas)."""
        from .._optional import require

        pandas = require("pandas", "pandas")
        frame: pd.DataFrame = pandas.DataFrame(
            {
                "row": self.rows,
                "date": self.date,
                "code": self.code,
                "title": self.title,
                "group": self.group,
                "weight": self.weight,
                "age_days": self.age_days,
                "decay_factor": self.decay_factor,
                "contribution": self.contribution,
            }
        )
        return frame

    def to_dict(self, sort: SortKey = "row") -> dict[str, Any]:
        """Plain-data form (for JSON): the key (under the ``by`` column's name, e.g.
        ``offender_id``), harm, parameters, events (in ``sort`` order)."""
        oid = self.offender_id
        return {
            self.params.by: oid.item() if isinstance(oid, np.generic) else oid,
            "harm": self.harm,
            "unit": self.unit,
            "count": self.n_events,
            "params": self.params.to_dict(),
            "events": self.to_records(sort),
            "excluded": self.excluded_records(),
        }

    def headline(self) -> str:
        """One line: offender, harm (formatted as the ranking prints it), events, parameters."""
        p = self.params
        window = "no window" if p.window_days is None else f"window {p.window_days} days"
        unit = f" {self.unit}" if self.unit else ""
        return (
            f"Explanation of {key_label(p.by)} {self.offender_id!s}: "
            f"harm {format_harm(self.harm)}{unit} "
            f"from {self.n_events} counted {_plural(self.n_events, 'event')}; scheme {p.scheme!r}, "
            f"as_of {p.as_of}, {window}, decay {p.decay}"
        )

    def table(
        self,
        *,
        sort: SortKey = "contribution",
        limit: int | None = TABLE_LIMIT,
        all_hint: str = "limit=None",
    ) -> str:
        """The explanation as text: headline, counted events, what is not shown, total, exclusions.

        ``sort``: "contribution" (largest first, default), "date" or "row". At most ``limit``
        counted events are listed (None: all); the ones left out are always the smallest
        contributions and a line says how many, their harm and its share of the total. The
        total line is the offender's harm as ``crimeharm rank`` prints it (2 decimals).
        With ``limit=None`` the excluded events are listed one by one too. ``all_hint`` names
        how to see everything in the line on what is not shown (the CLI says ``--all``).
        """
        lines = [self.headline()]
        shown = self.shown(limit, sort)
        if shown.size:
            names = ["row", "date", "code", "weight", "age_days", "decay", "contribution", "share"]
            cells = [
                [
                    str(int(self.rows[i])),
                    str(self.date[i]),
                    str(self.code[i]),
                    f"{self.weight[i]:,.2f}",
                    str(int(self.age_days[i])),
                    f"{self.decay_factor[i]:.4f}",
                    f"{self.contribution[i]:,.4f}",
                    _share(float(self.contribution[i]), self.harm),
                    str(self.title[i])[:40],
                ]
                for i in shown.tolist()
            ]
            widths = [max([len(n), *(len(r[j]) for r in cells)]) for j, n in enumerate(names)]
            lines.append(
                "  ".join(n.rjust(w) for n, w in zip(names, widths, strict=True)) + "  title"
            )
            lines += [
                "  ".join(c.rjust(w) for c, w in zip(r[:-1], widths, strict=True)) + "  " + r[-1]
                for r in cells
            ]
        hidden = self.hidden_summary(shown)
        if hidden:
            lines.append(f"{hidden}; {all_hint} lists every event")
        lines.append(self.total_line())
        counts = self.excluded_counts()
        if counts:
            listed = ", ".join(f"{reason}: {n}" for reason, n in sorted(counts.items()))
            lines.append(f"excluded events: {listed}")
            if limit is None:
                lines += [
                    f"  row {r['row']}  {r['date']}  {r['code']}  {r['reason']}"
                    for r in self.excluded_records()
                ]
        return "\n".join(lines)

    def total_line(self) -> str:
        """The line that adds the contributions up: the harm as ``crimeharm rank`` prints it.

        A key with no counted event has no harm and is not in any ranking; the line says so
        rather than "as ranked".
        """
        unit = f" {self.unit}" if self.unit else ""
        if not self.n_events:
            return (
                f"total: harm {format_harm(self.harm)}{unit}: no counted event, so this "
                f"{key_label(self.params.by)} is not in the ranking"
            )
        return (
            f"total: harm {format_harm(self.harm)}{unit} = the sum of {self.n_events} "
            f"{_plural(self.n_events, 'contribution')} (as ranked)"
        )

    def __repr__(self) -> str:
        head, _, rest = self.table().partition("\n")
        return f"<{head}>\n{rest}"


def _find_rows(key: npt.NDArray[Any], wanted: Any, by: str) -> npt.NDArray[np.intp]:
    if key.dtype.kind == "U":
        if not isinstance(wanted, (str, np.str_)):
            msg = f"{by} must be a string for these events (got {type(wanted).__name__})"
            raise ParameterError(msg)
        return np.flatnonzero(key == str(wanted))
    if key.dtype.kind in "iu":
        if isinstance(wanted, (bool, np.bool_)) or not isinstance(wanted, (int, np.integer)):
            msg = f"{by} must be an integer for these events (got {type(wanted).__name__})"
            raise ParameterError(msg)
        return np.flatnonzero(key == int(wanted))
    try:
        return np.flatnonzero(key == np.asarray(wanted, dtype=key.dtype))
    except (TypeError, ValueError) as exc:
        msg = f"{by} value {type(wanted).__name__} does not compare with the column's {key.dtype}"
        raise ParameterError(msg) from exc


def explain(
    events: Events,
    scheme: WeightScheme | str | Scores | Ranking,
    offender_id: Any,
    **scoring: Unpack[ScoringArgs],
) -> Explanation:
    """Every event of ``offender_id`` with its contribution to harm, as [`score`][crimeharm.score]
    counts it.

    Takes the same options as [`crimeharm.score`][crimeharm.score]; with ``by`` the key
    ``offender_id`` is a value of that column (a victim, a borough). ``scheme`` may also be a
    [`Scores`][crimeharm.Scores] or [`Ranking`][crimeharm.Ranking]: the parameters are then taken
    from it (see [`explain_scores`][crimeharm.audit.report.explain_scores]) and none of ``as_of``,
    ``window_days`` or ``decay`` may be given. Raises [`UnknownKeyError`][crimeharm.UnknownKeyError]
    when the events have no row for the key.
    """
    if isinstance(scheme, (Scores, Ranking)):
        if any(scoring.get(k) is not None for k in ("as_of", "window_days", "decay")):
            msg = "as_of, window_days and decay come from the scores; do not pass them too"
            raise ParameterError(msg)
        return explain_scores(scheme, events, offender_id)
    if scoring.get("as_of") is None:
        msg = "explain needs as_of (the date harm is scored at)"
        raise ParameterError(msg)
    return explain_with(events, ScoringOptions.build(scheme, **scoring), offender_id)


def explain_with(events: Events, options: ScoringOptions, key: Any) -> Explanation:
    """[`explain`][crimeharm.research.explain.explain] with validated options."""
    scheme_obj = options.scheme
    contrib = contributions(events, options)
    rows = _find_rows(contrib.key, key, options.by)
    if rows.size == 0:
        msg = f"the events have no row for the given {options.by}"
        raise UnknownKeyError(msg)
    counted_mask = contrib.counted[rows]
    counted = rows[counted_mask]
    excluded = rows[~counted_mask]
    codes = events.code_strings()
    value = contrib.value[counted]
    age = contrib.age[counted]
    lookup = scheme_obj.index_of(codes[counted]) if counted.size else np.empty(0, np.intp)
    known = lookup >= 0

    def column(values: npt.NDArray[np.str_] | None) -> npt.NDArray[np.str_]:
        if values is None or lookup.size == 0:
            return np.full(lookup.size, "", dtype="<U1")
        return np.where(known, values[np.maximum(lookup, 0)], "")

    names = contrib.reason_names
    reasons = tuple(names[r] for r in contrib.reason[excluded].tolist())
    found = contrib.key[rows[0]]
    return Explanation(
        offender_id=found.item() if isinstance(found, np.generic) else found,
        harm=sequential_sum(value),
        rows=counted.astype(np.intp),
        date=events.date[counted],
        code=codes[counted],
        title=column(scheme_obj.titles),
        group=column(scheme_obj.groups),
        weight=contrib.weight(counted),
        age_days=age.astype(np.int64),
        decay_factor=contrib.factor(counted),
        contribution=value,
        where=tuple(events.where_row(int(r)) for r in counted),
        excluded_rows=excluded.astype(np.intp),
        excluded_date=events.date[excluded],
        excluded_code=codes[excluded],
        excluded_reason=reasons,
        params=contrib.params,
        unit=scheme_obj.unit,
    )


def explain_scores(
    scores: Scores | Ranking,
    events: Events,
    offender_id: Any,
    *,
    scheme: WeightScheme | None = None,
) -> Explanation:
    """Explain an offender of ``scores`` from the events they were computed from.

    The scheme is looked up by the name recorded in ``scores.params`` unless given (needed for
    schemes built in code); its checksum must match the recorded one. When the offender is in
    ``scores``, the explanation must reproduce their count and harm (bit for bit: both come from
    the engine), else [`DataError`][crimeharm.DataError] says the events are not the ones scored.
    """
    options = ScoringOptions.from_params(scores.params, scheme=scheme)
    result = explain_with(events, options, offender_id)
    hit = np.flatnonzero(scores.offender_id == result.offender_id)
    if hit.size:
        i = int(hit[0])
        want_harm = float(scores.harm[i])
        want_count = int(scores.n_events[i])
        if want_count != result.n_events or result.harm != want_harm:
            msg = (
                f"these events give the offender {result.n_events} counted events and harm "
                f"{result.harm!r}, but the scores hold {want_count} and {want_harm!r}: "
                "they are not the events the scores were computed from"
            )
            raise DataError(msg)
    return result
