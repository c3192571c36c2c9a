"""The network layer fails fast and bounded: deadlines, size caps, hanging and trickling servers, bad URLs.

Each test runs the real CLI (`main`) against the session's local index server behind a fault
(`tests/support/server.py`): `hang` accepts and never answers, `trickle/<s>` sends one byte every `<s>`
seconds (so no single read ever times out), `huge` streams an endless body. Every case must end with exit 2
and a message naming the host, well within a bound, and never fall back to offline knowledge silently.
URLs are checked where they enter (flags, variables), so a malformed one is exit 2 naming its source and is
never written into a generated file.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.support.fixtures import LocalIndex
from tests.support.proxy import read_log, run_proxy
from torchsmith.cli import main

ROOT = Path(__file__).resolve().parents[1] / "machines" / "cpu-container"


@pytest.fixture(autouse=True)
def _no_ambient_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in [k for k in os.environ if "proxy" in k.lower()]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("UV_NO_CONFIG", "1")


def _plan(capsys: pytest.CaptureFixture[str]) -> tuple[int, float, str, str]:
    start = time.monotonic()
    code = main(["-q", "plan", "--json", "--root", str(ROOT)])
    elapsed = time.monotonic() - start
    captured = capsys.readouterr()
    return code, elapsed, captured.out, captured.err


def test_a_server_that_never_answers_hits_the_deadline(
    local_index: LocalIndex, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TORCHSMITH_INDEX_URL", local_index.fault_url("/whl", "hang"))
    monkeypatch.setenv("TORCHSMITH_NETWORK_DEADLINE", "2")
    code, elapsed, out, err = _plan(capsys)
    assert code == 2 and out == ""
    assert 1.5 < elapsed < 6, elapsed
    assert "did not finish answering" in err and "network deadline of 2 s" in err
    assert "TORCHSMITH_NETWORK_DEADLINE" in err


def test_a_silent_server_hits_the_read_timeout(
    local_index: LocalIndex, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TORCHSMITH_INDEX_URL", local_index.fault_url("/whl", "hang"))
    monkeypatch.setenv("TORCHSMITH_HTTP_TIMEOUT", "1")
    code, elapsed, _out, err = _plan(capsys)
    assert code == 2
    assert elapsed < 5, elapsed
    assert "sent nothing for 1 s" in err


def test_a_trickling_server_cannot_hold_the_command_past_the_deadline(
    local_index: LocalIndex, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # one byte every 0.2 s: every read succeeds, so only an overall deadline can stop it
    monkeypatch.setenv("TORCHSMITH_INDEX_URL", local_index.fault_url("/whl", "trickle/0.2"))
    monkeypatch.setenv("TORCHSMITH_NETWORK_DEADLINE", "2")
    code, elapsed, _out, err = _plan(capsys)
    assert code == 2
    assert elapsed < 6, elapsed
    assert "network deadline of 2 s" in err


def test_an_endless_response_is_cut_at_the_size_cap(
    local_index: LocalIndex, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TORCHSMITH_INDEX_URL", local_index.fault_url("/whl", "huge"))
    code, elapsed, _out, err = _plan(capsys)
    assert code == 2
    assert elapsed < 30, elapsed
    assert "sent more than 64 MiB" in err


def test_knowledge_refresh_has_a_deadline_too(
    local_index: LocalIndex, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TORCHSMITH_INDEX_URL", local_index.fault_url("/whl", "hang"))
    monkeypatch.setenv("TORCHSMITH_NETWORK_DEADLINE", "2")
    start = time.monotonic()
    code = main(["knowledge", "refresh"])
    elapsed = time.monotonic() - start
    err = capsys.readouterr().err
    assert code == 2, err
    assert elapsed < 8, elapsed
    assert "reading the torch-family pages of every backend" in err  # progress is shown


@pytest.mark.parametrize(
    ("variable", "value", "problem"),
    [
        ("TORCHSMITH_INDEX_URL", "not-a-url", "expected a URL starting with `http://` or `https://`"),
        ("TORCHSMITH_INDEX_URL", "http://", "it has no host name"),
        ("TORCHSMITH_INDEX_URL", "https://host:99999/whl", "port out of range"),
        ("UV_DEFAULT_INDEX", "https://mirror example/simple", "it contains white space"),
        ("PIP_INDEX_URL", "ftp://mirror/simple", "expected a URL starting with"),
        ("UV_EXTRA_INDEX_URL", "not-a-url", "expected a URL starting with"),
    ],
)
def test_a_malformed_url_is_exit_2_naming_its_variable_and_written_nowhere(
    variable: str, value: str, problem: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.setenv(variable, value)
    output = tmp_path / "out" / "pyproject.toml"
    output.parent.mkdir()
    code = main(["export", "uv", "--targets", "linux-cpu", "-o", str(output)])
    err = capsys.readouterr().err
    assert code == 2
    assert f"in `{variable}`: " in err and problem in err
    assert not output.exists() and list(output.parent.iterdir()) == []


def test_a_malformed_url_with_credentials_is_masked_in_the_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("UV_DEFAULT_INDEX", "https://bob:Very-Secret-99@mirror example/simple")
    assert main(["config"]) == 2
    err = capsys.readouterr().err
    assert "Very-Secret-99" not in err and "bob:****@" in err


def test_a_malformed_flag_names_the_flag(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--root", str(ROOT), "--index-base", "file:///whl"]) == 2
    assert "in `--index-base`: expected a URL starting with" in capsys.readouterr().err


def test_http_proxy_is_used_and_no_proxy_bypasses_it(
    local_index: LocalIndex, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    log = tmp_path / "proxy.log"
    with run_proxy(log) as proxy:
        monkeypatch.setenv("TORCHSMITH_INDEX_URL", local_index.base)
        monkeypatch.setenv("HTTP_PROXY", proxy)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        monkeypatch.setenv("TORCHSMITH_CACHE_DIR", str(tmp_path / "cache-a"))
        assert _plan(capsys)[0] == 0
        assert read_log(log) == []
        monkeypatch.delenv("NO_PROXY")
        monkeypatch.setenv("TORCHSMITH_CACHE_DIR", str(tmp_path / "cache-b"))
        assert _plan(capsys)[0] == 0
    entries = read_log(log)
    assert entries and all(e["method"] == "GET" for e in entries)
    assert all(str(e["target"]).startswith(local_index.base + "/cpu/") for e in entries)


def test_proxy_authentication_failure_names_the_proxy_variables(
    local_index: LocalIndex, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    with run_proxy(tmp_path / "proxy.log", auth="u:right-Pr0xy-pass") as proxy:
        monkeypatch.setenv("TORCHSMITH_INDEX_URL", local_index.base)
        monkeypatch.setenv("HTTP_PROXY", proxy.replace("http://", "http://u:wrong-Pr0xy-pass@"))
        code, _elapsed, _out, err = _plan(capsys)
    assert code == 2
    assert "407" in err
    assert "wrong-Pr0xy-pass" not in err
