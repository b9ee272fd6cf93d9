"""Reads of the calendar: a month of teams by days with patrols, drafts and conflicts, in the reserve's
time zone; and the team behind a calendar feed's token."""

from __future__ import annotations

import calendar
import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.utils.translation import gettext as _

from patrol.patrols.models import Patrol
from patrol.reserves.models import Post, Reserve, Team
from patrol.scheduling.conflicts import Booking, Conflict, find_conflicts
from patrol.scheduling.models import ScheduleDraft, ScheduleRun, TeamCalendarFeed, token_digest

FEED_PAST_DAYS = 30
FEED_FUTURE_DAYS = 180


@dataclass
class CalendarItem:
    key: str
    kind: str  # "patrol" or "draft"
    pk: int
    team: Team
    post: Post | None
    start: datetime  # local
    end: datetime | None
    status: str
    status_label: str
    conflicts: list[str] = field(default_factory=list)


@dataclass
class CalendarMonth:
    reserve: Reserve
    first: date
    days: list[date]
    teams: list[Team]
    posts: list[Post]
    cells: dict[tuple[int, date], list[CalendarItem]]  # (team id, day) -> items
    conflicts: list[tuple[Conflict, str]]  # with its message
    run: ScheduleRun | None
    drafts: int

    @property
    def rows(self):
        return [(team, [(day, self.cells.get((team.pk, day), [])) for day in self.days]) for team in self.teams]

    @property
    def previous(self) -> date:
        return (self.first - timedelta(days=1)).replace(day=1)

    @property
    def next(self) -> date:
        return self.first + timedelta(days=calendar.monthrange(self.first.year, self.first.month)[1])


def _message(conflict: Conflict, teams: dict[int, Team], posts: dict[int, Post], users: dict[int, str]) -> str:
    d = {"first": conflict.first_day.isoformat(), "last": conflict.last_day.isoformat(), **conflict.detail}
    if conflict.kind == "team_double":
        return _("%(team)s is booked twice on %(first)s.") % {"team": teams[conflict.team].name, **d}
    if conflict.kind == "ranger_double":
        return _("Ranger %(ranger)s is on two patrols at once on %(first)s.") % {
            "ranger": users.get(conflict.ranger, conflict.ranger), **d}  # fmt: skip
    if conflict.kind == "consecutive":
        return _("%(team)s is in the field %(days)d days in a row (%(first)s to %(last)s); the reserve allows "
                 "%(limit)d.") % {"team": teams[conflict.team].name, **d}  # fmt: skip
    return _("No patrol starts from %(post)s for %(days)d days (%(first)s to %(last)s); the reserve allows "
             "%(limit)d.") % {"post": posts[conflict.post].name, **d}  # fmt: skip


def calendar_month(*, reserve: Reserve, first: date) -> CalendarMonth:
    """The month starting at `first` (the 1st): every team's patrols and pending drafts by local day,
    with conflicts. For managers (the view checks the role)."""
    tz = zoneinfo.ZoneInfo(reserve.timezone)
    first = first.replace(day=1)
    n = calendar.monthrange(first.year, first.month)[1]
    days = [first + timedelta(days=i) for i in range(n)]
    last = days[-1]
    # Bookings a little outside the month still matter: field days in a row, and a post's last patrol.
    margin = timedelta(days=max(reserve.max_consecutive_field_days, reserve.max_post_uncovered_days) + 1)
    since = datetime.combine(first, time.min, tzinfo=tz) - margin
    until = datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz) + margin
    teams = list(Team.objects.filter(reserve=reserve).prefetch_related("members").order_by("name", "pk"))
    posts = list(Post.objects.filter(reserve=reserve).order_by("name", "pk"))
    members = {t.pk: frozenset(m.pk for m in t.members.all()) for t in teams}
    users = {m.pk: m.get_username() for t in teams for m in t.members.all()}
    patrols = (
        Patrol.objects.filter(reserve=reserve, planned_start__lt=until, planned_start__gte=since - timedelta(days=14))
        .select_related("team", "post")
        .order_by("planned_start", "pk")
    )
    run = ScheduleRun.objects.filter(reserve=reserve).order_by("-created_at", "-pk").first()
    # Only the latest auto-fill's drafts: a new one supersedes those of the runs before it.
    drafts = (
        list(
            ScheduleDraft.objects.filter(
                run=run, run__approved_at__isnull=True, planned_start__lt=until, planned_start__gte=since
            ).select_related("team", "post")
        )  # fmt: skip
        if run is not None
        else []
    )
    items: list[CalendarItem] = []
    bookings: list[Booking] = []
    for p in patrols:
        end = p.planned_end or p.planned_start + timedelta(hours=8)
        items.append(CalendarItem(f"patrol:{p.pk}", "patrol", p.pk, p.team, p.post, p.planned_start.astimezone(tz),
                                  end.astimezone(tz), p.status, p.get_status_display()))  # fmt: skip
        if p.status != Patrol.Status.CANCELLED and end > since:
            rangers = members.get(p.team_id, frozenset()) | ({p.leader_id} if p.leader_id else frozenset())
            bookings.append(Booking(f"patrol:{p.pk}", p.team_id, rangers, p.post_id, p.planned_start.astimezone(tz),
                                    end.astimezone(tz)))  # fmt: skip
    for d in drafts:
        items.append(CalendarItem(f"draft:{d.pk}", "draft", d.pk, d.team, d.post, d.planned_start.astimezone(tz),
                                  d.planned_end.astimezone(tz), "draft", _("Draft")))  # fmt: skip
        bookings.append(Booking(f"draft:{d.pk}", d.team_id, members.get(d.team_id, frozenset()), d.post_id,
                                d.planned_start.astimezone(tz), d.planned_end.astimezone(tz)))  # fmt: skip
    conflicts = find_conflicts(
        bookings, posts=[p.pk for p in posts], first_day=first, last_day=last,
        max_consecutive_days=reserve.max_consecutive_field_days, max_post_gap_days=reserve.max_post_uncovered_days,
    )  # fmt: skip
    team_by_id, post_by_id = {t.pk: t for t in teams}, {p.pk: p for p in posts}
    flagged: dict[str, list[str]] = {}
    messages = []
    for c in conflicts:
        text = _message(c, team_by_id, post_by_id, users)
        messages.append((c, text))
        for key in c.keys:
            flagged.setdefault(key, []).append(text)
    cells: dict[tuple[int, date], list[CalendarItem]] = {}
    for item in items:
        item.conflicts = flagged.get(item.key, [])
        if first <= item.start.date() <= last:
            cells.setdefault((item.team.pk, item.start.date()), []).append(item)
    return CalendarMonth(reserve=reserve, first=first, days=days, teams=teams, posts=posts, cells=cells,
                         conflicts=messages, run=run, drafts=len(drafts))  # fmt: skip


def feed_team_get(*, token: str) -> Team | None:
    feed = TeamCalendarFeed.objects.filter(token_sha256=token_digest(token)).select_related("team__reserve").first()
    return feed.team if feed else None


def feed_patrols(*, team: Team, now: datetime) -> list[Patrol]:
    """What a team's calendar feed lists: its patrols from a month back to half a year ahead, cancelled ones
    included (so calendars drop them)."""
    return list(
        Patrol.objects.filter(team=team, planned_start__gte=now - timedelta(days=FEED_PAST_DAYS),
                              planned_start__lt=now + timedelta(days=FEED_FUTURE_DAYS))
        .select_related("post", "reserve").order_by("planned_start", "pk")
    )  # fmt: skip


def teams_with_feeds(*, reserve: Reserve) -> list[Team]:
    return list(Team.objects.filter(reserve=reserve).select_related("calendar_feed").order_by("name", "pk"))
