"""The one file-level selection, and what the catalogs remember about files between runs.

`FileSelector` decides, for a list of file records (an index page's or the wheel inventory's), which install
on the machine (its `torchsmith.wheel_tags` tags against each file's Python, ABI and platform tags incl.
manylinux/macOS floors, `requires-python`, yanked) and which is best per version (the installers' tag order,
then the highest build tag), and, when none does, says why from the files. Both catalogs use it, so online and
offline plans decide alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.version import Version

from torchsmith.index.simple import DistFile
from torchsmith.machine.model import Machine
from torchsmith.wheel_tags import Tag

if TYPE_CHECKING:
    from packaging.specifiers import SpecifierSet

__all__ = ["MISSING_PAGES", "PYPI_SIMPLE", "FileSelector", "load_missing", "pypi_neutral", "remember_missing"]

PYPI_SIMPLE = "https://pypi.org/simple"
MISSING_PAGES = "index-missing.json"
"""Project pages an index answered 404 for (a cache-dir file): offline, a page seen missing has no files."""


def _missing_path(http_cache: Path) -> Path:
    return http_cache.parent / MISSING_PAGES


def load_missing(http_cache: Path) -> set[str]:
    """Page URLs the index was seen not to have (empty when unknown)."""
    import json

    try:
        data = json.loads(_missing_path(http_cache).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    return {str(url) for url in data} if isinstance(data, list) else set()


def remember_missing(http_cache: Path, missing: set[str], present: set[str]) -> None:
    """Record pages seen missing (and forget those seen again); the cache is optional, so errors pass."""
    import contextlib
    import json

    from torchsmith.fileio import atomic_write_text

    known = load_missing(http_cache)
    updated = (known | missing) - present
    if updated != known:
        with contextlib.suppress(OSError):
            http_cache.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(_missing_path(http_cache), json.dumps(sorted(updated)))


class FileSelector:
    """The one file-level selection: which of a page's (or the inventory's) files install on the machine,
    and the best one per version (the lowest-ranked matching tag, then the highest build tag)."""

    def __init__(self, machine: Machine, tags: Sequence[Tag]) -> None:
        self.rank = {tag: position for position, tag in enumerate(tags)}
        self._interpreters = {tag.interpreter for tag in tags}
        self._abis = {tag.abi for tag in tags}
        self._platforms = {tag.platform for tag in tags}
        self._pairs = {(tag.interpreter, tag.abi) for tag in tags}
        self._platform_key = machine.platform_key
        python = machine.python.version if machine.python else None
        self._python = Version(python) if python else None

    def may_fit(self, filename: str) -> bool:
        """A cheap look at a wheel name's last three fields before parsing it: a real index page lists a
        thousand files for every Python and platform, and only a few can install here."""
        parts = filename[:-4].lower().split("-") if filename.endswith(".whl") else []
        if len(parts) < 5:
            return False
        python, abi, platform = parts[-3], parts[-2], parts[-1]
        return (
            not self._interpreters.isdisjoint(python.split("."))
            and not self._abis.isdisjoint(abi.split("."))
            and not self._platforms.isdisjoint(platform.split("."))
        )

    def admits_python(self, dist: DistFile) -> bool:
        """PEP 503 `data-requires-python`, as pip and uv honour it (matters for `py3-none` wheels)."""
        if dist.requires_python is None or self._python is None:
            return True
        from packaging.specifiers import InvalidSpecifier, SpecifierSet

        try:
            return SpecifierSet(dist.requires_python).contains(self._python, prereleases=True)
        except InvalidSpecifier:
            return True

    def why_none(self, package: str, files: Iterable[DistFile], spec: SpecifierSet) -> str | None:
        """Why no file of the newest version `spec` admits installs here, from the files themselves (`its
        cp314 wheels are for macosx_14_0_arm64`); None when no version matches at all."""
        by_version: dict[Version, list[DistFile]] = {}
        for dist in files:
            wheel = dist.wheel
            if wheel is not None and spec.contains(wheel.version.public, prereleases=True):
                by_version.setdefault(Version(wheel.version.public), []).append(dist)
        if not by_version:
            return None
        from torchsmith.knowledge.inventory import platform_of

        version = max(by_version)
        tags = [t for d in by_version[version] if (w := d.wheel) is not None for t in w.tags]
        python = [t for t in tags if (t.interpreter, t.abi) in self._pairs]
        here = [t for t in python if platform_of(f"x-0-py3-none-{t.platform}.whl") == self._platform_key]
        if here:
            platforms = ", ".join(f"`{p}`" for p in sorted({t.platform for t in here}))
            return f"{package} {version} has no file for this platform; for this Python it has {platforms}"
        if python:
            return f"{package} {version} has files for this Python on other platforms only"
        pythons = sorted({t.abi if t.abi not in ("none", "abi3") else t.interpreter for t in tags})
        return f"{package} {version} has no file for this Python: its wheels are for {', '.join(pythons)}"

    def best(self, files: Iterable[DistFile]) -> list[tuple[Version, DistFile]]:
        """(version, best file) for every version with a file installable here, newest first."""
        best: dict[Version, tuple[int, tuple[int, str], DistFile]] = {}
        for dist in files:
            if not self.may_fit(dist.filename):
                continue
            wheel = dist.wheel
            if wheel is None or dist.yanked or not self.admits_python(dist):
                continue
            ranks = [self.rank[tag] for tag in wheel.tags if tag in self.rank]
            if not ranks:
                continue
            # the highest build tag wins (`torch-2.10.0-3-...` over `-2-` over none), as in pip and uv
            rank, build = min(ranks), (-wheel.build[0], wheel.build[1]) if wheel.build else (0, "")
            current = best.get(wheel.version)
            if current is None or (rank, build) < (current[0], current[1]):
                best[wheel.version] = (rank, build, dist)
        return [(version, dist) for version, (_, _, dist) in sorted(best.items(), reverse=True)]


def pypi_neutral(selector: FileSelector, package: str, machine: Machine) -> list[tuple[Version, DistFile]]:
    """Backend-neutral PyPI wheels of a companion (`py3-none-<platform>`, no local label), such as torchaudio
    2.11.1, which serve every backend's torch though only PyPI has them: from the shipped inventory's PyPI
    rows, with PyPI's URLs and sha256 (PyPI files never change)."""
    if package == "torch":
        return []
    from torchsmith.knowledge import inventory

    files = [
        f
        for f in inventory.shipped().files(package, inventory.PYPI, machine.platform_key, "")
        if f.filename.split("-")[-3].startswith("py3") and "+" not in f.filename
    ]
    return selector.best(files)
