"""NVIDIA GPUs known only by their PCI ids: from sysfs or `lspci -nn`, named by the machine's pci.ids and
torchsmith's device table (`knowledge/nvidia_devices`), which also gives their compute capability.

Why a module of its own: this is the "no driver, no tool" half of NVIDIA detection (a fresh laptop, a
container without the driver), and the table also completes sources that never print a compute capability
(`nvidia-smi -q`, `-q -x`, the table, drivers before R510). Used by `torchsmith.machine.nvidia`.
"""

from __future__ import annotations

import re

from torchsmith.machine.context import ProbeContext
from torchsmith.machine.model import NvidiaGpu
from torchsmith.machine.nvidia_smi import first_line, normalize_bus_id
from torchsmith.record import replace

__all__ = [
    "NVIDIA_VENDOR",
    "fill_compute_capability",
    "named_pci_gpus",
    "parse_pci_gpu",
    "read_lspci_ids",
    "read_sysfs_ids",
]

NVIDIA_VENDOR = "0x10de"


def parse_pci_gpu(vendor: str, device: str, pci_class: str) -> str | None:
    """The PCI device id (`0x2684`) if sysfs's vendor/device/class files describe an NVIDIA GPU, else None.

    Sample: vendor `0x10de`, device `0x2684`, class `0x030000` (VGA) or `0x030200` (3D controller, the
    data-center cards). NVIDIA's HDMI audio function (class `0x040300`) is not a GPU.
    """
    if vendor.strip().lower() != NVIDIA_VENDOR:
        return None
    klass = pci_class.strip().lower()
    if not re.fullmatch(r"0x03(?:00|02)[0-9a-f]{2}", klass):
        return None
    device_id = device.strip().lower()
    return device_id if re.fullmatch(r"0x[0-9a-f]{4}", device_id) else None


def read_sysfs_ids(ctx: ProbeContext) -> dict[str, str] | None:
    """{bus id: device id} of NVIDIA GPUs in PCI sysfs; None when sysfs lists no PCI device at all."""
    devices = ctx.glob("/sys/bus/pci/devices", "*")
    if not devices:
        return None
    found: dict[str, str] = {}
    for base in devices:
        vendor = ctx.read_text(f"{base}/vendor", limit=64)
        if vendor is None or vendor.strip().lower() != NVIDIA_VENDOR:
            continue
        device_id = parse_pci_gpu(
            vendor,
            ctx.read_text(f"{base}/device", limit=64) or "",
            ctx.read_text(f"{base}/class", limit=64) or "",
        )
        bus = normalize_bus_id(base.rsplit("/", 1)[-1])
        if device_id is not None and bus is not None:
            found[bus] = device_id
    return found


def read_lspci_ids(ctx: ProbeContext) -> dict[str, str]:
    """{bus id: device id} of NVIDIA GPUs from `lspci -nn`, for machines whose sysfs is unreadable."""
    from torchsmith.machine.pciids import parse_lspci

    text = ctx.run("lspci", "-nn")
    if text is None:
        return {}
    devices = parse_lspci(text)
    if devices is None:
        ctx.warn(f"cannot read the output of `lspci -nn`: {first_line(text)}")
        return {}
    return {
        d.address: d.device
        for d in devices
        if d.vendor == NVIDIA_VENDOR and d.pci_class in ("0300", "0302") and normalize_bus_id(d.address)
    }


def named_pci_gpus(ctx: ProbeContext, ids: dict[str, str]) -> tuple[list[NvidiaGpu], list[str]]:
    """GPUs known only by PCI id, named by the machine's pci.ids, else by torchsmith's table, which also
    gives the compute capability; `NVIDIA GPU 0x....` when neither knows the id. Also the sources used."""
    from torchsmith.knowledge.nvidia_devices import nvidia_device
    from torchsmith.machine.pciids import marketing_name, parse_pci_ids, read_pci_ids

    database = read_pci_ids(ctx)
    gpus: list[NvidiaGpu] = []
    sources: list[str] = []
    for bus, device_id in ids.items():
        known = nvidia_device(device_id)
        entry = parse_pci_ids(database, NVIDIA_VENDOR, device_id) if database else None
        name = marketing_name(entry) if entry else (known.name if known else f"NVIDIA GPU {device_id}")
        if entry:
            sources.append("pci.ids")
        if known:
            sources.append("device-table")
        cc = known.compute_capability if known else None
        gpus.append(NvidiaGpu(name=name, compute_capability=cc, pci_id=bus, device_id=device_id))
    return gpus, sources


def fill_compute_capability(gpus: tuple[NvidiaGpu, ...]) -> tuple[tuple[NvidiaGpu, ...], bool]:
    """Compute capability from torchsmith's device table for GPUs whose source did not say it (`-q -x`,
    `-q`, the table and drivers before R510 have no such field) but whose PCI device id is known."""
    if not any(gpu.compute_capability is None and gpu.device_id for gpu in gpus):
        return gpus, False
    from torchsmith.knowledge.nvidia_devices import nvidia_device

    filled = False
    result: list[NvidiaGpu] = []
    for gpu in gpus:
        known = nvidia_device(gpu.device_id) if gpu.compute_capability is None and gpu.device_id else None
        if known is not None:
            gpu, filled = replace(gpu, compute_capability=known.compute_capability), True
        result.append(gpu)
    return tuple(result), filled
