"""The installer's environment: uv or pip get torchsmith's indexes, credentials and TLS settings.

Only environment variables and a private file carry them, never the command line (`ps` shows every
process's arguments to every user; the environment and a mode-0600 file only to the owner):

| what | uv | pip |
| --- | --- | --- |
| default index (with its credentials) | `UV_DEFAULT_INDEX` | `PIP_INDEX_URL` |
| credentials for direct-URL wheels | `NETRC` (private file) | `NETRC` (private file, read by requests) |
| CA bundle | `SSL_CERT_FILE` | `PIP_CERT` |
| the system trust store (no CA bundle) | `UV_NATIVE_TLS=1` | pip's default (truststore) |
| hosts allowed without TLS verification | `UV_INSECURE_HOST` | `PIP_TRUSTED_HOST` |

The private netrc holds the credentials torchsmith knows by URL (userinfo, `UV_INDEX_<NAME>_*`, keyring),
one entry per host, followed by the user's own netrc entries for other hosts, so nothing the user had set up
is lost. Proxy variables are inherited as they are. Extra indexes stay with each installer's own settings.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit, urlunsplit

if TYPE_CHECKING:
    from torchsmith.index.settings import IndexSettings
    from torchsmith.index.settings_auth import Credential

__all__ = ["build_environment", "credential_notes", "with_credentials"]


def with_credentials(url: str, credential: Credential | None) -> str:
    """`url` with `credential` as its userinfo (percent-encoded), for an installer's variable."""
    if credential is None or not (credential.username or credential.password):
        return url
    parts = urlsplit(url)
    userinfo = quote(credential.username or "", safe="")
    if credential.password is not None:
        userinfo += ":" + quote(credential.password, safe="")
    netloc = f"{userinfo}@{parts.netloc.rpartition('@')[2]}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _netrc_text(settings: IndexSettings) -> str:
    """Machine entries for every host torchsmith has a username and password for, then the user's."""
    entries: dict[str, tuple[str, str]] = {}
    urls = [settings.index_base, settings.jetson_index_base, settings.default_index]
    urls += [entry.url for entry in settings.extra_indexes]
    for url in urls + settings.credentials.known_urls():
        credential = settings.credentials.for_url(url)
        host = (urlsplit(url).hostname or "").lower()
        if credential is None or not credential.username or credential.password is None or not host:
            continue
        entries.setdefault(host, (credential.username, credential.password))
    if not entries:
        return ""
    lines = [f"machine {host} login {user} password {password}" for host, (user, password) in entries.items()]
    own = settings.credentials.netrc_path
    if own is not None and own.is_file():
        import netrc

        with contextlib.suppress(OSError, netrc.NetrcParseError, UnicodeDecodeError):
            for host, (login, _account, password) in netrc.netrc(str(own)).hosts.items():
                if host.lower() not in entries:
                    head = "default" if host == "default" else f"machine {host}"
                    lines.append(f"{head} login {login} password {password}")
    return "\n".join(lines) + "\n"


@contextlib.contextmanager
def build_environment(
    settings: IndexSettings, installer: str, base: Mapping[str, str]
) -> Iterator[dict[str, str]]:
    """See `torchsmith.index.settings.installer_environment`."""
    env = dict(base)
    default = with_credentials(settings.default_index, settings.credentials.for_url(settings.default_index))
    hosts = " ".join(host for host, _source in settings.insecure_hosts)
    if installer == "uv":
        env.pop("UV_INDEX_URL", None)
        env["UV_DEFAULT_INDEX"] = default
        if settings.ca_file:
            env["SSL_CERT_FILE"] = settings.ca_file
        else:
            env["UV_NATIVE_TLS"] = "1"
        if hosts:
            env["UV_INSECURE_HOST"] = hosts
    else:
        env["PIP_INDEX_URL"] = default
        if settings.ca_file:
            env["PIP_CERT"] = settings.ca_file
        if hosts:
            env["PIP_TRUSTED_HOST"] = hosts
    text = _netrc_text(settings)
    if not text:
        yield env
        return
    with tempfile.TemporaryDirectory(prefix="torchsmith-auth-") as folder:  # mode 0700
        path = Path(folder) / "netrc"
        from torchsmith.fileio import atomic_write_bytes

        atomic_write_bytes(path, text.encode("utf-8"), mode=0o600)
        env["NETRC"] = str(path)
        yield env


def _env_stem(prefix: str, name: str) -> str:
    import re

    return prefix + re.sub(r"[^A-Z0-9]", "_", name.upper())


def credential_notes(
    settings: IndexSettings, tool: str, indexes: Sequence[tuple[str | None, str]]
) -> list[str]:
    """What to tell the user of an exported file about the credentials its indexes need: the variable or
    mechanism `tool` reads, never the secret itself (generated files carry bare URLs only).

    uv: `UV_INDEX_<NAME>_USERNAME/_PASSWORD` (https://docs.astral.sh/uv/concepts/indexes/); poetry:
    `POETRY_HTTP_BASIC_<SOURCE>_USERNAME/_PASSWORD` (https://python-poetry.org/docs/repositories/
    #configuring-credentials); pip (and conda's pip section): netrc or keyring, or `${VAR}` in a requirements
    file (https://pip.pypa.io/en/stable/reference/requirements-file-format/#using-environment-variables);
    pixi: `pixi auth login` (https://pixi.sh/latest/deployment/authentication/).
    """
    notes: list[str] = []
    seen: set[str] = set()
    for name, url in indexes:
        credential = settings.credentials.for_url(url)
        host = urlsplit(url).hostname or url
        if credential is None or url in seen:
            continue
        seen.add(url)
        if tool == "uv" and name:
            stem = _env_stem("UV_INDEX_", name)
            how = f"set `{stem}_USERNAME` and `{stem}_PASSWORD` (uv reads them for the index `{name}`)"
        elif tool == "poetry" and name:
            stem = _env_stem("POETRY_HTTP_BASIC_", name)
            how = f"set `{stem}_USERNAME` and `{stem}_PASSWORD` (poetry reads them for the source `{name}`)"
        elif tool == "pixi":
            how = f"run `pixi auth login {host} --username USER --password TOKEN` once"
        else:
            how = (
                f"put `machine {host} login USER password TOKEN` in `~/.netrc` (or use keyring); "
                "pip also expands `${VAR}` in requirements files"
            )
        notes.append(f"`{url}` needs credentials (torchsmith used those from {credential.source}): {how}")
    return notes
