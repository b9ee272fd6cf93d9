"""Reads of patrols, scoped to what the user may see."""

from django.db.models import QuerySet
from django.utils import timezone

from patrol.patrols.models import Patrol
from patrol.reserves.models import Reserve
from patrol.reserves.selectors import User, scoped


def patrols_for_user(*, user: User) -> QuerySet[Patrol]:
    return scoped(
        Patrol.objects.select_related("reserve", "team", "leader"), user=user, team_path="team", reporter_field="leader"
    )


def upcoming_patrols(*, user: User, reserve: Reserve, limit: int = 10) -> list[Patrol]:
    return list(
        patrols_for_user(user=user)
        .filter(reserve=reserve, status=Patrol.Status.PLANNED, planned_start__gte=timezone.now())
        .order_by("planned_start")[:limit]
    )
