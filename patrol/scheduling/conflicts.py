"""Conflicts on a schedule: pure Python (no Django), so every rule is tested on plain values.

A booking is a patrol (or a draft) with its team, the rangers on it, its post and its planned times.
Four kinds of conflict:
- ``team_double``: two bookings of one team overlap in time;
- ``ranger_double``: one ranger is on two overlapping bookings of different teams;
- ``consecutive``: a team is in the field more days in a row than the reserve allows;
- ``post_gap``: no patrol starts from a post for more days in a row than the reserve allows.

Days are the reserve's local dates (the caller converts times into its time zone first).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta


@dataclass(frozen=True)
class Booking:
    key: str  # e.g. "patrol:12" or "draft:5"
    team: int
    rangers: frozenset[int]
    post: int | None
    start: datetime  # aware, or naive local; all bookings alike
    end: datetime

    @property
    def days(self) -> list[date]:
        """Local dates the booking touches (an end exactly at midnight does not touch the next day)."""
        first = self.start.date()
        last = (self.end - timedelta(microseconds=1)).date()
        return [first + timedelta(days=i) for i in range((last - first).days + 1)]


@dataclass(frozen=True)
class Conflict:
    kind: str
    keys: tuple[str, ...]  # the bookings involved (empty for a post's gap)
    first_day: date
    last_day: date
    team: int | None = None
    ranger: int | None = None
    post: int | None = None
    detail: dict = field(default_factory=dict, compare=False, hash=False)


def _overlap(a: Booking, b: Booking) -> bool:
    return a.start < b.end and b.start < a.end


def find_conflicts(
    bookings: list[Booking],
    *,
    posts: list[int],
    first_day: date,
    last_day: date,
    max_consecutive_days: int,
    max_post_gap_days: int,
) -> list[Conflict]:
    """Every conflict touching the days first_day..last_day (bookings outside them still count, e.g. the
    field days just before the period, or the last patrol before it for a post's gap)."""
    out: list[Conflict] = []
    ordered = sorted(bookings, key=lambda b: (b.start, b.key))
    for i, a in enumerate(ordered):
        for b in ordered[i + 1 :]:
            if b.start >= a.end:
                break
            if not _overlap(a, b):
                continue
            day = max(a.start, b.start).date()
            if a.team == b.team:
                out.append(Conflict("team_double", (a.key, b.key), day, day, team=a.team))
                continue
            for ranger in sorted(a.rangers & b.rangers):
                out.append(Conflict("ranger_double", (a.key, b.key), day, day, ranger=ranger))

    by_team: dict[int, dict[date, list[str]]] = defaultdict(lambda: defaultdict(list))
    for b in ordered:
        for day in b.days:
            by_team[b.team][day].append(b.key)
    for team, days in sorted(by_team.items()):
        run: list[date] = []
        for day in sorted(days) + [None]:
            if run and (day is None or day != run[-1] + timedelta(days=1)):
                if len(run) > max_consecutive_days and run[-1] >= first_day and run[0] <= last_day:
                    keys = tuple(dict.fromkeys(k for d in run for k in days[d]))
                    out.append(Conflict("consecutive", keys, run[0], run[-1], team=team,
                                        detail={"days": len(run), "limit": max_consecutive_days}))  # fmt: skip
                run = []
            if day is not None:
                run.append(day)

    starts: dict[int, set[date]] = defaultdict(set)
    for b in ordered:
        if b.post is not None:
            starts[b.post].add(b.start.date())
    for post in posts:
        # The gap before the first patrol counts from the day before the period's window of tolerance.
        covered = sorted(d for d in starts[post] if d <= last_day)
        previous = max((d for d in covered if d < first_day), default=first_day - timedelta(days=1))
        for day in [d for d in covered if d >= first_day] + [last_day + timedelta(days=1)]:
            gap = (day - previous).days - 1
            if gap > max_post_gap_days:
                start = previous + timedelta(days=1)
                out.append(Conflict("post_gap", (), max(start, first_day), min(day - timedelta(days=1), last_day),
                                    post=post, detail={"days": gap, "limit": max_post_gap_days}))  # fmt: skip
            previous = day
    return out
