"""What a person sees on a terminal: colour, the spinner during waits, uv's own output, shell completion.

Everything runs the real CLI (`python -m torchsmith`) on a pseudo-terminal or in tmux; nothing is mocked.
Colour rules: https://no-color.org, https://force-color.org; spinner frames are rich's "dots" spinner
(rich/_spinners.py: "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏").
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.doctor.fakes import FakeEnv, fake_torch_source
from tests.install.test_install import ROOT as CPU_ROOT
from tests.install.test_install import InstallIndex, install_index  # noqa: F401 - the fixture
from tests.surfaces.terminal import Tmux, run_pty
from torchsmith.ptyrun import visible_text

SRC = str(Path(__file__).resolve().parents[2] / "src")
TORCHSMITH = [sys.executable, "-m", "torchsmith"]
DOTS = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
SGR = re.compile(rb"\x1b\[[0-9;]*m")


def terminal_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "CI")}
    return {**env, "PYTHONPATH": SRC, "TERM": "xterm-256color", "COLUMNS": "120", **extra}


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    session = Tmux(tmp_path, terminal_env())
    yield session
    session.close()


def test_colour_on_a_terminal_and_its_off_switches() -> None:
    argv = [*TORCHSMITH, "matrix", "2.5"]
    status, shown = run_pty(argv, terminal_env())
    assert status == 0
    assert b"\x1b[1;4mtorch  torchvision  torchaudio" in shown  # the table heading, bold + underlined
    for off in ({"NO_COLOR": "1"}, {"TERM": "dumb"}):
        status, plain = run_pty(argv, terminal_env(**off))
        assert status == 0 and not SGR.search(plain), off
    status, plain = run_pty([*argv, "--color", "never"], terminal_env(FORCE_COLOR="1"))
    assert not SGR.search(plain)
    piped = subprocess.run(argv, capture_output=True, env=terminal_env(FORCE_COLOR="1"))
    assert SGR.search(piped.stdout)  # FORCE_COLOR colours a pipe too
    assert visible_text(shown) == visible_text(plain)  # the same text, only styled


def test_error_and_hint_on_a_terminal() -> None:
    status, shown = run_pty([*TORCHSMITH, "plan", "--backend", "cu12x", "--offline"], terminal_env())
    assert status == 2
    assert shown.startswith(b"\x1b[1;31merror:\x1b[0m invalid value `cu12x` for `--backend`")


def _slow_torch_env(tmp_path: Path, seconds: float) -> FakeEnv:
    env = FakeEnv.create(tmp_path / "env", sys.executable)
    env.add_torch(version="2.13.0+cpu")
    init = env.site / "torch" / "__init__.py"
    init.write_text(f"import time\ntime.sleep({seconds})\n" + fake_torch_source(version="2.13.0+cpu"))
    return env


def test_spinner_while_torch_imports(tmp_path: Path, tmux: Tmux) -> None:
    env = _slow_torch_env(tmp_path, 4)
    command = shlex.join([*TORCHSMITH, "doctor", "--python", str(env.python), "--no-device-test"])
    tmux.start(f"{command}; echo __DONE__ $?; sleep 60")
    waiting = tmux.wait_for(lambda s: bool(re.search(f"^[{DOTS}] waiting for `import torch`", s, re.M)))
    lines = waiting.splitlines()
    assert "· waiting for `import torch`" in lines  # the step, printed as it began
    final = tmux.wait_for(lambda s: "__DONE__" in s)
    assert not any(ch in final for ch in DOTS)  # the spinner is gone once the result is printed
    after = final.splitlines()
    assert after.index("· waiting for `import torch`") < after.index(f"torchsmith doctor: {env.python}")
    assert "healthy: no problems found" in final and "__DONE__ 0" in final


def test_quiet_shows_no_spinner(tmp_path: Path) -> None:
    env = _slow_torch_env(tmp_path, 1)
    argv = [*TORCHSMITH, "doctor", "--python", str(env.python), "--no-device-test", "-q"]
    status, shown = run_pty(argv, terminal_env())
    assert status == 0
    assert not any(ch in shown.decode() for ch in DOTS) and "waiting for" not in shown.decode()


def test_progress_bar_api_on_a_terminal(tmp_path: Path, tmux: Tmux) -> None:
    """The progress API distro uses (`torchsmith.report.report_progress`), drawn by the CLI's reporter."""
    script = tmp_path / "progress.py"
    script.write_text(
        "import time\n"
        "from torchsmith.cli_render import StderrReporter\n"
        "from torchsmith.report import report_progress\n"
        "r = StderrReporter()\n"
        "r.step('testing 3 cells')\n"
        "for i in range(4):\n"
        "    report_progress(r, 'cells', i, 3)\n"
        "    time.sleep(1.5)\n"
        "r.close()\n"
        "print('done')\n"
    )
    tmux.start(f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}; sleep 60")
    screen = tmux.wait_for(lambda s: bool(re.search(f"[{DOTS}] cells 1/3", s)))
    assert "━" in screen  # rich's bar
    assert "· testing 3 cells" in screen
    final = tmux.wait_for(lambda s: "done" in s.splitlines())
    assert "cells 3/3" not in final  # transient: gone when closed


@pytest.mark.slow
def test_uv_draws_on_the_terminal_during_install(
    install_index: InstallIndex,  # noqa: F811
    tmp_path: Path,
) -> None:
    env = terminal_env(
        **install_index.env,
        UV_CACHE_DIR=str(tmp_path / "uv-cache"),
        UV_NO_CONFIG="1",
        TORCHSMITH_CACHE_DIR=str(tmp_path / "cache"),
        PATH=f"{CPU_ROOT}/usr/bin:{os.environ['PATH']}",
    )
    argv = [*TORCHSMITH, "install", "torch", "--venv", str(tmp_path / "venv"), "--root", str(CPU_ROOT)]
    status, shown = run_pty(argv, env, timeout=300)
    text = visible_text(shown)
    assert status == 0, text
    # uv saw a terminal: its own progress (spinner, per-file download bars) and coloured summary reached it
    assert b"Preparing packages...\x1b[0m (0/" in shown
    assert re.search(rb"torch {10,}\x1b\[0m \x1b\[32m.*0 B/1\.98 KiB", shown)  # the download bar
    assert re.search(rb"\x1b\[[0-9;]*m\+\x1b\[[0-9;]*m \x1b\[1mtorch\x1b\[0m", shown)
    # and the text kept for an error message is what stayed on screen
    assert re.search(r"^Resolved 2 packages in \d+ms$", text, re.M), text
    assert "healthy: no problems found" in text


def test_error_tail_drops_progress_and_keeps_a_message_written_onto_it() -> None:
    """uv can write its error onto its own spinner line without a line break (seen on this machine)."""
    from torchsmith.ptyrun import _tidy

    assert (
        _tidy("⠙ torch==2.13.0+cpu      error: Failed to fetch: http://x/")
        == "error: Failed to fetch: http://x/"
    )
    assert _tidy("⠙ Resolving dependencies...") == ""
    assert _tidy("  cause: tcp connect error") == "  cause: tcp connect error"


def test_visible_text_keeps_what_stays_on_screen() -> None:
    raw = b"\x1b[37m\xe2\xa0\x8b\x1b[0m Resolving\r\x1b[2K"
    raw += b"\x1b[2mResolved \x1b[1m2 packages\x1b[0m in 5ms\r\r\nerror: x\n"
    assert visible_text(raw) == "Resolved 2 packages in 5ms\nerror: x\n"


def test_completion_in_bash(tmux: Tmux, tmp_path: Path) -> None:
    script = tmp_path / "torchsmith.bash"
    script.write_text(subprocess.run([*TORCHSMITH, "completion", "bash"], capture_output=True, text=True,
                                     env=terminal_env(), check=True).stdout)  # fmt: skip
    tmux.start("bash --norc --noprofile")
    tmux.send(f"PS1='$ '; source {shlex.quote(str(script))}; clear", "Enter")
    tmux.wait_for(lambda s: s.strip() == "$")
    tmux.send("torchsmith pl", "Tab")
    tmux.wait_for(lambda s: s.splitlines()[-1] == "$ torchsmith plan")
    tmux.send("C-u", "torchsmith export do", "Tab")
    tmux.wait_for(lambda s: s.splitlines()[-1] == "$ torchsmith export docker")
    tmux.send("C-u", "torchsmith doctor --form", "Tab")
    tmux.wait_for(lambda s: s.splitlines()[-1] == "$ torchsmith doctor --format")


@pytest.mark.parametrize(("shell", "start"), [("zsh", "#compdef torchsmith"), ("fish", "")])
def test_completion_scripts_for_zsh_and_fish(shell: str, start: str) -> None:
    out = subprocess.run([*TORCHSMITH, "completion", shell], capture_output=True, text=True,
                         env=terminal_env(), check=True).stdout  # fmt: skip
    assert out.startswith(start)
    assert "plan" in out and "doctor" in out and "--format" in out
    if shell == "fish":
        assert "complete -c torchsmith" in out


@pytest.mark.slow
def test_uv_failure_on_a_terminal_still_names_uvs_own_words(
    install_index: InstallIndex,  # noqa: F811
    tmp_path: Path,
) -> None:
    """On a pty uv's output is not piped to us, yet the error still quotes uv (from the screen's text)."""
    env = terminal_env(
        TORCHSMITH_INDEX_URL=install_index.env["TORCHSMITH_INDEX_URL"],
        UV_INDEX_URL="http://127.0.0.1:9/simple",  # the discard port: filelock is unreachable
        UV_CACHE_DIR=str(tmp_path / "uv-cache"),
        UV_NO_CONFIG="1",
        UV_HTTP_RETRIES="0",
        TORCHSMITH_CACHE_DIR=str(tmp_path / "cache"),
        PATH=f"{CPU_ROOT}/usr/bin:{os.environ['PATH']}",
    )
    argv = [*TORCHSMITH, "install", "torch", "--venv", str(tmp_path / "venv"), "--root", str(CPU_ROOT)]
    status, shown = run_pty(argv, env, timeout=300)
    text = visible_text(shown)
    assert status == 2, text
    error = next(line for line in text.splitlines() if line.startswith("error: uv failed (status 2)"))
    assert "error: Failed to fetch: http://127.0.0.1:9/simple/filelock/" in error, error
    assert error.endswith("the environment is unchanged")
