"""The manager web shell's reports: the page (figures beside the previous period, charts, maps, groups),
its exports (CSV, PDF in English or Russian, JSON) and map data, and the managers' month at a glance.

Managers, reserve administrators and analysts read reports; rangers get 403 and non-members 404. Reports
hold counts only (no suspects), and the finds map uses the records' privacy annotation.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, pgettext
from django.views.decorators.http import require_GET

from patrol.reserves.context_processors import current_reserve
from patrol.reserves.models import Post, Reserve, Team, Zone
from patrol.reserves.selectors import User
from patrol.terrain.models import ValleyReach
from threats.reports import charts, maps
from threats.reports.build import (
    ReportInputError,
    Scope,
    monthly_trend,
    report_build,
    report_may_read,
    trend_months,
)
from threats.reports.build import report_reserve_get as _reserve_for_reports
from threats.reports.exports import report_csv, report_json, report_pdf
from threats.reports.forms import ReportForm
from threats.reports.periods import Period, month_period
from threats.reports.tables import column_titles, report_rows

HEADLINE = ["patrols", "patrol_days", "distance_km", "snares", "cpue_per_100km", "incidents", "actions", "cases_opened"]


def _today(reserve: Reserve) -> date:
    return timezone.localdate(timezone=ZoneInfo(reserve.timezone))


def _parts(reserve: Reserve) -> list[tuple[str, list[tuple[str, str]]]]:
    """The choices of what a report covers, grouped for the form's select."""
    valleys = sorted(set(ValleyReach.objects.filter(reserve=reserve).values_list("name", flat=True)))
    return [
        ("", [("reserve", pgettext("report", "Whole reserve"))]),
        (pgettext("report", "Zones"), [(f"zone:{z.pk}", z.name) for z in Zone.objects.filter(reserve=reserve)]),
        (pgettext("report", "Posts"), [(f"post:{p.pk}", p.name) for p in Post.objects.filter(reserve=reserve)]),
        (pgettext("report", "Teams"), [(f"team:{t.pk}", t.name) for t in Team.objects.filter(reserve=reserve)]),
        (pgettext("report", "Valleys"), [(f"valley:{name}", name) for name in valleys]),
    ]


def _asked(request: HttpRequest, reserve: Reserve) -> tuple[ReportForm, dict | None]:
    form = ReportForm(request.GET or {"period": "month"}, today=_today(reserve))
    if not form.is_valid():
        return form, None
    return form, form.cleaned_data


def _headline(rows: list) -> list[dict[str, Any]]:
    rows = {row.key: row for row in rows}
    cards = []
    for key in HEADLINE:
        row = rows[key]
        now, before = row.raw[0], row.raw[1]
        trend = "" if now is None or before is None or now == before else ("up" if now > before else "down")
        cards.append(
            {"key": key, "label": row.label, "value": row.values[0], "previous": row.values[1], "trend": trend}
        )
    return cards


def _trend_charts(trend: list[dict]) -> dict[str, str]:
    labels = [g["key"][2:] for g in trend]  # "26-03": short enough for twelve bars
    svgs = {
        "snares": charts.bar_chart(
            labels, [g["snares"] for g in trend], title=pgettext("report", "Snares found per month")
        ),
        "effort": charts.bar_chart(
            labels,
            [g["distance_km"] for g in trend],
            title=pgettext("report", "Km on patrol per month"),
            color="#3182bd",
        ),
        "cpue": charts.line_chart(
            labels,
            [g["cpue_per_100km"] for g in trend],
            title=pgettext("report", "Snares per 100 km on patrol"),
            gap_label=pgettext("report", "no effort"),
        ),
    }
    return {name: mark_safe(svg) for name, svg in svgs.items()}  # noqa: S308 - drawn here, every text escaped


@login_required
@require_GET
def report_page(request: HttpRequest) -> HttpResponse:
    reserve = current_reserve(request).get("current_reserve")
    context: dict[str, Any] = {"reserve": reserve}
    if reserve is None:
        return render(request, "threats/report.html", context)
    if not report_may_read(user=request.user, reserve=reserve):
        raise PermissionDenied(pgettext("report", "Reports are for managers, reserve administrators and analysts."))
    form, asked = _asked(request, reserve)
    context.update(form=form, parts=_parts(reserve), chosen_part=request.GET.get("part", "reserve"))
    if asked is None:
        return render(request, "threats/report.html", context, status=400)
    try:
        report = report_build(
            reserve=reserve, period=asked["report_period"], scope=asked["report_scope"], by=asked["report_by"]
        )
        trend = monthly_trend(reserve=reserve, period=asked["report_period"], scope=asked["report_scope"])
    except ReportInputError as exc:
        form.add_error(None, str(exc))
        return render(request, "threats/report.html", context, status=400)
    query = request.GET.copy()
    query.pop("lang", None)
    rows = report_rows(report)
    context.update(
        report=report,
        rows=rows,
        titles=column_titles(report),
        cards=_headline(rows),
        charts=_trend_charts(trend),
        query=query.urlencode(),
        lang=(get_language() or "en")[:2],
        boundary=json.loads(reserve.boundary.geojson),
    )
    return render(request, "threats/report.html", context)


def _for_export(request: HttpRequest, slug: str) -> tuple[Reserve, dict] | HttpResponse:
    reserve = _reserve_for_reports(user=request.user, slug=slug)
    form, asked = _asked(request, reserve)
    if asked is None:
        return HttpResponseBadRequest(" ".join(str(e) for errors in form.errors.values() for e in errors))
    return reserve, asked


@login_required
@require_GET
def report_export(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    found = _for_export(request, slug)
    if isinstance(found, HttpResponse):
        return found
    reserve, asked = found
    try:
        report = report_build(
            reserve=reserve, period=asked["report_period"], scope=asked["report_scope"], by=asked["report_by"]
        )
    except ReportInputError as exc:
        return HttpResponseBadRequest(str(exc))
    language = asked.get("lang") or (get_language() or "en")[:2]
    name = f"irbis-report-{reserve.slug}-{report['period']['first']}-{report['period']['last']}"
    if fmt == "pdf":
        period, scope = asked["report_period"], asked["report_scope"]
        trend = monthly_trend(reserve=reserve, period=period, scope=scope, months=trend_months(period))
        response = HttpResponse(report_pdf(report, language=language, trend=trend), content_type="application/pdf")
    elif fmt == "csv":
        response = HttpResponse(report_csv(report, language=language), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(report_json(report), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{name}-{language}.{fmt}"'
    return response


@login_required
@require_GET
def report_map(request: HttpRequest, slug: str, layer: str) -> HttpResponse:
    found = _for_export(request, slug)
    if isinstance(found, HttpResponse):
        return found
    reserve, asked = found
    try:
        if layer == "finds":
            data = maps.finds_geojson(
                user=request.user, reserve=reserve, period=asked["report_period"], scope=asked["report_scope"]
            )
        else:
            data = maps.effort_geojson(reserve=reserve, period=asked["report_period"], scope=asked["report_scope"])
    except ReportInputError as exc:
        return HttpResponseBadRequest(str(exc))
    return JsonResponse(data)


def month_at_a_glance(*, user: User, reserve: Reserve) -> dict[str, Any] | None:
    """The managers' dashboard on the overview: this month so far beside last month, and the year's trend."""
    if not report_may_read(user=user, reserve=reserve):
        return None
    period: Period = month_period(_today(reserve))
    report = report_build(reserve=reserve, period=period, scope=Scope())
    trend = monthly_trend(reserve=reserve, period=period)
    return {
        "report": report,
        "cards": _headline(report_rows(report)),
        "charts": _trend_charts(trend),
        "link": "?" + urlencode({"period": "month", "value": period.first.strftime("%Y-%m")}),
    }
