"""The planner against a real local PEP 503 index over HTTP, and the real uv and pip resolving its commands.

The index (tests/support) serves tiny wheels named exactly like download.pytorch.org's, one tree per backend,
and a local "PyPI" for everything else; `TORCHSMITH_INDEX_URL` / `UV_INDEX_URL` point torchsmith at them.
"""

from __future__ import annotations

import hashlib
import json
import shlex
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import unquote

import pytest

from tests.plan.conftest import machine
from tests.support.fixtures import LocalIndex
from torchsmith.errors import IndexFetchError
from torchsmith.index.settings import IndexSettings
from torchsmith.planning.model import Plan
from torchsmith.planning.plan import make_plan
from torchsmith.target import find_uv


def settings_for(index: LocalIndex, tmp_path: Path, base: str | None = None) -> IndexSettings:
    env = {
        "TORCHSMITH_INDEX_URL": base or index.base,
        "UV_INDEX_URL": index.pypi,
        "TORCHSMITH_CACHE_DIR": str(tmp_path / "cache"),
    }
    return IndexSettings.from_env(env)


def test_online_plan_pins_files_and_hashes(local_index: LocalIndex, tmp_path: Path) -> None:
    plan = make_plan(
        ["torch", "torchvision"],
        machine=machine("h100-driver580"),
        settings=settings_for(local_index, tmp_path),
    )
    assert not plan.offline and plan.warnings == ()
    assert plan.backend == "cu130"
    torch, vision = plan.packages
    assert (torch.version, vision.version) == ("2.13.0+cu130", "0.28.0+cu130")
    assert torch.filename == "torch-2.13.0+cu130-cp311-cp311-manylinux_2_28_x86_64.whl"
    assert torch.index == f"{local_index.base}/cu130"
    assert torch.url is not None and torch.url.startswith(local_index.url)
    wheel = local_index.root / unquote(torch.url[len(local_index.url) + 1 :])

    assert torch.sha256 == hashlib.sha256(wheel.read_bytes()).hexdigest()


def test_online_plan_respects_compute_capability(local_index: LocalIndex, tmp_path: Path) -> None:
    plan = make_plan(
        ["torch"], machine=machine("gtx1080-driver580"), settings=settings_for(local_index, tmp_path)
    )
    assert (plan.backend, plan.packages[0].version) == ("cu126", "2.13.0+cu126")
    cu130 = next(r for r in plan.rejected if r.backend == "cu130")
    assert "sm_61" in cu130.why and cu130.torch == "2.13.0"  # the reason is about this torch version


def test_online_plan_torchaudio_stops_at_211(local_index: LocalIndex, tmp_path: Path) -> None:
    plan = make_plan(
        ["torch", "torchaudio"],
        machine=machine("h100-driver580"),
        settings=settings_for(local_index, tmp_path),
    )
    assert [p.version for p in plan.packages] == ["2.11.0+cu130", "2.11.0+cu130"]
    assert any(
        "torch 2.13.0" in r.why and "torchaudio has no release" in r.why for r in plan.rejected
    ) or any("torchaudio" in reason for reason in plan.reasons)


def test_unreachable_index_falls_back_to_knowledge_fast(local_index: LocalIndex, tmp_path: Path) -> None:
    start = time.monotonic()
    plan = make_plan(
        ["torch==2.11.*"],
        machine=machine("h100-driver580"),
        settings=settings_for(local_index, tmp_path, base="http://nonexistent.invalid/whl"),
    )
    assert time.monotonic() - start < 2.0
    assert plan.offline and plan.packages[0].version == "2.11.0+cu130" and plan.packages[0].sha256 is None
    assert "cannot reach `nonexistent.invalid`" in plan.warnings[0]
    assert "shipped wheel inventory" in plan.warnings[0]


def test_server_error_is_a_clear_error(local_index: LocalIndex, tmp_path: Path) -> None:
    with (
        local_index.faults({"prefix": "/whl/cu130/torch/", "fault": "500"}),
        pytest.raises(IndexFetchError) as raised,
    ):
        make_plan(["torch"], machine=machine("h100-driver580"), settings=settings_for(local_index, tmp_path))
    assert "answered HTTP 500" in str(raised.value)
    assert "/whl/cu130/torch/" in str(raised.value)


def test_warm_cache_plan_makes_no_page_requests(local_index: LocalIndex, tmp_path: Path) -> None:
    settings = settings_for(local_index, tmp_path)
    first = make_plan(["torch", "torchvision"], machine=machine("h100-driver580"), settings=settings)
    local_index.clear_log()
    second = make_plan(["torch", "torchvision"], machine=machine("h100-driver580"), settings=settings)
    assert second.to_json() == first.to_json()
    assert local_index.log() == []


def _uv_pin(line: str) -> tuple[str, str]:
    """` + numpy==1.26.4` or ` + torch @ <url>/torch-2.9.1%2Bcu126-...whl#sha256=...` → (name, version)."""
    text = line[3:]
    if " @ " in text:
        name, url = text.split(" @ ")
        return name, unquote(url.split("#")[0].rsplit("/", 1)[1]).split("-")[1]
    name, version = text.split("==")
    return name, version


def _plan_command(plan: Plan, tool: str) -> list[str]:
    return shlex.split(plan.commands[tool])


@pytest.mark.slow
def test_uv_and_pip_resolve_the_plan_commands_to_the_same_pins(
    local_index: LocalIndex, tmp_path: Path
) -> None:
    settings = settings_for(local_index, tmp_path)
    running = f"{sys.version_info[0]}.{sys.version_info[1]}"  # uv and pip below run this interpreter
    target = machine("gtx1080-driver580", python=running)
    plan = make_plan(["torch==2.9.1", "torchvision", "numpy<2"], machine=target, settings=settings)
    assert [p.version for p in plan.packages] == ["2.9.1+cu126", "0.24.1+cu126"]
    uv = find_uv()
    venv = tmp_path / "venv"
    subprocess.run([uv, "venv", str(venv), "--python", sys.executable, "-q"], check=True)
    env = {"UV_CACHE_DIR": str(tmp_path / "uv-cache"), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}

    uv_args = _plan_command(plan, "uv")
    assert uv_args[:3] == ["uv", "pip", "install"] and "--default-index" in uv_args
    uv_run = subprocess.run(
        [uv, *uv_args[1:], "--dry-run", "--python", str(venv / "bin/python")],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert uv_run.returncode == 0, uv_run.stderr
    uv_pins = dict(_uv_pin(line) for line in uv_run.stderr.splitlines() if line.startswith(" + "))

    pip_args = _plan_command(plan, "pip")
    assert pip_args[:4] == ["python", "-m", "pip", "install"]
    report = tmp_path / "report.json"
    pip_run = subprocess.run(
        [
            sys.executable,
            *pip_args[1:],
            "--dry-run",
            "--ignore-installed",
            "--report",
            str(report),
            "--no-cache-dir",
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**env, "PIP_CONFIG_FILE": "/dev/null"},
    )
    assert pip_run.returncode == 0, pip_run.stderr
    pip_pins = {
        i["metadata"]["name"]: i["metadata"]["version"] for i in json.loads(report.read_text())["install"]
    }

    assert uv_pins["torch"] == pip_pins["torch"] == "2.9.1+cu126"
    assert uv_pins["torchvision"] == pip_pins["torchvision"] == "0.24.1+cu126"
    assert uv_pins["numpy"] == pip_pins["numpy"] == "1.26.4"
    assert uv_pins == pip_pins


def test_jetson_plan_from_nvidias_index(local_index: LocalIndex, tmp_path: Path) -> None:
    env = {"TORCHSMITH_INDEX_URL": local_index.base, "TORCHSMITH_JETSON_INDEX_URL": local_index.base,
           "UV_INDEX_URL": local_index.pypi, "TORCHSMITH_CACHE_DIR": str(tmp_path / "cache")}  # fmt: skip
    plan = make_plan(["torch", "torchvision"], machine=machine("jetson-orin-jp6.1", python="3.10"),
                     settings=IndexSettings.from_env(env))  # fmt: skip
    assert plan.backend == "jp6-cu126" and not plan.offline
    torch, vision = plan.packages
    assert torch.version == "2.5.0a0+872d972e41.nv24.08.17622132"
    assert torch.filename == "torch-2.5.0a0+872d972e41.nv24.08.17622132-cp310-cp310-linux_aarch64.whl"
    assert torch.index == f"{local_index.base}/jp6/cu126" and torch.sha256
    assert vision.version == "0.20.0" and vision.index == torch.index
    assert "--default-index" in plan.commands["uv"] and "jp6/cu126/torch-2.5.0a0" in plan.commands["uv"]
