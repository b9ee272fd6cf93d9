"""Writes for reserves, teams and patrols. Each takes the acting user and checks their role."""

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import ExpressionWrapper, F, FloatField, Func, Value
from django.utils.translation import gettext as _

from patrol.access import membership_require, require_manager
from patrol.models import AccessPoint, Membership, Patrol, Post, Reserve, Role, Team, Zone
from patrol.selectors import User

PATROL_FIELDS = {
    "team", "leader", "planned_start", "planned_end", "actual_start", "actual_end", "status", "transport",
    "objective", "planned_route", "track",
}  # fmt: skip


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


def _check_patrol_refs(reserve: Reserve, data: dict[str, Any]) -> None:
    team = data.get("team")
    if team is not None and team.reserve_id != reserve.pk:
        raise ValidationError({"team": _("This team belongs to another reserve.")})
    leader = data.get("leader")
    if leader is not None and not Membership.objects.filter(user=leader, reserve=reserve).exists():
        raise ValidationError({"leader": _("The leader must be a member of the reserve.")})


@transaction.atomic
def patrol_create(*, actor: User | None, reserve: Reserve, team: Team, **fields: Any) -> Patrol:
    """Managers schedule any team's patrol; a ranger may start one for a team they belong to."""
    unknown = set(fields) - PATROL_FIELDS - {"client_uuid"}
    if unknown:
        raise ValueError(f"unknown patrol fields: {sorted(unknown)}")
    _check_patrol_refs(reserve, {"team": team, **fields})
    if actor is not None:
        membership = membership_require(user=actor, reserve=reserve)
        if membership.role == Role.ANALYST:
            raise PermissionDenied(_("Your role in this reserve is read-only."))
        if membership.role == Role.RANGER and not team.members.filter(pk=actor.pk).exists():
            raise PermissionDenied(_("Rangers may only create patrols for their own team."))
    patrol = _save(Patrol(reserve=reserve, team=team, **fields))
    if patrol.track is not None:
        _queue_track_measure(patrol)
    return patrol


def _queue_track_measure(patrol: Patrol) -> None:
    from patrol.tasks import patrol_track_measure_task

    transaction.on_commit(lambda: patrol_track_measure_task.delay(patrol.pk))


def _track_length_km(epsg: int) -> Func:
    in_metres = Func(Func(F("track"), Value(epsg), function="ST_Transform"), function="ST_Length")
    return ExpressionWrapper(in_metres / 1000.0, output_field=FloatField())


def patrol_track_lengths_update(*, reserve: Reserve) -> int:
    """Measure every track of the reserve in its projected CRS, in one statement."""
    return Patrol.objects.filter(reserve=reserve, track__isnull=False).update(
        track_length_km=_track_length_km(reserve.projected_epsg)
    )


def patrol_track_measure(*, patrol_id: int) -> float | None:
    """Store the track's length in km, measured in the reserve's projected CRS. Safe to run twice."""
    patrol = Patrol.objects.select_related("reserve").filter(pk=patrol_id).first()
    if patrol is None or patrol.track is None:
        return None
    Patrol.objects.filter(pk=patrol_id).update(track_length_km=_track_length_km(patrol.reserve.projected_epsg))
    patrol.refresh_from_db(fields=["track_length_km"])
    return patrol.track_length_km


@transaction.atomic
def patrol_update(*, actor: User, patrol: Patrol, data: dict[str, Any]) -> Patrol:
    require_manager(user=actor, reserve=patrol.reserve)
    _check_patrol_refs(patrol.reserve, data)
    for field, value in data.items():
        if field not in PATROL_FIELDS:
            raise ValueError(f"not an editable patrol field: {field}")
        setattr(patrol, field, value)
    patrol.version += 1
    _save(patrol)
    if "track" in data:
        _queue_track_measure(patrol)
    return patrol


@transaction.atomic
def patrol_delete(*, actor: User, patrol: Patrol) -> None:
    require_manager(user=actor, reserve=patrol.reserve)
    patrol.delete()
