import factory
from django.contrib.gis.geos import Point
from django.utils import timezone

from tests.patrol.factories import ReserveFactory
from threats.records.models import CameraDeployment, Detection, Incident, SnareFind, Species


def species(scientific_name: str) -> Species:
    """The preloaded species (from the data migration)."""
    return Species.objects.get(scientific_name=scientific_name)


class SnareFindFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SnareFind

    reserve = factory.SubFactory(ReserveFactory)
    found_at = factory.LazyFunction(lambda: timezone.now() - timezone.timedelta(days=1))
    location = factory.LazyFunction(lambda: Point(87.4312, 50.1187, srid=4326))
    count = 1
    material = SnareFind.Material.WIRE
    state = SnareFind.State.SET
    action = SnareFind.Action.REMOVED


class IncidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Incident

    reserve = factory.SubFactory(ReserveFactory)
    kind = Incident.Kind.POACHER_CAMP
    occurred_at = factory.LazyFunction(lambda: timezone.now() - timezone.timedelta(days=1))
    location = factory.LazyFunction(lambda: Point(87.41, 50.12, srid=4326))


class CameraDeploymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CameraDeployment

    reserve = factory.SubFactory(ReserveFactory)
    deployment_id = factory.Sequence(lambda n: f"CT{n:03d}")
    location = factory.LazyFunction(lambda: Point(87.4567, 50.1432, srid=4326))
    start = factory.LazyFunction(lambda: timezone.now() - timezone.timedelta(days=60))
    end = factory.LazyFunction(lambda: timezone.now() - timezone.timedelta(days=1))


class DetectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Detection

    reserve = factory.SubFactory(ReserveFactory)
    species = factory.LazyFunction(lambda: species("Panthera uncia"))
    method = Detection.Method.CAMERA_TRAP
    observed_at = factory.LazyFunction(lambda: timezone.now() - timezone.timedelta(days=3))
    location = factory.LazyFunction(lambda: Point(87.4567, 50.1432, srid=4326))
    individual_id = "Khan"
