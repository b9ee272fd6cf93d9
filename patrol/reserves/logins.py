"""Sign-in throttling, the same on every login path: the API token, the field app's device login, the
web shell and the admin.

After IRBIS_LOGIN_MAX_FAILURES_PER_ACCOUNT failed sign-ins for one username, or
IRBIS_LOGIN_MAX_FAILURES_PER_ADDRESS from one address, within IRBIS_LOGIN_WINDOW_S, further attempts
are refused without checking the password until enough failures have aged out of the window; the
answer says how long to wait. The account limit stops a guesser spread over many addresses, the
address limit one guessing many accounts; a whole post may sign in from one address, so that limit
is higher. Failures are rows in the database, so every web worker sees the same counts. A successful
sign-in clears the account's failures.
"""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import ngettext

from patrol.reserves.models import LoginFailure


class LoginThrottled(Exception):
    def __init__(self, retry_after_s: int):
        minutes = max(1, -(-retry_after_s // 60))
        message = ngettext(
            "Too many failed sign-ins for this account or from this address. Try again in %(minutes)d minute.",
            "Too many failed sign-ins for this account or from this address. Try again in %(minutes)d minutes.",
            minutes,
        ) % {"minutes": minutes}
        super().__init__(message)
        self.retry_after_s = retry_after_s
        self.message = message


def client_address(request: HttpRequest) -> str:
    # Behind the front server of docs/deploy.md, REMOTE_ADDR is set from the real client by it.
    return request.META.get("REMOTE_ADDR") or "0.0.0.0"  # noqa: S104 (a missing address counts together)


def _window() -> timedelta:
    return timedelta(seconds=settings.IRBIS_LOGIN_WINDOW_S)


def _wait_s(failures: Any, limit: int, now) -> int:
    """Seconds until fewer than `limit` of these failures are inside the window, or 0 if they already are."""
    times = list(failures.filter(at__gt=now - _window()).order_by("-at").values_list("at", flat=True)[:limit])
    if len(times) < limit:
        return 0
    # The limit-th newest failure must age out before one more attempt is allowed.
    return max(1, int((times[limit - 1] + _window() - now).total_seconds()) + 1)


def login_throttle_check(*, username: str, address: str) -> None:
    now = timezone.now()
    wait = max(
        _wait_s(
            LoginFailure.objects.filter(username=username.lower()), settings.IRBIS_LOGIN_MAX_FAILURES_PER_ACCOUNT, now
        ),
        _wait_s(LoginFailure.objects.filter(address=address), settings.IRBIS_LOGIN_MAX_FAILURES_PER_ADDRESS, now),
    )
    if wait:
        raise LoginThrottled(wait)


def login_failure_record(*, username: str, address: str) -> None:
    now = timezone.now()
    LoginFailure.objects.filter(at__lte=now - _window()).delete()
    LoginFailure.objects.create(username=username.lower()[:150], address=address, at=now)


def authenticate_throttled(request: HttpRequest, *, username: str, password: str) -> Any:
    """Django's authenticate() behind the throttle: the user, or None; raises LoginThrottled."""
    address = client_address(request)
    login_throttle_check(username=username, address=address)
    user = authenticate(request, username=username, password=password)
    if user is None:
        login_failure_record(username=username, address=address)
    else:
        LoginFailure.objects.filter(username=username.lower()).delete()
    return user
