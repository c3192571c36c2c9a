"""Wheel compatibility tags (PEP 425, with PEP 600 platforms and PEP 803's `abi3t`): the tag type, the
compressed tag sets of wheel names, and the ordered tag lists an interpreter accepts.

Why not `packaging.tags`: importing it loads `logging`, `sysconfig`, `subprocess` and `platform` (and
`packaging.utils` loads it in turn), about a fifth of a warm `plan`'s start-up, to run a few loops that
the standards spell out. This module gives the same answers, in the same order, for the arguments the
planner passes; `tests/test_wheel_tags.py` checks it against `packaging.tags` itself over every Python,
ABI and platform kind the knowledge covers. Specifications:
https://packaging.python.org/en/latest/specifications/platform-compatibility-tags/ and PEP 425's
"Use" section for the order (most specific first).
"""

from __future__ import annotations

TYPE_CHECKING = False  # `typing` stays unloaded at start-up (issue 17); mypy reads the name as typing's
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

__all__ = ["Tag", "compatible_tags", "cpython_tags", "mac_platforms", "parse_tag"]


class Tag(tuple[str, str, str]):
    """`interpreter-abi-platform`, lower-cased as the specification compares them; hashable and cheap
    (a tuple: sets of thousands of them are intersected while files are selected)."""

    __slots__ = ()

    def __new__(cls, interpreter: str, abi: str, platform: str) -> Tag:
        return tuple.__new__(cls, (interpreter.lower(), abi.lower(), platform.lower()))

    @property
    def interpreter(self) -> str:
        return self[0]

    @property
    def abi(self) -> str:
        return self[1]

    @property
    def platform(self) -> str:
        return self[2]

    def __str__(self) -> str:
        return f"{self[0]}-{self[1]}-{self[2]}"

    def __repr__(self) -> str:
        return f"<{self} @ {id(self)}>"


def parse_tag(text: str) -> frozenset[Tag]:
    """The tags of a (possibly compressed) tag set: `cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64`
    is two tags. ValueError when it is not three non-empty `-`-separated parts, or when an interpreter
    component is not an identifier (`packaging.tags.parse_tag` refuses those too)."""
    parts = text.split("-")
    if len(parts) != 3:
        raise ValueError(f"invalid tag set `{text}`: expected interpreter-abi-platform")
    interpreters, abis, platforms = (part.split(".") for part in parts)
    if any(not item for group in (interpreters, abis, platforms) for item in group):
        raise ValueError(f"invalid tag set `{text}`: an empty component")
    if not all(item.isidentifier() for item in interpreters):
        raise ValueError(f"invalid tag set `{text}`: an interpreter is not an identifier")
    return frozenset(Tag(i, a, p) for i in interpreters for a in abis for p in platforms)


def _nodot(version: Sequence[int]) -> str:
    return "".join(str(part) for part in version)


def _threaded(abis: Sequence[str]) -> bool:
    """A free-threaded build: the first version-specific CPython ABI (or `abi3t`) decides."""
    for abi in abis:
        if abi == "abi3t":
            return True
        if abi.startswith("cp") and abi[2:3].isdigit():
            digits = abi[2:]
            flags = digits.lstrip("0123456789")
            if digits[: len(digits) - len(flags)].isdigit():
                return "t" in flags
    return False


def cpython_tags(version: Sequence[int], abis: Iterable[str], platforms: Iterable[str]) -> Iterator[Tag]:
    """CPython's tags: `cpXY-<abi>-<platform>` for each given ABI, then the stable ABI (`abi3`, or
    `abi3t` for a free-threaded build) and `none`, then the stable ABI of each older 3.x down to 3.2."""
    interpreter = f"cp{_nodot(version[:2])}"
    abis = list(abis)
    threaded = _threaded(abis)
    for explicit in ("abi3", "abi3t", "none") if threaded else ("abi3", "none"):
        while explicit in abis:
            abis.remove(explicit)
    platforms = list(platforms)
    for abi in abis:
        for platform in platforms:
            yield Tag(interpreter, abi, platform)
    stable_ok = len(version) > 1 and tuple(version[:2]) >= (3, 2)
    stable = ("abi3t" if threaded else "abi3") if stable_ok else None
    if stable is not None:
        for platform in platforms:
            yield Tag(interpreter, stable, platform)
    for platform in platforms:
        yield Tag(interpreter, "none", platform)
    if stable is not None:
        for minor in range(version[1] - 1, 1, -1):
            for platform in platforms:
                yield Tag(f"cp{version[0]}{minor}", stable, platform)


def _py_versions(version: Sequence[int]) -> Iterator[str]:
    """`py312`, `py3`, `py311`, ..., `py30` (newest first)."""
    if len(version) > 1:
        yield f"py{_nodot(version[:2])}"
    yield f"py{version[0]}"
    if len(version) > 1:
        for minor in range(version[1] - 1, -1, -1):
            yield f"py{version[0]}{minor}"


def compatible_tags(
    version: Sequence[int], interpreter: str | None, platforms: Iterable[str]
) -> Iterator[Tag]:
    """Pure-Python and interpreter-neutral tags: `pyXY-none-<platform>` for each older `pyXY`, then
    `<interpreter>-none-any`, then `pyXY-none-any`."""
    platforms = list(platforms)
    for python in _py_versions(version):
        for platform in platforms:
            yield Tag(python, "none", platform)
    if interpreter:
        yield Tag(interpreter, "none", "any")
    for python in _py_versions(version):
        yield Tag(python, "none", "any")


def _mac_formats(version: tuple[int, int], arch: str) -> list[str]:
    """The binary formats a macOS `version` on `arch` runs (fat/universal bundles included)."""
    formats = [arch]
    if arch == "x86_64":
        if version < (10, 4):
            return []
        formats.extend(["intel", "fat64", "fat3"])
    elif arch == "i386":
        if version < (10, 4):
            return []
        formats.extend(["intel", "fat3", "fat"])
    elif arch == "ppc64":
        if version > (10, 5) or version < (10, 4):
            return []
        formats.append("fat64")
    elif arch == "ppc":
        if version > (10, 6):
            return []
        formats.extend(["fat3", "fat"])
    if arch in ("arm64", "x86_64"):
        formats.append("universal2")
    if arch in ("x86_64", "i386", "ppc64", "ppc", "intel"):
        formats.append("universal")
    return formats


def mac_platforms(version: tuple[int, int], arch: str) -> Iterator[str]:
    """`macosx_<major>_<minor>_<format>` platforms for macOS `version`, newest first: 10.x releases bump
    the minor number; from 11 on the major one (`macosx_14_0`); 11+ on x86_64 also runs 10.4–10.16
    builds, and on arm64 the `universal2` builds of 10.4–10.16."""
    if (10, 0) <= version < (11, 0):
        for minor in range(version[1], -1, -1):
            for form in _mac_formats((10, minor), arch):
                yield f"macosx_10_{minor}_{form}"
    if version >= (11, 0):
        for major in range(version[0], 10, -1):
            for form in _mac_formats((major, 0), arch):
                yield f"macosx_{major}_0_{form}"
        for minor in range(16, 3, -1):
            if arch == "x86_64":
                for form in _mac_formats((10, minor), arch):
                    yield f"macosx_10_{minor}_{form}"
            else:
                yield f"macosx_10_{minor}_universal2"
