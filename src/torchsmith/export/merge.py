"""Merging torchsmith's sections into files the user already has, keeping every other byte.

TOML goes through tomlkit (https://tomlkit.readthedocs.io), YAML through ruamel.yaml's round-trip mode
(https://yaml.readthedocs.io), both of which keep comments, order and formatting. A value is only
assigned when it differs from what the file already holds, so exporting twice changes nothing (the second
run sees equal values and leaves the document alone). Plain-text files (requirements, Dockerfiles) get a
marked block: the lines between `# >>> torchsmith ... >>>` and `# <<< torchsmith <<<` are torchsmith's.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from torchsmith.errors import UsageError

__all__ = [
    "BLOCK_END",
    "BLOCK_START",
    "Guard",
    "check_requirement_lines",
    "ensure_table",
    "inline",
    "join_constraints",
    "kept_constraint",
    "load_toml",
    "load_yaml",
    "merge_aot",
    "merge_requirement_list",
    "multiline_array",
    "parse_value",
    "pep440",
    "replace_block",
    "set_if_changed",
    "unwrap",
    "yaml_text",
]

BLOCK_START = "# >>> torchsmith export >>> (generated: edit outside this block, or re-run the export)"
BLOCK_END = "# <<< torchsmith export <<<"


@dataclass(slots=True)
class Guard:
    """What the user already wrote for the torch family is theirs: kept when the plan satisfies it, else
    the export stops (exit 2) naming the conflict, unless `--force` was given.

    `chosen` holds, per canonical family name, every version the export chose across its targets (the
    user's constraint must admit all of them). `notes` collects what was kept or, with `force`, replaced.
    """

    where: str
    chosen: Mapping[str, frozenset[str]]
    force: bool = False
    notes: list[str] = dataclasses.field(default_factory=list)

    def admits(self, name: str, specifier: str) -> bool | None:
        """True when every chosen version of `name` satisfies the PEP 440 `specifier`; None if unparsable."""
        from packaging.specifiers import InvalidSpecifier, SpecifierSet

        try:
            spec = SpecifierSet(specifier)
        except InvalidSpecifier:
            return None
        versions = self.chosen.get(canonicalize_name(name), frozenset())
        return all(spec.contains(v, prereleases=True) for v in versions)

    def conflict(self, name: str, theirs: str, ours: str) -> None:
        """Stop, or with `force` note the replacement; the message names both sides and the fix."""
        chosen = ", ".join(sorted(self.chosen.get(canonicalize_name(name), ()))) or "none"
        if self.force:
            self.notes.append(f"replaced `{theirs}` in `{self.where}` by `{ours}` (`--force`)")
            return
        raise UsageError(
            f"cannot merge into `{self.where}`: it has `{theirs}` for `{name}`, which the export's choice "
            f"(`{name}` {chosen}) does not satisfy; torchsmith would write `{ours}`",
            hint=f"name the version you want on the command line (e.g. `torchsmith export ... {name}==...`), "
            "or add `--force` to replace the file's entry",
        )

    def keep(self, name: str, theirs: str) -> None:
        self.notes.append(f"kept `{theirs}` from `{self.where}` (the export's choice satisfies it)")


def merge_family_requirement(guard: Guard | None, theirs: str, ours: str) -> str:
    """The entry to write for a torch-family requirement the file already has as `theirs`.

    A bare `torch` (no version, URL or marker) is replaced by ours. A version constraint the plan satisfies
    is kept, joined with the one asked for on the command line (`torch>=2.4,==2.6.0`). A direct URL, an
    unparsable entry or an unsatisfied constraint is a conflict (`Guard.conflict`).
    """
    if guard is None or theirs.strip() == ours.strip():
        return ours
    try:
        mine, their = Requirement(ours), Requirement(theirs)
    except InvalidRequirement:
        guard.conflict(ours.split(";")[0].strip(), theirs, ours)
        return ours
    if not their.specifier and not their.url and not their.marker and not their.extras:
        return ours
    if their.url or (their.marker and mine.marker and str(their.marker) != str(mine.marker)):
        guard.conflict(mine.name, theirs, ours)
        return ours
    if not guard.admits(mine.name, str(their.specifier)):
        guard.conflict(mine.name, theirs, ours)
        return ours
    guard.keep(mine.name, theirs)
    if not mine.specifier and not (mine.extras - their.extras) and not (mine.marker and not their.marker):
        return theirs
    parts = list(dict.fromkeys([*str(their.specifier).split(","), *str(mine.specifier).split(",")]))
    specifier = ",".join(p for p in parts if p)
    extras = sorted(their.extras | mine.extras)
    text = their.name + (f"[{','.join(extras)}]" if extras else "") + specifier
    marker = their.marker or mine.marker
    return f"{text}; {marker}" if marker else text


def pep440(spec: str) -> str | None:
    """A version constraint as PEP 440, from the spellings config files use: PEP 440 itself, poetry's
    `^2.4` / `~2.4` (https://python-poetry.org/docs/dependency-specification/), conda's `2.4.*`, `2.4.1`,
    `=2.4` and `2.4.1 <build>` (https://docs.conda.io/projects/conda-build/en/latest/resources/package-spec.html).
    "" for no constraint (`*`); None when it cannot be read (an `|`, a build-only spec)."""
    text = spec.strip()
    if text in ("", "*"):
        return ""
    if "|" in text:
        return None
    parts = []
    for raw in text.split(","):
        part = raw.strip().split(" ")[0]
        if not part:
            return None
        if part.startswith("^") or (part.startswith("~") and not part.startswith("~=")):
            numbers = part.lstrip("^~").split(".")
            if not all(n.isdigit() for n in numbers):
                return None
            values = [int(n) for n in numbers]
            if part.startswith("^"):
                cut = next((i for i, v in enumerate(values) if v), len(values) - 1)
            else:
                cut = min(1, len(values) - 1) if len(values) > 1 else 0
            upper = [*values[:cut], values[cut] + 1]
            parts += [f">={'.'.join(numbers)}", f"<{'.'.join(map(str, upper))}"]
        elif part[0].isdigit():
            parts.append(f"=={part}")
        elif part.startswith("=") and not part.startswith("=="):
            parts.append(f"=={part[1:]}" + ("" if part.endswith("*") else ".*"))
        else:
            parts.append(part)
    joined = ",".join(parts)
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        SpecifierSet(joined)
    except InvalidSpecifier:
        return None
    return joined


def join_constraints(kept: str | None, ours: str) -> str:
    """The file's kept constraint AND the one torchsmith writes, each part once (`*` is no constraint)."""
    if not kept:
        return ours
    parts = [p.strip() for text in (kept, ours) for p in text.split(",") if p.strip() not in ("", "*")]
    return ",".join(dict.fromkeys(parts)) or "*"


def kept_constraint(
    guard: Guard | None, name: str, value: Any, *, ours: str, plain_keys: Iterable[str] = ("version",)
) -> str | None:
    """The version constraint to keep from a file's own table entry for a torch-family package.

    `value` is what the file holds (a string, a table, or a list of tables as poetry writes multiple
    constraints). None when there is nothing to keep (no entry, `*`, or torchsmith's own shape with no
    version); the file's constraint text when the plan satisfies it; a `Guard.conflict` otherwise
    (including entries that name their own source: `git`, `path`, `url`, `channel`, ...).
    """
    if guard is None or value is None:
        return None
    entries = value if isinstance(value, list) else [value]
    allowed = {"version", *plain_keys}
    texts: list[str] = []
    for entry in entries:
        if isinstance(entry, dict):
            if set(entry) - allowed:
                guard.conflict(name, f"{name} = {value}", ours)
                return None
            text = entry.get("version")
        else:
            text = entry
        if text is None:
            continue
        if not isinstance(text, str):
            guard.conflict(name, f"{name} = {value}", ours)
            return None
        texts.append(text)
    distinct = list(dict.fromkeys(t.strip() for t in texts))
    if not distinct or all(pep440(t) == "" for t in distinct):
        return None
    if len(distinct) > 1:
        guard.conflict(name, f"{name} = {value}", ours)
        return None
    converted = pep440(distinct[0])
    if converted is None or not guard.admits(name, converted):
        guard.conflict(name, f"{name} = {distinct[0]!r}", ours)
        return None
    guard.keep(name, f"{name} = {distinct[0]!r}")
    return distinct[0]


def load_toml(text: str | None, *, where: str) -> Any:
    """Parse `text` (None: a new empty document); raise `UsageError` naming `where` on bad TOML."""
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    try:
        return tomlkit.parse(text or "")
    except TOMLKitError as error:
        raise UsageError(f"cannot merge into `{where}`: invalid TOML: {error}") from error


def unwrap(value: Any) -> Any:
    """The plain Python value of a tomlkit item (or the value itself)."""
    return value.unwrap() if hasattr(value, "unwrap") else value


def ensure_table(container: Any, path: Sequence[str], *, super_last: bool = False) -> Any:
    """The table at `path` under `container`, created (as super tables for parents) when missing."""
    import tomlkit

    current = container
    for depth, key in enumerate(path):
        if key not in current:
            last = depth == len(path) - 1
            current.append(key, tomlkit.table(is_super_table=super_last or not last))
        current = current[key]
    return current


def inline(data: dict[str, Any]) -> Any:
    """A tomlkit inline table written `{ key = value, ... }` (the spacing of uv's and pixi's docs)."""
    import tomlkit

    body = ", ".join(f"{key} = {tomlkit.item(value).as_string()}" for key, value in data.items())
    return tomlkit.parse(f"x = {{ {body} }}\n")["x"]


def parse_value(text: str) -> Any:
    """A tomlkit item parsed from TOML source, keeping its exact layout (nested arrays of tables)."""
    import tomlkit

    return tomlkit.parse(f"x = {text}\n")["x"]


def multiline_array(items: Iterable[Any]) -> Any:
    """A tomlkit array written one item per line, as uv's and pixi's docs write them."""
    import tomlkit

    array = tomlkit.array()
    for item in items:
        array.append(item)
    return array.multiline(True)


def set_if_changed(container: Any, key: str, plain: Any, build: Callable[[], Any] | None = None) -> bool:
    """Set `container[key]` to `build()` (or `plain`) unless it already equals `plain`; True if set."""
    if key in container and unwrap(container[key]) == plain:
        return False
    container[key] = build() if build is not None else plain
    return True


def merge_aot(container: Any, key: str, entries: Sequence[dict[str, Any]], *, ident: str = "name") -> None:
    """Make each entry present in the array of tables `container[key]`, matched by `ident`; keep others."""
    import tomlkit

    if key not in container:
        aot = tomlkit.aot()
        for entry in entries:
            aot.append(_table(entry))
        container.append(key, aot)
        return
    aot = container[key]
    for entry in entries:
        existing = next((t for t in aot if unwrap(t).get(ident) == entry[ident]), None)
        if existing is None:
            aot.append(_table(entry))
            continue
        for field, value in entry.items():
            set_if_changed(existing, field, value)


def _table(entry: dict[str, Any]) -> Any:
    import tomlkit

    table = tomlkit.table()
    for field, value in entry.items():
        table[field] = value
    return table


def _req_name(text: Any) -> str | None:
    try:
        return canonicalize_name(Requirement(str(text)).name)
    except InvalidRequirement:
        return None


def merge_requirement_list(
    container: Any,
    key: str,
    wanted: Sequence[str],
    managed: Iterable[str],
    *,
    guard: Guard | None = None,
) -> None:
    """Keep `container[key]` (a PEP 508 list) but with the entries named in `managed` replaced by `wanted`.

    Entries for managed names that are not wanted are removed; wanted entries take the place of the first
    managed entry (or go last). Nothing changes when the list already reads that way. With a `guard`, the
    file's own constraints on torch-family names are kept when compatible (see `merge_family_requirement`).
    """
    managed_names = {canonicalize_name(n) for n in managed}
    current = [str(v) for v in unwrap(container[key])] if key in container else None
    if current is None:
        container[key] = multiline_array(wanted)
        return
    if guard is not None:
        theirs = {_req_name(item): item for item in current if _req_name(item) in guard.chosen}
        wanted_names = {_req_name(item) for item in wanted}
        wanted = [
            merge_family_requirement(guard, theirs[name], item)
            if (name := _req_name(item)) in theirs
            else item
            for item in wanted
        ]
        for name, item in theirs.items():  # family entries the export does not manage must still fit
            if name not in wanted_names and name is not None:
                kept = merge_family_requirement(guard, item, name)
                if kept != item:
                    index = current.index(item)
                    container[key][index] = name
                    current[index] = name
    kept_before: list[str] = []
    kept_after: list[str] = []
    seen_managed = False
    for item in current:
        if _req_name(item) in managed_names:
            seen_managed = True
        elif seen_managed:
            kept_after.append(item)
        else:
            kept_before.append(item)
    result = [*kept_before, *wanted, *kept_after]
    if result == current:
        return
    array = container[key]
    for index in range(len(array) - 1, -1, -1):
        if _req_name(array[index]) in managed_names:
            del array[index]
    position = len(kept_before)
    for offset, item in enumerate(wanted):
        array.insert(position + offset, item)
    if len(array) > 1 and len(current) <= 1:
        array.multiline(True)


def replace_block(existing: str | None, block: str) -> str:
    """Put `block` between torchsmith's markers in `existing`, keeping every line outside them."""
    body = f"{BLOCK_START}\n{block.rstrip()}\n{BLOCK_END}\n"
    if not existing:
        return body
    start = existing.find(BLOCK_START)
    end = existing.find(BLOCK_END)
    if start != -1 and end > start:
        tail = existing[end + len(BLOCK_END) :]
        return existing[:start] + body.rstrip("\n") + tail
    separator = "" if existing.endswith("\n") else "\n"
    return f"{existing}{separator}\n{body}"


def check_requirement_lines(guard: Guard | None, existing: str | None) -> str | None:
    """The user's own requirement lines (outside torchsmith's block) for the torch family must fit the plan.

    A compatible line stays as it is; an incompatible one is a conflict, or with `--force` is commented
    out (kept visible, marked as replaced). Returns the text to merge the block into."""
    if guard is None or not existing:
        return existing
    start, end = existing.find(BLOCK_START), existing.find(BLOCK_END)
    lines = existing.split("\n")
    offset = 0
    for index, line in enumerate(lines):
        inside = start != -1 and end > start and start <= offset <= end
        offset += len(line) + 1
        text = line.split(" #", 1)[0].strip()
        if inside or not text or text.startswith(("#", "-")):
            continue
        name = _req_name(text)
        if name is None or name not in guard.chosen:
            continue
        if merge_family_requirement(guard, text, name) == name and text != name:
            lines[index] = f"# {line}  # replaced by `torchsmith export --force`"
    return "\n".join(lines)


def _yaml() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    return yaml


def load_yaml(text: str | None, *, where: str) -> Any:
    """Round-trip load of a YAML mapping (None: a new empty one); `UsageError` naming `where` if bad."""
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.error import YAMLError

    if not text or not text.strip():
        return CommentedMap()
    try:
        data = _yaml().load(text)
    except YAMLError as error:
        raise UsageError(f"cannot merge into `{where}`: invalid YAML: {error}") from error
    if not isinstance(data, CommentedMap):
        raise UsageError(f"cannot merge into `{where}`: expected a YAML mapping at the top")
    return data


def yaml_text(data: Any) -> str:
    """Dump a round-trip YAML document back to text."""
    stream = io.StringIO()
    _yaml().dump(data, stream)
    return stream.getvalue()
