"""Rules for pixi manifests (pixi.toml, `[tool.pixi]`); environment files are `rules_environment`.

Seed 000 (pixi's PyTorch guide, https://pixi.sh/latest/python/pytorch/): conda-forge's CUDA builds need
`system-requirements.cuda` (or a platform with `cuda`), or pixi silently resolves CPU builds; the
`pytorch` channel is legacy (no builds after 2.5) and conflicts with conda-forge; torch from PyPI means
every torch-dependent package must come from PyPI too, and the reverse. Seed 003 (Jetson): the
`pytorch-cuda` metapackage installs a CPU build on aarch64.
"""

from __future__ import annotations

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from torchsmith.lint.access import table, text
from torchsmith.lint.conda_common import channel_hits, metapackage_hit, mix_hits, unique
from torchsmith.lint.document import Context, Document, Hit, KeyPath
from torchsmith.lint.model import (
    CONDA,
    CONDA_TORCH_NAMES,
    TorchDep,
    family_name,
    local_label,
    public_spec,
)
from torchsmith.lint.pixi_model import Dep, PixiEnv, pixi_environments
from torchsmith.lint.platforms import conda_subdir_platform
from torchsmith.lint.rules_index import label_hits, pin_hits
from torchsmith.lint.specs import conda_spec
from torchsmith.lint.urls import PYPI, is_insecure, wheel_backend
from torchsmith.lint.wheels import companion_hits, pairing_hits, platform_hits, python_hits

__all__ = ["check_pixi"]

_CUDA_MARKERS = frozenset({"pytorch-gpu", "cuda-version", "cudatoolkit", "cuda-toolkit"})
"""conda-forge packages that ask for a CUDA build; the legacy `pytorch-cuda` metapackage is not one:
the `pytorch` channel's builds do not depend on the `__cuda` virtual package."""


def _conda_value(dep: Dep) -> tuple[SpecifierSet | None, str | None, str | None]:
    """(version spec, build, channel) of a pixi conda dependency value."""
    if isinstance(dep.value, str):
        return conda_spec(dep.value), None, None
    body = table(dep.value)
    return (conda_spec(text(body.get("version")) or "*"), text(body.get("build")), text(body.get("channel")))


def _pypi_value(dep: Dep, ctx: Context, default: str) -> tuple[SpecifierSet | None, str]:
    """(version spec, origin) of a pixi PyPI dependency value."""

    def spec(raw: str) -> SpecifierSet | None:
        try:
            return SpecifierSet("" if raw.strip() == "*" else raw)
        except InvalidSpecifier:
            return None

    if isinstance(dep.value, str):
        return spec(dep.value), default
    body = table(dep.value)
    version = spec(text(body.get("version")) or "*")
    index = text(body.get("index"))
    if index is not None:
        info = ctx.pytorch_index(index)
        return version, info.key if info else index
    url = text(body.get("url"))
    if url is not None:
        info = wheel_backend(url, ctx.index_base)
        return version, info.key if info else f"url:{url}"
    if body.get("path") or body.get("git"):
        return version, f"url:{body.get('path') or body.get('git')}"
    return version, default


def _env_torch_deps(env: PixiEnv, ctx: Context, platform: str, scope: str) -> list[TorchDep]:
    out: list[TorchDep] = []
    default = PYPI
    if env.pypi_index is not None:
        info = ctx.pytorch_index(env.pypi_index[0])
        default = info.key if info else env.pypi_index[0]
    for name, dep in env.pypi.items():
        family = family_name(name) if name in ("torch", "torchvision", "torchaudio") else None
        if family is None:
            continue
        spec, origin = _pypi_value(dep, ctx, default)
        out.append(
            TorchDep(
                family,
                public_spec(spec),
                origin,
                scope,
                frozenset({platform}),
                dep.at,
                dep.at,
                f"{name} {spec or ''}".strip(),
                label=local_label(spec),
            )
        )
    for name, dep in env.conda.items():
        family = family_name(name)
        if family is None:
            continue
        spec, _, _ = _conda_value(dep)
        out.append(
            TorchDep(
                family,
                spec,
                CONDA,
                scope,
                frozenset({platform}),
                dep.at,
                dep.at,
                f"{name} {spec or ''}".strip(),
            )
        )
    return out


def _cuda_hits(doc: Document, env: PixiEnv) -> list[Hit]:
    if env.cuda_declared or not env.platform.subdir.startswith(("linux-", "win-")):
        return []
    if not env.conda.keys() & CONDA_TORCH_NAMES:
        return []
    for name, dep in env.conda.items():
        _, build, _ = _conda_value(dep)
        if name in _CUDA_MARKERS or (name in CONDA_TORCH_NAMES and build is not None and "cuda" in build):
            label = env.platform.name or env.platform.subdir
            return [
                doc.hit(
                    "pixi-cuda-not-declared",
                    f"`{name}` asks for a CUDA build, but environment `{env.name}` declares no CUDA "
                    f"for `{label}`: "
                    "without a `__cuda` virtual package pixi resolves CPU builds (or fails)",
                    at=dep.at,
                    fix='add `[system-requirements] cuda = "12"` (or `cuda` on the platform) to the '
                    "environment",
                )
            ]
    return []


def check_pixi(doc: Document, ctx: Context) -> list[Hit]:
    envs = pixi_environments(doc.data, doc.kind)
    hits: list[Hit] = []
    named = len({e.name for e in envs}) > 1
    channels: dict[KeyPath, str] = {}
    dep_channels: dict[KeyPath, str] = {}
    deps: list[TorchDep] = []
    for env in envs:
        scope = f"environment {env.name}" if named else ""
        where = f" in environment `{env.name}`" if named else ""
        channels.update({at: c for c, at in env.channels})
        for dep in env.conda.values():
            _, _, channel = _conda_value(dep)
            if channel is not None:
                dep_channels[dep.at] = channel
            if dep.name == "pytorch-cuda":
                hits.append(metapackage_hit(doc, dep.at, env.platform.subdir == "linux-aarch64"))
        hits += _cuda_hits(doc, env)
        hits += mix_hits(
            doc, {n: d.at for n, d in env.conda.items()}, {n: d.at for n, d in env.pypi.items()}, where
        )
        if env.pypi_index is not None:
            url, at = env.pypi_index
            if is_insecure(url):
                hits.append(
                    doc.hit(
                        "insecure-index", f"`index-url` uses plain http: `{url}`", at=at, fix="use `https://`"
                    )
                )
            if ctx.pytorch_index(url) is not None:
                hits.append(
                    doc.hit(
                        "pytorch-index-as-default",
                        f"`pypi-options.index-url` is the PyTorch index `{url}`: every PyPI package "
                        "resolves from it",
                        at=at,
                        fix="keep PyPI as the index; set `index = ...` on torch and its companions",
                    )
                )
        platform = conda_subdir_platform(env.platform.subdir)
        if platform is None:
            continue
        env_deps = _env_torch_deps(env, ctx, platform, scope)
        deps += env_deps
        python = env.conda.get("python")
        if python is not None and env.pypi.keys() & {"torch"}:
            spec = conda_spec(python.value) if isinstance(python.value, str) else None
            if spec is not None:
                hits += python_hits(
                    doc,
                    [d for d in env_deps if d.origin != CONDA],
                    spec,
                    f'python = "{python.value}"',
                    python.at,
                    check_all=True,
                )
        label = f"platform `{env.platform.name or env.platform.subdir}`"
        hits += platform_hits(
            doc, [d for d in env_deps if d.origin != CONDA], [(platform, env.platform.at, label)]
        )
    hits += channel_hits(
        doc, [(c, at) for at, c in channels.items()], [(c, at) for at, c in dep_channels.items()]
    )
    hits += companion_hits(doc, deps)
    hits += pairing_hits(doc, deps) + label_hits(doc, deps) + pin_hits(doc, deps)
    return unique(hits)
