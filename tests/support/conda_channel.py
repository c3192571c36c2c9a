"""A local conda channel in conda-forge's image, built by the tests, and a py-rattler solve against it.

The packages are tiny but real `.conda` archives (a stored zip holding `metadata.json`, an `info-*.tar.zst`
with `info/index.json` and a `pkg-*.tar.zst`; https://docs.conda.io/projects/conda-build/en/stable/resources/package-spec.html),
indexed with py-rattler's `index_fs`. What they declare follows conda-forge's PyTorch packages
(conda-forge/pytorch-cpu-feedstock):
- `pytorch` has a CPU build per subdir (`cpu_generic_py311_h<hash>_0`) and, on linux-64, linux-aarch64 and
  win-64, CUDA builds (`cuda126_generic_py311_h<hash>_200`, `cuda128_...`) that depend on `__cuda` and
  `cuda-version >=12.6,<13`, with a higher build number so a solver with `__cuda` prefers them;
- `pytorch-gpu` / `pytorch-cpu` are metapackages pinning `pytorch` to a `cuda*` / `cpu*` build;
- `cuda-version` (noarch) constrains `__cuda >=12` (CUDA minor-version compatibility) and `cudatoolkit`;
- `torchvision` has cpu and cuda builds pinned to the matching pytorch builds; `python` 3.11 and 3.12.
The legacy `pytorch` channel's `pytorch-cuda` is deliberately absent.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import tarfile
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["CondaChannel", "Pkg", "build_channel", "solve", "standard_packages", "virtual_packages"]

SUBDIRS = ("linux-64", "linux-aarch64", "win-64", "osx-arm64")
CUDA_SUBDIRS = ("linux-64", "linux-aarch64", "win-64")
TORCH = "2.7.1"
VISION = "0.22.1"
PYTHONS = ("3.11", "3.12")
CUDAS = ("12.6", "12.8")


def _zstd() -> Any:
    try:
        from compression import zstd  # type: ignore[import-not-found]  # Python >= 3.14
    except ImportError:
        from backports import zstd  # type: ignore[import-not-found,no-redef]
    return zstd


@dataclass(frozen=True)
class Pkg:
    """One package record: what goes into `info/index.json`."""

    name: str
    version: str
    build: str
    build_number: int
    subdir: str
    depends: tuple[str, ...] = ()
    constrains: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def stem(self) -> str:
        return f"{self.name}-{self.version}-{self.build}"

    def index_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "version": self.version,
            "build": self.build,
            "build_number": self.build_number,
            "subdir": self.subdir,
            "depends": list(self.depends),
            "constrains": list(self.constrains),
            "license": "BSD-3-Clause",
            "timestamp": 1735689600000,
        }
        if self.subdir == "noarch":
            data["noarch"] = "generic"
        else:
            data["arch"], data["platform"] = _arch_platform(self.subdir)
        data.update(self.extra)
        return data


def _arch_platform(subdir: str) -> tuple[str, str]:
    platform, _, arch = subdir.partition("-")
    return {"64": "x86_64", "aarch64": "aarch64", "arm64": "arm64"}[arch], platform


def _h(*parts: str) -> str:
    return "h" + hashlib.sha256("/".join(parts).encode()).hexdigest()[:7]


def _tar_zst(members: dict[str, bytes]) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for name, data in sorted(members.items()):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1735689600
            tar.addfile(info, io.BytesIO(data))
    compressed: bytes = _zstd().compress(raw.getvalue())
    return compressed


def write_conda(pkg: Pkg, folder: Path) -> Path:
    """Write `pkg` as a `.conda` archive into `folder` (its subdir)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"paths": [], "paths_version": 1}
    info = {
        "info/index.json": json.dumps(pkg.index_json(), indent=2).encode(),
        "info/paths.json": json.dumps(paths).encode(),
        "info/about.json": json.dumps({"summary": f"test stand-in for {pkg.name}"}).encode(),
    }
    target = folder / f"{pkg.stem}.conda"
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("metadata.json", json.dumps({"conda_pkg_format_version": 2}))
        archive.writestr(f"pkg-{pkg.stem}.tar.zst", _tar_zst({}))
        archive.writestr(f"info-{pkg.stem}.tar.zst", _tar_zst(info))
    return target


def _py(python: str) -> tuple[str, str]:
    major, minor = python.split(".")
    return f"py{major}{minor}", f"python >={python},<{major}.{int(minor) + 1}.0a0"


def standard_packages() -> Iterator[Pkg]:
    """The packages of the standard channel (see the module docstring)."""
    for cuda in ("12.6", "12.8", "13.0"):
        major = cuda.split(".")[0]
        yield Pkg("cuda-version", cuda, "h7480c83_3", 3, "noarch",
                  constrains=(f"__cuda >={major}", f"cudatoolkit {cuda}|{cuda}.*"))  # fmt: skip
    for subdir in SUBDIRS:
        for python in PYTHONS:
            yield Pkg("python", f"{python}.10", f"{_h(subdir, python)}_0_cpython", 0, subdir)
            tag, pin = _py(python)
            cpu_build = f"cpu_generic_{tag}_{_h(subdir, python, 'cpu')}_0"
            yield Pkg("pytorch", TORCH, cpu_build, 0, subdir, depends=(pin, "filelock"))
            yield Pkg("torchvision", VISION, f"cpu_{tag}_{_h(subdir, python, 'tv')}_0", 0, subdir,
                      depends=(pin, f"pytorch {TORCH} cpu*"))  # fmt: skip
            if subdir not in CUDA_SUBDIRS:
                continue
            for cuda in CUDAS:
                cu = "cuda" + cuda.replace(".", "")
                build = f"{cu}_generic_{tag}_{_h(subdir, python, cu)}_200"
                depends = (pin, "filelock", "__cuda", f"cuda-version >={cuda},<13")
                yield Pkg("pytorch", TORCH, build, 200, subdir, depends=depends)
                vision = f"{cu}_{tag}_{_h(subdir, python, cu, 'tv')}_200"
                vision_deps = (pin, f"pytorch {TORCH} cuda*", "__cuda", f"cuda-version >={cuda},<13")
                yield Pkg("torchvision", VISION, vision, 200, subdir, depends=vision_deps)
        yield Pkg("filelock", "3.16.1", "pyhd8ed1ab_0", 0, subdir)
        yield Pkg("pytorch-cpu", TORCH, f"cpu_generic_{_h(subdir, 'meta-cpu')}_0", 0, subdir,
                  depends=(f"pytorch {TORCH} cpu*",))  # fmt: skip
        yield Pkg("pip", "24.3.1", "pyh8b19718_0", 0, subdir, depends=("python >=3.9",))
        if subdir in CUDA_SUBDIRS:
            for cuda in CUDAS:
                cu = "cuda" + cuda.replace(".", "")
                yield Pkg("pytorch-gpu", TORCH, f"{cu}_generic_{_h(subdir, cu, 'meta-gpu')}_200", 200, subdir,
                          depends=(f"pytorch {TORCH} {cu}*",))  # fmt: skip


@dataclass(frozen=True)
class CondaChannel:
    """A built channel: its folder, and the URL solvers take (`file://...`)."""

    root: Path

    @property
    def url(self) -> str:
        return self.root.as_uri()


def build_channel(root: Path, packages: Sequence[Pkg] | None = None) -> CondaChannel:
    """Write `packages` (default: the standard set) as `.conda` files and index them with py-rattler."""
    from rattler.index import index_fs

    for pkg in packages if packages is not None else tuple(standard_packages()):
        write_conda(pkg, root / pkg.subdir)
    for subdir in ("noarch", *SUBDIRS):
        (root / subdir).mkdir(parents=True, exist_ok=True)
    asyncio.run(index_fs(root, write_zst=False, write_shards=False))
    return CondaChannel(root)


def virtual_packages(subdir: str, cuda: str | None) -> list[Any]:
    """The virtual packages a machine of `subdir` exposes (with `__cuda` when `cuda` is given)."""
    from rattler import GenericVirtualPackage, PackageName, Version
    from rattler.package.build_string import BuildString

    specs: list[tuple[str, str]] = []
    if subdir.startswith("linux"):
        specs += [("__unix", "0"), ("__linux", "5.15"), ("__glibc", "2.35")]
    elif subdir.startswith("osx"):
        specs += [("__unix", "0"), ("__osx", "14.0")]
    else:
        specs += [("__win", "0")]
    if cuda is not None:
        specs.append(("__cuda", cuda))
    return [GenericVirtualPackage(PackageName(n), Version(v), BuildString("0")) for n, v in specs]


def solve(channel: CondaChannel, specs: Sequence[str], subdir: str, *, cuda: str | None) -> dict[str, Any]:
    """Solve `specs` for `subdir` against `channel`; {name: record}. Raises rattler's SolverError."""
    from rattler import solve as rattler_solve

    records = asyncio.run(
        rattler_solve(
            sources=[channel.url],
            specs=list(specs),
            platforms=[subdir, "noarch"],
            virtual_packages=virtual_packages(subdir, cuda),
        )
    )
    return {str(r.name.normalized): r for r in records}
