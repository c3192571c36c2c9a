"""`distro report`: members × cells as JSON, Markdown or one static HTML page, and what blocks promotion.

The verdict comes first (`verdict.promotion`: promotable, or blocked and every reason why), then the
members × cells table with a legend, where "not run", "missing", "stale" and "errored" are states of their
own (unknown is not yes) and skip and failure reasons are printed in the cell, not hidden in a tooltip;
then the exact torch of each cell with its sha256, the tested member files with theirs, and "Needs a
release". The HTML page is self-contained (inline CSS, relative links to the logs), opens from disk with no
server, and its wide table scrolls inside its own box so the page itself never overflows.
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from torchsmith.distro.registry import DistroError, load_distro
from torchsmith.distro.results import TestRun, load_results
from torchsmith.distro.verdict import CellState, Promotion, cell_state, promotion

__all__ = ["Promotion", "ReportResult", "make_report", "promotion", "render_html", "render_markdown"]

_MARK = {"pass": "pass", "fail": "FAIL", "flaky": "flaky", "skipped": "skip"}
_STATE_MARK = {
    "missing": "missing",
    "errored": "error",
    "not-run": "not run",
    "stale": "stale",
    "below-tier": "low tier",
}


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
    cells = list(_columns(run))
    lines = [
        f"# distro `{run.distro}`: tier {run.tier}" + (f", change: `{run.changed}`" if run.changed else ""),
        "",
    ]
    lines += ["## Verdict", ""]
    for decision in promotion(run):
        if decision.promotable:
            lines.append(f"- {decision.member} {decision.version}: promotable")
        else:
            lines.append(
                f"- {decision.member} {decision.version}: **blocked**: " + "; ".join(decision.blockers)
            )
    lines += ["", "## Results", ""]
    lines.append("| member | version | " + " | ".join(cells) + " |")
    lines.append("| --- | --- | " + " | ".join("---" for _ in cells) + " |")
    for record in run.members:
        row = [_mark(run, record.name, c) for c in cells]
        lines.append(f"| {record.name} | {record.version} | " + " | ".join(row) + " |")
    errors = [c for c in run.cells if c.error]
    if errors:
        lines += ["", "## Cells that did not run", ""]
        lines += [f"- `{c.cell.id}`: {c.error}" for c in errors]
    needs = _needs_release(run)
    if needs:
        lines += ["", "## Needs a release", ""]
        lines += [f"- {member} in `{cell}`: {detail}" for member, cell, detail in needs]
    return "\n".join(lines) + "\n"


def _columns(run: TestRun) -> tuple[str, ...]:
    """The declared cells, then any cell with results that is no longer declared."""
    declared = tuple(run.matrix)
    return declared + tuple(c.cell.id for c in run.cells if c.cell.id not in declared)


def _mark(run: TestRun, member: str, cell_id: str) -> str:
    record = run.member(member)
    cell = run.cell(cell_id)
    outcome = cell.outcome(member) if cell else None
    if record is None:
        return "-"
    state = cell_state(run, record, cell_id, record.sha256)
    if state.kind in _STATE_MARK:
        return _STATE_MARK[state.kind]
    return _MARK[outcome.status] if outcome else "-"


_CSS = """
body{font-family:system-ui,sans-serif;margin:1.5em;max-width:1200px;color:#111}
h1{margin:.2em 0}p.meta{color:#555;margin:.2em 0 1em}
.verdicts{list-style:none;padding:0}.verdicts li{margin:.4em 0;padding:.5em .8em;border-radius:4px}
.verdict-ok{background:#e3f6e3;border-left:6px solid #2a8a2a}
.verdict-blocked{background:#fbe3e3;border-left:6px solid #b00}
.verdicts ul{margin:.3em 0 0 1.2em;padding:0;font-size:.92em}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;margin:.5em 0}
td,th{border:1px solid #bbb;padding:.3em .5em;text-align:center;vertical-align:top}
th.cellid{font-size:.8em;max-width:9em;overflow-wrap:anywhere}
td small{display:block;font-size:.75em;color:#333;max-width:14em;overflow-wrap:anywhere}
.pass{background:#d4f4d4}.fail{background:#f8c8c8;font-weight:bold}.flaky{background:#fbeab0}
.skipped{background:#e6e6e6}.not-run{background:#fff;color:#777;font-style:italic}
.missing,.errored{background:#f3d6f3}.stale,.below-tier{background:#ffe0c0}
.legend span{display:inline-block;padding:.1em .5em;margin:.1em;border:1px solid #bbb}
code.hash{font-size:.8em;overflow-wrap:anywhere}
"""

_LEGEND = (
    ("pass", "pass", "passed the required tier"),
    ("flaky", "flaky", "failed once, passed on retry (shown, not blocking)"),
    ("fail", "FAIL", "failed (blocks it and the members it requires)"),
    ("skipped", "skip", "skipped; the reason is in the cell (blocks)"),
    ("below-tier", "low tier", "passed a lower tier than required (blocks)"),
    ("stale", "stale", "results are for another file or version (blocks)"),
    ("not-run", "not run", "never run in this cell (blocks)"),
    ("missing", "missing", "no results for the cell at all (blocks)"),
    ("errored", "error", "the cell errored before testing (blocks)"),
)


def _href(log: str, base: Path | None) -> str:
    """A link to a log: relative to the page's folder `base` when the log path is absolute, else as is."""
    path = Path(log)
    if not path.is_absolute():
        return log
    if base is None:
        return path.as_uri()
    return Path(os.path.relpath(path, base.resolve())).as_posix()


def _td(run: TestRun, member: str, cell_id: str, base: Path | None) -> str:
    esc = html.escape
    record = run.member(member)
    cell = run.cell(cell_id)
    outcome = cell.outcome(member) if cell else None
    state: CellState | None = cell_state(run, record, cell_id, record.sha256) if record else None
    css: str
    if state is not None and state.kind in _STATE_MARK:
        css, text, why = state.kind, _STATE_MARK[state.kind], state.why
    elif outcome is not None:
        css, text = str(outcome.status), _MARK[outcome.status]
        why = outcome.detail if outcome.status != "pass" else ""
    else:
        return '<td class="not-run">not run</td>'
    label = esc(text)
    if outcome is not None and outcome.log:
        label = f'<a href="{esc(_href(outcome.log, base))}">{label}</a>'
    stage = f"{outcome.stage}" if outcome is not None else ""
    small = esc(" · ".join(x for x in (stage, why) if x and x != text))
    return f'<td class="{css}">{label}' + (f"<small>{small}</small>" if small else "") + "</td>"


def render_html(run: TestRun, *, base: Path | None = None, generated: datetime | None = None) -> str:
    """One self-contained page; log links are relative to `base` (the folder the page is written to)."""
    esc = html.escape
    when = (generated or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M:%S UTC")
    decisions = promotion(run)
    verdicts = []
    for d in decisions:
        name = f"<b>{esc(d.member)} {esc(d.version)}</b>"
        if d.promotable:
            verdicts.append(f'<li class="verdict-ok">{name}: promotable</li>')
        else:
            why = "".join(f"<li>{esc(b)}</li>" for b in d.blockers)
            verdicts.append(f'<li class="verdict-blocked">{name}: blocked<ul>{why}</ul></li>')
    good = sum(d.promotable for d in decisions)
    columns = _columns(run)
    head = "".join(f'<th class="cellid">{esc(c)}</th>' for c in columns)
    rows = []
    for record in run.members:
        tds = "".join(_td(run, record.name, c, base) for c in columns)
        rows.append(f"<tr><th>{esc(record.name)} {esc(record.version)}</th>{tds}</tr>")
    legend = "".join(f'<span class="{c}">{esc(t)}</span> {esc(w)}<br>' for c, t, w in _LEGEND)
    torch_rows = []
    for cell_id in columns:
        cell = run.cell(cell_id)
        if cell is None:
            torch_rows.append(f"<tr><td>{esc(cell_id)}</td><td colspan=3>missing: no results</td></tr>")
            continue
        torch_rows.append(
            f"<tr><td>{esc(cell_id)}</td><td>{esc(cell.torch or '-')}</td>"
            f'<td><code class="hash">{esc(cell.torch_sha256 or "unknown")}</code></td>'
            f"<td>{esc(cell.error or cell.at or '')}</td></tr>"
        )
    member_rows = "".join(
        f"<tr><td>{esc(m.name)}</td><td>{esc(m.version)}</td><td>{esc(m.file or '-')}</td>"
        f'<td><code class="hash">{esc(m.sha256 or "unknown")}</code></td><td>{m.required_tier}</td></tr>'
        for m in run.members
    )
    needs = _needs_release(run)
    needs_html = (
        "<ul>" + "".join(f"<li>{esc(m)} in {esc(c)}: {esc(w)}</li>" for m, c, w in needs) + "</ul>"
        if needs
        else "<p>none</p>"
    )
    change = f", change: {esc(run.changed)}" if run.changed else ""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width">'
        f"<title>distro {esc(run.distro)}</title><style>{_CSS}</style></head><body>\n"
        f"<h1>distro {esc(run.distro)}</h1>\n"
        f'<p class="meta">generated {when} · tier {run.tier}{change} · '
        f"{good} of {len(decisions)} members promotable</p>\n"
        f'<h2>Verdict</h2>\n<ul class="verdicts" id="verdict">{"".join(verdicts)}</ul>\n'
        f'<h2>Results</h2>\n<p class="legend">{legend}</p>\n'
        f'<div class="scroll"><table><tr><th>member</th>{head}</tr>\n'
        + "\n".join(rows)
        + "</table></div>\n"
        + '<h2>Torch per cell</h2>\n<div class="scroll"><table><tr><th>cell</th><th>torch</th>'
        + "<th>sha256</th><th>when / error</th></tr>"
        + "".join(torch_rows)
        + "</table></div>\n"
        + '<h2>Tested files</h2>\n<div class="scroll"><table><tr><th>member</th><th>version</th>'
        + f"<th>file</th><th>sha256</th><th>required tier</th></tr>{member_rows}</table></div>\n"
        + f"<h2>Needs a release</h2>\n{needs_html}\n</body></html>\n"
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
    if format == "json":  # the same document as `--json`: `schema_version` first (docs/schemas/distro)
        from torchsmith.cli import SCHEMA_VERSION

        document = {"schema_version": SCHEMA_VERSION, **ReportResult(run, format, "").to_json()}
        text = json.dumps(document, indent=2) + "\n"
    elif format == "markdown":
        text = render_markdown(run)
    else:
        text = render_html(run, base=output.parent if output is not None else None)
    if output is not None:
        from torchsmith.fileio import atomic_write_text

        output.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(output, text)
    return ReportResult(run, format, text, output)
