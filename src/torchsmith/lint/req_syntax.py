"""The line syntax of pip requirements files, as `pip._internal.req.req_file` implements it.

`logical_lines` is pip's `preprocess` (split on any newline, join `\\` continuations unless the line is
a comment, drop comments); `split_line` is `break_args_options` (the words before the first one starting
with `-` are the requirement); `parse_options` is the optparse parser pip builds per line
(`build_parser`: the options of `SUPPORTED_OPTIONS` and `SUPPORTED_OPTIONS_REQ`, `--opt=v`, `--opt v`,
`-iURL`, unique prefixes of long names; leftover words are returned, pip drops them).
"""

from __future__ import annotations

from torchsmith.lazy_re import lazy

__all__ = ["PER_REQUIREMENT", "logical_lines", "parse_options", "split_line"]

_COMMENT = lazy(r"(^|\s+)#.*$")
_VALUE_OPTIONS = {
    "-i": "index-url",
    "--index-url": "index-url",
    "--pypi-url": "index-url",
    "--extra-index-url": "extra-index-url",
    "-c": "constraint",
    "--constraint": "constraint",
    "-r": "requirement",
    "--requirement": "requirement",
    "-e": "editable",
    "--editable": "editable",
    "-f": "find-links",
    "--find-links": "find-links",
    "--no-binary": "no-binary",
    "--only-binary": "only-binary",
    "--all-releases": "all-releases",
    "--only-final": "only-final",
    "--trusted-host": "trusted-host",
    "--use-feature": "use-feature",
    "--hash": "hash",
    "-C": "config-settings",
    "--config-settings": "config-settings",
}
_FLAGS = {
    "--no-index": "no-index",
    "--prefer-binary": "prefer-binary",
    "--require-hashes": "require-hashes",
    "--no-require-hashes": "no-require-hashes",
    "--pre": "pre",
}
_LONG = sorted(o for o in (*_VALUE_OPTIONS, *_FLAGS) if o.startswith("--"))
PER_REQUIREMENT = frozenset({"hash", "config-settings"})


def logical_lines(text: str) -> list[tuple[int, int, str]]:
    """(first line number, column of its first character, text) per logical line, as pip's preprocess."""
    out: list[tuple[int, int, str]] = []
    pending: list[str] = []
    start = 0
    column = 1
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.endswith("\\") or _COMMENT.match(raw):
            line = " " + raw if _COMMENT.match(raw) else raw
            if pending:
                pending.append(line)
                joined, first = "".join(pending), start
                pending = []
            else:
                joined, first = line, number
                column = len(raw) - len(raw.lstrip()) + 1
        else:
            if not pending:
                start = number
                column = len(raw) - len(raw.lstrip()) + 1
            pending.append(raw.strip("\\"))
            continue
        stripped = _COMMENT.sub("", joined).strip()
        if stripped:
            out.append((first, column, stripped))
    if pending:
        stripped = _COMMENT.sub("", "".join(pending)).strip()
        if stripped:
            out.append((start, column, stripped))
    return out


def split_line(line: str) -> tuple[str, str]:
    """pip's `break_args_options`: the words before the first one starting with `-`, and the rest."""
    tokens = line.split(" ")
    for index, token in enumerate(tokens):
        if token.startswith("-"):
            return " ".join(tokens[:index]), " ".join(tokens[index:])
    return line, ""


def _long_name(token: str) -> str | None:
    if token in _VALUE_OPTIONS or token in _FLAGS:
        return token
    matches = [o for o in _LONG if o.startswith(token)]
    return matches[0] if len(matches) == 1 else None


_NOT_PLAIN = frozenset("'\"\\\x0b\x0c\x1c\x1d\x1e\x1f")
"""Characters after which `str.split` and `shlex.split` may disagree: quotes, the escape, and the ASCII
whitespace `str.split` splits on but shlex (space, tab, CR, LF) does not."""


def _words(text: str) -> list[str]:
    """`shlex.split(text)` (as pip splits option lines); `str.split` where the two agree, which is almost
    every line: no quote, no backslash, ASCII only. shlex reads a character at a time in Python."""
    if text.isascii() and _NOT_PLAIN.isdisjoint(text):
        return text.split()
    import shlex

    return shlex.split(text)


def parse_options(text: str) -> tuple[list[tuple[str, str]], list[str], str | None]:
    """([(canonical option, value)], ignored words, error) for the options part of a line, as optparse."""
    try:
        tokens = _words(text)
    except ValueError:
        return [], [], f"could not split options: {text}"
    found: list[tuple[str, str]] = []
    loose: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        i += 1
        if token == "--":
            loose += tokens[i:]
            break
        if not token.startswith("-") or token == "-":
            loose.append(token)
            continue
        if token.startswith("--"):
            head, has_value, inline = token.partition("=")
            name = _long_name(head)
            if name is None:
                return found, loose, f"no such option: {head}"
        else:
            head, inline, has_value = token[:2], token[2:], "x" if len(token) > 2 else ""
            name = head if head in _VALUE_OPTIONS else None
            if name is None:
                return found, loose, f"no such option: {head}"
        if name in _FLAGS:
            if has_value:
                return found, loose, f"{name} option does not take a value"
            found.append((_FLAGS[name], ""))
            continue
        if has_value:
            value = inline
        elif i < len(tokens):
            value, i = tokens[i], i + 1
        else:
            return found, loose, f"{name} option requires 1 argument"
        found.append((_VALUE_OPTIONS[name], value))
    return found, loose, None
