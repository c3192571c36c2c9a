"""`torchsmith matrix [VERSION]`: what pairs with what, straight from the release table.

For each torch series: the patches, the Python ABI tags with wheels, the backends per platform, the glibc and
macOS floors, and the exact torchvision / torchaudio patch for each torch patch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from packaging.version import InvalidVersion, Version

from torchsmith.errors import UsageError
from torchsmith.knowledge import releases
from torchsmith.knowledge.releases import Release

__all__ = ["Matrix", "MatrixRow", "matrix"]


@dataclass(frozen=True, slots=True)
class MatrixRow:
    """One torch patch and its companions, with its series' facts."""

    torch: Version
    torchvision: Version | None
    torchaudio: Version | None
    release: Release

    def to_json(self) -> dict[str, Any]:
        r = self.release
        return {
            "torch": str(self.torch),
            "torchvision": None if self.torchvision is None else str(self.torchvision),
            "torchaudio": None if self.torchaudio is None else str(self.torchaudio),
            "python": list(r.python),
            "backends": {k: list(v) for k, v in r.backends.items()},
            "manylinux": dict(r.manylinux_by_platform),
            "macos_min": r.macos_min,
            "pypi_default_backend": r.pypi_default_backend,
            "release_date": r.release_date,
        }


@dataclass(frozen=True, slots=True)
class Matrix:
    rows: tuple[MatrixRow, ...]

    def to_json(self) -> dict[str, Any]:
        return {"rows": [row.to_json() for row in self.rows]}


def matrix(version: str | None = None) -> Matrix:
    """Every known torch patch (newest first), or those of one series / one patch (`2.5`, `2.5.1`)."""
    wanted: Version | None = None
    if version:
        try:
            wanted = Version(version)
        except InvalidVersion as error:
            raise UsageError(f"invalid torch version `{version}`: expected e.g. `2.5` or `2.5.1`") from error
    rows: list[MatrixRow] = []
    for release in releases.releases():
        for patch in sorted(release.patches, reverse=True):
            if wanted is not None:
                if len(wanted.release) >= 3 and patch != Version(wanted.public):
                    continue
                if (patch.major, patch.minor) != (wanted.major, wanted.minor):
                    continue
            rows.append(
                MatrixRow(
                    patch,
                    releases.companion_for("torchvision", patch),
                    releases.companion_for("torchaudio", patch),
                    release,
                )
            )
    if not rows:
        known = ", ".join(str(r.torch) for r in releases.releases())
        raise UsageError(f"torchsmith knows no torch `{version}`", hint=f"known series: {known}")
    return Matrix(tuple(rows))
