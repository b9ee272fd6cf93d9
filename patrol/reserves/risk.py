"""What patrol asks of the risk model, without importing it.

The risk model (threats.risk) builds on patrol: it reads reserves, patrols and terrain. Patrol in
turn needs the current risk surface to plan routes over. To keep imports one way, patrol names that
function in settings (like Django's EMAIL_BACKEND) and the composition root (config.settings.base)
points it at threats: IRBIS_RISK_SURFACE, the dotted path of
f(terrain: TerrainGrid) -> (array on the terrain grid, description).

(New evidence asks for a risk recompute through the outbox, by Celery task name:
patrol.jobs.follow_up.evidence_changed.)
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
