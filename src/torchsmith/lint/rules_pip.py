"""Rules for pip's files: requirements / constraints files and pip.conf.

pip searches `--index-url` (default PyPI) and every `--extra-index-url` and takes the best version from
any of them (https://pip.pypa.io/en/stable/cli/pip_install/#finding-packages); PyTorch's own instructions
(`--index-url https://download.pytorch.org/whl/cu124`) are meant for a command line, and in a file or
pip.conf they move every package of the project onto the PyTorch index.
"""

from __future__ import annotations

from torchsmith.lint.document import Context, Document, Hit, KeyPath
from torchsmith.lint.model import ALL_PLATFORMS, TorchDep, family_name, label_origin, local_label, public_spec
from torchsmith.lint.requirements import RequirementsFile
from torchsmith.lint.rules_index import label_hits, pin_hits
from torchsmith.lint.urls import PYPI, is_insecure, wheel_backend
from torchsmith.lint.wheels import companion_hits, pairing_hits

__all__ = ["check_pip_conf", "check_requirements"]

_INDEX_DEFAULT_FIX = (
    "install torch with `--index-url` on the command line only, or name the index per "
    "package with `--extra-index-url` and a `+cu124`-style pin"
)


def check_requirements(doc: Document, ctx: Context) -> list[Hit]:
    parsed: RequirementsFile = doc.data
    hits = [Hit(error) for error in parsed.errors]
    default = PYPI
    extra: str | None = None
    for option in parsed.options:
        at: KeyPath = ("line", option.line, option.display) if option.display else ("line", option.line)
        for url in option.value.split():
            if option.name in ("index-url", "extra-index-url", "find-links") and is_insecure(url):
                hits.append(
                    doc.hit(
                        "insecure-index",
                        f"`--{option.name}` uses plain http: `{url}`",
                        at=at,
                        fix="use `https://`",
                        breadcrumb=f"{_name(option.display) or doc.name} › --{option.name}",
                    )
                )
            info = ctx.pytorch_index(url)
            if info is None:
                continue
            if option.name == "index-url":
                default = info.key
                hits.append(
                    doc.hit(
                        "pytorch-index-as-default",
                        f"`--index-url` makes the PyTorch index `{url}` the index of every "
                        "requirement in this file",
                        at=at,
                        fix=_INDEX_DEFAULT_FIX,
                        breadcrumb=f"{_name(option.display) or doc.name} › --index-url",
                    )
                )
            elif option.name == "extra-index-url" and extra is None:
                extra = info.key
    deps: list[TorchDep] = []
    constraints = {r.name: r for r in parsed.requirements if r.constraint and r.requirement is not None}
    for line in parsed.requirements:
        if line.constraint:
            continue  # a constraint installs nothing; it narrows the requirement of the same name
        at = ("line", line.line, line.display) if line.display else ("line", line.line)
        if line.url is not None and is_insecure(line.url):
            hits.append(
                doc.hit(
                    "insecure-index",
                    f"`{line.url}` is downloaded over plain http",
                    at=at,
                    fix="use `https://`",
                    breadcrumb=f"{_name(line.display) or doc.name} › {line.name or line.url}",
                )
            )
        family = family_name(line.name) if line.name in ("torch", "torchvision", "torchaudio") else None
        if family is None:
            continue
        spec = line.requirement.specifier if line.requirement is not None else None
        limit = constraints.get(line.name)
        if spec is not None and limit is not None and limit.requirement is not None:
            spec = spec & limit.requirement.specifier
        if line.url is not None:
            info = wheel_backend(line.url, ctx.index_base)
            origin = info.key if info else f"url:{line.url}"
        else:
            origin = label_origin(spec) or (extra if extra is not None and default == PYPI else default)
        shown = str(line.requirement) if line.requirement is not None else line.text
        deps.append(
            TorchDep(
                family, public_spec(spec), origin, "", ALL_PLATFORMS, at, at, shown, label=local_label(spec)
            )
        )
    hits += companion_hits(doc, deps) + pairing_hits(doc, deps) + label_hits(doc, deps)
    hits += _label_index_hits(doc, ctx, parsed, deps, hits) + pin_hits(doc, deps)
    return hits


def _label_index_hits(
    doc: Document, ctx: Context, parsed: RequirementsFile, deps: list[TorchDep], done: list[Hit]
) -> list[Hit]:
    """A `+label` pin needs an index that publishes that label: PyPI holds no local versions at all."""
    keys: list[str] = []
    for option in parsed.options:
        if option.name == "find-links":
            return []  # a find-links page (torch_stable.html) may hold any label: unknown
        if option.name in ("index-url", "extra-index-url"):
            info = ctx.pytorch_index(option.value)
            if info is not None and info.backend is None:
                return []  # the flat `whl` root serves every label
            if info is not None:
                keys.append(info.key)
    if ctx.torch_backend:
        if ctx.torch_backend == "auto":
            return []
        keys.append(ctx.torch_backend)  # `uv pip install` routes torch to this backend's index
    flagged = {h.finding.location for h in done if h.finding.rule == "unknown-local-label"}
    hits: list[Hit] = []
    for dep in deps:
        if dep.label is None or dep.origin.startswith("url:") or dep.label in keys:
            continue
        hit = doc.hit(
            "unknown-local-label",
            f"`{dep.text}`: "
            + (
                "PyPI holds no local versions (`+" + dep.label + "`) and this file names no PyTorch index"
                if not keys
                else f"the PyTorch index this file names ({', '.join(f'`{k}`' for k in keys)}) "
                f"holds no `+{dep.label}` builds"
            ),
            at=dep.at,
            fix=f"add `--extra-index-url https://download.pytorch.org/whl/{dep.label}`"
            if not keys
            else "use the label of the index you name, or name the index of this label",
        )
        if hit.finding.location not in flagged:
            hits.append(hit)
    return hits


def _name(display: str) -> str:
    return display.rsplit("/", 1)[-1]


def check_pip_conf(doc: Document, ctx: Context) -> list[Hit]:
    hits: list[Hit] = []
    for section, values in doc.data.items():
        for key in ("index-url", "extra-index-url", "find-links"):
            for url in str(values.get(key, "")).split():
                at: KeyPath = (section, key)
                if is_insecure(url):
                    hits.append(
                        doc.hit(
                            "insecure-index", f"`{key}` uses plain http: `{url}`", at=at, fix="use `https://`"
                        )
                    )
                if key == "index-url" and ctx.pytorch_index(url) is not None:
                    hits.append(
                        doc.hit(
                            "pytorch-index-as-default",
                            f"`[{section}] index-url` is the PyTorch index `{url}`: every `pip "
                            "install` on this "
                            "machine resolves every package from it",
                            at=at,
                            fix="remove it from pip.conf; pass `--index-url` only when installing torch",
                        )
                    )
    return hits
