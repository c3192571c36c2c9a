"""Parse pyproject.toml, pixi.toml and uv.toml: values with stdlib `tomllib`, positions with `tomlpos`.

`tomllib` (https://docs.python.org/3/library/tomllib.html) is fast and strict (TOML 1.0); text it rejects
gets a second chance as TOML 1.1 (`_toml_1_1`), for the multi-line inline tables pixi's documentation uses.
Positions are computed only when a rule reports something. Malformed TOML becomes a `parse-error`
finding at the line and column `tomllib` names, never an exception.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from torchsmith.findings import Finding, Location
from torchsmith.lazy_re import lazy
from torchsmith.lint.document import Document, Kind
from torchsmith.lint.registry import rule
from torchsmith.lint.tomlpos import scan_positions

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = ["parse_error", "parse_toml"]

_AT = lazy(r"\(at line (\d+), column (\d+)\)")
_OTHER_1_1 = lazy(r"\\[ex]|(?<![\d:])\d\d:\d\d(?![\d:])")
"""TOML 1.1's other additions: the `\\e` and `\\xHH` escapes, times without seconds (a superset: a match
only means tomlkit is asked)."""


def parse_error(display: str, name: str, message: str, line: int = 1, column: int = 1) -> Finding:
    """The `parse-error` finding shared by every parser."""
    return Finding(
        rule="parse-error",
        severity=rule("parse-error").severity,
        message=message,
        fix="fix the syntax; no other rule ran on this file",
        location=Location(display, line, column, name),
    )


def _toml_1_1(text: str) -> dict[str, Any] | None:
    """TOML 1.1 (newlines and trailing commas in inline tables, as pixi's own docs write), or None.

    Only tried when `tomllib` (TOML 1.0) rejects the text. Inline tables are rewritten as TOML 1.0 and read
    by `tomllib` (`toml11.py`); tomlkit, which reads all of TOML 1.1 but costs more to import than linting
    a whole repository, is asked only when the text uses another TOML 1.1 addition (`\\e`, `\\xHH`, a time
    without seconds): without those, text that is not TOML 1.0 is not TOML 1.1 either.
    """
    from torchsmith.lint.toml11 import inline_tables_to_1_0

    rewritten = inline_tables_to_1_0(text)
    if rewritten is not None:
        try:
            data: dict[str, Any] = tomllib.loads(rewritten)
        except tomllib.TOMLDecodeError:
            pass
        else:
            return data
    if not _OTHER_1_1.search(text):
        return None
    import tomlkit

    try:
        value = tomlkit.parse(text).unwrap()
    except Exception:  # tomlkit raises more than TOMLKitError on junk; junk stays a parse-error
        return None
    return value if isinstance(value, dict) else None


def parse_toml(path: Path, display: str, kind: Kind, text: str) -> Document | Finding:
    """A TOML document, or the `parse-error` finding for text `tomllib` rejects."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        lenient = _toml_1_1(text)
        if lenient is not None:
            return Document(path, display, kind, text, lenient, lambda: scan_positions(text))
        detail = str(error)
        match = _AT.search(detail)
        line, column = (int(match.group(1)), int(match.group(2))) if match else (1, 1)
        if "end of document" in detail:
            line = text.count("\n") + (0 if text.endswith("\n") else 1) or 1
        reason = _AT.sub("", detail).strip().rstrip(".")
        reason = reason[:1].lower() + reason[1:]
        return parse_error(display, path.name, f"invalid TOML: {reason}", line, column)
    return Document(path, display, kind, text, data, lambda: scan_positions(text))
