"""Write wheels as a static "simple" repository tree, laid out like download.pytorch.org and PyPI.

Backend indexes (PEP 503 HTML only, as pytorch/test-infra's `manage_v2.py` generates them):
    <root>/whl/<backend>/index.html                      links to each project
    <root>/whl/<backend>/<project>/index.html            anchors: `href="/whl/<backend>/<file>#sha256=..."`
                                                         (absolute path, `+` as `%2B`), `data-requires-python`
                                                         (HTML-escaped), `data-dist-info-metadata` and
                                                         `data-core-metadata` (`sha256=...`)
    <root>/whl/<backend>/<file>, <file>.metadata         the wheel and its PEP 658 core metadata
The PyPI-like index (PEP 503 HTML and PEP 691 JSON, relative links, as PyPI serves them):
    <root>/pypi/simple/index.html|index.json, <root>/pypi/simple/<project>/index.html|index.json
    <root>/pypi/packages/<file>, <file>.metadata
A wheel without METADATA gets no `.metadata` file and no metadata attributes.
"""

from __future__ import annotations

import hashlib
import html
import json
import shutil
import zipfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from packaging.utils import canonicalize_name, parse_wheel_filename

from tests.support.catalog import PYPI, Catalog, standard_catalog
from tests.support.wheels import make_wheel

__all__ = ["build_index", "build_standard_index", "files_dir"]

_UPLOAD_TIME = "2024-01-01T00:00:00.000000Z"


def files_dir(root: Path, index: str) -> Path:
    """Where the files of `index` live in the tree (build wheels there to avoid a copy)."""
    return root / "pypi" / "packages" if index == PYPI else root / "whl" / index


@dataclass(frozen=True, slots=True)
class _Entry:
    filename: str
    sha256: str
    size: int
    requires_python: str | None
    metadata_sha256: str | None


def _read_metadata(path: Path) -> bytes | None:
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")]
            return archive.read(names[0]) if names else None
    except (zipfile.BadZipFile, OSError, KeyError):
        return None


def _requires_python(metadata: bytes) -> str | None:
    for line in metadata.decode("utf-8", "replace").splitlines():
        if not line.strip():
            break
        key, _, value = line.partition(":")
        if key.strip().lower() == "requires-python":
            return value.strip()
    return None


def _place(index_dir: Path, path: Path) -> _Entry:
    """Put the wheel (and its `.metadata`) into `index_dir`; describe it for the pages."""
    index_dir.mkdir(parents=True, exist_ok=True)
    target = index_dir / path.name
    if target.resolve() != path.resolve():
        shutil.copyfile(path, target)
    data = target.read_bytes()
    metadata = _read_metadata(target)
    metadata_sha = None
    if metadata is not None:
        (index_dir / f"{path.name}.metadata").write_bytes(metadata)
        metadata_sha = hashlib.sha256(metadata).hexdigest()
    return _Entry(
        filename=path.name,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        requires_python=_requires_python(metadata) if metadata is not None else None,
        metadata_sha256=metadata_sha,
    )


def _anchor(href: str, entry: _Entry) -> str:
    attrs = [f'href="{href}#sha256={entry.sha256}"']
    if entry.requires_python:
        attrs.append(f'data-requires-python="{html.escape(entry.requires_python)}"')
    if entry.metadata_sha256:
        attrs.append(f'data-dist-info-metadata="sha256={entry.metadata_sha256}"')
        attrs.append(f'data-core-metadata="sha256={entry.metadata_sha256}"')
    return f"    <a {' '.join(attrs)}>{html.escape(entry.filename)}</a><br/>"


def _html_page(title: str, anchors: Iterable[str]) -> str:
    body = "\n".join(anchors)
    return (
        "<!DOCTYPE html>\n<html>\n  <body>\n"
        f"    <h1>{html.escape(title)}</h1>\n{body}\n  </body>\n</html>\n<!--TIMESTAMP 1704067200-->\n"
    )


def _json_page(project: str, entries: list[_Entry]) -> str:
    files = []
    for entry in entries:
        item: dict[str, object] = {
            "filename": entry.filename,
            "url": f"../../packages/{quote(entry.filename)}",
            "hashes": {"sha256": entry.sha256},
            "requires-python": entry.requires_python,
            "size": entry.size,
            "upload-time": _UPLOAD_TIME,
            "yanked": False,
        }
        if entry.metadata_sha256:
            item["core-metadata"] = {"sha256": entry.metadata_sha256}
            item["dist-info-metadata"] = {"sha256": entry.metadata_sha256}
        files.append(item)
    versions = sorted({str(parse_wheel_filename(e.filename)[1]) for e in entries})
    doc = {"meta": {"api-version": "1.1"}, "name": project, "versions": versions, "files": files}
    return json.dumps(doc, indent=1) + "\n"


def build_index(root: Path, wheels: Iterable[tuple[str, Path]]) -> None:
    """Write the tree for `wheels`, given as (index name, wheel path) pairs; `pypi` is the PyPI side."""
    by_index: dict[str, dict[str, list[_Entry]]] = defaultdict(lambda: defaultdict(list))
    for index, path in wheels:
        project = str(canonicalize_name(parse_wheel_filename(path.name)[0]))
        by_index[index][project].append(_place(files_dir(root, index), path))
    for index, projects in by_index.items():
        pypi = index == PYPI
        pages = root / "pypi" / "simple" if pypi else root / "whl" / index
        pages.mkdir(parents=True, exist_ok=True)
        listing = [f'    <a href="{p}/">{p}</a><br/>' for p in sorted(projects)]
        (pages / "index.html").write_text(_html_page("Simple index", listing), encoding="utf-8")
        if pypi:
            doc = {"meta": {"api-version": "1.1"}, "projects": [{"name": p} for p in sorted(projects)]}
            (pages / "index.json").write_text(json.dumps(doc) + "\n", encoding="utf-8")
        for project, entries in projects.items():
            entries.sort(key=lambda e: e.filename)
            page_dir = pages / project
            page_dir.mkdir(exist_ok=True)
            if pypi:
                anchors = [_anchor(f"../../packages/{quote(e.filename)}", e) for e in entries]
                (page_dir / "index.json").write_text(_json_page(project, entries), encoding="utf-8")
            else:
                anchors = [_anchor(f"/whl/{index}/{quote(e.filename)}", e) for e in entries]
            (page_dir / "index.html").write_text(
                _html_page(f"Links for {project}", anchors), encoding="utf-8"
            )


def build_standard_index(root: Path, catalog: Catalog | None = None) -> Catalog:
    """Build every wheel of `catalog` (default: the standard one) into `root` and write its pages."""
    catalog = catalog or standard_catalog()
    built = []
    for spec in catalog.wheels:
        path = make_wheel(
            files_dir(root, spec.index),
            spec.name,
            spec.version,
            spec.python_tag,
            spec.abi_tag,
            spec.platform_tag,
            requires_dist=spec.requires_dist,
            requires_python=spec.requires_python,
            build_tag=spec.build_tag,
        )
        built.append((spec.index, path))
    build_index(root, built)
    return catalog
