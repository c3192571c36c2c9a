"""Inline suppression: `# torchsmith: ignore[rule-id, ...]` at the end of the line a finding points at.

The comment works in every format linted here, because TOML, YAML, INI-style pip.conf and requirements
files all use `#` comments (a requirements comment must start the line or follow whitespace, as pip
reads it: https://pip.pypa.io/en/stable/reference/requirements-file-format/#comments). Like ruff's
`# noqa: CODE` (https://docs.astral.sh/ruff/linter/#error-suppression) it applies to its own line only;
`# torchsmith: ignore` without ids suppresses every rule on the line. A suppression that suppresses
nothing (or names an unknown rule) is itself reported as `unused-suppression`, so stale ones get removed.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from torchsmith.findings import Finding, Location
from torchsmith.lazy_re import lazy
from torchsmith.lint.registry import RULES, rule

__all__ = ["Suppression", "apply_suppressions", "parse_suppressions"]

_COMMENT = lazy(r"(?:^|\s)#\s*torchsmith:\s*ignore(?:\[([^\]]*)\])?", re.IGNORECASE)
_KNOWN = frozenset(r.id for r in RULES)


class Suppression:
    """One `# torchsmith: ignore[...]` comment, and the rules it has silenced so far (`used`).

    A plain slotted class: nothing compares or prints it, and a dataclass costs start-up (issue 17)."""

    __slots__ = ("column", "ids", "line", "text", "used")

    def __init__(self, line: int, column: int, ids: tuple[str, ...], text: str) -> None:
        self.line = line
        self.column = column
        self.ids = ids  # empty: every rule
        self.text = text
        self.used: set[str] = set()


def parse_suppressions(text: str) -> dict[int, Suppression]:
    """Suppression comments by line number (1-based)."""
    out: dict[int, Suppression] = {}
    if "torchsmith" not in text:
        return out
    for number, line in enumerate(text.splitlines(), start=1):
        match = _COMMENT.search(line)
        if match is None:
            continue
        ids = tuple(part.strip() for part in (match.group(1) or "").split(",") if part.strip())
        column = line.index("#", match.start()) + 1
        out[number] = Suppression(number, column, ids, match.group(0).strip())
    return out


def apply_suppressions(
    findings: Sequence[Finding],
    by_path: dict[str, dict[int, Suppression]],
    selected: Collection[str],
) -> tuple[list[Finding], list[Finding]]:
    """(findings that remain, `unused-suppression` findings for comments that suppressed nothing)."""
    kept: list[Finding] = []
    for finding in findings:
        loc = finding.location
        found = by_path.get(loc.path, {}).get(loc.line) if loc is not None else None
        if (
            found is not None
            and finding.rule != "unused-suppression"
            and (not found.ids or finding.rule in found.ids)
        ):
            found.used.add(finding.rule)
            continue
        kept.append(finding)
    unused: list[Finding] = []
    if "unused-suppression" not in selected:
        return kept, unused
    for path, lines in by_path.items():
        for item in lines.values():
            unknown = [i for i in item.ids if i not in _KNOWN]
            stale = [i for i in item.ids if i in _KNOWN and i in selected and i not in item.used]
            if not item.ids and not item.used:
                stale = ["any rule"]
            if not unknown and not stale:
                continue
            parts = []
            if stale:
                parts.append("nothing to suppress for " + ", ".join(f"`{i}`" for i in stale))
            if unknown:
                parts.append("unknown rule id " + ", ".join(f"`{i}`" for i in unknown))
            unused.append(
                Finding(
                    rule="unused-suppression",
                    severity=rule("unused-suppression").severity,
                    message=f"`{item.text}` on line {item.line}: " + "; ".join(parts),
                    fix="remove the stale ids (or the whole comment)",
                    location=Location(path, item.line, item.column, f"line {item.line}"),
                )
            )
    return kept, unused
