from django.contrib import admin

from patrol.reserves.admin_base import ReserveScopedAdmin
from patrol.routing.models import RoutePlan


@admin.register(RoutePlan)
class RoutePlanAdmin(ReserveScopedAdmin):
    list_display = ["__str__", "reserve", "status", "hours", "days", "transport", "created_at"]
    list_filter = ["reserve", "status"]
    readonly_fields = ["status", "error", "risk_source", "routes", "finished_at"]
