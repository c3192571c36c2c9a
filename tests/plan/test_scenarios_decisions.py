"""Decision scenarios (issue 10, part B): each expected answer was written from the primary source cited in
its comment before looking at torchsmith's tables. They run offline (shipped knowledge) on machine documents
loaded as `--machine FILE` is, so vendor-string normalisation is part of every scenario.

Root causes covered: arch-list gaps and unknown facts (2), vendor strings (3), Jetson generations (4),
several GPUs (5), explicit intent (6), and truthful reasons; on Linux, Windows, WSL2, macOS, Jetson, ROCm
and XPU machines.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.plan.support_decisions import (
    amd,
    cli,
    jetson,
    linux,
    load,
    macos,
    nvidia,
    plan,
    text,
    windows,
    with_,
)
from tests.support.fixtures import LocalIndex
from torchsmith.errors import TorchsmithError, UsageError


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TORCHSMITH_OFFLINE", "1")


def _kind(backend: str) -> str:
    return "cuda" if backend.startswith("cu") else backend.rstrip("0123456789.")


# --- root cause 2: a gap is not "runs"; unknown facts are shown ---------------------------------------------


def test_gtx1080_windows_never_gets_cuda13() -> None:
    # NVIDIA CUDA 13.0 release notes: offline compilation for Maxwell, Pascal and Volta (sm_50-sm_72) was
    # removed, so no CUDA 13.0 build can hold sm_61 code, whatever PyTorch's Windows arch list says.
    p = plan(with_(windows(), nvidia=nvidia("581.57", ("NVIDIA GeForce GTX 1080", "6.1"))), ["torch==2.9.*"])
    assert p.backend != "cu130"
    assert _kind(p.backend) == "cuda"
    assert "sm_61" in text(p)


def test_rtx5090_windows_never_gets_cuda126() -> None:
    # NVIDIA CUDA 12.8 release notes add Blackwell (sm_100, sm_120); CUDA 12.6 cannot compile for sm_120,
    # and PyTorch 2.7's release notes introduce Blackwell support with the CUDA 12.8 builds.
    p = plan(with_(windows(), nvidia=nvidia("581.57", ("NVIDIA GeForce RTX 5090", "12.0"))), ["torch==2.8.*"])
    assert p.backend in ("cu128", "cu129")
    rejected = {r.backend: r.why for r in p.rejected}
    assert "sm_120" in rejected.get("cu126", "sm_120")


def test_windows_gap_is_reported_as_unverified() -> None:
    # release/2.10's Windows cuda126.bat/cuda128.bat were not read (torchsmith assumes 2.9's lists, confidence
    # low); cu130 cannot carry sm_61 (CUDA 13.0 release notes), so a GTX 1080 can only use those assumed
    # builds and the plan must say it could not verify, not pass silently.
    p = plan(with_(windows(), nvidia=nvidia("581.57", ("NVIDIA GeForce GTX 1080", "6.1"))), ["torch==2.10.*"])
    assert p.backend == "cu126"
    assert p.verified is False
    assert any("assumed" in w for w in p.warnings)
    assert p.to_json()["verified"] is False
    assert p.to_json()["unknown_facts"]


def test_known_build_preferred_over_unknown_ones() -> None:
    # torch 2.6's Linux cu124 list is read from the PyPI wheel (8.6 SASS runs on an sm_89 RTX 4090, CUDA
    # binary compatibility); its cu126 list is only assumed from 2.5/2.7 (release/2.6's build_cuda.sh was
    # not read), so the build known to run wins over the newer-CUDA one.
    p = plan(with_(linux(), nvidia=nvidia("560.35.03", ("NVIDIA GeForce RTX 4090", "8.9"))), ["torch==2.6.*"])
    assert p.backend == "cu124" and p.verified


def test_unreadable_architecture_is_unknown_not_a_pass() -> None:
    # Issue 10: a GPU whose architecture could not be read (`sm ?`) is an unknown fact. nvidia-smi prints
    # `[N/A]` for fields it cannot query (nvidia-smi(1), "--query-gpu").
    p = plan(
        with_(linux(), nvidia=nvidia("580.65.06", ("NVIDIA Graphics Device", "[N/A]"))), ["torch==2.9.*"]
    )
    assert p.verified is False
    assert any("could not be read" in w for w in p.warnings)


def test_known_linux_plan_is_verified() -> None:
    # PyTorch RELEASE.md CUDA support matrix: 2.9 cu130 Linux x86_64 = sm_75..sm_120; H100 is sm_90 and
    # driver 580.65.06 is CUDA 13.0's (CUDA 13.0 release notes, table 3).
    p = plan(with_(linux(), nvidia=nvidia("580.65.06", ("NVIDIA H100 80GB HBM3", "9.0"))), ["torch==2.9.*"])
    assert p.backend == "cu130"
    assert p.verified is True and p.unknown_facts == ()


def test_rtx5090_linux_torch27_is_cu128() -> None:
    # PyTorch 2.7 release notes: "support for NVIDIA Blackwell GPU architecture" with CUDA 12.8 wheels;
    # the 2.7 cu126 wheels stop at sm_90 (RELEASE.md matrix).
    p = plan(
        with_(linux(), nvidia=nvidia("570.124.06", ("NVIDIA GeForce RTX 5090", "12.0"))), ["torch==2.7.*"]
    )
    assert p.backend == "cu128"
    assert p.package("torch").version == "2.7.1+cu128"  # type: ignore[union-attr]


def test_b200_linux_torch27_needs_cu128() -> None:
    # CUDA 12.8 release notes: sm_100 (B200) first supported; PyTorch 2.7 cu128 list includes 10.0.
    p = plan(with_(linux(), nvidia=nvidia("570.124.06", ("NVIDIA B200", "10.0"))), ["torch==2.7.*"])
    assert p.backend == "cu128"


def test_k80_gets_cuda118_not_cuda12() -> None:
    # CUDA 12.0 release notes: Kepler (sm_35/sm_37) removed; PyTorch's cu118 builds keep sm_37
    # (pytorch/builder manywheel/build_cuda.sh: 11.8 = 3.7;5.0;...;9.0). Driver 470 runs CUDA 11.8 through
    # minor-version compatibility (>= 450.80.02, CUDA compatibility guide).
    p = plan(with_(linux(), nvidia=nvidia("470.256.02", ("Tesla K80", "3.7"))))
    assert p.backend == "cu118"
    assert "compute capability 3.7" in text(p)


def test_v100_windows_torch211_cu126() -> None:
    # RFC pytorch#172352: Volta (sm_70) dropped from 2.11's CUDA 12.8 builds; CUDA 13 cannot target sm_70
    # (CUDA 13.0 release notes); RELEASE.md: 2.11 cu126 keeps 7.0.
    p = plan(with_(windows(), nvidia=nvidia("581.57", ("Tesla V100-PCIE-16GB", "7.0"))), ["torch==2.11.*"])
    assert p.backend == "cu126"


def test_gh200_aarch64_cu130() -> None:
    # RELEASE.md: 2.9 aarch64 cu130 = 8.0;9.0;10.0;11.0;12.0+PTX (SBSA servers); GH200 is sm_90.
    doc = with_(
        linux(arch="aarch64", glibc="2.35"), nvidia=nvidia("580.65.06", ("NVIDIA GH200 480GB", "9.0"))
    )
    p = plan(doc, ["torch==2.9.*"])
    assert p.backend == "cu130"
    assert p.verified is True


# --- root cause 3: vendor strings --------------------------------------------------------------------------


def test_windows_driver_store_version_is_read_as_nvidia_version() -> None:
    # NVIDIA: the Windows driver-store version's last five digits are the NVIDIA version
    # (32.0.15.8157 -> 581.57). CUDA 13.0 needs >= 580.88 on Windows (CUDA 13.0 release notes, table 3);
    # RELEASE.md: 2.11 Windows cu130 includes sm_89.
    machine = load(with_(windows(), nvidia=nvidia("32.0.15.8157", ("NVIDIA GeForce RTX 4090", "8.9"))))
    assert machine.nvidia is not None and machine.nvidia.driver == "581.57"
    assert any("driver-store" in w for w in machine.warnings)
    p = plan(
        with_(windows(), nvidia=nvidia("32.0.15.8157", ("NVIDIA GeForce RTX 4090", "8.9"))), ["torch==2.11.*"]
    )
    assert p.backend == "cu130"


def test_older_driver_store_version_536() -> None:
    # 31.0.15.3623 is NVIDIA 536.23 (same rule), which supports CUDA 12.2 (CUDA 12.2 release notes: 536.25
    # is the 12.2 GA Windows driver; 536.23 < 536.25, so CUDA 12.1's 531.14 floor is the native one):
    # torch 2.5.1's cu121 build runs natively, cu124 only via minor-version compatibility.
    p = plan(
        with_(windows(), nvidia=nvidia("31.0.15.3623", ("NVIDIA GeForce RTX 3080", "8.6"))), ["torch==2.5.1"]
    )
    assert p.backend == "cu121"


def test_wsl2_driver_store_version() -> None:
    # WSL2 uses the Windows host's driver (NVIDIA CUDA on WSL user guide); a document that recorded the
    # driver-store form must still give the CUDA 13.0 build for an RTX 4090 (2.11 Linux cu130 has sm_89).
    doc = with_(linux(), wsl=True, nvidia=nvidia("32.0.15.8157", ("NVIDIA GeForce RTX 4090", "8.9")))
    p = plan(doc, ["torch==2.11.*"])
    assert p.backend == "cu130"


def test_amd_gfx_with_target_features() -> None:
    # rocminfo prints target ids with features (LLVM AMDGPU docs, "Target ID": gfx90a:sramecc+:xnack-);
    # MI250X (gfx90a) is supported by every PyTorch ROCm wheel (ROCm GPU support matrix).
    p = plan(with_(linux(), amd=amd(("AMD Instinct MI250X", "gfx90a:sramecc+:xnack-"))))
    assert _kind(p.backend) == "rocm"


def test_amd_isa_name() -> None:
    # rocminfo's ISA section prints `amdgcn-amd-amdhsa--gfx942:sramecc+:xnack-`; MI300X (gfx942) is in
    # PyTorch's ROCm 6.x wheels (ROCm compatibility matrix).
    p = plan(with_(linux(), amd=amd(("AMD Instinct MI300X", "amdgcn-amd-amdhsa--gfx942:sramecc+:xnack-"))))
    assert _kind(p.backend) == "rocm"


def test_python36_m_abi_is_an_exit_2_naming_python() -> None:
    # PEP 3149: `cp36m`; PyTorch 1.11 release notes dropped Python 3.6, so no torch >= 1.13 has cp36 wheels.
    with pytest.raises(TorchsmithError) as caught:
        plan(with_(linux(python="3.6", abi="cp36m"), nvidia=nvidia("470.82.01", ("RTX 3080", "8.6"))))
    assert "3.6" in caught.value.message and "1.10.2" in caught.value.message
    assert caught.value.hint and "--python" in caught.value.hint


def test_python37_m_abi_plans_torch113() -> None:
    # PyPI torch 1.13.1 ships cp37-cp37m wheels (PyPI file list); 2.0 dropped 3.7 (2.0 release notes).
    p = plan(linux(python="3.7", abi="cp37m"))
    assert p.backend == "cpu"
    assert p.package("torch").version.startswith("1.13.")  # type: ignore[union-attr]


@pytest.mark.parametrize("cc", ["sm_86", "86", "compute_86", "8,6"])
def test_compute_capability_spellings(cc: str) -> None:
    # Spellings from TORCH_CUDA_ARCH_LIST/nvcc (`sm_86`, `compute_86`), CMake CUDA_ARCHITECTURES (`86`);
    # RTX 3080 is 8.6 (NVIDIA CUDA GPUs list); 2.11 cu130 Linux includes 8.6 (RELEASE.md).
    p = plan(with_(linux(), nvidia=nvidia("580.65.06", ("NVIDIA GeForce RTX 3080", cc))), ["torch==2.11.*"])
    assert p.backend == "cu130" and p.verified


def test_cuda_version_banner_and_integer() -> None:
    # nvidia-smi's banner prints `CUDA Version: 12.2`; cudaDriverGetVersion returns 12020 (CUDA Runtime API:
    # 1000*major + 10*minor). Driver 535 = CUDA 12.2, so torch 2.5.1 takes cu121 natively.
    for cuda in ("CUDA Version: 12.2", "12020"):
        machine = load(with_(linux(), nvidia=nvidia("535.104.05", ("RTX 4090", "8.9"), cuda=cuda)))
        assert machine.nvidia is not None and machine.nvidia.cuda_driver == "12.2"
    p = plan(
        with_(linux(), nvidia=nvidia("535.104.05", ("RTX 4090", "8.9"), cuda="CUDA Version: 12.2")),
        ["torch==2.5.1"],
    )
    assert p.backend == "cu121"


def test_proc_driver_version_line() -> None:
    # /proc/driver/nvidia/version: "NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.104.05  Sat Aug 19
    # 01:15:15 UTC 2023" (NVIDIA driver README, chapter "Verifying the installation").
    line = "NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.104.05  Sat Aug 19 01:15:15 UTC 2023"
    machine = load(with_(linux(), nvidia=nvidia(line, ("RTX 4090", "8.9"))))
    assert machine.nvidia is not None and machine.nvidia.driver == "535.104.05"
    assert "cu121" in machine.backends


def test_intel_windows_pnp_device_id_gets_xpu() -> None:
    # Windows PnP ids read `PCI\VEN_8086&DEV_56A0&...` (Get-CimInstance Win32_VideoController PNPDeviceID);
    # 0x56A0 is the Arc A770 (Intel PCI id list), supported by PyTorch XPU on Windows since 2.5 (PyTorch
    # "Getting Started on Intel GPU").
    doc = with_(
        windows(),
        intel={
            "gpus": [
                {
                    "name": "Intel(R) Arc(TM) A770 Graphics",
                    "device_id": "PCI\\VEN_8086&DEV_56A0&SUBSYS_10208086&REV_08",
                }
            ]
        },
    )
    p = plan(doc, ["torch==2.7.*"])
    assert p.backend == "xpu"


def test_intel_linux_xpu() -> None:
    # PyTorch "Getting Started on Intel GPU": Linux XPU wheels for Arc A-series from 2.5 on.
    doc = with_(
        linux(), intel={"gpus": [{"name": "Intel Arc A770", "device_id": "8086:56a0", "discrete": True}]}
    )
    p = plan(doc, ["torch==2.7.*"])
    assert p.backend == "xpu"


# --- root cause 4: Jetson, all generations -----------------------------------------------------------------


def test_jetpack4_nano_python36_box_url() -> None:
    # NVIDIA "PyTorch for Jetson" forum: JetPack 4.6.x (L4T R32.7) -> torch 1.10.0 for Python 3.6, a
    # box.com URL saved as torch-1.10.0-cp36-cp36m-linux_aarch64.whl.
    p = plan(
        jetson("32.7.1", "NVIDIA Jetson Nano Developer Kit", "3.6")
        | {"python": {"version": "3.6", "abi": "cp36m"}}
    )
    torch = p.package("torch")
    assert torch is not None and torch.version == "1.10.0"
    assert torch.filename == "torch-1.10.0-cp36-cp36m-linux_aarch64.whl"
    assert any("curl -L -o torch-1.10.0-cp36-cp36m-linux_aarch64.whl" in w for w in p.warnings)


def test_jetpack4_cli_exits_0() -> None:
    # Issue 10: JetPack 4 used to crash (IndexError, exit 3); the same facts as above through the CLI.
    doc = jetson("32.7.1", "NVIDIA Jetson Nano Developer Kit", "3.6") | {
        "python": {"version": "3.6", "abi": "cp36m"}
    }
    code, out, err = cli(doc, "--json")
    assert code == 0, err
    assert json.loads(out)["packages"][0]["version"] == "1.10.0"


@pytest.mark.parametrize("l4t", ["35.4.1", "35.5.0", "35.6.0", "35.6.4"])
def test_jetpack51x_all_get_v512(l4t: str) -> None:
    # JetPack 5.1.2-5.1.6 (L4T R35.4-R35.6) keep CUDA 11.4 and Python 3.8 (JetPack release notes); NVIDIA's
    # jp/v512 wheel torch-2.1.0a0+41361538.nv23.06 serves them ("Installing PyTorch for Jetson Platform").
    p = plan(jetson(l4t, "NVIDIA Jetson AGX Orin Developer Kit", "3.8"))
    assert p.package("torch").version == "2.1.0a0+41361538.nv23.06"  # type: ignore[union-attr]
    assert p.backend.startswith("jp5")


def test_jetpack502_xavier() -> None:
    # NVIDIA redist jp/v502: torch 1.13.0a0+410ce96a.nv22.12 for JetPack 5.0.2 (L4T R35.1), Python 3.8.
    p = plan(jetson("35.1.0", "NVIDIA Jetson AGX Xavier", "3.8"))
    assert p.package("torch").version == "1.13.0a0+410ce96a.nv22.12"  # type: ignore[union-attr]


def test_jetpack60_dp_gets_its_own_wheel() -> None:
    # NVIDIA redist jp/v60dp: torch-2.3.0a0+6ddf5cf85e.nv24.04 for JetPack 6.0 DP (L4T R36.2), Python 3.10;
    # the jp/v60 wheels were built for JetPack 6.0 GA (L4T R36.3).
    p = plan(jetson("36.2.0", "NVIDIA Jetson AGX Orin Developer Kit", "3.10"))
    assert p.package("torch").version.startswith("2.3.0a0+6ddf5cf85e.nv24.04")  # type: ignore[union-attr]


def test_jetpack60_ga() -> None:
    # NVIDIA redist jp/v60: torch-2.4.0a0+07cecf4168.nv24.05 for JetPack 6.0 GA (L4T R36.3).
    p = plan(jetson("36.3.0", "NVIDIA Jetson AGX Orin Developer Kit", "3.10"))
    assert p.package("torch").version.startswith("2.4.0a0+07cecf4168.nv24.05")  # type: ignore[union-attr]


@pytest.mark.parametrize("l4t", ["36.4.0", "36.4.3"])
def test_jetpack61_62_use_jp6_cu126(l4t: str) -> None:
    # Torch-TensorRT JetPack guide / NVIDIA forum: JetPack 6.1 and 6.2 = CUDA 12.6, Python 3.10, wheels on
    # pypi.jetson-ai-lab (jp6/cu126).
    p = plan(jetson(l4t, "NVIDIA Jetson Orin Nano Developer Kit", "3.10"))
    assert p.backend == "jp6-cu126"


def test_jetpack7_thor_uses_upstream_cu130_with_sm110() -> None:
    # JetPack 7 (L4T R38) is SBSA CUDA 13.0 (JetPack 7 release notes); RELEASE.md: aarch64 cu130 includes
    # sm_110 (Thor), while aarch64 cu126/cu128 do not.
    p = plan(jetson("38.2.0", "NVIDIA Jetson AGX Thor Developer Kit", "3.12"), ["torch==2.9.*"])
    assert p.backend == "cu130"
    assert p.verified is True


def test_jetpack7_thor_rejects_builds_without_sm110() -> None:
    # Same sources: the 2.9 aarch64 cu128 list is 8.0;9.0;10.0;12.0 and cu126 is 8.0;9.0 — no sm_110, no PTX.
    p = plan(jetson("38.2.0", "NVIDIA Jetson AGX Thor Developer Kit", "3.12"), ["torch==2.9.*"])
    rejected = {r.backend: r.why for r in p.rejected}
    assert "sm_110" in rejected["cu128"] and "sm_110" in rejected["cu126"]
    assert any("SBSA" in r for r in p.reasons)


def test_jetpack70_without_module_name_is_thor() -> None:
    # JetPack 7.0 release notes: JetPack 7.0 supports Jetson AGX Thor only, so L4T R38 means sm_110 even
    # when the device tree gave no module name; aarch64 cu130 includes 11.0 (RELEASE.md).
    doc = jetson("38.2.0", "x", "3.12")
    doc["jetson"] = {"l4t": "38.2.0"}
    p = plan(doc, ["torch==2.9.*"])
    assert p.backend == "cu130" and p.verified


def test_jetpack72_orin_uses_sbsa_cu132() -> None:
    # jetson-containers README: JetPack 7.2 moves Orin to Arm SBSA CUDA 13.2; RELEASE.md: aarch64 cu132
    # carries sm_80 SASS, which runs on Orin's sm_87 (CUDA binary compatibility within a major).
    p = plan(jetson("39.1.0", "NVIDIA Jetson AGX Orin Developer Kit", "3.12"), ["torch==2.12.*"])
    assert p.backend == "cu132"
    assert p.verified


def test_jetpack6_wrong_python_says_use_python310() -> None:
    # NVIDIA's JetPack 6 wheels are cp310 only (the JetPack 6 OS Python, Ubuntu 22.04): with Python 3.12 only
    # the upstream CPU wheel installs, and the plan must say that Python 3.10 gets the GPU build.
    code, out, err = cli(jetson("36.3.0", "NVIDIA Jetson AGX Orin Developer Kit", "3.12"), "--json")
    assert code == 0, err
    document = json.loads(out)
    assert document["backend"] == "cpu"
    assert any("Python 3.10" in r for r in document["reasons"])


# --- root cause 5: several GPUs ----------------------------------------------------------------------------


def _mixed() -> dict[str, object]:
    return with_(
        linux(),
        nvidia=nvidia("580.65.06", ("NVIDIA GeForce RTX 5090", "12.0"), ("NVIDIA GeForce GTX 1080", "6.1")),
    )


def test_mixed_5090_1080_plans_for_5090_and_names_the_1080() -> None:
    # RELEASE.md: no build has both sm_61 (cu126 only) and sm_120 (cu128+ only), so the most capable GPU
    # wins; CUDA_DEVICE_ORDER=PCI_BUS_ID makes CUDA_VISIBLE_DEVICES follow nvidia-smi's order (CUDA
    # programming guide, "CUDA Environment Variables").
    p = plan(_mixed())
    assert p.backend in ("cu128", "cu129", "cu130", "cu132")
    assert p.gpus == (0,)
    warning = next(w for w in p.warnings if "left out" in w)
    assert "GTX 1080" in warning and "CUDA_VISIBLE_DEVICES=0" in warning and "PCI_BUS_ID" in warning


def test_gpu_flag_selects_the_1080() -> None:
    # cu126 builds carry sm_60 SASS, which runs on sm_61 (CUDA binary compatibility: same major, >= minor).
    p = plan(_mixed(), gpus=[1])
    assert p.backend == "cu126"
    assert p.gpus == (1,)
    assert any("CUDA_VISIBLE_DEVICES=1" in w for w in p.warnings)


def test_gpu_flag_on_the_cli() -> None:
    code, out, _ = cli(_mixed(), "--gpu", "1", "--json")
    assert code == 0
    assert json.loads(out)["gpus"] == [1] and json.loads(out)["backend"] == "cu126"


def test_gpu_flag_out_of_range_is_exit_2() -> None:
    code, _, err = cli(_mixed(), "--gpu", "5")
    assert code == 2
    assert "0–1" in err and "--gpu" in err


def test_a100_t4_both_covered() -> None:
    # RELEASE.md 2.9 cu130: 7.5..12.0 covers T4 (7.5) and A100 (8.0): no GPU left out.
    p = plan(
        with_(linux(), nvidia=nvidia("580.65.06", ("NVIDIA A100-SXM4-40GB", "8.0"), ("Tesla T4", "7.5"))),
        ["torch==2.9.*"],
    )
    assert p.backend == "cu130" and p.gpus is None
    assert not any("left out" in w for w in p.warnings)


def test_a100_k80_newest_torch_covering_both() -> None:
    # Policy: the newest torch whose build covers every GPU. cu118 builds list 3.7 and 8.0
    # (pytorch/builder build_cuda.sh); torch 2.7 is the last release with cu118 (PyTorch 2.8 release notes).
    doc = with_(linux(), nvidia=nvidia("470.256.02", ("NVIDIA A100-PCIE-40GB", "8.0"), ("Tesla K80", "3.7")))
    p = plan(doc)
    assert p.backend == "cu118" and p.gpus is None
    assert p.package("torch").version.startswith("2.7.")  # type: ignore[union-attr]


def test_two_5090s_and_a_1080_keep_both_5090s() -> None:
    doc = with_(
        linux(),
        nvidia=nvidia(
            "580.65.06",
            ("NVIDIA GeForce RTX 5090", "12.0"),
            ("NVIDIA GeForce GTX 1080", "6.1"),
            ("NVIDIA GeForce RTX 5090", "12.0"),
        ),
    )
    p = plan(doc)
    assert p.gpus == (0, 2)
    assert any("CUDA_VISIBLE_DEVICES=0,2" in w for w in p.warnings)


def test_amd_mixed_unsupported_gfx803_is_left_out() -> None:
    # ROCm GPU support matrix: gfx803 (Polaris, RX 580) is not built by any ROCm 6 PyTorch wheel; gfx90a is.
    doc = with_(linux(), amd=amd(("AMD Radeon RX 580", "gfx803"), ("AMD Instinct MI250X", "gfx90a")))
    p = plan(doc)
    assert _kind(p.backend) == "rocm"
    assert p.gpus == (1,)
    assert any("HIP_VISIBLE_DEVICES=1" in w and "RX 580" in w for w in p.warnings)


# --- root cause 6: explicit intent -------------------------------------------------------------------------


def test_conda_override_cuda_without_gpu() -> None:
    # conda docs ("Managing virtual packages"): CONDA_OVERRIDE_CUDA sets `__cuda` so CUDA packages can be
    # installed on machines without a GPU; pixi documents the same. 12.4 -> torch 2.6's cu124 build.
    p = plan(with_(linux(), virtual_packages=["__cuda=12.4=0"]), ["torch==2.6.*"])
    assert p.backend == "cu124"
    assert any("no NVIDIA GPU was found" in w for w in p.warnings)


def test_conda_override_cuda_admits_minor_version_compatible_builds() -> None:
    # conda-forge/cuda-version-feedstock recipe/meta.yaml: `cuda-version` X.Y constrains `__cuda >=X`
    # ("Major version is lower bound"), so conda itself installs CUDA 12.6 packages under `__cuda=12.4`;
    # NVIDIA's compatibility guide: a CUDA 12.4 driver (550.54.14) runs CUDA 12.x through minor-version
    # compatibility (12.x needs >= 525.60.13), not 13.x (needs >= 580). PyTorch RELEASE.md: torch 2.14's
    # Linux builds are CUDA 12.6, 13.0 and 13.2. So `CONDA_OVERRIDE_CUDA=12.4` plans torch 2.14 with cu126,
    # as a real 12.4 driver does, not the older torch 2.7 with cu118 that a "CUDA <= 12.4" rule gave.
    p = plan(with_(linux(), virtual_packages=["__cuda=12.4=0"]), ["torch"])
    assert p.backend == "cu126"
    assert p.package("torch").version.startswith("2.14.")  # type: ignore[union-attr]
    assert any("minor-version compatibility" in w for w in p.reasons + p.warnings)
    rejected = {r.backend: r.why for r in p.rejected}
    assert "CONDA_OVERRIDE_CUDA=12.4" in rejected["cu130"]


def test_conda_override_cuda_probe_env(tmp_path: object) -> None:
    # Same source, through the probe: the environment variable on a GPU-less container.
    from tests.machines.test_machines import context_for
    from torchsmith.machine import probe_context
    from torchsmith.planning.plan import make_plan

    ctx = context_for("cpu-container")
    ctx.env["CONDA_OVERRIDE_CUDA"] = "12.8"
    machine = probe_context(ctx)
    assert "cu128" in machine.backends
    p = make_plan(["torch==2.8.*"], machine=machine)
    assert p.backend == "cu128"


def test_local_label_cu126_wins_offline() -> None:
    # PyTorch's install matrix writes pins as `torch==2.7.1+cu126` for the cu126 index; the label is the
    # user's backend choice even where cu128 would rank higher (driver 580 supports both).
    p = plan(with_(linux(), nvidia=nvidia("580.65.06", ("RTX 4090", "8.9"))), ["torch==2.7.1+cu126"])
    assert p.backend == "cu126"
    assert p.package("torch").version == "2.7.1+cu126"  # type: ignore[union-attr]


def test_local_label_cpu_on_gpu_machine() -> None:
    p = plan(with_(linux(), nvidia=nvidia("580.65.06", ("RTX 4090", "8.9"))), ["torch==2.7.1+cpu"])
    assert p.backend == "cpu"


def test_local_label_rocm64() -> None:
    # PyTorch 2.8 install matrix: ROCm 6.4 wheels (`+rocm6.4`); MI300X gfx942 is built in.
    p = plan(with_(linux(), amd=amd(("AMD Instinct MI300X", "gfx942"))), ["torch==2.8.0+rocm6.4"])
    assert p.backend == "rocm6.4"


def test_conflicting_labels_are_exit_2() -> None:
    code, _, err = cli(linux(), "torch==2.7.1+cu126", "torchvision==0.22.1+cu128")
    assert code == 2 and "local labels" in err


def test_label_contradicting_backend_flag() -> None:
    with pytest.raises(UsageError):
        plan(linux(), ["torch==2.7.1+cu126"], backend="cpu")


# --- truthful reasons --------------------------------------------------------------------------------------


def test_companion_pin_named_as_the_cap() -> None:
    # PyTorch's torchvision compatibility table: torchvision 0.20 pairs with torch 2.5.
    p = plan(
        with_(linux(), nvidia=nvidia("580.65.06", ("RTX 4090", "8.9"))), ["torch", "torchvision==0.20.*"]
    )
    assert p.package("torch").version.startswith("2.5.")  # type: ignore[union-attr]
    assert any("is newer, but not here" in r and "torchvision==0.20.*" in r for r in p.reasons)


def test_driver_floor_named_as_the_cap() -> None:
    # CUDA 12.x needs driver >= 525.60.13 on Linux (CUDA compatibility guide, minor-version compatibility);
    # driver 470 therefore stops at cu118.
    p = plan(with_(linux(), nvidia=nvidia("470.82.01", ("RTX 3080", "8.6"))))
    assert p.backend == "cu118"
    assert any("is newer, but not here" in r and "needs driver" in r for r in p.reasons)


def test_driver_floor_and_arch_list_both_named_when_each_stops_some_builds() -> None:
    # Expected answer, from the sources before the tables:
    # - PyTorch's release build matrix (test-infra generate_binary_build_matrix.py at the 2.12-2.13 go-live
    #   commits; RELEASE.md for 2.14): Windows builds are cu126, cu130, cu132; 2.10 and 2.11 still had cu128.
    # - pytorch/builder windows/cuda126.bat: the cu126 Windows builds target sm_50 ... sm_90 (no sm_120; CUDA
    #   12.6 cannot compile for Blackwell, CUDA 12.8 release notes).
    # - NVIDIA CUDA compatibility guide: CUDA 13.x needs driver >= 580; driver 576.02 is CUDA 12.9.
    # So an RTX 5090 on driver 576.02 gets torch 2.11 with cu128, and what keeps it from torch 2.14 is two
    # facts at once: cu13x needs a newer driver, and cu126 has no sm_120 code. Naming only the second (as
    # before) hid the fix: a driver update gets torch 2.14 with cu130.
    p = plan(with_(windows(), nvidia=nvidia("576.02", ("NVIDIA GeForce RTX 5090", "12.0"))), ["torch"])
    assert p.backend == "cu128"
    assert p.package("torch").version.startswith("2.11.")  # type: ignore[union-attr]
    cap = next(r for r in p.reasons if "is newer, but not here" in r)
    assert "needs driver >= 580" in cap
    assert "sm_120" in cap


@pytest.mark.parametrize(
    ("requirements", "options", "because"),
    [
        (["torch==2.5.1+cpu"], {}, "local label `+cpu`"),
        (["torch"], {"backend": "cpu"}, "`--backend cpu` asks for it"),
    ],
)
def test_cpu_asked_for_is_not_blamed_on_the_gpu(
    requirements: list[str], options: dict[str, str], because: str
) -> None:
    # PyTorch's install matrix: an RTX 4090 (sm_89) on driver 570 (CUDA 12.8) runs the cu126/cu128 builds of
    # torch 2.5-2.14, so a CPU plan here is the user's choice, and the plan must say that, not that "no
    # accelerated PyTorch build runs on this machine's GPU".
    doc = with_(linux(), nvidia=nvidia("570.86.10", ("NVIDIA GeForce RTX 4090", "8.9")))
    p = plan(doc, requirements, **options)
    assert p.backend == "cpu"
    assert any(because in r for r in p.reasons)
    assert not any(r.startswith("CPU build chosen") for r in p.reasons)


def test_build_known_to_serve_every_gpu_beats_a_newer_doubted_one() -> None:
    # Expected answer from PyTorch's Windows build scripts (as carried by ROCm/pytorch's merge snapshots):
    # release/2.8 .ci/pytorch/windows/cuda128.bat builds 6.1;7.0;7.5;8.0;8.6;9.0;10.0;12.0, release/2.9's
    # 7.0;...;12.0 (Pascal dropped); release/2.10's was not read. CUDA binary compatibility (CUDA C
    # Programming Guide): sm_61 code runs on a GTX 1080 only from a list with 6.x. So a GTX 1080 + RTX 5090
    # Windows box is served by torch 2.8's cu128 build, known to hold both; torch 2.10's cu128 is at best
    # unknown and the lists it would be assumed from lack sm_61, so it must not win just by being newer.
    doc = with_(
        windows(),
        nvidia=nvidia("581.57", ("NVIDIA GeForce GTX 1080", "6.1"), ("NVIDIA GeForce RTX 5090", "12.0")),
    )
    p = plan(doc, ["torch"])
    assert p.backend == "cu128"
    assert p.package("torch").version.startswith("2.8.")  # type: ignore[union-attr]
    assert p.verified is True
    assert any("torch 2.10" in r and "unknown" in r and "known to run" in r for r in p.reasons)


def test_gap_is_called_a_gap_not_missing_gpu() -> None:
    # As above: 2.10's Windows lists are assumed, not read; the plan names that, not a missing GPU.
    p = plan(with_(windows(), nvidia=nvidia("581.57", ("NVIDIA GeForce GTX 1080", "6.1"))), ["torch==2.10.*"])
    assert "needs an NVIDIA GPU" not in text(p)
    assert "assumed from neighbouring releases" in text(p)


def test_assumed_arch_list_is_not_a_known_fact() -> None:
    # torchsmith's cu118 2.6 Linux list is assumed from 2.5 and 2.7 (low confidence: release/2.6's
    # build_cuda.sh was not read); a plan resting on it must say so instead of claiming a verified build.
    p = plan(with_(linux(), nvidia=nvidia("470.256.02", ("Tesla K80", "3.7"))), ["torch==2.6.*"])
    assert p.backend == "cu118"
    assert p.verified is False
    assert any("assumed" in w for w in p.warnings)


# --- macOS, Linux floors -----------------------------------------------------------------------------------


def test_macos_arm64_cpu_with_mps_verified() -> None:
    # PyTorch macOS wheels are CPU builds with MPS (PyTorch "MPS backend" notes); 2.5.1 arm64 wheels are
    # macosx_11_0 (PyPI file list).
    p = plan(macos("14.5"), ["torch==2.5.*"])
    assert p.backend == "cpu" and p.verified


def test_macos_x86_64_after_22_is_exit_2() -> None:
    # PyTorch 2.3 release notes: macOS x86_64 binaries deprecated; the last are torch 2.2.x (PyPI files).
    code, _, err = cli(macos("13.6", arch="x86_64"), "torch==2.3.*")
    assert code == 2 and "2.2" in err


def test_centos7_glibc217_torch27_is_exit_2() -> None:
    # PyTorch 2.7 release notes: Linux wheels moved to manylinux_2_28 (glibc 2.28); CentOS 7 has 2.17.
    code, _, err = cli(linux(glibc="2.17"), "torch==2.7.*")
    assert code == 2 and "glibc" in err


def test_local_label_selects_the_backend_online(local_index: LocalIndex, tmp_path: Path) -> None:
    # Same source as the offline case: `+cu126` names download.pytorch.org/whl/cu126; online the plan must
    # pin that index's file even though cu130 ranks higher for a driver-580 H100.
    from tests.plan.conftest import machine
    from tests.plan.test_plan_index import settings_for
    from torchsmith.planning.plan import make_plan

    p = make_plan(
        ["torch==2.13.0+cu126"],
        machine=machine("h100-driver580"),
        settings=settings_for(local_index, tmp_path),
    )
    assert not p.offline
    assert p.backend == "cu126"
    torch = p.package("torch")
    assert torch is not None and torch.filename is not None and "+cu126" in torch.filename


def test_install_gpu_flag_reaches_the_plan() -> None:
    # `install --gpu` plans like `plan --gpu`; an index the machine does not have is a usage error (exit 2).
    import io
    import sys
    from contextlib import redirect_stderr

    from tests.machines.test_machines import HERE
    from torchsmith.cli import main

    err = io.StringIO()
    with redirect_stderr(err):
        code = main(
            [
                "install",
                "--dry-run",
                "--gpu",
                "9",
                "--root",
                str(HERE / "a100-t4-mixed"),
                "--python",
                sys.executable,
            ]
        )
    assert code == 2
    assert "this machine has GPUs 0–1" in err.getvalue()


def test_arc_before_25_has_no_xpu_wheels() -> None:
    # PyTorch "Getting Started on Intel GPU": prebuilt XPU wheels start with PyTorch 2.5; 2.4 was source-only.
    doc = with_(linux(), intel={"gpus": [{"name": "Intel Arc A770", "device_id": "0x56a0"}]})
    p = plan(doc, ["torch==2.4.*"])
    assert p.backend == "cpu"


def test_core_ultra_windows_xpu() -> None:
    # Same source: Intel Core Ultra (Meteor Lake, Arc graphics, PCI 0x7D55) is supported on Windows.
    doc = with_(windows(), intel={"gpus": [{"name": "Intel(R) Arc(TM) Graphics", "device_id": "0x7D55"}]})
    assert plan(doc, ["torch==2.7.*"]).backend == "xpu"


def test_rx7900xtx_rocm() -> None:
    # ROCm compatibility matrix: gfx1100 (Radeon RX 7900 XTX) is supported; PyTorch 2.8 ships ROCm 6.4 wheels.
    p = plan(with_(linux(), amd=amd(("AMD Radeon RX 7900 XTX", "gfx1100"))), ["torch==2.8.*"])
    assert p.backend == "rocm6.4"


def test_gfx1031_gets_cpu_with_the_override_for_this_torch() -> None:
    # ROCm docs list gfx1030 but not gfx1031 (RX 6700 XT); HSA_OVERRIDE_GFX_VERSION=10.3.0 makes it report
    # gfx1030. The suggested backend must exist for the requested torch (2.8: ROCm 6.3/6.4).
    p = plan(with_(linux(), amd=amd(("AMD Radeon RX 6700 XT", "gfx1031"))), ["torch==2.8.*"])
    assert p.backend == "cpu"
    line = next(r for r in p.reasons if "HSA_OVERRIDE_GFX_VERSION=10.3.0" in r)
    assert "--backend rocm6.4" in line or "--backend rocm6.3" in line


def test_conda_override_wins_over_an_older_driver() -> None:
    # conda docs: CONDA_OVERRIDE_CUDA replaces the detected `__cuda` (to build for another machine); with an
    # override of 12.4 on a driver-470 host the environment is for CUDA 12.4: torch 2.6's cu124 build, with a
    # warning that this host's driver must be updated to run it.
    doc = with_(
        linux(),
        nvidia=nvidia("470.82.01", ("RTX 3080", "8.6"), cuda="11.4"),
        virtual_packages=["__cuda=12.4=0"],
    )
    p = plan(doc, ["torch==2.6.*"])
    assert p.backend == "cu124"
    assert any("CONDA_OVERRIDE_CUDA=12.4" in w and "update the driver" in w for w in p.warnings)


def test_conda_override_with_gpu_but_no_driver() -> None:
    # conda docs: CONDA_OVERRIDE_CUDA is how an environment is built for CUDA where the driver is absent
    # (a fresh host before the driver install); the GPU seen on PCI (RTX 3080, sm_86) is still checked.
    doc = with_(
        linux(), nvidia=nvidia(None, ("NVIDIA GeForce RTX 3080", "8.6")), virtual_packages=["__cuda=12.6=0"]
    )
    p = plan(doc, ["torch==2.8.*"])
    assert p.backend == "cu126"
    assert any("no NVIDIA driver is loaded" in w for w in p.warnings)


def test_jetson_l4t_written_with_r_prefix() -> None:
    # jtop prints the L4T release as `R35.5.0`; it is JetPack 5.1.3 and takes NVIDIA's jp/v512 wheel.
    p = plan(jetson("R35.5.0", "NVIDIA Jetson AGX Orin Developer Kit", "3.8"))
    assert p.package("torch").version == "2.1.0a0+41361538.nv23.06"  # type: ignore[union-attr]


def test_wsl2_gtx1080_gets_cu126() -> None:
    # WSL2 runs Linux wheels on the Windows host's driver (NVIDIA CUDA on WSL guide); RELEASE.md: Linux cu126
    # keeps sm_60 SASS (runs on sm_61), cu128+/cu130 start at sm_75.
    doc = with_(linux(), wsl=True, nvidia=nvidia("581.57", ("NVIDIA GeForce GTX 1080", "6.1")))
    p = plan(doc)
    assert p.backend == "cu126" and p.verified


def test_wsl2_rtx5090_torch27_cu128() -> None:
    # PyTorch 2.7 release notes: Blackwell (sm_120) in the CUDA 12.8 builds; WSL2 uses the Linux wheels.
    doc = with_(linux(), wsl=True, nvidia=nvidia("576.02", ("NVIDIA GeForce RTX 5090", "12.0")))
    p = plan(doc, ["torch==2.7.*"])
    assert p.backend == "cu128"


def test_v100_and_5090_newest_torch_serving_both() -> None:
    # pytorch#160269 kept Volta (sm_70) in the 2.8 cu128 builds and 2.9/2.10 kept it (build_cuda.sh);
    # RFC pytorch#172352 dropped it from 2.11's cu128; cu130 starts at sm_75 and cu126 stops at sm_90. So
    # torch 2.10 cu128 is the newest build with both sm_70 and sm_120; the RTX 5090 alone could have 2.11+.
    doc = with_(linux(), nvidia=nvidia("580.65.06", ("Tesla V100-SXM2-32GB", "7.0"), ("RTX 5090", "12.0")))
    p = plan(doc)
    assert p.backend == "cu128" and p.gpus is None
    assert p.package("torch").version.startswith("2.10.")  # type: ignore[union-attr]
    assert any("serves every GPU" in r and "--gpu 1" in r for r in p.reasons)


def test_jetpack61_offline_newer_torch_is_called_a_knowledge_gap() -> None:
    # NVIDIA forum (JetPack 6.1): torch 2.4-2.6 builds live on the jp6/cu126 index; offline torchsmith knows
    # only the jp/v61 redist wheel (2.5.0a0), so `torch>=2.6` is a gap in its knowledge, not "wrong Python".
    p = plan(jetson("36.4.0", "NVIDIA Jetson AGX Orin Developer Kit", "3.10"), ["torch>=2.6"])
    why = {r.backend: r.why for r in p.rejected}["jp6-cu126"]
    assert "gap in its knowledge" in why and "plan online" in why
    assert "use the system Python" not in why


def test_driver_too_old_for_any_cuda_build_is_named() -> None:
    # NVIDIA CUDA compatibility guide: CUDA 11.x needs >= 450.80.02 on Linux; driver 390 (CUDA 9.1) is below
    # every CUDA build PyTorch >= 1.13 ships, so the CPU plan must name the driver, not an empty override.
    p = plan(with_(linux(), nvidia=nvidia("390.157", ("GeForce GTX 1080", "6.1"))))
    assert p.backend == "cpu"
    line = next(r for r in p.reasons if r.startswith("CPU build chosen"))
    assert "390.157" in line and "CONDA_OVERRIDE_CUDA" not in line


def test_amd_gpu_without_gfx_is_unknown_not_cpu() -> None:
    # Issue 10: an unreadable architecture is an unknown fact, neither a pass nor a silent CPU plan. An AMD
    # GPU whose gfx target rocminfo could not report gets the newest ROCm build, marked unverified.
    p = plan(with_(linux(), amd=amd(("AMD Radeon Graphics", None))), ["torch==2.8.*"])
    assert _kind(p.backend) == "rocm"
    assert p.verified is False
    assert any("gfx target" in w for w in p.warnings)
