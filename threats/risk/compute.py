"""Writes for the snare-threat risk model: build its inputs from the database, run it, store its layers.

The model itself is pure (threats/risk.py, threats/risk_eval.py: arrays in, arrays out). This module
moves data between it and the database:

- `risk_inputs_build` reads a reserve's records for a time window and turns them into `RiskInputs`
  on the reserve's terrain grid (metres in its projected CRS, epoch seconds);
- `risk_recompute_enqueue` runs after every change of the evidence: each write calls
  patrol.jobs.follow_up.evidence_changed in its transaction, whose outbox message runs
  threats.risk.tasks.risk_recompute_task after the commit; it queues ONE recompute a few minutes later,
  however many records arrive meanwhile (see "Debounce" below);
- `risk_run_compute` (the Celery task's body, a job of patrol.jobs.runner: claimed once, heartbeat,
  any failure recorded) fits the model on the last IRBIS_RISK_WINDOW_DAYS (from
  the reserve's first patrol if that is later: the exposure term reads the window's length, and a
  window reaching back before any patrol would dilute it), stores the layers as GeoTIFFs on the
  terrain grid plus what `explain` needs, ranks the valleys against the previous period, and records
  its progress as it goes;
- `risk_nightly_schedule` queues a recompute for every reserve with terrain (Celery beat).

Debounce: at most one run per reserve may be QUEUED (a partial unique constraint). The first trigger
(after the commit of the transaction that wrote the data) creates it with `not_before = now +
IRBIS_RISK_DEBOUNCE_SECONDS` and queues the task (through the outbox) with that countdown; later
triggers hit the constraint and do nothing: the queued run will read their data too. When the task
starts it moves the run to RUNNING, so data arriving during a computation queue the next one. A
queued run whose task was lost (broker flushed) is queued again by the next trigger or the nightly
task once overdue; a running run whose worker died is queued again by the job sweep
(patrol.jobs.runner.jobs_sweep), unless another run already waits for the reserve.

Explaining a cell: the stored run keeps, per cell, each term's contribution to log-intensity, the
frailty, the effort and the nearby finds (float32, one compressed .npz per run) and the baseline in
the summary, so an explanation is a read, not a refit. `RiskResult.explain` is reproduced exactly
(to float32 rounding) by `threats.risk_selectors.risk_cell_explain`.
"""

from __future__ import annotations

import io
import math
import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.storage import private_storage
from patrol.jobs.runner import job_enqueue, job_run
from patrol.reserves.access import require_manager
from patrol.reserves.models import Reserve
from patrol.reserves.selectors import User
from patrol.terrain.models import TerrainGrid, ValleyReach
from patrol.terrain.raster_io import geotiff_bytes, read_raster
from patrol.terrain.web_map import hillshade_png_get, hillshade_render
from threats.risk.inputs import (
    _setting,
    access_xy_of,
    debounce_seconds,
    first_patrol_time,
    input_counts,
    risk_inputs_build,
    terrain_features_for,
    trend_days,
    window_days,
)
from threats.risk.models import RiskRun, risk_layer_folder
from threats.risk.rendering import render_run_overlays

if TYPE_CHECKING:
    from threats.risk.model import RiskResult

LAYERS = ("snares", "uncertainty", "leopard", "leopard_uncertainty", "effort")


def risk_recompute_enqueue(reserve_id: int, *, delay_s: int | None = None,
                           trigger: str = RiskRun.Trigger.DATA) -> RiskRun | None:  # fmt: skip
    """Create the reserve's queued run and queue its task with the debounce countdown (through the
    outbox: sent when this commits). The body of risk_recompute_task, which follows every change of
    the evidence (patrol.jobs.follow_up.evidence_changed).

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
            job_enqueue(run, countdown=delay)
    except IntegrityError:
        _requeue_if_lost(reserve_id, now)
        return None
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
    with transaction.atomic():
        for run in RiskRun.objects.filter(reserve_id=reserve_id, status=RiskRun.Status.QUEUED, not_before__lt=overdue):
            job_enqueue(run)


def risk_nightly_schedule() -> int:
    """Queue a recompute now for every reserve with terrain (recency weights and the window move
    with the calendar even without new data). Returns how many runs were queued."""
    queued = 0
    for reserve_id in TerrainGrid.objects.values_list("reserve_id", flat=True).order_by("reserve_id"):
        with transaction.atomic():
            if risk_recompute_enqueue(reserve_id, delay_s=0, trigger=RiskRun.Trigger.NIGHTLY) is not None:
                queued += 1
    return queued


def _progress(run: RiskRun, progress: int, stage: str) -> None:
    run.progress, run.stage = progress, stage
    RiskRun.objects.filter(pk=run.pk).update(progress=progress, stage=stage, heartbeat_at=timezone.now())


def explain_arrays(result: RiskResult) -> dict[str, np.ndarray]:
    """What `RiskResult.explain` reads, per cell, for storage (float32)."""
    arrays = {f"contribution:{name}": values for name, values in result.feature_contributions.items()}
    arrays.update({f"leopard_contribution:{k}": v for k, v in result.leopard.term_contributions.items()})
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
            "leopard_presence_sd": result.leopard_presence_sd,
            "leopard_risk": result.leopard_risk,
            "leopard_risk_sd": result.leopard_risk_sd,
            "leopard_log_frailty": result.leopard.log_frailty,
            "leopard_observed_near": result.leopard.observed_near,
            "leopard_expected_near": result.leopard.expected_near,
        }
    )
    return {name: np.asarray(values, dtype=np.float32) for name, values in arrays.items()}


def reach_labels_of(terrain: TerrainGrid) -> np.ndarray:
    labels = read_raster(terrain.reach_labels.path).data
    return np.nan_to_num(labels, nan=0.0).astype(np.int64)


def valley_ranking(terrain: TerrainGrid, risk: np.ndarray, previous: np.ndarray) -> list[dict[str, Any]]:
    """Every valley of the terrain (its reaches that share a name together; unnamed reaches alone) ranked by
    summed risk, with its previous-period rank and trend."""
    names = dict(ValleyReach.objects.filter(reserve_id=terrain.reserve_id).values_list("reach_id", "name"))
    labels = reach_labels_of(terrain)
    # A named valley is usually several reaches: it is ranked as one, under its first reach's ID.
    first: dict[str, int] = {}
    for reach_id in sorted(names):
        first.setdefault(names[reach_id], reach_id)
    lookup = np.arange(max([int(labels.max()), *names]) + 1, dtype=np.int64)
    for reach_id, name in names.items():
        lookup[reach_id] = first[name]
    labels = lookup[labels]
    n = int(len(np.unique(labels[labels > 0])))
    from threats.risk.evaluation import rank_valleys  # the numerical stack loads with the work, not at start-up

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


def risk_run_compute(*, run_id: int, end: datetime | None = None) -> RiskRun | None:
    """Compute a queued run: fit the model on the last IRBIS_RISK_WINDOW_DAYS up to `end` (default now),
    and the same window IRBIS_RISK_TREND_DAYS earlier for valley trends; store layers and summary.

    A job (patrol.jobs.runner.job_run): claimed atomically, with a heartbeat while it computes.
    Idempotent: a run that another task already claimed (running, done, failed) is returned as it is.
    A run that cannot be computed is marked failed with the reason (any exception: its type and message).
    """
    run = job_run(RiskRun, run_id, lambda claimed: _compute(claimed, end or timezone.now()),
                  claim_fields={"started_at": timezone.now(), "progress": 1, "stage": "starting"})  # fmt: skip
    if run is not None and run.status == RiskRun.Status.DONE:
        _prune_old_runs(run.reserve_id)
    return run


def _compute(run: RiskRun, end: datetime) -> dict[str, Any]:
    from threats.risk.model import fit_risk  # the numerical stack loads with the first run, not at start-up

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
        "leopard_uncertainty": result.leopard_risk_sd,
        "effort": np.where(features.inside, result.effort.distance_km, np.nan),
    }
    for name, data in layers.items():
        tif = geotiff_bytes(data, grid=terrain.grid, srid=terrain.srid)
        getattr(run, name).save(f"{name}.tif", ContentFile(tif), save=False)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **explain_arrays(result))
    run.explain_layers.save("explain.npz", ContentFile(buffer.getvalue()), save=False)
    lap("store_s")
    _progress(run, 85, "ranking valleys, drawing map layers")
    valleys = valley_ranking(terrain, result.intensity, before.intensity)
    overlays = render_run_overlays(run, terrain, layers)  # drawn here, in the worker: map GETs only read
    if hillshade_png_get(terrain) is None:  # a terrain imported before basemaps were drawn on import
        hillshade_render(terrain)
    lap("rank_render_s")

    inside = features.inside
    heldout = result.leopard.heldout_loglik
    centres = result.leopard.centres
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
        "leopard_baseline": result.leopard.baseline,
        "leopard_model": {
            "camera_stations": result.leopard.stations,
            "trap_days": round(result.leopard.trap_days, 1),
            "camera_events": result.leopard.camera_events,
            "individuals": result.leopard.individuals,
            # False: the terrain predicted held-out stations worse than a flat rate and was left out
            "terrain_kept": result.leopard.terrain_kept,
            # spatial capture-recapture of the identified animals (None: no identified record)
            "home_ranges": None
            if centres is None
            else {
                "sigma_m": centres.sigma_m,
                "lambda0_per_day": round(centres.lambda0, 5),
                "recorded_individuals": centres.recorded,
                "unrecorded_individuals": round(centres.unrecorded, 2),
            },
            "heldout_loglik": None if heldout is None else dict(zip(("terrain", "flat"), heldout, strict=True)),
            "coefficients": dict(
                zip(result.leopard.fit.names, (float(c) for c in result.leopard.fit.coef), strict=True)
            ),
        },
        "coefficients": dict(zip(result.glm.names, (float(c) for c in result.glm.coef), strict=True)),
        "contributions": list(result.feature_contributions),
        "valleys": valleys,
        "overlays": overlays,
        "timings": timings,
    }
    run.model_version = result.model_version
    run.inputs_start = datetime.fromtimestamp(result.inputs_start, tz=UTC)
    run.inputs_end = datetime.fromtimestamp(result.inputs_end, tz=UTC)
    run.terrain = terrain
    run.grid_srid, run.grid_geotransform = terrain.srid, list(terrain.geotransform)
    run.grid_width, run.grid_height = terrain.width, terrain.height
    run.save(update_fields=[
        "summary", "model_version", "inputs_start", "inputs_end", "terrain", "grid_srid", "grid_geotransform",
        "grid_width", "grid_height", *LAYERS, "explain_layers",
    ])  # fmt: skip
    return {"progress": 100, "stage": "done"}  # job_finish marks it done


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
        RiskRun.objects.filter(pk=run.pk).update(
            snares="", uncertainty="", leopard="", leopard_uncertainty="", effort="", explain_layers=""
        )
