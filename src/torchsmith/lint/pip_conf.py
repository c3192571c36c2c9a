"""Parse pip configuration files (pip.conf, pip.ini): INI sections with `index-url` and friends.

Format: https://pip.pypa.io/en/stable/topics/configuration/ — `[global]`, `[install]`, ... sections whose
keys are long option names (`index-url`, `extra-index-url` with whitespace-separated values, `find-links`).
Values come from `configparser`; positions from a line scan of section headers and keys, because
configparser does not keep them. Keys are normalized as pip does (`index_url` = `index-url`).
"""

from __future__ import annotations

import configparser
from pathlib import Path

from torchsmith.findings import Finding
from torchsmith.lazy_re import lazy
from torchsmith.lint.document import Document, KeyPath, Position
from torchsmith.lint.toml_files import parse_error

__all__ = ["parse_pip_conf"]

_SECTION = lazy(r"^\s*\[([^\]]+)\]")
_KEY = lazy(r"^(\s*)([^=:\s\[#;][^=:]*?)\s*[=:]")


def _key(name: str) -> str:
    return name.strip().lower().replace("_", "-")


def parse_pip_conf(path: Path, display: str, text: str) -> Document | Finding:
    """`{section: {key: value}}` with positions at (section,) and (section, key); or a `parse-error`."""
    parser = configparser.ConfigParser(interpolation=None, strict=False, default_section="\x00none")
    try:
        parser.read_string(text)
    except configparser.MissingSectionHeaderError as error:  # a ParsingError: catch it first
        return parse_error(
            display, path.name, "invalid INI syntax: a key before any `[section]`", error.lineno, 1
        )
    except configparser.ParsingError as error:
        line = error.errors[0][0] if error.errors else 1
        return parse_error(display, path.name, "invalid INI syntax", line, 1)
    except configparser.Error as error:
        return parse_error(display, path.name, f"invalid INI syntax: {type(error).__name__}")
    data = {
        section.lower(): {_key(k): v for k, v in parser.items(section, raw=True)}
        for section in parser.sections()
    }
    positions: dict[KeyPath, Position] = {}
    section = ""
    for number, raw in enumerate(text.splitlines(), start=1):
        header = _SECTION.match(raw)
        if header:
            section = header.group(1).strip().lower()
            positions.setdefault((section,), (number, raw.index("[") + 1))
            continue
        key = _KEY.match(raw)
        if key and section and not raw[:1].isspace():
            positions.setdefault((section, _key(key.group(2))), (number, len(key.group(1)) + 1))
    return Document(path, display, "pip-conf", text, data, positions)
