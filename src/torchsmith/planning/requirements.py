"""Split the user's PEP 508 requirements into the torch family (planned here) and the rest (left to PyPI).

`torchvision` alone implies `torch`: the pair must come from one backend, so torch is always planned.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from torchsmith.errors import UsageError

__all__ = ["FAMILY", "Requirements", "parse_pep508", "parse_requirements", "split_family"]

FAMILY = ("torch", "torchvision", "torchaudio")
"""The packages that must come from the chosen backend's index and pair exactly with each other."""


@dataclass(frozen=True, slots=True)
class Requirements:
    """`family` maps each requested torch-family package to its specifier; `others` pass through to PyPI."""

    family: dict[str, SpecifierSet]
    others: tuple[str, ...]
    texts: tuple[str, ...]

    def spec_text(self, name: str) -> str:
        spec = self.family.get(name)
        return f"{name}{spec}" if spec else name


def parse_pep508(texts: Sequence[str]) -> tuple[Requirement, ...]:
    """Parse PEP 508 requirement strings (default `torch`); raise `UsageError` naming the bad one."""
    parsed: list[Requirement] = []
    for text in texts or ("torch",):
        try:
            parsed.append(Requirement(text))
        except InvalidRequirement as error:
            raise UsageError(f"invalid requirement `{text}`: {error}") from error
    return tuple(parsed)


def split_family(
    requirements: Sequence[Requirement],
) -> tuple[tuple[Requirement, ...], tuple[Requirement, ...]]:
    """(torch-family requirements, the others): only the family is chosen per backend."""
    family = tuple(r for r in requirements if canonicalize_name(r.name) in FAMILY)
    return family, tuple(r for r in requirements if canonicalize_name(r.name) not in FAMILY)


def parse_requirements(texts: Sequence[str]) -> Requirements:
    """Parse and split; raise `UsageError` naming the bad requirement."""
    family: dict[str, SpecifierSet] = {}
    others: list[str] = []
    for text, requirement in zip(texts or ("torch",), parse_pep508(texts), strict=True):
        name = canonicalize_name(requirement.name)
        if name not in FAMILY:
            others.append(text)
            continue
        if requirement.url:
            raise UsageError(
                f"`{text}` pins a URL; torchsmith chooses the torch family's files itself",
                hint=f"ask for `{name}` with a version specifier instead (e.g. `{name}>=2.5`)",
            )
        previous = family.get(name, SpecifierSet())
        family[name] = previous & requirement.specifier
    family.setdefault("torch", SpecifierSet())
    ordered = {name: family[name] for name in FAMILY if name in family}
    return Requirements(family=ordered, others=tuple(others), texts=tuple(texts or ("torch",)))
