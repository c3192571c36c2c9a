"""Which files `torchsmith lint` reads, what format each is, and how its path is shown.

A folder stands for the configs in it and below it, named as projects name them (`NAMES`, which the
pre-commit hook's `files:` pattern mirrors). Like ruff, the walk skips a default list of tool and
virtual-environment folders (`DEFAULT_EXCLUDE`, replaced by the `exclude` setting, extended by
`extend-exclude` and `--exclude`), any folder holding a `pyvenv.cfg`, and whatever `.gitignore` files
(from the repository root down) and `.git/info/exclude` ignore. A file named on the command line is
linted whatever its name (format from its suffix) unless `force_exclude` and an exclude pattern says
otherwise. A folder that cannot be listed becomes an `io-error` finding; the walk goes on.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from torchsmith.errors import UsageError
from torchsmith.findings import Finding, Location
from torchsmith.lint.document import Kind
from torchsmith.lint.gitignore import IgnoreRules, compile_pattern, parse_gitignore, read_ignore_file

__all__ = ["DEFAULT_EXCLUDE", "NAMES", "Discovery", "discover", "display_path", "io_error", "kind_of"]

DEFAULT_EXCLUDE: tuple[str, ...] = (
    ".bzr",
    ".direnv",
    ".eggs",
    ".git",
    ".git-rewrite",
    ".hg",
    ".ipynb_checkpoints",
    ".mypy_cache",
    ".nox",
    ".pants.d",
    ".pixi",
    ".pyenv",
    ".pytest_cache",
    ".pytype",
    ".ruff_cache",
    ".svn",
    ".tox",
    ".venv",
    ".vscode",
    "__pycache__",
    "__pypackages__",
    "_build",
    "buck-out",
    "build",
    "dist",
    "node_modules",
    "site-packages",
    "venv",
)
"""ruff's default `exclude` list (https://docs.astral.sh/ruff/settings/#exclude) plus `.pixi` and caches."""

NAMES: tuple[tuple[str, Kind], ...] = (
    ("pyproject.toml", "pyproject"),
    ("pixi.toml", "pixi"),
    ("uv.toml", "uv"),
    ("environment*.yml", "conda"),
    ("environment*.yaml", "conda"),
    ("*.environment.yml", "conda"),
    ("*.environment.yaml", "conda"),
    ("conda*.yml", "conda"),
    ("conda*.yaml", "conda"),
    ("*-env.yml", "conda"),
    ("*-env.yaml", "conda"),
    ("pip.conf", "pip-conf"),
    ("pip.ini", "pip-conf"),
    (".condarc", "condarc"),
    ("*requirements*.txt", "requirements"),
    ("*requirements*.in", "requirements"),
    ("constraints*.txt", "requirements"),
)
"""Discovered file names (case-insensitive); `.txt` / `.in` files anywhere below a `requirements/` folder
too (Lightning keeps `requirements/pytorch/base.txt`)."""

_BY_SUFFIX: dict[str, Kind] = {
    ".yml": "conda",
    ".yaml": "conda",
    ".txt": "requirements",
    ".in": "requirements",
    ".conf": "pip-conf",
    ".ini": "pip-conf",
}


_NAME_PARTS = [(pattern.split("*"), kind) for pattern, kind in NAMES]


def _glob(name: str, parts: list[str]) -> bool:
    """`fnmatch.fnmatchcase(name, "*".join(parts))` for a pattern whose only wildcard is `*` (all of
    `NAMES`), by string search: compiling 17 regular expressions cost more than the walk they served."""
    if len(parts) == 1:
        return name == parts[0]
    first, last = parts[0], parts[-1]
    if len(name) < len(first) + len(last) or not name.startswith(first) or not name.endswith(last):
        return False
    position, end = len(first), len(name) - len(last)
    for middle in parts[1:-1]:  # leftmost placement of each part leaves the most room for the rest
        found = name.find(middle, position, end)
        if found < 0:
            return False
        position = found + len(middle)
    return True


@lru_cache(maxsize=4096)
def _name_kind(name: str) -> Kind | None:
    """The format `NAMES` gives a (lower-case) file name; cached, names recur all over a tree."""
    for parts, kind in _NAME_PARTS:
        if _glob(name, parts):
            return kind
    return None


def kind_of(path: Path, *, explicit: bool = False) -> Kind | None:
    """The format of a file from its name (`explicit`: a file the user named, judged by suffix too)."""
    name = path.name.lower()
    kind = _name_kind(name)
    if kind is not None:
        return kind
    if name.endswith((".txt", ".in")) and "requirements" in (p.lower() for p in path.parent.parts):
        return "requirements"  # requirements/dev.txt, and nested ones: requirements/pytorch/base.txt
    if explicit:
        if name.endswith(".toml"):
            return "pixi" if "pixi" in name else "uv" if name.startswith("uv") else "pyproject"
        if name.endswith("condarc"):
            return "condarc"
        return _BY_SUFFIX.get(path.suffix.lower())
    return None


def io_error(path: Path, reason: str) -> Finding:
    """The `io-error` finding for a file or folder that cannot be read (the run goes on)."""
    shown = display_path(path)
    return Finding(
        rule="io-error",
        severity="error",
        message=reason,
        fix=f"check the permissions and type of `{shown}`, or exclude it with `--exclude`",
        location=Location(shown, 1, 1, path.name),
    )


class Discovery:
    """The config files found (with their format) and the folders that could not be read.

    A plain slotted class, not a dataclass: nothing compares or prints it, and creating a dataclass at
    import costs lint's start-up (issue 17)."""

    __slots__ = ("errors", "files")

    def __init__(self) -> None:
        self.files: list[tuple[Path, Kind]] = []
        self.errors: list[Finding] = []


def _git_root(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return None


def _rel(path: Path, root: Path) -> str | None:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return None


class _Walker:
    def __init__(self, exclude: Sequence[str], exclude_root: Path, respect_gitignore: bool) -> None:
        self.exclude = IgnoreRules([p for p in (compile_pattern(e) for e in exclude) if p is not None])
        self.exclude_root = exclude_root.absolute()
        self.respect_gitignore = respect_gitignore
        self.out = Discovery()

    def excluded(self, path: Path, is_dir: bool, *, parents: bool = False) -> bool:
        """Whether an exclude pattern matches `path` (with `parents`: or a folder above it, for files
        named on the command line, which the walk did not reach through their folders)."""
        absolute = path.absolute()
        rel = _rel(absolute, self.exclude_root)
        if rel is not None and rel not in ("", "."):
            parts = rel.split("/")
            steps = range(1, len(parts)) if parents else range(0)
            if any(self.exclude.ignored("/".join(parts[:i]), True) for i in steps):
                return True
            if self.exclude.ignored(rel, is_dir):
                return True
        return self.exclude.ignored(path.name, is_dir)

    def _ancestor_rules(self, folder: Path) -> tuple[IgnoreRules, Path]:
        """Patterns of `.gitignore` files from the repository root down to `folder`, and that root."""
        absolute = folder.absolute()
        root = _git_root(absolute) or absolute
        rules = IgnoreRules()
        if not self.respect_gitignore:
            return rules, root
        info = read_ignore_file(root / ".git" / "info" / "exclude") if (root / ".git").is_dir() else None
        if info:
            rules = rules.extended(parse_gitignore(info, ""))
        for directory in reversed(absolute.parents):
            if directory == root or root in directory.parents:
                rules = self._load(directory, root, rules)
        return rules, root

    def _load(self, directory: Path, root: Path, rules: IgnoreRules) -> IgnoreRules:
        base = _rel(directory, root) or ""
        return self._load_at(str(directory), "" if base == "." else base, rules)

    def _load_at(self, directory: str, base: str, rules: IgnoreRules) -> IgnoreRules:
        """`rules` and the patterns of `directory`'s `.gitignore` (`base`: `directory` relative to the root).

        Strings, not Paths, as in `_walk`: this runs once per folder of the tree."""
        if not self.respect_gitignore:
            return rules
        gitignore = os.path.join(directory, ".gitignore")  # noqa: PTH118 - see the docstring
        if not os.path.isfile(gitignore):  # noqa: PTH113
            return rules
        text = read_ignore_file(Path(gitignore))
        return rules.extended(parse_gitignore(text, base)) if text else rules

    def walk(self, folder: Path) -> None:
        rules, root = self._ancestor_rules(folder)
        absolute = folder.absolute()
        self._walk(str(folder), _rel(absolute, root) or "", _rel(absolute, self.exclude_root), rules)

    def _walk(self, folder: str, rel_dir: str, ex_dir: str | None, rules: IgnoreRules) -> None:
        """`rel_dir`: `folder` relative to the repository root ("" at it); `ex_dir`: relative to the
        exclude root (None outside it). Strings, not Paths: this loop runs once per entry of the tree."""
        rel_dir = "" if rel_dir == "." else rel_dir
        rules = self._load_at(folder, rel_dir, rules)
        try:
            with os.scandir(folder) as scan:
                entries = sorted(scan, key=lambda e: e.name)
        except OSError as error:
            from torchsmith.fileio import describe_os_error

            reason = f"cannot list folder: {describe_os_error(error)}"
            self.out.errors.append(io_error(Path(folder), reason))
            return
        for entry in entries:
            name = entry.name
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                is_dir = False
            rel = f"{rel_dir}/{name}" if rel_dir else name
            ex_rel = None if ex_dir is None else (f"{ex_dir}/{name}" if ex_dir not in ("", ".") else name)
            if rules.ignored(rel, is_dir) or self.exclude.ignored(name, is_dir):
                continue
            if ex_rel is not None and self.exclude.ignored(ex_rel, is_dir):
                continue
            if is_dir:
                if not os.path.exists(os.path.join(entry.path, "pyvenv.cfg")):  # noqa: PTH110, PTH118
                    self._walk(entry.path, rel, ex_rel, rules)
                continue
            kind = _kind_of_rel(rel)  # relative to the repository: `requirements/` above it does not count
            if kind is not None:
                self.out.files.append((Path(entry.path), kind))


def _kind_of_rel(rel: str) -> Kind | None:
    """`kind_of` for a POSIX path relative to the repository, without building a Path."""
    folder, _, name = rel.rpartition("/")
    lowered = name.lower()
    kind = _name_kind(lowered)
    if kind is not None:
        return kind
    if lowered.endswith((".txt", ".in")) and "requirements" in folder.lower().split("/"):
        return "requirements"
    return None


def discover(
    paths: Sequence[Path],
    *,
    exclude: Sequence[str] = DEFAULT_EXCLUDE,
    exclude_root: Path | None = None,
    respect_gitignore: bool = True,
    force_exclude: bool = False,
) -> Discovery:
    """The files to lint with their formats (stable order, each once) and `io-error`s for unlistable folders.

    `exclude` holds gitignore-style patterns relative to `exclude_root` (default: the current folder);
    the caller passes `DEFAULT_EXCLUDE` (or the `exclude` setting) plus `extend-exclude` and `--exclude`.
    """
    walker = _Walker(exclude, exclude_root or Path.cwd(), respect_gitignore)
    for path in paths:
        if path.is_dir():
            walker.walk(path)
            continue
        if not os.path.lexists(path):
            raise UsageError(f"no such file or folder `{path}` (from the command line)")
        if force_exclude and walker.excluded(path, False, parents=True):
            continue
        kind = kind_of(path, explicit=True)
        if kind is None:
            raise UsageError(
                f"cannot lint `{path}`: not a pyproject.toml, pixi.toml, uv.toml, environment.yml, "
                "requirements*.txt, constraints*.txt, pip.conf or .condarc file"
            )
        walker.out.files.append((path, kind))
    seen: set[str] = set()
    unique: list[tuple[Path, Kind]] = []
    for candidate, kind in walker.out.files:
        key = os.path.abspath(candidate)  # noqa: PTH100 - no realpath: it costs an lstat per path step
        if key not in seen:
            seen.add(key)
            unique.append((candidate, kind))
    walker.out.files = unique
    return walker.out


def display_path(path: Path) -> str:
    """The path relative to the current folder when it is inside it, else as given."""
    if not path.is_absolute():
        return path.as_posix()
    text, cwd = str(path), os.getcwd()  # noqa: PTH109 - a str is all this needs, once per file
    prefix = cwd if cwd.endswith(os.sep) else cwd + os.sep
    if text.startswith(prefix):
        return Path(text[len(prefix) :]).as_posix()  # string work: this runs once per linted file
    return text
