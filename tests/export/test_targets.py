"""Target names: `PLATFORM-BACKEND` parsing, errors, and `auto` from a machine description."""

from __future__ import annotations

import pytest

from torchsmith.errors import UsageError
from torchsmith.export.targets import parse_target, parse_targets, target_for_machine
from torchsmith.machine.model import JetsonInfo, Machine

LINUX = "platform_system == 'Linux' and platform_machine == "
WINDOWS = "platform_system == 'Windows' and platform_machine == 'AMD64'"
MAC = "platform_system == 'Darwin' and platform_machine == 'arm64'"


@pytest.mark.parametrize(
    ("text", "platform", "backend", "subdir", "marker"),
    [
        ("linux-cu126", "linux-x86_64", "cu126", "linux-64", LINUX + "'x86_64'"),
        ("linux-cpu", "linux-x86_64", "cpu", "linux-64", None),
        ("linux-rocm6.4", "linux-x86_64", "rocm6.4", "linux-64", None),
        ("linux-xpu", "linux-x86_64", "xpu", "linux-64", None),
        ("linux-aarch64-cpu", "linux-aarch64", "cpu", "linux-aarch64", LINUX + "'aarch64'"),
        ("windows-cu128", "windows-x86_64", "cu128", "win-64", WINDOWS),
        ("Windows-CPU", "windows-x86_64", "cpu", "win-64", None),
        ("macos", "macos-arm64", "cpu", "osx-arm64", MAC),
        ("jetson-jp6", "linux-aarch64", "jp6-cu126", "linux-aarch64", None),
    ],
)  # fmt: skip
def test_parse(text: str, platform: str, backend: str, subdir: str, marker: str | None) -> None:
    target = parse_target(text)
    assert (target.platform, target.backend, target.conda_subdir) == (platform, backend, subdir)
    if marker is not None:
        assert target.marker == marker


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("linux-cu12x", "invalid value `linux-cu12x` for `--targets`"),
        ("windows-rocm6.4", "no ROCm wheels for Windows"),
        ("linux-aarch64-rocm6.4", "no `rocm6.4` wheels for aarch64"),
        ("jetson-jp5", "no NVIDIA PyTorch index"),
        ("solaris-cpu", "expected `PLATFORM-BACKEND`"),
    ],
)
def test_parse_errors(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message.replace("(", r"\(")):
        parse_target(text)


def test_list_drops_duplicates_and_needs_one() -> None:
    assert [t.name for t in parse_targets(["linux-cpu", " linux-cpu ", "macos"])] == ["linux-cpu", "macos"]
    with pytest.raises(UsageError, match="no target"):
        parse_targets(["", " "])


def test_auto_uses_the_best_runnable_backend() -> None:
    gpu = Machine(os="linux", arch="x86_64", backends=("cu128", "cu126", "cpu"))
    assert target_for_machine(gpu).name == "linux-cu128"
    assert [t.name for t in parse_targets(["auto", "macos"], machine=gpu)] == ["linux-cu128", "macos"]
    mac = Machine(os="macos", arch="arm64", backends=("cpu",))
    assert target_for_machine(mac).platform == "macos-arm64"
    orin = Machine(os="linux", arch="aarch64", jetson=JetsonInfo(l4t="36.4.3", jetpack="6.2"))
    assert target_for_machine(orin).backend == "jp6-cu126"
