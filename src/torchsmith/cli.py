"""The `torchsmith` command: parse, make one library call, render. Nothing else lives here.

One entry point, `main(argv)`, serves the console script and `python -m torchsmith`. Each command imports
what it needs inside its handler so `torchsmith probe` pays only for the probe. Exit codes (DESIGN.md):
0 success, 1 findings or failed verification, 2 usage or resolution error, 3 internal error, 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

__all__ = ["main"]

Handler = Callable[[argparse.Namespace], int]


def _emit_json(document: Any) -> None:
    sys.stdout.write(json.dumps(document, indent=2, sort_keys=False) + "\n")


def _emit(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def _reporter(args: argparse.Namespace) -> Any:
    from torchsmith.cli_render import StderrReporter

    return StderrReporter(quiet=bool(getattr(args, "quiet", False)))


def _settings(args: argparse.Namespace) -> Any:
    from torchsmith.index.settings import IndexSettings

    env = dict(os.environ)
    if getattr(args, "offline", False):
        env["TORCHSMITH_OFFLINE"] = "1"
    return IndexSettings.from_env(env, index_base=getattr(args, "index_base", None))


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
    else:
        _emit(render_text(report))
    return int(report.exit_code)


def _cmd_lint(args: argparse.Namespace) -> int:
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
    fmt = "json" if args.json else args.output_format
    color = fmt in ("full", "concise") and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    color = color or (bool(os.environ.get("FORCE_COLOR")) and fmt in ("full", "concise"))
    _emit(render(result, fmt, color=color))
    return 0 if args.exit_zero else int(result.exit_code)


def _cmd_export(args: argparse.Namespace) -> int:
    from torchsmith.export import export

    result = export(
        args.tool,
        args.requirements or ["torch"],
        targets=[t.strip() for t in args.targets.split(",") if t.strip()],
        mode=args.mode,
        source=args.source,
        output=Path(args.output) if args.output else None,
        check=args.check,
        settings=_settings(args),
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
            settings=_settings(args),
            reporter=_reporter(args),
        )
    else:
        result = distro.cell_matrix(distro_path=path, format=args.format)
    if getattr(args, "json", False):
        _emit_json(result.to_json())
    else:
        _emit(result.summary())
    return int(result.exit_code)


# --- parser ---------------------------------------------------------------------------------------------


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
    p.add_argument("--root", metavar="DIR", help="probe the machine under DIR")
    p.add_argument("--json", action="store_true", help="print the result as one JSON document")
    _add_index_flags(p)
    p.set_defaults(handler=_cmd_install)


def _args_doctor(p: argparse.ArgumentParser) -> None:
    p.add_argument("--python", metavar="PATH", help="the interpreter to inspect (default: this one)")
    p.add_argument("--root", metavar="DIR", help="probe the machine under DIR")
    p.add_argument("--timeout", type=float, default=120.0, metavar="S", help="limit for the target script")
    p.add_argument("--no-device-test", action="store_true", help="skip the tensor/matmul test on devices")
    p.add_argument("--json", action="store_true", help="print the report as one JSON document")
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
    p.add_argument("--mode", choices=("markers", "extras"), default="markers")
    p.add_argument("--source", choices=("conda-forge", "pypi"), default="conda-forge", help="pixi only")
    p.add_argument("-o", "--output", metavar="FILE", help="file to write or merge into")
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
    _add_index_flags(a)
    a = action("matrix", "the cells, e.g. as a GitHub Actions matrix")
    a.add_argument("--format", choices=("json", "github"), default="json")


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


def _build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The parser; only the selected command's arguments are added (building them all costs start-up
    time on `probe`'s hot path), or every command's when none is selected (`--help`)."""
    from torchsmith import __version__

    parser = argparse.ArgumentParser(
        prog="torchsmith",
        description="Get the right PyTorch onto any machine and prove it works.",
    )
    parser.add_argument("--version", action="version", version=f"torchsmith {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="show tracebacks of internal errors")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    selected = _selected(argv)
    known = {name for name, _, _ in _COMMANDS} | {"knowledge"}
    every = selected not in known
    for name, add_arguments, texts in _COMMANDS:
        command = sub.add_parser(name, help=texts["help"], description=texts.get("description"))
        if every or name == selected:
            add_arguments(command)
    knowledge = sub.add_parser("knowledge", help="manage the knowledge tables")
    if every or selected == "knowledge":
        _args_knowledge(knowledge)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one torchsmith command; return its exit code (never raises except SystemExit from argparse)."""
    arguments = sys.argv[1:] if argv is None else list(argv)
    parser = _build_parser(arguments)
    try:
        args = parser.parse_args(arguments)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    handler: Handler = args.handler
    try:
        return handler(args)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
    except Exception as error:  # the one error boundary
        from torchsmith.errors import TorchsmithError

        if isinstance(error, TorchsmithError):
            sys.stderr.write(f"error: {error.message}\n")
            if error.hint:
                sys.stderr.write(f"\nhint: {error.hint}\n")
            return 2
        if args.verbose:
            import traceback

            traceback.print_exc()
        sys.stderr.write(
            f"internal error: {type(error).__name__}: {error}\n"
            "this is a bug in torchsmith; rerun with --verbose and report it with the traceback\n"
        )
        return 3
