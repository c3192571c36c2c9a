"""`machine.runnable.known_backends` reads the release table's rows as they are (the probe needs names
only); the validated loader `knowledge.releases` reads the same rows into typed releases. Both readings must
give one answer, for every platform key, in the same newest-release-first order."""

from __future__ import annotations

import pytest

from torchsmith.knowledge import releases
from torchsmith.machine.runnable import known_backends


@pytest.mark.parametrize("platform_key", releases.PLATFORMS)
def test_known_backends_agree_with_the_validated_release_table(platform_key: str) -> None:
    expected: dict[str, None] = {}
    for release in releases.releases():  # newest first
        for name in release.backends.get(platform_key, ()):
            expected.setdefault(name, None)
    assert known_backends(platform_key) == tuple(expected)


def test_known_backends_order_newest_release_first() -> None:
    # RELEASE.md's matrix: CUDA 13.0 builds appeared with torch 2.9 and CUDA 11.8 ended with 2.7, so on
    # linux-x86_64 a cu13x name comes before cu118 in newest-release-first order.
    names = known_backends("linux-x86_64")
    assert names.index("cu130") < names.index("cu118")
    assert "cpu" in names
