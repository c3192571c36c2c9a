"""Positions from the raw-text scanner, checked against hand-counted lines and columns."""

from __future__ import annotations

import sys

from torchsmith.lint.tomlpos import scan_positions

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

TEXT = '''# comment [not.a.table]
title = "x # not a comment"
multi = """
[fake]
key = 1
"""

[tool.uv]
sources.torch = [
  { index = "a", marker = "sys_platform == 'linux'" },   # first
    {index="b"},
]
"quoted.key" = 'its'

[[tool.uv.index]]
name = "a"
url = "https://example.org/a"

[[tool.uv.index]]
  name = "b"   # indented

[[fruit]]
[fruit.physical]
color = "red"
[[fruit]]
[[fruit.variety]]
name = "x"
'''


def test_text_is_valid_toml() -> None:
    tomllib.loads(TEXT)


def test_keys_tables_and_array_elements() -> None:
    pos = scan_positions(TEXT)
    assert pos[("title",)] == (2, 1)
    assert pos[("multi",)] == (3, 1)
    assert ("fake",) not in pos  # inside a multi-line string
    assert pos[("tool", "uv")] == (8, 1)
    assert pos[("tool", "uv", "sources", "torch")] == (9, 1)
    assert pos[("tool", "uv", "sources", "torch", 0)] == (10, 3)
    assert pos[("tool", "uv", "sources", "torch", 0, "marker")] == (10, 18)
    assert pos[("tool", "uv", "sources", "torch", 1)] == (11, 5)
    assert pos[("tool", "uv", "sources", "torch", 1, "index")] == (11, 6)
    assert pos[("tool", "uv", "quoted.key")] == (13, 1)
    assert pos[("tool", "uv", "index", 0)] == (15, 1)
    assert pos[("tool", "uv", "index", 0, "url")] == (17, 1)
    assert pos[("tool", "uv", "index", 1)] == (19, 1)
    assert pos[("tool", "uv", "index", 1, "name")] == (20, 3)


def test_nested_arrays_of_tables() -> None:
    pos = scan_positions(TEXT)
    assert pos[("fruit", 0)] == (22, 1)
    assert pos[("fruit", 0, "physical", "color")] == (24, 1)
    assert pos[("fruit", 1)] == (25, 1)
    assert pos[("fruit", 1, "variety", 0, "name")] == (27, 1)


def test_crlf_and_unicode_columns() -> None:
    pos = scan_positions('a = "é"\r\n[t]\r\n  "ü" = 1\r\n')
    assert pos[("t",)] == (2, 1)
    assert pos[("t", "ü")] == (3, 3)


def test_junk_stops_without_raising() -> None:
    assert scan_positions('a = 1\n[b\nc = "') == {("a",): (1, 1)}
