"""An Algorithmic Transparency Recording Standard (ATRS) record, as far as the tool can fill it.

The UK ATRS asks a public body that uses an algorithmic tool to publish a record of it. Some of its
fields are facts the tool knows (the model and its version, inputs, outputs, the weight scheme and
its provenance, the data cleaning and row accounting of a run, known limitations); the rest only the
organisation can answer (owner, senior responsible owner, how the output is used, human review,
appeals, impact assessments). [`atrs_record`][crimeharm.atrs_record] fills the first kind from a
run's [`Manifest`][crimeharm.Manifest] and marks every other field for completion, with the
template's own note on what it asks for.

The field list (reference number, attribute, name, tier, category, type, required, notes) is
shipped in ``audit/data/atrs_v3.0_fields.json``, copied from the published template table of
ATRS v3.0 (co-cddo/algorithmic-transparency-recording-standard, Open Government Licence v3.0;
the file records the path and commit). v3.0 is the latest version published as a
machine-readable table; v4.0 (July 2025) renames and merges some fields and is published as a
PDF change log and guidance only.

Each field of the record has a ``status``: ``"filled"`` (written by crimeharm from the manifest
and scheme), ``"partly filled"`` (crimeharm's part is written; the organisation must add to it,
as the value says) or ``"to complete"`` (value ``None``: only the organisation can answer).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from ..core.schemes import WeightScheme
from ..errors import CrimeHarmError, DataError, ParameterError
from .manifest import SUFFIX, Manifest, _library_version, manifest_path_for

__all__ = [
    "ATRS_VERSION",
    "CCHI_LICENCE",
    "FILLED",
    "PARTLY_FILLED",
    "STATUSES",
    "TO_COMPLETE",
    "AtrsEntry",
    "AtrsField",
    "AtrsRecord",
    "atrs_fields",
    "atrs_record",
    "atrs_template",
    "check_manifest",
    "manifest_path_of",
    "named_paths",
]

FILLED = "filled"
PARTLY_FILLED = "partly filled"
TO_COMPLETE = "to complete"
STATUSES = (FILLED, PARTLY_FILLED, TO_COMPLETE)
ATRS_VERSION = "3.0"
_DATA = "atrs_v3.0_fields.json"
_FORCE = "[To complete by the organisation: {what}]"


@attrs.frozen
class AtrsField:
    """One field of the ATRS template: ``ref`` (e.g. "2.4.2.2"), ``attribute`` (the machine
    name, e.g. "model_version"), ``name``, ``tier``, ``category``, ``type``, ``required`` and
    the template's ``notes`` for completion."""

    ref: str
    attribute: str
    name: str
    tier: str
    category: str
    type: str
    required: bool
    notes: str


@attrs.frozen
class AtrsEntry:
    """A field of a record: the template ``field``, its ``status`` and its ``value`` (None when
    it is to complete)."""

    field: AtrsField
    status: str
    value: str | None


def atrs_template() -> dict[str, Any]:
    """The shipped template data: standard, version, source (repository, path, commit), fields."""
    text = resources.files(__package__).joinpath("data").joinpath(_DATA).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def atrs_fields() -> tuple[AtrsField, ...]:
    """Every field of the ATRS template, in template order."""
    return tuple(AtrsField(**item) for item in atrs_template()["fields"])


@attrs.frozen
class AtrsRecord:
    """An ATRS record: one [`AtrsEntry`][crimeharm.audit.atrs.AtrsEntry] per template field, in
    template order.
    """

    entries: tuple[AtrsEntry, ...]
    standard_version: str
    source: Mapping[str, str]
    generated_by: str
    manifest: Mapping[str, Any]
    #: What the record could not establish and the organisation must check (e.g. a scheme this
    #: installation does not have); also written into the fields concerned.
    warnings: tuple[str, ...] = ()

    def __getitem__(self, key: str) -> AtrsEntry:
        """The entry of a reference number ("2.4.2.2") or a unique attribute ("model_version")."""
        hits = [e for e in self.entries if key in (e.field.ref, e.field.attribute)]
        if len(hits) != 1:
            msg = (
                f"no ATRS field {key!r}"
                if not hits
                else f"{key!r} names {len(hits)} ATRS fields; use the reference number"
            )
            raise KeyError(msg)
        return hits[0]

    def to_complete(self) -> list[AtrsEntry]:
        """The entries the organisation must still write (to complete or partly filled)."""
        return [e for e in self.entries if e.status != FILLED]

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON): the standard, its source, and one object per field."""
        return {
            "standard": "Algorithmic Transparency Recording Standard (ATRS)",
            "standard_version": self.standard_version,
            "template_source": dict(self.source),
            "generated_by": self.generated_by,
            "statuses": {
                FILLED: "written by crimeharm from the manifest and weight scheme",
                PARTLY_FILLED: "crimeharm's part is written; the organisation must add to it",
                TO_COMPLETE: "only the organisation can answer (value is null)",
            },
            "manifest": dict(self.manifest),
            "warnings": list(self.warnings),
            "fields": [
                {
                    "ref": e.field.ref,
                    "attribute": e.field.attribute,
                    "name": e.field.name,
                    "category": e.field.category,
                    "tier": e.field.tier,
                    "required": e.field.required,
                    "status": e.status,
                    "value": e.value,
                    "guidance": e.field.notes,
                }
                for e in self.entries
            ],
        }

    def to_json(self) -> str:
        """The record as JSON text (UTF-8, 2-space indent)."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def to_markdown(self) -> str:
        """The record as Markdown: one section per template category, one heading per field."""
        n_open = len(self.to_complete())
        lines = [
            f"# Algorithmic transparency record (ATRS v{self.standard_version} fields)",
            "",
            f"Generated by {self.generated_by} from a run manifest "
            f"(input fingerprint `{self.manifest.get('input_fingerprint', '')[:16]}...`, "
            f"created {self.manifest.get('created_at', '')}).",
            f"Fields follow the ATRS v{self.standard_version} template "
            f"({self.source.get('repository', '')}, `{self.source.get('path', '')}`, commit "
            f"`{self.source.get('commit', '')[:12]}`).",
            f"**{n_open} of {len(self.entries)} fields are for the organisation to complete** "
            "(marked TO COMPLETE or PARTLY FILLED).",
        ]
        lines += [f"**Warning**: {w}" for w in self.warnings]
        category = None
        for e in self.entries:
            if e.field.category != category:
                category = e.field.category
                lines += ["", f"## {category}"]
            lines += ["", f"### {e.field.ref} {e.field.name} (`{e.field.attribute}`)", ""]
            if e.status == TO_COMPLETE:
                lines.append(f"**TO COMPLETE** by the organisation. {e.field.notes}".rstrip())
            else:
                label = "Filled by crimeharm" if e.status == FILLED else "**PARTLY FILLED**"
                lines += [f"*{label}.*", "", str(e.value)]
        return "\n".join(lines) + "\n"


def _scheme_details(
    manifest: Manifest, scheme: WeightScheme | None
) -> tuple[WeightScheme | None, str | None]:
    """The scheme the manifest records (checked by checksum), or None and why not."""
    if scheme is None:
        from ..errors import UnknownNameError

        try:  # a registered name, a derivation of one, or a scheme file; its conflict policy
            scheme = manifest.scheme_object()
        except UnknownNameError:  # a scheme built in code or from an uninstalled plugin
            return None, (
                f"the manifest's weight scheme {manifest.scheme!r} is not registered in this "
                "installation, so its unit, source, licence and description are not known "
                "to crimeharm; pass the scheme (atrs_record(..., scheme=...)) or complete them"
            )
        except CrimeHarmError:  # found, but its weights here are not the run's
            from ..plugins import get_scheme

            scheme = get_scheme(manifest.scheme)
    if scheme.checksum != manifest.scheme_checksum:
        if scheme.name == manifest.scheme:
            return None, (
                f"weight scheme {scheme.name!r} here has other weights than the run's (checksum "
                f"{scheme.checksum[:12]}..., the manifest records "
                f"{manifest.scheme_checksum[:12]}...), so its provenance is not the run's"
            )
        msg = (
            f"weight scheme {scheme.name!r} has checksum {scheme.checksum[:12]}..., the manifest "
            f"records {manifest.scheme!r} with {manifest.scheme_checksum[:12]}..."
        )
        raise ParameterError(msg)
    return scheme, None


def _family(scheme: WeightScheme | None) -> str:
    """Which published index the scheme's weights are: "cchi", "ons-css" or "other"."""
    from ..builtin.cchi import SOURCE as CCHI_SOURCE
    from ..builtin.ons_css import ONS_CSS_SOURCE

    if scheme is None:
        return "other"
    if scheme.source == CCHI_SOURCE:
        return "cchi"
    if scheme.source.startswith(ONS_CSS_SOURCE):
        return "ons-css"
    return "other"


#: Licence of the CCHI 2020 weights as the package data's provenance records it.
CCHI_LICENCE = (
    "Copyright Cambridge Centre for Evidence-Based Policing 2020; not an open licence (the "
    "Institute of Criminology provides the values as a resource for students and the research "
    "community; see crimeharm's builtin/data/PROVENANCE.md)"
)


def _licence(scheme: WeightScheme | None) -> str:
    if scheme is not None and str(scheme.metadata.get("licence", "")).strip():
        return str(scheme.metadata["licence"]).strip()
    if _family(scheme) == "cchi":
        return CCHI_LICENCE
    return _FORCE.format(what="the licence of the weight scheme's weights (not recorded)")


def _weights_meaning(m: Manifest, scheme: WeightScheme | None) -> str:
    """What a weight of the scheme used is, for the known limitations."""
    family = _family(scheme)
    if family == "cchi":
        return (
            "the weights (Cambridge Crime Harm Index) are days of custody at the "
            "sentencing-guideline starting point for a first offender, not the harm done in the "
            "particular offence"
        )
    if family == "ons-css":
        via = ""
        if scheme is not None and scheme.metadata.get("crosswalk"):
            via = (
                f"; codes are reached through the crosswalk '{scheme.metadata['crosswalk']}', "
                "whose matches are partly inferred"
            )
        return (
            "the weights (ONS Crime Severity Score) are the ONS's estimates of the average "
            "sentence, in days, of the sentences actually handed down for offences of that "
            "kind (a mean over several years, community orders and fines converted to days; a "
            "release whose vintage the source does not state), not the harm done in the "
            f"particular offence{via}"
        )
    if scheme is None:
        return (
            f"the weights are those of the scheme '{m.scheme}', which this installation does "
            "not have: what a weight means is not known to crimeharm"
        )
    about = "; ".join(x for x in (scheme.description, f"source: {scheme.source}") if x)
    return (
        f"the weights are those of the scheme '{scheme.name}' ({about}), in "
        f"{scheme.unit or 'its unit'}; they are not the harm done in the particular offence"
    )


def _decay_text(m: Manifest) -> str:
    if m.decay == "none":
        return "no recency decay (every counted event at full weight)"
    params = ", ".join(f"{k}={v}" for k, v in sorted(m.decay_params.items()))
    return f"recency decay '{m.decay}' ({params})" if params else f"recency decay '{m.decay}'"


def _window_text(m: Manifest) -> str:
    if m.window_days is None:
        return "every event dated on or before as_of"
    return f"events aged 0 to {m.window_days - 1} days at as_of ({m.window_days}-day window)"


def _report_text(m: Manifest) -> str:
    report = m.report
    parts = [f"{report['total']:,} input rows", f"{report['counted']:,} counted"]
    parts += [f"{n:,} {reason}" for reason, n in sorted(report["excluded"].items()) if n]
    if report.get("fallback_rows"):
        parts.append(f"{report['fallback_rows']:,} counted at the fallback weight")
    return "; ".join(parts)


def _values(
    m: Manifest, scheme: WeightScheme | None, warning: str | None = None
) -> dict[str, tuple[str, str]]:
    """(status, value) of every field crimeharm writes, by reference number."""
    unit = scheme.unit if scheme is not None else "the scheme's unit"
    scheme_line = (
        f"weight scheme '{m.scheme}' version {m.scheme_version} (sha256 {m.scheme_checksum})"
    )
    provenance = (
        f"{scheme_line}; unit: {scheme.unit}; source: {scheme.source.rstrip('.')}; "
        f"{scheme.description.rstrip('.')}; licence: {_licence(scheme).rstrip('.')}"
        if scheme is not None
        else f"{scheme_line}; its source is recorded by whoever built the scheme ({warning}) "
        + _FORCE.format(what="the scheme's unit, source and licence")
    )
    one, plural = (
        ("person", "people") if m.by == "offender_id" else (f"{m.by} value", f"{m.by} values")
    )
    pseudo = m.output.get("pseudonymised")
    ids = (
        "pseudonymised id"
        if pseudo is True
        else "id as recorded"
        if pseudo is False
        else "pseudonymised or real id"
    )
    unknown = {
        "raise": "an offence code missing from the scheme stops the run with an error",
        "skip": "rows with an offence code missing from the scheme are skipped and counted in "
        "the row report",
        "fallback": f"offence codes missing from the scheme count at weight {m.fallback_weight}",
    }.get(m.on_unknown, m.on_unknown)
    formula = (
        f"harm({one}) = sum over their counted events of weight(offence code) x decay(age in "
        f"days), with {provenance}; {_decay_text(m)}; {_window_text(m)}; scored as of {m.as_of}"
    )
    dropped = (
        "; ".join(f"{n:,} rows {reason}" for reason, n in sorted(m.input_dropped.items()))
        or "no rows dropped while reading"
    )
    limitations = (
        "Known limitations (crimeharm): the score counts recorded crime attributed to a person "
        "(suspects as recorded, not convicted offenders), so it inherits what gets reported, "
        "recorded and detected, including differences between areas and groups; it measures "
        "past harm, not risk or the likelihood of future offending, and is not validated as a "
        f"prediction; {_weights_meaning(m, scheme)}; the ranking changes with the "
        "window, decay and scheme chosen (crimeharm's sensitivity tools measure how much); "
        "ties in harm are ordered by id, which carries no meaning. Mitigations in the tool: "
        "every score can be explained event by event, every input row is counted or reported "
        "with its reason, and the manifest lets anyone re-score and check the result. "
        + _FORCE.format(
            what="risks of the use made of the list, mitigations in the process, bias "
            "assessment on local data"
        )
    )
    return {
        "0.2": (FILLED, ATRS_VERSION),
        "1.2": (
            PARTLY_FILLED,
            "The tool adds up the harm of the crimes recorded against each person, weighting "
            "each offence by a published crime harm index, and lists the people with the most "
            "recorded harm. "
            + _FORCE.format(what="how the list is used in the organisation, and why"),
        ),
        "2.2.1": (
            FILLED,
            f"A deterministic, rule-based score (no training). {formula}. "
            "People are ranked by harm, highest first; ties are ordered by id.",
        ),
        "2.3.2": (
            FILLED,
            f"For each listed {one}: rank, {ids}, harm ({unit}), number of "
            "counted events, first and last counted event date and, where recorded, the number "
            "of distinct victims; an explanation of each score listing every counted event "
            "with its weight, decay factor and contribution and every excluded event with its "
            "reason; the row accounting of the input; the settings and manifest.",
        ),
        "2.4.1.1": (
            FILLED,
            f"crimeharm {m.library_version}, an open-source Python library run on the "
            "organisation's own systems: events file (CSV or Parquet) -> validated reading "
            "-> optional selection -> scoring with the weight scheme and decay -> ranking -> "
            "outputs (ranking, tasking report) with a manifest recording the version, "
            "parameters and fingerprints of the input and the result.",
        ),
        "2.4.1.4": (FILLED, f"One rule-based model: the crime harm index '{m.scheme}'."),
        "2.4.2.1": (FILLED, f"Crime harm index '{m.scheme}' (crimeharm)"),
        "2.4.2.2": (
            FILLED,
            f"crimeharm {m.library_version}; {scheme_line}; manifest format {m.format}",
        ),
        "2.4.2.3": (
            FILLED,
            "Add up the recorded crime harm of each person and rank people by it, to inform "
            "(not make) decisions about where attention goes.",
        ),
        "2.4.2.4": (
            FILLED,
            "Recorded offences, one row per offence per person: offender id, Home Office "
            "offence code (or the scheme's key system), offence date, and optionally victim id "
            f"and crime reference. This run: {m.input_rows:,} rows (events fingerprint "
            f"{m.fingerprint_method} sha256 {m.input_fingerprint}).",
        ),
        "2.4.2.5": (
            FILLED,
            f"Per {one} (key column '{m.by}'): harm ({unit}, float), counted event count, "
            "first and last counted date, distinct victims where recorded; ranked by harm. "
            "This run: "
            f"{m.result_rows:,} rows of kind '{m.result_kind}' (result fingerprint sha256 "
            f"{m.result_fingerprint}).",
        ),
        "2.4.2.6": (
            FILLED,
            f"Rule-based weighted sum, no machine learning and no training. Parameters: "
            f"scheme {m.scheme} {m.scheme_version}; as_of {m.as_of}; {_window_text(m)}; "
            f"{_decay_text(m)}; unknown offence codes: {unknown}. Sums are exact (fixed-point) "
            "so the result does not depend on row order or hardware.",
        ),
        "2.4.2.7": (
            FILLED,
            "Not a predictive model: accuracy, precision or recall do not apply and none is "
            "claimed. The score is reproducible: re-scoring the same events with the manifest's "
            "parameters gives the same result bit for bit (checked by the result fingerprint).",
        ),
        "2.4.2.8": (
            PARTLY_FILLED if "[To complete" in provenance else FILLED,
            f"No training data. The weights come from the {provenance}.",
        ),
        "2.4.2.9": (
            FILLED,
            "The weight scheme sets the harm weight of each offence code; no dataset was used "
            "for training, validation or testing.",
        ),
        "2.4.3.2": (FILLED, "Tabular"),
        "2.4.3.3": (
            FILLED,
            "Police-recorded crime: one row per offence attributed to a person (suspect or "
            "offender), with the offence code and date, and optionally the victim.",
        ),
        "2.4.3.4": (
            FILLED,
            f"This run: {_report_text(m)}; {m.result_rows:,} {plural} in the result.",
        ),
        "2.4.3.5": (
            PARTLY_FILLED,
            "The tool reads offender ids and, if given, victim ids (personal data) and offence "
            "codes, some of which reveal special category or criminal offence data (e.g. sexual "
            "offences). It reads no protected characteristic and does not use any in scoring. "
            + _FORCE.format(what="other attributes present in the extract"),
        ),
        "2.4.3.6": (
            PARTLY_FILLED,
            f"Row accounting of this run: {_report_text(m)}. Recorded crime is not all crime: "
            "it depends on reporting, recording and detection. "
            + _FORCE.format(what="completeness and representativeness of the local extract"),
        ),
        "2.4.3.9": (
            FILLED,
            f"Reading: {dropped}. Every row is either scored or counted under a reason: "
            f"{_report_text(m)}. Unknown offence codes: {unknown}.",
        ),
        "2.5.2": (PARTLY_FILLED, limitations),
    }


def atrs_record(
    manifest: Manifest | str | os.PathLike[str],
    *,
    scheme: WeightScheme | None = None,
    generated_by: str | None = None,
) -> AtrsRecord:
    """The ATRS record fields crimeharm can fill from ``manifest``; the rest marked to complete.

    ``manifest`` is a [`Manifest`][crimeharm.Manifest] or the path of one (or of a ranking or
    report with its manifest beside it); its fields are checked first
    ([`check_manifest`][crimeharm.audit.atrs.check_manifest]). ``scheme`` (default: the
    registered scheme of the manifest's name, when its checksum matches) supplies the unit,
    source, licence and description; a scheme that is not registered, or has the recorded name
    but another checksum, is left out: the record's ``warnings`` and the fields concerned say so.
    Another scheme is an error.
    """
    if isinstance(manifest, (str, os.PathLike)):
        where = manifest_path_of(manifest)
        manifest = Manifest.read(where)
        check_manifest(manifest, source=str(where))
    else:
        given: object = manifest
        if not isinstance(given, Manifest):
            msg = f"atrs_record needs a Manifest or its path (got {type(given).__name__})"
            raise ParameterError(msg)
        check_manifest(manifest)
    template = atrs_template()
    found, warning = _scheme_details(manifest, scheme)
    values = _values(manifest, found, warning)
    entries = []
    for spec in atrs_fields():
        status, value = values.get(spec.ref, (TO_COMPLETE, None))
        entries.append(AtrsEntry(field=spec, status=status, value=value))
    kept: Sequence[str] = (
        "library_version",
        "scheme",
        "scheme_version",
        "scheme_checksum",
        "as_of",
        "window_days",
        "decay",
        "input_rows",
        "input_fingerprint",
        "result_fingerprint",
        "created_at",
    )
    summary = manifest.to_dict()
    return AtrsRecord(
        entries=tuple(entries),
        standard_version=template["version"],
        source=dict(template["source"]),
        generated_by=generated_by or f"crimeharm {_library_version()}",
        manifest={k: summary[k] for k in kept},
        warnings=() if warning is None else (warning,),
    )


def manifest_path_of(path: str | os.PathLike[str]) -> Path:
    """``path`` if it is a manifest, else the manifest written beside it (a ranking, a report)."""
    given = Path(path)
    if given.name.endswith(SUFFIX) or not manifest_path_for(given).exists():
        return given
    return manifest_path_for(given)


def named_paths(manifest: Manifest, where: str | os.PathLike[str]) -> dict[str, Path]:
    """Every file a manifest read from ``where`` names, labelled for messages: the manifest,
    its events file and its output (ranking or report). A recorded relative path is taken both
    as given (from the current folder) and from the manifest's folder."""
    folder = Path(where).parent
    paths = {"the manifest": Path(where)}
    for label, recorded in (
        ("the events file the manifest names", manifest.reading.get("path")),
        ("the output the manifest names", manifest.output.get("path")),
    ):
        if not isinstance(recorded, str) or not recorded or recorded == "-":
            continue
        paths[label] = Path(recorded)
        if not Path(recorded).is_absolute():
            paths[f"{label} (beside the manifest)"] = folder / recorded
    return paths


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_HEX64 = re.compile(r"[0-9a-f]{64}")


def check_manifest(manifest: Manifest, *, source: str | None = None) -> None:
    """Check the manifest fields an ATRS record is written from; a one-line
    [`DataError`][crimeharm.DataError] naming the first bad field.

    Checked: text fields are text (``as_of`` an ISO date, checksums and fingerprints sha256 hex),
    counts are whole numbers >= 0, ``window_days`` a whole number >= 1 or null, ``report`` the
    row accounting (total, counted, excluded reasons with counts, adding up), ``on_unknown`` a
    known policy, ``result_kind`` "scores" or "ranking", and the mappings are objects.
    """
    where = source or "manifest"

    def bad(name: str, expected: str, value: Any) -> DataError:
        shown = repr(value)
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        msg = f"{where}: field {name!r} must be {expected} (got {shown})"
        return DataError(msg, source=source, column=name, value=value)

    def count(name: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise bad(name, "a whole number >= 0", value)
        return value

    def counts(name: str, value: Any) -> Mapping[str, int]:
        if not isinstance(value, Mapping):
            raise bad(name, "an object of counts", value)
        for key, n in value.items():
            count(f"{name}.{key}", n)
        return value

    m = manifest
    for name in ("library_version", "scheme", "decay", "created_at", "by"):
        value = getattr(m, name)
        if not isinstance(value, str) or not value.strip():
            raise bad(name, "non-empty text", value)
    if not isinstance(m.scheme_version, str):  # a scheme built in code may have none
        raise bad("scheme_version", "text", m.scheme_version)
    for name in ("scheme_checksum", "input_fingerprint", "result_fingerprint"):
        value = getattr(m, name)
        if not isinstance(value, str) or not _HEX64.fullmatch(value):
            raise bad(name, "a sha256 hex digest", value)
    if not isinstance(m.as_of, str) or not _DATE.fullmatch(m.as_of):
        raise bad("as_of", "a date YYYY-MM-DD", m.as_of)
    try:
        np.datetime64(m.as_of, "D")
    except ValueError:
        raise bad("as_of", "a date YYYY-MM-DD", m.as_of) from None
    if m.window_days is not None and (
        isinstance(m.window_days, bool) or not isinstance(m.window_days, int) or m.window_days < 1
    ):
        raise bad("window_days", "a whole number >= 1 or null", m.window_days)
    if m.on_unknown not in ("raise", "skip", "fallback"):
        raise bad("on_unknown", "'raise', 'skip' or 'fallback'", m.on_unknown)
    weight = m.fallback_weight
    if weight is not None and (isinstance(weight, bool) or not isinstance(weight, (int, float))):
        raise bad("fallback_weight", "a number or null", weight)
    if m.result_kind not in ("scores", "ranking"):
        raise bad("result_kind", "'scores' or 'ranking'", m.result_kind)
    count("input_rows", m.input_rows)
    count("result_rows", m.result_rows)
    counts("input_dropped", m.input_dropped)
    for name in ("decay_params", "filters", "reading", "output"):
        if not isinstance(getattr(m, name), Mapping):
            raise bad(name, "an object", getattr(m, name))
    report = m.report
    if not isinstance(report, Mapping):
        raise bad("report", "the row accounting object (total, counted, excluded)", report)
    total = count("report.total", report.get("total"))
    counted = count("report.counted", report.get("counted"))
    excluded = counts("report.excluded", report.get("excluded"))
    count("report.fallback_rows", report.get("fallback_rows", 0))
    if counted + sum(excluded.values()) != total:
        msg = (
            f"{where}: field 'report' does not add up: {counted:,} counted + "
            f"{sum(excluded.values()):,} excluded != {total:,} rows"
        )
        raise DataError(msg, source=source, column="report")
