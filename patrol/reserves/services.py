"""Writes for reserves, memberships, teams and places."""

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from patrol.reserves.access import membership_require, require_manager
from patrol.reserves.models import AccessPoint, Membership, Post, Reserve, Role, Team, Zone
from patrol.reserves.selectors import User


def _save(instance: Any) -> Any:
    instance.full_clean()
    instance.save()
    return instance


@transaction.atomic
def reserve_create(*, name: str, slug: str, boundary: Any, projected_epsg: int, timezone: str = "UTC",
                   admin: User | None = None, **extra: Any) -> Reserve:  # fmt: skip
    """Create a reserve; `admin`, if given, becomes its first administrator (with clearance)."""
    reserve = _save(
        Reserve(name=name, slug=slug, boundary=boundary, projected_epsg=projected_epsg, timezone=timezone, **extra)
    )
    if admin is not None:
        _save(Membership(user=admin, reserve=reserve, role=Role.ADMIN, sensitive_clearance=True))
    return reserve


@transaction.atomic
def membership_set(*, actor: User | None, reserve: Reserve, user: Any, role: str,
                   sensitive_clearance: bool = False) -> Membership:  # fmt: skip
    """Add or change a member. Only reserve administrators (or code with actor=None: commands) may."""
    if actor is not None:
        membership = membership_require(user=actor, reserve=reserve)
        if membership.role != Role.ADMIN:
            raise PermissionDenied(_("Only reserve administrators manage members."))
    membership, _created = Membership.objects.get_or_create(user=user, reserve=reserve, defaults={"role": role})
    membership.role = role
    membership.sensitive_clearance = sensitive_clearance
    return _save(membership)


def user_create(*, username: str, password: str, **extra: Any) -> Any:
    user_model = get_user_model()
    user = user_model(username=username, **extra)
    user.set_password(password)
    user.full_clean()
    user.save()
    return user


@transaction.atomic
def team_create(*, actor: User | None, reserve: Reserve, name: str, members: list[Any] = (),
                home_post: Post | None = None) -> Team:  # fmt: skip
    if actor is not None:
        require_manager(user=actor, reserve=reserve)
    if home_post is not None and home_post.reserve_id != reserve.pk:
        raise ValidationError({"home_post": _("This post belongs to another reserve.")})
    team = _save(Team(reserve=reserve, name=name, home_post=home_post))
    team.members.set(members)
    return team


def _place_create(model: type, *, actor: User | None, reserve: Reserve, **fields: Any) -> Any:
    if actor is not None:
        require_manager(user=actor, reserve=reserve)
    return _save(model(reserve=reserve, **fields))


def post_create(*, actor: User | None, reserve: Reserve, **fields: Any) -> Post:
    return _place_create(Post, actor=actor, reserve=reserve, **fields)


def access_point_create(*, actor: User | None, reserve: Reserve, **fields: Any) -> AccessPoint:
    return _place_create(AccessPoint, actor=actor, reserve=reserve, **fields)


def zone_create(*, actor: User | None, reserve: Reserve, **fields: Any) -> Zone:
    return _place_create(Zone, actor=actor, reserve=reserve, **fields)


def place_update(*, actor: User, instance: Post | AccessPoint | Zone, data: dict[str, Any]) -> Any:
    require_manager(user=actor, reserve=instance.reserve)
    for field, value in data.items():
        setattr(instance, field, value)
    return _save(instance)


def place_delete(*, actor: User, instance: Post | AccessPoint | Zone) -> None:
    require_manager(user=actor, reserve=instance.reserve)
    instance.delete()
