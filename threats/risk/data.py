"""The risk model's inputs and configuration: arrays in metres and epoch seconds, no Django."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from patrol.terrain.grid import Grid

MODEL_VERSION = (  # at most 200 characters: RiskRun.model_version
    "irbis-risk-1.4 (effort-exposure Poisson GLM + gamma-Poisson spatial frailty; "
    "leopard: rates per trap-day and visit, terrain if it predicts held-out blocks, "
    "capture-recapture home ranges, frailty)"
)


SECONDS_PER_DAY = 86_400.0


SECONDS_PER_YEAR = 365.25 * SECONDS_PER_DAY


@dataclass(frozen=True)
class PointEvents:
    """Point records (finds, incidents, detections): x/y metres, t epoch seconds, weight (count).

    ``label`` (optional, str per record, "" = unknown): the individual animal of a detection.
    """

    x: np.ndarray
    y: np.ndarray
    t: np.ndarray
    weight: np.ndarray
    label: np.ndarray | None = None

    @classmethod
    def create(cls, x, y, t, weight=None, label=None) -> PointEvents:
        x = np.asarray(x, dtype=np.float64).ravel()
        w = np.ones_like(x) if weight is None else np.asarray(weight, dtype=np.float64).ravel()
        names = None if label is None else np.asarray([str(v or "") for v in label], dtype=object)
        return cls(x, np.asarray(y, dtype=np.float64).ravel(), np.asarray(t, dtype=np.float64).ravel(), w, names)

    @classmethod
    def empty(cls) -> PointEvents:
        return cls.create([], [], [])

    def __len__(self) -> int:
        return len(self.x)

    def between(self, start: float, end: float) -> PointEvents:
        keep = (self.t >= start) & (self.t < end)
        label = None if self.label is None else self.label[keep]
        return PointEvents(self.x[keep], self.y[keep], self.t[keep], self.weight[keep], label)


@dataclass(frozen=True)
class SpeciesDetections:
    """Detections of one species, split by the effort that produced them."""

    camera: PointEvents  # at a camera-trap deployment (effort: trap-days)
    sign: PointEvents  # tracks, scat, sightings by patrols (effort: patrol visits)

    @classmethod
    def empty(cls) -> SpeciesDetections:
        return cls(PointEvents.empty(), PointEvents.empty())

    def between(self, start: float, end: float) -> SpeciesDetections:
        return SpeciesDetections(self.camera.between(start, end), self.sign.between(start, end))


@dataclass(frozen=True)
class CameraDeployments:
    x: np.ndarray
    y: np.ndarray
    start: np.ndarray  # epoch seconds
    end: np.ndarray

    @classmethod
    def create(cls, x, y, start, end) -> CameraDeployments:
        return cls(*(np.asarray(a, dtype=np.float64).ravel() for a in (x, y, start, end)))

    @classmethod
    def empty(cls) -> CameraDeployments:
        return cls.create([], [], [], [])


@dataclass(frozen=True)
class PatrolTrack:
    """One GPS track (a device, or a segment after a pause) of one patrol; several may share a patrol_id."""

    patrol_id: int
    xy: np.ndarray  # (n, 2) metres
    t: np.ndarray  # (n,) epoch seconds, non-decreasing


@dataclass(frozen=True)
class RiskInputs:
    """Everything the model reads, for one reserve and one time window [start, end)."""

    grid: Grid
    start: float
    end: float
    snare_finds: PointEvents  # one record per find (a line counts once; weight = 1 unless told otherwise)
    tracks: Sequence[PatrolTrack]
    prey: SpeciesDetections = field(default_factory=SpeciesDetections.empty)  # musk deer, the snare target
    leopard: SpeciesDetections = field(default_factory=SpeciesDetections.empty)
    cameras: CameraDeployments = field(default_factory=CameraDeployments.empty)
    # Incidents that are not already snare finds (camps, encounters), weighted by kind by the caller;
    # they add to the snare evidence of their cell. Carcass/snare-line incidents tied to finds are
    # left out by the caller so they are not counted twice.
    incidents: PointEvents = field(default_factory=PointEvents.empty)

    def window(self, start: float, end: float) -> RiskInputs:
        """The same inputs restricted to [start, end): records by time, tracks clipped to the window."""
        tracks = []
        for track in self.tracks:
            keep = (track.t >= start) & (track.t < end)
            if keep.sum() >= 2:
                tracks.append(PatrolTrack(track.patrol_id, track.xy[keep], track.t[keep]))
        cams = self.cameras
        overlap = (cams.end > start) & (cams.start < end)
        cameras = CameraDeployments(
            cams.x[overlap], cams.y[overlap], np.maximum(cams.start[overlap], start), np.minimum(cams.end[overlap], end)
        )
        return replace(
            self,
            start=float(start),
            end=float(end),
            snare_finds=self.snare_finds.between(start, end),
            tracks=tracks,
            prey=self.prey.between(start, end),
            leopard=self.leopard.between(start, end),
            cameras=cameras,
            incidents=self.incidents.between(start, end),
        )


@dataclass(frozen=True)
class RiskConfig:
    detection_radius_m: float = 100.0
    half_life_days: float = 365.0  # recency: a find (and the effort that found it) a year old weighs half
    max_fix_gap_hours: float = 1.0  # longer gaps between fixes are rests or camps, not patrol time
    # Saturating detection: exposure = years * (1 - exp(-k * visits per year)); k is chosen by
    # profile likelihood among these values (per visit-per-year).
    detection_rates: tuple[float, ...] = (0.05, 0.1, 0.2, 0.4, 0.8, 1.6)
    # Gaussian priors (mean, sd) on the snare GLM's coefficients; see docs/risk-model.md.
    prior_prey: tuple[float, float] = (1.0, 0.5)  # per unit log musk-deer rate: snares follow their target
    prior_walk_hours: tuple[float, float] = (0.0, 1.0)  # per hour of walk from the nearest access point
    prior_valley_km: tuple[float, float] = (-1.0, 0.5)  # per km from the valley network (not identifiable
    # when patrols only walk valley floors, so this prior carries it there)
    prior_zone_sd: float = 0.5
    prior_snare_terrain_sd: float = 0.5  # elevation and slope terms of the snare GLM (standardised); 0 = none
    prior_intercept_sd: float = 10.0
    prior_habitat_sd: float = 1.0  # terrain terms of the prey and leopard models (standardised units)
    # Spatial frailty: nearby finds vs finds expected from the GLM and the effort.
    # the bandwidth is chosen per fit among these by held-out predictive likelihood (model._frailty_bandwidth);
    # give one value to fix it
    frailty_bandwidths_m: tuple[float, ...] = (750.0, 1500.0, 3000.0)
    frailty_holdout_m: float = 100.0  # each cell's own neighbourhood (half-width) left out when choosing
    frailty_prior_finds: float = 3.0  # prior strength, in expected finds
    leopard_bandwidth_m: float = 3000.0
    leopard_home_range_m: float = 9000.0  # the first, wider frailty scale: a snow leopard's home range (0: none)
    leopard_cv_block_m: float = 5000.0  # held-out check of the terrain terms: spatial blocks of this side
    leopard_cv_folds: int = 5
    leopard_cv_repeats: int = 5  # dealings of blocks to folds, averaged (one decided demo seed 4 by luck); 0: no check
    leopard_scr: bool = True  # identified animals place the home ranges (spatial capture-recapture, activity.py)
    leopard_prior_detections: float = 0.5  # records of prior strength (a sweep 0.25-2 on 10 seeds: docs)
    leopard_reference_trap_days: float = 30.0  # presence = P(a camera records a leopard in this many days)
    leopard_independence_hours: float = 24.0  # records of one animal at one station within this are one event
    leopard_individual_days: float = 60.0  # distinct individuals at a station saturate with trap-days at this scale
    prior_quadratic_sd: float = 0.5  # quadratic terrain terms of the leopard model (standardised units)
    # A find within this distance and time of an earlier one is taken as the rest of the same snare
    # line (found by a later patrol) and not counted again: intensity is in lines set, not records.
    same_line_radius_m: float = 120.0  # lines run along trails; 60 m counted re-found lines again (docs)
    same_line_days: float = 90.0
