"""``crimeharm report``: a self-contained HTML tasking report of a ranking."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

import crimeharm as ch

from .common import (
    EXIT_OK,
    PROG,
    InputError,
    add_scoring_input,
    check_paths,
    decay_from_args,
    filters_of,
    non_negative_int,
    read_events,
    reading_record,
    scheme_from_args,
    select,
    unknown_policy,
)

#: The environment variable holding the pseudonymisation key (its UTF-8 bytes).
KEY_ENV = "CRIMEHARM_PSEUDONYM_KEY"


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    report = commands.add_parser(
        "report",
        parents=[common],
        help="write a self-contained HTML tasking report of the top offenders (or --by keys)",
        description=(
            "Score EVENTS as 'rank' does and write one HTML file for a tasking meeting: the "
            "ranked table (sortable), each person's explanation one click away, the row "
            "accounting, the concentration curve, the settings, the manifest and the caveats. "
            "The file needs no network access when opened. A manifest is written beside it."
        ),
    )
    add_scoring_input(report)
    out = report.add_argument_group("output")
    out.add_argument(
        "--top",
        type=non_negative_int,
        default=100,
        metavar="N",
        help="list the N offenders with the most harm (default 100)",
    )
    out.add_argument("--output", "-o", required=True, metavar="FILE", help="the HTML file to write")
    out.add_argument("--title", metavar="TEXT", help="the report's title")
    pseudo = report.add_argument_group("pseudonymised ids")
    pseudo.add_argument(
        "--pseudonymise",
        action="store_true",
        help=f"show keyed pseudonyms instead of ids; the key is the environment variable "
        f"{KEY_ENV} (UTF-8) or --key-file",
    )
    pseudo.add_argument(
        "--key-file", metavar="FILE", help="read the pseudonymisation key from FILE (its bytes)"
    )
    report.set_defaults(handler=run)


def pseudonym_key(args: argparse.Namespace) -> bytes | None:
    """The key of --pseudonymise: --key-file's bytes, else $CRIMEHARM_PSEUDONYM_KEY's."""
    if not args.pseudonymise:
        if args.key_file:
            msg = "--key-file is the key of --pseudonymise: give both"
            raise InputError(msg)
        return None
    if args.key_file:
        path = Path(args.key_file)
        if path.resolve() in (Path(args.output).resolve(), Path(args.events).resolve()):
            msg = f"--key-file {args.key_file} is an input or the output; choose the key file"
            raise InputError(msg)
        return path.read_bytes()
    text = os.environ.get(KEY_ENV)
    if not text:
        msg = f"--pseudonymise needs a key: set {KEY_ENV} or give --key-file FILE"
        raise InputError(msg)
    return text.encode("utf-8")


def run(args: argparse.Namespace) -> int:
    import hashlib

    import attrs

    from ..audit.manifest import Manifest, manifest_path_for
    from ..audit.report import nouns, tasking_report
    from ..io import write as _output

    check_paths(args, manifest=True)  # before anything is read: no output may replace an input
    key = pseudonym_key(args)
    scheme = scheme_from_args(args)
    decay = decay_from_args(args)
    on_unknown, fallback = unknown_policy(args)
    filters = filters_of(args)
    read = read_events(args)
    events = select(read, args, scheme)
    scores = ch.score(
        events,
        scheme,
        as_of=args.as_of,
        window_days=args.window_days,
        decay=decay,
        on_unknown=on_unknown,  # type: ignore[arg-type]  # argparse choices guard it
        fallback_weight=fallback,
        by=args.by,
    )
    ranking = scores.top(args.top)
    written: dict[str, Any] = {
        "path": str(args.output),
        "format": "html",
        "pseudonymised": key is not None,
    }
    manifest = Manifest.from_result(  # recorded as 'rank -o' records it: filters and reading
        ranking, read, filters=filters, reading=reading_record(args), output=written, scheme=scheme
    )
    report = tasking_report(
        scores,
        events,
        n=args.top,
        scheme=scheme,
        key=key,
        manifest=manifest,
        source=Path(args.events).name,
        title=args.title,
    )
    text = report.html()
    # the page shows the manifest; the file beside it adds the page's sha256 (it cannot be in it)
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    beside = attrs.evolve(manifest, output={**manifest.output, "sha256": sha})
    manifest_path = str(manifest_path_for(args.output))
    _output.commit_outputs([(args.output, text), (manifest_path, beside.to_json() + "\n")])
    ids = "pseudonymised ids" if key is not None else "ids as recorded"
    listed = "offenders" if args.by == "offender_id" else nouns(args.by)[1]
    sys.stderr.write(
        f"{PROG}: wrote the tasking report of {len(ranking):,} {listed} ({ids}) to "
        f"{args.output}\n{PROG}: wrote the manifest to {manifest_path}\n"
    )
    return EXIT_OK
