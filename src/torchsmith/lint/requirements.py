"""Parse pip requirements and constraints files (requirements*.txt, constraints*.txt).

The format is pip's (https://pip.pypa.io/en/stable/reference/requirements-file-format/): one requirement
(PEP 508, or a URL / path) or option per logical line, `\\` continues a line, `#` after whitespace starts a
comment, and index options (`-i/--index-url`, `--extra-index-url`, `-f/--find-links`) apply to the whole
file. Per-requirement options (`--hash=...`) are dropped. A line pip would reject as a requirement becomes
a `parse-error`; unknown options are kept but not judged. Lines using `${VAR}` expansion are skipped:
their value is only known at install time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from torchsmith.findings import Finding
from torchsmith.lint.document import Document, KeyPath, Position
from torchsmith.lint.toml_files import parse_error

__all__ = ["ReqLine", "ReqOption", "RequirementsFile", "parse_requirements"]

_COMMENT = re.compile(r"(^|\s+)#.*$")
_OPTIONS = {
    "-i": "index-url",
    "--index-url": "index-url",
    "--extra-index-url": "extra-index-url",
    "-f": "find-links",
    "--find-links": "find-links",
    "-r": "requirement",
    "--requirement": "requirement",
    "-c": "constraint",
    "--constraint": "constraint",
    "-e": "editable",
    "--editable": "editable",
    "--trusted-host": "trusted-host",
}
_FLAGS = frozenset(
    {
        "--no-index",
        "--pre",
        "--prefer-binary",
        "--require-hashes",
        "--only-binary",
        "--no-binary",
        "--use-feature",
        "--no-deps",
    }
)
_PER_REQUIREMENT = re.compile(r"\s+--(hash|config-settings|global-option|install-option)\b.*$")
_URLISH = re.compile(r"^(https?|file|git\+\w+)://|^[./~]|\.(whl|zip|tar\.gz|tgz)$")
_WHEEL_NAME = re.compile(r"^([A-Za-z0-9_.]+)-")


@dataclass(frozen=True, slots=True)
class ReqOption:
    """A file-level option such as `--extra-index-url URL`; `column` is where the option starts."""

    name: str
    value: str
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class ReqLine:
    """One requirement: `name` is canonical; `url` is set for direct references (`name @ URL`, a URL)."""

    name: str | None
    requirement: Requirement | None
    url: str | None
    text: str
    line: int
    column: int


@dataclass(slots=True)
class RequirementsFile:
    options: list[ReqOption] = field(default_factory=list)
    requirements: list[ReqLine] = field(default_factory=list)
    errors: list[Finding] = field(default_factory=list)


def _logical_lines(text: str) -> list[tuple[int, int, str]]:
    """(first line number, column of the first character, text) per logical line, comments removed."""
    out: list[tuple[int, int, str]] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if not pending:
            start = number
        if raw.endswith("\\"):
            pending.append(raw[:-1])
            continue
        pending.append(raw)
        joined = "".join(pending)
        pending = []
        stripped = _COMMENT.sub("", joined)
        if stripped.strip():
            column = len(stripped) - len(stripped.lstrip()) + 1
            out.append((start, column, stripped.strip()))
    if pending:
        joined = _COMMENT.sub("", "".join(pending))
        if joined.strip():
            out.append((start, len(joined) - len(joined.lstrip()) + 1, joined.strip()))
    return out


def _split_option(text: str) -> tuple[str, str]:
    """`--index-url=URL`, `--index-url URL`, `-i URL`, `-iURL` -> (option, value)."""
    if text.startswith("--"):
        head, sep, value = text.partition("=")
        if sep and " " not in head:
            return head, value.strip()
        head, _, value = text.partition(" ")
        return head, value.strip()
    head, value = text[:2], text[2:]
    return head, value.lstrip("= ").strip()


def _wheel_name(url: str) -> str | None:
    filename = unquote(url.rsplit("/", 1)[-1])
    if not filename.endswith(".whl"):
        return None
    match = _WHEEL_NAME.match(filename)
    return canonicalize_name(match.group(1)) if match else None


def _requirement(display: str, name: str, number: int, column: int, text: str) -> ReqLine | Finding:
    body = _PER_REQUIREMENT.sub("", text).strip()
    if _URLISH.search(body.split(";", 1)[0].strip()) and "@" not in body.split("://", 1)[0]:
        url = body.split(";", 1)[0].strip()
        return ReqLine(_wheel_name(url), None, url, text, number, column)
    try:
        requirement = Requirement(body)
    except InvalidRequirement as error:
        reason = str(error).splitlines()[0].rstrip(".")
        return parse_error(display, name, f"invalid requirement `{body}`: {reason}", number, column)
    return ReqLine(canonicalize_name(requirement.name), requirement, requirement.url, text, number, column)


def parse_requirements(path: Path, display: str, text: str) -> Document:
    """Parse a requirements file; bad requirement lines are kept as `parse-error` findings in `errors`."""
    parsed = RequirementsFile()
    positions: dict[KeyPath, Position] = {}
    for number, column, line in _logical_lines(text):
        positions[("line", number)] = (number, column)
        if "${" in line:
            continue
        if line.startswith("-"):
            option, value = _split_option(line)
            canonical = _OPTIONS.get(option)
            if canonical == "editable":
                found = _requirement(display, path.name, number, column, value)
                if isinstance(found, Finding):
                    parsed.errors.append(found)
                else:
                    parsed.requirements.append(found)
            elif canonical is not None:
                parsed.options.append(ReqOption(canonical, value, number, column))
            elif option.split("=", 1)[0] not in _FLAGS:
                parsed.options.append(ReqOption(option, value, number, column))
            continue
        found = _requirement(display, path.name, number, column, line)
        if isinstance(found, Finding):
            parsed.errors.append(found)
        else:
            parsed.requirements.append(found)
    return Document(path, display, "requirements", text, parsed, positions)
