"""Reads of route plans."""

from django.db.models import QuerySet

from patrol.reserves.selectors import WRITE_ALL_ROLES, User, _reserve_ids
from patrol.routing.models import RoutePlan


def route_plans_for_user(*, user: User) -> QuerySet[RoutePlan]:
    """Route suggestions are patrol schedules in the making (a team, a day, a route): managers and reserve
    administrators only. Analysts see no future patrols, rangers get the patrols made from them."""
    if not user.is_authenticated:
        return RoutePlan.objects.none()
    return RoutePlan.objects.filter(reserve_id__in=_reserve_ids(user, WRITE_ALL_ROLES)).select_related(
        "reserve", "start_post", "end_post", "requested_by"
    )
