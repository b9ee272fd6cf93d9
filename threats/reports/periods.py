"""Report periods: a month, a quarter, a year or any run of days, and the period before it.

Dates are calendar days in the reserve's time zone; a period runs from the first day's midnight up to,
not including, the midnight after its last day. A patrol that crosses a period's edge is shared out by
the rule in docs/reports.md: it *counts* (patrols) in the period where it started; its hours, patrol-days
and distance go to each period by the share of its time spent there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

KINDS = ("month", "quarter", "year", "custom")


@dataclass(frozen=True)
class Period:
    kind: str  # one of KINDS
    first: date  # first day, inclusive
    last: date  # last day, inclusive

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown period kind {self.kind!r}")
        if self.last < self.first:
            raise ValueError("the period ends before it starts")

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def bounds(self, tz: str) -> tuple[datetime, datetime]:
        """[start, end) as aware datetimes at the reserve's midnights."""
        zone = ZoneInfo(tz)
        start = datetime.combine(self.first, time(), tzinfo=zone)
        end = datetime.combine(self.last + timedelta(days=1), time(), tzinfo=zone)
        return start, end

    def previous(self) -> Period:
        """The period before: the previous month, quarter or year; for a custom run, as many days before."""
        if self.kind == "month":
            return month_period(_shift_months(self.first, -1))
        if self.kind == "quarter":
            return quarter_period(_shift_months(self.first, -3))
        if self.kind == "year":
            return year_period(self.first.year - 1)
        return Period("custom", self.first - timedelta(days=self.days), self.first - timedelta(days=1))

    def months(self) -> list[date]:
        """The first day of each calendar month the period touches (for monthly trends)."""
        out, day = [], self.first.replace(day=1)
        while day <= self.last:
            out.append(day)
            day = _shift_months(day, 1)
        return out

    def label(self) -> str:
        if self.kind == "month":
            return self.first.strftime("%Y-%m")
        if self.kind == "quarter":
            return f"{self.first.year} Q{(self.first.month - 1) // 3 + 1}"
        if self.kind == "year":
            return str(self.first.year)
        return f"{self.first.isoformat()} – {self.last.isoformat()}"


def _shift_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_period(day: date) -> Period:
    first = day.replace(day=1)
    return Period("month", first, _shift_months(first, 1) - timedelta(days=1))


def quarter_period(day: date) -> Period:
    first = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return Period("quarter", first, _shift_months(first, 3) - timedelta(days=1))


def year_period(year: int) -> Period:
    return Period("year", date(year, 1, 1), date(year, 12, 31))


def period_for(first: date, last: date) -> Period:
    """The period of these days, named as a month, quarter or year when it is exactly one."""
    for candidate in (month_period(first), quarter_period(first), year_period(first.year)):
        if candidate.first == first and candidate.last == last:
            return candidate
    return Period("custom", first, last)


def period_parse(kind: str, value: str, *, first: str = "", last: str = "") -> Period:
    """From the report form: month "2026-03", quarter "2026-Q1" (or "2026-1"), year "2026", custom first/last."""
    if kind == "month":
        year, month = value.split("-")
        return month_period(date(int(year), int(month), 1))
    if kind == "quarter":
        year, quarter = value.upper().replace("Q", "").split("-")
        if not 1 <= int(quarter) <= 4:
            raise ValueError("a quarter is 1 to 4")
        return quarter_period(date(int(year), (int(quarter) - 1) * 3 + 1, 1))
    if kind == "year":
        return year_period(int(value))
    if kind == "custom":
        return Period("custom", date.fromisoformat(first), date.fromisoformat(last))
    raise ValueError(f"unknown period kind {kind!r}")
