"""Synthetic reserves built once per module: building one takes seconds."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from django.db import transaction
from django.test import override_settings

from patrol.reserves.models import Role
from tests.conftest import member
from tests.threats.risk.worlds import WORLD_END, seed_world
from threats.risk.compute import risk_compute_now
from threats.risk.models import RiskRun


@pytest.fixture(scope="module")
def private_root(tmp_path_factory):
    """One private root per module: the shared reserves below keep their layer files in it."""
    path = tmp_path_factory.mktemp("private")
    with override_settings(IRBIS_PRIVATE_ROOT=path):
        yield path


@contextmanager
def module_transaction(django_db_blocker):
    """A transaction for the whole module, rolled back at its end: each test runs in a savepoint inside it,
    so what a module fixture makes here is shared by its tests and gone afterwards (no slow deletes)."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
    try:
        yield
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture(scope="module")
def world_a(django_db_setup, django_db_blocker, tmp_path_factory, private_root):
    """reserve-a with terrain, patrols and records, built once per module."""
    with module_transaction(django_db_blocker):
        with django_db_blocker.unblock():
            world = seed_world("reserve-a", tmp_path_factory.mktemp("reserve-a"))
        yield world


@pytest.fixture(scope="module")
def run_a(world_a, django_db_blocker):
    reserve, _world = world_a
    with module_transaction(django_db_blocker):
        with django_db_blocker.unblock():
            run = risk_compute_now(reserve=reserve, end=WORLD_END)
        assert run.status == RiskRun.Status.DONE, run.error
        yield run


@pytest.fixture(scope="module")
def other_reserve(django_db_setup, django_db_blocker, tmp_path_factory, private_root):
    """A second reserve with terrain and its own manager: reserve A's risk must stay out of its reach."""
    with module_transaction(django_db_blocker):
        with django_db_blocker.unblock():
            reserve, _world = seed_world("reserve-b", tmp_path_factory.mktemp("reserve-b"), size_m=3000.0, seed=2)
            manager = member(reserve, Role.MANAGER, clearance=True, username="manager_b")
        yield reserve, manager
