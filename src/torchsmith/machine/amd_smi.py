"""Parsers for `amd-smi` (ROCm >= 6), the successor of rocm-smi: `amd-smi static` and `amd-smi list`.

Why it exists: on a machine where KFD's sysfs is hidden (some containers) and rocminfo is not installed,
amd-smi may be the only tool that names the GPUs. Format (one `KEY: value` per line, blocks per `GPU: N`,
sections indented): the amdsmi CLI documentation and CHANGELOG
(https://github.com/ROCm/amdsmi/blob/develop/CHANGELOG.md; `TARGET_GRAPHICS_VERSION` since ROCm 6.3,
`KFD_ID`/`NODE_ID`/`PARTITION_ID` in `list` since 6.3). Older releases print `Market Name:` title-cased.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from torchsmith.lazy_re import lazy

__all__ = ["AmdSmiGpu", "parse_amd_smi_list", "parse_amd_smi_static"]

_GPU = lazy(r"^GPU:\s*([0-9]+)\s*$")


@dataclass(frozen=True, slots=True)
class AmdSmiGpu:
    """What amd-smi says about one GPU (None where the release or the platform does not say)."""

    index: int
    name: str | None = None
    gfx: str | None = None
    device_id: str | None = None
    bdf: str | None = None


def _blocks(text: str) -> list[tuple[int, dict[str, str]]]:
    """(GPU index, {KEY: value}) per `GPU: N` block; nested section names are dropped (keys are unique)."""
    blocks: list[tuple[int, dict[str, str]]] = []
    for line in text.splitlines():
        gpu = _GPU.match(line.strip())
        if gpu and not line.startswith((" ", "\t")):
            blocks.append((int(gpu.group(1)), {}))
            continue
        key, sep, value = line.strip().partition(":")
        if blocks and sep and value.strip():
            blocks[-1][1].setdefault(key.strip().upper().replace(" ", "_"), value.strip())
    return blocks


def _value(fields: dict[str, str], key: str) -> str | None:
    value = fields.get(key)
    if value is None or value.upper() in ("N/A", "") or not value.isprintable() or len(value) > 200:
        return None
    return value


def parse_amd_smi_static(text: str) -> tuple[AmdSmiGpu, ...] | None:
    """GPUs from `amd-smi static` (or `static --asic --bus`); None when no `GPU: N` block is there.

    Sample (ROCm/rocm-systems#2987, an MI350X)::

        GPU: 0
            ASIC:
                MARKET_NAME: AMD Instinct MI350X
                DEVICE_ID: 0x75a0
                TARGET_GRAPHICS_VERSION: gfx950
            BUS:
                BDF: 0000:05:00.0

    The gfx target keeps its raw spelling (`gfx90a:sramecc+:xnack-` is read as `gfx90a`'s family by the
    normalisation layer); a release without `TARGET_GRAPHICS_VERSION` gives None.
    """
    from torchsmith.knowledge.rocm import normalize_gfx

    blocks = _blocks(text)
    if not blocks:
        return None
    gpus: list[AmdSmiGpu] = []
    for index, fields in blocks:
        raw_gfx = _value(fields, "TARGET_GRAPHICS_VERSION")
        device = (_value(fields, "DEVICE_ID") or "").lower()
        gpus.append(
            AmdSmiGpu(
                index=index,
                name=_value(fields, "MARKET_NAME"),
                gfx=normalize_gfx(raw_gfx) if raw_gfx else None,
                device_id=device if re.fullmatch(r"0x[0-9a-f]{4}", device) else None,
                bdf=_value(fields, "BDF"),
            )
        )
    return tuple(gpus)


def parse_amd_smi_list(text: str) -> tuple[AmdSmiGpu, ...] | None:
    """GPUs from `amd-smi list` (`GPU: 0` / `BDF: 0000:c5:00.0` / `UUID: ...`); None without any block."""
    blocks = _blocks(text)
    if not blocks:
        return None
    return tuple(AmdSmiGpu(index=index, bdf=_value(fields, "BDF")) for index, fields in blocks)
