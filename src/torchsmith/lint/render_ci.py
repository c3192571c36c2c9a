"""Machine formats of a lint result for CI systems, shaped as ruff writes them.

- `json-lines`: one finding per line (the `json` finding objects).
- `gitlab`: GitLab's Code Quality report
  (https://docs.gitlab.com/ci/testing/code_quality/#code-quality-report-format): `description`,
  `check_name`, `fingerprint`, `severity` (`info` / `minor` / `major` / `critical` / `blocker`) and
  `location.path` + `location.lines.begin`.
- `junit`: JUnit XML, one `<testsuite>` per file and one failing `<testcase>` per finding (what GitLab,
  Jenkins and Azure read as test reports).
- `sarif`: SARIF 2.1.0 (https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html), which GitHub
  code scanning uploads; every rule is listed in `tool.driver.rules`, results point at them by index.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree

from torchsmith.findings import Finding
from torchsmith.lint.registry import RULES

if TYPE_CHECKING:
    from torchsmith.lint.run import LintResult

__all__ = ["render_ci"]

_GITLAB_SEVERITY = {"error": "major", "warning": "minor", "info": "info"}
_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
_SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _items(result: LintResult) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = result.to_json()["findings"]
    return items


def _fingerprint(finding: Finding) -> str:
    loc = finding.location
    key = "\x00".join((finding.rule, loc.path if loc else "", finding.message))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _gitlab(result: LintResult) -> str:
    out = []
    seen: dict[str, int] = {}
    for finding in result.findings:
        loc = finding.location
        fingerprint = _fingerprint(finding)
        count = seen.get(fingerprint, 0)
        seen[fingerprint] = count + 1
        if count:  # the same message twice in one file: keep fingerprints unique, as GitLab requires
            fingerprint = hashlib.sha256(f"{fingerprint}{count}".encode()).hexdigest()
        out.append(
            {
                "description": f"({finding.rule}) {finding.message}",
                "check_name": finding.rule,
                "fingerprint": fingerprint,
                "severity": _GITLAB_SEVERITY[finding.severity],
                "location": {
                    "path": loc.path if loc else "",
                    "lines": {"begin": loc.line if loc else 1},
                },
            }
        )
    return json.dumps(out, indent=2) + "\n"


def _junit(result: LintResult) -> str:
    suites = ElementTree.Element(
        "testsuites",
        name="torchsmith",
        tests=str(max(len(result.findings), 1)),
        failures=str(len(result.findings)),
        errors="0",
    )
    by_path: dict[str, list[Finding]] = {}
    for finding in result.findings:
        by_path.setdefault(finding.location.path if finding.location else "-", []).append(finding)
    if not by_path:
        suite = ElementTree.SubElement(
            suites, "testsuite", name="torchsmith", tests="1", failures="0", errors="0"
        )
        ElementTree.SubElement(suite, "testcase", name="no problems found", classname="torchsmith")
    for path, findings in by_path.items():
        suite = ElementTree.SubElement(
            suites, "testsuite", name=path, tests=str(len(findings)), failures=str(len(findings)), errors="0"
        )
        for finding in findings:
            loc = finding.location
            line, column = (loc.line, loc.column) if loc else (1, 1)
            case = ElementTree.SubElement(
                suite,
                "testcase",
                name=f"torchsmith.{finding.rule}",
                classname=path,
                file=path,
                line=str(line),
            )
            failure = ElementTree.SubElement(case, "failure", message=finding.message, type=finding.severity)
            failure.text = f"line {line}, col {column}, {finding.message}" + (
                f"\nfix: {finding.fix}" if finding.fix else ""
            )
    ElementTree.indent(suites)
    body = ElementTree.tostring(suites, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def _version() -> str:
    from torchsmith import __version__

    return str(__version__)


def _sarif(result: LintResult) -> str:
    index = {info.id: i for i, info in enumerate(RULES)}
    rules = [
        {
            "id": info.id,
            "name": info.id,
            "shortDescription": {"text": info.summary},
            "help": {"text": f"torchsmith lint --explain {info.id}"},
            "defaultConfiguration": {"level": _SARIF_LEVEL[info.severity]},
            "properties": {"fixable": info.fixable},
        }
        for info in RULES
    ]
    results = []
    for i, finding in enumerate(result.findings):
        loc = finding.location
        item: dict[str, Any] = {
            "ruleId": finding.rule,
            "ruleIndex": index[finding.rule],
            "level": _SARIF_LEVEL[finding.severity],
            "message": {"text": finding.message + (f" (fix: {finding.fix})" if finding.fix else "")},
            "partialFingerprints": {"torchsmith/v1": _fingerprint(finding)},
            "properties": {"fixApplicability": result.fix_of(i)},
        }
        if loc is not None:
            item["locations"] = [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": loc.path.replace("\\", "/")},
                        "region": {"startLine": max(loc.line, 1), "startColumn": max(loc.column, 1)},
                    }
                }
            ]
        results.append(item)
    document = {
        "$schema": _SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "torchsmith",
                        "version": _version(),
                        "rules": rules,
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    return json.dumps(document, indent=2) + "\n"


def render_ci(result: LintResult, fmt: str) -> str:
    if fmt == "json-lines":
        return "".join(json.dumps(item) + "\n" for item in _items(result))
    if fmt == "gitlab":
        return _gitlab(result)
    if fmt == "junit":
        return _junit(result)
    if fmt == "sarif":
        return _sarif(result)
    raise ValueError(f"unknown format `{fmt}`")
