#!/usr/bin/env python3
"""Build `src/torchsmith/knowledge/data/inventory.bin`: every torch/torchvision/torchaudio wheel file.

Two kinds of rows, each naming its source:

* **PyPI files**, read from PyPI's PEP 691 JSON simple API (`https://pypi.org/simple/<project>/` with
  `Accept: application/vnd.pypi.simple.v1+json`, https://peps.python.org/pep-0691/): file name, size,
  sha256, `requires-python`, yank state, URL. The snapshot's own totals (files per project, retrieval date,
  `_last-serial`) are recorded so a test can compare the shipped rows with them.
* **download.pytorch.org backend files** (`cpu`, `cuXYZ`, `rocmX.Y`, `xpu`), which cannot be listed from
  here. Which backend x Python builds a release has per OS comes from PyTorch's release build matrix
  (`scripts/build_matrix.toml`: pytorch/test-infra's `generate_binary_build_matrix.py` at the commit where
  the release went live), kept where the release table (`torch_releases.toml`) lists the backend too; such
  rows name a `matrix:<series>:<platform>:<naming>` source. The (python, abi) spelling of each build is
  taken from the patch's PyPI files on the same OS; a Python build PyPI has but the matrix did not know at
  go-live (torch 2.5's cp313, 2.9's cp313t) is kept with a `derived:` source, and one the matrix leaves out
  for a backend (ROCm of 2.0 without 3.11) is dropped. Releases with no matrix (2.14, 2.15) take the
  release table's backends (`derived:` sources). The platform tag of each era's files comes from real
  download.pytorch.org file names quoted in public lock files (see `NAMING`). Size and sha256 are unknown
  for them (null), never invented.

Run: `python3 scripts/make_inventory.py` (needs network to pypi.org). `--pypi-dir DIR` reads saved
`<project>.json` documents instead; `--reuse-pypi` keeps the PyPI rows and snapshot totals of the current
`inventory.bin` and only re-derives the backend rows (no network).
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import tomllib
from packaging.utils import parse_wheel_filename
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "src" / "torchsmith" / "knowledge" / "data"
sys.path.insert(0, str(ROOT / "src"))

from torchsmith.knowledge import inventory  # noqa: E402 - after the path is set

PROJECTS = {"torch": Version("1.13"), "torchvision": Version("0.14"), "torchaudio": Version("0.13")}
MATRIX_FILE = Path(__file__).resolve().parent / "build_matrix.toml"
MATRIX_OS = {
    "linux-x86_64": "linux",
    "linux-aarch64": "linux-aarch64",
    "windows-x86_64": "windows",
    "macos-arm64": "macos-arm64",
}
ACCEPT = "application/vnd.pypi.simple.v1+json"
SCHEMA = 1

# Real download.pytorch.org names per era, as quoted (with their hashes) in public repositories' lock files
# and install scripts; each rule below cites one of them.
NAMING = {
    "dl-linux-x86_64-legacy": {
        "title": "download.pytorch.org Linux x86_64 wheels up to torch 2.5 (and companions up to 2.6) are "
        "tagged `linux_x86_64` with a `+<backend>` label",
        "url": "https://download.pytorch.org/whl/cu124/torch-2.5.1%2Bcu124-cp312-cp312-linux_x86_64.whl",
        "evidence": [
            "https://download.pytorch.org/whl/cpu/torch-2.5.1%2Bcpu-cp312-cp312-linux_x86_64.whl",
            "https://download.pytorch.org/whl/cu124/torch-2.6.0%2Bcu124-cp312-cp312-linux_x86_64.whl",
            "https://download.pytorch.org/whl/cpu/torch-2.6.0%2Bcpu-cp312-cp312-linux_x86_64.whl",
            "https://download.pytorch.org/whl/cu126/torchvision-0.21.0%2Bcu126-cp312-cp312-linux_x86_64.whl",
            "https://download.pytorch.org/whl/cu126/torchaudio-2.6.0%2Bcu126-cp312-cp312-linux_x86_64.whl",
        ],
    },
    "dl-linux-x86_64-2_28": {
        "title": "torch 2.6's CUDA 12.6 wheels, and every Linux x86_64 wheel from torch 2.7 on, are "
        "`manylinux_2_28_x86_64`",
        "url": "https://download.pytorch.org/whl/cu126/torch-2.6.0%2Bcu126-cp312-cp312-manylinux_2_28_x86_64.whl",
        "evidence": [
            "https://download.pytorch.org/whl/cpu/torch-2.7.1%2Bcpu-cp312-cp312-manylinux_2_28_x86_64.whl",
            "https://download.pytorch.org/whl/cu128/torchvision-0.22.1%2Bcu128-cp312-cp312-manylinux_2_28_x86_64.whl",
            "https://download.pytorch.org/whl/cu128/torchaudio-2.8.0%2Bcu128-cp312-cp312-manylinux_2_28_x86_64.whl",
        ],
    },
    "dl-linux-aarch64-pypi": {
        "title": "up to torch 2.5 the cpu index's aarch64 wheels carry no local label and are tagged "
        "`manylinux_2_17_aarch64.manylinux2014_aarch64` (PyPI's own build)",
        "url": "https://download.pytorch.org/whl/cpu/torch-2.5.1-cp312-cp312-manylinux_2_17_aarch64.manylinux2014_aarch64.whl",
        "evidence": [],
    },
    "dl-linux-aarch64-2_28": {
        "title": "from torch 2.6 the cpu index's aarch64 wheels are `+cpu` `manylinux_2_28_aarch64` (all "
        "aarch64 wheels from 2.7); torch 2.6's CUDA aarch64 wheels are `linux_aarch64`",
        "url": "https://download.pytorch.org/whl/cpu/torch-2.6.0%2Bcpu-cp312-cp312-manylinux_2_28_aarch64.whl",
        "evidence": [
            "https://download.pytorch.org/whl/cu126/torch-2.6.0%2Bcu126-cp312-cp312-linux_aarch64.whl",
            "https://download.pytorch.org/whl/cpu/torch-2.7.1%2Bcpu-cp312-cp312-manylinux_2_28_aarch64.whl",
        ],
    },
    "dl-windows": {
        "title": "download.pytorch.org Windows wheels are `+<backend>` `win_amd64`",
        "url": "https://download.pytorch.org/whl/cu126/torch-2.6.0%2Bcu126-cp312-cp312-win_amd64.whl",
        "evidence": [
            "https://download.pytorch.org/whl/cpu/torch-2.5.1%2Bcpu-cp312-cp312-win_amd64.whl",
            "https://download.pytorch.org/whl/cu128/torchaudio-2.8.0%2Bcu128-cp312-cp312-win_amd64.whl",
        ],
    },
    "dl-macos-pypi": {
        "title": "macOS wheels live on the cpu index under PyPI's own names (no local label)",
        "url": "https://download.pytorch.org/whl/cpu/torch-2.6.0-cp312-none-macosx_11_0_arm64.whl",
        "evidence": [],
    },
}


def fetch_pypi(project: str) -> dict[str, Any]:
    request = urllib.request.Request(f"https://pypi.org/simple/{project}/", headers={"Accept": ACCEPT})
    with urllib.request.urlopen(request, timeout=120) as response:
        data: dict[str, Any] = json.loads(response.read())
    return data


def _os_of(platform: str) -> str | None:
    if platform.startswith(("manylinux", "linux")):
        return "linux-aarch64" if platform.endswith("aarch64") else "linux-x86_64"
    if platform.startswith("win_amd64"):
        return "windows-x86_64"
    if platform.startswith("macosx"):
        return "macos-arm64" if platform.endswith("arm64") else "macos-x86_64"
    return None


def pypi_rows(project: str, data: dict[str, Any], floor: Version) -> tuple[list[list[Any]], int]:
    rows: list[list[Any]] = []
    for f in data["files"]:
        name = f["filename"]
        try:
            version = (
                parse_wheel_filename(name)[1] if name.endswith(".whl") else Version(name.split("-")[1][:-7])
            )
        except Exception:  # an odd sdist name: keep it, the count must match the snapshot's
            version = None
        if version is not None and Version(version.public) < floor:
            continue
        url = f["url"].removeprefix("https://files.pythonhosted.org/packages/")
        yanked = 1 if f.get("yanked") else 0
        rows.append(
            [
                name,
                f.get("size"),
                f.get("hashes", {}).get("sha256"),
                f.get("requires-python"),
                yanked,
                "pypi",
                url,
            ]
        )
    return rows, len(data["files"])


def _pypi_index(rows: list[list[Any]]) -> dict[tuple[str, str], list[tuple[str, str, str]]]:
    """(public version, platform key) -> [(python, abi, platform)] of PyPI's wheels."""
    found: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
    for row in rows:
        if not row[0].endswith(".whl"):
            continue
        _, version, _, tags = parse_wheel_filename(row[0])
        for tag in tags:
            key = _os_of(tag.platform)
            if key is None:
                continue
            item = (tag.interpreter, tag.abi, tag.platform)
            bucket = found.setdefault((version.public, key), [])
            if item not in bucket:
                bucket.append(item)
    return found


def _torch_of(project: str, version: str, pairs: dict[str, dict[str, str]]) -> Version | None:
    if project == "torch":
        return Version(version)
    for torch, companion in pairs[project].items():
        if companion == version:
            return Version(torch)
    return None


def _platform_tag(project: str, torch: Version, key: str, backend: str) -> tuple[str, str] | None:
    """(platform tag, naming source) of a download.pytorch.org file, or None to mirror PyPI's names."""
    series = Version(f"{torch.major}.{torch.minor}")
    if key == "windows-x86_64":
        return "win_amd64", "dl-windows"
    if key == "linux-x86_64":
        modern = series >= Version("2.7") or (
            series == Version("2.6") and project == "torch" and backend == "cu126"
        )
        return (
            ("manylinux_2_28_x86_64", "dl-linux-x86_64-2_28")
            if modern
            else ("linux_x86_64", "dl-linux-x86_64-legacy")
        )
    if key == "linux-aarch64":
        if series < Version("2.6"):
            return "manylinux_2_17_aarch64.manylinux2014_aarch64", "dl-linux-aarch64-pypi"
        if series == Version("2.6") and backend != "cpu":
            return "linux_aarch64", "dl-linux-aarch64-2_28"
        return "manylinux_2_28_aarch64", "dl-linux-aarch64-2_28"
    return None  # macOS: PyPI's own files on the cpu index


def _matrix_python(python: str, abi: str) -> str:
    """`cp313` + `cp313t` -> the matrix's spelling `3.13t`."""
    digits = python[2:]
    return f"{digits[0]}.{digits[1:]}" + ("t" if abi.endswith("t") else "")


def _evidence(
    project: str, matrix: dict[str, Any] | None, key: str, backend: str, python: str, abi: str
) -> str | None:
    """`matrix` when the release matrix names this build, `derived` when only PyPI's files show the
    Python, None when the matrix leaves it out for this backend of a domain library.

    test-infra's matrix is the one the domain libraries (torchvision, torchaudio) are built from, so a
    Python it skips for one backend (ROCm of 2.0 without 3.11, of 2.4 without 3.12) has no companion
    wheel; torch itself is built by pytorch/pytorch's own matrix, which did build those
    (`torch-2.0.1+rocm5.4.2-cp311-...`, `torch-2.4.0+rocm6.1-cp312-...` are quoted in public repositories),
    so for torch such a build keeps its PyPI-derived row."""
    if matrix is None or key not in MATRIX_OS:
        return "derived"
    by_backend = matrix.get(MATRIX_OS[key], {})
    wanted = _matrix_python(python, abi)
    if wanted in by_backend.get(backend, ()):
        return "matrix"
    if wanted not in by_backend.get("cpu", ()) or project == "torch":
        return "derived"
    return None


def derived_rows(
    project: str, pypi: list[list[Any]], releases: dict[str, Any], matrices: dict[str, dict[str, Any]]
) -> dict[str, list[list[Any]]]:
    by_index: dict[str, list[list[Any]]] = {}
    tags = _pypi_index(pypi)
    requires = {}
    for row in pypi:
        if row[0].endswith(".whl"):
            requires.setdefault(parse_wheel_filename(row[0])[1].public, row[3])
    pairs: dict[str, dict[str, str]] = {"torchvision": {}, "torchaudio": {}}
    for pair in releases["pair"]:
        for name in pairs:
            if pair.get(name):
                pairs[name][pair["torch"]] = pair[name]
    series_rows = {row["torch"]: row for row in releases["row"]}
    versions = sorted({v for (v, _) in tags}, key=Version)
    for version in versions:
        torch = _torch_of(project, version, pairs)
        if torch is None:
            continue
        release = series_rows.get(f"{torch.major}.{torch.minor}")
        if release is None:
            continue
        matrix = matrices.get(release["torch"])
        for key, backends in release["backends"].items():
            pypi_tags = tags.get((version, key), [])
            for backend in backends:
                if matrix is not None and key in MATRIX_OS and backend not in matrix.get(MATRIX_OS[key], {}):
                    continue  # the release table lists it, the matrix does not: no file is derived
                rule = _platform_tag(project, torch, key, backend)
                if rule is None:
                    if backend != "cpu":
                        continue
                    for row in pypi:
                        if (
                            row[0].endswith(".whl")
                            and not row[0].split("-")[-3].startswith("py")
                            and not parse_wheel_filename(row[0])[2]  # build tags: PyPI's own re-uploads
                            and parse_wheel_filename(row[0])[1].public == version
                            and _os_of(str(next(iter(parse_wheel_filename(row[0])[3])).platform)) == key
                        ):
                            tag = next(iter(parse_wheel_filename(row[0])[3]))
                            kind = _evidence(project, matrix, key, backend, tag.interpreter, tag.abi)
                            naming = "dl-macos-pypi" if key.startswith("macos") else "dl-linux-aarch64-pypi"
                            source = f"{kind or 'derived'}:{release['torch']}:{key}:{naming}"
                            mirrored = [row[0], None, None, row[3], 0, source, None]
                            by_index.setdefault("cpu", []).append(mirrored)
                    continue
                platform, naming = rule
                label = "" if naming == "dl-linux-aarch64-pypi" else f"+{backend}"
                if label == "" and backend != "cpu":
                    continue
                seen: set[tuple[str, str]] = set()
                for python, abi, _ in pypi_tags:
                    if (python, abi) in seen or python.startswith("py"):
                        continue
                    seen.add((python, abi))
                    kind = _evidence(project, matrix, key, backend, python, abi)
                    if kind is None:
                        continue
                    name = f"{project}-{version}{label}-{python}-{abi}-{platform}.whl"
                    source = f"{kind}:{release['torch']}:{key}:{naming}"
                    by_index.setdefault(backend, []).append(
                        [name, None, None, requires.get(version), 0, source, None]
                    )
    return by_index


def _release_sources(
    releases: dict[str, Any], matrices: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    sources: dict[str, dict[str, Any]] = {}
    for row in releases["row"]:
        matrix = matrices.get(row["torch"])
        for key in row["backends"]:
            for naming, rule in NAMING.items():
                names = row["source"] if isinstance(row["source"], list) else [row["source"]]
                sources[f"derived:{row['torch']}:{key}:{naming}"] = {
                    "title": f"torch {row['torch']} {key}: backends from torch_releases.toml "
                    f"(sources {', '.join(names)}); Python builds from the patch's PyPI files; naming: "
                    f"{rule['title']}",
                    "url": rule["url"],
                }
                if matrix is None or key not in MATRIX_OS:
                    continue
                sources[f"matrix:{row['torch']}:{key}:{naming}"] = {
                    "title": f"torch {row['torch']} {key}: backend x Python builds from PyTorch's release "
                    f"build matrix (pytorch/test-infra tools/scripts/generate_binary_build_matrix.py at "
                    f"{matrix['commit'][:10]}, {matrix['date']}, {matrix['subject']!r}; channel release, "
                    f"os {MATRIX_OS[key]}); (python, abi) spelling from the patch's PyPI files; naming: "
                    f"{rule['title']}",
                    "url": "https://github.com/pytorch/test-infra/blob/"
                    f"{matrix['commit']}/tools/scripts/generate_binary_build_matrix.py",
                    "naming_url": rule["url"],
                }
    return sources


def load_matrices() -> dict[str, dict[str, Any]]:
    """torch series -> its release matrix row of `build_matrix.toml`."""
    data = tomllib.loads(MATRIX_FILE.read_text(encoding="utf-8"))
    return {row["torch"]: {**row, "date": str(row["date"])} for row in data["release"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pypi-dir", type=Path, help="read <project>.json saved from the PEP 691 API")
    parser.add_argument("--save-dir", type=Path, help="also save the PEP 691 documents here")
    parser.add_argument("--out", type=Path, default=inventory.INVENTORY_FILE)
    parser.add_argument(
        "--reuse-pypi",
        action="store_true",
        help="keep the PyPI rows and snapshot totals of the current --out file (no network)",
    )
    args = parser.parse_args(argv)
    releases = tomllib.loads((DATA / "torch_releases.toml").read_text(encoding="utf-8"))
    matrices = load_matrices()
    previous = inventory.read(args.out) if args.reuse_pypi else None
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    pypi_source = dict(previous.sources["pypi"]) if previous is not None else None
    sources: dict[str, Any] = {
        "pypi": pypi_source
        or {
            "title": "PyPI PEP 691 JSON simple API",
            "url": "https://pypi.org/simple/<project>/",
            "retrieved": now,
        },
        **{k: {"title": v["title"], "url": v["url"], "evidence": v["evidence"]} for k, v in NAMING.items()},
        **_release_sources(releases, matrices),
    }
    snapshot: dict[str, Any] = {}
    projects: dict[str, dict[str, list[list[Any]]]] = {}
    for project, floor in PROJECTS.items():
        if previous is not None:
            rows = [list(row) for row in previous.rows(project, inventory.PYPI)]
            kept = previous.snapshot[project]
            header = {k: kept[k] for k in ("retrieved", "last_serial", "files_on_page")}
        else:
            if args.pypi_dir:
                data = json.loads((args.pypi_dir / f"{project}.json").read_text(encoding="utf-8"))
            else:
                data = fetch_pypi(project)
                if args.save_dir:
                    args.save_dir.mkdir(parents=True, exist_ok=True)
                    (args.save_dir / f"{project}.json").write_text(json.dumps(data), encoding="utf-8")
            rows, total = pypi_rows(project, data, floor)
            header = {
                "retrieved": data.get("_retrieved", now),
                "last_serial": data["meta"].get("_last-serial"),
                "files_on_page": total,
            }
        derived = derived_rows(project, rows, releases, matrices)
        projects[project] = {"pypi": rows, **derived}
        by_kind: dict[str, int] = {}
        for index_rows in derived.values():
            for row in index_rows:
                kind = row[5].split(":", 1)[0]
                by_kind[kind] = by_kind.get(kind, 0) + 1
        snapshot[project] = {
            "index": f"https://pypi.org/simple/{project}/",
            **header,
            "files_since_floor": len(rows),
            "floor": str(floor),
            "derived_files": {index: len(r) for index, r in sorted(derived.items())},
            "backend_rows_by_source": dict(sorted(by_kind.items())),
        }
    meta = {
        "schema": SCHEMA,
        "generated": now,
        "file_base": "https://files.pythonhosted.org/packages/",
        "backend_base": "https://download.pytorch.org/whl",
        "snapshot": snapshot,
    }
    blob = inventory.build(meta, projects, sources)
    args.out.write_bytes(blob)
    for project, snap in snapshot.items():
        print(project, snap["files_since_floor"], "pypi,", sum(snap["derived_files"].values()), "derived")
    print(f"wrote {args.out} ({len(blob)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
