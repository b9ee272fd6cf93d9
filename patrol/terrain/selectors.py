"""Reads of terrain and valley reaches."""

from collections import defaultdict

import numpy as np
from django.contrib.gis.db.models.aggregates import Union
from django.contrib.gis.db.models.functions import Distance
from django.db.models import QuerySet

from patrol.reserves.models import Post
from patrol.reserves.selectors import User, scoped
from patrol.terrain.models import TerrainGrid, ValleyReach
from patrol.terrain.raster_io import read_raster


def valley_reaches_for_user(*, user: User) -> QuerySet[ValleyReach]:
    return scoped(ValleyReach.objects.select_related("reserve"), user=user)


def valley_names(*, reserve_id: int) -> dict[int, str]:
    """Each reach's name (a valley's name where the reserve's data give one, else its code)."""
    return dict(ValleyReach.objects.filter(reserve_id=reserve_id).values_list("reach_id", "name"))


def reach_ids_by_name(*, reserve_id: int) -> dict[str, list[int]]:
    """The reaches of each valley, by name (a named valley is usually several reaches)."""
    out: dict[str, list[int]] = defaultdict(list)
    for reach_id, name in ValleyReach.objects.filter(reserve_id=reserve_id).values_list("reach_id", "name"):
        out[name].append(reach_id)
    return dict(out)


def valley_choices(*, reserve_id: int) -> list[str]:
    """The reserve's valley names for a picker: named valleys first (alphabetically), then codes."""
    names = set(ValleyReach.objects.filter(reserve_id=reserve_id).values_list("name", flat=True))
    return sorted(names, key=lambda name: (ValleyReach.is_code(name), name))


def post_nearest_valley(*, reserve_id: int, name: str) -> Post | None:
    """The reserve's post nearest to a valley (any of its reaches), or None."""
    reaches = ValleyReach.objects.filter(reserve_id=reserve_id, name=name).aggregate(lines=Union("geometry"))["lines"]
    if reaches is None:
        return None
    posts = Post.objects.filter(reserve_id=reserve_id).annotate(gap=Distance("location", reaches))
    return posts.order_by("gap", "pk").first()


def reach_labels(grid: TerrainGrid) -> np.ndarray:
    """The reach ID of each cell of the terrain grid (0 away from the valley floors)."""
    return np.nan_to_num(read_raster(grid.reach_labels.path).data, nan=0.0).astype(np.int64)
