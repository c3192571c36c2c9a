"""The doctor's rules: small pure functions `RuleContext -> list[Finding]`, listed with their stable ids.

Every rule runs on every report (findings are collected, never stopped at the first). Ids are stable: tests,
users and `--json` consumers rely on them. The tuple's order is the order findings of one severity appear.
"""

from __future__ import annotations

from collections.abc import Callable

from torchsmith.doctor.context import RuleContext
from torchsmith.doctor.rules import build, environment, platform, runtime, toolkit
from torchsmith.findings import Finding

__all__ = ["RULES", "Rule", "run_rules"]

Rule = Callable[[RuleContext], list[Finding]]

RULES: tuple[tuple[str, Rule], ...] = (
    ("torch-missing", environment.torch_missing),
    ("torch-import-error", environment.torch_import_error),
    ("python-unsupported", platform.python_unsupported),
    ("glibc-too-old", platform.glibc_too_old),
    ("duplicate-dist-info", environment.duplicate_dist_info),
    ("mixed-conda-pip", environment.mixed_conda_pip),
    ("broken-requirements", environment.broken_requirements),
    ("companion-mismatch", environment.companion_mismatch),
    ("jetson-cpu-build", build.jetson_cpu_build),
    ("cpu-build-on-gpu-machine", build.cpu_build_on_gpu_machine),
    ("gpu-build-without-gpu", build.gpu_build_without_gpu),
    ("driver-too-old", build.driver_too_old),
    ("minor-version-compat", build.minor_version_compat),
    ("gpu-arch-unsupported", build.gpu_arch_unsupported),
    ("cuda-toolkit-mismatch", toolkit.cuda_toolkit_mismatch),
    ("cuda-unavailable", runtime.cuda_unavailable),
    ("rocm-gfx-override", runtime.rocm_gfx_override),
    ("library-shadowing", runtime.library_shadowing),
    ("mps-unavailable", platform.mps_unavailable),
    ("device-test-failed", runtime.device_test_failed),
)

_RANK = {"error": 0, "warning": 1, "info": 2}


def run_rules(ctx: RuleContext, rules: tuple[tuple[str, Rule], ...] = RULES) -> list[Finding]:
    """Every rule's findings: errors first, then warnings, each in the order of `rules`."""
    findings: list[Finding] = []
    for rule_id, rule in rules:
        for finding in rule(ctx):
            assert finding.rule == rule_id, f"rule `{rule_id}` reported `{finding.rule}`"
            findings.append(finding)
    return sorted(findings, key=lambda f: _RANK[f.severity])
