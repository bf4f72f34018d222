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
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

import attrs

from ..core.schemes import WeightScheme
from ..errors import CrimeHarmError, ParameterError
from .manifest import Manifest, _library_version

__all__ = [
    "ATRS_VERSION",
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


def _scheme_details(manifest: Manifest, scheme: WeightScheme | None) -> WeightScheme | None:
    if scheme is None:
        from ..plugins import get_scheme

        try:
            scheme = get_scheme(manifest.scheme)
        except CrimeHarmError:  # a scheme built in code or from an uninstalled plugin
            return None
    if scheme.checksum != manifest.scheme_checksum:
        if scheme.name == manifest.scheme:
            return None
        msg = (
            f"weight scheme {scheme.name!r} has checksum {scheme.checksum[:12]}..., the manifest "
            f"records {manifest.scheme!r} with {manifest.scheme_checksum[:12]}..."
        )
        raise ParameterError(msg)
    return scheme


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


def _values(m: Manifest, scheme: WeightScheme | None) -> dict[str, tuple[str, str]]:
    """(status, value) of every field crimeharm writes, by reference number."""
    unit = scheme.unit if scheme is not None else "the scheme's unit"
    scheme_line = (
        f"weight scheme '{m.scheme}' version {m.scheme_version} (sha256 {m.scheme_checksum})"
    )
    provenance = (
        f"{scheme_line}; unit: {scheme.unit}; source: {scheme.source}; {scheme.description}"
        if scheme is not None
        else f"{scheme_line}; its source is recorded by whoever built the scheme"
    )
    unknown = {
        "raise": "an offence code missing from the scheme stops the run with an error",
        "skip": "rows with an offence code missing from the scheme are skipped and counted in "
        "the row report",
        "fallback": f"offence codes missing from the scheme count at weight {m.fallback_weight}",
    }.get(m.on_unknown, m.on_unknown)
    formula = (
        f"harm(person) = sum over their counted events of weight(offence code) x decay(age in "
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
        "prediction; the weights are sentencing-guideline starting points for a first "
        "offender, not the harm of the particular offence; the ranking changes with the "
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
            f"For each listed person: rank, pseudonymised or real id, harm ({unit}), number of "
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
            f"Per person: harm ({unit}, float), counted event count, first and last counted "
            f"date, distinct victims where recorded; ranked by harm. This run: "
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
        "2.4.2.8": (FILLED, f"No training data. The weights come from the {provenance}."),
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
            f"This run: {_report_text(m)}; {m.result_rows:,} people in the result.",
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
    manifest: Manifest, *, scheme: WeightScheme | None = None, generated_by: str | None = None
) -> AtrsRecord:
    """The ATRS record fields crimeharm can fill from ``manifest``; the rest marked to complete.

    ``scheme`` (default: the registered scheme of the manifest's name, when its checksum
    matches) supplies the unit, source and description; a scheme with the recorded name but
    another checksum is left out (the provenance line then says so), another scheme is an error.
    """
    template = atrs_template()
    values = _values(manifest, _scheme_details(manifest, scheme))
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
    )
