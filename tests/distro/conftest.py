"""A small real distro for the distro tests: three members and a flaky one, with real pytest suites.

Members (real wheels built with `make_wheel`, tests as real pytest files beside `distro.toml`):
    alpha  pure, `torch>=2.5`; `alpha.double(x)` (2.0 renames it `twice`: an update that breaks beta)
    ext    exact-abi, `torch==2.9.*` (so it cannot join the torch 2.11 cell)
    beta   pure, requires alpha; its tests call `alpha.double`
    gamma  pure, its test fails once per cell (a marker file), then passes: flaky
torch comes from the session's local index (`tests/support`); pytest comes from a wheelhouse (`find-links`)
filled from this machine's local package mirror, so nothing is downloaded.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.fixtures import LocalIndex
from tests.support.wheels import make_wheel
from torchsmith.index.settings import IndexSettings

MIRROR = Path("/opt/pypi/files")
TOOLS = ("pytest-8.4.2-", "pluggy-1.6.0-", "iniconfig-2.3.0-", "packaging-26.3-", "pygments-2.21.0-")

ALPHA_1 = "import torch\n\n__version__ = '1.0'\n\n\ndef double(x):\n    return 2 * x\n"
ALPHA_2 = "import torch\n\n__version__ = '2.0'\n\n\ndef twice(x):\n    return 2 * x\n"
BETA = "import alpha\n\n__version__ = '1.0'\n\n\ndef quad(x):\n    return alpha.double(alpha.double(x))\n"
EXT = "import torch\n\n__version__ = '1.0'\nBUILT_FOR = '2.9'\n"
GAMMA = "__version__ = '1.0'\n"

TESTS = {
    "alpha": "import alpha\n\n\ndef test_doubles():\n    f = getattr(alpha, 'double', None) or alpha.twice\n"
    "    assert f(21) == 42\n",
    "beta": "import beta\n\n\ndef test_quad():\n    assert beta.quad(1) == 4\n",
    "ext": "import ext\nimport torch\n\n\ndef test_built_for_this_torch():\n"
    "    assert torch.__version__.startswith(ext.BUILT_FOR)\n",
    "gamma": "import os\nfrom pathlib import Path\n\n\ndef test_flaky():\n"
    "    marker = Path(os.environ['FLAKY_DIR']) / os.environ['TORCHSMITH_DISTRO_CELL']\n"
    "    if not marker.exists():\n        marker.write_text('failed once')\n"
    "        raise AssertionError('first run fails')\n",
}


@dataclass
class DistroDir:
    """A distro on disk: `path` is its `distro.toml`."""

    root: Path
    path: Path
    settings: IndexSettings
    env: dict[str, str]

    def write(
        self,
        members: str,
        *,
        torch: str = '["2.9", "2.11"]',
        backends: str = '["cpu"]',
        pythons: str = '["3.11"]',
        extra: str = "",
    ) -> Path:
        text = (
            f'[distro]\nname = "testdistro"\noutput = "channel"\nfind-links = ["tools"]\n{extra}\n'
            f"[matrix]\ntorch = {torch}\nbackends = {backends}\npythons = {pythons}\n\n{members}"
        )
        self.path.write_text(text, encoding="utf-8")
        return self.path


def member(name: str, wheel: str, abi: str = "pure", test: bool = True) -> str:
    lines = [f'[[member]]\nname = "{name}"\npath = "wheels/{wheel}"\nabi = "{abi}"']
    if test:
        lines.append(
            f'test = "python -m pytest -q -p no:cacheprovider tests/{name}"\ntest-requires = ["pytest"]'
        )
    return "\n".join(lines) + "\n\n"


STANDARD = (
    member("alpha", "alpha-1.0-py3-none-any.whl")
    + member("ext", "ext-1.0-py3-none-any.whl", "exact-abi")
    + member("beta", "beta-1.0-py3-none-any.whl")
)


def build_wheels(wheels: Path) -> None:
    def pure(name: str, version: str, code: str, requires: tuple[str, ...]) -> None:
        make_wheel(
            wheels,
            name,
            version,
            "py3",
            "none",
            "any",
            requires_dist=requires,
            files={f"{name}/__init__.py": code},
        )

    pure("alpha", "1.0", ALPHA_1, ("torch>=2.5",))
    pure("alpha", "2.0", ALPHA_2, ("torch>=2.5",))
    pure("ext", "1.0", EXT, ("torch==2.9.*",))
    pure("beta", "1.0", BETA, ("alpha>=1.0", "torch"))
    pure("gamma", "1.0", GAMMA, ())


@pytest.fixture
def distro_dir(local_index: LocalIndex, tmp_path: Path) -> Callable[[], DistroDir]:
    def make() -> DistroDir:
        root = tmp_path / "distro"
        (root / "tools").mkdir(parents=True)
        found = [p for p in MIRROR.glob("*.whl") if p.name.startswith(TOOLS)] if MIRROR.exists() else []
        if len(found) < len(TOOLS):
            pytest.skip(f"pytest's wheels are not in {MIRROR}")
        for wheel in found:
            shutil.copy(wheel, root / "tools")
        build_wheels(root / "wheels")
        for name, text in TESTS.items():
            (root / "tests" / name).mkdir(parents=True)
            (root / "tests" / name / f"test_{name}.py").write_text(text, encoding="utf-8")
        (root / "flaky").mkdir()
        env = {
            "TORCHSMITH_INDEX_URL": local_index.base,
            "UV_INDEX_URL": local_index.pypi,
            "TORCHSMITH_CACHE_DIR": str(tmp_path / "cache"),
        }
        settings = IndexSettings.from_env(env)
        run_env = {
            "PATH": f"{Path(sys.base_prefix) / 'bin'}:/usr/local/bin:/usr/bin:/bin",
            "HOME": str(tmp_path),
            "LANG": "C.UTF-8",
            "UV_CACHE_DIR": str(tmp_path / "uv-cache"),
            "UV_NO_CONFIG": "1",
            "FLAKY_DIR": str(root / "flaky"),
        }
        return DistroDir(root, root / "distro.toml", settings, run_env)

    return make
