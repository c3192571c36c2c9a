"""Which torch each export target gets, and which Pythons every target has wheels for.

An export names versions without installing anything, so the choice is made from the shipped knowledge
(`torchsmith.knowledge.releases`, `torchsmith.knowledge.jetson`): per target, the newest torch patch whose
release has the target's backend on its platform and satisfies the requirements (companion pins such as
`torchvision==0.20.1` included). The Python range is what every chosen release has CPython wheels for,
so a universal lock (uv, poetry) never forks onto a Python that some target cannot install.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from torchsmith.errors import ResolutionError
from torchsmith.export.targets import Target
from torchsmith.planning.requirements import split_family

__all__ = [
    "Choice",
    "choose",
    "choose_all",
    "family_pins",
    "python_range",
]

_CP = re.compile(r"cp3(?P<minor>[0-9]+)")


@dataclass(frozen=True, slots=True)
class Choice:
    """The torch chosen for one target: exact patch, the Pythons with wheels (`3.10`, ...) and why."""

    target: Target
    torch: Version
    pythons: tuple[Version, ...]
    reason: str

    @property
    def best_python(self) -> Version:
        """The newest Python with wheels (free-threaded builds aside): what a container image uses."""
        return self.pythons[-1]


def _pythons(tags: Sequence[str]) -> tuple[Version, ...]:
    found = {Version(f"3.{m['minor']}") for tag in tags if (m := _CP.fullmatch(tag))}
    return tuple(sorted(found))


def _satisfies(torch: Version, requirements: Sequence[Requirement]) -> bool:
    from torchsmith.knowledge.releases import companion_for

    for req in requirements:
        name = canonicalize_name(req.name)
        if name == "torch":
            if not req.specifier.contains(torch, prereleases=True):
                return False
        elif req.specifier:
            companion = companion_for(name, torch)
            if companion is None or not req.specifier.contains(companion, prereleases=True):
                return False
        elif companion_for(name, torch) is None:
            return False
    return True


def _choose_jetson(target: Target, family: Sequence[Requirement]) -> Choice:
    from torchsmith.knowledge.jetson import jetpack_releases

    rows = [r for r in jetpack_releases() if r.backend == target.backend]
    if not rows:
        raise ResolutionError(f"no JetPack release in the knowledge tables uses the `{target.backend}` index")
    row = rows[0]
    python = Version(row.python)
    candidates = sorted({w.torch for r in rows for w in r.wheels}, reverse=True)
    for torch in candidates:
        public = Version(torch.public.split("+")[0])
        base = Version(public.base_version)
        torch_reqs = [r for r in family if canonicalize_name(r.name) == "torch"]
        if all(r.specifier.contains(base, prereleases=True) for r in torch_reqs):
            return Choice(target, base, (python,), f"NVIDIA's JetPack {row.jetpack} wheel is torch {torch}")
    raise ResolutionError(
        f"no NVIDIA Jetson torch wheel for `{target.name}` satisfies `{', '.join(str(r) for r in family)}`"
    )


def choose(target: Target, requirements: Sequence[Requirement], *, python: Version | None = None) -> Choice:
    """The newest torch patch with a `target.backend` build on `target.platform` meeting `requirements`.

    With `python`, only releases with wheels for that Python count.
    """
    from torchsmith.knowledge.releases import releases

    family, _ = split_family(requirements)
    if target.kind == "jetson":
        choice = _choose_jetson(target, family)
        if python is not None and python not in choice.pythons:
            raise ResolutionError(
                f"NVIDIA's `{target.backend}` wheels are for Python {choice.pythons[0]} only"
            )
        return choice
    for release in releases():
        if target.backend not in release.backends.get(target.platform, ()):
            continue
        if python is not None and python not in _pythons(release.python):
            continue
        for patch in reversed(release.patches):
            if _satisfies(patch, family):
                pythons = _pythons(release.python)
                why = f"torch {patch} is the newest with `{target.backend}` wheels for {target.platform}"
                return Choice(target, patch, pythons, why)
    wanted = ", ".join(f"`{r}`" for r in family) or "`torch`"
    raise ResolutionError(
        f"no torch release has `{target.backend}` wheels for {target.platform} that satisfy {wanted}",
        hint="`torchsmith matrix` lists which backends each release has",
    )


def choose_all(targets: Sequence[Target], requirements: Sequence[Requirement]) -> tuple[Choice, ...]:
    """One choice per target, sharing at least one Python: the newest torch each, else the newest Python
    for which every target has some release (e.g. Jetson's 3.10 holds macOS back from a 3.11+ torch)."""
    first = tuple(choose(t, requirements) for t in targets)
    common = set(first[0].pythons).intersection(*(c.pythons for c in first[1:])) if first else set()
    if common or not first:
        return first
    for python in sorted({p for c in first for p in c.pythons}, reverse=True):
        try:
            return tuple(choose(t, requirements, python=python) for t in targets)
        except ResolutionError:
            continue
    return first


def python_range(choices: Sequence[Choice]) -> tuple[Version, Version]:
    """(lowest, highest) Python that every chosen release has wheels for; ResolutionError if none."""
    common = set(choices[0].pythons)
    for choice in choices[1:]:
        common &= set(choice.pythons)
    if not common:
        detail = "; ".join(
            f"{c.target.name}: torch {c.torch} ({c.pythons[0]}-{c.pythons[-1]})" for c in choices if c.pythons
        )
        raise ResolutionError(
            f"no Python version has torch wheels for every target ({detail})",
            hint="export the targets separately, or pin torch so that their Python ranges overlap",
        )
    return min(common), max(common)


def family_pins(choice: Choice, family: Sequence[Requirement], *, local: str | None) -> tuple[str, ...]:
    """`name==version[+local]` for each torch-family requirement at `choice.torch` (knowledge only)."""
    from torchsmith.knowledge.releases import companion_for

    pins: list[str] = []
    for req in family or (Requirement("torch"),):
        name = canonicalize_name(req.name)
        version = choice.torch if name == "torch" else companion_for(name, choice.torch)
        if version is None:
            raise ResolutionError(f"no `{name}` release pairs with torch {choice.torch}")
        suffix = f"+{local}" if local else ""
        pins.append(f"{name}=={version}{suffix}")
    return tuple(pins)
