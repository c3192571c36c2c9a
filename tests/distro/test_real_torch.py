"""One cell with the real torch 2.13.0 CPU build of this machine (`[torch-wheels]`), tier 2.

The wheel is on disk (`/opt/wheels`) and its dependencies come from the machine's local package mirror
(`file:///opt/pypi/simple`), so nothing is downloaded. The distro folder, its cached venv and uv's cache
are kept under the system temp dir across sessions (as the doctor tests keep their torch venv), because
unpacking torch takes a while the first time.
"""

from __future__ import annotations

import fcntl
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from tests.support.wheels import make_wheel
from torchsmith.distro import make_report, run_tests
from torchsmith.index.settings import IndexSettings

pytestmark = pytest.mark.slow

WHEEL = Path("/opt/wheels/torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl")
MIRROR = Path("/opt/pypi/simple")
CODE = "import torch\n\n\ndef total(n):\n    return float(torch.ones(n).sum())\n"
TEST = (
    "import torch\nimport realpure\n\n\ndef test_total_on_real_torch():\n"
    "    assert realpure.total(3) == 3.0\n    assert torch.__version__ == '2.13.0+cpu'\n"
)


def test_real_torch_cell(tmp_path: Path) -> None:
    if sys.version_info[:2] != (3, 11) or not WHEEL.exists() or not MIRROR.exists():
        pytest.skip("needs CPython 3.11, the torch 2.13.0 CPU wheel in /opt/wheels and the /opt/pypi mirror")
    base = Path(tempfile.gettempdir()) / "torchsmith-tests"
    base.mkdir(parents=True, exist_ok=True)
    root = base / "distro-real-torch"
    with (base / "distro-real-torch.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        shutil.rmtree(root / ".distro" / "results", ignore_errors=True)
        make_wheel(
            root / "wheels",
            "realpure",
            "1.0",
            "py3",
            "none",
            "any",
            requires_dist=["torch>=2.9"],
            files={"realpure/__init__.py": CODE},
        )
        (root / "tests").mkdir(exist_ok=True)
        (root / "tests" / "test_realpure.py").write_text(TEST)
        (root / "distro.toml").write_text(
            f'[distro]\nname = "real"\nindex-url = "{MIRROR.as_uri()}"\n\n'
            '[matrix]\ntorch = ["2.13"]\nbackends = ["cpu"]\npythons = ["3.11"]\n\n'
            f'[torch-wheels]\n"torch2.13-cpu-py3.11" = "{WHEEL}"\n\n'
            '[[member]]\nname = "realpure"\npath = "wheels/realpure-1.0-py3-none-any.whl"\n'
            'test = "python -m pytest -q -p no:cacheprovider tests"\ntest-requires = ["pytest"]\n'
        )
        env = {
            "PATH": f"{Path(sys.base_prefix) / 'bin'}:/usr/bin:/bin",
            "HOME": str(tmp_path),
            "UV_CACHE_DIR": str(base / "uv-cache"),
            "UV_NO_CONFIG": "1",
        }
        settings = IndexSettings.from_env({"TORCHSMITH_CACHE_DIR": str(tmp_path / "cache")})
        run = run_tests(distro_path=root / "distro.toml", tier=2, settings=settings, env=env, timeout=540)
        fcntl.flock(lock, fcntl.LOCK_UN)
    (cell,) = run.cells
    assert cell.torch == "2.13.0+cpu" and cell.error is None
    outcome = cell.outcome("realpure")
    assert outcome is not None and (outcome.status, outcome.stage) == ("pass", "tier2"), outcome
    assert "1 passed" in (root / ".distro" / "results" / str(outcome.log)).read_text()
    assert "| realpure | 1.0 | pass |" in make_report(distro_path=root / "distro.toml").text
