"""Project names as indexes compare them (PEP 503 normalisation).

`canonicalize_name("Typing_Extensions")` is `typing-extensions`: runs of `-`, `_` and `.` become one `-`,
and letters are lower-cased (https://packaging.python.org/en/latest/specifications/name-normalization/).
torchsmith's own function, so that comparing two names does not import `packaging.utils` (which loads
`packaging.tags`, with logging, sysconfig and subprocess); `tests/test_names.py` holds it to
`packaging.utils.canonicalize_name`.
"""

from __future__ import annotations

__all__ = ["canonicalize_name"]


def canonicalize_name(name: str) -> str:
    """The normalised form of a project or extra name."""
    value = name.lower().replace("_", "-").replace(".", "-")
    while "--" in value:
        value = value.replace("--", "-")
    return value
