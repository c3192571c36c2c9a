"""The long explanation of every lint rule: what it catches, an example, the fix, and how safe `--fix` is.

Rendered by `explain.py` into `torchsmith lint --explain RULE` and into docs/rules.md (kept equal by a
test). Examples are minimal real-world-shaped configs; each triggers its rule in tests/lint/test_docs.py.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["INTRO", "RULE_DOCS", "RuleDoc"]


@dataclass(frozen=True, slots=True)
class RuleDoc:
    what: str
    example: str
    fix: str
    fixed: str = ""
    lang: str = "toml"
    file: str = "pyproject.toml"  # the file name the example is linted as
    safe: bool = True  # for fixable rules: is `--fix` safe, or only with `--unsafe-fixes`


INTRO = ""
RULE_DOCS: dict[str, RuleDoc] = {}
