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

from torchsmith.lazy_re import LazyPattern, lazy
from torchsmith.record import record

__all__ = ["IgnoreRules", "Pattern", "compile_pattern", "parse_gitignore"]

_WILD = frozenset("*?[\\")  # a pattern holding one of these is not a plain name


@record
class Pattern:
    """One pattern, relative to `base` (a folder, POSIX, "" for the root the walk starts from).

    `name` is set for a pattern without a slash or wildcard (`build`, `.venv`): it matches exactly the
    paths whose last part is `name`, a string comparison; every other pattern goes through `regex`,
    compiled on first use (most default excludes never need it)."""

    regex: LazyPattern
    negate: bool
    dir_only: bool
    base: str
    name: str | None = None

    def matches(self, local: str) -> bool:
        """Whether the path `local` (relative to `base`) matches, folder-only aside."""
        if self.name is not None:
            return local.rpartition("/")[2] == self.name
        return self.regex.match(local) is not None


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
    name = text if not anchored and _WILD.isdisjoint(text) else None
    return Pattern(lazy(f"^{regex}\\Z", re.DOTALL), negate, dir_only, base, name)


def parse_gitignore(text: str, base: str) -> list[Pattern]:
    """The patterns of one `.gitignore` file whose folder is `base` (relative to the walk root)."""
    return [p for p in (compile_pattern(line, base) for line in text.splitlines()) if p is not None]


class IgnoreRules:
    """Ordered patterns from several sources; `ignored(rel, is_dir)` applies git's last-match-wins rule.

    Without a `!` pattern the order does not matter, so the plain-name patterns (all of the default
    excludes) are two set look-ups instead of a loop over every pattern for every entry of the tree."""

    __slots__ = ("_dir_names", "_names", "_rest", "patterns")

    def __init__(self, patterns: list[Pattern] | None = None) -> None:
        self.patterns: list[Pattern] = list(patterns or [])
        self._names: frozenset[str] | None = None
        self._dir_names: frozenset[str] = frozenset()
        self._rest = self.patterns
        if not any(p.negate for p in self.patterns):
            plain = [p for p in self.patterns if p.name is not None and not p.base]
            self._names = frozenset(p.name for p in plain if p.name is not None and not p.dir_only)
            self._dir_names = frozenset(p.name for p in plain if p.name is not None and p.dir_only)
            self._rest = [p for p in self.patterns if p.name is None or p.base]

    def extended(self, more: list[Pattern]) -> IgnoreRules:
        return IgnoreRules(self.patterns + more) if more else self

    def ignored(self, rel: str, is_dir: bool) -> bool:
        """Whether the POSIX path `rel` (relative to the walk root) is ignored."""
        if self._names is not None:  # no `!`: any match ignores
            last = rel.rpartition("/")[2]
            if last in self._names or (is_dir and last in self._dir_names):
                return True
            return any(self._hit(pattern, rel, is_dir) for pattern in self._rest)
        verdict = False
        for pattern in self.patterns:
            if self._hit(pattern, rel, is_dir):
                verdict = not pattern.negate
        return verdict

    @staticmethod
    def _hit(pattern: Pattern, rel: str, is_dir: bool) -> bool:
        if pattern.dir_only and not is_dir:
            return False
        if not pattern.base:
            return pattern.matches(rel)
        return rel.startswith(pattern.base + "/") and pattern.matches(rel[len(pattern.base) + 1 :])


def read_ignore_file(path: Path) -> str | None:
    """The text of a `.gitignore` (regular files only, size-capped), or None when it cannot be read."""
    from torchsmith.fileio import UserFileError, read_user_bytes

    try:
        return read_user_bytes(path, what=".gitignore", limit=1 << 20).decode("utf-8", "replace")
    except UserFileError:
        return None
