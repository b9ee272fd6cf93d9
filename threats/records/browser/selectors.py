"""Reads for the records browser: the filtered rows of each section, the map's points, photos and labels.

Every row comes from the one privacy selector family (threats.records.selectors, and the enforcement
selectors for actions and cases), and every filter works on what the user may see: the period on
`display_time`, the patrol and team on `display_patrol_id`, the valley on `display_location`. A filter
on the exact values would narrow a generalised record below its cell and day by bisection
(docs/privacy.md).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.gis.db.models import GeometryField
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    DateTimeField,
    Exists,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import TruncDay
from django.utils.translation import gettext_lazy

from patrol.patrols.models import Patrol
from patrol.patrols.selectors import patrols_for_user
from patrol.reserves.models import Reserve
from patrol.reserves.selectors import User
from patrol.terrain.models import ValleyReach
from threats.enforcement.models import Case as CaseFile
from threats.enforcement.models import EnforcementAction
from threats.enforcement.selectors import actions_for_user, cases_for_user
from threats.fieldsync.models import Photo
from threats.records.models import Detection, Incident, SnareFind
from threats.records.selectors import detections_for_user, incidents_for_user, snare_finds_for_user

# A record lies in a valley when it is within this distance of one of the valley's stream reaches.
VALLEY_RADIUS_M = 500.0
MAP_LIMIT = 1000  # points on the map; the list pages through all rows


class _Geography(Func):
    template = "(%(expressions)s)::geography"
    output_field = GeometryField(geography=True, srid=4326)


class _WithinMetres(Func):
    function = "ST_DWithin"
    output_field = BooleanField()


def in_valley(reserve: Reserve, name: str, location: str = "display_location") -> Exists:
    """Whether the row's shown location is within VALLEY_RADIUS_M of a reach of the valley `name`."""
    near = _WithinMetres(
        _Geography(F("geometry")), _Geography(OuterRef(location)), Value(VALLEY_RADIUS_M, output_field=FloatField())
    )
    return Exists(ValleyReach.objects.filter(near, reserve=reserve, name=name))


def valley_names(*, reserve: Reserve) -> list[str]:
    return list(ValleyReach.objects.filter(reserve=reserve).order_by("name").values_list("name", flat=True).distinct())


@dataclass(frozen=True)
class Section:
    """One kind of record the browser lists: its rows, how each filter applies, how to search it."""

    slug: str
    model: type
    title: Any
    selector: Callable[..., QuerySet]
    filters: tuple[str, ...]
    search: tuple[str, ...]
    kind: str = ""  # the Photo.record_kind of its photos ("" when it has none)
    time_field: str = "display_time"
    exact_time: str = ""  # the stored time: a cheap, index-backed superset of the period filter
    date_only: bool = False  # the time field is a date (cases)
    located: bool = True  # rows have a display_location (cases do not)
    team_field: str = ""  # the team's id on the row itself; else through the shown patrol
    species_filter: Callable[[str], Q] | None = None
    state_field: str = ""
    kind_field: str = ""
    managers_only: bool = False

    def choices(self, name: str) -> list[tuple[str, str]]:
        """The choices of the state or kind filter: the model field's."""
        field_name = {"state": self.state_field, "kind": self.kind_field}[name]
        return [(value, str(label)) for value, label in self.model._meta.get_field(field_name).choices if value]


def _incident_species(name: str) -> Q:
    return Q(Exists(SnareFind.objects.filter(incidents=OuterRef("pk"), catch_species__scientific_name=name)))


def actions_shown(*, user: User) -> QuerySet[EnforcementAction]:
    """Actions as the browser lists them, under the names the record lists use. Their place is generalised by
    threats.enforcement.selectors; an action at an incident the user sees generalised is shown like that
    incident, on its day without patrol, team or reporter: its minute and patrol would place the incident."""
    hidden = Q(Exists(incidents_for_user(user=user).filter(enforcement_actions=OuterRef("pk"),
                                                           location_generalised=True)))  # fmt: skip

    def shown(exact: Any, coarse: Any, output: Any) -> Case:
        return Case(When(hidden, then=coarse), default=exact, output_field=output)

    return (
        actions_for_user(user=user)
        .annotate(
            time_generalised=shown(Value(False), Value(True), BooleanField()),
            display_time=shown(F("taken_at"), TruncDay("taken_at", tzinfo=UTC), DateTimeField()),
            display_patrol_id=shown(F("patrol_id"), Value(None), IntegerField()),
            display_team_id=shown(F("team_id"), Value(None), IntegerField()),
            display_reported_by=shown(F("reported_by__username"), Value(None), CharField()),
        )
        .order_by("-display_time", "-id")
    )


def cases_shown(*, user: User) -> QuerySet[CaseFile]:
    return cases_for_user(user=user).annotate(display_time=F("opened_on")).order_by("-opened_on", "-id")


_COMMON = ("start", "end", "team", "patrol", "valley")
SECTIONS: dict[str, Section] = {
    "snare-finds": Section(
        slug="snare-finds", model=SnareFind, title=gettext_lazy("Snare finds"), kind="snare_find",
        exact_time="found_at",
        selector=snare_finds_for_user, filters=(*_COMMON, "species", "state"), search=("notes",),
        state_field="state", species_filter=lambda name: Q(catch_species__scientific_name=name),
    ),
    "incidents": Section(
        slug="incidents", model=Incident, title=gettext_lazy("Incidents"), kind="incident", exact_time="occurred_at",
        selector=incidents_for_user, filters=(*_COMMON, "species", "kind"), search=("description", "notes"),
        kind_field="kind", species_filter=_incident_species,
    ),
    "detections": Section(
        slug="detections", model=Detection, title=gettext_lazy("Wildlife detections"), kind="detection",
        exact_time="observed_at",
        selector=detections_for_user, filters=(*_COMMON, "species", "kind"),
        search=("notes", "individual_id", "species__common_name_en", "species__common_name_ru",
                "species__scientific_name"),
        kind_field="method", species_filter=lambda name: Q(species__scientific_name=name),
    ),
    "actions": Section(
        slug="actions", model=EnforcementAction, title=gettext_lazy("Enforcement actions"), kind="action",
        exact_time="taken_at",
        selector=actions_shown, filters=(*_COMMON, "kind"), team_field="display_team_id", kind_field="kind",
        search=("description", "protocol_number", "place_name"),
    ),
    "cases": Section(
        slug="cases", model=CaseFile, title=gettext_lazy("Cases"), selector=cases_shown,
        filters=("start", "end", "state"),
        search=("number", "agency", "charges"), time_field="opened_on", date_only=True, located=False,
        state_field="status", managers_only=True,
    ),
}  # fmt: skip


def day_bounds(reserve: Reserve, start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    """The period's first instant and the instant after its last day, in the reserve's time zone."""
    zone = ZoneInfo(reserve.timezone or "UTC")
    first = datetime.combine(start, time.min, tzinfo=zone) if start else None
    after = datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone) if end else None
    return first, after


def browse_rows(*, section: Section, user: User, reserve: Reserve, filters: dict[str, Any]) -> QuerySet:
    """The section's rows the user may see in the reserve, filtered; newest first (by the time shown)."""
    rows = section.selector(user=user).filter(reserve=reserve)
    if section.date_only:
        first, after = filters.get("start"), filters.get("end") and filters["end"] + timedelta(days=1)
    else:
        first, after = day_bounds(reserve, filters.get("start"), filters.get("end"))
    if first:
        rows = rows.filter(**{f"{section.time_field}__gte": first})
    if after:
        rows = rows.filter(**{f"{section.time_field}__lt": after})
    if section.exact_time and (first or after):
        # The time shown is the stored one or its UTC day, so it lies in (stored - 1 day, stored]: this range on
        # the stored time holds every row the filter above keeps (and selects nothing it would drop), and the
        # database finds it through the (reserve, time) index before it works out what each user may see.
        if first:
            rows = rows.filter(**{f"{section.exact_time}__gte": first})
        if after:
            rows = rows.filter(**{f"{section.exact_time}__lt": after + timedelta(days=1)})
    if filters.get("patrol"):
        rows = rows.filter(display_patrol_id=filters["patrol"].pk)
    if filters.get("team") and section.team_field:
        rows = rows.filter(**{section.team_field: filters["team"].pk})
    elif filters.get("team"):
        rows = rows.filter(display_patrol_id__in=Patrol.objects.filter(team=filters["team"]).values("pk"))
    if filters.get("valley"):
        rows = rows.filter(in_valley(reserve, filters["valley"]))
    if filters.get("species") and section.species_filter:
        rows = rows.filter(section.species_filter(filters["species"]))
    if filters.get("state") and section.state_field:
        rows = rows.filter(**{section.state_field: filters["state"]})
    if filters.get("kind") and section.kind_field:
        rows = rows.filter(**{section.kind_field: filters["kind"]})
    if text := (filters.get("q") or "").strip():
        match = Q()
        for name in section.search:
            match |= Q(**{f"{name}__icontains": text})
        rows = rows.filter(match)
    return rows


def map_points(rows: QuerySet, limit: int = MAP_LIMIT) -> tuple[list[dict[str, Any]], bool]:
    """(points, capped): the shown location of up to `limit` rows with one, one query."""
    rows = rows.filter(display_location__isnull=False)
    values = list(rows.values("pk", "display_location", "location_generalised")[: limit + 1])
    points = [
        {"id": v["pk"], "lon": v["display_location"].x, "lat": v["display_location"].y,
         "generalised": v["location_generalised"]}
        for v in values[:limit]
    ]  # fmt: skip
    return points, len(values) > limit


def patrol_labels(*, user: User, patrol_ids: Iterable[int | None]) -> dict[int, str]:
    """ "Team, date" of each patrol id shown (ids the rows show already: generalised rows show none)."""
    ids = {pk for pk in patrol_ids if pk}
    if not ids:
        return {}
    patrols = patrols_for_user(user=user).filter(pk__in=ids)
    return {p.pk: _patrol_label(p) for p in patrols}


def _patrol_label(patrol: Patrol) -> str:
    when = patrol.actual_start or patrol.planned_start
    return f"{patrol.team.name}, {when:%Y-%m-%d}" if when else patrol.team.name


def patrol_choices(*, user: User, reserve: Reserve, limit: int = 300) -> list[tuple[int, str]]:
    """The latest patrols the user may see, for the filter's list (any visible patrol id is accepted)."""
    patrols = (
        patrols_for_user(user=user)
        .filter(reserve=reserve)
        .order_by(F("actual_start").desc(nulls_last=True), "-planned_start", "-id")[:limit]
    )
    return [(p.pk, _patrol_label(p)) for p in patrols]


def photos_by_record(*, reserve: Reserve, kind: str, object_ids: Iterable[int]) -> dict[int, list[Photo]]:
    """The photos of these records, in one query, by record id."""
    ids = list(object_ids)
    found: dict[int, list[Photo]] = {}
    if not kind or not ids:
        return found
    for photo in Photo.objects.filter(reserve=reserve, record_kind=kind, object_id__in=ids).order_by("created_at"):
        found.setdefault(photo.object_id, []).append(photo)
    return found
