"""The records browser (manager web shell, not the admin): lists and a map of what was found and done,
an incident's chain, and photos.

Pages take their rows from browser.selectors (the privacy selectors underneath), so a user sees here
exactly what the API shows them: their reserves only, rangers their teams' records, generalised places
and days without clearance, no suspects unless manager or administrator.
"""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from patrol.reserves.context_processors import current_reserve
from patrol.reserves.models import Reserve
from patrol.reserves.selectors import READ_ALL_ROLES, WRITE_ALL_ROLES, role_get
from patrol.terrain.web_map import risk_basemap
from threats.enforcement.selectors import evidence_for_user
from threats.records.browser.chain import DETAIL_CONTEXT
from threats.records.browser.forms import BrowseFilterForm
from threats.records.browser.photos import (
    evidence_original_allowed,
    evidence_thumbnail_bytes,
    original_allowed,
    original_path,
    photo_record_get,
    thumbnail_bytes,
)
from threats.records.browser.rows import decorate
from threats.records.browser.selectors import SECTIONS, Section, browse_rows, map_points

PAGE_SIZE = 50


def _section(slug: str) -> Section:
    section = SECTIONS.get(slug)
    if section is None:
        raise Http404(_("No such list."))
    return section


def _sections_for(role: str | None) -> list[Section]:
    """The lists a role may open: cases (with their suspects) are for managers and administrators."""
    return [s for s in SECTIONS.values() if not s.managers_only or role in WRITE_ALL_ROLES]


@login_required
@require_GET
def browse_home(request: HttpRequest) -> HttpResponse:
    return redirect("records-browse", section="snare-finds")


@login_required
@require_GET
def browse(request: HttpRequest, section: str) -> HttpResponse:
    current = _section(section)
    shell = current_reserve(request)
    reserve, role = shell.get("current_reserve"), shell.get("current_role")
    sections = _sections_for(role)
    context: dict[str, Any] = {"section": current, "sections": sections, "reserve": reserve}
    if reserve is None:
        return render(request, "records/browse.html", context)
    if current not in sections:
        raise PermissionDenied(_("Cases are for the reserve's managers and administrators."))
    form = BrowseFilterForm(request.GET, section=current, user=request.user, reserve=reserve)
    status = 200
    if form.is_valid():
        rows = browse_rows(section=current, user=request.user, reserve=reserve, filters=form.cleaned_data)
    else:
        rows, status = current.selector(user=request.user).none(), 400
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    decorate(page.object_list, section=current, user=request.user, reserve=reserve)
    points, capped = map_points(rows) if current.located else ([], False)
    for point in points:
        point["url"] = reverse("records-detail", args=[current.slug, point["id"]])
    query = request.GET.copy()
    query.pop("page", None)
    context.update({
        "form": form, "page": page, "rows": page.object_list, "query": query.urlencode(),
        "map": None if not current.located else {
            "points": points, "capped": capped, "boundary": reserve.boundary.geojson, "label": str(current.title),
            "generalised": _("generalised to the grid cell and day"), "open": _("Open"),
            "hillshade": _hillshade(reserve, role),
        },
        "capped": capped,
    })  # fmt: skip
    return render(request, f"records/browse_{current.slug}.html", context, status=status)


def _hillshade(reserve: Reserve, role: str | None) -> dict[str, Any] | None:
    """The reserve's own hillshade under the records (no tiles), for the roles the risk map serves it to."""
    return risk_basemap(reserve) if role in READ_ALL_ROLES else None


@login_required
@require_GET
def detail(request: HttpRequest, section: str, pk: int) -> HttpResponse:
    current = _section(section)
    record = current.selector(user=request.user).filter(pk=pk).first()
    if record is None:
        raise Http404(_("No such record."))
    reserve = record.reserve
    decorate([record], section=current, user=request.user, reserve=reserve)
    context = {"section": current, "record": record, "reserve": reserve,
               "can_originals": role_get(user=request.user, reserve=reserve) in WRITE_ALL_ROLES}  # fmt: skip
    more = DETAIL_CONTEXT.get(current.slug)
    if more is not None:
        context.update(more(record=record, user=request.user))
    return render(request, f"records/detail_{current.slug}.html", context)


@login_required
@require_GET
def photo_thumbnail(request: HttpRequest, pk: int) -> HttpResponse:
    photo, _record = photo_record_get(user=request.user, photo_id=pk)
    response = HttpResponse(thumbnail_bytes(photo), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=86400"
    return response


@login_required
@require_GET
def photo_original(request: HttpRequest, pk: int) -> HttpResponse:
    photo, record = photo_record_get(user=request.user, photo_id=pk)
    if not original_allowed(user=request.user, photo=photo, record=record):
        raise PermissionDenied(_("Original photos are for the reserve's managers and administrators."))
    path = original_path(photo)
    if not path.exists():
        raise Http404(_("The photo's file is missing."))
    response = FileResponse(path.open("rb"), content_type=photo.content_type)
    response["Content-Disposition"] = f'inline; filename="{path.name}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"  # shown as an image, never run as a page
    return response


@login_required
@require_GET
def evidence_thumbnail(request: HttpRequest, pk: int) -> HttpResponse:
    item = evidence_for_user(user=request.user).filter(pk=pk).first()
    if item is None:
        raise Http404(_("No such evidence item."))
    response = HttpResponse(evidence_thumbnail_bytes(item), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=86400"
    return response


@login_required
@require_GET
def evidence_original(request: HttpRequest, pk: int) -> HttpResponse:
    item = evidence_for_user(user=request.user).filter(pk=pk).first()
    if item is None or not item.path:
        raise Http404(_("No such evidence item."))
    if not evidence_original_allowed(user=request.user, item=item):
        raise PermissionDenied(_("Originals of evidence are for the reserve's managers and administrators."))
    path = Path(settings.IRBIS_PRIVATE_ROOT) / item.path
    if not path.exists():
        raise Http404(_("The photo's file is missing."))
    response = FileResponse(path.open("rb"), content_type=item.content_type or "application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="{path.name}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    return response
