"""Split the user's PEP 508 requirements into the torch family (planned here) and the rest (left to PyPI).

`torchvision` alone implies `torch`: the pair must come from one backend, so torch is always planned.
A local version label in a pin (`torch==2.7.1+cu126`, `+cpu`, `+rocm6.4`, common in requirements files
written for PyTorch's indexes) is the user naming the backend: it is split off (`labels`), the pin matches
the public version, and the planner uses that backend, online and offline.
"""

from __future__ import annotations

from collections.abc import Sequence

from packaging.specifiers import InvalidSpecifier, Specifier, SpecifierSet

from torchsmith.errors import UsageError
from torchsmith.lazy_re import lazy
from torchsmith.names import canonicalize_name
from torchsmith.record import field, record

TYPE_CHECKING = False  # `typing` stays unloaded at start-up (issue 17); mypy reads the name as typing's
if TYPE_CHECKING:
    from packaging.requirements import Requirement

__all__ = [
    "FAMILY",
    "Named",
    "Requirements",
    "label_backend",
    "parse_named",
    "parse_pep508",
    "parse_requirements",
    "split_family",
]

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
    from packaging.requirements import InvalidRequirement, Requirement

    parsed: list[Requirement] = []
    for text in texts or ("torch",):
        try:
            parsed.append(Requirement(text))
        except InvalidRequirement as error:
            raise UsageError(f"invalid requirement `{text}`: {error}") from error
    return tuple(parsed)


@record
class Named:
    """What planning reads of one requirement: its name, URL (`name @ url`) and version specifier."""

    name: str
    url: str | None
    specifier: SpecifierSet


_NAME = lazy(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?")
_EXTRA = lazy(r"\s*[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?\s*\Z")


def parse_named(text: str) -> Named:
    """One PEP 508 requirement; `UsageError` naming it when it is invalid.

    The common forms (`torch`, `torchvision>=0.20`, `torch[opt] (==2.7.1+cu126)`: a name, extras and version
    specifiers) are read here; anything else (markers after `;`, `name @ url`, or whatever this reading is
    not sure of) goes to `packaging.requirements`, whose import (with its markers, tokenizer, `packaging.tags`
    and `dataclasses`) is a fifth of a warm plan's start-up. `tests/plan/test_requirement_reading.py` holds
    both readings to the same answers. Read step by step, not with one pattern: the text may come from an
    index's metadata, and a pattern with nested repetition can take quadratic time on hostile input."""
    simple = _read_simple(text)
    if simple is not None:
        return simple
    (requirement,) = parse_pep508([text])
    return Named(name=requirement.name, url=requirement.url, specifier=requirement.specifier)


def _read_simple(text: str) -> Named | None:
    """`name [extras] specifiers` read directly; None whenever packaging must decide."""
    stripped = text.strip()
    if ";" in stripped or "@" in stripped:
        return None
    name = _NAME.match(stripped)
    if name is None:
        return None
    rest = stripped[name.end() :].lstrip()
    if rest.startswith("["):
        close = rest.find("]")
        extras = rest[1:close] if close > 0 else None
        if extras is None or (extras.strip() and not all(_EXTRA.match(e) for e in extras.split(","))):
            return None
        rest = rest[close + 1 :].lstrip()
    if rest.startswith("(") and rest.endswith(")"):
        rest = rest[1:-1]
    if any(c in rest for c in "[]()") or (rest.strip() and not all(i.strip() for i in rest.split(","))):
        return None  # SpecifierSet would skip an empty item that PEP 508 refuses
    try:
        return Named(name=name.group(), url=None, specifier=SpecifierSet(rest))
    except InvalidSpecifier:
        return None  # packaging words the error


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
    for text in texts or ("torch",):
        requirement = parse_named(text)
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
