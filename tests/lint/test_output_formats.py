"""`--output-format`: every format ruff offers, each checked against its consumer's contract.

SARIF is validated against the OASIS SARIF 2.1.0 JSON schema (tests/data/sarif, draft-04); GitLab's Code
Quality keys come from https://docs.gitlab.com/ci/testing/code_quality/#code-quality-report-format; JUnit
XML is parsed back; exit codes follow ruff (`--exit-zero`) plus `--fail-on`.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from xml.etree import ElementTree

import jsonschema
import pytest

from torchsmith.cli import main
from torchsmith.lint import FORMATS, RULES

CORPUS = Path(__file__).parent / "corpus"
SCHEMA = Path(__file__).parents[1] / "data" / "sarif" / "sarif-schema-2.1.0.json"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copy(CORPUS / "uv-no-marker" / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "requirements.txt").write_text(
        "-i https://download.pytorch.org/whl/cpu\ntorch==2.5.1\ntorchvision==0.21.0\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    return tmp_path


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(argv)
    return code, capsys.readouterr().out


def test_every_ruff_format_is_offered() -> None:
    from torchsmith.cli import _LINT_FORMATS

    assert FORMATS == ("full", "concise", "json", "json-lines", "github", "gitlab", "junit", "sarif")
    assert _LINT_FORMATS == FORMATS


def test_sarif_validates_against_the_2_1_0_schema(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _run(["lint", "--output-format", "sarif"], capsys)
    document = json.loads(out)
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    jsonschema.Draft4Validator(schema).validate(document)
    assert code == 1
    run = document["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == [r.id for r in RULES]
    located = {
        (
            res["ruleId"],
            res["level"],
            res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            res["locations"][0]["physicalLocation"]["region"]["startLine"],
        )
        for res in run["results"]
    }
    assert located == {
        ("companion-version-mismatch", "error", "requirements.txt", 3),
        ("pytorch-index-as-default", "warning", "requirements.txt", 1),
        ("uv-source-without-platform-marker", "error", "pyproject.toml", 11),
        ("uv-source-without-platform-marker", "error", "pyproject.toml", 13),
    }
    for res in run["results"]:
        assert run["tool"]["driver"]["rules"][res["ruleIndex"]]["id"] == res["ruleId"]


def test_an_empty_sarif_run_is_valid_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "requirements.txt").write_text("numpy\n")
    from torchsmith.lint import lint_paths, render

    document = json.loads(render(lint_paths([Path()]), "sarif"))
    jsonschema.Draft4Validator(json.loads(SCHEMA.read_text(encoding="utf-8"))).validate(document)
    assert document["runs"][0]["results"] == []


def test_gitlab_code_quality_report(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out = _run(["lint", "--output-format", "gitlab"], capsys)
    issues = json.loads(out)
    assert len(issues) == 4
    assert len({i["fingerprint"] for i in issues}) == 4
    for issue in issues:
        assert set(issue) == {"description", "check_name", "fingerprint", "severity", "location"}
        assert issue["severity"] in ("info", "minor", "major", "critical", "blocker")
        assert set(issue["location"]) == {"path", "lines"} and issue["location"]["lines"]["begin"] >= 1
    assert {(i["check_name"], i["severity"]) for i in issues} == {
        ("companion-version-mismatch", "major"),
        ("pytorch-index-as-default", "minor"),
        ("uv-source-without-platform-marker", "major"),
    }


def test_junit_xml(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out = _run(["lint", "--output-format", "junit"], capsys)
    root = ElementTree.fromstring(out)
    assert root.tag == "testsuites" and root.get("failures") == "4"
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert set(suites) == {"pyproject.toml", "requirements.txt"}
    cases = [c.get("name") for c in suites["requirements.txt"].iter("testcase")]
    assert cases == ["torchsmith.pytorch-index-as-default", "torchsmith.companion-version-mismatch"]
    failure = next(suites["requirements.txt"].iter("failure"))
    assert failure.text is not None and failure.text.startswith("line 1, col 1, ")


def test_json_lines_one_finding_per_line(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out = _run(["lint", "--output-format", "json-lines"], capsys)
    items = [json.loads(line) for line in out.splitlines()]
    assert [(i["location"]["path"], i["rule"], i["fixable"]) for i in items] == [
        ("pyproject.toml", "uv-source-without-platform-marker", True),
        ("pyproject.toml", "uv-source-without-platform-marker", True),
        ("requirements.txt", "pytorch-index-as-default", False),
        ("requirements.txt", "companion-version-mismatch", False),
    ]


def test_concise_lines_show_severity_and_the_fixable_mark(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out = _run(
        [
            "lint",
            "--format",
            "concise",
            "--select",
            "pytorch-index-as-default,uv-source-without-platform-marker",
        ],
        capsys,
    )
    lines = out.splitlines()
    assert lines[0].startswith("pyproject.toml:11:10: uv-source-without-platform-marker [*] error: `torch` ")
    assert lines[2].startswith("requirements.txt:1:1: pytorch-index-as-default warning: `--index-url` ")
    assert lines[-2:] == ["found 3 problems (2 errors, 1 warning) in 2 files", "[*] 2 fixable with `--fix`"]


def test_colour_only_when_asked_or_on_a_terminal(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, plain = _run(["lint", "--output-format", "concise"], capsys)
    assert "\x1b[" not in plain  # captured output is not a terminal
    monkeypatch.setenv("FORCE_COLOR", "1")
    _, coloured = _run(["lint", "--output-format", "concise"], capsys)
    assert "\x1b[31muv-source-without-platform-marker\x1b[0m" in coloured
    _, sarif = _run(["lint", "--output-format", "sarif"], capsys)
    assert "\x1b[" not in sarif


def test_exit_zero_and_fail_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "requirements.txt").write_text(
        "--extra-index-url https://download.pytorch.org/whl/cpu\ntorch\n"
    )
    (tmp_path / "pip.conf").write_text("[global]\nindex-url = https://download.pytorch.org/whl/cpu\n")
    assert main(["lint"]) == 0  # only a warning: below the default --fail-on error
    assert main(["lint", "--fail-on", "warning"]) == 1
    assert main(["lint", "--fail-on", "warning", "--exit-zero"]) == 0
    (tmp_path / "requirements.txt").write_text("torch==2.5.1\ntorchvision==0.21.0\n")
    assert main(["lint"]) == 1
    assert main(["lint", "--exit-zero"]) == 0
    capsys.readouterr()


def test_diff_prints_a_patch_and_writes_nothing(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = (project / "pyproject.toml").read_text()
    code, out = _run(["lint", "--diff"], capsys)
    assert code == 1
    assert (project / "pyproject.toml").read_text() == before
    assert out.startswith("--- a/pyproject.toml\n+++ b/pyproject.toml\n")
    assert '+torch = [{ index = "pytorch-cu128", marker = "platform_system != \'Darwin\'"}]' in out
