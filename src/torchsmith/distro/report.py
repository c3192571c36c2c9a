"""`distro report`: members × cells as JSON, Markdown or one static HTML page, and what blocks promotion.

Promotion rule (seed 004: "running the tests for that package _and_ downstream dependencies"): a member is
promotable only when it passed (or was flaky) in every cell that ran, and so did every member downstream of
it. So an update that breaks a dependent is blocked, and the report names the dependent and the cell. The
HTML page is self-contained (inline CSS, relative links to the logs), so it opens from disk with no server.
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from torchsmith.distro.registry import DistroError, load_distro
from torchsmith.distro.results import TestRun, load_results

__all__ = ["Promotion", "ReportResult", "make_report", "promotion", "render_html", "render_markdown"]

_MARK = {"pass": "pass", "fail": "FAIL", "flaky": "flaky", "skipped": "skip"}


@dataclass(frozen=True, slots=True)
class Promotion:
    """Whether one member may be promoted, and every reason it may not."""

    member: str
    version: str
    promotable: bool
    blockers: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "member": self.member,
            "version": self.version,
            "promotable": self.promotable,
            "blockers": list(self.blockers),
        }


def _own_problems(run: TestRun, member: str) -> list[str]:
    problems = []
    for cell in run.cells:
        outcome = cell.outcome(member)
        if outcome is not None and outcome.status == "fail":
            problems.append(f"failed {outcome.stage} in `{cell.cell.id}`")
    return problems


def promotion(run: TestRun) -> tuple[Promotion, ...]:
    """Each member's promotion decision (registry order)."""
    out = []
    for record in run.members:
        name = record.name
        blockers = _own_problems(run, name)
        ran = [c.outcome(name) for c in run.cells if c.error is None]
        if not blockers and not any(o is not None and o.status in ("pass", "flaky") for o in ran):
            blockers.append("not tested in any cell")
        for dependent in run.graph.downstream(name)[1:]:
            for problem in _own_problems(run, dependent):
                blockers.append(f"dependent `{dependent}` {problem}")
        out.append(Promotion(name, record.version, not blockers, tuple(blockers)))
    return tuple(out)


def _needs_release(run: TestRun) -> list[tuple[str, str, str]]:
    """(member, cell, why) where a member's own torch bound kept it out of a cell (seed 004: notify when
    a torch release needs a new release of a member)."""
    return [
        (o.member, c.cell.id, o.detail)
        for c in run.cells
        for o in c.outcomes
        if o.status == "skipped" and o.stage == "tier0" and o.detail.startswith("declares")
    ]


def render_markdown(run: TestRun) -> str:
    cells = [c.cell.id for c in run.cells]
    lines = [
        f"# distro `{run.distro}`: tier {run.tier}" + (f", change: `{run.changed}`" if run.changed else ""),
        "",
    ]
    lines.append("| member | version | " + " | ".join(cells) + " |")
    lines.append("| --- | --- | " + " | ".join("---" for _ in cells) + " |")
    for record in run.members:
        row = []
        for cell in run.cells:
            outcome = cell.outcome(record.name)
            row.append(_MARK[outcome.status] if outcome else "-")
        lines.append(f"| {record.name} | {record.version} | " + " | ".join(row) + " |")
    errors = [c for c in run.cells if c.error]
    if errors:
        lines += ["", "## Cells that did not run", ""]
        lines += [f"- `{c.cell.id}`: {c.error}" for c in errors]
    needs = _needs_release(run)
    if needs:
        lines += ["", "## Needs a release", ""]
        lines += [f"- {member} in `{cell}`: {detail}" for member, cell, detail in needs]
    lines += ["", "## Promotion", ""]
    for decision in promotion(run):
        if decision.promotable:
            lines.append(f"- {decision.member} {decision.version}: promotable")
        else:
            lines.append(
                f"- {decision.member} {decision.version}: **blocked**: " + "; ".join(decision.blockers)
            )
    return "\n".join(lines) + "\n"


_CSS = """body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse}
td,th{border:1px solid #bbb;padding:.3em .6em;text-align:center}td.pass{background:#d4f4d4}
td.fail{background:#f8c8c8;font-weight:bold}td.flaky{background:#fbeab0}td.skipped{background:#eee}
.blocked{color:#a00}"""


def _href(log: str, base: Path | None) -> str:
    """A link to a log: relative to the page's folder `base` when the log path is absolute, else as is."""
    path = Path(log)
    if not path.is_absolute():
        return log
    if base is None:
        return path.as_uri()
    return Path(os.path.relpath(path, base.resolve())).as_posix()


def render_html(run: TestRun, *, base: Path | None = None) -> str:
    """One self-contained page; log links are relative to `base` (the folder the page is written to)."""
    esc = html.escape
    head = "".join(f"<th>{esc(c.cell.id)}</th>" for c in run.cells)
    rows = []
    for record in run.members:
        cells = []
        for cell in run.cells:
            outcome = cell.outcome(record.name)
            if outcome is None:
                cells.append("<td>-</td>")
                continue
            text = esc(_MARK[outcome.status])
            if outcome.log:
                text = f'<a href="{esc(_href(outcome.log, base))}">{text}</a>'
            title = esc(f"{outcome.stage}: {outcome.detail}".strip(": "))
            cells.append(f'<td class="{outcome.status}" title="{title}">{text}</td>')
        rows.append(f"<tr><th>{esc(record.name)} {esc(record.version)}</th>{''.join(cells)}</tr>")
    items = []
    for decision in promotion(run):
        if decision.promotable:
            items.append(f"<li>{esc(decision.member)} {esc(decision.version)}: promotable</li>")
        else:
            why = "".join(f"<li>{esc(b)}</li>" for b in decision.blockers)
            name = f"{esc(decision.member)} {esc(decision.version)}"
            items.append(f'<li class="blocked">{name}: blocked<ul>{why}</ul></li>')
    errors = "".join(f"<li>{esc(c.cell.id)}: {esc(c.error)}</li>" for c in run.cells if c.error)
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>distro {esc(run.distro)}</title>"
        f"<style>{_CSS}</style></head><body>\n<h1>distro {esc(run.distro)} (tier {run.tier})</h1>\n"
        f"<table><tr><th>member</th>{head}</tr>\n"
        + "\n".join(rows)
        + "</table>\n"
        + (f"<h2>Cells that did not run</h2><ul>{errors}</ul>\n" if errors else "")
        + "<h2>Promotion</h2><ul>\n"
        + "\n".join(items)
        + "\n</ul>\n</body></html>\n"
    )


@dataclass(frozen=True, slots=True)
class ReportResult:
    """A rendered report; `text` is the document in `format`, `path` where it was written (if anywhere)."""

    run: TestRun
    format: str
    text: str
    path: Path | None = None

    @property
    def exit_code(self) -> int:
        return self.run.exit_code

    def to_json(self) -> dict[str, Any]:
        data = self.run.to_json()
        data["promotion"] = [p.to_json() for p in promotion(self.run)]
        return data

    def summary(self) -> str:
        return self.text if self.path is None else f"wrote {self.path}"


def make_report(
    *,
    distro_path: Path | None = None,
    format: str = "markdown",
    merge: Sequence[Path] = (),
    output: Path | None = None,
) -> ReportResult:
    """Report on `merge` (results files) or, without them, on every file in the distro's results folder.
    `output`: write the document there (for `html`, log links are made relative to it)."""
    if format not in ("json", "markdown", "html"):
        raise DistroError(f"invalid value `{format}` for `--format`: expected `json`, `markdown` or `html`")
    files = list(merge)
    if not files:
        if distro_path is None:
            raise DistroError("nothing to report on", hint="pass `--merge FILES...` or a distro file")
        folder = load_distro(distro_path).results_dir
        files = sorted(folder.glob("*.json"))
        if not files:
            raise DistroError(f"no results in `{folder}`", hint="run `torchsmith distro test` first")
    run = load_results(files, absolute_logs=format == "html")
    if format == "json":
        text = json.dumps(ReportResult(run, format, "").to_json(), indent=2) + "\n"
    elif format == "markdown":
        text = render_markdown(run)
    else:
        text = render_html(run, base=output.parent if output is not None else None)
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    return ReportResult(run, format, text, output)
