"""Benchmark: `torchsmith plan` as a process — warm cache, cold cache, and failing without a network.

1. warm: `torchsmith plan torch torchvision` against a local PEP 503 index (tests/support) with the HTTP cache
   filled (goal <= 150 ms), median of 15 runs; and the same against pages as large as download.pytorch.org's
   (about a thousand files per page, 18 pages);
2. cold: the same with an empty cache each run (every page fetched over HTTP from 127.0.0.1);
3. offline (`TORCHSMITH_OFFLINE=1`, goal <= 250 ms): on the warm cache (cached pages, pinned with hashes), and
   with no cached pages (the shipped wheel inventory decides);
   rows 1-3 run twice: with this interpreter's console script, and with a clean venv's python (torchsmith's
   dependencies only, this checkout on PYTHONPATH). The goals are judged on the clean venv: this sandbox's
   (and CI's) site-packages holds a `.pth` hook that imports certifi in every process (`python -c pass`
   67 ms here against 22 ms in the venv), not part of torchsmith nor of a user's install; both are printed;
4. no network: against the real https://download.pytorch.org from this sandbox, which has no route out:
   torchsmith (falls back to its shipped knowledge), `uv pip install --dry-run --torch-backend=auto torch`,
   and light-the-torch's `ltt install --dry-run torch`, each as measured in this run (cut at 60 s).
Ratios are against torchsmith's own row in each table.

Run from the repository root: python bench/plan.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _timing import Goal, bench_venv, bytecode_env, median_process, print_goals, print_table
from tests.support.index_tree import build_standard_index
from tests.support.server import serve

MACHINE = Path(__file__).resolve().parent.parent / "tests" / "machines" / "h100-driver580" / "expected.json"
LIMIT_S = 60.0


def _timed(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    try:
        subprocess.run(command, capture_output=True, env=env, timeout=LIMIT_S, check=False)
    except subprocess.TimeoutExpired:
        return LIMIT_S
    return time.perf_counter() - start


BACKENDS = ("cu130", "cu129", "cu128", "cu126", "cu124", "cu121", "cu118", "cu132", "cpu")
PYTHONS = ("cp39", "cp310", "cp311", "cp312", "cp313", "cp313t", "cp314")
PLATFORMS = ("manylinux_2_28_x86_64", "manylinux_2_28_aarch64", "win_amd64")


def _write_large_index(root: Path) -> None:
    """Pages the size of download.pytorch.org's (about a thousand files each), without the files: planning
    reads pages only. torch 2.0–2.14 and torchvision 0.15–0.29 for every Python and platform."""
    for backend in BACKENDS:
        for project, first in (("torch", (2, 0)), ("torchvision", (0, 15))):
            anchors = []
            for step in range(15):
                version = f"{first[0]}.{first[1] + step}.0+{backend}"
                for py in PYTHONS:
                    for platform in PLATFORMS:
                        name = f"{project}-{version.replace('+', '%2B')}-{py}-{py}-{platform}.whl"
                        href = f"/whl/{backend}/{name}#sha256={'0' * 64}"
                        meta = f'data-requires-python="&gt;=3.9" data-dist-info-metadata="sha256={"1" * 64}"'
                        anchors.append(f'<a href="{href}" {meta}>{name}</a><br/>')
            page = root / "whl" / backend / project
            page.mkdir(parents=True)
            (page / "index.html").write_text("<html><body>\n" + "\n".join(anchors) + "\n</body></html>\n")


ROOT = Path(__file__).resolve().parent.parent


def _dependencies() -> list[str]:
    import tomllib

    with (ROOT / "pyproject.toml").open("rb") as handle:
        return list(tomllib.load(handle)["project"]["dependencies"])


def main() -> None:
    torchsmith = str(Path(sys.executable).parent / "torchsmith")  # this interpreter's install
    arguments = ["plan", "torch", "torchvision", "--machine", str(MACHINE), "--python", "3.11", "--json"]
    plan = [torchsmith, *arguments]
    clean = bench_venv("plain", _dependencies())
    in_venv = [str(clean), "-c", "import sys; from torchsmith.cli import main; sys.exit(main())", *arguments]
    venv_path = {"PYTHONPATH": str(ROOT / "src")}
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "index"
        build_standard_index(root)
        with serve(root) as url:
            env = {
                **bytecode_env(),
                "TORCHSMITH_INDEX_URL": f"{url}/whl",
                "UV_INDEX_URL": f"{url}/pypi/simple",
                "TORCHSMITH_CACHE_DIR": f"{scratch}/warm",
            }
            warm = median_process(plan, env=env)
            offline_warm = median_process(plan, env={**env, "TORCHSMITH_OFFLINE": "1"})
            inventory_env = {**env, "TORCHSMITH_OFFLINE": "1", "TORCHSMITH_CACHE_DIR": f"{scratch}/nopages"}
            offline_inventory = median_process(plan, env=inventory_env)
            venv_warm = median_process(in_venv, env={**env, **venv_path})
            venv_offline_warm = median_process(in_venv, env={**env, **venv_path, "TORCHSMITH_OFFLINE": "1"})
            venv_offline_inventory = median_process(in_venv, env={**inventory_env, **venv_path})
            venv_bare = median_process([str(clean), "-c", "pass"])
            cold_runs = []
            for run in range(7):
                cold_env = {**env, "TORCHSMITH_CACHE_DIR": f"{scratch}/cold{run}"}
                cold_runs.append(_timed(plan, cold_env))
            cold = sorted(cold_runs)[len(cold_runs) // 2]
            bare = median_process([sys.executable, "-c", "pass"])
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "large"
        _write_large_index(root)
        with serve(root) as url:
            env = {**bytecode_env(), "TORCHSMITH_INDEX_URL": f"{url}/whl", "TORCHSMITH_CACHE_DIR": scratch}
            large_warm = median_process(plan, env=env)
    print_table("plan against a local index", [
        ("torchsmith plan torch torchvision (warm cache)", warm),
        ("torchsmith plan torch torchvision (cold cache)", cold),
        ("... with download.pytorch.org-sized pages (warm cache)", large_warm),
        ("torchsmith plan torch torchvision (offline, warm cache)", offline_warm),
        ("torchsmith plan torch torchvision (offline, shipped inventory)", offline_inventory),
        ("python -c pass", bare),
        ("clean venv: plan (warm cache)", venv_warm),
        ("clean venv: plan (offline, warm cache)", venv_offline_warm),
        ("clean venv: plan (offline, shipped inventory)", venv_offline_inventory),
        ("clean venv: python -c pass", venv_bare),
    ], reference="torchsmith plan torch torchvision (warm cache)")  # fmt: skip
    goals = [
        Goal("warm plan as a process (clean venv)", venv_warm * 1000, 150.0, "ms"),
        Goal("offline plan, warm cache, as a process (clean venv)", venv_offline_warm * 1000, 250.0, "ms"),
        Goal("offline plan, inventory, as a process (clean venv)", venv_offline_inventory * 1e3, 250.0, "ms"),
    ]
    passed = print_goals(goals)

    ltt = bench_venv("ltt", ["light-the-torch"])
    uv = str(Path(sys.executable).parent / "uv")
    offline_env = {**bytecode_env(), "TORCHSMITH_CACHE_DIR": tempfile.mkdtemp()}
    with tempfile.TemporaryDirectory() as venv:
        subprocess.run([uv, "venv", venv, "-q"], check=True)
        uv_dry_run = [uv, "pip", "install", "--dry-run", "--torch-backend=auto", "torch", "--python", venv]
        rows = [
            ("torchsmith plan torch (no network)", _timed([torchsmith, "plan", "torch"], offline_env)),
            ("uv pip install --dry-run --torch-backend=auto torch",
             _timed([*uv_dry_run, "--no-cache"], offline_env)),
            ("ltt install --dry-run torch (light-the-torch)", _timed([str(ltt.parent / "ltt"), "install",
                                                                      "--dry-run", "torch"], offline_env)),
        ]  # fmt: skip
    print_table(f"no network (cut at {LIMIT_S:g} s)", rows,
                reference="torchsmith plan torch (no network)")  # fmt: skip
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
