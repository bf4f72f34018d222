"""What the commands share: exit codes, option groups and their parsing, reading and writing."""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import crimeharm as ch

from ..errors import CrimeHarmError, EventsError, ParameterError, ParameterTypeError
from ..io import write as _output
from ..kernels.summation import MAX_WEIGHT, WEIGHT_RULE

if TYPE_CHECKING:
    from ..core.events import Events
    from ..core.results import Ranking

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
PARQUET_SUFFIXES = (".parquet", ".pq")
CSV_SUFFIXES = (".csv", ".txt", ".tsv")
COMPRESSED_SUFFIXES = (".gz", ".bz2", ".xz", ".zip", ".zst")


class InputError(ParameterError):
    """A bad command-line value found after parsing (a column that does not exist, ...)."""


def _whole_number(text: str, *, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < minimum:
        msg = f"must be a whole number >= {minimum} (got {text!r})"
        raise argparse.ArgumentTypeError(msg)
    return value


def non_negative_int(text: str) -> int:
    """A whole number >= 0 (one wording for every out-of-range value)."""
    return _whole_number(text, minimum=0)


def positive_int(text: str) -> int:
    """A whole number >= 1 (``0`` and ``-10`` get the same message)."""
    return _whole_number(text, minimum=1)


def date_arg(text: str) -> str:
    import numpy as np

    try:
        day = np.datetime64(text, "D")
    except (ValueError, TypeError):
        day = None
    if day is None or np.isnat(day) or len(text.strip()) != 10:
        msg = f"must be a date YYYY-MM-DD (got {text!r})"
        raise argparse.ArgumentTypeError(msg)
    return str(day)


def add_output_options(parser: argparse.ArgumentParser, *, default_top: int) -> None:
    out = parser.add_argument_group("output")
    count = out.add_mutually_exclusive_group()
    count.add_argument(
        "--top",
        type=non_negative_int,
        default=default_top,
        metavar="N",
        help=f"rank the N offenders with the most harm (default {default_top})",
    )
    count.add_argument("--all", action="store_true", help="rank every offender")
    out.add_argument(
        "--format",
        choices=_output.RANKING_FORMATS,
        default=None,
        help="table (with a header), csv, tsv or json; default: from the extension of "
        "--output (.csv, .tsv, .json), else table",
    )
    out.add_argument(
        "--output",
        "-o",
        metavar="FILE",
        help="write the ranking to FILE (atomically: never a partial file) instead of stdout",
    )
    out.add_argument(
        "--no-csv-escape",
        dest="csv_escape",
        action="store_false",
        help="write CSV/TSV cells as they are (by default a cell starting with = + - @ tab, "
        "CR or ' gets a ' in front, so a spreadsheet does not run it as a formula)",
    )


def output_format(args: argparse.Namespace) -> str:
    """The format asked for, or the one the --output file's extension implies (table)."""
    if args.format is None:
        args.format = "table" if args.output is None else _output.format_for_path(args.output)
    return str(args.format)


def check_paths(args: argparse.Namespace, *, manifest: bool = False) -> None:
    """Before any input is read: the events file is a readable file, and every output of the
    run (--output, its manifest, --report) can be written without replacing an input or
    another output of the run."""
    events = getattr(args, "events", None)
    inputs: dict[str, str] = {}
    if events is not None and events != "-":
        path = Path(events)
        if path.is_dir():
            msg = f"{events!r} is a directory, not an events file: name a .csv or .parquet file"
            raise InputError(msg)
        if path.exists() and not path.is_file():
            msg = (
                f"{events!r} is not a regular file (a named pipe or a device): send its data "
                "to standard input and name '-' as the events file, or save it to a file first"
            )
            raise InputError(msg)
        inputs["the events file"] = events
    key_file = getattr(args, "key_file", None)
    if key_file is not None:
        inputs["the key file"] = key_file
    outputs: dict[str, str] = {}
    output = getattr(args, "output", None)
    if output is not None:
        outputs["--output"] = output
        if manifest:
            from ..audit.manifest import manifest_path_for

            outputs["the manifest of --output"] = str(manifest_path_for(output))
    report = getattr(args, "report", None)
    if report is not None:
        outputs["--report"] = report
    _output.check_outputs(outputs, inputs)


#: What --scheme accepts, for help texts.
SCHEME_HELP = (
    "weight scheme: a name (default cchi-2020; see 'crimeharm schemes'), a scheme file "
    "(.toml or .csv with a metadata header), either with derivation steps, e.g. "
    "cchi-2020+log1p or ons-css-ho+cap(365)+log1p"
)


def add_scheme_options(group: Any) -> None:
    """``--scheme NAME|FILE`` and ``--conflicts POLICY`` (on an argument group or parser)."""
    from ..core.crosswalk import CONFLICT_POLICIES

    group.add_argument("--scheme", default="cchi-2020", metavar="NAME|FILE", help=SCHEME_HELP)
    group.add_argument(
        "--conflicts",
        choices=tuple(CONFLICT_POLICIES),
        metavar="POLICY",
        help=(
            "for a scheme whose codes can map to several weights (cchi-2020, ons-css-ho, ...): "
            f"which weight a code gets, one of {', '.join(CONFLICT_POLICIES)} (the scheme's "
            "default, min, when not given); recorded in the manifest"
        ),
    )


def scheme_from_args(args: argparse.Namespace, option: str = "scheme") -> ch.WeightScheme:
    """The scheme ``--scheme`` names (a name, a file, with derivation steps), with
    ``--conflicts`` passed to its loader when given.
    """
    conflicts = getattr(args, "conflicts", None)
    options = {} if conflicts is None else {"conflicts": conflicts}
    name = getattr(args, option)
    args.conflicts_applied = True  # check_conflicts_applied: this loader took the option
    try:
        return ch.get_scheme(name, **options)
    except ParameterTypeError as exc:
        if conflicts is None:
            raise
        msg = f"--conflicts {conflicts}: scheme {name!r} takes no conflicts policy ({exc})"
        raise InputError(msg) from None


def check_conflicts_applied(args: argparse.Namespace, scheme: ch.WeightScheme) -> None:
    """InputError when ``--conflicts`` was given but ``scheme`` was not loaded with it."""
    conflicts = getattr(args, "conflicts", None)
    if getattr(args, "conflicts_applied", False):
        return
    if conflicts is not None and scheme.metadata.get("conflicts") != conflicts:
        msg = (
            f"--conflicts {conflicts}: scheme {scheme.name!r} was not loaded with it "
            "(this command resolves the scheme without the option)"
        )
        raise InputError(msg)


def add_scoring_input(parser: argparse.ArgumentParser) -> None:
    """The events file, scoring, selection and reading options shared by rank and explain."""
    parser.add_argument("events", metavar="EVENTS", help="events file (.csv or .parquet)")
    scoring = parser.add_argument_group("scoring")
    add_scheme_options(scoring)
    scoring.add_argument(
        "--as-of",
        required=True,
        type=date_arg,
        metavar="DATE",
        help="score as of this date (YYYY-MM-DD); later events are not counted",
    )
    scoring.add_argument(
        "--window-days",
        type=positive_int,
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
    scoring.add_argument(
        "--by",
        default="offender_id",
        metavar="COL",
        help="group harm by this column: offender_id (default), victim_id or a carried column",
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
        type=date_arg,
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


def decay_from_args(args: argparse.Namespace) -> Any:
    params: dict[str, Any] = {}
    for item in args.decay_param:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            msg = f"--decay-param must be KEY=VALUE (got {item!r})"
            raise InputError(msg)
        try:
            params[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            params[key.strip()] = raw
    name = args.decay
    if args.half_life is not None:
        if name not in (None, "exponential"):
            msg = f"--half-life means exponential decay; it cannot be combined with --decay {name}"
            raise InputError(msg)
        if "half_life_days" in params:
            msg = "give the half-life once: --half-life or --decay-param half_life_days=..."
            raise InputError(msg)
        name = "exponential"
        params["half_life_days"] = args.half_life
    if name is None:
        if params:
            msg = "--decay-param needs --decay NAME"
            raise InputError(msg)
        name = "none"
    try:
        return ch.get_decay(name, **params)
    except CrimeHarmError as exc:  # reworded with the options the user gave
        text = _decay_option_message(str(exc), name, params, args.half_life is not None)
        if text is None:
            raise
        raise InputError(text) from exc
    except (TypeError, ValueError) as exc:  # a decay's own checks of its parameters
        detail = " ".join(str(exc).split()) or type(exc).__name__
        msg = f"bad --decay-param for decay {name!r} ({detail}); got {sorted(params)}"
        raise InputError(msg) from exc


_MISSING_ARGS = re.compile(r"missing \d+ required (?:positional |keyword-only )?arguments?: (.+)$")
_UNEXPECTED_ARG = re.compile(r"unexpected keyword argument '(\w+)'")


def _decay_option_message(
    text: str, name: str, params: dict[str, Any], half_life: bool
) -> str | None:
    """A decay error in the words of the command line (None: keep the library's message)."""
    missing = _MISSING_ARGS.search(text)
    if missing:
        needed = re.findall(r"'(\w+)'", missing.group(1))
        values = " ".join(
            f"--decay-param {k}={'N' if k.endswith('_days') else 'VALUE'}" for k in needed
        )
        return f"--decay {name} needs {values}"
    unexpected = _UNEXPECTED_ARG.search(text)
    if unexpected:
        takes = _decay_parameters(name)
        listed = f"; it takes {', '.join(takes)}" if takes else ""
        return f"--decay {name} has no parameter {unexpected.group(1)!r}{listed}"
    for key in params:
        if f"{key} must" in text:
            option = (
                "--half-life" if half_life and key == "half_life_days" else f"--decay-param {key}"
            )
            return text.replace(f"{key} must", f"{option} must", 1)
    return None


def _decay_parameters(name: str) -> list[str]:
    """The keyword parameters of a registered decay's factory (empty if unknown)."""
    import inspect

    from ..plugins import REGISTRY, DecayProvider

    entry = REGISTRY.decays().get(name)
    if entry is None:
        return []
    provider = entry.provider
    factory = provider.factory if isinstance(provider, DecayProvider) else provider
    try:
        parameters = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):
        return []
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return [p.name for p in parameters if p.kind in kinds]


def unknown_policy(args: argparse.Namespace) -> tuple[str, float | None]:
    if args.fallback_weight is None:
        return args.on_unknown, None
    if args.on_unknown == "skip":
        msg = "--fallback-weight counts unknown codes; it cannot be combined with --on-unknown skip"
        raise InputError(msg)
    weight = float(args.fallback_weight)
    if not math.isfinite(weight) or not 0 <= weight <= MAX_WEIGHT:
        msg = f"--fallback-weight must be {WEIGHT_RULE} (got {args.fallback_weight!r})"
        raise InputError(msg)
    return "fallback", args.fallback_weight


def reader_options(args: argparse.Namespace, *, csv: bool) -> dict[str, Any]:
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
        raise InputError(msg)
    return options


def input_kind(path: Path) -> str:
    name = path.name.lower()
    if str(path) == "-":  # standard input: CSV, plain or compressed
        return "csv"
    if name.endswith(COMPRESSED_SUFFIXES):
        inner = name.rsplit(".", 1)[0]
        if inner.endswith(CSV_SUFFIXES) and not name.endswith(".zip"):
            return "csv"  # .csv.gz, .csv.bz2, .csv.xz, .csv.zst: the reader decompresses
        msg = (
            f"{str(path)!r} is compressed; crimeharm reads compressed CSV files (.csv.gz, "
            ".csv.bz2, .csv.xz, .csv.zst) and plain Parquet files: decompress it first"
        )
        raise InputError(msg)
    if name.endswith(PARQUET_SUFFIXES):
        return "parquet"
    if name.endswith(CSV_SUFFIXES):
        return "csv"
    msg = f"cannot tell the format of {str(path)!r}: expected a .csv or .parquet file"
    raise InputError(msg)


def read_events(args: argparse.Namespace) -> Events:
    from ..io import readers as chio

    path = Path(args.events)
    kind = input_kind(path)
    if str(path) == "-":
        return chio.read_csv("-", **reader_options(args, csv=True))
    if not path.exists():
        raise FileNotFoundError(2, "No such file or directory", str(path))
    if path.is_dir():
        raise IsADirectoryError(21, "Is a directory", str(path))
    if kind == "parquet":
        return chio.read_parquet(path, **reader_options(args, csv=False))
    options = reader_options(args, csv=True)
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
    return join_chunks(chunks, str(path))


def join_chunks(chunks: list[Events], source: str) -> Events:
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


def filters_of(args: argparse.Namespace) -> dict[str, Any]:
    """The --group, --code and --where filters of a run, as the manifest records them."""
    where: dict[str, list[str]] = {}
    for item in args.where:
        column, sep, value = item.partition("=")
        column = column.strip()
        if not sep or not column:
            msg = f"--where must be COLUMN=VALUE (got {item!r})"
            raise InputError(msg)
        where.setdefault(column, []).append(value)
    filters: dict[str, Any] = {}
    if args.group is not None:
        filters["groups"] = list(args.group)
    if args.code is not None:
        filters["codes"] = list(args.code)
    if where:
        filters["where"] = where
    return filters


def select(events: Events, args: argparse.Namespace, scheme: ch.WeightScheme) -> Events:
    """The events the run scores: the manifest's own filter rule (``select_events``), with the
    command line's wording for bad --where values and a warning when --where matches nothing."""
    from ..audit.manifest import select_events, where_value

    check_conflicts_applied(args, scheme)
    where = filters_of(args).get("where", {})
    for column, values in where.items():
        if column not in events.column_names:
            msg = (
                f"--where {column}=...: the events have no column {column!r}; "
                f"columns: {', '.join(events.column_names)}"
            )
            raise InputError(msg)
        try:
            for value in values:
                where_value(events, column, value)
        except ParameterError as exc:
            raise InputError(f"--{exc}") from None
    if where:
        selected = select_events(events, scheme, where=where)
        if not len(selected) and len(events):
            items = " ".join(f"--where {c}={v}" for c, vs in where.items() for v in vs)
            sys.stderr.write(f"{PROG}: warning: {items} matches none of the {len(events):,} rows\n")
        events = selected
    return select_events(events, scheme, groups=args.group, codes=args.code)


def reading_record(args: argparse.Namespace) -> dict[str, Any]:
    """How the events file was read, for the manifest: path, format and reader options."""
    kind = input_kind(Path(args.events))
    return {"path": str(args.events), "format": kind, **reader_options(args, csv=kind == "csv")}


def render(
    ranking: Ranking, fmt: str, header: list[str], extra: Any = None, *, escape: bool = True
) -> str:
    if fmt in ("csv", "tsv"):
        return _output.ranking_csv(ranking, delimiter="," if fmt == "csv" else "\t", escape=escape)
    if fmt == "json":
        return _output.ranking_json(ranking, extra)
    return _output.ranking_table(ranking, header)


def refuse_overwriting_input(args: argparse.Namespace) -> None:
    """The checks of ``check_paths`` for a command writing one --output (no manifest)."""
    check_paths(args)


def emit(text: str, output: str | None, *, rows: int) -> None:
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    with _output.atomic_write(output) as fh:
        fh.write(text)
    sys.stderr.write(f"{PROG}: wrote {rows:,} ranked offenders to {output}\n")
