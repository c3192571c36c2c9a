"""The in-target probe script and its runner: old Pythons, crashes, timeouts, output hygiene."""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.doctor.conftest import PY36, PY38, base_env
from tests.doctor.fakes import FakeEnv
from torchsmith.doctor import runner
from torchsmith.errors import ProbeError, UsageError

OLD_PYTHONS = [p for p in (PY36, PY38) if p.exists()]


def test_script_parses_as_python_36_grammar() -> None:
    """No syntax newer than 3.6: checked with the 3.6 parser's feature level as far as `ast` allows."""
    tree = ast.parse(runner.script_text(), feature_version=(3, 6))
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    assert "annotations" not in names
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    imported |= {
        node.module.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
    }
    assert imported <= set(sys.stdlib_module_names)


@pytest.mark.parametrize("python", OLD_PYTHONS, ids=lambda p: p.parent.parent.name)
def test_old_python_with_fake_torch_and_device_test(python: Path, make_env: Callable[..., FakeEnv]) -> None:
    env = make_env(python)
    env.add_torch(
        version="2.5.0a0+nv24.08",
        cuda="12.6",
        available=True,
        devices=[{"name": "Orin", "capability": "8.7"}],
        arch_list=["sm_72", "sm_87"],
    )
    facts = runner.start(str(env.python), env=base_env(), timeout=60).wait()
    assert facts.python.version.startswith(python.parent.parent.name[:3])
    assert facts.python.tag == "cp3" + python.parent.parent.name.split(".")[1]
    assert facts.python.libc is not None and facts.python.libc[0] == "glibc"
    assert [d.canonical_name for d in facts.distributions] == ["torch"]
    assert facts.torch is not None and facts.torch.cuda == "12.6" and facts.torch.cuda_available is True
    assert facts.torch.cuda_arch_list == ("sm_72", "sm_87")
    assert [(d.name, d.capability) for d in facts.torch.cuda_devices] == [("Orin", "8.7")]
    assert [(t.device, t.ok) for t in facts.device_tests] == [("cuda:0", True), ("cpu", True)]
    assert facts.interrupted is None


def test_noise_on_stdout_does_not_corrupt_the_records(make_env: Callable[..., FakeEnv]) -> None:
    env = make_env()
    path = env.add_torch(dist=False)
    path.write_text(
        "import sys, os\nprint('hello from torch')\nos.write(1, b'{broken json\\n')\n" + path.read_text()
    )
    facts = runner.start(str(env.python), env=base_env(), timeout=60, device_test=False).wait()
    assert facts.torch is not None and facts.interrupted is None


def test_cwd_torch_directory_is_not_imported(
    make_env: Callable[..., FakeEnv], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = make_env()
    (tmp_path / "torch").mkdir()
    (tmp_path / "torch" / "__init__.py").write_text("__version__ = 'from-cwd'\n")
    monkeypatch.chdir(tmp_path)
    facts = runner.start(str(env.python), env=base_env(), timeout=60).wait()
    assert facts.torch is None
    assert facts.import_failure is not None and facts.import_failure.message == "No module named 'torch'"


def test_crash_during_import_keeps_earlier_facts(make_env: Callable[..., FakeEnv]) -> None:
    env = make_env()
    env.add_torch(import_abort=True)
    facts = runner.start(str(env.python), env=base_env(), timeout=60).wait()
    assert facts.interrupted is not None
    assert (facts.interrupted.reason, facts.interrupted.during) == ("crashed", "import torch")
    assert facts.interrupted.detail == "was killed by SIGABRT"
    assert [d.canonical_name for d in facts.distributions] == ["torch"]


def test_timeout_during_device_test_is_reported_not_raised(make_env: Callable[..., FakeEnv]) -> None:
    env = make_env()
    env.add_torch(
        version="2.13.0+cu130",
        cuda="13.0",
        available=True,
        devices=[{"name": "H100", "capability": "9.0"}],
        faults={"cuda": "matmul:hang"},
    )
    facts = runner.start(str(env.python), env=base_env(), timeout=3).wait()
    assert facts.interrupted is not None
    assert (facts.interrupted.reason, facts.interrupted.during) == ("timed-out", "device test on cuda:0")
    assert facts.torch is not None and facts.torch.version == "2.13.0+cu130"


def test_missing_interpreter_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not an executable file"):
        runner.start(str(tmp_path / "nope" / "python"), env=base_env(), timeout=5)


def test_interpreter_that_cannot_run_the_script(tmp_path: Path) -> None:
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\necho 'SyntaxError: invalid syntax' >&2\nexit 1\n")
    fake.chmod(0o755)
    with pytest.raises(ProbeError, match="exited with status 1") as raised:
        runner.start(str(fake), env=base_env(), timeout=5).wait()
    assert raised.value.hint == "SyntaxError: invalid syntax"
