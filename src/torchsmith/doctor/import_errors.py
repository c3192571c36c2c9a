"""Classify why `import torch` failed, from the exception's type and message alone.

The messages are the dynamic loader's and Python's, so they are stable across torch versions:

* `undefined-symbol`: `.../libtorch_cuda.so: undefined symbol: ncclCommRegister` — two builds that do not
  match (torch vs. its nvidia-* libraries, or a library on LD_LIBRARY_PATH).
* `missing-library`: `libcudart.so.12: cannot open shared object file: No such file or directory`.
* `dll-load`: Windows' `[WinError 126] ... Error loading "...\\torch\\lib\\c10.dll"`.
* `numpy-abi`: `numpy.core.multiarray failed to import`, `A module that was compiled using NumPy 1.x
  cannot be run in NumPy 2.0.0`, `_ARRAY_API not found` — an old torch beside NumPy 2.
* `glibc`: ``version `GLIBC_2.28' not found`` — the system C library is older than the wheel's floor.
* `libstdcxx`: ``version `GLIBCXX_3.4.30' not found`` — an older libstdc++ (often conda's) was loaded.
* `incomplete-install`: `No module named 'torch._C'` — a torch directory without its compiled core.
* `missing-dependency`: `No module named 'typing_extensions'` — a Python dependency is not installed.
* `other`: anything else; the message is still shown as evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["ImportErrorKind", "classify_import_error"]

_UNDEFINED = re.compile(r"(?:(?P<lib>[^\s:]+\.so[0-9.]*): )?undefined symbol: (?P<symbol>\S+)")
_MISSING = re.compile(r"(?P<lib>[\w.+-]+\.so(?:\.[0-9]+)*): cannot open shared object file")
_DLL = re.compile(r"Error loading \"(?P<lib>[^\"]+\.dll)\"|DLL load failed", re.IGNORECASE)
_GLIBC = re.compile(r"version `GLIBC_(?P<version>[0-9.]+)' not found")
_GLIBCXX = re.compile(r"version `(?P<version>(?:GLIBCXX|CXXABI)_[0-9.]+)' not found")
_NUMPY = (
    "numpy.core.multiarray failed to import",
    "numpy.core._multiarray_umath failed to import",
    "compiled using NumPy 1.x cannot be run in",
    "_ARRAY_API not found",
)
_NO_MODULE = re.compile(r"No module named '(?P<module>[^']+)'")


@dataclass(frozen=True, slots=True)
class ImportErrorKind:
    """The class of an import failure and what it names (a library, symbol, version or module)."""

    kind: str
    subject: str | None = None
    library: str | None = None

    def describe(self) -> str:
        """A short phrase for the finding's message."""
        match self.kind:
            case "undefined-symbol":
                where = f" in `{self.library}`" if self.library else ""
                return f"undefined symbol `{self.subject}`{where}: torch and a library it loads do not match"
            case "missing-library":
                return f"the shared library `{self.subject}` cannot be found"
            case "dll-load":
                return f"a DLL failed to load{f' (`{self.subject}`)' if self.subject else ''}"
            case "numpy-abi":
                return "this torch was compiled against NumPy 1.x and NumPy 2 is installed"
            case "glibc":
                return f"the system C library is older than glibc {self.subject}, which this torch needs"
            case "libstdcxx":
                return f"the loaded libstdc++ lacks `{self.subject}`"
            case "incomplete-install":
                return "torch's compiled core `torch._C` is missing: the installation is incomplete"
            case "missing-dependency":
                return f"the Python module `{self.subject}` that torch imports is not installed"
            case "not-installed":
                return "torch is not installed"
        return "import failed"


def classify_import_error(type_name: str, message: str) -> ImportErrorKind:
    """Classify an exception from `import torch` by its type name and message; never raises."""
    if any(marker in message for marker in _NUMPY):
        return ImportErrorKind("numpy-abi", "numpy")
    if match := _GLIBC.search(message):
        return ImportErrorKind("glibc", match["version"])
    if match := _GLIBCXX.search(message):
        return ImportErrorKind("libstdcxx", match["version"])
    if match := _UNDEFINED.search(message):
        return ImportErrorKind("undefined-symbol", match["symbol"], match["lib"])
    if match := _MISSING.search(message):
        return ImportErrorKind("missing-library", match["lib"], match["lib"])
    if match := _DLL.search(message):
        return ImportErrorKind("dll-load", match["lib"], match["lib"])
    if match := _NO_MODULE.search(message):
        module = match["module"]
        if module == "torch":
            return ImportErrorKind("not-installed", "torch")
        if module.startswith("torch.") or module == "torch._C":
            return ImportErrorKind("incomplete-install", module)
        return ImportErrorKind("missing-dependency", module.split(".")[0])
    if "torch._C" in message or "cannot import name '_C'" in message:
        return ImportErrorKind("incomplete-install", "torch._C")
    return ImportErrorKind("other", type_name)
