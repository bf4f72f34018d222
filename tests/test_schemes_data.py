"""Schemes as data: scheme files, derivations, coverage, key systems, crosswalk plugins, CLI."""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import crimeharm as ch
from crimeharm import cli
from crimeharm.core.keys import KeySystem, classify_code, get_key_system, register_key_system

META = {
    "name": "toy",
    "version": "1",
    "unit": "days",
    "key_system": "ho",
    "source": "a test",
    "metadata": {"licence": "CC0"},
}


def toy() -> ch.WeightScheme:
    return ch.WeightScheme.from_mapping(
        {"001/01": 5475.0, "105/01": 2.0, "046/00": 0.5, "008/01": 19.0}, **META
    )


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


# -- scheme files ----------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".toml", ".csv"])
def test_file_round_trip_keeps_everything_and_the_checksum(tmp_path: Path, suffix: str) -> None:
    scheme = toy()
    path = scheme.to_file(tmp_path / f"toy{suffix}")
    back = ch.WeightScheme.from_file(path, require_checksum=True)
    assert back.to_dict() == scheme.to_dict()
    assert back.codes.tolist() == scheme.codes.tolist()
    assert (back.name, back.version, back.unit, back.key_system) == ("toy", "1", "days", "ho")
    assert back.metadata["licence"] == "CC0"
    assert back.checksum == scheme.checksum


def test_csv_file_by_hand_and_errors_name_file_line_column(tmp_path: Path) -> None:
    header = (
        "# name: force\n# version: 2024\n# unit: days\n# key_system: ho\n"
        "# source: board paper\n# licence: OGL-UK-3.0\n"
    )
    good = tmp_path / "force.csv"
    good.write_text(header + "code,weight,title\n001/01,5475,Murder\n105/01,2,Assault\n")
    scheme = ch.WeightScheme.from_file(good)
    assert scheme.to_dict() == {"001/01": 5475.0, "105/01": 2.0}
    assert scheme.offence("001/01").title == "Murder"

    bad = tmp_path / "bad.csv"
    bad.write_text(header + "code,weight\n001/01,5475\n105/01,-2\n")
    with pytest.raises(ch.SchemeError, match=r"bad\.csv, line 9, column 'weight'.*>= 0"):
        ch.WeightScheme.from_file(bad)
    bad.write_text(header + "code,weight\n001/01,5475\n001/01,3\n")
    with pytest.raises(ch.SchemeError, match=r"line 9, column 'code'.*first on line 8"):
        ch.WeightScheme.from_file(bad)
    bad.write_text(header.replace("# licence: OGL-UK-3.0\n", "") + "code,weight\n001/01,1\n")
    with pytest.raises(ch.SchemeError, match="lacks metadata licence"):
        ch.WeightScheme.from_file(bad)
    bad.write_text(header + "# checksum: sha256:00\ncode,weight\n001/01,1\n")
    with pytest.raises(ch.SchemeError, match=r"line 7, column 'checksum'.*does not match"):
        ch.WeightScheme.from_file(bad)
    with pytest.raises(ch.SchemeError, match="lacks metadata checksum"):
        ch.WeightScheme.from_file(good, require_checksum=True)


def test_a_cell_over_128_kib_is_a_scheme_error(tmp_path: Path) -> None:
    header = "# name: n\n# version: 1\n# unit: days\n# key_system: ho\n# source: s\n# licence: l\n"
    path = tmp_path / "huge.csv"
    path.write_text(header + "code,weight,title\n001/01,1," + "x" * (129 * 1024) + "\n")
    with pytest.raises(ch.SchemeError, match=r"huge\.csv, line 8: malformed CSV.*128 KiB"):
        ch.WeightScheme.from_file(path)
    plain = tmp_path / "plain.csv"
    plain.write_text("code,weight,title\n001/01,1," + "x" * (129 * 1024) + "\n")
    with pytest.raises(ch.SchemeError, match=r"plain\.csv, line 2: malformed CSV"):
        ch.WeightScheme.from_csv(plain)


def test_toml_errors_name_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text('[scheme]\nname = "x"\nversion = \n')
    with pytest.raises(ch.SchemeError, match=r"s\.toml, line 3, column 'col \d+': not valid TOML"):
        ch.WeightScheme.from_file(path)
    path.write_text(
        '[scheme]\nname = "x"\nversion = "1"\nunit = "days"\nkey_system = "ho"\n'
        'source = "s"\nlicence = "l"\n\n[weights]\n"001/01" = 5475\n"105/01" = "two"\n'
    )
    with pytest.raises(ch.SchemeError, match=r"line 11, column 'weight'.*'two'"):
        ch.WeightScheme.from_file(path)


def test_plain_data_only_no_code_runs(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    path = tmp_path / "evil.csv"
    payload = f"__import__('pathlib').Path({str(marker)!r}).write_text('x')"
    path.write_text(
        "# name: e\n# version: 1\n# unit: days\n# key_system: ho\n# source: s\n# licence: l\n"
        f'code,weight\n001/01,"{payload}"\n'
    )
    with pytest.raises(ch.SchemeError, match="must be a number"):
        ch.WeightScheme.from_file(path)
    assert not marker.exists()


# -- plugins shipping files ------------------------------------------------------------------


def test_plugin_ships_a_scheme_file_and_a_crosswalk_file(tmp_path: Path) -> None:
    scheme_path = toy().to_file(tmp_path / "force-scheme.toml")
    xw_path = tmp_path / "force-xw.csv"
    xw_path.write_text(
        "# name: force-to-ho\n# from_system: force\n# to_system: ho\n# source: force RMS\n"
        "from_code,to_code,certainty\nMUR,001/01,stated\nASS,105/01,stated\nASS,008/01,inferred\n"
    )

    class Plugin:
        @ch.hookimpl
        def crimeharm_register_schemes(self) -> list[object]:
            return [scheme_path, ch.SchemeProvider.from_file(scheme_path, name="toy-again")]

        @ch.hookimpl
        def crimeharm_register_crosswalks(self) -> list[object]:
            return [xw_path]

    name = ch.register_plugin(Plugin(), "files-plugin")
    try:
        assert {"toy", "toy-again"} <= set(ch.list_schemes())
        info = {row["name"]: row for row in ch.scheme_info()}
        assert info["toy"]["plugin"] == "files-plugin"
        assert ch.get_scheme("toy").to_dict() == toy().to_dict()
        xw = ch.get_crosswalk("force-to-ho")
        via = ch.get_scheme("toy").via(xw)
        assert via.key_system == "force"
        assert via.to_dict() == {"MUR": 5475.0, "ASS": 2.0}  # stated row beats inferred
        assert xw.targets("ASS", min_certainty="stated")[0].to_code == "105/01"
    finally:
        ch.unregister_plugin(name)
    assert "toy" not in ch.list_schemes()


def test_crosswalk_conflict_policies() -> None:
    xw = ch.Crosswalk.from_mapping(
        {"A": ["001/01", "105/01"], "B": "046/00", "C": "999/99"},
        name="t",
        from_system="force",
        to_system="ho",
    )
    scheme = toy()
    assert scheme.via(xw).to_dict() == {"A": 2.0, "B": 0.5}
    assert scheme.via(xw, conflicts="max").weight("A") == 5475.0
    assert scheme.via(xw, conflicts="median").weight("A") == (5475.0 + 2.0) / 2
    assert scheme.via(xw).metadata["unmapped_codes"] == ["C"]
    with pytest.raises(ch.SchemeError, match="A"):
        scheme.via(xw, conflicts="raise")


# -- derivations -----------------------------------------------------------------------------


def test_named_derivations_record_themselves() -> None:
    base = toy()
    log = base.derive("log1p")
    assert log.name == "toy+log1p"
    assert log.unit == "log1p(days)"
    assert log.weight("001/01") == math.log1p(5475.0)
    step = log.metadata["derivations"][-1]
    assert step == {"op": "log1p", "parent": "toy", "parent_checksum": base.checksum}
    assert log.checksum != base.checksum
    assert base.derive("sqrt").weight("105/01") == math.sqrt(2.0)
    capped = base.derive("cap", value=365)
    assert capped.name == "toy+cap(365)"
    assert capped.weight("001/01") == 365.0
    assert capped.weight("008/01") == 19.0
    chained = capped.derive("log1p")
    assert [s["op"] for s in chained.metadata["derivations"]] == ["cap", "log1p"]
    assert chained.name == "toy+cap(365)+log1p"
    with pytest.raises(ch.ParameterError, match="unknown derivation"):
        base.derive("square")
    with pytest.raises(ch.ParameterError, match="needs value"):
        base.derive("cap")


def test_rescale_by_least_squares_and_by_matching() -> None:
    a = ch.WeightScheme.from_mapping({"x": 1.0, "y": 2.0, "z": 5.0}, name="a", unit="u1")
    b = ch.WeightScheme.from_mapping({"x": 3.0, "y": 5.0, "w": 9.0}, name="b", unit="u2")
    lsq = a.derive("rescale", to=b)
    factor = (1 * 3 + 2 * 5) / (1 * 1 + 2 * 2)
    assert lsq.weight("z") == pytest.approx(5.0 * factor, rel=1e-15)
    assert lsq.unit == "u2"
    assert lsq.metadata["derivations"][-1]["matched_codes"] == 2
    assert lsq.name == "a+rescale(lsq,b)"
    match = a.derive("rescale", to=b, method="match", code="y")
    assert match.weight("y") == 5.0
    assert match.weight("x") == 2.5
    ons = ch.get_scheme("ons-css")
    with pytest.raises(ch.SchemeError, match="crosswalk"):
        ons.derive("rescale", to=ch.get_scheme("cchi-2020"))


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=20),
    st.floats(0, 1e4, allow_nan=False),
)
def test_derivations_keep_order_and_caps_bound(weights: list[float], cap: float) -> None:
    scheme = ch.WeightScheme(codes=[f"c{i}" for i in range(len(weights))], weights=weights)
    order = np.argsort(scheme.weights, kind="stable")
    for how in ("log1p", "sqrt"):
        derived = scheme.derive(how).weights
        assert np.all(np.diff(derived[order]) >= 0)
    capped = scheme.derive("cap", value=cap).weights
    assert np.all(capped <= cap)
    assert np.all(capped == np.minimum(scheme.weights, cap))


# -- coverage --------------------------------------------------------------------------------


def test_coverage_counts_rows_harm_and_lacking_codes() -> None:
    scheme = toy()
    codes = ["001/01", "105/01", "105/01", "053/40", "053/40", "053/40", "banana", "999/98", ""]
    cov = scheme.coverage(np.array(codes))
    assert cov.n_rows == 9
    assert cov.n_missing_code == 1
    assert cov.n_covered == 3
    assert cov.share_rows == 3 / 8
    assert cov.harm_covered == 5475.0 + 2 * 2.0
    status = {m.code: (m.rows, m.status) for m in cov.missing}
    assert status == {
        "053/40": (3, "valid"),
        "banana": (1, "malformed"),
        "999/98": (1, "well-formed"),
    }
    assert cov.missing[0].code == "053/40"
    assert "most frequent codes lacking" in cov.summary()


def test_coverage_with_reference_on_demo_events() -> None:
    ev = ch.make_demo_events(3000, seed=5)
    cchi = ch.get_scheme("cchi-2020")
    ons = ch.get_scheme("ons-css-ho")
    cov = ons.coverage(ev, reference=cchi)
    counts = Counter(ev.code_strings().tolist())
    covered = sum(n for c, n in counts.items() if c in ons)
    assert cov.n_covered == covered
    total = math.fsum(cchi.weight(c) * n for c, n in counts.items() if c in cchi)
    on_covered = math.fsum(cchi.weight(c) * n for c, n in counts.items() if c in cchi and c in ons)
    assert cov.reference_share == pytest.approx(on_covered / total, rel=1e-12)
    wrong = ch.get_scheme("ons-css").coverage(ev)
    assert wrong.n_covered == 0
    assert wrong.looks_like == "ho"


def test_key_systems() -> None:
    assert classify_code("001/01", "ho") == "valid"
    assert classify_code("999/98", "ho") == "well-formed"
    assert classify_code("1/1", "ho") == "malformed"
    assert classify_code("8N", "ons") == "valid"
    assert classify_code("8/N", "ons") == "malformed"
    assert classify_code("Burglary", "police-uk") == "valid"
    assert get_key_system("unregistered").classify("anything") == "well-formed"
    system = KeySystem("test-force", "Test force codes", r"[A-Z]{3}", "MUR", lambda: {"MUR"})
    register_key_system(system, replace=True)
    assert classify_code("MUR", "test-force") == "valid"
    assert classify_code("ASS", "test-force") == "well-formed"
    with pytest.raises(ch.ParameterError):
        register_key_system(system)


# -- command line ----------------------------------------------------------------------------


def test_cli_show(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, out, _ = run(capsys, "schemes", "show", "ons-css")
    assert status == 0
    assert "key_system:  ons" in out
    assert "Open Government Licence v3.0" in out
    assert "7973.393423" in out
    status, out, _ = run(capsys, "schemes", "show", "ons-css", "--format", "json")
    data = json.loads(out)
    assert len(data["offences"]) == 134
    assert data["checksum"] == f"sha256:{ch.get_scheme('ons-css').checksum}"
    path = toy().to_file(tmp_path / "toy.csv")
    status, out, _ = run(capsys, "schemes", "show", str(path), "--derive", "cap=10")
    assert status == 0
    assert "toy+cap(10)" in out
    status, _, err = run(capsys, "schemes", "show", str(tmp_path / "absent.toml"))
    assert status == 2
    assert "absent.toml" in err


def test_cli_diff_counts(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    a = toy()
    b = a.with_weights({"105/01": 3.0, "999/01": 1.0}, name="toy2")
    b = ch.WeightScheme.from_mapping(
        {k: v for k, v in b.to_dict().items() if k != "046/00"}, **{**META, "name": "toy2"}
    )
    pa, pb = a.to_file(tmp_path / "a.toml"), b.to_file(tmp_path / "b.csv")
    status, out, _ = run(capsys, "schemes", "diff", str(pa), str(pb))
    assert status == 0
    assert "same weight: 2  changed: 1  added (only in B): 1  removed (only in A): 1" in out
    status, out, _ = run(capsys, "schemes", "diff", str(pa), str(pb), "--format", "json")
    data = json.loads(out)
    assert data["changed"] == [{"code": "105/01", "a": 2.0, "b": 3.0, "ratio": 1.5}]
    assert data["added"] == [{"code": "999/01", "b": 1.0}]
    assert data["removed"] == [{"code": "046/00", "a": 0.5}]


def test_cli_coverage(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "ev.csv"
    path.write_text(
        "offender_id,offence_code,date\n1,001/01,2020-01-01\n2,053/40,2020-01-01\n"
        "3,053/40,2020-02-01\n4,xx,2020-01-01\n"
    )
    status, out, _ = run(capsys, "schemes", "coverage", str(path), "--scheme", "ons-css-ho")
    assert status == 0
    assert "covered:         1 (25.0% of rows with a code)" in out
    assert "053/40                2  valid" in out
    assert "xx                    1  malformed" in out
    status, out, _ = run(
        capsys, "schemes", "coverage", str(path), "--scheme", "ons-css-ho", "--format", "json"
    )
    data = json.loads(out)
    assert data["n_covered"] == 1
    assert data["share_rows"] == 0.25
    status, out, _ = run(capsys, "schemes")
    assert "ons-css-ho" in out
