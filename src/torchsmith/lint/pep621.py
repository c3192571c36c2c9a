"""Dependencies declared the standard way in pyproject.toml: `[project]` and `[dependency-groups]`.

PEP 621 (https://packaging.python.org/en/latest/specifications/pyproject-toml/) and PEP 735
(https://peps.python.org/pep-0735/) list PEP 508 strings; uv adds `tool.uv.dev-dependencies` (the `dev`
group). Each dependency comes with its scope (`""`, `extra cpu`, `group dev`) and its path in the file.
Strings that are not valid PEP 508 are skipped: the build backend, not this linter, owns that error.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from torchsmith.lint.document import KeyPath
from torchsmith.record import record

__all__ = ["Declared", "declared", "extras_of"]


@record
class Declared:
    name: str  # canonical
    requirement: Requirement
    scope: str  # "", "extra <name>", "group <name>"
    at: KeyPath


def _strings(value: Any, at: KeyPath, scope: str) -> Iterator[Declared]:
    if not isinstance(value, list):
        return
    for index, item in enumerate(value):
        if not isinstance(item, str):
            continue  # `{include-group = "..."}`
        try:
            requirement = Requirement(item)
        except InvalidRequirement:
            continue
        yield Declared(canonicalize_name(requirement.name), requirement, scope, (*at, index))


def declared(data: dict[str, Any]) -> list[Declared]:
    """Every PEP 508 dependency of the project, its optional dependencies and dependency groups."""
    out: list[Declared] = []
    project = data.get("project")
    if isinstance(project, dict):
        out.extend(_strings(project.get("dependencies"), ("project", "dependencies"), ""))
        optional = project.get("optional-dependencies")
        if isinstance(optional, dict):
            for extra, items in optional.items():
                out.extend(_strings(items, ("project", "optional-dependencies", extra), f"extra {extra}"))
    groups = data.get("dependency-groups")
    if isinstance(groups, dict):
        for group, items in groups.items():
            out.extend(_strings(items, ("dependency-groups", group), f"group {group}"))
    uv = data.get("tool", {}).get("uv") if isinstance(data.get("tool"), dict) else None
    if isinstance(uv, dict):
        out.extend(_strings(uv.get("dev-dependencies"), ("tool", "uv", "dev-dependencies"), "group dev"))
    return out


def extras_of(data: dict[str, Any]) -> tuple[str, ...]:
    project = data.get("project")
    optional = project.get("optional-dependencies") if isinstance(project, dict) else None
    return tuple(optional) if isinstance(optional, dict) else ()
