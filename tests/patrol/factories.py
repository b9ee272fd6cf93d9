import factory
from django.contrib.auth import get_user_model
from django.contrib.gis.geos import LineString, MultiLineString, MultiPolygon, Point, Polygon
from django.utils import timezone

from patrol.patrols.models import Patrol
from patrol.reserves.models import AccessPoint, Membership, Post, Reserve, Role, Team, Zone

# A 0.4 x 0.4 degree reserve in the Altai, around the Argut.
ALTAI_BBOX = (87.2, 49.9, 87.6, 50.3)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pw")


class ReserveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reserve

    name = factory.Sequence(lambda n: f"Reserve {n}")
    slug = factory.Sequence(lambda n: f"reserve-{n}")
    boundary = factory.LazyFunction(lambda: MultiPolygon(Polygon.from_bbox(ALTAI_BBOX), srid=4326))
    projected_epsg = 32645
    timezone = "Asia/Barnaul"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    reserve = factory.SubFactory(ReserveFactory)
    role = Role.MANAGER
    sensitive_clearance = False


class PostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Post

    reserve = factory.SubFactory(ReserveFactory)
    name = factory.Sequence(lambda n: f"Post {n}")
    location = factory.LazyFunction(lambda: Point(87.4, 50.1, srid=4326))


class AccessPointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccessPoint

    reserve = factory.SubFactory(ReserveFactory)
    name = factory.Sequence(lambda n: f"Road end {n}")
    kind = AccessPoint.Kind.ROAD_END
    location = factory.LazyFunction(lambda: Point(87.5, 50.0, srid=4326))


class ZoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Zone

    reserve = factory.SubFactory(ReserveFactory)
    name = factory.Sequence(lambda n: f"Zone {n}")
    kind = Zone.Kind.CORE
    area = factory.LazyFunction(lambda: Polygon.from_bbox((87.3, 50.0, 87.4, 50.1)))


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        skip_postgeneration_save = True

    reserve = factory.SubFactory(ReserveFactory)
    name = factory.Sequence(lambda n: f"Team {n}")

    @factory.post_generation
    def members(self, create, extracted, **kwargs):
        if create and extracted:
            self.members.set(extracted)


class PatrolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patrol

    reserve = factory.SubFactory(ReserveFactory)
    team = factory.SubFactory(TeamFactory, reserve=factory.SelfAttribute("..reserve"))
    planned_start = factory.LazyFunction(lambda: timezone.now() - timezone.timedelta(days=2))
    planned_end = factory.LazyFunction(lambda: timezone.now() - timezone.timedelta(days=1))
    status = Patrol.Status.COMPLETED
    track = factory.LazyFunction(
        lambda: MultiLineString(LineString((87.40, 50.10), (87.42, 50.11), (87.45, 50.12)), srid=4326)
    )
