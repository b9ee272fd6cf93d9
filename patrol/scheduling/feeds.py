"""A team's patrols as an iCalendar (RFC 5545) feed, for the calendar apps on rangers' phones.

Events carry UTC times (calendar apps show them in the phone's zone), the post and the objective, no
route: a feed behind a leaked URL tells when and from where, not where exactly (and the manager can
revoke it). Cancelled patrols stay in the feed as STATUS:CANCELLED so that subscribed calendars drop them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.utils.translation import gettext as _

from patrol.patrols.models import Patrol
from patrol.reserves.models import Team

STATUS = {
    Patrol.Status.PLANNED: "CONFIRMED",
    Patrol.Status.IN_PROGRESS: "CONFIRMED",
    Patrol.Status.COMPLETED: "CONFIRMED",
    Patrol.Status.CANCELLED: "CANCELLED",
}


def team_ical(*, team: Team, patrols: list[Patrol], now: datetime, host: str) -> bytes:
    from icalendar import Calendar, Event  # only feeds need it; keeps it out of every process's start-up

    cal = Calendar()
    cal.add("prodid", "-//Irbis//Patrol schedule//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"{team.reserve.name}: {team.name}")
    cal.add("x-wr-timezone", team.reserve.timezone)
    for patrol in patrols:
        if patrol.planned_start is None:
            continue
        end = patrol.planned_end or patrol.planned_start + timedelta(hours=8)
        event = Event()
        event.add("uid", f"patrol-{patrol.pk}@{host}")
        event.add("dtstamp", now.astimezone(UTC))
        event.add("last-modified", patrol.updated_at.astimezone(UTC))
        event.add("sequence", patrol.version)
        event.add("dtstart", patrol.planned_start.astimezone(UTC))
        event.add("dtend", end.astimezone(UTC))
        post = patrol.post.name if patrol.post else ""
        event.add("summary", _("Patrol: %(team)s") % {"team": team.name} + (f" ({post})" if post else ""))
        if post:
            event.add("location", post)
        if patrol.objective:
            event.add("description", patrol.objective)
        event.add("status", STATUS.get(patrol.status, "CONFIRMED"))
        cal.add_component(event)
    return cal.to_ical()
