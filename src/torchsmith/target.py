"""The target interpreter: the Python that `install` changes and `doctor` inspects, seen from outside.

torchsmith never imports torch. It runs small stdlib-only snippets in the target interpreter (Python >= 3.6,
as JetPack 4/5 ship) with a timeout and reads JSON back: its version and ABI, and the installed torch-family
distributions. `resolve_target` also creates a virtual environment with uv when asked for one.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from torchsmith.errors import InstallError, UsageError
from torchsmith.record import record

__all__ = [
    "InstalledDist",
    "TargetPython",
    "default_python",
    "find_uv",
    "inspect_python",
    "inspect_venv_files",
    "installed_family",
    "resolve_target",
    "run_snippet",
    "venv_python",
]

_QUERY = r"""
import json, sys, sysconfig
ft = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
v = sys.version_info
facts = {"version": "%d.%d.%d" % (v[0], v[1], v[2]), "implementation": sys.implementation.name,
         "abi": "cp%d%d%s" % (v[0], v[1], "t" if ft else ""), "prefix": sys.prefix,
         "executable": sys.executable}
names = ("torch", "torchvision", "torchaudio")
found = []
try:
    from importlib import metadata
except ImportError:
    metadata = None
if metadata is not None:
    seen = set()
    for dist in metadata.distributions():
        name = (dist.metadata["Name"] or "").lower().replace("_", "-")
        if name in names and name not in seen:
            seen.add(name)
            url = None
            text = dist.read_text("direct_url.json")
            if text:
                try:
                    direct = json.loads(text)
                    url = direct.get("url")
                    archive = direct.get("archive_info") or {}
                    digest = (archive.get("hashes") or {}).get("sha256")
                    if not digest and str(archive.get("hash", "")).startswith("sha256="):
                        digest = str(archive["hash"])[7:]
                    if url and digest and "#" not in url:
                        url = url + "#sha256=" + digest
                except (ValueError, AttributeError, TypeError):
                    url = None
            found.append({"name": name, "version": dist.version, "url": url})
facts["family"] = found
print(json.dumps(facts))
"""


@record
class InstalledDist:
    """One installed torch-family distribution (and the URL it came from, if installed by URL)."""

    name: str
    version: str
    url: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "url": self.url}


@record
class TargetPython:
    """An interpreter torchsmith acts on from outside."""

    executable: str
    version: str
    abi: str
    prefix: str
    implementation: str = "cpython"
    family: tuple[InstalledDist, ...] = ()
    """The torch-family distributions installed when the interpreter was inspected."""

    @property
    def minor(self) -> str:
        """`3.11` (or `3.13t` for a free-threaded build), as `--python` for the planner takes it."""
        major, minor = self.version.split(".")[:2]
        return f"{major}.{minor}{'t' if self.abi.endswith('t') else ''}"

    def to_json(self) -> dict[str, Any]:
        return {
            "executable": self.executable,
            "version": self.version,
            "abi": self.abi,
            "prefix": self.prefix,
        }


def run_snippet(python: str, code: str, *, timeout: float = 60.0) -> Any:
    """Run `code` in `python` (isolated from the user's site customisations) and parse its JSON output.

    The interpreter runs in its own process group; the timeout covers the group, so a child it leaves
    behind holding the pipe cannot hang torchsmith."""
    from torchsmith.children import run_captured

    try:
        completed = run_captured(
            [python, "-c", code],
            timeout=timeout,
            env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
        )
    except FileNotFoundError as error:
        raise UsageError(
            f"no interpreter at `{python}`", hint="check the path given to `--python`"
        ) from error
    except OSError as error:
        raise UsageError(
            f"cannot run `{python}`: {error.strerror or error}", hint="give an executable interpreter"
        ) from error
    if completed.timed_out:
        raise InstallError(f"`{python}` did not answer within {timeout:g} s (stopped it and its children)")
    if completed.returncode != 0:
        tail = completed.stderr.decode(errors="replace").strip().splitlines()[-1:]
        raise InstallError(f"`{python}` failed to run torchsmith's query: {' '.join(tail) or 'no output'}")
    try:
        return json.loads(completed.stdout.decode(errors="replace"))
    except json.JSONDecodeError as error:
        raise InstallError(f"`{python}` printed something that is not JSON: {error.msg}") from error


def find_uv() -> str:
    """The `uv` binary shipped by the `uv` wheel (a dependency), else one on PATH."""
    import sysconfig

    # `find_uv_bin`'s first place, looked at first: it builds its whole list of places up front, and the
    # later ones cost fnmatch patterns and the user scheme (half of what install does between plan and uv)
    first = Path(sysconfig.get_path("scripts")) / ("uv" + (sysconfig.get_config_var("EXE") or ""))
    if first.is_file():
        return str(first)
    try:
        from uv import find_uv_bin

        return str(find_uv_bin())
    except (ImportError, FileNotFoundError):
        import shutil

        found = shutil.which("uv")
        if found is None:
            raise InstallError(  # noqa: B904 - the ImportError is not the cause: uv is absent
                "cannot find `uv`", hint="`python -m pip install uv`, or use `--installer pip`"
            )
        return found


def default_python(env: Mapping[str, str] | None = None) -> str:
    """The interpreter to act on when none is named: the activated virtual environment (`VIRTUAL_ENV`), else
    the activated conda environment (`CONDA_PREFIX`), else the one running torchsmith (as uv and pip do)."""
    environ = os.environ if env is None else env
    for variable in ("VIRTUAL_ENV", "CONDA_PREFIX"):
        prefix = environ.get(variable, "").strip()
        if prefix:
            candidate = venv_python(Path(prefix))
            if sys.platform != "win32" and not candidate.exists():
                candidate = Path(prefix) / "bin" / "python3"
            if candidate.exists():
                return str(candidate)
    return sys.executable


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def resolve_target(
    python: str | None, venv: str | None, *, seed_pip: bool = False, timeout: float | None = None
) -> TargetPython:
    """The interpreter to act on: `--python`, `--venv` (created with uv if missing), or this one.

    `timeout` (default 60 s) limits asking the interpreter about itself, its process group included."""
    if venv is not None:
        location = Path(venv)
        executable = venv_python(location)
        if not executable.exists():
            command = [find_uv(), "venv", str(location), "--python", sys.executable, "--quiet"]
            if seed_pip:
                command.append("--seed")
            from torchsmith.children import run_captured

            existed = location.exists()
            try:
                # never `--clear` (or UV_VENV_CLEAR) a folder that exists: it may be the user's project
                env = {k: v for k, v in os.environ.items() if k != "UV_VENV_CLEAR"}
                completed = run_captured(command, timeout=300, env=env)
                if completed.returncode != 0:
                    raise InstallError(
                        f"cannot create the virtual environment `{location}`: "
                        f"{completed.stderr.decode(errors='replace').strip() or 'uv venv timed out'}"
                    )
            except BaseException:  # a half-made environment is ours to remove (a signal, a failure)
                if not existed:
                    import shutil

                    shutil.rmtree(location, ignore_errors=True)
                raise
        python = str(executable)
    return inspect_python(python or default_python(), timeout=timeout)


_FAMILY_NAMES = ("torch", "torchvision", "torchaudio")


def _read_pyvenv_cfg(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip().lower()] = value.strip()
    return values


def _dist_info_family(site: Path) -> tuple[InstalledDist, ...]:
    """The torch family in a site-packages folder, from its `*.dist-info` folder names (PEP 427 escaping)."""
    found: dict[str, InstalledDist] = {}
    for dist_info in sorted(site.glob("*.dist-info")):
        name, _, version = dist_info.name[: -len(".dist-info")].partition("-")
        canonical = name.lower().replace("_", "-")
        if canonical not in _FAMILY_NAMES or not version or canonical in found:
            continue
        url = None
        direct = dist_info / "direct_url.json"
        if direct.is_file():
            url = _direct_url(direct)
        found[canonical] = InstalledDist(canonical, version, url)
    return tuple(found.values())


def _direct_url(path: Path) -> str | None:
    """The URL a distribution was installed from (PEP 610 `direct_url.json`), with `#sha256=` when the
    file records the archive's hash (what a restore needs to install exactly that file again)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        url = data.get("url")
        archive = data.get("archive_info") or {}
        digest = (archive.get("hashes") or {}).get("sha256")
        if not digest and str(archive.get("hash", "")).startswith("sha256="):
            digest = str(archive["hash"])[7:]
    except (OSError, ValueError, AttributeError, TypeError):
        return None
    if not isinstance(url, str):
        return None
    return f"{url}#sha256={digest}" if isinstance(digest, str) and digest and "#" not in url else url


def inspect_venv_files(python: str) -> TargetPython | None:
    """A virtual environment's interpreter from its files alone (no process started): `pyvenv.cfg` gives the
    version, the `lib/python3.X[t]/site-packages` folder the ABI, its `*.dist-info` folders the torch family.
    None when `python` is not in a POSIX venv laid out that way (the caller then asks the interpreter)."""
    executable = Path(python)
    prefix = executable.parent.parent
    cfg = prefix / "pyvenv.cfg"
    if (
        sys.platform == "win32"
        or executable.parent.name != "bin"
        or not (cfg.is_file() and executable.exists())
    ):
        return None
    try:
        values = _read_pyvenv_cfg(cfg)
    except OSError:
        return None
    version = values.get("version_info") or values.get("version") or ""
    parts = version.split(".")
    if len(parts) < 3 or not all(p.isdigit() for p in parts[:2]):
        return None
    sites = [p for p in (prefix / "lib").glob(f"python{parts[0]}.{parts[1]}*/site-packages") if p.is_dir()]
    if len(sites) != 1 or values.get("implementation", "CPython").lower() != "cpython":
        return None
    free_threaded = sites[0].parent.name.endswith("t")
    return TargetPython(
        executable=str(executable),
        version=".".join(parts[:3]),
        abi=f"cp{parts[0]}{parts[1]}{'t' if free_threaded else ''}",
        prefix=str(prefix),
        family=_dist_info_family(sites[0]),
    )


def inspect_python(python: str, *, timeout: float | None = None) -> TargetPython:
    """The interpreter's facts and its installed torch family: from a venv's files when it is one, else from
    one run of a stdlib snippet in the interpreter."""
    from_files = inspect_venv_files(python)
    if from_files is not None:
        return from_files
    facts = run_snippet(python, _QUERY, timeout=60.0 if timeout is None else timeout)
    try:
        family = tuple(
            InstalledDist(str(r["name"]), str(r["version"]), r.get("url")) for r in facts["family"]
        )
        return TargetPython(
            executable=str(facts["executable"]),
            version=str(facts["version"]),
            abi=str(facts["abi"]),
            prefix=str(facts["prefix"]),
            implementation=str(facts["implementation"]),
            family=family,
        )
    except (KeyError, TypeError, AttributeError) as error:
        raise InstallError(
            f"`{python}` answered torchsmith's query with something unexpected ({type(error).__name__})",
            hint="is it a CPython interpreter? give its path to `--python`",
        ) from error


def installed_family(target: TargetPython) -> tuple[InstalledDist, ...]:
    """The torch-family distributions installed in the target now (inspects it again)."""
    return inspect_python(target.executable).family
