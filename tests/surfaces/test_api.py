"""The public Python API: `torchsmith.probe/plan/doctor/export/lint`, typed results, a cheap `import`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import torchsmith
from torchsmith.doctor.report import DoctorReport
from torchsmith.export import ExportResult
from torchsmith.lint import LintResult
from torchsmith.machine.model import Machine
from torchsmith.planning.model import Plan

MACHINES = Path(__file__).resolve().parents[1] / "machines"


def test_import_is_cheap() -> None:
    """`import torchsmith` loads no submodule: every API name is imported on first use."""
    code = "import sys, torchsmith; print(sorted(m for m in sys.modules if m.startswith('torchsmith')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['torchsmith']"


def test_probe_and_plan() -> None:
    machine = torchsmith.probe(root=MACHINES / "h100-driver580")
    assert isinstance(machine, Machine) and machine.nvidia is not None
    plan = torchsmith.plan(["torch==2.9.1"], machine=machine, python="3.12", offline=True)
    assert isinstance(plan, Plan)
    assert (plan.backend, plan.packages[0].version) == ("cu130", "2.9.1+cu130")


def test_doctor_export_lint_are_callable_packages(tmp_path: Path) -> None:
    report = torchsmith.doctor(sys.executable, root=MACHINES / "cpu-container", device_test=False)
    assert isinstance(report, DoctorReport) and report.to_json()["python"]
    assert torchsmith.doctor.diagnose is not None  # still the package
    target = tmp_path / "requirements.txt"
    result = torchsmith.export("pip", ["torch"], targets=["linux-cpu"], output=target, offline=True)
    assert isinstance(result, ExportResult) and target.is_file()
    linted = torchsmith.lint([target])
    assert isinstance(linted, LintResult) and linted.exit_code == 0
    import torchsmith.export as export_package

    assert callable(export_package) and export_package.export is not None


def test_version() -> None:
    assert isinstance(torchsmith.__version__, str) and torchsmith.__version__
