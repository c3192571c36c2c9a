"""The answer of a planning rule: runs, does not run, or unknown (naming the facts not checked)."""

from __future__ import annotations

from enum import Enum

from torchsmith.record import record

__all__ = ["Fact", "Verdict"]


class Fact(Enum):
    """The three answers a rule gives."""

    RUNS = "runs"
    FAILS = "does not run"
    UNKNOWN = "unknown"


@record
class Verdict:
    """`why` is None unless the build does not run; `notes` are caveats worth a reasons line even then.

    `hard` failures mean no wheel installs here at all (platform, Python ABI, C library, macOS floor); the
    others are about this machine's hardware (driver, GPU architecture, no GPU), which `--backend` may
    override: the build still installs, and the plan reports the problem. `unknown` names each fact that
    could not be checked; `doubt` counts those for which indirect evidence points to "does not run" (e.g.
    the Linux build of the same release lacks the GPU's arch), so the planner can rank unknowns.
    """

    why: str | None
    notes: tuple[str, ...] = ()
    hard: bool = False
    unknown: tuple[str, ...] = ()
    doubt: int = 0

    @property
    def ok(self) -> bool:
        return self.why is None

    @property
    def fact(self) -> Fact:
        if self.why is not None:
            return Fact.FAILS
        return Fact.UNKNOWN if self.unknown else Fact.RUNS

    @property
    def verified(self) -> bool:
        return self.why is None and not self.unknown

    def merged(self, other: Verdict) -> Verdict:
        """This verdict with another rule's notes and unknown facts added (`other` must not fail)."""
        return Verdict(
            self.why,
            self.notes + other.notes,
            self.hard,
            self.unknown + other.unknown,
            self.doubt + other.doubt,
        )
