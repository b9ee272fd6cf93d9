"""Manager web shell: the planning page (pick post, day, team and hours; see suggested routes over the risk
map; adjust, re-plan and accept one as a planned patrol).

The page is a shell: it asks for plans and accepts routes through the route-plan API (/api/v1/route-plans/),
which checks roles; the risk overlays come from the risk map's API, named by URL only (patrol never
imports threats). Managers and reserve administrators only.
"""

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from patrol.patrols.models import Patrol
from patrol.reserves.context_processors import current_reserve
from patrol.reserves.models import Post, Team
from patrol.reserves.selectors import WRITE_ALL_ROLES
from patrol.routing.services import DEFAULT_START_TIME
from patrol.terrain.models import TerrainGrid
from patrol.terrain.selectors import post_nearest_valley, valley_choices


@login_required
@require_GET
def planning(request: HttpRequest) -> HttpResponse:
    shell = current_reserve(request)
    reserve = shell.get("current_reserve")
    if reserve is not None and shell.get("current_role") not in WRITE_ALL_ROLES:
        raise PermissionDenied(_("Patrol planning is for managers and reserve administrators."))
    context: dict[str, Any] = {"reserve": reserve, "i18n": _strings()}
    if reserve is not None:
        valleys = valley_choices(reserve_id=reserve.pk)
        wanted = [name for name in request.GET.getlist("must_pass") if name in valleys]
        posts = list(Post.objects.filter(reserve=reserve).order_by("name"))
        teams = list(Team.objects.filter(reserve=reserve).prefetch_related("members").order_by("name"))
        # planning through a valley (from the risk map): start at the post nearest to it, with its team
        near = post_nearest_valley(reserve_id=reserve.pk, name=wanted[0]) if wanted else None
        if near is not None:
            teams.sort(key=lambda team: team.home_post_id != near.pk)
        context.update(
            posts=posts,
            teams=teams,
            start_post=near.pk if near is not None else None,
            transports=Patrol.Transport.choices,
            valleys=valleys,
            must_pass=wanted,
            has_terrain=TerrainGrid.objects.filter(reserve=reserve).exists(),
            tomorrow=(timezone.now().astimezone(ZoneInfo(reserve.timezone)) + timedelta(days=1)).date().isoformat(),
            start_time=DEFAULT_START_TIME.strftime("%H:%M"),
        )
    return render(request, "patrol/planning.html", context)


def _strings() -> dict[str, str]:
    """The page script's words, translated here (patrol/static/patrol/planning.js reads them)."""
    return {
        "queued": _("Waiting for the planner…"), "running": _("Planning routes…"), "done": _("Routes ready"),
        "failed": _("Planning failed"), "route": _("Route"), "hours": _("h"), "km": _("km"),
        "ascent": _("ascent"), "m": _("m"), "risk": _("covered risk"), "valleys": _("Valleys"),
        "no_valley": _("no named valley"), "accept": _("Accept this route"), "accepting": _("Saving…"),
        "accepted": _("Planned patrol #%(id)s: %(team)s, %(start)s to %(end)s (reserve time)."),
        "hillshade": _("Hillshade"), "risk_layer": _("Expected snares"),
        "chip_help": _("Click: avoid this valley in the next plan; again: pass through it; again: either."),
        "error": _("Something went wrong; please try again."),
    }  # fmt: skip
