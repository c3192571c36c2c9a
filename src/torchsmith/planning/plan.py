"""Choose the backend and exact torch-family pins for a machine, with reasons and rejected alternatives.

Policy (what a packaging expert would do):
1. Consider the machine's runnable backends best first (`probe`'s `backends`), or the one forced backend.
2. Prefer the newest torch the requirements allow that actually runs here on an accelerator; for that torch,
   the best-ranked backend. Only when no accelerated build runs is a CPU build chosen, and then the reasons
   say why each accelerated backend was rejected.
3. torchvision/torchaudio come from the same backend and pair exactly with torch (knowledge table, checked
   against the index); a conflict is explained, never papered over.
4. Online, versions and files come from the backend indexes (cached); offline or with no network, from the
   shipped knowledge alone, and the plan says so.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from packaging.version import Version

from torchsmith.backends import Backend, parse_backend
from torchsmith.errors import IndexUnreachableError, ResolutionError, UsageError
from torchsmith.index.settings import IndexSettings
from torchsmith.machine.model import Machine
from torchsmith.planning import explain
from torchsmith.planning import gpus as gpu_policy
from torchsmith.planning.catalog import Candidate, Catalog, IndexCatalog, KnowledgeCatalog
from torchsmith.planning.commands import install_commands
from torchsmith.planning.model import Plan, PlannedPackage, Rejection
from torchsmith.planning.packages import nameless_urls, planned_package
from torchsmith.planning.requirements import Requirements, label_backend, parse_requirements
from torchsmith.planning.rules import Verdict, check
from torchsmith.planning.tags import machine_tags
from torchsmith.record import record
from torchsmith.report import NullReporter, Reporter

__all__ = ["Plan", "PlannedPackage", "Rejection", "make_plan"]

_METADATA_LOOKUPS = 5
"""How many of a companion's newest releases to read PEP 658 metadata for (each one small request, cached)."""


@record
class _Option:
    """One feasible (torch, backend) choice with the files of every requested family package."""

    torch: Version
    backend: Backend
    rank: int
    packages: tuple[Candidate, ...]
    verdict: Verdict


class _Search:
    """Evaluates (torch version, backend) pairs once each and remembers why each failed."""

    def __init__(self, machine: Machine, reqs: Requirements, catalog: Catalog, forced: bool) -> None:
        self.machine = machine
        self.reqs = reqs
        self.catalog = catalog
        self.forced = forced
        self.failures: dict[str, list[tuple[Version, str]]] = {}
        self.doubted: _Option | None = None  # a newer option passed over for an older one known to run

    def _fail(self, backend: Backend, torch: Version, why: str) -> None:
        self.failures.setdefault(backend.name, []).append((torch, why))

    def torch_versions(self, backend: Backend) -> list[Candidate]:
        spec = self.reqs.family["torch"]
        prereleases = backend.kind == "jetson" or None
        return [
            c
            for c in self.catalog.candidates(backend, "torch")
            if spec.contains(c.version.public, prereleases=prereleases)
        ]

    def evaluate(self, backend: Backend, rank: int, torch: Candidate) -> _Option | None:
        public = Version(torch.version.public)
        verdict = check(self.machine, public, backend)
        if not verdict.ok:
            assert verdict.why is not None
            if verdict.hard or not self.forced:
                self._fail(backend, public, verdict.why)
                return None
            verdict = Verdict(None, (f"forced `{backend}` although {verdict.why}",))
        chosen = [torch]
        for name in self.reqs.family:
            if name == "torch":
                continue
            companion = self._companion(backend, public, torch, name)
            if companion is None:
                return None
            chosen.append(companion)
        return _Option(public, backend, rank, tuple(chosen), verdict)

    def _companion_by_metadata(
        self, backend: Backend, public: Version, torch: Candidate, name: str
    ) -> Candidate | None:
        """The newest `name` on the backend's index whose PEP 658 `Requires-Dist` admits this torch."""
        from torchsmith.planning.requirements import parse_named

        for candidate in self.catalog.candidates(backend, name)[:_METADATA_LOOKUPS]:
            for text in self.catalog.requires_dist(candidate) or ():
                try:
                    requirement = parse_named(text)
                except UsageError:
                    continue
                if requirement.name == "torch" and requirement.specifier.contains(public, prereleases=True):
                    return candidate
        where = "torchsmith's knowledge" if self.catalog.offline else f"`{torch.index}`"
        self._fail(
            backend,
            public,
            f"torch {public} is newer than torchsmith's tables and no {name} in {where} "
            f"declares it pairs with it (`Requires-Dist: torch==...`); run `torchsmith knowledge refresh` "
            f"or pin `{name}`",
        )
        return None

    def _series_companion(
        self, backend: Backend, public: Version, torch: Candidate, name: str
    ) -> Candidate | None:
        from torchsmith.knowledge import releases

        release = releases.release_for(public)
        series = getattr(release, name, None) if release is not None else None
        if series is not None:
            for candidate in self.catalog.candidates(backend, name):
                version = Version(candidate.version.public)
                if (version.major, version.minor) == (series.major, series.minor):
                    return candidate
        where = f"`{torch.index}`" if not self.catalog.offline else "torchsmith's knowledge"
        self._fail(
            backend,
            public,
            f"no {name} {series or ''} wheel for torch {public} in {where}; on "
            f"Jetson, build {name} from source against this torch, or use NVIDIA's index online",
        )
        return None

    def _companion(self, backend: Backend, public: Version, torch: Candidate, name: str) -> Candidate | None:
        from torchsmith.knowledge import releases

        wanted = releases.companion_for(name, public)
        if wanted is None and public.is_prerelease:
            # NVIDIA's Jetson builds are pre-releases (`2.5.0a0+nv24.08`): pair by series (2.5 ↔ 0.20.*).
            return self._series_companion(backend, public, torch, name)
        if wanted is None and releases.release_for(public) is None:
            # A torch newer than the shipped tables: the companion's own metadata says what it pairs with.
            return self._companion_by_metadata(backend, public, torch, name)
        if wanted is None:
            self._fail(backend, public, explain.no_companion(name, public))
            return None
        spec = self.reqs.family[name]
        if spec and not spec.contains(wanted, prereleases=True):
            self._fail(
                backend,
                public,
                f"`{self.reqs.spec_text(name)}` excludes {name} {wanted}, the release "
                f"that pairs with torch {public}",
            )
            return None
        for candidate in self.catalog.candidates(backend, name):
            if Version(candidate.version.public) == wanted:
                return candidate
        self._fail(backend, public, f"no {name} {wanted} wheel for this machine on `{torch.index}`")
        return None


def _knowledge_catalog(machine: Machine, settings: IndexSettings) -> KnowledgeCatalog:
    """The offline catalog: shipped tables plus the last `knowledge refresh` of these indexes, if any."""
    from torchsmith.knowledge.refresh import load_refreshed

    refreshed = load_refreshed(settings.cache_dir)
    base, jetson = settings.index_base, settings.jetson_index_base
    tags = machine_tags(machine)
    return KnowledgeCatalog(
        machine, base, jetson, refreshed=refreshed, tags=tags, cache_dir=settings.cache_dir
    )


def _offline_note(catalog: KnowledgeCatalog, why: str) -> str:
    seen = f" ({catalog.refreshed.generated})" if catalog.refreshed is not None else ""
    return (
        f"{why}: planned from the cached index pages, else the versions the indexes listed at "
        f"`knowledge refresh`{seen}, "
        "else torchsmith's shipped wheel inventory; a file without a known hash is pinned by version only"
    )


def _catalog(machine: Machine, settings: IndexSettings, reporter: Reporter) -> tuple[Catalog, str | None]:
    """The index catalog, or the knowledge catalog offline (and the warning saying why)."""
    if settings.offline:
        catalog = _knowledge_catalog(machine, settings)
        return catalog, _offline_note(catalog, "offline (`TORCHSMITH_OFFLINE`)")
    client = settings.client(reporter)
    tags = machine_tags(machine)
    base, jetson = settings.index_base, settings.jetson_index_base
    return IndexCatalog(client, machine, tags, base, jetson, pypi_index=settings.default_index), None


def _backends(machine: Machine, backend: str) -> tuple[list[Backend], bool]:
    if backend != "auto":
        return [parse_backend(backend)], True
    return [parse_backend(name, source="the machine's `backends`") for name in machine.backends], False


ByBackend = dict[str, list[Candidate]]


def _preference(option: _Option) -> tuple[bool, int, int]:
    """Known to run beats unknown; among unknowns, less contrary evidence; then the machine's ranking."""
    return (option.verdict.verified, -option.verdict.doubt, -option.rank)


def _doubted(option: _Option) -> bool:
    """Unknown whether it runs, and the only evidence says it does not: its arch list is assumed from
    neighbouring releases whose lists lack some GPU (a GTX 1080 and torch 2.10's Windows cu128, assumed from
    2.9's sm_70 and up). An older torch known to run is preferred to such an option."""
    return not option.verdict.verified and option.verdict.doubt > 0


def _search(
    search: _Search, backends: list[Backend], by_backend: ByBackend
) -> tuple[_Option | None, _Option | None]:
    """(best accelerated option, best CPU option): the newest torch with an accelerated build that runs,
    and for it the backend known to run (or, if none is, the one with the fewest doubts). A newest option
    that the evidence doubts (`_doubted`) gives way to the newest older torch with a build known to run."""
    versions = sorted(
        {Version(c.version.public) for cands in by_backend.values() for c in cands}, reverse=True
    )
    accelerated: _Option | None = None
    cpu: _Option | None = None
    for version in versions:
        found: list[_Option] = []
        done = accelerated is not None and not _doubted(accelerated)
        for rank, backend in enumerate(backends):
            settled = any(o.verdict.verified for o in found)  # nothing ranked lower beats a known build
            if (backend.kind == "cpu" and cpu) or (backend.kind != "cpu" and (done or settled)):
                continue
            torch = next((c for c in by_backend[backend.name] if Version(c.version.public) == version), None)
            if torch is None:
                continue
            option = search.evaluate(backend, rank, torch)
            if option is None:
                continue
            if backend.kind == "cpu":
                cpu = option
            else:
                found.append(option)
        if found:
            best = max(found, key=_preference)
            if accelerated is None:
                accelerated = best
            elif best.verdict.verified:  # the newer option is doubted: a build known to run wins
                search.doubted, accelerated = accelerated, best
        if accelerated and cpu and not _doubted(accelerated):
            break
    for backend in backends:
        if not by_backend[backend.name]:
            search.failures.setdefault(backend.name, []).append(
                (
                    Version("0"),
                    search.catalog.why_none(backend, "torch", search.reqs.family["torch"])
                    or explain.no_versions(search.reqs, backend, search.catalog.offline, search.machine),
                )
            )
    return accelerated, cpu


def _settle_rejections(
    search: _Search, backends: list[Backend], by_backend: ByBackend, chosen: _Option
) -> None:
    """Evaluate, at the chosen torch version, every backend the search did not need to look at, so that each
    rejection states a checked fact rather than a guess."""
    for rank, backend in enumerate(backends):
        if backend.name == chosen.backend.name:
            continue
        if any(v == chosen.torch for v, _ in search.failures.get(backend.name, [])):
            continue
        torch = next((c for c in by_backend[backend.name] if Version(c.version.public) == chosen.torch), None)
        if torch is None:
            # A backend that failed for its own reasons keeps them; "no such version" would hide them.
            if by_backend[backend.name] and backend.name not in search.failures:
                search.failures.setdefault(backend.name, []).append(
                    (chosen.torch, f"has no torch {chosen.torch} build for this platform and Python")
                )
            continue
        search.evaluate(backend, rank, torch)


@record
class _Outcome:
    machine: Machine
    search: _Search
    by_backend: ByBackend
    accelerated: _Option | None
    cpu: _Option | None


def _run(
    machine: Machine, reqs: Requirements, catalog: Catalog, backends: list[Backend], forced: bool
) -> _Outcome:
    search = _Search(machine, reqs, catalog, forced)
    by_backend = {b.name: search.torch_versions(b) for b in backends}
    accelerated, cpu = _search(search, backends, by_backend)
    return _Outcome(machine, search, by_backend, accelerated, cpu)


def _fallback(
    machine: Machine, reqs: Requirements, catalog: Catalog, forced: bool, backend: str
) -> tuple[_Outcome, list[int]] | None:
    """No build serves every GPU: plan for each kind of GPU alone and keep the best (newest torch, then the
    most capable GPU). None when no single GPU has an accelerated build either."""
    best: tuple[_Outcome, list[int]] | None = None
    for indices, alone in gpu_policy.subsets(machine):
        outcome = _run(alone, reqs, catalog, _backends(alone, backend)[0], forced)
        if outcome.accelerated is None:
            continue
        if best is None or outcome.accelerated.torch > best[0].accelerated.torch:  # type: ignore[union-attr]
            best = (outcome, indices)
    return best


def make_plan(
    requirements: Sequence[str] = ("torch",),
    *,
    machine: Machine,
    backend: str = "auto",
    settings: IndexSettings | None = None,
    reporter: Reporter | None = None,
    gpus: Sequence[int] | None = None,
) -> Plan:
    """Plan the torch family for `machine`; raise `ResolutionError` (with the reasons) if nothing fits.

    `gpus` plans for those GPU indices only (`--gpu`); without it, a machine whose GPUs no single build
    serves gets a plan for its most capable GPU(s), naming each GPU left out.
    """
    reporter = reporter or NullReporter()
    settings = settings or IndexSettings.from_env(os.environ)
    if machine.python is None or not machine.python.abi:
        raise UsageError(
            "the machine does not say which Python to plan for (its `python` section is missing)",
            hint="plan for a Python version with `--python 3.12`",
        )
    reqs = parse_requirements(requirements)
    backend = label_backend(reqs, backend)
    full_machine = machine
    warnings: list[str] = []
    if gpus is not None:
        machine = gpu_policy.restrict(machine, gpus)
        warnings += (
            gpu_policy.left_out(full_machine, sorted(set(gpus)), "`--gpu`")
            if len(set(gpus)) < (gpu_policy.gpu_count(full_machine))
            else []
        )
    backends, forced = _backends(machine, backend)
    catalog, offline_note = _catalog(machine, settings, reporter)
    warnings[:0] = [offline_note] if offline_note else []
    if isinstance(catalog, IndexCatalog):
        try:
            catalog.prefetch(backends, reqs.family)
        except IndexUnreachableError as error:
            catalog = _knowledge_catalog(machine, settings)
            warnings.insert(0, _offline_note(catalog, error.message))
    outcome = _run(machine, reqs, catalog, backends, forced)
    kept: tuple[int, ...] | None = tuple(sorted(set(gpus))) if gpus is not None else None
    if outcome.accelerated is None and gpus is None and gpu_policy.gpu_count(machine) > 1:
        found = _fallback(machine, reqs, catalog, forced, backend)
        if found is not None:
            outcome, indices = found
            kept = tuple(indices)
            warnings += gpu_policy.left_out(
                full_machine, indices, "no build of the requested torch serves every GPU"
            )
    extra: list[str] = []
    if outcome.accelerated is not None and gpus is None and len(gpu_policy.kinds(machine)) > 1:
        alone = _fallback(machine, reqs, catalog, forced, backend)
        if alone is not None and alone[0].accelerated is not None:
            best = alone[0].accelerated
            if best.torch > outcome.accelerated.torch:
                which = ", ".join(gpu_policy.gpu_label(machine, i) for i in alone[1])
                extra.append(
                    f"torch {outcome.accelerated.torch} is the newest whose build serves every GPU; "
                    f"`--gpu {','.join(map(str, alone[1]))}` plans torch {best.torch} (`{best.backend}`) for "
                    f"{which} alone"
                )
    return _finish(outcome, reqs, settings, warnings, kept, extra)


def _finish(
    outcome: _Outcome,
    reqs: Requirements,
    settings: IndexSettings,
    warnings: list[str],
    kept: tuple[int, ...] | None,
    extra: Sequence[str] = (),
) -> Plan:
    machine, search, by_backend = outcome.machine, outcome.search, outcome.by_backend
    backends = [parse_backend(n) for n in by_backend]
    accelerated, cpu = outcome.accelerated, outcome.cpu
    chosen = accelerated or cpu
    if chosen is None:
        raise ResolutionError(
            explain.nothing_fits(reqs, machine, backends, search.failures),
            hint=explain.nothing_fits_hint(reqs, machine, backends, search.failures),
        )
    _settle_rejections(search, backends, by_backend, chosen)
    packages = tuple(planned_package(c, chosen.backend, machine) for c in chosen.packages)
    index = chosen.backend.index_url(settings.index_base, settings.jetson_index_base)
    newer_cpu = cpu.torch if cpu and accelerated and cpu.torch > accelerated.torch else None
    newer = explain.capped_by(machine, reqs, search.failures, chosen.torch, chosen.backend.kind != "cpu") or (
        explain.newer_release(machine, reqs, chosen.torch, chosen.backend)
    )
    reasons = explain.reasons(
        machine,
        reqs,
        chosen.torch,
        chosen.backend,
        chosen.verdict.notes,
        newer_cpu=None if newer else newer_cpu,
        companions=[
            (c.package, Version(c.version.public)) for c in chosen.packages[1:] if c.source != "pypi"
        ],
    )
    reasons += [
        f"{c.package} {c.version} pairs with torch {chosen.torch}: a backend-neutral (`py3-none`) release "
        f"the `{chosen.backend}` index is not known to carry; taken from PyPI"
        for c in chosen.packages[1:]
        if c.source == "pypi"
    ]
    if newer:
        cpu_hint = f"; `--backend cpu` gets torch {newer_cpu} on the CPU" if newer_cpu else ""
        reasons.append(newer + cpu_hint)
    reasons.extend(extra)
    doubted = search.doubted
    if doubted is not None and chosen is accelerated:
        reasons.append(
            f"torch {doubted.torch} is newer, but whether its `{doubted.backend}` build runs here is unknown "
            "(its arch list is assumed from neighbouring releases, and theirs lack code for a GPU here); "
            f"the `{chosen.backend}` build of torch {chosen.torch} is known to run here"
        )
    if reqs.labels and search.forced:
        label = next(iter(reqs.labels.values()))
        reasons.append(f"`{chosen.backend}` because the requirements pin the local label `+{label}`")
    elif search.forced and chosen.backend.kind == "cpu":
        reasons.append("`cpu` because `--backend cpu` asks for it")
    # A forced backend's problems are warnings too, so they show however the plan is read.
    warnings += [note for note in chosen.verdict.notes if note.startswith("forced ")]
    warnings += [note for note in chosen.verdict.notes if "`CONDA_OVERRIDE_CUDA=" in note]
    unknown = chosen.verdict.unknown
    warnings += [
        f"unverified: {fact}; no build of torch {chosen.torch} for this machine is known to run here, so "
        f"`{chosen.backend}` was chosen as the likeliest"
        for fact in unknown
    ]
    warnings += nameless_urls(packages)
    rejected = explain.rejections(backends, chosen.backend, chosen.torch, search.failures)
    rejected += explain.unrunnable(machine, backends, chosen.torch)
    if chosen.backend.kind == "cpu" and not search.forced:  # a CPU build asked for needs no excuse
        if any(b.kind != "cpu" for b in backends):
            reasons.append(explain.why_cpu(rejected))
        elif explain.has_gpu(machine):
            reasons.append(explain.gpu_without_backend(machine, chosen.torch))
    return Plan(
        backend=chosen.backend.name,
        packages=packages,
        reasons=tuple(reasons),
        rejected=tuple(rejected),
        requirements=reqs.texts,
        python=machine.python.version if machine.python else None,
        platform=machine.platform_key,
        index=index,
        pypi_index=settings.default_index,
        offline=search.catalog.offline,
        warnings=tuple(dict.fromkeys(warnings)),
        commands=install_commands(packages, reqs.others, index, settings.default_index),
        verified=not unknown,
        unknown_facts=unknown,
        gpus=kept,
    )
