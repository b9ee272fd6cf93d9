"""The manager web shell: overview and reserve switcher. Later pages hang off the same base template."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from patrol.patrols.selectors import upcoming_patrols
from patrol.reserves.context_processors import current_reserve
from patrol.reserves.models import Role
from patrol.reserves.selectors import reserve_get_for_user, role_get
from threats.records.selectors import reserve_summary


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
        }
    return render(request, "patrol/home.html", context)


@login_required
@require_POST
def reserve_switch(request: HttpRequest) -> HttpResponse:
    reserve = reserve_get_for_user(user=request.user, slug=request.POST.get("reserve", ""))
    request.session["reserve_slug"] = reserve.slug
    return redirect("home")
