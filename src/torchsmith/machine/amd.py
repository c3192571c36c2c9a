"""AMD GPUs, their LLVM target (`gfx90a`, `gfx1100`) and the installed ROCm version.

Why it exists: a ROCm build of torch runs only on GPUs whose gfx target it was compiled for
(`torchsmith.knowledge.rocm`), so the target is the fact that matters, not the marketing name.
The ROCm wheels bundle their own ROCm user space; the installed ROCm version is recorded for doctor.

Ladder, cheapest first; each source that answered is named in `source` (`kfd+amdgpu.ids+rocm-version-file`):
  GPUs  1. KFD topology `<root>/sys/class/kfd/kfd/topology/nodes/*/properties` (`gfx_target_version 90010`
           -> gfx90a; CPU nodes have 0). Format: the amdkfd driver's `kfd_topology.c` (`node_show`), one
           `name value` pair per line.
        2. `rocminfo` (agents with `Device Type: GPU`), then `amd-smi static` / `amd-smi list` (ROCm >= 6;
           `torchsmith.machine.amd_smi`), then `rocm_agent_enumerator` (one target a line; `gfx000` is the
           CPU), found on PATH; only when KFD gave nothing.
        3. PCI sysfs `<root>/sys/bus/pci/devices/*/{vendor,device,class,revision}` (vendor 0x1002, display
           class): the GPU is there but no driver exposes a target (gfx unknown).
  Names libdrm's `amdgpu.ids` (`<device id>,\t<revision>,\t<name>`; https://gitlab.freedesktop.org/mesa/drm
        `data/amdgpu.ids`) under `/opt/rocm/share/libdrm` or `/usr/share/libdrm`, keyed by the KFD node's
        `device_id` and the PCI revision; then the KFD node's `name` (an ASIC name such as `aldebaran`);
        then `AMD GPU 0x<device id>`.
  ROCm  `<root>/opt/rocm/.info/version` (`6.2.4-120`), then `<root>/opt/rocm-*/.info/version*` (highest),
        then `amd-smi version` (`... | ROCm version: 6.2.4`) when GPUs were found.
"""

from __future__ import annotations

import re

from torchsmith.lazy_re import lazy
from torchsmith.machine.context import ProbeContext
from torchsmith.machine.model import AmdGpu, AmdInfo
from torchsmith.record import record

TYPE_CHECKING = False  # `typing` stays unloaded at start-up (issue 17); mypy reads the name as typing's
if TYPE_CHECKING:
    from packaging.version import Version

__all__ = [
    "SECTION",
    "KfdNode",
    "detect",
    "parse_agent_enumerator",
    "parse_amd_smi_version",
    "parse_amdgpu_ids",
    "parse_gfx_target_version",
    "parse_kfd_properties",
    "parse_pci_amd_gpu",
    "parse_rocm_version",
    "parse_rocminfo",
]

SECTION = "amd"

AMD_VENDOR = "0x1002"
_KFD_NODES = "/sys/class/kfd/kfd/topology/nodes"
_IDS_FILES = ("/opt/rocm/share/libdrm/amdgpu.ids", "/usr/share/libdrm/amdgpu.ids")
_ROCM_VERSION = lazy(r"([0-9]{1,3}\.[0-9]{1,3}(?:\.[0-9]{1,3})?)(?:-[0-9A-Za-z.~+]+)?")
_DEVICE_ID = lazy(r"0x[0-9a-f]{4}")
_GENERIC_NAMES = frozenset({"", "ip discovery"})
"""KFD names that say nothing: GPUs enumerated by IP discovery (RDNA3, MI300) all read `ip discovery`."""


@record
class KfdNode:
    """A GPU node of the KFD topology: its target, PCI device id (`0x740c`) and PCI address if known."""

    gfx: str
    device_id: str | None = None
    pci_address: str | None = None


def parse_rocm_version(text: str) -> str | None:
    """The ROCm release from `/opt/rocm/.info/version`: `6.2.4-120` -> `6.2.4`, `6.4.1-83\\n` -> `6.4.1`."""
    lines = text.strip().splitlines()
    if not lines:
        return None
    match = _ROCM_VERSION.fullmatch(lines[0].strip())
    return match.group(1) if match else None


def parse_gfx_target_version(value: int) -> str | None:
    """KFD's packed decimal `major*10000 + minor*100 + stepping` as a target: 90010 -> `gfx90a`.

    100300 -> `gfx1030`, 110000 -> `gfx1100`, 90402 -> `gfx942`; 0 (a CPU node) and nonsense -> None.
    """
    from torchsmith.knowledge.rocm import gfx_from_version

    if value <= 0 or value >= 1_000_000:
        return None
    major, rest = divmod(value, 10000)
    minor, stepping = divmod(rest, 100)
    try:
        return gfx_from_version(major, minor, stepping)
    except ValueError:
        return None


def _properties(text: str) -> dict[str, int]:
    values: dict[str, int] = {}
    for line in text.splitlines():
        key, _, value = line.strip().partition(" ")
        if key and value.strip().isdigit() and len(value.strip()) <= 20:
            values.setdefault(key, int(value.strip()))
    return values


def parse_kfd_properties(text: str) -> KfdNode | None:
    """A GPU from one KFD `properties` file; None for CPU nodes, non-AMD nodes and garbage.

    Sample (an MI250X GCD, abridged): `cpu_cores_count 0`, `simd_count 440`, `gfx_target_version 90010`,
    `vendor_id 4098`, `device_id 29708`, `location_id 49920`, `domain 0` -> gfx90a, 0x740c, 0000:c3:00.0.
    `location_id` packs the PCI bus, device and function as `bus << 8 | device << 3 | function`.
    """
    values = _properties(text)
    gfx = parse_gfx_target_version(values.get("gfx_target_version", 0))
    if gfx is None:
        return None
    vendor = values.get("vendor_id")
    if vendor is not None and vendor not in (0x1002, 0):
        return None
    device = values.get("device_id", 0)
    device_id = f"0x{device:04x}" if 0 < device <= 0xFFFF else None
    address = None
    location, domain = values.get("location_id"), values.get("domain", 0)
    if location and location <= 0xFFFF and domain <= 0xFFFF:
        address = f"{domain:04x}:{location >> 8:02x}:{(location >> 3) & 0x1F:02x}.{location & 0x7}"
    return KfdNode(gfx=gfx, device_id=device_id, pci_address=address)


def parse_amdgpu_ids(text: str, device_id: str, revision: str | None = None) -> str | None:
    """The marketing name of a device in libdrm's `amdgpu.ids`; None when absent.

    Lines read `744C,\\tC8,\\tAMD Radeon RX 7900 XTX` (hex device id, hex revision, name). With a revision
    the exact pair is looked up; without one (or if the pair is missing) the device id's first entry.
    """
    device = device_id.strip().lower().removeprefix("0x")
    wanted = revision.strip().lower().removeprefix("0x").rjust(2, "0") if revision else None
    first: str | None = None
    for line in text.splitlines():
        parts = line.split(",", 2)
        if len(parts) != 3 or line.startswith("#"):
            continue
        dev, rev, name = (p.strip() for p in parts)
        if dev.lower() != device or not name or not name.isprintable():
            continue
        if wanted is not None and rev.lower() == wanted:
            return name
        first = first or name
    return first


def parse_pci_amd_gpu(vendor: str, device: str, pci_class: str) -> str | None:
    """The device id (`0x744c`) if sysfs's vendor/device/class describe an AMD GPU, else None.

    Sample: vendor `0x1002`, device `0x744c`, class `0x030000` (VGA; Instinct cards: `0x038000`). The
    GPU's HDMI audio function (class `0x040300`) is not a GPU.
    """
    if vendor.strip().lower() != AMD_VENDOR:
        return None
    if not re.fullmatch(r"0x03(?:00|02|80)[0-9a-f]{2}", pci_class.strip().lower()):
        return None
    device_id = device.strip().lower()
    return device_id if _DEVICE_ID.fullmatch(device_id) else None


def parse_rocminfo(text: str) -> tuple[AmdGpu, ...] | None:
    """GPU agents from `rocminfo`; None when the output has no agents at all (not rocminfo's output).

    Each agent block starts with `Agent N` between `*******` lines and holds `Name: gfx90a`,
    `Marketing Name: AMD Instinct MI250X/MI250` and `Device Type: GPU` (CPU agents are skipped).
    """
    from torchsmith.knowledge.rocm import normalize_gfx

    blocks = re.split(r"^\s*Agent\s+[0-9]+\s*$", text, flags=re.MULTILINE)
    if len(blocks) < 2:
        return None
    gpus: list[AmdGpu] = []
    for block in blocks[1:]:
        fields: dict[str, str] = {}
        for line in block.splitlines():
            key, sep, value = line.partition(":")
            if sep:
                fields.setdefault(key.strip(), value.strip())
        if fields.get("Device Type", "").upper() != "GPU":
            continue
        gfx = normalize_gfx(fields.get("Name", ""))
        marketing = fields.get("Marketing Name", "")
        name = marketing if marketing and marketing.isprintable() and len(marketing) <= 200 else None
        gpus.append(AmdGpu(name=name or (f"AMD GPU ({gfx})" if gfx else "AMD GPU"), gfx=gfx))
    return tuple(gpus)


def parse_agent_enumerator(text: str) -> tuple[str, ...] | None:
    """Targets from `rocm_agent_enumerator` (`gfx000\\ngfx90a\\ngfx90a`), CPU `gfx000` dropped.

    None when any line is not a target (not the tool's output).
    """
    from torchsmith.knowledge.rocm import normalize_gfx

    targets: list[str] = []
    for line in text.split():
        if line == "gfx000":
            continue
        gfx = normalize_gfx(line)
        if gfx is None:
            return None
        targets.append(gfx)
    return tuple(targets)


def parse_amd_smi_version(text: str) -> str | None:
    """ROCm version from `amd-smi version`.

    Sample: `AMDSMI Tool: 24.6.3+9578815 | AMDSMI Library version: 24.6.3.0 | ROCm version: 6.2.4`.
    """
    match = re.search(r"ROCm version:\s*([0-9][0-9.]*)", text)
    if not match:
        return None
    return parse_rocm_version(match.group(1).rstrip("."))


def _version_key(text: str) -> Version:
    from packaging.version import InvalidVersion, Version  # only with ROCm installs to order

    try:
        return Version(text)
    except InvalidVersion:  # pragma: no cover - parse_rocm_version only yields valid versions
        return Version("0")


def _read_rocm_version(ctx: ProbeContext) -> str | None:
    text = ctx.read_text("/opt/rocm/.info/version", limit=4096)
    found = parse_rocm_version(text) if text else None
    if found:
        return found
    candidates: list[str] = []
    for install in ctx.glob("/opt", "rocm*/.info/version*"):
        text = ctx.read_text(install, limit=4096)
        version = parse_rocm_version(text) if text else None
        if version:
            candidates.append(version)
        elif text is not None:
            ctx.warn(f"unrecognised ROCm version file `{install}`")
    return max(candidates, key=_version_key) if candidates else None


def _read_ids(ctx: ProbeContext) -> str | None:
    for path in _IDS_FILES:
        text = ctx.read_text(path, limit=1 << 20)
        if text is not None:
            return text
    return None


def _revision(ctx: ProbeContext, address: str | None) -> str | None:
    if address is None:
        return None
    text = ctx.read_text(f"/sys/bus/pci/devices/{address}/revision", limit=64)
    return text.strip() if text and re.fullmatch(r"0x[0-9a-fA-F]{2}", text.strip()) else None


def _read_kfd(ctx: ProbeContext) -> list[tuple[KfdNode, str]]:
    """(node, KFD name) for every GPU node, in node order (0, 1, 2, ... 10: numeric, not text)."""
    nodes: list[tuple[int, KfdNode, str]] = []
    for directory in ctx.glob(_KFD_NODES, "*"):
        node_name = directory.rsplit("/", 1)[-1]
        if not node_name.isdigit():
            continue
        text = ctx.read_text(f"{directory}/properties", limit=64 << 10)
        node = parse_kfd_properties(text) if text else None
        if node is None:
            continue
        name = (ctx.read_text(f"{directory}/name", limit=256) or "").strip("\x00\n ")
        nodes.append((int(node_name), node, name if name.isprintable() else ""))
    return [(node, name) for _, node, name in sorted(nodes, key=lambda item: item[0])]


def _gpu_name(
    ctx: ProbeContext, ids: str | None, device_id: str | None, address: str | None, kfd: str
) -> tuple[str, bool]:
    """(name, whether `amdgpu.ids` gave it)."""
    if ids is not None and device_id is not None:
        name = parse_amdgpu_ids(ids, device_id, _revision(ctx, address))
        if name:
            return name, True
    if kfd.lower() not in _GENERIC_NAMES:
        return kfd, False
    return (f"AMD GPU {device_id}" if device_id else "AMD GPU"), False


def _read_tools(ctx: ProbeContext) -> tuple[tuple[AmdGpu, ...], str] | None:
    text = ctx.run("rocminfo")
    if text is not None:
        gpus = parse_rocminfo(text)
        if gpus is None:
            ctx.warn("`rocminfo` printed no agents")
        elif gpus:
            return gpus, "rocminfo"
    answered = _read_amd_smi(ctx)
    if answered is not None:
        return answered
    text = ctx.run("rocm_agent_enumerator")
    if text is not None:
        targets = parse_agent_enumerator(text)
        if targets is None:
            ctx.warn("`rocm_agent_enumerator` printed something other than gfx targets")
        elif targets:
            return tuple(AmdGpu(name=f"AMD GPU ({gfx})", gfx=gfx) for gfx in targets), "rocm_agent_enumerator"
    return None


def _read_amd_smi(ctx: ProbeContext) -> tuple[tuple[AmdGpu, ...], str] | None:
    """`amd-smi static` (names, gfx, device ids), then `amd-smi list` (only how many, and where)."""
    if ctx.which("amd-smi") is None:
        return None
    from torchsmith.machine.amd_smi import parse_amd_smi_list, parse_amd_smi_static

    text = ctx.run("amd-smi", "static")
    if text is not None:
        found = parse_amd_smi_static(text)
        if found is None:
            ctx.warn(f"cannot read the output of `amd-smi static`: {_first_line(text)}")
        elif found:
            ids = _read_ids(ctx) if any(g.name is None and g.device_id for g in found) else None
            gpus = []
            for gpu in found:
                name = gpu.name or (parse_amdgpu_ids(ids, gpu.device_id) if ids and gpu.device_id else None)
                fallback = f"AMD GPU ({gpu.gfx})" if gpu.gfx else f"AMD GPU {gpu.device_id or ''}".strip()
                gpus.append(AmdGpu(name=name or fallback, gfx=gpu.gfx))
            return tuple(gpus), "amd-smi"
    text = ctx.run("amd-smi", "list")
    if text is not None:
        listed = parse_amd_smi_list(text)
        if listed is None:
            ctx.warn(f"cannot read the output of `amd-smi list`: {_first_line(text)}")
        elif listed:
            return tuple(AmdGpu(name="AMD GPU", gfx=None) for _ in listed), "amd-smi"
    return None


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return f"`{line.strip()[:120]}`"
    return "(empty output)"


def _read_pci(ctx: ProbeContext) -> list[tuple[AmdGpu, bool]]:
    gpus: list[tuple[AmdGpu, bool]] = []
    ids: str | None = None
    ids_read = False
    for base in ctx.glob("/sys/bus/pci/devices", "*"):
        vendor = ctx.read_text(f"{base}/vendor", limit=64)
        if vendor is None or vendor.strip().lower() != AMD_VENDOR:
            continue
        device_id = parse_pci_amd_gpu(
            vendor,
            ctx.read_text(f"{base}/device", limit=64) or "",
            ctx.read_text(f"{base}/class", limit=64) or "",
        )
        if device_id is not None:
            if not ids_read:  # read the names file only once an AMD GPU is found
                ids, ids_read = _read_ids(ctx), True
            name, from_ids = _gpu_name(ctx, ids, device_id, base.rsplit("/", 1)[-1], "")
            gpus.append((AmdGpu(name=name, gfx=None), from_ids))
    return gpus


def detect(ctx: ProbeContext) -> AmdInfo | None:
    """AMD GPUs and ROCm under `ctx.root`; None when neither a GPU nor a ROCm install is found."""
    if ctx.sys_platform != "linux":
        return None
    sources: list[str] = []
    gpus: tuple[AmdGpu, ...] = ()
    named: list[tuple[AmdGpu, bool]] = []
    kfd = _read_kfd(ctx)
    if kfd:
        ids = _read_ids(ctx)
        for node, kfd_name in kfd:
            name, from_ids = _gpu_name(ctx, ids, node.device_id, node.pci_address, kfd_name)
            named.append((AmdGpu(name=name, gfx=node.gfx), from_ids))
        sources.append("kfd")
    else:
        answered = _read_tools(ctx)
        if answered is not None:
            gpus, tool = answered
            sources.append(tool)
        else:
            named = _read_pci(ctx)
            if named:
                sources.append("pci")
    if named:
        gpus = tuple(gpu for gpu, _ in named)
        if any(from_ids for _, from_ids in named):
            sources.append("amdgpu.ids")
    rocm = _read_rocm_version(ctx)
    if rocm is not None:
        sources.append("rocm-version-file")
    elif gpus:
        text = ctx.run("amd-smi", "version")
        rocm = parse_amd_smi_version(text) if text else None
        if rocm is not None:
            sources.append("amd-smi")
    if not gpus and rocm is None:
        return None
    return AmdInfo(rocm=rocm, gpus=gpus, source="+".join(dict.fromkeys(sources)))
