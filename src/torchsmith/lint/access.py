"""Typed access to parsed config data, which is `Any` until a rule has checked its shape.

Configs in the wild hold anything (a string where a table belongs); rules read them through these
helpers, which return an empty value for the wrong type instead of raising.
"""

from __future__ import annotations

from typing import Any

__all__ = ["at_path", "str_list", "table", "text"]


def table(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def at_path(data: Any, path: tuple[str, ...]) -> dict[str, Any]:
    """The table at `path` (`("tool", "uv")`), or {} when any step is missing or not a table."""
    current = table(data)
    for key in path:
        current = table(current.get(key))
    return current


def str_list(value: Any) -> list[str]:
    """A list of strings (a single string counts as a one-element list); anything else -> []."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
