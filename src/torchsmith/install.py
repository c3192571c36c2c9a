"""`torchsmith install`: plan, record what is there, install the exact pins, then verify.

The torch family is installed by direct URL with its sha256 (the installer refuses a file whose hash differs),
so only those files come from the backend index and everything else resolves from the default index. uv is
the default installer (the `uv` wheel is a dependency); `--installer pip` uses the target's own pip. Before
anything changes, the target's torch-family pins are written to a restore file; any failure says how to go
back with `torchsmith install --restore FILE` and whether torch was left half-replaced.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from torchsmith.backends import parse_backend
from torchsmith.errors import InstallError, UsageError
from torchsmith.index.settings import IndexSettings
from torchsmith.planning.commands import requirement_lines
from torchsmith.planning.model import Plan
from torchsmith.report import NullReporter, Reporter
from torchsmith.target import InstalledDist, TargetPython, find_uv, installed_family, resolve_target

__all__ = ["InstallResult", "install", "restore"]


@dataclass(frozen=True, slots=True)
class InstallResult:
    """What install did: the plan, the target, the restore file, and the verification's findings."""

    plan: Plan | None
    target: TargetPython
    restore_file: Path | None
    before: tuple[InstalledDist, ...]
    after: tuple[InstalledDist, ...] = ()
    dry_run: bool = False
    verification: Any = None
    messages: tuple[str, ...] = field(default_factory=tuple)

    @property
    def exit_code(self) -> int:
        return int(self.verification.exit_code) if self.verification is not None else 0

    def to_json(self) -> dict[str, Any]:
        return {
            "plan": self.plan.to_json() if self.plan else None,
            "target": self.target.to_json(),
            "restore_file": str(self.restore_file) if self.restore_file else None,
            "before": [d.to_json() for d in self.before],
            "after": [d.to_json() for d in self.after],
            "dry_run": self.dry_run,
            "verification": self.verification.to_json() if self.verification is not None else None,
            "messages": list(self.messages),
        }

    def summary(self) -> str:
        lines = list(self.messages)
        if self.after:
            lines.append("installed: " + ", ".join(f"{d.name} {d.version}" for d in self.after))
        if self.verification is not None:
            from torchsmith.doctor import render_text

            lines.append(render_text(self.verification))
        return "\n".join(lines)


def _snapshot(target: TargetPython, before: Sequence[InstalledDist], settings: IndexSettings) -> Path:
    """Write the current torch-family pins where `--restore` can find them; return the file."""
    folder = settings.cache_dir / "restore"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    path = folder / f"{stamp}.json"
    path.write_text(
        json.dumps({"python": target.executable, "packages": [d.to_json() for d in before]}, indent=2) + "\n",
        encoding="utf-8",
    )
    return path


def _installer_command(
    installer: str,
    target: TargetPython,
    requirements: Path,
    settings: IndexSettings,
    *,
    dry_run: bool,
    extra: Sequence[str] = (),
) -> list[str]:
    if installer == "uv":
        command = [
            find_uv(),
            "pip",
            "install",
            "--python",
            target.executable,
            "-r",
            str(requirements),
            "--default-index",
            settings.default_index,
        ]
    elif installer == "pip":
        command = [
            target.executable,
            "-m",
            "pip",
            "install",
            "-r",
            str(requirements),
            "--index-url",
            settings.default_index,
            "--disable-pip-version-check",
        ]
    else:
        raise UsageError(f"invalid value `{installer}` for `--installer`: expected `uv` or `pip`")
    command.extend(extra)
    if dry_run:
        command.append("--dry-run")
    return command


def _run(command: list[str], reporter: Reporter) -> tuple[int, str]:
    """Run the installer, streaming its output to the reporter; return (status, last lines).

    When the reporter has the user's terminal (`raw_terminal`), the installer runs on a pty there so its
    own progress bars show (torchsmith.ptyrun); otherwise its output is piped line by line."""
    env = dict(os.environ)
    env.pop("PIP_REQUIRE_VIRTUALENV", None)
    from torchsmith import ptyrun

    terminal = getattr(reporter, "raw_terminal", None)
    if terminal is not None and getattr(reporter, "terminal", False) and ptyrun.available():
        with terminal() as sink:
            if sink is not None:
                return ptyrun.run_on_terminal(command, env, sink)
    tail: list[str] = []
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env) as process:
        assert process.stdout is not None
        for raw in process.stdout:
            text = raw.decode(errors="replace").rstrip("\n")
            reporter.line(text)
            tail = [*tail[-19:], text]
    return process.returncode, "\n".join(tail)


_PREFIXES = ("error:", "cause:", "caused by:", "hash mismatch", "hashes are required", "×")


def _gist(output: str) -> str:
    """The installer's own words for what went wrong: its error lines, without box-drawing decoration."""
    lines = [line.strip(" \u2502\u251c\u2500\u25b6\u2570\u00d7\t") for line in output.splitlines()]
    wanted = [line for line in lines if line.lower().startswith(_PREFIXES)]
    chosen = wanted[:2] or [line for line in lines if line][-1:] or ["no output"]
    return " / ".join(chosen)


def _failure(
    what: str, output: str, restore_file: Path, before: Sequence[InstalledDist], now: Sequence[InstalledDist]
) -> InstallError:
    """The error for a failed installer run: its own words, and whether torch was left half-replaced."""
    if {(d.name, d.version) for d in before} != {(d.name, d.version) for d in now}:
        pins = ", ".join(f"{d.name} {d.version}" for d in now) or "none"
        state = f"the environment was changed: torch-family pins are now {pins}"
    else:
        state = "the environment is unchanged"
    return InstallError(
        f"{what}: {_gist(output)}; {state}",
        hint=f"go back with `torchsmith install --restore {restore_file}`",
    )


def _apply(
    packages: Sequence[str],
    extra: Sequence[str],
    *,
    installer: str,
    target: TargetPython,
    settings: IndexSettings,
    dry_run: bool,
    reporter: Reporter,
    restore_file: Path,
    before: Sequence[InstalledDist],
) -> None:
    with tempfile.TemporaryDirectory(prefix="torchsmith-") as scratch:
        requirements = Path(scratch) / "requirements.txt"
        requirements.write_text("\n".join(packages) + "\n", encoding="utf-8")
        command = _installer_command(installer, target, requirements, settings, dry_run=dry_run, extra=extra)
        reporter.step(" ".join(command[:3]) + f" ({len(packages)} requirements)")
        status, output = _run(command, reporter)
    if status != 0:
        raise _failure(
            f"{installer} failed with status {status}", output, restore_file, before, installed_family(target)
        )


def _report_plan(plan: Plan, reporter: Reporter) -> None:
    """What will be installed, from where, how big, and why: said before anything changes."""
    for package in plan.packages:
        size = f", {package.size / 1e6:.0f} MB" if package.size else ""
        reporter.step(f"{package.name} {package.version} from {package.index}{size}")
    for reason in plan.reasons:
        reporter.line(f"  why: {reason}")
    for warning in plan.warnings:
        reporter.warn(warning)


def install(
    requirements: Sequence[str] = ("torch",),
    *,
    backend: str = "auto",
    python: str | None = None,
    venv: str | None = None,
    installer: str = "uv",
    dry_run: bool = False,
    verify: bool = True,
    root: str | Path | None = None,
    settings: IndexSettings | None = None,
    reporter: Reporter | None = None,
) -> InstallResult:
    """Plan for the target interpreter, install the pins, verify; see the module docstring."""
    from torchsmith.machine import probe
    from torchsmith.machine.override import override_machine
    from torchsmith.planning.plan import make_plan
    from torchsmith.planning.requirements import parse_requirements

    reporter = reporter or NullReporter()
    settings = settings or IndexSettings.from_env(os.environ)
    target = resolve_target(python, venv, seed_pip=installer == "pip")
    machine = override_machine(probe(root=root), python=target.minor)
    reporter.step(f"planning for {target.executable} (Python {target.version})")
    plan = make_plan(requirements, machine=machine, backend=backend, settings=settings, reporter=reporter)
    if plan.offline or any(p.sha256 is None for p in plan.packages):
        raise InstallError(
            "cannot install without the index: the plan has no file names or hashes",
            hint="connect to the index (or unset `TORCHSMITH_OFFLINE`) and run it again",
        )
    _report_plan(plan, reporter)
    before = target.family
    restore_file = _snapshot(target, before, settings)
    lines = requirement_lines(plan.packages) + list(parse_requirements(requirements).others)
    _apply(
        lines,
        (),
        installer=installer,
        target=target,
        settings=settings,
        dry_run=dry_run,
        reporter=reporter,
        restore_file=restore_file,
        before=before,
    )
    messages = [
        f"backend {plan.backend}: " + ", ".join(p.pin for p in plan.packages),
        f"previous pins recorded in {restore_file}",
    ]
    if dry_run:
        return InstallResult(plan, target, restore_file, before, dry_run=True, messages=tuple(messages))
    # uv/pip succeeded, so the pins are installed exactly: no need to start the interpreter again.
    pinned = {p.name: InstalledDist(p.name, p.version, p.url) for p in plan.packages}
    after = tuple(pinned.get(d.name, d) for d in before) + tuple(
        d for name, d in pinned.items() if name not in {b.name for b in before}
    )
    report = None
    if verify:
        from torchsmith.doctor import diagnose

        reporter.step("verifying with torchsmith doctor")
        report = diagnose(python=target.executable, root=root, machine=machine, reporter=reporter)
        if report.exit_code != 0:
            messages.append(
                f"verification failed; go back with `torchsmith install --restore {restore_file}`"
            )
    return InstallResult(
        plan, target, restore_file, before, after, verification=report, messages=tuple(messages)
    )


def _restore_lines(
    packages: Sequence[dict[str, Any]], settings: IndexSettings
) -> tuple[list[str], list[str]]:
    """Requirement lines and extra index flags that reinstall recorded pins from their own backends."""
    lines: list[str] = []
    indexes: list[str] = []
    for row in packages:
        if row.get("url"):
            lines.append(f"{row['name']} @ {row['url']}")
            continue
        lines.append(f"{row['name']}=={row['version']}")
        label = str(row["version"]).partition("+")[2]
        if label:
            index = parse_backend(label, source="the restore file").index_url(settings.index_base)
            indexes.append(index)
    extra: list[str] = []
    for index in dict.fromkeys(indexes):
        extra += ["--extra-index-url", index]
    return lines, extra


def restore(
    file: Path,
    *,
    python: str | None = None,
    venv: str | None = None,
    installer: str = "uv",
    settings: IndexSettings | None = None,
    reporter: Reporter | None = None,
) -> InstallResult:
    """Put back the torch-family pins recorded in `file` (uninstalling ones that were not there)."""
    reporter = reporter or NullReporter()
    settings = settings or IndexSettings.from_env(os.environ)
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
        packages = list(data["packages"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise UsageError(f"cannot read restore file `{file}`: {error}") from error
    target = resolve_target(python or (None if venv else data.get("python")), venv)
    before = target.family
    recorded = {row["name"] for row in packages}
    extra_dists = [d.name for d in before if d.name not in recorded]
    if extra_dists:
        command = (
            [find_uv(), "pip", "uninstall", "--python", target.executable, *extra_dists]
            if installer == "uv"
            else [target.executable, "-m", "pip", "uninstall", "-y", *extra_dists]
        )
        status, output = _run(command, reporter)
        if status != 0:
            raise InstallError(f"cannot uninstall {', '.join(extra_dists)}: {_gist(output)}")
    if packages:
        lines, extra = _restore_lines(packages, settings)
        _apply(
            lines,
            extra,
            installer=installer,
            target=target,
            settings=settings,
            dry_run=False,
            reporter=reporter,
            restore_file=file,
            before=before,
        )
    after = installed_family(target)
    return InstallResult(
        None, target, file, before, after, messages=(f"restored the pins recorded in {file}",)
    )
