"""Intel GPU detection: recorded tool outputs, then PCI sysfs, Level Zero and tools on fake roots."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.machine.fakeroot import FakeRoot
from tests.machine.recorded import RECORDED, expected, files
from torchsmith.machine import intel
from torchsmith.machine.model import IntelGpu, IntelInfo

EXPECTED_SYCL_LS = {
    "a770-oneapi2025.txt": ("Intel(R) Arc(TM) A770 Graphics", "Intel(R) UHD Graphics 770"),
    "a770-oneapi2024.txt": ("Intel(R) Arc(TM) A770 Graphics",),
    "cpu-only.txt": (),
    "verbose-cpu-deviceid-oneapi2025.txt": None,  # a verbose block only: no `[backend:type]` device line
}
EXPECTED_XPU_SMI = {
    "discovery-max1550.txt": ("Intel(R) Data Center GPU Max 1550",) * 2,
    "discovery-d0-a770-borderless.txt": ("Intel(R) Arc(TM) A770 Graphics",),
}
# (index, name, PCI device id) as printed: the summary table has no device id, the per-device report has.
EXPECTED_XPU_SMI_DEVICES = {
    "discovery-max1550.txt": (
        (0, "Intel(R) Data Center GPU Max 1550", None),
        (1, "Intel(R) Data Center GPU Max 1550", None),
    ),
    "discovery-d0-a770-borderless.txt": ((0, "Intel(R) Arc(TM) A770 Graphics", "0x56a0"),),
}


@pytest.mark.parametrize("path", files("sycl-ls"), ids=lambda p: p.name)
def test_parse_sycl_ls(path: Path) -> None:
    assert intel.parse_sycl_ls(path.read_text()) == expected(EXPECTED_SYCL_LS, path)


@pytest.mark.parametrize("path", files("xpu-smi"), ids=lambda p: p.name)
def test_parse_xpu_smi_discovery(path: Path) -> None:
    assert intel.parse_xpu_smi_discovery(path.read_text()) == expected(EXPECTED_XPU_SMI, path)


@pytest.mark.parametrize("path", files("xpu-smi"), ids=lambda p: p.name)
def test_parse_xpu_smi_devices(path: Path) -> None:
    assert intel.parse_xpu_smi_devices(path.read_text()) == expected(EXPECTED_XPU_SMI_DEVICES, path)


def test_sycl_ls_device_ids_only_for_level_zero_gpus() -> None:
    cpu = (RECORDED / "sycl-ls" / "verbose-cpu-deviceid-oneapi2025.txt").read_text()
    assert intel.parse_sycl_ls_device_ids(cpu) == ()
    # The Level Zero platform block of the same layout, with a GPU's decimal id: 22176 is 0x56a0.
    gpu = cpu.replace("Intel(R) OpenCL", "Intel(R) oneAPI Unified Runtime over Level-Zero")
    gpu = gpu.replace(": cpu", ": gpu").replace("591474", "22176")
    assert intel.parse_sycl_ls_device_ids(gpu) == ("0x56a0",)


def test_xpu_smi_only_a770_gets_its_family_from_the_device_id(tmp_path: Path) -> None:
    """The summary names the GPU; `-d 0` gives the PCI id, which the XPU table maps to Arc A-Series."""
    summary = (
        (RECORDED / "xpu-smi" / "discovery-max1550.txt")
        .read_text()
        .replace("Data Center GPU Max 1550", "Arc(TM) A770 Graphics     ")
    )
    detail = (RECORDED / "xpu-smi" / "discovery-d0-a770-borderless.txt").read_text()
    root = FakeRoot(tmp_path).program(
        "/usr/bin/xpu-smi", {"-d 0": (detail, 0), "-d 1": ("", 1), "discovery": (summary, 0)}
    )
    info = intel.detect(root.context())
    assert info is not None
    assert info.gpus[0] == IntelGpu("Intel(R) Arc(TM) A770 Graphics", "0x56a0", True)
    assert info.source == "xpu-smi"


def test_missing_level_zero_names_the_package(tmp_path: Path) -> None:
    root = FakeRoot(tmp_path)
    root.write("/sys/bus/pci/devices/0000:03:00.0/vendor", "0x8086\n")
    root.write("/sys/bus/pci/devices/0000:03:00.0/device", "0x56a0\n")
    root.write("/sys/bus/pci/devices/0000:03:00.0/class", "0x030000\n")
    root.write("/usr/lib/x86_64-linux-gnu/libze_loader.so.1", "")
    ctx = root.context()
    info = intel.detect(ctx)
    assert info is not None and info.xpu_stack is False
    assert ctx.warnings == [
        "`Intel Arc A-Series Graphics` (0x56a0) can run PyTorch XPU, but the Level Zero runtime is missing: "
        "no `libze_intel_gpu.so.1`, install `libze-intel-gpu1` (Debian/Ubuntu; `intel-level-zero-gpu` in "
        "older repositories)"
    ]


def test_pci_filter() -> None:
    assert intel.parse_pci_intel_gpu("0x8086\n", "0x56A0\n", "0x030000\n") == "0x56a0"
    assert intel.parse_pci_intel_gpu("0x8086", "0x0bd5", "0x038000") == "0x0bd5"
    assert intel.parse_pci_intel_gpu("0x8086", "0x4f90", "0x040300") is None  # the card's audio function
    assert intel.parse_pci_intel_gpu("0x8086", "0x4fa4", "0x060400") is None  # its PCIe switch
    assert intel.parse_pci_intel_gpu("0x1002", "0x744c", "0x030000") is None
    assert intel.parse_pci_intel_gpu("0x8086", "junk", "0x030000") is None


def pci(root: FakeRoot, address: str, vendor: str, device: str, klass: str) -> None:
    for name, value in {"vendor": vendor, "device": device, "class": klass}.items():
        root.write(f"/sys/bus/pci/devices/{address}/{name}", value + "\n")


def test_unknown_family_and_missing_level_zero(tmp_path: Path) -> None:
    root = FakeRoot(tmp_path)
    pci(root, "0000:00:02.0", "0x8086", "0x9a49", "0x030000")  # Tiger Lake Xe: not in the table
    pci(root, "0000:03:00.0", "0x8086", "0xe20b", "0x030000")  # Arc B580
    root.write("/usr/lib64/libze_loader.so.1", "stand-in")  # the loader without Intel's GPU driver
    assert intel.detect(root.context()) == IntelInfo(
        gpus=(
            IntelGpu("Intel GPU", "0x9a49", None),
            IntelGpu("Intel Arc B-Series Graphics", "0xe20b", True),
        ),
        xpu_stack=False,
        source="pci",
    )


def test_level_zero_in_lib64(tmp_path: Path) -> None:
    root = FakeRoot(tmp_path)
    pci(root, "0000:29:00.0", "0x8086", "0x0bd5", "0x038000")
    root.write("/usr/lib64/libze_loader.so.1", "stand-in").write(
        "/usr/lib64/libze_intel_gpu.so.1", "stand-in"
    )
    info = intel.detect(root.context())
    assert info == IntelInfo(
        gpus=(IntelGpu("Intel Data Center GPU Max Series", "0x0bd5", True),),
        xpu_stack=True,
        source="pci+level-zero",
    )


def test_tools_answer_only_without_pci(tmp_path: Path) -> None:
    root = FakeRoot(tmp_path)
    root.program("/usr/bin/sycl-ls", {"*": ((RECORDED / "sycl-ls" / "a770-oneapi2024.txt").read_text(), 0)})
    assert intel.detect(root.context()) == IntelInfo(
        gpus=(IntelGpu("Intel(R) Arc(TM) A770 Graphics"),), xpu_stack=True, source="sycl-ls"
    )


def test_xpu_smi_after_sycl_ls_finds_no_gpu(tmp_path: Path) -> None:
    root = FakeRoot(tmp_path)
    root.program("/usr/bin/sycl-ls", {"*": ((RECORDED / "sycl-ls" / "cpu-only.txt").read_text(), 0)})
    root.program(
        "/usr/bin/xpu-smi", {"discovery": ((RECORDED / "xpu-smi" / "discovery-max1550.txt").read_text(), 0)}
    )
    info = intel.detect(root.context())
    assert info is not None and info.source == "xpu-smi"
    assert [gpu.name for gpu in info.gpus] == ["Intel(R) Data Center GPU Max 1550"] * 2


def test_no_intel_gpu_is_none(tmp_path: Path) -> None:
    root = FakeRoot(tmp_path)
    pci(root, "0000:00:00.0", "0x8086", "0xa700", "0x060000")  # an Intel host bridge is not a GPU
    assert intel.detect(root.context()) is None
    pci(root, "0000:03:00.0", "0x8086", "0x56a0", "0x030000")
    assert intel.detect(root.context(sys_platform="darwin")) is None


def test_old_sycl_ls_name_gets_its_id_from_the_machines_pci_ids(tmp_path: Path) -> None:
    """oneAPI 2024's sycl-ls prints no device id; the root's pci.ids has exactly one `Arc A770` (56a0)."""
    ids = (RECORDED / "pci.ids" / "pci.ids-2026.08.22-8086-dg2.txt").read_text()
    listing = (RECORDED / "sycl-ls" / "a770-oneapi2024.txt").read_text()
    root = FakeRoot(tmp_path).write("/usr/share/misc/pci.ids", ids)
    root.program("/usr/bin/sycl-ls", {"*": (listing, 0)})
    info = intel.detect(root.context())
    assert info is not None
    assert info.gpus == (IntelGpu("Intel(R) Arc(TM) A770 Graphics", "0x56a0", True),)


def test_old_sycl_ls_without_pci_ids_leaves_the_id_unknown(tmp_path: Path) -> None:
    listing = (RECORDED / "sycl-ls" / "a770-oneapi2024.txt").read_text()
    root = FakeRoot(tmp_path).program("/usr/bin/sycl-ls", {"*": (listing, 0)})
    info = intel.detect(root.context())
    assert info is not None and info.gpus == (IntelGpu("Intel(R) Arc(TM) A770 Graphics"),)
