"""AMD detection: parsers on recorded files (corrupted ones give None), then the ladder on fake roots."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.machine.fakeroot import FakeRoot
from tests.machine.recorded import RECORDED, expected, files
from torchsmith.machine import amd
from torchsmith.machine.model import AmdGpu, AmdInfo

EXPECTED_KFD = {
    "mi250x-gcd.txt": amd.KfdNode("gfx90a", "0x740c", "0000:c1:00.0"),
    "rx7900xtx.txt": amd.KfdNode("gfx1100", "0x744c", "0000:03:00.0"),
    "epyc-cpu-node.txt": None,
    "nvidia-node.txt": None,
}
EXPECTED_ROCM_VERSION = {"rocm-6.2.4.txt": "6.2.4", "rocm-6.4.1.txt": "6.4.1", "rocm-5.7.1.txt": "5.7.1"}
EXPECTED_AMD_SMI = {"version-6.2.4.txt": "6.2.4", "version-6.4.1.txt": "6.4.1"}


@pytest.mark.parametrize("path", files("kfd-properties"), ids=lambda p: p.name)
def test_parse_kfd_properties(path: Path) -> None:
    assert amd.parse_kfd_properties(path.read_text()) == expected(EXPECTED_KFD, path)


@pytest.mark.parametrize("path", files("rocm-version"), ids=lambda p: p.name)
def test_parse_rocm_version(path: Path) -> None:
    assert amd.parse_rocm_version(path.read_text()) == expected(EXPECTED_ROCM_VERSION, path)


@pytest.mark.parametrize("path", files("amd-smi"), ids=lambda p: p.name)
def test_parse_amd_smi_version(path: Path) -> None:
    assert amd.parse_amd_smi_version(path.read_text()) == expected(EXPECTED_AMD_SMI, path)


@pytest.mark.parametrize("path", files("rocminfo"), ids=lambda p: p.name)
def test_parse_rocminfo(path: Path) -> None:
    gpus = amd.parse_rocminfo(path.read_text())
    if path.name.startswith("corrupt-"):
        assert gpus is None
    else:
        assert gpus == (AmdGpu("AMD Instinct MI250X/MI250", "gfx90a"),) * 4


@pytest.mark.parametrize("path", files("rocm_agent_enumerator"), ids=lambda p: p.name)
def test_parse_agent_enumerator(path: Path) -> None:
    targets = amd.parse_agent_enumerator(path.read_text())
    assert targets == (None if path.name.startswith("corrupt-") else ("gfx90a",) * 4)


@pytest.mark.parametrize(
    ("value", "gfx"),
    [
        (90010, "gfx90a"),
        (100300, "gfx1030"),
        (110000, "gfx1100"),
        (90402, "gfx942"),
        (110501, "gfx1151"),
        (120001, "gfx1201"),
        (90012, "gfx90c"),
        (0, None),
        (-90010, None),
        (91600, None),
        (90016, None),
        (1_000_000, None),
    ],
)
def test_gfx_target_version(value: int, gfx: str | None) -> None:
    assert amd.parse_gfx_target_version(value) == gfx


def test_amdgpu_ids_revision_picks_the_exact_card() -> None:
    ids = (RECORDED / "amdgpu.ids" / "amdgpu.ids").read_text()
    assert amd.parse_amdgpu_ids(ids, "0x744c", "0xc8") == "AMD Radeon RX 7900 XTX"
    assert amd.parse_amdgpu_ids(ids, "0x744C", "0xCC") == "AMD Radeon RX 7900 XT"
    # Without a revision (or an unknown one) the device id's first line answers.
    assert amd.parse_amdgpu_ids(ids, "744c") == "AMD Radeon RX 7900 XTX"
    assert amd.parse_amdgpu_ids(ids, "0x744c", "0x01") == "AMD Radeon RX 7900 XTX"
    assert amd.parse_amdgpu_ids(ids, "0x1234", "0x00") is None


def test_pci_class_filter() -> None:
    assert amd.parse_pci_amd_gpu("0x1002", "0x744c", "0x030000") == "0x744c"
    assert amd.parse_pci_amd_gpu("0x1002\n", "0x740C\n", "0x038000\n") == "0x740c"
    assert amd.parse_pci_amd_gpu("0x1002", "0xab30", "0x040300") is None  # HDMI audio
    assert amd.parse_pci_amd_gpu("0x1022", "0x14a4", "0x060000") is None  # host bridge
    assert amd.parse_pci_amd_gpu("0x10de", "0x2684", "0x030000") is None


def kfd_node(root: FakeRoot, number: int, source: Path, name: str = "") -> None:
    root.write(f"/sys/class/kfd/kfd/topology/nodes/{number}/properties", source.read_text())
    root.write(f"/sys/class/kfd/kfd/topology/nodes/{number}/name", name + "\n")


def test_kfd_nodes_in_numeric_order_and_names_fall_back(tmp_path: Path) -> None:
    root = FakeRoot(tmp_path)
    kfd_node(root, 0, RECORDED / "kfd-properties" / "epyc-cpu-node.txt")
    kfd_node(root, 2, RECORDED / "kfd-properties" / "mi250x-gcd.txt", "aldebaran")
    kfd_node(root, 10, RECORDED / "kfd-properties" / "rx7900xtx.txt", "ip discovery")
    # No amdgpu.ids and no ROCm: the KFD name, else the device id, names the GPU.
    assert amd.detect(root.context()) == AmdInfo(
        rocm=None,
        gpus=(AmdGpu("aldebaran", "gfx90a"), AmdGpu("AMD GPU 0x744c", "gfx1100")),
        source="kfd",
    )


def test_kfd_wins_without_running_tools(tmp_path: Path) -> None:
    root = FakeRoot(tmp_path)
    kfd_node(root, 1, RECORDED / "kfd-properties" / "mi250x-gcd.txt", "aldebaran")
    marker = tmp_path / "ran"
    root.write("/usr/bin/rocminfo", f"#!/bin/sh\necho ran > {marker}\n")
    (tmp_path / "usr/bin/rocminfo").chmod(0o755)
    info = amd.detect(root.context())
    assert info is not None and info.source == "kfd"
    assert not marker.exists()


def test_rocminfo_answers_when_kfd_is_absent(tmp_path: Path) -> None:
    root = FakeRoot(tmp_path)
    root.program("/usr/bin/rocminfo", {"*": ((RECORDED / "rocminfo" / "mi250x.txt").read_text(), 0)})
    root.write("/opt/rocm/.info/version", "6.2.4-120\n")
    assert amd.detect(root.context()) == AmdInfo(
        rocm="6.2.4",
        gpus=(AmdGpu("AMD Instinct MI250X/MI250", "gfx90a"),) * 4,
        source="rocminfo+rocm-version-file",
    )


def test_agent_enumerator_after_a_failing_rocminfo(tmp_path: Path) -> None:
    root = FakeRoot(tmp_path)
    root.program("/usr/bin/rocminfo", {"*": ("ROCk module is NOT loaded\n", 1)})
    root.program("/usr/bin/rocm_agent_enumerator", {"*": ("gfx000\ngfx1100\n", 0)})
    ctx = root.context()
    info = amd.detect(ctx)
    assert info == AmdInfo(
        rocm=None, gpus=(AmdGpu("AMD GPU (gfx1100)", "gfx1100"),), source="rocm_agent_enumerator"
    )
    assert len(ctx.warnings) == 1 and "rocminfo" in ctx.warnings[0]


def test_pci_only_gpu_has_unknown_target_and_amd_smi_gives_rocm(tmp_path: Path) -> None:
    root = FakeRoot(tmp_path)
    for name, value in {
        "vendor": "0x1002",
        "device": "0x744c",
        "class": "0x030000",
        "revision": "0xcc",
    }.items():
        root.write(f"/sys/bus/pci/devices/0000:03:00.0/{name}", value + "\n")
    root.write("/usr/share/libdrm/amdgpu.ids", (RECORDED / "amdgpu.ids" / "amdgpu.ids").read_text())
    root.program(
        "/usr/bin/amd-smi", {"version": ((RECORDED / "amd-smi" / "version-6.2.4.txt").read_text(), 0)}
    )
    assert amd.detect(root.context()) == AmdInfo(
        rocm="6.2.4", gpus=(AmdGpu("AMD Radeon RX 7900 XT", None),), source="pci+amdgpu.ids+amd-smi"
    )


def test_highest_rocm_install_is_compared_as_versions(tmp_path: Path) -> None:
    root = FakeRoot(tmp_path)
    root.write("/opt/rocm-6.9.0/.info/version", "6.9.0-1\n")
    root.write("/opt/rocm-6.10.0/.info/version", "6.10.0-2\n")
    root.write("/opt/rocm-7.0.0/.info/version-dev", "garbage\n")
    ctx = root.context()
    # A ROCm install without any GPU is still a fact worth reporting (doctor explains it).
    assert amd.detect(ctx) == AmdInfo(rocm="6.10.0", gpus=(), source="rocm-version-file")
    assert ctx.warnings == ["unrecognised ROCm version file `/opt/rocm-7.0.0/.info/version-dev`"]


def test_nothing_amd_is_none(tmp_path: Path) -> None:
    root = FakeRoot(tmp_path)
    root.write("/sys/bus/pci/devices/0000:01:00.0/vendor", "0x10de\n")
    assert amd.detect(root.context()) is None
    assert amd.detect(FakeRoot(tmp_path).context(sys_platform="darwin")) is None
