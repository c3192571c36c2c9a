"""NVIDIA detection: parsers on recorded outputs (corrupted ones give None), then the ladder on fake roots."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.machine.fakeroot import FakeRoot
from torchsmith.machine import nvidia
from torchsmith.machine.context import ProbeContext
from torchsmith.machine.model import NvidiaGpu, NvidiaInfo

RECORDED = Path(__file__).parents[1] / "data" / "recorded"
MACHINES = Path(__file__).parents[1] / "machines"


def recorded(tool: str, suffix: str) -> list[Path]:
    return sorted(p for p in (RECORDED / tool).iterdir() if p.suffix == suffix)


def _h100s(cc: str | None, device_id: str | None = None) -> tuple[NvidiaGpu, ...]:
    buses = ("18", "2a", "3a", "5d", "9a", "ab", "ba", "db")
    return tuple(NvidiaGpu("NVIDIA H100 80GB HBM3", cc, 81559, f"0000:{b}:00.0", device_id) for b in buses)


A100 = "NVIDIA A100-PCIE-40GB"
SMI = "nvidia-smi"

EXPECTED_CSV = {
    "a100-t4-driver570.csv": NvidiaInfo(
        "570.172.08",
        None,
        (NvidiaGpu(A100, "8.0", 40960, "0000:3b:00.0"), NvidiaGpu("Tesla T4", "7.5", 15360, "0000:d8:00.0")),
        SMI,
    ),
    "gb10-memory-na.csv": NvidiaInfo(
        "580.95.05", None, (NvidiaGpu("NVIDIA GB10", "12.1", None, "000f:01:00.0"),), SMI
    ),
    "h100x2-noheader-nounits.csv": NvidiaInfo("580.95.05", None, _h100s("9.0")[:2], SMI),
    "h100x8-driver580.csv": NvidiaInfo("580.95.05", None, _h100s("9.0"), SMI),
    "rtx5070ti-driver610-4-columns.csv": NvidiaInfo(
        "610.43.02", None, (NvidiaGpu("NVIDIA GeForce RTX 5070 Ti", "12.0", 16303, None),), SMI
    ),
    "v100x2-driver570-index-first.csv": NvidiaInfo(
        "570.144", None, (NvidiaGpu("Tesla V100-PCIE-32GB", "7.0", 32768, None),) * 2, SMI
    ),
    "wsl2-rtx3080-driver560.csv": NvidiaInfo(
        "560.94", None, (NvidiaGpu("NVIDIA GeForce RTX 3080", "8.6", 10240, "0000:01:00.0"),), SMI
    ),
}

EXPECTED_XML = {
    "a100-t4-driver570.xml": NvidiaInfo(
        "570.172.08",
        "12.8",
        (
            NvidiaGpu(A100, None, 40960, "0000:3b:00.0", "0x20f1", mig=False),  # <current_mig>Disabled
            NvidiaGpu("Tesla T4", None, 15360, "0000:d8:00.0", "0x1eb8"),  # <current_mig>N/A: no MIG
        ),
        SMI,
    ),
    "h100x8-driver580.xml": NvidiaInfo("580.95.05", "13.0", _h100s(None, "0x2330"), SMI),
    "m2090x2-driver285-v2dtd.xml": NvidiaInfo(
        "285.05.32",
        None,  # no <cuda_version> before R3xx
        (
            NvidiaGpu("Tesla M2090", None, 5375, "0000:14:00.0", "0x1091"),
            NvidiaGpu("Tesla M2090", None, 5375, "0000:15:00.0", "0x1091"),
        ),
        SMI,
    ),
    "rtx4090-driver550.xml": NvidiaInfo(
        "550.127.05",
        "12.4",
        (NvidiaGpu("NVIDIA GeForce RTX 4090", None, 24564, "0000:01:00.0", "0x2684"),),
        SMI,
    ),
    "wsl2-rtx3080-driver560.xml": NvidiaInfo(
        "560.94", "12.6", (NvidiaGpu("NVIDIA GeForce RTX 3080", None, 10240, "0000:01:00.0", "0x2206"),), SMI
    ),
}

EXPECTED_PROC_VERSION = {
    "jetson-orin-jp6-540.4.0.txt": "540.4.0",
    "jetson-tx2-l4t-34.1.1.txt": None,  # an L4T release, not a driver version (see is_tegra_proc_version)
    "open-555.58.02-fedora.txt": "555.58.02",
    "open-570.148.08-aarch64.txt": "570.148.08",
    "open-580.95.05.txt": "580.95.05",
    "proprietary-390.157.txt": "390.157",
    "proprietary-550.127.05.txt": "550.127.05",
}

EXPECTED_INFORMATION = {
    "gtx1070-driver410.txt": NvidiaGpu("GeForce GTX 1070", pci_id="0000:01:00.0"),
    "k80-colab-driver418.txt": NvidiaGpu("Tesla K80", pci_id="0000:00:04.0"),
    "rtx3090-driver590.txt": NvidiaGpu("NVIDIA GeForce RTX 3090", pci_id="0000:01:00.0"),
    "t4-driver570.txt": NvidiaGpu("Tesla T4", pci_id="0000:d8:00.0"),
}


def _check(path: Path, result: object, expected: dict[str, object]) -> None:
    if path.name.startswith("corrupt-"):
        assert result is None
    else:
        assert result == expected[path.name]


@pytest.mark.parametrize("path", recorded("nvidia-smi", ".csv"), ids=lambda p: p.name)
def test_parse_smi_csv(path: Path) -> None:
    _check(path, nvidia.parse_smi_csv(path.read_text(errors="replace")), EXPECTED_CSV)


@pytest.mark.parametrize("path", recorded("nvidia-smi", ".xml"), ids=lambda p: p.name)
def test_parse_smi_xml(path: Path) -> None:
    _check(path, nvidia.parse_smi_xml(path.read_text(errors="replace")), EXPECTED_XML)


@pytest.mark.parametrize("path", recorded("proc-driver-nvidia-version", ".txt"), ids=lambda p: p.name)
def test_parse_proc_version(path: Path) -> None:
    _check(path, nvidia.parse_proc_version(path.read_text()), EXPECTED_PROC_VERSION)


@pytest.mark.parametrize(
    "path", recorded("proc-driver-nvidia-gpus-information", ".txt"), ids=lambda p: p.name
)
def test_parse_gpu_information(path: Path) -> None:
    _check(path, nvidia.parse_gpu_information(path.read_text(errors="replace")), EXPECTED_INFORMATION)


@pytest.mark.parametrize(
    ("tool", "suffix", "expected"),
    [
        ("nvidia-smi", ".csv", EXPECTED_CSV),
        ("nvidia-smi", ".xml", EXPECTED_XML),
        ("proc-driver-nvidia-version", ".txt", EXPECTED_PROC_VERSION),
        ("proc-driver-nvidia-gpus-information", ".txt", EXPECTED_INFORMATION),
    ],
)
def test_every_recorded_file_has_an_expectation(tool: str, suffix: str, expected: dict[str, object]) -> None:
    names = {p.name for p in recorded(tool, suffix) if not p.name.startswith("corrupt-")}
    assert names == set(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("580.95.05\n", "580.95.05"), ("570.144", "570.144"), ("", None), ("11.4.0\n", None)],
)
def test_parse_module_version(text: str, expected: str | None) -> None:
    assert nvidia.parse_module_version(text) == expected


@pytest.mark.parametrize(
    ("vendor", "device", "pci_class", "expected"),
    [
        ("0x10de\n", "0x2684\n", "0x030000\n", "0x2684"),  # RTX 4090, VGA controller
        ("0x10de", "0x2330", "0x030200", "0x2330"),  # H100 SXM, 3D controller
        ("0x10de", "0x22ba", "0x040300", None),  # the RTX 4090's HDMI audio function
        ("0x8086", "0x56a0", "0x030000", None),  # an Intel Arc A770
        ("0x10de", "garbage", "0x030000", None),
    ],
)
def test_parse_pci_gpu(vendor: str, device: str, pci_class: str, expected: str | None) -> None:
    assert nvidia.parse_pci_gpu(vendor, device, pci_class) == expected


@pytest.mark.parametrize(
    ("value", "expected"), [(12040, "12.4"), (13000, "13.0"), (11080, "11.8"), (0, None)]
)
def test_parse_nvml_cuda_version(value: int, expected: str | None) -> None:
    assert nvidia.parse_nvml_cuda_version(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("00000000:01:00.0", "0000:01:00.0"),
        ("0000:D8:00.0", "0000:d8:00.0"),
        ("0000000F:01:00.0", "000f:01:00.0"),
        ("01:00.0", None),
        ("0000:01:00.9", None),
    ],
)
def test_normalize_bus_id(value: str, expected: str | None) -> None:
    assert nvidia.normalize_bus_id(value) == expected


# --- the ladder on fake roots ---------------------------------------------------------------------------

PROC_VERSION = "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.127.05  Tue Oct  8 03:22:07 UTC 2024\n"
INFORMATION = "Model: \t\t NVIDIA GeForce RTX 4090\nBus Location: \t 0000:01:00.0\nDevice Minor: \t 0\n"
CSV = (RECORDED / "nvidia-smi" / "wsl2-rtx3080-driver560.csv").read_text()
XML = (RECORDED / "nvidia-smi" / "rtx4090-driver550.xml").read_text()
FIELD_ERROR = 'Field "compute_cap" is not a valid field to query.\n\n'


def _driver_files(root: FakeRoot) -> FakeRoot:
    root.write("/proc/driver/nvidia/version", PROC_VERSION)
    return root.write("/proc/driver/nvidia/gpus/0000:01:00.0/information", INFORMATION)


def test_files_alone_give_driver_gpus_and_the_tables_cuda(tmp_path: Path) -> None:
    ctx = _driver_files(FakeRoot(tmp_path)).context()
    assert nvidia.detect(ctx) == NvidiaInfo(
        driver="550.127.05",
        cuda_driver="12.4",  # from the knowledge table: 550.54.14 shipped with CUDA 12.4
        gpus=(NvidiaGpu("NVIDIA GeForce RTX 4090", pci_id="0000:01:00.0"),),
        source="proc",
    )
    assert ctx.warnings == []


def test_sysfs_module_version_wins_over_proc(tmp_path: Path) -> None:
    root = _driver_files(FakeRoot(tmp_path)).write("/sys/module/nvidia/version", "580.95.05\n")
    info = nvidia.detect(root.context())
    assert info is not None
    assert (info.driver, info.cuda_driver, info.source) == ("580.95.05", "13.0", "sysfs+proc")


def test_old_driver_rejecting_fields_is_asked_again_without_them(tmp_path: Path) -> None:
    """Drivers before R510 reject `compute_cap` (huggingface/candle#733, driver 470.182.03); the query is
    repeated without it, and the capability comes from the device table by the PCI device id."""
    csv = "index, name, pci.bus_id, pci.device_id, memory.total [MiB], driver_version, mig.mode.current\n"
    csv += "0, NVIDIA GeForce RTX 3090, 00000000:01:00.0, 0x220410DE, 24576 MiB, 470.182.03, [N/A]\n"
    root = FakeRoot(tmp_path).write(
        "/proc/driver/nvidia/version", PROC_VERSION.replace("550.127.05", "470.182.03")
    )
    root.program("/usr/bin/nvidia-smi", {"compute_cap": (FIELD_ERROR, 2), "--query-gpu": (csv, 0)})
    ctx = root.context()
    assert nvidia.detect(ctx) == NvidiaInfo(
        driver="470.182.03",
        cuda_driver="11.4",  # the table: R470 shipped with CUDA 11.4
        gpus=(NvidiaGpu("NVIDIA GeForce RTX 3090", "8.6", 24576, "0000:01:00.0", "0x2204"),),
        source="proc+nvidia-smi+device-table",
    )
    assert ctx.warnings == []


def test_query_refused_as_unknown_option_falls_back_to_xml(tmp_path: Path) -> None:
    root = _driver_files(FakeRoot(tmp_path))
    root.program(
        "/usr/bin/nvidia-smi",
        {"--query-gpu": ("Invalid combination of input arguments.", 2), "-q -x": (XML, 0)},
    )
    ctx = root.context()
    assert nvidia.detect(ctx) == NvidiaInfo(
        driver="550.127.05",
        cuda_driver="12.4",  # said by nvidia-smi's <cuda_version>
        gpus=(NvidiaGpu("NVIDIA GeForce RTX 4090", "8.9", 24564, "0000:01:00.0", "0x2684"),),
        source="proc+nvidia-smi+device-table",
    )
    assert len(ctx.warnings) == 1 and "exited with status 2: `Invalid combination" in ctx.warnings[0]


def test_broken_nvidia_smi_keeps_the_file_facts_and_warns_once(tmp_path: Path) -> None:
    message = "Failed to initialize NVML: Driver/library version mismatch\nNVML library version: 560.35\n"
    root = _driver_files(FakeRoot(tmp_path)).program("/usr/bin/nvidia-smi", {"*": (message, 18)})
    ctx = root.context()
    info = nvidia.detect(ctx)
    assert info is not None
    assert (info.driver, info.source, [g.name for g in info.gpus]) == (
        "550.127.05",
        "proc",
        ["NVIDIA GeForce RTX 4090"],
    )
    assert len(ctx.warnings) == 1  # status 18 fails every format alike: no point asking again
    assert (
        "exited with status 18: `Failed to initialize NVML: Driver/library version mismatch`"
        in ctx.warnings[0]
    )


def test_garbled_nvidia_smi_output_is_a_warning_quoting_it(tmp_path: Path) -> None:
    root = _driver_files(FakeRoot(tmp_path)).program("/usr/bin/nvidia-smi", {"*": ("<html> nonsense", 0)})
    ctx = root.context()
    info = nvidia.detect(ctx)
    assert info is not None and info.driver == "550.127.05"
    assert "cannot read the output of `nvidia-smi --query-gpu`: `<html> nonsense`" in ctx.warnings
    assert "cannot read the output of `nvidia-smi`: `<html> nonsense`" in ctx.warnings


def test_gpus_on_the_bus_without_a_driver(tmp_path: Path) -> None:
    root = FakeRoot(tmp_path)
    root.write("/sys/bus/pci/devices/0000:00:02.0/vendor", "0x8086\n")
    root.write("/sys/bus/pci/devices/0000:00:02.0/class", "0x030000\n")
    root.write("/sys/bus/pci/devices/0000:01:00.0/vendor", "0x10de\n")
    root.write("/sys/bus/pci/devices/0000:01:00.0/device", "0x28e0\n")
    root.write("/sys/bus/pci/devices/0000:01:00.0/class", "0x030000\n")
    root.write("/sys/bus/pci/devices/0000:01:00.1/vendor", "0x10de\n")
    root.write("/sys/bus/pci/devices/0000:01:00.1/device", "0x22be\n")
    root.write("/sys/bus/pci/devices/0000:01:00.1/class", "0x040300\n")
    # An installed nvidia-smi could only fail without the kernel module: it must not be run.
    root.program("/usr/bin/nvidia-smi", {"*": ("NVIDIA-SMI has failed", 9)})
    ctx = root.context()
    assert nvidia.detect(ctx) == NvidiaInfo(
        driver=None,
        cuda_driver=None,
        # No pci.ids on this root: the name and sm_89 come from the device table (pci.ids 10de:28e0, and
        # NVIDIA's CUDA GPUs page: GeForce RTX 40 laptop GPUs are compute capability 8.9).
        gpus=(
            NvidiaGpu("GeForce RTX 4060 Max-Q / Mobile", "8.9", pci_id="0000:01:00.0", device_id="0x28e0"),
        ),
        source="pci+device-table",
    )
    assert ctx.warnings == []


def test_wsl_nvidia_smi_at_its_fixed_place(tmp_path: Path) -> None:
    root = FakeRoot(tmp_path).program(nvidia.WSL_SMI, {"--query-gpu": (CSV, 0)})
    info = nvidia.detect(root.context())
    # The Windows driver 560.94 maps to CUDA 12.6 through the Windows column of the table.
    assert info == NvidiaInfo(
        "560.94", "12.6", (NvidiaGpu("NVIDIA GeForce RTX 3080", "8.6", 10240, "0000:01:00.0"),), "nvidia-smi"
    )


def test_nothing_nvidia_gives_none(tmp_path: Path) -> None:
    root = FakeRoot(tmp_path).write("/sys/bus/pci/devices/0000:00:00.0/vendor", "0x8086\n")
    assert nvidia.detect(root.context()) is None


def test_smi_gpus_get_bus_ids_from_proc_when_the_query_has_none(tmp_path: Path) -> None:
    text = (RECORDED / "nvidia-smi" / "rtx5070ti-driver610-4-columns.csv").read_text()
    root = _driver_files(FakeRoot(tmp_path)).program("/usr/bin/nvidia-smi", {"--query-gpu": (text, 0)})
    info = nvidia.detect(root.context())
    assert info is not None
    assert info.gpus == (NvidiaGpu("NVIDIA GeForce RTX 5070 Ti", "12.0", 16303, "0000:01:00.0"),)


def test_mixed_gpus_are_each_listed_on_the_a100_t4_machine() -> None:
    root = MACHINES / "a100-t4-mixed"
    ctx = ProbeContext(root=root, env={"PATH": f"{root}/usr/bin"}, use_nvml=False)
    info = nvidia.detect(ctx)
    assert info is not None
    assert [(g.name, g.compute_capability) for g in info.gpus] == [(A100, "8.0"), ("Tesla T4", "7.5")]
