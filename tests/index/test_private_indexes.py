"""Private indexes end to end: real servers on 127.0.0.1, the real CLI, real uv and pip.

One index tree (a fake CPU torch on `<url>/whl/cpu`, filelock on `<url>/pypi/simple`) is served four ways:
behind HTTP Basic authentication, over HTTPS with a CA made at test time, plain (reached through a logging
CONNECT proxy that wants its own credentials), and plain but configured only in `pip.conf` or only in
`uv.toml`. For each, `plan --json`, `install` with uv and with pip, and `export` must succeed; afterwards
every output stream, JSON document, generated file, cache file and the server's log are searched for the
secret, which must appear nowhere.

Expected behaviour comes from the tools' documentation:
- Basic credentials in the URL, in `.netrc` (`NETRC`), and uv's `UV_INDEX_<NAME>_USERNAME/_PASSWORD`:
  https://docs.astral.sh/uv/concepts/authentication/http/ and https://docs.astral.sh/uv/concepts/indexes/
  ("Providing credentials directly"); pip: https://pip.pypa.io/en/stable/topics/authentication/.
- CA bundles: uv reads `SSL_CERT_FILE` (https://docs.astral.sh/uv/reference/environment/), pip `--cert` /
  `PIP_CERT` (https://pip.pypa.io/en/stable/topics/https-certificates/), requests `REQUESTS_CA_BUNDLE`.
- Config files: https://docs.astral.sh/uv/concepts/configuration-files/ (user `$XDG_CONFIG_HOME/uv/uv.toml`,
  `[[index]] ... default = true`) and https://pip.pypa.io/en/stable/topics/configuration/ (user
  `$XDG_CONFIG_HOME/pip/pip.conf`, `[global] index-url`).
- 401 handling: RFC 9110 §15.5.2; the issue asks for exit 2 within 2 s naming the index and the ways to
  authenticate.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.doctor.fakes import fake_torch_source
from tests.support.index_tree import build_index, files_dir
from tests.support.proxy import read_log, run_proxy
from tests.support.server import serve
from tests.support.tls import LocalCA, make_ca
from tests.support.wheels import make_wheel

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

SRC = Path(__file__).resolve().parents[2] / "src"
ROOT = Path(__file__).resolve().parents[1] / "machines" / "cpu-container"
PY = f"cp{sys.version_info[0]}{sys.version_info[1]}"
USER, SECRET = "alice", "S3cr3t-T0ken-4b1d9"
PROXY_USER, PROXY_SECRET = "proxyuser", "Pr0xy-S3cret-77aa"


@dataclass(frozen=True)
class Servers:
    tree: Path
    auth: str  # Basic auth required: alice / SECRET
    tls: str  # HTTPS with a certificate from `ca`
    plain: str
    ca: LocalCA


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    root = tmp_path_factory.mktemp("private-index")
    cpu, pypi = files_dir(root, "cpu"), files_dir(root, "pypi")
    source = fake_torch_source(version="2.13.0+cpu")
    torch = make_wheel(cpu, "torch", "2.13.0+cpu", PY, PY, "manylinux_2_28_x86_64",
                       requires_dist=["filelock"], files={"torch/__init__.py": source})  # fmt: skip
    filelock = make_wheel(pypi, "filelock", "3.16.1", "py3", "none", "any")
    build_index(root, [("cpu", torch), ("pypi", filelock)])
    ca = make_ca(tmp_path_factory.mktemp("ca"))
    with serve(root, auth=f"{USER}:{SECRET}") as auth, serve(root, tls=(ca.cert_pem, ca.key_pem)) as tls, \
            serve(root) as plain:  # fmt: skip
        yield Servers(root, auth, tls, plain, ca)


def _host_url(url: str, credentials: str | None = None) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{credentials}@{rest}" if credentials else url


class Run:
    """Runs the real CLI with a controlled environment; keeps every stream and document it produced."""

    def __init__(self, tmp: Path, env: dict[str, str]) -> None:
        self.tmp = tmp
        self.env = env
        self.outputs: list[str] = []

    def __call__(self, *args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "torchsmith", *args],
            env=self.env, cwd=self.tmp, capture_output=True, text=True, timeout=timeout, check=False,
        )  # fmt: skip
        self.outputs += [done.stdout, done.stderr]
        return done


def _base_env(tmp: Path) -> dict[str, str]:
    """The caller's environment without any index, TLS, proxy or config setting, plus private caches."""
    dropped = ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "NETRC")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("UV_", "PIP_", "TORCHSMITH_")) and k not in dropped and "proxy" not in k.lower()
    }
    (tmp / "home").mkdir(exist_ok=True)
    env.update(
        PYTHONPATH=str(SRC),
        HOME=str(tmp / "home"),  # no ~/.netrc, ~/.pip/pip.conf or ~/.config of the machine
        XDG_CONFIG_HOME=str(tmp / "xdg"),
        XDG_CONFIG_DIRS=str(tmp / "xdg-system"),
        TORCHSMITH_CACHE_DIR=str(tmp / "cache"),
        UV_CACHE_DIR=str(tmp / "uv-cache"),
        PIP_NO_CACHE_DIR="1",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_CONFIG_FILE=os.devnull,
        UV_NO_CONFIG="1",
    )
    return env


def _scenario(name: str, servers: Servers, tmp: Path) -> tuple[dict[str, str], str]:
    """(extra environment, base URL of the server used) for a scenario."""
    creds = f"{USER}:{SECRET}"
    if name == "url-credentials":
        base = servers.auth
        return {"TORCHSMITH_INDEX_URL": _host_url(base, creds) + "/whl",
                "UV_INDEX_URL": _host_url(base, creds) + "/pypi/simple"}, base  # fmt: skip
    if name == "netrc":
        netrc = tmp / "secrets" / "netrc"
        netrc.parent.mkdir()
        netrc.write_text(f"machine 127.0.0.1 login {USER} password {SECRET}\n")
        netrc.chmod(0o600)
        base = servers.auth
        return {"NETRC": str(netrc), "TORCHSMITH_INDEX_URL": base + "/whl",
                "PIP_INDEX_URL": base + "/pypi/simple"}, base  # fmt: skip
    if name == "uv-variables":
        base = servers.auth
        return {
            "TORCHSMITH_INDEX_URL": base + "/whl",
            "UV_DEFAULT_INDEX": f"private={base}/pypi/simple",
            "UV_INDEX_PRIVATE_USERNAME": USER, "UV_INDEX_PRIVATE_PASSWORD": SECRET,
            "UV_INDEX_PYTORCH_CPU_USERNAME": USER, "UV_INDEX_PYTORCH_CPU_PASSWORD": SECRET,
        }, base  # fmt: skip
    if name.startswith("tls-"):
        base = servers.tls
        return {name[4:]: str(servers.ca.ca_pem), "TORCHSMITH_INDEX_URL": base + "/whl",
                "UV_INDEX_URL": base + "/pypi/simple"}, base  # fmt: skip
    if name == "proxy":
        base = servers.tls
        return {"SSL_CERT_FILE": str(servers.ca.ca_pem), "TORCHSMITH_INDEX_URL": base + "/whl",
                "UV_INDEX_URL": base + "/pypi/simple"}, base  # fmt: skip
    if name == "pip.conf":
        conf = tmp / "xdg" / "pip" / "pip.conf"
        conf.parent.mkdir(parents=True)
        conf.write_text(f"[global]\nindex-url = {servers.plain}/pypi/simple\n")
        return {"TORCHSMITH_INDEX_URL": servers.plain + "/whl", "PIP_CONFIG_FILE": ""}, servers.plain
    if name == "uv.toml":
        conf = tmp / "xdg" / "uv" / "uv.toml"
        conf.parent.mkdir(parents=True)
        conf.write_text(f'[[index]]\nurl = "{servers.plain}/pypi/simple"\ndefault = true\n')
        return {"TORCHSMITH_INDEX_URL": servers.plain + "/whl", "UV_NO_CONFIG": ""}, servers.plain
    raise AssertionError(name)


def _parent(pid: str) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rpartition(")")[2].split()[1]  # the field after the state; the name may hold spaces


def _ours(pid: str, root: str) -> bool:
    """Whether `pid` descends from `root` (other people's processes on the machine are not ours)."""
    for _ in range(64):
        if pid == root:
            return True
        parent = _parent(pid)
        if parent is None or parent in ("0", "1"):
            return False
        pid = parent
    return False


class CommandLineWatch:
    """Reads the command line (`/proc/<pid>/cmdline`, what `ps` shows to every user) of every process
    started by this test every 50 ms while active; `hits` lists those containing `needle`,
    `installer_seen` says uv or pip was caught running."""

    def __init__(self, needle: str) -> None:
        self.needle = needle.encode()
        self.hits: list[str] = []
        self.installer_seen = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> CommandLineWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        while not self._stop.wait(0.05):
            for path in Path("/proc").glob("[0-9]*/cmdline"):
                if not _ours(path.parent.name, str(os.getpid())):
                    continue
                try:
                    line = path.read_bytes()
                except OSError:
                    continue
                if self.needle in line:
                    self.hits.append(line.replace(b"\0", b" ").decode(errors="replace"))
                if b" pip install" in line.replace(b"\0", b" ") or b"\0pip\0install\0" in line:
                    self.installer_seen = True


def _installed(venv: Path) -> set[str]:
    site = next((venv / "lib").glob("python*/site-packages"))
    return {p.name.split("-")[0].lower() for p in site.glob("*.dist-info")}


def _grep_tree(folder: Path, needle: bytes, skip: set[Path]) -> list[Path]:
    hits = []
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink() and path not in skip and needle in path.read_bytes():
            hits.append(path)
    return hits


SCENARIOS = ["url-credentials", "netrc", "uv-variables", "tls-SSL_CERT_FILE", "tls-REQUESTS_CA_BUNDLE",
             "tls-PIP_CERT", "proxy", "pip.conf", "uv.toml"]  # fmt: skip


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_plan_install_and_export_through_a_private_index(
    scenario: str, servers: Servers, tmp_path: Path
) -> None:
    env = _base_env(tmp_path)
    extra, base = _scenario(scenario, servers, tmp_path)
    env.update(extra)
    env = {k: v for k, v in env.items() if v != ""}
    proxy_log = tmp_path / "proxy.log"
    with run_proxy(proxy_log, auth=f"{PROXY_USER}:{PROXY_SECRET}") as proxy:
        if scenario == "proxy":
            env["HTTPS_PROXY"] = f"http://{PROXY_USER}:{PROXY_SECRET}@{proxy.removeprefix('http://')}"
        run = Run(tmp_path, env)

        plan = run("plan", "--json", "--root", str(ROOT))
        assert plan.returncode == 0, plan.stderr
        document = json.loads(plan.stdout)
        assert document["offline"] is False
        assert document["packages"][0]["version"] == "2.13.0+cpu"
        assert document["packages"][0]["sha256"]
        assert document["pypi_index"] == f"{base}/pypi/simple"  # the configured index, without credentials

        for installer in ("uv", "pip"):
            venv = tmp_path / f"venv-{installer}"
            if installer == "pip":  # a venv with pip in it, made offline
                subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            with CommandLineWatch(SECRET) as watch:  # what `ps` shows while uv or pip runs
                done = run("install", "torch", "--venv", str(venv), "--root", str(ROOT), "--installer",
                           installer, "--no-verify", "--json")  # fmt: skip
            assert watch.hits == [] and watch.installer_seen, (watch.hits, installer)
            assert done.returncode == 0, done.stderr
            assert {"torch", "filelock"} <= _installed(venv), installer
            assert json.loads(done.stdout)["after"][0]["version"] == "2.13.0+cpu"

        outputs = tmp_path / "exports"
        exported = () if scenario.startswith("tls-") or scenario.endswith((".conf", ".toml")) else (
            ("uv", "pyproject.toml"), ("pip", "requirements.txt"), ("poetry", "pyproject.toml"),
            ("pixi", "pixi.toml"), ("conda", "environment.yml"))  # fmt: skip
        for tool, name in exported:  # the scenarios with credentials: none may reach a file
            (outputs / tool).mkdir(parents=True)
            done = run("export", tool, "--targets", "linux-cpu", "-o", str(outputs / tool / name), "--json")
            assert done.returncode == 0, f"{tool}: {done.stderr}"
        config = run("config", "--json")
        assert config.returncode == 0, config.stderr

    if scenario == "proxy":
        entries = read_log(proxy_log)
        assert entries and all(e["method"] == "CONNECT" for e in entries)
        assert {e["status"] for e in entries} == {200}
        assert all(e["proxy_authorization"] for e in entries)
        assert {e["target"] for e in entries} == {base.removeprefix("https://")}

    # the secret is nowhere: output streams, JSON documents, generated files, caches, restore files, logs
    for text in run.outputs:
        assert SECRET not in text and PROXY_SECRET not in text
    skip = {tmp_path / "secrets" / "netrc", proxy_log}
    assert _grep_tree(tmp_path, SECRET.encode(), skip) == []
    assert _grep_tree(tmp_path, PROXY_SECRET.encode(), skip) == []


def test_a_401_is_exit_2_naming_the_index_within_2_seconds(
    servers: Servers, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from torchsmith.cli import main

    for key, value in _base_env(tmp_path).items():
        monkeypatch.setenv(key, value)
    for key in [k for k in os.environ if k.startswith(("UV_", "PIP_")) or "proxy" in k.lower()]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("UV_NO_CONFIG", "1")
    monkeypatch.setenv("TORCHSMITH_INDEX_URL", servers.auth + "/whl")
    assert main(["-q", "plan", "--root", str(ROOT)]) == 2  # warm: imports are start-up, not the answer
    capsys.readouterr()
    start = time.monotonic()
    code = main(["-q", "plan", "--json", "--root", str(ROOT)])
    elapsed = time.monotonic() - start  # the command itself, without the interpreter's start-up
    captured = capsys.readouterr()
    assert code == 2, captured.err
    assert elapsed < 2.0, elapsed
    assert captured.out == ""
    assert "answered HTTP 401" in captured.err
    assert f"the pytorch index `{servers.auth}/whl` from `TORCHSMITH_INDEX_URL`" in captured.err
    assert "no credentials were sent" in captured.err
    assert "machine 127.0.0.1 login USER password TOKEN" in captured.err
    assert "UV_INDEX_<NAME>_USERNAME" in captured.err


def test_wrong_credentials_are_named_by_source_and_masked(servers: Servers, tmp_path: Path) -> None:
    env = _base_env(tmp_path)
    env["TORCHSMITH_INDEX_URL"] = _host_url(servers.auth, f"{USER}:wrong-Passw0rd") + "/whl"
    done = Run(tmp_path, env)("plan", "--root", str(ROOT))
    assert done.returncode == 2
    assert "the credentials from the URL in `TORCHSMITH_INDEX_URL` were refused" in done.stderr
    assert "wrong-Passw0rd" not in done.stderr + done.stdout


def test_tls_with_an_untrusted_ca_is_refused(servers: Servers, tmp_path: Path) -> None:
    env = _base_env(tmp_path)
    env["TORCHSMITH_INDEX_URL"] = servers.tls + "/whl"
    done = Run(tmp_path, env)("plan", "--json", "--root", str(ROOT))
    assert done.returncode == 2, done.stdout
    assert "TLS with `127.0.0.1` failed" in done.stderr and "CERTIFICATE_VERIFY_FAILED" in done.stderr
    assert "SSL_CERT_FILE" in done.stderr


def test_an_insecure_host_is_allowed_with_a_warning(servers: Servers, tmp_path: Path) -> None:
    env = _base_env(tmp_path)
    env.update(TORCHSMITH_INDEX_URL=servers.tls + "/whl", UV_INSECURE_HOST="127.0.0.1")
    done = Run(tmp_path, env)("plan", "--json", "--root", str(ROOT))
    assert done.returncode == 0, done.stderr
    assert "TLS certificates of `127.0.0.1` are not verified (allowed as insecure in `UV_INSECURE_HOST`)" in (
        done.stderr
    )


def test_keyring_is_asked_after_a_401(
    servers: Servers, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """uv's subprocess provider runs `keyring get <index-url> <username>`
    (https://docs.astral.sh/uv/reference/settings/#keyring-provider); here the same question goes to the
    keyring package's API, answered by an in-memory backend."""
    keyring = pytest.importorskip("keyring")
    from keyring.backend import KeyringBackend

    from torchsmith.cli import main

    asked: list[tuple[str, str]] = []

    class Memory(KeyringBackend):
        priority = 1  # type: ignore[assignment]

        def get_password(self, service: str, username: str) -> str | None:
            asked.append((service, username))
            return SECRET if (service, username) == (servers.auth + "/whl", USER) else None

        def set_password(self, service: str, username: str, password: str) -> None:
            raise NotImplementedError

        def delete_password(self, service: str, username: str) -> None:
            raise NotImplementedError

    previous = keyring.get_keyring()
    keyring.set_keyring(Memory())
    try:
        for key, value in _base_env(tmp_path).items():
            monkeypatch.setenv(key, value)
        for key in [k for k in os.environ if k.startswith(("UV_", "PIP_")) or "proxy" in k.lower()]:
            monkeypatch.delenv(key)
        monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
        monkeypatch.setenv("TORCHSMITH_INDEX_URL", _host_url(servers.auth, USER) + "/whl")
        code = main(["-q", "plan", "--json", "--root", str(ROOT)])
        captured = capsys.readouterr()
    finally:
        keyring.set_keyring(previous)
    assert code == 0, captured.err
    assert asked[0] == (servers.auth + "/whl", USER)
    assert json.loads(captured.out)["packages"][0]["version"] == "2.13.0+cpu"
    assert SECRET not in captured.out + captured.err
