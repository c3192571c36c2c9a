"""NVIDIA driver, the CUDA version the driver supports, and every GPU with compute capability and memory.

Why it exists: which `cuXYZ` build runs depends on the driver (minimum driver per CUDA version), and whether a
build's kernels run depends on each GPU's compute capability. Raw facts only; `CONDA_OVERRIDE_CUDA` does not
touch this section (it changes `__cuda` in the virtual packages and the planner's view of the driver).

Ladder, cheapest first; every source that answered is named in `source` (e.g. `sysfs+proc+nvidia-smi`):
  1. NVML in-process (nvidia-ml-py), only on the real root and when a driver is visibly loaded.
  2. `<root>/sys/module/nvidia/version`, then `<root>/proc/driver/nvidia/version` (driver version).
  3. `<root>/proc/driver/nvidia/gpus/*/information` (model and bus location of each GPU).
  4. PCI sysfs `<root>/sys/bus/pci/devices/*/{vendor,device,class}`: GPUs even without a driver.
  5. `nvidia-smi --query-gpu=... --format=csv` (WSL: `/usr/lib/wsl/lib/nvidia-smi` under the root), the
     only file-free source of compute capability and memory; `nvidia-smi -q -x` if the query fails.
The driver's CUDA version comes from NVML or `nvidia-smi -q -x` (`<cuda_version>`); otherwise from the driver
version through `torchsmith.knowledge.cuda_drivers.cuda_for_driver`.
Formats: https://docs.nvidia.com/deploy/nvidia-smi/ and the NVML API reference
(https://docs.nvidia.com/deploy/nvml-api/).
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from torchsmith.machine.context import ProbeContext
from torchsmith.machine.model import NvidiaGpu, NvidiaInfo

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

__all__ = [
    "SECTION",
    "SMI_QUERY",
    "detect",
    "normalize_bus_id",
    "parse_gpu_information",
    "parse_module_version",
    "parse_nvml_cuda_version",
    "parse_pci_gpu",
    "parse_proc_version",
    "parse_smi_csv",
    "parse_smi_xml",
]

SECTION = "nvidia"

SMI_QUERY = ("--query-gpu=name,pci.bus_id,compute_cap,memory.total,driver_version", "--format=csv")
"""The `nvidia-smi` arguments run by the probe (`compute_cap` needs driver >= 510)."""

WSL_SMI = "/usr/lib/wsl/lib/nvidia-smi"
"""WSL2 mounts the Windows driver's tools here; it is often not on PATH."""

NVIDIA_VENDOR = "0x10de"
_MIB = 1024 * 1024
_DRIVER = re.compile(r"[0-9]{3,4}\.[0-9]{1,3}(?:\.[0-9]{1,3})?")
_CC = re.compile(r"[0-9]{1,2}\.[0-9]{1,2}")
_ABSENT = {"", "n/a", "[n/a]", "[not supported]", "not supported", "[unknown error]", "unknown error"}


def _driver(value: str) -> str | None:
    value = value.strip()
    return value if _DRIVER.fullmatch(value) else None


def _field(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return None if value.lower() in _ABSENT else value


def _memory_mib(value: str | None) -> int | None:
    """`81559 MiB` (or `81559` with `nounits`) → 81559."""
    match = re.fullmatch(r"([0-9]{1,9})(?:\s*MiB)?", (value or "").strip())
    return int(match.group(1)) if match else None


def _compute_capability(value: str | None) -> str | None:
    value = _field(value)
    return value if value is not None and _CC.fullmatch(value) else None


def _name(value: str | None) -> str | None:
    value = _field(value)
    if value is None or len(value) > 200 or not value.isprintable():
        return None
    return value


def normalize_bus_id(value: str) -> str | None:
    """One spelling of a PCI address: `00000000:01:00.0` (NVML, nvidia-smi) → `0000:01:00.0` (sysfs)."""
    match = re.fullmatch(
        r"\s*([0-9a-fA-F]{4,8}):([0-9a-fA-F]{2}):([0-9a-fA-F]{2})\.([0-7])\s*", value.replace("\x00", "")
    )
    if not match:
        return None
    domain, bus, device, function = match.groups()
    return f"{domain[-4:]}:{bus}:{device}.{function}".lower()


def parse_module_version(text: str) -> str | None:
    """`/sys/module/nvidia/version` holds the loaded kernel module's version alone: `580.95.05`."""
    return _driver(text)


def parse_proc_version(text: str) -> str | None:
    """The driver version from `/proc/driver/nvidia/version`.

    Samples (proprietary and open kernel modules):
    `NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.127.05  Tue Oct  8 03:22:07 UTC 2024`
    `NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.95.05  Release Build  (dvs-builder@...)`
    """
    match = re.search(r"^NVRM version:.*?Kernel Module(?: for \S+)?\s+(\S+)", text, re.MULTILINE)
    return _driver(match.group(1)) if match else None


def parse_gpu_information(text: str) -> NvidiaGpu | None:
    """One GPU from `/proc/driver/nvidia/gpus/<bus>/information`.

    Sample: `Model: \\t\\t NVIDIA GeForce GTX 1080` ... `Bus Location: \\t 0000:01:00.0`. Compute capability
    and memory are not in this file.
    """
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields.setdefault(key.strip(), value.strip())
    name = _name(fields.get("Model"))
    if name is None:
        return None
    bus = fields.get("Bus Location")
    return NvidiaGpu(name=name, pci_id=normalize_bus_id(bus) if bus else None)


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


def parse_nvml_cuda_version(value: int) -> str | None:
    """NVML's `nvmlSystemGetCudaDriverVersion()` integer as `major.minor`: 12040 → `12.4`, 13000 → `13.0`."""
    if not isinstance(value, int) or isinstance(value, bool) or not 1000 <= value < 100000:
        return None
    return f"{value // 1000}.{(value % 1000) // 10}"


def parse_smi_csv(text: str) -> NvidiaInfo | None:
    """`nvidia-smi --query-gpu=name,pci.bus_id,compute_cap,memory.total,driver_version --format=csv`.

    Sample::

        name, pci.bus_id, compute_cap, memory.total [MiB], driver_version
        NVIDIA H100 80GB HBM3, 00000000:18:00.0, 9.0, 81559 MiB, 580.95.05

    A header, when present, decides the columns (so other `--query-gpu` field lists parse too); without one
    (`noheader`) the probe's own field order is assumed. `[N/A]` fields become None; a row with a name but no
    other readable field is garbage and skipped. `cuda_driver` is None: no query field reports it. None when
    no row describes a GPU.
    """
    lines = [line for line in text.splitlines() if line.strip()]
    columns = ["name", "pci.bus_id", "compute_cap", "memory.total", "driver_version"]
    if lines and re.match(r"\s*(?:index|name|pci\.bus_id)\s*,", lines[0]):
        columns = [c.strip().split(" [", 1)[0] for c in lines.pop(0).split(",")]
    if "name" not in columns:
        return None
    at = columns.index("name")
    gpus: list[NvidiaGpu] = []
    drivers: list[str] = []
    for line in lines:
        values = line.split(",")
        extra = len(values) - len(columns)
        if extra < 0:
            continue
        # Only the name could hold a comma: give it whatever is left over.
        values[at : at + extra + 1] = [",".join(values[at : at + extra + 1])]
        row = dict(zip(columns, values, strict=True))
        bus = row.get("pci.bus_id")
        gpu = NvidiaGpu(
            name=_name(row.get("name")) or "",
            compute_capability=_compute_capability(row.get("compute_cap")),
            memory_mib=_memory_mib(row.get("memory.total")),
            pci_id=normalize_bus_id(bus) if bus else None,
        )
        driver = _driver(row.get("driver_version") or "")
        if not gpu.name or not (gpu.compute_capability or gpu.memory_mib is not None or gpu.pci_id or driver):
            continue
        gpus.append(gpu)
        if driver is not None:
            drivers.append(driver)
    if not gpus:
        return None
    return NvidiaInfo(
        driver=drivers[0] if drivers else None, cuda_driver=None, gpus=tuple(gpus), source="nvidia-smi"
    )


def _xml_text(element: Element | None, path: str) -> str | None:
    found = element.find(path) if element is not None else None
    return _field(found.text) if found is not None and found.text is not None else None


def parse_smi_xml(text: str) -> NvidiaInfo | None:
    """`nvidia-smi -q -x`: driver, the driver's CUDA version and each GPU's name, memory and bus id.

    Sample (abridged)::

        <nvidia_smi_log><driver_version>550.127.05</driver_version><cuda_version>12.4</cuda_version>
        <gpu id="00000000:01:00.0"><product_name>NVIDIA GeForce RTX 4090</product_name>
        <fb_memory_usage><total>24564 MiB</total>...</fb_memory_usage></gpu></nvidia_smi_log>

    The XML has no compute capability. Documents declaring entities are refused (None), as is anything that
    is not an `nvidia_smi_log`.
    """
    if "<!ENTITY" in text:
        return None
    from xml.etree import ElementTree  # only needed when nvidia-smi's CSV query failed

    try:
        root = ElementTree.fromstring(text.strip())
    except (ElementTree.ParseError, ValueError):
        return None
    if root.tag != "nvidia_smi_log":
        return None
    gpus: list[NvidiaGpu] = []
    for gpu in root.findall("gpu"):
        name = _name(_xml_text(gpu, "product_name"))
        if name is None:
            continue
        bus = gpu.get("id") or _xml_text(gpu, "pci/pci_bus_id")
        gpus.append(
            NvidiaGpu(
                name=name,
                memory_mib=_memory_mib(_xml_text(gpu, "fb_memory_usage/total")),
                pci_id=normalize_bus_id(bus) if bus else None,
            )
        )
    driver = _driver(_xml_text(root, "driver_version") or "")
    cuda = _xml_text(root, "cuda_version")
    cuda = cuda if cuda is not None and _CC.fullmatch(cuda) else None
    if driver is None and not gpus:
        return None
    return NvidiaInfo(driver=driver, cuda_driver=cuda, gpus=tuple(gpus), source="nvidia-smi")


# --- I/O -----------------------------------------------------------------------------------------------


def _driver_visible(ctx: ProbeContext) -> bool:
    """Cheap check before loading NVML: a loaded driver shows in /proc (Linux) or /dev/dxg (WSL2)."""
    if ctx.sys_platform == "win32":
        return True
    if not ctx.sys_platform.startswith("linux"):
        return False
    return any(ctx.exists(p) for p in ("/proc/driver/nvidia/version", "/dev/nvidiactl", "/dev/dxg"))


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _read_nvml(ctx: ProbeContext) -> NvidiaInfo | None:
    """Everything at once from NVML in this process (no subprocess); None if NVML cannot start."""
    try:
        import pynvml  # nvidia-ml-py; imported here because it is only needed on machines with a driver
    except ImportError:
        return None
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError as error:
        ctx.warn(f"NVML did not start: {error}")
        return None
    try:
        driver = _driver(_text(pynvml.nvmlSystemGetDriverVersion()))
        cuda = parse_nvml_cuda_version(pynvml.nvmlSystemGetCudaDriverVersion())
        gpus: list[NvidiaGpu] = []
        for index in range(pynvml.nvmlDeviceGetCount()):
            handle = pynvml.nvmlDeviceGetHandleByIndex(index)
            gpus.append(_nvml_gpu(pynvml, handle))
    except pynvml.NVMLError as error:
        ctx.warn(f"NVML failed: {error}")
        return None
    finally:
        with contextlib.suppress(pynvml.NVMLError):
            pynvml.nvmlShutdown()
    return NvidiaInfo(driver=driver, cuda_driver=cuda, gpus=tuple(gpus), source="nvml")


def _nvml_gpu(pynvml: Any, handle: Any) -> NvidiaGpu:
    """One GPU through NVML; a field NVML refuses (e.g. memory on some unified-memory boards) stays None."""
    name = _name(_text(pynvml.nvmlDeviceGetName(handle))) or "NVIDIA GPU"
    try:
        major, minor = pynvml.nvmlDeviceGetCudaComputeCapability(handle)
        cc: str | None = f"{int(major)}.{int(minor)}"
    except pynvml.NVMLError:
        cc = None
    try:
        memory: int | None = int(pynvml.nvmlDeviceGetMemoryInfo(handle).total) // _MIB
    except pynvml.NVMLError:
        memory = None
    try:
        bus = normalize_bus_id(_text(pynvml.nvmlDeviceGetPciInfo(handle).busId))
    except pynvml.NVMLError:
        bus = None
    return NvidiaGpu(name=name, compute_capability=cc, memory_mib=memory, pci_id=bus)


def _read_driver(ctx: ProbeContext) -> tuple[str | None, str | None]:
    """(driver version, source) from the kernel module's files."""
    text = ctx.read_text("/sys/module/nvidia/version")
    driver = parse_module_version(text) if text is not None else None
    if driver is not None:
        return driver, "sysfs"
    text = ctx.read_text("/proc/driver/nvidia/version")
    driver = parse_proc_version(text) if text is not None else None
    if text is not None and driver is None:
        ctx.warn("cannot parse `/proc/driver/nvidia/version`")
    return driver, ("proc" if driver else None)


def _read_proc_gpus(ctx: ProbeContext) -> list[NvidiaGpu]:
    gpus: list[NvidiaGpu] = []
    for directory in ctx.glob("/proc/driver/nvidia/gpus", "*"):
        text = ctx.read_text(f"/proc/driver/nvidia/gpus/{directory.name}/information")
        gpu = parse_gpu_information(text) if text is not None else None
        if gpu is not None:
            gpus.append(gpu if gpu.pci_id else replace(gpu, pci_id=normalize_bus_id(directory.name)))
    return gpus


def _read_pci_gpus(ctx: ProbeContext) -> list[NvidiaGpu]:
    """NVIDIA display controllers on the PCI bus, whether or not a driver is bound to them."""
    gpus: list[NvidiaGpu] = []
    for device in ctx.glob("/sys/bus/pci/devices", "*"):
        base = f"/sys/bus/pci/devices/{device.name}"
        vendor = ctx.read_text(f"{base}/vendor", limit=64)
        if vendor is None or vendor.strip().lower() != NVIDIA_VENDOR:
            continue
        device_id = parse_pci_gpu(
            vendor,
            ctx.read_text(f"{base}/device", limit=64) or "",
            ctx.read_text(f"{base}/class", limit=64) or "",
        )
        if device_id is not None:
            gpus.append(NvidiaGpu(name=f"NVIDIA GPU {device_id}", pci_id=normalize_bus_id(device.name)))
    return gpus


def _read_smi(ctx: ProbeContext) -> tuple[NvidiaInfo | None, bool]:
    """(what nvidia-smi says, whether it was WSL's copy); the CSV query first, then `-q -x`."""
    wsl = ctx.path(WSL_SMI).is_file()
    at = WSL_SMI if wsl else None
    text = ctx.run("nvidia-smi", *SMI_QUERY, at=at)
    info = parse_smi_csv(text) if text is not None else None
    if text is not None and info is None:
        ctx.warn("cannot parse the output of `nvidia-smi --query-gpu`")
    if info is None:
        text = ctx.run("nvidia-smi", "-q", "-x", at=at)
        info = parse_smi_xml(text) if text is not None else None
        if text is not None and info is None:
            ctx.warn("cannot parse the output of `nvidia-smi -q -x`")
    return info, wsl


def _merge_bus_ids(gpus: tuple[NvidiaGpu, ...], known: list[NvidiaGpu]) -> tuple[NvidiaGpu, ...]:
    """Give nvidia-smi's GPUs the bus ids the files know (both list GPUs in PCI bus order)."""
    if len(gpus) != len(known):
        return gpus
    pairs = zip(gpus, known, strict=True)
    return tuple(gpu if gpu.pci_id else replace(gpu, pci_id=other.pci_id) for gpu, other in pairs)


def _cuda_for(driver: str | None, os_key: str) -> str | None:
    """The driver's own CUDA version from the knowledge table, when no tool said it."""
    if driver is None:
        return None
    from packaging.version import Version

    from torchsmith.knowledge.cuda_drivers import cuda_for_driver

    cuda = cuda_for_driver(Version(driver), os_key)
    return f"{cuda.major}.{cuda.minor}" if cuda is not None else None


def detect(ctx: ProbeContext) -> NvidiaInfo | None:
    """Run the ladder; None when no NVIDIA GPU or driver is seen at all."""
    if ctx.use_nvml and ctx.is_real_root and _driver_visible(ctx):
        info = _read_nvml(ctx)
        if info is not None:
            return info
    sources: list[str] = []
    driver, driver_source = _read_driver(ctx)
    if driver_source:
        sources.append(driver_source)
    known = _read_proc_gpus(ctx)
    if known:
        sources.append("proc")
    else:
        known = _read_pci_gpus(ctx)
        if known:
            sources.append("pci")
    if driver is None and known:
        # GPUs on the bus but no kernel module loaded: nvidia-smi could only fail.
        return NvidiaInfo(driver=None, cuda_driver=None, gpus=tuple(known), source="+".join(sources))
    smi, wsl = _read_smi(ctx)
    gpus = tuple(known)
    cuda: str | None = None
    if smi is not None:
        sources.append("nvidia-smi")
        driver = driver or smi.driver
        cuda = smi.cuda_driver
        if smi.gpus:
            gpus = _merge_bus_ids(smi.gpus, known)
    if driver is None and not gpus:
        return None
    if cuda is None:
        cuda = _cuda_for(driver, "windows" if wsl or ctx.sys_platform == "win32" else "linux")
    return NvidiaInfo(
        driver=driver, cuda_driver=cuda, gpus=gpus, source="+".join(dict.fromkeys(sources)) or "nvidia-smi"
    )
