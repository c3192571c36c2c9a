"""The one exception hierarchy of torchsmith.

Every error a user can cause or fix derives from `TorchsmithError`; the CLI prints its message and `hint`
and exits 2. Anything else reaching the CLI is a bug (exit 3). Messages are lower-case, show values in
backticks and say where a value came from (a flag, a variable, `file:line`).
"""

from __future__ import annotations

__all__ = [
    "IndexFetchError",
    "IndexUnreachableError",
    "InstallError",
    "InvalidBackend",
    "KnowledgeError",
    "ProbeError",
    "ResolutionError",
    "TorchsmithError",
    "UsageError",
]


class TorchsmithError(Exception):
    """An error the user can act on: a message plus an optional hint naming the fix."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        from torchsmith.redact import redact_text  # every message passes the one redaction function

        message = redact_text(message)
        super().__init__(message)
        self.message = message
        self.hint = redact_text(hint) if hint is not None else None

    def __str__(self) -> str:
        return self.message


class UsageError(TorchsmithError):
    """Bad command-line input that argparse cannot catch by itself."""


class InvalidBackend(TorchsmithError, ValueError):  # noqa: N818 - the name STYLE.md fixes
    """A backend name that is not `auto`, `cpu`, `cuXYZ`, `rocmX.Y`, `xpu` or a Jetson backend."""


class ProbeError(TorchsmithError):
    """The machine could not be described (e.g. an unreadable `--machine FILE`)."""


class IndexFetchError(TorchsmithError):
    """An index page or file could not be fetched or parsed."""


class IndexUnreachableError(IndexFetchError):
    """The index host could not be reached at all (no network, DNS failure, connection refused)."""


class ResolutionError(TorchsmithError):
    """No set of builds satisfies the requirements on this machine."""


class InstallError(TorchsmithError):
    """The installer failed or the installed environment failed verification."""


class KnowledgeError(TorchsmithError):
    """A shipped knowledge table is malformed; lists every problem at once."""
