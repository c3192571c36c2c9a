"""NVIDIA driver, the CUDA version the driver supports, and every GPU with compute capability and memory.

Why it exists: which `cuXYZ` build runs depends on the driver (minimum driver per CUDA version), and whether a
build's kernels run depends on each GPU's compute capability. Raw facts only; `CONDA_OVERRIDE_CUDA` does not
touch this section (it changes `__cuda` in the virtual packages and the planner's view of the driver).

Ladder, cheapest first; every source that answered is named in `source` (e.g. `sysfs+proc+nvidia-smi`):
  1. NVML in-process (nvidia-ml-py), only on the real root and when a driver is visibly loaded.
  2. `<root>/sys/module/nvidia/version`, then `<root>/proc/driver/nvidia/version` (driver version). On a
     Jetson that file describes the integrated GPU's Tegra driver (`35.4.1`, not an R5xx version): the
     `jetson` section owns that fact, so no warning.
  3. `<root>/proc/driver/nvidia/gpus/*/information` (model and bus location of each GPU).
  4. PCI sysfs `<root>/sys/bus/pci/devices/*/{vendor,device,class}`: GPUs even without a driver, named by
     the machine's `pci.ids` and torchsmith's device table (`knowledge/nvidia_devices`), which also gives the
     compute capability; `lspci -nn` where sysfs is unreadable.
  5. `nvidia-smi` (`torchsmith.machine.nvidia_smi` reads every format): on PATH, at `/usr/lib/wsl/lib` under
     the root (WSL2), at `C:\\Windows\\System32` and the NVSMI folder (Windows). The CSV query first (a field
     an old driver rejects is dropped and the query asked again), then `-q -x`, `-q`, the plain table; and
     `-L` for the MIG devices of GPUs in MIG mode.
The driver's CUDA version comes from NVML or nvidia-smi; otherwise from the driver version through
`torchsmith.knowledge.cuda_drivers.cuda_for_driver`.
Formats: https://docs.nvidia.com/deploy/nvidia-smi/ and the NVML API reference
(https://docs.nvidia.com/deploy/nvml-api/).
"""

from __future__ import annotations

import contextlib
import re

from torchsmith.machine import nvidia_smi
from torchsmith.machine.context import ProbeContext
from torchsmith.machine.model import NvidiaGpu, NvidiaInfo
from torchsmith.machine.nvidia_pci import (
    fill_compute_capability,
    named_pci_gpus,
    parse_pci_gpu,
    read_lspci_ids,
    read_sysfs_ids,
)
from torchsmith.machine.nvidia_smi import (
    QUERY_FIELDS,
    first_line,
    normalize_bus_id,
    parse_smi_csv,
    parse_smi_list,
    parse_smi_table,
    parse_smi_text,
    parse_smi_xml,
)
from torchsmith.record import replace

TYPE_CHECKING = False  # `typing` stays unloaded at start-up (issue 17); mypy reads the name as typing's
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "SECTION",
    "SMI_LOCATIONS",
    "WSL_SMI",
    "detect",
    "normalize_bus_id",
    "parse_gpu_information",
    "parse_module_version",
    "parse_nvml_cuda_version",
    "parse_pci_gpu",
    "parse_proc_version",
    "parse_smi_csv",
    "parse_smi_list",
    "parse_smi_table",
    "parse_smi_text",
    "parse_smi_xml",
]

SECTION = "nvidia"

WSL_SMI = "/usr/lib/wsl/lib/nvidia-smi"
"""WSL2 mounts the Windows driver's tools here; it is often not on PATH."""

SMI_LOCATIONS = {
    "linux": (WSL_SMI,),
    "win32": (
        "C:\\Windows\\System32\\nvidia-smi.exe",
        "C:\\Program Files\\NVIDIA Corporation\\NVSMI\\nvidia-smi.exe",
    ),
}
"""Where driver installs put nvidia-smi besides PATH (R450+ on Windows: System32; older: the NVSMI folder)."""

_MIB = 1024 * 1024
_driver = nvidia_smi.driver
_name = nvidia_smi._name


def parse_module_version(text: str) -> str | None:
    """`/sys/module/nvidia/version` holds the loaded kernel module's version alone: `580.95.05`."""
    return _driver(text)


def parse_proc_version(text: str) -> str | None:
    """The driver version from `/proc/driver/nvidia/version`.

    Samples (proprietary and open kernel modules):
    `NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.127.05  Tue Oct  8 03:22:07 UTC 2024`
    `NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.95.05  Release Build  (dvs-builder@...)`
    A Jetson's Tegra driver (`... Kernel Module for aarch64  34.1.1  Release Build ...`) carries the L4T
    release instead of a driver version: None (see `is_tegra_proc_version`).
    """
    match = re.search(r"^NVRM version:.*?Kernel Module(?: for \S+)?\s+(\S+)", text, re.MULTILINE)
    return _driver(match.group(1)) if match else None


def is_tegra_proc_version(text: str) -> bool:
    """True for a Jetson's line, whose version is an L4T release (`34.1.1`, `35.4.1`), not a driver's."""
    return (
        re.search(r"^NVRM version:.*Kernel Module for aarch64\s+[0-9]{2}\.[0-9]+\.[0-9]+\s", text, re.M)
        is not None
    )


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


def parse_nvml_cuda_version(value: int) -> str | None:
    """NVML's `nvmlSystemGetCudaDriverVersion()` integer as `major.minor`: 12040 → `12.4`, 13000 → `13.0`."""
    if not isinstance(value, int) or isinstance(value, bool) or not 1000 <= value < 100000:
        return None
    return f"{value // 1000}.{(value % 1000) // 10}"


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
    bus: str | None = None
    device_id: str | None = None
    try:
        pci = pynvml.nvmlDeviceGetPciInfo(handle)
        bus = normalize_bus_id(_text(pci.busId))
        device_id = f"0x{(int(pci.pciDeviceId) >> 16) & 0xFFFF:04x}"
    except (pynvml.NVMLError, AttributeError, TypeError, ValueError):
        pass
    gpu = NvidiaGpu(name=name, compute_capability=cc, memory_mib=memory, pci_id=bus, device_id=device_id)
    return _nvml_mig(pynvml, handle, gpu)


def _nvml_mig(pynvml: Any, handle: Any, gpu: NvidiaGpu) -> NvidiaGpu:
    """MIG mode and instances (`nvmlDeviceGetMigMode`, `nvmlDeviceGetMigDeviceHandleByIndex`); GPUs without
    MIG support answer NOT_SUPPORTED, which leaves `mig` unknown."""
    from torchsmith.machine.model import MigDevice

    try:
        current, _pending = pynvml.nvmlDeviceGetMigMode(handle)
    except (pynvml.NVMLError, AttributeError):
        return gpu
    if int(current) != 1:
        return replace(gpu, mig=False)
    devices: list[MigDevice] = []
    try:
        count = int(pynvml.nvmlDeviceGetMaxMigDeviceCount(handle))
    except pynvml.NVMLError:
        count = 0
    for index in range(count):
        try:
            mig = pynvml.nvmlDeviceGetMigDeviceHandleByIndex(handle, index)
        except pynvml.NVMLError:
            continue  # an empty slot
        name = _text(pynvml.nvmlDeviceGetName(mig))
        profile = re.search(r"MIG ([0-9]+g\.[0-9]+gb\S*)", name)
        uuid = _text(pynvml.nvmlDeviceGetUUID(mig))
        devices.append(MigDevice(profile.group(1) if profile else name, len(devices), uuid))
    return replace(gpu, mig=True, mig_devices=tuple(devices))


def _read_driver(ctx: ProbeContext) -> tuple[str | None, str | None]:
    """(driver version, source) from the kernel module's files."""
    text = ctx.read_text("/sys/module/nvidia/version")
    driver = parse_module_version(text) if text is not None else None
    if driver is not None:
        return driver, "sysfs"
    text = ctx.read_text("/proc/driver/nvidia/version")
    driver = parse_proc_version(text) if text is not None else None
    if text is not None and driver is None and not is_tegra_proc_version(text):
        ctx.warn(f"cannot read the driver version in `/proc/driver/nvidia/version`: {first_line(text)}")
    return driver, ("proc" if driver else None)


def _read_proc_gpus(ctx: ProbeContext) -> list[NvidiaGpu]:
    gpus: list[NvidiaGpu] = []
    for directory in ctx.glob("/proc/driver/nvidia/gpus", "*"):
        bus_id = directory.rsplit("/", 1)[-1]
        text = ctx.read_text(f"{directory}/information")
        gpu = parse_gpu_information(text) if text is not None else None
        if gpu is not None:
            gpus.append(gpu if gpu.pci_id else replace(gpu, pci_id=normalize_bus_id(bus_id)))
    return gpus


def _smi_places(ctx: ProbeContext) -> list[str | None]:
    """Where to run nvidia-smi from: PATH (None) first, then the fixed install places that exist."""
    places: list[str | None] = [None] if ctx.which("nvidia-smi") else []
    for location in SMI_LOCATIONS.get("win32" if ctx.sys_platform == "win32" else "linux", ()):
        if ctx.is_file(location):
            places.append(location)
    return places[:1]


_INVALID_ARGUMENT = 2
"""nvidia-smi's documented exit status for an option it does not know (an older tool): try another format.
Any other failure (9: no driver, 18: driver/library mismatch) would fail every format alike."""


def _run(ctx: ProbeContext, at: str | None, *args: str) -> tuple[str | None, bool]:
    """(output when it succeeded, whether another format is worth trying); failures become warnings."""
    result = ctx.run_status("nvidia-smi", *args, at=at)
    if result is None:
        return None, False
    status, text = result
    if status != 0:
        ctx.warn(f"`{' '.join(('nvidia-smi', *args))}` exited with status {status}: {first_line(text)}")
        return None, status == _INVALID_ARGUMENT
    return text, True


def _query(ctx: ProbeContext, at: str | None) -> tuple[NvidiaInfo | None, bool]:
    """`--query-gpu` with the probe's fields; a field the driver rejects is dropped and asked again."""
    fields = list(QUERY_FIELDS)
    while True:
        args = (f"--query-gpu={','.join(fields)}", "--format=csv")
        result = ctx.run_status("nvidia-smi", *args, at=at)
        if result is None:
            return None, False
        status, text = result
        rejected = nvidia_smi.parse_field_error(text)
        if rejected in fields and rejected != "name":
            fields.remove(rejected)
            continue
        if status != 0:
            ctx.warn(f"`nvidia-smi {' '.join(args)}` exited with status {status}: {first_line(text)}")
            return None, status == _INVALID_ARGUMENT
        info = parse_smi_csv(text)
        if info is None:
            ctx.warn(f"cannot read the output of `nvidia-smi --query-gpu`: {first_line(text)}")
        return info, True


_FORMATS = (
    (("-q", "-x"), parse_smi_xml),
    (("-q",), parse_smi_text),
    ((), parse_smi_table),
)


def _read_smi(ctx: ProbeContext) -> tuple[NvidiaInfo | None, str | None]:
    """(what nvidia-smi says, where it ran from): the CSV query, then `-q -x`, `-q`, the plain table, each
    only while the previous one printed something unreadable or was refused as an unknown option."""
    places = _smi_places(ctx)
    if not places:
        return None, None
    at = places[0]
    info, go_on = _query(ctx, at)
    for args, parse in _FORMATS:
        if info is not None or not go_on:
            break
        text, go_on = _run(ctx, at, *args)
        if text is None:
            continue
        info = parse(text)
        if info is None:
            ctx.warn(f"cannot read the output of `{' '.join(('nvidia-smi', *args))}`: {first_line(text)}")
    if info is not None and any(gpu.mig for gpu in info.gpus):
        text, _ = _run(ctx, at, "-L")
        listed = parse_smi_list(text) if text is not None else None
        if text is not None and listed is None:
            ctx.warn(f"cannot read the output of `nvidia-smi -L`: {first_line(text)}")
        if listed is not None:
            info = replace(info, gpus=nvidia_smi.with_mig_devices(info.gpus, listed))
    return info, at


def _merge(gpus: tuple[NvidiaGpu, ...], known: list[NvidiaGpu], ids: dict[str, str]) -> tuple[NvidiaGpu, ...]:
    """Give nvidia-smi's GPUs the bus ids the files know (both list GPUs in PCI bus order) and the device
    ids sysfs knows."""
    if len(gpus) == len(known):
        pairs = zip(gpus, known, strict=True)
        gpus = tuple(gpu if gpu.pci_id else replace(gpu, pci_id=other.pci_id) for gpu, other in pairs)
    return tuple(
        replace(gpu, device_id=ids[gpu.pci_id]) if gpu.device_id is None and gpu.pci_id in ids else gpu
        for gpu in gpus
    )


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
    ids = read_sysfs_ids(ctx) if ctx.sys_platform.startswith("linux") else {}
    id_source = "pci"
    if ids is None:
        ids, id_source = read_lspci_ids(ctx), "lspci"
    known = _read_proc_gpus(ctx)
    if known:
        sources.append("proc")
    if driver is None and not known and ids:
        # GPUs on the bus but no kernel module loaded: nvidia-smi could only fail.
        named, used = named_pci_gpus(ctx, ids)
        sources = [*sources, id_source, *used]
        source = "+".join(dict.fromkeys(sources))
        return NvidiaInfo(driver=None, cuda_driver=None, gpus=tuple(named), source=source)
    if not known and ids:
        known, used = named_pci_gpus(ctx, ids)
        sources += [id_source, *used]
    smi, at = _read_smi(ctx)
    gpus = _merge(tuple(known), [], ids)
    cuda: str | None = None
    if smi is not None:
        sources.append("nvidia-smi")
        driver = driver or smi.driver
        cuda = smi.cuda_driver
        if smi.gpus:
            gpus = _merge(smi.gpus, known, ids)
    if driver is None and not gpus:
        return None
    gpus, filled = fill_compute_capability(gpus)
    if filled:
        sources.append("device-table")
    if cuda is None and not ctx.exists("/etc/nv_tegra_release"):
        # (A Jetson's Tegra driver is not in the desktop driver table; its CUDA is JetPack's, in `jetson`.)
        windows = at == WSL_SMI or ctx.sys_platform == "win32"
        cuda = _cuda_for(driver, "windows" if windows else "linux")
    return NvidiaInfo(
        driver=driver, cuda_driver=cuda, gpus=gpus, source="+".join(dict.fromkeys(sources)) or "nvidia-smi"
    )
