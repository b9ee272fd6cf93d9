from django.contrib import admin
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from patrol.admin_base import ReserveScopedAdmin, ReserveScopedHistoryAdmin
from patrol.models import (
    AccessPoint,
    Membership,
    Patrol,
    Post,
    Reserve,
    RoutePlan,
    Team,
    TerrainGrid,
    ValleyReach,
    Zone,
)
from patrol.tasks import terrain_import_task
from patrol.terrain_services import DEFAULT_RESOLUTION_M


@admin.register(Reserve)
class ReserveAdmin(ReserveScopedAdmin):
    reserve_path = "id"
    list_display = ["name", "slug", "projected_epsg", "timezone", "sensitive_grid_degrees", "terrain"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "slug"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if "dem" in form.changed_data and obj.dem:
            # Resampling and valley extraction take seconds to minutes: done by the worker.
            transaction.on_commit(lambda: terrain_import_task.delay(obj.pk, DEFAULT_RESOLUTION_M))
            self.message_user(request, _("The elevation model is being imported; terrain layers follow shortly."))


@admin.register(TerrainGrid)
class TerrainGridAdmin(ReserveScopedAdmin):
    list_display = ["reserve", "source_name", "srid", "resolution_m", "width", "height", "created_at"]
    readonly_fields = [f.name for f in TerrainGrid._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(ValleyReach)
class ValleyReachAdmin(ReserveScopedAdmin):
    list_display = ["name", "reserve", "length_m", "catchment_km2"]
    list_filter = ["reserve"]


@admin.register(RoutePlan)
class RoutePlanAdmin(ReserveScopedAdmin):
    list_display = ["__str__", "reserve", "status", "hours", "days", "transport", "created_at"]
    list_filter = ["reserve", "status"]
    readonly_fields = ["status", "error", "risk_source", "routes", "finished_at"]


@admin.register(Membership)
class MembershipAdmin(ReserveScopedAdmin):
    list_display = ["user", "reserve", "role", "sensitive_clearance"]
    list_filter = ["reserve", "role", "sensitive_clearance"]
    search_fields = ["user__username"]


@admin.register(Zone)
class ZoneAdmin(ReserveScopedAdmin):
    list_display = ["name", "reserve", "kind"]
    list_filter = ["reserve", "kind"]


@admin.register(Post)
class PostAdmin(ReserveScopedAdmin):
    list_display = ["name", "reserve", "kind"]
    list_filter = ["reserve", "kind"]


@admin.register(AccessPoint)
class AccessPointAdmin(ReserveScopedAdmin):
    list_display = ["name", "reserve", "kind"]
    list_filter = ["reserve", "kind"]


@admin.register(Team)
class TeamAdmin(ReserveScopedAdmin):
    list_display = ["name", "reserve", "home_post"]
    list_filter = ["reserve"]
    filter_horizontal = ["members"]


@admin.register(Patrol)
class PatrolAdmin(ReserveScopedHistoryAdmin):
    list_display = ["__str__", "reserve", "team", "status", "transport", "planned_start", "actual_start"]
    list_filter = ["reserve", "status", "transport", "team"]
    date_hierarchy = "planned_start"
    raw_id_fields = ["leader"]
