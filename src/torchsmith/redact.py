"""The one redaction function: no credential leaves torchsmith in anything it prints or writes.

Index URLs may carry credentials (`https://user:token@host/simple`, RFC 3986 userinfo), as uv and pip
accept them. Every printer, JSON document, log, error message, generated file and report passes text
through `redact_text` (or a URL through `redact_url`), which masks the password (and a username that is the
only secret, as token-only URLs such as `https://TOKEN@host/` put it) with `****`, the way pip's
`redact_auth_from_url` and uv's `DisplaySafeUrl` print URLs. Secrets registered with `register_secret`
(from `.netrc`, keyring or `UV_INDEX_<NAME>_PASSWORD`) are masked wherever they appear.
"""

from __future__ import annotations

import re

TYPE_CHECKING = False  # `typing` stays unloaded at start-up (issue 17); mypy reads the name as typing's
if TYPE_CHECKING:
    from typing import Any


__all__ = [
    "MASK",
    "RedactingReporter",
    "redact_text",
    "redact_url",
    "register_secret",
    "split_credentials",
]

MASK = "****"

_SECRETS: set[str] = set()
_URL_USERINFO = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/\s@:'\"]*(?::[^/\s@'\"]*)?)@"
)


def register_secret(secret: str | None) -> None:
    """Remember a secret (a password or token found outside a URL) so every later output masks it."""
    if secret and len(secret) >= 4:
        _SECRETS.add(secret)


def split_credentials(url: str) -> tuple[str, str | None, str | None]:
    """`https://u:p@host/x` -> (`https://host/x`, `u`, `p`); a URL without userinfo comes back unchanged."""
    match = _URL_USERINFO.match(url)
    if not match:
        return url, None, None
    userinfo = match.group("userinfo")
    user, sep, password = userinfo.partition(":")
    bare = match.group("scheme") + url[match.end() :]
    from urllib.parse import unquote

    return bare, unquote(user) or None, (unquote(password) if sep else None)


def _mask_userinfo(match: re.Match[str]) -> str:
    user, sep, _password = match.group("userinfo").partition(":")
    if sep:
        return f"{match.group('scheme')}{user}:{MASK}@"
    return f"{match.group('scheme')}{MASK}@"


def redact_url(url: str) -> str:
    """`https://user:token@host/simple` -> `https://user:****@host/simple`; `https://token@h/` -> `https://****@h/`."""
    return redact_text(url)


def redact_text(text: str) -> str:
    """Mask URL credentials and every registered secret anywhere in `text`."""
    if "@" in text:
        text = _URL_USERINFO.sub(_mask_userinfo, text)
    for secret in _SECRETS:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


class RedactingReporter:
    """A `torchsmith.report.Reporter` that passes every message through `redact_text` before `inner` sees
    it: installer output, warnings and steps may quote a URL with credentials."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def step(self, message: str) -> None:
        self.inner.step(redact_text(message))

    def line(self, text: str) -> None:
        self.inner.line(redact_text(text))

    def warn(self, message: str) -> None:
        self.inner.warn(redact_text(message))

    def __getattr__(self, name: str) -> Any:  # anything else a renderer offers (e.g. `quiet`)
        return getattr(self.inner, name)
