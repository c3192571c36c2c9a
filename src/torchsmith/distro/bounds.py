"""`distro bounds`: the torch bound each member declares, checked against the policy for its ABI class.

Policy (seed 004 and issue 7):
- `pure` (Python only): a lower bound, and an upper bound only where tests fail: a cap without a failing
  test forces needless releases whenever torch ships, and a missing cap where tests fail lets users install
  a broken pair.
- `exact-abi` (C++/CUDA built against torch's ABI, e.g. xformers 0.0.28.post3 requires `torch==2.5.1`,
  torch-scatter declares nothing): `torch==X.Y.*`, the release it was built against; declaring nothing, or
  a range, lets a torch in that the binary was never built for. A patch pin works but makes every torch
  bugfix release need a rebuild ("a bugfix release of PyTorch does not require any new downstream package
  releases").
- `stable-abi` (built on torch's stable ABI): `torch>=<build version>` plus the CUDA major of the build
  (a `nvidia-*-cuNN` requirement or a `+cuXYZ` local version).
Test results, when there are any, say which torch versions passed or failed for each member.

A member with no torch requirement and no compiled torch extension is torch-agnostic (einops, a pure
helper): nothing to bound, not a violation. A wheel's binaries are looked at to tell: a shared object that
names `libtorch`/`libc10` or carries `c10::`/`at::` symbols is a torch extension, and a member declared
`pure` that ships one is misclassified. An extension build is compared against the torch it was built for,
read from its local version label (`+pt25cu124` as torch-scatter's wheels, `+torch2.9`): an exact-ABI
build must pin that release, a stable-ABI build must not admit an older one.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from torchsmith.distro.graph import MemberInfo, resolve_members
from torchsmith.distro.registry import Distro, Member, load_distro
from torchsmith.distro.results import TestRun, load_results
from torchsmith.index.settings import IndexSettings
from torchsmith.report import NullReporter, Reporter

__all__ = ["BoundRow", "BoundsReport", "Problem", "check_bounds", "check_member"]

Severity = Literal["violation", "warning"]
_CUDA_REQ = re.compile(r"nvidia-[a-z0-9-]+-cu(\d+)", re.IGNORECASE)
_LOWER = (">=", ">", "==", "~=", "===")
_UPPER = ("<", "<=", "==", "~=", "===")


@dataclass(frozen=True, slots=True)
class Problem:
    severity: Severity
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"severity": self.severity, "message": self.message}


@dataclass(frozen=True, slots=True)
class BoundRow:
    """One member: what it declares on torch, what the policy recommends, and what is wrong."""

    member: str
    abi: str
    declared: str | None
    recommended: str
    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return not any(p.severity == "violation" for p in self.problems)

    def to_json(self) -> dict[str, Any]:
        return {
            "member": self.member,
            "abi": self.abi,
            "declared": self.declared,
            "recommended": self.recommended,
            "ok": self.ok,
            "problems": [p.to_json() for p in self.problems],
        }


@dataclass(frozen=True, slots=True)
class BoundsReport:
    rows: tuple[BoundRow, ...]

    @property
    def exit_code(self) -> int:
        return 0 if all(r.ok for r in self.rows) else 1

    def to_json(self) -> dict[str, Any]:
        return {"members": [r.to_json() for r in self.rows]}

    def summary(self) -> str:
        lines = []
        for row in self.rows:
            declared = f"torch{row.declared}" if row.declared is not None else "(no torch requirement)"
            lines.append(f"{row.member} [{row.abi}]: declares {declared}; policy: {row.recommended}")
            lines += [f"  {p.severity}: {p.message}" for p in row.problems]
        return "\n".join(lines)


_BUILT_FOR = re.compile(r"(?:pt|torch)(\d)\.?(\d{1,2})(?!\d)")
_TORCH_SYMBOLS = (b"libtorch", b"libc10", b"_ZN3c10", b"_ZN2at")


def torch_extension(info: MemberInfo) -> bool | None:
    """Whether the member's wheel holds a compiled torch extension; None when it cannot be told (an index
    member with platform-specific wheels, which are not downloaded for this)."""
    if info.wheel is not None:
        import zipfile

        try:
            with zipfile.ZipFile(info.wheel) as archive:
                for name in archive.namelist():
                    if name.endswith((".so", ".pyd", ".dylib")) or ".so." in name:
                        data = archive.read(name)
                        if any(symbol in data for symbol in _TORCH_SYMBOLS):
                            return True
        except (zipfile.BadZipFile, OSError):
            return None
        return False
    if info.filename and info.filename.endswith(".whl"):
        from packaging.utils import parse_wheel_filename

        tags = parse_wheel_filename(info.filename)[3]
        if all(t.abi == "none" and t.platform == "any" for t in tags):
            return False
    return None


def built_for(info: MemberInfo) -> str | None:
    """The torch minor an extension build was made for, from its local version label (`+pt25cu124`)."""
    try:
        local = Version(info.version).local
    except ValueError:
        return None
    match = _BUILT_FOR.search(local or "")
    return f"{match[1]}.{int(match[2])}" if match else None


def _minor(version: Version) -> str:
    return f"{version.major}.{version.minor}"


def _tested(run: TestRun | None, member: str) -> tuple[dict[str, Version], set[str]]:
    """(minor → a tested torch version where `member` passed everywhere it ran, minors where it failed)."""
    passed: dict[str, Version] = {}
    failed: set[str] = set()
    if run is None:
        return passed, failed
    for cell in run.cells:
        outcome = cell.outcome(member)
        if cell.torch is None or outcome is None:
            continue
        version = Version(Version(cell.torch).public)
        if outcome.status == "fail":
            failed.add(_minor(version))
        elif outcome.status in ("pass", "flaky"):
            passed[_minor(version)] = version
    return {m: v for m, v in passed.items() if m not in failed}, failed


def _probe(minor: str, passed: dict[str, Version]) -> Version:
    return passed.get(minor, Version(f"{minor}.0"))


def check_member(
    member: Member, info: MemberInfo, matrix: Sequence[str], run: TestRun | None = None
) -> BoundRow:
    """Apply the policy of `member.abi` to the torch requirement in `info` (pure: no I/O)."""
    declared = info.torch_specifier()
    spec = SpecifierSet(declared or "")
    ops = {s.operator for s in spec}
    minors = sorted(matrix, key=Version)
    passed, failed = _tested(run, member.key)
    low = min(passed, key=Version) if passed else minors[0]
    problems: list[Problem] = []
    extension = torch_extension(info)
    if member.abi == "pure" and declared is None and extension is False:
        return BoundRow(member.key, member.abi, None, "none (torch-agnostic)", ())
    if member.abi == "pure" and extension:
        problems.append(
            Problem(
                "violation",
                "declared `pure` but its wheel ships a compiled torch extension: "
                'declare `abi = "exact-abi"` or `"stable-abi"`',
            )
        )
    if member.abi == "pure" and declared is None and extension is None:
        problems.append(
            Problem(
                "warning",
                "declares no torch requirement; whether it ships a compiled torch extension is unknown "
                "(its wheel was not inspected)",
            )
        )
        return BoundRow(member.key, member.abi, None, "none if torch-agnostic", tuple(problems))
    made_for = built_for(info) if member.abi != "pure" else None
    if member.abi == "pure":
        recommended = f"torch>={low}" + (f",<{min(failed, key=Version)}" if failed else "")
        if declared is None:
            problems.append(
                Problem(
                    "violation",
                    "declares no torch requirement; a pure member states the "
                    f"oldest torch it supports (`torch>={low}`)",
                )
            )
        elif not ops & set(_LOWER):
            problems.append(
                Problem("violation", f"`torch{declared}` has no lower bound (policy: `torch>={low}`)")
            )
        for minor in sorted(failed, key=Version):
            if spec.contains(Version(f"{minor}.0")) or any(
                spec.contains(v) for m, v in passed.items() if m == minor
            ):
                problems.append(
                    Problem("violation", f"allows torch {minor}, where its tests fail; add `<{minor}`")
                )
        if declared is not None and ops & {"<", "<="}:
            excluded = [m for m, v in passed.items() if not spec.contains(v)]
            if excluded:
                problems.append(
                    Problem(
                        "violation",
                        f"upper bound excludes torch {', '.join(excluded)}, where "
                        "its tests pass; cap only where tests fail",
                    )
                )
            elif not failed:
                problems.append(Problem("warning", "upper bound without a failing test (run `distro test`)"))
    elif member.abi == "exact-abi":
        pinned = _built_minor(spec, minors)
        build = made_for or pinned or low
        if made_for and pinned and pinned != made_for:
            problems.append(
                Problem(
                    "violation",
                    f"built for torch {made_for} (version `{info.version}`) but declares "
                    f"`torch{declared}`: it would load into a torch it was not built against",
                )
            )
        recommended = f"torch=={build}.*"
        if declared is None or not declared:
            problems.append(
                Problem(
                    "violation",
                    "declares no torch pin; an exact-ABI build runs only with the "
                    f"torch it was built against (`torch=={build}.*`)",
                )
            )
        else:
            admitted = [m for m in minors if spec.contains(_probe(m, passed))]
            nxt = Version(minors[-1])
            beyond = Version(f"{nxt.major}.{nxt.minor + 1}.0")
            if len(admitted) > 1 or spec.contains(beyond):
                extra = [m for m in admitted if m != build] + (
                    [_minor(beyond)] if spec.contains(beyond) else []
                )
                problems.append(
                    Problem(
                        "violation",
                        f"`torch{declared}` lets torch {', '.join(extra)} in, which "
                        f"this build was not made for (policy: `torch=={build}.*`)",
                    )
                )
            elif any(
                s.operator == "==" and "*" not in s.version and len(Version(s.version).release) > 2
                for s in spec
            ):
                problems.append(
                    Problem(
                        "warning",
                        f"`torch{declared}` pins a patch release, so every torch bugfix "
                        f"release needs a new build; `torch=={build}.*` is enough",
                    )
                )
    else:
        low = made_for or low
        recommended = f"torch>={low} + CUDA major of the build"
        older = Version(f"{low}.0")
        if (
            made_for
            and declared is not None
            and ops & set(_LOWER)
            and spec.contains(Version(f"{older.major}.{older.minor - 1}.99") if older.minor else Version("0"))
        ):
            problems.append(
                Problem(
                    "violation",
                    f"built for torch {made_for} but `torch{declared}` admits an older torch "
                    f"(policy: `torch>={made_for}`)",
                )
            )
        if declared is None or not ops & set(_LOWER):
            problems.append(
                Problem(
                    "violation", f"a stable-ABI build needs `torch>=<build version>` (e.g. `torch>={low}`)"
                )
            )
        cuda = [m.group(1) for r in info.requires if (m := _CUDA_REQ.search(r))]
        local = Version(info.version).local if info.version else None
        if not cuda and not (local and (re.search(r"cu\d{2,3}", local) or local == "cpu")):
            problems.append(
                Problem(
                    "violation",
                    "does not state the CUDA major it was built for (a "
                    "`nvidia-cuda-runtime-cuNN` requirement or a `+cuXYZ` build)",
                )
            )
    return BoundRow(member.key, member.abi, declared, recommended, tuple(problems))


def _built_minor(spec: SpecifierSet, minors: Sequence[str]) -> str | None:
    for s in spec:
        if s.operator == "==":
            release = Version(s.version.rstrip(".*")).release
            return f"{release[0]}.{release[1] if len(release) > 1 else 0}"
    return None


def check_bounds(
    *,
    distro_path: Path,
    results: Sequence[Path] = (),
    settings: IndexSettings | None = None,
    reporter: Reporter | None = None,
) -> BoundsReport:
    """Check every member's declared torch bound; test results (given, or found in the distro's results
    folder) tell where tests pass and fail. Exit code 1 when any member violates the policy."""
    distro: Distro = load_distro(distro_path)
    settings = settings or IndexSettings.from_env(os.environ)
    infos = resolve_members(distro, settings=settings, reporter=reporter or NullReporter())
    files = list(results) or sorted(distro.results_dir.glob("*.json"))
    run = load_results(files) if files else None
    rows = tuple(check_member(m, infos[m.key], distro.torch, run) for m in distro.members)
    return BoundsReport(rows)
