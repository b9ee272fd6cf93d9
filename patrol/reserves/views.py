"""The manager web shell: the reserve switcher (the overview page is threats.records.views.home)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from patrol.reserves.selectors import reserve_get_for_user


@login_required
@require_POST
def reserve_switch(request: HttpRequest) -> HttpResponse:
    reserve = reserve_get_for_user(user=request.user, slug=request.POST.get("reserve", ""))
    request.session["reserve_slug"] = reserve.slug
    return redirect("home")
