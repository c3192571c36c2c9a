"""poetry: `cpu` / `cuda` extras with mutually exclusive markers and explicit PyTorch sources.

Each PyTorch index is a `[[tool.poetry.source]]` with `priority = "explicit"` (used only by the packages that
name it); every torch-family package is one main dependency with a list of constraints, one per
(extra, index), marked `extra == 'cpu' and extra != 'cuda'` and the other way round; `[tool.poetry.extras]`
lists the family under each extra. macOS takes PyPI's wheels (no source), as with uv.

This deliberately avoids the poetry-torch recipe's optional `cuda` group (seed 001), whose trap is that
`poetry sync -E cuda` without `--with cuda` does not install the CUDA build (`torchsmith lint` reports it as
`poetry-extra-cpu-fallback`). With every constraint in the main group, `poetry sync -E cuda` alone installs
the CUDA build; this layout is locked and installed by the real poetry in the tests. The command table is
written above the extras.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

from torchsmith.export.job import Job, Rendered
from torchsmith.export.merge import (
    ensure_table,
    inline,
    join_constraints,
    kept_constraint,
    load_toml,
    merge_aot,
    multiline_array,
    set_if_changed,
    unwrap,
)
from torchsmith.export.targets import Target
from torchsmith.export.uv import index_name, source_markers

__all__ = ["command_table", "extra_of", "render"]


def command_table(extra: str) -> list[str]:
    """The command table of the poetry-torch recipe for `extra`, as Markdown rows."""
    rows = [
        ("command", "installs"),
        ("poetry sync", "no PyTorch (import fails)"),
        ("poetry sync -E cpu", "the CPU build (PyPI's wheels on macOS)"),
        (f"poetry sync -E {extra}", f"the {extra} build; needs that hardware"),
    ]
    left = max(len(a) for a, _ in rows)
    right = max(len(b) for _, b in rows)
    lines = [f"| {a.ljust(left)} | {b.ljust(right)} |" for a, b in rows]
    lines.insert(1, f"| {'-' * left} | {'-' * right} |")
    return lines


def extra_of(target: Target) -> str:
    """`cpu` for CPU and macOS targets; else the accelerator family: `cuda` (Jetson too), `rocm`, `xpu`."""
    if target.kind in ("cpu", "mps"):
        return "cpu"
    return "cuda" if target.kind in ("cuda", "jetson") else target.kind


def _marker(extra: str, extras: Sequence[str], platform: str | None) -> str:
    parts = [f"extra == '{extra}'", *(f"extra != '{e}'" for e in extras if e != extra)]
    if platform:
        parts.append(f"({platform})" if " or " in platform else platform)
    return " and ".join(parts)


def _constraints(job: Job, extra: str, extras: Sequence[str], version: str) -> list[dict[str, Any]]:
    group = [t for t in job.targets if extra_of(t) == extra]
    entries: list[dict[str, Any]] = []
    by_index: dict[str, list[Target]] = {}
    for target in group:
        if not target.uses_pypi:
            by_index.setdefault(index_name(target), []).append(target)
    for name, members in by_index.items():
        platform = source_markers(job.targets, members)
        entry: dict[str, Any] = {
            "version": version,
            "source": name,
            "markers": _marker(extra, extras, platform),
        }
        entries.append(entry)
    if any(t.uses_pypi for t in group):
        pypi = next(t for t in group if t.uses_pypi)
        entries.append({"version": version, "markers": _marker(extra, extras, pypi.os_marker)})
    return entries


def _python(job: Job, doc: Any, deps: Any) -> None:
    from torchsmith.export.choose import python_range

    low, high = python_range(job.choices)
    project = doc.get("project")
    if project is not None and "requires-python" in project:
        return
    if "python" not in deps:
        deps["python"] = f">={low},<3.{high.minor + 1}"


def _array(entries: list[dict[str, Any]]) -> Any:
    return multiline_array(inline(x) for x in entries)


def render(job: Job) -> Rendered:
    path = job.single_path("pyproject.toml")
    text = job.read(path)
    doc = load_toml(text, where=str(path))
    poetry = ensure_table(doc, ["tool", "poetry"])
    if text is None or ("project" not in doc and "name" not in poetry and "package-mode" not in poetry):
        poetry["package-mode"] = False
    extras = list(dict.fromkeys(extra_of(t) for t in job.targets))
    deps = ensure_table(doc, ["tool", "poetry", "dependencies"])
    _python(job, doc, deps)
    for req in job.others:
        set_if_changed(deps, req.name, str(req.specifier) or "*")
    accelerated = [e for e in extras if e != "cpu"]
    guard = job.guard(path)
    for req in job.family:
        version = str(req.specifier) or "*"
        theirs = unwrap(deps[req.name]) if req.name in deps else None
        for entry in theirs if isinstance(theirs, list) else [theirs]:
            if isinstance(entry, dict) and not str(entry.get("source", "pytorch-")).startswith("pytorch-"):
                guard.conflict(req.name, f"{req.name} = {theirs}", "torchsmith's sources")
        keys = ("source", "markers", "python", "platform", "extras", "optional")
        kept = kept_constraint(guard, req.name, theirs, ours=version, plain_keys=keys)
        version = join_constraints(kept, version)
        entries = [entry for extra in extras for entry in _constraints(job, extra, extras, version)]
        set_if_changed(deps, req.name, entries, partial(_array, entries))

    fresh = "extras" not in poetry
    extras_table = ensure_table(doc, ["tool", "poetry", "extras"])
    if fresh and accelerated:
        import tomlkit

        for line in command_table(accelerated[0]):
            extras_table.add(tomlkit.comment(line))
    names = [r.name for r in job.family]
    for extra in extras:
        set_if_changed(extras_table, extra, names)

    sources: list[dict[str, Any]] = []
    for target in job.targets:
        url = job.index_url(target)
        if url and all(s["name"] != index_name(target) for s in sources):
            sources.append({"name": index_name(target), "url": url, "priority": "explicit"})
    merge_aot(poetry, "source", sources)

    notes = ["run `poetry lock`, then `poetry sync -E cpu`"]
    notes += [f"install the {extra} build with `poetry sync -E {extra}`" for extra in accelerated]
    notes.append("`poetry sync` without `-E` installs no PyTorch: choose the build with an extra")
    from torchsmith.index.settings_env import credential_notes  # issue 13: variables, never secrets

    notes += credential_notes(job.settings, "poetry", [(s["name"], s["url"]) for s in sources])
    return Rendered(((path, doc.as_string()),), tuple(notes))
