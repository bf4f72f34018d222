"""The ``crimeharm`` command: ``rank``, ``schemes`` and ``demo``.

Exit status: 0 success; 1 unexpected internal error (a bug: rerun with ``--debug`` and report
it); 2 usage error or bad input (a one-line message naming the file, line and column);
3 an optional dependency is missing (e.g. pyarrow for Parquet); 130 interrupted (Ctrl-C);
141 the output pipe closed early (e.g. ``| head``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import crimeharm as ch

from . import _output
from .errors import CrimeHarmError, EventsError, MissingDependencyError, ParameterError
from .filters import FILTERED_OUT

if TYPE_CHECKING:
    from .events import Events
    from .results import Ranking

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_BROKEN_PIPE",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_MISSING_DEPENDENCY",
    "EXIT_OK",
    "build_parser",
    "main",
]

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_BAD_INPUT = 2
EXIT_MISSING_DEPENDENCY = 3
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141

PROG = "crimeharm"
#: Inputs estimated above this many rows get a progress line (when stderr is a terminal).
PROGRESS_ROWS = 1_000_000
CHUNK_ROWS = 250_000
#: The published figure the demo compares with (a key of concentration.PUBLISHED_FIGURES).
DEMO_FIGURE = "northamptonshire-2010-16"
DEMO_TOP_FRACTIONS = (0.01, 0.05, 0.07, 0.10)
PARQUET_SUFFIXES = (".parquet", ".pq")
CSV_SUFFIXES = (".csv", ".txt", ".tsv")
COMPRESSED_SUFFIXES = (".gz", ".bz2", ".xz", ".zip", ".zst")


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so :func:`main` returns a status."""

    def error(self, message: str) -> Any:
        self.print_usage(sys.stderr)
        sys.stderr.write(f"{PROG}: error: {message}\n")
        raise _UsageExit(EXIT_BAD_INPUT)

    def exit(self, status: int = 0, message: str | None = None) -> Any:
        if message:
            sys.stderr.write(message)
        raise _UsageExit(status)


class _UsageExit(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


# -- parser --------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``crimeharm`` command (all subcommands)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", help="show the full traceback of an error")
    parser = _Parser(
        prog=PROG,
        description="Score and rank offenders by crime harm (Cambridge Crime Harm Index, ...).",
        epilog="Run 'crimeharm COMMAND --help' for the options of a command.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {ch.__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True
    _add_rank(commands, common)
    _add_explain(commands, common)
    _add_schemes(commands, common)
    _add_demo(commands, common)
    return parser


def _add_output_options(parser: argparse.ArgumentParser, *, default_top: int) -> None:
    out = parser.add_argument_group("output")
    count = out.add_mutually_exclusive_group()
    count.add_argument(
        "--top",
        type=_non_negative_int,
        default=default_top,
        metavar="N",
        help=f"rank the N offenders with the most harm (default {default_top})",
    )
    count.add_argument("--all", action="store_true", help="rank every offender")
    out.add_argument(
        "--format",
        choices=_output.FORMATS,
        default="table",
        help="table (default; with a header), csv or json",
    )
    out.add_argument(
        "--output",
        "-o",
        metavar="FILE",
        help="write the ranking to FILE (atomically: never a partial file) instead of stdout",
    )


def _add_rank(commands: Any, common: argparse.ArgumentParser) -> None:
    rank = commands.add_parser(
        "rank",
        parents=[common],
        help="rank offenders in an events file by harm",
        description=(
            "Score every offender in EVENTS (CSV or Parquet: one row per offence) and print "
            "the offenders with the most harm. Harm is the sum over counted events of "
            "weight(offence) * decay(age in days)."
        ),
    )
    _add_scoring_input(rank)
    reports = rank.add_argument_group("reporting")
    reports.add_argument(
        "--report",
        metavar="FILE",
        help="write the row accounting and parameters as JSON to FILE (no offender ids)",
    )
    _add_output_options(rank, default_top=100)
    rank.set_defaults(handler=_cmd_rank)


def _add_scoring_input(parser: argparse.ArgumentParser) -> None:
    """The events file, scoring, selection and reading options shared by rank and explain."""
    parser.add_argument("events", metavar="EVENTS", help="events file (.csv or .parquet)")
    scoring = parser.add_argument_group("scoring")
    scoring.add_argument(
        "--scheme",
        default="cchi-2020",
        metavar="NAME",
        help="weight scheme (default cchi-2020; see 'crimeharm schemes')",
    )
    scoring.add_argument(
        "--as-of",
        required=True,
        type=_date,
        metavar="DATE",
        help="score as of this date (YYYY-MM-DD); later events are not counted",
    )
    scoring.add_argument(
        "--window-days",
        type=_positive_int,
        metavar="N",
        help="count events with 0 <= age < N days (default: every event up to --as-of)",
    )
    scoring.add_argument(
        "--half-life",
        type=float,
        metavar="DAYS",
        help="exponential decay halving an event's weight every DAYS days",
    )
    scoring.add_argument(
        "--decay",
        metavar="NAME",
        help="decay by name: none (default), exponential, linear, step, or a plugin's",
    )
    scoring.add_argument(
        "--decay-param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a decay parameter, e.g. horizon_days=1826 (VALUE read as JSON if it parses)",
    )
    scoring.add_argument(
        "--on-unknown",
        choices=("raise", "skip"),
        default="raise",
        help="offence codes missing from the scheme: error (default) or skip and report",
    )
    scoring.add_argument(
        "--fallback-weight",
        type=float,
        metavar="W",
        help="count offence codes missing from the scheme at weight W instead",
    )
    select = parser.add_argument_group("selecting events (filters combine with AND)")
    select.add_argument(
        "--group",
        action="append",
        metavar="NAME",
        help='keep offences in this scheme offence group, e.g. "SEXUAL OFFENCES" (repeatable)',
    )
    select.add_argument(
        "--code", action="append", metavar="CODE", help="keep this offence code (repeatable)"
    )
    select.add_argument(
        "--where",
        action="append",
        default=[],
        metavar="COLUMN=VALUE",
        help="keep rows whose COLUMN equals VALUE; repeat a column to accept several values",
    )
    reading = parser.add_argument_group("reading the events file")
    reading.add_argument(
        "--offender-id", default="offender_id", metavar="COL", help="offender id column"
    )
    reading.add_argument(
        "--offence-code", default="offence_code", metavar="COL", help="offence code column"
    )
    reading.add_argument("--date", default="date", metavar="COL", help="event date column")
    reading.add_argument("--victim-id", metavar="COL", help="victim id column (optional)")
    reading.add_argument("--crime-id", metavar="COL", help="crime reference column (optional)")
    reading.add_argument(
        "--date-format",
        metavar="FMT",
        help="strptime format of the dates, e.g. %%d/%%m/%%Y (default ISO YYYY-MM-DD)",
    )
    reading.add_argument(
        "--id-type",
        choices=("auto", "int", "str"),
        default="auto",
        help="offender ids: int64 if all are plain integers (auto, default), or always int/str",
    )
    reading.add_argument(
        "--min-date",
        type=_date,
        metavar="DATE",
        help="reject events dated before DATE as errors (default 1900-01-01)",
    )
    reading.add_argument(
        "--delimiter",
        default=",",
        metavar="CHAR",
        help="CSV field separator (default ','; 'tab' or '\\t' for tab-separated)",
    )
    reading.add_argument(
        "--pad-codes", action="store_true", help="zero-pad Home Office codes ('1/1' -> '001/01')"
    )
    reading.add_argument(
        "--on-error",
        choices=("raise", "skip"),
        default="raise",
        help="malformed rows: stop with an error (default) or skip them and report",
    )


def _add_explain(commands: Any, common: argparse.ArgumentParser) -> None:
    explain = commands.add_parser(
        "explain",
        parents=[common],
        help="show how one offender's harm is made up, event by event",
        description=(
            "List every event of one offender in EVENTS with its offence, weight, age, decay "
            "factor and contribution (the contributions add up to the offender's harm exactly "
            "as 'rank' computes it), and the events that do not count with their reason."
        ),
    )
    explain.add_argument(
        "--offender", required=True, metavar="ID", help="the offender id to explain"
    )
    _add_scoring_input(explain)
    out = explain.add_argument_group("output")
    out.add_argument("--format", choices=_output.FORMATS, default="table")
    out.add_argument("--output", "-o", metavar="FILE", help="write to FILE (atomically)")
    explain.set_defaults(handler=_cmd_explain)


def _add_schemes(commands: Any, common: argparse.ArgumentParser) -> None:
    schemes = commands.add_parser(
        "schemes",
        parents=[common],
        help="list the registered weight schemes",
        description="List every weight scheme (built in or from plugins) with its provenance.",
    )
    schemes.add_argument("--format", choices=_output.FORMATS, default="table")
    schemes.set_defaults(handler=_cmd_schemes)


def _add_demo(commands: Any, common: argparse.ArgumentParser) -> None:
    from .demo import DEFAULT_EVENTS

    demo = commands.add_parser(
        "demo",
        parents=[common],
        help="rank a synthetic police force's offenders and show how concentrated harm is",
        description=(
            "Generate a realistic synthetic force (about 36,000 offenders a year, real CCHI "
            "offence codes), rank it under cchi-2020 with no decay over every year generated, "
            "and compare the harm concentration with the published figure."
        ),
    )
    demo.add_argument(
        "--events",
        type=_positive_int,
        default=DEFAULT_EVENTS,
        metavar="N",
        help=f"events to generate (default {DEFAULT_EVENTS:,}: five years of one force)",
    )
    demo.add_argument("--seed", type=int, default=20230718, help="random seed (default 20230718)")
    demo.add_argument(
        "--years", type=_positive_int, default=5, metavar="N", help="years of data (default 5)"
    )
    demo.add_argument(
        "--as-of", type=_date, default="2023-07-18", metavar="DATE", help="last day of the data"
    )
    demo.add_argument(
        "--save-events",
        metavar="FILE",
        help="also write the generated events as CSV to FILE (to try 'crimeharm rank' on)",
    )
    _add_output_options(demo, default_top=20)
    demo.set_defaults(handler=_cmd_demo)


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        msg = f"must be a whole number (got {text!r})"
        raise argparse.ArgumentTypeError(msg) from None
    if value < 0:
        msg = f"must be >= 0 (got {value})"
        raise argparse.ArgumentTypeError(msg)
    return value


def _positive_int(text: str) -> int:
    value = _non_negative_int(text)
    if value == 0:
        msg = "must be > 0"
        raise argparse.ArgumentTypeError(msg)
    return value


def _date(text: str) -> str:
    import numpy as np

    try:
        day = np.datetime64(text, "D")
    except (ValueError, TypeError):
        day = None
    if day is None or np.isnat(day) or len(text.strip()) != 10:
        msg = f"must be a date YYYY-MM-DD (got {text!r})"
        raise argparse.ArgumentTypeError(msg)
    return str(day)


# -- main ----------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except _UsageExit as exc:
        return exc.status
    debug = bool(getattr(args, "debug", False))
    try:
        status: int = args.handler(args)
    except KeyboardInterrupt:
        sys.stderr.write(f"\n{PROG}: interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except MissingDependencyError as exc:
        return _fail(exc, EXIT_MISSING_DEPENDENCY, debug)
    except (CrimeHarmError, OSError) as exc:
        return _fail(exc, EXIT_BAD_INPUT, debug)
    except Exception as exc:
        return _internal(exc, debug)
    return status


class _InputError(ParameterError):
    """A bad command-line value found after parsing (a column that does not exist, ...)."""


#: Library hints that name Python keywords, reworded as the command's options.
_OPTION_HINTS = (
    ("on_error='skip'", "--on-error skip"),
    ("id_type='str' (or 'auto')", "--id-type str (or auto)"),
    ("id_type='str'", "--id-type str"),
    ("id_type='int'", "--id-type int"),
    ("date_format=", "--date-format"),
    ("min_date=", "--min-date"),
    ("on_unknown='skip'", "--on-unknown skip"),
    ("on_unknown='fallback' with fallback_weight=...", "--fallback-weight W"),
)


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, FileNotFoundError | PermissionError | IsADirectoryError) and exc.filename:
        text = f"cannot open {exc.filename!r}: {exc.strerror}"
    elif isinstance(exc, OSError) and exc.strerror:
        where = f" {exc.filename!r}" if exc.filename else ""
        text = f"input/output error{where}: {exc.strerror}"
    else:
        text = str(exc) or type(exc).__name__
        if isinstance(exc, CrimeHarmError):
            for python, option in _OPTION_HINTS:
                text = text.replace(python, option)
    return " ".join(text.split())


def _fail(exc: BaseException, status: int, debug: bool) -> int:
    if debug:
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    sys.stderr.write(f"{PROG}: error: {_one_line(exc)}\n")
    return status


def _internal(exc: BaseException, debug: bool) -> int:
    if debug:
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    # the message of an unexpected error is not shown: it could quote data, even an offender id
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" in {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    hint = "" if debug else "; rerun with --debug for the details"
    sys.stderr.write(f"{PROG}: error: internal error ({type(exc).__name__}{where}){hint}\n")
    return EXIT_INTERNAL


def _silence_stdout() -> None:
    """After a broken pipe, stop Python from failing again when it flushes stdout at exit."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a real file (e.g. captured in tests)
        pass


# -- rank ----------------------------------------------------------------------------------------


def _cmd_rank(args: argparse.Namespace) -> int:
    _refuse_overwriting_input(args)
    scheme = ch.get_scheme(args.scheme)
    decay = _decay_from_args(args)
    on_unknown, fallback = _unknown_policy(args)
    read = _read_events(args)
    events = _select(read, args, scheme)
    options: dict[str, Any] = {
        "as_of": args.as_of,
        "window_days": args.window_days,
        "decay": decay,
        "on_unknown": on_unknown,
        "fallback_weight": fallback,
    }
    if args.all:
        ranking = ch.score(events, scheme, **options).ranking()
    else:
        ranking = ch.top(events, scheme, n=args.top, **options)
    report = ranking.report
    if args.on_error == "skip" or on_unknown == "skip":
        sys.stderr.write(report.summary() + "\n")
    header = [
        f"crimeharm ranking of {args.events}: "
        + ("every offender" if args.all else f"top {args.top} offenders")
        + " by harm",
        _output.describe_params(ranking.params, unit=scheme.unit),
        _output.describe_report(report),
    ]
    _emit(_render(ranking, args.format, header), args.output, rows=len(ranking))
    if args.output is not None:  # so the ranking can be reproduced and audited later
        from .manifest import Manifest, write_manifest_next_to

        written = write_manifest_next_to(args.output, Manifest.from_result(ranking, read))
        sys.stderr.write(f"{PROG}: wrote the manifest to {written}\n")
    if args.report:
        document = {
            "crimeharm_version": ch.__version__,
            "input": str(args.events),
            "params": ranking.params.to_dict(),
            "report": report.to_dict(),
            "offenders_ranked": len(ranking),
        }
        with _output.atomic_write(args.report) as fh:
            fh.write(json.dumps(document, indent=2) + "\n")
    return EXIT_OK


def _cmd_explain(args: argparse.Namespace) -> int:
    from .explain import explain

    _refuse_overwriting_input(args)
    scheme = ch.get_scheme(args.scheme)
    decay = _decay_from_args(args)
    on_unknown, fallback = _unknown_policy(args)
    events = _select(_read_events(args), args, scheme)
    offender: Any = args.offender.strip()
    if events.offender_id.dtype.kind == "i":
        try:
            offender = int(offender)
        except ValueError:
            msg = f"--offender {args.offender!r}: the offender ids in {args.events} are integers"
            raise _InputError(msg) from None
    try:
        result = explain(
            events,
            scheme,
            offender,
            as_of=args.as_of,
            window_days=args.window_days,
            decay=decay,
            on_unknown=on_unknown,  # type: ignore[arg-type]  # argparse choices guard it
            fallback_weight=fallback,
        )
    except KeyError:
        msg = f"--offender: no event of that offender in {args.events}"
        raise _InputError(msg) from None
    if args.format == "json":
        text = json.dumps(result.to_dict(), indent=2, default=str) + "\n"
    elif args.format == "csv":
        records = result.to_records()
        columns = list(records[0]) if records else ["row"]
        text = _output.records_csv({c: [r[c] for r in records] for c in columns})
    else:
        text = repr(result) + "\n"
    if args.output is None:
        sys.stdout.write(text)
    else:
        with _output.atomic_write(args.output) as fh:
            fh.write(text)
    return EXIT_OK


def _decay_from_args(args: argparse.Namespace) -> Any:
    params: dict[str, Any] = {}
    for item in args.decay_param:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            msg = f"--decay-param must be KEY=VALUE (got {item!r})"
            raise _InputError(msg)
        try:
            params[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            params[key.strip()] = raw
    name = args.decay
    if args.half_life is not None:
        if name not in (None, "exponential"):
            msg = f"--half-life means exponential decay; it cannot be combined with --decay {name}"
            raise _InputError(msg)
        if "half_life_days" in params:
            msg = "give the half-life once: --half-life or --decay-param half_life_days=..."
            raise _InputError(msg)
        name = "exponential"
        params["half_life_days"] = args.half_life
    if name is None:
        if params:
            msg = "--decay-param needs --decay NAME"
            raise _InputError(msg)
        name = "none"
    try:
        return ch.get_decay(name, **params)
    except TypeError as exc:
        msg = f"bad parameters for decay {name!r} ({exc}); got {sorted(params)}"
        raise _InputError(msg) from exc


def _unknown_policy(args: argparse.Namespace) -> tuple[str, float | None]:
    if args.fallback_weight is None:
        return args.on_unknown, None
    if args.on_unknown == "skip":
        msg = "--fallback-weight counts unknown codes; it cannot be combined with --on-unknown skip"
        raise _InputError(msg)
    return "fallback", args.fallback_weight


def _reader_options(args: argparse.Namespace, *, csv: bool) -> dict[str, Any]:
    options: dict[str, Any] = {
        "offender_id": args.offender_id,
        "offence_code": args.offence_code,
        "date": args.date,
    }
    if args.victim_id:
        options["victim_id"] = args.victim_id
    if args.crime_id:
        options["crime_id"] = args.crime_id
    if args.pad_codes:
        options["pad_codes"] = True
    if args.id_type != "auto":
        options["id_type"] = args.id_type
    if args.min_date is not None:
        options["min_date"] = args.min_date
    if args.on_error != "raise":
        options["on_error"] = args.on_error
    if csv:
        if args.date_format:
            options["date_format"] = args.date_format
        if args.delimiter != ",":
            options["delimiter"] = "\t" if args.delimiter in ("\\t", "tab") else args.delimiter
    elif args.date_format or args.delimiter != ",":
        msg = "--date-format and --delimiter apply to CSV input only"
        raise _InputError(msg)
    return options


def _input_kind(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(COMPRESSED_SUFFIXES):
        msg = (
            f"{str(path)!r} is compressed; crimeharm reads plain CSV or Parquet files: "
            "decompress it first (e.g. gunzip), or convert it to Parquet"
        )
        raise _InputError(msg)
    if name.endswith(PARQUET_SUFFIXES):
        return "parquet"
    if name.endswith(CSV_SUFFIXES):
        return "csv"
    msg = f"cannot tell the format of {str(path)!r}: expected a .csv or .parquet file"
    raise _InputError(msg)


def _read_events(args: argparse.Namespace) -> Events:
    from . import io as chio

    path = Path(args.events)
    kind = _input_kind(path)
    if not path.exists():
        raise FileNotFoundError(2, "No such file or directory", str(path))
    if path.is_dir():
        raise IsADirectoryError(21, "Is a directory", str(path))
    if kind == "parquet":
        return chio.read_parquet(path, **_reader_options(args, csv=False))
    options = _reader_options(args, csv=True)
    expected = (
        _output.estimate_lines(path) if sys.stderr.isatty() and path.suffix.lower() == ".csv" else 0
    )
    if expected <= PROGRESS_ROWS:
        return chio.read_csv(path, **options)
    progress = _output.Progress(sys.stderr, f"reading {path.name}", expected)
    chunks: list[Events] = []
    try:
        _output.call_with_progress(
            iter(chio.iter_csv(path, chunk_rows=CHUNK_ROWS, **options)), progress, chunks.append
        )
    except EventsError:
        # read_csv decides some things over the whole file (the id type) and counts every row
        # sharing a problem: read again so the result or the error is exactly read_csv's
        chunks.clear()
        return chio.read_csv(path, **options)
    return _join_chunks(chunks, str(path))


def _join_chunks(chunks: list[Events], source: str) -> Events:
    """One Events from CSV chunks; file lines stay in error messages when rows are contiguous."""
    import attrs

    if not chunks:
        msg = f"{source}: no rows"
        raise EventsError(msg, source=source)
    events = ch.Events.concat(chunks)
    first = chunks[0].first_line
    line = first
    for chunk in chunks:
        if line is None or chunk.first_line != line or chunk.dropped:
            return events
        line += len(chunk)
    return attrs.evolve(events, source=source, first_line=first)


def _select(events: Events, args: argparse.Namespace, scheme: ch.WeightScheme) -> Events:
    where: dict[str, list[Any]] = {}
    for item in args.where:
        column, sep, value = item.partition("=")
        column = column.strip()
        if not sep or not column:
            msg = f"--where must be COLUMN=VALUE (got {item!r})"
            raise _InputError(msg)
        if column not in events.column_names:
            msg = (
                f"--where {item!r}: the events have no column {column!r}; "
                f"columns: {', '.join(events.column_names)}"
            )
            raise _InputError(msg)
        where.setdefault(column, []).append(_typed_value(events, column, value, item))
    if where:
        events = events.take(_where_mask(events, where), reason=FILTERED_OUT)
    if args.group is None and args.code is None:
        return events
    return events.select(scheme=scheme, groups=args.group, codes=args.code)


def _where_mask(events: Events, where: dict[str, list[Any]]) -> Any:
    """Rows whose columns hold one of the accepted values (values already typed).

    Text is compared as given: casting 'Female' to a one-character column would make it 'F'.
    """
    from .filters import where_mask

    return where_mask(events, where)


def _typed_value(events: Events, column: str, value: str, item: str) -> Any:
    import numpy as np

    kind = events[column].dtype.kind
    try:
        if kind in "iu":
            return int(value)
        if kind == "f":
            return float(value)
        if kind == "M":
            return np.datetime64(value, "D")
        if kind == "b":
            return value.strip().lower() in ("1", "true", "yes", "y", "t")
    except ValueError:
        expected = {"i": "a whole number", "u": "a whole number", "f": "a number", "M": "a date"}
        msg = f"--where {column}=...: column {column!r} holds {expected.get(kind, kind)}"
        raise _InputError(msg) from None
    return value


def _render(ranking: Ranking, fmt: str, header: list[str], extra: Any = None) -> str:
    if fmt == "csv":
        return _output.ranking_csv(ranking)
    if fmt == "json":
        return _output.ranking_json(ranking, extra)
    return _output.ranking_table(ranking, header)


def _refuse_overwriting_input(args: argparse.Namespace) -> None:
    """--output naming the events file would replace the input with the ranking: refuse."""
    output = getattr(args, "output", None)
    if output is not None and Path(output).resolve() == Path(args.events).resolve():
        msg = f"--output {output} is the events file itself; choose another file"
        raise _InputError(msg)


def _emit(text: str, output: str | None, *, rows: int) -> None:
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    with _output.atomic_write(output) as fh:
        fh.write(text)
    sys.stderr.write(f"{PROG}: wrote {rows:,} ranked offenders to {output}\n")


# -- schemes -------------------------------------------------------------------------------------


def _cmd_schemes(args: argparse.Namespace) -> int:
    info = ch.scheme_info()
    columns = ["name", "version", "unit", "key_system", "plugin", "source"]
    if args.format == "json":
        sys.stdout.write(json.dumps(info, indent=2) + "\n")
    elif args.format == "csv":
        sys.stdout.write(_output.records_csv({c: [row[c] for row in info] for c in columns}))
    else:
        rows = [{**row, "source": _shorten(row["source"], 70)} for row in info]
        sys.stdout.write(_output.format_table(rows, columns) + "\n")
    return EXIT_OK


def _shorten(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3].rstrip() + "..."


# -- demo ----------------------------------------------------------------------------------------


def _cmd_demo(args: argparse.Namespace) -> int:
    import numpy as np

    from .concentration import PUBLISHED_FIGURES, power_few, top_share
    from .demo import make_demo_events

    started = time.perf_counter()
    events = make_demo_events(args.events, seed=args.seed, as_of=args.as_of, years=args.years)
    span = int((np.datetime64(args.as_of, "D") - events.date.min()).astype(int)) + 1
    if args.save_events:
        with _output.atomic_write(args.save_events, newline="") as fh:
            _output.write_events_csv(events, fh)
        sys.stderr.write(f"{PROG}: wrote {len(events):,} synthetic events to {args.save_events}\n")
    scores = ch.score(events, "cchi-2020", as_of=args.as_of, window_days=span)
    ranking = scores.ranking() if args.all else scores.top(args.top)
    published = next(f for f in PUBLISHED_FIGURES if f.key == DEMO_FIGURE)
    concentration = {
        "offenders": len(scores),
        "total_harm": float(scores.harm.sum()),
        "top_shares": {f"{p:g}": top_share(scores.harm, p) for p in DEMO_TOP_FRACTIONS},
        "power_few": {f"{published.harm_share:g}": power_few(scores.harm, published.harm_share)},
        "published": {
            "label": published.label,
            "top_fraction": published.top_fraction,
            "harm_share": published.harm_share,
            "doi": published.doi,
        },
    }
    elapsed = time.perf_counter() - started

    header = [
        f"crimeharm demo: a synthetic police force, {len(events):,} events, "
        f"{len(scores):,} offenders over {args.years} years (seed {args.seed})",
        _output.describe_params(ranking.params, unit="days"),
        _output.describe_report(ranking.report),
    ]
    summary = _concentration_text(concentration)
    extra = {"demo": {"events": len(events), "seed": args.seed}, "concentration": concentration}
    text = _render(ranking, args.format, header, extra)
    if args.format == "table" and args.output is None:
        text += "\n" + summary
    _emit(text, args.output, rows=len(ranking))
    if args.format == "csv" or (args.format == "table" and args.output is not None):
        target: IO[str] = sys.stderr if args.format == "csv" else sys.stdout
        target.write(summary)
    if args.debug:
        sys.stderr.write(f"{PROG}: demo took {elapsed:.2f} s\n")
    return EXIT_OK


def _concentration_text(c: dict[str, Any]) -> str:
    lines = [
        f"Harm concentration over {c['offenders']:,} offenders "
        f"(total harm {c['total_harm']:,.0f} days):"
    ]
    for share, held in c["top_shares"].items():
        lines.append(
            f"  top {100 * float(share):3.0f}% of offenders hold {100 * held:5.1f}% of harm"
        )
    for share, fraction in c["power_few"].items():
        lines.append(
            f"  {100 * float(share):.0f}% of harm is held by the top {100 * fraction:.1f}% "
            "of offenders"
        )
    p = c["published"]
    lines.append(
        f"Published: {100 * p['harm_share']:.0f}% of harm held by {100 * p['top_fraction']:.0f}% "
        f"of offenders ({p['label']}; doi:{p['doi']})"
    )
    return "\n".join(lines) + "\n"
