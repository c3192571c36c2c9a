"""Exact line and column of every key, table header and array element in a TOML document.

`tomllib` parses TOML into plain values but forgets where they were, and tomlkit (which remembers) costs
an import that `torchsmith lint` should not pay on the hot path. This module walks the raw text of a
document that `tomllib` has already accepted (TOML 1.0, https://toml.io/en/v1.0.0) and records, for each
path into the parsed value, the position where it starts:

    ("tool", "uv", "index", 0)          -> the `[[tool.uv.index]]` header (or the `{` of an inline table)
    ("tool", "uv", "index", 0, "url")   -> the `url` key
    ("tool", "uv", "sources", "torch", 1) -> the second element of the `torch = [...]` array

Paths use the parsed keys (quotes removed) and integer indexes for arrays and arrays of tables.
Positions are 1-based (line, column), columns counted in characters. The scanner never raises: on text it
does not understand it stops and returns what it has found so far (callers fall back to a parent path).
"""

from __future__ import annotations

import re

__all__ = ["Path", "Position", "scan_positions"]

Path = tuple[str | int, ...]
Position = tuple[int, int]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_SCALAR_STOP = re.compile(r"[,\]}\n#]")  # where a number, boolean or date ends
_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"', "\\": "\\"}


class _ScanError(Exception):
    """Internal: the text is not what the scanner expects; keep the positions found so far."""


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        self.n = len(text)
        self.line = 1
        self.line_start = 0
        self.positions: dict[Path, Position] = {}
        # arrays of tables: key path (without indexes) -> index of the latest `[[...]]` element
        self.aot_index: dict[tuple[str, ...], int] = {}

    # -- low level -----------------------------------------------------------------------------------
    def here(self) -> Position:
        return (self.line, self.i - self.line_start + 1)

    def peek(self, k: int = 0) -> str:
        j = self.i + k
        return self.text[j] if j < self.n else ""

    def advance(self, count: int = 1) -> None:
        """Move `count` characters on, counting the line breaks passed (by slices: no per-character loop)."""
        end = self.i + count
        if end > self.n:
            raise _ScanError
        newlines = self.text.count("\n", self.i, end)
        if newlines:
            self.line += newlines
            self.line_start = self.text.rfind("\n", self.i, end) + 1
        self.i = end

    def skip_inline_space(self) -> None:
        while self.peek() in (" ", "\t"):
            self.i += 1

    def skip_comment(self) -> None:
        if self.peek() == "#":
            newline = self.text.find("\n", self.i)
            self.i = self.n if newline < 0 else newline

    def skip_blank(self) -> None:
        """Whitespace, newlines and comments (between top-level lines and inside arrays)."""
        while self.i < self.n:
            ch = self.text[self.i]
            if ch in " \t\r":
                self.i += 1
            elif ch == "\n":
                self.advance()
            elif ch == "#":
                self.skip_comment()
            else:
                return

    # -- strings and keys ----------------------------------------------------------------------------
    def read_string(self) -> str:
        """Read a basic, literal or multi-line string starting at the cursor; return its value."""
        quote = self.peek()
        if self.text.startswith(quote * 3, self.i):
            self.advance(3)
            end = self.text.find(quote * 3, self.i)
            if end < 0:
                raise _ScanError
            while self.text.startswith(quote, end + 3):  # up to two quotes may end the content
                end += 1
            value = self.text[self.i : end]
            self.advance(end + 3 - self.i)
            return value
        end = self.text.find(quote, self.i + 1)
        if end > 0:  # the common case, no escape and on one line: a slice
            value = self.text[self.i + 1 : end]
            if "\n" not in value and (quote == "'" or "\\" not in value):
                self.i = end + 1
                return value
        self.advance()
        out: list[str] = []
        while True:
            ch = self.peek()
            if ch in ("", "\n"):
                raise _ScanError
            if ch == quote:
                self.advance()
                return "".join(out)
            if ch == "\\" and quote == '"':
                nxt = self.peek(1)
                if nxt in _ESCAPES:
                    out.append(_ESCAPES[nxt])
                    self.advance(2)
                    continue
                if nxt in ("u", "U"):
                    width = 4 if nxt == "u" else 8
                    digits = self.text[self.i + 2 : self.i + 2 + width]
                    try:
                        out.append(chr(int(digits, 16)))
                    except ValueError as error:
                        raise _ScanError from error
                    self.advance(2 + width)
                    continue
                raise _ScanError
            out.append(ch)
            self.advance()

    def read_key(self) -> tuple[str, ...]:
        """A dotted key (`a."b.c".d`), whitespace allowed around the dots."""
        parts: list[str] = []
        while True:
            self.skip_inline_space()
            ch = self.peek()
            if ch in ('"', "'"):
                parts.append(self.read_string())
            else:
                match = _BARE_KEY.match(self.text, self.i)
                if not match:
                    raise _ScanError
                parts.append(match.group())
                self.i = match.end()
            self.skip_inline_space()
            if self.peek() != ".":
                return tuple(parts)
            self.i += 1

    # -- values --------------------------------------------------------------------------------------
    def value(self, path: Path) -> None:
        self.skip_inline_space()
        ch = self.peek()
        if ch in ('"', "'"):
            self.read_string()
        elif ch == "[":
            self.array(path)
        elif ch == "{":
            self.inline_table(path)
        else:
            stop = _SCALAR_STOP.search(self.text, self.i)
            end = self.n if stop is None else stop.start()
            if end == self.i:
                raise _ScanError
            self.i = end

    def array(self, path: Path) -> None:
        self.advance()  # [
        index = 0
        while True:
            self.skip_blank()
            if self.peek() == "]":
                self.advance()
                return
            self.positions.setdefault((*path, index), self.here())
            self.value((*path, index))
            index += 1
            self.skip_blank()
            if self.peek() == ",":
                self.advance()
            elif self.peek() != "]":
                raise _ScanError

    def inline_table(self, path: Path) -> None:
        self.advance()  # {
        while True:
            self.skip_blank()  # TOML 1.1 allows newlines inside inline tables; tomllib may accept them
            if self.peek() == "}":
                self.advance()
                return
            where = self.here()
            key = self.read_key()
            self._record_key(path, key, where)
            if self.peek() != "=":
                raise _ScanError
            self.advance()
            self.value((*path, *key))
            self.skip_blank()
            if self.peek() == ",":
                self.advance()
            elif self.peek() != "}":
                raise _ScanError

    def _record_key(self, base: Path, key: tuple[str, ...], where: Position) -> None:
        for depth in range(1, len(key) + 1):
            self.positions.setdefault((*base, *key[:depth]), where)

    # -- tables --------------------------------------------------------------------------------------
    def resolve_header(self, key: tuple[str, ...]) -> Path:
        """Insert the current index of every enclosing array of tables (`[[a]]` then `[a.b]` = a[-1].b)."""
        path: list[str | int] = []
        for depth in range(1, len(key) + 1):
            path.append(key[depth - 1])
            prefix = key[:depth]
            if depth < len(key) and prefix in self.aot_index:
                path.append(self.aot_index[prefix])
        return tuple(path)

    def header(self) -> Path:
        where = self.here()
        double = self.text.startswith("[[", self.i)
        self.advance(2 if double else 1)
        key = self.read_key()
        closing = "]]" if double else "]"
        if not self.text.startswith(closing, self.i):
            raise _ScanError
        self.advance(len(closing))
        path = self.resolve_header(key)
        if double:
            # a new element resets the indexes of arrays of tables nested below it
            for nested in [k for k in self.aot_index if len(k) > len(key) and k[: len(key)] == key]:
                del self.aot_index[nested]
            index = self.aot_index.get(key, -1) + 1
            self.aot_index[key] = index
            path = (*path, index)
        for depth in range(1, len(path) + 1):
            self.positions.setdefault(path[:depth], where)
        return path

    def document(self) -> dict[Path, Position]:
        table: Path = ()
        try:
            while True:
                self.skip_blank()
                if self.i >= self.n:
                    break
                if self.peek() == "[":
                    table = self.header()
                    continue
                where = self.here()
                key = self.read_key()
                self._record_key(table, key, where)
                if self.peek() != "=":
                    raise _ScanError
                self.advance()
                self.value((*table, *key))
        except _ScanError:
            pass
        return self.positions


def scan_positions(text: str) -> dict[Path, Position]:
    """Map each path of the parsed document to the (line, column) where it starts; never raises."""
    return _Scanner(text).document()
