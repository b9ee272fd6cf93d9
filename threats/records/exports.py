"""CSV exports of record lists. Rows come from the same scoped selectors as the API, so sensitive
locations are already generalised for users without clearance."""

import csv
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import QuerySet


class _Echo:
    def write(self, value: str) -> str:
        return value


def _location(record: Any) -> tuple[str, str, str]:
    point = record.display_location
    return f"{point.x:.6f}", f"{point.y:.6f}", "yes" if record.location_generalised else "no"


EXPORT_COLUMNS: dict[str, list[tuple[str, Any]]] = {
    "SnareFind": [
        ("found_at", lambda r: r.display_time.isoformat()), ("count", lambda r: r.count),
        ("material", lambda r: r.material), ("state", lambda r: r.state), ("placement", lambda r: r.placement),
        ("catch_species", lambda r: r.catch_species.scientific_name if r.catch_species else ""),
        ("catch_condition", lambda r: r.catch_condition), ("action", lambda r: r.action),
    ],
    "Incident": [
        ("occurred_at", lambda r: r.display_time.isoformat()), ("kind", lambda r: r.kind),
        ("description", lambda r: r.description),
    ],
    "Detection": [
        ("observed_at", lambda r: r.display_time.isoformat()), ("observation_type", lambda r: r.observation_type),
        ("species", lambda r: r.species.scientific_name if r.species else ""),
        ("method", lambda r: r.method), ("count", lambda r: r.count), ("individual_id", lambda r: r.individual_id),
        ("deployment", lambda r: r.deployment.deployment_id if r.deployment else ""),
    ],
}  # fmt: skip


def export_rows(queryset: QuerySet) -> Iterator[str]:
    """CSV lines: id, reserve, longitude, latitude, generalised, the model's own columns, patrol, notes."""
    columns = EXPORT_COLUMNS[queryset.model.__name__]
    writer = csv.writer(_Echo())
    yield writer.writerow(["id", "reserve", "longitude", "latitude", "location_generalised",
                           *[name for name, _ in columns], "patrol", "reported_by", "notes"])  # fmt: skip
    records: Iterable = queryset.iterator(chunk_size=2000)
    for record in records:
        yield writer.writerow([
            record.pk, record.reserve.slug, *_location(record), *[getter(record) for _, getter in columns],
            record.display_patrol_id or "", record.display_reported_by or "", record.notes,
        ])  # fmt: skip
