"""The exact `uv pip install` and `pip install` commands for a plan.

With files known (online plans), the torch family is pinned by direct URL with its sha256
(`name @ url#sha256`), so only those files come from the backend index and every other dependency resolves
from the default (PyPI-like) index: the "explicit index" rule of uv's and poetry's guides, in a form both
installers accept.
Offline plans pin `name==version+label` and name the backend index as a priority index.
"""

from __future__ import annotations

from collections.abc import Sequence

from torchsmith.index.settings import DEFAULT_PYPI_URL
from torchsmith.planning.model import PlannedPackage

__all__ = ["install_commands", "requirement_lines"]


def requirement_lines(packages: Sequence[PlannedPackage]) -> list[str]:
    """One requirement per package: `torch @ <url>#sha256=<hash>` when known, else `torch==<version>`."""
    lines: list[str] = []
    for package in packages:
        if package.url:
            fragment = f"#sha256={package.sha256}" if package.sha256 else ""
            lines.append(f"{package.name} @ {package.url}{fragment}")
        else:
            lines.append(f"{package.name}=={package.version}")
    return lines


def install_commands(
    packages: Sequence[PlannedPackage], others: Sequence[str], index: str | None, pypi: str
) -> dict[str, str]:
    """`{"uv": ..., "pip": ...}` installing exactly the plan (plus the pass-through requirements)."""
    import shlex

    requirements = [shlex.quote(line) for line in [*requirement_lines(packages), *others]]
    pinned_by_url = all(p.url for p in packages)
    uv = ["uv", "pip", "install", *requirements]
    pip = ["python", "-m", "pip", "install", *requirements]
    if not pinned_by_url and index:
        uv += ["--index", index]
        pip += ["--extra-index-url", index]
    if pypi != DEFAULT_PYPI_URL:
        uv += ["--default-index", pypi]
        pip += ["--index-url", pypi]
    return {"uv": " ".join(uv), "pip": " ".join(pip)}
