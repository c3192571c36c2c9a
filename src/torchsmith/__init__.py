"""torchsmith: get the right PyTorch onto any machine and prove it works.

The public API is five functions (documented in `torchsmith.api`), reachable from here without importing
anything heavy: `import torchsmith` stays cheap because every name is loaded on first use.

```python
import torchsmith
torchsmith.plan(["torch"]).backend        # 'cu126'
torchsmith.doctor().healthy               # True
```

`doctor`, `export` and `lint` are also subpackages (`torchsmith.doctor.diagnose`, ...). So that both work,
those three modules are made callable when they are imported: calling `torchsmith.export(...)` calls
`torchsmith.api.export(...)`. Type checkers see the functions through `from torchsmith.api import ...`.
"""

from __future__ import annotations

import sys
from types import ModuleType

TYPE_CHECKING = False  # `typing` stays unloaded at start-up (issue 17); mypy reads the name as typing's
if TYPE_CHECKING:
    from typing import Any

    from torchsmith.api import plan, probe

__all__ = ["__version__", "doctor", "export", "lint", "plan", "probe"]

_FUNCTIONS = ("probe", "plan")
_CALLABLE_PACKAGES = ("doctor", "export", "lint")


def _version() -> str:
    try:
        from torchsmith._version import __version__ as version  # written by hatch-vcs at build time
    except ImportError:
        from importlib.metadata import PackageNotFoundError
        from importlib.metadata import version as installed

        try:
            return installed("torchsmith")
        except PackageNotFoundError:
            return "0+unknown"
    return str(version)


class _CallablePackage(ModuleType):
    """A subpackage that is also the API function of the same name."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from torchsmith import api

        return getattr(api, self.__name__.rsplit(".", 1)[1])(*args, **kwargs)


class _Package(ModuleType):
    """`torchsmith` itself: makes `doctor`, `export` and `lint` callable as the import system binds them."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _CALLABLE_PACKAGES and type(value) is ModuleType:
            value.__class__ = _CallablePackage
        super().__setattr__(name, value)


def __getattr__(name: str) -> Any:
    if name == "__version__":
        value = _version()
        globals()["__version__"] = value
        return value
    if name in _FUNCTIONS:
        from torchsmith import api

        return getattr(api, name)
    if name in _CALLABLE_PACKAGES:
        import importlib

        return importlib.import_module(f"torchsmith.{name}")
    raise AttributeError(f"module 'torchsmith' has no attribute {name!r}")


sys.modules[__name__].__class__ = _Package
