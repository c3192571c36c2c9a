"""The `Machine`: what a computer is, as `torchsmith probe --json` prints it.

Plain frozen data with `to_json()` / `from_json()`. The JSON keys are fixed by DESIGN.md ("add keys, never
rename"). `from_json` accepts partial documents (missing keys mean "unknown"), so a user can plan for a
computer described by hand or probed elsewhere (`--machine FILE`).
"""

from __future__ import annotations

from torchsmith.record import field, record

TYPE_CHECKING = False  # `typing` stays unloaded at start-up (issue 17); mypy reads the name as typing's
if TYPE_CHECKING:
    from typing import Any

    JSON = dict[str, Any]

__all__ = [
    "AmdGpu",
    "AmdInfo",
    "AppleInfo",
    "ContainerInfo",
    "CudaToolkit",
    "IntelGpu",
    "IntelInfo",
    "JetsonInfo",
    "Libc",
    "Machine",
    "MigDevice",
    "NvidiaGpu",
    "NvidiaInfo",
    "PythonInfo",
]


_ARCH_ALIASES = {"amd64": "x86_64", "x64": "x86_64", "arm64": "aarch64", "armv8": "aarch64"}


def _opt_str(data: JSON, key: str) -> str | None:
    value = data.get(key)
    return None if value is None else str(value)


def _opt_int(data: JSON, key: str) -> int | None:
    value = data.get(key)
    return None if value is None else int(value)


@record
class Libc:
    """The C library the interpreter links against: `glibc` or `musl` (wheel tags depend on it)."""

    name: str
    version: str | None
    source: str = "unknown"

    def to_json(self) -> JSON:
        return {"name": self.name, "version": self.version, "source": self.source}

    @classmethod
    def from_json(cls, data: JSON) -> Libc:
        return cls(str(data["name"]), _opt_str(data, "version"), str(data.get("source", "machine-file")))


@record
class PythonInfo:
    """The interpreter: version, implementation, ABI tag (`cp311`, `cp313t`) and its best wheel tag."""

    version: str
    implementation: str = "cpython"
    abi: str | None = None
    tag: str | None = None
    source: str = "unknown"

    def to_json(self) -> JSON:
        return {
            "version": self.version,
            "implementation": self.implementation,
            "abi": self.abi,
            "tag": self.tag,
            "source": self.source,
        }

    @classmethod
    def from_json(cls, data: JSON) -> PythonInfo:
        return cls(
            version=str(data["version"]),
            implementation=str(data.get("implementation", "cpython")),
            abi=_opt_str(data, "abi"),
            tag=_opt_str(data, "tag"),
            source=str(data.get("source", "machine-file")),
        )


@record
class MigDevice:
    """One MIG instance of a GPU in MIG mode: what a process sees as its GPU (`CUDA_VISIBLE_DEVICES=MIG-...`).

    `profile` is NVIDIA's `<compute slices>g.<memory>gb` name (`3g.40gb`); `uuid` the `MIG-...` id."""

    profile: str
    index: int | None = None
    uuid: str | None = None

    def to_json(self) -> JSON:
        return {"profile": self.profile, "index": self.index, "uuid": self.uuid}

    @classmethod
    def from_json(cls, data: JSON) -> MigDevice:
        return cls(
            profile=str(data.get("profile", "?")), index=_opt_int(data, "index"), uuid=_opt_str(data, "uuid")
        )


@record
class NvidiaGpu:
    """One NVIDIA GPU. `compute_capability` is `major.minor` (e.g. `8.6`); None when unknown.

    `device_id` is the PCI device id (`0x2206`); `mig` is True/False when the tool said whether MIG mode is
    on, None when unknown or not a MIG-capable GPU; `mig_devices` are its MIG instances."""

    name: str
    compute_capability: str | None = None
    memory_mib: int | None = None
    pci_id: str | None = None
    device_id: str | None = None
    mig: bool | None = None
    mig_devices: tuple[MigDevice, ...] = ()

    def to_json(self) -> JSON:
        return {
            "name": self.name,
            "compute_capability": self.compute_capability,
            "memory_mib": self.memory_mib,
            "pci_id": self.pci_id,
            "device_id": self.device_id,
            "mig": self.mig,
            "mig_devices": [d.to_json() for d in self.mig_devices],
        }

    @classmethod
    def from_json(cls, data: JSON) -> NvidiaGpu:
        mig = data.get("mig")
        return cls(
            name=str(data.get("name", "NVIDIA GPU")),
            compute_capability=_opt_str(data, "compute_capability"),
            memory_mib=_opt_int(data, "memory_mib"),
            pci_id=_opt_str(data, "pci_id"),
            device_id=_opt_str(data, "device_id"),
            mig=None if mig is None else bool(mig),
            mig_devices=tuple(MigDevice.from_json(d) for d in data.get("mig_devices", ())),
        )


@record
class NvidiaInfo:
    """NVIDIA driver and GPUs. `driver` None means GPUs were seen (PCI) but no driver is loaded."""

    driver: str | None
    cuda_driver: str | None
    gpus: tuple[NvidiaGpu, ...] = ()
    source: str = "unknown"

    def to_json(self) -> JSON:
        return {
            "driver": self.driver,
            "cuda_driver": self.cuda_driver,
            "gpus": [gpu.to_json() for gpu in self.gpus],
            "source": self.source,
        }

    @classmethod
    def from_json(cls, data: JSON) -> NvidiaInfo:
        return cls(
            driver=_opt_str(data, "driver"),
            cuda_driver=_opt_str(data, "cuda_driver"),
            gpus=tuple(NvidiaGpu.from_json(g) for g in data.get("gpus", ())),
            source=str(data.get("source", "machine-file")),
        )


@record
class AmdGpu:
    """One AMD GPU and its LLVM target (`gfx90a`, `gfx1100`)."""

    name: str
    gfx: str | None = None

    def to_json(self) -> JSON:
        return {"name": self.name, "gfx": self.gfx}

    @classmethod
    def from_json(cls, data: JSON) -> AmdGpu:
        return cls(name=str(data.get("name", "AMD GPU")), gfx=_opt_str(data, "gfx"))


@record
class AmdInfo:
    """The installed ROCm version (None when only the GPU is seen) and the AMD GPUs."""

    rocm: str | None
    gpus: tuple[AmdGpu, ...] = ()
    source: str = "unknown"

    def to_json(self) -> JSON:
        return {"rocm": self.rocm, "gpus": [g.to_json() for g in self.gpus], "source": self.source}

    @classmethod
    def from_json(cls, data: JSON) -> AmdInfo:
        return cls(
            rocm=_opt_str(data, "rocm"),
            gpus=tuple(AmdGpu.from_json(g) for g in data.get("gpus", ())),
            source=str(data.get("source", "machine-file")),
        )


@record
class IntelGpu:
    """One Intel GPU: PCI device id (`0x56a0` is an Arc A770) and whether it is a discrete card."""

    name: str
    device_id: str | None = None
    discrete: bool | None = None

    def to_json(self) -> JSON:
        return {"name": self.name, "device_id": self.device_id, "discrete": self.discrete}

    @classmethod
    def from_json(cls, data: JSON) -> IntelGpu:
        discrete = data.get("discrete")
        return cls(
            name=str(data.get("name", "Intel GPU")),
            device_id=_opt_str(data, "device_id"),
            discrete=None if discrete is None else bool(discrete),
        )


@record
class IntelInfo:
    """Intel GPUs and whether the XPU user-space stack (Level Zero / compute runtime) is present."""

    gpus: tuple[IntelGpu, ...] = ()
    xpu_stack: bool = False
    source: str = "unknown"

    def to_json(self) -> JSON:
        return {"gpus": [g.to_json() for g in self.gpus], "xpu_stack": self.xpu_stack, "source": self.source}

    @classmethod
    def from_json(cls, data: JSON) -> IntelInfo:
        return cls(
            gpus=tuple(IntelGpu.from_json(g) for g in data.get("gpus", ())),
            xpu_stack=bool(data.get("xpu_stack", False)),
            source=str(data.get("source", "machine-file")),
        )


@record
class AppleInfo:
    """A Mac: chip, macOS version, whether Python runs translated (Rosetta), and MPS availability."""

    chip: str | None
    macos: str | None = None
    rosetta: bool = False
    mps: bool = False
    source: str = "unknown"

    def to_json(self) -> JSON:
        return {
            "chip": self.chip,
            "macos": self.macos,
            "rosetta": self.rosetta,
            "mps": self.mps,
            "source": self.source,
        }

    @classmethod
    def from_json(cls, data: JSON) -> AppleInfo:
        return cls(
            chip=_opt_str(data, "chip"),
            macos=_opt_str(data, "macos"),
            rosetta=bool(data.get("rosetta", False)),
            mps=bool(data.get("mps", False)),
            source=str(data.get("source", "machine-file")),
        )


@record
class JetsonInfo:
    """A Jetson board: L4T release → JetPack → CUDA (from the knowledge table) and the module name."""

    l4t: str
    jetpack: str | None = None
    cuda: str | None = None
    module: str | None = None
    source: str = "unknown"

    def to_json(self) -> JSON:
        return {
            "l4t": self.l4t,
            "jetpack": self.jetpack,
            "cuda": self.cuda,
            "module": self.module,
            "source": self.source,
        }

    @classmethod
    def from_json(cls, data: JSON) -> JetsonInfo:
        return cls(
            l4t=str(data["l4t"]),
            jetpack=_opt_str(data, "jetpack"),
            cuda=_opt_str(data, "cuda"),
            module=_opt_str(data, "module"),
            source=str(data.get("source", "machine-file")),
        )


@record
class ContainerInfo:
    """The container runtime we run in (`docker`, `podman`, `kubernetes`, `lxc`, ...) and its evidence."""

    kind: str
    nvidia_runtime: bool = False
    source: str = "unknown"

    def to_json(self) -> JSON:
        return {"kind": self.kind, "nvidia_runtime": self.nvidia_runtime, "source": self.source}

    @classmethod
    def from_json(cls, data: JSON) -> ContainerInfo:
        return cls(
            kind=str(data.get("kind", "unknown")),
            nvidia_runtime=bool(data.get("nvidia_runtime", False)),
            source=str(data.get("source", "machine-file")),
        )


@record
class CudaToolkit:
    """An installed CUDA *toolkit* (nvcc, headers): not the driver. Building CUDA extensions against torch
    (flash-attn, apex, custom ops) needs a toolkit whose major version matches the torch build's CUDA."""

    version: str
    path: str | None = None
    source: str = "unknown"

    def to_json(self) -> JSON:
        return {"version": self.version, "path": self.path, "source": self.source}

    @classmethod
    def from_json(cls, data: JSON) -> CudaToolkit:
        return cls(
            version=str(data["version"]),
            path=_opt_str(data, "path"),
            source=str(data.get("source", "machine-file")),
        )


@record
class Machine:
    """Everything torchsmith knows about one computer. None means absent (or unknown when loaded)."""

    os: str
    arch: str
    libc: Libc | None = None
    kernel: str | None = None
    python: PythonInfo | None = None
    nvidia: NvidiaInfo | None = None
    amd: AmdInfo | None = None
    intel: IntelInfo | None = None
    apple: AppleInfo | None = None
    jetson: JetsonInfo | None = None
    wsl: bool = False
    container: ContainerInfo | None = None
    cuda_toolkit: CudaToolkit | None = None
    virtual_packages: tuple[str, ...] = ()
    backends: tuple[str, ...] = ("cpu",)
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def platform_key(self) -> str:
        """`linux-x86_64`, `linux-aarch64`, `windows-x86_64`, `macos-arm64` or `macos-x86_64`.

        The key the knowledge tables use for "which wheels exist here". A Mac running x86_64 Python under
        Rosetta is `macos-x86_64`: the interpreter, not the chip, decides which wheels install.
        """
        arch = _ARCH_ALIASES.get(self.arch.lower(), self.arch.lower())
        if self.os == "macos" and arch == "aarch64":
            arch = "arm64"
        return f"{self.os}-{arch}"

    @property
    def driver_os(self) -> str:
        """The NVIDIA driver tables' OS key: `windows` on Windows and under WSL2 (whose GPU driver is the
        Windows host's, with Windows version numbers), else `linux`."""
        return "windows" if self.os == "windows" or self.wsl else "linux"

    def to_json(self) -> JSON:
        """The `probe --json` document (DESIGN.md); keys are stable."""
        return {
            "os": self.os,
            "arch": self.arch,
            "libc": self.libc.to_json() if self.libc else None,
            "kernel": self.kernel,
            "python": self.python.to_json() if self.python else None,
            "nvidia": self.nvidia.to_json() if self.nvidia else None,
            "amd": self.amd.to_json() if self.amd else None,
            "intel": self.intel.to_json() if self.intel else None,
            "apple": self.apple.to_json() if self.apple else None,
            "jetson": self.jetson.to_json() if self.jetson else None,
            "wsl": self.wsl,
            "container": self.container.to_json() if self.container else None,
            "cuda_toolkit": self.cuda_toolkit.to_json() if self.cuda_toolkit else None,
            "virtual_packages": list(self.virtual_packages),
            "backends": list(self.backends),
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_json(cls, data: JSON) -> Machine:
        """Load a `probe --json` document; missing keys mean unknown. Raises KeyError/ValueError/TypeError."""

        def section(key: str) -> JSON | None:
            value = data.get(key)
            if value is None:
                return None
            if not isinstance(value, dict):
                raise TypeError(f"`{key}` must be an object, got {type(value).__name__}")
            return value

        libc, python, nvidia = section("libc"), section("python"), section("nvidia")
        amd, intel, apple = section("amd"), section("intel"), section("apple")
        jetson, container = section("jetson"), section("container")
        toolkit = section("cuda_toolkit")
        return cls(
            os=str(data["os"]),
            arch=str(data["arch"]),
            libc=Libc.from_json(libc) if libc else None,
            kernel=_opt_str(data, "kernel"),
            python=PythonInfo.from_json(python) if python else None,
            nvidia=NvidiaInfo.from_json(nvidia) if nvidia else None,
            amd=AmdInfo.from_json(amd) if amd else None,
            intel=IntelInfo.from_json(intel) if intel else None,
            apple=AppleInfo.from_json(apple) if apple else None,
            jetson=JetsonInfo.from_json(jetson) if jetson else None,
            wsl=bool(data.get("wsl", False)),
            container=ContainerInfo.from_json(container) if container else None,
            cuda_toolkit=CudaToolkit.from_json(toolkit) if toolkit else None,
            virtual_packages=tuple(str(v) for v in data.get("virtual_packages", ())),
            backends=tuple(str(b) for b in data.get("backends", ("cpu",))),
            warnings=tuple(str(w) for w in data.get("warnings", ())),
        )
