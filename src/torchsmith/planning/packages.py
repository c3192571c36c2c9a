"""The plan's package entries: exact pins with the file each one installs, and warnings about files.

A Jetson wheel that NVIDIA links from box.com (JetPack 4/5) has a URL that carries no wheel file name; the
knowledge table names the file as NVIDIA's instructions save it, so the plan shows a real wheel name and
says how to download it under that name (pip and uv refuse a URL whose last segment is not a wheel name).
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import unquote

from packaging.version import Version

from torchsmith.backends import Backend
from torchsmith.machine.model import Machine
from torchsmith.planning.catalog import Candidate
from torchsmith.planning.model import PlannedPackage

__all__ = ["nameless_urls", "planned_package"]


def _filename(candidate: Candidate) -> str | None:
    """The wheel's file name; NVIDIA's box.com links for JetPack 4/5 carry none, so the table names it."""
    file = candidate.file
    if file is None:  # offline from the inventory: the shipped record names the file
        return candidate.record.filename if candidate.record is not None else None
    if file.wheel is not None:
        return file.filename
    from torchsmith.knowledge.jetson import wheel_for_url

    wheel = wheel_for_url(file.url)
    return wheel.wheel_filename if wheel is not None else file.filename


def planned_package(candidate: Candidate, backend: Backend, machine: Machine) -> PlannedPackage:
    version = candidate.version
    # an inventory record without `+` in its name (PyPI's own file) carries no local label to add
    labelled = candidate.record is None or "+" in candidate.record.filename
    if (
        candidate.file is None
        and version.local is None
        and labelled
        and backend.local_label
        and machine.os != "macos"
    ):
        version = Version(f"{version}+{backend.local_label}")
    file = candidate.file
    text = str(version)
    filename = _filename(candidate)
    parts = unquote(filename).split("-") if filename else []
    if len(parts) >= 5:  # the file's own spelling: `nv24.08`, where `Version` would print `nv24.8`
        text = parts[1]
    return PlannedPackage(
        name=candidate.package,
        version=text,
        index=candidate.index,
        filename=filename,
        url=file.url if file else None,
        sha256=file.sha256 if file else None,
        size=file.size if file else None,
    )


def nameless_urls(packages: Sequence[PlannedPackage]) -> list[str]:
    """Warnings for files whose URL does not end in their wheel name: pip and uv need the name to install."""
    return [
        f"NVIDIA's URL for {p.filename} carries no wheel file name, which pip and uv reject; download it "
        f"under its name first: `curl -L -o {p.filename} {p.url}` then `pip install ./{p.filename}`"
        for p in packages
        if p.url and p.filename and not unquote(p.url).endswith("/" + p.filename)
    ]
