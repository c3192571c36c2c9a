"""`@record`: a frozen, slotted dataclass without the cost of building one.

Why it exists: `@dataclass` writes and compiles the source of `__init__`, `__repr__`, `__eq__`, `__hash__`,
`__setattr__` and `__delattr__` for every class it decorates. The 14 classes of `machine/model.py` cost about
as much to create as the whole probe costs to run (issue 17). `record` gives the same behaviour as
`@dataclass(frozen=True, slots=True)` with methods shared by every record instead of generated per class,
without importing `dataclasses` (which imports `inspect`: ~20 ms of a cold start). `record.field` and
`record.replace` stand in for their `dataclasses` namesakes; `__dataclass_fields__` is built on first
access, so `dataclasses.replace`, `fields`, `asdict` and `is_dataclass` still work on records for the
callers that import `dataclasses` anyway. Type checkers see a dataclass through `dataclass_transform`.
Subclassing a record is not supported (nothing does it); zero-argument `super()` inside a record's methods
would not work either.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # `typing` costs ~5 ms to import; mypy treats this name as typing's own flag
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar

    from typing_extensions import dataclass_transform

    T = TypeVar("T")
    _Spec = tuple[tuple[str, Any, Any], ...]  # (name, default, default_factory) per field, in order
else:

    def dataclass_transform(**_):
        return lambda function: function


__all__ = ["field", "record", "replace"]


class _Missing:
    """The "no default" marker (what `dataclasses.MISSING` is, without importing dataclasses)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


_MISSING: Any = _Missing()


class _Field:
    """What `field(...)` returns in a record's body: a default or a factory, and whether the field takes
    part in `==`/`hash` and in `repr`."""

    __slots__ = ("compare", "default", "default_factory", "repr")

    def __init__(self, default: Any, default_factory: Any, compare: bool, repr: bool) -> None:
        self.default, self.default_factory, self.compare, self.repr = default, default_factory, compare, repr


def field(
    *,
    default: Any = _MISSING,
    default_factory: Callable[[], Any] | Any = _MISSING,
    compare: bool = True,
    repr: bool = True,
) -> Any:
    """`dataclasses.field` for records: a default, or a factory called for each new record; `compare`
    and `repr` as in dataclasses."""
    if default is not _MISSING and default_factory is not _MISSING:
        raise ValueError("cannot specify both default and default_factory")
    return _Field(default, default_factory, compare, repr)


def replace(obj: T, /, **changes: Any) -> T:
    """A copy of the record `obj` with `changes` (what `dataclasses.replace` does, without its import)."""
    spec: _Spec = type(obj).__record_spec__  # type: ignore[attr-defined]
    values = {name: getattr(obj, name) for name, _, _ in spec}
    unknown = changes.keys() - values.keys()
    if unknown:
        name = type(obj).__qualname__
        raise TypeError(f"{name}.__init__() got an unexpected keyword argument '{min(unknown)}'")
    values.update(changes)
    return type(obj)(**values)


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


def _compared(self: Any) -> tuple[Any, ...]:
    return tuple(getattr(self, name) for name in type(self).__record_compared__)


def _repr(self: Any) -> str:
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in type(self).__record_shown__)
    return f"{type(self).__qualname__}({shown})"


def _eq(self: Any, other: object) -> Any:  # bool, or NotImplemented for another class
    if other.__class__ is self.__class__:
        return _compared(self) == _compared(other)
    return NotImplemented


def _hash(self: Any) -> int:
    return hash(_compared(self))


def _setattr(self: Any, name: str, value: Any) -> None:
    from dataclasses import FrozenInstanceError  # the error dataclass raises, so callers catch one type

    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _delattr(self: Any, name: str) -> None:
    from dataclasses import FrozenInstanceError

    raise FrozenInstanceError(f"cannot delete field {name!r}")


class _DataclassFields:
    """`__dataclass_fields__`, built on first access: `dataclasses.replace`, `fields`, `asdict` and
    `is_dataclass` work on records, and only callers of those pay for importing `dataclasses`."""

    def __get__(self, obj: object, owner: type) -> dict[str, Any]:
        import dataclasses

        fields: dict[str, Any] = {}
        for name, default, factory in owner.__record_spec__:  # type: ignore[attr-defined]
            made: Any = (
                dataclasses.field(default=default)
                if factory is _MISSING
                else dataclasses.field(default_factory=factory)
            )
            if made.default is _MISSING:
                made.default = dataclasses.MISSING
            made.name, made.type = name, owner.__annotations__.get(name)
            made._field_type = dataclasses._FIELD  # type: ignore[attr-defined]  # what fields() selects
            fields[name] = made
        type.__setattr__(owner, "__dataclass_fields__", fields)
        return fields


def _getstate(self: Any) -> list[Any]:
    return list(_values(self))


def _setstate(self: Any, state: list[Any]) -> None:
    for (name, _, _), value in zip(type(self).__record_spec__, state, strict=True):
        object.__setattr__(self, name, value)


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def record(cls: type[T]) -> type[T]:
    """`@dataclass(frozen=True, slots=True)` for plain data classes (see the module docstring)."""
    namespace = {k: v for k, v in cls.__dict__.items() if k not in ("__dict__", "__weakref__")}
    stdlib = sys.modules.get("dataclasses")  # a `dataclasses.field(...)` default can exist only if loaded
    spec = []
    compared, shown = [], []
    annotations: dict[str, Any] = vars(cls).get("__annotations__", {})  # strings: never evaluated
    for name, annotation in annotations.items():
        if str(annotation).startswith(("ClassVar", "typing.ClassVar")):
            continue
        default = namespace.pop(name, _MISSING)
        if isinstance(default, _Field):
            spec.append((name, default.default, default.default_factory))
            flags = (default.compare, default.repr)
        elif stdlib is not None and isinstance(default, stdlib.Field):
            spec.append((name, _own(default.default, stdlib), _own(default.default_factory, stdlib)))
            flags = (default.compare, default.repr)
        else:
            spec.append((name, default, _MISSING))
            flags = (True, True)
        if flags[0]:
            compared.append(name)
        if flags[1]:
            shown.append(name)
    names = tuple(name for name, _, _ in spec)
    namespace.update(
        __slots__=names,
        __qualname__=cls.__qualname__,
        __dataclass_fields__=_DataclassFields(),
        __record_spec__=tuple(spec),
        __record_compared__=tuple(compared),
        __record_shown__=tuple(shown),
        __setattr__=_setattr,
        __delattr__=_delattr,
    )
    # as dataclass does: methods the class body defines itself are kept
    body = vars(cls)
    for name, method in (
        ("__match_args__", names),
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


def _own(value: Any, stdlib: Any) -> Any:
    """`dataclasses.MISSING` as this module's marker."""
    return _MISSING if value is stdlib.MISSING else value
