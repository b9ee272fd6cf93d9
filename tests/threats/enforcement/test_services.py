"""Writes for enforcement outcomes: role rules, same-reserve links, originals and the first custody event."""

import hashlib
import io
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from patrol.reserves.models import Role
from tests.conftest import member
from tests.patrol.factories import PatrolFactory
from tests.threats.enforcement.factories import CaseFactory, EvidenceItemFactory, SuspectFactory
from tests.threats.factories import IncidentFactory
from threats.enforcement import services
from threats.enforcement.models import CaseEvent, CustodyEvent, EnforcementAction, EvidenceItem
from threats.fieldsync.models import Photo

WHEN = datetime(2026, 3, 4, 10, 30, tzinfo=UTC)


def test_a_ranger_logs_a_confiscation_on_their_patrol(reserve_a, ranger_a, team_a):
    patrol = PatrolFactory(reserve=reserve_a, team=team_a)
    incident = IncidentFactory(reserve=reserve_a, patrol=patrol)
    action = services.enforcement_action_create(
        actor=ranger_a, reserve=reserve_a, kind="confiscation", taken_at=WHEN, location=Point(87.42, 50.12, srid=4326),
        patrol=patrol, officers=[ranger_a], incidents=[incident], protocol_number="P-17", fine_amount=Decimal("3000"),
        fine_currency="rub",
    )  # fmt: skip
    action.refresh_from_db()
    assert (action.team, action.reported_by, action.fine_currency) == (team_a, ranger_a, "RUB")
    assert list(action.incidents.all()) == [incident]
    assert list(action.officers.all()) == [ranger_a]


def test_a_ranger_cannot_log_on_another_teams_patrol_or_name_suspects(reserve_a, ranger_a, team_a):
    other_patrol = PatrolFactory(reserve=reserve_a)
    with pytest.raises(PermissionDenied):
        services.enforcement_action_create(actor=ranger_a, reserve=reserve_a, kind="warning", taken_at=WHEN,
                                           patrol=other_patrol)  # fmt: skip
    with pytest.raises(PermissionDenied):
        services.enforcement_action_create(actor=ranger_a, reserve=reserve_a, kind="warning", taken_at=WHEN,
                                           team=other_patrol.team)  # fmt: skip
    with pytest.raises(PermissionDenied):
        services.enforcement_action_create(actor=ranger_a, reserve=reserve_a, kind="arrest", taken_at=WHEN,
                                           suspects=[SuspectFactory(reserve=reserve_a)])  # fmt: skip
    assert EnforcementAction.objects.count() == 0


def test_links_to_another_reserve_are_refused(reserve_a, reserve_b, manager_a):
    with pytest.raises(ValidationError) as error:
        services.enforcement_action_create(actor=manager_a, reserve=reserve_a, kind="warning", taken_at=WHEN,
                                           incidents=[IncidentFactory(reserve=reserve_b)])  # fmt: skip
    assert error.value.message_dict == {"incidents": ["This object belongs to another reserve."]}
    outsider = member(reserve_b, Role.RANGER)
    with pytest.raises(ValidationError) as error:
        services.enforcement_action_create(actor=manager_a, reserve=reserve_a, kind="warning", taken_at=WHEN,
                                           officers=[outsider])  # fmt: skip
    assert error.value.message_dict == {"officers": ["Must be a member of the reserve."]}
    assert EnforcementAction.objects.count() == 0


def test_analysts_and_strangers_cannot_create_suspects_or_cases(reserve_a, reserve_b, analyst_a, manager_b):
    with pytest.raises(PermissionDenied):
        services.suspect_create(actor=analyst_a, reserve=reserve_a, full_name="X")
    with pytest.raises(Http404):
        services.case_create(
            actor=manager_b, reserve=reserve_a, number="1", agency="Police", opened_on=date(2026, 1, 1)
        )


def test_a_case_keeps_its_timeline(reserve_a, manager_a):
    case = services.case_create(actor=manager_a, reserve=reserve_a, number="12-1/2026", agency="Police",
                                opened_on=date(2026, 1, 10), charges="Art. 258.1")  # fmt: skip
    services.case_update(actor=manager_a, case=case, data={"status": "charged", "charged_on": date(2026, 2, 1)})
    services.case_update(actor=manager_a, case=case, data={
        "status": "closed", "closed_on": date(2026, 5, 20), "verdict": "convicted", "verdict_on": date(2026, 5, 20),
        "fine_amount": Decimal("500000.00"), "fine_currency": "rub", "prison_months": 24, "conditional": True,
    })  # fmt: skip
    events = list(case.events.values_list("kind", "occurred_on"))
    assert events == [
        ("opened", date(2026, 1, 10)), ("charged", date(2026, 2, 1)),
        ("verdict", date(2026, 5, 20)), ("closed", date(2026, 5, 20)),
    ]  # fmt: skip
    case.refresh_from_db()
    assert (case.fine_currency, case.prison_months, case.conditional) == ("RUB", 24, True)


def test_a_closed_case_needs_its_closing_date(reserve_a, manager_a):
    case = CaseFactory(reserve=reserve_a)
    with pytest.raises(ValidationError):
        services.case_update(actor=manager_a, case=case, data={"status": "closed"})
    case.refresh_from_db()
    assert case.status == "open"
    assert CaseEvent.objects.filter(case=case).count() == 0


def test_evidence_keeps_the_original_and_logs_its_collection(reserve_a, ranger_a, team_a):
    content = b"\xff\xd8\xff" + b"pelt photo" * 100
    item = services.evidence_item_from_bytes(
        actor=ranger_a, reserve=reserve_a, kind="photo", collected_at=WHEN, content=content,
        content_type="image/jpeg", original_name="IMG_0001.jpg",
    )  # fmt: skip
    sha = hashlib.sha256(content).hexdigest()
    assert (item.sha256, item.size_bytes, item.collected_by) == (sha, len(content), ranger_a)
    assert (settings.IRBIS_PRIVATE_ROOT / item.path).read_bytes() == content
    assert item.path == f"evidence/{reserve_a.pk}/{sha[:2]}/{sha}.jpg"
    assert list(item.custody_events.values_list("kind", "from_user")) == [("collected", ranger_a.pk)]


def test_a_photo_must_have_a_file_and_an_empty_file_is_refused(reserve_a, manager_a):
    with pytest.raises(ValidationError):
        services.evidence_item_create(actor=manager_a, reserve=reserve_a, kind="photo", collected_at=WHEN)
    with pytest.raises(ValidationError) as error:
        services.evidence_item_create(actor=manager_a, reserve=reserve_a, kind="pelt", collected_at=WHEN,
                                      stream=io.BytesIO(b""), content_type="image/jpeg")  # fmt: skip
    assert error.value.message_dict == {"file": ["The file is empty."]}
    assert EvidenceItem.objects.count() == 0


def test_rangers_log_hand_overs_only_of_what_they_collected(reserve_a, ranger_a, manager_a):
    theirs = EvidenceItemFactory(reserve=reserve_a, collected_by=ranger_a, collected_at=WHEN)
    other = EvidenceItemFactory(reserve=reserve_a, collected_by=manager_a, collected_at=WHEN)
    event = services.custody_event_create(actor=ranger_a, item=theirs, kind="handed_over", occurred_at=WHEN,
                                          from_user=ranger_a, to_user=manager_a)  # fmt: skip
    assert (event.recorded_by, event.to_user) == (ranger_a, manager_a)
    with pytest.raises(PermissionDenied):
        services.custody_event_create(actor=ranger_a, item=other, kind="handed_over", occurred_at=WHEN,
                                      from_user=ranger_a, to_name="Police")  # fmt: skip
    with pytest.raises(ValidationError):
        services.custody_event_create(actor=manager_a, item=other, kind="handed_over", occurred_at=WHEN)
    assert CustodyEvent.objects.filter(item=other).count() == 0


def test_evidence_from_a_synced_photo_copies_its_bytes(reserve_a, ranger_a, settings):
    content = b"\x89PNG\r\n\x1a\n" + b"synced photo" * 50
    sha = hashlib.sha256(content).hexdigest()
    relative = f"photos/{reserve_a.pk}/{sha[:2]}/{sha}.png"
    (settings.IRBIS_PRIVATE_ROOT / relative).parent.mkdir(parents=True, exist_ok=True)
    (settings.IRBIS_PRIVATE_ROOT / relative).write_bytes(content)
    photo = Photo.objects.create(reserve=reserve_a, record_kind="incident", record_uuid=uuid.uuid4(), sha256=sha,
                                 path=relative, content_type="image/png", size_bytes=len(content))  # fmt: skip
    item = services.evidence_item_create(actor=ranger_a, reserve=reserve_a, kind="photo", collected_at=WHEN,
                                         photo=photo)  # fmt: skip
    assert (item.sha256, item.content_type, item.size_bytes) == (sha, "image/png", len(content))
    assert item.path == f"evidence/{reserve_a.pk}/{sha[:2]}/{sha}.png"
    assert (settings.IRBIS_PRIVATE_ROOT / item.path).read_bytes() == content


def test_the_sync_can_create_an_action_exactly_once_by_client_uuid(reserve_a, ranger_a, team_a):
    """The field sync keys items by (reserve, client UUID): the database refuses a second action."""
    key = uuid.uuid4()
    services.enforcement_action_create(actor=ranger_a, reserve=reserve_a, kind="warning", taken_at=WHEN,
                                       client_uuid=key)  # fmt: skip
    with pytest.raises(ValidationError):
        services.enforcement_action_create(actor=ranger_a, reserve=reserve_a, kind="warning", taken_at=WHEN,
                                           client_uuid=key)  # fmt: skip
    assert EnforcementAction.objects.filter(client_uuid=key).count() == 1


def test_a_hand_over_before_the_collection_is_refused(reserve_a, manager_a):
    item = EvidenceItemFactory(reserve=reserve_a, collected_at=WHEN)
    with pytest.raises(ValidationError) as error:
        services.custody_event_create(actor=manager_a, item=item, kind="stored", occurred_at=WHEN - timedelta(hours=1),
                                      to_name="Evidence room")  # fmt: skip
    assert error.value.message_dict == {"occurred_at": ["This is before the item was collected."]}
    assert item.custody_events.count() == 0
