"""The `torch-backend` that `uv pip install` would use for a requirements file in a given folder.

uv reads its settings from the nearest `uv.toml` (`[pip] torch-backend`) or `pyproject.toml`
(`[tool.uv.pip] torch-backend`) at or above the folder it runs in, and `UV_TORCH_BACKEND` overrides both
(https://docs.astral.sh/uv/concepts/configuration-files/, https://docs.astral.sh/uv/reference/settings/#pip_torch-backend).
With a backend set, uv routes torch, torchvision and torchaudio to that PyTorch index, so a `+cu126` pin
in a requirements file next to it is served even though the file names no index. The linter assumes
uv runs in the requirements file's own folder.
"""

from __future__ import annotations

import os
import sys
from functools import lru_cache
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = ["clear_cache", "torch_backend_for"]


@lru_cache(maxsize=256)
def _read(path: str) -> dict[str, object] | None:
    """The settings file's TOML, or None; once per file and run (every requirements folder below a
    pyproject.toml walks up through it)."""
    from torchsmith.fileio import UserFileError, read_user_bytes

    file = Path(path)
    try:
        raw = read_user_bytes(file, what="uv settings", limit=1 << 20)
        if b"torch-backend" not in raw and file.name == "pyproject.toml" and b"tool.uv" not in raw:
            return None
        data: dict[str, object] = tomllib.loads(raw.decode("utf-8"))
    except (UserFileError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    return data


@lru_cache(maxsize=512)
def _from_files(folder: str) -> str | None:
    """The `torch-backend` of the nearest settings at or above `folder` (an absolute path as pathlib
    writes it). Recursive through the cache: the folders of a repository share their parents' answer, so
    each folder is looked at once per run however many requirements files sit below it."""
    uv = os.path.join(folder, "uv.toml")  # noqa: PTH118 - strings: this runs per folder and parent
    if os.path.isfile(uv):  # noqa: PTH113
        data = _read(uv) or {}
        pip = data.get("pip")
        value = pip.get("torch-backend") if isinstance(pip, dict) else None
        return value if isinstance(value, str) else None
    pyproject = os.path.join(folder, "pyproject.toml")  # noqa: PTH118
    if os.path.isfile(pyproject):  # noqa: PTH113
        data = _read(pyproject) or {}
        tool = data.get("tool")
        uv_table = tool.get("uv") if isinstance(tool, dict) else None
        if isinstance(uv_table, dict):
            pip = uv_table.get("pip")
            value = pip.get("torch-backend") if isinstance(pip, dict) else None
            return value if isinstance(value, str) else None
    parent = os.path.dirname(folder)  # noqa: PTH120
    return None if parent == folder else _from_files(parent)


def torch_backend_for(folder: Path, environ_value: str | None) -> str | None:
    """`UV_TORCH_BACKEND` if set, else the nearest uv settings' `torch-backend`, else None."""
    if environ_value:
        return environ_value
    return _from_files(str(folder.absolute()))


def clear_cache() -> None:
    """Forget the settings read so far (each lint run starts fresh: files may have changed)."""
    _from_files.cache_clear()
    _read.cache_clear()
