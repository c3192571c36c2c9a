"""torch release series and their companions, from `data/torch_releases.toml`.

One `Release` per torch minor series (1.13 … 2.15): the CPython ABI tags with wheels (PyPI's wheel tags are
trusted over RELEASE.md's column), the backends per platform key, the glibc and macOS floors, the build the
plain PyPI wheel is, and the paired torchvision/torchaudio series. `companion_for` gives the exact companion
patch for a torch patch (torchvision wheels pin `torch==X.Y.Z`; see
https://github.com/pytorch/vision#installation). Sources are listed in the data file.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from types import MappingProxyType

from packaging.version import Version

from torchsmith.backends import parse_backend
from torchsmith.knowledge._load import Problems, Table, load_table, version
from torchsmith.lazy_re import lazy
from torchsmith.record import field, record

TYPE_CHECKING = False  # `typing` stays unloaded at start-up (issue 17); mypy reads the name as typing's
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "PLATFORMS",
    "TORCH_FAMILY",
    "Release",
    "companion_for",
    "glibc_floor",
    "release_for",
    "releases",
    "torch_for_companion",
]

PLATFORMS = ("linux-x86_64", "linux-aarch64", "windows-x86_64", "macos-arm64", "macos-x86_64")
"""The platform keys every knowledge table uses."""

TORCH_FAMILY: frozenset[str] = frozenset({"torch", "torchvision", "torchaudio"})
"""Packages built per backend and paired exactly with torch (canonical names)."""

_COMPANIONS = ("torchvision", "torchaudio")
_PY_TAG = lazy(r"cp3[0-9]+t?")
_MANYLINUX = lazy(r"manylinux_(?P<major>[0-9]+)_(?P<minor>[0-9]+)")
_LEGACY_MANYLINUX = {
    "manylinux1": Version("2.5"),
    "manylinux2010": Version("2.12"),
    "manylinux2014": Version("2.17"),
}


@record
class Release:
    """One torch minor series (e.g. 2.5). Mappings are keyed by platform key (`linux-x86_64`, ...).

    `backends` lists backend names newest first (CUDA, then ROCm, then xpu, `cpu` last); a platform that is
    absent has no wheels, unless it is named in `gaps` (not found). `manylinux` and `macos_min` are the
    floors of linux-x86_64 and macos-arm64; the `*_by_platform` mappings hold every platform's floor.
    """

    torch: Version
    patches: tuple[Version, ...]
    python: tuple[str, ...]
    backends: Mapping[str, tuple[str, ...]]
    manylinux: str | None
    macos_min: str | None
    torchvision: Version | None
    torchaudio: Version | None
    pypi_default_backend: str | None
    release_date: str | None
    manylinux_by_platform: Mapping[str, str] = field(default_factory=dict)
    macos_min_by_platform: Mapping[str, str] = field(default_factory=dict)
    pypi_backend_by_platform: Mapping[str, str] = field(default_factory=dict)
    gaps: tuple[str, ...] = ()
    source: tuple[str, ...] = ()
    note: str | None = None

    def glibc_floor(self, platform: str) -> Version | None:
        """The glibc version a Linux wheel of this release needs on `platform`; None if unknown/not Linux."""
        tag = self.manylinux_by_platform.get(platform)
        return None if tag is None else glibc_floor(tag)

    def to_json(self) -> dict[str, Any]:
        return {
            "torch": str(self.torch),
            "patches": [str(p) for p in self.patches],
            "python": list(self.python),
            "backends": {k: list(v) for k, v in self.backends.items()},
            "manylinux": self.manylinux,
            "macos_min": self.macos_min,
            "torchvision": None if self.torchvision is None else str(self.torchvision),
            "torchaudio": None if self.torchaudio is None else str(self.torchaudio),
            "pypi_default_backend": self.pypi_default_backend,
            "release_date": self.release_date,
            "manylinux_by_platform": dict(self.manylinux_by_platform),
            "macos_min_by_platform": dict(self.macos_min_by_platform),
            "pypi_backend_by_platform": dict(self.pypi_backend_by_platform),
            "gaps": list(self.gaps),
            "source": list(self.source),
            "note": self.note,
        }


def glibc_floor(manylinux: str) -> Version:
    """The glibc a manylinux tag promises: `manylinux_2_28` → 2.28, `manylinux2014` → 2.17 (PEP 600/599).

    An architecture suffix is ignored (`manylinux_2_28_x86_64`). Raises ValueError for anything else.
    """
    text = manylinux.strip().lower()
    if match := _MANYLINUX.match(text):
        return Version(f"{int(match['major'])}.{int(match['minor'])}")
    legacy = text.split("_", 1)[0]
    if legacy in _LEGACY_MANYLINUX:
        return _LEGACY_MANYLINUX[legacy]
    raise ValueError(f"invalid manylinux tag `{manylinux}`")


# --- loading -----------------------------------------------------------------------------------------


def _series(value: Any) -> Version:
    v = version(value)
    if len(v.release) != 2 or v.local or v.pre or v.dev:
        raise ValueError("expected a major.minor series")
    return v


def _companion_series(value: Any) -> Version | None:
    """`"0.20"`, or `false` = no release of that package for this torch."""
    if value is False:
        return None
    return _series(value)


def _companion_patch(value: Any) -> Version | None:
    return None if value is False else version(value)


def _str_tuple(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError("expected a list of strings")
    return tuple(value)


def _python_tags(value: Any) -> tuple[str, ...]:
    tags = _str_tuple(value)
    for tag in tags:
        if not _PY_TAG.fullmatch(tag):
            raise ValueError(f"`{tag}` is not a CPython ABI tag like `cp312` or `cp313t`")
    return tags


def _platform_map(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError("expected a table keyed by platform")
    unknown = sorted(set(value) - set(PLATFORMS))
    if unknown:
        raise ValueError(f"unknown platform key(s) {unknown}")
    return value


def _backend_map(value: Any) -> dict[str, tuple[str, ...]]:
    result = {}
    for platform, names in _platform_map(value).items():
        backends = _str_tuple(names)
        for name in backends:
            parse_backend(name, source=f"`backends.{platform}`")
        result[platform] = backends
    return result


def _tag_map(value: Any) -> dict[str, str]:
    result = {}
    for platform, tag in _platform_map(value).items():
        if not isinstance(tag, str):
            raise TypeError(f"`{platform}`: expected a string")
        result[platform] = tag
    return result


def _sources(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else (str(value),)


def _check_release(problems: Problems, i: int, r: Release) -> None:
    where = f"row {i + 1}"
    for platform, names in r.backends.items():
        if not names or names[-1] != "cpu":
            problems.add(f"{where}: `backends.{platform}`", "must end with `cpu`")
        if len(set(names)) != len(names):
            problems.add(f"{where}: `backends.{platform}`", "duplicate backend")
    for platform, tag in r.manylinux_by_platform.items():
        try:
            glibc_floor(tag)
        except ValueError as error:
            problems.add(f"{where}: `manylinux.{platform}`", str(error))
    for p in r.patches:
        if Version(f"{p.major}.{p.minor}") != r.torch:
            problems.add(f"{where}: `patches`", f"`{p}` is not in the {r.torch} series")


def _release(problems: Problems, i: int, raw: dict[str, Any]) -> Release | None:
    problems.check_source(raw, i)
    f = problems.field
    torch = f(raw, i, "torch", _series)
    patches = f(raw, i, "patches", lambda v: tuple(version(x) for x in _str_tuple(v)))
    python = f(raw, i, "python", _python_tags)
    backends = f(raw, i, "backends", _backend_map)
    pypi = f(raw, i, "pypi", _tag_map)
    manylinux = f(raw, i, "manylinux", _tag_map)
    macos = f(raw, i, "macos_min", _tag_map)
    torchvision = f(raw, i, "torchvision", _companion_series)
    torchaudio = f(raw, i, "torchaudio", _companion_series)
    date = f(raw, i, "release_date", str, default=None)
    gaps = f(raw, i, "gaps", _str_tuple, default=())
    note = f(raw, i, "note", str, default=None)
    if None in (torch, patches, python, backends, pypi, manylinux, macos) or (
        "torchvision" not in raw or "torchaudio" not in raw
    ):
        return None
    release = Release(
        torch=torch,
        patches=tuple(sorted(patches)),
        python=python,
        backends=MappingProxyType(backends),
        manylinux=manylinux.get("linux-x86_64"),
        macos_min=macos.get("macos-arm64"),
        torchvision=torchvision,
        torchaudio=torchaudio,
        pypi_default_backend=pypi.get("linux-x86_64"),
        release_date=date,
        manylinux_by_platform=MappingProxyType(manylinux),
        macos_min_by_platform=MappingProxyType(macos),
        pypi_backend_by_platform=MappingProxyType(pypi),
        gaps=gaps,
        source=_sources(raw.get("source")),
        note=note,
    )
    _check_release(problems, i, release)
    return release


@record
class _Loaded:
    releases: tuple[Release, ...]
    by_series: dict[Version, Release]


@record
class _Pairs:
    pairs: dict[str, dict[Version, Version | None]]  # package -> torch patch -> companion patch
    inverse: dict[str, dict[Version, Version]]  # package -> companion patch -> torch patch


def _read_pairs(table: Table, problems: Problems, by_series: dict[Version, Release]) -> _Pairs:
    pairs: dict[str, dict[Version, Version | None]] = {p: {} for p in _COMPANIONS}
    inverse: dict[str, dict[Version, Version]] = {p: {} for p in _COMPANIONS}
    for i, raw in enumerate(table.rows("pair")):
        problems.check_source(raw, i)
        where = f"pair {i + 1}"
        torch = problems.field(raw, i, "torch", version)
        if torch is None:
            continue
        series = by_series.get(Version(f"{torch.major}.{torch.minor}"))
        if series is None or torch not in series.patches:
            problems.add(f"{where}: `torch`", f"`{torch}` is not a patch of any release row")
        for package in _COMPANIONS:
            companion = problems.field(raw, i, package, _companion_patch)
            if package not in raw:
                continue
            if torch in pairs[package]:
                problems.add(f"{where}: `torch`", f"duplicate `{torch}`")
            pairs[package][torch] = companion
            expected = None if series is None else getattr(series, package)
            got = None if companion is None else Version(f"{companion.major}.{companion.minor}")
            if series is not None and got != expected:
                problems.add(
                    f"{where}: `{package}`", f"`{companion}` is not in the paired series `{expected}`"
                )
            if companion is not None:
                inverse[package].setdefault(companion, torch)
                inverse[package][companion] = max(inverse[package][companion], torch)
    for release in by_series.values():
        for patch in release.patches:
            if patch not in pairs["torchvision"]:
                problems.add("pairs", f"torch `{patch}` has no `[[pair]]` row")
    return _Pairs(pairs, inverse)


@cache
def _load() -> _Loaded:
    """The release rows. The `[[pair]]` rows are read apart (`_load_pairs`), on first use: only pairing a
    companion with torch needs them (the probe reads backend names from the rows themselves)."""
    table = load_table("torch_releases")
    problems = Problems(table)
    by_series: dict[Version, Release] = {}
    for i, raw in enumerate(table.rows()):
        release = _release(problems, i, raw)
        if release is None:
            continue
        if release.torch in by_series:
            problems.add(f"row {i + 1}: `torch`", f"duplicate `{release.torch}`")
        by_series[release.torch] = release
    problems.raise_if_any()
    releases = tuple(sorted(by_series.values(), key=lambda r: r.torch, reverse=True))
    return _Loaded(releases, by_series)


@cache
def _load_pairs() -> _Pairs:
    table = load_table("torch_releases")
    problems = Problems(table)
    pairs = _read_pairs(table, problems, _load().by_series)
    problems.raise_if_any()
    return pairs


# --- queries -----------------------------------------------------------------------------------------


def releases() -> tuple[Release, ...]:
    """Every known torch release series, newest first."""
    return _load().releases


def release_for(torch_version: Version) -> Release | None:
    """The series of any torch version (`2.5.1+cu124` → the 2.5 row); None if not in the table."""
    return _load().by_series.get(Version(f"{torch_version.major}.{torch_version.minor}"))


def _patch(v: Version) -> Version:
    """Drop the local label and build tags of an installed version (`2.5.1+cu124` → 2.5.1)."""
    return Version(v.public)


@cache
def companion_for(package: str, torch_version: Version) -> Version | None:
    """The exact `package` version built for a torch patch (`torchvision`, 2.5.1 → 0.20.1).

    None when the package has no release for that torch (torchaudio for torch >= 2.12) or the patch is
    not in the table. `torch` itself maps to the given version. Raises ValueError for packages outside
    the torch family. Cached: the table is fixed for the process, and lint asks for the same few pairs in
    every file of a repository (each answer builds versions anew).
    """
    from torchsmith.names import canonicalize_name

    name = canonicalize_name(package)
    if name == "torch":
        return _patch(torch_version)
    if name not in _COMPANIONS:
        raise ValueError(f"`{package}` is not a torch companion package (torchvision, torchaudio)")
    return _load_pairs().pairs[name].get(_patch(torch_version))


def torch_for_companion(package: str, version: Version) -> Version | None:
    """The torch patch a companion release was built for (`torchvision`, 0.20.1 → 2.5.1); None if unknown."""
    from torchsmith.names import canonicalize_name

    name = canonicalize_name(package)
    if name == "torch":
        return _patch(version)
    if name not in _COMPANIONS:
        raise ValueError(f"`{package}` is not a torch companion package (torchvision, torchaudio)")
    return _load_pairs().inverse[name].get(_patch(version))
