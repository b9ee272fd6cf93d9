"""Shared helpers for the benchmark scripts: paths, synthetic risk surfaces, peak memory."""

from __future__ import annotations

import os
import resource
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # run as `.venv/bin/python benchmarks/NAME.py` from anywhere

from tests.shared_data import DEM_DIR as SHARED_DEM_DIR  # noqa: E402  (after the sys.path line)

DEM_DIR = Path(os.environ["IRBIS_DEM_DIR"]) if os.environ.get("IRBIS_DEM_DIR") else SHARED_DEM_DIR
BIGTUJUNGA = DEM_DIR / "bigtujunga-srtm-30m.tif"
ZION = DEM_DIR / "zion-srtm-90m.tif"


def synthetic_risk(shape: tuple[int, int], *, seed: int, blobs: int = 40, background: float = 0.05) -> np.ndarray:
    """Gaussian snare-risk hotspots of random size and weight on a weak noisy background."""
    rng = np.random.default_rng(seed)
    rows, cols = shape
    yy, xx = np.mgrid[0:rows, 0:cols]
    risk = background * rng.random(shape)
    for _ in range(blobs):
        r0, c0 = rng.integers(0, rows), rng.integers(0, cols)
        sigma = rng.uniform(2.0, 0.06 * max(rows, cols))
        risk += rng.uniform(0.2, 1.0) * np.exp(-((yy - r0) ** 2 + (xx - c0) ** 2) / (2 * sigma**2))
    return risk


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
