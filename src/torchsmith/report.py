"""Progress reporting: the library never prints, it tells a `Reporter`.

The CLI installs a renderer that writes to stderr; the default does nothing, so library calls are silent.
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["NullReporter", "Reporter", "report_progress"]


class Reporter(Protocol):
    """What long-running library calls report while they work."""

    def step(self, message: str) -> None:
        """A new phase began (e.g. `fetching 3 index pages`)."""

    def line(self, text: str) -> None:
        """A line of output from a subprocess (uv, pip) worth showing as-is."""

    def warn(self, message: str) -> None:
        """Something the user should know that does not stop the work."""


class NullReporter:
    """The default reporter: says nothing."""

    def step(self, message: str) -> None:
        pass

    def line(self, text: str) -> None:
        pass

    def warn(self, message: str) -> None:
        pass


def report_progress(reporter: Reporter, message: str, done: int, total: int) -> None:
    """Say that `done` of `total` parts of one piece of work are finished (e.g. distro cells).

    A reporter with a `progress(message, done, total)` method (the CLI's draws a bar on a terminal) gets
    the numbers; any other one gets a step, so every `Reporter` works unchanged.
    """
    progress = getattr(reporter, "progress", None)
    if callable(progress):
        progress(message, done, total)
    else:
        reporter.step(f"{message} ({done}/{total})")
