"""Snare-threat risk model: effort-corrected snare-setting intensity, its uncertainty, leopard risk.

Pure numerical code (numpy/scipy, plus ``patrol.terrain``): inputs are arrays in the reserve's
projected CRS (metres) and times in epoch seconds; outputs are arrays on the model grid. No
database, no web imports. See docs/risk-model.md for the model and docs/adr/0004 for the decision.

The model in one paragraph: finds are Poisson counts whose mean is
``intensity x exposure``, where exposure is the time window times a saturating detection term
``1 - exp(-k * patrol visits per year)`` (a cell walked past forty times has had its snares found; a
cell never visited tells nothing). log-intensity is a penalised GLM of terrain and prey features
(Gaussian priors, so features the effort cannot identify fall back to documented defaults) times a
gamma-Poisson spatial frailty that moves the estimate towards nearby finds-per-effort where there
is effort and leaves it at the GLM prior where there is none. Leopard presence (threats.risk.presence)
is a model of the same kind: independent camera events per trap-day, patrol sign per visit and
individuals per station, log-linear in terrain covariates, with its own frailty and uncertainty.
Leopard risk = intensity x presence.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

from patrol.terrain.grid import Grid
from threats.risk.data import MODEL_VERSION, RiskConfig, RiskInputs
from threats.risk.effort import (
    EffortLayers,
    detection_exposure,
    event_counts,
    merge_same_line_finds,
    patrol_effort,
    recency_weights,
)
from threats.risk.features import TerrainFeatures, kernel_sum
from threats.risk.glm import PoissonFit, SpeciesModel, fit_poisson_glm, fit_species_model
from threats.risk.presence import PresenceModel, fit_leopard_presence, risk_sd


@dataclass
class Contribution:
    name: str
    value: float  # contribution to the cell's log-intensity
    detail: str = ""


@dataclass
class CellExplanation:
    row: int
    col: int
    intensity: float
    log_intensity: float
    baseline: float  # log-intensity of a reserve-average cell before local evidence
    contributions: list[Contribution]  # baseline + sum(values) == log_intensity
    effort_visits: float
    effort_km: float
    effort_hours: float
    finds_in_cell: float
    nearby_finds: float  # kernel-weighted finds around the cell
    nearby_expected_finds: float  # kernel-weighted finds the GLM expected given the effort
    data_weight: float  # 0 = prior only, 1 = local data dominate
    leopard_presence: float
    leopard_risk: float
    leopard_presence_sd: float = 0.0
    leopard_risk_sd: float = 0.0
    leopard_baseline: float = 0.0  # log camera events per trap-day of a reserve-average cell
    leopard_contributions: list[Contribution] = field(default_factory=list)  # baseline + sum == log rate


@dataclass
class RiskResult:
    """Per-cell layers on ``grid`` plus what produced them. NaN outside the reserve (nodata)."""

    grid: Grid
    model_version: str
    inputs_start: float  # epoch seconds: the data window the fit used
    inputs_end: float
    intensity: np.ndarray  # expected snare lines set per cell per year
    intensity_sd: np.ndarray
    intensity_low: np.ndarray  # 5 % credible bound
    intensity_high: np.ndarray  # 95 % credible bound
    data_weight: np.ndarray  # nearby expected finds / (prior + them): how much local effort informs the cell
    leopard_presence: np.ndarray  # P(camera records a leopard in the reference trap-days), 0..1
    leopard_presence_sd: np.ndarray
    leopard_risk: np.ndarray  # intensity x leopard presence
    leopard_risk_sd: np.ndarray  # intensity and presence uncertainty combined (independent)
    effort: EffortLayers
    finds: np.ndarray  # recency-weighted finds (+ weighted incidents) per cell
    nearby_finds: np.ndarray
    nearby_expected: np.ndarray
    glm: PoissonFit
    detection_rate: float  # k of the saturating detection term, chosen by profile likelihood
    prey: SpeciesModel
    leopard: PresenceModel
    feature_contributions: dict[str, np.ndarray]  # per cell, centred; sum + baseline + frailty = log-intensity
    baseline: float
    log_frailty: np.ndarray
    config: RiskConfig

    def explain(self, row: int, col: int) -> CellExplanation:
        """Which inputs drove this cell: each term's share of log-intensity, plus effort and nearby finds."""
        parts = [
            Contribution(name, float(values[row, col]), _DETAILS.get(name, ""))
            for name, values in self.feature_contributions.items()
        ]
        parts.append(
            Contribution(
                "nearby finds vs effort",
                float(self.log_frailty[row, col]),
                f"{self.nearby_finds[row, col]:.2f} finds near the cell where "
                f"{self.nearby_expected[row, col]:.2f} were expected from its terrain and effort",
            )
        )
        parts.sort(key=lambda p: -abs(p.value))
        leopard_parts = [
            Contribution(name, float(values[row, col]), _LEOPARD_DETAILS.get(name, ""))
            for name, values in self.leopard.term_contributions.items()
        ]
        leopard_parts.append(
            Contribution(
                "nearby leopard records vs effort",
                float(self.leopard.log_frailty[row, col]),
                f"{self.leopard.observed_near[row, col]:.2f} leopard records near the cell where "
                f"{self.leopard.expected_near[row, col]:.2f} were expected from its terrain and the effort",
            )
        )
        leopard_parts.sort(key=lambda p: -abs(p.value))
        value = float(self.intensity[row, col])
        return CellExplanation(
            row=row,
            col=col,
            intensity=value,
            log_intensity=math.log(value) if value > 0 else -math.inf,
            baseline=self.baseline,
            contributions=parts,
            effort_visits=float(self.effort.visits[row, col]),
            effort_km=float(self.effort.distance_km[row, col]),
            effort_hours=float(self.effort.hours[row, col]),
            finds_in_cell=float(self.finds[row, col]),
            nearby_finds=float(self.nearby_finds[row, col]),
            nearby_expected_finds=float(self.nearby_expected[row, col]),
            data_weight=float(self.data_weight[row, col]),
            leopard_presence=float(self.leopard_presence[row, col]),
            leopard_risk=float(self.leopard_risk[row, col]),
            leopard_presence_sd=float(self.leopard_presence_sd[row, col]),
            leopard_risk_sd=float(self.leopard_risk_sd[row, col]),
            leopard_baseline=self.leopard.baseline,
            leopard_contributions=leopard_parts,
        )


# What each term measures, in English, for `RiskResult.explain` (commands, notebooks). The keys are
# stable: the map translates labels and details by key in threats/risk/wording.py.
_DETAILS = {
    "prey: elevation": "musk deer (the snare target) detection rate vs elevation",
    "prey: slope": "musk deer detection rate vs slope",
    "walking time from access": "hours from the nearest road end, village or border crossing",
    "distance to valley network": "km from the valley floors (D8 streams of the DEM)",
    "zone": "management zone",
    "terrain: elevation": "snare finds per unit effort vs elevation, beyond what the prey model says",
    "terrain: slope": "snare finds per unit effort vs slope, beyond what the prey model says",
}


# The leopard model's terms (threats.risk.presence.COVARIATES), for `CellExplanation.leopard_contributions`.
_LEOPARD_DETAILS = {
    "elevation": "leopard records per trap-day vs elevation",
    "slope": "leopard records per trap-day vs slope",
    "ruggedness": "mean elevation difference to the neighbouring cells",
    "distance to cliffs": "distance to ground steeper than walkable",
    "distance to valley network": "km from the valley floors",
    "walking time from access": "hours from the nearest access point (people)",
}


def _frailty_bandwidth(
    finds: np.ndarray, expected: np.ndarray, rows: np.ndarray, config: RiskConfig, cell_m: float
) -> float:
    """The frailty's bandwidth: of ``config.frailty_bandwidths_m`` (the first one without finds), the one
    whose frailty best predicts each patrolled cell's finds from the finds and expectations AROUND it
    (its own neighbourhood of ``frailty_holdout_m`` left out, so the rest of a snare line in the next
    cell does not count).
    Poisson log-likelihood summed over the patrolled cells; one bandwidth per fit, not per cell."""
    choices = config.frailty_bandwidths_m
    if len(choices) == 1 or finds.sum() <= 0:
        return float(choices[0])
    size = 2 * int(config.frailty_holdout_m // cell_m) + 1
    own_finds = ndimage.uniform_filter(finds, size=size, mode="constant") * size**2
    own_expected = ndimage.uniform_filter(expected, size=size, mode="constant") * size**2
    a = config.frailty_prior_finds
    best, best_ll = float(choices[0]), -math.inf
    for bw in choices:
        near_finds = np.maximum(kernel_sum(finds, bw, cell_m) - own_finds, 0.0)
        near_expected = np.maximum(kernel_sum(expected, bw, cell_m) - own_expected, 0.0)
        mu = (expected * (a + near_finds) / (a + near_expected))[rows]
        y = finds[rows]
        ll = float((y * np.log(np.maximum(mu, 1e-300)) - mu).sum())
        if ll > best_ll:
            best, best_ll = float(bw), ll
    return best


def fit_risk(inputs: RiskInputs, features: TerrainFeatures, config: RiskConfig | None = None) -> RiskResult:
    """Fit the snare, prey and leopard models on ``inputs`` and predict every cell of the grid."""
    config = config or RiskConfig()
    grid = inputs.grid
    if features.grid != grid:
        raise ValueError("terrain features and inputs are on different grids")
    reference = inputs.end
    effort = patrol_effort(
        grid,
        inputs.tracks,
        start=inputs.start,
        end=inputs.end,
        detection_radius_m=config.detection_radius_m,
        half_life_days=config.half_life_days,
        max_fix_gap_hours=config.max_fix_gap_hours,
        cameras=inputs.cameras,
    )
    inside = features.inside
    prey = fit_species_model(features, inputs.prey, effort, reference=reference, config=config)
    leopard = fit_leopard_presence(features, inputs.leopard, effort, reference=reference, config=config)

    lines = merge_same_line_finds(
        inputs.snare_finds, radius_m=config.same_line_radius_m, within_days=config.same_line_days
    )
    finds = event_counts(grid, lines, reference=reference, half_life_days=config.half_life_days)
    finds += event_counts(grid, inputs.incidents, reference=reference, half_life_days=config.half_life_days)
    finds = np.where(inside, finds, 0.0)
    one_visit = float(
        recency_weights(np.array([inputs.end]), reference=reference, half_life_days=config.half_life_days)[0]
    )
    visits = np.where((finds > 0) & (effort.visits <= 0), one_visit, effort.visits)  # a find proves a visit
    visits = np.where(inside, visits, 0.0)

    # Snare GLM design: centred features so the intercept is the reserve-average cell.
    terms: dict[str, np.ndarray] = {
        "prey": prey.log_index,
        "walking time from access": features.walking_hours,
        "distance to valley network": features.valley_distance_m / 1000.0,
    }
    priors = {
        "prey": config.prior_prey,
        "walking time from access": config.prior_walk_hours,
        "distance to valley network": config.prior_valley_km,
    }
    # Terrain straight from the finds (elevation and slope, quadratic, clamped to the patrolled range):
    # hundreds of finds say more about where snares are set than a few dozen musk deer records, so the
    # finds refine the prey model's shape; the prior N(0, prior_snare_terrain_sd) keeps it a refinement.
    groups: dict[str, str] = {}
    if config.prior_snare_terrain_sd > 0:
        for group, values in (("elevation", features.elevation), ("slope", features.slope_deg)):
            v = np.where(inside, values, np.nanmean(values[inside]))
            sampled = v[(visits > 0) & inside]
            if sampled.size < 2 or sampled.max() <= sampled.min():
                continue
            z_ = (np.clip(v, sampled.min(), sampled.max()) - v[inside].mean()) / (v[inside].std() or 1.0)
            for suffix, column in (("", z_), ("^2", z_**2)):
                terms[f"terrain: {group}{suffix}"] = column
                priors[f"terrain: {group}{suffix}"] = (0.0, config.prior_snare_terrain_sd)
                groups[f"terrain: {group}{suffix}"] = f"terrain: {group}"
    zones = [int(z) for z in np.unique(features.zone[inside]) if z != 0]
    for z in zones:
        terms[f"zone {z}"] = (features.zone == z).astype(np.float64)
        priors[f"zone {z}"] = (0.0, config.prior_zone_sd)
    names = list(terms)
    means = {nm: float(terms[nm][inside].mean()) for nm in names}
    columns = np.column_stack([(terms[nm] - means[nm]).ravel() for nm in names])
    rows = np.flatnonzero(visits.ravel() > 0)
    X = np.column_stack([np.ones(len(rows)), columns[rows]])
    y = finds.ravel()[rows]
    prior_mean = np.array([0.0] + [priors[nm][0] for nm in names])
    prior_sd = np.array([config.prior_intercept_sd] + [priors[nm][1] for nm in names])
    best: tuple[float, float, PoissonFit] | None = None
    for k in config.detection_rates:  # profile likelihood over the detection rate
        exposure = detection_exposure(visits.ravel()[rows], effort.weighted_years, k)
        fit = fit_poisson_glm(
            X, y, np.log(exposure), names=["intercept", *names], prior_mean=prior_mean, prior_sd=prior_sd
        )
        if best is None or fit.log_likelihood > best[0]:
            best = (fit.log_likelihood, k, fit)
    assert best is not None
    _, k, glm = best

    eta_centred = (columns @ glm.coef[1:]).reshape(grid.shape)
    log_glm = glm.coef[0] + eta_centred
    # parameter uncertainty of the GLM part, per cell (delta method)
    design = np.column_stack([np.ones(grid.n_cells), columns])
    var_eta = np.einsum("ij,jk,ik->i", design, glm.cov, design).reshape(grid.shape)

    exposure_all = detection_exposure(visits, effort.weighted_years, k)
    expected = np.exp(log_glm) * exposure_all
    a = config.frailty_prior_finds
    bandwidth = _frailty_bandwidth(finds, expected, visits > 0, config, grid.cell_m)
    nearby_finds = kernel_sum(finds, bandwidth, grid.cell_m)
    nearby_expected = kernel_sum(expected, bandwidth, grid.cell_m)
    shape_post = a + nearby_finds
    frailty = shape_post / (a + nearby_expected)
    log_frailty = np.log(frailty)
    intensity = np.exp(log_glm) * frailty
    # Gamma posterior of the frailty (shape a + nearby finds) times the GLM's lognormal uncertainty
    cv2 = (1.0 + 1.0 / shape_post) * np.exp(var_eta) - 1.0
    intensity_sd = intensity * np.sqrt(cv2)
    sigma_log = np.sqrt(np.log1p(cv2))
    low = intensity * np.exp(-0.5 * sigma_log**2 - 1.6449 * sigma_log)
    high = intensity * np.exp(-0.5 * sigma_log**2 + 1.6449 * sigma_log)
    data_weight = nearby_expected / (a + nearby_expected)

    leopard_presence = leopard.presence
    leopard_risk = intensity * leopard_presence
    leopard_risk_sd = risk_sd(intensity, intensity_sd, leopard_presence, leopard.presence_sd)

    contributions: dict[str, np.ndarray] = {}
    j_prey = names.index("prey")
    for group, part in prey.term_contributions.items():
        contributions[f"prey: {group}"] = glm.coef[1 + j_prey] * part
    for j, nm in enumerate(names):
        if nm == "prey":
            continue
        key = "zone" if nm.startswith("zone ") else groups.get(nm, nm)
        contributions[key] = contributions.get(key, 0.0) + glm.coef[1 + j] * (terms[nm] - means[nm])
    # the prey index is already centred (mean 0 inside), so baseline = intercept exactly
    baseline = float(glm.coef[0])

    nan_out = lambda a_: np.where(inside, a_, np.nan)  # noqa: E731
    return RiskResult(
        grid=grid,
        model_version=MODEL_VERSION,
        inputs_start=inputs.start,
        inputs_end=inputs.end,
        intensity=nan_out(intensity),
        intensity_sd=nan_out(intensity_sd),
        intensity_low=nan_out(low),
        intensity_high=nan_out(high),
        data_weight=nan_out(data_weight),
        leopard_presence=nan_out(leopard_presence),
        leopard_presence_sd=nan_out(leopard.presence_sd),
        leopard_risk=nan_out(leopard_risk),
        leopard_risk_sd=nan_out(leopard_risk_sd),
        effort=effort,
        finds=finds,
        nearby_finds=nearby_finds,
        nearby_expected=nearby_expected,
        glm=glm,
        detection_rate=k,
        prey=prey,
        leopard=leopard,
        feature_contributions=contributions,
        baseline=baseline,
        log_frailty=log_frailty,
        config=config,
    )
