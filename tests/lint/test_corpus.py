"""The corpus: every case folder under corpus/ is linted and must give exactly the findings in expected.txt.

Cases named `seed*` are the seeds' own examples: they must lint clean except where the seed itself
documents the trap (seed 000's legacy `pytorch` channel, seed 001's `-E cuda` CPU fallback, seed 003's
`pytorch-cuda` on Jetson). Each expected.txt was written by reading the config, not by copying output.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from torchsmith.lint import RULES, lint_paths

CORPUS = Path(__file__).parent / "corpus"
CASES = sorted(p.name for p in CORPUS.iterdir() if p.is_dir())
CONFIG_NAMES = ("pyproject.toml", "pixi.toml", "uv.toml", "environment.yml", "pip.conf")


def _expected(case: str) -> list[str]:
    return sorted(line for line in (CORPUS / case / "expected.txt").read_text().splitlines() if line.strip())


def _found(case: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.chdir(CORPUS / case)
    result = lint_paths([Path()])
    return sorted(
        f"{f.location.path}:{f.location.line}:{f.location.column} {f.rule}"
        for f in result.findings
        if f.location
    )


@pytest.mark.parametrize("case", CASES)
def test_case_gives_exactly_the_expected_findings(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _found(case, monkeypatch) == _expected(case)


def test_corpus_has_at_least_thirty_configs() -> None:
    configs = [p for p in CORPUS.rglob("*") if p.is_file() and p.name not in ("expected.txt", "README.md")]
    assert len(configs) >= 30


def test_real_world_shaped_cases_hold_at_least_forty_files() -> None:
    real = [
        p
        for case in CORPUS.glob("rw-*")
        for p in case.rglob("*")
        if p.is_file() and p.name not in ("expected.txt", ".gitignore")
    ]
    assert len(real) >= 40


def test_gitignored_traps_are_in_the_corpus_but_not_linted() -> None:
    case = CORPUS / "rw-discovery"
    assert (case / "generated" / "requirements.txt").is_file()
    assert (case / "requirements.local.txt").is_file()
    linted = {p.relative_to(case).as_posix() for p in lint_paths([case]).files}
    assert linted == {"Requirements-Test.txt", "ci/gpu-env.yml", "conda.yaml", "envs/environment-cpu.yaml"}


def test_seed_examples_lint_clean_except_documented_traps() -> None:
    documented = {
        "seed000-pytorch-channel": {"conda-legacy-pytorch-channel"},
        "seed001-poetry": {"poetry-extra-cpu-fallback"},
        "seed003-jetson-conda": {"conda-legacy-pytorch-channel"},
    }
    for case in (c for c in CASES if c.startswith("seed")):
        rules = {line.split()[-1] for line in _expected(case)}
        assert rules == documented.get(case, set()), case


def test_every_rule_is_triggered_somewhere_in_the_corpus() -> None:
    triggered = {line.split()[-1] for case in CASES for line in _expected(case)}
    # io-error needs an unreadable file or a FIFO, which git cannot hold (see test_lint_robustness.py)
    assert triggered | {"io-error"} == {r.id for r in RULES}


def test_linting_the_whole_corpus_reads_every_config_once() -> None:
    result = lint_paths([CORPUS, CORPUS / "uv-toml" / "uv.toml"])
    names = [p.name for p in result.files]
    assert len(result.files) == len({p.resolve() for p in result.files})
    assert "expected.txt" not in names
    assert result.exit_code == 1


def test_every_rule_has_a_docs_entry() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "rules.md").read_text()
    for info in RULES:
        assert f"\n## {info.id}\n" in docs, info.id
        assert f"| [`{info.id}`](#{info.id}) | {info.severity} | {'yes' if info.fixable else 'no'} |" in docs
