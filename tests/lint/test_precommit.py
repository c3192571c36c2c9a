"""The pre-commit hooks of .pre-commit-hooks.yaml: `files:` matches exactly what `lint .` discovers, and both
hooks run under the real `pre-commit` against a temporary git repository.

The hooks file declares `language: python` (pre-commit installs torchsmith into a hook environment from
the repository). That install needs the network for torchsmith's dependencies, which tests may not use,
so the run test copies each hook's `entry`, `files` and `pass_filenames` into a `repo: local` config
with `language: system` (renamed `unsupported` in pre-commit 4.4, `system` still accepted), which runs
the `torchsmith` already installed here: what is tested is the hook definition, not pip.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from torchsmith.lint.discover import kind_of

ROOT = Path(__file__).parents[2]
HOOKS: list[dict[str, Any]] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
BY_ID = {hook["id"]: hook for hook in HOOKS}

DISCOVERED = [
    "pyproject.toml",
    "sub/pkg/pyproject.toml",
    "pixi.toml",
    "uv.toml",
    "pip.conf",
    "deploy/pip.ini",
    ".condarc",
    "environment.yml",
    "environment.yaml",
    "environment-gpu.yml",
    "envs/environment_cpu.yaml",
    "Environment.YML",
    "cuda.environment.yml",
    "conda.yaml",
    "conda-linux.yml",
    "ci/test-env.yml",
    "gpu-env.yaml",
    "requirements.txt",
    "requirements-dev.txt",
    "dev-requirements.txt",
    "docker/requirements_gpu.txt",
    "Requirements.txt",
    "requirements.in",
    "requirements/base.txt",
    "requirements/base.in",
    "requirements/pytorch/test.txt",
    "src/requirements/extra.txt",
    "constraints.txt",
    "constraints-cu124.txt",
]
NOT_DISCOVERED = [
    "README.md",
    "setup.cfg",
    "pyproject.toml.bak",
    "my-pyproject.toml",
    "environment.json",
    "env.yml",
    "notes.txt",
    "docs/requirements.md",
    "requirements/README.md",
    "requirementsfile",
    "other-constraints.txt",
    "pixi.lock",
    "uv.lock",
    "condarc",
    ".github/workflows/ci.yml",
    "anaconda.yml",
]


@pytest.mark.parametrize("path", DISCOVERED + NOT_DISCOVERED)
def test_files_pattern_matches_exactly_the_discovered_names(path: str) -> None:
    pattern = re.compile(BY_ID["torchsmith-lint"]["files"])
    assert bool(pattern.search(path)) == (kind_of(Path(path)) is not None)
    assert (path in DISCOVERED) == (kind_of(Path(path)) is not None)


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, timeout=60)


def _local_config(export_args: list[str]) -> str:
    hooks = []
    for hook in HOOKS:
        local = {k: v for k, v in hook.items() if k in ("id", "name", "entry", "files", "pass_filenames")}
        local["language"] = "system"
        if hook["id"] == "torchsmith-export-check":
            local["args"] = export_args
        hooks.append(local)
    return yaml.safe_dump({"repos": [{"repo": "local", "hooks": hooks}]}, sort_keys=False)


def _pre_commit(repo: Path, home: Path) -> subprocess.CompletedProcess[str]:
    script = shutil.which("torchsmith") or str(Path(sys.executable).parent / "torchsmith")
    env = dict(os.environ)
    env["PRE_COMMIT_HOME"] = str(home)
    env["PATH"] = f"{Path(script).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["TORCHSMITH_OFFLINE"] = "1"
    env.pop("NO_COLOR", None)
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--all-files", "--verbose", "--color", "never"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )


@pytest.mark.slow
def test_both_hooks_run_under_real_pre_commit(tmp_path: Path) -> None:
    pytest.importorskip("pre_commit")
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    _git(repo, "config", "user.email", "t@example.com")
    _git(repo, "config", "user.name", "t")
    export = ["pip", "torch", "--targets", "linux-cpu", "-o", "requirements-torch.txt", "--offline"]
    (repo / ".pre-commit-config.yaml").write_text(_local_config(export))
    (repo / "docs").mkdir()
    (repo / "docs" / "notes.txt").write_text("-i http://example.org/simple\n")  # not a config: not linted
    (repo / "requirements.txt").write_text("torch==2.5.1\ntorchvision==0.21.0\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "TORCHSMITH_OFFLINE": "1"}
    subprocess.run(
        [sys.executable, "-m", "torchsmith", "export", *export],
        cwd=repo,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    _git(repo, "add", "-A")
    home = tmp_path / "pre-commit-home"

    failed = _pre_commit(repo, home)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "requirements.txt:2:1: companion-version-mismatch" in failed.stdout
    assert "notes.txt" not in failed.stdout
    assert re.search(r"torchsmith export --check\.+Passed", failed.stdout), failed.stdout

    (repo / "requirements.txt").write_text("torch==2.5.1\ntorchvision==0.20.1\n")
    (repo / "requirements-torch.txt").write_text(
        (repo / "requirements-torch.txt").read_text().replace("# <<<", "numpy\n# <<<")
    )
    _git(repo, "add", "-A")
    second = _pre_commit(repo, home)
    assert second.returncode == 1
    assert re.search(r"torchsmith lint\.+Passed", second.stdout), second.stdout
    assert re.search(r"torchsmith export --check\.+Failed", second.stdout), second.stdout
