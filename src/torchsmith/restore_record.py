"""Restore files are data: a small schema, validated whole before anything is uninstalled or installed.

`install` records the target's torch-family pins before changing anything; `install --restore FILE` puts
them back. The file may come from anywhere (a colleague, a CI artefact, an attacker), so nothing in it is
trusted: every name must be a torch-family distribution name (PEP 508 / PEP 503), every version an exact
PEP 440 version, every URL an `https`/`http`/`file` URL carrying its `#sha256=` hash, and the interpreter
an absolute path. A value that would reach an installer's command line as an option (`--index-url=...`)
or carry a marker or shell text (`torch; rm -rf /`) fails these checks, so it never gets that far.

Shape (version 1):
    {"version": 1, "python": "/abs/path/bin/python",
     "packages": [{"name": "torch", "version": "2.5.1+cu124", "url": null | "https://...#sha256=<hex>"}]}
A file without `version` (written before the schema had one) is read as version 1. A file without `python`
is accepted only when `--python` or `--venv` names the target: it must never fall back to the interpreter
running torchsmith.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from torchsmith.fileio import UserFileError, read_user_text
from torchsmith.lazy_re import lazy
from torchsmith.record import record

__all__ = ["FAMILY", "RestorePin", "RestoreRecord", "load_restore", "pin_from_installed"]

SCHEMA_VERSION = 1
FAMILY = ("torch", "torchvision", "torchaudio")
_LIMIT = 256 * 1024
_HASH = lazy(r"sha256=[0-9a-f]{64}")
_SAFE_URL = lazy(r"[A-Za-z0-9._~:/?#\[\]@!$&'()*+,;=%-]+")


@record
class RestorePin:
    """One recorded distribution: installed again as `name==version`, or `name @ url` when it came by URL."""

    name: str
    version: str
    url: str | None = None

    @property
    def requirement(self) -> str:
        return f"{self.name} @ {self.url}" if self.url else f"{self.name}=={self.version}"

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "url": self.url}


@record
class RestoreRecord:
    """A validated restore file."""

    python: str | None
    packages: tuple[RestorePin, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "version": SCHEMA_VERSION,
            "python": self.python,
            "packages": [p.to_json() for p in self.packages],
        }


def _fail(path: Path, problem: str) -> UserFileError:
    return UserFileError(
        f"invalid restore file `{path}`: {problem}; nothing was changed",
        hint="use a file written by `torchsmith install` (its path is printed after each install)",
    )


def _name(path: Path, where: str, value: Any) -> str:
    from torchsmith.names import canonicalize_name

    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?", value):
        raise _fail(path, f"{where}.name `{value!r}` is not a distribution name")
    name = canonicalize_name(value)
    if name not in FAMILY:
        raise _fail(path, f"{where}.name `{value}` is not a torch-family package ({', '.join(FAMILY)})")
    return name


def _version(path: Path, where: str, value: Any) -> str:
    from packaging.version import InvalidVersion, Version

    if not isinstance(value, str) or value.strip() != value or not value:
        raise _fail(path, f"{where}.version `{value!r}` is not an exact version")
    try:
        Version(value)
    except InvalidVersion:
        raise _fail(path, f"{where}.version `{value}` is not an exact PEP 440 version") from None
    if not re.fullmatch(r"[A-Za-z0-9.+!_-]+", value):
        raise _fail(path, f"{where}.version `{value}` is not an exact PEP 440 version")
    return value


def check_url(value: str) -> str | None:
    """Why `value` is not an acceptable pinned URL (None when it is)."""
    if not _SAFE_URL.fullmatch(value):
        return "it has spaces or characters a URL cannot hold"
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http", "file"):
        return "only `https`, `http` and `file` URLs are accepted"
    if parts.scheme != "file" and not parts.netloc:
        return "it names no host"
    if not _HASH.fullmatch(parts.fragment):
        return "it carries no `#sha256=<64 hex digits>` hash"
    if ";" in value:
        return "it holds `;`"
    return None


def _url(path: Path, where: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _fail(path, f"{where}.url `{value!r}` is not a string")
    problem = check_url(value)
    if problem:
        raise _fail(path, f"{where}.url `{value}` is not accepted: {problem}")
    return value


def parse_record(path: Path, data: Any) -> RestoreRecord:
    """Validate a decoded restore document whole; `UserFileError` (exit 2) naming the first problem."""
    if not isinstance(data, dict):
        raise _fail(path, f"expected a JSON object, found {type(data).__name__}")
    unknown = sorted(set(data) - {"version", "python", "packages"})
    if unknown:
        raise _fail(path, f"unknown key `{unknown[0]}`")
    version = data.get("version", SCHEMA_VERSION)
    if type(version) is not int or version != SCHEMA_VERSION:
        raise _fail(path, f"`version` is `{version!r}`; this torchsmith reads version {SCHEMA_VERSION}")
    python = data.get("python")
    if python is not None and (
        not isinstance(python, str) or not python or "\0" in python or not Path(python).is_absolute()
    ):
        raise _fail(path, f"`python` `{python!r}` is not an absolute path to an interpreter")
    packages = data.get("packages")
    if not isinstance(packages, list):
        raise _fail(path, f"`packages` must be a list, found `{packages!r}`"[:300])
    pins: list[RestorePin] = []
    for index, row in enumerate(packages):
        where = f"packages[{index}]"
        if not isinstance(row, dict):
            raise _fail(path, f"{where} must be an object")
        extra = sorted(set(row) - {"name", "version", "url"})
        if extra:
            raise _fail(path, f"{where} has an unknown key `{extra[0]}`")
        pin = RestorePin(
            _name(path, where, row.get("name")),
            _version(path, where, row.get("version")),
            _url(path, where, row.get("url")),
        )
        if any(p.name == pin.name for p in pins):
            raise _fail(path, f"{where}.name `{pin.name}` is recorded twice")
        pins.append(pin)
    return RestoreRecord(python, tuple(pins))


def load_restore(path: Path) -> RestoreRecord:
    """Read and validate a restore file (regular file, at most 256 KiB, UTF-8 JSON)."""
    text = read_user_text(path, what="restore file", limit=_LIMIT)
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise _fail(path, f"it is not JSON ({error})"[:300]) from None
    return parse_record(path, data)


def pin_from_installed(name: str, version: str, url: str | None) -> RestorePin | None:
    """The pin to record for an installed distribution; its URL only when it carries a hash (else the
    version alone reinstalls it). None when the installed metadata itself is not a valid pin."""
    from packaging.version import InvalidVersion, Version

    try:
        Version(version)
    except InvalidVersion:
        return None
    if url is not None and check_url(url) is not None:
        url = None
    return RestorePin(name, version, url)
