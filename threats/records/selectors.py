"""Reads for threats and wildlife records.

Privacy: detections of sensitive species (leopards, musk deer...) and camera deployments are shown
with their location snapped to the reserve's grid to anyone without `sensitive_clearance` in that
reserve. The grid is the reserve's `sensitive_grid_degrees`, never finer than the deployment's
IRBIS_SENSITIVE_GRID_DEGREES (default 0.1 degree), which a reserve may only make coarser. The exact
point stays stored and is used for analysis.
Every read path for users (API, admin lists, exports) takes its rows from the selectors below, which
annotate `display_location`; nothing user-facing reads `location` of these models directly.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.gis.db.models import PointField
from django.db.models import Case, F, FloatField, Func, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

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


def _generalised(queryset: QuerySet, *, user: User, sensitive: Q) -> QuerySet:
    """Annotate `display_location`: the exact point for cleared users, else snapped to the reserve's grid."""
    if getattr(user, "is_superuser", False):
        exact_for_user = Q(pk__isnull=False)
    else:
        exact_for_user = Q(reserve_id__in=_cleared_reserve_ids(user))
    return queryset.annotate(
        display_location=Case(
            When(sensitive & ~exact_for_user, then=SnapToGrid(F("location"), _sensitive_grid_degrees_sql())),
            default=F("location"),
            output_field=PointField(srid=WGS84),
        ),
        location_generalised=Case(When(sensitive & ~exact_for_user, then=True), default=False),
    )


def detections_for_user(*, user: User) -> QuerySet[Detection]:
    queryset = Detection.objects.select_related("reserve", "species", "deployment", "patrol", "reported_by")
    queryset = scoped(queryset, user=user, team_path="patrol__team", reporter_field="reported_by")
    # A camera's detections stand at the camera: exact points would give away where cameras are.
    return _generalised(queryset, user=user, sensitive=Q(species__sensitive=True) | Q(deployment__isnull=False))


def camera_deployments_for_user(*, user: User) -> QuerySet[CameraDeployment]:
    # Cameras are set where leopards pass: their exact places are as sensitive as the detections.
    queryset = CameraDeployment.objects.select_related("reserve")
    queryset = scoped(queryset, user=user, team_path="detections__patrol__team", reporter_field=None)
    return _generalised(queryset, user=user, sensitive=Q(pk__isnull=False))


def snare_finds_for_user(*, user: User) -> QuerySet[SnareFind]:
    queryset = SnareFind.objects.select_related("reserve", "patrol", "catch_species", "reported_by")
    return scoped(queryset, user=user, team_path="patrol__team", reporter_field="reported_by")


def incidents_for_user(*, user: User) -> QuerySet[Incident]:
    queryset = Incident.objects.select_related("reserve", "patrol", "reported_by").prefetch_related("snare_finds")
    return scoped(queryset, user=user, team_path="patrol__team", reporter_field="reported_by")


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
