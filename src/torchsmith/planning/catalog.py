"""What exists: torch-family files per backend, from the live indexes or, offline, from cache and knowledge.

Both catalogs hand lists of file records (`DistFile`) to one `FileSelector`, which keeps, per version, the
best wheel for the machine's tags (interpreter, ABI, platform incl. manylinux/macOS floors, build tag,
`requires-python`), the way pip and uv choose. They differ only in where the files come from:
`IndexCatalog` fetches each backend's project pages (in parallel, cached on disk by the index client);
`KnowledgeCatalog` (offline) reads, per backend and project, the first of: the cached index page, the last
`torchsmith knowledge refresh` of the configured index, the shipped wheel inventory. Files with a sha256 (from
a page) are pinned; inventory rows derived from the build matrix (no hash) only decide the version.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from urllib.parse import unquote

from packaging.version import Version

from torchsmith.backends import Backend
from torchsmith.errors import TorchsmithError
from torchsmith.index.client import IndexClient
from torchsmith.index.simple import DistFile
from torchsmith.knowledge import jetson
from torchsmith.machine.model import Machine
from torchsmith.names import canonicalize_name
from torchsmith.planning.selection import (
    PYPI_SIMPLE,
    FileSelector,
    load_missing,
    pypi_neutral,
    remember_missing,
)
from torchsmith.record import record
from torchsmith.wheel_tags import Tag

if TYPE_CHECKING:
    from packaging.specifiers import SpecifierSet

    from torchsmith.knowledge.refresh import RefreshResult

__all__ = ["Candidate", "Catalog", "FileSelector", "IndexCatalog", "KnowledgeCatalog"]


@record
class Candidate:
    """One installable version of a package on one backend.

    `file` is the file to pin (with its hash when the source gave one); None when the version is known from
    knowledge only: then `record` is the inventory row that was selected (its name, no hash), if any, and
    `source` says where the choice came from (`index`, `cache`, `refresh`, `inventory`, `knowledge`).
    """

    package: str
    version: Version
    backend: str
    index: str
    file: DistFile | None = None
    record: DistFile | None = None
    source: str = "index"


class Catalog(Protocol):
    """Where the planner asks which versions of a package a backend offers for the machine."""

    offline: bool

    def candidates(self, backend: Backend, package: str) -> list[Candidate]:
        """Versions of `package` on `backend` installable on the machine, newest first."""

    def requires_dist(self, candidate: Candidate) -> list[str] | None:
        """The candidate's `Requires-Dist` (PEP 658 metadata); None when unknown (offline, no metadata)."""

    def why_none(self, backend: Backend, package: str, spec: SpecifierSet) -> str | None:
        """Why `backend` has no file of `package` matching `spec` for the machine, read from its files."""


def _index_for(backend: Backend, index_base: str, jetson_base: str) -> str:
    return backend.index_url(index_base, jetson_base)


def _published(backend: Backend) -> bool:
    """Whether NVIDIA publishes an index for this Jetson backend (else only direct wheel URLs exist)."""
    return any(r.backend == backend.name for r in jetson.jetpack_releases())


def jetson_wheels(backend: Backend, package: str, machine: Machine) -> list[Candidate]:
    """NVIDIA's direct torch wheel URLs for the machine's JetPack (knowledge; no hashes are published)."""
    from torchsmith.machine.runnable import jetson_backend_name, jetson_release

    if package != "torch":
        return []
    abi = machine.python.abi if machine.python else None
    mine = jetson_release(machine)  # JetPack 6.0 DP and 6.0 GA share `jp6-cu122` but not their wheels
    found: list[Candidate] = []
    for release in jetson.jetpack_releases():
        if jetson_backend_name(release) != backend.name:
            continue
        if mine is not None and release.l4t != mine.l4t:
            continue
        for wheel in release.wheels:
            if abi is not None and wheel.python != abi:
                continue
            filename = wheel.url.rsplit("/", 1)[-1]
            index = wheel.url.rsplit("/", 1)[0]
            found.append(Candidate("torch", wheel.torch, backend.name, index, DistFile(filename, wheel.url)))
    unique = {c.version: c for c in found}
    return [unique[v] for v in sorted(unique, key=_nv_order, reverse=True)]


def _nv_order(version: Version) -> tuple[Version, tuple[int, ...]]:
    """NVIDIA's builds of one torch differ only in their local label (`+410ce96a.nv22.12`): the `nvYY.MM`
    build date orders them (a commit hash would compare as text), so the newest build comes first."""
    import re

    stamp = re.search(r"nv([0-9]{2})\.([0-9]{1,2})", version.local or "")
    return Version(version.public), (int(stamp[1]), int(stamp[2])) if stamp else ()


class KnowledgeCatalog:
    """The offline catalog: per backend and project, the files of the cached index page, else of the last
    `torchsmith knowledge refresh` of this index (`refreshed`), else of the shipped inventory, through the
    same `FileSelector` as online. Only files with a sha256 are pinned."""

    offline = True

    def __init__(
        self,
        machine: Machine,
        index_base: str,
        jetson_base: str,
        refreshed: RefreshResult | None = None,
        tags: Sequence[Tag] = (),
        cache_dir: Path | None = None,
    ) -> None:
        self.machine = machine
        self.index_base = index_base
        self.jetson_base = jetson_base
        base = index_base.rstrip("/")
        self.refreshed = refreshed if refreshed is not None and refreshed.index_base == base else None
        self.selector = FileSelector(machine, tags)
        self._client: IndexClient | None = None
        self._missing: set[str] = set()
        if cache_dir is not None:
            self._client = IndexClient(cache_dir / "http", offline=True)
            self._missing = load_missing(self._client.cache.root)
        self._candidates: dict[tuple[str, str], list[Candidate]] = {}
        self._neutral: dict[str, list[tuple[Version, DistFile]]] = {}
        self.sources: dict[tuple[str, str], str] = {}
        """(backend, package) -> where its files came from (`cache`, `refresh`, `inventory`)."""

    def _cached_page(self, index: str, package: str) -> tuple[DistFile, ...] | None:
        """The index page as the HTTP cache holds it (no request is made); None if not cached."""
        if self._client is None:
            return None
        url = f"{index.rstrip('/')}/{package}/"
        if self._client.cache.get(url) is None:
            return None
        try:
            return self._client.project_page(index, package).files
        except (TorchsmithError, OSError, ValueError):
            return None

    def _files(
        self, backend: Backend, package: str, index: str
    ) -> tuple[str, Sequence[DistFile], Iterable[str]]:
        """(source, the files for this machine's platform, every version the source lists)."""
        if f"{index.rstrip('/')}/{package}/" in self._missing:
            return "cache", (), ()  # the index was seen not to have this page
        page = self._cached_page(index, package)
        if page is not None:
            return (
                "cache",
                page,
                {unquote(f.filename).split("-")[1] for f in page if f.filename.count("-") >= 4},
            )
        key = self.machine.platform_key
        if self.refreshed is not None and self.refreshed.has(backend.name, package):
            files = self.refreshed.files(backend.name, package, key)
            return "refresh", files, self.refreshed.versions_seen(backend.name, package)
        from torchsmith.knowledge import inventory

        shipped = inventory.shipped()
        return (
            "inventory",
            shipped.files(package, backend.name, key, index),
            shipped.versions(package, backend.name),
        )

    def _pypi_neutral(self, package: str) -> list[tuple[Version, DistFile]]:
        if package not in self._neutral:
            self._neutral[package] = pypi_neutral(self.selector, package, self.machine)
        return self._neutral[package]

    def candidates(self, backend: Backend, package: str) -> list[Candidate]:
        name = canonicalize_name(package)
        key = (backend.name, name)
        if key not in self._candidates:
            self._candidates[key] = self._compute(backend, name)
        return self._candidates[key]

    def _compute(self, backend: Backend, name: str) -> list[Candidate]:
        if backend.kind == "jetson":
            return jetson_wheels(backend, name, self.machine)
        index = _index_for(backend, self.index_base, self.jetson_base)
        source, files, listed = self._files(backend, name, index)
        self.sources[(backend.name, name)] = source
        chosen = self.selector.best(files)
        result = [_candidate(name, version, backend.name, index, dist, source) for version, dist in chosen]
        if name == "torch":
            result += self._explained_misses(backend, index, listed, {v for v, _ in chosen})
        if source == "inventory":
            seen = {Version(c.version.public) for c in result}
            for version, dist in self._pypi_neutral(name):
                if Version(version.public) not in seen:
                    result.append(_candidate(name, version, backend.name, PYPI_SIMPLE, dist, "pypi"))
            result.sort(key=lambda c: c.version, reverse=True)
        return result

    def _explained_misses(
        self, backend: Backend, index: str, listed: Iterable[str], fitting: set[Version]
    ) -> list[Candidate]:
        """Versions the backend has files of, none installable here, that a knowledge rule rejects outright
        (the wrong Python, platform or C library): offered so that the plan says *why* (`torch 2.4 has no
        wheels for CPython 3.13`). A version no rule rejects is not offered: its files decide."""
        from packaging.version import InvalidVersion

        from torchsmith.planning.rules import check

        fitting_public = {Version(v.public) for v in fitting}
        missed: set[Version] = set()
        for text in {v.split("+")[0] for v in listed}:
            try:
                version = Version(text)
            except InvalidVersion:
                continue
            if version not in fitting_public:
                missed.add(version)
        result = []
        for version in sorted(missed, reverse=True):
            verdict = check(self.machine, version, backend)
            if not verdict.ok and verdict.hard:
                result.append(Candidate("torch", version, backend.name, index, None, source="rule"))
        return result

    def why_none(self, backend: Backend, package: str, spec: SpecifierSet) -> str | None:
        if backend.kind == "jetson":
            return None
        name = canonicalize_name(package)
        index = _index_for(backend, self.index_base, self.jetson_base)
        source, _, _ = self._files(backend, name, index)
        if source == "inventory":
            from torchsmith.knowledge import inventory

            files: Sequence[DistFile] = inventory.shipped().files(name, backend.name, None, index)
        elif source == "refresh" and self.refreshed is not None:
            files = self.refreshed.files(backend.name, name)
        else:
            files = self._cached_page(index, name) or ()
        return self.selector.why_none(name, files, spec)

    def requires_dist(self, candidate: Candidate) -> list[str] | None:
        if candidate.file is None or self._client is None or candidate.file.core_metadata is False:
            return None
        try:
            return self._client.metadata(candidate.file)
        except (TorchsmithError, OSError, ValueError):
            return None


def _candidate(
    name: str, version: Version, backend: str, index: str, dist: DistFile, source: str
) -> Candidate:
    """A candidate pinned to `dist` when its hash is known, else carrying it as the selected record only."""
    if dist.sha256:
        return Candidate(name, version, backend, index, dist, source=source)
    return Candidate(name, version, backend, index, None, record=dist, source=source)


class IndexCatalog:
    """Versions from the backend indexes' PEP 503/691 pages, best wheel per version for the machine's tags."""

    offline = False

    def __init__(
        self,
        client: IndexClient,
        machine: Machine,
        tags: Sequence[Tag],
        index_base: str,
        jetson_base: str,
        pypi_index: str | None = None,
    ) -> None:
        """`pypi_index`: the default index; when it is PyPI itself, companions only PyPI has (torchaudio
        2.11.1) are offered from the inventory's PyPI rows."""
        self.client = client
        self.machine = machine
        self.selector = FileSelector(machine, tags)
        self.index_base = index_base
        self.jetson_base = jetson_base
        self.pypi_index = pypi_index
        self._pages: dict[tuple[str, str], tuple[DistFile, ...] | None] = {}
        self._candidates: dict[tuple[str, str], list[Candidate]] = {}

    def prefetch(self, backends: Iterable[Backend], packages: Iterable[str]) -> None:
        """Fetch every (backend, package) page in parallel; a missing project (404) is remembered as None."""
        wanted = [
            (_index_for(b, self.index_base, self.jetson_base), canonicalize_name(p))
            for b in backends
            if b.kind != "jetson" or _published(b)
            for p in packages
        ]
        todo = [key for key in dict.fromkeys(wanted) if key not in self._pages]
        if not todo:
            return
        missing: set[str] = set()
        present: set[str] = set()
        for key, page in zip(todo, self.client.project_pages_or_none(todo), strict=True):
            self._pages[key] = page.files if page is not None else None
            (present if page is not None else missing).add(f"{key[0].rstrip('/')}/{key[1]}/")
        remember_missing(self.client.cache.root, missing, present)

    def _files(self, backend: Backend, package: str) -> tuple[DistFile, ...] | None:
        key = (_index_for(backend, self.index_base, self.jetson_base), canonicalize_name(package))
        if key not in self._pages:
            self.prefetch([backend], [package])
        return self._pages.get(key)

    def requires_dist(self, candidate: Candidate) -> list[str] | None:
        if candidate.file is None or candidate.file.core_metadata is False:
            return None
        return self.client.metadata(candidate.file)

    def why_none(self, backend: Backend, package: str, spec: SpecifierSet) -> str | None:
        if backend.kind == "jetson":
            return None
        return self.selector.why_none(canonicalize_name(package), self._files(backend, package) or (), spec)

    def candidates(self, backend: Backend, package: str) -> list[Candidate]:
        key = (backend.name, canonicalize_name(package))
        if key not in self._candidates:  # the search asks again for every torch version it tries
            self._candidates[key] = self._compute_candidates(backend, package)
        return self._candidates[key]

    def _compute_candidates(self, backend: Backend, package: str) -> list[Candidate]:
        if backend.kind == "jetson" and not _published(backend):
            return jetson_wheels(backend, canonicalize_name(package), self.machine)
        files = self._files(backend, package) or ()
        index = _index_for(backend, self.index_base, self.jetson_base)
        name = canonicalize_name(package)
        result = [
            Candidate(name, version, backend.name, index, dist) for version, dist in self.selector.best(files)
        ]
        if (
            self.pypi_index is not None
            and self.pypi_index.rstrip("/") == PYPI_SIMPLE
            and backend.kind != "jetson"
        ):
            seen = {Version(c.version.public) for c in result}
            for version, dist in pypi_neutral(self.selector, name, self.machine):
                if Version(version.public) not in seen:
                    result.append(Candidate(name, version, backend.name, PYPI_SIMPLE, dist, source="pypi"))
            result.sort(key=lambda c: c.version, reverse=True)
        return result
