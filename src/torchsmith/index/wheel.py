"""Wheel filenames: what a file on an index is for, read from its name alone.

A wheel's name carries its project, version (with PyTorch's local label such as `+cu124`), optional build
tag and the compressed tag set (`manylinux_2_17_aarch64.manylinux2014_aarch64`). Planning only needs that,
so nothing is downloaded to decide whether a file fits a machine. Format:
https://packaging.python.org/en/latest/specifications/binary-distribution-format/#file-name-convention
Parsing follows that specification as `packaging.utils.parse_wheel_filename` does (tests/index/test_wheel.py
holds the two to the same answers over every file name in the shipped inventory), without importing it:
`packaging.utils` loads `packaging.tags` and its logging, sysconfig and subprocess. Compatibility is a set
intersection with the interpreter's `torchsmith.wheel_tags.Tag`s, ranked by their order (most specific first).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from packaging.version import InvalidVersion, Version

from torchsmith.lazy_re import lazy
from torchsmith.names import canonicalize_name
from torchsmith.record import record
from torchsmith.wheel_tags import Tag, parse_tag

TYPE_CHECKING = False  # `typing` stays unloaded at start-up (issue 17); mypy reads the name as typing's
if TYPE_CHECKING:
    from typing import Any

__all__ = ["BuildTag", "InvalidWheelFilename", "WheelFile", "parse_wheel_file", "parse_wheel_filename"]

BuildTag = tuple[()] | tuple[int, str]


class InvalidWheelFilename(ValueError):  # noqa: N818 - packaging.utils's name, kept for callers
    """A name that is not a wheel's (`*.whl` with 5 or 6 `-`-separated parts that each parse)."""


_NAME = lazy(r"[\w._]+\Z")
_BUILD = lazy(r"(\d+)(.*)\Z", flags=re.ASCII)


def parse_wheel_filename(filename: str) -> tuple[str, Version, BuildTag, frozenset[Tag]]:
    """(canonical name, version, build tag, tags) of a wheel file name; InvalidWheelFilename if it is not one.

    `{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl`: the name is escaped (no `-`, no `__`), the
    version is PEP 440, a build tag starts with a digit, and the tag set may be compressed (`py2.py3`)."""
    if not filename.endswith(".whl"):
        raise InvalidWheelFilename(f"invalid wheel filename (extension must be `.whl`): `{filename}`")
    stem = filename[:-4]
    dashes = stem.count("-")
    if dashes not in (4, 5):
        raise InvalidWheelFilename(f"invalid wheel filename (wrong number of parts): `{filename}`")
    parts = stem.split("-", dashes - 2)
    if "__" in parts[0] or _NAME.match(parts[0]) is None:
        raise InvalidWheelFilename(f"invalid project name in wheel filename `{filename}`")
    try:
        version = Version(parts[1])
    except InvalidVersion as error:
        raise InvalidWheelFilename(f"invalid version in wheel filename `{filename}`") from error
    build: BuildTag = ()
    if dashes == 5:
        matched = _BUILD.match(parts[2])
        if matched is None:
            raise InvalidWheelFilename(f"invalid build number `{parts[2]}` in `{filename}`")
        build = (int(matched.group(1)), matched.group(2))
    try:
        tags = parse_tag(parts[-1])
    except ValueError as error:
        raise InvalidWheelFilename(f"invalid tag in wheel filename `{filename}`: {error}") from error
    return canonicalize_name(parts[0]), version, build, tags


@record
class WheelFile:
    """One wheel, as its filename describes it."""

    filename: str
    name: str
    """The canonical project name (`torch`, `typing-extensions`)."""
    version: Version
    build: BuildTag
    """`()` or `(3, "")` for `torch-2.10.0-3-cp310-...` (PyPI's re-uploads carry build tags)."""
    tags: frozenset[Tag]

    @classmethod
    def from_filename(cls, filename: str) -> WheelFile:
        """Parse `filename`; raise `InvalidWheelFilename` (a `ValueError`) if it is not a wheel's name."""
        name, version, build, tags = parse_wheel_filename(filename)
        return cls(filename=filename, name=name, version=version, build=build, tags=tags)

    @property
    def local_label(self) -> str | None:
        """The local version label: `cu124` for `2.5.1+cu124`, None for macOS or PyPI wheels."""
        return self.version.local

    @property
    def public_version(self) -> Version:
        """The version without its local label (`2.5.1` for `2.5.1+cu124`): what `==2.5.1` pins mean."""
        return Version(self.version.public)

    def is_compatible(self, tags: Iterable[Tag]) -> bool:
        """Whether any of the interpreter's `tags` is one of this wheel's tags."""
        return not self.tags.isdisjoint(tags)

    def tag_rank(self, tags: Sequence[Tag]) -> int | None:
        """The position of the best matching tag in `tags` (ordered best first, as `sys_tags()` yields
        them); None if incompatible. Lower is better, so installers' choice among wheels can be mirrored."""
        for rank, tag in enumerate(tags):
            if tag in self.tags:
                return rank
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "filename": self.filename,
            "name": self.name,
            "version": str(self.version),
            "build": list(self.build),
            "tags": sorted(str(tag) for tag in self.tags),
        }


def parse_wheel_file(filename: str) -> WheelFile | None:
    """Parse `filename` as a wheel's name; None for sdists and anything that is not a valid wheel name."""
    if not filename.endswith(".whl"):
        return None
    try:
        return WheelFile.from_filename(filename)
    except ValueError:  # InvalidWheelFilename included
        return None
