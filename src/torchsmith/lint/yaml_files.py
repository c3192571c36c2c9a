"""Parse conda environment files (environment.yml) with ruamel.yaml, keeping each key's and item's position.

The format: https://docs.conda.io/projects/conda/en/latest/user-guide/tasks/manage-environments.html#create-env-file-manually
(`name`, `channels`, `dependencies` with match specs and a nested `pip:` list). ruamel.yaml's round-trip
loader records the line and column of every mapping key and sequence item (`.lc`); they are copied into
the document's position map (0-based there, 1-based here). ruamel.yaml is imported only when an
environment file is linted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from torchsmith.findings import Finding
from torchsmith.lint.document import Document, KeyPath, Kind, Position
from torchsmith.lint.toml_files import parse_error

__all__ = ["parse_yaml"]


def _walk(node: Any, path: KeyPath, positions: dict[KeyPath, Position]) -> Any:
    """Copy `node` into plain dicts/lists/str while recording positions of keys and items."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(node, CommentedMap):
        out: dict[str, Any] = {}
        for key, value in node.items():
            try:
                line, column = node.lc.key(key)
                where: KeyPath = (*path, str(key))
                positions[where] = (line + 1, column + 1)
            except (KeyError, TypeError, AttributeError):
                pass
            out[str(key)] = _walk(value, (*path, str(key)), positions)
        return out
    if isinstance(node, CommentedSeq):
        items: list[Any] = []
        for index, value in enumerate(node):
            try:
                line, column = node.lc.item(index)
                item_at: KeyPath = (*path, index)
                positions[item_at] = (line + 1, column + 1)
            except (KeyError, TypeError, AttributeError, IndexError):
                pass
            items.append(_walk(value, (*path, index), positions))
        return items
    if isinstance(node, dict):  # pragma: no cover - the round-trip loader gives CommentedMap
        return {str(k): _walk(v, (*path, str(k)), positions) for k, v in node.items()}
    if isinstance(node, list):  # pragma: no cover
        return [_walk(v, (*path, i), positions) for i, v in enumerate(node)]
    return node if node is None or isinstance(node, (bool, int, float)) else str(node)


def parse_yaml(path: Path, display: str, text: str, kind: Kind = "conda") -> Document | Finding:
    """A conda environment document, or a `parse-error` finding (bad YAML, or not a mapping at the top)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError

    loader = YAML(typ="rt", pure=True)
    try:
        raw = loader.load(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        problem = error.problem or error.context or "malformed YAML"
        return parse_error(display, path.name, f"invalid YAML: {problem}", line, column)
    except Exception as error:  # ruamel raises many types on junk (bad timestamps, deep nesting, ...)
        return parse_error(display, path.name, f"invalid YAML: {type(error).__name__}")
    positions: dict[KeyPath, Position] = {}
    try:
        data = _walk(raw, (), positions)
    except RecursionError:
        return parse_error(display, path.name, "invalid YAML: nested too deeply")
    if data is None:
        data = {}
    if not isinstance(data, dict):
        what = "a .condarc" if kind == "condarc" else "a conda environment file"
        return parse_error(display, path.name, f"not {what}: expected a mapping at the top")
    return Document(path, display, kind, text, data, positions)
