"""Admin scoped like the API: staff see only their reserves' objects, sensitive points generalised."""

from django.contrib import admin
from leaflet.admin import LeafletGeoAdminMixin
from simple_history.admin import SimpleHistoryAdmin

from patrol.reserves.models import Membership


def admin_reserve_ids(request):
    return Membership.objects.filter(user=request.user).values("reserve_id")


class ReserveScopedAdmin(LeafletGeoAdminMixin, admin.ModelAdmin):
    reserve_path = "reserve_id"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{f"{self.reserve_path}__in": admin_reserve_ids(request)})


class ReserveScopedHistoryAdmin(ReserveScopedAdmin, SimpleHistoryAdmin):
    pass


class ReadOnlyAdmin(ReserveScopedAdmin):
    """Sync bookkeeping is written by the sync service only."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
