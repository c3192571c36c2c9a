"""The torch of a cell: the planned wheel on the backend's index, or the `[torch-wheels]` build given for it,
checked to be what the cell claims (torch of the cell's minor version, the backend as its local label, built
for the cell's Python). Wheel names: https://packaging.python.org/en/latest/specifications/
binary-distribution-format/ ; local labels: https://peps.python.org/pep-0440/#local-version-identifiers
"""

from __future__ import annotations

from pathlib import Path

from torchsmith.distro.cells import Cell
from torchsmith.distro.registry import Distro, DistroError
from torchsmith.index.settings import IndexSettings

__all__ = ["check_torch_wheel", "torch_requirement"]


def check_torch_wheel(cell: Cell, wheel: str) -> str:
    """The exact version of the `[torch-wheels]` file given for `cell`; raise `DistroError` unless it is a
    torch wheel of the cell's minor version, backend (local label, e.g. `+cpu`, `+cu126`) and Python.
    Wheel names: https://packaging.python.org/en/latest/specifications/binary-distribution-format/"""
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename

    name = wheel.rsplit("/", 1)[-1].replace("%2B", "+").replace("%2b", "+")
    try:
        project, version, _, tags = parse_wheel_filename(name)
    except InvalidWheelFilename:
        raise DistroError(
            f"`[torch-wheels]` gives `{wheel}` for cell `{cell.id}`, which is not a wheel"
        ) from None
    where = f"`[torch-wheels]` file `{name}` for cell `{cell.id}`"
    if project != "torch":
        raise DistroError(f"{where} is `{project}`, not torch")
    if f"{version.major}.{version.minor}" != cell.torch:
        raise DistroError(f"{where} is torch {version}, not torch {cell.torch}")
    if version.local != cell.backend:
        label = f"`+{version.local}`" if version.local else "no local label"
        raise DistroError(
            f"{where} has {label}, not `+{cell.backend}`: it is not the cell's backend",
            hint=f"give a `+{cell.backend}` build, or the cell id of this build",
        )
    python = "cp" + cell.python.replace(".", "")
    if not any(t.interpreter in (python, "py3") or t.abi == "abi3" for t in tags):
        raise DistroError(f"{where} is not built for Python {cell.python}")
    return str(version)


def torch_requirement(distro: Distro, cell: Cell, settings: IndexSettings) -> tuple[str, str, str | None]:
    """(`torch @ URL#sha256=…` line, exact version, sha256 or None) for `cell`: the checked `[torch-wheels]`
    file, or the planned wheel."""
    override = distro.torch_wheels.get(cell.id)
    if override:
        version = check_torch_wheel(cell, override)
        if "://" in override:
            return f"torch @ {override}", version, None
        path = Path(override)
        if not path.is_file():
            raise DistroError(f"`[torch-wheels]` file for cell `{cell.id}` does not exist: `{path}`")
        from torchsmith.distro.channel import file_sha256

        digest = file_sha256(path)
        return f"torch @ {path.as_uri()}", version, digest
    from torchsmith.machine.model import Libc, Machine
    from torchsmith.machine.override import override_machine
    from torchsmith.planning.plan import make_plan

    machine = override_machine(
        Machine(os="linux", arch="x86_64", libc=Libc("glibc", "2.35")), python=cell.python
    )
    plan = make_plan([f"torch=={cell.torch}.*"], machine=machine, backend=cell.backend, settings=settings)
    torch = plan.packages[0]
    if torch.url is None:
        raise DistroError(
            f"no torch file for cell `{cell.id}` (planned offline)", hint="unset `TORCHSMITH_OFFLINE`"
        )
    fragment = f"#sha256={torch.sha256}" if torch.sha256 else ""
    return f"torch @ {torch.url}{fragment}", torch.version, torch.sha256
