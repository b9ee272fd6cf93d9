"""Every write that changes the evidence queues its follow-up work through the outbox, after commit:
the debounced risk recompute of the reserve and, when a patrol's track changed, its measuring."""

import io
import uuid

import pytest
from django.contrib.gis.geos import LineString, MultiLineString
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from patrol.jobs.follow_up import RISK_RECOMPUTE_TASK, TRACK_MEASURE_TASK, evidence_changed
from patrol.jobs.models import OutboxMessage
from patrol.patrols.models import Patrol
from patrol.reserves.models import Reserve, Role
from tests.conftest import member
from tests.patrol.factories import PatrolFactory
from tests.shared_data import GPX_DIR
from tests.threats.factories import DetectionFactory, IncidentFactory, SnareFindFactory
from tests.threats.fieldsync.factories import batch, device_client, snare_item
from threats.interchange.reserve_package import reserve_package_export, reserve_package_import
from threats.records.models import Detection, Incident, SnareFind

pytestmark = pytest.mark.django_db

TRACK = {"type": "MultiLineString", "coordinates": [[[87.40, 50.10], [87.40, 50.11]]]}
GPX = (
    "<?xml version='1.0'?><gpx version='1.1' creator='t' xmlns='http://www.topografix.com/GPX/1/1'><trk><trkseg>"
    "<trkpt lat='50.10' lon='87.40'><time>2026-01-10T08:00:00Z</time></trkpt>"
    "<trkpt lat='50.11' lon='87.40'><time>2026-01-10T10:00:00Z</time></trkpt></trkseg></trk></gpx>"
)


def recompute(reserve) -> tuple[str, list, dict]:
    return (RISK_RECOMPUTE_TASK, [], {"reserve_id": reserve.pk})


def measure(patrol) -> tuple[str, list, dict]:
    return (TRACK_MEASURE_TASK, [patrol.pk], {})


def follow_ups() -> list[tuple[str, list, dict]]:
    """The unsent outbox messages, oldest first."""
    return [(m.task_name, m.args, m.kwargs) for m in OutboxMessage.objects.filter(sent_at__isnull=True)]


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a write as a request would: the hand-offs registered for its commit are captured (and not
    run, so the messages stay in the outbox to be read)."""

    def run(write):
        with django_capture_on_commit_callbacks() as callbacks:
            result = write()
        return result, callbacks

    return run


def test_evidence_changed_writes_one_recompute_and_one_measuring_per_patrol(reserve_a, committed):
    patrols = PatrolFactory.create_batch(2, reserve=reserve_a)
    _result, callbacks = committed(
        lambda: evidence_changed(reserve_id=reserve_a.pk, patrol_ids=[patrols[1].pk, patrols[0].pk, patrols[1].pk])
    )
    assert follow_ups() == [recompute(reserve_a), measure(patrols[0]), measure(patrols[1])]
    assert len(callbacks) == 1  # one hand-off per transaction's batch of messages


# --- the REST API ------------------------------------------------------------------------------------

RECORDS = [
    ("snare-finds", SnareFind, SnareFindFactory, {"count": 2, "material": "wire", "state": "set", "action": "removed",
                                                  "found_at": "2026-01-10T09:00:00Z"}),
    ("incidents", Incident, IncidentFactory, {"kind": "gunshot", "occurred_at": "2026-01-10T09:00:00Z"}),
    ("detections", Detection, DetectionFactory, {"species": "Panthera uncia", "method": "track",
                                                 "observed_at": "2026-01-10T09:00:00Z"}),
]  # fmt: skip


def _record_body(endpoint, reserve, fields, lon=87.41):
    point = {"type": "Point", "coordinates": [lon, 50.12]}
    if endpoint == "detections":  # a plain body: its location is generalised for some readers
        return {"location": point, **({"reserve": reserve.slug, **fields} if fields else {})}
    return {"type": "Feature", "geometry": point, "properties": {"reserve": reserve.slug, **fields} if fields else {}}


@pytest.mark.parametrize(("endpoint", "model", "factory", "fields"), RECORDS)
def test_api_create_update_delete_of_a_record_queue_a_recompute(api, committed, reserve_a, manager_a, endpoint, model,
                                                                 factory, fields):  # fmt: skip
    api.force_authenticate(manager_a)
    response, callbacks = committed(
        lambda: api.post(f"/api/v1/{endpoint}/", _record_body(endpoint, reserve_a, fields), format="json")
    )
    assert response.status_code == 201, response.json()
    assert (follow_ups(), len(callbacks)) == ([recompute(reserve_a)], 1)

    OutboxMessage.objects.all().delete()
    record = factory(reserve=reserve_a)
    moved = _record_body(endpoint, reserve_a, {}, lon=87.42)
    response, _callbacks = committed(lambda: api.patch(f"/api/v1/{endpoint}/{record.pk}/", moved, format="json"))
    assert response.status_code == 200, response.json()
    assert follow_ups() == [recompute(reserve_a)]

    OutboxMessage.objects.all().delete()
    response, _callbacks = committed(lambda: api.delete(f"/api/v1/{endpoint}/{record.pk}/"))
    assert response.status_code == 204
    assert (follow_ups(), model.objects.filter(pk=record.pk).exists()) == ([recompute(reserve_a)], False)


@pytest.mark.parametrize(("endpoint", "model", "factory", "fields"), RECORDS)
def test_a_denied_record_write_queues_nothing(api, committed, reserve_a, analyst_a, endpoint, model, factory, fields):
    record = factory(reserve=reserve_a)
    api.force_authenticate(analyst_a)
    response, callbacks = committed(
        lambda: api.post(f"/api/v1/{endpoint}/", _record_body(endpoint, reserve_a, fields), format="json")
    )
    assert response.status_code == 403
    response, _ = committed(lambda: api.delete(f"/api/v1/{endpoint}/{record.pk}/"))
    assert response.status_code == 403
    assert (follow_ups(), callbacks, model.objects.count()) == ([], [], 1)


def test_api_patrol_create_update_with_a_track_and_delete_queue_their_follow_ups(api, committed, reserve_a,
                                                                                 manager_a, team_a):  # fmt: skip
    api.force_authenticate(manager_a)
    body = {"type": "Feature", "geometry": None, "properties": {"reserve": reserve_a.slug, "team": team_a.pk}}
    response, _ = committed(lambda: api.post("/api/v1/patrols/", body, format="json"))
    assert response.status_code == 201, response.json()
    patrol = Patrol.objects.get()
    assert follow_ups() == [recompute(reserve_a)]  # no track yet: nothing to measure

    OutboxMessage.objects.all().delete()
    with_track = {"type": "Feature", "geometry": TRACK, "properties": {}}
    response, _ = committed(lambda: api.patch(f"/api/v1/patrols/{patrol.pk}/", with_track, format="json"))
    assert response.status_code == 200, response.json()
    assert follow_ups() == [recompute(reserve_a), measure(patrol)]

    OutboxMessage.objects.all().delete()
    response, _ = committed(lambda: api.patch(f"/api/v1/patrols/{patrol.pk}/", {"properties": {"objective": "Shavla"}},
                                              format="json"))  # fmt: skip
    assert response.status_code == 200, response.json()
    assert follow_ups() == [recompute(reserve_a)]  # times and status are evidence too; the track did not change

    OutboxMessage.objects.all().delete()
    response, _ = committed(lambda: api.delete(f"/api/v1/patrols/{patrol.pk}/"))
    assert response.status_code == 204
    assert follow_ups() == [recompute(reserve_a)]


def test_a_denied_patrol_patch_queues_nothing(api, committed, reserve_a, analyst_a, team_a):
    patrol = PatrolFactory(reserve=reserve_a, team=team_a, track=None)
    api.force_authenticate(analyst_a)
    response, callbacks = committed(
        lambda: api.patch(
            f"/api/v1/patrols/{patrol.pk}/", {"type": "Feature", "geometry": TRACK, "properties": {}}, format="json"
        )
    )
    assert response.status_code == 403
    assert (follow_ups(), callbacks, Patrol.objects.get().track) == ([], [], None)


# --- field sync --------------------------------------------------------------------------------------


def test_a_sync_batch_with_a_patrol_and_its_track_queues_a_recompute_and_the_measuring(committed, reserve_a, ranger_a,
                                                                                        team_a):  # fmt: skip
    client, device = device_client(ranger_a, reserve_a)
    patrol_uuid = str(uuid.uuid4())
    items = [
        {"kind": "patrol", "client_uuid": patrol_uuid, "recorded_at": "2026-01-10T08:00:00+07:00",
         "data": {"team": team_a.pk, "status": "in_progress", "actual_start": "2026-01-10T08:00:00+07:00"}},
        {"kind": "track_points", "client_uuid": str(uuid.uuid4()), "recorded_at": "2026-01-10T08:00:00Z",
         "data": {"patrol_uuid": patrol_uuid, "segment": 0, "points": [
             ["2026-01-10T07:00:00Z", 87.40, 50.10, 5.0], ["2026-01-10T07:30:00Z", 87.40, 50.11, 6.0]]}},
        snare_item(),
    ]  # fmt: skip
    response, _ = committed(lambda: client.post("/api/v1/sync/", batch(device, *items), format="json"))
    assert [r["status"] for r in response.json()["results"]] == ["created"] * 3, response.json()
    patrol = Patrol.objects.get()
    # the patrol (patrol_create), its track (patrol_track_rebuild) and the batch each report their change
    assert follow_ups() == [recompute(reserve_a), recompute(reserve_a), measure(patrol), recompute(reserve_a)]


def test_a_denied_sync_batch_queues_nothing(committed, reserve_a, analyst_a):
    client, device = device_client(analyst_a, reserve_a)
    response, callbacks = committed(lambda: client.post("/api/v1/sync/", batch(device, snare_item()), format="json"))
    assert response.status_code == 403
    assert (follow_ups(), callbacks) == ([], [])


def test_a_sync_edit_queues_a_recompute(committed, reserve_a, ranger_a):
    client, device = device_client(ranger_a, reserve_a)
    item = snare_item()
    client.post("/api/v1/sync/", batch(device, item), format="json")
    OutboxMessage.objects.all().delete()
    response, _ = committed(lambda: client.patch(f"/api/v1/sync/records/{item['client_uuid']}/",
                                                 {"version": 1, "data": {"count": 3}}, format="json"))  # fmt: skip
    assert response.status_code == 200, response.json()
    assert follow_ups() == [recompute(reserve_a)]


def test_a_stale_sync_edit_queues_nothing(committed, reserve_a, ranger_a):
    client, device = device_client(ranger_a, reserve_a)
    item = snare_item()
    client.post("/api/v1/sync/", batch(device, item), format="json")
    OutboxMessage.objects.all().delete()
    stale = {"version": 7, "data": {"count": 3}}
    response, callbacks = committed(
        lambda: client.patch(f"/api/v1/sync/records/{item['client_uuid']}/", stale, format="json")
    )
    assert response.status_code == 409
    assert (follow_ups(), callbacks) == ([], [])


# --- imports -----------------------------------------------------------------------------------------


def test_a_gpx_upload_in_the_web_ui_queues_the_measuring_and_a_recompute(client, committed, reserve_a, manager_a):
    patrol = PatrolFactory(reserve=reserve_a, track=None)
    client.force_login(manager_a)
    upload = {"patrol": patrol.pk, "file": SimpleUploadedFile("track.gpx", GPX.encode())}
    response, _ = committed(lambda: client.post("/patrols/gpx/", upload))
    assert response.status_code == 302
    assert follow_ups() == [recompute(reserve_a), measure(patrol)]


def test_the_gpx_command_queues_the_measuring_and_a_recompute(committed, reserve_a):
    patrol = PatrolFactory(reserve=reserve_a, track=None)
    committed(lambda: call_command("import_gpx", "--patrol", str(patrol.pk), str(GPX_DIR / "korita-zbevnica.gpx"),
                                   stdout=io.StringIO()))  # fmt: skip
    assert follow_ups() == [recompute(reserve_a), measure(patrol)]


def test_a_reserve_package_import_queues_a_recompute_of_the_new_reserve(committed, reserve_a, tmp_path):
    patrol = PatrolFactory(reserve=reserve_a, track=MultiLineString(LineString((87.40, 50.10), (87.42, 50.11)),
                                                                    srid=4326))  # fmt: skip
    SnareFindFactory(reserve=reserve_a, patrol=patrol)
    reserve_package_export(reserve=reserve_a, folder=tmp_path / "package")
    OutboxMessage.objects.all().delete()
    committed(lambda: reserve_package_import(folder=tmp_path / "package", slug="copy"))
    copy = Reserve.objects.get(slug="copy")
    assert recompute(copy) in follow_ups()
    assert {m[0] for m in follow_ups()} == {RISK_RECOMPUTE_TASK, TRACK_MEASURE_TASK}
    assert all(m[2] == {"reserve_id": copy.pk} for m in follow_ups() if m[0] == RISK_RECOMPUTE_TASK)


# --- the admin ---------------------------------------------------------------------------------------


@pytest.fixture
def staff_manager(reserve_a):
    from django.contrib.auth.models import Permission

    user = member(reserve_a, Role.MANAGER, clearance=True, username="staff_manager")
    user.is_staff = True
    user.save()
    user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=["patrol", "threats"]))
    return user


def test_admin_add_and_change_of_a_patrol_queue_their_follow_ups(client, committed, staff_manager, reserve_a, team_a):
    client.force_login(staff_manager)
    form = {"reserve": reserve_a.pk, "team": team_a.pk, "status": "planned", "transport": "foot", "objective": "",
            "planned_route": "", "track": ""}  # fmt: skip
    response, _ = committed(lambda: client.post("/admin/patrol/patrol/add/", form))
    assert response.status_code == 302, response.context["adminform"].form.errors
    patrol = Patrol.objects.get()
    assert follow_ups() == [recompute(reserve_a)]

    OutboxMessage.objects.all().delete()
    form["track"] = str(TRACK).replace("'", '"')
    response, _ = committed(lambda: client.post(f"/admin/patrol/patrol/{patrol.pk}/change/", form))
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert follow_ups() == [recompute(reserve_a), measure(patrol)]


@pytest.mark.parametrize(("path", "factory"), [("threats/snarefind", SnareFindFactory),
                                               ("threats/incident", IncidentFactory),
                                               ("threats/detection", DetectionFactory),
                                               ("patrol/patrol", PatrolFactory)])  # fmt: skip
def test_admin_deletes_queue_a_recompute(client, committed, staff_manager, reserve_a, reserve_b, path, factory):
    one, two = factory(reserve=reserve_a), factory(reserve=reserve_a)
    client.force_login(staff_manager)
    response, _ = committed(lambda: client.post(f"/admin/{path}/{one.pk}/delete/", {"post": "yes"}))
    assert response.status_code == 302
    assert follow_ups() == [recompute(reserve_a)]

    OutboxMessage.objects.all().delete()
    response, _ = committed(lambda: client.post(f"/admin/{path}/", {"action": "delete_selected", "post": "yes",
                                                                     "_selected_action": [two.pk]}))  # fmt: skip
    assert response.status_code == 302
    assert (follow_ups(), type(one).objects.count()) == ([recompute(reserve_a)], 0)


def test_admin_change_of_a_snare_find_queues_a_recompute(client, committed, staff_manager, reserve_a):
    find = SnareFindFactory(reserve=reserve_a)
    client.force_login(staff_manager)
    page = client.get(f"/admin/threats/snarefind/{find.pk}/change/")
    form = page.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if value is None:
            continue
        data[name] = field.widget.format_value(value) if hasattr(field.widget, "format_value") else value
    data.update({"count": 5, "location": find.location.geojson, "found_at_0": find.found_at.strftime("%Y-%m-%d"),
                 "found_at_1": find.found_at.strftime("%H:%M:%S")})  # fmt: skip
    data = {k: v for k, v in data.items() if v is not None}
    response, _ = committed(lambda: client.post(f"/admin/threats/snarefind/{find.pk}/change/", data))
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert (SnareFind.objects.get().count, follow_ups()) == (5, [recompute(reserve_a)])
