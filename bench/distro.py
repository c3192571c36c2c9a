"""Benchmark: `distro test --tier 0` over 3 torch × 3 backends × 2 Pythons (18 cells). Goal: <= 30 s.

Tier 0 is the co-installability check: for each cell, torch is planned against the backend's index and
`uv pip compile` resolves it with every member. The indexes are the test suite's local index (tiny wheels
named like download.pytorch.org's, served over HTTP on 127.0.0.1); the members are three small wheels (a
pure package, an exact-ABI extension pinned to torch 2.9, a dependent of the first). uv's cache starts
empty, so the first cells pay for the index pages; `--runs` repeats with a warm cache.

    .venv/bin/python bench/distro.py [--jobs N] [--runs N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GOAL_S = 30.0
MATRIX = (
    '[matrix]\ntorch = ["2.9", "2.11", "2.13"]\nbackends = ["cpu", "cu126", "xpu"]\n'
    'pythons = ["3.11", "3.12"]\n'
)


def _members(root: Path) -> str:
    from tests.support.wheels import make_wheel

    wheels = root / "wheels"
    make_wheel(wheels, "alpha", "1.0", "py3", "none", "any", requires_dist=["torch>=2.5"])
    make_wheel(wheels, "ext", "1.0", "py3", "none", "any", requires_dist=["torch==2.9.*"])
    make_wheel(wheels, "beta", "1.0", "py3", "none", "any", requires_dist=["alpha>=1.0", "torch>=2.5"])
    return "".join(
        f'[[member]]\nname = "{name}"\npath = "wheels/{name}-1.0-py3-none-any.whl"\nabi = "{abi}"\n\n'
        for name, abi in (("alpha", "pure"), ("ext", "exact-abi"), ("beta", "pure"))
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2, help="cells at a time (default 2)")
    parser.add_argument("--runs", type=int, default=2, help="runs; the first has a cold uv cache (default 2)")
    args = parser.parse_args(argv)

    from tests.support.index_tree import build_standard_index
    from tests.support.server import serve

    from torchsmith.distro import run_tests
    from torchsmith.index.settings import IndexSettings

    with tempfile.TemporaryDirectory(prefix="torchsmith-bench-distro-") as tmp:
        work = Path(tmp)
        build_standard_index(work / "index")
        (work / "distro").mkdir()
        path = work / "distro" / "distro.toml"
        path.write_text('[distro]\nname = "bench"\n\n' + MATRIX + "\n" + _members(work / "distro"))
        with serve(work / "index") as url:
            env = {
                "PATH": "/usr/bin:/bin",
                "HOME": tmp,
                "UV_CACHE_DIR": str(work / "uv-cache"),
                "UV_NO_CONFIG": "1",
            }
            for run in range(args.runs):
                settings = IndexSettings.from_env(
                    {
                        "TORCHSMITH_INDEX_URL": f"{url}/whl",
                        "UV_INDEX_URL": f"{url}/pypi/simple",
                        "TORCHSMITH_CACHE_DIR": str(work / f"cache{run}"),
                    }
                )
                start = time.perf_counter()
                result = run_tests(distro_path=path, tier=0, jobs=args.jobs, settings=settings, env=env)
                seconds = time.perf_counter() - start
                cells = len(result.cells)
                errors = [c.cell.id for c in result.cells if c.error]
                label = "cold" if run == 0 else "warm"
                verdict = "ok" if seconds <= GOAL_S else "OVER GOAL"
                print(
                    f"run {run + 1} ({label} caches): {cells} cells in {seconds:.2f} s = "
                    f"{cells / seconds:.2f} cells/s, jobs={args.jobs} [{verdict}, goal <= {GOAL_S:.0f} s]"
                )
                counts: dict[str, int] = {}
                for cell in result.cells:
                    for outcome in cell.outcomes:
                        counts[outcome.status] = counts.get(outcome.status, 0) + 1
                print("  member outcomes: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
                if errors:
                    print(f"  cells that did not run: {', '.join(errors)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
