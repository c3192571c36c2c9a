"""`torchsmith.record.record` behaves as `@dataclass(frozen=True, slots=True)`.

Issue 17 replaced the latter in machine/model.py for start-up time; the reference here is the standard
library's dataclass itself, declared the same way."""

from __future__ import annotations

import dataclasses
import pickle
from dataclasses import dataclass, field

import pytest

from torchsmith.record import record


@record
class Rec:
    name: str
    version: str | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class Ref:
    name: str
    version: str | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)


def _pair(*args: object, **kwargs: object) -> tuple[Rec, Ref]:
    return Rec(*args, **kwargs), Ref(*args, **kwargs)  # type: ignore[arg-type]


def test_construction_repr_equality_hash_match_dataclass() -> None:
    for args, kwargs in [(("a",), {}), (("a", "1"), {}), (("a",), {"tags": ("x",)}), ((), {"name": "b"})]:
        ours, ref = _pair(*args, **kwargs)
        assert repr(ours).replace("Rec(", "Ref(") == repr(ref)
        assert dataclasses.astuple(ours) == dataclasses.astuple(ref)
        assert dataclasses.asdict(ours) == dataclasses.asdict(ref)
        assert hash(ours) == hash(Rec(*args, **kwargs))  # type: ignore[arg-type]
    assert Rec("a") == Rec("a") and Rec("a") != Rec("a", "1")
    assert Rec("a") != Ref("a")  # another class never compares equal, as with dataclasses
    assert Rec.__match_args__ == Ref.__match_args__
    assert [f.name for f in dataclasses.fields(Rec)] == [f.name for f in dataclasses.fields(Ref)]
    assert dataclasses.is_dataclass(Rec("a"))


def test_replace_frozen_slots_and_pickle() -> None:
    ours = Rec("a", "1", ("x",))
    assert dataclasses.replace(ours, version="2") == Rec("a", "2", ("x",))
    with pytest.raises(dataclasses.FrozenInstanceError):
        ours.name = "b"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del ours.name  # type: ignore[misc]
    assert not hasattr(ours, "__dict__")
    assert pickle.loads(pickle.dumps(ours)) == ours
    assert Rec("a").tags == () and Rec("a").tags is not None


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [((), {}), (("a", "1", (), "extra"), {}), (("a",), {"name": "b"}), (("a",), {"colour": "red"})],
)
def test_bad_arguments_raise_type_error_like_dataclass(
    args: tuple[object, ...], kwargs: dict[str, object]
) -> None:
    with pytest.raises(TypeError):
        Ref(*args, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Rec(*args, **kwargs)  # type: ignore[arg-type]


def test_own_field_and_replace_match_dataclass() -> None:
    from torchsmith import record as records

    @record
    class Own:
        name: str
        tags: list[str] = records.field(default_factory=list)
        version: str | None = records.field(default=None)

    first, second = Own("a"), Own("a")
    assert first.tags == [] and first.tags is not second.tags  # a new list per record, as default_factory
    assert first.version is None
    changed = records.replace(first, version="2")
    assert changed == Own("a", [], "2") and first.version is None
    assert dataclasses.replace(first, version="2") == changed  # the lazy __dataclass_fields__
    with pytest.raises(TypeError):
        records.replace(first, colour="red")
    with pytest.raises(ValueError):
        records.field(default=1, default_factory=list)


def test_defining_records_does_not_import_dataclasses() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from torchsmith.record import record, field\n"
        "@record\n"
        "class A:\n"
        "    x: int\n"
        "    y: list = field(default_factory=list)\n"
        "A(1) == A(1)\n"
        "print('dataclasses' in sys.modules, 'inspect' in sys.modules, 'typing' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    # the sandbox's site hook may load typing on its own; dataclasses and inspect must stay unloaded
    assert out.split()[:2] == ["False", "False"]


def test_compare_and_repr_flags_match_dataclass() -> None:
    from torchsmith import record as records

    @record
    class Own:
        name: str
        secret: str = records.field(default="", compare=False, repr=False)

    @dataclass(frozen=True, slots=True)
    class Reference:
        name: str
        secret: str = field(default="", compare=False, repr=False)

    assert Own("a", "x") == Own("a", "y") and hash(Own("a", "x")) == hash(Own("a", "y"))
    assert Reference("a", "x") == Reference("a", "y")
    assert Own("a", "x") != Own("b", "x")
    assert repr(Own("a", "x")).endswith("Own(name='a')") and "x" not in repr(Reference("a", "x"))
