"""Credentials for the indexes, found the way uv and pip find them, and never kept inside a URL.

Sources, in uv's order (https://docs.astral.sh/uv/concepts/authentication/http/): credentials written in an
index URL (`https://user:token@host/simple`, RFC 3986 userinfo, percent-decoded), uv's per-index variables
`UV_INDEX_<NAME>_USERNAME` / `UV_INDEX_<NAME>_PASSWORD` (https://docs.astral.sh/uv/concepts/indexes/
#providing-credentials-directly), the netrc file (`NETRC`, else `~/.netrc`; by host, with its `default`
entry), and last, only after the server answered 401 and only when the `keyring` package can be imported,
keyring, asked for the index URL and then its host as uv's `--keyring-provider subprocess` asks
`keyring get <url> <username>` (https://docs.astral.sh/uv/reference/settings/#keyring-provider).

Settings strip credentials from every URL as they read it, so a URL that travels anywhere else (a plan, a
generated file, a log) has none; each secret is also registered with `torchsmith.redact`, which masks it in
any text that still carries it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from torchsmith.record import record
from torchsmith.redact import register_secret, split_credentials

__all__ = ["Credential", "Credentials", "uv_variable_name"]


@record
class Credential:
    """A username and/or password and where they came from (a variable, a file, `keyring`)."""

    username: str | None
    password: str | None
    source: str


def uv_variable_name(index_name: str) -> str:
    """uv's variable stem for an index name: upper case, every other character `_` (`pytorch-cu126` ->
    `UV_INDEX_PYTORCH_CU126`); the `_USERNAME` / `_PASSWORD` suffixes follow."""
    return "UV_INDEX_" + re.sub(r"[^A-Z0-9]", "_", index_name.upper())


def _realm(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


def _path_prefix(prefix: str, url: str) -> bool:
    base, path = urlsplit(prefix).path.rstrip("/"), urlsplit(url).path
    return path == base or path.startswith(base + "/") or not base


class Credentials:
    """Credentials by URL prefix (the longest prefix wins), then netrc by host, then keyring on request."""

    def __init__(
        self, netrc_path: Path | None = None, keyring_enabled: bool = True, keyring_explicit: bool = False
    ) -> None:
        self._prefixes: list[tuple[str, Credential]] = []
        self.netrc_path = netrc_path
        self.keyring_enabled = keyring_enabled
        self.keyring_explicit = keyring_explicit
        self._netrc: dict[str, tuple[str, str, str]] | None = None

    def add(self, url: str, credential: Credential) -> None:
        """Use `credential` for `url` and everything below it."""
        register_secret(credential.password)
        if credential.password is None and credential.username and len(credential.username) >= 12:
            register_secret(credential.username)  # a token-only URL puts the token in the user part
        self._prefixes.append((url, credential))

    def strip(self, url: str, source: str) -> str:
        """`url` without its userinfo; the userinfo is remembered for `url` (source: `source`)."""
        bare, user, password = split_credentials(url)
        if user is not None or password is not None:
            self.add(bare, Credential(user, password, f"the URL in {source}"))
        return bare

    def known_urls(self) -> list[str]:
        """Every URL a credential was given for (URLs, per-index variables, keyring answers)."""
        return [prefix for prefix, _credential in self._prefixes]

    def for_url(self, url: str) -> Credential | None:
        """The credential to send to `url` before being asked: URL or per-index variables, else netrc."""
        realm = _realm(url)
        best: tuple[int, Credential] | None = None
        for prefix, credential in self._prefixes:
            if _realm(prefix) == realm and _path_prefix(prefix, url):
                length = len(urlsplit(prefix).path.rstrip("/"))
                if best is None or length > best[0]:
                    best = (length, credential)
        if best is not None:
            return best[1]
        return self._from_netrc(realm[1])

    def _from_netrc(self, host: str) -> Credential | None:
        if self._netrc is None:
            self._netrc = self._load_netrc()
        entry = self._netrc.get(host) or self._netrc.get("default")
        if entry is None:
            return None
        return Credential(entry[0] or None, entry[1] or None, f"`{entry[2]}`")

    def _load_netrc(self) -> dict[str, tuple[str, str, str]]:
        """Hosts in the netrc file; an unreadable or malformed file counts as none, as in pip (requests)."""
        path = self.netrc_path
        if path is None or not path.is_file():
            return {}
        import netrc

        try:
            parsed = netrc.netrc(str(path))
        except (OSError, netrc.NetrcParseError, UnicodeDecodeError):
            return {}
        hosts: dict[str, tuple[str, str, str]] = {}
        for host, (login, _account, password) in parsed.hosts.items():
            register_secret(password)
            hosts[host.lower()] = (login or "", password or "", str(path))
        return hosts

    def netrc_hosts(self) -> list[str]:
        """The hosts the netrc file has credentials for (for `torchsmith config`)."""
        if self._netrc is None:
            self._netrc = self._load_netrc()
        return sorted(self._netrc)

    def from_keyring(self, url: str, username: str | None) -> Credential | None:
        """Ask keyring for `url`, then for its host, as uv's subprocess provider does; None when keyring
        cannot be imported or knows nothing. Called only after a 401 (keyring may be slow or prompt)."""
        if not self.keyring_enabled or not (username or self.keyring_explicit):
            return None
        try:
            import keyring  # type: ignore[import-not-found,unused-ignore]
        except ImportError:
            return None
        host = urlsplit(url).hostname or ""
        for service in (url, host):
            try:
                if username:
                    password = keyring.get_password(service, username)
                    found = (username, password) if password else None
                else:
                    credential = keyring.get_credential(service, None)
                    found = (credential.username, credential.password) if credential else None
            except Exception:  # any backend failure means "keyring has nothing"
                found = None
            if found and found[1]:
                register_secret(found[1])
                return Credential(found[0] or None, found[1], f"keyring (service `{service}`)")
        return None

    def describe(self, url: str) -> str:
        """Where credentials for `url` come from, for people: `none` when there are none."""
        credential = self.for_url(url)
        return credential.source if credential is not None else "none"


def netrc_path(env: Mapping[str, str]) -> Path | None:
    """`NETRC` if set, else `~/.netrc` (what uv, pip via requests, and curl read)."""
    explicit = env.get("NETRC", "").strip()
    if explicit:
        return Path(explicit).expanduser()
    home = env.get("HOME", "").strip()
    return Path(home) / ".netrc" if home else None
