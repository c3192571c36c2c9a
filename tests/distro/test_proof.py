"""Issue 12, first list: each way an unproven package reached the channel, reproduced and shown fixed with
real uv, real pytest suites and real built wheels (`conftest.py`)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.distro.conftest import ALPHA_1, DistroDir, member
from tests.support.wheels import make_wheel
from torchsmith.distro import promote, promotion, run_tests
from torchsmith.distro.channel import channel_lock, write_index

pytestmark = pytest.mark.slow

FAILING = (
    '[[member]]\nname = "gamma"\npath = "wheels/gamma-1.0-py3-none-any.whl"\n'
    "test = \"python -c 'raise SystemExit(3)'\"\n\n"
)
AB = member("alpha", "alpha-1.0-py3-none-any.whl") + member("beta", "beta-1.0-py3-none-any.whl")


def _files(d: DistroDir) -> list[str]:
    folder = d.root / "channel" / "files"
    return sorted(p.name for p in folder.glob("*.whl")) if folder.exists() else []


def test_changed_run_does_not_erase_an_earlier_tier2_failure(distro_dir: Callable[[], DistroDir]) -> None:
    d = distro_dir()
    d.write(AB + FAILING, torch='["2.9"]')
    first = run_tests(distro_path=d.path, tier=2, settings=d.settings, env=d.env)
    assert {o.member: (o.status, o.stage) for o in first.cells[0].outcomes}["gamma"] == ("fail", "tier2")
    # the quick run of a change elsewhere only imports gamma (tier 1 pass) ...
    second = run_tests(distro_path=d.path, changed="alpha", tier=2, settings=d.settings, env=d.env)
    assert second.cells[0].outcome("gamma") is not None
    assert (second.cells[0].outcome("gamma").status, second.cells[0].outcome("gamma").stage) == (  # type: ignore[union-attr]
        "pass",
        "tier1",
    )
    # ... but the saved results keep the tier-2 failure of the same file, and promote holds gamma back
    saved = json.loads((d.root / ".distro" / "results" / "torch2.9-cpu-py3.11.json").read_text())
    gamma = next(o for o in saved["cells"][0]["outcomes"] if o["member"] == "gamma")
    assert (gamma["status"], gamma["stage"]) == ("fail", "tier2")
    assert (d.root / ".distro" / "results" / gamma["log"]).read_text().count("[exit 3]") == 2
    result = promote(distro_path=d.path, settings=d.settings)
    assert result.promoted == ("alpha==1.0", "beta==1.0")
    assert [(b.member, b.blockers) for b in result.blocked] == [
        ("gamma", ("failed tier2 in `torch2.9-cpu-py3.11`",))
    ]
    assert _files(d) == ["alpha-1.0-py3-none-any.whl", "beta-1.0-py3-none-any.whl"]


def test_rebuilt_wheel_is_refused_and_published_files_never_overwritten(
    distro_dir: Callable[[], DistroDir],
) -> None:
    d = distro_dir()
    d.write(AB, torch='["2.9"]')
    run_tests(distro_path=d.path, tier=2, settings=d.settings, env=d.env)

    def rebuild(code: str) -> None:
        make_wheel(
            d.root / "wheels",
            "alpha",
            "1.0",
            "py3",
            "none",
            "any",
            requires_dist=("torch>=2.5",),
            files={"alpha/__init__.py": code},
        )

    original = (d.root / "wheels" / "alpha-1.0-py3-none-any.whl").read_bytes()
    rebuild(ALPHA_1 + "# rebuilt after the tests ran\n")
    held = promote(distro_path=d.path, settings=d.settings)
    blockers = {b.member: b.blockers for b in held.blocked}
    assert held.promoted == () and blockers["alpha"][0].startswith("results are for another file (sha256 ")
    assert blockers["beta"][0].startswith(
        "requires `alpha`, which is not proven: results are for another file"
    )
    assert _files(d) == []

    (d.root / "wheels" / "alpha-1.0-py3-none-any.whl").write_bytes(original)
    assert promote(distro_path=d.path, settings=d.settings).promoted == ("alpha==1.0", "beta==1.0")
    published = (d.root / "channel" / "files" / "alpha-1.0-py3-none-any.whl").read_bytes()
    assert published == original
    # a rebuilt alpha 1.0 that passed its own tests still never replaces the published alpha 1.0
    rebuild(ALPHA_1 + "# another build\n")
    run_tests(distro_path=d.path, tier=2, settings=d.settings, env=d.env)
    again = promote(distro_path=d.path, settings=d.settings)
    assert [b.blockers for b in again.blocked if b.member == "alpha"] == [
        ("the channel already has a different `alpha-1.0-py3-none-any.whl`; publish it under a new version",)
    ]
    assert (d.root / "channel" / "files" / "alpha-1.0-py3-none-any.whl").read_bytes() == original


def test_torch_wheels_must_match_their_cell(distro_dir: Callable[[], DistroDir]) -> None:
    d = distro_dir()
    wrong = make_wheel(d.root / "torchwheels", "torch", "2.9.1+cu126", "cp311", "cp311", "linux_x86_64")
    d.write(AB, torch='["2.9"]', extra=f'\n[torch-wheels]\n"torch2.9-cpu-py3.11" = "{wrong}"\n')
    run = run_tests(distro_path=d.path, tier=0, settings=d.settings, env=d.env)
    error = run.cells[0].error
    assert error == (
        "`[torch-wheels]` file `torch-2.9.1+cu126-cp311-cp311-linux_x86_64.whl` for cell "
        "`torch2.9-cpu-py3.11` has `+cu126`, not `+cpu`: it is not the cell's backend"
    )
    assert all(not p.promotable for p in promotion(run))


def test_parallel_promotes_are_serialised_and_readers_always_see_an_index(
    distro_dir: Callable[[], DistroDir],
) -> None:
    d = distro_dir()
    d.write(AB, torch='["2.9"]')
    run_tests(distro_path=d.path, tier=2, settings=d.settings, env=d.env)
    channel = d.root / "channel"
    promote(distro_path=d.path, settings=d.settings)
    stop = threading.Event()
    seen: list[str] = []

    def reader() -> None:
        while not stop.is_set():
            try:
                doc = json.loads((channel / "simple" / "index.json").read_text())
                page = json.loads((channel / "simple" / "alpha" / "index.json").read_text())
                seen.append("ok" if doc["projects"] and page["files"] else "empty")
            except (OSError, ValueError) as error:
                seen.append(f"broken: {error}")

    def writer() -> None:
        for _ in range(15):
            with channel_lock(channel):
                write_index(channel)

    threads = [threading.Thread(target=reader)] + [threading.Thread(target=writer) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads[1:]:
        thread.join()
    stop.set()
    threads[0].join()
    print(f"reader: {len(seen)} reads during 45 index swaps, all complete")
    assert seen and set(seen) == {"ok"}, [s for s in seen if s != "ok"][:3]
    # and whole promote processes in parallel all succeed, leaving no temporary folders
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "torchsmith", "distro", "promote", "--distro", str(d.path)],
            env={**os.environ, **d.env, "TORCHSMITH_INDEX_URL": d.settings.index_base},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(4)
    ]
    codes = [p.wait(timeout=120) for p in procs]
    for p in procs:
        assert p.stdout is not None and p.stderr is not None
        p.stdout.close()
        p.stderr.close()
    assert codes == [0, 0, 0, 0]
    assert sorted(p.name for p in channel.iterdir()) == [
        ".lock",
        ".snapshots",
        "constraints",
        "constraints.txt",
        "files",
        "simple",
    ]
    assert (channel / "simple").is_symlink() and len(list((channel / ".snapshots").iterdir())) <= 2
    assert not list((channel / ".snapshots").glob("*.tmp"))


def _gone(pid: int) -> bool:
    """Not running: no such process, or a zombie waiting for init to reap it."""
    for _ in range(20):
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state == "Z":
            return True
        time.sleep(0.05)
    return False


SLEEPER = (
    '[[member]]\nname = "gamma"\npath = "wheels/gamma-1.0-py3-none-any.whl"\n'
    'test = "python tests/sleeper.py"\n\n'
)
SLEEPER_PY = """import os, sys, time
from pathlib import Path
if os.environ["TORCHSMITH_DISTRO_CELL"] == "torch2.11-cpu-py3.11":
    Path(os.environ["FLAKY_DIR"], "pid").write_text(str(os.getpid()))
    time.sleep(300)
"""


def test_ctrl_c_stops_the_running_cell_at_once_and_keeps_finished_ones(
    distro_dir: Callable[[], DistroDir],
) -> None:
    d = distro_dir()
    d.write(member("alpha", "alpha-1.0-py3-none-any.whl") + SLEEPER)
    (d.root / "tests" / "sleeper.py").write_text(SLEEPER_PY)
    old_logs = d.root / ".distro" / "results" / "logs" / "torch2.11-cpu-py3.11"
    old_logs.mkdir(parents=True)
    (old_logs / "tier2-gamma.log").write_text("the log of an earlier run\n")
    env = {**os.environ, **d.env, "TORCHSMITH_INDEX_URL": d.settings.index_base}
    env["UV_INDEX_URL"] = d.settings.default_index
    process = subprocess.Popen(
        [sys.executable, "-m", "torchsmith", "distro", "test", "--distro", str(d.path), "--jobs", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    pid_file = d.root / "flaky" / "pid"
    deadline = time.monotonic() + 240
    while not pid_file.exists() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.1)
    assert pid_file.exists(), process.communicate()
    time.sleep(0.3)
    child = int(pid_file.read_text())
    start = time.monotonic()
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    took = time.monotonic() - start
    assert process.returncode == 130, err
    print(f"Ctrl-C: stopped in {took:.2f} s")
    assert took < 2.0, took
    assert _gone(child), f"the test command {child} is still running"
    results = d.root / ".distro" / "results"
    assert sorted(p.name for p in results.glob("*.json")) == ["torch2.9-cpu-py3.11.json"]
    saved = json.loads((results / "torch2.9-cpu-py3.11.json").read_text())
    assert {o["member"]: o["status"] for o in saved["cells"][0]["outcomes"]} == {
        "alpha": "pass",
        "gamma": "pass",
    }
    assert "flaky" not in (out + err)
    assert (old_logs / "tier2-gamma.log").read_text() == "the log of an earlier run\n"
    assert not list((results / "logs").glob(".*"))


def test_a_cell_whose_torch_build_changed_is_stale_and_blocks(distro_dir: Callable[[], DistroDir]) -> None:
    d = distro_dir()

    def torch_wheel(marker: str) -> Path:
        return make_wheel(
            d.root / "torchwheels",
            "torch",
            "2.9.1+cpu",
            "cp311",
            "cp311",
            "linux_x86_64",
            files={"torch/build.txt": marker},
        )

    wheel = torch_wheel("first build")
    d.write(AB, torch='["2.9"]', extra=f'\n[torch-wheels]\n"torch2.9-cpu-py3.11" = "{wheel}"\n')
    run = run_tests(distro_path=d.path, tier=2, settings=d.settings, env=d.env)
    assert run.cells[0].torch == "2.9.1+cpu" and run.exit_code == 0
    assert promote(distro_path=d.path, settings=d.settings).promoted == ("alpha==1.0", "beta==1.0")
    torch_wheel("a rebuild with the same name")
    held = promote(distro_path=d.path, settings=d.settings)
    assert held.promoted == () and held.exit_code == 1
    assert held.blocked[0].blockers == (
        f"the cell errored (stale: tested with another torch file than `{wheel}`) in `torch2.9-cpu-py3.11`",
    )
