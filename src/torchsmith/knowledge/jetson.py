"""NVIDIA Jetson: L4T release -> JetPack -> CUDA and Python, and where torch wheels for it come from.

A Jetson reports only its L4T (Linux for Tegra) release (`/etc/nv_tegra_release`, the `nvidia-l4t-core`
package); the CUDA version, the Python of the OS image and the wheels follow from the JetPack release that
L4T belongs to. Upstream aarch64 CUDA wheels do not run on JetPack <= 6 (Tegra CUDA, sm_72/sm_87 missing),
so this table is what lets `plan` pick NVIDIA's own wheels or index instead.

Data: `data/jetson.toml`, one `[[row]]` per L4T release, grouped in `[[series]]` (a row covers the CUDA,
Python and wheels of its series). `jetpack_for_l4t` answers an exact L4T release from its row; an L4T
release the table does not list (e.g. a newer 36.4.x patch) gets the nearest older row of the same
`R<major>.<revision>` line, whose `l4t` field then shows which row answered. Sources: jetson-containers'
`l4t_version.py` (the L4T -> JetPack table), NVIDIA's forums and redist URLs; see the file.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from packaging.version import Version

from torchsmith.backends import parse_backend
from torchsmith.knowledge._load import Problems, load_table, version
from torchsmith.record import record

__all__ = [
    "JetpackRelease",
    "JetsonWheel",
    "jetpack_for_l4t",
    "jetpack_releases",
    "module_compute_capability",
]

_STAGES = frozenset({"GA", "DP", "EA", "PRE", "PRE-DP"})


@record
class JetsonWheel:
    """One NVIDIA-built torch wheel: exact version (`2.5.0a0+872d972e41.nv24.08...`), ABI tag, URL."""

    torch: Version
    python: str
    url: str
    filename: str = ""

    @property
    def wheel_filename(self) -> str:
        """The wheel's file name: the URL's last segment, or, for NVIDIA's box.com links that carry none
        (`.../fjtbno0vpo676a25cgvuqc1wty0fkkg6.whl`), the name NVIDIA's instructions save it as."""
        return self.filename or self.url.rsplit("/", 1)[-1]


@record
class JetpackRelease:
    """What an L4T release means for PyTorch.

    `cuda` is None where no source gives it (see the table's notes). `backend` is NVIDIA's index for this
    JetPack (`jp6-cu126`) or None. `sbsa` is True from JetPack 7 on: Arm SBSA CUDA, so the upstream
    aarch64 CUDA wheels apply instead of Jetson-specific ones.
    """

    l4t: Version
    jetpack: str
    cuda: Version | None
    python: str
    backend: str | None
    wheels: tuple[JetsonWheel, ...] = ()
    stage: str | None = None
    sbsa: bool = False
    note: str | None = None
    sm: tuple[str, ...] = ()
    """Compute capabilities of the modules this JetPack supports (one entry: the GPU is known)."""


@record
class _Series:
    cuda: Version | None
    python: str
    backend: str | None
    sbsa: bool
    note: str | None
    sm: tuple[str, ...] = ()


def _optional_cuda(value: Any) -> Version | None:
    return None if value == "null" else version(value)


def _python(value: Any) -> str:
    text = str(value)
    major, _, minor = text.partition(".")
    if not (major.isdigit() and minor.isdigit()):
        raise ValueError("expected `MAJOR.MINOR`")
    return text


def _backend(value: Any) -> str:
    backend = parse_backend(str(value), source="`backend`")
    if backend.kind != "jetson":
        raise ValueError("not a Jetson backend (`jpN-cuXYZ`)")
    return backend.name


def _abi_tag(value: Any) -> str:
    text = str(value)
    if not (text.startswith("cp") and text[2:].isdigit()):
        raise ValueError("expected a CPython tag like `cp310`")
    return text


def _stage(value: Any) -> str:
    if str(value) not in _STAGES:
        raise ValueError(f"expected one of {sorted(_STAGES)}")
    return str(value)


def _jetpack(value: Any) -> str:
    Version(str(value))  # validates
    return str(value)


@cache
def jetpack_releases() -> tuple[JetpackRelease, ...]:
    """Every L4T release the table knows, newest first, with its series' facts and wheels."""
    table = load_table("jetson")
    problems = Problems(table)
    series: dict[str, _Series] = {}
    for index, raw in enumerate(table.rows("series")):
        problems.check_source(raw, index)
        name = str(raw.get("name"))
        cuda = problems.field(raw, index, "cuda", _optional_cuda)
        python = problems.field(raw, index, "python", _python)
        backend = problems.field(raw, index, "backend", _backend, default=None)
        note = raw.get("note")
        if raw.get("cuda") == "null" and not note:
            problems.add(f"series {index + 1}: `cuda`", "a gap needs a `note`")
        if name in series:
            problems.add(f"series {index + 1}: `name`", f"duplicate series `{name}`")
        sm = raw.get("sm", [])
        if not isinstance(sm, list) or not all(isinstance(v, str) for v in sm):
            problems.add(f"series {index + 1}: `sm`", "expected a list of compute capabilities")
            sm = []
        series[name] = _Series(
            cuda,
            python,
            backend,
            bool(raw.get("sbsa", False)),
            None if note is None else str(note),
            tuple(sm),
        )

    wheels: dict[str, list[tuple[JetsonWheel, frozenset[str] | None]]] = {}
    for index, raw in enumerate(table.rows("wheel")):
        problems.check_source(raw, index)
        name = str(raw.get("series"))
        torch = problems.field(raw, index, "torch", version)
        tag = problems.field(raw, index, "python", _abi_tag)
        url = str(raw.get("url", ""))
        if not url.startswith("https://"):
            problems.add(f"wheel {index + 1}: `url`", f"expected an https URL, got `{url}`")
        if name not in series:
            problems.add(f"wheel {index + 1}: `series`", f"unknown series `{name}`")
        limit = raw.get("jetpack")
        only = frozenset(str(v) for v in limit) if isinstance(limit, list) else None
        filename = str(raw.get("filename", ""))
        if filename and not filename.endswith(".whl"):
            problems.add(f"wheel {index + 1}: `filename`", f"expected a wheel file name, got `{filename}`")
        if torch is not None and tag is not None:
            wheels.setdefault(name, []).append((JetsonWheel(torch, tag, url, filename), only))

    releases: list[JetpackRelease] = []
    for index, raw in enumerate(table.rows()):
        problems.check_source(raw, index)
        l4t = problems.field(raw, index, "l4t", version)
        jetpack = problems.field(raw, index, "jetpack", _jetpack)
        stage = problems.field(raw, index, "stage", _stage, default=None)
        name = str(raw.get("series"))
        facts = series.get(name)
        if facts is None:
            problems.add(f"row {index + 1}: `series`", f"unknown series `{name}`")
            continue
        if l4t is None or jetpack is None:
            continue
        if releases and l4t >= releases[-1].l4t:
            problems.add(f"row {index + 1}: `l4t`", "rows must run newest first, without duplicates")
        own = tuple(w for w, only in wheels.get(name, ()) if only is None or jetpack in only)
        releases.append(
            JetpackRelease(
                l4t=l4t,
                jetpack=jetpack,
                cuda=facts.cuda,
                python=facts.python,
                backend=facts.backend,
                wheels=own,
                stage=stage,
                sbsa=facts.sbsa,
                note=facts.note,
                sm=facts.sm,
            )
        )
    problems.raise_if_any()
    return tuple(releases)


def wheel_for_url(url: str) -> JetsonWheel | None:
    """The table's wheel with this URL (to name a file whose URL carries no wheel file name)."""
    for release in jetpack_releases():
        for wheel in release.wheels:
            if wheel.url == url:
                return wheel
    return None


def jetpack_for_l4t(l4t: Version) -> JetpackRelease | None:
    """The JetPack release of L4T `l4t` (`36.4.0` -> JetPack 6.1, CUDA 12.6); None if unknown.

    An exact row wins. Otherwise the nearest older row of the same `R<major>.<revision>` line answers
    (its `l4t` differs from the argument, so callers can tell); nothing answers across lines.
    """
    line = l4t.release[:2]
    for release in jetpack_releases():
        if release.l4t == l4t:
            return release
    for release in jetpack_releases():  # newest first: the first older row on the same line is the nearest
        if release.l4t.release[:2] == line and release.l4t < l4t:
            return release
    return None


_MODULE_CC = (
    ("thor", "11.0"),
    ("orin", "8.7"),
    ("xavier", "7.2"),
    ("tx2", "6.2"),
    ("nano", "5.3"),
    ("tx1", "5.3"),
)
"""Jetson module name → GPU compute capability (NVIDIA "CUDA GPUs - Compute Capability",
https://developer.nvidia.com/cuda-gpus: Jetson AGX Thor 11.0 (sm_101 before CUDA 13), Orin 8.7, Xavier 7.2,
TX2 6.2, Nano/TX1 5.3). "Orin Nano" must match Orin before Nano, hence the order."""


def module_compute_capability(module: str | None) -> str | None:
    """The compute capability of a Jetson module from its device-tree name; None when not recognised."""
    name = (module or "").lower()
    for word, cc in _MODULE_CC:
        if word in name:
            return cc
    return None
