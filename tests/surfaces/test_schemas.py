"""Every command's `--json` document carries `schema_version` and validates against docs/schemas/.

The documents are real outputs of `main([...])` (fake machine roots, the local index, real uv), validated
with the `jsonschema` library against the schemas users are pointed at; a schema that drifted from the
output, or an output that lost `schema_version`, fails here.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.install.test_install import ROOT as CPU_ROOT
from tests.install.test_install import InstallIndex, install_index, uv_env  # noqa: F401 - fixtures
from tests.support.fixtures import LocalIndex
from torchsmith.cli import SCHEMA_VERSION, main

REPO = Path(__file__).resolve().parents[2]
SCHEMAS = REPO / "docs" / "schemas"
MACHINES = REPO / "tests" / "machines"


def validated(name: str, out: str) -> dict[str, Any]:
    document = json.loads(out)
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(document)
    assert document["schema_version"] == SCHEMA_VERSION == 1
    assert next(iter(document)) == "schema_version"  # first key: visible at a glance
    return dict(document)


def run(capsys: pytest.CaptureFixture[str], *argv: str, code: int = 0) -> str:
    assert main(list(argv)) == code, capsys.readouterr()
    return capsys.readouterr().out


def test_every_schema_is_valid_and_named_for_a_command() -> None:
    names = sorted(p.name.removesuffix(".schema.json") for p in SCHEMAS.glob("*.schema.json"))
    assert names == [
        "distro", "doctor", "export", "install", "knowledge-refresh", "lint", "matrix", "plan", "probe",
    ]  # fmt: skip
    for name in names:
        schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["required"][0] == "schema_version"


@pytest.mark.parametrize("machine", ["h100-driver580", "gtx1080-driver580", "cpu-container"])
def test_probe(machine: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    root = MACHINES / machine
    monkeypatch.setenv("PATH", f"{root}/usr/bin:{root}/usr/sbin")
    document = validated("probe", run(capsys, "probe", "--json", "--root", str(root)))
    assert document["os"] == "linux"


def test_probe_document_plans_again_with_its_schema_version(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """`probe --json > m.json; plan --machine m.json`: the added key must not break the round trip."""
    machine = tmp_path / "machine.json"
    machine.write_text(run(capsys, "probe", "--json", "--root", str(MACHINES / "cpu-container")))
    out = run(capsys, "plan", "--machine", str(machine), "--python", "3.11", "--offline", "--json")
    assert validated("plan", out)["backend"] == "cpu"


def test_plan_and_matrix(capsys: pytest.CaptureFixture[str]) -> None:
    machine = str(MACHINES / "h100-driver580" / "expected.json")
    plan = validated("plan", run(capsys, "plan", "torch==2.9.1", "--machine", machine, "--python", "3.12",
                                 "--offline", "--json"))  # fmt: skip
    assert plan["backend"] == "cu130"
    assert validated("matrix", run(capsys, "matrix", "--json"))["rows"]
    assert validated("matrix", run(capsys, "matrix", "2.5", "--json"))["rows"][0]["torch"] == "2.5.1"


def test_doctor(capsys: pytest.CaptureFixture[str]) -> None:
    root = str(MACHINES / "cpu-container")
    code = main(["doctor", "--python", sys.executable, "--no-device-test", "--root", root, "--json", "-q"])
    document = validated("doctor", capsys.readouterr().out)
    assert code == (0 if document["healthy"] else 1)


def test_export_and_lint(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "pyproject.toml"
    target.write_text('[project]\nname = "demo"\nversion = "0"\ndependencies = ["torch"]\n')
    out = run(capsys, "export", "uv", "torch", "--targets", "linux-cu126,macos", "-o", str(target),
              "--offline", "--json")  # fmt: skip
    assert validated("export", out)["files"][0]["changed"] is True
    out = run(capsys, "export", "docker", "torch", "--targets", "linux-cpu", "-o",
              str(tmp_path / "Dockerfile"), "--offline", "--json")  # fmt: skip
    validated("export", out)
    lint = validated("lint", run(capsys, "lint", str(target), "--json"))
    assert lint["exit_code"] == 0
    broken = tmp_path / "broken" / "requirements.txt"
    broken.parent.mkdir()
    broken.write_text("--index-url https://download.pytorch.org/whl/cu126\ntorch\n")
    lint = validated("lint", run(capsys, "lint", str(broken.parent), "--json"))
    assert [f["severity"] for f in lint["findings"]] == ["warning"]


def test_knowledge_refresh(
    capsys: pytest.CaptureFixture[str], local_index: LocalIndex, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("TORCHSMITH_CACHE_DIR", str(tmp_path))
    out = run(capsys, "knowledge", "refresh", "--index-base", local_index.base, "--json", "-q")
    assert "cpu" in validated("knowledge-refresh", out)["backends"]


def test_distro(capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    validated("distro", run(capsys, "distro", "init", "--json"))
    validated("distro", run(capsys, "distro", "matrix", "--json"))


@pytest.mark.slow
def test_install(
    install_index: InstallIndex,  # noqa: F811 - the fixture imported above
    uv_env: None,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for key, value in install_index.env.items():
        monkeypatch.setenv(key, value)
    root = str(CPU_ROOT)
    out = run(capsys, "install", "torch", "--venv", str(tmp_path / "venv"), "--root", root, "--json", "-q")
    document = validated("install", out)
    assert document["verification"]["healthy"] is True
    dry = run(capsys, "install", "torch", "--venv", str(tmp_path / "v2"), "--root", root, "--dry-run",
              "--json", "-q")  # fmt: skip
    validated("install", dry)
