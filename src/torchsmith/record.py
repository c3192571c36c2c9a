"""`@record`: a frozen, slotted dataclass without the cost of building one.

Why it exists: `@dataclass` writes and compiles the source of `__init__`, `__repr__`, `__eq__`, `__hash__`,
`__setattr__` and `__delattr__` for every class it decorates. The 14 classes of `machine/model.py` cost about
as much to create as the whole probe costs to run (issue 17). `record` gives the same behaviour as
`@dataclass(frozen=True, slots=True)` with methods shared by every record instead of generated per class,
and keeps `__dataclass_fields__`, so `dataclasses.replace`, `fields`, `asdict` and `is_dataclass` work
unchanged; type checkers see a dataclass through `dataclass_transform`. Subclassing a record is not
supported (nothing does it); zero-argument `super()` inside a record's methods would not work either.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

__all__ = ["record"]

T = TypeVar("T")

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:

    def dataclass_transform(**_: Any) -> Callable[[T], T]:
        return lambda function: function


_MISSING: Any = dataclasses.MISSING
_Spec = tuple[tuple[str, Any, Any], ...]  # (name, default, default_factory) per field, in order


def _init(self: Any, *args: Any, **kwargs: Any) -> None:
    cls = type(self)
    spec: _Spec = cls.__record_spec__
    if len(args) > len(spec):
        raise TypeError(f"{cls.__qualname__}.__init__() takes {len(spec) + 1} positional arguments")
    for index, (name, default, factory) in enumerate(spec):
        if index < len(args):
            if name in kwargs:
                raise TypeError(f"{cls.__qualname__}.__init__() got multiple values for argument '{name}'")
            value = args[index]
        elif name in kwargs:
            value = kwargs.pop(name)
        elif default is not _MISSING:
            value = default
        elif factory is not _MISSING:
            value = factory()
        else:
            raise TypeError(f"{cls.__qualname__}.__init__() missing 1 required argument: '{name}'")
        object.__setattr__(self, name, value)
    if kwargs:
        raise TypeError(
            f"{cls.__qualname__}.__init__() got an unexpected keyword argument '{next(iter(kwargs))}'"
        )


def _values(self: Any) -> tuple[Any, ...]:
    return tuple(getattr(self, name) for name, _, _ in type(self).__record_spec__)


def _repr(self: Any) -> str:
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name, _, _ in type(self).__record_spec__)
    return f"{type(self).__qualname__}({shown})"


def _eq(self: Any, other: object) -> Any:  # bool, or NotImplemented for another class
    if other.__class__ is self.__class__:
        return _values(self) == _values(other)
    return NotImplemented


def _hash(self: Any) -> int:
    return hash(_values(self))


def _setattr(self: Any, name: str, value: Any) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")


def _delattr(self: Any, name: str) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")


def _getstate(self: Any) -> list[Any]:
    return list(_values(self))


def _setstate(self: Any, state: list[Any]) -> None:
    for (name, _, _), value in zip(type(self).__record_spec__, state, strict=True):
        object.__setattr__(self, name, value)


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field,))
def record(cls: type[T]) -> type[T]:
    """`@dataclass(frozen=True, slots=True)` for plain data classes (see the module docstring)."""
    namespace = {k: v for k, v in cls.__dict__.items() if k not in ("__dict__", "__weakref__")}
    fields: dict[str, dataclasses.Field[Any]] = {}
    spec = []
    annotations: dict[str, Any] = vars(cls).get("__annotations__", {})  # strings: never evaluated
    for name, annotation in annotations.items():
        if str(annotation).startswith(("ClassVar", "typing.ClassVar")):
            continue
        default = namespace.pop(name, _MISSING)
        field: Any = default if isinstance(default, dataclasses.Field) else dataclasses.field(default=default)
        field.name, field.type = name, annotation
        field._field_type = dataclasses._FIELD  # type: ignore[attr-defined]  # what fields() selects
        fields[name] = field
        spec.append((name, field.default, field.default_factory))
    namespace.update(
        __slots__=tuple(fields),
        __qualname__=cls.__qualname__,
        __dataclass_fields__=fields,
        __record_spec__=tuple(spec),
        __setattr__=_setattr,
        __delattr__=_delattr,
    )
    # as dataclass does: methods the class body defines itself are kept
    body = vars(cls)
    for name, method in (
        ("__match_args__", tuple(fields)),
        ("__init__", _init),
        ("__repr__", _repr),
        ("__eq__", _eq),
        ("__getstate__", _getstate),
        ("__setstate__", _setstate),
    ):
        namespace.setdefault(name, method)
    if body.get("__hash__") is None:  # absent, or set to None by an `__eq__` of the body: frozen hashes
        namespace["__hash__"] = _hash
    made: type[T] = type(cls.__name__, cls.__bases__, namespace)
    return made
