"""Property: `torchsmith plan` never exits 3 on any machine. Machine documents are generated across the
knowledge space (OS, arch, libc, Pythons incl. `t` and `m` ABIs, NVIDIA/AMD/Intel GPUs in every printed
spelling, drivers incl. Windows driver-store versions, Jetson L4T releases of every generation,
`CONDA_OVERRIDE_CUDA` as a `__cuda` virtual package) with requirement sets (pins, local labels, companions)
and `--gpu`/`--backend` choices; every plan must be exit 0 or an exit-2 error whose message names the fix.

The CLI `main` runs in-process, offline, so the error mapping under test is the one users get.
"""

from __future__ import annotations

import io
import json
import tempfile
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from torchsmith.cli import main

pytestmark = pytest.mark.property

PYTHONS = ["3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.13t", "3.14", "3.14t", "3.15"]
CCS: list[Any] = [
    "3.7", "5.0", "5.3", "6.1", "7.0", "7.2", "7.5", "8.0", "8.6", "8.7", "8.9", "9.0", "10.0", "11.0",
    "12.0", "12.1", "sm_86", "86", "sm ?", "[N/A]", None, 8.6, 90,
]  # fmt: skip
DRIVERS: list[Any] = [
    "390.157", "470.82.01", "525.60.13", "535.104.05", "550.54.15", "570.124.06", "580.65.06",
    "595.10", "32.0.15.8157", "31.0.15.3623", "27.21.14.5671", "", None, 535.104, "garbage",
]  # fmt: skip
GFX = ["gfx803", "gfx900", "gfx906", "gfx908", "gfx90a:sramecc+:xnack-", "gfx942", "gfx1030", "gfx1100",
       "gfx1101", "gfx1151", "gfx1201", "amdgcn-amd-amdhsa--gfx942:sramecc+:xnack-", None]  # fmt: skip
INTEL = ["0x56a0", "56A0", "8086:e20b", "PCI\\VEN_8086&DEV_7D55&SUBSYS_0", "0x9a49", None]
L4T = ["32.4.4", "32.7.1", "32.7.6", "34.1.0", "35.1.0", "35.3.1", "35.5.0", "35.6.4", "36.0.0", "36.2.0",
       "36.3.0", "36.4.0", "36.4.3", "36.5.0", "38.2.0", "38.4.0", "39.1.0", "40.0.0", "31.0.0"]  # fmt: skip
MODULES = ["NVIDIA Jetson Nano Developer Kit", "NVIDIA Jetson AGX Orin Developer Kit",
           "NVIDIA Jetson AGX Thor", "Jetson Xavier NX", None]  # fmt: skip
REQUIREMENTS = ["torch", "torch==2.5.*", "torch==2.7.1+cu126", "torch==2.8.0+rocm6.4", "torch==2.7.1+cpu",
                "torch>=2.9", "torch<2.0", "torchvision", "torchaudio", "torchvision==0.20.*", "numpy",
                "torch==1.10.0", "torch==2.4.0a0", "torch==9.9"]  # fmt: skip
BACKENDS = ["auto", "cpu", "cu118", "cu126", "cu130", "rocm6.4", "xpu", "jp6-cu126"]


def _python(version: str, m_abi: bool) -> dict[str, Any]:
    digits = version.replace(".", "")
    abi = f"cp{digits}m" if m_abi and version in ("3.6", "3.7") else f"cp{digits}"
    return {"version": version.rstrip("t"), "abi": abi}


@st.composite
def machines(draw: st.DrawFn) -> dict[str, Any]:
    os_name = draw(st.sampled_from(["linux", "linux", "windows", "macos"]))
    arch = draw(
        st.sampled_from(["x86_64", "aarch64", "arm64"] if os_name != "windows" else ["x86_64", "arm64"])
    )
    doc: dict[str, Any] = {
        "os": os_name,
        "arch": arch,
        "python": _python(draw(st.sampled_from(PYTHONS)), draw(st.booleans())),
    }
    if os_name == "linux":
        doc["libc"] = draw(
            st.sampled_from(
                [{"name": "glibc", "version": v} for v in ("2.17", "2.28", "2.31", "2.35", "2.39", "x")]
                + [{"name": "musl", "version": "1.2.4"}, None]
            )
        )
        doc["wsl"] = draw(st.booleans())
    if os_name == "macos":
        doc["apple"] = {"macos": draw(st.sampled_from(["10.15", "11.0", "13.6", "14.5", "15.1", None]))}
    if os_name != "macos" and draw(st.booleans()):
        gpus = draw(st.lists(st.sampled_from(CCS), min_size=0, max_size=3))
        cuda = draw(st.sampled_from([None, "12.2", "CUDA Version: 13.0", "12080", "x"]))
        doc["nvidia"] = {
            "driver": draw(st.sampled_from(DRIVERS)),
            "cuda_driver": cuda,
            "gpus": [{"name": f"GPU {i}", "compute_capability": cc} for i, cc in enumerate(gpus)],
        }
    if os_name == "linux" and draw(st.booleans()):
        gfx = draw(st.lists(st.sampled_from(GFX), min_size=1, max_size=3))
        doc["amd"] = {"gpus": [{"name": f"AMD {i}", "gfx": g} for i, g in enumerate(gfx)]}
    if os_name != "macos" and draw(st.booleans()):
        doc["intel"] = {"gpus": [{"name": "Intel GPU", "device_id": draw(st.sampled_from(INTEL))}]}
    if os_name == "linux" and draw(st.integers(0, 3)) == 0:
        doc["arch"] = "aarch64"
        doc["jetson"] = {"l4t": draw(st.sampled_from(L4T)), "module": draw(st.sampled_from(MODULES))}
    if draw(st.integers(0, 4)) == 0:
        doc["virtual_packages"] = [f"__cuda={draw(st.sampled_from(['11.8', '12.4', '12.8', '13.0']))}=0"]
    return doc


def _plan(doc: dict[str, Any], args: list[str]) -> tuple[int, str, str]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "machine.json"
        path.write_text(json.dumps(doc), encoding="utf-8")
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            code = main(["plan", "--machine", str(path), "--json", *args])
    return code, out.getvalue(), err.getvalue()


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    doc=machines(),
    requirements=st.one_of(st.just([]), st.lists(st.sampled_from(REQUIREMENTS), min_size=1, max_size=3)),
    backend=st.sampled_from(["auto"] * 6 + BACKENDS),
    gpu=st.sampled_from([None] * 6 + ["0", "1", "0,1", "7"]),
)
def test_plan_never_exits_3(
    doc: dict[str, Any], requirements: list[str], backend: str, gpu: str | None, monkeypatch_env: None
) -> None:
    args = [*requirements, "--backend", backend]
    if gpu is not None:
        args += ["--gpu", gpu]
    code, out, err = _plan(doc, args)
    assert code in (0, 2), f"exit {code} for {json.dumps(doc)} {args}:\n{err}"
    if code == 0:
        plan = json.loads(out)
        assert isinstance(plan["verified"], bool)
        assert plan["verified"] == (not plan["unknown_facts"])
        assert plan["packages"] and plan["packages"][0]["name"] == "torch"
    else:
        assert err.startswith("error: ") and len(err) > 20
        # Every exit 2 names the fix: a hint line, or a message that says what to do or use instead.
        assert "hint:" in err or any(
            w in err for w in ("use ", "Use ", "drop ", "install ", "relax", "plan for")
        )


@pytest.fixture
def monkeypatch_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TORCHSMITH_OFFLINE", "1")
    monkeypatch.setenv("TORCHSMITH_CACHE_DIR", str(tmp_path / "cache"))
