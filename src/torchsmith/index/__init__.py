"""The package indexes: PEP 503/691 pages, PEP 658 metadata, wheel filenames, and the HTTP cache.

`IndexSettings.from_env(os.environ).client()` gives an `IndexClient`; see each module for its spec.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DistFile", "IndexClient", "IndexSettings", "ProjectPage", "WheelFile"]

_HOMES = {
    "DistFile": "torchsmith.index.simple",
    "IndexClient": "torchsmith.index.client",
    "IndexSettings": "torchsmith.index.settings",
    "ProjectPage": "torchsmith.index.simple",
    "WheelFile": "torchsmith.index.wheel",
}


def __getattr__(name: str) -> Any:
    """Import lazily (PEP 562): `torchsmith.index.settings` alone must not pull in the HTTP stack."""
    if name in _HOMES:
        import importlib

        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
