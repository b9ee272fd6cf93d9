"""Reads of route plans."""

from django.db.models import QuerySet

from patrol.reserves.selectors import READ_ALL_ROLES, User, _reserve_ids
from patrol.routing.models import RoutePlan


def route_plans_for_user(*, user: User) -> QuerySet[RoutePlan]:
    """Route suggestions are patrol schedules in the making: managers, admins and analysts only."""
    if not user.is_authenticated:
        return RoutePlan.objects.none()
    return RoutePlan.objects.filter(reserve_id__in=_reserve_ids(user, READ_ALL_ROLES)).select_related(
        "reserve", "start_post", "end_post", "requested_by"
    )
