"""Rules for uv projects (`[tool.uv]` in pyproject.toml), uv.toml, and plain PEP 621 projects.

uv's PyTorch guide (https://docs.astral.sh/uv/guides/integration/pytorch/, seed 002) is the reference:
PyTorch indexes are declared `explicit = true`, torch and its companions point at them through
`[tool.uv.sources]` with a platform marker that keeps macOS (and Windows for ROCm) off indexes without
wheels for them, and per-accelerator extras are declared as `conflicts`. Index precedence follows uv's
`first-index` strategy (https://docs.astral.sh/uv/concepts/indexes/): non-explicit indexes, including
`extra-index-url`, are searched before the default index.
"""

from __future__ import annotations

from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from torchsmith.lint.access import at_path, str_list, table, text
from torchsmith.lint.document import Context, Document, Edit, Hit, KeyPath
from torchsmith.lint.index_versions import never_published
from torchsmith.lint.model import ALL_PLATFORMS, TorchDep, family_name, local_label, public_spec
from torchsmith.lint.pep621 import declared, extras_of
from torchsmith.lint.platforms import PLATFORMS, marker_applies, platform_label
from torchsmith.lint.rules_index import label_hits, pin_hits
from torchsmith.lint.urls import PYPI, is_insecure, wheel_backend
from torchsmith.lint.uv_sources import conflict_hits, gate, source_entries
from torchsmith.lint.wheels import companion_hits, kind_gaps, pairing_hits, platform_hits, python_hits
from torchsmith.record import record

__all__ = ["check_uv"]

_GUARDS = {
    "cuda": "platform_system != 'Darwin'",
    "cpu": "platform_system != 'Darwin'",
    "xpu": "platform_system != 'Darwin'",
    "rocm": "platform_system == 'Linux'",
    "jetson": "platform_system == 'Linux' and platform_machine == 'aarch64'",
}


@record
class _Index:
    name: str | None
    url: str
    key: str | None  # PyTorch index key (`cu124`), None for other indexes
    kind: str | None
    explicit: bool
    default: bool
    at: KeyPath


def _indexes(doc: Document, ctx: Context, uv: dict[str, Any], base: KeyPath) -> list[_Index]:
    out: list[_Index] = []
    raw = uv.get("index")
    for i, entry in enumerate(raw if isinstance(raw, list) else []):
        entry = table(entry)
        url = text(entry.get("url"))
        if url is None:
            continue
        info = ctx.pytorch_index(url)
        out.append(
            _Index(
                name=text(entry.get("name")),
                url=url,
                key=info.key if info else None,
                kind=info.backend.kind if info and info.backend else None,
                explicit=entry.get("explicit") is True,
                default=entry.get("default") is True,
                at=(*base, "index", i),
            )
        )
    return out


def _index_hits(
    doc: Document,
    ctx: Context,
    uv: dict[str, Any],
    base: KeyPath,
    indexes: list[_Index],
    referenced: set[str],
) -> list[Hit]:
    hits: list[Hit] = []
    for index in indexes:
        label = f"`{index.name}`" if index.name else f"`{index.url}`"
        if is_insecure(index.url):
            hits.append(
                doc.hit(
                    "insecure-index",
                    f"index {label} uses plain http: `{index.url}`",
                    at=(*index.at, "url"),
                    fix="use `https://`",
                )
            )
        if index.key is None:
            continue
        if index.default:
            hits.append(
                doc.hit(
                    "pytorch-index-as-default",
                    f"PyTorch index {label} is the default index: every package resolves from it, "
                    "and PyPI is "
                    "not searched",
                    at=(*index.at, "default"),
                    fix="drop `default = true`, set `explicit = true` and point torch at it in "
                    "`[tool.uv.sources]`",
                )
            )
        elif not index.explicit:
            safe = doc.kind == "pyproject" and index.name is not None and index.name in referenced
            hits.append(
                doc.hit(
                    "uv-index-not-explicit",
                    f"PyTorch index {label} is not `explicit = true`: uv searches it before PyPI for every "
                    "package, so unrelated packages (jinja2, numpy, ...) may resolve from it",
                    at=index.at,
                    fix="add `explicit = true`"
                    + ("" if safe else " and point torch at it in `[tool.uv.sources]`"),
                    edit=Edit(
                        index.at, "explicit", True, f"added `explicit = true` to index {label}", safe=safe
                    ),
                )
            )
    for section in (base, (*base, "pip")):
        settings = at_path(doc.data, tuple(str(p) for p in section))
        backend = text(settings.get("torch-backend"))
        if backend is not None and never_published(backend):
            hits.append(
                doc.hit(
                    "unknown-local-label",
                    f'`torch-backend = "{backend}"`: PyTorch publishes no `{backend}` index, so '
                    "`uv pip install torch` fails",
                    at=(*section, "torch-backend"),
                    fix='use a published backend (`torchsmith matrix`) or `torch-backend = "auto"`',
                )
            )
        for key in ("index-url", "extra-index-url", "find-links"):
            for j, url in enumerate(str_list(settings.get(key))):
                where: KeyPath = (*section, key) if isinstance(settings.get(key), str) else (*section, key, j)
                if is_insecure(url):
                    hits.append(
                        doc.hit(
                            "insecure-index",
                            f"`{key}` uses plain http: `{url}`",
                            at=where,
                            fix="use `https://`",
                        )
                    )
                if ctx.pytorch_index(url) is None or key == "find-links":
                    continue
                if key == "index-url":
                    hits.append(
                        doc.hit(
                            "pytorch-index-as-default",
                            f"`index-url` is the PyTorch index `{url}`: every package resolves from it",
                            at=where,
                            fix="keep PyPI as the default; declare the PyTorch index with "
                            "`explicit = true` and point torch at it in `[tool.uv.sources]`",
                        )
                    )
                else:
                    hits.append(
                        doc.hit(
                            "uv-index-not-explicit",
                            f"`extra-index-url` lists the PyTorch index `{url}`: uv searches it "
                            "before PyPI for "
                            "every package",
                            at=where,
                            fix="declare it as a `[[tool.uv.index]]` with `explicit = true` and point "
                            "torch at it in `[tool.uv.sources]`",
                        )
                    )
    return hits


def _targets(uv: dict[str, Any], base: KeyPath) -> tuple[frozenset[str], list[tuple[str, KeyPath, str]]]:
    """Platforms uv resolves for (`environments`, default: all) and the declared (platform, at, text)."""
    declared_targets: list[tuple[str, KeyPath, str]] = []
    raw = uv.get("environments")
    markers = str_list(raw)
    if not markers:
        return ALL_PLATFORMS, []
    platforms: set[str] = set()
    for i, marker in enumerate(markers):
        at: KeyPath = (*base, "environments") if isinstance(raw, str) else (*base, "environments", i)
        for platform in PLATFORMS:
            if marker_applies(marker, platform) is not False:
                platforms.add(platform)
                declared_targets.append((platform, at, f"environment `{marker}`"))
    return frozenset(platforms), declared_targets


def _marker_hits(
    doc: Document,
    uv: dict[str, Any],
    base: KeyPath,
    by_name: dict[str, _Index],
    targets: frozenset[str],
    extras: tuple[str, ...],
) -> tuple[list[Hit], set[tuple[KeyPath, str]]]:
    hits: list[Hit] = []
    flagged: set[tuple[KeyPath, str]] = set()
    for package, value in table(uv.get("sources")).items():
        for entry, at in source_entries(value, (*base, "sources", package)):
            index = by_name.get(text(entry.get("index")) or "")
            if index is None or index.kind is None:
                continue
            if index.kind != "cpu" and gate(entry) is not None:
                continue  # an accelerator extra is opted into on machines that have the accelerator
            marker = text(entry.get("marker"))
            bad = []
            for platform in sorted(kind_gaps(index.kind) & targets, key=PLATFORMS.index):
                applies = True if marker is None else marker_applies(marker, platform, extras)
                if applies:
                    bad.append(platform)
            if not bad:
                continue
            flagged.update((at, p) for p in bad)
            guard = _GUARDS[index.kind]
            new_marker = guard if marker is None else f"{guard} and ({marker})"
            where = ", ".join(platform_label(p) for p in bad)
            hits.append(
                doc.hit(
                    "uv-source-without-platform-marker",
                    f"`{package}` source `{index.name}` also applies on {where}, where "
                    f"`{index.key}` has no wheels: "
                    "resolution fails there",
                    at=at,
                    fix=f'add `marker = "{new_marker}"` so other platforms fall back to PyPI',
                    edit=Edit(
                        at,
                        "marker",
                        new_marker,
                        f"added marker `{guard}` to the `{package}` source `{index.name}`",
                    ),
                )
            )
    return hits, flagged


def _default_origin(indexes: list[_Index], uv: dict[str, Any], ctx: Context) -> str:
    """Where a package without a source resolves first: the first non-explicit index, else the default."""
    for index in indexes:
        if not index.explicit and not index.default:
            return index.key or PYPI
    for url in str_list(uv.get("extra-index-url")):
        info = ctx.pytorch_index(url)
        if info is not None:
            return info.key
    for index in indexes:
        if index.default:
            return index.key or PYPI
    info = ctx.pytorch_index(text(uv.get("index-url")) or "")
    return info.key if info is not None else PYPI


def _deps(
    doc: Document,
    ctx: Context,
    uv: dict[str, Any],
    by_name: dict[str, _Index],
    default: str,
    extras: tuple[str, ...],
) -> list[TorchDep]:
    out: list[TorchDep] = []
    sources = table(uv.get("sources"))
    for dep in declared(doc.data):
        name = family_name(dep.name) if dep.name in ("torch", "torchvision", "torchaudio") else None
        if name is None:
            continue
        req = dep.requirement
        marker = str(req.marker) if req.marker else None
        wanted = frozenset(
            p for p in PLATFORMS if marker is None or marker_applies(marker, p, extras) is not False
        )
        spec = public_spec(req.specifier)
        label = local_label(req.specifier)
        shown = str(req)
        if req.url:
            info = wheel_backend(req.url, ctx.index_base)
            out.append(
                TorchDep(
                    name,
                    spec,
                    info.key if info else f"url:{req.url}",
                    dep.scope,
                    wanted,
                    dep.at,
                    dep.at,
                    shown,
                    marker,
                    label,
                )
            )
            continue
        remaining = set(wanted)
        for entry, at in source_entries(sources.get(dep.name), ("tool", "uv", "sources", dep.name)):
            scope = dep.scope
            gated = gate(entry)
            if gated is not None:
                scope = f"{gated[0]} {gated[1]}"
            if dep.scope not in ("", scope):
                continue
            entry_marker = text(entry.get("marker"))
            on = frozenset(
                p
                for p in wanted
                if entry_marker is None or marker_applies(entry_marker, p, extras) is not False
            )
            index = by_name.get(text(entry.get("index")) or "")
            url = text(entry.get("url"))
            if index is not None:
                origin = index.key or index.url
            elif url is not None:
                info = wheel_backend(url, ctx.index_base)
                origin = info.key if info else f"url:{url}"
            else:
                origin = "url:" + str(entry.get("git") or entry.get("path") or entry.get("workspace") or "?")
            out.append(TorchDep(name, spec, origin, scope, on, at, dep.at, shown, marker, label))
            if scope == dep.scope:
                remaining -= on
        if remaining:
            out.append(
                TorchDep(
                    name, spec, default, dep.scope, frozenset(remaining), dep.at, dep.at, shown, marker, label
                )
            )
    return out


def check_uv(doc: Document, ctx: Context, *, dependencies: bool = True) -> list[Hit]:
    """The uv rules for a pyproject.toml or uv.toml document; with `dependencies`, the PEP 621 ones too.

    Poetry and pixi projects get their dependency rules from their own modules (`dependencies=False`).
    """
    base: KeyPath = ("tool", "uv") if doc.kind == "pyproject" else ()
    uv = at_path(doc.data, tuple(str(p) for p in base))
    indexes = _indexes(doc, ctx, uv, base)
    by_name = {i.name: i for i in indexes if i.name}
    sources = table(uv.get("sources"))
    referenced = {text(e.get("index")) or "" for v in sources.values() for e, _ in source_entries(v, ())}
    hits = _index_hits(doc, ctx, uv, base, indexes, referenced)
    if doc.kind != "pyproject":
        return hits
    extras = extras_of(doc.data)
    targets, declared_targets = _targets(uv, base)
    marker_hits, flagged = _marker_hits(doc, uv, base, by_name, targets, extras)
    hits += marker_hits
    hits += conflict_hits(doc, uv, base)
    if not dependencies:
        return hits
    deps = _deps(doc, ctx, uv, by_name, _default_origin(indexes, uv, ctx), extras)
    hits += companion_hits(doc, deps)
    hits += pairing_hits(doc, deps) + label_hits(doc, deps) + pin_hits(doc, deps)
    requires = text(at_path(doc.data, ("project",)).get("requires-python"))
    if requires is not None:
        try:
            python = SpecifierSet(requires)
        except InvalidSpecifier:
            python = None
        if python is not None:
            hits += python_hits(
                doc,
                deps,
                python,
                f'requires-python = "{requires}"',
                ("project", "requires-python"),
                check_all=False,
            )
    skip = frozenset((d.at, p) for d in deps for (at, p) in flagged if d.at == at)
    hits += platform_hits(doc, deps, declared_targets, skip=skip)
    return hits
