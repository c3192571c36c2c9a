"""The doctor's probe script: runs *inside the target interpreter*, stdlib only, Python >= 3.6.

torchsmith never imports torch itself: `torchsmith.doctor.runner` passes this file's text to
`<python> -c` and reads what it reports. It must stay one self-contained file that Python 3.6 can parse
(JetPack 4 ships 3.6, JetPack 5 ships 3.8): no dataclasses, no walrus, no `f"{x=}"`, no
`from __future__ import annotations`; types are given as comments so mypy still checks it.

Protocol: one JSON object per line on the *original* stdout, flushed as soon as it is known, each with a
`stage` key. Before each risky step (`import torch`, a device test) a `begin` record names it, so that when
the process dies (a segfault in a driver, an illegal instruction, a timeout) the caller still has every
fact gathered so far and knows what was running. Anything torch or its libraries print goes to stderr:
file descriptor 1 is pointed at 2 before anything is imported.

Arguments: `--no-device-test`, `--matmul-size N`.

`--check` is the other way to run it: `torchsmith export docker` copies this very file into the image
(nothing unpublished is needed there) and runs `python3 torchsmith-check.py --check --expect torch==V
--backend B [--no-device-test] [--require-gpu]` at build time and as the HEALTHCHECK. It gathers the same
facts, then prints a verdict for people and exits 0 (as expected) or 1 (what differs, one line each).
"""

import importlib
import json
import os
import platform
import sys
import time
import traceback
import warnings
from pathlib import Path

MYPY = False
if MYPY:  # pragma: no cover - type-checking only; `typing` costs startup time on old Pythons
    from typing import IO, Any  # noqa: F401

FAMILY = ("torch", "torchvision", "torchaudio")
"""Canonical names whose metadata (Requires-Dist, INSTALLER) is reported in full."""

LIBRARY_MARKERS = (
    "libcudart",
    "libcudnn",
    "libcublas",
    "libnccl",
    "libcusparse",
    "libcufft",
    "libnvrtc",
    "libnvJitLink",
    "libcuda.so",
    "libamdhip64",
    "librocblas",
    "libMIOpen",
    "libtorch_cuda",
    "libtorch_hip",
    "libtorch_xpu",
    "libsycl",
    "libze_loader",
    "libgomp",
    "libstdc++",
)
"""Shared libraries whose loaded path is evidence (which libcudart did this process really map?)."""

_OUT = None  # type: IO[str] | None


def emit(record):
    # type: (dict[str, Any]) -> None
    """Write one record on the saved stdout and flush it at once (the process may die next)."""
    if _OUT is None:
        return
    _OUT.write(json.dumps(record, sort_keys=True, default=str) + "\n")
    _OUT.flush()


def redirect_stdout():
    # type: () -> None
    """Keep the real stdout for records; send everything else written to fd 1 to stderr."""
    global _OUT
    try:
        _OUT = os.fdopen(os.dup(1), "w")
        os.dup2(2, 1)
    except OSError:
        _OUT = sys.stdout
    sys.stdout = sys.stderr


def full_version(info):
    # type: (Any) -> str
    """`3.11.7`, or `3.13.0rc1` for a pre-release, as packaging's markers spell it."""
    text = f"{info.major}.{info.minor}.{info.micro}"
    if info.releaselevel != "final":
        text += info.releaselevel[0] + str(info.serial)
    return text


def python_facts():
    # type: () -> dict[str, Any]
    """The interpreter: version, tags, prefixes, the marker environment, and sys.path."""
    import sysconfig

    impl = sys.implementation.name
    nodot = f"{sys.version_info[0]}{sys.version_info[1]}"
    threaded = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
    tag = "cp" + nodot + ("t" if threaded else "") if impl == "cpython" else impl[:2] + nodot
    markers = {
        "implementation_name": impl,
        "implementation_version": full_version(sys.implementation.version),
        "os_name": os.name,
        "platform_machine": platform.machine(),
        "platform_python_implementation": platform.python_implementation(),
        "platform_release": platform.release(),
        "platform_system": platform.system(),
        "platform_version": platform.version(),
        "python_full_version": platform.python_version(),
        "python_version": f"{sys.version_info[0]}.{sys.version_info[1]}",
        "sys_platform": sys.platform,
    }
    prefix = sys.prefix
    return {
        "stage": "python",
        "executable": sys.executable,
        "version": full_version(sys.version_info),
        "implementation": impl,
        "tag": tag,
        "soabi": sysconfig.get_config_var("SOABI"),
        "free_threaded": threaded,
        "pointer_bits": 64 if sys.maxsize > 2**32 else 32,
        "prefix": prefix,
        "base_prefix": getattr(sys, "base_prefix", prefix),
        "conda_meta": (Path(prefix) / "conda-meta").is_dir(),
        "libc": libc(),
        "markers": markers,
        "sys_path": list(sys.path),
    }


def libc():
    # type: () -> list[str] | None
    """`["glibc", "2.36"]` from confstr (exact), else platform's guess; None off Linux."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        text = os.confstr("CS_GNU_LIBC_VERSION") or ""
    except (AttributeError, ValueError, OSError):
        text = ""
    name, _, version = text.partition(" ")
    if name and version:
        return [name, version]
    guess = platform.libc_ver()
    return [guess[0], guess[1]] if guess[0] else None


def read_headers(path):
    # type: (Path) -> dict[str, list[str]]
    """The RFC 822 header block of METADATA / PKG-INFO (stops at the first blank line: the body is long)."""
    headers = {}  # type: dict[str, list[str]]
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            for line in handle:
                line = line.rstrip("\r\n")
                if not line:
                    break
                if line[0] in " \t" or ":" not in line:
                    continue
                key, _, value = line.partition(":")
                headers.setdefault(key.strip().lower(), []).append(value.strip())
    except OSError:
        pass
    return headers


def canonical(name):
    # type: (str) -> str
    out = []  # type: list[str]
    for char in name.lower():
        if char in "-_.":
            if not out or out[-1] != "-":
                out.append("-")
        else:
            out.append(char)
    return "".join(out)


def read_small(path):
    # type: (Path) -> str | None
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            return handle.read(4096).strip()
    except OSError:
        return None


def scan_distributions():
    # type: () -> dict[str, Any]
    """Every `*.dist-info` / `*.egg-info` on sys.path, in sys.path order, duplicates kept.

    Names and versions come from the directory name when a wheel installer wrote it (`torch-2.5.1+cu124`),
    else from the metadata headers. The torch family also reports Requires-Dist and INSTALLER.
    """
    seen = set()
    found = []  # type: list[dict[str, Any]]
    for entry in sys.path:
        directory = os.path.realpath(entry or ".")
        if directory in seen:
            continue
        seen.add(directory)
        try:
            names = sorted(p.name for p in Path(directory).iterdir())
        except OSError:
            continue
        for item in names:
            if item.endswith(".dist-info"):
                kind, meta_name = "dist-info", "METADATA"
            elif item.endswith(".egg-info"):
                kind, meta_name = "egg-info", "PKG-INFO"
            else:
                continue
            path = Path(directory) / item
            stem = item[: -len(kind) - 1]
            name, sep, version = stem.partition("-")
            if kind == "egg-info":
                version = version.split("-py")[0]
            meta_path = path / meta_name if path.is_dir() else path
            headers = None  # type: dict[str, list[str]] | None
            if not sep or not version or canonical(name) in FAMILY:
                headers = read_headers(meta_path)
                name = (headers.get("name") or [name])[0]
                version = (headers.get("version") or [version])[0]
            record = {
                "name": name,
                "version": version,
                "path": str(path),
                "site": directory,
                "kind": kind,
            }  # type: dict[str, Any]
            if canonical(name) in FAMILY:
                record["requires"] = (headers or {}).get("requires-dist", [])
                requires_python = (headers or {}).get("requires-python")
                record["requires_python"] = requires_python[0] if requires_python else None
                record["installer"] = read_small(path / "INSTALLER")
            found.append(record)
    return {"stage": "distributions", "distributions": found}


def loaded_libraries():
    # type: () -> list[str]
    """Paths of the interesting shared libraries this process has mapped (Linux only)."""
    paths = []  # type: list[str]
    try:
        with Path("/proc/self/maps").open() as handle:
            for line in handle:
                parts = line.split()
                if len(parts) < 6:
                    continue
                path = parts[-1]
                base = path.rsplit("/", 1)[-1]
                if path not in paths and any(base.startswith(m) for m in LIBRARY_MARKERS):
                    paths.append(path)
    except OSError:
        pass
    return paths


def warning_texts(caught):
    # type: (list[Any]) -> list[str]
    return [str(w.message) for w in caught][:10]


def guarded(function, *args):
    # type: (Any, Any) -> Any
    """Call `function`; an exception becomes `{"error": "Type: message"}` instead of ending the script."""
    try:
        return function(*args)
    except Exception as error:  # the whole point: record, never stop
        return {"error": f"{type(error).__name__}: {error}"}


def import_torch():
    # type: () -> Any
    emit({"stage": "begin", "what": "import torch"})
    started = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            torch = importlib.import_module("torch")
        except BaseException as error:
            if isinstance(error, (KeyboardInterrupt, SystemExit)):
                raise
            lines = traceback.format_exception(type(error), error, error.__traceback__)
            emit(
                {
                    "stage": "import",
                    "ok": False,
                    "type": type(error).__name__,
                    "module": type(error).__module__,
                    "message": str(error),
                    "traceback": "".join(lines)[-4000:],
                    "seconds": time.perf_counter() - started,
                    "warnings": warning_texts(caught),
                    "loaded_libraries": loaded_libraries(),
                }
            )
            return None
    emit(
        {
            "stage": "import",
            "ok": True,
            "seconds": time.perf_counter() - started,
            "warnings": warning_texts(caught),
        }
    )
    return torch


def cuda_arch_list(torch):
    # type: (Any) -> list[str]
    """`torch.cuda.get_arch_list()`, which is empty when no device is usable: then the compiled-in flags."""
    arches = list(torch.cuda.get_arch_list())
    if not arches:
        flags = getattr(torch._C, "_cuda_getArchFlags", None)
        text = flags() if flags is not None else None
        if text:
            arches = text.split()
    return arches


def torch_facts(torch):
    # type: (Any) -> dict[str, Any]
    """Build and device facts; every probe is guarded on its own so one failure hides nothing else."""
    version = getattr(torch, "version", None)
    facts = {
        "stage": "torch",
        "version": str(getattr(torch, "__version__", "")),
        "file": getattr(torch, "__file__", None),
        "cuda": getattr(version, "cuda", None),
        "hip": getattr(version, "hip", None),
        "xpu": getattr(version, "xpu", None),
        "git_version": getattr(version, "git_version", None),
        "debug": getattr(version, "debug", None),
    }  # type: dict[str, Any]
    cudnn = getattr(getattr(torch, "backends", None), "cudnn", None)
    if cudnn is not None and hasattr(cudnn, "version"):
        facts["cudnn"] = guarded(cudnn.version)
    cuda = getattr(torch, "cuda", None)
    if cuda is not None:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            facts["cuda_available"] = guarded(cuda.is_available)
            facts["cuda_warnings"] = warning_texts(caught)
        facts["cuda_device_count"] = guarded(cuda.device_count)
        if facts["cuda"] or facts["hip"]:
            facts["cuda_arch_list"] = guarded(cuda_arch_list, torch)
        devices = []
        if facts["cuda_available"] is True and isinstance(facts["cuda_device_count"], int):
            for index in range(min(facts["cuda_device_count"], 64)):
                props = guarded(cuda.get_device_properties, index)
                devices.append(
                    {
                        "index": index,
                        "name": guarded(cuda.get_device_name, index),
                        "capability": guarded(
                            lambda i: "{}.{}".format(*cuda.get_device_capability(i)), index
                        ),
                        "gfx": getattr(props, "gcnArchName", None),
                        "memory_mib": getattr(props, "total_memory", 0) // (1024 * 1024) or None,
                    }
                )
        facts["cuda_devices"] = devices
    xpu = getattr(torch, "xpu", None)
    if xpu is not None:
        facts["xpu_available"] = guarded(xpu.is_available)
        facts["xpu_device_count"] = guarded(xpu.device_count)
        names = []
        if facts["xpu_available"] is True and isinstance(facts["xpu_device_count"], int):
            names = [guarded(xpu.get_device_name, i) for i in range(min(facts["xpu_device_count"], 64))]
        facts["xpu_devices"] = names
    mps = getattr(getattr(torch, "backends", None), "mps", None)
    if mps is not None:
        facts["mps_built"] = guarded(mps.is_built)
        facts["mps_available"] = guarded(mps.is_available)
    facts["loaded_libraries"] = loaded_libraries()
    return facts


def time_device(torch, device, synchronize, size):
    # type: (Any, str, Any, int) -> dict[str, Any]
    """A real elementwise op and a matmul on `device`, synchronised, checked against the exact answer.

    0.5 * 2.0 summed over `size` terms is exact in float32 (and in TF32), so any other value is a wrong
    result, not rounding. The matmul runs once to warm up, then three times; the best time is reported.
    """
    result = {"stage": "device", "device": device, "ok": False, "size": size}  # type: dict[str, Any]
    try:
        a = torch.full((size, size), 0.5, device=device, dtype=torch.float32)
        b = torch.full((size, size), 2.0, device=device, dtype=torch.float32)
        started = time.perf_counter()
        total = float((a * b).sum().item())
        result["elementwise_ms"] = (time.perf_counter() - started) * 1000.0
        if total != float(size * size):
            result["error"] = f"elementwise result {total!r}, expected {float(size * size)!r}"
            return result
        product = torch.matmul(a, b)
        synchronize()
        best = None  # type: float | None
        for _ in range(3):
            started = time.perf_counter()
            product = torch.matmul(a, b)
            synchronize()
            elapsed = time.perf_counter() - started
            best = elapsed if best is None else min(best, elapsed)
        corner = float(product[0, 0].item())
        if corner != float(size):
            result["error"] = f"matmul result {corner!r}, expected {float(size)!r}"
            return result
        result["matmul_ms"] = (best or 0.0) * 1000.0
        result["ok"] = True
    except Exception as error:
        result["error"] = f"{type(error).__name__}: {error}"
    return result


def device_tests(torch, facts, size):
    # type: (Any, dict[str, Any], int) -> None
    """Test every visible device: CUDA/ROCm, XPU, MPS, then the CPU."""
    plans = []  # type: list[Any]
    for device in facts.get("cuda_devices") or []:
        index = device["index"]
        plans.append((f"cuda:{index}", lambda i=index: torch.cuda.synchronize(i)))
    for index in range(len(facts.get("xpu_devices") or [])):
        plans.append((f"xpu:{index}", lambda i=index: torch.xpu.synchronize(i)))
    if facts.get("mps_available") is True:
        plans.append(("mps", lambda: torch.mps.synchronize()))
    plans.append(("cpu", lambda: None))
    for device, synchronize in plans:
        emit({"stage": "begin", "what": "device test on " + device})
        emit(time_device(torch, device, synchronize, size))


def main(argv):
    # type: (list[str]) -> int
    redirect_stdout()
    if sys.path and sys.path[0] == "":
        del sys.path[0]  # `-c` puts the working directory first; a stray `torch/` there is not the env
    device_test = "--no-device-test" not in argv
    size = 1024
    if "--matmul-size" in argv:
        size = int(argv[argv.index("--matmul-size") + 1])
    emit(python_facts())
    emit(scan_distributions())
    torch = import_torch()
    if torch is not None:
        facts = torch_facts(torch)
        emit(facts)
        if device_test:
            device_tests(torch, facts, size)
    emit({"stage": "done"})
    return 0


class _Collect:
    """A stand-in for the records' stdout in `--check` mode: keeps each record instead of printing it."""

    def __init__(self):
        # type: () -> None
        self.records = []  # type: list[dict[str, Any]]

    def write(self, text):
        # type: (str) -> int
        for line in text.splitlines():
            if line.strip():
                self.records.append(json.loads(line))
        return len(text)

    def flush(self):
        # type: () -> None
        pass


def _same_version(a, b):
    # type: (str, str) -> bool
    """Equal as PEP 440 spells them: case and leading zeros aside (`nv24.08` is `nv24.8`)."""
    import re

    def norm(text):
        # type: (str) -> str
        return re.sub(r"(?<![0-9])0+(?=[0-9])", "", text.strip().lower())

    return norm(a) == norm(b)


def _option(argv, name):
    # type: (list[str], str) -> list[str]
    return [argv[i + 1] for i, item in enumerate(argv[:-1]) if item == name]


def _build_problem(backend, facts):
    # type: (str, dict[str, Any]) -> str | None
    """Why the imported torch is not a `backend` build (`cpu`, `cu126`, `rocm6.2`, `xpu`, `jp6-cu126`)."""
    cuda, hip = facts.get("cuda"), facts.get("hip")
    if backend == "cpu":
        if cuda or hip:
            return "torch is a {} build, expected a CPU build".format("CUDA " + cuda if cuda else "ROCm")
    elif backend.startswith("cu") or backend.startswith("jp"):
        digits = backend.rsplit("cu", 1)[1]
        want = digits[:-1] + "." + digits[-1] if digits.isdigit() and len(digits) >= 2 else None
        if not cuda:
            return "torch is not a CUDA build (torch.version.cuda is None), expected " + backend
        if want is not None and backend.startswith("cu") and cuda != want:
            return f"torch is a CUDA {cuda} build, expected CUDA {want} ({backend})"
    elif backend.startswith("rocm"):
        if not hip:
            return "torch is not a ROCm build (torch.version.hip is None), expected " + backend
        if not hip.startswith(backend[4:]):
            return f"torch is a ROCm {hip} build, expected {backend}"
    elif backend == "xpu" and not facts.get("xpu"):
        return "torch is not an XPU build (torch.version.xpu is None), expected xpu"
    return None


def check(argv):
    # type: (list[str]) -> int
    """`--check`: the expected pins are installed, torch imports, is the expected build, and works."""
    global _OUT
    collect = _Collect()
    _OUT = collect  # type: ignore[assignment]
    problems = []  # type: list[str]
    lines = []  # type: list[str]
    installed = {}  # type: dict[str, list[str]]
    for dist in scan_distributions()["distributions"]:
        installed.setdefault(canonical(dist["name"]), []).append(str(dist["version"]))
    for spec in _option(argv, "--expect"):
        name, _, version = spec.partition("==")
        have = installed.get(canonical(name), [])
        if not have:
            problems.append(f"{name} is not installed (expected {spec})")
        elif version and not any(_same_version(version, v) for v in have):
            problems.append("{} {} is installed, expected {}".format(name, " and ".join(have), version))
        elif len(have) > 1:
            problems.append("{} is installed {} times: {}".format(name, len(have), ", ".join(have)))
    torch = import_torch()
    if torch is None:
        failed = [r for r in collect.records if r.get("stage") == "import"]
        reason = "{}: {}".format(failed[-1]["type"], failed[-1]["message"]) if failed else "unknown"
        problems.append("`import torch` fails: " + reason)
    else:
        facts = torch_facts(torch)
        build = (facts.get("cuda") and "CUDA " + facts["cuda"]) or (
            facts.get("hip") and "ROCm " + facts["hip"]
        )
        lines.append("torch {} ({} build) from {}".format(facts["version"], build or "CPU", facts["file"]))
        for backend in _option(argv, "--backend"):
            problem = _build_problem(backend, facts)
            if problem:
                problems.append(problem)
        gpus = len(facts.get("cuda_devices") or []) + len(facts.get("xpu_devices") or [])
        if "--require-gpu" in argv and not gpus:
            problems.append("no GPU is visible to torch (run the container with the GPU flags)")
        if "--no-device-test" not in argv:
            device_tests(torch, facts, 256)
            for record in collect.records:
                if record.get("stage") != "device":
                    continue
                if record.get("ok"):
                    lines.append("{}: matmul ok in {:.2f} ms".format(record["device"], record["matmul_ms"]))
                else:
                    problems.append(
                        "device test on {} failed: {}".format(record["device"], record.get("error"))
                    )
    out = sys.stdout
    for line in lines:
        out.write("torchsmith-check: " + line + "\n")
    for problem in problems:
        out.write("torchsmith-check: error: " + problem + "\n")
    out.write("torchsmith-check: " + ("FAILED" if problems else "ok") + "\n")
    out.flush()
    return 1 if problems else 0


def finish(code):
    # type: (int) -> None
    """Exit without the interpreter's teardown: torch's takes ~0.4 s and doctor has nothing left to say."""
    try:
        sys.stderr.flush()
        if _OUT is not None:
            _OUT.flush()
    finally:
        os._exit(code)


if __name__ == "__main__":
    finish(check(sys.argv[1:]) if "--check" in sys.argv[1:] else main(sys.argv[1:]))
