"""`torchsmith doctor`: inspect any interpreter's PyTorch environment from outside and say what is wrong.

torchsmith never imports torch. A small stdlib-only script (`target_script.py`, Python >= 3.6) runs in the
target interpreter with a timeout and reports what is installed there, what `import torch` did, and how a
real tensor op and matmul went on each visible device. While torch imports over there, this process probes
the machine. Small pure rules (`doctor.rules`) then compare the two and return `Finding`s with stable ids,
evidence and the exact fix. `install` calls `diagnose` to verify what it installed.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from torchsmith.report import NullReporter, Reporter

if TYPE_CHECKING:
    from torchsmith.doctor.report import DoctorReport
    from torchsmith.doctor.rules import RULES
    from torchsmith.machine.model import Machine

__all__ = ["RULES", "DoctorReport", "diagnose", "render_text"]


def __getattr__(name: str) -> Any:
    """`RULES` and `DoctorReport`, imported on first use: `diagnose` starts the target interpreter before it
    imports the rules and the report, so torch's import over there overlaps them (issue 17: the doctor's
    time is the target's time plus what comes before the target starts)."""
    if name == "RULES":
        from torchsmith.doctor.rules import RULES

        return RULES
    if name == "DoctorReport":
        from torchsmith.doctor.report import DoctorReport

        return DoctorReport
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def render_text(report: DoctorReport) -> str:
    """A plain-text report for people (`torchsmith.doctor.report.render_text`)."""
    from torchsmith.doctor.report import render_text as render

    return render(report)


def _same_environment(prefix: str) -> bool:
    """Whether the target's `sys.prefix` is this interpreter's (a venv's python is a symlink to its base)."""
    try:
        return Path(prefix).resolve() == Path(sys.prefix).resolve()
    except OSError:
        return False


def diagnose(
    *,
    python: str | None = None,
    root: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    machine: Machine | None = None,
    timeout: float = 120.0,
    device_test: bool = True,
    reporter: Reporter | None = None,
) -> DoctorReport:
    """Diagnose the environment of `python` (default: this interpreter) on this machine (or `root`'s).

    `env` is the environment the target runs with and the probe reads (default: `os.environ`); `machine`
    skips the probe. Raises `UsageError` when `python` cannot be run and `ProbeError` when it runs but
    the probe script reports nothing (e.g. Python < 3.6); everything else is a finding.
    """
    from torchsmith.doctor import runner

    reporter = reporter or NullReporter()
    environ = dict(os.environ if env is None else env)
    from torchsmith.target import default_python

    target = python if python is not None else default_python(env)
    reporter.step(f"inspecting `{target}`")
    run = runner.start(target, env=environ, timeout=timeout, device_test=device_test)
    try:
        if machine is None:
            from torchsmith.machine import probe

            reporter.step("probing this machine")
            machine = probe(root=root, env=environ)
        reporter.step(
            "waiting for `import torch` and the device test" if device_test else "waiting for `import torch`"
        )
        # imported while torch imports in the target, not before it starts nor after it ends
        from torchsmith.doctor.conda import read_records
        from torchsmith.doctor.context import RuleContext
        from torchsmith.doctor.report import DoctorReport, summary_lines
        from torchsmith.doctor.rules import RULES, run_rules

        facts = run.wait()
    except BaseException:
        run.stop()
        raise
    conda = read_records(facts.python.prefix) if facts.python.conda_meta else ()
    chosen_root = root if root is not None else (environ.get("TORCHSMITH_ROOT") or "/")
    ctx = RuleContext(
        facts=facts,
        machine=machine,
        env=environ,
        root=str(chosen_root),
        conda_records=conda,
        explicit_python=python is not None and not _same_environment(facts.python.prefix),
    )
    reporter.step(f"checking {len(RULES)} rules")
    findings = run_rules(ctx)
    return DoctorReport(
        python=facts.python.executable or target,
        facts=facts,
        machine=machine,
        findings=tuple(findings),
        summary=tuple(summary_lines(ctx)),
    )
