"""One lint run: settings, discovery, reading, rules, suppressions, fixes; the `LintResult`.

Every user file is read with `torchsmith.fileio.read_user_bytes` (regular files only, size-capped, so a
FIFO named requirements-dev.txt cannot hang the run); a file that cannot be read is an `io-error`
finding and the run goes on. `--fix` writes through `torchsmith.fileio.atomic_write_bytes`; `--diff`
computes the same new text and shows it as a unified diff instead of writing.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any, Literal

from torchsmith.findings import Finding
from torchsmith.lint.config import Settings, find_settings
from torchsmith.lint.discover import DEFAULT_EXCLUDE, discover, display_path, io_error
from torchsmith.lint.dispatch import TOML_KINDS, lint_text
from torchsmith.lint.document import Hit, Kind
from torchsmith.lint.gitignore import IgnoreRules, compile_pattern
from torchsmith.lint.registry import selected_rules
from torchsmith.lint.suppress import Suppression, apply_suppressions, parse_suppressions
from torchsmith.record import field, record

__all__ = ["Applicability", "FailOn", "LintResult", "lint_paths"]

Applicability = Literal["safe", "unsafe"]
FailOn = Literal["error", "warning"]


@record
class LintResult:
    """What one lint run found and changed.

    `applicability[i]` says whether `findings[i]` has a fix (`safe`, `unsafe`, or None); `diffs` holds
    one unified diff per file `--diff` would change.
    """

    findings: tuple[Finding, ...]
    fixes: tuple[str, ...]
    files: tuple[Path, ...]
    applicability: tuple[Applicability | None, ...] = ()
    diffs: tuple[str, ...] = ()
    fail_on: FailOn = "error"
    sources: dict[str, str] = field(default_factory=dict, compare=False, repr=False)
    """The text of each linted file by displayed path (after fixes), for source snippets."""

    def fix_of(self, index: int) -> Applicability | None:
        return self.applicability[index] if index < len(self.applicability) else None

    @property
    def exit_code(self) -> int:
        """1 when a finding at or above `fail_on` remains (or `--diff` would change a file), else 0."""
        failing = ("error",) if self.fail_on == "error" else ("error", "warning")
        return 1 if self.diffs or any(f.severity in failing for f in self.findings) else 0

    def to_json(self) -> dict[str, Any]:
        counts = {s: sum(f.severity == s for f in self.findings) for s in ("error", "warning", "info")}
        findings = []
        for i, finding in enumerate(self.findings):
            item = finding.to_json()
            item["fixable"] = self.fix_of(i) == "safe"
            item["fix_applicability"] = self.fix_of(i)
            findings.append(item)
        return {
            "files": [display_path(p) for p in self.files],
            "findings": findings,
            "fixes": list(self.fixes),
            "counts": counts,
            "exit_code": self.exit_code,
        }


def _sort_key(finding: Finding) -> tuple[str, int, int, str, str]:
    loc = finding.location
    return (
        loc.path if loc else "",
        loc.line if loc else 0,
        loc.column if loc else 0,
        finding.rule,
        finding.message,
    )


def _decode(raw: bytes) -> str | None:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text[1:] if text.startswith("\ufeff") else text


def _not_utf8(raw: bytes, display: str, name: str) -> Finding:
    from torchsmith.lint.toml_files import parse_error

    try:
        raw.decode("utf-8")
        offset = 0
    except UnicodeDecodeError as error:
        offset = error.start
    line = raw[:offset].count(b"\n") + 1
    column = offset - (raw.rfind(b"\n", 0, offset) + 1) + 1
    return parse_error(
        display,
        name,
        f"the file is not UTF-8 text (byte 0x{raw[offset]:02x} at offset {offset})",
        line,
        column,
    )


class _Run:
    def __init__(self, settings: Settings, rules: frozenset[str], base: str | None, fix: str | None) -> None:
        self.settings = settings
        self.rules = rules
        self.base = base
        self.fix = fix  # None, "safe", "unsafe" (which fixes to apply)
        self.backend = os.environ.get("UV_TORCH_BACKEND") or None
        self.diff = False
        self.per_file = [
            (p, frozenset(ids))
            for pattern, ids in settings.per_file_ignores.items()
            if (p := compile_pattern(pattern)) is not None
        ]
        self.findings: list[Finding] = []
        self.applicability: dict[int, Applicability] = {}
        self.fixes: list[str] = []
        self.diffs: list[str] = []
        self.suppressions: dict[str, dict[int, Suppression]] = {}
        self.sources: dict[str, str] = {}
        self.own: set[str] = set()  # the displayed path of the file being linted
        self._at: dict[str, frozenset[str]] = {}

    def ignored_here(self, path: Path) -> frozenset[str]:
        if not self.per_file:
            return frozenset()
        absolute = path.absolute()
        try:
            rel = absolute.relative_to(self.settings.root).as_posix()
        except ValueError:
            rel = path.name
        out: set[str] = set()
        for pattern, ids in self.per_file:
            if IgnoreRules([pattern]).ignored(rel, False):
                out |= ids
        return frozenset(out)

    def keep(self, hits: list[Hit], skip: frozenset[str]) -> list[Hit]:
        """Selected rules not ignored for the file each finding points into (an included requirements
        file has its own `per-file-ignores`)."""
        kept = []
        for hit in hits:
            rule_id, loc = hit.finding.rule, hit.finding.location
            if rule_id not in self.rules:
                continue
            ignored = self.ignored_at(loc.path) if loc is not None and loc.path not in self.own else skip
            if rule_id not in ignored:
                kept.append(hit)
        return kept

    def ignored_at(self, display: str) -> frozenset[str]:
        if display not in self._at:
            self._at[display] = self.ignored_here(Path(display))
        return self._at[display]

    def _lint(self, text: str, path: Path, kind: Kind, display: str) -> list[Hit]:
        backend = self.backend
        if kind == "requirements":
            from torchsmith.lint.uv_settings import torch_backend_for

            backend = torch_backend_for(path.parent, self.backend)
        return lint_text(text, path, kind, display=display, index_base=self.base, torch_backend=backend)

    def lint_file(self, path: Path, kind: Kind) -> None:
        from torchsmith.fileio import UserFileError, read_user_bytes

        display = display_path(path)
        try:
            raw = read_user_bytes(path, what="config file")
        except UserFileError as error:
            self.findings.append(io_error(path, error.message.replace(f" `{path}`", "")))
            return
        text = _decode(raw)
        if text is None:
            self.findings.append(_not_utf8(raw, display, path.name))
            return
        self.own = {display}
        self.suppressions[display] = parse_suppressions(text)
        self.sources[display] = text
        skip = self.ignored_here(path)
        hits = self.keep(
            self._lint(text, path, kind, display),
            skip,
        )
        if self.fix is not None and kind in TOML_KINDS:
            hits = self._fix(path, display, kind, raw, text, hits, skip)
        for hit in sorted(hits, key=lambda h: _sort_key(h.finding)):
            if hit.edit is not None:
                self.applicability[id(hit.finding)] = "safe" if hit.edit.safe else "unsafe"
            self.findings.append(hit.finding)

    def _fix(
        self,
        path: Path,
        display: str,
        kind: Kind,
        raw: bytes,
        text: str,
        hits: list[Hit],
        skip: frozenset[str],
    ) -> list[Hit]:
        from torchsmith.lint.fix import apply_edits

        wanted = [h for h in hits if h.edit is not None and (h.edit.safe or self.fix == "unsafe")]
        if not wanted:
            return hits
        result = apply_edits(text, [h.edit for h in wanted if h.edit is not None])
        if result is None or not result[1]:
            return hits
        new_text, applied = result
        bom = "\ufeff" if raw.startswith(b"\xef\xbb\xbf") else ""
        if self.diff:
            import difflib

            lines = difflib.unified_diff(
                text.splitlines(keepends=True),
                new_text.splitlines(keepends=True),
                fromfile=f"a/{display}",
                tofile=f"b/{display}",
            )
            self.diffs.append("".join(lines))
        else:
            from torchsmith.fileio import atomic_write_bytes

            atomic_write_bytes(path, (bom + new_text).encode("utf-8"))
            self.sources[display] = new_text
        for hit in sorted(wanted, key=lambda h: _sort_key(h.finding)):
            if hit.edit in applied and hit.edit is not None:
                line = hit.finding.location.line if hit.finding.location else 1
                self.fixes.append(f"{display}:{line}: {hit.edit.description}")
        if self.diff:
            return [h for h in hits if h.edit not in applied]
        return self.keep(self._lint(new_text, path, kind, display), skip)


def lint_paths(
    paths: Sequence[Path],
    *,
    select: Collection[str] | None = None,
    ignore: Collection[str] | None = None,
    fix: bool = False,
    unsafe_fixes: bool = False,
    diff: bool = False,
    exclude: Sequence[str] = (),
    force_exclude: bool = False,
    respect_gitignore: bool = True,
    settings: Settings | None = None,
    config: Path | None = None,
    fail_on: FailOn = "error",
    index_base: str | None = None,
) -> LintResult:
    """Lint files and folders (a folder: the configs in and below it). Unknown rule ids raise UsageError.

    Settings come from the nearest `torchsmith.toml` / `[tool.torchsmith.lint]` at or above the first
    path. `select` (command line) replaces the settings' `select`; `ignore` adds to theirs; `exclude` adds to
    `exclude` / `extend-exclude`. `diff` computes the fixes without writing them. `index_base` is the
    PyTorch index base (default: `TORCHSMITH_INDEX_URL`, else download.pytorch.org).
    """
    if settings is None:
        first = paths[0] if paths else Path.cwd()
        start = first if first.is_dir() else first.parent  # like ruff: settings of the linted project
        settings = find_settings(start, config)
    chosen = select if select is not None else settings.select
    rules = selected_rules(chosen, [*settings.ignore, *(ignore or ())])
    base = index_base if index_base is not None else (os.environ.get("TORCHSMITH_INDEX_URL") or None)
    patterns = [*(settings.exclude if settings.exclude is not None else DEFAULT_EXCLUDE)]
    patterns += [*settings.extend_exclude, *exclude]
    found = discover(
        paths,
        exclude=patterns,
        exclude_root=settings.root,
        respect_gitignore=respect_gitignore,
        force_exclude=force_exclude,
    )
    mode = "unsafe" if unsafe_fixes and (fix or diff) else "safe" if (fix or diff) else None
    from torchsmith.lint.uv_settings import clear_cache

    clear_cache()
    run = _Run(settings, rules, base, mode)
    run.diff = diff
    run.findings += [f for f in found.errors if "io-error" in rules]
    for path, kind in found.files:
        run.lint_file(path, kind)
    kept, unused = apply_suppressions(_unique(run.findings), run.suppressions, rules)
    ordered = sorted(kept + unused, key=_sort_key)
    return LintResult(
        findings=tuple(ordered),
        fixes=tuple(run.fixes),
        files=tuple(p for p, _ in found.files),
        applicability=tuple(run.applicability.get(id(f)) for f in ordered),
        diffs=tuple(d for d in run.diffs if d),
        fail_on=fail_on,
        sources=run.sources,
    )


def _unique(findings: list[Finding]) -> list[Finding]:
    """Each finding once: a file included by two requirements files reports its own lines once."""
    seen: set[tuple[Any, ...]] = set()
    out: list[Finding] = []
    for finding in findings:
        loc = finding.location
        key = (
            finding.rule,
            finding.message,
            loc.path if loc else "",
            loc.line if loc else 0,
            loc.column if loc else 0,
        )
        if key not in seen:
            seen.add(key)
            out.append(finding)
    return out
