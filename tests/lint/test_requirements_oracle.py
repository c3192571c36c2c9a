"""Requirements files as pip reads them: pip's own parser (`pip._internal.req.req_file`) is the oracle.

For every case the same files are read by pip's `RequirementsFileParser` (the code `pip install -r`
runs) and by `torchsmith.lint.requirements`; the requirement lines (file, line, text, constraint or
not) and the index options that take effect must agree exactly. Where pip stops (a cycle, an unknown
option, a missing include) the linter must report the matching rule instead of a requirement.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pip._internal.exceptions import InstallationError, RequirementsFileParseError
from pip._internal.req.req_file import RequirementsFileParser, get_line_parser

from torchsmith.lint import lint_paths
from torchsmith.lint.requirements import RequirementsFile, parse_requirements

CU124 = "https://download.pytorch.org/whl/cu124"
H = "sha256:" + "a" * 64

CASES: dict[str, dict[str, str]] = {
    "plain": {"requirements.txt": "numpy>=1.26\ntorch==2.5.1\n"},
    "crlf": {"requirements.txt": "numpy\r\n--extra-index-url " + CU124 + "\r\ntorch==2.5.1+cu124\r\n"},
    "continuation": {
        "requirements.txt": "torch==2.5.1 \\\n    --hash=" + H + " \\\n    --hash=" + H + "\nnumpy\n"
    },
    "comment-continuation": {"requirements.txt": "# a comment \\\ntorch\n  # indented \\\nnumpy\n"},
    "markers": {
        "requirements.txt": 'torch==2.5.1 ; sys_platform == "linux" and python_version >= "3.10"\n'
        "torchvision==0.20.1; platform_machine=='x86_64'\n"
    },
    "several-options": {
        "requirements.txt": f"--extra-index-url {CU124} --extra-index-url https://example.org/simple "
        "--pre\ntorch\n"
    },
    "option-forms": {
        "requirements.txt": f"-i{CU124}\n--extra-index-url=https://a.example.org/simple\n"
        "-f https://b.example.org/links\n--find-links=./wheels\ntorch\n"
    },
    "abbreviated-option": {"requirements.txt": f"--extra-index {CU124}\ntorch\n"},
    "requirement-line-index": {"requirements.txt": f"torch==2.5.1 --index-url {CU124}\nnumpy\n"},
    "option-marker": {"requirements.txt": f'--extra-index-url {CU124} ; sys_platform == "linux"\ntorch\n'},
    "include-relative": {
        "requirements/dev.txt": "-r base.txt\n-c ../constraints.txt\npytest\n",
        "requirements/base.txt": f"--extra-index-url {CU124}\ntorch==2.5.1+cu124\ntorchvision\n",
        "constraints.txt": "torchvision==0.20.1+cu124\n",
    },
    "include-line-drops-options": {
        "requirements.txt": f"-r base.txt --extra-index-url {CU124}\ntorch\n",
        "base.txt": "numpy\n",
    },
    "urls-and-editables": {
        "requirements.txt": "-e .\n./vendor/pkg\n"
        "https://download.pytorch.org/whl/cu124/torch-2.5.1%2Bcu124-cp312-cp312-linux_x86_64.whl\n"
        "torchaudio @ https://download.pytorch.org/whl/cu124/torchaudio-2.5.1%2Bcu124-cp312-cp312-linux_x86_64.whl\n"
    },
    "env-var-and-bom": {"requirements.txt": "\ufefftorch==2.5.1\nnumpy\n"},
    "hash-only-line": {"requirements.txt": f"--hash={H}\ntorch\n"},
    "tabs-and-blank": {"requirements.txt": "\n\n   torch  \t\n\t# tab comment\nnumpy # trailing\n"},
}


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
    first = next(iter(files))
    return root / first


def _pip_view(path: Path, root: Path) -> dict[str, Any]:
    parser = RequirementsFileParser(session=None, line_parser=get_line_parser(None))  # type: ignore[arg-type]
    requirements = []
    index_url = None
    extra: list[str] = []
    links: list[str] = []
    for line in parser.parse(str(path), constraint=False):
        if line.requirement is not None:
            rel = Path(line.filename).resolve().relative_to(root.resolve()).as_posix()
            requirements.append((rel, line.lineno, line.requirement, line.constraint))
            continue
        index_url = line.opts.index_url or index_url
        extra += line.opts.extra_index_urls or []
        links += line.opts.find_links or []
    return {"requirements": sorted(requirements), "index-url": index_url, "extra": extra, "links": links}


def _our_view(path: Path, root: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.chdir(root)
    rel = path.relative_to(root)
    parsed: RequirementsFile = parse_requirements(
        rel, rel.as_posix(), path.read_text(encoding="utf-8-sig")
    ).data
    requirements = [(r.display or rel.as_posix(), r.line, r.text, r.constraint) for r in parsed.requirements]
    index_url = None
    extra: list[str] = []
    links: list[str] = []
    for option in parsed.options:
        if option.name == "index-url":
            index_url = option.value
        elif option.name == "extra-index-url":
            extra.append(option.value)
        elif option.name == "find-links":
            links.append(option.value)
    return {"requirements": sorted(requirements), "index-url": index_url, "extra": extra, "links": links}


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_linter_reads_requirements_as_pip_does(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path, CASES[case])
    assert _our_view(path, tmp_path, monkeypatch) == _pip_view(path, tmp_path)


def _rules(root: Path, files: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int, str]]:
    path = _write(root, files)
    monkeypatch.chdir(root)
    found = lint_paths([path.relative_to(root)]).findings
    return [(f.location.path, f.location.line, f.rule) for f in found if f.location]


def test_a_cycle_stops_pip_and_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        "requirements.txt": "torch\n-r dev-requirements.txt\n",
        "dev-requirements.txt": "-r requirements.txt\n",
    }
    path = _write(tmp_path, files)
    with pytest.raises(RequirementsFileParseError, match="recursively references itself"):
        _pip_view(path, tmp_path)
    assert _rules(tmp_path, files, monkeypatch) == [("dev-requirements.txt", 1, "requirements-include-cycle")]


def test_an_unknown_option_stops_pip_and_is_a_parse_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {"requirements.txt": "--no-such-option x\ntorch\n"}
    path = _write(tmp_path, files)
    with pytest.raises(RequirementsFileParseError):
        _pip_view(path, tmp_path)
    assert _rules(tmp_path, files, monkeypatch) == [("requirements.txt", 1, "parse-error")]


def test_a_missing_include_stops_pip_and_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"requirements.txt": "torch\n-r nope.txt\n"}
    path = _write(tmp_path, files)
    with pytest.raises(InstallationError, match="Could not open requirements file"):
        _pip_view(path, tmp_path)
    assert _rules(tmp_path, files, monkeypatch) == [("requirements.txt", 2, "requirements-include-missing")]


def test_an_include_naming_a_nul_byte_is_missing_not_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # pip stops: no file can have that name (open() refuses it); the linter reports the include
    files = {"requirements.txt": "torch\n-r \x00base.txt\n"}
    path = _write(tmp_path, files)
    with pytest.raises((InstallationError, ValueError)):
        _pip_view(path, tmp_path)
    assert _rules(tmp_path, files, monkeypatch) == [("requirements.txt", 2, "requirements-include-missing")]


def test_options_pip_ignores_are_reported_where_pip_ignores_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # pip's handle_line docstring: on a requirement line only --hash / --config-settings apply; on an
    # option line every other word is dropped by optparse (the pip view above confirms both).
    assert _rules(tmp_path, CASES["requirement-line-index"], monkeypatch) == [
        ("requirements.txt", 1, "requirements-ignored-option")
    ]
    assert _rules(tmp_path, CASES["option-marker"], monkeypatch) == [
        ("requirements.txt", 1, "requirements-option-marker-ignored")
    ]
