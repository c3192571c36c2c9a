"""Where torchsmith keeps its cache: `TORCHSMITH_CACHE_DIR`, else the platform's user cache folder.

On Linux and other XDG systems this is `$XDG_CACHE_HOME/torchsmith` (default `~/.cache/torchsmith`), computed
directly because the probe reads its parsed knowledge tables from here and importing platformdirs would cost
more than the whole probe; elsewhere platformdirs answers (the same folder it would give on Linux).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

__all__ = ["cache_dir"]


def cache_dir(env: Mapping[str, str] | None = None) -> Path:
    """The cache root; an empty `TORCHSMITH_CACHE_DIR` counts as unset."""
    environ = os.environ if env is None else env
    explicit = environ.get("TORCHSMITH_CACHE_DIR", "").strip()
    if explicit:
        return Path(explicit).expanduser()
    if sys.platform not in ("win32", "darwin"):
        xdg = environ.get("XDG_CACHE_HOME", "").strip()
        base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
        return base / "torchsmith"
    import platformdirs

    return Path(platformdirs.user_cache_dir("torchsmith", appauthor=False))
