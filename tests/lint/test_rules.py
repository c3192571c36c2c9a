"""One positive and one negative case per rule: the bad config triggers the rule, its repaired twin does not.

The pairs differ only in the trap, so each negative also shows what the rule's fix looks like.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from torchsmith.errors import UsageError
from torchsmith.findings import Finding
from torchsmith.lint import RULES, lint_paths

UV_HEAD = '[project]\nname = "p"\nversion = "0"\nrequires-python = ">=3.12"\n'
CU124 = '[[tool.uv.index]]\nname = "cu124"\nurl = "https://download.pytorch.org/whl/cu124"\nexplicit = true\n'
LINUX = "marker = \"sys_platform == 'linux'\""
PT_CPU = '[[tool.poetry.source]]\nname = "cpu"\nurl = "https://download.pytorch.org/whl/cpu"\n'
PT_CPU += 'priority = "explicit"\n'
PT_CU = PT_CPU.replace('"cpu"', '"cu"').replace("/cpu", "/cu126")
PIXI = '[workspace]\nchannels = ["conda-forge"]\nplatforms = ["linux-64"]\n'

# rule id -> (file name, bad text, good text)
PAIRS: dict[str, tuple[str, str, str]] = {
    "uv-index-not-explicit": (
        "pyproject.toml",
        UV_HEAD
        + 'dependencies = ["torch"]\n[tool.uv.sources]\ntorch = { index = "cu124", '
        + LINUX
        + " }\n"
        + CU124.replace("explicit = true\n", ""),
        UV_HEAD
        + 'dependencies = ["torch"]\n[tool.uv.sources]\ntorch = { index = "cu124", '
        + LINUX
        + " }\n"
        + CU124,
    ),
    "uv-source-without-platform-marker": (
        "pyproject.toml",
        UV_HEAD + 'dependencies = ["torch"]\n[tool.uv.sources]\ntorch = { index = "cu124" }\n' + CU124,
        UV_HEAD
        + 'dependencies = ["torch"]\n[tool.uv.sources]\ntorch = { index = "cu124", '
        + LINUX
        + " }\n"
        + CU124,
    ),
    "uv-extras-without-conflicts": (
        "pyproject.toml",
        UV_HEAD + '[project.optional-dependencies]\na = ["torch"]\nb = ["torch"]\n[tool.uv.sources]\n'
        'torch = [{ index = "cu124", extra = "a" }, { index = "cu118", extra = "b" }]\n'
        + CU124
        + CU124.replace("cu124", "cu118"),
        UV_HEAD + '[project.optional-dependencies]\na = ["torch"]\nb = ["torch"]\n'
        '[tool.uv]\nconflicts = [[{ extra = "a" }, { extra = "b" }]]\n[tool.uv.sources]\n'
        'torch = [{ index = "cu124", extra = "a" }, { index = "cu118", extra = "b" }]\n'
        + CU124
        + CU124.replace("cu124", "cu118"),
    ),
    "companion-from-other-index": (
        "requirements.txt",
        "--extra-index-url https://download.pytorch.org/whl/cu124\ntorch==2.5.1+cu124\ntorchvision==0.20.1+cu121\n",
        "--extra-index-url https://download.pytorch.org/whl/cu124\ntorch==2.5.1+cu124\ntorchvision==0.20.1+cu124\n",
    ),
    "companion-version-mismatch": (
        "requirements.txt",
        "torch==2.5.1\ntorchvision==0.21.0\n",
        "torch==2.5.1\ntorchvision==0.20.1\n",
    ),
    "pytorch-index-as-default": (
        "requirements.txt",
        "-i https://download.pytorch.org/whl/cpu\ntorch\n",
        "--extra-index-url https://download.pytorch.org/whl/cpu\ntorch\n",
    ),
    "poetry-source-not-explicit": (
        "pyproject.toml",
        '[tool.poetry.dependencies]\ntorch = { version = "*", source = "pt" }\n'
        '[[tool.poetry.source]]\nname = "pt"\nurl = "https://download.pytorch.org/whl/cpu"\n',
        '[tool.poetry.dependencies]\ntorch = { version = "*", source = "pt" }\n'
        '[[tool.poetry.source]]\nname = "pt"\nurl = "https://download.pytorch.org/whl/cpu"\n'
        'priority = "explicit"\n',
    ),
    "poetry-extra-cpu-fallback": (
        "pyproject.toml",
        '[tool.poetry.dependencies]\ntorch = { version = "*", source = "cpu", optional = true }\n'
        "[tool.poetry.group.gpu]\noptional = true\n[tool.poetry.group.gpu.dependencies]\n"
        'torch = { version = "*", source = "cu" }\n[tool.poetry.extras]\ngpu = ["torch"]\n' + PT_CPU + PT_CU,
        '[tool.poetry.dependencies]\ntorch = { version = "*", source = "cpu", optional = true }\n'
        "[tool.poetry.group.gpu]\noptional = false\n[tool.poetry.group.gpu.dependencies]\n"
        'torch = { version = "*", source = "cu" }\n[tool.poetry.extras]\ngpu = ["torch"]\n' + PT_CPU + PT_CU,
    ),
    "pixi-cuda-not-declared": (
        "pixi.toml",
        PIXI + '[dependencies]\npytorch-gpu = "*"\n',
        '[workspace]\nchannels = ["conda-forge"]\nplatforms = [{ platform = "linux-64", cuda = "12" }]\n'
        '[dependencies]\npytorch-gpu = "*"\n',
    ),
    "conda-mixed-channels": (
        "environment.yml",
        "channels:\n  - conda-forge\n  - pytorch\ndependencies:\n  - pytorch\n",
        "channels:\n  - conda-forge\ndependencies:\n  - pytorch\n",
    ),
    "conda-legacy-pytorch-channel": (
        "environment.yml",
        "channels: [nvidia, defaults]\ndependencies:\n  - pytorch==2.1.0\n  - pytorch-cuda=11.8\n",
        "channels: [conda-forge]\ndependencies:\n  - pytorch-gpu==2.1.0\n  - cuda-version=11.8\n",
    ),
    "conda-pypi-torch-mix": (
        "pixi.toml",
        PIXI + '[dependencies]\nlightning = "*"\n[pypi-dependencies]\ntorch = "*"\n',
        PIXI + '[pypi-dependencies]\nlightning = "*"\ntorch = "*"\n',
    ),
    "requires-python-without-wheels": (
        "pyproject.toml",
        '[project]\nname = "p"\nversion = "0"\nrequires-python = ">=3.8"\ndependencies = ["torch>=2.6"]\n',
        '[project]\nname = "p"\nversion = "0"\nrequires-python = ">=3.9"\ndependencies = ["torch>=2.6"]\n',
    ),
    "platform-without-wheels": (
        "pixi.toml",
        '[workspace]\nchannels = ["conda-forge"]\nplatforms = ["linux-64", "osx-64"]\n[dependencies]\n'
        'python = "3.12.*"\n[pypi-dependencies]\ntorch = ">=2.5"\n',
        '[workspace]\nchannels = ["conda-forge"]\nplatforms = ["linux-64", "osx-64"]\n[dependencies]\n'
        'python = "3.12.*"\n[pypi-dependencies]\ntorch = ">=2.2,<2.3"\n',
    ),
    "insecure-index": (
        "pip.conf",
        "[global]\nextra-index-url =\n    https://pypi.example.org/simple\n    http://mirror.example.org/simple\n",
        "[global]\nextra-index-url =\n    https://pypi.example.org/simple\n    https://mirror.example.org/simple\n",
    ),
    "parse-error": ("pixi.toml", '[workspace\nname = "x"\n', '[workspace]\nname = "x"\n'),
    # pip: "Could not open requirements file" (pip._internal.req.req_file.get_file_content)
    "requirements-include-missing": ("requirements.txt", "-r nope.txt\ntorch\n", "torch\n"),
    # pip: "... recursively references itself in ..." (RequirementsFileParser._parse_and_recurse)
    "requirements-include-cycle": ("requirements.txt", "torch\n-r requirements.txt\n", "torch\n"),
    # pip's handle_line: on a requirement line only --hash / --config-settings have an effect
    "requirements-ignored-option": (
        "requirements.txt",
        "torch==2.5.1 --index-url https://download.pytorch.org/whl/cu124\n",
        "torch==2.5.1 --hash=sha256:" + "0" * 64 + "\n",
    ),
    # optparse returns the marker words as positional args, which pip's parse_line drops
    "requirements-option-marker-ignored": (
        "requirements.txt",
        '--extra-index-url https://download.pytorch.org/whl/cu124 ; sys_platform == "linux"\ntorch\n',
        "--extra-index-url https://download.pytorch.org/whl/cu124\ntorch\n",
    ),
    # PyTorch never published CUDA 12.5 wheels (get-started matrix: cu118, cu121, cu124, cu126, ...)
    "unknown-local-label": (
        "requirements.txt",
        "--extra-index-url https://download.pytorch.org/whl/cu124\ntorch==2.5.1+cu125\n",
        "--extra-index-url https://download.pytorch.org/whl/cu124\ntorch==2.5.1+cu124\n",
    ),
    # torch 2.6.0 was built for cu118 / cu124 / cu126 only: https://download.pytorch.org/whl/cu121/torch/
    # stops at 2.5.1
    "pin-not-on-index": (
        "requirements.txt",
        "--index-url https://download.pytorch.org/whl/cu121\ntorch==2.6.0\n",
        "--index-url https://download.pytorch.org/whl/cu121\ntorch==2.5.1\n",
    ),
    "conda-torch-pip-dependent": (
        "environment.yml",
        "channels:\n  - conda-forge\ndependencies:\n  - pytorch\n  - pip\n  - pip:\n    - lightning\n",
        "channels:\n  - conda-forge\ndependencies:\n  - pytorch\n  - lightning\n",
    ),
    "unused-suppression": (
        "requirements.txt",
        "torch  # torchsmith: ignore[insecure-index]\n",
        "--extra-index-url http://mirror.example.org/simple  # torchsmith: ignore[insecure-index]\ntorch\n",
    ),
}
NOT_TEXT = {"io-error"}  # needs an unreadable file: tests/robustness/test_lint_robustness.py


def _lint(tmp_path: Path, name: str, text: str) -> list[Finding]:
    path = tmp_path / name
    path.write_text(text)
    return list(lint_paths([path]).findings)


def test_every_rule_has_a_pair() -> None:
    assert set(PAIRS) | NOT_TEXT == {r.id for r in RULES}


@pytest.mark.parametrize("rule", sorted(PAIRS))
def test_bad_config_triggers_the_rule(rule: str, tmp_path: Path) -> None:
    name, bad, _ = PAIRS[rule]
    assert rule in {f.rule for f in _lint(tmp_path, name, bad)}


@pytest.mark.parametrize("rule", sorted(PAIRS))
def test_repaired_config_does_not(rule: str, tmp_path: Path) -> None:
    name, _, good = PAIRS[rule]
    assert rule not in {f.rule for f in _lint(tmp_path, name, good)}


def test_positions_point_at_the_offending_entry(tmp_path: Path) -> None:
    name, bad, _ = PAIRS["uv-source-without-platform-marker"]
    [finding] = [f for f in _lint(tmp_path, name, bad) if f.rule == "uv-source-without-platform-marker"]
    assert finding.location is not None
    assert (finding.location.line, finding.location.column) == (7, 1)  # the `torch` key of the single source
    assert finding.location.breadcrumb == "pyproject.toml › tool.uv.sources › torch"


def test_requirement_findings_point_at_their_line(tmp_path: Path) -> None:
    found = _lint(tmp_path, "requirements.txt", "numpy\n\n  torch==2.5.1\ntorchvision==0.21.0  # old\n")
    [finding] = found
    assert finding.location is not None
    assert (finding.location.line, finding.location.column, finding.location.breadcrumb) == (
        4,
        1,
        "requirements.txt › line 4",
    )


def test_environment_yaml_positions(tmp_path: Path) -> None:
    found = _lint(tmp_path, "environment.yml", "name: x\nchannels:\n  - conda-forge\n    # c\n  - pytorch\n")
    located = {(f.rule, f.location.line, f.location.column) for f in found if f.location}
    assert located == {("conda-legacy-pytorch-channel", 5, 5), ("conda-mixed-channels", 5, 5)}


def test_select_and_ignore(tmp_path: Path) -> None:
    name, bad, _ = PAIRS["conda-mixed-channels"]
    path = tmp_path / name
    path.write_text(bad)
    assert {f.rule for f in lint_paths([path], select=["conda-mixed-channels"]).findings} == {
        "conda-mixed-channels"
    }
    assert {f.rule for f in lint_paths([path], ignore=["conda-mixed-channels"]).findings} == {
        "conda-legacy-pytorch-channel"
    }


def test_unknown_rule_ids_are_a_usage_error_listing_the_valid_ones(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as raised:
        lint_paths([tmp_path], select=["uv-index-not-explicit", "no-such-rule"])
    assert "`no-such-rule`" in raised.value.message
    assert all(f"`{r.id}`" in raised.value.message for r in RULES)


def test_index_base_override_makes_a_mirror_a_pytorch_index(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text("--index-url https://mirror.example.org/pytorch/cu126\ntorch\n")
    assert not lint_paths([path]).findings
    found = lint_paths([path], index_base="https://mirror.example.org/pytorch").findings
    assert [f.rule for f in found] == ["pytorch-index-as-default"]


def test_index_base_defaults_to_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text("--index-url https://mirror.example.org/pytorch/cu126\ntorch\n")
    monkeypatch.setenv("TORCHSMITH_INDEX_URL", "https://mirror.example.org/pytorch/")
    assert [f.rule for f in lint_paths([path]).findings] == ["pytorch-index-as-default"]


def test_folders_skip_virtual_environments_and_vcs(tmp_path: Path) -> None:
    for folder in (".venv", ".git", "node_modules", "env"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "requirements.txt").write_text("-i https://download.pytorch.org/whl/cpu\n")
    (tmp_path / "env" / "pyvenv.cfg").write_text("home = /usr\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "requirements-dev.txt").write_text("pytest\n")
    result = lint_paths([tmp_path])
    assert [p.relative_to(tmp_path).as_posix() for p in result.files] == ["sub/requirements-dev.txt"]


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        lint_paths([tmp_path / "nope"])


def test_non_utf8_file_is_a_parse_error(tmp_path: Path) -> None:
    (tmp_path / "pixi.toml").write_bytes(b'name = "\xff"\n')
    assert [f.rule for f in lint_paths([tmp_path]).findings] == ["parse-error"]


def test_uv_torch_backend_counts_as_the_index_of_a_label(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `uv pip install` with UV_TORCH_BACKEND=cu124 takes torch from the cu124 index
    # (https://docs.astral.sh/uv/guides/integration/pytorch/#automatic-backend-selection)
    path = tmp_path / "requirements.txt"
    path.write_text("torch==2.5.1+cu124\n")
    monkeypatch.delenv("UV_TORCH_BACKEND", raising=False)
    assert [f.rule for f in lint_paths([path]).findings] == ["unknown-local-label"]
    monkeypatch.setenv("UV_TORCH_BACKEND", "cu124")
    assert lint_paths([path]).findings == ()
    monkeypatch.setenv("UV_TORCH_BACKEND", "cu121")
    assert [f.rule for f in lint_paths([path]).findings] == ["unknown-local-label"]
    monkeypatch.setenv("UV_TORCH_BACKEND", "auto")
    assert lint_paths([path]).findings == ()


def test_a_cpu_source_without_marker_is_fine_on_macos(tmp_path: Path) -> None:
    # https://download.pytorch.org/whl/cpu/torch/ lists macosx_11_0_arm64 wheels: uv resolves there
    path = tmp_path / "pyproject.toml"
    path.write_text(
        UV_HEAD + 'dependencies = ["torch>=2.5"]\n[tool.uv.sources]\ntorch = { index = "cpu" }\n'
        '[[tool.uv.index]]\nname = "cpu"\nurl = "https://download.pytorch.org/whl/cpu"\nexplicit = true\n'
    )
    assert lint_paths([path]).findings == ()


def test_extra_marker_gates_a_source_like_the_extra_key(tmp_path: Path) -> None:
    text = (
        UV_HEAD + '[project.optional-dependencies]\ncu124 = ["torch"]\n[tool.uv.sources]\n'
        'torch = { index = "cu124", MARK }\n'
        '[[tool.uv.index]]\nname = "cu124"\nurl = "https://download.pytorch.org/whl/cu124"\nexplicit = true\n'
    )
    path = tmp_path / "pyproject.toml"
    for gate in ('extra = "cu124"', "marker = \"extra == 'cu124'\""):
        path.write_text(text.replace("MARK", gate))
        assert lint_paths([path]).findings == (), gate
    path.write_text(text.replace(", MARK", ""))
    assert [f.rule for f in lint_paths([path]).findings] == ["uv-source-without-platform-marker"]


@pytest.mark.parametrize(
    "channel",
    [
        "pytorch",
        "pytorch-nightly",
        "pytorch-test",
        "https://conda.anaconda.org/pytorch",
        "https://conda.anaconda.org/pytorch-nightly/",
        "https://conda.anaconda.org/pytorch/label/nightly",
    ],
)
def test_every_spelling_of_the_legacy_channel(channel: str, tmp_path: Path) -> None:
    path = tmp_path / "environment.yml"
    path.write_text(f"channels:\n  - {channel}\ndependencies:\n  - pytorch\n")
    assert [f.rule for f in lint_paths([path]).findings] == ["conda-legacy-pytorch-channel"]
    path.write_text(f"channels:\n  - conda-forge\ndependencies:\n  - {channel.rstrip('/')}::pytorch\n")
    if "://" not in channel:
        assert sorted(f.rule for f in lint_paths([path]).findings) == [
            "conda-legacy-pytorch-channel",
            "conda-mixed-channels",
        ]


def test_uv_settings_torch_backend_next_to_a_requirements_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `uv pip install -r requirements.txt` in this folder reads `[tool.uv.pip] torch-backend` (or uv.toml's
    # `[pip] torch-backend`): https://docs.astral.sh/uv/reference/settings/#pip_torch-backend
    monkeypatch.delenv("UV_TORCH_BACKEND", raising=False)
    (tmp_path / "requirements.txt").write_text("torch==2.5.1+cu124\n")
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "p"\nversion = "0"\n[tool.uv.pip]\ntorch-backend = "cu124"\n'
    )
    assert lint_paths([tmp_path / "requirements.txt"]).findings == ()
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "uv.toml").write_text('[pip]\ntorch-backend = "cu121"\n')
    (tmp_path / "sub" / "requirements.txt").write_text("torch==2.5.1+cu124\n")
    assert [f.rule for f in lint_paths([tmp_path / "sub" / "requirements.txt"]).findings] == [
        "unknown-local-label"
    ]
    # a pyproject.toml without `[tool.uv]` is passed over ("pyproject.toml files without a [tool.uv] table
    # are ignored", https://docs.astral.sh/uv/concepts/configuration-files/), two folders down as well
    (tmp_path / "plain" / "deep").mkdir(parents=True)
    (tmp_path / "plain" / "pyproject.toml").write_text('[project]\nname = "q"\nversion = "0"\n')
    (tmp_path / "plain" / "deep" / "requirements.txt").write_text("torch==2.5.1+cu124\n")
    (tmp_path / "plain" / "requirements.txt").write_text("torch==2.5.1+cu124\n")
    result = lint_paths(
        [tmp_path / "plain" / "deep" / "requirements.txt", tmp_path / "plain" / "requirements.txt"]
    )
    assert result.findings == ()
