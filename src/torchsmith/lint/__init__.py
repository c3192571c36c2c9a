"""`torchsmith lint`: find the traps that install the wrong PyTorch in existing configs, without running them.

Reads pyproject.toml (uv, Poetry, pixi, PEP 621), pixi.toml, uv.toml, conda environment files, .condarc,
requirements / constraints files (following `-r` / `-c`) and pip.conf; reports `Finding`s (the same type
as `doctor`) with exact file, line and column; `fix=True` applies the safe fixes (see `fix.py`) and
re-lints. The rules and their ids are listed in `RULES` and documented in docs/rules.md (generated from
`rule_docs.py`, shown by `--explain`). Nothing here executes a tool or touches the network.
"""

from __future__ import annotations

from torchsmith.lint.dispatch import lint_text
from torchsmith.lint.registry import RULES, RuleInfo
from torchsmith.lint.render import FORMATS, render
from torchsmith.lint.run import LintResult, lint_paths

__all__ = ["FORMATS", "RULES", "LintResult", "RuleInfo", "lint_paths", "lint_text", "render"]
