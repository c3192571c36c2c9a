"""Version constraints of Poetry and conda, turned into PEP 440 `SpecifierSet`s; conda match specs.

Poetry writes `^2.5`, `~0.20.1`, `2.5.*` and `>=2.5 <3` (https://python-poetry.org/docs/dependency-specification/);
conda writes `2.5.*`, `>=2.5,<3`, `=2.5` (fuzzy) and `pytorch=2.5.1=cuda*` match specs
(https://docs.conda.io/projects/conda/en/latest/user-guide/concepts/pkg-specs.html). Rules compare
versions through `SpecifierSet`, so every dialect is translated here once. A constraint that has no PEP 440
equivalent (an `||` / `|` union, a non-PEP 440 version) gives `None`, which the rules read as "unknown"
and skip: a linter that guesses is worse than one that stays silent.
"""

from __future__ import annotations

import re

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from torchsmith.lazy_re import lazy
from torchsmith.record import record

__all__ = ["MatchSpec", "any_version", "conda_spec", "parse_match_spec", "poetry_spec", "strip_local"]

_OPERATOR = lazy(r"^(===|==|!=|~=|<=|>=|<|>|=)?\s*(.*)$")
_NAME = lazy(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*")


def any_version() -> SpecifierSet:
    return SpecifierSet()


def strip_local(version: Version) -> Version:
    """`2.5.1+cu124` -> `2.5.1`: pairings are between public versions."""
    return Version(version.public)


def _release(text: str) -> list[int] | None:
    try:
        return list(Version(text).release)
    except InvalidVersion:
        return None


def _caret(text: str) -> str | None:
    """`^1.2.3` -> `>=1.2.3,<2.0.0`; the first non-zero component is the one that may not change."""
    parts = _release(text)
    if parts is None:
        return None
    upper: list[int] = []
    for index, part in enumerate(parts):
        if part != 0 or index == len(parts) - 1:
            upper = [*parts[:index], part + 1]
            break
    return f">={text},<{'.'.join(map(str, upper))}"


def _tilde(text: str) -> str | None:
    """`~1.2.3` -> `>=1.2.3,<1.3.0`; `~1` -> `>=1,<2`."""
    parts = _release(text)
    if parts is None:
        return None
    upper = [parts[0] + 1] if len(parts) == 1 else [parts[0], parts[1] + 1]
    return f">={text},<{'.'.join(map(str, upper))}"


def _to_specifier(items: list[str]) -> SpecifierSet | None:
    try:
        return SpecifierSet(",".join(items))
    except InvalidSpecifier:
        return None


def poetry_spec(constraint: str) -> SpecifierSet | None:
    """Translate a Poetry version constraint; `None` for unions (`||`) or junk."""
    text = constraint.strip()
    if "||" in text or "|" in text:
        return None
    if text in ("", "*"):
        return any_version()
    items: list[str] = []
    for raw in re.split(r"\s*,\s*|\s+(?=[<>=!~^])", text):
        token = raw.replace(" ", "")
        if not token or token == "*":
            continue
        if token.startswith("^"):
            converted = _caret(token[1:])
        elif token.startswith("~") and not token.startswith("~="):
            converted = _tilde(token[1:])
        elif token[0].isdigit():
            converted = f"=={token}"
        else:
            converted = token
        if converted is None:
            return None
        items.append(converted)
    return _to_specifier(items)


def conda_spec(constraint: str, *, fuzzy_equals: bool = False) -> SpecifierSet | None:
    """Translate a conda version constraint (`2.5.*`, `>=2.5,<3`, `2.5.1`); `None` for `|` unions or junk.

    A bare version means exactly that version (rattler, pixi; `pytorch 2.5.1` in a match spec); `=2.5`
    (from `pytorch=2.5`) and, with `fuzzy_equals`, a bare version mean `2.5.*` (conda's fuzzy match).
    """
    text = constraint.strip()
    if "|" in text:
        return None
    if text in ("", "*"):
        return any_version()
    items: list[str] = []
    for raw in text.split(","):
        token = raw.strip()
        if not token or token == "*":
            continue
        match = _OPERATOR.match(token)
        if match is None:  # pragma: no cover - the pattern matches any text
            return None
        operator, version = match.group(1) or "", match.group(2).strip()
        if operator == "=" or (not operator and fuzzy_equals):
            version = version.rstrip("*").rstrip(".")
            items.append(f"=={version}.*" if version else "")
        elif not operator:
            items.append(f"=={version}")
        else:
            if version.endswith("*") and operator not in ("==", "!="):
                version = version.rstrip("*").rstrip(".")
            items.append(f"{operator}{version}")
    return _to_specifier([item for item in items if item])


@record
class MatchSpec:
    """One conda match spec as written in environment.yml or on a conda command line."""

    name: str
    channel: str | None
    version: str
    build: str | None

    def specifier(self) -> SpecifierSet | None:
        return conda_spec(self.version) if self.version else any_version()


def parse_match_spec(text: str) -> MatchSpec | None:
    """Parse `conda-forge::pytorch=2.5.1=cuda*`, `pytorch 2.5.1 cuda*`, `pytorch[version='>=2.5']`."""
    spec = text.strip()
    channel: str | None = None
    if "::" in spec:
        channel, spec = spec.split("::", 1)
        channel = channel.strip() or None
    match = _NAME.match(spec)
    if not match:
        return None
    name = match.group().lower()
    rest = spec[match.end() :].strip()
    build: str | None = None
    version = ""
    if rest.startswith("["):
        for key, _, value in re.findall(r"(\w+)\s*=\s*(['\"]?)([^,'\"\]]*)\2", rest):
            if key == "version":
                version = value.strip()
            elif key == "build":
                build = value.strip()
    elif rest.startswith("=") and not rest.startswith("=="):
        parts = rest[1:].split("=", 1)
        version = parts[0].strip()
        build = parts[1].strip() if len(parts) > 1 else None
        version = f"={version}" if version else ""
    elif rest:
        pieces = rest.split()
        version = pieces[0]
        build = pieces[1] if len(pieces) > 1 else None
    return MatchSpec(name=name, channel=channel, version=version, build=build)
