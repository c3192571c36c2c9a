"""NVIDIA Jetson: the L4T release, what it means (JetPack, CUDA) and the module's name.

Why it exists: on a Jetson the ordinary aarch64 CUDA wheels do not run (JetPack <= 6 ships Tegra CUDA and
the GPU's sm_72/sm_87 are not in upstream builds); the right wheels follow from the JetPack release, which
follows from the L4T release (`torchsmith.knowledge.jetson`). A board is a Jetson iff it reports an L4T
release.

Ladder, cheapest first; the first answer wins (`source`: `nv_tegra_release` or `dpkg`, `+device-tree`):
  L4T     1. first line of `<root>/etc/nv_tegra_release`:
             `# R36 (release), REVISION: 4.0, GCID: 37537400, BOARD: generic, EABI: aarch64, DATE: ...`
             -> 36.4.0 (format as parsed by jetson-containers' `l4t_version.py`).
          2. the `nvidia-l4t-core` stanza of `<root>/var/lib/dpkg/status` (`Version: 35.2.1-20230124153320`
             -> 35.2.1), what `dpkg-query --show nvidia-l4t-core` prints, without running dpkg; only read
             on boards with a device tree (`/proc/device-tree/model`), as every Jetson has one.
  module  `<root>/proc/device-tree/model`, NUL-terminated (`NVIDIA Jetson AGX Orin Developer Kit\\0`).
JetPack and CUDA come from the knowledge table; an L4T release it does not list gets the nearest older
release of the same `R<major>.<revision>` line, with a warning naming both.
"""

from __future__ import annotations

import re

from torchsmith.lazy_re import lazy
from torchsmith.machine.context import ProbeContext
from torchsmith.machine.model import JetsonInfo

__all__ = ["SECTION", "detect", "parse_device_tree_model", "parse_dpkg_status", "parse_nv_tegra_release"]

SECTION = "jetson"

_TEGRA = lazy(r"#\s*R([0-9]{2,3})\s*\(release\),\s*REVISION:\s*([0-9]{1,3})(?:\.([0-9]{1,3}))?\s*(?:,|$)")
_L4T_PACKAGE = "nvidia-l4t-core"


def parse_nv_tegra_release(text: str) -> str | None:
    """The L4T release from the first line of `/etc/nv_tegra_release`.

    `# R35 (release), REVISION: 3.1, GCID: 32790763, BOARD: t186ref, EABI: aarch64, DATE: Wed Mar 15
    07:54:12 UTC 2023` -> `35.3.1`; `REVISION: 4.0` -> `36.4.0`. None for anything else.
    """
    lines = text.splitlines()
    match = _TEGRA.match(lines[0].strip()) if lines else None
    if not match:
        return None
    major, minor, patch = match.groups()
    return f"{int(major)}.{int(minor)}.{int(patch or 0)}"


def parse_dpkg_status(text: str, package: str = _L4T_PACKAGE) -> str | None:
    """The upstream version of an installed `package` in a dpkg status file, as `major.minor.patch`.

    The stanza reads `Package: nvidia-l4t-core`, `Status: install ok installed`, ...,
    `Version: 35.2.1-20230124153320` -> `35.2.1`. Removed packages (status `deinstall ok config-files`)
    and versions that are not numeric L4T releases give None.
    """
    for stanza in re.split(r"\n[ \t]*\n", text):
        fields: dict[str, str] = {}
        for line in stanza.splitlines():
            if line[:1] in (" ", "\t"):
                continue  # continuation lines (Description, Conffiles)
            key, sep, value = line.partition(":")
            if sep:
                fields.setdefault(key.strip(), value.strip())
        if fields.get("Package") != package:
            continue
        if not fields.get("Status", "").endswith(" installed"):
            return None
        upstream = fields.get("Version", "").split(":", 1)[-1].split("-", 1)[0]
        match = re.fullmatch(r"([0-9]{2,3})\.([0-9]{1,3})(?:\.([0-9]{1,3}))?", upstream)
        if not match:
            return None
        major, minor, patch = match.groups()
        return f"{int(major)}.{int(minor)}.{int(patch or 0)}"
    return None


def parse_device_tree_model(text: str) -> str | None:
    """The board name from `/proc/device-tree/model` (NUL-terminated): `NVIDIA Jetson Xavier NX ...`."""
    value = text.split("\x00", 1)[0].strip()
    if not value or not value.isprintable() or len(value) > 200:
        return None
    return value


def _read_l4t(ctx: ProbeContext) -> tuple[str | None, str]:
    text = ctx.read_text("/etc/nv_tegra_release", limit=64 << 10)
    if text is not None:
        l4t = parse_nv_tegra_release(text)
        if l4t is not None:
            return l4t, "nv_tegra_release"
        ctx.warn("unrecognised first line in `/etc/nv_tegra_release`")
    if not ctx.exists("/proc/device-tree/model"):
        return None, ""  # every Jetson has a device tree; spare x86 hosts reading the dpkg database
    text = ctx.read_text("/var/lib/dpkg/status", limit=64 << 20)
    if text is not None and _L4T_PACKAGE in text:
        l4t = parse_dpkg_status(text)
        if l4t is not None:
            return l4t, "dpkg"
    return None, ""


def detect(ctx: ProbeContext) -> JetsonInfo | None:
    """The Jetson facts under `ctx.root`; None when no L4T release is found (not a Jetson)."""
    if ctx.sys_platform != "linux":
        return None
    l4t, source = _read_l4t(ctx)
    if l4t is None:
        return None
    from packaging.version import Version

    from torchsmith.knowledge.jetson import jetpack_for_l4t  # only on a Jetson (probe start-up)

    model = ctx.read_text("/proc/device-tree/model", limit=4096)
    module = parse_device_tree_model(model) if model is not None else None
    if module is not None:
        source += "+device-tree"
    release = jetpack_for_l4t(Version(l4t))
    if release is None:
        ctx.warn(f"L4T {l4t} is not in torchsmith's JetPack table; JetPack and CUDA are unknown")
    elif release.l4t != Version(l4t):
        ctx.warn(
            f"L4T {l4t} is not in torchsmith's JetPack table; "
            f"assuming JetPack {release.jetpack} of L4T {release.l4t}"
        )
    return JetsonInfo(
        l4t=l4t,
        jetpack=release.jetpack if release else None,
        cuda=str(release.cuda) if release and release.cuda else None,
        module=module,
        source=source,
    )
