"""`torchsmith config`: the effective indexes, where each came from, and how torchsmith authenticates and
trusts them; every secret masked (credentials are never kept in the URLs shown, and the text still goes
through `torchsmith.redact`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from torchsmith.index.settings import IndexSettings
from torchsmith.redact import redact_text

__all__ = ["PROXY_VARIABLES", "describe", "render_text"]

PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")


def _truststore() -> bool:
    import importlib.util

    return importlib.util.find_spec("truststore") is not None


def _keyring() -> bool:
    import importlib.util

    return importlib.util.find_spec("keyring") is not None


def describe(settings: IndexSettings, env: Mapping[str, str], cwd: Path | None = None) -> dict[str, Any]:
    """The `config --json` document (keys are stable; add keys, never rename)."""
    from torchsmith.index.settings_files import pip_config_files, uv_config_files

    indexes = [
        {"role": role, "url": url, "source": source, "auth": settings.credentials.describe(url)}
        for role, url, source in settings.index_sources()
    ]
    if settings.ca_file:
        trust = f"the CA bundle `{settings.ca_file}` (from {settings.ca_file_source})"
    elif _truststore():
        trust = "the operating system's trust store (truststore)"
    else:
        trust = "OpenSSL's default trust store"
    proxies = {name: redact_text(env[name]) for name in PROXY_VARIABLES if env.get(name, "").strip()}
    no_proxy = env.get("NO_PROXY", env.get("no_proxy", ""))
    return {
        "indexes": indexes,
        "tls": {
            "trust": trust,
            "ca_file": settings.ca_file,
            "ca_file_source": settings.ca_file_source,
            "native_tls": settings.native_tls,
            "insecure_hosts": [{"host": h, "source": s} for h, s in settings.insecure_hosts],
        },
        "proxies": proxies,
        "no_proxy": no_proxy or None,
        "netrc": {
            "path": str(settings.credentials.netrc_path) if settings.credentials.netrc_path else None,
            "hosts": settings.credentials.netrc_hosts(),
        },
        "keyring": {"importable": _keyring(), "enabled": settings.credentials.keyring_enabled},
        "config_files": {
            "uv": [str(p) for p in uv_config_files(env, cwd)],
            "pip": [str(p) for p in pip_config_files(env)],
        },
        "offline": settings.offline,
        "cache_dir": str(settings.cache_dir),
        "network_deadline_s": settings.deadline,
        "read_timeout_s": settings.read_timeout,
    }


def render_text(document: Mapping[str, Any]) -> str:
    """The document for people: one line per index, then trust, proxies, credentials and files."""
    lines = ["indexes:"]
    for row in document["indexes"]:
        lines.append(f"  {row['role']:<8} {row['url']}")
        lines.append(f"           from {row['source']}; credentials: {row['auth']}")
    tls = document["tls"]
    lines.append(f"tls: trusts {tls['trust']}")
    for row in tls["insecure_hosts"]:
        lines.append(f"  warning: `{row['host']}` is not verified (allowed as insecure in {row['source']})")
    for name, value in document["proxies"].items():
        lines.append(f"proxy: {name}={value}")
    if document["no_proxy"]:
        lines.append(f"no proxy for: {document['no_proxy']}")
    netrc = document["netrc"]
    hosts = ", ".join(netrc["hosts"]) or (
        "no hosts" if netrc["path"] and Path(netrc["path"]).is_file() else "absent"
    )
    lines.append(f"netrc: {netrc['path'] or 'none'} ({hosts})")
    keyring = document["keyring"]
    state = "asked after a 401" if keyring["importable"] and keyring["enabled"] else "not used"
    lines.append(f"keyring: {state}")
    for tool in ("uv", "pip"):
        files = ", ".join(document["config_files"][tool]) or "none"
        lines.append(f"{tool} configuration files: {files}")
    lines.append(f"offline: {'yes' if document['offline'] else 'no'}; cache: {document['cache_dir']}")
    return redact_text("\n".join(lines))
