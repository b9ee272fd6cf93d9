"""The calendar page of the manager web shell, its form posts, and the teams' iCalendar feeds."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from patrol.patrols.models import Patrol
from patrol.reserves.access import require_manager
from patrol.reserves.context_processors import current_reserve
from patrol.reserves.models import Reserve, Team
from patrol.scheduling import services
from patrol.scheduling.feeds import team_ical
from patrol.scheduling.forms import AutofillForm, MoveForm, PatrolCreateForm
from patrol.scheduling.models import ScheduleDraft, ScheduleRun
from patrol.scheduling.selectors import calendar_month, feed_patrols, feed_team_get, teams_with_feeds


def _reserve(request: HttpRequest) -> Reserve:
    """The shell's current reserve, which the user must manage (404 for none, 403 for other roles)."""
    reserve = current_reserve(request).get("current_reserve")
    if reserve is None:
        raise Http404(_("No such reserve."))
    require_manager(user=request.user, reserve=reserve)
    return reserve


def _month(text: str | None) -> date:
    today = timezone.localdate()
    if not text:
        return today.replace(day=1)
    try:
        year, month = (int(v) for v in text.split("-"))
        return date(year, month, 1)
    except ValueError:
        return today.replace(day=1)


def _back(request: HttpRequest, day: date | None = None) -> HttpResponse:
    month = request.POST.get("month") or (f"{day:%Y-%m}" if day else "")
    return redirect(f"{reverse('schedule-calendar')}?month={month}" if month else reverse("schedule-calendar"))


def _errors(request: HttpRequest, errors: ValidationError | dict) -> None:
    if isinstance(errors, ValidationError):
        errors = errors.message_dict if hasattr(errors, "error_dict") else {"": errors.messages}
    for field, items in errors.items():
        for error in items:
            messages.error(request, f"{field}: {error}" if field and field != "__all__" else str(error))


@login_required
@require_GET
def calendar_page(request: HttpRequest) -> HttpResponse:
    reserve = _reserve(request)
    with timezone.override(reserve.timezone):  # the page reads and offers the reserve's local times
        return _calendar_page(request, reserve)


def _calendar_page(request: HttpRequest, reserve: Reserve) -> HttpResponse:
    first = _month(request.GET.get("month"))
    month = calendar_month(reserve=reserve, first=first)
    feed_token = request.session.pop("feed_token", None)
    context = {
        "month": month,
        "create_form": PatrolCreateForm(reserve=reserve, initial={"day": first}, auto_id="create_%s"),
        "move_form": MoveForm(reserve=reserve, auto_id="move_%s"),
        "autofill_form": AutofillForm(initial={"start": first, "days": len(month.days)}, auto_id="autofill_%s"),
        "feed_teams": teams_with_feeds(reserve=reserve),
        "feed_token": feed_token,
        "feed_url": request.build_absolute_uri(reverse("schedule-feed", args=[feed_token[1]])) if feed_token else "",
        "run_pending": month.run is not None
        and month.run.status in (ScheduleRun.Status.QUEUED, ScheduleRun.Status.RUNNING),  # fmt: skip
    }
    return render(request, "patrol/calendar.html", context)


@login_required
@require_POST
def patrol_create_view(request: HttpRequest) -> HttpResponse:
    reserve = _reserve(request)
    form = PatrolCreateForm(request.POST, reserve=reserve)
    if not form.is_valid():
        _errors(request, form.errors)
        return _back(request)
    data = form.cleaned_data
    try:
        services.calendar_patrol_create(actor=request.user, reserve=reserve, team=data["team"], post=data["post"],
                                        day=data["day"], start=data["start"], hours=data["hours"])  # fmt: skip
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("Patrol planned for %(team)s on %(day)s.") % {"team": data["team"],
                                                                                   "day": data["day"]})  # fmt: skip
    return _back(request, data["day"])


def _move(request: HttpRequest, reserve: Reserve, apply) -> HttpResponse:
    form = MoveForm(request.POST, reserve=reserve)
    if not form.is_valid():
        _errors(request, form.errors)
        return _back(request)
    try:
        apply(form.cleaned_data["day"], form.cleaned_data["team"])
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("Moved to %(day)s.") % {"day": form.cleaned_data["day"]})
    return _back(request, form.cleaned_data["day"])


@login_required
@require_POST
def patrol_move_view(request: HttpRequest, pk: int) -> HttpResponse:
    reserve = _reserve(request)
    patrol = get_object_or_404(Patrol, pk=pk, reserve=reserve)
    return _move(request, reserve, lambda day, team: services.calendar_patrol_move(
        actor=request.user, patrol=patrol, day=day, team=team))  # fmt: skip


@login_required
@require_POST
def patrol_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    reserve = _reserve(request)
    patrol = get_object_or_404(Patrol, pk=pk, reserve=reserve)
    try:
        services.calendar_patrol_cancel(actor=request.user, patrol=patrol)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("Patrol cancelled."))
    return _back(request)


@login_required
@require_POST
def draft_move_view(request: HttpRequest, pk: int) -> HttpResponse:
    reserve = _reserve(request)
    draft = get_object_or_404(ScheduleDraft, pk=pk, reserve=reserve)
    return _move(request, reserve, lambda day, team: services.draft_move(
        actor=request.user, draft=draft, day=day, team=team))  # fmt: skip


@login_required
@require_POST
def draft_discard_view(request: HttpRequest, pk: int) -> HttpResponse:
    reserve = _reserve(request)
    draft = get_object_or_404(ScheduleDraft, pk=pk, reserve=reserve)
    services.draft_discard(actor=request.user, draft=draft)
    messages.success(request, _("Draft dropped."))
    return _back(request)


@login_required
@require_POST
def autofill_view(request: HttpRequest) -> HttpResponse:
    reserve = _reserve(request)
    form = AutofillForm(request.POST)
    if not form.is_valid():
        _errors(request, form.errors)
        return _back(request)
    data = form.cleaned_data
    try:
        services.schedule_run_request(actor=request.user, reserve=reserve, start=data["start"], days=data["days"],
                                      hours=data["hours"], seed=data["seed"],
                                      max_patrol_days=data["max_patrol_days"])  # fmt: skip
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("Auto-fill started: the drafts appear on the calendar when it is done."))
    return _back(request, data["start"])


@login_required
@require_POST
def run_approve_view(request: HttpRequest, pk: int) -> HttpResponse:
    reserve = _reserve(request)
    run = get_object_or_404(ScheduleRun, pk=pk, reserve=reserve)
    try:
        patrols = services.schedule_run_approve(actor=request.user, run=run)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("%(n)d planned patrols created from the drafts.") % {"n": len(patrols)})
    return _back(request)


@login_required
@require_GET
def run_status_view(request: HttpRequest, pk: int) -> JsonResponse:
    reserve = _reserve(request)
    run = get_object_or_404(ScheduleRun, pk=pk, reserve=reserve)
    return JsonResponse({"status": run.status, "progress": run.progress, "error": run.error})


@login_required
@require_POST
def feed_renew_view(request: HttpRequest, pk: int) -> HttpResponse:
    reserve = _reserve(request)
    team = get_object_or_404(Team, pk=pk, reserve=reserve)
    token = services.team_feed_renew(actor=request.user, team=team)
    request.session["feed_token"] = [team.name, token]
    messages.success(request, _("New calendar address for %(team)s; the old one no longer works.") % {"team": team})
    return _back(request)


@login_required
@require_POST
def feed_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    reserve = _reserve(request)
    team = get_object_or_404(Team, pk=pk, reserve=reserve)
    services.team_feed_revoke(actor=request.user, team=team)
    messages.success(request, _("The calendar address of %(team)s is revoked.") % {"team": team})
    return _back(request)


@require_GET
def feed_view(request: HttpRequest, token: str) -> HttpResponse:
    """A team's iCalendar feed; the secret token in the URL is the only credential (no login)."""
    team = feed_team_get(token=token)
    if team is None:
        raise Http404(_("No such calendar."))
    now = timezone.now()
    body = team_ical(team=team, patrols=feed_patrols(team=team, now=now), now=now, host=request.get_host())
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response
