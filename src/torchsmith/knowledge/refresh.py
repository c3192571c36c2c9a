"""`torchsmith knowledge refresh`: rebuild the wheel inventory of the configured indexes into the cache.

The shipped inventory (`knowledge/inventory.py`) is a snapshot: PyPI's files as listed on a date, and the
download.pytorch.org files derived from the build matrix (no hashes). The live index (or the mirror a user
configured) knows what it really holds today. `refresh` reads the PEP 503/691 page
`<index_base>/<backend>/<project>/` of torch, torchvision and torchaudio for every backend
(https://peps.python.org/pep-0503/) and writes, per backend, the same file rows the shipped inventory has,
with the hashes, sizes and `requires-python` the pages give, into `<cache>/knowledge-refresh.bin` (the
inventory's own format), plus a summary `knowledge-refresh.json` (index base, date, backends read,
errors). The offline planner uses these rows before the shipped ones, so it never recommends a file the
mirror was seen not to have.

Fetching is injected: `fetch(page_url)` returns the page's `DistFile`s (or bare file names), or None when the
index has no such project (404); `torchsmith.knowledge.refresh_cli` feeds it from the cached index client.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from types import MappingProxyType
from typing import Any

from packaging.version import Version

from torchsmith.errors import IndexFetchError, TorchsmithError
from torchsmith.index.simple import DistFile
from torchsmith.index.wheel import parse_wheel_file
from torchsmith.knowledge.inventory import Inventory, build
from torchsmith.knowledge.inventory import read as read_inventory
from torchsmith.knowledge.inventory import write as write_inventory
from torchsmith.record import field, record

__all__ = [
    "PROJECTS",
    "REFRESH_FILE",
    "REFRESH_INVENTORY",
    "RefreshResult",
    "load_refreshed",
    "refresh",
    "torch_wheels",
]

REFRESH_FILE = "knowledge-refresh.json"
REFRESH_INVENTORY = "knowledge-refresh.bin"
PROJECTS = ("torch", "torchvision", "torchaudio")
_SCHEMA = 2

Fetched = Iterable[DistFile | str] | None


def _row(item: DistFile | str, page: str) -> list[Any]:
    """One inventory row (`filename, size, sha256, requires_python, yanked, source, url`)."""
    if isinstance(item, str):
        return [item, None, None, None, 0, page, None]
    return [
        item.filename,
        item.size,
        item.sha256,
        item.requires_python,
        1 if item.yanked else 0,
        page,
        item.url,
    ]


@record
class RefreshResult:
    """The last refresh: which backends were read from `index_base`, and their files (read lazily)."""

    path: Path
    index_base: str
    generated: str
    backends: tuple[str, ...]
    errors: Mapping[str, str]
    _opened: list[Inventory] = field(default_factory=list, compare=False)

    def inventory(self) -> Inventory | None:
        """The refreshed inventory (`knowledge-refresh.bin`), opened on first use; None if unreadable."""
        if not self._opened:
            try:
                opened = read_inventory(self.path.parent / REFRESH_INVENTORY)
            except (OSError, ValueError, KeyError, TypeError, zlib.error):
                return None
            if opened.index_base != self.index_base:
                return None
            self._opened.append(opened)
        return self._opened[0]

    def has(self, backend: str, project: str) -> bool:
        """Whether the refresh read `project`'s page on `backend` (a 404 counts: the index has none)."""
        opened = self.inventory()
        return opened is not None and opened.has(project, backend)

    def files(self, backend: str, project: str, platform_key: str | None = None) -> list[DistFile]:
        """The files the refresh saw for `project` on `backend` (for one platform, or all)."""
        opened = self.inventory()
        if opened is None:
            return []
        return opened.files(project, backend, platform_key, f"{self.index_base}/{backend}")

    def versions_seen(self, backend: str, project: str) -> tuple[str, ...]:
        """Every version (with local label) of `project` the refresh saw on `backend`, any platform."""
        opened = self.inventory()
        return () if opened is None else opened.versions(project, backend)

    @property
    def wheels(self) -> Mapping[str, Mapping[str, tuple[str, ...]]]:
        """Torch wheels per backend: version (with local label) → sorted `py-abi-platform` tags."""
        return MappingProxyType(
            {
                b: MappingProxyType(torch_wheels(f.filename for f in self.files(b, "torch")))
                for b in self.backends
            }
        )

    def versions(self, backend: str) -> tuple[Version, ...]:
        """Public torch versions on `backend`'s index, newest first (`2.5.1+cu124` → 2.5.1)."""
        found = {Version(Version(v).public) for v in self.wheels.get(backend, {})}
        return tuple(sorted(found, reverse=True))

    def to_json(self) -> dict[str, Any]:
        """What `knowledge refresh --json` prints: torch wheel tags per backend, file counts, errors."""
        return {
            "schema": _SCHEMA,
            "index_base": self.index_base,
            "generated": self.generated,
            "backends": {b: {v: list(t) for v, t in files.items()} for b, files in self.wheels.items()},
            "files": {
                b: {p: len(self.files(b, p)) for p in PROJECTS if self.has(b, p)} for b in self.backends
            },
            "errors": dict(self.errors),
        }

    def summary_json(self) -> dict[str, Any]:
        """The small summary file the planner reads (the rows live in one file per backend)."""
        return {
            "schema": _SCHEMA,
            "index_base": self.index_base,
            "generated": self.generated,
            "backends_read": list(self.backends),
            "errors": dict(self.errors),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], path: Path) -> RefreshResult:
        """Raises KeyError, TypeError or ValueError for a document of another shape."""
        if data["schema"] != _SCHEMA:
            raise ValueError(f"unknown schema `{data['schema']}`")
        backends = data["backends_read"]
        if not isinstance(backends, list):
            raise TypeError("`backends_read` must be a list")
        return cls(
            path=path,
            index_base=str(data["index_base"]),
            generated=str(data["generated"]),
            backends=tuple(str(b) for b in backends),
            errors=MappingProxyType({str(k): str(v) for k, v in data["errors"].items()}),
        )


def torch_wheels(filenames: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Wheels of torch among `filenames`: version (with local label) → sorted `py-abi-platform` tags."""
    found: dict[str, set[str]] = {}
    for name in filenames:
        wheel = parse_wheel_file(name)
        if wheel is None or wheel.name != "torch":
            continue
        found.setdefault(str(wheel.version), set()).update(str(tag) for tag in wheel.tags)
    return {v: tuple(sorted(t)) for v, t in sorted(found.items(), key=lambda item: Version(item[0]))}


def _default_backends() -> tuple[str, ...]:
    from torchsmith.knowledge.releases import releases

    names = {name for r in releases() for names in r.backends.values() for name in names}
    return tuple(sorted(names))


def _read_backend(
    fetch: Callable[[str], Fetched], base: str, backend: str, errors: dict[str, str]
) -> dict[str, list[list[Any]] | None] | None:
    """Every project's rows on one backend; None (and an error) when its torch page cannot be read."""
    projects: dict[str, list[list[Any]] | None] = {}
    for project in PROJECTS:
        url = f"{base}/{backend}/{project}/"
        try:
            items = fetch(url)
        except (TorchsmithError, OSError, ValueError, UnicodeError) as error:
            if project == "torch":
                errors[backend] = f"{url}: {error}"
                return None
            errors[f"{backend}/{project}"] = f"{url}: {error}"
            continue
        # a 404 is a fact about the mirror (it has no such page), recorded as an empty list
        projects[project] = [] if items is None else [_row(item, url) for item in items]
    return projects


def refresh(
    cache_dir: Path,
    fetch: Callable[[str], Fetched],
    index_base: str,
    *,
    backends: Iterable[str] | None = None,
) -> RefreshResult:
    """Read every backend's torch-family pages from `index_base` and write the inventory into `cache_dir`.

    `backends` defaults to every backend named in the shipped release table. A backend whose torch page
    fails is recorded in `errors`; if every backend fails, IndexFetchError is raised and the previous
    refresh is kept.
    """
    from torchsmith.fileio import atomic_write_text

    base = index_base.rstrip("/")
    errors: dict[str, str] = {}
    read: dict[str, dict[str, list[list[Any]] | None]] = {}
    names = tuple(backends) if backends is not None else _default_backends()
    for backend in names:
        projects = _read_backend(fetch, base, backend, errors)
        if projects is not None:
            read[backend] = projects
    if names and not read:
        first = next(iter(errors.values()))
        raise IndexFetchError(
            f"could not refresh the knowledge from `{base}`: every backend page failed ({first})",
            hint="check the network or `TORCHSMITH_INDEX_URL`; the shipped inventory is still used",
        )
    generated = datetime.now(timezone.utc).isoformat(timespec="seconds")
    by_project: dict[str, dict[str, list[list[Any]]]] = {}
    for backend, found in read.items():
        for project, rows in found.items():
            by_project.setdefault(project, {})[backend] = rows or []
    sources = {f"{base}/{b}/{p}/": {"title": f"index page read {generated}"} for b in read for p in read[b]}
    meta = {"generated": generated, "index_base": base, "file_base": ""}
    write_inventory(cache_dir / REFRESH_INVENTORY, build(meta, by_project, sources))
    path = cache_dir / REFRESH_FILE
    result = RefreshResult(
        path=path,
        index_base=base,
        generated=generated,
        backends=tuple(read),
        errors=MappingProxyType(errors),
    )
    atomic_write_text(path, json.dumps(result.summary_json(), indent=1, sort_keys=True))
    return result


def load_refreshed(cache_dir: Path) -> RefreshResult | None:
    """The last refresh written into `cache_dir`, or None if there is none or it is unreadable."""
    path = cache_dir / REFRESH_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return RefreshResult.from_json(data, path)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
