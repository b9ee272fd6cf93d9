"""Poisson GLM fits of the risk model and the species presence models."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from threats.risk.data import RiskConfig, SpeciesDetections
from threats.risk.effort import EffortLayers, event_counts
from threats.risk.features import TerrainFeatures


@dataclass(frozen=True)
class PoissonFit:
    names: tuple[str, ...]
    coef: np.ndarray
    cov: np.ndarray  # inverse of the penalised information (Laplace approximation)
    log_likelihood: float  # Poisson log-likelihood without the log(y!) constant


def fit_poisson_glm(
    X: np.ndarray,
    y: np.ndarray,
    log_exposure: np.ndarray,
    *,
    names: Sequence[str],
    prior_mean: np.ndarray,
    prior_sd: np.ndarray,
    max_iter: int = 100,
    start: np.ndarray | None = None,
) -> PoissonFit:
    """MAP estimate of a Poisson GLM (log link, offset) with independent Gaussian priors, by Newton.

    Rows are observation units (cells x effort types); ``y`` may be fractional (recency weights).
    The priors are what lets the model fall back sensibly: with no data a coefficient stays at its
    prior mean, with plenty the data dominate. ``start``: where Newton begins (a fit of similar data
    saves most iterations); the optimum is the same (the objective is concave).
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    precision = 1.0 / np.asarray(prior_sd, dtype=np.float64) ** 2
    mean = np.asarray(prior_mean, dtype=np.float64)
    beta = mean.copy()
    if start is not None:
        beta = np.array(start, dtype=np.float64)
    elif len(y) and y.sum() > 0:  # start the intercept at the crude rate so Newton starts close
        beta[0] = math.log(y.sum() / np.exp(log_exposure).sum())

    def objective(b: np.ndarray) -> float:
        eta = X @ b + log_exposure
        with np.errstate(over="ignore"):  # a wild trial step overflows; it is then simply rejected
            value = float(y @ eta - np.exp(eta).sum() - 0.5 * (precision * (b - mean) ** 2).sum())
        return value if math.isfinite(value) else -math.inf

    current = objective(beta)
    for _ in range(max_iter):
        mu = np.exp(X @ beta + log_exposure)
        grad = X.T @ (y - mu) - precision * (beta - mean)
        hess = (X * mu[:, None]).T @ X + np.diag(precision)
        step = np.linalg.solve(hess, grad)
        scale = 1.0
        while True:  # step halving: accept only an improvement (the objective is concave)
            candidate = beta + scale * step
            value = objective(candidate)
            if value >= current or scale < 1e-10:
                break
            scale /= 2.0
        if value < current:
            break  # no ascent left along the Newton direction: at the optimum to rounding
        beta, improvement, current = candidate, value - current, value
        if improvement <= 1e-10 * max(1.0, abs(current)) and np.abs(scale * step).max() < 1e-7:
            break
    mu = np.exp(X @ beta + log_exposure)
    hess = (X * mu[:, None]).T @ X + np.diag(precision)
    eta = X @ beta + log_exposure
    return PoissonFit(tuple(names), beta, np.linalg.inv(hess), float(y @ eta - mu.sum()))


def _standardise(values: np.ndarray, reference: np.ndarray) -> tuple[np.ndarray, float, float]:
    centre = float(np.mean(reference))
    scale = float(np.std(reference)) or 1.0
    return (values - centre) / scale, centre, scale


@dataclass
class SpeciesModel:
    """log detection rate = method intercept + terrain terms; ``log_index`` is the terrain part, centred."""

    fit: PoissonFit
    log_index: np.ndarray  # per cell; 0 = a reserve-average cell
    term_contributions: dict[str, np.ndarray]  # per terrain group (elevation, slope, ...), summing to log_index
    camera_rate_per_day: np.ndarray  # expected camera detections per trap-day per cell


def _terrain_design(features: TerrainFeatures, covered: np.ndarray, use_access: bool) -> tuple[dict, list[str]]:
    """Standardised quadratic terrain terms, clamped to the range the effort sampled.

    Clamping keeps a quadratic fitted on valley floors and camera ridges from bending upwards into
    conditions no one looked at: outside the sampled range the effect is held at its edge value.
    """
    raw = {"elevation": features.elevation, "slope": features.slope_deg}
    if use_access:
        raw["walking_hours"] = features.walking_hours
    columns: dict[str, tuple[str, np.ndarray]] = {}
    names: list[str] = []
    inside = features.inside
    for group, values in raw.items():
        v = np.where(inside, values, np.nanmean(values[inside]))
        sampled = v[covered & inside]
        if sampled.size < 2:
            sampled = v[inside]
        clamped = np.clip(v, sampled.min(), sampled.max())
        z, _, _ = _standardise(clamped, v[inside])
        columns[group] = (group, z)
        columns[f"{group}^2"] = (group, z**2)
        names += [group, f"{group}^2"]
    return columns, names


def fit_species_model(
    features: TerrainFeatures,
    detections: SpeciesDetections,
    effort: EffortLayers,
    *,
    reference: float,
    config: RiskConfig,
    use_access: bool = False,
) -> SpeciesModel:
    """Detection rates of one species from camera (per trap-day) and patrol sign (per visit) records."""
    grid = features.grid
    camera_counts = event_counts(grid, detections.camera, reference=reference, half_life_days=config.half_life_days)
    sign_counts = event_counts(grid, detections.sign, reference=reference, half_life_days=config.half_life_days)
    trap_days = effort.trap_days.copy()
    trap_days[(camera_counts > 0) & (trap_days <= 0)] = 1.0  # a record proves some effort
    visits = effort.visits.copy()
    visits[(sign_counts > 0) & (visits <= 0)] = 1.0
    covered = (trap_days > 0) | (visits > 0)
    columns, names = _terrain_design(features, covered, use_access)
    cam_rows = np.flatnonzero(trap_days.ravel() > 0)
    sign_rows = np.flatnonzero(visits.ravel() > 0)
    terrain_block = np.column_stack([columns[nm][1].ravel() for nm in names]) if names else np.zeros((grid.n_cells, 0))
    X = np.vstack(
        [
            np.column_stack([np.ones(len(cam_rows)), np.zeros(len(cam_rows)), terrain_block[cam_rows]]),
            np.column_stack([np.zeros(len(sign_rows)), np.ones(len(sign_rows)), terrain_block[sign_rows]]),
        ]
    )
    y = np.concatenate([camera_counts.ravel()[cam_rows], sign_counts.ravel()[sign_rows]])
    log_exposure = np.log(np.concatenate([trap_days.ravel()[cam_rows], visits.ravel()[sign_rows]]))
    n_terms = len(names)
    prior_mean = np.zeros(2 + n_terms)
    prior_sd = np.concatenate([[config.prior_intercept_sd] * 2, [config.prior_habitat_sd] * n_terms])
    fit = fit_poisson_glm(
        X, y, log_exposure, names=["camera", "sign", *names], prior_mean=prior_mean, prior_sd=prior_sd
    )
    contributions: dict[str, np.ndarray] = {}
    for j, nm in enumerate(names):
        group, column = columns[nm]
        part = fit.coef[2 + j] * column
        contributions[group] = contributions.get(group, 0.0) + part
    inside = features.inside
    for group in contributions:  # centre on the reserve-average cell so the parts sum to a centred index
        contributions[group] = contributions[group] - contributions[group][inside].mean()
    log_index = sum(contributions.values()) if contributions else np.zeros(grid.shape)
    raw_terrain = (terrain_block @ fit.coef[2:]).reshape(grid.shape) if n_terms else np.zeros(grid.shape)
    camera_rate = np.exp(fit.coef[0] + raw_terrain)
    return SpeciesModel(fit, np.where(inside, log_index, 0.0), contributions, camera_rate)
