"""Hostile and malformed command-line input, and an environment that is not what it should be.

Hostile requirements (`torch; rm -rf /`, `--index-url=http://evil` after `--`, shell text) are refused as
invalid requirements before anything is created or inspected; bad numbers for `--timeout` are usage
errors; a `TORCHSMITH_CACHE_DIR` that names a file never produces a traceback. Every case: an allowed
exit code, no traceback, the input named, and the working folder unchanged.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.robustness.cli_case import MACHINES, assert_handled, checksums, recording_python, run_main

ROOT = str(MACHINES / "cpu-container")

HOSTILE = [
    "torch; rm -rf /",
    "torch; os_name == 'posix' and $(id)",
    "$(touch pwned)",
    "`id`",
    "torch && curl evil",
    "torch|sh",
    "torch==banana",
    "torch @ http://evil/torch.whl",
    "torch @ file:///etc/passwd",
    "-r/etc/passwd",
    "--index-url=http://evil",
    "--extra-index-url=http://evil",
    "torch\n--index-url http://evil",
    "",
    " ",
]
COMMANDS = {
    "plan": ["plan", "--offline", "--root", ROOT],
    "install-dry-run": ["install", "--dry-run", "--offline", "--root", ROOT],
    "export": ["export", "uv", "--offline", "--targets", "linux-cpu"],
}


@pytest.fixture(autouse=True)
def _in_tmp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TORCHSMITH_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("requirement", HOSTILE, ids=[f"req{i}" for i in range(len(HOSTILE))])
def test_hostile_requirement(
    requirement: str, command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = checksums([tmp_path])
    outcome = run_main([*COMMANDS[command], "--", requirement], capsys)
    assert_handled(outcome, codes={2})
    assert "requirement" in outcome.err or "URL" in outcome.err or requirement.strip() in outcome.err
    assert checksums([tmp_path]) == before
    assert "planning for" not in outcome.err  # refused before any interpreter was inspected


def test_hostile_requirement_never_reaches_the_target(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    python, log = recording_python(tmp_path / "env")
    outcome = run_main(["install", "--python", str(python), "--root", ROOT, "--", "torch; rm -rf /"], capsys)
    assert_handled(outcome, codes={2}, names=["torch; rm -rf /"])
    assert not log.exists()


BAD_SECONDS = ["-1", "0", "nan", "inf", "-inf", "abc", "", "1e309", "0x10"]


@pytest.mark.parametrize("command", ["doctor", "install"])
@pytest.mark.parametrize("value", BAD_SECONDS)
def test_bad_timeout(value: str, command: str, capsys: pytest.CaptureFixture[str]) -> None:
    outcome = run_main([command, "--timeout", value], capsys)
    assert_handled(outcome, codes={2}, names=["--timeout"])


def _cache_is_a_file(tmp: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp / "cache-file"
    cache.write_text("not a folder")
    monkeypatch.setenv("TORCHSMITH_CACHE_DIR", str(cache))
    return cache


CACHE_COMMANDS = {
    "plan": ["plan", "--offline", "--root", ROOT],
    "export": ["export", "uv", "--offline", "--targets", "linux-cpu", "-o", "out.toml"],
    "matrix": ["matrix"],
    "knowledge-refresh-offline": ["knowledge", "refresh", "--offline"],
    "install-restore": ["install", "--restore", "missing.json"],
    "doctor": ["doctor", "--no-device-test", "--root", ROOT],
}


@pytest.mark.parametrize("command", sorted(CACHE_COMMANDS))
def test_cache_dir_naming_a_file(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = _cache_is_a_file(tmp_path, monkeypatch)
    outcome = run_main(CACHE_COMMANDS[command], capsys)
    assert_handled(outcome, codes={0, 1, 2})
    assert cache.read_text() == "not a folder"


def test_restore_record_cannot_be_written_when_the_cache_is_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The restore record is written before anything changes; failing to write it stops the install."""
    from torchsmith.fileio import UserFileError
    from torchsmith.index.settings import IndexSettings
    from torchsmith.install import _snapshot
    from torchsmith.target import inspect_python

    cache = _cache_is_a_file(tmp_path, monkeypatch)
    settings = IndexSettings.from_env(dict(os.environ))
    target = inspect_python(sys.executable)
    with pytest.raises(UserFileError) as raised:
        _snapshot(target, (), settings)
    assert str(cache) in raised.value.message and "nothing was changed" in raised.value.message
    assert raised.value.hint is not None and "TORCHSMITH_CACHE_DIR" in raised.value.hint


@pytest.mark.parametrize(
    "argv",
    [
        ["install", "--restore", "r.json", "--venv", "v", "--python", "p"],
        ["export", "nonsense"],
        ["export", "uv", "--mode", "sideways"],
        ["export", "pixi", "--source", "ftp"],
        ["install", "--installer", "conda"],
        ["frobnicate"],
        ["plan", "--machine"],
    ],
    ids=["venv-and-python", "tool", "mode-value", "source-value", "installer", "command", "missing-value"],
)
def test_usage_errors(argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outcome = run_main(argv, capsys)
    assert_handled(outcome, codes={2})
    assert list(tmp_path.iterdir()) == []


def _venv_under_a_file(tmp: Path) -> Path:
    (tmp / "plain").write_text("x")
    return tmp / "plain" / "venv"


def _project_folder(tmp: Path) -> Path:
    folder = tmp / "project"
    folder.mkdir()
    (folder / "keep.txt").write_text("mine")
    return folder


@pytest.mark.parametrize(
    "make", [_venv_under_a_file, _project_folder], ids=["under-a-file", "project-folder"]
)
@pytest.mark.parametrize("clear", [False, True], ids=["", "UV_VENV_CLEAR"])
def test_venv_that_cannot_be_created(
    make: object,
    clear: bool,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A `--venv` that is not a venv is never cleared (even with `UV_VENV_CLEAR=1` set) and no half-made
    environment is left behind."""
    if clear:
        monkeypatch.setenv("UV_VENV_CLEAR", "1")
    venv = make(tmp_path)  # type: ignore[operator]
    before = checksums([tmp_path])
    outcome = run_main(["install", "--venv", str(venv), "--offline", "--root", ROOT], capsys)
    assert_handled(outcome, codes={2}, names=[str(venv)])
    assert checksums([tmp_path]) == before
