"""`torchsmith install`: plan, record what is there, install the exact pins, then verify.

The torch family is installed by direct URL with its sha256 (the installer refuses a file whose hash differs),
so only those files come from the backend index and everything else resolves from the default index. uv is
the default installer (the `uv` wheel is a dependency); `--installer pip` uses the target's own pip. Before
anything changes, the target's torch-family pins are written to a restore file; any failure says how to go
back with `torchsmith install --restore FILE` and whether torch was left half-replaced.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from torchsmith.errors import InstallError, UsageError
from torchsmith.index.settings import IndexSettings, installer_environment
from torchsmith.record import record
from torchsmith.report import NullReporter, Reporter
from torchsmith.target import (
    InstalledDist,
    TargetPython,
    find_uv,
    installed_family,
    resolve_target,
    venv_python,
)

TYPE_CHECKING = False  # `typing` and `dataclasses` stay off install's start-up (issue 17)
if TYPE_CHECKING:
    from typing import Any

    from torchsmith.planning.model import Plan
    from torchsmith.restore_record import RestorePin

__all__ = ["InstallResult", "install", "restore"]


@record
class InstallResult:
    """What install did: the plan, the target, the restore file, and the verification's findings."""

    plan: Plan | None
    target: TargetPython
    restore_file: Path | None
    before: tuple[InstalledDist, ...]
    after: tuple[InstalledDist, ...] = ()
    dry_run: bool = False
    verification: Any = None
    messages: tuple[str, ...] = ()

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
    """Write the current torch-family pins where `--restore` can find them (atomically); return the file."""
    import datetime as _dt
    import json

    from torchsmith.fileio import UserFileError, atomic_write_text, describe_os_error
    from torchsmith.restore_record import RestoreRecord, pin_from_installed

    folder = settings.cache_dir / "restore"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserFileError(
            f"cannot create the restore folder `{folder}`: {describe_os_error(error)}; nothing was changed",
            hint="point `TORCHSMITH_CACHE_DIR` at a writable folder",
        ) from error
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    path = folder / f"{stamp}.json"
    pins = [pin_from_installed(d.name, d.version, d.url) for d in before]
    record = RestoreRecord(target.executable, tuple(p for p in pins if p is not None))
    atomic_write_text(path, json.dumps(record.to_json(), indent=2) + "\n")
    return path


def _installer_command(
    installer: str,
    target: TargetPython,
    requirements: Sequence[str],
    settings: IndexSettings,
    *,
    dry_run: bool,
    extra: Sequence[str] = (),
) -> list[str]:
    """The installer's command line, what a user would type and nothing more: `uv pip install --python PY
    -- 'torch @ URL#sha256=...'`. The default index, credentials and TLS settings travel in the
    environment (`installer_environment`); the requirements follow `--`, so none is read as an option."""
    if installer == "uv":
        command = [find_uv(), "pip", "install", "--python", target.executable]
        if settings.offline:
            command.append("--offline")  # `TORCHSMITH_OFFLINE`: files come from uv's cache only
    elif installer == "pip":
        command = [target.executable, "-m", "pip", "install", "--disable-pip-version-check"]
    else:
        raise UsageError(f"invalid value `{installer}` for `--installer`: expected `uv` or `pip`")
    command.extend(extra)
    if dry_run:
        command.append("--dry-run")
    return [*command, "--", *requirements]


def _uninstall_command(installer: str, target: TargetPython, names: Sequence[str]) -> list[str]:
    """Uninstall validated names; they follow `--`, so none can ever be read as an option."""
    if installer == "uv":
        return [find_uv(), "pip", "uninstall", "--python", target.executable, "--", *names]
    return [target.executable, "-m", "pip", "uninstall", "-y", "--disable-pip-version-check", "--", *names]


def _run(
    command: list[str],
    reporter: Reporter,
    *,
    timeout: float | None = None,
    base: dict[str, str] | None = None,
) -> tuple[int, str]:
    """Run the installer in its own process group, streaming its output to the reporter; return (status,
    last lines). When the reporter has the user's terminal (`raw_terminal`), the installer runs on a pty
    there (torchsmith.ptyrun). A timeout kills the whole group (status 124, as `timeout` reports it).
    `base` is the environment to start from (the installer environment: indexes, credentials, TLS)."""
    from torchsmith.children import run_streaming

    env = dict(os.environ if base is None else base)
    env.pop("PIP_REQUIRE_VIRTUALENV", None)
    from torchsmith import ptyrun

    # With the user's terminal at hand (and no deadline to keep) the installer runs on a pty there, so its
    # own progress bars show; it is still the leader of a registered process group (children.spawn).
    terminal = getattr(reporter, "raw_terminal", None)
    on_terminal = getattr(reporter, "terminal", False) and ptyrun.available()
    if timeout is None and terminal is not None and on_terminal:
        with terminal() as sink:
            if sink is not None:
                return ptyrun.run_on_terminal(command, env, sink)
    try:
        status, lines = run_streaming(command, reporter.line, env=env, timeout=timeout)
    except OSError as error:
        raise InstallError(f"cannot run `{command[0]}`: {error.strerror or error}") from error
    if status is None:
        lines.append(f"error: {Path(command[0]).name} did not finish within {timeout:g} s (stopped)")
        status = 124
    return status, "\n".join(lines[-20:])


_PREFIXES = ("error:", "cause:", "caused by:", "hash mismatch", "hashes are required", "×")


def _gist(output: str) -> str:
    """The installer's own words for what went wrong: its error lines, without box-drawing decoration."""
    lines = [line.strip(" \u2502\u251c\u2500\u25b6\u2570\u00d7\t") for line in output.splitlines()]
    wanted = [line for line in lines if line.lower().startswith(_PREFIXES)]
    chosen = wanted[:2] or [line for line in lines if line][-1:] or ["no output"]
    return " / ".join(chosen)


def _state(before: Sequence[InstalledDist], now: Sequence[InstalledDist]) -> str:
    if {(d.name, d.version) for d in before} != {(d.name, d.version) for d in now}:
        pins = ", ".join(f"{d.name} {d.version}" for d in now) or "none"
        return f"the environment was changed: torch-family pins are now {pins}"
    return "the environment is unchanged"


def _failure(
    what: str,
    output: str,
    restore_file: Path | None,
    before: Sequence[InstalledDist],
    now: Sequence[InstalledDist],
) -> InstallError:
    """The error for a failed installer run: its own words, and whether torch was left half-replaced."""
    hint = f"go back with `torchsmith install --restore {restore_file}`" if restore_file else None
    return InstallError(f"{what}: {_gist(output)}; {_state(before, now)}", hint=hint)


def _apply(
    packages: Sequence[str],
    extra: Sequence[str],
    *,
    installer: str,
    target: TargetPython,
    settings: IndexSettings,
    dry_run: bool,
    reporter: Reporter,
    restore_file: Path | None,
    before: Sequence[InstalledDist],
    timeout: float | None = None,
) -> None:
    command = _installer_command(installer, target, packages, settings, dry_run=dry_run, extra=extra)
    reporter.step(" ".join(command[:3]) + f" ({len(packages)} requirements)")
    with installer_environment(settings, installer, os.environ) as env:  # indexes, credentials, TLS
        status, output = _run(command, reporter, timeout=timeout, base=env)
    if status != 0:
        now = before if dry_run else installed_family(target)
        what = f"{installer} {'could not resolve' if dry_run else 'failed'} (status {status})"
        raise _failure(what, output, restore_file, before, now)


def _interrupted(
    stop: BaseException, step: str, target: TargetPython | None, before: Sequence[InstalledDist],
    restore_file: Path | None,
) -> None:  # fmt: skip
    """Tell the user, on stderr, what a signal left behind: the state of the environment and the way back."""
    import sys

    name = getattr(stop, "name", "SIGINT")
    lines = [f"interrupted by {name} while {step}"]
    if target is None or restore_file is None:
        lines.append("nothing was changed")
    else:
        try:
            now = installed_family(target)
            lines.append(_state(before, now))
        except Exception as error:
            lines.append(f"the state of the environment is unknown ({error})")
        lines.append(f"go back with `torchsmith install --restore {restore_file}`")
    sys.stderr.write("\n".join(lines) + "\n")


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
    timeout: float | None = None,
    gpus: Sequence[int] | None = None,
) -> InstallResult:
    """Plan for the target interpreter, install the pins, verify; see the module docstring.

    `dry_run` changes nothing on disk but the cache: no virtual environment (a missing `--venv` is stood in
    for by a temporary one, removed again), no restore file. `timeout` limits each installer run and the
    verification, their whole process groups included. `gpus` plans for those GPU indices only (`--gpu`).
    """
    from torchsmith.children import Interrupted

    reporter = reporter or NullReporter()
    settings = settings or IndexSettings.from_env(os.environ)
    state: dict[str, Any] = {"step": "planning", "target": None, "before": (), "restore": None}
    with contextlib.ExitStack() as cleanup:

        def scratch() -> Path:  # only a dry run into a missing venv needs one: no folder made otherwise
            import tempfile

            return Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="torchsmith-dry-run-")))

        try:
            return _install(
                requirements, backend=backend, python=python, venv=venv, installer=installer,
                dry_run=dry_run, verify=verify, root=root, settings=settings, reporter=reporter,
                timeout=timeout, gpus=gpus, state=state, scratch=scratch,
            )  # fmt: skip
        except (Interrupted, KeyboardInterrupt) as stop:
            _interrupted(stop, state["step"], state["target"], state["before"], state["restore"])
            raise


def _install(
    requirements: Sequence[str],
    *,
    backend: str,
    python: str | None,
    venv: str | None,
    installer: str,
    dry_run: bool,
    verify: bool,
    root: str | Path | None,
    settings: IndexSettings,
    reporter: Reporter,
    timeout: float | None,
    gpus: Sequence[int] | None,
    state: dict[str, Any],
    scratch: Callable[[], Path],
) -> InstallResult:
    from torchsmith.machine import probe
    from torchsmith.machine.override import override_machine
    from torchsmith.planning.commands import requirement_lines
    from torchsmith.planning.plan import make_plan
    from torchsmith.planning.requirements import parse_requirements

    parse_requirements(requirements)  # validated before anything is created, probed or inspected
    messages: list[str] = []
    machine = probe(root=root)
    if dry_run and venv is not None and not venv_python(Path(venv)).exists():
        messages.append(f"would create the virtual environment `{venv}`")
        venv = str(scratch() / "venv")
    state["step"] = "inspecting the target interpreter"
    target = resolve_target(python, venv, seed_pip=installer == "pip", timeout=timeout)
    machine = override_machine(machine, python=target.minor)
    state["step"] = "planning"
    reporter.step(f"planning for {target.executable} (Python {target.version})")
    plan = make_plan(
        requirements, machine=machine, backend=backend, settings=settings, reporter=reporter, gpus=gpus
    )
    # An offline plan made from cached index pages pins every file with its hash: installable from the
    # installers' caches. One from the shipped inventory (no hashes) is not.
    if any(p.sha256 is None or p.url is None for p in plan.packages):
        raise InstallError(
            "cannot install without the index: the plan has no file names or hashes",
            hint="connect to the index (or unset `TORCHSMITH_OFFLINE`) and run it again",
        )
    _report_plan(plan, reporter)
    before = target.family
    lines = requirement_lines(plan.packages) + list(parse_requirements(requirements).others)
    restore_file = None if dry_run else _snapshot(target, before, settings)
    state.update(target=None if dry_run else target, before=before, restore=restore_file)
    state["step"] = f"running `{installer}`" + (" --dry-run" if dry_run else "")
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
        timeout=timeout,
    )
    messages.insert(0, f"backend {plan.backend}: " + ", ".join(p.pin for p in plan.packages))
    if dry_run:
        messages.append("dry run: nothing was installed and no restore file was written")
        return InstallResult(plan, target, None, before, dry_run=True, messages=tuple(messages))
    messages.append(f"previous pins recorded in {restore_file}")
    # uv/pip succeeded, so the pins are installed exactly: no need to start the interpreter again.
    pinned = {p.name: InstalledDist(p.name, p.version, p.url) for p in plan.packages}
    after = tuple(pinned.get(d.name, d) for d in before) + tuple(
        d for name, d in pinned.items() if name not in {b.name for b in before}
    )
    report = None
    if verify:
        from torchsmith.doctor import diagnose

        state["step"] = "verifying (the pins are installed)"
        reporter.step("verifying with torchsmith doctor")
        report = diagnose(
            python=target.executable,
            root=root,
            machine=machine,
            reporter=reporter,
            timeout=timeout if timeout is not None else 120.0,
        )
        if report.exit_code != 0:
            messages.append(
                f"verification failed; go back with `torchsmith install --restore {restore_file}`"
            )
    return InstallResult(
        plan, target, restore_file, before, after, verification=report, messages=tuple(messages)
    )


def _restore_lines(pins: Sequence[RestorePin], settings: IndexSettings) -> tuple[list[str], list[str]]:
    """Requirement lines and extra index flags that reinstall validated pins from their own backends."""
    from torchsmith.backends import parse_backend

    lines: list[str] = []
    indexes: list[str] = []
    for pin in pins:
        lines.append(pin.requirement)
        label = pin.version.partition("+")[2]
        if not pin.url and label:
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
    timeout: float | None = None,
    dry_run: bool = False,
) -> InstallResult:
    """Put back the torch-family pins recorded in `file` (uninstalling ones that were not there).

    The file is validated whole first (`restore_record`); the reinstall is resolved with `--dry-run`
    before anything changes; only then are the pins installed and the family members the file does
    not list uninstalled. A file without `python` needs `--python` or `--venv`.
    """
    from torchsmith.children import Interrupted
    from torchsmith.restore_record import load_restore

    reporter = reporter or NullReporter()
    settings = settings or IndexSettings.from_env(os.environ)
    record = load_restore(file)
    chosen = python or (None if venv else record.python)
    if chosen is None and venv is None:
        raise UsageError(
            f"restore file `{file}` does not say which interpreter it belongs to (no `python`); "
            "nothing was changed",
            hint=f"name it: `torchsmith install --restore {file} --python PATH` (or `--venv DIR`)",
        )
    if venv is not None and not venv_python(Path(venv)).exists():
        raise UsageError(
            f"invalid value `{venv}` for `--venv`: no virtual environment there to restore",
            hint="give the environment the restore file was recorded for",
        )
    target = resolve_target(chosen, venv, timeout=timeout)
    before = target.family
    recorded = {pin.name for pin in record.packages}
    extra_dists = [d.name for d in before if d.name not in recorded]
    lines, extra = _restore_lines(record.packages, settings)
    step = "checking that the recorded pins resolve"
    try:
        if lines:
            common = dict(installer=installer, target=target, settings=settings, reporter=reporter,
                          restore_file=None, before=before, timeout=timeout)  # fmt: skip
            _apply(lines, extra, dry_run=True, **common)  # type: ignore[arg-type]
        if dry_run:
            return InstallResult(None, target, file, before, dry_run=True, messages=(
                f"dry run: the pins recorded in {file} resolve; would uninstall "
                + (", ".join(extra_dists) or "nothing"),
            ))  # fmt: skip
        if lines:
            step = "reinstalling the recorded pins"
            _apply(lines, extra, dry_run=False, **common)  # type: ignore[arg-type]
        if extra_dists:
            step = f"uninstalling {', '.join(extra_dists)}"
            status, output = _run(_uninstall_command(installer, target, extra_dists), reporter,
                                  timeout=timeout)  # fmt: skip
            if status != 0:
                raise InstallError(
                    f"cannot uninstall {', '.join(extra_dists)}: {_gist(output)}; "
                    f"{_state(before, installed_family(target))}"
                )
    except (Interrupted, KeyboardInterrupt) as stop:
        import sys

        name = getattr(stop, "name", "SIGINT")
        try:
            now_state = _state(before, installed_family(target))
        except Exception as error:
            now_state = f"the state of the environment is unknown ({error})"
        sys.stderr.write(
            f"interrupted by {name} while {step}\n{now_state}\n"
            f"run `torchsmith install --restore {file}` again to finish\n"
        )
        raise
    after = installed_family(target)
    return InstallResult(
        None, target, file, before, after, messages=(f"restored the pins recorded in {file}",)
    )
