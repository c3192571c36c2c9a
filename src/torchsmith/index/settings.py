"""The one place that decides which indexes torchsmith uses, how it authenticates, and how it trusts TLS.

Precedence (docs/indexes.md has the full table, next to uv's and pip's own): a command-line flag beats
torchsmith's variables (`TORCHSMITH_*`), which beat uv's (`UV_*`), which beat pip's (`PIP_*`), which beat
uv's configuration files, which beat pip's, which beat the default. A variable set to an empty string counts
as unset (as in conda and uv). Every URL is parsed and checked where it enters: a malformed one is an exit-2
error naming the flag, variable or file it came from, before anything is fetched or written. Credentials are
taken out of every URL as it is read (`settings_auth`), so no URL kept here carries a secret; `client()`
hands them to the HTTP client and `installer_environment()` to uv or pip, through environment variables and
a private netrc file, never on a command line.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from torchsmith.backends import DEFAULT_INDEX_BASE, JETSON_INDEX_BASE
from torchsmith.errors import UsageError
from torchsmith.index.settings_auth import Credential, Credentials, netrc_path, uv_variable_name
from torchsmith.record import field, record
from torchsmith.redact import redact_url
from torchsmith.report import NullReporter, Reporter

if TYPE_CHECKING:
    from torchsmith.index.client import IndexClient
    from torchsmith.index.settings_files import ConfigValues

__all__ = ["DEFAULT_PYPI_URL", "IndexEntry", "IndexSettings", "check_url", "installer_environment"]

DEFAULT_PYPI_URL = "https://pypi.org/simple"

_LOOPBACK = ("localhost", "127.0.0.1", "::1")
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def _first(env: Mapping[str, str], *names: str) -> tuple[str, str] | None:
    for name in names:
        value = env.get(name, "").strip()
        if value:
            return value, f"`{name}`"
    return None


def _parse_flag(value: str, source: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE or not lowered:
        return False
    raise UsageError(f"invalid value `{value}` for {source}: expected `1` or `0`")


def _parse_seconds(env: Mapping[str, str], name: str, default: float) -> float:
    value = env.get(name, "").strip()
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not seconds > 0:
        raise UsageError(f"invalid value `{value}` for `{name}`: expected a number of seconds above 0")
    return seconds


def check_url(value: str, source: str, schemes: Sequence[str] = ("http", "https")) -> str:
    """`value` stripped, if it is an absolute URL with one of `schemes` and a host; else a `UsageError`
    naming `source` (the secret in a URL is masked in the message)."""
    url = value.strip()
    shown = redact_url(url)
    problem = None
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError for a port that is not a number or out of range
    except ValueError as error:
        parts, problem = None, str(error).lower()
    if problem is None and parts is not None:
        if any(c.isspace() for c in url):
            problem = "it contains white space"
        elif parts.scheme.lower() not in schemes:
            problem = f"expected a URL starting with {' or '.join(f'`{s}://`' for s in schemes)}"
        elif parts.scheme.lower() != "file" and not parts.hostname:
            problem = "it has no host name"
    if problem is not None:
        raise UsageError(
            f"invalid index URL `{shown}` in {source}: {problem}",
            hint=f"set {source} to a full URL such as `https://mirror.example.com/simple`",
        )
    return url


@record
class IndexEntry:
    """An index URL (credentials removed), where it was configured, and its uv name if it has one."""

    url: str
    source: str
    name: str | None = None


@record
class IndexSettings:
    """Resolved index locations, trust and cache policy; `*_source` says where each setting came from."""

    index_base: str
    jetson_index_base: str
    default_index: str
    offline: bool
    cache_dir: Path
    index_base_source: str = "default"
    default_index_source: str = "default"
    jetson_index_base_source: str = "default"
    extra_indexes: tuple[IndexEntry, ...] = ()
    insecure_hosts: tuple[tuple[str, str], ...] = ()
    ca_file: str | None = None
    ca_file_source: str | None = None
    native_tls: bool = False
    read_timeout: float = 15.0
    deadline: float = 300.0
    credentials: Credentials = field(default_factory=Credentials, compare=False, repr=False)

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str],
        index_base: str | None = None,
        *,
        default_index: str | None = None,
        insecure_hosts: Sequence[str] = (),
        cwd: Path | None = None,
    ) -> IndexSettings:
        """Resolve from `env` (pass `os.environ`), the configuration files uv and pip read (found from
        `env` and `cwd`), and the flags' values (`--index-base`, `--default-index`,
        `--allow-insecure-host`) when given."""
        from torchsmith.index.settings_files import pip_config, uv_config

        uv_files, pip_files = uv_config(env, cwd), pip_config(env)
        keyring, keyring_explicit = _keyring_setting(env, uv_files, pip_files)
        credentials = Credentials(netrc_path(env), keyring, keyring_explicit)

        def take(value: str, source: str, schemes: Sequence[str] = ("http", "https")) -> str:
            return credentials.strip(check_url(value, source, schemes), source).rstrip("/")

        base = (index_base, "`--index-base`") if index_base else _first(env, "TORCHSMITH_INDEX_URL")
        base = base or (DEFAULT_INDEX_BASE, "default")
        jetson = _first(env, "TORCHSMITH_JETSON_INDEX_URL") or (JETSON_INDEX_BASE, "default")
        default = (
            ((default_index, "`--default-index`") if default_index else None)
            or _first(env, "TORCHSMITH_DEFAULT_INDEX", "UV_DEFAULT_INDEX", "UV_INDEX_URL", "PIP_INDEX_URL")
            or uv_files.default_index
            or pip_files.default_index
            or (DEFAULT_PYPI_URL, "default")
        )
        any_scheme = ("http", "https", "file")
        named = _named_indexes(env, uv_files)
        extras = [IndexEntry(take(url, src, any_scheme), src, name) for name, url, src in named if name]
        for url, source, name in _extra_urls(env, uv_files, pip_files):
            entry = IndexEntry(take(url, source, any_scheme), source, name)
            if entry.url not in {e.url for e in extras}:
                extras.append(entry)
        for name, url, _source in named:
            if name:
                _uv_index_credentials(env, credentials, name, credentials.strip(url, "uv index"))
        _register_proxy_secrets(env)
        default_name, default_value = _split_name(default[0]) if "UV_" in default[1] else (None, default[0])
        default_url = take(default_value, default[1], any_scheme)
        if default_name:
            _uv_index_credentials(env, credentials, default_name, default_url)
        settings = cls(
            index_base=take(*base),
            jetson_index_base=take(*jetson),
            default_index=default_url,
            offline=_parse_flag(env.get("TORCHSMITH_OFFLINE", ""), "`TORCHSMITH_OFFLINE`"),
            cache_dir=_cache_dir(env),
            index_base_source=base[1],
            default_index_source=default[1],
            jetson_index_base_source=jetson[1],
            extra_indexes=tuple(e for e in extras if e.url != default_url),
            insecure_hosts=_insecure_hosts(env, insecure_hosts, uv_files, pip_files),
            native_tls=_native_tls(env, uv_files),
            read_timeout=_parse_seconds(env, "TORCHSMITH_HTTP_TIMEOUT", 15.0),
            deadline=_parse_seconds(env, "TORCHSMITH_NETWORK_DEADLINE", 300.0),
            credentials=credentials,
            **_ca_file(env, pip_files),
        )
        for name, url in _pytorch_index_names(env, settings.index_base):
            _uv_index_credentials(env, credentials, name, url)
        return settings

    def client(self, reporter: Reporter | None = None) -> IndexClient:
        """An `IndexClient` using this cache directory, offline mode, credentials and TLS settings."""
        from torchsmith.index.client import IndexClient

        reporter = reporter or NullReporter()
        allowed = {h for h, _ in self.insecure_hosts}
        for role, url, source in self.index_sources()[:3]:
            parts = urlsplit(url)
            host = (parts.hostname or "").lower()
            if parts.scheme == "http" and host not in allowed and host not in _LOOPBACK and role != "jetson":
                reporter.warn(
                    f"the {role} index `{url}` (from {source}) is plain HTTP: nothing is encrypted, and pip "
                    f"ignores it unless the host is trusted (`--allow-insecure-host {host}`)"
                )
        for host, source in self.insecure_hosts:
            reporter.warn(f"TLS certificates of `{host}` are not verified (allowed as insecure in {source})")
        return IndexClient(
            self.cache_dir / "http",
            offline=self.offline,
            timeout=self.read_timeout,
            reporter=reporter,
            deadline=self.deadline,
            access=self,
        )

    def index_sources(self) -> list[tuple[str, str, str]]:
        """(role, URL, source) of every index in use, for `torchsmith config`."""
        rows = [
            ("pytorch", self.index_base, self.index_base_source),
            ("jetson", self.jetson_index_base, self.jetson_index_base_source),
            ("default", self.default_index, self.default_index_source),
        ]
        return rows + [
            ("extra" + (f" ({e.name})" if e.name else ""), e.url, e.source) for e in self.extra_indexes
        ]

    def index_for(self, url: str) -> tuple[str, str, str] | None:
        """(role, index URL, source) of the configured index that `url` lies under, the longest first."""
        rows = [r for r in self.index_sources() if url == r[1] or url.startswith(r[1].rstrip("/") + "/")]
        return max(rows, key=lambda r: len(r[1]), default=None)

    def to_json(self) -> dict[str, Any]:
        return {
            "index_base": self.index_base,
            "jetson_index_base": self.jetson_index_base,
            "default_index": self.default_index,
            "offline": self.offline,
            "cache_dir": str(self.cache_dir),
        }


def _pytorch_index_names(env: Mapping[str, str], base: str) -> list[tuple[str, str]]:
    """(uv index name, URL) for each `UV_INDEX_PYTORCH_<BACKEND>_*` variable: `torchsmith export --to uv`
    names the PyTorch indexes `pytorch-<backend>`, so the same variables serve planning too."""
    import re

    found: list[tuple[str, str]] = []
    for variable in env:
        match = re.fullmatch(r"UV_INDEX_PYTORCH_([A-Z0-9_]+)_(?:USERNAME|PASSWORD)", variable)
        if match:
            label = match.group(1).lower()
            rocm = re.fullmatch(r"rocm(\d+)_(\d+)(?:_(\d+))?", label)
            label = "rocm" + ".".join(g for g in rocm.groups() if g) if rocm else label.replace("_", "-")
            found.append((f"pytorch-{label}", f"{base}/{label}"))
    return sorted(set(found))


def _register_proxy_secrets(env: Mapping[str, str]) -> None:
    """Proxy URLs may carry credentials (`http://user:pass@proxy:3128`, honoured by urllib, uv and pip):
    register them so they are masked wherever they might be printed."""
    from torchsmith.redact import register_secret, split_credentials

    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        _bare, user, password = split_credentials(env.get(name, "").strip())
        register_secret(password if password is not None else user)


def _cache_dir(env: Mapping[str, str]) -> Path:
    from torchsmith.paths import cache_dir

    return cache_dir(env)


def _split_name(value: str) -> tuple[str | None, str]:
    """uv's `name=url` form of `--index` / `--default-index` (and their variables) -> (name, url)."""
    name, sep, url = value.partition("=")
    if sep and "://" not in name and name.strip():
        return name.strip(), url.strip()
    return None, value


def _named_indexes(env: Mapping[str, str], uv_files: ConfigValues) -> list[tuple[str | None, str, str]]:
    """uv's `UV_INDEX` entries (`name=url` or `url`, space-separated) then the named indexes of its files."""
    found: list[tuple[str | None, str, str]] = []
    for item in env.get("UV_INDEX", "").split():
        name, url = _split_name(item)
        found.append((name, url, "`UV_INDEX`"))
    return found + [(name, url, source) for name, url, source in uv_files.named_indexes]


def _extra_urls(
    env: Mapping[str, str], uv_files: ConfigValues, pip_files: ConfigValues
) -> list[tuple[str, str, str | None]]:
    """Extra indexes: uv's variable, uv's files, then pip's variable (which replaces pip's files)."""
    found: list[tuple[str, str, str | None]] = [
        (u, "`UV_EXTRA_INDEX_URL`", None) for u in env.get("UV_EXTRA_INDEX_URL", "").split()
    ]
    found += [entry for entry in uv_files.extra_indexes if entry[2] is None]
    pip_env = env.get("PIP_EXTRA_INDEX_URL", "").split()
    if pip_env:
        found += [(u, "`PIP_EXTRA_INDEX_URL`", None) for u in pip_env]
    else:
        found += pip_files.extra_indexes
    return found


def _uv_index_credentials(env: Mapping[str, str], credentials: Credentials, name: str, url: str) -> None:
    """`UV_INDEX_<NAME>_USERNAME` / `_PASSWORD` for the index `name` at `url`, when set."""
    stem = uv_variable_name(name)
    user, password = env.get(f"{stem}_USERNAME", "").strip(), env.get(f"{stem}_PASSWORD", "").strip()
    if user or password:
        source = f"`{stem}_USERNAME`/`{stem}_PASSWORD`"
        credentials.add(url.rstrip("/"), Credential(user or None, password or None, source))


def _insecure_hosts(
    env: Mapping[str, str], flags: Sequence[str], uv_files: ConfigValues, pip_files: ConfigValues
) -> tuple[tuple[str, str], ...]:
    found = [(h, "`--allow-insecure-host`") for h in flags]
    for name in ("TORCHSMITH_INSECURE_HOST", "UV_INSECURE_HOST", "PIP_TRUSTED_HOST"):
        found += [(h, f"`{name}`") for h in env.get(name, "").split()]
    found += uv_files.insecure_hosts + pip_files.insecure_hosts
    hosts: dict[str, str] = {}
    for host, source in found:
        hosts.setdefault(host.strip().lower(), source)
    return tuple(hosts.items())


def _ca_file(env: Mapping[str, str], pip_files: ConfigValues) -> dict[str, Any]:
    """The CA bundle: `SSL_CERT_FILE`, `PIP_CERT`, `REQUESTS_CA_BUNDLE`, then pip's `cert`; it must exist."""
    chosen = _first(env, "SSL_CERT_FILE", "PIP_CERT", "REQUESTS_CA_BUNDLE") or pip_files.cert
    if chosen is None:
        return {}
    path, source = chosen
    if not Path(path).expanduser().is_file():
        raise UsageError(
            f"the CA bundle `{path}` named by {source} is not a readable file",
            hint=f"point {source} at a PEM file of trusted certificates, or unset it",
        )
    return {"ca_file": str(Path(path).expanduser()), "ca_file_source": source}


def _native_tls(env: Mapping[str, str], uv_files: ConfigValues) -> bool:
    if env.get("UV_NATIVE_TLS", "").strip():
        return _parse_flag(env["UV_NATIVE_TLS"], "`UV_NATIVE_TLS`")
    return bool(uv_files.native_tls and uv_files.native_tls[0])


def _keyring_setting(
    env: Mapping[str, str], uv_files: ConfigValues, pip_files: ConfigValues
) -> tuple[bool, bool]:
    """(enabled, explicitly chosen). Keyring is asked unless a provider setting says `disabled`; without
    an explicit provider (`subprocess`, `import`, `auto`) it is asked only for a URL that names a username,
    as uv's subprocess provider needs one (`keyring get URL USER`): importing keyring and asking its
    backends costs time a plain 401 should not."""
    provider = _first(env, "TORCHSMITH_KEYRING_PROVIDER", "UV_KEYRING_PROVIDER", "PIP_KEYRING_PROVIDER")
    chosen = provider or uv_files.keyring_provider or pip_files.keyring_provider
    if chosen is None:
        return True, False
    value = chosen[0].strip().lower()
    return value != "disabled", value in ("subprocess", "import", "auto")


@contextlib.contextmanager
def installer_environment(
    settings: IndexSettings, installer: str, base: Mapping[str, str]
) -> Iterator[dict[str, str]]:
    """The environment for running `installer` (`uv` or `pip`) with the indexes, credentials and TLS
    settings torchsmith planned with: uv's and pip's own variables, plus a private netrc file (mode 0600,
    deleted on exit) holding every credential for direct-URL downloads. Nothing goes on a command line,
    where `ps` would show it."""
    from torchsmith.index.settings_env import build_environment

    with build_environment(settings, installer, base) as env:
        yield env
