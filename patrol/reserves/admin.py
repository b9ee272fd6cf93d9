from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from patrol.reserves.admin_base import ReserveScopedAdmin
from patrol.reserves.models import AccessPoint, Membership, Post, Reserve, Team, Zone
from patrol.terrain.services import DEFAULT_RESOLUTION_M, terrain_import_request


@admin.register(Reserve)
class ReserveAdmin(ReserveScopedAdmin):
    reserve_path = "id"
    list_display = ["name", "slug", "projected_epsg", "timezone", "sensitive_grid_degrees", "terrain"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "slug"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if "dem" in form.changed_data and obj.dem:
            # Resampling and valley extraction take seconds to minutes: a job for the worker, sent on commit.
            terrain_import_request(
                reserve=obj, path=obj.dem.path, resolution_m=DEFAULT_RESOLUTION_M, actor=request.user
            )
            self.message_user(request, _("The elevation model is being imported; terrain layers follow shortly."))


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
