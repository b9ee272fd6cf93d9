"""The lifecycle service: which moves a patrol may make, on every path (API edit, GPX, cancel)."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from patrol.patrols.gpx import GpxError, patrol_track_import
from patrol.patrols.lifecycle import lifecycle_check, patrol_cancel, patrol_end, patrol_start
from patrol.patrols.models import Patrol
from patrol.reserves.models import Role
from tests.conftest import member
from tests.patrol.factories import PatrolFactory

pytestmark = pytest.mark.django_db

S = Patrol.Status
MORNING = datetime(2026, 1, 10, 1, 0, tzinfo=UTC)
EVENING = datetime(2026, 1, 10, 9, 30, tzinfo=UTC)
GPX = (
    b'<gpx version="1.1" creator="t"><trk><trkseg>'
    b'<trkpt lat="50.10" lon="87.40"><time>2026-01-09T02:00:00Z</time></trkpt>'
    b'<trkpt lat="50.11" lon="87.42"><time>2026-01-09T05:00:00Z</time></trkpt>'
    b'<trkpt lat="50.12" lon="87.45"><time>2026-01-09T08:15:00Z</time></trkpt>'
    b"</trkseg></trk></gpx>"
)


@pytest.mark.parametrize(
    ("current", "new", "allowed"),
    [
        (S.PLANNED, S.IN_PROGRESS, True), (S.PLANNED, S.COMPLETED, True), (S.PLANNED, S.CANCELLED, True),
        (S.IN_PROGRESS, S.COMPLETED, True), (S.IN_PROGRESS, S.CANCELLED, True), (S.IN_PROGRESS, S.PLANNED, False),
        (S.COMPLETED, S.CANCELLED, False), (S.COMPLETED, S.IN_PROGRESS, False), (S.CANCELLED, S.COMPLETED, False),
        (S.CANCELLED, S.IN_PROGRESS, False), (S.CANCELLED, S.PLANNED, True), (S.COMPLETED, S.COMPLETED, True),
    ],
)  # fmt: skip
def test_transitions(current, new, allowed):
    if allowed:
        lifecycle_check(current=current, new=new)
    else:
        with pytest.raises(ValidationError):
            lifecycle_check(current=current, new=new)


@pytest.fixture
def planned(reserve_a, team_a):
    return PatrolFactory(reserve=reserve_a, team=team_a, status=S.PLANNED, track=None)


def test_start_then_end(planned, ranger_a):
    patrol_start(actor=ranger_a, patrol=planned, at=MORNING)
    patrol = patrol_end(actor=ranger_a, patrol=planned, at=EVENING)
    assert (patrol.status, patrol.actual_start, patrol.actual_end, patrol.version) == (S.COMPLETED, MORNING, EVENING, 3)


def test_an_analyst_cannot_start_a_patrol(planned, reserve_a):
    with pytest.raises(PermissionDenied):
        patrol_start(actor=member(reserve_a, Role.ANALYST), patrol=planned, at=MORNING)
    assert Patrol.objects.get(pk=planned.pk).status == S.PLANNED


def test_only_managers_cancel_and_a_completed_patrol_stays(planned, ranger_a, manager_a):
    with pytest.raises(PermissionDenied):
        patrol_cancel(actor=ranger_a, patrol=planned)
    assert Patrol.objects.get(pk=planned.pk).status == S.PLANNED
    assert patrol_cancel(actor=manager_a, patrol=planned).status == S.CANCELLED
    done = PatrolFactory(reserve=planned.reserve, team=planned.team, status=S.COMPLETED)
    with pytest.raises(ValidationError):
        patrol_cancel(actor=manager_a, patrol=done)
    assert Patrol.objects.get(pk=done.pk).status == S.COMPLETED


def test_the_api_refuses_completing_a_cancelled_patrol(api, planned, manager_a):
    Patrol.objects.filter(pk=planned.pk).update(status=S.CANCELLED)
    api.force_authenticate(manager_a)
    response = api.patch(f"/api/v1/patrols/{planned.pk}/", {"status": "completed"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"status": ["A patrol that is cancelled cannot become completed."]}
    assert Patrol.objects.get(pk=planned.pk).status == S.CANCELLED


def test_a_gpx_upload_completes_a_planned_patrol_with_the_tracks_times(planned):
    patrol_track_import(actor=None, patrol=planned, content=GPX)
    patrol = Patrol.objects.get(pk=planned.pk)
    assert (patrol.status, patrol.actual_start, patrol.actual_end) == (
        S.COMPLETED, datetime(2026, 1, 9, 2, 0, tzinfo=UTC), datetime(2026, 1, 9, 8, 15, tzinfo=UTC)
    )  # fmt: skip


def test_a_gpx_upload_replaces_both_ends_of_a_running_patrol(planned, ranger_a):
    """The phone said it started later than the GPS log ends: the track's pair replaces both, so the
    stored pair never breaks patrol_actual_end_after_start."""
    patrol_start(actor=ranger_a, patrol=planned, at=MORNING)
    patrol_track_import(actor=None, patrol=Patrol.objects.get(pk=planned.pk), content=GPX)
    patrol = Patrol.objects.get(pk=planned.pk)
    assert (patrol.status, patrol.actual_start, patrol.actual_end) == (
        S.COMPLETED, datetime(2026, 1, 9, 2, 0, tzinfo=UTC), datetime(2026, 1, 9, 8, 15, tzinfo=UTC)
    )  # fmt: skip


def test_a_gpx_upload_onto_a_cancelled_patrol_is_refused(planned):
    Patrol.objects.filter(pk=planned.pk).update(status=S.CANCELLED)
    with pytest.raises(GpxError) as error:
        patrol_track_import(actor=None, patrol=Patrol.objects.get(pk=planned.pk), content=GPX)
    assert str(error.value) == "A patrol that is cancelled cannot become completed."
    patrol = Patrol.objects.get(pk=planned.pk)
    assert (patrol.status, patrol.track, patrol.actual_start) == (S.CANCELLED, None, None)


def test_the_admin_form_keeps_the_lifecycle(planned):
    from django.forms import modelform_factory

    from patrol.patrols.admin import PatrolAdminForm

    Form = modelform_factory(Patrol, form=PatrolAdminForm, fields=["status"])
    Patrol.objects.filter(pk=planned.pk).update(status=S.CANCELLED)
    form = Form(data={"status": "completed"}, instance=Patrol.objects.get(pk=planned.pk))
    assert not form.is_valid()
    assert form.errors == {"status": ["A patrol that is cancelled cannot become completed."]}
    assert Form(data={"status": "planned"}, instance=Patrol.objects.get(pk=planned.pk)).is_valid()  # reinstated
