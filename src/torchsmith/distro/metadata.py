"""A member's `Requires-Dist`, read from an index the way installers read it.

pip and uv take a distribution's dependencies from, in order: the PEP 658 `.metadata` file the index
serves beside a wheel (https://peps.python.org/pep-0658/), else the wheel's own `*.dist-info/METADATA`
(pip fetches it by HTTP range requests when it can, or downloads the wheel), else — for a version with only
an sdist — the sdist's metadata (`PKG-INFO`, reliable from Metadata-Version 2.2 when `Requires-Dist` is not
`Dynamic`, https://peps.python.org/pep-0643/; otherwise setuptools' `*.egg-info/requires.txt`). An index
without PEP 658 metadata therefore still gives real edges, never a silently empty list.

Pre-releases are candidates only when asked for (https://packaging.python.org/en/latest/specifications/
version-specifiers/#handling-of-pre-releases): packaging >= 25 `SpecifierSet.contains` admits them by
default, so the flag is always passed explicitly.
"""

from __future__ import annotations

import email.parser
import re
import tarfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import parse_sdist_filename, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from torchsmith.distro.registry import DistroError
from torchsmith.index.client import IndexClient
from torchsmith.index.simple import DistFile, ProjectPage

__all__ = [
    "index_requires",
    "local_path",
    "pick_file",
    "project_page",
    "requires_from_metadata",
    "sdist_requires",
]

_SDIST = (".tar.gz", ".zip")


def _version(file: DistFile) -> tuple[Version | None, int]:
    """(version, preference: 2 universal wheel, 1 other wheel, 0 sdist) of a listed file."""
    try:
        if file.filename.endswith(".whl"):
            _, version, _, tags = parse_wheel_filename(file.filename)
            universal = any(t.abi == "none" and t.platform == "any" for t in tags)
            return version, 2 if universal else 1
        if file.filename.endswith(_SDIST):
            return parse_sdist_filename(file.filename)[1], 0
    except (ValueError, InvalidVersion):
        pass
    return None, -1


def pick_file(
    files: Sequence[DistFile], req: Requirement, *, prereleases: bool
) -> tuple[DistFile | None, Version | None]:
    """The newest version `req` admits (pre-releases only when `prereleases`), and its best file for
    reading metadata: a universal wheel, else any wheel, else the sdist. Yanked files are never picked."""
    best: tuple[Version, int, DistFile] | None = None
    for file in files:
        version, rank = _version(file)
        if version is None or file.yanked:
            continue
        if not req.specifier.contains(version, prereleases=prereleases):
            continue
        if best is None or (version, rank) > (best[0], best[1]):
            best = (version, rank, file)
    return (best[2], best[0]) if best else (None, None)


def requires_from_metadata(data: bytes) -> tuple[str, ...]:
    headers = email.parser.BytesHeaderParser().parsebytes(data)
    return tuple(str(v).strip() for v in headers.get_all("Requires-Dist") or [])


def _wheel_metadata(wheel: Path) -> bytes:
    with zipfile.ZipFile(wheel) as archive:
        names = [n for n in archive.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")]
        if not names:
            raise DistroError(f"`{wheel.name}` has no `.dist-info/METADATA`")
        return archive.read(names[0])


def _requires_txt(text: str) -> tuple[str, ...]:
    """setuptools' `requires.txt`: plain lines, then `[extra]` / `[extra:marker]` / `[:marker]` sections;
    only the unconditional lines and `[:marker]` sections apply without extras."""
    out: list[str] = []
    marker: str | None = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            extra, _, cond = line.strip("[]").partition(":")
            marker = None if extra else cond
            continue
        if marker is None:
            continue
        out.append(f"{line} ; {marker}" if marker else line)
    return tuple(out)


def sdist_requires(sdist: Path) -> tuple[str, ...]:
    """`Requires-Dist` of an sdist without building it: `PKG-INFO` (Metadata 2.2+, not `Dynamic`), else
    `*.egg-info/requires.txt`; raise `DistroError` when neither tells."""
    members: dict[str, bytes] = {}
    wanted = re.compile(r"^[^/]+/(PKG-INFO|[^/]+\.egg-info/requires\.txt|src/[^/]+\.egg-info/requires\.txt)$")
    try:
        if sdist.name.endswith(".zip"):
            with zipfile.ZipFile(sdist) as archive:
                for name in archive.namelist():
                    if wanted.match(name):
                        members[name] = archive.read(name)
        else:
            with tarfile.open(sdist, "r:*") as archive:
                for info in archive.getmembers():
                    if info.isfile() and wanted.match(info.name):
                        handle = archive.extractfile(info)
                        members[info.name] = handle.read() if handle else b""
    except (tarfile.TarError, zipfile.BadZipFile, OSError) as error:
        raise DistroError(f"cannot read the sdist `{sdist.name}`: {error}") from error
    pkg = next((v for k, v in members.items() if k.count("/") == 1 and k.endswith("PKG-INFO")), None)
    if pkg is not None:
        headers = email.parser.BytesHeaderParser().parsebytes(pkg)
        version = Version(str(headers.get("Metadata-Version", "1.0")))
        dynamic = {str(d).strip().lower() for d in headers.get_all("Dynamic") or []}
        if version >= Version("2.2") and "requires-dist" not in dynamic:
            return requires_from_metadata(pkg)
    txt = next((v for k, v in members.items() if k.endswith("requires.txt")), None)
    if txt is not None:
        return _requires_txt(txt.decode("utf-8", "replace"))
    if pkg is not None and requires_from_metadata(pkg):
        return requires_from_metadata(pkg)
    raise DistroError(
        f"the sdist `{sdist.name}` does not state its dependencies without a build",
        hint='list them in the member: `requires = ["..."]`',
    )


def project_page(client: IndexClient, index: str, project: str) -> ProjectPage:
    """A project's page on `index`; a `file://` index (a folder laid out as PEP 503, as uv and pip accept)
    is read from disk, anything else through the index client."""
    from urllib.parse import unquote, urlsplit

    from packaging.utils import canonicalize_name

    from torchsmith.index.simple import parse_html_page

    if not index.startswith("file:"):
        return client.project_page(index, project)
    name = canonicalize_name(project)
    page = Path(unquote(urlsplit(index).path)) / name / "index.html"
    if not page.is_file():
        raise DistroError(f"no project `{project}` on `{index}`")
    url = f"{index.rstrip('/')}/{name}/index.html"
    return parse_html_page(page.read_text(encoding="utf-8"), url, project)


def local_path(file: DistFile) -> Path | None:
    """The path of a `file://` distribution, else None."""
    from urllib.parse import unquote, urlsplit

    split = urlsplit(file.url)
    return Path(unquote(split.path)) if split.scheme == "file" else None


def index_requires(client: IndexClient, file: DistFile, downloads: Path) -> tuple[str, ...]:
    """`Requires-Dist` of `file` as an installer reads it: PEP 658 metadata, else the wheel's `METADATA`
    (downloaded, sha256-checked), else the sdist's."""
    if file.core_metadata is not False:
        return tuple(client.metadata(file))
    folder = downloads / (file.sha256 or "unhashed")
    local = local_path(file) or folder / file.filename
    if not local.exists():
        local = client.download(file, folder)
    if file.filename.endswith(".whl"):
        try:
            return requires_from_metadata(_wheel_metadata(local))
        except (zipfile.BadZipFile, OSError) as error:
            raise DistroError(f"cannot read the wheel `{file.filename}`: {error}") from error
    return sdist_requires(local)
