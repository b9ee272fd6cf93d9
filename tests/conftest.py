import importlib

import pytest
from django.apps import apps
from django.test import override_settings
from rest_framework.test import APIClient

from patrol.reserves.models import Role
from tests.patrol.factories import MembershipFactory, ReserveFactory, TeamFactory, UserFactory


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Transactional tests flush the preloaded species; a reused test database gets them back here."""
    preload = importlib.import_module("threats.migrations.0002_preload_species").preload
    with django_db_blocker.unblock():
        preload(apps, None)


@pytest.fixture(autouse=True)
def _species_before_transactional_tests(request):
    """A transactional test's flush removes the preloaded species, and with --reuse-db there is no
    serialized copy for serialized_rollback to restore: load them again before each such test."""
    marker = request.node.get_closest_marker("django_db")
    if marker and marker.kwargs.get("transaction"):
        request.getfixturevalue("transactional_db")
        importlib.import_module("threats.migrations.0002_preload_species").preload(apps, None)


@pytest.fixture(autouse=True)
def _empty_custody_log_before_flush(request):
    """The custody log refuses DELETE and a TRUNCATE that would remove rows, so a transactional test's flush
    would fail once it logged a hand-over: empty the log first, with its triggers off for that moment only
    (the table's owner may; see threats/migrations/0009_enforcement.py)."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker and marker.kwargs.get("transaction")) or {"transactional_db", "live_server"} & set(
        request.fixturenames
    )
    if not transactional:
        yield
        return
    request.getfixturevalue("transactional_db")  # set up before, so torn down after this fixture
    yield
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "ALTER TABLE threats_custodyevent DISABLE TRIGGER custodyevent_append_only;"
            "DELETE FROM threats_custodyevent;"
            "ALTER TABLE threats_custodyevent ENABLE TRIGGER custodyevent_append_only;"
        )


@pytest.fixture(scope="session", autouse=True)
def _own_file_roots(tmp_path_factory):
    """Each test session (each pytest-xdist worker) keeps its files apart: record ids repeat across
    the workers' test databases, and stored files are named by id."""
    root = tmp_path_factory.mktemp("files")
    with override_settings(IRBIS_PRIVATE_ROOT=root / "private", MEDIA_ROOT=root / "media"):
        yield


@pytest.fixture
def api():
    return APIClient()


def member(reserve, role=Role.MANAGER, clearance=False, username=None):
    kwargs = {"username": username} if username else {}
    user = UserFactory(**kwargs)
    MembershipFactory(user=user, reserve=reserve, role=role, sensitive_clearance=clearance)
    return user


@pytest.fixture
def reserve_a(db):
    return ReserveFactory(slug="reserve-a", name="Reserve A")


@pytest.fixture
def reserve_b(db):
    return ReserveFactory(slug="reserve-b", name="Reserve B")


@pytest.fixture
def manager_a(reserve_a):
    return member(reserve_a, Role.MANAGER, clearance=True, username="manager_a")


@pytest.fixture
def manager_b(reserve_b):
    return member(reserve_b, Role.MANAGER, clearance=True, username="manager_b")


@pytest.fixture
def analyst_a(reserve_a):
    return member(reserve_a, Role.ANALYST, username="analyst_a")


@pytest.fixture
def ranger_a(reserve_a):
    return member(reserve_a, Role.RANGER, username="ranger_a")


@pytest.fixture
def team_a(reserve_a, ranger_a):
    return TeamFactory(reserve=reserve_a, name="Team A", members=[ranger_a])
