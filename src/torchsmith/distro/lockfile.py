"""Read the hash-locked requirements file `uv pip compile --generate-hashes` writes.

The format is pip's requirements-file format (https://pip.pypa.io/en/stable/reference/requirements-file-format/):
one `name==version` or `name @ URL` per requirement, continued with `\\` onto `--hash=sha256:<hex>` lines,
comments after `#`. Each requirement becomes a `Pin`: what the cell installed, by hash.
"""

from __future__ import annotations

import re

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from torchsmith.distro.results import Pin

__all__ = ["parse_lock"]

_HASH = re.compile(r"--hash[= ]sha256:([0-9a-f]{64})")


def _logical_lines(text: str) -> list[str]:
    out: list[str] = []
    current = ""
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].rstrip() if not raw.lstrip().startswith("#") else ""
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        current += line
        if current.strip():
            out.append(current.strip())
        current = ""
    if current.strip():
        out.append(current.strip())
    return out


def parse_lock(text: str) -> tuple[Pin, ...]:
    """The pins of a compiled, hashed requirements file (options other than `--hash` are ignored)."""
    pins: list[Pin] = []
    for line in _logical_lines(text):
        if line.startswith("-"):
            continue
        hashes = tuple(_HASH.findall(line))
        spec = _HASH.sub("", line).strip()
        try:
            req = Requirement(spec)
        except InvalidRequirement:
            continue
        version = ""
        for s in req.specifier:
            if s.operator in ("==", "==="):
                version = s.version
        if req.url and not version:
            name = req.url.rsplit("/", 1)[-1].replace("%2B", "+")
            parts = name.split("-")
            version = parts[1] if len(parts) > 2 else ""
        pins.append(Pin(canonicalize_name(req.name), version, hashes, req.url))
    return tuple(pins)
