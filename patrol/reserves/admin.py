from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from patrol.reserves.admin_base import ReserveScopedAdmin, admin_reserve_ids
from patrol.reserves.models import AccessPoint, LoginFailure, Membership, Post, Reserve, Role, Team, Zone
from patrol.terrain.raster_io import RasterError, raster_header_check
from patrol.terrain.services import DEFAULT_RESOLUTION_M, terrain_import_request


class ReserveForm(forms.ModelForm):
    def clean_dem(self):
        dem = self.cleaned_data.get("dem")
        if dem and "dem" in self.changed_data:
            # From the header alone: a small file may declare 100,000 x 100,000 cells.
            try:
                if hasattr(dem, "temporary_file_path"):
                    raster_header_check(dem.temporary_file_path(), name=dem.name)
                else:
                    raster_header_check(dem.read(), name=dem.name)
                    dem.seek(0)
            except RasterError as exc:
                raise forms.ValidationError(str(exc)) from exc
        return dem


@admin.register(Reserve)
class ReserveAdmin(ReserveScopedAdmin):
    """Reserves are created and removed by platform superusers; a reserve's admins may edit it."""

    form = ReserveForm
    reserve_path = "id"
    list_display = ["name", "slug", "projected_epsg", "timezone", "sensitive_grid_degrees", "terrain"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "slug"]

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        if request.user.is_superuser:
            return True
        reserve_admin = admin_reserve_ids(request, (Role.ADMIN,))
        allowed = reserve_admin.filter(reserve_id=obj.pk) if obj is not None else reserve_admin
        return allowed.exists() and super().has_change_permission(request, obj)

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
    """Who may do what in a reserve: changed only by that reserve's admins, and never one's own."""

    admin_roles = (Role.ADMIN,)
    list_display = ["user", "reserve", "role", "sensitive_clearance"]
    list_filter = ["reserve", "role", "sensitive_clearance"]
    search_fields = ["user__username"]

    def _own(self, request, obj) -> bool:
        return obj is not None and obj.user_id == request.user.pk and not request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return not self._own(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._own(request, obj) and super().has_delete_permission(request, obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)

        class NotOneselfForm(form):
            def clean_user(self):
                user = self.cleaned_data["user"]
                if user == request.user and not request.user.is_superuser:
                    raise forms.ValidationError(_("You cannot change your own role or clearance."))
                return user

        return NotOneselfForm


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
