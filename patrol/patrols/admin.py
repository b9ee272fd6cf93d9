from django.contrib import admin

from patrol.jobs.admin import EvidenceAdminMixin
from patrol.patrols.models import Patrol, TrackPoint
from patrol.reserves.admin_base import ReadOnlyAdmin, ReserveScopedHistoryAdmin


@admin.register(Patrol)
class PatrolAdmin(EvidenceAdminMixin, ReserveScopedHistoryAdmin):
    track_field = "track"
    list_display = ["__str__", "reserve", "team", "status", "transport", "planned_start", "actual_start"]
    list_filter = ["reserve", "status", "transport", "team"]
    date_hierarchy = "planned_start"
    raw_id_fields = ["leader"]


@admin.register(TrackPoint)
class TrackPointAdmin(ReadOnlyAdmin):
    reserve_path = "patrol__reserve_id"
    list_display = ["patrol", "segment", "recorded_at", "accuracy_m"]
    raw_id_fields = ["patrol"]
