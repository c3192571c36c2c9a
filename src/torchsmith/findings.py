"""Findings: the one result type of `doctor` (an environment) and `lint` (a config file).

A finding is data, never an exception: a stable rule id, a severity, a message, the evidence that led to
it, the exact fix, and for config files a location (file, line, column and a breadcrumb such as
`pyproject.toml › tool.uv.sources › torch`).
"""

from __future__ import annotations

from typing import Any, Literal

from torchsmith.record import field, record

__all__ = ["Finding", "Location", "Severity", "exit_code"]

Severity = Literal["error", "warning", "info"]

_SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")


@record
class Location:
    """Where in a config file a finding points (1-based line and column)."""

    path: str
    line: int = 1
    column: int = 1
    breadcrumb: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "column": self.column, "breadcrumb": self.breadcrumb}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Location:
        return cls(
            path=str(data["path"]),
            line=int(data.get("line", 1)),
            column=int(data.get("column", 1)),
            breadcrumb=str(data.get("breadcrumb", "")),
        )


@record
class Finding:
    """One problem (or, with severity `info`, one observation) found by a rule."""

    rule: str
    severity: Severity
    message: str
    fix: str | None = None
    evidence: tuple[str, ...] = field(default_factory=tuple)
    location: Location | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
            "fix": self.fix,
            "evidence": list(self.evidence),
            "location": self.location.to_json() if self.location else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Finding:
        severity = data["severity"]
        if severity not in _SEVERITIES:
            raise ValueError(f"invalid severity `{severity}`")
        location = data.get("location")
        return cls(
            rule=str(data["rule"]),
            severity=severity,
            message=str(data["message"]),
            fix=data.get("fix"),
            evidence=tuple(str(e) for e in data.get("evidence", ())),
            location=Location.from_json(location) if location else None,
        )


def exit_code(findings: list[Finding]) -> int:
    """1 when any finding is an error, else 0: the contract of `doctor` and `lint`."""
    return 1 if any(f.severity == "error" for f in findings) else 0
