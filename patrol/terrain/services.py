"""Writes for terrain: importing a reserve's DEM, now (`terrain_import`) or as a background job
(`terrain_import_request`, run by the worker through `terrain_import_run`).

The numerical work lives in patrol.terrain.raster_io and patrol.terrain.graph (arrays in, arrays
out); this module moves data between them and the database.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from django.contrib.gis.geos import GEOSGeometry, LineString
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from patrol.jobs.runner import job_enqueue, job_run
from patrol.reserves.access import require_manager
from patrol.reserves.models import Reserve, Zone
from patrol.reserves.selectors import User
from patrol.terrain.models import TerrainGrid, TerrainImport, ValleyReach
from patrol.terrain.raster_io import (
    Raster,
    RasterError,
    geotiff_bytes,
    lonlat_to_cell,
    raster_header_check,
    read_dem,
    read_raster,
    transform_points,
)

DEFAULT_RESOLUTION_M = 50.0


VALLEY_REACH_DISTANCE_M = 500.0  # cells this close to a reach's floor count towards that valley


MIN_CATCHMENT_KM2 = 5.0


def _reach_labels(shape: tuple[int, int], reaches: list[tuple[int, list]], resolution_m: float) -> np.ndarray:
    """Each cell's nearest reach (by its floor cells), if within VALLEY_REACH_DISTANCE_M; else 0."""
    from scipy import ndimage  # the numerical stack is imported by the work that needs it (fast start-up)

    floor = np.zeros(shape, dtype=np.int32)
    for reach_id, cells in reaches:
        rows, cols = np.asarray(cells, dtype=np.int64).reshape(-1, 2).T
        floor[rows, cols] = reach_id
    distance, (near_r, near_c) = ndimage.distance_transform_edt(floor == 0, return_indices=True)
    labels = floor[near_r, near_c]
    labels[distance * resolution_m > VALLEY_REACH_DISTANCE_M] = 0
    return labels


@transaction.atomic
def terrain_import(*, reserve: Reserve, path: str | os.PathLike, resolution_m: float = DEFAULT_RESOLUTION_M,
                   actor: User | None = None) -> TerrainGrid:  # fmt: skip
    """Resample a DEM (any CRS) into the reserve's projected CRS and derive slope, hillshade and valleys.

    Raises ValidationError with a message naming the file for corrupt, empty, unsupported or
    misplaced DEMs; the previous terrain stays as it was.
    """
    from patrol.terrain.graph import hillshade, slope_degrees, valley_network  # see _reach_labels
    from patrol.terrain.web_map import hillshade_render

    if actor is not None:
        require_manager(user=actor, reserve=reserve)
    if not 5 <= resolution_m <= 1000:
        raise ValidationError({"resolution_m": _("The planning resolution must be between 5 and 1000 m.")})
    try:
        dem = read_dem(path, target_srid=reserve.projected_epsg, resolution_m=resolution_m)
    except RasterError as exc:
        raise ValidationError({"dem": [str(exc)]}) from exc
    if np.isnan(dem.data).all():
        raise ValidationError({"dem": [_("%(name)s has no elevation values.") % {"name": Path(path).name}]})
    _check_overlap(reserve, dem, Path(path).name)

    dx, dy = dem.cell_sizes_m()
    slope = slope_degrees(dem.data, dx_m=dx, dy_m=dy)
    shade = hillshade(dem.data, dx_m=dx, dy_m=dy)
    min_cells = max(int(MIN_CATCHMENT_KM2 * 1e6 / (resolution_m * resolution_m)), 4)
    # On the elevation as stored (float32), as the risk model will read it back: the same bytes let the
    # model reuse this process's depression filling (patrol.terrain.graph.fill_depressions).
    stored = dem.data.astype(np.float32).astype(np.float64)
    valleys = valley_network(np.nan_to_num(stored, nan=float(np.nanmin(stored))), dx_m=dx, dy_m=dy,
                             min_catchment_cells=min_cells, grid=dem.grid)  # fmt: skip
    reach_edges = [data for _, _, data in valleys.network.edges(data=True) if len(data["cells"]) >= 2]
    labels = _reach_labels(dem.shape, [(e["reach_id"], e["cells"]) for e in reach_edges], resolution_m)

    TerrainGrid.objects.filter(reserve=reserve).delete()
    stem = f"{reserve.slug}-{int(resolution_m)}m"
    grid = TerrainGrid(
        reserve=reserve, source_name=Path(path).name, srid=dem.srid, resolution_m=resolution_m,
        geotransform=list(dem.geotransform), width=dem.shape[1], height=dem.shape[0],
        elevation_min_m=float(np.nanmin(dem.data)), elevation_max_m=float(np.nanmax(dem.data)),
    )  # fmt: skip

    def tif(data: np.ndarray, dtype: str = "float32") -> ContentFile:
        return ContentFile(geotiff_bytes(data, grid=dem.grid, srid=dem.srid, dtype=dtype))

    grid.elevation.save(f"{stem}-elevation.tif", tif(dem.data), save=False)
    grid.slope.save(f"{stem}-slope.tif", tif(slope), save=False)
    grid.hillshade.save(f"{stem}-hillshade.tif", tif(shade), save=False)
    grid.flow_accumulation.save(f"{stem}-accumulation.tif", tif(valleys.accumulation), save=False)
    grid.reach_labels.save(f"{stem}-reaches.tif", tif(labels, dtype="int32"), save=False)
    grid.full_clean()
    grid.save()
    hillshade_render(grid)  # the maps' basemap, drawn now so that a GET only reads it

    ValleyReach.objects.filter(reserve=reserve).delete()
    cell_km2 = resolution_m * resolution_m / 1e6
    rows = []
    for edge in reach_edges:
        lonlat = transform_points(np.asarray(edge["coords"], dtype=float), from_srid=dem.srid, to_srid=4326)
        rows.append(ValleyReach(
            reserve=reserve, reach_id=edge["reach_id"], name=edge["name"],
            geometry=LineString([tuple(p) for p in lonlat.tolist()], srid=4326), length_m=float(edge["length_m"]),
            catchment_km2=round(float(edge["catchment_cells"]) * cell_km2, 3),
        ))  # fmt: skip
    ValleyReach.objects.bulk_create(rows)
    return grid


@transaction.atomic
def terrain_import_request(*, reserve: Reserve, path: str | os.PathLike, resolution_m: float = DEFAULT_RESOLUTION_M,
                           actor: User | None = None) -> TerrainImport:  # fmt: skip
    """Queue a DEM import for the worker (resampling and valleys take seconds to minutes); the job
    is sent when the transaction commits. With an actor, only managers may ask."""
    if actor is not None and not actor.is_superuser:
        require_manager(user=actor, reserve=reserve)
    try:  # from the header alone, so that the person importing hears of a bad file now, not the worker
        raster_header_check(path, name=os.path.basename(path))
    except RasterError as exc:
        raise ValidationError({"dem": [str(exc)]}) from exc
    job = TerrainImport(reserve=reserve, source_path=str(path), resolution_m=resolution_m,
                        requested_by=actor if actor is not None and actor.is_authenticated else None)  # fmt: skip
    job.full_clean()
    job.save()
    job_enqueue(job)
    return job


def terrain_import_run(*, import_id: int) -> TerrainImport | None:
    """The worker's body of a DEM import job: a file that cannot be imported fails the job with the reason."""

    def work(job: TerrainImport) -> dict:
        grid = terrain_import(reserve=job.reserve, path=job.source_path, resolution_m=job.resolution_m)
        return {"grid": grid}

    return job_run(TerrainImport, import_id, work, expected=(ValidationError,),
                   message_of=lambda exc: " ".join(exc.messages))  # fmt: skip


@transaction.atomic
def valley_reaches_name(*, reserve: Reserve, named: list[tuple[str, GEOSGeometry]]) -> int:
    """Name the reserve's valley reaches from named lines or points (any SRID; patrol.terrain.naming):
    a reach takes the name that runs along it or is placed nearest to it, else keeps its code.
    Returns how many reaches carry a name."""
    import shapely  # with the work, not at start-up (as in _reach_labels)

    from patrol.terrain.naming import name_reaches

    srid = reserve.projected_epsg
    reaches = list(ValleyReach.objects.filter(reserve=reserve))
    shapes = []
    for name, geometry in named:
        projected = geometry.transform(srid, clone=True) if geometry.srid and geometry.srid != srid else geometry
        shapes.append((name, shapely.from_wkb(bytes(projected.wkb))))
    names = name_reaches(
        [(r.reach_id, np.asarray(r.geometry.transform(srid, clone=True).coords)) for r in reaches], shapes
    )
    for reach in reaches:
        reach.name = names.get(reach.reach_id, ValleyReach.code(reach.reach_id))
    ValleyReach.objects.bulk_update(reaches, ["name"])
    return len(names)


def _check_overlap(reserve: Reserve, dem: Raster, name: str) -> None:
    import shapely

    boundary = reserve.boundary.transform(dem.srid, clone=True)
    dem_box = shapely.box(*dem.grid.bounds)
    if not dem_box.intersects(shapely.from_wkb(bytes(boundary.wkb))):
        raise ValidationError({"dem": [_("%(name)s does not overlap the reserve %(reserve)s.")
                                       % {"name": name, "reserve": reserve.name}]})  # fmt: skip


def grid_raster(grid: TerrainGrid, layer: str = "elevation") -> Raster:
    return read_raster(getattr(grid, layer).path)


def grid_cell_of(grid: TerrainGrid, lon: float, lat: float) -> tuple[int, int]:
    return lonlat_to_cell(grid.grid, grid.srid, lon, lat)


def zones_on_grid(grid: TerrainGrid, codes: dict[str, int]) -> np.ndarray:
    """Per cell, the code of the zone (of a kind in `codes`) whose area holds the cell's centre, else 0;
    where zones overlap the later one (by primary key) wins."""
    import shapely

    zones = Zone.objects.filter(reserve_id=grid.reserve_id, kind__in=list(codes)).order_by("pk")
    return grid.grid.rasterise_polygons(
        (shapely.from_wkb(bytes(area.transform(grid.srid, clone=True).wkb)), codes[kind])
        for kind, area in zones.values_list("kind", "area")
    )


def no_go_mask(grid: TerrainGrid) -> np.ndarray:
    """Cells whose centre lies in one of the reserve's no-go zones: impassable for planning."""
    return zones_on_grid(grid, {Zone.Kind.NO_GO: 1}).astype(bool)
