"""PyYAML's `NON_PRINTABLE` pattern, pre-seeded in `re`'s cache by `yaml_files._import_yaml`.

The seeded pattern must match exactly the characters PyYAML's own does (every code point is checked), and
a fresh interpreter importing PyYAML through `_import_yaml` must end up with the seeded pattern: if PyYAML
ever changes its pattern, the seed is silently unused and this test says so.
"""

from __future__ import annotations

import re
import subprocess
import sys

from torchsmith.lint.yaml_files import _PYYAML_NON_PRINTABLE, _SAME_SET


def test_the_seeded_pattern_matches_the_same_characters() -> None:
    everything = "".join(map(chr, range(sys.maxunicode + 1)))
    theirs = re.compile(_PYYAML_NON_PRINTABLE)
    ours = re.compile(_SAME_SET)
    assert [m.start() for m in ours.finditer(everything)] == [m.start() for m in theirs.finditer(everything)]


def test_pyyaml_takes_the_seeded_pattern() -> None:
    code = (
        "from torchsmith.lint.yaml_files import _SAME_SET, _import_yaml\n"
        "yaml = _import_yaml()\n"
        "assert yaml.reader.Reader.NON_PRINTABLE.pattern == _SAME_SET, yaml.reader.Reader.NON_PRINTABLE\n"
        "assert yaml.safe_load('a: [1, b]') == {'a': [1, 'b']}\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
