"""The installer's command line: what a user would type for the same pins, and nothing a value can turn into
an option. Checked against the real uv: `uv pip install --help` documents `--python`, `--offline` and
`--dry-run`, and clap (uv's argument parser) reads everything after `--` as positional requirements
(https://docs.rs/clap/latest/clap/_derive/index.html, "--" ends options); pip's optparse does the same
(https://docs.python.org/3/library/optparse.html, "--" ends option processing).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from torchsmith.index.settings import IndexSettings
from torchsmith.install import _installer_command
from torchsmith.target import TargetPython, find_uv

PIN = "torch @ http://127.0.0.1:1/whl/cpu/torch-2.13.0%2Bcpu-cp311-cp311-linux_x86_64.whl#sha256=" + "a" * 64
TARGET = TargetPython("/venv/bin/python", "3.11.7", "cp311", "/venv")


def _settings(tmp_path: Path, **env: str) -> IndexSettings:
    return IndexSettings.from_env({"TORCHSMITH_CACHE_DIR": str(tmp_path), **env})


def test_uv_gets_exactly_the_raw_call(tmp_path: Path) -> None:
    # the raw call the benchmark compares with: `uv pip install --python PY 'torch @ URL#sha256=...'`
    command = _installer_command("uv", TARGET, [PIN], _settings(tmp_path), dry_run=False)
    assert command == [find_uv(), "pip", "install", "--python", "/venv/bin/python", "--", PIN]


def test_offline_dry_run_and_extra_flags_come_before_the_requirements(tmp_path: Path) -> None:
    settings = _settings(tmp_path, TORCHSMITH_OFFLINE="1")
    extra = ["--extra-index-url", "http://127.0.0.1:1/whl/cu126"]
    command = _installer_command("uv", TARGET, [PIN, "filelock"], settings, dry_run=True, extra=extra)
    assert command[5:] == ["--offline", *extra, "--dry-run", "--", PIN, "filelock"]
    pip = _installer_command("pip", TARGET, [PIN], _settings(tmp_path), dry_run=False)
    assert pip == ["/venv/bin/python", "-m", "pip", "install", "--disable-pip-version-check", "--", PIN]


def test_a_requirement_that_looks_like_an_option_stays_a_requirement(tmp_path: Path) -> None:
    """Run by the real uv: after `--`, `--index-url=...` is refused as a requirement, never obeyed."""
    venv = tmp_path / "venv"
    subprocess.run([find_uv(), "venv", str(venv), "--quiet", "--python", sys.executable], check=True)
    target = TargetPython(str(venv / "bin" / "python"), "3.11.7", "cp311", str(venv))
    settings = _settings(tmp_path, TORCHSMITH_OFFLINE="1")
    command = _installer_command("uv", target, ["--index-url=http://evil.invalid/"], settings, dry_run=True)
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode != 0
    # uv's words for a requirement it cannot read (as an option, it would have been taken silently)
    assert "Failed to parse: `--index-url=http://evil.invalid/`" in done.stderr


def test_importing_install_loads_only_what_every_install_uses() -> None:
    """What only some installs need (the plan, the restore record, a scratch folder, the doctor) is
    imported where it is used, so `import torchsmith.install` stays cheap for every command that reaches it
    (issue 17: each module is start-up time paid before uv starts)."""

    def modules(statement: str) -> set[str]:
        code = f"import sys; {statement}; print('\\n'.join(sorted(sys.modules)))"
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        return set(done.stdout.split())

    # less what the interpreter loads by itself (a site `.pth` hook may import tempfile, for one)
    loaded = modules("import torchsmith.install") - modules("pass")
    assert "torchsmith.install" in loaded
    lazy = {"torchsmith.planning.plan", "torchsmith.planning.commands", "torchsmith.planning.model",
            "torchsmith.restore_record", "torchsmith.doctor", "torchsmith.machine", "torchsmith.children",
            "tempfile", "datetime", "uv"}  # fmt: skip
    assert loaded & lazy == set()
