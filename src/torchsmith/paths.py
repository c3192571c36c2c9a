"""Where torchsmith keeps its cache: `TORCHSMITH_CACHE_DIR`, else the platform's user cache folder.

On Linux and other XDG systems this is `$XDG_CACHE_HOME/torchsmith` (default `~/.cache/torchsmith`), computed
directly because the probe reads its parsed knowledge tables from here and importing platformdirs would cost
more than the whole probe; elsewhere platformdirs answers (the same folder it would give on Linux).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

TYPE_CHECKING = False  # `typing` stays unloaded at start-up (issue 17); mypy reads the name as typing's
if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["cache_dir", "cache_root"]


def cache_root(env: Mapping[str, str] | None = None) -> str:
    """The cache root as a string (the probe's path, which does not import `pathlib`); an empty
    `TORCHSMITH_CACHE_DIR` counts as unset."""
    environ = os.environ if env is None else env
    explicit = environ.get("TORCHSMITH_CACHE_DIR", "").strip()
    if explicit:
        return os.path.expanduser(explicit)
    if sys.platform not in ("win32", "darwin"):
        xdg = environ.get("XDG_CACHE_HOME", "").strip()
        base = xdg if xdg and os.path.isabs(xdg) else os.path.join(os.path.expanduser("~"), ".cache")
        return os.path.join(base, "torchsmith")
    import platformdirs

    return str(platformdirs.user_cache_dir("torchsmith", appauthor=False))


def cache_dir(env: Mapping[str, str] | None = None) -> Path:
    """`cache_root` as a `Path`."""
    from pathlib import Path

    return Path(cache_root(env))
