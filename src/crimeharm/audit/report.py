"""The tasking report: one self-contained HTML file for the people who read a ranking.

It holds the ranked table (sortable in the browser), each person's explanation one click away
(every counted event with its contribution, largest first, and every excluded event with its
reason), the row accounting, the concentration curve, the settings and the manifest, and the
caveats a reader must keep in mind (recorded crime, not risk; suspects, not convicted offenders;
human review). CSS, script and figure are inside the file, and a Content-Security-Policy forbids
any network access when it is opened. Every data value is HTML-escaped.

With a pseudonymisation key the ids are replaced by keyed pseudonyms
([`crimeharm.audit.pseudonymise`][crimeharm.audit.pseudonymise]) everywhere in the page.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from ..core import ranking as _ranking
from ..core.events import Events
from ..core.results import UNKNOWN_CODE, Ranking, Report, Scores
from ..core.schemes import WeightScheme
from ..errors import ParameterError
from ..research.concentration import power_few, top_share
from ..research.explain import Explanation, explain_scores, format_harm
from .manifest import Manifest
from .pseudonymise import pseudonymise, pseudonymise_ids
from .report_assets import CSS, SCRIPT, lorenz_svg

__all__ = [
    "CAVEATS",
    "EVENT_LIMIT",
    "TaskingReport",
    "caveats_for",
    "tasking_report",
    "write_report",
]

#: Counted (and excluded) events an explanation in the report lists at most; the rest are
#: summarised in one line (how many, their harm and share). Keys such as a borough or a victim
#: can have tens of thousands of events.
EVENT_LIMIT = 1000

#: What every reader of the list must keep in mind; shown at the top of the report.
CAVEATS = (
    "This list ranks people by the harm of the crimes recorded against them. It measures "
    "recorded past harm: it is not a prediction of risk or of future offending.",
    "People are listed as suspects or offenders as the crime records name them; they are not "
    "necessarily convicted of these offences.",
    "Recorded crime depends on what is reported, recorded and detected, which differs between "
    "places and groups of people.",
    "The list informs decisions and does not make them: every person on it needs human review "
    "before any action. Each score can be checked and challenged event by event "
    "(click 'explain').",
    "The report contains personal data: share and keep it only as your force's policy allows.",
)


def caveats_for(by: str) -> tuple[str, ...]:
    """The caveats of a list ranked by the key ``by``: ``CAVEATS`` for offenders, the same
    points in words that fit any other key (a victim, a borough)."""
    if by == "offender_id":
        return CAVEATS
    return (
        f"This list ranks {by} values by the harm of the crimes recorded under them. It "
        "measures recorded past harm: it is not a prediction of risk or of future crime.",
        "The crimes are counted as the crime records hold them; the people they name as "
        "suspects or offenders are not necessarily convicted of these offences.",
        CAVEATS[2],
        "The list informs decisions and does not make them: every entry on it needs human "
        "review before any action. Each score can be checked and challenged event by event "
        "(click 'explain').",
        CAVEATS[4],
    )


def nouns(by: str) -> tuple[str, str]:
    """What one ranked key is called, and many: ("person", "people") for offender_id, else
    ("victim_id value", "victim_id values")."""
    if by == "offender_id":
        return "person", "people"
    return f"{by} value", f"{by} values"


_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
    "img-src data:; base-uri 'none'; form-action 'none'"
)


def _e(value: Any) -> str:
    """A data value as HTML text (escaped, quotes included)."""
    return html.escape(str(value), quote=True)


@attrs.frozen
class TaskingReport:
    """The content of a tasking report; ``html`` renders it, ``write`` saves it.

    ``ranking`` is the listed people in ranking order, ``explanations`` one per listed person
    (same order), ``ids`` the ids as shown (pseudonyms when ``pseudonymised``), ``all_harm``
    every scored person's harm (for the concentration curve), ``manifest`` how the ranking was
    made. The ranked key is ``ranking.by`` (offender_id unless scored with ``by=``); the page
    names it in the table and text. An explanation lists at most ``event_limit`` counted events
    (the largest contributions; None: all) and as many excluded ones, and summarises the rest.
    """

    ranking: Ranking
    explanations: tuple[Explanation, ...]
    ids: tuple[str, ...]
    all_harm: npt.NDArray[np.float64] = attrs.field(eq=attrs.cmp_using(eq=np.array_equal))
    manifest: Manifest
    unit: str
    title: str
    source: str | None
    pseudonymised: bool
    event_limit: int | None = EVENT_LIMIT

    @property
    def by(self) -> str:
        """The ranked key column (offender_id unless scored with ``by=``)."""
        return self.ranking.params.by

    @property
    def report(self) -> Report:
        """Where every input row went."""
        return self.ranking.report

    def html(self) -> str:
        """The report as one HTML document (UTF-8 text, no external resource)."""
        parts = [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            '<meta name="robots" content="noindex">',
            f"<title>{_e(self.title)}</title>",
            f"<style>{CSS}</style></head><body>",
            f"<h1>{_e(self.title)}</h1>",
            f'<p class="sub">{_e(self._subtitle())}</p>',
            self._caveats(),
            self._table(),
            self._accounting(),
            self._concentration(),
            self._settings(),
            self._manifest(),
            f"<footer>Made by crimeharm {_e(self.manifest.library_version)} on "
            f"{_e(self.manifest.created_at)}. "
            f"Harm is in {_e(self.unit or 'scheme units')}.</footer>",
            '<pre id="selftest" hidden></pre>',
            f"<script>{SCRIPT}</script>",
            "</body></html>",
        ]
        return "\n".join(parts) + "\n"

    def write(self, path: str | Path) -> Path:
        """Write ``html`` to ``path`` (UTF-8, atomically: never a partial file)."""
        from ..io.write import atomic_write

        target = Path(path)
        with atomic_write(target) as fh:
            fh.write(self.html())
        return target

    # -- sections -------------------------------------------------------------------------------

    def _subtitle(self) -> str:
        p = self.ranking.params
        _, plural = nouns(self.by)
        listed = f"top {len(self.ranking):,} of {self.all_harm.size:,} {plural} with counted harm"
        where = f" in {self.source}" if self.source else ""
        ids = "; ids pseudonymised" if self.pseudonymised else ""
        return f"{listed}{where}; scheme {p.scheme} {p.scheme_version}; as of {p.as_of}{ids}"

    def _caveats(self) -> str:
        items = "".join(f"<li>{_e(c)}</li>" for c in caveats_for(self.by))
        return (
            '<section class="caveats" id="caveats"><h2>Read this first</h2>'
            f"<ul>{items}</ul></section>"
        )

    def _table(self) -> str:
        r = self.ranking
        unit = f" ({self.unit})" if self.unit else ""
        id_type = "num" if r.offender_id.dtype.kind in "iu" and not self.pseudonymised else "text"
        columns = [
            ("rank", "rank", "num", "num"),
            ("id", self._id_label(), id_type, ""),
            ("harm", f"harm{unit}", "num", "num"),
            ("count", "events", "num", "num"),
            ("first", "first", "text", ""),
            ("last", "last", "text", ""),
        ]
        if r.victims is not None:
            columns.append(("victims", "victims", "num", "num"))
        head = "".join(
            f'<th scope="col" data-key="{key}" data-type="{kind}" class="{css}">{_e(label)}</th>'
            for key, label, kind, css in columns
        )
        head += '<th scope="col">explanation</th>'
        width = len(columns) + 1
        bodies = []
        for i, e in enumerate(self.explanations):
            shown_id = self.ids[i]
            harm = float(r.harm[i])
            cells = [
                f'<td class="num">{int(r.rank[i])}</td>',
                f'<td class="id" data-sort="{_e(shown_id)}">{_e(shown_id)}</td>',
                f'<td class="num harm" data-sort="{harm!r}">{_e(format_harm(harm))}</td>',
                f'<td class="num">{int(r.n_events[i])}</td>',
                f"<td>{_e(r.first_date[i])}</td>",
                f"<td>{_e(r.last_date[i])}</td>",
            ]
            if r.victims is not None:
                cells.append(f'<td class="num">{int(r.victims[i])}</td>')
            detail = f"explain-{i + 1}"
            cells.append(
                f'<td><button type="button" class="explain" aria-expanded="false" '
                f'aria-controls="{detail}">explain</button></td>'
            )
            bodies.append(
                f'<tbody class="person" data-rank="{int(r.rank[i])}" data-id="{_e(shown_id)}">'
                f'<tr class="row">{"".join(cells)}</tr>'
                f'<tr class="detail" id="{detail}" hidden><td colspan="{width}">'
                f"{self._explanation(e, shown_id)}</td></tr></tbody>"
            )
        return (
            '<h2 id="ranked">Ranked list</h2>'
            '<p class="sub">Click a column header to sort (again to reverse); click '
            "'explain' to see every event behind a score.</p>"
            f'<table id="ranking"><thead><tr>{head}</tr></thead>{"".join(bodies)}</table>'
        )

    def _by_option(self) -> str:
        return "" if self.by == "offender_id" else f" --by {_e(self.by)}"

    def _id_label(self) -> str:
        name = "id" if self.by == "offender_id" else self.by
        return f"{name} (pseudonym)" if self.pseudonymised else name

    def _explanation(self, e: Explanation, shown_id: str) -> str:
        unit = f" {self.unit}" if self.unit else ""
        one, _ = nouns(self.by)
        rows = []
        shown = e.shown(self.event_limit, "contribution")
        for j in shown.tolist():
            share = float(e.contribution[j]) / e.harm if e.harm > 0 else 0.0
            rows.append(
                '<tr class="event">'
                f"<td>{_e(e.date[j])}</td><td>{_e(e.code[j])}</td><td>{_e(e.title[j])}</td>"
                f'<td class="num">{float(e.weight[j]):,.2f}</td>'
                f'<td class="num">{int(e.age_days[j])}</td>'
                f'<td class="num">{float(e.decay_factor[j]):.4f}</td>'
                f'<td class="num contribution">{float(e.contribution[j]):,.4f}</td>'
                f'<td class="num">{share:.1%}</td><td>{_e(e.where[j])}</td></tr>'
            )
        hidden = e.hidden_summary(shown)
        if hidden:
            rows.append(
                f'<tr class="not-shown"><td colspan="9">{_e(hidden)}; '
                f"<code>crimeharm explain{self._by_option()} --all</code> lists every "
                "event</td></tr>"
            )
        total = (
            f'<tr class="total"><td colspan="6">total: the sum of {e.n_events:,} contributions, as '
            f'ranked</td><td class="num explained-harm">{_e(format_harm(e.harm))}</td>'
            f'<td class="num">100%</td><td></td></tr>'
        )
        counted = (
            f"<p><b>{_e(shown_id)}</b>: harm {_e(format_harm(e.harm))}{_e(unit)} from "
            f"{e.n_events:,} counted events, largest contribution first.</p>"
            "<table><thead><tr><th>date</th><th>code</th><th>offence</th>"
            f'<th class="num">weight{_e(unit)}</th><th class="num">age (days)</th>'
            '<th class="num">decay</th><th class="num">contribution</th>'
            '<th class="num">share</th><th>source row</th></tr></thead>'
            f"<tbody>{''.join(rows)}{total}</tbody></table>"
        )
        excluded = e.excluded_records()
        if not excluded:
            return counted + f"<p>No event of this {_e(one)} was excluded.</p>"
        ordered = sorted(excluded, key=lambda x: (x["date"], x["row"]))
        listed = ordered if self.event_limit is None else ordered[: self.event_limit]
        ex_rows = "".join(
            f'<tr class="excluded"><td>{_e(x["date"])}</td><td>{_e(x["code"])}</td>'
            f"<td>{_e(x['reason'])}</td><td>row {int(x['row'])}</td></tr>"
            for x in listed
        )
        rest = len(ordered) - len(listed)
        if rest:
            reasons: dict[str, int] = {}
            for x in ordered[len(listed) :]:
                reasons[x["reason"]] = reasons.get(x["reason"], 0) + 1
            why = ", ".join(f"{r}: {n:,}" for r, n in sorted(reasons.items()))
            ex_rows += (
                f'<tr class="not-shown"><td colspan="4">... {rest:,} more excluded events not '
                f"shown (the most recent; {_e(why)})</td></tr>"
            )
        return (
            counted + f"<p>{len(excluded):,} events of this {_e(one)} do not count:</p>"
            "<table><thead><tr><th>date</th><th>code</th><th>reason</th><th>row</th></tr>"
            f"</thead><tbody>{ex_rows}</tbody></table>"
        )

    def _accounting(self) -> str:
        rep = self.report
        rows = [("rows read", rep.total), ("counted", rep.counted)]
        rows += sorted(rep.excluded.items(), key=lambda kv: (-kv[1], kv[0]))
        body = "".join(
            f'<tr><th scope="row">{_e(name)}</th><td class="num">{int(n):,}</td></tr>'
            for name, n in rows
        )
        notes = []
        if rep.fallback_rows:
            notes.append(f"{rep.fallback_rows:,} counted rows took the fallback weight.")
        if rep.unknown_codes:
            notes.append(self._unknown_note())
        extra = "".join(f"<p>{n}</p>" for n in notes)
        return (
            '<h2 id="accounting">Row accounting</h2>'
            "<p>Every input row is either counted or excluded for one of these reasons.</p>"
            f'<table class="kv" id="accounting-table" style="width:auto">{body}</table>{extra}'
        )

    def _unknown_note(self) -> str:
        """The offence codes missing from the scheme, saying what each number counts.

        The per-code counts are over every scored row of any date; the accounting's "unknown
        code" line counts only those that would otherwise have counted (in the window, not after
        as_of): the others are already excluded for their date.
        """
        rep = self.report
        codes = ", ".join(f"{c} ({n:,})" for c, n in sorted(rep.unknown_codes.items()))
        carried = sum(rep.unknown_codes.values())
        if self.ranking.params.on_unknown == "fallback":
            live, fate = rep.fallback_rows, "are counted at the fallback weight"
        else:
            live, fate = rep.excluded.get(UNKNOWN_CODE, 0), f"are the '{UNKNOWN_CODE}' line above"
        return _e(
            f"Offence codes missing from the scheme, with the rows carrying each among all "
            f"{carried:,} such rows scored, of any date: {codes}. Of these rows, {live:,} are "
            f"dated in the scoring window and {fate}; the other {carried - live:,} are excluded "
            "above under another reason (outside the window, dated after as_of)."
        )

    def _concentration(self) -> str:
        harm = self.all_harm
        n = harm.size
        if n == 0 or float(harm.sum()) <= 0:
            return '<h2 id="concentration">Concentration</h2><p>No harm was counted.</p>'
        _, plural = nouns(self.by)
        rows = [(f"top {p:g}% of {plural}", top_share(harm, p / 100)) for p in (1, 5, 10, 20)]
        listed = min(len(self.ranking), n)
        rows.append((f"the {listed:,} listed", top_share(harm, listed / n)))
        body = "".join(
            f'<tr><th scope="row">{_e(name)}</th><td class="num">{share:.1%}</td></tr>'
            for name, share in rows
        )
        few = power_few(harm, 0.8)
        return (
            '<h2 id="concentration">Concentration of harm</h2>'
            f"<p>Over the {n:,} {_e(plural)} with counted harm, 80% of all harm is held by the "
            f"top {few:.1%}.</p>"
            f'<div class="figure">{lorenz_svg(harm, top_n=listed, noun=plural)}'
            '<table class="kv" id="concentration-table"><thead><tr><th>who</th>'
            f'<th class="num">share of harm</th></tr></thead><tbody>{body}</tbody></table>'
            "</div>"
        )

    def _settings(self) -> str:
        m = self.manifest
        p = self.ranking.params
        decay = m.decay + (
            " (" + ", ".join(f"{k}={v}" for k, v in sorted(m.decay_params.items())) + ")"
            if m.decay_params
            else ""
        )
        _, plural = nouns(self.by)
        rows = [
            ("events file", m.reading.get("path") or self.source or "(given in code)"),
            ("read with", _reading_text(m.reading)),
            ("selection", _selection_text(m.filters)),
            ("ranked by (key column)", self.by),
            ("scheme", f"{m.scheme} version {m.scheme_version} ({self.unit})"),
            ("scheme checksum (sha256)", m.scheme_checksum),
            ("as of", m.as_of),
            ("window", "none" if m.window_days is None else f"{m.window_days} days"),
            ("decay", decay),
            ("offence codes missing from the scheme", m.on_unknown),
            ("fallback weight", "none" if m.fallback_weight is None else m.fallback_weight),
            (f"{plural} listed", f"{len(self.ranking):,}"),
            ("ids", "pseudonymised (keyed HMAC-SHA256)" if self.pseudonymised else "as recorded"),
            ("crimeharm version", m.library_version),
        ]
        if p.scheme != m.scheme:  # never expected: the manifest is made from this ranking
            msg = "the manifest does not describe this ranking"
            raise ParameterError(msg)
        body = "".join(f'<tr><th scope="row">{_e(k)}</th><td>{_e(v)}</td></tr>' for k, v in rows)
        return f'<h2 id="settings">Settings</h2><table class="kv">{body}</table>'

    def _manifest(self) -> str:
        beside = (
            " The manifest file written beside this report is this one with the sha256 of the "
            "report file added to its output."
            if self.manifest.output.get("path")
            else ""
        )
        return (
            '<h2 id="manifest">Manifest</h2>'
            "<p>Everything needed to re-score the events and check this ranking bit for bit "
            f"(<code>crimeharm verify</code>, <code>Manifest.reproduce</code>).{beside}</p>"
            f'<pre id="manifest-json">{_e(self.manifest.to_json())}</pre>'
        )


def _selection_text(filters: Mapping[str, Any]) -> str:
    """The recorded filters in words (all of them apply: AND)."""
    parts = []
    if filters.get("where"):
        for column, values in filters["where"].items():
            parts.append(f"{column} is " + " or ".join(repr(str(v)) for v in values))
    if filters.get("groups") is not None:
        parts.append("offence group " + " or ".join(repr(str(g)) for g in filters["groups"]))
    if filters.get("codes") is not None:
        parts.append("offence code " + " or ".join(repr(str(c)) for c in filters["codes"]))
    if not parts:
        return "none: every row read is scored"
    return "; and ".join(parts) + " (other rows are excluded as 'filtered out')"


def _reading_text(reading: Mapping[str, Any]) -> str:
    """The recorded reader options in words (path and format have rows of their own)."""
    options = {k: v for k, v in reading.items() if k not in ("path",)}
    if not options:
        return "not recorded (events given in code)"
    return ", ".join(f"{k}={v}" for k, v in sorted(options.items()))


def tasking_report(
    scores: Scores,
    events: Events,
    *,
    n: int = 100,
    scheme: WeightScheme | None = None,
    key: bytes | None = None,
    manifest: Manifest | None = None,
    source: str | None = None,
    title: str | None = None,
    event_limit: int | None = EVENT_LIMIT,
) -> TaskingReport:
    """The tasking report of the top ``n`` of ``scores``, computed from ``events``.

    ``scores`` hold every scored person (the concentration curve uses them all); ``events`` are the
    events they were scored from (after any selection). ``scheme`` is needed for a scheme built in
    code (see [`explain_scores`][crimeharm.audit.report.explain_scores]). ``key`` (16+ random bytes)
    shows keyed pseudonyms instead of ids. ``manifest`` defaults to the manifest of the listed
    ranking and ``events``; pass the one made from the events as read when they were selected.
    ``source`` names the events file in the page. Each explanation lists at most
    ``event_limit`` counted events (the largest contributions; None: all) and summarises the rest.
    The ranked key is the scores' ``by`` (offender_id unless scored with ``by=``).
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        msg = f"n must be a whole number >= 0 (got {n!r})"
        raise ParameterError(msg)
    given: object = scores
    if not isinstance(given, Scores):
        msg = f"tasking_report needs the Scores of every person (got {type(given).__name__})"
        raise ParameterError(msg)
    if event_limit is not None and (
        isinstance(event_limit, bool)
        or not isinstance(event_limit, (int, np.integer))
        or event_limit < 0
    ):
        msg = f"event_limit must be a whole number >= 0 or None (got {event_limit!r})"
        raise ParameterError(msg)
    ranking = scores.top(int(n))
    manifest = manifest if manifest is not None else Manifest.from_result(ranking, events)
    # explain from the listed people's rows only (one pass over the events, not one per person),
    # then give rows and source lines back in terms of the whole events
    index = np.flatnonzero(np.isin(events[scores.params.by], ranking.offender_id))
    listed = events.take(index)
    explanations = [
        _in_terms_of(explain_scores(ranking, listed, oid, scheme=scheme), index, events)
        for oid in ranking.offender_id.tolist()
    ]
    ids = [str(v) for v in ranking.offender_id.tolist()]
    if key is not None:
        pseudo = pseudonymise_ids(ranking.offender_id, key)
        order = _ranking.ranking_order(pseudo, ranking.harm)
        ranking = pseudonymise(ranking, key)  # the same pseudonyms, re-ranked by them
        explanations = [explanations[i] for i in order.tolist()]
        ids = [str(v) for v in ranking.offender_id.tolist()]
    unit = explanations[0].unit if explanations else (scheme.unit if scheme is not None else "")
    return TaskingReport(
        ranking=ranking,
        explanations=tuple(explanations),
        ids=tuple(ids),
        all_harm=np.asarray(scores.harm, dtype=np.float64),
        manifest=manifest,
        unit=unit,
        title=title or "Crime harm tasking report",
        source=source,
        pseudonymised=key is not None,
        event_limit=None if event_limit is None else int(event_limit),
    )


def _in_terms_of(e: Explanation, index: npt.NDArray[np.intp], events: Events) -> Explanation:
    rows = index[e.rows]
    return attrs.evolve(
        e,
        rows=rows,
        excluded_rows=index[e.excluded_rows],
        where=tuple(events.where_row(int(r)) for r in rows.tolist()),
    )


def write_report(path: str | Path, scores: Scores, events: Events, **options: Any) -> Path:
    """Write the tasking report (see [`tasking_report`][crimeharm.tasking_report] for
    ``options``) to ``path``.
    """
    return tasking_report(scores, events, **options).write(path)
