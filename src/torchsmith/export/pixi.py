"""pixi: `pixi.toml` (or `[tool.pixi]` in a `pyproject.toml`) with `cpu` / `gpu` features and environments.

`--source conda-forge` follows pixi's PyTorch guide (https://pixi.sh/latest/python/pytorch/): `pytorch-gpu`
plus a `cuda-version` pin in a `gpu` feature, `pytorch-cpu` in a `cpu` feature, environments `default`
(gpu) and `cpu`. CUDA must be declared or pixi resolves the CPU build: pixi >= 0.71 declares it on a named
platform entry (`{ name = "linux-64-cuda12", platform = "linux-64", cuda = "12.0" }`) that the gpu
feature lists; older pixi reads `[feature.gpu.system-requirements] cuda`. The installed pixi's version
decides (current syntax when pixi is not installed). Never the legacy `pytorch` channel: mixing it with
conda-forge breaks environments (the guide's troubleshooting).

`--source pypi` takes the torch family from the PyTorch indexes as `pypi-dependencies` with `index`, one
feature and environment per backend, every torch-dependent package from PyPI too.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Sequence
from functools import partial
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from torchsmith.errors import UsageError
from torchsmith.export.job import Job, Rendered
from torchsmith.export.merge import (
    Guard,
    ensure_table,
    inline,
    join_constraints,
    kept_constraint,
    load_toml,
    multiline_array,
    set_if_changed,
    unwrap,
)
from torchsmith.export.targets import Target

__all__ = ["RICH_PLATFORMS", "conda_spec", "installed_pixi", "render"]

RICH_PLATFORMS = Version("0.71")
"""pixi 0.71 moved CUDA from `[system-requirements]` onto `platforms` entries."""

_CONDA_NAMES = {"torch": "pytorch"}


def installed_pixi() -> Version | None:
    """The version of `pixi` on PATH, or None when it is not installed or does not answer."""
    program = shutil.which("pixi")
    if program is None:
        return None
    try:
        out = subprocess.run([program, "--version"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r"([0-9]+\.[0-9]+(?:\.[0-9]+)?)", out)
    try:
        return Version(match.group(1)) if match else None
    except InvalidVersion:
        return None


def conda_spec(req: Requirement) -> str:
    """A PEP 440 specifier as a conda version spec (`~=2.5` becomes `>=2.5,<3`); `*` when unversioned."""
    parts: list[str] = []
    for spec in sorted(req.specifier, key=str):
        if spec.operator == "~=":
            release = Version(spec.version).release
            upper = [*release[:-2], release[-2] + 1]
            parts += [f">={spec.version}", f"<{'.'.join(map(str, upper))}"]
        elif spec.operator == "===":
            parts.append(f"=={spec.version}")
        else:
            parts.append(str(spec))
    return ",".join(parts) or "*"


def _conda_name(req: Requirement, gpu: bool) -> str:
    name = canonicalize_name(req.name)
    if name == "torch":
        return "pytorch-gpu" if gpu else "pytorch-cpu"
    return _CONDA_NAMES.get(name, name)


def _cuda(target: Target) -> Version:
    cuda = target.parsed_backend.cuda
    if cuda is None:
        raise ValueError(f"`{target.name}` is not a CUDA target")
    return cuda


def _platform_name(target: Target) -> str:
    return f"{target.conda_subdir}-cuda{_cuda(target).major}"


def _python(job: Job) -> str:
    from torchsmith.export.choose import python_range

    low, high = python_range(job.choices)
    return f">={low},<3.{high.minor + 1}"


def _check_conda_forge(targets: Sequence[Target]) -> None:
    for target in targets:
        if target.kind in ("rocm", "xpu", "jetson"):
            why = {
                "rocm": "conda-forge has no ROCm build of pytorch",
                "xpu": "conda-forge has no Intel XPU build of pytorch",
                "jetson": "conda-forge's aarch64 CUDA builds need SBSA CUDA, which JetPack 6 does not have",
            }[target.kind]
            raise UsageError(
                f"cannot export `{target.name}` with `--source conda-forge`: {why}",
                hint="use `--source pypi` (the PyTorch index as pypi-dependencies)",
            )


def _platforms(workspace: Any, wanted: list[Any]) -> None:
    """Make `workspace.platforms` hold every wanted entry; entries the user added stay."""
    current = list(workspace["platforms"].unwrap()) if "platforms" in workspace else []
    merged = [*current, *(w for w in wanted if w not in current)]
    if merged != current or "platforms" not in workspace:
        items = [inline(w) if isinstance(w, dict) else w for w in merged]
        workspace["platforms"] = (
            multiline_array(items) if any(isinstance(w, dict) for w in merged) else merged
        )


def _conda_forge(job: Job, root: Any, workspace: Any, rich: bool) -> list[str]:
    _check_conda_forge(job.targets)
    gpu = [t for t in job.targets if t.kind == "cuda"]
    cpu = [t for t in job.targets if t.kind != "cuda"]
    platforms: list[Any] = [t.conda_subdir for t in cpu]
    if rich:
        platforms += [
            {
                "name": _platform_name(t),
                "platform": t.conda_subdir,
                "cuda": f"{_cuda(t).major}.0",
            }
            for t in gpu
        ]
    else:
        platforms += [t.conda_subdir for t in gpu]
    _platforms(workspace, _dedupe(platforms))
    envs: dict[str, list[str]] = {}
    if gpu:
        feature = ensure_table(root, ["feature", "gpu"])
        names = [_platform_name(t) for t in gpu] if rich else [t.conda_subdir for t in gpu]
        set_if_changed(feature, "platforms", list(dict.fromkeys(names)))
        if not rich:
            major = max(_cuda(t).major for t in gpu)
            set_if_changed(ensure_table(feature, ["system-requirements"]), "cuda", f"{major}.0")
        deps = ensure_table(feature, ["dependencies"])
        _family(job, deps, gpu=True, guard=job.guard(job.single_path("pixi.toml")))
        versions = {str(t.parsed_backend.cuda) for t in gpu}
        if len(versions) == 1:
            set_if_changed(deps, "cuda-version", f"{versions.pop()}.*")
        else:
            for target in gpu:
                per = ensure_table(feature, ["target", target.conda_subdir, "dependencies"])
                set_if_changed(per, "cuda-version", f"{target.parsed_backend.cuda}.*")
        envs["default"] = ["gpu"]
    if cpu:
        feature = ensure_table(root, ["feature", "cpu"])
        set_if_changed(feature, "platforms", list(dict.fromkeys(t.conda_subdir for t in cpu)))
        _family(job, ensure_table(feature, ["dependencies"]), gpu=False,
                guard=job.guard(job.single_path("pixi.toml")))  # fmt: skip
        envs["cpu" if gpu else "default"] = ["cpu"]
    environments = ensure_table(root, ["environments"])
    for name, feats in envs.items():
        set_if_changed(environments, name, feats)
    runs = [f"pixi run -e {name} python -c 'import torch; print(torch.cuda.is_available())'" for name in envs]
    return ["run `pixi lock`, then:", *runs]


def _key(entry: dict[str, Any]) -> str:
    return str(entry.get("name", entry.get("platform")))


def _dedupe(platforms: list[Any]) -> list[Any]:
    seen: set[str] = set()
    result = []
    for p in platforms:
        key = p if isinstance(p, str) else _key(p)
        if key not in seen:
            seen.add(key)
            result.append(p)
    return result


def _family(job: Job, deps: Any, *, gpu: bool, guard: Guard | None = None) -> None:
    for req in job.family:
        name, spec = _conda_name(req, gpu), conda_spec(req)
        theirs = unwrap(deps[name]) if name in deps else None
        kept = kept_constraint(guard, canonicalize_name(req.name), theirs, ours=spec, plain_keys=("build",))
        set_if_changed(deps, name, join_constraints(kept, spec))


_FAMILY_OF = {
    "pytorch": "torch",
    "pytorch-cpu": "torch",
    "pytorch-gpu": "torch",
    "torch": "torch",
    "torchvision": "torchvision",
    "torchaudio": "torchaudio",
}


def _check_own_entries(root: Any, guard: Guard) -> None:
    """Torch-family entries the file has outside torchsmith's features must fit the plan too; with
    `--force` the ones that do not are removed."""
    for table_name in ("dependencies", "pypi-dependencies"):
        table = root.get(table_name)
        if table is None or not hasattr(table, "keys"):
            continue
        for key in list(table.keys()):
            family = _FAMILY_OF.get(canonicalize_name(str(key)))
            if family is None:
                continue
            before = len(guard.notes)
            kept_constraint(guard, family, unwrap(table[key]), ours="torchsmith's features",
                            plain_keys=("build", "extras"))  # fmt: skip
            if len(guard.notes) > before and guard.notes[-1].startswith("replaced"):
                del table[key]


def _pypi(job: Job, root: Any, workspace: Any) -> list[str]:
    _platforms(workspace, _dedupe([t.conda_subdir for t in job.targets]))
    deps = ensure_table(root, ["dependencies"])
    set_if_changed(deps, "python", _python(job))
    environments = ensure_table(root, ["environments"])
    labels: list[str] = []
    for target in job.targets:
        if target.label in labels:
            continue
        labels.append(target.label)
        group = [t for t in job.targets if t.label == target.label]
        feature = ensure_table(root, ["feature", target.label])
        set_if_changed(feature, "platforms", list(dict.fromkeys(t.conda_subdir for t in group)))
        pypi = ensure_table(feature, ["pypi-dependencies"])
        url = job.index_url(target)
        for req in job.family:
            value: Any = {"version": str(req.specifier) or "*"}
            if url:
                value["index"] = url
            if req.extras:
                value["extras"] = sorted(req.extras)
            set_if_changed(pypi, req.name, value, partial(inline, value))
        set_if_changed(
            environments,
            target.label,
            {"features": [target.label]},
            partial(inline, {"features": [target.label]}),
        )
    return ["run `pixi lock`, then:", *(f"pixi run -e {label} python -c 'import torch'" for label in labels)]


def render(job: Job, *, pixi_version: Version | None = None) -> Rendered:
    path = job.single_path("pixi.toml")
    doc = load_toml(job.read(path), where=str(path))
    in_pyproject = path.name == "pyproject.toml"
    root = ensure_table(doc, ["tool", "pixi"], super_last=True) if in_pyproject else doc
    version = pixi_version if pixi_version is not None else installed_pixi()
    rich = version is None or version >= RICH_PLATFORMS
    has_project = "project" in root and "workspace" not in root and not in_pyproject
    workspace = root["project"] if has_project else ensure_table(root, ["workspace"])
    if not in_pyproject and "name" not in workspace:
        workspace["name"] = path.resolve().parent.name.lower().replace(" ", "-") or "project"
    if "channels" not in workspace:
        workspace["channels"] = ["conda-forge"]
    elif "pytorch" in [str(c) for c in workspace["channels"]]:
        job.notes.append(
            "warning: the legacy `pytorch` channel is in `channels`; mixing it with conda-forge breaks "
            "environments (pixi's PyTorch guide): remove it"
        )
    _check_own_entries(root, job.guard(path))
    for req in job.others:
        if job.source == "pypi":
            set_if_changed(ensure_table(root, ["pypi-dependencies"]), req.name, str(req.specifier) or "*")
        else:
            set_if_changed(ensure_table(root, ["dependencies"]), canonicalize_name(req.name), conda_spec(req))
    if job.source == "pypi":
        notes = _pypi(job, root, workspace)
    else:
        notes = _conda_forge(job, root, workspace, rich)
        if not rich:
            notes.append(f"pixi {version} reads CUDA from `[feature.gpu.system-requirements]` (pixi < 0.71)")
    from torchsmith.index.settings_env import credential_notes  # issue 13: `pixi auth login`, never secrets

    notes += credential_notes(
        job.settings, "pixi", [(None, u) for t in job.targets if (u := job.index_url(t))]
    )
    return Rendered(((path, doc.as_string()),), tuple(notes))
