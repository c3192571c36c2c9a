"""The one file-writing and user-file-reading path (`torchsmith.fileio`): nothing lost, nothing hangs."""

from __future__ import annotations

import os
import resource
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from torchsmith.fileio import (
    UserFileError,
    atomic_write_bytes,
    atomic_write_text,
    read_user_bytes,
    read_user_text,
)


def test_atomic_write_replaces_content_and_keeps_mode(tmp_path: Path) -> None:
    target = tmp_path / "pyproject.toml"
    target.write_bytes(b"old\r\n")
    target.chmod(0o600)
    atomic_write_text(target, "new\r\n")
    assert target.read_bytes() == b"new\r\n"  # no newline translation
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pyproject.toml"]


def test_atomic_write_new_file_honours_umask(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        atomic_write_bytes(tmp_path / "new.txt", b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o640


def test_full_disk_leaves_original_untouched(tmp_path: Path) -> None:
    """RLIMIT_FSIZE makes the write fail part-way, as a full disk does; the original must survive."""
    target = tmp_path / "pyproject.toml"
    target.write_text("[project]\nname = 'keep-me'\n", encoding="utf-8")
    before = target.read_bytes()
    script = (
        "import resource, signal, sys\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))\n"
        "from torchsmith.fileio import atomic_write_bytes, UserFileError\n"
        "try:\n"
        f"    atomic_write_bytes({str(target)!r}, b'x' * 100000)\n"
        "except UserFileError as e:\n"
        "    print(e.message); print(e.hint); sys.exit(2)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert result.returncode == 2, result.stderr
    assert "original is unchanged" in result.stdout
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pyproject.toml"]
    assert resource.getrlimit(resource.RLIMIT_FSIZE)  # the limit applied only to the child


def test_refuses_directory_and_device_targets(tmp_path: Path) -> None:
    with pytest.raises(UserFileError, match="directory"):
        atomic_write_bytes(tmp_path, b"x")
    with pytest.raises(UserFileError, match="device"):
        atomic_write_bytes("/dev/full", b"x")


def test_unwritable_directory_names_path(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        missing = tmp_path / "no" / "such" / "dir" / "f.txt"
        with pytest.raises(UserFileError, match=r"f\.txt"):
            atomic_write_bytes(missing, b"x")
        return
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    with pytest.raises(UserFileError, match="permission"):
        atomic_write_bytes(ro / "f.txt", b"x")


def test_read_refuses_fifo_without_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "requirements.txt"
    os.mkfifo(fifo)
    with pytest.raises(UserFileError, match="FIFO"):
        read_user_bytes(fifo)


def test_read_refuses_endless_device_and_oversize(tmp_path: Path) -> None:
    with pytest.raises(UserFileError, match="device"):
        read_user_bytes("/dev/zero", what="machine file")
    big = tmp_path / "big.json"
    big.write_bytes(b" " * 2048)
    with pytest.raises(UserFileError, match="over the 1024-byte limit"):
        read_user_bytes(big, limit=1024)


def test_read_non_utf8_names_offset(tmp_path: Path) -> None:
    bad = tmp_path / "machine.json"
    bad.write_bytes(b'{"os": "linux\xff"}')
    with pytest.raises(UserFileError, match=r"0xff at offset 13"):
        read_user_text(bad, what="machine file")


def test_read_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UserFileError, match="no such file"):
        read_user_text(tmp_path / "absent.json")
