"""Parsers for everything `nvidia-smi` has printed over the years: pure text in, `NvidiaInfo` (or None) out.

Why a module of its own: one tool, five output formats, each changed across driver branches, and a probe
that must read all of them (`torchsmith.machine.nvidia` runs the tool and picks the format).
  `--query-gpu=... --format=csv`  any field order and subset, with or without header/units; `[N/A]` fields.
  `-q -x`                         XML (`nvsmi_device_v*.dtd`), incl. `<mig_mode><current_mig>`.
  `-q` / `-a`                     indented text (`Driver Version : 550.90.12`, `MIG Mode / Current`).
  plain `nvidia-smi`              the table: `| NVIDIA-SMI 550.90.12  Driver Version: 550.90.12  CUDA Version:
                                  12.4 |`, from R610 `KMD Version: 610.43.02  CUDA UMD Version: 13.3`; names
                                  are cut to fit (`NVIDIA A100-SXM...`), so this is the last resort.
  `-L`                            `GPU 0: NVIDIA A100-SXM4-80GB (UUID: GPU-...)` and its `MIG 1g.10gb
                                  Device  0: (UUID: MIG-...)` lines.
Reference: https://docs.nvidia.com/deploy/nvidia-smi/ (options, fields); real samples and where they came
from are under tests/data/recorded/nvidia-smi/.
"""

from __future__ import annotations

import re

from torchsmith.lazy_re import lazy
from torchsmith.machine.model import MigDevice, NvidiaGpu, NvidiaInfo
from torchsmith.record import replace

TYPE_CHECKING = False  # `typing` stays unloaded at start-up (issue 17); mypy reads the name as typing's

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

__all__ = [
    "QUERY_FIELDS",
    "first_line",
    "normalize_bus_id",
    "parse_field_error",
    "parse_smi_csv",
    "parse_smi_list",
    "parse_smi_table",
    "parse_smi_text",
    "parse_smi_xml",
]

QUERY_FIELDS = (
    "index",
    "name",
    "pci.bus_id",
    "pci.device_id",
    "compute_cap",
    "memory.total",
    "driver_version",
    "mig.mode.current",
)
"""What the probe asks `--query-gpu` for; a driver that rejects a field is asked again without it."""

_DRIVER = lazy(r"[0-9]{3,4}\.[0-9]{1,3}(?:\.[0-9]{1,3})?")
_CC = lazy(r"[0-9]{1,2}\.[0-9]{1,2}")
_ABSENT = {
    "",
    "n/a",
    "[n/a]",
    "[not supported]",
    "not supported",
    "[unknown error]",
    "unknown error",
    "err!",
    "not found",
}


def first_line(text: str) -> str:
    """The first non-blank line, quoted for a warning (`(empty output)` when there is none)."""
    for line in text.splitlines():
        if line.strip():
            return f"`{line.strip()[:120]}`"
    return "(empty output)"


def driver(value: str) -> str | None:
    value = value.strip()
    return value if _DRIVER.fullmatch(value) else None


def field(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return None if value.lower() in _ABSENT else value


def _memory_mib(value: str | None) -> int | None:
    """`81559 MiB` (or `81559` with `nounits`; drivers before R340 wrote `5375 MB`, also MiB) → 81559."""
    match = re.fullmatch(r"([0-9]{1,9})(?:\s*MiB|\s*MB)?", (value or "").strip())
    return int(match.group(1)) if match else None


def _cc(value: str | None) -> str | None:
    value = field(value)
    return value if value is not None and _CC.fullmatch(value) else None


def _cuda(value: str | None) -> str | None:
    """`12.4` → `12.4`; `N/A`, `ERR!`, `Not Found` (the driver cannot say) → None."""
    return _cc(value)


def _name(value: str | None) -> str | None:
    value = field(value)
    if value is None or len(value) > 200 or not value.isprintable():
        return None
    return value


def _mig(value: str | None) -> bool | None:
    value = (field(value) or "").lower()
    return {"enabled": True, "disabled": False}.get(value)


def _device_id(value: str | None) -> str | None:
    """nvidia-smi's `0x220610DE` (device id in the high 16 bits, vendor 10DE low) → `0x2206`."""
    match = re.fullmatch(r"(?:0x)?([0-9a-fA-F]{4})10de", (value or "").strip(), re.IGNORECASE)
    return f"0x{match.group(1).lower()}" if match else None


def normalize_bus_id(value: str) -> str | None:
    """One spelling of a PCI address: `00000000:01:00.0` (NVML, nvidia-smi) → `0000:01:00.0` (sysfs)."""
    match = re.fullmatch(
        r"\s*([0-9a-fA-F]{4,8}):([0-9a-fA-F]{2}):([0-9a-fA-F]{2})\.([0-7])\s*", value.replace("\x00", "")
    )
    if not match:
        return None
    domain, bus, device, function = match.groups()
    return f"{domain[-4:]}:{bus}:{device}.{function}".lower()


def _bus(value: str | None) -> str | None:
    return normalize_bus_id(value) if value else None


def parse_field_error(text: str) -> str | None:
    """The field an old driver rejects (`Field "compute_cap" is not a valid field to query.`)."""
    match = re.search(r'Field "([a-z0-9_.]+)" is not a valid field to query', text)
    return match.group(1) if match else None


def parse_smi_csv(text: str) -> NvidiaInfo | None:
    """`nvidia-smi --query-gpu=<fields> --format=csv[,noheader][,nounits]`.

    Sample::

        name, pci.bus_id, compute_cap, memory.total [MiB], driver_version
        NVIDIA H100 80GB HBM3, 00000000:18:00.0, 9.0, 81559 MiB, 580.95.05

    A header, when present, decides the columns (any order, any subset); without one (`noheader`) the
    fields `name,pci.bus_id,compute_cap,memory.total,driver_version` are assumed. `[N/A]` fields become
    None; a row with a name but no other readable field is garbage and skipped. `cuda_driver` is None: no
    query field reports it. None when no row describes a GPU.
    """
    lines = [line for line in text.splitlines() if line.strip()]
    columns = ["name", "pci.bus_id", "compute_cap", "memory.total", "driver_version"]
    if lines and re.match(r"\s*(?:index|name|pci\.bus_id|driver_version)\s*,", lines[0]):
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
        gpu = NvidiaGpu(
            name=_name(row.get("name")) or "",
            compute_capability=_cc(row.get("compute_cap")),
            memory_mib=_memory_mib(row.get("memory.total")),
            pci_id=_bus(row.get("pci.bus_id")),
            device_id=_device_id(row.get("pci.device_id")),
            mig=_mig(row.get("mig.mode.current")),
        )
        found = driver(row.get("driver_version") or "")
        if not gpu.name or not (gpu.compute_capability or gpu.memory_mib is not None or gpu.pci_id or found):
            continue
        gpus.append(gpu)
        if found is not None:
            drivers.append(found)
    if not gpus:
        return None
    return NvidiaInfo(
        driver=drivers[0] if drivers else None, cuda_driver=None, gpus=tuple(gpus), source="nvidia-smi"
    )


def _xml_text(element: Element | None, path: str) -> str | None:
    found = element.find(path) if element is not None else None
    return field(found.text) if found is not None and found.text is not None else None


def parse_smi_xml(text: str) -> NvidiaInfo | None:
    """`nvidia-smi -q -x`: driver, the driver's CUDA version and each GPU's name, memory, bus and device id
    and MIG mode (`<mig_mode><current_mig>Enabled</current_mig>`).

    Sample (abridged)::

        <nvidia_smi_log><driver_version>550.127.05</driver_version><cuda_version>12.4</cuda_version>
        <gpu id="00000000:01:00.0"><product_name>NVIDIA GeForce RTX 4090</product_name>
        <pci><pci_device_id>268410DE</pci_device_id>...</pci>
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
        gpus.append(
            NvidiaGpu(
                name=name,
                memory_mib=_memory_mib(
                    _xml_text(gpu, "fb_memory_usage/total") or _xml_text(gpu, "memory_usage/total")
                ),
                pci_id=_bus(gpu.get("id") or _xml_text(gpu, "pci/pci_bus_id")),
                device_id=_device_id(_xml_text(gpu, "pci/pci_device_id")),
                mig=_mig(_xml_text(gpu, "mig_mode/current_mig")),
            )
        )
    found = driver(_xml_text(root, "driver_version") or "")
    if found is None and not gpus:
        return None
    cuda = _cuda(_xml_text(root, "cuda_version"))
    return NvidiaInfo(driver=found, cuda_driver=cuda, gpus=tuple(gpus), source="nvidia-smi")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def parse_smi_text(text: str) -> NvidiaInfo | None:
    """`nvidia-smi -q` (or `-a`): the indented `Key : value` report.

    Sample (abridged)::

        Driver Version                            : 550.90.12
        CUDA Version                              : 12.4
        GPU 00000000:08:00.0
            Product Name                          : NVIDIA A10
            MIG Mode
                Current                           : N/A
            PCI
                Device Id                         : 0x223610DE
            FB Memory Usage
                Total                             : 23028 MiB

    Drivers before R410 print no `CUDA Version`; `Not Found` means the driver cannot say. A `MIG Device`
    block's own `FB Memory Usage` is not the GPU's. None when there is no `Driver Version` line.
    """
    found: str | None = None
    cuda: str | None = None
    seen_driver = False
    gpus: list[dict[str, str]] = []
    path: list[tuple[int, str]] = []
    for raw in text.splitlines():
        if not raw.strip():
            continue
        depth = _indent(raw)
        key, sep, value = raw.strip().partition(":")
        key = key.strip()
        if depth == 0:
            path = []
            if key == "Driver Version" and sep:
                seen_driver, found = True, driver(value)
            elif key == "CUDA Version" and sep:
                cuda = _cuda(value)
            elif re.fullmatch(r"GPU [0-9A-Fa-f]{4,8}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.[0-7]", raw.strip()):
                gpus.append({"bus": raw.strip()[4:]})
            continue
        if not gpus:
            continue
        while path and path[-1][0] >= depth:
            path.pop()
        if not sep or not value.strip():
            path.append((depth, key))
            continue
        where = "/".join([p for _, p in path] + [key])
        gpus[-1].setdefault(where, value.strip())
    if not seen_driver:
        return None
    result = tuple(
        NvidiaGpu(
            name=_name(gpu.get("Product Name")) or "NVIDIA GPU",
            memory_mib=_memory_mib(gpu.get("FB Memory Usage/Total")),
            pci_id=_bus(gpu.get("PCI/Bus Id") or gpu["bus"]),
            device_id=_device_id(gpu.get("PCI/Device Id")),
            mig=_mig(gpu.get("MIG Mode/Current")),
        )
        for gpu in gpus
    )
    return NvidiaInfo(driver=found, cuda_driver=cuda, gpus=result, source="nvidia-smi")


_TABLE_HEADER = lazy(
    r"NVIDIA-SMI\s+(?P<smi>\S+)\s+(?:Driver|KMD) Version:\s*(?P<driver>\S+)\s+"
    r"CUDA (?:UMD )?Version:\s*(?P<cuda>\S+)"
)
_TABLE_ROW = lazy(
    r"^\|\s+(?P<index>[0-9]+)\s+(?P<name>.+?)\s+(?:On|Off)\s*\|\s*(?P<bus>[0-9A-Fa-f]{4,8}:[0-9A-Fa-f:.]+)\s"
)
_TABLE_MEMORY = lazy(r"\|\s*[0-9]+MiB\s*/\s*(?P<total>[0-9]+)MiB\s*\|")
_TABLE_MIG = lazy(r"\|\s*(?P<mig>Enabled|Disabled|N/A)\s*\|\s*$")


def parse_smi_table(text: str) -> NvidiaInfo | None:
    """The plain `nvidia-smi` table, the last resort (names longer than the column end in `...`).

    Headers: `| NVIDIA-SMI 550.90.12  Driver Version: 550.90.12  CUDA Version: 12.4 |` (R450-R590; `CUDA
    Version: N/A` or `ERR!` when the driver cannot say) and R610's `| NVIDIA-SMI 610.43.02  KMD Version:
    610.43.02  CUDA UMD Version: 13.3 |`. Each GPU is three rows: index, name and bus id; memory; and the
    `MIG M.` column (`Enabled`, `Disabled`, `N/A`). None without a header.
    """
    header = _TABLE_HEADER.search(text)
    if header is None:
        return None
    gpus: list[NvidiaGpu] = []
    lines = text.splitlines()
    for number, line in enumerate(lines):
        row = _TABLE_ROW.match(line)
        if row is None:
            continue
        memory = _TABLE_MEMORY.search(lines[number + 1]) if number + 1 < len(lines) else None
        mig = _TABLE_MIG.search(lines[number + 2]) if number + 2 < len(lines) else None
        gpus.append(
            NvidiaGpu(
                name=_name(row.group("name")) or "NVIDIA GPU",
                memory_mib=int(memory.group("total")) if memory else None,
                pci_id=_bus(row.group("bus")),
                mig=_mig(mig.group("mig")) if mig else None,
            )
        )
    return NvidiaInfo(
        driver=driver(header.group("driver")),
        cuda_driver=_cuda(header.group("cuda")),
        gpus=tuple(gpus),
        source="nvidia-smi",
    )


Listed = tuple[tuple[str, tuple[MigDevice, ...]], ...]
"""What `nvidia-smi -L` says: (GPU name, its MIG devices) per GPU."""


_LIST_GPU = lazy(r"^GPU ([0-9]+): (.+?) \(UUID: (GPU-[0-9A-Fa-f-]+)\)\s*$")
_LIST_MIG = lazy(r"^\s+MIG ([0-9]+g\.[0-9]+gb(?:\+[a-z.]+)?)\s+Device\s+([0-9]+): \(UUID: (MIG-[^)]+)\)\s*$")


def parse_smi_list(text: str) -> Listed | None:
    """`nvidia-smi -L`: (GPU name, its MIG devices) per GPU, in index order; None when no line is a GPU.

    Sample (A100 in MIG mode, R535)::

        GPU 0: NVIDIA A100-SXM4-80GB (UUID: GPU-7fdaf0a5-179b-f636-d15d-daf243e3ff16)
          MIG 1g.10gb     Device  0: (UUID: MIG-feb88891-0321-5fef-9c87-d4af3b54259e)
    """
    gpus: list[tuple[str, list[MigDevice]]] = []
    for line in text.splitlines():
        gpu = _LIST_GPU.match(line)
        if gpu:
            gpus.append((gpu.group(2), []))
            continue
        mig = _LIST_MIG.match(line)
        if mig and gpus:
            gpus[-1][1].append(MigDevice(profile=mig.group(1), index=int(mig.group(2)), uuid=mig.group(3)))
    if not gpus:
        return None
    return tuple((name, tuple(devices)) for name, devices in gpus)


def with_mig_devices(
    gpus: tuple[NvidiaGpu, ...], listed: tuple[tuple[str, tuple[MigDevice, ...]], ...]
) -> tuple[NvidiaGpu, ...]:
    """Attach `-L`'s MIG devices to the GPUs (both in index order); a GPU with instances is in MIG mode."""
    if len(listed) != len(gpus):
        return gpus
    return tuple(
        replace(gpu, mig_devices=devices, mig=True if devices else gpu.mig)
        for gpu, (_, devices) in zip(gpus, listed, strict=True)
    )
