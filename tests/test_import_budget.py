"""Import budgets of the two hot command paths, `probe` and `lint` (issue 17).

torchsmith runs in shell prompts, CI steps and pre-commit hooks, so a command's start-up is mostly the
modules it imports. Each test runs the real command in a fresh interpreter and lists the modules it
imported beyond what `python -c pass` imports in the same environment (the sandbox's and CI's site
hooks import some on their own). A module named here was measured to be avoidable on that path; bringing
one back (a top-level import in a module on the path) fails the test and names the culprit to defer.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MACHINE = ROOT / "tests" / "machines" / "h100-driver580"
CORPUS = ROOT / "tests" / "lint" / "corpus"

# Runs the command through the console script's entry point, then reports every imported module.
_RUN = """
import json, sys
out = sys.argv[1]
from torchsmith.cli import main
code = main(sys.argv[2:])
with open(out, "w") as handle:
    json.dump({"code": code, "modules": sorted(sys.modules)}, handle)
"""

# Avoidable on both paths:
#  - rich: styling is only loaded when colour is on (cli_term); tests run with a pipe, never a terminal.
#  - tomlkit / ruamel.yaml: round-trip editors, needed only to write files (export, lint --fix).
#  - http.client, ssl, urllib.request, socket, concurrent.futures: the network (index/), never needed to
#    describe a machine or read configs offline.
#  - email, importlib.metadata: `importlib.metadata` (the `--version` lookup) pulls in email, csv,
#    zipfile; the version is now looked up only when `--version` is asked.
#  - xml.etree: nothing on these paths reads XML.
_NEVER = (
    "rich",
    "tomlkit",
    "ruamel.yaml",
    "http.client",
    "ssl",
    "urllib.request",
    "socket",
    "concurrent.futures",
    "email",
    "importlib.metadata",
    "xml.etree",
)
# Avoidable on `probe` in addition:
#  - yaml: no probe source is YAML (only lint and export read environment.yml).
#  - pynvml: under `--root` the probe reads the fake root's files, never this host's NVML.
#  - archspec: the microarchitecture comes from its cache once warm (machine/microarch.py), and
#    importing archspec reads its JSON database (~10 ms).
#  - packaging.specifiers / packaging.requirements / packaging.markers: the probe compares versions only.
#  - hashlib: the cache keys of archspec's answer and of `nvcc --version` are crc32 names (zlib is loaded
#    for the knowledge tables anyway); hashlib loads OpenSSL (~4 ms).
#  - bz2, lzma: shutil imports them, and the probe looks programs up on PATH without shutil (only this
#    interpreter's site hooks may import shutil first, and then the baseline subtracts them).
#  - argparse (and gettext with it): `probe [--root DIR]` is read by cli.py `_fast_probe` without
#    building the parser; every other command line goes through argparse.
#  - dataclasses (and inspect with it, ~20 ms cold): the probe's classes are `torchsmith.record` records
#    or plain slotted classes (ProbeContext, GlobalFlags), and records build `__dataclass_fields__` only
#    when a caller of `dataclasses` asks.
#  - subprocess (with threading, locale, selectors): imported by ProbeContext.run_status only once a
#    program is found to run, and by children.py only when it starts one; a fake root with no programs
#    on PATH runs none.
_NEVER_ON_PROBE = (
    "dataclasses",
    "inspect",
    "subprocess",
    "yaml",
    "pynvml",
    "archspec",
    "packaging.specifiers",
    "packaging.requirements",
    "packaging.markers",
    "argparse",
    "gettext",
    "hashlib",
    "bz2",
    "lzma",
)
# On 64-bit glibc Linux CPython the python section's tag is computed without `packaging.tags`
# (machine/python.py `_glibc_tag`); packaging.tags imports logging, sysconfig and platform with it.
_NEVER_ON_GLIBC_PROBE = ("packaging.tags", "logging")
# On a machine without a GPU the probe compares no versions: backend names come from the release table's
# rows as they are (machine/runnable.py `known_backends`), and every detector imports `packaging.version`
# only once it has a driver, ROCm, macOS or L4T version to compare. packaging.version imports `typing`
# (~6 ms together in a clean venv, an eighth of the probe).
_NEVER_ON_GPULESS_PROBE = ("packaging", "typing")
# Not listed, because not avoidable today: on lint `packaging.tags`/`logging` (packaging.requirements ->
# markers -> utils -> tags).

# Avoidable on `lint` of the whole corpus (which holds TOML 1.1 inline tables, broken TOML, YAML, pip.conf):
#  - tomlkit: TOML 1.1 inline tables are rewritten as TOML 1.0 for tomllib (lint/toml11.py); tomlkit is
#    asked only for TOML 1.1's escapes and seconds-less times, which no corpus file uses (~40 M instructions).
#  - difflib: only `--diff` shows a diff.
#  - torchsmith.lint.fix / explain / rule_docs / render_ci: `--fix`, `--explain` and the CI formats.
_NEVER_ON_LINT = (
    "tomlkit",
    "difflib",
    "torchsmith.lint.fix",
    "torchsmith.lint.explain",
    "torchsmith.lint.rule_docs",
    "torchsmith.lint.render_ci",
)
# Classes that may stay standard-library dataclasses in lint/ (none): building one at import costs ~3.6 M
# instructions (`@dataclass` writes and compiles its methods); frozen data uses `torchsmith.record` (whose
# `field` takes `compare` and `repr`), mutable state plain slotted classes.
_LINT_DATACLASSES: set[str] = set()

# Budgets: torchsmith's own modules imported by each path (measured 34 for probe and 38 for lint on
# this tree when written). A new module on the path has to fit, or the budget is raised on purpose.
PROBE_BUDGET = 36
LINT_BUDGET = 42
LINT_CORPUS_BUDGET = 52  # every format and rule module (measured 50)


def _imported(
    tmp_path: Path, *argv: str, cwd: Path = ROOT, extra_env: dict[str, str] | None = None
) -> tuple[int, set[str]]:
    env = {**os.environ, "TORCHSMITH_CACHE_DIR": str(tmp_path / "cache"), "NO_COLOR": "1"}
    env.update(extra_env or {})
    out = tmp_path / "modules.json"
    subprocess.run(
        [sys.executable, "-c", _RUN, str(out), *argv],
        env=env,
        cwd=cwd,
        capture_output=True,
        timeout=120,
        check=False,
    )
    result = json.loads(out.read_text())
    baseline = subprocess.run(
        [sys.executable, "-c", "import sys, json; print(json.dumps(sorted(sys.modules)))"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return int(result["code"]), set(result["modules"]) - set(json.loads(baseline.stdout)) - {"json"}


def _offenders(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in names))


def test_probe_imports_only_what_it_needs(tmp_path: Path) -> None:
    argv = ("probe", "--json", "--root", str(MACHINE))
    _imported(tmp_path, *argv)  # warms the caches (archspec's answer, compiled knowledge tables)
    code, modules = _imported(tmp_path, *argv)
    assert code == 0
    assert _offenders(modules, _NEVER + _NEVER_ON_PROBE) == []
    from torchsmith.machine.python import _glibc_tag

    if _glibc_tag() is not None:
        assert _offenders(modules, _NEVER_ON_GLIBC_PROBE) == []
    ours = sorted(m for m in modules if m.split(".")[0] == "torchsmith")
    assert len(ours) <= PROBE_BUDGET, ours
    # the sections the probe does not reach are not imported either
    assert not {"torchsmith.planning", "torchsmith.lint", "torchsmith.index", "torchsmith.cli_render"} & set(
        ours
    )


def test_probe_of_a_machine_without_gpu_compares_no_versions(tmp_path: Path) -> None:
    argv = ("probe", "--json", "--root", str(ROOT / "tests" / "machines" / "cpu-container"))
    _imported(tmp_path, *argv)  # warms the caches
    code, modules = _imported(tmp_path, *argv)
    assert code == 0
    # the baseline subtracts what this interpreter's own site hooks import (typing, where one imports it)
    assert _offenders(modules, _NEVER + _NEVER_ON_PROBE + _NEVER_ON_GPULESS_PROBE) == []


def test_lint_imports_only_what_it_needs(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    # a uv project and a requirements file: TOML and requirement parsing, no YAML, nothing to fix
    (tree / "pyproject.toml").write_bytes((CORPUS / "realworld-uv" / "pyproject.toml").read_bytes())
    (tree / "requirements.txt").write_bytes(
        (CORPUS / "requirements-index-url" / "requirements.txt").read_bytes()
    )
    code, modules = _imported(tmp_path, "lint", str(tree))
    assert code in (0, 1)  # 1: findings (the corpus files hold traps on purpose)
    # yaml: the tree holds no environment.yml or pixi/conda YAML, so the YAML reader stays unloaded
    assert _offenders(modules, (*_NEVER, "yaml", "pynvml", "archspec")) == []
    ours = sorted(m for m in modules if m.split(".")[0] == "torchsmith")
    assert len(ours) <= LINT_BUDGET, ours
    # lint reads configs; it never probes the machine or plans
    assert not {"torchsmith.machine", "torchsmith.planning.plan", "torchsmith.index"} & set(ours)


# Avoidable on an offline `plan torch torchvision` for a machine file (issue 10's "plan <= 250 ms offline"):
#  - packaging.requirements / markers / _parser / _tokenizer, packaging.utils / tags (and logging, sysconfig,
#    subprocess with them): plain requirements are read by planning.requirements, wheel names and tags by
#    index.wheel and torchsmith.wheel_tags; a requirement with a marker or URL still loads packaging's parser.
#  - dataclasses, inspect: every planning, index and knowledge class is a record or a slotted class.
#  - html.parser: no page is parsed; tempfile: nothing is written; tomllib: the tree's pyproject.toml has
#    no `tool.uv` table; the detectors (torchsmith.machine.amd, ...): the machine comes from its file.
_NEVER_ON_OFFLINE_PLAN = (
    "packaging.requirements",
    "packaging.markers",
    "packaging.utils",
    "packaging.tags",
    "logging",
    "sysconfig",
    "subprocess",
    "dataclasses",
    "inspect",
    "html.parser",
    "tempfile",
    "tomllib",
    "torchsmith.machine.amd",
    "torchsmith.machine.nvidia",
)


def test_offline_plan_imports_only_what_it_needs(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text('[project]\nname = "app"\ndependencies = ["uv>=0.5"]\n')
    argv = ("plan", "torch", "torchvision", "--machine", str(MACHINE / "expected.json"), "--python", "3.11")
    env = {"TORCHSMITH_OFFLINE": "1", "PIP_CONFIG_FILE": os.devnull}
    _imported(tmp_path, *argv, "--json", cwd=project, extra_env=env)  # warms the knowledge caches
    code, modules = _imported(tmp_path, *argv, "--json", cwd=project, extra_env=env)
    assert code == 0
    assert _offenders(modules, _NEVER + _NEVER_ON_OFFLINE_PLAN) == []


def test_lint_of_the_corpus_imports_only_what_it_needs(tmp_path: Path) -> None:
    code, modules = _imported(tmp_path, "lint", str(CORPUS))
    assert code == 1  # the corpus holds traps on purpose
    assert _offenders(modules, (*_NEVER, *_NEVER_ON_LINT, "pynvml", "archspec")) == []
    ours = sorted(m for m in modules if m.split(".")[0] == "torchsmith")
    assert len(ours) <= LINT_CORPUS_BUDGET, ours
    assert not {"torchsmith.machine", "torchsmith.planning.plan", "torchsmith.index"} & set(ours)


def test_lint_builds_no_dataclass_at_import() -> None:
    import importlib
    import pkgutil

    import torchsmith.lint

    built = set()
    for info in pkgutil.iter_modules(torchsmith.lint.__path__, "torchsmith.lint."):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if (
                isinstance(value, type)
                and value.__module__ == info.name
                and "__dataclass_params__" in vars(value)
            ):
                built.add(f"{info.name}.{name}")
    assert built == _LINT_DATACLASSES


@pytest.mark.parametrize("name", ["ssl", "email", "rich", "tomlkit"])
def test_offenders_would_be_caught(name: str) -> None:
    """The check itself can fail: a module (or a submodule of it) in the set is reported."""
    assert _offenders({name, f"{name}.sub", "other"}, (name,)) == [name, f"{name}.sub"]
