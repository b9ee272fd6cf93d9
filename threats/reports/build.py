"""Reports for a period and a reserve, zone, post, team or valley: the figures, beside the previous period's.

Reports read both apps (patrol effort, threats records, enforcement outcomes), so they live in threats:
patrol may never import threats (tests/test_layout.py). The counting is in SQL (figures.py); here the
scope and period become a `Frame`, and raw counts become the figures people read.
Who may read: managers, reserve administrators and analysts of the reserve (others in it 403, non-members
404). Reports hold counts only: no suspect, no name, no exact place of a sensitive record.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.gis.geos import GEOSGeometry
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone
from django.utils.translation import pgettext

from patrol.reserves.models import Post, Reserve, Team, Zone
from patrol.reserves.selectors import READ_ALL_ROLES, User, reserve_get_for_user, role_get
from patrol.terrain.models import ValleyReach
from threats.records.models import SnareFind, Species
from threats.reports import enforcement, figures
from threats.reports.periods import Period

SCOPES = ("reserve", "zone", "post", "team", "valley")
VALLEY_HALF_WIDTH_M = 500.0  # a valley is the land within this distance of its named reaches
REMOVED_ACTIONS = (SnareFind.Action.REMOVED, SnareFind.Action.DESTROYED)


class ReportInputError(ValueError):
    """A scope or grouping that does not exist in the reserve; the message names it."""


@dataclass(frozen=True)
class Scope:
    kind: str = "reserve"  # one of SCOPES
    value: str = ""  # the zone, post or team id, or the valley's name

    def __post_init__(self) -> None:
        if self.kind not in SCOPES:
            raise ReportInputError(pgettext("report", "Unknown scope: %(kind)s.") % {"kind": self.kind})


def report_reserve_get(*, user: User, slug: str) -> Reserve:
    """The reserve whose reports the user may read (404 for non-members, 403 for rangers)."""
    reserve = reserve_get_for_user(user=user, slug=slug)
    if not report_may_read(user=user, reserve=reserve):
        raise PermissionDenied(pgettext("report", "Reports are for managers, reserve administrators and analysts."))
    return reserve


def report_may_read(*, user: User, reserve: Reserve) -> bool:
    return getattr(user, "is_superuser", False) or role_get(user=user, reserve=reserve) in READ_ALL_ROLES


# --- scope and grouping ---------------------------------------------------------------------------


def _valley_ewkt(reserve: Reserve, name: str) -> str | None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT ST_AsEWKT(ST_Transform(ST_Buffer(ST_Union(ST_Transform(geometry, %s)), %s), 4326))
                FROM {ValleyReach._meta.db_table} WHERE reserve_id = %s AND name = %s""",  # noqa: S608 - table names from model metadata, values as parameters
            [reserve.projected_epsg, VALLEY_HALF_WIDTH_M, reserve.pk, name],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def _int(value: str, what: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ReportInputError(pgettext("report", "No such %(what)s in this reserve.") % {"what": what}) from None


def scope_resolve(reserve: Reserve, scope: Scope) -> tuple[tuple[int, ...] | None, str | None, str]:
    """(team ids or None, area EWKT or None, label) of the scope."""
    if scope.kind == "reserve":
        return None, None, reserve.name
    if scope.kind == "team":
        team = Team.objects.filter(reserve=reserve, pk=_int(scope.value, "team")).first()
        if team is None:
            raise ReportInputError(pgettext("report", "No such team in this reserve."))
        return (team.pk,), None, team.name
    if scope.kind == "post":
        post = Post.objects.filter(reserve=reserve, pk=_int(scope.value, "post")).first()
        if post is None:
            raise ReportInputError(pgettext("report", "No such post in this reserve."))
        return tuple(post.teams.values_list("pk", flat=True)), None, post.name
    if scope.kind == "zone":
        zone = Zone.objects.filter(reserve=reserve, pk=_int(scope.value, "zone")).first()
        if zone is None:
            raise ReportInputError(pgettext("report", "No such zone in this reserve."))
        return None, zone.area.ewkt, zone.name
    ewkt = _valley_ewkt(reserve, scope.value) if scope.value else None
    if ewkt is None:
        raise ReportInputError(pgettext("report", "No such valley in this reserve."))
    return None, ewkt, scope.value


def _groups(reserve: Reserve, by: str | None, period: Period) -> list[tuple[str, str]]:
    """(key, label) of every group the report lists, in order."""
    if by is None:
        return []
    if by == "month":
        return [(m.strftime("%Y-%m"), m.strftime("%Y-%m")) for m in period.months()]
    if by == "team":
        return [(str(t.pk), t.name) for t in Team.objects.filter(reserve=reserve)]
    if by == "post":
        return [(str(p.pk), p.name) for p in Post.objects.filter(reserve=reserve)]
    if by == "zone":
        return [(str(z.pk), z.name) for z in Zone.objects.filter(reserve=reserve)]
    if by == "valley":
        names = ValleyReach.objects.filter(reserve=reserve).order_by("name").values_list("name", flat=True).distinct()
        return [(n, n) for n in sorted(names)]
    raise ReportInputError(pgettext("report", "Unknown grouping: %(by)s.") % {"by": by})


def _group_areas(reserve: Reserve, by: str, scope_area: str | None) -> tuple[tuple[str, str], ...]:
    if by == "zone":
        areas = [(str(z.pk), z.area) for z in Zone.objects.filter(reserve=reserve)]
    else:
        names = ValleyReach.objects.filter(reserve=reserve).order_by("name").values_list("name", flat=True).distinct()
        areas = [(n, GEOSGeometry(_valley_ewkt(reserve, n))) for n in names]
    if scope_area is not None:
        clip = GEOSGeometry(scope_area)
        areas = [(k, a.intersection(clip)) for k, a in areas]
        areas = [(k, a) for k, a in areas if not a.empty]
    return tuple((k, a.ewkt if a.srid else f"SRID=4326;{a.wkt}") for k, a in areas)


def frame_build(reserve: Reserve, period: Period, scope: Scope, by: str | None) -> figures.Frame:
    teams, area, _label = scope_resolve(reserve, scope)
    start, end = period.bounds(reserve.timezone)
    if by == "month":
        slices = []
        for month in period.months():
            following = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
            m_start = max(start, _local_midnight(reserve, month))
            m_end = min(end, _local_midnight(reserve, following))
            slices.append((month.strftime("%Y-%m"), m_start, m_end))
    else:
        slices = [("", start, end)]
    areas = _group_areas(reserve, by, area) if by in ("zone", "valley") else (("", area),) if area else None
    return figures.Frame(reserve_id=reserve.pk, epsg=reserve.projected_epsg, tz=reserve.timezone,
                         slices=tuple(slices), team_ids=teams, areas=areas, by=by)  # fmt: skip


def _local_midnight(reserve: Reserve, day: date) -> datetime:
    return Period("custom", day, day).bounds(reserve.timezone)[0]


# --- figures ---------------------------------------------------------------------------------------


def _raw(frame: figures.Frame, *, cover: bool = True) -> dict[str, Any]:
    return {
        "effort": figures.effort(frame), "cover": figures.cover(frame) if cover else {},
        "snares": figures.snares(frame),
        "incidents": figures.incidents(frame), "detections": figures.detections(frame),
        "camera": figures.camera_effort(frame), "enforcement": enforcement.enforcement_figures(frame),
    }  # fmt: skip


def _ratio(numerator: float, denominator: float, scale: float = 1.0) -> float | None:
    """None when there was no effort: "no effort", never a division by zero."""
    return round(numerator / denominator * scale, 2) if denominator > 0 else None


def _figures(key: str, raw: dict[str, Any], species: dict[int, str], camera_applies: bool) -> dict[str, Any]:
    e = raw["effort"].get(key, {"patrols": 0, "patrol_days": 0.0, "hours": 0.0, "distance_km": 0.0})
    rows = raw["snares"].get(key, [])
    by_material, by_placement, by_state, animals = Counter(), Counter(), Counter(), Counter()
    for material, placement, state, _action, catch_id, condition, _finds, count in rows:
        by_material[material] += count
        by_placement[placement] += count
        by_state[state] += count
        if condition != SnareFind.CatchCondition.NONE:
            animals[(species.get(catch_id, ""), condition)] += _finds
    snares = sum(r[7] for r in rows)
    kinds = raw["incidents"].get(key, {})
    seen, individuals, signals = Counter(), Counter(), Counter()
    for species_id, observation_type, records, counted in raw["detections"].get(key, []):
        if species_id is None:
            signals[observation_type] += records
        else:
            seen[species[species_id]] += records
            individuals[species[species_id]] += counted
    camera = raw["camera"].get(key, {"trap_days": 0.0, "deployments": 0})
    out = {
        "patrols": e["patrols"], "patrol_days": round(e["patrol_days"], 2), "hours": round(e["hours"], 2),
        "distance_km": round(e["distance_km"], 2), "area_cells": raw["cover"].get(key, 0),
        "area_km2": round(raw["cover"].get(key, 0) * (figures.COVER_CELL_M / 1000.0) ** 2, 2),
        "snare_finds": sum(r[6] for r in rows), "snares": snares,
        "snares_removed": sum(r[7] for r in rows if r[3] in REMOVED_ACTIONS),
        "snares_by_material": dict(sorted(by_material.items())),
        "snares_by_placement": dict(sorted(by_placement.items())),
        "snares_by_state": dict(sorted(by_state.items())),
        "cpue_per_100km": _ratio(snares, e["distance_km"], 100.0),
        "cpue_per_patrol_day": _ratio(snares, e["patrol_days"]),
        "animals_in_snares": [{"species": s, "condition": c, "count": n} for (s, c), n in sorted(animals.items())],
        "incidents": sum(kinds.values()), "incidents_by_kind": dict(sorted(kinds.items())),
        "detections": sum(seen.values()) + sum(signals.values()),
        "detections_by_species": {s: {"records": seen[s], "individuals": individuals[s]} for s in sorted(seen)},
        "detections_of_people_or_vehicles": dict(sorted(signals.items())),
        "trap_days": round(camera["trap_days"], 2) if camera_applies else None,
        "camera_deployments": camera["deployments"] if camera_applies else None,
    }  # fmt: skip
    out.update(enforcement.figures_for(raw["enforcement"], key))
    out["no_effort"] = e["distance_km"] <= 0 and e["patrol_days"] <= 0
    return out


def _species_names() -> dict[int, str]:
    return dict(Species.objects.values_list("pk", "scientific_name"))


def figures_for(
    reserve: Reserve, period: Period, scope: Scope, by: str | None = None, *, cover: bool = True
) -> dict[str, dict[str, Any]]:
    """{group key: figures} of one period ("" when not grouped)."""
    frame = frame_build(reserve, period, scope, by)
    raw = _raw(frame, cover=cover)
    species = _species_names()
    camera_applies = frame.team_ids is None and by not in ("team", "post")
    parts = [raw[name] for name in ("effort", "cover", "snares", "incidents", "detections", "camera")]
    keys = {k for part in [*parts, *raw["enforcement"].values()] for k in part}
    if by is None:
        keys.add("")
    return {k: _figures(k, raw, species, camera_applies) for k in keys}


def _period_json(period: Period) -> dict[str, str]:
    return {"kind": period.kind, "first": period.first.isoformat(), "last": period.last.isoformat(),
            "label": period.label()}  # fmt: skip


def report_build(*, reserve: Reserve, period: Period, scope: Scope | None = None, by: str | None = None) -> dict:
    """The report: figures for the period and the one before, and per group when `by` is given."""
    scope = scope or Scope()
    if by is not None and by not in figures.GROUPINGS:
        raise ReportInputError(pgettext("report", "Unknown grouping: %(by)s.") % {"by": by})
    _teams, _area, label = scope_resolve(reserve, scope)
    previous = period.previous()
    report: dict[str, Any] = {
        "reserve": {"slug": reserve.slug, "name": reserve.name},
        "scope": {"kind": scope.kind, "value": scope.value, "label": label},
        "period": _period_json(period), "previous_period": _period_json(previous), "by": by,
        "generated_at": timezone.now().isoformat(timespec="seconds"),
        "totals": figures_for(reserve, period, scope)[""],
        "previous": figures_for(reserve, previous, scope)[""],
        "groups": [],
    }  # fmt: skip
    if by is not None:
        per_group = figures_for(reserve, period, scope, by)
        listed = _groups(reserve, by, period)
        extra = sorted(set(per_group) - {k for k, _ in listed})
        listed += [(k, pgettext("report", "none") if k == "" else k) for k in extra]
        empty = _figures("\0", _empty_raw(), {}, by not in ("team", "post") and scope.kind not in ("team", "post"))
        report["groups"] = [{"key": k, "label": lbl, **per_group.get(k, empty)} for k, lbl in listed]
    return report


def _empty_raw() -> dict[str, Any]:
    return {"effort": {}, "cover": {}, "snares": {}, "incidents": {}, "detections": {}, "camera": {},
            "enforcement": enforcement.empty()}  # fmt: skip


def trend_months(period: Period) -> int:
    """How many months a report's charts show: the period's own, at least a year for context, at most three."""
    return min(max(len(period.months()), 12), 36)


def monthly_trend(*, reserve: Reserve, period: Period, scope: Scope | None = None, months: int = 12) -> list[dict]:
    """The figures month by month for the `months` months ending with the period's last (for charts; without
    the area covered, which the charts do not show)."""
    last_month = period.last.replace(day=1)
    index = last_month.year * 12 + last_month.month - 1 - (months - 1)
    first = date(index // 12, index % 12 + 1, 1)
    span = Period("custom", first, period.last)
    scope = scope or Scope()
    per_month = figures_for(reserve, span, scope, "month", cover=False)  # the charts show no area: skip its cost
    empty = _figures("\0", _empty_raw(), {}, scope.kind not in ("team", "post"))
    return [{"key": k, "label": label, **per_month.get(k, empty)} for k, label in _groups(reserve, "month", span)]
