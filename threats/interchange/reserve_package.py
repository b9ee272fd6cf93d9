"""The reserve package: a folder that moves a whole reserve in (from SMART exports or spreadsheets)
and out of Irbis. Format: docs/reserve-package.md.

Import is all or nothing: every problem found is reported, each naming its file, row and column,
and nothing is saved unless there are none. Unknown camera-trap taxa are reported and skipped, not
treated as errors. Export writes the same format, so export -> import -> export round-trips.
"""

from __future__ import annotations

import csv
import json
import shutil
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import gpxpy
import gpxpy.gpx
from django.contrib.gis.geos import GEOSException, GEOSGeometry, MultiPolygon, Point
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from simple_history.utils import bulk_create_with_history

from patrol.jobs.follow_up import evidence_changed
from patrol.patrols.gpx import GpxError, patrol_track_import
from patrol.patrols.models import Patrol
from patrol.reserves.models import AccessPoint, Post, Reserve, Team, Zone
from patrol.reserves.services import reserve_create
from patrol.terrain.models import ValleyReach
from patrol.terrain.services import terrain_import, valley_reaches_name
from threats.interchange.camtrap import CamtrapError, read_package
from threats.records.models import CameraDeployment, Detection, Incident, SnareFind, Species
from threats.records.validation import (
    RecordContext,
    detection_clean,
    incident_clean,
    patrol_clean,
    snare_find_clean,
)

# Camera-trap observations get a stable client UUID from (package, observation): re-importing the
# same package adds nothing twice.
CAMTRAP_NAMESPACE = uuid.UUID("6f1c7f0e-2b1a-4c3e-9d59-5b0c1c7a1a0e")

PATROL_COLUMNS = ["patrol_id", "team", "start", "end", "transport"]
FIND_COLUMNS = ["found_at", "longitude", "latitude", "count", "material", "state", "patrol_id", "catch_species",
                "catch_condition", "action"]  # fmt: skip
FIND_OPTIONAL = ["placement", "gps_accuracy_m", "notes"]
INCIDENT_COLUMNS = ["occurred_at", "longitude", "latitude", "kind", "description", "patrol_id"]
DETECTION_COLUMNS = ["observed_at", "longitude", "latitude", "species", "method", "count", "individual_id", "patrol_id"]


class PackageError(ValueError):
    def __init__(self, problems: list[str]):
        self.problems = problems
        shown = "\n".join(f"- {p}" for p in problems[:50])
        more = f"\n... and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"{len(problems)} problem(s) in the reserve package:\n{shown}{more}")


@dataclass
class ImportReport:
    reserve: Reserve | None = None
    counts: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)


# values the reader parses from cells; None means the cell was unreadable (and reported)
_READ_CELLS = ("found_at", "occurred_at", "observed_at", "actual_start", "actual_end", "location", "count",
               "gps_accuracy_m")  # fmt: skip


class _Reader:
    """Collects problems while reading; each names file, row and column."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.problems: list[str] = []

    def problem(self, file: str, message: str, row: int | None = None, column: str | None = None) -> None:
        where = file + (f", row {row}" if row is not None else "") + (f", column {column}" if column else "")
        self.problems.append(f"{where}: {message}")

    def json(self, name: str, required: bool = True) -> Any:
        path = self.folder / name
        if not path.is_file():
            if required:
                self.problem(name, "missing (required)")
            return None
        try:
            return json.loads(path.read_text(encoding="utf-8-sig"))
        except json.JSONDecodeError as exc:
            self.problem(name, f"not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})")
            return None

    def csv(self, name: str, columns: list[str], required: bool = True) -> list[tuple[int, dict[str, str]]]:
        path = self.folder / name
        if not path.is_file():
            if required:
                self.problem(name, "missing (required)")
            return []
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in columns if c not in (reader.fieldnames or [])]
            if missing:
                self.problem(name, f"missing column(s): {', '.join(missing)}")
                return []
            return [(n, {k: (v or "").strip() for k, v in row.items() if k}) for n, row in enumerate(reader, start=2)]

    # cell parsers: on a bad value they record the problem and return None
    def time(self, file: str, row: int, column: str, value: str) -> datetime | None:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            self.problem(file, f"{value!r} is not an ISO 8601 time", row, column)
            return None
        if parsed.tzinfo is None:
            self.problem(file, f"{value!r} has no UTC offset (e.g. 2026-01-15T08:30:00+07:00)", row, column)
            return None
        return parsed

    def point(self, file: str, row: int, values: dict[str, str]) -> Point | None:
        try:
            lon = float(values["longitude"])
        except ValueError:
            self.problem(file, f"{values['longitude']!r} is not a number", row, "longitude")
            return None
        try:
            lat = float(values["latitude"])
        except ValueError:
            self.problem(file, f"{values['latitude']!r} is not a number", row, "latitude")
            return None
        return Point(lon, lat, srid=4326)  # its range is a rule of threats.records.validation

    def integer(self, file: str, row: int, column: str, value: str, default: int = 1) -> int | None:
        if not value:
            return default
        try:
            return int(value)
        except ValueError:
            self.problem(file, f"{value!r} is not a whole number", row, column)
            return None

    def clean(self, file: str, row: int, clean: Any, values: dict[str, Any], context: RecordContext,
              columns: dict[str, str] | None = None) -> dict[str, Any] | None:  # fmt: skip
        """A row's values checked by the record kind's rules (threats.records.validation); None if it broke one.

        Cells that could not be read (None, already reported) are left out, and not reported again."""
        unread = {name for name in _READ_CELLS if name in values and values[name] is None}
        try:
            return clean({k: v for k, v in values.items() if k not in unread}, context=context)
        except ValidationError as exc:
            for name, errors in exc.error_dict.items():
                for error in errors if name not in unread else ():
                    column = error.code if error.code in ("longitude", "latitude") else (columns or {}).get(name, name)
                    self.problem(file, " ".join(error.messages), row, column)
            return None


def _geometries(data: Any) -> list[tuple[GEOSGeometry, dict]]:
    if data is None:
        return []
    if data.get("type") == "FeatureCollection":
        return [(GEOSGeometry(json.dumps(f["geometry"]), srid=4326), f.get("properties") or {})
                for f in data.get("features", [])]  # fmt: skip
    if data.get("type") == "Feature":
        return [(GEOSGeometry(json.dumps(data["geometry"]), srid=4326), data.get("properties") or {})]
    return [(GEOSGeometry(json.dumps(data), srid=4326), {})]


def _read_geojson(reader: _Reader, name: str, required: bool) -> list[tuple[GEOSGeometry, dict]]:
    data = reader.json(name, required=required)
    try:
        return _geometries(data)
    except (GEOSException, ValueError, KeyError, TypeError, AttributeError) as exc:
        reader.problem(name, f"not a GeoJSON geometry, Feature or FeatureCollection ({exc})")
        return []


@transaction.atomic
def reserve_package_import(*, folder: str | Path, slug: str, resolution_m: float = 50.0) -> ImportReport:
    folder = Path(folder)
    if not folder.is_dir():
        raise PackageError([f"{folder}: not a folder"])
    if Reserve.objects.filter(slug=slug).exists():
        raise PackageError([f"a reserve with slug {slug!r} already exists"])
    reader = _Reader(folder)
    report = ImportReport()

    meta = reader.json("reserve.json")
    for key in ("name", "projected_epsg", "timezone") if isinstance(meta, dict) else ():
        if key not in meta:
            reader.problem("reserve.json", f"missing key {key!r}")
    if meta is not None and not isinstance(meta, dict):
        reader.problem("reserve.json", "must be a JSON object")
    boundary_parts = _read_geojson(reader, "boundary.geojson", required=True)
    polygons = []
    for geometry, _props in boundary_parts:
        if geometry.geom_type == "Polygon":
            polygons.append(geometry)
        elif geometry.geom_type == "MultiPolygon":
            polygons.extend(geometry)
        else:
            reader.problem("boundary.geojson", f"a {geometry.geom_type} is not a (Multi)Polygon")
    if reader.problems:
        raise PackageError(reader.problems)
    try:
        reserve = reserve_create(
            name=meta["name"], slug=slug, boundary=MultiPolygon(polygons, srid=4326),
            projected_epsg=int(meta["projected_epsg"]), timezone=meta["timezone"],
            sensitive_grid_degrees=float(meta.get("sensitive_grid_degrees", 0.1)),
        )  # fmt: skip
    except (ValidationError, ValueError) as exc:
        messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
        raise PackageError([f"reserve.json: {m}" for m in messages]) from exc
    report.reserve = reserve

    _import_places(reader, reserve, report)
    patrols = _import_patrols(reader, reserve, report)
    _import_finds(reader, reserve, patrols, report)
    _import_incidents(reader, reserve, patrols, report)
    _import_detections(reader, reserve, patrols, report)
    if (folder / "camtrap").is_dir():
        try:
            camtrap = camtrap_import(reserve=reserve, folder=folder / "camtrap")
        except PackageError as exc:
            reader.problems.extend(exc.problems)
        else:
            report.counts.update(camtrap.counts)
            report.notes.extend(camtrap.notes)
    valleys = _read_valleys(reader, has_dem=(folder / "dem.tif").is_file())
    if reader.problems:
        raise PackageError(reader.problems)
    if (folder / "dem.tif").is_file():
        try:
            terrain_import(reserve=reserve, path=folder / "dem.tif", resolution_m=resolution_m)
        except ValidationError as exc:
            raise PackageError([f"dem.tif: {m}" for m in exc.messages]) from exc
        with open(folder / "dem.tif", "rb") as handle:
            reserve.dem.save(f"{slug}-dem.tif", File(handle), save=True)
        report.counts["dem"] = 1
        report.counts["named_valley_reaches"] = valley_reaches_name(reserve=reserve, named=valleys)
    evidence_changed(reserve_id=reserve.pk)  # the risk model's first run for the new reserve, after commit
    return report


def _read_valleys(reader: _Reader, *, has_dem: bool) -> list[tuple[str, GEOSGeometry]]:
    """valleys.geojson: named lines or points that name the valley reaches the DEM gives (optional)."""
    named = []
    for index, (geometry, props) in enumerate(_read_geojson(reader, "valleys.geojson", required=False), start=1):
        name = str(props.get("name") or "").strip()
        if geometry.geom_type not in ("LineString", "MultiLineString", "Point", "MultiPoint"):
            reader.problem("valleys.geojson", f"feature {index} is a {geometry.geom_type}, not a line or point")
        elif not name or len(name) > 200:
            reader.problem("valleys.geojson", f"feature {index}: property 'name' must be 1-200 characters")
        else:
            named.append((name, geometry))
    if named and not has_dem:
        reader.problem("valleys.geojson", "valleys name the reaches of the DEM: the package needs dem.tif")
    return named


def _import_places(reader: _Reader, reserve: Reserve, report: ImportReport) -> None:
    for name, model, kinds, geom_type in (
        ("zones.geojson", Zone, Zone.Kind, "Polygon"),
        ("posts.geojson", Post, Post.Kind, "Point"),
        ("access_points.geojson", AccessPoint, AccessPoint.Kind, "Point"),
    ):
        required = name == "posts.geojson"
        for index, (geometry, props) in enumerate(_read_geojson(reader, name, required=required), start=1):
            if geometry.geom_type != geom_type:
                reader.problem(name, f"feature {index} is a {geometry.geom_type}, not a {geom_type}")
                continue
            kind = props.get("kind") or (Post.Kind.STATION if model is Post else "")
            if kind not in kinds.values:
                reader.problem(name, f"feature {index}: kind {kind!r} is not one of {', '.join(kinds.values)}")
                continue
            field_name = "area" if model is Zone else "location"
            model.objects.create(reserve=reserve, name=props.get("name") or f"{model.__name__} {index}", kind=kind,
                                 **{field_name: geometry})  # fmt: skip
            report.counts[model._meta.verbose_name_plural] += 1


def _import_patrols(reader: _Reader, reserve: Reserve, report: ImportReport) -> dict[str, Patrol]:
    context = RecordContext(reserve)
    patrols: dict[str, Patrol] = {}
    teams: dict[str, Team] = {}
    file = "patrols.csv"
    for row, values in reader.csv(file, PATROL_COLUMNS, required=False):
        key = values["patrol_id"]
        if not key:
            reader.problem(file, "is empty", row, "patrol_id")
            continue
        if key in patrols:
            reader.problem(file, f"patrol {key!r} appears twice", row, "patrol_id")
            continue
        start = reader.time(file, row, "start", values["start"])
        end = reader.time(file, row, "end", values["end"]) if values["end"] else None
        cleaned = reader.clean(file, row, patrol_clean, {
            "actual_start": start, "transport": values["transport"] or "foot",
            "status": values.get("status") or "completed", "objective": values.get("objective", ""),
            **({"actual_end": end} if values["end"] else {}),
        }, context, columns={"actual_start": "start", "actual_end": "end"})  # fmt: skip
        if start is None or cleaned is None or (values["end"] and end is None):
            continue
        status, transport = cleaned["status"], cleaned["transport"]
        team_name = values["team"] or "Imported patrols"
        if team_name not in teams:
            teams[team_name], _ = Team.objects.get_or_create(reserve=reserve, name=team_name)
        patrol = Patrol.objects.create(
            reserve=reserve, team=teams[team_name], planned_start=start, planned_end=end, actual_start=start,
            actual_end=end, status=status, transport=transport, objective=cleaned["objective"],
        )  # fmt: skip
        patrols[key] = patrol
        track = reader.folder / "tracks" / f"{key}.gpx"
        if track.is_file():
            try:
                patrol_track_import(actor=None, patrol=patrol, content=track.read_bytes())
            except GpxError as exc:
                reader.problem(f"tracks/{key}.gpx", str(exc))
                continue
            # the CSV's times are the patrol's; the file's may be missing or a unit's dummy dates
            Patrol.objects.filter(pk=patrol.pk).update(actual_start=start, actual_end=end)
            report.counts["tracks"] += 1
    report.counts["patrols"] += len(patrols)
    return patrols


def _patrol_of(reader, file, row, values, patrols) -> tuple[bool, Patrol | None]:
    key = values.get("patrol_id", "")
    if key and key not in patrols:
        reader.problem(file, f"patrol {key!r} is not in patrols.csv", row, "patrol_id")
        return False, None
    return True, patrols.get(key)


def _accuracy(reader: _Reader, file: str, row: int, value: str) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        reader.problem(file, f"{value!r} is not a number", row, "gps_accuracy_m")
        return None


def _import_finds(reader: _Reader, reserve: Reserve, patrols: dict[str, Patrol], report: ImportReport) -> None:
    file = "snare_finds.csv"
    context = RecordContext(reserve)
    rows = []
    for row, v in reader.csv(file, FIND_COLUMNS, required=False):
        ok_patrol, patrol = _patrol_of(reader, file, row, v, patrols)
        values = reader.clean(file, row, snare_find_clean, {
            "found_at": reader.time(file, row, "found_at", v["found_at"]),
            "location": reader.point(file, row, v),
            "count": reader.integer(file, row, "count", v["count"]),
            "material": v["material"], "state": v["state"], "action": v["action"],
            "catch_condition": v["catch_condition"] or "none", "placement": v.get("placement") or "unknown",
            "catch_species": v["catch_species"] or None, "notes": v.get("notes", ""), "patrol": patrol,
            **({"gps_accuracy_m": _accuracy(reader, file, row, v["gps_accuracy_m"])} if v.get("gps_accuracy_m")
               else {}),
        }, context)  # fmt: skip
        if ok_patrol and values is not None:
            rows.append(SnareFind(reserve=reserve, **values))
    if not reader.problems:
        bulk_create_with_history(rows, SnareFind, batch_size=1000)
    report.counts["snare finds"] += len(rows)


def _import_incidents(reader: _Reader, reserve: Reserve, patrols: dict[str, Patrol], report: ImportReport) -> None:
    file = "incidents.csv"
    context = RecordContext(reserve)
    count = 0
    for row, v in reader.csv(file, INCIDENT_COLUMNS, required=False):
        ok, patrol = _patrol_of(reader, file, row, v, patrols)
        values = reader.clean(file, row, incident_clean, {
            "occurred_at": reader.time(file, row, "occurred_at", v["occurred_at"]),
            "location": reader.point(file, row, v), "kind": v["kind"], "description": v["description"],
            "patrol": patrol,
        }, context)  # fmt: skip
        if ok and values is not None and not reader.problems:
            Incident.objects.create(reserve=reserve, **values)
            count += 1
    report.counts["incidents"] += count


def _import_detections(reader: _Reader, reserve: Reserve, patrols: dict[str, Patrol], report: ImportReport) -> None:
    """Sign surveys and sightings (camera-trap detections come in the Camtrap DP package)."""
    file = "detections.csv"
    context = RecordContext(reserve)
    rows = []
    for row, v in reader.csv(file, DETECTION_COLUMNS, required=False):
        ok_patrol, patrol = _patrol_of(reader, file, row, v, patrols)
        values = reader.clean(file, row, detection_clean, {
            "observed_at": reader.time(file, row, "observed_at", v["observed_at"]),
            "location": reader.point(file, row, v), "method": v["method"],
            "count": reader.integer(file, row, "count", v["count"]), "species": v["species"] or None,
            "individual_id": v["individual_id"], "patrol": patrol,
        }, context)  # fmt: skip
        if ok_patrol and values is not None:
            rows.append(Detection(reserve=reserve, **values))
    if not reader.problems:
        bulk_create_with_history(rows, Detection, batch_size=1000)
    report.counts["detections"] += len(rows)


FEATURE_TYPES = set(CameraDeployment.FeatureType.values)


@transaction.atomic
def camtrap_import(*, reserve: Reserve, folder: str | Path) -> ImportReport:
    """Deployments become camera deployments (effort in trap-days); animal observations become
    detections by scientific name; people and vehicles are kept as possible poaching signals;
    blanks are skipped; unknown taxa are reported, not imported. Re-importing adds nothing twice."""
    try:
        package = read_package(folder)
    except CamtrapError as exc:
        raise PackageError([f"camtrap/{exc}"]) from exc
    if package.problems:
        raise PackageError([f"camtrap/{p}" for p in package.problems])
    report = ImportReport(reserve=reserve)
    deployments: dict[str, CameraDeployment] = {}
    for d in package.deployments:
        deployments[d.deployment_id], _ = CameraDeployment.objects.update_or_create(
            reserve=reserve, deployment_id=d.deployment_id,
            defaults={
                "location_name": d.location_name, "location": Point(d.longitude, d.latitude, srid=4326),
                "start": d.start, "end": d.end, "camera_id": d.camera_id, "camera_model": d.camera_model,
                "camera_height_m": d.camera_height_m, "notes": d.notes,
                "feature_type": d.feature_type if d.feature_type in FEATURE_TYPES else ("other" if d.feature_type
                                                                                      else ""),
            },
        )  # fmt: skip
    species = {s.scientific_name.lower(): s for s in Species.objects.all()}
    unknown: Counter = Counter()
    rows = []
    for o in package.observations:
        taxon = species.get(o.scientific_name.lower()) if o.observation_type == "animal" else None
        if o.observation_type == "animal" and taxon is None:
            unknown[o.scientific_name] += 1
            continue
        deployment = deployments[o.deployment_id]
        rows.append(Detection(
            reserve=reserve, observation_type=o.observation_type, species=taxon, method=Detection.Method.CAMERA_TRAP,
            observed_at=o.observed_at, location=deployment.location, count=o.count, individual_id=o.individual_id,
            deployment=deployment, client_uuid=uuid.uuid5(CAMTRAP_NAMESPACE, f"{package.name}/{o.observation_id}"),
        ))  # fmt: skip
    existing = set(Detection.objects.filter(reserve=reserve, client_uuid__in=[r.client_uuid for r in rows])
                   .values_list("client_uuid", flat=True))  # fmt: skip
    fresh = [r for r in rows if r.client_uuid not in existing]
    bulk_create_with_history(fresh, Detection, batch_size=1000)
    if fresh:
        evidence_changed(reserve_id=reserve.pk)
    trap_days = sum(d.trap_days for d in package.deployments)
    report.counts.update({"camera deployments": len(deployments), "camera detections": len(fresh)})
    kinds = Counter(r.observation_type for r in fresh)
    if kinds.get("human") or kinds.get("vehicle"):
        report.notes.append(f"kept {kinds.get('human', 0)} people and {kinds.get('vehicle', 0)} vehicles on camera "
                            "as possible poaching signals")  # fmt: skip
    report.notes.append(f"camera effort: {trap_days:.1f} trap-days")
    if existing:
        report.notes.append(f"{len(existing)} observation(s) were already imported")
    if unknown:
        report.notes.append("unknown taxa skipped: " + ", ".join(f"{n} ({c})" for n, c in sorted(unknown.items())))
    if package.skipped:
        report.notes.append("skipped: " + ", ".join(f"{k} ({v})" for k, v in sorted(package.skipped.items())))
    return report


# ---------------------------------------------------------------- export


def _feature_collection(rows: list[tuple[GEOSGeometry, dict]]) -> dict:
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": json.loads(geometry.geojson), "properties": props} for geometry, props in rows
    ]}  # fmt: skip


def _write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def reserve_package_export(*, reserve: Reserve, folder: str | Path) -> None:
    """Write the reserve as a package. It holds exact locations of sensitive species: keep it safe."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "reserve.json").write_text(json.dumps({
        "name": reserve.name, "projected_epsg": reserve.projected_epsg, "timezone": reserve.timezone,
        "sensitive_grid_degrees": reserve.sensitive_grid_degrees,
    }, indent=2, ensure_ascii=False))  # fmt: skip
    (folder / "boundary.geojson").write_text(json.dumps(_feature_collection([(reserve.boundary, {})])))
    for name, queryset, geom in (
        ("zones.geojson", reserve.zones.order_by("pk"), "area"),
        ("posts.geojson", reserve.posts.order_by("pk"), "location"),
        ("access_points.geojson", reserve.access_points.order_by("pk"), "location"),
    ):
        rows = [(getattr(o, geom), {"name": o.name, "kind": o.kind}) for o in queryset]
        (folder / name).write_text(json.dumps(_feature_collection(rows), ensure_ascii=False))
    if reserve.dem:
        shutil.copyfile(reserve.dem.path, folder / "dem.tif")
        named = [(r.geometry, {"name": r.name}) for r in reserve.valley_reaches.order_by("reach_id")
                 if not ValleyReach.is_code(r.name)]  # fmt: skip
        if named:
            (folder / "valleys.geojson").write_text(json.dumps(_feature_collection(named), ensure_ascii=False))

    patrols = list(reserve.patrols.select_related("team").order_by("pk"))
    key = {p.pk: f"P{n:05d}" for n, p in enumerate(patrols, start=1)}
    (folder / "tracks").mkdir(exist_ok=True)
    patrol_rows = []
    for p in patrols:
        start, end = p.actual_start or p.planned_start, p.actual_end or p.planned_end
        if start is None:
            continue
        patrol_rows.append([key[p.pk], p.team.name, start.isoformat(), end.isoformat() if end else "", p.transport,
                            p.status, p.objective])  # fmt: skip
        if p.track:
            gpx = gpxpy.gpx.GPX()
            track = gpxpy.gpx.GPXTrack(name=key[p.pk])
            for line in p.track:
                segment = gpxpy.gpx.GPXTrackSegment(
                    [gpxpy.gpx.GPXTrackPoint(latitude=lat, longitude=lon) for lon, lat in line.coords]
                )
                track.segments.append(segment)
            gpx.tracks.append(track)
            (folder / "tracks" / f"{key[p.pk]}.gpx").write_text(gpx.to_xml())
    _write_csv(folder / "patrols.csv", [*PATROL_COLUMNS, "status", "objective"], patrol_rows)

    finds = reserve.snare_finds.select_related("catch_species").order_by("found_at", "pk")
    _write_csv(folder / "snare_finds.csv", [*FIND_COLUMNS, *FIND_OPTIONAL], [
        [f.found_at.isoformat(), f"{f.location.x:.7f}", f"{f.location.y:.7f}", f.count, f.material, f.state,
         key.get(f.patrol_id, ""), f.catch_species.scientific_name if f.catch_species else "", f.catch_condition,
         f.action, f.placement, "" if f.gps_accuracy_m is None else f"{f.gps_accuracy_m:g}", f.notes]
        for f in finds
    ])  # fmt: skip
    _write_csv(folder / "incidents.csv", INCIDENT_COLUMNS, [
        [i.occurred_at.isoformat(), f"{i.location.x:.7f}", f"{i.location.y:.7f}", i.kind, i.description,
         key.get(i.patrol_id, "")]
        for i in reserve.incidents.order_by("occurred_at", "pk")
    ])  # fmt: skip
    _write_csv(folder / "detections.csv", DETECTION_COLUMNS, [
        [d.observed_at.isoformat(), f"{d.location.x:.7f}", f"{d.location.y:.7f}", d.species.scientific_name,
         d.method, d.count, d.individual_id, key.get(d.patrol_id, "")]
        for d in reserve.detections.filter(deployment__isnull=True, species__isnull=False)
        .select_related("species").order_by("observed_at", "pk")
    ])  # fmt: skip
    _export_camtrap(reserve, folder / "camtrap")


def _export_camtrap(reserve: Reserve, folder: Path) -> None:
    folder.mkdir(exist_ok=True)
    version = "1.0.2"
    schema = f"https://raw.githubusercontent.com/tdwg/camtrap-dp/{version}"
    (folder / "datapackage.json").write_text(json.dumps({
        "name": f"{reserve.slug}-camera-traps", "profile": f"{schema}/camtrap-dp-profile.json",
        "created": datetime.now().astimezone().isoformat(timespec="seconds"),
        "resources": [
            {"name": n, "path": f"{n}.csv", "profile": "tabular-data-resource", "format": "csv",
             "mediatype": "text/csv", "encoding": "utf-8", "schema": f"{schema}/{n}-table-schema.json"}
            for n in ("deployments", "media", "observations")
        ],
    }, indent=2))  # fmt: skip
    deployments = list(reserve.camera_deployments.order_by("deployment_id"))
    _write_csv(folder / "deployments.csv", ["deploymentID", "locationName", "latitude", "longitude",
                                             "deploymentStart", "deploymentEnd", "cameraID", "cameraModel",
                                             "cameraHeight", "featureType", "deploymentComments"], [
        [d.deployment_id, d.location_name, f"{d.location.y:.7f}", f"{d.location.x:.7f}", d.start.isoformat(),
         d.end.isoformat(), d.camera_id, d.camera_model, "" if d.camera_height_m is None else d.camera_height_m,
         d.feature_type, d.notes]
        for d in deployments
    ])  # fmt: skip
    _write_csv(folder / "media.csv", ["mediaID", "deploymentID", "captureMethod", "timestamp", "filePath",
                                       "filePublic", "fileMediatype"], [])  # fmt: skip
    detections = (reserve.detections.filter(deployment__isnull=False).select_related("deployment", "species")
                  .order_by("observed_at", "pk"))  # fmt: skip
    _write_csv(folder / "observations.csv", ["observationID", "deploymentID", "eventID", "eventStart", "eventEnd",
                                              "observationLevel", "observationType", "scientificName", "count",
                                              "individualID"], [
        [f"obs-{d.pk}", d.deployment.deployment_id, f"event-{d.pk}", d.observed_at.isoformat(),
         d.observed_at.isoformat(), "event", d.observation_type, d.species.scientific_name if d.species else "",
         d.count, d.individual_id]
        for d in detections
    ])  # fmt: skip
