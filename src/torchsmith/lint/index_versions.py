"""Which torch versions (and local labels) an index holds: the one place lint asks, so the source can change.

Today the answers come from the shipped release table (`torchsmith.knowledge.releases`: for each release,
the backends published per platform); when the wheel inventory lands (issue 10, `knowledge/inventory*`)
only this module changes. PyPI holds every release without local labels; a PyTorch backend index
(`cu124`) holds the releases that list that backend; nightly, Jetson and unknown indexes are unknown
(None), which the rules read as "do not judge".
"""

from __future__ import annotations

import re
from functools import cache

from packaging.version import Version

from torchsmith.knowledge.releases import companion_for, releases, torch_for_companion
from torchsmith.lint.urls import PYPI

__all__ = [
    "known_labels",
    "labels_of",
    "never_published",
    "newest_on_index",
    "torch_version_of",
    "versions_on_index",
]


@cache
def known_labels() -> frozenset[str]:
    """Every backend label any known release publishes (`cpu`, `cu118`, `rocm6.2`, `xpu`, ...)."""
    return frozenset(b for r in releases() for names in r.backends.values() for b in names)


def labels_of(torch_version: Version) -> frozenset[str] | None:
    """The backend labels published for one torch patch; None when the release is unknown."""
    for release in releases():
        if torch_version in release.patches:
            return frozenset(b for names in release.backends.values() for b in names)
    return None


def torch_version_of(package: str, version: Version) -> Version | None:
    """The torch patch a torch / torchvision / torchaudio version belongs to (None: unknown)."""
    if package == "torch":
        return version
    return torch_for_companion(package, version)


@cache
def versions_on_index(origin: str, package: str = "torch") -> frozenset[Version] | None:
    """Public versions of `package` the index `origin` (`pypi`, `cu124`, ...) holds; None when unknown."""
    if origin == PYPI:
        wanted = [p for r in releases() for p in r.patches]
    elif origin in known_labels():
        wanted = [p for r in releases() if any(origin in n for n in r.backends.values()) for p in r.patches]
    else:
        return None
    if package == "torch":
        return frozenset(wanted)
    found = {companion_for(package, p) for p in wanted}
    return frozenset(v for v in found if v is not None)


def _numbers(prefix: str) -> list[Version]:
    out = []
    for label in known_labels():
        if label.startswith(prefix) and label[len(prefix) :]:
            tail = label[len(prefix) :]
            out.append(Version(f"{tail[:-1]}.{tail[-1]}" if prefix == "cu" else tail))
    return out


def never_published(label: str) -> bool:
    """A backend label no PyTorch index ever published: a bare `cu` / `rocm`, or a number inside the
    known range that is not in it (`cu125`, `rocm6.0.1`). Outside the range the table covers (`cu113`
    is older than its oldest release, `cu130` may be newer): unknown, so False."""
    if label in known_labels() or not re.fullmatch(r"cu\d*|rocm[\d.]*", label):
        return False
    prefix = "cu" if label.startswith("cu") else "rocm"
    tail = label[len(prefix) :]
    if not tail:
        return True
    known = _numbers(prefix)
    try:
        version = Version(f"{tail[:-1]}.{tail[-1]}" if prefix == "cu" else tail)
    except ValueError:
        return True
    return bool(known) and min(known) < version < max(known)


@cache
def newest_on_index(origin: str, package: str = "torch") -> Version | None:
    """The newest version `versions_on_index` knows for `origin`, or None."""
    held = versions_on_index(origin, package)
    return max(held) if held else None
