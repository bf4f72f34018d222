"""Streaming and mergeable scoring: harm is a sum, so scores of parts of the events merge.

[`Scorer`][crimeharm.Scorer] takes events chunk by chunk (``add``, ``add_many``, ``add_file``) and
keeps one row per offender (plus one per distinct offender-victim pair when the events carry victim
ids), never the events themselves: memory is bounded by the number of offenders, not of events.
[`Partial`][crimeharm.scale.streaming.Partial] is that state as plain data, to ship between
processes (``crimeharm.dask``).

Partials carry harm as exact integer sums (``ExactSums``) and
merge them exactly, so a merged result equals scoring all events at once, harm bit for bit
included, whatever the chunking and the order of the merges.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from queue import Empty, Full, Queue
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import numpy.typing as npt

from ..core.engine import GroupSums, evaluate, plan, scores_of, sums_of
from ..core.events import Events, as_events
from ..core.parameters import ScoringOptions, split_keywords
from ..core.results import Ranking, Report, ScoreParams, Scores
from ..core.schemes import WeightScheme

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ..core.parameters import ScoringArgs

from ..errors import ParameterError
from ..kernels.summation import ExactSums

__all__ = ["Partial", "Scorer", "merge_partials", "no_events", "partial_of", "score_file"]

_PARQUET_SUFFIXES = (".parquet", ".pq", ".parq")
_NO_ROWS = Report(total=0, counted=0)
_PENDING_MIN = 1 << 20  # victim pairs: merge pending partials once they hold this many rows
_FRESH_MIN = 1 << 16  # fold new offenders into the state once there are this many


@attrs.frozen(eq=False)
class Partial:
    """Per-group sums over some events: mergeable with other partials of the same scoring.

    Columns are sorted by key (``offender_id`` holds the keys of the ``by`` column); ``exact``
    is the exact harm. ``pair_offender``/``pair_victim`` hold the distinct (key, victim) pairs
    among counted events (None when the events carry no victim ids).
    """

    offender_id: npt.NDArray[Any]
    exact: ExactSums
    n_events: npt.NDArray[np.int64]
    first_date: npt.NDArray[np.datetime64]
    last_date: npt.NDArray[np.datetime64]
    report: Report
    params: ScoreParams
    pair_offender: npt.NDArray[Any] | None = None
    pair_victim: npt.NDArray[Any] | None = None

    @property
    def harm(self) -> npt.NDArray[np.float64]:
        """float64 harm per group (a function of the exact sums alone)."""
        return self.exact.to_float()

    @property
    def rows(self) -> int:
        """Rows held (offenders plus victim pairs): what the memory use scales with."""
        pairs = 0 if self.pair_offender is None else int(self.pair_offender.size)
        return int(self.offender_id.size) + pairs

    def to_scores(self) -> Scores:
        """The [`Scores`][crimeharm.Scores] these sums describe."""
        pairs = None
        if self.pair_offender is not None and self.pair_victim is not None:
            pairs = (self.pair_offender, self.pair_victim)
        sums = GroupSums(
            self.offender_id, self.exact, self.n_events, self.first_date, self.last_date, pairs
        )
        return scores_of(sums, self.report, self.params)

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


def partial_of(events: Any, scheme: WeightScheme | str, **scoring: Unpack[ScoringArgs]) -> Partial:
    """The mergeable partial of one chunk of events (arguments as
    [`crimeharm.score`][crimeharm.score]).
    """
    return partial_with(as_events(events), ScoringOptions.build(scheme, **scoring))


def empty_partial(options: ScoringOptions) -> Partial:
    """The partial of no events (what merging starts from)."""
    return Partial(
        offender_id=np.empty(0, dtype=np.int64),
        exact=ExactSums.zeros(0),
        n_events=np.empty(0, dtype=np.int64),
        first_date=np.empty(0, dtype="datetime64[D]"),
        last_date=np.empty(0, dtype="datetime64[D]"),
        report=_NO_ROWS,
        params=options.params(),
    )


def partial_with(events: Events, options: ScoringOptions) -> Partial:
    """[`partial_of`][crimeharm.scale.streaming.partial_of] with validated options."""
    p = plan(events, options)
    full = evaluate(p)
    sums = sums_of(p, full)
    return Partial(
        offender_id=sums.key,
        exact=sums.exact,
        n_events=sums.n_events,
        first_date=sums.first_date,
        last_date=sums.last_date,
        report=full.report,
        params=p.params,
        pair_offender=None if sums.pairs is None else sums.pairs[0],
        pair_victim=None if sums.pairs is None else sums.pairs[1],
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

    def reduce(ufunc: np.ufunc, column: npt.NDArray[Any]) -> npt.NDArray[Any]:
        column = column[order]
        return ufunc.reduceat(column, starts) if column.size else column

    def gather(name: str) -> npt.NDArray[Any]:
        return np.concatenate([getattr(p, name) for p in nonempty])

    whole = np.concatenate([p.exact.whole for p in nonempty])
    frac = np.concatenate([p.exact.frac for p in nonempty])
    # fractions below 2**62 are summed in three 21-bit pieces: exact for any number of parts
    exact = ExactSums.from_parts(
        reduce(np.add, whole),
        reduce(np.add, frac >> np.int64(42)),
        reduce(np.add, (frac >> np.int64(21)) & np.int64(0x1FFFFF)),
        reduce(np.add, frac & np.int64(0x1FFFFF)),
    )

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
        exact=exact,
        n_events=reduce(np.add, gather("n_events")),
        first_date=reduce(np.minimum, gather("first_date")),
        last_date=reduce(np.maximum, gather("last_date")),
        report=report,
        params=params,
        pair_offender=pair_offender,
        pair_victim=pair_victim,
    )


def merge_scores(*scores: Scores) -> Scores:
    """Scores of disjoint sets of events, as if scored together (exact sums: bit for bit)."""
    return merge_partials([partial_from_scores(s) for s in scores]).to_scores()


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
    exact = scores.exact
    if exact is None:
        msg = "these scores carry no exact sums (built by hand?): score the events to merge them"
        raise ParameterError(msg)
    return Partial(
        offender_id=scores.offender_id,
        exact=exact,
        n_events=scores.n_events,
        first_date=scores.first_date,
        last_date=scores.last_date,
        report=scores.report,
        params=scores.params,
    )


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
    all the events added, harm bit for bit included, in any chunking and merge order.
    """

    def __init__(self, scheme: WeightScheme | str, **scoring: Unpack[ScoringArgs]) -> None:
        self._options = ScoringOptions.build(scheme, **scoring)
        self._state: Partial | None = None
        self._owned = False  # whether the state's arrays are ours to update in place
        self._fresh: Partial | None = None  # offenders not in the state yet (no victim pairs)
        self._pending: list[Partial] = []
        self._pending_rows = 0
        self._empty = empty_partial(self._options)

    def _score(self, events: Events) -> Partial:
        return partial_with(events, self._options)

    @property
    def params(self) -> ScoreParams:
        """The parameters every chunk is scored with."""
        return self._empty.params

    def add(self, events: Any, **options: Any) -> Scorer:
        """Score one chunk (Events, a pyarrow Table/RecordBatch, a pandas/polars DataFrame).

        ``options`` (column names, ...) go to ``Events.from_arrow``/``from_pandas``/
        ``from_polars``. Returns the scorer, so calls chain.
        """
        self._push(self._score(as_events(events, options)))
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
                exact=ExactSums(state.exact.whole.copy(), state.exact.frac.copy()),
                n_events=state.n_events.copy(),
                first_date=state.first_date.copy(),
                last_date=state.last_date.copy(),
            )
            self._owned = True
        rows = at[found]
        # ids are unique: no repeated rows; two fractions below 2**62 add below 2**63
        whole, frac = state.exact.whole, state.exact.frac
        whole[rows] += part.exact.whole[found]
        frac[rows] += part.exact.frac[found]
        whole[rows] += frac[rows] >> np.int64(62)
        frac[rows] &= np.int64((1 << 62) - 1)
        state.n_events[rows] += part.n_events[found]
        state.first_date[rows] = np.minimum(state.first_date[rows], part.first_date[found])
        state.last_date[rows] = np.maximum(state.last_date[rows], part.last_date[found])
        state = attrs.evolve(state, report=state.report.merge(part.report))
        new = ~found
        if new.any():
            fresh = Partial(
                offender_id=part.offender_id[new],
                exact=part.exact.take(new),
                n_events=part.n_events[new],
                first_date=part.first_date[new],
                last_date=part.last_date[new],
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
    chunk_rows: int = 1_000_000,
    **keywords: Any,
) -> Scores:
    """Score a CSV or Parquet file of any size in bounded memory (see [`Scorer`][crimeharm.Scorer]).

    ``keywords`` are the scoring keywords of [`crimeharm.score`][crimeharm.score] and the read
    options of [`crimeharm.read_csv`][crimeharm.read_csv] /
    [`crimeharm.read_parquet`][crimeharm.read_parquet].
    """
    scoring, read_options = split_keywords(keywords)
    return Scorer(scheme, **scoring).add_file(path, chunk_rows=chunk_rows, **read_options).result()
