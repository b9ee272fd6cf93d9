"""Builds the risk model's inputs from the database, and caches the terrain features."""

from __future__ import annotations

import logging
import zlib
from collections import OrderedDict
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
from django.conf import settings
from django.db.models import Exists, F, FloatField, Func, Min, OuterRef
from django.db.models.functions import Coalesce

from patrol.patrols.models import Patrol, TrackPoint
from patrol.reserves.models import AccessPoint, Reserve, Zone
from patrol.terrain.grid import Grid
from patrol.terrain.models import TerrainGrid
from patrol.terrain.raster_io import transform_points
from patrol.terrain.services import grid_raster, zones_on_grid
from threats.records.models import CameraDeployment, Detection, Incident, SnareFind
from threats.risk.data import CameraDeployments, PatrolTrack, PointEvents, RiskInputs, SpeciesDetections

if TYPE_CHECKING:
    from threats.risk.features import TerrainFeatures

logger = logging.getLogger(__name__)


PREY_SPECIES = ("Moschus moschiferus",)  # musk deer: the snare target


LEOPARD_SPECIES = ("Panthera uncia", "Panthera pardus orientalis")


# Incidents that are not already snare finds, weighted by how directly they point at snaring
# (docs/risk-model.md). Carcasses and snare lines linked to a SnareFind are left out: the find counts.
INCIDENT_WEIGHTS = {
    Incident.Kind.POACHER_CAMP: 1.0,
    Incident.Kind.SNARE_LINE: 1.0,  # a snare line reported without a find record
    Incident.Kind.CARCASS: 0.5,
    Incident.Kind.SUSPECT_ENCOUNTER: 0.5,
    Incident.Kind.GUNSHOT: 0.2,
}


ZONE_CODES = {Zone.Kind.CORE: 1, Zone.Kind.BUFFER: 2, Zone.Kind.BORDER_STRIP: 3, Zone.Kind.NO_GO: 4}  # 0 = none


MAX_PATROL_DAYS = 31  # a patrol that started this long before the window cannot reach into it


ASSUMED_SPEED_KMH = 3.0  # a track with a start time but no end: walked at this speed


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def debounce_seconds() -> int:
    return int(_setting("IRBIS_RISK_DEBOUNCE_SECONDS", 300))


def window_days() -> int:
    return int(_setting("IRBIS_RISK_WINDOW_DAYS", 730))


def trend_days() -> int:
    return int(_setting("IRBIS_RISK_TREND_DAYS", 90))


def grid_of(terrain: TerrainGrid) -> Grid:
    return terrain.grid


class _X(Func):
    function = "ST_X"
    output_field = FloatField()


class _Y(Func):
    function = "ST_Y"
    output_field = FloatField()


def _xy(terrain: TerrainGrid, lon: list[float], lat: list[float]) -> tuple[np.ndarray, np.ndarray]:
    if not lon:
        return np.zeros(0), np.zeros(0)
    xy = transform_points(np.column_stack([lon, lat]), from_srid=4326, to_srid=terrain.srid)
    return xy[:, 0], xy[:, 1]


def _events(
    terrain: TerrainGrid, rows: list[tuple], weights: list[float] | None = None, labels: list[str] | None = None
) -> PointEvents:
    """rows of (lon, lat, datetime) -> PointEvents in the grid's CRS."""
    x, y = _xy(terrain, [r[0] for r in rows], [r[1] for r in rows])
    return PointEvents.create(x, y, [r[2].timestamp() for r in rows], weights, labels)


def _with_lonlat(queryset):
    return queryset.annotate(lon=_X(F("location")), lat=_Y(F("location")))


def _species_detections(terrain: TerrainGrid, queryset) -> SpeciesDetections:
    """Camera-trap records (a deployment, or method camera trap) vs patrol sign; EXACT stored points."""
    rows = list(
        _with_lonlat(queryset)
        .order_by("observed_at", "pk")
        .values_list("lon", "lat", "observed_at", "deployment_id", "method", "individual_id")
    )
    camera = [r for r in rows if r[3] is not None or r[4] == Detection.Method.CAMERA_TRAP]
    sign = [r for r in rows if not (r[3] is not None or r[4] == Detection.Method.CAMERA_TRAP)]
    return SpeciesDetections(
        _events(terrain, camera, labels=[r[5] for r in camera]), _events(terrain, sign, labels=[r[5] for r in sign])
    )


def _patrol_tracks(terrain: TerrainGrid, reserve: Reserve, start: datetime, end: datetime) -> list[PatrolTrack]:
    """One PatrolTrack per TrackPoint segment (phone sync) or, without points, per line of Patrol.track
    with times interpolated by distance between the patrol's start and end."""
    patrols = list(
        Patrol.objects.filter(reserve=reserve, track__isnull=False)
        .annotate(t0=Coalesce("actual_start", "planned_start"))
        .filter(t0__lt=end, t0__gte=start - timedelta(days=MAX_PATROL_DAYS))
        .annotate(n_points=Exists(TrackPoint.objects.filter(patrol=OuterRef("pk"))))
        .values_list("pk", "track", "actual_start", "actual_end", "planned_start", "planned_end", "n_points")
    )
    tracks: list[PatrolTrack] = []
    with_points = []
    for pk, track, actual_start, actual_end, planned_start, planned_end, n_points in patrols:
        if n_points:
            with_points.append(pk)
            continue
        t0 = actual_start or planned_start
        if t0 is None or t0 >= end:
            continue
        lines = [np.asarray(line, dtype=np.float64).reshape(-1, 2)[:, :2] for line in track.coords]
        xy_all = transform_points(np.vstack(lines), from_srid=4326, to_srid=terrain.srid)
        pieces, offset = [], 0
        for line in lines:
            pieces.append(xy_all[offset : offset + len(line)])
            offset += len(line)
        lengths = [np.concatenate([[0.0], np.hypot(*np.diff(p, axis=0).T)]) for p in pieces]
        total = float(sum(length.sum() for length in lengths))
        t1 = actual_end or (planned_end if actual_start is None else None)
        if t1 is None or t1 <= t0:
            t1 = t0 + timedelta(hours=max(total / 1000.0 / ASSUMED_SPEED_KMH, 0.1))
        if t1 < start:
            continue
        span, walked = (t1 - t0).total_seconds(), 0.0
        for p, length in zip(pieces, lengths, strict=True):
            cumulative = walked + np.cumsum(length)
            walked = float(cumulative[-1])
            t = t0.timestamp() + span * (cumulative / total if total > 0 else np.zeros(len(p)))
            tracks.append(PatrolTrack(pk, p, t))
    if with_points:
        points = list(
            _with_lonlat(
                TrackPoint.objects.filter(patrol_id__in=with_points, recorded_at__lt=end, recorded_at__gte=start)
            )  # fmt: skip
            .order_by("patrol_id", "segment", "recorded_at", "id")
            .values_list("patrol_id", "segment", "lon", "lat", "recorded_at")
        )
        if points:
            xy = transform_points(np.array([(p[2], p[3]) for p in points]), from_srid=4326, to_srid=terrain.srid)
            keys = [(p[0], p[1]) for p in points]
            t = np.array([p[4].timestamp() for p in points])
            first = 0
            for i in range(1, len(points) + 1):
                if i == len(points) or keys[i] != keys[first]:
                    if i - first >= 2:
                        tracks.append(PatrolTrack(keys[first][0], xy[first:i], t[first:i]))
                    first = i
    return tracks


def risk_inputs_build(*, reserve: Reserve, terrain: TerrainGrid, start: datetime, end: datetime) -> RiskInputs:
    """Everything the model reads for the reserve in [start, end), on the terrain grid.

    Snare finds: one event per SnareFind (a line counts once, as the model defines intensity in lines;
    `count` is the number of snares in the line). Incidents not linked to a find, weighted by kind
    (INCIDENT_WEIGHTS). Musk deer and leopard detections of animals at their exact points. Camera
    deployments for trap-days. Patrol tracks with times (TrackPoints, else interpolated).
    """
    grid = grid_of(terrain)
    finds = list(
        _with_lonlat(SnareFind.objects.filter(reserve=reserve, found_at__gte=start, found_at__lt=end))
        .order_by("found_at", "pk")
        .values_list("lon", "lat", "found_at")
    )
    incidents = list(
        _with_lonlat(
            Incident.objects.filter(
                reserve=reserve,
                occurred_at__gte=start,
                occurred_at__lt=end,
                kind__in=list(INCIDENT_WEIGHTS),
                snare_finds__isnull=True,
            )  # fmt: skip
        )
        .order_by("occurred_at", "pk")
        .values_list("lon", "lat", "occurred_at", "kind")
        .distinct()
    )
    animals = Detection.objects.filter(
        reserve=reserve, observed_at__gte=start, observed_at__lt=end, observation_type=Detection.ObservationType.ANIMAL
    )
    cameras = list(
        _with_lonlat(CameraDeployment.objects.filter(reserve=reserve, start__lt=end, end__gt=start)).values_list(
            "lon", "lat", "start", "end"
        )
    )
    cam_x, cam_y = _xy(terrain, [c[0] for c in cameras], [c[1] for c in cameras])
    return RiskInputs(
        grid=grid,
        start=start.timestamp(),
        end=end.timestamp(),
        snare_finds=_events(terrain, finds),
        incidents=_events(terrain, incidents, [INCIDENT_WEIGHTS[i[3]] for i in incidents]),
        tracks=_patrol_tracks(terrain, reserve, start, end),
        prey=_species_detections(terrain, animals.filter(species__scientific_name__in=PREY_SPECIES)),
        leopard=_species_detections(terrain, animals.filter(species__scientific_name__in=LEOPARD_SPECIES)),
        cameras=CameraDeployments.create(
            cam_x, cam_y, [c[2].timestamp() for c in cameras], [c[3].timestamp() for c in cameras]
        ),
    )


def input_counts(inputs: RiskInputs, access_points: int) -> dict[str, int]:
    return {
        "snare_finds": len(inputs.snare_finds),
        "incidents": len(inputs.incidents),
        "patrols": len({t.patrol_id for t in inputs.tracks}),
        "tracks": len(inputs.tracks),
        "prey_detections": len(inputs.prey.camera) + len(inputs.prey.sign),
        "leopard_detections": len(inputs.leopard.camera) + len(inputs.leopard.sign),
        "camera_deployments": len(inputs.cameras.x),
        "access_points": access_points,
    }


_FEATURES_CACHE: OrderedDict[tuple, TerrainFeatures] = OrderedDict()


_FEATURES_CACHE_SIZE = 2


def access_xy_of(terrain: TerrainGrid) -> np.ndarray:
    rows = list(_with_lonlat(AccessPoint.objects.filter(reserve_id=terrain.reserve_id)).order_by("pk")
                .values_list("lon", "lat"))  # fmt: skip
    x, y = _xy(terrain, [r[0] for r in rows], [r[1] for r in rows])
    return np.column_stack([x, y]) if len(x) else np.zeros((0, 2))


def terrain_features_for(terrain: TerrainGrid) -> TerrainFeatures:
    """`build_terrain_features` for the reserve's DEM, access points and zones, cached in the process
    (a worker recomputing the same reserve reuses it; any change of grid, access or zones misses)."""
    from threats.risk.features import build_terrain_features  # networkx, scipy: loaded by the first fit

    access = access_xy_of(terrain)
    zone = zones_on_grid(terrain, ZONE_CODES)
    key = (terrain.pk, terrain.created_at.isoformat(), access.round(1).tobytes(), zlib.crc32(zone.tobytes()))
    if key in _FEATURES_CACHE:
        _FEATURES_CACHE.move_to_end(key)
        return _FEATURES_CACHE[key]
    elevation = grid_raster(terrain).data
    missing = ~np.isfinite(elevation)
    filled = np.where(missing, np.nanmin(elevation), elevation) if missing.any() else elevation
    features = build_terrain_features(filled, grid=grid_of(terrain), access_xy=access, zone=zone)
    features.inside = ~missing  # cells outside the DEM stay nodata in every layer
    _FEATURES_CACHE[key] = features
    while len(_FEATURES_CACHE) > _FEATURES_CACHE_SIZE:
        _FEATURES_CACHE.popitem(last=False)
    return features


def first_patrol_time(reserve_id: int) -> datetime | None:
    """When the reserve's first recorded patrol with a track started (None without any)."""
    patrols = Patrol.objects.filter(reserve_id=reserve_id, track__isnull=False)
    return patrols.aggregate(first=Min(Coalesce("actual_start", "planned_start")))["first"]
