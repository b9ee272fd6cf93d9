from django.contrib import admin

from patrol.reserves.admin_base import ReadOnlyAdmin, ReserveScopedAdmin
from patrol.scheduling.models import ScheduleDraft, ScheduleRun, TeamCalendarFeed, TeamDayOff


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


@admin.register(ScheduleDraft)
class ScheduleDraftAdmin(ReserveScopedAdmin):
    list_display = ["__str__", "run", "team", "post", "planned_start", "duration_h", "covered_risk"]
    list_filter = ["team", "post"]


@admin.register(TeamCalendarFeed)
class TeamCalendarFeedAdmin(ReadOnlyAdmin):
    """Feeds are made and revoked on the calendar page; here one can see which teams have one, and delete it."""

    reserve_path = "team__reserve_id"
    list_display = ["team", "created_by", "created_at"]
    exclude = ["token_sha256"]

    def has_delete_permission(self, request, obj=None):
        return self._may_use(request)
