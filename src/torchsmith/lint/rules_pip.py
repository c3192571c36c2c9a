"""Rules for pip's files: requirements / constraints files and pip.conf.

pip searches `--index-url` (default PyPI) and every `--extra-index-url` and takes the best version from
any of them (https://pip.pypa.io/en/stable/cli/pip_install/#finding-packages); PyTorch's own instructions
(`--index-url https://download.pytorch.org/whl/cu124`) are meant for a command line, and in a file or
pip.conf they move every package of the project onto the PyTorch index.
"""

from __future__ import annotations

from torchsmith.lint.document import Context, Document, Hit, KeyPath
from torchsmith.lint.model import ALL_PLATFORMS, TorchDep, family_name, label_origin, public_spec
from torchsmith.lint.requirements import RequirementsFile
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
        at: KeyPath = ("line", option.line)
        for url in option.value.split():
            if option.name in ("index-url", "extra-index-url", "find-links") and is_insecure(url):
                hits.append(
                    doc.hit(
                        "insecure-index",
                        f"`--{option.name}` uses plain http: `{url}`",
                        at=at,
                        fix="use `https://`",
                        breadcrumb=f"{doc.name} › --{option.name}",
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
                        breadcrumb=f"{doc.name} › --index-url",
                    )
                )
            elif option.name == "extra-index-url" and extra is None:
                extra = info.key
    deps: list[TorchDep] = []
    for line in parsed.requirements:
        at = ("line", line.line)
        if line.url is not None and is_insecure(line.url):
            hits.append(
                doc.hit(
                    "insecure-index",
                    f"`{line.url}` is downloaded over plain http",
                    at=at,
                    fix="use `https://`",
                    breadcrumb=f"{doc.name} › {line.name or line.url}",
                )
            )
        family = family_name(line.name) if line.name in ("torch", "torchvision", "torchaudio") else None
        if family is None:
            continue
        spec = line.requirement.specifier if line.requirement is not None else None
        if line.url is not None:
            info = wheel_backend(line.url, ctx.index_base)
            origin = info.key if info else f"url:{line.url}"
        else:
            origin = label_origin(spec) or (extra if extra is not None and default == PYPI else default)
        shown = str(line.requirement) if line.requirement is not None else line.text
        deps.append(TorchDep(family, public_spec(spec), origin, "", ALL_PLATFORMS, at, at, shown))
    for hit_list in (companion_hits(doc, deps), pairing_hits(doc, deps)):
        for hit in hit_list:
            hits.append(hit)
    return hits


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
