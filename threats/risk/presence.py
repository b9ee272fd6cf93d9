"""Leopard presence from camera traps with effort, patrol sign and known individuals (pure numpy/scipy).

The model, in the spirit of Royle-Nichols occupancy with Poisson counts (docs/risk-model.md,
"Leopard presence"):

- **Camera stations**: the cells with camera trap-days. Each station's detections are cut into
  independent events (the same individual, or an unidentified animal, at the same station within
  ``leopard_independence_hours`` is one event), so a leopard sitting in front of a camera for an
  evening is one visit, not forty pictures. Events ~ Poisson(trap-days x r_c x u(x)): a detection
  rate per trap-day = use of the place by leopards, u(x), times the per-day detectability of a camera.
- **Patrol sign** (tracks, scrapes, scat): sign records per cell ~ Poisson(visits x r_s x u(x)),
  the same use with its own detectability (a patrol sees sign less often than a camera records).
- **Individuals** (when the reserve identifies them): the number of distinct individuals recorded
  at a station ~ Poisson(r_i x u(x) x (1 - exp(-trap-days / individual_days))): more animals
  where the place is used more, saturating with effort. Rows are only added when some camera
  record carries an individual ID.
- ``log u(x)`` is linear in standardised terrain covariates (elevation and slope with quadratic
  terms, ruggedness, distance to cliffs, distance to the valley network, walking time from access),
  clamped to the range the effort sampled, with Gaussian priors: the shared penalised Poisson GLM
  (threats.risk.glm.fit_poisson_glm). The terrain carries the estimate to cells without cameras, but
  only when it predicts held-out blocks of stations better than one flat rate (``heldout_loglik``).
- Identified animals (when any camera record names one) place the home ranges first: spatial
  capture-recapture of their activity centres (threats.risk.activity); its use over the prior's is the
  first factor of the frailty.
- A gamma-Poisson frailty at two nested scales (a home range, 9 km; then 3 km) moves the rate towards
  what the cameras and patrols nearby recorded against what the model expected; where no effort is
  near, it is 1 and the terrain model stands alone.
- Imperfect detection: presence is the chance a camera in the cell records a leopard in
  ``leopard_reference_trap_days``, ``1 - exp(-rate x days)`` (the Royle-Nichols occupancy
  ``1 - exp(-abundance)`` with a fixed per-animal detectability of 1 / reference days: with a few
  detections per camera that detectability is not identifiable from the data, so it is set, not fitted).
- Uncertainty: the GLM's Laplace covariance (delta method per cell) plus the frailty's gamma
  posterior give a lognormal log-rate; presence's SD comes from Gauss-Hermite quadrature over it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special

from threats.risk.activity import ActivityCentres, fit_activity_centres
from threats.risk.data import PointEvents, RiskConfig, SpeciesDetections
from threats.risk.effort import EffortLayers, event_counts
from threats.risk.features import TerrainFeatures, kernel_sum
from threats.risk.glm import PoissonFit, fit_poisson_glm

# Covariate groups of the leopard terrain model: (group, quadratic term?)
COVARIATES = (
    ("elevation", True),
    ("slope", True),
    ("ruggedness", False),
    ("distance to cliffs", False),
    ("distance to valley network", False),
    ("walking time from access", False),
)

_METHODS = ("camera", "sign", "individuals")


@dataclass
class PresenceModel:
    fit: PoissonFit
    log_rate: np.ndarray  # log camera detections (independent events) per trap-day, per cell
    log_rate_sd: np.ndarray  # SD of log_rate (GLM + frailty)
    log_index: np.ndarray  # the terrain part, centred on the reserve-average cell
    term_contributions: dict[str, np.ndarray]  # per covariate group, centred; they sum to log_index
    baseline: float  # log rate of a reserve-average cell before local evidence
    log_frailty: np.ndarray
    observed_near: np.ndarray  # kernel-weighted records (camera events + sign) around each cell
    expected_near: np.ndarray  # the same, expected from the terrain model and the effort
    presence: np.ndarray  # 1 - exp(-rate x reference trap-days)
    presence_sd: np.ndarray
    centres: ActivityCentres | None  # the identified animals' home ranges (None: no identified record)
    terrain_kept: bool  # False: held out, the terrain predicted the records worse than a flat rate
    heldout_loglik: tuple[float, float] | None  # (terrain, flat): over folds, averaged over deals; None: not checked
    stations: int
    trap_days: float
    camera_events: float
    individuals: int

    @property
    def camera_rate_per_day(self) -> np.ndarray:
        return np.exp(self.log_rate)


def independent_events(grid, events: PointEvents, within_hours: float):
    """Per cell: independent events and distinct known individuals; and {(cell, individual): events} of the
    identified records.

    Records of the same individual (or of unidentified animals) in one cell count once per
    ``within_hours``: a record counts when it comes more than that after the last counted one.
    """
    by_individual: dict[tuple[int, str], float] = {}
    counts = np.zeros(grid.n_cells)
    individuals = np.zeros(grid.n_cells)
    cell, ok = grid.flat_index(events.x, events.y)
    if not ok.any():
        return counts.reshape(grid.shape), individuals.reshape(grid.shape), by_individual
    labels = events.label if events.label is not None else np.full(len(events), "", dtype=object)
    window = within_hours * 3600.0
    last: dict[tuple[int, str], float] = {}
    seen: set[tuple[int, str]] = set()
    for i in np.argsort(events.t, kind="stable"):
        if not ok[i]:
            continue
        key = (int(cell[i]), str(labels[i]))
        previous = last.get(key)
        if previous is None or events.t[i] - previous > window:
            counts[key[0]] += 1.0
            last[key] = float(events.t[i])
            if key[1]:
                by_individual[key] = by_individual.get(key, 0.0) + 1.0
        if key[1] and key not in seen:
            seen.add(key)
            individuals[key[0]] += 1.0
    return counts.reshape(grid.shape), individuals.reshape(grid.shape), by_individual


def _raw_covariates(features: TerrainFeatures) -> dict[str, np.ndarray]:
    raw = {
        "elevation": features.elevation,
        "slope": features.slope_deg,
        "distance to valley network": features.valley_distance_m / 1000.0,
        "walking time from access": features.walking_hours,
    }
    if features.ruggedness_m is not None:
        raw["ruggedness"] = features.ruggedness_m
    if features.cliff_distance_m is not None:
        raw["distance to cliffs"] = np.log1p(features.cliff_distance_m / 1000.0)  # km, log: the first km matters
    return raw


def _design(features: TerrainFeatures, covered: np.ndarray) -> tuple[list[str], list[str], np.ndarray]:
    """Standardised covariate columns (n_cells x terms), clamped to the range the effort sampled."""
    raw = _raw_covariates(features)
    inside = features.inside
    names, groups, columns = [], [], []
    for group, quadratic in COVARIATES:
        if group not in raw:
            continue
        v = np.where(inside, raw[group], np.nanmean(raw[group][inside]))
        sampled = v[covered & inside]
        if sampled.size < 2:
            sampled = v[inside]
        clamped = np.clip(v, sampled.min(), sampled.max())
        scale = float(np.std(v[inside]))
        if scale <= 0 or sampled.max() <= sampled.min():
            continue  # constant where anyone looked: nothing to learn
        z = (clamped - float(np.mean(v[inside]))) / scale
        names.append(group)
        groups.append(group)
        columns.append(z.ravel())
        if quadratic:
            names.append(f"{group}^2")
            groups.append(group)
            columns.append(z.ravel() ** 2)
    block = np.column_stack(columns) if columns else np.zeros((features.grid.n_cells, 0))
    return names, groups, block


def heldout_loglik(X, y, log_exposure, rows, grid, prior_mean, prior_sd, config, start) -> tuple[float, float] | None:
    """Poisson log-likelihood of held-out records, with the terrain terms and with one rate per method.

    Spatial block cross-validation: the rows' cells fall into square blocks of ``leopard_cv_block_m``, dealt
    into ``leopard_cv_folds`` folds; each fold is predicted by both models fitted on the others (same priors,
    Newton started from ``start``, the fit on all rows). Blocks, not cells, so that a camera's neighbours do
    not vouch for it. With a dozen stations one dealing can decide by luck, so the deal is repeated
    ``leopard_cv_repeats`` times (fixed shuffles) and the log-likelihoods averaged. None when the rows lie in
    a single block (nothing to hold out)."""
    side = max(1, round(config.leopard_cv_block_m / grid.cell_m))
    r, c = np.divmod(rows, grid.shape[1])
    blocks, block_of = np.unique((r // side) * (grid.shape[1] // side + 1) + c // side, return_inverse=True)
    if len(blocks) < 2:
        return None
    flat = slice(0, len(_METHODS))
    totals = np.zeros(2)
    for repeat in range(config.leopard_cv_repeats):
        fold = (np.random.default_rng(repeat).permutation(len(blocks)) % config.leopard_cv_folds)[block_of]
        for k in np.unique(fold):
            train, test = fold != k, fold == k
            for m, cols in enumerate((slice(None), flat)):
                Xc, mean, sd = X[:, cols], prior_mean[cols], prior_sd[cols]
                names = [""] * Xc.shape[1]
                fit = fit_poisson_glm(Xc[train], y[train], log_exposure[train], names=names, prior_mean=mean,
                                      prior_sd=sd, start=start[cols])  # fmt: skip
                eta = Xc[test] @ fit.coef + log_exposure[test]
                totals[m] += float(y[test] @ eta - np.exp(eta).sum() - special.gammaln(y[test] + 1.0).sum())
    totals /= config.leopard_cv_repeats
    return float(totals[0]), float(totals[1])


def _activity_centres(grid, inside, log_use, trap_days, stations, by_individual) -> ActivityCentres | None:
    """Spatial capture-recapture of the identified animals at the camera stations (the flat cells ``stations``;
    None: no identified record)."""
    if not by_individual:
        return None
    column = {int(cell): j for j, cell in enumerate(stations)}
    animals = sorted({name for _, name in by_individual})
    row = {name: i for i, name in enumerate(animals)}
    counts = np.zeros((len(animals), len(stations)))
    for (cell, name), n in by_individual.items():
        if cell in column:  # a record outside the reserve's grid data has no station
            counts[row[name], column[cell]] += n
    days = trap_days.ravel()[stations]
    return fit_activity_centres(
        shape=grid.shape, cell_m=grid.cell_m, inside=inside, log_use=log_use, station_cells=stations, trap_days=days,
        counts=counts,
    )  # fmt: skip


def fit_leopard_presence(
    features: TerrainFeatures,
    detections: SpeciesDetections,
    effort: EffortLayers,
    *,
    reference: float,
    config: RiskConfig,
) -> PresenceModel:
    """Leopard use per cell from camera events per trap-day, sign per patrol visit and individuals."""
    grid = features.grid
    inside = features.inside
    events, individuals, by_individual = independent_events(grid, detections.camera, config.leopard_independence_hours)
    sign = event_counts(grid, detections.sign, reference=reference, half_life_days=config.half_life_days)
    events, sign = np.where(inside, events, 0.0), np.where(inside, sign, 0.0)
    trap_days = np.where(inside, effort.trap_days, 0.0)
    # a camera record where no deployment is known proves a camera was there, for an unknown time
    trap_days = np.where((events > 0) & (trap_days <= 0), config.leopard_reference_trap_days, trap_days)
    visits = np.where(inside, effort.visits, 0.0)
    visits = np.where((sign > 0) & (visits <= 0), 1.0, visits)
    covered = (trap_days > 0) | (visits > 0)
    names, groups, block = _design(features, covered)

    cam_rows = np.flatnonzero(trap_days.ravel() > 0)
    sign_rows = np.flatnonzero(visits.ravel() > 0)
    labels = detections.camera.label
    use_individuals = labels is not None and any(bool(v) for v in labels) and len(cam_rows) > 0
    ind_rows = cam_rows if use_individuals else np.zeros(0, dtype=np.int64)
    blocks, ys, offsets = [], [], []
    for m, (rows, y, exposure) in enumerate(
        (
            (cam_rows, events.ravel(), trap_days.ravel()),
            (sign_rows, sign.ravel(), visits.ravel()),
            (ind_rows, individuals.ravel(), -np.expm1(-trap_days.ravel() / config.leopard_individual_days)),
        )
    ):
        indicator = np.zeros((len(rows), len(_METHODS)))
        indicator[:, m] = 1.0
        blocks.append(np.column_stack([indicator, block[rows]]))
        ys.append(y[rows])
        offsets.append(np.log(exposure[rows]))
    X, y, log_exposure = np.vstack(blocks), np.concatenate(ys), np.concatenate(offsets)
    prior_mean = np.zeros(len(_METHODS) + len(names))
    prior_sd = np.array(
        [config.prior_intercept_sd] * len(_METHODS)
        + [config.prior_quadratic_sd if nm.endswith("^2") else config.prior_habitat_sd for nm in names]
    )
    fit = fit_poisson_glm(X, y, log_exposure, names=[*_METHODS, *names], prior_mean=prior_mean, prior_sd=prior_sd)
    rows = np.concatenate([cam_rows, sign_rows, ind_rows])
    heldout = None
    if names and config.leopard_cv_repeats > 0:
        heldout = heldout_loglik(X, y, log_exposure, rows, grid, prior_mean, prior_sd, config, start=fit.coef)
    terrain_kept = heldout is None or heldout[0] >= heldout[1]
    if not terrain_kept:
        # The terrain predicted held-out blocks worse than one rate for the whole reserve: it would carry a
        # wrong pattern to the ground nobody looked at, so only the records and their effort speak.
        names, groups, block = [], [], np.zeros((grid.n_cells, 0))
        X, prior_mean, prior_sd = X[:, : len(_METHODS)], prior_mean[: len(_METHODS)], prior_sd[: len(_METHODS)]
        fit = fit_poisson_glm(X, y, log_exposure, names=list(_METHODS), prior_mean=prior_mean, prior_sd=prior_sd,
                              start=fit.coef[: len(_METHODS)])  # fmt: skip

    beta = fit.coef[len(_METHODS) :]
    terrain_eta = block @ beta
    design = np.column_stack([np.ones(grid.n_cells), block])  # camera intercept + terrain
    idx = [0, *range(len(_METHODS), len(fit.coef))]
    var_eta = np.einsum("ij,jk,ik->i", design, fit.cov[np.ix_(idx, idx)], design).reshape(grid.shape)
    log_rate_glm = (fit.coef[0] + terrain_eta).reshape(grid.shape)
    sign_shift = fit.coef[1] - fit.coef[0]  # log(sign per visit / camera events per trap-day)

    contributions: dict[str, np.ndarray] = {}
    for j, group in enumerate(groups):
        contributions[group] = contributions.get(group, 0.0) + beta[j] * block[:, j].reshape(grid.shape)
    for group in contributions:
        contributions[group] = np.where(inside, contributions[group] - contributions[group][inside].mean(), 0.0)
    log_index = sum(contributions.values()) if contributions else np.zeros(grid.shape)
    baseline = float(np.mean(log_rate_glm[inside] - log_index[inside]))

    expected = np.exp(log_rate_glm) * (trap_days + math.exp(sign_shift) * visits)
    b = config.leopard_prior_detections
    recorded = events + sign
    log_frailty = np.zeros(grid.shape)
    trigamma = np.zeros(grid.shape)
    centres = (
        _activity_centres(grid, inside, log_rate_glm, trap_days, cam_rows, by_individual)
        if config.leopard_scr
        else None
    )
    if centres is not None:
        # The identified animals place the home ranges first (spatial capture-recapture); the kernels below then
        # weigh all records, sign and unidentified ones too, against what that already expects.
        log_frailty = np.log(centres.factor)
        trigamma = centres.log_factor_var
    # Two scales, nested: first where the animals' home ranges lie (a region with records against one with effort
    # and none), then the neighbourhood of each station, against what the first scale already expects.
    home_range = (config.leopard_home_range_m,) if config.leopard_home_range_m > 0 else ()
    for bandwidth in (*home_range, config.leopard_bandwidth_m):
        observed_near = kernel_sum(recorded, bandwidth, grid.cell_m)
        expected_near = kernel_sum(np.where(covered, expected * np.exp(log_frailty), 0.0), bandwidth, grid.cell_m)
        shape = b + observed_near
        log_frailty = log_frailty + np.log(shape / (b + expected_near))
        trigamma = trigamma + special.polygamma(1, shape)
    log_rate = log_rate_glm + log_frailty
    log_rate_sd = np.sqrt(var_eta + trigamma)  # var log Gamma(shape) = trigamma(shape) per scale, plus the centres'

    days = config.leopard_reference_trap_days
    presence = -np.expm1(-np.exp(log_rate) * days)
    nodes, weights = np.polynomial.hermite_e.hermegauss(9)
    weights = weights / weights.sum()
    mean = np.zeros(grid.shape)
    second = np.zeros(grid.shape)
    for u, w in zip(nodes, weights, strict=True):
        p = -np.expm1(-np.exp(log_rate + u * log_rate_sd) * days)
        mean += w * p
        second += w * p * p
    presence_sd = np.sqrt(np.maximum(second - mean * mean, 0.0))
    return PresenceModel(
        fit=fit,
        log_rate=log_rate,
        log_rate_sd=log_rate_sd,
        log_index=log_index,
        term_contributions=contributions,
        baseline=baseline,
        log_frailty=log_frailty,
        observed_near=observed_near,
        expected_near=expected_near,
        presence=presence,
        presence_sd=presence_sd,
        centres=centres,
        terrain_kept=terrain_kept,
        heldout_loglik=heldout,
        stations=int((effort.trap_days > 0).sum()),
        trap_days=float(effort.trap_days[inside].sum()),
        camera_events=float(events.sum()),
        individuals=int(individuals.sum()),
    )


def risk_sd(intensity: np.ndarray, intensity_sd: np.ndarray, presence: np.ndarray, presence_sd: np.ndarray):
    """SD of intensity x presence, the two independent: var = I^2 sP^2 + P^2 sI^2 + sI^2 sP^2."""
    return np.sqrt(intensity**2 * presence_sd**2 + presence**2 * intensity_sd**2 + intensity_sd**2 * presence_sd**2)
