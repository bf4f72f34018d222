"""Streaming and mergeable scoring: harm is a sum, so scores of parts of the events merge.

[`Scorer`][crimeharm.Scorer] takes events chunk by chunk (``add``, ``add_many``, ``add_file``) and
keeps one row per offender (plus one per distinct offender-victim pair when the events carry victim
ids), never the events themselves: memory is bounded by the number of offenders, not of events.
[`Partial`][crimeharm.scale.streaming.Partial] is that state as plain data, to ship between
processes (``crimeharm.dask``).

Counts, first/last dates, victims and the report of a merged result equal those of scoring all
events at once exactly. Harm is summed per chunk and then across chunks, a different order of
additions than one pass over all rows, so it agrees within a relative 1e-9 (in practice within a
few units in the last place), not always bit for bit.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from queue import Empty, Full, Queue
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from ..core.decay import Decay
from ..core.events import Events
from ..core.results import Ranking, Report, ScoreParams, Scores
from ..core.schemes import WeightScheme
from ..core.scoring import OnUnknown, _aggregate, _full_pass, _plan
from ..errors import ParameterError

__all__ = ["Partial", "Scorer", "merge_partials", "no_events", "partial_of", "score_file"]

_PARQUET_SUFFIXES = (".parquet", ".pq", ".parq")
_NO_ROWS = Report(total=0, counted=0)
_PENDING_MIN = 1 << 20  # victim pairs: merge pending partials once they hold this many rows
_FRESH_MIN = 1 << 16  # fold new offenders into the state once there are this many


@attrs.frozen(eq=False)
class Partial:
    """Per-offender sums over some events: mergeable with other partials of the same scoring.

    Columns are sorted by offender id. ``pair_offender``/``pair_victim`` hold the distinct
    (offender, victim) pairs among counted events (None when the events carry no victim ids).
    """

    offender_id: npt.NDArray[Any]
    harm: npt.NDArray[np.float64]
    count: npt.NDArray[np.int64]
    first: npt.NDArray[np.datetime64]
    last: npt.NDArray[np.datetime64]
    report: Report
    params: ScoreParams
    pair_offender: npt.NDArray[Any] | None = None
    pair_victim: npt.NDArray[Any] | None = None

    @property
    def rows(self) -> int:
        """Rows held (offenders plus victim pairs): what the memory use scales with."""
        pairs = 0 if self.pair_offender is None else int(self.pair_offender.size)
        return int(self.offender_id.size) + pairs

    def to_scores(self) -> Scores:
        """The [`Scores`][crimeharm.Scores] these sums describe."""
        victims = None
        if self.pair_offender is not None:
            starts = np.searchsorted(self.pair_offender, self.offender_id, side="left")
            stops = np.searchsorted(self.pair_offender, self.offender_id, side="right")
            victims = (stops - starts).astype(np.int64)
        return Scores(
            offender_id=self.offender_id,
            harm=self.harm,
            count=self.count,
            first=self.first,
            last=self.last,
            victims=victims,
            report=self.report,
            params=self.params,
        )

    def merge(self, other: Partial) -> Partial:
        """The partial of both sets of events (the events must be disjoint)."""
        return merge_partials([self, other])


def no_events() -> Events:
    """An Events table with no rows (scoring it checks the parameters)."""
    return Events(
        offender_id=np.empty(0, dtype=np.int64),
        offence_code=np.empty(0, dtype="<U1"),
        date=np.empty(0, dtype="datetime64[D]"),
    )


def partial_of(
    events: Events,
    scheme: WeightScheme | str,
    *,
    as_of: Any,
    window_days: int | None = None,
    decay: Decay | str | None = None,
    on_unknown: OnUnknown = "raise",
    fallback_weight: float | None = None,
) -> Partial:
    """The mergeable partial of one chunk of events (arguments as
    [`crimeharm.score`][crimeharm.score]).
    """
    plan = _plan(
        events,
        scheme,
        as_of=as_of,
        window_days=window_days,
        decay=decay,
        on_unknown=on_unknown,
        fallback_weight=fallback_weight,
    )
    full = _full_pass(plan)
    rows = None if full.counted is None else np.flatnonzero(full.counted)
    cols = _aggregate(events, plan.params.as_of, full.value, full.age, rows, pairs=True)
    pairs = cols.get("pairs")
    return Partial(
        offender_id=cols["offender_id"],
        harm=cols["harm"],
        count=cols["count"],
        first=cols["first"],
        last=cols["last"],
        report=full.report,
        params=plan.params,
        pair_offender=None if pairs is None else pairs[0],
        pair_victim=None if pairs is None else pairs[1],
    )


def _common_params(parts: Sequence[Partial]) -> ScoreParams:
    params = parts[0].params
    for p in parts[1:]:
        if p.params != params:
            msg = (
                "cannot merge scores computed with different parameters: "
                f"{params.to_dict()} vs {p.params.to_dict()}"
            )
            raise ParameterError(msg)
    return params


def _id_kind(ids: npt.NDArray[Any]) -> str:
    return "str" if ids.dtype.kind == "U" else "int"


def merge_partials(parts: Sequence[Partial]) -> Partial:
    """One partial from several of disjoint events (in order: harm adds in this order)."""
    if not parts:
        msg = "merge needs at least one partial"
        raise ParameterError(msg)
    params = _common_params(parts)
    report = parts[0].report
    for p in parts[1:]:
        report = report.merge(p.report)
    nonempty = [p for p in parts if p.offender_id.size]
    kinds = {_id_kind(p.offender_id) for p in nonempty}
    if len(kinds) > 1:
        msg = "cannot merge scores with integer offender ids and scores with string ids"
        raise ParameterError(msg)
    with_pairs = {p.pair_offender is not None for p in nonempty}
    if len(with_pairs) > 1:
        msg = "cannot merge scores of events with victim ids and of events without them"
        raise ParameterError(msg)
    if not nonempty:
        return attrs.evolve(parts[0], report=report)
    if len(nonempty) == 1:
        return attrs.evolve(nonempty[0], report=report)
    ids = np.concatenate([p.offender_id for p in nonempty])
    order = np.argsort(ids, kind="stable")  # sorted runs: timsort merges them in linear time
    ids = ids[order]
    starts = np.flatnonzero(np.concatenate(([True], ids[1:] != ids[:-1])))
    ids = ids[starts]

    def reduce(ufunc: np.ufunc, name: str) -> npt.NDArray[Any]:
        column = np.concatenate([getattr(p, name) for p in nonempty])[order]
        return ufunc.reduceat(column, starts) if column.size else column

    pair_offender = pair_victim = None
    if True in with_pairs:
        po = np.concatenate([p.pair_offender for p in nonempty])
        pv = np.concatenate([p.pair_victim for p in nonempty])
        keep = np.lexsort((pv, po))
        po, pv = po[keep], pv[keep]
        new = np.concatenate(([True], (po[1:] != po[:-1]) | (pv[1:] != pv[:-1])))
        pair_offender, pair_victim = po[new], pv[new]
    return Partial(
        offender_id=ids,
        harm=reduce(np.add, "harm"),
        count=reduce(np.add, "count"),
        first=reduce(np.minimum, "first"),
        last=reduce(np.maximum, "last"),
        report=report,
        params=params,
        pair_offender=pair_offender,
        pair_victim=pair_victim,
    )


def partial_from_scores(scores: Scores) -> Partial:
    """A partial from [`Scores`][crimeharm.Scores] (only without victims: victim counts do not
    add up).
    """
    if scores.victims is not None:
        msg = (
            "scores with victim counts cannot be merged (a victim may appear in both parts); "
            "use crimeharm.Scorer, which keeps the distinct offender-victim pairs"
        )
        raise ParameterError(msg)
    return Partial(
        offender_id=scores.offender_id,
        harm=scores.harm,
        count=scores.count,
        first=scores.first,
        last=scores.last,
        report=scores.report,
        params=scores.params,
    )


def _as_events(chunk: Any, options: dict[str, Any]) -> Events:
    if isinstance(chunk, Events):
        if options:
            msg = f"read options {sorted(options)} apply to frames and tables, not to Events"
            raise ParameterError(msg)
        return chunk
    module = type(chunk).__module__.split(".")[0]
    if module == "pyarrow":
        return Events.from_arrow(chunk, **options)
    if module == "pandas":
        return Events.from_pandas(chunk, **options)
    if module == "polars":
        return Events.from_polars(chunk, **options)
    msg = (
        "add() takes crimeharm.Events, a pyarrow Table/RecordBatch or a pandas/polars DataFrame "
        f"(got {type(chunk).__name__})"
    )
    raise ParameterError(msg)


_DONE = object()


def _prefetched(items: Iterable[Any], depth: int) -> Iterator[Any]:
    """``items``, produced by a background thread up to ``depth`` ahead (0: in this thread)."""
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 0:
        msg = f"prefetch must be a whole number >= 0 (got {depth!r})"
        raise ParameterError(msg)
    if depth == 0:
        yield from items
        return
    queue: Queue[Any] = Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        queue.put((item, None), timeout=0.1)
                        break
                    except Full:
                        continue
                if stop.is_set():
                    return
            queue.put((_DONE, None))
        except BaseException as exc:  # handed to the consumer, raised there
            queue.put((_DONE, exc))

    worker = threading.Thread(target=produce, name="crimeharm-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item, error = queue.get()
            if item is _DONE:
                if error is not None:
                    raise error
                return
            yield item
    finally:
        stop.set()
        while worker.is_alive():  # unblock a producer waiting on a full queue
            try:
                queue.get_nowait()
            except Empty:
                worker.join(timeout=0.1)


class Scorer:
    """Accumulates harm chunk by chunk; memory is bounded by offenders, not events.

    >>> scorer = Scorer("cchi-2020", as_of="2023-07-18", window_days=1826)   # doctest: +SKIP
    >>> for chunk in crimeharm.io.iter_csv("events.csv"):                    # doctest: +SKIP
    ...     scorer.add(chunk)
    >>> scorer.top(100)                                                       # doctest: +SKIP

    Arguments are those of [`crimeharm.score`][crimeharm.score]. ``result()`` equals ``score()`` of
    all the events added: counts, dates, victims and report exactly, harm within a relative 1e-9.
    """

    def __init__(
        self,
        scheme: WeightScheme | str,
        *,
        as_of: Any,
        window_days: int | None = None,
        decay: Decay | str | None = None,
        on_unknown: OnUnknown = "raise",
        fallback_weight: float | None = None,
    ) -> None:
        from ..core.scoring import _as_of, resolve_decay, resolve_scheme

        self._options: dict[str, Any] = {
            "scheme": resolve_scheme(scheme),
            "as_of": _as_of(as_of),
            "window_days": window_days,
            "decay": resolve_decay(decay),
            "on_unknown": on_unknown,
            "fallback_weight": fallback_weight,
        }
        self._state: Partial | None = None
        self._owned = False  # whether the state's arrays are ours to update in place
        self._fresh: Partial | None = None  # offenders not in the state yet (no victim pairs)
        self._pending: list[Partial] = []
        self._pending_rows = 0
        # fail now, not at the first chunk, on bad parameters
        self._empty = self._score(no_events())

    def _score(self, events: Events) -> Partial:
        opts = dict(self._options)
        return partial_of(events, opts.pop("scheme"), **opts)

    @property
    def params(self) -> ScoreParams:
        """The parameters every chunk is scored with."""
        return self._empty.params

    def add(self, events: Any, **options: Any) -> Scorer:
        """Score one chunk (Events, a pyarrow Table/RecordBatch, a pandas/polars DataFrame).

        ``options`` (column names, ...) go to ``Events.from_arrow``/``from_pandas``/
        ``from_polars``. Returns the scorer, so calls chain.
        """
        self._push(self._score(_as_events(events, options)))
        return self

    def add_many(self, chunks: Iterable[Any], *, prefetch: int = 1, **options: Any) -> Scorer:
        """Score every chunk of an iterable (e.g.
        [`crimeharm.io.iter_parquet`][crimeharm.iter_parquet]).

        With ``prefetch`` > 0 a background thread reads up to that many chunks ahead, so reading
        (parsing) and scoring overlap; memory holds at most ``prefetch + 2`` chunks.
        """
        for chunk in _prefetched(chunks, prefetch):
            self.add(chunk, **options)
        return self

    def add_file(self, path: str | Path, *, chunk_rows: int = 1_000_000, **options: Any) -> Scorer:
        """Score a CSV or Parquet file ``chunk_rows`` rows at a time (read options as read_csv)."""
        from ..io import readers as io

        suffix = Path(path).suffix.lower()
        reader = io.iter_parquet if suffix in _PARQUET_SUFFIXES else io.iter_csv
        return self.add_many(reader(path, chunk_rows=chunk_rows, **options))

    def merge(self, other: Scorer | Partial | Scores) -> Scorer:
        """Fold in the results of other events (another Scorer, a Partial or Scores)."""
        given: object = other  # callers without type checking may pass anything
        if isinstance(given, Scorer):
            part = given.partial()
        elif isinstance(given, Scores):
            part = partial_from_scores(given)
        elif isinstance(given, Partial):
            part = given
        else:
            msg = f"merge takes a Scorer, Partial or Scores (got {type(given).__name__})"
            raise ParameterError(msg)
        _common_params([self._empty, part])
        self._push(part)
        return self

    def _push(self, part: Partial) -> None:
        state = self._state
        with_pairs = part.pair_offender is not None or (
            state is not None and state.pair_offender is not None
        )
        if with_pairs or self._pending or state is None or not state.offender_id.size:
            self._pending.append(part)
            self._pending_rows += part.rows
            held = 0 if state is None else state.rows
            # merge when the pending rows reach a quarter of those held: each merge costs
            # O(held), so the work stays linear in the rows added
            if self._pending_rows >= max(held // 4, _PENDING_MIN) or not with_pairs:
                self._compact()
            return
        self._absorb(state, part)

    def _absorb(self, state: Partial, part: Partial) -> None:
        """Add a partial without victim pairs: in place for the offenders already held.

        Offenders not held yet collect in a small side partial, folded into the state when it
        reaches an eighth of it; so a chunk costs O(its offenders x log(held)), not O(held).
        """
        if _id_kind(part.offender_id) != _id_kind(state.offender_id) and part.offender_id.size:
            merge_partials([state, part])  # raises the error about mixed id kinds
        _common_params([state, part])
        ids = state.offender_id
        at = np.minimum(np.searchsorted(ids, part.offender_id), ids.size - 1)
        found = ids[at] == part.offender_id
        if not self._owned:  # arrays shared with a caller of partial(): copy before writing
            state = attrs.evolve(
                state,
                harm=state.harm.copy(),
                count=state.count.copy(),
                first=state.first.copy(),
                last=state.last.copy(),
            )
            self._owned = True
        rows = at[found]
        state.harm[rows] += part.harm[found]  # ids are unique: no repeated rows
        state.count[rows] += part.count[found]
        state.first[rows] = np.minimum(state.first[rows], part.first[found])
        state.last[rows] = np.maximum(state.last[rows], part.last[found])
        state = attrs.evolve(state, report=state.report.merge(part.report))
        new = ~found
        if new.any():
            fresh = Partial(
                offender_id=part.offender_id[new],
                harm=part.harm[new],
                count=part.count[new],
                first=part.first[new],
                last=part.last[new],
                report=_NO_ROWS,
                params=part.params,
            )
            self._fresh = fresh if self._fresh is None else merge_partials([self._fresh, fresh])
            if self._fresh.rows >= max(state.rows // 8, _FRESH_MIN):
                state = merge_partials([state, self._fresh])
                self._fresh = None
        self._state = state

    def _compact(self) -> None:
        parts = [p for p in (self._state, self._fresh) if p is not None] + self._pending
        if parts:
            self._state = merge_partials(parts)
            # merge_partials hands back a lone non-empty part's own arrays: not ours to write
            self._owned = sum(1 for p in parts if p.offender_id.size) > 1
        self._fresh = None
        self._pending = []
        self._pending_rows = 0

    def partial(self) -> Partial:
        """The accumulated sums as a [`Partial`][crimeharm.scale.streaming.Partial] (to merge
        elsewhere).
        """
        self._compact()
        self._owned = False  # the caller may keep these arrays: copy before writing again
        return self._empty if self._state is None else self._state

    def result(self) -> Scores:
        """Harm of every offender over every chunk added so far."""
        return self.partial().to_scores()

    def top(self, n: int = 100) -> Ranking:
        """The ``n`` offenders with the most harm so far (ranking order)."""
        return self.result().top(n)

    def __repr__(self) -> str:
        part = self.partial()
        return (
            f"<Scorer: {part.offender_id.size:,} offenders from {part.report.total:,} rows, "
            f"scheme {part.params.scheme!r}, as_of {part.params.as_of}>"
        )


def score_file(
    path: str | Path,
    scheme: WeightScheme | str,
    *,
    as_of: Any,
    window_days: int | None = None,
    decay: Decay | str | None = None,
    on_unknown: OnUnknown = "raise",
    fallback_weight: float | None = None,
    chunk_rows: int = 1_000_000,
    **options: Any,
) -> Scores:
    """Score a CSV or Parquet file of any size in bounded memory (see
    [`Scorer`][crimeharm.Scorer]).
    """
    scorer = Scorer(
        scheme,
        as_of=as_of,
        window_days=window_days,
        decay=decay,
        on_unknown=on_unknown,
        fallback_weight=fallback_weight,
    )
    return scorer.add_file(path, chunk_rows=chunk_rows, **options).result()
