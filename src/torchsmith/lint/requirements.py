"""Parse pip requirements and constraints files exactly as pip reads them, following `-r` / `-c`.

The grammar is pip's own (https://pip.pypa.io/en/stable/reference/requirements-file-format/, and
`pip._internal.req.req_file`, which the tests use as the oracle): lines are split on any newline (CRLF
too); a line ending in `\\` is joined with the next (the backslashes are stripped from both ends, as
pip does) unless it is a comment; `#` at the start or after whitespace starts a comment; the text before
the first word starting with `-` is the requirement and the rest are options, parsed like optparse
(`--opt=v`, `--opt v`, `-iURL`, unique prefixes of long names). On a requirement line only `--hash` and
`--config-settings` count: every other option there is ignored by pip (`requirements-ignored-option`).
On an option line pip ignores every word that is not an option, so a marker written there
(`--extra-index-url URL ; sys_platform == "linux"`) is dropped and the option applies everywhere
(`requirements-option-marker-ignored`). `-r` / `-c` are followed relative to the including file;
pip follows only the first include of a line and drops that line's other options; a file that includes
itself through a chain is `requirements-include-cycle`. Lines using `${VAR}` are skipped (their value is
only known at install time); an unknown option is a `parse-error`, as pip stops there.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from torchsmith.findings import Finding, Location
from torchsmith.lazy_re import lazy
from torchsmith.lint.document import Document, KeyPath, Position
from torchsmith.lint.registry import rule
from torchsmith.lint.req_syntax import PER_REQUIREMENT, logical_lines, parse_options, split_line
from torchsmith.lint.toml_files import parse_error
from torchsmith.record import record

__all__ = ["ReqLine", "ReqOption", "RequirementsFile", "parse_requirements"]

_URLISH = lazy(r"^(https?|file|git\+\w+)://|^[./~]|\.(whl|zip|tar\.gz|tgz)$")
_WHEEL_NAME = lazy(r"^([A-Za-z0-9_.]+)-")
_MARKERISH = lazy(r";|\b(sys_platform|platform_system|platform_machine|os_name|python_version|extra)\b")


@record
class ReqOption:
    """One option as pip applies it (`name` canonical: `index-url`); `display` "" means the linted file."""

    name: str
    value: str
    line: int
    column: int
    display: str = ""


@record
class ReqLine:
    """One requirement: `name` is canonical; `url` is set for direct references (`name @ URL`, a URL)."""

    name: str | None
    requirement: Requirement | None
    url: str | None
    text: str
    line: int
    column: int
    display: str = ""
    constraint: bool = False


class RequirementsFile:
    """Everything pip would install from a file and its includes, and what it would stop or skip on.

    A plain slotted class: nothing compares or prints it, and a dataclass costs start-up (issue 17)."""

    __slots__ = ("errors", "includes", "options", "requirements")

    def __init__(self) -> None:
        self.options: list[ReqOption] = []
        self.requirements: list[ReqLine] = []
        self.errors: list[Finding] = []
        self.includes: list[str] = []  # displayed paths of followed files


def _wheel_name(url: str) -> str | None:
    filename = unquote(url.rsplit("/", 1)[-1])
    if not filename.endswith(".whl"):
        return None
    match = _WHEEL_NAME.match(filename)
    return canonicalize_name(match.group(1)) if match else None


@lru_cache(maxsize=4096)
def _parsed(body: str) -> tuple[Requirement | None, str]:
    """PEP 508 parse of a requirement (or None and why not), once per distinct text: the same lines
    (`torch==2.5.1`, `numpy`) recur across a repository's files. Nothing here changes a `Requirement`, so
    the lines share it."""
    try:
        return Requirement(body), ""
    except InvalidRequirement as error:
        return None, str(error).splitlines()[0].rstrip(".")


def _requirement(
    display: str, name: str, number: int, column: int, body: str, own: str, constraint: bool
) -> ReqLine | Finding:
    if _URLISH.search(body.split(";", 1)[0].strip()) and "@" not in body.split("://", 1)[0]:
        url = body.split(";", 1)[0].strip()
        return ReqLine(_wheel_name(url), None, url, body, number, column, own, constraint)
    requirement, reason = _parsed(body)
    if requirement is None:
        return parse_error(display, name, f"invalid requirement `{body}`: {reason}", number, column)
    canonical = canonicalize_name(requirement.name)
    return ReqLine(canonical, requirement, requirement.url, body, number, column, own, constraint)


def _finding(
    rule_id: str, display: str, name: str, line: int, column: int, message: str, fix: str
) -> Finding:
    return Finding(
        rule=rule_id,
        severity=rule(rule_id).severity,
        message=message,
        fix=fix,
        location=Location(display, line, column, f"{name} › line {line}"),
    )


class _Reader:
    """Parses one file and its includes; `chain` holds the files being included (for cycles)."""

    def __init__(self, root_display: str) -> None:
        self.root_display = root_display
        self.out = RequirementsFile()
        self.positions: dict[KeyPath, Position] = {}

    def read(self, path: Path, display: str, text: str, chain: tuple[Path, ...], constraint: bool) -> None:
        own = "" if display == self.root_display else display
        for number, column, line in logical_lines(text):
            self.positions[("line", number, own) if own else ("line", number)] = (number, column)
            if "${" in line:
                continue
            args, rest = split_line(line)
            options, loose, error = parse_options(rest)
            if error is not None:
                self.out.errors.append(
                    parse_error(display, path.name, f"invalid requirements line: {error}", number, column)
                )
                continue
            names = [n for n, _ in options]
            editable = next((v for n, v in options if n == "editable"), None)
            if args or editable is not None:
                body = args if args else editable or ""
                ignored = [
                    n for n in names if n not in PER_REQUIREMENT and not (not args and n == "editable")
                ]
                self._requirement_line(path, display, own, number, column, body, constraint, ignored, loose)
                continue
            if loose and (at := rest.find(loose[0])) >= 0:
                loose = [rest[at:]]  # as written: shlex dropped the quotes of `sys_platform == "linux"`
            self._option_line(path, display, own, number, column, options, loose, chain, constraint)

    def _requirement_line(
        self,
        path: Path,
        display: str,
        own: str,
        number: int,
        column: int,
        body: str,
        constraint: bool,
        ignored: list[str],
        loose: list[str],
    ) -> None:
        for option in ignored:
            self.out.errors.append(
                _finding(
                    "requirements-ignored-option",
                    display,
                    path.name,
                    number,
                    column,
                    f"pip ignores `--{option}` on a requirement line: only `--hash` and `--config-settings` "
                    "apply there",
                    f"move `--{option}` to a line of its own (it then applies to the whole file)",
                )
            )
        if loose:
            self._loose_words(
                display,
                path,
                number,
                column,
                loose,
                where="after the options of a requirement line",
                subject="requirement",
                marker_fix="write the marker before the options "
                "(`torch==2.5.1 ; sys_platform == 'linux' --hash=...`)",
            )
        found = _requirement(display, path.name, number, column, body, own, constraint)
        if isinstance(found, Finding):
            self.out.errors.append(found)
            return
        self.out.requirements.append(found)

    def _loose_words(
        self,
        display: str,
        path: Path,
        number: int,
        column: int,
        loose: list[str],
        *,
        where: str,
        subject: str,
        marker_fix: str,
    ) -> None:
        """Words pip ignores on a line (after its options, or on an option line). When they look like an
        environment marker, the line was meant for some platforms only and pip applies it to every one."""
        words = " ".join(loose)
        marker = _MARKERISH.search(words) is not None
        self.out.errors.append(
            _finding(
                "requirements-option-marker-ignored" if marker else "requirements-ignored-option",
                display,
                path.name,
                number,
                column,
                f"pip ignores `{words}` {where}"
                + (f": the {subject} applies on every platform and Python" if marker else ""),
                marker_fix if marker else f"remove `{words}`",
            )
        )

    def _option_line(
        self,
        path: Path,
        display: str,
        own: str,
        number: int,
        column: int,
        options: list[tuple[str, str]],
        loose: list[str],
        chain: tuple[Path, ...],
        constraint: bool,
    ) -> None:
        if loose:
            self._loose_words(
                display,
                path,
                number,
                column,
                loose,
                where="on an option line",
                subject="option",
                marker_fix="pip has no markers for options: use one requirements file per platform, or a "
                "`+cu124`-style pin with a marker on the requirement",
            )
        include = next(((n, v) for n, v in options if n in ("requirement", "constraint")), None)
        if include is None:
            for name, value in options:
                if name in PER_REQUIREMENT:
                    self.out.errors.append(
                        _finding(
                            "requirements-ignored-option",
                            display,
                            path.name,
                            number,
                            column,
                            f"pip ignores `--{name}` on a line without a requirement",
                            f"put `--{name}` on the requirement line it belongs to",
                        )
                    )
                    continue
                self.out.options.append(ReqOption(name, value, number, column, own))
            return
        dropped = list(options)
        dropped.remove(include)
        for name in dict.fromkeys(n for n, _ in dropped):
            self.out.errors.append(
                _finding(
                    "requirements-ignored-option",
                    display,
                    path.name,
                    number,
                    column,
                    f"pip ignores `--{name}` on a line that includes another file (`-r` / `-c`)",
                    f"move `--{name}` to a line of its own",
                )
            )
        self._include(
            path, display, number, column, include[1], include[0] == "constraint" or constraint, chain
        )

    def _include(
        self,
        path: Path,
        display: str,
        number: int,
        column: int,
        target: str,
        constraint: bool,
        chain: tuple[Path, ...],
    ) -> None:
        from torchsmith.fileio import UserFileError, read_user_bytes
        from torchsmith.lint.discover import display_path

        if re.match(r"^(https?|file):", target, re.IGNORECASE):
            return  # remote includes are resolved at install time
        included = Path(os.path.normpath(path.parent / target))
        key = Path(os.path.normpath(included.absolute()))  # pip tells files apart by abspath, too
        if key in chain:
            self.out.errors.append(
                _finding(
                    "requirements-include-cycle",
                    display,
                    path.name,
                    number,
                    column,
                    f"`{target}` closes an include cycle ("
                    + " -> ".join(p.name for p in chain[chain.index(key) :])
                    + f" -> {included.name}): pip stops with `recursively references itself`",
                    "remove one of the includes; put what both need in a third file",
                )
            )
            return
        try:
            raw = read_user_bytes(included, what="requirements file")
        except (UserFileError, ValueError) as error:  # ValueError: a NUL byte, no such file can exist
            missing = not included.exists() and not included.is_symlink()
            self.out.errors.append(
                _finding(
                    "requirements-include-missing" if missing else "io-error",
                    display,
                    path.name,
                    number,
                    column,
                    f"`{target}` cannot be included: "
                    + ("no such file" if missing else _reason(error, included)),
                    f"fix the path (it is relative to `{path.name}`'s folder)",
                )
            )
            return
        shown = display_path(included)
        try:
            text = raw.decode("utf-8").removeprefix("\ufeff")
        except UnicodeDecodeError:
            self.out.errors.append(parse_error(shown, included.name, "the file is not UTF-8 text"))
            return
        self.out.includes.append(shown)
        self.read(included, shown, text, (*chain, key), constraint)


def _reason(error: Exception, included: Path) -> str:
    from torchsmith.fileio import UserFileError

    return error.message.replace(f" `{included}`", "") if isinstance(error, UserFileError) else str(error)


def parse_requirements(path: Path, display: str, text: str) -> Document:
    """Parse a requirements file and what it includes; problems are findings in `errors`."""
    reader = _Reader(display)
    reader.read(path, display, text, (Path(os.path.normpath(path.absolute())),), False)
    return Document(path, display, "requirements", text, reader.out, reader.positions)
