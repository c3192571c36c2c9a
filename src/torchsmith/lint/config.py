"""`torchsmith lint` settings: `[tool.torchsmith.lint]` in pyproject.toml or `[lint]` in torchsmith.toml.

Modelled on ruff's (https://docs.astral.sh/ruff/settings/): `select`, `ignore` (rule ids),
`per-file-ignores` (gitignore-style pattern -> rule ids), `exclude` (replaces the default folder list)
and `extend-exclude` (adds to it). The nearest folder at or above the current one that holds a
`torchsmith.toml`, or a `pyproject.toml` with a `[tool.torchsmith.lint]` table, is the project root;
`torchsmith.toml` wins when a folder has both (as `ruff.toml` beats pyproject.toml). Patterns are
relative to that root. A malformed setting is a `UsageError` naming the file and key (exit 2).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from torchsmith.errors import UsageError
from torchsmith.record import field, record

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = ["Settings", "find_settings", "load_settings"]

_KEYS = frozenset({"select", "ignore", "per-file-ignores", "exclude", "extend-exclude"})


@record
class Settings:
    """Lint settings; `source` is the file they came from (None: defaults)."""

    root: Path
    source: Path | None = None
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    per_file_ignores: dict[str, tuple[str, ...]] = field(default_factory=dict)
    exclude: tuple[str, ...] | None = None
    extend_exclude: tuple[str, ...] = ()


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UsageError(f"{where} must be a list of strings", hint='e.g. `ignore = ["insecure-index"]`')
    return tuple(value)


def _table(path: Path, *, searching: bool = False) -> dict[str, Any] | None:
    """The lint table of `path`; None when a pyproject.toml has no `[tool.torchsmith]` (or, while
    searching, is unreadable: then it is the linter's business, reported as a finding)."""
    from torchsmith.fileio import UserFileError, read_user_bytes

    try:
        raw = read_user_bytes(path, what="config file")
        if searching and b"torchsmith" not in raw:
            return None
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, UserFileError) as error:
        if searching:
            return None
        raise UsageError(f"cannot read lint settings from `{path}`: {error}", hint=f"fix `{path}`") from error
    if path.name != "pyproject.toml":
        lint: Any = data.get("lint", {})
    else:
        tool = data.get("tool")
        own = tool.get("torchsmith") if isinstance(tool, dict) else None
        if not isinstance(own, dict):
            return None
        lint = own.get("lint", {})
    if not isinstance(lint, dict):
        raise UsageError(f"`lint` settings in `{path}` must be a table")
    return lint


def load_settings(path: Path) -> Settings:
    """Settings from one file: `[tool.torchsmith.lint]` of a pyproject.toml, else the `[lint]` table
    (torchsmith.toml, or any file named with `--config`)."""
    lint = _table(path) or {}
    where = "[lint]" if path.name != "pyproject.toml" else "[tool.torchsmith.lint]"
    unknown = sorted(set(lint) - _KEYS)
    if unknown:
        raise UsageError(
            f"unknown key `{unknown[0]}` in {where} of `{path}`",
            hint="valid keys: " + ", ".join(f"`{k}`" for k in sorted(_KEYS)),
        )
    per_file: dict[str, tuple[str, ...]] = {}
    raw = lint.get("per-file-ignores", {})
    if not isinstance(raw, dict):
        raise UsageError(f"`per-file-ignores` in {where} of `{path}` must be a table of pattern = [ids]")
    for pattern, ids in raw.items():
        per_file[str(pattern)] = _strings(ids, f'`per-file-ignores."{pattern}"` in {where} of `{path}`')
    return Settings(
        root=path.parent.absolute(),
        source=path,
        select=_strings(lint["select"], f"`select` in {where} of `{path}`") if "select" in lint else None,
        ignore=_strings(lint.get("ignore", []), f"`ignore` in {where} of `{path}`"),
        per_file_ignores=per_file,
        exclude=_strings(lint["exclude"], f"`exclude` in {where} of `{path}`") if "exclude" in lint else None,
        extend_exclude=_strings(lint.get("extend-exclude", []), f"`extend-exclude` in {where} of `{path}`"),
    )


def find_settings(start: Path, explicit: Path | None = None) -> Settings:
    """The settings for a run from folder `start` (or from the `--config` file `explicit`)."""
    if explicit is not None:
        if not explicit.is_file():
            raise UsageError(f"no such config file `{explicit}` (from `--config`)")
        return load_settings(explicit)
    folder = start.absolute()
    for candidate in (folder, *folder.parents):
        own = candidate / "torchsmith.toml"
        if own.is_file():
            return load_settings(own)
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file() and _table(pyproject, searching=True) is not None:
            return load_settings(pyproject)
    return Settings(root=Path.cwd().absolute())  # no settings file: patterns are relative to here
