"""Reads for the risk model's stored runs: who may see them, the latest run, a cell's explanation,
the valley ranking.

Risk maps are planning material: managers, reserve administrators and analysts of the reserve read
them; rangers get the routes made from them, not the maps (403); non-members get 404. Leopard
values are generalised (block means over the reserve's sensitive-species grid) for people without
clearance, like the detections they come from.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import Any

import numpy as np
from django.contrib.gis.gdal import GDALException
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from config.storage import private_storage
from patrol.reserves.models import Reserve
from patrol.reserves.selectors import READ_ALL_ROLES, User, membership_get, reserve_get_for_user
from patrol.terrain.grid import Grid
from patrol.terrain.raster_io import cell_to_lonlat, lonlat_to_cell
from patrol.terrain.selectors import valley_names
from threats.risk.models import RiskRun
from threats.risk.rendering import LEOPARD_LAYERS, overlay_path
from threats.risk.wording import cell_summary, factor_detail, factor_label, layer_unit, nearby_detail, reasons

_EXPLAIN_CACHE: OrderedDict[int, dict[str, np.ndarray]] = OrderedDict()
_EXPLAIN_CACHE_SIZE = 2


def risk_reserve_get(*, user: User, slug: str) -> Reserve:
    """The reserve if the user may read its risk maps: 404 for non-members, 403 for rangers."""
    reserve = reserve_get_for_user(user=user, slug=slug)
    membership = membership_get(user=user, reserve=reserve)
    if membership is None or membership.role not in READ_ALL_ROLES:
        raise PermissionDenied(_("Risk maps are for managers, reserve administrators and analysts."))
    return reserve


def risk_may_read(*, user: User, reserve: Reserve) -> bool:
    membership = membership_get(user=user, reserve=reserve)
    return membership is not None and membership.role in READ_ALL_ROLES


def has_clearance(*, user: User, reserve: Reserve) -> bool:
    if getattr(user, "is_superuser", False):
        return True
    membership = membership_get(user=user, reserve=reserve)
    return bool(membership and membership.sensitive_clearance)


def risk_overlay_key(*, user: User, reserve: Reserve, layer: str) -> str:
    """Which drawing of `layer` the user may see: the leopard layers (risk and its uncertainty) exact with
    clearance, else generalised to the reserve's sensitive grid (`leopard-generalised`,
    `leopard_uncertainty-generalised`); other layers as they are."""
    if layer in LEOPARD_LAYERS and not has_clearance(user=user, reserve=reserve):
        return f"{layer}-generalised"
    return layer


def risk_overlay_path(*, user: User, run: RiskRun, layer: str) -> str | None:
    """The stored PNG of the run's `layer` that the user may see, or None when it was not drawn."""
    key = risk_overlay_key(user=user, reserve=run.reserve, layer=layer)
    path = overlay_path(run, layer, generalised=key != layer)
    return path if private_storage.exists(path) else None


def risk_overlays(*, user: User, run: RiskRun, layers: tuple[str, ...]) -> dict[str, Any]:
    """The map's overlays for the user: the bounds and, per layer, its colour scale and whether it is
    generalised (the drawing `risk_overlay_path` serves)."""
    meta = run.summary.get("overlays", {})
    out = {}
    for name in layers:
        key = risk_overlay_key(user=user, reserve=run.reserve, layer=name)
        if meta.get("layers") and key not in meta["layers"]:
            continue  # a run stored before this layer existed
        stored = meta.get("layers", {}).get(key, {})
        out[name] = {**stored, "unit": layer_unit(name, stored.get("unit", "")), "generalised": key != name}
    return {"bounds": meta.get("bounds"), "layers": out}


def risk_run_latest(*, reserve: Reserve) -> RiskRun | None:
    """The newest finished run that still has its layers."""
    return (
        RiskRun.objects.filter(reserve=reserve, status=RiskRun.Status.DONE)
        .exclude(snares="")
        .order_by("-finished_at", "-pk")
        .first()
    )


def risk_run_current(*, reserve: Reserve) -> RiskRun | None:
    """The run waiting or being computed, if any (its progress is what the map shows)."""
    return (
        RiskRun.objects.filter(reserve=reserve, status__in=[RiskRun.Status.QUEUED, RiskRun.Status.RUNNING])
        .order_by("-created_at", "-pk")
        .first()
    )


def explain_layers(run: RiskRun) -> dict[str, np.ndarray]:
    if run.pk in _EXPLAIN_CACHE:
        _EXPLAIN_CACHE.move_to_end(run.pk)
        return _EXPLAIN_CACHE[run.pk]
    with run.explain_layers.open("rb") as handle, np.load(handle) as npz:
        arrays = {name: npz[name] for name in npz.files}
    _EXPLAIN_CACHE[run.pk] = arrays
    while len(_EXPLAIN_CACHE) > _EXPLAIN_CACHE_SIZE:
        _EXPLAIN_CACHE.popitem(last=False)
    return arrays


def run_grid(run: RiskRun) -> Grid:
    return Grid.from_geotransform(run.grid_geotransform, (run.grid_height, run.grid_width))


def run_cell_of(run: RiskRun, lon: float, lat: float) -> tuple[int, int]:
    """(row, col) of the run's grid cell containing lon/lat; ValidationError when outside the grid."""
    message = _("This point lies outside the reserve's terrain grid.")
    try:
        row, col = lonlat_to_cell(run_grid(run), run.grid_srid, lon, lat)
    except (GDALException, ValueError, OverflowError) as exc:
        # Far from the reserve, lon/lat can lie outside the grid CRS's domain (PROJ refuses it).
        raise ValidationError({"lon": [message], "lat": [message]}) from exc
    if not run_grid(run).contains(row, col):
        raise ValidationError({"lon": [message], "lat": [message]})
    return row, col


def _f(value: Any) -> float | None:
    value = float(value)
    return None if not math.isfinite(value) else value


def risk_cell_explain(*, user: User, run: RiskRun, lon: float, lat: float) -> dict[str, Any]:
    """Which inputs drove the cell at lon/lat: the same answer as `RiskResult.explain`, from stored layers,
    in the user's language: `summary` and `reasons` in a ranger's words, the numbers behind them in
    `contributions` (`name` the model's stable key, `label` and `detail` translated).

    baseline + sum(contributions) == log(intensity). Camera trap-days are left out (they would show
    where cameras stand); leopard values are block means over the sensitive grid for users without
    clearance in the run's reserve.
    """
    clearance = has_clearance(user=user, reserve=run.reserve)
    row, col = run_cell_of(run, lon, lat)
    layers = explain_layers(run)
    at = lambda name: float(layers[name][row, col])  # noqa: E731
    intensity = at("intensity")
    inside = math.isfinite(intensity)
    keys = [key.split(":", 1)[1] for key in layers if key.startswith("contribution:")]
    parts = [{"name": key, "value": at(f"contribution:{key}"), "detail": factor_detail(key)} for key in keys]
    parts.append(
        {
            "name": "nearby finds vs effort",
            "value": at("log_frailty"),
            "detail": nearby_detail(at("nearby_finds"), at("nearby_expected")),
        }
    )
    parts.sort(key=lambda p: -abs(p["value"]))
    leopard_names = [
        n for n in ("leopard_presence", "leopard_risk", "leopard_presence_sd", "leopard_risk_sd") if n in layers
    ]
    leopard = {name: at(name) for name in leopard_names}  # runs before model 1.1 have no leopard SDs
    block = int(run.summary.get("overlays", {}).get("sensitive_block_cells", 1))
    if not clearance and block > 1:
        r0, c0 = row - row % block, col - col % block
        window = (slice(r0, r0 + block), slice(c0, c0 + block))
        with np.errstate(invalid="ignore"):
            leopard = {name: float(np.nanmean(layers[name][window])) for name in leopard_names}
    leopard_parts = None  # local leopard evidence shows where leopards were recorded: with clearance only
    if clearance and inside and "leopard_log_frailty" in layers:
        leopard_parts = [
            {"name": key.split(":", 1)[1], "value": _f(at(key))}
            for key in layers
            if key.startswith("leopard_contribution:")
        ]
        leopard_parts.append({"name": "nearby leopard records vs effort", "value": _f(at("leopard_log_frailty"))})
        leopard_parts.sort(key=lambda p: -abs(p["value"] or 0.0))
    grid = run_grid(run)
    centre = cell_to_lonlat(grid, run.grid_srid, row, col)
    contributions = [{**p, "label": factor_label(p["name"]), "value": _f(p["value"])} for p in parts] if inside else []
    words = (
        cell_summary(intensity=intensity, cell_area_m2=abs(grid.dx * grid.dy), layer=layers["intensity"])
        if inside
        else {}
    )
    return {
        "run": run.pk,
        "model_version": run.model_version,
        "inputs_start": run.inputs_start,
        "inputs_end": run.inputs_end,
        "cell": {
            "row": row,
            "col": col,
            "lon": round(float(centre[0]), 6),
            "lat": round(float(centre[1]), 6),
            "size_m": grid.dx,
            "inside_reserve_grid": inside,
        },  # fmt: skip
        "intensity": _f(intensity),
        "intensity_sd": _f(at("intensity_sd")),
        "log_intensity": _f(math.log(intensity)) if inside and intensity > 0 else None,
        "baseline": run.summary.get("baseline"),
        "contributions": contributions,
        "summary": words.get("summary"),
        "snare_lines_per_km2": _f(words["snare_lines_per_km2"]) if inside else None,
        "share_of_reserve_below": words.get("share_of_reserve_below"),
        "reasons": reasons(contributions, _f(at("data_weight"))) if inside else [],
        "effort": {"visits": _f(at("visits")), "km": _f(at("distance_km")), "hours": _f(at("hours"))},
        "finds_in_cell": _f(at("finds")),
        "nearby_finds": _f(at("nearby_finds")),
        "nearby_expected_finds": _f(at("nearby_expected")),
        "data_weight": _f(at("data_weight")),
        "leopard_presence": _f(leopard["leopard_presence"]),
        "leopard_presence_sd": _f(leopard["leopard_presence_sd"]) if "leopard_presence_sd" in leopard else None,
        "leopard_risk": _f(leopard["leopard_risk"]),
        "leopard_risk_sd": _f(leopard["leopard_risk_sd"]) if "leopard_risk_sd" in leopard else None,
        "leopard_generalised": not clearance and block > 1,
        "leopard_baseline": run.summary.get("leopard_baseline") if leopard_parts is not None else None,
        "leopard_contributions": leopard_parts,
    }


def risk_valleys(*, run: RiskRun, top: int = 10) -> dict[str, Any]:
    """The top valley reaches by expected snare lines per year, with rank and trend against the
    same-length window `trend_days` earlier (both fitted in the same run).

    The change is always absolute (`change`, snare lines per year); `change_percent` is null unless
    the earlier period had enough to make a percentage meaningful, and `trend` is "new" when it had
    practically nothing (`threats.risk.evaluation.valley_change`). Worked out from the stored risks,
    so runs stored before the rule read the same way.
    """
    from threats.risk.evaluation import NOTHING_BELOW, PERCENT_FROM, valley_change  # scipy: not at start-up

    summary = run.summary
    names = valley_names(reserve_id=run.reserve_id)  # as the valleys are named now (a rename shows at once)
    valleys = []
    for stored in summary.get("valleys", [])[:top]:
        moved = valley_change(stored["risk"], stored["previous_risk"])
        percent = None if moved.change_percent is None else round(moved.change_percent, 1)
        valleys.append({
            **{key: stored[key] for key in ("rank", "reach_id", "risk", "previous_risk", "previous_rank")},
            "name": names.get(stored["reach_id"], stored["name"]),
            "change": round(moved.change, 6), "change_percent": percent, "trend": moved.trend,
        })  # fmt: skip
    return {
        "run": run.pk,
        "inputs_start": run.inputs_start,
        "inputs_end": run.inputs_end,
        "previous_window": summary.get("previous_window"),
        "unit": _("expected snare lines set per year in the valley"),
        "new_below": NOTHING_BELOW,
        "percent_from": PERCENT_FROM,
        "valleys": valleys,
    }
