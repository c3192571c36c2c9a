"""Dependencies read as installers read them, from a real HTTP index with no PEP 658 metadata.

Before issue 12 a member on such an index had no dependencies at all (the PEP 658 file was the only
source). pip's order (https://pip.pypa.io/en/stable/topics/more-dependency-resolution/ and PEP 658): the
`.metadata` file when the index serves one, else the wheel's own `*.dist-info/METADATA`, else the sdist's
`PKG-INFO` (trusted from Metadata-Version 2.2 unless `Requires-Dist` is `Dynamic`, PEP 643) or setuptools'
`egg-info/requires.txt`. Pre-releases are candidates only when asked for (PEP 440, "Handling of
pre-releases"): `foo` must pick 2.0, not 3.0rc1.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
from pathlib import Path

import pytest

from tests.support.server import serve
from tests.support.wheels import make_wheel
from torchsmith.distro.graph import resolve_members
from torchsmith.distro.metadata import sdist_requires
from torchsmith.distro.registry import DistroError, load_distro
from torchsmith.index.settings import IndexSettings


def _sdist(folder: Path, name: str, version: str, files: dict[str, str]) -> Path:
    path = folder / f"{name}-{version}.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for inner, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{name}-{version}/{inner}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def _index(root: Path) -> None:
    """A PEP 503 index with plain links only: no data-core-metadata, no .metadata files."""
    files = root / "files"
    make_wheel(files, "foo", "1.0", "py3", "none", "any", requires_dist=["bar", "baz ; extra == 'x'"])
    make_wheel(files, "foo", "3.0rc1", "py3", "none", "any", requires_dist=["bar>=3.0rc1"])
    _sdist(
        files,
        "foo",
        "2.0",
        {
            "PKG-INFO": "Metadata-Version: 2.1\nName: foo\nVersion: 2.0\n",
            "foo.egg-info/requires.txt": 'bar>=2\n\n[:python_version < "3.9"]\nqux\n\n[test]\npytest\n',
        },
    )
    page = root / "simple" / "foo"
    page.mkdir(parents=True)
    links = "".join(
        f'<a href="../../files/{p.name}#sha256={hashlib.sha256(p.read_bytes()).hexdigest()}">{p.name}</a>\n'
        for p in sorted(files.iterdir())
    )
    (page / "index.html").write_text(f"<!DOCTYPE html><html><body>\n{links}</body></html>\n")


@pytest.mark.parametrize(
    ("requirement", "extra", "version", "requires"),
    [
        ("foo", "", "2.0", ("bar>=2", 'qux ; python_version < "3.9"')),  # sdist: egg-info/requires.txt
        ("foo<2", "", "1.0", ("bar", "baz ; extra == 'x'")),  # the wheel's own METADATA (downloaded)
        ("foo", "prereleases = true\n", "3.0rc1", ("bar>=3.0rc1",)),  # asked for: the pre-release
        ("foo>=3.0rc1", "", "3.0rc1", ("bar>=3.0rc1",)),  # a pre-release in the specifier asks too
    ],
)
def test_dependencies_without_pep658(
    tmp_path: Path, requirement: str, extra: str, version: str, requires: tuple[str, ...]
) -> None:
    _index(tmp_path / "index")
    with serve(tmp_path / "index") as url:
        path = tmp_path / "distro.toml"
        path.write_text(
            f'[distro]\nname = "d"\nindex-url = "{url}/simple"\n\n'
            '[matrix]\ntorch = ["2.9"]\nbackends = ["cpu"]\npythons = ["3.11"]\n\n'
            f'[[member]]\nname = "foo"\nrequirement = "{requirement}"\n{extra}'
        )
        settings = IndexSettings.from_env({"TORCHSMITH_CACHE_DIR": str(tmp_path / "cache")})
        info = resolve_members(load_distro(path), settings=settings)["foo"]
    assert (info.version, info.requires) == (version, requires)
    assert info.sha256 is not None and info.filename is not None and version in info.filename


def test_sdist_that_cannot_tell_its_dependencies_is_an_error(tmp_path: Path) -> None:
    bare = _sdist(tmp_path, "foo", "1.0", {"PKG-INFO": "Metadata-Version: 2.1\nName: foo\nVersion: 1.0\n"})
    with pytest.raises(DistroError, match="does not state its dependencies without a build"):
        sdist_requires(bare)
    modern = _sdist(
        tmp_path,
        "foo",
        "2.0",
        {"PKG-INFO": "Metadata-Version: 2.2\nName: foo\nVersion: 2.0\nRequires-Dist: bar>=1\n"},
    )
    assert sdist_requires(modern) == ("bar>=1",)
    dynamic = _sdist(
        tmp_path,
        "foo",
        "3.0",
        {"PKG-INFO": "Metadata-Version: 2.2\nName: foo\nVersion: 3.0\nDynamic: Requires-Dist\n"},
    )
    with pytest.raises(DistroError):
        sdist_requires(dynamic)
