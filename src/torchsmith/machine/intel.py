"""Intel GPUs (discrete Arc / Data Center, integrated Core Ultra) and whether the XPU user space is present.

Why it exists: PyTorch's `xpu` wheels run on some Intel GPU families only (`torchsmith.knowledge.xpu`,
keyed by PCI device id), and they need the GPU's Level Zero driver from the system (Intel's
compute-runtime: `libze_intel_gpu.so.1`, loaded through `libze_loader.so.1`), which a wheel cannot bring.

Ladder, cheapest first; every source that answered is named in `source` (e.g. `pci+level-zero`):
  GPUs   1. PCI sysfs `<root>/sys/bus/pci/devices/*/{vendor,device,class}`: vendor 0x8086 with a display
            class (0x03xxxx); family, name and discrete/integrated from the device id.
         2. only when sysfs shows none: `sycl-ls` (`[level_zero:gpu][level_zero:0] ..., Intel(R) Arc(TM)
            A770 Graphics 12.55.8 [1.3.29735]`), then `xpu-smi discovery` (`Device Name: ...`), on PATH.
  Stack  `libze_loader.so.1` and `libze_intel_gpu.so.1` in the usual library directories under the root;
         a Level Zero GPU listed by `sycl-ls` / `xpu-smi` also proves it.
Level Zero: https://github.com/oneapi-src/level-zero ; compute-runtime: https://github.com/intel/compute-runtime
"""

from __future__ import annotations

import re

from torchsmith.machine.context import ProbeContext
from torchsmith.machine.model import IntelGpu, IntelInfo

__all__ = ["SECTION", "detect", "parse_pci_intel_gpu", "parse_sycl_ls", "parse_xpu_smi_discovery"]

SECTION = "intel"

INTEL_VENDOR = "0x8086"
LIBRARY_DIRS = (
    "/usr/lib/x86_64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
    "/usr/lib64",
    "/usr/lib",
    "/usr/local/lib",
    "/opt/intel/level-zero/lib",
)
"""Where distributions install Level Zero (Debian multiarch, Red Hat / SUSE, plain, local builds)."""

LOADER = "libze_loader.so.1"
GPU_DRIVER = "libze_intel_gpu.so.1"
_SYCL_GPU = re.compile(
    r"^\[(?:ext_oneapi_)?level_zero:gpu[^\]]*\](?:\[[^\]]*\])?\s*[^,]*,\s*(?P<name>.+?)\s+[0-9][0-9.]*\s+\[[^\]]*\]\s*$"
)


def parse_pci_intel_gpu(vendor: str, device: str, pci_class: str) -> str | None:
    """The device id (`0x56a0`) if sysfs's vendor/device/class describe an Intel GPU, else None.

    Sample (Arc A770): vendor `0x8086`, device `0x56a0`, class `0x030000`. Data Center GPU Max reports
    class `0x038000`. Intel's audio, network and bridge functions are other classes.
    """
    if vendor.strip().lower() != INTEL_VENDOR:
        return None
    if not re.fullmatch(r"0x03[0-9a-f]{4}", pci_class.strip().lower()):
        return None
    from torchsmith.knowledge.xpu import normalize_device_id  # only once a GPU is seen (probe start-up)

    text = device.strip().lower()
    return normalize_device_id(text) if text.startswith("0x") else None


def _printable_name(text: str) -> str | None:
    text = text.strip()
    return text if text and text.isprintable() and len(text) <= 200 else None


def parse_sycl_ls(text: str) -> tuple[str, ...] | None:
    """Names of the Level Zero GPUs `sycl-ls` lists; None when no line looks like a `sycl-ls` device.

    Samples (oneAPI 2025 and 2024):
    `[level_zero:gpu][level_zero:0] Intel(R) oneAPI Unified Runtime over Level-Zero, Intel(R) Arc(TM) A770
    Graphics 12.55.8 [1.3.29735]` and `[ext_oneapi_level_zero:gpu:0] Intel(R) Level-Zero, Intel(R) Arc(TM)
    A770 Graphics 1.3 [1.3.26241]`. OpenCL and CPU lines are ignored.
    """
    names: list[str] = []
    devices = 0
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("["):
            continue
        devices += 1
        match = _SYCL_GPU.match(line)
        if match:
            name = _printable_name(match.group("name"))
            if name:
                names.append(name)
    return tuple(names) if devices else None


def parse_xpu_smi_discovery(text: str) -> tuple[str, ...] | None:
    """GPU names from `xpu-smi discovery` (`| 0 | Device Name: Intel(R) Data Center GPU Max 1550 |`).

    None when the output has no `Device Name:` field at all.
    """
    names: list[str] = []
    found = False
    for match in re.finditer(r"Device Name:\s*([^|\n]+)", text):
        found = True
        name = _printable_name(match.group(1))
        if name:
            names.append(name)
    return tuple(names) if found else None


def _read_pci(ctx: ProbeContext) -> list[IntelGpu]:
    gpus: list[IntelGpu] = []
    for device in ctx.glob("/sys/bus/pci/devices", "*"):
        base = f"/sys/bus/pci/devices/{device.name}"
        vendor = ctx.read_text(f"{base}/vendor", limit=64)
        if vendor is None or vendor.strip().lower() != INTEL_VENDOR:
            continue
        device_id = parse_pci_intel_gpu(
            vendor,
            ctx.read_text(f"{base}/device", limit=64) or "",
            ctx.read_text(f"{base}/class", limit=64) or "",
        )
        if device_id is None:
            continue
        from torchsmith.knowledge.xpu import intel_family

        family = intel_family(device_id)
        if family is None:
            gpus.append(IntelGpu(name="Intel GPU", device_id=device_id, discrete=None))
        else:
            gpus.append(IntelGpu(name=family.name, device_id=device_id, discrete=family.discrete))
    return gpus


def _has_library(ctx: ProbeContext, name: str) -> bool:
    return any(ctx.exists(f"{directory}/{name}") for directory in LIBRARY_DIRS)


def _read_tools(ctx: ProbeContext) -> tuple[tuple[str, ...], str] | None:
    text = ctx.run("sycl-ls")
    if text is not None:
        names = parse_sycl_ls(text)
        if names is None:
            ctx.warn("`sycl-ls` printed no devices")
        elif names:
            return names, "sycl-ls"
    text = ctx.run("xpu-smi", "discovery")
    if text is not None:
        names = parse_xpu_smi_discovery(text)
        if names is None:
            ctx.warn("`xpu-smi discovery` printed no devices")
        elif names:
            return names, "xpu-smi"
    return None


def detect(ctx: ProbeContext) -> IntelInfo | None:
    """Intel GPUs under `ctx.root` and whether Level Zero is installed; None when no Intel GPU is seen."""
    if ctx.sys_platform != "linux":
        return None
    gpus = _read_pci(ctx)
    if gpus:
        sources = ["pci"]
        stack = _has_library(ctx, LOADER) and _has_library(ctx, GPU_DRIVER)
        if stack:
            sources.append("level-zero")
        return IntelInfo(gpus=tuple(gpus), xpu_stack=stack, source="+".join(sources))
    answered = _read_tools(ctx)
    if answered is None:
        return None
    names, tool = answered
    return IntelInfo(gpus=tuple(IntelGpu(name=name) for name in names), xpu_stack=True, source=tool)
