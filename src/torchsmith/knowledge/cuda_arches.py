"""GPU compute capabilities compiled into each PyTorch CUDA wheel, from `data/cuda_arches.toml`.

A CUDA build runs on a GPU only if it carries code for it: SASS (cubin) for sm_XY runs on GPUs of the same
major with minor >= Y (sm_86 runs on an sm_89 Ada card), and PTX for arch P is JIT-compiled by the driver
for any GPU >= P (NVIDIA, "CUDA C++ Programming Guide", binary and PTX compatibility:
https://docs.nvidia.com/cuda/cuda-c-programming-guide/#binary-compatibility). So a GTX 1080 (6.1) runs the
cu126 wheels (6.0 SASS) but no cu128/cu130 wheel (they start at 7.0/7.5, without low-arch PTX).

Rows cover ranges of torch series (`torch = ">=2.8,<2.11"`); a row whose `sm` is "null" is a recorded gap.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from torchsmith.backends import parse_backend
from torchsmith.knowledge._load import Problems, load_table
from torchsmith.record import record

__all__ = ["ArchList", "arch_gap", "arch_list", "parse_cc", "runs_on", "toolkit_excludes"]

_PLATFORMS = ("linux-x86_64", "linux-aarch64", "windows-x86_64", "macos-arm64", "macos-x86_64")
_ARCH = re.compile(r"(?P<major>[0-9]+)\.(?P<minor>[0-9])")
_CC = re.compile(r"(?:sm_?)?(?P<major>[0-9]+)\.?(?P<minor>[0-9])")
_CONFIDENCE = ("high", "medium", "low")


@record
class ArchList:
    """The arches of one wheel: `sm` with SASS ("5.0", "8.6", ...), `ptx` the arch also shipped as PTX."""

    sm: tuple[str, ...]
    ptx: str | None
    confidence: str = "high"
    source: tuple[str, ...] = ()
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "sm": list(self.sm),
            "ptx": self.ptx,
            "confidence": self.confidence,
            "source": list(self.source),
            "note": self.note,
        }


@record
class _Row:
    torch: SpecifierSet
    backend: str
    platform: str
    archs: ArchList | None  # None = recorded gap
    note: str | None


def _arch(value: str) -> tuple[int, int]:
    match = _ARCH.fullmatch(value)
    if match is None:
        raise ValueError(f"`{value}` is not a compute capability like `8.6`")
    return int(match["major"]), int(match["minor"])


def _arch_tuple(value: Any) -> tuple[str, ...] | None:
    if value == "null":
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError('expected a list of compute capabilities or "null"')
    ordered = sorted(value, key=_arch)
    if ordered != value or len(set(value)) != len(value):
        raise ValueError("compute capabilities must be unique and ascending")
    return tuple(value)


def _ptx(value: Any) -> str:
    _arch(str(value))
    return str(value)


def _cuda_backend(value: Any) -> str:
    backend = parse_backend(str(value), source="`backend`")
    if backend.kind != "cuda":
        raise ValueError("expected a CUDA backend (`cuXYZ`)")
    return backend.name


def _platform(value: Any) -> str:
    if value not in _PLATFORMS:
        raise ValueError(f"expected one of {', '.join(_PLATFORMS)}")
    return str(value)


def _confidence(value: Any) -> str:
    if value not in _CONFIDENCE:
        raise ValueError(f"expected one of {', '.join(_CONFIDENCE)}")
    return str(value)


@cache
def _rows() -> dict[tuple[str, str], tuple[_Row, ...]]:
    table = load_table("cuda_arches")
    problems = Problems(table)
    rows: dict[tuple[str, str], list[_Row]] = {}
    for i, raw in enumerate(table.rows()):
        problems.check_source(raw, i)
        spec = problems.field(raw, i, "torch", SpecifierSet)
        backend = problems.field(raw, i, "backend", _cuda_backend)
        platform = problems.field(raw, i, "platform", _platform)
        sm = problems.field(raw, i, "sm", _arch_tuple)
        ptx = problems.field(raw, i, "ptx", _ptx, default=None)
        confidence = problems.field(raw, i, "confidence", _confidence, default="high")
        note = problems.field(raw, i, "note", str, default=None)
        if spec is None or backend is None or platform is None or "sm" not in raw:
            continue
        if sm is None and raw.get("sm") != "null":
            continue  # invalid list, already recorded
        if sm is None and (ptx is not None or note is None):
            problems.add(f"row {i + 1}: `sm`", "a gap (`null`) needs a `note` and no `ptx`")
        if sm is not None and ptx is not None and _arch(ptx) < _arch(sm[0]):
            problems.add(f"row {i + 1}: `ptx`", f"`{ptx}` is below the lowest SASS arch")
        source = raw.get("source")
        sources = tuple(str(s) for s in source) if isinstance(source, list) else (str(source),)
        archs = None if sm is None else ArchList(sm, ptx, confidence or "high", sources, note)
        rows.setdefault((backend, platform), []).append(_Row(spec, backend, platform, archs, note))
    problems.raise_if_any()
    return {key: tuple(value) for key, value in rows.items()}


def _find(torch_version: Version, backend: str, platform: str) -> _Row | None:
    series = Version(f"{torch_version.major}.{torch_version.minor}")
    for row in _rows().get((backend.strip().lower(), platform), ()):
        if row.torch.contains(series, prereleases=True):
            return row
    return None


def arch_list(torch_version: Version, backend: str, platform: str) -> ArchList | None:
    """The arches in the `backend` wheels of torch `torch_version` (any patch/local) on `platform`.

    None when unknown: not a CUDA backend, a combination with no wheels, or a recorded gap (`arch_gap`).
    """
    row = _find(torch_version, backend, platform)
    return None if row is None else row.archs


def arch_gap(torch_version: Version, backend: str, platform: str) -> str | None:
    """The note of a recorded gap (the wheel exists but its arch list was not found), else None."""
    row = _find(torch_version, backend, platform)
    return row.note if row is not None and row.archs is None else None


def parse_cc(compute_capability: str) -> tuple[int, int]:
    match = _CC.fullmatch(compute_capability.strip().lower())
    if match is None:
        raise ValueError(f"invalid compute capability `{compute_capability}`: expected `8.6` or `sm_86`")
    return int(match["major"]), int(match["minor"])


def runs_on(archs: ArchList, compute_capability: str) -> bool:
    """Whether a wheel with these arches has code for a GPU of `compute_capability` ("8.9" or "sm_89").

    SASS for sm_XY runs on the same major with minor >= Y; PTX for arch P runs (JIT) on any GPU >= P.
    Raises ValueError for a malformed compute capability.
    """
    gpu = parse_cc(compute_capability)
    for entry in archs.sm:
        major, minor = _arch(entry)
        if gpu[0] == major and gpu[1] >= minor:
            return True
    return archs.ptx is not None and gpu >= _arch(archs.ptx)


@record
class _Toolkit:
    cuda: SpecifierSet
    low: tuple[int, int]
    high: tuple[int, int]


@cache
def _toolkits() -> tuple[_Toolkit, ...]:
    table = load_table("cuda_arches")
    problems = Problems(table)
    found: list[_Toolkit] = []
    for i, raw in enumerate(table.rows("toolkit")):
        problems.check_source(raw, i)
        spec = problems.field(raw, i, "cuda", SpecifierSet)
        low = problems.field(raw, i, "min", _arch)
        high = problems.field(raw, i, "max", _arch)
        if spec is not None and low is not None and high is not None:
            found.append(_Toolkit(spec, low, high))
    problems.raise_if_any()
    return tuple(found)


def toolkit_excludes(cuda: Version, compute_capability: str) -> str | None:
    """Why no build made with CUDA `cuda` can carry code for a GPU of `compute_capability`, else None.

    A GPU below the toolkit's lowest target, or of a newer major than its highest, gets no SASS from any
    build of that CUDA (CUDA release notes: 12.0 removed Kepler, 13.0 removed Maxwell/Pascal/Volta, 12.8
    added Blackwell). This turns an arch-list gap into a known "does not run" where it can.
    """
    gpu = parse_cc(compute_capability)
    series = Version(f"{cuda.major}.{cuda.minor}")
    for toolkit in _toolkits():
        if not toolkit.cuda.contains(series):
            continue
        sm = f"sm_{gpu[0]}{gpu[1]}"
        if gpu < toolkit.low:
            return (
                f"CUDA {series} cannot compile for {sm} (its lowest target is "
                f"sm_{toolkit.low[0]}{toolkit.low[1]}, per NVIDIA's CUDA {series} release notes)"
            )
        if gpu[0] > toolkit.high[0]:
            return (
                f"CUDA {series} predates {sm} (its newest target is sm_{toolkit.high[0]}{toolkit.high[1]}), "
                "so no build made with it has code for this GPU"
            )
        return None
    return None
