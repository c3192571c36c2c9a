"""The `torchsmith` command, called in-process through `main([...])` and, for a few cases, as a process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.fixtures import LocalIndex
from torchsmith.cli import main

MACHINES = Path(__file__).parent / "machines"


def use_machine(monkeypatch: pytest.MonkeyPatch, name: str) -> Path:
    root = MACHINES / name
    monkeypatch.setenv("PATH", f"{root}/usr/bin:{root}/usr/sbin")
    return root


def test_probe_json_on_a_fake_root(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = use_machine(monkeypatch, "h100-driver580")
    assert main(["probe", "--json", "--root", str(root)]) == 0
    out, err = capsys.readouterr()
    document = json.loads(out)
    expected = json.loads((root / "expected.json").read_text())
    document.pop("python"), expected.pop("python", None)
    assert document.pop("schema_version") == 1
    assert document == expected
    assert err == ""


def test_probe_human_table(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    root = use_machine(monkeypatch, "gtx1080-driver580")
    assert main(["probe", "--root", str(root)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "platform      linux x86_64 (glibc 2.36), kernel 6.1.0-37-amd64"
    assert lines[1].startswith("python        cpython 3.")
    assert lines[2:] == [
        "nvidia        driver 580.82.07, CUDA 13.0 [sysfs+proc+nvidia-smi]",
        "  gpu 0       NVIDIA GeForce GTX 1080 (sm 6.1, 8192 MiB, PCI 10de:1b80)",
        "cuda toolkit  none found (only needed to build CUDA extensions)",
        "conda         __archspec=1=x86_64 __cuda=13.0=0 __cuda_arch=6.1=GeForceGTX1080 __glibc=2.36=0 "
        "__linux=6.1.0=0 __unix=0=0",
        "backends      cu130 cu129 cu128 cu126 cu124 cu121 cu118 cu117 cu116 cu132 cpu",
    ]


def test_plan_offline_human_output(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TORCHSMITH_OFFLINE", "1")
    machine = MACHINES / "gtx1080-driver580" / "expected.json"
    code = main(["plan", "--machine", str(machine), "--python", "3.11", "torch==2.11.*", "torchvision"])
    out = capsys.readouterr().out
    assert code == 0
    assert out.splitlines()[:6] == [
        "backend: cu126    index: https://download.pytorch.org/whl/cu126",
        "",
        "package      version       size",
        "torch        2.11.0+cu126",
        "torchvision  0.26.0+cu126",
        "",
    ]
    assert (
        "  - cu128: the `cu128` build of torch 2.11.0 has kernels for sm_75…sm_120; GPU 0 `NVIDIA GeForce "
        "GTX 1080` is sm_61, so it cannot run there" in out.splitlines()
    )
    assert out.splitlines()[-2:] == [
        "  uv pip install torch==2.11.0+cu126 torchvision==0.26.0+cu126 --index "
        "https://download.pytorch.org/whl/cu126",
        "  python -m pip install torch==2.11.0+cu126 torchvision==0.26.0+cu126 --extra-index-url "
        "https://download.pytorch.org/whl/cu126",
    ]


def test_plan_json_round_trips(capsys: pytest.CaptureFixture[str]) -> None:
    from torchsmith.planning.model import Plan

    machine = MACHINES / "h100-driver580" / "expected.json"
    assert (
        main(["plan", "--offline", "--json", "--machine", str(machine), "--python", "3.12", "torch==2.9.1"])
        == 0
    )
    document = json.loads(capsys.readouterr().out)
    assert document["backend"] == "cu130"
    assert document["packages"][0]["version"] == "2.9.1+cu130"
    assert document["offline"] is True
    assert document.pop("schema_version") == 1
    assert Plan.from_json(document).to_json() == document


def test_plan_rejects_a_bad_backend_with_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--offline", "--backend", "cu12x"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert (
        err == "error: invalid value `cu12x` for `--backend`: expected `auto`, `cpu`, `cuXYZ`, `rocmX.Y`, "
        "`xpu` or `jpN-cuXYZ`\n"
    )


def test_backend_from_environment_names_its_source(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TORCHSMITH_BACKEND", "rocm")
    assert main(["plan", "--offline"]) == 2
    assert "for `TORCHSMITH_BACKEND`" in capsys.readouterr().err


def test_plan_resolution_error_prints_hint(capsys: pytest.CaptureFixture[str]) -> None:
    machine = MACHINES / "cpu-container" / "expected.json"
    assert main(["plan", "--offline", "--machine", str(machine), "--python", "3.13", "torch==2.4.1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        "error: no build of `torch==2.4.1` runs on this machine (linux-x86_64, Python 3.13):"
    )
    assert err.endswith("\nhint: plan for another Python with `--python 3.12` (or relax the torch version)\n")


def test_unreadable_machine_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "machine.json"
    bad.write_text("{not json")
    assert main(["plan", "--offline", "--machine", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"error: machine file `{bad}` is not JSON: Expecting property name enclosed in double quotes "
        "at line 1\n\nhint: write one with `torchsmith probe --json > machine.json`\n"
    )


def test_matrix_for_one_series(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["matrix", "2.5"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "torch  torchvision  torchaudio  python    linux-x86_64 backends",
        "2.5.1  0.20.1       2.5.1       3.9–3.13  cu124 cu121 cu118 rocm6.2 rocm6.1 xpu cpu",
        "2.5.0  0.20.0       2.5.0       3.9–3.13  cu124 cu121 cu118 rocm6.2 rocm6.1 xpu cpu",
    ]


def test_matrix_unknown_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["matrix", "9.9"]) == 2
    assert capsys.readouterr().err.startswith(
        "error: torchsmith knows no torch `9.9`\n\nhint: known series: 2.15"
    )


def test_usage_error_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--no-such-flag"]) == 2
    assert "unrecognized arguments: --no-such-flag" in capsys.readouterr().err


@pytest.mark.e2e
def test_python_dash_m_and_console_script_agree(tmp_path: Path) -> None:
    env = {**os.environ, "TORCHSMITH_OFFLINE": "1", "TORCHSMITH_CACHE_DIR": str(tmp_path)}
    machine = str(MACHINES / "h100-driver580" / "expected.json")
    args = ["plan", "--json", "--machine", machine, "--python", "3.11", "torch==2.11.*"]
    by_module = subprocess.run(
        [sys.executable, "-m", "torchsmith", *args], capture_output=True, env=env, check=True
    )
    script = Path(sys.executable).parent / "torchsmith"
    by_script = subprocess.run([str(script), *args], capture_output=True, env=env, check=True)
    assert json.loads(by_module.stdout) == json.loads(by_script.stdout)
    assert json.loads(by_module.stdout)["packages"][0]["version"] == "2.11.0+cu130"


def test_doctor_on_an_environment_without_torch(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["doctor", "--python", sys.executable, "--no-device-test", "--json", "--root",
                 str(MACHINES / "cpu-container")])  # fmt: skip
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    assert [f["rule"] for f in report["findings"] if f["severity"] == "error"] == ["torch-missing"]
    assert report["healthy"] is False


def test_doctor_usage_error_for_a_missing_interpreter(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["-q", "doctor", "--python", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: invalid value `") and "for `--python`: not an executable file" in err
    assert err.endswith("\nhint: give the interpreter itself, e.g. `--python .venv/bin/python`\n")


def test_export_writes_then_checks(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "pyproject.toml"
    target.write_text('[project]\nname = "demo"\nversion = "0.1.0"\n# keep me\n')
    args = [
        "export",
        "uv",
        "torch",
        "--targets",
        "linux-cu126,windows-cpu,macos",
        "-o",
        str(target),
        "--offline",
    ]
    assert main(args) == 0
    written = target.read_text()
    assert "# keep me" in written and "explicit = true" in written
    assert main([*args, "--check"]) == 0
    target.write_text(written.replace("explicit = true", "explicit = false", 1))
    capsys.readouterr()
    assert main([*args, "--check"]) == 1
    assert target.read_text() != written  # --check wrote nothing back


def test_knowledge_refresh_from_the_local_index(
    capsys: pytest.CaptureFixture[str],
    local_index: LocalIndex,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TORCHSMITH_CACHE_DIR", str(tmp_path))
    assert main(["-q", "knowledge", "refresh", "--index-base", local_index.base, "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert sorted(document["backends"]["cu124"]) == ["2.4.1+cu124", "2.5.1+cu124"]
    assert "2.13.0+cpu" in document["backends"]["cpu"]
    assert Path(document["path"]).is_file()


def test_distro_init_matrix_and_refusing_to_overwrite(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["distro", "init"]) == 0
    assert (tmp_path / "distro.toml").is_file()
    capsys.readouterr()
    assert main(["distro", "init"]) == 2
    assert "--force" in capsys.readouterr().err
    assert main(["distro", "matrix", "--format", "github"]) == 0
    matrix = json.loads(capsys.readouterr().out)
    assert {cell["backend"] for cell in matrix["include"]} >= {"cpu"}
    assert all(cell["id"] == cell["cell"] for cell in matrix["include"])


def test_help_lists_every_command_and_each_command_has_its_own(capsys: pytest.CaptureFixture[str]) -> None:
    commands = ["probe", "plan", "install", "doctor", "export", "lint", "matrix", "distro", "knowledge"]
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert all(f"    {name} " in out for name in commands)
    for name in commands:
        assert main([name, "--help"]) == 0
        assert capsys.readouterr().out.startswith(f"usage: torchsmith {name} ")


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prob"]) == 2
    assert "invalid choice: 'prob'" in capsys.readouterr().err


def test_hand_written_machine_file_gets_its_backends_worked_out(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    machine = tmp_path / "gpu-node.json"
    machine.write_text(json.dumps({
        "os": "linux", "arch": "x86_64", "libc": {"name": "glibc", "version": "2.35"},
        "nvidia": {"driver": "550.54.14", "gpus": [{"name": "RTX 4090", "compute_capability": "8.9"}]},
    }))  # fmt: skip
    assert (
        main(["plan", "--offline", "--json", "--machine", str(machine), "--python", "3.12", "torch==2.5.*"])
        == 0
    )
    plan = json.loads(capsys.readouterr().out)
    assert (plan["backend"], plan["packages"][0]["version"]) == ("cu124", "2.5.1+cu124")
    assert main(["plan", "--offline", "--machine", str(machine)]) == 2
    err = capsys.readouterr().err
    assert err == (
        "error: the machine does not say which Python to plan for (its `python` section is missing)\n"
        "\nhint: plan for a Python version with `--python 3.12`\n"
    )


def test_probe_of_a_jetson_root_reports_its_architecture(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """No `/proc/sys/kernel/arch` on L4T's 5.x kernels: the C library's files under /lib say aarch64."""
    root = use_machine(monkeypatch, "jetson-xavier-nx-jp5.1")
    assert main(["probe", "--json", "--root", str(root)]) == 0
    document = json.loads(capsys.readouterr().out)
    assert (document["arch"], document["backends"]) == ("aarch64", ["jp5-cu114", "cpu"])
    assert "__archspec=1=aarch64" in document["virtual_packages"]
