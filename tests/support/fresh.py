"""Running a few lines of Python in a fresh interpreter, as a door starts one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def fresh_python(code: str) -> str:
    """What ``code`` prints, run by a new interpreter at the repository root."""
    found = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return found.stdout.strip()
