"""Split the user's PEP 508 requirements into the torch family (planned here) and the rest (left to PyPI).

`torchvision` alone implies `torch`: the pair must come from one backend, so torch is always planned.
A local version label in a pin (`torch==2.7.1+cu126`, `+cpu`, `+rocm6.4`, common in requirements files
written for PyTorch's indexes) is the user naming the backend: it is split off (`labels`), the pin matches
the public version, and the planner uses that backend, online and offline.
"""

from __future__ import annotations

from collections.abc import Sequence

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import Specifier, SpecifierSet
from packaging.utils import canonicalize_name

from torchsmith.errors import UsageError
from torchsmith.record import field, record

__all__ = ["FAMILY", "Requirements", "label_backend", "parse_pep508", "parse_requirements", "split_family"]

FAMILY = ("torch", "torchvision", "torchaudio")
"""The packages that must come from the chosen backend's index and pair exactly with each other."""


@record
class Requirements:
    """`family` maps each requested torch-family package to its specifier; `others` pass through to PyPI."""

    family: dict[str, SpecifierSet]
    others: tuple[str, ...]
    texts: tuple[str, ...]
    labels: dict[str, str] = field(default_factory=dict)

    def backend_label(self) -> str | None:
        """The one backend the local labels name (`cu126`), None without labels; UsageError if they differ."""
        names = set(self.labels.values())
        if len(names) > 1:
            pins = ", ".join(f"`{name}+{label}`" for name, label in self.labels.items())
            raise UsageError(
                f"the requirements name different backends in their local labels ({pins})",
                hint="use one label for the torch family (e.g. all `+cu126`), or drop the labels",
            )
        return next(iter(names), None)

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
    labels: dict[str, str] = {}
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
        specifier, label = _split_label(requirement.specifier)
        if label is not None:
            labels[name] = label
        family[name] = previous & specifier
    family.setdefault("torch", SpecifierSet())
    ordered = {name: family[name] for name in FAMILY if name in family}
    return Requirements(family=ordered, others=tuple(others), texts=tuple(texts or ("torch",)), labels=labels)


def _split_label(specifier: SpecifierSet) -> tuple[SpecifierSet, str | None]:
    """`==2.7.1+cu126` -> (`==2.7.1`, `cu126`); PEP 440 allows a local label only in `==`/`===`/`!=` pins."""
    label: str | None = None
    parts: list[str] = []
    for spec in specifier:
        version, plus, local = spec.version.partition("+")
        if plus and spec.operator in ("==", "==="):
            label = local.lower()
            parts.append(str(Specifier(f"=={version}")))
        else:
            parts.append(str(spec))
    return SpecifierSet(",".join(parts)), label


def label_backend(reqs: Requirements, backend: str) -> str:
    """`--backend`, or the backend a local label in the requirements names (`torch==2.7.1+cu126`)."""
    from torchsmith.backends import parse_backend
    from torchsmith.errors import InvalidBackend

    label = reqs.backend_label()
    if label is None:
        return backend
    try:
        named = parse_backend(label, source="the requirement's local label").name
    except InvalidBackend:
        return backend  # a build label (`+nv24.08`), not a backend: the version alone selects
    if backend not in ("auto", named):
        raise UsageError(
            f"`--backend {backend}` contradicts the local label `+{label}` in the requirements",
            hint=f"drop `--backend`, or pin without the label (e.g. `torch=={reqs.family['torch']}`)".replace(
                "====", "=="
            ),
        )
    return named
