"""WSL detection from the kernel's own description, then from WSL's GPU paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.machine.fakeroot import FakeRoot
from torchsmith.machine import wsl

RECORDED = Path(__file__).parents[1] / "data" / "recorded" / "proc-version"
WSL_FILES = {"wsl1-4.4.0-19041.txt", "wsl2-5.15.167.4.txt"}


@pytest.mark.parametrize("path", sorted(RECORDED.glob("*.txt")), ids=lambda p: p.name)
def test_is_wsl_kernel(path: Path) -> None:
    assert wsl.is_wsl_kernel(path.read_text()) is (path.name in WSL_FILES)


@pytest.mark.parametrize(
    ("release", "expected"),
    [
        ("5.15.153.1-microsoft-standard-WSL2", True),
        ("6.6.36.6-microsoft-standard-WSL2+", True),
        ("6.8.0-1021-aws", False),
        ("6.8.0-1017-azure", False),
    ],
)
def test_kernel_release(release: str, expected: bool) -> None:
    assert wsl.is_wsl_kernel(release) is expected


def test_wsl2_from_osrelease(tmp_path: Path) -> None:
    root = FakeRoot(tmp_path).write("/proc/sys/kernel/osrelease", "5.15.167.4-microsoft-standard-WSL2\n")
    assert wsl.detect(root.context()) is True


def test_plain_linux(tmp_path: Path) -> None:
    root = FakeRoot(tmp_path).write("/proc/sys/kernel/osrelease", "6.8.0-48-generic\n")
    root.write("/proc/version", "Linux version 6.8.0-48-generic (buildd@lcy02-amd64-010) #48-Ubuntu SMP\n")
    assert wsl.detect(root.context()) is False


@pytest.mark.parametrize("marker", ["/dev/dxg", "/usr/lib/wsl/lib/libcuda.so.1"])
def test_wsl_gpu_paths_without_kernel_files(tmp_path: Path, marker: str) -> None:
    assert wsl.detect(FakeRoot(tmp_path).write(marker, "").context()) is True


def test_only_linux_is_wsl(tmp_path: Path) -> None:
    root = FakeRoot(tmp_path).write("/dev/dxg", "")
    assert wsl.detect(root.context(sys_platform="win32")) is False


def test_the_wsl2_machine() -> None:
    root = Path(__file__).parents[1] / "machines" / "wsl2-rtx3080"
    assert wsl.detect(FakeRoot(root).context()) is True
