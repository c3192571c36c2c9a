"""Operating system, CPU architecture, C library and kernel release: what wheel platform tags depend on.

Why it exists: a Linux wheel's `manylinux_2_28` tag needs glibc >= 2.28, musl needs `musllinux` wheels
(PyTorch publishes none), and the conda virtual packages `__glibc` / `__linux` are derived from these facts.

Ladder, cheapest first (the first answer wins and records where it came from):
  * os:     `ctx.sys_platform` (`darwin`, `win32` may be injected); under a fake root
            `<root>/proc/sys/kernel/ostype` (`Linux`) confirms Linux.
  * arch:   `<root>/proc/sys/kernel/arch` (Linux >= 6.1) under a fake root, else the C library's loader
            or multiarch folder under /lib (`ld-linux-aarch64.so.1`, `aarch64-linux-gnu`), else
            `ctx.machine_arch`.
  * kernel: the real root: `platform.release()`; a fake root: `<root>/proc/sys/kernel/osrelease`, then the
            release inside `<root>/proc/version`.
  * libc:   the real root: `os.confstr("CS_GNU_LIBC_VERSION")` (`glibc 2.36`); then files under the root:
            the `libc.so.6` / `ld-linux*.so.2` symlink target (`libc-2.31.so`, glibc < 2.34), the banner
            inside `libc.so.6` (`GNU C Library (Debian GLIBC 2.36-9) stable release version 2.36`),
            musl's loader `/lib/ld-musl-<arch>.so.1` with its version from the apk database
            (`/lib/apk/db/installed`, format: https://wiki.alpinelinux.org/wiki/Apk_spec).
"""

from __future__ import annotations

import os
import re

from torchsmith.lazy_re import lazy
from torchsmith.machine.context import ProbeContext
from torchsmith.machine.model import Libc
from torchsmith.record import record

TYPE_CHECKING = False  # `typing` stays unloaded at start-up (issue 17); mypy reads the name as typing's
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "SECTION",
    "PlatformFacts",
    "detect",
    "normalize_arch",
    "os_name",
    "parse_apk_musl_version",
    "parse_confstr_libc",
    "parse_glibc_banner",
    "parse_glibc_soname",
    "parse_osrelease",
    "parse_proc_version",
]

SECTION = "platform"

_LIB_DIRS = (
    "/lib/x86_64-linux-gnu",
    "/lib/aarch64-linux-gnu",
    "/usr/lib/x86_64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
    "/lib64",
    "/usr/lib64",
    "/lib",
    "/usr/lib",
)
"""Where distributions put `libc.so.6` (Debian multiarch first, then Red Hat, then the plain layout)."""

_GLIBC_FILES = ("libc.so.6", "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1", "ld-linux.so.2")
_BANNER_LIMIT = 8 << 20
"""`libc.so.6` is about 2 MiB; its banner sits in `.rodata`, so the whole file may have to be read."""

_ARCH_ALIASES = {"amd64": "x86_64", "x64": "x86_64", "i386": "x86", "i686": "x86", "arm64": "aarch64"}


@record
class PlatformFacts:
    """The platform section: `os` (`linux`, `macos`, `windows`), `arch`, libc and kernel release.

    `probe_context` spreads these four into `Machine` (`os`, `arch`, `libc`, `kernel`).
    """

    os: str
    arch: str
    libc: Libc | None = None
    kernel: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "os": self.os,
            "arch": self.arch,
            "libc": self.libc.to_json() if self.libc else None,
            "kernel": self.kernel,
        }


def os_name(sys_platform: str) -> str:
    """Map `sys.platform` to torchsmith's OS name.

    >>> os_name("linux"), os_name("darwin"), os_name("win32")
    ('linux', 'macos', 'windows')
    """
    if sys_platform.startswith("linux"):
        return "linux"
    if sys_platform == "darwin":
        return "macos"
    if sys_platform in ("win32", "cygwin", "msys"):
        return "windows"
    return sys_platform.rstrip("0123456789") or sys_platform


def normalize_arch(machine: str, system: str) -> str:
    """One spelling per architecture: `x86_64`; `aarch64` on Linux, `arm64` on macOS and Windows.

    >>> normalize_arch("AMD64", "windows"), normalize_arch("arm64", "linux"), normalize_arch("arm64", "macos")
    ('x86_64', 'aarch64', 'arm64')
    """
    lowered = machine.strip().lower()
    arch = _ARCH_ALIASES.get(lowered, lowered)
    if arch == "aarch64" and system in ("macos", "windows"):
        return "arm64"
    return arch


def parse_proc_version(text: str) -> str | None:
    """The kernel release from `/proc/version`.

    Sample: `Linux version 5.15.153.1-microsoft-standard-WSL2 (root@941d701f84f1) (gcc (GCC) 11.2.0, GNU ld
    (GNU Binutils) 2.37) #1 SMP Fri Mar 29 23:14:13 UTC 2024` → `5.15.153.1-microsoft-standard-WSL2`.
    """
    match = re.match(r"\s*Linux version (\S+)", text)
    return match.group(1) if match and _is_release(match.group(1)) else None


def _is_release(value: str) -> bool:
    return re.fullmatch(r"[0-9]+\.[0-9]+[\x21-\x7e]*", value) is not None


def parse_osrelease(text: str) -> str | None:
    """`/proc/sys/kernel/osrelease` holds the release alone: `6.8.0-1021-aws`."""
    value = text.strip()
    return value if _is_release(value) else None


def parse_confstr_libc(value: str | None) -> Libc | None:
    """`os.confstr("CS_GNU_LIBC_VERSION")` → `Libc`. Sample: `glibc 2.36`."""
    if not value:
        return None
    match = re.fullmatch(r"\s*glibc\s+([0-9]+\.[0-9]+(?:\.[0-9]+)?)\s*", value)
    return Libc("glibc", match.group(1), "confstr") if match else None


def parse_glibc_soname(target: str) -> str | None:
    """The glibc version in the target of the `libc.so.6` or `ld-linux*.so.2` symlink (glibc < 2.34).

    Samples: `libc-2.31.so` → `2.31`; `ld-2.17.so` → `2.17`; `/lib/x86_64-linux-gnu/libc-2.28.so` → `2.28`.
    Newer glibc ships `libc.so.6` as the real file, so its name carries no version (None).
    """
    name = target.rsplit("/", 1)[-1]
    match = re.fullmatch(r"(?:libc|ld)-([0-9]+\.[0-9]+(?:\.[0-9]+)?)\.so", name)
    return match.group(1) if match else None


def parse_glibc_banner(text: str) -> str | None:
    """The version in the banner compiled into `libc.so.6`.

    Sample: `GNU C Library (Debian GLIBC 2.36-9+deb12u4) stable release version 2.36.` → `2.36`.
    """
    match = re.search(r"GNU C Library [^\n\x00]{0,200}?release version ([0-9]+\.[0-9]+(?:\.[0-9]+)?)", text)
    return match.group(1) if match else None


def parse_apk_musl_version(text: str) -> str | None:
    """musl's upstream version from Alpine's package database (`/lib/apk/db/installed`).

    Sample block: `P:musl` / `V:1.2.5-r0` → `1.2.5` (the `-rN` package revision is Alpine's, not musl's).
    """
    for block in text.split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.splitlines():
            key, sep, value = line.partition(":")
            if sep and len(key) == 1 and key not in fields:
                fields[key] = value.strip()
        if fields.get("P") == "musl":
            match = re.fullmatch(r"([0-9]+\.[0-9]+(?:\.[0-9]+)?)(?:[-_].*)?", fields.get("V", ""))
            return match.group(1) if match else None
    return None


def _read_osrelease(ctx: ProbeContext) -> str | None:
    text = ctx.read_text("/proc/sys/kernel/osrelease")
    release = parse_osrelease(text) if text is not None else None
    if release is None:
        version = ctx.read_text("/proc/version")
        release = parse_proc_version(version) if version is not None else None
    return release


def _read_glibc(ctx: ProbeContext) -> Libc | None:
    """glibc from the files under the root: a versioned symlink target first, then the banner."""
    found = False
    for directory in _LIB_DIRS:
        if not ctx.is_dir(directory):
            continue
        for name in _GLIBC_FILES:
            path = ctx.path(f"{directory}/{name}")
            try:
                target = os.readlink(path)
            except OSError:  # not a symlink, or missing
                if not os.path.isfile(path):
                    continue
                found = True
                if name != "libc.so.6":
                    continue
                # Only regular files are read: an absolute symlink target would leave a fake root.
                text = ctx.read_text(f"{directory}/{name}", limit=_BANNER_LIMIT)
                version = parse_glibc_banner(text) if text is not None else None
                if version is not None:
                    return Libc("glibc", version, "libc.so.6 banner")
                continue
            found = True
            version = parse_glibc_soname(target)
            if version is not None:
                return Libc("glibc", version, f"{name} symlink")
    return Libc("glibc", None, "ld.so") if found else None


def _read_musl(ctx: ProbeContext) -> Libc | None:
    """musl when its dynamic loader is present; the version from the apk database if there is one."""
    loaders = ctx.glob("/lib", "ld-musl-*.so.1")
    if not loaders:
        return None
    db = ctx.read_text("/lib/apk/db/installed", limit=16 << 20)
    version = parse_apk_musl_version(db) if db is not None else None
    return Libc("musl", version, "apk" if version else "ld-musl")


def _detect_libc(ctx: ProbeContext) -> Libc | None:
    if ctx.is_real_root:
        try:
            libc = parse_confstr_libc(os.confstr("CS_GNU_LIBC_VERSION"))
        except (ValueError, OSError, AttributeError):
            libc = None
        if libc is not None:
            return libc
    return _read_glibc(ctx) or _read_musl(ctx)


def _detect_kernel(ctx: ProbeContext, system: str) -> str | None:
    if ctx.is_real_root:
        if hasattr(os, "uname") and system != "windows":
            return os.uname().release or None  # what platform.release() reads, without importing it
        import platform

        return (platform.version() if system == "windows" else platform.release()) or None
    return _read_osrelease(ctx) if system == "linux" else None


_LOADER = lazy(r"ld-linux-(?P<glibc>[a-z0-9_-]+?)\.so\.\d|ld-musl-(?P<musl>[a-z0-9_]+)\.so\.\d")
_MULTIARCH = lazy(r"(?P<arch>[a-z0-9_]+)-linux-gnu")
_LOADER_DIRS = ("/lib", "/lib64", "/usr/lib", "/usr/lib64")


def parse_loader_arch(name: str) -> str | None:
    """The architecture a dynamic loader or Debian multiarch folder name implies, else None.

    `ld-linux-x86-64.so.2` → `x86_64`, `ld-linux-aarch64.so.1` → `aarch64`, `ld-musl-x86_64.so.1` →
    `x86_64`, `aarch64-linux-gnu` → `aarch64`: the names the C library installs under /lib.
    """
    if match := _LOADER.fullmatch(name):
        return (match["glibc"] or match["musl"]).replace("-", "_")
    if match := _MULTIARCH.fullmatch(name):
        return match["arch"]
    return None


def _read_loader_arch(ctx: ProbeContext) -> str | None:
    for folder in _LOADER_DIRS:
        for entry in ctx.glob(folder, "*"):
            arch = parse_loader_arch(entry.rsplit("/", 1)[-1])
            if arch is not None:
                return arch
    return None


def _detect_arch(ctx: ProbeContext, system: str) -> str:
    """Under a fake root: `/proc/sys/kernel/arch` (Linux >= 6.1), else the C library's own files in /lib
    (older kernels, Jetson's L4T among them), else the running machine's."""
    if not ctx.is_real_root and system == "linux":
        text = ctx.read_text("/proc/sys/kernel/arch")
        if text and re.fullmatch(r"[a-z0-9_]+", text.strip()):
            return normalize_arch(text, system)
        loader = _read_loader_arch(ctx)
        if loader is not None:
            return normalize_arch(loader, system)
    return normalize_arch(ctx.machine_arch or "unknown", system)


def detect(ctx: ProbeContext) -> PlatformFacts:
    """The platform section; never None (every machine has an OS and an architecture)."""
    system = os_name(ctx.sys_platform)
    if not ctx.is_real_root and system == "linux":
        ostype = ctx.read_text("/proc/sys/kernel/ostype")
        if ostype is not None and ostype.strip() and ostype.strip() != "Linux":
            ctx.warn(f"unexpected `/proc/sys/kernel/ostype`: `{ostype.strip()[:40]}`")
    libc = _detect_libc(ctx) if system == "linux" else None
    return PlatformFacts(
        os=system, arch=_detect_arch(ctx, system), libc=libc, kernel=_detect_kernel(ctx, system)
    )
