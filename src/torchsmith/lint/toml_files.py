"""Parse pyproject.toml, pixi.toml and uv.toml: values with stdlib `tomllib`, positions with `tomlpos`.

`tomllib` (https://docs.python.org/3/library/tomllib.html) is fast and strict; positions are computed only
when a rule reports something. Malformed TOML becomes a `parse-error` finding at the line and column
`tomllib` names, never an exception.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from torchsmith.findings import Finding, Location
from torchsmith.lint.document import Document, Kind
from torchsmith.lint.registry import rule
from torchsmith.lint.tomlpos import scan_positions

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = ["parse_error", "parse_toml"]

_AT = re.compile(r"\(at line (\d+), column (\d+)\)")


def parse_error(display: str, name: str, message: str, line: int = 1, column: int = 1) -> Finding:
    """The `parse-error` finding shared by every parser."""
    return Finding(
        rule="parse-error",
        severity=rule("parse-error").severity,
        message=message,
        fix="fix the syntax; no other rule ran on this file",
        location=Location(display, line, column, name),
    )


def parse_toml(path: Path, display: str, kind: Kind, text: str) -> Document | Finding:
    """A TOML document, or the `parse-error` finding for text `tomllib` rejects."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        detail = str(error)
        match = _AT.search(detail)
        line, column = (int(match.group(1)), int(match.group(2))) if match else (1, 1)
        if "end of document" in detail:
            line = text.count("\n") + (0 if text.endswith("\n") else 1) or 1
        reason = _AT.sub("", detail).strip().rstrip(".")
        reason = reason[:1].lower() + reason[1:]
        return parse_error(display, path.name, f"invalid TOML: {reason}", line, column)
    return Document(path, display, kind, text, data, lambda: scan_positions(text))
