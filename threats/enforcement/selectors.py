"""Reads for enforcement outcomes, scoped by reserve and role.

- Suspects and cases (with their events): the reserve's managers and administrators only.
- Actions and evidence items: managers, administrators and analysts of the reserve; rangers those of their
  own teams or that they reported or collected. Users without sensitive clearance see their locations
  snapped to the reserve's privacy grid (`display_location`): a seizure of a musk pod, or an ambush, gives
  away where animals and patrols are.
- Originals (evidence files): managers, administrators and the ranger who collected the item.
Nothing here returns suspects to anyone else: serializers and exports for other roles must not name them.
"""

from django.contrib.gis.db.models import PointField
from django.db.models import BooleanField, Case, F, Q, QuerySet, Value, When

from patrol.reserves.geo import WGS84
from patrol.reserves.models import Membership, Reserve, Role
from patrol.reserves.selectors import READ_ALL_ROLES, WRITE_ALL_ROLES, User, _reserve_ids, scoped
from threats.enforcement.models import Case as CaseModel
from threats.enforcement.models import CaseEvent, CustodyEvent, EnforcementAction, EvidenceItem, Suspect
from threats.records.selectors import SnapToGrid, _cleared_reserve_ids, _sensitive_grid_degrees_sql


def manager_reserve_ids(*, user: User) -> QuerySet:
    """Reserves where the user is a manager or an administrator (who see suspects and cases)."""
    if not user.is_authenticated:
        return Membership.objects.none().values("reserve_id")
    return _reserve_ids(user, WRITE_ALL_ROLES)


def may_see_suspects(*, user: User, reserve: Reserve | int) -> bool:
    reserve_id = reserve if isinstance(reserve, int) else reserve.pk
    return manager_reserve_ids(user=user).filter(reserve_id=reserve_id).exists()


def _display_location(queryset: QuerySet, *, user: User) -> QuerySet:
    grid = _sensitive_grid_degrees_sql()
    if getattr(user, "is_superuser", False):
        exact = Q(pk__isnull=False)
    else:  # an anonymous user is cleared nowhere
        exact = Q(reserve_id__in=_cleared_reserve_ids(user))
    return queryset.annotate(
        display_location=Case(
            When(exact, then=F("location")),
            default=SnapToGrid(F("location"), grid),
            output_field=PointField(srid=WGS84),
        ),
        location_generalised=Case(When(exact, then=Value(False)), default=Value(True), output_field=BooleanField()),
    )


def suspects_for_user(*, user: User) -> QuerySet[Suspect]:
    return Suspect.objects.select_related("reserve").filter(reserve_id__in=manager_reserve_ids(user=user))


def cases_for_user(*, user: User) -> QuerySet[CaseModel]:
    return CaseModel.objects.select_related("reserve").filter(reserve_id__in=manager_reserve_ids(user=user))


def case_events_for_user(*, user: User) -> QuerySet[CaseEvent]:
    return CaseEvent.objects.select_related("case", "recorded_by").filter(
        case__reserve_id__in=manager_reserve_ids(user=user)
    )


def actions_for_user(*, user: User) -> QuerySet[EnforcementAction]:
    queryset = EnforcementAction.objects.select_related("reserve", "patrol", "team", "reported_by", "case")
    queryset = scoped(queryset, user=user, team_path="team", reporter_field="reported_by")
    return _display_location(queryset, user=user)


def evidence_for_user(*, user: User) -> QuerySet[EvidenceItem]:
    queryset = EvidenceItem.objects.select_related("reserve", "action", "case", "incident", "collected_by")
    if not user.is_authenticated:
        return queryset.none()
    visible = Q(reserve_id__in=_reserve_ids(user, READ_ALL_ROLES)) | (
        Q(reserve_id__in=_reserve_ids(user, (Role.RANGER,)))
        & (Q(collected_by=user) | Q(action__team__members=user) | Q(action__reported_by=user))
    )
    queryset = queryset.filter(pk__in=EvidenceItem.objects.filter(visible).values("pk"))
    return _display_location(queryset, user=user)


def custody_events_for_user(*, user: User) -> QuerySet[CustodyEvent]:
    items = evidence_for_user(user=user).values("pk")
    return CustodyEvent.objects.select_related("item", "from_user", "to_user", "recorded_by").filter(item__in=items)


def may_download_original(*, user: User, item: EvidenceItem) -> bool:
    """Managers and administrators of the item's reserve, and the ranger who collected it."""
    if not user.is_authenticated or not item.path:
        return False
    if getattr(user, "is_superuser", False) or may_see_suspects(user=user, reserve=item.reserve_id):
        return True
    return item.collected_by_id == user.pk and Membership.objects.filter(user=user, reserve_id=item.reserve_id).exists()


def case_evidence(*, case: CaseModel) -> QuerySet[EvidenceItem]:
    """Everything that is evidence in a case: items attached to it and to its actions."""
    return (
        EvidenceItem.objects.filter(Q(case=case) | Q(action__case=case))
        .select_related("collected_by", "action")
        .prefetch_related("custody_events__from_user", "custody_events__to_user", "custody_events__recorded_by")
        .distinct()
        .order_by("collected_at", "id")
    )
