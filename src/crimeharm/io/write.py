"""Output for the command line: ranking tables, CSV and JSON, atomic files, a progress line.

Nothing here prints by itself; functions return text or write to the stream or file given.
Offender ids appear only in the ranking rows a caller asked to render.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from ..errors import ParameterError

if TYPE_CHECKING:
    from ..core.events import Events
    from ..core.results import Ranking, Report, ScoreParams

__all__ = [
    "FORMATS",
    "FORMULA_STARTS",
    "RANKING_FORMATS",
    "OutputPathError",
    "Progress",
    "atomic_write",
    "check_outputs",
    "commit_outputs",
    "describe_params",
    "describe_report",
    "escape_cell",
    "format_for_path",
    "format_table",
    "ranking_csv",
    "ranking_json",
    "ranking_table",
    "records_csv",
    "remove_stale_temps",
    "unescape_cell",
    "write_events_csv",
]

FORMATS = ("table", "csv", "json")
#: Formats of a ranking file; ``-o`` without ``--format`` picks one from the file's extension.
RANKING_FORMATS = ("table", "csv", "tsv", "json")
_FORMAT_OF_SUFFIX = {".csv": "csv", ".tsv": "tsv", ".json": "json"}


def format_for_path(path: str | Path) -> str:
    """The output format a file name implies: .csv, .tsv, .json, else table."""
    return _FORMAT_OF_SUFFIX.get(Path(path).suffix.lower(), "table")


# -- files ---------------------------------------------------------------------------------------

#: Temporary files are named ``.{target name}.crimeharm-{pid}-{random}.tmp`` next to the target,
#: so a run can recognise (and remove) one left behind by a killed run.
TEMP_MARK = ".crimeharm-"
TEMP_SUFFIX = ".tmp"
#: A leftover temporary file whose process is gone, or older than this, is removed.
STALE_TEMP_SECONDS = 24 * 3600


class OutputPathError(ParameterError):
    """An output file cannot be written where asked (missing folder, an input, two outputs...)."""


def _temp_name_pattern(target: Path) -> re.Pattern[str]:
    return re.compile(
        re.escape(f".{target.name}{TEMP_MARK}") + r"(\d+)-[A-Za-z0-9_]+" + re.escape(TEMP_SUFFIX)
    )


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid() or os.name == "nt":  # on Windows os.kill(pid, 0) would end it
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # a process we may not signal still exists
    return True


def remove_stale_temps(target: str | Path, *, max_age: float = STALE_TEMP_SECONDS) -> int:
    """Remove temporary files of ``target`` left by killed runs; the number removed.

    A file counts as left behind when the process named in it no longer runs, or when it is
    older than ``max_age`` seconds (a pid can be reused). Other files are never touched.
    """
    import time

    path = Path(os.path.realpath(target))
    pattern = _temp_name_pattern(path)
    removed = 0
    try:
        names = [entry.name for entry in path.parent.iterdir()]
    except OSError:
        return 0
    now = time.time()
    for name in names:
        match = pattern.fullmatch(name)
        if match is None:
            continue
        leftover = path.parent / name
        try:
            old = now - leftover.lstat().st_mtime > max_age
            if old or not _pid_alive(int(match.group(1))):
                leftover.unlink()
                removed += 1
        except OSError:
            continue
    return removed


def _make_temp(target: Path, *, asked: str | Path) -> tuple[int, Path]:
    """A new private temporary file next to ``target``: (file descriptor, path)."""
    try:
        fd, tmp = tempfile.mkstemp(
            prefix=f".{target.name}{TEMP_MARK}{os.getpid()}-",
            suffix=TEMP_SUFFIX,
            dir=target.parent,
        )
    except OSError as exc:  # name the file asked for, not the temporary one
        raise type(exc)(exc.errno, exc.strerror, str(asked)) from None
    return fd, Path(tmp)


def _install(tmp: Path, target: Path) -> None:
    """Give ``tmp`` the mode of the file it replaces (0600 when new) and rename it over it."""
    with contextlib.suppress(FileNotFoundError):
        tmp.chmod(target.stat().st_mode & 0o7777)
    tmp.replace(target)


@contextlib.contextmanager
def atomic_write(path: str | Path, *, newline: str | None = None) -> Iterator[IO[str]]:
    """Open a temporary file next to ``path`` for writing text; on success it replaces ``path``.

    The data is flushed and fsync'ed before ``os.replace``, so ``path`` holds either its old
    content or the complete new one, never a truncated file (an interrupt or an error removes
    the temporary file; one left by a killed run is removed by the next write). A new file is
    readable by the owner only (0600: rankings name people); a file replaced keeps its mode.
    """
    target = Path(os.path.realpath(path))  # through a symlink: replace the file it names
    if target.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a directory, not a file", str(path))
    remove_stale_temps(target)
    fd, tmp = _make_temp(target, asked=path)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        _install(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _same_file(a: Path, b: Path) -> bool:
    if a == b:
        return True
    try:
        return a.samefile(b)  # hard links: one file under two names
    except OSError:
        return False


def check_outputs(
    outputs: Mapping[str, str | Path], inputs: Mapping[str, str | Path] | None = None
) -> dict[str, Path]:
    """Check, before any work, that a run's output files can be written; their resolved paths.

    ``outputs`` and ``inputs`` map a label for messages (``"--output"``, ``"the events file"``)
    to a path. Every output must be distinct from every other output and from every input
    (after resolving symbolic links; hard links count as the same file), must not be a folder
    or a device, and must lie in a folder that exists and is writable. Raises
    ``OutputPathError`` naming the first problem.
    """
    resolved_inputs = {label: Path(os.path.realpath(p)) for label, p in (inputs or {}).items()}
    resolved: dict[str, Path] = {}
    for label, asked in outputs.items():
        target = Path(os.path.realpath(asked))
        if target.is_dir():
            msg = f"{label} {asked}: is a directory; name a file"
            raise OutputPathError(msg)
        if target.exists() and not target.is_file():
            msg = f"{label} {asked}: is not a regular file (a device or a pipe); name a file"
            raise OutputPathError(msg)
        folder = target.parent
        if not folder.is_dir():
            msg = f"{label} {asked}: the folder {str(folder)!r} does not exist"
            raise OutputPathError(msg)
        if not os.access(folder, os.W_OK | os.X_OK):
            msg = f"{label} {asked}: the folder {str(folder)!r} is not writable"
            raise OutputPathError(msg)
        for in_label, source in resolved_inputs.items():
            if _same_file(target, source):
                msg = (
                    f"{label} {asked} is {in_label} itself: it would be overwritten; "
                    "choose another file"
                )
                raise OutputPathError(msg)
        for other_label, other in resolved.items():
            if _same_file(target, other):
                msg = f"{label} {asked} and {other_label} are the same file; give each its own"
                raise OutputPathError(msg)
        resolved[label] = target
    return resolved


@contextlib.contextmanager
def _folder_locks(folders: Sequence[Path]) -> Iterator[None]:
    """Hold an exclusive lock on each folder (in a fixed order); a no-op where unsupported."""
    try:
        import fcntl
    except ImportError:  # Windows: renames are still atomic one by one
        yield
        return
    fds: list[int] = []
    try:
        for folder in sorted(set(folders)):
            fd = os.open(folder, os.O_RDONLY)
            fds.append(fd)
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        for fd in reversed(fds):
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


def commit_outputs(
    files: Sequence[tuple[str | Path, str]], *, remove: Sequence[str | Path] = ()
) -> None:
    """Write several text files as one unit: all of them, or none (the old files stay).

    Each ``(path, text)`` is written to a private temporary file in the target's folder and
    fsync'ed; only when every one is complete are they renamed over their targets, in the
    order given, while an exclusive lock is held on each target folder, so two runs writing the
    same files never interleave (one run's ranking never stands beside another run's manifest).
    Files in ``remove`` (e.g. a stale manifest) are deleted under the same lock before the
    renames. Temporary files are removed on every exit, an interrupt included.
    """
    temps: list[tuple[Path, Path]] = []
    try:
        for asked, text in files:
            target = Path(os.path.realpath(asked))
            remove_stale_temps(target)
            fd, tmp = _make_temp(target, asked=asked)
            temps.append((tmp, target))
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
        stale = [Path(os.path.realpath(p)) for p in remove]
        with _folder_locks([t.parent for _, t in temps] + [s.parent for s in stale]):
            for path in stale:
                path.unlink(missing_ok=True)
            for tmp, target in temps:
                _install(tmp, target)
    finally:
        for tmp, _ in temps:
            tmp.unlink(missing_ok=True)


# -- describing a score --------------------------------------------------------------------------


def describe_params(params: ScoreParams, *, unit: str = "") -> str:
    """One line: scheme, as_of, window and decay of a score."""
    about = ", ".join(x for x in (params.scheme_version, unit) if x)
    about = f" ({about})" if about else ""
    window = "none" if params.window_days is None else f"{params.window_days} days"
    decay = params.decay
    if params.decay_params:
        decay += " (" + ", ".join(f"{k}={_plain(v)}" for k, v in params.decay_params.items()) + ")"
    unknown = ""
    if params.on_unknown == "skip":
        unknown = "  unknown codes: skipped"
    elif params.on_unknown == "fallback":
        unknown = f"  unknown codes: weight {_plain(params.fallback_weight)}"
    return (
        f"scheme: {params.scheme}{about}  as_of: {params.as_of}  "
        f"window: {window}  decay: {decay}{unknown}"
    )


def describe_report(report: Report) -> str:
    """One line: rows counted of the total, and why the others were left out."""
    line = f"rows: {report.counted:,} counted of {report.total:,}"
    if report.excluded_total:
        reasons = sorted(report.excluded.items(), key=lambda kv: (-kv[1], kv[0]))
        listed = ", ".join(f"{reason} {count:,}" for reason, count in reasons if count)
        line += f" ({report.excluded_total:,} not counted: {listed})"
    return line


def _plain(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# -- tables --------------------------------------------------------------------------------------


def format_table(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[str], *, right: Sequence[str] = ()
) -> str:
    """Plain-text columns separated by two spaces; ``right`` columns are right-aligned."""
    cells = [[str(row.get(c, "")) for c in columns] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]

    def line(values: Sequence[str]) -> str:
        parts = [
            v.rjust(w) if c in right else v.ljust(w)
            for v, w, c in zip(values, widths, columns, strict=True)
        ]
        return "  ".join(parts).rstrip()

    return "\n".join([line(columns), *(line(r) for r in cells)])


def _ranking_columns(ranking: Ranking) -> dict[str, list[Any]]:
    columns: dict[str, list[Any]] = {
        "rank": ranking.rank.tolist(),
        ranking.by: ranking.offender_id.tolist(),  # the key column under its name
        "harm": ranking.harm.tolist(),
        "n_events": ranking.n_events.tolist(),
        "first_date": ranking.first_date.astype(str).tolist(),
        "last_date": ranking.last_date.astype(str).tolist(),
    }
    if ranking.victims is not None:
        columns["victims"] = ranking.victims.tolist()
    return columns


def ranking_table(ranking: Ranking, header: Sequence[str] = ()) -> str:
    """Header lines, then one aligned row per offender (harm to 2 decimals, counts with
    thousands separators); the columns are those of CSV and JSON."""
    columns = _ranking_columns(ranking)
    columns["harm"] = [f"{h:,.2f}" for h in columns["harm"]]
    for name in ("n_events", "victims"):
        if name in columns:
            columns[name] = [f"{v:,}" for v in columns[name]]
    names = list(columns)
    rows = [dict(zip(names, values, strict=True)) for values in zip(*columns.values(), strict=True)]
    numeric = ("rank", "harm", "n_events", "victims")
    body = format_table(rows, names, right=numeric) if rows else _empty_ranking(ranking)
    return "\n".join([*header, "", body]) + "\n" if header else body + "\n"


def _empty_ranking(ranking: Ranking) -> str:
    """Why a ranking has no rows: nothing was counted, or none were asked for (top 0)."""
    if ranking.report.counted:
        return f"(top 0 requested: no rows shown of {ranking.report.counted:,} counted events)"
    noun = "offender" if ranking.by == "offender_id" else ranking.by
    return f"(no {noun} has counted events)"


#: First characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection"),
#: and the quote that marks an escaped cell.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ESCAPE_PREFIX = "'"


def escape_cell(text: str) -> str:
    """``text`` made safe to open in a spreadsheet: a ``'`` is put before a formula start.

    A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (OWASP's list),
    or with ``'`` itself (so the rule can be undone exactly), gets one ``'`` in front;
    ``unescape_cell`` removes it. Other text is returned unchanged.
    """
    if text and (text[0] in FORMULA_STARTS or text[0] == ESCAPE_PREFIX):
        return ESCAPE_PREFIX + text
    return text


def unescape_cell(text: str) -> str:
    """The original text of a cell written by ``escape_cell``.

    Only a ``'`` that ``escape_cell`` would have added is removed (one followed by a formula
    start or another ``'``), so text such as ``'abc`` from elsewhere is returned unchanged.
    """
    if text[:1] == ESCAPE_PREFIX and text[1:2] and text[1] in (*FORMULA_STARTS, ESCAPE_PREFIX):
        return text[1:]
    return text


def _cell(value: Any, escape: bool) -> Any:
    if isinstance(value, float):
        return repr(value)
    if escape and isinstance(value, str):
        return escape_cell(value)
    return value


def records_csv(
    columns: Mapping[str, Sequence[Any]], *, delimiter: str = ",", escape: bool = True
) -> str:
    """CSV text (header row, then rows) from equal-length columns; floats written exactly.

    Text cells are escaped with ``escape_cell`` unless ``escape`` is false; numbers are
    never changed. ``delimiter="\\t"`` gives TSV.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", delimiter=delimiter)
    writer.writerow([_cell(name, escape) for name in columns])
    values = [[_cell(v, escape) for v in col] for col in columns.values()]
    writer.writerows(zip(*values, strict=True))
    return buffer.getvalue()


def ranking_csv(ranking: Ranking, *, delimiter: str = ",", escape: bool = True) -> str:
    """The ranking as CSV: rank, offender_id (the ``by`` name), harm, n_events, first_date,
    last_date[, victims]: the names of ``--format json`` and of ``Ranking.to_pandas()``.

    Offender ids are escaped for spreadsheets (see ``escape_cell``) unless ``escape`` is
    false; ``delimiter="\\t"`` gives TSV.
    """
    return records_csv(_ranking_columns(ranking), delimiter=delimiter, escape=escape)


def ranking_json(ranking: Ranking, extra: Mapping[str, Any] | None = None) -> str:
    """``{"params": ..., "report": ..., "ranking": [...], **extra}`` as indented JSON."""
    document: dict[str, Any] = {
        "params": ranking.params.to_dict(),
        "report": ranking.report.to_dict(),
        "ranking": ranking.to_records(),
    }
    document.update(extra or {})
    return json.dumps(document, indent=2, default=_json_default) + "\n"


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    msg = f"cannot write {type(value).__name__} as JSON"
    raise TypeError(msg)


def write_events_csv(events: Events, fh: IO[str], *, escape: bool = True) -> None:
    """Events as CSV (offender_id, offence_code, date, victim_id, crime_id, extra columns).

    Text cells (ids, codes) are escaped for spreadsheets unless ``escape`` is false.
    """
    writer = csv.writer(fh, lineterminator="\n")
    names = events.column_names
    writer.writerow(names)
    columns = [
        events[name].astype(str).tolist()
        if events[name].dtype.kind == "M"
        else [_cell(v, escape) for v in events[name].tolist()]
        for name in names
    ]
    writer.writerows(zip(*columns, strict=True))


# -- progress ------------------------------------------------------------------------------------


class Progress:
    """A one-line progress display (``\\r``-rewritten) for a terminal; no dependency.

    ``expected`` is an estimate of the rows to come (shown as a percentage, capped at 99% until
    ``close``).
    """

    def __init__(self, stream: IO[str], label: str, expected: int | None = None) -> None:
        self.stream = stream
        self.label = label
        self.expected = expected
        self._width = 0

    def update(self, rows: int) -> None:
        """Show that ``rows`` rows are done so far."""
        text = f"{self.label}: {rows:,} rows"
        if self.expected:
            text += f" (~{min(99, int(100 * rows / self.expected))}%)"
        self._write(text)

    def close(self) -> None:
        """Clear the line."""
        self._write("")
        self.stream.write("\r")
        self.stream.flush()

    def _write(self, text: str) -> None:
        pad = max(0, self._width - len(text))
        self.stream.write("\r" + text + " " * pad)
        self.stream.flush()
        self._width = len(text)


def estimate_lines(path: str | Path, *, sample_bytes: int = 1 << 16) -> int:
    """Lines in a text file estimated from its size and the first ``sample_bytes`` bytes."""
    size = Path(path).stat().st_size
    with Path(path).open("rb") as fh:
        sample = fh.read(sample_bytes)
    newlines = sample.count(b"\n")
    if not sample or newlines == 0:
        return 1 if sample else 0
    return int(size * newlines / len(sample))


def call_with_progress(
    chunks: Iterator[Events], progress: Progress | None, on_chunk: Callable[[Events], None]
) -> None:
    """Feed each chunk to ``on_chunk``, updating ``progress`` with the rows so far."""
    done = 0
    try:
        for chunk in chunks:
            on_chunk(chunk)
            done += chunk.n_rows
            if progress is not None:
                progress.update(done)
    finally:
        if progress is not None:
            progress.close()
