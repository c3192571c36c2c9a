"""Naming PCI devices without a driver: the machine's own `pci.ids` database, and `lspci -nn` as a fallback.

Why it exists: with no driver loaded, sysfs says only `0x10de:0x2206`. Every distribution ships the PCI ID
Repository's database (https://pci-ids.ucw.cz/, format described at the top of the file itself) at
`/usr/share/misc/pci.ids` (Debian, Ubuntu, Alpine, Arch) or `/usr/share/hwdata/pci.ids` (Fedora, RHEL,
SUSE), so the GPU can be named as `lspci` would name it. Where sysfs is unreadable (some containers and
sandboxes), `lspci -nn` prints the same ids: `01:00.0 VGA compatible controller [0300]: NVIDIA Corporation
GA102 [GeForce RTX 3080] [10de:2206] (rev a1)`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from torchsmith.lazy_re import lazy
from torchsmith.machine.context import ProbeContext

__all__ = [
    "PCI_IDS_FILES",
    "LspciDevice",
    "marketing_name",
    "parse_lspci",
    "parse_pci_ids",
    "read_pci_ids",
    "vendor_devices",
]

PCI_IDS_FILES = ("/usr/share/misc/pci.ids", "/usr/share/hwdata/pci.ids")


@dataclass(frozen=True, slots=True)
class LspciDevice:
    """One `lspci -nn` line: address (`0000:01:00.0`), class (`0300`), vendor and device ids, description."""

    address: str
    pci_class: str
    vendor: str
    device: str
    description: str


def parse_pci_ids(text: str, vendor: str, device: str) -> str | None:
    """The device's entry in a `pci.ids` text: vendor `10de`, device `2206` -> `GA102 [GeForce RTX 3080]`.

    Vendor lines start at column 0 (`10de  NVIDIA Corporation`), their devices with one tab
    (`\\t2206  GA102 [GeForce RTX 3080]`), subsystems with two tabs. Ids may carry `0x`; any case.
    """
    vendor = vendor.strip().lower().removeprefix("0x")
    device = device.strip().lower().removeprefix("0x")
    start = re.search(rf"^{re.escape(vendor)}\s", text, re.MULTILINE)
    if start is None:
        return None
    for line in text[start.end() :].splitlines()[1:]:
        if line and not line.startswith(("\t", "#")):
            return None  # the next vendor: the device is not listed
        if line.startswith("\t") and not line.startswith("\t\t"):
            ident, _, name = line[1:].partition(" ")
            if ident.lower() == device:
                name = name.strip()
                return name if name and name.isprintable() else None
    return None


def vendor_devices(text: str, vendor: str) -> dict[str, str]:
    """Every device of a vendor in a `pci.ids` text: `{"0x56a0": "DG2 [Arc A770]", ...}`."""
    vendor = vendor.strip().lower().removeprefix("0x")
    start = re.search(rf"^{re.escape(vendor)}\s", text, re.MULTILINE)
    devices: dict[str, str] = {}
    if start is None:
        return devices
    for line in text[start.end() :].splitlines()[1:]:
        if line and not line.startswith(("\t", "#")):
            break
        if line.startswith("\t") and not line.startswith("\t\t"):
            ident, _, name = line[1:].partition(" ")
            if re.fullmatch(r"[0-9a-fA-F]{4}", ident) and name.strip().isprintable():
                devices[f"0x{ident.lower()}"] = name.strip()
    return devices


def marketing_name(entry: str) -> str:
    """The bracketed product name of a `pci.ids` entry: `GA102 [GeForce RTX 3080]` -> `GeForce RTX 3080`."""
    match = re.search(r"\[([^\[\]]+)\]\s*$", entry)
    return match.group(1).strip() if match else entry


def read_pci_ids(ctx: ProbeContext) -> str | None:
    """The machine's `pci.ids` (first of the usual places under the root); None when it has none."""
    for path in PCI_IDS_FILES:
        text = ctx.read_text(path, limit=8 << 20)
        if text is not None:
            return text
    return None


_LSPCI = lazy(
    r"^(?P<address>(?:[0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7])\s+"
    r".*?\[(?P<class>[0-9a-fA-F]{4})\]:\s+(?P<description>.*?)\s*"
    r"\[(?P<vendor>[0-9a-fA-F]{4}):(?P<device>[0-9a-fA-F]{4})\](?:\s+\(rev [0-9a-fA-F]+\))?\s*$"
)


def parse_lspci(text: str) -> tuple[LspciDevice, ...] | None:
    """Devices from `lspci -nn` (addresses without a domain get `0000:`); None when no line is one."""
    devices: list[LspciDevice] = []
    for line in text.splitlines():
        match = _LSPCI.match(line.strip())
        if match is None:
            continue
        address = match.group("address").lower()
        if address.count(":") == 1:
            address = f"0000:{address}"
        devices.append(
            LspciDevice(
                address=address,
                pci_class=match.group("class").lower(),
                vendor=f"0x{match.group('vendor').lower()}",
                device=f"0x{match.group('device').lower()}",
                description=match.group("description"),
            )
        )
    return tuple(devices) if devices else None
