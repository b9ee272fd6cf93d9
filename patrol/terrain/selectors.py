"""Reads of terrain and valley reaches."""

from django.db.models import QuerySet

from patrol.reserves.selectors import User, scoped
from patrol.terrain.models import ValleyReach


def valley_reaches_for_user(*, user: User) -> QuerySet[ValleyReach]:
    return scoped(ValleyReach.objects.select_related("reserve"), user=user)
