"""`promote --mirror`: the files a passing cell installed, found by sha256 and copied into the channel.

A channel users install from with `--index-url CHANNEL` and nothing else must hold torch and every
dependency, and exactly the files that were tested. Each passing cell's results list what it installed
(`Pin`: name, version, sha256 hashes from `uv pip compile --generate-hashes`, or the URL of a direct
reference). For each pin a file is taken only if its sha256 is one of the pin's hashes: from a local path
(a `[torch-wheels]` build, a `find-links` folder), else from the distro's index (downloaded, hash-checked).
Only wheels the cell's interpreter can install are copied (tags: https://packaging.python.org/en/latest/
specifications/platform-compatibility-tags/), so a dependency with thirty platform wheels costs one.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from urllib.parse import unquote, urlsplit

from packaging import tags
from packaging.utils import parse_wheel_filename

from torchsmith.distro.cells import Cell
from torchsmith.distro.channel import file_sha256, place
from torchsmith.distro.registry import Distro
from torchsmith.distro.results import Pin
from torchsmith.index.client import IndexClient
from torchsmith.index.settings import IndexSettings
from torchsmith.report import Reporter

__all__ = ["cell_tags", "mirror_pins"]


def cell_tags(cell: Cell) -> set[tags.Tag]:
    """The wheel tags a CPython of the cell's version on x86_64 manylinux (glibc 2.28) installs."""
    major, minor = (int(x) for x in cell.python.split("."))
    platforms = [f"manylinux_2_{n}_x86_64" for n in range(28, 4, -1)]
    platforms += ["manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64", "linux_x86_64"]
    found = set(tags.cpython_tags((major, minor), platforms=platforms))
    found |= set(tags.compatible_tags((major, minor), platforms=platforms))
    return found


def _fits(filename: str, wanted: set[tags.Tag]) -> bool:
    try:
        return bool(set(parse_wheel_filename(filename)[3]) & wanted)
    except ValueError:
        return False


def _local_files(links: Iterable[str]) -> dict[str, Path]:
    """sha256 → file for every wheel in the distro's local `find-links` folders."""
    out: dict[str, Path] = {}
    for link in links:
        folder = Path(link)
        if "://" in link or not folder.is_dir():
            continue
        for wheel in folder.glob("*.whl"):
            out[file_sha256(wheel)] = wheel
    return out


def mirror_pins(
    distro: Distro,
    cells: Sequence[tuple[Cell, Sequence[Pin]]],
    skip: set[str],
    files: Path,
    settings: IndexSettings,
    reporter: Reporter,
) -> tuple[list[str], list[str]]:
    """Copy every pinned file of `cells` (but the members in `skip`, promoted on their own) into `files`.
    Returns (copied file names, problems: pins with no file whose hash matches)."""
    copied: list[str] = []
    problems: list[str] = []
    local = _local_files(distro.find_links)
    client = settings.client(reporter)
    index = distro.index_url or settings.default_index
    with tempfile.TemporaryDirectory(prefix="torchsmith-mirror-") as tmp:
        for cell, pins in cells:
            wanted = cell_tags(cell)
            for pin in pins:
                if pin.name in skip:
                    continue
                got = _one(pin, wanted, local, client, index, Path(tmp))
                if got is None:
                    problems.append(f"{pin.name}=={pin.version} ({cell.id}): no wheel with the tested sha256")
                    continue
                target = files / got.name
                if target.exists():
                    continue
                reporter.step(f"mirroring {got.name}")
                place(got, files)
                copied.append(got.name)
    return copied, problems


def _one(
    pin: Pin, wanted: set[tags.Tag], local: dict[str, Path], client: IndexClient, index: str, tmp: Path
) -> Path | None:
    if pin.url is not None:
        split = urlsplit(pin.url)
        if split.scheme == "file":
            path = Path(unquote(split.path))
            if path.is_file() and (not pin.hashes or file_sha256(path) in pin.hashes):
                return path
            return None
    for sha in pin.hashes:
        if sha in local and _fits(local[sha].name, wanted):
            return local[sha]
    if pin.url is not None:
        from torchsmith.index.simple import DistFile

        name = unquote(pin.url.rsplit("/", 1)[-1].split("#", 1)[0])
        first = pin.hashes[0] if pin.hashes else None
        return client.download(DistFile(name, pin.url.split("#", 1)[0], first), tmp / "direct")
    from torchsmith.distro.metadata import local_path, project_page

    page = project_page(client, index, pin.name)
    for file in page.files:
        if file.sha256 in pin.hashes and file.filename.endswith(".whl") and _fits(file.filename, wanted):
            on_disk = local_path(file)
            if on_disk is not None:
                return on_disk if on_disk.is_file() and file_sha256(on_disk) == file.sha256 else None
            return client.download(file, tmp / pin.name)
    return None
