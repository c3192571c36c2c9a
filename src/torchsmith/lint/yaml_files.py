"""Parse conda environment files and .condarc with PyYAML's C loader, keeping each key's and item's position.

The format: https://docs.conda.io/projects/conda/en/latest/user-guide/tasks/manage-environments.html#create-env-file-manually
(`name`, `channels`, `dependencies` with match specs and a nested `pip:` list). PyYAML composes the
document into nodes that carry their start line and column (0-based there, 1-based here); scalars are
typed with PyYAML's safe constructor, the same YAML 1.1 rules conda itself reads with. libyaml (`CSafeLoader`)
is used when PyYAML has it: it is ~20x faster than a pure-Python parser, which matters for 1,000-file
repositories (bench/lint.py). PyYAML is imported only when a YAML file is linted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from torchsmith.findings import Finding
from torchsmith.lint.document import Document, KeyPath, Kind, Position
from torchsmith.lint.toml_files import parse_error

__all__ = ["parse_yaml"]


def _scalar(constructor: Any, node: Any) -> Any:
    value = constructor.construct_object(node)
    return value if value is None or isinstance(value, (bool, int, float)) else str(value)


def _walk(constructor: Any, node: Any, path: KeyPath, positions: dict[KeyPath, Position]) -> Any:
    """Plain dicts/lists/scalars from `node`, recording the position of every key and item."""
    import yaml

    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<: *anchor` merge keys: not a conda idiom
            key = str(_scalar(constructor, key_node)) if isinstance(key_node, yaml.ScalarNode) else "?"
            where: KeyPath = (*path, key)
            positions[where] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            out[key] = _walk(constructor, value_node, where, positions)
        return out
    if isinstance(node, yaml.SequenceNode):
        items: list[Any] = []
        for index, value_node in enumerate(node.value):
            item_at: KeyPath = (*path, index)
            positions[item_at] = (value_node.start_mark.line + 1, value_node.start_mark.column + 1)
            items.append(_walk(constructor, value_node, item_at, positions))
        return items
    return _scalar(constructor, node)


def parse_yaml(path: Path, display: str, text: str, kind: Kind = "conda") -> Document | Finding:
    """A conda environment document, or a `parse-error` finding (bad YAML, or not a mapping at the top)."""
    import yaml

    loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loader = loader_class(text)
    positions: dict[KeyPath, Position] = {}
    try:
        node = loader.get_single_node()
        data = _walk(yaml.constructor.SafeConstructor(), node, (), positions) if node is not None else None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        problem = error.problem or error.context or "malformed YAML"
        return parse_error(display, path.name, f"invalid YAML: {problem}", line, column)
    except RecursionError:
        return parse_error(display, path.name, "invalid YAML: nested too deeply")
    except Exception as error:  # junk can raise more than YAMLError (bad timestamps, huge ints, ...)
        return parse_error(display, path.name, f"invalid YAML: {type(error).__name__}")
    finally:
        loader.dispose()
    if data is None:
        data = {}
    if not isinstance(data, dict):
        what = "a .condarc" if kind == "condarc" else "a conda environment file"
        return parse_error(display, path.name, f"not {what}: expected a mapping at the top")
    return Document(path, display, kind, text, data, positions)
