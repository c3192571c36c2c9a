"""Rules for conda-based configs: pixi manifests (pixi.toml, `[tool.pixi]`) and environment.yml.

Seed 000 (pixi's PyTorch guide, https://pixi.sh/latest/python/pytorch/): conda-forge's CUDA builds need
`system-requirements.cuda` (or a platform with `cuda`), or pixi silently resolves CPU builds; the
`pytorch` channel is legacy (no builds after 2.5) and conflicts with conda-forge; torch from PyPI means
every torch-dependent package must come from PyPI too, and the reverse. Seed 003 (Jetson): the
`pytorch-cuda` metapackage installs a CPU build on aarch64.
"""

from __future__ import annotations

from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from torchsmith.lint.access import str_list, table, text
from torchsmith.lint.document import Context, Document, Hit, KeyPath
from torchsmith.lint.model import (
    ALL_PLATFORMS,
    CONDA,
    CONDA_TORCH_NAMES,
    TORCH_DEPENDENTS,
    TorchDep,
    family_name,
    label_origin,
    local_label,
    public_spec,
)
from torchsmith.lint.pixi_model import Dep, PixiEnv, pixi_environments
from torchsmith.lint.platforms import conda_subdir_platform
from torchsmith.lint.rules_index import label_hits, pin_hits
from torchsmith.lint.specs import conda_spec, parse_match_spec
from torchsmith.lint.urls import PYPI, is_insecure, wheel_backend
from torchsmith.lint.wheels import companion_hits, pairing_hits, platform_hits, python_hits

__all__ = ["check_environment_yml", "check_pixi"]

_CUDA_MARKERS = frozenset({"pytorch-gpu", "cuda-version", "cudatoolkit", "cuda-toolkit"})
"""conda-forge packages that ask for a CUDA build; the legacy `pytorch-cuda` metapackage is not one:
the `pytorch` channel's builds do not depend on the `__cuda` virtual package."""

LEGACY_CHANNELS = frozenset({"pytorch", "pytorch-nightly", "pytorch-test"})
"""The `pytorch` channel and its nightly / test twins (https://anaconda.org/pytorch), all discontinued."""

CUDA_RUNTIME = frozenset(
    {
        "cudatoolkit",
        "cuda-toolkit",
        "cuda-runtime",
        "cuda-cudart",
        "cuda-libraries",
        "cudnn",
        "nccl",
        "cuda-nvrtc",
        "libcublas",
        "pytorch-cuda",
    }
)
"""conda CUDA runtime pieces: a PyPI torch ignores them (its wheels bring `nvidia-*` libraries)."""


def _channel_name(channel: str) -> str:
    """`https://prefix.dev/conda-forge/` -> `conda-forge`; `pytorch` -> `pytorch`."""
    return channel.strip().rstrip("/").rsplit("/", 1)[-1].lower()


def _channel_hits(
    doc: Document, channels: list[tuple[str, KeyPath]], dep_channels: list[tuple[str, KeyPath]]
) -> list[Hit]:
    hits: list[Hit] = []
    seen: set[KeyPath] = set()
    names = {_channel_name(c) for c, _ in channels + dep_channels}
    for channel, at in channels + dep_channels:
        if at in seen:
            continue
        seen.add(at)
        if is_insecure(channel):
            hits.append(
                doc.hit("insecure-index", f"channel `{channel}` uses plain http", at=at, fix="use `https://`")
            )
        if _channel_name(channel) not in LEGACY_CHANNELS:
            continue
        hits.append(
            doc.hit(
                "conda-legacy-pytorch-channel",
                f"the `{_channel_name(channel)}` conda channel is discontinued: it has no builds "
                "after torch 2.5",
                at=at,
                fix="use conda-forge's `pytorch` (with `cuda-version`), or torch from PyPI",
            )
        )
        if "conda-forge" in names and not any(h.finding.rule == "conda-mixed-channels" for h in hits):
            hits.append(
                doc.hit(
                    "conda-mixed-channels",
                    "conda-forge and the legacy `pytorch` channel are mixed: their builds link different "
                    "libraries and conflict in one environment",
                    at=at,
                    fix="pick one channel for pytorch and its dependents (conda-forge)",
                )
            )
    return hits


def _metapackage_hit(doc: Document, at: KeyPath, aarch64: bool) -> Hit:
    extra = " (on aarch64 / Jetson it silently installs a CPU build)" if aarch64 else ""
    return doc.hit(
        "conda-legacy-pytorch-channel",
        f"`pytorch-cuda` is the legacy `pytorch` channel's CUDA selector{extra}",
        at=at,
        fix="use conda-forge's `pytorch-gpu` with `cuda-version`, or NVIDIA's wheels on Jetson",
    )


def _mix_hits(doc: Document, conda: dict[str, KeyPath], pypi: dict[str, KeyPath], where: str) -> list[Hit]:
    """Judged by which side installs torch: the other side must not bring its own (an error), and may
    only lean on it (a pip package on top of conda's pytorch is at most a warning)."""
    hits: list[Hit] = []
    if "torch" in pypi:
        for name, at in conda.items():
            if name in TORCH_DEPENDENTS:
                hits.append(
                    doc.hit(
                        "conda-pypi-torch-mix",
                        f"`torch` comes from PyPI but `{name}`, which depends on it, from "
                        f"conda{where}: conda installs its own pytorch next to the PyPI one",
                        at=at,
                        fix=f"take `{name}` from PyPI as well",
                    )
                )
            elif name in CUDA_RUNTIME:
                hits.append(
                    doc.hit(
                        "conda-pypi-torch-mix",
                        f"`torch` comes from PyPI but the CUDA runtime piece `{name}` from conda{where}: the "
                        "PyPI wheel never loads it (it brings its own `nvidia-*` libraries), and a "
                        "mismatched "
                        "copy on the library path can break it",
                        at=at,
                        fix=f"drop `{name}`: the torch wheel carries its CUDA runtime",
                    )
                )
    if conda.keys() & CONDA_TORCH_NAMES:
        for name, at in pypi.items():
            if family_name(name) is not None:
                hits.append(
                    doc.hit(
                        "conda-pypi-torch-mix",
                        f"`pytorch` comes from conda but `{name}` from PyPI{where}: the PyPI wheel pins an "
                        "exact torch build and installs a second torch over conda's",
                        at=at,
                        fix=f"take `{name}` from conda as well",
                    )
                )
            elif name in TORCH_DEPENDENTS:
                hits.append(
                    doc.hit(
                        "conda-torch-pip-dependent",
                        f"`pytorch` comes from conda and `{name}`, which depends on it, from PyPI{where}: "
                        "pip accepts conda's torch when its version satisfies the pin, and replaces it "
                        "when not",
                        at=at,
                        fix=f"take `{name}` from conda when it is packaged there, or check its torch pin",
                    )
                )
    return hits


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
                hits.append(_metapackage_hit(doc, dep.at, env.platform.subdir == "linux-aarch64"))
        hits += _cuda_hits(doc, env)
        hits += _mix_hits(
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
    hits += _channel_hits(
        doc, [(c, at) for at, c in channels.items()], [(c, at) for at, c in dep_channels.items()]
    )
    hits += companion_hits(doc, deps)
    hits += pairing_hits(doc, deps) + label_hits(doc, deps) + pin_hits(doc, deps)
    return _unique(hits)


def _unique(hits: list[Hit]) -> list[Hit]:
    seen: set[tuple[str, str, int, int]] = set()
    out: list[Hit] = []
    for hit in hits:
        loc = hit.finding.location
        key = (hit.finding.rule, hit.finding.message, loc.line if loc else 0, loc.column if loc else 0)
        if key not in seen:
            seen.add(key)
            out.append(hit)
    return out


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
            hits.append(_metapackage_hit(doc, at, False))
        if spec.name == "python":
            python = (item.strip(), spec.specifier(), at)
        family = family_name(spec.name)
        if family is not None:
            deps.append(TorchDep(family, spec.specifier(), CONDA, "", ALL_PLATFORMS, at, at, item.strip()))
    hits += _channel_hits(doc, channels, dep_channels)
    hits += _mix_hits(doc, conda, pypi, "")
    hits += companion_hits(doc, deps)
    hits += pairing_hits(doc, deps) + label_hits(doc, deps) + pin_hits(doc, deps)
    if python is not None and python[1] is not None and "torch" in pypi:
        hits += python_hits(
            doc, [d for d in deps if d.origin != CONDA], python[1], python[0], python[2], check_all=True
        )
    return _unique(hits)


def check_condarc(doc: Document, ctx: Context) -> list[Hit]:
    """A `.condarc` (https://docs.conda.io/projects/conda/en/latest/user-guide/configuration/): its
    `channels` and `default_channels` apply to every environment created on the machine."""
    channels: list[tuple[str, KeyPath]] = []
    for key in ("channels", "default_channels"):
        channels += [(c, (key, i)) for i, c in enumerate(str_list(doc.data.get(key)))]
    alias = text(doc.data.get("channel_alias"))
    hits = _channel_hits(doc, channels, [])
    if alias is not None and is_insecure(alias):
        hits.append(
            doc.hit(
                "insecure-index",
                f"`channel_alias` uses plain http: `{alias}`",
                at=("channel_alias",),
                fix="use `https://`",
            )
        )
    return _unique(hits)
