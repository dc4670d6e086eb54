"""Running the ``cunyi`` command in a subprocess, for integration tests (importable as ``demo_cli``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run_cunyi(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run ``python3 -m ui.launcher ARGS`` (what the ``cunyi`` console script runs) from the repository root."""
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run(
        [sys.executable, "-m", "ui.launcher", *args], cwd=REPO, env=env, capture_output=True, text=True,
        timeout=timeout, check=False,
    )


def last_json(stdout: str) -> dict:
    """The JSON object a command prints as its last stdout line."""
    return json.loads(stdout.strip().splitlines()[-1])
