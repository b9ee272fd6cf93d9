"""Writes for patrols. Each changes the evidence of the risk model: `evidence_changed` queues the follow-up
work (risk recompute, track measuring) on commit."""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from patrol.jobs.follow_up import evidence_changed
from patrol.patrols.lifecycle import lifecycle_check
from patrol.patrols.models import Patrol
from patrol.reserves.access import membership_require, require_manager
from patrol.reserves.models import Membership, Reserve, Role, Team
from patrol.reserves.selectors import User
from patrol.reserves.services import _save

PATROL_FIELDS = {
    "team", "leader", "post", "planned_start", "planned_end", "actual_start", "actual_end", "status", "transport",
    "objective", "planned_route", "planned_waypoints", "track",
}  # fmt: skip


def _check_patrol_refs(reserve: Reserve, data: dict[str, Any]) -> None:
    team = data.get("team")
    if team is not None and team.reserve_id != reserve.pk:
        raise ValidationError({"team": _("This team belongs to another reserve.")})
    post = data.get("post")
    if post is not None and post.reserve_id != reserve.pk:
        raise ValidationError({"post": _("This post belongs to another reserve.")})
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
    evidence_changed(reserve_id=reserve.pk, patrol_ids=[patrol.pk] if patrol.track is not None else [])
    return patrol


@transaction.atomic
def patrol_update(*, actor: User, patrol: Patrol, data: dict[str, Any]) -> Patrol:
    require_manager(user=actor, reserve=patrol.reserve)
    _check_patrol_refs(patrol.reserve, data)
    if "status" in data:  # the lifecycle's rules: no completing a cancelled patrol, on every path
        lifecycle_check(current=patrol.status, new=data["status"])
    for field, value in data.items():
        if field not in PATROL_FIELDS:
            raise ValueError(f"not an editable patrol field: {field}")
        setattr(patrol, field, value)
    patrol.version += 1
    _save(patrol)
    evidence_changed(reserve_id=patrol.reserve_id, patrol_ids=[patrol.pk] if "track" in data else [])
    return patrol


@transaction.atomic
def patrol_delete(*, actor: User, patrol: Patrol) -> None:
    require_manager(user=actor, reserve=patrol.reserve)
    reserve_id = patrol.reserve_id
    patrol.delete()
    evidence_changed(reserve_id=reserve_id)
