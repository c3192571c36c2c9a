"""`distro.toml`: the members of a distribution, the cells to cover, and where the channel goes.

A distro (seed 004) is a set of packages built on torch that are integration-tested together and promoted into
one channel. The registry is the single place a team writes that set down: each member's source (a PyPI
requirement, a local path — a wheel, a folder of wheels or a project — or a git URL + ref), its test command,
its ABI class (`pure`, `exact-abi`, `stable-abi`), its maintainers; the torch versions × backends × Pythons to
cover; the channel's output directory. Parsed with `tomllib` (https://toml.io/en/v1.0.0); every problem is
collected and reported at once as one `DistroError` naming `distro.toml:LINE`.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from torchsmith.errors import TorchsmithError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = [
    "ABI_CLASSES",
    "TEMPLATE",
    "Distro",
    "DistroError",
    "InitResult",
    "Member",
    "Source",
    "init_distro",
    "load_distro",
]

AbiClass = Literal["pure", "exact-abi", "stable-abi"]
ABI_CLASSES: tuple[AbiClass, ...] = ("pure", "exact-abi", "stable-abi")
SourceKind = Literal["requirement", "path", "git"]

_TORCH_MINOR = re.compile(r"\d+\.\d+")
_PYTHON = re.compile(r"3\.\d+")
_BACKEND = re.compile(r"cpu|cu\d{3}|rocm\d+\.\d+|xpu")
_MEMBER_KEYS = {
    "name",
    "requirement",
    "path",
    "git",
    "ref",
    "test",
    "test-requires",
    "abi",
    "import",
    "maintainers",
    "requires",
    "required-tier",
    "prereleases",
}


class DistroError(TorchsmithError):
    """A `distro.toml` that cannot be used, or a distro operation that cannot proceed."""


@dataclass(frozen=True, slots=True)
class Source:
    """Where a member comes from: `requirement` (an index), `path` (local) or `git` (URL + `ref`)."""

    kind: SourceKind
    value: str
    ref: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "value": self.value, "ref": self.ref}


@dataclass(frozen=True, slots=True)
class Member:
    """One package of the distro."""

    name: str
    source: Source
    test: str | None
    abi: AbiClass
    test_requires: tuple[str, ...] = ()
    import_name: str = ""
    maintainers: tuple[str, ...] = ()
    requires: tuple[str, ...] | None = None
    """Declared `Requires-Dist` override (for git members, whose metadata needs a build)."""
    line: int = 0
    required_tier: int | None = None
    """The tier its promotion needs (None: the distro's `required-tier`, and 2 when it has a test)."""
    prereleases: bool = False
    """Whether a pre-release may be picked for it (installers' rule: only when asked for)."""

    @property
    def key(self) -> str:
        return canonicalize_name(self.name)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "source": self.source.to_json(),
            "test": self.test,
            "abi": self.abi,
            "test_requires": list(self.test_requires),
            "import": self.import_name,
            "maintainers": list(self.maintainers),
        }


@dataclass(frozen=True, slots=True)
class Distro:
    """A parsed `distro.toml`; relative paths are resolved against its folder."""

    path: Path
    name: str
    output: Path
    members: tuple[Member, ...]
    torch: tuple[str, ...]
    backends: tuple[str, ...]
    pythons: tuple[str, ...]
    index_url: str | None = None
    find_links: tuple[str, ...] = ()
    torch_wheels: Mapping[str, str] = field(default_factory=dict)
    """Cell id → a torch wheel (path or URL) used instead of the planned one (e.g. a local real build)."""
    required_tier: int = 1
    """`[distro] required-tier`: the least tier a member must pass in every cell to be promoted."""

    def tier_for(self, member: Member) -> int:
        """The tier `member`'s promotion needs: its own `required-tier`, else tier 2 when it has a test
        command (its tests are the proof), else the distro's `required-tier` (default 1)."""
        if member.required_tier is not None:
            return member.required_tier
        return max(self.required_tier, 2 if member.test else 0)

    @property
    def root(self) -> Path:
        return self.path.parent

    @property
    def results_dir(self) -> Path:
        return self.root / ".distro" / "results"

    def member(self, name: str) -> Member:
        key = canonicalize_name(name)
        for member in self.members:
            if member.key == key:
                return member
        known = ", ".join(f"`{m.name}`" for m in self.members)
        raise DistroError(f"no member `{name}` in `{self.path}`", hint=f"members: {known}")

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "name": self.name,
            "output": str(self.output),
            "members": [m.to_json() for m in self.members],
            "torch": list(self.torch),
            "backends": list(self.backends),
            "pythons": list(self.pythons),
        }


TEMPLATE = """\
# distro.toml: a set of packages built on torch, integration-tested together and promoted into one channel.
# `torchsmith distro test` tests every member in every cell (torch x backend x Python);
# `torchsmith distro promote` copies what passed (with its dependents) into the channel below.

[distro]
name = "my-distro"
output = "channel"                  # the PEP 503/691 index `promote` writes (relative to this file)
# required-tier = 1                 # least tier each member must pass in every cell (2 where it has a test)
# index-url = "https://pypi.org/simple"   # everything but torch (default: UV_INDEX_URL, else PyPI)
# find-links = ["wheelhouse"]             # extra folders of wheels (test tools)

[matrix]
torch = ["2.9", "2.11"]             # torch minor versions; each cell pins the newest patch release
backends = ["cpu", "cu126"]          # cpu, cuXYZ, rocmX.Y, xpu
pythons = ["3.11", "3.12"]

# [torch-wheels]                    # use a given torch wheel for one cell instead of the planned one
# "torch2.11-cpu-py3.11" = "/opt/wheels/torch-2.11.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl"

[[member]]
name = "my-pure-lib"
requirement = "my-pure-lib>=1.2"    # or: path = "dist/" (a wheel, a folder of wheels, or a project)
                                    # or: git = "https://github.com/org/repo", ref = "v1.2.0"
test = "python -m pytest -q tests"  # run in the cell's venv, from this file's folder
test-requires = ["pytest"]
abi = "pure"                        # pure | exact-abi (C++ against torch's ABI) | stable-abi
maintainers = ["someone@example.org"]
"""


def _member_lines(text: str) -> list[int]:
    """1-based line of each `[[member]]` header, in order (tomllib gives no positions)."""
    return [n for n, line in enumerate(text.splitlines(), 1) if line.strip().startswith("[[member]]")]


def _key_line(text: str, start: int, key: str) -> int:
    """The line of `key = ...` in the table whose header is line `start` (or `start` when not found)."""
    lines = text.splitlines()
    pattern = re.compile(rf"\s*\"?{re.escape(key)}\"?\s*=")
    for index in range(start, len(lines)):
        if lines[index].strip().startswith("["):
            break
        if pattern.match(lines[index]):
            return index + 1
    return start


def _table_line(text: str, table: str) -> int:
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip() == f"[{table}]":
            return number
    return 1


class _Problems:
    def __init__(self, path: Path, text: str) -> None:
        self.path, self.text, self.items = path, text, list[str]()

    def add(self, line: int, message: str) -> None:
        self.items.append(f"{self.path.name}:{line}: {message}")

    def raise_if_any(self) -> None:
        if self.items:
            first, *rest = self.items
            more = "\n".join(rest)
            raise DistroError(
                f"invalid `{self.path}`: {first}" + (f"\n{more}" if more else ""),
                hint="`torchsmith distro init` writes a commented example",
            )


def _strings(value: object) -> tuple[str, ...] | None:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    return None


def _member(raw: object, line: int, problems: _Problems) -> Member | None:
    if not isinstance(raw, dict):
        problems.add(line, "`[[member]]` must be a table")
        return None

    def at(key: str) -> int:
        return _key_line(problems.text, line, key)

    for key in sorted(set(raw) - _MEMBER_KEYS):
        problems.add(at(key), f"unknown key `{key}` in `[[member]]`")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.add(line, '`[[member]]` needs `name = "..."`')
        return None
    given = [k for k in ("requirement", "path", "git") if k in raw]
    if len(given) != 1:
        problems.add(line, f"member `{name}` needs exactly one of `requirement`, `path` or `git`")
        return None
    kind: SourceKind = given[0]  # type: ignore[assignment]
    value = raw[kind]
    if not isinstance(value, str) or not value:
        problems.add(at(kind), f"`{kind}` of member `{name}` must be a non-empty string")
        return None
    if kind == "requirement":
        try:
            req = Requirement(value)
        except InvalidRequirement as error:
            problems.add(at(kind), f"invalid requirement `{value}` of member `{name}`: {error}")
            return None
        if canonicalize_name(req.name) != canonicalize_name(name):
            problems.add(at(kind), f"requirement `{value}` names `{req.name}`, not member `{name}`")
    ref = raw.get("ref")
    if kind == "git" and not isinstance(ref, str):
        problems.add(at("git"), f'git member `{name}` needs `ref = "<tag or commit>"`')
    abi = raw.get("abi", "pure")
    if abi not in ABI_CLASSES:
        problems.add(
            at("abi"),
            f"invalid value `{abi}` for `abi` of member `{name}`: expected "
            "`pure`, `exact-abi` or `stable-abi`",
        )
        return None
    test = raw.get("test")
    if test is not None and not isinstance(test, str):
        problems.add(at("test"), f"`test` of member `{name}` must be a string (a shell command)")
        return None
    lists: dict[str, tuple[str, ...]] = {}
    for key in ("test-requires", "maintainers", "requires"):
        if key in raw:
            strings = _strings(raw[key])
            if strings is None:
                problems.add(at(key), f"`{key}` of member `{name}` must be a list of strings")
                return None
            lists[key] = strings
    import_name = raw.get("import", re.sub(r"[-.]+", "_", name).lower())
    tier = raw.get("required-tier")
    if tier is not None and (isinstance(tier, bool) or tier not in (0, 1, 2)):
        problems.add(at("required-tier"), f"`required-tier` of member `{name}` must be 0, 1 or 2")
        tier = None
    pre = raw.get("prereleases", False)
    if not isinstance(pre, bool):
        problems.add(at("prereleases"), f"`prereleases` of member `{name}` must be true or false")
        pre = False
    return Member(
        name=name,
        source=Source(kind, value, ref if isinstance(ref, str) else None),
        test=test,
        abi=abi,
        test_requires=lists.get("test-requires", ()),
        import_name=str(import_name),
        maintainers=lists.get("maintainers", ()),
        requires=lists.get("requires"),
        line=line,
        required_tier=tier,
        prereleases=pre,
    )


def _matrix(data: Mapping[str, Any], problems: _Problems) -> tuple[tuple[str, ...], ...]:
    matrix = data.get("matrix")
    line = _table_line(problems.text, "matrix")
    if not isinstance(matrix, dict):
        problems.add(line, "missing `[matrix]` table (torch, backends, pythons)")
        return (), (), ()
    out: list[tuple[str, ...]] = []
    for key, pattern, example in (
        ("torch", _TORCH_MINOR, "`2.9`"),
        ("backends", _BACKEND, "`cpu`, `cu126`, `rocm6.4`, `xpu`"),
        ("pythons", _PYTHON, "`3.11`"),
    ):
        values = _strings(matrix.get(key))
        if not values:
            problems.add(
                _key_line(problems.text, line, key), f"`matrix.{key}` must be a non-empty list of strings"
            )
            out.append(())
            continue
        for value in values:
            if not pattern.fullmatch(value):
                problems.add(
                    _key_line(problems.text, line, key),
                    f"invalid value `{value}` in `matrix.{key}`: expected {example}",
                )
        out.append(values)
    return tuple(out)


def load_distro(path: Path) -> Distro:
    """Parse and validate `path`; raise `DistroError` listing every problem with its `file:line`."""
    path = path.resolve()
    from torchsmith.fileio import read_user_text

    if not path.exists():
        raise DistroError(f"no distro file at `{path}`", hint="`torchsmith distro init` writes one")
    text = read_user_text(path, what="distro file")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise DistroError(f"invalid TOML in `{path}`: {error}") from error
    problems = _Problems(path, text)
    for key in sorted(set(data) - {"distro", "matrix", "member", "torch-wheels"}):
        problems.add(_table_line(text, key), f"unknown table `{key}`")
    head = data.get("distro", {})
    head_line = _table_line(text, "distro")
    if not isinstance(head, dict):
        problems.add(head_line, "`distro` must be a table")
        head = {}
    name = head.get("name", path.parent.name)
    output = head.get("output", "channel")
    if not isinstance(output, str):
        problems.add(_key_line(text, head_line, "output"), "`distro.output` must be a path string")
        output = "channel"
    find_links = _strings(head.get("find-links", [])) or ()
    required_tier = head.get("required-tier", 1)
    if isinstance(required_tier, bool) or required_tier not in (0, 1, 2):
        problems.add(_key_line(text, head_line, "required-tier"), "`distro.required-tier` must be 0, 1 or 2")
        required_tier = 1
    index_url = head.get("index-url")
    torch, backends, pythons = _matrix(data, problems)
    lines = _member_lines(text)
    raw_members = data.get("member", [])
    members: list[Member] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(raw_members if isinstance(raw_members, list) else []):
        line = lines[number] if number < len(lines) else 1
        member = _member(raw, line, problems)
        if member is None:
            continue
        if member.key in seen:
            problems.add(line, f"member `{member.name}` is listed twice (first at line {seen[member.key]})")
            continue
        seen[member.key] = line
        members.append(member)
    if not raw_members:
        problems.add(1, "no `[[member]]` tables: a distro needs at least one member")
    wheels = data.get("torch-wheels", {})
    if not isinstance(wheels, dict) or not all(isinstance(v, str) for v in wheels.values()):
        problems.add(
            _table_line(text, "torch-wheels"), "`[torch-wheels]` maps cell ids to wheel paths or URLs"
        )
        wheels = {}
    problems.raise_if_any()
    root = path.parent
    return Distro(
        path=path,
        name=str(name),
        output=(root / output).resolve(),
        members=tuple(members),
        torch=torch,
        backends=backends,
        pythons=pythons,
        index_url=str(index_url) if isinstance(index_url, str) else None,
        find_links=tuple(str((root / link).resolve()) if "://" not in link else link for link in find_links),
        torch_wheels={str(k): _local_or_url(root, str(v)) for k, v in wheels.items()},
        required_tier=int(required_tier),
    )


def _local_or_url(root: Path, value: str) -> str:
    return value if "://" in value else str((root / value).resolve())


@dataclass(frozen=True, slots=True)
class InitResult:
    """What `distro init` wrote."""

    path: Path
    written: bool

    @property
    def exit_code(self) -> int:
        return 0

    def to_json(self) -> dict[str, Any]:
        return {"path": str(self.path), "written": self.written}

    def summary(self) -> str:
        if self.written:
            return f"wrote {self.path}: edit the members and the matrix, then `torchsmith distro test`"
        return f"{self.path} already exists; left as is"


def init_distro(*, path: Path, force: bool = False) -> InitResult:
    """Write the commented `TEMPLATE` to `path` unless a file is there (or `force`); the template parses."""
    if path.is_dir():
        path = path / "distro.toml"
    if path.exists() and not force:
        raise DistroError(f"`{path}` already exists", hint="pass `--force` to overwrite it")
    from torchsmith.fileio import atomic_write_text

    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, TEMPLATE)
    return InitResult(path=path, written=True)
