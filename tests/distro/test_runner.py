"""`distro test` on a real distro: real uv environments, real pytest suites, the local index's torch."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.distro.conftest import STANDARD, DistroDir, member
from torchsmith.distro import make_report, promotion, run_tests
from torchsmith.distro.registry import DistroError

pytestmark = pytest.mark.slow
GAMMA = member("gamma", "gamma-1.0-py3-none-any.whl")


def _statuses(run: object) -> dict[str, dict[str, str]]:
    cells = run.cells  # type: ignore[attr-defined]
    return {c.cell.id: {o.member: o.status for o in c.outcomes} for c in cells}


def test_tier2_flaky_retry_and_needs_release(distro_dir: Callable[[], DistroDir]) -> None:
    d = distro_dir()
    d.write(STANDARD + GAMMA)
    run = run_tests(distro_path=d.path, tier=2, jobs=2, settings=d.settings, env=d.env)
    assert _statuses(run) == {
        "torch2.9-cpu-py3.11": {"alpha": "pass", "ext": "pass", "beta": "pass", "gamma": "flaky"},
        "torch2.11-cpu-py3.11": {"alpha": "pass", "ext": "skipped", "beta": "pass", "gamma": "flaky"},
    }
    assert [c.torch for c in run.cells] == ["2.9.1+cpu", "2.11.0+cpu"]
    assert run.exit_code == 0
    gamma = run.cells[0].outcome("gamma")
    assert gamma is not None and gamma.attempts == 2 and gamma.stage == "tier2"
    assert gamma.log == "logs/torch2.9-cpu-py3.11/tier2-gamma.log"
    log = (d.root / ".distro" / "results" / gamma.log).read_text()
    assert log.count("$ python -m pytest") == 2 and "first run fails" in log and "1 passed" in log
    ext = run.cells[1].outcome("ext")
    assert ext is not None and ext.detail == "declares `torch==2.9.*`: needs a release for torch 2.11.0"
    files = sorted(p.name for p in (d.root / ".distro" / "results").glob("*.json"))
    assert files == ["torch2.11-cpu-py3.11.json", "torch2.9-cpu-py3.11.json"]
    markdown = make_report(distro_path=d.path).text
    assert "| gamma | 1.0 | flaky | flaky |" in markdown
    assert (
        "- ext in `torch2.11-cpu-py3.11`: declares `torch==2.9.*`: needs a release for torch 2.11.0"
        in markdown
    )
    # a skipped cell blocks (issue 12): ext must be released for torch 2.11 before it can be promoted
    decisions = promotion(run)
    assert [p.promotable for p in decisions] == [True, False, True, True]
    assert decisions[1].blockers == (
        "skipped at tier0 (declares `torch==2.9.*`: needs a release for torch 2.11.0) in "
        "`torch2.11-cpu-py3.11`",
    )


def _update_alpha(d: DistroDir) -> None:
    d.write(STANDARD.replace("alpha-1.0-", "alpha-2.0-"), torch='["2.9"]')


def test_an_update_that_breaks_a_dependent_is_blocked(distro_dir: Callable[[], DistroDir]) -> None:
    from torchsmith.distro import promote

    d = distro_dir()
    _update_alpha(d)
    run = run_tests(distro_path=d.path, changed="alpha", tier=2, jobs=1, settings=d.settings, env=d.env)
    assert run.changed == "alpha"
    assert _statuses(run) == {"torch2.9-cpu-py3.11": {"alpha": "pass", "ext": "pass", "beta": "fail"}}
    beta = run.cells[0].outcome("beta")
    assert beta is not None and beta.attempts == 2 and beta.stage == "tier2"
    assert "has no attribute 'double'" in (d.root / ".distro" / "results" / str(beta.log)).read_text()
    assert run.exit_code == 1
    decisions = {p.member: p for p in promotion(run)}
    assert decisions["alpha"].blockers == ("dependent `beta` failed tier2 in `torch2.9-cpu-py3.11`",)
    assert decisions["beta"].blockers == ("failed tier2 in `torch2.9-cpu-py3.11`",)
    # ext is outside the change: the run only imported it, and it has tests, so tier 2 is not proven
    assert decisions["ext"].blockers == ("passed tier 1 only; tier 2 is required in `torch2.9-cpu-py3.11`",)
    markdown = make_report(distro_path=d.path).text
    assert "- alpha 2.0: **blocked**: dependent `beta` failed tier2 in `torch2.9-cpu-py3.11`" in markdown
    html_path = d.root / "report" / "index.html"
    page = make_report(distro_path=d.path, format="html", output=html_path)
    assert page.path == html_path
    text = html_path.read_text()
    assert 'href="../.distro/results/logs/torch2.9-cpu-py3.11/tier2-beta.log"' in text
    assert (html_path.parent / "../.distro/results/logs/torch2.9-cpu-py3.11/tier2-beta.log").exists()
    assert "dependent `beta` failed tier2 in `torch2.9-cpu-py3.11`" in text
    result = promote(distro_path=d.path, settings=d.settings)
    assert result.promoted == ()
    assert [b.member for b in result.blocked] == ["alpha", "ext", "beta"] and result.exit_code == 1
    assert list((d.root / "channel" / "files").iterdir()) == []


def test_tier0_per_cell_and_merge(distro_dir: Callable[[], DistroDir], tmp_path: Path) -> None:
    d = distro_dir()
    d.write(STANDARD, backends='["cpu", "cu126"]')
    first = run_tests(
        distro_path=d.path,
        tier=0,
        cell="torch2.9-cu126-py3.11",
        settings=d.settings,
        env=d.env,
        results_dir=tmp_path / "job1",
    )
    second = run_tests(
        distro_path=d.path,
        tier=0,
        cell="torch2.11-cpu-py3.11",
        settings=d.settings,
        env=d.env,
        results_dir=tmp_path / "job2",
    )
    assert [c.cell.id for c in first.cells] == ["torch2.9-cu126-py3.11"]
    assert first.cells[0].torch == "2.9.1+cu126" and second.cells[0].torch == "2.11.0+cpu"
    # the CUDA torch's runtime pin came from the local PyPI, as `uv pip compile` resolved it
    assert (
        "nvidia-cuda-runtime-cu12==12.6.77"
        in (tmp_path / "job1" / "logs" / "torch2.9-cu126-py3.11" / "tier0-all.log").read_text()
    )
    files = [
        tmp_path / "job2" / "torch2.11-cpu-py3.11.json",
        tmp_path / "job1" / "torch2.9-cu126-py3.11.json",
    ]
    merged = make_report(merge=files, format="json")
    data = json.loads(merged.text)
    assert [c["cell"]["id"] for c in data["cells"]] == ["torch2.9-cu126-py3.11", "torch2.11-cpu-py3.11"]
    # tier 0 proves co-installability only: nothing is promotable, and the two cells never run block too
    assert [p["promotable"] for p in data["promotion"]] == [False, False, False]
    assert data["promotion"][0]["blockers"] == [
        "no results for the cell in `torch2.9-cpu-py3.11`",
        "passed tier 0 only; tier 2 is required in `torch2.9-cu126-py3.11`",
        "passed tier 0 only; tier 2 is required in `torch2.11-cpu-py3.11`",
        "no results for the cell in `torch2.11-cu126-py3.11`",
    ]
    assert merged.exit_code == 0
    page = make_report(merge=files, format="html", output=tmp_path / "site" / "report.html")
    hrefs = re.findall(r'href="([^"]+)"', (tmp_path / "site" / "report.html").read_text())
    assert len(hrefs) == 5 and "../job1/logs/torch2.9-cu126-py3.11/tier0-all.log" in hrefs
    assert all((tmp_path / "site" / href).is_file() for href in hrefs)
    assert page.summary() == f"wrote {tmp_path / 'site' / 'report.html'}"
    markdown = make_report(merge=files).text
    header = next(line for line in markdown.splitlines() if line.startswith("| member |"))
    assert header == (
        "| member | version | torch2.9-cpu-py3.11 | torch2.9-cu126-py3.11 | torch2.11-cpu-py3.11 "
        "| torch2.11-cu126-py3.11 |"
    )
    assert "| alpha | 1.0 | missing | low tier | low tier | missing |" in markdown


def test_unknown_changed_member_and_bad_tier(distro_dir: Callable[[], DistroDir]) -> None:
    d = distro_dir()
    d.write(STANDARD)
    with pytest.raises(DistroError, match="no member `zeta`"):
        run_tests(distro_path=d.path, changed="zeta", settings=d.settings, env=d.env)
    with pytest.raises(DistroError, match="invalid value `3` for `--tier`"):
        run_tests(distro_path=d.path, tier=3, settings=d.settings, env=d.env)


def test_cell_without_a_torch_build_is_an_error_not_a_failure(distro_dir: Callable[[], DistroDir]) -> None:
    d = distro_dir()
    d.write(STANDARD, torch='["2.4"]', backends='["xpu"]')
    # torch 2.4 had no xpu build (PyTorch RELEASE.md): the cell is not declared, only run when named
    run = run_tests(distro_path=d.path, tier=0, cell="torch2.4-xpu-py3.11", settings=d.settings, env=d.env)
    assert run.matrix == ()
    cell = run.cells[0]
    assert cell.torch is None and cell.error is not None and "xpu" in cell.error
    assert {o.status for o in cell.outcomes} == {"skipped"}
    (blocker,) = promotion(run)[0].blockers
    assert blocker.startswith("the cell errored (no build of `torch==2.4.*`") and "xpu" in blocker
