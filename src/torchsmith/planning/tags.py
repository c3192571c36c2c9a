"""The wheel tags a `Machine`'s interpreter accepts (PEP 425/600/656), built by `torchsmith.wheel_tags`.

The generators are those `packaging.tags.sys_tags()` runs for the running interpreter; for a machine described
by a file or overridden with `--python`/`--platform` they are called with that machine's facts, so a plan for
a colleague's Windows laptop matches the wheels pip would accept there.
"""

from __future__ import annotations

from collections.abc import Iterator

from packaging.version import InvalidVersion, Version

from torchsmith.machine.model import Machine
from torchsmith.wheel_tags import Tag, compatible_tags, cpython_tags, mac_platforms

__all__ = ["machine_tags", "python_version_tuple"]

_LEGACY_MANYLINUX = ((2, 17, "manylinux2014"), (2, 12, "manylinux2010"), (2, 5, "manylinux1"))


def python_version_tuple(machine: Machine) -> tuple[int, int] | None:
    if machine.python is None:
        return None
    try:
        release = Version(machine.python.version).release
    except InvalidVersion:
        return None
    return (release[0], release[1]) if len(release) >= 2 else None


def _linux_platforms(machine: Machine) -> Iterator[str]:
    arch = "aarch64" if machine.arch in ("aarch64", "arm64") else machine.arch
    libc = machine.libc
    if libc is not None and libc.name == "musl":
        try:
            minor = Version(libc.version or "1.2").release[1]
        except (InvalidVersion, IndexError):
            minor = 2
        for m in range(minor, -1, -1):
            yield f"musllinux_1_{m}_{arch}"
        return  # a `linux_*` wheel is a glibc build in practice (all PyTorch ones are)
    glibc = (2, 17)
    if libc is not None and libc.version:
        try:
            release = Version(libc.version).release
            glibc = (release[0], release[1] if len(release) > 1 else 0)
        except InvalidVersion:
            pass
    for minor in range(glibc[1], 4, -1):
        yield f"manylinux_2_{minor}_{arch}"
        for major, legacy_minor, legacy in _LEGACY_MANYLINUX:
            if (major, legacy_minor) == (2, minor):
                yield f"{legacy}_{arch}"
    yield f"linux_{arch}"


def _platforms(machine: Machine) -> list[str]:
    if machine.os == "linux":
        return list(_linux_platforms(machine))
    if machine.os == "windows":
        return ["win_arm64"] if machine.arch in ("aarch64", "arm64") else ["win_amd64"]
    if machine.os == "macos":
        macos = machine.apple.macos if machine.apple and machine.apple.macos else "14.0"
        try:
            release = Version(macos).release
        except InvalidVersion:
            release = (14, 0)
        version = (release[0], release[1] if len(release) > 1 else 0)
        arch = "arm64" if machine.platform_key == "macos-arm64" else "x86_64"
        return list(mac_platforms(version, arch))
    return []


def machine_tags(machine: Machine) -> list[Tag]:
    """Accepted tags, most preferred first (the order pip and uv use to pick among wheels)."""
    version = python_version_tuple(machine)
    if version is None:
        return []
    platforms = _platforms(machine)
    abi = machine.python.abi if machine.python and machine.python.abi else f"cp{version[0]}{version[1]}"
    abis = [abi, "abi3", "none"] if not abi.endswith("t") else [abi, "none"]
    if version < (3, 8) and not abi.endswith("m"):
        # CPython < 3.8 builds with pymalloc carry the `m` ABI flag in wheel tags (`cp37-cp37m`, PEP 3149);
        # the machine's ABI is normalised to `cp37`, so the tag is put back here, as packaging.tags does.
        abis.insert(0, f"{abi}m")
    tags = list(cpython_tags(version, abis=abis, platforms=platforms))
    tags.extend(compatible_tags(version, interpreter=f"cp{version[0]}{version[1]}", platforms=platforms))
    return list(dict.fromkeys(tags))
