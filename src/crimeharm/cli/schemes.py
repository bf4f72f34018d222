"""``crimeharm schemes``: list, show, diff the weight schemes, and check their coverage.

- ``crimeharm schemes`` lists every registered scheme;
- ``crimeharm schemes show NAME`` prints one scheme's metadata and weights;
- ``crimeharm schemes diff A B`` lists weights changed, codes added and codes removed;
- ``crimeharm schemes coverage EVENTS --scheme X`` says what share of the events X covers.

NAME, A and B are registered scheme names or scheme files (``.toml``, ``.csv``), either
followed by derivation steps (``cchi-2020+log1p``). ``show --format scheme-csv|toml`` prints
a scheme file (metadata header and checksum) that ``WeightScheme.from_file`` reads back.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import crimeharm as ch

from ..core.crosswalk import CONFLICT_POLICIES
from ..io import write as _output
from .common import (
    EXIT_OK,
    SCHEME_HELP,
    InputError,
    add_scheme_options,
    date_arg,
    non_negative_int,
    read_events,
    scheme_from_args,
)

#: ``schemes show`` formats that print a loadable scheme file.
SCHEME_FILE_FORMATS = ("scheme-csv", "toml")


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    schemes = commands.add_parser(
        "schemes",
        parents=[common],
        help="list, show, diff the weight schemes; check their coverage of events",
        description=(
            "List every weight scheme (built in or from plugins) with its provenance; with a "
            "subcommand, show one, diff two, or check one's coverage of an events file."
        ),
    )
    schemes.add_argument("--format", choices=_output.FORMATS, default="table")
    schemes.set_defaults(handler=run, action=None)
    actions = schemes.add_subparsers(dest="action", metavar="ACTION", parser_class=type(schemes))

    show = actions.add_parser(
        "show",
        parents=[common],
        help="one scheme's metadata and weights",
        description=(
            "Print a scheme's name, version, unit, key system, source, licence and checksum, "
            "then its codes and weights."
        ),
    )
    show.add_argument("name", metavar="NAME", help=SCHEME_HELP)
    show.add_argument(
        "--format",
        choices=(*_output.FORMATS, *SCHEME_FILE_FORMATS),
        default="table",
        help=(
            "table (default), csv/tsv (the weights only), json, or a scheme file to publish: "
            "scheme-csv (CSV with a metadata header) or toml"
        ),
    )
    show.add_argument(
        "--licence",
        metavar="TEXT",
        default="",
        help="with --format scheme-csv or toml: the licence, for a scheme that records none",
    )
    show.add_argument(
        "--conflicts",
        choices=tuple(CONFLICT_POLICIES),
        metavar="POLICY",
        help=f"conflicts policy for schemes that take one: {', '.join(CONFLICT_POLICIES)}",
    )
    show.add_argument("--derive", metavar="HOW", help="show a derivation: log1p, sqrt, cap=X")
    show.set_defaults(handler=run_show)

    diff = actions.add_parser(
        "diff",
        parents=[common],
        help="weights changed, codes added and removed",
        description=(
            "Compare two schemes code by code: weights changed (old, new, ratio), codes only in "
            "B (added) and codes only in A (removed), with counts."
        ),
    )
    diff.add_argument("a", metavar="A", help="registered scheme name or scheme file")
    diff.add_argument("b", metavar="B", help="registered scheme name or scheme file")
    diff.add_argument("--format", choices=_output.FORMATS, default="table")
    diff.set_defaults(handler=run_diff)

    coverage = actions.add_parser(
        "coverage",
        parents=[common],
        help="share of events a scheme covers",
        description=(
            "Before scoring: the share of rows whose code the scheme has, the harm they carry, "
            "and the most frequent codes it lacks, each marked valid (a real code of the key "
            "system that the scheme lacks), well-formed (of the system's form but not in its "
            "catalogue) or malformed (not a code of the system)."
        ),
    )
    coverage.add_argument("events", metavar="EVENTS", help="events file (.csv or .parquet)")
    add_scheme_options(coverage)
    coverage.add_argument(
        "--reference",
        metavar="NAME",
        help="also report the share of this scheme's harm on covered rows (same key system)",
    )
    coverage.add_argument(
        "--top", type=non_negative_int, default=10, metavar="N", help="codes to list (>= 0)"
    )
    coverage.add_argument("--format", choices=("table", "json"), default="table")
    _add_reading(coverage)
    coverage.set_defaults(handler=run_coverage)


def _add_reading(parser: argparse.ArgumentParser) -> None:
    reading = parser.add_argument_group("reading the events file")
    reading.add_argument("--offender-id", default="offender_id", metavar="COL")
    reading.add_argument("--offence-code", default="offence_code", metavar="COL")
    reading.add_argument("--date", default="date", metavar="COL")
    reading.add_argument("--victim-id", metavar="COL")
    reading.add_argument("--crime-id", metavar="COL")
    reading.add_argument("--date-format", metavar="FMT")
    reading.add_argument("--id-type", choices=("auto", "int", "str"), default="auto")
    reading.add_argument("--min-date", type=date_arg, metavar="DATE")
    reading.add_argument("--delimiter", default=",", metavar="CHAR")
    reading.add_argument("--pad-codes", action="store_true")
    reading.add_argument("--on-error", choices=("raise", "skip"), default="raise")


def load_scheme(name: str) -> ch.WeightScheme:
    """A registered scheme, a scheme file, either with derivation steps (``ch.get_scheme``)."""
    return ch.get_scheme(name)


def run(args: argparse.Namespace) -> int:
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


def _metadata(scheme: ch.WeightScheme) -> dict[str, Any]:
    meta = dict(scheme.metadata)
    return {
        "name": scheme.name,
        "version": scheme.version,
        "unit": scheme.unit,
        "key_system": scheme.key_system,
        "codes": len(scheme),
        "source": scheme.source,
        "licence": str(meta.pop("licence", "")),
        "description": scheme.description,
        "checksum": f"sha256:{scheme.checksum}",
        "derivations": meta.get("derivations", []),
    }


def _derived(scheme: ch.WeightScheme, how: str | None) -> ch.WeightScheme:
    if not how:
        return scheme
    op, _, value = how.partition("=")
    if op == "cap":
        return scheme.derive("cap", value=value)
    if op == "scale":
        return scheme.derive("scale", factor=value)
    return scheme.derive(op)


def run_show(args: argparse.Namespace) -> int:
    scheme = _derived(scheme_from_args(args, "name"), args.derive)
    if args.format in SCHEME_FILE_FORMATS:
        from ..core.schemefile import scheme_file_text

        kind = "csv" if args.format == "scheme-csv" else "toml"
        sys.stdout.write(scheme_file_text(scheme, kind, licence=args.licence))
        return EXIT_OK
    meta = _metadata(scheme)
    titles = scheme.titles.tolist() if scheme.titles is not None else [""] * len(scheme)
    groups = scheme.groups.tolist() if scheme.groups is not None else [""] * len(scheme)
    columns = {
        "code": scheme.codes.tolist(),
        "weight": scheme.weights.tolist(),
        "title": titles,
        "group": groups,
    }
    if args.format == "json":
        payload = {
            **meta,
            "offences": [
                dict(zip(columns, r, strict=True)) for r in zip(*columns.values(), strict=True)
            ],
        }
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
        return EXIT_OK
    if args.format == "csv":
        sys.stdout.write(_output.records_csv(columns))
        return EXIT_OK
    lines = [f"{k + ':':<12} {v}" for k, v in meta.items() if v not in ("", [])]
    rows = [
        {"code": c, "weight": repr(w), "title": _shorten(t, 60), "group": _shorten(g, 30)}
        for c, w, t, g in zip(*columns.values(), strict=True)
    ]
    table = _output.format_table(rows, ["code", "weight", "title", "group"], right=["weight"])
    sys.stdout.write("\n".join(lines) + "\n\n" + table + "\n")
    return EXIT_OK


def scheme_diff(a: ch.WeightScheme, b: ch.WeightScheme) -> dict[str, Any]:
    """Codes in both with different weights, codes only in ``b`` (added), only in ``a``."""
    wa, wb = a.to_dict(), b.to_dict()
    changed = [
        {"code": c, "a": wa[c], "b": wb[c], "ratio": (wb[c] / wa[c]) if wa[c] else None}
        for c in wa
        if c in wb and wa[c] != wb[c]
    ]
    added = [{"code": c, "b": wb[c]} for c in wb if c not in wa]
    removed = [{"code": c, "a": wa[c]} for c in wa if c not in wb]
    return {
        "a": a.name,
        "b": b.name,
        "a_checksum": a.checksum,
        "b_checksum": b.checksum,
        "key_systems": [a.key_system, b.key_system],
        "same": sum(1 for c in wa if c in wb and wa[c] == wb[c]),
        "changed": changed,
        "added": added,
        "removed": removed,
    }


def run_diff(args: argparse.Namespace) -> int:
    a, b = load_scheme(args.a), load_scheme(args.b)
    d = scheme_diff(a, b)
    if args.format == "json":
        sys.stdout.write(json.dumps(d, indent=2) + "\n")
        return EXIT_OK
    if args.format == "csv":
        rows = (
            [("changed", r["code"], r["a"], r["b"]) for r in d["changed"]]
            + [("added", r["code"], "", r["b"]) for r in d["added"]]
            + [("removed", r["code"], r["a"], "") for r in d["removed"]]
        )
        columns = ["change", "code", a.name, b.name]
        sys.stdout.write(
            _output.records_csv({c: [r[i] for r in rows] for i, c in enumerate(columns)})
        )
        return EXIT_OK
    lines = [f"A: {a!r}", f"B: {b!r}"]
    if a.key_system != b.key_system:
        lines.append(
            f"note: A is keyed by {a.key_system} codes and B by {b.key_system} codes; "
            "reach one through a crosswalk to compare offences"
        )
    lines.append(
        f"same weight: {d['same']}  changed: {len(d['changed'])}  added (only in B): "
        f"{len(d['added'])}  removed (only in A): {len(d['removed'])}"
    )
    for label, items, cols in (
        ("changed", d["changed"], ["code", "a", "b", "ratio"]),
        ("added", d["added"], ["code", "b"]),
        ("removed", d["removed"], ["code", "a"]),
    ):
        if items:
            rows = [{k: _number(k, v) for k, v in r.items()} for r in items]
            lines += ["", f"{label}:", _output.format_table(rows, cols, right=cols[1:])]
    sys.stdout.write("\n".join(lines) + "\n")
    return EXIT_OK


def run_coverage(args: argparse.Namespace) -> int:
    scheme = scheme_from_args(args)
    reference = load_scheme(args.reference) if args.reference else None
    if reference is not None and reference.key_system != scheme.key_system:
        msg = (
            f"--reference {args.reference}: it is keyed by {reference.key_system} codes and "
            f"--scheme {args.scheme} by {scheme.key_system} codes; a reference must use the "
            "same key system (e.g. ons-css-ho with cchi-2020)"
        )
        raise InputError(msg)
    events = read_events(args)
    cov = scheme.coverage(events, reference=reference)
    if args.format == "json":
        data = cov.to_dict()
        data["missing"] = data["missing"][: args.top]
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    else:
        sys.stdout.write(cov.summary(top=args.top) + "\n")
    return EXIT_OK


def _number(key: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}" if key == "ratio" else repr(value)
    return str(value)


def _shorten(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3].rstrip() + "..."
