"""A small reserve with named valleys (the demo generator at 8 x 8 km, 100 m cells) for the planning tests,
built once per module in a transaction rolled back at its end."""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np
from django.contrib.gis.geos import LineString, MultiPolygon, Point, Polygon
from django.db import transaction

from patrol.reserves.models import Post
from patrol.terrain.services import terrain_import, valley_reaches_name
from tests.patrol.factories import ReserveFactory, TeamFactory
from threats.interchange import demo
from threats.interchange.demo_seed import demo_geotiff_bytes, to_wgs84


def flat_risk(terrain):
    """Risk 1 everywhere (IRBIS_RISK_SURFACE in these tests): where routes go is the constraints' doing."""
    return np.ones((terrain.height, terrain.width)), "flat test surface"


@contextmanager
def module_transaction(django_db_blocker):
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
    try:
        yield
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def seed_valley_world(slug: str, tmp_path, *, seed: int = 1, size_m: float = 8000.0):
    """(reserve, posts, team, world): terrain, the demo's valleys naming its reaches, three posts, one team."""
    world = demo.generate(seed=seed, size_m=size_m, cell_m=100.0)
    x0, y0 = world.origin
    square = Polygon.from_bbox((x0, y0 - size_m, x0 + size_m, y0))
    square.srid = demo.DEMO_EPSG
    square.transform(4326)
    reserve = ReserveFactory(slug=slug, name=f"Reserve {slug}", projected_epsg=demo.DEMO_EPSG,
                             timezone="Asia/Barnaul", boundary=MultiPolygon(square, srid=4326))  # fmt: skip
    dem = tmp_path / f"{slug}-dem.tif"
    dem.write_bytes(demo_geotiff_bytes(world, world.elevation))
    terrain_import(reserve=reserve, path=dem, resolution_m=100.0)
    valley_reaches_name(reserve=reserve, named=[
        (v.name, LineString([tuple(p) for p in v.xy.tolist()], srid=demo.DEMO_EPSG)) for v in world.valleys
    ])  # fmt: skip
    lonlat = to_wgs84(np.array([(x, y) for _name, x, y in world.posts]))
    posts = [Post.objects.create(reserve=reserve, name=name, location=Point(*map(float, ll), srid=4326))
             for (name, _x, _y), ll in zip(world.posts, lonlat, strict=True)]  # fmt: skip
    team = TeamFactory(reserve=reserve, name=f"Team {slug}", home_post=posts[0])
    return reserve, posts, team, world
