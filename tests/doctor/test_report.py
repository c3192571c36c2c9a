"""The report's text rendering and JSON document on an unhealthy environment."""

from __future__ import annotations

import shlex
from collections.abc import Callable

from tests.doctor.fakes import FakeEnv
from torchsmith.doctor import DoctorReport, render_text


def test_text_report_lists_summary_findings_and_verdict(
    make_env: Callable[..., FakeEnv], doctor: Callable[..., DoctorReport]
) -> None:
    env = make_env()
    env.add_torch(version="2.5.1+cu124", cuda="12.4")
    env.add_dist("torchvision", "0.20.1+cpu")
    report = doctor(env)
    python = shlex.quote(str(env.python))
    text = render_text(report).replace(str(env.prefix), "<env>")
    assert text == (
        "torchsmith doctor: <env>/bin/python\n"
        "\n"
        "  python 3.11.7 (cp311) at `<env>/bin/python`\n"
        f"  torch 2.5.1+cu124 (CUDA 12.4 build) from `<env>/lib/python3.11/site-packages/torch`, imported in "
        f"{report.facts.torch.import_seconds:.2f} s\n"
        "  torchvision 0.20.1+cpu\n"
        "  machine: linux x86_64, glibc 2.36; runs cpu\n"
        "  devices: cpu\n"
        "  device test skipped\n"
        "\n"
        "error[companion-mismatch]: torchvision 0.20.1+cpu does not match torch 2.5.1+cu124: backend labels "
        "differ: torch is `+cu124`, torchvision is `+cpu`\n"
        "  evidence: torch 2.5.1+cu124 at `<env>/lib/python3.11/site-packages/torch-2.5.1+cu124.dist-info`\n"
        "  evidence: torchvision 0.20.1+cpu at "
        "`<env>/lib/python3.11/site-packages/torchvision-0.20.1+cpu.dist-info`\n"
        "  fix: torchsmith install torch==2.5.1 torchvision==0.20.1 --backend cu124 --python "
        f"{python.replace(str(env.prefix), '<env>')}\n"
        "\n"
        "warning[gpu-build-without-gpu]: torch 2.5.1+cu124 is a CUDA build, but this machine has no "
        "NVIDIA GPU: it runs on the CPU only, carrying gigabytes of GPU libraries\n"
        "  evidence: torch 2.5.1+cu124 (cuda build) at "
        "`<env>/lib/python3.11/site-packages/torch/__init__.py`\n"
        "  evidence: this machine runs: `cpu`\n"
        "  fix: torchsmith install torch torchvision --backend cpu --python "
        f"{python.replace(str(env.prefix), '<env>')}\n"
        "\n"
        "unhealthy: 1 error(s), 1 warning(s)\n"
    )
    document = report.to_json()
    assert document["healthy"] is False and report.exit_code == 1
    assert [f["rule"] for f in document["findings"]] == ["companion-mismatch", "gpu-build-without-gpu"]
    assert document["environment"]["torch"]["cuda"] == "12.4"
