"""gitignore-style path patterns: `.gitignore` files, `--exclude`, and the `exclude` settings.

Semantics follow git's documentation (https://git-scm.com/docs/gitignore#_pattern_format): a pattern
without a slash (other than a trailing one) matches a name at any depth below the file's folder; one
with a slash is anchored to that folder; a trailing `/` matches folders only; `*` and `?` do not cross
`/`; `**/`, `/**` and `/**/` cross any number of folders; `!` re-includes; the last matching pattern wins.
A file inside an ignored folder is never re-included (the walk does not enter that folder).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from torchsmith.record import record

__all__ = ["IgnoreRules", "Pattern", "compile_pattern", "parse_gitignore"]


@record
class Pattern:
    """One pattern, relative to `base` (a folder, POSIX, "" for the root the walk starts from)."""

    regex: re.Pattern[str]
    negate: bool
    dir_only: bool
    base: str


def _translate(body: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(body):
        char = body[i]
        if body.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if body.startswith("/**", i) and i + 3 == len(body):
            out.append("/.*")
            i += 3
            continue
        if body.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = body.find("]", i + 2)
            if end == -1:
                out.append(re.escape(char))
            else:
                inner = body[i + 1 : end]
                if inner.startswith("!"):
                    inner = "^" + inner[1:]
                out.append(f"[{inner}]")
                i = end
        elif char == "\\" and i + 1 < len(body):
            i += 1
            out.append(re.escape(body[i]))
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)


@lru_cache(maxsize=1024)
def compile_pattern(line: str, base: str = "") -> Pattern | None:
    """A `Pattern` for one gitignore line; None for blank lines and comments."""
    text = line.rstrip("\n").rstrip("\r")
    if not text.endswith("\\ "):
        text = text.rstrip(" ")
    if not text or text.startswith("#"):
        return None
    negate = text.startswith("!")
    if negate or text.startswith(("\\!", "\\#")):
        text = text[1:]
    dir_only = text.endswith("/")
    text = text.rstrip("/")
    if not text:
        return None
    anchored = "/" in text
    text = text.lstrip("/")
    body = _translate(text)
    regex = body if anchored else f"(?:.*/)?{body}"
    return Pattern(re.compile(f"^{regex}$", re.DOTALL), negate, dir_only, base)


def parse_gitignore(text: str, base: str) -> list[Pattern]:
    """The patterns of one `.gitignore` file whose folder is `base` (relative to the walk root)."""
    return [p for p in (compile_pattern(line, base) for line in text.splitlines()) if p is not None]


class IgnoreRules:
    """Ordered patterns from several sources; `ignored(rel, is_dir)` applies git's last-match-wins rule."""

    __slots__ = ("patterns",)

    def __init__(self, patterns: list[Pattern] | None = None) -> None:
        self.patterns: list[Pattern] = list(patterns or [])

    def extended(self, more: list[Pattern]) -> IgnoreRules:
        return IgnoreRules(self.patterns + more) if more else self

    def ignored(self, rel: str, is_dir: bool) -> bool:
        """Whether the POSIX path `rel` (relative to the walk root) is ignored."""
        verdict = False
        for pattern in self.patterns:
            if pattern.dir_only and not is_dir:
                continue
            if pattern.base:
                if not rel.startswith(pattern.base + "/"):
                    continue
                local = rel[len(pattern.base) + 1 :]
            else:
                local = rel
            if pattern.regex.match(local):
                verdict = not pattern.negate
        return verdict


def read_ignore_file(path: Path) -> str | None:
    """The text of a `.gitignore` (regular files only, size-capped), or None when it cannot be read."""
    from torchsmith.fileio import UserFileError, read_user_bytes

    try:
        return read_user_bytes(path, what=".gitignore", limit=1 << 20).decode("utf-8", "replace")
    except UserFileError:
        return None
