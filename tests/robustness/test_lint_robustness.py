"""`torchsmith lint` on hostile trees: FIFOs, unreadable folders, dangling links, huge and non-UTF-8 files,
and a disk that fails mid-`--fix`. Nothing hangs, nothing is exit 3, the rest of the run goes on, and a
failed write leaves the original byte for byte (all writes go through `torchsmith.fileio`).

The CLI cases run `python -m torchsmith` as a child with a timeout, so a hang fails the test instead of
blocking the suite.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

from torchsmith.lint import lint_paths

ROOT = Path(__file__).parents[2]
TRAP = "torch==2.5.1\ntorchvision==0.21.0\n"
needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")


def _cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run(
        [sys.executable, "-m", "torchsmith", "lint", "--output-format", "concise", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@needs_fifo
def test_a_fifo_named_like_a_config_is_reported_not_read(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "requirements-dev.txt")
    (tmp_path / "requirements.txt").write_text(TRAP)
    done = _cli(tmp_path, ".")
    assert done.returncode == 1, done.stderr
    assert done.stdout.splitlines()[:2] == [
        "requirements-dev.txt:1:1: io-error error: cannot read config file: it is a FIFO (named pipe)",
        "requirements.txt:2:1: companion-version-mismatch error: `torchvision==0.21.0` cannot be installed "
        "with `torch==2.5.1`: torch 2.5.1 pairs only with torchvision 0.20.1",
    ]


@needs_fifo
def test_a_fifo_named_on_the_command_line_or_included_does_not_hang(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.txt")
    (tmp_path / "requirements.txt").write_text("-r pipe.txt\ntorch\n")
    done = _cli(tmp_path, "pipe.txt", "requirements.txt")
    assert done.returncode == 1, done.stderr
    assert "pipe.txt:1:1: io-error error: cannot read config file: it is a FIFO" in done.stdout
    assert (
        "requirements.txt:1:1: io-error error: `pipe.txt` cannot be included: cannot read requirements "
        in (done.stdout)
    )


def test_a_folder_that_cannot_be_listed_is_a_finding_and_the_walk_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "requirements.txt").write_text(TRAP)
    (tmp_path / "requirements.txt").write_text(TRAP)
    real = os.scandir

    def scandir(path: object) -> object:  # root ignores chmod 000, so refuse the folder here
        if Path(str(path)).name == "locked":
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.chdir(tmp_path)
    found = [(f.location.path, f.rule, f.message) for f in lint_paths([Path()]).findings if f.location]
    assert found[0] == ("locked", "io-error", "cannot list folder: permission denied")
    assert found[1][:2] == ("requirements.txt", "companion-version-mismatch")


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads chmod-000 files")
def test_an_unreadable_file_is_a_finding(tmp_path: Path) -> None:
    secret = tmp_path / "requirements-secret.txt"
    secret.write_text(TRAP)
    secret.chmod(0)
    (tmp_path / "requirements.txt").write_text(TRAP)
    done = _cli(tmp_path, ".")
    assert (
        "requirements-secret.txt:1:1: io-error error: cannot read config file: permission denied"
        in done.stdout
    )
    assert "requirements.txt:2:1: companion-version-mismatch" in done.stdout


def test_dangling_links_and_oversized_files_are_findings(tmp_path: Path) -> None:
    (tmp_path / "requirements-old.txt").symlink_to(tmp_path / "gone.txt")
    with (tmp_path / "constraints.txt").open("wb") as handle:
        handle.truncate(17 * 1024 * 1024)  # sparse: over the 16 MiB cap without using the disk
    done = _cli(tmp_path, ".")
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith(
        "constraints.txt:1:1: io-error error: cannot read config file: it is 17825792 bytes"
    )
    assert (
        lines[1]
        == "requirements-old.txt:1:1: io-error error: cannot read config file: no such file or directory"
    )


def test_non_utf8_is_a_parse_finding_never_exit_3(tmp_path: Path) -> None:
    # "torch==2.5.1\n" is bytes 0-12, "numpy # caf" 13-23: 0xe9 is byte 24, column 12 of line 2
    (tmp_path / "requirements.txt").write_bytes(b"torch==2.5.1\nnumpy # caf\xe9\n")
    (tmp_path / "environment.yml").write_bytes(b"\xff\xfename: x\n")
    done = _cli(tmp_path, ".")
    assert done.returncode == 1, done.stderr
    assert done.stdout.splitlines()[:2] == [
        "environment.yml:1:1: parse-error error: the file is not UTF-8 text (byte 0xff at offset 0)",
        "requirements.txt:2:12: parse-error error: the file is not UTF-8 text (byte 0xe9 at offset 24)",
    ]


def test_a_utf8_bom_is_read_and_kept_by_fix(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    text = (
        '[project]\nname = "p"\nversion = "0"\ndependencies = ["torch"]\n'
        '[tool.uv.sources]\ntorch = { index = "pt" }\n'
        '[[tool.uv.index]]\nname = "pt"\nurl = "https://download.pytorch.org/whl/cpu"\n'
    )
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    result = lint_paths([path], fix=True)
    assert [f.rule for f in result.findings] == []
    assert path.read_bytes() == b"\xef\xbb\xbf" + (text + "explicit = true\n").encode()


def test_a_failed_fix_write_leaves_the_original_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from torchsmith.cli import main

    path = tmp_path / "pyproject.toml"
    text = (
        '[project]\nname = "p"\nversion = "0"\ndependencies = ["torch"]\n'
        '[tool.uv.sources]\ntorch = { index = "pt" }\n'
        '[[tool.uv.index]]\nname = "pt"\nurl = "https://download.pytorch.org/whl/cpu"\n'
    )
    path.write_text(text)

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    monkeypatch.chdir(tmp_path)
    assert main(["lint", "--fix"]) == 2
    assert "pyproject.toml`: no space left on device; the original is unchanged" in (capsys.readouterr().err)
    assert path.read_text() == text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pyproject.toml"]
