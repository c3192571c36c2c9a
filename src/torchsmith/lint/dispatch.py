"""Which parser and which rules each file format gets; `lint_text` lints one file's text.

Imports are lazy: linting only requirements files never imports tomlkit or ruamel.yaml.
"""

from __future__ import annotations

from pathlib import Path

from torchsmith.findings import Finding
from torchsmith.lint.document import Context, Document, Hit, Kind

__all__ = ["TOML_KINDS", "lint_text"]

TOML_KINDS = frozenset({"pyproject", "pixi", "uv"})
_TOML_KINDS = TOML_KINDS


def _parse(path: Path, display: str, kind: Kind, text: str) -> Document | Finding:
    if kind in _TOML_KINDS:
        from torchsmith.lint.toml_files import parse_toml

        return parse_toml(path, display, kind, text)
    if kind in ("conda", "condarc"):
        from torchsmith.lint.yaml_files import parse_yaml

        return parse_yaml(path, display, text, kind)
    if kind == "requirements":
        from torchsmith.lint.requirements import parse_requirements

        return parse_requirements(path, display, text)
    from torchsmith.lint.pip_conf import parse_pip_conf

    return parse_pip_conf(path, display, text)


def _check(doc: Document, ctx: Context) -> list[Hit]:
    if doc.kind == "pyproject":
        from torchsmith.lint.rules_uv import check_uv

        tool = doc.data.get("tool") if isinstance(doc.data.get("tool"), dict) else {}
        hits: list[Hit] = []
        if isinstance(tool.get("poetry"), dict):
            from torchsmith.lint.rules_poetry import check_poetry

            hits += check_poetry(doc, ctx)
        if isinstance(tool.get("pixi"), dict):
            from torchsmith.lint.rules_conda import check_pixi

            hits += check_pixi(doc, ctx)
        own = not isinstance(tool.get("poetry"), dict) and not isinstance(tool.get("pixi"), dict)
        return hits + check_uv(doc, ctx, dependencies=own)
    if doc.kind == "uv":
        from torchsmith.lint.rules_uv import check_uv

        return check_uv(doc, ctx, dependencies=False)
    if doc.kind == "pixi":
        from torchsmith.lint.rules_conda import check_pixi

        return check_pixi(doc, ctx)
    if doc.kind == "conda":
        from torchsmith.lint.rules_environment import check_environment_yml

        return check_environment_yml(doc, ctx)
    if doc.kind == "condarc":
        from torchsmith.lint.rules_environment import check_condarc

        return check_condarc(doc, ctx)
    if doc.kind == "requirements":
        from torchsmith.lint.rules_pip import check_requirements

        return check_requirements(doc, ctx)
    from torchsmith.lint.rules_pip import check_pip_conf

    return check_pip_conf(doc, ctx)


def lint_text(
    text: str,
    path: Path,
    kind: Kind,
    *,
    display: str | None = None,
    index_base: str | None = None,
    torch_backend: str | None = None,
) -> list[Hit]:
    """Lint one file's text as format `kind` (all rules); the parse step never raises on bad text.

    `torch_backend` is `UV_TORCH_BACKEND` as the caller read it (uv's `torch-backend` for `uv pip`)."""
    shown = display if display is not None else path.as_posix()
    parsed = _parse(path, shown, kind, text)
    if isinstance(parsed, Finding):
        return [Hit(parsed)]
    return _check(parsed, Context(index_base, torch_backend))
