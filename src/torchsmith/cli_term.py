"""The terminal: whether to use colour, how styled text looks, and the global flags accepted anywhere.

Colour follows, in order: `--color always|never`; `NO_COLOR` set and non-empty (https://no-color.org);
`FORCE_COLOR` set and non-empty (https://force-color.org); `TERM=dumb`; whether the stream is a terminal.
Output is always built as plain text first (the library and the renderers never know about colour), then
styled line by line with rich here, so piped output stays byte-for-byte what the tests and scripts see.
rich is imported only when colour is on.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing, re and dataclasses stay unloaded on the start-up path (issue 17)
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import IO

__all__ = [
    "COLOR_CHOICES",
    "GlobalFlags",
    "split_global_flags",
    "stylize",
    "use_color",
]

COLOR_CHOICES: tuple[str, ...] = ("auto", "always", "never")

_SWITCHES = {
    "-q": "quiet",
    "--quiet": "quiet",
    "-v": "verbose",
    "--verbose": "verbose",
    "--json": "json",
    "--offline": "offline",
}


class GlobalFlags:
    """The flags every command accepts, before or after the command name."""

    __slots__ = ("color", "errors", "json", "offline", "quiet", "verbose")

    def __init__(self) -> None:
        self.quiet = self.verbose = self.json = self.offline = False
        self.color = "auto"
        self.errors: list[str] = []


def split_global_flags(argv: Sequence[str]) -> tuple[GlobalFlags, list[str]]:
    """Take the global flags out of `argv` wherever they are; return them and the rest, in order.

    `-qv` style bundles of the two short switches count too. Everything after `--` is left alone (it is
    an operand there). An invalid or missing `--color` value is recorded in `errors` for the caller's
    usage error, so the message comes out the way argparse's own do.
    """
    flags = GlobalFlags()
    rest: list[str] = []
    items = list(argv)
    i = 0
    while i < len(items):
        item = items[i]
        i += 1
        if item == "--":
            rest.extend(items[i - 1 :])
            break
        if item in _SWITCHES:
            setattr(flags, _SWITCHES[item], True)
        elif len(item) > 2 and item[0] == "-" and item[1] != "-" and set(item[1:]) <= {"q", "v"}:
            flags.quiet = flags.quiet or "q" in item
            flags.verbose = flags.verbose or "v" in item
        elif item == "--color" or item.startswith("--color="):
            if "=" in item:
                value: str | None = item.split("=", 1)[1]
            elif i < len(items):
                value, i = items[i], i + 1
            else:
                value = None
            if value not in COLOR_CHOICES:
                shown = "nothing" if value is None else f"`{value}`"
                flags.errors.append(f"argument --color: expected `auto`, `always` or `never`, got {shown}")
            else:
                flags.color = value
        else:
            rest.append(item)
    return flags, rest


def use_color(stream: IO[str], choice: str, env: Mapping[str, str]) -> bool:
    """Whether to colour what goes to `stream` (see the module docstring for the order)."""
    if choice == "always":
        return True
    if choice == "never":
        return False
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR"):
        return True
    if env.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


_Rule = tuple[str, str]

_SEVERITY: tuple[_Rule, ...] = (
    (r"(?:^|(?<=: ))error(?:\[[\w.-]+\])?:", "bold red"),
    (r"(?:^|(?<=: ))warning(?:\[[\w.-]+\])?:", "bold yellow"),
    (r"(?:^|(?<=: ))info(?:\[[\w.-]+\])?:", "bold blue"),
    (r"^(?:note|hint):", "cyan"),
    (r"^  (?:evidence|fix):", "dim"),
    (r"^internal error:", "bold red"),
)
"""Severity words wherever a finding line carries them (doctor, lint human, stderr)."""

_STYLES: dict[str, tuple[_Rule, ...]] = {
    "probe": ((r"^\S[^ ]*(?=  )", "bold cyan"), (r"^  gpu \d+", "cyan")),
    "plan": (
        (r"^backend:", "bold"),
        (r"(?<=^backend: )\S+", "bold green"),
        (r"index:", "bold"),
        (r"^package  .*$", "bold underline"),
        (r"^(?:why|not chosen|install with):$", "bold"),
        (r"(?<=^  - )[\w.,+ -]+?(?=: )", "magenta"),
        (r"^  (?:uv|python) .*$", "green"),
    ),
    "matrix": ((r"^torch  .*$", "bold underline"),),
    "doctor": (
        (r"^torchsmith doctor:", "bold"),
        (r"^healthy:", "bold green"),
        (r"^unhealthy:", "bold red"),
    ),
    "export": ((r"^updated:", "bold green"), (r"^unchanged:", "dim")),
    "install": ((r"^(?:installed|verified|ok)\b", "bold green"),),
}


def stylize(text: str, command: str | None) -> str:
    """`text` with ANSI styles for a terminal: severities everywhere, headings and tables per command."""
    import re

    from rich.console import Console
    from rich.text import Text

    rules = (*_SEVERITY, *_STYLES.get(command or "", ()))
    rendered = Text(text)
    for pattern, style in rules:
        for match in re.finditer(pattern, text, flags=re.MULTILINE):
            rendered.stylize(style, match.start(), match.end())
    import io

    buffer = io.StringIO()
    console = Console(
        file=buffer,
        force_terminal=True,
        color_system="standard",
        width=max(80, *(len(line) for line in text.splitlines() or [""])),
        highlight=False,
        markup=False,
        emoji=False,
        soft_wrap=True,
        no_color=False,
        _environ={},
    )
    console.print(rendered, end="")
    return buffer.getvalue()
