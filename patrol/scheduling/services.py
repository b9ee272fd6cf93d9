"""Writes of the calendar: patrols created, moved and cancelled by managers; auto-fills requested, their
drafts moved, dropped and approved; teams' calendar feeds made and revoked.

Every time a person types is a local time in the reserve's time zone (`local_datetime`)."""

from __future__ import annotations

import secrets
import zoneinfo
from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from patrol.jobs.runner import job_enqueue
from patrol.patrols.models import Patrol
from patrol.patrols.services import patrol_create, patrol_update
from patrol.reserves.access import require_manager
from patrol.reserves.models import Post, Reserve, Team
from patrol.reserves.selectors import User
from patrol.scheduling.models import ScheduleDraft, ScheduleRun, TeamCalendarFeed, token_digest
from patrol.terrain.models import TerrainGrid

MAX_HOURS = 16.0


def local_datetime(reserve: Reserve, day: date, at: time) -> datetime:
    """A wall-clock time typed for the reserve, as an aware datetime in its time zone."""
    return datetime.combine(day, at, tzinfo=zoneinfo.ZoneInfo(reserve.timezone))


def _check_same_reserve(reserve: Reserve, **objects) -> None:
    for name, obj in objects.items():
        if obj is not None and obj.reserve_id != reserve.pk:
            raise ValidationError({name: [_("This belongs to another reserve.")]})


def _check_hours(hours: float) -> None:
    if not 0 < hours <= MAX_HOURS:
        raise ValidationError({"hours": [_("Hours must be more than 0 and at most 16.")]})


@transaction.atomic
def calendar_patrol_create(*, actor: User, reserve: Reserve, team: Team, post: Post | None, day: date, start: time,
                           hours: float, objective: str = "") -> Patrol:  # fmt: skip
    require_manager(user=actor, reserve=reserve)
    _check_same_reserve(reserve, team=team, post=post)
    _check_hours(hours)
    begin = local_datetime(reserve, day, start)
    return patrol_create(actor=actor, reserve=reserve, team=team, post=post, planned_start=begin,
                         planned_end=begin + timedelta(hours=hours), status=Patrol.Status.PLANNED,
                         objective=objective)  # fmt: skip


def _require_planned(patrol: Patrol) -> None:
    if patrol.status != Patrol.Status.PLANNED or patrol.actual_start is not None:
        raise ValidationError({"patrol": [_("Only a planned patrol that has not started can be changed here.")]})


@transaction.atomic
def calendar_patrol_move(*, actor: User, patrol: Patrol, day: date, team: Team | None = None) -> Patrol:
    """Move a planned patrol to another day (same local time of day and length) and, optionally, team."""
    require_manager(user=actor, reserve=patrol.reserve)
    patrol = Patrol.objects.select_for_update().get(pk=patrol.pk)
    _require_planned(patrol)
    _check_same_reserve(patrol.reserve, team=team)
    data: dict = {"team": team} if team is not None else {}
    if patrol.planned_start is not None:
        tz = zoneinfo.ZoneInfo(patrol.reserve.timezone)
        local = patrol.planned_start.astimezone(tz)
        begin = local_datetime(patrol.reserve, day, local.time().replace(tzinfo=None))
        data["planned_start"] = begin
        if patrol.planned_end is not None:
            data["planned_end"] = begin + (patrol.planned_end - patrol.planned_start)
    return patrol_update(actor=actor, patrol=patrol, data=data)


@transaction.atomic
def calendar_patrol_cancel(*, actor: User, patrol: Patrol) -> Patrol:
    require_manager(user=actor, reserve=patrol.reserve)
    patrol = Patrol.objects.select_for_update().get(pk=patrol.pk)
    _require_planned(patrol)
    return patrol_update(actor=actor, patrol=patrol, data={"status": Patrol.Status.CANCELLED})


# --- auto-fill --------------------------------------------------------------------------------------


@transaction.atomic
def schedule_run_request(*, actor: User, reserve: Reserve, start: date, days: int, hours: float = 8.0,
                         seed: int | None = None, max_patrol_days: int | None = None) -> ScheduleRun:  # fmt: skip
    """A manager asks for proposals for a period; the worker computes them (compute.schedule_run_compute)."""
    require_manager(user=actor, reserve=reserve)
    _check_hours(hours)
    if not 1 <= days <= 62:
        raise ValidationError({"days": [_("Days must be within 1 and 62.")]})
    if not TerrainGrid.objects.filter(reserve=reserve).exists():
        raise ValidationError({"reserve": [_("This reserve has no terrain yet: import a DEM first (import_dem).")]})
    # A fresh seed each time: next month's pattern cannot be read from this one's.
    seed = secrets.randbelow(2**31) if seed is None else seed
    run = ScheduleRun(reserve=reserve, requested_by=actor, start=start, days=days, hours=hours, seed=seed,
                      max_patrol_days=max_patrol_days)  # fmt: skip
    run.full_clean()
    run.save()
    ScheduleDraft.objects.filter(reserve=reserve, run__approved_at__isnull=True).exclude(run=run).delete()  # superseded
    job_enqueue(run)
    return run


@transaction.atomic
def draft_move(*, actor: User, draft: ScheduleDraft, day: date, team: Team | None = None) -> ScheduleDraft:
    require_manager(user=actor, reserve=draft.reserve)
    _check_same_reserve(draft.reserve, team=team)
    tz = zoneinfo.ZoneInfo(draft.reserve.timezone)
    length = draft.planned_end - draft.planned_start
    draft.planned_start = local_datetime(draft.reserve, day, draft.planned_start.astimezone(tz).time())
    draft.planned_end = draft.planned_start + length
    if team is not None:
        draft.team = team
    draft.save(update_fields=["planned_start", "planned_end", "team"])
    return draft


@transaction.atomic
def draft_discard(*, actor: User, draft: ScheduleDraft) -> None:
    require_manager(user=actor, reserve=draft.reserve)
    draft.delete()


@transaction.atomic
def schedule_run_approve(*, actor: User, run: ScheduleRun) -> list[Patrol]:
    """Turn the run's remaining drafts into planned patrols (with their routes); approving twice adds nothing."""
    require_manager(user=actor, reserve=run.reserve)
    run = ScheduleRun.objects.select_for_update().get(pk=run.pk)
    if run.status != ScheduleRun.Status.DONE:
        raise ValidationError({"run": [_("This auto-fill has not finished.")]})
    patrols = [
        patrol_create(
            actor=actor,
            reserve=run.reserve,
            team=draft.team,
            post=draft.post,
            planned_start=draft.planned_start,
            planned_end=draft.planned_end,
            planned_route=draft.route,
            status=Patrol.Status.PLANNED,
            objective=_("Auto-filled schedule"),
        )  # fmt: skip
        for draft in run.drafts.select_related("team", "post").order_by("planned_start", "pk")
    ]
    run.drafts.all().delete()
    run.approved_at = run.approved_at or timezone.now()
    run.save(update_fields=["approved_at"])
    return patrols


# --- calendar feeds ---------------------------------------------------------------------------------


@transaction.atomic
def team_feed_renew(*, actor: User, team: Team) -> str:
    """Make (or replace) the team's secret feed token and return it: the only time it is seen in clear."""
    require_manager(user=actor, reserve=team.reserve)
    token = secrets.token_urlsafe(32)
    TeamCalendarFeed.objects.update_or_create(team=team, defaults={"token_sha256": token_digest(token),
                                                                   "created_by": actor})  # fmt: skip
    return token


@transaction.atomic
def team_feed_revoke(*, actor: User, team: Team) -> None:
    require_manager(user=actor, reserve=team.reserve)
    TeamCalendarFeed.objects.filter(team=team).delete()
