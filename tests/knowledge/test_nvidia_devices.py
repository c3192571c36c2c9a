"""The NVIDIA device-id table: every row sourced, ids unique, and spot checks against the primary sources.

Spot checks (names from pci.ids vendor 10de, https://github.com/pciutils/pciids; capabilities from
https://developer.nvidia.com/cuda-gpus): 0x2206 GeForce RTX 3080 = 8.6, 0x20b0 A100 SXM4 40GB = 8.0,
0x2330 H100 SXM5 80GB = 9.0, 0x1b80 GeForce GTX 1080 = 6.1, 0x28e0 RTX 4060 laptop = 8.9,
0x2b85 GeForce RTX 5090 = 12.0, 0x1eb8 Tesla T4 = 7.5.
"""

from __future__ import annotations

import pytest

from torchsmith.knowledge import nvidia_devices
from torchsmith.knowledge._load import load_table


@pytest.mark.parametrize(
    ("device_id", "name", "cc"),
    [
        ("0x2206", "GeForce RTX 3080", "8.6"),
        ("0x20b0", "A100 SXM4 40GB", "8.0"),
        ("0x2330", "H100 SXM5 80GB", "9.0"),
        ("0x1b80", "GeForce GTX 1080", "6.1"),
        ("0x28e0", "GeForce RTX 4060 Max-Q / Mobile", "8.9"),
        ("0x2b85", "GeForce RTX 5090", "12.0"),
        ("0x1eb8", "Tesla T4", "7.5"),
    ],
)
def test_spot_checks(device_id: str, name: str, cc: str) -> None:
    device = nvidia_devices.nvidia_device(device_id.upper().replace("0X", "0x"))
    assert device is not None
    assert (device.name, device.compute_capability) == (name, cc)


def test_unknown_id() -> None:
    assert nvidia_devices.nvidia_device("0xffff") is None


def test_every_row_is_sourced_and_unique() -> None:
    table = load_table("nvidia_devices")
    ids = [row["device_id"] for row in table.rows()]
    assert len(ids) == len(set(ids)) == len(nvidia_devices.nvidia_devices())
    for row in table.rows():
        assert set(row["source"]) == {"pciids", "nv-cuda-gpus"}
        assert row["name"] in row["pci_ids"], row  # the name is the pci.ids entry's own text
