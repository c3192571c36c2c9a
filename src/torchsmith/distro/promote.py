"""`distro promote`: copy what passed into the channel: a static PEP 503 / 691 index with PEP 658 metadata.

The channel is `<output>/files/` (the wheels and their `.metadata`) and `<output>/simple/` (the pages).
Pages are rebuilt from every wheel in `files/` into a temporary folder beside `simple/`, which then
replaces it by rename, so an installer reading the channel sees the old index or the new one, never half of
one. A wheel is copied only when its member is promotable (`report.promotion`): nothing that failed, or
whose dependents failed, ever enters. `constraints.txt` pins the known-good set.
Specs: https://peps.python.org/pep-0503/ https://peps.python.org/pep-0691/ https://peps.python.org/pep-0658/
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import shutil
import tempfile
import zipfile
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from packaging.utils import canonicalize_name, parse_wheel_filename

from torchsmith.distro.graph import resolve_members
from torchsmith.distro.registry import DistroError, load_distro
from torchsmith.distro.report import Promotion, promotion
from torchsmith.distro.results import load_results
from torchsmith.index.settings import IndexSettings
from torchsmith.report import NullReporter, Reporter

__all__ = ["PromoteResult", "promote", "write_index"]

_JSON = "application/vnd.pypi.simple.v1+json"


@dataclass(frozen=True, slots=True)
class PromoteResult:
    """What was promoted, what was held back and why, and where the channel is."""

    output: Path
    promoted: tuple[str, ...]
    blocked: tuple[Promotion, ...]

    @property
    def exit_code(self) -> int:
        return 1 if self.blocked else 0

    def to_json(self) -> dict[str, Any]:
        return {
            "output": str(self.output),
            "promoted": list(self.promoted),
            "blocked": [b.to_json() for b in self.blocked],
        }

    def summary(self) -> str:
        lines = [f"promoted {name}" for name in self.promoted]
        for block in self.blocked:
            lines.append(f"blocked {block.member} {block.version}: " + "; ".join(block.blockers))
        lines.append(f"channel: {self.output / 'simple'}")
        return "\n".join(lines)


def _metadata(wheel: Path) -> bytes:
    with zipfile.ZipFile(wheel) as archive:
        names = [n for n in archive.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")]
        return archive.read(names[0])


def _requires_python(metadata: bytes) -> str | None:
    for line in metadata.decode("utf-8", "replace").splitlines():
        if not line.strip():
            break
        key, _, value = line.partition(":")
        if key.strip().lower() == "requires-python":
            return value.strip()
    return None


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _project_pages(project: str, wheels: list[Path]) -> tuple[str, str]:
    anchors, files = [], []
    for wheel in sorted(wheels, key=lambda w: w.name):
        data, meta = wheel.read_bytes(), _metadata(wheel)
        href = f"../../files/{quote(wheel.name)}"
        rp = _requires_python(meta)
        attrs = (
            f'href="{href}#sha256={_sha(data)}" data-dist-info-metadata="sha256={_sha(meta)}" '
            f'data-core-metadata="sha256={_sha(meta)}"'
        )
        if rp:
            attrs += f' data-requires-python="{html.escape(rp)}"'
        anchors.append(f"    <a {attrs}>{html.escape(wheel.name)}</a><br/>")
        files.append(
            {
                "filename": wheel.name,
                "url": href,
                "hashes": {"sha256": _sha(data)},
                "requires-python": rp,
                "core-metadata": {"sha256": _sha(meta)},
                "dist-info-metadata": {"sha256": _sha(meta)},
                "size": len(data),
            }
        )
    page = (
        f"<!DOCTYPE html>\n<html><body>\n<h1>Links for {html.escape(project)}</h1>\n"
        + "\n".join(anchors)
        + "\n</body></html>\n"
    )
    doc = {
        "meta": {"api-version": "1.1"},
        "name": project,
        "files": files,
        "versions": sorted({str(parse_wheel_filename(w.name)[1]) for w in wheels}),
    }
    return page, json.dumps(doc, indent=1) + "\n"


def write_index(output: Path) -> Path:
    """Rebuild `<output>/simple` from the wheels in `<output>/files`, swapping it in by rename."""
    files = output / "files"
    files.mkdir(parents=True, exist_ok=True)
    by_project: dict[str, list[Path]] = defaultdict(list)
    for wheel in files.glob("*.whl"):
        by_project[canonicalize_name(parse_wheel_filename(wheel.name)[0])].append(wheel)
    tmp = Path(tempfile.mkdtemp(prefix=".simple-", dir=output))
    projects = sorted(by_project)
    (tmp / "index.html").write_text(
        "<!DOCTYPE html>\n<html><body>\n"
        + "\n".join(f'    <a href="{p}/">{p}</a><br/>' for p in projects)
        + "\n</body></html>\n",
        encoding="utf-8",
    )
    root_doc = {"meta": {"api-version": "1.1"}, "projects": [{"name": p} for p in projects]}
    (tmp / "index.json").write_text(json.dumps(root_doc, indent=1) + "\n", encoding="utf-8")
    for project in projects:
        page, doc = _project_pages(project, by_project[project])
        (tmp / project).mkdir()
        (tmp / project / "index.html").write_text(page, encoding="utf-8")
        (tmp / project / "index.json").write_text(doc, encoding="utf-8")
    tmp.chmod(0o755)
    simple = output / "simple"
    old = output / f".simple-old-{os.getpid()}"
    if simple.exists():
        simple.rename(old)
    tmp.rename(simple)
    shutil.rmtree(old, ignore_errors=True)
    return simple


def _place(wheel: Path, files: Path) -> None:
    """Copy `wheel` and its `.metadata` into `files` (temp name, then rename: never a partial file)."""
    for name, data in ((wheel.name, wheel.read_bytes()), (f"{wheel.name}.metadata", _metadata(wheel))):
        tmp = files / f".{name}.part"
        tmp.write_bytes(data)
        tmp.replace(files / name)


def promote(
    *,
    distro_path: Path,
    results: Sequence[Path] = (),
    settings: IndexSettings | None = None,
    reporter: Reporter | None = None,
) -> PromoteResult:
    """Promote the members whose package and dependents passed (per `results`, default: the distro's
    results folder) into the distro's `output` channel, then re-index it and write `constraints.txt`."""
    reporter = reporter or NullReporter()
    distro = load_distro(distro_path)
    files = list(results) or sorted(distro.results_dir.glob("*.json"))
    if not files:
        raise DistroError(f"no results in `{distro.results_dir}`", hint="run `torchsmith distro test` first")
    run = load_results(files)
    infos = resolve_members(distro, settings=settings, reporter=reporter)
    decisions = promotion(run)
    promoted, blocked = [], []
    out_files = distro.output / "files"
    out_files.mkdir(parents=True, exist_ok=True)
    for decision in decisions:
        info = infos.get(decision.member)
        if info is not None and info.version != decision.version:
            decision = Promotion(
                decision.member,
                decision.version,
                False,
                (*decision.blockers, f"results are for {decision.version}, the registry has {info.version}"),
            )
        if not decision.promotable:
            blocked.append(decision)
            continue
        if info is None or info.wheel is None:
            blocked.append(
                Promotion(decision.member, decision.version, False, ("no local wheel to promote",))
            )
            continue
        reporter.step(f"promoting {info.wheel.name}")
        _place(info.wheel, out_files)
        promoted.append(f"{decision.member}=={decision.version}")
    write_index(distro.output)
    good = sorted(promoted)
    torch = sorted({c.torch for c in run.cells if c.torch and c.ok})
    header = f"# known-good set of distro `{distro.name}`; tested with torch {', '.join(torch) or '-'}\n"
    (distro.output / "constraints.txt").write_text(header + "".join(f"{p}\n" for p in good), encoding="utf-8")
    return PromoteResult(distro.output, tuple(promoted), tuple(blocked))
