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


def patchy_risk(shape: tuple[int, int], *, seed: int, patches: int = 1500) -> np.ndarray:
    """Many small, sharp-edged patches of risk (1-8 cells across) scattered over a zero background."""
    rng = np.random.default_rng(seed)
    rows, cols = shape
    risk = np.zeros(shape)
    for _ in range(patches):
        r0, c0 = int(rng.integers(0, rows)), int(rng.integers(0, cols))
        h, w = int(rng.integers(1, 9)), int(rng.integers(1, 9))
        risk[r0 : r0 + h, c0 : c0 + w] += rng.uniform(0.1, 1.0)
    return risk


def sharp_risk(shape: tuple[int, int], *, seed: int, peaks: int = 5, background: float = 0.001) -> np.ndarray:
    """A few (``peaks``) narrow high peaks (1.5-3 cells wide) on a near-zero noisy background."""
    rng = np.random.default_rng(seed)
    rows, cols = shape
    yy, xx = np.mgrid[0:rows, 0:cols]
    risk = background * rng.random(shape)
    for _ in range(peaks):
        r0, c0 = rng.integers(rows // 6, 5 * rows // 6), rng.integers(cols // 6, 5 * cols // 6)
        sigma = rng.uniform(1.5, 3.0)
        risk += rng.uniform(5.0, 10.0) * np.exp(-((yy - r0) ** 2 + (xx - c0) ** 2) / (2 * sigma**2))
    return risk


def risk_surface(kind: str, shape: tuple[int, int], *, seed: int) -> np.ndarray:
    """The benchmark risk surfaces by name: smooth (broad Gaussian hotspots), patchy, sharp."""
    if kind == "smooth":
        return synthetic_risk(shape, seed=seed, blobs=60)
    if kind == "patchy":
        return patchy_risk(shape, seed=seed)
    if kind == "sharp":
        return sharp_risk(shape, seed=seed)
    raise ValueError(f"unknown risk surface {kind!r}")


RISK_SURFACES = ("smooth", "patchy", "sharp")


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
