"""A file's own encoding, line endings and final newline, kept across an export's merge.

The tool modules merge into plain `\n` text; `read_styled` hands them that text and remembers how the
file was written (UTF-8 with or without a BOM, or UTF-16 with its BOM; CRLF or LF; a final newline or
not), and `encode_styled` writes the merged text back the same way, so a Windows user's CRLF
`pyproject.toml` stays CRLF and only torchsmith's lines differ. Files are read with
`torchsmith.fileio.read_user_bytes`: regular files only, size-capped, errors are exit 2 naming the path.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

from torchsmith.fileio import UserFileError, read_user_bytes

__all__ = ["NEW_FILE", "Style", "encode_styled", "read_styled"]

_CONFIG_LIMIT = 4 * 1024 * 1024
"""4 MiB: no config file is that big; a bigger one is not the file the user meant."""

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


@dataclass(frozen=True, slots=True)
class Style:
    """How a file is written: its BOM (b"" for none), encoding, newline and whether it ends in one."""

    bom: bytes = b""
    encoding: str = "utf-8"
    newline: str = "\n"
    final_newline: bool = True


NEW_FILE = Style()


def read_styled(path: Path) -> tuple[str, Style] | None:
    """The file's text normalised to `\n` without BOM, and its style; None when it does not exist."""
    if not path.exists() and not path.is_symlink():
        return None
    data = read_user_bytes(path, what="file to merge into", limit=_CONFIG_LIMIT)
    bom, encoding = b"", "utf-8"
    for mark, name in _BOMS:
        if data.startswith(mark):
            bom, encoding = mark, name
            break
    try:
        text = data[len(bom) :].decode(encoding)
    except UnicodeDecodeError as error:
        raise UserFileError(
            f"cannot merge into `{path}`: it is not valid {encoding.upper()} "
            f"(byte 0x{data[len(bom) + error.start]:02x} at offset {len(bom) + error.start})",
            hint=f"save `{path}` as UTF-8, or write the export elsewhere with `-o`",
        ) from error
    crlf = text.count("\r\n")
    newline = "\r\n" if crlf and crlf >= text.count("\n") - crlf else "\n"
    normal = text.replace("\r\n", "\n") if newline == "\r\n" else text
    final = normal.endswith("\n") or not normal
    return normal, Style(bom, encoding, newline, final)


def encode_styled(text: str, style: Style) -> bytes:
    """`text` (merged, with `\n` newlines) in the file's own style."""
    if not style.final_newline and text.endswith("\n"):
        text = text[:-1]
    if style.newline != "\n":
        text = text.replace("\r\n", "\n").replace("\n", style.newline)
    return style.bom + text.encode(style.encoding)
