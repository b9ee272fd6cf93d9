"""Reads of patrols, scoped to what the user may see.

Schedules are sensitive (a poacher who knows when and where rangers go avoids them): a patrol that has
not started yet and is planned for later (or for no time yet) is *upcoming*; rangers see only their own
team's upcoming patrols, analysts none. Past and started patrols follow the usual tenancy rules.
"""

from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from patrol.patrols.models import Patrol
from patrol.reserves.models import Membership, Reserve, Role, Team
from patrol.reserves.selectors import User, scoped


def upcoming_condition(now: datetime) -> Q:
    """Patrols that have not started and are planned for after `now` (or not timed yet)."""
    return (
        Q(actual_start__isnull=True)
        & (Q(planned_start__isnull=True) | Q(planned_start__gt=now))
        & ~Q(status__in=[Patrol.Status.COMPLETED, Patrol.Status.IN_PROGRESS])
    )


def patrols_for_user(*, user: User) -> QuerySet[Patrol]:
    queryset = scoped(
        Patrol.objects.select_related("reserve", "team", "leader"), user=user, team_path="team", reporter_field="leader"
    )
    if not user.is_authenticated:
        return queryset
    roles = Membership.objects.filter(user=user)
    analyst = Q(reserve_id__in=roles.filter(role=Role.ANALYST).values("reserve_id"))
    other_team = Q(reserve_id__in=roles.filter(role=Role.RANGER).values("reserve_id")) & ~Q(
        team_id__in=Team.objects.filter(members=user).values("pk")
    )
    return queryset.exclude(upcoming_condition(timezone.now()) & (analyst | other_team))


def upcoming_patrols(*, user: User, reserve: Reserve, limit: int = 10) -> list[Patrol]:
    return list(
        patrols_for_user(user=user)
        .filter(reserve=reserve, status=Patrol.Status.PLANNED, planned_start__gte=timezone.now())
        .order_by("planned_start")[:limit]
    )
