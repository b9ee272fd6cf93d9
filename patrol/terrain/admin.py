from django.contrib import admin

from patrol.reserves.admin_base import ReserveScopedAdmin
from patrol.terrain.models import TerrainGrid, TerrainImport, ValleyReach


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


@admin.register(TerrainImport)
class TerrainImportAdmin(ReserveScopedAdmin):
    """DEM imports are made by uploading a DEM on the reserve; here they are followed."""

    list_display = ["__str__", "reserve", "status", "resolution_m", "attempts", "created_at", "finished_at"]
    list_filter = ["reserve", "status"]
    readonly_fields = [f.name for f in TerrainImport._meta.fields]

    def has_add_permission(self, request):
        return False
