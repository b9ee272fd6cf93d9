from django.contrib import admin

from patrol.reserves.admin_base import ReadOnlyAdmin, ReserveScopedAdmin
from patrol.scheduling.models import ScheduleRun, TeamDayOff


@admin.register(TeamDayOff)
class TeamDayOffAdmin(ReserveScopedAdmin):
    reserve_path = "team__reserve_id"
    list_display = ["team", "date", "note"]
    list_filter = ["team"]
    date_hierarchy = "date"


@admin.register(ScheduleRun)
class ScheduleRunAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "status", "seed", "created_at", "approved_at"]
    list_filter = ["status"]
