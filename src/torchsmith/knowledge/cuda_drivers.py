"""CUDA version ↔ NVIDIA driver version, from `data/cuda_drivers.toml`.

A PyTorch CUDA wheel brings its own CUDA runtime; what the host must provide is a kernel driver that is new
enough. Two floors matter (NVIDIA, https://docs.nvidia.com/deploy/cuda-compatibility/):

* the *minimum* driver: from CUDA 11 on, any driver of the family's minor-version-compatibility range runs
  any toolkit of that major version, with a limited feature set (no JIT of newer PTX, some calls fail);
* the *toolkit* driver bundled with the CUDA release: a driver at least this new runs it fully, and it is
  what `nvidia-smi` reports as "CUDA Version".

Driver versions are compared at the precision they are given: `550.54` (as Windows and some tools print it)
satisfies a floor of `550.54.14`, because the third component of the floor is not known to be unmet.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from packaging.version import Version

from torchsmith.knowledge._load import Problems, load_table, version
from torchsmith.record import record

__all__ = [
    "DriverRow",
    "cuda_for_driver",
    "driver_rows",
    "format_driver",
    "min_driver",
    "relies_on_minor_compat",
    "toolkit_driver",
]

_OS_KEYS = ("linux", "windows")


@record
class DriverRow:
    """One CUDA minor version and its driver floors per OS key (`linux`, `windows`); None = unknown."""

    cuda: Version
    minor_compat: bool
    min_driver: dict[str, Version | None]
    toolkit_release: Version
    toolkit_driver: dict[str, Version | None]
    source: tuple[str, ...]
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "cuda": str(self.cuda),
            "minor_compat": self.minor_compat,
            "min_driver": {k: None if v is None else str(v) for k, v in self.min_driver.items()},
            "toolkit_release": str(self.toolkit_release),
            "toolkit_driver": {k: None if v is None else str(v) for k, v in self.toolkit_driver.items()},
            "source": list(self.source),
            "note": self.note,
        }


def _gap_or_version(value: Any) -> Version | None:
    """A version field where the string `"null"` marks a documented gap (TOML has no null)."""
    return None if value == "null" else version(value)


def _sources(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else (str(value),)


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError("expected true or false")
    return value


def _major_minor(v: Version) -> Version:
    return Version(f"{v.major}.{v.minor}")


@cache
def _rows() -> dict[Version, DriverRow]:
    table = load_table("cuda_drivers")
    problems = Problems(table)
    rows: dict[Version, DriverRow] = {}
    for i, raw in enumerate(table.rows()):
        problems.check_source(raw, i)
        cuda = problems.field(raw, i, "cuda", version)
        minor_compat = problems.field(raw, i, "minor_compat", _bool)
        release = problems.field(raw, i, "toolkit_release", version)
        mins = {os: problems.field(raw, i, f"{os}_min_driver", _gap_or_version) for os in _OS_KEYS}
        kits = {os: problems.field(raw, i, f"{os}_toolkit_driver", _gap_or_version) for os in _OS_KEYS}
        note = problems.field(raw, i, "note", str, default=None)
        if cuda is None or minor_compat is None or release is None:
            continue
        if cuda != _major_minor(cuda):
            problems.add(f"row {i + 1}: `cuda`", f"`{cuda}` must be major.minor")
        if cuda in rows:
            problems.add(f"row {i + 1}: `cuda`", f"duplicate `{cuda}`")
        if _major_minor(release) != cuda:
            problems.add(f"row {i + 1}: `toolkit_release`", f"`{release}` is not a {cuda} release")
        for os in _OS_KEYS:
            low, kit = mins[os], kits[os]
            if low is not None and kit is not None and low > kit:
                problems.add(
                    f"row {i + 1}: `{os}_min_driver`", f"`{low}` is above the toolkit driver `{kit}`"
                )
        rows[cuda] = DriverRow(cuda, minor_compat, mins, release, kits, _sources(raw.get("source")), note)
    problems.raise_if_any()
    return dict(sorted(rows.items()))


def driver_rows() -> tuple[DriverRow, ...]:
    """Every CUDA minor version in the table, oldest first."""
    return tuple(_rows().values())


def _at_least(driver: Version, floor: Version) -> bool:
    """`driver >= floor`, comparing only as many components as `driver` has (550.54 meets 550.54.14)."""
    given = driver.release
    wanted = floor.release[: len(given)]
    width = max(len(given), len(wanted))
    return given + (0,) * (width - len(given)) >= wanted + (0,) * (width - len(wanted))


def _row(cuda: Version) -> DriverRow | None:
    return _rows().get(_major_minor(cuda))


def min_driver(cuda: Version, os: str) -> Version | None:
    """The lowest driver on which a build of `cuda` (any X.Y[.Z]) runs at all, on `os` (`linux`/`windows`).

    For CUDA >= 11 a version missing from the table (a newer minor) falls back to its family's
    minor-version-compatibility minimum, which NVIDIA defines for the whole major version. None when
    unknown, or for an OS key without NVIDIA CUDA (`macos`).
    """
    if os not in _OS_KEYS:
        return None
    row = _row(cuda)
    if row is not None:
        return row.min_driver[os]
    family = [r for r in _rows().values() if r.cuda.major == cuda.major and r.minor_compat]
    if not family or cuda < family[0].cuda:
        return None
    return family[-1].min_driver[os]


def toolkit_driver(cuda: Version, os: str) -> Version | None:
    """The driver bundled with the GA release of `cuda`'s major.minor; it runs that CUDA fully."""
    if os not in _OS_KEYS:
        return None
    row = _row(cuda)
    return None if row is None else row.toolkit_driver[os]


def cuda_for_driver(driver: Version, os: str) -> Version | None:
    """The highest CUDA major.minor whose toolkit driver is <= `driver` (the "CUDA Version" nvidia-smi shows).

    Rows whose toolkit driver is unknown are skipped, so the answer may be one minor too low for the very
    newest drivers; None when the driver predates every row or `os` is not `linux`/`windows`.
    """
    if os not in _OS_KEYS:
        return None
    best: Version | None = None
    for row in _rows().values():
        floor = row.toolkit_driver[os]
        if floor is not None and _at_least(driver, floor):
            best = row.cuda
    return best


def relies_on_minor_compat(cuda: Version, driver: Version, os: str) -> bool:
    """True when `driver` runs `cuda` only through minor-version compatibility (min <= driver < toolkit).

    A driver below the minimum does not run the build at all (that is `min_driver`'s question), so it gives
    False. Where the toolkit driver of `cuda` is unknown, the newest known toolkit driver of an older minor
    stands in as a lower bound (bundled drivers only grow with CUDA); above it the answer is False.
    """
    low = min_driver(cuda, os)
    if low is None or not _at_least(driver, low):
        return False
    kit = toolkit_driver(cuda, os)
    if kit is None:
        older = (r.toolkit_driver[os] for r in _rows().values() if r.cuda < _major_minor(cuda))
        known = [v for v in older if v is not None]
        if not known:
            return False
        kit = max(known)
    return not _at_least(driver, kit)


def format_driver(driver: Version) -> str:
    """NVIDIA's spelling of a driver version: `580.65.06`, not `580.65.6` as `str(Version)` gives."""
    parts = list(driver.release)
    return ".".join([str(parts[0]), *(f"{p:02d}" for p in parts[1:])])
