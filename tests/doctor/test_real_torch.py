"""End to end with the real PyTorch 2.13.0 (CPU build) in a real venv, probed for real.

The venv is built once per machine by the `torch_venv` fixture (real `pip install torch==2.13.0`).
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from tests.doctor.conftest import H100_ROOT, base_env, ids, only, root_env
from torchsmith.doctor import RULES, DoctorReport, diagnose, render_text

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def healthy(torch_venv: Path) -> DoctorReport:
    return diagnose(python=str(torch_venv), env=base_env(), timeout=120)


def test_real_torch_is_healthy_on_this_machine(healthy: DoctorReport, torch_venv: Path) -> None:
    assert [f.to_json() for f in healthy.findings] == []
    assert healthy.exit_code == 0
    torch = healthy.facts.torch
    assert torch is not None
    assert (torch.version, torch.kind, torch.cuda, torch.cuda_available) == ("2.13.0+cpu", "cpu", None, False)
    (cpu,) = healthy.facts.device_tests
    assert cpu.device == "cpu" and cpu.ok and cpu.matmul_ms is not None and cpu.matmul_ms > 0
    summary = healthy.summary
    assert summary[0] == f"python 3.11.7 (cp311) at `{torch_venv}`"
    assert summary[1].startswith("torch 2.13.0+cpu (CPU build) from `")
    assert summary[-2] == "devices: cpu"
    assert summary[-1].startswith("cpu: 1024x1024 float32 matmul in ")
    # The real torch declares real requirements; pip installed them, so nothing is broken.
    dist = healthy.facts.first("torch")
    assert dist is not None and "sympy>=1.13.3" in dist.requires


@pytest.mark.parametrize("rule", [rule for rule, _ in RULES])
def test_rule_is_quiet_on_real_torch(rule: str, healthy: DoctorReport) -> None:
    assert rule not in ids(healthy)


def test_real_torch_json_and_text(healthy: DoctorReport) -> None:
    document = json.loads(json.dumps(healthy.to_json()))
    assert sorted(document) == ["environment", "findings", "healthy", "machine", "python", "summary"]
    assert document["healthy"] is True and document["findings"] == []
    assert document["environment"]["torch"]["build"] == "cpu"
    assert document["machine"]["backends"][-1] == "cpu"
    text = render_text(healthy)
    assert text.endswith("\nhealthy: no problems found\n")


def test_real_cpu_torch_on_a_gpu_machine(torch_venv: Path) -> None:
    report = diagnose(python=str(torch_venv), root=H100_ROOT, env=root_env(H100_ROOT), device_test=False)
    finding = only(report, "cpu-build-on-gpu-machine")
    assert finding.fix == f"torchsmith install torch --backend cu130 --python {shlex.quote(str(torch_venv))}"
    assert ids(report) == ["cpu-build-on-gpu-machine"]
    assert report.exit_code == 1
    assert "error[cpu-build-on-gpu-machine]: torch 2.13.0+cpu is a CPU-only build" in render_text(report)


def test_real_torch_import_failure_is_classified(torch_venv: Path, tmp_path: Path) -> None:
    """A module on PYTHONPATH that breaks torch's import for real: torch imports `typing_extensions`."""
    (tmp_path / "typing_extensions.py").write_text(
        "raise ImportError('numpy.core.multiarray failed to import')\n"
    )
    report = diagnose(python=str(torch_venv), env=base_env(PYTHONPATH=str(tmp_path)), device_test=False)
    finding = only(report, "torch-import-error")
    assert finding.message.startswith("`import torch` fails (numpy-abi)")
