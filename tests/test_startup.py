"""Processes start without the numerical stack: it is imported by the first task that needs it.

Each probe runs in a fresh interpreter (tests/startup_probe.py) and reports every heavy module that
came with the start, with the chain of project modules that imported it.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = Path(__file__).with_name("startup_probe.py")


@pytest.mark.parametrize("process", ["web", "worker", "help"])
def test_a_process_starts_without_the_numerical_stack(process):
    out = subprocess.run(  # noqa: S603
        [sys.executable, str(PROBE), process], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    assert json.loads(out.strip().splitlines()[-1])["heavy"] == {}
