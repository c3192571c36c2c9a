"""The lint rules: stable ids, severities, one-line summaries and whether `--fix` can repair them.

Ids are part of the command line (`--select`, `--ignore`) and of `docs/rules.md`: never rename one. A rule's
severity is fixed here, so a finding's severity never depends on which file format it came from.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from torchsmith.errors import UsageError
from torchsmith.findings import Severity
from torchsmith.record import record

__all__ = ["RULES", "RuleInfo", "rule", "selected_rules"]


@record
class RuleInfo:
    """One rule as `--select` / `--ignore` and the docs know it."""

    id: str
    severity: Severity
    summary: str
    fixable: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "severity": self.severity, "summary": self.summary, "fixable": self.fixable}


RULES: tuple[RuleInfo, ...] = (
    RuleInfo("parse-error", "error", "the file is not valid TOML, YAML, INI or requirements syntax"),
    RuleInfo(
        "uv-index-not-explicit",
        "warning",
        "a PyTorch index without `explicit = true`: unrelated packages may resolve from it",
        True,
    ),
    RuleInfo(
        "uv-source-without-platform-marker",
        "error",
        "a PyTorch index source that also applies on a platform the index has no wheels for",
        True,
    ),
    RuleInfo(
        "uv-extras-without-conflicts",
        "error",
        "extras (or groups) pointing a package at different indexes without `tool.uv.conflicts`",
        True,
    ),
    RuleInfo(
        "companion-from-other-index",
        "error",
        "torchvision / torchaudio from another index (or PyPI) than torch",
    ),
    RuleInfo(
        "companion-version-mismatch", "error", "torch and torchvision / torchaudio pins that no release pairs"
    ),
    RuleInfo(
        "pytorch-index-as-default", "warning", "a PyTorch index used as the primary index for every package"
    ),
    RuleInfo(
        "poetry-source-not-explicit",
        "warning",
        'a PyTorch Poetry source without `priority = "explicit"`',
        True,
    ),
    RuleInfo(
        "poetry-extra-cpu-fallback",
        "warning",
        "an accelerator extra whose accelerator source is only in an optional group: CPU build installs",
    ),
    RuleInfo(
        "pixi-cuda-not-declared",
        "error",
        "conda-forge CUDA PyTorch wanted but no CUDA declared for the environment: CPU builds resolve",
    ),
    RuleInfo("conda-mixed-channels", "warning", "conda-forge together with the legacy `pytorch` channel"),
    RuleInfo(
        "conda-legacy-pytorch-channel",
        "warning",
        "the discontinued `pytorch` channel or the `pytorch-cuda` metapackage",
    ),
    RuleInfo(
        "conda-pypi-torch-mix", "error", "torch from PyPI with torch-dependent conda packages, or the reverse"
    ),
    RuleInfo(
        "conda-torch-pip-dependent",
        "warning",
        "a torch-dependent pip package on top of conda's pytorch: pip may replace it",
    ),
    RuleInfo(
        "requires-python-without-wheels",
        "error",
        "the Python range admits versions the allowed torch has no wheels for",
    ),
    RuleInfo(
        "platform-without-wheels",
        "error",
        "a declared platform the allowed torch (from its index) has no wheels for",
    ),
    RuleInfo("insecure-index", "error", "an index or channel over plain `http://`"),
    RuleInfo("io-error", "error", "a file or folder that should be linted cannot be read"),
    RuleInfo(
        "requirements-include-missing",
        "error",
        "a `-r` / `-c` include that does not exist (pip stops with `Could not open requirements file`)",
    ),
    RuleInfo(
        "requirements-include-cycle",
        "error",
        "requirements files that include each other (pip stops: `recursively references itself`)",
    ),
    RuleInfo(
        "requirements-ignored-option",
        "warning",
        "an option pip ignores where it is written (`--index-url` on a requirement line, ...)",
    ),
    RuleInfo(
        "requirements-option-marker-ignored",
        "error",
        "an environment marker on an option line: pip ignores it and applies the option everywhere",
    ),
    RuleInfo(
        "unknown-local-label",
        "error",
        "a local version label (`+cu125`, `+rocm`) that no PyTorch index publishes",
    ),
    RuleInfo(
        "pin-not-on-index",
        "error",
        "a torch pin that the index it resolves from does not hold",
    ),
    RuleInfo(
        "unused-suppression",
        "warning",
        "a `# torchsmith: ignore[...]` comment that suppresses nothing",
    ),
)

_BY_ID = {info.id: info for info in RULES}


def rule(rule_id: str) -> RuleInfo:
    return _BY_ID[rule_id]


def _check(ids: Collection[str] | None, flag: str) -> frozenset[str] | None:
    if ids is None:
        return None
    unknown = sorted(set(ids) - _BY_ID.keys())
    if unknown:
        listed = ", ".join(f"`{i}`" for i in unknown)
        valid = ", ".join(f"`{info.id}`" for info in RULES)
        raise UsageError(f"unknown rule id {listed} in `{flag}`: expected one of {valid}")
    return frozenset(ids)


def selected_rules(select: Collection[str] | None, ignore: Collection[str] | None) -> frozenset[str]:
    """The rule ids to report: `select` (default: all) minus `ignore`; unknown ids are a UsageError."""
    chosen = _check(select, "--select")
    skipped = _check(ignore, "--ignore") or frozenset()
    return (chosen if chosen is not None else frozenset(_BY_ID)) - skipped
