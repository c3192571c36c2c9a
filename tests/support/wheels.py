"""`make_wheel()`: tiny but valid wheels that real pip and uv install, with knobs to break them.

A wheel is a zip with the package, `<dist>.dist-info/METADATA`, `WHEEL` and `RECORD` (sha256 of every
file, urlsafe base64 without padding): https://packaging.python.org/en/latest/specifications/binary-distribution-format/
The zip is deterministic (fixed timestamps, sorted entries), so a wheel's sha256 is the same on every build
and cached index pages stay valid between test sessions.
"""

from __future__ import annotations

import base64
import hashlib
import re
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Literal

__all__ = ["Broken", "make_wheel", "wheel_filename"]

Broken = Literal[
    "bad-record-hash",  # RECORD lists a wrong sha256 for the package's __init__.py
    "missing-metadata",  # no .dist-info/METADATA
    "missing-record",  # no .dist-info/RECORD
    "missing-wheel",  # no .dist-info/WHEEL
    "wrong-metadata-name",  # METADATA's Name differs from the filename's
    "not-a-zip",  # the file is not a zip archive at all
    "truncated-zip",  # the zip's last bytes are cut off
]

_DATE = (2024, 1, 1, 0, 0, 0)


def _escape(name: str) -> str:
    """The filename form of a project name (PEP 491/625): runs of `-_.` become `_`, lower-cased."""
    return re.sub(r"[-_.]+", "_", name).lower()


def wheel_filename(
    name: str, version: str, python_tag: str, abi_tag: str, platform_tag: str, build_tag: str | None = None
) -> str:
    """`torch-2.5.1+cu124-cp311-cp311-linux_x86_64.whl` from its parts."""
    build = f"-{build_tag}" if build_tag else ""
    return f"{_escape(name)}-{version}{build}-{python_tag}-{abi_tag}-{platform_tag}.whl"


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")
    return f"sha256={digest}"


def _metadata(name: str, version: str, requires_dist: Iterable[str], requires_python: str | None) -> str:
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}", f"Summary: tiny test {name}"]
    if requires_python:
        lines.append(f"Requires-Python: {requires_python}")
    lines += [f"Requires-Dist: {req}" for req in requires_dist]
    return "\n".join(lines) + "\n\n"


def _wheel_file(python_tag: str, abi_tag: str, platform_tag: str, build_tag: str | None) -> str:
    pure = abi_tag == "none" and platform_tag == "any"
    lines = ["Wheel-Version: 1.0", "Generator: torchsmith-tests", f"Root-Is-Purelib: {str(pure).lower()}"]
    lines += [
        f"Tag: {py}-{abi}-{plat}"
        for py in python_tag.split(".")
        for abi in abi_tag.split(".")
        for plat in platform_tag.split(".")
    ]
    if build_tag:
        lines.append(f"Build: {build_tag}")
    return "\n".join(lines) + "\n"


def metadata_text(
    name: str, version: str, *, requires_dist: Iterable[str] = (), requires_python: str | None = None
) -> str:
    """The METADATA a `make_wheel` wheel carries (what an index serves as its PEP 658 `.metadata` file)."""
    return _metadata(name, version, requires_dist, requires_python)


def make_wheel(
    dest: Path,
    name: str,
    version: str,
    python_tag: str = "cp311",
    abi_tag: str = "cp311",
    platform_tag: str = "manylinux_2_28_x86_64",
    *,
    requires_dist: Iterable[str] = (),
    requires_python: str | None = None,
    build_tag: str | None = None,
    files: Mapping[str, str | bytes] | None = None,
    broken: Broken | None = None,
) -> Path:
    """Write a wheel into the directory `dest` and return its path.

    The wheel holds `<pkg>/__init__.py` setting `__version__` (`<pkg>` is the escaped project name, so
    `import torch` works), plus `files` (archive path -> content) and the dist-info files."""
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / wheel_filename(name, version, python_tag, abi_tag, platform_tag, build_tag)
    if broken == "not-a-zip":
        path.write_bytes(b"this is not a zip archive\n")
        return path
    package = _escape(name)
    dist_info = f"{package}-{version}.dist-info"
    entries: dict[str, bytes] = {f"{package}/__init__.py": f'__version__ = "{version}"\n'.encode()}
    for archive_path, content in (files or {}).items():
        entries[archive_path] = content.encode() if isinstance(content, str) else content
    meta_name = f"{name}-wrong" if broken == "wrong-metadata-name" else name
    if broken != "missing-metadata":
        entries[f"{dist_info}/METADATA"] = _metadata(
            meta_name, version, requires_dist, requires_python
        ).encode()
    if broken != "missing-wheel":
        entries[f"{dist_info}/WHEEL"] = _wheel_file(python_tag, abi_tag, platform_tag, build_tag).encode()
    record_path = f"{dist_info}/RECORD"
    record = []
    for archive_path, data in sorted(entries.items()):
        digest = _record_hash(data)
        if broken == "bad-record-hash" and archive_path == f"{package}/__init__.py":
            digest = _record_hash(data + b"# tampered\n")
        record.append(f"{archive_path},{digest},{len(data)}")
    record.append(f"{record_path},,")
    if broken != "missing-record":
        entries[record_path] = ("\n".join(record) + "\n").encode()
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for archive_path, data in sorted(entries.items(), key=lambda item: item[0].endswith("RECORD")):
            info = zipfile.ZipInfo(archive_path, date_time=_DATE)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    if broken == "truncated-zip":
        data = path.read_bytes()
        path.write_bytes(data[: len(data) - 40])
    return path
