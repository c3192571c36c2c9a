"""Text forms of a lint result: ruff-like lines for people, JSON, and GitHub workflow annotations.

GitHub's annotation syntax and escaping:
https://docs.github.com/en/actions/reference/workflow-commands-for-github-actions#setting-an-error-message
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Literal

from torchsmith.findings import Finding

if TYPE_CHECKING:
    from torchsmith.lint import LintResult

__all__ = ["render"]

_GITHUB_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def _where(finding: Finding) -> str:
    loc = finding.location
    return f"{loc.path}:{loc.line}:{loc.column}" if loc else "-"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def _human(result: LintResult) -> str:
    lines: list[str] = []
    for finding in result.findings:
        lines.append(f"{_where(finding)}: {finding.rule} {finding.message}")
        if finding.fix:
            lines.append(f"  fix: {finding.fix}")
    for description in result.fixes:
        lines.append(f"fixed: {description}")
    files = _plural(len(result.files), "file")
    if result.findings:
        errors = sum(f.severity == "error" for f in result.findings)
        warnings = sum(f.severity == "warning" for f in result.findings)
        if lines:
            lines.append("")
        lines.append(
            f"found {_plural(len(result.findings), 'problem')} ({_plural(errors, 'error')}, "
            f"{_plural(warnings, 'warning')}) in {files}"
        )
    elif not result.files:
        lines.append("no config files found")
    else:
        if lines:
            lines.append("")
        lines.append(f"all checks passed ({files})")
    return "\n".join(lines) + "\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _github(result: LintResult) -> str:
    lines: list[str] = []
    for finding in result.findings:
        level = _GITHUB_LEVEL[finding.severity]
        props = []
        if finding.location:
            loc = finding.location
            props = [f"file={_escape_property(loc.path)}", f"line={loc.line}", f"col={loc.column}"]
        props.append(f"title={_escape_property(finding.rule)}")
        message = finding.message + (f"\nfix: {finding.fix}" if finding.fix else "")
        lines.append(f"::{level} {','.join(props)}::{_escape_data(message)}")
    return "".join(line + "\n" for line in lines)


def render(result: LintResult, fmt: Literal["human", "json", "github"]) -> str:
    """The result as text in one of the three output formats (each ends with a newline unless empty)."""
    if fmt == "json":
        return json.dumps(result.to_json(), indent=2) + "\n"
    if fmt == "github":
        return _github(result)
    if fmt == "human":
        return _human(result)
    raise ValueError(f"unknown format `{fmt}`")
