"""Wheel filenames: what a file on an index is for, read from its name alone.

A wheel's name carries its project, version (with PyTorch's local label such as `+cu124`), optional build
tag and the compressed tag set (`manylinux_2_17_aarch64.manylinux2014_aarch64`). Planning only needs that,
so nothing is downloaded to decide whether a file fits a machine. Format:
https://packaging.python.org/en/latest/specifications/binary-distribution-format/#file-name-convention
Parsing is delegated to `packaging.utils.parse_wheel_filename`; compatibility is a set intersection with the
interpreter's `packaging.tags.Tag`s, ranked by their order (most specific first).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from packaging.tags import Tag
from packaging.utils import BuildTag, InvalidWheelFilename, parse_wheel_filename
from packaging.version import Version

from torchsmith.record import record

__all__ = ["InvalidWheelFilename", "WheelFile", "parse_wheel_file"]


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
        return cls(filename=filename, name=str(name), version=version, build=build, tags=frozenset(tags))

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
    except (InvalidWheelFilename, ValueError):
        return None
