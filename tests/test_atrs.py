"""The ATRS record: every template field exactly once, what crimeharm fills, what it leaves."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

import crimeharm as ch
from crimeharm import cli
from crimeharm.audit.atrs import (
    FILLED,
    PARTLY_FILLED,
    STATUSES,
    TO_COMPLETE,
    atrs_fields,
    atrs_record,
    atrs_template,
)
from crimeharm.errors import ParameterError

AS_OF = "2023-07-18"
#: Fields only the organisation using the tool can answer: never filled by crimeharm.
FORCE_ONLY = (
    "organisation_or_department",
    "team",
    "senior_responsible_owner",
    "external_supplier_involvement",
    "human_decisions_and_review",
    "appeals_and_review",
    "required_training",
    "impact_assessment",
    "contact_email",
    "data_sharing_agreements",
    "data_access_and_storage",
    "process_integration",
)


def manifest(
    *, window: int | None = 1826, decay: str = "exponential", scheme: object = "cchi-2020"
) -> ch.Manifest:
    rng = np.random.default_rng(5)
    n = 300
    events = ch.Events(
        offender_id=rng.integers(0, 40, n),
        offence_code=rng.choice(["001/01", "105/01", "046/00", "008/26"], n),
        date=np.datetime64("2016-01-01") + rng.integers(0, 3000, n),
    )
    options = {"half_life_days": 365} if decay == "exponential" else {}
    ranking = ch.top(
        events,
        scheme,  # type: ignore[arg-type]
        n=10,
        as_of=AS_OF,
        window_days=window,
        decay=ch.get_decay(decay, **options),
    )
    return ch.Manifest.from_result(ranking, events, created_at="2026-01-01T00:00:00+00:00")


def test_shipped_field_list_is_the_published_template() -> None:
    template = atrs_template()
    fields = atrs_fields()
    assert template["version"] == "3.0"
    source = template["source"]
    assert source["repository"].endswith("co-cddo/algorithmic-transparency-recording-standard")
    assert re.fullmatch(r"[0-9a-f]{40}", source["commit"])
    assert source["path"].endswith("template_table.md")
    refs = [f.ref for f in fields]
    assert len(refs) == len(set(refs)) == len(template["fields"])
    assert all(re.fullmatch(r"\d+(\.\d+)+", r) for r in refs)
    assert all(re.fullmatch(r"[a-z_]+", f.attribute) and f.name for f in fields)
    names = {f.attribute for f in fields}
    for required in ("model_version", "senior_responsible_owner", "data_cleaning", *FORCE_ONLY):
        assert required in names


def test_every_template_field_is_in_the_record_exactly_once() -> None:
    record = atrs_record(manifest())
    fields = atrs_fields()
    assert [(e.field.ref, e.field.attribute) for e in record.entries] == [
        (f.ref, f.attribute) for f in fields
    ]
    for entry in record.entries:
        assert entry.status in STATUSES
        if entry.status == TO_COMPLETE:
            assert entry.value is None
        else:
            assert isinstance(entry.value, str)
            assert entry.value.strip()
        if entry.status == PARTLY_FILLED:
            assert "[To complete by the organisation:" in str(entry.value)
    for attribute in FORCE_ONLY:
        assert record[attribute].status == TO_COMPLETE, attribute
    statuses = {e.status for e in record.entries}
    assert statuses == set(STATUSES)
    assert len(record.to_complete()) == sum(e.status != FILLED for e in record.entries)


def test_tool_fields_come_from_the_manifest_and_scheme() -> None:
    m = manifest()
    record = atrs_record(m)
    scheme = ch.get_scheme("cchi-2020")
    version = record["model_version"].value or ""
    assert m.library_version in version
    assert m.scheme_checksum in version
    assert m.scheme_version in version
    assert record["standard_version"].value == "3.0"
    assert scheme.source.rstrip(".") in (record["datasets"].value or "")
    architecture = record["model_architecture"].value or ""
    assert "half_life_days=365" in architecture
    assert "1826-day window" in architecture
    assert AS_OF in architecture
    cleaning = record["data_cleaning"].value or ""
    assert f"{m.report['total']:,} input rows" in cleaning
    assert f"{m.report['counted']:,} counted" in cleaning
    for reason, n in m.report["excluded"].items():
        if n:
            assert f"{n:,} {reason}" in cleaning
    assert m.input_fingerprint in (record["model_input"].value or "")
    assert m.result_fingerprint in (record["model_output"].value or "")
    assert "not a prediction" not in version  # limitations live in risks_and_mitigations
    risks = record["risks_and_mitigations"].value or ""
    assert "not risk" in risks
    assert "not convicted offenders" in risks
    other = atrs_record(manifest(window=None, decay="none"))
    assert "no recency decay" in (other["model_architecture"].value or "")
    assert "every event dated on or before as_of" in (other["model_architecture"].value or "")


def test_json_and_markdown_forms() -> None:
    record = atrs_record(manifest())
    doc = json.loads(record.to_json())
    assert [f["ref"] for f in doc["fields"]] == [f.ref for f in atrs_fields()]
    assert doc["template_source"]["commit"] == atrs_template()["source"]["commit"]
    assert set(doc["statuses"]) == set(STATUSES)
    text = record.to_markdown()
    for f in atrs_fields():
        assert text.count(f"### {f.ref} {f.name} (`{f.attribute}`)") == 1
    to_complete = sum(e.status == TO_COMPLETE for e in record.entries)
    assert text.count("**TO COMPLETE** by the organisation.") == to_complete
    assert text.count("*Filled by crimeharm.*") == sum(e.status == FILLED for e in record.entries)


def test_lookup_and_scheme_checks() -> None:
    m = manifest()
    record = atrs_record(m)
    assert record["2.4.2.2"] is record["model_version"]
    with pytest.raises(KeyError, match="names 2 ATRS fields"):
        record["phase"]  # 0.13 and 2.4.1.2 share the attribute
    with pytest.raises(KeyError, match="no ATRS field"):
        record["colour"]
    other = ch.WeightScheme.from_mapping({"001/01": 1.0}, name="mine", unit="days")
    with pytest.raises(ParameterError, match="checksum"):
        atrs_record(m, scheme=other)
    changed = ch.WeightScheme.from_mapping({"001/01": 1.0}, name="cchi-2020", unit="days")
    fallback = atrs_record(m, scheme=changed)  # same name, other weights: provenance unknown
    assert "recorded by whoever built the scheme" in (fallback["datasets"].value or "")


def test_cli_atrs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    m = manifest()
    path = m.write(tmp_path / "ranking.csv.manifest.json")
    (tmp_path / "ranking.csv").write_text("rank\n", encoding="utf-8")
    assert cli.main(["atrs", str(path), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert len(doc["fields"]) == len(atrs_fields())
    assert cli.main(["atrs", str(tmp_path / "ranking.csv")]) == 0  # the manifest beside it
    assert capsys.readouterr().out == atrs_record(m).to_markdown()
    out = tmp_path / "atrs.md"
    assert cli.main(["atrs", str(path), "-o", str(out)]) == 0
    assert "fields filled" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == atrs_record(m).to_markdown()
    before = path.read_bytes()
    assert cli.main(["atrs", str(path), "-o", str(path)]) == 2
    assert path.read_bytes() == before
    bad = tmp_path / "bad.json"
    bad.write_text("{}", encoding="utf-8")
    assert cli.main(["atrs", str(bad)]) == 2
    assert "format must be" in capsys.readouterr().err


def test_docs_page_counts_are_the_record_s() -> None:
    page = (Path(__file__).resolve().parents[1] / "docs" / "report.md").read_text(encoding="utf-8")
    record = atrs_record(manifest())
    n_open = len(record.to_complete())
    line = (
        f"{len(record.entries) - n_open} fields filled, {n_open} for the organisation to complete"
    )
    assert line in page


# -- malformed manifests, paths, outputs that would replace an input, scheme provenance ---------


@pytest.mark.parametrize(
    ("field", "value", "said"),
    [
        ("report", "x", "field 'report' must be the row accounting object"),
        ("report", {"total": 1, "counted": 1, "excluded": [1]}, "'report.excluded' must be"),
        ("report", {"total": 5, "counted": 1, "excluded": {}}, "'report' does not add up"),
        ("as_of", 12, "field 'as_of' must be a date YYYY-MM-DD (got 12)"),
        ("as_of", "2023-13-45", "field 'as_of' must be a date"),
        ("window_days", "5", "field 'window_days' must be a whole number >= 1 or null"),
        ("input_rows", -1, "field 'input_rows' must be a whole number >= 0"),
        ("decay_params", [], "field 'decay_params' must be an object"),
        ("scheme_checksum", "abc", "field 'scheme_checksum' must be a sha256 hex digest"),
        ("on_unknown", "ignore", "field 'on_unknown' must be"),
    ],
)
def test_cli_atrs_refuses_a_malformed_manifest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], field: str, value: object, said: str
) -> None:
    data = manifest().to_dict()
    data[field] = value
    path = tmp_path / "bad.manifest.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert cli.main(["atrs", str(path)]) == 2
    err = capsys.readouterr().err
    assert said in err
    assert len(err.strip().splitlines()) == 1
    with pytest.raises(ch.CrimeHarmError, match=re.escape(said)):
        atrs_record(str(path))


def test_an_unregistered_scheme_is_flagged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = manifest().to_dict()
    data["scheme"] = "nope"
    path = tmp_path / "x.manifest.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert cli.main(["atrs", str(path)]) == 0
    captured = capsys.readouterr()
    assert "warning: the manifest's weight scheme 'nope' is not registered" in captured.err
    assert "**Warning**: the manifest's weight scheme 'nope' is not registered" in captured.out
    record = atrs_record(path)
    assert record.warnings
    datasets = record["datasets"]
    assert datasets.status == PARTLY_FILLED
    assert "[To complete by the organisation: the scheme's unit, source and licence]" in str(
        datasets.value
    )
    assert "does not have: what a weight means is not known" in str(
        record["risks_and_mitigations"].value
    )
    assert json.loads(record.to_json())["warnings"] == list(record.warnings)


def test_atrs_record_takes_a_path(tmp_path: Path) -> None:
    m = manifest()
    path = m.write(tmp_path / "ranking.csv.manifest.json")
    (tmp_path / "ranking.csv").write_text("rank\n", encoding="utf-8")
    expected = atrs_record(m).to_markdown()
    assert atrs_record(str(path)).to_markdown() == expected
    assert atrs_record(path).to_markdown() == expected
    assert atrs_record(tmp_path / "ranking.csv").to_markdown() == expected  # the one beside it
    with pytest.raises(ParameterError, match="needs a Manifest or its path"):
        atrs_record(3)  # type: ignore[arg-type]
    with pytest.raises(ch.DataError, match="no such manifest file"):
        atrs_record(tmp_path / "missing.json")


def test_cli_atrs_never_overwrites_a_file_the_manifest_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    events = tmp_path / "events.csv"
    events.write_text(
        "offender_id,offence_code,date\n1,105/01,2023-01-01\n2,001/01,2022-01-01\n",
        encoding="utf-8",
    )
    assert cli.main(["rank", "events.csv", "--as-of", AS_OF, "-o", "ranking.csv"]) == 0
    capsys.readouterr()
    files = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    sub = tmp_path / "sub"
    sub.mkdir()
    for target in ("events.csv", "ranking.csv", "ranking.csv.manifest.json", "sub/../events.csv"):
        assert cli.main(["atrs", "ranking.csv.manifest.json", "-o", target]) == 2, target
        assert "would be overwritten" in capsys.readouterr().err
    assert cli.main(["atrs", "ranking.csv", "-o", "ranking.csv.manifest.json"]) == 2
    capsys.readouterr()
    # from another folder the recorded relative paths lead elsewhere: any existing file that is
    # not an ATRS record is refused all the same
    monkeypatch.chdir(sub)
    (sub / "moved.manifest.json").write_bytes(files["ranking.csv.manifest.json"])
    assert cli.main(["atrs", "moved.manifest.json", "-o", "../events.csv"]) == 2
    assert "is not an ATRS record" in capsys.readouterr().err
    assert cli.main(["atrs", "../ranking.csv.manifest.json", "-o", "../events.csv"]) == 2
    assert "would be overwritten" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == files
    for fmt in ("markdown", "json"):  # a record written before may be replaced
        out = tmp_path / f"atrs.{fmt}"
        for _ in range(2):
            args = ["atrs", "../ranking.csv", "-o", str(out), "--format", fmt]
            assert cli.main(args) == 0
    capsys.readouterr()


def test_licence_and_limitations_follow_the_scheme_used() -> None:
    from crimeharm.audit.atrs import CCHI_LICENCE

    cchi = atrs_record(manifest())
    assert CCHI_LICENCE.rstrip(".") in str(cchi["datasets"].value)
    risks = str(cchi["risks_and_mitigations"].value)
    assert "days of custody at the sentencing-guideline starting point" in risks
    assert "handed down" not in risks
    ons = atrs_record(manifest(scheme="ons-css-ho"))
    licence = ch.get_scheme("ons-css-ho").metadata["licence"]
    assert licence.rstrip(".") in str(ons["datasets"].value)
    risks = str(ons["risks_and_mitigations"].value)
    assert "average sentence, in days, of the sentences actually handed down" in risks
    assert "crosswalk 'ho-to-ons'" in risks
    assert "starting point" not in risks
    mine = ch.WeightScheme.from_mapping(
        {"001/01": 9.0, "105/01": 1.0, "046/00": 2.0, "008/26": 3.0},
        name="local-harm",
        unit="points",
        source="Our force's panel, 2024",
        description="local harm points",
        metadata={"licence": "OGL-UK-3.0"},
    )
    local = atrs_record(manifest(scheme=mine), scheme=mine)
    assert "licence: OGL-UK-3.0" in str(local["datasets"].value)
    risks = str(local["risks_and_mitigations"].value)
    assert "the scheme 'local-harm' (local harm points; source: Our force's panel, 2024)" in risks
    assert "in points" in risks
    assert "starting point" not in risks
    assert "handed down" not in risks
    unlicensed = ch.WeightScheme.from_mapping(
        {"001/01": 9.0, "105/01": 1.0, "046/00": 2.0, "008/26": 3.0}, name="bare"
    )
    bare = atrs_record(manifest(scheme=unlicensed), scheme=unlicensed)
    assert "licence of the weight scheme's weights (not recorded)" in str(bare["datasets"].value)
    assert bare["datasets"].status == PARTLY_FILLED
    assert local["datasets"].status == FILLED
