"""amd-smi (ROCm >= 6) on recorded real outputs, and the amd-smi-only ladder (no KFD sysfs, no rocminfo).

Expected values are read off the recordings (README.md in each folder says where they were posted).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.machine.fakeroot import FakeRoot
from tests.machine.recorded import RECORDED, expected, files
from torchsmith.machine import amd
from torchsmith.machine.amd_smi import AmdSmiGpu, parse_amd_smi_list, parse_amd_smi_static
from torchsmith.machine.model import AmdGpu, AmdInfo

STATIC = {
    "mi350x-rocm7.txt": (AmdSmiGpu(0, "AMD Instinct MI350X", "gfx950", "0x75a0", "0000:05:00.0"),),
    "mi308x-asic-rocm6.3.txt": (AmdSmiGpu(0, "MI308X", "gfx942", "0x74a2", None),),
}
LIST = {
    "mi300-2gpu-rocm6.3.txt": (AmdSmiGpu(0, bdf="0000:23:00.0"), AmdSmiGpu(1, bdf="0000:26:00.0")),
    "mi300x-vf-rocm6.4.txt": (AmdSmiGpu(0, bdf="0000:83:00.0"),),
}


@pytest.mark.parametrize("path", files("amd-smi-static"), ids=lambda p: p.name)
def test_parse_amd_smi_static(path: Path) -> None:
    assert parse_amd_smi_static(path.read_text()) == expected(STATIC, path)


@pytest.mark.parametrize("path", files("amd-smi-list"), ids=lambda p: p.name)
def test_parse_amd_smi_list(path: Path) -> None:
    assert parse_amd_smi_list(path.read_text()) == expected(LIST, path)


def test_feature_suffix_is_not_unparseable() -> None:
    text = "GPU: 0\n    ASIC:\n        MARKET_NAME: AMD Instinct MI250X\n"
    text += "        TARGET_GRAPHICS_VERSION: gfx90a:sramecc+:xnack-\n"
    (gpu,) = parse_amd_smi_static(text) or ()
    assert gpu.gfx == "gfx90a"


def test_title_case_market_name_of_older_releases() -> None:
    assert parse_amd_smi_static("GPU: 0\n    ASIC:\n        Market Name: AMD Radeon RX 7900 XTX\n") == (
        AmdSmiGpu(0, "AMD Radeon RX 7900 XTX"),
    )


def test_amd_smi_is_asked_when_kfd_and_rocminfo_are_absent(tmp_path: Path) -> None:
    static = (RECORDED / "amd-smi-static" / "mi350x-rocm7.txt").read_text()
    version = (RECORDED / "amd-smi" / "version-6.4.1.txt").read_text()
    root = FakeRoot(tmp_path).program("/usr/bin/amd-smi", {"static": (static, 0), "version": (version, 0)})
    ctx = root.context()
    assert amd.detect(ctx) == AmdInfo("6.4.1", (AmdGpu("AMD Instinct MI350X", "gfx950"),), "amd-smi")
    assert ctx.warnings == []


def test_amd_smi_list_when_static_fails(tmp_path: Path) -> None:
    listed = (RECORDED / "amd-smi-list" / "mi300-2gpu-rocm6.3.txt").read_text()
    root = FakeRoot(tmp_path).program("/usr/bin/amd-smi", {"static": ("boom", 1), "list": (listed, 0)})
    info = amd.detect(root.context())
    assert info is not None and [g.name for g in info.gpus] == ["AMD GPU", "AMD GPU"]


def test_nics_and_other_functions_are_not_gpus(tmp_path: Path) -> None:
    """An AMD Pensando DPU (vendor 0x1dd8, class 0x120000) and the GPU's own audio function are not GPUs."""
    root = FakeRoot(tmp_path)
    for address, vendor, device, klass in [
        ("0000:c1:00.0", "0x1dd8", "0x1002", "0x120000"),
        ("0000:03:00.1", "0x1002", "0xab30", "0x040300"),
    ]:
        root.write(f"/sys/bus/pci/devices/{address}/vendor", vendor + "\n")
        root.write(f"/sys/bus/pci/devices/{address}/device", device + "\n")
        root.write(f"/sys/bus/pci/devices/{address}/class", klass + "\n")
    assert amd.detect(root.context()) is None
