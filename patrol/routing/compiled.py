"""numba's compiler for the planner's inner loops, with a cache folder that exists and can be written.

numba looks for its cache folder when a function is decorated, at import: with none writable (a
read-only source tree, a worker user without a home) the planner's modules would not import at all.
So unless NUMBA_CACHE_DIR says otherwise, the cache is the project's var/numba (shared by set-up,
workers, tests and benchmarks, so code compiled once serves them all), else a folder in the temp dir.

Pure numerical module.
"""

from __future__ import annotations

import os
import tempfile
from functools import partial
from pathlib import Path

import numba
from numba import config


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def _cache_dir() -> str:
    for folder in (Path(__file__).resolve().parents[2] / "var" / "numba",
                   Path(tempfile.gettempdir()) / f"irbis-numba-{os.getuid()}"):  # fmt: skip
        if _writable(folder):
            return str(folder)
    return ""  # nowhere: compile without caching (each process compiles again)


if not config.CACHE_DIR:
    config.CACHE_DIR = _cache_dir()

# Compiled, GIL released (the planner runs two searches at once), cached when a folder could be found.
njit = partial(numba.njit, nogil=True, cache=bool(config.CACHE_DIR))
