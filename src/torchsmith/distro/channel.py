"""The channel on disk: a static PEP 503/691 index with PEP 658 metadata, swapped in atomically, locked.

Layout: `<output>/files/` holds the distributions and their `.metadata`; `<output>/simple` is a symbolic
link to a fully built snapshot `<output>/.snapshots/simple-<n>`. A new index is built beside the old one and
published by replacing the link (`os.replace` of a new link over the old: one atomic rename, POSIX
https://man7.org/linux/man-pages/man2/rename.2.html), so a reader always sees a complete index, old or new,
and never a moment without `simple/`. The previous snapshot is kept (a reader may be inside it); older ones
are removed. Every writer holds an exclusive `fcntl.flock` on `<output>/.lock`, so parallel promotes run
one after the other instead of racing, and a crashed promote's leftovers are cleared by the next one.
Specs: https://peps.python.org/pep-0503/ https://peps.python.org/pep-0691/ https://peps.python.org/pep-0658/
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import html
import json
import shutil
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

from packaging.utils import canonicalize_name, parse_wheel_filename

from torchsmith.fileio import atomic_write_bytes, atomic_write_text

__all__ = ["channel_lock", "file_sha256", "place", "wheel_metadata_bytes", "write_index"]


@contextlib.contextmanager
def channel_lock(output: Path) -> Iterator[None]:
    """Hold the channel's exclusive lock (blocking until another promote is done)."""
    output.mkdir(parents=True, exist_ok=True)
    with (output / ".lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def wheel_metadata_bytes(wheel: Path) -> bytes:
    with zipfile.ZipFile(wheel) as archive:
        names = [n for n in archive.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")]
        return archive.read(names[0])


def place(wheel: Path, files: Path) -> None:
    """Copy `wheel` and its PEP 658 `.metadata` into `files` (each an atomic write: never a partial file)."""
    atomic_write_bytes(files / wheel.name, wheel.read_bytes(), mode=0o644)
    atomic_write_bytes(files / f"{wheel.name}.metadata", wheel_metadata_bytes(wheel), mode=0o644)


def _requires_python(metadata: bytes) -> str | None:
    for line in metadata.decode("utf-8", "replace").splitlines():
        if not line.strip():
            break
        key, _, value = line.partition(":")
        if key.strip().lower() == "requires-python":
            return value.strip()
    return None


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _project_pages(project: str, wheels: list[Path]) -> tuple[str, str]:
    anchors, files = [], []
    for wheel in sorted(wheels, key=lambda w: w.name):
        meta_path = wheel.with_name(f"{wheel.name}.metadata")
        meta = meta_path.read_bytes() if meta_path.exists() else wheel_metadata_bytes(wheel)
        digest, size = file_sha256(wheel), wheel.stat().st_size
        href = f"../../files/{quote(wheel.name)}"
        rp = _requires_python(meta)
        attrs = (
            f'href="{href}#sha256={digest}" data-dist-info-metadata="sha256={_sha(meta)}" '
            f'data-core-metadata="sha256={_sha(meta)}"'
        )
        if rp:
            attrs += f' data-requires-python="{html.escape(rp)}"'
        anchors.append(f"    <a {attrs}>{html.escape(wheel.name)}</a><br/>")
        files.append(
            {
                "filename": wheel.name,
                "url": href,
                "hashes": {"sha256": digest},
                "requires-python": rp,
                "core-metadata": {"sha256": _sha(meta)},
                "dist-info-metadata": {"sha256": _sha(meta)},
                "size": size,
            }
        )
    page = (
        f"<!DOCTYPE html>\n<html><body>\n<h1>Links for {html.escape(project)}</h1>\n"
        + "\n".join(anchors)
        + "\n</body></html>\n"
    )
    doc = {
        "meta": {"api-version": "1.1"},
        "name": project,
        "files": files,
        "versions": sorted({str(parse_wheel_filename(w.name)[1]) for w in wheels}),
    }
    return page, json.dumps(doc, indent=1) + "\n"


def _next_snapshot(snapshots: Path) -> int:
    numbers = [int(p.name.rsplit("-", 1)[1]) for p in snapshots.glob("simple-*") if p.name[7:].isdigit()]
    return max(numbers, default=0) + 1


def write_index(output: Path) -> Path:
    """Rebuild the index from the wheels in `<output>/files` into a new snapshot and flip `<output>/simple`
    to it. Call it holding `channel_lock(output)`."""
    files = output / "files"
    files.mkdir(parents=True, exist_ok=True)
    snapshots = output / ".snapshots"
    snapshots.mkdir(exist_ok=True)
    for leftover in snapshots.glob("*.tmp"):
        shutil.rmtree(leftover, ignore_errors=True) if leftover.is_dir() else leftover.unlink()
    by_project: dict[str, list[Path]] = defaultdict(list)
    for wheel in files.glob("*.whl"):
        by_project[canonicalize_name(parse_wheel_filename(wheel.name)[0])].append(wheel)
    number = _next_snapshot(snapshots)
    build = snapshots / f"simple-{number}.tmp"
    build.mkdir()
    projects = sorted(by_project)
    atomic_write_text(
        build / "index.html",
        "<!DOCTYPE html>\n<html><body>\n"
        + "\n".join(f'    <a href="{p}/">{p}</a><br/>' for p in projects)
        + "\n</body></html>\n",
    )
    root_doc = {"meta": {"api-version": "1.1"}, "projects": [{"name": p} for p in projects]}
    atomic_write_text(build / "index.json", json.dumps(root_doc, indent=1) + "\n")
    for project in projects:
        page, doc = _project_pages(project, by_project[project])
        (build / project).mkdir()
        atomic_write_text(build / project / "index.html", page)
        atomic_write_text(build / project / "index.json", doc)
    build.chmod(0o755)
    final = snapshots / f"simple-{number}"
    build.rename(final)
    simple = output / "simple"
    if simple.is_dir() and not simple.is_symlink():
        # a channel from before snapshots: move the old folder aside once (the only moment without one)
        simple.rename(snapshots / f"simple-{number - 1 if number > 1 else 0}-legacy")
    link = output / f".simple-{number}.tmp"
    with contextlib.suppress(FileNotFoundError):
        link.unlink()
    link.symlink_to(Path(".snapshots") / final.name)
    link.replace(simple)
    keep = {final.name, f"simple-{number - 1}"}
    for old in snapshots.iterdir():
        if old.name not in keep:
            shutil.rmtree(old, ignore_errors=True)
    return simple
