"""`torchsmith.redact`: URL credentials and registered secrets never survive into output."""

from __future__ import annotations

from torchsmith.redact import redact_text, redact_url, register_secret, split_credentials


def test_password_masked_user_kept() -> None:
    # pip prints `https://user:****@host/simple` for such an index
    # (pip._internal.utils.misc.redact_auth_from_url)
    assert (
        redact_url("https://alice:s3cr3t@mirror.example/simple") == "https://alice:****@mirror.example/simple"
    )


def test_token_only_userinfo_masked() -> None:
    assert redact_url("https://ghp_abcdef123@host/simple/") == "https://****@host/simple/"


def test_urls_inside_text_and_plain_text_untouched() -> None:
    text = "uv pip install --index-url https://u:pw@h/simple torch  # see user@example.com"
    assert (
        redact_text(text)
        == "uv pip install --index-url https://u:****@h/simple torch  # see user@example.com"
    )
    assert redact_text("no urls here") == "no urls here"


def test_registered_secret_masked_everywhere() -> None:
    register_secret("tok-9f8e7d6c")
    assert "tok-9f8e7d6c" not in redact_text("Authorization: Basic tok-9f8e7d6c")


def test_split_credentials_decodes_percent_escapes() -> None:
    assert split_credentials("https://me%40corp:p%3Ass@h/simple") == ("https://h/simple", "me@corp", "p:ss")
    assert split_credentials("https://h/simple") == ("https://h/simple", None, None)
