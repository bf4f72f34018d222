"""``crimeharm.io.arrays``: Arrow <-> numpy from buffers, equal to pyarrow's own conversions."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crimeharm.io.arrays import arrow_of, arrow_strings, numpy_of, numpy_strings, pooled_empty

pa = pytest.importorskip("pyarrow")

INTS = st.lists(st.integers(-(2**63), 2**63 - 1), max_size=50)


@given(INTS, st.integers(0, 5), st.sampled_from(["int64", "int32", "uint8", "float64"]))
def test_numpy_of_equals_to_numpy(values: list[int], skip: int, dtype: str) -> None:
    arr = np.array(values, dtype=np.int64).astype(dtype)
    sliced = pa.array(arr).slice(min(skip, len(values)))
    ours = numpy_of(sliced)
    assert ours.dtype == sliced.to_numpy().dtype
    assert ours.tolist() == sliced.to_numpy().tolist()


@given(st.lists(st.booleans(), max_size=70), st.integers(0, 9))
def test_booleans_keep_their_bit_offset(values: list[bool], skip: int) -> None:
    sliced = pa.array(values, pa.bool_()).slice(min(skip, len(values)))
    assert numpy_of(sliced).tolist() == sliced.to_pylist()
    assert numpy_of(arrow_of(np.array(values, dtype=bool))).tolist() == values


def test_dates_chunks_and_nulls() -> None:
    days = pa.array([0, 19000, -1], pa.int32()).cast(pa.date32())
    assert numpy_of(days).tolist() == days.to_numpy(zero_copy_only=False).tolist()
    assert numpy_of(days).dtype == np.dtype("datetime64[D]")
    chunked = pa.chunked_array([pa.array([1, 2]), pa.array([3])])
    assert numpy_of(chunked).tolist() == [1, 2, 3]
    with_null = pa.array([1, None, 3])
    assert np.isnan(numpy_of(with_null)[1])  # as to_numpy(zero_copy_only=False) gives it
    assert numpy_of(pa.array([], pa.int64())).tolist() == []


@given(st.lists(st.integers(-(2**63), 2**63 - 1), max_size=40))
def test_arrow_of_shares_numpy_memory(values: list[int]) -> None:
    arr = np.array(values, dtype=np.int64)
    assert arrow_of(arr).to_pylist() == values
    assert arrow_of(arr).type == pa.int64()


@given(
    st.lists(
        st.text(st.characters(exclude_characters="\x00", exclude_categories=("Cs",))), max_size=30
    )
)
def test_strings_both_ways(texts: list[str]) -> None:  # (numpy text drops trailing NULs)
    arr = arrow_strings(texts)
    assert arr.to_pylist() == texts
    assert arr.validate(full=True) is None
    assert numpy_strings(arr).tolist() == texts


@pytest.mark.parametrize("dtype", ["int64", "<U7", "int32"])
def test_pooled_arrays_are_writable_numpy(dtype: str) -> None:
    arr = pooled_empty((3, 4), dtype)
    assert arr.shape == (3, 4)
    assert arr.dtype == np.dtype(dtype)
    assert arr.flags.writeable
    arr[...] = np.arange(12).reshape(3, 4).astype(dtype)
    assert arr.ravel().tolist() == np.arange(12).astype(dtype).tolist()
    assert pooled_empty(0, dtype).shape == (0,)


def test_reading_plain_files_does_not_load_pandas(tmp_path: Path) -> None:
    pytest.importorskip("pandas")  # only then could pyarrow's conversions load it
    path = tmp_path / "events.csv"
    path.write_text(
        "offender_id,offence_code,date,victim_sex\n"
        + "".join(f"{k % 7},105/01,2023-01-{1 + k % 28:02d},F\n" for k in range(200)),
        encoding="utf-8",
    )
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    pq.write_table(pacsv.read_csv(path), tmp_path / "events.parquet")
    code = (
        "import sys, crimeharm as ch; e = ch.read_csv(sys.argv[1], engine=sys.argv[2]); "
        "ch.read_parquet(sys.argv[1].replace('.csv', '.parquet')); "
        "ch.top(e, scheme='cchi-2020', as_of='2023-07-18', n=3); print('pandas' in sys.modules)"
    )
    engines = ["pyarrow", "python"]
    if "numba" in sys.modules or _has("numba"):
        engines.append("numba")
    for engine in engines:
        out = subprocess.run(
            [sys.executable, "-c", code, str(path), engine],
            capture_output=True,
            text=True,
            check=True,
        )
        assert out.stdout.strip() == "False", (engine, out.stderr)


def _has(module: str) -> bool:
    from importlib.util import find_spec

    return find_spec(module) is not None
