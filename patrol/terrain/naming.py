"""Valley names for the reaches of a valley network, from named lines and points.

A reserve's data may name its valleys: lines drawn along valley floors, or points (a label placed
in the valley). A reach takes the name of the named line that runs along most of it (at least
`LINE_SHARE` of its length within `LINE_WITHIN_M`); a named point names the reach nearest to it
(within `POINT_WITHIN_M`) when no line named that reach. Reaches nothing names keep their code.

Pure module: coordinates in one projected CRS (metres) in, names out.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import shapely

LINE_WITHIN_M = 300.0
LINE_SHARE = 0.5
POINT_WITHIN_M = 1000.0
SAMPLE_M = 25.0  # a reach is judged at points this far apart along it (its share of length, not of vertices)


def _along(xy: np.ndarray) -> np.ndarray:
    if len(xy) < 2:
        return shapely.points(xy)
    line = shapely.LineString(xy)
    n = max(int(np.ceil(line.length / SAMPLE_M)) + 1, 2)
    return shapely.line_interpolate_point(line, np.linspace(0.0, line.length, n))


def name_reaches(
    reaches: Iterable[tuple[int, np.ndarray]],
    named: Iterable[tuple[str, shapely.Geometry]],
    *,
    line_within_m: float = LINE_WITHIN_M,
    line_share: float = LINE_SHARE,
    point_within_m: float = POINT_WITHIN_M,
) -> dict[int, str]:
    """{reach_id: name} for the reaches that `named` names (reach vertices as an (n, 2) array)."""
    reaches = [(int(rid), np.asarray(xy, dtype=np.float64).reshape(-1, 2)) for rid, xy in reaches]
    lines, points = [], []
    for name, geometry in named:
        name = str(name).strip()
        if not name or geometry is None or geometry.is_empty:
            continue
        kind = shapely.get_type_id(geometry)
        (points if kind in (0, 4) else lines).append((name, geometry))  # 0 Point, 4 MultiPoint
    out: dict[int, str] = {}
    for reach_id, xy in reaches:
        vertices = _along(xy)
        best, best_share = None, 0.0
        for name, line in lines:
            share = float(np.mean(shapely.distance(vertices, line) <= line_within_m))
            if share >= line_share and share > best_share:
                best, best_share = name, share
        if best is not None:
            out[reach_id] = best
    if reaches:
        shapes = [shapely.LineString(xy) if len(xy) > 1 else shapely.Point(xy[0]) for _, xy in reaches]
        for name, point in points:
            for part in shapely.get_parts(point):
                distance = shapely.distance(np.array(shapes), part)
                nearest = int(np.argmin(distance))
                reach_id = reaches[nearest][0]
                if distance[nearest] <= point_within_m and reach_id not in out:
                    out[reach_id] = name
    return out
