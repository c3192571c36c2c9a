"""`torchsmith lint --explain RULE` and docs/rules.md, both generated from `rule_docs.RULE_DOCS`.

One source for each rule's explanation: the docs page is rendered from the same text the CLI prints, and
a test keeps docs/rules.md equal to `rules_markdown()`.
"""

from __future__ import annotations

from torchsmith.errors import UsageError
from torchsmith.lint.registry import RULES, rule
from torchsmith.lint.rule_docs import INTRO, RULE_DOCS, RuleDoc

__all__ = ["explain", "rules_markdown"]


def _fix_line(info_fixable: bool, doc: RuleDoc) -> str:
    if not info_fixable:
        return "none"
    return "safe (`--fix`)" if doc.safe else "unsafe (`--fix --unsafe-fixes`)"


def explain(rule_id: str) -> str:
    """The explanation of one rule, as plain Markdown text."""
    if rule_id not in RULE_DOCS:
        valid = ", ".join(f"`{info.id}`" for info in RULES)
        raise UsageError(f"unknown rule id `{rule_id}` in `--explain`", hint=f"expected one of {valid}")
    info = rule(rule_id)
    doc = RULE_DOCS[rule_id]
    return _section(info.id, info.severity, info.fixable, doc, level="#")


def _section(rule_id: str, severity: str, fixable: bool, doc: RuleDoc, *, level: str) -> str:
    parts = [
        f"{level} {rule_id}",
        "",
        f"Severity: {severity}. Automatic fix: {_fix_line(fixable, doc)}.",
        "",
        doc.what.strip(),
        "",
        "Example:",
        "",
        f"```{doc.lang}",
        doc.example.strip("\n"),
        "```",
        "",
        "Fix: " + doc.fix.strip(),
    ]
    if doc.fixed:
        parts += ["", f"```{doc.lang}", doc.fixed.strip("\n"), "```"]
    return "\n".join(parts) + "\n"


def rules_markdown() -> str:
    """The whole of docs/rules.md."""
    rows = []
    for info in RULES:
        safety = ("safe" if RULE_DOCS[info.id].safe else "unsafe") if info.fixable else "-"
        rows.append(
            f"| [`{info.id}`](#{info.id}) | {info.severity} | {'yes' if info.fixable else 'no'} | {safety} |"
        )
    table = "| id | severity | fixable | fix safety |\n| --- | --- | --- | --- |\n" + "\n".join(rows)
    sections = [
        _section(info.id, info.severity, info.fixable, RULE_DOCS[info.id], level="##") for info in RULES
    ]
    return INTRO.strip() + "\n\n" + table + "\n\n" + "\n".join(sections)
