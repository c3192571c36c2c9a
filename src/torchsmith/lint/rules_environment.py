"""Rules for conda environment files (environment.yml, conda*.yml, *-env.yml) and `.condarc`.

An environment file (https://docs.conda.io/projects/conda/en/latest/user-guide/tasks/manage-environments.html#create-env-file-manually)
lists channels, match specs (`pytorch::pytorch=2.1`) and a `pip:` list whose lines are pip requirements
and options; `.condarc` channels apply to every environment on the machine.
"""

from __future__ import annotations

from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from torchsmith.lint.access import str_list, text
from torchsmith.lint.conda_common import channel_hits, metapackage_hit, mix_hits, unique
from torchsmith.lint.document import Context, Document, Hit, KeyPath
from torchsmith.lint.model import (
    ALL_PLATFORMS,
    CONDA,
    TorchDep,
    family_name,
    label_origin,
    local_label,
    public_spec,
)
from torchsmith.lint.rules_index import label_hits, pin_hits
from torchsmith.lint.specs import parse_match_spec
from torchsmith.lint.urls import PYPI, is_insecure, wheel_backend
from torchsmith.lint.wheels import companion_hits, pairing_hits, python_hits

__all__ = ["check_condarc", "check_environment_yml"]


def _pip_section(
    items: list[Any], at: KeyPath, ctx: Context, doc: Document, hits: list[Hit]
) -> tuple[dict[str, KeyPath], list[TorchDep], str]:
    """Requirements and index options of an environment file's `pip:` list."""
    names: dict[str, KeyPath] = {}
    deps: list[TorchDep] = []
    default = PYPI
    requirements: list[tuple[Requirement, KeyPath]] = []
    for j, item in enumerate(items):
        if not isinstance(item, str):
            continue
        where = (*at, j)
        line = item.strip()
        if line.startswith("-"):
            option, _, value = line.partition(" ")
            option, _, inline = option.partition("=")
            url = (inline or value).strip()
            if is_insecure(url):
                hits.append(
                    doc.hit(
                        "insecure-index",
                        f"`{option}` uses plain http: `{url}`",
                        at=where,
                        fix="use `https://`",
                    )
                )
            info = ctx.pytorch_index(url) if url else None
            if option in ("-i", "--index-url") and info is not None:
                default = info.key
                hits.append(
                    doc.hit(
                        "pytorch-index-as-default",
                        f"`{option}` makes the PyTorch index `{url}` the index of every pip package",
                        at=where,
                        fix="use `--extra-index-url` for the PyTorch index",
                    )
                )
            continue
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        requirements.append((requirement, where))
        names[canonicalize_name(requirement.name)] = where
    for requirement, where in requirements:
        family = family_name(requirement.name)
        if family is None:
            continue
        if requirement.url:
            info = wheel_backend(requirement.url, ctx.index_base)
            origin = info.key if info else f"url:{requirement.url}"
        else:
            origin = label_origin(requirement.specifier) or default
        deps.append(
            TorchDep(
                family,
                public_spec(requirement.specifier),
                origin,
                "",
                ALL_PLATFORMS,
                where,
                where,
                str(requirement),
                label=local_label(requirement.specifier),
            )
        )
    return names, deps, default


def check_environment_yml(doc: Document, ctx: Context) -> list[Hit]:
    data = doc.data
    hits: list[Hit] = []
    channels: list[tuple[str, KeyPath]] = [
        (c, ("channels", i)) for i, c in enumerate(str_list(data.get("channels")))
    ]
    dep_channels: list[tuple[str, KeyPath]] = []
    conda: dict[str, KeyPath] = {}
    pypi: dict[str, KeyPath] = {}
    deps: list[TorchDep] = []
    python: tuple[str, SpecifierSet | None, KeyPath] | None = None
    raw = data.get("dependencies")
    for i, item in enumerate(raw if isinstance(raw, list) else []):
        at: KeyPath = ("dependencies", i)
        if isinstance(item, dict) and isinstance(item.get("pip"), list):
            names, pip_deps, _ = _pip_section(item["pip"], (*at, "pip"), ctx, doc, hits)
            pypi.update(names)
            deps += pip_deps
            continue
        if not isinstance(item, str):
            continue
        spec = parse_match_spec(item)
        if spec is None:
            continue
        conda[canonicalize_name(spec.name)] = at
        if spec.channel:
            dep_channels.append((spec.channel, at))
        if spec.name == "pytorch-cuda":
            hits.append(metapackage_hit(doc, at, False))
        if spec.name == "python":
            python = (item.strip(), spec.specifier(), at)
        family = family_name(spec.name)
        if family is not None:
            deps.append(TorchDep(family, spec.specifier(), CONDA, "", ALL_PLATFORMS, at, at, item.strip()))
    hits += channel_hits(doc, channels, dep_channels)
    hits += mix_hits(doc, conda, pypi, "")
    hits += companion_hits(doc, deps)
    hits += pairing_hits(doc, deps) + label_hits(doc, deps) + pin_hits(doc, deps)
    if python is not None and python[1] is not None and "torch" in pypi:
        hits += python_hits(
            doc, [d for d in deps if d.origin != CONDA], python[1], python[0], python[2], check_all=True
        )
    return unique(hits)


def check_condarc(doc: Document, ctx: Context) -> list[Hit]:
    """A `.condarc` (https://docs.conda.io/projects/conda/en/latest/user-guide/configuration/): its
    `channels` and `default_channels` apply to every environment created on the machine."""
    channels: list[tuple[str, KeyPath]] = []
    for key in ("channels", "default_channels"):
        channels += [(c, (key, i)) for i, c in enumerate(str_list(doc.data.get(key)))]
    alias = text(doc.data.get("channel_alias"))
    hits = channel_hits(doc, channels, [])
    if alias is not None and is_insecure(alias):
        hits.append(
            doc.hit(
                "insecure-index",
                f"`channel_alias` uses plain http: `{alias}`",
                at=("channel_alias",),
                fix="use `https://`",
            )
        )
    return unique(hits)
