"""Every nvidia-smi format on public outputs: `-q` text, the plain table (R450 to R610), `-L` (MIG).

Expected values are read off the recorded texts themselves (tests/data/recorded/nvidia-smi-*/README.md names
where each was posted): driver, the driver's CUDA version, count, names, bus ids, PCI device ids, memory
and MIG mode. `[N/A]`, `N/A`, `ERR!` and `Not Found` are unknown (None), never a value.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.machine.fakeroot import FakeRoot
from tests.machine.recorded import RECORDED, expected, files
from torchsmith.machine import nvidia, nvidia_smi
from torchsmith.machine.model import MigDevice, NvidiaGpu, NvidiaInfo

SMI = "nvidia-smi"


def gpu(
    name: str, memory: int | None, bus: str, device_id: str | None = None, mig: bool | None = None
) -> NvidiaGpu:
    return NvidiaGpu(name, None, memory, bus, device_id, mig)


TEXT = {
    "a10-driver550.txt": NvidiaInfo(
        "550.90.12", "12.4", (gpu("NVIDIA A10", 23028, "0000:08:00.0", "0x2236"),), SMI
    ),
    "gtx1080-driver396-no-cuda-line.txt": NvidiaInfo(
        "396.54", None, (gpu("GeForce GTX 1080", None, "0000:01:00.0"),), SMI
    ),
    "quadro-m1000m-driver375-short-bus-id.txt": NvidiaInfo(
        "375.82", None, (gpu("Quadro M1000M", None, "0000:01:00.0"),), SMI
    ),
    "h100nvl-vgpu-driver550-cuda-not-found-mig.txt": NvidiaInfo(
        "550.127.06", None, (gpu("NVIDIA H100 NVL", None, "0000:98:00.0", mig=True),), SMI
    ),
    "rtx4070-laptop-windows-driver566.txt": NvidiaInfo(
        "566.36", "12.7", (gpu("NVIDIA GeForce RTX 4070 Laptop GPU", None, "0000:01:00.0"),), SMI
    ),
}

TABLE = {
    "a10-driver550.txt": NvidiaInfo("550.90.12", "12.4", (gpu("NVIDIA A10", 23028, "0000:08:00.0"),), SMI),
    "b200x2-driver610-kmd-umd.txt": NvidiaInfo(
        "610.43.02",
        "13.3",
        (
            gpu("NVIDIA B200", 183359, "0000:63:00.0", mig=False),
            gpu("NVIDIA B200", 183359, "0000:68:00.0", mig=False),
        ),
        SMI,
    ),
    "rtx3080-driver610-kmd-umd.txt": NvidiaInfo(
        "610.43.02", "13.3", (gpu("NVIDIA GeForce RTX 3080", 10240, "0000:1a:00.0"),), SMI
    ),
    "v100-driver450-cuda-na.txt": NvidiaInfo(
        "450.36.06", None, (gpu("Tesla V100-SXM2...", 16160, "0000:00:1b.0"),), SMI
    ),
    "a100x2-driver510-mig-one-enabled.txt": NvidiaInfo(
        "510.47.03",
        "11.6",
        (
            gpu("NVIDIA A100-SXM...", 81920, "0000:01:00.0", mig=False),
            gpu("NVIDIA A100-SXM...", 81920, "0000:41:00.0", mig=True),
        ),
        SMI,
    ),
    "wsl2-rtx2080-driver537.txt": NvidiaInfo(
        "537.13", "12.2", (gpu("NVIDIA GeForce RTX 2080 ...", 8192, "0000:01:00.0"),), SMI
    ),
    "titanxp-driver450.txt": NvidiaInfo("450.57", "11.0", (gpu("TITAN Xp", 12196, "0000:17:00.0"),), SMI),
    "p100-driver440-no-mig-row.txt": NvidiaInfo(
        "440.33.01", "10.2", (gpu("Tesla P100-SXM2...", 16280, "0000:04:00.0"),), SMI
    ),
}


def _migs(profile: str, uuids: list[str]) -> tuple[MigDevice, ...]:
    return tuple(MigDevice(profile, i, u) for i, u in enumerate(uuids))


LIST = {
    "a100-sxm4-80gb-mig-7x1g-driver535.txt": (
        (
            "NVIDIA A100-SXM4-80GB",
            _migs(
                "1g.10gb",
                [
                    "MIG-feb88891-0321-5fef-9c87-d4af3b54259e",
                    "MIG-a25704ba-3a06-5299-a795-fd7cf4d13973",
                    "MIG-50f1c4c9-1508-5e8d-bb06-d08145b22e01",
                    "MIG-36c795f2-5cf7-55d6-af30-e535e79b7bb6",
                    "MIG-3f45d38c-8cee-503e-b806-a1f1bdceedeb",
                    "MIG-96655de9-9525-58f9-a62b-0e4c1cc1c265",
                    "MIG-1aae4990-b962-574e-8375-119d6d9b9687",
                ],
            ),
        ),
    ),
    "a100-80gb-pcie-mig-2x3g-driver530.txt": (
        (
            "NVIDIA A100 80GB PCIe",
            _migs(
                "3g.40gb",
                ["MIG-0929581a-2be6-5dec-bf34-0954c6c529a6", "MIG-3adbed3a-d03d-549f-a016-ba1fd7359f23"],
            ),
        ),
    ),
    "rtx4070-laptop-no-mig.txt": (("NVIDIA GeForce RTX 4070 Laptop GPU", ()),),
}


@pytest.mark.parametrize("path", files("nvidia-smi-q"), ids=lambda p: p.name)
def test_parse_smi_text(path: Path) -> None:
    assert nvidia_smi.parse_smi_text(path.read_text()) == expected(TEXT, path)


@pytest.mark.parametrize("path", files("nvidia-smi-table"), ids=lambda p: p.name)
def test_parse_smi_table(path: Path) -> None:
    assert nvidia_smi.parse_smi_table(path.read_text()) == expected(TABLE, path)


@pytest.mark.parametrize("path", files("nvidia-smi-L"), ids=lambda p: p.name)
def test_parse_smi_list(path: Path) -> None:
    assert nvidia_smi.parse_smi_list(path.read_text()) == expected(LIST, path)


def test_cuda_version_err_is_unknown() -> None:
    """`CUDA Version: ERR!` (microsoft/WSL#11589, nanoporetech/bonito#111): driver known, CUDA unknown."""
    header = "| NVIDIA-SMI 550.54.14              Driver Version: 550.54.14      CUDA Version: ERR!     |\n"
    assert nvidia_smi.parse_smi_table(header) == NvidiaInfo("550.54.14", None, (), SMI)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('Field "compute_cap" is not a valid field to query.\n\n', "compute_cap"),
        ('Field "mig.mode.current" is not a valid field to query.\n', "mig.mode.current"),
        ("Failed to initialize NVML: Unknown Error\n", None),
    ],
)
def test_parse_field_error(text: str, field: str | None) -> None:
    assert nvidia_smi.parse_field_error(text) == field


@pytest.mark.parametrize("path", files("proc-driver-nvidia-version"), ids=lambda p: p.name)
def test_jetson_proc_version_is_recognised(path: Path) -> None:
    assert nvidia.is_tegra_proc_version(path.read_text()) is (path.name == "jetson-tx2-l4t-34.1.1.txt")


def test_jetson_proc_file_gives_no_warning(tmp_path: Path) -> None:
    text = (RECORDED / "proc-driver-nvidia-version" / "jetson-tx2-l4t-34.1.1.txt").read_text()
    ctx = FakeRoot(tmp_path).write("/proc/driver/nvidia/version", text).context()
    assert nvidia.detect(ctx) is None
    assert ctx.warnings == []


def test_jetpack6_driver_line_gives_no_desktop_cuda_guess(tmp_path: Path) -> None:
    """JetPack 6's open module (540.4.0) is a Tegra driver: its CUDA comes from JetPack (the `jetson`
    section), never from the desktop driver table."""
    text = (RECORDED / "proc-driver-nvidia-version" / "jetson-orin-jp6-540.4.0.txt").read_text()
    root = FakeRoot(tmp_path).write("/proc/driver/nvidia/version", text)
    root.write(
        "/etc/nv_tegra_release",
        "# R36 (release), REVISION: 4.0, GCID: 37537400, BOARD: generic, EABI: aarch64\n",
    )
    ctx = root.context()
    assert nvidia.detect(ctx) == NvidiaInfo("540.4.0", None, (), "proc")
    assert ctx.warnings == []


def test_unknown_proc_line_is_a_warning_quoting_it(tmp_path: Path) -> None:
    ctx = FakeRoot(tmp_path).write("/proc/driver/nvidia/version", "NVRM version: something new 9\n").context()
    nvidia.detect(ctx)
    assert ctx.warnings == [
        "cannot read the driver version in `/proc/driver/nvidia/version`: `NVRM version: something new 9`"
    ]


# --- the ladder: formats in order, MIG devices, Windows places ------------------------------------------

TABLES = RECORDED / "nvidia-smi-table"
QTEXT = RECORDED / "nvidia-smi-q"


def test_plain_table_is_the_last_resort(tmp_path: Path) -> None:
    """A tool that prints nothing machine-readable still yields driver, CUDA and GPUs from its table."""
    table = (TABLES / "b200x2-driver610-kmd-umd.txt").read_text()
    root = FakeRoot(tmp_path)
    root.program(
        "/usr/bin/nvidia-smi", {"--query-gpu": ("garbage\n", 0), "-q": ("garbage\n", 0), "*": (table, 0)}
    )
    ctx = root.context()
    info = nvidia.detect(ctx)
    assert info is not None
    assert (info.driver, info.cuda_driver, len(info.gpus), info.source) == (
        "610.43.02",
        "13.3",
        2,
        "nvidia-smi",
    )
    assert [w.split(":")[0] for w in ctx.warnings] == [
        "cannot read the output of `nvidia-smi --query-gpu`",
        "cannot read the output of `nvidia-smi -q -x`",
        "cannot read the output of `nvidia-smi -q`",
    ]


def test_q_text_when_xml_is_unreadable(tmp_path: Path) -> None:
    text = (QTEXT / "a10-driver550.txt").read_text()
    root = FakeRoot(tmp_path)
    root.program("/usr/bin/nvidia-smi", {"--query-gpu": ("", 0), "-x": ("<oops", 0), "-q": (text, 0)})
    info = nvidia.detect(root.context())
    # sm_86 from the device table by the PCI device id 0x2236 (pci.ids: GA102GL [A10]; NVIDIA: A10 is 8.6).
    assert info == NvidiaInfo(
        "550.90.12",
        "12.4",
        (NvidiaGpu("NVIDIA A10", "8.6", 23028, "0000:08:00.0", "0x2236"),),
        "nvidia-smi+device-table",
    )


def test_mig_devices_come_from_dash_l(tmp_path: Path) -> None:
    csv = (
        "index, name, pci.bus_id, pci.device_id, compute_cap, memory.total [MiB], driver_version, "
        "mig.mode.current\n"
        "0, NVIDIA A100 80GB PCIe, 00000000:17:00.0, 0x20B510DE, 8.0, 81920 MiB, 530.30.02, Enabled\n"
    )
    listed = (RECORDED / "nvidia-smi-L" / "a100-80gb-pcie-mig-2x3g-driver530.txt").read_text()
    root = FakeRoot(tmp_path).program("/usr/bin/nvidia-smi", {"--query-gpu": (csv, 0), "-L": (listed, 0)})
    info = nvidia.detect(root.context())
    assert info is not None
    (a100,) = info.gpus
    assert (a100.mig, a100.device_id, a100.compute_capability) == (True, "0x20b5", "8.0")
    assert [(d.profile, d.index) for d in a100.mig_devices] == [("3g.40gb", 0), ("3g.40gb", 1)]


def test_windows_nvidia_smi_in_system32_is_found(tmp_path: Path) -> None:
    """Windows drivers since R450 put nvidia-smi.exe in System32, which is not always on PATH. (On this
    Linux test host the Windows path is one odd file name under the fake root; the lookup is the same.)"""
    csv = (RECORDED / "nvidia-smi" / "wsl2-rtx3080-driver560.csv").read_text()
    root = FakeRoot(tmp_path).program(nvidia.SMI_LOCATIONS["win32"][0], {"--query-gpu": (csv, 0)})
    info = nvidia.detect(root.context(sys_platform="win32"))
    assert info is not None
    # 560.94 is a Windows driver number: CUDA 12.6 by the table's Windows column.
    assert (info.driver, info.cuda_driver, info.gpus[0].name) == ("560.94", "12.6", "NVIDIA GeForce RTX 3080")
