"""A small reserve with imported terrain (and its hillshade), in UTM 11N, for lifecycle and coverage tests."""

from django.contrib.gis.geos import LineString, MultiPolygon, Point, Polygon

from patrol.terrain.services import terrain_import
from tests.patrol.factories import ReserveFactory
from tests.patrol.terrain.helpers import UTM_11N, rolling_terrain, write_grid


def utm_to_lonlat(*xy: tuple[float, float]) -> list[tuple[float, float]]:
    out = []
    for x, y in xy:
        p = Point(x, y, srid=UTM_11N)
        p.transform(4326)
        out.append((p.x, p.y))
    return out


def utm_line(*xy: tuple[float, float]) -> LineString:
    return LineString(utm_to_lonlat(*xy), srid=4326)


def terrain_reserve(tmp_path, slug: str = "reserve-a", **fields):
    """2.1 x 1.8 km (origin 400000, 3800000 in UTM 11N), 30 m cells: 60 rows x 70 columns."""
    path = tmp_path / "dem.tif"
    write_grid(path, rolling_terrain())
    corners = Polygon.from_bbox((400_000, 3_798_200, 402_100, 3_800_000))
    corners.srid = UTM_11N
    corners.transform(4326)
    reserve = ReserveFactory(slug=slug, projected_epsg=UTM_11N, boundary=MultiPolygon(corners, srid=4326), **fields)
    terrain_import(reserve=reserve, path=path, resolution_m=30)
    return reserve
