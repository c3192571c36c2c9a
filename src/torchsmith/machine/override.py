"""Plan for a machine that differs from the probed one: `--python X.Y` and `--platform TAG`.

`--platform` accepts a platform key (`linux-x86_64`, `linux-aarch64`, `windows-x86_64`, `macos-arm64`,
`macos-x86_64`) or a wheel platform tag (`manylinux_2_28_x86_64`, `win_amd64`, `macosx_14_0_arm64`). Changing
the platform drops hardware facts that cannot hold on the new platform (e.g. NVIDIA on macOS).
"""

from __future__ import annotations

from torchsmith import record
from torchsmith.errors import UsageError
from torchsmith.lazy_re import lazy
from torchsmith.machine.model import AppleInfo, Libc, Machine, PythonInfo

__all__ = ["override_machine", "parse_platform"]

_KEY = lazy(r"(?P<os>linux|windows|macos)-(?P<arch>x86_64|aarch64|arm64)")
_MANYLINUX = lazy(r"manylinux_(?P<major>\d+)_(?P<minor>\d+)_(?P<arch>x86_64|aarch64)")
_LEGACY = {"manylinux2014": "2.17", "manylinux2010": "2.12", "manylinux1": "2.5"}
_MACOSX = lazy(r"macosx_(?P<major>\d+)_(?P<minor>\d+)_(?P<arch>x86_64|arm64)")
_PYTHON = lazy(r"(?P<major>3)\.(?P<minor>\d+)(?P<ft>t?)")


def parse_platform(text: str) -> tuple[str, str, Libc | None, str | None]:
    """`(os, arch, libc, macos_version)` for a `--platform` value; raise UsageError naming the flag."""
    value = text.strip().lower()
    if match := _KEY.fullmatch(value):
        return match["os"], match["arch"], None, None
    if match := _MANYLINUX.fullmatch(value):
        return "linux", match["arch"], Libc("glibc", f"{match['major']}.{match['minor']}", "--platform"), None
    for legacy, glibc in _LEGACY.items():
        for arch in ("x86_64", "aarch64"):
            if value == f"{legacy}_{arch}":
                return "linux", arch, Libc("glibc", glibc, "--platform"), None
    if value in ("win_amd64", "win-amd64"):
        return "windows", "x86_64", None, None
    if match := _MACOSX.fullmatch(value):
        return "macos", match["arch"], None, f"{match['major']}.{match['minor']}"
    raise UsageError(
        f"invalid value `{text}` for `--platform`: expected a platform key (`linux-x86_64`, "
        "`linux-aarch64`, `windows-x86_64`, `macos-arm64`, `macos-x86_64`) or a wheel platform tag "
        "(`manylinux_2_28_x86_64`, `win_amd64`, `macosx_14_0_arm64`)"
    )


def _python_info(text: str) -> PythonInfo:
    match = _PYTHON.fullmatch(text.strip())
    if not match:
        raise UsageError(f"invalid value `{text}` for `--python`: expected `X.Y` (e.g. `3.12`, or `3.13t`)")
    abi = f"cp{match['major']}{match['minor']}{match['ft']}"
    version = f"{match['major']}.{match['minor']}"
    return PythonInfo(version=version, implementation="cpython", abi=abi, tag=None, source="--python")


def override_machine(machine: Machine, *, python: str | None = None, platform: str | None = None) -> Machine:
    """`machine` with the interpreter and/or platform replaced; hardware that can't exist there dropped."""
    if python:
        machine = record.replace(machine, python=_python_info(python))
    if not platform:
        return machine
    os_name, arch, libc, macos = parse_platform(platform)
    same_os = os_name == machine.os
    changes: dict[str, object] = {"os": os_name, "arch": arch}
    if libc is not None:
        changes["libc"] = libc
    elif not same_os or os_name != "linux":
        changes["libc"] = None
    if not same_os:
        changes.update(nvidia=None, amd=None, intel=None, jetson=None, wsl=False, container=None, kernel=None)
        changes["backends"] = ("cpu",)
    if os_name == "macos":
        chip = machine.apple.chip if machine.apple else None
        changes["apple"] = AppleInfo(
            chip=chip,
            macos=macos or (machine.apple.macos if machine.apple else None),
            rosetta=False,
            mps=arch == "arm64",
            source="--platform",
        )
    elif machine.apple is not None:
        changes["apple"] = None
    return record.replace(machine, **changes)
