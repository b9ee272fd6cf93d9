"""Manager web shell: the risk map (layers over the hillshade, records, valley ranking, explain on click).

The page itself is a shell; its data come from the API (/api/v1/risk/<slug>/..., the GeoJSON record
lists) and from the overlay PNGs below, each checked against the reserve's roles: non-members 404,
rangers 403, and the leopard overlay generalised for people without clearance.
"""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from config.storage import private_storage
from patrol.reserves.context_processors import current_reserve
from patrol.reserves.selectors import WRITE_ALL_ROLES, role_get
from patrol.terrain.models import TerrainGrid
from patrol.terrain.web_map import hillshade_png_get
from threats.records.models import Detection, Incident, Species
from threats.risk.compute import LAYERS
from threats.risk.models import RiskRun
from threats.risk.selectors import has_clearance, risk_may_read, risk_overlay_path, risk_reserve_get


@login_required
@require_GET
def risk_map(request: HttpRequest) -> HttpResponse:
    reserve = current_reserve(request).get("current_reserve")
    if reserve is not None and not risk_may_read(user=request.user, reserve=reserve):
        raise PermissionDenied(_("Risk maps are for managers, reserve administrators and analysts."))
    context = {"reserve": reserve, "i18n": _strings()}
    if reserve is not None:
        context["clearance"] = has_clearance(user=request.user, reserve=reserve)
        context["can_plan"] = role_get(user=request.user, reserve=reserve) in WRITE_ALL_ROLES
    return render(request, "threats/risk_map.html", context)


def _strings() -> dict[str, Any]:
    """The map script's words, translated here (threats/static/threats/risk_map.js reads them)."""
    return {
        "snares": _("Expected snares"), "leopard": _("Leopard risk"), "uncertainty": _("Uncertainty"),
        "leopard_uncertainty": _("Leopard risk uncertainty"),
        "effort": _("Patrol effort"), "finds": _("Snare finds"), "incidents": _("Incidents"),
        "detections": _("Wildlife detections"), "hillshade": _("Hillshade"),
        "no_run": _("No risk computation has finished for this reserve yet."),
        "run": _("Model run"), "data": _("data"), "to": _("to"), "finished": _("finished"),
        "computing": _("Recomputing"), "queued": _("Recompute queued"), "failed": _("Last recompute failed"),
        # the explanation: a ranger's words first, the model's numbers behind a toggle
        "why": _("Why this cell?"), "reasons": _("What makes it so:"), "uncertain": _("uncertain"),
        "raises": _("raises the risk"), "lowers": _("lowers the risk"),
        "leopard_chance": _("Chance that a camera here records a leopard"),
        "show_numbers": _("Show the numbers"),
        "intensity": _("Expected snare lines set per year in this cell"), "sd": _("standard deviation"),
        "log_intensity": _("Log-intensity of the cell (the model's scale)"),
        "baseline": _("Reserve-average cell (log)"), "effort_here": _("Patrol effort here"), "visits": _("visits"),
        "km": _("km"), "hours": _("hours"), "data_weight": _("Weight of local data (0 = prior only)"),
        "finds_near": _("Finds near the cell / expected"), "leopard_presence": _("Leopard presence"),
        "leopard_risk": _("Leopard risk (snare lines per year × chance of a leopard)"),
        "generalised": _("generalised"), "outside": _("Outside the reserve grid."), "loading": _("Loading…"),
        "contributions": _("What drove it (contributions to log-intensity)"),
        # the valley ranking
        "up": _("up"), "down": _("down"), "steady": _("steady"), "new": _("new"),
        "new_note": _("practically none before"), "change_lines": _("%(change)s snare lines/yr"),
        "previous": _("Trend against the same-length window ending"),
        "legend_low": _("low"), "legend_high": _("high"), "no_valleys": _("No valley reaches on this terrain."),
        "plan_through": _("Plan a patrol through %(valley)s"), "show_valley": _("Show this valley on the map"),
        # the records' tooltips: codes in the data, names in the user's language
        "kinds": {code: str(label) for code, label in [*Detection.ObservationType.choices, *Incident.Kind.choices]},
        "species": {s.scientific_name: s.common_name for s in Species.objects.all()},
    }  # fmt: skip


def _png(path: str | None) -> HttpResponse:
    """A stored map image; 404 when it has not been drawn (drawing happens when data are made, never here)."""
    if path is None or not private_storage.exists(path):
        raise Http404(_("This map layer has not been drawn yet."))
    with private_storage.open(path, "rb") as handle:  # a few hundred kB at most
        response = HttpResponse(handle.read(), content_type="image/png")
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
@require_GET
def risk_overlay(request: HttpRequest, slug: str, run_id: int, layer: str) -> HttpResponse:
    reserve = risk_reserve_get(user=request.user, slug=slug)
    if layer not in LAYERS:
        raise Http404(_("No such map layer."))
    run = get_object_or_404(RiskRun, pk=run_id, reserve=reserve, status=RiskRun.Status.DONE)
    return _png(risk_overlay_path(user=request.user, run=run, layer=layer))


@login_required
@require_GET
def risk_hillshade(request: HttpRequest, slug: str) -> HttpResponse:
    reserve = risk_reserve_get(user=request.user, slug=slug)
    terrain = get_object_or_404(TerrainGrid, reserve=reserve)
    stored = hillshade_png_get(terrain)
    return _png(stored[0] if stored else None)
