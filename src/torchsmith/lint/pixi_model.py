"""What each pixi environment installs on each platform: features, targets and environments merged.

The manifest (https://pixi.sh/latest/reference/pixi_manifest/) is a default feature (the top-level tables)
plus `[feature.<name>]` tables, combined by `[environments]`; `[target.<selector>]` tables override per
platform; platforms are conda subdirs or, in newer pixi, tables `{ name, platform, cuda }`. In a
pyproject.toml everything lives under `[tool.pixi]`, `[project] dependencies` are PyPI dependencies of the
default feature, optional dependencies are features, and `requires-python` is the `python` dependency.
Later features and targets override earlier ones package by package, as pixi merges them.
"""

from __future__ import annotations

from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from torchsmith.lint.access import str_list, table, text
from torchsmith.lint.document import KeyPath
from torchsmith.lint.platforms import selector_matches
from torchsmith.record import record

__all__ = ["Dep", "PixiEnv", "PlatformDecl", "pixi_environments", "pixi_root"]


@record
class Dep:
    """One dependency as written: `value` is the raw string or table; `at` its key in the file."""

    name: str
    value: Any
    at: KeyPath


@record
class PlatformDecl:
    subdir: str
    name: str | None
    cuda: bool
    at: KeyPath


class PixiEnv:
    """One environment on one platform, with its merged dependencies (filled in by `pixi_environments`).

    A plain slotted class: nothing compares or prints it, and a dataclass costs start-up (issue 17)."""

    __slots__ = ("channels", "conda", "cuda_declared", "name", "platform", "pypi", "pypi_index")

    def __init__(
        self, name: str, platform: PlatformDecl, *, channels: list[tuple[str, KeyPath]], cuda_declared: bool
    ) -> None:
        self.name = name
        self.platform = platform
        self.conda: dict[str, Dep] = {}
        self.pypi: dict[str, Dep] = {}
        self.channels = channels
        self.cuda_declared = cuda_declared
        self.pypi_index: tuple[str, KeyPath] | None = None


def pixi_root(data: dict[str, Any], kind: str) -> tuple[dict[str, Any], KeyPath] | None:
    """The pixi tables and their path: the whole pixi.toml, or `[tool.pixi]` of a pyproject.toml."""
    if kind == "pixi":
        return data, ()
    pixi = table(table(data.get("tool")).get("pixi"))
    return (pixi, ("tool", "pixi")) if pixi else None


def _platforms(
    body: dict[str, Any], at: KeyPath, named: dict[str, PlatformDecl] | None = None
) -> list[PlatformDecl]:
    """The platforms a table lists; a feature naming a workspace platform (`"linux-64-cuda12"`) gets that
    declaration, with its `cuda`."""
    out: list[PlatformDecl] = []
    raw = body.get("platforms")
    for i, item in enumerate(raw if isinstance(raw, list) else []):
        if isinstance(item, str):
            declared = (named or {}).get(item)
            out.append(declared or PlatformDecl(item, None, False, (*at, "platforms", i)))
        elif isinstance(item, dict) and isinstance(item.get("platform"), str):
            out.append(
                PlatformDecl(item["platform"], text(item.get("name")), "cuda" in item, (*at, "platforms", i))
            )
    return out


def _deps(body: dict[str, Any], at: KeyPath, key: str) -> dict[str, Dep]:
    return {
        canonicalize_name(name): Dep(canonicalize_name(name), value, (*at, key, name))
        for name, value in table(body.get(key)).items()
    }


class _Feature:
    __slots__ = ("at", "body", "extra_pypi")

    def __init__(self, body: dict[str, Any], at: KeyPath) -> None:
        self.body = body
        self.at = at
        self.extra_pypi: dict[str, Dep] = {}


def _pep621_pypi(items: Any, at: KeyPath) -> dict[str, Dep]:
    out: dict[str, Dep] = {}
    for i, item in enumerate(items if isinstance(items, list) else []):
        if not isinstance(item, str):
            continue
        try:
            requirement = Requirement(item)
        except InvalidRequirement:
            continue
        name = canonicalize_name(requirement.name)
        out[name] = Dep(name, str(requirement.specifier) or "*", (*at, i))
    return out


def _features(root: dict[str, Any], at: KeyPath, data: dict[str, Any], kind: str) -> dict[str, _Feature]:
    features = {"default": _Feature(root, at)}
    for name, body in table(root.get("feature")).items():
        features[name] = _Feature(table(body), (*at, "feature", name))
    if kind == "pyproject":
        project = table(data.get("project"))
        features["default"].extra_pypi = _pep621_pypi(
            project.get("dependencies"), ("project", "dependencies")
        )
        for extra, items in table(project.get("optional-dependencies")).items():
            feature = features.setdefault(extra, _Feature({}, ("project", "optional-dependencies", extra)))
            feature.extra_pypi = _pep621_pypi(items, ("project", "optional-dependencies", extra))
        requires = text(project.get("requires-python"))
        if requires is not None and "python" not in table(root.get("dependencies")):
            features["default"].extra_pypi["\x00python"] = Dep(
                "python", requires, ("project", "requires-python")
            )
    return features


def _environments(root: dict[str, Any]) -> dict[str, tuple[list[str], bool]]:
    envs: dict[str, tuple[list[str], bool]] = {"default": ([], False)}
    for name, value in table(root.get("environments")).items():
        if isinstance(value, dict):
            envs[name] = (str_list(value.get("features")), value.get("no-default-feature") is True)
        else:
            envs[name] = (str_list(value), False)
    return envs


def pixi_environments(data: dict[str, Any], kind: str) -> list[PixiEnv]:
    """Every (environment, platform) pair of the manifest, with merged dependencies, channels and CUDA."""
    found = pixi_root(data, kind)
    if found is None:
        return []
    root, at = found
    workspace_key = "workspace" if "workspace" in root else "project"
    workspace = table(root.get(workspace_key))
    features = _features(root, at, data, kind)
    out: list[PixiEnv] = []
    for env_name, (feature_names, no_default) in _environments(root).items():
        chain = ([] if no_default else ["default"]) + [
            f for f in feature_names if f in features and f != "default"
        ]
        declared = _platforms(workspace, (*at, workspace_key))
        named = {p.name: p for p in declared if p.name}
        platforms = next(
            (p for f in reversed(chain) if (p := _platforms(features[f].body, features[f].at, named))), None
        )
        platforms = platforms or declared
        channels = [
            (c, (*at, workspace_key, "channels", i))
            for i, c in enumerate(str_list(workspace.get("channels")))
        ]
        for name in chain:
            feature = features[name]
            channels += [
                (c, (*feature.at, "channels", i))
                for i, c in enumerate(str_list(feature.body.get("channels")))
            ]
        cuda = any("cuda" in table(features[f].body.get("system-requirements")) for f in chain)
        for platform in platforms:
            env = PixiEnv(env_name, platform, channels=channels, cuda_declared=cuda or platform.cuda)
            for name in chain:
                feature = features[name]
                layers = [(feature.body, feature.at)]
                for selector, body in table(feature.body.get("target")).items():
                    if selector_matches(selector, platform.subdir, platform.name):
                        layers.append((table(body), (*feature.at, "target", selector)))
                env.pypi.update({k: v for k, v in feature.extra_pypi.items() if not k.startswith("\x00")})
                if "\x00python" in feature.extra_pypi:
                    env.conda["python"] = feature.extra_pypi["\x00python"]
                for body, where in layers:
                    env.conda.update(_deps(body, where, "dependencies"))
                    env.pypi.update(_deps(body, where, "pypi-dependencies"))
                    index = text(table(body.get("pypi-options")).get("index-url"))
                    if index is not None:
                        env.pypi_index = (index, (*where, "pypi-options", "index-url"))
            out.append(env)
    return out
