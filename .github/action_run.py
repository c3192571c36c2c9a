"""The GitHub Action's step: run one torchsmith command and publish its outputs (stdlib only).

Inputs come as environment variables (never interpolated into a shell line, so a requirement such as
`torch>=2.5` or a crafted input cannot inject commands); outputs are appended to `$GITHUB_OUTPUT`.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys


def main() -> int:
    command = os.environ.get("TS_COMMAND", "install").strip() or "install"
    requirements = shlex.split(os.environ.get("TS_REQUIREMENTS", "torch")) or ["torch"]
    extra = shlex.split(os.environ.get("TS_ARGS", ""))
    backend = ["--backend", os.environ.get("TS_BACKEND", "auto") or "auto"]
    if command in ("install", "plan"):
        argv = [command, *requirements, *backend, "--json", *extra]
    elif command == "doctor":
        argv = ["doctor", "--json", *extra]
    elif command == "lint":
        argv = ["lint", *shlex.split(os.environ.get("TS_PATHS", ".")), "--format", "github", *extra]
    else:
        sys.stderr.write(f"error: invalid value `{command}` for the `command` input\n")
        return 2
    result = subprocess.run([sys.executable, "-m", "torchsmith", *argv], stdout=subprocess.PIPE, text=True)
    sys.stdout.write(result.stdout)
    if command in ("install", "plan") and result.stdout.strip():
        document = json.loads(result.stdout)
        plan = document.get("plan", document)
        torch = next((p for p in plan.get("packages", []) if p.get("name") == "torch"), {})
        outputs = {
            "backend": plan.get("backend", ""),
            "torch-version": torch.get("version", ""),
            "index-url": plan.get("index", ""),
        }
        path = os.environ.get("GITHUB_OUTPUT")
        if path:
            with open(path, "a", encoding="utf-8") as handle:
                handle.writelines(f"{key}={value}\n" for key, value in outputs.items())
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
