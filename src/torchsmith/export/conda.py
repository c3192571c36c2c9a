"""conda: one `environment-<target>.yml` per target, conda-forge only.

conda-forge's PyTorch is `pytorch-gpu` (CUDA) or `pytorch-cpu`, with the CUDA minor pinned through the
`cuda-version` package (https://conda-forge.org/docs/user/tipsandtricks/#installing-cuda-enabled-packages-like-tensorflow-and-pytorch).
The channel list is `conda-forge` plus `nodefaults`: the legacy `pytorch` channel and Anaconda's
`defaults` are never mixed in (pixi's PyTorch guide, troubleshooting). conda-forge has no ROCm, XPU or
Jetson build, so those targets get Python from conda-forge and the torch family through the `pip:`
section from the PyTorch index, every torch-dependent package with it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from torchsmith.export.job import Job, Rendered
from torchsmith.export.merge import Guard, check_requirement_lines, kept_constraint, load_yaml, yaml_text
from torchsmith.export.pixi import conda_spec
from torchsmith.export.targets import Target

__all__ = ["conda_dependencies", "render"]

_FAMILY_CONDA = {"torch": ("pytorch-gpu", "pytorch-cpu", "pytorch"), "torchvision": ("torchvision",),
                 "torchaudio": ("torchaudio",)}  # fmt: skip
_MANAGED_PREFIXES = (
    "pytorch",
    "pytorch-gpu",
    "pytorch-cpu",
    "torchvision",
    "torchaudio",
    "cuda-version",
    "python",
)


def _spec(name: str, version: str) -> str:
    return name if version == "*" else f"{name} {version}"


def _python_spec(job: Job, target: Target) -> str:
    choice = job.choice(target)
    return f"python >={choice.pythons[0]},<3.{choice.pythons[-1].minor + 1}"


def conda_dependencies(job: Job, target: Target) -> tuple[list[str], list[str] | None]:
    """(conda specs, pip lines or None) for `target`."""
    from torchsmith.export.pip import pins_for

    python = _python_spec(job, target)
    if target.kind in ("cpu", "cuda", "mps"):
        gpu = target.kind == "cuda"
        specs = [python]
        for req in job.family:
            name = canonicalize_name(req.name)
            conda = ("pytorch-gpu" if gpu else "pytorch-cpu") if name == "torch" else name
            specs.append(_spec(conda, conda_spec(req)))
        if gpu:
            specs.append(f"cuda-version {target.parsed_backend.cuda}.*")
        return specs, None
    pins, _ = pins_for(job, target)
    url = job.index_url(target)
    flag = "--index-url" if target.kind == "jetson" else "--extra-index-url"
    return [python, "pip"], [f"{flag} {url}", *pins]


def _is_managed(item: Any) -> bool:
    if not isinstance(item, str):
        return False
    head = item.replace("=", " ").replace(">", " ").replace("<", " ").split()[0] if item.strip() else ""
    return head.split("::")[-1] in _MANAGED_PREFIXES


def render(job: Job) -> Rendered:
    from ruamel.yaml.comments import CommentedSeq

    files: list[tuple[Path, str]] = []
    notes: list[str] = []
    for target in job.targets:
        path = job.target_path(target, "environment-{target}.yml")
        data = load_yaml(job.read(path), where=str(path))
        fresh = not data
        if fresh:
            data.yaml_set_start_comment(f"{job.header()[2:]} for `{target.name}`")
            data["name"] = f"torch-{target.name}"
        channels = list(data.get("channels") or [])
        if "pytorch" in channels:
            notes.append(
                f"warning: `{path.name}` lists the legacy `pytorch` channel: remove it "
                "(never mix it with conda-forge)"
            )
        wanted_channels = ["conda-forge", "nodefaults"]
        if channels[: len(wanted_channels)] != wanted_channels:
            rest = [c for c in channels if c not in wanted_channels and c != "defaults"]
            data["channels"] = CommentedSeq([*wanted_channels, *rest])
        specs, pip_lines = conda_dependencies(job, target)
        others = [_spec(canonicalize_name(r.name), conda_spec(r)) for r in job.others]
        _merge_dependencies(data, specs, others, pip_lines, job)
        if target.kind == "cuda":
            cuda = target.parsed_backend.cuda
            notes.append(
                f"`{path.name}`: conda picks the CUDA build from the driver (`__cuda`); on a machine without "
                f"one (a CI runner, a build host) set `CONDA_OVERRIDE_CUDA={cuda}`"
            )
        notes.append(f"create with `conda env create -f {path.name}` (or `mamba`/`micromamba`)")
        files.append((path, yaml_text(data)))
    from torchsmith.index.settings_env import credential_notes  # issue 13: netrc/keyring, never secrets

    notes += credential_notes(
        job.settings, "conda", [(None, u) for t in job.targets if (u := job.index_url(t))]
    )
    return Rendered(tuple(files), tuple(notes))


def _merge_dependencies(
    data: Any, specs: list[str], others: list[str], pip_lines: list[str] | None, job: Job
) -> None:
    """Edit `dependencies` in place (so comments on kept lines stay): torchsmith's specs replace the
    managed ones where the first of them stood; the `pip:` section keeps the user's own lines."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    deps = data.get("dependencies")
    if deps is not None and not isinstance(deps, CommentedSeq):
        from torchsmith.errors import UsageError

        raise UsageError(
            f"cannot merge into `{job.output or 'environment.yml'}`: `dependencies` is not a list",
            hint="make `dependencies:` a YAML list (`- python`), or write the export elsewhere with `-o`",
        )
    if not isinstance(deps, CommentedSeq):
        deps = CommentedSeq()
    current = list(deps)
    managed = [i for i, d in enumerate(current) if _is_managed(d) or (isinstance(d, str) and d in others)]
    guard = job.guard(job.single_path("environment.yml"))
    managed = [i for i in managed if not _keeps_own_constraint(current[i], guard)]
    position = managed[0] if managed else 0
    kept = [d for i, d in enumerate(current) if i not in managed and not isinstance(d, dict)]
    old_pip = next((d for d in current if isinstance(d, dict) and "pip" in d), None)
    old_pip_lines = list(old_pip["pip"] or []) if old_pip and isinstance(old_pip["pip"], list) else []
    for line in old_pip_lines:
        check_requirement_lines(guard, str(line))
    user_pip = [p for p in old_pip_lines if not _pip_managed(p, job)]
    pip_all = [*(pip_lines or []), *user_pip]
    tail: list[Any] = [*others, *(["pip"] if pip_all and "pip" not in kept else [])]
    before = len(
        [i for i, d in enumerate(current) if i < position and i not in managed and not isinstance(d, dict)]
    )
    wanted = [*kept[:before], *specs, *kept[before:], *tail]
    if pip_all:
        wanted.append({"pip": pip_all})
    if _plain(current) == _plain(wanted):
        return
    following = ""  # full-line comments after a removed item belong to the user: keep them
    for index in range(len(deps) - 1, -1, -1):
        if index in managed or isinstance(deps[index], dict):
            following = _following_comments(deps, index) + following
            del deps[index]
    for offset, spec in enumerate(specs):
        deps.insert(before + offset, spec)
    for item in tail:
        deps.append(item)
    if pip_all:
        pip_map = CommentedMap()
        pip_map["pip"] = CommentedSeq(pip_all)
        deps.append(pip_map)
    if following and len(deps):
        _append_comment(deps, len(deps) - 1, following)
    data["dependencies"] = deps


def _following_comments(seq: Any, index: int) -> str:
    """The comment lines after item `index` (ruamel keeps them with the item's end-of-line comment)."""
    slot = seq.ca.items.get(index)
    token = slot[0] if slot else None
    if token is None or "\n" not in token.value:
        return ""
    return str(token.value.split("\n", 1)[1])


def _append_comment(seq: Any, index: int, text: str) -> None:
    from ruamel.yaml.error import CommentMark
    from ruamel.yaml.tokens import CommentToken

    slot = seq.ca.items.get(index)
    if slot and slot[0] is not None:
        slot[0].value = slot[0].value.rstrip("\n") + "\n" + text
    else:
        seq.ca.items[index] = [CommentToken("\n" + text, CommentMark(0), None), None, None, None]


_FAMILY_OF = {"pytorch": "torch", "pytorch-cpu": "torch", "pytorch-gpu": "torch",
              "torchvision": "torchvision", "torchaudio": "torchaudio"}  # fmt: skip


def _keeps_own_constraint(item: Any, guard: Guard) -> bool:
    """True when `item` is the user's own versioned torch-family spec that the plan satisfies (it stays);
    a versioned spec the plan does not satisfy is a conflict (`--force` lets it be replaced)."""
    if not isinstance(item, str):
        return False
    text = item.strip().split("::")[-1]
    cut = next((i for i, c in enumerate(text) if c in " =<>!~"), len(text))
    family = _FAMILY_OF.get(text[:cut].strip().lower())
    version = text[cut:].strip()
    if family is None or not version:
        return False
    return kept_constraint(guard, family, version, ours="torchsmith's specs") is not None


def _pip_managed(line: Any, job: Job) -> bool:
    text = str(line).strip()
    if text.startswith(("--index-url", "--extra-index-url")):
        return True
    name = text.split("==")[0].split(">")[0].split("<")[0].split("[")[0].strip()
    return canonicalize_name(name) in job.family_names if name else False


def _plain(items: list[Any]) -> list[Any]:
    return [
        {k: list(v) if isinstance(v, list) else v for k, v in i.items()} if isinstance(i, dict) else i
        for i in items
    ]
