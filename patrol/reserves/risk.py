"""What patrol asks of the risk model, without importing it.

The risk model (threats.risk) builds on patrol: it reads reserves, patrols and terrain. Patrol in
turn needs two things from it: the route planner plans over the current risk surface, and a new
patrol track (GPX import) is new effort that should trigger a risk recompute. To keep imports one
way, patrol names these two functions in settings (like Django's EMAIL_BACKEND) and the composition
root (config.settings.base) points them at threats:

- IRBIS_RISK_SURFACE: dotted path of f(terrain: TerrainGrid) -> (array on the terrain grid, description);
- IRBIS_RISK_RECOMPUTE: dotted path of f(reserve_id: int) -> None, called inside the writing
  transaction (it defers its own work to on_commit); empty to do nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from patrol.terrain.models import TerrainGrid


def risk_surface_for(terrain: TerrainGrid) -> tuple[np.ndarray, str]:
    """The risk surface to plan on, on the terrain's grid, and where it came from."""
    path = getattr(settings, "IRBIS_RISK_SURFACE", "")
    if not path:
        raise ImproperlyConfigured("IRBIS_RISK_SURFACE names no risk surface: route planning needs one")
    return import_string(path)(terrain)


def risk_recompute_after_new_data(reserve_id: int) -> None:
    """Tell the risk model that the reserve has new effort or finds (a no-op when none is configured)."""
    path = getattr(settings, "IRBIS_RISK_RECOMPUTE", "")
    if path:
        import_string(path)(reserve_id)
