"""Read Camtrap DP packages (1.0, and the older 0.1.6 column names) into plain records.

No database here: `read_package` returns deployments and observations, and the problems it met,
each naming the file, row and column, so an import can report them all rather than stop at the
first. Which observations count:
- event-level observations, and media-level ones only for what no event-level row of the same event
  already records (same type and taxon): Camtrap DP allows both, and counting both would double them;
- `animal` observations become detections by scientific name;
- `human` and `vehicle` observations are kept as possible poaching signals;
- `blank`, `unknown` and `unclassified` are skipped.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path


class CamtrapError(ValueError):
    """The package cannot be read at all (no datapackage.json, no deployments, not Camtrap DP)."""


@dataclass(frozen=True)
class Problem:
    file: str
    row: int | None  # 1-based data row (the header is row 0); None for the whole file
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.file + (f", row {self.row}" if self.row is not None else "")
        return where + (f", column {self.column}" if self.column else "") + f": {self.message}"


@dataclass(frozen=True)
class CamtrapDeployment:
    deployment_id: str
    location_name: str
    latitude: float
    longitude: float
    start: datetime
    end: datetime
    camera_id: str
    camera_model: str
    camera_height_m: float | None
    feature_type: str
    notes: str

    @property
    def trap_days(self) -> float:
        return (self.end - self.start).total_seconds() / 86400.0


@dataclass(frozen=True)
class CamtrapObservation:
    observation_id: str
    deployment_id: str
    observation_type: str  # animal | human | vehicle
    scientific_name: str
    observed_at: datetime
    count: int
    individual_id: str
    level: str  # event | media


@dataclass
class CamtrapPackage:
    name: str
    version: str
    deployments: list[CamtrapDeployment] = field(default_factory=list)
    observations: list[CamtrapObservation] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)  # observationType -> rows skipped


KEPT_TYPES = {"animal", "human", "vehicle"}
# Camtrap DP 0.1.6 names -> 1.0 names
LEGACY_COLUMNS = {"start": "deploymentStart", "end": "deploymentEnd", "timestamp": "eventStart",
                  "comments": "deploymentComments"}  # fmt: skip


def _datetime(text: str) -> datetime:
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError("a time zone is required (e.g. 2020-05-30T04:57:37+02:00)")
    return value


def _rows(folder: Path, resource: dict, problems: list[Problem]) -> list[tuple[int, dict[str, str]]]:
    path = folder / resource.get("path", f"{resource['name']}.csv")
    if not path.is_file():
        problems.append(Problem(path.name, None, None, "file named in datapackage.json is missing"))
        return []
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        rows = []
        for index, row in enumerate(reader, start=1):
            rows.append((index, {LEGACY_COLUMNS.get(k, k): (v or "") for k, v in row.items() if k is not None}))
        return rows


def read_package(folder: str | Path) -> CamtrapPackage:
    folder = Path(folder)
    descriptor_path = folder / "datapackage.json"
    if not descriptor_path.is_file():
        raise CamtrapError(f"{folder}: no datapackage.json (not a Camtrap DP package)")
    try:
        descriptor = json.loads(descriptor_path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise CamtrapError(f"datapackage.json: not valid JSON ({exc.msg} at line {exc.lineno})") from exc
    profile = str(descriptor.get("profile", ""))
    version = profile.split("/camtrap-dp/")[1].split("/")[0] if "/camtrap-dp/" in profile else "unknown"
    resources = {r.get("name"): r for r in descriptor.get("resources", []) if isinstance(r, dict)}
    if "deployments" not in resources or "observations" not in resources:
        raise CamtrapError("datapackage.json: needs 'deployments' and 'observations' resources")

    package = CamtrapPackage(name=str(descriptor.get("name", folder.name)), version=version)
    problems = package.problems
    for row_number, row in _rows(folder, resources["deployments"], problems):
        deployment = _deployment(row_number, row, problems)
        if deployment:
            package.deployments.append(deployment)
    known = {d.deployment_id for d in package.deployments}

    observations = _rows(folder, resources["observations"], problems)

    def same_sighting(row: dict[str, str]) -> tuple:
        return row.get("deploymentID"), row.get("eventID"), row.get("observationType"), row.get("scientificName")

    event_level = {same_sighting(row) for _, row in observations if row.get("observationLevel") == "event"}
    media_sightings: dict[tuple, int] = {}
    for row_number, row in observations:
        kind = row.get("observationType", "").strip()
        if kind not in KEPT_TYPES:
            package.skipped[kind or "(empty)"] = package.skipped.get(kind or "(empty)", 0) + 1
            continue
        level = row.get("observationLevel", "event") or "event"
        if level == "media" and row.get("eventID") and same_sighting(row) in event_level:
            package.skipped["media-level duplicate of an event"] = (
                package.skipped.get("media-level duplicate of an event", 0) + 1
            )
            continue
        observation = _observation(row_number, row, kind, level, known, problems)
        if observation is None:
            continue
        if level == "media" and row.get("eventID"):
            # one image per row: the event is one sighting, of as many as the fullest image shows
            key = same_sighting(row)
            first = media_sightings.get(key)
            if first is not None:
                package.observations[first] = replace(
                    package.observations[first], count=max(package.observations[first].count, observation.count)
                )
                continue
            media_sightings[key] = len(package.observations)
        package.observations.append(observation)
    return package


def _deployment(row_number: int, row: dict[str, str], problems: list[Problem]) -> CamtrapDeployment | None:
    def fail(column: str, message: str) -> None:
        problems.append(Problem("deployments.csv", row_number, column, message))

    if not row.get("deploymentID"):
        fail("deploymentID", "is empty")
        return None
    try:
        latitude, longitude = float(row["latitude"]), float(row["longitude"])
    except (KeyError, ValueError):
        fail("latitude" if not _is_float(row.get("latitude")) else "longitude", "is not a number")
        return None
    if not (-90 <= latitude <= 90):
        fail("latitude", f"{latitude} is outside -90..90")
        return None
    if not (-180 <= longitude <= 180):
        fail("longitude", f"{longitude} is outside -180..180")
        return None
    times = {}
    for column in ("deploymentStart", "deploymentEnd"):
        try:
            times[column] = _datetime(row.get(column, ""))
        except ValueError as exc:
            fail(column, f"{row.get(column, '')!r} is not an ISO 8601 time: {exc}")
            return None
    if times["deploymentEnd"] <= times["deploymentStart"]:
        fail("deploymentEnd", "is not after deploymentStart")
        return None
    height = row.get("cameraHeight", "")
    return CamtrapDeployment(
        deployment_id=row["deploymentID"], location_name=row.get("locationName", ""), latitude=latitude,
        longitude=longitude, start=times["deploymentStart"], end=times["deploymentEnd"],
        camera_id=row.get("cameraID", ""), camera_model=row.get("cameraModel", ""),
        camera_height_m=float(height) if _is_float(height) else None, feature_type=row.get("featureType", ""),
        notes=row.get("deploymentComments", ""),
    )  # fmt: skip


def _observation(row_number, row, kind, level, known_deployments, problems) -> CamtrapObservation | None:
    def fail(column: str, message: str) -> None:
        problems.append(Problem("observations.csv", row_number, column, message))

    if row.get("deploymentID") not in known_deployments:
        fail("deploymentID", f"{row.get('deploymentID')!r} is not a deployment of this package")
        return None
    try:
        observed_at = _datetime(row.get("eventStart", ""))
    except ValueError as exc:
        fail("eventStart", f"{row.get('eventStart', '')!r} is not an ISO 8601 time: {exc}")
        return None
    count_text = row.get("count", "") or "1"
    if not count_text.isdigit() or int(count_text) < 1:
        fail("count", f"{count_text!r} is not a whole number of at least 1")
        return None
    name = row.get("scientificName", "").strip()
    if kind == "animal" and not name:
        fail("scientificName", "is empty for an animal observation")
        return None
    return CamtrapObservation(
        observation_id=row.get("observationID", "") or f"row-{row_number}", deployment_id=row["deploymentID"],
        observation_type=kind, scientific_name=name, observed_at=observed_at, count=int(count_text),
        individual_id=row.get("individualID", ""), level=level,
    )  # fmt: skip


def _is_float(text: str | None) -> bool:
    try:
        float(text or "")
    except ValueError:
        return False
    return True
