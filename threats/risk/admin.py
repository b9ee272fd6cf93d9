from django.contrib import admin

from patrol.reserves.admin_base import ReadOnlyAdmin
from threats.risk.models import RiskRun


@admin.register(RiskRun)
class RiskRunAdmin(ReadOnlyAdmin):
    # The layers live under IRBIS_PRIVATE_ROOT; the map and the API hand them out by role.
    list_display = ["__str__", "reserve", "trigger", "progress", "stage", "inputs_end", "finished_at"]
    list_filter = ["reserve", "status", "trigger"]
    exclude = ["snares", "uncertainty", "leopard", "leopard_uncertainty", "effort", "explain_layers"]
