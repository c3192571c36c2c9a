"""Every command's `--json` document carries `schema_version` and validates against docs/schemas/.

The documents are real outputs of `main([...])` (fake machine roots, the local index, real uv), validated
with the `jsonschema` library against the schemas users are pointed at; a schema that drifted from the
output, or an output that lost `schema_version`, fails here. Each document is also renamed one key at a time,
at every depth: each rename must fail its schema, so a key renamed in the code (or a key the schema forgot
to require) fails here too. distro's schema holds one document per action (`#/$defs/ACTION`); each output
is validated against its own.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.distro.conftest import DistroDir, distro_dir, member  # noqa: F401 - the fixture
from tests.doctor.conftest import torch_venv  # noqa: F401 - the session fixture
from tests.install.test_install import ROOT as CPU_ROOT
from tests.install.test_install import InstallIndex, install_index, uv_env  # noqa: F401 - fixtures
from tests.machines.test_machines import MACHINES as MACHINE_NAMES
from tests.machines.test_machines import probe_json
from tests.support.fixtures import LocalIndex
from tests.support.wheels import make_wheel
from torchsmith.cli import SCHEMA_VERSION, main

REPO = Path(__file__).resolve().parents[2]
SCHEMAS = REPO / "docs" / "schemas"
MACHINES = REPO / "tests" / "machines"


def validated(name: str, out: str, definition: str | None = None) -> dict[str, Any]:
    """`out` parsed and validated against docs/schemas/NAME; with `definition`, also against that one
    action's document (`#/$defs/DEFINITION`), since the distro schema accepts any action's."""
    document = json.loads(out)
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(document)
    if definition is not None:
        jsonschema.Draft202012Validator(action_schema(schema, definition)).validate(document)
    assert document["schema_version"] == SCHEMA_VERSION == 1
    assert next(iter(document)) == "schema_version"  # first key: visible at a glance
    assert_renames_fail(name, document, definition)
    return dict(document)


def action_schema(schema: dict[str, Any], definition: str) -> dict[str, Any]:
    return {"$schema": schema["$schema"], "$defs": schema["$defs"], "$ref": f"#/$defs/{definition}"}


MAPS = {"deps", "proxies", "backends", "manylinux"}
"""Objects keyed by data (member names, variables, platforms), not by the schema: any key is valid."""
NESTED = {"config", "distro", "doctor", "export", "install", "lint", "matrix", "plan", "probe"}
"""The schemas checked at every depth: all but knowledge-refresh, whose nested objects are all maps."""


def renamings(value: Any, is_map: bool = False) -> Iterator[tuple[str, Any]]:
    """(path, a copy of `value` with that one key renamed), for every key of every object in it (the first
    item of each list stands for the others)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not is_map:
                yield key, {(f"{key}_renamed" if k == key else k): v for k, v in value.items()}
            for path, inner in renamings(item, key in MAPS):
                yield f"{key}.{path}", {**value, key: inner}
    elif isinstance(value, list) and value:
        for path, inner in renamings(value[0]):
            yield f"[0].{path}", [inner, *value[1:]]


def assert_renames_fail(name: str, document: dict[str, Any], definition: str | None = None) -> None:
    """The schema is strict enough that renaming a key of a real document fails it: any key for the schemas
    in NESTED, a top-level key for the others."""
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(
        schema if definition is None else action_schema(schema, definition)
    )
    loose = [
        path
        for path, renamed in renamings(document)
        if (name in NESTED or "." not in path) and validator.is_valid(renamed)
    ]
    assert not loose, f"{name} {definition or ''}: renamed, these keys still validate: {loose}"


def run(capsys: pytest.CaptureFixture[str], *argv: str, code: int = 0) -> str:
    assert main(list(argv)) == code, capsys.readouterr()
    return capsys.readouterr().out


def test_every_schema_is_valid_and_named_for_a_command() -> None:
    names = sorted(p.name.removesuffix(".schema.json") for p in SCHEMAS.glob("*.schema.json"))
    assert names == [
        "config", "distro", "doctor", "export", "install", "knowledge-refresh", "lint", "matrix", "plan",
        "probe",
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


@pytest.mark.parametrize("machine", MACHINE_NAMES)
def test_probe_every_fake_machine(machine: str) -> None:
    """Every machine under tests/machines, some of which (macOS, a forced CUDA) need a probe context the
    command line cannot give: the document `probe --json` prints is this one plus `schema_version`."""
    document = validated("probe", json.dumps({"schema_version": SCHEMA_VERSION, **probe_json(machine)}))
    assert document["os"] in ("linux", "macos")


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


@pytest.mark.slow
@pytest.mark.e2e
def test_doctor_on_real_torch(
    torch_venv: Path,  # noqa: F811 - the fixture imported above
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The real torch 2.13.0 CPU build, device test included: the `torch` and `device_tests` sections."""
    root = str(MACHINES / "cpu-container")
    document = validated(
        "doctor", run(capsys, "doctor", "--python", str(torch_venv), "--root", root, "--json", "-q")
    )
    assert document["environment"]["torch"]["version"] == "2.13.0+cpu"
    assert document["environment"]["torch"]["build"] == "cpu"
    assert [t["device"] for t in document["environment"]["device_tests"]] == ["cpu"]


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
    # ruff's spelling of the same document
    assert validated("lint", run(capsys, "lint", str(broken.parent), "--output-format", "json")) == lint


def test_knowledge_refresh(
    capsys: pytest.CaptureFixture[str], local_index: LocalIndex, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("TORCHSMITH_CACHE_DIR", str(tmp_path))
    out = run(capsys, "knowledge", "refresh", "--index-base", local_index.base, "--json", "-q")
    document = validated("knowledge-refresh", out)
    assert "cpu" in document["backends"]


def test_config(capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`config --json` with every section filled: an extra index with credentials in its URL, a proxy with
    credentials, an insecure host, a netrc file; the secrets are masked and the document keeps its shape."""
    netrc = tmp_path / "netrc"
    netrc.write_text("machine index.example.org login bob password netrc-secret\n")
    netrc.chmod(0o600)
    for key, value in {
        "HOME": str(tmp_path),
        "NETRC": str(netrc),
        "TORCHSMITH_CACHE_DIR": str(tmp_path / "cache"),
        "UV_INDEX_URL": "https://index.example.org/simple",
        "UV_EXTRA_INDEX_URL": "https://alice:url-secret@extra.example.org/simple",
        "HTTPS_PROXY": "http://carol:proxy-secret@proxy.example.org:3128",
        "NO_PROXY": "localhost,127.0.0.1",
        "UV_INSECURE_HOST": "extra.example.org",
    }.items():
        monkeypatch.setenv(key, value)
    out = run(capsys, "config", "--json")
    assert "secret" not in out
    document = validated("config", out)
    assert [row["role"] for row in document["indexes"]] == ["pytorch", "jetson", "default", "extra"]
    assert document["netrc"]["hosts"] == ["index.example.org"]
    assert document["tls"]["insecure_hosts"][0]["host"] == "extra.example.org"
    assert list(document["proxies"]) == ["HTTPS_PROXY"]


def test_distro_without_results(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The actions that need only `distro.toml`: the commented one `init` writes, with a matrix that has
    each kind of runner and cells no torch build exists for, which `workflow` prunes: torch 2.9 and later
    publish no cp39 wheels (pytorch/pytorch#161167, revised to drop Python 3.9 from release 2.9;
    pytorch/vision#9239 "Update min version to 3.10 for release 2.9")."""
    monkeypatch.chdir(tmp_path)
    init = validated("distro", run(capsys, "distro", "init", "--json"), "init")
    assert init["written"] is True
    path = Path(init["path"])
    text = path.read_text()
    for old, new in (
        ('backends = ["cpu", "cu126"]', 'backends = ["cpu", "cu126", "rocm6.4", "xpu"]'),
        ('pythons = ["3.11", "3.12"]', 'pythons = ["3.9", "3.11"]'),
    ):
        assert old in text
        text = text.replace(old, new)
    path.write_text(text)
    matrix = validated("distro", run(capsys, "distro", "matrix", "--json"), "matrix")
    github = validated(
        "distro", run(capsys, "distro", "matrix", "--format", "github", "--json"), "matrix-github"
    )
    assert len(matrix["cells"]) == len(github["include"]) == 16
    assert {c["runner"] for c in github["include"]} == {"cpu", "nvidia", "amd", "intel"}
    workflow = validated(
        "distro", run(capsys, "distro", "workflow", "-o", "distro.yml", "--json"), "workflow"
    )
    assert workflow["workflow"] == (tmp_path / "distro.yml").read_text()
    assert {p["cell"] for p in workflow["pruned"]} >= {
        f"torch{t}-{b}-py3.9" for t in ("2.9", "2.11") for b in ("cpu", "cu126", "rocm6.4", "xpu")
    }
    assert all(c.endswith("-py3.11") for c in workflow["cells"])


@pytest.mark.slow
def test_distro_with_results(
    distro_dir: Callable[[], DistroDir],  # noqa: F811 - the fixture imported above
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """affected, bounds, test (tiers 0 and 1), report (`--json` and `--format json`) and promote --mirror,
    on a registry of real wheels with torch served on 127.0.0.1 (tests/distro/conftest.py): alpha and gamma
    are promoted (`required-tier = 0`, no test), ext is skipped in the torch 2.11 cell (it pins
    `torch==2.9.*`) and beta's test makes it need tier 2, so both are blocked; beta's bare `torch` is a
    bound violation."""
    d = distro_dir()
    d.write(
        member("alpha", "alpha-1.0-py3-none-any.whl", test=False)
        + member("ext", "ext-1.0-py3-none-any.whl", "exact-abi", test=False)
        + member("beta", "beta-1.0-py3-none-any.whl")
        + member("gamma", "gamma-1.0-py3-none-any.whl", test=False),
        extra="required-tier = 0",
    )
    env = {
        "TORCHSMITH_INDEX_URL": d.settings.index_base,
        "UV_INDEX_URL": d.settings.default_index,
        "TORCHSMITH_CACHE_DIR": str(d.settings.cache_dir),
        **d.env,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)

    def distro(*argv: str, code: int = 0) -> str:
        return run(capsys, "-q", "distro", *argv, "--distro", str(d.path), code=code)

    tier0 = validated("distro", distro("test", "--tier", "0", "--json"), "test")
    assert tier0["tier"] == 0 and all(c["installed"] == [] for c in tier0["cells"])
    documents = {
        "affected": validated("distro", distro("affected", "alpha", "--json"), "affected"),
        "bounds": validated("distro", distro("bounds", "--json", code=1), "bounds"),
        "test": validated("distro", distro("test", "--tier", "1", "--json"), "test"),
        "report": validated("distro", distro("report", "--json"), "report"),
        "promote": validated("distro", distro("promote", "--mirror", "--json", code=1), "promote"),
    }
    assert documents["affected"]["affected"] == ["alpha", "beta"]
    assert [(m["member"], m["ok"]) for m in documents["bounds"]["members"]] == [
        ("alpha", True), ("ext", True), ("beta", False), ("gamma", True),
    ]  # fmt: skip
    assert [c["cell"]["id"] for c in documents["test"]["cells"]] == [
        "torch2.9-cpu-py3.11", "torch2.11-cpu-py3.11",
    ]  # fmt: skip
    statuses = {o["status"] for c in documents["test"]["cells"] for o in c["outcomes"]}
    assert statuses == {"pass", "skipped"}
    installed = {p["name"] for c in documents["test"]["cells"] for p in c["installed"]}
    assert {"torch", "alpha", "beta", "gamma"} <= installed
    assert documents["promote"]["promoted"] == ["alpha==1.0", "gamma==1.0"]
    assert any(f.startswith("torch-2.9.1+cpu-") for f in documents["promote"]["mirrored"])
    assert [b["member"] for b in documents["promote"]["blocked"]] == ["ext", "beta"]
    # the report in `--format json` is the very document `--json` prints
    assert validated("distro", distro("report", "--format", "json"), "report") == documents["report"]
    # a test run is not a report: the report's own key is required of it
    schema = json.loads((SCHEMAS / "distro.schema.json").read_text())
    report_only = jsonschema.Draft202012Validator(action_schema(schema, "report"))
    assert not report_only.is_valid(documents["test"])


@pytest.mark.slow
def test_distro_failures(
    distro_dir: Callable[[], DistroDir],  # noqa: F811 - the fixture imported above
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The states a tier-2 run can end in, in the same documents: alpha 2.0 renamed `double`, so beta's test
    fails; gamma's test fails once per cell, then passes (flaky); the torch 2.11 cell is given a `+cu126`
    torch build by `[torch-wheels]`, so it errors before anything runs."""
    d = distro_dir()
    wrong = make_wheel(d.root / "torchwheels", "torch", "2.11.0+cu126", "cp311", "cp311", "linux_x86_64")
    d.write(
        member("alpha", "alpha-2.0-py3-none-any.whl")
        + member("beta", "beta-1.0-py3-none-any.whl")
        + member("gamma", "gamma-1.0-py3-none-any.whl"),
        extra=f'\n[torch-wheels]\n"torch2.11-cpu-py3.11" = "{wrong}"\n',
    )
    for key, value in {
        "TORCHSMITH_INDEX_URL": d.settings.index_base,
        "UV_INDEX_URL": d.settings.default_index,
        "TORCHSMITH_CACHE_DIR": str(d.settings.cache_dir),
        **d.env,
    }.items():
        monkeypatch.setenv(key, value)
    out = run(capsys, "-q", "distro", "test", "--tier", "2", "--distro", str(d.path), "--json", code=1)
    test = validated("distro", out, "test")
    ran, errored = test["cells"]
    assert {o["member"]: o["status"] for o in ran["outcomes"]} == {
        "alpha": "pass", "beta": "fail", "gamma": "flaky",
    }  # fmt: skip
    assert errored["error"].startswith("`[torch-wheels]` file") and errored["torch"] is None
    report = validated(
        "distro", run(capsys, "distro", "report", "--distro", str(d.path), "--json", code=1), "report"
    )
    assert not any(p["promotable"] for p in report["promotion"])


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
