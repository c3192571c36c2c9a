"""`classify_import_error` on the messages real failures print (quoted from real reports)."""

from __future__ import annotations

import pytest

from torchsmith.doctor.import_errors import classify_import_error

CASES = [
    (
        "ImportError",
        "/venv/lib/python3.11/site-packages/torch/lib/libtorch_cuda.so: undefined symbol: ncclCommRegister",
        (
            "undefined-symbol",
            "ncclCommRegister",
            "/venv/lib/python3.11/site-packages/torch/lib/libtorch_cuda.so",
        ),
    ),
    (
        "ImportError",
        "/usr/lib/python3/dist-packages/torch/lib/libtorch_cpu.so: undefined symbol: "
        "_ZN3c104impl8GPUTrace13gpuTraceStateE",
        (
            "undefined-symbol",
            "_ZN3c104impl8GPUTrace13gpuTraceStateE",
            "/usr/lib/python3/dist-packages/torch/lib/libtorch_cpu.so",
        ),
    ),
    (
        "OSError",
        "libcudart.so.12: cannot open shared object file: No such file or directory",
        ("missing-library", "libcudart.so.12", "libcudart.so.12"),
    ),
    (
        "ImportError",
        "libcudnn.so.9: cannot open shared object file: No such file or directory",
        ("missing-library", "libcudnn.so.9", "libcudnn.so.9"),
    ),
    (
        "OSError",
        "[WinError 126] The specified module could not be found. Error loading "
        '"C:\\Python311\\Lib\\site-packages\\torch\\lib\\c10.dll" or one of its dependencies.',
        (
            "dll-load",
            "C:\\Python311\\Lib\\site-packages\\torch\\lib\\c10.dll",
            "C:\\Python311\\Lib\\site-packages\\torch\\lib\\c10.dll",
        ),
    ),
    ("ImportError", "numpy.core.multiarray failed to import", ("numpy-abi", "numpy", None)),
    (
        "ImportError",
        "A module that was compiled using NumPy 1.x cannot be run in NumPy 2.0.0 as it may crash.",
        ("numpy-abi", "numpy", None),
    ),
    ("AttributeError", "_ARRAY_API not found", ("numpy-abi", "numpy", None)),
    (
        "ImportError",
        "/lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.28' not found (required by "
        "/venv/lib/python3.8/site-packages/torch/lib/libtorch_python.so)",
        ("glibc", "2.28", None),
    ),
    (
        "ImportError",
        "/opt/conda/lib/libstdc++.so.6: version `GLIBCXX_3.4.30' not found (required by /x/libtorch_cpu.so)",
        ("libstdcxx", "GLIBCXX_3.4.30", None),
    ),
    ("ModuleNotFoundError", "No module named 'torch._C'", ("incomplete-install", "torch._C", None)),
    (
        "ModuleNotFoundError",
        "No module named 'typing_extensions'",
        ("missing-dependency", "typing_extensions", None),
    ),
    ("ModuleNotFoundError", "No module named 'torch'", ("not-installed", "torch", None)),
    ("RuntimeError", "something else entirely", ("other", "RuntimeError", None)),
    ("ValueError", "", ("other", "ValueError", None)),
]


@pytest.mark.parametrize(
    ("type_name", "message", "expected"), CASES, ids=[c[2][0] + f"-{i}" for i, c in enumerate(CASES)]
)
def test_classify(type_name: str, message: str, expected: tuple[str, str | None, str | None]) -> None:
    kind = classify_import_error(type_name, message)
    assert (kind.kind, kind.subject, kind.library) == expected
    assert kind.describe()  # every kind has a phrase for the finding


@pytest.mark.parametrize(
    "junk", ["\x00\xff", "undefined symbol:", ": cannot open shared object file", "`GLIBC_' not found"]
)
def test_junk_never_raises(junk: str) -> None:
    assert classify_import_error("ImportError", junk).kind in {
        "other",
        "undefined-symbol",
        "missing-library",
        "glibc",
    }
