"""Django loads an app's models from here: each domain keeps its own models module."""

from patrol.jobs.models import OutboxMessage
from patrol.patrols.models import Patrol, TrackPoint
from patrol.reserves.models import (
    AccessPoint,
    Membership,
    Post,
    Reserve,
    Role,
    Team,
    Zone,
    validate_projected_epsg,
    validate_timezone,
)
from patrol.routing.models import RoutePlan
from patrol.scheduling.models import ScheduleDraft, ScheduleRun, TeamCalendarFeed, TeamDayOff
from patrol.terrain.models import TerrainGrid, TerrainImport, ValleyReach

__all__ = [
    "AccessPoint",
    "Membership",
    "OutboxMessage",
    "Patrol",
    "Post",
    "Reserve",
    "Role",
    "RoutePlan",
    "ScheduleDraft",
    "ScheduleRun",
    "Team",
    "TeamCalendarFeed",
    "TeamDayOff",
    "TerrainGrid",
    "TerrainImport",
    "TrackPoint",
    "ValleyReach",
    "Zone",
    "validate_projected_epsg",
    "validate_timezone",
]
