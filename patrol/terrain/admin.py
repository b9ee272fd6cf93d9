from django.contrib import admin

from patrol.reserves.admin_base import ReserveScopedAdmin
from patrol.terrain.models import TerrainGrid, ValleyReach


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
