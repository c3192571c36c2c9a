"""The one way torchsmith reads user-supplied files and writes any file.

Writing: every file torchsmith writes (exports, `lint --fix`, caches, restore records, distro results and
channels) goes through `atomic_write_bytes` / `atomic_write_text`: the data goes to a temporary file in the
same directory, is flushed and `fsync`ed, then `os.replace`d over the target, keeping the original's
permission bits. A full disk, a kill or an exception mid-write leaves the original byte-identical and no
temporary behind, because a rename within one directory is atomic on POSIX and Windows.

Reading: `read_user_bytes` / `read_user_text` accept only regular files (a FIFO would block forever, a
device such as `/dev/zero` never ends) and refuse anything over a size limit before reading it whole.
Every failure becomes a `UserFileError` (a `TorchsmithError`, so exit 2) naming the path and the fix,
never an `OSError` or `UnicodeDecodeError` reaching the CLI as a bug.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from pathlib import Path

from torchsmith.errors import TorchsmithError

__all__ = [
    "DEFAULT_READ_LIMIT",
    "UserFileError",
    "atomic_write_bytes",
    "atomic_write_text",
    "describe_environment_error",
    "describe_os_error",
    "read_user_bytes",
    "read_user_text",
]

DEFAULT_READ_LIMIT = 16 * 1024 * 1024
"""16 MiB: far above any real config, machine, restore or results document, far below a runaway read."""


class UserFileError(TorchsmithError):
    """A file named by the user (or the environment) cannot be read or written as asked."""


def describe_os_error(error: OSError) -> str:
    """A short lower-case reason for an `OSError`, e.g. `no space left on device`."""
    reason = error.strerror or (os.strerror(error.errno) if error.errno else str(error))
    return reason[:1].lower() + reason[1:]


def describe_environment_error(error: OSError | UnicodeError) -> tuple[str, str]:
    """Message and hint for an `OSError` or `UnicodeError` that escaped to the CLI: the environment or an
    input caused it (a cache folder that is a file, an unwritable folder, a non-UTF-8 file), so it is exit
    2 naming the path, never a bug report."""
    if isinstance(error, UnicodeError):
        return (
            f"cannot decode input as text: {error}",
            "save the file as UTF-8 (or check the variables that name files)",
        )
    names = [str(n) for n in (error.filename, error.filename2) if n is not None]
    where = " and ".join(f"`{n}`" for n in names) or "a file or folder"
    reason = describe_os_error(error)
    if error.errno in (errno.ENOTDIR, errno.EEXIST):
        hint = f"{where} (or a folder above it) is a file where a folder is needed: move it away or point "
        hint += "`TORCHSMITH_CACHE_DIR` / the option elsewhere"
    elif error.errno == errno.EISDIR:
        hint = f"{where} is a folder: name a file instead"
    elif error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        hint = f"check the permissions of {where}"
    elif error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        hint = "free some space (or raise the file size limit) and run the command again"
    elif error.errno == errno.ENOENT:
        hint = f"check that {where} exists"
    else:
        hint = f"check {where}"
    return f"cannot use {where}: {reason}", hint


def _write_hint(error: OSError, path: Path) -> str:
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"check the permissions of `{path.parent}`, or write elsewhere with `-o`"
    if error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return "free some space (or raise the file size limit) and run the command again"
    if error.errno == errno.EISDIR:
        return "name a file, not a directory"
    return "check that the directory exists and is writable"


def _kind_of(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def atomic_write_bytes(path: Path | str, data: bytes, *, mode: int | None = None) -> None:
    """Replace `path` with `data` atomically; the original survives any failure untouched.

    The new file keeps the original's permission bits (or `mode`, or 0o644 less the umask for a new
    file). A target that exists but is not a regular file (a directory, `/dev/full`, a FIFO) is refused
    before anything is written, because renaming over it would not do what the user meant.
    Raises `UserFileError` naming the path and the fix.
    """
    target = Path(path)
    try:
        existing = target.stat()
    except FileNotFoundError:
        existing = None
    except OSError as error:
        raise UserFileError(
            f"cannot write `{target}`: {describe_os_error(error)}", hint=_write_hint(error, target)
        ) from error
    if existing is not None:
        kind = _kind_of(existing.st_mode)
        if kind is not None:
            raise UserFileError(
                f"cannot write `{target}`: it is {kind}", hint="name a regular file as the output"
            )
        if not existing.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
            # a rename would replace it regardless; a file made read-only on purpose stays as it is
            raise UserFileError(
                f"cannot write `{target}`: it is read-only; it is unchanged",
                hint=f"make it writable (`chmod u+w {target}`), or write elsewhere with `-o`",
            )
    if mode is None:
        if existing is not None:
            mode = stat.S_IMODE(existing.st_mode)
        else:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
    directory = target.parent
    tmp: str | None = None
    try:
        import tempfile  # with random and shutil: loaded only when something is written

        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{target.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).chmod(mode)
        Path(tmp).replace(target)
        tmp = None
    except OSError as error:
        raise UserFileError(
            f"cannot write `{target}`: {describe_os_error(error)}; the original is unchanged",
            hint=_write_hint(error, target),
        ) from error
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                Path(tmp).unlink()


def atomic_write_text(
    path: Path | str, text: str, *, mode: int | None = None, encoding: str = "utf-8"
) -> None:
    """`atomic_write_bytes` for text; newlines are written exactly as they are in `text` (no translation)."""
    atomic_write_bytes(path, text.encode(encoding), mode=mode)


def read_user_bytes(path: Path | str, *, what: str = "file", limit: int = DEFAULT_READ_LIMIT) -> bytes:
    """Read a regular file of at most `limit` bytes; anything else is a `UserFileError`.

    The file is opened non-blocking so that a FIFO cannot hang the open, then checked with `fstat` on the
    open descriptor (no race between the check and the read), and read with a hard cap so a file that
    grows while being read still cannot exceed `limit`.
    """
    source = Path(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(source, flags)
    except OSError as error:
        hint = "check the path" if error.errno == errno.ENOENT else "check the file's permissions"
        message = f"cannot read {what} `{source}`: {describe_os_error(error)}"
        raise UserFileError(message, hint=hint) from error
    try:
        info = os.fstat(fd)
        kind = _kind_of(info.st_mode)
        if kind is not None:
            raise UserFileError(f"cannot read {what} `{source}`: it is {kind}", hint="name a regular file")
        if info.st_size > limit:
            raise UserFileError(
                f"cannot read {what} `{source}`: it is {info.st_size} bytes, over the {limit}-byte limit",
                hint=f"is `{source}` really the {what} you meant?",
            )
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise UserFileError(
                    f"cannot read {what} `{source}`: it grew past the {limit}-byte limit while being read"
                )
        return b"".join(chunks)
    except OSError as error:
        raise UserFileError(f"cannot read {what} `{source}`: {describe_os_error(error)}") from error
    finally:
        os.close(fd)


def read_user_text(
    path: Path | str, *, what: str = "file", limit: int = DEFAULT_READ_LIMIT, encoding: str = "utf-8"
) -> str:
    """`read_user_bytes` decoded strictly (a BOM stays in the text, so a rewrite keeps it); undecodable
    bytes are a `UserFileError` naming the offset."""
    data = read_user_bytes(path, what=what, limit=limit)
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        raise UserFileError(
            f"cannot read {what} `{path}`: it is not valid {encoding.upper()} "
            f"(byte 0x{data[error.start]:02x} at offset {error.start})",
            hint=f"save `{path}` as {encoding.upper()}",
        ) from error
