"""What exists: torch-family versions per backend, from the live indexes or, offline, from knowledge.

`IndexCatalog` fetches each backend's project pages (in parallel, cached on disk by the index client) and
keeps, per version, the best wheel for the machine's tags. `KnowledgeCatalog` answers from the shipped tables
alone (versions, no filenames or hashes) so an offline plan still chooses correctly and says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from packaging.tags import Tag
from packaging.utils import canonicalize_name
from packaging.version import Version

from torchsmith.backends import Backend
from torchsmith.index.client import IndexClient
from torchsmith.index.simple import DistFile
from torchsmith.knowledge import jetson, releases
from torchsmith.knowledge.refresh import RefreshResult
from torchsmith.machine.model import Machine

__all__ = ["Candidate", "Catalog", "IndexCatalog", "KnowledgeCatalog"]


@dataclass(frozen=True, slots=True)
class Candidate:
    """One installable version of a package on one backend; `file` is None when known only from knowledge."""

    package: str
    version: Version
    backend: str
    index: str
    file: DistFile | None = None


class Catalog(Protocol):
    """Where the planner asks which versions of a package a backend offers for the machine."""

    offline: bool

    def candidates(self, backend: Backend, package: str) -> list[Candidate]:
        """Versions of `package` on `backend` installable on the machine, newest first."""

    def requires_dist(self, candidate: Candidate) -> list[str] | None:
        """The candidate's `Requires-Dist` (PEP 658 metadata); None when unknown (offline, no metadata)."""


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
    """Versions from the shipped release table (and NVIDIA's Jetson wheel list), plus what the last
    `torchsmith knowledge refresh` saw on the indexes (`refreshed`); no files, no hashes."""

    offline = True

    def __init__(
        self,
        machine: Machine,
        index_base: str,
        jetson_base: str,
        refreshed: RefreshResult | None = None,
        tags: Sequence[Tag] = (),
    ) -> None:
        self.machine = machine
        self.index_base = index_base
        self.jetson_base = jetson_base
        self.refreshed = refreshed if refreshed is not None and refreshed.index_base == index_base else None
        self.tags = {str(tag) for tag in tags}

    def _refreshed_versions(self, backend: Backend) -> list[Version]:
        """Torch versions the refresh saw on this backend's index with a wheel for this machine's tags."""
        if self.refreshed is None:
            return []
        wheels = self.refreshed.wheels.get(backend.name, {})
        return [Version(Version(v).public) for v, tags in wheels.items() if self.tags.intersection(tags)]

    def _torch_versions(self, backend: Backend) -> list[Version]:
        # Every release that ships this backend on any platform: the rules then say why one that lacks it
        # here (ROCm on Windows, CUDA on macOS) cannot be used, instead of "no versions".
        # A release whose wheels for this platform are a gap in the table is not offered offline at all.
        key = self.machine.platform_key
        found: list[Version] = []
        for release in releases.releases():
            here = backend.name in release.backends.get(key, ())
            elsewhere = any(backend.name in names for names in release.backends.values())
            if here or (elsewhere and f"backends.{key}" not in release.gaps):
                found.extend(release.patches)
        return sorted(set(found) | set(self._refreshed_versions(backend)), reverse=True)

    def candidates(self, backend: Backend, package: str) -> list[Candidate]:
        name = canonicalize_name(package)
        if backend.kind == "jetson":
            return jetson_wheels(backend, name, self.machine)
        index = _index_for(backend, self.index_base, self.jetson_base)
        result: list[Candidate] = []
        for torch_version in self._torch_versions(backend):
            version = torch_version if name == "torch" else releases.companion_for(name, torch_version)
            if version is not None:
                result.append(Candidate(name, version, backend.name, index))
        return result

    def requires_dist(self, candidate: Candidate) -> list[str] | None:
        return None


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
    ) -> None:
        self.client = client
        self.machine = machine
        self.rank = {tag: position for position, tag in enumerate(tags)}
        self._interpreters = {tag.interpreter for tag in tags}
        self._abis = {tag.abi for tag in tags}
        self._platforms = {tag.platform for tag in tags}
        self.index_base = index_base
        self.jetson_base = jetson_base
        self._pages: dict[tuple[str, str], tuple[DistFile, ...] | None] = {}
        self._candidates: dict[tuple[str, str], list[Candidate]] = {}
        python = machine.python.version if machine.python else None
        self._python = Version(python) if python else None

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
        for key, page in zip(todo, self.client.project_pages_or_none(todo), strict=True):
            self._pages[key] = page.files if page is not None else None

    def _files(self, backend: Backend, package: str) -> tuple[DistFile, ...] | None:
        key = (_index_for(backend, self.index_base, self.jetson_base), canonicalize_name(package))
        if key not in self._pages:
            self.prefetch([backend], [package])
        return self._pages.get(key)

    def requires_dist(self, candidate: Candidate) -> list[str] | None:
        if candidate.file is None or candidate.file.core_metadata is False:
            return None
        return self.client.metadata(candidate.file)

    def candidates(self, backend: Backend, package: str) -> list[Candidate]:
        key = (backend.name, canonicalize_name(package))
        if key not in self._candidates:  # the search asks again for every torch version it tries
            self._candidates[key] = self._compute_candidates(backend, package)
        return self._candidates[key]

    def _may_fit(self, filename: str) -> bool:
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

    def _admits_python(self, dist: DistFile) -> bool:
        """PEP 503 `data-requires-python`, as pip and uv honour it (matters for `py3-none` wheels)."""
        if dist.requires_python is None or self._python is None:
            return True
        from packaging.specifiers import InvalidSpecifier, SpecifierSet

        try:
            return SpecifierSet(dist.requires_python).contains(self._python, prereleases=True)
        except InvalidSpecifier:
            return True

    def _compute_candidates(self, backend: Backend, package: str) -> list[Candidate]:
        if backend.kind == "jetson" and not _published(backend):
            return jetson_wheels(backend, canonicalize_name(package), self.machine)
        files = self._files(backend, package) or ()
        index = _index_for(backend, self.index_base, self.jetson_base)
        best: dict[Version, tuple[int, DistFile]] = {}
        for dist in files:
            if not self._may_fit(dist.filename):
                continue
            wheel = dist.wheel
            if wheel is None or dist.yanked or not self._admits_python(dist):
                continue
            ranks = [self.rank[tag] for tag in wheel.tags if tag in self.rank]
            if not ranks:
                continue
            rank = min(ranks)
            current = best.get(wheel.version)
            if current is None or rank < current[0]:
                best[wheel.version] = (rank, dist)
        name = canonicalize_name(package)
        return [
            Candidate(name, version, backend.name, index, dist)
            for version, (_, dist) in sorted(best.items(), reverse=True)
        ]
