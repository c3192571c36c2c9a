"""Export targets: `PLATFORM-BACKEND` names such as `linux-cu126`, `windows-cpu`, `macos`, `jetson-jp6`.

An export is written for machines the user may not be on, so each target names one platform and one
backend. A `Target` carries what every exporter needs to place it: the platform key used by the knowledge
tables (`linux-x86_64`), the PEP 508 marker that selects that platform in a universal lock (the
`platform_system` spelling of uv's PyTorch guide), and the conda subdir (`linux-64`).

Grammar: `linux-BACKEND` (x86_64), `linux-aarch64-BACKEND`, `windows-BACKEND`, `macos` (arm64 wheels from
PyPI, with MPS), `jetson-jpN` (NVIDIA's Jetson index), and `auto` (this machine, from a probe).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from torchsmith.backends import Backend, parse_backend
from torchsmith.errors import InvalidBackend, UsageError

if TYPE_CHECKING:
    from torchsmith.machine.model import Machine

__all__ = ["PLATFORMS", "Target", "parse_target", "parse_targets", "platforms_of", "target_for_machine"]


@dataclass(frozen=True, slots=True)
class _Platform:
    key: str
    os: str  # linux, windows, macos
    arch: str  # x86_64, aarch64, arm64 (as `Machine.arch`)
    system: str  # platform_system value
    machine: str  # platform_machine value
    subdir: str  # conda subdir
    wheel_tag: str  # a representative wheel platform tag (uv's --python-platform accepts these triples)


PLATFORMS: dict[str, _Platform] = {
    p.key: p
    for p in (
        _Platform("linux-x86_64", "linux", "x86_64", "Linux", "x86_64", "linux-64", "x86_64-manylinux_2_28"),
        _Platform(
            "linux-aarch64", "linux", "aarch64", "Linux", "aarch64", "linux-aarch64", "aarch64-manylinux_2_28"
        ),
        _Platform(
            "windows-x86_64", "windows", "x86_64", "Windows", "AMD64", "win-64", "x86_64-pc-windows-msvc"
        ),
        _Platform("macos-arm64", "macos", "arm64", "Darwin", "arm64", "osx-arm64", "aarch64-apple-darwin"),
    )
}
"""The platforms an export can target, by knowledge platform key."""

_PREFIXES: tuple[tuple[str, str], ...] = (
    ("linux-aarch64-", "linux-aarch64"),
    ("linux-arm64-", "linux-aarch64"),
    ("linux-x86_64-", "linux-x86_64"),
    ("linux-", "linux-x86_64"),
    ("windows-", "windows-x86_64"),
    ("win-", "windows-x86_64"),
)
_JETSON_DEFAULT_CUDA = {6: "cu126"}
"""The CUDA of NVIDIA's Jetson index for a JetPack major (https://pypi.jetson-ai-lab.io/jp6/cu126)."""

_EXPECTED = (
    "expected `PLATFORM-BACKEND` such as `linux-cu126`, `linux-cpu`, `linux-rocm6.4`, `linux-xpu`, "
    "`linux-aarch64-cpu`, `windows-cu128`, `windows-cpu`, `macos`, `jetson-jp6` or `auto`"
)


@dataclass(frozen=True, slots=True)
class Target:
    """One machine kind to export for. `uses_pypi` targets (macOS) take the torch family from PyPI."""

    name: str
    platform: str
    backend: str

    @property
    def _platform(self) -> _Platform:
        return PLATFORMS[self.platform]

    @property
    def os(self) -> str:
        return self._platform.os

    @property
    def arch(self) -> str:
        return self._platform.arch

    @property
    def conda_subdir(self) -> str:
        return self._platform.subdir

    @property
    def wheel_platform(self) -> str:
        """The `--python-platform` triple uv accepts for this platform."""
        return self._platform.wheel_tag

    @property
    def parsed_backend(self) -> Backend:
        return parse_backend(self.backend)

    @property
    def kind(self) -> str:
        """`cpu`, `cuda`, `rocm`, `xpu`, `jetson` or `mps` (macOS)."""
        return "mps" if self.os == "macos" else self.parsed_backend.kind

    @property
    def uses_pypi(self) -> bool:
        """macOS wheels live on PyPI only (uv's guide: the PyTorch index is skipped on Darwin)."""
        return self.os == "macos"

    @property
    def label(self) -> str:
        """Usable as an extra, feature or environment: `cu126`, `cpu`, `rocm6-4`, `mps`, `jp6-cu126`."""
        return "mps" if self.uses_pypi else self.backend.replace(".", "-")

    @property
    def os_marker(self) -> str:
        """`platform_system == 'Linux'`: enough when the export has one target per operating system."""
        return f"platform_system == '{self._platform.system}'"

    @property
    def marker(self) -> str:
        """The PEP 508 marker for exactly this platform (operating system and machine)."""
        return f"{self.os_marker} and platform_machine == '{self._platform.machine}'"

    def index_url(self, base: str, jetson_base: str) -> str | None:
        """The PyTorch index of this target's backend; None where the torch family comes from PyPI."""
        if self.uses_pypi:
            return None
        return self.parsed_backend.index_url(base, jetson_base)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "platform": self.platform,
            "backend": self.backend,
            "conda_subdir": self.conda_subdir,
            "marker": self.marker,
        }


def parse_target(text: str, *, source: str = "`--targets`") -> Target:
    """Parse one target name; raise `UsageError` naming `source` when it is not one."""
    name = text.strip().lower()
    if name in ("macos", "macos-arm64", "macos-mps", "osx-arm64", "macos-cpu"):
        return Target("macos", "macos-arm64", "cpu")
    if name.startswith("jetson-"):
        rest = name.removeprefix("jetson-")
        jetpack, _, cuda = rest.partition("-")
        if jetpack.startswith("jp") and jetpack[2:].isdigit():
            cuda = cuda or _JETSON_DEFAULT_CUDA.get(int(jetpack[2:]), "")
            if cuda:
                try:
                    backend = parse_backend(f"{jetpack}-{cuda}", source=source)
                except InvalidBackend as error:
                    raise UsageError(f"invalid value `{text}` for {source}: {_EXPECTED}") from error
                return Target(name, "linux-aarch64", backend.name)
        raise UsageError(
            f"invalid value `{text}` for {source}: no NVIDIA PyTorch index for that JetPack",
            hint="JetPack 6 has one: `jetson-jp6` (https://pypi.jetson-ai-lab.io/jp6/cu126)",
        )
    for prefix, platform in _PREFIXES:
        if name.startswith(prefix):
            try:
                backend = parse_backend(name.removeprefix(prefix), source=source)
            except InvalidBackend as error:
                raise UsageError(f"invalid value `{text}` for {source}: {_EXPECTED}") from error
            if backend.kind == "jetson":
                break
            return _checked(Target(name, platform, backend.name), text, source)
    raise UsageError(f"invalid value `{text}` for {source}: {_EXPECTED}")


def _checked(target: Target, text: str, source: str) -> Target:
    kind = target.parsed_backend.kind
    if target.os == "windows" and kind == "rocm":
        raise UsageError(
            f"invalid value `{text}` for {source}: PyTorch publishes no ROCm wheels for Windows",
            hint="ROCm wheels are Linux x86_64 only; use `windows-cpu` or a `windows-cuXYZ` target",
        )
    if target.platform == "linux-aarch64" and kind in ("rocm", "xpu"):
        raise UsageError(f"invalid value `{text}` for {source}: no `{target.backend}` wheels for aarch64")
    return target


def target_for_machine(machine: Machine) -> Target:
    """The target describing `machine` with its best runnable backend (`--targets auto`)."""
    if machine.jetson is not None:
        jetpack = (machine.jetson.jetpack or "").split(".")[0]
        if jetpack.isdigit():
            return parse_target(f"jetson-jp{jetpack}", source="this machine (`--targets auto`)")
    os_name = {"darwin": "macos"}.get(machine.os, machine.os)
    if os_name == "macos":
        return parse_target("macos")
    backend = next(iter(machine.backends), "cpu")
    if backend.startswith("jp"):
        return parse_target(f"jetson-{backend}", source="this machine (`--targets auto`)")
    arch = "aarch64" if machine.arch in ("aarch64", "arm64") else "x86_64"
    prefix = {"linux": "linux-aarch64-" if arch == "aarch64" else "linux-", "windows": "windows-"}.get(
        os_name
    )
    if prefix is None:
        raise UsageError(f"cannot export for this machine: unsupported operating system `{machine.os}`")
    return parse_target(f"{prefix}{backend}", source="this machine (`--targets auto`)")


def parse_targets(
    texts: Iterable[str], *, machine: Machine | None = None, source: str = "`--targets`"
) -> tuple[Target, ...]:
    """Parse a target list (`auto` = `machine`, probed when None); duplicates are dropped, order kept."""
    result: list[Target] = []
    for text in texts:
        if not text.strip():
            continue
        if text.strip().lower() == "auto":
            if machine is None:
                from torchsmith.machine import probe

                machine = probe()
            target = target_for_machine(machine)
        else:
            target = parse_target(text, source=source)
        if all((t.platform, t.backend) != (target.platform, target.backend) for t in result):
            result.append(target)
    if not result:
        raise UsageError(
            f"no target given in {source}", hint="e.g. `--targets linux-cu126,windows-cpu,macos`"
        )
    return tuple(result)


def platforms_of(targets: Sequence[Target]) -> tuple[str, ...]:
    """The distinct platform keys of `targets`, in order."""
    return tuple(dict.fromkeys(t.platform for t in targets))
