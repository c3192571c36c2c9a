"""`torchsmith lint --fix`: apply the safe edits to a TOML file, keeping every other byte.

tomlkit (https://tomlkit.readthedocs.io/) parses TOML into a document that remembers comments, spacing and
order, so setting one key and dumping changes only that key's surroundings. Every result is verified: the
new text is parsed again with `tomllib` and must equal the old value with exactly the requested changes;
otherwise nothing is written. A key that already holds the requested value is left alone, which makes a
second `--fix` a no-op byte for byte.
"""

from __future__ import annotations

import copy
import re
import sys
from collections.abc import Sequence
from typing import Any

from torchsmith.lint.document import Edit

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = ["apply_edits"]


def _walk(container: Any, path: Sequence[str | int]) -> Any:
    for part in path:
        container = container[part]
    return container


def _apply_plain(data: Any, edit: Edit) -> bool:
    """Apply `edit` to plain parsed data; False when it would change nothing."""
    target = _walk(data, edit.table)
    if edit.append:
        existing = target.get(edit.key)
        if existing is None:
            target[edit.key] = copy.deepcopy(edit.value)
        else:
            existing.extend(copy.deepcopy(edit.value))
        return True
    if target.get(edit.key) == edit.value:
        return False
    target[edit.key] = copy.deepcopy(edit.value)
    return True


def _apply_tomlkit(document: Any, edit: Edit) -> None:
    import tomlkit

    target = _walk(document, edit.table)
    if edit.append and edit.key in target:
        for item in edit.value:
            target[edit.key].append(item)
        return
    if edit.append:
        array = tomlkit.array()
        for item in edit.value:
            array.append(item)
        target[edit.key] = array
        return
    target[edit.key] = edit.value


def apply_edits(text: str, edits: Sequence[Edit]) -> tuple[str, list[Edit]] | None:
    """The new text and the edits that changed something; None when the result cannot be verified."""
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    try:
        expected = tomllib.loads(text)
        applied = [edit for edit in edits if _apply_plain(expected, edit)]
        if not applied:
            return text, []
        document = tomlkit.parse(text)
        for edit in applied:
            _apply_tomlkit(document, edit)
        new_text = tomlkit.dumps(document)
        if "\r\n" in text and text.count("\n") == text.count("\r\n"):
            new_text = re.sub(r"(?<!\r)\n", "\r\n", new_text)  # tomlkit writes new lines as "\n"
        if tomllib.loads(new_text) != expected:
            return None
    except (KeyError, IndexError, TypeError, AttributeError, ValueError, TOMLKitError):
        return None  # a shape the edit does not expect (or tomlkit cannot round-trip): change nothing
    return new_text, applied
