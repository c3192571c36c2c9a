"""The dependency graph of a distro's members, from their real metadata, and the downstream closure.

Edges come from each member's `Requires-Dist` (https://packaging.python.org/en/latest/specifications/
core-metadata/#requires-dist-multi-use), read as installers read it (`metadata.py`): for an index member
the PEP 658 `.metadata` file of its newest matching wheel, else that wheel's own `METADATA`, else the
sdist's; for a local wheel its `METADATA`; for a local project the wheel `uv build` makes. Pre-releases
are candidates only when the registry asks (`prereleases = true`, or a pre-release in the requirement),
as pip and uv decide (https://packaging.python.org/en/latest/specifications/version-specifiers/
#handling-of-pre-releases). Requirements behind an `extra` marker are
not edges (installing a member does not pull its extras). When a member changes, its own tests and then
its dependents' run, in topological order (`distro affected PKG`).
"""

from __future__ import annotations

import email.parser
import subprocess
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import Version

from torchsmith.distro.registry import Distro, DistroError, Member, load_distro
from torchsmith.index.settings import IndexSettings
from torchsmith.report import NullReporter, Reporter

__all__ = [
    "AffectedResult",
    "Graph",
    "MemberInfo",
    "affected",
    "build_graph",
    "resolve_members",
    "wheel_metadata",
]


@dataclass(frozen=True, slots=True)
class MemberInfo:
    """A member as resolved: its version, its `Requires-Dist`, and the wheel (local) or URL it installs."""

    name: str
    version: str
    requires: tuple[str, ...]
    install: str
    """What an installer is given: `name @ file:///…whl`, a requirement, or `name @ git+URL@ref`."""
    wheel: Path | None = None
    url: str | None = None
    sha256: str | None = None
    """Of the file tested and promoted (a local wheel's bytes, or the index's hash for its file)."""
    filename: str | None = None

    def torch_specifier(self) -> str | None:
        """The specifier this member puts on torch (`""` = unbounded), None when it does not name torch."""
        for text in _runtime(self.requires):
            req = Requirement(text)
            if canonicalize_name(req.name) == "torch":
                return str(req.specifier)
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "requires": list(self.requires),
            "install": self.install,
            "wheel": str(self.wheel) if self.wheel else None,
            "url": self.url,
            "sha256": self.sha256,
            "filename": self.filename,
        }


def _runtime(requires: Iterable[str]) -> list[str]:
    """Requirements that apply without extras (markers naming `extra` are dropped)."""
    out = []
    for text in requires:
        try:
            req = Requirement(text)
        except InvalidRequirement:
            continue
        if req.marker is not None and "extra" in str(req.marker):
            continue
        out.append(text)
    return out


def wheel_metadata(wheel: Path) -> tuple[str, str, tuple[str, ...]]:
    """(name, version, Requires-Dist) from a wheel's `*.dist-info/METADATA`."""
    try:
        with zipfile.ZipFile(wheel) as archive:
            names = [n for n in archive.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")]
            if not names:
                raise DistroError(f"`{wheel}` has no `.dist-info/METADATA`")
            data = archive.read(names[0])
    except (zipfile.BadZipFile, OSError) as error:
        raise DistroError(f"cannot read the wheel `{wheel}`: {error}") from error
    headers = email.parser.BytesHeaderParser().parsebytes(data)
    requires = tuple(str(v).strip() for v in headers.get_all("Requires-Dist") or [])
    return str(headers["Name"]), str(headers["Version"]), requires


def _pick_wheel(folder: Path, member: Member) -> Path:
    """The newest wheel of `member` in `folder`."""
    found: list[tuple[Version, Path]] = []
    for wheel in folder.glob("*.whl"):
        try:
            name, version, _, _ = parse_wheel_filename(wheel.name)
        except ValueError:
            continue
        if name == member.key:
            found.append((version, wheel))
    if not found:
        raise DistroError(f"no wheel of `{member.name}` in `{folder}` (member at line {member.line})")
    return max(found)[1]


def _build_project(project: Path, out: Path, member: Member) -> Path:
    from torchsmith.target import find_uv

    out.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [find_uv(), "build", "--wheel", "--out-dir", str(out), str(project)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise DistroError(
            f"cannot build member `{member.name}` from `{project}`: {done.stderr.strip()[-400:]}"
        )
    return _pick_wheel(out, member)


def _local(distro: Distro, member: Member) -> MemberInfo:
    path = Path(member.source.value)
    path = path if path.is_absolute() else (distro.root / path).resolve()
    if path.is_file():
        wheel = path
    elif (path / "pyproject.toml").exists() or (path / "setup.py").exists():
        wheel = _build_project(path, distro.root / ".distro" / "build" / member.key, member)
    elif path.is_dir():
        wheel = _pick_wheel(path, member)
    else:
        raise DistroError(f"`path` of member `{member.name}` does not exist: `{path}`")
    name, version, requires = wheel_metadata(wheel)
    if canonicalize_name(name) != member.key:
        raise DistroError(f"`{wheel.name}` is `{name}`, not member `{member.name}`")
    if member.requires is not None:
        requires = member.requires
    from torchsmith.distro.channel import file_sha256

    digest = file_sha256(wheel)
    return MemberInfo(
        member.name,
        version,
        requires,
        f"{member.name} @ {wheel.as_uri()}",
        wheel=wheel,
        sha256=digest,
        filename=wheel.name,
    )


def _from_index(
    distro: Distro, member: Member, settings: IndexSettings, index: str, reporter: Reporter
) -> MemberInfo:
    from torchsmith.distro.metadata import index_requires, pick_file, project_page

    req = Requirement(member.source.value)
    client = settings.client(reporter)
    page = project_page(client, index, member.name)
    pre = member.prereleases or any(Version(s.version.rstrip(".*")).is_prerelease for s in req.specifier)
    file, version = pick_file(page.files, req, prereleases=pre)
    if file is None:
        hint = "" if pre else "; pre-releases are not considered (`prereleases = true` allows them)"
        raise DistroError(f"no file of `{member.source.value}` on `{index}` (member `{member.name}`){hint}")
    if member.requires is not None:
        requires = tuple(member.requires)
    else:
        requires = index_requires(client, file, distro.root / ".distro" / "downloads")
    return MemberInfo(
        member.name,
        str(version),
        requires,
        f"{member.name}=={version}",
        url=file.url,
        sha256=file.sha256,
        filename=file.filename,
    )


def resolve_members(
    distro: Distro, *, settings: IndexSettings | None = None, reporter: Reporter | None = None
) -> dict[str, MemberInfo]:
    """Each member's version and `Requires-Dist`, keyed by canonical name."""
    import os

    reporter = reporter or NullReporter()
    settings = settings or IndexSettings.from_env(os.environ)
    index = distro.index_url or settings.default_index
    out: dict[str, MemberInfo] = {}
    for member in distro.members:
        kind = member.source.kind
        if kind == "path":
            info = _local(distro, member)
        elif kind == "requirement":
            info = _from_index(distro, member, settings, index, reporter)
        else:
            url = f"{member.name} @ git+{member.source.value}@{member.source.ref}"
            info = MemberInfo(member.name, member.source.ref or "", member.requires or (), url, url=url)
        out[member.key] = info
    return out


@dataclass(frozen=True, slots=True)
class Graph:
    """Member → the members it requires (edges only between members), in registry order."""

    order: tuple[str, ...]
    deps: dict[str, tuple[str, ...]]

    @classmethod
    def from_infos(cls, names: Sequence[str], infos: dict[str, MemberInfo]) -> Graph:
        keys = [canonicalize_name(n) for n in names]
        deps: dict[str, tuple[str, ...]] = {}
        for key in keys:
            wanted = {canonicalize_name(Requirement(r).name) for r in _runtime(infos[key].requires)}
            deps[key] = tuple(k for k in keys if k in wanted and k != key)
        return cls(tuple(keys), deps)

    def dependents(self, name: str) -> tuple[str, ...]:
        key = canonicalize_name(name)
        return tuple(k for k in self.order if key in self.deps[k])

    def topological(self, subset: Iterable[str] | None = None) -> tuple[str, ...]:
        """Members (all, or `subset`) with every member after the members it requires; ties keep registry
        order. A cycle raises `DistroError` naming it."""
        wanted = set(self.order if subset is None else (canonicalize_name(s) for s in subset))
        done: list[str] = []
        left = list(self.order)
        while left:
            ready = next((k for k in left if all(d in done for d in self.deps[k])), None)
            if ready is None:
                raise DistroError(f"members depend on each other in a cycle: {self._cycle(left)}")
            done.append(ready)
            left.remove(ready)
        return tuple(k for k in done if k in wanted)

    def _cycle(self, left: list[str]) -> str:
        path = [left[0]]
        while True:
            nxt = next(d for d in self.deps[path[-1]] if d in left)
            if nxt in path:
                return " → ".join([*path[path.index(nxt) :], nxt])
            path.append(nxt)

    def downstream(self, name: str) -> tuple[str, ...]:
        """`name` and every member that requires it, directly or not, in test order."""
        key = canonicalize_name(name)
        closure: set[str] = {key}
        changed = True
        while changed:
            changed = False
            for other in self.order:
                if other not in closure and any(dep in closure for dep in self.deps[other]):
                    closure.add(other)
                    changed = True
        return self.topological(closure)

    def to_json(self) -> dict[str, Any]:
        return {"order": list(self.order), "deps": {k: list(v) for k, v in self.deps.items()}}


def build_graph(
    distro: Distro, *, settings: IndexSettings | None = None, reporter: Reporter | None = None
) -> tuple[Graph, dict[str, MemberInfo]]:
    infos = resolve_members(distro, settings=settings, reporter=reporter)
    return Graph.from_infos([m.name for m in distro.members], infos), infos


@dataclass(frozen=True, slots=True)
class AffectedResult:
    """`distro affected PKG`: what to test, in order, when PKG changes."""

    package: str
    order: tuple[str, ...]

    @property
    def exit_code(self) -> int:
        return 0

    def to_json(self) -> dict[str, Any]:
        return {"package": self.package, "affected": list(self.order)}

    def summary(self) -> str:
        return "\n".join(self.order)


def affected(
    *,
    distro_path: Path,
    package: str,
    settings: IndexSettings | None = None,
    reporter: Reporter | None = None,
) -> AffectedResult:
    """`package` and its downstream closure in test order."""
    distro = load_distro(distro_path)
    member = distro.member(package)
    graph, _ = build_graph(distro, settings=settings, reporter=reporter)
    return AffectedResult(member.name, graph.downstream(member.name))
