"""Shared loading for the knowledge tables: read a TOML data file, check sources, collect problems.

Each table module calls `load_table(name)` once (cached) and turns rows into typed values through a
`Problems` collector, so that a malformed table reports every bad row at once.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import zlib
from collections.abc import Callable
from functools import cache

from torchsmith.errors import KnowledgeError
from torchsmith.paths import cache_root

TYPE_CHECKING = False  # `typing` stays unloaded at start-up (issue 17); mypy reads the name as typing's
if TYPE_CHECKING:
    from typing import Any, TypeVar

    from packaging.version import Version

    Row = dict[str, Any]

    T = TypeVar("T")

__all__ = ["Problems", "Table", "load_table", "optional_version", "version"]

_DATA = os.path.join(os.path.dirname(__file__), "data")


class Table:
    """A parsed data file: its declared sources and its rows (the `[[row]]` array by default)."""

    def __init__(self, name: str, data: dict[str, Any]) -> None:
        self.name = name
        self.data = data
        sources = data.get("sources", {})
        self.sources: dict[str, dict[str, Any]] = sources if isinstance(sources, dict) else {}

    def rows(self, key: str = "row") -> list[Row]:
        rows = self.data.get(key, [])
        return rows if isinstance(rows, list) else []


class Problems:
    """Collects `file: row N: field: problem` lines; `raise_if_any()` raises them as one KnowledgeError."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.items: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.items.append(f"{self.table.name}.toml: {where}: {message}")

    def field(self, row: Row, index: int, key: str, convert: Callable[[Any], T], default: Any = ...) -> T:
        """Convert `row[key]`; record a problem (and return `default` or None) when missing or invalid."""
        where = f"row {index + 1}: `{key}`"
        if key not in row:
            if default is not ...:
                return default  # type: ignore[no-any-return]
            self.add(where, "missing")
            return None  # type: ignore[return-value]
        try:
            return convert(row[key])
        except (ValueError, TypeError, KeyError) as error:  # packaging's InvalidVersion is a ValueError
            self.add(where, f"invalid value `{row[key]}` ({error})")
            return None  # type: ignore[return-value]

    def check_source(self, row: Row, index: int, key: str = "source") -> None:
        """Every row names a source declared in the file's `[sources.*]` tables."""
        names = row.get(key)
        for name in names if isinstance(names, list) else [names]:
            if name not in self.table.sources:
                self.add(f"row {index + 1}: `{key}`", f"unknown source `{name}`")

    def raise_if_any(self) -> None:
        if self.items:
            raise KnowledgeError(
                f"{len(self.items)} problem(s) in knowledge table `{self.table.name}`:\n  "
                + "\n  ".join(self.items),
                hint="this is a bug in torchsmith's shipped data; please report it",
            )


def version(value: Any) -> Version:
    """A field that must be a version (`12.6`, `525.60.13`). packaging is imported by the first table that
    holds versions: a probe on a machine without a GPU reads only backend names (issue 17)."""
    from packaging.version import Version

    return Version(str(value))


def optional_version(value: Any) -> Version | None:
    return None if value is None else version(value)


def _parse(name: str, raw: bytes) -> dict[str, Any]:
    """Parse a data file, through a JSON copy in the cache keyed by the file's size and CRC.

    tomllib is pure Python and the release table is on the probe's hot path; JSON of the same content
    loads an order of magnitude faster. Dates (`retrieved = 2026-11-21`) come back as strings either way,
    so both paths give the same values. Any cache problem silently falls back to parsing the TOML.
    """
    key = f"{name}-{len(raw)}-{zlib.crc32(raw):08x}.json"
    cached = os.path.join(cache_root(), "knowledge", key)
    with contextlib.suppress(OSError, ValueError), open(cached, "rb") as handle:
        data: dict[str, Any] = json.loads(handle.read())
        return data
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib
    try:
        parsed = tomllib.loads(raw.decode("utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise KnowledgeError(f"knowledge table `{name}.toml` is not valid TOML: {error}") from error
    text = json.dumps(parsed, default=str)
    from torchsmith.fileio import UserFileError, atomic_write_text

    with contextlib.suppress(OSError, UserFileError):  # the cache only saves time: never fail for it
        os.makedirs(os.path.dirname(cached), exist_ok=True)
        atomic_write_text(cached, text)
    result: dict[str, Any] = json.loads(text)
    return result


@cache
def load_table(name: str) -> Table:
    """Read `data/<name>.toml` shipped in the package (parsed once per process)."""
    try:
        with open(os.path.join(_DATA, f"{name}.toml"), "rb") as handle:
            raw = handle.read()
    except FileNotFoundError as error:
        raise KnowledgeError(f"knowledge table `{name}` is missing from the package") from error
    return Table(name, _parse(name, raw))
