"""Parse conda environment files and .condarc with PyYAML's C loader, keeping each key's and item's position.

The format: https://docs.conda.io/projects/conda/en/latest/user-guide/tasks/manage-environments.html#create-env-file-manually
(`name`, `channels`, `dependencies` with match specs and a nested `pip:` list). PyYAML composes the
document into nodes that carry their start line and column (0-based there, 1-based here); scalars are
typed with PyYAML's safe constructor, the same YAML 1.1 rules conda itself reads with. libyaml (`CSafeLoader`)
is used when PyYAML has it: it is ~20x faster than a pure-Python parser, which matters for 1,000-file
repositories (bench/lint.py). PyYAML is imported only when a YAML file is linted.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from torchsmith.findings import Finding
from torchsmith.lint.document import Document, KeyPath, Kind, Position
from torchsmith.lint.toml_files import parse_error

__all__ = ["parse_yaml"]

_PYYAML_NON_PRINTABLE = "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
"""`yaml.reader.Reader.NON_PRINTABLE`, compiled when PyYAML is imported: its ranges span the whole BMP,
and `re` fills a 64 K-entry table one code point at a time for them, which took more instructions than
linting the project's corpus (about 58 M; issue 17). libyaml's loader, the one used here, never runs it."""
_SAME_SET = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]"
"""The same set of characters written positively (the complement of the above within U+0000..U+10FFFF):
its ranges are short, so it compiles in a fraction of the time."""


def _import_yaml() -> Any:
    """`import yaml`, the first time with `NON_PRINTABLE` taken from `re`'s cache as `_SAME_SET`.

    `re.compile` returns a cached pattern for a (type, pattern, flags) key it has seen; seeding that key
    with an equivalent pattern makes PyYAML's class body cheap. `re._cache` is private: where it is not
    the dict CPython 3.10-3.13 keep, nothing is seeded and PyYAML compiles its own (slower, same result).
    tests/lint/test_yaml_import.py checks both the set and that the seed is taken."""
    if "yaml" not in sys.modules:
        cache = getattr(re, "_cache", None)
        if isinstance(cache, dict):
            cache.setdefault((str, _PYYAML_NON_PRINTABLE, 0), re.compile(_SAME_SET))
    import yaml

    return yaml


def _scalar(constructor: Any, node: Any) -> Any:
    value = constructor.construct_object(node)
    return value if value is None or isinstance(value, (bool, int, float)) else str(value)


def _walk(constructor: Any, node: Any, path: KeyPath, positions: dict[KeyPath, Position]) -> Any:
    """Plain dicts/lists/scalars from `node`, recording the position of every key and item."""
    import yaml  # imported by `parse_yaml` already

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
    yaml = _import_yaml()

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
