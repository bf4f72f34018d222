"""The compiled CSV tokenizer (``crimeharm.io.compiled``) against the pyarrow path it stands in for.

The tokenizer reads a block only when every line is plain and must then give what the pyarrow
path gives, value for value; any other line makes it decline, and the block takes the pyarrow
path. Files are built here from plain lines and every kind of line that is not plain, and read
both ways: the events, the row accounting and the error messages must be the same.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import crimeharm as ch
from crimeharm.io import csv as chcsv
from crimeharm.io.chunks import _layout

pytest.importorskip("pyarrow")
pytest.importorskip("numba")
compiled = pytest.importorskip("crimeharm.io.compiled")
pytestmark = pytest.mark.filterwarnings("ignore::crimeharm.io.ids.IdMergeWarning")

HEADER = "offender_id,offence_code,date,victim_id,crime_id,victim_sex"


def plain(k: int) -> str:
    return f"{1000 + k % 97},{['008/01', '105/01', '28/1'][k % 3]},2023-0{1 + k % 9}-{1 + k % 28:02d},{k},{7 * k},{'FM'[k % 2]}"  # noqa: E501


#: Lines that are not plain, each a case the tokenizer must leave to the pyarrow path.
NOT_PLAIN = {
    "leading zero id": "007,008/01,2023-01-05,1,2,F",
    "plus sign": "+7,008/01,2023-01-05,1,2,F",
    "minus zero": "-0,008/01,2023-01-05,1,2,F",
    "a lone minus": "-,008/01,2023-01-05,1,2,F",
    "hex id": "0x1F,008/01,2023-01-05,1,2,F",
    "above int64": "9223372036854775808,008/01,2023-01-05,1,2,F",
    "below int64": "-9223372036854775809,008/01,2023-01-05,1,2,F",
    "smallest int64": "-9223372036854775808,008/01,2023-01-05,1,2,F",
    "20 digits": "12345678901234567890,008/01,2023-01-05,1,2,F",
    "text id": "A17,008/01,2023-01-05,1,2,F",
    "null marker id": "NA,008/01,2023-01-05,1,2,F",
    "space in id": " 5,008/01,2023-01-05,1,2,F",
    "quoted code": '5,"008/01",2023-01-05,1,2,F',
    "quote in carried": '5,008/01,2023-01-05,1,2,5ft 10" tall',
    "february 30": "5,008/01,2023-02-30,1,2,F",
    "february 29 of 2023": "5,008/01,2023-02-29,1,2,F",
    "month 13": "5,008/01,2023-13-01,1,2,F",
    "day first": "5,008/01,05/01/2023,1,2,F",
    "date and time": "5,008/01,2023-01-05T10:00,1,2,F",
    "year 0": "5,008/01,0000-01-05,1,2,F",
    "too many fields": "5,008/01,2023-01-05,1,2,F,extra",
    "too few fields": "5,008/01,2023-01-05,1,2",
    "blank line": "",
    "carriage return": "5,008/01,2023-01-05,1,2,F\r",
    "every field empty": ",,,,,",
    "not UTF-8": "5,008/\xff01,2023-01-05,1,2,F",
    "control character": "5\x01,008/01,2023-01-05,1,2,F",
}

#: Plain lines with edge values the tokenizer reads itself.
PLAIN_EDGES = {
    "negative id": "-5,008/01,2023-01-05,1,2,F",
    "empty id": ",008/01,2023-01-05,1,2,F",
    "empty victim": "5,008/01,2023-01-05,,2,F",
    "empty crime id at the end": "5,008/01,2023-01-05,1,,F",
    "empty date": "5,008/01,,1,2,F",
    "zero id": "0,008/01,2023-01-05,0,0,F",
    "18 digits": "123456789012345678,008/01,2023-01-05,1,2,F",
    "19 digits": "1234567890123456789,008/01,2023-01-05,1,2,F",
    "largest int64": "9223372036854775807,008/01,2023-01-05,1,2,F",
    "largest int64 negated": "-9223372036854775807,008/01,2023-01-05,1,2,F",
    "leap day": "5,008/01,2024-02-29,1,2,F",
    "leap day of 2000": "5,008/01,2000-02-29,1,2,F",
    "year 1": "5,008/01,0001-01-01,1,2,F",
    "far future": "5,008/01,9999-12-31,1,2,F",
    "before min_date": "5,008/01,1899-12-31,1,2,F",
    "empty code": "5,,2023-01-05,1,2,F",
    "unknown code": "5,zzz,2023-01-05,1,2,F",
    "null marker code": "5,NA,2023-01-05,1,2,F",
    "padded code": "5,8/1,2023-01-05,1,2,F",
    "decomposed code": "5,Jose\u0301,2023-01-05,1,2,F",
    "composed code": "5,Jos\u00e9,2023-01-05,1,2,F",
    "empty carried": "5,008/01,2023-01-05,1,2,",
    "formula carried": "5,008/01,2023-01-05,1,2,=SUM(A1)",
    "long code": "5,X12345678,2023-01-05,1,2,F",
    "long code, other first byte": "5,Y12345678,2023-01-05,1,2,F",
    "long code, one byte longer": "5,XY12345678,2023-01-05,1,2,F",
    "long carried": "5,008/01,2023-01-05,1,2,Northamptonshire",
}


def write(path: Path, lines: list[str], *, last_newline: bool = True) -> Path:
    text = "\n".join([HEADER, *lines]) + ("\n" if last_newline else "")
    path.write_bytes(text.encode("utf-8", "surrogateescape").replace(b"\xc3\xbf", b"\xff"))
    return path


def read_both(path: Path, **options: Any) -> tuple[object, object]:
    """(compiled, pyarrow): the Events or the error message of each."""
    out: list[object] = []
    for engine in ("numba", "pyarrow"):
        try:
            out.append(ch.read_csv(path, engine=engine, **options))
        except ch.CrimeHarmError as exc:
            out.append(f"{type(exc).__name__}: {exc}")
    return out[0], out[1]


def tokenized(path: Path, **options: Any) -> bool:
    """Whether the tokenizer reads the whole body of the file itself."""
    opts = ch.ReadOptions(**options)
    data = path.read_bytes()
    names, body = chcsv._header(data, str(path), opts)
    layout = _layout(names, opts, str(path))
    stop = chcsv._body_end(data, body)
    return not isinstance(compiled.read_block(data, body, stop, 2, layout, opts, str(path)), int)


def test_plain_lines_are_read_by_the_tokenizer_as_pyarrow_reads_them(tmp_path: Path) -> None:
    path = write(tmp_path / "e.csv", [plain(k) for k in range(500)])
    assert tokenized(path)
    ours, theirs = read_both(path)
    assert isinstance(ours, ch.Events)
    assert ours == theirs
    assert ours.offender_id.dtype == np.int64
    assert ours.dropped == {}


@pytest.mark.parametrize("case", sorted(PLAIN_EDGES))
def test_plain_edge_values_are_tokenized_and_equal(tmp_path: Path, case: str) -> None:
    lines = [plain(k) for k in range(20)]
    lines[7] = PLAIN_EDGES[case]
    path = write(tmp_path / "e.csv", lines)
    assert tokenized(path)
    ours, theirs = read_both(path, on_error="skip")
    assert ours == theirs
    assert isinstance(ours, ch.Events)
    assert isinstance(theirs, ch.Events)
    assert ours.dropped == theirs.dropped
    strict = read_both(path)
    assert strict[0] == strict[1]


@pytest.mark.parametrize("case", sorted(NOT_PLAIN))
def test_a_line_that_is_not_plain_is_left_to_pyarrow(tmp_path: Path, case: str) -> None:
    lines = [plain(k) for k in range(20)]
    lines[11] = NOT_PLAIN[case]
    path = write(tmp_path / "e.csv", lines)
    assert not tokenized(path)
    for on_error in ("skip", "raise"):
        ours, theirs = read_both(path, on_error=on_error)
        assert ours == theirs
        if isinstance(ours, ch.Events) and isinstance(theirs, ch.Events):
            assert ours.dropped == theirs.dropped
            assert len(ours) + sum(ours.dropped.values()) >= 19


def test_a_last_line_without_newline_is_left_to_pyarrow(tmp_path: Path) -> None:
    path = write(tmp_path / "e.csv", [plain(k) for k in range(30)], last_newline=False)
    data = path.read_bytes()
    opts = ch.ReadOptions()
    names, body = chcsv._header(data, str(path), opts)
    layout = _layout(names, opts, str(path))
    last = data.rindex(b"\n") + 1
    assert compiled.read_block(data, body, len(data), 2, layout, opts, "e.csv") == last
    assert compiled.read_block(data, last, len(data), 31, layout, opts, "e.csv") == last
    ours, theirs = read_both(path)
    assert ours == theirs
    assert isinstance(ours, ch.Events)
    assert len(ours) == 30


def test_other_delimiters_and_columns(tmp_path: Path) -> None:
    lines = ["ref;when;code;note;offender_id"]
    lines += [f"{k};2022-03-{1 + k % 28:02d};{k % 5:03d}/01;n{k % 4};{k % 13}" for k in range(200)]
    path = tmp_path / "e.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    options = {"delimiter": ";", "date": "when", "offence_code": "code", "carry": ["note"]}
    assert tokenized(path, **options)
    ours, theirs = read_both(path, **options)
    assert ours == theirs


@pytest.mark.parametrize(
    "options",
    [
        {"id_type": "str"},
        {"date_format": "%Y-%m-%d %H"},
        {"date_format": "%y-%m-%d"},
        {"delimiter": "-"},
    ],
)
def test_options_it_does_not_read_take_the_pyarrow_path(
    tmp_path: Path, options: dict[str, str]
) -> None:
    lines = [plain(k) for k in range(20)]
    if options.get("delimiter") == "-":
        lines = [line.replace(",", "-") for line in [HEADER, *lines]][1:]
        (tmp_path / "e.csv").write_text(HEADER.replace(",", "-") + "\n" + "\n".join(lines) + "\n")
        path = tmp_path / "e.csv"
    else:
        path = write(tmp_path / "e.csv", lines)
    assert not tokenized(path, **options)
    ours, theirs = read_both(path, **options)
    assert ours == theirs


FORMATS = {
    "%d/%m/%Y": ["05/01/2023", "29/02/2024", "31/12/1999"],
    "%Y%m%d": ["20230105", "20240229", "19991231"],
    "%m-%d-%Y": ["01-05-2023", "02-29-2024", "12-31-1999"],
    "%d.%m.%Y": ["05.01.2023", "29.02.2024", "31.12.1999"],
    "%Y-%m-%d": ["2023-01-05", "2024-02-29", "1999-12-31"],
}
#: Dates in each format that the tokenizer leaves to the general rules (or reads as missing).
OTHER_DATES = {
    "%d/%m/%Y": ["5/1/2023", "31/02/2023", "05/13/2023", "", "05/01/23", "05/01/2023 10:00"],
    "%Y%m%d": ["2023015", "20230230", "", "2023-01-05", "00000105"],
    "%m-%d-%Y": ["1-5-2023", "02-30-2023", "", "13-01-2023"],
    "%d.%m.%Y": ["5.1.2023", "30.02.2023", ""],
    "%Y-%m-%d": ["2023-1-5", "2023-02-30", "", "20230105"],
}


@pytest.mark.parametrize("date_format", sorted(FORMATS))
def test_date_formats_are_tokenized_as_strptime_reads_them(
    tmp_path: Path, date_format: str
) -> None:
    lines = [f"{k},105/01,{FORMATS[date_format][k % 3]},{k},{k},F" for k in range(60)]
    path = write(tmp_path / "e.csv", lines)
    assert tokenized(path, date_format=date_format)
    ours, theirs = read_both(path, date_format=date_format)
    assert ours == theirs
    assert isinstance(ours, ch.Events)
    assert ours.date.dtype == np.dtype("datetime64[D]")
    for odd in OTHER_DATES[date_format]:
        lines[30] = f"30,105/01,{odd},30,30,F"
        path = write(tmp_path / "e.csv", lines)
        assert tokenized(path, date_format=date_format) == (odd == "")
        for on_error in ("skip", "raise"):
            ours, theirs = read_both(path, date_format=date_format, on_error=on_error)
            assert ours == theirs, odd
            if isinstance(ours, ch.Events) and isinstance(theirs, ch.Events):
                assert ours.dropped == theirs.dropped


def test_a_delimiter_inside_the_date_format_is_not_tokenized(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_text("offender_id/offence_code/date\n1/105.01/05-01-2023\n", encoding="utf-8")
    assert tokenized(path, delimiter="/", date_format="%d-%m-%Y")
    assert not tokenized(path, delimiter="/", date_format="%d/%m/%Y")
    ours, theirs = read_both(path, delimiter="/", date_format="%d/%m/%Y", on_error="skip")
    assert ours == theirs


def test_too_many_distinct_texts_take_the_pyarrow_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(compiled, "MAX_DISTINCT", 16)
    lines = [f"{k},{k:03d}/01,2023-01-05,{k},{k},F" for k in range(40)]
    path = write(tmp_path / "e.csv", lines)
    assert not tokenized(path)
    ours, theirs = read_both(path)
    assert ours == theirs


@pytest.mark.parametrize("threads", [1, 2, 3, 8])
def test_any_number_of_threads_gives_the_same_events(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, threads: int
) -> None:
    from crimeharm.kernels.threads import thread_limit

    monkeypatch.setattr(compiled, "_MIN_SHARE_BYTES", 64)
    path = write(tmp_path / "e.csv", [plain(k) for k in range(3000)])
    reference = ch.read_csv(path, engine="pyarrow")
    with thread_limit(threads):
        assert ch.read_csv(path, engine="numba") == reference


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    picks=st.lists(
        st.one_of(
            st.integers(0, 10_000).map(plain),
            st.sampled_from(sorted(PLAIN_EDGES.values())),
            st.sampled_from(sorted(NOT_PLAIN.values())),
        ),
        min_size=1,
        max_size=40,
    ),
    last_newline=st.booleans(),
    on_error=st.sampled_from(["skip", "raise"]),
)
def test_any_file_reads_the_same_both_ways(
    tmp_path: Path, picks: list[str], last_newline: bool, on_error: str
) -> None:
    path = write(tmp_path / "e.csv", picks, last_newline=last_newline)
    ours, theirs = read_both(path, on_error=on_error)
    assert ours == theirs
    if isinstance(ours, ch.Events) and isinstance(theirs, ch.Events):
        assert ours.dropped == theirs.dropped


def test_long_texts_that_end_alike_stay_distinct(tmp_path: Path) -> None:
    codes = ["X12345678", "Y12345678", "XY12345678", "12345678", "2345678", "X12345678"]
    lines = [f"{k},{code},2023-01-05,{k},{k},F" for k, code in enumerate(codes * 30)]
    path = write(tmp_path / "e.csv", lines)
    assert tokenized(path)
    ours, theirs = read_both(path)
    assert ours == theirs
    assert isinstance(ours, ch.Events)
    assert ours["offence_code"].tolist() == codes * 30


def test_a_declined_line_costs_its_run_not_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(chcsv, "_DECLINED_ROWS", 8)
    arrow_rows: list[int] = []
    arrow_block = chcsv._arrow_block

    def spy(pa: object, block: chcsv._Block, *args: object) -> object:
        arrow_rows.append(block.lines())
        return arrow_block(pa, block, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(chcsv, "_arrow_block", spy)
    lines = [plain(k) for k in range(1000)]
    lines[500] = NOT_PLAIN["quoted code"]
    lines[900] = NOT_PLAIN["too many fields"]
    path = write(tmp_path / "e.csv", lines)
    ours = ch.read_csv(path, engine="numba", on_error="skip")
    assert arrow_rows[0] == 8  # the first run: 8 lines
    assert sum(arrow_rows[:2]) == 8 + 16  # then 16: the malformed line is in it
    assert ours == ch.read_csv(path, engine="pyarrow", on_error="skip")
    assert ours.dropped == {"malformed line": 1}
    assert len(ours) == 999


def test_chunks_are_tokenized_one_by_one(tmp_path: Path) -> None:
    lines = [plain(k) for k in range(1000)]
    lines[640] = NOT_PLAIN["quoted code"]
    path = write(tmp_path / "e.csv", lines)
    ours = list(ch.iter_csv(path, chunk_rows=256, engine="numba"))
    theirs = list(ch.iter_csv(path, chunk_rows=256, engine="pyarrow"))
    assert ours == theirs
    assert len(ours) == 4


def test_auto_uses_it_from_the_size_threshold(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    read_block = compiled.read_block

    def spy(*args: object) -> object:
        calls.append(1)
        return read_block(*args)

    monkeypatch.setattr(compiled, "read_block", spy)
    path = write(tmp_path / "e.csv", [plain(k) for k in range(50)])
    size = chcsv._body_end(path.read_bytes(), len(HEADER) + 1) - len(HEADER) - 1
    monkeypatch.setattr(chcsv, "COMPILED_MIN_BYTES", size + 1)
    monkeypatch.setattr(chcsv, "COMPILED_WARM_MIN_BYTES", size + 1)
    ch.read_csv(path)  # below both thresholds
    assert calls == []
    monkeypatch.setattr(chcsv, "COMPILED_WARM_MIN_BYTES", size)  # loaded: the warm threshold
    ch.read_csv(path)
    assert calls == [1]
    monkeypatch.setattr(chcsv, "_numba_loaded", lambda: False)  # not loaded: the cold one
    ch.read_csv(path)
    assert calls == [1]
    monkeypatch.setattr(chcsv, "COMPILED_MIN_BYTES", size)
    ch.read_csv(path)
    assert calls == [1, 1]
    ch.read_csv(path, date_format="%Y-%b-%d", on_error="skip")  # options it cannot read
    ch.read_csv(path, id_type="str")
    assert calls == [1, 1]
    monkeypatch.setenv("CRIMEHARM_KERNEL", "numpy")  # the reference everywhere
    ch.read_csv(path)
    assert calls == [1, 1]
    ch.read_csv(path, engine="numba")  # unless asked for
    assert calls == [1, 1, 1]


def test_engine_numba_needs_numba(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import crimeharm.kernels as kernels

    monkeypatch.setattr(kernels, "compiled_available", lambda: False)
    path = write(tmp_path / "e.csv", [plain(k) for k in range(5)])
    with pytest.raises(ch.MissingDependencyError, match=r"crimeharm\[fast\]"):
        ch.read_csv(path, engine="numba")
    assert ch.read_csv(path) == ch.read_csv(path, engine="pyarrow")


def test_a_broken_numba_falls_back_to_pyarrow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "e.csv", [plain(k) for k in range(20)])
    reference = ch.read_csv(path, engine="pyarrow")
    import crimeharm.io

    monkeypatch.delattr(crimeharm.io, "compiled", raising=False)
    monkeypatch.setitem(sys.modules, "crimeharm.io.compiled", None)  # importing it fails
    monkeypatch.setattr(chcsv, "COMPILED_MIN_BYTES", 0)
    monkeypatch.setattr(chcsv, "_numba_loaded", lambda: False)
    with pytest.warns(RuntimeWarning, match="could not load numba"):
        assert ch.read_csv(path) == reference
    with pytest.raises(ch.MissingDependencyError, match="could not load numba"):
        ch.read_csv(path, engine="numba")


def test_the_tokenizer_is_not_imported_for_small_files(tmp_path: Path) -> None:
    import subprocess

    path = write(tmp_path / "e.csv", [plain(k) for k in range(50)])
    code = (
        "import sys, crimeharm as ch; ch.read_csv(sys.argv[1]); "
        "print('crimeharm.io.compiled' in sys.modules, 'numba' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["False", "False"]


@pytest.mark.parametrize(
    ("date_format", "layout"),
    [
        (None, "YYYY-MM-DD"),
        ("%Y-%m-%d", "YYYY-MM-DD"),
        ("%d/%m/%Y", "DD/MM/YYYY"),
        ("%Y%m%d", "YYYYMMDD"),
        ("%m.%d.%Y", "MM.DD.YYYY"),
        ("%d %m %Y", None),  # whitespace matches any run of whitespace in strptime
        ("%d/%m/%y", None),  # two-digit years
        ("%d/%b/%Y", None),
        ("%Y-%m-%d-%d", None),
        ("%Y-%m", None),
        ("%Y-%m-%dT", None),
        ("%%%Y%m%d", None),
        ("%Y-%m-%d%", None),
    ],
)
def test_fixed_layouts(date_format: str | None, layout: str | None) -> None:
    from crimeharm.io import dates

    codes = dates.fixed_layout(date_format)
    names = {dates.YEAR: "Y", dates.MONTH: "M", dates.DAY: "D"}
    assert (None if codes is None else "".join(names.get(c, chr(c)) for c in codes)) == layout


_ALPHABET = '0123456789-,/" \r\tx.+éA\x00'


@st.composite
def mutated_lines(draw: st.DrawFn) -> str:
    """A plain line with a few characters inserted, deleted or replaced."""
    line = list(plain(draw(st.integers(0, 10_000))))
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(line)))
        action = draw(st.sampled_from(["insert", "delete", "replace"]))
        char = draw(st.sampled_from(_ALPHABET))
        if action == "insert":
            line.insert(at, char)
        elif at < len(line):
            if action == "delete":
                del line[at]
            else:
                line[at] = char
    return "".join(line)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    picks=st.lists(st.one_of(st.integers(0, 10_000).map(plain), mutated_lines()), max_size=30),
    on_error=st.sampled_from(["skip", "raise"]),
)
def test_mutated_lines_read_the_same_both_ways(
    tmp_path: Path, picks: list[str], on_error: str
) -> None:
    path = write(tmp_path / "e.csv", [plain(0), *picks])
    ours, theirs = read_both(path, on_error=on_error)
    assert ours == theirs
    if isinstance(ours, ch.Events) and isinstance(theirs, ch.Events):
        assert ours.dropped == theirs.dropped
