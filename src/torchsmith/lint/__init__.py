"""`torchsmith lint`: find the traps that install the wrong PyTorch in existing configs, without running them.

Reads pyproject.toml (uv, Poetry, pixi, PEP 621), pixi.toml, uv.toml, environment.yml, requirements /
constraints files and pip.conf; reports `Finding`s (the same type as `doctor`) with exact file, line and
column; `fix=True` applies only the safe fixes (see `fix.py`) and re-lints. The rules and their ids are
listed in `RULES` and documented in docs/rules.md. Nothing here executes a tool or touches the network.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from torchsmith.findings import Finding
from torchsmith.lint.discover import discover, display_path
from torchsmith.lint.document import Context, Document, Hit, Kind
from torchsmith.lint.registry import RULES, RuleInfo, selected_rules
from torchsmith.lint.render import render

__all__ = ["RULES", "LintResult", "RuleInfo", "lint_paths", "lint_text", "render"]

_TOML_KINDS = frozenset({"pyproject", "pixi", "uv"})


@dataclass(frozen=True, slots=True)
class LintResult:
    """What one lint run found and changed."""

    findings: tuple[Finding, ...]
    fixes: tuple[str, ...]
    files: tuple[Path, ...]

    @property
    def exit_code(self) -> int:
        """1 when an error-severity finding remains, else 0."""
        return 1 if any(f.severity == "error" for f in self.findings) else 0

    def to_json(self) -> dict[str, Any]:
        counts = {s: sum(f.severity == s for f in self.findings) for s in ("error", "warning", "info")}
        return {
            "files": [display_path(p) for p in self.files],
            "findings": [f.to_json() for f in self.findings],
            "fixes": list(self.fixes),
            "counts": counts,
            "exit_code": self.exit_code,
        }


def _parse(path: Path, display: str, kind: Kind, text: str) -> Document | Finding:
    if kind in _TOML_KINDS:
        from torchsmith.lint.toml_files import parse_toml

        return parse_toml(path, display, kind, text)
    if kind == "conda":
        from torchsmith.lint.yaml_files import parse_yaml

        return parse_yaml(path, display, text)
    if kind == "requirements":
        from torchsmith.lint.requirements import parse_requirements

        return parse_requirements(path, display, text)
    from torchsmith.lint.pip_conf import parse_pip_conf

    return parse_pip_conf(path, display, text)


def _check(doc: Document, ctx: Context) -> list[Hit]:
    if doc.kind == "pyproject":
        from torchsmith.lint.rules_uv import check_uv

        tool = doc.data.get("tool") if isinstance(doc.data.get("tool"), dict) else {}
        hits: list[Hit] = []
        if isinstance(tool.get("poetry"), dict):
            from torchsmith.lint.rules_poetry import check_poetry

            hits += check_poetry(doc, ctx)
        if isinstance(tool.get("pixi"), dict):
            from torchsmith.lint.rules_conda import check_pixi

            hits += check_pixi(doc, ctx)
        own = not isinstance(tool.get("poetry"), dict) and not isinstance(tool.get("pixi"), dict)
        return hits + check_uv(doc, ctx, dependencies=own)
    if doc.kind == "uv":
        from torchsmith.lint.rules_uv import check_uv

        return check_uv(doc, ctx, dependencies=False)
    if doc.kind == "pixi":
        from torchsmith.lint.rules_conda import check_pixi

        return check_pixi(doc, ctx)
    if doc.kind == "conda":
        from torchsmith.lint.rules_conda import check_environment_yml

        return check_environment_yml(doc, ctx)
    if doc.kind == "requirements":
        from torchsmith.lint.rules_pip import check_requirements

        return check_requirements(doc, ctx)
    from torchsmith.lint.rules_pip import check_pip_conf

    return check_pip_conf(doc, ctx)


def lint_text(
    text: str, path: Path, kind: Kind, *, display: str | None = None, index_base: str | None = None
) -> list[Hit]:
    """Lint one file's text as format `kind` (all rules); the parse step never raises on bad text."""
    shown = display if display is not None else path.as_posix()
    parsed = _parse(path, shown, kind, text)
    if isinstance(parsed, Finding):
        return [Hit(parsed)]
    return _check(parsed, Context(index_base))


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _sort_key(finding: Finding) -> tuple[int, int, str, str]:
    loc = finding.location
    return (loc.line if loc else 0, loc.column if loc else 0, finding.rule, finding.message)


def lint_paths(
    paths: Sequence[Path],
    *,
    select: Collection[str] | None = None,
    ignore: Collection[str] | None = None,
    fix: bool = False,
    index_base: str | None = None,
) -> LintResult:
    """Lint files and folders (a folder: the configs in and below it). Unknown rule ids raise UsageError.

    `index_base` is the PyTorch index base (default: `TORCHSMITH_INDEX_URL`, else download.pytorch.org).
    """
    rules = selected_rules(select, ignore)
    base = index_base if index_base is not None else (os.environ.get("TORCHSMITH_INDEX_URL") or None)
    files = discover(paths)
    findings: list[Finding] = []
    fixes: list[str] = []
    for path, kind in files:
        display = display_path(path)
        raw = _read(path)
        try:
            text = raw.decode("utf-8") if raw is not None else None
        except UnicodeDecodeError:
            text = None
        if text is None:
            from torchsmith.lint.toml_files import parse_error

            reason = "cannot be read" if raw is None else "is not UTF-8 text"
            findings.append(parse_error(display, path.name, f"the file {reason}"))
            continue
        hits = [
            h
            for h in lint_text(text, path, kind, display=display, index_base=base)
            if h.finding.rule in rules
        ]
        if fix and kind in _TOML_KINDS:
            hits, done = _fix(path, display, kind, text, hits, rules, base)
            fixes += done
        findings += sorted((h.finding for h in hits), key=_sort_key)
    return LintResult(tuple(findings), tuple(fixes), tuple(p for p, _ in files))


def _fix(
    path: Path, display: str, kind: Kind, text: str, hits: list[Hit], rules: frozenset[str], base: str | None
) -> tuple[list[Hit], list[str]]:
    from torchsmith.lint.fix import apply_edits

    fixable = [h for h in hits if h.edit is not None]
    if not fixable:
        return hits, []
    result = apply_edits(text, [h.edit for h in fixable if h.edit is not None])
    if result is None or not result[1]:
        return hits, []
    new_text, applied = result
    path.write_bytes(new_text.encode("utf-8"))
    done = []
    for hit in sorted(fixable, key=lambda h: _sort_key(h.finding)):
        if hit.edit in applied:
            line = hit.finding.location.line if hit.finding.location else 1
            done.append(f"{display}:{line}: {hit.edit.description}")
    remaining = [
        h
        for h in lint_text(new_text, path, kind, display=display, index_base=base)
        if h.finding.rule in rules
    ]
    return remaining, done
