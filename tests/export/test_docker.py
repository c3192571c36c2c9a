"""Dockerfiles, checked structurally (instructions parsed line by line; `docker build` cannot run here).

hadolint, the install-by-hash path and the check script are tested in tests/surfaces/test_docker.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from torchsmith.errors import UsageError
from torchsmith.export import export

KNOWN = {"FROM", "ENV", "RUN", "HEALTHCHECK", "COPY", "ARG", "WORKDIR", "CMD", "LABEL", "USER"}


def _instructions(text: str) -> list[tuple[str, str]]:
    """(instruction, arguments) with continuation lines joined, comments skipped."""
    result: list[tuple[str, str]] = []
    pending = ""
    for line in text.splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        pending += line.rstrip("\\").strip() + " "
        if line.endswith("\\"):
            continue
        keyword, _, args = pending.strip().partition(" ")
        result.append((keyword, args))
        pending = ""
    assert not pending, "dangling line continuation"
    return result


def test_dockerfiles_per_target(tmp_path: Path, offline_settings) -> None:  # type: ignore[no-untyped-def]
    export("docker", ["torch"], targets=["linux-cu126", "linux-aarch64-cpu", "jetson-jp6"], output=tmp_path,
           settings=offline_settings)  # fmt: skip
    cuda = _instructions((tmp_path / "Dockerfile.linux-cu126").read_text())
    assert {k for k, _ in cuda} <= KNOWN
    assert cuda[0][0] == "FROM" and cuda[0][1].startswith("--platform=linux/amd64 python:3.")
    assert cuda[0][1].endswith("-slim")
    install = next(args for k, args in cuda if k == "RUN" and "pip install" in args)
    assert "--extra-index-url https://download.pytorch.org/whl/cu126" in install
    assert '"torch==' in install and '+cu126"' in install
    check = "python /opt/torchsmith/torchsmith-check.py --check --no-device-test --expect torch=="
    assert any(
        k == "RUN" and args.startswith(check) and args.endswith("+cu126 --backend cu126") for k, args in cuda
    )
    assert any(
        k == "HEALTHCHECK" and args.endswith('"--backend", "cu126", "--require-gpu"]') for k, args in cuda
    )
    assert not any("torchsmith doctor" in args or "install torchsmith" in args for _, args in cuda)

    arm = _instructions((tmp_path / "Dockerfile.linux-aarch64-cpu").read_text())
    assert arm[0][1].startswith("--platform=linux/arm64 python:")

    jetson = _instructions((tmp_path / "Dockerfile.jetson-jp6").read_text())
    assert jetson[0][0] == "FROM" and jetson[0][1].startswith("nvcr.io/nvidia/l4t-jetpack:r36.")
    env = dict(args.split("=", 1) for k, args in jetson if k == "ENV" and args.startswith("TORCH_INSTALL="))
    assert env["TORCH_INSTALL"].endswith("-cp310-cp310-linux_aarch64.whl")
    assert any(k == "RUN" and "libopenblas-dev" in args for k, args in jetson)
    assert any(k == "RUN" and "torchsmith-check.py --check --no-device-test" in args for k, args in jetson)


def test_user_lines_outside_the_block_survive(tmp_path: Path, offline_settings) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "Dockerfile.linux-cpu"
    export("docker", ["torch"], targets=["linux-cpu"], output=tmp_path, settings=offline_settings)
    text = path.read_text() + 'COPY app /app\nCMD ["python", "/app/main.py"]\n'
    path.write_text(text)
    result = export("docker", ["torch"], targets=["linux-cpu"], output=tmp_path, settings=offline_settings)
    assert not result.files[0].changed and path.read_text() == text
    export(
        "docker", ["torch", "torchvision"], targets=["linux-cpu"], output=tmp_path, settings=offline_settings
    )
    new = path.read_text()
    assert new.endswith('COPY app /app\nCMD ["python", "/app/main.py"]\n') and '"torchvision==' in new


def test_no_dockerfile_for_macos(tmp_path: Path, offline_settings) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UsageError, match="Linux images"):
        export("docker", ["torch"], targets=["macos"], output=tmp_path, settings=offline_settings)
