"""Tests of crimeharm.dask: scoring on a local dask.distributed cluster equals local scoring."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import crimeharm as ch
from crimeharm.testing import assert_scores_equal

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
pd = pytest.importorskip("pandas")
pytest.importorskip("pyarrow")

from crimeharm.dask import score_dask, top_dask  # noqa: E402 - after the optional imports

AS_OF = np.datetime64("2023-07-18", "D")
SCHEME = ch.WeightScheme.from_mapping({"a": 1.0, "b": 2.5, "c": 0.0, "d": 5475.0}, name="toy")
DECAY = ch.ExponentialDecay(half_life_days=365)
KW: dict[str, Any] = {"as_of": AS_OF, "window_days": 1826, "decay": DECAY}


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    # threads, not processes: starts in well under a second and needs no spawn; the partials
    # still travel through the scheduler as they would between machines
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # distributed's start-up chatter (ports, resources)
        cluster = distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
        )
        client = distributed.Client(cluster)
    yield client
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        client.close()
        cluster.close()


def frame(n: int, seed: int, *, victims: bool = False) -> Any:
    rng = np.random.default_rng(seed)
    data = {
        "suspect": rng.integers(0, n // 4, n),
        "code": rng.choice(SCHEME.codes, n),
        "when": AS_OF - rng.integers(-20, 2100, n).astype("m8[D]"),
    }
    if victims:
        data["victim"] = rng.integers(0, 9, n)
    return pd.DataFrame(data)


COLUMNS = {"offender_id": "suspect", "offence_code": "code", "date": "when"}


def local(df: Any, **columns: str) -> ch.Scores:
    events = ch.Events.from_pandas(df, **{**COLUMNS, **columns})
    return ch.score(events, SCHEME, **KW)


def test_dask_frame_equals_local_scoring(client: Any) -> None:
    df = frame(6_000, 1, victims=True)
    ddf = dd.from_pandas(df, npartitions=7)
    columns = {**COLUMNS, "victim_id": "victim"}
    got = score_dask(ddf, SCHEME, columns=columns, split_every=3, **KW)
    assert_scores_equal(got, local(df, victim_id="victim"))
    top = top_dask(ddf, SCHEME, n=10, columns=columns, split_every=3, **KW)
    assert top == got.top(10)


# dask's Parquet reader calls pandas' reset_index(inplace=True), deprecated in pandas 3.1
@pytest.mark.filterwarnings("ignore:The inplace keyword in DataFrame.reset_index:Warning")
def test_parquet_directory_equals_local_scoring(client: Any, tmp_path: Path) -> None:
    df = frame(5_000, 2)
    for i, part in enumerate(np.array_split(np.arange(len(df)), 4)):
        df.iloc[part].to_parquet(tmp_path / f"part-{i}.parquet", index=False)
    got = score_dask(tmp_path, SCHEME, columns=COLUMNS, **KW)
    assert_scores_equal(got, local(df))
    assert got.report.total == len(df)


def test_bad_parameters_fail_on_the_client(client: Any) -> None:
    ddf = dd.from_pandas(frame(100, 3), npartitions=2)
    with pytest.raises(ch.ParameterError, match="window_days"):
        score_dask(ddf, SCHEME, columns=COLUMNS, as_of=AS_OF, window_days=-1)
    with pytest.raises(ch.ParameterError, match="not a field"):
        score_dask(ddf, SCHEME, columns={"suspect": "offender_id"}, **KW)
    with pytest.raises(ch.ParameterError, match="split_every"):
        score_dask(ddf, SCHEME, columns=COLUMNS, split_every=1, **KW)
    with pytest.raises(ch.ParameterError, match="dask DataFrame"):
        score_dask([1, 2], SCHEME, **KW)


# dask's Parquet reader calls pandas' reset_index(inplace=True), deprecated in pandas 3.1
@pytest.mark.filterwarnings("ignore:The inplace keyword in DataFrame.reset_index:Warning")
def test_the_module_docstring_example_runs(client: Any, tmp_path: Path) -> None:
    import doctest

    import crimeharm.scale.dask as module

    events = ch.make_demo_events(2_000, seed=4)
    events.to_pandas().to_parquet(tmp_path / "part-0.parquet", index=False)
    assert module.__doc__ is not None
    text = module.__doc__.replace('"s3://force/events/"', repr(str(tmp_path)))
    # run the scoring line here (the cluster lines stay skipped: the fixture is the client)
    text = text.replace("decay=decay)                     # doctest: +SKIP", "decay=decay)")
    test = doctest.DocTestParser().get_doctest(text, {"score_dask": score_dask}, "doc", None, 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test, clear_globs=False)
    assert runner.summarize(verbose=False).failed == 0
    scores = test.globs["scores"]
    decay = ch.get_decay("exponential", half_life_days=365)
    read = ch.read_parquet(tmp_path / "part-0.parquet")  # victim ids too, as score_dask reads
    want = ch.score(read, "cchi-2020", as_of="2023-07-18", window_days=1826, decay=decay)
    assert want.victims is not None
    assert_scores_equal(scores, want)
