"""The wheel inventory: every torch/torchvision/torchaudio file, per index, as file records.

Series tables answer "which Python, which floor" once per release, but the files of one release differ
(free-threaded wheels for some patches only, a macOS floor per Python tag, manylinux_2_28 for one CUDA
variant and manylinux2014 for the others, PyPI build tags). The planner therefore selects among *files*,
offline as online: this module turns the shipped `data/inventory.bin` (written by
`scripts/make_inventory.py`) or the copy `torchsmith knowledge refresh` wrote into the cache into the same
`DistFile` records an index page gives.

Rows are grouped by project, by index key (`pypi` for PyPI's own files, else the download.pytorch.org
backend: `cu126`, `cpu`, ...) and by platform (`linux-x86_64`, `windows-x86_64`, `macos-arm64`, ..., `any`).
Each row is `filename, size, sha256, requires_python, yanked, source, url`; backend rows the shipped file
*derived* from the build matrix have no size or sha256 (unknown, not invented), and every row names its
source (a key of `sources`). An offline plan reads only its platform's groups.

File layout (one file, read at once, each group decompressed on first use): the line
`torchsmith-inventory 1`, a line with the header's byte length, the zlib-compressed JSON header
(`meta`, `groups`: `project|index|platform` → [offset, length, rows], `versions`: `project|index` → public
versions), then the zlib-compressed JSON groups (and a `sources` group).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from torchsmith.errors import KnowledgeError
from torchsmith.index.simple import DistFile

__all__ = ["INVENTORY_FILE", "PYPI", "Inventory", "build", "platform_of", "read", "shipped", "write"]

INVENTORY_FILE = Path(__file__).parent / "data" / "inventory.bin"
PYPI = "pypi"
"""The index key of PyPI's own files."""

MAGIC = b"torchsmith-inventory 1\n"
COLUMNS = ("filename", "size", "sha256", "requires_python", "yanked", "source", "url")
_FILENAME, _SIZE, _SHA256, _REQUIRES_PYTHON, _YANKED, _SOURCE, _URL = range(7)
Row = list[Any]
_LINUX_ARCHES = ("x86_64", "aarch64", "ppc64le", "s390x", "armv7l", "i686")


def platform_of(filename: str) -> str:
    """The platform group of a file from its name: `linux-x86_64`, `windows-x86_64`, `macos-arm64`, ...,
    `any` for pure wheels and sdists."""
    if not filename.endswith(".whl"):
        return "any"
    platform = filename[:-4].rsplit("-", 1)[-1].lower()
    first = platform.split(".")[0]
    if first.startswith(("manylinux", "linux", "musllinux")):
        arch = next((a for a in _LINUX_ARCHES if first.endswith(a)), "other")
        return f"linux-{arch}"
    if first.startswith("win"):
        return "windows-arm64" if first.endswith("arm64") else "windows-x86_64"
    if first.startswith("macosx"):
        arch = next((a for a in ("arm64", "x86_64") if first.endswith(a)), "universal2")
        return f"macos-{arch}"
    if first == "any":
        return "any"
    return "other"


def _groups_for(platform_key: str) -> tuple[str, ...]:
    """The platform groups a machine's wheels can come from."""
    if platform_key.startswith("macos"):
        return (platform_key, "macos-universal2", "any")
    return (platform_key, "any")


class Inventory:
    """A readable inventory; `rows`/`files` decompress one group on first use (a slotted class, not a
    dataclass: an offline plan reads it, and `dataclasses` costs a tenth of that plan's start-up)."""

    __slots__ = ("_base", "_data", "_parsed", "groups", "meta", "path", "versions_by")

    def __init__(
        self,
        path: Path,
        meta: Mapping[str, Any],
        groups: Mapping[str, list[int]],
        versions_by: Mapping[str, list[str]],
        data: bytes = b"",
        base: int = 0,
    ) -> None:
        self.path, self.meta, self.groups, self.versions_by = path, meta, groups, versions_by
        self._data, self._base = data, base
        self._parsed: dict[str, list[Row]] = {}

    @property
    def generated(self) -> str:
        return str(self.meta.get("generated", ""))

    @property
    def index_base(self) -> str | None:
        """The backend index base a refreshed inventory was read from; None for the shipped one."""
        base = self.meta.get("index_base")
        return None if base is None else str(base)

    @property
    def snapshot(self) -> Mapping[str, Mapping[str, Any]]:
        """The PyPI snapshot's own totals per project (files on the page, retrieval date, serial)."""
        snapshot: Mapping[str, Mapping[str, Any]] = self.meta.get("snapshot", {})
        return snapshot

    def _group(self, key: str) -> list[Row]:
        if key not in self._parsed:
            where = self.groups.get(key)
            if where is None:
                self._parsed[key] = []
            else:
                start = self._base + where[0]
                raw = zlib.decompress(self._data[start : start + where[1]])
                self._parsed[key] = json.loads(raw)
        return self._parsed[key]

    @property
    def sources(self) -> Mapping[str, Mapping[str, Any]]:
        """Source key → title and URL (the evidence each row names)."""
        return self._group("sources")  # type: ignore[return-value]

    def projects(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(key.split("|")[0] for key in self.versions_by))

    def indexes(self, project: str) -> tuple[str, ...]:
        """The index keys holding files of `project` (`pypi`, `cpu`, `cu126`, ...)."""
        return tuple(key.split("|")[1] for key in self.versions_by if key.split("|")[0] == project)

    def has(self, project: str, index: str) -> bool:
        """Whether the inventory read `project` on `index` (an empty list counts: the index has none)."""
        return f"{project}|{index}" in self.versions_by

    def versions(self, project: str, index: str) -> tuple[str, ...]:
        """Every version (with local label) of `project` on `index`, any platform."""
        return tuple(self.versions_by.get(f"{project}|{index}", ()))

    def rows(self, project: str, index: str, platform: str | None = None) -> list[Row]:
        """Rows of one platform group, or of all groups when `platform` is None."""
        if platform is not None:
            return self._group(f"{project}|{index}|{platform}")
        prefix = f"{project}|{index}|"
        return [row for key in self.groups if key.startswith(prefix) for row in self._group(key)]

    def files(self, project: str, index: str, platform_key: str | None, backend_url: str) -> list[DistFile]:
        """`project`'s files on `index` installable on `platform_key` (all platforms when None), as the
        `DistFile`s an index page gives; derived backend rows get URLs under `backend_url`."""
        if platform_key is None:
            rows = self.rows(project, index)
        else:
            rows = [row for group in _groups_for(platform_key) for row in self.rows(project, index, group)]
        base = str(self.meta.get("file_base", ""))
        backend = backend_url.rstrip("/")
        result = []
        for row in rows:
            url = row[_URL]
            if url is None:
                url = f"{backend}/{row[_FILENAME].replace('+', '%2B')}"
            elif "://" not in url:
                url = f"{base}{url}"
            result.append(
                DistFile(
                    filename=row[_FILENAME],
                    url=url,
                    sha256=row[_SHA256],
                    requires_python=row[_REQUIRES_PYTHON],
                    size=row[_SIZE],
                    yanked=bool(row[_YANKED]),
                )
            )
        return result

    def source_of(self, project: str, index: str, filename: str) -> str | None:
        """The source key a row names (`pypi`, `matrix:2.6:linux-x86_64:...`, `derived:...`); None if none."""
        for row in self.rows(project, index, platform_of(filename)):
            if row[_FILENAME] == filename:
                return str(row[_SOURCE])
        return None

    def count(self, project: str, index: str | None = None) -> int:
        """How many rows `project` has (on one index, or on all)."""
        prefix = f"{project}|{index}|" if index is not None else f"{project}|"
        return sum(where[2] for key, where in self.groups.items() if key.startswith(prefix))


def build(
    meta: Mapping[str, Any],
    projects: Mapping[str, Mapping[str, Iterable[Row]]],
    sources: Mapping[str, Mapping[str, Any]],
) -> bytes:
    """The file bytes for `projects[project][index] = rows` (an empty row list records an empty index)."""
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename

    grouped: dict[str, list[Row]] = {}
    versions: dict[str, list[str]] = {}
    for project, by_index in projects.items():
        for index, rows in by_index.items():
            seen: dict[str, None] = {}
            for row in rows:
                grouped.setdefault(f"{project}|{index}|{platform_of(row[_FILENAME])}", []).append(list(row))
                if row[_FILENAME].endswith(".whl"):
                    try:
                        seen[str(parse_wheel_filename(row[_FILENAME])[1])] = None
                    except (InvalidWheelFilename, ValueError):
                        continue
            versions[f"{project}|{index}"] = list(seen)
    blobs: list[bytes] = []
    groups: dict[str, list[int]] = {}
    offset = 0
    parts: list[tuple[str, Any]] = [*sorted(grouped.items()), ("sources", dict(sources))]
    for key, rows in parts:
        blob = zlib.compress(json.dumps(rows, separators=(",", ":")).encode("utf-8"), 9)
        groups[key] = [offset, len(blob), len(rows)]
        blobs.append(blob)
        offset += len(blob)
    header = {"meta": {**meta, "columns": list(COLUMNS)}, "groups": groups, "versions": versions}
    head = zlib.compress(json.dumps(header, separators=(",", ":"), sort_keys=True).encode("utf-8"), 9)
    return MAGIC + f"{len(head)}\n".encode() + head + b"".join(blobs)


def read(path: Path) -> Inventory:
    """Open an inventory file; raises OSError/ValueError/KeyError/TypeError for anything else."""
    data = path.read_bytes()
    if not data.startswith(MAGIC):
        raise ValueError("not a torchsmith inventory file")
    newline = data.index(b"\n", len(MAGIC))
    length = int(data[len(MAGIC) : newline])
    start = newline + 1
    header = json.loads(zlib.decompress(data[start : start + length]))
    if not isinstance(header, dict):
        raise TypeError("the inventory header is not an object")
    return Inventory(
        path=path,
        meta=header["meta"],
        groups=header["groups"],
        versions_by=header["versions"],
        data=data,
        base=start + length,
    )


def write(path: Path, data: bytes) -> None:
    """Write inventory bytes atomically."""
    from torchsmith.fileio import atomic_write_bytes

    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, data)


@cache
def shipped() -> Inventory:
    """The inventory shipped in the package (opened once per process)."""
    try:
        return read(INVENTORY_FILE)
    except (OSError, ValueError, KeyError, TypeError, zlib.error) as error:
        raise KnowledgeError(
            f"the shipped wheel inventory `{INVENTORY_FILE.name}` is unreadable ({error})",
            hint="this is a bug in torchsmith's shipped data; please report it",
        ) from error
