"""`distro test`: every cell in its own environment, in tiers, on a bounded thread pool.

Tier 0, co-installability: `uv pip compile` of the pinned torch plus every member, for the cell's Python
and platform (no environment is built, so a cell takes about a second). Tier 1: a uv venv per cell (cached
under `.distro/venvs`, keyed by what it holds), install, and `import` each member. Tier 2: each member's
test command in that venv, members in topological order, so a change is tested first in its own package
and then in its dependents'. A failing test is run once more: passing then marks it `flaky`.
torch comes from the plan for the cell (`make_plan`: the exact wheel URL and sha256 on the backend's
index), or from `[torch-wheels]` in `distro.toml` for a cell given its own build (checked to be the cell's
torch version, local label and Python). Each step's output is kept under `<results>/logs/<cell>/`.

Tier 1 installs from a lock `uv pip compile --generate-hashes` made for the cell's interpreter, so the
results name every file the cell installed by sha256 (`promote --mirror` copies exactly those). Each cell's
result is merged into `<results>/<cell>.json` the moment the cell finishes; Ctrl-C kills the running
commands' process groups (`procs.py`), keeps every finished cell, and ends with `KeyboardInterrupt` (130).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from torchsmith.distro.cells import Cell, declared_cells, expand_cells, possible, select_cells
from torchsmith.distro.graph import Graph, MemberInfo, build_graph
from torchsmith.distro.lockfile import parse_lock
from torchsmith.distro.procs import LogSwap, Stopper, run_logged
from torchsmith.distro.registry import Distro, DistroError, load_distro
from torchsmith.distro.results import CellResult, MemberOutcome, MemberRecord, Pin, Status, TestRun
from torchsmith.distro.torchwheel import torch_requirement
from torchsmith.errors import TorchsmithError
from torchsmith.fileio import atomic_write_text
from torchsmith.index.settings import IndexSettings
from torchsmith.report import NullReporter, Reporter

__all__ = ["run_tests", "torch_requirement"]

_PLATFORM = "x86_64-manylinux_2_28"


@dataclass(slots=True)
class _Ctx:
    distro: Distro
    graph: Graph
    infos: dict[str, MemberInfo]
    tier: int
    tested: tuple[str, ...]
    settings: IndexSettings
    env: dict[str, str]
    results: Path
    reporter: Reporter
    timeout: float
    uv: str
    stopper: Stopper
    at: str

    @property
    def index(self) -> str:
        return self.distro.index_url or self.settings.default_index

    def uv_args(self) -> list[str]:
        args = ["--default-index", self.index]
        for link in self.distro.find_links:
            args += ["--find-links", link]
        return args


class _Cell:
    """One cell's work; `run()` never raises a TorchsmithError (it becomes the cell's `error`), and raises
    `Stopped` when the run is interrupted (the cell then has no result and its old logs stay)."""

    def __init__(self, ctx: _Ctx, cell: Cell) -> None:
        self.ctx, self.cell = ctx, cell
        self.final = ctx.results / "logs" / cell.id
        self.outcomes: dict[str, MemberOutcome] = {}
        self.torch_sha: str | None = None
        self.torch_url: str | None = None
        self.pins: tuple[Pin, ...] = ()

    def rel(self, path: Path) -> str:
        """Where `path` (written under the new logs folder) will be once the logs are swapped in."""
        inside = path.relative_to(self.logs)
        return (self.final / inside).relative_to(self.ctx.results).as_posix()

    def set(
        self, key: str, status: Status, stage: str, log: Path | None, detail: str = "", attempts: int = 1
    ) -> None:
        info = self.ctx.infos[key]
        self.outcomes[key] = MemberOutcome(
            key,
            status,
            stage,
            attempts,
            self.rel(log) if log else None,
            detail,
            sha256=info.sha256,
            version=info.version,
            at=self.ctx.at,
        )

    def _run(self, command: Sequence[str] | str, log: Path, env: Mapping[str, str], timeout: float) -> bool:
        return run_logged(command, log, env, self.ctx.distro.root, timeout, self.ctx.stopper)

    def run(self) -> CellResult:
        swap = LogSwap(self.ctx.results / "logs", self.cell.id)
        self.logs = swap.new
        try:
            result = self._work()
        except BaseException:
            swap.abandon()
            raise
        keep = [Path(o.log).name for o in _earlier_outcomes(self.ctx.results, self.cell) if o.log]
        swap.commit(keep)
        return result

    def _work(self) -> CellResult:
        start = time.monotonic()
        try:
            torch_line, version, self.torch_sha = torch_requirement(
                self.ctx.distro, self.cell, self.ctx.settings
            )
        except TorchsmithError as error:
            skipped = tuple(
                MemberOutcome(k, "skipped", "torch", detail=error.message, at=self.ctx.at)
                for k in self.ctx.graph.order
            )
            return CellResult(
                self.cell, None, skipped, time.monotonic() - start, error=error.message, at=self.ctx.at
            )
        self.torch_url = torch_line.split(" @ ", 1)[1].split("#", 1)[0]
        self.ctx.reporter.step(f"{self.cell.id}: torch {version}, tier 0 (resolution)")
        ok = self.tier0(torch_line, version)
        if self.ctx.tier >= 1 and ok:
            self.ctx.reporter.step(f"{self.cell.id}: tier 1 (install + import) of {len(ok)} members")
            python = self.install(torch_line, ok)
            if python is not None:
                ok = self.smoke(python, ok)
                if self.ctx.tier >= 2:
                    self.tests(python, ok)
        order = tuple(self.outcomes[k] for k in self.ctx.graph.order)
        return CellResult(
            self.cell,
            version,
            order,
            time.monotonic() - start,
            log=self.rel(self.logs),
            torch_sha256=self.torch_sha,
            torch_url=self.torch_url,
            installed=self.pins,
            at=self.ctx.at,
        )

    # -- tier 0 ---------------------------------------------------------------------------------------

    def compile(self, lines: Sequence[str], log: Path) -> bool:
        req = log.with_suffix(".in")
        atomic_write_text(req, "\n".join(lines) + "\n")
        command = [
            self.ctx.uv,
            "pip",
            "compile",
            str(req),
            "--python-version",
            self.cell.python,
            "--python-platform",
            _PLATFORM,
            "--no-header",
            "--quiet",
            *self.ctx.uv_args(),
        ]
        return self._run(command, log, self.ctx.env, self.ctx.timeout)

    def upstream(self, key: str) -> list[str]:
        seen: list[str] = []
        stack = [key]
        while stack:
            for dep in self.ctx.graph.deps[stack.pop()]:
                if dep not in seen:
                    seen.append(dep)
                    stack.append(dep)
        return seen

    def excluded(self, version: str) -> list[str]:
        """Members whose own torch bound excludes this cell's torch, and the members that require them:
        not failures, but releases the distro still needs (`skipped`)."""
        from packaging.specifiers import SpecifierSet
        from packaging.version import Version

        torch = Version(Version(version).public)
        out: list[str] = []
        for key in self.ctx.graph.topological():
            spec = self.ctx.infos[key].torch_specifier()
            if spec and not SpecifierSet(spec).contains(torch, prereleases=True):
                self.set(
                    key,
                    "skipped",
                    "tier0",
                    None,
                    f"declares `torch{spec}`: needs a release for torch {torch}",
                )
                out.append(key)
            elif blocked := [d for d in self.ctx.graph.deps[key] if d in out]:
                self.set(
                    key,
                    "skipped",
                    "tier0",
                    None,
                    f"requires {', '.join(blocked)}, which excludes torch {torch}",
                )
                out.append(key)
        return out

    def tier0(self, torch_line: str, version: str) -> list[str]:
        """Members whose set resolves together with the cell's torch (all of them, if the whole set does)."""
        excluded = self.excluded(version)
        keys = [k for k in self.ctx.graph.order if k not in excluded]
        log = self.logs / "tier0-all.log"
        if self.compile([torch_line, *(self.ctx.infos[k].install for k in keys)], log):
            for key in keys:
                self.set(key, "pass", "tier0", log)
            return keys
        ok = []
        for key in keys:
            one = self.logs / f"tier0-{key}.log"
            group = [key, *self.upstream(key)]
            if self.compile([torch_line, *(self.ctx.infos[k].install for k in group)], one):
                ok.append(key)
            else:
                self.set(
                    key,
                    "fail",
                    "tier0",
                    one,
                    f"does not resolve with torch {self.cell.torch} ({self.cell.backend})",
                )
        if len(ok) == len(keys):  # each resolves alone, not all together
            for key in keys:
                self.set(key, "fail", "tier0", log, "the members do not resolve together")
            return []
        for key in ok:
            self.set(key, "pass", "tier0", self.logs / f"tier0-{key}.log")
        return ok

    # -- tier 1 ---------------------------------------------------------------------------------------

    def install(self, torch_line: str, keys: list[str]) -> Path | None:
        """A venv holding exactly a hash-locked set: `uv pip compile --generate-hashes` for the venv's own
        interpreter, then `uv pip install --require-hashes` of that lock; the lock's files are the cell's
        `installed` pins. Cached by what it holds."""
        lines = [torch_line, *(self.ctx.infos[k].install for k in keys)]
        if self.ctx.tier >= 2:
            lines += sorted({r for k in keys for r in self.ctx.distro.member(k).test_requires})
        fingerprint = "\n".join([self.cell.python, *lines, *self.ctx.uv_args()])
        digest = hashlib.sha256(fingerprint.encode()).hexdigest()[:16]
        venv = self.ctx.distro.root / ".distro" / "venvs" / f"{self.cell.id}-{digest}"
        python = venv / "bin" / "python"
        log = self.logs / "tier1-install.log"
        lock = venv / ".lock.txt"
        if (venv / ".complete").exists() and python.exists() and lock.exists():
            atomic_write_text(log, f"reusing the cached environment {venv}\n")
            self.pins = parse_lock(lock.read_text(encoding="utf-8"))
            return python
        if venv.exists():
            shutil.rmtree(venv)
        uv, env, timeout = self.ctx.uv, self.ctx.env, self.ctx.timeout
        req = self.logs / "tier1-install.in"
        atomic_write_text(req, "\n".join(lines) + "\n")
        made = self._run([uv, "venv", str(venv), "--python", self.cell.python, "--quiet"], log, env, timeout)
        compile_ = [uv, "pip", "compile", str(req), "--python", str(python), "--generate-hashes"]
        compile_ += ["--no-header", "--quiet", "-o", str(lock), *self.ctx.uv_args()]
        install = [uv, "pip", "install", "--python", str(python), "--require-hashes", "-r", str(lock)]
        if (
            made
            and self._run(compile_, log, env, timeout)
            and self._run([*install, *self.ctx.uv_args()], log, env, timeout)
        ):
            atomic_write_text(self.logs / "tier1-lock.txt", lock.read_text(encoding="utf-8"))
            self.pins = parse_lock(lock.read_text(encoding="utf-8"))
            atomic_write_text(venv / ".complete", fingerprint)
            return python
        for key in keys:
            self.set(key, "fail", "tier1", log, "the cell's environment could not be installed")
        return None

    def smoke(self, python: Path, keys: list[str]) -> list[str]:
        ok = []
        for key in keys:
            name = self.ctx.distro.member(key).import_name
            log = self.logs / f"tier1-import-{key}.log"
            if self._run([str(python), "-c", f"import {name}"], log, self.ctx.env, 120):
                self.set(key, "pass", "tier1", log)
                ok.append(key)
            else:
                self.set(key, "fail", "tier1", log, f"`import {name}` failed")
        return ok

    # -- tier 2 ---------------------------------------------------------------------------------------

    def tests(self, python: Path, ok: list[str]) -> None:
        bindir = python.parent
        env = {
            **self.ctx.env,
            "VIRTUAL_ENV": str(bindir.parent),
            "PATH": f"{bindir}{os.pathsep}{self.ctx.env.get('PATH', '')}",
            "TORCHSMITH_DISTRO_CELL": self.cell.id,
        }
        env.pop("PYTHONHOME", None)
        for key in self.ctx.tested:
            member = self.ctx.distro.member(key)
            if key not in ok:
                continue
            if not member.test:
                self.set(key, "pass", "tier1", self.logs / f"tier1-import-{key}.log", "no test command")
                continue
            blocked = [dep for dep in self.upstream(key) if self.outcomes[dep].status == "fail"]
            if blocked:
                self.set(key, "skipped", "tier2", None, f"requires {', '.join(blocked)}, which failed")
                continue
            log = self.logs / f"tier2-{key}.log"
            self.ctx.reporter.step(f"{self.cell.id}: testing {member.name}")
            if self._run(member.test, log, env, self.ctx.timeout):
                self.set(key, "pass", "tier2", log)
            elif self._run(member.test, log, env, self.ctx.timeout):
                self.set(key, "flaky", "tier2", log, "failed, then passed on retry", attempts=2)
                self.ctx.reporter.warn(f"{self.cell.id}: {member.name}'s tests are flaky (passed on retry)")
            else:
                self.set(key, "fail", "tier2", log, "tests failed twice", attempts=2)


def run_tests(
    *,
    distro_path: Path,
    changed: str | None = None,
    tier: int = 2,
    jobs: int = 2,
    cell: str | None = None,
    results_dir: Path | None = None,
    settings: IndexSettings | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 900.0,
    reporter: Reporter | None = None,
) -> TestRun:
    """Test the distro (or `changed` and its dependents) in every cell (or `cell`) up to `tier`; write one
    results file per cell and the logs into `results_dir` (default `<distro>/.distro/results`)."""
    if tier not in (0, 1, 2):
        raise DistroError(f"invalid value `{tier}` for `--tier`: expected `0`, `1` or `2`")
    if jobs < 1:
        raise DistroError(f"invalid value `{jobs}` for `--jobs`: expected a positive number")
    reporter = reporter or NullReporter()
    base_env = dict(os.environ if env is None else env)
    # resolving for another Python must not make uv download one (a cell's Python is found, never fetched)
    base_env.setdefault("UV_PYTHON_DOWNLOADS", "never")
    settings = settings or IndexSettings.from_env(base_env)
    distro = load_distro(distro_path)
    cells = select_cells(distro, cell)
    graph, infos = build_graph(distro, settings=settings, reporter=reporter)
    tested = graph.downstream(distro.member(changed).name) if changed else graph.topological()
    results = (results_dir or distro.results_dir).resolve()
    from torchsmith.target import find_uv

    uv = find_uv()  # once, here: `sysconfig` is not safe to initialise from several threads at once
    stopper = Stopper()
    at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    ctx = _Ctx(
        distro, graph, infos, tier, tested, settings, base_env, results, reporter, timeout, uv, stopper, at
    )
    members = tuple(
        MemberRecord(
            m.key,
            infos[m.key].version,
            m.abi,
            m.maintainers,
            infos[m.key].requires,
            sha256=infos[m.key].sha256,
            file=infos[m.key].filename,
            required_tier=distro.tier_for(m),
            has_test=m.test is not None,
        )
        for m in distro.members
    )
    change = distro.member(changed).key if changed else None
    matrix = tuple(c.id for c in declared_cells(distro))
    for skipped in expand_cells(distro):
        if (why := possible(distro, skipped)) is not None:
            reporter.step(f"{skipped.id}: not run, {why}")
    run = TestRun(distro.name, tier, members, graph, (), change, results, matrix=matrix)
    reporter.step(f"testing {len(tested)} member(s) in {len(cells)} cell(s), tier {tier}, {jobs} at a time")
    done: dict[str, CellResult] = {}
    pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="torchsmith-distro")
    futures: dict[Future[CellResult], Cell] = {pool.submit(_Cell(ctx, c).run): c for c in cells}
    try:
        pending = set(futures)
        while pending:
            finished, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            for future in finished:
                result = future.result()
                run.save_cell(results, result)  # saved the moment it finishes
                done[result.cell.id] = result
    except BaseException:
        stopper.stop()  # Ctrl-C: kill every running command's process group; nothing is called flaky
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    ordered = tuple(done[c.id] for c in cells if c.id in done)
    return TestRun(distro.name, tier, members, graph, ordered, change, results, matrix=matrix)


def _earlier_outcomes(results: Path, cell: Cell) -> tuple[MemberOutcome, ...]:
    """The outcomes saved for `cell` before this run (their logs must survive the log swap)."""
    import json

    path = results / f"{cell.id}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return tuple(MemberOutcome.from_json(o) for c in data["cells"] for o in c["outcomes"])
    except (OSError, ValueError, KeyError, TypeError):
        return ()
