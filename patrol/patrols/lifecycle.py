"""A patrol's lifecycle: planned, in progress, completed or cancelled, with its actual start and end.

Every path that moves a patrol along (the phone's start and end through sync, a GPX upload, the manager's
edit or cancel) goes through `lifecycle_check`, so a cancelled patrol is never completed, whichever path
tries. Phone events may arrive late, twice, or out of order (two phones of one team, a start that waited
offline while the end went through): `patrol_start` and `patrol_end` are written so that any order of
the same events gives the same patrol, the earliest start and the latest end.
"""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from patrol.jobs.follow_up import evidence_changed
from patrol.patrols.models import Patrol
from patrol.reserves.access import require_manager, require_record_create
from patrol.reserves.selectors import User
from patrol.reserves.services import _save

Status = Patrol.Status

# Moves a patrol may make (a status kept as it is is always allowed).
TRANSITIONS: dict[str, set[str]] = {
    Status.PLANNED: {Status.IN_PROGRESS, Status.COMPLETED, Status.CANCELLED},
    Status.IN_PROGRESS: {Status.COMPLETED, Status.CANCELLED},
    Status.COMPLETED: set(),
    Status.CANCELLED: {Status.PLANNED},  # reinstated by a manager
}


def lifecycle_check(*, current: str, new: str) -> None:
    """ValidationError (on `status`) unless a patrol may go from `current` to `new`."""
    if new == current:
        return
    if new not in TRANSITIONS.get(current, set()):
        raise ValidationError(
            {"status": [_("A patrol that is %(current)s cannot become %(new)s.")
                        % {"current": Status(current).label.lower(), "new": Status(new).label.lower()}]}
        )  # fmt: skip


def _require_team_or_manager(actor: User | None, patrol: Patrol) -> None:
    if actor is not None:  # rangers of the patrol's team, managers and administrators
        require_record_create(user=actor, reserve=patrol.reserve, patrol=patrol)


def _locked(patrol: Patrol) -> Patrol:
    return Patrol.objects.select_related("reserve", "team").select_for_update(of=("self",)).get(pk=patrol.pk)


def _store(patrol: Patrol) -> Patrol:
    patrol.version += 1
    _save(patrol)
    evidence_changed(reserve_id=patrol.reserve_id)  # patrol times are model inputs: a debounced recompute
    return patrol


@transaction.atomic
def patrol_start(*, actor: User | None, patrol: Patrol, at: datetime) -> Patrol:
    """The team set out at `at` (the phone's clock). A planned patrol goes in progress; a start that
    arrives after the end only moves the actual start earlier; a later start of a running patrol
    changes nothing."""
    _require_team_or_manager(actor, patrol)
    patrol = _locked(patrol)
    if patrol.status == Status.CANCELLED:
        raise ValidationError({"status": [_("This patrol was cancelled: it cannot start.")]})
    if patrol.actual_end is not None and at >= patrol.actual_end:
        if patrol.status == Status.COMPLETED and patrol.actual_start is not None:
            return patrol  # a late start from a second phone: the patrol already has an earlier one
        raise ValidationError({"actual_start": [_("The start must be before the patrol's end.")]})
    changed = False
    if patrol.status == Status.PLANNED:
        patrol.status = Status.IN_PROGRESS
        changed = True
    if patrol.actual_start is None or at < patrol.actual_start:
        patrol.actual_start = at
        changed = True
    return _store(patrol) if changed else patrol


@transaction.atomic
def patrol_end(*, actor: User | None, patrol: Patrol, at: datetime) -> Patrol:
    """The team came back at `at`: the patrol is completed (from planned too, when the start has not
    arrived yet). A second end keeps the later of the two."""
    _require_team_or_manager(actor, patrol)
    patrol = _locked(patrol)
    lifecycle_check(current=patrol.status, new=Status.COMPLETED)
    if patrol.actual_start is not None and at <= patrol.actual_start:
        raise ValidationError({"actual_end": [_("The end must be after the patrol's start.")]})
    changed = patrol.status != Status.COMPLETED
    patrol.status = Status.COMPLETED
    if patrol.actual_end is None or at > patrol.actual_end:
        patrol.actual_end = at
        changed = True
    return _store(patrol) if changed else patrol


@transaction.atomic
def patrol_cancel(*, actor: User, patrol: Patrol) -> Patrol:
    """Managers cancel a planned or running patrol; a completed one stays as it happened."""
    require_manager(user=actor, reserve=patrol.reserve)
    patrol = _locked(patrol)
    lifecycle_check(current=patrol.status, new=Status.CANCELLED)
    if patrol.status == Status.CANCELLED:
        return patrol
    patrol.status = Status.CANCELLED
    return _store(patrol)


def patrol_complete_from_track(*, patrol: Patrol, start: datetime | None, end: datetime | None) -> None:
    """Set (unsaved) what a recorded track says about a patrol: it happened, from `start` to `end` when
    the track has times. The caller saves; the track's times replace both ends together, so the stored
    pair always satisfies patrol_actual_end_after_start."""
    lifecycle_check(current=patrol.status, new=Status.COMPLETED)
    patrol.status = Status.COMPLETED
    if start is not None and end is not None:
        patrol.actual_start, patrol.actual_end = start, end


EVENTS = {"start": patrol_start, "end": patrol_end}


def patrol_event_apply(*, actor: User | None, patrol: Patrol, event: str, at: datetime) -> Patrol:
    """The phone's lifecycle event (`start` or `end`) at its time."""
    if event not in EVENTS:
        raise ValidationError({"event": [_("Unknown patrol event.")]})
    return EVENTS[event](actor=actor, patrol=patrol, at=at)
