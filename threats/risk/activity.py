"""Where the known leopards live: spatial capture-recapture of their activity centres (pure numpy/scipy).

The standard survey of snow leopards is camera traps with individuals told apart by their coat; the
standard analysis is spatial capture-recapture (SCR). Each identified individual has an activity centre
``s``; a camera at distance ``d`` records it at ``lambda0 x exp(-d^2 / 2 sigma^2)`` independent events
per trap-day. A station that ran for months and never recorded an animal says its centre is far; two
stations that both did say it is between them. So the individuals place the home ranges, which a kernel
of records cannot (it cannot tell one animal seen at two stations from two animals).

- Candidate centres: a coarse grid (``SPACING_M``) over the reserve, with a prior that follows the terrain
  model's use when the terrain was kept (an inhomogeneous density), else flat.
- ``lambda0`` and ``sigma``: maximum of the likelihood conditional on being detected (each individual's
  records, integrated over its centre, divided by its chance of being recorded at all), ``sigma`` over a
  fixed ladder, ``lambda0`` by a bounded 1-D search.
- Each recorded individual's posterior over its centre; animals never recorded (Horvitz-Thompson:
  the recorded ones divided by the chance of being recorded) are spread over the prior where the cameras
  would have missed them, so ground nobody watched is not ruled out.
- Expected use of a cell: the sum over centres of their weight x the detection kernel around them.

``ActivityCentres.factor`` is that use divided by the use expected from the prior alone: above 1 where the
recorded animals live, below 1 near stations that recorded none of them, 1 far from every station.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage, optimize, special

from threats.risk.features import block_sum, coarse_to_fine

# home-range scales tried: a 95 % range of 6 pi sigma^2, 20 to 1,200 km2 (snow and Amur leopards)
SIGMAS_M = (1000.0, 1500.0, 2000.0, 3000.0, 4000.0, 6000.0, 8000.0)
SPACING_M = 500.0  # between candidate centres
MAX_CENTRES = 20_000  # a coarser ladder of centres on very large grids: memory is centres x stations


@dataclass
class ActivityCentres:
    sigma_m: float
    lambda0: float  # events of one animal per trap-day at its centre
    recorded: int  # individuals recorded
    unrecorded: float  # expected individuals never recorded
    factor: np.ndarray  # expected use / use expected from the prior alone, per cell of the fine grid
    log_factor_var: np.ndarray  # variance of log(factor) from the centres' posteriors (delta method)


def fit_activity_centres(
    *,
    shape: tuple[int, int],
    cell_m: float,
    inside: np.ndarray,
    log_use: np.ndarray,
    station_cells: np.ndarray,
    trap_days: np.ndarray,
    counts: np.ndarray,
) -> ActivityCentres | None:
    """SCR on ``counts`` (individuals x stations: independent events) at ``station_cells`` (flat indices into
    ``shape``) run ``trap_days`` each. ``log_use``: the terrain model's log use per cell (the centres' prior).
    None without a recorded individual."""
    counts = np.asarray(counts, dtype=np.float64)
    counts = counts[counts.sum(axis=1) > 0]
    if counts.shape[0] == 0 or len(station_cells) == 0:
        return None
    f = max(1, round(SPACING_M / cell_m), math.ceil(math.sqrt(shape[0] * shape[1] / MAX_CENTRES)))
    weight = block_sum(np.where(inside, np.exp(log_use - np.max(log_use[inside])), 0.0), f)
    cr, cc = np.nonzero(weight > 0)
    log_prior = np.log(weight[cr, cc] / weight.sum())
    # centres and stations in metres of the fine grid
    sy, sx = (cr * f + f / 2) * cell_m, (cc * f + f / 2) * cell_m
    tr, tc = np.divmod(np.asarray(station_cells), shape[1])
    ty, tx = (tr + 0.5) * cell_m, (tc + 0.5) * cell_m
    d2 = (sy[:, None] - ty[None, :]) ** 2 + (sx[:, None] - tx[None, :]) ** 2  # centres x stations
    log_k = np.log(trap_days)
    n_i = counts.sum(axis=1)

    def profile(sigma: float):
        """What the likelihood needs at one sigma, for any lambda0: distance terms and each centre's exposure."""
        g = np.exp(-d2 / (2 * sigma**2))
        return (counts @ log_k)[:, None] - counts @ (d2.T / (2 * sigma**2)), g @ trap_days

    def loglik(log_lambda0: float, fixed, h) -> tuple[float, np.ndarray]:
        lam = math.exp(log_lambda0)
        post = log_prior[None, :] + fixed + (n_i * log_lambda0)[:, None] - lam * h[None, :]
        seen = np.log(np.clip(-np.expm1(-lam * h), 1e-300, None))
        p_seen = special.logsumexp(log_prior + seen)
        return float(special.logsumexp(post, axis=1).sum() - len(n_i) * p_seen), post

    best = None
    for sigma in SIGMAS_M:
        fixed, h = profile(sigma)
        res = optimize.minimize_scalar(lambda v, a=fixed, b=h: -loglik(v, a, b)[0], bounds=(-12.0, 2.0),
                                       method="bounded")  # fmt: skip
        if best is None or -res.fun > best[0]:
            best = (-res.fun, float(res.x), sigma, fixed, h)
    _, log_lambda0, sigma, fixed, h = best
    _, post = loglik(log_lambda0, fixed, h)
    lam = math.exp(log_lambda0)
    post = np.exp(post - special.logsumexp(post, axis=1, keepdims=True))
    prior = np.exp(log_prior)
    missed = prior * np.exp(-lam * h)
    p_seen = 1.0 - missed.sum()
    unrecorded = len(n_i) * (1.0 - p_seen) / max(p_seen, 1e-12)

    def kernel_sum(centre_weights: np.ndarray, sd_m: float) -> np.ndarray:
        """Per fine cell: sum over centres of weight x exp(-d^2 / 2 sd^2) (coarse grid, then interpolated)."""
        s = sd_m / (f * cell_m)
        coarse = np.zeros(weight.shape)
        coarse[cr, cc] = centre_weights
        smooth = ndimage.gaussian_filter(coarse, sigma=s, mode="constant", truncate=4.0) * (2 * math.pi * s * s)
        return coarse_to_fine(smooth, f, shape)

    unseen = unrecorded * missed / max(missed.sum(), 1e-300)
    expected = kernel_sum(post.sum(axis=0) + unseen, sigma)
    prior_use = kernel_sum((len(n_i) + unrecorded) * prior, sigma)
    # Var of the use: each recorded animal's centre is uncertain (its posterior), the unrecorded ones are a
    # Poisson process; exp(-d^2 / 2 sigma^2) squared is the kernel of SD sigma / sqrt(2).
    second = kernel_sum(post.sum(axis=0) + unseen, sigma / math.sqrt(2.0))
    variance = second - sum(kernel_sum(p, sigma) ** 2 for p in post)
    floor = 1e-6 * float(prior_use.max())  # where the prior puts nothing, so does the fit: ratio 1
    factor = (expected + floor) / (prior_use + floor)
    log_var = np.clip(variance, 0.0, None) / (expected + floor) ** 2
    return ActivityCentres(sigma, lam, len(n_i), float(unrecorded), np.where(inside, factor, 1.0),
                           np.where(inside, log_var, 0.0))  # fmt: skip
