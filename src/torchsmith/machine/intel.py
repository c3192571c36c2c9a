"""Intel GPUs (discrete Arc / Data Center, integrated Core Ultra) and whether the XPU user space is present.

Why it exists: PyTorch's `xpu` wheels run on some Intel GPU families only (`torchsmith.knowledge.xpu`,
keyed by PCI device id), and they need the GPU's Level Zero driver from the system (Intel's
compute-runtime: `libze_intel_gpu.so.1`, loaded through `libze_loader.so.1`), which a wheel cannot bring.

Ladder, cheapest first; every source that answered is named in `source` (e.g. `pci+level-zero`):
  GPUs   1. PCI sysfs `<root>/sys/bus/pci/devices/*/{vendor,device,class}`: vendor 0x8086 with a display
            class (0x03xxxx); family, name and discrete/integrated from the device id.
         2. only when sysfs shows none: `xpu-smi discovery` (bordered or borderless; `-d N` for each
            device's `PCI Device ID`), then `sycl-ls --verbose` (`[level_zero:gpu][level_zero:0] ...,
            Intel(R) Arc(TM) A770 Graphics 12.55.8 [1.3.29735]`, and `DeviceID` in oneAPI 2025), on PATH.
            A PCI device id names the family from the XPU table, so such a GPU can be offered `xpu`.
  Stack  `libze_loader.so.1` and `libze_intel_gpu.so.1` in the usual library directories under the root;
         a Level Zero GPU listed by `sycl-ls` / `xpu-smi` also proves it.
Level Zero: https://github.com/oneapi-src/level-zero ; compute-runtime: https://github.com/intel/compute-runtime
"""

from __future__ import annotations

import re

from torchsmith.lazy_re import lazy
from torchsmith.machine.context import ProbeContext
from torchsmith.machine.model import IntelGpu, IntelInfo

__all__ = [
    "SECTION",
    "detect",
    "parse_pci_intel_gpu",
    "parse_sycl_ls",
    "parse_sycl_ls_device_ids",
    "parse_xpu_smi_devices",
    "parse_xpu_smi_discovery",
]

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
_SYCL_GPU = lazy(
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


def parse_xpu_smi_devices(text: str) -> tuple[tuple[int, str | None, str | None], ...] | None:
    """(index, name, PCI device id) per device of `xpu-smi discovery` or `xpu-smi discovery -d N`.

    Both layouts: bordered (`| 0         | Device Name: Intel(R) Data Center GPU Max 1550 |`, xpu-smi
    1.2 summary) and borderless (`  0             Device Type: Discrete GPU` then indented `Device Name:`,
    `PCI Device ID: 0x56a0` lines: `xpu-smi discovery -d 0` on an Arc A770, ggml-org/llama.cpp#28725).
    None when no line starts a device.
    """
    from torchsmith.knowledge.xpu import normalize_device_id

    devices: list[dict[str, str]] = []
    for raw in text.splitlines():
        line = raw.replace("|", " ").strip()
        start = re.match(r"([0-9]{1,3})\s+(\S.*)$", line)
        if start and ":" in start.group(2):
            devices.append({"index": start.group(1)})
            line = start.group(2)
        key, sep, value = line.partition(":")
        if devices and sep:
            devices[-1].setdefault(key.strip(), value.strip())
    if not devices:
        return None
    result: list[tuple[int, str | None, str | None]] = []
    for device in devices:
        raw_id = device.get("PCI Device ID", "")
        device_id = normalize_device_id(raw_id.lower().removeprefix("0x").rjust(4, "0")) if raw_id else None
        result.append((int(device["index"]), _printable_name(device.get("Device Name", "")), device_id))
    return tuple(result)


def parse_sycl_ls_device_ids(text: str) -> tuple[str, ...]:
    """PCI device ids of the Level Zero GPUs in `sycl-ls --verbose` (`DeviceID : 22176` -> `0x56a0`; the
    field exists in oneAPI 2025's sycl-ls, intel/llvm#19305). Empty when the release does not print it."""
    ids: list[str] = []
    level_zero = False
    kind = ""
    for raw in text.splitlines():
        key, sep, value = raw.strip().partition(":")
        key, value = key.strip(), value.strip()
        if raw.startswith("Platform [#"):
            level_zero, kind = False, ""
        elif sep and key == "Name" and raw.startswith("    ") and not raw.startswith("     "):
            level_zero = "Level-Zero" in value
        elif sep and key == "Type":
            kind = value
        elif sep and key == "DeviceID" and level_zero and kind == "gpu" and value.isdigit():
            number = int(value)
            if 0 < number <= 0xFFFF:
                ids.append(f"0x{number:04x}")
    return tuple(ids)


def _read_pci(ctx: ProbeContext) -> list[IntelGpu]:
    gpus: list[IntelGpu] = []
    for base in ctx.glob("/sys/bus/pci/devices", "*"):
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


def _gpu(name: str | None, device_id: str | None) -> IntelGpu:
    """A GPU a tool reported: the family (and whether it is discrete) from its PCI device id when known."""
    from torchsmith.knowledge.xpu import intel_family

    family = intel_family(device_id) if device_id else None
    if family is None:
        return IntelGpu(name=name or "Intel GPU", device_id=device_id, discrete=None)
    return IntelGpu(name=name or family.name, device_id=device_id, discrete=family.discrete)


def _read_xpu_smi(ctx: ProbeContext) -> tuple[IntelGpu, ...] | None:
    text = ctx.run("xpu-smi", "discovery")
    if text is None:
        return None
    devices = parse_xpu_smi_devices(text)
    if devices is None:
        ctx.warn(f"cannot read the output of `xpu-smi discovery`: {_first_line(text)}")
        return None
    gpus: list[IntelGpu] = []
    for index, name, device_id in devices:
        if device_id is None:  # the summary table has no device id; the per-device report has
            detail = ctx.run("xpu-smi", "discovery", "-d", str(index))
            found = parse_xpu_smi_devices(detail) if detail else None
            if found:
                name, device_id = name or found[0][1], found[0][2]
        gpus.append(_gpu(name, device_id))
    return tuple(gpus)


def _read_sycl_ls(ctx: ProbeContext) -> tuple[IntelGpu, ...] | None:
    text = ctx.run("sycl-ls", "--verbose")
    if text is None:
        return None
    names = parse_sycl_ls(text)
    if names is None:
        ctx.warn(f"cannot read the output of `sycl-ls --verbose`: {_first_line(text)}")
        return None
    ids: tuple[str | None, ...] = parse_sycl_ls_device_ids(text)
    if len(ids) != len(names):
        ids = tuple(_id_by_name(ctx, name) for name in names)
    return tuple(_gpu(name, device_id) for name, device_id in zip(names, ids, strict=True))


def _plain(name: str) -> str:
    """`Intel(R) Arc(TM) A770 Graphics` and pci.ids' `Arc A770` compare equal: trademarks, `Intel` and a
    trailing `Graphics` dropped, case and spacing ignored."""
    text = re.sub(r"\((?:R|TM)\)", "", name)
    text = re.sub(r"\bIntel\b|\bGraphics\s*$", "", text.strip())
    return " ".join(text.lower().split())


def _id_by_name(ctx: ProbeContext, name: str) -> str | None:
    """The PCI device id of a GPU known only by its name (`sycl-ls` before oneAPI 2025), when exactly one
    entry of the machine's `pci.ids` carries that product name; None otherwise (no guessing)."""
    from torchsmith.machine.pciids import marketing_name, read_pci_ids, vendor_devices

    database = read_pci_ids(ctx)
    if database is None:
        return None
    wanted = _plain(name)
    found = [
        i
        for i, entry in vendor_devices(database, INTEL_VENDOR).items()
        if _plain(marketing_name(entry)) == wanted
    ]
    return found[0] if len(found) == 1 else None


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return f"`{line.strip()[:120]}`"
    return "(empty output)"


def _read_tools(ctx: ProbeContext) -> tuple[tuple[IntelGpu, ...], str] | None:
    """xpu-smi first (it reports PCI device ids), then sycl-ls (names; ids only in newer releases)."""
    gpus = _read_xpu_smi(ctx)
    if gpus:
        return gpus, "xpu-smi"
    gpus = _read_sycl_ls(ctx)
    if gpus:
        return gpus, "sycl-ls"
    return None


PACKAGES = {
    LOADER: "`libze1` (Debian/Ubuntu; `level-zero` in Intel's repositories)",
    GPU_DRIVER: "`libze-intel-gpu1` (Debian/Ubuntu; `intel-level-zero-gpu` in older repositories)",
}
"""The package that ships each Level Zero library (packages.ubuntu.com: libze1, libze-intel-gpu1)."""


def detect(ctx: ProbeContext) -> IntelInfo | None:
    """Intel GPUs under `ctx.root` and whether Level Zero is installed; None when no Intel GPU is seen."""
    if ctx.sys_platform != "linux":
        return None
    gpus = _read_pci(ctx)
    if gpus:
        sources = ["pci"]
        loader, driver = _has_library(ctx, LOADER), _has_library(ctx, GPU_DRIVER)
        stack = loader and driver
        if stack:
            sources.append("level-zero")
        else:
            _warn_missing_stack(ctx, gpus, loader, driver)
        return IntelInfo(gpus=tuple(gpus), xpu_stack=stack, source="+".join(sources))
    answered = _read_tools(ctx)
    if answered is None:
        return None
    found, tool = answered
    return IntelInfo(gpus=found, xpu_stack=True, source=tool)


def _warn_missing_stack(ctx: ProbeContext, gpus: list[IntelGpu], loader: bool, driver: bool) -> None:
    """A GPU PyTorch XPU supports without the Level Zero user space it needs: name the missing package."""
    from torchsmith.knowledge.xpu import xpu_supported

    supported = [gpu for gpu in gpus if gpu.device_id and xpu_supported(gpu.device_id)]
    if not supported:
        return
    missing = [name for name, present in ((LOADER, loader), (GPU_DRIVER, driver)) if not present]
    gpu = supported[0]
    ctx.warn(
        f"`{gpu.name}` ({gpu.device_id}) can run PyTorch XPU, but the Level Zero runtime is missing: "
        + "; ".join(f"no `{m}`, install {PACKAGES[m]}" for m in missing)
    )
