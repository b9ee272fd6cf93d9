"""How the browser shows a row: its time, place, patrol and photos, in the reserve's terms."""

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.urls import reverse

from patrol.reserves.models import Reserve
from threats.records.browser.selectors import Section, patrol_labels, photos_by_record


def shown_time(record: Any, reserve: Reserve) -> str:
    """A generalised record's day (UTC, as it is stored), else its minute in the reserve's time zone."""
    when = getattr(record, "display_time", None)
    if when is None:
        return ""
    if not isinstance(when, datetime):  # a date (a case's opening)
        return f"{when:%Y-%m-%d}"
    if getattr(record, "time_generalised", getattr(record, "location_generalised", False)):
        return f"{when.astimezone(UTC):%Y-%m-%d}"
    return f"{when.astimezone(ZoneInfo(reserve.timezone or 'UTC')):%Y-%m-%d %H:%M}"


def shown_place(record: Any) -> str:
    point = getattr(record, "display_location", None)
    return f"{point.y:.5f}, {point.x:.5f}" if point is not None else ""


def decorate(rows: list[Any], *, section: Section, user: Any, reserve: Reserve) -> list[Any]:
    """Each row's time, place, patrol label and photos, for the template (three queries for any page)."""
    labels = patrol_labels(user=user, patrol_ids=[getattr(r, "display_patrol_id", None) for r in rows])
    photos = photos_by_record(reserve=reserve, kind=section.kind, object_ids=[r.pk for r in rows])
    for row in rows:
        row.shown_time = shown_time(row, reserve)
        row.shown_place = shown_place(row)
        row.patrol_label = labels.get(getattr(row, "display_patrol_id", None), "")
        row.photos = photos.get(row.pk, [])
        row.detail_url = reverse("records-detail", args=[section.slug, row.pk])
    return rows
