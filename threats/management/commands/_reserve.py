from django.core.management.base import CommandError

from patrol.reserves.models import Reserve
from patrol.terrain.models import TerrainGrid


def reserve_with_terrain(slug: str) -> tuple[Reserve, TerrainGrid]:
    """The reserve and its terrain grid, or a CommandError that says what is missing."""
    reserve = Reserve.objects.filter(slug=slug).first()
    if reserve is None:
        raise CommandError(f"No reserve with slug {slug!r}.")
    terrain = TerrainGrid.objects.filter(reserve=reserve).first()
    if terrain is None:
        raise CommandError(f"{reserve.slug} has no terrain: import a DEM first (import_dem).")
    return reserve, terrain
