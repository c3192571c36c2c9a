"""Every rule answers runs, does not run, or unknown (`rules.check(...).fact`); unknown is never a pass."""

from __future__ import annotations

import pytest
from packaging.version import Version

from tests.plan.support_decisions import amd, linux, load, macos, nvidia, windows, with_
from torchsmith.backends import parse_backend
from torchsmith.planning.rules import Fact, check

CASES = [
    # (id, machine document, torch, backend, expected fact, text the answer must contain)
    # RELEASE.md: 2.9 cu130 Linux = sm_75..sm_120 -> an H100 (sm_90) runs it.
    ("cuda-known-runs", with_(linux(), nvidia=nvidia("580.65.06", ("H100", "9.0"))), "2.9.1", "cu130",
     Fact.RUNS, ""),
    # CUDA 13.0 release notes: no sm_61 code generation.
    ("cuda-known-fails", with_(linux(), nvidia=nvidia("580.65.06", ("GTX 1080", "6.1"))), "2.9.1", "cu130",
     Fact.FAILS, "sm_61"),
    # NVIDIA driver tables: CUDA 12.x needs >= 525.60.13 on Linux.
    ("driver-floor", with_(linux(), nvidia=nvidia("470.82.01", ("RTX 3080", "8.6"))), "2.5.1", "cu124",
     Fact.FAILS, "needs driver"),
    ("cc-unreadable", with_(linux(), nvidia=nvidia("580.65.06", ("GPU", None))), "2.9.1", "cu130",
     Fact.UNKNOWN, "could not be read"),
    # Windows 2.10 cu128's arch list was not read (release/2.10's cuda128.bat is not in reach; the table
    # assumes 2.9's, confidence low), and CUDA 12.8 can target sm_89: unknown.
    ("windows-gap", with_(windows(), nvidia=nvidia("581.57", ("RTX 4090", "8.9"))), "2.10.0", "cu128",
     Fact.UNKNOWN, "assumed"),
    # CUDA 12.6 predates sm_120 (CUDA 12.8 release notes), so even an assumed list decides "does not run".
    ("gap-decided-by-toolkit", with_(windows(), nvidia=nvidia("581.57", ("RTX 5090", "12.0"))), "2.10.0",
     "cu126", Fact.FAILS, "predates sm_120"),
    # ROCm compatibility matrix: gfx90a in every PyTorch ROCm wheel; gfx803 in none of ROCm 6.
    ("rocm-runs", with_(linux(), amd=amd(("MI250X", "gfx90a"))), "2.8.0", "rocm6.4", Fact.RUNS, ""),
    ("rocm-fails", with_(linux(), amd=amd(("RX 580", "gfx803"))), "2.8.0", "rocm6.4", Fact.FAILS, "gfx803"),
    ("rocm-unknown", with_(linux(), amd=amd(("AMD GPU", None))), "2.8.0", "rocm6.4", Fact.UNKNOWN, "gfx"),
    # PyTorch 2.7 release notes: manylinux_2_28 (glibc 2.28).
    ("glibc-floor", linux(glibc="2.17"), "2.7.1", "cpu", Fact.FAILS, "glibc"),
    ("glibc-unknown", {**linux(), "libc": None}, "2.7.1", "cpu", Fact.UNKNOWN, "glibc"),
    # PyTorch macOS arm64 wheels of 2.5 need macOS 11 (macosx_11_0 tags on PyPI).
    ("macos-runs", macos("14.5"), "2.5.1", "cpu", Fact.RUNS, ""),
    ("macos-unknown", {**macos("14.5"), "apple": {"chip": "M2"}}, "2.5.1", "cpu", Fact.UNKNOWN, "macOS"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("doc", "torch", "backend", "fact", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_rule_answers(doc: dict[str, object], torch: str, backend: str, fact: Fact, words: str) -> None:
    verdict = check(load(doc), Version(torch), parse_backend(backend))
    assert verdict.fact is fact, verdict
    shown = " ".join([verdict.why or "", *verdict.unknown])
    assert words in shown
    assert verdict.verified is (fact is Fact.RUNS)
