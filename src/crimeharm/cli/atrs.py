"""``crimeharm atrs``: the ATRS transparency record fields crimeharm can fill, from a manifest."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..io import write as _output
from .common import EXIT_OK, PROG, InputError

FORMATS = ("markdown", "json")


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    atrs = commands.add_parser(
        "atrs",
        parents=[common],
        help="write the ATRS transparency record fields crimeharm can fill, from a manifest",
        description=(
            "Read MANIFEST (the .manifest.json written beside a ranking or report, or the "
            "ranking itself when its manifest lies beside it) and write the fields of the UK "
            "Algorithmic Transparency Recording Standard (ATRS) record that the tool can fill: "
            "model and version, inputs, outputs, data cleaning and row accounting, parameters, "
            "the weight scheme and its provenance, known limitations. Every other field (owner, "
            "senior responsible owner, human review, appeals, ...) is marked for the "
            "organisation to complete."
        ),
    )
    atrs.add_argument("manifest", metavar="MANIFEST", help="a crimeharm manifest (.json)")
    out = atrs.add_argument_group("output")
    out.add_argument(
        "--format", choices=FORMATS, default="markdown", help="markdown (default) or json"
    )
    out.add_argument("--output", "-o", metavar="FILE", help="write to FILE (atomically)")
    atrs.set_defaults(handler=run)


def manifest_of(path: Path) -> Path:
    """``path`` if it is a manifest, else the manifest written beside it (a ranking, a report)."""
    from ..audit.atrs import manifest_path_of

    return manifest_path_of(path)


#: How a record written by ``atrs`` starts (Markdown, JSON): only such a file is replaced.
RECORD_STARTS = (
    "# Algorithmic transparency record",
    '{\n  "standard": "Algorithmic Transparency Recording Standard (ATRS)"',
)


def refuse_replacing_other_files(path: Path) -> None:
    """An existing --output must be an ATRS record written before: a manifest's relative paths
    cannot always be found again, so any other file (events, a ranking) is left alone."""
    if not path.is_file():
        return
    with path.open("rb") as fh:
        head = fh.read(256).decode("utf-8", errors="replace")
    if not head.startswith(RECORD_STARTS):
        msg = (
            f"--output {path} exists and is not an ATRS record written by crimeharm atrs; "
            "choose another file (or remove it first)"
        )
        raise InputError(msg)


def run(args: argparse.Namespace) -> int:
    from ..audit.atrs import atrs_record, check_manifest, named_paths
    from ..audit.manifest import Manifest

    source = manifest_of(Path(args.manifest))
    manifest = Manifest.read(source)
    check_manifest(manifest, source=str(source))
    if args.output is not None:  # never over the manifest or any file it names
        inputs: dict[str, str | Path] = {"MANIFEST": args.manifest}
        inputs.update(named_paths(manifest, source))
        _output.check_outputs({"--output": args.output}, inputs)
        refuse_replacing_other_files(Path(args.output))
    record = atrs_record(manifest)
    for warning in record.warnings:
        sys.stderr.write(f"{PROG}: warning: {warning}\n")
    text = record.to_json() if args.format == "json" else record.to_markdown()
    if args.output is None:
        sys.stdout.write(text)
        return EXIT_OK
    with _output.atomic_write(args.output) as fh:
        fh.write(text)
    n_open = len(record.to_complete())
    sys.stderr.write(
        f"{PROG}: wrote the ATRS record to {args.output}: {len(record.entries) - n_open} fields "
        f"filled, {n_open} for the organisation to complete\n"
    )
    return EXIT_OK
