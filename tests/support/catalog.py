"""The standard test catalog, as data: which wheels the local index holds, named like the real ones.

Names follow download.pytorch.org (knowledge-base.md §5, checked against real file lists quoted in public
repositories and issues, e.g. astral-sh/uv#17380 for 2.9.1):
- Linux x86_64 wheels carry the backend label (`+cpu`, `+cu124`, `+rocm6.2`, `+xpu`); up to 2.5 they are
  tagged `linux_x86_64`, from 2.7 `manylinux_2_28_x86_64` (XPU stays `linux_x86_64` until 2.9).
- Windows: `win_amd64` with the label. macOS arm64 (cpu index only): no label, torch's ABI tag is `none`
  (`torch-2.5.1-cp311-none-macosx_11_0_arm64.whl`); 2.12+ need macOS 14 (`macosx_14_0_arm64`).
- Linux aarch64 on the cpu index: torch has no label and `manylinux_2_17_aarch64.manylinux2014_aarch64` up
  to 2.5, `+cpu` and `manylinux_2_28_aarch64` from 2.7; torchvision/torchaudio there have no label up to
  0.24 / 2.9 and are tagged `linux_aarch64` up to 0.20 / 2.5.
- torchvision pins `torch==<exact patch>` (up to 0.28); torchaudio pins torch up to 2.9, 2.11.0 does not,
  and there is no torchaudio after 2.11.
Assumed where no source was found: xpu of 2.11/2.13 is `manylinux_2_28_x86_64` (2.13's is observed);
aarch64 torchvision/torchaudio from 0.26 / 2.11 carry `+cpu`. To keep the tree small (about 550 wheels,
built in about a second) only Linux x86_64 has every Python the release supports; Windows, macOS and
aarch64 have cp311 and cp312.
torch's `Requires-Dist` names `filelock`, `typing-extensions` and, for CUDA builds, one
`nvidia-cuda-runtime-cu1X` pin; those (and `numpy` for torchvision) live on the local "PyPI" index, which
also holds PyPI's own torch 2.5.1 / 2.9.1 and torchvision 0.20.1 / 0.24.1 for Linux x86_64 (CUDA builds
without a label, as on real PyPI), so tests can catch a plan that lets PyPI's torch win.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from tests.support.wheels import wheel_filename

__all__ = ["PYPI", "RELEASES", "Catalog", "Release", "WheelSpec", "standard_catalog"]

PYPI = "pypi"
"""The `index` of wheels served from the local PyPI-like index rather than a backend index."""


@dataclass(frozen=True, slots=True)
class WheelSpec:
    """One wheel of the catalog and the index (`cpu`, `cu124`, ... or `pypi`) that serves it."""

    index: str
    name: str
    version: str
    python_tag: str
    abi_tag: str
    platform_tag: str
    requires_dist: tuple[str, ...] = ()
    requires_python: str | None = None
    build_tag: str | None = None

    @property
    def filename(self) -> str:
        return wheel_filename(
            self.name, self.version, self.python_tag, self.abi_tag, self.platform_tag, self.build_tag
        )


@dataclass(frozen=True, slots=True)
class Release:
    """One torch release and what the catalog builds for it."""

    torch: str
    torchvision: str
    torchaudio: str | None
    pythons: tuple[str, ...]
    linux: tuple[str, ...]
    """Backends with Linux x86_64 wheels (all of them in the catalog)."""
    windows: tuple[str, ...]
    """Backends whose `win_amd64` wheels the catalog includes (a subset of the real ones)."""
    requires_python: str
    linux_platform: str
    xpu_platform: str
    aarch64_platform: str
    aarch64_companion_platform: str
    macos_platform: str
    aarch64_torch_label: bool
    companions_labelled_on_aarch64: bool
    torchaudio_pins_torch: bool = True


def _cp(*minors: int) -> tuple[str, ...]:
    return tuple(f"cp3{m}" for m in minors)


_OLD_AARCH64 = "manylinux_2_17_aarch64.manylinux2014_aarch64"
_NEW_AARCH64 = "manylinux_2_28_aarch64"
RELEASES: tuple[Release, ...] = (
    Release("2.4.1", "0.19.1", "2.4.1", _cp(8, 9, 10, 11, 12), ("cpu", "cu118", "cu121", "cu124"),
            ("cpu", "cu124"), ">=3.8.0", "linux_x86_64", "linux_x86_64", _OLD_AARCH64, "linux_aarch64",
            "macosx_11_0_arm64", False, False),
    Release("2.5.1", "0.20.1", "2.5.1", _cp(9, 10, 11, 12, 13), ("cpu", "cu118", "cu121", "cu124", "rocm6.2"),
            ("cpu", "cu124"), ">=3.8.0", "linux_x86_64", "linux_x86_64", _OLD_AARCH64, "linux_aarch64",
            "macosx_11_0_arm64", False, False),
    Release("2.7.1", "0.22.1", "2.7.1", _cp(9, 10, 11, 12, 13),
            ("cpu", "cu118", "cu126", "cu128", "rocm6.3", "xpu"), ("cpu", "cu128", "xpu"), ">=3.9.0",
            "manylinux_2_28_x86_64", "linux_x86_64", _NEW_AARCH64, _NEW_AARCH64, "macosx_11_0_arm64",
            True, False),
    Release("2.9.1", "0.24.1", "2.9.1", _cp(10, 11, 12, 13),
            ("cpu", "cu126", "cu128", "cu130", "rocm6.4", "xpu"), ("cpu", "cu130", "xpu"), ">=3.10",
            "manylinux_2_28_x86_64", "linux_x86_64", _NEW_AARCH64, _NEW_AARCH64, "macosx_11_0_arm64",
            True, False),
    Release("2.11.0", "0.26.0", "2.11.0", _cp(10, 11, 12, 13),
            ("cpu", "cu126", "cu128", "cu130", "rocm7.2", "xpu"), ("cpu", "cu130", "xpu"), ">=3.10",
            "manylinux_2_28_x86_64", "manylinux_2_28_x86_64", _NEW_AARCH64, _NEW_AARCH64, "macosx_11_0_arm64",
            True, True, torchaudio_pins_torch=False),
    Release("2.13.0", "0.28.0", None, _cp(10, 11, 12, 13),
            ("cpu", "cu126", "cu130", "rocm7.2", "xpu"), ("cpu", "cu130", "xpu"), ">=3.10",
            "manylinux_2_28_x86_64", "manylinux_2_28_x86_64", _NEW_AARCH64, _NEW_AARCH64, "macosx_14_0_arm64",
            True, True),
)  # fmt: skip

CUDA_RUNTIME: dict[str, tuple[str, str]] = {
    "cu118": ("nvidia-cuda-runtime-cu11", "11.8.89"),
    "cu121": ("nvidia-cuda-runtime-cu12", "12.1.105"),
    "cu124": ("nvidia-cuda-runtime-cu12", "12.4.127"),
    "cu126": ("nvidia-cuda-runtime-cu12", "12.6.77"),
    "cu128": ("nvidia-cuda-runtime-cu12", "12.8.90"),
    "cu130": ("nvidia-cuda-runtime-cu13", "13.0.96"),
}
"""The runtime wheel each CUDA build of torch pins (one of the `nvidia-*` pins real torch wheels carry)."""

_LINUX_X86 = 'platform_system == "Linux" and platform_machine == "x86_64"'
_SIDE_PYTHONS = _cp(11, 12)


def _torch_requires(backend: str | None) -> tuple[str, ...]:
    reqs = ["filelock", "typing-extensions>=4.8.0"]
    if backend in CUDA_RUNTIME:
        runtime, version = CUDA_RUNTIME[backend]
        reqs.append(f"{runtime}=={version}; {_LINUX_X86}")
    return tuple(reqs)


def _family(
    release: Release,
    index: str,
    py: str,
    platform: str,
    label: str | None,
    companion_label: str | None,
    *,
    torch_abi: str | None = None,
    torch_platform: str | None = None,
) -> Iterator[WheelSpec]:
    """torch, torchvision and torchaudio of one release for one index, Python and platform."""

    def v(version: str, local: str | None) -> str:
        return f"{version}+{local}" if local else version

    backend = index if label else None
    yield WheelSpec(
        index,
        "torch",
        v(release.torch, label),
        py,
        torch_abi or py,
        torch_platform or platform,
        _torch_requires(backend if index != "cpu" else None),
        release.requires_python,
    )
    yield WheelSpec(
        index,
        "torchvision",
        v(release.torchvision, companion_label),
        py,
        py,
        platform,
        ("numpy", f"torch=={release.torch}"),
        release.requires_python,
    )
    if release.torchaudio is not None:
        audio_reqs = (f"torch=={release.torch}",) if release.torchaudio_pins_torch else ()
        yield WheelSpec(index, "torchaudio", v(release.torchaudio, companion_label), py, py, platform,
                        audio_reqs, release.requires_python)  # fmt: skip


def _release_wheels(release: Release) -> Iterator[WheelSpec]:
    for backend in release.linux:
        platform = release.xpu_platform if backend == "xpu" else release.linux_platform
        for py in release.pythons:
            yield from _family(release, backend, py, platform, backend, backend)
    side = tuple(py for py in release.pythons if py in _SIDE_PYTHONS)
    for backend in release.windows:
        for py in side:
            yield from _family(release, backend, py, "win_amd64", backend, backend)
    for py in side:
        yield from _family(release, "cpu", py, release.macos_platform, None, None, torch_abi="none")
        yield from _family(
            release, "cpu", py, release.aarch64_companion_platform,
            "cpu" if release.aarch64_torch_label else None,
            "cpu" if release.companions_labelled_on_aarch64 else None,
            torch_platform=release.aarch64_platform,
        )  # fmt: skip


def _pypi_wheels() -> Iterator[WheelSpec]:
    yield WheelSpec(PYPI, "filelock", "3.16.1", "py3", "none", "any", requires_python=">=3.8")
    yield WheelSpec(PYPI, "typing-extensions", "4.12.2", "py3", "none", "any", requires_python=">=3.8")
    yield WheelSpec(PYPI, "numpy", "2.1.3", "py3", "none", "any", requires_python=">=3.10")
    yield WheelSpec(PYPI, "numpy", "1.26.4", "py3", "none", "any", requires_python=">=3.9")
    for runtime, version in CUDA_RUNTIME.values():
        yield WheelSpec(PYPI, runtime, version, "py3", "none", "manylinux2014_x86_64")
    # PyPI's macOS torch is the same file as the cpu index's (no label): a `macos` target installs from PyPI.
    for py in _SIDE_PYTHONS:
        mac = "macosx_14_0_arm64"
        yield WheelSpec(PYPI, "torch", "2.13.0", py, "none", mac, _torch_requires(None), ">=3.10")
        yield WheelSpec(PYPI, "torchvision", "0.28.0", py, py, mac, ("numpy", "torch==2.13.0"), ">=3.10")
    # PyPI's own torch: CUDA builds for Linux x86_64, without a local label
    for torch, vision, platform, backend in (
        ("2.5.1", "0.20.1", "manylinux1_x86_64", "cu124"),
        ("2.9.1", "0.24.1", "manylinux_2_28_x86_64", "cu128"),
    ):
        for py in _cp(10, 11, 12, 13):
            yield WheelSpec(PYPI, "torch", torch, py, py, platform, _torch_requires(backend), ">=3.9")
            yield WheelSpec(
                PYPI, "torchvision", vision, py, py, platform, ("numpy", f"torch=={torch}"), ">=3.9"
            )


@dataclass(frozen=True, slots=True)
class Catalog:
    """The wheels of a local index, and the releases they came from."""

    wheels: tuple[WheelSpec, ...]
    releases: tuple[Release, ...] = RELEASES

    @property
    def indexes(self) -> tuple[str, ...]:
        """Every index name, backend indexes sorted, `pypi` last."""
        names = {w.index for w in self.wheels}
        return (*sorted(names - {PYPI}), *((PYPI,) if PYPI in names else ()))

    def select(
        self, *, index: str | None = None, name: str | None = None, version: str | None = None
    ) -> tuple[WheelSpec, ...]:
        return tuple(
            w for w in self.wheels
            if (index is None or w.index == index) and (name is None or w.name == name)
            and (version is None or w.version == version)
        )  # fmt: skip

    def release(self, torch: str) -> Release:
        """The release whose torch version is `torch` (e.g. `2.5.1`)."""
        for release in self.releases:
            if release.torch == torch:
                return release
        raise KeyError(torch)


JETSON = "jp6/cu126"
"""NVIDIA's JetPack 6 index (https://pypi.jetson-ai-lab.io/jp6/cu126), served as `<url>/whl/jp6/cu126`."""


def _jetson_wheels() -> Iterator[WheelSpec]:
    """NVIDIA's Jetson builds: aarch64, CPython 3.10 (JetPack 6's), torch a pre-release with an `nv` label."""
    yield WheelSpec(JETSON, "torch", "2.5.0a0+872d972e41.nv24.08.17622132", "cp310", "cp310", "linux_aarch64",
                    _torch_requires(None), ">=3.8")  # fmt: skip
    yield WheelSpec(JETSON, "torchvision", "0.20.0", "cp310", "cp310", "linux_aarch64", ("numpy",), ">=3.8")


def standard_catalog() -> Catalog:
    """The catalog the `local_index` fixture serves."""
    wheels = [w for release in RELEASES for w in _release_wheels(release)]
    wheels.extend(_jetson_wheels())
    wheels.extend(_pypi_wheels())
    return Catalog(tuple(wheels))
