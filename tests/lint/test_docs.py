"""docs/rules.md and `--explain` come from one source, and every documented example does what it says."""

from __future__ import annotations

from pathlib import Path

import pytest

from torchsmith.cli import main
from torchsmith.lint import RULES, lint_paths
from torchsmith.lint.explain import rules_markdown
from torchsmith.lint.rule_docs import RULE_DOCS

DOCS = Path(__file__).parents[2] / "docs" / "rules.md"


def test_docs_page_is_the_generated_text() -> None:
    assert DOCS.read_text(encoding="utf-8") == rules_markdown()


def test_every_rule_is_documented_with_an_example_and_a_fix() -> None:
    assert set(RULE_DOCS) == {r.id for r in RULES}
    for info in RULES:
        doc = RULE_DOCS[info.id]
        assert doc.what and doc.example and doc.fix, info.id
        assert f"\n## {info.id}\n" in DOCS.read_text(encoding="utf-8")


@pytest.mark.parametrize("rule", sorted(r for r, d in RULE_DOCS.items() if d.file))
def test_the_example_triggers_its_rule_and_the_fixed_version_does_not(rule: str, tmp_path: Path) -> None:
    doc = RULE_DOCS[rule]
    path = tmp_path / doc.file
    path.write_text(doc.example, encoding="utf-8")
    assert rule in {f.rule for f in lint_paths([path]).findings}
    if doc.fixed:
        path.write_text(doc.fixed, encoding="utf-8")
        assert rule not in {f.rule for f in lint_paths([path]).findings}


def test_fixable_rules_fix_their_example(tmp_path: Path) -> None:
    for info in (r for r in RULES if r.fixable):
        doc = RULE_DOCS[info.id]
        path = tmp_path / info.id / doc.file
        path.parent.mkdir()
        path.write_text(doc.example, encoding="utf-8")
        result = lint_paths([path], fix=True, unsafe_fixes=not doc.safe)
        assert result.fixes, info.id
        assert info.id not in {f.rule for f in result.findings}, info.id


def test_explain_prints_the_rule_section(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", "--explain", "pin-not-on-index"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# pin-not-on-index\n\nSeverity: error. Automatic fix: none.\n")
    assert "torch==2.6.0" in out


def test_explain_of_an_unknown_rule_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", "--explain", "nope"]) == 2
    assert "unknown rule id `nope`" in capsys.readouterr().err
