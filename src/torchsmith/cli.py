"""The `torchsmith` command: parse, make one library call, render. Nothing else lives here.

One entry point, `main(argv)`, serves the console script and `python -m torchsmith`. Each command imports
what it needs inside its handler so `torchsmith probe` pays only for the probe. Exit codes (DESIGN.md):
0 success, 1 findings or failed verification, 2 usage or resolution error, 3 internal error, 130 interrupted.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable, Sequence

TYPE_CHECKING = False  # `typing` stays unloaded at start-up (issue 17); mypy reads the name as typing's
if TYPE_CHECKING:  # argparse is imported where the parser is built: `probe` skips it (issue 17)
    import argparse
    from typing import Any

__all__ = ["main"]

Handler = Callable[["argparse.Namespace"], int]

SCHEMA_VERSION = 1
"""The `schema_version` of every `--json` document (docs/schemas/); raised only when a key changes
meaning or disappears (adding keys keeps it)."""


class _Session:
    """What one `main()` call shares with its handlers: the colour choice and the open reporters."""

    color = "auto"
    command: str | None = None
    reporters: list[Any] = []  # noqa: RUF012 - reset by main() on every call


def _close_reporters() -> None:
    """Stop every spinner before anything is printed on stdout (and on every way out of main)."""
    for reporter in _Session.reporters:
        reporter.close()


def _emit_json(document: Any) -> None:
    """One JSON document on stdout; every object document starts with its `schema_version`; no
    credential survives (torchsmith.redact)."""
    from torchsmith.redact import redact_text

    _close_reporters()
    if isinstance(document, dict):
        document = {"schema_version": SCHEMA_VERSION, **document}
    sys.stdout.write(redact_text(json.dumps(document, indent=2, sort_keys=False)) + "\n")


def _emit(text: str, *, plain: bool = False) -> None:
    """Text for people on stdout, coloured (`cli_term.stylize`) when colour is on and `plain` is not."""
    from torchsmith.cli_term import stylize, use_color
    from torchsmith.redact import redact_text

    _close_reporters()
    text = redact_text(text)
    text = text if text.endswith("\n") else text + "\n"
    if not plain and use_color(sys.stdout, _Session.color, os.environ):
        text = stylize(text, _Session.command)
    sys.stdout.write(text)


def _reporter(args: argparse.Namespace) -> Any:
    from torchsmith.cli_render import StderrReporter
    from torchsmith.cli_term import use_color
    from torchsmith.redact import RedactingReporter

    reporter = StderrReporter(
        quiet=bool(getattr(args, "quiet", False)),
        color=use_color(sys.stderr, _Session.color, os.environ),
    )
    _Session.reporters.append(reporter)
    return RedactingReporter(reporter)


def _settings(args: argparse.Namespace) -> Any:
    from torchsmith.index.settings import IndexSettings

    env = dict(os.environ)
    if getattr(args, "offline", False):
        env["TORCHSMITH_OFFLINE"] = "1"
    return IndexSettings.from_env(
        env,
        index_base=getattr(args, "index_base", None),
        default_index=getattr(args, "default_index", None),
        insecure_hosts=getattr(args, "allow_insecure_host", None) or (),
    )


def _backend_arg(args: argparse.Namespace) -> str:
    """`--backend` beats `TORCHSMITH_BACKEND` beats `auto`; validated here so the error names its source."""
    from torchsmith.backends import parse_backend

    if args.backend:
        value, source = args.backend, "`--backend`"
    elif os.environ.get("TORCHSMITH_BACKEND"):
        value, source = os.environ["TORCHSMITH_BACKEND"], "`TORCHSMITH_BACKEND`"
    else:
        return "auto"
    if value.strip().lower() == "auto":
        return "auto"
    return parse_backend(value, source=source).name


def _gpu_arg(value: str | None) -> list[int] | None:
    """`--gpu 0,2` -> [0, 2]: plan for those GPUs only (issue 10's multi-GPU policy)."""
    if value is None:
        return None
    try:
        return [int(part) for part in value.split(",") if part.strip()]
    except ValueError:
        from torchsmith.errors import UsageError

        raise UsageError(
            f"invalid value `{value}` for `--gpu`: expected GPU indices like `0` or `0,2`",
            hint="list the GPUs with `torchsmith probe`, then e.g. `--gpu 0`",
        ) from None


def _machine_for_plan(args: argparse.Namespace) -> Any:
    from torchsmith.machine import load_machine, probe
    from torchsmith.machine.override import override_machine

    machine = load_machine(args.machine) if args.machine else probe(root=args.root)
    return override_machine(machine, python=args.python_version, platform=args.platform)


# --- commands -------------------------------------------------------------------------------------------


def _cmd_probe(args: argparse.Namespace) -> int:
    from torchsmith.machine import probe

    machine = probe(root=args.root)
    if args.json:
        _emit_json(machine.to_json())
    else:
        from torchsmith.cli_render import render_machine

        _emit(render_machine(machine))
    return 0


def _cmd_plan(args: argparse.Namespace) -> int:
    from torchsmith.planning.plan import make_plan

    plan = make_plan(
        args.requirements or ["torch"],
        machine=_machine_for_plan(args),
        backend=_backend_arg(args),
        settings=_settings(args),
        reporter=_reporter(args),
        gpus=_gpu_arg(args.gpu),
    )
    if args.json:
        _emit_json(plan.to_json())
    else:
        from torchsmith.cli_render import render_plan

        _emit(render_plan(plan))
    return 0


def _cmd_matrix(args: argparse.Namespace) -> int:
    from torchsmith.matrix import matrix

    table = matrix(args.version)
    if args.json:
        _emit_json(table.to_json())
    else:
        from torchsmith.cli_render import render_matrix

        _emit(render_matrix(table))
    return 0


def _cmd_install(args: argparse.Namespace) -> int:
    from pathlib import Path

    from torchsmith.install import install, restore

    reporter = _reporter(args)
    if args.restore:
        result = restore(
            Path(args.restore),
            python=args.python,
            venv=args.venv,
            installer=args.installer,
            settings=_settings(args),
            reporter=reporter,
            timeout=args.timeout,
            dry_run=args.dry_run,
        )
    else:
        result = install(
            args.requirements or ["torch"],
            backend=_backend_arg(args),
            python=args.python,
            venv=args.venv,
            installer=args.installer,
            dry_run=args.dry_run,
            verify=not args.no_verify,
            root=args.root,
            settings=_settings(args),
            reporter=reporter,
            timeout=args.timeout,
            gpus=_gpu_arg(args.gpu),
        )
    if args.json:
        _emit_json(result.to_json())
    else:
        from torchsmith.cli_render import render_install

        _emit(render_install(result))
    return int(result.exit_code)


def _cmd_doctor(args: argparse.Namespace) -> int:
    from torchsmith.doctor import diagnose, render_text

    report = diagnose(
        python=args.python,
        root=args.root,
        timeout=args.timeout,
        device_test=not args.no_device_test,
        reporter=_reporter(args),
    )
    if args.json:
        _emit_json(report.to_json())
    elif args.format == "markdown":
        from torchsmith.doctor.markdown import render_markdown

        _emit(render_markdown(report, root=args.root, env=os.environ), plain=True)
    else:
        _emit(render_text(report))
    return int(report.exit_code)


def _cmd_lint(args: argparse.Namespace) -> int:
    from pathlib import Path

    from torchsmith.lint import lint_paths, render

    def ids(values: list[str] | None) -> list[str] | None:
        if values is None:
            return None
        return [part.strip() for text in values for part in text.split(",") if part.strip()]

    if args.explain:
        from torchsmith.lint.explain import explain

        _emit(explain(args.explain))
        return 0
    result = lint_paths(
        [Path(p) for p in args.paths] or [Path.cwd()],
        select=ids(args.select),
        ignore=ids(args.ignore),
        fix=args.fix,
        unsafe_fixes=args.unsafe_fixes,
        diff=args.diff,
        exclude=ids(args.exclude) or (),
        force_exclude=args.force_exclude,
        respect_gitignore=not args.no_respect_gitignore,
        config=Path(args.config) if args.config else None,
        fail_on=args.fail_on,
    )
    if args.diff:
        sys.stdout.write("".join(result.diffs))
        sys.stderr.write(f"would fix {len(result.fixes)} problem(s)\n" if result.fixes else "no fixes\n")
        return 0 if args.exit_zero else int(bool(result.diffs))
    from torchsmith.cli_term import use_color

    fmt = "json" if args.json else args.output_format
    color = fmt in ("full", "concise") and use_color(sys.stdout, _Session.color, os.environ)
    if fmt == "json":  # through the one JSON emitter, which adds `schema_version`
        _emit_json(json.loads(render(result, fmt, color=False)))
    else:
        _emit(render(result, fmt, color=color), plain=True)
    return 0 if args.exit_zero else int(result.exit_code)


def _cmd_export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from torchsmith.export import check_options, export

    check_options(args.tool, mode=args.mode, source=args.source)
    result = export(
        args.tool,
        args.requirements or ["torch"],
        targets=[t.strip() for t in args.targets.split(",") if t.strip()],
        mode=args.mode or "markers",
        source=args.source or "conda-forge",
        output=Path(args.output) if args.output else None,
        check=args.check,
        settings=_settings(args),
        force=args.force,
    )
    if args.json:
        _emit_json(result.to_json())
    else:
        from torchsmith.cli_render import render_export

        _emit(render_export(result))
    return int(result.exit_code)


def _cmd_knowledge_refresh(args: argparse.Namespace) -> int:
    from torchsmith.knowledge.refresh_cli import refresh_from_settings

    result = refresh_from_settings(_settings(args), reporter=_reporter(args))
    if args.json:
        _emit_json(result.to_json())
    else:
        _emit(result.summary())
    return 0


def _cmd_distro(args: argparse.Namespace) -> int:
    from pathlib import Path

    import torchsmith.distro as distro

    path = Path(args.distro)
    action = args.distro_command
    result: Any
    if action == "init":
        result = distro.init_distro(path=path, force=args.force)
    elif action == "affected":
        result = distro.affected(
            distro_path=path, package=args.package, settings=_settings(args), reporter=_reporter(args)
        )
    elif action == "bounds":
        result = distro.check_bounds(
            distro_path=path,
            results=[Path(r) for r in args.results],
            settings=_settings(args),
            reporter=_reporter(args),
        )
    elif action == "test":
        result = distro.run_tests(
            distro_path=path,
            changed=args.changed,
            tier=args.tier,
            jobs=args.jobs,
            cell=args.cell,
            results_dir=Path(args.results_dir) if args.results_dir else None,
            settings=_settings(args),
            reporter=_reporter(args),
        )
    elif action == "report":
        result = distro.make_report(
            distro_path=path,
            format=args.format,
            merge=[Path(m) for m in args.merge],
            output=Path(args.output) if args.output else None,
        )
    elif action == "promote":
        result = distro.promote(
            distro_path=path,
            results=[Path(r) for r in args.results],
            mirror=args.mirror,
            settings=_settings(args),
            reporter=_reporter(args),
        )
    elif action == "workflow":
        from torchsmith.distro.workflow import make_workflow

        result = make_workflow(
            distro_path=path,
            output=Path(args.output) if args.output else None,
            torchsmith_spec=args.torchsmith,
        )
        for warning in result.warnings:
            _reporter(args).warn(warning)
    else:
        result = distro.cell_matrix(distro_path=path, format=args.format)
    if getattr(args, "json", False):
        _emit_json(result.to_json())
    else:
        _emit(result.summary())
    return int(result.exit_code)


# --- parser ---------------------------------------------------------------------------------------------


def _seconds(text: str) -> float:
    """A positive, finite number of seconds (argparse reports the error as usage, exit 2)."""
    import math

    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        import argparse

        raise argparse.ArgumentTypeError(f"invalid value `{text}`: expected a positive number of seconds")
    return value


def _add_index_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--index-base",
        metavar="URL",
        help="base of the PyTorch indexes (default: $TORCHSMITH_INDEX_URL or "
        "https://download.pytorch.org/whl)",
    )
    parser.add_argument(
        "--offline",
        action="store_true",
        help="use only the cache and the shipped knowledge (as TORCHSMITH_OFFLINE=1)",
    )
    parser.add_argument(
        "--default-index",
        metavar="URL",
        help="the PyPI-like index for everything else (as uv's --default-index; see docs/indexes.md)",
    )
    parser.add_argument(
        "--allow-insecure-host",
        metavar="HOST",
        action="append",
        help="do not verify TLS for HOST (as uv's --allow-insecure-host, pip's --trusted-host); repeatable",
    )


def _args_probe(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print the machine as one JSON document")
    p.add_argument("--root", metavar="DIR", help="read /proc, /sys, /etc, /usr, /opt under DIR (no NVML)")
    p.set_defaults(handler=_cmd_probe)


def _args_plan(p: argparse.ArgumentParser) -> None:
    p.add_argument("requirements", nargs="*", metavar="REQ", help="PEP 508 requirements (default: torch)")
    p.add_argument("--backend", help="auto (default), cpu, cuXYZ, rocmX.Y, xpu or jpN-cuXYZ")
    p.add_argument("--machine", metavar="FILE", help="plan for the machine described by `probe --json`")
    p.add_argument("--root", metavar="DIR", help="probe the machine under DIR")
    p.add_argument("--python", dest="python_version", metavar="X.Y", help="plan for this Python version")
    p.add_argument(
        "--platform",
        metavar="TAG",
        help="plan for this platform (e.g. linux-x86_64, "
        "manylinux_2_28_x86_64, win_amd64, macosx_14_0_arm64)",
    )
    p.add_argument("--json", action="store_true", help="print the plan as one JSON document")
    p.add_argument("--gpu", metavar="INDEX[,INDEX]", help="plan for these GPUs only (probe's GPU indices)")
    _add_index_flags(p)
    p.set_defaults(handler=_cmd_plan)


def _args_install(p: argparse.ArgumentParser) -> None:
    p.add_argument("requirements", nargs="*", metavar="REQ", help="PEP 508 requirements (default: torch)")
    p.add_argument("--backend", help="auto (default), cpu, cuXYZ, rocmX.Y, xpu or jpN-cuXYZ")
    target = p.add_mutually_exclusive_group()
    target.add_argument("--python", metavar="PATH", help="install into this interpreter's environment")
    target.add_argument("--venv", metavar="DIR", help="create (with uv) or reuse this virtual environment")
    p.add_argument("--installer", choices=("uv", "pip"), default="uv", help="default: uv")
    p.add_argument("--dry-run", action="store_true", help="plan and show what would be installed")
    p.add_argument("--no-verify", action="store_true", help="skip the verification after installing")
    p.add_argument("--restore", metavar="FILE", help="reinstall the pins recorded before an install")
    p.add_argument(
        "--timeout", type=_seconds, metavar="S", help="limit for each installer run and the verification"
    )
    p.add_argument("--root", metavar="DIR", help="probe the machine under DIR")
    p.add_argument("--json", action="store_true", help="print the result as one JSON document")
    p.add_argument("--gpu", metavar="INDEX[,INDEX]", help="plan for these GPUs only (probe's GPU indices)")
    _add_index_flags(p)
    p.set_defaults(handler=_cmd_install)


def _args_doctor(p: argparse.ArgumentParser) -> None:
    p.add_argument("--python", metavar="PATH", help="the interpreter to inspect (default: this one)")
    p.add_argument("--root", metavar="DIR", help="probe the machine under DIR")
    p.add_argument("--timeout", type=_seconds, default=120.0, metavar="S", help="limit for the target script")
    p.add_argument("--no-device-test", action="store_true", help="skip the tensor/matmul test on devices")
    p.add_argument("--json", action="store_true", help="print the report as one JSON document")
    p.add_argument(
        "--format",
        choices=("text", "markdown"),
        default="text",
        help="markdown: one paste-ready bug report (secrets and user paths redacted)",
    )
    p.set_defaults(handler=_cmd_doctor)


def _args_export(p: argparse.ArgumentParser) -> None:
    p.add_argument("tool", choices=("uv", "pip", "poetry", "pixi", "conda", "docker"))
    p.add_argument("requirements", nargs="*", metavar="REQ", help="PEP 508 requirements (default: torch)")
    p.add_argument(
        "--targets",
        default="auto",
        help="comma-separated PLATFORM-BACKEND targets "
        "(linux-cu126, linux-cpu, windows-cpu, macos, jetson-jp6, ...; default: auto)",
    )
    p.add_argument("--mode", choices=("markers", "extras"), help="uv only (default: markers)")
    p.add_argument("--source", choices=("conda-forge", "pypi"), help="pixi only (default: conda-forge)")
    p.add_argument("-o", "--output", metavar="FILE", help="file to write or merge into")
    p.add_argument("--force", action="store_true", help="replace the file's own torch entries that conflict")
    p.add_argument("--check", action="store_true", help="exit 1 if the file is out of date; write nothing")
    p.add_argument("--json", action="store_true", help="print the result as one JSON document")
    _add_index_flags(p)
    p.set_defaults(handler=_cmd_export)


_LINT_FORMATS = ("full", "concise", "json", "json-lines", "github", "gitlab", "junit", "sarif")
"""torchsmith.lint.render.FORMATS, written out so that building the parser imports no lint code."""


def _args_lint(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="*", metavar="PATH", help="files or folders (default: the current folder)")
    p.add_argument(
        "--output-format",
        "--format",
        choices=(*_LINT_FORMATS, "human"),
        default="full",
        metavar="FORMAT",
        help=f"{', '.join(_LINT_FORMATS)} (default: full; `human` = full)",
    )
    p.add_argument("--json", action="store_true", help="as --output-format json")
    p.add_argument("--fix", action="store_true", help="apply the safe fixes, keeping every other byte")
    p.add_argument("--unsafe-fixes", action="store_true", help="also apply fixes that change what installs")
    p.add_argument("--diff", action="store_true", help="show what --fix would change; write nothing")
    p.add_argument("--explain", metavar="RULE", help="explain a rule and exit")
    p.add_argument("--exit-zero", action="store_true", help="exit 0 even when problems are found")
    p.add_argument("--fail-on", choices=("error", "warning"), default="error", help="lowest failing severity")
    p.add_argument("--select", metavar="IDS", action="append", help="only these rule ids (comma-separated)")
    p.add_argument("--ignore", metavar="IDS", action="append", help="skip these rule ids (comma-separated)")
    p.add_argument("--exclude", metavar="PATTERNS", action="append", help="gitignore-style patterns to skip")
    p.add_argument("--force-exclude", action="store_true", help="apply excludes to files named explicitly")
    p.add_argument("--no-respect-gitignore", action="store_true", help="lint files .gitignore ignores")
    p.add_argument("--config", metavar="FILE", help="torchsmith.toml or pyproject.toml with lint settings")
    p.set_defaults(handler=_cmd_lint)


def _args_matrix(p: argparse.ArgumentParser) -> None:
    p.add_argument("version", nargs="?", metavar="TORCH_VERSION", help="one release (e.g. 2.5 or 2.5.1)")
    p.add_argument("--json", action="store_true", help="print the matrix as one JSON document")
    p.set_defaults(handler=_cmd_matrix)


def _args_distro(p: argparse.ArgumentParser) -> None:
    dsub = p.add_subparsers(dest="distro_command", metavar="ACTION", required=True)

    def action(name: str, help_text: str) -> argparse.ArgumentParser:
        a: argparse.ArgumentParser = dsub.add_parser(name, help=help_text, description=help_text)
        a.add_argument(
            "--distro", default="distro.toml", metavar="FILE", help="the registry (default: distro.toml)"
        )
        a.add_argument("--json", action="store_true", help="print the result as one JSON document")
        a.set_defaults(handler=_cmd_distro)
        return a

    a = action("init", "write a commented distro.toml")
    a.add_argument("--force", action="store_true", help="overwrite an existing file")
    a = action("affected", "print the downstream closure of a member, in test order")
    a.add_argument("package")
    _add_index_flags(a)
    a = action("bounds", "check members' torch bounds against the ABI-class policy")
    a.add_argument(
        "--results", nargs="*", default=[], metavar="FILE", help="test results to take into account"
    )
    _add_index_flags(a)
    a = action("test", "run the test tiers for every cell (or one)")
    a.add_argument("--changed", metavar="PKG", help="test this member and its dependents only")
    a.add_argument("--tier", type=int, choices=(0, 1, 2), default=2)
    a.add_argument("--jobs", type=int, default=2, metavar="N")
    a.add_argument("--cell", metavar="ID", help="run exactly one cell (e.g. from a CI matrix)")
    a.add_argument("--results-dir", metavar="DIR", help="where to write results and logs")
    _add_index_flags(a)
    a = action("report", "JSON, Markdown or a static HTML page of the results")
    a.add_argument("--format", choices=("json", "markdown", "html"), default="markdown")
    a.add_argument("--merge", nargs="*", default=[], metavar="FILE", help="results uploaded by CI jobs")
    a.add_argument("-o", "--output", metavar="FILE")
    a = action("promote", "copy what passed into the channel (a static PEP 503/691 index)")
    a.add_argument("--results", nargs="*", default=[], metavar="FILE")
    a.add_argument(
        "--mirror", action="store_true", help="also copy torch and every tested dependency file (by hash)"
    )
    _add_index_flags(a)
    a = action("workflow", "write a GitHub Actions workflow: one job per cell, then report + promote")
    a.add_argument("-o", "--output", metavar="FILE", help="write it here (e.g. .github/workflows/distro.yml)")
    a.add_argument(
        "--torchsmith",
        default="torchsmith",
        metavar="SPEC",
        help="what the jobs pip-install (default: torchsmith)",
    )
    a = action("matrix", "the cells, e.g. as a GitHub Actions matrix")
    a.add_argument("--format", choices=("json", "github"), default="json")


# --- config (issue 13) ---------------------------------------------------------------------------------


def _cmd_config(args: argparse.Namespace) -> int:
    from torchsmith.index.settings_show import describe, render_text

    document = describe(_settings(args), os.environ)
    if args.json:
        _emit_json(document)
    else:
        _emit(render_text(document))
    return 0


def _args_config(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print the settings as one JSON document")
    _add_index_flags(p)
    p.set_defaults(handler=_cmd_config)


_COMMANDS: tuple[tuple[str, Callable[[argparse.ArgumentParser], None], dict[str, str]], ...] = (
    (
        "probe",
        _args_probe,
        dict(
            help="describe this machine",
            description="Describe this machine: OS, libc, "
            "Python, GPUs, drivers, Jetson, WSL, conda virtual packages and runnable backends.",
        ),
    ),
    (
        "plan",
        _args_plan,
        dict(
            help="choose builds, with reasons",
            description="Choose the backend and exact torch-family pins for a machine, explain "
            "why, and print the uv / pip commands.",
        ),
    ),
    (
        "install",
        _args_install,
        dict(
            help="install the plan, then verify it",
            description="Plan, then install the exact pins with hashes (uv by default), then run "
            "the doctor's verification on the target interpreter.",
        ),
    ),
    (
        "doctor",
        _args_doctor,
        dict(
            help="check an installed environment",
            description="Inspect an interpreter's torch installation from outside and report "
            "findings with evidence and exact fixes.",
        ),
    ),
    (
        "export",
        _args_export,
        dict(
            help="write configs for uv, pip, poetry, pixi, conda, docker",
            description="Write a correct config for each target machine, merging into existing "
            "files without touching anything else.",
        ),
    ),
    (
        "lint",
        _args_lint,
        dict(
            help="find known traps in configs",
            description="Check pyproject.toml, pixi.toml, uv.toml, conda environment files, .condarc, "
            "requirements / constraints files and pip.conf for the traps that install the wrong PyTorch "
            "(rules: docs/rules.md, `--explain RULE`).",
        ),
    ),
    (
        "matrix",
        _args_matrix,
        dict(
            help="show what pairs with what",
            description="torch releases with their Python versions, backends and companions.",
        ),
    ),
    (
        "config",
        _args_config,
        dict(
            help="show the indexes, credentials and TLS settings in effect",
            description="The effective indexes and where each came from (flags, TORCHSMITH_*, UV_*, PIP_*, "
            "uv.toml, pip.conf), where their credentials come from, and how TLS is trusted; secrets masked.",
        ),
    ),
    (
        "distro",
        _args_distro,
        dict(
            help="integration-test packages that depend on torch",
            description="Test a set of packages built on torch across torch versions, backends and "
            "Pythons, and promote what passed into a channel.",
        ),
    ),
)
"""Each command: its name, the function that adds its arguments, and its help texts."""


def _args_knowledge(p: argparse.ArgumentParser) -> None:
    ksub = p.add_subparsers(dest="knowledge_command", metavar="ACTION", required=True)
    r = ksub.add_parser("refresh", help="rebuild what the live indexes say into the cache")
    r.add_argument("--json", action="store_true")
    _add_index_flags(r)
    r.set_defaults(handler=_cmd_knowledge_refresh)


def _selected(argv: Sequence[str]) -> str | None:
    """The command named on the command line (the first argument that is not an option), if any."""
    return next((a for a in argv if not a.startswith("-")), None)


_GLOBAL_HELP = (
    "global options (accepted anywhere on the command line): -q/--quiet, -v/--verbose, --json, "
    "--offline, --color auto|always|never (NO_COLOR and FORCE_COLOR are honoured)"
)


def _add_global_flags(parser: argparse.ArgumentParser) -> None:
    """The global flags, for `--help` only: `cli_term.split_global_flags` takes them out of argv first,
    wherever they are, so that `torchsmith plan torch -q` works as `torchsmith -q plan torch`."""
    from torchsmith.cli_term import COLOR_CHOICES

    parser.add_argument("-v", "--verbose", action="store_true", help="show tracebacks of internal errors")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON document")
    parser.add_argument("--offline", action="store_true", help="use only the cache and shipped knowledge")
    parser.add_argument(
        "--color",
        choices=COLOR_CHOICES,
        default="auto",
        help="colour on a terminal (auto, the default), always, or never",
    )


def _cmd_completion(args: argparse.Namespace) -> int:
    import shtab

    parser = _build_parser(())
    _emit(shtab.complete(parser, shell=args.shell), plain=True)
    return 0


def _build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The parser; only the selected command's arguments are added (building them all costs start-up
    time on `probe`'s hot path), or every command's when none is selected (`--help`, completion)."""
    import argparse

    class _VersionAction(argparse.Action):
        """`--version`: looked up only when asked (importlib.metadata costs ~30 ms at start-up)."""

        def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
            super().__init__(option_strings, dest, nargs=0, help="show the version and exit", **kwargs)

        def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
            from torchsmith import __version__

            sys.stdout.write(f"torchsmith {__version__}\n")  # on stdout, as argparse's own action
            parser.exit()

    parser = argparse.ArgumentParser(
        prog="torchsmith",
        description="Get the right PyTorch onto any machine and prove it works.",
        epilog=_GLOBAL_HELP,
    )
    parser.add_argument("--version", action=_VersionAction)
    _add_global_flags(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    selected = _selected(argv)
    known = {name for name, _, _ in _COMMANDS} | {"knowledge", "completion"}
    before = list(argv)[: list(argv).index(selected)] if selected is not None else list(argv)
    every = selected not in known or "-h" in before or "--help" in before  # top-level help lists them all
    # a known command gets only its own sub-parser (each costs an ArgumentParser); `--help`, completion
    # and a mistyped command get them all, so the list of commands and argparse's "invalid choice" are whole
    for name, add_arguments, texts in _COMMANDS:
        if every or name == selected:
            command = sub.add_parser(
                name, help=texts["help"], description=texts.get("description"), epilog=_GLOBAL_HELP
            )
            add_arguments(command)
    if every or selected == "knowledge":
        _args_knowledge(sub.add_parser("knowledge", help="manage the knowledge tables"))
    if every or selected == "completion":
        completion = sub.add_parser(
            "completion",
            help="print a shell completion script",
            description="Print the completion script for SHELL; e.g. `torchsmith completion bash > "
            "~/.local/share/bash-completion/completions/torchsmith`.",
        )
        completion.add_argument(
            "shell", choices=("bash", "zsh", "fish"), metavar="SHELL", help="bash, zsh or fish"
        )
        completion.set_defaults(handler=_cmd_completion)
    return parser


def _error(prefix: str, message: str) -> None:
    from torchsmith.cli_term import stylize, use_color
    from torchsmith.redact import redact_text

    text = f"{prefix}{redact_text(message)}\n"
    sys.stderr.write(stylize(text, None) if use_color(sys.stderr, _Session.color, os.environ) else text)


def _fast_probe(arguments: Sequence[str]) -> Any:
    """`probe [--root DIR]` (global flags already taken out), the hot path in prompts and CI, read without
    importing argparse or building the parser (a tenth of the probe's start-up); None for anything else,
    which the parser handles with its usual errors and help."""
    if not arguments or arguments[0] != "probe":
        return None
    rest = list(arguments[1:])
    if rest == []:
        root = None
    elif len(rest) == 2 and rest[0] == "--root" and rest[1] and not rest[1].startswith("-"):
        root = rest[1]
    elif len(rest) == 1 and rest[0].startswith("--root=") and len(rest[0]) > len("--root="):
        root = rest[0][len("--root=") :]
    else:
        return None
    from types import SimpleNamespace

    return SimpleNamespace(command="probe", root=root, handler=_cmd_probe)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one torchsmith command; return its exit code (never raises except SystemExit from argparse).

    The real command (`argv` None: the console script, `python -m torchsmith`) leaves with `os._exit` once
    its output is flushed: tearing the interpreter down (every module's dictionaries, ~30 M instructions)
    is a tenth of a probe's or a lint's whole run and helps nothing. Nothing of torchsmith's waits for the
    exit: files are written and fsynced by `fileio`, thread pools are shut down, children reaped, temporary
    folders removed by their `with` blocks, and no `atexit` handler is registered."""
    if argv is None:
        import gc

        # A command's start (imports, tables, argument parsing) makes a few hundred thousand objects that
        # live until the exit: collecting at Python's default of every 700 allocations only walks them
        # again and again (4 % of a probe). Collections still run, every 100,000 allocations.
        gc.set_threshold(100_000, 50, 100)
    code = _main(argv)
    if argv is None:
        _leave(code)
    return code


def _leave(code: int) -> None:
    """Flush what was printed and exit the process now, with `code`."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe (`probe | head -1`): nothing to add
            stream.flush()
    os._exit(code)


def _main(argv: Sequence[str] | None) -> int:
    from torchsmith.cli_term import split_global_flags

    flags, arguments = split_global_flags(sys.argv[1:] if argv is None else list(argv))
    _Session.color, _Session.reporters = flags.color, []
    args = None if flags.errors else _fast_probe(arguments)
    if args is None:
        parser = _build_parser(arguments)
        try:
            if flags.errors:
                parser.error(flags.errors[0])
            args = parser.parse_args(arguments)
        except SystemExit as exit_:
            return int(exit_.code or 0)
    args.quiet, args.verbose, args.json, args.offline = flags.quiet, flags.verbose, flags.json, flags.offline
    args.color = flags.color
    _Session.command = args.command
    handler: Handler = args.handler
    from torchsmith.children import Interrupted, signals_raise, terminate_all

    try:
        with signals_raise():
            try:
                return handler(args)
            finally:
                terminate_all()
    except (KeyboardInterrupt, Interrupted) as stop:
        _close_reporters()
        code = stop.exit_code if isinstance(stop, Interrupted) else 130
        name = stop.name if isinstance(stop, Interrupted) else "SIGINT"
        sys.stderr.write(f"interrupted by {name}\n")
        if argv is None:  # the real command: leave now, not after worker threads finish their requests
            _leave(code)
        return code
    except Exception as error:  # the one error boundary
        return _report_error(error, verbose=bool(args.verbose))

    finally:
        _close_reporters()


def _report_error(error: Exception, *, verbose: bool) -> int:
    """Print `error` for the user; 2 when the input or the environment caused it, 3 for a bug."""
    from torchsmith.errors import TorchsmithError

    _close_reporters()
    if isinstance(error, TorchsmithError):
        _error("error: ", error.message)
        if error.hint:
            _error("\nhint: ", error.hint)
        return 2
    if isinstance(error, (OSError, UnicodeError)):
        from torchsmith.fileio import describe_environment_error

        message, hint = describe_environment_error(error)
        _error("error: ", message)
        _error("\nhint: ", hint)
        return 2
    if verbose:
        import traceback

        traceback.print_exc()
    _error(
        "internal error: ",
        f"{type(error).__name__}: {error}\n"
        "this is a bug in torchsmith; rerun with --verbose and report it with the traceback",
    )
    return 3
