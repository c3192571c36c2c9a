"""One spelling for every vendor string, applied where facts enter torchsmith (probe and `--machine` files).

Detectors and hand-written machine files carry values as the tools printed them; the rules compare
versions and targets, so each value is brought to one form here, and a value that was rewritten is named in
the machine's warnings (what was read, what it means). Formats, with their sources:

* NVIDIA driver on Windows, as `wmic path win32_videocontroller get DriverVersion` or
  `Get-CimInstance Win32_VideoController` print it: the driver-store version `32.0.15.8157`. NVIDIA's
  version is the last five digits of the last two fields, read as `XXX.XX`: `15` + `8157` -> `158157` ->
  `581.57` (NVIDIA Customer Help, "How do I find the NVIDIA driver version from the Windows driver
  version?", answer 4998 / "Understanding driver version numbers"). `nvidia-smi` on Windows and in WSL2
  prints the NVIDIA form (`581.57`) already.
* NVIDIA driver on Linux: `535.104.05` (nvidia-smi, `/sys/module/nvidia/version`), `535.104` (older
  releases), or the whole `/proc/driver/nvidia/version` line (`NVRM version: NVIDIA UNIX x86_64 Kernel
  Module  535.104.05  Sat Aug 19 ...`): the first dotted number is kept.
* The driver's CUDA version: `12.2`, nvidia-smi's banner text `CUDA Version: 12.2`, or NVML/CUDA's integer
  `cudaDriverGetVersion` value `12020` (1000 * major + 10 * minor, CUDA Runtime API docs) -> `12.2`.
* Compute capability: `8.6` (nvidia-smi `--query-gpu=compute_cap`), `sm_86`, `sm86`, `compute_86`,
  `86`, `sm_90a`/`sm_100f` (arch-specific suffixes: the same GPU), `12.0`/`sm_120` -> `major.minor`;
  `sm ?`, `?`, `N/A`, `[N/A]` (nvidia-smi for an unreadable field) -> unknown.
* AMD gfx target: `rocminfo` prints `gfx90a:sramecc+:xnack-` (target-id features, LLVM AMDGPU "Target
  ID" docs) and the ISA name `amdgcn-amd-amdhsa--gfx90a:sramecc+:xnack-`; PyTorch's wheels are listed by
  the processor alone, so `gfx90a`. Case is folded (`GFX1100`).
* Python ABI: `cp36m`/`cp37m` (PEP 3149 `m` = pymalloc, dropped in 3.8; `sysconfig`'s `SOABI` is
  `cpython-36m-x86_64-linux-gnu`) -> `cp36`, the tag NVIDIA and PyPI wheel *Python* tags use; a debug `d`
  is dropped; free-threaded `t` is kept (`cp313t`). `cpython-313t-...` SOABIs become `cp313t`.
* Jetson L4T release: `R35.5.0`, `r36.4`, `35.5` (as `jtop` and scripts print it) -> `35.5.0`, the form
  `/etc/nv_tegra_release` gives (`# R35 (release), REVISION: 5.0`).
* Intel PCI device ids: `0x56A0`, `56a0`, `8086:56a0`, Windows `PCI\\VEN_8086&DEV_56A0&...` -> `0x56a0`.
"""

from __future__ import annotations

import re

from torchsmith import record
from torchsmith.lazy_re import lazy
from torchsmith.machine.model import Machine

__all__ = [
    "compute_capability",
    "cuda_version",
    "gfx_target",
    "intel_device_id",
    "l4t_release",
    "normalize_machine",
    "nvidia_driver",
    "python_abi",
]

_DRIVER_STORE = lazy(r"(?P<a>[0-9]{1,2})\.(?P<b>[0-9]+)\.(?P<c>[0-9]{1,2})\.(?P<d>[0-9]{4})")
_DOTTED = lazy(r"[0-9]+(?:\.[0-9]+)+")
_CC = lazy(r"(?:sm_?|compute_?)?(?P<digits>[0-9]{2,3})[a-z]?")
_CC_DOTTED = lazy(r"(?P<major>[0-9]{1,2})[.,](?P<minor>[0-9])")
_GFX = lazy(r"gfx[0-9]{2,4}[0-9a-f]{0,2}")
_SOABI = lazy(r"cpython-(?P<digits>[0-9]{2,3})(?P<flags>[a-z]*)")
_ABI = lazy(r"cp(?P<digits>[0-9]{2,3})(?P<flags>[a-z]*)")
_UNKNOWN = {"", "?", "sm ?", "sm_?", "n/a", "[n/a]", "unknown", "none", "null"}


def nvidia_driver(text: str | None, windows: bool = False) -> str | None:
    """NVIDIA's driver version (`581.57`, `535.104.05`) from any printed form; None if there is none.

    `windows` is true for drivers whose numbers come from Windows (Windows itself, or a WSL2 guest whose
    driver is the host's): only there is a four-field driver-store version rewritten.
    """
    if text is None:
        return None
    value = text.strip()
    store = _DRIVER_STORE.fullmatch(value)
    if store is not None and (windows or int(store["a"]) >= 20):
        digits = (store["c"] + store["d"])[-5:]
        return f"{int(digits[:3])}.{digits[3:]}"
    match = _DOTTED.search(value)
    return match.group(0) if match else None


def cuda_version(text: str | None) -> str | None:
    """`12.2` from `12.2`, `CUDA Version: 12.2`, `12.2.140` (kept), or the integer `12020`."""
    if text is None:
        return None
    value = text.strip()
    if value.isdigit() and len(value) >= 4:
        number = int(value)
        return f"{number // 1000}.{(number % 1000) // 10}"
    match = _DOTTED.search(value)
    return match.group(0) if match else None


def compute_capability(text: str | None) -> str | None:
    """`8.6` from `8.6`, `sm_86`, `sm86`, `compute_86`, `86`, `sm_90a`, `sm_120`, `12.0`; None if unknown."""
    if text is None:
        return None
    value = text.strip().lower()
    if value in _UNKNOWN:
        return None
    if match := _CC_DOTTED.fullmatch(value):
        return f"{int(match['major'])}.{match['minor']}"
    if match := _CC.fullmatch(value):
        digits = match["digits"]
        return f"{int(digits[:-1])}.{digits[-1]}"
    return None


def gfx_target(text: str | None) -> str | None:
    """`gfx90a` from `gfx90a:sramecc+:xnack-`, `amdgcn-amd-amdhsa--gfx90a:xnack-` or `GFX90A`."""
    if text is None:
        return None
    value = text.strip().lower()
    if value in _UNKNOWN:
        return None
    processor = value.rsplit("--", 1)[-1].split(":", 1)[0]
    return processor if _GFX.fullmatch(processor) else value


def python_abi(text: str | None) -> str | None:
    """`cp36` from `cp36m`, `cp313t` kept, `cp312` from `cpython-312-x86_64-linux-gnu` or `CP312`."""
    if text is None:
        return None
    value = text.strip().lower()
    match = _SOABI.match(value) or _ABI.fullmatch(value)
    if match is None:
        return value or None
    return f"cp{match['digits']}{'t' if 't' in match['flags'] else ''}"


def intel_device_id(text: str | None) -> str | None:
    """`0x56a0` from `0x56A0`, `56a0`, `8086:56a0` or `PCI\\VEN_8086&DEV_56A0&SUBSYS_...`."""
    if text is None:
        return None
    value = text.strip().lower()
    if match := re.search(r"dev_([0-9a-f]{4})", value):
        return f"0x{match[1]}"
    value = value.rsplit(":", 1)[-1].removeprefix("0x")
    return f"0x{value}" if re.fullmatch(r"[0-9a-f]{4}", value) else text.strip() or None


def l4t_release(text: str) -> str:
    """`35.5.0` from `R35.5.0`, `r36.4` or `35.5`; anything else is kept (the rules call it unknown)."""
    value = text.strip().lstrip("Rr")
    match = re.fullmatch(r"([0-9]{2,3})\.([0-9]{1,3})(?:\.([0-9]{1,3}))?", value)
    if match is None:
        return text
    return f"{int(match[1])}.{int(match[2])}.{int(match[3] or 0)}"


def normalize_machine(machine: Machine) -> Machine:
    """The machine with every vendor string in its one spelling; each rewrite noted in `warnings`."""
    notes: list[str] = []

    def note(what: str, before: str | None, after: str | None) -> str | None:
        if before is not None and after != before:
            shown = after if after is not None else "unknown"
            notes.append(f"{what} `{before}` read as `{shown}`")
        return after

    changes: dict[str, object] = {}
    if machine.python is not None:
        abi = note("Python ABI", machine.python.abi, python_abi(machine.python.abi))
        changes["python"] = record.replace(machine.python, abi=abi)
    if machine.nvidia is not None:
        nv = machine.nvidia
        windows = machine.os == "windows" or machine.wsl
        gpus = tuple(
            record.replace(
                gpu,
                compute_capability=note(
                    f"compute capability of `{gpu.name}`",
                    gpu.compute_capability,
                    compute_capability(gpu.compute_capability),
                ),
            )
            for gpu in nv.gpus
        )
        driver = nvidia_driver(nv.driver, windows)
        if nv.driver is not None and driver != nv.driver and _DRIVER_STORE.fullmatch(nv.driver.strip()):
            notes.append(f"NVIDIA driver `{nv.driver}` is a Windows driver-store version: driver {driver}")
        else:
            note("NVIDIA driver", nv.driver, driver)
        cuda = note("driver CUDA version", nv.cuda_driver, cuda_version(nv.cuda_driver))
        changes["nvidia"] = record.replace(nv, driver=driver, cuda_driver=cuda, gpus=gpus)
    if machine.amd is not None:
        agpus = tuple(
            record.replace(gpu, gfx=note(f"gfx target of `{gpu.name}`", gpu.gfx, gfx_target(gpu.gfx)))
            for gpu in machine.amd.gpus
        )
        changes["amd"] = record.replace(machine.amd, gpus=agpus)
    if machine.intel is not None:
        igpus = tuple(
            record.replace(
                gpu,
                device_id=note(f"device id of `{gpu.name}`", gpu.device_id, intel_device_id(gpu.device_id)),
            )
            for gpu in machine.intel.gpus
        )
        changes["intel"] = record.replace(machine.intel, gpus=igpus)
    if machine.jetson is not None:
        l4t = l4t_release(machine.jetson.l4t)
        note("L4T release", machine.jetson.l4t, l4t)
        changes["jetson"] = record.replace(machine.jetson, l4t=l4t)
    if not notes:
        return machine
    return record.replace(machine, **changes, warnings=machine.warnings + tuple(notes))
