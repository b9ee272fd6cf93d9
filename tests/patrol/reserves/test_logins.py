"""Sign-in throttling on every login path: API token, field device login, web shell, admin."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from patrol.reserves.models import LoginFailure, Role
from tests.conftest import member

pytestmark = pytest.mark.django_db

THROTTLED = "Too many failed sign-ins for this account or from this address. Try again in 15 minutes."


def token_login(username: str, password: str, address: str = "10.0.0.1"):
    response = APIClient(REMOTE_ADDR=address).post("/api/v1/auth/token/", {"username": username, "password": password})
    return response.status_code, response


def device_login(username: str, password: str, address: str = "10.0.0.1"):
    body = {"username": username, "password": password, "device_id": "phone-0001"}
    response = APIClient(REMOTE_ADDR=address).post("/api/v1/sync/login/", body, format="json")
    return response.status_code, response


def web_login(username: str, password: str, address: str = "10.0.0.1"):
    response = Client(REMOTE_ADDR=address).post("/login/", {"username": username, "password": password})
    return response.status_code, response


def admin_login(username: str, password: str, address: str = "10.0.0.1"):
    response = Client(REMOTE_ADDR=address).post("/admin/login/", {"username": username, "password": password})
    return response.status_code, response


OK = {token_login: 200, device_login: 201, web_login: 302, admin_login: 302}
WRONG = {token_login: 400, device_login: 400, web_login: 200, admin_login: 200}


def throttled_message(login, response) -> str:
    if login in (token_login, device_login):
        assert response.status_code == 429
        assert response["Retry-After"] == "900"
        body = response.json()
        assert body["error"]["code"] == "throttled"
        return body["error"]["message"]
    assert response.status_code == 200  # the form again, with the reason
    return response.context["form"].non_field_errors()[0]


@pytest.fixture
def ranger(reserve_a):
    user = member(reserve_a, Role.RANGER, username="ranger_a")
    user.is_staff = True  # so that the admin would let them in
    user.save()
    return user


@pytest.mark.parametrize("login", [token_login, device_login, web_login, admin_login], ids=lambda f: f.__name__)
def test_ten_wrong_passwords_lock_the_account_even_for_the_right_one(login, ranger, settings):
    for _ in range(10):
        assert login("ranger_a", "wrong")[0] == WRONG[login]
    status, response = login("ranger_a", "pw")
    assert throttled_message(login, response) == THROTTLED
    assert LoginFailure.objects.filter(username="ranger_a").count() == 10  # refused attempts are not counted


@pytest.mark.parametrize("login", [token_login, device_login, web_login, admin_login], ids=lambda f: f.__name__)
def test_failures_age_out_of_the_window(login, ranger):
    for _ in range(10):
        login("ranger_a", "wrong")
    LoginFailure.objects.update(at=timezone.now() - timedelta(seconds=901))
    assert login("ranger_a", "pw")[0] == OK[login]
    assert LoginFailure.objects.count() == 0  # a success clears the account's failures, old ones are pruned


def test_the_account_limit_holds_across_addresses_and_paths(ranger):
    for k in range(10):
        [token_login, device_login, web_login][k % 3]("RANGER_A", "wrong", address=f"10.0.1.{k}")
    status, response = device_login("ranger_a", "pw", address="10.0.9.9")
    assert throttled_message(device_login, response) == THROTTLED


def test_the_address_limit_stops_guessing_many_accounts(ranger, settings):
    settings.IRBIS_LOGIN_MAX_FAILURES_PER_ADDRESS = 5
    for k in range(5):
        assert token_login(f"guess{k}", "wrong", address="10.0.0.7")[0] == 400
    status, response = token_login("ranger_a", "pw", address="10.0.0.7")
    assert throttled_message(token_login, response) == THROTTLED
    assert token_login("ranger_a", "pw", address="10.0.0.8")[0] == 200  # another address is not affected


def test_retry_after_counts_down_from_the_oldest_failure_that_must_age_out(ranger):
    for _ in range(10):
        token_login("ranger_a", "wrong")
    LoginFailure.objects.update(at=timezone.now() - timedelta(seconds=600))
    status, response = token_login("ranger_a", "pw")
    assert status == 429 and 299 <= int(response["Retry-After"]) <= 301
    assert response.json()["error"]["message"].endswith("Try again in 5 minutes.")


def test_the_message_is_in_russian_for_a_russian_phone(ranger):
    for _ in range(10):
        device_login("ranger_a", "wrong")
    response = APIClient(REMOTE_ADDR="10.0.0.1", HTTP_ACCEPT_LANGUAGE="ru").post(
        "/api/v1/sync/login/", {"username": "ranger_a", "password": "pw", "device_id": "phone-0001"}, format="json"
    )
    assert response.status_code == 429
    assert response.json()["error"]["message"] == (
        "Слишком много неудачных попыток входа для этой учётной записи или с этого адреса. Повторите через 15 минут."
    )
