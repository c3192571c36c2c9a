"""pixi and conda exports: every declared platform solved by py-rattler against a local conda-forge-like
channel (with the platform's `__cuda`), and the pixi manifest checked against the keys pixi documents."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from packaging.version import Version

from tests.support.conda_channel import solve
from torchsmith.errors import UsageError
from torchsmith.export import export
from torchsmith.export.job import Job

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

TARGETS = ["linux-cu126", "windows-cu128", "linux-aarch64-cpu", "macos", "linux-cpu"]

# https://pixi.sh/latest/reference/pixi_manifest/ (workspace, dependencies, features, environments)
WORKSPACE_KEYS = {"name", "channels", "platforms", "version", "description", "authors", "requires-pixi"}
FEATURE_KEYS = {"platforms", "dependencies", "pypi-dependencies", "system-requirements", "target", "channels"}
PLATFORM_KEYS = {"name", "platform", "cuda", "glibc", "libc", "macos", "osx", "linux", "windows", "archspec"}
SUBDIRS = {"linux-64", "linux-aarch64", "win-64", "osx-arm64", "osx-64"}


def _check_manifest(root: dict[str, Any]) -> dict[str, Any]:
    """Schema-level check of what pixi reads; returns {platform name: (subdir, cuda or None)}."""
    assert set(root) <= {"workspace", "dependencies", "pypi-dependencies", "feature", "environments"}
    workspace = root["workspace"]
    assert set(workspace) <= WORKSPACE_KEYS and workspace["channels"] == ["conda-forge"]
    platforms: dict[str, Any] = {}
    for entry in workspace["platforms"]:
        if isinstance(entry, str):
            assert entry in SUBDIRS
            platforms[entry] = (entry, None)
        else:
            assert set(entry) <= PLATFORM_KEYS and entry["platform"] in SUBDIRS
            platforms[entry.get("name", entry["platform"])] = (entry["platform"], entry.get("cuda"))
    for name, feature in root.get("feature", {}).items():
        assert set(feature) <= FEATURE_KEYS, name
        assert all(p in platforms for p in feature["platforms"]), name
        for subdir in feature.get("target", {}):
            assert subdir in SUBDIRS
    for env, spec in root["environments"].items():
        features = spec["features"] if isinstance(spec, dict) else spec
        assert all(f in root["feature"] for f in features), env
    return platforms


def _specs(*tables: dict[str, Any]) -> list[str]:
    specs = []
    for table in tables:
        for name, value in table.items():
            specs.append(name if value == "*" else f"{name} {value}")
    return specs


def test_pixi_conda_forge_every_environment_solves(tmp_path: Path, offline_settings, conda_channel) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "pixi.toml"
    export("pixi", ["torch", "torchvision"], targets=TARGETS, output=out, settings=offline_settings)
    root = tomllib.loads(out.read_text())
    platforms = _check_manifest(root)
    assert root["environments"] == {"default": ["gpu"], "cpu": ["cpu"]}
    solved = 0
    for env, features in root["environments"].items():
        for feature_name in features:
            feature = root["feature"][feature_name]
            for platform_name in feature["platforms"]:
                subdir, cuda = platforms[platform_name]
                per_target = feature.get("target", {}).get(subdir, {}).get("dependencies", {})
                specs = _specs(feature["dependencies"], per_target)
                records = solve(conda_channel, specs, subdir, cuda=cuda)
                build = str(records["pytorch"].build)
                if feature_name == "gpu":
                    # a CUDA build, with the CUDA runtime of the target's backend (cuda-version >=12.6,<13
                    # lets conda-forge's cuda126 build run on 12.8 libraries: minor-version compatibility)
                    wanted = "12.6" if subdir == "linux-64" else "12.8"
                    assert build.startswith("cuda12"), (env, subdir, build)
                    assert str(records["cuda-version"].version) == wanted
                    assert cuda == "12.0"
                else:
                    assert build.startswith("cpu_generic"), (env, subdir, build)
                solved += 1
    assert solved == 5


def test_gpu_environment_needs_the_declared_cuda(tmp_path: Path, offline_settings, conda_channel) -> None:  # type: ignore[no-untyped-def]
    from rattler.exceptions import SolverError

    out = tmp_path / "pixi.toml"
    export("pixi", ["torch"], targets=["linux-cu126"], output=out, settings=offline_settings)
    feature = tomllib.loads(out.read_text())["feature"]["gpu"]
    with pytest.raises(SolverError):
        solve(conda_channel, _specs(feature["dependencies"]), "linux-64", cuda=None)


def test_pixi_before_071_uses_system_requirements(tmp_path: Path, offline_settings) -> None:  # type: ignore[no-untyped-def]
    from torchsmith.export import make_job
    from torchsmith.export.pixi import render

    job: Job = make_job("pixi", ["torch"], targets=["linux-cu126", "macos"], output=tmp_path / "pixi.toml",
                        settings=offline_settings)  # fmt: skip
    rendered = render(job, pixi_version=Version("0.65.0"))
    root = tomllib.loads(rendered.files[0][1])
    assert root["workspace"]["platforms"] == ["osx-arm64", "linux-64"]
    assert root["feature"]["gpu"]["system-requirements"] == {"cuda": "12.0"}
    assert root["feature"]["gpu"]["dependencies"]["cuda-version"] == "12.6.*"


def test_pixi_pypi_source_one_environment_per_backend(tmp_path: Path, offline_settings) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "pyproject.toml"
    out.write_text('[project]\nname = "demo"\nversion = "0.1.0"\n')
    export("pixi", ["torch"], targets=["linux-cu126", "linux-rocm6.4", "windows-cpu", "macos"], source="pypi",
           output=out, settings=offline_settings)  # fmt: skip
    data = tomllib.loads(out.read_text())
    root = data["tool"]["pixi"]
    _check_manifest(root)
    assert set(root["environments"]) == {"cu126", "rocm6-4", "cpu", "mps"}
    assert root["feature"]["rocm6-4"]["pypi-dependencies"]["torch"] == {
        "version": "*",
        "index": "https://download.pytorch.org/whl/rocm6.4",
    }
    assert root["feature"]["mps"]["pypi-dependencies"]["torch"] == {"version": "*"}
    assert root["feature"]["mps"]["platforms"] == ["osx-arm64"]
    assert data["project"] == {"name": "demo", "version": "0.1.0"}


def test_conda_forge_refuses_rocm(tmp_path: Path, offline_settings) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UsageError, match="no ROCm build"):
        export(
            "pixi",
            ["torch"],
            targets=["linux-rocm6.4"],
            output=tmp_path / "pixi.toml",
            settings=offline_settings,
        )


def _conda_specs(document: dict[str, Any]) -> tuple[list[str], list[str]]:
    specs = [d for d in document["dependencies"] if isinstance(d, str)]
    pip = next((d["pip"] for d in document["dependencies"] if isinstance(d, dict)), [])
    return specs, pip


@pytest.mark.parametrize(
    "target", ["linux-cu126", "windows-cu128", "linux-aarch64-cpu", "macos", "linux-cpu"]
)
def test_conda_environment_solves(target: str, tmp_path: Path, offline_settings, conda_channel) -> None:  # type: ignore[no-untyped-def]
    from ruamel.yaml import YAML

    from torchsmith.export.targets import parse_target

    export("conda", ["torch", "torchvision"], targets=[target], output=tmp_path, settings=offline_settings)
    document = YAML(typ="safe").load((tmp_path / f"environment-{target}.yml").read_text())
    assert document["channels"] == ["conda-forge", "nodefaults"]
    specs, pip = _conda_specs(document)
    assert not pip
    parsed = parse_target(target)
    cuda = "12.0" if parsed.kind == "cuda" else None
    records = solve(conda_channel, specs, parsed.conda_subdir, cuda=cuda)
    build = str(records["pytorch"].build)
    assert build.startswith("cuda12" if cuda else "cpu_generic"), build
    if cuda:
        assert str(records["cuda-version"].version) == str(parsed.parsed_backend.cuda)
    assert ("pytorch-gpu" in records) == (cuda is not None)


def test_conda_rocm_goes_through_pip(tmp_path: Path, offline_settings) -> None:  # type: ignore[no-untyped-def]
    from ruamel.yaml import YAML

    export("conda", ["torch"], targets=["linux-rocm6.4"], output=tmp_path, settings=offline_settings)
    document = YAML(typ="safe").load((tmp_path / "environment-linux-rocm6.4.yml").read_text())
    specs, pip = _conda_specs(document)
    assert "pip" in specs and pip[0] == "--extra-index-url https://download.pytorch.org/whl/rocm6.4"
    assert pip[1].startswith("torch==") and pip[1].endswith("+rocm6.4")
