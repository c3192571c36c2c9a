"""Jetson detection: nv_tegra_release / dpkg status / device-tree parsers, then the ladder on fake roots."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.machine.fakeroot import FakeRoot
from tests.machine.recorded import RECORDED, expected, files
from torchsmith.machine import jetson
from torchsmith.machine.model import JetsonInfo

EXPECTED_TEGRA = {"r36.4.0-orin.txt": "36.4.0", "r35.3.1.txt": "35.3.1", "r32.7.1.txt": "32.7.1"}
EXPECTED_DPKG = {"xavier-nx-35.2.1.txt": "35.2.1", "orin-36.4.0.txt": "36.4.0"}
EXPECTED_MODEL = {
    "orin-agx.bin": "NVIDIA Jetson AGX Orin Developer Kit",
    "xavier-nx.bin": "NVIDIA Jetson Xavier NX Developer Kit",
}


@pytest.mark.parametrize("path", files("nv_tegra_release"), ids=lambda p: p.name)
def test_parse_nv_tegra_release(path: Path) -> None:
    assert jetson.parse_nv_tegra_release(path.read_text()) == expected(EXPECTED_TEGRA, path)


@pytest.mark.parametrize("path", files("dpkg-status"), ids=lambda p: p.name)
def test_parse_dpkg_status(path: Path) -> None:
    assert jetson.parse_dpkg_status(path.read_text()) == expected(EXPECTED_DPKG, path)


@pytest.mark.parametrize("path", files("device-tree-model"), ids=lambda p: p.name)
def test_parse_device_tree_model(path: Path) -> None:
    text = path.read_bytes().decode("utf-8", errors="replace")
    assert jetson.parse_device_tree_model(text) == expected(EXPECTED_MODEL, path)


def test_revision_without_patch_and_other_packages() -> None:
    assert jetson.parse_nv_tegra_release("# R34 (release), REVISION: 1, GCID: 1, BOARD: t186ref") == "34.1.0"
    status = (RECORDED / "dpkg-status" / "xavier-nx-35.2.1.txt").read_text()
    assert jetson.parse_dpkg_status(status, "libc6") is None  # `2.31-...` is no L4T release
    assert jetson.parse_dpkg_status(status, "nvidia-l4t-cuda") == "35.2.1"


ORIN = (
    "# R36 (release), REVISION: 4.0, GCID: 37537400, BOARD: generic, EABI: aarch64, DATE: Fri Sep 13 2024\n"
)


def test_nv_tegra_release_wins_over_dpkg(tmp_path: Path) -> None:
    root = FakeRoot(tmp_path).write("/etc/nv_tegra_release", ORIN)
    root.write("/var/lib/dpkg/status", (RECORDED / "dpkg-status" / "xavier-nx-35.2.1.txt").read_text())
    root.write("/proc/device-tree/model", b"NVIDIA Jetson Orin Nano Developer Kit\x00")
    assert jetson.detect(root.context()) == JetsonInfo(
        l4t="36.4.0",
        jetpack="6.1",
        cuda="12.6",
        module="NVIDIA Jetson Orin Nano Developer Kit",
        source="nv_tegra_release+device-tree",
    )


def test_garbled_release_file_falls_back_to_dpkg(tmp_path: Path) -> None:
    root = FakeRoot(tmp_path).write("/etc/nv_tegra_release", "\x00\x00garbage")
    root.write("/var/lib/dpkg/status", (RECORDED / "dpkg-status" / "xavier-nx-35.2.1.txt").read_text())
    root.write("/proc/device-tree/model", (RECORDED / "device-tree-model" / "xavier-nx.bin").read_bytes())
    ctx = root.context()
    assert jetson.detect(ctx) == JetsonInfo(
        l4t="35.2.1",
        jetpack="5.1",
        cuda="11.4",
        module="NVIDIA Jetson Xavier NX Developer Kit",
        source="dpkg+device-tree",
    )
    assert ctx.warnings == ["unrecognised first line in `/etc/nv_tegra_release`"]


def test_dpkg_is_not_read_without_a_device_tree(tmp_path: Path) -> None:
    # An x86 image that happens to carry the package (a cross-build sysroot) is not a Jetson.
    root = FakeRoot(tmp_path)
    root.write("/var/lib/dpkg/status", (RECORDED / "dpkg-status" / "xavier-nx-35.2.1.txt").read_text())
    assert jetson.detect(root.context()) is None


def test_unlisted_patch_release_uses_the_nearest_older_row(tmp_path: Path) -> None:
    root = FakeRoot(tmp_path).write("/etc/nv_tegra_release", ORIN.replace("REVISION: 4.0", "REVISION: 4.9"))
    ctx = root.context()
    info = jetson.detect(ctx)
    assert info is not None and (info.l4t, info.jetpack, info.cuda) == ("36.4.9", "6.2.1", "12.6")
    assert ctx.warnings == [
        "L4T 36.4.9 is not in torchsmith's JetPack table; assuming JetPack 6.2.1 of L4T 36.4.7"
    ]


def test_unknown_line_keeps_the_l4t_only(tmp_path: Path) -> None:
    root = FakeRoot(tmp_path).write("/etc/nv_tegra_release", ORIN.replace("R36", "R40"))
    ctx = root.context()
    assert jetson.detect(ctx) == JetsonInfo(l4t="40.4.0", source="nv_tegra_release")
    assert ctx.warnings == ["L4T 40.4.0 is not in torchsmith's JetPack table; JetPack and CUDA are unknown"]


def test_not_a_jetson(tmp_path: Path) -> None:
    root = FakeRoot(tmp_path).write("/var/lib/dpkg/status", "Package: bash\nStatus: install ok installed\n")
    root.write("/proc/device-tree/model", b"Raspberry Pi 5 Model B Rev 1.0\x00")
    assert jetson.detect(root.context()) is None
