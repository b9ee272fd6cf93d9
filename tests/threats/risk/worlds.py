"""Small synthetic reserves (the demo generator at a smaller size) for the risk tests."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
from django.contrib.gis.geos import LineString, MultiLineString, MultiPolygon, Point, Polygon

from patrol.patrols.models import Patrol
from patrol.reserves.models import AccessPoint
from patrol.terrain.services import terrain_import
from tests.patrol.factories import ReserveFactory, TeamFactory
from threats.interchange import demo
from threats.interchange.demo_seed import demo_geotiff_bytes, to_wgs84
from threats.records.models import CameraDeployment, Detection, Incident, SnareFind, Species

WORLD_END = datetime(2026, 11, 1, tzinfo=UTC)


def seed_world(slug: str, tmp_path, *, size_m: float = 8000.0, cell_m: float = 100.0, seed: int = 1,
               end: datetime = WORLD_END):  # fmt: skip
    """A small synthetic reserve (patrol.demo at a smaller size) with terrain, patrols and records."""
    world = demo.generate(seed=seed, end=end, size_m=size_m, cell_m=cell_m)
    x0, y0 = world.origin
    square = Polygon.from_bbox((x0, y0 - size_m, x0 + size_m, y0))
    square.srid = demo.DEMO_EPSG
    square.transform(4326)
    reserve = ReserveFactory(slug=slug, name=f"Reserve {slug}", projected_epsg=demo.DEMO_EPSG,
                             boundary=MultiPolygon(square, srid=4326))  # fmt: skip
    dem = tmp_path / f"{slug}-dem.tif"
    dem.write_bytes(demo_geotiff_bytes(world, world.elevation))
    terrain_import(reserve=reserve, path=dem, resolution_m=cell_m)
    point = lambda ll: Point(float(ll[0]), float(ll[1]), srid=4326)  # noqa: E731
    access_ll = to_wgs84(np.array([(a[2], a[3]) for a in world.access_points]))
    for (name, kind, _x, _y), ll in zip(world.access_points, access_ll, strict=True):
        AccessPoint.objects.create(reserve=reserve, name=name, kind=kind, location=point(ll))
    team = TeamFactory(reserve=reserve)
    patrols = Patrol.objects.bulk_create([
        Patrol(reserve=reserve, team=team, actual_start=p.start, actual_end=p.end, status=Patrol.Status.COMPLETED,
               track=MultiLineString(LineString([tuple(c) for c in to_wgs84(p.track_xy)], srid=4326), srid=4326))
        for p in world.patrols
    ])  # fmt: skip
    finds_ll = to_wgs84(np.array([(f.x, f.y) for f in world.finds]))
    finds = SnareFind.objects.bulk_create([
        SnareFind(reserve=reserve, patrol=patrols[f.patrol], location=point(ll), found_at=f.found_at, count=f.count,
                  material=f.material, state=f.state, action=f.action)
        for f, ll in zip(world.finds, finds_ll, strict=True)
    ])  # fmt: skip
    for incident, ll in zip(world.incidents, to_wgs84(np.array([(i.x, i.y) for i in world.incidents])), strict=True):
        row = Incident.objects.create(reserve=reserve, location=point(ll), kind=incident.kind, occurred_at=incident.at)
        row.snare_finds.set([finds[i] for i in incident.find_indexes])
    species = {s.scientific_name: s for s in Species.objects.all()}
    cameras = CameraDeployment.objects.bulk_create([
        CameraDeployment(reserve=reserve, deployment_id=c.deployment_id, location=point(ll), start=c.start, end=c.end)
        for c, ll in zip(world.cameras, to_wgs84(np.array([(c.x, c.y) for c in world.cameras])), strict=True)
    ])  # fmt: skip
    Detection.objects.bulk_create([
        Detection(reserve=reserve, species=species[d.species], method=d.method, observed_at=d.at, location=point(ll),
                  deployment=cameras[d.camera] if d.camera is not None else None)
        for d, ll in zip(world.detections, to_wgs84(np.array([(d.x, d.y) for d in world.detections])), strict=True)
    ])  # fmt: skip
    return reserve, world


def _lonlat(x, y, srid=demo.DEMO_EPSG):
    point = Point(float(x), float(y), srid=srid)
    point.transform(4326)
    return point.x, point.y
