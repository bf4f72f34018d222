"""Scoring on a Dask cluster: each partition -> a mergeable partial -> a tree of merges.

Needs the ``dask`` extra (``pip install 'crimeharm[dask]'``). Every partition is scored where it
lives ([`crimeharm.scale.streaming.partial_of`][crimeharm.scale.streaming.partial_of]), the
per-offender partials are merged pairwise in a tree (``split_every`` at a time), and only the final
per-offender table comes back to the client, so the client's memory is bounded by the number of
offenders. Results equal [`crimeharm.score`][crimeharm.score] of all the rows, harm bit for bit
included (partials carry exact sums).

>>> import crimeharm as ch
>>> from distributed import Client                                         # doctest: +SKIP
>>> client = Client("tcp://scheduler:8786")                                # doctest: +SKIP
>>> decay = ch.get_decay("exponential", half_life_days=365)
>>> scores = score_dask("s3://force/events/", "cchi-2020", as_of="2023-07-18",
...                     window_days=1826, decay=decay)                     # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._optional import require
from ..core.parameters import ScoringOptions, check_count
from ..core.results import Ranking, Scores
from ..core.schemes import WeightScheme

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ..core.parameters import ScoringArgs

from ..errors import ParameterError
from .streaming import Partial, merge_partials, partial_with

__all__ = ["score_dask", "top_dask"]

_FIELDS = ("offender_id", "offence_code", "date", "victim_id", "crime_id")


def _partition_partial(frame: Any, options: ScoringOptions, columns: Mapping[str, str]) -> Partial:
    """Score one pandas partition (runs on a worker)."""
    from ..core.events import Events

    return partial_with(Events.from_pandas(frame, **columns), options)


def _merge(parts: Sequence[Partial]) -> Partial:
    return merge_partials(list(parts))


def _frame(data: Any, columns: Mapping[str, str], by: str) -> Any:
    """A dask DataFrame from a dask/pandas frame, or from a Parquet file or directory path."""
    dd = require("dask.dataframe", "dask")
    if isinstance(data, (str, Path)):
        frame = dd.read_parquet(str(data))  # the schema only: columns are read when computed
        wanted = [columns.get(f, f) for f in ("offender_id", "offence_code", "date")]
        wanted += [columns[f] for f in ("victim_id", "crime_id") if f in columns]
        # victim and crime ids are read wherever the file has them, as read_parquet reads them
        wanted += [f for f in ("victim_id", "crime_id") if f not in columns and f in frame.columns]
        if by not in _FIELDS or (by != "offender_id" and by not in columns):
            wanted.append(by)
        wanted = list(dict.fromkeys(wanted))
        absent = [c for c in wanted if c not in frame.columns]
        if absent:
            msg = f"{data}: no column {absent[0]!r}; columns: {', '.join(map(str, frame.columns))}"
            raise ParameterError(msg)
        return frame[wanted]
    if hasattr(data, "to_delayed") and hasattr(data, "npartitions"):
        return data
    module = type(data).__module__.split(".")[0]
    if module == "pandas":
        return dd.from_pandas(data, npartitions=1)
    msg = (
        "score_dask takes a dask DataFrame, a pandas DataFrame or the path of a Parquet file or "
        f"directory (got {type(data).__name__})"
    )
    raise ParameterError(msg)


def _columns(columns: Mapping[str, str] | None) -> dict[str, str]:
    if columns is None:
        return {}
    unknown = sorted(set(columns) - set(_FIELDS))
    if unknown:
        msg = (
            f"columns maps Events fields to column names; {unknown[0]!r} is not a field "
            f"(fields: {', '.join(_FIELDS)})"
        )
        raise ParameterError(msg)
    return {str(k): str(v) for k, v in columns.items()}


def partial_dask(
    data: Any,
    scheme: WeightScheme | str,
    *,
    columns: Mapping[str, str] | None = None,
    split_every: int = 8,
    **scoring: Unpack[ScoringArgs],
) -> Any:
    """A dask Delayed of the merged [`Partial`][crimeharm.scale.streaming.Partial] of ``data``."""
    dask = require("dask", "dask")
    split_every = check_count(split_every, "split_every", 2)
    names = _columns(columns)
    options = ScoringOptions.build(scheme, **scoring)  # bad parameters fail here, not on a worker
    frame = _frame(data, names, options.by)
    reading: dict[str, str] = dict(names)
    ids = names.get("offender_id", "offender_id")
    if ids in frame.columns and frame.dtypes[ids].kind not in "iu":
        reading["id_type"] = "str"  # one id type for every partition ("auto" decides per part)
    score_part = dask.delayed(_partition_partial, pure=True)
    merge = dask.delayed(_merge, pure=True)
    layer = [score_part(part, options, reading) for part in frame.to_delayed()]
    if not layer:
        msg = "the dask DataFrame has no partitions"
        raise ParameterError(msg)
    while len(layer) > 1:
        layer = [merge(layer[i : i + split_every]) for i in range(0, len(layer), split_every)]
    return layer[0]


def score_dask(
    data: Any,
    scheme: WeightScheme | str,
    *,
    columns: Mapping[str, str] | None = None,
    split_every: int = 8,
    **scoring: Unpack[ScoringArgs],
) -> Scores:
    """Harm of every offender in a dask DataFrame or a Parquet file/directory (on the cluster).

    ``columns`` maps Events fields to column names (``{"offender_id": "suspect_ref"}``).
    Computes with the active dask scheduler: a ``distributed.Client`` if one is connected,
    else dask's default. Scoring keywords (``as_of``, ``window_days``, ``decay``,
    ``on_unknown``, ``fallback_weight``, ``by``) as [`crimeharm.score`][crimeharm.score].
    """
    dask = require("dask", "dask")
    delayed = partial_dask(data, scheme, columns=columns, split_every=split_every, **scoring)
    (partial,) = dask.compute(delayed)
    result: Scores = partial.to_scores()
    return result


def top_dask(
    data: Any,
    scheme: WeightScheme | str,
    *,
    n: int = 100,
    columns: Mapping[str, str] | None = None,
    split_every: int = 8,
    **scoring: Unpack[ScoringArgs],
) -> Ranking:
    """The ``n`` offenders with the most harm (the same rows as ``score_dask(...).top(n)``)."""
    n = check_count(n, "n")
    return score_dask(data, scheme, columns=columns, split_every=split_every, **scoring).top(n)
