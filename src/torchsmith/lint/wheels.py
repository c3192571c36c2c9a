"""The rules that need the release knowledge: companion origin and pairing, Python range, platforms.

They run on `TorchDep`s from any format, against `torchsmith.knowledge.releases` (torch ↔ torchvision ↔
torchaudio pairs, CPython ABI tags, backends per platform). A rule only speaks when the knowledge settles
the question: a constraint that also admits releases newer than the table knows is given the benefit of
the doubt where a future release could satisfy it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from torchsmith.knowledge.releases import Release, companion_for, releases, torch_for_companion
from torchsmith.lint.document import Document, Hit, KeyPath
from torchsmith.lint.model import CONDA, TorchDep, exact_pin
from torchsmith.lint.platforms import PLATFORMS, platform_label
from torchsmith.lint.urls import PYPI

__all__ = ["companion_hits", "kind_gaps", "pairable", "pairing_hits", "platform_hits", "python_hits"]

_COMPANIONS = ("torchvision", "torchaudio")


def _views(deps: Sequence[TorchDep]) -> list[tuple[str, list[TorchDep]]]:
    scopes = sorted({d.scope for d in deps} - {""}) or [""]
    return [(s, [d for d in deps if d.scope in ("", s)]) for s in scopes]


def _scope_text(scope: str) -> str:
    return f" (in {scope})" if scope else ""


@cache
def _known_patches() -> tuple[Version, ...]:
    return tuple(sorted(p for r in releases() for p in r.patches))


@cache
def _known_companions(package: str) -> tuple[Version, ...]:
    found = {companion_for(package, p) for p in _known_patches()}
    return tuple(sorted(v for v in found if v is not None))


def _admits_newer(spec: SpecifierSet, newest: Version) -> bool:
    candidates = (
        Version(f"{newest.major}.{newest.minor + 1}.0"),
        Version(f"{newest.major + 1}.0.0"),
        Version("99.0"),
    )
    return any(spec.contains(c, prereleases=True) for c in candidates)


def pairable(torch_spec: SpecifierSet, package: str, spec: SpecifierSet) -> bool | None:
    """True if a known torch patch and its `package` release satisfy both; False if none can; None unknown."""
    return _pairable(str(torch_spec), package, str(spec))


@cache
def _pairable(torch_text: str, package: str, text: str) -> bool | None:
    torch_spec, spec = SpecifierSet(torch_text), SpecifierSet(text)
    patches = [p for p in _known_patches() if torch_spec.contains(p)]
    companions = [v for v in _known_companions(package) if spec.contains(v)]
    if not patches or not companions:
        return None  # a version the table does not know: not this rule's business
    if any((c := companion_for(package, p)) is not None and spec.contains(c) for p in patches):
        return True
    if _admits_newer(torch_spec, _known_patches()[-1]) and _admits_newer(
        spec, _known_companions(package)[-1]
    ):
        return None
    return False


def companion_hits(doc: Document, deps: Sequence[TorchDep]) -> list[Hit]:
    """`companion-from-other-index`: per scope and platform, companions must share torch's origins."""
    hits: dict[KeyPath, Hit] = {}
    for scope, view in _views(deps):
        for platform in PLATFORMS:
            on = [d for d in view if platform in d.platforms]
            torch = {d.origin for d in on if d.name == "torch"}
            for package in _COMPANIONS:
                mine = [d for d in on if d.name == package]
                origins = {d.origin for d in mine}
                if not torch or not origins or origins == torch or CONDA in torch | origins:
                    continue
                culprit = next((d for d in mine if d.origin not in torch), mine[0])
                if culprit.at in hits:
                    continue
                theirs = ", ".join(sorted(_label(o) for o in torch))
                hits[culprit.at] = doc.hit(
                    "companion-from-other-index",
                    f"`{package}` comes from {_label(culprit.origin)} but `torch` from {theirs}"
                    f"{_scope_text(scope)} on {platform_label(platform)}: the {package} wheel is built "
                    "against a different torch build, so the installer replaces torch or fails",
                    at=culprit.at,
                    fix=f"take `{package}` from the same index as `torch`",
                )
    return list(hits.values())


def _label(origin: str) -> str:
    if origin == PYPI:
        return "the default index (PyPI)"
    if origin == CONDA:
        return "conda"
    if origin.startswith("url:"):
        return f"`{origin[4:]}`"
    return f"the `{origin}` index"


def pairing_hits(doc: Document, deps: Sequence[TorchDep]) -> list[Hit]:
    """`companion-version-mismatch`: torch and companion constraints no known release pairs."""
    hits: dict[KeyPath, Hit] = {}
    for scope, view in _views(deps):
        torches = [d for d in view if d.name == "torch" and d.spec is not None]
        for comp in (d for d in view if d.name in _COMPANIONS and d.spec is not None):
            for torch in torches:
                if comp.spec_at in hits or not comp.platforms & torch.platforms:
                    continue
                assert comp.spec is not None and torch.spec is not None
                if pairable(torch.spec, comp.name, comp.spec) is not False:
                    continue
                hits[comp.spec_at] = doc.hit(
                    "companion-version-mismatch",
                    f"`{comp.text}` cannot be installed with `{torch.text}`{_scope_text(scope)}: "
                    + _why_not(torch.spec, comp.name, comp.spec),
                    at=comp.spec_at,
                    fix=_pair_fix(torch.spec, comp.name),
                )
    return list(hits.values())


def _why_not(torch_spec: SpecifierSet, package: str, spec: SpecifierSet) -> str:
    pinned = exact_pin(torch_spec)
    if pinned is not None and (partner := companion_for(package, Version(pinned))) is not None:
        return f"torch {pinned} pairs only with {package} {partner}"
    own = exact_pin(spec)
    if own is not None and (partner := torch_for_companion(package, Version(own))) is not None:
        return f"{package} {own} is built for torch {partner}"
    return f"no torch release allowed there has a {package} release allowed there"


def _pair_fix(torch_spec: SpecifierSet, package: str) -> str:
    pinned = exact_pin(torch_spec)
    if pinned is not None and (partner := companion_for(package, Version(pinned))) is not None:
        return f"pin `{package}=={partner}`"
    return f"choose a {package} version paired with the torch version (`torchsmith matrix`)"


def _allowed(spec: SpecifierSet | None, cap: frozenset[Version] | None = None) -> tuple[list[Release], bool]:
    """Known releases with a patch in `spec` (and in `cap`), and whether newer, unknown ones qualify too."""
    allowed, future = _allowed_by_text("" if spec is None else str(spec), cap)
    return list(allowed), future


@cache
def _allowed_by_text(text: str, cap: frozenset[Version] | None) -> tuple[tuple[Release, ...], bool]:
    """`_allowed` by the constraint's text: the same few constraints recur across a repository's files,
    and each costs a `contains` per known patch."""
    spec = SpecifierSet(text)
    allowed = tuple(
        r for r in releases() if any(spec.contains(p) and (cap is None or p in cap) for p in r.patches)
    )
    return allowed, cap is None and _admits_newer(spec, _known_patches()[-1])


@cache
def _cap_of(package: str, text: str) -> frozenset[Version] | None:
    spec = SpecifierSet(text)
    known = _known_companions(package)
    if not known or _admits_newer(spec, known[-1]):
        return None
    return frozenset(
        p
        for p in _known_patches()
        if (c := companion_for(package, p)) is not None and spec.contains(c, prereleases=True)
    )


def companion_cap(deps: Sequence[TorchDep], torch: TorchDep) -> frozenset[Version] | None:
    """The torch patches the companion pins around `torch` allow (torchvision 0.17 means torch 2.2).

    Companions in the same scope (or always installed) on a shared platform count; a companion range
    that also admits unknown, newer releases caps nothing. None: no cap."""
    cap: frozenset[Version] | None = None
    for comp in deps:
        if comp.name not in _COMPANIONS or comp.spec is None or comp.scope not in ("", torch.scope):
            continue
        if not comp.platforms & torch.platforms:
            continue
        allowed = _cap_of(comp.name, str(comp.spec))
        if allowed is None:
            continue
        cap = allowed if cap is None else cap & allowed
    return cap


def _cp(python: str) -> str:
    return "cp" + python.replace(".", "")


@cache
def _known_pythons() -> tuple[str, ...]:
    tags = {t for r in releases() for t in r.python if not t.endswith("t")}
    minors = {f"3.{t[3:]}" for t in tags}
    return tuple(sorted(minors, key=Version))


def python_hits(
    doc: Document,
    deps: Sequence[TorchDep],
    python: SpecifierSet,
    python_text: str,
    at: KeyPath,
    *,
    check_all: bool,
) -> list[Hit]:
    """`requires-python-without-wheels`: the lowest admitted Python (or all, `check_all`) must have wheels."""
    admitted = list(_admitted_pythons(str(python)))
    if not admitted:
        return []
    if not check_all and not python.contains("3.99", prereleases=True):
        check_all = True  # bounded above (`<3.13`): every admitted Python is a real target
    checked = admitted if check_all else admitted[:1]
    hits: list[Hit] = []
    seen: set[str] = set()
    for dep in deps:
        if dep.name != "torch" or dep.origin == CONDA or dep.origin.startswith("url:"):
            continue
        if dep.origin.startswith("jp"):
            continue  # NVIDIA's Jetson builds have their own Python tags
        cap = companion_cap(deps, dep)
        allowed, future = _allowed(dep.spec, cap)
        key = f"{dep.spec}|{sorted(cap) if cap is not None else ''}"
        if not allowed or key in seen:
            continue
        newest_supported = _newest_python(tuple(r.torch for r in allowed))
        missing = [
            p
            for p in checked
            if not any(_cp(p) in r.python for r in allowed) and not (future and Version(p) > newest_supported)
        ]
        if not missing:
            continue
        seen.add(key)
        series = ", ".join(str(r.torch) for r in sorted(allowed, key=lambda r: r.torch))
        supported = sorted(
            {p for r in allowed for p in r.python if not p.endswith("t")}, key=lambda t: int(t[3:])
        )
        hits.append(
            doc.hit(
                "requires-python-without-wheels",
                f"`{python_text}` admits Python {', '.join(missing)}, but `{dep.text}` (torch "
                f"{series}) has no "
                f"{'/'.join(_cp(p) for p in missing)} wheels: resolution fails with an ABI-tag mismatch",
                at=at,
                fix=f"limit the Python range to what torch has wheels for ({supported[0]}–{supported[-1]}) "
                "or allow a torch release with wheels for it",
            )
        )
    return hits


@cache
def _newest_python(series: tuple[Version, ...]) -> Version:
    """The newest CPython any of these torch series has wheels for."""
    wanted = set(series)
    return max(
        (
            Version(f"3.{t[3:]}")
            for r in releases()
            if r.torch in wanted
            for t in r.python
            if not t.endswith("t")
        ),
        default=Version("3.0"),
    )


@cache
def _admitted_pythons(text: str) -> tuple[str, ...]:
    python = SpecifierSet(text)
    return tuple(
        p
        for p in _known_pythons()
        if python.contains(f"{p}.0", prereleases=True) or python.contains(f"{p}.99", prereleases=True)
    )


@cache
def _known_backends() -> frozenset[str]:
    return frozenset(b for r in releases() for names in r.backends.values() for b in names)


def kind_gaps(kind: str) -> frozenset[str]:
    """Platforms an index of this backend kind never has wheels for (what a uv source marker must exclude).

    The CPU index does carry macOS wheels (`torch-2.5.1-cp312-none-macosx_11_0_arm64.whl` is listed on
    https://download.pytorch.org/whl/cpu/torch/), so an unmarked CPU source is fine there; whether a
    given release has them is `platform-without-wheels`' question."""
    if kind in ("cuda", "xpu"):
        return frozenset({"macos-arm64", "macos-x86_64"})
    if kind == "rocm":
        return frozenset({"macos-arm64", "macos-x86_64", "windows-x86_64"})
    if kind == "jetson":
        return frozenset(PLATFORMS) - {"linux-aarch64"}
    return frozenset()


def _has_wheels(release: Release, platform: str, origin: str) -> bool | None:
    if f"backends.{platform}" in release.gaps:
        return None
    names = release.backends.get(platform, ())
    if origin == PYPI:
        return bool(names)
    backend = origin.rsplit("/", 1)[-1]
    return backend in names


def platform_hits(
    doc: Document,
    deps: Sequence[TorchDep],
    targets: Iterable[tuple[str, KeyPath, str]],
    *,
    skip: frozenset[tuple[KeyPath, str]] = frozenset(),
) -> list[Hit]:
    """`platform-without-wheels`: each declared (platform, where, how it is written) must have wheels.

    `written` is a phrase naming the declaration (platform `osx-64`, environment `sys_platform ...`).
    """
    hits: list[Hit] = []
    seen: set[tuple[str, str, str]] = set()
    known_backends = _known_backends()
    for platform, at, written in targets:
        for dep in deps:
            if dep.name != "torch" or platform not in dep.platforms or (dep.at, platform) in skip:
                continue
            backend = dep.origin.rsplit("/", 1)[-1]
            if dep.origin != PYPI and backend not in known_backends:
                continue  # conda, direct URLs, Jetson and unknown indexes: no knowledge to judge by
            allowed, _ = _allowed(dep.spec, companion_cap(deps, dep))
            answers = [_has_wheels(r, platform, dep.origin) for r in allowed]
            if not allowed or any(a is not False for a in answers):
                continue
            key = (platform, dep.origin, str(dep.spec))
            if key in seen:
                continue
            seen.add(key)
            source = "PyPI" if dep.origin == PYPI else f"the `{dep.origin}` index"
            hits.append(
                doc.hit(
                    "platform-without-wheels",
                    f"{written} is declared, but {source} has no `{dep.text}` wheels for "
                    f"{platform_label(platform)}: resolution fails with a platform-tag mismatch",
                    at=at,
                    fix="drop the platform, or give it a source that has wheels for it (e.g. the `cpu` index "
                    "or PyPI on macOS)",
                )
            )
    return hits
