"""Naming GPUs by PCI id: pci.ids and `lspci -nn` on recorded real texts, and the lspci fallback ladder."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.machine.fakeroot import FakeRoot
from tests.machine.recorded import RECORDED, expected, files
from torchsmith.machine import nvidia
from torchsmith.machine.pciids import LspciDevice, marketing_name, parse_lspci, parse_pci_ids

LSPCI = {
    "dell-laptop-gtx1050ti-nnk.txt": (
        LspciDevice(
            "0000:00:1f.5", "0c80", "0x8086", "0xa324", "Intel Corporation Cannon Lake PCH SPI Controller"
        ),
        LspciDevice(
            "0000:01:00.0",
            "0302",
            "0x10de",
            "0x1c8c",
            "NVIDIA Corporation GP107M [GeForce GTX 1050 Ti Mobile]",
        ),
    ),
    "azure-nc6-k80-domain.txt": (
        LspciDevice("61f0:00:00.0", "0302", "0x10de", "0x102d", "NVIDIA Corporation GK210GL [Tesla K80]"),
    ),
    "mx250-passthrough.txt": (
        LspciDevice("0000:01:00.0", "0302", "0x10de", "0x1d52", "NVIDIA Corporation GP108BM [GeForce MX250]"),
    ),
}


@pytest.mark.parametrize("path", files("lspci"), ids=lambda p: p.name)
def test_parse_lspci(path: Path) -> None:
    assert parse_lspci(path.read_text()) == expected(LSPCI, path)


@pytest.mark.parametrize(
    ("name", "device", "entry"),
    [
        ("pci.ids-2026.08.22-10de-28xx.txt", "0x28e0", "AD107M [GeForce RTX 4060 Max-Q / Mobile]"),
        ("pci.ids-2026.08.22-10de-28xx.txt", "28A1", "AD107M [GeForce RTX 4050 Max-Q / Mobile]"),
        ("pci.ids-2026.08.22-10de-28xx.txt", "0x2206", None),  # not in this excerpt
        ("debian-2023.04.11-h100-no-space.txt", "0x2330", "GH100[H100 SXM5 80GB]"),
        ("debian-2023.04.11-h100-no-space.txt", "0x10de", None),
    ],
)
def test_parse_pci_ids(name: str, device: str, entry: str | None) -> None:
    assert parse_pci_ids((RECORDED / "pci.ids" / name).read_text(), "0x10de", device) == entry


def test_marketing_name() -> None:
    assert marketing_name("GH100[H100 SXM5 80GB]") == "H100 SXM5 80GB"
    assert marketing_name("GA102 [GeForce RTX 3080]") == "GeForce RTX 3080"
    assert marketing_name("Device 2b85") == "Device 2b85"


def test_lspci_names_the_gpu_where_sysfs_is_unreadable(tmp_path: Path) -> None:
    """No /sys/bus/pci at all (a sandbox): `lspci -nn` gives the ids, the device table the rest."""
    text = (RECORDED / "lspci" / "azure-nc6-k80-domain.txt").read_text()
    ctx = FakeRoot(tmp_path).program("/usr/bin/lspci", {"-nn": (text, 0)}).context()
    info = nvidia.detect(ctx)
    assert info is not None
    (k80,) = info.gpus
    # pci.ids 10de:102d = GK210GL [Tesla K80]; NVIDIA's CUDA GPUs page: Tesla K80 is compute capability 3.7.
    assert (k80.name, k80.compute_capability, k80.pci_id, k80.device_id) == (
        "Tesla K80",
        "3.7",
        "61f0:00:00.0",
        "0x102d",
    )
    assert (info.driver, info.source) == (None, "lspci+device-table")
