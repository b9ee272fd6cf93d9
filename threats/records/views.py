"""The manager web shell's overview: what was found lately (threats) beside the coming patrols (patrol).

It lives on the threats side because threats builds on patrol: a page that shows both belongs to
the layer that may import both.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from patrol.patrols.selectors import upcoming_patrols
from patrol.reserves.context_processors import current_reserve
from patrol.reserves.models import Role
from patrol.reserves.selectors import role_get
from threats.records.selectors import reserve_summary
from threats.reports.views import month_at_a_glance


@login_required
def home(request: HttpRequest) -> HttpResponse:
    context: dict = {}
    reserve = current_reserve(request).get("current_reserve")
    if reserve is not None:
        role = role_get(user=request.user, reserve=reserve)
        context = {
            "summary": reserve_summary(user=request.user, reserve=reserve),
            "upcoming": upcoming_patrols(user=request.user, reserve=reserve),
            "role_label": Role(role).label if role else "",
            "dashboard": month_at_a_glance(user=request.user, reserve=reserve),
        }
    # Times on the page are the reserve's local times (override, not activate: the thread serves other requests).
    with timezone.override(reserve.timezone if reserve is not None else None):
        return render(request, "patrol/home.html", context)
