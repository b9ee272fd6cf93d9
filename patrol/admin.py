from django.contrib import admin

from patrol.admin_base import ReserveScopedAdmin, ReserveScopedHistoryAdmin
from patrol.models import AccessPoint, Membership, Patrol, Post, Reserve, Team, Zone


@admin.register(Reserve)
class ReserveAdmin(ReserveScopedAdmin):
    reserve_path = "id"
    list_display = ["name", "slug", "projected_epsg", "timezone", "sensitive_grid_degrees"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "slug"]


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
