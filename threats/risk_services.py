"""Writes for the snare-threat risk model: build its inputs from the database, run it, store its layers.

The model itself is pure (threats/risk.py, threats/risk_eval.py: arrays in, arrays out). This module
moves data between it and the database:

- `risk_inputs_build` reads a reserve's records for a time window and turns them into `RiskInputs`
  on the reserve's terrain grid (metres in its projected CRS, epoch seconds);
- `risk_recompute_schedule` is called by the create services after new data: on commit it queues
  ONE recompute a few minutes later, however many records arrive meanwhile (see "Debounce" below);
- `risk_run_compute` (the Celery task's body) fits the model on the last IRBIS_RISK_WINDOW_DAYS (from
  the reserve's first patrol if that is later: the exposure term reads the window's length, and a
  window reaching back before any patrol would dilute it), stores the layers as GeoTIFFs on the
  terrain grid plus what `explain` needs, ranks the valleys against the previous period, and records
  its progress as it goes;
- `risk_nightly_schedule` queues a recompute for every reserve with terrain (Celery beat).

Debounce: at most one run per reserve may be QUEUED (a partial unique constraint). The first trigger
(on commit of the transaction that wrote the data) creates it with `not_before = now +
IRBIS_RISK_DEBOUNCE_SECONDS` and queues the task with that countdown; later triggers hit the
constraint and do nothing: the queued run will read their data too. When the task starts it moves
the run to RUNNING, so data arriving during a computation queue the next one. A queued run whose
task was lost (broker flushed) is queued again by the next trigger or the nightly task once overdue.

Explaining a cell: the stored run keeps, per cell, each term's contribution to log-intensity, the
frailty, the effort and the nearby finds (float32, one compressed .npz per run) and the baseline in
the summary, so an explanation is a read, not a refit. `RiskResult.explain` is reproduced exactly
(to float32 rounding) by `threats.risk_selectors.risk_cell_explain`.
"""

from __future__ import annotations

import io
import logging
import math
import os
import shutil
import struct
import tempfile
import time
import zlib
from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, FloatField, Func, Min, OuterRef
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from patrol.access import require_manager
from patrol.models import AccessPoint, Patrol, Reserve, TerrainGrid, ValleyReach, Zone
from patrol.raster_io import read_raster, transform_points, warp_raster, write_geotiff
from patrol.selectors import User
from patrol.terrain_services import cell_centres_xy, grid_raster
from threats.models import CameraDeployment, Detection, Incident, RiskRun, SnareFind, TrackPoint, private_storage
from threats.risk import (
    CameraDeployments,
    Grid,
    PatrolTrack,
    PointEvents,
    RiskInputs,
    RiskResult,
    SpeciesDetections,
    TerrainFeatures,
    build_terrain_features,
    fit_risk,
)
from threats.risk_eval import rank_valleys

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
LAYERS = ("snares", "uncertainty", "leopard", "effort")


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def debounce_seconds() -> int:
    return int(_setting("IRBIS_RISK_DEBOUNCE_SECONDS", 300))


def window_days() -> int:
    return int(_setting("IRBIS_RISK_WINDOW_DAYS", 730))


def trend_days() -> int:
    return int(_setting("IRBIS_RISK_TREND_DAYS", 90))


# --- inputs from the database ---------------------------------------------------------------------


def grid_of(terrain: TerrainGrid) -> Grid:
    return Grid.from_geotransform(terrain.geotransform, (terrain.height, terrain.width))


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


def _events(terrain: TerrainGrid, rows: list[tuple], weights: list[float] | None = None) -> PointEvents:
    """rows of (lon, lat, datetime) -> PointEvents in the grid's CRS."""
    x, y = _xy(terrain, [r[0] for r in rows], [r[1] for r in rows])
    return PointEvents.create(x, y, [r[2].timestamp() for r in rows], weights)


def _with_lonlat(queryset):
    return queryset.annotate(lon=_X(F("location")), lat=_Y(F("location")))


def _species_detections(terrain: TerrainGrid, queryset) -> SpeciesDetections:
    """Camera-trap records (a deployment, or method camera trap) vs patrol sign; EXACT stored points."""
    rows = list(_with_lonlat(queryset).values_list("lon", "lat", "observed_at", "deployment_id", "method"))
    camera = [r for r in rows if r[3] is not None or r[4] == Detection.Method.CAMERA_TRAP]
    sign = [r for r in rows if not (r[3] is not None or r[4] == Detection.Method.CAMERA_TRAP)]
    return SpeciesDetections(_events(terrain, camera), _events(terrain, sign))


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


# --- terrain features, cached per grid, access points and zones -----------------------------------

_FEATURES_CACHE: OrderedDict[tuple, TerrainFeatures] = OrderedDict()
_FEATURES_CACHE_SIZE = 2


def _zone_grid(terrain: TerrainGrid) -> np.ndarray:
    zone = np.zeros((terrain.height, terrain.width), dtype=np.int64)
    xs, ys = cell_centres_xy(terrain)
    for kind, area in Zone.objects.filter(reserve_id=terrain.reserve_id).order_by("pk").values_list("kind", "area"):
        polygon = shapely.from_wkb(bytes(area.transform(terrain.srid, clone=True).wkb))
        zone[shapely.contains_xy(polygon, xs, ys)] = ZONE_CODES.get(kind, 0)
    return zone


def access_xy_of(terrain: TerrainGrid) -> np.ndarray:
    rows = list(_with_lonlat(AccessPoint.objects.filter(reserve_id=terrain.reserve_id)).order_by("pk")
                .values_list("lon", "lat"))  # fmt: skip
    x, y = _xy(terrain, [r[0] for r in rows], [r[1] for r in rows])
    return np.column_stack([x, y]) if len(x) else np.zeros((0, 2))


def terrain_features_for(terrain: TerrainGrid) -> TerrainFeatures:
    """`build_terrain_features` for the reserve's DEM, access points and zones, cached in the process
    (a worker recomputing the same reserve reuses it; any change of grid, access or zones misses)."""
    access = access_xy_of(terrain)
    zone = _zone_grid(terrain)
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


# --- scheduling (debounce) and the nightly run ------------------------------------------------------


def _queue_task(run_id: int, countdown: int) -> None:
    from threats.tasks import risk_run_compute_task

    transaction.on_commit(lambda: risk_run_compute_task.apply_async((run_id,), countdown=countdown))


def risk_recompute_schedule(reserve: Reserve | int, *, delay_s: int | None = None,
                            trigger: str = RiskRun.Trigger.DATA) -> None:  # fmt: skip
    """After new data: queue one recompute of the reserve's risk `delay_s` seconds (default
    IRBIS_RISK_DEBOUNCE_SECONDS) from now, unless one already waits. Called by the create services in
    their transaction; the work happens on commit (`risk_recompute_enqueue`), so a rolled-back write
    queues nothing and the ingest transaction gains no query and no lock."""
    reserve_id = reserve if isinstance(reserve, int) else reserve.pk
    transaction.on_commit(lambda: risk_recompute_enqueue(reserve_id, delay_s=delay_s, trigger=trigger))


def risk_recompute_enqueue(reserve_id: int, *, delay_s: int | None = None,
                           trigger: str = RiskRun.Trigger.DATA) -> RiskRun | None:  # fmt: skip
    """Create the reserve's queued run and queue its task with the debounce countdown (on commit).

    Returns the new run, or None when a queued run already exists (it absorbs this trigger: the
    partial unique constraint decides, not a prior check) or the reserve has no terrain.
    """
    if not TerrainGrid.objects.filter(reserve_id=reserve_id).exists():
        return None
    delay = debounce_seconds() if delay_s is None else int(delay_s)
    now = timezone.now()
    try:
        with transaction.atomic():
            run = RiskRun.objects.create(
                reserve_id=reserve_id, status=RiskRun.Status.QUEUED, trigger=trigger,
                not_before=now + timedelta(seconds=delay), stage="waiting for more data" if delay else "queued",
            )  # fmt: skip
    except IntegrityError:
        _requeue_if_lost(reserve_id, now)
        return None
    _queue_task(run.pk, delay)
    return run


@transaction.atomic
def risk_recompute_request(*, actor: User, reserve: Reserve) -> RiskRun | None:
    """Managers and reserve administrators ask for a recompute now (it joins a run already queued)."""
    require_manager(user=actor, reserve=reserve)
    if not TerrainGrid.objects.filter(reserve=reserve).exists():
        raise ValidationError({"reserve": [_("This reserve has no terrain yet: import a DEM first (import_dem).")]})
    return risk_recompute_enqueue(reserve.pk, delay_s=0, trigger=RiskRun.Trigger.MANUAL)


def _requeue_if_lost(reserve_id: int, now: datetime) -> None:
    """A queued run long past its start time lost its task (broker restarted, flushed): queue it again.
    Running it twice is harmless: only one task can claim it."""
    overdue = now - timedelta(seconds=debounce_seconds() + 3600)
    for pk in RiskRun.objects.filter(reserve_id=reserve_id, status=RiskRun.Status.QUEUED,
                                     not_before__lt=overdue).values_list("pk", flat=True):  # fmt: skip
        _queue_task(pk, 0)


def risk_nightly_schedule() -> int:
    """Queue a recompute now for every reserve with terrain (recency weights and the window move
    with the calendar even without new data). Returns how many runs were queued."""
    queued = 0
    for reserve_id in TerrainGrid.objects.values_list("reserve_id", flat=True).order_by("reserve_id"):
        with transaction.atomic():
            if risk_recompute_enqueue(reserve_id, delay_s=0, trigger=RiskRun.Trigger.NIGHTLY) is not None:
                queued += 1
    return queued


# --- computing a run ----------------------------------------------------------------------------------


def _progress(run: RiskRun, progress: int, stage: str) -> None:
    run.progress, run.stage = progress, stage
    RiskRun.objects.filter(pk=run.pk).update(progress=progress, stage=stage)


def _geotiff_file(data: np.ndarray, terrain: TerrainGrid) -> ContentFile:
    handle, path = tempfile.mkstemp(suffix=".tif")
    os.close(handle)
    try:
        write_geotiff(path, data, geotransform=tuple(terrain.geotransform), srid=terrain.srid, dtype="float32")
        return ContentFile(Path(path).read_bytes())
    finally:
        os.unlink(path)


def explain_arrays(result: RiskResult) -> dict[str, np.ndarray]:
    """What `RiskResult.explain` reads, per cell, for storage (float32)."""
    arrays = {f"contribution:{name}": values for name, values in result.feature_contributions.items()}
    arrays.update(
        {
            "log_frailty": result.log_frailty,
            "intensity": result.intensity,
            "intensity_sd": result.intensity_sd,
            "visits": result.effort.visits,
            "distance_km": result.effort.distance_km,
            "hours": result.effort.hours,
            "trap_days": result.effort.trap_days,
            "finds": result.finds,
            "nearby_finds": result.nearby_finds,
            "nearby_expected": result.nearby_expected,
            "data_weight": result.data_weight,
            "leopard_presence": result.leopard_presence,
            "leopard_risk": result.leopard_risk,
        }
    )
    return {name: np.asarray(values, dtype=np.float32) for name, values in arrays.items()}


def reach_labels_of(terrain: TerrainGrid) -> np.ndarray:
    labels = read_raster(terrain.reach_labels.path).data
    return np.nan_to_num(labels, nan=0.0).astype(np.int64)


def valley_ranking(terrain: TerrainGrid, risk: np.ndarray, previous: np.ndarray) -> list[dict[str, Any]]:
    """Every valley reach of the terrain ranked by summed risk, with its previous-period rank and trend."""
    names = dict(ValleyReach.objects.filter(reserve_id=terrain.reserve_id).values_list("reach_id", "name"))
    labels = reach_labels_of(terrain)
    n = int(len(np.unique(labels[labels > 0])))
    ranked = rank_valleys(labels, risk, previous, top_n=max(n, 1), names=names)
    return [
        {
            "rank": v.rank, "reach_id": v.reach_id, "name": v.name, "risk": round(v.risk, 6),
            "previous_risk": round(v.previous_risk, 6), "previous_rank": v.previous_rank,
            "change": round(v.change, 6), "trend": v.trend,
            "change_ratio": None if math.isinf(v.change_ratio) else round(v.change_ratio, 6),
        }
        for v in ranked
    ]  # fmt: skip


def _claim(run_id: int) -> RiskRun | None:
    claimed = RiskRun.objects.filter(pk=run_id, status=RiskRun.Status.QUEUED).update(
        status=RiskRun.Status.RUNNING, started_at=timezone.now(), progress=1, stage="starting"
    )
    return RiskRun.objects.select_related("reserve").get(pk=run_id) if claimed else None


def risk_run_compute(*, run_id: int, end: datetime | None = None) -> RiskRun:
    """Compute a queued run: fit the model on the last IRBIS_RISK_WINDOW_DAYS up to `end` (default now),
    and the same window IRBIS_RISK_TREND_DAYS earlier for valley trends; store layers and summary.

    Idempotent: a run that another task already claimed (running, done, failed) is returned as it is.
    A run that cannot be computed is marked failed with the reason.
    """
    run = _claim(run_id)
    if run is None:
        return RiskRun.objects.get(pk=run_id)
    try:
        _compute(run, end or timezone.now())
    except Exception as exc:  # the run records any failure for the people waiting on it
        logger.exception("risk run %s failed", run.pk)
        RiskRun.objects.filter(pk=run.pk).update(
            status=RiskRun.Status.FAILED, error=f"{type(exc).__name__}: {exc}", finished_at=timezone.now(),
            stage="failed",
        )  # fmt: skip
    else:
        _prune_old_runs(run.reserve_id)
    run.refresh_from_db()
    return run


def _compute(run: RiskRun, end: datetime) -> None:
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = round(now - clock, 3)
        clock = now

    terrain = TerrainGrid.objects.filter(reserve_id=run.reserve_id).first()
    if terrain is None:
        raise ValueError("the reserve has no terrain: import a DEM first (import_dem)")
    start, first_patrol = end - timedelta(days=window_days()), first_patrol_time(run.reserve_id)
    if first_patrol is not None and first_patrol > start:
        start = first_patrol  # the exposure model reads the window's length: no window before any effort
    shift = timedelta(days=trend_days())
    previous_start = max(start - shift, first_patrol) if first_patrol is not None else start - shift
    _progress(run, 5, "reading records")
    everything = risk_inputs_build(reserve=run.reserve, terrain=terrain, start=previous_start, end=end)
    current = everything.window(start.timestamp(), end.timestamp())
    previous = everything.window(previous_start.timestamp(), (end - shift).timestamp())
    lap("inputs_s")
    _progress(run, 20, "terrain features")
    features = terrain_features_for(terrain)
    lap("terrain_features_s")
    _progress(run, 35, "fitting the model")
    result = fit_risk(current, features)
    lap("fit_s")
    _progress(run, 60, "fitting the previous period (valley trends)")
    before = fit_risk(previous, features)
    lap("fit_previous_s")
    _progress(run, 75, "storing layers")
    layers = {
        "snares": result.intensity,
        "uncertainty": result.intensity_sd,
        "leopard": result.leopard_risk,
        "effort": np.where(features.inside, result.effort.distance_km, np.nan),
    }
    for name, data in layers.items():
        getattr(run, name).save(f"{name}.tif", _geotiff_file(data, terrain), save=False)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **explain_arrays(result))
    run.explain_layers.save("explain.npz", ContentFile(buffer.getvalue()), save=False)
    lap("store_s")
    _progress(run, 85, "ranking valleys, drawing map layers")
    valleys = valley_ranking(terrain, result.intensity, before.intensity)
    overlays = render_run_overlays(run, terrain, layers)
    lap("rank_render_s")

    inside = features.inside
    run.summary = {
        "window_days": window_days(),
        "trend_days": trend_days(),
        "previous_window": [previous_start.isoformat(), (end - shift).isoformat()],
        "inputs": input_counts(current, len(access_xy_of(terrain))),
        "previous_inputs": input_counts(previous, len(access_xy_of(terrain))),
        "total_snare_lines_per_year": round(float(np.nansum(result.intensity[inside])), 3),
        "previous_total_snare_lines_per_year": round(float(np.nansum(before.intensity[inside])), 3),
        "max_snare_lines_per_cell": float(np.nanmax(result.intensity)),
        "patrolled_cells": int((result.effort.visits > 0).sum()),
        "cells": int(inside.sum()),
        "cell_m": terrain.resolution_m,
        "detection_rate": result.detection_rate,
        "baseline": result.baseline,
        "coefficients": dict(zip(result.glm.names, (float(c) for c in result.glm.coef), strict=True)),
        "contributions": list(result.feature_contributions),
        "valleys": valleys,
        "overlays": overlays,
        "timings": timings,
    }
    run.status, run.progress, run.stage = RiskRun.Status.DONE, 100, "done"
    run.model_version = result.model_version
    run.inputs_start = datetime.fromtimestamp(result.inputs_start, tz=UTC)
    run.inputs_end = datetime.fromtimestamp(result.inputs_end, tz=UTC)
    run.terrain = terrain
    run.grid_srid, run.grid_geotransform = terrain.srid, list(terrain.geotransform)
    run.grid_width, run.grid_height = terrain.width, terrain.height
    run.finished_at = timezone.now()
    run.error = ""
    run.save()


def first_patrol_time(reserve_id: int) -> datetime | None:
    """When the reserve's first recorded patrol with a track started (None without any)."""
    patrols = Patrol.objects.filter(reserve_id=reserve_id, track__isnull=False)
    return patrols.aggregate(first=Min(Coalesce("actual_start", "planned_start")))["first"]


def risk_compute_now(*, reserve: Reserve, end: datetime | None = None,
                     trigger: str = RiskRun.Trigger.MANUAL) -> RiskRun:  # fmt: skip
    """Compute the reserve's risk in this process (commands, benchmarks). A run already waiting in the
    queue is taken over (its task will find it done)."""
    queued = RiskRun.objects.filter(reserve=reserve, status=RiskRun.Status.QUEUED).first()
    if queued is None:
        try:
            with transaction.atomic():
                queued = RiskRun.objects.create(reserve=reserve, trigger=trigger, not_before=timezone.now())
        except IntegrityError:  # queued meanwhile by a trigger: take that one
            queued = RiskRun.objects.get(reserve=reserve, status=RiskRun.Status.QUEUED)
    return risk_run_compute(run_id=queued.pk, end=end)


def _prune_old_runs(reserve_id: int) -> None:
    """Keep the files of the newest IRBIS_RISK_KEEP_RUNS finished runs; older runs keep their summary."""
    keep = int(_setting("IRBIS_RISK_KEEP_RUNS", 10))
    old = RiskRun.objects.filter(reserve_id=reserve_id, status=RiskRun.Status.DONE).exclude(snares="")
    for run in old.order_by("-finished_at", "-pk")[keep:]:
        folder = Path(private_storage.path(risk_layer_folder(run)))
        shutil.rmtree(folder, ignore_errors=True)
        RiskRun.objects.filter(pk=run.pk).update(snares="", uncertainty="", leopard="", effort="", explain_layers="")


def risk_layer_folder(run: RiskRun) -> str:
    return f"risk/reserve-{run.reserve_id}/run-{run.pk}"


# --- map overlays: PNGs warped to Web Mercator -------------------------------------------------------
#
# Leaflet's default map CRS is Web Mercator (EPSG:3857): an image overlay is stretched linearly
# between its corner coordinates in that projection. So layers are warped from the reserve's UTM
# grid to EPSG:3857 (patrol.raster_io.warp_raster) and placed with the lon/lat of the warped
# raster's corners: exact, where a lon/lat (EPSG:4326) image would be off by the Mercator stretch.

RAMPS = {
    "snares": [(255, 255, 178), (254, 204, 92), (253, 141, 60), (240, 59, 32), (189, 0, 38)],
    "leopard": [(247, 244, 249), (212, 185, 218), (201, 148, 199), (221, 28, 119), (103, 0, 31)],
    "uncertainty": [(242, 240, 247), (203, 201, 226), (158, 154, 200), (117, 107, 177), (84, 39, 143)],
    "effort": [(239, 243, 255), (189, 215, 231), (107, 174, 214), (49, 130, 189), (8, 81, 156)],
}
UNITS = {
    "snares": "snare lines set per cell per year",
    "uncertainty": "standard deviation, snare lines per cell per year",
    "leopard": "snare lines per cell per year x P(leopard)",
    "effort": "km of patrol track within 100 m (recency-weighted)",
}


def png_rgba(rgba: np.ndarray) -> bytes:
    """Encode an (h, w, 4) uint8 array as a PNG (no Pillow: zlib + the PNG chunk format)."""
    h, w, _ = rgba.shape
    raw = np.zeros((h, w * 4 + 1), dtype=np.uint8)  # each row: filter byte 0, then RGBA
    raw[:, 1:] = np.ascontiguousarray(rgba, dtype=np.uint8).reshape(h, w * 4)

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw.tobytes(), 6))
        + chunk(b"IEND", b"")
    )


def colour_scale(values: np.ndarray) -> tuple[float, float]:
    """A log colour scale from the median to the 99.5th percentile of the positive values."""
    positive = values[np.isfinite(values) & (values > 0)]
    if positive.size == 0:
        return 0.0, 1.0
    lo, hi = float(np.percentile(positive, 50)), float(np.percentile(positive, 99.5))
    if hi <= lo:
        hi = lo * 10 if lo > 0 else 1.0
    return lo, hi


def colourise(values: np.ndarray, ramp: list[tuple[int, int, int]], lo: float, hi: float) -> np.ndarray:
    """RGBA: transparent for nodata and zero, the ramp on log(value / lo) / log(hi / lo) above it."""
    v = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(v) & (v > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(finite, np.log(np.maximum(v, 1e-30) / lo) / math.log(hi / lo), 0.0)
    t = np.clip(t, 0.0, 1.0)
    stops = np.asarray(ramp, dtype=np.float64)
    pos = t * (len(stops) - 1)
    i = np.minimum(pos.astype(int), len(stops) - 2)
    frac = (pos - i)[..., None]
    rgb = stops[i] * (1 - frac) + stops[i + 1] * frac
    alpha = np.where(finite, 70 + 160 * t, 0)
    return np.dstack([rgb, alpha]).round().astype(np.uint8)


def grey_rgba(values: np.ndarray) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(v)
    lo, hi = (np.nanmin(v), np.nanmax(v)) if finite.any() else (0.0, 1.0)
    g = np.where(finite, (v - lo) / max(hi - lo, 1e-9) * 255, 0)
    return np.dstack([g, g, g, np.where(finite, 255, 0)]).round().astype(np.uint8)


def to_web_mercator(data: np.ndarray, terrain: TerrainGrid) -> tuple[np.ndarray, list[list[float]]]:
    """The layer warped to EPSG:3857 at about its own ground resolution, and its [[south, west], [north, east]]."""
    from patrol.raster_io import Raster

    raster = Raster(np.asarray(data, dtype=np.float64), tuple(terrain.geotransform), terrain.srid, False)
    x0, dx, _skew_x, y0, _skew_y, dy = terrain.geotransform
    centre = transform_points(
        np.array([[x0 + dx * terrain.width / 2, y0 + dy * terrain.height / 2]]), from_srid=terrain.srid, to_srid=4326
    )[0]
    warped = warp_raster(raster, target_srid=3857, resolution_m=abs(dx) / math.cos(math.radians(centre[1])))
    wx0, wdx, _skew_x, wy0, _skew_y, wdy = warped.geotransform
    corners = np.array([[wx0, wy0 + wdy * warped.shape[0]], [wx0 + wdx * warped.shape[1], wy0]])
    (west, south), (east, north) = transform_points(corners, from_srid=3857, to_srid=4326)
    return warped.data, [[float(south), float(west)], [float(north), float(east)]]


def generalise_layer(data: np.ndarray, block_cells: int) -> np.ndarray:
    """Block means over block_cells x block_cells cells (NaN stays NaN): a leopard layer for people
    without clearance, as coarse as the reserve's sensitive-species grid."""
    if block_cells <= 1:
        return data
    h, w = data.shape
    out = np.full(data.shape, np.nan)
    for r in range(0, h, block_cells):
        for c in range(0, w, block_cells):
            block = data[r : r + block_cells, c : c + block_cells]
            if np.isfinite(block).any():
                out[r : r + block_cells, c : c + block_cells] = np.where(np.isfinite(block), np.nanmean(block), np.nan)
    return out


def sensitive_block_cells(reserve: Reserve, terrain: TerrainGrid) -> int:
    """How many cells one sensitive-grid step (degrees of latitude) spans on the terrain grid."""
    return max(1, int(round(reserve.sensitive_grid_degrees * 110_574.0 / terrain.resolution_m)))


def overlay_path(run: RiskRun, layer: str, generalised: bool = False) -> str:
    return f"{risk_layer_folder(run)}/{layer}{'-generalised' if generalised else ''}.png"


def render_run_overlays(run: RiskRun, terrain: TerrainGrid, layers: dict[str, np.ndarray]) -> dict[str, Any]:
    """Write a PNG per layer (and a generalised leopard one) next to the run; return bounds and scales."""
    meta: dict[str, Any] = {"layers": {}}
    block = sensitive_block_cells(run.reserve, terrain)
    variants = [(name, data, False) for name, data in layers.items()]
    variants.append(("leopard", generalise_layer(layers["leopard"], block), True))
    for name, data, generalised in variants:
        warped, bounds = to_web_mercator(data, terrain)
        lo, hi = colour_scale(np.asarray(data))
        path = overlay_path(run, name, generalised)
        if private_storage.exists(path):
            private_storage.delete(path)
        private_storage.save(path, ContentFile(png_rgba(colourise(warped, RAMPS[name], lo, hi))))
        meta["bounds"] = bounds
        key = f"{name}-generalised" if generalised else name
        meta["layers"][key] = {"lo": lo, "hi": hi, "unit": UNITS[name]}
    meta["sensitive_block_cells"] = block
    return meta


def hillshade_png(terrain: TerrainGrid) -> tuple[str, list[list[float]]]:
    """The terrain's hillshade as a grey PNG in Web Mercator (the map's basemap), cached per grid."""
    path = f"risk/reserve-{terrain.reserve_id}/hillshade-{terrain.pk}-{int(terrain.created_at.timestamp())}.png"
    bounds_path = path + ".bounds"
    if not (private_storage.exists(path) and private_storage.exists(bounds_path)):
        warped, bounds = to_web_mercator(grid_raster(terrain, "hillshade").data, terrain)
        for stale in (path, bounds_path):
            if private_storage.exists(stale):
                private_storage.delete(stale)
        private_storage.save(path, ContentFile(png_rgba(grey_rgba(warped))))
        private_storage.save(bounds_path, ContentFile(" ".join(repr(v) for pair in bounds for v in pair).encode()))
    with private_storage.open(bounds_path) as handle:
        s, w, n, e = (float(v) for v in handle.read().split())
    return path, [[s, w], [n, e]]
