"""What every conda-based format shares: legacy channels, channel findings, the pip/conda torch mix.

Used by `rules_conda` (pixi) and `rules_environment` (environment files, .condarc). Seed 000
(https://pixi.sh/latest/python/pytorch/): the `pytorch` channel is legacy (no builds after 2.5) and
conflicts with conda-forge; the pip/conda mix is judged by which side installs torch.
"""

from __future__ import annotations

from torchsmith.lint.document import Document, Hit, KeyPath
from torchsmith.lint.model import CONDA_TORCH_NAMES, TORCH_DEPENDENTS, family_name
from torchsmith.lint.urls import is_insecure

__all__ = ["CUDA_RUNTIME", "LEGACY_CHANNELS", "channel_hits", "metapackage_hit", "mix_hits", "unique"]

LEGACY_CHANNELS = frozenset({"pytorch", "pytorch-nightly", "pytorch-test"})
"""The `pytorch` channel and its nightly / test twins (https://anaconda.org/pytorch), all discontinued."""

CUDA_RUNTIME = frozenset(
    {
        "cudatoolkit",
        "cuda-toolkit",
        "cuda-runtime",
        "cuda-cudart",
        "cuda-libraries",
        "cudnn",
        "nccl",
        "cuda-nvrtc",
        "libcublas",
        "pytorch-cuda",
    }
)
"""conda CUDA runtime pieces: a PyPI torch ignores them (its wheels bring `nvidia-*` libraries)."""


def _channel_name(channel: str) -> str:
    """`https://prefix.dev/conda-forge/` -> `conda-forge`; `pytorch` -> `pytorch`;
    `https://conda.anaconda.org/pytorch/label/nightly` -> `pytorch` (a channel label is not a channel)."""
    text = channel.strip().rstrip("/")
    if "/label/" in text:
        text = text.split("/label/", 1)[0]
    return text.rsplit("/", 1)[-1].lower()


def channel_hits(
    doc: Document, channels: list[tuple[str, KeyPath]], dep_channels: list[tuple[str, KeyPath]]
) -> list[Hit]:
    hits: list[Hit] = []
    seen: set[KeyPath] = set()
    names = {_channel_name(c) for c, _ in channels + dep_channels}
    for channel, at in channels + dep_channels:
        if at in seen:
            continue
        seen.add(at)
        if is_insecure(channel):
            hits.append(
                doc.hit("insecure-index", f"channel `{channel}` uses plain http", at=at, fix="use `https://`")
            )
        if _channel_name(channel) not in LEGACY_CHANNELS:
            continue
        hits.append(
            doc.hit(
                "conda-legacy-pytorch-channel",
                f"the `{_channel_name(channel)}` conda channel is discontinued: it has no builds "
                "after torch 2.5",
                at=at,
                fix="use conda-forge's `pytorch` (with `cuda-version`), or torch from PyPI",
            )
        )
        if "conda-forge" in names and not any(h.finding.rule == "conda-mixed-channels" for h in hits):
            hits.append(
                doc.hit(
                    "conda-mixed-channels",
                    f"conda-forge and the legacy `{_channel_name(channel)}` channel are mixed: their builds "
                    "link different libraries and conflict in one environment",
                    at=at,
                    fix="pick one channel for pytorch and its dependents (conda-forge)",
                )
            )
    return hits


def metapackage_hit(doc: Document, at: KeyPath, aarch64: bool) -> Hit:
    extra = " (on aarch64 / Jetson it silently installs a CPU build)" if aarch64 else ""
    return doc.hit(
        "conda-legacy-pytorch-channel",
        f"`pytorch-cuda` is the legacy `pytorch` channel's CUDA selector{extra}",
        at=at,
        fix="use conda-forge's `pytorch-gpu` with `cuda-version`, or NVIDIA's wheels on Jetson",
    )


def mix_hits(doc: Document, conda: dict[str, KeyPath], pypi: dict[str, KeyPath], where: str) -> list[Hit]:
    """Judged by which side installs torch: the other side must not bring its own (an error), and may
    only lean on it (a pip package on top of conda's pytorch is at most a warning)."""
    hits: list[Hit] = []
    if "torch" in pypi:
        for name, at in conda.items():
            if name in TORCH_DEPENDENTS:
                hits.append(
                    doc.hit(
                        "conda-pypi-torch-mix",
                        f"`torch` comes from PyPI but `{name}`, which depends on it, from "
                        f"conda{where}: conda installs its own pytorch next to the PyPI one",
                        at=at,
                        fix=f"take `{name}` from PyPI as well",
                    )
                )
            elif name in CUDA_RUNTIME:
                hits.append(
                    doc.hit(
                        "conda-pypi-torch-mix",
                        f"`torch` comes from PyPI but the CUDA runtime piece `{name}` from conda{where}: the "
                        "PyPI wheel never loads it (it brings its own `nvidia-*` libraries), and a "
                        "mismatched "
                        "copy on the library path can break it",
                        at=at,
                        fix=f"drop `{name}`: the torch wheel carries its CUDA runtime",
                    )
                )
    if conda.keys() & CONDA_TORCH_NAMES:
        for name, at in pypi.items():
            if name == "torch":
                hits.append(
                    doc.hit(
                        "conda-pypi-torch-mix",
                        f"`pytorch` comes from conda and `torch` from PyPI as well{where}: pip installs a "
                        "second torch over conda's, and the two sides disagree about which one is there",
                        at=at,
                        fix="take torch from one side only",
                    )
                )
            elif family_name(name) is not None:
                hits.append(
                    doc.hit(
                        "conda-torch-pip-dependent",
                        f"`pytorch` comes from conda and `{name}` from PyPI{where}: the PyPI wheel pins an "
                        "exact torch version (pip replaces conda's torch when it differs) and is built "
                        "against PyPI's torch, so its compiled ops may not load with conda's build",
                        at=at,
                        fix=f"take `{name}` from conda as well",
                    )
                )
            elif name in TORCH_DEPENDENTS:
                hits.append(
                    doc.hit(
                        "conda-torch-pip-dependent",
                        f"`pytorch` comes from conda and `{name}`, which depends on it, from PyPI{where}: "
                        "pip accepts conda's torch when its version satisfies the pin, and replaces it "
                        "when not",
                        at=at,
                        fix=f"take `{name}` from conda when it is packaged there, or check its torch pin",
                    )
                )
    return hits


def unique(hits: list[Hit]) -> list[Hit]:
    seen: set[tuple[str, str, int, int]] = set()
    out: list[Hit] = []
    for hit in hits:
        loc = hit.finding.location
        key = (hit.finding.rule, hit.finding.message, loc.line if loc else 0, loc.column if loc else 0)
        if key not in seen:
            seen.add(key)
            out.append(hit)
    return out
