"""Which AMD GPU targets (gfx) each PyTorch ROCm wheel variant carries, and the override convention.

A ROCm build of torch holds one code object per LLVM target it was compiled for (`gfx90a`, `gfx1100`, ...);
a GPU whose target is missing fails at the first kernel (`hipErrorNoBinaryForGpu`). So choosing a ROCm
backend needs the GPU's target (from `torchsmith.machine.amd`) and this table. Consumer Radeons of a family
whose sibling target is built can run it with `HSA_OVERRIDE_GFX_VERSION` (the `[[override]]` rows).

Data: `data/rocm.toml` (sources in the file; mainly uv's `crates/uv-torch` table, measured with
`torch.cuda.get_arch_list()` on each wheel). The target naming follows LLVM's AMDGPU processor names:
https://llvm.org/docs/AMDGPUUsage.html#processors
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from packaging.version import Version

from torchsmith.backends import parse_backend
from torchsmith.knowledge._load import Problems, load_table
from torchsmith.record import record

__all__ = [
    "GfxOverride",
    "RocmRow",
    "backends_for_gfx",
    "gfx_from_version",
    "gfx_override",
    "gfx_targets",
    "normalize_gfx",
    "rocm_rows",
]

_GFX = re.compile(r"gfx[0-9]{1,2}[0-9a-f]{2}")


@record
class RocmRow:
    """One ROCm backend and its compiled targets. `gfx` is None when the list is a documented gap."""

    backend: str
    version: Version
    gfx: frozenset[str] | None
    sources: tuple[str, ...]
    note: str | None = None


@record
class GfxOverride:
    """Targets that run a sibling's code objects when `HSA_OVERRIDE_GFX_VERSION=value`."""

    gfx: frozenset[str]
    value: str
    target: str
    sources: tuple[str, ...]


def gfx_from_version(major: int, minor: int, stepping: int) -> str:
    """LLVM target name of a GFX IP version: (9, 0, 10) -> `gfx90a`, (10, 3, 0) -> `gfx1030`.

    The major is decimal; minor and stepping are one hex digit each (that is how `gfx90a` and `gfx90c`
    arise). Raises ValueError when minor or stepping does not fit one hex digit.
    """
    if major <= 0 or not 0 <= minor <= 15 or not 0 <= stepping <= 15:
        raise ValueError(f"not a gfx version: {major}.{minor}.{stepping}")
    return f"gfx{major}{minor:x}{stepping:x}"


def normalize_gfx(text: str) -> str | None:
    """`gfx90a:sramecc+:xnack-` or `GFX1100` -> the bare target (`gfx90a`, `gfx1100`); None if not one."""
    bare = text.strip().lower().split(":", 1)[0]
    return bare if _GFX.fullmatch(bare) else None


def _sources(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else (str(value),)


def _gfx_set(value: Any) -> frozenset[str] | None:
    if value == "null":
        return None
    if not isinstance(value, list) or not value:
        raise ValueError('expected a non-empty list of gfx targets or "null"')
    names = [normalize_gfx(str(v)) for v in value]
    if any(name is None or name != str(v) for name, v in zip(names, value, strict=True)):
        raise ValueError("every target must look like `gfx90a`")
    if len(set(names)) != len(names):
        raise ValueError("duplicate gfx target")
    return frozenset(str(n) for n in names)


def _override_value(value: Any) -> str:
    text = str(value)
    parts = text.split(".")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise ValueError("expected `MAJOR.MINOR.STEPPING`")
    return text


@cache
def _load() -> tuple[tuple[RocmRow, ...], tuple[GfxOverride, ...]]:
    table = load_table("rocm")
    problems = Problems(table)
    rows: list[RocmRow] = []
    seen: set[str] = set()
    for index, raw in enumerate(table.rows()):
        problems.check_source(raw, index)
        backend = problems.field(raw, index, "backend", parse_backend)
        gfx = problems.field(raw, index, "gfx", _gfx_set)
        if backend is None:
            continue
        if backend.kind != "rocm" or backend.version is None:
            problems.add(f"row {index + 1}: `backend`", f"`{backend.name}` is not a ROCm backend")
            continue
        if backend.name in seen:
            problems.add(f"row {index + 1}: `backend`", f"duplicate backend `{backend.name}`")
        seen.add(backend.name)
        if gfx is None and raw.get("gfx") == "null" and not raw.get("note"):
            problems.add(f"row {index + 1}: `gfx`", "a gap needs a `note`")
        if rows and backend.version >= rows[-1].version:
            problems.add(f"row {index + 1}: `backend`", "rows must run newest first")
        note = raw.get("note")
        rows.append(
            RocmRow(
                backend.name,
                backend.version,
                gfx,
                _sources(raw.get("source")),
                None if note is None else str(note),
            )
        )
    overrides: list[GfxOverride] = []
    built = frozenset().union(*(row.gfx for row in rows if row.gfx))
    for index, raw in enumerate(table.rows("override")):
        where = f"override {index + 1}"
        problems.check_source(raw, index)
        gfx = problems.field(raw, index, "gfx", _gfx_set)
        value = problems.field(raw, index, "value", _override_value)
        if gfx is None or value is None:
            continue
        major, minor, stepping = (int(p) for p in value.split("."))
        try:
            target = gfx_from_version(major, minor, stepping)
        except ValueError as error:
            problems.add(f"{where}: `value`", str(error))
            continue
        if target not in built:
            problems.add(f"{where}: `value`", f"`{target}` is not built into any backend")
        overrides.append(GfxOverride(gfx, value, target, _sources(raw.get("source"))))
    problems.raise_if_any()
    return tuple(rows), tuple(overrides)


def rocm_rows() -> tuple[RocmRow, ...]:
    """Every ROCm backend the table knows, newest first."""
    return _load()[0]


def gfx_targets(backend: str) -> frozenset[str]:
    """The targets compiled into `backend`'s wheels; empty for an unknown backend or a documented gap."""
    for row in _load()[0]:
        if row.backend == backend:
            return row.gfx or frozenset()
    return frozenset()


def backends_for_gfx(gfx: str) -> tuple[str, ...]:
    """ROCm backends whose wheels carry code for `gfx` (feature suffixes ignored), newest first."""
    target = normalize_gfx(gfx)
    if target is None:
        return ()
    return tuple(row.backend for row in _load()[0] if row.gfx and target in row.gfx)


def gfx_override(gfx: str, backend: str | None = None) -> str | None:
    """The `HSA_OVERRIDE_GFX_VERSION` value a GPU of target `gfx` needs, or None when it needs none.

    Without `backend`: None when any backend carries `gfx` as is; otherwise the override whose sibling
    target is built (gfx1031 -> `10.3.0`). With `backend`: the same question for that backend only.
    None as well when no override is known (the GPU cannot run these wheels).
    """
    target = normalize_gfx(gfx)
    if target is None:
        return None
    rows, overrides = _load()
    available = (
        gfx_targets(backend)
        if backend is not None
        else frozenset().union(*(row.gfx for row in rows if row.gfx))
    )
    if target in available:
        return None
    for override in overrides:
        if target in override.gfx and override.target in available:
            return override.value
    return None
