"""Error pages: the API's error shape under /api/, the app's own pages elsewhere (never a debug page).

An outage (the database or the broker unreachable, storage that cannot be written) is a 503 with
Retry-After, so that a phone waits and sends again instead of treating it as a rejection.
"""

import errno
import sys

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults

# Imported here, not in the handler: the error path must not read files while storage is failing.
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from config.api_errors import error_body


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def too_big() -> JsonResponse:
    return JsonResponse(error_body("too_big", _("The request is too big.")), status=413)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request) and isinstance(exception, RequestDataTooBig):
        return too_big()
    if _is_api(request):
        return JsonResponse(error_body("bad_request", _("The request could not be understood.")), status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse(error_body("permission_denied", _("You may not do this.")), status=403)
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse(error_body("not_found", _("Not found.")), status=404)
    return defaults.page_not_found(request, exception)


STORAGE_ERRNOS = {errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.EACCES}


def is_outage(exc: BaseException | None) -> bool:
    if isinstance(exc, OperationalError | InterfaceError | BrokerError | RedisConnectionError | RedisTimeoutError):
        return True
    return isinstance(exc, OSError) and exc.errno in STORAGE_ERRNOS


def service_unavailable(request: HttpRequest) -> HttpResponse:
    retry_after = settings.IRBIS_RETRY_AFTER_S
    message = _("The server is briefly unavailable; what was not confirmed was not saved. Try again in a minute.")
    if _is_api(request):
        response: HttpResponse = JsonResponse(error_body("unavailable", message), status=503)
    else:
        response = HttpResponse(f"<!doctype html><title>Irbis</title><h1>{message}</h1>", status=503)
    response["Retry-After"] = str(retry_after)
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this handler inside its `except` block: the exception is still at hand.
    if is_outage(sys.exc_info()[1]):
        return service_unavailable(request)
    if _is_api(request):
        message = _("Something went wrong on the server. Nothing you sent was lost; please try again.")
        return JsonResponse(error_body("server_error", message), status=500)
    return defaults.server_error(request)
