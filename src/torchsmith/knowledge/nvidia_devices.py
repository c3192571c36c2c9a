"""NVIDIA GPUs by PCI device id: marketing name and CUDA compute capability.

Why it exists: without a driver (a fresh install, a container without the NVIDIA runtime) the probe sees an
NVIDIA GPU only as `0x10de:0x2206` on the PCI bus. This table turns that into "GeForce RTX 3080" with compute
capability 8.6, so the plan can name the driver and build to install instead of "NVIDIA GPU 0x2206".
Data: `data/nvidia_devices.toml`; names from the PCI ID Repository (pci.ids), capabilities from NVIDIA's
CUDA GPUs page (https://developer.nvidia.com/cuda-gpus). The machine's own pci.ids, when present, names
GPUs newer than this table (`torchsmith.machine.pciids`); only this table knows the capability.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from torchsmith.knowledge._load import Problems, load_table
from torchsmith.lazy_re import lazy
from torchsmith.record import record

__all__ = ["NvidiaDevice", "nvidia_device", "nvidia_devices"]

_DEVICE_ID = lazy(r"0x[0-9a-f]{4}")
_CC = lazy(r"[0-9]{1,2}\.[0-9]")


@record
class NvidiaDevice:
    """One PCI device id: `0x2206` is the GeForce RTX 3080, compute capability `8.6`."""

    device_id: str
    name: str
    compute_capability: str


def _device_id(value: Any) -> str:
    text = str(value)
    if not _DEVICE_ID.fullmatch(text):
        raise ValueError("expected lower-case `0x` plus four hex digits")
    return text


def _cc(value: Any) -> str:
    text = str(value)
    if not _CC.fullmatch(text):
        raise ValueError("expected `major.minor`, e.g. `8.6`")
    return text


def _name(value: Any) -> str:
    text = str(value).strip()
    if not text or not text.isprintable():
        raise ValueError("expected a printable name")
    return text


@cache
def nvidia_devices() -> dict[str, NvidiaDevice]:
    """Every row, by device id; raises `KnowledgeError` listing every bad row."""
    table = load_table("nvidia_devices")
    problems = Problems(table)
    devices: dict[str, NvidiaDevice] = {}
    for index, raw in enumerate(table.rows()):
        problems.check_source(raw, index)
        device_id = problems.field(raw, index, "device_id", _device_id)
        name = problems.field(raw, index, "name", _name)
        cc = problems.field(raw, index, "compute_capability", _cc)
        if device_id is None or name is None or cc is None:
            continue
        if device_id in devices:
            problems.add(f"row {index + 1}: `device_id`", f"`{device_id}` appears twice")
        devices[device_id] = NvidiaDevice(device_id, name, cc)
    problems.raise_if_any()
    return devices


def nvidia_device(device_id: str) -> NvidiaDevice | None:
    """The row for a PCI device id (`0x2206`, any case); None when the table does not know it."""
    return nvidia_devices().get(device_id.strip().lower())
