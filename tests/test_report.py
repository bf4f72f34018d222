"""The tasking report: what the HTML holds, that it is self-contained and escaped, the CLI."""

from __future__ import annotations

import os
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import crimeharm as ch
from crimeharm import cli
from crimeharm.audit.pseudonymise import pseudonymise_ids
from crimeharm.audit.report import CAVEATS, TaskingReport, tasking_report, write_report
from crimeharm.errors import ParameterError
from crimeharm.research.explain import explain_scores, format_harm

AS_OF = "2023-07-18"
KEY = b"0123456789abcdef-test-key"
EVIL = '<script>alert("x")</script>&'
SCHEME = ch.WeightScheme.from_mapping(
    {"A": 0.3, "B": 7.25, "C": 365.0, "D": 5475.0, EVIL: 2.0}, name="toy", unit="days"
)


def toy_events(seed: int = 3, n: int = 400, *, evil: bool = True) -> ch.Events:
    """String ids (one of them markup), a markup offence code, events after as_of and old ones."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"P{k:03d}" for k in rng.integers(0, 60, n)], dtype=f"<U{len(EVIL)}")
    codes = rng.choice(["A", "B", "C", "D", EVIL] if evil else ["A", "B", "C", "D"], n)
    dates = np.datetime64("2017-01-01") + rng.integers(0, 2700, n)
    if evil:  # a markup id with a heavy, recent event: near the top of any ranking
        ids[:5] = EVIL
        codes[0] = "D"
        dates[0] = np.datetime64("2023-01-01")
    return ch.Events(
        offender_id=ids,
        offence_code=codes,
        date=dates,
        victim_id=rng.integers(1, 90, n),
    )


def toy_scores(events: ch.Events) -> ch.Scores:
    return ch.score(events, SCHEME, as_of=AS_OF, window_days=1826, decay=ch.get_decay("none"))


class Page(HTMLParser):
    """What a reader sees of the report: per listed person, the row cells and explanation."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.people: list[dict[str, Any]] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts = 0
        self.selftest = ""
        self.headers: list[str] = []
        self._stack: list[tuple[str, dict[str, str | None]]] = []
        self._text: list[str] | None = None
        self._in_selftest = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append((tag, a))
        self.scripts += tag == "script"
        if tag == "tbody" and a.get("class") == "person":
            self.people.append(
                {"id": a.get("data-id"), "cells": [], "events": 0, "excluded": 0, "total": None}
            )
        if tag == "tr" and self.people and a.get("class") in ("event", "excluded"):
            self.people[-1]["events" if a["class"] == "event" else "excluded"] += 1
        if tag in ("td", "th"):
            self._text = []
            self._stack.append((tag, a))
        if tag == "pre" and a.get("id") == "selftest":
            self._in_selftest = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre":
            self._in_selftest = False
        if tag in ("td", "th") and self._stack:
            _, a = self._stack.pop()
            text = "".join(self._text or []).strip()
            self._text = None
            classes = (a.get("class") or "").split()
            if tag == "th" and a.get("data-key"):
                self.headers.append(str(a["data-key"]))
            if self.people and "explained-harm" in classes:
                self.people[-1]["total"] = text
            elif self.people and tag == "td" and self._in_row(self.people[-1]):
                self.people[-1]["cells"].append(text)

    @staticmethod
    def _in_row(person: dict[str, Any]) -> bool:
        """Still in the person's table row (not yet in the explanation below it)."""
        return len(person["cells"]) < 8 and not person["events"] and person["total"] is None

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)
        if self._in_selftest:
            self.selftest += data


def parse(text: str) -> Page:
    page = Page()
    page.feed(text)
    page.close()
    return page


def check_page_against_ranking(page: Page, report: TaskingReport) -> None:
    """Every listed person's row and explanation total, as the ranking has them."""
    r = report.ranking
    assert [p["id"] for p in page.people] == list(report.ids)
    for i, person in enumerate(page.people):
        cells = person["cells"]
        assert cells[0] == str(int(r.rank[i]))
        assert cells[1] == report.ids[i]
        assert cells[2] == format_harm(float(r.harm[i]))
        assert cells[3] == str(int(r.n_events[i]))
        assert cells[4:6] == [str(r.first_date[i]), str(r.last_date[i])]
        assert r.victims is not None
        assert cells[6] == str(int(r.victims[i]))
        assert person["total"] == format_harm(float(r.harm[i]))
        assert person["events"] == int(r.n_events[i])
        assert person["excluded"] == report.explanations[i].excluded_rows.size


def test_page_shows_the_ranking_and_every_explanation() -> None:
    events = toy_events()
    scores = toy_scores(events)
    report = tasking_report(scores, events, n=25, scheme=SCHEME, source="toy.csv")
    page = parse(report.html())
    top = scores.top(25)
    assert list(report.ids) == [str(v) for v in top.offender_id]
    check_page_against_ranking(page, report)
    assert page.headers == ["rank", "id", "harm", "count", "first", "last", "victims"]
    for i, e in enumerate(report.explanations):  # each explanation is the scorer's own
        assert e.harm == top.harm[i]
        assert e == explain_scores(top, events, top.offender_id[i].item(), scheme=SCHEME)


def test_explanations_list_the_largest_contribution_first() -> None:
    events = toy_events()
    report = tasking_report(toy_scores(events), events, n=10, scheme=SCHEME)
    text = report.html()
    blocks = re.findall(r'<tr class="detail".*?</tr></tbody></table>', text, flags=re.S)
    assert len(blocks) == 10
    for block, e in zip(blocks, report.explanations, strict=True):
        shown = [float(v.replace(",", "")) for v in re.findall(r'contribution">([\d,.]+)<', block)]
        assert len(shown) == e.n_events
        assert shown == sorted(shown, reverse=True)
        assert np.allclose(shown, np.sort(e.contribution)[::-1], atol=5e-5)


def test_page_is_self_contained_and_escapes_data() -> None:
    events = toy_events()
    scores = toy_scores(events)
    text = tasking_report(scores, events, n=60, scheme=SCHEME, title="<b>T</b>").html()
    page = parse(text)
    assert EVIL in [p["id"] for p in page.people]  # the markup id is listed, as text
    assert page.scripts == 1  # ours; the ids and codes did not make any
    assert "<script>alert" not in text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;" in text
    assert "<b>T</b>" not in text
    for tag, attrs in page.tags:  # nothing is fetched: no link, no src, no external href
        assert tag not in ("link", "img", "iframe", "object", "embed"), tag
        assert "src" not in attrs, (tag, attrs)
        assert not str(attrs.get("href") or "").startswith(("http:", "https:", "//")), attrs
    csp = [a for t, a in page.tags if t == "meta" and a.get("http-equiv")]
    assert csp
    assert "default-src 'none'" in str(csp[0]["content"])
    for caveat in CAVEATS:
        assert caveat.replace("'", "&#x27;") in text


def test_accounting_concentration_settings_and_manifest() -> None:
    events = toy_events()
    scores = toy_scores(events)
    report = tasking_report(scores, events, n=10, scheme=SCHEME)
    text = report.html()
    rep = scores.report
    assert f'<th scope="row">rows read</th><td class="num">{rep.total:,}</td>' in text
    for reason, n in rep.excluded.items():
        assert f'<th scope="row">{reason}</th><td class="num">{n:,}</td>' in text
    assert "<svg" in text
    assert "<polyline" in text
    share = ch.top_share(scores.harm, 0.05)
    assert f'top 5% of people</th><td class="num">{share:.1%}</td>' in text
    assert report.manifest.matches(scores.top(10))
    assert report.manifest.input_fingerprint in text
    assert f"{len(scores):,} people with counted harm" in text


def test_pseudonymised_report_shows_no_real_id() -> None:
    events = toy_events(evil=False)
    scores = toy_scores(events)
    report = tasking_report(scores, events, n=30, scheme=SCHEME, key=KEY)
    text = report.html()
    top = scores.top(30)
    expected = pseudonymise_ids(top.offender_id, KEY)
    assert sorted(report.ids) == sorted(expected.tolist())
    for real in set(events.offender_id.tolist()):
        assert real not in text
    # the order is the ranking of the pseudonymised people: harm, then pseudonym
    pseudo = report.ranking
    assert np.all(np.diff(pseudo.harm) <= 0)
    page = parse(text)
    check_page_against_ranking(page, report)
    by_pseudo = dict(zip(expected.tolist(), top.harm.tolist(), strict=True))
    assert [by_pseudo[i] for i in report.ids] == pseudo.harm.tolist()
    assert "ids pseudonymised" in text


def test_report_rows_and_lines_refer_to_the_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    lines = ["offender_id,offence_code,date"]
    lines += [f"{k % 7},{'ABCD'[k % 4]},{np.datetime64('2020-01-01') + 11 * k}" for k in range(90)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    events = ch.read_csv(path)
    scores = ch.score(events, SCHEME, as_of=AS_OF)
    report = tasking_report(scores, events, n=3, scheme=SCHEME)
    for e in report.explanations:
        for row, where in zip(e.rows.tolist(), e.where, strict=True):
            assert where == events.where_row(row)
            assert str(e.offender_id) == lines[row + 1].split(",")[0]


def test_bad_arguments() -> None:
    events = toy_events()
    scores = toy_scores(events)
    with pytest.raises(ParameterError, match="n must be"):
        tasking_report(scores, events, n=-1, scheme=SCHEME)
    with pytest.raises(ParameterError, match="Scores of every person"):
        tasking_report(scores.top(5), events, scheme=SCHEME)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="key must be at least"):
        tasking_report(scores, events, scheme=SCHEME, key=b"short")
    empty = tasking_report(scores, events, n=0, scheme=SCHEME)
    assert parse(empty.html()).people == []


def test_write_report_is_atomic_and_complete(tmp_path: Path) -> None:
    events = toy_events()
    target = write_report(tmp_path / "r.html", toy_scores(events), events, n=5, scheme=SCHEME)
    text = target.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert text.rstrip().endswith("</html>")
    assert ch.tasking_report is tasking_report
    assert ch.write_report is write_report


# -- command line --------------------------------------------------------------------------------

HEADER = "offender_id,offence_code,date,victim_id\n"
ROWS = [
    "101,046/00,2023-07-18,1",
    "101,105/01,2023-07-17,2",
    "202,020/05,2023-01-18,3",
    "303,008/26,2022-07-18,0",
    "303,046/00,2024-01-01,1",
    "404,001/01,2014-07-18,4",
    "505,001/01,2021-07-18,5",
]


@pytest.fixture
def events_csv(tmp_path: Path) -> Path:
    path = tmp_path / "events.csv"
    path.write_text(HEADER + "\n".join(ROWS) + "\n", encoding="utf-8")
    return path


def report_args(path: Path, out: Path, *more: str) -> list[str]:
    return [
        "report",
        str(path),
        "--as-of",
        AS_OF,
        "--victim-id",
        "victim_id",
        "-o",
        str(out),
        *more,
    ]


def test_cli_report_writes_the_page_and_its_manifest(
    events_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.html"
    assert cli.main(report_args(events_csv, out, "--window-days", "1826", "--top", "3")) == 0
    err = capsys.readouterr().err
    assert "wrote the tasking report of 3 offenders" in err
    assert "101" not in err  # no id on the terminal
    page = parse(out.read_text(encoding="utf-8"))
    events = ch.read_csv(events_csv)
    scores = ch.score(events, "cchi-2020", as_of=AS_OF, window_days=1826)
    assert [p["id"] for p in page.people] == [str(v) for v in scores.top(3).offender_id]
    manifest = ch.Manifest.read(str(out) + ".manifest.json")
    assert manifest.verify(events)
    assert manifest.matches(scores.top(3))


def test_cli_report_pseudonymises_with_the_key_from_env_or_file(
    events_csv: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = tmp_path / "p.html"
    monkeypatch.delenv("CRIMEHARM_PSEUDONYM_KEY", raising=False)
    assert cli.main(report_args(events_csv, out, "--pseudonymise")) == 2
    assert "CRIMEHARM_PSEUDONYM_KEY" in capsys.readouterr().err
    monkeypatch.setenv("CRIMEHARM_PSEUDONYM_KEY", KEY.decode())
    assert cli.main(report_args(events_csv, out, "--pseudonymise")) == 0
    from_env = out.read_text(encoding="utf-8")
    key_file = tmp_path / "key.bin"
    key_file.write_bytes(KEY)
    monkeypatch.delenv("CRIMEHARM_PSEUDONYM_KEY")
    out2 = tmp_path / "p2.html"
    assert (
        cli.main(report_args(events_csv, out2, "--pseudonymise", "--key-file", str(key_file))) == 0
    )
    ids = [p["id"] for p in parse(out2.read_text(encoding="utf-8")).people]
    assert ids == [p["id"] for p in parse(from_env).people]
    assert set(ids) == set(pseudonymise_ids(np.array([101, 202, 303, 404, 505]), KEY).tolist())
    for real in ("101", "202", "303", "404", "505"):
        assert f'data-id="{real}"' not in from_env
    assert cli.main(report_args(events_csv, out2, "--key-file", str(key_file))) == 2
    assert "--pseudonymise" in capsys.readouterr().err


def test_cli_report_never_overwrites_its_input(
    events_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = events_csv.read_bytes()
    assert cli.main(report_args(events_csv, events_csv)) == 2
    assert "events file itself" in capsys.readouterr().err
    trick = tmp_path / "x.csv"  # x.csv.manifest.json would be the events file
    (tmp_path / "x.csv.manifest.json").write_bytes(before)
    assert cli.main(report_args(tmp_path / "x.csv.manifest.json", trick)) == 2
    assert events_csv.read_bytes() == before
    capsys.readouterr()


def test_cli_report_honours_by(
    events_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "victims.html"
    assert cli.main(report_args(events_csv, out, "--by", "victim_id", "--top", "4")) == 0
    err = capsys.readouterr().err
    assert "wrote the tasking report of 4 victim_id values" in err
    text = out.read_text(encoding="utf-8")
    page = parse(text)
    events = ch.read_csv(events_csv, victim_id="victim_id")
    scores = ch.score(events, "cchi-2020", as_of=AS_OF, by="victim_id")
    top = scores.top(4)
    assert [p["id"] for p in page.people] == [str(v) for v in top.victim_id]
    assert [p["total"] for p in page.people] == [format_harm(float(h)) for h in top.harm]
    assert [p["events"] for p in page.people] == top.n_events.tolist()
    assert 'data-key="id" data-type="num" class="">victim_id</th>' in text
    assert "victim_id values with counted harm" in text
    assert "ranks victim_id values by the harm" in text
    assert "of this person" not in text
    short = tasking_report(scores, events, n=4, event_limit=0).html()
    assert "<code>crimeharm explain --by victim_id --all</code> lists every event" in short
    manifest = ch.Manifest.read(str(out) + ".manifest.json")
    assert manifest.by == "victim_id"
    assert manifest.matches(top)
    assert manifest.reproduce(manifest.read_events()).victim_id.tolist() == top.victim_id.tolist()
    assert cli.main(report_args(events_csv, out, "--by", "borough")) == 2
    assert "borough" in capsys.readouterr().err


SEXUAL = "019/16"  # an offence of the cchi-2020 group "SEXUAL OFFENCES"


def test_cli_report_manifest_records_the_selection_and_reproduces(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "events.csv"
    rows = ["offender_id,offence_code,date,victim_id,victim_sex"]
    for k in range(60):
        code = SEXUAL if k % 3 == 0 else "105/01"
        rows.append(f"{k % 9},{code},{np.datetime64('2019-01-01') + 17 * k},{k},{'FM'[k % 2]}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "g.html"
    args = ["--group", "SEXUAL OFFENCES", "--where", "victim_sex=F", "--top", "5"]
    assert cli.main([*report_args(path, out, *args), "--pad-codes"]) == 0
    capsys.readouterr()
    manifest = ch.Manifest.read(str(out) + ".manifest.json")
    assert manifest.filters == {"groups": ["SEXUAL OFFENCES"], "where": {"victim_sex": ["F"]}}
    assert manifest.reading["path"] == str(path)
    assert manifest.reading["victim_id"] == "victim_id"
    assert manifest.reading["pad_codes"] is True
    text = out.read_text(encoding="utf-8")
    assert manifest.output["format"] == "html"
    assert manifest.output["pseudonymised"] is False
    import hashlib

    assert manifest.output["sha256"] == hashlib.sha256(text.encode("utf-8")).hexdigest()
    ranking = manifest.reproduce(manifest.read_events())  # raises if anything differs
    assert [p["id"] for p in parse(text).people] == [str(v) for v in ranking.offender_id]
    assert "victim_sex is &#x27;F&#x27;; and offence group &#x27;SEXUAL OFFENCES&#x27;" in text
    assert "filtered out" in text
    # the page and the manifest beside it are written together and checked by verify
    written = sorted(f.name for f in tmp_path.iterdir())
    assert written == ["events.csv", "g.html", "g.html.manifest.json"]
    assert cli.main(["verify", str(out)]) == 0
    out.write_text(text.replace("<h1>", "<h1>x"), encoding="utf-8")
    assert cli.main(["verify", str(out)]) == 1
    assert "sha256" in capsys.readouterr().out


def test_accounting_says_what_each_unknown_code_number_counts() -> None:
    events = ch.Events(
        offender_id=np.array([1, 1, 2, 2, 3, 3]),
        offence_code=np.array(["A", "Z", "Z", "Y", "Z", "B"]),
        date=np.array(
            ["2023-01-01", "2023-02-01", "2010-01-01", "2023-03-01", "2024-01-01", "2023-04-01"],
            dtype="datetime64[D]",
        ),
    )
    scores = ch.score(events, SCHEME, as_of=AS_OF, window_days=365, on_unknown="skip")
    rep = scores.report
    assert rep.unknown_codes == {"Y": 1, "Z": 3}
    assert rep.excluded["unknown code"] == 2  # the Z and Y dated in the window
    text = tasking_report(scores, events, n=3, scheme=SCHEME).html()
    assert (
        "with the rows carrying each among all 4 such rows scored, of any date: Y (1), Z (3). "
        "Of these rows, 2 are dated in the scoring window and are the &#x27;unknown code&#x27; "
        "line above; the other 2 are excluded above under another reason"
    ) in text
    fallback = ch.score(
        events, SCHEME, as_of=AS_OF, window_days=365, on_unknown="fallback", fallback_weight=1.0
    )
    text = tasking_report(fallback, events, n=3, scheme=SCHEME).html()
    assert "2 are dated in the scoring window and are counted at the fallback weight" in text


def test_long_explanations_list_the_largest_events_and_summarise_the_rest() -> None:
    events = toy_events(evil=False)
    scores = toy_scores(events)
    report = tasking_report(scores, events, n=8, scheme=SCHEME, event_limit=3)
    page = parse(report.html())
    for person, e in zip(page.people, report.explanations, strict=True):
        assert person["events"] == min(3, e.n_events)
        assert person["total"] == format_harm(e.harm)  # the total is still the whole harm
    text = report.html()
    longer = [e for e in report.explanations if e.n_events > 3]
    assert longer
    assert text.count('<tr class="not-shown">') >= len(longer)
    for e in longer:
        assert e.hidden_summary(e.shown(3)) in text.replace("&#x27;", "'")
    with pytest.raises(ParameterError, match="event_limit"):
        tasking_report(scores, events, scheme=SCHEME, event_limit=-1)


# -- a real browser -----------------------------------------------------------------------------


def chromium() -> str | None:
    import shutil

    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def browser_dom(path: Path, fragment: str = "") -> str:
    import subprocess

    binary = chromium()
    if binary is None:
        reason = "no chromium binary on PATH (apt-get install chromium; .ci/run installs it)"
        if os.environ.get("CRIMEHARM_REQUIRE_BROWSER"):
            pytest.fail(reason + ", and CRIMEHARM_REQUIRE_BROWSER is set")
        pytest.skip(reason)
    profile = path.parent / "chromium-profile"
    done = subprocess.run(
        [
            binary,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
            f"--user-data-dir={profile}",
            "--virtual-time-budget=10000",
            "--dump-dom",
            path.resolve().as_uri() + fragment,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "HOME": str(path.parent)},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def expected_order(report: TaskingReport, key: str, descending: bool) -> list[str]:
    """The order the page's script must give: by the column, ties by rank (either direction)."""
    r = report.ranking
    numeric_ids = r.offender_id.dtype.kind in "iu"
    column: dict[str, list[Any]] = {
        "rank": r.rank.tolist(),
        "id": r.offender_id.tolist() if numeric_ids else list(report.ids),
        "harm": r.harm.tolist(),
        "count": r.n_events.tolist(),
        "first": [str(d) for d in r.first_date],
        "last": [str(d) for d in r.last_date],
        "victims": [] if r.victims is None else r.victims.tolist(),
    }
    values = column[key]
    rows = list(range(len(r)))
    rows.sort(key=lambda i: int(r.rank[i]))
    rows.sort(key=lambda i: values[i], reverse=descending)  # stable: ties keep rank order
    return [report.ids[i] for i in rows]


def test_in_a_real_browser_rows_sorting_and_explanations(tmp_path: Path) -> None:
    import json

    events = toy_events(evil=True)
    scores = toy_scores(events)
    report = tasking_report(scores, events, n=40, scheme=SCHEME)
    path = report.write(tmp_path / "report.html")
    dom = browser_dom(path)
    page = parse(dom)  # what the browser shows after its scripts ran
    check_page_against_ranking(page, report)
    assert "<script>alert" not in dom.split("<script>", 1)[0]
    tested = parse(browser_dom(path, "#selftest"))
    result = json.loads(tested.selftest)
    assert result["initial"] == list(report.ids)
    numeric = {"rank", "harm", "count", "victims"}  # the ids here are text
    assert set(result["sorted"]) == {"rank", "id", "harm", "count", "first", "last", "victims"}
    for key, (first, second) in result["sorted"].items():
        first_descending = key in numeric
        assert first["dir"] == ("descending" if first_descending else "ascending"), key
        assert first["ids"] == expected_order(report, key, first_descending), key
        assert second["dir"] == ("ascending" if first_descending else "descending"), key
        assert second["ids"] == expected_order(report, key, not first_descending), key
    assert result["first_explanation_open"] is True
    opened = report.ids.index(result["first_explanation_id"])
    assert result["first_explanation_rows"] == int(report.ranking.n_events[opened])
    # the page after sorting still shows each person's own numbers
    after = {p["id"]: p for p in tested.people}
    for i, shown in enumerate(report.ids):
        assert after[shown]["cells"][2] == format_harm(float(report.ranking.harm[i]))
        assert after[shown]["total"] == format_harm(float(report.ranking.harm[i]))


def test_in_a_real_browser_an_address_opens_one_explanation(tmp_path: Path) -> None:
    events = toy_events()
    report = tasking_report(toy_scores(events), events, n=5, scheme=SCHEME)
    path = report.write(tmp_path / "report.html")
    dom = browser_dom(path, "#person-2")
    opened = re.findall(r'<tr class="detail" id="(explain-\d+)"( hidden="")?', dom)
    assert opened == [(f"explain-{k}", "" if k == 2 else ' hidden=""') for k in range(1, 6)]
    assert 'aria-controls="explain-2" aria-expanded="true"' in dom or re.search(
        r'aria-expanded="true" aria-controls="explain-2"', dom
    )
