"""The package indexes: PEP 503/691 pages, PEP 658 metadata, wheel filenames, and the HTTP cache.

`IndexSettings.from_env(os.environ).client()` gives an `IndexClient`; see each module for its spec.
"""

from __future__ import annotations

from torchsmith.index.client import IndexClient
from torchsmith.index.settings import IndexSettings
from torchsmith.index.simple import DistFile, ProjectPage
from torchsmith.index.wheel import WheelFile

__all__ = ["DistFile", "IndexClient", "IndexSettings", "ProjectPage", "WheelFile"]
