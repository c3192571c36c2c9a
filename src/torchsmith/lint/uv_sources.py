"""`[tool.uv.sources]` entries: which extra or group limits each, and the `conflicts` they need.

uv's docs (https://docs.astral.sh/uv/concepts/projects/config/#conflicting-dependencies) require extras
or groups that point one package at different indexes to be declared in `tool.uv.conflicts`; a source
limited with `marker = "extra == 'cu124'"` is the same as `extra = "cu124"` to uv.
"""

from __future__ import annotations

from typing import Any

from torchsmith.lazy_re import lazy
from torchsmith.lint.access import table, text
from torchsmith.lint.document import Document, Edit, Hit, KeyPath

__all__ = ["conflict_hits", "gate", "source_entries"]


_EXTRA_MARKER = lazy(r"""\bextra\s*==\s*['"]([^'"]+)['"]|['"]([^'"]+)['"]\s*==\s*extra\b""")


def gate(entry: dict[str, Any]) -> tuple[str, str] | None:
    """The extra or group a source entry is limited to: `extra = "cu124"`, `group = ...`, or a marker
    `extra == 'cu124'` (anded with others), which uv treats the same way."""
    for kind in ("extra", "group"):
        name = text(entry.get(kind))
        if name:
            return kind, name
    marker = text(entry.get("marker")) or ""
    match = _EXTRA_MARKER.search(marker)
    if match is not None and " or " not in marker:
        return "extra", match.group(1) or match.group(2)
    return None


def source_entries(value: Any, at: KeyPath) -> list[tuple[dict[str, Any], KeyPath]]:
    if isinstance(value, dict):
        return [(value, at)]
    if isinstance(value, list):
        return [(v, (*at, i)) for i, v in enumerate(value) if isinstance(v, dict)]
    return []


def _conflict_items(uv: dict[str, Any]) -> list[frozenset[tuple[str, str]]]:
    sets: list[frozenset[tuple[str, str]]] = []
    raw = uv.get("conflicts")
    for group in raw if isinstance(raw, list) else []:
        items = (
            {
                (k, str(item[k]))
                for item in group
                if isinstance(item, dict)
                for k in ("extra", "group")
                if k in item
            }
            if isinstance(group, list)
            else set()
        )
        sets.append(frozenset(items))
    return sets


def conflict_hits(doc: Document, uv: dict[str, Any], base: KeyPath) -> list[Hit]:
    declared_sets = _conflict_items(uv)
    uncovered: list[tuple[str, str]] = []
    first_at: KeyPath | None = None
    first_package = ""
    for package, value in table(uv.get("sources")).items():
        chosen: list[tuple[tuple[str, str], str, KeyPath]] = []
        for entry, at in source_entries(value, (*base, "sources", package)):
            gated = gate(entry)
            target = text(entry.get("index")) or text(entry.get("url")) or text(entry.get("path"))
            if gated is not None and target is not None:
                chosen.append((gated, target, at))
        for i, (item_a, target_a, at_a) in enumerate(chosen):
            for item_b, target_b, _ in chosen[i + 1 :]:
                if target_a == target_b or item_a == item_b:
                    continue
                if any(item_a in s and item_b in s for s in declared_sets):
                    continue
                for item in (item_a, item_b):
                    if item not in uncovered:
                        uncovered.append(item)
                if first_at is None:
                    first_at, first_package = at_a, package
    if first_at is None:
        return []
    names = " and ".join(f"{kind} `{name}`" for kind, name in uncovered)
    value = [[{kind: name} for kind, name in uncovered]]
    table_name = "[tool.uv]" if base else "the top level"
    return [
        doc.hit(
            "uv-extras-without-conflicts",
            f"{names} point `{first_package}` at different indexes but are not declared as conflicting: "
            "`uv lock` fails (or resolves one torch for both)",
            at=first_at,
            fix="add `conflicts = [["
            + ", ".join(f'{{ {k} = "{n}" }}' for k, n in uncovered)
            + "]]` to `[tool.uv]`",
            edit=Edit(
                base, "conflicts", value, f"added `conflicts` between {names} to {table_name}", append=True
            ),
        )
    ]
