"""The index settings uv and pip keep in their configuration files, read from every place each tool reads.

uv (https://docs.astral.sh/uv/concepts/configuration-files/): the project's `uv.toml`, or `pyproject.toml`
with a `[tool.uv]` table, in the current directory or the nearest parent (`uv.toml` wins in one directory);
the user's `$XDG_CONFIG_HOME/uv/uv.toml` (default `~/.config/uv/uv.toml`); the system's first
`$XDG_CONFIG_DIRS/uv/uv.toml` (default `/etc/xdg`), else `/etc/uv/uv.toml`. Project beats user beats system
for single values; lists are concatenated, project first. `UV_CONFIG_FILE` replaces all of them and
`UV_NO_CONFIG` disables them.

pip (https://pip.pypa.io/en/stable/topics/configuration/): `PIP_CONFIG_FILE` (set to `os.devnull` it
disables every file; when it names an existing file the user files are skipped, as pip's
`Configuration._iter_config_files` does), then the global files (`$XDG_CONFIG_DIRS/pip/pip.conf`, then
`/etc/pip.conf`), the user files (legacy `~/.pip/pip.conf`, then `$XDG_CONFIG_HOME/pip/pip.conf`) and the
site file `$VIRTUAL_ENV/pip.conf`; each later file overrides earlier ones, and `[install]` overrides
`[global]` for `pip install`. macOS and Windows use the folders both tools document for them.

Every value comes back with the file it came from, so `torchsmith config` and error messages can say so.
A file that cannot be parsed is an error naming it (the installer would fail on it too).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from torchsmith.errors import UsageError
from torchsmith.lazy_re import lazy

__all__ = ["ConfigValues", "pip_config", "pip_config_files", "uv_config", "uv_config_files"]


class ConfigValues:
    """Index settings found in one tool's files: each value with its source (a file path in backticks).

    Filled field by field while the files are read (a plain slotted class: no `dataclasses` at start-up)."""

    __slots__ = (
        "cert",
        "default_index",
        "extra_indexes",
        "insecure_hosts",
        "keyring_provider",
        "named_indexes",
        "native_tls",
    )

    def __init__(self) -> None:
        self.default_index: tuple[str, str] | None = None
        self.extra_indexes: list[tuple[str, str, str | None]] = []  # (url, source, name)
        self.named_indexes: list[tuple[str, str, str]] = []  # (name, url, source)
        self.insecure_hosts: list[tuple[str, str]] = []  # (host, source)
        self.cert: tuple[str, str] | None = None
        self.native_tls: tuple[bool, str] | None = None
        self.keyring_provider: tuple[str, str] | None = None


def _home(env: Mapping[str, str]) -> Path | None:
    home = env.get("HOME", "").strip()
    return Path(home) if home else None


def _xdg_config_home(env: Mapping[str, str]) -> Path | None:
    xdg = env.get("XDG_CONFIG_HOME", "").strip()
    if xdg and Path(xdg).is_absolute():
        return Path(xdg)
    home = _home(env)
    return home / ".config" if home else None


def _xdg_config_dirs(env: Mapping[str, str]) -> list[Path]:
    dirs = [Path(d) for d in env.get("XDG_CONFIG_DIRS", "").split(os.pathsep) if d.strip()]
    return dirs or [Path("/etc/xdg")]


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


# --- uv -----------------------------------------------------------------------------------------------------


def _project_uv_file(cwd: Path) -> Path | None:
    """The nearest `uv.toml`, or `pyproject.toml` with a `[tool.uv]` table, from `cwd` upwards."""
    for folder in (cwd, *cwd.parents):
        candidate = folder / "uv.toml"
        if candidate.is_file():
            return candidate
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and _may_have_uv_table(pyproject):
            data = _load_toml(pyproject)
            if "tool" in data and "uv" in data["tool"]:
                return pyproject
    return None


_UV_KEY = lazy(r"""(?:^|[\s.\[{,])["']?uv["']?\s*[.=\]]""", flags=re.MULTILINE)
"""`uv` as a TOML key (`[tool.uv]`, `[[tool.uv.index]]`, `tool.uv.x =`, `[tool]` + `uv = {`, quoted forms)."""


def _may_have_uv_table(pyproject: Path) -> bool:
    """False only when the file cannot hold a `tool.uv` table: most projects have none, and parsing TOML
    (tomllib, with datetime and its regular expressions) is the costliest step of a warm plan's settings."""
    try:
        text = pyproject.read_bytes().decode("utf-8", errors="replace")
    except OSError:
        return True  # let _load_toml report it
    return _UV_KEY.search(text) is not None


def uv_config_files(env: Mapping[str, str], cwd: Path | None = None) -> list[Path]:
    """The files uv would read, most important first."""
    if _truthy(env.get("UV_NO_CONFIG")):
        return []
    explicit = env.get("UV_CONFIG_FILE", "").strip()
    if explicit:
        return [Path(explicit)]
    files: list[Path] = []
    project = _project_uv_file(cwd or Path.cwd())
    if project is not None:
        files.append(project)
    import sys

    if sys.platform == "win32":  # %APPDATA%\uv\uv.toml and %SYSTEMDRIVE%\ProgramData\uv\uv.toml
        appdata, drive = env.get("APPDATA", "").strip(), env.get("SYSTEMDRIVE", "C:").strip()
        user_file = Path(appdata) / "uv" / "uv.toml" if appdata else None
        system = [Path(drive + "\\") / "ProgramData" / "uv" / "uv.toml"]
    else:
        user = _xdg_config_home(env)
        user_file = user / "uv" / "uv.toml" if user is not None else None
        system = [d / "uv" / "uv.toml" for d in _xdg_config_dirs(env)] + [Path("/etc/uv/uv.toml")]
    if user_file is not None and user_file.is_file():
        files.append(user_file)
    files.extend(next(([p] for p in system if p.is_file()), []))
    return files


_TOML_CACHE: dict[tuple[Path, int, int], dict[str, Any]] = {}


def _load_toml(path: Path) -> dict[str, Any]:
    """The parsed file, read once per version of it (a project's `pyproject.toml` is looked at twice)."""
    info = path.stat()
    key = (path, info.st_mtime_ns, info.st_size)
    if key not in _TOML_CACHE:
        import sys

        if sys.version_info >= (3, 11):
            import tomllib
        else:  # pragma: no cover - Python 3.10
            import tomli as tomllib
        from torchsmith.fileio import read_user_text

        try:
            text = read_user_text(path, what="uv configuration file").removeprefix("\ufeff")  # a BOM
            _TOML_CACHE[key] = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise UsageError(
                f"cannot parse `{path}`: {error}", hint=f"fix or remove `{path}` (uv cannot read it either)"
            ) from error
    return _TOML_CACHE[key]


def _uv_table(path: Path) -> dict[str, Any]:
    data = _load_toml(path)
    if path.name == "pyproject.toml":
        table = data.get("tool", {}).get("uv", {})
        return table if isinstance(table, dict) else {}
    return data


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def uv_config(env: Mapping[str, str], cwd: Path | None = None) -> ConfigValues:
    """The index settings in uv's files, merged as uv merges them."""
    found = ConfigValues()
    for path in uv_config_files(env, cwd):
        source = f"`{path}`"
        table = _uv_table(path)
        for entry in table.get("index", []) if isinstance(table.get("index"), list) else []:
            if not isinstance(entry, dict) or not isinstance(entry.get("url"), str):
                continue
            name = entry.get("name") if isinstance(entry.get("name"), str) else None
            if name:
                found.named_indexes.append((name, entry["url"], source))
            if entry.get("default") is True:
                found.default_index = found.default_index or (entry["url"], source)
            elif entry.get("explicit") is not True:
                found.extra_indexes.append((entry["url"], source, name))
        if isinstance(table.get("index-url"), str):
            found.default_index = found.default_index or (table["index-url"], source)
        found.extra_indexes += [(url, source, None) for url in _strings(table.get("extra-index-url"))]
        found.insecure_hosts += [(h, source) for h in _strings(table.get("allow-insecure-host"))]
        if isinstance(table.get("native-tls"), bool) and found.native_tls is None:
            found.native_tls = (table["native-tls"], source)
        if isinstance(table.get("keyring-provider"), str) and found.keyring_provider is None:
            found.keyring_provider = (table["keyring-provider"], source)
    return found


# --- pip ----------------------------------------------------------------------------------------------------


def pip_config_files(env: Mapping[str, str], platform: str | None = None) -> list[Path]:
    """The files pip would read, in the order it reads them (later ones override earlier ones); macOS and
    Windows use the folders pip's documentation gives for them."""
    import sys

    platform = platform or sys.platform
    explicit = env.get("PIP_CONFIG_FILE", "").strip()
    if explicit == os.devnull:
        return []
    files: list[Path] = [Path(explicit)] if explicit else []
    home = _home(env)
    name = "pip.ini" if platform == "win32" else "pip.conf"
    if platform == "win32":
        program_data = env.get("PROGRAMDATA", "").strip()
        files += [Path(program_data) / "pip" / name] if program_data else []
    elif platform == "darwin":
        files.append(Path("/Library/Application Support/pip") / name)
    else:
        files += [d / "pip" / name for d in _xdg_config_dirs(env)] + [Path("/etc/pip.conf")]
    if not (explicit and Path(explicit).exists()):
        appdata = env.get("APPDATA", "").strip()
        if platform == "win32":
            files += [home / "pip" / name] if home is not None else []
            files += [Path(appdata) / "pip" / name] if appdata else []
        else:
            files += [home / ".pip" / name] if home is not None else []
            mac = home / "Library" / "Application Support" / "pip" if home is not None else None
            user = _xdg_config_home(env)
            if platform == "darwin" and mac is not None and mac.is_dir():
                files.append(mac / name)
            elif user is not None:
                files.append(user / "pip" / name)
    venv = env.get("VIRTUAL_ENV", "").strip()
    if venv:
        files.append(Path(venv) / name)
    return [path for path in files if path.is_file()]


def _pip_values(env: Mapping[str, str]) -> Iterator[tuple[str, str, str]]:
    """(key, value, source) for each key of each file, in pip's order of override: every file's `[global]`
    in file order, then every file's `[install]` (pip's `ConfigOptionParser` orders sections before files)."""
    files = pip_config_files(env)
    if not files:
        return
    import configparser  # only when pip has a configuration file to read

    from torchsmith.fileio import read_user_text

    parsed: list[tuple[Path, configparser.RawConfigParser]] = []
    for path in files:
        parser = configparser.RawConfigParser()
        try:
            parser.read_string(read_user_text(path, what="pip configuration file"), source=str(path))
        except configparser.Error as error:
            raise UsageError(
                f"cannot parse `{path}`: {error}".replace("\n", " "),
                hint=f"fix or remove `{path}` (pip cannot read it either)",
            ) from error
        parsed.append((path, parser))
    for section in ("global", "install"):
        for path, parser in parsed:
            if parser.has_section(section):
                for key, value in parser.items(section):
                    yield key.replace("_", "-"), value, f"`{path}` [{section}]"


def pip_config(env: Mapping[str, str]) -> ConfigValues:
    """The index settings in pip's files: the last file (and `[install]` over `[global]`) wins."""
    last: dict[str, tuple[str, str]] = {}
    for key, value, source in _pip_values(env):
        if key in ("index-url", "i", "extra-index-url", "trusted-host", "cert", "keyring-provider"):
            last["index-url" if key == "i" else key] = (value, source)
    found = ConfigValues()
    if "index-url" in last and last["index-url"][0].strip():
        found.default_index = (last["index-url"][0].strip(), last["index-url"][1])
    if "extra-index-url" in last:
        value, source = last["extra-index-url"]
        found.extra_indexes = [(url, source, None) for url in value.split()]
    if "trusted-host" in last:
        value, source = last["trusted-host"]
        found.insecure_hosts = [(host, source) for host in value.split()]
    if "cert" in last and last["cert"][0].strip():
        found.cert = (last["cert"][0].strip(), last["cert"][1])
    if "keyring-provider" in last:
        found.keyring_provider = (last["keyring-provider"][0].strip(), last["keyring-provider"][1])
    return found
