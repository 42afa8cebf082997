#!/usr/bin/env python3
"""One-file bootstrap: creates .venv, installs Mana Desktop into it, then runs a task.

    python3 run.py app [ARGS]   launch the app (the embedded demo when no account is set up)
    python3 run.py test [ARGS]  lint, type-check and run the whole test suite
    python3 run.py cli ARGS     any `mana-desktop` subcommand, e.g. `cli serve --port 0`
    python3 run.py bench [ARGS] the benchmark report (quick mode by default)

Needs only Python 3.11+. The install is redone only when pyproject.toml changes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("MANA_DESKTOP_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".mana-desktop-installed"


def _wanted_stamp() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def ensure_venv() -> None:
    if sys.version_info < (3, 11):
        sys.exit("Mana Desktop needs Python 3.11 or newer; this is " + sys.version.split()[0])
    if not PY.exists():
        print(f"Creating a virtual environment in {VENV} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    if STAMP.exists() and STAMP.read_text() == _wanted_stamp():
        return
    print("Installing Mana Desktop and its dependencies (first run only) ...", flush=True)
    pip = [str(PY), "-m", "pip", "--disable-pip-version-check"]
    subprocess.run([*pip, "install", "-q", "-U", "pip"], check=True)
    subprocess.run([*pip, "install", "-q", "-e", f"{ROOT}[dev]"], check=True)
    STAMP.write_text(_wanted_stamp())


def _run(cmd: list[str]) -> int:
    return subprocess.call(cmd, cwd=ROOT)


def task_test(args: list[str]) -> int:
    steps = [
        [str(PY), "-m", "ruff", "check", "mana_desktop", "tests", "benchmarks"],
        [str(PY), "-m", "mypy"],
        [str(PY), "-m", "pytest", "-n", "2", "--dist", "loadgroup", *args],
    ]
    if args:  # a focused run (e.g. one test file) skips the lint steps
        steps = steps[2:]
    for step in steps:
        print("+", " ".join(step[2:] if step[0] == str(PY) else step), flush=True)
        code = _run(step)
        if code != 0:
            return code
    return 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(__doc__)
        return 0
    task, rest = argv[0], argv[1:]
    ensure_venv()
    if task == "app":
        return _run([str(PY), "-m", "mana_desktop", "app", *rest])
    if task == "test":
        return task_test(rest)
    if task == "cli":
        return _run([str(PY), "-m", "mana_desktop", *rest])
    if task == "bench":
        return _run([str(PY), "-m", "benchmarks", *rest])
    print(f"unknown task {task!r}\n{__doc__}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
