"""Every printer and error passes the one redaction function (issue 13: secret hygiene everywhere)."""

from __future__ import annotations

import json

import pytest

from torchsmith.cli import main
from torchsmith.errors import IndexFetchError
from torchsmith.redact import RedactingReporter, register_secret


class Recorder:
    def __init__(self) -> None:
        self.seen: list[str] = []
        self.quiet = True

    def step(self, message: str) -> None:
        self.seen.append(message)

    def line(self, text: str) -> None:
        self.seen.append(text)

    def warn(self, message: str) -> None:
        self.seen.append(message)


def test_errors_mask_url_credentials_and_registered_secrets() -> None:
    register_secret("Reg1stered-Secret")
    error = IndexFetchError(
        "cannot fetch `https://u:Url-Secret-9@h.example/simple` with Reg1stered-Secret",
        hint="retry https://Tok3n-Only-0@h.example/",
    )
    assert error.message == "cannot fetch `https://u:****@h.example/simple` with ****"
    assert error.hint == "retry https://****@h.example/"
    assert "Url-Secret-9" not in str(error)


def test_the_reporter_masks_installer_output() -> None:
    inner = Recorder()
    reporter = RedactingReporter(inner)
    reporter.step("step https://a:Step-Secret@x/")
    reporter.line("Collecting torch @ https://a:Line-Secret@x/torch.whl")
    reporter.warn("warn https://a:Warn-Secret@x/")
    assert inner.seen == [
        "step https://a:****@x/",
        "Collecting torch @ https://a:****@x/torch.whl",
        "warn https://a:****@x/",
    ]
    assert reporter.quiet is True  # anything else is the inner reporter's


def test_config_json_masks_proxy_credentials(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PIP_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("UV_NO_CONFIG", "1")
    monkeypatch.setenv("HTTPS_PROXY", "http://me:Pr0xy-Pass-1@proxy.example:3128")
    monkeypatch.setenv("UV_DEFAULT_INDEX", "https://me:Ind3x-Pass-2@mirror.example/simple")
    assert main(["config", "--json"]) == 0
    out = capsys.readouterr().out
    document = json.loads(out)
    assert document["proxies"]["HTTPS_PROXY"] == "http://me:****@proxy.example:3128"
    default = next(row for row in document["indexes"] if row["role"] == "default")
    assert default == {
        "role": "default",
        "url": "https://mirror.example/simple",
        "source": "`UV_DEFAULT_INDEX`",
        "auth": "the URL in `UV_DEFAULT_INDEX`",
    }
    assert "Pr0xy-Pass-1" not in out and "Ind3x-Pass-2" not in out
