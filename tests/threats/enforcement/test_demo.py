"""The demo reserve's enforcement outcomes: made through the services, deterministic, and verifiable."""

from datetime import UTC, datetime, timedelta
from io import StringIO

from django.core.management import call_command

from patrol.reserves.models import Role
from tests.conftest import member
from tests.patrol.factories import PatrolFactory, TeamFactory
from tests.threats.factories import IncidentFactory, SnareFindFactory
from threats.enforcement.demo import enforcement_demo_seed
from threats.enforcement.models import Case, CustodyEvent, EnforcementAction, EvidenceItem


def _world(reserve):
    rangers = [member(reserve, Role.RANGER) for _ in range(2)]
    team = TeamFactory(reserve=reserve, members=rangers)
    patrol = PatrolFactory(reserve=reserve, team=team)
    start = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    kinds = ["snare_line", "poacher_camp", "carcass", "suspect_encounter", "gunshot", "snare_line"]
    for i, kind in enumerate(kinds):
        incident = IncidentFactory(
            reserve=reserve, patrol=patrol, kind=kind, occurred_at=start + timedelta(days=60 * i)
        )
        if kind == "snare_line":
            incident.snare_finds.set([SnareFindFactory(reserve=reserve, patrol=patrol, count=5)])
    return member(reserve, Role.MANAGER)


def _summary(reserve):
    return (
        sorted(EnforcementAction.objects.filter(reserve=reserve).values_list("kind", flat=True)),
        sorted(Case.objects.filter(reserve=reserve).values_list("status", "verdict")),
        sorted(EvidenceItem.objects.filter(reserve=reserve).values_list("kind", "quantity", "sha256")),
    )


def test_the_demo_outcomes_follow_the_incidents(reserve_a, reserve_b):
    manager = _world(reserve_a)
    enforcement_demo_seed(reserve=reserve_a, manager=manager, seed=1)
    actions, cases, items = _summary(reserve_a)
    assert len(actions) == 6
    assert actions.count("confiscation") == 3  # two snare lines and the camp
    assert ("snares", 5) in [(k, q) for k, q, _ in items]
    assert len([i for i in items if i[0] == "photo"]) == 3
    assert all(len(sha) == 64 for kind, _q, sha in items if kind == "photo")
    assert CustodyEvent.objects.filter(item__reserve=reserve_a).count() == 3 * len(items)  # collected, handed, stored
    assert len(cases) >= 1
    # the same seed on another reserve gives the same outcomes
    enforcement_demo_seed(reserve=reserve_b, manager=_world(reserve_b), seed=1)
    assert _summary(reserve_b) == _summary(reserve_a)
    out = StringIO()
    call_command("verify_evidence", "--reserve", "reserve-a", stdout=out)
    assert out.getvalue() == "All 3 originals match their SHA-256.\n"
