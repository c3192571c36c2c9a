"""Rules for Poetry projects (`[tool.poetry]` in pyproject.toml).

Poetry's source priorities (https://python-poetry.org/docs/repositories/#package-sources): a source without
`priority` is `primary` and is searched before PyPI for every package; `explicit` sources serve only the
dependencies that name them with `source = "..."`; `supplemental` sources (and Poetry 1.x
`secondary = true`, deprecated by `priority` in Poetry 1.5) are searched only for packages the primary
sources do not have. PyPI is an implicit primary source only while no other source is primary or default
(python-poetry/poetry#8771, Poetry 1.8). So a supplemental PyTorch source never serves torch while PyPI
(or another primary source with torch) is searched first, unless torch names it with `source =`.
Seed 001 (lucaspar/poetry-torch) documents the trap
where `poetry sync -E cuda` installs the CPU build because the CUDA source is only reachable through an
optional group (`--with cuda`).
"""

from __future__ import annotations

import re
from typing import Any

from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from torchsmith.lazy_re import lazy
from torchsmith.lint.access import at_path, str_list, table, text
from torchsmith.lint.document import Context, Document, Edit, Hit, KeyPath
from torchsmith.lint.model import TorchDep, family_name, local_label, public_spec
from torchsmith.lint.platforms import PLATFORMS, marker_applies
from torchsmith.lint.rules_index import label_hits, pin_hits
from torchsmith.lint.specs import poetry_spec
from torchsmith.lint.urls import PYPI, is_insecure
from torchsmith.lint.wheels import companion_hits, pairing_hits, python_hits
from torchsmith.record import record

__all__ = ["check_poetry"]

_ACCELERATOR = lazy(r"cuda|gpu|cu\d+|rocm|xpu", re.IGNORECASE)
_PLATFORM_FIELD = {
    "linux": "sys_platform == 'linux'",
    "darwin": "sys_platform == 'darwin'",
    "win32": "sys_platform == 'win32'",
}


@record
class _Source:
    name: str
    url: str
    key: str | None
    kind: str | None
    priority: str
    at: KeyPath
    legacy: str | None = None  # `secondary` / `default`: the Poetry 1.x flag the priority came from


@record
class _Entry:
    package: str  # canonical
    spec: SpecifierSet | None
    constraint: str
    source: str | None
    markers: str | None
    optional: bool
    scope: str  # "" or "group <name>"
    group: str | None
    at: KeyPath


def _sources(ctx: Context, poetry: dict[str, Any]) -> list[_Source]:
    out: list[_Source] = []
    raw = poetry.get("source")
    for i, entry in enumerate(raw if isinstance(raw, list) else []):
        entry = table(entry)
        name, url = text(entry.get("name")), text(entry.get("url"))
        if name is not None and url is None and name.lower() == "pypi":
            url = "https://pypi.org/simple"  # `name = "PyPI"` without a URL configures PyPI's priority
        if name is None or url is None:
            continue
        legacy = (
            "default" if entry.get("default") is True else "secondary" if entry.get("secondary") else None
        )
        priority: str = text(entry.get("priority")) or (
            "default" if legacy == "default" else "supplemental" if legacy == "secondary" else "primary"
        )
        info = ctx.pytorch_index(url)
        out.append(
            _Source(
                name,
                url,
                info.key if info else None,
                info.backend.kind if info and info.backend else None,
                priority,
                ("tool", "poetry", "source", i),
                legacy if not text(entry.get("priority")) else None,
            )
        )
    return out


def _pypi_enabled(sources: list[_Source]) -> bool:
    """Poetry adds PyPI implicitly only when no source is primary or default (Poetry >= 1.8, PR #8771);
    a `name = "PyPI"` source enables it at its own priority."""
    if any(s.name.lower() == "pypi" and s.priority != "explicit" for s in sources):
        return True
    return not any(s.priority in ("primary", "default") for s in sources)


def _entries(poetry: dict[str, Any]) -> list[_Entry]:
    tables: list[tuple[dict[str, Any], KeyPath, str, str | None]] = [
        (table(poetry.get("dependencies")), ("tool", "poetry", "dependencies"), "", None),
        (table(poetry.get("dev-dependencies")), ("tool", "poetry", "dev-dependencies"), "group dev", "dev"),
    ]
    for group, body in table(poetry.get("group")).items():
        tables.append(
            (
                table(table(body).get("dependencies")),
                ("tool", "poetry", "group", group, "dependencies"),
                f"group {group}",
                group,
            )
        )
    out: list[_Entry] = []
    for deps, at, scope, group_name in tables:
        for name, value in deps.items():
            items: list[tuple[Any, KeyPath]] = (
                [(value, (*at, name))]
                if not isinstance(value, list)
                else [(v, (*at, name, i)) for i, v in enumerate(value)]
            )
            for item, where in items:
                if isinstance(item, str):
                    out.append(
                        _Entry(
                            canonicalize_name(name),
                            poetry_spec(item),
                            item,
                            None,
                            None,
                            False,
                            scope,
                            group_name,
                            where,
                        )
                    )
                elif isinstance(item, dict):
                    constraint = text(item.get("version")) or "*"
                    markers = text(item.get("markers"))
                    platform = _PLATFORM_FIELD.get(text(item.get("platform")) or "")
                    if platform:
                        markers = platform if markers is None else f"({markers}) and {platform}"
                    out.append(
                        _Entry(
                            canonicalize_name(name),
                            poetry_spec(constraint),
                            constraint,
                            text(item.get("source")),
                            markers,
                            item.get("optional") is True,
                            scope,
                            group_name,
                            where,
                        )
                    )
    return out


def _source_hits(doc: Document, sources: list[_Source], entries: list[_Entry]) -> list[Hit]:
    hits: list[Hit] = []
    family = [e for e in entries if family_name(e.package) and e.package != "python"]
    for source in sources:
        if is_insecure(source.url):
            hits.append(
                doc.hit(
                    "insecure-index",
                    f"source `{source.name}` uses plain http: `{source.url}`",
                    at=(*source.at, "url"),
                    fix="use `https://`",
                )
            )
        if source.key is None or source.priority == "explicit":
            continue
        if source.priority == "default":
            hits.append(
                doc.hit(
                    "pytorch-index-as-default",
                    f"PyTorch source `{source.name}` is the default source: PyPI is not searched "
                    "for any package",
                    at=source.at,
                    fix='set `priority = "explicit"` and name it with `source = ...` on torch',
                )
            )
            continue
        named = (
            "`secondary = true` (Poetry 1.x; priority `supplemental`)"
            if source.legacy == "secondary"
            else (f"priority `{source.priority}`")
        )
        referenced = any(e.source == source.name for e in entries)
        safe = referenced and all(e.source is not None for e in family)
        if source.priority == "supplemental":
            others = [
                s.name for s in sources if s is not source and s.key is not None and s.priority != "explicit"
            ]
            if _pypi_enabled(sources):
                others.insert(0, "PyPI")
            unrouted = [e for e in family if e.source is None]
            if not others or not unrouted:
                continue  # nothing is searched before it for torch (or torch names its source): accepted
            hits.append(
                doc.hit(
                    "poetry-source-not-explicit",
                    f"PyTorch source `{source.name}` has {named}: Poetry searches primary sources "
                    f"({', '.join(others)}) first and a supplemental source only for packages they lack, "
                    f"so `{unrouted[0].package}` resolves from {others[0]}, not from `{source.name}`",
                    at=source.at,
                    fix='set `priority = "explicit"` and add `source = "'
                    + source.name
                    + '"` to torch, torchvision and torchaudio',
                    edit=Edit(
                        source.at,
                        "priority",
                        "explicit",
                        f'set `priority = "explicit"` on source `{source.name}`',
                        safe=False,
                    ),
                )
            )
            continue
        hits.append(
            doc.hit(
                "poetry-source-not-explicit",
                f"PyTorch source `{source.name}` has {named}: Poetry searches "
                "it for every "
                "package, so unrelated packages may resolve from it (and lookups slow down)",
                at=source.at,
                fix='set `priority = "explicit"`'
                + (
                    ""
                    if safe
                    else ' and add `source = "' + source.name + '"` to torch, torchvision and torchaudio'
                ),
                edit=Edit(
                    source.at,
                    "priority",
                    "explicit",
                    f'set `priority = "explicit"` on source `{source.name}`',
                    safe=safe,
                ),
            )
        )
    return hits


def _fallback_hits(
    doc: Document, poetry: dict[str, Any], sources: list[_Source], entries: list[_Entry]
) -> list[Hit]:
    """Seed 001: extra `cuda` lists torch, whose CUDA source is only in an optional group."""
    by_name = {s.name: s for s in sources}
    groups = table(poetry.get("group"))
    hits: list[Hit] = []
    for extra, packages in table(poetry.get("extras")).items():
        if not _ACCELERATOR.search(extra):
            continue
        for package in (canonicalize_name(p) for p in str_list(packages)):
            if family_name(package) is None:
                continue
            main = [e for e in entries if e.package == package and e.scope == ""]
            accelerated = [
                e
                for e in entries
                if e.package == package
                and e.group is not None
                and (src := by_name.get(e.source or "")) is not None
                and src.kind not in (None, "cpu")
                and table(groups.get(e.group)).get("optional") is True
            ]
            main_accelerated = [
                e
                for e in main
                if (src := by_name.get(e.source or "")) is not None and src.kind not in (None, "cpu")
            ]
            if not accelerated or main_accelerated:
                continue
            group = accelerated[0].group
            source = accelerated[0].source
            hits.append(
                doc.hit(
                    "poetry-extra-cpu-fallback",
                    f"extra `{extra}` installs `{package}`, but its accelerator source `{source}` "
                    "is only in the "
                    f"optional group `{group}`: `poetry sync -E {extra}` silently installs the CPU build",
                    at=("tool", "poetry", "extras", extra),
                    fix=f"install with `poetry sync -E {extra} --with {group}` (and document it), "
                    "or move the "
                    f"`{source}` dependency out of the optional group",
                )
            )
            break
    return hits


def _deps(
    ctx: Context, sources: list[_Source], entries: list[_Entry], extras: tuple[str, ...]
) -> list[TorchDep]:
    by_name = {s.name: s for s in sources}
    default = next((s.key or PYPI for s in sources if s.priority in ("default", "primary")), PYPI)
    out: list[TorchDep] = []
    for entry in entries:
        name = family_name(entry.package) if entry.package in ("torch", "torchvision", "torchaudio") else None
        if name is None:
            continue
        source = by_name.get(entry.source or "")
        origin = (source.key or source.url) if source is not None else default
        platforms = frozenset(
            p
            for p in PLATFORMS
            if entry.markers is None or marker_applies(entry.markers, p, extras) is not False
        )
        out.append(
            TorchDep(
                name,
                public_spec(entry.spec),
                origin,
                entry.scope,
                platforms,
                entry.at,
                entry.at,
                f"{entry.package} {entry.constraint}",
                entry.markers,
                label=local_label(entry.spec),
            )
        )
    return out


def check_poetry(doc: Document, ctx: Context) -> list[Hit]:
    poetry = at_path(doc.data, ("tool", "poetry"))
    sources = _sources(ctx, poetry)
    entries = _entries(poetry)
    hits = _source_hits(doc, sources, entries)
    hits += _fallback_hits(doc, poetry, sources, entries)
    deps = _deps(ctx, sources, entries, tuple(table(poetry.get("extras"))))
    hits += companion_hits(doc, deps)
    hits += pairing_hits(doc, deps) + label_hits(doc, deps) + pin_hits(doc, deps)
    python = next((e for e in entries if e.package == "python" and e.scope == ""), None)
    if python is not None and python.spec is not None:
        hits += python_hits(
            doc, deps, python.spec, f'python = "{python.constraint}"', python.at, check_all=False
        )
    return hits
