"""The CUDA *toolkit* (nvcc, headers, libraries to build against): its version and where it lives.

Why it exists: building a CUDA extension against torch (flash-attn, apex, custom ops) needs a toolkit whose
major version matches the torch build's CUDA, and a toolkit is not a driver: a machine can have CUDA 13.0's
nvcc and no driver at all (this project's own build machine), or a 12.4 driver and an 11.8 toolkit. The
toolkit is reported in `cuda_toolkit`, never in `nvidia`.

Which toolkit: the one torch's `torch.utils.cpp_extension._find_cuda_home()` would build with, in its order:
  1. `CUDA_HOME`, then `CUDA_PATH` (set by NVIDIA's Windows installer and by conda's cuda-nvcc activation);
  2. the parent of the `bin/` that holds `nvcc` on PATH (symlinks resolved on the real root);
  3. `/usr/local/cuda` (the runfile / .deb / .rpm install's symlink), then the newest `/usr/local/cuda-X.Y`.
Its version, cheapest source first (`source` names it):
  `version.json` (CUDA >= 11.1: `{"cuda": {"name": "CUDA SDK", "version": "12.4.1"}}`), `version.txt`
  (CUDA <= 11.0: `CUDA Version 10.2.89`), `include/cuda.h` (`#define CUDA_VERSION 13000`: major.minor only;
  pip/conda layouts ship no version file), then `<home>/bin/nvcc --version` (`Cuda compilation tools,
  release 13.0, V13.0.88`), the only subprocess. Formats: NVIDIA's installation guide
  (https://docs.nvidia.com/cuda/cuda-installation-guide-linux/) and the files as installed.
"""

from __future__ import annotations

import json
import os
import re

from torchsmith.lazy_re import lazy
from torchsmith.machine.context import ProbeContext
from torchsmith.machine.model import CudaToolkit

__all__ = [
    "SECTION",
    "detect",
    "parse_cuda_h",
    "parse_nvcc_version",
    "parse_version_json",
    "parse_version_txt",
]

SECTION = "cuda_toolkit"

_VERSION = lazy(r"[0-9]{1,3}\.[0-9]{1,3}(?:\.[0-9]{1,9})?")


def parse_version_json(text: str) -> str | None:
    """`version.json`'s SDK release: `{"cuda": {"name": "CUDA SDK", "version": "11.8.20220929"}}` -> `11.8`
    plus the rest as written (`11.8.20220929`). None when the file is not such a document."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    cuda = data.get("cuda") if isinstance(data, dict) else None
    version = cuda.get("version") if isinstance(cuda, dict) else None
    if not isinstance(version, str):
        return None
    version = version.strip()
    return version if _VERSION.fullmatch(version) else None


def parse_version_txt(text: str) -> str | None:
    """`version.txt` of CUDA <= 11.0: `CUDA Version 10.2.89` -> `10.2.89`."""
    match = re.match(r"\s*CUDA Version\s+(\S+)", text)
    return match.group(1) if match and _VERSION.fullmatch(match.group(1)) else None


def parse_cuda_h(text: str) -> str | None:
    """The toolkit's own header: `#define CUDA_VERSION 13000` -> `13.0` (major*1000 + minor*10)."""
    match = re.search(r"^#define CUDA_VERSION ([0-9]{4,6})\s*$", text, re.MULTILINE)
    if not match:
        return None
    value = int(match.group(1))
    return f"{value // 1000}.{(value % 1000) // 10}"


def parse_nvcc_version(text: str) -> str | None:
    """`nvcc --version`: `Cuda compilation tools, release 11.8, V11.8.89` -> `11.8.89`.

    Old releases print only the release (`release 7.5, V7.5.17` and `release 9.0, V9.0.176` both have the
    `V` part; some vendor builds lack it): the release (`11.8`) is kept then.
    """
    match = re.search(r"Cuda compilation tools, release ([0-9.]+)(?:, V([0-9.]+))?", text)
    if not match:
        return None
    release, full = match.groups()
    if full and _VERSION.fullmatch(full) and full.startswith(release):
        return full
    return release if _VERSION.fullmatch(release) else None


def _machine_path(ctx: ProbeContext, host_path: str) -> str | None:
    """A host path found on the context's PATH, as the machine sees it (relative to the root)."""
    if ctx.is_real_root:
        return os.path.realpath(host_path)
    root = ctx.root.rstrip("/")
    return host_path[len(root) :] if host_path.startswith(root + "/") else None


def _homes(ctx: ProbeContext) -> list[tuple[str, str]]:
    """(home, how it was chosen) candidates in torch's order."""
    homes: list[tuple[str, str]] = []
    for variable in ("CUDA_HOME", "CUDA_PATH"):
        value = (ctx.env.get(variable) or "").strip()
        if value:
            homes.append((value, variable))
            return homes  # torch uses the variable even when it points nowhere useful
    nvcc = ctx.which("nvcc")
    if nvcc is not None:
        machine = _machine_path(ctx, nvcc)
        if machine is not None:
            homes.append((os.path.dirname(os.path.dirname(machine)), "PATH"))
    if ctx.sys_platform == "win32":
        from pathlib import Path  # Windows only: the probe's common path joins strings

        # NVIDIA's Windows installer: C:\Program Files\NVIDIA GPU Computing Toolkit\CUDA\v12.4 (newest first)
        base = (
            Path(ctx.env.get("ProgramFiles", "C:\\Program Files")) / "NVIDIA GPU Computing Toolkit" / "CUDA"
        )
        found = [p for p in (base.glob("v*") if ctx.is_real_root else ()) if p.is_dir()]
        homes.extend(
            (str(p), "program-files") for p in sorted(found, key=lambda p: _dir_key(p.name), reverse=True)
        )
        return homes
    homes.append(("/usr/local/cuda", "usr-local"))
    versioned = [p.rsplit("/", 1)[-1] for p in ctx.glob("/usr/local", "cuda-*") if ctx.is_dir(p)]
    versioned.sort(key=_dir_key, reverse=True)
    homes.extend((f"/usr/local/{name}", "usr-local") for name in versioned)
    return homes


def _dir_key(name: str) -> tuple[int, ...]:
    numbers = re.findall(r"[0-9]+", name)
    return tuple(int(n) for n in numbers[:3])


def _windows(home: str) -> bool:
    return bool(re.match(r"[A-Za-z]:[\\/]", home))


def _version_at(ctx: ProbeContext, home: str) -> tuple[str, str] | None:
    """(version, source) of the toolkit at `home`, cheapest file first; None when nothing is there."""
    if _windows(home) and not ctx.is_real_root:
        return None  # a Windows path cannot be mapped under a Linux --root
    sep = "\\" if _windows(home) else "/"
    base = home.rstrip("/\\")

    def read(name: str) -> str | None:
        if _windows(home):
            try:
                with open(base + sep + name, "rb") as handle:
                    return handle.read(1 << 20).decode("utf-8", "replace")
            except OSError:
                return None
        return ctx.read_text(f"{base}/{name}")

    for name, parse in (("version.json", parse_version_json), ("version.txt", parse_version_txt)):
        text = read(name)
        if text is not None:
            version = parse(text)
            if version:
                return version, name
            ctx.warn(f"cannot read the CUDA version in `{base}{sep}{name}`: {_first_line(text)}")
    text = read("include/cuda.h")
    if text is not None:
        version = parse_cuda_h(text)
        if version:
            return version, "cuda.h"
    if _windows(home):
        return None  # every Windows toolkit since 11.1 has version.json
    nvcc = f"{base}/bin/nvcc"
    if not ctx.is_file(nvcc):
        return None
    cached = _cached_nvcc(ctx, nvcc)
    if cached is not None:
        return cached, "nvcc"
    out = ctx.run("nvcc", "--version", at=nvcc)
    if out is not None:
        version = parse_nvcc_version(out)
        if version:
            _remember_nvcc(ctx, nvcc, version)
            return version, "nvcc"
        ctx.warn(f"cannot read the output of `nvcc --version`: {_first_line(out)}")
    return None


def _nvcc_cache(ctx: ProbeContext, nvcc: str) -> str | None:
    """Where `nvcc --version`'s answer for this very file (path, size, mtime) is kept: running nvcc costs
    tens of milliseconds, more than the rest of the probe. Only on the real root."""
    if not ctx.is_real_root:
        return None
    import zlib  # not hashlib: its OpenSSL load costs the probe 4 ms; a file name needs no digest

    from torchsmith.paths import cache_root

    try:
        info = os.stat(nvcc)
    except OSError:
        return None
    material = f"{os.path.realpath(nvcc)}\n{info.st_size}\n{info.st_mtime_ns}".encode()
    return os.path.join(cache_root(ctx.env), "nvcc", f"{len(material)}-{zlib.crc32(material):08x}.json")


def _cached_nvcc(ctx: ProbeContext, nvcc: str) -> str | None:
    path = _nvcc_cache(ctx, nvcc)
    if path is None:
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    version = data.get("version") if isinstance(data, dict) else None
    return version if isinstance(version, str) and _VERSION.fullmatch(version) else None


def _remember_nvcc(ctx: ProbeContext, nvcc: str, version: str) -> None:
    path = _nvcc_cache(ctx, nvcc)
    if path is None:
        return
    import contextlib

    from torchsmith.errors import TorchsmithError
    from torchsmith.fileio import atomic_write_text

    with contextlib.suppress(OSError, TorchsmithError):  # a read-only cache only costs speed
        os.makedirs(os.path.dirname(path), exist_ok=True)
        atomic_write_text(path, json.dumps({"version": version}))


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return f"`{line.strip()[:120]}`"
    return "(empty)"


def detect(ctx: ProbeContext) -> CudaToolkit | None:
    """The toolkit torch would build extensions with; None when there is none."""
    if ctx.sys_platform == "darwin":
        return None  # no CUDA toolkit for macOS since 10.2
    for home, chosen in _homes(ctx):
        found = _version_at(ctx, home)
        if found is not None:
            version, source = found
            return CudaToolkit(version=version, path=home, source=f"{chosen}+{source}")
        if chosen in ("CUDA_HOME", "CUDA_PATH"):
            ctx.warn(f"`{chosen}={home}` holds no CUDA toolkit (no version.json, version.txt or bin/nvcc)")
    return None
