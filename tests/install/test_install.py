"""`torchsmith install` end to end: real uv and pip, a real HTTP index on 127.0.0.1, real venvs.

The index holds torch builds whose `torch` package is the doctor tests' fake torch (it imports, reports its
build and runs a "matmul"), so the verification after installing is the real doctor on a real interpreter.
The machine is the probed `cpu-container` fixture, so the plan and the verification both expect a CPU build.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.doctor.fakes import fake_torch_source
from tests.support.catalog import Catalog
from tests.support.fixtures import LocalIndex
from tests.support.index_tree import build_index, files_dir
from tests.support.server import serve
from tests.support.wheels import make_wheel
from torchsmith.cli import main
from torchsmith.errors import InstallError
from torchsmith.index.settings import IndexSettings
from torchsmith.install import install, restore
from torchsmith.target import TargetPython, installed_family, resolve_target

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

ROOT = Path(__file__).resolve().parent.parent / "machines" / "cpu-container"
PY = f"cp{sys.version_info[0]}{sys.version_info[1]}"
BROKEN_IMPORT = "libtorch_cpu.so: cannot open shared object file"
TORCH_WHEEL = f"torch-2.13.0+cpu-{PY}-{PY}-manylinux_2_28_x86_64.whl"


@dataclass(frozen=True)
class InstallIndex:
    index: LocalIndex
    env: dict[str, str]

    def settings(self, cache: Path) -> IndexSettings:
        return IndexSettings.from_env({**self.env, "TORCHSMITH_CACHE_DIR": str(cache)})


def _torch(dest: Path, version: str, **config: object) -> Path:
    source = fake_torch_source(version=version, **config)
    return make_wheel(dest, "torch", version, PY, PY, "manylinux_2_28_x86_64",
                      requires_dist=["filelock"], files={"torch/__init__.py": source})  # fmt: skip


@pytest.fixture(scope="module")
def install_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InstallIndex]:
    root = tmp_path_factory.mktemp("install-index")
    cpu, pypi = files_dir(root, "cpu"), files_dir(root, "pypi")
    wheels = [
        ("cpu", _torch(cpu, "2.13.0+cpu")),
        ("cpu", _torch(cpu, "2.11.0+cpu")),
        ("cpu", _torch(cpu, "2.12.0+cpu", import_error=("OSError", BROKEN_IMPORT))),
        ("cpu", make_wheel(cpu, "torchvision", "0.28.0+cpu", PY, PY, "manylinux_2_28_x86_64",
                           requires_dist=["torch==2.13.0"])),
        ("pypi", make_wheel(pypi, "filelock", "3.16.1", "py3", "none", "any")),
    ]  # fmt: skip
    build_index(root, wheels)
    with serve(root) as url:
        index = LocalIndex(url=url, root=root, catalog=Catalog(wheels=()))
        yield InstallIndex(index, {"TORCHSMITH_INDEX_URL": index.base, "UV_INDEX_URL": index.pypi})


@pytest.fixture
def uv_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, install_index: InstallIndex) -> None:
    """The installers see only the local index and private caches."""
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv-cache"))
    monkeypatch.setenv("UV_NO_CONFIG", "1")
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_NO_CACHE_DIR", "1")
    monkeypatch.delenv("PIP_FIND_LINKS", raising=False)
    monkeypatch.setenv("PATH", f"{ROOT}/usr/bin:{os.environ['PATH']}")


def versions(python: str | TargetPython) -> dict[str, str]:
    target = python if isinstance(python, TargetPython) else resolve_target(python, None)
    return {d.name: d.version for d in installed_family(target)}


def test_install_into_a_new_venv_and_verify(
    install_index: InstallIndex, tmp_path: Path, uv_env: None
) -> None:
    venv = tmp_path / "venv"
    result = install(["torch", "torchvision"], venv=str(venv), root=ROOT,
                     settings=install_index.settings(tmp_path / "cache"))  # fmt: skip
    assert result.exit_code == 0, result.summary()
    assert result.plan is not None and result.plan.backend == "cpu"
    assert {d.name: d.version for d in result.after} == {"torch": "2.13.0+cpu", "torchvision": "0.28.0+cpu"}
    assert result.before == ()
    assert result.verification is not None and result.verification.healthy
    assert result.restore_file is not None
    assert json.loads(result.restore_file.read_text())["packages"] == []


def test_existing_venv_upgrade_then_restore(
    install_index: InstallIndex, tmp_path: Path, uv_env: None
) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    settings = install_index.settings(tmp_path / "cache")
    first = install(["torch==2.11.*"], venv=str(venv), installer="pip", root=ROOT, settings=settings)
    assert {d.name: d.version for d in first.after} == {"torch": "2.11.0+cpu"}

    second = install(["torch", "torchvision"], venv=str(venv), root=ROOT, settings=settings)
    assert {d.name: d.version for d in second.after} == {"torch": "2.13.0+cpu", "torchvision": "0.28.0+cpu"}
    assert second.restore_file is not None
    recorded = json.loads(second.restore_file.read_text())["packages"]
    assert [(p["name"], p["version"]) for p in recorded] == [("torch", "2.11.0+cpu")]

    back = restore(second.restore_file, venv=str(venv), settings=settings)
    assert {d.name: d.version for d in back.after} == {"torch": "2.11.0+cpu"}


def test_hash_mismatch_is_refused(install_index: InstallIndex, tmp_path: Path, uv_env: None) -> None:
    venv = tmp_path / "venv"
    with install_index.index.faults({"path": f"/whl/cpu/{TORCH_WHEEL}", "fault": "corrupt"}), \
            pytest.raises(InstallError) as raised:  # fmt: skip
        install(["torch"], venv=str(venv), root=ROOT, settings=install_index.settings(tmp_path / "cache"))
    message = str(raised.value)
    assert "uv failed" in message and "Hash mismatch for `torch @" in message
    assert message.endswith("; the environment is unchanged")
    assert raised.value.hint is not None and "torchsmith install --restore" in raised.value.hint
    assert versions(str(venv / "bin" / "python")) == {}


def test_server_dying_mid_download(install_index: InstallIndex, tmp_path: Path, uv_env: None) -> None:
    venv = tmp_path / "venv"
    path = f"/whl/cpu/{TORCH_WHEEL}"
    with install_index.index.faults({"path": path, "fault": "die-after-bytes", "arg": 200}), \
            pytest.raises(InstallError) as raised:  # fmt: skip
        install(["torch"], venv=str(venv), root=ROOT, settings=install_index.settings(tmp_path / "cache"))
    assert "the environment is unchanged" in str(raised.value)
    assert versions(str(venv / "bin" / "python")) == {}


def test_failed_verification_exits_1_and_says_how_to_go_back(
    install_index: InstallIndex, tmp_path: Path, uv_env: None
) -> None:
    venv = tmp_path / "venv"
    result = install(["torch==2.12.*"], venv=str(venv), root=ROOT,
                     settings=install_index.settings(tmp_path / "cache"))  # fmt: skip
    assert result.exit_code == 1
    assert [f.rule for f in result.verification.findings if f.severity == "error"] == ["torch-import-error"]
    assert f"torchsmith install --restore {result.restore_file}" in result.summary()


def test_dry_run_changes_nothing(install_index: InstallIndex, tmp_path: Path, uv_env: None) -> None:
    venv = tmp_path / "venv"
    result = install(["torch"], venv=str(venv), root=ROOT, dry_run=True,
                     settings=install_index.settings(tmp_path / "cache"))  # fmt: skip
    assert result.dry_run and result.after == ()
    # --dry-run changes nothing on disk but the cache: no venv, no restore file
    assert not venv.exists()
    assert result.restore_file is None
    assert not (tmp_path / "cache" / "restore").exists()


def test_cli_install_json(
    install_index: InstallIndex, tmp_path: Path, uv_env: None, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    for key, value in install_index.env.items():
        monkeypatch.setenv(key, value)
    venv = tmp_path / "venv"
    code = main(["-q", "install", "torch", "--venv", str(venv), "--root", str(ROOT), "--json"])
    document = json.loads(capsys.readouterr().out)
    assert code == 0
    assert [(d["name"], d["version"]) for d in document["after"]] == [("torch", "2.13.0+cpu")]
    assert document["verification"]["healthy"] is True
    assert document["plan"]["packages"][0]["sha256"]


class RecordingReporter:
    """Keeps what the library reports, in order."""

    def __init__(self) -> None:
        self.events: list[str] = []

    def step(self, message: str) -> None:
        self.events.append(f"step: {message}")

    def line(self, text: str) -> None:
        self.events.append(f"line: {text}")

    def warn(self, message: str) -> None:
        self.events.append(f"warn: {message}")


def test_the_plan_is_reported_before_anything_is_installed(
    install_index: InstallIndex, tmp_path: Path, uv_env: None
) -> None:
    reporter = RecordingReporter()
    install(["torch"], venv=str(tmp_path / "venv"), root=ROOT, verify=False, reporter=reporter,
            settings=install_index.settings(tmp_path / "cache"))  # fmt: skip
    events = reporter.events
    plan_at = events.index(f"step: torch 2.13.0+cpu from {install_index.index.base}/cpu")
    why_at = next(i for i, e in enumerate(events) if e.startswith("line:   why: torch 2.13.0 is the newest"))
    uv_at = next(i for i, e in enumerate(events) if e.startswith("step: ") and " pip install " in e)
    assert plan_at < why_at < uv_at
    assert any(e.startswith("line: ") and "+ torch==2.13.0+cpu" in e for e in events[uv_at:])
