from django.contrib import admin
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from patrol.reserves.admin_base import ReserveScopedAdmin
from patrol.reserves.models import AccessPoint, LoginFailure, Membership, Post, Reserve, Team, Zone
from patrol.terrain.services import DEFAULT_RESOLUTION_M
from patrol.terrain.tasks import terrain_import_task


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


@admin.register(LoginFailure)
class LoginFailureAdmin(admin.ModelAdmin):
    """Failed sign-ins are not reserve data: platform superusers only, e.g. to unlock an account early."""

    list_display = ["username", "address", "at"]
    search_fields = ["username", "address"]
    readonly_fields = ["username", "address", "at"]

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser
