"""The README: every relative link resolves inside the repository, and "Use it from" covers each surface."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text()


def test_every_relative_link_resolves_inside_the_repository() -> None:
    targets = re.findall(r"\]\(([^)\s]+)\)", README)
    assert targets, "the README has links"
    for target in targets:
        if re.match(r"[a-z]+://", target) or target.startswith("#"):
            continue
        path = (REPO / target.split("#")[0]).resolve()
        assert path.is_relative_to(REPO), f"{target} points outside the repository"
        assert path.exists(), f"{target} does not exist"
    assert "../" not in README


def test_use_it_from_covers_every_surface() -> None:
    section = README.split("## Use it from", 1)[1].split("\n## ", 1)[0]
    needles = ["uvx torchsmith", "pipx run torchsmith", "uses: torchsmith/torchsmith@v1", "pre-commit"]
    needles += ["torchsmith-lint", "torchsmith-export-check", "export docker", "import torchsmith"]
    for needle in needles:
        assert needle in section, needle
