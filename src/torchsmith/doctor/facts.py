"""What the probe script saw inside the target interpreter, as typed data (`TargetFacts`).

`target_script.py` prints one JSON record per line (`python`, `distributions`, `begin`, `import`, `torch`,
`device`, `done`); `TargetFacts.from_records` turns them into frozen dataclasses and keeps what is missing
as missing: when the process died or timed out, `interrupted` says during which step, and the facts
gathered before that step are all still there. A value the script could not read is kept as the error
text it got (`cuda_error`), never as a guess.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from torchsmith.errors import ProbeError

__all__ = [
    "DeviceTest",
    "Distribution",
    "ImportFailure",
    "Interruption",
    "TargetFacts",
    "TargetPython",
    "TorchBuild",
    "TorchDevice",
    "parse_version",
]

JSON = dict[str, Any]


def parse_version(text: str | None) -> Version | None:
    """A PEP 440 version, or None for None and for legacy strings packaging rejects."""
    if not text:
        return None
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _value_and_error(raw: Any) -> tuple[Any, str | None]:
    """The script wraps a failed call as `{"error": "Type: message"}`; split that from a real value."""
    if isinstance(raw, dict) and set(raw) == {"error"}:
        return None, str(raw["error"])
    return raw, None


def _str_or_none(raw: Any) -> str | None:
    value, _ = _value_and_error(raw)
    return None if value is None else str(value)


@dataclass(frozen=True, slots=True)
class TargetPython:
    """The target interpreter: tags, prefixes, its marker environment (PEP 508) and `sys.path`."""

    executable: str
    version: str
    implementation: str = "cpython"
    tag: str = ""
    free_threaded: bool = False
    prefix: str = ""
    base_prefix: str = ""
    conda_meta: bool = False
    libc: tuple[str, str] | None = None
    markers: Mapping[str, str] = field(default_factory=dict)
    sys_path: tuple[str, ...] = ()

    @property
    def is_venv(self) -> bool:
        return self.prefix != self.base_prefix

    def to_json(self) -> JSON:
        return {
            "executable": self.executable,
            "version": self.version,
            "implementation": self.implementation,
            "tag": self.tag,
            "free_threaded": self.free_threaded,
            "prefix": self.prefix,
            "base_prefix": self.base_prefix,
            "conda_meta": self.conda_meta,
            "libc": list(self.libc) if self.libc else None,
            "markers": dict(self.markers),
            "sys_path": list(self.sys_path),
        }

    @classmethod
    def from_json(cls, data: JSON) -> TargetPython:
        libc = data.get("libc")
        return cls(
            executable=str(data.get("executable", "")),
            version=str(data["version"]),
            implementation=str(data.get("implementation", "cpython")),
            tag=str(data.get("tag", "")),
            free_threaded=bool(data.get("free_threaded", False)),
            prefix=str(data.get("prefix", "")),
            base_prefix=str(data.get("base_prefix", data.get("prefix", ""))),
            conda_meta=bool(data.get("conda_meta", False)),
            libc=(str(libc[0]), str(libc[1])) if isinstance(libc, list) and len(libc) == 2 else None,
            markers={str(k): str(v) for k, v in dict(data.get("markers", {})).items()},
            sys_path=tuple(str(p) for p in data.get("sys_path", ())),
        )


@dataclass(frozen=True, slots=True)
class Distribution:
    """One installed distribution (`*.dist-info` or `*.egg-info`) found on the target's `sys.path`."""

    name: str
    version: str
    path: str
    site: str
    kind: str = "dist-info"
    requires: tuple[str, ...] = ()
    requires_python: str | None = None
    installer: str | None = None

    @property
    def canonical_name(self) -> str:
        return canonicalize_name(self.name)

    @property
    def parsed_version(self) -> Version | None:
        return parse_version(self.version)

    def to_json(self) -> JSON:
        return {
            "name": self.name,
            "version": self.version,
            "path": self.path,
            "site": self.site,
            "kind": self.kind,
            "requires": list(self.requires),
            "requires_python": self.requires_python,
            "installer": self.installer,
        }

    @classmethod
    def from_json(cls, data: JSON) -> Distribution:
        return cls(
            name=str(data["name"]),
            version=str(data.get("version", "")),
            path=str(data.get("path", "")),
            site=str(data.get("site", "")),
            kind=str(data.get("kind", "dist-info")),
            requires=tuple(str(r) for r in data.get("requires", ())),
            requires_python=_str_or_none(data.get("requires_python")),
            installer=_str_or_none(data.get("installer")),
        )


@dataclass(frozen=True, slots=True)
class ImportFailure:
    """`import torch` raised: the exception's type, module and message, and the traceback's tail."""

    type: str
    message: str
    module: str = "builtins"
    traceback: str = ""
    warnings: tuple[str, ...] = ()

    def to_json(self) -> JSON:
        return {
            "type": self.type,
            "module": self.module,
            "message": self.message,
            "traceback": self.traceback,
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True, slots=True)
class TorchDevice:
    """One device torch sees through `torch.cuda` (CUDA or ROCm): `capability` is `8.6`, `gfx` ROCm's."""

    index: int
    name: str | None
    capability: str | None = None
    gfx: str | None = None
    memory_mib: int | None = None

    def to_json(self) -> JSON:
        return {
            "index": self.index,
            "name": self.name,
            "capability": self.capability,
            "gfx": self.gfx,
            "memory_mib": self.memory_mib,
        }


@dataclass(frozen=True, slots=True)
class TorchBuild:
    """What the imported torch says about itself and the devices it can use."""

    version: str
    file: str | None = None
    cuda: str | None = None
    hip: str | None = None
    xpu: str | None = None
    cudnn: str | None = None
    debug: bool | None = None
    cuda_available: bool | None = None
    cuda_error: str | None = None
    cuda_warnings: tuple[str, ...] = ()
    cuda_device_count: int | None = None
    cuda_devices: tuple[TorchDevice, ...] = ()
    cuda_arch_list: tuple[str, ...] | None = None
    xpu_available: bool | None = None
    xpu_devices: tuple[str, ...] = ()
    mps_built: bool | None = None
    mps_available: bool | None = None
    loaded_libraries: tuple[str, ...] = ()
    import_seconds: float | None = None
    import_warnings: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        """`cuda`, `rocm`, `xpu` or `cpu`: what the build was compiled for (not what is usable)."""
        if self.hip:
            return "rocm"
        if self.cuda:
            return "cuda"
        if self.xpu:
            return "xpu"
        return "cpu"

    @property
    def parsed_version(self) -> Version | None:
        return parse_version(self.version)

    def to_json(self) -> JSON:
        return {
            "version": self.version,
            "file": self.file,
            "build": self.kind,
            "cuda": self.cuda,
            "hip": self.hip,
            "xpu": self.xpu,
            "cudnn": self.cudnn,
            "debug": self.debug,
            "cuda_available": self.cuda_available,
            "cuda_error": self.cuda_error,
            "cuda_warnings": list(self.cuda_warnings),
            "cuda_device_count": self.cuda_device_count,
            "cuda_devices": [d.to_json() for d in self.cuda_devices],
            "cuda_arch_list": None if self.cuda_arch_list is None else list(self.cuda_arch_list),
            "xpu_available": self.xpu_available,
            "xpu_devices": list(self.xpu_devices),
            "mps_built": self.mps_built,
            "mps_available": self.mps_available,
            "loaded_libraries": list(self.loaded_libraries),
            "import_seconds": self.import_seconds,
            "import_warnings": list(self.import_warnings),
        }

    @classmethod
    def from_record(cls, data: JSON, imported: JSON) -> TorchBuild:
        available, cuda_error = _value_and_error(data.get("cuda_available"))
        count, count_error = _value_and_error(data.get("cuda_device_count"))
        arches, _ = _value_and_error(data.get("cuda_arch_list"))
        xpu_available, _ = _value_and_error(data.get("xpu_available"))
        mps_built, _ = _value_and_error(data.get("mps_built"))
        mps_available, _ = _value_and_error(data.get("mps_available"))
        devices = tuple(
            TorchDevice(
                index=int(d["index"]),
                name=_str_or_none(d.get("name")),
                capability=_str_or_none(d.get("capability")),
                gfx=_str_or_none(d.get("gfx")),
                memory_mib=d.get("memory_mib") if isinstance(d.get("memory_mib"), int) else None,
            )
            for d in data.get("cuda_devices") or ()
        )
        seconds = imported.get("seconds")
        cudnn, _ = _value_and_error(data.get("cudnn"))
        debug = data.get("debug")
        return cls(
            version=str(data.get("version", "")),
            file=_str_or_none(data.get("file")),
            cuda=_str_or_none(data.get("cuda")),
            hip=_str_or_none(data.get("hip")),
            xpu=_str_or_none(data.get("xpu")),
            cudnn=str(cudnn) if isinstance(cudnn, (int, str)) and not isinstance(cudnn, bool) else None,
            debug=debug if isinstance(debug, bool) else None,
            cuda_available=available if isinstance(available, bool) else None,
            cuda_error=cuda_error or count_error,
            cuda_warnings=tuple(str(w) for w in data.get("cuda_warnings") or ()),
            cuda_device_count=count if isinstance(count, int) else None,
            cuda_devices=devices,
            cuda_arch_list=tuple(str(a) for a in arches) if isinstance(arches, list) else None,
            xpu_available=xpu_available if isinstance(xpu_available, bool) else None,
            xpu_devices=tuple(str(_str_or_none(n)) for n in data.get("xpu_devices") or ()),
            mps_built=mps_built if isinstance(mps_built, bool) else None,
            mps_available=mps_available if isinstance(mps_available, bool) else None,
            loaded_libraries=tuple(str(p) for p in data.get("loaded_libraries") or ()),
            import_seconds=float(seconds) if isinstance(seconds, (int, float)) else None,
            import_warnings=tuple(str(w) for w in imported.get("warnings") or ()),
        )


@dataclass(frozen=True, slots=True)
class DeviceTest:
    """One device's functional test: an elementwise op and a matmul, synchronised and checked."""

    device: str
    ok: bool
    size: int = 0
    elementwise_ms: float | None = None
    matmul_ms: float | None = None
    error: str | None = None

    @property
    def gflops(self) -> float | None:
        """Matmul throughput (2·n³ flops) in GFLOP/s, when it was timed."""
        if not self.matmul_ms or not self.size:
            return None
        return 2.0 * self.size**3 / (self.matmul_ms / 1000.0) / 1e9

    def to_json(self) -> JSON:
        return {
            "device": self.device,
            "ok": self.ok,
            "size": self.size,
            "elementwise_ms": self.elementwise_ms,
            "matmul_ms": self.matmul_ms,
            "error": self.error,
        }


@dataclass(frozen=True, slots=True)
class Interruption:
    """The script did not reach its end: it `crashed` (a signal, an exit status) or `timed-out`."""

    reason: str
    during: str | None
    detail: str
    stderr_tail: str = ""

    def to_json(self) -> JSON:
        return {
            "reason": self.reason,
            "during": self.during,
            "detail": self.detail,
            "stderr_tail": self.stderr_tail,
        }


@dataclass(frozen=True, slots=True)
class TargetFacts:
    """Everything the probe script reported about one interpreter's environment."""

    python: TargetPython
    distributions: tuple[Distribution, ...] = ()
    torch: TorchBuild | None = None
    import_failure: ImportFailure | None = None
    device_tests: tuple[DeviceTest, ...] = ()
    device_test_requested: bool = True
    interrupted: Interruption | None = None

    def installed(self, name: str) -> tuple[Distribution, ...]:
        """Every distribution of that (canonicalised) name on `sys.path`, in `sys.path` order."""
        wanted = canonicalize_name(name)
        return tuple(d for d in self.distributions if d.canonical_name == wanted)

    def first(self, name: str) -> Distribution | None:
        """The distribution of that name that Python would use: the first on `sys.path`."""
        found = self.installed(name)
        return found[0] if found else None

    def to_json(self) -> JSON:
        return {
            "python": self.python.to_json(),
            "distributions": [d.to_json() for d in self.distributions],
            "torch": self.torch.to_json() if self.torch else None,
            "import_error": self.import_failure.to_json() if self.import_failure else None,
            "device_tests": [t.to_json() for t in self.device_tests],
            "device_test_requested": self.device_test_requested,
            "interrupted": self.interrupted.to_json() if self.interrupted else None,
        }

    @classmethod
    def from_records(
        cls,
        records: Sequence[JSON],
        *,
        device_test_requested: bool = True,
        interrupted: Interruption | None = None,
    ) -> TargetFacts:
        """Assemble the script's records; raise `ProbeError` when not even the `python` record came."""
        by_stage: dict[str, JSON] = {}
        tests: list[DeviceTest] = []
        last_begin: str | None = None
        for record in records:
            stage = str(record.get("stage", ""))
            if stage == "begin":
                last_begin = str(record.get("what", ""))
            elif stage == "device":
                last_begin = None
                tests.append(
                    DeviceTest(
                        device=str(record.get("device", "?")),
                        ok=bool(record.get("ok", False)),
                        size=int(record.get("size", 0)),
                        elementwise_ms=_float(record.get("elementwise_ms")),
                        matmul_ms=_float(record.get("matmul_ms")),
                        error=_str_or_none(record.get("error")),
                    )
                )
            else:
                by_stage[stage] = record
                if stage in ("import", "torch"):
                    last_begin = None
        if "python" not in by_stage:
            raise ProbeError("the doctor's probe script reported nothing about the interpreter")
        if interrupted is not None and interrupted.during is None and last_begin is not None:
            interrupted = Interruption(
                interrupted.reason, last_begin, interrupted.detail, interrupted.stderr_tail
            )
        imported = by_stage.get("import", {})
        failure = None
        if imported and not imported.get("ok", False):
            failure = ImportFailure(
                type=str(imported.get("type", "Exception")),
                message=str(imported.get("message", "")),
                module=str(imported.get("module", "builtins")),
                traceback=str(imported.get("traceback", "")),
                warnings=tuple(str(w) for w in imported.get("warnings") or ()),
            )
        torch_record = by_stage.get("torch")
        return cls(
            python=TargetPython.from_json(by_stage["python"]),
            distributions=tuple(
                Distribution.from_json(d) for d in by_stage.get("distributions", {}).get("distributions", ())
            ),
            torch=TorchBuild.from_record(torch_record, imported) if torch_record else None,
            import_failure=failure,
            device_tests=tuple(tests),
            device_test_requested=device_test_requested,
            interrupted=interrupted,
        )


def _float(raw: Any) -> float | None:
    return float(raw) if isinstance(raw, (int, float)) and not isinstance(raw, bool) else None
