"""threats.records.validation: each rule once, then the same bad input on every path that writes records."""

import csv
import pickle
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.gis.geos import LineString, Point
from django.core.exceptions import ValidationError
from django.utils import timezone

from patrol.reserves.models import Reserve
from tests.patrol.factories import PatrolFactory
from tests.threats.factories import SnareFindFactory, species
from tests.threats.fieldsync.factories import device_client, snare_item
from threats.interchange.reserve_package import PackageError, reserve_package_export, reserve_package_import
from threats.records.models import Detection, SnareFind
from threats.records.validation import (
    LonLatPoint,
    RecordContext,
    detection_clean,
    incident_clean,
    location_error,
    patrol_clean,
    snare_find_clean,
)

pytestmark = pytest.mark.django_db

T = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)
INSIDE = Point(87.41, 50.11, srid=4326)
FIND = {"location": INSIDE, "found_at": T, "material": "wire", "state": "set", "action": "removed"}
SIGN = {"location": INSIDE, "observed_at": T, "method": "track", "species": "Panthera uncia"}


def errors(clean, values, reserve, **kwargs):
    with pytest.raises(ValidationError) as raised:
        clean(values, context=RecordContext(reserve), **kwargs)
    return raised.value.message_dict


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"location": Point(180.5, 50.0, srid=4326)}, "location", "Longitude must be between -180 and 180."),
        ({"location": Point(87.4, -90.5, srid=4326)}, "location", "Latitude must be between -90 and 90."),
        ({"location": Point(float("nan"), 50.0, srid=4326)}, "location", "Longitude must be between -180 and 180."),
        ({"location": LineString((87.4, 50.1), (87.5, 50.2), srid=4326)}, "location",
         "A location must be a GeoJSON Point."),
        ({"gps_accuracy_m": -0.5}, "gps_accuracy_m", "GPS accuracy cannot be negative."),
        ({"gps_accuracy_m": float("inf")}, "gps_accuracy_m", "A number is required."),
        ({"found_at": datetime(1989, 12, 31, 23, 59, tzinfo=UTC)}, "found_at",
         "This time is before 1990-01-01: check the device's date."),
        ({"count": 0}, "count", "Must be at least 1."),
        ({"count": 2**31}, "count", "Must be at most 2147483647."),
        ({"count": True}, "count", "A whole number is required."),
        ({"material": "rope"}, "material", "'rope' is not one of: wire, cable, nylon, other."),
        ({"notes": "snare\x00line"}, "notes", "Text cannot contain NUL characters."),
        ({"catch_species": "Panthera yeti", "catch_condition": "dead"}, "catch_species",
         "Unknown species: 'Panthera yeti'."),
        ({"catch_species": "Ovis ammon"}, "catch_condition",
         "A catch species is given: say whether it was alive, injured or dead."),
    ],
)  # fmt: skip
def test_each_snare_find_rule_names_its_field(reserve_a, change, field, message):
    assert errors(snare_find_clean, {**FIND, **change}, reserve_a) == {field: [message]}


def test_a_time_in_the_future_is_refused_beyond_the_clock_skew_only(reserve_a, settings):
    settings.IRBIS_SYNC_CLOCK_SKEW_S = 300
    now = timezone.now()
    context = RecordContext(reserve_a, now=now)
    assert snare_find_clean({**FIND, "found_at": now + timedelta(seconds=299)}, context=context)["found_at"]
    with pytest.raises(ValidationError) as raised:
        snare_find_clean({**FIND, "found_at": now + timedelta(seconds=301)}, context=context)
    assert raised.value.message_dict == {"found_at": [f"This time is in the future (server time {now.isoformat()})."]}


def test_required_fields_of_a_new_record_are_named(reserve_a):
    assert errors(snare_find_clean, {"found_at": T}, reserve_a) == {
        name: ["This field is required."] for name in ("location", "material", "state", "action")
    }


def test_a_known_species_name_becomes_the_species_case_insensitively(reserve_a):
    cleaned = snare_find_clean({**FIND, "catch_species": "ovis AMMON", "catch_condition": "dead"},
                               context=RecordContext(reserve_a))  # fmt: skip
    assert cleaned["catch_species"] == species("Ovis ammon")


def test_a_patrol_of_another_reserve_is_refused(reserve_a, reserve_b):
    patrol = PatrolFactory(reserve=reserve_b)
    assert errors(snare_find_clean, {**FIND, "patrol": patrol}, reserve_a) == {
        "patrol": ["This object belongs to another reserve."]
    }


def test_an_incident_cannot_link_another_reserves_snare_finds(reserve_a, reserve_b):
    values = {
        "location": INSIDE,
        "occurred_at": T,
        "kind": "carcass",
        "snare_finds": [SnareFindFactory(reserve=reserve_b)],
    }
    assert errors(incident_clean, values, reserve_a) == {"snare_finds": ["This object belongs to another reserve."]}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"species": None}, "Which species? It is required for an animal."),
        ({"observation_type": "human"}, "People and vehicles have no species."),
    ],
)
def test_only_animals_have_a_species(reserve_a, change, message):
    assert errors(detection_clean, {**SIGN, **change}, reserve_a) == {"species": [message]}


def test_an_individual_id_has_at_most_100_characters(reserve_a):
    assert errors(detection_clean, {**SIGN, "individual_id": "K" * 101}, reserve_a) == {
        "individual_id": ["At most 100 characters."]
    }


def test_a_patrol_ends_after_it_starts(reserve_a):
    assert errors(patrol_clean, {"actual_start": T, "actual_end": T}, reserve_a) == {
        "actual_end": ["The end must be after the start."]
    }


def test_a_change_is_checked_against_the_stored_record(reserve_a):
    find = SnareFindFactory(reserve=reserve_a, catch_species=species("Ovis ammon"), catch_condition="dead")
    assert errors(snare_find_clean, {"catch_condition": "none"}, reserve_a, instance=find) == {
        "catch_condition": ["A catch species is given: say whether it was alive, injured or dead."]
    }
    assert snare_find_clean({"count": 3}, context=RecordContext(reserve_a), instance=find) == {"count": 3}


def test_a_new_or_moved_record_gets_review_reasons_and_an_unmoved_one_keeps_its_own(reserve_a, settings):
    settings.IRBIS_SYNC_ACCURACY_FLAG_M = 50
    context = RecordContext(reserve_a)
    flagged = snare_find_clean({**FIND, "gps_accuracy_m": 120.0}, context=context)
    assert (flagged["needs_review"], flagged["review_reasons"]) == (True, [
        {"code": "low_gps_accuracy", "accuracy_m": 120.0, "message": "GPS accuracy 120 m is worse than 50 m."}
    ])  # fmt: skip
    far = snare_find_clean({**FIND, "location": Point(87.65, 50.1, srid=4326)}, context=context)
    assert [r["code"] for r in far["review_reasons"]] == ["outside_reserve"]
    find = SnareFindFactory(reserve=reserve_a, location=INSIDE, needs_review=True, review_reasons=[{"code": "x"}])
    assert "review_reasons" not in snare_find_clean({"location": INSIDE}, context=context, instance=find)


# --- the same bad input, the same field error, on every path ----------------------------------------------

BAD = [
    pytest.param({"catch_species": "Moschus moschiferus"}, "catch_condition", "catch_condition",
                 "A catch species is given: say whether it was alive, injured or dead.", id="catch-without-condition"),
    pytest.param({"found_at": datetime(1989, 6, 1, 8, 0, tzinfo=UTC)}, "found_at", "found_at",
                 "This time is before 1990-01-01: check the device's date.", id="before-1990"),
    pytest.param({"latitude": 95.0}, "location", "latitude", "Latitude must be between -90 and 90.", id="latitude"),
]  # fmt: skip
GOOD = {"found_at": T, "longitude": 87.41, "latitude": 50.11, "material": "wire", "state": "set", "action": "removed",
        "count": 1, "catch_species": "", "catch_condition": "none"}  # fmt: skip


def _via_api(api, manager, row):
    api.force_authenticate(manager)
    body = {"reserve": "reserve-a", "location": {"type": "Point", "coordinates": [row["longitude"], row["latitude"]]},
            "found_at": row["found_at"].isoformat(), "material": row["material"], "state": row["state"],
            "action": row["action"], "catch_condition": row["catch_condition"]}  # fmt: skip
    if row["catch_species"]:
        body["catch_species"] = row["catch_species"]
    response = api.post("/api/v1/snare-finds/", body, format="json")
    assert response.status_code == 400
    return response.json()["error"]["fields"]


def _via_sync(ranger, reserve, row):
    client, device = device_client(ranger, reserve)
    data = {"location": {"type": "Point", "coordinates": [row["longitude"], row["latitude"]]},
            "found_at": row["found_at"].isoformat(), "catch_condition": row["catch_condition"]}  # fmt: skip
    if row["catch_species"]:
        data["catch_species"] = row["catch_species"]
    good = snare_item()
    response = client.post("/api/v1/sync/", {"device_id": device.device_id, "items": [snare_item(**data), good]},
                           format="json")  # fmt: skip
    bad_result, good_result = response.json()["results"]
    assert (bad_result["status"], good_result["status"]) == ("rejected", "created")  # rejected alone
    return bad_result["errors"]


def _via_package(reserve, row, folder):
    reserve_package_export(reserve=reserve, folder=folder)
    with open(folder / "snare_finds.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, [*GOOD, "patrol_id"])
        writer.writeheader()
        writer.writerow({**row, "found_at": row["found_at"].isoformat(), "patrol_id": ""})
    with pytest.raises(PackageError) as raised:
        reserve_package_import(folder=folder, slug=f"copy-{uuid.uuid4().hex[:6]}")
    return raised.value.problems


def _via_admin(client, reserve, row):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.create_superuser("root", "root@example.org", "pw"))
    form = {"reserve": reserve.pk, "location": f"SRID=4326;POINT ({row['longitude']} {row['latitude']})",
            "found_at_0": row["found_at"].date().isoformat(), "found_at_1": row["found_at"].strftime("%H:%M:%S"),
            "count": row["count"], "material": row["material"], "state": row["state"], "placement": "unknown",
            "catch_condition": row["catch_condition"], "action": row["action"], "notes": "", "review_reasons": "[]",
            "catch_species": species(row["catch_species"]).pk if row["catch_species"] else ""}  # fmt: skip
    response = client.post("/admin/threats/snarefind/add/", form)
    assert response.status_code == 200  # the form again, with its errors
    return response.context["adminform"].form.errors


@pytest.mark.parametrize(("change", "field", "column", "message"), BAD)
def test_the_same_bad_snare_find_is_refused_alike_on_every_path(
    change, field, column, message, api, client, manager_a, ranger_a, team_a, reserve_a, tmp_path
):
    row = {**GOOD, **change}
    assert _via_api(api, manager_a, row) == {field: [message]}
    assert _via_sync(ranger_a, reserve_a, row) == {field: [message]}
    assert _via_package(reserve_a, row, tmp_path / "pkg") == [f"snare_finds.csv, row 2, column {column}: {message}"]
    assert _via_admin(client, reserve_a, row) == {field: [message]}
    assert SnareFind.objects.count() == 1  # the sync's good item only
    assert Reserve.objects.count() == 1
    assert Detection.objects.count() == 0


# --- LonLatPoint: the sync's points, made in GEOS only when something needs it -----------------------------


def test_a_lonlat_point_is_checked_without_a_geos_object_and_measures_as_a_plain_point(reserve_a):
    inside, outside = LonLatPoint(87.41, 50.11), LonLatPoint(87.65, 50.1)
    context = RecordContext(reserve_a)
    assert (location_error(inside), context.metres_outside(inside), context.measurable(inside)) == (None, 0.0, True)
    assert inside._ptr is None  # covered by the reserve, decided from the floats
    plain = RecordContext(reserve_a).metres_outside(Point(87.65, 50.1, srid=4326))
    assert plain > 1000
    assert context.metres_outside(outside) == plain


def test_a_lonlat_point_is_a_point_like_any_other_once_asked(reserve_a):
    assert (LonLatPoint(1.5, 2.5).x, LonLatPoint(1.5, 2.5).coords) == (1.5, (1.5, 2.5))
    point = LonLatPoint(87.41, 50.11)
    assert (point.srid, point.ewkt, point == INSIDE) == (4326, "SRID=4326;POINT (87.41 50.11)", True)
    assert pickle.loads(pickle.dumps(LonLatPoint(1.5, 2.5))) == Point(1.5, 2.5, srid=4326)
    find = SnareFindFactory(reserve=reserve_a, location=LonLatPoint(87.42, 50.12))
    find.refresh_from_db()
    assert (find.location.x, find.location.y, find.location.srid) == (87.42, 50.12, 4326)
