"""Write a basins world (tests/simulation/basins.py) as a reserve package (docs/reserve-package.md),
and its hidden truth as an .npz BESIDE the package, never in it.

The package is what a reserve would hand over: boundary, posts, access points, a DEM GeoTIFF in the
reserve's projected CRS, patrols with GPX tracks, snare finds, incidents, sign surveys, and camera
traps as a Camtrap DP package. `write_package` returns how many rows of each it wrote, named as
`reserve_package_import` counts them.
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import gpxpy.gpx
import numpy as np

from patrol.terrain.raster_io import geotiff_bytes, transform_points
from tests.simulation.basins import EPSG, TIMEZONE, World

CAMTRAP_VERSION = "1.0.2"


def iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="seconds")


def lonlat(xy: np.ndarray) -> np.ndarray:
    return transform_points(np.asarray(xy, dtype=np.float64).reshape(-1, 2), from_srid=EPSG, to_srid=4326)


def _points(rows: list[tuple[str, str, float, float]]) -> dict:
    ll = lonlat(np.array([(r[2], r[3]) for r in rows]))
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(lon, 7), round(lat, 7)]},
         "properties": {"name": name, "kind": kind}}
        for (name, kind, _x, _y), (lon, lat) in zip(rows, ll, strict=True)
    ]}  # fmt: skip


def _boundary(world: World) -> dict:
    """The grid's square, ten vertices a side, in WGS84."""
    x0, y0, x1, y1 = world.grid.bounds
    t = np.linspace(0, 1, 10, endpoint=False)
    ring = np.vstack([
        np.column_stack([x0 + (x1 - x0) * t, np.full(10, y1)]), np.column_stack([np.full(10, x1), y1 - (y1 - y0) * t]),
        np.column_stack([x1 - (x1 - x0) * t, np.full(10, y0)]), np.column_stack([np.full(10, x0), y0 + (y1 - y0) * t]),
    ])  # fmt: skip
    ll = lonlat(ring)
    coords = [[round(lon, 7), round(lat, 7)] for lon, lat in ll]
    return {"type": "Polygon", "coordinates": [[*coords, coords[0]]]}


def _csv(path: Path, header: list[str], rows: list[list]) -> int:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return len(rows)


def _gpx(name: str, ll: np.ndarray, t: np.ndarray) -> str:
    gpx = gpxpy.gpx.GPX()
    track = gpxpy.gpx.GPXTrack(name=name)
    segment = gpxpy.gpx.GPXTrackSegment([
        gpxpy.gpx.GPXTrackPoint(latitude=round(lat, 7), longitude=round(lon, 7), time=datetime.fromtimestamp(s, UTC))
        for (lon, lat), s in zip(ll, t, strict=True)
    ])  # fmt: skip
    track.segments.append(segment)
    gpx.tracks.append(track)
    return gpx.to_xml()


def patrol_key(index: int) -> str:
    return f"P{index + 1:04d}"


def write_package(world: World, folder: str | Path) -> dict[str, int]:
    folder = Path(folder)
    (folder / "tracks").mkdir(parents=True)
    (folder / "camtrap").mkdir()
    (folder / "reserve.json").write_text(json.dumps(
        {"name": f"Sayan basins {world.seed}", "projected_epsg": EPSG, "timezone": TIMEZONE}, indent=2))  # fmt: skip
    (folder / "boundary.geojson").write_text(json.dumps(_boundary(world)))
    (folder / "posts.geojson").write_text(json.dumps(_points(world.posts)))
    (folder / "access_points.geojson").write_text(json.dumps(_points(world.access_points)))
    (folder / "dem.tif").write_bytes(geotiff_bytes(world.elevation, grid=world.grid, srid=EPSG, nodata=-9999.0))

    rows = []
    for p in world.patrols:
        key = patrol_key(p.index)
        rows.append([key, f"Team {p.team + 1}", iso(p.start), iso(p.end), p.transport, "completed",
                     "Back to an earlier find" if p.revisit else "Snare sweep"])  # fmt: skip
        (folder / "tracks" / f"{key}.gpx").write_text(_gpx(key, lonlat(p.xy), p.t))
    header = ["patrol_id", "team", "start", "end", "transport", "status", "objective"]
    counts = {"patrols": _csv(folder / "patrols.csv", header, rows)}
    counts["tracks"] = len(world.patrols)

    ll = lonlat(np.array([(f.x, f.y) for f in world.finds])) if world.finds else np.zeros((0, 2))
    counts["snare finds"] = _csv(folder / "snare_finds.csv", [
        "found_at", "longitude", "latitude", "count", "material", "state", "patrol_id", "catch_species",
        "catch_condition", "action", "placement", "gps_accuracy_m", "notes"], [
        [iso(f.t), f"{lon:.7f}", f"{lat:.7f}", f.count, f.material, f.state, patrol_key(f.patrol), f.catch,
         f.catch_condition, f.action, "foot" if f.material == "nylon" else "neck", "6", ""]
        for f, (lon, lat) in zip(world.finds, ll, strict=True)
    ])  # fmt: skip
    ll = lonlat(np.array([(i.x, i.y) for i in world.incidents])) if world.incidents else np.zeros((0, 2))
    counts["incidents"] = _csv(folder / "incidents.csv", [
        "occurred_at", "longitude", "latitude", "kind", "description", "patrol_id"], [
        [iso(i.t), f"{lon:.7f}", f"{lat:.7f}", i.kind, i.description, "" if i.patrol is None else patrol_key(i.patrol)]
        for i, (lon, lat) in zip(world.incidents, ll, strict=True)
    ])  # fmt: skip
    sign = [d for d in world.detections if d.camera is None]
    ll = lonlat(np.array([(d.x, d.y) for d in sign])) if sign else np.zeros((0, 2))
    counts["detections"] = _csv(folder / "detections.csv", [
        "observed_at", "longitude", "latitude", "species", "method", "count", "individual_id", "patrol_id"], [
        [iso(d.t), f"{lon:.7f}", f"{lat:.7f}", d.species, d.method, d.count, d.individual,
         "" if d.patrol is None else patrol_key(d.patrol)]
        for d, (lon, lat) in zip(sign, ll, strict=True)
    ])  # fmt: skip
    counts.update(_camtrap(world, folder / "camtrap"))
    return counts


def _camtrap(world: World, folder: Path) -> dict[str, int]:
    schema = f"https://raw.githubusercontent.com/tdwg/camtrap-dp/{CAMTRAP_VERSION}"
    (folder / "datapackage.json").write_text(json.dumps({
        "name": f"sayan-basins-{world.seed}-camera-traps", "profile": f"{schema}/camtrap-dp-profile.json",
        "created": iso(world.end),
        "resources": [
            {"name": n, "path": f"{n}.csv", "profile": "tabular-data-resource", "format": "csv",
             "mediatype": "text/csv", "encoding": "utf-8", "schema": f"{schema}/{n}-table-schema.json"}
            for n in ("deployments", "media", "observations")
        ],
    }, indent=2))  # fmt: skip
    ll = lonlat(np.array([(c.x, c.y) for c in world.cameras]))
    deployments = _csv(folder / "deployments.csv", [
        "deploymentID", "locationName", "latitude", "longitude", "deploymentStart", "deploymentEnd", "cameraID",
        "cameraModel", "cameraHeight", "featureType", "deploymentComments"], [
        [c.deployment_id, f"Site {k + 1}", f"{lat:.7f}", f"{lon:.7f}", iso(c.start), iso(c.end), c.deployment_id,
         "Browning Recon Force", "0.5", c.feature_type, ""]
        for k, (c, (lon, lat)) in enumerate(zip(world.cameras, ll, strict=True))
    ])  # fmt: skip
    _csv(folder / "media.csv", ["mediaID", "deploymentID", "captureMethod", "timestamp", "filePath", "filePublic",
                                "fileMediatype"], [])  # fmt: skip
    on_camera = [d for d in world.detections if d.camera is not None]
    observations = _csv(folder / "observations.csv", [
        "observationID", "deploymentID", "eventID", "eventStart", "eventEnd", "observationLevel", "observationType",
        "scientificName", "count", "individualID"], [
        [f"obs-{k + 1}", world.cameras[d.camera].deployment_id, f"event-{k + 1}", iso(d.t), iso(d.t + 30), "event",
         "animal", d.species, d.count, d.individual]
        for k, d in enumerate(on_camera)
    ])  # fmt: skip
    return {"camera deployments": deployments, "camera detections": observations}


def write_truth(world: World, path: str | Path) -> None:
    """The hidden answers, on the world's grid: keep them beside the package, not in it."""
    np.savez_compressed(
        path, truth_intensity=world.truth_intensity, leopard_presence=world.leopard_presence,
        musk_deer_habitat=world.musk_deer_habitat, geotransform=np.array(world.grid.geotransform),
        epsg=np.array(EPSG), start=np.array(world.start), end=np.array(world.end),
    )  # fmt: skip
