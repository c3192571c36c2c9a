"""The CPU microarchitecture name for `__archspec`, exactly as rattler (pixi) and conda report it.

Why it exists: conda packages may depend on `__archspec` (e.g. builds for `x86_64_v3`), and rattler reports
the host's most specific microarchitecture by archspec's rules (`zen2`, `skylake`, `m1`), not the plain
architecture. Both rattler (archspec-rs) and conda use archspec's `microarchitectures.json`, so the name comes
from the `archspec` package itself (https://github.com/archspec/archspec, `archspec.cpu.host()`).

Speed: importing archspec costs ~100 ms, more than the whole probe, so the answer is cached in torchsmith's
cache folder, keyed by the first processor block of `/proc/cpuinfo` (Linux) or the platform, and the Python
environment; a warm probe reads one small file. Under `--root` the root's own `/proc/cpuinfo` is classified
(same ranking as `archspec.cpu.host()`); a root without one gives None, and the caller falls back to the
generic family, as rattler does when detection fails.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import zlib

from torchsmith.machine.context import ProbeContext

TYPE_CHECKING = False  # `typing` stays unloaded at start-up (issue 17); mypy reads the name as typing's
if TYPE_CHECKING:
    from typing import Any

__all__ = ["first_cpuinfo_block", "microarchitecture"]

_STABLE_KEYS = frozenset(
    {
        "vendor_id",
        "cpu family",
        "model",
        "model name",
        "stepping",
        "flags",
        "Features",
        "CPU implementer",
        "CPU architecture",
        "CPU variant",
        "CPU part",
        "cpu",
        "uarch",
    }
)


def first_cpuinfo_block(text: str) -> dict[str, str]:
    """`key: value` pairs of the first processor in `/proc/cpuinfo` (the blank line ends it), as archspec
    reads them."""
    data: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if not sep and data:
            break
        if sep:
            data[key.strip()] = value.strip()
    return data


def _environment() -> str:
    """What the cached answer depends on besides the CPU: this environment (and so its archspec install).
    Finding archspec's version itself costs more than the probe it would save, so an upgrade of archspec
    inside one environment keeps the old answer until the cache is cleared (`torchsmith` cache folder)."""
    return f"{sys.prefix}\n{sys.version}"


def _classify(info: dict[str, str], arch: str) -> str | None:
    """archspec's `host()` ranking applied to a cpuinfo block of another root (same architecture only)."""
    from archspec.cpu import detect  # type: ignore[import-untyped]  # heavy; only on a cache miss

    if arch == "x86_64":
        partial = detect.partial_uarch(
            vendor=info.get("vendor_id", "generic"), features=_features(info, "flags")
        )
    elif arch == "aarch64":
        partial = detect.partial_uarch(
            vendor=detect._canonicalize_aarch64_vendor(info),
            features=_features(info, "Features"),
            cpu_part=info.get("CPU part", ""),
        )
    else:
        return None
    candidates = detect.compatible_microarchitectures(partial)
    generic = [c for c in candidates if c.vendor == "generic"]
    if not generic:
        return None

    def rank(item: Any) -> tuple[int, int]:
        return len(item.ancestors), len(item.features)

    best_generic = max(generic, key=rank)
    if partial.cpu_part and any(c.cpu_part == partial.cpu_part for c in candidates):
        candidates = [c for c in candidates if c.cpu_part == partial.cpu_part]
    better = [c for c in candidates if c > best_generic]
    return str(max(better, key=rank).name if better else best_generic.name)


def _features(info: dict[str, str], key: str) -> set[str]:
    return set(info.get(key, "").split())


def _host() -> str | None:
    try:
        import archspec.cpu  # type: ignore[import-untyped]
    except ImportError:
        return None
    try:
        return str(archspec.cpu.host().name)
    except Exception:
        return None


def _cache_path(ctx: ProbeContext, key: str) -> str:
    from torchsmith.paths import cache_root

    return os.path.join(cache_root(ctx.env), "archspec", f"{key}.json")


def microarchitecture(ctx: ProbeContext, arch: str) -> str | None:
    """The archspec name of the machine's CPU, or None when it cannot be told (no cpuinfo under a root,
    archspec not installed, another architecture than this interpreter's under `--root`)."""
    text = ctx.read_text("/proc/cpuinfo", limit=1 << 20) if ctx.sys_platform.startswith("linux") else None
    block = first_cpuinfo_block(text) if text is not None else None
    if not ctx.is_real_root and (block is None or arch != ctx.machine_arch):
        return None
    # Only what names the CPU: `cpu MHz` and `bogomips` change between reads and must not miss the cache.
    stable = {k: v for k, v in (block or {}).items() if k in _STABLE_KEYS}
    seed = json.dumps(stable, sort_keys=True) if stable else f"{sys.platform}-{ctx.machine_arch}"
    # crc32 (zlib is loaded for the knowledge tables anyway) rather than hashlib, whose OpenSSL load cost
    # the probe 4 ms (issue 17); the key names a cache file, a collision only costs a wrong cache hit
    # between two CPUs of one user with odds of 1 in 4 billion, so the arch and a length go in too
    material = f"{_environment()}\n{arch}\n{seed}".encode()
    key = f"{arch}-{len(material)}-{zlib.crc32(material):08x}"
    path = _cache_path(ctx, key)
    with contextlib.suppress(OSError, ValueError):
        with open(path, encoding="utf-8") as handle:
            cached = json.load(handle)
        if isinstance(cached, dict) and isinstance(cached.get("name"), str):
            return str(cached["name"])
    if not ctx.is_real_root and block is not None:
        try:
            name = _classify(block, arch)
        except ImportError:
            return None
    else:
        name = _host()
    if name is not None:
        from torchsmith.errors import TorchsmithError
        from torchsmith.fileio import atomic_write_text

        with contextlib.suppress(OSError, TorchsmithError):  # a read-only cache only costs speed
            os.makedirs(os.path.dirname(path), exist_ok=True)
            atomic_write_text(path, json.dumps({"name": name}))
    return name
