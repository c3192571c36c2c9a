"""Intel GPU families by PCI device id: integrated or discrete, and whether PyTorch XPU supports them.

The probe sees an Intel GPU as a PCI vendor/device id pair (`0x8086:0x56a0`); whether that is an Arc A770
(discrete, supported by the `xpu` wheels) or a laptop's integrated graphics (mostly unsupported) is a fact
of the device id's family. Data: `data/xpu.toml`, families from the Linux kernel's
`include/drm/intel/pciids.h`, support from PyTorch's "Getting Started on Intel GPU" page:
https://docs.pytorch.org/docs/stable/notes/get_start_xpu.html
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from torchsmith.knowledge._load import Problems, load_table
from torchsmith.record import record

__all__ = ["IntelFamily", "intel_families", "intel_family", "normalize_device_id", "xpu_supported"]

_DEVICE_ID = re.compile(r"(?:0x)?([0-9a-f]{4})")


@record
class IntelFamily:
    """One Intel GPU family (`Intel Arc A-Series Graphics`, Alchemist) and what PyTorch says about it."""

    name: str
    codename: str
    discrete: bool
    xpu: bool
    device_ids: frozenset[str]
    note: str | None = None


def normalize_device_id(text: str) -> str | None:
    """`0x56A0`, `56a0` or `0x56a0\\n` -> `0x56a0`; None when it is not a 16-bit hex id."""
    match = _DEVICE_ID.fullmatch(text.strip().lower())
    return f"0x{match[1]}" if match else None


def _device_ids(value: Any) -> frozenset[str]:
    if not isinstance(value, list) or not value:
        raise ValueError("expected a non-empty list of `0x....` ids")
    ids = [str(v) for v in value]
    if any(normalize_device_id(v) != v for v in ids):
        raise ValueError("every id must be lower-case `0x` plus four hex digits")
    if len(set(ids)) != len(ids):
        raise ValueError("duplicate device id")
    return frozenset(ids)


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("expected true or false")
    return value


@cache
def intel_families() -> tuple[IntelFamily, ...]:
    """Every family in the table, in file order."""
    table = load_table("xpu")
    problems = Problems(table)
    families: list[IntelFamily] = []
    owner: dict[str, str] = {}
    for index, raw in enumerate(table.rows()):
        problems.check_source(raw, index)
        ids = problems.field(raw, index, "device_ids", _device_ids)
        discrete = problems.field(raw, index, "discrete", _bool)
        xpu = problems.field(raw, index, "xpu", _bool)
        name = problems.field(raw, index, "name", str)
        codename = problems.field(raw, index, "codename", str)
        if ids is None or discrete is None or xpu is None or name is None or codename is None:
            continue
        for device_id in sorted(ids):
            if device_id in owner:
                problems.add(
                    f"row {index + 1}: `device_ids`", f"`{device_id}` is already in `{owner[device_id]}`"
                )
            owner[device_id] = name
        note = raw.get("note")
        families.append(IntelFamily(name, codename, discrete, xpu, ids, None if note is None else str(note)))
    problems.raise_if_any()
    return tuple(families)


def intel_family(device_id: str) -> IntelFamily | None:
    """The family of an Intel GPU PCI device id (`0x56a0`, any case, `0x` optional); None if unknown."""
    key = normalize_device_id(device_id)
    if key is None:
        return None
    for family in intel_families():
        if key in family.device_ids:
            return family
    return None


def xpu_supported(device_id: str) -> bool:
    """True when the Intel GPU with this PCI device id is in a family PyTorch XPU supports."""
    family = intel_family(device_id)
    return family is not None and family.xpu
