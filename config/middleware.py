"""Requests refused before any view: NUL characters in the address.

PostgreSQL cannot store or compare text holding a NUL character: every lookup that meets one fails with a
DataError (a 500). No address of ours carries one, so a path or query string with a NUL (`%00`) is a 400
here, for every page and filter at once: in the API's error shape under /api/ (naming the query parameter),
Django's "bad request" page elsewhere.

Bodies are not read here (uploads stream, and a field-sync batch rejects a bad item alone): their text is
checked field by field (threats.records.validation, the API serializers).
"""

from collections.abc import Callable

from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from config.api_errors import error_body
from config.errors import bad_request

NUL = "\x00"


def _nul_field(request: HttpRequest) -> str | None:
    """The first query parameter whose name or value holds a NUL ("" for the path), or None."""
    if NUL in request.path:
        return ""
    for name, values in request.GET.lists():
        if NUL in name or any(NUL in value for value in values):
            return name.replace(NUL, "")
    return None


class RefuseNulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        field = _nul_field(request)
        if field is None:
            return self.get_response(request)
        if not request.path.startswith("/api/"):
            return bad_request(request, SuspiciousOperation("NUL character in the address"))
        if field == "":
            message = _("The address cannot contain NUL characters.")
            return JsonResponse(error_body("invalid", message), status=400)
        message = _("Text cannot contain NUL characters.")
        return JsonResponse(error_body("invalid", f"{field}: {message}", {field: [message]}), status=400)
