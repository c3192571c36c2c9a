"""The HTML report in a real headless Chromium (Debian's `chromium`, installed by `.ci/run`): the verdict
is the first thing on the page, skip reasons are visible text (not tooltips), "not run" is its own state,
and nothing overflows a 1280 px wide window. A screenshot stays in the test's tmp_path.

Chromium flags: `--headless --dump-dom` prints the DOM after scripts ran, `--screenshot` writes a PNG
(https://developer.chrome.com/docs/chromium/headless); the background-networking flags keep it from
reaching for Google's hosts on a closed network.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest

from torchsmith.distro.cells import Cell
from torchsmith.distro.graph import Graph
from torchsmith.distro.report import render_html
from torchsmith.distro.results import CellResult, MemberOutcome, MemberRecord, TestRun

pytestmark = pytest.mark.slow

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--window-size=1280,1000",
]
PROBE = """<script>
const width = document.documentElement.scrollWidth;
const verdict = document.getElementById('verdict').getBoundingClientRect();
const table = document.querySelector('table').getBoundingClientRect();
const smalls = [...document.querySelectorAll('td small')];
const reason = smalls.find(e => e.textContent.includes('needs a release'));
const out = document.createElement('pre');
out.id = 'probe';
out.textContent = `width=${width} verdict_top=${Math.round(verdict.top)} table_top=${Math.round(table.top)} `
  + `reason_height=${reason ? Math.round(reason.getBoundingClientRect().height) : -1}`;
document.body.appendChild(out);
</script>"""


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip(
        "no chromium on this machine (`.ci/run` installs Debian's `chromium`; apt-get was unavailable)"
    )


def _run() -> TestRun:
    cells = [
        Cell(t, b, p) for t in ("2.9", "2.11", "2.13") for b in ("cpu", "cu126", "cu128") for p in ("3.11",)
    ]
    records = (
        MemberRecord("alpha", "1.0", "pure", sha256="a" * 64, file="alpha-1.0-py3-none-any.whl"),
        MemberRecord("extension-with-a-long-name", "1.0", "exact-abi", sha256="e" * 64, required_tier=1),
    )
    results = []
    for cell in cells[:-1]:
        skipped = cell.torch != "2.9"
        ext = MemberOutcome(
            "extension-with-a-long-name",
            "skipped" if skipped else "pass",
            "tier0" if skipped else "tier1",
            detail=f"declares `torch==2.9.*`: needs a release for torch {cell.torch}.0" if skipped else "",
            sha256="e" * 64,
            version="1.0",
        )
        alpha = MemberOutcome("alpha", "pass", "tier1", sha256="a" * 64, version="1.0")
        results.append(
            CellResult(cell, f"{cell.torch}.0+{cell.backend}", (alpha, ext), torch_sha256="f" * 64)
        )
    last = MemberOutcome("alpha", "pass", "tier1", sha256="a" * 64, version="1.0")
    results.append(CellResult(cells[-1], "2.13.0+cu128", (last,), torch_sha256="f" * 64))
    graph = Graph(("alpha", "extension-with-a-long-name"), {"alpha": (), "extension-with-a-long-name": ()})
    return TestRun("wide", 1, records, graph, tuple(results), matrix=tuple(c.id for c in cells))


def test_report_in_headless_chromium(tmp_path: Path) -> None:
    chromium = _chromium()
    page = render_html(_run(), generated=datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc))
    assert page.index('id="verdict"') < page.index("<table")
    report = tmp_path / "report.html"
    report.write_text(page)
    probe = tmp_path / "probe.html"
    probe.write_text(page.replace("</body>", PROBE + "</body>"))
    profile = tmp_path / "profile"
    dom = subprocess.run(
        [chromium, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", probe.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    found = re.search(r"width=(\d+) verdict_top=(-?\d+) table_top=(-?\d+) reason_height=(-?\d+)", dom.stdout)
    assert found, dom.stdout[-2000:]
    width, verdict_top, table_top, reason_height = (int(g) for g in found.groups())
    assert width <= 1280, f"the page is {width} px wide at a 1280 px window"
    assert verdict_top < table_top
    assert reason_height > 0  # the skip reason is laid out as text in the cell
    text = re.sub(r"<[^>]+>", " ", dom.stdout)
    text = re.sub(r"\s+", " ", text)
    assert "alpha 1.0 : promotable" in text
    assert "extension-with-a-long-name 1.0 : blocked" in text
    assert "not run in `torch2.13-cu128-py3.11`" in text
    assert "generated 2026-12-01 12:00:00 UTC" in text
    assert "Needs a release" in text and "not run" in text and "f" * 64 in text
    shot = tmp_path / "report.png"
    done = subprocess.run(
        [chromium, *FLAGS, f"--user-data-dir={profile}", f"--screenshot={shot}", report.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0 and shot.exists() and shot.stat().st_size > 10_000, done.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
