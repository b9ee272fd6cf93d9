"""Reads for threats and wildlife records.

Privacy (docs/privacy.md): detections of sensitive species (leopards, musk deer...), camera deployments,
snare finds that caught a sensitive species, incidents linked to those, and every record sharing a grid
cell and day with a sensitive one are shown to anyone without `sensitive_clearance` in that reserve with
their location snapped to the reserve's grid, their time rounded to the day, and no patrol or reporter.
The grid is the reserve's `sensitive_grid_degrees`, never finer than the deployment's
IRBIS_SENSITIVE_GRID_DEGREES (default 0.1 degree), which a reserve may only make coarser. The exact
point stays stored and is used for analysis.
Every read path for users (API, admin lists, exports) takes its rows from the selectors below, which
annotate `display_location`; nothing user-facing reads `location` of these models directly.
"""

from datetime import UTC, timedelta
from typing import Any

from django.conf import settings
from django.contrib.gis.db.models import PointField
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, TruncDay
from django.utils import timezone
from django.utils.translation import gettext

from patrol.patrols.selectors import patrols_for_user
from patrol.reserves.geo import WGS84
from patrol.reserves.models import Membership, Reserve
from patrol.reserves.selectors import User, scoped
from threats.records.models import CameraDeployment, Detection, Incident, SnareFind, Species


class SnapToGrid(Func):
    function = "ST_SnapToGrid"
    output_field = PointField(srid=WGS84)


def sensitive_grid_degrees(reserve: Reserve) -> float:
    """The grid (degrees) that generalised locations of the reserve are snapped to."""
    return max(float(reserve.sensitive_grid_degrees), float(settings.IRBIS_SENSITIVE_GRID_DEGREES))


def _sensitive_grid_degrees_sql(reserve_path: str = "reserve__") -> Greatest:
    return Greatest(
        F(f"{reserve_path}sensitive_grid_degrees"),
        Value(float(settings.IRBIS_SENSITIVE_GRID_DEGREES), output_field=FloatField()),
    )


def _cleared_reserve_ids(user: User) -> QuerySet:
    if not user.is_authenticated:
        return Membership.objects.none().values("reserve_id")
    return Membership.objects.filter(user=user, sensitive_clearance=True).values("reserve_id")


# What makes a record sensitive by itself (docs/privacy.md): a sensitive species seen, a camera's detection
# (it stands at the camera), a snare that caught a sensitive species, an incident linked to such a snare.
SENSITIVE_DETECTION = Q(species__sensitive=True) | Q(deployment__isnull=False)
SENSITIVE_SNARE_FIND = Q(catch_species__sensitive=True)
TIME_FIELDS = {Detection: "observed_at", SnareFind: "found_at", Incident: "occurred_at"}


def _day(expression: Any) -> TruncDay:
    return TruncDay(expression, tzinfo=UTC)


def _sensitive_in_cell_and_day(model: type, sensitive: Q, outer_time: str) -> Exists:
    """A sensitive record of `model` in the outer record's grid cell on its (UTC) day."""
    time_field = TIME_FIELDS[model]
    day = _day(ExpressionWrapper(OuterRef(outer_time), output_field=DateTimeField()))
    next_day = ExpressionWrapper(day + Value(timedelta(days=1)), output_field=DateTimeField())
    grid = _sensitive_grid_degrees_sql()
    inner = (
        model.objects.filter(sensitive, reserve_id=OuterRef("reserve_id"))
        .filter(**{f"{time_field}__gte": day, f"{time_field}__lt": next_day})
        .annotate(cell=SnapToGrid(F("location"), grid))
        .filter(cell=SnapToGrid(OuterRef("location"), grid))
    )
    return Exists(inner)


def _generalised_when(model: type) -> Q:
    """When a record of `model` is shown generalised to a user without clearance: it is sensitive itself,
    or it shares its grid cell and day with a sensitive detection or snare find (a companion logged at the
    same place and time would give the sensitive one away)."""
    time_field = TIME_FIELDS[model]
    own = {
        Detection: SENSITIVE_DETECTION,
        SnareFind: SENSITIVE_SNARE_FIND,
        Incident: Q(Exists(SnareFind.objects.filter(SENSITIVE_SNARE_FIND, incidents=OuterRef("pk")))),
    }[model]
    return (
        own
        | Q(_sensitive_in_cell_and_day(Detection, SENSITIVE_DETECTION, time_field))
        | Q(_sensitive_in_cell_and_day(SnareFind, SENSITIVE_SNARE_FIND, time_field))
    )


def _exact_for_user(user: User) -> Q:
    if getattr(user, "is_superuser", False):
        return Q(pk__isnull=False)
    return Q(reserve_id__in=_cleared_reserve_ids(user))


def _annotate_shown(queryset: QuerySet, generalised: Q, exact_for_user: Q, time_field: str | None) -> QuerySet:
    """`display_location` and, for field records, `display_time`, `display_patrol_id`, `display_reported_by`,
    `display_created_at` and `display_updated_at`: exact for cleared users, else at the grid cell and the day,
    without the patrol or the reporter (both would lead to the patrol's track and companions)."""
    hidden = generalised & ~exact_for_user

    def shown(exact: Any, coarse: Any, field: Any) -> Case:
        return Case(When(exact_for_user, then=exact), When(hidden, then=coarse), default=exact, output_field=field)

    annotations = {
        "display_location": shown(
            F("location"), SnapToGrid(F("location"), _sensitive_grid_degrees_sql()), PointField(srid=WGS84)
        ),
        "location_generalised": shown(Value(False), Value(True), BooleanField()),
    }
    if time_field is not None:
        for name, field in [("display_time", time_field), ("display_created_at", "created_at"),
                            ("display_updated_at", "updated_at")]:  # fmt: skip
            annotations[name] = shown(F(field), _day(F(field)), DateTimeField())
        annotations["display_patrol_id"] = shown(F("patrol_id"), Value(None), IntegerField())
        annotations["display_reported_by"] = shown(F("reported_by__username"), Value(None), CharField())
    return queryset.annotate(**annotations)


def generalised(queryset: QuerySet, *, user: User) -> QuerySet:
    """The one privacy annotation of threats records (docs/privacy.md), for any queryset of them."""
    model = queryset.model
    if model is CameraDeployment:
        # Cameras are set where leopards pass: their exact places are as sensitive as the detections.
        return _annotate_shown(queryset, Q(pk__isnull=False), _exact_for_user(user), None)
    shown = _annotate_shown(queryset, _generalised_when(model), _exact_for_user(user), TIME_FIELDS[model])
    # In the order of the time shown: ordered by the exact time, a generalised record would sit between the
    # minutes of its neighbours.
    return shown.order_by("-display_time", "-id")


def review_reasons_shown(record: Any) -> list[dict[str, Any]]:
    """The record's review reasons; for a generalised record without the distance to the boundary, which
    with the boundary known would narrow the grid cell down to a line."""
    reasons = record.review_reasons or []
    if not getattr(record, "location_generalised", False):
        return reasons
    shown = []
    for reason in reasons:
        if reason.get("code") == "outside_reserve":
            reason = {"code": "outside_reserve", "message": gettext("Outside the reserve boundary.")}
        shown.append(reason)
    return shown


def detections_for_user(*, user: User) -> QuerySet[Detection]:
    queryset = Detection.objects.select_related("reserve", "species", "deployment", "patrol", "reported_by")
    queryset = scoped(queryset, user=user, team_path="patrol__team", reporter_field="reported_by")
    return generalised(queryset, user=user)


def camera_deployments_for_user(*, user: User) -> QuerySet[CameraDeployment]:
    queryset = CameraDeployment.objects.select_related("reserve")
    queryset = scoped(queryset, user=user, team_path="detections__patrol__team", reporter_field=None)
    return generalised(queryset, user=user)


def snare_finds_for_user(*, user: User) -> QuerySet[SnareFind]:
    queryset = SnareFind.objects.select_related("reserve", "patrol", "catch_species", "reported_by")
    queryset = scoped(queryset, user=user, team_path="patrol__team", reporter_field="reported_by")
    return generalised(queryset, user=user)


def incidents_for_user(*, user: User) -> QuerySet[Incident]:
    queryset = Incident.objects.select_related("reserve", "patrol", "reported_by").prefetch_related("snare_finds")
    queryset = scoped(queryset, user=user, team_path="patrol__team", reporter_field="reported_by")
    return generalised(queryset, user=user)


def species_list() -> QuerySet[Species]:
    return Species.objects.all()


def reserve_summary(*, user: User, reserve: Reserve, days: int = 30) -> dict[str, int]:
    """Counts for the overview page, over what this user may see."""
    since = timezone.now() - timedelta(days=days)
    return {
        "snares_30d": snare_finds_for_user(user=user)
        .filter(reserve=reserve, found_at__gte=since)
        .aggregate(n=Coalesce(Sum("count"), 0))["n"],
        "incidents_30d": incidents_for_user(user=user).filter(reserve=reserve, occurred_at__gte=since).count(),
        "patrols_30d": patrols_for_user(user=user).filter(reserve=reserve, actual_start__gte=since).count(),
        "detections_30d": detections_for_user(user=user).filter(reserve=reserve, observed_at__gte=since).count(),
    }


def patrol_finds(*, user: User, patrol: Any) -> dict[str, int]:
    """What a patrol found, as this user may see it (patrol asks through IRBIS_PATROL_FINDS): a record
    shown generalised to the user has no patrol, so it does not count here either."""
    mine = {"reserve_id": patrol.reserve_id, "display_patrol_id": patrol.pk}
    finds = snare_finds_for_user(user=user).filter(**mine).order_by()
    totals = finds.aggregate(lines=Count("id"), snares=Coalesce(Sum("count"), 0))
    return {
        "snare_finds": totals["lines"],
        "snares": totals["snares"],
        "incidents": incidents_for_user(user=user).filter(**mine).order_by().count(),
        "detections": detections_for_user(user=user).filter(**mine).order_by().count(),
    }
