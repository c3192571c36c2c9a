"""Text forms of a lint result, named as ruff names them (`--output-format`).

`full` (default) and `concise` are for people: `path:line:col: rule [*] severity: message`, where `[*]`
marks a finding `--fix` repairs; `full` adds the source line with a caret and the fix. `json`,
`json-lines`, `github`, `gitlab`, `junit` and `sarif` are for machines (see `render_ci.py`). GitHub's
annotation syntax and escaping:
https://docs.github.com/en/actions/reference/workflow-commands-for-github-actions#setting-an-error-message
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

from torchsmith.findings import Finding

if TYPE_CHECKING:
    from torchsmith.lint.run import LintResult

__all__ = ["FORMATS", "render"]

FORMATS: tuple[str, ...] = ("full", "concise", "json", "json-lines", "github", "gitlab", "junit", "sarif")
_ALIASES = {"human": "full", "text": "full"}
_GITHUB_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}
_COLOURS = {"error": "31", "warning": "33", "info": "34", "path": "1", "fix": "36", "dim": "2"}


def _paint(text: str, what: str, color: bool) -> str:
    return f"\x1b[{_COLOURS[what]}m{text}\x1b[0m" if color else text


def _where(finding: Finding) -> str:
    loc = finding.location
    return f"{loc.path}:{loc.line}:{loc.column}" if loc else "-"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def _head(result: LintResult, index: int, finding: Finding, color: bool) -> str:
    mark = " [*]" if result.fix_of(index) == "safe" else ""
    return (
        f"{_paint(_where(finding), 'path', color)}: {_paint(finding.rule, finding.severity, color)}"
        f"{_paint(mark, 'fix', color)} {finding.severity}: {finding.message}"
    )


def _snippet(finding: Finding, sources: Mapping[str, str], color: bool) -> list[str]:
    loc = finding.location
    text = sources.get(loc.path) if loc is not None else None
    if loc is None or text is None:
        return []
    lines = text.splitlines()
    if not 1 <= loc.line <= len(lines):
        return []
    number = str(loc.line)
    pad = " " * len(number)
    source = lines[loc.line - 1].expandtabs(1)
    caret = " " * (loc.column - 1) + "^"
    return [
        _paint(f"{pad} |", "dim", color),
        _paint(f"{number} |", "dim", color) + f" {source}",
        _paint(f"{pad} |", "dim", color) + " " + _paint(caret, finding.severity, color),
    ]


def _summary(result: LintResult, lines: list[str]) -> None:
    files = _plural(len(result.files), "file")
    for description in result.fixes:
        lines.append(f"fixed: {description}")
    if result.findings:
        errors = sum(f.severity == "error" for f in result.findings)
        warnings = sum(f.severity == "warning" for f in result.findings)
        if lines and lines[-1]:
            lines.append("")
        lines.append(
            f"found {_plural(len(result.findings), 'problem')} ({_plural(errors, 'error')}, "
            f"{_plural(warnings, 'warning')}) in {files}"
        )
        safe = sum(result.fix_of(i) == "safe" for i in range(len(result.findings)))
        unsafe = sum(result.fix_of(i) == "unsafe" for i in range(len(result.findings)))
        if safe:
            lines.append(f"[*] {safe} fixable with `--fix`")
        if unsafe:
            lines.append(f"{_plural(unsafe, 'hidden fix')} can be enabled with `--unsafe-fixes`")
    elif not result.files:
        lines.append("no config files found")
    else:
        if lines and lines[-1]:
            lines.append("")
        lines.append(f"all checks passed ({files})")


def _human(result: LintResult, sources: Mapping[str, str], *, full: bool, color: bool) -> str:
    lines: list[str] = []
    for index, finding in enumerate(result.findings):
        lines.append(_head(result, index, finding, color))
        if not full:
            continue
        lines += _snippet(finding, sources, color)
        if finding.fix:
            lines.append(_paint("  = fix: ", "fix", color) + finding.fix)
        lines.append("")
    _summary(result, lines)
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


def render(
    result: LintResult, fmt: str, *, sources: Mapping[str, str] | None = None, color: bool = False
) -> str:
    """The result in one output format (`FORMATS`, or the old names `human`); ends with a newline."""
    fmt = _ALIASES.get(fmt, fmt)
    if fmt in ("full", "concise"):
        return _human(
            result, sources if sources is not None else result.sources, full=fmt == "full", color=color
        )
    if fmt == "json":
        return json.dumps(result.to_json(), indent=2) + "\n"
    if fmt == "github":
        return _github(result)
    if fmt in FORMATS:
        from torchsmith.lint.render_ci import render_ci

        return render_ci(result, fmt)
    raise ValueError(f"unknown format `{fmt}`")
