"""Which files `torchsmith lint` reads, what format each is, and how its path is shown.

A directory stands for the configs found in it and below it, skipping virtual environments, VCS and
tool folders (`.venv`, `.git`, `node_modules`, any hidden folder, any folder with a `pyvenv.cfg`). A
file named on the command line is linted whatever its name, with the format taken from its name.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from torchsmith.errors import UsageError
from torchsmith.lint.document import Kind

__all__ = ["discover", "display_path", "kind_of"]

_SKIP_DIRS = frozenset({"node_modules", "__pycache__", "site-packages", "venv"})
_PATTERNS: tuple[tuple[str, Kind], ...] = (
    ("pyproject.toml", "pyproject"),
    ("pixi.toml", "pixi"),
    ("uv.toml", "uv"),
    ("environment*.yml", "conda"),
    ("environment*.yaml", "conda"),
    ("*.environment.yml", "conda"),
    ("pip.conf", "pip-conf"),
    ("pip.ini", "pip-conf"),
    ("requirements*.txt", "requirements"),
    ("constraints*.txt", "requirements"),
)
_BY_SUFFIX: dict[str, Kind] = {
    ".yml": "conda",
    ".yaml": "conda",
    ".txt": "requirements",
    ".in": "requirements",
    ".conf": "pip-conf",
    ".ini": "pip-conf",
}


def kind_of(path: Path, *, explicit: bool = False) -> Kind | None:
    """The format of a file from its name (`explicit`: a file the user named, judged by suffix too)."""
    name = path.name.lower()
    for pattern, kind in _PATTERNS:
        if fnmatch.fnmatchcase(name, pattern):
            return kind
    if path.parent.name == "requirements" and name.endswith(".txt"):
        return "requirements"
    if explicit:
        if name.endswith(".toml"):
            return "pixi" if "pixi" in name else "uv" if name.startswith("uv") else "pyproject"
        return _BY_SUFFIX.get(path.suffix.lower())
    return None


def _walk(root: Path) -> Iterator[Path]:
    for directory, dirs, files in os.walk(root):
        dirs[:] = sorted(
            d
            for d in dirs
            if not d.startswith(".")
            and d not in _SKIP_DIRS
            and not (Path(directory) / d / "pyvenv.cfg").exists()
        )
        for name in sorted(files):
            path = Path(directory) / name
            if kind_of(path) is not None:
                yield path


def discover(paths: Sequence[Path]) -> list[tuple[Path, Kind]]:
    """The files to lint with their formats, in a stable order, each once."""
    found: list[tuple[Path, Kind]] = []
    seen: set[Path] = set()
    for path in paths:
        if path.is_dir():
            candidates = [(p, kind_of(p)) for p in _walk(path)]
        elif path.is_file():
            kind = kind_of(path, explicit=True)
            if kind is None:
                raise UsageError(
                    f"cannot lint `{path}`: not a pyproject.toml, pixi.toml, uv.toml, environment.yml, "
                    "requirements*.txt, constraints*.txt or pip.conf file"
                )
            candidates = [(path, kind)]
        else:
            raise UsageError(f"no such file or folder `{path}` (from the command line)")
        for candidate, kind in candidates:
            key = candidate.resolve()
            if kind is not None and key not in seen:
                seen.add(key)
                found.append((candidate, kind))
    return found


def display_path(path: Path) -> str:
    """The path relative to the current folder when it is inside it, else as given."""
    if not path.is_absolute():
        return path.as_posix()
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)
