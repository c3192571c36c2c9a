"""A Mac: chip, macOS version, whether Python runs under Rosetta 2, and whether MPS can work.

Why it exists: PyTorch's macOS wheels are arm64-only from torch 2.3 on (x86_64 wheels end at 2.2) and
need macOS >= 11 / >= 14 (torch 2.12+), and the GPU backend (MPS) needs Apple silicon (or an AMD GPU on an
Intel Mac) and macOS >= 12.3. An x86_64 Python under Rosetta on an M-series Mac silently gets old,
CPU-only builds: the fix is a native arm64 Python, so the probe must say so.

Ladder (only when `ctx.sys_platform == "darwin"`):
  macOS    `<root>/System/Library/CoreServices/SystemVersion.plist` (`ProductVersion`), then
           `sw_vers -productVersion` (`14.5`).
  chip     `sysctl -n machdep.cpu.brand_string` (`Apple M2`; a translated process reads
           `VirtualApple @ 2.50GHz processor`, which names no chip, so the chip is then unknown).
  Rosetta  only for an x86_64 interpreter: `sysctl -n sysctl.proc_translated` (`1` = translated).
`mps` records the hardware and OS rule, not the interpreter: Apple silicon (an `Apple ...` chip, or a
translated process, which only exists on Apple silicon) and macOS >= 12.3, as stated by PyTorch
(https://docs.pytorch.org/docs/stable/notes/mps.html) and Apple (https://developer.apple.com/metal/pytorch/:
"Mac computers with Apple silicon or AMD GPUs, macOS 12.3 or later"). Intel Macs report False: their AMD
GPU is not detected here. Which torch releases still build MPS for that macOS (`macos_min`, 14.0 for torch
>= 2.12) and that a translated interpreter cannot use it are the planner's and doctor's business.
"""

from __future__ import annotations

from torchsmith.lazy_re import lazy
from torchsmith.machine.context import ProbeContext
from torchsmith.machine.model import AppleInfo

__all__ = [
    "MPS_MIN_MACOS",
    "SECTION",
    "detect",
    "mps_available",
    "parse_brand_string",
    "parse_product_version",
    "parse_system_version_plist",
    "parse_translated",
]

SECTION = "apple"

MPS_MIN_MACOS = "12.3"
"""The first macOS with the Metal Performance Shaders features PyTorch's MPS backend uses."""

_MACOS = lazy(r"[0-9]{2}(?:\.[0-9]{1,2}){0,2}")
SYSTEM_VERSION_PLIST = "/System/Library/CoreServices/SystemVersion.plist"


def parse_product_version(text: str) -> str | None:
    """macOS version from `sw_vers -productVersion`: `14.5\\n` -> `14.5`, `15.0.1` -> `15.0.1`."""
    value = text.strip()
    return value if _MACOS.fullmatch(value) else None


def parse_system_version_plist(data: bytes) -> str | None:
    """`ProductVersion` from `SystemVersion.plist` (XML or binary plist); None if unreadable."""
    import plistlib  # only macOS probes need it

    try:
        parsed = plistlib.loads(data)
    except Exception:  # plistlib raises InvalidFileException, ExpatError, ValueError, ... on junk
        return None
    if not isinstance(parsed, dict):
        return None
    value = parsed.get("ProductVersion")
    return parse_product_version(value) if isinstance(value, str) else None


def parse_brand_string(text: str) -> str | None:
    """The chip from `sysctl -n machdep.cpu.brand_string`: `Apple M2 Pro` -> `Apple M2 Pro`.

    Intel Macs read `Intel(R) Core(TM) i9-9880H CPU @ 2.30GHz` (kept as is). A process under Rosetta
    reads `VirtualApple @ 2.50GHz processor`, which hides the chip: None.
    """
    value = " ".join(text.split())
    if not value or not value.isprintable() or len(value) > 200 or value.startswith("VirtualApple"):
        return None
    return value


def parse_translated(text: str) -> bool | None:
    """`sysctl -n sysctl.proc_translated`: `1` -> True (Rosetta), `0` -> False, anything else None."""
    value = text.strip()
    return {"1": True, "0": False}.get(value)


def mps_available(chip: str | None, macos: str | None, rosetta: bool) -> bool:
    """The hardware/OS rule: Apple silicon (chip `Apple ...` or a translated process) and macOS >= 12.3."""
    apple_silicon = rosetta or (chip is not None and chip.startswith("Apple"))
    if not apple_silicon or macos is None:
        return False
    from packaging.version import InvalidVersion, Version  # only on macOS (probe start-up, issue 17)

    try:
        return Version(macos) >= Version(MPS_MIN_MACOS)
    except InvalidVersion:
        return False


def _read_macos(ctx: ProbeContext) -> tuple[str | None, str | None]:
    try:
        with open(ctx.path(SYSTEM_VERSION_PLIST), "rb") as handle:
            data: bytes | None = handle.read()
    except (FileNotFoundError, NotADirectoryError):
        data = None
    except OSError as error:
        ctx.warn(f"cannot read `{SYSTEM_VERSION_PLIST}`: {error.strerror or error}")
        data = None
    if data is not None:
        version = parse_system_version_plist(data)
        if version is not None:
            return version, "SystemVersion.plist"
        ctx.warn(f"unrecognised `{SYSTEM_VERSION_PLIST}`")
    text = ctx.run("sw_vers", "-productVersion")
    version = parse_product_version(text) if text is not None else None
    if text is not None and version is None:
        ctx.warn("`sw_vers -productVersion` printed no macOS version")
    return version, ("sw_vers" if version else None)


def detect(ctx: ProbeContext) -> AppleInfo | None:
    """The Mac's facts; None on any other platform."""
    if ctx.sys_platform != "darwin":
        return None
    sources: list[str] = []
    macos, macos_source = _read_macos(ctx)
    if macos_source:
        sources.append(macos_source)
    brand = ctx.run("sysctl", "-n", "machdep.cpu.brand_string")
    chip = parse_brand_string(brand) if brand is not None else None
    rosetta = False
    if ctx.machine_arch in ("x86_64", "i386", "amd64"):
        translated = ctx.run("sysctl", "-n", "sysctl.proc_translated")
        rosetta = bool(parse_translated(translated)) if translated is not None else False
    if brand is not None:
        sources.append("sysctl")
    return AppleInfo(
        chip=chip,
        macos=macos,
        rosetta=rosetta,
        mps=mps_available(chip, macos, rosetta),
        source="+".join(sources) or "unknown",
    )
