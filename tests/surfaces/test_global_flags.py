"""Global flags anywhere on the command line, and the colour decision (`--color`, NO_COLOR, FORCE_COLOR).

Colour rules from https://no-color.org ("when present and not an empty string, prevents the addition of
ANSI color") and https://force-color.org (set and non-empty forces colour); a command-line flag overrides
both, as both pages say user-level configuration and flags should.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from torchsmith.cli import main
from torchsmith.cli_term import split_global_flags, use_color

MACHINE = str(Path(__file__).resolve().parents[1] / "machines" / "gtx1080-driver580" / "expected.json")
PLAN = ["plan", "torch==2.11.*", "--machine", MACHINE, "--python", "3.11"]
ESC = "\x1b["


@pytest.mark.parametrize(
    "argv",
    [
        ["--json", "--offline", "-q", *PLAN],
        [*PLAN, "--json", "--offline", "-q"],
        ["plan", "-q", "torch==2.11.*", "--json", "--machine", MACHINE, "--offline", "--python", "3.11"],
        ["-q", "plan", "--offline", "torch==2.11.*", "--machine", MACHINE, "--python", "3.11", "--json"],
    ],
    ids=["before", "after", "between", "mixed"],
)
def test_global_flags_anywhere_give_the_same_document(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert err == ""  # -q: no progress
    document = json.loads(out)
    assert document["offline"] is True and document["backend"] == "cu126"


def test_plan_torch_dash_q_from_the_issue(capsys: pytest.CaptureFixture[str]) -> None:
    """`plan torch -q` failed before (global flags only before the command)."""
    assert main([*PLAN, "--offline", "-q"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("backend: cu126") and err == ""


def test_split_keeps_operands_after_double_dash_and_bundles() -> None:
    flags, rest = split_global_flags(["-qv", "lint", "--color=never", "--", "--json"])
    assert (flags.quiet, flags.verbose, flags.json, flags.color) == (True, True, False, "never")
    assert rest == ["lint", "--", "--json"]


@pytest.mark.parametrize("argv", [["--color", "rainbow", "matrix"], ["matrix", "--color"]])
def test_bad_color_is_a_usage_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "argument --color: expected `auto`, `always` or `never`" in err


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("choice", "env", "tty", "expected"),
    [
        ("auto", {}, True, True),
        ("auto", {}, False, False),
        ("auto", {"NO_COLOR": "1"}, True, False),
        ("auto", {"NO_COLOR": ""}, True, True),  # empty means unset (no-color.org)
        ("auto", {"FORCE_COLOR": "1"}, False, True),
        ("auto", {"FORCE_COLOR": ""}, False, False),
        ("auto", {"NO_COLOR": "1", "FORCE_COLOR": "1"}, True, False),
        ("auto", {"TERM": "dumb"}, True, False),
        ("always", {"NO_COLOR": "1"}, False, True),  # the flag beats the environment
        ("never", {"FORCE_COLOR": "1"}, True, False),
    ],
)
def test_color_decision(choice: str, env: dict[str, str], tty: bool, expected: bool) -> None:
    stream = Tty() if tty else io.StringIO()
    assert use_color(stream, choice, env) is expected


def test_color_always_styles_and_piped_stays_plain(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main([*PLAN, "--offline", "-q"]) == 0
    plain = capsys.readouterr().out
    assert ESC not in plain
    assert main([*PLAN, "--offline", "-q", "--color", "always"]) == 0
    styled = capsys.readouterr().out
    assert ESC in styled
    assert "\x1b[1;4mpackage  version       size\x1b[0m" in styled  # the table heading
    assert "\x1b[1mwhy:\x1b[0m" in styled
    # removing the escapes gives back exactly the plain text
    import re

    assert re.sub(r"\x1b\[[0-9;]*m", "", styled) == plain
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert main([*PLAN, "--offline", "-q", "--json"]) == 0
    assert ESC not in capsys.readouterr().out  # JSON is never coloured
    monkeypatch.setenv("NO_COLOR", "1")
    assert main([*PLAN, "--offline", "-q"]) == 0
    assert capsys.readouterr().out == plain


def test_errors_are_coloured_on_request(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--backend", "cu12x", "--machine", MACHINE, "--offline", "--color", "always"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("\x1b[1;31merror:\x1b[0m invalid value `cu12x`")
