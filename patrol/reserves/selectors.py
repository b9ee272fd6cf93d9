"""Reads for reserves and patrols, and the tenancy rules every read path goes through.

A user sees only reserves they are a member of. Within a reserve, managers, administrators and
analysts see everything; rangers see their own teams' patrols and the records made on them or by
themselves.
"""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet
from django.http import Http404

from patrol.reserves.models import AccessPoint, Membership, Post, Reserve, Role, Team, Zone

User = AbstractBaseUser | AnonymousUser


READ_ALL_ROLES = (Role.MANAGER, Role.ADMIN, Role.ANALYST)


WRITE_ALL_ROLES = (Role.MANAGER, Role.ADMIN)


CREATE_ROLES = (Role.RANGER, Role.MANAGER, Role.ADMIN)


def reserves_for_user(*, user: User) -> QuerySet[Reserve]:
    if not user.is_authenticated:
        return Reserve.objects.none()
    return Reserve.objects.filter(memberships__user=user).distinct()


def reserve_get_for_user(*, user: User, slug: str) -> Reserve:
    """The reserve, or 404 whether it does not exist or the user is not a member (no difference shown)."""
    reserve = reserves_for_user(user=user).filter(slug=slug).first()
    if reserve is None:
        raise Http404("No such reserve.")
    return reserve


def membership_get(*, user: User, reserve: Reserve | int) -> Membership | None:
    if not user.is_authenticated:
        return None
    reserve_id = reserve if isinstance(reserve, int) else reserve.pk
    return Membership.objects.filter(user=user, reserve_id=reserve_id).first()


def role_get(*, user: User, reserve: Reserve | int) -> str | None:
    membership = membership_get(user=user, reserve=reserve)
    return membership.role if membership else None


def _reserve_ids(user: User, roles: tuple[str, ...]) -> QuerySet:
    return Membership.objects.filter(user=user, role__in=roles).values("reserve_id")


def record_visibility(*, user: User, team_path: str, reporter_field: str | None) -> Q:
    """The condition under which a reserve-owned record is visible to the user.

    `team_path` leads from the record to its Team (e.g. "patrol__team"); rangers see records of
    their teams and, with `reporter_field`, the ones they reported themselves.
    """
    if not user.is_authenticated:
        return Q(pk__in=[])
    ranger_reserves = _reserve_ids(user, (Role.RANGER,))
    own = Q(**{f"{team_path}__members": user})
    if reporter_field:
        own |= Q(**{reporter_field: user})
    return Q(reserve_id__in=_reserve_ids(user, READ_ALL_ROLES)) | (Q(reserve_id__in=ranger_reserves) & own)


def scoped(
    queryset: QuerySet, *, user: User, team_path: str | None = None, reporter_field: str | None = None
) -> QuerySet:
    """Filter a reserve-owned queryset to what the user may see.

    Objects that are not team records (posts, zones, access points) pass `team_path=None`: every
    member of the reserve sees them.
    """
    if not user.is_authenticated:
        return queryset.none()
    if team_path is None:
        return queryset.filter(reserve_id__in=Membership.objects.filter(user=user).values("reserve_id"))
    condition = record_visibility(user=user, team_path=team_path, reporter_field=reporter_field)
    # A ranger in two teams would otherwise see a record once per team.
    return queryset.filter(pk__in=queryset.model.objects.filter(condition).values("pk"))


def teams_for_user(*, user: User) -> QuerySet[Team]:
    if not user.is_authenticated:
        return Team.objects.none()
    visible = Q(reserve_id__in=_reserve_ids(user, READ_ALL_ROLES)) | Q(
        reserve_id__in=_reserve_ids(user, (Role.RANGER,)), members=user
    )
    return Team.objects.filter(pk__in=Team.objects.filter(visible).values("pk")).select_related("reserve")


def posts_for_user(*, user: User) -> QuerySet[Post]:
    return scoped(Post.objects.select_related("reserve"), user=user)


def access_points_for_user(*, user: User) -> QuerySet[AccessPoint]:
    return scoped(AccessPoint.objects.select_related("reserve"), user=user)


def zones_for_user(*, user: User) -> QuerySet[Zone]:
    return scoped(Zone.objects.select_related("reserve"), user=user)
