"""Where index settings come from: precedence, uv's and pip's files, credentials, TLS, the installer's env.

Expected values follow the tools' documentation, not our code:
- uv files and merge order: https://docs.astral.sh/uv/concepts/configuration-files/ ("project-level
  configuration takes precedence over user-level, user over system"; `[[index]] default = true`).
- pip files and order: https://pip.pypa.io/en/stable/topics/configuration/ (`PIP_CONFIG_FILE=os.devnull`
  disables all files; later files override earlier ones; site `$VIRTUAL_ENV/pip.conf` is last).
- uv's per-index variables: https://docs.astral.sh/uv/concepts/indexes/#providing-credentials-directly
  (`UV_INDEX_INTERNAL_PROXY_USERNAME` for an index named `internal-proxy`).
- netrc: `machine`/`login`/`password` and `default` (Python `netrc` module docs; uv and pip read `NETRC`).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from torchsmith.errors import UsageError
from torchsmith.index.settings import IndexSettings, installer_environment
from torchsmith.index.settings_auth import uv_variable_name
from torchsmith.index.settings_env import credential_notes
from torchsmith.redact import redact_text

ISOLATED = {"PIP_CONFIG_FILE": os.devnull, "UV_NO_CONFIG": "1", "TORCHSMITH_CACHE_DIR": "/c"}


def _files_env(tmp_path: Path) -> dict[str, str]:
    """An environment whose user and system config folders are under `tmp_path` (and empty)."""
    return {
        "HOME": str(tmp_path / "home"),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
        "XDG_CONFIG_DIRS": str(tmp_path / "xdg-system"),
        "TORCHSMITH_CACHE_DIR": "/c",
    }


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_precedence_flag_torchsmith_uv_pip() -> None:
    env = {
        **ISOLATED,
        "TORCHSMITH_DEFAULT_INDEX": "http://ts/simple",
        "UV_DEFAULT_INDEX": "http://uv-default/simple",
        "UV_INDEX_URL": "http://uv/simple",
        "PIP_INDEX_URL": "http://pip/simple",
    }
    flag = IndexSettings.from_env(env, default_index="http://flag/simple")
    assert (flag.default_index, flag.default_index_source) == ("http://flag/simple", "`--default-index`")
    order = ["TORCHSMITH_DEFAULT_INDEX", "UV_DEFAULT_INDEX", "UV_INDEX_URL", "PIP_INDEX_URL"]
    for name in order:
        settings = IndexSettings.from_env(env)
        assert settings.default_index_source == f"`{name}`"
        del env[name]
    assert IndexSettings.from_env(env).default_index == "https://pypi.org/simple"


def test_uv_project_file_beats_user_file_and_variables_beat_files(tmp_path: Path) -> None:
    env = {**_files_env(tmp_path), "PIP_CONFIG_FILE": os.devnull}
    _write(tmp_path / "xdg" / "uv" / "uv.toml", 'index-url = "http://user/simple"\n')
    project = tmp_path / "project"
    _write(project / "pyproject.toml", '[[tool.uv.index]]\nurl = "http://project/simple"\ndefault = true\n')
    (project / "sub").mkdir()
    settings = IndexSettings.from_env(env, cwd=project / "sub")  # found in the nearest parent
    assert settings.default_index == "http://project/simple"
    assert settings.default_index_source == f"`{project / 'pyproject.toml'}`"
    assert IndexSettings.from_env(env, cwd=tmp_path).default_index == "http://user/simple"
    assert IndexSettings.from_env({**env, "UV_NO_CONFIG": "1"}, cwd=project).default_index == (
        "https://pypi.org/simple"
    )
    env["PIP_INDEX_URL"] = "http://pip-env/simple"
    assert IndexSettings.from_env(env, cwd=project).default_index == "http://pip-env/simple"


def test_uv_toml_wins_over_pyproject_in_one_folder_and_system_file_is_read(tmp_path: Path) -> None:
    env = {**_files_env(tmp_path), "PIP_CONFIG_FILE": os.devnull}
    _write(tmp_path / "p" / "pyproject.toml", '[tool.uv]\nindex-url = "http://pyproject/simple"\n')
    _write(tmp_path / "p" / "uv.toml", 'index-url = "http://uv-toml/simple"\n')
    assert IndexSettings.from_env(env, cwd=tmp_path / "p").default_index == "http://uv-toml/simple"
    _write(tmp_path / "xdg-system" / "uv" / "uv.toml", 'index-url = "http://system/simple"\n')
    assert IndexSettings.from_env(env, cwd=tmp_path).default_index == "http://system/simple"


def test_pip_files_in_order_and_install_section_wins(tmp_path: Path) -> None:
    env = {**_files_env(tmp_path), "UV_NO_CONFIG": "1"}
    _write(tmp_path / "xdg-system" / "pip" / "pip.conf", "[global]\nindex-url = http://global/simple\n")
    assert IndexSettings.from_env(env).default_index == "http://global/simple"
    _write(tmp_path / "home" / ".pip" / "pip.conf", "[global]\nindex-url = http://legacy/simple\n")
    assert IndexSettings.from_env(env).default_index == "http://legacy/simple"
    user = _write(tmp_path / "xdg" / "pip" / "pip.conf", "[global]\nindex-url = http://user/simple\n")
    assert IndexSettings.from_env(env).default_index == "http://user/simple"
    venv = tmp_path / "venv"
    _write(venv / "pip.conf", "[global]\nindex-url = http://site/simple\ntrusted-host = site.example\n")
    settings = IndexSettings.from_env({**env, "VIRTUAL_ENV": str(venv)})
    assert (settings.default_index, settings.insecure_hosts) == (
        "http://site/simple",
        (("site.example", f"`{venv / 'pip.conf'}` [global]"),),
    )
    user.write_text("[install]\nindex-url = http://install/simple\n")
    assert IndexSettings.from_env({**env, "VIRTUAL_ENV": str(venv)}).default_index == "http://install/simple"
    assert IndexSettings.from_env({**env, "PIP_CONFIG_FILE": os.devnull}).default_index == (
        "https://pypi.org/simple"
    )


def test_a_broken_config_file_is_an_error_naming_it(tmp_path: Path) -> None:
    env = {**_files_env(tmp_path), "PIP_CONFIG_FILE": os.devnull}
    broken = _write(tmp_path / "xdg" / "uv" / "uv.toml", "index-url = \n")
    with pytest.raises(UsageError) as caught:
        IndexSettings.from_env(env, cwd=tmp_path)
    assert f"cannot parse `{broken}`" in caught.value.message


def test_credentials_are_taken_out_of_every_url() -> None:
    env = {**ISOLATED, "TORCHSMITH_INDEX_URL": "https://bob:T0k3n-aaaa@mirror.example/whl/",
           "UV_INDEX_URL": "https://Only-T0ken-bbbb@pypi.example/simple"}  # fmt: skip
    settings = IndexSettings.from_env(env)
    assert settings.index_base == "https://mirror.example/whl"
    assert settings.default_index == "https://pypi.example/simple"
    credential = settings.credentials.for_url("https://mirror.example/whl/cu126/torch/")
    assert credential is not None
    assert (credential.username, credential.password) == ("bob", "T0k3n-aaaa")
    assert credential.source == "the URL in `TORCHSMITH_INDEX_URL`"
    token = settings.credentials.for_url("https://pypi.example/simple/numpy/")
    assert token is not None and token.username == "Only-T0ken-bbbb" and token.password is None
    assert settings.credentials.for_url("https://other.example/simple/") is None
    assert "T0k3n-aaaa" not in redact_text(repr(settings)) and "Only-T0ken-bbbb" not in redact_text(
        "x Only-T0ken-bbbb"
    )


def test_uv_per_index_variables(tmp_path: Path) -> None:
    assert uv_variable_name("internal-proxy") == "UV_INDEX_INTERNAL_PROXY"
    env = {
        **ISOLATED,
        "UV_INDEX": "internal-proxy=https://proxy.example/simple",
        "UV_INDEX_INTERNAL_PROXY_USERNAME": "ci",
        "UV_INDEX_INTERNAL_PROXY_PASSWORD": "Idx-S3cret-1",
        "UV_INDEX_PYTORCH_ROCM6_2_PASSWORD": "Rocm-S3cret-2",
        "UV_INDEX_PYTORCH_ROCM6_2_USERNAME": "ci",
    }
    settings = IndexSettings.from_env(env)
    assert [(e.name, e.url, e.source) for e in settings.extra_indexes] == [
        ("internal-proxy", "https://proxy.example/simple", "`UV_INDEX`")
    ]
    found = settings.credentials.for_url("https://proxy.example/simple/torch/")
    assert found is not None and found.password == "Idx-S3cret-1"
    rocm = settings.credentials.for_url("https://download.pytorch.org/whl/rocm6.2/torch/")
    assert rocm is not None and rocm.password == "Rocm-S3cret-2"
    assert settings.credentials.for_url("https://download.pytorch.org/whl/cpu/torch/") is None


def test_netrc_by_host_and_default_entry(tmp_path: Path) -> None:
    netrc = _write(
        tmp_path / "n", "machine a.example login u password Pa55-word-a\ndefault login d password D3f-pass\n"
    )
    settings = IndexSettings.from_env({**ISOLATED, "NETRC": str(netrc)})
    a = settings.credentials.for_url("https://a.example/simple/")
    other = settings.credentials.for_url("https://b.example/simple/")
    assert a is not None and (a.username, a.password, a.source) == ("u", "Pa55-word-a", f"`{netrc}`")
    assert other is not None and other.password == "D3f-pass"
    assert redact_text("Pa55-word-a") == "****"


def test_ca_bundle_precedence_and_a_missing_file(tmp_path: Path) -> None:
    a, b = _write(tmp_path / "a.pem", "x"), _write(tmp_path / "b.pem", "x")
    settings = IndexSettings.from_env({**ISOLATED, "PIP_CERT": str(a), "REQUESTS_CA_BUNDLE": str(b)})
    assert (settings.ca_file, settings.ca_file_source) == (str(a), "`PIP_CERT`")
    settings = IndexSettings.from_env({**ISOLATED, "SSL_CERT_FILE": str(b), "PIP_CERT": str(a)})
    assert settings.ca_file_source == "`SSL_CERT_FILE`"
    with pytest.raises(UsageError) as caught:
        IndexSettings.from_env({**ISOLATED, "REQUESTS_CA_BUNDLE": str(tmp_path / "missing.pem")})
    assert "named by `REQUESTS_CA_BUNDLE` is not a readable file" in caught.value.message


def test_insecure_hosts_from_flag_variables_and_files() -> None:
    env = {**ISOLATED, "UV_INSECURE_HOST": "a.example b.example:8443", "PIP_TRUSTED_HOST": "c.example"}
    settings = IndexSettings.from_env(env, insecure_hosts=["flag.example"])
    assert settings.insecure_hosts == (
        ("flag.example", "`--allow-insecure-host`"),
        ("a.example", "`UV_INSECURE_HOST`"),
        ("b.example:8443", "`UV_INSECURE_HOST`"),
        ("c.example", "`PIP_TRUSTED_HOST`"),
    )


@pytest.mark.parametrize("installer", ["uv", "pip"])
def test_installer_environment_carries_credentials_and_tls_off_the_command_line(
    installer: str, tmp_path: Path
) -> None:
    ca = _write(tmp_path / "ca.pem", "x")
    env = {**ISOLATED, "TORCHSMITH_INDEX_URL": "https://bob:Wh1-S3cret@mirror.example/whl",
           "PIP_INDEX_URL": "https://bob:Py-S3cret@pypi.mirror.example/simple", "PIP_CERT": str(ca),
           "UV_INSECURE_HOST": "old.example"}  # fmt: skip
    settings = IndexSettings.from_env(env)
    with installer_environment(settings, installer, {"PATH": "/bin"}) as child:
        netrc = Path(child["NETRC"])
        assert stat.S_IMODE(netrc.stat().st_mode) == 0o600
        lines = netrc.read_text().splitlines()
        assert "machine mirror.example login bob password Wh1-S3cret" in lines
        assert "machine pypi.mirror.example login bob password Py-S3cret" in lines
        if installer == "uv":
            assert child["UV_DEFAULT_INDEX"] == "https://bob:Py-S3cret@pypi.mirror.example/simple"
            assert (child["SSL_CERT_FILE"], child["UV_INSECURE_HOST"]) == (str(ca), "old.example")
        else:
            assert child["PIP_INDEX_URL"] == "https://bob:Py-S3cret@pypi.mirror.example/simple"
            assert (child["PIP_CERT"], child["PIP_TRUSTED_HOST"]) == (str(ca), "old.example")
    assert not netrc.exists() and not netrc.parent.exists()


def test_export_notes_name_variables_not_secrets() -> None:
    env = {**ISOLATED, "TORCHSMITH_INDEX_URL": "https://bob:N0te-S3cret@mirror.example/whl"}
    settings = IndexSettings.from_env(env)
    url = "https://mirror.example/whl/cu126"
    (uv,) = credential_notes(settings, "uv", [("pytorch-cu126", url)])
    assert "`UV_INDEX_PYTORCH_CU126_USERNAME` and `UV_INDEX_PYTORCH_CU126_PASSWORD`" in uv
    (poetry,) = credential_notes(settings, "poetry", [("pytorch-cu126", url)])
    assert "`POETRY_HTTP_BASIC_PYTORCH_CU126_USERNAME`" in poetry
    (pixi,) = credential_notes(settings, "pixi", [(None, url)])
    assert "pixi auth login mirror.example" in pixi
    assert all("N0te-S3cret" not in n for n in (uv, poetry, pixi))
    assert credential_notes(settings, "uv", [("x", "https://elsewhere.example/simple")]) == []


def test_pip_user_files_on_macos_and_windows(tmp_path: Path) -> None:
    """pip's documentation: macOS uses `$HOME/Library/Application Support/pip/pip.conf` when that folder
    exists (else the XDG file); Windows uses `%APPDATA%\\pip\\pip.ini` and the legacy
    `%HOME%\\pip\\pip.ini`."""
    from torchsmith.index.settings_files import pip_config_files

    env = {**_files_env(tmp_path), "APPDATA": str(tmp_path / "appdata")}
    xdg = _write(tmp_path / "xdg" / "pip" / "pip.conf", "[global]\n")
    assert pip_config_files(env, "darwin") == [xdg]
    mac = _write(tmp_path / "home" / "Library" / "Application Support" / "pip" / "pip.conf", "[global]\n")
    assert pip_config_files(env, "darwin") == [mac]
    ini = _write(tmp_path / "appdata" / "pip" / "pip.ini", "[global]\n")
    legacy = _write(tmp_path / "home" / "pip" / "pip.ini", "[global]\n")
    assert pip_config_files(env, "win32") == [legacy, ini]


# Every way TOML (https://toml.io/en/v1.0.0: tables, arrays of tables, dotted keys, quoted keys, whitespace
# around dots, inline tables) can give a `pyproject.toml` a `tool.uv` table; uv reads each of them.
_UV_TABLE_FORMS = [
    '[tool.uv]\nindex-url = "https://example.invalid/simple"\n',
    '[[tool.uv.index]]\nname = "pytorch"\nurl = "https://example.invalid/whl/cu126"\n',
    '[tool]\nuv = { index-url = "https://example.invalid/simple" }\n',
    'tool.uv.index-url = "https://example.invalid/simple"\n',
    '[tool."uv"]\nindex-url = "https://example.invalid/simple"\n',
    "[ tool . uv ]\nindex-url = 'https://example.invalid/simple'\n",
    '[tool.uv.sources]\ntorch = { index = "pytorch" }\n',
    'tool = { uv = { index-url = "https://example.invalid/simple" } }\n',
]


@pytest.mark.parametrize("text", _UV_TABLE_FORMS)
def test_every_toml_form_of_a_uv_table_is_read(tmp_path: Path, text: str) -> None:
    import tomllib

    from torchsmith.index.settings_files import uv_config_files

    assert "uv" in tomllib.loads(text)["tool"]  # the form is valid TOML with a tool.uv table
    (tmp_path / "pyproject.toml").write_text(text + '\n[project]\nname = "x"\n')
    assert uv_config_files({}, cwd=tmp_path)[:1] == [tmp_path / "pyproject.toml"]


def test_a_pyproject_without_a_uv_table_is_not_a_uv_file(tmp_path: Path) -> None:
    from torchsmith.index.settings_files import uv_config_files

    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "uv-tools"\ndependencies = ["uv>=0.5"]\n# configure uv in uv.toml\n[tool.ruff]\n'
    )
    assert tmp_path / "pyproject.toml" not in uv_config_files({}, cwd=tmp_path)
