"""Planned against actual, and where patrols went over a period (reads).

`patrol_plan_comparison`: when a patrol has ended, how much of its planned route it followed (within a
buffer, measured in the reserve's projected CRS), how many of the planned high-risk cells it covered,
its time, distance and finds. `coverage_visits` and `coverage_gaps`: for any period, how many patrols
came near each cell of the terrain grid, and the high-risk cells that no patrol came near in the last N
weeks (the schedule's auto-fill favours them). The cell rules are footprint.py's (pure).

Patrol never imports threats: the risk surface comes through IRBIS_RISK_SURFACE and a patrol's finds
through IRBIS_PATROL_FINDS, both named in the settings (config.settings.base).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry
from django.db.models import QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.module_loading import import_string

from patrol.patrols.footprint import (
    DETECTION_RADIUS_M,
    FOLLOW_BUFFER_M,
    HIGH_RISK_QUANTILE,
    cells_near,
    high_risk_mask,
    share_followed,
    visit_counts,
)

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry
from patrol.patrols.models import Patrol
from patrol.reserves.models import Reserve
from patrol.reserves.risk import risk_surface_for
from patrol.reserves.selectors import User
from patrol.terrain.models import TerrainGrid


def projected(geometry: GEOSGeometry | None, srid: int) -> BaseGeometry | None:
    """A WGS84 geometry as a shapely geometry in a projected CRS (metres)."""
    if geometry is None:
        return None
    import shapely  # with the work, not at start-up: the API's views import this module

    return shapely.from_wkb(bytes(geometry.transform(srid, clone=True).wkb))


def reserve_risk(reserve: Reserve) -> tuple[TerrainGrid | None, np.ndarray | None]:
    """The reserve's terrain grid and the current risk surface on it (None, None without terrain)."""
    terrain = TerrainGrid.objects.filter(reserve=reserve).first()
    if terrain is None:
        return None, None
    risk, _source = risk_surface_for(terrain)
    return terrain, risk


def _hours(start: datetime | None, end: datetime | None) -> float | None:
    return round((end - start).total_seconds() / 3600, 3) if start and end else None


def _km(geometry: BaseGeometry | None) -> float | None:
    return round(geometry.length / 1000, 3) if geometry is not None else None


def patrol_plan_comparison(*, user: User, patrol: Patrol, risk: tuple[Any, Any] | None = None) -> dict[str, Any]:
    """The patrol's plan against what it did; figures are null where the plan or the track is missing."""
    reserve = patrol.reserve
    planned = projected(patrol.planned_route, reserve.projected_epsg)
    track = projected(patrol.track, reserve.projected_epsg)
    result: dict[str, Any] = {
        "status": patrol.status,
        "planned_km": _km(planned),
        "actual_km": _km(track),
        "planned_hours": _hours(patrol.planned_start, patrol.planned_end),
        "actual_hours": _hours(patrol.actual_start, patrol.actual_end),
        "route_followed_share": round(share_followed(planned, track), 4) if planned and track else None,
        "follow_buffer_m": FOLLOW_BUFFER_M,
        "high_risk_cells_planned": None,
        "high_risk_cells_covered": None,
        "high_risk_covered_share": None,
        "detection_radius_m": DETECTION_RADIUS_M,
        "finds": import_string(settings.IRBIS_PATROL_FINDS)(user=user, patrol=patrol),
    }
    if risk is None:
        risk = reserve_risk(reserve) if planned is not None else (None, None)
    terrain, surface = risk
    if terrain is not None and planned is not None:
        grid = terrain.grid
        if terrain.srid != reserve.projected_epsg:
            planned = projected(patrol.planned_route, terrain.srid)
            track = projected(patrol.track, terrain.srid)
        high = np.flatnonzero(high_risk_mask(surface))
        on_plan = np.intersect1d(high, cells_near(grid, planned))
        covered = np.intersect1d(on_plan, cells_near(grid, track)) if track is not None else on_plan[:0]
        result["high_risk_cells_planned"] = int(on_plan.size)
        result["high_risk_cells_covered"] = int(covered.size)
        result["high_risk_covered_share"] = round(covered.size / on_plan.size, 4) if on_plan.size else None
    return result


def tracks_between(reserve: Reserve, start: datetime, end: datetime) -> QuerySet[Patrol]:
    """Patrols with a track whose (actual, else planned) start lies in [start, end); cancelled ones never."""
    return (
        Patrol.objects.filter(reserve=reserve, track__isnull=False)
        .exclude(status=Patrol.Status.CANCELLED)
        .annotate(at=Coalesce("actual_start", "planned_start"))
        .filter(at__gte=start, at__lt=end)
    )


def coverage_visits(
    *, reserve: Reserve, terrain: TerrainGrid, start: datetime, end: datetime
) -> tuple[np.ndarray, int]:
    """Per cell of the terrain grid, how many patrols of the period came within the detection radius of
    its centre (each patrol once), and how many patrols were counted."""
    patrols = list(tracks_between(reserve, start, end).only("id", "track"))
    paths = [projected(p.track, terrain.srid) for p in patrols]
    return visit_counts(terrain.grid, paths), len(patrols)


@dataclass
class CoverageGaps:
    """High-risk cells no patrol came near in the `weeks` before `until`, on `terrain`'s grid."""

    terrain: TerrainGrid
    mask: np.ndarray  # bool, the grid's shape: a gap
    high_risk: np.ndarray  # bool, the grid's shape: the high-risk cells (gaps or not)
    risk: np.ndarray
    weeks: int
    until: datetime

    @property
    def cells(self) -> np.ndarray:
        """(n, 2) row, col of the gaps, the highest risk first."""
        rows, cols = np.nonzero(self.mask)
        order = np.argsort(-self.risk[rows, cols], kind="stable")
        return np.column_stack([rows[order], cols[order]])


def coverage_gaps(
    *, reserve: Reserve, weeks: int = 4, until: datetime | None = None, quantile: float = HIGH_RISK_QUANTILE,
    terrain_risk: tuple[TerrainGrid | None, np.ndarray | None] | None = None,
) -> CoverageGaps | None:  # fmt: skip
    """The high-risk cells (the top `1 - quantile` of the cells with any risk) that no patrol came within
    the detection radius of in the `weeks` before `until` (default: now); None without terrain.

    For the schedule's auto-fill: `result.mask` on the terrain grid, `result.cells` highest risk first.
    """
    terrain, risk = terrain_risk if terrain_risk is not None else reserve_risk(reserve)
    if terrain is None:
        return None
    until = until or timezone.now()
    visits, _n = coverage_visits(reserve=reserve, terrain=terrain, start=until - timedelta(weeks=weeks), end=until)
    high = high_risk_mask(risk, quantile)
    return CoverageGaps(terrain, high & (visits == 0), high, np.nan_to_num(risk, nan=0.0), weeks, until)
