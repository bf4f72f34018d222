"""The ``crimeharm`` command line: the parser of every subcommand, and exit statuses.

Exit status: 0 success (``verify``: the ranking is identical); 1 ``verify``: the ranking differs,
or an unexpected internal error (a bug: rerun with ``--debug`` and report it); 2 usage error or
bad input (a one-line message naming the file, line and column); 3 an optional dependency is
missing (e.g. pyarrow for Parquet); 130 interrupted (Ctrl-C); 141 the output pipe closed early
(e.g. ``| head``); 143 terminated (SIGTERM). Output files are never left half-written and no
temporary file is left behind on any of these exits.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import signal
import sys
import threading
import traceback
import warnings
from collections.abc import Iterator, Sequence
from importlib import import_module
from pathlib import Path
from typing import Any

import crimeharm as ch

from ..errors import CrimeHarmError, MissingDependencyError, PluginWarning
from .common import (
    EXIT_BAD_INPUT,
    EXIT_BROKEN_PIPE,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_MISSING_DEPENDENCY,
    PROG,
)


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so ``main`` returns a status."""

    def error(self, message: str) -> Any:
        self.print_usage(sys.stderr)
        sys.stderr.write(f"{PROG}: error: {message}\n")
        raise _UsageExit(EXIT_BAD_INPUT)

    def exit(self, status: int = 0, message: str | None = None) -> Any:
        if message:
            sys.stderr.write(message)
        raise _UsageExit(status)


class _Terminated(BaseException):
    """SIGTERM, raised in the main thread so that ``finally`` blocks remove temporary files."""


EXIT_TERMINATED = 143


@contextlib.contextmanager
def _terminate_as_exception() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        raise _Terminated

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def _one_line_warnings() -> Iterator[None]:
    """Warnings (a broken plugin, ...) as one line each on stderr: ``crimeharm: warning: ...``."""

    def show(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: Any = None,
        line: str | None = None,
    ) -> None:
        sys.stderr.write(f"{PROG}: warning: {' '.join(str(message).split())}\n")

    with warnings.catch_warnings():
        warnings.showwarning = show
        warnings.simplefilter("always", PluginWarning)  # shown, even where warnings are errors
        yield


class _UsageExit(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


#: The subcommands, in the order ``--help`` lists them: each module has add_parser and run.
COMMANDS = ("rank", "explain", "report", "verify", "pseudonymise", "atrs", "schemes", "demo")


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
    for name in COMMANDS:
        import_module(f".{name}", __package__).add_parser(commands, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    with _one_line_warnings(), _terminate_as_exception():
        try:
            return _main(argv)
        except _Terminated:
            sys.stderr.write(f"{PROG}: terminated\n")
            return EXIT_TERMINATED


def _main(argv: Sequence[str] | None) -> int:
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
    except (Exception, SystemExit) as exc:  # SystemExit: a plugin or library called sys.exit
        return _internal(exc, debug)
    return status


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
    ("dedupe='crime_id'", "de-duplication by crime_id"),
)
#: ``offender_id='<your column>'`` in a library hint is the option ``--offender-id COL``.
_COLUMN_HINT = re.compile(r"\b(offender_id|offence_code|date|victim_id|crime_id)='<your column>'")
#: ``by='x'`` (or a message opening "by must ...") is the option ``--by x``.
_BY_HINT = re.compile(r"(?<![\w-])by=('[^']*'|\"[^\"]*\")")
_BY_START = re.compile(r"^by (must|cannot|needs)\b")


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
            text = _COLUMN_HINT.sub(lambda m: "--" + m.group(1).replace("_", "-") + " COL", text)
            text = _BY_HINT.sub(lambda m: "--by " + m.group(1)[1:-1], text)
            text = _BY_START.sub(lambda m: "--by " + m.group(1), text)
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
