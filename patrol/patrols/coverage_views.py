"""Manager web shell: the coverage page (where patrols went over a period, and the gaps) and a patrol's
page (its plan against what it did)."""

import base64
import json
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from patrol.patrols.coverage import (
    coverage_gaps,
    coverage_visits,
    patrol_plan_comparison,
    reserve_risk,
    tracks_between,
)
from patrol.patrols.selectors import patrols_for_user
from patrol.reserves.context_processors import current_reserve
from patrol.reserves.models import Reserve
from patrol.reserves.selectors import READ_ALL_ROLES, membership_get
from patrol.terrain.grid import Grid
from patrol.terrain.models import TerrainGrid
from patrol.terrain.raster_io import transform_points
from patrol.terrain.web_map import png_bytes, risk_basemap, to_web_mercator

VISIT_RAMP = [(198, 219, 239), (107, 174, 214), (33, 113, 181), (8, 48, 107)]  # 1, 2, 3-4, 5+ patrols
GAP_COLOUR = (215, 25, 28)


class CoverageForm(forms.Form):
    start = forms.DateField(label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=gettext_lazy("To"), widget=forms.DateInput(attrs={"type": "date"}))
    weeks = forms.IntegerField(
        label=gettext_lazy("Gaps: high-risk cells not patrolled for (weeks)"), min_value=1, max_value=104
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("The end of the period must not be before its start."))
        if data.get("start") and data.get("end") and (data["end"] - data["start"]).days > 3 * 366:
            self.add_error("start", _("A period may span at most three years."))
        return data


def _data_uri(rgba: np.ndarray) -> str:
    return "data:image/png;base64," + base64.b64encode(png_bytes(rgba)).decode()


def _overlay(values: np.ndarray, terrain: TerrainGrid, colour: Any) -> dict[str, Any]:
    """A layer on the terrain grid as a PNG in Web Mercator (like the risk map's), with its bounds."""
    warped, bounds = to_web_mercator(values.astype(np.float64), grid=terrain.grid, srid=terrain.srid)
    warped = np.nan_to_num(warped, nan=0.0)
    rgba = np.zeros((*warped.shape, 4), dtype=np.uint8)
    for threshold, rgb in colour:
        where = warped >= threshold
        rgba[where, :3] = rgb
        rgba[where, 3] = 190
    return {"url": _data_uri(rgba), "bounds": bounds}


def _cell_lonlat(grid: Grid, srid: int, cells: np.ndarray) -> np.ndarray:
    x, y = grid.xy_of(cells[:, 0], cells[:, 1])
    return transform_points(np.column_stack([x, y]), from_srid=srid, to_srid=4326)


def _reserve_for_maps(request: HttpRequest) -> Reserve | None:
    """The shell's current reserve, if the user may read its maps (managers, administrators, analysts)."""
    reserve = current_reserve(request).get("current_reserve")
    if reserve is None:
        return None
    membership = membership_get(user=request.user, reserve=reserve)
    if membership is None or membership.role not in READ_ALL_ROLES:
        raise PermissionDenied(_("The coverage map is for managers, reserve administrators and analysts."))
    return reserve


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


def _hillshade(reserve: Reserve, terrain: TerrainGrid) -> dict[str, Any] | None:
    """The risk map's basemap (the same image, served to the same roles), with its bounds."""
    return risk_basemap(reserve, terrain)


@login_required
@require_GET
def coverage_page(request: HttpRequest) -> HttpResponse:
    reserve = _reserve_for_maps(request)
    context: dict[str, Any] = {"reserve": reserve}
    if reserve is None:
        return render(request, "patrol/coverage.html", context)
    zone = ZoneInfo(reserve.timezone)
    today = timezone.now().astimezone(zone).date()
    initial = {"start": today - timedelta(days=90), "end": today, "weeks": 4}
    form = CoverageForm({**{k: str(v) for k, v in initial.items()}, **request.GET.dict()})
    context["form"] = form
    if not form.is_valid():
        return render(request, "patrol/coverage.html", context, status=400)
    terrain, risk = reserve_risk(reserve)
    if terrain is None:
        context["no_terrain"] = True
        return render(request, "patrol/coverage.html", context)
    start = _midnight(form.cleaned_data["start"], zone)
    end = _midnight(form.cleaned_data["end"] + timedelta(days=1), zone)  # the whole last day
    weeks = form.cleaned_data["weeks"]
    visits, patrols = coverage_visits(reserve=reserve, terrain=terrain, start=start, end=end)
    gaps = coverage_gaps(reserve=reserve, weeks=weeks, until=end, terrain_risk=(terrain, risk))
    top = gaps.cells[:10]
    lonlat = _cell_lonlat(terrain.grid, terrain.srid, top) if len(top) else np.zeros((0, 2))
    high = int(gaps.high_risk.sum())
    context.update({
        "summary": {
            "patrols": patrols,
            "cells_patrolled": int((visits > 0).sum()),
            "km2_patrolled": round(float((visits > 0).sum()) * terrain.grid.dx * terrain.grid.dy / 1e6, 1),
            "high_risk_cells": high,
            "high_risk_patrolled": int((gaps.high_risk & (visits > 0)).sum()),
            "gaps": int(gaps.mask.sum()),
        },
        "patrols": tracks_between(reserve, start, end).select_related("team").order_by("-at")[:100],
        "gap_rows": [{"lon": round(float(lon), 5), "lat": round(float(lat), 5), "risk": float(gaps.risk[r, c])}
                     for (r, c), (lon, lat) in zip(top.tolist(), lonlat.tolist(), strict=True)],
        "map_json": {
            "hillshade": _hillshade(reserve, terrain),
            "visits": _overlay(visits, terrain, [(0.5, VISIT_RAMP[0]), (1.5, VISIT_RAMP[1]), (2.5, VISIT_RAMP[2]),
                                                 (4.5, VISIT_RAMP[3])]),
            "gaps": _overlay(gaps.mask, terrain, [(0.5, GAP_COLOUR)]),
            "labels": {"visits": _("Patrols per cell"), "gaps": _("Gaps"), "hillshade": _("Hillshade")},
        },
    })  # fmt: skip
    return render(request, "patrol/coverage.html", context)


@login_required
@require_GET
def patrol_page(request: HttpRequest, pk: int) -> HttpResponse:
    patrol = get_object_or_404(patrols_for_user(user=request.user), pk=pk)
    comparison = patrol_plan_comparison(user=request.user, patrol=patrol)
    shapes = {
        "planned": json.loads(patrol.planned_route.geojson) if patrol.planned_route else None,
        "track": json.loads(patrol.track.geojson) if patrol.track else None,
    }
    membership = membership_get(user=request.user, reserve=patrol.reserve)
    terrain = TerrainGrid.objects.filter(reserve=patrol.reserve).first()
    if terrain is not None and membership is not None and membership.role in READ_ALL_ROLES:
        shapes["hillshade"] = _hillshade(patrol.reserve, terrain)  # served to the roles that read maps
    return render(request, "patrol/patrol.html", {"patrol": patrol, "comparison": comparison, "map_json": shapes})
