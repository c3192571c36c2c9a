"""Benchmark: `distro test --tier 0` over 18 and over 180 cells, and whether its cost grows linearly.

Tier 0 is the co-installability check: for each cell, torch is planned against the backend's index and
`uv pip compile` resolves it with every member. The index is built here on 127.0.0.1 (tiny wheels named
like download.pytorch.org's, one torch per cell, requiring `filelock` and `typing-extensions` from a
PyPI-like index), for the cells torchsmith's release table says exist:

    180 cells: torch 2.7-2.14 x cpu, cu126, cu128, cu130, rocm6.3, xpu x Python 3.10-3.14, less the 60
               combinations that were never built (e.g. no cu128 from 2.12, no Python 3.14 before 2.9)
    18 cells:  torch 2.9, 2.11, 2.13 x cpu, cu126, xpu x Python 3.11, 3.12 (a subset of the 180)

The members are three small wheels (a pure package, an exact-ABI extension pinned to torch 2.9, a
dependent of the first). A first, untimed run over the 180 cells fills uv's and torchsmith's caches; then
18 and 180 cells are timed with warm caches, each writing a fresh results folder. Goals: 18 cells
<= 30 s; cells/s at 180 no worse than 1.5x below cells/s at 18 (linear growth: no per-cell cost that
grows with the number of cells, and none that a run should share).

    python bench/distro.py [--jobs N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import Goal, print_goals

GOAL_18_S = 30.0
GROWTH = 1.5
SERIES = {"2.7": "2.7.1", "2.8": "2.8.0", "2.9": "2.9.1", "2.10": "2.10.0", "2.11": "2.11.0",
          "2.12": "2.12.1", "2.13": "2.13.0", "2.14": "2.14.1"}  # fmt: skip
BACKENDS = ("cpu", "cu126", "cu128", "cu130", "rocm6.3", "xpu")
PYTHONS = ("3.10", "3.11", "3.12", "3.13", "3.14")
SMALL = ('["2.9", "2.11", "2.13"]', '["cpu", "cu126", "xpu"]', '["3.11", "3.12"]')


def _quoted(values: tuple[str, ...]) -> str:
    return "[" + ", ".join(f'"{v}"' for v in values) + "]"


def _index(root: Path) -> int:
    """Write the index for every cell of the large matrix that torchsmith's release table allows; how many."""
    from packaging.version import Version
    from tests.support.index_tree import build_index, files_dir
    from tests.support.wheels import make_wheel

    from torchsmith.knowledge.releases import release_for

    wheels: list[tuple[str, Path]] = []
    for series, patch in SERIES.items():
        release = release_for(Version(series))
        assert release is not None, series
        for backend in BACKENDS:
            if backend not in release.backends.get("linux-x86_64", ()):
                continue
            for python in PYTHONS:
                tag = "cp" + python.replace(".", "")
                if tag in release.python:
                    requires = ["filelock", "typing-extensions>=4.8.0"]
                    wheel = make_wheel(files_dir(root, backend), "torch", f"{patch}+{backend}", tag, tag,
                                       requires_dist=requires, requires_python=">=3.10")  # fmt: skip
                    wheels.append((backend, wheel))
    cells = len(wheels)
    pypi = files_dir(root, "pypi")
    wheels.append(("pypi", make_wheel(pypi, "filelock", "3.16.1", "py3", "none", "any")))
    wheels.append(("pypi", make_wheel(pypi, "typing-extensions", "4.12.2", "py3", "none", "any")))
    build_index(root, wheels)
    return cells


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


def _distro(folder: Path, name: str, torch: str, backends: str, pythons: str, members: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.toml"
    matrix = f"[matrix]\ntorch = {torch}\nbackends = {backends}\npythons = {pythons}\n"
    path.write_text(f'[distro]\nname = "{name}"\n\n{matrix}\n{members}', encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2, help="cells at a time (default 2)")
    args = parser.parse_args(argv)

    from tests.support.server import serve

    from torchsmith.distro import run_tests
    from torchsmith.index.settings import IndexSettings

    with tempfile.TemporaryDirectory(prefix="torchsmith-bench-distro-") as tmp:
        work = Path(tmp)
        indexed = _index(work / "index")
        folder = work / "distro"
        members = _members(folder)
        large = _distro(folder, "large", _quoted(tuple(SERIES)), _quoted(BACKENDS), _quoted(PYTHONS), members)
        small = _distro(folder, "small", *SMALL, members)
        with serve(work / "index") as url:
            env = {
                "PATH": "/usr/bin:/bin",
                "HOME": tmp,
                "UV_CACHE_DIR": str(work / "uv-cache"),
                "UV_NO_CONFIG": "1",
            }
            settings = IndexSettings.from_env(
                {
                    "TORCHSMITH_INDEX_URL": f"{url}/whl",
                    "UV_INDEX_URL": f"{url}/pypi/simple",
                    "TORCHSMITH_CACHE_DIR": str(work / "cache"),
                }
            )
            rates: dict[str, tuple[int, float]] = {}
            for label, path in (("warm-up", large), ("18", small), ("180", large)):
                start = time.perf_counter()
                result = run_tests(distro_path=path, tier=0, jobs=args.jobs, settings=settings, env=env,
                                   results_dir=work / f"results-{label}")  # fmt: skip
                seconds = time.perf_counter() - start
                cells = len(result.cells)
                rates[label] = (cells, seconds)
                counts: dict[str, int] = {}
                for cell in result.cells:
                    for outcome in cell.outcomes:
                        counts[outcome.status] = counts.get(outcome.status, 0) + 1
                errors = [c.cell.id for c in result.cells if c.error]
                caches = "cold caches, not counted" if label == "warm-up" else "warm caches"
                print(f"{cells:4} cells ({caches}): {seconds:6.2f} s = {cells / seconds:5.2f} cells/s, "
                      f"{seconds / cells * 1000:5.0f} ms a cell, jobs={args.jobs}; member outcomes: "
                      + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))  # fmt: skip
                if errors:
                    print(f"     cells that did not run: {', '.join(errors)}")
    (n18, s18), (n180, s180) = rates["18"], rates["180"]
    if (n18, n180) != (18, indexed) or indexed != 180:
        print(f"expected 18 and 180 cells, ran {n18} and {n180} (the index has {indexed})")
        return 1
    goals = [
        Goal("18 cells, warm caches", s18 * 1000, GOAL_18_S * 1000, unit="ms"),
        Goal("linear growth: (cells/s at 18) / (cells/s at 180)", (n18 / s18) / (n180 / s180), GROWTH),
    ]
    return 0 if print_goals(goals) else 1


if __name__ == "__main__":
    raise SystemExit(main())
