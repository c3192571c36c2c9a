"""uv: `pyproject.toml` with one explicit PyTorch index per backend and `[tool.uv.sources]` per target.

The patterns are uv's PyTorch guide (https://docs.astral.sh/uv/guides/integration/pytorch/):
- every backend index is a `[[tool.uv.index]]` named `pytorch-<backend>` with `explicit = true`, so only
  the torch family is ever taken from it (jinja2 and friends keep coming from the default index);
- `--mode markers`: each torch-family source lists `{ index, marker }` per platform, so one universal
  `uv.lock` holds CUDA on Linux, CPU on Windows, ... ; macOS has no entry and falls back to PyPI, the only
  place its (MPS-enabled) wheels are published;
- `--mode extras`: one optional dependency per backend (`uv sync --extra cpu` / `--extra cu126`), sources
  with `extra = ...`, and `[tool.uv] conflicts` so uv never resolves two backends together.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from torchsmith.errors import UsageError
from torchsmith.export.job import Job, Rendered, join_or, requirement_text
from torchsmith.export.merge import (
    ensure_table,
    inline,
    load_toml,
    merge_aot,
    merge_requirement_list,
    multiline_array,
    parse_value,
    set_if_changed,
    unwrap,
)
from torchsmith.export.targets import Target

__all__ = ["index_name", "render", "source_markers"]

_NOT_DARWIN = "platform_system != 'Darwin'"


def index_name(target: Target) -> str:
    return f"pytorch-{target.label}"


def source_markers(targets: Sequence[Target], group: Sequence[Target]) -> str:
    """The marker selecting `group`'s platforms among `targets`: per OS when that is unambiguous.

    Two Linux targets (x86_64 and aarch64) need `platform_machine` too; Linux plus Windows with nothing
    else is written `platform_system != 'Darwin'`, as in uv's guide.
    """
    markers: list[str] = []
    for target in group:
        shares_os = any(t.os == target.os and t.platform != target.platform for t in targets)
        marker = target.marker if shares_os else target.os_marker
        if marker not in markers:
            markers.append(marker)
    systems = {t.os for t in group}
    if systems == {"linux", "windows"} and all(" and " not in m for m in markers):
        return _NOT_DARWIN
    return join_or(markers)


def is_ours(source: Any) -> bool:
    """A `[tool.uv.sources]` entry torchsmith wrote: only `pytorch-*` indexes, with markers or extras."""
    entries = source if isinstance(source, list) else [source]
    return bool(entries) and all(
        isinstance(e, dict)
        and str(e.get("index", "")).startswith("pytorch-")
        and set(e) <= {"index", "marker", "extra"}
        for e in entries
    )


def _indexes(job: Job) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    for target in job.targets:
        url = job.index_url(target)
        if url is None or any(e["name"] == index_name(target) for e in entries):
            continue
        entries.append({"name": index_name(target), "url": url, "explicit": True})
    return entries


def _marker_sources(job: Job) -> list[dict[str, str]]:
    platforms = [t.platform for t in job.targets]
    duplicate = next((p for p in platforms if platforms.count(p) > 1), None)
    if duplicate is not None:
        names = ", ".join(f"`{t.name}`" for t in job.targets if t.platform == duplicate)
        raise UsageError(
            f"targets {names} are the same platform: `--mode markers` can give each platform one build only",
            hint="use `--mode extras` to choose the build at sync time (`uv sync --extra cpu`)",
        )
    entries: list[dict[str, str]] = []
    by_index: dict[str, list[Target]] = {}
    for target in job.targets:
        if not target.uses_pypi:
            by_index.setdefault(index_name(target), []).append(target)
    for name, group in by_index.items():
        entries.append({"index": name, "marker": source_markers(job.targets, group)})
    return entries


def extras_of(job: Job) -> list[str]:
    """The optional dependencies of `--mode extras`: one per backend (macOS builds are `cpu`)."""
    extras: list[str] = []
    for target in job.targets:
        extra = "cpu" if target.uses_pypi else target.label
        if extra not in extras:
            extras.append(extra)
    return extras


def _extra_sources(job: Job) -> list[dict[str, str]]:
    entries: list[dict[str, str]] = []
    for extra in extras_of(job):
        group = [t for t in job.targets if not t.uses_pypi and t.label == extra]
        if group:
            marker = source_markers(job.targets, group)
            entries.append({"index": index_name(group[0]), "extra": extra, "marker": marker})
    return entries


def _requires_python(job: Job, project: Any) -> None:
    from torchsmith.export.choose import python_range

    low, high = python_range(job.choices)
    wanted = f">={low},<3.{high.minor + 1}"
    if "requires-python" not in project:
        project["requires-python"] = wanted
        return
    from packaging.specifiers import SpecifierSet

    current = SpecifierSet(str(unwrap(project["requires-python"])))
    outside = [f"3.{m}" for m in (low.minor - 1, high.minor + 1) if current.contains(f"3.{m}")]
    if outside:
        job.notes.append(
            f'`requires-python = "{current}"` admits Python {" and ".join(outside)}, for which some target '
            f"has no torch wheels; every target has wheels for `{wanted}`"
        )


def _project(doc: Any, path: Path) -> Any:
    import tomlkit

    if "project" not in doc:
        project = tomlkit.table()
        project["name"] = path.resolve().parent.name.lower().replace(" ", "-") or "project"
        project["version"] = "0.1.0"
        doc.append("project", project)
    return doc["project"]


def render(job: Job) -> Rendered:
    path = job.single_path("pyproject.toml")
    doc = load_toml(job.read(path), where=str(path))
    guard = job.guard(path)
    project = _project(doc, path)
    _requires_python(job, project)
    family = [requirement_text(r) for r in job.family]
    others = [requirement_text(r) for r in job.others]
    managed = [*job.family_names, *(r.name for r in job.others)]
    extras = extras_of(job) if job.mode == "extras" else []
    if job.mode == "extras":
        merge_requirement_list(project, "dependencies", others, managed)
        optional = ensure_table(project, ["optional-dependencies"])
        for extra in extras:
            merge_requirement_list(optional, extra, family, job.family_names, guard=guard)
        sources = _extra_sources(job)
    else:
        merge_requirement_list(project, "dependencies", [*family, *others], managed, guard=guard)
        sources = _marker_sources(job)

    if job.mode == "extras" and len(extras) > 1:
        _merge_conflicts(ensure_table(doc, ["tool", "uv"]), extras)
    table = ensure_table(doc, ["tool", "uv", "sources"])
    uv = doc["tool"]["uv"]
    for name in job.family_names:
        if name in table and not is_ours(unwrap(table[name])) and unwrap(table[name]) != sources:
            theirs = f"[tool.uv.sources] {name} = {table[name].as_string()}"
            guard.conflict(name, theirs, "torchsmith's sources")
        if sources:
            set_if_changed(table, name, sources, lambda: multiline_array(inline(s) for s in sources))
        elif name in table:
            del table[name]
    merge_aot(uv, "index", _indexes(job))
    if job.mode == "markers":
        # A universal lock may otherwise pick a torch with no wheel for a target (2.11.0+cu128 has none for
        # Windows); `required-environments` makes `uv lock` choose versions every target can install. In
        # extras mode each extra serves some platforms only, so it would demand impossible wheels.
        required = list(dict.fromkeys(t.marker for t in job.targets))
        set_if_changed(uv, "required-environments", required, lambda: multiline_array(required))

    notes = ["run `uv lock` to resolve every target into one `uv.lock`"]
    if job.mode == "extras":
        notes += [f"install with `uv sync --extra {extra}`" for extra in extras]
    else:
        notes.append("install with `uv sync` (each platform gets its own build)")
    from torchsmith.index.settings_env import credential_notes  # issue 13: variables, never secrets

    notes += credential_notes(job.settings, "uv", [(e["name"], e["url"]) for e in _indexes(job)])
    return Rendered(((path, doc.as_string()),), tuple(notes))


def _merge_conflicts(uv: Any, extras: Sequence[str]) -> None:
    ours = [{"extra": e} for e in extras]
    current = [list(group) for group in unwrap(uv["conflicts"])] if "conflicts" in uv else []
    kept = [g for g in current if not any(item.get("extra") in extras for item in g)]
    wanted = [*kept, ours]
    if current == wanted:
        return
    groups = []
    for group in wanted:
        items = "".join(f"    {inline(item).as_string()},\n" for item in group)
        groups.append(f"  [\n{items}  ],\n")
    uv["conflicts"] = parse_value("[\n" + "".join(groups) + "]")
