"""TOML 1.1 inline tables (newlines, comments and a trailing comma between the braces) rewritten as TOML 1.0.

Why it exists: pixi's documentation writes `torch = {\\n  version = ">=2.5",\\n  index = "..."\\n}`, which
TOML 1.1 allows (https://github.com/toml-lang/toml/blob/main/CHANGELOG.md: "Allow newlines and trailing
commas in inline tables") and stdlib `tomllib` (TOML 1.0) rejects. Importing tomlkit to read such a file
cost as much as linting forty others (issue 17); instead the text is rewritten and `tomllib` reads it.

Only the places the TOML 1.1 grammar opens up are rewritten (`inline-table` in its ABNF,
https://github.com/toml-lang/toml/blob/main/toml.abnf): after `{` and `,`, and before `,` and `}`, a
newline becomes a space and a comment is dropped; a comma right before `}` that follows a key/value pair is
dropped. Strings are copied untouched. Text that is still not TOML 1.0 afterwards is not TOML 1.1 either
(as far as inline tables go), so it stays a parse error. Line numbers are not kept: positions come from
`tomlpos`, which reads the original text.
"""

from __future__ import annotations

__all__ = ["inline_tables_to_1_0"]

_BLANK = frozenset(" \t")


def _string_end(text: str, start: int) -> int:
    """The index just after the string starting at `start` (at the end of its line if unterminated)."""
    quote = text[start]
    if text.startswith(quote * 3, start):
        i = start + 3
        while i < len(text):
            if quote == '"' and text[i] == "\\":
                i += 2
                continue
            if text.startswith(quote * 3, i):
                end = i + 3
                for _ in range(2):  # up to two more quotes belong to the content: `""""""` ends `"`
                    if end < len(text) and text[end] == quote:
                        end += 1
                return end
            i += 1
        return len(text)
    i = start + 1
    while i < len(text) and text[i] != "\n":
        if quote == '"' and text[i] == "\\":
            i += 2
            continue
        if text[i] == quote:
            return i + 1
        i += 1
    return i


def _next_significant(text: str, i: int) -> str:
    """The first character from `i` on that is not blank, a line break or inside a comment ("" at the end)."""
    while i < len(text):
        char = text[i]
        if char == "#":
            newline = text.find("\n", i)
            if newline < 0:
                return ""
            i = newline
        elif char in _BLANK or char in "\r\n":
            i += 1
        else:
            return char
    return ""


def _last_significant(out: list[str], before: int | None = None) -> int:
    """The index in `out` of the last piece that is not blank (-1 if none)."""
    k = len(out) - 1 if before is None else before - 1
    while k >= 0 and (not out[k] or out[k].isspace()):
        k -= 1
    return k


def inline_tables_to_1_0(text: str) -> str | None:
    """`text` with its TOML 1.1 inline tables written as TOML 1.0; None when nothing needed rewriting."""
    out: list[str] = []
    open_brackets: list[str] = []
    changed = False
    i = 0
    while i < len(text):
        char = text[i]
        in_table = bool(open_brackets) and open_brackets[-1] == "{"
        if char in "\"'":
            end = _string_end(text, i)
            out.append(text[i:end])
            i = end
            continue
        if char == "#" or char == "\n" or (char == "\r" and text.startswith("\r\n", i)):
            if in_table and _between_pairs(text, i, out):
                if char == "#":
                    newline = text.find("\n", i)
                    i = len(text) if newline < 0 else newline
                else:
                    out.append(" ")
                    i += 2 if char == "\r" else 1
                changed = True
                continue
            if char == "#":  # a comment where TOML 1.0 has it: copied whole (it may hold quotes)
                newline = text.find("\n", i)
                end = len(text) if newline < 0 else newline
                out.append(text[i:end])
                i = end
                continue
        if char in "{[":
            open_brackets.append(char)
        elif char in "}]":
            if char == "}" and in_table:
                changed = _drop_trailing_comma(out) or changed
            if open_brackets:
                open_brackets.pop()
        out.append(char)
        i += 1
    return "".join(out) if changed else None


def _between_pairs(text: str, i: int, out: list[str]) -> bool:
    """Whether position `i` inside an inline table is between key/value pairs (where TOML 1.1 allows a
    newline or a comment): right after `{` or `,`, or right before `,` or `}`."""
    last = _last_significant(out)
    if last >= 0 and out[last] in ("{", ","):
        return True
    return _next_significant(text, i) in (",", "}")  # from `i`: the comment or line break is skipped


def _drop_trailing_comma(out: list[str]) -> bool:
    """Drop a comma right before the closing `}` when a key/value pair precedes it (`{,}` stays invalid)."""
    comma = _last_significant(out)
    if comma < 0 or out[comma] != ",":
        return False
    before = _last_significant(out, comma)
    if before < 0 or out[before] in ("{", ","):
        return False
    out[comma] = ""
    return True
