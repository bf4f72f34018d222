"""Schemes named everywhere: derived names, scheme files and the conflicts policy, by name, on
the command line and in manifests (regressions from review of issue 11)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import crimeharm as ch
from crimeharm import cli
from crimeharm.audit.manifest import Manifest, manifest_path_for
from crimeharm.core.derive import STEP_SYNTAX, parse_steps
from crimeharm.errors import ParameterError, ParameterTypeError, SchemeError, UnknownNameError

AS_OF = "2023-07-18"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def demo_file(tmp_path: Path, n: int = 1500) -> Path:
    events = ch.make_demo_events(n, seed=3, as_of=AS_OF)
    path = tmp_path / "events.csv"
    events.to_pandas().to_csv(path, index=False)
    return path


def toy() -> ch.WeightScheme:
    return ch.WeightScheme.from_mapping(
        {"001/01": 5475.0, "105/01": 2.0, "046/00": 0.5, "008/01": 19.0},
        name="toy",
        version="1",
        unit="days",
        key_system="ho",
        source="a test",
        metadata={"licence": "CC0"},
    )


# -- derived names ---------------------------------------------------------------------------


def test_a_derived_name_resolves_to_the_derivation() -> None:
    cchi = ch.get_scheme("cchi-2020")
    by_name = ch.get_scheme("cchi-2020+log1p")
    assert by_name.name == "cchi-2020+log1p"
    assert by_name.checksum == cchi.derive("log1p").checksum
    assert by_name.weights.tolist() == [math.log1p(w) for w in cchi.weights.tolist()]
    chained = ch.get_scheme("ons-css-ho+cap(365)+log1p")
    expected = ch.get_scheme("ons-css-ho").derive("cap", value=365).derive("log1p")
    assert chained.name == "ons-css-ho+cap(365)+log1p"
    assert chained.checksum == expected.checksum
    steps = chained.metadata["derivations"]
    assert [s["op"] for s in steps] == ["cap", "log1p"]
    assert steps[0]["parent_checksum"] == ch.get_scheme("ons-css-ho").checksum


def test_options_go_to_the_parent_of_a_derived_name() -> None:
    wide = ch.get_scheme("ons-css-ho+log1p", conflicts="max")
    assert wide.metadata["conflicts"] == "max"
    assert wide.checksum == ch.get_scheme("ons-css-ho", conflicts="max").derive("log1p").checksum


def test_rescale_by_name_takes_the_reference_by_name() -> None:
    scheme = ch.get_scheme("cchi-2020+rescale(lsq,cchi-2020+sqrt)")
    step = scheme.metadata["derivations"][-1]
    assert step["to"] == "cchi-2020+sqrt"
    assert step["to_checksum"] == ch.get_scheme("cchi-2020+sqrt").checksum
    matched = ch.get_scheme("ons-css-ho+rescale(match:001/01,cchi-2020)")
    assert matched.weight("001/01") == ch.get_scheme("cchi-2020").weight("001/01")


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("cchi-2020+log2", "is not a derivation"),
        ("cchi-2020+", "is not a derivation"),
        ("cchi-2020+log1p()", "takes no arguments"),
        ("cchi-2020+cap", "needs one number"),
        ("cchi-2020+cap()", "needs one number"),
        ("cchi-2020+cap(x)", "needs a number"),
        ("cchi-2020+cap(-1)", "finite number >= 0"),
        ("cchi-2020+cap(nan)", "finite number >= 0"),
        ("cchi-2020+scale(inf)", "finite number >= 0"),
        ("cchi-2020+cap(3", "parenthesis open"),
        ("cchi-2020+cap3)", "never opened"),
        ("cchi-2020+cap(3)x", "after its closing parenthesis"),
        ("cchi-2020+rescale(cchi-2020)", "needs a method and a scheme"),
        ("cchi-2020+rescale(mean,cchi-2020)", "not lsq or match:CODE"),
    ],
)
def test_a_bad_step_is_refused_listing_the_valid_steps(name: str, why: str) -> None:
    with pytest.raises(UnknownNameError, match=why) as info:
        ch.get_scheme(name)
    assert STEP_SYNTAX in str(info.value)


def test_an_unknown_parent_names_the_schemes_and_the_syntax() -> None:
    with pytest.raises(UnknownNameError, match="available: cchi-2020") as info:
        ch.get_scheme("nope+log1p")
    assert "a derived scheme is" in str(info.value)
    with pytest.raises(UnknownNameError, match="no file"):
        ch.get_scheme("missing-scheme.toml")


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(
        st.floats(min_value=0, max_value=1e12, allow_nan=False, allow_infinity=False),
        min_size=1,
        max_size=3,
    )
)
def test_the_name_a_derivation_writes_reads_back_exactly(values: list[float]) -> None:
    scheme = toy()
    for i, v in enumerate(values):
        # scale factors stay small: weights are at most 2**32 days (kernels.summation)
        scheme = scheme.derive(
            "cap" if i % 2 else "scale", **({"value": v} if i % 2 else {"factor": v % 100})
        )
    text = scheme.name.removeprefix("toy+")
    steps = parse_steps(scheme.name, text)
    again = toy()
    for how, params in steps:
        again = again.derive(how, **params)
    assert again.name == scheme.name
    assert again.checksum == scheme.checksum


# -- scheme files by name ----------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".toml", ".csv"])
def test_a_scheme_file_resolves_by_path_and_records_where_it_came_from(
    tmp_path: Path, suffix: str
) -> None:
    path = toy().to_file(tmp_path / f"toy{suffix}")
    scheme = ch.get_scheme(str(path))
    assert scheme.checksum == toy().checksum
    record = scheme.metadata["scheme_file"]
    assert record["path"] == str(path)
    assert record["checksum"] == toy().checksum
    assert len(record["sha256"]) == 64
    derived = ch.get_scheme(f"{path}+sqrt")
    assert derived.checksum == toy().derive("sqrt").checksum
    with pytest.raises(ParameterTypeError, match="takes no options"):
        ch.get_scheme(str(path), conflicts="max")


@pytest.mark.parametrize("suffix", [".toml", ".csv"])
def test_derivations_survive_a_scheme_file_round_trip(tmp_path: Path, suffix: str) -> None:
    derived = ch.get_scheme("ons-css-ho+cap(365)+log1p")
    back = ch.WeightScheme.from_file(
        derived.to_file(tmp_path / f"d{suffix}"), require_checksum=True
    )
    assert back.checksum == derived.checksum
    assert back.metadata["derivations"] == derived.metadata["derivations"]
    assert (back.name, back.unit) == (derived.name, derived.unit)


def test_a_scheme_file_with_bad_derivations_names_the_line(tmp_path: Path) -> None:
    path = toy().to_file(tmp_path / "toy.csv")
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines.insert(2, "# derivations: [not json\n")
    path.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(SchemeError, match=r"toy\.csv, line 3.*derivations"):
        ch.WeightScheme.from_file(path)


# -- manifests -------------------------------------------------------------------------------


def test_the_manifest_records_the_derivation_and_reproduces_it() -> None:
    events = ch.make_demo_events(800, seed=9, as_of=AS_OF)
    scheme = ch.get_scheme("cchi-2020+cap(365)+log1p")
    ranking = ch.top(events, scheme, n=20, as_of=AS_OF)
    manifest = Manifest.from_result(ranking, events, scheme=scheme)
    assert manifest.scheme == "cchi-2020+cap(365)+log1p"
    assert manifest.scheme_parent == "cchi-2020"
    assert manifest.scheme_parent_checksum == ch.get_scheme("cchi-2020").checksum
    assert [s["op"] for s in manifest.scheme_derivations] == ["cap", "log1p"]
    assert manifest.scheme_derivations[0]["value"] == 365.0
    again = Manifest.from_json(manifest.to_json())
    assert again == manifest
    assert again.reproduce(events) == ranking
    # a manifest written without the scheme object still reproduces: the name resolves
    bare = Manifest.from_result(ranking, events)
    assert bare.scheme_derivations == ()
    assert bare.reproduce(events) == ranking


def test_reproduce_refuses_a_changed_parent() -> None:
    events = ch.make_demo_events(300, seed=2, as_of=AS_OF)
    scheme = ch.get_scheme("cchi-2020+log1p")
    manifest = Manifest.from_result(ch.score(events, scheme, as_of=AS_OF), events, scheme=scheme)
    data = manifest.to_dict()
    data["scheme_derivations"][0]["parent_checksum"] = "0" * 64
    with pytest.raises(SchemeError, match="the parent scheme changed"):
        Manifest.from_json(json.dumps(data)).reproduce(events)


def test_a_scheme_file_is_recorded_and_reproduced(tmp_path: Path) -> None:
    path = toy().to_file(tmp_path / "toy.toml")
    scheme = ch.get_scheme(f"{path}+log1p")
    events = ch.Events(
        offender_id=[1, 1, 2], offence_code=["105/01", "001/01", "008/01"], date=["2022-01-01"] * 3
    )
    scores = ch.score(events, scheme, as_of=AS_OF)
    manifest = Manifest.from_result(scores, events, scheme=scheme)
    assert manifest.scheme_file["path"] == str(path)
    assert manifest.scheme_file["checksum"] == toy().checksum
    assert [s["op"] for s in manifest.scheme_derivations] == ["log1p"]
    assert Manifest.from_json(manifest.to_json()).reproduce(events) == scores
    toy().with_weights({"105/01": 3.0}).to_file(path, licence="CC0")  # changed after the run
    with pytest.raises(ParameterError, match="changed after the manifest was written"):
        manifest.reproduce(events)
    path.unlink()
    with pytest.raises(ParameterError, match="which is not there"):
        manifest.reproduce(events)


# -- command line ----------------------------------------------------------------------------


def test_rank_with_a_derived_scheme_writes_a_manifest_that_verifies(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    events = demo_file(tmp_path)
    out = tmp_path / "ranking.csv"
    argv = ["rank", str(events), "--as-of", AS_OF, "--top", "10", "-o", str(out)]
    status, _, err = run(
        capsys,
        *argv,
        "--scheme",
        "ons-css-ho+cap(365)+log1p",
        "--conflicts",
        "max",
        "--on-unknown",
        "skip",
    )
    assert status == 0, err
    manifest = Manifest.read(manifest_path_for(out))
    assert manifest.scheme == "ons-css-ho+cap(365)+log1p"
    assert manifest.scheme_conflicts == "max"
    assert manifest.scheme_parent == "ons-css-ho"
    status, text, _ = run(capsys, "verify", str(out))
    assert status == 0
    assert "is identical" in text
    assert len(manifest.reproduce(manifest.read_events())) == 10
    status, _, err = run(capsys, *argv, "--scheme", "cchi-2020+log2")
    assert status == 2
    assert "is not a derivation" in err
    assert "cap(VALUE)" in err


def test_rank_with_a_scheme_file_verifies(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    events = demo_file(tmp_path)
    status, text, _ = run(
        capsys, "schemes", "show", "cchi-2020", "--format", "toml", "--licence", "test licence"
    )
    assert status == 0
    scheme_path = tmp_path / "cchi.toml"
    scheme_path.write_text(text, encoding="utf-8")
    out = tmp_path / "ranking.csv"
    status, _, err = run(
        capsys,
        "rank",
        str(events),
        "--as-of",
        AS_OF,
        "--top",
        "10",
        "--scheme",
        f"{scheme_path}+sqrt",
        "-o",
        str(out),
    )
    assert status == 0, err
    manifest = Manifest.read(manifest_path_for(out))
    assert manifest.scheme_file["path"] == str(scheme_path)
    assert manifest.scheme_file["checksum"] == ch.get_scheme("cchi-2020").checksum
    status, text, _ = run(capsys, "verify", str(out))
    assert status == 0, text
    status, _, err = run(
        capsys,
        "rank",
        str(events),
        "--as-of",
        AS_OF,
        "--scheme",
        str(scheme_path),
        "--conflicts",
        "max",
    )
    assert status == 2
    assert "--conflicts max" in err


def test_conflicts_reach_the_scheme_and_are_checked(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    events = demo_file(tmp_path, 500)
    status, _, err = run(capsys, "rank", str(events), "--as-of", AS_OF, "--conflicts", "worst")
    assert status == 2
    assert "invalid choice" in err
    lo = tmp_path / "lo.csv"
    hi = tmp_path / "hi.csv"
    for policy, path in (("min", lo), ("max", hi)):
        status, _, err = run(
            capsys,
            "rank",
            str(events),
            "--as-of",
            AS_OF,
            "--all",
            "--conflicts",
            policy,
            "-o",
            str(path),
        )
        assert status == 0, err
        assert Manifest.read(manifest_path_for(path)).scheme_conflicts == policy
    expected = ch.get_scheme("cchi-2020", conflicts="max").checksum
    assert Manifest.read(manifest_path_for(hi)).scheme_checksum == expected
    status, _, _ = run(capsys, "verify", str(hi))
    assert status == 0


@pytest.mark.parametrize(("fmt", "suffix"), [("scheme-csv", ".csv"), ("toml", ".toml")])
def test_show_prints_a_loadable_scheme_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, fmt: str, suffix: str
) -> None:
    status, text, _ = run(
        capsys, "schemes", "show", "ons-css-ho+log1p", "--format", fmt, "--conflicts", "max"
    )
    assert status == 0
    path = tmp_path / f"published{suffix}"
    path.write_text(text, encoding="utf-8")
    back = ch.WeightScheme.from_file(path, require_checksum=True)
    shown = ch.get_scheme("ons-css-ho+log1p", conflicts="max")
    assert back.checksum == shown.checksum
    assert back.metadata["derivations"] == shown.metadata["derivations"]
    status, _, err = run(capsys, "schemes", "show", "cchi-2020", "--format", fmt)
    assert status == 2
    assert "lacks licence" in err


def test_coverage_accounts_for_the_rows_dropped_on_reading(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "two.csv"
    path.write_text(
        "offender_id,offence_code,date\n1,001/01,2020-01-01\n2,105/01,2020-13-45\n",
        encoding="utf-8",
    )
    status, text, _ = run(capsys, "schemes", "coverage", str(path), "--on-error", "skip")
    assert status == 0
    lines = text.splitlines()
    assert "rows read:       2" in lines
    assert any(ln.startswith("dropped:         1 on reading (") for ln in lines)
    assert "rows checked:    1" in lines
    status, text, _ = run(
        capsys, "schemes", "coverage", str(path), "--on-error", "skip", "--format", "json"
    )
    data = json.loads(text)
    assert data["n_read"] == 2
    assert data["n_rows"] == 1
    assert sum(data["dropped"].values()) == 1


def test_coverage_says_n_a_for_nothing_to_divide(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    events = demo_file(tmp_path, 300)
    status, _, err = run(
        capsys,
        "schemes",
        "coverage",
        str(events),
        "--scheme",
        "ons-css",
        "--reference",
        "cchi-2020",
    )
    assert status == 2
    assert "same key system" in err
    empty = tmp_path / "empty.csv"
    empty.write_text("offender_id,offence_code,date\n", encoding="utf-8")
    status, text, _ = run(capsys, "schemes", "coverage", str(empty))
    assert status == 0
    assert "covered:         0 (n/a: no rows with a code)" in text
    assert "100.0%" not in text
    cov = ch.get_scheme("ons-css-ho").coverage(
        np.array(["zz"]), reference=ch.get_scheme("cchi-2020")
    )
    assert cov.reference_share is None
    assert "reference harm:  n/a" in cov.summary()
    assert ch.get_scheme("cchi-2020").coverage([]).share_rows is None
    with pytest.raises(SchemeError, match="same key system"):
        ch.get_scheme("ons-css").coverage(["8N"], reference=ch.get_scheme("cchi-2020"))


def test_coverage_top_must_be_a_count_and_events_must_be_events(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    events = demo_file(tmp_path, 100)
    status, _, err = run(capsys, "schemes", "coverage", str(events), "--top", "-1")
    assert status == 2
    assert "must be a whole number >= 0 (got '-1')" in err
    scheme = ch.get_scheme("cchi-2020")
    for bad in (None, "001/01", 5):
        with pytest.raises(ParameterTypeError, match="coverage needs Events"):
            scheme.coverage(bad)


def test_the_cli_scheme_helpers_apply_or_refuse_the_conflicts_policy() -> None:
    from argparse import Namespace

    from crimeharm.cli.common import InputError, check_conflicts_applied, scheme_from_args

    args = Namespace(scheme="ons-css-ho+log1p", conflicts="max")
    scheme = scheme_from_args(args)
    assert scheme.metadata["conflicts"] == "max"
    check_conflicts_applied(args, scheme)  # loaded with it: nothing to say
    other = Namespace(scheme="cchi-2020", conflicts="max")  # a command that did not apply it
    with pytest.raises(InputError, match="was not loaded with it"):
        check_conflicts_applied(other, ch.get_scheme("cchi-2020"))
    check_conflicts_applied(Namespace(conflicts=None), ch.get_scheme("cchi-2020"))
