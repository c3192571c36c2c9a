"""`diagnose` starts the target interpreter before it imports its rules, so torch's import over there
overlaps them (issue 17: doctor <= a bare `python -c "import torch"`). What the doctor package loads before
the target starts is what delays it: only the runner and what `start` needs."""

from __future__ import annotations

import subprocess
import sys


def _modules(statement: str) -> set[str]:
    code = f"import sys; {statement}; print('\\n'.join(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(done.stdout.split())


def test_the_target_can_start_before_the_rules_are_imported() -> None:
    # what `torchsmith doctor` imports before `runner.start`, less what the interpreter loads by itself
    before_start = "import torchsmith.doctor, torchsmith.doctor.runner, torchsmith.target"
    loaded = _modules(before_start) - _modules("pass")
    assert "torchsmith.doctor.runner" in loaded
    later = {"torchsmith.doctor.rules", "torchsmith.doctor.report", "torchsmith.doctor.context",
             "torchsmith.doctor.conda", "torchsmith.doctor.facts", "torchsmith.machine"}  # fmt: skip
    assert loaded & later == set()


def test_the_public_names_still_resolve() -> None:
    from torchsmith import doctor
    from torchsmith.doctor.report import DoctorReport
    from torchsmith.doctor.rules import RULES

    assert doctor.RULES is RULES and doctor.DoctorReport is DoctorReport
    assert callable(doctor.render_text) and callable(doctor.diagnose)
