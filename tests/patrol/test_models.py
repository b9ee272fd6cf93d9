import uuid

import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from patrol.patrols.models import Patrol
from patrol.reserves.models import Reserve
from tests.patrol.factories import PatrolFactory, PostFactory, ReserveFactory
from tests.threats.factories import CameraDeploymentFactory, DetectionFactory, SnareFindFactory

pytestmark = pytest.mark.django_db


def _violates(constraint_name: str, factory, **kwargs) -> None:
    with pytest.raises(IntegrityError) as raised, transaction.atomic():
        factory(**kwargs)
    assert constraint_name in str(raised.value)


def test_snare_count_must_be_at_least_one():
    _violates("snarefind_count_at_least_one", SnareFindFactory, count=0)


def test_detection_count_must_be_at_least_one():
    _violates("detection_count_at_least_one", DetectionFactory, count=0)


def test_client_uuid_is_unique_per_reserve_but_not_across_reserves():
    shared = uuid.uuid4()
    first = SnareFindFactory(client_uuid=shared)
    _violates("snarefind_client_uuid_unique_per_reserve", SnareFindFactory, reserve=first.reserve, client_uuid=shared)
    other_reserve_find = SnareFindFactory(client_uuid=shared)
    assert other_reserve_find.reserve_id != first.reserve_id


def test_patrol_end_must_follow_start():
    now = timezone.now()
    _violates("patrol_planned_end_after_start", PatrolFactory, planned_start=now, planned_end=now)
    _violates("patrol_actual_end_after_start", PatrolFactory, actual_start=now, actual_end=now - timezone.timedelta(1))


def test_camera_deployment_end_must_follow_start():
    now = timezone.now()
    _violates("deployment_end_after_start", CameraDeploymentFactory, start=now, end=now)


@pytest.mark.parametrize(("lon", "lat"), [(200.0, 50.0), (87.0, -95.0)])
def test_points_out_of_wgs84_range_are_refused_by_the_database(lon, lat):
    _violates("snarefind_location_range", SnareFindFactory, location=Point(lon, lat, srid=4326))
    _violates("post_location_range", PostFactory, location=Point(lon, lat, srid=4326))


def test_self_intersecting_boundary_is_refused_by_the_database():
    bowtie = Polygon(((87.0, 50.0), (87.2, 50.2), (87.2, 50.0), (87.0, 50.2), (87.0, 50.0)))
    _violates("reserve_boundary_valid", ReserveFactory, boundary=MultiPolygon(bowtie, srid=4326))


def test_sensitive_grid_cannot_be_finer_than_a_tenth_of_a_degree():
    _violates("reserve_sensitive_grid_at_least_0_1_degrees", ReserveFactory, sensitive_grid_degrees=0.01)


def test_no_catch_means_no_catch_species():
    from tests.threats.factories import species

    _violates("snarefind_no_catch_means_no_species", SnareFindFactory,
              catch_species=species("Moschus moschiferus"), catch_condition="none")  # fmt: skip


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("projected_epsg", 4326, "EPSG:4326 is not a projected (metric) coordinate system."),
        ("projected_epsg", 999999, "Unknown EPSG code: 999999."),
        ("timezone", "Mars/Olympus", "Unknown time zone: Mars/Olympus."),
    ],
)
def test_reserve_validation_explains_bad_crs_and_timezone(field, value, message):
    reserve = ReserveFactory.build(**{field: value})
    with pytest.raises(ValidationError) as raised:
        reserve.full_clean()
    assert raised.value.message_dict[field] == [message]


def test_patrol_changes_are_kept_in_history(manager_a, reserve_a, team_a):
    from patrol.patrols.services import patrol_create, patrol_update

    patrol = patrol_create(actor=manager_a, reserve=reserve_a, team=team_a, objective="Sweep Shavla")
    patrol_update(actor=manager_a, patrol=patrol, data={"objective": "Sweep Kara-Su", "status": "cancelled"})
    records = list(Patrol.history.filter(id=patrol.pk).order_by("history_date"))
    assert [r.objective for r in records] == ["Sweep Shavla", "Sweep Kara-Su"]
    delta = records[1].diff_against(records[0])
    assert sorted(delta.changed_fields) == ["objective", "status"]
    assert [r.version for r in records] == [1, 2]
    assert records[1].history_user_id is None  # set by the request middleware in the web app


def test_reserve_count_is_exact(reserve_a, reserve_b):
    assert Reserve.objects.count() == 2


def test_species_are_named_in_the_users_language():
    from django.utils import translation

    from threats.records.models import Species

    leopard = Species.objects.get(scientific_name="Panthera uncia")
    with translation.override("ru"):
        assert str(leopard) == f"{leopard.common_name_ru} (Panthera uncia)"
    with translation.override("en"):
        assert str(leopard) == "Snow leopard (Panthera uncia)"
